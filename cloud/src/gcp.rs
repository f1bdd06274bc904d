//! `backend = "gcp"`: Google Application Default Credentials.
//!
//! The credentials are found as Google's libraries find them (AIP-4110): the file named by
//! `GOOGLE_APPLICATION_CREDENTIALS`, else gcloud's
//! `~/.config/gcloud/application_default_credentials.json`, else the metadata server (GCE, GKE,
//! Cloud Run, Cloud Build).
//!
//! A token's expiry is the one its issuer states. The metadata server hands out the token it
//! holds with whatever life it has left (often minutes), so an assumed lifetime would serve
//! expired tokens; and google-cloud-auth hides the expiry (its `AccessToken` holds only the
//! string). So every source whose answer states it is asked directly:
//!
//! - the metadata server (`gcp/metadata.rs`): `GET …/service-accounts/default/token` → `expires_in`;
//! - `authorized_user` (`gcp/user.rs`): the refresh-token grant at `token_uri` → `expires_in`;
//! - `external_account` with a `file` or `url` credential source (`gcp/external.rs`): the STS token
//!   exchange → `expires_in`, or with `service_account_impersonation_url`, IAM Credentials'
//!   `generateAccessToken` → `expireTime`;
//! - `impersonated_service_account` (`gcp/impersonation.rs`): the source credentials' token, then
//!   `generateAccessToken` → `expireTime`.
//!
//! The other sources go through google-cloud-auth (`via_crate`): `service_account`, for which
//! it signs a JWT locally (no network call) whose `exp` claim is the expiry;
//! `external_account` with an `executable` or `aws` credential source; and
//! `external_account_authorized_user`. Their expiry is the `exp` of a JWT token, else the
//! configured `lifetime` (default 1 h, Google's access-token lifetime) counted from the start of
//! the mint: right for these, which mint a fresh token on every call, where the metadata
//! server's is not. The `lifetime` is the fallback of the direct sources too, for an answer that
//! states no expiry. Which one was used is stored as the entry's `expiry_source` (`expires_in`,
//! `expireTime`, `jwt` or `lifetime`) and shown by `status`.
//!
//! The direct requests follow no redirect, read at most [`crate::MAX_RESPONSE_BYTES`] of any
//! answer, and quote an error answer only by its error code and description, with every
//! credential the mint sent (refresh token, client secret, subject token, source token, the
//! credential source's headers) scrubbed from the whole message in every encoding. Errors of the
//! google-cloud-auth sources are quoted without the server's body and scrubbed of the ADC file's
//! secrets; their HTTP clients follow redirects, which is google-cloud-auth's choice.

mod external;
mod impersonation;
mod metadata;
mod user;

use std::path::PathBuf;
use std::time::Duration;

use serde_json::Value;

use crate::{
    ECHO_FRAGMENT_CHARS, block_on_with_timeout, error_chain, http_client, is_error_code,
    jwt_expiry, quotable, read_response,
};
use ecluse_cred_contract::mint::{EpochMs, Mint, MintError, Minted};
use ecluse_cred_contract::redact::Scrubber;
use ecluse_cred_contract::secret::Secret;

/// The scope asked for when the target names none.
pub const DEFAULT_SCOPE: &str = "https://www.googleapis.com/auth/cloud-platform";
/// Assumed lifetime of a token whose issuer states none: Google's default.
pub const DEFAULT_LIFETIME: Duration = Duration::from_secs(3600);

/// The environment variable that names the ADC file.
const ADC_ENV: &str = "GOOGLE_APPLICATION_CREDENTIALS";
/// gcloud's ADC file (`gcloud auth application-default login`), under `$HOME`.
const GCLOUD_ADC: &str = ".config/gcloud/application_default_credentials.json";
/// Fields of an ADC file that hold a secret, scrubbed from every message (at any depth, so the
/// `source_credentials` of an impersonation are covered).
const SECRET_FIELDS: [&str; 3] = ["client_secret", "refresh_token", "private_key"];
/// OAuth error codes (RFC 6749 §5.2) that mean the credentials were refused.
const REJECTED_CODES: [&str; 3] = ["invalid_client", "unauthorized_client", "invalid_grant"];
/// Where google-cloud-auth's messages start quoting a server's answer, which is not shown.
const CRATE_BODY_MARK: &str = "body=<";

pub struct GcpMint {
    pub scopes: Vec<String>,
    /// Fallback lifetime, for a token whose issuer states no expiry (see the module doc).
    pub lifetime: Duration,
    pub timeout: Duration,
}

