//! Cargo's credential provider protocol (cargo >= 1.74), through the `cargo-credential` crate.
//!
//! Configured as `credential-provider = ["ecluse-cred", "--target", "x"]`, or `["ecluse-cred"]`
//! to resolve the target from the registry's index URL. Cargo runs `ecluse-cred --cargo-plugin`
//! and passes the other words as the request's `args`. `get` answers with the token and
//! `cache: "expires"` at the token's expiry (cargo then reuses it within one run); `login` and
//! `logout` are not supported (tokens come from the backend); a registry no target serves is
//! `url-not-supported`, so cargo tries its next provider. A target named with `--target` that
//! has `urls` answers only for an index URL they cover (see [`crate::resolve`]).
//!
//! The message types are the `cargo-credential` crate's; the exchange (a hello, then one request
//! and one response per line) is run here, so that a cargo that has gone away ends the helper
//! with an error instead of a panic.

use std::io::{BufRead, Read, Write};
use std::process::ExitCode;

use cargo_credential::{
    Action, CacheControl, Credential, CredentialHello, CredentialRequest, CredentialResponse,
    Error, RegistryInfo, Secret,
};

use crate::config::{Config, Target};
use crate::context::Context;
use crate::error::Reply;
use crate::request::Request;
use crate::resolve;

/// The protocol version spoken (cargo's only one so far).
const PROTOCOL_VERSION: u32 = 1;
/// Longest request line read: far above a real one.
const MAX_REQUEST_BYTES: u64 = 1 << 20;

/// Run the exchange with cargo: the hello, then one response on `stdout` per request line on
/// `stdin`, until cargo closes it. The messages are the whole conversation, so the reply is
/// [`Reply::Done`]; a read of `stdin` that fails (told to cargo first) or a `stdout` that
/// cannot be written ends it with an error.
pub fn exchange(
    provider: &Provider,
    stdin: &mut dyn BufRead,
    stdout: &mut dyn Write,
) -> crate::error::Result<Reply> {
    let hello = CredentialHello {
        v: vec![PROTOCOL_VERSION],
    };
    send(stdout, &hello)?;
    loop {
        let mut line = String::new();
        match (&mut *stdin).take(MAX_REQUEST_BYTES).read_line(&mut line) {
            Ok(0) => return Ok(Reply::Done(ExitCode::SUCCESS)),
            Ok(_) => {}
            Err(e) => {
                let why = format!("cannot read cargo's request: {e}");
                send(stdout, &Err::<(), _>(Error::Other(why.clone().into())))?;
                return Err(crate::error::Error::other(why));
            }
        }
        let response = match serde_json::from_str::<CredentialRequest<'_>>(&line) {
            Ok(request) if request.v == PROTOCOL_VERSION => {
                provider.perform(&request.registry, &request.action, &request.args)
            }
            Ok(request) => Err(Error::Other(
                format!("unsupported protocol version {}", request.v).into(),
            )),
            // serde's message could quote a value of the request (a `login` token): only where.
            Err(e) => Err(Error::Other(
                format!(
                    "cannot parse cargo's request (line {}, column {})",
                    e.line(),
                    e.column()
                )
                .into(),
            )),
        };
        send(stdout, &response)?;
    }
}

/// One JSON message and a newline, flushed: cargo waits for it before it writes again.
fn send(stdout: &mut dyn Write, message: &impl serde::Serialize) -> crate::error::Result<()> {
    let json = serde_json::to_string(message)
        .map_err(|e| crate::error::Error::other("cannot encode a reply to cargo").with_source(e))?;
    stdout
        .write_all(format!("{json}\n").as_bytes())
        .and_then(|()| stdout.flush())
        .map_err(|e| crate::error::Error::other("cannot write to stdout").with_source(e))
}

/// The provider, with the configuration loaded (or why it could not be).
pub struct Provider {
    pub ctx: std::result::Result<Context, String>,
}

impl Credential for Provider {
    fn perform(
        &self,
        registry: &RegistryInfo<'_>,
        action: &Action<'_>,
        args: &[&str],
    ) -> Result<CredentialResponse, Error> {
        if !matches!(action, Action::Get(_)) {
            return Err(Error::OperationNotSupported);
        }
        let explicit = target_arg(args)?;
        let ctx = self
            .ctx
            .as_ref()
            .map_err(|e| Error::Other(e.clone().into()))?;
        let target =
            target_for(&ctx.config, registry.index_url, explicit)?.ok_or(Error::UrlNotSupported)?;
        let served = ctx
            .serve(&target, None, false)
            .map_err(|e| Error::Other(e.chain().to_string().into()))?;
        let expiration =
            time::OffsetDateTime::from_unix_timestamp(served.entry.expires_at.as_secs())
                .map_err(|e| Error::Other(format!("token expiry out of range: {e}").into()))?;
        Ok(CredentialResponse::Get {
            token: Secret::from(served.entry.token.expose().to_owned()),
            cache: CacheControl::Expires { expiration },
            operation_independent: true,
        })
    }
}

