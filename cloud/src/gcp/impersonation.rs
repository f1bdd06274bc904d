//! Service account impersonation through IAM Credentials' `generateAccessToken`: for an
//! `impersonated_service_account` file (after the source credentials' token) and for an
//! `external_account` with `service_account_impersonation_url` (after the STS exchange). The
//! answer states `expireTime` (RFC 3339, any offset), which is the expiry.

use serde_json::{Value, json};

use super::{Session, endpoint, field, minted};
use ecluse_cred_contract::mint::{EpochMs, MintError, Minted};
use ecluse_cred_contract::redact;

pub(super) const KIND: &str = "impersonated_service_account";
/// The lifetime asked of `generateAccessToken` when the file names none, as google-cloud-auth
/// asks: an hour, the most it grants without an organisation policy.
pub(super) const DEFAULT_LIFETIME_SECONDS: u64 = 3600;

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
    if kind == KIND {
        return Err(MintError::misconfigured(format!(
            "source_credentials of type {KIND} are not supported: name the chain in `delegates`"
        )));
    }
    let source_token = Box::pin(session.token_of(source, None)).await?.token;
    session.remember(source_token.expose());
    generate(
        session,
        url,
        source_token.expose(),
        scopes,
        json.get("delegates"),
        DEFAULT_LIFETIME_SECONDS,
    )
    .await
}

/// `POST url` (`…/serviceAccounts/EMAIL:generateAccessToken`) with `bearer` as the caller's
/// token: the service account's token for `scopes`, living at most `lifetime_seconds`, expiring
/// at the answer's `expireTime`.
pub(super) async fn generate(
    session: &Session,
    url: &str,
    bearer: &str,
    scopes: &[String],
    delegates: Option<&Value>,
    lifetime_seconds: u64,
) -> Result<Minted, MintError> {
    let mut body = json!({ "scope": scopes, "lifetime": format!("{lifetime_seconds}s") });
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
    let expires_at = match v.get("expireTime").and_then(Value::as_str) {
        None => {
            return Err(bad(
                "without a string `expireTime`: the token's expiry is unknown",
            ));
        }
        Some(text) => expire_time(text, session.started).ok_or_else(|| {
            bad("with an `expireTime` that is not an RFC 3339 time after the request")
        })?,
    };
    Ok(minted(token, expires_at, "expireTime"))
}

/// An RFC 3339 time (`2026-12-06T06:00:00Z`, `…+01:00`, fractional seconds) in epoch ms, when
/// it is after `started`: an expiry already past (or before 1970) is no expiry.
fn expire_time(text: &str, started: EpochMs) -> Option<EpochMs> {
    let at: jiff::Timestamp = text.trim().parse().ok()?;
    let at = EpochMs::from_millis(at.as_millisecond());
    (at > started).then_some(at)
}

#[cfg(test)]
mod tests {
    use super::expire_time;
    use ecluse_cred_contract::mint::EpochMs;

    fn at(ms: i64) -> EpochMs {
        EpochMs::from_millis(ms)
    }

    #[test]
    fn expire_time_reads_rfc3339_with_any_offset_and_refuses_a_past_or_garbled_one() {
        assert_eq!(
            expire_time("2026-12-06T06:00:00Z", at(0)),
            Some(at(1_796_536_800_000))
        );
        assert_eq!(
            expire_time("2026-12-06T07:00:00+01:00", at(0)),
            Some(at(1_796_536_800_000))
        );
        assert_eq!(
            expire_time("2026-12-06T06:00:00.250+00:00", at(0)),
            Some(at(1_796_536_800_250))
        );
        assert_eq!(expire_time("1969-12-31T23:00:00Z", at(0)), None);
        assert_eq!(
            expire_time("2026-12-06T06:00:00Z", at(1_796_536_800_000)),
            None
        );
        assert_eq!(expire_time("tomorrow", at(0)), None);
        assert_eq!(expire_time("", at(0)), None);
    }
}
