//! `backend = "oauth2"` (client credentials) against a loopback token endpoint that checks the
//! client authentication, and the secret's safety.

mod common;

use std::time::Duration;

use base64::Engine;
use common::cloud::{Cloud, Expiry, Wire};
use common::http::{FakeServer, Request, Response};
use common::*;
use serde_json::json;

const CLIENT_ID: &str = "ecluse client";
/// Characters that Basic auth must form-urlencode (RFC 6749 §2.3.1).
const SECRET: &str = "s3cr:t/+&x%y";

/// How long the fake's tokens live, as `expires_in` states.
const LIFETIME: Duration = Duration::from_secs(1800);

/// How the fake answers a request that passed its check.
#[derive(Clone, Copy, PartialEq)]
enum Mode {
    InvalidClient,
    InvalidScope,
    Throttled,
    Down,
    /// Echo the whole request (headers and form body) as a text body.
    EchoText,
    /// Echo it in `error_description`.
    EchoDescription,
    /// Put the Authorization header (or the form body) in `error` itself.
    EchoCode,
    /// A token "valid" for `expires_in` = 1e30 seconds.
    HugeExpiresIn,
    /// The request as JSON inside `error_description`, `/` escaped as `\/` (as PHP does).
    EchoJsonSlash,
    /// The request upper-cased in `error_description`.
    EchoUpper,
    /// The base64 of the whole request in `error_description`.
    EchoBase64,
}

/// The request as an echoing server would return it.
fn echo(r: &Request) -> String {
    let headers: Vec<String> = r.headers.iter().map(|(k, v)| format!("{k}: {v}")).collect();
    format!(
        "{}\n\n{}",
        headers.join("\n"),
        String::from_utf8_lossy(&r.body)
    )
}

/// The shared OAuth2 fake, checking the client authentication: a request that fails the check
/// gets `invalid_client` naming why.
struct Fake {
    server: Cloud,
}

impl Fake {
    fn start(auth: &'static str) -> Fake {
        let server = Cloud::routed(Wire::OAuth2, "oa-tok-", move |r: &Request| {
            let why = check(r, auth).err()?;
            Some(Wire::OAuth2.error(401, "invalid_client", &why))
        });
        server.expiry(Expiry::In(LIFETIME));
        Fake { server }
    }

    fn set(&self, mode: Mode) {
        let fake = &self.server;
        let described =
            |description: String| Some(Wire::OAuth2.error(400, "invalid_request", &description));
        match mode {
            // A careless server that echoes the secret it was sent.
            Mode::InvalidClient => {
                fake.fail(401, "invalid_client", &format!("bad secret {SECRET}"))
            }
            Mode::InvalidScope => fake.fail(400, "invalid_scope", "unknown scope"),
            Mode::Throttled => fake.fail(429, "slow_down", "too many requests"),
            Mode::Down => fake.fail(503, "temporarily_unavailable", "down"),
            Mode::EchoText => fake.answer_with(|r| {
                let mut resp = Response::json(401, json!({}));
                resp.headers = vec![("content-type".into(), "text/plain".into())];
                resp.body = echo(r).into_bytes();
                Some(resp)
            }),
            Mode::EchoDescription => fake.answer_with(move |r| described(echo(r))),
            Mode::EchoJsonSlash => fake.answer_with(move |r| {
                let json = serde_json::to_string(&echo(r)).unwrap();
                described(json.replace('/', "\\/"))
            }),
            Mode::EchoUpper => fake
                .answer_with(move |r| described(echo(r).to_ascii_uppercase().replace('\n', " "))),
            Mode::EchoBase64 => fake.answer_with(move |r| {
                let encoded = base64::engine::general_purpose::STANDARD.encode(echo(r));
                described(format!("got {encoded}"))
            }),
            Mode::HugeExpiresIn => fake.expiry(Expiry::Stated(json!(1e30))),
            Mode::EchoCode => fake.answer_with(|r| {
                let sent = r.header("authorization").map_or_else(
                    || String::from_utf8_lossy(&r.body).into_owned(),
                    str::to_owned,
                );
                Some(Response::json(500, json!({ "error": sent })))
            }),
        }
    }
}

