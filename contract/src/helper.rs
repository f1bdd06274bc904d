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

/// A fleet step (issue 22, docs/fleet.md): the helper talks to the shared store, never to a
/// cloud. Told apart from a mint [`Request`] by its `fleet` field. The serving binary holds
/// no store client and no crypto: it asks the helper for each step, around its own mint.
#[derive(Clone, serde::Serialize, serde::Deserialize)]
pub struct FleetRequest {
    pub fleet: FleetStore,
    /// The target's backend settings hash (`Backend::settings_hash`); the helper keys it with
    /// the fleet key into the entry's name, so a name reveals nothing to whoever lacks the key.
    pub settings_hash: String,
    pub op: FleetOp,
}

/// The `[fleet]` section, as the helper needs it: secrets only by their variables' names.
#[derive(Clone, serde::Serialize, serde::Deserialize)]
pub struct FleetStore {
    pub store: String,
    pub key_env: String,
    pub password_env: Option<String>,
    pub username: Option<String>,
    pub ca_file: Option<std::path::PathBuf>,
    pub namespace: String,
    pub timeout_ms: u64,
}

/// What the helper does with the store.
#[derive(Clone, serde::Serialize, serde::Deserialize)]
#[serde(tag = "mode", rename_all = "kebab-case")]
pub enum FleetOp {
    /// Before a mint: a shared token still before its refresh point, else the fleet's
    /// `failing` record, else the fleet lock (or, when another host holds it, its token).
    FleetGet {
        /// The policy's `min_ttl`: an entry valid for less (clamped as the policy clamps it)
        /// is a miss.
        min_ttl_ms: i64,
        /// The caller's own need (`--min-ttl`), unclamped: an entry valid for no more is a
        /// miss.
        #[serde(default)]
        need_ttl_ms: Option<i64>,
        /// The longest token lifetime the policy accepts.
        max_lifetime_ms: i64,
        /// A `failing` record further ahead than this (the first breaker cooldown, jittered
        /// at most) is not believed.
        max_failing_ms: i64,
        /// The fleet lock's expiry: a little past `mint_timeout`.
        lock_ms: u64,
        /// How long to wait while another host holds the lock: the lock's life and one pause,
        /// at most `lock_timeout` less both fleet steps' bounds.
        wait_ms: u64,
    },
    /// After a mint: publish its outcome, and release the lock if `owner` holds it.
    FleetPut {
        owner: Option<String>,
        outcome: FleetOutcome,
    },
    /// Whether the store answers and the key is well-formed (`status`, `doctor`).
    FleetPing,
}

/// What a host's mint came to, for the fleet.
#[derive(Clone, serde::Serialize, serde::Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum FleetOutcome {
    /// A token, sealed into the shared entry, which expires with it.
    Minted {
        token: String,
        issued_at: EpochMs,
        expires_at: EpochMs,
        refresh_at: EpochMs,
    },
    /// The token API is failing: no host but the next lock holder calls it before `until`.
    Failing { until: EpochMs },
    /// Nothing to share (a failure of this host's own, such as rejected credentials).
    Nothing,
}

/// The helper's answer to a [`FleetRequest`], on stdout (exit 0).
#[derive(Clone, serde::Serialize, serde::Deserialize)]
#[serde(tag = "answer", rename_all = "kebab-case")]
pub enum FleetAnswer {
    /// The fleet's token: no mint.
    Token {
        token: String,
        expires_at_ms: EpochMs,
    },
    /// The fleet's token API is failing until then: no mint.
    Failing { until: EpochMs },
    /// Mint: this host holds the fleet lock as `owner`.
    Mint { owner: String },
    /// Mint without the lock: another host's mint did not publish in time.
    MintYourself { reason: String },
    /// The store cannot be used now: mint as without `[fleet]`.
    NoStore { reason: String },
    /// A put or ping done.
    Done,
}
