//! `backend = "command"`: run a program (directly, never through a shell) that prints
//! `{"token": "...", "expires_at": <epoch seconds | RFC 3339>}` or
//! `{"token": "...", "expires_in": <seconds>}` on stdout.
//!
//! The program runs in its own process group so a timeout kills it and everything it started.
//! It never inherits the cache lock (every fd ecluse-cred opens is close-on-exec). Exit status 77
//! (EX_NOPERM) means "credentials rejected"; any other non-zero status is a transient failure.

use std::io::Read;
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::error::Code;
use crate::mint::{EpochMs, Mint, MintError, Minted};
use crate::secret::Secret;

/// Most of the mint's stdout that is read: far above any real token response, and a bound on
/// memory when a mint misbehaves (the rest is drained and discarded).
const MAX_STDOUT_BYTES: usize = 1 << 20;
/// How much of the mint's stderr is kept to explain a failure.
const MAX_STDERR_BYTES: usize = 16 << 10;
/// How much of that stderr goes into an error message.
const STDERR_EXCERPT_CHARS: usize = 300;

pub struct CommandMint {
    pub argv: Vec<String>,
    pub timeout: Duration,
}

impl Mint for CommandMint {
    fn mint(&self, started: EpochMs) -> Result<Minted, MintError> {
        let out = run_program(&self.argv, self.timeout)?;
        let program = &self.argv[0];
        if out.code != Some(0) {
            let why = match out.code {
                Some(code) => format!("exited with status {code}"),
                None => "was killed by a signal".to_owned(),
            };
            let message = format!("`{program}` {why}{}", excerpt(&out.stderr));
            // 77 (EX_NOPERM) says the backend rejected the credentials; a `command` mint has no
            // other status of its own meaning.
            return Err(if out.code == Some(Code::NoPerm as i32) {
                MintError::rejected(message)
            } else {
                MintError::transient(message)
            });
        }
        if out.overflowed {
            return Err(MintError::transient(format!(
                "`{program}` printed more than {MAX_STDOUT_BYTES} bytes on stdout"
            )));
        }
        parse_response(&out.stdout, started)
            .map_err(|why| MintError::transient(format!("`{program}` {why}")))
    }
}

/// What a program that ran to its end left.
pub struct ProgramOutput {
    /// The exit status; `None` if a signal ended it.
    pub code: Option<i32>,
    pub stdout: Vec<u8>,
    /// Whether stdout went past [`MAX_STDOUT_BYTES`] (the rest was discarded).
    pub overflowed: bool,
    pub stderr: Vec<u8>,
}

/// Run `argv` directly (no shell) with stdin closed, in its own process group, reading at most
/// [`MAX_STDOUT_BYTES`] of stdout. If it (or anything it started that holds its stdout) runs past
/// `timeout`, the whole group is killed and that is the error.
pub fn run_program(argv: &[String], timeout: Duration) -> Result<ProgramOutput, MintError> {
    let (program, args) = argv
        .split_first()
        .ok_or_else(|| MintError::misconfigured("`command` is empty"))?;
    let mut command = Command::new(program);
    command
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0);
    // If this process dies (even by kill -9) the mint dies with it: nobody would read its
    // answer, and the lock it was minting under is already free for the next caller's mint.
    let parent = std::process::id();
    // SAFETY: prctl(2) and getppid(2) are async-signal-safe and touch no memory of the parent.
    unsafe {
        command.pre_exec(move || {
            // The mint gets its pipes, not whatever descriptors our caller handed us.
            crate::process::cloexec_all_but(None);
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
    let stdout = read_capped(child.stdout.take(), MAX_STDOUT_BYTES);
    let stderr = read_capped(child.stderr.take(), MAX_STDERR_BYTES);
    let deadline = Instant::now() + timeout;
    let timed_out = || {
        MintError::transient(format!(
            "`{program}` did not finish within mint_timeout ({}); killed it",
            humantime::format_duration(timeout)
        ))
    };

    if !exited_by(&child, deadline) {
        kill_group(&mut child);
        return Err(timed_out());
    }
    // A grandchild may still hold the pipes open: the same deadline bounds the read.
    let remaining = deadline.saturating_duration_since(Instant::now());
    let Ok((stdout, overflowed)) = stdout.recv_timeout(remaining) else {
        kill_group(&mut child);
        return Err(timed_out());
    };
    let stderr = stderr
        .recv_timeout(Duration::from_millis(100))
        .map(|(e, _)| e)
        .unwrap_or_default();
    let status = child
        .wait()
        .map_err(|e| MintError::transient(format!("cannot wait for `{program}`: {e}")))?;
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

/// Read a pipe to its end on a thread, keeping at most `cap` bytes. The flag says whether
/// there was more.
fn read_capped<R: Read + Send + 'static>(
    pipe: Option<R>,
    cap: usize,
) -> mpsc::Receiver<(Vec<u8>, bool)> {
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let mut kept = Vec::new();
        let mut overflowed = false;
        if let Some(mut pipe) = pipe {
            let mut buf = [0u8; 8192];
            loop {
                match pipe.read(&mut buf) {
                    Ok(0) => break,
                    Ok(n) => {
                        let room = cap - kept.len();
                        kept.extend_from_slice(&buf[..n.min(room)]);
                        overflowed |= n > room;
                    }
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                    Err(_) => break,
                }
            }
        }
        let _ = tx.send((kept, overflowed));
    });
    rx
}

