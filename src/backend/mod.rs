//! Mint backends: the only code that obtains a new token. Each one implements [`Mint`]; the
//! policy around them (cache, refresh, breaker) is the same for all.

pub mod codeartifact;
pub mod command;
pub mod gcp;
pub mod helper;
pub mod oauth2;

use std::fmt;

use crate::error::{Code, Error};
use crate::policy::{EpochMs, Minted};

/// Why a mint failed, which decides the exit code when no usable token is left.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FailureKind {
    /// Timeouts, throttling, 5xx, crashes: retrying later may work (exit 75).
    Transient,
    /// The backend said the caller is not authorised (exit 77).
    Rejected,
    /// The target's settings are wrong, e.g. the command does not exist (exit 78).
    Misconfigured,
}

/// A failed mint. The message never contains a token or a secret: backends build it from their
/// own words, never by echoing what the mint printed on stdout.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct MintError {
    pub kind: FailureKind,
    pub message: String,
}

impl MintError {
    pub fn transient(message: impl Into<String>) -> Self {
        MintError {
            kind: FailureKind::Transient,
            message: message.into(),
        }
    }
    pub fn rejected(message: impl Into<String>) -> Self {
        MintError {
            kind: FailureKind::Rejected,
            message: message.into(),
        }
    }
    pub fn misconfigured(message: impl Into<String>) -> Self {
        MintError {
            kind: FailureKind::Misconfigured,
            message: message.into(),
        }
    }

    /// The caller-facing error when this failure leaves the caller without a token.
    pub fn into_error(self, target: &str) -> Error {
        let code = match self.kind {
            FailureKind::Transient => Code::TempFail,
            FailureKind::Rejected => Code::NoPerm,
            FailureKind::Misconfigured => Code::Config,
        };
        Error::new(
            code,
            format!("target `{target}`: mint failed: {}", self.message),
        )
    }
}

impl fmt::Display for MintError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

/// Obtains a new token. `started` is when the mint began (epoch ms), for backends whose expiry
/// is relative (`expires_in`).
pub trait Mint {
    fn mint(&self, started: EpochMs) -> Result<Minted, MintError>;
}

impl<T: Mint + ?Sized> Mint for Box<T> {
    fn mint(&self, started: EpochMs) -> Result<Minted, MintError> {
        (**self).mint(started)
    }
}

/// The mint for a target: a `command` runs directly; a cloud backend runs in the
/// `ecluse-cred-mint` helper (see [`helper`]).
pub fn for_target(target: &crate::config::Target) -> Box<dyn Mint> {
    let timeout = target.policy.mint_timeout;
    match &target.backend {
        crate::config::Backend::Command { command } => Box::new(command::CommandMint {
            argv: command.clone(),
            timeout,
        }),
        cloud => Box::new(helper::HelperMint {
            backend: cloud.clone(),
            timeout,
        }),
    }
}

/// A cloud backend's mint, in this process: what the `ecluse-cred-mint` helper runs.
pub fn cloud_mint(backend: &crate::config::Backend, timeout: std::time::Duration) -> Box<dyn Mint> {
    use crate::config::Backend;
    match backend {
        Backend::Command { command } => Box::new(command::CommandMint {
            argv: command.clone(),
            timeout,
        }),
        Backend::Codeartifact {
            domain,
            domain_owner,
            region,
            duration,
            profile,
        } => Box::new(codeartifact::CodeArtifactMint {
            domain: domain.clone(),
            domain_owner: domain_owner.clone(),
            region: region.clone(),
            duration: duration.map(|d| d.0),
            profile: profile.clone(),
            timeout,
        }),
        Backend::Gcp { scopes, lifetime } => Box::new(gcp::GcpMint {
            scopes: scopes
                .clone()
                .unwrap_or_else(|| vec![gcp::DEFAULT_SCOPE.to_owned()]),
            lifetime: lifetime.map_or(gcp::DEFAULT_LIFETIME, |l| l.0),
            timeout,
        }),
        Backend::Oauth2 {
            token_url,
            client_id,
            client_secret_env,
            client_secret_file,
            scope,
            client_auth,
        } => {
            let secret = match (client_secret_env, client_secret_file) {
                (Some(name), _) => oauth2::SecretSource::Env(name.clone()),
                (None, Some(path)) => oauth2::SecretSource::File(path.clone()),
                (None, None) => unreachable!("config validation requires a secret source"),
            };
            Box::new(oauth2::OAuth2Mint {
                token_url: token_url.clone(),
                client_id: client_id.clone(),
                secret,
                scope: scope.clone(),
                client_auth: client_auth.unwrap_or(oauth2::ClientAuth::Basic),
                timeout,
            })
        }
    }
}

/// Run an async mint on a single-threaded tokio runtime built for this one call, cut off at
/// `timeout`. Only the cloud backends pay for the runtime, and only when they mint.
pub fn block_on_with_timeout<T>(
    timeout: std::time::Duration,
    work: impl std::future::Future<Output = Result<T, MintError>>,
) -> Result<T, MintError> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| MintError::transient(format!("cannot start the async runtime: {e}")))?;
    runtime.block_on(async {
        tokio::time::timeout(timeout, work)
            .await
            .unwrap_or_else(|_| {
                Err(MintError::transient(format!(
                    "no answer within mint_timeout ({})",
                    humantime::format_duration(timeout)
                )))
            })
    })
}

/// The `exp` claim of a JWT, in epoch ms, if `token` is one. Only the expiry is read; the
/// signature is the issuer's business.
pub fn jwt_expiry(token: &str) -> Option<EpochMs> {
    use base64::Engine;
    let mut parts = token.split('.');
    let (_header, payload, _signature) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .ok()?;
    let claims: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    let exp = claims.get("exp")?.as_f64()?;
    (exp.is_finite() && exp > 0.0).then_some((exp * 1000.0) as EpochMs)
}

/// An error and its causes, `outer: inner: innermost`, for libraries whose `Display` leaves
/// the cause out (reqwest, google-cloud-auth).
pub fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        let more = cause.to_string();
        if !text.contains(&more) {
            text = format!("{text}: {more}");
        }
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jwt_expiry_reads_exp_and_ignores_other_tokens() {
        use base64::Engine;
        let enc = |s: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s);
        let jwt = format!(
            "{}.{}.sig",
            enc(r#"{"alg":"RS256"}"#),
            enc(r#"{"exp":1800000000,"sub":"x"}"#)
        );
        assert_eq!(jwt_expiry(&jwt), Some(1_800_000_000_000));
        assert_eq!(jwt_expiry("ya29.opaque-token"), None);
        assert_eq!(jwt_expiry("a.b.c.d"), None);
        assert_eq!(
            jwt_expiry(&format!("{}.{}.s", enc("{}"), enc(r#"{"sub":"x"}"#))),
            None
        );
    }

    #[test]
    fn timeout_cuts_a_slow_mint() {
        let r: Result<(), MintError> =
            block_on_with_timeout(std::time::Duration::from_millis(50), async {
                tokio::time::sleep(std::time::Duration::from_secs(30)).await;
                Ok(())
            });
        assert!(r.unwrap_err().message.contains("mint_timeout"));
    }
}
