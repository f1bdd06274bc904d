//! `backend = "codeartifact"` against a loopback fake of GetAuthorizationToken, reached through
//! `AWS_ENDPOINT_URL_CODEARTIFACT` with the real AWS SDK doing the SigV4 signing.

mod common;

use std::time::{Duration, Instant};

use common::cloud::{self, Cloud, Expiry, Wire};
use common::http::{FakeServer, Request, Response};
use common::*;
use ecluse_cred::policy::DEFAULT_MINT_TIMEOUT;
use serde_json::json;

const DOMAIN: &str = "my-domain";
const OWNER: &str = "111122223333";
const KEY_ID: &str = "AKIDECLUSETEST";

/// The secret access key the tests hand the SDK.
const ACCESS_KEY: &str = "test-secret-access-key";
/// The credentials STS hands out for the web identity token [`OIDC_TOKEN`].
const STS_SECRET_KEY: &str = "web-identity-secret";
const STS_SESSION_TOKEN: &str = "web-identity-session";
/// The CI's OIDC token the web identity tests exchange at STS.
const OIDC_TOKEN: &str = "ci-oidc-token";
/// The credentials the fake container endpoint hands out.
const ECS_SECRET_KEY: &str = "ecs-secret-access-key";
const ECS_SESSION_TOKEN: &str = "ecs-session-token";
/// The secret key of the `ci` profile in a credentials file.
const PROFILE_SECRET_KEY: &str = "profile-secret";
/// The token the container endpoint demands.
const CONTAINER_TOKEN: &str = "container-authorization-token";

/// A sandbox whose leak audit looks for every AWS secret these tests configure or a fake hands
/// out, in any encoding.
fn audited_sandbox() -> Sandbox {
    let sb = Sandbox::new("");
    for secret in [
        ACCESS_KEY,
        SECRET_KEY,
        SESSION_TOKEN,
        STS_SECRET_KEY,
        STS_SESSION_TOKEN,
        OIDC_TOKEN,
        ECS_SECRET_KEY,
        ECS_SESSION_TOKEN,
        PROFILE_SECRET_KEY,
        CONTAINER_TOKEN,
    ] {
        sb.secret(secret);
    }
    sb
}

/// A web identity token file holding [`OIDC_TOKEN`], which the audit leaves alone.
fn oidc_token_file(sb: &Sandbox) -> std::path::PathBuf {
    let file = sb.dir.path().join("oidc-token");
    std::fs::write(&file, OIDC_TOKEN).unwrap();
    sb.allow_token_in(&file);
    file
}

/// How the fake answers GetAuthorizationToken.
#[derive(Clone, Copy, PartialEq)]
enum Mode {
    AccessDenied,
    Throttling,
    ServerError,
    NotFound,
    Hang,
    NoToken,
    NoExpiration,
    /// HTTP 200 whose body is not JSON.
    BrokenJson,
    /// HTTP 200 with JSON of the wrong shape.
    WrongTypes,
}

/// The shared CodeArtifact fake, checking what the SDK must send, with STS on the same server.
struct Fake {
    server: Cloud,
}

impl Fake {
    /// A fake that also checks what the SDK must send: the signing service and region, the key
    /// id, and the query parameters. A request that fails a check gets a 400 that names it.
    fn start(region: &'static str, duration: &'static str) -> Fake {
        let server = Cloud::routed(Wire::CodeArtifact, "ca-tok-", move |r: &Request| {
            if r.param("Action", true).as_deref() == Some("AssumeRoleWithWebIdentity") {
                return Some(sts_answer(r));
            }
            let why = check(r, region, duration).err()?;
            Some(Wire::CodeArtifact.error(400, "BadRequest", &why))
        });
        Fake { server }
    }

    fn set(&self, mode: Mode) {
        let fake = &self.server;
        let body = |status, body: &'static [u8]| {
            move |_: &Request| {
                let mut answer = Response::json(status, json!({}));
                answer.body = body.to_vec();
                Some(answer)
            }
        };
        match mode {
            Mode::AccessDenied => fake.fail(
                403,
                "AccessDeniedException",
                "User: arn:aws:iam::111122223333:user/ci is not authorized",
            ),
            Mode::Throttling => fake.answer_with(|_| {
                Some(
                    Wire::CodeArtifact
                        .error(429, "ThrottlingException", "Rate exceeded")
                        .with_header("retry-after", "1"),
                )
            }),
            Mode::ServerError => fake.fail(500, "InternalServerException", "oops"),
            Mode::NotFound => fake.fail(404, "ResourceNotFoundException", "Domain not found"),
            Mode::Hang => fake.delay(cloud::HANG),
            Mode::NoToken => fake.answer_with(|_| {
                Some(Response::json(
                    200,
                    json!({ "expiration": now_ms() / 1000 + 3600 }),
                ))
            }),
            Mode::NoExpiration => fake.expiry(Expiry::Omitted),
            Mode::BrokenJson => fake.answer_with(body(
                200,
                br#"{"authorizationToken": "ca-tok-broken", "expir"#,
            )),
            Mode::WrongTypes => fake.answer_with(body(
                200,
                br#"{"authorizationToken": ["ca-tok-wrong"], "expiration": "soon"}"#,
            )),
        }
    }
}

