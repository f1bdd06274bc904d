//! The rule every front-end follows, as a property over random configs and random requests: a
//! token is only ever handed to a request whose scheme, host and port a target was configured or
//! derived for, whichever front-end the request comes through (`token --url`, pip's and uv's
//! keyring, git's helper with and without `--target`, docker's helper, cargo's provider with and
//! without `--target`, Bazel's credential helper, GOAUTH, Terraform's helper, npm's registry
//! check), and a request whose host a URL parser would have to rewrite (`\`, `%`, control
//! characters, non-ASCII, `127.1`), or whose path walks out of where it points (`..;/`,
//! `..%2f`, `%2e%2e%5c`, ...), gets no token at all.
//!
//! The oracle is built from the generator's own structured view of the config and the request,
//! not from the URL parsing under test.

use std::path::Path;

use ecluse_cred::config::{self, Config, Target};
use ecluse_cred::protocol::{bazel, cargo, docker, git, goauth, keyring, terraform};
use ecluse_cred::resolve;
use proptest::prelude::*;

const CA_HOST: &str = "dom-111122223333.d.codeartifact.us-east-1.amazonaws.com";
const AR_HOST: &str = "us-central1-python.pkg.dev";
const HOSTS: [&str; 6] = [
    "pkgs.example.com",
    "evil.example.com",
    "127.0.0.1",
    "[::1]",
    CA_HOST,
    AR_HOST,
];
const PORTS: [Option<u16>; 5] = [None, Some(443), Some(80), Some(8443), Some(8080)];
const PATHS: [&str; 5] = ["/", "/npm/", "/npm/left-pad", "/pypi/simple/", "/index/"];

/// Scheme, host and port as the generator meant them.
#[derive(Debug, Clone, PartialEq)]
struct Origin {
    https: bool,
    host: &'static str,
    port: Option<u16>,
}

impl Origin {
    fn port(&self) -> u16 {
        self.port.unwrap_or(if self.https { 443 } else { 80 })
    }

    fn scheme(&self) -> &'static str {
        if self.https { "https" } else { "http" }
    }

    fn same(&self, other: &Origin) -> bool {
        self.https == other.https && self.host == other.host && self.port() == other.port()
    }
}

fn origin() -> impl Strategy<Value = Origin> {
    (
        any::<bool>(),
        prop::sample::select(&HOSTS[..]),
        prop::sample::select(&PORTS[..]),
    )
        .prop_map(|(https, host, port)| Origin { https, host, port })
}

/// A configured `urls` entry.
#[derive(Debug, Clone)]
struct Entry {
    origin: Origin,
    path: &'static str,
}

impl Entry {
    fn url(&self) -> String {
        let port = self
            .origin
            .port
            .map(|p| format!(":{p}"))
            .unwrap_or_default();
        format!(
            "{}://{}{port}{}",
            self.origin.scheme(),
            self.origin.host,
            self.path
        )
    }
}

/// Up to three targets `t0`, `t1`, `t2`, each with one or two entries.
fn targets() -> impl Strategy<Value = Vec<Vec<Entry>>> {
    let entry = (origin(), prop::sample::select(&PATHS[..]))
        .prop_map(|(origin, path)| Entry { origin, path });
    prop::collection::vec(prop::collection::vec(entry, 1..=2), 1..=3)
}

fn config_of(targets: &[Vec<Entry>]) -> Config {
    let mut text = String::new();
    for (i, entries) in targets.iter().enumerate() {
        let urls: Vec<String> = entries.iter().map(|e| format!("\"{}\"", e.url())).collect();
        text.push_str(&format!(
            "[targets.t{i}]\nbackend = \"command\"\ncommand = [\"x\"]\nurls = [{}]\n",
            urls.join(", ")
        ));
    }
    config::parse(&text, Path::new("routing.toml")).expect("generated config parses")
}

/// How the request's host is written: as is (in any case), or in a way a parser would rewrite.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Spelling {
    Plain,
    Upper,
    Backslash,
    PercentDot,
    PercentFirst,
    Control,
    Space,
    Fullwidth,
    ShortIpv4,
}

