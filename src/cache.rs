//! The on-disk cache: one JSON file and one lock file per target, in a private directory.
//!
//! What a long-running server keeps in memory (the token, the single-flight flag, the breaker)
//! lives here so that every short-lived `ecluse-cred` process shares it:
//!
//! - `NAME.json` holds the token, its times and the breaker. It is replaced atomically (temp file
//!   in the same directory, fsync, rename), so a reader without the lock sees the old or the new
//!   file, never a torn one. It records the target name and a hash of the backend settings, and a
//!   file for other settings is ignored: editing a target never serves the old target's token.
//! - `NAME.lock` is held with `flock(2)` by whoever mints. The kernel releases it when the holder
//!   exits, however it exits (`kill -9` included), so a lock is never stale. Lock files are never
//!   deleted: a process could otherwise lock a deleted file while another locks its replacement.
//!
//! The directory is created 0700 and every file in it 0600. A directory or file that is a
//! symlink, belongs to another user, or is writable by group or others is refused (exit 78),
//! without following or touching it. Files are opened with `O_NOFOLLOW` and checked through the
//! open descriptor, so there is no window between the check and the use.

use std::fs::{self, File, OpenOptions};
use std::io::{Read, Write};
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};

use crate::error::{Error, Result};
use crate::log::Level;
use crate::policy::{Breaker, Entry};

/// Version of the cache file format; a file of another version is ignored and replaced.
pub const CACHE_VERSION: u32 = 1;
/// Longest cache file that is read: far above a real one, and a bound when it is garbage.
const MAX_CACHE_BYTES: u64 = 1 << 20;
/// First and longest pause between attempts to take a busy lock.
const LOCK_POLL_MIN: Duration = Duration::from_millis(2);
const LOCK_POLL_MAX: Duration = Duration::from_millis(50);

/// What the cache knows about a target.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct State {
    pub entry: Option<Entry>,
    pub breaker: Breaker,
}

#[derive(serde::Serialize, serde::Deserialize)]
struct CacheFile {
    version: u32,
    target: String,
    settings_hash: String,
    entry: Option<Entry>,
    #[serde(default)]
    breaker: Breaker,
}

/// The cache of one target.
pub struct FileStore {
    dir: PathBuf,
    target: String,
    settings_hash: String,
    cache_path: PathBuf,
    lock_path: PathBuf,
}

/// A held target lock. Dropping it (or the process dying) releases it.
pub struct Lock {
    /// `None` when the cache directory cannot be written and holds no lock file: the caller
    /// then mints without single-flight rather than not at all.
    file: Option<File>,
}

impl Lock {
    pub fn file(&self) -> Option<&File> {
        self.file.as_ref()
    }

    /// Take over a lock whose descriptor was inherited from the process that acquired it.
    pub fn adopt(file: File) -> Lock {
        Lock { file: Some(file) }
    }
}

impl FileStore {
    pub fn new(dir: &Path, target: &str, settings_hash: &str) -> FileStore {
        let stem = file_stem(target);
        FileStore {
            dir: dir.to_owned(),
            target: target.to_owned(),
            settings_hash: settings_hash.to_owned(),
            cache_path: dir.join(format!("{stem}.json")),
            lock_path: dir.join(format!("{stem}.lock")),
        }
    }

    pub fn lock_path(&self) -> &Path {
        &self.lock_path
    }

    /// Read the target's state without the lock. A missing, corrupt, foreign or other-version
    /// file reads as empty; an unsafe directory or file is an error.
    pub fn load(&self) -> Result<State> {
        if !check_dir(&self.dir)? {
            return Ok(State::default());
        }
        let Some(mut file) = open_checked(&self.cache_path, OpenOptions::new().read(true))? else {
            return Ok(State::default());
        };
        let mut bytes = Vec::new();
        if let Err(e) = Read::take(&mut file, MAX_CACHE_BYTES).read_to_end(&mut bytes) {
            return Err(Error::other(format!(
                "cannot read {}: {e}",
                self.cache_path.display()
            )));
        }
        parse_state(&bytes, &self.target, &self.settings_hash).or_else(|why| {
            crate::event!(
                Level::Info,
                "cache_ignored",
                Some(&self.target),
                "ignoring cache file {}: {why}; the next mint replaces it",
                self.cache_path.display()
            );
            Ok(State::default())
        })
    }

