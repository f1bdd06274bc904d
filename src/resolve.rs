//! Which target serves a request, so clients that hand over a URL need no target name. The one
//! rule every front-end follows: **a token goes only to a request whose scheme, host and port
//! its target was configured or derived for.**
//!
//! 1. A configured target whose `urls` entry has the request's scheme, host and port and the
//!    longest path prefix of the request's path. A request that names no path (git without
//!    `credential.useHttpPath`, docker) gets the *least* specific such entry, the one closest to
//!    covering the whole host. Two targets tied for it are ambiguous: an error (78) naming both,
//!    never a guess.
//! 2. Else, for an `https` request on port 443 only, a CodeArtifact host
//!    (`DOMAIN-OWNER.d.codeartifact.REGION.amazonaws.com`) becomes a `codeartifact` target for
//!    that domain, owner and region (username `aws`, 12 h), and an Artifact Registry host
//!    (`LOCATION-FORMAT.pkg.dev`) a `gcp` target (username `oauth2accesstoken`).
//! 3. Else no target: the front-end answers "no credentials", or `token --url` says how to add one.
//!
//! Requests are parsed strictly before anything is compared: the scheme must be `http` or
//! `https` followed by `://` (a `sparse+` prefix, cargo's, is ignored); a host with `\`, `%`,
//! whitespace, control or non-ASCII characters, or that the URL parser would rewrite (`127.1`,
//! IDNA look-alikes), is refused rather than normalised into a configured host. Userinfo, query
//! and fragment never take part and are never shown. Hosts compare case-insensitively; a missing
//! port is the scheme's default.
//!
//! Requests without a scheme: docker's registry (`host[:port]`) counts as `https`, which is what
//! docker speaks to a registry; so does `token --url host[:port]`. keyring's bare `host[:port]`
//! (pip's and uv's fallback after the URL) is not answered at all: pip sends it for an `http`
//! index as well as an `https` one, so it cannot tell which a token would travel over.

use std::time::Duration;

use crate::config::{Backend, Config, Seconds, Target};
use crate::error::{Error, Result};

/// Lifetime asked for on derived CodeArtifact targets: the longest the API gives.
pub const DERIVED_CODEARTIFACT_DURATION: Duration = Duration::from_secs(12 * 3600);
/// The only port a derived cloud target is served on: https's.
const DERIVED_PORT: u16 = 443;
/// Artifact Registry repository formats that appear in `LOCATION-FORMAT.pkg.dev` hosts.
const ARTIFACT_REGISTRY_FORMATS: [&str; 8] = [
    "docker", "python", "npm", "maven", "apt", "yum", "go", "generic",
];

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
        let request = parse_url(&format!("{protocol}://{host}/{}", path.unwrap_or(""))).ok()?;
        Some(match path {
            Some(_) => request,
            None => request.origin_only(),
        })
    }

    /// The same origin, path unknown.
    pub fn origin_only(self) -> Request {
        Request { path: None, ..self }
    }

    /// `scheme://host[:port]/path`, safe to print (no userinfo, query or fragment).
    pub fn shown(&self) -> String {
        let port = if self.port == self.scheme.default_port() {
            String::new()
        } else {
            format!(":{}", self.port)
        };
        format!(
            "{}://{}{port}{}",
            self.scheme.as_str(),
            self.host,
            self.path.as_deref().unwrap_or("/")
        )
    }

    fn same_origin(&self, other: &Request) -> bool {
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
fn parse_url(input: &str) -> std::result::Result<Request, &'static str> {
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

/// The `urls` entries of `target` that parse (all of them, in a validated config).
fn entries(target: &Target) -> impl Iterator<Item = Request> + '_ {
    target.urls.iter().filter_map(|u| parse_url(u).ok())
}

/// The target that serves `request`: `None` when none does; an error (78) when two targets
/// serve it equally well.
pub fn lookup(config: &Config, request: &Request) -> Result<Option<Target>> {
    // Per target, its best entry: the longest prefix of a known path, else the shortest path.
    let mut best: Option<(i64, &Target)> = None;
    let mut tied: Option<&Target> = None;
    for target in config.targets.values() {
        let score = entries(target)
            .filter(|e| e.same_origin(request))
            .filter_map(|e| {
                let len = e.path.as_deref().map_or(0, str::len) as i64;
                match request.path.as_deref() {
                    Some(p) => p.starts_with(e.path.as_deref()?).then_some(len),
                    None => Some(-len),
                }
            })
            .max();
        let Some(score) = score else { continue };
        match best {
            Some((s, _)) if s > score => {}
            Some((s, _)) if s == score => tied = Some(target),
            _ => {
                best = Some((score, target));
                tied = None;
            }
        }
    }
    if let (Some((_, a)), Some(b)) = (best, tied) {
        return Err(Error::config(format!(
            "targets `{}` and `{}` both serve {} equally well: make one of their `urls` entries more specific, or remove one",
            a.name,
            b.name,
            request.shown()
        )));
    }
    if let Some((_, target)) = best {
        return Ok(Some(target.clone()));
    }
    if request.scheme == Scheme::Https && request.port == DERIVED_PORT {
        return Ok(derive(config, &request.host));
    }
    Ok(None)
}

