//! How each client asks for a token: one module per client protocol. Each resolves its target
//! from what the client sends (a URL, a host) or from an explicit `--target`, and gets the
//! token through [`crate::app::Context::serve`], so the whole policy applies to every client.

pub mod cargo;
pub mod ci;
pub mod docker;
pub mod git;
pub mod keyring;
pub mod kube;
pub mod npm;
pub mod shims;
