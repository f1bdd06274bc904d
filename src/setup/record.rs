//! What setup remembers about each config file it changes, so that `--undo` gives back the file
//! it found: whether the file was there before setup first changed it, its mode and a digest of
//! its text then, and what setup has wired into it since (`CLIENT URL`, one per registry: npm
//! and pnpm share `.npmrc`, several registries share a `pip.conf`).
//!
//! When `--undo` takes out the last of them (or leaves the file [holding
//! nothing](super::holds_nothing)), the file is as setup found it: a file setup created is
//! removed; a file it did not is kept with what is left of it (`{}`, blank lines, nothing).
//! It gets its mode back (setup narrows the mode of a file it writes a token into, and of one
//! others could write) only when what is left is the text it had before setup: a file that
//! changed since (`npm login` added a token) keeps the narrower mode, and undo says so. The text
//! itself needs no copy: what setup added is marked, and undo takes out exactly that. An undo
//! that finds nothing of setup's in the file leaves it untouched.
//!
//! The record is a small JSON file in ecluse-cred's data directory (`setup/` under
//! [`super::data_home`]), named after the config file's path, written before setup changes the
//! file (and put back if that fails) and removed once undo has given the file back. Only a
//! record of the current user's that others cannot write is trusted. A file without a record
//! (set up by an older ecluse-cred, the record lost or not trusted) is never removed: undo takes
//! out what setup added and keeps the rest, its mode as it is.

use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

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
    /// The SHA-256 of its text then (hex): undo gives the mode back only to that text.
    #[serde(default)]
    text: Option<String>,
    /// What setup has wired into it since, each as [`key`] names it.
    wired: Vec<String>,
}

/// How a record names one setup: the client, the registry URL and the client config it wired
/// (one URL may be wired into two files: a shared file stays while either uses it).
pub(super) fn key(client: SetupClient, url: &str, config: &Path) -> String {
    let client = clap::ValueEnum::to_possible_value(&client)
        .map_or_else(|| format!("{client:?}"), |v| v.get_name().to_owned());
    format!("{client} {url} {}", config.display())
}

/// Whether the recorded `wired` entry is the setup `key` names: that key, or the same client
/// and URL as an older ecluse-cred recorded them (without the config file).
fn names(wired: &str, key: &str) -> bool {
    let mut parts = key.splitn(3, ' ');
    let legacy = [parts.next(), parts.next()]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ");
    wired == key || wired == legacy
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

/// The hex SHA-256 of a file's text.
fn digest(text: &str) -> String {
    Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Why the record file or directory `path` must not be trusted, if it must not: as the
/// cache's files, it is the current user's and nobody else can write it (another user could
/// otherwise have undo remove a file or widen its mode).
fn untrusted(path: &Path) -> Option<String> {
    let meta = std::fs::symlink_metadata(path).ok()?;
    let me = rustix::process::geteuid().as_raw();
    if meta.uid() != me {
        return Some(format!(
            "it belongs to uid {}, not to the current user (uid {me})",
            meta.uid()
        ));
    }
    if meta.file_type().is_symlink() {
        return Some("it is a symbolic link".to_owned());
    }
    let mode = meta.mode() & 0o777;
    (mode & 0o022 != 0).then(|| format!("it is writable by group or others (mode {mode:03o})"))
}

impl Record {
    /// The record of the config file `config`, if there is one. One that cannot be read as a
    /// record, or that is not trusted ([`untrusted`]), is none (with a warning for the latter):
    /// undo then falls back to the rule without one, which never loses the user's text.
    pub(super) fn load(config: &Path) -> Option<Record> {
        let file = file_of(config)?;
        for path in [file.parent()?, file.as_path()] {
            if let Some(why) = untrusted(path) {
                crate::event!(
                    crate::log::Level::Warn,
                    "setup_record",
                    None,
                    "ignoring setup's record {}: {why}",
                    path.display()
                );
                return None;
            }
        }
        let text = super::read(&file).ok()??;
        serde_json::from_str::<Record>(&text)
            .ok()
            .filter(|r| r.path == config)
    }
}

/// Whether the record of `config` says setup wired anything but `key` into it: a file several
/// setups share (the Python keyring backend) stays until the last of them is undone.
pub(super) fn others_wired(config: &Path, key: &str) -> bool {
    Record::load(config).is_some_and(|r| r.wired.iter().any(|k| !names(k, key)))
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
            Err(e) => Err(Error::other(format!("cannot remove {}", file.display())).with_source(e)),
        },
    }
}

