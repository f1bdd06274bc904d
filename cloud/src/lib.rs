//! The cloud backends of ecluse-cred: AWS CodeArtifact ([`codeartifact`]) and Amazon ECR
//! ([`ecr`]), which share the AWS plumbing ([`aws`]), Google Application
//! Default Credentials ([`gcp`]) and the OAuth 2.0 client credentials grant ([`oauth2`]). Each
//! implements the mint contract of `ecluse-cred-contract`.
//!
//! Only the `ecluse-cred-mint` helper links this crate: the AWS SDK, google-cloud-auth, reqwest,
//! rustls and tokio never reach the `ecluse-cred` binary that serves cached tokens (a test over
//! that binary's symbols checks it).

pub mod aws;
pub mod codeartifact;
pub mod ecr;
pub mod gcp;
pub mod oauth2;

use ecluse_cred_contract::mint::{EpochMs, MintError};

/// Run an async mint on a single-threaded tokio runtime built for this one call, cut off at
/// `timeout`. Only the cloud backends pay for the runtime, and only when they mint.
pub fn block_on_with_timeout<T>(
    timeout: std::time::Duration,
    work: impl std::future::Future<Output = Result<T, MintError>>,
) -> Result<T, MintError> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| MintError::transient(format!("cannot start the async runtime: {e}")))?;
    runtime.block_on(async {
        tokio::time::timeout(timeout, work)
            .await
            .unwrap_or_else(|_| {
                Err(MintError::transient(format!(
                    "no answer within mint_timeout ({})",
                    humantime::format_duration(timeout)
                )))
            })
    })
}

/// The `exp` claim of a JWT, in epoch ms, if `token` is one. Only the expiry is read; the
/// signature is the issuer's business.
pub fn jwt_expiry(token: &str) -> Option<EpochMs> {
    use base64::Engine;
    let mut parts = token.split('.');
    let (_header, payload, _signature) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .ok()?;
    let claims: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    let exp = claims.get("exp")?.as_f64()?;
    (exp.is_finite() && exp > 0.0).then_some(EpochMs::from_secs_f64(exp))
}

/// An error and its causes, `outer: inner: innermost`, for libraries whose `Display` leaves
/// the cause out (reqwest, google-cloud-auth).
pub fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        let more = cause.to_string();
        if !text.contains(&more) {
            text = format!("{text}: {more}");
        }
        source = cause.source();
    }
    text
}

/// Largest response body a cloud backend reads, success or error, as the `command` backend caps
/// its stdout: a token answer is a few KiB, and an endpoint that answers more (a wrong URL that
/// serves a download, a hostile server) must cost a bounded amount of memory, not gigabytes.
pub const MAX_RESPONSE_BYTES: usize = 1 << 20;

/// The failure for a response body past [`MAX_RESPONSE_BYTES`]: transient, like a malformed
/// answer. It names the cap, never the content.
pub fn response_too_large(what: &str) -> MintError {
    MintError::transient(format!(
        "{what} answered with a body of more than {MAX_RESPONSE_BYTES} bytes (not read further)"
    ))
}

/// The HTTP client of a cloud backend's own token requests: it follows no redirect, since a
/// request re-sent to wherever a 3xx points would carry its credentials (a client secret in a
/// re-posted form) to another origin. A 3xx is answered by [`redirect_refused`].
pub fn http_client(timeout: std::time::Duration) -> Result<reqwest::Client, MintError> {
    reqwest::Client::builder()
        .timeout(timeout)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|e| MintError::transient(format!("cannot build an HTTP client: {e}")))
}