fn check(r: &Request, auth: &str) -> Result<(), String> {
    if (r.method.as_str(), r.path()) != ("POST", "/tenant/token") {
        return Err(format!("unexpected {} {}", r.method, r.path()));
    }
    if r.param("grant_type", true).as_deref() != Some("client_credentials") {
        return Err("grant_type is not client_credentials".into());
    }
    if r.param("scope", true).as_deref() != Some("api://xyz/.default") {
        return Err("wrong scope".into());
    }
    let enc = |s: &str| url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
    let basic = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!(
            "{}:{}",
            enc(CLIENT_ID),
            enc(SECRET)
        ))
    );
    let (header, id, secret) = (
        r.header("authorization"),
        r.param("client_id", true),
        r.param("client_secret", true),
    );
    let ok = match auth {
        "basic" => header == Some(basic.as_str()) && id.is_none() && secret.is_none(),
        _ => {
            header.is_none()
                && id.as_deref() == Some(CLIENT_ID)
                && secret.as_deref() == Some(SECRET)
        }
    };
    if ok {
        Ok(())
    } else {
        Err(format!("client authentication is not {auth}"))
    }
}

/// A sandbox whose leak audit looks for the client secret and the Basic pair, in any encoding.
fn audited_sandbox() -> Sandbox {
    let sb = Sandbox::new("");
    sb.secret(SECRET);
    sb.basic_pair(CLIENT_ID, SECRET);
    sb
}

fn sandbox(fake: &Fake, auth: &str, policy: &str) -> Sandbox {
    let sb = audited_sandbox();
    fake.server.audit_in(sb.issued_log());
    sb.write_raw_config(&format!(
        "[targets.az]\nbackend = \"oauth2\"\ntoken_url = \"{}/tenant/token\"\nclient_id = \"{CLIENT_ID}\"\nclient_secret_env = \"AZ_SECRET\"\nscope = \"api://xyz/.default\"\nclient_auth = \"{auth}\"\n[targets.az.policy]\n{policy}\n",
        fake.server.url()
    ));
    sb
}

fn token(sb: &Sandbox, extra: &[&str]) -> std::process::Output {
    let mut args = vec!["token", "--target", "az"];
    args.extend_from_slice(extra);
    sb.cmd(&args).env("AZ_SECRET", SECRET).output()
}

#[test]
fn basic_client_authentication_form_encodes_id_and_secret() {
    let fake = Fake::start("basic");
    let sb = sandbox(&fake, "basic", "");
    let out = token(&sb, &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).starts_with("oa-tok-"));
    let e = cache::entry(&sb.cache_file_of("az")).expect("an entry cached for az");
    assert_eq!(e.expiry_source, "expires_in");
    assert_eq!(e.expires_at - e.issued_at, LIFETIME.as_millis() as i64);
    token(&sb, &[]);
    assert_eq!(fake.server.count(), 1, "the cached path makes no request");
}

#[test]
fn post_client_authentication_sends_form_fields() {
    let fake = Fake::start("post");
    let sb = sandbox(&fake, "post", "");
    let out = token(&sb, &[]);
    assert!(out.status.success(), "{}", stderr(&out));
}

#[test]
fn secret_from_a_file_works_and_a_missing_env_var_is_a_config_error() {
    let fake = Fake::start("basic");
    let sb = sandbox(&fake, "basic", "");
    let secret_file = sb.dir.path().join("secret");
    sb.allow_token_in(&secret_file);
    std::fs::write(&secret_file, format!("{SECRET}\n")).unwrap();
    let text = std::fs::read_to_string(&sb.config).unwrap();
    sb.write_raw_config(&text.replace(
        "client_secret_env = \"AZ_SECRET\"",
        &format!("client_secret_file = \"{}\"", secret_file.display()),
    ));
    let out = sb.run(&["token", "--target", "az"]);
    assert!(out.status.success(), "{}", stderr(&out));

    sb.write_raw_config(&text);
    sb.run(&["clear", "--all"]);
    let out = sb.run(&["token", "--target", "az"]);
    assert_eq!(out.status.code(), Some(78), "{}", stderr(&out));
    assert!(stderr(&out).contains("AZ_SECRET"), "{}", stderr(&out));
}

