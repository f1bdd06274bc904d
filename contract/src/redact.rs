//! What may be shown of outside input and of failures: a URL without its userinfo, query or
//! fragment, and a text with every encoding of a secret scrubbed out.
//!
//! Every message that quotes a URL a user or client handed over goes through [`url`] (or
//! [`userinfo`] for free text such as a usage error), and every message that quotes what a
//! server answered goes through a [`Scrubber`] built from the secrets that were sent to it.

use base64::Engine;

/// Replaces a scrubbed secret or userinfo.
pub const REDACTED: &str = "<redacted>";
/// Longest quoted input: enough to recognise it, short enough for one line.
const MAX_SHOWN_CHARS: usize = 200;

/// `input` as it may be printed: when it parses as a URL, its scheme, host, port and path (never
/// userinfo, query or fragment). When it does not but names a scheme, as written less
/// everything up to its last `@` (a password may hold `#`, `?` or `/`, so where the userinfo
/// ends cannot be known, and what follows the last `@` never holds it) and less its query and
/// fragment; without a scheme, only a plain host name is shown (anything else may be a secret
/// pasted in the wrong place).
pub fn url(input: &str) -> String {
    let input = input.trim();
    let bare = input.strip_prefix("sparse+").unwrap_or(input);
    if let Ok(u) = ::url::Url::parse(bare)
        && u.has_host()
    {
        let port = u.port().map(|p| format!(":{p}")).unwrap_or_default();
        let shown = format!(
            "{}://{}{port}{}",
            u.scheme(),
            u.host_str().unwrap_or_default(),
            path(u.path())
        );
        return clean(&shown);
    }
    let Some(scheme) = scheme_of(bare) else {
        return if bare.contains(['@', ':', '/', '\\', '%', '?', '#']) {
            "…".to_owned()
        } else {
            clean(bare)
        };
    };
    let rest = &bare[bare.find("://").map_or(0, |i| i + 3)..];
    let (userinfo, rest) = match rest.rfind('@') {
        Some(at) => (true, &rest[at + 1..]),
        None => (false, rest),
    };
    let rest = rest.split(['?', '#']).next().unwrap_or_default();
    let shown = if userinfo {
        format!("{scheme}://{REDACTED}@{rest}")
    } else {
        format!("{scheme}://{rest}")
    };
    clean(&shown)
}

/// A shown text cut to [`MAX_SHOWN_CHARS`] at a word's end, marked with `…`, so a message is
/// never cut mid-word.
pub fn shorten(text: &str) -> String {
    shorten_to(text, MAX_SHOWN_CHARS)
}

/// [`shorten`] to `max` characters.
pub fn shorten_to(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let cut: String = text.chars().take(max.saturating_sub(1)).collect();
    // Back to the last blank, unless that drops most of it (one long word).
    let at = cut
        .rfind(char::is_whitespace)
        .filter(|at| *at >= cut.len() / 2)
        .unwrap_or(cut.len());
    format!("{}…", cut[..at].trim_end())
}

/// A URL's path as it may be shown: an `@` in it may be the end of a password that held a `/`
/// (`https://u:123/secret@host/` parses as host `u`, port 123), so what precedes the last `@`
/// goes.
pub fn path(path: &str) -> String {
    match path.rfind('@') {
        Some(at) => format!("/{REDACTED}{}", &path[at..]),
        None => path.to_owned(),
    }
}

/// The scheme `input` starts with (`[a-z][a-z0-9+.-]*://`), if any.
fn scheme_of(input: &str) -> Option<String> {
    let (scheme, _) = input.split_once("://")?;
    let mut chars = scheme.chars();
    let ok = chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || "+.-".contains(c))
        && scheme.len() <= 20;
    ok.then(|| scheme.to_ascii_lowercase())
}