/// A response's status and body, the body read chunk by chunk and given up past
/// [`MAX_RESPONSE_BYTES`] (with or without a `Content-Length`). A redirect is refused
/// ([`redirect_refused`]) unread. `what` names the endpoint in messages.
pub async fn read_response(
    mut response: reqwest::Response,
    what: &str,
) -> Result<(u16, Vec<u8>), MintError> {
    let status = response.status().as_u16();
    if response.status().is_redirection() {
        let location = response
            .headers()
            .get(reqwest::header::LOCATION)
            .and_then(|l| l.to_str().ok());
        return Err(redirect_refused(
            what,
            status,
            location,
            Some(response.url().as_str()),
        ));
    }
    if response
        .content_length()
        .is_some_and(|n| n > MAX_RESPONSE_BYTES as u64)
    {
        return Err(response_too_large(what));
    }
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(|e| {
        MintError::transient(format!(
            "reading the {what} response: {}",
            error_chain(&e.without_url())
        ))
    })? {
        if body.len() + chunk.len() > MAX_RESPONSE_BYTES {
            return Err(response_too_large(what));
        }
        body.extend_from_slice(&chunk);
    }
    Ok((status, body))
}

/// The failure for a token endpoint that answered a redirect, which is not followed: the
/// endpoint is misconfigured (moved, or an `http://` URL upgraded to `https://`), and retrying
/// gets the same answer. The message names the status and where the redirect points (scheme,
/// host and port: never the userinfo, path or query of `Location`, which may carry anything);
/// a relative `location` is resolved against `base`, the URL asked.
pub fn redirect_refused(
    what: &str,
    status: u16,
    location: Option<&str>,
    base: Option<&str>,
) -> MintError {
    let target = location.and_then(|l| {
        reqwest::Url::parse(l)
            .ok()
            .or_else(|| reqwest::Url::parse(base?).ok()?.join(l).ok())
    });
    let to = match target.as_ref().and_then(|u| Some((u, u.host_str()?))) {
        Some((u, host)) => {
            let port = u.port().map(|p| format!(":{p}")).unwrap_or_default();
            let origin: String = format!("{}://{host}{port}", u.scheme())
                .chars()
                .filter(|c| !c.is_control())
                .collect();
            format!("a redirect to {origin}")
        }
        None => "a redirect without a usable Location".to_owned(),
    };
    MintError::misconfigured(format!(
        "{what} answered HTTP {status}, {to}: not followed, a token request goes only to the configured endpoint (configure the new location if it is right)"
    ))
}

/// Longest server text quoted in a message.
pub const MAX_QUOTED_CHARS: usize = 300;
/// A server text holding this many consecutive characters of any form of a credential echoes the
/// request, even when the whole form is not there.
pub const ECHO_FRAGMENT_CHARS: usize = 8;
/// Longest error code quoted: registered codes (`invalid_client`, `AccessDeniedException`) are
/// under 40 characters.
const MAX_ERROR_CODE: usize = 64;

/// Longest run of encoded-looking characters (base64, hex, percent-encoding) quoted from a
/// server's text: a longer one is a token, a key or an encoded blob — an echo of a credential in
/// a form no scrubber knows (an SSO bearer token, an intermediate session token) — and is
/// replaced.
pub const MAX_ENCODED_RUN: usize = 32;
/// The punctuation of encoded text (base64 standard and URL-safe, percent-encoding, JWTs),
/// which with ASCII letters and digits makes the runs [`MAX_ENCODED_RUN`] limits.
const ENCODED_PUNCTUATION: &str = "+/=_-%.~";