impl Mint for GcpMint {
    fn mint(&self, started: EpochMs) -> Result<Minted, MintError> {
        let adc = find_adc()?;
        let mut session = Session {
            client: http_client(self.timeout)?,
            timeout: self.timeout,
            started,
            lifetime: self.lifetime,
            sent: Scrubber::new(),
        };
        if let Some((_, json)) = &adc {
            session.remember_file_secrets(json);
        }
        let result = block_on_with_timeout(self.timeout, async {
            match &adc {
                None => metadata::token(&session, &self.scopes).await,
                Some((path, json)) => session.token_of_file(path, json, &self.scopes).await,
            }
        });
        result.map_err(|e| MintError {
            message: session.sent.scrub(&e.message),
            ..e
        })
    }
}

/// The ADC file and its JSON, or `None` for the metadata server.
fn find_adc() -> Result<Option<(PathBuf, Value)>, MintError> {
    let read = |path: PathBuf| match std::fs::read(&path) {
        Ok(bytes) => serde_json::from_slice(&bytes)
            .map(|json| Some((path.clone(), json)))
            .map_err(|e| {
                MintError::misconfigured(format!(
                    "the ADC file {} is not valid JSON: {e}",
                    path.display()
                ))
            }),
        Err(e) => Err(MintError::misconfigured(format!(
            "cannot read the ADC file {}: {e}",
            path.display()
        ))),
    };
    if let Some(path) = std::env::var_os(ADC_ENV) {
        return read(PathBuf::from(path)).map_err(|e| MintError {
            message: format!("{} (named by {ADC_ENV})", e.message),
            ..e
        });
    }
    match std::env::var_os("HOME").map(|home| PathBuf::from(home).join(GCLOUD_ADC)) {
        Some(path) if path.exists() => read(path),
        _ => Ok(None),
    }
}

/// One mint: its HTTP client (no redirect), when it started, the fallback lifetime, and every
/// credential it has sent so far, to scrub from its messages.
struct Session {
    client: reqwest::Client,
    timeout: Duration,
    started: EpochMs,
    lifetime: Duration,
    sent: Scrubber,
}

impl Session {
    /// The token of the credentials in an ADC file (or in an impersonation's
    /// `source_credentials`).
    async fn token_of_file(
        &mut self,
        path: &std::path::Path,
        json: &Value,
        scopes: &[String],
    ) -> Result<Minted, MintError> {
        let kind = credential_type(json)
            .map_err(|e| MintError::misconfigured(format!("{}: {e}", path.display())))?;
        match kind {
            "authorized_user" => user::token(self, json, Some(scopes)).await,
            "external_account" if external::is_direct(json) => {
                external::token(self, json, Some(scopes)).await
            }
            "impersonated_service_account" => impersonation::impersonated(self, json, scopes).await,
            _ => {
                let token = via_crate(json, Some(scopes)).await?;
                Ok(self.minted(token.expose().to_owned(), None))
            }
        }
    }

    /// Scrub `secret` (as sent, and in every encoding) from this mint's messages.
    fn remember(&mut self, secret: &str) {
        self.sent = std::mem::take(&mut self.sent).secret(secret);
    }

    /// Scrub the HTTP Basic pair `id:secret` from this mint's messages.
    fn remember_basic(&mut self, id: &str, secret: &str) {
        self.sent = std::mem::take(&mut self.sent)
            .secret(secret)
            .basic_pair(id, secret);
    }

    /// Remember every secret field of an ADC file, at any depth.
    fn remember_file_secrets(&mut self, json: &Value) {
        match json {
            Value::Object(map) => {
                for (key, value) in map {
                    match value.as_str() {
                        Some(secret) if SECRET_FIELDS.contains(&key.as_str()) => {
                            self.remember(secret)
                        }
                        _ => self.remember_file_secrets(value),
                    }
                }
            }
            Value::Array(items) => items.iter().for_each(|v| self.remember_file_secrets(v)),
            _ => {}
        }
    }

    /// Send `request` to `what` and read the body of a successful answer; any other answer is
    /// the failure [`Session::http_error`] describes.
    async fn fetch(
        &self,
        request: reqwest::RequestBuilder,
        what: &str,
    ) -> Result<Vec<u8>, MintError> {
        let response = request.send().await.map_err(|e| {
            let builder = e.is_builder();
            if e.is_timeout() {
                return MintError::transient(format!(
                    "{what}: no answer within mint_timeout ({})",
                    humantime::format_duration(self.timeout)
                ));
            }
            let message = format!("{what}: {}", error_chain(&e.without_url()));
            if builder {
                MintError::misconfigured(message)
            } else {
                MintError::transient(message)
            }
        })?;
        let (status, body) = read_response(response, what).await?;
        if !(200..300).contains(&status) {
            return Err(self.http_error(what, status, &body));
        }
        Ok(body)
    }

