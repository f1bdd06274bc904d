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

use crate::config::{Config, GitAuth, Target};
use crate::context::Context;
use crate::error::{Reply, Result};
use crate::resolve;

/// The capability by which git (2.46+) takes `authtype`, `credential` and `ephemeral`.
const AUTHTYPE: &str = "authtype";
/// Largest request read.
const MAX_INPUT: u64 = 64 << 10;

/// One exchange: git's operation (`op`), the `--target` named on our command line, and git's
/// request on `stdin`, read whatever the operation (git writes it to every helper). Only `get`
/// answers; `store`, `erase` and any later operation are no-ops.
pub fn exchange(
    ctx: Result<Context>,
    op: Option<&str>,
    explicit: Option<&str>,
    stdin: &mut dyn Read,
) -> Result<Reply> {
    let input = super::read_input(stdin, MAX_INPUT);
    if op != Some("get") {
        return Ok(Reply::Stdout(String::new()));
    }
    get(&ctx?, &Request::parse(&input), explicit).map(Reply::Stdout)
}

/// git's request, parsed once: the attributes this helper reads. git's other attributes
/// (`password`, `wwwauth[]`, ...) are ignored; a repeated key is the last one given, as git
/// itself reads a repeated key (`credential_read` overwrites). The request ends at a blank line.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Request<'a> {
    /// `http` or `https` (any other protocol is not answered).
    pub protocol: Option<&'a str>,
    /// `host[:port]`.
    pub host: Option<&'a str>,
    /// The repository path, decoded, only with `credential.useHttpPath` (see
    /// [`crate::request::Request::git`]).
    pub path: Option<&'a str>,
    /// The user git asks for, if it names one.
    pub username: Option<&'a str>,
    /// Every `capability[]` git announces (2.46+: `authtype`).
    pub capabilities: Vec<&'a str>,
}

