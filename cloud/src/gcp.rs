//! `backend = "gcp"`: Google Application Default Credentials through google-cloud-auth.
//!
//! Every ADC source the crate supports works: `GOOGLE_APPLICATION_CREDENTIALS` (authorized_user,
//! service_account, external_account — workload identity federation, the CI case —,
//! impersonated_service_account), gcloud's ADC file, and the metadata server.
//!
//! google-cloud-auth does not expose a token's expiry (its `AccessToken` holds only the string).
//! So the expiry is derived: the `exp` claim where the token is a JWT (self-signed service
//! account tokens), else the configured `lifetime` (default 1 h, Google's access-token
//! lifetime) counted from the start of the mint — conservative, since the token was issued after
//! that. Which one was used is stored as the entry's `expiry_source` and shown by `status`.

use std::time::Duration;

use google_cloud_auth::credentials::Builder;

use crate::{block_on_with_timeout, error_chain, jwt_expiry};
use ecluse_cred_contract::mint::{EpochMs, Mint, MintError, Minted};
use ecluse_cred_contract::secret::Secret;

/// The scope asked for when the target names none.
pub const DEFAULT_SCOPE: &str = "https://www.googleapis.com/auth/cloud-platform";
/// Assumed lifetime of a non-JWT access token: Google's default.
pub const DEFAULT_LIFETIME: Duration = Duration::from_secs(3600);

pub struct GcpMint {
    pub scopes: Vec<String>,
    pub lifetime: Duration,
    pub timeout: Duration,
}

impl Mint for GcpMint {
    fn mint(&self, started: EpochMs) -> Result<Minted, MintError> {
        let token = block_on_with_timeout(self.timeout, async {
            // The builder spawns a task, so it is built inside the runtime.
            let credentials = Builder::default()
                .with_scopes(self.scopes.clone())
                .build_access_token_credentials()
                .map_err(|e| {
                    MintError::misconfigured(format!(
                        "no usable Google credentials: {}",
                        error_chain(&e)
                    ))
                })?;
            credentials.access_token().await.map_err(|e| {
                let message = format!("Google credentials: {}", error_chain(&e));
                if e.is_transient() {
                    MintError::transient(message)
                } else {
                    MintError::rejected(message)
                }
            })
        })?
        .token;
        let (expires_at, source) = match jwt_expiry(&token) {
            Some(exp) => (exp, "jwt"),
            None => {
                let lifetime = i64::try_from(self.lifetime.as_millis()).unwrap_or(i64::MAX);
                (started.saturating_add(lifetime), "lifetime")
            }
        };
        Ok(Minted {
            token: Secret::new(token),
            expires_at,
            expiry_source: source.to_owned(),
        })
    }
}
