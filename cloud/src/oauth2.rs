//! `backend = "oauth2"`: the OAuth 2.0 client credentials grant (RFC 6749 §4.4).
//!
//! POSTs `grant_type=client_credentials` (and `scope`) as a form to `token_url`, authenticating
//! the client with HTTP Basic (`client_auth = "basic"`, the default; RFC 6749 §2.3.1: id and
//! secret form-urlencoded, then base64) or with `client_id`/`client_secret` form fields
//! (`client_auth = "post"`). The expiry is `expires_in` (or, without it, the `exp` of a JWT
//! access token). The secret comes from an environment variable or a file, read at mint time,
//! and is scrubbed from every error message. The request follows no redirect (a 3xx would
//! re-post the secret elsewhere) and reads at most [`crate::MAX_RESPONSE_BYTES`] of any answer.

use std::path::PathBuf;
use std::time::Duration;

use serde_json::Value;

use crate::{
    block_on_with_timeout, error_chain, http_client, is_error_code, parse_token_answer, quotable,
    read_credential_file, read_response,
};
use ecluse_cred_contract::mint::{EpochMs, Mint, MintError, Minted};
use ecluse_cred_contract::redact::{Scrubber, form_urlencode};
use ecluse_cred_contract::secret::Secret;

/// OAuth error codes (RFC 6749 §5.2) that mean the client's credentials were refused.
const REJECTED_CODES: [&str; 3] = ["invalid_client", "unauthorized_client", "invalid_grant"];
/// Words that mark an `error_description` as an echo of the request's credentials.
const ECHO_WORDS: [&str; 4] = ["secret", "authorization", "basic ", "password"];
/// What the token endpoint is called in messages.
const ENDPOINT: &str = "token endpoint";

/// How the client authenticates to the token endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientAuth {
    /// HTTP Basic with the form-urlencoded id and secret (RFC 6749 §2.3.1).
    Basic,
    /// `client_id` and `client_secret` form fields.
    Post,
}

/// Where the client secret is read from, at mint time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecretSource {
    Env(String),
    File(PathBuf),
}

pub struct OAuth2Mint {
    pub token_url: String,
    pub client_id: String,
    pub secret: SecretSource,
    pub scope: Option<String>,
    pub client_auth: ClientAuth,
    pub timeout: Duration,
}

impl OAuth2Mint {
    fn read_secret(&self) -> Result<Secret, MintError> {
        let secret = match &self.secret {
            SecretSource::Env(name) => std::env::var(name).map_err(|_| {
                MintError::misconfigured(format!(
                    "client_secret_env: environment variable `{name}` is not set"
                ))
            })?,
            // A regular file of bounded size only: a FIFO or a device would hang or flood the
            // mint before `mint_timeout` starts counting.
            SecretSource::File(path) => read_credential_file(path)
                .map_err(|e| {
                    MintError::misconfigured(format!("client_secret_file {}: {e}", path.display()))
                })?
                .trim_end_matches(['\r', '\n'])
                .to_owned(),
        };
        if secret.is_empty() {
            return Err(MintError::misconfigured("the client secret is empty"));
        }
        Ok(Secret::new(secret))
    }

    /// Every form in which the secret leaves this process: raw and urlencoded (`post`), and
    /// the base64 Basic pair (`basic`), so no echo of the request survives in a message.
    fn scrubber(&self, secret: &Secret) -> Scrubber {
        Scrubber::new()
            .secret(secret.expose())
            .basic_pair(&self.client_id, secret.expose())
    }

