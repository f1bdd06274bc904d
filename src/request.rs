//! Where a request goes, as the matching of tokens to requests needs it: scheme, host, port and
//! path, parsed strictly. The scheme must be `http` or `https` followed by `://` (a `sparse+`
//! prefix, cargo's, is ignored); a host with `\`, `%`, whitespace, control or non-ASCII
//! characters, or that the URL parser would rewrite (`127.1`, IDNA look-alikes), is refused
//! rather than normalised into another host. Userinfo, query and fragment never take part and
//! are never shown. Used for requests ([`crate::resolve`]) and for configured `urls`
//! ([`crate::config`]) alike.

use crate::error::{Error, Result};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme {
    Http,
    Https,
}

impl Scheme {
    pub fn as_str(self) -> &'static str {
        match self {
            Scheme::Http => "http",
            Scheme::Https => "https",
        }
    }

    pub fn default_port(self) -> u16 {
        match self {
            Scheme::Http => 80,
            Scheme::Https => 443,
        }
    }
}

/// Where a request goes, as the matching needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    pub scheme: Scheme,
    /// Lower-case ASCII host name, or an IP literal (`[::1]`), exactly as given.
    pub host: String,
    /// The explicit port, or the scheme's default.
    pub port: u16,
    /// The path, ending in `/` so prefixes compare by whole segments; `None` when the client
    /// did not say (git without useHttpPath, docker).
    pub path: Option<String>,
}

impl Request {
    /// An `http(s)://[userinfo@]host[:port][/path][?query][#fragment]` URL (`sparse+` ignored).
    pub fn url(input: &str) -> Result<Request> {
        parse_url(input).map_err(|why| {
            Error::config(format!(
                "`{}` is not a usable http(s) URL: {why}",
                crate::redact::url(input)
            ))
        })
    }

    /// A URL, or a bare `host[:port]` that the client reaches over https (docker's registry,
    /// `token --url HOST`). Either way the path is not known.
    pub fn url_or_https_host(input: &str) -> Result<Request> {
        let s = input.trim();
        if s.contains("://") {
            return Request::url(s).map(Request::origin_only);
        }
        if s.is_empty() || s.contains(['@', '/', '?', '#']) {
            return Err(Error::config(format!(
                "`{}` is not an http(s) URL or host[:port]",
                crate::redact::url(s)
            )));
        }
        Request::url(&format!("https://{s}")).map(Request::origin_only)
    }

    /// git's request fields: `protocol`, `host` (`host[:port]`) and, with useHttpPath, `path`.
    /// `None` for a protocol other than http(s) or a host that is not a plain `host[:port]`.
    pub fn git(protocol: &str, host: &str, path: Option<&str>) -> Option<Request> {
        if !matches!(protocol, "http" | "https") || host.is_empty() || !is_authority(host) {
            return None;
        }
        // git hands over the path decoded: what would end the path or start an escape in a
        // URL (`?`, `#`, `%`), and a blank (an Azure DevOps project name), is encoded again, so
        // that every segment after it is still checked and compared.
        let path: Option<String> = path.map(|p| {
            p.chars()
                .map(|c| match c {
                    '%' => "%25".to_owned(),
                    '?' => "%3F".to_owned(),
                    '#' => "%23".to_owned(),
                    ' ' => "%20".to_owned(),
                    c => c.to_string(),
                })
                .collect()
        });
        let request = parse_url(&format!(
            "{protocol}://{host}/{}",
            path.as_deref().unwrap_or("")
        ))
        .ok()?;
        Some(match path {
            Some(_) => request,
            None => request.origin_only(),
        })
    }

    /// The same origin, path unknown.
    pub fn origin_only(self) -> Request {
        Request { path: None, ..self }
    }

    /// `scheme://host[:port]/path`, safe to print (no userinfo, query or fragment; what looks
    /// like a secret in the path redacted).
    pub fn shown(&self) -> String {
        self.with_path(&crate::redact::path(self.path.as_deref().unwrap_or("/")))
    }

