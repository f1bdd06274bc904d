//! The wire types of the `ecluse-cred-mint` helper, which runs one cloud mint for
//! `ecluse-cred` (see `ecluse-cred`'s `backend::helper` for why it is a separate executable).
//!
//! The protocol is private to one installation: a JSON [`Request`] on stdin (never on the
//! command line, which every local user can read in `/proc/PID/cmdline`), read to its end and
//! at most [`MAX_REQUEST_BYTES`]; the helper takes no argument but `--version`. Success is a
//! JSON [`Response`] on stdout; failure is one line on stderr and the exit status of its
//! failure kind ([`crate::exit`]: 75 transient, 77 rejected, 78 misconfigured).

use crate::backend::Backend;
use crate::mint::EpochMs;

/// Most the helper reads of its request: a target's settings are a few hundred bytes.
pub const MAX_REQUEST_BYTES: u64 = 1 << 20;

#[derive(serde::Serialize, serde::Deserialize)]
pub struct Request {
    pub backend: Backend,
    /// The helper's own deadline; the parent kills it at `mint_timeout` regardless.
    pub timeout_ms: u64,
    /// When the mint started, for relative expiries.
    pub started: EpochMs,
}

#[derive(serde::Serialize, serde::Deserialize)]
pub struct Response {
    pub token: String,
    pub expires_at_ms: EpochMs,
    pub expiry_source: String,
}
