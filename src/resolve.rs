//! Which target serves a request, so clients that hand over a URL need no target name. The one
//! rule every front-end follows: **a token goes only to a request whose scheme, host and port
//! its target was configured or derived for.**
//!
//! 1. A configured target whose `urls` entry has the request's scheme, host and port and the
//!    longest path prefix of the request's path. A request that names no path (git without
//!    `credential.useHttpPath`, docker, Terraform) goes to the whole host, so only an entry for
//!    the whole host (path `/`) serves it: a token scoped to `https://H/npm/` is never handed to
//!    a client that will send it to any path of `H`. Two targets tied for it are ambiguous: an
//!    error (78) naming both, never a guess.
//! 2. Else, for an `https` request on port 443 only, a CodeArtifact host
//!    (`DOMAIN-OWNER.d.codeartifact.REGION.amazonaws.com`) becomes a `codeartifact` target for
//!    that domain, owner and region (username `aws`, 12 h), and an Artifact Registry host
//!    (`LOCATION-FORMAT.pkg.dev`) a `gcp` target (username `oauth2accesstoken`).
//! 3. Else no target: the front-end answers "no credentials", or `token --url` says how to add one.
//!
//! Requests are parsed strictly before anything is compared ([`crate::request`]). Hosts compare
//! case-insensitively; a missing port is the scheme's default.
//!
//! Requests without a scheme: docker's registry (`host[:port]`) counts as `https`, which is what
//! docker speaks to a registry (but for the machine itself, one of docker's built-in insecure
//! registries: see [`crate::protocol::docker`]); so does `token --url host[:port]`. keyring's bare `host[:port]`
//! (pip's and uv's fallback after the URL) is not answered at all: pip sends it for an `http`
//! index as well as an `https` one, so it cannot tell which a token would travel over.

use crate::cloud_hosts::for_cloud_host;
use crate::config::{Config, Target};
use crate::error::{Error, Result};
use crate::request::{Request, Scheme, parse_url};

/// The only port a derived cloud target is served on: https's.
const DERIVED_PORT: u16 = 443;

/// The `urls` entries of `target` that parse (all of them, in a validated config).
fn entries(target: &Target) -> impl Iterator<Item = Request> + '_ {
    target.urls.iter().filter_map(|u| parse_url(u).ok())
}

