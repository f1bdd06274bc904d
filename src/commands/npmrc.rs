//! `npmrc`: write one registry's `_authToken` line (or, for pnpm, a `tokenHelper` line) into an
//! `.npmrc`.

use std::path::Path;

use crate::cli::NpmrcArgs;
use crate::context::Context;
use crate::error::{Reply, Result};
use crate::npmrc as npm;
use crate::protocol::{self, pnpm};

pub fn run(ctx: &Context, args: NpmrcArgs) -> Result<Reply> {
    let target = super::which(ctx, &args.which)?;
    // The file setup npm writes too; one it cannot write is refused before anything is minted.
    let file = npm::npmrc_file(args.file.as_deref())?;
    // Check the registry before minting: a typo should not cost a mint.
    npm::auth_key(&args.registry)?;
    protocol::check_serves(&ctx.config, &target, &args.registry, "the registry")?;
    if let Some(dir) = args.pnpm_token_helper {
        let exe = super::own_exe()?;
        let dir = if dir.as_os_str().is_empty() {
            exe.parent().map(Path::to_path_buf).unwrap_or_default()
        } else {
            dir
        };
        let helper = pnpm::pnpm_helper(&dir, &target.name, &exe)?;
        let key = pnpm::token_helper_key(&args.registry)?;
        npm::write_line(&file, &key, &helper.display().to_string())?;
        return Ok(Reply::Stdout(format!(
            "updated {}: {key}={}\n",
            file.display(),
            helper.display()
        )));
    }
    let served = ctx.serve(&target, None, false)?;
    let (key, written) = npm::write_npmrc(
        &file,
        &args.registry,
        args.scope.as_deref(),
        &served.entry.token,
    )?;
    if let Some(note) = written.note(&file, true) {
        crate::event!(crate::log::Level::Warn, "npmrc_mode", None, "{note}");
    }
    Ok(Reply::Stdout(format!(
        "updated {}: {key} (token expires {})\n",
        file.display(),
        served.entry.expires_at
    )))
}
