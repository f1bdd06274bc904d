//! `backend = "codeartifact"`: AWS CodeArtifact GetAuthorizationToken through the AWS SDK.
//!
//! Credentials come from the default AWS chain (env, profile/SSO, web identity — the CI OIDC
//! case —, ECS, IMDS) or a named profile; they are resolved once per mint and handed to the
//! client, so nothing is resolved twice. The SDK is bounded explicitly: at most
//! [`MAX_ATTEMPTS`] requests per mint for transient failures, short backoff, and the whole
//! operation cut at `mint_timeout`, so one caller never becomes a burst against the token API.
//! The runtime and SDK are built only here, when a mint is needed.

use std::time::Duration;

use aws_config::BehaviorVersion;
use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_sdk_codeartifact::config::{ProvideCredentials, Region};
use aws_sdk_codeartifact::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_codeartifact::operation::get_authorization_token::GetAuthorizationTokenError;

use crate::block_on_with_timeout;
use ecluse_cred_contract::mint::{EpochMs, Mint, MintError, Minted};
use ecluse_cred_contract::secret::Secret;

/// Requests one mint may send to the token API (the first try and two retries).
pub const MAX_ATTEMPTS: u32 = 3;
/// Longest pause between those attempts: retries must fit in `mint_timeout`.
const MAX_BACKOFF: Duration = Duration::from_secs(2);
/// Connecting to the endpoint takes at most this long (or `mint_timeout`, if shorter).
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

pub struct CodeArtifactMint {
    pub domain: String,
    pub domain_owner: Option<String>,
    pub region: Option<String>,
    pub duration: Option<Duration>,
    pub profile: Option<String>,
    pub timeout: Duration,
}

impl CodeArtifactMint {
    /// Which credentials were asked for, for error messages.
    fn chain(&self) -> String {
        match &self.profile {
            Some(p) => format!("AWS profile `{p}`"),
            None => "the default AWS credential chain (env, profile, web identity, ECS, IMDS)"
                .to_owned(),
        }
    }

    async fn request(&self) -> Result<Minted, MintError> {
        let mut loader = aws_config::defaults(BehaviorVersion::latest())
            .retry_config(
                RetryConfig::standard()
                    .with_max_attempts(MAX_ATTEMPTS)
                    .with_max_backoff(MAX_BACKOFF),
            )
            .timeout_config(
                TimeoutConfig::builder()
                    .operation_timeout(self.timeout)
                    .connect_timeout(CONNECT_TIMEOUT.min(self.timeout))
                    .build(),
            );
        if let Some(profile) = &self.profile {
            loader = loader.profile_name(profile);
        }
        if let Some(region) = &self.region {
            loader = loader.region(Region::new(region.clone()));
        }
        let sdk = loader.load().await;
        if sdk.region().is_none() {
            return Err(MintError::misconfigured(
                "no AWS region: set `region` in the target, AWS_REGION, or a region in the AWS profile",
            ));
        }
        let provider = sdk.credentials_provider().ok_or_else(|| {
            MintError::rejected(format!("no AWS credentials provider for {}", self.chain()))
        })?;
        let credentials = provider.provide_credentials().await.map_err(|e| {
            MintError::rejected(format!(
                "no usable AWS credentials from {}: {}",
                self.chain(),
                DisplayErrorContext(&e)
            ))
        })?;
        let identity = format!(
            "access key {} from {}",
            credentials.access_key_id(),
            self.chain()
        );
        let config = aws_sdk_codeartifact::config::Builder::from(&sdk)
            .credentials_provider(credentials)
            .build();
        let client = aws_sdk_codeartifact::Client::from_conf(config);
        let mut call = client.get_authorization_token().domain(&self.domain);
        if let Some(owner) = &self.domain_owner {
            call = call.domain_owner(owner);
        }
        if let Some(duration) = self.duration {
            call = call.duration_seconds(duration.as_secs() as i64);
        }
        let output = call.send().await.map_err(|e| self.classify(e, &identity))?;
        let token = output.authorization_token().ok_or_else(|| {
            MintError::transient("CodeArtifact answered without an authorizationToken")
        })?;
        let expiration = output
            .expiration()
            .ok_or_else(|| MintError::transient("CodeArtifact answered without an expiration"))?;
        // Checked with every backend's answer when it enters the engine: not empty, no control
        // characters, expiring after the mint started and not absurdly far away.
        let expires_at = expiration
            .secs()
            .saturating_mul(1000)
            .saturating_add(i64::from(expiration.subsec_nanos() / 1_000_000));
        Ok(Minted {
            token: Secret::new(token.to_owned()),
            expires_at,
            expiry_source: "expiration".to_owned(),
        })
    }

