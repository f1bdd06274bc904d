//! `backend = "command"`: run a program (directly, never through a shell) that prints
//! `{"token": "...", "expires_at": <epoch seconds | RFC 3339>}` or
//! `{"token": "...", "expires_in": <seconds>}` on stdout.
//!
//! It runs as every mint does (`crate::process`): its own process group, killed with all it
//! started when it exits or at `mint_timeout`, stdin `/dev/null` (it reads an immediate end),
//! no descriptor of ecluse-cred's or its caller's (the cache lock included). Exit status 77
//! (EX_NOPERM) means "credentials rejected"; any other non-zero status is a transient failure.

use std::time::Duration;

use serde_json::Value;

use crate::error::Code;
use crate::mint::{EpochMs, Mint, MintError, Minted};
use crate::process::{MAX_STDOUT_BYTES, run_command};
use crate::secret::Secret;
use ecluse_cred_contract::exit;

/// How much of the mint's stderr goes into an error message.
const STDERR_EXCERPT_CHARS: usize = 300;

pub struct CommandMint {
    pub argv: Vec<String>,
    pub timeout: Duration,
    /// Variables removed from the program's environment: the fleet key's and the store
    /// password's (`fleet.key_env`, `fleet.password_env`), which are the helper's alone.
    pub hidden_env: Vec<String>,
}

impl Mint for CommandMint {
    fn mint(&self, started: EpochMs) -> Result<Minted, MintError> {
        let (program, args) = self
            .argv
            .split_first()
            .ok_or_else(|| MintError::misconfigured("`command` is empty"))?;
        let mut command = std::process::Command::new(program);
        command.args(args);
        for name in &self.hidden_env {
            command.env_remove(name);
        }
        let out = run_command(command, None, self.timeout, MAX_STDOUT_BYTES)?;
        let program = &self.argv[0];
        if out.code != Some(0) {
            let why = match out.code {
                Some(code) => format!("exited with status {code}"),
                None => "was killed by a signal".to_owned(),
            };
            let message = format!("`{program}` {why}{}", excerpt(&out.stderr));
            // 77 (EX_NOPERM) says the backend rejected the credentials, 69 (EX_UNAVAILABLE)
            // that the token API answered it is failing (shared by a fleet); any other status
            // is transient, and this host's own.
            return Err(match out.code {
                Some(code) if code == Code::NoPerm as i32 => MintError::rejected(message),
                Some(code) if code == i32::from(exit::UNAVAILABLE) => {
                    MintError::unavailable(message)
                }
                _ => MintError::transient(message),
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

/// The last line of the mint's stderr, shortened, for an error message (`: line`, or nothing).
pub fn excerpt(stderr: &[u8]) -> String {
    let text = String::from_utf8_lossy(stderr);
    let Some(line) = text.lines().map(str::trim).rfind(|l| !l.is_empty()) else {
        return String::new();
    };
    let clean: String = line.chars().filter(|c| !c.is_control()).collect();
    format!(
        ": {}",
        ecluse_cred_contract::redact::shorten_to(&clean, STDERR_EXCERPT_CHARS)
    )
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
            (started.saturating_add_secs_f64(secs), "expires_in")
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
        return Ok(EpochMs::from_secs_f64(secs));
    }
    let Value::String(s) = v else {
        return Err(
            "printed an `expires_at` that is neither epoch seconds nor an RFC 3339 time".into(),
        );
    };
    s.trim()
        .parse::<jiff::Timestamp>()
        .map(|t| EpochMs::from_millis(t.as_millisecond()))
        .map_err(|_| {
            "printed an `expires_at` that is neither epoch seconds nor an RFC 3339 time".into()
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The instant `ms` milliseconds after the epoch.
    fn at(ms: i64) -> EpochMs {
        EpochMs::from_millis(ms)
    }

    fn mint(script: &str, timeout: Duration) -> Result<Minted, MintError> {
        let m = CommandMint {
            argv: vec!["/bin/sh".into(), "-c".into(), script.into()],
            timeout,
            hidden_env: vec![],
        };
        m.mint(at(1_000_000))
    }

    #[test]
    fn accepts_expires_at_in_epoch_seconds_and_rfc3339_with_offset() {
        let a = parse_response(br#"{"token":"abc","expires_at":2000}"#, at(0)).unwrap();
        assert_eq!(
            (a.token.expose(), a.expires_at, a.expiry_source.as_str()),
            ("abc", at(2_000_000), "expires_at")
        );
        let b = parse_response(
            br#"{"token":"abc","expires_at":"1970-01-01T01:00:00+01:00"}"#,
            at(-5),
        )
        .unwrap();
        assert_eq!(b.expires_at, at(0));
        let c = parse_response(
            br#"{"token":"abc","expires_at":"1970-01-01T00:00:10.5Z"}"#,
            at(0),
        )
        .unwrap();
        assert_eq!(c.expires_at, at(10_500));
    }

    #[test]
    fn expires_in_counts_from_the_start_of_the_mint() {
        let m = parse_response(br#"{"token":"abc","expires_in":3600}"#, at(5_000)).unwrap();
        assert_eq!(
            (m.expires_at, m.expiry_source.as_str()),
            (at(3_605_000), "expires_in")
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
            let err = parse_response(input, at(10_000)).unwrap_err();
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
        assert_eq!((m.token.expose(), m.expires_at), ("tok-1", at(1_060_000)));
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
            hidden_env: vec![],
        };
        let e = m.mint(at(0)).unwrap_err();
        assert_eq!(e.kind, crate::mint::FailureKind::Misconfigured);
        assert!(e.message.contains("no such file"));
    }

    #[test]
    fn huge_output_is_bounded_and_refused() {
        let e = mint("head -c 3000000 /dev/zero", Duration::from_secs(20)).unwrap_err();
        assert!(e.message.contains("more than"), "{}", e.message);
    }
}
