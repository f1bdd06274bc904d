//! Go's GOAUTH (go >= 1.24): `GOAUTH="ecluse-cred goauth"`. go runs the command once, before its
//! first HTTPS fetch, with no argument; and again with the URL as its last argument (the 4xx
//! response's status line and headers on stdin) when a server answers any 4xx. The answer is
//! zero or more credential sets: the `https://` URL prefixes they cover, a blank line, header
//! lines, a blank line. go attaches the headers to every HTTPS request under a prefix, so a set
//! names only the target's own https `urls` (or a derived target's `https://HOST/`).
//!
//! - No argument: a set for every target whose cached token is usable now; no mint, no network
//!   (go runs this on every invocation, before it knows which modules it needs).
//! - With a URL: the target that serves it (https only, the same scheme, host and port rule as
//!   everywhere); its token, minted if needed, whatever the 4xx (a registry may answer an
//!   anonymous request with 404). go probes module path prefixes, several at once: they share
//!   one mint under the target's lock, then the cache.
//!
//! The header is `Authorization: Basic` with the target's username where it has one, else
//! `Bearer`. Nothing is printed for a URL no target serves. Errors go to stderr (go shows them
//! with `go -x`) with a non-zero exit, and go carries on without credentials.

use std::io::Read;
use std::process::ExitCode;

use crate::config::Target;
use crate::error::Result;
use crate::resolve::{self, Request, Scheme};
use crate::secret::Secret;
use crate::service::Context;

/// Largest stdin read (a response's status line and headers).
const MAX_INPUT: u64 = 64 << 10;

pub fn main(ctx: Result<Context>, url: Option<&str>) -> ExitCode {
    let mut input = String::new();
    if url.is_some() {
        let _ = std::io::stdin().take(MAX_INPUT).read_to_string(&mut input);
    }
    let answer = ctx.and_then(|ctx| match url {
        None => Ok(initial(&ctx)),
        Some(url) => for_url(&ctx, url, &input),
    });
    match answer.and_then(|text| crate::service::print(&text)) {
        Ok(code) => code,
        Err(e) => crate::error::report(&e),
    }
}

/// One credential set.
pub fn credential_set(prefixes: &[String], target: &Target, token: &Secret) -> String {
    if prefixes.is_empty() {
        return String::new();
    }
    format!(
        "{}\n\nAuthorization: {}\n\n",
        prefixes.join("\n"),
        super::authorization(target, token)
    )
}

/// The first call: every target with a usable cached token.
fn initial(ctx: &Context) -> String {
    let mut targets: Vec<Target> = ctx.config.targets.values().cloned().collect();
    for stem in crate::cache::cached_stems(&ctx.cache_dir).unwrap_or_default() {
        if !ctx.config.targets.contains_key(&stem)
            && let Some(derived) = resolve::derive(&ctx.config, &stem)
        {
            targets.push(derived);
        }
    }
    targets
        .iter()
        .filter_map(|t| {
            let prefixes = super::https_prefixes(&ctx.config, t);
            if prefixes.is_empty() {
                return None;
            }
            let entry = ctx.cached(t)?;
            Some(credential_set(&prefixes, t, &entry.token))
        })
        .collect()
}

/// The HTTP status of the response go hands over (`HTTP/1.1 404 Not Found`).
pub(crate) fn status(input: &str) -> Option<u16> {
    input
        .lines()
        .next()?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

/// The target that answers for `url` (https only; `None`: no credential set).
pub fn target_for(config: &crate::config::Config, url: &str) -> Result<Option<Target>> {
    match Request::url(url) {
        Ok(request) if request.scheme == Scheme::Https => resolve::lookup(config, &request),
        _ => Ok(None),
    }
}

fn for_url(ctx: &Context, url: &str, input: &str) -> Result<String> {
    let Some(target) = target_for(&ctx.config, url)? else {
        return Ok(String::new());
    };
    let prefixes = super::https_prefixes(&ctx.config, &target);
    // Any 4xx, 404 included: a registry may hide what an anonymous caller must not see behind
    // a 404. Concurrent probes share one mint (single-flight), then the cache.
    let _ = status(input);
    let token = ctx.serve(&target, None, false)?.entry.token;
    Ok(credential_set(&prefixes, &target, &token))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_credential_set_is_exactly_what_go_parses() {
        let config = crate::config::parse(
            "[targets.t]\nbackend = \"command\"\ncommand = [\"x\"]\nurls = [\"https://goproxy.example.com/\", \"https://h.example:8443/go/\", \"http://h.example/\"]",
            std::path::Path::new("/c.toml"),
        )
        .unwrap();
        let t = &config.targets["t"];
        let prefixes = super::super::https_prefixes(&config, t);
        assert_eq!(
            credential_set(&prefixes, t, &Secret::new("tok-1".into())),
            "https://goproxy.example.com/\nhttps://h.example:8443/go/\n\nAuthorization: Bearer tok-1\n\n"
        );
        let mut with_user = t.clone();
        with_user.username = Some("aws".into());
        assert_eq!(
            credential_set(
                &["https://h/".into()],
                &with_user,
                &Secret::new("tok".into())
            ),
            "https://h/\n\nAuthorization: Basic YXdzOnRvaw==\n\n"
        );
        assert_eq!(status("HTTP/1.1 404 Not Found\nDate: x\n\n"), Some(404));
        assert_eq!(status(""), None);
    }
}
