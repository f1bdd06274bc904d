//! How a mint runs as a child process: a `command` mint and the `ecluse-cred-mint` helper alike.
//!
//! - Nothing secret goes on its command line (every local user reads `/proc/PID/cmdline`): a
//!   request travels over its stdin.
//! - It runs in its own process group, so one `kill` ends it and everything it started.
//! - It gets stdin, stdout and stderr only. Every descriptor ecluse-cred opens itself is
//!   close-on-exec, but a caller may hand it others (`3>&1`, a pipe from a build tool): a mint
//!   (or the detached refresher) that kept them would hold the caller's pipe open, and
//!   `$(ecluse-cred token)` or a `| cat` after it would wait for the mint to finish.
//! - It is done when the program exits: what it left behind is killed with its group then, and
//!   what it printed up to then is its answer (a process left behind may hold stdout open).
//! - Nothing it started outlives `mint_timeout` (plus [`WATCHDOG_GRACE`]), whoever is killed.
//!   `PR_SET_PDEATHSIG` takes the program down with this process, but not the program's own
//!   children; a watchdog process (see [`Watchdog`]) kills the whole group when this process
//!   dies, even by `kill -9`.

use std::io::{PipeWriter, Read, Write};
use std::os::fd::{AsRawFd, RawFd};
use std::os::unix::process::CommandExt;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::{Arc, Mutex, PoisonError, mpsc};
use std::thread;
use std::time::{Duration, Instant};

use crate::mint::MintError;

/// Most of the mint's stdout that is read: far above any real token response, and a bound on
/// memory when a mint misbehaves (the rest is drained and discarded).
pub const MAX_STDOUT_BYTES: usize = 1 << 20;
/// How much of the mint's stderr is kept to explain a failure.
const MAX_STDERR_BYTES: usize = 16 << 10;
/// How long, once the program has exited and its group is killed, its output may take to reach
/// us. A process that left the group (`setsid`) may hold the pipes open for ever: what was read
/// by then is the answer.
const DRAIN_GRACE: Duration = Duration::from_millis(250);
/// How long past `mint_timeout` the watchdog waits before it kills the group itself: by then
/// this process, if it still lives, has ended the mint (it may be stopped or starved).
const WATCHDOG_GRACE: Duration = Duration::from_secs(2);
/// Highest descriptor the fallback loops visit when `close_range(2)` is unavailable (Linux
/// before 5.9, or 5.11 for `CLOSE_RANGE_CLOEXEC`): far above what a shell or build tool hands
/// down.
const FALLBACK_MAX_FD: u32 = 1 << 16;

/// What a program that ran to its end left.
pub struct ProgramOutput {
    /// The exit status; `None` if a signal ended it.
    pub code: Option<i32>,
    pub stdout: Vec<u8>,
    /// Whether stdout went past [`MAX_STDOUT_BYTES`] (the rest was discarded).
    pub overflowed: bool,
    pub stderr: Vec<u8>,
}

