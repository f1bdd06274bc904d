//! `backend = "gcp"` against loopback fakes of Google's token endpoints: an `authorized_user`
//! `token_uri`, an `external_account` STS `token_url` with a file or url credential source,
//! IAM Credentials' `generateAccessToken` (impersonation), and the metadata server through
//! `GCE_METADATA_HOST`.

mod common;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use base64::Engine;
use common::http::{FakeServer, Request, Response};
use common::*;
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
    /// Token answers without `expires_in`.
    NoExpiry,
    /// A JWT access token, without `expires_in`.
    Jwt,
    InvalidGrant,
    Unavailable,
    Hang,
    /// The endpoint whose path starts with the prefix echoes its request.
    Echo(Echo, &'static str),
    /// The endpoint whose path starts with the prefix answers 307 to another server.
    Redirect(&'static str),
}

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

struct Fake {
    server: FakeServer,
    /// Where a redirect points: it must never be asked.
    thief: FakeServer,
    mode: Arc<Mutex<Mode>>,
    /// Every token the fake handed out (the STS token and the source token are sent on as
    /// bearers: the leak audit looks for them too).
    issued: Arc<Mutex<Vec<String>>>,
}

impl Fake {
    fn start() -> Fake {
        let mode = Arc::new(Mutex::new(Mode::Opaque));
        let issued = Arc::new(Mutex::new(Vec::new()));
        let thief = FakeServer::start(|_| Response::json(200, json!({"access_token": "stolen"})));
        let thief_port = thief.port;
        let (m, given) = (mode.clone(), issued.clone());
        let server = FakeServer::start(move |r: &Request| {
            let mode = *m.lock().unwrap();
            match mode {
                Mode::Echo(how, at) if r.path().starts_with(at) => return echo(r, how),
                Mode::Redirect(at) if r.path().starts_with(at) => {
                    return Response::json(307, json!({})).with_header(
                        "location",
                        &format!("http://thief:pw@127.0.0.1:{thief_port}/steal?code=xyz"),
                    );
                }
                _ => {}
            }
            if let Err(why) = check(r) {
                return Response::json(
                    400,
                    json!({"error": "invalid_request", "error_description": why}),
                );
            }
            if r.path() == "/subject" {
                return Response::json(200, json!({ "value": SUBJECT_TOKEN }));
            }
            let token = match mode {
                Mode::Jwt => jwt(),
                Mode::InvalidGrant => {
                    return Response::json(
                        400,
                        json!({"error": "invalid_grant", "error_description": "Token has been expired or revoked."}),
                    );
                }
                Mode::Unavailable => return Response::json(503, json!({"error": "unavailable"})),
                Mode::Hang => return Response::json(200, json!({})).after(Duration::from_secs(60)),
                _ => format!("ya29.fake-{}-{}", r.path().len(), now_ms()),
            };
            given.lock().unwrap().push(token.clone());
            if r.path() == IMPERSONATE_PATH {
                let life = if mode == Mode::ShortLived {
                    SHORT_EXPIRE_TIME
                } else {
                    3600
                };
                let at = SystemTime::now() + Duration::from_secs(life);
                return Response::json(
                    200,
                    json!({
                        "accessToken": token,
                        "expireTime": humantime::format_rfc3339_seconds(at).to_string(),
                    }),
                );
            }
            let mut answer = json!({
                "access_token": token,
                "token_type": "Bearer",
                "issued_token_type": "urn:ietf:params:oauth:token-type:access_token",
            });
            match mode {
                Mode::ShortLived => answer["expires_in"] = SHORT_EXPIRES_IN.into(),
                Mode::NoExpiry | Mode::Jwt => {}
                _ => answer["expires_in"] = 3599.into(),
            }
            Response::json(200, answer)
        });
        Fake {
            server,
            thief,
            mode,
            issued,
        }
    }

    fn set(&self, mode: Mode) {
        *self.mode.lock().unwrap() = mode;
    }

    fn issued(&self) -> Vec<String> {
        self.issued.lock().unwrap().clone()
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
        ("POST", "/v1/token") => {
            let grant = r.param("grant_type", true).unwrap_or_default();
            let subject = r.param("subject_token", true).unwrap_or_default();
            if grant != "urn:ietf:params:oauth:grant-type:token-exchange"
                || subject != SUBJECT_TOKEN
            {
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
}

fn sandbox(fake: &Fake, adc: Adc, extra: &str) -> (Sandbox, Vec<(String, String)>) {
    let sb = Sandbox::new("");
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
        "audience": "//iam.googleapis.com/projects/1/locations/global/workloadIdentityPools/p/providers/gh",
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
    };
    let mut env = vec![(
        "GCE_METADATA_HOST".to_owned(),
        format!("127.0.0.1:{}", fake.server.port),
    )];
    for secret in [REFRESH_TOKEN, CLIENT_SECRET, SUBJECT_TOKEN, REQUEST_TOKEN] {
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
    sb.recorded(c.output().unwrap())
}

fn entry(sb: &Sandbox) -> serde_json::Value {
    let v: serde_json::Value =
        serde_json::from_slice(&std::fs::read(sb.cache.join("gar.json")).unwrap()).unwrap();
    v["entry"].clone()
}

/// The cached entry's life from its mint (ms), its expiry source, and whether it is due for
/// refresh strictly inside that life.
fn life(sb: &Sandbox) -> (i64, String, bool) {
    let e = entry(sb);
    let (issued, refresh, expires) = (
        e["issued_at"].as_i64().unwrap(),
        e["refresh_at"].as_i64().unwrap(),
        e["expires_at"].as_i64().unwrap(),
    );
    (
        expires - issued,
        e["expiry_source"].as_str().unwrap_or_default().to_owned(),
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
    let path = sb.cache.join("gar.json");
    let mut v: serde_json::Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    v["entry"]["refresh_at"] = (now_ms() - 1000).into();
    write_private(&path, &serde_json::to_vec(&v).unwrap());
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

#[test]
fn an_answer_without_expires_in_falls_back_to_the_configured_lifetime() {
    let fake = Fake::start();
    fake.set(Mode::NoExpiry);
    let (sb, env) = sandbox(&fake, Adc::AuthorizedUser, "lifetime = \"30m\"");
    let out = run(&sb, &env, &["token", "--target", "gar"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let (life_ms, source, _) = life(&sb);
    assert_eq!((life_ms, source.as_str()), (30 * 60 * 1000, "lifetime"));
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
        (e["expiry_source"].as_str(), e["expires_at"].as_i64()),
        (Some("jwt"), Some(*JWT_EXP * 1000))
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
        let before = now_ms() / 1000 * 1000;
        let out = run(&sb, &env, &["token", "--target", "gar"]);
        let after = now_ms();
        assert!(out.status.success(), "{adc:?}: {}", stderr(&out));
        let issued = fake.issued();
        assert_eq!(
            stdout(&out).trim_end(),
            issued.last().unwrap(),
            "the impersonated token"
        );
        let e = entry(&sb);
        assert_eq!(e["expiry_source"], "expireTime", "{adc:?}");
        let expires = e["expires_at"].as_i64().unwrap();
        let stated = SHORT_EXPIRE_TIME as i64 * 1000;
        assert!(
            (before + stated..=after + stated).contains(&expires),
            "{adc:?}: {expires} not in {}..{}",
            before + stated,
            after + stated
        );
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
    assert!(stderr(&out).contains("mint_timeout"), "{}", stderr(&out));
    assert!(started.elapsed() < Duration::from_secs(8));
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
    let path = sb.cache.join("gar.json");
    let mut v: serde_json::Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    v["entry"]["refresh_at"] = (now_ms() - 1000).into();
    write_private(&path, &serde_json::to_vec(&v).unwrap());
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
    assert!(sb.cache.join("us-central1-python.pkg.dev.json").exists());
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
                // status goes to stdout: audit it like stderr.
                let mut shown = status.clone();
                shown.stderr = status.stdout.clone();
                sb.record(&shown);
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
    ] {
        let (sb, env) = sandbox(&fake, adc, "");
        let file = sb.dir.path().join("adc.json");
        let mut json: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
        let url = json[field].as_str().unwrap().to_owned();
        json[field] = url.replace("http://", "http://user:hunter2pw@").into();
        std::fs::write(&file, json.to_string()).unwrap();
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
        fake.requests_to(IMPERSONATE_PATH).len() + fake.requests_to("/v1/token").len(),
        0,
        "nothing sent to an endpoint with userinfo"
    );
    assert!(
        fake.requests_to("/token").len() <= 1,
        "only the impersonation's source"
    );
    // The same files without userinfo mint (the other tests).
}

#[test]
fn an_endless_body_fails_fast_at_the_cap() {
    use common::http::FloodServer;
    for (status, content_length) in [(200, true), (200, false), (400, false), (503, true)] {
        let flood = FloodServer::start(status, content_length);
        let fake = Fake::start();
        for adc in [Adc::AuthorizedUser, Adc::MetadataServer] {
            let (sb, mut env) = sandbox(&fake, adc, "[targets.gar.policy]\nmint_timeout = \"30s\"");
            // Point the flow at the flood: the ADC file's token_uri, or the metadata host.
            if adc == Adc::MetadataServer {
                env[0].1 = format!("127.0.0.1:{}", flood.port);
            } else {
                let file = sb.dir.path().join("adc.json");
                let mut json: serde_json::Value =
                    serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
                json["token_uri"] = format!("{}/token", flood.url()).into();
                std::fs::write(&file, json.to_string()).unwrap();
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
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("key.pem");
    let made = std::process::Command::new("openssl")
        .args([
            "genpkey",
            "-algorithm",
            "RSA",
            "-pkeyopt",
            "rsa_keygen_bits:2048",
            "-out",
        ])
        .arg(&key)
        .output();
    if !made.as_ref().is_ok_and(|o| o.status.success()) {
        eprintln!("skipped: openssl cannot make an RSA key here ({made:?})");
        return;
    }
    let fake = Fake::start();
    let (sb, _) = sandbox(&fake, Adc::MetadataServer, "");
    let adc = sb.dir.path().join("sa.json");
    let json = json!({
        "type": "service_account", "project_id": "p", "private_key_id": "kid",
        "private_key": std::fs::read_to_string(&key).unwrap(),
        "client_email": "sa@p.iam.gserviceaccount.com", "client_id": "1",
        "token_uri": format!("{}/token", fake.server.url()),
    });
    std::fs::write(&adc, json.to_string()).unwrap();
    let out = sb
        .cmd(&["token", "--target", "gar"])
        .env("GOOGLE_APPLICATION_CREDENTIALS", &adc)
        .output()
        .unwrap();
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
    assert_eq!(e["expiry_source"], "jwt");
    assert_eq!(
        e["expires_at"].as_i64().unwrap(),
        claims["exp"].as_i64().unwrap() * 1000
    );
    assert_eq!(fake.server.count(), 0, "no network call");
}
