//! The bottom of ecluse-cred: the contract between the policy and the backends that mint
//! tokens ([`mint`]), the [`secret`] type a token travels in, and what may be shown of outside
//! input and of failures ([`redact`]); and what the serving binary and the `ecluse-cred-mint`
//! helper exchange: a target's [`backend`] settings, the [`helper`]'s request and response,
//! the [`exit`] statuses of the failure kinds, the [`signal`] set-up both binaries share, and
//! how a file that must not hang or flood its reader is read ([`fs`]).
//!
//! It is a crate of its own so that the cloud backends (`ecluse-cred-cloud`, linked only into
//! the `ecluse-cred-mint` helper, a package of its own) and the serving binary share the
//! contract without either depending on the other: `ecluse-cred` builds no cloud SDK.

pub mod backend;
pub mod exit;
pub mod fs;
pub mod helper;
pub mod mint;
pub mod redact;
pub mod secret;
pub mod signal;
