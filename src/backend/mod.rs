//! Mint backends in the serving binary: the `command` backend runs here; the cloud backends
//! (`ecluse-cred-cloud`) run in the `ecluse-cred-mint` helper, reached through [`helper`]. Each
//! implements the mint contract ([`crate::mint::Mint`]); the policy around them (cache,
//! refresh, breaker) is the same for all, and every answer is checked once, where it enters
//! the engine ([`crate::policy::check_minted`]).

pub mod command;
pub mod fleet;
pub mod helper;

use crate::config::{Backend, FleetConfig, Target};
use crate::mint::Mint;

/// The mint for a target: a `command` runs directly; a cloud backend runs in the
/// `ecluse-cred-mint` helper. With a `[fleet]` store (`fleet`) that the target uses, either is
/// wrapped in [`fleet::FleetMint`]: the fleet's token first, and one mint per fleet.
pub fn for_target(target: &Target, fleet: Option<&FleetConfig>) -> Box<dyn Mint> {
    let inner = own_mint(target, fleet);
    match fleet {
        Some(fleet) if target.fleet => Box::new(fleet::FleetMint {
            inner,
            fleet: fleet.clone(),
            settings_hash: target.backend.settings_hash(),
            policy: target.policy.clone(),
            target: target.name.clone(),
        }),
        _ => inner,
    }
}

/// The target's own mint, as without `[fleet]`; it never sees the fleet key's or the store
/// password's variable (whether or not this target uses the store).
fn own_mint(target: &Target, fleet: Option<&FleetConfig>) -> Box<dyn Mint> {
    let timeout = target.policy.mint_timeout;
    // The fleet key's and the store password's variables are the fleet steps' alone: not for a
    // `command`, nor for the cloud mint's helper run and what the SDKs start (an AWS
    // `credential_process`, a Google executable credential source).
    let hidden_env: Vec<String> = fleet
        .map(|f| {
            std::iter::once(&f.key_env)
                .chain(&f.password_env)
                .cloned()
                .collect()
        })
        .unwrap_or_default();
    match &target.backend {
        Backend::Command { command } => Box::new(command::CommandMint {
            argv: command.clone(),
            timeout,
            hidden_env,
        }),
        cloud => Box::new(helper::HelperMint {
            backend: cloud.clone(),
            timeout,
            hidden_env,
        }),
    }
}