impl Spelling {
    /// Whether the host must be refused rather than compared.
    fn refused(self, host: &str) -> bool {
        match self {
            Spelling::Plain | Spelling::Upper => false,
            Spelling::ShortIpv4 => host == "127.0.0.1",
            Spelling::PercentDot => host.contains('.') && !host.starts_with('['),
            Spelling::Fullwidth => host.starts_with(|c: char| c.is_ascii_lowercase()),
            _ => true,
        }
    }

    fn write(self, host: &str) -> String {
        match self {
            Spelling::Plain => host.to_owned(),
            Spelling::Upper => host.to_ascii_uppercase(),
            Spelling::Backslash => format!("evil.example.com\\@{host}"),
            Spelling::PercentDot => host.replacen('.', "%2e", 1),
            Spelling::PercentFirst => format!("%{:02x}{}", host.as_bytes()[0], &host[1..]),
            Spelling::Control => format!("{host}\u{0}"),
            Spelling::Space => format!("{} {}", &host[..1], &host[1..]),
            Spelling::Fullwidth => match host.chars().next() {
                Some(c) if c.is_ascii_lowercase() => {
                    let wide = char::from_u32(c as u32 - 'a' as u32 + 0xFF41).unwrap();
                    format!("{wide}{}", &host[1..])
                }
                _ => host.to_owned(),
            },
            Spelling::ShortIpv4 if host == "127.0.0.1" => "127.1".to_owned(),
            Spelling::ShortIpv4 => host.to_owned(),
        }
    }
}

fn spelling() -> impl Strategy<Value = Spelling> {
    prop::sample::select(vec![
        Spelling::Plain,
        Spelling::Plain,
        Spelling::Upper,
        Spelling::Backslash,
        Spelling::PercentDot,
        Spelling::PercentFirst,
        Spelling::Control,
        Spelling::Space,
        Spelling::Fullwidth,
        Spelling::ShortIpv4,
    ])
}

/// Path pieces that some server resolves as `..` or `.` (the URL parser, Tomcat/Jetty's `;`
/// parameters, servers that decode `%2F`/`%5C` first, a proxy that decodes once more): a
/// request whose path holds one may walk out of a path-scoped target, so it gets no token.
const WALKS: [&str; 12] = [
    "../",
    "./",
    "..;/",
    "..;jsessionid=x/",
    "..%2f",
    "..%2F",
    "%2e%2e%2f",
    "..%5c",
    "%2e%2e/",
    ".%2e/",
    "%252e%252e/",
    "..%252f",
];

#[derive(Debug, Clone)]
struct Req {
    origin: Origin,
    path: &'static str,
    /// A walk out of `path`, followed by `evil/`.
    walk: Option<&'static str>,
    spelling: Spelling,
    /// Userinfo before the host: none, credentials, or another host name (`a@b` is host `b`).
    userinfo: &'static str,
}

impl Req {
    /// Whether a front-end must refuse the request (`sees_path`: it is given the path).
    fn refused(&self, sees_path: bool) -> bool {
        self.spelling.refused(self.origin.host) || (sees_path && self.walk.is_some())
    }

    fn path(&self) -> String {
        match self.walk {
            None => self.path.to_owned(),
            Some(walk) => format!("{}/{walk}evil/", self.path.trim_end_matches('/')),
        }
    }

    fn authority(&self) -> String {
        let port = self
            .origin
            .port
            .map(|p| format!(":{p}"))
            .unwrap_or_default();
        format!("{}{port}", self.spelling.write(self.origin.host))
    }

    fn url(&self) -> String {
        format!(
            "{}://{}{}{}",
            self.origin.scheme(),
            self.userinfo,
            self.authority(),
            self.path()
        )
    }

    /// git's request for this URL: git hands its helper the path decoded once.
    fn git(&self, with_path: bool) -> String {
        let path = if with_path {
            let decoded = percent_encoding::percent_decode_str(&self.path())
                .decode_utf8_lossy()
                .into_owned();
            format!("path={}\n", decoded.trim_start_matches('/'))
        } else {
            String::new()
        };
        format!(
            "protocol={}\nhost={}\n{path}\n",
            self.origin.scheme(),
            self.authority()
        )
    }
}

