//! The client protocols' entry points, under their shim names and as subcommands alike: each
//! hands its front-end ([`crate::protocol`]) the process's stdin and arguments. A front-end is
//! given the configuration as loaded, or why it could not be, so that even a broken one is
//! reported in its client's form (docker's on stdout).

use crate::context::Context;
use crate::error::{Reply, Result};
use crate::protocol::{bazel, cargo, docker, git, goauth, keyring, kubelet, pnpm, terraform};

/// pip's and uv's `keyring`, with keyring's own arguments.
pub fn keyring(ctx: Result<Context>, args: &[String]) -> Result<Reply> {
    keyring::exchange(ctx, args)
}

/// git's credential helper: git's operation, and `--target` where our command line names one.
pub fn git(ctx: Result<Context>, operation: Option<&str>, target: Option<&str>) -> Result<Reply> {
    git::exchange(ctx, operation, target, &mut std::io::stdin().lock())
}

/// docker's credential helper, with docker's operation.
pub fn docker(ctx: Result<Context>, operation: Option<&str>) -> Result<Reply> {
    Ok(docker::exchange(
        ctx,
        operation,
        &mut std::io::stdin().lock(),
    ))
}

/// Go's GOAUTH, with the URL go was refused (none on its first call).
pub fn goauth(ctx: Result<Context>, url: Option<&str>) -> Result<Reply> {
    goauth::exchange(ctx, url, &mut std::io::stdin().lock())
}

/// The credential-helper spec (Bazel), with Bazel's command.
pub fn bazel(ctx: Result<Context>, operation: Option<&str>) -> Result<Reply> {
    bazel::exchange(ctx, operation, &mut std::io::stdin().lock())
}

/// Terraform's credentials helper, with Terraform's arguments (`get HOST`).
pub fn terraform(ctx: Result<Context>, args: &[String]) -> Result<Reply> {
    terraform::exchange(ctx, args, &mut std::io::stdin().lock())
}

/// The kubelet's image credential provider: its request on stdin.
pub fn kubelet(ctx: Result<Context>) -> Result<Reply> {
    kubelet::exchange(ctx, &mut std::io::stdin().lock())
}

/// pnpm's token helper for the target named in the shim.
pub fn pnpm(ctx: Result<Context>, target: &str) -> Result<Reply> {
    pnpm::exchange(ctx, target)
}

/// cargo's credential provider: the exchange on stdin and stdout until cargo closes stdin.
pub fn cargo(ctx: Result<Context>) -> Result<Reply> {
    let provider = cargo::Provider {
        ctx: ctx.map_err(|e| e.chain().to_string()),
    };
    cargo::exchange(
        &provider,
        &mut std::io::stdin().lock(),
        &mut std::io::stdout().lock(),
    )
}
