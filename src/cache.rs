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
//! without following or touching it. The directory is opened with `O_NOFOLLOW` and checked
//! through its descriptor, and every file is reached relative to it (`openat` with
//! `O_NOFOLLOW`, then checked through its own descriptor; `renameat`, `unlinkat`), so there is
//! no window between a check and the use.

use std::fs::{self, File};
use std::io::{Read, Write};
use std::os::fd::OwnedFd;
use std::os::unix::fs::DirBuilderExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use rustix::fs::{FileType, Mode, OFlags};
use rustix::io::Errno;
use sha2::{Digest, Sha256};

use crate::error::{Error, Result};
use crate::log::Level;
use crate::policy::{self, Breaker, Entry};

/// Version of the cache file format; a file of another version is ignored and replaced.
pub const CACHE_VERSION: u32 = 1;
/// Longest cache file that is read: far above a real one, and a bound when it is garbage.
const MAX_CACHE_BYTES: u64 = 1 << 20;
/// Temp files are `.STEM.` + this many hex digits + [`TEMP_SUFFIX`].
const TEMP_ID_DIGITS: usize = 16;
const TEMP_SUFFIX: &str = ".tmp";
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
    /// `NAME.json` and `NAME.lock`: names inside `dir`.
    cache_name: String,
    lock_name: String,
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
            cache_name: format!("{stem}.json"),
            lock_name: format!("{stem}.lock"),
        }
    }

    pub fn lock_path(&self) -> PathBuf {
        self.dir.join(&self.lock_name)
    }

    fn cache_path(&self) -> PathBuf {
        self.dir.join(&self.cache_name)
    }

    /// Read the target's state without the lock. A missing, corrupt, foreign or other-version
    /// file reads as empty; an unsafe directory or file is an error.
    pub fn load(&self) -> Result<State> {
        let Some(dir) = Dir::open(&self.dir)? else {
            return Ok(State::default());
        };
        let Some(mut file) = dir.open_checked(&self.cache_name, OFlags::RDONLY, Mode::empty())?
        else {
            return Ok(State::default());
        };
        let mut bytes = Vec::new();
        // One byte more than the limit tells an oversized file from one that fits.
        if let Err(e) = Read::take(&mut file, MAX_CACHE_BYTES + 1).read_to_end(&mut bytes) {
            return Err(
                Error::other(format!("cannot read {}", self.cache_path().display())).with_source(e),
            );
        }
        parse_state(&bytes, &self.target, &self.settings_hash).or_else(|why| {
            crate::event!(
                Level::Info,
                "cache_ignored",
                Some(&self.target),
                "ignoring cache file {}: {why}; the next mint replaces it",
                self.cache_path().display()
            );
            Ok(State::default())
        })
    }

    /// Replace the target's state atomically: a fresh temp file in the directory, written,
    /// fsynced and renamed over the cache file, then the directory fsynced. Call with the lock.
    pub fn save(&self, _lock: &Lock, state: &State) -> Result<()> {
        let dir = self.ensure_dir()?;
        let file = CacheFile {
            version: CACHE_VERSION,
            target: self.target.clone(),
            settings_hash: self.settings_hash.clone(),
            entry: state.entry.clone(),
            breaker: state.breaker.clone(),
        };
        let json = serde_json::to_vec_pretty(&file).expect("cache state serializes");
        let fail = |e: std::io::Error| {
            Error::other(format!("cannot write {}", self.cache_path().display())).with_source(e)
        };
        let (tmp_name, mut tmp) = dir.create_temp(&self.temp_prefix()).map_err(fail)?;
        let written = tmp
            .write_all(&json)
            .and_then(|()| tmp.sync_all())
            .and_then(|()| dir.rename(&tmp_name, &self.cache_name));
        if written.is_err() {
            let _ = dir.unlink(&tmp_name);
            return written.map_err(fail);
        }
        // Renamed: every reader sees the new state now. A directory that cannot be synced only
        // risks the rename after a crash, which the next mint repairs; it is not a failed save
        // (`refresh` would say the old token is still cached when it is not).
        let _ = dir.sync();
        Ok(())
    }

    fn temp_prefix(&self) -> String {
        format!(".{}.", file_stem(&self.target))
    }

    /// Whether `name` is one of this target's temp files, exactly as [`Dir::create_temp`] names
    /// them: `.STEM.` and 16 hex digits and `.tmp`. (A prefix match alone would take target
    /// `a.b`'s `.a.b.<hex>.tmp` for one of target `a`'s.)
    fn is_own_temp(&self, name: &str) -> bool {
        name.strip_prefix(&self.temp_prefix())
            .and_then(|rest| rest.strip_suffix(TEMP_SUFFIX))
            .is_some_and(|id| {
                id.len() == TEMP_ID_DIGITS && id.bytes().all(|b| b.is_ascii_hexdigit())
            })
    }

    /// Forget the cached token and breaker (under the lock), and any temp file a killed writer
    /// left. Returns whether there was anything cached.
    pub fn clear(&self, timeout: Duration) -> Result<bool> {
        let Some(dir) = Dir::open(&self.dir)? else {
            return Ok(false);
        };
        let _lock = self.lock(timeout)?.ok_or_else(|| {
            Error::temp(format!(
                "timed out waiting for the lock {} to clear it",
                self.lock_path().display()
            ))
        })?;
        let existed = match dir.unlink(&self.cache_name) {
            Ok(()) => true,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => false,
            Err(e) => {
                return Err(
                    Error::other(format!("cannot remove {}", self.cache_path().display()))
                        .with_source(e),
                );
            }
        };
        for name in dir.names() {
            if self.is_own_temp(&name) {
                let _ = dir.unlink(&name);
            }
        }
        Ok(existed)
    }

    /// Take the lock if it is free.
    pub fn try_lock(&self) -> Result<Option<Lock>> {
        let dir = self.ensure_dir()?;
        let read_write = OFlags::RDWR | OFlags::CREATE;
        let file = match dir.open_nofollow(&self.lock_name, read_write, Mode::from_raw_mode(0o600))
        {
            Ok(Some(file)) => file,
            // O_CREAT gives ENOENT only when the directory itself is gone: removed after it
            // was opened.
            Ok(None) => {
                return Err(Error::temp(format!(
                    "the cache directory {} was removed while in use; try again",
                    self.dir.display()
                )));
            }
            Err(Opening::Refused(e)) => return Err(e),
            // A read-only or full cache directory: an existing lock file still locks (flock
            // needs no write access); without one, mint unlocked rather than not at all.
            Err(Opening::Failed(e))
                if matches!(
                    Errno::from_io_error(&e),
                    Some(Errno::ROFS | Errno::NOSPC | Errno::DQUOT)
                ) =>
            {
                match dir.open_checked(&self.lock_name, OFlags::RDONLY, Mode::empty())? {
                    Some(file) => file,
                    None => {
                        crate::event!(
                            Level::Warn,
                            "lock_unavailable",
                            Some(&self.target),
                            "cannot create {} ({e}); minting without the lock",
                            self.lock_path().display()
                        );
                        return Ok(Some(Lock { file: None }));
                    }
                }
            }
            Err(Opening::Failed(e)) => {
                return Err(
                    Error::other(format!("cannot open {}", self.lock_path().display()))
                        .with_source(e),
                );
            }
        };
        match file.try_lock() {
            Ok(()) => Ok(Some(Lock { file: Some(file) })),
            Err(fs::TryLockError::WouldBlock) => Ok(None),
            Err(fs::TryLockError::Error(e)) => Err(Error::other(format!(
                "cannot lock {}",
                self.lock_path().display()
            ))
            .with_source(e)),
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

    /// The directory, created (0700) if needed, opened and checked.
    pub fn ensure_dir(&self) -> Result<Dir> {
        if let Some(dir) = Dir::open(&self.dir)? {
            return Ok(dir);
        }
        let cannot = |e: std::io::Error| {
            Error::config(format!(
                "cannot create cache directory {}",
                self.dir.display()
            ))
            .with_source(e)
        };
        if let Some(parent) = self.dir.parent() {
            fs::create_dir_all(parent).map_err(cannot)?;
        }
        match fs::DirBuilder::new().mode(0o700).create(&self.dir) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(cannot(e)),
        }
        Dir::open(&self.dir)?.ok_or_else(|| cannot(std::io::ErrorKind::NotFound.into()))
    }
}

