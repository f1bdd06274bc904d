//! `backend = "ecr"` against a loopback fake of ECR's GetAuthorizationToken, reached through
//! `AWS_ENDPOINT_URL_ECR` with the real AWS SDK doing the SigV4 signing; and, end to end, real
//! `skopeo` pushing to and pulling from Debian's `docker-registry` with the password the fake
//! issued, through `setup docker`.

mod common;

use std::fs;
use std::path::{Path, PathBuf};

use common::cloud::{self, Cloud, Expiry, Wire};
use common::http::{Request, Response};
use common::*;
use serde_json::json;

const ACCOUNT: &str = cloud::ECR_ACCOUNT;
const REGION: &str = "us-east-1";
const KEY_ID: &str = "AKIDECLUSEECRTEST";
/// The secret access key the tests hand the SDK.
const ACCESS_KEY: &str = "test-ecr-secret/access+key";
/// The ECR registry host of [`ACCOUNT`] in [`REGION`].
const HOST: &str = "111122223333.dkr.ecr.us-east-1.amazonaws.com";

/// A sandbox with no target of its own, whose leak audit looks for the AWS secret key in any
/// encoding (the fake adds every password it issues, and its base64 `AWS:` form).
fn audited_sandbox(fake: &Cloud) -> Sandbox {
    let sb = Sandbox::new("");
    sb.write_raw_config("");
    sb.secret(ACCESS_KEY);
    fake.audit_in(sb.issued_log());
    sb
}

/// What the SDK must send GetAuthorizationToken: POST / in awsJson1_1 with the target header,
/// signed by [`KEY_ID`] for `ecr` in `region`, and a body naming no registry (`registryIds` is
/// deprecated). A request that fails a check gets a 400 that names it.
fn check(r: &Request, region: &str) -> Result<(), String> {
    let auth = r.header("authorization").unwrap_or("");
    if !(auth.starts_with("AWS4-HMAC-SHA256")
        && auth.contains(&format!("Credential={KEY_ID}/"))
        && auth.contains(&format!("/{region}/ecr/aws4_request")))
    {
        return Err(format!("bad authorization header: {auth}"));
    }
    if (r.method.as_str(), r.path()) != ("POST", "/") {
        return Err(format!("unexpected {} {}", r.method, r.target));
    }
    for (name, want) in [
        (
            "x-amz-target",
            "AmazonEC2ContainerRegistry_V20150921.GetAuthorizationToken",
        ),
        ("content-type", "application/x-amz-json-1.1"),
    ] {
        if r.header(name) != Some(want) {
            return Err(format!("{name} is {:?}, expected {want}", r.header(name)));
        }
    }
    let body: Option<serde_json::Value> = serde_json::from_slice(&r.body).ok();
    if body != Some(json!({})) {
        return Err(format!("body {:?}", String::from_utf8_lossy(&r.body)));
    }
    Ok(())
}

/// The ECR fake, checking every request for `region`.
fn fake(region: &'static str) -> Cloud {
    Cloud::routed(Wire::Ecr, "ecr-pw-", move |r: &Request| {
        let why = check(r, region).err()?;
        Some(Wire::Ecr.error(400, "BadRequest", &why))
    })
}

/// The configured target `e`, with `more` in its section (a policy, `urls`).
fn configure(sb: &Sandbox, more: &str) {
    sb.write_raw_config(&format!(
        "[targets.e]\nbackend = \"ecr\"\nregistry_id = \"{ACCOUNT}\"\nregion = \"{REGION}\"\n{more}\n"
    ));
}

/// The AWS environment every run gets: the fake as ECR, static keys, and a region the target's
/// (or the host's) must override: the fake checks the signing region.
fn aws_env<'a, 'b>(cmd: &'b mut Run<'a>, fake: &Cloud) -> &'b mut Run<'a> {
    cmd.env("AWS_ENDPOINT_URL_ECR", fake.url())
        .env("AWS_ACCESS_KEY_ID", KEY_ID)
        .env("AWS_SECRET_ACCESS_KEY", ACCESS_KEY)
        .env("AWS_REGION", "eu-west-1")
}

fn run(sb: &Sandbox, fake: &Cloud, args: &[&str]) -> std::process::Output {
    aws_env(&mut sb.cmd(args), fake).output()
}

fn token(sb: &Sandbox, fake: &Cloud) -> std::process::Output {
    run(sb, fake, &["token", "--target", "e"])
}

