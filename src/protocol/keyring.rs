//! The `keyring` subprocess protocol of pip (`--keyring-provider subprocess`) and uv. Both run
//! a program literally named `keyring` from PATH, so `ecluse-cred` answers as `keyring` when
//! invoked under that name (a symlink); `ecluse-cred keyring ...` does the same.
//!
//! - `keyring get SERVICE USERNAME` (pip <= 26.1, uv with a username): the token and a newline.
//! - `keyring --mode=creds --output=json get SERVICE [USERNAME]` (pip >= 26.2):
//!   `{"username": …, "password": …}`.
//! - `keyring get SERVICE --mode creds` (uv without a username): username and token, one a line.
//!
//! SERVICE is the index URL, matched as every front-end matches a URL (see [`crate::resolve`]).
//! Both clients fall back to a bare `host[:port]` when the URL finds nothing; that fallback is
//! never answered, because pip sends it for an `http` index as well as an `https` one and a bare
//! host cannot say which the token would travel over. No target (or a username this target does
//! not serve): exit 1 with nothing on stdout, which both clients read as "no credentials".
//! Options may come before or after the positionals, as `--opt=value` or `--opt value`.

use std::process::ExitCode;

use crate::config::{Config, Target};
use crate::error::{Code, Error, Result};
use crate::service::Context;

fn report(code: Code, message: String) -> ExitCode {
    crate::error::report(&Error::new(code, crate::redact::userinfo(&message)))
}

#[derive(Debug, Default, PartialEq)]
pub(crate) struct Args {
    creds: bool,
    json: bool,
    positional: Vec<String>,
}

pub(crate) fn parse(args: &[String]) -> std::result::Result<Args, String> {
    let mut parsed = Args::default();
    let mut rest = args.iter();
    while let Some(arg) = rest.next() {
        let (key, inline) = match arg.split_once('=') {
            Some((k, v)) if k.starts_with("--") => (k, Some(v.to_owned())),
            _ => (arg.as_str(), None),
        };
        let mut value = || {
            inline
                .clone()
                .or_else(|| rest.next().cloned())
                .ok_or(format!("{key} needs a value"))
        };
        match key {
            "--mode" => match value()?.as_str() {
                "creds" => parsed.creds = true,
                "password" => parsed.creds = false,
                other => return Err(format!("unsupported --mode {other}")),
            },
            "--output" => match value()?.as_str() {
                "json" => parsed.json = true,
                "plain" => parsed.json = false,
                other => return Err(format!("unsupported --output {other}")),
            },
            // keyring's own backend options mean nothing here.
            "-b" | "--keyring-backend" | "--keyring-path" => {
                value()?;
            }
            k if k.starts_with('-') && k.len() > 1 => {
                return Err(format!("unrecognized arguments: {arg}"));
            }
            _ => parsed.positional.push(arg.clone()),
        }
    }
    Ok(parsed)
}

pub fn main(ctx: Result<Context>, args: &[String]) -> ExitCode {
    let parsed = match parse(args) {
        Ok(p) => p,
        Err(why) => return report(Code::Usage, format!("keyring: {why}")),
    };
    let (op, service, username) = match parsed.positional.as_slice() {
        [op, service] => (op.as_str(), service.as_str(), None),
        [op, service, user] => (op.as_str(), service.as_str(), Some(user.as_str())),
        _ => {
            return report(
                Code::Usage,
                "usage: keyring [--mode=creds] [--output=json] get SERVICE [USERNAME]".into(),
            );
        }
    };
    if op != "get" {
        return report(
            Code::Other,
            format!("keyring: `{op}` is not supported: ecluse-cred only serves tokens (get)"),
        );
    }
    match answer(ctx, &parsed, service, username) {
        Ok(Some(text)) => match crate::service::print(&text) {
            Ok(_) => ExitCode::SUCCESS,
            Err(_) => Code::Other.exit_code(),
        },
        Ok(None) => Code::Other.exit_code(),
        Err(e) => crate::error::report(&e),
    }
}

fn answer(
    ctx: Result<Context>,
    args: &Args,
    service: &str,
    username: Option<&str>,
) -> Result<Option<String>> {
    let ctx = ctx?;
    let Some(target) = target_for(&ctx.config, service)? else {
        return Ok(None);
    };
    let Some(user) = super::username_for(username, target.username.as_deref()) else {
        return Ok(None);
    };
    let served = ctx.serve(&target, None, false)?;
    let token = served.entry.token.expose();
    Ok(Some(match (args.creds, args.json) {
        (_, true) => Creds {
            password: token,
            username: &user,
        }
        .to_json(),
        (true, false) => format!("{user}\n{token}\n"),
        (false, false) => format!("{token}\n"),
    }))
}

/// `--mode=creds --output=json`'s answer, as keyring prints it.
#[derive(serde::Serialize)]
struct Creds<'a> {
    password: &'a str,
    username: &'a str,
}

impl Creds<'_> {
    fn to_json(&self) -> String {
        format!(
            "{}\n",
            serde_json::to_string(self).expect("credentials serialize")
        )
    }
}

/// The target that answers for SERVICE (`None`: no credentials). Only a URL is answered: the
/// bare `host[:port]` fallback is not (see the module's documentation).
pub fn target_for(config: &Config, service: &str) -> Result<Option<Target>> {
    let Ok(request) = crate::resolve::Request::url(service) else {
        return Ok(None);
    };
    crate::resolve::lookup(config, &request)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(args: &[&str]) -> std::result::Result<Args, String> {
        parse(&args.iter().map(|s| s.to_string()).collect::<Vec<_>>())
    }

    #[test]
    fn json_answer_is_exactly_what_pip_reads() {
        let creds = Creds {
            password: "tok-1",
            username: "aws",
        };
        assert_eq!(
            creds.to_json(),
            "{\"password\":\"tok-1\",\"username\":\"aws\"}\n"
        );
    }

    #[test]
    fn every_client_form_parses() {
        let pip_old = p(&["get", "http://h/simple/", "aws"]).unwrap();
        assert_eq!(
            (pip_old.creds, pip_old.json, pip_old.positional.len()),
            (false, false, 3)
        );
        let pip_new = p(&[
            "--mode=creds",
            "--output=json",
            "get",
            "http://h/simple/",
            "aws",
        ])
        .unwrap();
        assert!(pip_new.creds && pip_new.json);
        let uv = p(&["get", "http://h/simple/", "--mode", "creds"]).unwrap();
        assert!(uv.creds && !uv.json && uv.positional == ["get", "http://h/simple/"]);
        assert!(
            p(&["--frobnicate", "get", "x"])
                .unwrap_err()
                .contains("unrecognized arguments")
        );
        assert!(p(&["--mode"]).is_err());
    }
}
