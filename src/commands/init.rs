//! `init`: a starter config file, so a first token needs no file from the source tree: a
//! `command` target that works offline and a commented example of each backend.

use std::path::PathBuf;

use crate::cli::InitArgs;
use crate::error::{Error, Reply, Result};

/// The starter config (the repository's `examples/quickstart.toml`, which the README's quick
/// start reads too).
pub const STARTER: &str = include_str!("../../examples/quickstart.toml");

/// Write [`STARTER`] to `config` (`--config`, else the default file), never over an existing
/// file; with `--print`, print it instead.
pub fn run(config: Option<PathBuf>, args: InitArgs) -> Result<Reply> {
    if args.print {
        return Ok(Reply::Stdout(STARTER.to_owned()));
    }
    let path = match config {
        Some(path) => path,
        None => crate::context::default_config_path().ok_or_else(|| {
            Error::config("no home directory to put the config in: name the file with --config")
        })?,
    };
    // Only a regular file of about the starter's size is read to compare (never a FIFO,
    // a device or something endless).
    let is_starter = std::fs::symlink_metadata(&path)
        .is_ok_and(|m| m.is_file() && m.len() == STARTER.len() as u64)
        && std::fs::read_to_string(&path).is_ok_and(|text| text == STARTER);
    if is_starter {
        return Ok(Reply::Stdout(format!(
            "{} is the starter config already\n",
            path.display()
        )));
    }
    if std::fs::symlink_metadata(&path).is_ok() {
        return Err(Error::config(format!(
            "{} already exists; init does not replace it (`ecluse-cred init --print` shows the starter config to copy from)",
            path.display()
        )));
    }
    crate::files::write(&path, STARTER, false, None)?;
    Ok(Reply::Stdout(format!(
        "wrote {}: a `demo` target that works offline, and commented examples of each backend\nnext: ecluse-cred{} token --target demo\n",
        path.display(),
        if crate::context::default_config_path().as_ref() == Some(&path) {
            String::new()
        } else {
            format!(" --config {}", path.display())
        }
    )))
}
