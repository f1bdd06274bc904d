//! `backend = "gcp"` against loopback fakes of Google's token endpoints: an `authorized_user`
//! `token_uri`, an `external_account_authorized_user` STS `token_url`, an `external_account`
//! STS `token_url` with a file, url or executable credential source, IAM Credentials'
//! `generateAccessToken` (impersonation), and the metadata server through
//! `GCE_METADATA_HOST`. The executable source runs a real program (a shell script).

mod common;

use std::time::{Duration, Instant};

use base64::Engine;
use common::cloud::{self, Cloud, Expiry, Wire};
use common::http::{Request, Response};
use common::*;
use ecluse_cred::policy::DEFAULT_MINT_TIMEOUT;
use serde_json::json;

/// The ADC file's secrets, long enough that every encoding of them is audited.
const REFRESH_TOKEN: &str = "1//0e-user-refresh-token-abcdef";
const CLIENT_SECRET: &str = "GOCSPX-client-secret-0123456789";
const CLIENT_ID: &str = "cid";
const SUBJECT_TOKEN: &str = "oidc-subject-token-0123456789";
/// What the `url` credential source demands in `Authorization` (GitHub's OIDC request token).
const REQUEST_TOKEN: &str = "gh-request-token-0123456789";
/// The short life a metadata server states for the token it holds.
const SHORT_EXPIRES_IN: i64 = 400;
/// The life `generateAccessToken` states in the short-lived mode.
const SHORT_EXPIRE_TIME: u64 = 500;
const IMPERSONATE_PATH: &str =
    "/v1/projects/-/serviceAccounts/sa@p.iam.gserviceaccount.com:generateAccessToken";

/// How an echoing endpoint sends the request back.
#[derive(Clone, Copy, PartialEq, Debug)]
enum Echo {
    /// As a plain-text error body.
    Text,
    /// In an RFC 6749 `error_description`.
    Description,
    /// As the RFC 6749 `error` code.
    Code,
    /// In a Google API error's `status` and `message`.
    GoogleApi,
    /// Base64-encoded, in an `error_description`.
    Base64,
    /// Upper-cased, in an `error_description`.
    Upper,
    /// In a successful answer that has no token.
    Success,
}

const ECHOES: [Echo; 7] = [
    Echo::Text,
    Echo::Description,
    Echo::Code,
    Echo::GoogleApi,
    Echo::Base64,
    Echo::Upper,
    Echo::Success,
];