/// A text a server sent back (an error message), as it may be quoted: every form of every
/// credential the request carried scrubbed out; every run of [`MAX_ENCODED_RUN`] or more
/// encoded-looking characters replaced; not at all when even a part of a credential is left (an
/// echo cut short); no control characters; at most [`MAX_QUOTED_CHARS`].
///
/// The work is bounded by construction: only the first `MAX_QUOTED_CHARS` plus the longest
/// credential form (or run) characters are looked at, whatever the text's length (up to
/// [`MAX_RESPONSE_BYTES`]), since the search runs synchronously where `mint_timeout` cannot cut
/// it.
pub fn quotable(text: &str, scrubber: &ecluse_cred_contract::redact::Scrubber) -> String {
    let scrubbed = scrubber.scrub(quoted_window(text, scrubber));
    let mut out = String::new();
    let mut run = String::new();
    let flush = |run: &mut String, out: &mut String| {
        if run.len() >= MAX_ENCODED_RUN {
            out.push_str(ecluse_cred_contract::redact::REDACTED);
        } else {
            out.push_str(run);
        }
        run.clear();
    };
    for c in scrubbed.chars() {
        if c.is_ascii_alphanumeric() || ENCODED_PUNCTUATION.contains(c) {
            run.push(c);
        } else {
            flush(&mut run, &mut out);
            out.push(if c.is_control() { ' ' } else { c });
        }
    }
    flush(&mut run, &mut out);
    let quoted = ecluse_cred_contract::redact::shorten_to(&out, MAX_QUOTED_CHARS);
    if scrubber.finds_part_in(&quoted, ECHO_FRAGMENT_CHARS) {
        return "(not quoted: it seems to echo the request)".to_owned();
    }
    quoted
}

/// The start of `text` that [`quotable`] looks at: long enough to hold whole every credential
/// form and every encoded run that starts in the quoted part, so cutting there changes nothing
/// that is quoted.
fn quoted_window<'a>(text: &'a str, scrubber: &ecluse_cred_contract::redact::Scrubber) -> &'a str {
    let keep = MAX_QUOTED_CHARS + scrubber.longest_form_chars().max(MAX_ENCODED_RUN);
    match text.char_indices().nth(keep) {
        Some((end, _)) => &text[..end],
        None => text,
    }
}

/// Largest credential file a backend reads (a client secret, a web identity token, a container
/// authorization token, an SSO cache entry): a few KiB in practice.
pub const MAX_CREDENTIAL_FILE_BYTES: u64 = 64 << 10;

/// The text of a credential file, read so that it cannot hang or flood the mint (the read is
/// synchronous, where `mint_timeout` cannot cut it): only a regular file (a FIFO would block, a
/// device such as `/dev/zero` never ends), opened non-blocking so that even opening a FIFO
/// swapped in at the last moment returns, and at most [`MAX_CREDENTIAL_FILE_BYTES`]. The error
/// says why, never any content.
pub fn read_credential_file(path: &std::path::Path) -> std::io::Result<String> {
    ecluse_cred_contract::fs::read_regular(path, MAX_CREDENTIAL_FILE_BYTES).map_err(|e| match e {
        ecluse_cred_contract::fs::ReadError::Io(e) => e,
        other => std::io::Error::other(other.to_string()),
    })
}

/// A server's error code as it may be quoted: letters, digits, `_`, `.` and `-`, short. Anything
/// else is not quoted, as a server that echoes the request may put it there.
pub fn is_error_code(code: &str) -> bool {
    !code.is_empty()
        && code.len() <= MAX_ERROR_CODE
        && code
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_.-".contains(&b))
}

/// A token endpoint's answer `{"access_token", "expires_in", ...}` (RFC 6749 §5.1), expiring
/// when the server says: `expires_in` seconds (a number, or a numeric string as some servers
/// send) from `started`, or, when the answer has no `expires_in`, the `exp` of a JWT token. An
/// empty token, an `expires_in` that is zero, negative or not a number, or no expiry at all is
/// a transient failure naming what is missing: an assumed lifetime would serve a token after it
/// expired. `what` names the endpoint; messages never quote the answer's values.
pub fn parse_token_answer(
    body: &[u8],
    started: EpochMs,
    what: &str,
) -> Result<ecluse_cred_contract::mint::Minted, MintError> {
    let bad = |why: &str| MintError::transient(format!("{what} answered {why}"));
    let v: serde_json::Value =
        serde_json::from_slice(body).map_err(|_| bad("with invalid JSON"))?;
    let token = match v.get("access_token") {
        Some(serde_json::Value::String(t)) if !t.is_empty() => t.clone(),
        Some(serde_json::Value::String(_)) => return Err(bad("with an empty `access_token`")),
        Some(_) => return Err(bad("with an `access_token` that is not a string")),
        None => return Err(bad("without `access_token`")),
    };
    let seconds = match v.get("expires_in") {
        None | Some(serde_json::Value::Null) => None,
        Some(serde_json::Value::Number(n)) => Some(n.as_f64()),
        Some(serde_json::Value::String(s)) => Some(s.trim().parse::<f64>().ok()),
        Some(_) => Some(None),
    };
    let (expires_at, source) = match seconds {
        // `as` saturates, and so does the addition: an absurd `expires_in` becomes an absurd
        // expiry, which the engine refuses with the same message for every backend.
        Some(Some(s)) if s.is_finite() && s > 0.0 => {
            (started.saturating_add_secs_f64(s), "expires_in")
        }
        Some(_) => {
            return Err(bad(
                "with an `expires_in` that is not a positive number of seconds",
            ));
        }
        None => match jwt_expiry(&token) {
            Some(exp) => (exp, "jwt"),
            None => {
                return Err(bad(
                    "without `expires_in`, and the token is not a JWT with `exp`: its expiry is unknown",
                ));
            }
        },
    };
    Ok(ecluse_cred_contract::mint::Minted {
        token: ecluse_cred_contract::secret::Secret::new(token),
        expires_at,
        expiry_source: source.to_owned(),
    })
}