/// The target that serves `request`: `None` when none does; an error (78) when two targets
/// serve it equally well.
pub fn lookup(config: &Config, request: &Request) -> Result<Option<Target>> {
    // Per target, its best entry: the longest prefix of a known path; without a path, an entry
    // for the whole host.
    let mut best: Option<(i64, &Target)> = None;
    let mut tied: Option<&Target> = None;
    for target in config.targets.values() {
        let score = entries(target)
            .filter(|e| e.same_origin(request))
            .filter_map(|e| {
                let len = e.path.as_deref().map_or(0, str::len) as i64;
                match request.path.as_deref() {
                    Some(p) => p.starts_with(e.path.as_deref()?).then_some(len),
                    None => covers_host(&e).then_some(0),
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

/// Whether an entry covers its whole host (path `/`): the only kind that may answer a request
/// that names no path, which the client may send to any path of the host.
fn covers_host(entry: &Request) -> bool {
    entry.path.as_deref().is_none_or(|p| p == "/")
}

/// Whether `target`, named explicitly (`git-credential --target`, cargo's `--target`), may
/// answer `request`: a target with `urls` only for a request one of them covers (a request
/// without a path only by an entry for the whole host); a derived target only for its own host
/// over https; a configured target without `urls` for whatever its client was scoped to.
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
                (None, _) => covers_host(&e),
                (Some(_), None) => true,
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

/// Why no target serves `request`, once, with the fix: the target that nearly serves it and what
/// differs (scheme, port, path), or the exact line to add and where.
fn no_target(config: &Config, request: &Request) -> Error {
    let shown = request.shown();
    let line = format!("urls = [\"{shown}\"]");
    let file = config.file_to_edit();
    if let Some((target, entry)) = config
        .targets
        .values()
        .flat_map(|t| entries(t).map(move |e| (t, e)))
        .find(|(_, e)| e.host == request.host)
    {
        let near = format!(
            "no target serves {shown}: target `{}` serves {}",
            target.name,
            entry.shown()
        );
        // Never advice that would send a token somewhere weaker or wider: plain http for an
        // https registry, or a whole host for a target kept to a path.
        if request.scheme == crate::request::Scheme::Http && entry.scheme != request.scheme {
            return Error::config(format!(
                "{near}, over https: a token is never sent over plain http to an https registry; use {}",
                entry.shown()
            ));
        }
        if request.path.is_none() {
            return Error::config(format!(
                "{near}, below a path, and this request names none: a client that names no path (docker, Terraform, git without useHttpPath) is answered only by a target for the whole host (`https://{}/`), which may send the token anywhere on it",
                request.host
            ));
        }
        let differs = if entry.scheme != request.scheme {
            "another scheme"
        } else if entry.port != request.port {
            "another port"
        } else {
            "a path outside it"
        };
        return Error::config(format!(
            "{near}, and this URL has {differs}; if it is the same registry, add \"{shown}\" to the `urls` of [targets.{}] in {file}",
            target.name
        ));
    }
    let names: Vec<&str> = config.targets.keys().map(String::as_str).collect();
    Error::config(match names.as_slice() {
        [] if config.path.is_none() => format!(
            "no target serves {shown}: {}; then put `{line}` in its target",
            config.file_hint()
        ),
        [] => format!(
            "no target serves {shown}: {file} has no [targets.NAME] section; add one that mints this registry's token, with `{line}`"
        ),
        [one] if config.targets[*one].urls.is_empty() => format!(
            "no target serves {shown}: add `{line}` to [targets.{one}] in {file} (if its token is for this registry), or a target of its own"
        ),
        [one] => format!(
            "no target serves {shown}: add \"{shown}\" to the `urls` of [targets.{one}] in {file} (if its token is for this registry), or a target of its own"
        ),
        many => format!(
            "no target serves {shown}: add `{line}` (or add the URL to its `urls`) in the section of the target whose token is for this registry ({}) in {file}",
            many.join(", ")
        ),
    })
}

/// A target derived from a cloud registry host name (also how a derived target is found again
/// by its name, which is its host).
pub fn derive(config: &Config, host: &str) -> Option<Target> {
    let host = host.to_ascii_lowercase();
    let backend = for_cloud_host(&host)?;
    Some(Target {
        name: host,
        username: backend.default_username().map(str::to_owned),
        backend,
        urls: Vec::new(),
        policy: config.defaults.clone(),
        git_auth: crate::config::GitAuth::Basic,
        fleet: config.fleet.is_some(),
    })
}

/// A configured target by name, or a derived one by its host name: what `--target NAME` means.
pub fn target(config: &Config, name: &str) -> Result<Target> {
    if let Some(target) = config.targets.get(name) {
        return Ok(target.clone());
    }
    derive(config, name).ok_or_else(|| {
        let name = crate::redact::text(name);
        let known: Vec<&str> = config.targets.keys().map(String::as_str).collect();
        Error::config(match (&config.path, known.as_slice()) {
            (None, _) => format!("unknown target `{name}`: {}", config.file_hint()),
            (Some(path), []) => format!(
                "unknown target `{name}`: config {} has no [targets.{name}] section (nor any other); `ecluse-cred init --print` shows one to start from",
                path.display()
            ),
            (Some(path), known) => format!(
                "unknown target `{name}` in config {} (its targets: {})",
                path.display(),
                known.join(", ")
            ),
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cloud_hosts::DERIVED_CODEARTIFACT_DURATION;
    use crate::config::{Backend, Seconds};
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
        let china = "https://dom-111122223333.d.codeartifact.cn-north-1.amazonaws.com.cn/npm/r/";
        assert!(resolve(&config(), china).is_ok());
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
            // A region of one AWS partition on the other partition's domain.
            "https://dom-111122223333.d.codeartifact.us-east-1.amazonaws.com.cn/npm/r/",
            "https://dom-111122223333.d.codeartifact.cn-north-1.amazonaws.com/npm/r/",
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
    fn a_request_without_a_path_is_served_only_by_an_entry_for_the_whole_host() {
        let c = config();
        let origin = |url: &str| Request::url(url).unwrap().origin_only();
        let got = |r: &Request| lookup(&c, r).unwrap().map(|t| t.name);
        assert_eq!(
            got(&origin("https://pkgs.example.com/")),
            Some("root".into())
        );
        // Only `npm` serves this origin, and only below /npm/: a client that names no path may
        // send the token anywhere on the host, so it gets none.
        let only_npm = crate::config::parse(
            "[targets.npm]\nbackend = \"command\"\ncommand = [\"x\"]\nurls = [\"https://h.example/npm/\"]",
            Path::new("/c.toml"),
        )
        .unwrap();
        assert_eq!(
            lookup(&only_npm, &origin("https://h.example/"))
                .unwrap()
                .map(|t| t.name),
            None
        );
        assert!(!serves(
            &only_npm,
            &only_npm.targets["npm"],
            &origin("https://h.example/")
        ));
        // With a path below its entry, it is served.
        assert!(serves(
            &only_npm,
            &only_npm.targets["npm"],
            &Request::url("https://h.example/npm/x").unwrap()
        ));
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
        let e = lookup(&c, &Request::url("https://h.example/npm/x").unwrap()).unwrap_err();
        assert_eq!(e.code, crate::error::Code::Config);
        assert!(
            e.message.contains("`a`") && e.message.contains("`b`"),
            "{}",
            e.message
        );
        let pypi = Request::url("https://h.example/pypi/simple/").unwrap();
        assert_eq!(lookup(&c, &pypi).unwrap().unwrap().name, "b");
        // Two entries for the whole host tie for a request without a path.
        let both = crate::config::parse(
            "[targets.a]\nbackend = \"command\"\ncommand = [\"x\"]\nurls = [\"https://h.example/\"]\n[targets.b]\nbackend = \"command\"\ncommand = [\"x\"]\nurls = [\"https://h.example/\"]\n",
            Path::new("/c.toml"),
        )
        .unwrap();
        let e = lookup(
            &both,
            &Request::url("https://h.example/").unwrap().origin_only(),
        )
        .unwrap_err();
        assert!(
            e.message.contains("`a`") && e.message.contains("`b`"),
            "{}",
            e.message
        );
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
        assert!(!serves(
            &c,
            npm,
            &r("https://pkgs.example.com/").origin_only()
        ));
        assert!(serves(
            &c,
            &c.targets["root"],
            &r("https://pkgs.example.com/").origin_only()
        ));
        assert!(!serves(&c, npm, &r("https://pkgs.example.com/pypi/")));
        assert!(!serves(&c, npm, &r("http://pkgs.example.com/npm/x")));
        assert!(!serves(&c, npm, &r("https://evil.example.com/npm/x")));
        let host = "us-central1-python.pkg.dev";
        let derived = target(&c, host).unwrap();
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
}
