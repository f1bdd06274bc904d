//! The error type of every command, and its exit code.

use std::fmt;

/// Exit codes, from sysexits(3) where one fits, so scripts can tell a retryable failure from a
/// broken setup.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Code {
    /// 1: anything not covered below.
    Other = 1,
    /// 2: a bad command line (clap reports its own; the protocol front-ends use this).
    Usage = 2,
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
    std::process::ExitCode::from(e.code as u8)
}
