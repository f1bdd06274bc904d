//! `external_account` (workload identity federation, the CI case) with a `file`, `url`,
//! `executable` or `aws` credential source: the subject token is exchanged at the STS `token_url`
//! (RFC 8693), whose answer states `expires_in`; with `service_account_impersonation_url`, the
//! STS token is then exchanged for a service account's token (living
//! `service_account_impersonation.token_lifetime_seconds`, default an hour), whose answer
//! states `expireTime`.
//!
//! With an `aws` credential source (`gcp/aws.rs`), the subject token is a signed AWS request.

use serde_json::Value;

use super::{DEFAULT_SCOPE, Session, aws, endpoint, executable, field, impersonation};
use ecluse_cred_contract::mint::{MintError, Minted};
use ecluse_cred_contract::redact;

const KIND: &str = "external_account";
const GRANT_TYPE: &str = "urn:ietf:params:oauth:grant-type:token-exchange";
const ACCESS_TOKEN_TYPE: &str = "urn:ietf:params:oauth:token-type:access_token";
/// What the STS token is for when it is then exchanged for a service account's token.
const IAM_SCOPE: &str = "https://www.googleapis.com/auth/iam";

/// The lifetime a service account's token may be asked for (IAM Credentials' bounds).
const TOKEN_LIFETIME_SECONDS: std::ops::RangeInclusive<u64> = 600..=43200;
/// Header values remembered as secrets, whatever their length (shorter values of other headers
/// are not credentials: remembering `True` would redact every "true").
const CREDENTIAL_HEADERS: [&str; 2] = ["authorization", "proxy-authorization"];
/// Shortest value of another header remembered as a secret.
const MIN_SECRET_HEADER_CHARS: usize = 8;

/// A token for `scopes` (`None`: the file's `scopes`, else cloud-platform, as google-cloud-auth
/// does for an impersonation's source).
pub(super) async fn token(
    session: &mut Session,
    json: &Value,
    scopes: Option<&[String]>,
) -> Result<Minted, MintError> {
    let audience = field(json, KIND, "audience")?;
    let subject_token_type = field(json, KIND, "subject_token_type")?;
    let token_url = endpoint(field(json, KIND, "token_url")?, "token_url")?;
    let impersonation_url = match json
        .get("service_account_impersonation_url")
        .and_then(Value::as_str)
    {
        Some(url) => Some(endpoint(url, "service_account_impersonation_url")?),
        None => None,
    };
    let file_scopes: Option<Vec<String>> = json.get("scopes").and_then(Value::as_array).map(|a| {
        a.iter()
            .filter_map(|s| s.as_str().map(str::to_owned))
            .collect()
    });
    let scopes = scopes
        .map(<[String]>::to_vec)
        .or(file_scopes)
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| vec![DEFAULT_SCOPE.to_owned()]);
    let lifetime = match json
        .get("service_account_impersonation")
        .and_then(|i| i.get("token_lifetime_seconds"))
    {
        None | Some(Value::Null) => impersonation::DEFAULT_LIFETIME_SECONDS,
        Some(v) => v
            .as_u64()
            .filter(|s| TOKEN_LIFETIME_SECONDS.contains(s))
            .ok_or_else(|| {
                MintError::misconfigured(format!(
                    "service_account_impersonation.token_lifetime_seconds must be a whole number of seconds from {} to {}",
                    TOKEN_LIFETIME_SECONDS.start(),
                    TOKEN_LIFETIME_SECONDS.end()
                ))
            })?,
    };
    let source = &json["credential_source"];
    let subject = if source.get("environment_id").is_some() {
        aws::subject_token(session, source, audience).await?
    } else if let Some(exec) = source.get("executable") {
        let context = executable::Context {
            audience,
            token_type: subject_token_type,
            impersonated_email: impersonation_url.and_then(executable::impersonated_email),
        };
        executable::subject_token(session, exec, &context).await?
    } else {
        subject_token(session, source).await?
    };
    let sts_scope = match impersonation_url {
        Some(_) => IAM_SCOPE.to_owned(),
        None => scopes.join(" "),
    };
    let client_id = json.get("client_id").and_then(Value::as_str);
    let client_secret = json.get("client_secret").and_then(Value::as_str);
    let mut form = vec![
        ("grant_type", GRANT_TYPE.to_owned()),
        ("requested_token_type", ACCESS_TOKEN_TYPE.to_owned()),
        ("subject_token", subject),
        ("subject_token_type", subject_token_type.to_owned()),
        ("scope", sts_scope),
        ("audience", audience.to_owned()),
    ];
    // A workforce pool bills the user's project, unless a client authenticates the exchange.
    if let (None, None, Some(project)) = (
        client_id,
        client_secret,
        json.get("workforce_pool_user_project")
            .and_then(Value::as_str),
    ) {
        form.push((
            "options",
            serde_json::json!({ "userProject": project }).to_string(),
        ));
    }
    let mut request = session.client.post(token_url).form(&form);
    if let (Some(id), Some(secret)) = (client_id, client_secret) {
        session.remember_basic(id, secret);
        request = request.basic_auth(id, Some(secret));
    }
    let what = format!("Google STS endpoint {}", redact::url(token_url));
    let answer = session.fetch(request, &what).await?;
    let sts = session.token_answer(&answer, &what)?;
    match impersonation_url {
        None => Ok(sts),
        Some(url) => {
            session.remember(sts.token.expose());
            impersonation::generate(session, url, sts.token.expose(), &scopes, None, lifetime).await
        }
    }
}