    /// `scheme://host[:port]/path` as a client's config names it: userinfo, query and fragment
    /// dropped, the path as it is (an `@` in an npm scope's URL stays; [`Request::shown`] would
    /// redact it).
    pub fn written(&self) -> String {
        self.with_path(self.path.as_deref().unwrap_or("/"))
    }

    fn with_path(&self, path: &str) -> String {
        let port = if self.port == self.scheme.default_port() {
            String::new()
        } else {
            format!(":{}", self.port)
        };
        format!("{}://{}{port}{path}", self.scheme.as_str(), self.host)
    }

    /// Whether the host is the machine itself: `localhost`, an address in `127.0.0.0/8`, or
    /// `[::1]`, as written in canonical form (the parse refuses every other spelling).
    pub fn is_loopback(&self) -> bool {
        match self.host.parse::<std::net::Ipv4Addr>() {
            Ok(ip) => ip.is_loopback(),
            Err(_) => self.host == "localhost" || self.host == "[::1]",
        }
    }

    /// The same host and port, over plain http.
    pub fn over_http(self) -> Request {
        Request {
            scheme: Scheme::Http,
            ..self
        }
    }

    pub fn same_origin(&self, other: &Request) -> bool {
        self.scheme == other.scheme && self.host == other.host && self.port == other.port
    }
}

/// Characters of a plain `host[:port]` or `[ipv6]:port`: nothing a URL parser would decode,
/// split on or rewrite.
fn is_authority(s: &str) -> bool {
    s.bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"-._:[]".contains(&b))
}

/// The strict parse behind [`Request::url`]; the error says what is wrong, never the input.
pub fn parse_url(input: &str) -> std::result::Result<Request, &'static str> {
    let s = input.trim();
    let s = s.strip_prefix("sparse+").unwrap_or(s);
    if s.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return Err("it contains whitespace or control characters");
    }
    if s.contains('\\') {
        return Err("it contains a backslash");
    }
    let (scheme, rest) = s
        .split_once("://")
        .ok_or("it does not start with http:// or https://")?;
    let scheme = match scheme.to_ascii_lowercase().as_str() {
        "http" => Scheme::Http,
        "https" => Scheme::Https,
        _ => return Err("its scheme is not http or https"),
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, hp)| hp);
    if host_port.is_empty() {
        return Err("it has no host");
    }
    if !is_authority(host_port) {
        return Err("its host has characters a host name cannot have (%, non-ASCII, ...)");
    }
    let (host, port) = match host_port.strip_prefix('[') {
        Some(v6) => {
            let (inside, after) = v6.split_once(']').ok_or("its IPv6 address has no `]`")?;
            (
                format!("[{inside}]"),
                after.strip_prefix(':').map(str::to_owned),
            )
        }
        None => match host_port.split_once(':') {
            Some((h, p)) => (h.to_owned(), Some(p.to_owned())),
            None => (host_port.to_owned(), None),
        },
    };
    let host = host.to_ascii_lowercase();
    if let Some(p) = &port
        && !(1..=5).contains(&p.len())
    {
        return Err("its port is not a number from 1 to 65535");
    }
    let url = url::Url::parse(s).map_err(|_| "it does not parse as a URL")?;
    // What the parser made of the host must be what was written: no decoding, no IDNA, no
    // `127.1` -> `127.0.0.1`.
    if url.host_str() != Some(host.as_str()) {
        return Err("its host is not in canonical form");
    }
    let port = url
        .port_or_known_default()
        .filter(|p| *p != 0)
        .ok_or("its port is not a number from 1 to 65535")?;
    // Nor of the path: a token scoped to `/repo/` must not answer for `/evil/../repo/` or
    // `/evil/%2e%2e/repo/`, which the parser resolves to `/repo/` but the client sends (and a
    // proxy may route) as written.
    let written = rest
        .get(authority.len()..)
        .unwrap_or("")
        .split(['?', '#'])
        .next()
        .unwrap_or("");
    if has_dot_segment(written) {
        return Err(
            "its path has a segment a server could resolve as `.` or `..` (plain, percent-encoded, with `;` parameters or `\\`)",
        );
    }
    let mut path = url.path().to_owned();
    if !path.ends_with('/') {
        path.push('/');
    }
    Ok(Request {
        scheme,
        host,
        port,
        path: Some(path),
    })
}

