//! `refresh`: mint a new token now, under the lock (`--force`: even while the breaker is open).

use crate::cli::RefreshArgs;
use crate::context::{Context, engine};
use crate::error::{Reply, Result};

pub fn run(ctx: &Context, args: RefreshArgs) -> Result<Reply> {
    let target = super::which(ctx, &args.which)?;
    let entry = engine(ctx, &target).refresh(args.force)?;
    Ok(Reply::Stdout(format!(
        "refreshed `{}`: token expires {}, refresh due {}\n",
        target.name, entry.expires_at, entry.refresh_at
    )))
}
