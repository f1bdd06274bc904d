//! `clear`: forget one target's (or every target's) cached token and breaker state.

use crate::cache::{self, FileStore};
use crate::cli::ClearArgs;
use crate::context::Context;
use crate::error::{Reply, Result};
use crate::policy;
use crate::resolve;

pub fn run(ctx: &Context, args: ClearArgs) -> Result<Reply> {
    let timeout = policy::DEFAULT_LOCK_TIMEOUT;
    let names: Vec<String> = match args.target {
        // The name resolution gives it (a derived host in lower case), or as given for a
        // target no longer configured that still has files.
        Some(name) => vec![resolve::target(&ctx.config, &name).map_or(name, |t| t.name)],
        None => cache::cached_stems(&ctx.cache_dir)?,
    };
    let mut out = String::new();
    for name in names {
        // The settings hash does not matter for removing the files.
        let cleared = FileStore::new(&ctx.cache_dir, &name, "").clear(timeout)?;
        out.push_str(&if cleared {
            format!("cleared `{}`\n", crate::redact::text(&name))
        } else {
            format!("nothing cached for `{}`\n", crate::redact::text(&name))
        });
    }
    if out.is_empty() {
        out = format!("nothing cached in {}\n", ctx.cache_dir.display());
    }
    Ok(Reply::Stdout(out))
}
