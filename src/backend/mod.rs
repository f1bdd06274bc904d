//! Mint backends in the serving binary: the `command` backend runs here; the cloud backends
//! (`ecluse-cred-cloud`) run in the `ecluse-cred-mint` helper, reached through [`helper`]. Each
//! implements the mint contract ([`crate::mint::Mint`]); the policy around them (cache,
//! refresh, breaker) is the same for all, and every answer is checked once, where it enters
//! the engine ([`crate::policy::check_minted`]).

pub mod command;
pub mod helper;

use crate::config::{Backend, Target};
use crate::mint::Mint;

/// The mint for a target: a `command` runs directly; a cloud backend runs in the
/// `ecluse-cred-mint` helper.
pub fn for_target(target: &Target) -> Box<dyn Mint> {
    let timeout = target.policy.mint_timeout;
    match &target.backend {
        Backend::Command { command } => Box::new(command::CommandMint {
            argv: command.clone(),
            timeout,
        }),
        cloud => Box::new(helper::HelperMint {
            backend: cloud.clone(),
            timeout,
        }),
    }
}
