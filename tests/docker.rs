//! `setup docker` with real components: Debian's `docker-registry` (the distribution registry
//! server) requiring HTTP Basic with the token (htpasswd), and `skopeo`, which reads docker's
//! `config.json` `credHelpers` and runs `docker-credential-ecluse` as docker does. skopeo pushes
//! an image it reads from an OCI layout the test writes, so nothing is downloaded. Skips,
//! saying why, where the tools are not installed (`tests/tools/install-debian-tools.sh`).

mod common;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use common::*;
use sha2::{Digest, Sha256};

/// The token the mint prints, so the registry's static htpasswd can hold it.
const TOKEN: &str = "ecluse-docker-test-token-51c0";

struct Registry(Child);

impl Drop for Registry {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn have(tool: &str) -> bool {
    Command::new("sh")
        .arg("-c")
        .arg(format!("command -v {tool}"))
        .output()
        .is_ok_and(|o| o.status.success())
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The registry on 127.0.0.1, plain HTTP, accepting `aws` with TOKEN only.
fn registry(dir: &Path) -> (Registry, u16) {
    let htpasswd = dir.join("htpasswd");
    let out = Command::new("htpasswd")
        .args(["-Bbn", "aws", TOKEN])
        .output()
        .unwrap();
    assert!(out.status.success());
    fs::write(&htpasswd, &out.stdout).unwrap();
    let port = free_port();
    let config = dir.join("registry.yml");
    fs::write(
        &config,
        format!(
            "version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: {}\nhttp:\n  addr: 127.0.0.1:{port}\nauth:\n  htpasswd:\n    realm: test\n    path: {}\n",
            dir.join("registry-data").display(),
            htpasswd.display()
        ),
    )
    .unwrap();
    let child = Command::new("docker-registry")
        .arg("serve")
        .arg(&config)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let registry = Registry(child);
    assert!(
        wait_until(Duration::from_secs(20), || std::net::TcpStream::connect((
            "127.0.0.1",
            port
        ))
        .is_ok()),
        "docker-registry did not start"
    );
    (registry, port)
}

fn blob(layout: &Path, bytes: &[u8]) -> (String, usize) {
    let digest: String = Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    fs::write(layout.join("blobs/sha256").join(&digest), bytes).unwrap();
    (format!("sha256:{digest}"), bytes.len())
}

/// A one-layer OCI image layout (an empty tar as the layer), tagged `v1`.
fn oci_layout(dir: &Path) -> PathBuf {
    let layout = dir.join("image");
    fs::create_dir_all(layout.join("blobs/sha256")).unwrap();
    fs::write(
        layout.join("oci-layout"),
        r#"{"imageLayoutVersion":"1.0.0"}"#,
    )
    .unwrap();
    let layer = vec![0u8; 1024];
    let (layer_digest, layer_size) = blob(&layout, &layer);
    let config = serde_json::json!({"architecture": "amd64", "os": "linux",
        "rootfs": {"type": "layers", "diff_ids": [layer_digest]}})
    .to_string();
    let (config_digest, config_size) = blob(&layout, config.as_bytes());
    let manifest = serde_json::json!({"schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": config_digest, "size": config_size},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": layer_digest, "size": layer_size}]})
    .to_string();
    let (manifest_digest, manifest_size) = blob(&layout, manifest.as_bytes());
    fs::write(
        layout.join("index.json"),
        serde_json::json!({"schemaVersion": 2, "manifests": [{
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "digest": manifest_digest, "size": manifest_size,
            "annotations": {"org.opencontainers.image.ref.name": "v1"}}]})
        .to_string(),
    )
    .unwrap();
    layout
}

#[test]
fn setup_docker_lets_skopeo_push_to_a_real_registry_and_undo_takes_it_out() {
    for tool in ["skopeo", "docker-registry", "htpasswd"] {
        if !have(tool) {
            eprintln!(
                "skipped: `{tool}` is not installed (bash tests/tools/install-debian-tools.sh)"
            );
            return;
        }
    }
    let sb = Sandbox::new("");
    let dir = sb.dir.path();
    let (_registry, port) = registry(dir);
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
    assert!(
        written.contains(&format!("\"127.0.0.1:{port}\": \"ecluse\""))
            && written.contains("\"detachKeys\": \"ctrl-e,e\""),
        "{written}"
    );
    let layout = oci_layout(dir);
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap());
    let skopeo = |args: &[&str]| {
        sb.recorded(
            sb.program(Path::new("skopeo"))
                .args(args)
                .env("PATH", &path)
                .env_remove("XDG_RUNTIME_DIR")
                .env_remove("REGISTRY_AUTH_FILE")
                .env_remove("DOCKER_CONFIG")
                .output()
                .unwrap(),
        )
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
    let out = skopeo(&["inspect", "--tls-verify=false", &image]);
    assert!(
        !out.status.success(),
        "the registry answered without the token"
    );
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
        .output()
        .unwrap();
    assert_eq!(stdout(&out), "credentials not found in native keychain\n");
    assert_eq!(sb.mints(), 1);
}
