//! The commands, one file each: `run(&Context, Args) -> Result<Reply>`. A command resolves its
//! target, gets the token through [`crate::context`], and hands back what to print
//! ([`Reply`]); [`crate::error::finish`] prints it and maps a failure to its exit code. The
//! dispatch (`crate::dispatch`) picks the command; a client's shim name is the same command.

pub mod background;
pub mod clear;
pub mod clients;
pub mod docs;
pub mod doctor;
pub mod exec;
pub mod init;
pub mod install;
pub mod kube;
pub mod kubelet;
pub mod npmrc;
pub mod refresh;
pub mod setup;
pub mod status;
pub mod token;

use crate::cli::Which;
use crate::config::Target;
use crate::context::Context;
use crate::error::{Code, Error, Result};
use crate::resolve;

/// The target a command names with `--target` or `--url`.
fn which(ctx: &Context, which: &Which) -> Result<Target> {
    match (&which.target, &which.url) {
        (Some(name), _) => resolve::target(&ctx.config, name),
        (None, Some(url)) => resolve::resolve(&ctx.config, url),
        (None, None) => Err(Error::new(
            Code::Usage,
            "name a target with --target or --url",
        )),
    }
}

use crate::files::own_exe;