fn check(r: &Request, region: &str, duration: &str) -> Result<(), String> {
    let auth = r.header("authorization").unwrap_or("");
    let want_scope = format!("/{region}/codeartifact/aws4_request");
    if !(auth.starts_with("AWS4-HMAC-SHA256")
        && auth.contains(&format!("Credential={KEY_ID}/"))
        && auth.contains(&want_scope))
    {
        return Err(format!("bad authorization header: {auth}"));
    }
    if (r.method.as_str(), r.path()) != ("POST", "/v1/authorization-token") {
        return Err(format!("unexpected {} {}", r.method, r.path()));
    }
    for (k, v) in [
        ("domain", DOMAIN),
        ("domain-owner", OWNER),
        ("duration", duration),
    ] {
        if r.param(k, false).as_deref() != Some(v) {
            return Err(format!(
                "query parameter {k} is {:?}, expected {v}",
                r.param(k, false)
            ));
        }
    }
    Ok(())
}

fn sandbox(fake: &Fake, policy: &str) -> Sandbox {
    let sb = audited_sandbox();
    sb.write_raw_config(&format!(
        "[targets.ca]\nbackend = \"codeartifact\"\ndomain = \"{DOMAIN}\"\ndomain_owner = \"{OWNER}\"\nregion = \"us-west-2\"\nduration = \"1h\"\n[targets.ca.policy]\nmint_timeout = \"20s\"\n{policy}\n"
    ));
    fake.server.audit_in(sb.issued_log());
    sb
}

fn run(sb: &Sandbox, fake: &Fake, args: &[&str]) -> std::process::Output {
    sb.cmd(args)
        .env("AWS_ENDPOINT_URL_CODEARTIFACT", fake.server.url())
        .env("AWS_ACCESS_KEY_ID", KEY_ID)
        .env("AWS_SECRET_ACCESS_KEY", ACCESS_KEY)
        .env("AWS_REGION", "eu-west-1")
        .output()
}

fn token(sb: &Sandbox, fake: &Fake) -> std::process::Output {
    run(sb, fake, &["token", "--target", "ca"])
}

fn entry(sb: &Sandbox) -> cache::Entry {
    cache::entry(&sb.cache_file_of("ca")).expect("an entry cached for ca")
}

#[test]
fn mints_with_a_signed_request_and_caches_the_expiration() {
    let fake = Fake::start("us-west-2", "3600");
    let sb = sandbox(&fake, "");
    let out = token(&sb, &fake);
    assert!(out.status.success(), "{}", stderr(&out));
    let token_text = stdout(&out);
    assert!(token_text.starts_with("ca-tok-"), "{token_text}");
    let e = entry(&sb);
    let stated = fake.server.last_expiry().unwrap() as i64;
    assert_eq!(e.expires_at, stated * 1000);
    assert_eq!(e.expiry_source, "expiration");
    assert_eq!(fake.server.count(), 1);
    // The cached path makes no request.
    assert_eq!(stdout(&token(&sb, &fake)), token_text);
    assert_eq!(fake.server.count(), 1);
    let status: serde_json::Value =
        serde_json::from_slice(&run(&sb, &fake, &["status", "--format", "json"]).stdout).unwrap();
    assert_eq!(status["targets"][0]["backend"], "codeartifact");
    assert_eq!(status["targets"][0]["username"], "aws");
}

#[test]
fn concurrent_cold_callers_make_one_request() {
    let fake = Fake::start("us-west-2", "3600");
    let sb = sandbox(&fake, "");
    let env = [
        (
            "AWS_ENDPOINT_URL_CODEARTIFACT".to_owned(),
            fake.server.url(),
        ),
        ("AWS_ACCESS_KEY_ID".to_owned(), KEY_ID.to_owned()),
        ("AWS_SECRET_ACCESS_KEY".to_owned(), ACCESS_KEY.to_owned()),
        ("AWS_REGION".to_owned(), "eu-west-1".to_owned()),
    ];
    assert!(all_same_token(&sb.concurrent(16, "ca", &env)));
    assert_eq!(fake.server.count(), 1);
}

#[test]
fn access_denied_exits_77_naming_the_identity_without_retrying() {
    let fake = Fake::start("us-west-2", "3600");
    fake.set(Mode::AccessDenied);
    let sb = sandbox(&fake, "");
    let out = token(&sb, &fake);
    assert_eq!(out.status.code(), Some(77), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("AccessDenied")
            && err.contains(KEY_ID)
            && err.contains("default AWS credential chain"),
        "{err}"
    );
    assert!(!err.contains(ACCESS_KEY));
    assert_eq!(fake.server.count(), 1);
}

#[test]
fn throttling_and_server_errors_are_retried_at_most_three_times_then_exit_75() {
    for mode in [Mode::Throttling, Mode::ServerError] {
        let fake = Fake::start("us-west-2", "3600");
        fake.set(mode);
        let sb = sandbox(&fake, "");
        let out = token(&sb, &fake);
        assert_eq!(out.status.code(), Some(75), "{}", stderr(&out));
        assert_eq!(fake.server.count(), 3, "{}", stderr(&out));
    }
}

#[test]
fn wrong_domain_exits_78_naming_the_setting() {
    let fake = Fake::start("us-west-2", "3600");
    fake.set(Mode::NotFound);
    let sb = sandbox(&fake, "");
    let out = token(&sb, &fake);
    assert_eq!(out.status.code(), Some(78), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("domain `my-domain`"),
        "{}",
        stderr(&out)
    );
    assert_eq!(fake.server.count(), 1);
}

