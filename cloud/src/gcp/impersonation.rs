//! Service account impersonation through IAM Credentials' `generateAccessToken`: for an
//! `impersonated_service_account` file (after the source credentials' token) and for an
//! `external_account` with `service_account_impersonation_url` (after the STS exchange). The
//! answer states `expireTime` (RFC 3339), which is the expiry.

use serde_json::{Value, json};

use super::{Session, endpoint, external, field, user, via_crate};
use ecluse_cred_contract::mint::{MintError, Minted};
use ecluse_cred_contract::redact;

const KIND: &str = "impersonated_service_account";
/// The lifetime asked of `generateAccessToken`, as google-cloud-auth asks: an hour, the most
/// it grants without an organisation policy.
const REQUESTED_LIFETIME: &str = "3600s";

/// An `impersonated_service_account` token for `scopes`: the source credentials' token (asked
/// without scopes, as google-cloud-auth does), then `generateAccessToken`.
pub(super) async fn impersonated(
    session: &mut Session,
    json: &Value,
    scopes: &[String],
) -> Result<Minted, MintError> {
    let url = endpoint(
        field(json, KIND, "service_account_impersonation_url")?,
        "service_account_impersonation_url",
    )?;
    let source = &json["source_credentials"];
    let kind = super::credential_type(source).map_err(|e| {
        MintError::misconfigured(format!("the {KIND} credentials' source_credentials: {e}"))
    })?;
    let source_token = match kind {
        "authorized_user" => user::token(session, source, None).await?.token,
        "external_account" if external::is_direct(source) => {
            external::token(session, source, None).await?.token
        }
        KIND => {
            return Err(MintError::misconfigured(format!(
                "source_credentials of type {KIND} are not supported: name the chain in `delegates`"
            )));
        }
        _ => via_crate(source, None).await?,
    };
    session.remember(source_token.expose());
    generate(
        session,
        url,
        source_token.expose(),
        scopes,
        json.get("delegates"),
    )
    .await
}

/// `POST url` (`…/serviceAccounts/EMAIL:generateAccessToken`) with `bearer` as the caller's
/// token: the service account's token for `scopes`, expiring at the answer's `expireTime`.
pub(super) async fn generate(
    session: &Session,
    url: &str,
    bearer: &str,
    scopes: &[String],
    delegates: Option<&Value>,
) -> Result<Minted, MintError> {
    let mut body = json!({ "scope": scopes, "lifetime": REQUESTED_LIFETIME });
    if let Some(delegates) = delegates.filter(|d| !d.is_null()) {
        body["delegates"] = delegates.clone();
    }
    let what = format!("IAM Credentials endpoint {}", redact::url(url));
    let request = session.client.post(url).bearer_auth(bearer).json(&body);
    let answer = session.fetch(request, &what).await?;
    let bad = |why: &str| MintError::transient(format!("{what} answered {why}"));
    let v: Value = serde_json::from_slice(&answer).map_err(|_| bad("with invalid JSON"))?;
    let token = match v.get("accessToken") {
        Some(Value::String(t)) if !t.is_empty() => t.clone(),
        _ => return Err(bad("without a string `accessToken`")),
    };
    let expiry = v
        .get("expireTime")
        .and_then(Value::as_str)
        .and_then(|t| humantime::parse_rfc3339(t).ok())
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map(|d| {
            (
                i64::try_from(d.as_millis()).unwrap_or(i64::MAX),
                "expireTime",
            )
        });
    Ok(session.minted(token, expiry))
}