#[test]
fn mints_with_a_signed_request_serves_the_password_and_caches_expires_at() {
    let fake = fake(REGION);
    let sb = audited_sandbox(&fake);
    configure(&sb, "");
    let out = token(&sb, &fake);
    assert!(out.status.success(), "{}", stderr(&out));
    let issued = fake.issued();
    assert_eq!(issued.len(), 1);
    // The password, not the base64 `AWS:PASSWORD` it came in.
    assert_eq!(stdout(&out), format!("{}\n", issued[0]));
    let e = cache::entry(&sb.cache_file_of("e")).expect("an entry cached for e");
    assert_eq!(e.token, issued[0]);
    assert_eq!(e.expires_at, fake.last_expiry().unwrap() as i64 * 1000);
    assert_eq!(e.expiry_source, "expiresAt");
    // The cached path makes no request.
    assert_eq!(stdout(&token(&sb, &fake)), stdout(&out));
    assert_eq!(fake.count(), 1);
    let status: serde_json::Value =
        serde_json::from_slice(&run(&sb, &fake, &["status", "--format", "json"]).stdout).unwrap();
    assert_eq!(
        (
            status["targets"][0]["backend"].as_str(),
            status["targets"][0]["username"].as_str()
        ),
        (Some("ecr"), Some("AWS"))
    );

    // A fractional expiresAt is kept to the millisecond.
    let sb = audited_sandbox(&fake);
    configure(&sb, "");
    let at = now_ms() / 1000 + 7200;
    fake.expiry(Expiry::Stated(json!(at as f64 + 0.25)));
    let out = token(&sb, &fake);
    assert!(out.status.success(), "{}", stderr(&out));
    let e = cache::entry(&sb.cache_file_of("e")).expect("an entry cached for e");
    assert_eq!(e.expires_at, at * 1000 + 250);
    assert_eq!(fake.count(), 2);
}

/// `docker-credential-ecluse get` as docker runs it, with `server` on stdin.
fn docker_get(sb: &Sandbox, fake: &Cloud, shims: &Path, server: &str) -> std::process::Output {
    aws_env(
        &mut sb.program(&shims.join("docker-credential-ecluse")),
        fake,
    )
    .arg("get")
    .output_with_stdin(server)
}

#[test]
fn an_ecr_host_derives_its_target_for_docker_over_https_only_and_look_alikes_do_not() {
    let fake = fake(REGION);
    let sb = audited_sandbox(&fake);
    let shims = sb.dir.path().join("shims");
    let out = sb.run(&["install", "shims", shims.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    for server in [
        format!("http://{HOST}"),
        format!("http://{HOST}/v2/"),
        format!("{HOST}.evil.example"),
        format!("https://{HOST}.evil.example"),
        format!("x.{HOST}"),
        "111122223333.dkr.ecr.useast1.amazonaws.com".to_owned(),
    ] {
        let out = docker_get(&sb, &fake, &shims, &server);
        assert_eq!(
            (out.status.code(), stdout(&out).as_str()),
            (Some(1), "credentials not found in native keychain\n"),
            "{server}: {}",
            stderr(&out)
        );
    }
    assert_eq!(fake.count(), 0, "a look-alike reached the token API");

    // The host itself (AWS_REGION says eu-west-1: the host's us-east-1 signs, the fake checks).
    let out = docker_get(&sb, &fake, &shims, HOST);
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    let issued = fake.issued();
    assert_eq!(issued.len(), 1);
    assert_eq!(
        stdout(&out),
        format!(
            "{{\"ServerURL\":\"{HOST}\",\"Username\":\"AWS\",\"Secret\":\"{}\"}}\n",
            issued[0]
        )
    );
    assert!(sb.cache_file_of(HOST).exists());
    // The https URL docker may send names the same target, served from the cache.
    let out = docker_get(&sb, &fake, &shims, &format!("https://{HOST}"));
    assert_eq!(
        stdout(&out),
        format!(
            "{{\"ServerURL\":\"https://{HOST}\",\"Username\":\"AWS\",\"Secret\":\"{}\"}}\n",
            issued[0]
        )
    );
    assert_eq!(fake.count(), 1);
}

#[test]
fn access_denied_and_an_expired_session_exit_77_naming_the_identity_without_retrying() {
    for (status, code) in [
        (400, "AccessDeniedException"),
        (403, "AccessDeniedException"),
        (400, "ExpiredTokenException"),
    ] {
        let fake = fake(REGION);
        fake.fail(
            status,
            code,
            "User: arn:aws:iam::111122223333:user/ci is not authorized",
        );
        let sb = audited_sandbox(&fake);
        configure(&sb, "");
        let out = token(&sb, &fake);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(77), "{status} {code}: {err}");
        assert!(
            err.contains(code)
                && err.contains(KEY_ID)
                && err.contains("default AWS credential chain"),
            "{err}"
        );
        assert_eq!(fake.count(), 1, "{status} {code}");
    }
}

#[test]
fn throttling_and_server_exceptions_are_retried_at_most_three_times_then_exit_75() {
    for (status, code) in [(400, "ThrottlingException"), (500, "ServerException")] {
        let fake = fake(REGION);
        fake.fail(status, code, "try later");
        let sb = audited_sandbox(&fake);
        configure(&sb, "[targets.e.policy]\nmint_timeout = \"20s\"");
        let out = token(&sb, &fake);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(75), "{code}: {err}");
        assert!(err.contains(code), "{err}");
        assert_eq!(fake.count(), 3, "{code}: {err}");
    }
}