    /// Replace the target's state atomically. Call with the lock held.
    pub fn save(&self, _lock: &Lock, state: &State) -> Result<()> {
        self.ensure_dir()?;
        let file = CacheFile {
            version: CACHE_VERSION,
            target: self.target.clone(),
            settings_hash: self.settings_hash.clone(),
            entry: state.entry.clone(),
            breaker: state.breaker.clone(),
        };
        let json = serde_json::to_vec_pretty(&file).expect("cache state serializes");
        let fail = |e: std::io::Error| {
            Error::other(format!("cannot write {}: {e}", self.cache_path.display()))
        };
        // tempfile creates the file 0600 with O_EXCL under a random name.
        let mut tmp = tempfile::Builder::new()
            .prefix(&format!(".{}.", file_stem(&self.target)))
            .suffix(".tmp")
            .tempfile_in(&self.dir)
            .map_err(fail)?;
        tmp.write_all(&json).map_err(fail)?;
        tmp.as_file().sync_all().map_err(fail)?;
        tmp.persist(&self.cache_path).map_err(|e| fail(e.error))?;
        // Make the rename itself durable.
        File::open(&self.dir)
            .and_then(|d| d.sync_all())
            .map_err(fail)?;
        Ok(())
    }

    /// Forget the cached token and breaker (under the lock), and any temp file a killed writer
    /// left. Returns whether there was anything cached.
    pub fn clear(&self, timeout: Duration) -> Result<bool> {
        if !check_dir(&self.dir)? {
            return Ok(false);
        }
        let _lock = self.lock(timeout)?.ok_or_else(|| {
            Error::temp(format!(
                "timed out waiting for the lock {} to clear it",
                self.lock_path.display()
            ))
        })?;
        let existed = match fs::remove_file(&self.cache_path) {
            Ok(()) => true,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => false,
            Err(e) => {
                return Err(Error::other(format!(
                    "cannot remove {}: {e}",
                    self.cache_path.display()
                )));
            }
        };
        let tmp_prefix = format!(".{}.", file_stem(&self.target));
        for leftover in fs::read_dir(&self.dir).into_iter().flatten().flatten() {
            let name = leftover.file_name();
            let name = name.to_string_lossy();
            if name.starts_with(&tmp_prefix) && name.ends_with(".tmp") {
                let _ = fs::remove_file(leftover.path());
            }
        }
        Ok(existed)
    }

    /// Take the lock if it is free.
    pub fn try_lock(&self) -> Result<Option<Lock>> {
        self.ensure_dir()?;
        let mut read_write = OpenOptions::new();
        read_write.read(true).write(true).create(true).mode(0o600);
        let file = match open_nofollow(&self.lock_path, &mut read_write) {
            Ok(file) => file.expect("created"),
            Err(Opening::Refused(e)) => return Err(e),
            // A read-only or full cache directory: an existing lock file still locks (flock
            // needs no write access); without one, mint unlocked rather than not at all.
            Err(Opening::Failed(e))
                if matches!(
                    e.raw_os_error(),
                    Some(libc::EROFS | libc::ENOSPC | libc::EDQUOT)
                ) =>
            {
                match open_checked(&self.lock_path, OpenOptions::new().read(true))? {
                    Some(file) => file,
                    None => {
                        crate::event!(
                            Level::Warn,
                            "lock_unavailable",
                            Some(&self.target),
                            "cannot create {} ({e}); minting without the lock",
                            self.lock_path.display()
                        );
                        return Ok(Some(Lock { file: None }));
                    }
                }
            }
            Err(Opening::Failed(e)) => {
                return Err(Error::other(format!(
                    "cannot open {}: {e}",
                    self.lock_path.display()
                )));
            }
        };
        match file.try_lock() {
            Ok(()) => Ok(Some(Lock { file: Some(file) })),
            Err(fs::TryLockError::WouldBlock) => Ok(None),
            Err(fs::TryLockError::Error(e)) => Err(Error::other(format!(
                "cannot lock {}: {e}",
                self.lock_path.display()
            ))),
        }
    }

    /// Take the lock, waiting at most `timeout` for its holder; `None` if it timed out.
    pub fn lock(&self, timeout: Duration) -> Result<Option<Lock>> {
        let deadline = Instant::now() + timeout;
        let mut pause = LOCK_POLL_MIN;
        loop {
            if let Some(lock) = self.try_lock()? {
                return Ok(Some(lock));
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Ok(None);
            }
            std::thread::sleep(pause.min(left));
            pause = (pause * 2).min(LOCK_POLL_MAX);
        }
    }

    /// Create the directory (0700) if needed, and check it.
    pub fn ensure_dir(&self) -> Result<()> {
        if !check_dir(&self.dir)? {
            if let Some(parent) = self.dir.parent() {
                fs::create_dir_all(parent).map_err(|e| {
                    Error::config(format!(
                        "cannot create cache directory {}: {e}",
                        parent.display()
                    ))
                })?;
            }
            match fs::DirBuilder::new().mode(0o700).create(&self.dir) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
                Err(e) => {
                    return Err(Error::config(format!(
                        "cannot create cache directory {}: {e}",
                        self.dir.display()
                    )));
                }
            }
            check_dir(&self.dir)?;
        }
        Ok(())
    }
}

