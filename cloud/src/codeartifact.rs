//! `backend = "codeartifact"`: AWS CodeArtifact GetAuthorizationToken through the AWS SDK, with
//! the credential chain, bounds and failure handling every AWS backend shares ([`crate::aws`]).
//! The runtime and SDK are built only here, when a mint is needed.

use std::time::Duration;

use aws_sdk_codeartifact::operation::get_authorization_token::GetAuthorizationTokenError;

use crate::aws::{Chain, Verdict, classify};
use ecluse_cred_contract::mint::{EpochMs, Mint, MintError, Minted};
use ecluse_cred_contract::redact::Scrubber;
use ecluse_cred_contract::secret::Secret;

/// What the token API is called in messages.
const SERVICE: &str = "CodeArtifact";

pub struct CodeArtifactMint {
    pub domain: String,
    pub domain_owner: Option<String>,
    pub region: Option<String>,
    pub duration: Option<Duration>,
    pub profile: Option<String>,
    pub timeout: Duration,
}

impl CodeArtifactMint {
    fn chain(&self) -> Chain {
        Chain {
            region: self.region.clone(),
            profile: self.profile.clone(),
            timeout: self.timeout,
            fips: false,
            dual_stack: false,
            endpoint_env: "AWS_ENDPOINT_URL_CODEARTIFACT",
        }
    }

    async fn request(&self, scrubber: &mut Scrubber) -> Result<Minted, MintError> {
        let (sdk, identity) = self.chain().resolve(scrubber).await?;
        let client = aws_sdk_codeartifact::Client::new(&sdk);
        let mut call = client.get_authorization_token().domain(&self.domain);
        if let Some(owner) = &self.domain_owner {
            call = call.domain_owner(owner);
        }
        if let Some(duration) = self.duration {
            call = call.duration_seconds(duration.as_secs() as i64);
        }
        let output = call.send().await.map_err(|e| {
            classify(
                e,
                SERVICE,
                "authorizationToken and expiration",
                &identity,
                scrubber,
                |err| self.verdict(err),
            )
        })?;
        let token = output.authorization_token().ok_or_else(|| {
            MintError::transient("CodeArtifact answered without an authorizationToken")
        })?;
        let expiration = output
            .expiration()
            .ok_or_else(|| MintError::transient("CodeArtifact answered without an expiration"))?;
        // Checked with every backend's answer when it enters the engine: not empty, no control
        // characters, expiring after the mint started and not absurdly far away.
        let expires_at = EpochMs::from_secs(expiration.secs())
            .saturating_add_ms(i64::from(expiration.subsec_nanos() / 1_000_000));
        Ok(Minted {
            token: Secret::new(token.to_owned()),
            expires_at,
            expiry_source: "expiration".to_owned(),
        })
    }

    /// CodeArtifact's modeled errors.
    fn verdict(&self, err: &GetAuthorizationTokenError) -> Option<Verdict> {
        Some(match err {
            GetAuthorizationTokenError::AccessDeniedException(_) => Verdict::Rejected,
            GetAuthorizationTokenError::ResourceNotFoundException(_)
            | GetAuthorizationTokenError::ValidationException(_) => {
                Verdict::Misconfigured(format!(
                    " (check the target's domain `{}`, domain_owner `{}`, region and duration)",
                    self.domain,
                    self.domain_owner.as_deref().unwrap_or("(caller's account)")
                ))
            }
            GetAuthorizationTokenError::ThrottlingException(_)
            | GetAuthorizationTokenError::InternalServerException(_) => Verdict::Unavailable,
            _ => return None,
        })
    }
}

impl Mint for CodeArtifactMint {
    fn mint(&self, _started: EpochMs) -> Result<Minted, MintError> {
        crate::aws::mint(&self.chain(), async |scrubber| self.request(scrubber).await)
    }
}