    /// Map an SDK error to rejected (77), misconfigured (78) or transient (75).
    fn classify(&self, e: SdkError<GetAuthorizationTokenError>, identity: &str) -> MintError {
        let SdkError::ServiceError(ctx) = &e else {
            // Timeouts, connection failures, unparseable responses.
            return MintError::transient(format!("CodeArtifact: {}", DisplayErrorContext(&e)));
        };
        let err = ctx.err();
        let status = ctx.raw().status().as_u16();
        if (200..300).contains(&status) {
            // The SDK could not read a success response: the service (or something in between)
            // answered garbage. Temporary; the body is not quoted, it may hold a token.
            return MintError::transient(format!(
                "CodeArtifact answered HTTP {status} with a malformed body ({} bytes): not the JSON object with authorizationToken and expiration that GetAuthorizationToken returns{}",
                ctx.raw().body().bytes().map_or(0, <[u8]>::len),
                parse_failure(&e).map_or(String::new(), |why| format!(" ({why})"))
            ));
        }
        let code = err.code().unwrap_or("UnknownError");
        let detail = format!("{code}: {}", err.message().unwrap_or("(no message)"));
        match err {
            GetAuthorizationTokenError::AccessDeniedException(_) => {
                MintError::rejected(format!("CodeArtifact refused {identity}: {detail}"))
            }
            GetAuthorizationTokenError::ResourceNotFoundException(_)
            | GetAuthorizationTokenError::ValidationException(_) => {
                MintError::misconfigured(format!(
                    "CodeArtifact: {detail} (check the target's domain `{}`, domain_owner `{}`, region and duration)",
                    self.domain,
                    self.domain_owner.as_deref().unwrap_or("(caller's account)")
                ))
            }
            GetAuthorizationTokenError::ThrottlingException(_)
            | GetAuthorizationTokenError::InternalServerException(_) => {
                MintError::transient(format!("CodeArtifact: {detail}"))
            }
            _ if status == 401 || status == 403 || is_credential_code(code) => {
                MintError::rejected(format!("CodeArtifact refused {identity}: {detail}"))
            }
            _ if status == 429 || status >= 500 => {
                MintError::transient(format!("CodeArtifact: {detail}"))
            }
            _ => MintError::misconfigured(format!("CodeArtifact: HTTP {status}: {detail}")),
        }
    }
}

/// What the SDK's deserializer said about a response it could not read, where that can be
/// told without quoting the response (its innermost error, without any quoted text).
fn parse_failure(e: &dyn std::error::Error) -> Option<String> {
    let mut innermost = e.source()?;
    while let Some(next) = innermost.source() {
        innermost = next;
    }
    let text = innermost.to_string();
    (!text.contains(['"', '`', '\'']) && text.len() <= 200).then_some(text)
}

/// AWS error codes that mean the signature or the credentials were not accepted.
fn is_credential_code(code: &str) -> bool {
    [
        "UnrecognizedClient",
        "InvalidSignature",
        "ExpiredToken",
        "InvalidClientTokenId",
        "SignatureDoesNotMatch",
        "AccessDenied",
    ]
    .iter()
    .any(|c| code.starts_with(c))
}

impl Mint for CodeArtifactMint {
    fn mint(&self, _started: EpochMs) -> Result<Minted, MintError> {
        block_on_with_timeout(self.timeout, self.request())
    }
}
