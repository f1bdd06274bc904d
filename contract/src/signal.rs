//! What each of the two binaries does first about signals.

use std::sync::atomic::{AtomicBool, Ordering};

/// Give `SIGCHLD` its default action; call it first thing in each binary. An ignored `SIGCHLD`
/// (a parent's `SIG_IGN` survives exec) makes the kernel reap children as they exit: a mint's
/// exit status would be lost (`ECHILD`) and its process group id freed while we still signal
/// it; the cloud SDKs in `ecluse-cred-mint` run credential programs of their own. Process-wide,
/// so before any thread starts.
pub fn reset_sigchld() {
    // SAFETY: signal(2) with SIG_DFL installs no handler; it only changes the disposition.
    let before = unsafe { libc::signal(libc::SIGCHLD, libc::SIG_DFL) };
    SIGCHLD_WAS_IGNORED.store(before == libc::SIG_IGN, Ordering::Relaxed);
}

/// Whether `SIGCHLD` was ignored when [`reset_sigchld`] ran.
static SIGCHLD_WAS_IGNORED: AtomicBool = AtomicBool::new(false);

/// Give `SIGCHLD` back the disposition the process was started with, right before it execs
/// another program (`ecluse-cred exec`): a supervisor that ignores `SIGCHLD` so that its
/// children are reaped unseen expects the program it started to inherit that.
pub fn restore_sigchld_for_exec() {
    if SIGCHLD_WAS_IGNORED.load(Ordering::Relaxed) {
        // SAFETY: signal(2) with SIG_IGN installs no handler; it only changes the disposition.
        unsafe {
            libc::signal(libc::SIGCHLD, libc::SIG_IGN);
        }
    }
}