/// Whether the child exits before `deadline`. It is not reaped here: until it is, its pid (and
/// so its process group id) cannot be reused, so a group kill after this still hits only the
/// mint and what it started.
fn exited_by(child: &Child, deadline: Instant) -> bool {
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

/// Kill the mint's whole process group (it was started as a group leader and is not reaped
/// yet, so the group id is still its own) and reap it.
fn kill_group(child: &mut Child) {
    if let Ok(pgid) = i32::try_from(child.id())
        && pgid > 1
    {
        // SAFETY: kill(2) has no memory-safety preconditions; a negative pid names the group.
        unsafe {
            libc::kill(-pgid, libc::SIGKILL);
        }
    }
    let _ = child.kill();
    let _ = child.wait();
}

/// The last line of the mint's stderr, shortened, for an error message (`: line`, or nothing).
pub fn excerpt(stderr: &[u8]) -> String {
    let text = String::from_utf8_lossy(stderr);
    let Some(line) = text.lines().map(str::trim).rfind(|l| !l.is_empty()) else {
        return String::new();
    };
    let clean: String = line
        .chars()
        .filter(|c| !c.is_control())
        .take(STDERR_EXCERPT_CHARS)
        .collect();
    format!(": {clean}")
}

/// Parse the mint's stdout. Error texts name the problem, never the values printed: a
/// half-right response may still hold a token.
pub fn parse_response(stdout: &[u8], started: EpochMs) -> Result<Minted, String> {
    const EXPECTED: &str = "expected a JSON object with `token` and `expires_at` or `expires_in`";
    if stdout.iter().all(u8::is_ascii_whitespace) {
        return Err(format!("printed nothing on stdout ({EXPECTED})"));
    }
    let value: Value = serde_json::from_slice(stdout).map_err(|e| {
        format!(
            "printed invalid JSON on stdout (line {}, column {}; {EXPECTED})",
            e.line(),
            e.column()
        )
    })?;
    let Value::Object(fields) = value else {
        return Err(format!("printed JSON that is not an object ({EXPECTED})"));
    };
    let token = match fields.get("token") {
        None => return Err(format!("printed no `token` ({EXPECTED})")),
        // Empty tokens, control characters and past or absurd expiries are refused where every
        // backend's answer enters the engine (`policy::check_minted`).
        Some(Value::String(t)) => Secret::new(t.clone()),
        Some(_) => return Err("printed a `token` that is not a string".into()),
    };
    let (expires_at, source) = match (fields.get("expires_at"), fields.get("expires_in")) {
        (Some(at), _) => (parse_expires_at(at)?, "expires_at"),
        (None, Some(secs)) => {
            let secs =
                number(secs).ok_or("printed an `expires_in` that is not a number of seconds")?;
            (started.saturating_add((secs * 1000.0) as i64), "expires_in")
        }
        (None, None) => {
            return Err(format!(
                "printed no `expires_at` or `expires_in` ({EXPECTED})"
            ));
        }
    };
    Ok(Minted {
        token,
        expires_at,
        expiry_source: source.to_owned(),
    })
}

/// A finite, non-negative number, given as a JSON number or a numeric string.
fn number(v: &Value) -> Option<f64> {
    let n = match v {
        Value::Number(n) => n.as_f64()?,
        Value::String(s) => s.trim().parse().ok()?,
        _ => return None,
    };
    (n.is_finite() && n >= 0.0).then_some(n)
}

/// Epoch seconds from this value on (the year 5138) are epoch *milliseconds* of a time since
/// 1973 by mistake: a token "valid for 55,000 years" that would never be refreshed.
const MILLISECONDS_LOOKALIKE: f64 = 1e11;

fn parse_expires_at(v: &Value) -> Result<EpochMs, String> {
    if let Some(secs) = number(v) {
        if secs >= MILLISECONDS_LOOKALIKE {
            return Err(format!(
                "printed an `expires_at` of {secs:.0}, which as epoch seconds is tens of thousands of years away: it looks like milliseconds; print epoch seconds or an RFC 3339 time"
            ));
        }
        return Ok((secs * 1000.0) as i64);
    }
    let Value::String(s) = v else {
        return Err(
            "printed an `expires_at` that is neither epoch seconds nor an RFC 3339 time".into(),
        );
    };
    s.trim()
        .parse::<jiff::Timestamp>()
        .map(|t| t.as_millisecond())
        .map_err(|_| {
            "printed an `expires_at` that is neither epoch seconds nor an RFC 3339 time".into()
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mint(script: &str, timeout: Duration) -> Result<Minted, MintError> {
        let m = CommandMint {
            argv: vec!["/bin/sh".into(), "-c".into(), script.into()],
            timeout,
        };
        m.mint(1_000_000)
    }

    #[test]
    fn accepts_expires_at_in_epoch_seconds_and_rfc3339_with_offset() {
        let a = parse_response(br#"{"token":"abc","expires_at":2000}"#, 0).unwrap();
        assert_eq!(
            (a.token.expose(), a.expires_at, a.expiry_source.as_str()),
            ("abc", 2_000_000, "expires_at")
        );
        let b = parse_response(
            br#"{"token":"abc","expires_at":"1970-01-01T01:00:00+01:00"}"#,
            -5,
        )
        .unwrap();
        assert_eq!(b.expires_at, 0);
        let c = parse_response(
            br#"{"token":"abc","expires_at":"1970-01-01T00:00:10.5Z"}"#,
            0,
        )
        .unwrap();
        assert_eq!(c.expires_at, 10_500);
    }

    #[test]
    fn expires_in_counts_from_the_start_of_the_mint() {
        let m = parse_response(br#"{"token":"abc","expires_in":3600}"#, 5_000).unwrap();
        assert_eq!(
            (m.expires_at, m.expiry_source.as_str()),
            (3_605_000, "expires_in")
        );
    }

    #[test]
    fn rejects_bad_responses_without_echoing_them() {
        let cases: [(&[u8], &str); 6] = [
            (b"", "printed nothing"),
            (b"secret-tok", "invalid JSON"),
            (br#"["secret-tok"]"#, "not an object"),
            (br#"{"expires_in":60}"#, "no `token`"),
            (
                br#"{"token":"secret-tok"}"#,
                "no `expires_at` or `expires_in`",
            ),
            (
                br#"{"token":"secret-tok","expires_at":"secret-tok"}"#,
                "neither epoch seconds",
            ),
        ];
        for (input, want) in cases {
            let err = parse_response(input, 10_000).unwrap_err();
            assert!(err.contains(want), "{err:?} should say {want:?}");
            assert!(!err.contains("secret-tok"), "{err:?} leaks the output");
        }
    }

    #[test]
    fn runs_the_program_and_reads_its_json() {
        let m = mint(
            r#"echo '{"token":"tok-1","expires_in":60}'"#,
            Duration::from_secs(10),
        )
        .unwrap();
        assert_eq!((m.token.expose(), m.expires_at), ("tok-1", 1_060_000));
    }

    #[test]
    fn non_zero_exit_is_a_transient_failure_quoting_stderr() {
        let e = mint(
            "echo 'backend says no' >&2; exit 3",
            Duration::from_secs(10),
        )
        .unwrap_err();
        assert_eq!(e.kind, crate::mint::FailureKind::Transient);
        assert!(
            e.message.contains("exited with status 3: backend says no"),
            "{}",
            e.message
        );
    }

    #[test]
    fn exit_77_means_rejected() {
        let e = mint("exit 77", Duration::from_secs(10)).unwrap_err();
        assert_eq!(e.kind, crate::mint::FailureKind::Rejected);
    }

    #[test]
    fn missing_program_is_a_configuration_failure() {
        let m = CommandMint {
            argv: vec!["/nonexistent/mint".into()],
            timeout: Duration::from_secs(1),
        };
        let e = m.mint(0).unwrap_err();
        assert_eq!(e.kind, crate::mint::FailureKind::Misconfigured);
        assert!(e.message.contains("no such file"));
    }

    #[test]
    fn a_mint_that_hangs_is_killed_with_its_children_at_the_timeout() {
        let started = Instant::now();
        // The background `sleep` keeps stdout open; only killing the group ends it.
        let e = mint("sleep 30 & sleep 30", Duration::from_millis(300)).unwrap_err();
        assert!(
            e.message.contains("did not finish within mint_timeout"),
            "{}",
            e.message
        );
        assert!(started.elapsed() < Duration::from_secs(10));
    }

    #[test]
    fn a_grandchild_holding_stdout_open_is_killed_at_the_timeout() {
        let started = Instant::now();
        let e = mint("sleep 30 & echo '{}'; exit 0", Duration::from_millis(300)).unwrap_err();
        assert!(
            e.message.contains("did not finish within mint_timeout"),
            "{}",
            e.message
        );
        assert!(started.elapsed() < Duration::from_secs(10));
    }

    #[test]
    fn huge_output_is_bounded_and_refused() {
        let e = mint("head -c 3000000 /dev/zero", Duration::from_secs(20)).unwrap_err();
        assert!(e.message.contains("more than"), "{}", e.message);
    }
}
