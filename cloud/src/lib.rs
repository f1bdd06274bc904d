//! The cloud backends of ecluse-cred: AWS CodeArtifact ([`codeartifact`]), Google Application
//! Default Credentials ([`gcp`]) and the OAuth 2.0 client credentials grant ([`oauth2`]). Each
//! implements the mint contract of `ecluse-cred-contract`.
//!
//! Only the `ecluse-cred-mint` helper links this crate: the AWS SDK, google-cloud-auth, reqwest,
//! rustls and tokio never reach the `ecluse-cred` binary that serves cached tokens (a test over
//! that binary's symbols checks it).

pub mod codeartifact;
pub mod gcp;
pub mod oauth2;

use ecluse_cred_contract::mint::{EpochMs, MintError};

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