/// Run `argv` directly (no shell) in its own process group, with `input` on its stdin (then
/// closed; none: stdin is `/dev/null`), reading at most [`MAX_STDOUT_BYTES`] of stdout. When
/// the program exits, whatever it left running in its group is killed; if it runs past
/// `timeout`, the whole group is killed and that is the error.
pub fn run_program(
    argv: &[String],
    input: Option<Vec<u8>>,
    timeout: Duration,
) -> Result<ProgramOutput, MintError> {
    let (program, args) = argv
        .split_first()
        .ok_or_else(|| MintError::misconfigured("`command` is empty"))?;
    let mut command = Command::new(program);
    command
        .args(args)
        .stdin(if input.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0);
    // If this process dies (even by kill -9) the mint dies with it: nobody would read its
    // answer, and the lock it was minting under is already free for the next caller's mint.
    let parent = std::process::id();
    // SAFETY: the closure only makes syscalls (prctl, getppid, close_range or fcntl), which are
    // async-signal-safe and touch no memory of the parent.
    unsafe {
        command.pre_exec(move || {
            // The mint gets its pipes, not whatever descriptors our caller handed us.
            cloexec_all_but(None);
            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) == -1 {
                return Err(std::io::Error::last_os_error());
            }
            // The parent may have died before the line above took effect.
            if libc::getppid() as u32 != parent {
                return Err(std::io::Error::other(
                    "ecluse-cred exited while starting the mint",
                ));
            }
            Ok(())
        });
    }
    let mut child = command.spawn().map_err(|e| spawn_error(program, &e))?;
    let watchdog = match Watchdog::start(&child, timeout.saturating_add(WATCHDOG_GRACE)) {
        Ok(w) => w,
        Err(e) => {
            kill_group(&child);
            let _ = child.wait();
            return Err(MintError::transient(format!(
                "cannot start the watchdog of `{program}`: {e}"
            )));
        }
    };
    if let (Some(stdin), Some(input)) = (child.stdin.take(), input) {
        feed(stdin, input);
    }
    let stdout = Capture::start(child.stdout.take(), MAX_STDOUT_BYTES);
    let stderr = Capture::start(child.stderr.take(), MAX_STDERR_BYTES);

    let exited = exited_by(&child, timeout);
    // The mint is over either way: end what it left behind while the program, not reaped yet,
    // still holds its pid and so its group id; then the watchdog may go.
    kill_group(&child);
    drop(watchdog);
    let status = child.wait();
    if !exited {
        return Err(MintError::transient(format!(
            "`{program}` did not finish within mint_timeout ({}); killed it",
            humantime::format_duration(timeout)
        )));
    }
    let status =
        status.map_err(|e| MintError::transient(format!("cannot wait for `{program}`: {e}")))?;
    let drained_by = Instant::now() + DRAIN_GRACE;
    let (stdout, overflowed) = stdout.take_by(drained_by);
    let (stderr, _) = stderr.take_by(drained_by);
    Ok(ProgramOutput {
        code: status.code(),
        stdout,
        overflowed,
        stderr,
    })
}

fn spawn_error(program: &str, e: &std::io::Error) -> MintError {
    match e.kind() {
        std::io::ErrorKind::NotFound => {
            MintError::misconfigured(format!("cannot run `{program}`: no such file"))
        }
        std::io::ErrorKind::PermissionDenied => {
            MintError::misconfigured(format!("cannot run `{program}`: permission denied"))
        }
        _ => MintError::transient(format!("cannot run `{program}`: {e}")),
    }
}

/// Write `input` to the program's stdin on a thread (a program that reads nothing must not
/// block us), then close it, so the program reads to its end.
fn feed(mut stdin: ChildStdin, input: Vec<u8>) {
    thread::spawn(move || {
        // A program that exits without reading closes the pipe: that is its business.
        let _ = stdin.write_all(&input);
    });
}

/// A pipe read on a thread, keeping at most `cap` bytes (the rest is drained and discarded,
/// so the program never blocks on a full pipe), and the flag of whether there was more. The
/// reader shares what it has read so far: a pipe that never ends still gives it.
struct Capture {
    kept: Arc<Mutex<(Vec<u8>, bool)>>,
    ended: mpsc::Receiver<()>,
}

impl Capture {
    fn start<R: Read + Send + 'static>(pipe: Option<R>, cap: usize) -> Capture {
        let kept = Arc::new(Mutex::new((Vec::new(), false)));
        let (tx, ended) = mpsc::channel();
        let shared = kept.clone();
        thread::spawn(move || {
            if let Some(mut pipe) = pipe {
                let mut buf = [0u8; 8192];
                loop {
                    match pipe.read(&mut buf) {
                        Ok(0) => break,
                        Ok(n) => {
                            let mut kept = shared.lock().unwrap_or_else(PoisonError::into_inner);
                            let room = cap - kept.0.len();
                            kept.0.extend_from_slice(&buf[..n.min(room)]);
                            kept.1 |= n > room;
                        }
                        Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                        Err(_) => break,
                    }
                }
            }
            let _ = tx.send(());
        });
        Capture { kept, ended }
    }

    /// What was read when the pipe ended, or at `deadline` if it has not.
    fn take_by(self, deadline: Instant) -> (Vec<u8>, bool) {
        let _ = self
            .ended
            .recv_timeout(deadline.saturating_duration_since(Instant::now()));
        std::mem::take(&mut *self.kept.lock().unwrap_or_else(PoisonError::into_inner))
    }
}

