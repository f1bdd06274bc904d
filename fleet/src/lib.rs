//! The fleet tier (issue 22): hosts that share one Redis or Valkey store share their tokens, so a
//! fleet of ephemeral jobs makes one mint per target, not one per host. Linked only into the
//! `ecluse-cred-mint` helper: the serving binary's cached path never touches the store.
//!
//! - [`seal`]: tokens sealed with an AEAD under the fleet key, the entry's key name as associated
//!   data.
//! - [`store`]: the store client (connect with a timeout, TLS, AUTH), the lock (set-if-absent
//!   with an expiry, released only by its owner) and the published entries.
//! - [`step`]: the steps the helper runs for `ecluse-cred` around a mint (read, lock, wait,
//!   publish, shared breaker, ping).

pub mod seal;
pub mod step;
pub mod store;