/// The state in a cache file's bytes, or why they are to be ignored: not a cache file, another
/// format version, or written for another target or other backend settings.
pub fn parse_state(
    bytes: &[u8],
    target: &str,
    settings_hash: &str,
) -> std::result::Result<State, String> {
    let parsed: CacheFile = serde_json::from_slice(bytes).map_err(|e| {
        format!(
            "not a valid cache file (line {}, column {})",
            e.line(),
            e.column()
        )
    })?;
    if parsed.version != CACHE_VERSION {
        return Err(format!(
            "format version {} (this build reads {CACHE_VERSION})",
            parsed.version
        ));
    }
    if parsed.target != target || parsed.settings_hash != settings_hash {
        return Err("written for other target settings".to_owned());
    }
    Ok(State {
        entry: parsed.entry,
        breaker: parsed.breaker,
    })
}

/// The cache files of every target in `dir`, by target stem: for `clear --all` and `status`.
pub fn cached_stems(dir: &Path) -> Result<Vec<String>> {
    if !check_dir(dir)? {
        return Ok(Vec::new());
    }
    let mut stems: Vec<String> = fs::read_dir(dir)
        .map_err(|e| Error::other(format!("cannot list {}: {e}", dir.display())))?
        .flatten()
        .filter_map(|e| {
            e.file_name()
                .to_str()?
                .strip_suffix(".json")
                .map(str::to_owned)
        })
        .filter(|stem| !stem.starts_with('.'))
        .collect();
    stems.sort();
    Ok(stems)
}

/// The file name for a target: the name itself when it is a safe file name, else a readable
/// part plus a hash of the full name, so distinct names never share a file.
pub fn file_stem(target: &str) -> String {
    let safe = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.');
    if !target.is_empty()
        && !target.starts_with('.')
        && target.chars().all(safe)
        && target.len() <= 100
    {
        return target.to_owned();
    }
    let readable: String = target
        .chars()
        .map(|c| if safe(c) { c } else { '_' })
        .take(60)
        .collect();
    let hash: String = Sha256::digest(target.as_bytes())[..6]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    format!("{}-{hash}", readable.trim_start_matches('.'))
}

fn euid() -> u32 {
    // SAFETY: geteuid(2) cannot fail and touches no memory.
    unsafe { libc::geteuid() }
}

/// Whether `dir` exists; an error if it is unsafe to use.
fn check_dir(dir: &Path) -> Result<bool> {
    let meta = match fs::symlink_metadata(dir) {
        Ok(meta) => meta,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(false),
        Err(e) => {
            return Err(Error::config(format!(
                "cache directory {}: {e}",
                dir.display()
            )));
        }
    };
    let refuse = |why: &str| {
        Err(Error::config(format!(
            "refusing to use cache directory {}: {why}",
            dir.display()
        )))
    };
    if meta.file_type().is_symlink() {
        return refuse("it is a symlink (point --cache-dir at the real directory)");
    }
    if !meta.is_dir() {
        return refuse("it is not a directory");
    }
    check_owner_and_mode(&meta, euid()).map_or(Ok(true), |why| refuse(&why))
}

/// Why a file with `meta` must not be trusted by user `uid`, if it must not.
fn check_owner_and_mode(meta: &fs::Metadata, uid: u32) -> Option<String> {
    if meta.uid() != uid {
        return Some(format!(
            "it belongs to uid {}, not to the current user (uid {uid})",
            meta.uid()
        ));
    }
    let mode = meta.permissions().mode() & 0o777;
    if mode & 0o022 != 0 {
        return Some(format!(
            "it is writable by group or others (mode {mode:03o}; expected 0700 for directories, 0600 for files)"
        ));
    }
    None
}

/// Open `path` without following a symlink and check the opened file; `None` if it does not
/// exist (and `options` does not create it).
fn open_checked(path: &Path, options: &mut OpenOptions) -> Result<Option<File>> {
    match open_nofollow(path, options) {
        Ok(opened) => Ok(opened),
        Err(Opening::Refused(e)) => Err(e),
        Err(Opening::Failed(e)) => {
            Err(Error::other(format!("cannot open {}: {e}", path.display())))
        }
    }
}

/// Why [`open_nofollow`] failed: refused (unsafe), or the OS said no (read-only, full, ...).
enum Opening {
    Refused(Error),
    Failed(std::io::Error),
}