#[test]
fn rejected_client_exits_77_and_the_secret_never_shows_even_when_echoed() {
    let fake = Fake::start("basic");
    fake.set(Mode::InvalidClient);
    let sb = sandbox(&fake, "basic", "");
    let out = token(&sb, &["-vvv"]);
    assert_eq!(out.status.code(), Some(77), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("invalid_client"), "{err}");
    assert!(!err.contains(SECRET), "{err}");
    let status = stdout(&sb.run(&["status", "--format", "json"]));
    assert!(
        !status.contains(SECRET)
            && !std::fs::read_to_string(sb.cache_file_of("az"))
                .unwrap()
                .contains(SECRET)
    );
}

#[test]
fn a_server_that_echoes_the_request_never_gets_the_secret_shown_in_any_encoding() {
    for auth in ["basic", "post"] {
        for mode in [
            Mode::EchoText,
            Mode::EchoDescription,
            Mode::EchoCode,
            Mode::EchoJsonSlash,
            Mode::EchoUpper,
            Mode::EchoBase64,
        ] {
            let fake = Fake::start(auth);
            fake.set(mode);
            // Threshold 1: the stored failure is shown again by the breaker's message.
            let sb = sandbox(
                &fake,
                auth,
                "breaker_threshold = 1\nbreaker_cooldown = \"1h\"",
            );
            let first = token(&sb, &["-vvv"]);
            assert_ne!(first.status.code(), Some(0));
            let err = stderr(&first);
            assert!(err.contains("token endpoint answered HTTP"), "{err}");
            let again = token(&sb, &["-vvv", "--log-format", "json"]);
            assert!(
                stderr(&again).contains("circuit breaker open"),
                "{}",
                stderr(&again)
            );
            for format in ["table", "json"] {
                let status = sb.run(&["status", "--format", format]);
                assert!(status.status.success());
                sb.audit_stdout(&status);
            }
            // The leak audit (when `sb` drops) checks every encoding of the secret and of the
            // Basic pair in all of the above and in every file, the cache included.
        }
    }
}

#[test]
fn an_expires_in_no_real_token_has_is_refused_not_overflowed() {
    let fake = Fake::start("basic");
    fake.set(Mode::HugeExpiresIn);
    let sb = sandbox(&fake, "basic", "");
    let out = token(&sb, &[]);
    assert_eq!(out.status.code(), Some(75), "{}", stderr(&out));
    assert!(stderr(&out).contains("366 days"), "{}", stderr(&out));
    assert!(!stderr(&out).contains("panicked"));
    assert!(!sb.cache_file_of("az").exists() || cache::token(&sb.cache_file_of("az")).is_none());
}

#[test]
fn throttling_and_server_errors_are_transient_and_other_client_errors_are_config() {
    for (mode, code) in [
        (Mode::Throttled, 75),
        (Mode::Down, 75),
        (Mode::InvalidScope, 78),
    ] {
        let fake = Fake::start("basic");
        fake.set(mode);
        let sb = sandbox(&fake, "basic", "");
        let out = token(&sb, &[]);
        assert_eq!(out.status.code(), Some(code), "{}", stderr(&out));
        assert_eq!(fake.server.count(), 1);
    }
    let sb = audited_sandbox();
    sb.write_raw_config(&format!("[targets.az]\nbackend = \"oauth2\"\ntoken_url = \"http://127.0.0.1:9/t\"\nclient_id = \"{CLIENT_ID}\"\nclient_secret_env = \"AZ_SECRET\"\n"));
    let out = token(&sb, &[]);
    assert_eq!(
        out.status.code(),
        Some(75),
        "an unreachable endpoint: {}",
        stderr(&out)
    );
}