/// Free text (a usage error, a client's request, a name) with the userinfo of every URL-like
/// part replaced, so `https://user:secret@host` shows as `https://<redacted>@host`. Userinfo may
/// hold almost anything (`/`, `=`, `;`, quotes, even a space, which the URL parser accepts), and
/// a URL that does not parse has no reliable end of its userinfo, so the rule is broad:
///
/// - after each `://`, everything up to the last `@` on the same line goes;
/// - in a word (between whitespace) with an `@` and no `://` before it, everything before its
///   last `@` goes, except leading quotes and a path like `/@scope/pkg`.
///
/// Over-redacting text that merely contains an `@` is the price of never showing userinfo.
pub fn userinfo(text: &str) -> String {
    text.split_inclusive('\n')
        .map(|line| {
            let line = after_schemes(line);
            let mut out = String::with_capacity(line.len());
            let mut word = String::new();
            for c in line.chars() {
                if c.is_whitespace() {
                    out.push_str(&redact_word(&word));
                    word.clear();
                    out.push(c);
                } else {
                    word.push(c);
                }
            }
            out.push_str(&redact_word(&word));
            out
        })
        .collect()
}

/// `line` with the text between each `://` and the line's last `@` after it redacted.
fn after_schemes(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut rest = line;
    while let Some(i) = rest.find("://") {
        let start = i + 3;
        out.push_str(&rest[..start]);
        rest = &rest[start..];
        if let Some(at) = rest.rfind('@') {
            out.push_str(REDACTED);
            rest = &rest[at..];
        }
    }
    out.push_str(rest);
    out
}

fn redact_word(word: &str) -> String {
    let Some(at) = word.rfind('@') else {
        return word.to_owned();
    };
    if word[..at].contains("://") || word[..at].ends_with(REDACTED) {
        return word.to_owned();
    }
    let start = word.len()
        - word
            .trim_start_matches(['\'', '"', '`', '(', '<', '['])
            .len();
    let hidden = &word[start..at];
    if hidden.is_empty() || hidden.ends_with('/') {
        // `/@scope/pkg`: a path, no userinfo.
        return word.to_owned();
    }
    format!("{}{REDACTED}{}", &word[..start], &word[at..])
}

/// Free text that came from outside (a target name, a parser's message) as it may be printed:
/// no userinfo ([`userinfo`]), no control characters, at most [`MAX_SHOWN_CHARS`].
pub fn text(text: &str) -> String {
    clean(&userinfo(text))
}

/// No control characters, and at most [`MAX_SHOWN_CHARS`] (cut at a word's end).
fn clean(text: &str) -> String {
    let clean: String = text.chars().filter(|c| !c.is_control()).collect();
    shorten(&clean)
}

/// Removes secrets from texts that come from elsewhere (a server's error body, an HTTP
/// library's error) in every form they may have been echoed in: as sent raw, form-urlencoded
/// (with `+` or `%20` for a space), JSON-escaped (with or without `\/`), and base64 (standard
/// and URL-safe, at any of the three byte alignments a secret can sit at inside a longer encoded
/// text) — including the HTTP Basic `id:secret` pair, its base64, and the base64 of that. Matching
/// ignores ASCII case, so an upper-cased echo is caught as well.
#[derive(Default)]
pub struct Scrubber {
    /// Lower-cased; longest first, so a form that contains another is replaced whole.
    forms: Vec<String>,
    /// Every `len`-byte window of every form, for [`Scrubber::finds_part_in`]: built once, on
    /// first use, so that a search costs one pass over the text, not one per window.
    windows: std::sync::OnceLock<(usize, std::collections::HashSet<Box<[u8]>>)>,
}

/// Shortest encoded form that is scrubbed: shorter ones would shred ordinary words. (The raw
/// secret is always scrubbed, whatever its length.)
const MIN_FORM_CHARS: usize = 8;

impl Scrubber {
    pub fn new() -> Scrubber {
        Scrubber::default()
    }

    /// Scrub `secret` in all its encodings.
    pub fn secret(mut self, secret: &str) -> Scrubber {
        if secret.is_empty() {
            return self;
        }
        let form = form_urlencode(secret);
        let json = serde_json::to_string(secret).unwrap_or_default();
        let json = json.trim_matches('"');
        let mut forms = vec![
            form.clone(),
            form.replace('+', "%20"),
            json.to_owned(),
            json.replace('/', "\\/"),
        ];
        forms.extend(base64_cores(secret.as_bytes()));
        forms.extend(base64_cores(form.as_bytes()));
        self.add(forms);
        self.add_raw(secret);
        self
    }

