//! A loopback HTTPS server (Python's `ssl` with a self-signed certificate from openssl) for the
//! clients that speak only https: go's GOPROXY, Terraform's service discovery and kubectl's API
//! server. It takes only `Bearer <the sandbox's cached token>` and records each exchange: the
//! request's method, path and Authorization header, and the status it answered.

use std::fs;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use super::Sandbox;
use super::http::Request;
use super::tools::{self, Tool};

const SERVER: &str = include_str!("tls_server.py");

pub struct TlsServer {
    child: Child,
    pub port: u16,
    /// The CA certificate clients must trust (`SSL_CERT_FILE`).
    pub cert: PathBuf,
    /// Its private key.
    pub key: PathBuf,
    /// An empty directory for `SSL_CERT_DIR`, so only `cert` is trusted.
    pub cert_dir: PathBuf,
    log: PathBuf,
}

impl Drop for TlsServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl TlsServer {
    /// `mode` is `goproxy`, `terraform` or `kubernetes` (see tls_server.py). `None` when openssl
    /// or Python is missing: the calling test has been reported skipped ([`tools::need`]).
    pub fn start(sb: &Sandbox, mode: &str) -> Option<TlsServer> {
        let openssl = tools::need(Tool::Openssl)?;
        let python = tools::need(Tool::Python)?;
        let dir = sb.dir.path().join(format!("tls-{mode}"));
        fs::create_dir_all(dir.join("certs")).unwrap();
        let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
        let out = Command::new(openssl)
            .args([
                "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
            ])
            .args([
                "-subj",
                "/CN=127.0.0.1",
                "-addext",
                "subjectAltName=IP:127.0.0.1",
            ])
            .arg("-keyout")
            .arg(&key)
            .arg("-out")
            .arg(&cert)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let log = dir.join("requests.log");
        // The log records the Authorization headers the server got: the token, on purpose.
        sb.allow_token_in(&log);
        let mut child = Command::new(python)
            .arg("-c")
            .arg(SERVER)
            .args([&cert, &key, &sb.cache_file()])
            .arg(mode)
            .arg(&log)
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut port = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut port)
            .unwrap();
        Some(TlsServer {
            child,
            port: port.trim().parse().expect("the server prints its port"),
            cert,
            key,
            cert_dir: dir.join("certs"),
            log,
        })
    }

    pub fn url(&self) -> String {
        format!("https://127.0.0.1:{}", self.port)
    }

    /// Every request answered so far (method, path and the Authorization header only), with
    /// the status it was answered. (A line still being written is not an answer yet.)
    pub fn exchanges(&self) -> Vec<(Request, u16)> {
        fs::read_to_string(&self.log)
            .unwrap_or_default()
            .lines()
            .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
            .map(|e| {
                let text = |k: &str| e[k].as_str().map(str::to_owned);
                let request = Request {
                    method: text("method").unwrap(),
                    target: text("path").unwrap(),
                    headers: text("authorization")
                        .map(|a| ("authorization".to_owned(), a))
                        .into_iter()
                        .collect(),
                    body: Vec::new(),
                };
                (request, e["status"].as_u64().unwrap() as u16)
            })
            .collect()
    }

    pub fn cert_path(&self) -> &Path {
        &self.cert
    }
}