/// The cache directory, opened without following a symlink and checked through its
/// descriptor. Every file in it is then reached relative to that descriptor (`openat`,
/// `renameat`, `unlinkat`), so the directory that was checked is the one that is used, whatever
/// happens to its path meanwhile.
pub struct Dir {
    fd: OwnedFd,
    path: PathBuf,
}

/// Why [`Dir::open_nofollow`] failed: refused (unsafe), or the OS said no (read-only, full, ...).
enum Opening {
    Refused(Error),
    Failed(std::io::Error),
}

impl Dir {
    /// `None` if `path` does not exist; an error if it is not a safe directory.
    fn open(path: &Path) -> Result<Option<Dir>> {
        let refuse = |why: &str| {
            Err(Error::config(format!(
                "refusing to use cache directory {}: {why}",
                path.display()
            )))
        };
        let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC;
        let fd = match rustix::fs::open(path, flags, Mode::empty()) {
            Ok(fd) => fd,
            Err(Errno::NOENT) => return Ok(None),
            // O_DIRECTORY|O_NOFOLLOW on a symlink fails with ENOTDIR (or ELOOP): look, for the
            // message only, at what is there.
            Err(Errno::LOOP | Errno::NOTDIR) => {
                return if fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink()) {
                    refuse("it is a symlink (point --cache-dir at the real directory)")
                } else {
                    refuse("it is not a directory")
                };
            }
            Err(e) => {
                return Err(
                    Error::config(format!("cache directory {}", path.display())).with_source(e)
                );
            }
        };
        let stat = rustix::fs::fstat(&fd).map_err(|e| {
            Error::config(format!("cache directory {}", path.display())).with_source(e)
        })?;
        match check_owner_and_mode(stat.st_uid, stat.st_mode) {
            Some(why) => refuse(&why),
            None => Ok(Some(Dir {
                fd,
                path: path.to_owned(),
            })),
        }
    }

    /// Open `name` in this directory without following a symlink, and check the opened file.
    fn open_nofollow(
        &self,
        name: &str,
        flags: OFlags,
        mode: Mode,
    ) -> std::result::Result<Option<File>, Opening> {
        let path = self.path.join(name);
        let refuse = |why: &str| {
            Opening::Refused(Error::config(format!(
                "refusing to use {}: {why}",
                path.display()
            )))
        };
        // O_NONBLOCK: opening a FIFO put in place of a cache file must not wait for a writer
        // (it is refused below, as a symlink is). It means nothing for the regular files used.
        let fd = match rustix::fs::openat(
            &self.fd,
            name,
            flags | OFlags::NOFOLLOW | OFlags::CLOEXEC | OFlags::NONBLOCK,
            mode,
        ) {
            Ok(fd) => fd,
            Err(Errno::NOENT) => return Ok(None),
            Err(Errno::LOOP) => return Err(refuse("it is a symlink")),
            Err(e) => return Err(Opening::Failed(e.into())),
        };
        let stat = rustix::fs::fstat(&fd).map_err(|e| Opening::Failed(e.into()))?;
        if FileType::from_raw_mode(stat.st_mode) != FileType::RegularFile {
            return Err(refuse("it is not a regular file"));
        }
        if let Some(why) = check_owner_and_mode(stat.st_uid, stat.st_mode) {
            return Err(refuse(&why));
        }
        Ok(Some(File::from(fd)))
    }

    fn open_checked(&self, name: &str, flags: OFlags, mode: Mode) -> Result<Option<File>> {
        self.open_nofollow(name, flags, mode).map_err(|e| match e {
            Opening::Refused(e) => e,
            Opening::Failed(e) => {
                Error::other(format!("cannot open {}", self.path.join(name).display()))
                    .with_source(e)
            }
        })
    }

    /// A new 0600 file with a random name: `prefix`, [`TEMP_ID_DIGITS`] hex digits, `.tmp`.
    fn create_temp(&self, prefix: &str) -> std::io::Result<(String, File)> {
        loop {
            let name = format!("{prefix}{:016x}{TEMP_SUFFIX}", fastrand::u64(..));
            let flags =
                OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL | OFlags::NOFOLLOW | OFlags::CLOEXEC;
            match rustix::fs::openat(&self.fd, name.as_str(), flags, Mode::from_raw_mode(0o600)) {
                Ok(fd) => return Ok((name, File::from(fd))),
                Err(Errno::EXIST) => continue,
                Err(e) => return Err(e.into()),
            }
        }
    }

    fn rename(&self, from: &str, to: &str) -> std::io::Result<()> {
        Ok(rustix::fs::renameat(&self.fd, from, &self.fd, to)?)
    }

    fn unlink(&self, name: &str) -> std::io::Result<()> {
        Ok(rustix::fs::unlinkat(
            &self.fd,
            name,
            rustix::fs::AtFlags::empty(),
        )?)
    }

    /// Make renames in the directory durable.
    fn sync(&self) -> std::io::Result<()> {
        Ok(rustix::fs::fsync(&self.fd)?)
    }

    /// The names in the directory.
    fn names(&self) -> Vec<String> {
        let Ok(dup) = self.fd.try_clone() else {
            return Vec::new();
        };
        let Ok(entries) = rustix::fs::Dir::read_from(dup) else {
            return Vec::new();
        };
        entries
            .flatten()
            .filter_map(|e| e.file_name().to_str().ok().map(str::to_owned))
            .filter(|n| n != "." && n != "..")
            .collect()
    }
}

