//! ecluse-cred: a credential helper that serves short-lived package-registry tokens from a
//! local cache and refreshes them before they expire. See README.md.
//!
//! Two executables share this library: `ecluse-cred` (src/main.rs), which serves tokens and
//! never links a cloud SDK, and `ecluse-cred-mint` (src/bin/ecluse-cred-mint.rs), which runs one
//! cloud mint when `ecluse-cred` needs a new token (see [`backend::helper`]).

pub mod app;
pub mod backend;
pub mod background;
pub mod cache;
pub mod cli;
pub mod config;
pub mod engine;
pub mod error;
pub mod fuzzing;
pub mod log;
pub mod policy;
pub mod process;
pub mod protocol;
pub mod redact;
pub mod resolve;
pub mod secret;