/// Open `path` without following a symlink and check the opened file (no window between the
/// check and the use); `None` if it does not exist and `options` does not create it.
fn open_nofollow(
    path: &Path,
    options: &mut OpenOptions,
) -> std::result::Result<Option<File>, Opening> {
    let refuse = |why: &str| {
        Opening::Refused(Error::config(format!(
            "refusing to use {}: {why}",
            path.display()
        )))
    };
    let file = match options.custom_flags(libc::O_NOFOLLOW).open(path) {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) if e.raw_os_error() == Some(libc::ELOOP) => return Err(refuse("it is a symlink")),
        Err(e) => return Err(Opening::Failed(e)),
    };
    let meta = file.metadata().map_err(Opening::Failed)?;
    if !meta.is_file() {
        return Err(refuse("it is not a regular file"));
    }
    if let Some(why) = check_owner_and_mode(&meta, euid()) {
        return Err(refuse(&why));
    }
    Ok(Some(file))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::Entry;
    use crate::secret::Secret;

    fn entry() -> Entry {
        Entry {
            token: Secret::new("tok".into()),
            issued_at: 1,
            expires_at: 100,
            refresh_at: 80,
            jitter: 0.0,
            expiry_source: "test".into(),
        }
    }

    #[test]
    fn saved_state_reads_back_and_files_are_private() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("cache");
        let store = FileStore::new(&dir, "build", "h1");
        assert_eq!(store.load().unwrap(), State::default());
        let lock = store.try_lock().unwrap().unwrap();
        let state = State {
            entry: Some(entry()),
            breaker: Breaker::default(),
        };
        store.save(&lock, &state).unwrap();
        assert_eq!(store.load().unwrap(), state);
        let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&dir), 0o700);
        assert_eq!(mode(&dir.join("build.json")), 0o600);
        assert_eq!(mode(&dir.join("build.lock")), 0o600);
    }

    #[test]
    fn other_settings_or_versions_or_garbage_read_as_empty() {
        let tmp = tempfile::tempdir().unwrap();
        let store = FileStore::new(tmp.path(), "build", "h1");
        let lock = store.try_lock().unwrap().unwrap();
        store
            .save(
                &lock,
                &State {
                    entry: Some(entry()),
                    breaker: Breaker::default(),
                },
            )
            .unwrap();
        assert_eq!(
            FileStore::new(tmp.path(), "build", "h2").load().unwrap(),
            State::default()
        );
        let path = tmp.path().join("build.json");
        let text = fs::read_to_string(&path).unwrap();
        fs::write(&path, text.replace("\"version\": 1", "\"version\": 99")).unwrap();
        assert_eq!(store.load().unwrap(), State::default());
        fs::write(&path, b"\x00{garbage").unwrap();
        assert_eq!(store.load().unwrap(), State::default());
    }

    #[test]
    fn lock_is_exclusive_and_released_on_drop() {
        let tmp = tempfile::tempdir().unwrap();
        let store = FileStore::new(tmp.path(), "t", "h");
        let held = store.try_lock().unwrap().unwrap();
        assert!(store.try_lock().unwrap().is_none());
        assert!(store.lock(Duration::from_millis(30)).unwrap().is_none());
        drop(held);
        assert!(store.try_lock().unwrap().is_some());
    }

    #[test]
    fn symlinked_dir_or_file_and_loose_modes_are_refused() {
        let tmp = tempfile::tempdir().unwrap();
        let real = tmp.path().join("real");
        fs::create_dir(&real).unwrap();
        fs::set_permissions(&real, fs::Permissions::from_mode(0o700)).unwrap();
        let link = tmp.path().join("link");
        std::os::unix::fs::symlink(&real, &link).unwrap();
        let e = FileStore::new(&link, "t", "h").load().unwrap_err();
        assert!(e.message.contains("symlink"), "{}", e.message);

        let victim = tmp.path().join("victim");
        fs::write(&victim, "keep").unwrap();
        std::os::unix::fs::symlink(&victim, real.join("t.json")).unwrap();
        let e = FileStore::new(&real, "t", "h").load().unwrap_err();
        assert!(e.message.contains("symlink"), "{}", e.message);
        assert_eq!(fs::read_to_string(&victim).unwrap(), "keep");

        fs::set_permissions(&real, fs::Permissions::from_mode(0o777)).unwrap();
        let e = FileStore::new(&real, "u", "h").load().unwrap_err();
        assert!(
            e.message.contains("writable by group or others"),
            "{}",
            e.message
        );
    }

    #[test]
    fn unsafe_target_names_get_distinct_safe_file_names() {
        assert_eq!(file_stem("build-1.x"), "build-1.x");
        let a = file_stem("../etc/passwd");
        let b = file_stem("__etc_passwd");
        assert!(!a.contains('/') && !a.starts_with('.'), "{a}");
        assert_ne!(a, b);
        assert_ne!(file_stem("a/b"), file_stem("a:b"));
    }
}
