//! git credential helper protocol: `git-credential-ecluse get|store|erase` (a symlink, so
//! `credential.helper = ecluse` works; also `ecluse-cred git-credential OP`).
//!
//! git writes `key=value` lines (`protocol`, `host`, `path` with `useHttpPath`, `username`, …)
//! and, for `get`, reads `username=`, `password=` and `password_expiry_utc=` back: HTTP Basic,
//! which every git server takes. To a git (2.46+) that announces `capability[]=authtype` the
//! answer is marked `ephemeral=1` (no caching helper keeps it), and a `git_auth = "bearer"`
//! target answers `authtype=Bearer` and `credential=TOKEN` instead: git then sends
//! `Authorization: Bearer TOKEN`. A host no target serves gets no answer and exit 0, so git tries
//! its next helper; `store` and `erase` are no-ops, as is any operation git adds later.
//!
//! The request's `protocol`, `host` and port decide, as for every front-end (see
//! [`crate::resolve`]): an `https` target never answers `protocol=http`. Without `path` (git's
//! default, no `credential.useHttpPath`) the least specific target of that origin answers. With
//! `--target NAME` the named target answers only requests its `urls` (or derived host) cover.

use std::io::Read;
use std::process::ExitCode;

use crate::config::{Config, GitAuth, Target};
use crate::error::Result;
use crate::resolve::{self, Request};
use crate::service::Context;

/// The capability by which git (2.46+) takes `authtype`, `credential` and `ephemeral`.
const AUTHTYPE: &str = "authtype";
/// Largest request read.
const MAX_INPUT: u64 = 64 << 10;

pub fn main(ctx: Result<Context>, op: Option<&str>, target: Option<&str>) -> ExitCode {
    let mut input = String::new();
    let _ = std::io::stdin().take(MAX_INPUT).read_to_string(&mut input);
    if op != Some("get") {
        return ExitCode::SUCCESS;
    }
    match ctx
        .and_then(|ctx| get(&ctx, &input, target))
        .and_then(|answer| crate::service::print(&answer))
    {
        Ok(code) => code,
        Err(e) => crate::error::report(&e),
    }
}

/// The value of `key` in a request: the last one given, as git itself reads a repeated key
/// (`credential_read` overwrites).
pub(crate) fn field<'a>(request: &'a str, key: &str) -> Option<&'a str> {
    request
        .lines()
        .take_while(|l| !l.is_empty())
        .filter_map(|l| l.split_once('='))
        .filter(|(k, _)| *k == key)
        .map(|(_, v)| v)
        .last()
}

/// The answer to `get`: empty when no target serves the request.
pub fn get(ctx: &Context, request: &str, explicit: Option<&str>) -> Result<String> {
    let Some(target) = target_for(&ctx.config, request, explicit)? else {
        return Ok(String::new());
    };
    // A user this target does not serve: no answer, so git asks its next helper.
    let Some(username) =
        super::username_for(field(request, "username"), target.username.as_deref())
    else {
        return Ok(String::new());
    };
    let served = ctx.serve(&target, None, false)?;
    Ok(answer(request, &target, &username, &served))
}

/// The `get` answer for a served token. To a git that announces `capability[]=authtype`
/// (2.46+): the capability echoed, `ephemeral=1` so that no later helper caches the token, and
/// for a `git_auth = "bearer"` target `authtype=Bearer` with `credential=TOKEN`. Otherwise
/// HTTP Basic, which every git sends.
fn answer(
    request: &str,
    target: &Target,
    username: &str,
    served: &crate::engine::Served,
) -> String {
    let token = served.entry.token.expose();
    let expiry = served.entry.expires_at.div_euclid(1000);
    if !capabilities(request).any(|c| c == AUTHTYPE) {
        return format!("username={username}\npassword={token}\npassword_expiry_utc={expiry}\n");
    }
    let credential = match target.git_auth {
        GitAuth::Bearer => format!("authtype=Bearer\ncredential={token}\n"),
        GitAuth::Basic => format!("username={username}\npassword={token}\n"),
    };
    format!("capability[]={AUTHTYPE}\n{credential}password_expiry_utc={expiry}\nephemeral=1\n")
}

/// The `capability[]` values of a request.
fn capabilities(request: &str) -> impl Iterator<Item = &str> {
    request
        .lines()
        .take_while(|l| !l.is_empty())
        .filter_map(|l| l.strip_prefix("capability[]="))
}

/// The target that answers the request (`None`: no answer, git asks its next helper).
pub fn target_for(
    config: &Config,
    request: &str,
    explicit: Option<&str>,
) -> Result<Option<Target>> {
    let (Some(protocol), Some(host)) = (field(request, "protocol"), field(request, "host")) else {
        return Ok(None);
    };
    let Some(request) = Request::git(protocol, host, field(request, "path")) else {
        return Ok(None);
    };
    match explicit {
        Some(name) => {
            let target = resolve::target(config, name)?;
            Ok(resolve::serves(config, &target, &request).then_some(target))
        }
        None => resolve::lookup(config, &request),
    }
}
