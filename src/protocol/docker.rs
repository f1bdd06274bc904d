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
//! [`crate::resolve`]): an `http`-only target is never handed to docker.
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
/// matched as `https`.
pub fn target_for(config: &Config, server: &str) -> Result<Option<Target>> {
    let Ok(request) = Request::url_or_https_host(server) else {
        return Ok(None);
    };
    resolve::lookup(config, &request)
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
                && u.scheme == Scheme::Https
            {
                let key = if u.port == Scheme::Https.default_port() {
                    u.host
                } else {
                    format!("{}:{}", u.host, u.port)
                };
                registries.insert(key, username.clone());
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
