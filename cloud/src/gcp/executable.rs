//! An `external_account` with an `executable` credential source (Google's executable-sourced
//! credentials): a program the file names prints the subject token as JSON. It runs only when
//! `GOOGLE_EXTERNAL_ACCOUNT_ALLOW_EXECUTABLES=1`, as Google's libraries require; its command is
//! split on whitespace and run directly, without a shell; it gets no stdin, its stderr is not
//! read (nothing of it is shown), and its stdout is read up to [`crate::MAX_RESPONSE_BYTES`].
//! It runs in its own process group, killed as a whole when the program exits or its time is
//! up (`timeout_millis`, default 30 s, and never past the mint's `mint_timeout`), so nothing
//! it started outlives it. A still-valid answer in its `output_file` is used without running it.

use std::os::unix::process::ExitStatusExt;
use std::process::Stdio;
use std::time::Duration;

use serde_json::Value;
use tokio::io::AsyncReadExt;

use super::Session;
use ecluse_cred_contract::mint::MintError;
use ecluse_cred_contract::redact;

/// The variable that must be `1` for an executable to run.
const ALLOW_ENV: &str = "GOOGLE_EXTERNAL_ACCOUNT_ALLOW_EXECUTABLES";
/// The program's time when the file names none.
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
/// The bounds of `timeout_millis` (Google's spec).
const TIMEOUT_MILLIS: std::ops::RangeInclusive<u64> = 5_000..=120_000;
/// The only answer `version` there is.
const VERSION: u64 = 1;
const SAML_TOKEN_TYPE: &str = "urn:ietf:params:oauth:token-type:saml2";
/// Token types whose token is in `id_token`.
const ID_TOKEN_TYPES: [&str; 3] = [
    "urn:ietf:params:oauth:token-type:jwt",
    "urn:ietf:params:oauth:token-type:id_token",
    "urn:ietf:params:oauth:token-type:access_token",
];

/// What the program is told, in its environment.
pub(super) struct Context<'a> {
    pub audience: &'a str,
    pub token_type: &'a str,
    pub impersonated_email: Option<&'a str>,
}

/// The service account's email in a `…/serviceAccounts/EMAIL:generateAccessToken` URL.
pub(super) fn impersonated_email(url: &str) -> Option<&str> {
    let after = url.rsplit_once("/serviceAccounts/")?.1;
    Some(after.split_once(':').map_or(after, |(email, _)| email))
}

/// The subject token the program (or its still-valid `output_file`) gives, remembered as a
/// secret.
pub(super) async fn subject_token(
    session: &mut Session,
    exec: &Value,
    context: &Context<'_>,
) -> Result<String, MintError> {
    let command = exec.get("command").and_then(Value::as_str).ok_or_else(|| {
        MintError::misconfigured("credential_source.executable has no string `command`")
    })?;
    let timeout = match exec.get("timeout_millis") {
        None | Some(Value::Null) => DEFAULT_TIMEOUT,
        Some(v) => Duration::from_millis(
            v.as_u64()
                .filter(|ms| TIMEOUT_MILLIS.contains(ms))
                .ok_or_else(|| {
                    MintError::misconfigured(format!(
                        "credential_source.executable.timeout_millis must be from {} to {}",
                        TIMEOUT_MILLIS.start(),
                        TIMEOUT_MILLIS.end()
                    ))
                })?,
        ),
    }
    .min(session.timeout);
    let output_file = exec.get("output_file").and_then(Value::as_str);
    if std::env::var(ALLOW_ENV).as_deref() != Ok("1") {
        return Err(MintError::misconfigured(format!(
            "the credential source runs a program ({}): set {ALLOW_ENV}=1 to allow it",
            redact::text(command.split_whitespace().next().unwrap_or_default())
        )));
    }
    // A cached answer that is still valid; anything else in the file is ignored.
    if let Some(file) = output_file
        && let Ok(text) = crate::read_credential_file(std::path::Path::new(file))
        && let Ok(Some(token)) = answer_token(session, text.as_bytes(), true)
    {
        return Ok(token);
    }
    let output = run(command, timeout, context, output_file).await?;
    match answer_token(session, &output, false)? {
        Some(token) => Ok(token),
        None => Err(MintError::transient(
            "the credential source's program answered with an expired token",
        )),
    }
}