/// The builder of [`http_client`]'s client (no redirect, `timeout`), for a backend that needs
/// one setting more (the Google metadata server: no proxy).
pub fn token_client_builder(timeout: std::time::Duration) -> reqwest::ClientBuilder {
    reqwest::Client::builder()
        .timeout(timeout)
        .redirect(reqwest::redirect::Policy::none())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jwt_expiry_reads_exp_and_ignores_other_tokens() {
        use base64::Engine;
        let enc = |s: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s);
        let jwt = format!(
            "{}.{}.sig",
            enc(r#"{"alg":"RS256"}"#),
            enc(r#"{"exp":1800000000,"sub":"x"}"#)
        );
        assert_eq!(jwt_expiry(&jwt), Some(EpochMs::from_secs(1_800_000_000)));
        assert_eq!(jwt_expiry("ya29.opaque-token"), None);
        assert_eq!(jwt_expiry("a.b.c.d"), None);
        assert_eq!(
            jwt_expiry(&format!("{}.{}.s", enc("{}"), enc(r#"{"sub":"x"}"#))),
            None
        );
    }

    #[test]
    fn timeout_cuts_a_slow_mint() {
        let r: Result<(), MintError> =
            block_on_with_timeout(std::time::Duration::from_millis(50), async {
                tokio::time::sleep(std::time::Duration::from_secs(30)).await;
                Ok(())
            });
        assert!(r.unwrap_err().message.contains("mint_timeout"));
    }

    #[test]
    fn a_refused_redirect_names_where_it_points_and_nothing_of_its_userinfo_path_or_query() {
        let shown = |location: Option<&str>| {
            let e = redirect_refused(
                "token endpoint",
                307,
                location,
                Some("https://idp.example/t"),
            );
            assert_eq!(
                e.kind,
                ecluse_cred_contract::mint::FailureKind::Misconfigured
            );
            e.message
        };
        let m = shown(Some("https://u:PW@evil.example:8443/PATH?Q=1#F"));
        assert!(
            m.contains("HTTP 307") && m.contains("https://evil.example:8443"),
            "{m}"
        );
        for hidden in ["PW", "PATH", "Q=1", "#F", "u:"] {
            assert!(!m.contains(hidden), "{hidden}: {m}");
        }
        // A relative location stays on the asked host; none at all is said so.
        let relative = shown(Some("/other?Q=1"));
        assert!(
            relative.contains("https://idp.example") && !relative.contains("other"),
            "{relative}"
        );
        assert!(shown(None).contains("without a usable Location"));
    }

    #[test]
    fn quoted_server_text_is_scrubbed_cut_short_and_not_quoted_when_part_of_a_secret_is_left() {
        let s = ecluse_cred_contract::redact::Scrubber::new().secret("Sess10nT0kenValue/+=");
        assert_eq!(quotable("Rate exceeded", &s), "Rate exceeded");
        let q = quotable("bad token Sess10nT0kenValue/+= given\n", &s);
        assert!(
            !q.contains("T0ken") && q.contains("<redacted>") && !q.contains('\n'),
            "{q}"
        );
        // An echo cut short: a piece of the secret, not the whole.
        assert!(quotable("got Sess10nT0ken", &s).contains("not quoted"));
        assert_eq!(quotable(&"x ".repeat(5000), &s).len(), MAX_QUOTED_CHARS);
    }

    #[test]
    fn long_encoded_runs_are_dropped_from_quoted_text_and_ordinary_words_stay() {
        let s = ecluse_cred_contract::redact::Scrubber::new();
        let unknown = "IQoJb3JpZ2luX2VjEJr//////////wEaCXVzLWVhc3QtMSJHMEUCIQ";
        let q = quotable(&format!("The security token {unknown} is invalid"), &s);
        assert_eq!(q, "The security token <redacted> is invalid");
        let ordinary = "User: arn:aws:iam::111122223333:user/ci is not authorized (Rate exceeded)";
        assert_eq!(quotable(ordinary, &s), ordinary);
        // A run cut by the quoting bound is still a run: none of it shows.
        let late = format!("{} {unknown}", "a ".repeat(140));
        assert!(!quotable(&late, &s).contains("IQoJ"));
    }

    #[test]
    fn quoting_a_megabyte_with_a_long_secret_looks_only_at_a_bounded_start() {
        let secret: String = (0..2048)
            .map(|i| (b'A' + (i * 7 % 26) as u8) as char)
            .collect();
        let s = ecluse_cred_contract::redact::Scrubber::new().secret(&secret);
        let body = format!("{}{secret}", "error. ".repeat(MAX_RESPONSE_BYTES / 7));
        // What is searched is bounded by the quoted length and the longest form, whatever the
        // body's length: the cost does not grow with the body.
        let window = quoted_window(&body, &s);
        assert!(window.len() <= MAX_QUOTED_CHARS + s.longest_form_chars());
        assert!(window.len() >= MAX_QUOTED_CHARS + 2048);
        let q = quotable(&body, &s);
        assert!(
            q.starts_with("error. error.") && q.chars().count() <= MAX_QUOTED_CHARS,
            "{q}"
        );
        // The secret at the start of a megabyte is still scrubbed, not quoted.
        let q = quotable(
            &format!("bad {secret}{}", "x ".repeat(MAX_RESPONSE_BYTES / 2)),
            &s,
        );
        assert!(
            q.starts_with("bad <redacted>") && !q.contains(&secret[..8]),
            "{q}"
        );
    }

    #[test]
    fn a_credential_file_is_read_only_when_regular_and_small() {
        let dir = std::env::temp_dir().join(format!("ecluse-cred-cloud-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let ordinary = dir.join("secret");
        std::fs::write(&ordinary, "s3cret\n").unwrap();
        assert_eq!(read_credential_file(&ordinary).unwrap(), "s3cret\n");
        // A FIFO with no writer: opening it blocking would hang the mint for good.
        let fifo = dir.join("fifo");
        let c = std::ffi::CString::new(fifo.as_os_str().as_encoded_bytes()).unwrap();
        // SAFETY: `c` is a NUL-terminated path that outlives the call.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
        let e = read_credential_file(&fifo).unwrap_err();
        assert!(e.to_string().contains("not a regular file"), "{e}");
        // A device that never ends, and a file past the cap.
        let e = read_credential_file(std::path::Path::new("/dev/zero")).unwrap_err();
        assert!(e.to_string().contains("not a regular file"), "{e}");
        let big = dir.join("big");
        std::fs::write(&big, vec![b'a'; MAX_CREDENTIAL_FILE_BYTES as usize + 1]).unwrap();
        assert!(
            read_credential_file(&big)
                .unwrap_err()
                .to_string()
                .contains("larger than")
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