    /// An error answer: its status, and when the body is one of Google's error shapes, its
    /// error code and description as they may be quoted (scrubbed, not at all if they echo the
    /// request); never the body. Refused credentials are 77, throttling and server errors
    /// transient, other client errors a configuration problem.
    fn http_error(&self, what: &str, status: u16, body: &[u8]) -> MintError {
        let json: Option<Value> = serde_json::from_slice(body).ok();
        let error = json.as_ref().map(|v| (&v["error"], v));
        let (code, description) = match error {
            // RFC 6749 §5.2 (oauth2.googleapis.com, sts.googleapis.com).
            Some((Value::String(code), v)) => {
                (Some(code.as_str()), v["error_description"].as_str())
            }
            // Google APIs (iamcredentials.googleapis.com): {"error": {"status", "message"}}.
            Some((Value::Object(e), _)) => (
                e.get("status").and_then(Value::as_str),
                e.get("message").and_then(Value::as_str),
            ),
            _ => (None, None),
        };
        let code = code
            .map(|c| quotable(c, &self.sent))
            .filter(|c| is_error_code(c) && !self.sent.finds_part_in(c, ECHO_FRAGMENT_CHARS));
        let detail = match (&code, description) {
            (None, _) => format!("no error code in its {}-byte body (not quoted)", body.len()),
            (Some(code), None) => code.clone(),
            (Some(code), Some(d)) => format!("{code}: {}", quotable(d, &self.sent)),
        };
        let message = format!("{what} answered HTTP {status}: {detail}");
        let code = code.unwrap_or_default();
        match status {
            401 | 403 => MintError::rejected(message),
            400 if REJECTED_CODES.contains(&code.as_str()) => MintError::rejected(message),
            408 | 429 | 500..=599 => MintError::transient(message),
            _ => MintError::misconfigured(message),
        }
    }

    /// A token answer `{"access_token", "expires_in", ...}` from `what`; messages never quote
    /// its values.
    fn token_answer(&self, body: &[u8], what: &str) -> Result<Minted, MintError> {
        let bad = |why: &str| MintError::transient(format!("{what} answered {why}"));
        let v: Value = serde_json::from_slice(body).map_err(|_| bad("with invalid JSON"))?;
        let token = match v.get("access_token") {
            Some(Value::String(t)) if !t.is_empty() => t.clone(),
            _ => return Err(bad("without a string `access_token`")),
        };
        let seconds = match v.get("expires_in") {
            Some(Value::Number(n)) => n.as_f64(),
            Some(Value::String(s)) => s.parse::<f64>().ok(),
            _ => None,
        };
        // `as` saturates, and so does the addition: an absurd `expires_in` becomes an absurd
        // expiry, which the engine refuses with the same message for every backend.
        let expiry = seconds.filter(|s| *s > 0.0).map(|s| {
            (
                self.started.saturating_add((s * 1000.0) as i64),
                "expires_in",
            )
        });
        Ok(self.minted(token, expiry))
    }

    /// A token with its expiry: the one its issuer stated, else the `exp` of a JWT, else the
    /// configured lifetime from the start of the mint.
    fn minted(&self, token: String, stated: Option<(EpochMs, &str)>) -> Minted {
        let (expires_at, source) = stated
            .or_else(|| jwt_expiry(&token).map(|exp| (exp, "jwt")))
            .unwrap_or_else(|| {
                let lifetime = i64::try_from(self.lifetime.as_millis()).unwrap_or(i64::MAX);
                (self.started.saturating_add(lifetime), "lifetime")
            });
        Minted {
            token: Secret::new(token),
            expires_at,
            expiry_source: source.to_owned(),
        }
    }
}

/// The `type` of a credentials JSON.
fn credential_type(json: &Value) -> Result<&str, String> {
    json.get("type")
        .and_then(Value::as_str)
        .ok_or_else(|| "no string `type` field".to_owned())
}

/// The string field `name` of a credentials JSON of type `kind`, or a configuration error.
fn field<'a>(json: &'a Value, kind: &str, name: &str) -> Result<&'a str, MintError> {
    json.get(name).and_then(Value::as_str).ok_or_else(|| {
        MintError::misconfigured(format!(
            "the {kind} credentials have no string `{name}` field"
        ))
    })
}

/// `url`, an endpoint named by the ADC file or the environment (`name`), unless it holds
/// userinfo: as for every configured endpoint, credentials there would go out as Basic
/// authentication and show wherever the URL is shown.
fn endpoint<'a>(url: &'a str, name: &str) -> Result<&'a str, MintError> {
    match reqwest::Url::parse(url) {
        Ok(u) if !u.username().is_empty() || u.password().is_some() => {
            Err(MintError::misconfigured(format!(
                "`{name}` ({}) holds credentials (userinfo): refused",
                ecluse_cred_contract::redact::url(url)
            )))
        }
        // A URL that does not parse fails when it is asked, as a configuration error.
        _ => Ok(url),
    }
}

