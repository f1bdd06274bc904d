//! An `external_account` with an `aws` credential source (`environment_id` `aws1`, workload
//! identity federation from AWS): the subject token is a `GetCallerIdentity` request to AWS STS
//! signed (SigV4) with the AWS credentials, which Google's STS replays to learn the caller's
//! identity; no request goes to AWS from here. As Google's libraries do: the region is
//! `AWS_REGION`, else `AWS_DEFAULT_REGION`, else the availability zone the `region_url`
//! (EC2's metadata server) names; the credentials are `AWS_ACCESS_KEY_ID` and
//! `AWS_SECRET_ACCESS_KEY` (and `AWS_SESSION_TOKEN`), else the role's credentials from `url`;
//! with `imdsv2_session_token_url`, the metadata server is asked with an IMDSv2 session token
//! (only when it is asked at all). The metadata requests go through no proxy, follow no
//! redirect and read at most [`crate::MAX_RESPONSE_BYTES`], as every request here.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::Session;
use ecluse_cred_contract::mint::MintError;
use ecluse_cred_contract::redact;

/// The only AWS environment version there is.
const ENVIRONMENT_ID: &str = "aws1";
const DEFAULT_VERIFICATION_URL: &str =
    "https://sts.{region}.amazonaws.com?Action=GetCallerIdentity&Version=2011-06-15";
/// The life asked of an IMDSv2 session token (the crate's and the SDKs' default: 6 hours).
const IMDS_TOKEN_TTL: (&str, &str) = ("x-aws-ec2-metadata-token-ttl-seconds", "21600");
const IMDS_TOKEN_HEADER: &str = "x-aws-ec2-metadata-token";
const SERVICE: &str = "sts";
const ALGORITHM: &str = "AWS4-HMAC-SHA256";

/// AWS credentials.
struct AwsCredentials {
    access_key_id: String,
    secret_access_key: String,
    session_token: Option<String>,
}