#[test]
fn concurrent_cold_callers_make_one_request_and_an_outage_opens_the_breaker() {
    let fake = Fake::start("basic");
    let sb = sandbox(
        &fake,
        "basic",
        "breaker_threshold = 2\nbreaker_cooldown = \"1h\"",
    );
    let env = [("AZ_SECRET".to_owned(), SECRET.to_owned())];
    assert!(all_same_token(&sb.concurrent(12, "az", &env)));
    assert_eq!(fake.server.count(), 1);

    fake.set(Mode::Down);
    sb.run(&["clear", "--target", "az"]);
    for _ in 0..4 {
        assert_eq!(token(&sb, &[]).status.code(), Some(75));
    }
    assert_eq!(
        fake.server.count(),
        1 + 2,
        "two failures open the breaker; then no requests"
    );
}

#[test]
fn an_inline_client_secret_in_the_config_is_refused() {
    let sb = Sandbox::new("");
    sb.write_raw_config("[targets.az]\nbackend = \"oauth2\"\ntoken_url = \"https://x/t\"\nclient_id = \"c\"\nclient_secret = \"hunter2\"\n");
    // The config holds the secret (that is the mistake refused); nothing else may.
    sb.allow_token_in(&sb.config);
    sb.secret("hunter2");
    let out = sb.run(&["token", "--target", "az"]);
    assert_eq!(out.status.code(), Some(78));
    assert!(
        stderr(&out).contains("client_secret_env") && !stderr(&out).contains("hunter2"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn a_redirect_is_refused_naming_only_its_host_and_the_secret_stays_home() {
    for auth in ["basic", "post"] {
        // Where the redirect points: it must never be asked.
        let elsewhere = Cloud::start(Wire::OAuth2, "oa-tok-stolen-");
        let location = format!(
            "http://thief:pw-in-location@127.0.0.1:{}/steal/path?q=query-in-location#frag",
            elsewhere.port
        );
        let fake = Fake::start(auth);
        let sb = sandbox(&fake, auth, "");
        for status in [301, 302, 303, 307, 308] {
            let redirecting = FakeServer::start({
                let location = location.clone();
                move |_| Response::json(status, json!({})).with_header("location", &location)
            });
            let text = std::fs::read_to_string(&sb.config).unwrap();
            sb.write_raw_config(&text.replace(&fake.server.url(), &redirecting.url()));
            let out = token(&sb, &["-vvv"]);
            sb.write_raw_config(&text);
            let err = stderr(&out);
            assert_eq!(out.status.code(), Some(78), "{status}: {err}");
            let host = format!("http://127.0.0.1:{}", elsewhere.port);
            assert!(
                err.contains(&format!("HTTP {status}")) && err.contains(&host),
                "{status}: {err}"
            );
            for hidden in [
                "thief",
                "pw-in-location",
                "steal",
                "query-in-location",
                "frag",
            ] {
                assert!(!err.contains(hidden), "{status}: {hidden} shown: {err}");
            }
            assert_eq!(redirecting.count(), 1, "{status}");
            assert_eq!(elsewhere.count(), 0, "{status}: the redirect was followed");
            assert!(
                !sb.cache_file_of("az").exists() || cache::token(&sb.cache_file_of("az")).is_none(),
                "{status}: a token was cached"
            );
        }
        // The endpoint that answers itself still mints.
        let out = token(&sb, &[]);
        assert!(out.status.success(), "{auth}: {}", stderr(&out));
        assert!(stdout(&out).starts_with("oa-tok-"));
    }
}

#[test]
fn an_endless_body_fails_fast_at_the_cap_while_an_ordinary_answer_mints() {
    use common::http::FloodServer;
    for (status, content_length) in [(200, true), (200, false), (400, true), (503, false)] {
        let flood = FloodServer::start(status, content_length);
        let sb = audited_sandbox();
        sb.write_raw_config(&format!(
            "[targets.az]\nbackend = \"oauth2\"\ntoken_url = \"{}/tenant/token\"\nclient_id = \"{CLIENT_ID}\"\nclient_secret_env = \"AZ_SECRET\"\n[targets.az.policy]\nmint_timeout = \"30s\"\n",
            flood.url()
        ));
        let started = std::time::Instant::now();
        let out = token(&sb, &[]);
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
        assert!(took < std::time::Duration::from_secs(10), "{took:?}");
        assert!(
            flood.written() < 64 << 20,
            "{status}/{content_length}: the client read {} bytes",
            flood.written()
        );
    }
    // Next to it, an ordinary answer mints.
    let fake = Fake::start("basic");
    let sb = sandbox(&fake, "basic", "");
    assert!(token(&sb, &[]).status.success());
}

#[test]
fn a_token_url_with_credentials_is_refused_without_showing_them() {
    let sb = Sandbox::new("");
    // The config holds the password (that is the mistake refused); nothing else may.
    sb.allow_token_in(&sb.config);
    sb.secret("hunter2pw");
    for url in [
        "https://user:hunter2pw@login.example/t",
        "https://hunter2pw@login.example/t",
        "https://:hunter2pw@login.example/t",
    ] {
        sb.write_raw_config(&format!("[targets.az]\nbackend = \"oauth2\"\ntoken_url = \"{url}\"\nclient_id = \"c\"\nclient_secret_env = \"AZ_SECRET\"\n"));
        for args in [&["token", "--target", "az"][..], &["status"][..]] {
            let out = sb.run(args);
            let err = stderr(&out);
            assert_eq!(out.status.code(), Some(78), "{url}: {err}");
            assert!(
                err.contains("token_url")
                    && err.contains("credentials")
                    && err.contains("login.example"),
                "{url}: {err}"
            );
            assert!(!err.contains("hunter2pw"), "{url}: {err}");
        }
    }
    // The same URL without userinfo is accepted.
    sb.write_raw_config("[targets.az]\nbackend = \"oauth2\"\ntoken_url = \"https://login.example/t\"\nclient_id = \"c\"\nclient_secret_env = \"AZ_SECRET\"\n");
    assert!(sb.run(&["status"]).status.success());
}

#[test]
fn a_client_secret_file_that_is_a_fifo_or_a_device_is_refused_at_once_and_a_regular_one_mints() {
    let fake = Fake::start("basic");
    let sb = sandbox(&fake, "basic", "mint_timeout = \"30s\"");
    let text = std::fs::read_to_string(&sb.config).unwrap();
    let with_file = |path: &std::path::Path| {
        sb.write_raw_config(&text.replace(
            "client_secret_env = \"AZ_SECRET\"",
            &format!("client_secret_file = \"{}\"", path.display()),
        ));
        let started = std::time::Instant::now();
        let out = sb
            .cmd(&["token", "--target", "az"])
            .output_within(std::time::Duration::from_secs(15))
            .expect("the mint hung on the secret file");
        (out, started.elapsed())
    };
    let fifo = sb.dir.path().join("secret-fifo");
    mkfifo(&fifo);
    for path in [fifo.as_path(), std::path::Path::new("/dev/zero")] {
        let (out, took) = with_file(path);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(78), "{}: {err}", path.display());
        assert!(
            err.contains("client_secret_file") && err.contains("not a regular file"),
            "{err}"
        );
        assert!(took < std::time::Duration::from_secs(10), "{took:?}");
    }
    assert_eq!(fake.server.count(), 0);
    // Next to them, a regular file holding the secret mints.
    let secret_file = sb.dir.path().join("secret");
    sb.allow_token_in(&secret_file);
    std::fs::write(&secret_file, format!("{SECRET}\n")).unwrap();
    let (out, _) = with_file(&secret_file);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(fake.server.count(), 1);
}
