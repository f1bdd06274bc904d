//! `exec`: run a command with the token in its environment only, and become it.

use std::os::unix::process::CommandExt;

use crate::ci;
use crate::cli::ExecArgs;
use crate::context::Context;
use crate::error::{Code, Error, Reply, Result};
use crate::protocol;

/// Run the command with the token in its environment only, and become it (exec), so its exit
/// status is ours and nothing of ecluse-cred stays around it. Returns only on failure.
pub fn run(ctx: &Context, args: ExecArgs) -> Result<Reply> {
    let target = super::which(ctx, &args.which)?;
    if let Some(registry) = &args.npm_registry {
        crate::npmrc::auth_key(registry)?;
        protocol::check_serves(&ctx.config, &target, registry, "the registry")?;
    }
    let served = ctx.serve(&target, None, false)?;
    let token = served.entry.token.expose();
    let (program, rest) = args.command.split_first().expect("clap requires a command");
    let mut cmd = std::process::Command::new(program);
    cmd.args(rest);
    let names = if args.envs.is_empty() {
        vec![ci::DEFAULT_ENV.to_owned()]
    } else {
        args.envs
    };
    for name in names {
        cmd.env(name, token);
    }
    if let Some(registry) = &args.npm_registry {
        cmd.env(
            format!("npm_config_{}", crate::npmrc::auth_key(registry)?),
            token,
        );
    }
    ecluse_cred_contract::signal::restore_sigchld_for_exec();
    let e = cmd.exec();
    let shown = program.to_string_lossy();
    Err(match e.kind() {
        std::io::ErrorKind::NotFound => Error::new(
            Code::NotFound,
            format!("cannot run `{shown}`: command not found"),
        ),
        std::io::ErrorKind::PermissionDenied => Error::new(
            Code::NotExecutable,
            format!("cannot run `{shown}`: permission denied"),
        ),
        // Found but not runnable (a script without `#!`, another architecture, busy, a symlink
        // loop): what shells report as 126.
        _ if matches!(
            e.raw_os_error(),
            Some(libc::ENOEXEC | libc::ETXTBSY | libc::ELOOP | libc::ENAMETOOLONG | libc::EISDIR)
        ) =>
        {
            Error::new(Code::NotExecutable, format!("cannot run `{shown}`")).with_source(e)
        }
        _ => Error::other(format!("cannot run `{shown}`")).with_source(e),
    })
}
