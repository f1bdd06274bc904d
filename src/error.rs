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

/// Report `e` on stderr (as text or JSON, per `--log-format`) and return its exit code: the one
/// place every front-end ends a failed command.
pub fn report(e: &Error) -> std::process::ExitCode {
    crate::log::write(
        crate::log::Level::Error,
        "error",
        None,
        format_args!("{e}"),
        &[("exit_code", (e.code as u8).into())],
    );
    e.code.exit_code()
}