#[test]
fn a_hanging_endpoint_is_cut_at_mint_timeout() {
    let fake = Fake::start("us-west-2", "3600");
    fake.set(Mode::Hang);
    let sb = sandbox(&fake, "");
    sb.write_raw_config(
        &std::fs::read_to_string(&sb.config)
            .unwrap()
            .replace("mint_timeout = \"20s\"", "mint_timeout = \"2s\""),
    );
    let started = Instant::now();
    let out = token(&sb, &fake);
    let took = started.elapsed();
    assert_eq!(out.status.code(), Some(75), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("mint failed: no answer within mint_timeout"),
        "{}",
        stderr(&out)
    );
    // Cut by the configured 2 s, not by the default (nor by the fake, which never answers).
    assert!(took < DEFAULT_MINT_TIMEOUT, "{took:?}");
    assert!((1..=3).contains(&fake.server.count()));
}

#[test]
fn a_response_missing_token_or_expiration_is_a_mint_failure() {
    for (mode, what) in [
        (Mode::NoToken, "authorizationToken"),
        (Mode::NoExpiration, "expiration"),
    ] {
        let fake = Fake::start("us-west-2", "3600");
        fake.set(mode);
        let sb = sandbox(&fake, "");
        let out = token(&sb, &fake);
        assert_eq!(out.status.code(), Some(75), "{}", stderr(&out));
        assert!(
            stderr(&out).contains(&format!("without an {what}")),
            "{}",
            stderr(&out)
        );
    }
}

#[test]
fn an_http_200_with_a_malformed_body_is_a_temporary_failure_that_says_so() {
    for mode in [Mode::BrokenJson, Mode::WrongTypes] {
        let fake = Fake::start("us-west-2", "3600");
        fake.set(mode);
        let sb = sandbox(&fake, "");
        let out = token(&sb, &fake);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(75), "{err}");
        assert!(
            err.contains("HTTP 200") && err.contains("malformed"),
            "{err}"
        );
        assert!(
            !err.contains("UnknownError") && !err.contains("ca-tok-"),
            "{err}"
        );
    }
}

#[test]
fn an_outage_is_served_stale_and_opens_the_breaker() {
    let fake = Fake::start("us-west-2", "3600");
    let sb = sandbox(&fake, "breaker_threshold = 1\nbreaker_cooldown = \"1h\"");
    let old = stdout(&token(&sb, &fake));
    fake.set(Mode::ServerError);
    cache::edit_entry(&sb.cache_file_of("ca"), |e| e.refresh_at = now_ms() - 1000);
    let out = run(&sb, &fake, &["token", "--target", "ca", "--no-background"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out), old);
    assert_eq!(fake.server.count(), 1 + 3);
    // Breaker open: the due token is served and the API is left alone.
    let out = run(&sb, &fake, &["token", "--target", "ca", "--no-background"]);
    assert_eq!(stdout(&out), old);
    assert_eq!(fake.server.count(), 4);
}

#[test]
fn missing_aws_credentials_exit_77_naming_the_chain() {
    let fake = Fake::start("us-west-2", "3600");
    let sb = sandbox(&fake, "");
    let out = sb
        .cmd(&["token", "--target", "ca"])
        .env("AWS_ENDPOINT_URL_CODEARTIFACT", fake.server.url())
        .output();
    assert_eq!(out.status.code(), Some(77), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("no usable AWS credentials from the default AWS credential chain"),
        "{}",
        stderr(&out)
    );
    assert_eq!(fake.server.count(), 0);
}

#[test]
fn url_derived_target_uses_the_urls_region_owner_and_twelve_hours() {
    let fake = Fake::start("us-west-2", "43200");
    let sb = audited_sandbox();
    fake.server.audit_in(sb.issued_log());
    let url = format!(
        "https://{DOMAIN}-{OWNER}.d.codeartifact.us-west-2.amazonaws.com/pypi/repo/simple/"
    );
    // AWS_REGION says eu-west-1; the URL's us-west-2 must win (the fake checks the signature).
    let out = run(&sb, &fake, &["token", "--url", &url]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).starts_with("ca-tok-"));
    let host = format!("{DOMAIN}-{OWNER}.d.codeartifact.us-west-2.amazonaws.com");
    assert!(sb.cache_file_of(&host).exists());
    let status: serde_json::Value =
        serde_json::from_slice(&run(&sb, &fake, &["status", "--format", "json"]).stdout).unwrap();
    let derived = status["targets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == host.as_str())
        .expect("derived target in status");
    assert_eq!(
        (derived["backend"].as_str(), derived["cached"].as_bool()),
        (Some("codeartifact"), Some(true))
    );
    // Cached: no second request, also when asked by name.
    run(&sb, &fake, &["token", "--url", &url]);
    run(&sb, &fake, &["token", "--target", &host]);
    assert_eq!(fake.server.count(), 1);
}

/// The STS AssumeRoleWithWebIdentity answer (the CI OIDC case), for the web identity token
/// `ci-oidc-token`; it hands out the key id the CodeArtifact fake expects.
fn sts_answer(r: &Request) -> Response {
    if r.param("WebIdentityToken", true).as_deref() != Some(OIDC_TOKEN)
        || r.param("RoleArn", true).as_deref() != Some("arn:aws:iam::111122223333:role/ci")
    {
        return Response::json(400, json!({"message": "bad AssumeRoleWithWebIdentity"}));
    }
    let expiration = jiff::Timestamp::from_second(now_ms() / 1000 + 3600).unwrap();
    let xml = format!(
        r#"<AssumeRoleWithWebIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <AssumeRoleWithWebIdentityResult>
    <Credentials>
      <AccessKeyId>{KEY_ID}</AccessKeyId>
      <SecretAccessKey>{STS_SECRET_KEY}</SecretAccessKey>
      <SessionToken>{STS_SESSION_TOKEN}</SessionToken>
      <Expiration>{expiration}</Expiration>
    </Credentials>
    <SubjectFromWebIdentityToken>repo:org/repo</SubjectFromWebIdentityToken>
    <AssumedRoleUser>
      <Arn>arn:aws:sts::111122223333:assumed-role/ci/s</Arn>
      <AssumedRoleId>AROAEXAMPLE:s</AssumedRoleId>
    </AssumedRoleUser>
  </AssumeRoleWithWebIdentityResult>
  <ResponseMetadata><RequestId>r</RequestId></ResponseMetadata>
</AssumeRoleWithWebIdentityResponse>"#
    );
    Response {
        status: 200,
        headers: vec![("content-type".into(), "text/xml".into())],
        body: xml.into_bytes(),
        delay: Duration::ZERO,
    }
}