#[test]
fn an_invalid_parameter_exits_78_naming_registry_id_and_region() {
    let fake = fake(REGION);
    fake.fail(400, "InvalidParameterException", "Invalid parameter");
    let sb = audited_sandbox(&fake);
    configure(&sb, "");
    let out = token(&sb, &fake);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(78), "{err}");
    assert!(
        err.contains("InvalidParameterException")
            && err.contains(&format!("registry_id `{ACCOUNT}`"))
            && err.contains("region"),
        "{err}"
    );
    assert_eq!(fake.count(), 1);
}

#[test]
fn an_authorization_token_not_base64_of_aws_colon_is_a_temporary_failure_that_never_quotes_it() {
    use base64::Engine;
    let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
    for (encoded, inner) in [
        // Another user's pair; a pair without a password; a bare secret; not base64 at all.
        (b64("bob:ecr-bad-secret-one"), "ecr-bad-secret-one"),
        (b64("AWS:"), ""),
        (b64("ecr-bad-secret-two"), "ecr-bad-secret-two"),
        (
            "ecr-bad-secret-three!%not-base64".to_owned(),
            "ecr-bad-secret-three",
        ),
    ] {
        let fake = fake(REGION);
        let body = json!({"authorizationData": [{
            "authorizationToken": encoded,
            "expiresAt": now_ms() / 1000 + 3600,
            "proxyEndpoint": format!("https://{HOST}"),
        }]});
        fake.answer_with(move |_| Some(Response::json(200, body.clone())));
        let sb = audited_sandbox(&fake);
        sb.secret(&encoded);
        if !inner.is_empty() {
            sb.secret(inner);
        }
        configure(&sb, "");
        let out = token(&sb, &fake);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(75), "{encoded}: {err}");
        assert!(
            err.contains("not base64 of `AWS:PASSWORD`"),
            "{encoded}: {err}"
        );
        assert!(
            !err.contains(&encoded) && (inner.is_empty() || !err.contains(inner)),
            "{err}"
        );
        assert!(cache::token(&sb.cache_file_of("e")).is_none());
        let status = sb.run(&["status", "--format", "json"]);
        sb.audit_stdout(&status);
        // The audit (when `sb` drops) looks for both, in every encoding, on stderr, in the
        // status output and in every file, the cache's last error included.
    }
}

#[test]
fn an_answer_without_expires_at_is_a_temporary_failure() {
    let fake = fake(REGION);
    fake.expiry(Expiry::Omitted);
    let sb = audited_sandbox(&fake);
    configure(&sb, "");
    let out = token(&sb, &fake);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(75), "{err}");
    assert!(err.contains("without an expiresAt"), "{err}");
    assert!(cache::token(&sb.cache_file_of("e")).is_none());
}