    async fn request(
        &self,
        secret: &Secret,
        scrubber: &Scrubber,
        started: EpochMs,
    ) -> Result<Minted, MintError> {
        let mut form: Vec<(&str, &str)> = vec![("grant_type", "client_credentials")];
        if let Some(scope) = &self.scope {
            form.push(("scope", scope));
        }
        let client = http_client(self.timeout)?;
        let mut request = client
            .post(&self.token_url)
            .header("accept", "application/json");
        match self.client_auth {
            ClientAuth::Basic => {
                use base64::Engine;
                let pair = format!(
                    "{}:{}",
                    form_urlencode(&self.client_id),
                    form_urlencode(secret.expose())
                );
                let basic = base64::engine::general_purpose::STANDARD.encode(pair);
                request = request.header("authorization", format!("Basic {basic}"));
            }
            ClientAuth::Post => {
                form.push(("client_id", &self.client_id));
                form.push(("client_secret", secret.expose()));
            }
        }
        let response = request.form(&form).send().await.map_err(|e| {
            MintError::transient(format!(
                "POST {}: {}",
                ecluse_cred_contract::redact::url(&self.token_url),
                error_chain(&e.without_url())
            ))
        })?;
        let (status, body) = read_response(response, ENDPOINT).await?;
        if !(200..300).contains(&status) {
            return Err(http_error(status, &body, scrubber));
        }
        parse_token_answer(&body, started, ENDPOINT)
    }
}

impl Mint for OAuth2Mint {
    fn mint(&self, started: EpochMs) -> Result<Minted, MintError> {
        let secret = self.read_secret()?;
        let scrubber = self.scrubber(&secret);
        block_on_with_timeout(self.timeout, self.request(&secret, &scrubber, started)).map_err(
            |e| MintError {
                message: scrubber.scrub(&e.message),
                ..e
            },
        )
    }
}

/// Classify an error response: RFC 6749 §5.2 `error` codes that refuse the client are 77,
/// throttling and server errors transient, other client errors a configuration problem.
///
/// Only the `error` code (when it is one: RFC 6749's characters, short) and the
/// `error_description`, scrubbed of every form of the secret and then shortened, are quoted;
/// never the body, which a server that echoes its request fills with the credentials.
fn http_error(status: u16, body: &[u8], scrubber: &Scrubber) -> MintError {
    let json: Option<Value> = serde_json::from_slice(body).ok();
    let field = |name: &str| json.as_ref().and_then(|v| v[name].as_str());
    let code = field("error")
        .map(|c| quotable(c, scrubber))
        .filter(|c| is_error_code(c));
    let description = field("error_description").map(|d| quotable_description(d, scrubber));
    let detail = match (&code, description) {
        (None, _) => format!(
            "no RFC 6749 error code in its {}-byte body (not quoted)",
            body.len()
        ),
        (Some(code), None) => code.clone(),
        (Some(code), Some(d)) => format!("{code}: {d}"),
    };
    let code = code.unwrap_or_default();
    let message = format!("{ENDPOINT} answered HTTP {status}: {detail}");
    match status {
        400 | 401 | 403 if REJECTED_CODES.contains(&code.as_str()) || status != 400 => {
            MintError::rejected(message)
        }
        429 | 500..=599 | 408 => MintError::unavailable(message),
        _ => MintError::misconfigured(message),
    }
}

