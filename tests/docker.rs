//! `setup docker` with real components: Debian's `docker-registry` (the distribution registry
//! server) requiring HTTP Basic with the token (htpasswd), and `skopeo`, which reads docker's
//! `config.json` `credHelpers` and runs `docker-credential-ecluse` as docker does. skopeo pushes
//! an image it reads from an OCI layout the test writes, so nothing is downloaded. The
//! registry's own request log tells what it answered and whether a credential came with it.

mod common;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use common::http::Request;
use common::registry::{assert_refused_unauthenticated, carries_credential, describe};
use common::tools::{self, Tool};
use common::*;
use sha2::{Digest, Sha256};

/// The token the mint prints, so the registry's static htpasswd can hold it.
const TOKEN: &str = "ecluse-docker-test-token-51c0";

/// A running `docker-registry`, stopped when dropped; its log (JSON lines, level info).
struct Registry {
    child: Child,
    log: PathBuf,
}

impl Drop for Registry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Registry {
    /// Every request the registry has logged, in order, with the status it answered (0 while
    /// the answer is not logged yet: the list only grows, so a test can take what came after).
    /// The registry logs the user name of a request's Basic pair, never the password: a request
    /// that named a user is given `Basic USER:?` (a password taken as sent), one that named the
    /// empty user the empty pair skopeo sends when it has no credential (ecluse's helper always
    /// names `aws`), and one that sent no pair no `Authorization`.
    fn exchanges(&self) -> Vec<(Request, u16)> {
        let log = fs::read_to_string(&self.log).unwrap_or_default();
        let mut seen: Vec<(String, Request, Option<u16>)> = Vec::new();
        for line in log.lines() {
            let Ok(e) = serde_json::from_str::<serde_json::Value>(line) else {
                continue;
            };
            let Some(id) = e["http.request.id"].as_str() else {
                continue;
            };
            let at = match seen.iter().position(|(i, _, _)| i == id) {
                Some(at) => at,
                None => {
                    let text = |k: &str| e[k].as_str().unwrap_or_default().to_owned();
                    let request = Request {
                        method: text("http.request.method"),
                        target: text("http.request.uri"),
                        headers: Vec::new(),
                        body: Vec::new(),
                    };
                    seen.push((id.to_owned(), request, None));
                    seen.len() - 1
                }
            };
            let (_, request, status) = &mut seen[at];
            let msg = e["msg"].as_str().unwrap_or_default();
            // "error authenticating user \"NAME\": ..." names the user of a refused credential.
            let user = msg
                .strip_prefix("error authenticating user \"")
                .and_then(|rest| rest.split_once('"'))
                .map(|(name, _)| name)
                .or(e["auth.user.name"].as_str());
            if let Some(user) = user
                && request.header("authorization").is_none()
            {
                use base64::Engine;
                let pair = if user.is_empty() {
                    ":".to_owned()
                } else {
                    format!("{user}:?")
                };
                let value = format!(
                    "Basic {}",
                    base64::engine::general_purpose::STANDARD.encode(pair)
                );
                request.headers.push(("authorization".to_owned(), value));
            }
            if msg.starts_with("error authorizing context") {
                *status = Some(401);
            } else if let Some(code) = e["http.response.status"].as_u64() {
                *status = Some(code as u16);
            }
        }
        seen.into_iter()
            .map(|(_, request, status)| (request, status.unwrap_or(0)))
            .collect()
    }
}

/// The real programs the registry test drives.
struct Tools {
    skopeo: PathBuf,
    registry: PathBuf,
    htpasswd: PathBuf,
}

impl Tools {
    /// All of them, or `None` when one cannot be had here (the test is reported skipped).
    fn need() -> Option<Tools> {
        Some(Tools {
            skopeo: tools::need(Tool::Skopeo)?,
            registry: tools::need(Tool::DockerRegistry)?,
            htpasswd: tools::need(Tool::Htpasswd)?,
        })
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The registry on 127.0.0.1, plain HTTP, accepting `aws` with TOKEN only.
fn registry(tools: &Tools, dir: &Path) -> (Registry, u16) {
    let htpasswd = dir.join("htpasswd");
    let out = Command::new(&tools.htpasswd)
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
            "version: 0.1\nlog:\n  level: info\n  formatter: json\nstorage:\n  filesystem:\n    rootdirectory: {}\nhttp:\n  addr: 127.0.0.1:{port}\nauth:\n  htpasswd:\n    realm: test\n    path: {}\n",
            dir.join("registry-data").display(),
            htpasswd.display()
        ),
    )
    .unwrap();
    let log = dir.join("registry.log");
    let child = Command::new(&tools.registry)
        .arg("serve")
        .arg(&config)
        .stdout(Stdio::null())
        .stderr(fs::File::create(&log).unwrap())
        .spawn()
        .unwrap();
    let registry = Registry { child, log };
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
    let Some(tools) = Tools::need() else {
        return;
    };
    let sb = Sandbox::new("");
    let dir = sb.dir.path();
    let (registry, port) = registry(&tools, dir);
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
    let layout = oci_layout(dir);
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap());
    let skopeo = |args: &[&str]| {
        sb.program(&tools.skopeo)
            .args(args)
            .env("PATH", &path)
            .env_remove("XDG_RUNTIME_DIR")
            .env_remove("REGISTRY_AUTH_FILE")
            .env_remove("DOCKER_CONFIG")
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
    let before = registry.exchanges().len();
    let out = skopeo(&["inspect", "--tls-verify=false", &image]);
    assert!(
        !out.status.success(),
        "the registry answered without the token"
    );
    // The registry logs a refusal just after sending it: wait for the log to show it.
    let refused = || {
        registry.exchanges()[before..]
            .iter()
            .any(|(r, status)| *status == 401 && !carries_credential(r))
    };
    assert!(
        wait_until(Duration::from_secs(10), refused),
        "no request without a credential was answered 401:\n{}",
        describe(&registry.exchanges()[before..])
    );
    assert_refused_unauthenticated(&registry.exchanges()[before..]);
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
