//! Secrets out of what `setup --dry-run` shows: a client config file may hold the user's other
//! credentials besides setup's token, and its diff is printed. A filter over text, by the
//! shapes credentials take in the files setup edits (see docs/security.md).

/// How a key that holds a secret ends, once [`normal_key`] has made it comparable: npm's
/// `_authToken`, `_auth`, `_password`; cargo's and Terraform's `token`; docker's `auth`,
/// `identitytoken`; git's `extraHeader`; kubeconfig's user fields; Bazel's `--remote_header`
/// API keys; and the like.
const SECRET_KEY_ENDINGS: [&str; 15] = [
    "token",
    "pass",
    "auth",
    "authorization",
    "password",
    "passwd",
    "secret",
    "apikey",
    "api-key",
    "client-key-data",
    "private-key",
    "access-key",
    "secret-key",
    "extraheader",
    "credential-data",
];

/// A word at least this long, of letters and digits mixed (and `+=_-`), is shown masked
/// whatever key it is under: tokens, keys and base64 credentials are this long, words people
/// read are not.
const OPAQUE_WORD_LEN: usize = 32;

/// `key` as compared with [`SECRET_KEY_ENDINGS`]: lower case, `_` as `-`, unquoted, its last
/// `.` or `:` part (`registry.token`, `.npmrc`'s `//host/path/:_authToken`), without leading
/// `-` or `_` (`--token`, `_auth`).
fn normal_key(key: &str) -> String {
    let key = key.trim().trim_matches(['"', '\'']).to_ascii_lowercase();
    let key = key.rsplit(['.', ':']).next().unwrap_or(&key);
    key.trim_start_matches(['-', '_', ' ']).replace('_', "-")
}

fn is_secret_key(key: &str) -> bool {
    let key = normal_key(key.trim().trim_end_matches(',').trim_matches(['"', '\'']));
    // npm's `key=` is a client certificate's private key.
    key == "key"
        || (!key.is_empty()
            && SECRET_KEY_ENDINGS
                .iter()
                .any(|end| key.ends_with(&end.replace('_', "-"))))
}

/// The key of a `key = value`, `key: value` or `"key": value` line, and where its value
/// starts (the first separator of the line).
fn key_name(line: &str) -> Option<(String, usize)> {
    let equals = line.find('=');
    // `key: value`, `"key":value` (compact JSON), or a YAML key whose value follows below.
    let colon = [
        line.find(": "),
        line.find("\":").map(|at| at + 1),
        line.trim_end()
            .ends_with(':')
            .then(|| line.trim_end().len() - 1),
    ]
    .into_iter()
    .flatten()
    .min();
    let at = match (equals, colon) {
        (Some(e), Some(c)) => e.min(c),
        (Some(at), None) | (None, Some(at)) => at,
        (None, None) => return None,
    };
    let key = line[..at].trim().trim_start_matches("- ");
    Some((key.to_owned(), at + 1))
}

/// The end of the value that starts at `from` in `line`: a quoted string's closing quote, else
/// the first blank, `,`, `}` or `]`.
fn value_end(line: &str, from: usize) -> (usize, usize) {
    let rest = &line[from..];
    let skipped = rest.len() - rest.trim_start().len();
    let start = from + skipped;
    let value = &line[start..];
    let end = match value.chars().next() {
        Some(q @ ('"' | '\'')) => {
            // The closing quote: one not escaped with `\`.
            let mut escaped = false;
            value[1..]
                .char_indices()
                .find(|&(_, c)| {
                    let close = c == q && !escaped;
                    escaped = c == '\\' && !escaped;
                    close
                })
                .map_or(value.len(), |(e, _)| e + 2)
        }
        _ => value
            .find(|c: char| c.is_whitespace() || ",}]".contains(c))
            .unwrap_or(value.len()),
    };
    (start, start + end)
}