/// Whether `target`, named explicitly (`git-credential --target`, cargo's `--target`), may
/// answer `request`: a target with `urls` only for a request one of them covers; a derived
/// target only for its own host over https; a configured target without `urls` for whatever
/// its client was scoped to.
pub fn serves(config: &Config, target: &Target, request: &Request) -> bool {
    if target.urls.is_empty() {
        if config.targets.contains_key(&target.name) {
            return true;
        }
        return request.scheme == Scheme::Https
            && request.port == DERIVED_PORT
            && request.host == target.name;
    }
    entries(target).any(|e| {
        e.same_origin(request)
            && match (&request.path, &e.path) {
                (Some(p), Some(prefix)) => p.starts_with(prefix.as_str()),
                _ => true,
            }
    })
}

/// The target that serves `input` (a URL, or a bare `host[:port]` meaning https): for commands
/// that name a URL (`token --url`), where "none" is an error that says how to add one.
pub fn resolve(config: &Config, input: &str) -> Result<Target> {
    let request = if input.contains("://") {
        Request::url(input)?
    } else {
        Request::url_or_https_host(input)?
    };
    lookup(config, &request)?.ok_or_else(|| no_target(config, &request))
}

fn no_target(config: &Config, request: &Request) -> Error {
    let file = config.path.as_ref().map_or(
        "the config file (~/.config/ecluse-cred/config.toml)".to_owned(),
        |p| p.display().to_string(),
    );
    let shown = request.shown();
    Error::config(format!(
        "no target serves {shown}: add `urls = [\"{shown}\"]` to a [targets.NAME] section of {file}"
    ))
}

/// A target derived from a cloud registry host name (also how a derived target is found again
/// by its name, which is its host).
pub fn derive(config: &Config, host: &str) -> Option<Target> {
    let host = host.to_ascii_lowercase();
    let backend = codeartifact(&host).or_else(|| artifact_registry(&host))?;
    Some(Target {
        name: host,
        username: backend.default_username().map(str::to_owned),
        backend,
        urls: Vec::new(),
        policy: config.defaults.clone(),
    })
}

/// `DOMAIN-OWNER.d.codeartifact.REGION.amazonaws.com` (or `.amazonaws.com.cn`).
fn codeartifact(host: &str) -> Option<Backend> {
    let labels: Vec<&str> = host.split('.').collect();
    let suffix_ok = match labels.len() {
        6 => labels[4..] == ["amazonaws", "com"],
        7 => labels[4..] == ["amazonaws", "com", "cn"],
        _ => false,
    };
    if !suffix_ok || labels[1] != "d" || labels[2] != "codeartifact" || !is_region(labels[3]) {
        return None;
    }
    let (domain, owner) = labels[0].rsplit_once('-')?;
    if !(owner.len() == 12
        && owner.bytes().all(|b| b.is_ascii_digit())
        && is_codeartifact_domain(domain))
    {
        return None;
    }
    Some(Backend::Codeartifact {
        domain: domain.to_owned(),
        domain_owner: Some(owner.to_owned()),
        region: Some(labels[3].to_owned()),
        duration: Some(Seconds(DERIVED_CODEARTIFACT_DURATION)),
        profile: None,
    })
}

/// `LOCATION-FORMAT.pkg.dev`.
fn artifact_registry(host: &str) -> Option<Backend> {
    let labels: Vec<&str> = host.split('.').collect();
    if labels.len() != 3 || labels[1..] != ["pkg", "dev"] {
        return None;
    }
    let (location, format) = labels[0].rsplit_once('-')?;
    let location_ok = !location.is_empty()
        && location
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !location.starts_with('-');
    (location_ok && ARTIFACT_REGISTRY_FORMATS.contains(&format)).then_some(Backend::Gcp {
        scopes: None,
        lifetime: None,
    })
}