/// Whether the child exits within `timeout`. It is not reaped here: until it is, its pid (and
/// so its process group id) cannot be reused, so a group kill after this still hits only the
/// mint and what it started.
fn exited_by(child: &Child, timeout: Duration) -> bool {
    let deadline = Instant::now() + timeout;
    let pid = child.id() as libc::id_t;
    let mut pause = Duration::from_millis(1);
    loop {
        // SAFETY: waitid fills in `info`, plain old data; WNOWAIT leaves the child unreaped.
        let exited = unsafe {
            let mut info: libc::siginfo_t = std::mem::zeroed();
            let r = libc::waitid(
                libc::P_PID,
                pid,
                &mut info,
                libc::WEXITED | libc::WNOHANG | libc::WNOWAIT,
            );
            r == -1 && std::io::Error::last_os_error().kind() != std::io::ErrorKind::Interrupted
                || r == 0 && info.si_pid() != 0
        };
        if exited {
            return true;
        }
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return false;
        }
        thread::sleep(pause.min(left));
        pause = (pause * 2).min(Duration::from_millis(20));
    }
}

/// The process group of `child`, which was started as a group leader: its pid.
fn group_of(child: &Child) -> Option<libc::pid_t> {
    // Never 0 or 1: kill(0) and kill(-1) would reach far more than the mint.
    libc::pid_t::try_from(child.id()).ok().filter(|&p| p > 1)
}

/// Kill the mint's whole process group. Call it before the leader is reaped, so the group id
/// is still its own.
fn kill_group(child: &Child) {
    if let Some(pgid) = group_of(child) {
        // SAFETY: kill(2) has no memory-safety preconditions; a negative pid names the group.
        unsafe {
            libc::kill(-pgid, libc::SIGKILL);
        }
    }
}

/// A process that kills a mint's process group when this process dies (however: it sees the
/// end of a pipe whose only writer is this process) or, at the latest, at a time limit. It is
/// forked, not executed: it runs no code but a few syscalls, holds no descriptor but its end of
/// that pipe (so it never keeps a caller's pipe open), and sits in a session of its own (the
/// terminal's Ctrl-C, which may kill its parent, does not reach it). Dropping it lets it go:
/// call that once the group is killed, before the leader is reaped; it is then reaped at once.
struct Watchdog {
    pid: libc::pid_t,
    /// The write end of the pipe: closing it (or dying) is the signal.
    alarm: Option<PipeWriter>,
}

impl Watchdog {
    fn start(child: &Child, limit: Duration) -> std::io::Result<Watchdog> {
        let pgid = group_of(child).ok_or_else(|| std::io::Error::other("no process group"))?;
        // Both ends close-on-exec: no program this process starts inherits them.
        let (reader, writer) = std::io::pipe()?;
        let limit_ms = i64::try_from(limit.as_millis()).unwrap_or(i64::MAX);
        // SAFETY: the child runs only async-signal-safe syscalls (`watch`) and never returns
        // into Rust code, so the state other threads left behind at the fork is never touched.
        match unsafe { libc::fork() } {
            -1 => Err(std::io::Error::last_os_error()),
            0 => unsafe { watch(reader.as_raw_fd(), pgid, limit_ms) },
            pid => Ok(Watchdog {
                pid,
                alarm: Some(writer),
            }),
        }
    }
}

