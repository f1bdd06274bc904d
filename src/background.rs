//! The detached background refresh: the caller that found its token due takes the target's
//! lock, starts `ecluse-cred background-refresh` with the lock's descriptor, and exits at once.
//!
//! Handing over the lock (rather than letting the child take it) means that from the moment a
//! caller decides to refresh until the refresh ends, the lock is held: any other caller past the
//! refresh point sees it busy and starts no second process. The child has its own process group
//! and no descriptor of the caller's but the lock (no stdin, stdout, stderr, nor any other the
//! caller was handed), so `t=$(ecluse-cred token ...)` returns as soon as the caller exits and
//! Ctrl-C in the caller's terminal does not reach the child.

use std::fs::File;
use std::os::fd::{AsFd, AsRawFd, FromRawFd};
use std::os::unix::fs::MetadataExt;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Command, Stdio};

use rustix::io::FdFlags;

use crate::cache::{FileStore, Lock};
use crate::error::{Error, Result};

/// Start the background refresh of `target`, whose backend settings hash to `settings_hash`,
/// handing it `lock`. The child finds the target again by name and refuses to mint unless its
/// settings hash the same: a name can mean another target by then (the config was edited), and
/// its mint must not land in this target's cache.
pub fn spawn(
    lock: Lock,
    config: Option<&Path>,
    cache_dir: &Path,
    target: &str,
    settings_hash: &str,
) -> Result<()> {
    let Some(file) = lock.file() else {
        return Err(Error::other(
            "no lock to hand to a background refresh (the cache directory cannot be written)",
        ));
    };
    let fd = file.as_raw_fd();
    set_cloexec(file, false).map_err(|e| Error::other("cannot pass the lock on").with_source(e))?;
    let exe = crate::files::own_exe()?;
    let mut cmd = Command::new(exe);
    if let Some(config) = config {
        cmd.arg("--config").arg(config);
    }
    cmd.arg("--cache-dir")
        .arg(cache_dir)
        .args([
            "background-refresh",
            // One argument: a target name that starts with `-` must not read as an option.
            &format!("--target={target}"),
            "--settings-hash",
            settings_hash,
            "--lock-fd",
            &fd.to_string(),
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .process_group(0);
    // SAFETY: the closure only makes syscalls (see `process::cloexec_all_but`).
    unsafe {
        cmd.pre_exec(move || {
            crate::process::cloexec_all_but(Some(fd));
            Ok(())
        });
    }
    let result = cmd.spawn();
    // The child holds the lock through its copy of the descriptor; ours closes here.
    drop(lock);
    result
        .map(drop)
        .map_err(|e| Error::other("cannot start the background refresh").with_source(e))
}

/// In the background process: take over the inherited lock descriptor if it really is the
/// target's lock file, else try to take the lock normally. `None`: someone else holds it.
pub fn adopt(fd: Option<i32>, store: &FileStore) -> Result<Option<Lock>> {
    if let Some(fd) = fd.filter(|&fd| fd > 2 && is_open(fd)) {
        // SAFETY: `fd` is open (checked above) and was passed to this process to own; nothing
        // else in this process uses it.
        let file = unsafe { File::from_raw_fd(fd) };
        let same = match (
            file.metadata(),
            std::fs::symlink_metadata(store.lock_path()),
        ) {
            (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
            _ => false,
        };
        // The mint this process starts must not inherit the lock.
        if same && set_cloexec(&file, true).is_ok() {
            return Ok(Some(Lock::adopt(file)));
        }
    }
    store.try_lock()
}

/// Whether `fd` is an open descriptor. A bare number from the command line has no safe form in
/// rustix (borrowing it asserts it is open, which is what this asks), hence the one raw call.
fn is_open(fd: i32) -> bool {
    // SAFETY: F_GETFD only queries the descriptor table; a closed `fd` gives EBADF.
    unsafe { libc::fcntl(fd, libc::F_GETFD) != -1 }
}

fn set_cloexec(fd: impl AsFd, on: bool) -> std::io::Result<()> {
    let flags = if on {
        FdFlags::CLOEXEC
    } else {
        FdFlags::empty()
    };
    Ok(rustix::io::fcntl_setfd(fd, flags)?)
}