/// A CodeArtifact domain name: `[a-z][a-z0-9-]{0,48}[a-z0-9]`.
pub fn is_codeartifact_domain(s: &str) -> bool {
    let b = s.as_bytes();
    (2..=50).contains(&b.len())
        && b[0].is_ascii_lowercase()
        && b[b.len() - 1].is_ascii_alphanumeric()
        && !b[b.len() - 1].is_ascii_uppercase()
        && b.iter()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-')
}

/// An AWS region name such as `us-east-1`, `eu-central-2`, `us-gov-west-1`.
fn is_region(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    parts.len() >= 3
        && parts[..parts.len() - 1]
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_lowercase()))
        && parts[parts.len() - 1].bytes().all(|b| b.is_ascii_digit())
        && !parts[parts.len() - 1].is_empty()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn config() -> Config {
        crate::config::parse(
            r#"
            [targets.root]
            backend = "command"
            command = ["x"]
            urls = ["https://pkgs.example.com/"]
            [targets.npm]
            backend = "command"
            command = ["x"]
            urls = ["https://pkgs.example.com/npm/"]
            [targets.local]
            backend = "command"
            command = ["x"]
            urls = ["http://127.0.0.1:8080/index/", "https://registry.example.com/"]
            "#,
            Path::new("/etc/c.toml"),
        )
        .unwrap()
    }

    fn name(input: &str) -> String {
        resolve(&config(), input)
            .map(|t| t.name)
            .unwrap_or_else(|e| format!("error: {}", e.message))
    }

    #[test]
    fn configured_urls_match_by_longest_prefix_of_whole_segments() {
        let cases = [
            ("https://pkgs.example.com/npm/left-pad", "npm"),
            ("https://pkgs.example.com/npm", "npm"),
            ("https://pkgs.example.com/npmx/left-pad", "root"),
            ("https://PKGS.Example.COM/npm/x", "npm"),
            ("https://pkgs.example.com:443/pypi/simple/", "root"),
            ("sparse+http://127.0.0.1:8080/index/", "local"),
            ("http://127.0.0.1:8080/index/config.json", "local"),
            ("https://user:pw@pkgs.example.com/npm/?q=1", "npm"),
            ("HTTPS://pkgs.example.com/npm/x", "npm"),
            // A bare host[:port] means https.
            ("registry.example.com", "local"),
            ("registry.example.com:443", "local"),
        ];
        for (input, want) in cases {
            assert_eq!(name(input), want, "{input}");
        }
    }

    #[test]
    fn scheme_port_and_host_must_all_agree() {
        for input in [
            "http://pkgs.example.com/npm/",
            "https://pkgs.example.com:8443/npm/",
            "http://127.0.0.1:9090/index/",
            "http://127.0.0.1:8080/other/",
            "127.0.0.1",
            // A bare host:port is https, and `local` serves 127.0.0.1:8080 over http only.
            "127.0.0.1:8080",
            "http://registry.example.com/",
            "http://registry.example.com:443/",
            "http://pkgs.example.com:443/npm/",
            "registry.example.com:5000",
            "https://pkgs.example.com.evil.com/npm/",
        ] {
            assert!(
                name(input).starts_with("error: no target serves"),
                "{input}: {}",
                name(input)
            );
        }
    }

    #[test]
    fn codeartifact_urls_derive_a_target_for_domain_owner_and_region() {
        let t = resolve(&config(), "https://my-domain-111122223333.d.codeartifact.us-west-2.amazonaws.com/pypi/repo/simple/").unwrap();
        assert_eq!(
            t.name,
            "my-domain-111122223333.d.codeartifact.us-west-2.amazonaws.com"
        );
        assert_eq!(t.username.as_deref(), Some("aws"));
        assert_eq!(
            t.backend,
            Backend::Codeartifact {
                domain: "my-domain".into(),
                domain_owner: Some("111122223333".into()),
                region: Some("us-west-2".into()),
                duration: Some(Seconds(DERIVED_CODEARTIFACT_DURATION)),
                profile: None,
            }
        );
        let cargo = resolve(
            &config(),
            "sparse+https://Dom-111122223333.D.CodeArtifact.eu-central-1.amazonaws.com/cargo/r/",
        )
        .unwrap();
        assert_eq!(
            cargo.name,
            "dom-111122223333.d.codeartifact.eu-central-1.amazonaws.com"
        );
        assert!(
            resolve(
                &config(),
                "d1-111122223333.d.codeartifact.us-east-1.amazonaws.com"
            )
            .is_ok()
        );
        // The look-alike test's domain and owner, on the real host shape: it does derive.
        let real = "https://dom-111122223333.d.codeartifact.us-east-1.amazonaws.com/npm/r/";
        assert!(resolve(&config(), real).is_ok());
    }

    #[test]
    fn artifact_registry_urls_derive_a_gcp_target() {
        let t = resolve(
            &config(),
            "https://us-central1-python.pkg.dev/proj/repo/simple/",
        )
        .unwrap();
        assert_eq!(
            (t.name.as_str(), t.backend.kind()),
            ("us-central1-python.pkg.dev", "gcp")
        );
        assert_eq!(t.username.as_deref(), Some("oauth2accesstoken"));
        assert_eq!(
            resolve(&config(), "europe-docker.pkg.dev")
                .unwrap()
                .backend
                .kind(),
            "gcp"
        );
    }

    #[test]
    fn look_alike_hosts_and_plain_http_do_not_derive_targets() {
        for input in [
            "https://evil.com/x.d.codeartifact.us-east-1.amazonaws.com/npm/r/",
            "https://codeartifact.us-east-1.amazonaws.com.evil.com/npm/r/",
            "https://dom-111122223333.d.codeartifact.us-east-1.amazonaws.com.evil.com/npm/r/",
            "https://dom-111122223333.d.codeartifact.us-east-1.amazonaws.evil.com/npm/r/",
            "https://x.dom-111122223333.d.codeartifact.us-east-1.amazonaws.com/",
            "https://dom-11112222333.d.codeartifact.us-east-1.amazonaws.com/",
            "https://Bad_Domain-111122223333.d.codeartifact.us-east-1.amazonaws.com/",
            "https://dom-111122223333.d.codeartifact.useast1.amazonaws.com/",
            "http://dom-111122223333.d.codeartifact.us-east-1.amazonaws.com/npm/r/",
            "https://evil.com@dom-111122223333.d.codeartifact.us-east-1.amazonaws.com.evil.com/",
            "https://us-central1-python.pkg.dev.evil.com/p/r/",
            "https://evil.com/us-central1-python.pkg.dev/p/r/",
            "https://us-central1-videos.pkg.dev/p/r/",
            "http://us-central1-python.pkg.dev/p/r/",
            "https://a.us-central1-python.pkg.dev/",
        ] {
            assert!(
                name(input).starts_with("error: no target serves"),
                "{input}: {}",
                name(input)
            );
        }
    }

    #[test]
    fn unresolvable_input_says_how_to_add_a_target_without_echoing_credentials() {
        let msg = name("https://alice:hunter2@unknown.example.com/x/?token=abc");
        assert!(
            msg.contains("no target serves https://unknown.example.com/x/"),
            "{msg}"
        );
        assert!(
            msg.contains("urls = [\"https://unknown.example.com/x/\"]")
                && msg.contains("/etc/c.toml"),
            "{msg}"
        );
        assert!(!msg.contains("hunter2") && !msg.contains("abc"), "{msg}");
        assert!(name("ftp://x/").contains("not a usable http(s) URL"));
        let unparsable = name("https://u:SECRET@host:99999/x/");
        assert!(
            unparsable.contains("not a usable http(s) URL") && !unparsable.contains("SECRET"),
            "{unparsable}"
        );
    }

    #[test]
    fn hosts_a_parser_would_rewrite_are_refused_not_normalised() {
        for input in [
            "https://pkgs.example.com\\@evil.com/npm/",
            "https://evil.com\\pkgs.example.com/npm/",
            "https://pkgs%2eexample.com/npm/",
            "https://%70kgs.example.com/npm/",
            "https://pkgs.example.com%00.evil.com/npm/",
            "https://pkgs.example.com\u{0}/npm/",
            "https://pkgs.example.com\t/npm/",
            "https://ｐkgs.example.com/npm/",
            "https://pkgs.example.com /npm/",
            "https:/pkgs.example.com/npm/",
            "https:pkgs.example.com/npm/",
            "https://2130706433/",
            "https://127.1:8080/index/",
            "http://0x7f.0.0.1:8080/index/",
            "https://pkgs.example.com:0/npm/",
            "https://pkgs.example.com:/npm/",
            "https://pkgs.example.com:443443/npm/",
        ] {
            assert!(
                name(input).starts_with("error: "),
                "{input:?} resolved to {}",
                name(input)
            );
        }
    }

    #[test]
    fn a_request_without_a_path_gets_the_least_specific_entry_of_its_origin() {
        let c = config();
        let origin = |url: &str| Request::url(url).unwrap().origin_only();
        let got = |r: &Request| lookup(&c, r).unwrap().map(|t| t.name);
        assert_eq!(
            got(&origin("https://pkgs.example.com/")),
            Some("root".into())
        );
        // Only `npm` serves this origin on its own: it is the least specific there is.
        let only_npm = crate::config::parse(
            "[targets.npm]\nbackend = \"command\"\ncommand = [\"x\"]\nurls = [\"https://h.example/npm/\"]",
            Path::new("/c.toml"),
        )
        .unwrap();
        assert_eq!(
            lookup(&only_npm, &origin("https://h.example/"))
                .unwrap()
                .map(|t| t.name),
            Some("npm".into())
        );
        assert_eq!(
            lookup(&only_npm, &origin("http://h.example/"))
                .unwrap()
                .map(|t| t.name),
            None
        );
    }

    #[test]
    fn two_targets_serving_a_request_equally_well_are_an_error_naming_both() {
        let c = crate::config::parse(
            r#"
            [targets.a]
            backend = "command"
            command = ["x"]
            urls = ["https://h.example/npm/"]
            [targets.b]
            backend = "command"
            command = ["x"]
            urls = ["https://h.example/npm/", "https://h.example/pypi/"]
            "#,
            Path::new("/c.toml"),
        )
        .unwrap();
        for request in [
            Request::url("https://h.example/npm/x").unwrap(),
            Request::url("https://h.example/npm/")
                .unwrap()
                .origin_only(),
        ] {
            let e = lookup(&c, &request).unwrap_err();
            assert_eq!(e.code, crate::error::Code::Config);
            assert!(
                e.message.contains("`a`") && e.message.contains("`b`"),
                "{}",
                e.message
            );
        }
        let pypi = Request::url("https://h.example/pypi/simple/").unwrap();
        assert_eq!(lookup(&c, &pypi).unwrap().unwrap().name, "b");
    }

    #[test]
    fn cloud_targets_are_derived_for_https_on_port_443_only() {
        let host = "dom-111122223333.d.codeartifact.us-east-1.amazonaws.com";
        let c = config();
        for (input, derived) in [
            (format!("https://{host}/npm/r/"), true),
            (format!("https://{host}:443/npm/r/"), true),
            (host.to_string(), true),
            (format!("http://{host}/npm/r/"), false),
            (format!("http://{host}:443/npm/r/"), false),
            (format!("https://{host}:8443/npm/r/"), false),
            (format!("{host}:8443"), false),
        ] {
            assert_eq!(resolve(&c, &input).is_ok(), derived, "{input}");
        }
    }

    #[test]
    fn an_explicit_target_serves_only_what_its_urls_or_derived_host_cover() {
        let c = config();
        let npm = &c.targets["npm"];
        let r = |u: &str| Request::url(u).unwrap();
        assert!(serves(&c, npm, &r("https://pkgs.example.com/npm/x")));
        assert!(serves(
            &c,
            npm,
            &r("https://pkgs.example.com/").origin_only()
        ));
        assert!(!serves(&c, npm, &r("https://pkgs.example.com/pypi/")));
        assert!(!serves(&c, npm, &r("http://pkgs.example.com/npm/x")));
        assert!(!serves(&c, npm, &r("https://evil.example.com/npm/x")));
        let host = "us-central1-python.pkg.dev";
        let derived = c.target(host).unwrap();
        assert!(serves(&c, &derived, &r(&format!("https://{host}/p/r/"))));
        assert!(!serves(&c, &derived, &r(&format!("http://{host}/p/r/"))));
        assert!(!serves(&c, &derived, &r("https://evil.example.com/p/r/")));
    }

    #[test]
    fn git_fields_are_taken_as_given_or_refused() {
        assert_eq!(
            Request::git("https", "Git.Example.com:8443", Some("org/r.git")),
            Some(Request {
                scheme: Scheme::Https,
                host: "git.example.com".into(),
                port: 8443,
                path: Some("/org/r.git/".into()),
            })
        );
        assert_eq!(Request::git("https", "h", None).unwrap().path, None);
        for host in ["a@b", "a/b", "a\\b", "a%2eb", "a b", "", "a?b", "a#b"] {
            assert_eq!(Request::git("https", host, None), None, "{host}");
        }
        assert_eq!(Request::git("ssh", "h", None), None);
    }

    #[test]
    fn codeartifact_domain_names() {
        assert!(is_codeartifact_domain("my-domain"));
        assert!(is_codeartifact_domain("d1"));
        for bad in [
            "d",
            "1domain",
            "domain-",
            "Domain",
            "dom_ain",
            &"a".repeat(51),
        ] {
            assert!(!is_codeartifact_domain(bad), "{bad}");
        }
    }
}
