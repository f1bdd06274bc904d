//! What a child process inherits. Every descriptor ecluse-cred opens itself is close-on-exec,
//! but a caller may hand it others (`3>&1`, a pipe from a build tool): a mint or the detached
//! refresher that kept them would hold the caller's pipe open, and `$(ecluse-cred token)` or a
//! `| cat` after it would wait for the mint to finish.

use std::os::fd::RawFd;

/// Highest descriptor the fallback loop visits when `close_range(2)` is unavailable (Linux
/// before 5.11): far above what a shell or build tool hands down.
const FALLBACK_MAX_FD: u32 = 1 << 16;

/// In a child between fork and exec: mark every descriptor from 3 up, except `keep`,
/// close-on-exec, so the program gets stdin, stdout, stderr and `keep` only. Only syscalls, so
/// it is async-signal-safe (fit for `CommandExt::pre_exec`). Marking rather than closing leaves
/// the descriptor through which the standard library reports a failed exec intact.
pub fn cloexec_all_but(keep: Option<RawFd>) {
    let ranges: [(u32, u32); 2] = match keep.and_then(|k| u32::try_from(k).ok()) {
        Some(k) if k >= 3 => [(3, k - 1), (k.saturating_add(1), u32::MAX)],
        _ => [(3, u32::MAX), (1, 0)],
    };
    for (first, last) in ranges {
        if first > last {
            continue;
        }
        // SAFETY: close_range(2) with CLOSE_RANGE_CLOEXEC only changes descriptor flags.
        let done = unsafe {
            libc::syscall(
                libc::SYS_close_range,
                first,
                last,
                libc::CLOSE_RANGE_CLOEXEC,
            )
        } == 0;
        if !done {
            for fd in first..=last.min(FALLBACK_MAX_FD) {
                // SAFETY: F_SETFD only changes the flag; a closed descriptor gives EBADF.
                unsafe {
                    libc::fcntl(fd as RawFd, libc::F_SETFD, libc::FD_CLOEXEC);
                }
            }
        }
    }
}