#[test]
fn ci_web_identity_credentials_are_exchanged_at_sts_then_used() {
    let fake = Fake::start("us-west-2", "3600");
    let sb = sandbox(&fake, "");
    let token_file = oidc_token_file(&sb);
    let out = sb
        .cmd(&["token", "--target", "ca"])
        .env("AWS_ENDPOINT_URL_CODEARTIFACT", fake.server.url())
        .env("AWS_ENDPOINT_URL_STS", fake.server.url())
        .env("AWS_WEB_IDENTITY_TOKEN_FILE", &token_file)
        .env("AWS_ROLE_ARN", "arn:aws:iam::111122223333:role/ci")
        .env("AWS_ROLE_SESSION_NAME", "s")
        .env("AWS_REGION", "us-west-2")
        .output();
    assert!(out.status.success(), "{}", stderr(&out));
    let reqs = fake.server.requests();
    assert_eq!(reqs.len(), 2, "one STS exchange, one GetAuthorizationToken");
    let ca = reqs
        .iter()
        .find(|r| r.path() == "/v1/authorization-token")
        .unwrap();
    assert_eq!(ca.header("x-amz-security-token"), Some(STS_SESSION_TOKEN));
}

#[test]
fn a_named_profile_supplies_the_credentials_and_a_missing_one_is_named() {
    let fake = Fake::start("us-west-2", "3600");
    let sb = sandbox(&fake, "");
    let text = std::fs::read_to_string(&sb.config).unwrap();
    sb.write_raw_config(&text.replace(
        "duration = \"1h\"\n",
        "duration = \"1h\"\nprofile = \"ci\"\n",
    ));
    let credentials = sb.dir.path().join("aws-credentials");
    std::fs::write(
        &credentials,
        format!(
            "[ci]\naws_access_key_id = {KEY_ID}\naws_secret_access_key = {PROFILE_SECRET_KEY}\n"
        ),
    )
    .unwrap();
    sb.allow_token_in(&credentials);
    let run_with = |file: &std::path::Path| {
        sb.cmd(&["token", "--target", "ca"])
            .env("AWS_ENDPOINT_URL_CODEARTIFACT", fake.server.url())
            .env("AWS_SHARED_CREDENTIALS_FILE", file)
            .output()
    };
    let out = run_with(&credentials);
    assert!(out.status.success(), "{}", stderr(&out));
    sb.run(&["clear", "--all"]);
    let out = run_with(&sb.dir.path().join("no-credentials"));
    assert_eq!(out.status.code(), Some(77), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("AWS profile `ci`"),
        "{}",
        stderr(&out)
    );
}

/// A session token with the characters that urlencoding, JSON and base64 each write differently.
const SESSION_TOKEN: &str = "FwoGZXIvYXdzEBY/aDH+sess\"ion=Tok3n/abc+def==";
const SECRET_KEY: &str = "test-secret-access-key/With+Slash";

/// The request as an echoing endpoint or proxy returns it: the credential it carried (the
/// session token header, or the web identity token sent to STS) first, so no cut of a long
/// message hides it, then the whole request; each raw, base64-, form-url- and JSON-encoded.
fn echoed(r: &Request) -> String {
    use base64::Engine;
    let forms = |text: &str| {
        let json = serde_json::to_string(text).unwrap();
        format!(
            "{text} | base64 {} | urlencoded {} | json {json} | json-slash {} | upper {}",
            base64::engine::general_purpose::STANDARD.encode(text),
            form_urlencode(text),
            json.replace('/', "\\/"),
            text.to_ascii_uppercase()
        )
    };
    let carried = r
        .header("x-amz-security-token")
        .map(str::to_owned)
        .or_else(|| r.param("WebIdentityToken", true))
        .unwrap_or_default();
    let headers: Vec<String> = r.headers.iter().map(|(k, v)| format!("{k}: {v}")).collect();
    let raw = format!(
        "{} {}\n{}\n\n{}",
        r.method,
        r.target,
        headers.join("\n"),
        String::from_utf8_lossy(&r.body)
    );
    format!("you sent {} || {}", forms(&carried), forms(&raw))
}

/// An endpoint that answers every request with an error whose message (and, with
/// `code_echo`, whose error code) echoes the request.
fn echoing_server(status: u16, kind: &'static str, code_echo: bool) -> FakeServer {
    FakeServer::start(move |r: &Request| {
        let code = match (code_echo, r.header("x-amz-security-token")) {
            (true, Some(token)) => token.to_owned(),
            _ => kind.to_owned(),
        };
        Response::json(status, json!({ "message": echoed(r), "__type": code }))
            .with_header("x-amzn-errortype", &code)
    })
}

/// `status` in both formats, audited like stderr.
fn audit_status(sb: &Sandbox) {
    for format in ["table", "json"] {
        let status = sb.run(&["status", "--format", format]);
        assert!(status.status.success(), "{}", stderr(&status));
        sb.audit_stdout(&status);
    }
}

