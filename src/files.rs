//! File system operations a credential tool needs, in one place: finding the user's files
//! (home, XDG directories, a path from the environment, where a symlinked config really is),
//! reading a config only when it is a regular file (never blocking on a FIFO), and writing one
//! atomically with a mode that keeps a token private. Used by `setup`, the `npmrc` command and
//! `doctor` alike, so they agree on which file is the user's and how it is written.

use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// This executable's path: what shims link to, configs name and the background refresh runs.
pub(crate) fn own_exe() -> Result<PathBuf> {
    std::env::current_exe().map_err(|e| Error::other("cannot find own executable").with_source(e))
}

/// The user's home directory.
pub(crate) fn home() -> Result<PathBuf> {
    directories::BaseDirs::new()
        .map(|d| d.home_dir().to_owned())
        .ok_or_else(|| Error::config("no home directory: name the file with --file"))
}

/// `$XDG_CONFIG_HOME`, else `~/.config`.
pub(crate) fn config_home() -> Result<PathBuf> {
    match std::env::var_os("XDG_CONFIG_HOME").filter(|v| !v.is_empty()) {
        Some(dir) => Ok(PathBuf::from(dir)),
        None => Ok(home()?.join(".config")),
    }
}

/// The value of environment variable `name`, if set and not empty.
pub(crate) fn env_path(name: &str) -> Option<PathBuf> {
    std::env::var_os(name)
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
}

/// A path setting as npm reads one (its config's `path` type, `NPM_CONFIG_USERCONFIG`): a
/// leading `~/` is the home directory, and a relative path is taken against the working
/// directory, both as npm does; else a file named `~` would be written under the working
/// directory.
pub(crate) fn npm_path(path: &Path) -> Result<PathBuf> {
    let path = match path.strip_prefix("~") {
        Ok(rest) if path.as_os_str().as_encoded_bytes().starts_with(b"~/") => home()?.join(rest),
        _ => path.to_owned(),
    };
    std::path::absolute(&path).map_err(|e| Error::other(path.display().to_string()).with_source(e))
}

/// Most symlinks a config path is followed through (the kernel's own limit).
const MAX_SYMLINKS: usize = 40;

/// Where `path` really is: a symlinked config (a dotfile manager's link) is read, written and
/// removed where it points, even if that does not exist yet, and the link itself stays.
pub(crate) fn resolved(path: &Path) -> Result<PathBuf> {
    let mut path = path.to_owned();
    for _ in 0..MAX_SYMLINKS {
        match std::fs::read_link(&path) {
            Ok(to) => {
                let base = path.parent().unwrap_or(Path::new("/"));
                path = base.join(to);
            }
            Err(_) => {
                // `dir/../x` shown as the directory it is.
                let parent = path.parent().and_then(|p| std::fs::canonicalize(p).ok());
                return Ok(match (parent, path.file_name()) {
                    (Some(parent), Some(name)) => parent.join(name),
                    _ => path,
                });
            }
        }
    }
    Err(Error::config(format!(
        "{}: too many levels of symbolic links; not touching it",
        path.display()
    )))
}

/// Longest client config file read: far above any real one, and a bound on memory when a
/// config path names something that never ends.
const MAX_CLIENT_CONFIG_BYTES: u64 = 16 << 20;

/// The text of the config file at `path` (`None`: there is none). Only a regular file is read
/// (and later replaced): a device in its place (`/dev/null` as "no config") would be replaced by
/// a file, and a FIFO would block the read ([`ecluse_cred_contract::fs::read_regular`]).
pub(crate) fn read(path: &Path) -> Result<Option<String>> {
    use ecluse_cred_contract::fs::{ReadError, read_regular};
    match read_regular(path, MAX_CLIENT_CONFIG_BYTES) {
        Ok(text) => Ok(Some(text)),
        Err(e) if e.is_not_found() => Ok(None),
        Err(ReadError::NotRegular) => Err(Error::config(format!(
            "{} is not a regular file (a device, FIFO or directory); not touching it: name the file to edit with --file",
            path.display()
        ))),
        Err(ReadError::NotUtf8) => Err(Error::config(format!(
            "{}:1: not UTF-8 text; not touching it",
            path.display()
        ))),
        Err(e) => Err(Error::other(format!("cannot read {}", path.display())).with_source(e)),
    }
}

/// A file's mode before and after [`write`].
#[derive(Default)]
pub(crate) struct Written {
    /// Its mode before (`None`: it was not there).
    pub was: Option<u32>,
    /// Its mode now.
    pub now: u32,
}