/// The subject token of an `aws` credential source, for `audience`; every AWS credential and
/// the token itself are remembered as secrets.
pub(super) async fn subject_token(
    session: &mut Session,
    source: &Value,
    audience: &str,
) -> Result<String, MintError> {
    let environment = source
        .get("environment_id")
        .and_then(Value::as_str)
        .unwrap_or_default();
    if environment != ENVIRONMENT_ID {
        return Err(MintError::misconfigured(format!(
            "credential_source.environment_id `{}` is not supported (only `{ENVIRONMENT_ID}`)",
            redact::text(environment)
        )));
    }
    let text = |name: &str| source.get(name).and_then(Value::as_str);
    let env = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    let env_region = env("AWS_REGION").or_else(|| env("AWS_DEFAULT_REGION"));
    let env_credentials = match (env("AWS_ACCESS_KEY_ID"), env("AWS_SECRET_ACCESS_KEY")) {
        (Some(access_key_id), Some(secret_access_key)) => Some(AwsCredentials {
            access_key_id,
            secret_access_key,
            session_token: env("AWS_SESSION_TOKEN"),
        }),
        _ => None,
    };
    let imds = crate::token_client_builder(session.timeout)
        .no_proxy()
        .build()
        .map_err(|e| MintError::transient(format!("cannot build an HTTP client: {e}")))?;
    // The IMDSv2 session token, only when the metadata server is asked.
    let imds_token = match text("imdsv2_session_token_url") {
        Some(url) if env_region.is_none() || env_credentials.is_none() => {
            let what = format!("the AWS metadata server {}", redact::url(url));
            let request = imds.put(url).header(IMDS_TOKEN_TTL.0, IMDS_TOKEN_TTL.1);
            let token = utf8(session.fetch(request, &what).await?, &what)?;
            session.remember(&token);
            Some(token)
        }
        _ => None,
    };
    let get = |url: &str| {
        let request = imds.get(url);
        match &imds_token {
            Some(token) => request.header(IMDS_TOKEN_HEADER, token),
            None => request,
        }
    };
    let region = match env_region {
        Some(region) => region,
        None => {
            let url = text("region_url").ok_or_else(|| {
                MintError::misconfigured(
                    "no AWS region: set AWS_REGION, or name credential_source.region_url",
                )
            })?;
            let what = format!("the AWS metadata server {}", redact::url(url));
            let zone = utf8(session.fetch(get(url), &what).await?, &what)?;
            region_of_zone(&zone).ok_or_else(|| {
                MintError::transient(format!("{what} answered without an availability zone"))
            })?
        }
    };
    let credentials = match env_credentials {
        Some(credentials) => credentials,
        None => {
            let url = text("url").ok_or_else(|| {
                MintError::misconfigured(
                    "no AWS credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or name credential_source.url",
                )
            })?;
            let what = format!("the AWS metadata server {}", redact::url(url));
            let role = utf8(session.fetch(get(url), &what).await?, &what)?;
            let role = role.trim();
            if role.is_empty() || role.contains(['/', '?', '#']) {
                return Err(MintError::transient(format!(
                    "{what} answered without a usable role name"
                )));
            }
            let url = format!("{}/{role}", url.trim_end_matches('/'));
            let what = format!("the AWS metadata server {}", redact::url(&url));
            let answer = session.fetch(get(&url), &what).await?;
            let v: Value = serde_json::from_slice(&answer)
                .map_err(|_| MintError::transient(format!("{what} answered with invalid JSON")))?;
            let field = |name: &str| v.get(name).and_then(Value::as_str).map(str::to_owned);
            if let Some(secret) = field("SecretAccessKey") {
                session.remember(&secret);
            }
            if let Some(token) = field("Token") {
                session.remember(&token);
            }
            match (field("AccessKeyId"), field("SecretAccessKey")) {
                (Some(access_key_id), Some(secret_access_key)) => AwsCredentials {
                    access_key_id,
                    secret_access_key,
                    session_token: field("Token"),
                },
                _ => {
                    return Err(MintError::transient(format!(
                        "{what} answered without `AccessKeyId` and `SecretAccessKey`"
                    )));
                }
            }
        }
    };
    session.remember(&credentials.secret_access_key);
    if let Some(token) = &credentials.session_token {
        session.remember(token);
    }
    let template = text("regional_cred_verification_url").unwrap_or(DEFAULT_VERIFICATION_URL);
    let token = signed_request(
        template,
        &region,
        &credentials,
        audience,
        jiff::Timestamp::now(),
    )?;
    session.remember(&token);
    Ok(token)
}

/// The text of a metadata answer.
fn utf8(body: Vec<u8>, what: &str) -> Result<String, MintError> {
    String::from_utf8(body)
        .map_err(|_| MintError::transient(format!("{what} answered with a body that is not UTF-8")))
}

/// The region of an availability zone (`us-east-1b` → `us-east-1`).
fn region_of_zone(zone: &str) -> Option<String> {
    let zone = zone.trim();
    let mut chars = zone.chars().rev();
    match (chars.next(), chars.next()) {
        (Some(last), Some(before)) if last.is_ascii_alphabetic() && before.is_ascii_digit() => {
            Some(zone[..zone.len() - 1].to_owned())
        }
        _ => None,
    }
}

/// The subject token: the `POST` of `GetCallerIdentity` to the verification URL (`{region}`
/// filled in), signed with SigV4 at `now`, as Google's STS expects it: the URL-encoded JSON
/// `{url, method, headers: [{key, value}], body}`.
fn signed_request(
    template: &str,
    region: &str,
    credentials: &AwsCredentials,
    audience: &str,
    now: jiff::Timestamp,
) -> Result<String, MintError> {
    let url = template.replace("{region}", region);
    let url = if url.starts_with("http") {
        url
    } else {
        format!("https://{url}")
    };
    let bad = || {
        MintError::misconfigured(format!(
            "credential_source.regional_cred_verification_url ({}) is not a URL with a host",
            redact::url(&url)
        ))
    };
    let parsed = url::Url::parse(&url).map_err(|_| bad())?;
    let host = parsed.host_str().ok_or_else(bad)?.to_owned();
    let mut headers = BTreeMap::new();
    headers.insert("host".to_owned(), host);
    headers.insert(
        "x-amz-date".to_owned(),
        now.strftime("%Y%m%dT%H%M%SZ").to_string(),
    );
    if let Some(token) = &credentials.session_token {
        headers.insert("x-amz-security-token".to_owned(), token.clone());
    }
    headers.insert(
        "x-goog-cloud-target-resource".to_owned(),
        audience.to_owned(),
    );
    let query: BTreeMap<_, _> = parsed.query_pairs().collect();
    let query = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(query)
        .finish();
    let authorization = authorization(
        "POST",
        parsed.path(),
        &query,
        &headers,
        "",
        region,
        SERVICE,
        credentials,
        now,
    );
    let headers: Vec<Value> = headers
        .into_iter()
        .chain([("Authorization".to_owned(), authorization)])
        .map(|(key, value)| json!({ "key": key, "value": value }))
        .collect();
    let request = json!({
        "url": parsed.as_str(),
        "method": "POST",
        "headers": headers,
        "body": "",
    });
    Ok(redact::form_urlencode(&request.to_string()))
}