#[test]
fn an_outage_is_served_stale_and_opens_the_breaker() {
    let fake = fake(REGION);
    let sb = audited_sandbox(&fake);
    configure(
        &sb,
        "[targets.e.policy]\nmint_timeout = \"20s\"\nbreaker_threshold = 1\nbreaker_cooldown = \"1h\"",
    );
    let old = stdout(&token(&sb, &fake));
    assert_eq!(old, format!("{}\n", fake.issued()[0]));
    fake.fail(500, "ServerException", "down");
    cache::edit_entry(&sb.cache_file_of("e"), |e| e.refresh_at = now_ms() - 1000);
    let out = run(&sb, &fake, &["token", "--target", "e", "--no-background"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out), old);
    assert_eq!(fake.count(), 1 + 3);
    // Breaker open: the due password is served and ECR is left alone.
    let out = run(&sb, &fake, &["token", "--target", "e", "--no-background"]);
    assert_eq!(stdout(&out), old);
    assert_eq!(fake.count(), 4);
}

// --- Real skopeo against Debian's docker-registry (after tests/docker.rs) ---

/// The password the fake issues, so the registry's static htpasswd can hold it.
const TOKEN: &str = "ecluse-ecr-test-password-7d2e";

#[test]
fn setup_docker_lets_skopeo_push_and_pull_with_the_ecr_password_and_undo_takes_it_out() {
    let Some(tools) = docker_registry::Tools::need() else {
        return;
    };
    let fake = Cloud::with_token(Wire::Ecr, TOKEN);
    let sb = Sandbox::new("");
    sb.secret(ACCESS_KEY);
    fake.audit_in(sb.issued_log());
    let dir = sb.dir.path();
    let (registry, port) = docker_registry::start(&tools, dir, cloud::ECR_USER, TOKEN);
    let url = format!("http://127.0.0.1:{port}/");
    configure(&sb, &format!("urls = [\"{url}\"]"));
    let bin = dir.join("bin");
    let docker_config = dir.join(".docker/config.json");
    let setup = |extra: &[&str]| {
        let mut args = vec!["setup", "docker", "--url", &url, "--bin-dir"];
        args.push(bin.to_str().unwrap());
        args.extend_from_slice(extra);
        sb.run(&args)
    };
    let out = setup(&[]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&fs::read_to_string(&docker_config).unwrap())
            .unwrap(),
        json!({ "credHelpers": { format!("127.0.0.1:{port}"): "ecluse" } })
    );
    let (layout, config_digest) = docker_registry::oci_layout(dir);
    // skopeo runs docker-credential-ecluse with its own environment: the AWS one reaches the
    // mint through it, as it would from a CI job's.
    let skopeo = |args: &[&str]| {
        docker_registry::skopeo_env(aws_env(&mut sb.program(&tools.skopeo), &fake), &bin)
            .args(args)
            .output()
    };
    let image = format!("docker://127.0.0.1:{port}/demo:v1");
    let out = skopeo(&[
        "copy",
        "--dest-tls-verify=false",
        &format!("oci:{}:v1", layout.display()),
        &image,
    ]);
    assert!(out.status.success(), "skopeo copy (push): {}", stderr(&out));
    let pulled = dir.join("pulled");
    let out = skopeo(&[
        "copy",
        "--src-tls-verify=false",
        &image,
        &format!("oci:{}:v1", pulled.display()),
    ]);
    assert!(out.status.success(), "skopeo copy (pull): {}", stderr(&out));
    // The image's config came back (skopeo compresses the layer on its way to a registry).
    let config = fs::read(layout.join("blobs/sha256").join(&config_digest)).unwrap();
    assert_eq!(
        fs::read(pulled.join("blobs/sha256").join(&config_digest)).ok(),
        Some(config)
    );
    let out = skopeo(&["inspect", "--tls-verify=false", &image]);
    assert!(out.status.success(), "skopeo inspect: {}", stderr(&out));
    // One mint. The registry (which answers no request without a credential it accepts) took
    // the manifest and gave it back, and the user its log names is AWS.
    assert_eq!(fake.count(), 1);
    registry.assert_pushed_and_pulled_as(cloud::ECR_USER);

    let out = setup(&["--undo"]);
    assert!(out.status.success(), "{}", stderr(&out));
    registry.assert_refuses(|| skopeo(&["inspect", "--tls-verify=false", &image]));
    assert_eq!(fake.count(), 1);
}

