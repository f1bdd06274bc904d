//! ecluse-cred: a credential helper that serves short-lived package-registry tokens from a
//! local cache and refreshes them before they expire. See README.md.
//!
//! This library is the `ecluse-cred` executable (src/main.rs), which serves tokens and never
//! builds a cloud SDK. Cloud mints run in `ecluse-cred-mint` (the `mint/` package), which
//! shares only the contract crate with it (see [`backend::helper`]).
//!
//! Layers, each using only those below it (`tests/structure.rs` checks it):
//!
//! - [`dispatch`]: the one dispatch table, from the invocation to its command;
//! - `commands`: one file per command, each handing back its reply;
//! - `setup`: wiring clients; `doctor`; [`cli`]: the command line;
//! - [`protocol`]: one module per client protocol, each exchange a function of its input;
//! - `context`: the wiring every front-end uses (config, cache dir, serve, print);
//! - `engine`, `background`, [`backend`], `cache`, [`resolve`]: running the policy;
//! - [`config`]: the configuration and its types;
//! - [`policy`] and, from `ecluse-cred-contract`, [`mint`], [`secret`], [`redact`]; [`error`],
//!   `files`, `log`, `process`.
//!
//! Only what the binaries, tests and benchmarks use is public.

pub mod backend;
mod background;
mod cache;
pub mod ci;
pub mod cli;
mod cloud_hosts;
mod commands;
pub mod config;
mod context;
pub mod dispatch;
mod doctor;
mod engine;
pub mod error;
mod files;
#[cfg(feature = "fuzzing")]
pub mod fuzzing;
mod ini;
mod log;
mod npmrc;
pub mod policy;
mod process;
pub mod protocol;
pub mod request;
pub mod resolve;
mod setup;
pub mod shims;

pub use ecluse_cred_contract::{mint, redact, secret};