/// The token of a program's answer, remembered as a secret; `None` when it has expired. In
/// `cached` mode (the output file), an answer without `expiration_time` is not valid.
fn answer_token(
    session: &mut Session,
    output: &[u8],
    cached: bool,
) -> Result<Option<String>, MintError> {
    let bad = |why: &str| {
        MintError::misconfigured(format!(
            "the credential source's program answered {why} (not quoted)"
        ))
    };
    let v: Value = serde_json::from_slice(output).map_err(|_| bad("with invalid JSON"))?;
    if v.get("version").and_then(Value::as_u64) != Some(VERSION) {
        return Err(bad(&format!("without `version` {VERSION}")));
    }
    // Whatever the answer is, its token fields are secrets.
    for name in ["id_token", "saml_response"] {
        if let Some(secret) = v.get(name).and_then(Value::as_str) {
            session.remember(secret);
        }
    }
    match v.get("success").and_then(Value::as_bool) {
        Some(true) => {}
        Some(false) => {
            let code = v
                .get("code")
                .and_then(Value::as_str)
                .map(|c| crate::quotable(c, &session.sent))
                .filter(|c| crate::is_error_code(c));
            let message = v
                .get("message")
                .and_then(Value::as_str)
                .map(|m| crate::quotable(m, &session.sent));
            let detail = match (code, message) {
                (Some(c), Some(m)) => format!("{c}: {m}"),
                (Some(c), None) => c,
                (None, Some(m)) => m,
                (None, None) => "no code or message".to_owned(),
            };
            return Err(MintError::transient(format!(
                "the credential source's program failed: {detail}"
            )));
        }
        None => return Err(bad("without a boolean `success`")),
    }
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    match v.get("expiration_time").map(Value::as_u64) {
        Some(Some(at)) if at <= now => return Ok(None),
        Some(Some(_)) => {}
        Some(None) => return Err(bad("with an `expiration_time` that is not epoch seconds")),
        None if cached => return Ok(None),
        None => {}
    }
    let field = match v.get("token_type").and_then(Value::as_str) {
        Some(t) if ID_TOKEN_TYPES.contains(&t) => "id_token",
        Some(SAML_TOKEN_TYPE) => "saml_response",
        _ => return Err(bad("with a missing or unsupported `token_type`")),
    };
    match v.get(field).and_then(Value::as_str) {
        Some(token) if !token.is_empty() => Ok(Some(token.to_owned())),
        _ => Err(bad(&format!("without a string `{field}`"))),
    }
}

/// Kills a program's process group when dropped: the program has exited (its zombie, not yet
/// reaped, keeps the group's id from being reused), or its time is up, or the mint gave up.
struct GroupKill(i32);

impl Drop for GroupKill {
    fn drop(&mut self) {
        // SAFETY: kill(2) with a negative id signals the group the program leads; the program
        // is our unreaped child, so the id is still that group's.
        unsafe {
            libc::kill(-self.0, libc::SIGKILL);
        }
    }
}

/// Wait until process `pid` has exited, without reaping it (`WNOWAIT`): its process group id
/// stays allocated until then. An error (already reaped, `ECHILD`) counts as exited.
fn wait_exited(pid: i32) {
    loop {
        // SAFETY: a zeroed siginfo_t is a valid out-parameter of waitid(2).
        let mut info: libc::siginfo_t = unsafe { std::mem::zeroed() };
        // SAFETY: `pid` is our child; WNOWAIT leaves it to be reaped by tokio.
        let r = unsafe {
            libc::waitid(
                libc::P_PID,
                pid as libc::id_t,
                &mut info,
                libc::WEXITED | libc::WNOWAIT,
            )
        };
        if r == 0 || std::io::Error::last_os_error().raw_os_error() != Some(libc::EINTR) {
            return;
        }
    }
}

