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

use crate::config::Target;
use crate::context::Context;
use crate::error::{Reply, Result};
use crate::request::{Request, Scheme};
use crate::resolve;
use crate::secret::Secret;

/// Largest stdin read (a response's status line and headers).
const MAX_INPUT: u64 = 64 << 10;

/// One exchange: the URL go was refused (none on go's first call) and, with it, the response
/// go hands over on `stdin` (read only then).
pub fn exchange(ctx: Result<Context>, url: Option<&str>, stdin: &mut dyn Read) -> Result<Reply> {
    let input = match url {
        Some(_) => super::read_input(stdin, MAX_INPUT),
        None => String::new(),
    };
    let ctx = ctx?;
    match url {
        None => Ok(initial(&ctx)),
        Some(url) => for_url(&ctx, url, &input),
    }
    .map(Reply::Stdout)
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
    use crate::protocol::testing::{broken, one_target, reopen, stdout};

    const URLS: &str = "urls = [\"https://goproxy.example.com/\"]";

    #[test]
    fn the_first_call_names_only_cached_tokens_and_a_refused_url_gets_its_set() {
        let (dir, ctx) = one_target(URLS);
        let mut stdin = &b""[..];
        assert_eq!(stdout(exchange(Ok(ctx), None, &mut stdin)), "");
        let mut response = &b"HTTP/1.1 401 Unauthorized\n\n"[..];
        let url = "https://goproxy.example.com/example.com/m/@v/list";
        let set = stdout(exchange(Ok(reopen(&dir, URLS)), Some(url), &mut response));
        assert_eq!(
            set,
            "https://goproxy.example.com/\n\nAuthorization: Bearer tok-1\n\n"
        );
        assert!(response.is_empty(), "go's response is read");
        // Now cached: the first call of the next go names it, without a mint.
        assert_eq!(
            stdout(exchange(Ok(reopen(&dir, URLS)), None, &mut stdin)),
            set
        );
        for other in [
            "https://other.example.com/x",
            "http://goproxy.example.com/x",
        ] {
            let answer = exchange(Ok(reopen(&dir, URLS)), Some(other), &mut &b""[..]);
            assert_eq!(stdout(answer), "", "{other}");
        }
        let e = exchange(broken(), None, &mut &b""[..]).unwrap_err();
        assert_eq!(e.code, crate::error::Code::Config);
    }

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