/// A token from google-cloud-auth, for the sources not asked directly (see the module doc).
/// Its messages keep their own words and leave out the server's answer.
async fn via_crate(json: &Value, scopes: Option<&[String]>) -> Result<Secret, MintError> {
    use google_cloud_auth::credentials::{
        external_account, external_account_authorized_user, service_account,
    };
    let kind = credential_type(json).map_err(MintError::misconfigured)?;
    let built = match kind {
        "service_account" => {
            let builder = service_account::Builder::new(json.clone());
            match scopes {
                Some(scopes) => builder.with_access_specifier(
                    service_account::AccessSpecifier::from_scopes(scopes.to_vec()),
                ),
                None => builder,
            }
            .build_access_token_credentials()
        }
        "external_account" => {
            let builder = external_account::Builder::new(json.clone());
            match scopes {
                Some(scopes) => builder.with_scopes(scopes.to_vec()),
                None => builder,
            }
            .build_access_token_credentials()
        }
        "external_account_authorized_user" => {
            external_account_authorized_user::Builder::new(json.clone())
                .build_access_token_credentials()
        }
        other => {
            return Err(MintError::misconfigured(format!(
                "Google credentials of type `{}` are not supported",
                ecluse_cred_contract::redact::text(other)
            )));
        }
    }
    .map_err(|e| {
        MintError::misconfigured(format!(
            "no usable Google credentials: {}",
            crate_error_text(&e)
        ))
    })?;
    let token = built.access_token().await.map_err(|e| {
        let message = format!("Google credentials: {}", crate_error_text(&e));
        if e.is_transient() {
            MintError::transient(message)
        } else {
            MintError::rejected(message)
        }
    })?;
    Ok(Secret::new(token.token))
}

/// A google-cloud-auth error and its causes, cut where the crate starts quoting the server's
/// answer (which an endpoint that echoes its request fills with the credentials).
fn crate_error_text(e: &dyn std::error::Error) -> String {
    let text = error_chain(e);
    match text.find(CRATE_BODY_MARK) {
        Some(at) => format!("{}(the answer is not quoted)", &text[..at]),
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ecluse_cred_contract::mint::FailureKind;

    fn session() -> Session {
        Session {
            client: reqwest::Client::new(),
            timeout: Duration::from_secs(1),
            started: 1_000,
            lifetime: Duration::from_secs(1800),
            sent: Scrubber::new(),
        }
    }

    #[test]
    fn expiry_is_expires_in_else_the_configured_lifetime() {
        let s = session();
        let m = s
            .token_answer(br#"{"access_token":"a","expires_in":400}"#, "x")
            .unwrap();
        assert_eq!(
            (m.expires_at, m.expiry_source.as_str()),
            (401_000, "expires_in")
        );
        let m = s.token_answer(br#"{"access_token":"a"}"#, "x").unwrap();
        assert_eq!(
            (m.expires_at, m.expiry_source.as_str()),
            (1_801_000, "lifetime")
        );
        assert!(s.token_answer(br#"{"expires_in":400}"#, "x").is_err());
    }

    #[test]
    fn error_answers_quote_codes_not_echoed_credentials() {
        let mut s = session();
        s.remember("GOCSPX-client-secret-value");
        let e = s.http_error(
            "t",
            400,
            br#"{"error":"invalid_grant","error_description":"Token has been expired or revoked."}"#,
        );
        assert_eq!(e.kind, FailureKind::Rejected);
        assert!(
            e.message
                .ends_with("invalid_grant: Token has been expired or revoked.")
        );
        let e = s.http_error(
            "t",
            403,
            br#"{"error":{"code":403,"status":"PERMISSION_DENIED","message":"denied"}}"#,
        );
        assert!(
            e.message.ends_with("PERMISSION_DENIED: denied"),
            "{}",
            e.message
        );
        // The secret as the error code: not quoted, not even in part.
        let e = s.http_error("t", 400, br#"{"error":"GOCSPX-client-secret-value"}"#);
        assert!(!e.message.contains("client-secret"), "{}", e.message);
        assert_eq!(e.kind, FailureKind::Misconfigured);
        assert_eq!(s.http_error("t", 503, b"down").kind, FailureKind::Transient);
    }

    #[test]
    fn crate_errors_leave_the_servers_answer_out() {
        let e = std::io::Error::other("failed to exchange token, body=<refresh_token=sekrit>");
        let text = crate_error_text(&e);
        assert!(
            !text.contains("sekrit") && text.contains("not quoted"),
            "{text}"
        );
    }
}