/// Run the program and return what it printed (at most [`crate::MAX_RESPONSE_BYTES`]), once it
/// has exited with status 0.
async fn run(
    command: &str,
    timeout: Duration,
    context: &Context<'_>,
    output_file: Option<&str>,
) -> Result<Vec<u8>, MintError> {
    let mut words = command.split_whitespace();
    let program = words
        .next()
        .ok_or_else(|| MintError::misconfigured("credential_source.executable.command is empty"))?;
    let name = redact::text(program);
    let mut cmd = tokio::process::Command::new(program);
    cmd.args(words)
        .env("GOOGLE_EXTERNAL_ACCOUNT_AUDIENCE", context.audience)
        .env("GOOGLE_EXTERNAL_ACCOUNT_TOKEN_TYPE", context.token_type)
        .env("GOOGLE_EXTERNAL_ACCOUNT_INTERACTIVE", "0")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .process_group(0)
        .kill_on_drop(true);
    if let Some(email) = context.impersonated_email {
        cmd.env("GOOGLE_EXTERNAL_ACCOUNT_IMPERSONATED_EMAIL", email);
    }
    if let Some(file) = output_file {
        cmd.env("GOOGLE_EXTERNAL_ACCOUNT_OUTPUT_FILE", file);
    }
    let mut child = cmd.spawn().map_err(|e| {
        MintError::misconfigured(format!(
            "cannot run the credential source's program {name}: {e}"
        ))
    })?;
    let pid = child
        .id()
        .and_then(|p| i32::try_from(p).ok())
        .ok_or_else(|| MintError::transient("the credential source's program vanished"))?;
    // Declared after `child`, so dropped (the group killed) before tokio reaps it.
    let group = GroupKill(pid);
    let mut stdout = child
        .stdout
        .take()
        .ok_or_else(|| MintError::transient("the credential source's program has no stdout"))?;
    let cap = crate::MAX_RESPONSE_BYTES;
    let read = async {
        let mut out = Vec::new();
        (&mut stdout)
            .take(cap as u64 + 1)
            .read_to_end(&mut out)
            .await
            .map_err(|e| MintError::transient(format!("reading the output of {name}: {e}")))?;
        if out.len() > cap {
            return Err(MintError::transient(format!(
                "the credential source's program {name} printed more than {cap} bytes"
            )));
        }
        Ok(out)
    };
    // The program's exit ends the run: then its group is killed, so a process it left behind
    // holding stdout cannot keep the read waiting.
    let exited = async {
        let _ = tokio::task::spawn_blocking(move || wait_exited(pid)).await;
        // SAFETY: as in GroupKill: the exited program is not reaped yet.
        unsafe {
            libc::kill(-pid, libc::SIGKILL);
        }
        Ok::<(), MintError>(())
    };
    let work = async { tokio::try_join!(read, exited) };
    let (out, ()) = tokio::time::timeout(timeout, work).await.map_err(|_| {
        MintError::transient(format!(
            "the credential source's program {name} did not finish within {}",
            humantime::format_duration(timeout)
        ))
    })??;
    // The group is killed already; once the program is reaped below, its id may be reused.
    std::mem::forget(group);
    let status = child.wait().await.map_err(|e| {
        MintError::transient(format!(
            "waiting for the credential source's program {name}: {e}"
        ))
    })?;
    if !status.success() {
        let how = match (status.code(), status.signal()) {
            (Some(code), _) => format!("exit status {code}"),
            (None, Some(signal)) => format!("signal {signal}"),
            _ => "an unknown status".to_owned(),
        };
        return Err(MintError::transient(format!(
            "the credential source's program {name} failed ({how})"
        )));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::impersonated_email;

    #[test]
    fn the_impersonated_email_is_read_from_the_url() {
        assert_eq!(
            impersonated_email(
                "https://iamcredentials.googleapis.com/v1/projects/-/serviceAccounts/sa@p.iam.gserviceaccount.com:generateAccessToken"
            ),
            Some("sa@p.iam.gserviceaccount.com")
        );
        assert_eq!(impersonated_email("https://x/none"), None);
    }
}
