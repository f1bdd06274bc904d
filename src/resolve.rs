//! Which target serves a URL, so clients that hand over a URL need no target name:
//!
//! 1. the configured target whose `urls` entry is the longest prefix of the URL;
//! 2. else a CodeArtifact URL (`https://DOMAIN-OWNER.d.codeartifact.REGION.amazonaws.com/...`)
//!    becomes a `codeartifact` target for that domain, owner and region (username `aws`, 12 h);
//! 3. else an Artifact Registry URL (`https://LOCATION-FORMAT.pkg.dev/...`) becomes a `gcp`
//!    target (username `oauth2accesstoken`);
//! 4. else a configuration error that says how to add a target.
//!
//! Hosts compare case-insensitively; a `sparse+` prefix (cargo) is ignored; a bare `host[:port]`
//! (docker, keyring's fallback) matches a `urls` entry with that host and port. Derived targets
//! require `https` and are named after their host, which gives them their own cache entries.

use std::time::Duration;

use crate::config::{Backend, Config, Seconds, Target};
use crate::error::{Error, Result};

/// Lifetime asked for on derived CodeArtifact targets: the longest the API gives.
pub const DERIVED_CODEARTIFACT_DURATION: Duration = Duration::from_secs(12 * 3600);
/// Artifact Registry repository formats that appear in `LOCATION-FORMAT.pkg.dev` hosts.
const ARTIFACT_REGISTRY_FORMATS: [&str; 8] = [
    "docker", "python", "npm", "maven", "apt", "yum", "go", "generic",
];

/// A URL, or a bare `host[:port]`, as the matching needs it.
#[derive(Debug, PartialEq)]
struct Location {
    /// `None` for a bare `host[:port]`.
    scheme: Option<String>,
    host: String,
    /// The explicit port, or the scheme's default.
    port: Option<u16>,
    /// Always ends in `/`, so prefixes compare by whole path segments.
    path: String,
}

impl Location {
    fn parse(input: &str) -> Option<Location> {
        let s = input.trim();
        let s = s.strip_prefix("sparse+").unwrap_or(s);
        if s.contains("://") {
            let url = url::Url::parse(s).ok()?;
            if !matches!(url.scheme(), "http" | "https") {
                return None;
            }
            let mut path = url.path().to_owned();
            if !path.ends_with('/') {
                path.push('/');
            }
            return Some(Location {
                scheme: Some(url.scheme().to_owned()),
                host: url.host_str()?.to_ascii_lowercase(),
                port: url.port_or_known_default(),
                path,
            });
        }
        // A bare host[:port]: parse it as the authority of a URL to get the same host rules.
        if s.is_empty() || s.contains(['/', '@', '?', '#', ' ']) {
            return None;
        }
        let url = url::Url::parse(&format!("scheme-less://{s}")).ok()?;
        Some(Location {
            scheme: None,
            host: url.host_str()?.to_ascii_lowercase(),
            port: url.port(),
            path: "/".into(),
        })
    }

    /// How well this configured `urls` entry serves `input`: the length of the matched prefix.
    fn serves(&self, input: &Location) -> Option<usize> {
        if self.host != input.host {
            return None;
        }
        match &input.scheme {
            Some(scheme) => (Some(scheme) == self.scheme.as_ref()
                && self.port == input.port
                && input.path.starts_with(&self.path))
            .then_some(self.path.len()),
            // A bare host: the same port, where "no port" means the entry's default port.
            None => {
                let default = self
                    .scheme
                    .as_deref()
                    .and_then(url::Url::parse_default_port);
                (input.port.or(default) == self.port).then_some(0)
            }
        }
    }

    /// The URL without credentials, query or fragment: safe to print.
    fn shown(&self) -> String {
        let default = self
            .scheme
            .as_deref()
            .and_then(url::Url::parse_default_port);
        let port = self
            .port
            .filter(|p| Some(*p) != default)
            .map(|p| format!(":{p}"))
            .unwrap_or_default();
        match &self.scheme {
            Some(scheme) => format!("{scheme}://{}{port}{}", self.host, self.path),
            None => format!("{}{port}", self.host),
        }
    }
}

trait DefaultPort {
    fn parse_default_port(scheme: &str) -> Option<u16>;
}

impl DefaultPort for url::Url {
    fn parse_default_port(scheme: &str) -> Option<u16> {
        url::Url::parse(&format!("{scheme}://x"))
            .ok()?
            .port_or_known_default()
    }
}

/// The target that serves `input` (a URL or bare `host[:port]`).
pub fn resolve(config: &Config, input: &str) -> Result<Target> {
    let Some(location) = Location::parse(input) else {
        return Err(Error::config(format!(
            "`{}` is not an http(s) URL or host[:port]",
            input
                .chars()
                .filter(|c| !c.is_control())
                .take(200)
                .collect::<String>()
        )));
    };
    let mut best: Option<(usize, &Target)> = None;
    for target in config.targets.values() {
        for entry in target.urls.iter().filter_map(|u| Location::parse(u)) {
            if let Some(score) = entry.serves(&location)
                && best.is_none_or(|(s, _)| score > s)
            {
                best = Some((score, target));
            }
        }
    }
    if let Some((_, target)) = best {
        return Ok(target.clone());
    }
    if location.scheme.as_deref() != Some("http")
        && let Some(target) = derive(config, &location.host)
    {
        return Ok(target);
    }
    let file = config.path.as_ref().map_or(
        "the config file (~/.config/ecluse-cred/config.toml)".to_owned(),
        |p| p.display().to_string(),
    );
    let prefix = match &location.scheme {
        Some(_) => location.shown(),
        None => format!("https://{}/", location.shown()),
    };
    Err(Error::config(format!(
        "no target serves {}: add `urls = [\"{prefix}\"]` to a [targets.NAME] section of {file}",
        location.shown()
    )))
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
            // Bare host[:port], as docker and keyring's fallback give it.
            ("registry.example.com", "local"),
            ("127.0.0.1:8080", "local"),
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
        assert!(name("ftp://x/").contains("not an http(s) URL"));
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
