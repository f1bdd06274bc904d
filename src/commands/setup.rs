//! `setup CLIENT`: wire a client to a registry in its own config (see [`crate::setup`]).

use crate::cli::SetupArgs;
use crate::context::Context;
use crate::error::{Reply, Result};

pub fn run(ctx: &Context, args: SetupArgs) -> Result<Reply> {
    crate::setup::run(ctx, &args).map(Reply::Done)
}
