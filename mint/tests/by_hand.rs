//! `ecluse-cred-mint` run by hand: it answers at once instead of waiting for a request.
//!
//! Also why `cargo test` at the workspace root builds `target/debug/ecluse-cred-mint` (cargo
//! builds a package's binaries for its integration tests), which the serving package's tests
//! find next to `ecluse-cred`, as an installed `ecluse-cred` finds it.

use std::fs;
use std::os::unix::fs::OpenOptionsExt;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

/// How long the helper may take to refuse: it should be at once.
const ANSWER_WITHIN: Duration = Duration::from_secs(10);

#[test]
fn the_mint_helper_run_by_hand_gives_its_version_and_otherwise_refuses_at_once() {
    let helper = env!("CARGO_BIN_EXE_ecluse-cred-mint");
    let version = Command::new(helper).arg("--version").output().unwrap();
    assert!(version.status.success());
    assert_eq!(
        String::from_utf8_lossy(&version.stdout).trim(),
        format!("ecluse-cred-mint {}", env!("CARGO_PKG_VERSION"))
    );
    // No request on stdin, a request where the old protocol put it, and a terminal on stdin
    // (which would wait for typing for ever).
    let request = r#"{"backend":{"backend":"gcp"},"timeout_ms":1000,"started":0}"#;
    let (tty, _master) = terminal();
    for (args, stdin) in [
        (vec![], Stdio::null()),
        (vec![request], Stdio::null()),
        (vec!["--version", "extra"], Stdio::null()),
        (vec![], Stdio::from(tty)),
    ] {
        let mut cmd = Command::new(helper);
        cmd.args(&args).stdin(stdin);
        let out = output_within(cmd, ANSWER_WITHIN)
            .unwrap_or_else(|| panic!("{args:?}: the helper waited"));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(78), "{args:?}");
        assert!(
            stderr.contains("takes no command line of its own"),
            "{args:?}: {stderr}"
        );
        assert!(out.stdout.is_empty(), "{args:?}");
    }
}

/// What `cmd` printed, if it exits within `limit` (else it is killed).
fn output_within(mut cmd: Command, limit: Duration) -> Option<Output> {
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + limit;
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            return None;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    Some(child.wait_with_output().unwrap())
}

/// A pseudo-terminal: its terminal side (to hand to a program as stdin) and the master side,
/// which must stay open meanwhile.
fn terminal() -> (fs::File, fs::File) {
    use std::os::fd::FromRawFd;
    // SAFETY: plain libc calls on a descriptor this function owns; ptsname's buffer is copied
    // at once.
    unsafe {
        let master = libc::posix_openpt(libc::O_RDWR | libc::O_NOCTTY | libc::O_CLOEXEC);
        assert!(master >= 0, "posix_openpt");
        assert_eq!(libc::grantpt(master), 0);
        assert_eq!(libc::unlockpt(master), 0);
        let mut name = [0 as libc::c_char; 128];
        assert_eq!(libc::ptsname_r(master, name.as_mut_ptr(), name.len()), 0);
        let path = std::ffi::CStr::from_ptr(name.as_ptr())
            .to_string_lossy()
            .into_owned();
        let master = fs::File::from_raw_fd(master);
        let tty = fs::OpenOptions::new()
            .read(true)
            .write(true)
            .custom_flags(libc::O_NOCTTY)
            .open(path)
            .unwrap();
        (tty, master)
    }
}