    /// Scrub the HTTP Basic credentials of `id:secret` (RFC 6749 §2.3.1 form-urlencodes both
    /// halves first; some clients do not): the base64 pair, and the base64 of a text holding it
    /// (an echoed `Authorization: Basic ...` header, encoded once more).
    pub fn basic_pair(mut self, id: &str, secret: &str) -> Scrubber {
        if secret.is_empty() {
            return self;
        }
        use base64::engine::general_purpose::STANDARD;
        let mut forms = Vec::new();
        for pair in [
            format!("{}:{}", form_urlencode(id), form_urlencode(secret)),
            format!("{id}:{secret}"),
        ] {
            let basic = STANDARD.encode(pair.as_bytes());
            forms.extend(base64_cores(pair.as_bytes()));
            forms.extend(base64_cores(basic.as_bytes()));
            forms.push(basic);
        }
        self.add(forms);
        self
    }

    fn add(&mut self, forms: Vec<String>) {
        for form in forms {
            if form.chars().count() >= MIN_FORM_CHARS {
                self.add_raw(&form);
            }
        }
    }

    fn add_raw(&mut self, form: &str) {
        let form = form.to_ascii_lowercase();
        if !form.is_empty() && !self.forms.contains(&form) {
            self.forms.push(form);
            self.forms.sort_by_key(|f| std::cmp::Reverse(f.len()));
            self.windows = std::sync::OnceLock::new();
        }
    }

    /// Length in characters of the longest known form (0 when there is none): a text cut at
    /// `n + longest_form_chars()` characters holds whole every form that starts in its first `n`.
    pub fn longest_form_chars(&self) -> usize {
        self.forms.first().map_or(0, |f| f.chars().count())
    }

    /// `text` with every known form replaced by [`REDACTED`], whatever its ASCII case.
    pub fn scrub(&self, text: &str) -> String {
        let mut text = text.to_owned();
        for form in &self.forms {
            text = replace_ignoring_case(&text, form);
        }
        text
    }

    /// Whether `text` holds any `len` consecutive bytes of a known form, whatever their ASCII
    /// case: a partial echo (a server that cut the secret short) the whole forms miss. One pass
    /// over `text`, each of its windows looked up in the set of the forms' windows, so a long
    /// text and long secrets (a JWT and its encodings) cost time linear in their lengths.
    pub fn finds_part_in(&self, text: &str, len: usize) -> bool {
        if len == 0 || self.forms.is_empty() {
            return false;
        }
        let build = || {
            let set = self
                .forms
                .iter()
                .flat_map(|form| form.as_bytes().windows(len))
                .map(Box::<[u8]>::from)
                .collect();
            (len, set)
        };
        let cached = self.windows.get_or_init(build);
        let built;
        let windows = if cached.0 == len {
            &cached.1
        } else {
            built = build();
            &built.1
        };
        let lower = text.to_ascii_lowercase();
        lower.as_bytes().windows(len).any(|w| windows.contains(w))
    }

    /// Whether `text` holds any known form, whatever its ASCII case (for tests and audits).
    pub fn finds_in(&self, text: &str) -> bool {
        let lower = text.to_ascii_lowercase();
        self.forms.iter().any(|f| lower.contains(f.as_str()))
    }
}

/// Whether a configured endpoint URL holds userinfo (`user:password@`, even an empty one): what
/// the parser finds, and any `@` in the authority as written, which another parser may read
/// otherwise. Every backend's endpoints and the configuration's are checked with this one rule.
pub fn has_userinfo(endpoint: &str) -> bool {
    let written = endpoint.split_once("://").map_or("", |(_, rest)| rest);
    written
        .split(['/', '?', '#', '\\'])
        .next()
        .is_some_and(|authority| authority.contains('@'))
        || ::url::Url::parse(endpoint)
            .is_ok_and(|u| !u.username().is_empty() || u.password().is_some())
}

/// `text` with every ASCII-case-insensitive occurrence of `lower_form` (already lower case)
/// replaced. ASCII lower-casing keeps byte offsets, so positions found in the lower-cased text
/// are positions in `text`.
fn replace_ignoring_case(text: &str, lower_form: &str) -> String {
    let lower = text.to_ascii_lowercase();
    let mut out = String::with_capacity(text.len());
    let mut from = 0;
    while let Some(found) = lower[from..].find(lower_form) {
        let at = from + found;
        out.push_str(&text[from..at]);
        out.push_str(REDACTED);
        from = at + lower_form.len();
    }
    out.push_str(&text[from..]);
    out
}

