//! `backend = "gcp"` (google-cloud-auth ADC) against loopback fakes of Google's token endpoints:
//! an `authorized_user` `token_uri`, an `external_account` STS `token_url` with a file credential
//! source, and the metadata server through `GCE_METADATA_HOST`.

mod common;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use base64::Engine;
use common::http::{FakeServer, Request, Response};
use common::*;
use serde_json::json;

#[derive(Clone, Copy, PartialEq)]
enum Mode {
    Opaque,
    Jwt,
    InvalidGrant,
    Unavailable,
    Hang,
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
    mode: Arc<Mutex<Mode>>,
}

impl Fake {
    fn start() -> Fake {
        let mode = Arc::new(Mutex::new(Mode::Opaque));
        let m = mode.clone();
        let server = FakeServer::start(move |r: &Request| {
            if let Err(why) = check(r) {
                return Response::json(
                    400,
                    json!({"error": "invalid_request", "error_description": why}),
                );
            }
            let token = match *m.lock().unwrap() {
                Mode::Opaque => format!("ya29.fake-{}", now_ms()),
                Mode::Jwt => jwt(),
                Mode::InvalidGrant => {
                    return Response::json(
                        400,
                        json!({"error": "invalid_grant", "error_description": "Token has been expired or revoked."}),
                    );
                }
                Mode::Unavailable => return Response::json(503, json!({"error": "unavailable"})),
                Mode::Hang => return Response::json(200, json!({})).after(Duration::from_secs(60)),
            };
            Response::json(
                200,
                json!({
                    "access_token": token,
                    "token_type": "Bearer",
                    "expires_in": 3599,
                    "issued_token_type": "urn:ietf:params:oauth:token-type:access_token",
                }),
            )
        });
        Fake { server, mode }
    }

    fn set(&self, mode: Mode) {
        *self.mode.lock().unwrap() = mode;
    }
}

/// What each kind of credential must send.
fn check(r: &Request) -> Result<(), String> {
    match (r.method.as_str(), r.path()) {
        ("POST", "/token") => {
            let body: serde_json::Value =
                serde_json::from_slice(&r.body).map_err(|e| format!("body: {e}"))?;
            if body["grant_type"] != "refresh_token"
                || body["refresh_token"] != "user-refresh-token"
                || body["client_id"] != "cid"
            {
                return Err(format!("bad refresh request: {body}"));
            }
            Ok(())
        }
        ("POST", "/v1/token") => {
            let grant = r.param("grant_type", true).unwrap_or_default();
            let subject = r.param("subject_token", true).unwrap_or_default();
            if grant != "urn:ietf:params:oauth:grant-type:token-exchange"
                || subject != "oidc-subject-token"
            {
                return Err(format!(
                    "bad token exchange: grant {grant}, subject {subject}"
                ));
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

enum Adc {
    AuthorizedUser,
    ExternalAccount,
    MetadataServer,
}

fn sandbox(fake: &Fake, adc: Adc, extra: &str) -> (Sandbox, Vec<(String, String)>) {
    let sb = Sandbox::new("");
    sb.write_raw_config(&format!("[targets.gar]\nbackend = \"gcp\"\n{extra}\n"));
    let adc_file = sb.dir.path().join("adc.json");
    let subject = sb.dir.path().join("subject-token");
    std::fs::write(&subject, "oidc-subject-token").unwrap();
    let json = match adc {
        Adc::AuthorizedUser => json!({
            "type": "authorized_user", "client_id": "cid", "client_secret": "csecret",
            "refresh_token": "user-refresh-token", "token_uri": format!("{}/token", fake.server.url()),
        }),
        Adc::ExternalAccount => json!({
            "type": "external_account",
            "audience": "//iam.googleapis.com/projects/1/locations/global/workloadIdentityPools/p/providers/gh",
            "subject_token_type": "urn:ietf:params:oauth:token-type:jwt",
            "token_url": format!("{}/v1/token", fake.server.url()),
            "credential_source": { "file": subject.display().to_string() },
        }),
        Adc::MetadataServer => serde_json::Value::Null,
    };
    let mut env = vec![(
        "GCE_METADATA_HOST".to_owned(),
        format!("127.0.0.1:{}", fake.server.port),
    )];
    sb.secret("user-refresh-token");
    sb.allow_token_in(&adc_file); // the ADC file is where Google's own secrets live
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

#[test]
fn authorized_user_token_expiry_comes_from_the_configured_lifetime() {
    let fake = Fake::start();
    let (sb, env) = sandbox(&fake, Adc::AuthorizedUser, "lifetime = \"30m\"");
    let out = run(&sb, &env, &["token", "--target", "gar"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).starts_with("ya29.fake-"));
    let e = entry(&sb);
    assert_eq!(e["expiry_source"], "lifetime");
    assert_eq!(
        e["expires_at"].as_i64().unwrap() - e["issued_at"].as_i64().unwrap(),
        30 * 60 * 1000
    );
    assert_eq!(fake.server.count(), 1);
    // Cached path: no request. Status names the expiry source and the default username.
    run(&sb, &env, &["token", "--target", "gar"]);
    assert_eq!(fake.server.count(), 1);
    let status: serde_json::Value =
        serde_json::from_slice(&run(&sb, &env, &["status", "--format", "json"]).stdout).unwrap();
    assert_eq!(status["targets"][0]["expiry_source"], "lifetime");
    assert_eq!(status["targets"][0]["username"], "oauth2accesstoken");
}

#[test]
fn a_jwt_access_token_expires_at_its_exp_claim() {
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
fn external_account_exchanges_the_file_subject_token() {
    let fake = Fake::start();
    let (sb, env) = sandbox(&fake, Adc::ExternalAccount, "");
    let out = run(&sb, &env, &["token", "--target", "gar"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).starts_with("ya29.fake-"));
    let reqs = fake.server.requests();
    assert_eq!(reqs.len(), 1);
    assert_eq!(reqs[0].path(), "/v1/token");
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
fn revoked_credentials_exit_77_and_an_unavailable_endpoint_75() {
    for (mode, code) in [(Mode::InvalidGrant, 77), (Mode::Unavailable, 75)] {
        let fake = Fake::start();
        fake.set(mode);
        let (sb, env) = sandbox(&fake, Adc::AuthorizedUser, "");
        let out = run(&sb, &env, &["token", "--target", "gar"]);
        assert_eq!(out.status.code(), Some(code), "{}", stderr(&out));
        assert!(
            !stderr(&out).contains("csecret") && !stderr(&out).contains("user-refresh-token"),
            "{}",
            stderr(&out)
        );
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
