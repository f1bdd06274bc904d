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

use std::io::{BufRead, Read};
use std::process::ExitCode;

use cargo_credential::{
    Action, CacheControl, Credential, CredentialHello, CredentialRequest, CredentialResponse,
    Error, RegistryInfo, Secret,
};

use crate::config::{Config, Target};
use crate::error::Code;
use crate::resolve::{self, Request};
use crate::service::Context;

/// The protocol version spoken (cargo's only one so far).
const PROTOCOL_VERSION: u32 = 1;
/// Longest request line read: far above a real one.
const MAX_REQUEST_BYTES: u64 = 1 << 20;

/// Run the exchange with cargo on stdin/stdout until cargo closes stdin.
pub fn main(provider: Provider) -> ExitCode {
    let hello = CredentialHello {
        v: vec![PROTOCOL_VERSION],
    };
    if send(&hello).is_err() {
        return Code::Other.exit_code();
    }
    let mut stdin = std::io::stdin().lock();
    loop {
        let mut line = String::new();
        match (&mut stdin).take(MAX_REQUEST_BYTES).read_line(&mut line) {
            Ok(0) => return ExitCode::SUCCESS,
            Ok(_) => {}
            Err(e) => {
                let _ = send(&Err::<(), _>(Error::Other(
                    format!("cannot read cargo's request: {e}").into(),
                )));
                return Code::Other.exit_code();
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
        if send(&response).is_err() {
            return Code::Other.exit_code();
        }
    }
}

/// One JSON message and a newline on stdout.
fn send(message: &impl serde::Serialize) -> crate::error::Result<ExitCode> {
    let json = serde_json::to_string(message)
        .map_err(|e| crate::error::Error::other(format!("cannot encode a reply to cargo: {e}")))?;
    crate::service::print(&format!("{json}\n"))
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
            .map_err(|e| Error::Other(e.message.into()))?;
        let expiration =
            time::OffsetDateTime::from_unix_timestamp(served.entry.expires_at.div_euclid(1000))
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
        return resolve::lookup(config, &request).map_err(|e| Error::Other(e.message.into()));
    };
    let target = resolve::target(config, name).map_err(|e| Error::Other(e.message.into()))?;
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

    #[test]
    fn target_argument_forms() {
        assert_eq!(target_arg(&["--target", "x"]).unwrap(), Some("x"));
        assert_eq!(target_arg(&["--target=y"]).unwrap(), Some("y"));
        assert_eq!(target_arg(&[]).unwrap(), None);
        assert!(target_arg(&["--target"]).is_err());
        assert!(target_arg(&["--verbose"]).is_err());
    }
}