/// The target that answers for the registry whose index is `index_url` (`None`:
/// url-not-supported, cargo tries its next provider); a target named with `--target` must
/// serve it.
pub fn target_for(
    config: &Config,
    index_url: &str,
    explicit: Option<&str>,
) -> Result<Option<Target>, Error> {
    let Ok(request) = Request::url(index_url) else {
        return Ok(None);
    };
    let Some(name) = explicit else {
        return resolve::lookup(config, &request)
            .map_err(|e| Error::Other(e.chain().to_string().into()));
    };
    let target =
        resolve::target(config, name).map_err(|e| Error::Other(e.chain().to_string().into()))?;
    if !resolve::serves(config, &target, &request) {
        return Err(Error::Other(
            format!(
                "target `{name}` does not serve {}: add it to the target's `urls`, or name the target that does",
                request.shown()
            )
            .into(),
        ));
    }
    Ok(Some(target))
}

/// `--target NAME` / `--target=NAME` from the provider's configured arguments.
pub(crate) fn target_arg<'a>(args: &[&'a str]) -> Result<Option<&'a str>, Error> {
    let mut found = None;
    let mut rest = args.iter();
    while let Some(arg) = rest.next() {
        match *arg {
            "--target" => {
                found = Some(
                    *rest
                        .next()
                        .ok_or_else(|| Error::Other("--target needs a target name".into()))?,
                )
            }
            a if a.starts_with("--target=") => found = Some(&a["--target=".len()..]),
            other => {
                return Err(Error::Other(
                    format!("unknown argument `{other}` in credential-provider (ecluse-cred takes only --target NAME)").into(),
                ));
            }
        }
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::testing::{expiry_secs, one_target};

    /// The JSON lines written for `requests`, and how the exchange ended.
    fn converse(
        ctx: crate::error::Result<Context>,
        requests: &[&str],
    ) -> (Vec<serde_json::Value>, crate::error::Result<Reply>) {
        let input = requests
            .iter()
            .map(|r| format!("{r}\n"))
            .collect::<String>();
        let mut out = Vec::new();
        let provider = Provider {
            ctx: ctx.map_err(|e| e.message),
        };
        let end = exchange(&provider, &mut input.as_bytes(), &mut out);
        let lines = String::from_utf8(out)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        (lines, end)
    }

    #[test]
    fn each_request_line_gets_one_response_line_after_the_hello() {
        let (dir, ctx) = one_target("urls = [\"https://pkgs.example.com/index/\"]");
        let again =
            crate::protocol::testing::reopen(&dir, "urls = [\"https://pkgs.example.com/index/\"]");
        let get = r#"{"v":1,"registry":{"index-url":"sparse+https://pkgs.example.com/index/"},"kind":"get","operation":"read","args":[]}"#;
        let unknown = r#"{"v":1,"registry":{"index-url":"sparse+https://unknown.example.com/index/"},"kind":"get","operation":"read","args":[]}"#;
        let logout = r#"{"v":1,"registry":{"index-url":"sparse+https://pkgs.example.com/index/"},"kind":"logout","args":[]}"#;
        let (replies, end) = converse(Ok(ctx), &[get, unknown, logout, "{not json", r#"{"v":2}"#]);
        assert_eq!(end.unwrap(), Reply::Done(ExitCode::SUCCESS));
        assert_eq!(replies[0], serde_json::json!({"v": [1]}));
        assert_eq!(
            replies[1],
            serde_json::json!({"Ok": {"kind": "get", "token": "tok-1", "cache": "expires",
                "expiration": expiry_secs(&again, "t"), "operation_independent": true}})
        );
        assert_eq!(
            replies[2],
            serde_json::json!({"Err": {"kind": "url-not-supported"}})
        );
        assert_eq!(
            replies[3],
            serde_json::json!({"Err": {"kind": "operation-not-supported"}})
        );
        assert_eq!(
            replies[4]["Err"]["message"],
            "cannot parse cargo's request (line 1, column 2)"
        );
        assert_eq!(replies[5]["Err"]["kind"], "other");
        assert_eq!(replies.len(), 6);
    }

    #[test]
    fn a_broken_config_is_told_to_cargo_in_its_response() {
        let get = r#"{"v":1,"registry":{"index-url":"https://pkgs.example.com/index/"},"kind":"get","operation":"read","args":[]}"#;
        let (replies, end) = converse(crate::protocol::testing::broken(), &[get]);
        assert_eq!(end.unwrap(), Reply::Done(ExitCode::SUCCESS));
        assert_eq!(replies[1]["Err"]["message"], "config /c.toml: broken");
    }

    #[test]
    fn target_argument_forms() {
        assert_eq!(target_arg(&["--target", "x"]).unwrap(), Some("x"));
        assert_eq!(target_arg(&["--target=y"]).unwrap(), Some("y"));
        assert_eq!(target_arg(&[]).unwrap(), None);
        assert!(target_arg(&["--target"]).is_err());
        assert!(target_arg(&["--verbose"]).is_err());
    }
}
