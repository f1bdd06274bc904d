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

use crate::config::{Config, Target};
use crate::context::Context;
use crate::error::{Code, Error, Reply, Result};

/// A refusal of the request itself, its text without any userinfo a SERVICE URL carried.
fn refused(code: Code, message: String) -> Error {
    Error::new(code, crate::redact::userinfo(&message))
}

#[derive(Debug, Default, PartialEq)]
pub(crate) struct Args {
    creds: bool,
    json: bool,
    /// ecluse-cred's own keyring backend (`python/ecluse_cred_keyring.py`) asks for the token's
    /// expiry too, so that it can reuse the answer within one process.
    with_expiry: bool,
    positional: Vec<String>,
}

pub(crate) fn parse(args: &[String]) -> std::result::Result<Args, String> {
    let mut parsed = Args::default();
    let mut rest = args.iter();
    while let Some(arg) = rest.next() {
        // Everything after `--` is positional: a username may start with `-`.
        if arg == "--" {
            parsed.positional.extend(rest.cloned());
            break;
        }
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
            "--with-expiry" if inline.is_none() => parsed.with_expiry = true,
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

/// One exchange: keyring's arguments (`args`, after the program name). No credentials for
/// the service is [`Reply::NoCredentials`], as both clients read it.
pub fn exchange(ctx: Result<Context>, args: &[String]) -> Result<Reply> {
    let parsed = parse(args).map_err(|why| refused(Code::Usage, format!("keyring: {why}")))?;
    let (op, service, username) = match parsed.positional.as_slice() {
        [op, service] => (op.as_str(), service.as_str(), None),
        // PDM asks with an empty username when it has none.
        [op, service, user] if user.is_empty() => (op.as_str(), service.as_str(), None),
        [op, service, user] => (op.as_str(), service.as_str(), Some(user.as_str())),
        _ => {
            return Err(refused(
                Code::Usage,
                "usage: keyring [--mode=creds] [--output=json] get SERVICE [USERNAME]".into(),
            ));
        }
    };
    if op != "get" {
        return Err(refused(
            Code::Other,
            format!("keyring: `{op}` is not supported: ecluse-cred only serves tokens (get)"),
        ));
    }
    Ok(match answer(ctx, &parsed, service, username)? {
        Some(text) => Reply::Stdout(text),
        None => Reply::NoCredentials,
    })
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
    let expires_at = args
        .with_expiry
        .then_some(served.entry.expires_at.as_millis().div_euclid(1000));
    Ok(Some(match (args.creds, args.json) {
        (_, true) => Creds {
            password: token,
            username: &user,
            expires_at,
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
    /// With `--with-expiry`: the token's expiry, in seconds since the epoch.
    #[serde(skip_serializing_if = "Option::is_none")]
    expires_at: Option<i64>,
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
    let Ok(request) = crate::request::Request::url(service) else {
        return Ok(None);
    };
    crate::resolve::lookup(config, &request)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::testing::{broken, one_target, stdout};

    /// Target `t`: the index pip and uv ask for, with its username.
    const INDEX: &str = "urls = [\"https://pkgs.example.com/simple/\"]\nusername = \"aws\"";

    fn ask(args: &[&str]) -> Result<Reply> {
        let (_dir, ctx) = one_target(INDEX);
        let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        exchange(Ok(ctx), &args)
    }

    #[test]
    fn each_client_form_gets_its_answer() {
        let url = "https://pkgs.example.com/simple/";
        assert_eq!(stdout(ask(&["get", url, "aws"])), "tok-1\n");
        assert_eq!(
            stdout(ask(&["get", url, "--mode", "creds"])),
            "aws\ntok-1\n"
        );
        assert_eq!(
            stdout(ask(&["--mode=creds", "--output=json", "get", url])),
            "{\"password\":\"tok-1\",\"username\":\"aws\"}\n"
        );
        // ecluse-cred's own backend asks for the expiry too.
        let answer: serde_json::Value = serde_json::from_str(&stdout(ask(&[
            "--mode=creds",
            "--output=json",
            "--with-expiry",
            "--",
            "get",
            url,
        ])))
        .unwrap();
        assert_eq!(answer["password"], "tok-1");
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs() as i64;
        let expires = answer["expires_at"].as_i64().unwrap();
        assert!(expires > now && expires <= now + 12 * 3600, "{answer}");
        // PDM's forms: an empty username is none.
        assert_eq!(
            stdout(ask(&["--mode=creds", "get", url, ""])),
            "aws\ntok-1\n"
        );
        assert_eq!(
            stdout(ask(&["--mode=password", "get", url, "aws"])),
            "tok-1\n"
        );
    }

    #[test]
    fn no_credentials_is_exit_1_with_nothing_said() {
        for args in [
            &["get", "https://other.example.com/simple/", "aws"][..],
            // A user this target does not serve.
            &["get", "https://pkgs.example.com/simple/", "someone"],
            // The bare host fallback is never answered.
            &["get", "pkgs.example.com", "aws"],
        ] {
            assert_eq!(ask(args).unwrap(), Reply::NoCredentials, "{args:?}");
        }
    }

    #[test]
    fn a_bad_request_is_an_error_without_the_url_s_userinfo() {
        let e = ask(&["get"]).unwrap_err();
        assert_eq!(e.code, Code::Usage);
        let e = ask(&["--index=https://u:pw-1@h/", "get", "https://h/"]).unwrap_err();
        assert_eq!(e.code, Code::Usage);
        assert!(
            e.message.contains("unrecognized arguments") && !e.message.contains("pw-1"),
            "{}",
            e.message
        );
        let e = ask(&["set", "https://pkgs.example.com/", "aws"]).unwrap_err();
        assert_eq!(e.code, Code::Other);
        assert!(e.message.contains("not supported"), "{}", e.message);
        let args = [
            "get".to_owned(),
            "https://pkgs.example.com/simple/".to_owned(),
        ];
        assert_eq!(exchange(broken(), &args).unwrap_err().code, Code::Config);
    }

    fn p(args: &[&str]) -> std::result::Result<Args, String> {
        parse(&args.iter().map(|s| s.to_string()).collect::<Vec<_>>())
    }

    #[test]
    fn json_answer_is_exactly_what_pip_reads() {
        let creds = Creds {
            password: "tok-1",
            username: "aws",
            expires_at: None,
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
        let dashed = p(&["--mode=creds", "--", "get", "http://h/", "--help"]).unwrap();
        assert!(dashed.creds && dashed.positional == ["get", "http://h/", "--help"]);
    }
}