/// The record after setup wires `key` into `edit`'s file. A file setup changes for the first
/// time (or that is gone since: the old record is stale) gets a new record saying whether it
/// was there and its mode.
pub(super) fn setup(edit: &Edit, record: Option<&Record>, key: &str) -> Option<Record> {
    if !edit.changes() {
        // A file setup already wrote for another client or registry (the keyring backend the
        // Python tools share): this setup uses it too, and its undo must know.
        return record.cloned().map(|mut r| {
            if !r.wired.iter().any(|k| k == key) {
                r.wired.push(key.to_owned());
            }
            r
        });
    }
    let mut record = match (record, &edit.before) {
        (Some(record), Some(_)) => record.clone(),
        _ => Record {
            path: edit.path.clone(),
            existed: edit.before.is_some(),
            mode: mode_of(&edit.path),
            text: edit.before.as_deref().map(digest),
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
/// (what is left of it, not removed), and gets its mode back if what is left is the text it
/// had then. `removed`: whether the edit takes anything of setup's out (else the file is left
/// as it is). What to tell the user when the mode is not given back, in a line.
pub(super) fn undo(
    edit: &mut Edit,
    record: Option<&Record>,
    key: &str,
    removed: bool,
) -> (Option<Record>, Option<String>) {
    let Some(record) = record else {
        // Without a record, nothing says setup created the file: it is kept.
        if edit.after.is_none() {
            edit.after = edit.bare.take();
        }
        return (None, None);
    };
    // A file that is gone (removed by hand) has nothing to give back.
    if edit.before.is_none() {
        return (None, None);
    }
    let mut left = record.clone();
    left.wired.retain(|k| !names(k, key));
    let forget = |left: Record| (!left.wired.is_empty()).then_some(left);
    if !removed {
        return (forget(left), None);
    }
    let emptied = edit.after.is_none();
    let last =
        emptied || (left.wired.is_empty() && !edit.after.as_deref().unwrap_or("").contains(MARKER));
    if !last {
        return (Some(left), None);
    }
    if !record.existed {
        // Setup's file: removed if nothing is left, else kept with what the user added.
        return (None, None);
    }
    if emptied {
        edit.after = edit.bare.take();
    }
    // A file that did not end its last line got a line ending from setup (its block goes on a
    // line of its own): when taking that off gives back exactly the text setup found, it goes.
    if let (Some(want), Some(after)) = (&record.text, edit.after.as_mut())
        && digest(after) != *want
        && let Some(bare) = ["\r\n", "\n"]
            .iter()
            .find_map(|ending| after.strip_suffix(ending))
            .filter(|bare| digest(bare) == *want)
    {
        let len = bare.len();
        after.truncate(len);
    }
    let Some(was) = record.mode else {
        return (None, None);
    };
    // Never a setuid bit, whatever the record says.
    let was = was & 0o777;
    let same = record.text.is_some() && record.text == edit.after.as_deref().map(digest);
    if same {
        edit.mode = Some(was);
        return (None, None);
    }
    // The file changed since setup (a token of `npm login`'s, say): it keeps the narrower mode.
    let now = mode_of(&edit.path).unwrap_or(was);
    let note = (was & !now & 0o077 != 0).then(|| {
        format!(
            "{} keeps mode {now:04o}, not its {was:04o} of before setup: it changed since, and may hold a token",
            edit.path.display()
        )
    });
    (None, note)
}
