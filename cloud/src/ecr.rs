//! `backend = "ecr"`: Amazon ECR GetAuthorizationToken through the AWS SDK, with the credential
//! chain, bounds and failure handling every AWS backend shares ([`crate::aws`]).
//!
//! ECR answers `authorizationToken`, base64 of `AWS:PASSWORD`, and `expiresAt`: the token served
//! is the password (clients send it with the user `AWS`, the backend's default username), its
//! expiry `expiresAt`. The request names no registry: ECR's `registryIds` is deprecated, the
//! token being good for every registry the identity may use. `registry_id` still tells targets
//! (and their cache entries) apart, one per registry, as derived targets are.

use std::time::Duration;

use aws_sdk_ecr::operation::get_authorization_token::GetAuthorizationTokenError;
use base64::Engine;

use crate::aws::{Chain, Verdict, classify};
use ecluse_cred_contract::mint::{EpochMs, Mint, MintError, Minted};
use ecluse_cred_contract::redact::Scrubber;
use ecluse_cred_contract::secret::Secret;

/// What the token API is called in messages.
const SERVICE: &str = "ECR";
/// The user ECR's token is issued for: `AWS:PASSWORD`.
const ECR_USER: &str = "AWS";

pub struct EcrMint {
    pub registry_id: Option<String>,
    pub region: Option<String>,
    pub profile: Option<String>,
    pub fips: bool,
    pub dual_stack: bool,
    pub timeout: Duration,
}

impl EcrMint {
    fn chain(&self) -> Chain {
        Chain {
            region: self.region.clone(),
            profile: self.profile.clone(),
            timeout: self.timeout,
            fips: self.fips,
            dual_stack: self.dual_stack,
            endpoint_env: "AWS_ENDPOINT_URL_ECR",
        }
    }

    async fn request(&self, scrubber: &mut Scrubber) -> Result<Minted, MintError> {
        let (sdk, identity) = self.chain().resolve(scrubber).await?;
        let client = aws_sdk_ecr::Client::new(&sdk);
        let output = client.get_authorization_token().send().await.map_err(|e| {
            classify(
                e,
                SERVICE,
                "authorizationData",
                &identity,
                scrubber,
                |err| self.verdict(err),
            )
        })?;
        let data = output
            .authorization_data()
            .first()
            .ok_or_else(|| MintError::transient("ECR answered without authorizationData"))?;
        let encoded = data
            .authorization_token()
            .ok_or_else(|| MintError::transient("ECR answered without an authorizationToken"))?;
        // Whatever else happens, the encoded token is a secret in every message from here.
        *scrubber = std::mem::take(scrubber).secret(encoded);
        let password = password(encoded)?;
        let expires = data
            .expires_at()
            .ok_or_else(|| MintError::transient("ECR answered without an expiresAt"))?;
        let expires_at = EpochMs::from_secs(expires.secs())
            .saturating_add_ms(i64::from(expires.subsec_nanos() / 1_000_000));
        Ok(Minted {
            token: Secret::new(password),
            expires_at,
            expiry_source: "expiresAt".to_owned(),
        })
    }

    /// ECR's modeled errors.
    fn verdict(&self, err: &GetAuthorizationTokenError) -> Option<Verdict> {
        Some(match err {
            GetAuthorizationTokenError::InvalidParameterException(_) => {
                Verdict::Misconfigured(format!(
                    " (check the target's registry_id `{}` and region)",
                    self.registry_id.as_deref().unwrap_or("(caller's account)")
                ))
            }
            GetAuthorizationTokenError::ServerException(_) => Verdict::Unavailable,
            _ => return None,
        })
    }
}

/// The password of ECR's `authorizationToken` (base64 of `AWS:PASSWORD`). Anything else is a
/// malformed answer (transient), told without quoting it.
fn password(encoded: &str) -> Result<String, MintError> {
    let malformed = |why: &str| {
        MintError::transient(format!(
            "ECR answered an authorizationToken that is not base64 of `{ECR_USER}:PASSWORD` ({why})"
        ))
    };
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .map_err(|_| malformed("not base64"))?;
    let text = String::from_utf8(bytes).map_err(|_| malformed("not UTF-8"))?;
    match text.split_once(':') {
        Some((user, password)) if user == ECR_USER && !password.is_empty() => {
            Ok(password.to_owned())
        }
        Some((_, _)) => Err(malformed("another user, or no password")),
        None => Err(malformed("no `:`")),
    }
}

impl Mint for EcrMint {
    fn mint(&self, _started: EpochMs) -> Result<Minted, MintError> {
        crate::aws::mint(&self.chain(), async |scrubber| self.request(scrubber).await)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_password_is_what_follows_aws_colon_and_anything_else_is_malformed_unquoted() {
        let enc = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
        assert_eq!(
            password(&enc("AWS:pw:with:colons")).unwrap(),
            "pw:with:colons"
        );
        for bad in [
            enc("AWS:"),
            enc("bob:secret-1"),
            enc("secret-1"),
            "%%%".to_owned(),
        ] {
            let e = password(&bad).unwrap_err();
            assert!(!e.message.contains("secret-1"), "{}", e.message);
            assert!(
                e.message.starts_with("ECR answered an authorizationToken"),
                "{}",
                e.message
            );
        }
    }
}
