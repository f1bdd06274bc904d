//! `backend = "gcp"`: Google Application Default Credentials.
//!
//! The credentials are found as Google's libraries find them (AIP-4110): the file named by
//! `GOOGLE_APPLICATION_CREDENTIALS`, else gcloud's
//! `~/.config/gcloud/application_default_credentials.json`, else the metadata server (GCE, GKE,
//! Cloud Run, Cloud Build).
//!
//! Every request is made here, not by a library: google-cloud-auth follows redirects (which
//! re-post a refresh token or subject token to wherever a 3xx points), reads answers without a
//! limit, and hides the expiry a server states. A token's expiry is the one its issuer states,
//! never an assumed lifetime: the metadata server hands out the token it holds with whatever
//! life it has left (often minutes), and a workforce token may live 15 minutes.
//!
//! - the metadata server (`gcp/metadata.rs`): `GET …/service-accounts/default/token` → `expires_in`;
//! - `authorized_user` (`gcp/user.rs`): the refresh-token grant at `token_uri` → `expires_in`;
//! - `external_account_authorized_user` (`gcp/user.rs`, workforce identity federation): the
//!   refresh-token grant at the STS `token_url` → `expires_in`;
//! - `external_account` (`gcp/external.rs`) with a `file`, `url`, `executable`
//!   (`gcp/executable.rs`) or `aws` (`gcp/aws.rs`, a SigV4-signed `GetCallerIdentity`)
//!   credential source: the STS token exchange → `expires_in`, or with
//!   `service_account_impersonation_url`, IAM Credentials' `generateAccessToken` →
//!   `expireTime`;
//! - `impersonated_service_account` (`gcp/impersonation.rs`): the source credentials' token,
//!   then `generateAccessToken` → `expireTime`;
//! - `service_account` (`gcp/service_account.rs`): a JWT signed locally with the key (no
//!   network call, as Google's libraries do for scoped tokens), living the configured
//!   `lifetime` (at most an hour, Google's limit for these) → its `exp`.
//!
//! An answer whose expiry is missing, zero, negative or unreadable is a transient failure
//! (75) that names what is missing; only a JWT's own `exp` stands in for a missing
//! `expires_in`. Which expiry was used is stored as the entry's `expiry_source`
//! (`expires_in`, `expireTime` or `jwt`) and shown by `status`.
//!
//! Every request follows no redirect (a 3xx is refused, naming where it points), reads at most
//! [`crate::MAX_RESPONSE_BYTES`] of any answer, and quotes an error answer only by its error
//! code and description, with every credential the mint sent (refresh token, client secret,
//! subject token, source token, the credential source's credential headers) scrubbed from the
//! whole message in every encoding. Every endpoint the ADC file names (`*_url`, `*_uri`) is
//! refused when it holds userinfo, before any request.

mod aws;
mod executable;
mod external;
mod impersonation;
mod metadata;
mod service_account;
mod user;

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::Value;

use crate::{
    block_on_with_timeout, error_chain, http_client, is_error_code, parse_token_answer, quotable,
    read_credential_file, read_response,
};
use ecluse_cred_contract::mint::{EpochMs, Mint, MintError, Minted};
use ecluse_cred_contract::redact::Scrubber;
use ecluse_cred_contract::secret::Secret;

/// The scope asked for when the target names none.
pub const DEFAULT_SCOPE: &str = "https://www.googleapis.com/auth/cloud-platform";
/// The default `lifetime`: how long a `service_account`'s self-signed JWT lives (Google's
/// access-token lifetime, and the most Google accepts for such a JWT).
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