/// `line` with the value of every secret-holding key in it replaced, wherever the key is: the
/// line's own key (its whole value), and keys inside it (`{ token = "..." }`, compact JSON,
/// `--remote_header=x-api-key=...`, `--token=...`, `--token ...`).
fn without_key_values(line: &str) -> String {
    let redacted = crate::redact::REDACTED;
    if let Some((key, at)) = key_name(line)
        && is_secret_key(&key)
        && !matches!(line[at..].trim(), "true" | "false")
    {
        let space = if line[at..].starts_with(' ') { " " } else { "" };
        return format!("{}{space}{redacted}", &line[..at]);
    }
    let mut out = String::new();
    let mut done = 0;
    let bytes = line.as_bytes();
    for (i, &b) in bytes.iter().enumerate() {
        if i < done || !(b == b'=' || b == b':') || line[i..].starts_with("://") {
            continue;
        }
        // The key: the word right before the separator (a closing quote and blanks skipped).
        let before = line[..i].trim_end().trim_end_matches(['"', '\'']);
        let key_start = before
            .char_indices()
            .rev()
            .find(|&(_, c)| !(c.is_ascii_alphanumeric() || "-_.".contains(c)))
            .map_or(0, |(p, c)| p + c.len_utf8());
        if !is_secret_key(&before[key_start..]) {
            continue;
        }
        let (start, end) = value_end(line, i + 1);
        if start < end && !matches!(&line[start..end], "true" | "false") {
            out.push_str(&line[done..start]);
            out.push_str(redacted);
            done = end;
        }
    }
    out.push_str(&line[done..]);
    // A flag and its value as separate words: `--token VALUE`, `[--token, VALUE]`.
    let words: Vec<&str> = out.split_inclusive(char::is_whitespace).collect();
    let mut shown = String::new();
    let mut hide = false;
    for word in words {
        let bare = word.trim().trim_matches(['"', '\'', ',', '[', ']']);
        if hide && !bare.is_empty() {
            // What follows the value (`,`, `]`, a closing quote, a blank) stays.
            let tail = word.trim_start_matches(['"', '\'', '[']);
            let lead = &word[..word.len() - tail.len()];
            let after =
                tail.trim_start_matches(|c: char| !(c.is_whitespace() || "\"',]".contains(c)));
            shown.push_str(lead);
            shown.push_str(redacted);
            shown.push_str(after);
            hide = false;
            continue;
        }
        hide = bare.starts_with("--") && !bare.contains('=') && is_secret_key(bare);
        shown.push_str(word);
    }
    shown
}

/// Where the value of `key` starts in `line`: after `key:`, `key :` or `"key":`.
fn value_of(line: &str, key: &str) -> Option<usize> {
    line.match_indices(key).find_map(|(at, _)| {
        let rest = line[at + key.len()..].trim_start_matches('"').trim_start();
        rest.strip_prefix(':').map(|after| line.len() - after.len())
    })
}

/// `line` with every long opaque word ([`OPAQUE_WORD_LEN`]) replaced.
fn without_opaque_words(line: &str) -> String {
    // Not `-`: host names and package names are long hyphenated words. A word right after a
    // `/` is a path's (a Nix store hash), shown.
    let is_word = |c: char| c.is_ascii_alphanumeric() || "+=_".contains(c);
    let mut out = String::new();
    let mut word = String::new();
    let flush = |word: &mut String, out: &mut String| {
        let mixed = word.chars().any(|c| c.is_ascii_digit())
            && word.chars().any(|c| c.is_ascii_alphabetic());
        if word.len() >= OPAQUE_WORD_LEN && mixed && !out.ends_with('/') {
            out.push_str(crate::redact::REDACTED);
        } else {
            out.push_str(word);
        }
        word.clear();
    };
    for c in line.chars() {
        if is_word(c) {
            word.push(c);
        } else {
            flush(&mut word, &mut out);
            out.push(c);
        }
    }
    flush(&mut word, &mut out);
    out
}

