//! The error type of every command, and its exit code.

use std::fmt;

use ecluse_cred_contract::exit;

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
    TempFail = exit::TEMPFAIL as isize,
    /// 77 (EX_NOPERM): the backend rejected the caller's credentials.
    NoPerm = exit::NOPERM as isize,
    /// 78 (EX_CONFIG): the configuration or the cache directory is wrong; retrying will not help.
    Config = exit::CONFIG as isize,
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

/// The code a failed mint ends a caller with when it leaves no usable token: the exit status
/// of its failure kind (`ecluse_cred_contract::exit`, which the `ecluse-cred-mint` helper exits
/// with and a mint program's status is read by).
impl From<FailureKind> for Code {
    fn from(kind: FailureKind) -> Code {
        match kind {
            // The API failing is temporary for the caller as any transient failure.
            FailureKind::Transient | FailureKind::Unavailable | FailureKind::FleetFailing => {
                Code::TempFail
            }
            FailureKind::Rejected => Code::NoPerm,
            FailureKind::Misconfigured => Code::Config,
        }
    }
}

/// A cause kept under an [`Error`]: an io or parse error, never one that holds a secret.
pub type Cause = Box<dyn std::error::Error + Send + Sync + 'static>;

/// A failed command: its exit code, what went wrong in this program's words, and the cause
/// (the OS's or a parser's error) when there is one. `Display` is the message alone, as
/// `std::error::Error` expects of a type with a `source()`; [`Error::chain`] adds the causes,
/// and is what a person is shown.
#[derive(Debug)]
pub struct Error {
    pub code: Code,
    pub message: String,
    source: Option<Cause>,
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub fn new(code: Code, message: impl Into<String>) -> Self {
        Error {
            code,
            message: message.into(),
            source: None,
        }
    }
    /// This error, caused by `cause` (shown after the message by [`Error::chain`]).
    pub fn with_source(mut self, cause: impl Into<Cause>) -> Self {
        self.source = Some(cause.into());
        self
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
    /// A mint refused or misconfigured points to `doctor`, which checks the command or the
    /// cloud credentials it needs and says how to fix them; a transient failure does not.
    pub fn mint_failed(target: &str, e: MintError) -> Self {
        use ecluse_cred_contract::mint::FailureKind;
        let next = match e.kind {
            FailureKind::Transient | FailureKind::Unavailable | FailureKind::FleetFailing => {
                String::new()
            }
            FailureKind::Rejected | FailureKind::Misconfigured => {
                format!(
                    " (`ecluse-cred doctor --target {target}` checks what the mint needs and says how to fix it)"
                )
            }
        };
        Error::new(
            e.kind.into(),
            format!("target `{target}`: mint failed: {}{next}", e.message),
        )
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source.as_deref().map(|e| e as _)
    }
}

impl Error {
    /// The message and its causes, as a person is shown them: `message: cause: cause`. A cause
    /// whose text the message already holds is not repeated.
    pub fn chain(&self) -> Chain<'_> {
        Chain(self)
    }
}

/// [`Error::chain`]'s rendering.
pub struct Chain<'a>(&'a Error);

impl fmt::Display for Chain<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut shown = self.0.message.clone();
        let mut cause = std::error::Error::source(self.0);
        while let Some(e) = cause {
            let text = e.to_string();
            if !text.is_empty() && !shown.contains(&text) {
                if !shown.is_empty() {
                    shown.push_str(": ");
                }
                shown.push_str(&text);
            }
            cause = e.source();
        }
        f.write_str(&shown)
    }
}

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
        .map_err(|e| Error::other("cannot write to stdout").with_source(e))
}

/// Report `e` on stderr (as text or JSON, per `--log-format`) and return its exit code.
fn report(e: &Error) -> std::process::ExitCode {
    crate::log::write(
        crate::log::Level::Error,
        "error",
        None,
        format_args!("{}", e.chain()),
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
    fn a_failed_mint_ends_a_caller_with_its_failure_kind_s_exit_status() {
        assert_eq!(Code::from(FailureKind::Unavailable), Code::TempFail);
        for kind in [
            FailureKind::Transient,
            FailureKind::Rejected,
            FailureKind::Misconfigured,
        ] {
            assert_eq!(Code::from(kind) as u8, kind.exit_status(), "{kind:?}");
        }
    }

    #[test]
    fn a_cause_is_kept_as_the_source_and_shown_once_after_the_message() {
        let io = std::io::Error::other("disk on fire");
        let e = Error::other("cannot write /c/t.json").with_source(io);
        // `Display` is the message alone; the cause is the source, for whoever walks the chain.
        assert_eq!(e.to_string(), "cannot write /c/t.json");
        let source = std::error::Error::source(&e).expect("a source");
        assert!(source.downcast_ref::<std::io::Error>().is_some());
        assert_eq!(
            e.chain().to_string(),
            "cannot write /c/t.json: disk on fire"
        );
        // Wrapped again (as the engine does when a minted token cannot be saved): each cause once.
        let outer = Error::new(Code::IoErr, "could not save it").with_source(e);
        assert_eq!(
            outer.chain().to_string(),
            "could not save it: cannot write /c/t.json: disk on fire"
        );
    }

    #[test]
    fn a_cause_the_message_already_says_is_not_repeated() {
        let e = Error::other("cannot read /x: disk on fire")
            .with_source(std::io::Error::other("disk on fire"));
        assert_eq!(e.chain().to_string(), "cannot read /x: disk on fire");
        assert_eq!(Error::other("plain").chain().to_string(), "plain");
    }

    #[test]
    fn a_mint_error_can_be_a_cause() {
        let e = Error::temp("target `a`").with_source(MintError::transient("timed out"));
        assert_eq!(e.chain().to_string(), "target `a`: timed out");
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