/// `application/x-www-form-urlencoded`, as a form body and RFC 6749's Basic pair encode.
pub fn form_urlencode(s: &str) -> String {
    ::url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// The characters that any base64 text holding `bytes` contains, whatever offset modulo 3 the
/// bytes sit at and whichever alphabet: the encoding of the bytes with the characters that also
/// depend on their neighbours dropped at both ends.
fn base64_cores(bytes: &[u8]) -> Vec<String> {
    use base64::engine::general_purpose::{STANDARD_NO_PAD, URL_SAFE_NO_PAD};
    let mut cores = Vec::new();
    for offset in 0..3usize {
        let mut shifted = vec![0u8; offset];
        shifted.extend_from_slice(bytes);
        for engine in [&STANDARD_NO_PAD, &URL_SAFE_NO_PAD] {
            let encoded = base64::Engine::encode(engine, &shifted);
            // Leading characters that hold bits of the padding bytes, and a trailing one that
            // holds bits of whatever follows.
            let skip = (offset * 8).div_ceil(6);
            let end = (offset + bytes.len()) * 8 / 6;
            if let Some(core) = encoded.get(skip..end.max(skip)) {
                cores.push(core.to_owned());
            }
        }
    }
    cores
}

/// A URL user name at least this long is taken for a token (`https://ghp_...@github.com/`).
const TOKEN_USER_LEN: usize = 20;

/// A line of a config file as a diff may show it: every URL's password
/// (`scheme://user:PASSWORD@host`), a user name that is a token (`https://ghp_...@github.com/`)
/// and a scheme-less `user:PASSWORD@host` (a proxy setting) replaced, while a plain user name
/// (`https://aws@host/`) stays readable. Errors and logs use [`userinfo`], which hides all of it.
pub fn url_passwords(line: &str) -> String {
    without_bare_userinfo(&without_url_credentials(line))
}

/// `line` with a URL's password (`scheme://user:PASSWORD@host`), or a user name that is a
/// token (`https://ghp_...@github.com/`), replaced.
fn without_url_credentials(line: &str) -> String {
    let mut out = String::new();
    let mut rest = line;
    while let Some(at) = rest.find("://") {
        let (head, tail) = rest.split_at(at + 3);
        out.push_str(head);
        let end = tail
            .find(|c: char| c == '/' || c == '"' || c == '\'' || c.is_whitespace())
            .unwrap_or(tail.len());
        let authority = &tail[..end];
        match authority.rfind('@') {
            Some(userinfo_end) => {
                let userinfo = &authority[..userinfo_end];
                let user = userinfo.split(':').next().unwrap_or("");
                let redacted = REDACTED;
                match (userinfo.contains(':'), user.len() >= TOKEN_USER_LEN) {
                    (_, true) => out.push_str(redacted),
                    (true, false) => out.push_str(&format!("{user}:{redacted}")),
                    (false, false) => out.push_str(user),
                }
                out.push_str(&authority[userinfo_end..]);
            }
            None => out.push_str(authority),
        }
        rest = &tail[end..];
    }
    out.push_str(rest);
    out
}

/// `line` with the password of a scheme-less `user:PASSWORD@host` (a proxy setting) replaced.
fn without_bare_userinfo(line: &str) -> String {
    line.split_inclusive(|c: char| c.is_whitespace() || "=\"'".contains(c))
        .map(|word| {
            let (Some(colon), Some(at)) = (word.find(':'), word.rfind('@')) else {
                return word.to_owned();
            };
            if colon < at && !word[..at].contains('/') {
                format!("{}:{}{}", &word[..colon], REDACTED, &word[at..])
            } else {
                word.to_owned()
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {

    #[test]
    fn url_passwords_hides_passwords_and_token_user_names_and_keeps_plain_user_names() {
        assert_eq!(
            url_passwords("index-url = https://user:PIPSECRET@pypi.example.com/simple/"),
            "index-url = https://user:<redacted>@pypi.example.com/simple/"
        );
        assert_eq!(
            url_passwords("url = https://ghp_GITSECRET1abcdefghijklmnop@github.com/"),
            "url = https://<redacted>@github.com/"
        );
        assert_eq!(
            url_passwords("index-url = https://aws@host.example.com/simple/"),
            "index-url = https://aws@host.example.com/simple/"
        );
        assert_eq!(
            url_passwords("proxy = user:PROXYSECRET@proxy.example.com:3128"),
            "proxy = user:<redacted>@proxy.example.com:3128"
        );
    }
    use super::*;

    #[test]
    fn urls_are_shown_without_userinfo_query_or_fragment_parsed_or_not() {
        assert_eq!(
            url("https://u:SECRET@host.example:8443/x/?token=abc#f"),
            "https://host.example:8443/x/"
        );
        for unparsable in [
            "https://u:SECRET@host:99999/x/",
            "https://u:SECRET@[::1/x",
            "http://u:SECRET@/",
        ] {
            let shown = url(unparsable);
            assert!(!shown.contains("SECRET"), "{unparsable}: {shown}");
            assert!(shown.starts_with("http"), "{shown}");
        }
        assert_eq!(url("ftp://u:SECRET@h/x"), "ftp://h/x");
        assert!(!url("https://u:123/CRET@host/").contains("CRET"));
        assert_eq!(url("u:SECRET@host"), "…");
        // What does not parse is shown as written, less userinfo, query and fragment.
        assert_eq!(
            url("https://u:SE CRET@host:99999/x/"),
            "https://<redacted>@host:99999/x/"
        );
        assert_eq!(
            url("https://exa mple.com/simple/?t=SECRET"),
            "https://exa mple.com/simple/"
        );
        // A password holding `#` or `?`: nothing before the last `@` shows.
        assert_eq!(
            url("https://alice:pa#ss@pkgs.example.com/simple/"),
            "https://<redacted>@pkgs.example.com/simple/"
        );
        assert_eq!(
            url("https://alice:pa?ss@pkgs.example.com:0x1/"),
            "https://<redacted>@pkgs.example.com:0x1/"
        );
        // Without a scheme, only a plain host: anything else may be a secret in the wrong place.
        for secret in [
            "client:s3cret",
            "xY9/ab+cd==",
            "alice:pa#ss@host",
            "pkgs.example.com:0x50/x",
        ] {
            assert_eq!(url(secret), "…", "{secret}");
        }
    }

    #[test]
    fn a_long_text_is_cut_at_a_word_end_and_marked() {
        assert_eq!(
            shorten_to("the AWS credential chain found nothing", 24),
            "the AWS credential…"
        );
        assert_eq!(shorten_to("short", 24), "short");
        // One long word: cut inside it rather than dropping it all.
        assert_eq!(
            shorten_to("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 10),
            "aaaaaaaaa…"
        );
        let long = "word ".repeat(100);
        let shown = shorten(&long);
        assert!(
            shown.chars().count() <= MAX_SHOWN_CHARS && shown.ends_with("word…"),
            "{shown}"
        );
        assert_eq!(url("registry.example.com"), "registry.example.com");
        assert_eq!(url("sparse+https://h/index/"), "https://h/index/");
    }

    #[test]
    fn userinfo_is_redacted_from_free_text() {
        assert_eq!(
            userinfo("error: unexpected value 'https://u:SECRET@host/x' found"),
            "error: unexpected value 'https://<redacted>@host/x' found"
        );
        assert_eq!(userinfo("npm /@scope/pkg"), "npm /@scope/pkg");
        assert!(!userinfo("a:b:SECRET@h c").contains("SECRET"));
        // Userinfo may hold sub-delimiters and even a `/`: none of it shows.
        for text in [
            "https://u:SE'CRET@pkgs.example.com",
            "unexpected argument 'https://u:SE'CRET@host/x/' found",
            "https://u:SE CRET@host/",
            "u:SECRET@h/x?r=https://z",
            "https://u:SE\"CR<E`T@h/",
            "https://u:SE=CRET@pkgs.example.com",
            "unexpected argument 'https://u:SE/CRET@host/'",
            "--bogus=https://u:SE=CRET@h/",
            "x https://u:SE;CR,ET(@h/ y",
            "target `https://u:SE[CRET]@host/`",
            "u:SE/CRET@host",
        ] {
            let shown = userinfo(text);
            assert!(!shown.contains("CRET"), "{text} -> {shown}");
            assert!(shown.contains(REDACTED), "{text} -> {shown}");
        }
    }

    #[test]
    fn scrubber_removes_every_encoding_of_a_secret_and_of_a_basic_pair() {
        use base64::Engine;
        use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
        let secret = "Sup3r/Secr3t+Val~ue &=é\"";
        let id = "client id";
        let s = Scrubber::new().secret(secret).basic_pair(id, secret);
        let form = form_urlencode(secret);
        let pair = format!("{}:{}", form_urlencode(id), form);
        let basic = STANDARD.encode(&pair);
        let echoed = [
            secret.to_owned(),
            secret.to_ascii_uppercase(),
            form.clone(),
            form.to_ascii_uppercase(),
            form.replace('+', "%20"),
            serde_json::to_string(secret).unwrap(),
            serde_json::to_string(secret).unwrap().replace('/', "\\/"),
            STANDARD.encode(secret),
            URL_SAFE_NO_PAD.encode(secret),
            basic.clone(),
            STANDARD.encode(format!("{id}:{secret}")),
            // The secret inside a longer encoded text, at every alignment.
            STANDARD.encode(format!(
                "grant_type=client_credentials&client_secret={form}"
            )),
            STANDARD.encode(format!("x&client_secret={form}&y")),
            STANDARD.encode(format!("xy&client_secret={form}")),
            STANDARD.encode(format!("Authorization: Basic {basic}")),
            URL_SAFE_NO_PAD.encode(format!("a{secret}b")),
        ];
        for form in echoed {
            let text = format!("server said: {form} ok");
            let scrubbed = s.scrub(&text);
            assert!(!s.finds_in(&scrubbed), "{form} survived in {scrubbed}");
            assert!(scrubbed.contains(REDACTED), "{form}: {scrubbed}");
            assert!(!scrubbed.contains("Secr3t"), "{scrubbed}");
        }
        assert_eq!(s.scrub("nothing here"), "nothing here");
    }

    #[test]
    fn a_part_of_a_secret_is_found_in_a_long_text_in_one_pass_and_later_secrets_count() {
        // A 2 kB secret (a JWT) and a 1 MiB text: the windows of every form are built once and
        // the text is scanned once (the old search built and looked for each window in turn,
        // some 10^4 searches of 1 MiB each).
        let secret: String = (0..2048)
            .map(|i| (b'a' + (i * 7 % 26) as u8) as char)
            .collect();
        let s = Scrubber::new().secret(&secret);
        let mut text = "#".repeat(1 << 20);
        assert!(!s.finds_part_in(&text, 8));
        text.replace_range(600_000..600_008, &secret[1000..1008].to_ascii_uppercase());
        assert!(s.finds_part_in(&text, 8));
        assert!(
            !s.finds_part_in(&text[..600_007], 8),
            "7 characters are no part"
        );
        // A secret added after a search is searched for as well.
        let s = s.secret("Another-Secret-Value");
        assert!(s.finds_part_in("x Secret-V x", 8));
        assert!(!s.finds_part_in("x Secret x", 8));
        assert!(s.longest_form_chars() >= 2048);
        assert_eq!(Scrubber::new().longest_form_chars(), 0);
    }

    #[test]
    fn userinfo_in_an_endpoint_is_found_parsed_or_as_written() {
        for with in [
            "https://u:p@idp.example/token",
            "https://u@idp.example/token",
            "https://:p@idp.example/token",
            "https://@idp.example/token",
            "https://u:p@idp.example:8443/token",
            "HTTPS://U:P@IDP.EXAMPLE/",
        ] {
            assert!(has_userinfo(with), "{with}");
        }
        for without in [
            "https://idp.example/token",
            "https://idp.example/token?user=a@b",
            "https://idp.example/t/@scope",
            "https://idp.example:8443/t#x@y",
            "not a url",
        ] {
            assert!(!has_userinfo(without), "{without}");
        }
    }
}
