//! `setup docker` with real components: Debian's `docker-registry` (the distribution registry
//! server) requiring HTTP Basic with the token (htpasswd), and `skopeo`, which reads docker's
//! `config.json` `credHelpers` and runs `docker-credential-ecluse` as docker does. skopeo pushes
//! an image it reads from an OCI layout the test writes, so nothing is downloaded. The
//! registry's own request log tells what it answered and whether a credential came with it.

mod common;

use std::fs;
use std::process::Stdio;

use common::*;

/// The token the mint prints, so the registry's static htpasswd can hold it.
const TOKEN: &str = "ecluse-docker-test-token-51c0";

#[test]
fn setup_docker_lets_skopeo_push_to_a_real_registry_and_undo_takes_it_out() {
    let Some(tools) = docker_registry::Tools::need() else {
        return;
    };
    let sb = Sandbox::new("");
    let dir = sb.dir.path();
    let (registry, port) = docker_registry::start(&tools, dir, "aws", TOKEN);
    // The registry speaks plain http on the loopback address, as docker's built-in insecure
    // registries do (skopeo is told with --tls-verify=false): the target says so.
    sb.write_raw_config(&format!(
        "[targets.reg]\nbackend = \"command\"\ncommand = [\"/bin/echo\", \"{{\\\"token\\\":\\\"{TOKEN}\\\",\\\"expires_in\\\":3600}}\"]\nusername = \"aws\"\nurls = [\"http://127.0.0.1:{port}/\"]\n"
    ));
    sb.allow_token_in(&sb.config);
    let docker_config = dir.join(".docker/config.json");
    fs::create_dir_all(docker_config.parent().unwrap()).unwrap();
    let mine = "{\n\t\"auths\": {},\n\t\"detachKeys\": \"ctrl-e,e\"\n}\n";
    fs::write(&docker_config, mine).unwrap();
    let bin = dir.join("bin");
    let url = format!("http://127.0.0.1:{port}/");
    let setup = |extra: &[&str]| {
        let mut args = vec![
            "setup",
            "docker",
            "--url",
            &url,
            "--bin-dir",
            bin.to_str().unwrap(),
        ];
        args.extend_from_slice(extra);
        sb.run(&args)
    };
    let out = setup(&[]);
    assert!(out.status.success(), "{}", stderr(&out));
    let written = fs::read_to_string(&docker_config).unwrap();
    // The user's settings, and the helper for the registry's host:port.
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&written).unwrap(),
        serde_json::json!({
            "auths": {},
            "detachKeys": "ctrl-e,e",
            "credHelpers": { format!("127.0.0.1:{port}"): "ecluse" },
        }),
        "{written}"
    );
    let (layout, _) = docker_registry::oci_layout(dir);
    let skopeo = |args: &[&str]| {
        docker_registry::skopeo_env(&mut sb.program(&tools.skopeo), &bin)
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
    assert!(out.status.success(), "skopeo copy: {}", stderr(&out));
    let out = skopeo(&["inspect", "--tls-verify=false", &image]);
    assert!(out.status.success(), "skopeo inspect: {}", stderr(&out));

    let out = setup(&["--undo"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        fs::read_to_string(&docker_config).unwrap(),
        mine,
        "undo restores the bytes"
    );
    registry.assert_refuses(|| skopeo(&["inspect", "--tls-verify=false", &image]));
}

#[test]
fn setup_docker_refuses_plain_http_off_the_loopback_address_and_a_registry_sent_elsewhere() {
    let sb = Sandbox::new(
        "username = \"aws\"\nurls = [\"https://registry.example.com/\", \"http://127.0.0.1:5000/\", \"http://registry.example.com:5000/\"]",
    );
    let docker_config = sb.dir.path().join(".docker/config.json");
    let bin = sb.dir.path().join("bin");
    let setup = |url: &str| {
        sb.run(&[
            "setup",
            "docker",
            "--url",
            url,
            "--bin-dir",
            bin.to_str().unwrap(),
            "--dry-run",
        ])
    };
    // docker reaches another host over https only: a plain-http target there is refused.
    let out = setup("http://registry.example.com:5000/");
    assert_eq!(out.status.code(), Some(78), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("docker speaks https to registries"),
        "{}",
        stderr(&out)
    );
    // The machine itself is one of docker's insecure registries, reached over http.
    let out = setup("http://127.0.0.1:5000/");
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("\"127.0.0.1:5000\": \"ecluse\""),
        "{}",
        stdout(&out)
    );
    fs::create_dir_all(docker_config.parent().unwrap()).unwrap();
    let theirs = "{\"credHelpers\": {\"registry.example.com\": \"gcloud\"}}";
    fs::write(&docker_config, theirs).unwrap();
    let out = sb.run(&[
        "setup",
        "docker",
        "--url",
        "https://registry.example.com/",
        "--bin-dir",
        bin.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(78), "{}", stderr(&out));
    assert!(stderr(&out).contains("gcloud"), "{}", stderr(&out));
    assert_eq!(fs::read_to_string(&docker_config).unwrap(), theirs);
}

#[test]
fn docker_helper_speaks_dockers_protocol() {
    let (sb, shims) = shim_sandbox(&[
        "https://registry.example.com/",
        "http://127.0.0.1:5000/",
        "https://127.0.0.1:5443/",
        "http://plain.example.com:5000/",
    ]);
    let out = shim(
        &sb,
        &shims,
        "docker-credential-ecluse",
        &["get"],
        "https://registry.example.com",
    );
    assert!(out.status.success(), "{}", stdout(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["ServerURL"], "https://registry.example.com");
    assert_eq!(v["Username"], "aws");
    assert_eq!(v["Secret"].as_str().unwrap(), sb.cached_token());
    // A bare host:port, as docker sends for a registry with a port, means https: the https
    // entry answers it; an http-only one only on the machine itself, which docker, podman and
    // skopeo reach over plain http (docker's built-in insecure registries).
    for (server, found) in [
        ("127.0.0.1:5443", true),
        ("registry.example.com:443", true),
        ("127.0.0.1:5000", true),
        ("127.0.0.1:5001", false),
        ("http://127.0.0.1:5000", true),
        ("http://registry.example.com", false),
        ("plain.example.com:5000", false),
        ("https://plain.example.com:5000", false),
    ] {
        let out = shim(&sb, &shims, "docker-credential-ecluse", &["get"], server);
        assert_eq!(out.status.success(), found, "{server}: {}", stdout(&out));
    }
    // Userinfo is never echoed back.
    let out = shim(
        &sb,
        &shims,
        "docker-credential-ecluse",
        &["get"],
        "https://user:SECRET@registry.example.com",
    );
    assert!(
        out.status.success() && !stdout(&out).contains("SECRET"),
        "{}",
        stdout(&out)
    );

    let out = shim(
        &sb,
        &shims,
        "docker-credential-ecluse",
        &["get"],
        "unknown.example.com",
    );
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(stdout(&out), "credentials not found in native keychain\n");

    let out = shim(&sb, &shims, "docker-credential-ecluse", &["list"], "");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        v,
        serde_json::json!({"registry.example.com": "aws", "127.0.0.1:5443": "aws", "127.0.0.1:5000": "aws"})
    );

    for op in ["store", "erase"] {
        let out = shim(
            &sb,
            &shims,
            "docker-credential-ecluse",
            &[op],
            r#"{"ServerURL":"x","Username":"u","Secret":"s"}"#,
        );
        assert_eq!(
            (out.status.code(), stdout(&out).as_str()),
            (Some(1), "not implemented\n")
        );
    }
    let out = sb
        .cmd(&["docker-credential", "get"])
        .stdin(Stdio::null())
        .output();
    assert_eq!(stdout(&out), "credentials not found in native keychain\n");
    assert_eq!(sb.mints(), 1);
}
