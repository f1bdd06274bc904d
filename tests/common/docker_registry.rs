//! Debian's real `docker-registry` (the distribution registry server) on loopback, plain HTTP
//! (or https with a given certificate) behind an htpasswd file, for the tests that drive skopeo
//! through `setup docker` (docker's and ECR's): started and stopped, its JSON log read back as
//! exchanges, and a one-layer OCI image to push.

#![allow(dead_code)]

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::json;
use sha2::{Digest, Sha256};

use super::Run;
use super::http::Request;
use super::registry::{assert_refused_unauthenticated, carries_credential, describe};
use super::tools::{self, Tool};
use super::wait_until;

/// A running `docker-registry`, stopped when dropped; its log (JSON lines, level info).
pub struct Registry {
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
    /// The image `demo:v1` went in and came back: its manifest PUT answered 201 and GET 200,
    /// and every user the log names is `user`.
    pub fn assert_pushed_and_pulled_as(&self, user: &str) {
        let exchanges = self.exchanges();
        for (method, want) in [("PUT", 201), ("GET", 200)] {
            assert!(
                exchanges.iter().any(|(r, status)| r.method == method
                    && r.path() == "/v2/demo/manifests/v1"
                    && *status == want),
                "no {method} of the manifest answered {want}:\n{}",
                describe(&exchanges)
            );
        }
        let users: Vec<String> = exchanges.iter().filter_map(|(r, _)| user_of(r)).collect();
        assert!(
            !users.is_empty() && users.iter().all(|u| u == user),
            "{users:?}"
        );
    }

    /// `attempt`, a client run without the credential, fails, and the registry refused it for
    /// want of one ([`Registry::assert_refused_after`]).
    pub fn assert_refuses(&self, attempt: impl FnOnce() -> std::process::Output) {
        let before = self.exchanges().len();
        let out = attempt();
        assert!(
            !out.status.success(),
            "the registry answered without the credential"
        );
        self.assert_refused_after(before);
    }

    /// The requests after the first `before` were refused for want of a credential: one
    /// without a credential was answered 401 (waited for: the registry logs a refusal just
    /// after sending it), and none carrying one got in.
    pub fn assert_refused_after(&self, before: usize) {
        let refused = || {
            self.exchanges()[before..]
                .iter()
                .any(|(r, status)| *status == 401 && !carries_credential(r))
        };
        assert!(
            wait_until(super::PATIENCE, refused),
            "no request without a credential was answered 401:\n{}",
            describe(&self.exchanges()[before..])
        );
        assert_refused_unauthenticated(&self.exchanges()[before..]);
    }

    pub fn exchanges(&self) -> Vec<(Request, u16)> {
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
pub struct Tools {
    pub skopeo: PathBuf,
    pub registry: PathBuf,
    pub htpasswd: PathBuf,
}

impl Tools {
    /// All of them, or `None` when one cannot be had here (the test is reported skipped).
    pub fn need() -> Option<Tools> {
        Some(Tools {
            skopeo: tools::need(Tool::Skopeo)?,
            registry: tools::need(Tool::DockerRegistry)?,
            htpasswd: tools::need(Tool::Htpasswd)?,
        })
    }
}

/// `run` (skopeo) with `bin` first on PATH, where `setup docker --bin-dir` put the helper, and
/// none of the user's settings that would send it to another auth file than the sandbox's.
pub fn skopeo_env<'a, 'b>(run: &'b mut Run<'a>, bin: &Path) -> &'b mut Run<'a> {
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    run.env("PATH", path)
        .env_remove("XDG_RUNTIME_DIR")
        .env_remove("REGISTRY_AUTH_FILE")
        .env_remove("DOCKER_CONFIG")
}

/// The registry on 127.0.0.1, plain HTTP, accepting `user` with `password` only, its files
/// under `dir`.
pub fn start(tools: &Tools, dir: &Path, user: &str, password: &str) -> (Registry, u16) {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    (start_on(tools, dir, user, password, port, None), port)
}

/// A certificate and its private key, for a registry serving https.
pub struct Tls<'a> {
    pub certificate: &'a Path,
    pub key: &'a Path,
}

/// [`start`] on 127.0.0.1:`port`, over https with `tls`, plain HTTP without.
pub fn start_on(
    tools: &Tools,
    dir: &Path,
    user: &str,
    password: &str,
    port: u16,
    tls: Option<Tls<'_>>,
) -> Registry {
    let out = Command::new(&tools.htpasswd)
        .args(["-Bbn", user, password])
        .output()
        .unwrap();
    assert!(out.status.success());
    let passwords = dir.join("htpasswd");
    fs::write(&passwords, &out.stdout).unwrap();
    let tls = tls.map_or_else(String::new, |t| {
        format!(
            "  tls:\n    certificate: {}\n    key: {}\n",
            t.certificate.display(),
            t.key.display()
        )
    });
    let config = dir.join("registry.yml");
    fs::write(
        &config,
        format!(
            "version: 0.1\nlog:\n  level: info\n  formatter: json\nstorage:\n  filesystem:\n    rootdirectory: {}\nhttp:\n  addr: 127.0.0.1:{port}\n{tls}auth:\n  htpasswd:\n    realm: test\n    path: {}\n",
            dir.join("registry-data").display(),
            passwords.display()
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
    let running = Registry { child, log };
    assert!(
        wait_until(Duration::from_secs(20), || std::net::TcpStream::connect((
            "127.0.0.1",
            port
        ))
        .is_ok()),
        "docker-registry did not start"
    );
    running
}

fn blob(layout: &Path, bytes: &[u8]) -> (String, usize) {
    let digest: String = Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    fs::write(layout.join("blobs/sha256").join(&digest), bytes).unwrap();
    (format!("sha256:{digest}"), bytes.len())
}

/// A one-layer OCI image layout (an empty tar as the layer), tagged `v1`; and the hex digest
/// of its config.
pub fn oci_layout(dir: &Path) -> (PathBuf, String) {
    let layout = dir.join("image");
    fs::create_dir_all(layout.join("blobs/sha256")).unwrap();
    fs::write(
        layout.join("oci-layout"),
        r#"{"imageLayoutVersion":"1.0.0"}"#,
    )
    .unwrap();
    let (layer_digest, layer_size) = blob(&layout, &[0u8; 1024]);
    let config = json!({"architecture": "amd64", "os": "linux",
        "rootfs": {"type": "layers", "diff_ids": [layer_digest]}})
    .to_string();
    let (config_digest, config_size) = blob(&layout, config.as_bytes());
    let manifest = json!({"schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": config_digest, "size": config_size},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": layer_digest, "size": layer_size}]})
    .to_string();
    let (manifest_digest, manifest_size) = blob(&layout, manifest.as_bytes());
    fs::write(
        layout.join("index.json"),
        json!({"schemaVersion": 2, "manifests": [{
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "digest": manifest_digest, "size": manifest_size,
            "annotations": {"org.opencontainers.image.ref.name": "v1"}}]})
        .to_string(),
    )
    .unwrap();
    let config_digest = config_digest.trim_start_matches("sha256:").to_owned();
    (layout, config_digest)
}

/// The user a registry exchange authenticated as (`Basic USER:?`), if any.
pub fn user_of(r: &Request) -> Option<String> {
    use base64::Engine;
    let basic = r.header("authorization")?.strip_prefix("Basic ")?;
    let pair = base64::engine::general_purpose::STANDARD
        .decode(basic)
        .ok()?;
    let pair = String::from_utf8(pair).ok()?;
    Some(pair.split_once(':')?.0.to_owned())
}