/// The SigV4 `Authorization` header of a request to `service` (`headers` lower-case, all
/// signed).
#[allow(clippy::too_many_arguments)]
fn authorization(
    method: &str,
    path: &str,
    query: &str,
    headers: &BTreeMap<String, String>,
    body: &str,
    region: &str,
    service: &str,
    credentials: &AwsCredentials,
    now: jiff::Timestamp,
) -> String {
    let date = now.strftime("%Y%m%d").to_string();
    let stamp = now.strftime("%Y%m%dT%H%M%SZ").to_string();
    let signed_headers = headers.keys().cloned().collect::<Vec<_>>().join(";");
    let canonical_headers: String = headers
        .iter()
        .map(|(k, v)| format!("{k}:{}\n", v.trim()))
        .collect();
    let path = if path.is_empty() { "/" } else { path };
    let canonical = format!(
        "{method}\n{path}\n{query}\n{canonical_headers}\n{signed_headers}\n{}",
        sha256_hex(body.as_bytes())
    );
    let scope = format!("{date}/{region}/{service}/aws4_request");
    let to_sign = format!(
        "{ALGORITHM}\n{stamp}\n{scope}\n{}",
        sha256_hex(canonical.as_bytes())
    );
    let mut key = hmac(
        format!("AWS4{}", credentials.secret_access_key).as_bytes(),
        date.as_bytes(),
    );
    for part in [region, service, "aws4_request"] {
        key = hmac(&key, part.as_bytes());
    }
    let signature = hex(&hmac(&key, to_sign.as_bytes()));
    format!(
        "{ALGORITHM} Credential={}/{scope}, SignedHeaders={signed_headers}, Signature={signature}",
        credentials.access_key_id
    )
}

fn hmac(key: &[u8], data: &[u8]) -> Vec<u8> {
    let key = aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA256, key);
    aws_lc_rs::hmac::sign(&key, data).as_ref().to_vec()
}

fn sha256_hex(data: &[u8]) -> String {
    hex(aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, data).as_ref())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// AWS's SigV4 test suite, `get-vanilla`.
    #[test]
    fn the_signature_is_aws_sigv4() {
        let credentials = AwsCredentials {
            access_key_id: "AKIDEXAMPLE".into(),
            secret_access_key: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY".into(),
            session_token: None,
        };
        let now: jiff::Timestamp = "2015-08-30T12:36:00Z".parse().unwrap();
        let headers = BTreeMap::from([
            ("host".to_owned(), "example.amazonaws.com".to_owned()),
            ("x-amz-date".to_owned(), "20150830T123600Z".to_owned()),
        ]);
        let auth = authorization(
            "GET",
            "/",
            "",
            &headers,
            "",
            "us-east-1",
            "service",
            &credentials,
            now,
        );
        assert_eq!(
            auth,
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"
        );
    }

    #[test]
    fn a_zone_names_its_region() {
        assert_eq!(region_of_zone("us-east-1b\n").as_deref(), Some("us-east-1"));
        assert_eq!(region_of_zone("us-east-1"), None);
        assert_eq!(region_of_zone(""), None);
    }
}