#[test]
fn an_endpoint_that_echoes_the_request_never_gets_a_credential_shown_in_any_encoding() {
    for (status, kind, code_echo) in [
        (403, "AccessDeniedException", false),
        (400, "ValidationException", false),
        (500, "InternalServerException", false),
        (418, "SomethingElse", true),
        (401, "UnrecognizedClientException", true),
    ] {
        let server = echoing_server(status, kind, code_echo);
        let sb = audited_sandbox();
        sb.write_raw_config(&format!(
            "[targets.ca]\nbackend = \"codeartifact\"\ndomain = \"{DOMAIN}\"\nregion = \"us-west-2\"\n[targets.ca.policy]\nbreaker_threshold = 1\nbreaker_cooldown = \"1h\"\n"
        ));
        let run = |args: &[&str]| {
            sb.cmd(args)
                .env("AWS_ENDPOINT_URL_CODEARTIFACT", server.url())
                .env("AWS_ACCESS_KEY_ID", KEY_ID)
                .env("AWS_SECRET_ACCESS_KEY", SECRET_KEY)
                .env("AWS_SESSION_TOKEN", SESSION_TOKEN)
                .output()
        };
        let first = run(&["token", "--target", "ca", "-vvv"]);
        let err = stderr(&first);
        assert_ne!(first.status.code(), Some(0), "{err}");
        // The request did carry the session token: the echo is real.
        assert!(
            server
                .requests()
                .iter()
                .all(|r| r.header("x-amz-security-token") == Some(SESSION_TOKEN))
        );
        // What is not a credential is still said: the status or code, the identity.
        assert!(
            err.contains("CodeArtifact")
                && (err.contains(kind) || err.contains(&status.to_string())),
            "{err}"
        );
        let again = run(&["token", "--target", "ca", "--log-format", "json"]);
        assert!(
            stderr(&again).contains("circuit breaker open"),
            "{}",
            stderr(&again)
        );
        let file = sb.cache_file_of("ca");
        assert!(cache::last_error(&file).is_some(), "{}", cache::read(&file));
        audit_status(&sb);
        // The leak audit (when `sb` drops) looks for every encoding of the session token and
        // the secret key on stderr, in the status output and in every file, the cache included.
    }
}

#[test]
fn a_web_identity_token_echoed_by_sts_is_never_shown() {
    let oidc = "ci-oidc-token/with+odd=chars.eyJzdWIiOiJyZXBvIn0";
    let sts = FakeServer::start(|r: &Request| {
        let echo = echoed(r)
            .replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;");
        Response {
            status: 400,
            headers: vec![("content-type".into(), "text/xml".into())],
            body: format!(
                "<ErrorResponse><Error><Type>Sender</Type><Code>InvalidIdentityToken</Code><Message>{echo}</Message></Error><RequestId>r</RequestId></ErrorResponse>"
            )
            .into_bytes(),
            delay: Duration::ZERO,
        }
    });
    let fake = Fake::start("us-west-2", "3600");
    let sb = sandbox(&fake, "breaker_threshold = 1\nbreaker_cooldown = \"1h\"");
    sb.secret(oidc);
    let token_file = sb.dir.path().join("oidc-token");
    sb.allow_token_in(&token_file);
    std::fs::write(&token_file, oidc).unwrap();
    let run = |args: &[&str]| {
        sb.cmd(args)
            .env("AWS_ENDPOINT_URL_CODEARTIFACT", fake.server.url())
            .env("AWS_ENDPOINT_URL_STS", sts.url())
            .env("AWS_WEB_IDENTITY_TOKEN_FILE", &token_file)
            .env("AWS_ROLE_ARN", "arn:aws:iam::111122223333:role/ci")
            .env("AWS_ROLE_SESSION_NAME", "s")
            .env("AWS_REGION", "us-west-2")
            .output()
    };
    let out = run(&["token", "--target", "ca", "-vvv"]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(77), "{err}");
    assert!(err.contains("no usable AWS credentials"), "{err}");
    assert!(
        sts.requests()
            .iter()
            .any(|r| r.param("WebIdentityToken", true).as_deref() == Some(oidc)),
        "STS was sent the token"
    );
    run(&["token", "--target", "ca"]);
    audit_status(&sb);
    assert_eq!(fake.server.count(), 0);
}