/// The state in a cache file's bytes, or why they are to be ignored: not a cache file, another
/// format version, or written for another target or other backend settings.
pub fn parse_state(
    bytes: &[u8],
    target: &str,
    settings_hash: &str,
) -> std::result::Result<State, String> {
    if bytes.len() as u64 > MAX_CACHE_BYTES {
        return Err(format!("larger than {MAX_CACHE_BYTES} bytes"));
    }
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
    // A token is served only as a mint would have been accepted: nothing a mint would refuse
    // (control characters, an absurd lifetime) reaches a client through a doctored file.
    if parsed
        .entry
        .as_ref()
        .is_some_and(|e| !policy::is_cacheable(e))
    {
        return Err("its token is not one a mint would have accepted".to_owned());
    }
    Ok(State {
        entry: parsed.entry,
        breaker: parsed.breaker,
    })
}

/// Whether the cache directory exists (`false`) and is safe to use (`true`); an error says why
/// it is refused. For `doctor`.
pub fn check_dir(dir: &Path) -> Result<bool> {
    Dir::open(dir).map(|d| d.is_some())
}

/// The cache files of every target in `dir`, by target stem: for `clear --all` and `status`.
pub fn cached_stems(dir: &Path) -> Result<Vec<String>> {
    let Some(dir) = Dir::open(dir)? else {
        return Ok(Vec::new());
    };
    let mut stems: Vec<String> = dir
        .names()
        .into_iter()
        .filter_map(|n| n.strip_suffix(".json").map(str::to_owned))
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

/// Why a file with owner `uid` and mode `mode` must not be trusted by the current user, if
/// it must not.
fn check_owner_and_mode(uid: u32, mode: u32) -> Option<String> {
    let me = rustix::process::geteuid().as_raw();
    if uid != me {
        return Some(format!(
            "it belongs to uid {uid}, not to the current user (uid {me})"
        ));
    }
    let mode = mode & 0o777;
    if mode & 0o022 != 0 {
        return Some(format!(
            "it is writable by group or others (mode {mode:03o}; expected 0700 for directories, 0600 for files)"
        ));
    }
    None
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;
    use crate::policy::{Entry, EpochMs};
    use crate::secret::Secret;

    fn entry() -> Entry {
        Entry {
            token: Secret::new("tok".into()),
            issued_at: EpochMs::from_millis(1),
            expires_at: EpochMs::from_millis(100),
            refresh_at: EpochMs::from_millis(80),
            jitter: 0.0,
            expiry_source: "test".into(),
            received_at: None,
            minted_for_min_ttl: None,
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

    /// A cache file as this version writes it, times as plain epoch-ms integers: files already
    /// on disk must keep loading, and a save must write them back the same.
    const CACHE_FILE: &str = r#"{
  "version": 1,
  "target": "build",
  "settings_hash": "h1",
  "entry": {
    "token": "tok",
    "issued_at": 1800000000000,
    "expires_at": 1800003600000,
    "refresh_at": 1800002880000,
    "jitter": 0.25,
    "expiry_source": "expires_in",
    "received_at": 1800000000250,
    "minted_for_min_ttl": 600000
  },
  "breaker": {
    "consecutive_failures": 2,
    "open_until": null,
    "last_error": {
      "kind": "transient",
      "message": "down"
    },
    "last_failure_at": 1800000100000,
    "retry_at": 1800000400000
  }
}"#;

    #[test]
    fn a_cache_file_written_before_times_had_a_type_loads_and_saves_unchanged() {
        let at = EpochMs::from_millis;
        let tmp = tempfile::tempdir().unwrap();
        let store = FileStore::new(tmp.path(), "build", "h1");
        fs::write(tmp.path().join("build.json"), CACHE_FILE).unwrap();
        let state = store.load().unwrap();
        let entry = state.entry.as_ref().expect("the entry loads");
        assert_eq!(entry.issued_at, at(1_800_000_000_000));
        assert_eq!(entry.expires_at, at(1_800_003_600_000));
        assert_eq!(entry.refresh_at, at(1_800_002_880_000));
        assert_eq!(entry.received_at, Some(at(1_800_000_000_250)));
        assert_eq!(entry.minted_for_min_ttl, Some(600_000));
        assert_eq!(state.breaker.last_failure_at, Some(at(1_800_000_100_000)));
        assert_eq!(state.breaker.retry_at, Some(at(1_800_000_400_000)));
        let lock = store.try_lock().unwrap().unwrap();
        store.save(&lock, &state).unwrap();
        assert_eq!(
            fs::read_to_string(tmp.path().join("build.json")).unwrap(),
            CACHE_FILE
        );
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
    fn a_directory_swapped_after_its_check_is_not_used() {
        let tmp = tempfile::tempdir().unwrap();
        let checked = tmp.path().join("cache");
        fs::DirBuilder::new().mode(0o700).create(&checked).unwrap();
        let dir = Dir::open(&checked).unwrap().unwrap();
        // Between the check and the use, the path is swapped for a link to another directory.
        let elsewhere = tmp.path().join("elsewhere");
        fs::DirBuilder::new()
            .mode(0o700)
            .create(&elsewhere)
            .unwrap();
        fs::rename(&checked, tmp.path().join("moved")).unwrap();
        std::os::unix::fs::symlink(&elsewhere, &checked).unwrap();
        let (name, mut file) = dir.create_temp(".t.").unwrap();
        file.write_all(b"x").unwrap();
        dir.rename(&name, "t.json").unwrap();
        assert!(
            tmp.path().join("moved/t.json").exists(),
            "written where it was checked"
        );
        assert_eq!(
            fs::read_dir(&elsewhere).unwrap().count(),
            0,
            "nothing reached the swapped-in directory"
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
