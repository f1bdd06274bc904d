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
//!   what it printed up to then is its answer, read to the last byte (a process left behind may
//!   hold stdout open: only the wait for the pipe's end is bounded, by [`DRAIN_GRACE`]).
//! - Nothing it started outlives `mint_timeout` (plus [`WATCHDOG_GRACE`]), whoever is killed.
//!   `PR_SET_PDEATHSIG` takes the program down with this process, but not the program's own
//!   children; a watchdog process (see [`Watchdog`]) kills the whole group when this process
//!   dies, even by `kill -9`.
//! - Its exit status is ours to collect: a parent that ignores `SIGCHLD` (which survives exec)
//!   would have the kernel reap it unseen, so each binary restores the default first
//!   (`ecluse_cred_contract::signal::reset_sigchld`).
//!
//! The limit: a process that leaves the group, by `setsid(2)` (the `setsid` command, a daemon's
//! double fork) or by `setpgid(2)` into another group of the session, is out of reach of the
//! group kill and of the watchdog, and may run on for ever; while it holds the mint's stdout or
//! stderr, the mint's answer is what the program printed by its exit, taken after
//! [`DRAIN_GRACE`]. Only a cgroup or a PID namespace would hold such a process, and neither is
//! available to an unprivileged helper everywhere; a subreaper would not do (it adopts only
//! orphans, and not after its own death). A mint is configuration its user chose: this guards
//! against the ordinary accident (a `sleep &` or a daemon-like helper started in passing), not
//! against a program that sets out to escape.

use std::fs::File;
use std::io::{ErrorKind, PipeWriter, Read, Write};
use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::os::unix::process::CommandExt;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use crate::mint::MintError;

/// Most of the mint's stdout that is read: far above any real token response, and a bound on
/// memory when a mint misbehaves (the rest is drained and discarded).
pub const MAX_STDOUT_BYTES: usize = 1 << 20;
/// How much of the mint's stderr is kept to explain a failure.
const MAX_STDERR_BYTES: usize = 16 << 10;
/// How long, once the program has exited, its output pipes may stay open before we stop waiting
/// for their end. Everything the program wrote is read in any case; only a process that left
/// the group (`setsid`) can hold a pipe open this long.
const DRAIN_GRACE: Duration = Duration::from_millis(250);
/// How long past `mint_timeout` the watchdog waits before it kills the group itself: by then
/// this process, if it still lives, has ended the mint (it may be stopped or starved).
const WATCHDOG_GRACE: Duration = Duration::from_secs(2);
/// How long a watchdog that was let go may take to exit before it is killed: it exits at once
/// unless it is stopped (`SIGSTOP`) or starved.
const WATCHDOG_EXIT_WAIT: Duration = Duration::from_secs(1);
/// The longest pause between two looks at whether the program has exited.
const MAX_POLL_PAUSE: Duration = Duration::from_millis(20);
/// How much is read from a pipe per `read(2)`.
const READ_CHUNK: usize = 16 << 10;
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
    command.args(args);
    run_command(command, input, timeout, MAX_STDOUT_BYTES)
}

/// How long a client's own tool (`git config`, `kubectl config view`, `go env`), run by `setup`
/// or `doctor` on the user's behalf, may take: they answer at once, unless stuck.
pub const CLIENT_TOOL_TIMEOUT: Duration = Duration::from_secs(10);
/// Most of a client tool's stdout that is kept: `kubectl config view --raw` of a kubeconfig with
/// hundreds of clusters and embedded certificates runs to megabytes.
pub const CLIENT_TOOL_MAX_STDOUT: usize = 64 << 20;