impl Written {
    /// What to tell the user when an existing file's mode was narrowed (a token's file that
    /// others could read), in a line.
    /// A mode given back wider (undo restoring the file setup found) is said too.
    pub fn note(&self, path: &Path, secret: bool) -> Option<String> {
        let was = self.was?;
        if self.now & !was & 0o077 != 0 {
            return Some(format!(
                "{} was mode {was:04o}, now {:04o} again, as before setup",
                path.display(),
                self.now
            ));
        }
        let was = Some(was).filter(|was| was & !self.now & 0o077 != 0)?;
        Some(format!(
            "{} was mode {was:04o}, now {:04o}: {}",
            path.display(),
            self.now,
            if secret {
                "it holds a token, for your eyes only"
            } else {
                "a config others can write could send your token elsewhere"
            }
        ))
    }
}

/// Write the config file `path` atomically: a temp file beside it, fsynced, renamed over it (a
/// reader sees the old file or the new one); its directory is made (0755) if missing. Its mode
/// is `mode` if given (undo giving a mode back), else: an existing file keeps its mode, less
/// write for group and others, and less any access for them when it holds a token (`secret`);
/// a new file is 0644, or 0600 with a token.
pub(crate) fn write(path: &Path, text: &str, secret: bool, mode: Option<u32>) -> Result<Written> {
    let fail =
        |e: std::io::Error| Error::other(format!("cannot write {}", path.display())).with_source(e);
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    // Not the umask's say: a config directory writable by others lets them swap the config.
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o755)
        .create(dir)
        .map_err(fail)?;
    let was = mode_of(path);
    let now = match (mode, was) {
        // Permission bits only: never a setuid bit, whatever asked for it.
        (Some(mode), _) => mode & 0o777,
        (None, Some(was)) if secret => was & 0o600,
        (None, Some(was)) => was & !0o022,
        (None, None) if secret => 0o600,
        (None, None) => 0o644,
    };
    let mut tmp = tempfile::Builder::new()
        .prefix(".ecluse-cred-setup.")
        .tempfile_in(dir)
        .map_err(fail)?;
    tmp.as_file()
        .set_permissions(std::fs::Permissions::from_mode(now))
        .map_err(fail)?;
    tmp.write_all(text.as_bytes()).map_err(fail)?;
    tmp.as_file().sync_all().map_err(fail)?;
    tmp.persist(path).map_err(|e| fail(e.error))?;
    Ok(Written { was, now })
}

/// ecluse-cred's own data directory: `$XDG_DATA_HOME/ecluse-cred`, else
/// `~/.local/share/ecluse-cred` (as [`config_home`], on every platform: no space in the path,
/// which Bazel's `.bazelrc` could not carry).
pub(crate) fn data_home() -> Result<PathBuf> {
    let base = match env_path("XDG_DATA_HOME").filter(|d| d.is_absolute()) {
        Some(dir) => dir,
        None => home()?.join(".local").join("share"),
    };
    Ok(base.join("ecluse-cred"))
}

/// A file's permission bits, if it exists.
pub(crate) fn mode_of(path: &Path) -> Option<u32> {
    std::fs::metadata(path)
        .ok()
        .map(|m| m.permissions().mode() & 0o7777)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn npm_paths_take_a_leading_tilde_as_home_and_a_relative_one_against_the_cwd() {
        let cwd = std::env::current_dir().unwrap();
        assert_eq!(
            npm_path(Path::new("~/a/npmrc")).unwrap(),
            home().unwrap().join("a/npmrc")
        );
        assert_eq!(npm_path(Path::new("a/npmrc")).unwrap(), cwd.join("a/npmrc"));
        // Only `~/` is the home directory, as for npm.
        assert_eq!(npm_path(Path::new("~a")).unwrap(), cwd.join("~a"));
        assert_eq!(
            npm_path(Path::new("/etc/npmrc")).unwrap(),
            Path::new("/etc/npmrc")
        );
    }

    #[test]
    fn a_mode_given_back_wider_is_said_and_a_narrowed_one_too() {
        let path = Path::new("/f");
        let wider = Written {
            was: Some(0o600),
            now: 0o644,
        };
        assert!(
            wider
                .note(path, true)
                .unwrap()
                .contains("now 0644 again, as before setup")
        );
        let narrower = Written {
            was: Some(0o644),
            now: 0o600,
        };
        assert!(
            narrower
                .note(path, true)
                .unwrap()
                .contains("for your eyes only")
        );
        let same = Written {
            was: Some(0o600),
            now: 0o600,
        };
        assert!(same.note(path, true).is_none());
    }
}
