//! The internal `background-refresh`: the detached process a caller starts to refresh a due
//! token (see [`crate::background`]), holding the lock it inherited.

use crate::cli::BackgroundArgs;
use crate::context::{Context, engine};
use crate::error::{Error, Reply, Result};
use crate::resolve;

/// Refresh only the very target the caller started it for (same backend settings).
pub fn run(ctx: &Context, args: BackgroundArgs) -> Result<Reply> {
    let target = resolve::target(&ctx.config, &args.target)?;
    if target.backend.settings_hash() != args.settings_hash {
        return Err(Error::config(format!(
            "target `{}` is not the target this refresh was started for (its backend settings differ); not refreshing",
            target.name
        )));
    }
    let engine = engine(ctx, &target);
    match crate::background::adopt(args.lock_fd, &engine.store)? {
        Some(lock) => engine.refresh_in_background(lock)?,
        None => crate::event!(
            crate::log::Level::Info,
            "refresh_in_flight",
            Some(&target.name),
            "another process is refreshing"
        ),
    }
    Ok(Reply::Stdout(String::new()))
}