#[test]
fn a_redirect_is_not_followed_by_the_sdk_and_nothing_is_cached() {
    // Where the redirects point: it must never be asked.
    let elsewhere = Cloud::start(Wire::CodeArtifact, "ca-tok-stolen-");
    let location = format!(
        "http://thief:pw-in-location@127.0.0.1:{}/steal?q=query-in-location",
        elsewhere.port
    );
    let redirecting = FakeServer::start({
        let location = location.clone();
        move |_| Response::json(307, json!({})).with_header("location", &location)
    });
    let sb = audited_sandbox();
    sb.write_raw_config(&format!(
        "[targets.ca]\nbackend = \"codeartifact\"\ndomain = \"{DOMAIN}\"\nregion = \"us-west-2\"\n"
    ));
    let base = |cmd: &mut Run<'_>| {
        cmd.env("AWS_ACCESS_KEY_ID", KEY_ID)
            .env("AWS_SECRET_ACCESS_KEY", SECRET_KEY)
            .env("AWS_SESSION_TOKEN", SESSION_TOKEN);
    };
    let mut cmd = sb.cmd(&["token", "--target", "ca"]);
    base(&mut cmd);
    let out = cmd
        .env("AWS_ENDPOINT_URL_CODEARTIFACT", redirecting.url())
        .output();
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(78), "{err}");
    assert!(
        err.contains("HTTP 307") && err.contains(&format!("http://127.0.0.1:{}", elsewhere.port)),
        "{err}"
    );
    for hidden in ["thief", "pw-in-location", "steal", "query-in-location"] {
        assert!(!err.contains(hidden), "{hidden} shown: {err}");
    }
    assert!(redirecting.count() >= 1);
    assert_eq!(elsewhere.count(), 0, "the SDK followed the redirect");
    assert!(
        cache::token(&sb.cache_file_of("ca")).is_none(),
        "a token was cached"
    );

    // STS (web identity: the request carries the OIDC token) follows no redirect either.
    let token_file = oidc_token_file(&sb);
    let out = sb
        .cmd(&["token", "--target", "ca"])
        .env("AWS_ENDPOINT_URL_CODEARTIFACT", elsewhere.url())
        .env("AWS_ENDPOINT_URL_STS", redirecting.url())
        .env("AWS_WEB_IDENTITY_TOKEN_FILE", &token_file)
        .env("AWS_ROLE_ARN", "arn:aws:iam::111122223333:role/ci")
        .env("AWS_ROLE_SESSION_NAME", "s")
        .output();
    assert_ne!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(elsewhere.count(), 0, "the STS client followed the redirect");
    assert!(cache::token(&sb.cache_file_of("ca")).is_none());

    // Next to it, an endpoint that answers itself mints.
    let fake = Fake::start("us-west-2", "3600");
    let sb = sandbox(&fake, "");
    let out = token(&sb, &fake);
    assert!(out.status.success(), "{}", stderr(&out));
}

#[test]
fn an_endless_body_fails_fast_at_the_cap_while_an_ordinary_answer_mints() {
    use common::http::FloodServer;
    for (status, content_length) in [(200, true), (200, false), (403, true), (500, false)] {
        let flood = FloodServer::start(status, content_length);
        let sb = audited_sandbox();
        sb.write_raw_config(&format!(
            "[targets.ca]\nbackend = \"codeartifact\"\ndomain = \"{DOMAIN}\"\nregion = \"us-west-2\"\n[targets.ca.policy]\nmint_timeout = \"40s\"\n"
        ));
        let started = Instant::now();
        let out = sb
            .cmd(&["token", "--target", "ca"])
            .env("AWS_ENDPOINT_URL_CODEARTIFACT", flood.url())
            .env("AWS_ACCESS_KEY_ID", KEY_ID)
            .env("AWS_SECRET_ACCESS_KEY", SECRET_KEY)
            .output();
        let took = started.elapsed();
        let err = stderr(&out);
        assert_eq!(
            out.status.code(),
            Some(75),
            "{status}/{content_length}: {err}"
        );
        assert!(
            err.contains("more than 1048576 bytes") && !err.contains("xxxxxxxx"),
            "{status}/{content_length}: {err}"
        );
        assert!(
            took < Duration::from_secs(15),
            "{status}/{content_length}: {took:?}"
        );
        assert!(
            flood.written() < 64 << 20,
            "{status}/{content_length}: the client read {} bytes",
            flood.written()
        );
        assert!(flood.count() <= 3);
    }
    // The credential provider's requests are capped too: STS, for web identity.
    for content_length in [true, false] {
        let flood = FloodServer::start(200, content_length);
        let fake = Fake::start("us-west-2", "3600");
        let sb = sandbox(&fake, "");
        let token_file = oidc_token_file(&sb);
        let started = Instant::now();
        let out = sb
            .cmd(&["token", "--target", "ca"])
            .env("AWS_ENDPOINT_URL_CODEARTIFACT", fake.server.url())
            .env("AWS_ENDPOINT_URL_STS", flood.url())
            .env("AWS_WEB_IDENTITY_TOKEN_FILE", &token_file)
            .env("AWS_ROLE_ARN", "arn:aws:iam::111122223333:role/ci")
            .env("AWS_ROLE_SESSION_NAME", "s")
            .output();
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(75), "STS/{content_length}: {err}");
        assert!(
            err.contains("more than 1048576 bytes"),
            "STS/{content_length}: {err}"
        );
        assert!(started.elapsed() < Duration::from_secs(15));
        assert!(
            flood.written() < 64 << 20,
            "STS: read {} bytes",
            flood.written()
        );
        assert_eq!(fake.server.count(), 0);
    }
    let fake = Fake::start("us-west-2", "3600");
    let sb = sandbox(&fake, "");
    assert!(token(&sb, &fake).status.success());
}

/// The ECS container credentials answer (`AWS_CONTAINER_CREDENTIALS_FULL_URI`), with the key id
/// the CodeArtifact fake expects.
fn ecs_answer() -> Response {
    let expiration = jiff::Timestamp::from_second(now_ms() / 1000 + 3600).unwrap();
    Response::json(
        200,
        json!({
            "Code": "Success",
            "AccessKeyId": KEY_ID,
            "SecretAccessKey": ECS_SECRET_KEY,
            "Token": ECS_SESSION_TOKEN,
            "Expiration": expiration.to_string(),
        }),
    )
}

/// A generous bound for "the mint did not hang": well past the 30 s `mint_timeout` the
/// container tests configure, well short of an endpoint that hangs ([`cloud::HANG`]).
const NO_HANG: Duration = Duration::from_secs(120);

/// `token` with credentials from the container endpoint `full_uri` only.
fn token_from_container(
    sb: &Sandbox,
    fake: &Fake,
    full_uri: &str,
    extra_env: &[(&str, &str)],
) -> std::process::Output {
    let mut cmd = sb.cmd(&["token", "--target", "ca"]);
    cmd.env("AWS_ENDPOINT_URL_CODEARTIFACT", fake.server.url())
        .env("AWS_CONTAINER_CREDENTIALS_FULL_URI", full_uri);
    for (k, v) in extra_env {
        cmd.env(k, v);
    }
    cmd.output_within(NO_HANG).expect("the mint hung")
}

