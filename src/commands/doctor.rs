//! `doctor`: check the setup and say how to fix each problem (see [`crate::doctor`]). It loads
//! the configuration itself: a broken one is one of the things it reports.

use crate::cli::DoctorArgs;
use crate::context::Locations;
use crate::error::{Reply, Result};

pub fn run(locations: Locations, args: DoctorArgs) -> Result<Reply> {
    let Locations { config, cache_dir } = locations;
    crate::doctor::run(config, cache_dir, &args).map(Reply::Done)
}