/// An `error_description` as it may be quoted: only when it keeps to RFC 6749's characters (no
/// `"` or `\`, so no nested JSON echo of the request) and names no credential, then as
/// [`quotable`] leaves it (scrubbed, long encoded runs replaced, shortened).
fn quotable_description(description: &str, scrubber: &Scrubber) -> String {
    if !description
        .bytes()
        .all(|b| matches!(b, 0x20..=0x21 | 0x23..=0x5B | 0x5D..=0x7E))
    {
        return "(error_description not quoted: it has characters RFC 6749 does not allow)"
            .to_owned();
    }
    let lower = description.to_ascii_lowercase();
    if ECHO_WORDS.iter().any(|w| lower.contains(w)) {
        return "(error_description not quoted: it seems to echo the request)".to_owned();
    }
    quotable(description, scrubber)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ecluse_cred_contract::mint::FailureKind;

    #[test]
    fn token_response_expiry_comes_from_expires_in() {
        let m = parse_token_answer(
            br#"{"access_token":"a","token_type":"Bearer","expires_in":3599}"#,
            EpochMs::from_millis(1_000),
            ENDPOINT,
        )
        .unwrap();
        assert_eq!(
            (m.token.expose(), m.expires_at, m.expiry_source.as_str()),
            ("a", EpochMs::from_millis(3_600_000), "expires_in")
        );
    }

    #[test]
    fn error_codes_map_to_rejected_transient_or_misconfigured() {
        let kind = |status, body: &str| http_error(status, body.as_bytes(), &Scrubber::new()).kind;
        assert_eq!(
            kind(400, r#"{"error":"invalid_client"}"#),
            FailureKind::Rejected
        );
        assert_eq!(
            kind(401, r#"{"error":"unauthorized_client"}"#),
            FailureKind::Rejected
        );
        assert_eq!(
            kind(400, r#"{"error":"invalid_grant","error_description":"x"}"#),
            FailureKind::Rejected
        );
        assert_eq!(kind(401, "nope"), FailureKind::Rejected);
        assert_eq!(
            kind(400, r#"{"error":"invalid_scope"}"#),
            FailureKind::Misconfigured
        );
        assert_eq!(kind(429, ""), FailureKind::Unavailable);
        assert_eq!(kind(503, "down"), FailureKind::Unavailable);
    }

    #[test]
    fn missing_fields_are_failures_that_do_not_echo_the_body() {
        for body in [
            &br#"{"token_type":"Bearer"}"#[..],
            br#"{"access_token":"sekrit"}"#,
            b"sekrit",
        ] {
            let e = parse_token_answer(body, EpochMs::from_millis(0), ENDPOINT).unwrap_err();
            assert!(!e.message.contains("sekrit"), "{}", e.message);
        }
    }

    #[test]
    fn a_description_is_quoted_through_the_shared_rule_long_runs_dropped_words_kept() {
        let s = Scrubber::new().secret("client-secret-value");
        let message = |description: &str| {
            let body =
                serde_json::json!({"error": "invalid_request", "error_description": description});
            http_error(400, body.to_string().as_bytes(), &s).message
        };
        let m = message("AADSTS7000215: Invalid client secret provided.");
        assert!(m.contains("invalid_request"), "{m}");
        let m = message("tenant abc is not found");
        assert!(
            m.ends_with("invalid_request: tenant abc is not found"),
            "{m}"
        );
        let m = message("session eyJhbGciOiJSUzI1NiJ9eyJzdWIiOiIxMjM0NTY3ODkwIn0x is bad");
        assert!(
            m.contains("session <redacted> is bad") && !m.contains("eyJ"),
            "{m}"
        );
        let m = message("bad client-secret-valu");
        assert!(m.contains("not quoted") && !m.contains("valu"), "{m}");
        // A megabyte of description costs what its quoted start costs.
        let m = message(&format!(
            "{} client-secret-value",
            "slow down ".repeat(100_000)
        ));
        assert!(m.len() < 2 * crate::MAX_QUOTED_CHARS, "{}", m.len());
    }

    #[test]
    fn an_empty_token_or_an_unusable_expires_in_is_refused_as_every_backend_refuses_it() {
        for body in [
            &br#"{"access_token":"","expires_in":3600}"#[..],
            br#"{"access_token":"a","expires_in":0}"#,
            br#"{"access_token":"a","expires_in":"soon"}"#,
            br#"{"access_token":"a"}"#,
        ] {
            let e = parse_token_answer(body, EpochMs::from_millis(0), ENDPOINT).unwrap_err();
            assert_eq!(e.kind, FailureKind::Transient, "{}", e.message);
            assert!(e.message.starts_with(ENDPOINT), "{}", e.message);
        }
        let m = parse_token_answer(
            br#"{"access_token":"a","expires_in":"60"}"#,
            EpochMs::from_millis(0),
            ENDPOINT,
        );
        assert_eq!(m.unwrap().expires_at, EpochMs::from_millis(60_000));
    }
}