fn request() -> impl Strategy<Value = Req> {
    (
        origin(),
        prop::sample::select(&PATHS[..]),
        spelling(),
        prop::sample::select(vec!["", "", "user:SECRET@", "pkgs.example.com@"]),
        prop::option::weighted(0.3, prop::sample::select(&WALKS[..])),
    )
        .prop_map(|(origin, path, spelling, userinfo, walk)| Req {
            origin,
            path,
            walk,
            spelling,
            userinfo,
        })
}

/// The oracle: `served` may answer a request for `origin` only if one of its configured entries
/// has that scheme, host and port (for a request without a path, which the client may send
/// anywhere on the host, an entry for the whole host, path `/`), or it is the target derived
/// from that host over https:443.
fn allowed(targets: &[Vec<Entry>], served: &Target, origin: &Origin, sees_path: bool) -> bool {
    let configured = served
        .name
        .strip_prefix('t')
        .and_then(|i| i.parse::<usize>().ok())
        .and_then(|i| targets.get(i));
    match configured {
        Some(entries) => entries
            .iter()
            .any(|e| e.origin.same(origin) && (sees_path || e.path == "/")),
        None => {
            origin.https
                && origin.port() == 443
                && [CA_HOST, AR_HOST].contains(&origin.host)
                && served.name == origin.host
        }
    }
}

/// Check one front-end's answer against the oracle.
fn check(
    front_end: &str,
    targets: &[Vec<Entry>],
    req: &Req,
    origin: Option<&Origin>,
    answer: Result<Option<Target>, String>,
) -> Result<(), TestCaseError> {
    let Ok(Some(served)) = answer else {
        return Ok(());
    };
    // Front-ends given a URL or git's path see the path; the others only the host.
    let sees_path = !front_end.contains("HOST") && !front_end.starts_with("git no path");
    prop_assert!(
        !req.refused(sees_path),
        "{front_end}: {req:?} should have been refused, got target `{}`",
        served.name
    );
    let Some(origin) = origin else {
        return Err(TestCaseError::fail(format!(
            "{front_end}: a request whose scheme it cannot know got target `{}`: {req:?}",
            served.name
        )));
    };
    prop_assert!(
        allowed(targets, &served, origin, sees_path),
        "{front_end}: {} answered {req:?} (origin {origin:?}) but serves only {:?}",
        served.name,
        served.urls
    );
    Ok(())
}

fn cargo_answer(config: &Config, url: &str, name: Option<&str>) -> Result<Option<Target>, String> {
    cargo::target_for(config, url, name).map_err(|e| e.to_string())
}