impl<'a> Request<'a> {
    /// Parse git's `key=value` lines (a line without `=` is skipped).
    pub fn parse(text: &'a str) -> Request<'a> {
        let mut request = Request::default();
        for (key, value) in text
            .lines()
            .take_while(|l| !l.is_empty())
            .filter_map(|l| l.split_once('='))
        {
            match key {
                "protocol" => request.protocol = Some(value),
                "host" => request.host = Some(value),
                "path" => request.path = Some(value),
                "username" => request.username = Some(value),
                "capability[]" => request.capabilities.push(value),
                _ => {}
            }
        }
        request
    }
}

/// The answer to `get`: empty when no target serves the request.
pub fn get(ctx: &Context, request: &Request<'_>, explicit: Option<&str>) -> Result<String> {
    let Some(target) = target(&ctx.config, request, explicit)? else {
        return Ok(String::new());
    };
    // A user this target does not serve: no answer, so git asks its next helper.
    let Some(username) = super::username_for(request.username, target.username.as_deref()) else {
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
    request: &Request<'_>,
    target: &Target,
    username: &str,
    served: &crate::engine::Served,
) -> String {
    let token = served.entry.token.expose();
    let expiry = served.entry.expires_at.as_secs();
    if !request.capabilities.contains(&AUTHTYPE) {
        return format!("username={username}\npassword={token}\npassword_expiry_utc={expiry}\n");
    }
    let credential = match target.git_auth {
        GitAuth::Bearer => format!("authtype=Bearer\ncredential={token}\n"),
        GitAuth::Basic => format!("username={username}\npassword={token}\n"),
    };
    format!("capability[]={AUTHTYPE}\n{credential}password_expiry_utc={expiry}\nephemeral=1\n")
}

/// The target that answers git's request text (`None`: no answer, git asks its next helper).
pub fn target_for(
    config: &Config,
    request: &str,
    explicit: Option<&str>,
) -> Result<Option<Target>> {
    target(config, &Request::parse(request), explicit)
}

/// The target that answers the request (see [`target_for`]).
fn target(
    config: &Config,
    request: &Request<'_>,
    explicit: Option<&str>,
) -> Result<Option<Target>> {
    let (Some(protocol), Some(host)) = (request.protocol, request.host) else {
        return Ok(None);
    };
    let Some(request) = crate::request::Request::git(protocol, host, request.path) else {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::{Code, Reply};
    use crate::protocol::testing::{broken, expiry_secs, one_target, stdout};

    /// Target `t` serves the whole host.
    const URLS: &str = r#"urls = ["https://git.example.com/"]"#;

    /// `get` with `input`, to target `t` with `extra` lines, and the token's expiry in seconds.
    fn get_from(extra: &str, explicit: Option<&str>, input: &str) -> (Result<Reply>, i64) {
        let (_dir, ctx) = one_target(extra);
        let answer = get(&ctx, &Request::parse(input), explicit).map(Reply::Stdout);
        let expiry = if matches!(&answer, Ok(Reply::Stdout(t)) if !t.is_empty()) {
            expiry_secs(&ctx, "t")
        } else {
            0
        };
        (answer, expiry)
    }

    #[test]
    fn a_request_is_parsed_once_a_repeated_key_the_last_one_and_every_capability_kept() {
        let request = Request::parse(
            "protocol=https\nhost=a.example\nhost=b.example\ncapability[]=authtype\nno-equals\ncapability[]=state\npath=x/y\nusername=aws\n\nhost=after.example\n",
        );
        assert_eq!(
            request,
            Request {
                protocol: Some("https"),
                host: Some("b.example"),
                path: Some("x/y"),
                username: Some("aws"),
                capabilities: vec!["authtype", "state"],
            }
        );
        assert_eq!(Request::parse(""), Request::default());
    }

    #[test]
    fn get_answers_basic_for_a_served_host_and_nothing_for_another() {
        let (answer, expiry) = get_from(URLS, None, "protocol=https\nhost=git.example.com\n\n");
        assert_eq!(
            stdout(answer),
            format!("username=token\npassword=tok-1\npassword_expiry_utc={expiry}\n")
        );
        for other in [
            "protocol=https\nhost=other.example.com\n",
            // An https target never answers http.
            "protocol=http\nhost=git.example.com\n",
            "host=git.example.com\n",
        ] {
            assert_eq!(stdout(get_from(URLS, None, other).0), "", "{other}");
        }
    }

    #[test]
    fn a_git_that_announces_authtype_gets_a_bearer_credential_marked_ephemeral() {
        let bearer = format!("{URLS}\ngit_auth = \"bearer\"");
        let input = "capability[]=authtype\nprotocol=https\nhost=git.example.com\n";
        let (answer, expiry) = get_from(&bearer, None, input);
        assert_eq!(
            stdout(answer),
            format!(
                "capability[]=authtype\nauthtype=Bearer\ncredential=tok-1\npassword_expiry_utc={expiry}\nephemeral=1\n"
            )
        );
    }

    #[test]
    fn the_path_git_sends_with_use_http_path_picks_the_target_that_serves_it() {
        let team = r#"urls = ["https://git.example.com/team/"]"#;
        let with_path = "protocol=https\nhost=git.example.com\npath=team/repo.git\n";
        assert!(stdout(get_from(team, None, with_path).0).contains("password=tok-1"));
        let elsewhere = "protocol=https\nhost=git.example.com\npath=other/repo.git\n";
        assert_eq!(stdout(get_from(team, None, elsewhere).0), "");
    }

    #[test]
    fn a_named_target_answers_only_what_its_urls_cover() {
        let other = "protocol=https\nhost=other.example.com\n";
        assert_eq!(stdout(get_from(URLS, Some("t"), other).0), "");
        let e = get_from(URLS, Some("nope"), "protocol=https\nhost=git.example.com\n")
            .0
            .unwrap_err();
        assert_eq!(e.code, Code::Config);
    }

    #[test]
    fn store_and_erase_are_no_ops_and_a_broken_config_fails_only_get() {
        for op in ["store", "erase", "capability"] {
            let mut stdin = "protocol=https\nhost=h\npassword=x\n".as_bytes();
            let reply = exchange(broken(), Some(op), None, &mut stdin);
            assert_eq!(reply.unwrap(), Reply::Stdout(String::new()), "{op}");
            assert!(stdin.is_empty(), "git's request is read for {op} too");
        }
        let e = exchange(broken(), Some("get"), None, &mut "host=h\n".as_bytes()).unwrap_err();
        assert_eq!(e.code, Code::Config);
    }
}
