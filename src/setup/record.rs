//! What setup remembers about each config file it changes, so that `--undo` gives back the file
//! it found: whether the file was there before setup first changed it, its mode then, and what
//! setup has wired into it since (`CLIENT URL`, one per registry: npm and pnpm share `.npmrc`,
//! several registries share a `pip.conf`).
//!
//! When `--undo` takes out the last of them (or leaves the file [holding
//! nothing](super::holds_nothing)), the file is as setup found it: a file setup created is
//! removed; a file it did not is kept with what is left of it (`{}`, blank lines, nothing) and
//! gets its mode back (setup narrows the mode of a file it writes a token into, and of one
//! others could write). The text itself needs no copy: what setup added is marked, and undo
//! takes out exactly that.
//!
//! The record is a small JSON file in ecluse-cred's data directory (`setup/` under
//! [`super::data_home`]), named after the config file's path, written before setup changes the
//! file (and put back if that fails) and removed once undo has given the file back. A file
//! without a record (set up by an older ecluse-cred, or the record lost) gets today's rule:
//! removed if undo leaves it holding nothing, its mode as it is.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::{Edit, MARKER, mode_of};
use crate::cli::SetupClient;
use crate::error::{Error, Result};

/// The records' directory in ecluse-cred's data directory.
const DIR: &str = "setup";

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub(super) struct Record {
    /// The config file, for whoever reads the record.
    path: PathBuf,
    /// Whether the file was there before setup first changed it.
    existed: bool,
    /// Its permission bits then.
    mode: Option<u32>,
    /// What setup has wired into it since, each as [`key`] names it.
    wired: Vec<String>,
}

/// How a record names one setup: the client and the registry URL.
pub(super) fn key(client: SetupClient, url: &str) -> String {
    let client = clap::ValueEnum::to_possible_value(&client)
        .map_or_else(|| format!("{client:?}"), |v| v.get_name().to_owned());
    format!("{client} {url}")
}

/// Where the record of the config file `config` is kept (`None`: there is no data directory,
/// no home; setup then keeps no record, and undo falls back to the rule without one).
fn file_of(config: &Path) -> Option<PathBuf> {
    let stem = crate::cache::file_stem(&config.to_string_lossy());
    Some(
        super::data_home()
            .ok()?
            .join(DIR)
            .join(format!("{stem}.json")),
    )
}

impl Record {
    /// The record of the config file `config`, if there is one. One that cannot be read as a
    /// record is none: undo then falls back to the rule without one, which never loses the
    /// user's text.
    pub(super) fn load(config: &Path) -> Option<Record> {
        let text = super::read(&file_of(config)?).ok()??;
        serde_json::from_str::<Record>(&text)
            .ok()
            .filter(|r| r.path == config)
    }
}

/// Make the stored record of `config` go from `from` to `to` (`None`: no record).
pub(super) fn store(config: &Path, from: Option<&Record>, to: Option<&Record>) -> Result<()> {
    if from == to {
        return Ok(());
    }
    let Some(file) = file_of(config) else {
        return Ok(());
    };
    match to {
        Some(record) => {
            let text = serde_json::to_string_pretty(record).expect("a record serializes") + "\n";
            super::write(&file, &text, true, None).map(drop)
        }
        None => match std::fs::remove_file(&file) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(Error::other(format!(
                "cannot remove {}: {e}",
                file.display()
            ))),
        },
    }
}

/// The record after setup wires `key` into `edit`'s file. A file setup changes for the first
/// time (or that is gone since: the old record is stale) gets a new record saying whether it
/// was there and its mode.
pub(super) fn setup(edit: &Edit, record: Option<&Record>, key: &str) -> Option<Record> {
    if !edit.changes() {
        return record.cloned();
    }
    let mut record = match (record, &edit.before) {
        (Some(record), Some(_)) => record.clone(),
        _ => Record {
            path: edit.path.clone(),
            existed: edit.before.is_some(),
            mode: mode_of(&edit.path),
            wired: Vec::new(),
        },
    };
    if !record.wired.iter().any(|k| k == key) {
        record.wired.push(key.to_owned());
    }
    Some(record)
}

/// The record after undo takes `key` out of `edit`'s file, and the edit made to give back the
/// file setup found when that was the last of what setup added: a file that was there is kept
/// (what is left of it, not removed) and gets its mode back.
pub(super) fn undo(edit: &mut Edit, record: Option<&Record>, key: &str) -> Option<Record> {
    let record = record?;
    // A file that is gone (removed by hand) has nothing to give back.
    edit.before.as_ref()?;
    let mut left = record.clone();
    left.wired.retain(|k| k != key);
    let emptied = edit.after.is_none();
    let last =
        emptied || (left.wired.is_empty() && !edit.after.as_deref().unwrap_or("").contains(MARKER));
    if !last {
        return Some(left);
    }
    if record.existed {
        if emptied {
            edit.after = edit.bare.take();
        }
        edit.mode = record.mode;
    }
    None
}