#[test]
fn a_credential_endpoint_outage_is_temporary_a_refusal_77_a_bad_setting_78_and_an_answer_mints() {
    let fake = Fake::start("us-west-2", "3600");
    let sb = sandbox(&fake, "");
    let text = std::fs::read_to_string(&sb.config).unwrap();
    sb.write_raw_config(&text.replace("mint_timeout = \"20s\"", "mint_timeout = \"30s\""));
    for (what, code) in [("503", 75), ("hang", 75), ("403", 77)] {
        let ecs = FakeServer::start(move |_| match what {
            "503" => Response::json(503, json!({"message": "unavailable"})),
            "hang" => ecs_answer().after(cloud::HANG),
            _ => Response::json(403, json!({"message": "forbidden"})),
        });
        let out = token_from_container(&sb, &fake, &format!("{}/creds", ecs.url()), &[]);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(code), "{what}: {err}");
        assert!(err.contains("no usable AWS credentials"), "{what}: {err}");
        assert!(ecs.count() >= 1, "{what}");
        sb.run(&["clear", "--all"]);
    }
    // A container endpoint the SDK refuses to use (plain http off the loopback address): the
    // setting is wrong, whatever the endpoint would say.
    let out = token_from_container(&sb, &fake, "http://192.0.2.1/creds", &[]);
    assert_eq!(out.status.code(), Some(78), "{}", stderr(&out));
    assert_eq!(fake.server.count(), 0);
    sb.run(&["clear", "--all"]);
    // Next to them, an endpoint that answers mints.
    let ecs = FakeServer::start(|_| ecs_answer());
    let out = token_from_container(&sb, &fake, &format!("{}/creds", ecs.url()), &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(fake.server.count(), 1);
}

#[test]
fn a_credential_endpoint_redirect_is_refused_78_naming_its_host_and_a_relative_one_the_asked_host()
{
    let elsewhere = FakeServer::start(|_| ecs_answer());
    let location = format!(
        "http://thief:pw-in-location@127.0.0.1:{}/steal?q=query-in-location",
        elsewhere.port
    );
    let ecs = FakeServer::start(move |_| {
        Response::json(307, json!({})).with_header("location", &location)
    });
    let fake = Fake::start("us-west-2", "3600");
    let sb = sandbox(&fake, "");
    let out = token_from_container(
        &sb,
        &fake,
        &format!("{}/creds", ecs.url()),
        &[("AWS_CONTAINER_AUTHORIZATION_TOKEN", CONTAINER_TOKEN)],
    );
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(78), "{err}");
    assert!(
        err.contains("HTTP 307") && err.contains(&format!("http://127.0.0.1:{}", elsewhere.port)),
        "{err}"
    );
    for hidden in ["thief", "pw-in-location", "steal", "query-in-location"] {
        assert!(!err.contains(hidden), "{hidden} shown: {err}");
    }
    assert_eq!(elsewhere.count(), 0, "the redirect was followed");
    assert_eq!(fake.server.count(), 0);

    // CodeArtifact itself redirecting to a relative Location: it stays on the asked origin.
    let relative = FakeServer::start(|_| {
        Response::json(308, json!({})).with_header("location", "/moved?q=query-in-location")
    });
    let sb = sandbox(&fake, "");
    let out = sb
        .cmd(&["token", "--target", "ca"])
        .env("AWS_ENDPOINT_URL_CODEARTIFACT", relative.url())
        .env("AWS_ACCESS_KEY_ID", KEY_ID)
        .env("AWS_SECRET_ACCESS_KEY", SECRET_KEY)
        .output();
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(78), "{err}");
    assert!(
        err.contains(&format!("a redirect to {}", relative.url()))
            && !err.contains("moved")
            && !err.contains("query-in-location"),
        "{err}"
    );
}

#[test]
fn a_token_file_that_is_a_fifo_or_a_device_is_refused_at_once_and_a_regular_one_is_used() {
    let fake = Fake::start("us-west-2", "3600");
    let sb = sandbox(&fake, "");
    let fifo = sb.dir.path().join("oidc-fifo");
    mkfifo(&fifo);
    let web_identity = |file: &std::path::Path| {
        let mut cmd = sb.cmd(&["token", "--target", "ca"]);
        cmd.env("AWS_ENDPOINT_URL_CODEARTIFACT", fake.server.url())
            .env("AWS_ENDPOINT_URL_STS", fake.server.url())
            .env("AWS_WEB_IDENTITY_TOKEN_FILE", file)
            .env("AWS_ROLE_ARN", "arn:aws:iam::111122223333:role/ci")
            .env("AWS_ROLE_SESSION_NAME", "s")
            .env("AWS_REGION", "us-west-2");
        let started = Instant::now();
        let out = cmd
            .output_within(Duration::from_secs(15))
            .expect("the mint hung on the file");
        (out, started.elapsed())
    };
    let (out, took) = web_identity(&fifo);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(78), "{err}");
    assert!(
        err.contains("AWS_WEB_IDENTITY_TOKEN_FILE") && err.contains("not a regular file"),
        "{err}"
    );
    assert!(took < Duration::from_secs(10), "{took:?}");
    assert_eq!(fake.server.count(), 0);
    // A device that never ends, as the container authorization token file.
    let ecs = FakeServer::start(|_| ecs_answer());
    let out = token_from_container(
        &sb,
        &fake,
        &format!("{}/creds", ecs.url()),
        &[("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", "/dev/zero")],
    );
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(78), "{err}");
    assert!(
        err.contains("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"),
        "{err}"
    );
    assert_eq!(ecs.count(), 0);
    // Next to them, a regular token file is read and exchanged.
    let file = oidc_token_file(&sb);
    let (out, _) = web_identity(&file);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        fake.server.count(),
        2,
        "one STS exchange, one GetAuthorizationToken"
    );
}

