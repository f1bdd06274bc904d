//! Docker credential helper protocol: `docker-credential-ecluse get|list|store|erase` (a
//! symlink; also `ecluse-cred docker-credential OP`). Docker sends one argument and, for `get`,
//! the registry on stdin without a newline; answers and errors go to stdout.
//!
//! - `get`: `{"ServerURL":…,"Username":…,"Secret":TOKEN}`; a registry no target serves: exit 1
//!   with exactly `credentials not found in native keychain` (docker then goes on anonymously).
//! - `list`: `{"<registry host>":"<username>",…}` for the configured targets' `https` `urls`.
//!
//! Docker names a registry by `host[:port]` (or a URL) without saying which scheme it will use;
//! it speaks https to registries, so a scheme-less request is matched as `https` (see
//! [`crate::resolve`]). The one exception is docker's built-in insecure registries, the machine
//! itself (`localhost`, `127.0.0.0/8`, `[::1]`), which docker, podman and skopeo reach over plain
//! http: a scheme-less request for a loopback host that no `https` target serves is matched as
//! `http` on the same port. Any other `http`-only target is never handed to docker.
//! - `store`, `erase`: exit 1, `not implemented` (tokens come from the backend, not from docker).

use std::collections::BTreeMap;
use std::io::Read;

use crate::config::{Config, Target};
use crate::context::Context;
use crate::error::{Error, Reply, Result};
use crate::request::{Request, Scheme};
use crate::resolve;

/// Docker's own not-found text: its client compares stdout with it to tell "no credentials"
/// from a failure.
pub const NOT_FOUND: &str = "credentials not found in native keychain";
/// Largest stdin read: a registry URL.
const MAX_INPUT: u64 = 64 << 10;

/// One exchange: docker's operation (`op`) and what it writes on `stdin` (read whatever the
/// operation). Every outcome is one line on stdout, as docker reads it: the answer, or the
/// failure with exit 1 ([`Reply::FailureOnStdout`]), a broken configuration included.
pub fn exchange(ctx: Result<Context>, op: Option<&str>, stdin: &mut dyn Read) -> Reply {
    let input = super::read_input(stdin, MAX_INPUT);
    let answer = match op {
        Some("get") => ctx.and_then(|ctx| get(&ctx, input.trim())),
        Some("list") => ctx.map(|ctx| list(&ctx)),
        Some("store") | Some("erase") => Err(Error::other("not implemented")),
        Some(other) => Err(Error::other(format!(
            "unknown operation `{other}`: expected get, list, store or erase"
        ))),
        None => Err(Error::other(
            "usage: docker-credential-ecluse get|list|store|erase",
        )),
    };
    match answer {
        Ok(text) => Reply::Stdout(format!("{text}\n")),
        Err(e) => Reply::FailureOnStdout(format!("{}\n", e.chain())),
    }
}

fn get(ctx: &Context, server: &str) -> Result<String> {
    let Some(target) = target_for(&ctx.config, server)? else {
        return Err(Error::other(NOT_FOUND));
    };
    let Some(username) = target.username.as_deref() else {
        return Err(Error::other(format!(
            "target `{}` has no username: set `username` in its config section for docker",
            target.name
        )));
    };
    let served = ctx.serve(&target, None, false)?;
    Ok(Credentials {
        server_url: crate::redact::userinfo(server),
        username,
        secret: served.entry.token.expose(),
    }
    .to_json())
}

/// `get`'s answer, as docker-credential-helpers defines it.
#[derive(serde::Serialize)]
struct Credentials<'a> {
    #[serde(rename = "ServerURL")]
    server_url: String,
    #[serde(rename = "Username")]
    username: &'a str,
    #[serde(rename = "Secret")]
    secret: &'a str,
}

impl Credentials<'_> {
    fn to_json(&self) -> String {
        serde_json::to_string(self).expect("credentials serialize")
    }
}

/// The target that answers `get` for `server` (`None`: not found): a bare `host[:port]` is
/// matched as `https`, and, for a loopback host that no https target serves, as `http`.
pub fn target_for(config: &Config, server: &str) -> Result<Option<Target>> {
    let Ok(request) = Request::url_or_https_host(server) else {
        return Ok(None);
    };
    let https = resolve::lookup(config, &request)?;
    if https.is_some() || server.contains("://") || !request.is_loopback() {
        return Ok(https);
    }
    // Without a port docker means https's 443 and, falling back, http's 80.
    let port_given = server
        .trim()
        .rsplit_once(']')
        .map_or(server, |(_, p)| p)
        .contains(':');
    let mut http = request.over_http();
    if !port_given {
        http.port = Scheme::Http.default_port();
    }
    resolve::lookup(config, &http)
}

/// How docker names the registry of a request: `host`, or `host:port` off the scheme's default.
pub fn registry_name(request: &Request) -> String {
    if request.port == request.scheme.default_port() {
        request.host.clone()
    } else {
        format!("{}:{}", request.host, request.port)
    }
}

