//! Debian's `redis-server` for the fleet tests, started on a random loopback port with a
//! password (and, for `rediss://`, a TLS port beside it whose certificate a private CA signed),
//! killed by its PID and reaped on drop. Standalone (no harness), so the fleet crate's own tests
//! include it too.

use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A port free on 127.0.0.1 now.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

pub struct RedisServer {
    child: Child,
    /// The plain port (the tests' own admin connection uses it).
    pub port: u16,
    /// With TLS: the CA file a client must trust, and the TLS port.
    pub tls: Option<(PathBuf, u16)>,
    password: String,
    _dir: tempfile::TempDir,
}

impl RedisServer {
    /// `exe` on plain `port` with `--requirepass password` and `extra` arguments, listening
    /// when it returns (a panic with the server's log if it exits or is not listening within
    /// `patience`).
    pub fn start(
        exe: &Path,
        port: u16,
        password: &str,
        extra: &[String],
        patience: Duration,
    ) -> RedisServer {
        let dir = tempfile::tempdir().unwrap();
        RedisServer::spawn(exe, port, password, extra, patience, dir, None)
    }

    /// As [`RedisServer::start`], with a TLS port beside the plain one, its certificate
    /// signed by a private CA made with `openssl` ([`super::private_ca`]'s files).
    pub fn start_tls(
        exe: &Path,
        openssl: &Path,
        password: &str,
        extra: &[String],
        patience: Duration,
    ) -> RedisServer {
        let dir = tempfile::tempdir().unwrap();
        super::private_ca::make(openssl, dir.path());
        let tls_port = free_port();
        let file = |name: &str| dir.path().join(name).display().to_string();
        let mut args = vec![
            "--tls-port".to_owned(),
            tls_port.to_string(),
            "--tls-cert-file".to_owned(),
            file("cert.pem"),
            "--tls-key-file".to_owned(),
            file("key.pem"),
            "--tls-auth-clients".to_owned(),
            "no".to_owned(),
        ];
        args.extend_from_slice(extra);
        let tls = (dir.path().join("ca.pem"), tls_port);
        RedisServer::spawn(exe, free_port(), password, &args, patience, dir, Some(tls))
    }

    fn spawn(
        exe: &Path,
        port: u16,
        password: &str,
        extra: &[String],
        patience: Duration,
        dir: tempfile::TempDir,
        tls: Option<(PathBuf, u16)>,
    ) -> RedisServer {
        let log = dir.path().join("server.log");
        let mut child = Command::new(exe)
            .current_dir(dir.path())
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
            .args([
                "--save",
                "",
                "--appendonly",
                "no",
                "--requirepass",
                password,
            ])
            .args(extra)
            .stdin(Stdio::null())
            .stdout(std::fs::File::create(&log).unwrap())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn redis-server");
        let ports = std::iter::once(port).chain(tls.as_ref().map(|(_, p)| *p));
        let deadline = Instant::now() + patience;
        for p in ports {
            while TcpStream::connect(("127.0.0.1", p)).is_err() {
                let log = || std::fs::read_to_string(&log).unwrap_or_default();
                if let Some(status) = child.try_wait().unwrap() {
                    panic!("redis-server exited ({status}):\n{}", log());
                }
                assert!(
                    Instant::now() < deadline,
                    "redis-server not listening on {p}:\n{}",
                    log()
                );
                std::thread::sleep(Duration::from_millis(20));
            }
        }
        RedisServer {
            child,
            port,
            tls,
            password: password.to_owned(),
            _dir: dir,
        }
    }

    /// A connection as the store's admin (plain port), to look at and tamper with the store.
    pub fn admin(&self) -> redis::Connection {
        let url = format!("redis://:{}@127.0.0.1:{}/0", self.password, self.port);
        redis::Client::open(url.as_str())
            .unwrap()
            .get_connection_with_timeout(Duration::from_secs(15))
            .unwrap()
    }

    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.kill();
    }
}