#[derive(Clone, Copy, PartialEq)]
enum Mode {
    Opaque,
    /// Tokens with [`SHORT_EXPIRES_IN`] / [`SHORT_EXPIRE_TIME`] of life left.
    ShortLived,
    /// A JWT access token, without `expires_in`.
    Jwt,
    InvalidGrant,
    Unavailable,
    Hang,
    /// The endpoint whose path starts with the prefix echoes its request.
    Echo(Echo, &'static str),
    /// The endpoint whose path starts with the prefix answers 307 to another server.
    Redirect(&'static str),
    /// Token answers whose `expires_in` is this JSON text (`""`: none).
    ExpiresIn(&'static str),
    /// `generateAccessToken` answers whose `expireTime` is this text (`""`: none).
    ExpireTime(&'static str),
}

/// The AWS credentials of the `aws` credential source, from the fake EC2 metadata server.
const AWS_SECRET_KEY: &str = "aws-secret-access-key-0123456789";
const AWS_SESSION_TOKEN: &str = "aws-session-token-0123456789";
const IMDS_TOKEN: &str = "imds-session-token-0123456789";
const AWS_SUBJECT_TYPE: &str = "urn:ietf:params:aws:token-type:aws4_request";
/// The EC2 metadata paths the `aws` credential source names.
const IMDS_TOKEN_PATH: &str = "/latest/api/token";
const IMDS_ZONE_PATH: &str = "/latest/meta-data/placement/availability-zone";
const IMDS_ROLE_PATH: &str = "/latest/meta-data/iam/security-credentials";
/// `external_account_authorized_user`'s STS token endpoint.
const WORKFORCE_PATH: &str = "/v1/oauthtoken";

/// The `exp` of the fake's JWT access tokens: 50 minutes from when the tests started (a real
/// token's lifetime; an expiry decades away is refused as absurd).
static JWT_EXP: std::sync::LazyLock<i64> = std::sync::LazyLock::new(|| now_ms() / 1000 + 3000);

fn jwt() -> String {
    let exp = *JWT_EXP;
    let enc = |s: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s);
    format!(
        "{}.{}.sig",
        enc(r#"{"alg":"RS256"}"#),
        enc(&format!(r#"{{"exp":{exp}}}"#))
    )
}

/// The shared Google fake, checking what each kind of credential must send, with the
/// endpoints a flow asks before the token endpoint (a url subject token, EC2 metadata) on the
/// same server.
struct Fake {
    server: Cloud,
    /// Where a redirect points: it must never be asked.
    thief: Cloud,
}

impl Fake {
    fn start() -> Fake {
        let thief = Cloud::start(Wire::Google, "ya29.stolen-");
        let server = Cloud::routed(Wire::Google, "ya29.fake-", |r: &Request| {
            if let Err(why) = check(r) {
                return Some(Wire::Google.error(400, "invalid_request", &why));
            }
            let text = |body: &str| Response {
                status: 200,
                headers: vec![("content-type".into(), "text/plain".into())],
                body: body.as_bytes().to_vec(),
                delay: Duration::ZERO,
            };
            match r.path() {
                "/subject" => Some(Response::json(200, json!({ "value": SUBJECT_TOKEN }))),
                IMDS_TOKEN_PATH => Some(text(IMDS_TOKEN)),
                IMDS_ZONE_PATH => Some(text("us-east-1b")),
                IMDS_ROLE_PATH => Some(text("role-x\n")),
                p if p == format!("{IMDS_ROLE_PATH}/role-x") => Some(Response::json(
                    200,
                    json!({"Code": "Success", "AccessKeyId": "ASIAFAKEKEY", "SecretAccessKey": AWS_SECRET_KEY, "Token": AWS_SESSION_TOKEN}),
                )),
                _ => None,
            }
        });
        Fake { server, thief }
    }

    fn set(&self, mode: Mode) {
        let fake = &self.server;
        fake.reset();
        match mode {
            Mode::Opaque => {}
            Mode::ShortLived => {
                fake.expiry(Expiry::In(Duration::from_secs(SHORT_EXPIRES_IN as u64)));
                fake.expiry_on(
                    IMPERSONATE_PATH,
                    Expiry::In(Duration::from_secs(SHORT_EXPIRE_TIME)),
                );
            }
            Mode::Jwt => {
                fake.fixed_token(&jwt());
                fake.expiry(Expiry::Omitted);
            }
            Mode::InvalidGrant => {
                fake.fail(400, "invalid_grant", "Token has been expired or revoked.")
            }
            Mode::Unavailable => fake.fail(503, "unavailable", "try later"),
            Mode::Hang => fake.delay(cloud::HANG),
            Mode::Echo(how, at) => {
                fake.answer_with(move |r| r.path().starts_with(at).then(|| echo(r, how)))
            }
            Mode::Redirect(at) => {
                let location = format!(
                    "http://thief:pw@127.0.0.1:{}/steal?code=xyz",
                    self.thief.port
                );
                fake.answer_with(move |r| {
                    r.path()
                        .starts_with(at)
                        .then(|| Response::json(307, json!({})).with_header("location", &location))
                })
            }
            Mode::ExpiresIn("") => fake.expiry(Expiry::Omitted),
            Mode::ExpiresIn(text) => {
                fake.expiry(Expiry::Stated(serde_json::from_str(text).unwrap()))
            }
            Mode::ExpireTime("") => fake.expiry_on(IMPERSONATE_PATH, Expiry::Omitted),
            Mode::ExpireTime(text) => fake.expiry_on(IMPERSONATE_PATH, Expiry::Stated(text.into())),
        }
    }

    fn issued(&self) -> Vec<String> {
        self.server.issued()
    }

    fn requests_to(&self, path: &str) -> Vec<Request> {
        self.server
            .requests()
            .into_iter()
            .filter(|r| r.path() == path)
            .collect()
    }
}

/// The request as text: what an echoing server quotes.
fn dump(r: &Request) -> String {
    let headers: String = r
        .headers
        .iter()
        .map(|(k, v)| format!("{k}: {v}\n"))
        .collect();
    format!(
        "{} {}\n{headers}\n{}",
        r.method,
        r.target,
        String::from_utf8_lossy(&r.body)
    )
}

fn echo(r: &Request, how: Echo) -> Response {
    let text = dump(r);
    let described = |d: String| json!({"error": "invalid_request", "error_description": d});
    match how {
        Echo::Text => Response {
            status: 400,
            headers: vec![("content-type".into(), "text/plain".into())],
            body: text.into_bytes(),
            delay: Duration::ZERO,
        },
        Echo::Description => Response::json(400, described(text)),
        Echo::Code => Response::json(400, json!({ "error": text })),
        Echo::GoogleApi => Response::json(
            403,
            json!({"error": {"code": 403, "status": text, "message": text}}),
        ),
        Echo::Base64 => Response::json(
            400,
            described(base64::engine::general_purpose::STANDARD.encode(&text)),
        ),
        Echo::Upper => Response::json(400, described(text.to_uppercase())),
        Echo::Success => Response::json(200, json!({ "echo": text })),
    }
}

/// What each kind of credential must send.
fn check(r: &Request) -> Result<(), String> {
    match (r.method.as_str(), r.path()) {
        ("POST", "/token") => {
            let body: serde_json::Value =
                serde_json::from_slice(&r.body).map_err(|e| format!("body: {e}"))?;
            if body["grant_type"] != "refresh_token"
                || body["refresh_token"] != REFRESH_TOKEN
                || body["client_id"] != CLIENT_ID
                || body["client_secret"] != CLIENT_SECRET
            {
                return Err("bad refresh request".into());
            }
            Ok(())
        }
        ("POST", WORKFORCE_PATH) => {
            let pair = base64::engine::general_purpose::STANDARD
                .encode(format!("{CLIENT_ID}:{CLIENT_SECRET}"));
            if r.header("authorization") != Some(&format!("Basic {pair}"))
                || r.param("grant_type", true).as_deref() != Some("refresh_token")
                || r.param("refresh_token", true).as_deref() != Some(REFRESH_TOKEN)
            {
                return Err("bad workforce refresh request".into());
            }
            Ok(())
        }
        ("POST", "/v1/token") => {
            let grant = r.param("grant_type", true).unwrap_or_default();
            let subject = r.param("subject_token", true).unwrap_or_default();
            let good = if r.param("subject_token_type", true).as_deref() == Some(AWS_SUBJECT_TYPE) {
                aws_subject_is_signed(&subject)
            } else {
                subject == SUBJECT_TOKEN
            };
            if grant != "urn:ietf:params:oauth:grant-type:token-exchange" || !good {
                return Err(format!("bad token exchange: grant {grant}"));
            }
            Ok(())
        }
        ("POST", IMPERSONATE_PATH) => {
            let bearer = r.header("authorization").unwrap_or_default();
            let body: serde_json::Value =
                serde_json::from_slice(&r.body).map_err(|e| format!("body: {e}"))?;
            if !bearer.starts_with("Bearer ya29.fake-") || !body["scope"].is_array() {
                return Err("bad generateAccessToken request".into());
            }
            Ok(())
        }
        ("PUT", IMDS_TOKEN_PATH) => match r.header("x-aws-ec2-metadata-token-ttl-seconds") {
            Some(_) => Ok(()),
            None => Err("no IMDSv2 token ttl".into()),
        },
        ("GET", p) if p.starts_with("/latest/meta-data/") => {
            match r.header("x-aws-ec2-metadata-token") {
                Some(IMDS_TOKEN) => Ok(()),
                _ => Err("no IMDSv2 session token".into()),
            }
        }
        ("GET", "/subject") => {
            if r.header("authorization") != Some(&format!("Bearer {REQUEST_TOKEN}")) {
                return Err("missing the request token".into());
            }
            Ok(())
        }
        ("GET", "/computeMetadata/v1/instance/service-accounts/default/token") => {
            if r.header("metadata-flavor") != Some("Google") {
                return Err("missing Metadata-Flavor: Google".into());
            }
            Ok(())
        }
        (m, p) => Err(format!("unexpected {m} {p}")),
    }
}

/// Whether an `aws` subject token is the signed `GetCallerIdentity` request Google's STS
/// replays: URL-encoded JSON, for the region of the fake's zone, with the role's session token,
/// the audience as the target resource, and a SigV4 `Authorization` over all of them.
fn aws_subject_is_signed(subject: &str) -> bool {
    let decoded: String = url::form_urlencoded::parse(format!("x={subject}").as_bytes())
        .map(|(_, v)| v.into_owned())
        .collect();
    let Ok(v) = serde_json::from_str::<serde_json::Value>(&decoded) else {
        return false;
    };
    let header = |name: &str| {
        v["headers"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|h| h["key"] == name)
            .and_then(|h| h["value"].as_str())
            .unwrap_or_default()
            .to_owned()
    };
    let authorization = header("Authorization");
    v["url"] == "https://sts.us-east-1.amazonaws.com/?Action=GetCallerIdentity&Version=2011-06-15"
        && v["method"] == "POST"
        && header("host") == "sts.us-east-1.amazonaws.com"
        && header("x-amz-security-token") == AWS_SESSION_TOKEN
        && header("x-goog-cloud-target-resource") == AUDIENCE
        && authorization.starts_with("AWS4-HMAC-SHA256 Credential=ASIAFAKEKEY/")
        && authorization.contains("/us-east-1/sts/aws4_request, SignedHeaders=host;x-amz-date;x-amz-security-token;x-goog-cloud-target-resource, Signature=")
}

#[derive(Clone, Copy, PartialEq, Debug)]
enum Adc {
    AuthorizedUser,
    /// A file credential source.
    ExternalAccount,
    /// A file credential source, the exchange authenticated by a client id and secret.
    ExternalAccountClient,
    /// A url credential source (with a bearer header) and service account impersonation.
    ExternalAccountImpersonated,
    /// `impersonated_service_account` with `authorized_user` source credentials.
    Impersonated,
    MetadataServer,
    /// `external_account_authorized_user` (workforce identity federation).
    Workforce,
    /// An executable credential source (a script printing [`SUBJECT_TOKEN`]).
    ExternalAccountExecutable,
    /// An `aws` credential source, its region and role credentials from the fake EC2 metadata
    /// server (IMDSv2).
    ExternalAccountAws,
}

/// The executable source's `timeout_millis`: a run that waits for output that never ends
/// (what a left-behind process holds open, `yes`) is cut only then.
const EXECUTABLE_TIMEOUT: Duration = Duration::from_secs(10);

/// The audience of the external_account files.
const AUDIENCE: &str =
    "//iam.googleapis.com/projects/1/locations/global/workloadIdentityPools/p/providers/gh";

/// The executable credential source: records its environment and each run next to itself, and
/// prints the subject token as Google's executable-sourced credentials answer.
const EXECUTABLE: &str = r#"#!/bin/sh
here=$(dirname "$0")
env | grep '^GOOGLE_EXTERNAL_ACCOUNT_' | sort > "$here/exec-env"
echo run >> "$here/exec-runs"
now=$(date +%s)
printf '{"version":1,"success":true,"token_type":"urn:ietf:params:oauth:token-type:jwt","id_token":"%s","expiration_time":%d}' "$SUBJECT" $((now + 3600))
"#;

fn sandbox(fake: &Fake, adc: Adc, extra: &str) -> (Sandbox, Vec<(String, String)>) {
    let sb = Sandbox::new("");
    fake.server.audit_in(sb.issued_log());
    sb.write_raw_config(&format!("[targets.gar]\nbackend = \"gcp\"\n{extra}\n"));
    let adc_file = sb.dir.path().join("adc.json");
    let subject = sb.dir.path().join("subject-token");
    std::fs::write(&subject, SUBJECT_TOKEN).unwrap();
    let url = fake.server.url();
    let user = json!({
        "type": "authorized_user", "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET,
        "refresh_token": REFRESH_TOKEN, "token_uri": format!("{url}/token"),
    });
    let external = json!({
        "type": "external_account",
        "audience": AUDIENCE,
        "subject_token_type": "urn:ietf:params:oauth:token-type:jwt",
        "token_url": format!("{url}/v1/token"),
        "credential_source": { "file": subject.display().to_string() },
    });
    let json = match adc {
        Adc::AuthorizedUser => user,
        Adc::ExternalAccount => external,
        Adc::ExternalAccountClient => {
            let mut json = external;
            json["client_id"] = CLIENT_ID.into();
            json["client_secret"] = CLIENT_SECRET.into();
            json
        }
        Adc::ExternalAccountImpersonated => {
            let mut json = external;
            json["credential_source"] = json!({
                "url": format!("{url}/subject"),
                "headers": { "Authorization": format!("Bearer {REQUEST_TOKEN}") },
                "format": { "type": "json", "subject_token_field_name": "value" },
            });
            json["service_account_impersonation_url"] = format!("{url}{IMPERSONATE_PATH}").into();
            json
        }
        Adc::Impersonated => json!({
            "type": "impersonated_service_account",
            "service_account_impersonation_url": format!("{url}{IMPERSONATE_PATH}"),
            "source_credentials": user,
        }),
        Adc::MetadataServer => serde_json::Value::Null,
        Adc::Workforce => json!({
            "type": "external_account_authorized_user",
            "audience": "//iam.googleapis.com/locations/global/workforcePools/p/providers/o",
            "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET,
            "refresh_token": REFRESH_TOKEN, "token_url": format!("{url}{WORKFORCE_PATH}"),
            "token_info_url": format!("{url}/v1/introspect"),
        }),
        Adc::ExternalAccountAws => {
            let mut json = external;
            json["subject_token_type"] = AWS_SUBJECT_TYPE.into();
            json["credential_source"] = json!({
                "environment_id": "aws1",
                "region_url": format!("{url}{IMDS_ZONE_PATH}"),
                "url": format!("{url}{IMDS_ROLE_PATH}"),
                "imdsv2_session_token_url": format!("{url}{IMDS_TOKEN_PATH}"),
                "regional_cred_verification_url": "https://sts.{region}.amazonaws.com?Action=GetCallerIdentity&Version=2011-06-15",
            });
            json
        }
        Adc::ExternalAccountExecutable => {
            let script = sb.dir.path().join("exec.sh");
            std::fs::write(&script, EXECUTABLE.replace("$SUBJECT", SUBJECT_TOKEN)).unwrap();
            std::fs::set_permissions(&script, std::os::unix::fs::PermissionsExt::from_mode(0o755))
                .unwrap();
            sb.allow_token_in(&script);
            let mut json = external;
            json["credential_source"] = json!({
                "executable": { "command": format!("{} --flag", script.display()), "timeout_millis": EXECUTABLE_TIMEOUT.as_millis() as u64 },
            });
            json
        }
    };
    let mut env = vec![
        (
            "GCE_METADATA_HOST".to_owned(),
            format!("127.0.0.1:{}", fake.server.port),
        ),
        (
            "GOOGLE_EXTERNAL_ACCOUNT_ALLOW_EXECUTABLES".to_owned(),
            "1".to_owned(),
        ),
    ];
    for secret in [
        REFRESH_TOKEN,
        CLIENT_SECRET,
        SUBJECT_TOKEN,
        REQUEST_TOKEN,
        AWS_SECRET_KEY,
        AWS_SESSION_TOKEN,
        IMDS_TOKEN,
    ] {
        sb.secret(secret);
    }
    sb.basic_pair(CLIENT_ID, CLIENT_SECRET);
    // The ADC file and the subject token file are where Google's own secrets live.
    sb.allow_token_in(&adc_file);
    sb.allow_token_in(&subject);
    if !json.is_null() {
        std::fs::write(&adc_file, json.to_string()).unwrap();
        env.push((
            "GOOGLE_APPLICATION_CREDENTIALS".into(),
            adc_file.display().to_string(),
        ));
    }
    (sb, env)
}

fn run(sb: &Sandbox, env: &[(String, String)], args: &[&str]) -> std::process::Output {
    let mut c = sb.cmd(args);
    for (k, v) in env {
        c.env(k, v);
    }
    c.output()
}

fn entry(sb: &Sandbox) -> cache::Entry {
    cache::entry(&sb.cache_file_of("gar")).expect("an entry cached for gar")
}

/// The cached entry's life from its mint (ms), its expiry source, and whether it is due for
/// refresh strictly inside that life.
fn life(sb: &Sandbox) -> (i64, String, bool) {
    let e = entry(sb);
    let (issued, refresh, expires) = (e.issued_at, e.refresh_at, e.expires_at);
    (
        expires - issued,
        e.expiry_source,
        issued < refresh && refresh < expires,
    )
}

#[test]
fn a_metadata_token_expires_when_the_server_says_and_is_refreshed_before() {
    let fake = Fake::start();
    fake.set(Mode::ShortLived);
    let (sb, env) = sandbox(&fake, Adc::MetadataServer, "");
    let out = run(&sb, &env, &["token", "--target", "gar"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let first = stdout(&out);
    assert!(first.starts_with("ya29.fake-"));
    // The life the server stated, counted from the start of the mint; not an assumed hour.
    let (life_ms, source, refresh_inside) = life(&sb);
    assert_eq!(
        (life_ms, source.as_str()),
        (SHORT_EXPIRES_IN * 1000, "expires_in")
    );
    assert!(refresh_inside, "due for refresh before it expires");
    let asked = fake.requests_to("/computeMetadata/v1/instance/service-accounts/default/token");
    assert_eq!(asked.len(), 1);
    assert_eq!(
        asked[0].param("scopes", false).as_deref(),
        Some("https://www.googleapis.com/auth/cloud-platform")
    );
    let status: serde_json::Value =
        serde_json::from_slice(&run(&sb, &env, &["status", "--format", "json"]).stdout).unwrap();
    assert_eq!(status["targets"][0]["expiry_source"], "expires_in");
    // Once due (still valid), the next caller gets a new token.
    cache::edit_entry(&sb.cache_file_of("gar"), |e| e.refresh_at = now_ms() - 1000);
    let out = run(&sb, &env, &["token", "--target", "gar", "--no-background"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_ne!(stdout(&out), first);
    assert_eq!(fake.server.count(), 2);
}

#[test]
fn a_metadata_token_of_a_full_hour_is_cached_for_that_hour() {
    let fake = Fake::start();
    let (sb, env) = sandbox(&fake, Adc::MetadataServer, "");
    let out = run(&sb, &env, &["token", "--target", "gar"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(life(&sb).0, 3599 * 1000);
    run(&sb, &env, &["token", "--target", "gar"]);
    assert_eq!(fake.server.count(), 1, "served from the cache");
}

#[test]
fn an_authorized_user_token_expires_when_the_server_says_not_after_the_configured_lifetime() {
    let fake = Fake::start();
    fake.set(Mode::ShortLived);
    let (sb, env) = sandbox(&fake, Adc::AuthorizedUser, "lifetime = \"30m\"");
    let out = run(&sb, &env, &["token", "--target", "gar"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).starts_with("ya29.fake-"));
    let (life_ms, source, refresh_inside) = life(&sb);
    assert_eq!(
        (life_ms, source.as_str()),
        (SHORT_EXPIRES_IN * 1000, "expires_in")
    );
    assert!(refresh_inside);
    let asked = fake.requests_to("/token");
    let body: serde_json::Value = serde_json::from_slice(&asked[0].body).unwrap();
    assert_eq!(
        body["scope"],
        "https://www.googleapis.com/auth/cloud-platform"
    );
    // Cached path: no request. Status names the expiry source and the default username.
    run(&sb, &env, &["token", "--target", "gar"]);
    assert_eq!(fake.server.count(), 1);
    let status: serde_json::Value =
        serde_json::from_slice(&run(&sb, &env, &["status", "--format", "json"]).stdout).unwrap();
    assert_eq!(status["targets"][0]["expiry_source"], "expires_in");
    assert_eq!(status["targets"][0]["username"], "oauth2accesstoken");
}

/// Rewrite the sandbox's ADC file.
fn edit_adc(sb: &Sandbox, edit: impl FnOnce(&mut serde_json::Value)) {
    let file = sb.dir.path().join("adc.json");
    let mut json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
    edit(&mut json);
    std::fs::write(&file, json.to_string()).unwrap();
}

#[test]
fn an_answer_without_a_usable_expiry_is_a_transient_failure_not_an_assumed_lifetime() {
    let adcs = [
        Adc::AuthorizedUser,
        Adc::MetadataServer,
        Adc::Workforce,
        Adc::ExternalAccount,
    ];
    for adc in adcs {
        for bad in ["", "0", "-30", "\"soon\"", "null"] {
            let fake = Fake::start();
            fake.set(Mode::ExpiresIn(bad));
            let (sb, env) = sandbox(&fake, adc, "lifetime = \"30m\"");
            let out = run(&sb, &env, &["token", "--target", "gar"]);
            let err = stderr(&out);
            assert_eq!(out.status.code(), Some(75), "{adc:?} {bad:?}: {err}");
            assert!(err.contains("expires_in"), "{adc:?} {bad:?}: {err}");
            assert!(stdout(&out).is_empty());
        }
        // Next to it, a numeric string is a stated expiry.
        let fake = Fake::start();
        fake.set(Mode::ExpiresIn("\"400\""));
        let (sb, env) = sandbox(&fake, adc, "lifetime = \"30m\"");
        let out = run(&sb, &env, &["token", "--target", "gar"]);
        assert!(out.status.success(), "{adc:?}: {}", stderr(&out));
        assert_eq!(life(&sb).0, 400 * 1000, "{adc:?}");
    }
    for bad in [
        "",
        "tomorrow",
        "1969-12-31T23:00:00Z",
        "2001-01-01T00:00:00+00:00",
    ] {
        let fake = Fake::start();
        fake.set(Mode::ExpireTime(bad));
        let (sb, env) = sandbox(&fake, Adc::Impersonated, "");
        let out = run(&sb, &env, &["token", "--target", "gar"]);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(75), "{bad:?}: {err}");
        assert!(err.contains("expireTime"), "{bad:?}: {err}");
    }
}

#[test]
fn an_expire_time_with_an_offset_is_read_as_stated() {
    let fake = Fake::start();
    // An hour from now, in whole seconds, written with `+00:00` rather than `Z`.
    let at = now_ms() / 1000 + 3600;
    let stated = jiff::Timestamp::from_second(at)
        .unwrap()
        .to_string()
        .replace('Z', "+00:00");
    assert!(stated.ends_with("+00:00"), "{stated}");
    fake.server
        .expiry_on(IMPERSONATE_PATH, Expiry::Stated(stated.into()));
    let (sb, env) = sandbox(&fake, Adc::Impersonated, "");
    let out = run(&sb, &env, &["token", "--target", "gar"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let e = entry(&sb);
    assert_eq!(e.expiry_source, "expireTime");
    assert_eq!(e.expires_at, at * 1000);
}

#[test]
fn workforce_credentials_refresh_at_sts_with_basic_auth_and_keep_the_stated_expiry() {
    let fake = Fake::start();
    fake.set(Mode::ShortLived);
    let (sb, env) = sandbox(&fake, Adc::Workforce, "lifetime = \"2h\"");
    let out = run(&sb, &env, &["token", "--target", "gar"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).starts_with("ya29.fake-"));
    let (life_ms, source, refresh_inside) = life(&sb);
    assert_eq!(
        (life_ms, source.as_str()),
        (SHORT_EXPIRES_IN * 1000, "expires_in")
    );
    assert!(refresh_inside);
    // One refresh-token grant (checked by the fake: Basic client, grant, refresh token), no
    // scope (STS grants the login's).
    let asked = fake.requests_to(WORKFORCE_PATH);
    assert_eq!((asked.len(), fake.server.count()), (1, 1));
    assert_eq!(asked[0].param("scope", true), None);
    assert_eq!(asked[0].param("client_secret", true), None, "only in Basic");
}

/// The sandbox's executable's records: its environment, and how often it ran.
fn executable_runs(sb: &Sandbox) -> (String, usize) {
    let dir = sb.dir.path();
    (
        std::fs::read_to_string(dir.join("exec-env")).unwrap_or_default(),
        std::fs::read_to_string(dir.join("exec-runs"))
            .unwrap_or_default()
            .lines()
            .count(),
    )
}

#[test]
fn an_executable_source_runs_its_program_directly_and_its_token_is_exchanged() {
    let fake = Fake::start();
    fake.set(Mode::ShortLived);
    let (sb, env) = sandbox(&fake, Adc::ExternalAccountExecutable, "");
    let out = run(&sb, &env, &["token", "--target", "gar"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).starts_with("ya29.fake-"));
    assert_eq!(
        life(&sb).0,
        SHORT_EXPIRES_IN * 1000,
        "the STS answer's expiry"
    );
    // The fake checked that the subject token is the program's `id_token`.
    assert_eq!(fake.requests_to("/v1/token").len(), 1);
    let (environment, runs) = executable_runs(&sb);
    assert_eq!(runs, 1);
    for line in [
        format!("GOOGLE_EXTERNAL_ACCOUNT_AUDIENCE={AUDIENCE}"),
        "GOOGLE_EXTERNAL_ACCOUNT_INTERACTIVE=0".to_owned(),
        "GOOGLE_EXTERNAL_ACCOUNT_TOKEN_TYPE=urn:ietf:params:oauth:token-type:jwt".to_owned(),
    ] {
        assert!(
            environment.lines().any(|l| l == line),
            "{line}: {environment}"
        );
    }
    assert!(!environment.contains("IMPERSONATED_EMAIL") && !environment.contains("OUTPUT_FILE"));

    // Without GOOGLE_EXTERNAL_ACCOUNT_ALLOW_EXECUTABLES=1 nothing runs.
    let (sb, env) = sandbox(&fake, Adc::ExternalAccountExecutable, "");
    let env: Vec<_> = env
        .into_iter()
        .filter(|(k, _)| k != "GOOGLE_EXTERNAL_ACCOUNT_ALLOW_EXECUTABLES")
        .collect();
    let out = run(&sb, &env, &["token", "--target", "gar"]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(78), "{err}");
    assert!(
        err.contains("GOOGLE_EXTERNAL_ACCOUNT_ALLOW_EXECUTABLES=1"),
        "{err}"
    );
    assert_eq!(executable_runs(&sb).1, 0);
    assert_eq!(fake.server.count(), 1, "no new request");
}

#[test]
fn an_executables_output_file_is_used_while_valid_and_the_program_runs_once_it_expired() {
    let fake = Fake::start();
    let (sb, env) = sandbox(&fake, Adc::ExternalAccountExecutable, "");
    let cache = sb.dir.path().join("exec-cache.json");
    sb.allow_token_in(&cache);
    edit_adc(&sb, |json| {
        json["credential_source"]["executable"]["output_file"] = cache.display().to_string().into();
    });
    let cached = |expiration: i64| {
        json!({
            "version": 1, "success": true, "id_token": SUBJECT_TOKEN,
            "token_type": "urn:ietf:params:oauth:token-type:id_token",
            "expiration_time": expiration,
        })
        .to_string()
    };
    std::fs::write(&cache, cached(now_ms() / 1000 + 600)).unwrap();
    let out = run(&sb, &env, &["token", "--target", "gar"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(executable_runs(&sb).1, 0, "the cached answer was used");
    assert_eq!(fake.requests_to("/v1/token").len(), 1);

    std::fs::write(&cache, cached(now_ms() / 1000 - 10)).unwrap();
    std::fs::remove_file(sb.cache_file_of("gar")).unwrap();
    let out = run(&sb, &env, &["token", "--target", "gar"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let (environment, runs) = executable_runs(&sb);
    assert_eq!(runs, 1, "an expired answer is not used");
    assert!(
        environment.contains(&format!(
            "GOOGLE_EXTERNAL_ACCOUNT_OUTPUT_FILE={}",
            cache.display()
        )),
        "{environment}"
    );
}

#[test]
fn an_executable_is_done_when_it_exits_and_what_it_left_behind_is_killed() {
    let fake = Fake::start();
    let (sb, env) = sandbox(&fake, Adc::ExternalAccountExecutable, "");
    let script = sb.dir.path().join("exec.sh");
    let pid_file = sb.dir.path().join("left-behind.pid");
    // A process left behind with the program's stdout, as `(sleep 1000) &` in a wrapper.
    let text = std::fs::read_to_string(&script).unwrap().replace(
        "now=$(date +%s)",
        &format!(
            "sleep 1000 &\necho $! > {}\nnow=$(date +%s)",
            pid_file.display()
        ),
    );
    std::fs::write(&script, text).unwrap();
    let started = Instant::now();
    let out = run(&sb, &env, &["token", "--target", "gar"]);
    assert!(out.status.success(), "{}", stderr(&out));
    // Waiting for the left-behind process to close the output would run into the timeout.
    assert!(
        started.elapsed() < EXECUTABLE_TIMEOUT,
        "{:?}",
        started.elapsed()
    );
    let pid = std::fs::read_to_string(&pid_file).unwrap();
    let proc = std::path::PathBuf::from(format!("/proc/{}", pid.trim()));
    // Generous: only a process that was never killed stays (its `sleep 1000`).
    let gone = wait_until(Duration::from_secs(20), || !proc.exists());
    assert!(gone, "the process the program left behind still runs");
}

#[test]
fn an_executable_that_prints_without_end_or_fails_is_a_transient_failure() {
    let fake = Fake::start();
    for (command, expected) in [
        ("yes", "more than 1048576 bytes"),
        ("false", "exit status 1"),
    ] {
        let (sb, env) = sandbox(&fake, Adc::ExternalAccountExecutable, "");
        edit_adc(&sb, |json| {
            json["credential_source"]["executable"]["command"] = command.into();
        });
        let started = Instant::now();
        let out = run(&sb, &env, &["token", "--target", "gar"]);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(75), "{command}: {err}");
        assert!(err.contains(expected), "{command}: {err}");
        // Cut by the cap or the exit, not by the timeout.
        assert!(started.elapsed() < EXECUTABLE_TIMEOUT, "{command}");
    }
    assert_eq!(fake.server.count(), 0);
}

#[test]
fn impersonation_asks_for_the_files_token_lifetime() {
    for (lifetime, asked) in [
        (None, Some("3600s")),
        (Some(900), Some("900s")),
        (Some(30), None),
    ] {
        let fake = Fake::start();
        let (sb, env) = sandbox(&fake, Adc::ExternalAccountImpersonated, "");
        if let Some(seconds) = lifetime {
            edit_adc(&sb, |json| {
                json["service_account_impersonation"] =
                    json!({ "token_lifetime_seconds": seconds });
            });
        }
        let out = run(&sb, &env, &["token", "--target", "gar"]);
        let generate = fake.requests_to(IMPERSONATE_PATH);
        match asked {
            Some(asked) => {
                assert!(out.status.success(), "{lifetime:?}: {}", stderr(&out));
                let body: serde_json::Value = serde_json::from_slice(&generate[0].body).unwrap();
                assert_eq!(body["lifetime"], asked);
            }
            None => {
                let err = stderr(&out);
                assert_eq!(out.status.code(), Some(78), "{err}");
                assert!(err.contains("token_lifetime_seconds"), "{err}");
                assert_eq!(fake.server.count(), 0, "refused before any request");
            }
        }
    }
}

#[test]
fn a_url_source_header_that_is_not_a_string_is_refused() {
    let fake = Fake::start();
    let (sb, env) = sandbox(&fake, Adc::ExternalAccountImpersonated, "");
    edit_adc(&sb, |json| {
        json["credential_source"]["headers"]["Metadata"] = true.into();
    });
    let out = run(&sb, &env, &["token", "--target", "gar"]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(78), "{err}");
    assert!(err.contains("headers.Metadata"), "{err}");
    assert_eq!(fake.server.count(), 0);
}

#[test]
fn an_aws_credential_source_signs_get_caller_identity_with_the_roles_credentials() {
    let fake = Fake::start();
    fake.set(Mode::ShortLived);
    let (sb, env) = sandbox(&fake, Adc::ExternalAccountAws, "");
    let out = run(&sb, &env, &["token", "--target", "gar"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).starts_with("ya29.fake-"));
    assert_eq!(
        life(&sb).0,
        SHORT_EXPIRES_IN * 1000,
        "the STS answer's expiry"
    );
    // IMDSv2: a session token, then the zone, the role and its credentials; the fake checked
    // the signed request in the exchange.
    let paths: Vec<String> = fake
        .server
        .requests()
        .iter()
        .map(|r| r.path().to_owned())
        .collect();
    assert_eq!(
        paths,
        [
            IMDS_TOKEN_PATH.to_owned(),
            IMDS_ZONE_PATH.to_owned(),
            IMDS_ROLE_PATH.to_owned(),
            format!("{IMDS_ROLE_PATH}/role-x"),
            "/v1/token".to_owned(),
        ]
    );

    // With the region and credentials in the environment, the metadata server is not asked.
    let fake = Fake::start();
    let (sb, mut env) = sandbox(&fake, Adc::ExternalAccountAws, "");
    for (k, v) in [
        ("AWS_REGION", "us-east-1"),
        ("AWS_ACCESS_KEY_ID", "ASIAFAKEKEY"),
        ("AWS_SECRET_ACCESS_KEY", AWS_SECRET_KEY),
        ("AWS_SESSION_TOKEN", AWS_SESSION_TOKEN),
    ] {
        env.push((k.to_owned(), v.to_owned()));
    }
    let out = run(&sb, &env, &["token", "--target", "gar"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let paths: Vec<String> = fake
        .server
        .requests()
        .iter()
        .map(|r| r.path().to_owned())
        .collect();
    assert_eq!(paths, ["/v1/token"]);
}

#[test]
fn a_jwt_access_token_without_expires_in_expires_at_its_exp_claim() {
    let fake = Fake::start();
    fake.set(Mode::Jwt);
    let (sb, env) = sandbox(&fake, Adc::AuthorizedUser, "");
    let out = run(&sb, &env, &["token", "--target", "gar"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let e = entry(&sb);
    assert_eq!(
        (e.expiry_source.as_str(), e.expires_at),
        ("jwt", *JWT_EXP * 1000)
    );
}

#[test]
fn external_account_exchanges_the_file_subject_token_and_keeps_the_stated_expiry() {
    for (adc, mode, life_ms) in [
        (Adc::ExternalAccount, Mode::Opaque, 3599 * 1000),
        (
            Adc::ExternalAccount,
            Mode::ShortLived,
            SHORT_EXPIRES_IN * 1000,
        ),
        (
            Adc::ExternalAccountClient,
            Mode::ShortLived,
            SHORT_EXPIRES_IN * 1000,
        ),
    ] {
        let fake = Fake::start();
        fake.set(mode);
        let (sb, env) = sandbox(&fake, adc, "");
        let out = run(&sb, &env, &["token", "--target", "gar"]);
        assert!(out.status.success(), "{adc:?}: {}", stderr(&out));
        assert!(stdout(&out).starts_with("ya29.fake-"));
        let reqs = fake.server.requests();
        assert_eq!(reqs.len(), 1);
        assert_eq!(reqs[0].path(), "/v1/token");
        assert_eq!(
            reqs[0].param("scope", true).as_deref(),
            Some("https://www.googleapis.com/auth/cloud-platform")
        );
        let basic = reqs[0].header("authorization");
        if adc == Adc::ExternalAccountClient {
            let pair = base64::engine::general_purpose::STANDARD
                .encode(format!("{CLIENT_ID}:{CLIENT_SECRET}"));
            assert_eq!(basic, Some(format!("Basic {pair}").as_str()));
        } else {
            assert_eq!(basic, None);
        }
        let (life, source, refresh_inside) = life(&sb);
        assert_eq!((life, source.as_str()), (life_ms, "expires_in"), "{adc:?}");
        assert!(refresh_inside);
    }
}

#[test]
fn impersonation_expires_at_the_stated_expire_time() {
    for adc in [Adc::ExternalAccountImpersonated, Adc::Impersonated] {
        let fake = Fake::start();
        fake.set(Mode::ShortLived);
        let (sb, env) = sandbox(&fake, adc, "lifetime = \"30m\"");
        let out = run(&sb, &env, &["token", "--target", "gar"]);
        assert!(out.status.success(), "{adc:?}: {}", stderr(&out));
        let issued = fake.issued();
        assert_eq!(
            stdout(&out).trim_end(),
            issued.last().unwrap(),
            "the impersonated token"
        );
        let e = entry(&sb);
        assert_eq!(e.expiry_source, "expireTime", "{adc:?}");
        // The impersonated token's expireTime (the last answer), not the source token's.
        let stated = fake.server.last_expiry().unwrap() as i64;
        assert_eq!(e.expires_at, stated * 1000, "{adc:?}");
        assert!(life(&sb).2);
        // The source token (STS or the user's) is the bearer of generateAccessToken, which asks
        // for the target's scopes.
        let generate = fake.requests_to(IMPERSONATE_PATH);
        assert_eq!(generate.len(), 1);
        assert_eq!(
            generate[0].header("authorization"),
            Some(format!("Bearer {}", issued[0]).as_str())
        );
        let body: serde_json::Value = serde_json::from_slice(&generate[0].body).unwrap();
        assert_eq!(
            body["scope"],
            json!(["https://www.googleapis.com/auth/cloud-platform"])
        );
        if adc == Adc::ExternalAccountImpersonated {
            assert_eq!(fake.requests_to("/subject").len(), 1);
            let sts = fake.requests_to("/v1/token");
            assert_eq!(
                sts[0].param("scope", true).as_deref(),
                Some("https://www.googleapis.com/auth/iam")
            );
        } else {
            // The source credentials are asked without the target's scopes.
            let refresh: serde_json::Value =
                serde_json::from_slice(&fake.requests_to("/token")[0].body).unwrap();
            assert!(refresh.get("scope").is_none(), "{refresh}");
        }
    }
}

#[test]
fn metadata_server_is_used_without_an_adc_file() {
    let fake = Fake::start();
    let (sb, env) = sandbox(&fake, Adc::MetadataServer, "");
    let out = run(&sb, &env, &["token", "--target", "gar"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).starts_with("ya29.fake-"));
    assert!(
        fake.server
            .requests()
            .iter()
            .any(|r| r.path().ends_with("/service-accounts/default/token"))
    );
}

#[test]
fn gclouds_adc_file_is_used_when_no_variable_names_one() {
    let fake = Fake::start();
    let (sb, mut env) = sandbox(&fake, Adc::AuthorizedUser, "");
    let (_, file) = env.pop().unwrap();
    let gcloud = sb.dir.path().join(".config/gcloud");
    std::fs::create_dir_all(&gcloud).unwrap();
    let well_known = gcloud.join("application_default_credentials.json");
    std::fs::copy(file, &well_known).unwrap();
    sb.allow_token_in(&well_known);
    let out = run(&sb, &env, &["token", "--target", "gar"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        fake.requests_to("/token").len(),
        1,
        "not the metadata server"
    );
}

#[test]
fn revoked_credentials_exit_77_and_an_unavailable_endpoint_75() {
    for adc in [
        Adc::AuthorizedUser,
        Adc::ExternalAccount,
        Adc::MetadataServer,
    ] {
        for (mode, code) in [(Mode::InvalidGrant, 77), (Mode::Unavailable, 75)] {
            let fake = Fake::start();
            fake.set(mode);
            let (sb, env) = sandbox(&fake, adc, "");
            let out = run(&sb, &env, &["token", "--target", "gar"]);
            assert_eq!(out.status.code(), Some(code), "{adc:?}: {}", stderr(&out));
        }
    }
}

#[test]
fn an_unreachable_endpoint_is_transient_and_a_hang_is_cut_at_mint_timeout() {
    let fake = Fake::start();
    let (sb, mut env) = sandbox(
        &fake,
        Adc::MetadataServer,
        "[targets.gar.policy]\nmint_timeout = \"2s\"",
    );
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    env[0].1 = format!("127.0.0.1:{closed}");
    let out = run(&sb, &env, &["token", "--target", "gar"]);
    assert_eq!(out.status.code(), Some(75), "{}", stderr(&out));

    fake.set(Mode::Hang);
    let (sb, env) = sandbox(
        &fake,
        Adc::AuthorizedUser,
        "[targets.gar.policy]\nmint_timeout = \"2s\"",
    );
    let started = Instant::now();
    let out = run(&sb, &env, &["token", "--target", "gar"]);
    assert_eq!(out.status.code(), Some(75), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("no answer within mint_timeout"),
        "{}",
        stderr(&out)
    );
    // Cut by the configured 2 s, not by the default (nor by the fake, which never answers).
    assert!(started.elapsed() < DEFAULT_MINT_TIMEOUT);
}

#[test]
fn concurrent_cold_callers_make_one_request_and_an_outage_is_served_stale() {
    let fake = Fake::start();
    let (sb, env) = sandbox(
        &fake,
        Adc::AuthorizedUser,
        "[targets.gar.policy]\nbreaker_threshold = 1",
    );
    let outs = sb.concurrent(12, "gar", &env);
    assert!(all_same_token(&outs));
    assert_eq!(fake.server.count(), 1);

    fake.set(Mode::Unavailable);
    cache::edit_entry(&sb.cache_file_of("gar"), |e| e.refresh_at = now_ms() - 1000);
    let out = run(&sb, &env, &["token", "--target", "gar", "--no-background"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out), stdout(&outs[0]));
    run(&sb, &env, &["token", "--target", "gar", "--no-background"]);
    assert_eq!(
        fake.server.count(),
        2,
        "one failed refresh, then the open breaker holds"
    );
}

#[test]
fn artifact_registry_url_derives_a_gcp_target() {
    let fake = Fake::start();
    let (sb, env) = sandbox(&fake, Adc::AuthorizedUser, "");
    let out = run(
        &sb,
        &env,
        &[
            "token",
            "--url",
            "https://us-central1-python.pkg.dev/proj/repo/simple/",
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(sb.cache_file_of("us-central1-python.pkg.dev").exists());
}

#[test]
fn an_endpoint_that_echoes_the_request_never_gets_a_credential_shown_in_any_encoding() {
    // Each flow, with the step whose request carries the credentials echoing it.
    let flows = [
        (Adc::AuthorizedUser, "/token"),
        (Adc::ExternalAccountClient, "/v1/token"),
        (Adc::ExternalAccountImpersonated, "/subject"),
        (Adc::ExternalAccountImpersonated, IMPERSONATE_PATH),
        (Adc::Impersonated, IMPERSONATE_PATH),
        (Adc::Workforce, WORKFORCE_PATH),
        (Adc::ExternalAccountExecutable, "/v1/token"),
        (Adc::ExternalAccountAws, "/v1/token"),
        (Adc::ExternalAccountAws, IMDS_ROLE_PATH),
    ];
    for (adc, at) in flows {
        for how in ECHOES {
            let fake = Fake::start();
            fake.set(Mode::Echo(how, at));
            // Threshold 1: the stored failure is shown again by the breaker's message.
            let (sb, env) = sandbox(
                &fake,
                adc,
                "[targets.gar.policy]\nbreaker_threshold = 1\nbreaker_cooldown = \"1h\"",
            );
            let first = run(&sb, &env, &["token", "--target", "gar", "-vvv"]);
            assert_ne!(first.status.code(), Some(0), "{adc:?} {how:?}");
            let err = stderr(&first);
            assert!(
                err.contains("answered HTTP")
                    || err.contains("answered without")
                    || err.contains("has no string"),
                "{adc:?} {how:?}: {err}"
            );
            let again = run(
                &sb,
                &env,
                &["token", "--target", "gar", "-vvv", "--log-format", "json"],
            );
            assert!(
                stderr(&again).contains("circuit breaker open"),
                "{}",
                stderr(&again)
            );
            for format in ["table", "json"] {
                let status = run(&sb, &env, &["status", "--format", format]);
                assert!(status.status.success());
                sb.audit_stdout(&status);
            }
            // The tokens sent on as bearers (the STS token, the source token) are secrets too.
            for token in fake.issued() {
                sb.secret(&token);
            }
            // The leak audit (when `sb` drops) checks every encoding of the refresh token, the
            // client secret, the subject token and the request token, and the Basic pair, in
            // all of the above and in every file, the cache included.
        }
    }
}

#[test]
fn a_redirect_is_not_followed_and_names_only_where_it_points() {
    for (adc, at) in [
        (Adc::AuthorizedUser, "/token"),
        (Adc::ExternalAccount, "/v1/token"),
        (Adc::Impersonated, IMPERSONATE_PATH),
        (Adc::MetadataServer, "/computeMetadata"),
        (Adc::Workforce, WORKFORCE_PATH),
        (Adc::ExternalAccountExecutable, "/v1/token"),
        (Adc::ExternalAccountAws, "/v1/token"),
        (Adc::ExternalAccountAws, IMDS_ZONE_PATH),
    ] {
        let fake = Fake::start();
        fake.set(Mode::Redirect(at));
        let (sb, env) = sandbox(&fake, adc, "");
        let out = run(&sb, &env, &["token", "--target", "gar"]);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(78), "{adc:?}: {err}");
        assert!(
            err.contains("307") && err.contains(&format!("127.0.0.1:{}", fake.thief.port)),
            "{adc:?}: {err}"
        );
        for hidden in ["thief", "pw@", "steal", "code=xyz"] {
            assert!(!err.contains(hidden), "{adc:?}: {err}");
        }
        assert_eq!(
            fake.thief.count(),
            0,
            "{adc:?}: the request went to the redirect"
        );
        // Next to it, the same flow without the redirect mints.
        fake.set(Mode::Opaque);
        let (sb, env) = sandbox(&fake, adc, "");
        let out = run(&sb, &env, &["token", "--target", "gar"]);
        assert!(out.status.success(), "{adc:?}: {}", stderr(&out));
    }
}

#[test]
fn an_adc_endpoint_with_credentials_is_refused_without_showing_them() {
    let fake = Fake::start();
    for (adc, field) in [
        (Adc::AuthorizedUser, "token_uri"),
        (Adc::ExternalAccount, "token_url"),
        (Adc::Impersonated, "service_account_impersonation_url"),
        (Adc::Workforce, "token_url"),
        (Adc::Workforce, "token_info_url"),
        (Adc::ExternalAccountImpersonated, "credential_source.url"),
        (Adc::ExternalAccountAws, "credential_source.region_url"),
        (
            Adc::ExternalAccountAws,
            "credential_source.imdsv2_session_token_url",
        ),
    ] {
        let (sb, env) = sandbox(&fake, adc, "");
        sb.secret("hunter2pw");
        edit_adc(&sb, |json| {
            let at = match field.split_once('.') {
                Some((outer, inner)) => &mut json[outer][inner],
                None => &mut json[field],
            };
            let url = at.as_str().unwrap().to_owned();
            *at = url.replace("http://", "http://user:hunter2pw@").into();
        });
        let out = run(&sb, &env, &["token", "--target", "gar"]);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(78), "{adc:?}: {err}");
        assert!(
            err.contains(field) && err.contains("userinfo"),
            "{adc:?}: {err}"
        );
        assert!(!err.contains("hunter2pw"), "{adc:?}: {err}");
    }
    assert_eq!(
        fake.server.count(),
        0,
        "the file is refused before any request"
    );
    // The same files without userinfo mint (the other tests).
}

#[test]
fn an_endless_body_fails_fast_at_the_cap() {
    use common::http::FloodServer;
    for (status, content_length) in [(200, true), (200, false), (400, false), (503, true)] {
        let flood = FloodServer::start(status, content_length);
        let fake = Fake::start();
        for adc in [Adc::AuthorizedUser, Adc::MetadataServer, Adc::Workforce] {
            let (sb, mut env) = sandbox(&fake, adc, "[targets.gar.policy]\nmint_timeout = \"30s\"");
            // Point the flow at the flood: the ADC file's token_uri, or the metadata host.
            if adc == Adc::MetadataServer {
                env[0].1 = format!("127.0.0.1:{}", flood.port);
            } else {
                let field = match adc {
                    Adc::Workforce => "token_url",
                    _ => "token_uri",
                };
                edit_adc(&sb, |json| {
                    json[field] = format!("{}/token", flood.url()).into()
                });
            }
            let started = Instant::now();
            let out = run(&sb, &env, &["token", "--target", "gar"]);
            let err = stderr(&out);
            assert_eq!(out.status.code(), Some(75), "{adc:?} {status}: {err}");
            assert!(
                err.contains("more than 1048576 bytes") && !err.contains("xxxxxxxx"),
                "{adc:?} {status}: {err}"
            );
            assert!(started.elapsed() < Duration::from_secs(10));
        }
        assert!(
            flood.written() < 64 << 20,
            "the client read {} bytes",
            flood.written()
        );
    }
}

#[test]
fn service_account_key_signs_a_jwt_locally_and_its_exp_is_the_expiry() {
    let Some(openssl) = tools::need(tools::Tool::Openssl) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("key.pem");
    let made = std::process::Command::new(&openssl)
        .args([
            "genpkey",
            "-algorithm",
            "RSA",
            "-pkeyopt",
            "rsa_keygen_bits:2048",
            "-out",
        ])
        .arg(&key)
        .output()
        .unwrap();
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );
    let fake = Fake::start();
    let (sb, _) = sandbox(&fake, Adc::MetadataServer, "lifetime = \"30m\"");
    let adc = sb.dir.path().join("sa.json");
    let private_key = std::fs::read_to_string(&key).unwrap();
    // The key file is where the key lives; anywhere else, the key or any line of it is a leak.
    sb.allow_token_in(&adc);
    sb.secret(&private_key);
    for line in private_key.lines().filter(|l| !l.starts_with("-----")) {
        sb.secret(line);
    }
    let json = json!({
        "type": "service_account", "project_id": "p", "private_key_id": "kid",
        "private_key": private_key,
        "client_email": "sa@p.iam.gserviceaccount.com", "client_id": "1",
        "token_uri": format!("{}/token", fake.server.url()),
    });
    std::fs::write(&adc, json.to_string()).unwrap();
    let out = sb
        .cmd(&["token", "--target", "gar"])
        .env("GOOGLE_APPLICATION_CREDENTIALS", &adc)
        .output();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out).matches('.').count(), 2, "a JWT");
    let payload = stdout(&out)
        .trim_end()
        .split('.')
        .nth(1)
        .unwrap()
        .to_owned();
    let claims: serde_json::Value = serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(payload)
            .unwrap(),
    )
    .unwrap();
    let e = entry(&sb);
    assert_eq!(e.expiry_source, "jwt");
    assert_eq!(e.expires_at, claims["exp"].as_i64().unwrap() * 1000);
    assert_eq!(fake.server.count(), 0, "no network call");
    // Signed with the key (RS256), for the target's scope, living the configured lifetime.
    assert_eq!(
        claims["scope"],
        "https://www.googleapis.com/auth/cloud-platform"
    );
    assert_eq!(claims["iss"], "sa@p.iam.gserviceaccount.com");
    assert_eq!(
        claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(),
        30 * 60 + 10
    );
    let token = stdout(&out).trim_end().to_owned();
    let (signed, signature) = token.rsplit_once('.').unwrap();
    let (input, sig, public) = (
        dir.path().join("input"),
        dir.path().join("sig"),
        dir.path().join("pub.pem"),
    );
    std::fs::write(&input, signed).unwrap();
    std::fs::write(
        &sig,
        base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(signature)
            .unwrap(),
    )
    .unwrap();
    let pubout = std::process::Command::new(&openssl)
        .args(["pkey", "-pubout", "-in"])
        .arg(&key)
        .arg("-out")
        .arg(&public)
        .status()
        .unwrap();
    assert!(pubout.success());
    let verified = std::process::Command::new(&openssl)
        .args(["dgst", "-sha256", "-verify"])
        .arg(&public)
        .arg("-signature")
        .arg(&sig)
        .arg(&input)
        .output()
        .unwrap();
    assert!(
        verified.status.success(),
        "{}",
        String::from_utf8_lossy(&verified.stdout)
    );
}