/// [`run_program`] for a command its caller prepared (arguments, environment), keeping at most
/// `max_stdout` bytes of stdout: the same process group, descriptor hygiene, watchdog and
/// timeout.
pub fn run_command(
    mut command: Command,
    input: Option<Vec<u8>>,
    timeout: Duration,
    max_stdout: usize,
) -> Result<ProgramOutput, MintError> {
    let program = command.get_program().to_string_lossy().into_owned();
    let program = program.as_str();
    command
        .stdin(if input.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    // The watchdog first, leading a process group the mint then joins: from before the mint
    // exists, whatever ends this process (even kill -9 right after the spawn) leaves the
    // watchdog to end the mint's children too.
    let watchdog = Watchdog::lead(timeout.saturating_add(WATCHDOG_GRACE)).map_err(|e| {
        MintError::transient(format!("cannot start the watchdog of `{program}`: {e}"))
    })?;
    command.process_group(watchdog.pid);
    // If this process dies (even by kill -9) the mint dies with it: nobody would read its
    // answer, and the lock it was minting under is already free for the next caller's mint.
    let parent = std::process::id();
    // SAFETY: between fork and exec the closure makes only raw syscalls (close_range or fcntl,
    // prctl, getppid), which are async-signal-safe, and allocates nothing: no lock another
    // thread held at the fork is touched. Its error is a plain errno, as the standard library
    // passes it to the parent.
    unsafe {
        command.pre_exec(move || {
            // The mint gets its pipes, not whatever descriptors our caller handed us.
            cloexec_all_but(None);
            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) == -1 {
                return Err(std::io::Error::last_os_error());
            }
            // The parent may have died before the line above took effect.
            if libc::getppid() as u32 != parent {
                return Err(std::io::Error::from_raw_os_error(libc::ESRCH));
            }
            Ok(())
        });
    }
    // A spawn that fails drops the watchdog, which ends its group: itself.
    let mut child = command.spawn().map_err(|e| spawn_error(program, &e))?;
    if let (Some(stdin), Some(input)) = (child.stdin.take(), input) {
        feed(stdin, input);
    }
    let mut stdout = Capture::new(child.stdout.take().map(OwnedFd::from), max_stdout);
    let mut stderr = Capture::new(child.stderr.take().map(OwnedFd::from), MAX_STDERR_BYTES);

    let exited = read_until_exit(&child, timeout, &mut [&mut stdout, &mut stderr]);
    // The mint is over either way: end what it left behind while the watchdog, alive and not
    // reaped, still holds the group id; then it may go.
    kill_group(watchdog.pid);
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
    finish(
        &mut [&mut stdout, &mut stderr],
        Instant::now() + DRAIN_GRACE,
    );
    Ok(ProgramOutput {
        code: status.code(),
        overflowed: stdout.overflowed,
        stdout: stdout.kept,
        stderr: stderr.kept,
    })
}