fn err(e: ecluse_cred::error::Error) -> String {
    e.message
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn a_token_goes_only_to_the_scheme_host_and_port_its_target_serves(
        targets in targets(),
        req in request(),
    ) {
        let config = config_of(&targets);
        // Userinfo (even `pkgs.example.com@`) never changes the host the request goes to.
        let origin = req.origin.clone();
        let url = req.url();
        let bare = req.authority();
        // A bare host[:port] means https to docker and `token --url`.
        let as_https = Origin { https: true, ..origin.clone() };

        check("token --url", &targets, &req, Some(&origin),
            resolve::resolve(&config, &url).map(Some).map_err(err))?;
        if req.userinfo.is_empty() {
            check("token --url HOST", &targets, &req, Some(&as_https),
                resolve::resolve(&config, &bare).map(Some).map_err(err))?;
        }
        check("keyring URL", &targets, &req, Some(&origin),
            keyring::target_for(&config, &url).map_err(err))?;
        check("keyring HOST", &targets, &req, None,
            keyring::target_for(&config, &bare).map_err(err))?;
        check("docker URL", &targets, &req, Some(&origin),
            docker::target_for(&config, &url).map_err(err))?;
        if req.userinfo.is_empty() {
            // docker's built-in insecure registries: a loopback host that no https target
            // serves is reached over http, on the port given (80 without one).
            let answer = docker::target_for(&config, &bare).map_err(err);
            let as_http = Origin { https: false, ..origin.clone() };
            let loopback = ["127.0.0.1", "[::1]"].contains(&origin.host);
            let via = match &answer {
                Ok(Some(t)) if loopback && !allowed(&targets, t, &as_https, false) => &as_http,
                _ => &as_https,
            };
            check("docker HOST", &targets, &req, Some(via), answer)?;
        }
        check("cargo", &targets, &req, Some(&origin),
            cargo_answer(&config, &format!("sparse+{url}"), None))?;
        check("bazel", &targets, &req, Some(&origin),
            bazel::target_for(&config, &url).map_err(err))?;
        // GOAUTH is https only; an http request gets nothing.
        let goauth = goauth::target_for(&config, &url).map_err(err);
        if !origin.https {
            prop_assert!(matches!(goauth, Ok(None)), "goauth answered http: {req:?}");
        }
        check("goauth", &targets, &req, Some(&origin), goauth)?;
        // Terraform names a host, always over https.
        check("terraform HOST", &targets, &req, Some(&as_https),
            terraform::target_for(&config, &bare).map_err(err))?;
        for (with_path, front_end) in [(true, "git"), (false, "git no path")] {
            let request = req.git(with_path);
            check(front_end, &targets, &req, Some(&origin),
                git::target_for(&config, &request, None).map_err(err))?;
            for i in 0..targets.len() {
                let name = format!("t{i}");
                check(front_end, &targets, &req, Some(&origin),
                    git::target_for(&config, &request, Some(&name)).map_err(err))?;
            }
        }
        for i in 0..targets.len() {
            let name = format!("t{i}");
            check("cargo --target", &targets, &req, Some(&origin),
                cargo_answer(&config, &format!("sparse+{url}"), Some(&name)))?;
            // `exec --npm-registry` and `npmrc --registry` (and kubectl's cluster) check the
            // named target against the URL with these two calls before minting.
            let named = &config.targets[&name];
            check("npm --registry", &targets, &req, Some(&origin),
                ecluse_cred::request::Request::url(&url)
                    .map(|r| resolve::serves(&config, named, &r).then(|| named.clone()))
                    .map_err(err))?;
        }
        // Derived targets named explicitly serve their own host only.
        for host in [CA_HOST, AR_HOST] {
            check("git no path --target CLOUD", &targets, &req, Some(&origin),
                git::target_for(&config, &req.git(false), Some(host)).map_err(err))?;
        }
    }

    /// The other half of the rule: a clean request that exactly one target covers gets that
    /// target from every front-end above that can name its origin (those given a bare host or
    /// https only, when it is https; docker's bare loopback host also over http), `--target`
    /// forms included; one for a cloud registry host that no target serves gets the derived one.
    #[test]
    fn a_clean_request_is_served_by_the_one_target_that_covers_its_origin(
        mut targets in targets(),
        pick in any::<prop::sample::Index>(),
        path in prop::sample::select(&PATHS[..]),
        upper in any::<bool>(),
        cloud in prop::sample::select(vec![None, None, Some(CA_HOST), Some(AR_HOST)]),
    ) {
        // The request is for the origin of a picked entry, which is made one for the whole
        // host, so that its target covers it (unless another target serves the origin too).
        let at = pick.index(targets.iter().map(Vec::len).sum());
        let picked = targets.iter_mut().flatten().nth(at).expect("a picked entry");
        picked.path = "/";
        let origin = match cloud {
            Some(host) => Origin { https: true, host, port: None },
            None => picked.origin.clone(),
        };
        let config = config_of(&targets);
        let req = Req {
            origin,
            path,
            walk: None,
            spelling: if upper { Spelling::Upper } else { Spelling::Plain },
            userinfo: "",
        };
        let serving: Vec<usize> = (0..targets.len())
            .filter(|&i| targets[i].iter().any(|e| e.origin.same(&req.origin)))
            .collect();
        let covering: Vec<usize> = serving
            .iter()
            .copied()
            .filter(|&i| targets[i].iter().any(|e| e.origin.same(&req.origin) && e.path == "/"))
            .collect();
        if covering.len() == 1 && serving.len() == 1 {
            let want = format!("t{}", covering[0]);
            // docker's bare loopback host falls back to http only when no target has an https
            // entry for it: then the http target is the one to answer.
            let as_https = Origin { https: true, ..req.origin.clone() };
            let https_served = targets.iter().flatten().any(|e| e.origin.same(&as_https));
            let docker_bare = req.origin.https
                || (["127.0.0.1", "[::1]"].contains(&req.origin.host) && !https_served);
            for (front_end, got) in every_front_end(&config, &req, &want) {
                let must_answer = match front_end {
                    "token --url HOST" | "terraform HOST" | "goauth" => req.origin.https,
                    "docker HOST" => docker_bare,
                    _ => true,
                };
                if must_answer {
                    prop_assert_eq!(got, Ok(Some(want.clone())), "{} for {:?}", front_end, req);
                }
            }
        }
        if serving.is_empty() && let Some(host) = cloud {
            for (front_end, got) in every_front_end(&config, &req, host) {
                prop_assert_eq!(got, Ok(Some(host.to_owned())), "{} for {:?}", front_end, req);
            }
        }
    }
}

