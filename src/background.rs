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
use std::os::fd::{AsRawFd, FromRawFd};
use std::os::unix::fs::MetadataExt;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Command, Stdio};

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
    let Some(fd) = lock.file().map(AsRawFd::as_raw_fd) else {
        return Err(Error::other(
            "no lock to hand to a background refresh (the cache directory cannot be written)",
        ));
    };
    set_cloexec(fd, false).map_err(|e| Error::other(format!("cannot pass the lock on: {e}")))?;
    let exe = std::env::current_exe()
        .map_err(|e| Error::other(format!("cannot find own executable: {e}")))?;
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
        .map_err(|e| Error::other(format!("cannot start the background refresh: {e}")))
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
        if same && set_cloexec(fd, true).is_ok() {
            return Ok(Some(Lock::adopt(file)));
        }
    }
    store.try_lock()
}

fn is_open(fd: i32) -> bool {
    // SAFETY: F_GETFD only queries the descriptor table.
    unsafe { libc::fcntl(fd, libc::F_GETFD) != -1 }
}

fn set_cloexec(fd: i32, on: bool) -> std::io::Result<()> {
    let flags = if on { libc::FD_CLOEXEC } else { 0 };
    // SAFETY: F_SETFD only changes the descriptor's close-on-exec flag.
    if unsafe { libc::fcntl(fd, libc::F_SETFD, flags) } == -1 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(())
}