/// `text` with every secret it may hold replaced, for showing a diff: setup's own token and the
/// user's other credentials in the same file alike. The value of every secret-holding key
/// (also a YAML value continued on the lines below it, and the `value` of an environment entry
/// whose `name` is a secret's), a URL's password or token user name, what follows `Bearer` or
/// `Basic`, and any long opaque word.
pub(super) fn masked(text: &str) -> String {
    let redacted = crate::redact::REDACTED;
    let mut out = String::new();
    // Inside a secret's value continued on more-indented lines (`token: |`): its indentation.
    let mut block: Option<usize> = None;
    // Inside a secret's value that ends at a line holding this (`"""`, a heredoc's `EOT`, a
    // PEM block's `-----END`).
    let mut until: Option<String> = None;
    // The previous line was `name: SOME_SECRET` (an environment entry), or a YAML list item
    // `- --some-secret` (a flag whose value is the next item).
    let mut secret_name = false;
    let mut secret_item = false;
    for line in text.split_inclusive('\n') {
        let (body, end) = match line.strip_suffix("\r\n") {
            Some(body) => (body, "\r\n"),
            None => line
                .strip_suffix('\n')
                .map_or((line, ""), |body| (body, "\n")),
        };
        let indent = body.len() - body.trim_start().len();
        if let Some(close) = &until {
            let closed = if close.starts_with("-----") || close.starts_with(['"', '\'']) {
                body.contains(close.as_str())
            } else {
                body.trim() == close
            };
            if closed {
                until = None;
            }
            out.push_str(&format!("{}{redacted}{end}", &body[..indent]));
            continue;
        }
        if let Some(level) = block {
            if !body.trim().is_empty() && indent > level {
                out.push_str(&format!("{}{redacted}{end}", &body[..indent]));
                continue;
            }
            block = None;
        }
        let item = body.trim_start().strip_prefix("- ");
        if secret_item && let Some(item) = item {
            secret_item = false;
            out.push_str(&format!("{}- {redacted}{end}", &body[..indent]));
            let _ = item;
            continue;
        }
        secret_item = item.is_some_and(|i| {
            let i = i.trim().trim_matches(['"', '\'']);
            i.starts_with("--") && !i.contains('=') && is_secret_key(i)
        });
        if body.contains("-----BEGIN") && body.contains("PRIVATE KEY") && !body.contains("-----END")
        {
            until = Some("-----END".to_owned());
        }
        // An authorization header's value, wherever it is: all that follows its scheme.
        let lower = body.to_ascii_lowercase();
        let scheme_at = ["bearer ", "basic "]
            .iter()
            .filter_map(|s| lower.find(s).map(|at| at + s.len()))
            .chain(
                lower
                    .find("authorization")
                    .and_then(|a| lower[a..].find("token ").map(|t| a + t + "token ".len())),
            )
            .min();
        let body_shown = match scheme_at {
            Some(at) => format!("{}{redacted}", &body[..at]),
            None => body.to_owned(),
        };
        let key = key_name(body);
        let mut shown = without_key_values(&body_shown);
        if let Some((name, at)) = &key {
            let value = body[*at..].trim();
            if is_secret_key(name) {
                let continued = value.is_empty() || value.starts_with(['|', '>']);
                if continued {
                    block = Some(indent);
                }
                for quotes in ["\"\"\"", "\'\'\'"] {
                    if value.starts_with(quotes) && !value[3..].contains(quotes) {
                        until = Some(quotes.to_owned());
                    }
                }
                if let Some(tag) = value.strip_prefix("<<") {
                    let tag = tag.trim_start_matches('-').trim();
                    if !tag.is_empty() {
                        until = Some(tag.to_owned());
                    }
                }
            }
            if secret_name && normal_key(name) == "value" && !value.is_empty() {
                shown = format!("{} {redacted}", &body[..*at]);
            }
        }
        // `{name: SOME_TOKEN, value: ...}` (or its JSON) on one line.
        if let (Some(n), Some(v)) = (value_of(&lower, "name"), value_of(&lower, "value"))
            && is_secret_key(body[n..].split([',', '}']).next().unwrap_or(""))
        {
            let (start, end_at) = value_end(body, v);
            if start < end_at {
                shown = format!("{}{redacted}{}", &body[..start], &body[end_at..]);
            }
        }
        secret_name = key.as_ref().is_some_and(|(name, at)| {
            normal_key(name) == "name" && is_secret_key(body[*at..].trim())
        });
        let shown = crate::redact::url_passwords(&shown);
        out.push_str(&without_opaque_words(&shown));
        out.push_str(end);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_dry_run_diff_masks_every_credential_in_the_file_not_only_setups() {
        let secrets = [
            "//other.example.com/:_authToken = NPMSECRET\n",
            "//x.example.com/:_auth=BASICSECRET\n",
            "extra-index-url = https://user:PIPSECRET@pypi.example.com/simple/\n",
            "\t\t\t\"auth\": \"DOCKERSECRET\",\n",
            "\t\"identitytoken\":\"IDSECRET\"\n",
            "token = \"CARGOSECRET\"\n",
            "\textraHeader = Authorization: Bearer GITSECRET\n",
            "  token = \"TFSECRET\"\r\n",
            "    token: KUBESECRET=\n",
            "    client-key-data: KEYSECRET\n",
            "header: Basic BASIC2SECRET\n",
            "build --remote_header=x-buildbuddy-api-key=BBSECRET\n",
            "registry.token = \"CARGOSECRET2\"\n",
            "other = { index = \"sparse+https://x/\", token = \"CARGOSECRET3\" }\n",
            "credentials \"app.terraform.io\" { token = \"TFSECRET2\" }\n",
            "{\"auths\":{\"ghcr.io\":{\"auth\":\"DOCKERSECRET2\"}}}\n",
            "      args: [--token, KUBESECRET3]\n",
            "[url \"https://ghp_GITSECRET1abcdefghijklmnop@github.com/\"]\n",
            "password = PIPSECRET2\n",
            "x = 0123456789abcdefSECRETxyz0123456789\n",
            "build --remote_header=\"Authorization=Bearer BBSECRET2\"\n",
            "build --bes_header=\"authorization=token BBSECRET3\"\n",
            "\tsmtpPass = GITSECRET2\n",
            "proxy = 'u:PROXYSECRET@host:80'\n",
            "proxy = u:PROXYSECRET2@proxy:3128\n",
            "{\"auth\": \"p\\\"SECRETPART\"}\n",
            "key=\"-----BEGIN PRIVATE KEY-----\\nMIIESECRET\\n-----END PRIVATE KEY-----\"\n",
            "      - {name: VAULT_TOKEN, value: hvs-SECRET}\n",
            "      \"name\": \"API_TOKEN\", \"value\": \"JSONSECRET\"\n",
        ];
        for line in secrets {
            let shown = masked(line);
            assert!(!shown.contains("SECRET"), "{line:?} -> {shown:?}");
            assert!(shown.contains(crate::redact::REDACTED), "{shown:?}");
            assert_eq!(shown.ends_with("\r\n"), line.ends_with("\r\n"), "{shown:?}");
        }
        // What is no secret is shown as it is: setup's own lines, a URL's user name.
        for line in [
            "//host.example.com/npm/:tokenHelper=/home/u/bin/ecluse-pnpm-token-x\n",
            "index-url = https://aws@host.example.com/simple/\n",
            "keyring-provider = subprocess\n",
            "credential-provider = [\"/usr/bin/ecluse-cred\", \"--target=x\"]\n",
            "\t\t\"host.example.com\": \"ecluse\"\n",
            "index-url = https://platform-engineering-111122223333.d.codeartifact.us-east-1.amazonaws.com/pypi/r/simple/\n",
            "//h/:tokenHelper=/nix/store/0123456789abcdefghijklmnopqrstuv-ecluse-cred-1.0/bin/x\n",
            "always-auth=true\n",
            "args: [\"--api-key-file\", \"/etc/key\"]\n",
        ] {
            assert_eq!(masked(line), line);
        }
    }

    #[test]
    fn a_secret_on_the_lines_below_its_key_is_masked_too() {
        let yaml = "users:\n- name: u\n  user:\n    token: >-\n      KUBESECRET1\n      MORE\n    exec:\n      env:\n      - name: AWS_SECRET_ACCESS_KEY\n        value: KUBESECRET2\n      - name: AWS_REGION\n        value: eu-west-1\n";
        let shown = masked(yaml);
        assert!(
            !shown.contains("SECRET1") && !shown.contains("MORE"),
            "{shown}"
        );
        assert!(!shown.contains("KUBESECRET2"), "{shown}");
        assert!(shown.contains("value: eu-west-1"), "{shown}");
        assert!(shown.contains("exec:"), "{shown}");
    }

    #[test]
    fn a_secret_over_several_lines_is_masked_to_its_end() {
        for (text, kept) in [
            (
                "token = \"\"\"\nMULTISECRET\n\"\"\"\nother = 1\n",
                "other = 1",
            ),
            (
                "token = <<EOT\nHEREDOCSECRET\nEOT\nother = 1\n",
                "other = 1",
            ),
            (
                "-----BEGIN PRIVATE KEY-----\nPEMSECRET\n-----END PRIVATE KEY-----\nother = 1\n",
                "other = 1",
            ),
            (
                "      args:\n      - --oidc-client-secret\n      - FLAGSECRET\n      - --verbose\n",
                "--verbose",
            ),
        ] {
            let shown = masked(text);
            assert!(!shown.contains("SECRET"), "{text:?} -> {shown:?}");
            assert!(shown.contains(kept), "{shown:?}");
        }
        // A flag's value keeps what closes it.
        assert_eq!(
            masked("args: [\"--api-key\", \"x\"]\n"),
            format!("args: [\"--api-key\", \"{}\"]\n", crate::redact::REDACTED)
        );
    }

    proptest::proptest! {
        #[test]
        fn masking_never_panics_on_any_mix_of_separators_quotes_and_multi_byte_text(
            text in "[a-zé€\\-_=:\"'/@|>{}\\[\\],<\\\\ \t\r\n0-9]{0,80}",
        ) {
            let _ = masked(&text);
            let _ = masked(&format!("token = {text}\nname: API_TOKEN\nvalue: {text}\n- --token\n{text}"));
        }
    }

    #[test]
    fn masking_never_panics_on_multi_byte_text_around_separators() {
        for line in [
            "ü=ü\n",
            "tökén=x\n",
            "a:ü\n",
            "value:ü\n",
            "é://ü@ü/\n",
            "{\"ü\":\"ü\"}\n",
            "--token ü\n",
            "x=ü token=ü\n",
            "- name: ü_SECRET\n  value:ü\n",
        ] {
            let _ = masked(line);
        }
    }
}