pub struct GcpMint {
    pub scopes: Vec<String>,
    /// How long a `service_account`'s self-signed JWT lives (at most an hour); every other
    /// source's token expires when its issuer says.
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
    let read = |path: PathBuf| {
        let text = read_credential_file(&path).map_err(|e| {
            MintError::misconfigured(format!("cannot read the ADC file {}: {e}", path.display()))
        })?;
        serde_json::from_str(&text)
            .map(|json| Some((path.clone(), json)))
            .map_err(|e| {
                MintError::misconfigured(format!(
                    "the ADC file {} is not valid JSON: {e}",
                    path.display()
                ))
            })
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

/// One mint: its HTTP client (no redirect), when it started, the `service_account` JWT's
/// lifetime, and every credential it has sent so far, to scrub from its messages.
struct Session {
    client: reqwest::Client,
    timeout: Duration,
    started: EpochMs,
    lifetime: Duration,
    sent: Scrubber,
}

impl Session {
    /// The token of the credentials in an ADC file.
    async fn token_of_file(
        &mut self,
        path: &Path,
        json: &Value,
        scopes: &[String],
    ) -> Result<Minted, MintError> {
        check_endpoints(json, "")?;
        let kind = credential_type(json)
            .map_err(|e| MintError::misconfigured(format!("{}: {e}", path.display())))?;
        match kind {
            impersonation::KIND => impersonation::impersonated(self, json, scopes).await,
            _ => self.token_of(json, Some(scopes)).await,
        }
    }

    /// The token of credentials that are not an impersonation (an ADC file, or an
    /// impersonation's `source_credentials`), for `scopes` (`None`: the credentials' own,
    /// as Google's libraries ask for an impersonation's source).
    async fn token_of(
        &mut self,
        json: &Value,
        scopes: Option<&[String]>,
    ) -> Result<Minted, MintError> {
        match credential_type(json).map_err(MintError::misconfigured)? {
            "authorized_user" => user::token(self, json, scopes).await,
            "external_account_authorized_user" => user::workforce_token(self, json).await,
            "external_account" => external::token(self, json, scopes).await,
            "service_account" => service_account::token(self, json, scopes),
            other => Err(MintError::misconfigured(format!(
                "Google credentials of type `{}` are not supported here",
                ecluse_cred_contract::redact::text(other)
            ))),
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
        // `quotable` refuses an echo, even a partial one; what is left must look like a code.
        let code = code
            .map(|c| quotable(c, &self.sent))
            .filter(|c| is_error_code(c));
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
            408 | 429 | 500..=599 => MintError::unavailable(message),
            _ => MintError::misconfigured(message),
        }
    }

    /// A token answer `{"access_token", "expires_in", ...}` from `what`, as every backend reads
    /// one ([`parse_token_answer`]): no usable expiry is a transient failure.
    fn token_answer(&self, body: &[u8], what: &str) -> Result<Minted, MintError> {
        parse_token_answer(body, self.started, what)
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

/// Refuse an ADC file that names any endpoint (a string field `url`, `*_url` or `*_uri`, at
/// any depth: `token_uri`, `token_url`, `service_account_impersonation_url`,
/// `credential_source.url`, `token_info_url`, …) with userinfo, before anything is sent.
/// `at` is the path of `json` in the file, for the message.
fn check_endpoints(json: &Value, at: &str) -> Result<(), MintError> {
    let path = |key: &str| {
        if at.is_empty() {
            key.to_owned()
        } else {
            format!("{at}.{key}")
        }
    };
    if let Value::Object(map) = json {
        for (key, value) in map {
            let lower = key.to_ascii_lowercase();
            match value {
                Value::String(url)
                    if lower == "url" || lower.ends_with("_url") || lower.ends_with("_uri") =>
                {
                    endpoint(url, &path(key))?;
                }
                Value::Object(_) => check_endpoints(value, &path(key))?,
                _ => {}
            }
        }
    }
    Ok(())
}

/// A token with the expiry its issuer stated (`source` names which field stated it).
fn minted(token: String, expires_at: EpochMs, source: &str) -> Minted {
    Minted {
        token: Secret::new(token),
        expires_at,
        expiry_source: source.to_owned(),
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
            started: EpochMs::from_millis(1_000),
            lifetime: Duration::from_secs(1800),
            sent: Scrubber::new(),
        }
    }

    #[test]
    fn expiry_is_expires_in_and_an_answer_without_a_usable_one_is_a_transient_failure() {
        let s = session();
        let m = s
            .token_answer(br#"{"access_token":"a","expires_in":400}"#, "x")
            .unwrap();
        assert_eq!(
            (m.expires_at, m.expiry_source.as_str()),
            (EpochMs::from_millis(401_000), "expires_in")
        );
        let m = s
            .token_answer(br#"{"access_token":"a","expires_in":"400"}"#, "x")
            .unwrap();
        assert_eq!(m.expires_at, EpochMs::from_millis(401_000));
        for body in [
            &br#"{"access_token":"a"}"#[..],
            br#"{"access_token":"a","expires_in":0}"#,
            br#"{"access_token":"a","expires_in":-5}"#,
            br#"{"access_token":"a","expires_in":"soon"}"#,
            br#"{"access_token":"a","expires_in":true}"#,
            br#"{"access_token":"","expires_in":400}"#,
            br#"{"expires_in":400}"#,
        ] {
            let e = s.token_answer(body, "x").unwrap_err();
            assert_eq!(e.kind, FailureKind::Transient, "{}", e.message);
        }
        let e = s.token_answer(br#"{"access_token":"a"}"#, "x").unwrap_err();
        assert!(e.message.contains("expires_in"), "{}", e.message);
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
        let e = s.http_error("t", 400, br#"{"error":"GOCSPX-client-secr"}"#);
        assert!(!e.message.contains("client-secr"), "{}", e.message);
        assert_eq!(
            s.http_error("t", 503, b"down").kind,
            FailureKind::Unavailable
        );
    }

    #[test]
    fn every_endpoint_of_the_file_is_checked_for_userinfo_at_any_depth() {
        let ok = serde_json::json!({
            "token_url": "https://sts.googleapis.com/v1/token",
            "credential_source": {"url": "http://169.254.169.254/x", "region_url": "http://h/r"},
        });
        assert!(check_endpoints(&ok, "").is_ok());
        let bad = serde_json::json!({
            "token_url": "https://sts.googleapis.com/v1/token",
            "credential_source": {"environment_id": "aws1", "region_url": "http://u:pw@h/r"},
        });
        let e = check_endpoints(&bad, "").unwrap_err();
        assert!(
            e.message.contains("credential_source.region_url") && !e.message.contains("pw@"),
            "{}",
            e.message
        );
    }
}