impl Drop for Watchdog {
    fn drop(&mut self) {
        // On the end of the pipe the watchdog kills the group (already dead, the leader
        // unreaped) and exits.
        drop(self.alarm.take());
        loop {
            let mut status = 0;
            // SAFETY: waitpid writes only `status`.
            let r = unsafe { libc::waitpid(self.pid, &mut status, 0) };
            if r != -1 || std::io::Error::last_os_error().kind() != std::io::ErrorKind::Interrupted
            {
                break;
            }
        }
    }
}

/// The watchdog's life, in the forked child: wait for the end of the pipe `alarm` or the
/// limit, kill the group `pgid`, exit. Only async-signal-safe syscalls, no allocation.
unsafe fn watch(alarm: RawFd, pgid: libc::pid_t, limit_ms: i64) -> ! {
    // SAFETY (whole body): plain syscalls on integers and a stack `pollfd`/`timespec`.
    unsafe {
        libc::setsid();
        // Its copy of the write end among them (else it would never see the pipe end), and
        // the cache lock's, whose flock it must not keep.
        close_all_but(alarm);
        let start = monotonic_ms();
        loop {
            let left = limit_ms.saturating_sub(monotonic_ms().saturating_sub(start));
            if left <= 0 {
                break;
            }
            let mut fd = libc::pollfd {
                fd: alarm,
                events: libc::POLLIN,
                revents: 0,
            };
            let r = libc::poll(
                &mut fd,
                1,
                left.min(i64::from(libc::c_int::MAX)) as libc::c_int,
            );
            // Any event is the end of the pipe: nothing is ever written to it.
            if r != -1 || std::io::Error::last_os_error().kind() != std::io::ErrorKind::Interrupted
            {
                break;
            }
        }
        libc::kill(-pgid, libc::SIGKILL);
        libc::_exit(0)
    }
}

/// Milliseconds on the monotonic clock (async-signal-safe).
fn monotonic_ms() -> i64 {
    let mut now = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes only `now`.
    unsafe {
        libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut now);
    }
    now.tv_sec * 1000 + now.tv_nsec / 1_000_000
}

/// In a child between fork and exec: mark every descriptor from 3 up, except `keep`,
/// close-on-exec, so the program gets stdin, stdout, stderr and `keep` only. Only syscalls, so
/// it is async-signal-safe (fit for `CommandExt::pre_exec`). Marking rather than closing leaves
/// the descriptor through which the standard library reports a failed exec intact.
pub fn cloexec_all_but(keep: Option<RawFd>) {
    for_descriptors_but(3, keep, FdAction::CloseOnExec);
}

/// In a forked child that executes nothing: close every descriptor, the standard ones too,
/// but `keep`. Async-signal-safe.
fn close_all_but(keep: RawFd) {
    for_descriptors_but(0, Some(keep), FdAction::Close);
}

#[derive(Clone, Copy, PartialEq)]
enum FdAction {
    CloseOnExec,
    Close,
}