/// What every front-end the safety property drives answers for the clean request `req` (no
/// userinfo, no walk, plain or upper-case host): the name of the target it picks. `name` is the
/// target the `--target` forms (git, cargo, and npm's and kubectl's named target) are given.
fn every_front_end(
    config: &Config,
    req: &Req,
    name: &str,
) -> Vec<(&'static str, Result<Option<String>, String>)> {
    let url = req.url();
    let bare = req.authority();
    let index = format!("sparse+{url}");
    let named = |t: Result<Option<Target>, String>| t.map(|t| t.map(|t| t.name));
    let mut answers = vec![
        (
            "token --url",
            resolve::resolve(config, &url).map(Some).map_err(err),
        ),
        (
            "token --url HOST",
            resolve::resolve(config, &bare).map(Some).map_err(err),
        ),
        (
            "keyring URL",
            keyring::target_for(config, &url).map_err(err),
        ),
        ("docker URL", docker::target_for(config, &url).map_err(err)),
        (
            "docker HOST",
            docker::target_for(config, &bare).map_err(err),
        ),
        ("cargo", cargo_answer(config, &index, None)),
        ("cargo --target", cargo_answer(config, &index, Some(name))),
        ("bazel", bazel::target_for(config, &url).map_err(err)),
        ("goauth", goauth::target_for(config, &url).map_err(err)),
        (
            "terraform HOST",
            terraform::target_for(config, &bare).map_err(err),
        ),
        (
            "npm --registry",
            resolve::target(config, name)
                .map_err(err)
                .and_then(|target| {
                    ecluse_cred::request::Request::url(&url)
                        .map(|r| resolve::serves(config, &target, &r).then_some(target))
                        .map_err(err)
                }),
        ),
    ]
    .into_iter()
    .map(|(front_end, answer)| (front_end, named(answer)))
    .collect::<Vec<_>>();
    for (with_path, front_end, explicit) in [
        (true, "git", None),
        (false, "git no path", None),
        (true, "git --target", Some(name)),
        (false, "git no path --target", Some(name)),
    ] {
        let answer = git::target_for(config, &req.git(with_path), explicit).map_err(err);
        answers.push((front_end, named(answer)));
    }
    answers
}

