//! The bottom of ecluse-cred: the contract between the policy and the backends that mint
//! tokens ([`mint`]), the [`secret`] type a token travels in, and what may be shown of outside
//! input and of failures ([`redact`]).
//!
//! It is a crate of its own so that the cloud backends (`ecluse-cred-cloud`, linked only into
//! the `ecluse-cred-mint` helper) and the serving binary share the contract without either
//! depending on the other.

pub mod mint;
pub mod redact;
pub mod secret;