/// Apply `action` to every descriptor from `first` up but `keep`: `close_range(2)`, or a loop
/// up to [`FALLBACK_MAX_FD`] where it is unavailable. Only syscalls.
fn for_descriptors_but(first: u32, keep: Option<RawFd>, action: FdAction) {
    // Two ranges around `keep` (an empty one is `(1, 0)`).
    let ranges: [(u32, u32); 2] = match keep.and_then(|k| u32::try_from(k).ok()) {
        Some(k) if k == first => [(k + 1, u32::MAX), (1, 0)],
        Some(k) if k > first => [(first, k - 1), (k + 1, u32::MAX)],
        _ => [(first, u32::MAX), (1, 0)],
    };
    let flags = match action {
        FdAction::CloseOnExec => libc::CLOSE_RANGE_CLOEXEC,
        FdAction::Close => 0,
    };
    for (from, to) in ranges {
        if from > to {
            continue;
        }
        // SAFETY: close_range(2) only closes descriptors or changes their flags.
        let done = unsafe { libc::syscall(libc::SYS_close_range, from, to, flags) } == 0;
        if !done {
            for fd in from..=to.min(FALLBACK_MAX_FD) {
                // SAFETY: both only touch the descriptor table; a closed one gives EBADF.
                unsafe {
                    match action {
                        FdAction::CloseOnExec => {
                            libc::fcntl(fd as RawFd, libc::F_SETFD, libc::FD_CLOEXEC)
                        }
                        FdAction::Close => libc::close(fd as RawFd),
                    };
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sh(script: &str) -> Vec<String> {
        vec!["/bin/sh".into(), "-c".into(), script.into()]
    }

    /// Whether `pid` is gone (or a zombie, dead but not yet reaped by whoever adopted it).
    fn dead(pid: &str) -> bool {
        std::fs::read_to_string(format!("/proc/{pid}/stat")).map_or(true, |stat| {
            stat.rsplit(')')
                .next()
                .is_some_and(|rest| rest.trim_start().starts_with('Z'))
        })
    }

    fn dies_within(pid: &str, limit: Duration) -> bool {
        let start = Instant::now();
        while !dead(pid) {
            if start.elapsed() > limit {
                return false;
            }
            thread::sleep(Duration::from_millis(20));
        }
        true
    }

    /// The pid a script wrote to `file`, waiting (bounded) for it to appear.
    fn pid_in(file: &std::path::Path) -> String {
        let start = Instant::now();
        loop {
            let text = std::fs::read_to_string(file).unwrap_or_default();
            if text.ends_with('\n') {
                return text.trim().to_owned();
            }
            assert!(
                start.elapsed() < Duration::from_secs(10),
                "no pid in {file:?}"
            );
            thread::sleep(Duration::from_millis(10));
        }
    }

    /// The children of the calling thread, zombies included (a forked process's parent is the
    /// thread that forked it).
    fn children_of_this_thread() -> String {
        // SAFETY: gettid has no preconditions.
        let tid = unsafe { libc::gettid() };
        std::fs::read_to_string(format!("/proc/self/task/{tid}/children")).unwrap()
    }

    #[test]
    fn a_program_that_hangs_is_killed_with_its_children_at_the_timeout() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("pid");
        let started = Instant::now();
        // The background `sleep` keeps stdout open; only killing the group ends it.
        let e = run_program(
            &sh(&format!(
                "sleep 30 & echo $! > '{}'; sleep 30",
                file.display()
            )),
            None,
            Duration::from_millis(500),
        )
        .err()
        .expect("a hang is an error");
        assert!(
            e.message.contains("did not finish within mint_timeout"),
            "{}",
            e.message
        );
        assert!(started.elapsed() < Duration::from_secs(10));
        assert!(dies_within(&pid_in(&file), Duration::from_secs(5)));
    }

    #[test]
    fn an_answer_printed_before_exit_is_served_though_a_grandchild_holds_stdout() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("pid");
        let started = Instant::now();
        let out = run_program(
            &sh(&format!(
                "(sleep 1000) & echo $! > '{}'; echo answer; echo why >&2; exit 0",
                file.display()
            )),
            None,
            Duration::from_secs(30),
        )
        .unwrap_or_else(|e| panic!("{}", e.message));
        assert_eq!(
            (out.code, out.stdout.as_slice()),
            (Some(0), &b"answer\n"[..])
        );
        assert_eq!(out.stderr, b"why\n");
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "the mint waited for its grandchild: {:?}",
            started.elapsed()
        );
        assert!(
            dies_within(&pid_in(&file), Duration::from_secs(5)),
            "the grandchild outlived the mint"
        );
    }

    #[test]
    fn a_grandchild_that_left_the_group_does_not_hold_the_answer_back() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("pid");
        let started = Instant::now();
        // `setsid` puts the sleeper out of reach of the group kill; it holds stdout for ever.
        // The mint answers once the sleeper is out (it has written its pid).
        let out = run_program(
            &sh(&format!(
                "f='{}'; setsid sh -c 'echo $$ > \"$0\"; exec sleep 1000' \"$f\" & \
                 while [ ! -s \"$f\" ]; do sleep 0.01; done; echo answer; exit 0",
                file.display()
            )),
            None,
            Duration::from_secs(30),
        );
        let pid = pid_in(&file);
        // SAFETY: kill takes plain integers; the pid is the one the sleeper wrote itself.
        unsafe { libc::kill(pid.parse().unwrap(), libc::SIGKILL) };
        let out = out.unwrap_or_else(|e| panic!("{}", e.message));
        assert_eq!(
            (out.code, out.stdout.as_slice()),
            (Some(0), &b"answer\n"[..])
        );
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "{:?}",
            started.elapsed()
        );
    }

    #[test]
    fn the_input_goes_to_stdin_which_then_ends_and_without_input_stdin_is_empty() {
        let request = br#"{"backend":"x"}"#.repeat(10_000);
        let out = run_program(&sh("cat"), Some(request.clone()), Duration::from_secs(30))
            .unwrap_or_else(|e| panic!("{}", e.message));
        assert_eq!((out.code, out.stdout == request), (Some(0), true));
        let out = run_program(&sh("cat; echo end"), None, Duration::from_secs(30))
            .unwrap_or_else(|e| panic!("{}", e.message));
        assert_eq!(out.stdout, b"end\n");
        // A program that reads nothing of it is not held up either.
        let out = run_program(&sh("echo done"), Some(request), Duration::from_secs(30))
            .unwrap_or_else(|e| panic!("{}", e.message));
        assert_eq!(out.stdout, b"done\n");
    }

    #[test]
    fn a_mint_leaves_no_watchdog_and_no_zombie_behind() {
        for script in ["echo ok", "exit 3", "sleep 30"] {
            let _ = run_program(&sh(script), None, Duration::from_millis(300));
            assert_eq!(children_of_this_thread().trim(), "", "after {script:?}");
        }
    }

    /// A group to watch: a shell in its own process group whose background child writes its
    /// pid to `file`.
    fn sleeping_group(file: &std::path::Path) -> Child {
        Command::new("/bin/sh")
            .args([
                "-c",
                &format!("sleep 1000 & echo $! > '{}'; sleep 1000", file.display()),
            ])
            .stdin(Stdio::null())
            .process_group(0)
            .spawn()
            .unwrap()
    }

    #[test]
    fn the_watchdog_kills_the_group_at_its_limit_and_holds_no_descriptor_but_its_pipe() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("pid");
        let mut leader = sleeping_group(&file);
        let grandchild = pid_in(&file);
        let started = Instant::now();
        let watchdog = Watchdog::start(&leader, Duration::from_secs(2)).unwrap();
        // Its descriptors, once it has closed what the fork copied: the read end of its pipe,
        // nothing of ours (not stdin, stdout, stderr).
        let descriptors = || -> Vec<String> {
            std::fs::read_dir(format!("/proc/{}/fd", watchdog.pid))
                .unwrap()
                .flatten()
                .filter_map(|e| std::fs::read_link(e.path()).ok())
                .map(|p| p.display().to_string())
                .collect()
        };
        let mut fds = descriptors();
        while fds.len() > 1 && started.elapsed() < Duration::from_secs(1) {
            thread::sleep(Duration::from_millis(5));
            fds = descriptors();
        }
        assert!(
            fds.len() == 1 && fds[0].starts_with("pipe:"),
            "the watchdog holds {fds:?}"
        );
        // SAFETY: getsid takes a plain integer.
        assert_eq!(
            unsafe { libc::getsid(watchdog.pid) },
            watchdog.pid,
            "in a session of its own"
        );
        // Nobody ends the mint: the watchdog does, at its limit.
        assert!(dies_within(&grandchild, Duration::from_secs(10)));
        assert!(started.elapsed() >= Duration::from_millis(1900));
        drop(watchdog);
        let status = leader.wait().unwrap();
        assert_eq!(
            std::os::unix::process::ExitStatusExt::signal(&status),
            Some(libc::SIGKILL)
        );
    }
}