fn list(ctx: &Context) -> String {
    let mut registries = BTreeMap::new();
    for target in ctx.config.targets.values() {
        let Some(username) = &target.username else {
            continue;
        };
        for url in &target.urls {
            // docker sends a registry's token to any path of its host: only entries for the
            // whole host are offered.
            if let Ok(u) = Request::url(url)
                && (u.scheme == Scheme::Https || u.is_loopback())
                && u.path.as_deref().is_none_or(|p| p == "/")
            {
                registries.insert(registry_name(&u), username.clone());
            }
        }
    }
    serde_json::to_string(&registries).expect("map serializes")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::testing::{broken, one_target};

    /// Target `t`: docker's registry, with the username docker needs.
    const REGISTRY: &str = "urls = [\"https://registry.example.com/\"]\nusername = \"aws\"";

    fn ask(ctx: Result<Context>, op: Option<&str>, stdin: &str) -> Reply {
        exchange(ctx, op, &mut stdin.as_bytes())
    }

    #[test]
    fn get_answers_on_stdout_and_every_failure_is_a_line_on_stdout_exiting_1() {
        let (_dir, ctx) = one_target(REGISTRY);
        assert_eq!(
            ask(Ok(ctx), Some("get"), "registry.example.com"),
            Reply::Stdout(
                "{\"ServerURL\":\"registry.example.com\",\"Username\":\"aws\",\"Secret\":\"tok-1\"}\n"
                    .into()
            )
        );
        let (_dir, ctx) = one_target(REGISTRY);
        assert_eq!(
            ask(Ok(ctx), Some("get"), "other.example.com\n"),
            Reply::FailureOnStdout(format!("{NOT_FOUND}\n"))
        );
        let (_dir, ctx) = one_target("urls = [\"https://registry.example.com/\"]");
        assert_eq!(
            ask(Ok(ctx), Some("get"), "registry.example.com"),
            Reply::FailureOnStdout(
                "target `t` has no username: set `username` in its config section for docker\n"
                    .into()
            )
        );
        assert_eq!(
            ask(broken(), Some("get"), "registry.example.com"),
            Reply::FailureOnStdout("config /c.toml: broken\n".into())
        );
        for (op, text) in [
            (Some("store"), "not implemented"),
            (Some("erase"), "not implemented"),
            (
                Some("frob"),
                "unknown operation `frob`: expected get, list, store or erase",
            ),
            (None, "usage: docker-credential-ecluse get|list|store|erase"),
        ] {
            let (_dir, ctx) = one_target(REGISTRY);
            assert_eq!(
                ask(Ok(ctx), op, "{}"),
                Reply::FailureOnStdout(format!("{text}\n")),
                "{op:?}"
            );
        }
    }

    #[test]
    fn list_names_the_registries_with_their_usernames() {
        let (_dir, ctx) = one_target(REGISTRY);
        assert_eq!(
            ask(Ok(ctx), Some("list"), ""),
            Reply::Stdout("{\"registry.example.com\":\"aws\"}\n".into())
        );
    }

    fn served(urls: &str, server: &str) -> Option<String> {
        let config = crate::config::parse(
            &format!(
                "[targets.https]\nbackend = \"command\"\ncommand = [\"x\"]\nurls = [\"https://127.0.0.1:5443/\"]\n[targets.http]\nbackend = \"command\"\ncommand = [\"x\"]\nurls = [{urls}]\n"
            ),
            std::path::Path::new("/c.toml"),
        )
        .unwrap();
        target_for(&config, server).unwrap().map(|t| t.name)
    }

    #[test]
    fn a_scheme_less_loopback_registry_is_answered_for_its_http_target() {
        let urls = r#""http://127.0.0.1:5000/", "http://[::1]:5000/", "http://localhost/", "http://127.0.0.2:5000/""#;
        for server in [
            "127.0.0.1:5000",
            "[::1]:5000",
            "localhost",
            "127.0.0.2:5000",
        ] {
            assert_eq!(served(urls, server).as_deref(), Some("http"), "{server}");
        }
        // An https target of the same host and port comes first, as docker tries https first.
        assert_eq!(served(urls, "127.0.0.1:5443").as_deref(), Some("https"));
        // Another port, or a URL that says https, is not the http target.
        for server in [
            "127.0.0.1:5001",
            "127.0.0.1",
            "https://127.0.0.1:5000",
            "localhost:5000",
        ] {
            assert_eq!(served(urls, server), None, "{server}");
        }
    }

    #[test]
    fn a_scheme_less_registry_off_the_loopback_address_is_never_answered_over_http() {
        let urls = r#""http://registry.example.com:5000/", "http://10.0.0.1:5000/", "http://localhost.example.com:5000/""#;
        for server in [
            "registry.example.com:5000",
            "10.0.0.1:5000",
            "localhost.example.com:5000",
        ] {
            assert_eq!(served(urls, server), None, "{server}");
        }
        assert_eq!(
            served(urls, "http://registry.example.com:5000").as_deref(),
            Some("http"),
            "a URL that says http is taken at its word"
        );
    }

    #[test]
    fn get_answers_exactly_what_docker_reads() {
        let answer = Credentials {
            server_url: "registry.example.com".into(),
            username: "aws",
            secret: "tok-1",
        };
        assert_eq!(
            answer.to_json(),
            r#"{"ServerURL":"registry.example.com","Username":"aws","Secret":"tok-1"}"#
        );
    }
}
