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
/// userinfo, query or fragment); when it does not, only its scheme, since where the userinfo
/// ends is exactly what cannot be known of a URL that does not parse.
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
            u.path()
        );
        return clean(&shown);
    }
    match scheme_of(bare) {
        Some(scheme) => format!("{scheme}://…"),
        None if !bare.contains(['@', ':', '/', '\\', '%', '?', '#']) => clean(bare),
        None => "…".to_owned(),
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

/// Free text (a usage error, a client's request) with whatever precedes an `@` in each word
/// replaced, so `https://user:secret@host` shows as `https://<redacted>@host`. Over-redacting a
/// word that merely contains an `@` is the price of never showing userinfo.
pub fn userinfo(text: &str) -> String {
    let is_boundary = |c: char| c.is_whitespace() || "/\\'\"`<>(),;=[]{}|".contains(c);
    let mut out = String::with_capacity(text.len());
    let mut word = String::new();
    let flush = |word: &mut String, out: &mut String| {
        match word.rfind('@') {
            Some(at) if at > 0 => {
                out.push_str(REDACTED);
                out.push_str(&word[at..]);
            }
            _ => out.push_str(word),
        }
        word.clear();
    };
    for c in text.chars() {
        if is_boundary(c) {
            flush(&mut word, &mut out);
            out.push(c);
        } else {
            word.push(c);
        }
    }
    flush(&mut word, &mut out);
    out
}

/// No control characters, and at most [`MAX_SHOWN_CHARS`].
fn clean(text: &str) -> String {
    text.chars()
        .filter(|c| !c.is_control())
        .take(MAX_SHOWN_CHARS)
        .collect()
}

/// Removes secrets from texts that come from elsewhere (a server's error body, an HTTP
/// library's error) in every form they may have been echoed in: as sent raw, form-urlencoded
/// (with `+` or `%20`, upper- or lower-case hex), JSON-escaped, and base64 (standard and URL-safe,
/// with or without padding) — including the base64 of an HTTP Basic `id:secret` pair.
#[derive(Default)]
pub struct Scrubber {
    /// Longest first, so a form that contains another is replaced whole.
    forms: Vec<String>,
}

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
        let mut forms = vec![
            secret.to_owned(),
            form.clone(),
            form.replace('+', "%20"),
            lower_hex(&form),
            json.trim_matches('"').to_owned(),
        ];
        forms.extend(base64_forms(secret.as_bytes()));
        self.add(forms);
        self
    }

    /// Scrub the HTTP Basic credentials of `id:secret` (RFC 6749 §2.3.1 form-urlencodes both
    /// halves first; some clients do not), in base64.
    pub fn basic_pair(mut self, id: &str, secret: &str) -> Scrubber {
        if secret.is_empty() {
            return self;
        }
        let mut forms = Vec::new();
        for pair in [
            format!("{}:{}", form_urlencode(id), form_urlencode(secret)),
            format!("{id}:{secret}"),
        ] {
            forms.extend(base64_forms(pair.as_bytes()));
        }
        self.add(forms);
        self
    }

    fn add(&mut self, forms: Vec<String>) {
        for form in forms {
            // Very short forms would shred ordinary words; the raw secret is always kept.
            if !form.is_empty() && !self.forms.contains(&form) {
                self.forms.push(form);
            }
        }
        self.forms.sort_by_key(|f| std::cmp::Reverse(f.len()));
    }

    /// `text` with every known form replaced by [`REDACTED`].
    pub fn scrub(&self, text: &str) -> String {
        let mut text = text.to_owned();
        for form in &self.forms {
            if text.contains(form.as_str()) {
                text = text.replace(form.as_str(), REDACTED);
            }
        }
        text
    }

    /// Whether `text` holds any known form (for tests and audits).
    pub fn finds_in(&self, text: &str) -> bool {
        self.forms.iter().any(|f| text.contains(f.as_str()))
    }
}

/// `application/x-www-form-urlencoded`, as a form body and RFC 6749's Basic pair encode.
pub fn form_urlencode(s: &str) -> String {
    ::url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

fn lower_hex(encoded: &str) -> String {
    let mut out = String::with_capacity(encoded.len());
    let mut rest = encoded;
    while let Some(i) = rest.find('%') {
        out.push_str(&rest[..i]);
        let hex = rest.get(i + 1..i + 3).unwrap_or("");
        out.push('%');
        out.push_str(&hex.to_ascii_lowercase());
        rest = rest.get(i + 1 + hex.len()..).unwrap_or("");
    }
    out.push_str(rest);
    out
}

fn base64_forms(bytes: &[u8]) -> Vec<String> {
    use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
    vec![
        STANDARD.encode(bytes),
        STANDARD_NO_PAD.encode(bytes),
        URL_SAFE.encode(bytes),
        URL_SAFE_NO_PAD.encode(bytes),
    ]
}

#[cfg(test)]
mod tests {
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
        assert_eq!(url("u:SECRET@host"), "…");
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
    }

    #[test]
    fn scrubber_removes_every_encoding_of_a_secret_and_of_a_basic_pair() {
        let secret = "s3cr3t+/ &=é\"";
        let s = Scrubber::new()
            .secret(secret)
            .basic_pair("client id", secret);
        use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
        let echoed = [
            secret.to_owned(),
            form_urlencode(secret),
            form_urlencode(secret).replace('+', "%20"),
            lower_hex(&form_urlencode(secret)),
            serde_json::to_string(secret).unwrap(),
            STANDARD.encode(secret),
            URL_SAFE_NO_PAD.encode(secret),
            STANDARD.encode(format!(
                "{}:{}",
                form_urlencode("client id"),
                form_urlencode(secret)
            )),
            STANDARD.encode(format!("client id:{secret}")),
        ];
        for form in echoed {
            let text = format!("server said: Authorization: Basic {form} ok");
            let scrubbed = s.scrub(&text);
            assert!(!s.finds_in(&scrubbed), "{form} survived in {scrubbed}");
            assert!(scrubbed.contains(REDACTED), "{scrubbed}");
        }
        assert_eq!(s.scrub("nothing here"), "nothing here");
    }
}