/// Most rounds of percent-decoding a path is checked through: a server decodes once, a proxy or
/// servlet container before it once more (`%252e%252e` is `..` after two); a path that still
/// changes after this many is refused rather than trusted.
const MAX_DECODING_ROUNDS: usize = 4;

/// Whether a path, as written, has a piece that some server could resolve as `.` or `..`, which
/// would walk a request out of the path a token is scoped to. The URL parser resolves plain and
/// `%2e` dots; Tomcat and Jetty (Artifactory, Nexus) drop `;` parameters, so `..;/` is `../`;
/// servers that decode `%2F` or `%5C` before resolving split `..%2f` into `..` and `/`; Windows
/// servers split on `\` and drop trailing dots and blanks (`.. ` and `...` are `..` there);
/// lenient decoders read `%c0%ae` (overlong UTF-8) or IIS's `%u002e` as a dot; Unicode
/// normalisation (NFKC) turns a fullwidth `．` or `‥` into dots. So the path is checked as
/// written and after each round of decoding, normalised, split on `/`, `\` and `;`, and no piece
/// may be only dots (trailing blanks aside); a NUL, overlong UTF-8 or `%uXXXX` is refused
/// outright. A piece that merely holds dots (`a..b`, `.well`) is served.
fn has_dot_segment(path: &str) -> bool {
    let mut text = path.to_owned();
    for _ in 0..=MAX_DECODING_ROUNDS {
        if walks(&text) || has_iis_escape(&text) {
            return true;
        }
        let bytes: Vec<u8> = percent_encoding::percent_decode_str(&text).collect();
        // NUL ends the path for some servers; 0xC0 and 0xC1 start only overlong encodings.
        if bytes.iter().any(|b| matches!(b, 0 | 0xC0 | 0xC1)) {
            return true;
        }
        let next = String::from_utf8_lossy(&bytes).into_owned();
        if next == text {
            return false;
        }
        text = next;
    }
    true
}

/// Whether `text`, normalised as NFKC, has a `/`, `\` or `;` separated piece made only of dots.
fn walks(text: &str) -> bool {
    let normalised = icu_normalizer::ComposingNormalizerBorrowed::new_nfkc().normalize(text);
    normalised.split(['/', '\\', ';']).any(|piece| {
        let piece = piece.trim_end_matches([' ', '\t']);
        !piece.is_empty() && piece.chars().all(|c| c == '.')
    })
}

/// Whether `text` holds IIS's `%uXXXX` escape, which no standard decoder knows.
fn has_iis_escape(text: &str) -> bool {
    text.as_bytes().windows(6).any(|w| {
        w[0] == b'%' && w[1].eq_ignore_ascii_case(&b'u') && w[2..].iter().all(u8::is_ascii_hexdigit)
    })
}

/// A configured `urls` entry, checked and normalised (`sparse+` dropped); config errors say why.
pub fn normalise_url(entry: &str) -> std::result::Result<String, String> {
    let parsed = parse_url(entry).map_err(|why| {
        format!(
            "`{}` is not a usable http(s) URL: {why}",
            crate::redact::url(entry)
        )
    })?;
    let bare = entry.trim();
    let bare = bare.strip_prefix("sparse+").unwrap_or(bare);
    let authority = bare.split_once("://").map_or("", |(_, r)| r);
    if authority
        .split(['/', '?', '#'])
        .next()
        .is_some_and(|a| a.contains('@'))
    {
        return Err(format!(
            "`{}` holds credentials: urls are matched by scheme, host, port and path only, and secrets never go in the config file",
            parsed.shown()
        ));
    }
    Ok(bare.to_owned())
}
