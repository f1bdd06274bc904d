//! The error type of every command, and its exit code.

use std::fmt;

use crate::mint::{FailureKind, MintError};

/// Exit codes, from sysexits(3) where one fits, so scripts can tell a retryable failure from a
/// broken setup.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Code {
    /// 1: anything not covered below.
    Other = 1,
    /// 2: a bad command line (clap reports its own; the protocol front-ends use this).
    Usage = 2,
    /// 74 (EX_IOERR): `refresh` minted a new token but could not save it to the cache (a full
    /// or read-only disk); the cache still holds the old token.
    IoErr = 74,
    /// 75 (EX_TEMPFAIL): no usable token and the mint failed or timed out, the breaker is open,
    /// or the lock wait timed out. Retrying later may work.
    TempFail = 75,
    /// 77 (EX_NOPERM): the backend rejected the caller's credentials.
    NoPerm = 77,
    /// 78 (EX_CONFIG): the configuration or the cache directory is wrong; retrying will not help.
    Config = 78,
    /// 126, as shells use it: `exec`'s command exists but cannot be run.
    NotExecutable = 126,
    /// 127, as shells use it: `exec`'s command was not found.
    NotFound = 127,
}

impl Code {
    /// The exit status, for `std::process::exit` and `ExitCode`.
    pub fn exit_code(self) -> std::process::ExitCode {
        std::process::ExitCode::from(self as u8)
    }
}

/// The code a failed mint ends a caller with when it leaves no usable token; also the exit
/// status by which a mint program (the `ecluse-cred-mint` helper, a `command` that exits 77)
/// says which kind of failure it had.
impl From<FailureKind> for Code {
    fn from(kind: FailureKind) -> Code {
        match kind {
            FailureKind::Transient => Code::TempFail,
            FailureKind::Rejected => Code::NoPerm,
            FailureKind::Misconfigured => Code::Config,
        }
    }
}

/// The failure kind a mint program's exit status means: 77 and 78 as in [`Code`], anything
/// else (1, 75, a signal) transient.
pub fn failure_kind(exit_status: Option<i32>) -> FailureKind {
    match exit_status {
        Some(s) if s == Code::NoPerm as i32 => FailureKind::Rejected,
        Some(s) if s == Code::Config as i32 => FailureKind::Misconfigured,
        _ => FailureKind::Transient,
    }
}

#[derive(Debug)]
pub struct Error {
    pub code: Code,
    pub message: String,
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub fn new(code: Code, message: impl Into<String>) -> Self {
        Error {
            code,
            message: message.into(),
        }
    }
    pub fn config(message: impl Into<String>) -> Self {
        Error::new(Code::Config, message)
    }
    pub fn temp(message: impl Into<String>) -> Self {
        Error::new(Code::TempFail, message)
    }
    pub fn other(message: impl Into<String>) -> Self {
        Error::new(Code::Other, message)
    }

    /// The caller-facing error when a failed mint leaves the caller without a token.
    pub fn mint_failed(target: &str, e: MintError) -> Self {
        Error::new(
            e.kind.into(),
            format!("target `{target}`: mint failed: {}", e.message),
        )
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}

/// What a command hands back to [`finish`]: its answer, in the kinds the client conventions
/// need. A command prints nothing itself (cargo's exchange, `setup` and `doctor` aside, which
/// talk as they go and end with [`Reply::Done`]).
#[derive(Debug, PartialEq)]
pub enum Reply {
    /// The answer: this text on stdout (nothing when empty, as git's "no credentials"), exit 0.
    Stdout(String),
    /// keyring's "no credentials": nothing on stdout or stderr, exit 1 (pip and uv then go on
    /// without).
    NoCredentials,
    /// docker's helper convention: a failure is told on stdout (docker compares it with
    /// "credentials not found in native keychain"), and every failure exits 1.
    FailureOnStdout(String),
    /// Already said; end with this status.
    Done(std::process::ExitCode),
}

impl Reply {
    /// The text for stdout, and the exit code.
    fn parts(self) -> (String, std::process::ExitCode) {
        match self {
            Reply::Stdout(text) => (text, std::process::ExitCode::SUCCESS),
            Reply::NoCredentials => (String::new(), Code::Other.exit_code()),
            Reply::FailureOnStdout(text) => (text, Code::Other.exit_code()),
            Reply::Done(code) => (String::new(), code),
        }
    }
}

/// The one place a command ends: print its reply and exit with the reply's status, or report
/// its error and exit with the error's code. A stdout that cannot be written (the client went
/// away) is an error too (exit 1), never a panic.
pub fn finish(outcome: Result<Reply>) -> std::process::ExitCode {
    let (text, code) = match outcome {
        Ok(reply) => reply.parts(),
        Err(e) => return report(&e),
    };
    match write_stdout(&text) {
        Ok(()) => code,
        Err(e) => report(&e),
    }
}

/// Write `text` to stdout and flush it (an empty text writes nothing).
pub(crate) fn write_stdout(text: &str) -> Result<()> {
    use std::io::Write;
    if text.is_empty() {
        return Ok(());
    }
    let mut stdout = std::io::stdout().lock();
    stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
        .map_err(|e| Error::other(format!("cannot write to stdout: {e}")))
}

/// Report `e` on stderr (as text or JSON, per `--log-format`) and return its exit code.
fn report(e: &Error) -> std::process::ExitCode {
    crate::log::write(
        crate::log::Level::Error,
        "error",
        None,
        format_args!("{e}"),
        &[("exit_code", (e.code as u8).into())],
    );
    e.code.exit_code()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::process::ExitCode;

    #[test]
    fn each_reply_kind_ends_with_its_client_s_exit_status() {
        assert_eq!(
            Reply::Stdout("tok\n".into()).parts(),
            ("tok\n".to_owned(), ExitCode::SUCCESS)
        );
        // keyring's "no credentials": exit 1, nothing said.
        assert_eq!(
            Reply::NoCredentials.parts(),
            (String::new(), ExitCode::from(1))
        );
        // docker's failures: on stdout, exit 1 whatever the failure.
        assert_eq!(
            Reply::FailureOnStdout("credentials not found in native keychain\n".into()).parts(),
            (
                "credentials not found in native keychain\n".to_owned(),
                ExitCode::from(1)
            )
        );
        assert_eq!(
            Reply::Done(ExitCode::from(3)).parts(),
            (String::new(), ExitCode::from(3))
        );
    }

    #[test]
    fn a_failure_ends_with_its_code() {
        assert_eq!(
            finish(Err(Error::new(Code::TempFail, "mint failed"))),
            ExitCode::from(75)
        );
        assert_eq!(
            finish(Ok(Reply::Done(ExitCode::from(78)))),
            ExitCode::from(78)
        );
    }
}