/// The subject token of a `file` or `url` source: the file's content or the URL's answer
/// (`format.type` `text`, the default, or `json` with `format.subject_token_field_name`), sent
/// as it is, untrimmed, as google-cloud-auth sends it. It and the URL request's credential
/// header values are remembered as secrets.
async fn subject_token(session: &mut Session, source: &Value) -> Result<String, MintError> {
    let format = &source["format"];
    let text = if let Some(file) = source.get("file").and_then(Value::as_str) {
        crate::read_credential_file(std::path::Path::new(file))
            .map_err(|e| MintError::misconfigured(format!("credential_source.file {file}: {e}")))?
    } else if let Some(url) = source.get("url").and_then(Value::as_str) {
        let url = endpoint(url, "credential_source.url")?;
        let mut request = session.client.get(url);
        if let Some(headers) = source.get("headers").and_then(Value::as_object) {
            for (name, value) in headers {
                let Some(value) = value.as_str() else {
                    return Err(MintError::misconfigured(format!(
                        "credential_source.headers.{} is not a string",
                        redact::text(name)
                    )));
                };
                // `Authorization: Bearer …` (GitHub's OIDC request token): the value and its
                // credential alone. A short value of another header (`Metadata: True`) is not
                // a credential.
                let credential = CREDENTIAL_HEADERS.contains(&name.to_ascii_lowercase().as_str());
                if credential || value.chars().count() >= MIN_SECRET_HEADER_CHARS {
                    session.remember(value);
                }
                if let Some(last) = value.split_whitespace().last()
                    && (credential || last.chars().count() >= MIN_SECRET_HEADER_CHARS)
                {
                    session.remember(last);
                }
                request = request.header(name.as_str(), value);
            }
        }
        let what = format!("credential source {}", redact::url(url));
        let body = session.fetch(request, &what).await?;
        String::from_utf8(body).map_err(|_| {
            MintError::transient(format!("{what} answered with a body that is not UTF-8"))
        })?
    } else {
        return Err(MintError::misconfigured(
            "the external_account credential_source has no `file`, `url` or `executable`",
        ));
    };
    let token = match format.get("type").and_then(Value::as_str) {
        Some("json") => {
            let name = format
                .get("subject_token_field_name")
                .and_then(Value::as_str)
                .unwrap_or_default();
            session.remember(&text);
            let v: Value = serde_json::from_str(&text).map_err(|_| {
                MintError::misconfigured("the credential source's subject token is not JSON")
            })?;
            match v.get(name) {
                Some(Value::String(token)) => token.clone(),
                _ => {
                    return Err(MintError::misconfigured(format!(
                        "the credential source's JSON has no string `{}` field",
                        redact::text(name)
                    )));
                }
            }
        }
        _ => text,
    };
    session.remember(&token);
    Ok(token)
}
