//! Mint backends: the only code that obtains a new token. Each one implements [`Mint`]; the
//! policy around them (cache, refresh, breaker) is the same for all.

pub mod command;

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

/// The mint for a configured target.
pub fn for_target(target: &crate::config::Target) -> Box<dyn Mint> {
    match &target.backend {
        crate::config::Backend::Command { command } => Box::new(command::CommandMint {
            argv: command.clone(),
            timeout: target.policy.mint_timeout,
        }),
    }
}
