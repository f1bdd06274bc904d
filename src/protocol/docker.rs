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
use std::process::ExitCode;

use crate::config::{Config, Target};
use crate::error::{Code, Result};
use crate::resolve::{self, Request, Scheme};
use crate::service::Context;

/// Docker's own not-found text: its client compares stdout with it to tell "no credentials"
/// from a failure.
pub const NOT_FOUND: &str = "credentials not found in native keychain";
/// Largest stdin read: a registry URL.
const MAX_INPUT: u64 = 64 << 10;

/// Run one operation; every outcome is written to stdout as docker expects.
pub fn main(ctx: Result<Context>, op: Option<&str>) -> ExitCode {
    let mut input = String::new();
    let _ = std::io::stdin().take(MAX_INPUT).read_to_string(&mut input);
    let (text, ok) = match op {
        Some("get") => get(ctx, input.trim()),
        Some("list") => list(ctx),
        Some("store") | Some("erase") => ("not implemented".to_owned(), false),
        Some(other) => (
            format!("unknown operation `{other}`: expected get, list, store or erase"),
            false,
        ),
        None => (
            "usage: docker-credential-ecluse get|list|store|erase".to_owned(),
            false,
        ),
    };
    match crate::service::print(&format!("{text}\n")) {
        Ok(_) if ok => ExitCode::SUCCESS,
        _ => Code::Other.exit_code(),
    }
}

fn get(ctx: Result<Context>, server: &str) -> (String, bool) {
    let ctx = match ctx {
        Ok(ctx) => ctx,
        Err(e) => return (e.message, false),
    };
    let target = match target_for(&ctx.config, server) {
        Ok(Some(target)) => target,
        Ok(None) => return (NOT_FOUND.to_owned(), false),
        Err(e) => return (e.message, false),
    };
    let Some(username) = target.username.clone() else {
        return (
            format!(
                "target `{}` has no username: set `username` in its config section for docker",
                target.name
            ),
            false,
        );
    };
    match ctx.serve(&target, None, false) {
        Ok(served) => {
            let answer = Credentials {
                server_url: crate::redact::userinfo(server),
                username: &username,
                secret: served.entry.token.expose(),
            };
            (answer.to_json(), true)
        }
        Err(e) => (e.message, false),
    }
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

fn list(ctx: Result<Context>) -> (String, bool) {
    let ctx = match ctx {
        Ok(ctx) => ctx,
        Err(e) => return (e.message, false),
    };
    let mut registries = BTreeMap::new();
    for target in ctx.config.targets.values() {
        let Some(username) = &target.username else {
            continue;
        };
        for url in &target.urls {
            if let Ok(u) = Request::url(url)
                && (u.scheme == Scheme::Https || u.is_loopback())
            {
                registries.insert(registry_name(&u), username.clone());
            }
        }
    }
    (
        serde_json::to_string(&registries).expect("map serializes"),
        true,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

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