/// `setup docker` wires an ECR host like any other, with no target configured: docker's
/// config names the host, and the helper it runs answers with the derived target's password.
#[test]
fn setup_docker_wires_an_ecr_host_with_no_configuration() {
    let fake = fake(REGION);
    let sb = audited_sandbox(&fake);
    let shims = sb.dir.path().join("bin");
    let config = sb.dir.path().join("docker/config.json");
    let out = sb.run(&[
        "setup",
        "docker",
        "--url",
        &format!("https://{HOST}"),
        "--file",
        config.to_str().unwrap(),
        "--bin-dir",
        shims.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let written: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(&config).unwrap()).unwrap();
    assert_eq!(written, json!({"credHelpers": {HOST: "ecluse"}}));
    let out = docker_get(&sb, &fake, &shims, HOST);
    assert!(out.status.success(), "{}", stderr(&out));
    let answer: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(answer["Username"], "AWS");
    assert_eq!(answer["Secret"], fake.issued()[0].as_str());
}

/// A throwaway CA under `dir`, and a certificate it signed for [`HOST`] (its SAN): the CA's
/// path and the server's certificate and key.
fn ca_and_server_certificate(sb: &Sandbox, openssl: &Path, dir: &Path) -> [PathBuf; 3] {
    let [ca, ca_key, csr, cert, key, san] = [
        "ca.crt",
        "ca.key",
        "server.csr",
        "server.crt",
        "server.key",
        "san.cnf",
    ]
    .map(|name| dir.join(name));
    fs::write(&san, format!("subjectAltName=DNS:{HOST}\n")).unwrap();
    let run = |cmd: &mut Run| {
        let out = cmd.output();
        assert!(out.status.success(), "openssl: {}", stderr(&out));
    };
    let new_key = ["-newkey", "rsa:2048", "-nodes", "-keyout"];
    run(sb
        .program(openssl)
        .args(["req", "-x509", "-days", "1", "-subj", "/CN=ecluse test CA"])
        .args(new_key)
        .arg(&ca_key)
        .arg("-out")
        .arg(&ca));
    run(sb
        .program(openssl)
        .args(["req", "-subj", &format!("/CN={HOST}")])
        .args(new_key)
        .arg(&key)
        .arg("-out")
        .arg(&csr));
    run(sb
        .program(openssl)
        .args(["x509", "-req", "-days", "1", "-CAcreateserial", "-in"])
        .arg(&csr)
        .arg("-CA")
        .arg(&ca)
        .arg("-CAkey")
        .arg(&ca_key)
        .arg("-extfile")
        .arg(&san)
        .arg("-out")
        .arg(&cert));
    [ca, cert, key]
}

/// With an empty configuration, `setup docker --url https://HOST` is all skopeo needs to push to
/// and pull from a registry reached by an ECR host name, over verified https on port 443 (the
/// only port a derived target answers for): the helper mints with the region the host names,
/// once. Skopeo runs in a private mount namespace whose `/etc/hosts` maps [`HOST`] to the
/// loopback registry, trusting a throwaway CA. After `--undo` the registry refuses it.
#[test]
fn a_derived_ecr_host_serves_skopeo_over_https_with_no_configuration() {
    let Some(tools) = docker_registry::Tools::need() else {
        return;
    };
    let Some(openssl) = tools::need(tools::Tool::Openssl) else {
        return;
    };
    let Some(unshare) = tools::need(tools::Tool::MountNamespace) else {
        return;
    };
    if !tools::skip_unless(
        std::net::TcpListener::bind("127.0.0.1:443").is_ok(),
        "port-443",
        "run as root (or with CAP_NET_BIND_SERVICE), with nothing listening on 127.0.0.1:443",
    ) {
        return;
    }
    // The fake checks the request is signed for us-east-1 (the host's; AWS_REGION says
    // eu-west-1), and answers the password the registry's htpasswd holds.
    let fake = fake(REGION);
    fake.fixed_token(TOKEN);
    let sb = audited_sandbox(&fake);
    let dir = sb.dir.path();
    let certs = dir.join("certs");
    fs::create_dir_all(&certs).unwrap();
    let [ca, cert, key] = ca_and_server_certificate(&sb, &openssl, dir);
    // Skopeo's certificate directory holds the CA only: the registry's certificate is verified.
    fs::copy(&ca, certs.join("ca.crt")).unwrap();
    let tls = docker_registry::Tls {
        certificate: &cert,
        key: &key,
    };
    let registry = docker_registry::start_on(&tools, dir, cloud::ECR_USER, TOKEN, 443, Some(tls));
    let hosts = dir.join("hosts");
    fs::write(&hosts, format!("127.0.0.1 localhost\n127.0.0.1 {HOST}\n")).unwrap();

    let bin = dir.join("bin");
    let auth_file = dir.join("docker/config.json");
    let url = format!("https://{HOST}");
    let setup = |extra: &[&str]| {
        let mut args = vec!["setup", "docker", "--url", &url, "--file"];
        args.extend([
            auth_file.to_str().unwrap(),
            "--bin-dir",
            bin.to_str().unwrap(),
        ]);
        args.extend_from_slice(extra);
        sb.run(&args)
    };
    let out = setup(&[]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&fs::read_to_string(&auth_file).unwrap())
            .unwrap(),
        json!({ "credHelpers": { HOST: "ecluse" } })
    );
    assert_eq!(fs::read_to_string(&sb.config).unwrap(), "");

    let (layout, config_digest) = docker_registry::oci_layout(dir);
    // Skopeo (and the helper it runs) see HOST at 127.0.0.1; its auth file is the one setup
    // wrote, and the helper takes the AWS environment from it.
    let cert_dir = certs.to_str().unwrap();
    let skopeo = |args: &[&str]| {
        docker_registry::skopeo_env(aws_env(&mut sb.program(&unshare), &fake), &bin)
            .args(["-m", "--propagation", "private", "sh", "-c"])
            .arg(r#"mount --bind "$HOSTS" /etc/hosts || exit 99; exec "$@""#)
            .arg("sh")
            .arg(&tools.skopeo)
            .args(args)
            .env("HOSTS", &hosts)
            .env("REGISTRY_AUTH_FILE", &auth_file)
            .output()
    };
    let image = format!("docker://{HOST}/demo:v1");
    let out = skopeo(&[
        "copy",
        "--dest-cert-dir",
        cert_dir,
        &format!("oci:{}:v1", layout.display()),
        &image,
    ]);
    assert!(out.status.success(), "skopeo copy (push): {}", stderr(&out));
    let pulled = dir.join("pulled");
    let out = skopeo(&[
        "copy",
        "--src-cert-dir",
        cert_dir,
        &image,
        &format!("oci:{}:v1", pulled.display()),
    ]);
    assert!(out.status.success(), "skopeo copy (pull): {}", stderr(&out));
    let config = fs::read(layout.join("blobs/sha256").join(&config_digest)).unwrap();
    assert_eq!(
        fs::read(pulled.join("blobs/sha256").join(&config_digest)).ok(),
        Some(config)
    );
    // One mint, for the derived target (cached under the host's name).
    assert_eq!(fake.issued(), [TOKEN]);
    assert!(sb.cache_file_of(HOST).exists());
    registry.assert_pushed_and_pulled_as(cloud::ECR_USER);

    // The https is verified: without the CA, skopeo refuses the registry's certificate.
    let out = skopeo(&["inspect", &image]);
    assert!(
        !out.status.success() && stderr(&out).contains("certificate signed by unknown authority"),
        "{}",
        stderr(&out)
    );

    let out = setup(&["--undo"]);
    assert!(out.status.success(), "{}", stderr(&out));
    registry.assert_refuses(|| skopeo(&["inspect", "--cert-dir", cert_dir, &image]));
    assert_eq!(fake.count(), 1);
}

/// A FIPS or dual-stack registry host derives its target too; its token comes from the
/// endpoint of that kind, unless the environment names the endpoint (as here: the fake), which
/// wins, since the SDK refuses FIPS or dual-stack beside a custom endpoint.
#[test]
fn fips_and_dual_stack_hosts_derive_and_mint_at_a_named_endpoint() {
    let fake = fake(REGION);
    let sb = audited_sandbox(&fake);
    let shims = sb.dir.path().join("shims");
    let out = sb.run(&["install", "shims", shims.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    for host in [
        "111122223333.dkr.ecr-fips.us-east-1.amazonaws.com",
        "111122223333.dkr-ecr.us-east-1.on.aws",
        "111122223333.dkr-ecr-fips.us-east-1.on.aws",
    ] {
        let out = docker_get(&sb, &fake, &shims, host);
        assert!(out.status.success(), "{host}: {}", stderr(&out));
        let answer: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(answer["Username"], "AWS", "{host}");
        assert_eq!(
            answer["Secret"].as_str(),
            fake.issued().last().map(String::as_str),
            "{host}"
        );
    }
    assert_eq!(fake.count(), 3, "one target, and one mint, per host");
}