#[test]
fn an_sso_portal_that_echoes_the_cached_bearer_token_never_gets_it_shown() {
    use sha1::Digest;
    // Short pieces between separators: no rule for long encoded runs would catch it, only the
    // scrubber that knows the SSO cache.
    let bearer = "aoa:sso bearer:Tok3n/x";
    let start_url = "https://d-1234567890.awsapps.com/start";
    let portal = FakeServer::start(move |r: &Request| {
        let sent = r
            .header("x-amz-sso_bearer_token")
            .unwrap_or("(none)")
            .to_owned();
        Response::json(
            401,
            json!({"message": format!("session {sent} is not valid")}),
        )
        .with_header("x-amzn-errortype", "UnauthorizedException")
    });
    let fake = Fake::start("us-west-2", "3600");
    let sb = sandbox(&fake, "");
    let text = std::fs::read_to_string(&sb.config).unwrap();
    sb.write_raw_config(&text.replace(
        "duration = \"1h\"\n",
        "duration = \"1h\"\nprofile = \"sso\"\n",
    ));
    let aws_config = sb.dir.path().join("aws-config");
    std::fs::write(
        &aws_config,
        format!("[profile sso]\nsso_start_url = {start_url}\nsso_region = us-west-2\nsso_account_id = {OWNER}\nsso_role_name = ci\nregion = us-west-2\n"),
    )
    .unwrap();
    let cache_dir = sb.dir.path().join(".aws/sso/cache");
    std::fs::create_dir_all(&cache_dir).unwrap();
    let name: String = sha1::Sha1::digest(start_url.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let cached = cache_dir.join(format!("{name}.json"));
    std::fs::write(
        &cached,
        json!({"startUrl": start_url, "region": "us-west-2", "accessToken": bearer, "expiresAt": "2099-01-01T00:00:00Z"}).to_string(),
    )
    .unwrap();
    sb.allow_token_in(&cached);
    sb.secret(bearer);
    let out = sb
        .cmd(&["token", "--target", "ca", "-vvv"])
        .env("AWS_ENDPOINT_URL_CODEARTIFACT", fake.server.url())
        .env("AWS_ENDPOINT_URL_SSO", portal.url())
        .env("AWS_CONFIG_FILE", &aws_config)
        .output();
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(77), "{err}");
    assert!(
        portal
            .requests()
            .iter()
            .any(|r| r.header("x-amz-sso_bearer_token") == Some(bearer)),
        "the portal was sent the cached token"
    );
    assert!(
        err.contains("is not valid") && !err.contains("Tok3n"),
        "{err}"
    );
    audit_status(&sb);
    assert_eq!(fake.server.count(), 0);
}

#[test]
fn with_a_fleet_the_credential_process_sees_neither_the_fleet_key_nor_the_store_password() {
    let fake = Fake::start("us-west-2", "3600");
    let sb = sandbox(&fake, "");
    let text = std::fs::read_to_string(&sb.config).unwrap();
    // A store nobody listens on: the host mints on its own, through the helper as ever.
    sb.write_raw_config(&format!(
        "[fleet]\nstore = \"redis://127.0.0.1:9/0\"\nkey_env = \"FLEET_KEY\"\npassword_env = \"FLEET_PASSWORD\"\n\n{}",
        text.replace("duration = \"1h\"\n", "duration = \"1h\"\nprofile = \"cp\"\n")
    ));
    let seen = sb.dir.path().join("credential-process.env");
    let script = sb.dir.path().join("credential-process.sh");
    std::fs::write(
        &script,
        format!(
            "env > '{}'\nprintf '{{\"Version\": 1, \"AccessKeyId\": \"{KEY_ID}\", \"SecretAccessKey\": \"{ACCESS_KEY}\"}}'\n",
            seen.display()
        ),
    )
    .unwrap();
    // The script holds the AWS secret it hands the SDK, on purpose.
    sb.allow_token_in(&script);
    let aws_config = sb.dir.path().join("aws-config");
    std::fs::write(
        &aws_config,
        format!(
            "[profile cp]\ncredential_process = sh {}\nregion = us-west-2\n",
            script.display()
        ),
    )
    .unwrap();
    let key = "a2V5LWtleS1rZXkta2V5LWtleS1rZXkta2V5LWtleS0=";
    let password = "fleet-password-7d2e";
    sb.secret(password);
    let out = sb
        .cmd(&["token", "--target", "ca"])
        .env("AWS_ENDPOINT_URL_CODEARTIFACT", fake.server.url())
        .env("AWS_CONFIG_FILE", &aws_config)
        .env("FLEET_KEY", key)
        .env("FLEET_PASSWORD", password)
        .env("ECLUSE_TEST_MARK", "seen")
        .output();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(fake.server.count(), 1);
    let env = std::fs::read_to_string(&seen).expect("the credential process ran");
    assert!(env.contains("ECLUSE_TEST_MARK=seen"), "{env}");
    assert!(!env.contains("FLEET_KEY") && !env.contains(key), "{env}");
    assert!(
        !env.contains("FLEET_PASSWORD") && !env.contains(password),
        "{env}"
    );
}
