//! The mint contract: what a backend returns when it obtains a new token ([`Minted`]), how it
//! fails ([`MintError`], whose [`FailureKind`] decides the exit code when no usable token is
//! left), and the one time type the policy compares ([`EpochMs`]). Backends implement [`Mint`];
//! the policy and the breaker only use these types.

use std::fmt;

use crate::secret::Secret;

/// Milliseconds since the Unix epoch: the one time type the policy compares.
pub type EpochMs = i64;

/// What a backend returns: the secret and when it stops working.
#[derive(Debug, Clone, PartialEq)]
pub struct Minted {
    pub token: Secret,
    pub expires_at: EpochMs,
    /// Where the expiry came from (`expires_at`, `expires_in`, `jwt`, ...), shown in `status`.
    pub expiry_source: String,
}

/// Why a mint failed, which decides the exit code when no usable token is left.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FailureKind {
    /// Timeouts, throttling, 5xx, crashes: retrying later may work.
    Transient,
    /// The backend said the caller is not authorised.
    Rejected,
    /// The target's settings are wrong, e.g. the command does not exist.
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
}

impl fmt::Display for MintError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

/// A failed mint has no cause to chain: its message already says, in the backend's words, what
/// happened (a cause could carry what the mint printed, and so a token).
impl std::error::Error for MintError {}

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_mint_error_is_a_std_error_showing_its_message_alone() {
        let e: Box<dyn std::error::Error + Send + Sync> =
            Box::new(MintError::rejected("the backend said 403"));
        assert_eq!(e.to_string(), "the backend said 403");
        assert!(e.source().is_none());
        let back = e.downcast::<MintError>().expect("a MintError");
        assert_eq!(back.kind, FailureKind::Rejected);
    }
}