fn spawn_error(program: &str, e: &std::io::Error) -> MintError {
    match e.kind() {
        ErrorKind::NotFound => {
            MintError::misconfigured(format!("cannot run `{program}`: no such file"))
        }
        ErrorKind::PermissionDenied => {
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

/// One of the program's output pipes, read without blocking in the calling thread (no reader
/// thread that a loaded machine could starve): at most `cap` bytes are kept, the rest is read
/// and discarded, so the program never blocks on a full pipe.
struct Capture {
    /// `None` once the pipe has ended.
    pipe: Option<File>,
    kept: Vec<u8>,
    cap: usize,
    /// Whether there was more than `cap`.
    overflowed: bool,
}

impl Capture {
    fn new(pipe: Option<OwnedFd>, cap: usize) -> Capture {
        let pipe = pipe.map(File::from).filter(|p| {
            // A pipe that cannot be made non-blocking (never seen) counts as ended: a blocking
            // read could hold us past the timeout.
            // SAFETY: fcntl on a descriptor we own; O_NONBLOCK is set on our read end only
            // (the program's write end is a separate open file description).
            unsafe {
                let flags = libc::fcntl(p.as_raw_fd(), libc::F_GETFL);
                flags != -1
                    && libc::fcntl(p.as_raw_fd(), libc::F_SETFL, flags | libc::O_NONBLOCK) != -1
            }
        });
        Capture {
            pipe,
            kept: Vec::new(),
            cap,
            overflowed: false,
        }
    }

    /// Read what the pipe holds now, until it is empty or has ended, but at most its capacity:
    /// one call reads all the pipe held when it began (it never holds more), and a writer that
    /// never stops cannot keep us here. Whether anything was read.
    fn read_available(&mut self) -> bool {
        let Some(pipe) = self.pipe.as_mut() else {
            return false;
        };
        // SAFETY: fcntl on a descriptor we own.
        let capacity =
            usize::try_from(unsafe { libc::fcntl(pipe.as_raw_fd(), libc::F_GETPIPE_SZ) })
                .unwrap_or(MAX_STDOUT_BYTES);
        let mut buf = [0u8; READ_CHUNK];
        let mut read = 0;
        while read < capacity {
            match pipe.read(&mut buf) {
                Ok(0) => {
                    self.pipe = None;
                    break;
                }
                Ok(n) => {
                    read += n;
                    let room = self.cap - self.kept.len();
                    self.kept.extend_from_slice(&buf[..n.min(room)]);
                    self.overflowed |= n > room;
                }
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                Err(_) => {
                    self.pipe = None;
                    break;
                }
            }
        }
        read > 0
    }
}

/// Wait up to `wait` for any of `pipes` to be readable (or to end); a plain sleep when all have
/// ended.
fn poll_pipes(pipes: &[&mut Capture], wait: Duration) {
    let mut fds = [libc::pollfd {
        fd: -1,
        events: libc::POLLIN,
        revents: 0,
    }; 2];
    for (slot, capture) in fds.iter_mut().zip(pipes) {
        // A negative descriptor is skipped by poll(2).
        slot.fd = capture.pipe.as_ref().map_or(-1, AsRawFd::as_raw_fd);
    }
    let ms = libc::c_int::try_from(wait.as_millis()).unwrap_or(libc::c_int::MAX);
    // SAFETY: poll(2) reads and writes only `fds`, a stack array of the length given.
    unsafe {
        libc::poll(
            fds.as_mut_ptr(),
            pipes.len().min(fds.len()) as libc::nfds_t,
            ms,
        );
    }
}

/// Read `pipes` while the program runs; whether it exited within `timeout`. It is not reaped
/// here: until it is, its pid (and so its process group id) cannot be reused, so a group kill
/// after this still hits only the mint and what it started.
fn read_until_exit(child: &Child, timeout: Duration, pipes: &mut [&mut Capture]) -> bool {
    let deadline = Instant::now() + timeout;
    let mut pause = Duration::from_millis(1);
    loop {
        if has_exited(child) {
            return true;
        }
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return false;
        }
        poll_pipes(pipes, pause.min(left));
        let mut active = false;
        for capture in pipes.iter_mut() {
            active |= capture.read_available();
        }
        pause = if active {
            Duration::from_millis(1)
        } else {
            (pause * 2).min(MAX_POLL_PAUSE)
        };
    }
}

/// Once the program has exited: read all it left in `pipes`, then wait until `grace` for their
/// end (only a process that left its group can still hold them) and read what comes meanwhile.
/// The first round reads everything the program wrote, however late this thread runs.
fn finish(pipes: &mut [&mut Capture], grace: Instant) {
    loop {
        for capture in pipes.iter_mut() {
            capture.read_available();
        }
        let left = grace.saturating_duration_since(Instant::now());
        if pipes.iter().all(|c| c.pipe.is_none()) || left.is_zero() {
            return;
        }
        poll_pipes(pipes, left);
    }
}

/// Whether the child has exited, without reaping it.
fn has_exited(child: &Child) -> bool {
    // SAFETY: waitid fills in `info`, plain old data; WNOWAIT leaves the child unreaped.
    unsafe {
        let mut info: libc::siginfo_t = std::mem::zeroed();
        let r = libc::waitid(
            libc::P_PID,
            child.id() as libc::id_t,
            &mut info,
            libc::WEXITED | libc::WNOHANG | libc::WNOWAIT,
        );
        r == -1 && std::io::Error::last_os_error().kind() != ErrorKind::Interrupted
            || r == 0 && info.si_pid() != 0
    }
}

/// Kill the process group `pgid` (a mint's, its watchdog among them). Call it while the
/// watchdog, its leader, is not reaped, so the group id is still theirs.
fn kill_group(pgid: libc::pid_t) {
    // Never 0 or 1: kill(0) and kill(-1) would reach far more than the mint.
    if pgid > 1 {
        // SAFETY: kill(2) has no memory-safety preconditions; a negative pid names the group.
        unsafe {
            libc::kill(-pgid, libc::SIGKILL);
        }
    }
}

/// A process that kills a mint's process group when this process dies (however: it sees the
/// end of a pipe whose only writer is this process) or, at the latest, at a time limit. It is
/// forked, not executed: it runs no code but a few raw syscalls and holds no descriptor but its
/// end of that pipe (so it never keeps a caller's pipe open).
///
/// It leads the process group the mint joins (its pid is the group id), started before the
/// mint: there is no moment at which this process could die with the mint started and nobody
/// left to end what the mint started. The group id stays allocated while it lives, so no
/// unrelated process can take it before the watchdog's `kill(-pgid)`. That group is not the terminal's foreground group (Ctrl-C and the
/// other terminal signals reach the caller's group, not it), and every signal that can be
/// blocked stays blocked in the watchdog for life, from before the fork: a hangup of the group
/// (the kernel sends `SIGHUP` to a group orphaned with a stopped member) or the mint's own
/// `kill 0` does not end it before its work. Only `SIGKILL` does, which ends the group too.
///
/// Dropping it lets it go: call that once the group is killed (which kills it as well), before
/// the leader is reaped; it is then reaped, within [`WATCHDOG_EXIT_WAIT`] or killed.
struct Watchdog {
    pid: libc::pid_t,
    /// The write end of the pipe: closing it (or dying) is the signal.
    alarm: Option<PipeWriter>,
}

impl Watchdog {
    /// Fork the watchdog, leader of a new process group for the mint to join
    /// (`Command::process_group(watchdog.pid)`), ending it at `limit` at the latest.
    fn lead(limit: Duration) -> std::io::Result<Watchdog> {
        // Both ends close-on-exec: no program this process starts inherits them.
        let (reader, writer) = std::io::pipe()?;
        let limit_ms = i64::try_from(limit.as_millis()).unwrap_or(i64::MAX);
        // SAFETY: sigset_t is plain old data filled in by sigfillset; pthread_sigmask changes
        // only this thread's mask, restored right after the fork. The child runs only raw,
        // async-signal-safe syscalls (`watch`), allocates nothing and never returns into Rust
        // code, so the state other threads left behind at the fork is never touched.
        let (pid, fork_error) = unsafe {
            let mut all: libc::sigset_t = std::mem::zeroed();
            let mut before: libc::sigset_t = std::mem::zeroed();
            libc::sigfillset(&mut all);
            libc::pthread_sigmask(libc::SIG_BLOCK, &all, &mut before);
            let pid = libc::fork();
            if pid == 0 {
                watch(reader.as_raw_fd(), limit_ms);
            }
            let fork_error = std::io::Error::last_os_error();
            libc::pthread_sigmask(libc::SIG_SETMASK, &before, std::ptr::null_mut());
            (pid, fork_error)
        };
        if pid == -1 {
            return Err(fork_error);
        }
        let watchdog = Watchdog {
            pid,
            alarm: Some(writer),
        };
        // The watchdog makes its group itself too; doing it here as well means the group
        // exists before the mint joins it, and reports a failure (dropping the watchdog then
        // kills and reaps it).
        // SAFETY: setpgid(2) takes plain integers.
        if unsafe { libc::setpgid(pid, pid) } == -1 {
            return Err(std::io::Error::last_os_error());
        }
        Ok(watchdog)
    }
}

impl Drop for Watchdog {
    fn drop(&mut self) {
        // On the end of the pipe the watchdog kills the group (already dead, the leader
        // unreaped) and exits, if the group kill has not ended it already.
        drop(self.alarm.take());
        let deadline = Instant::now() + WATCHDOG_EXIT_WAIT;
        let mut pause = Duration::from_millis(1);
        while !reaped(self.pid, libc::WNOHANG) {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                // Stopped or starved. It is our child and not reaped, so the pid is still its
                // own: killing it hits nothing else.
                // SAFETY: kill(2) takes plain integers.
                unsafe {
                    libc::kill(self.pid, libc::SIGKILL);
                }
                reaped(self.pid, 0);
                return;
            }
            thread::sleep(pause.min(left));
            pause = (pause * 2).min(MAX_POLL_PAUSE);
        }
    }
}

/// `waitpid(pid, options)`, retried when interrupted: whether `pid` is reaped (or gone: not our
/// child any more).
fn reaped(pid: libc::pid_t, options: libc::c_int) -> bool {
    loop {
        let mut status = 0;
        // SAFETY: waitpid writes only `status`.
        let r = unsafe { libc::waitpid(pid, &mut status, options) };
        if r != -1 {
            return r == pid;
        }
        if std::io::Error::last_os_error().kind() != ErrorKind::Interrupted {
            return true;
        }
    }
}

/// The watchdog's life, in the forked child (every blockable signal blocked): lead a new
/// group, wait for the end of the pipe `alarm` or the limit, kill the group (itself among
/// them). Only raw, async-signal-safe syscalls; no allocation.
unsafe fn watch(alarm: RawFd, limit_ms: i64) -> ! {
    // SAFETY (whole body): plain syscalls on integers and a stack `pollfd`/`timespec`.
    unsafe {
        if libc::setpgid(0, 0) == -1 {
            // The parent's own setpgid fails alike and reports it.
            libc::_exit(1);
        }
        let pgid = libc::getpid();
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
            if r != -1 || *libc::__errno_location() != libc::EINTR {
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
    use std::sync::mpsc;

    fn sh(script: &str) -> Vec<String> {
        vec!["/bin/sh".into(), "-c".into(), script.into()]
    }

    /// How long a test waits for what happens at once unless the code is broken: generous
    /// for a loaded 2-core machine, so that only a hang fails it.
    const PATIENCE: Duration = Duration::from_secs(60);

    /// A mint_timeout no test reaches: what a test waits for must end without it.
    const NEVER: Duration = Duration::from_secs(3600);

    /// `f`'s result if it returns within `limit`, `None` if not (it is then left running on
    /// its own thread): a wait that would hang fails instead. Threads share children, so `f`
    /// may reap what this thread started.
    fn within<T: Send + 'static>(
        limit: Duration,
        f: impl FnOnce() -> T + Send + 'static,
    ) -> Option<T> {
        let (tx, rx) = mpsc::channel();
        thread::spawn(move || {
            let _ = tx.send(f());
        });
        rx.recv_timeout(limit).ok()
    }

    /// The state letter of `pid` in `/proc` (`R`, `S`, `T` for stopped, `Z`...), if it exists.
    fn state(pid: libc::pid_t) -> Option<char> {
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
        stat.rsplit(')').next()?.trim_start().chars().next()
    }

    /// Whether `pid` is gone (or a zombie, dead but not yet reaped by whoever adopted it).
    fn dead(pid: &str) -> bool {
        pid.parse()
            .map_or(true, |pid| matches!(state(pid), None | Some('Z')))
    }

    /// Whether `done` holds within `limit` (asked every few milliseconds).
    fn wait_until_true(limit: Duration, mut done: impl FnMut() -> bool) -> bool {
        let start = Instant::now();
        while !done() {
            if start.elapsed() > limit {
                return false;
            }
            thread::sleep(Duration::from_millis(5));
        }
        true
    }

    fn dies_within(pid: &str, limit: Duration) -> bool {
        wait_until_true(limit, || dead(pid))
    }

    /// The pid a script wrote to `file`, waiting (bounded) for it to appear.
    fn pid_in(file: &std::path::Path) -> String {
        let start = Instant::now();
        loop {
            let text = std::fs::read_to_string(file).unwrap_or_default();
            if text.ends_with('\n') {
                return text.trim().to_owned();
            }
            assert!(start.elapsed() < PATIENCE, "no pid in {file:?}");
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
        // Time for the shell to start its child and write its pid, on a loaded machine too.
        let limit = Duration::from_secs(2);
        let started = Instant::now();
        // The background `sleep` keeps stdout open; only killing the group ends it.
        let argv = sh(&format!(
            "sleep 1000 & echo $! > '{}'; sleep 1000",
            file.display()
        ));
        let e = within(PATIENCE, move || run_program(&argv, None, limit))
            .expect("the program was not killed at its limit")
            .err()
            .expect("a hang is an error");
        assert!(
            e.message.contains("did not finish within mint_timeout"),
            "{}",
            e.message
        );
        assert!(started.elapsed() >= limit);
        assert!(dies_within(&pid_in(&file), PATIENCE));
    }

    #[test]
    fn an_answer_printed_before_exit_is_served_though_a_grandchild_holds_stdout() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("pid");
        let argv = sh(&format!(
            "(sleep 1000) & echo $! > '{}'; echo answer; echo why >&2; exit 0",
            file.display()
        ));
        let out = within(PATIENCE, move || run_program(&argv, None, NEVER))
            .expect("the mint waited for its grandchild")
            .unwrap_or_else(|e| panic!("{}", e.message));
        assert_eq!(
            (out.code, out.stdout.as_slice()),
            (Some(0), &b"answer\n"[..])
        );
        assert_eq!(out.stderr, b"why\n");
        assert!(
            dies_within(&pid_in(&file), PATIENCE),
            "the grandchild outlived the mint"
        );
    }

    #[test]
    fn a_grandchild_that_left_the_group_does_not_hold_the_answer_back() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("pid");
        // `setsid` puts the sleeper out of reach of the group kill; it holds stdout for ever.
        // The mint answers once the sleeper is out (it has written its pid).
        let argv = sh(&format!(
            "f='{}'; setsid sh -c 'echo $$ > \"$0\"; exec sleep 1000' \"$f\" & \
             while [ ! -s \"$f\" ]; do sleep 0.01; done; echo answer; exit 0",
            file.display()
        ));
        let out = within(PATIENCE, move || run_program(&argv, None, NEVER));
        let pid = pid_in(&file);
        // SAFETY: kill takes plain integers; the pid is the one the sleeper wrote itself.
        unsafe { libc::kill(pid.parse().unwrap(), libc::SIGKILL) };
        let out = out
            .expect("the answer waited for the sleeper")
            .unwrap_or_else(|e| panic!("{}", e.message));
        assert_eq!(
            (out.code, out.stdout.as_slice()),
            (Some(0), &b"answer\n"[..])
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

    /// A group to watch: a watchdog under `limit`, and a shell in its group whose background
    /// child writes its pid to `file`.
    fn watched_group(file: &std::path::Path, limit: Duration) -> (Watchdog, Child) {
        let watchdog = Watchdog::lead(limit).unwrap();
        let leader = sleeping_in(file, watchdog.pid);
        (watchdog, leader)
    }

    /// A shell in the process group `pgid` whose background child writes its pid to `file`.
    fn sleeping_in(file: &std::path::Path, pgid: libc::pid_t) -> Child {
        Command::new("/bin/sh")
            .args([
                "-c",
                &format!("sleep 1000 & echo $! > '{}'; sleep 1000", file.display()),
            ])
            .stdin(Stdio::null())
            .process_group(pgid)
            .spawn()
            .unwrap()
    }

    #[test]
    fn the_watchdog_kills_the_group_at_its_limit_and_holds_no_descriptor_but_its_pipe() {
        let dir = tempfile::tempdir().unwrap();
        let killed_by = |leader: &mut Child| {
            std::os::unix::process::ExitStatusExt::signal(&leader.wait().unwrap())
        };
        // Its descriptors, once it has closed what the fork copied (looked at under a limit
        // no test reaches, for as long as that takes): the read end of its pipe, nothing of
        // ours (not stdin, stdout, stderr).
        let file = dir.path().join("pid");
        let (watchdog, mut leader) = watched_group(&file, NEVER);
        pid_in(&file);
        let mut fds = Vec::new();
        wait_until_true(PATIENCE, || {
            fds = std::fs::read_dir(format!("/proc/{}/fd", watchdog.pid))
                .unwrap()
                .flatten()
                .filter_map(|e| std::fs::read_link(e.path()).ok())
                .map(|p| p.display().to_string())
                .collect();
            fds.len() <= 1
        });
        assert!(
            fds.len() == 1 && fds[0].starts_with("pipe:"),
            "the watchdog holds {fds:?}"
        );
        // SAFETY: getpgid takes a plain integer.
        assert_eq!(
            unsafe { libc::getpgid(leader.id() as libc::pid_t) },
            watchdog.pid,
            "the mint is in the watchdog's group"
        );
        drop(watchdog);
        assert_eq!(killed_by(&mut leader), Some(libc::SIGKILL));
        // Another group, which nobody ends: the watchdog does, at its limit.
        let file = dir.path().join("pid2");
        let limit = Duration::from_secs(2);
        let started = Instant::now();
        let (watchdog, mut leader) = watched_group(&file, limit);
        let grandchild = pid_in(&file);
        assert!(dies_within(&grandchild, PATIENCE));
        assert!(started.elapsed() >= limit);
        drop(watchdog);
        assert_eq!(killed_by(&mut leader), Some(libc::SIGKILL));
    }

    #[test]
    fn the_watchdog_holds_the_group_id_while_it_lives_and_a_hangup_or_term_of_the_group_spares_it()
    {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("pid");
        let (watchdog, mut leader) = watched_group(&file, NEVER);
        let grandchild = pid_in(&file);
        let pgid = watchdog.pid;
        // SAFETY: getpgid takes a plain integer.
        assert_eq!(
            unsafe { libc::getpgid(leader.id() as libc::pid_t) },
            pgid,
            "the mint is in the watchdog's group"
        );
        // What the kernel sends a group orphaned with a stopped member, and a mint's `kill 0`:
        // the shell and its sleep die of them, the watchdog does not.
        for signal in [libc::SIGHUP, libc::SIGTERM, libc::SIGINT] {
            // SAFETY: kill takes plain integers; the group is the one this test started.
            unsafe { libc::kill(-pgid, signal) };
        }
        leader.wait().unwrap();
        assert!(dies_within(&grandchild, PATIENCE));
        // A signal it can die of ends it as it is sent (the kernel makes it the process's
        // exit then), and a process on its way out never stops: once stopped, it survived them.
        let pid = watchdog.pid;
        // SAFETY: kill takes plain integers; `pid` is this test's unreaped child.
        unsafe { libc::kill(pid, libc::SIGSTOP) };
        wait_until_true(PATIENCE, || matches!(state(pid), None | Some('T' | 'Z')));
        let survived = state(pid) == Some('T');
        // SAFETY: as above.
        unsafe { libc::kill(pid, libc::SIGCONT) };
        assert!(
            survived,
            "a signal to the group ended the watchdog ({:?})",
            state(pid)
        );
        // The shell reaped, every other member gone: the watchdog alone keeps the id allocated,
        // so no new group can take it before the watchdog's kill.
        // SAFETY: signal 0 only checks that the group exists.
        assert_eq!(unsafe { libc::kill(-pgid, 0) }, 0, "the group id was freed");
        assert!(
            within(PATIENCE, move || drop(watchdog)).is_some(),
            "letting the watchdog go waited for ever"
        );
        assert_eq!(children_of_this_thread().trim(), "");
    }

    #[test]
    fn a_stopped_watchdog_is_killed_and_reaped_when_let_go() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("pid");
        let (watchdog, mut leader) = watched_group(&file, NEVER);
        pid_in(&file);
        let pid = watchdog.pid;
        // SAFETY: kill takes plain integers; `pid` is this test's unreaped child.
        unsafe { libc::kill(pid, libc::SIGSTOP) };
        let stopped = || state(pid) == Some('T');
        wait_until_true(PATIENCE, stopped);
        assert!(stopped(), "the watchdog did not stop");
        // Let go on another thread (threads share children), so a wait for ever is a failure,
        // not a hang.
        let (tx, rx) = mpsc::channel();
        let started = Instant::now();
        thread::spawn(move || {
            drop(watchdog);
            let _ = tx.send(());
        });
        let let_go = rx.recv_timeout(PATIENCE).is_ok();
        let took = started.elapsed();
        if !let_go {
            // SAFETY: as above; it is still unreaped.
            unsafe { libc::kill(pid, libc::SIGKILL) };
        }
        // The watchdog is gone; the shell still holds the group id.
        kill_group(pid);
        leader.wait().unwrap();
        assert!(let_go, "letting a stopped watchdog go waited for ever");
        // Stopped, it cannot end by itself: it is killed once the exit wait is over.
        assert!(took >= WATCHDOG_EXIT_WAIT, "{took:?}");
        assert!(
            std::fs::metadata(format!("/proc/{pid}")).is_err(),
            "the watchdog was not reaped"
        );
    }

    #[test]
    fn a_large_answer_is_read_to_its_last_byte_though_a_grandchild_holds_stdout() {
        const SIZE: usize = 500_000;
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("pid");
        // Many pipe-fulls: the program exits with the last one still in the pipe, and the
        // sleeper keeps the pipe from ending.
        let argv = sh(&format!(
            "(sleep 1000) & echo $! > '{}'; head -c {SIZE} /dev/zero | tr '\\0' x; exit 0",
            file.display()
        ));
        let out = within(PATIENCE, move || run_program(&argv, None, NEVER))
            .expect("the answer waited for the sleeper")
            .unwrap_or_else(|e| panic!("{}", e.message));
        assert_eq!(out.code, Some(0));
        assert_eq!(out.stdout.len(), SIZE, "the answer was cut");
        assert!(out.stdout.iter().all(|&b| b == b'x') && !out.overflowed);
        assert!(dies_within(&pid_in(&file), PATIENCE));
    }

    #[test]
    fn stdout_past_the_cap_is_flagged_and_drained_and_stderr_is_kept() {
        let out = run_program(
            &sh(&format!(
                "head -c {} /dev/zero; echo why >&2",
                MAX_STDOUT_BYTES + 100_000
            )),
            None,
            Duration::from_secs(30),
        )
        .unwrap_or_else(|e| panic!("{}", e.message));
        assert_eq!(out.code, Some(0), "the program blocked on a full pipe");
        assert_eq!((out.stdout.len(), out.overflowed), (MAX_STDOUT_BYTES, true));
        assert_eq!(out.stderr, b"why\n");
    }
}
