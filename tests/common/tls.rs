//! A loopback HTTPS server (Python's `ssl` with a self-signed certificate from openssl) for the
//! clients that speak only https: go's GOPROXY and Terraform's service discovery. It takes only
//! `Bearer <the sandbox's cached token>` and logs each request's path and Authorization header.

use std::fs;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use super::Sandbox;

const SERVER: &str = include_str!("tls_server.py");

pub struct TlsServer {
    child: Child,
    pub port: u16,
    /// The CA certificate clients must trust (`SSL_CERT_FILE`).
    pub cert: PathBuf,
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
    /// `mode` is `goproxy` or `terraform` (see tls_server.py).
    pub fn start(sb: &Sandbox, mode: &str) -> TlsServer {
        let dir = sb.dir.path().join(format!("tls-{mode}"));
        fs::create_dir_all(dir.join("certs")).unwrap();
        let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
        let out = Command::new("openssl")
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
            .expect("openssl is installed");
        assert!(out.status.success());
        let log = dir.join("requests.log");
        // The log records the Authorization headers the server got: the token, on purpose.
        sb.allow_token_in(&log);
        let mut child = Command::new("python3")
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
        TlsServer {
            child,
            port: port.trim().parse().expect("the server prints its port"),
            cert,
            cert_dir: dir.join("certs"),
            log,
        }
    }

    pub fn url(&self) -> String {
        format!("https://127.0.0.1:{}", self.port)
    }

    /// Every request so far: `PATH AUTHORIZATION` (`-` for none), one a line.
    pub fn requests(&self) -> Vec<String> {
        fs::read_to_string(&self.log)
            .unwrap_or_default()
            .lines()
            .map(str::to_owned)
            .collect()
    }

    pub fn cert_path(&self) -> &Path {
        &self.cert
    }
}
