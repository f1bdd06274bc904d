//! `install shims [DIR]`: the symlinks clients run, to this executable.

use std::path::{Path, PathBuf};

use crate::error::{Reply, Result};
use crate::shims;

pub fn run(dir: Option<PathBuf>) -> Result<Reply> {
    let exe = super::own_exe()?;
    let dir = match dir {
        Some(dir) => dir,
        None => exe.parent().map(Path::to_path_buf).unwrap_or_default(),
    };
    shims::install(&dir, &exe).map(Reply::Stdout)
}