/// A target scoped to a path answers only for that path as the client sends it: never for a
/// path that reaches it through `.`/`..` segments, plain or percent-encoded, which the URL
/// parser would resolve but the client sends (and a proxy may route) as written. git hands its
/// helper the path already decoded (`%2F` is then a `/`).
#[test]
fn a_path_reaching_a_scoped_target_through_dot_segments_gets_no_token() {
    let config = config::parse(
        "[targets.repo]\nbackend = \"command\"\ncommand = [\"x\"]\nurls = [\"https://pkgs.example.com/repo/\"]\n",
        Path::new("routing.toml"),
    )
    .unwrap();
    let name =
        |t: Result<Option<Target>, ecluse_cred::error::Error>| t.ok().flatten().map(|t| t.name);
    let good = "https://pkgs.example.com/repo/simple/";
    assert_eq!(
        name(keyring::target_for(&config, good)),
        Some("repo".into())
    );
    for path in [
        "/evil/../repo/",
        "/evil/%2e%2e/repo/",
        "/evil/%2E%2E/repo/",
        "/evil/.%2e/repo/",
        "/evil/..%2F/repo/",
        "/./repo/",
        "/repo/./",
        // What Tomcat/Jetty (`;` parameters), servers that decode `%2F`/`%5C` before resolving,
        // and a proxy that decodes once more would each resolve upward.
        "/repo/..;/evil/",
        "/repo/..;x=1/evil/",
        "/repo/.;/x/",
        "/repo/..%2fevil/",
        "/repo/..%2Fevil/",
        "/repo/%2e%2e%2fevil/",
        "/repo/..%5cevil/",
        "/repo/%2e%2e%5Cevil/",
        "/repo/%252e%252e/evil/",
        "/repo/..%252fevil/",
        "/repo/x;/..;/..;/evil/",
        // Windows drops trailing dots and blanks; lenient decoders read overlong UTF-8 and IIS's
        // %u; NFKC makes dots of fullwidth and leader dots; a NUL ends the path; a third round.
        "/repo/.../evil/",
        "/repo/%2e%2e%2e/evil/",
        "/repo/..%20/evil/",
        "/repo/..%00/evil/",
        "/repo/%c0%ae%c0%ae/evil/",
        "/repo/%u002e%u002e/evil/",
        "/repo/%ef%bc%8e%ef%bc%8e/evil/",
        "/repo/%e2%80%a5/evil/",
        "/repo/%25252e%25252e/evil/",
    ] {
        let url = format!("https://pkgs.example.com{path}");
        assert_eq!(
            name(keyring::target_for(&config, &url)),
            None,
            "keyring {url}"
        );
        assert!(
            resolve::resolve(&config, &url).is_err(),
            "token --url {url}"
        );
        assert_eq!(name(bazel::target_for(&config, &url)), None, "bazel {url}");
        assert_eq!(
            name(goauth::target_for(&config, &url)),
            None,
            "goauth {url}"
        );
        let index = format!("sparse+{url}");
        assert!(
            cargo_answer(&config, &index, None).ok().flatten().is_none(),
            "cargo {url}"
        );
    }
    for decoded in [
        "evil/../repo/x.git",
        "evil/./../repo/x.git",
        "repo/../repo/x.git",
        "repo/..;/evil/x.git",
        "repo/..%2fevil/x.git",
        "repo/..%5cevil/x.git",
        "repo/%2e%2e%2fevil/x.git",
        // `%3F`, `%23` decoded by git: not the end of the path, the `..` after them counts.
        "repo?/../../evil/x",
        "repo#/../../evil/x",
    ] {
        let request = format!("protocol=https\nhost=pkgs.example.com\npath={decoded}\n\n");
        assert_eq!(
            name(git::target_for(&config, &request, None)),
            None,
            "git {decoded}"
        );
    }
    // What the parser merely percent-encodes, or leaves encoded, is no rewrite: still served.
    for path in [
        "/repo/grüppe/simple/",
        "/repo/group%2Fproject/",
        "/repo/a..b/",
        "/repo/.well/",
        "/repo/a;b/",
        "/repo/;x=..y/",
        "/repo/@scope%2fpkg",
        "/repo/a..b%2fc/",
        "/repo/%ef%bd%86%ef%bd%8f%ef%bd%8f/",
        "/repo/caf%c3%a9/",
        "/repo/100%25/",
    ] {
        let url = format!("https://pkgs.example.com{path}");
        assert_eq!(
            name(keyring::target_for(&config, &url)),
            Some("repo".into()),
            "{url}"
        );
    }
    for path in [
        "repo/x.git",
        "repo/grüppe.git",
        "repo/My Project/_git/x",
        "repo/100%/x",
        "repo/a..b;c/x.git",
    ] {
        let request = format!("protocol=https\nhost=pkgs.example.com\npath={path}\n\n");
        assert_eq!(
            name(git::target_for(&config, &request, None)),
            Some("repo".into()),
            "{path}"
        );
    }
}
