//! What each of the two binaries does first about signals.

/// Give `SIGCHLD` its default action; call it first thing in each binary. An ignored `SIGCHLD`
/// (a parent's `SIG_IGN` survives exec) makes the kernel reap children as they exit: a mint's
/// exit status would be lost (`ECHILD`) and its process group id freed while we still signal
/// it; the cloud SDKs in `ecluse-cred-mint` run credential programs of their own. Process-wide,
/// so before any thread starts.
pub fn reset_sigchld() {
    // SAFETY: signal(2) with SIG_DFL installs no handler; it only changes the disposition.
    unsafe {
        libc::signal(libc::SIGCHLD, libc::SIG_DFL);
    }
}
