//! One fake for the registries that take a token (npm's, pip's simple index, git's smart HTTP,
//! cargo's sparse index): it checks each request's `Authorization` in the form its client sends
//! the token ([`Credential`]), answers 401 with a challenge when it does not carry the token the
//! caller accepts at that moment, and serves the caller's routes when it does. Every exchange is
//! recorded ([`FakeServer::exchanges`]), so that a test of "without the token the client fails"
//! can tell that failure from any other ([`assert_refused_unauthenticated`]).
//!
//! The per-client content shared by more than one user is here too: a PEP 503 simple index
//! ([`simple_index`]) and git's smart HTTP through `git http-backend` ([`git_http_backend`]).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, OnceLock};

use base64::Engine;
use sha2::{Digest, Sha256};

use super::http::{FakeServer, Request, Response};

/// How the client sends the token.
#[derive(Clone, Copy, Debug)]
pub enum Credential {
    /// `Authorization: Bearer TOKEN` (npm, pnpm, git with `git_auth = "bearer"`).
    Bearer,
    /// `Authorization: Basic base64(USER:TOKEN)` (pip, uv, git).
    Basic(&'static str),
    /// `Authorization: TOKEN`, as cargo sends a registry token.
    Raw,
}

impl Credential {
    /// The `Authorization` value that carries `token`.
    pub fn header(self, token: &str) -> String {
        match self {
            Credential::Bearer => format!("Bearer {token}"),
            Credential::Basic(user) => format!("Basic {}", base64(&format!("{user}:{token}"))),
            Credential::Raw => token.to_owned(),
        }
    }

    /// The `WWW-Authenticate` challenge of a 401. git asks its credential helpers only after a
    /// challenge, and a new git answers a Bearer one with an `authtype`; cargo reads a login URL
    /// from its own scheme; npm, pip and uv only need the 401.
    fn challenge(self) -> &'static str {
        match self {
            Credential::Bearer => "Bearer realm=\"ecluse-test\"",
            Credential::Basic(_) => "Basic realm=\"ecluse-test\"",
            Credential::Raw => "Cargo login_url=\"https://example.com/login\"",
        }
    }
}

/// A registry on 127.0.0.1 that answers a request carrying, as `credential`, the token `token`
/// returns at that moment with `routes` (given the request and the server's own
/// `http://127.0.0.1:PORT`), and every other request (or every request while `token` returns
/// `None`) with 401 and a challenge.
pub fn start(
    credential: Credential,
    token: impl Fn() -> Option<String> + Send + Sync + 'static,
    routes: impl Fn(&Request, &str) -> Response + Send + Sync + 'static,
) -> FakeServer {
    let base = Arc::new(OnceLock::<String>::new());
    let url = base.clone();
    let server = FakeServer::start(move |r: &Request| {
        let want = token().map(|t| credential.header(&t));
        if want.is_none() || r.header("authorization") != want.as_deref() {
            return Response::json(
                401,
                serde_json::json!({"errors": [{"detail": "token required"}]}),
            )
            .with_header("www-authenticate", credential.challenge());
        }
        routes(r, url.get().expect("the port is known before any request"))
    });
    base.set(server.url()).unwrap();
    server
}

/// The client failed because it had no token: the registry saw at least one request arrive
/// without a credential and answered it 401, and no request presented one. (Not merely "the
/// client failed": a TLS error, a wrong port or a crashed fake fail it too.)
pub fn assert_refused_unauthenticated(exchanges: &[(Request, u16)]) {
    assert!(
        exchanges
            .iter()
            .any(|(r, status)| *status == 401 && !carries_credential(r)),
        "no request without a credential was answered 401:\n{}",
        describe(exchanges)
    );
    assert!(
        !exchanges.iter().any(|(r, _)| carries_credential(r)),
        "a request presented a credential:\n{}",
        describe(exchanges)
    );
}

/// Whether `r` presents a secret: an `Authorization` with a token, or a Basic pair with a
/// password. A user name alone is none (pip sends `aws:` for an index URL naming the user and
/// no password; skopeo sends the empty pair `:` when it has no credential); a Basic value that
/// does not decode counts as one.
pub fn carries_credential(r: &Request) -> bool {
    let Some(value) = r.header("authorization").map(str::trim) else {
        return false;
    };
    let (scheme, rest) = value.split_once(' ').unwrap_or(("", value));
    if scheme.eq_ignore_ascii_case("basic") {
        let pair = base64::engine::general_purpose::STANDARD
            .decode(rest.trim())
            .ok()
            .and_then(|b| String::from_utf8(b).ok());
        return match pair {
            Some(pair) => pair
                .split_once(':')
                .is_none_or(|(_, password)| !password.is_empty()),
            None => true,
        };
    }
    !rest.trim().is_empty()
}

/// One line an exchange, `METHOD TARGET [what Authorization presented] -> STATUS`: what a
/// failed assertion shows, without the credential itself.
pub fn describe(exchanges: &[(Request, u16)]) -> String {
    let lines: Vec<String> = exchanges
        .iter()
        .map(|(r, status)| {
            let auth = match r.header("authorization") {
                None => "no authorization".to_owned(),
                Some(v) => {
                    let scheme = v.split(' ').next().unwrap_or("");
                    let what = if carries_credential(r) {
                        "a credential"
                    } else {
                        "no secret"
                    };
                    format!("authorization {scheme}…: {what}")
                }
            };
            format!("  {} {} [{auth}] -> {status}", r.method, r.target)
        })
        .collect();
    if lines.is_empty() {
        "  (no request at all)".to_owned()
    } else {
        lines.join("\n")
    }
}

/// A PEP 503 simple index: `INDEX<project>/` lists the wheels of that project (names compared
/// as PEP 503 normalizes them) with their sha256, each served at `FILES<wheel name>`.
pub fn simple_index(
    index: &str,
    files: &str,
    wheels: Vec<(String, Vec<u8>)>,
) -> impl Fn(&Request, &str) -> Response + Send + Sync + 'static {
    let (index, files) = (index.to_owned(), files.to_owned());
    let wheels: Vec<(String, String, Vec<u8>)> = wheels
        .into_iter()
        .map(|(name, bytes)| (name, hex(&Sha256::digest(&bytes)), bytes))
        .collect();
    move |r: &Request, _base: &str| {
        if let Some(name) = r.path().strip_prefix(files.as_str())
            && let Some((_, _, bytes)) = wheels.iter().find(|(n, _, _)| n == name)
        {
            return Response::bytes("application/octet-stream", bytes.clone());
        }
        let Some(project) = r.path().strip_prefix(index.as_str()) else {
            return Response::json(404, serde_json::json!({}));
        };
        let project = normalize(project.trim_end_matches('/'));
        let links: Vec<String> = wheels
            .iter()
            .filter(|(n, _, _)| normalize(n.split('-').next().unwrap_or("")) == project)
            .map(|(n, sha, _)| format!("<a href=\"{files}{n}#sha256={sha}\">{n}</a>"))
            .collect();
        if links.is_empty() {
            return Response::json(404, serde_json::json!({}));
        }
        Response::bytes(
            "text/html",
            format!("<html><body>{}</body></html>", links.join("\n")).into_bytes(),
        )
    }
}

/// PEP 503's normalized project name.
fn normalize(name: &str) -> String {
    name.to_ascii_lowercase().replace(['_', '.'], "-")
}

/// git's smart HTTP for the bare repositories under `root`, by `git http-backend` (the real
/// `git`, at `git`) run as a CGI for each request, as user `user`.
pub fn git_http_backend(
    git: &Path,
    root: &Path,
    user: &'static str,
) -> impl Fn(&Request, &str) -> Response + Send + Sync + 'static {
    let (git, root): (PathBuf, PathBuf) = (git.to_owned(), root.to_owned());
    move |r: &Request, _base: &str| {
        let (path, query) = r.target.split_once('?').unwrap_or((&r.target, ""));
        let mut child = Command::new(&git)
            .arg("http-backend")
            .env("GIT_PROJECT_ROOT", &root)
            .env("GIT_HTTP_EXPORT_ALL", "1")
            .env("REQUEST_METHOD", &r.method)
            .env("PATH_INFO", path)
            .env("QUERY_STRING", query)
            .env("CONTENT_TYPE", r.header("content-type").unwrap_or(""))
            .env("CONTENT_LENGTH", r.body.len().to_string())
            .env(
                "HTTP_CONTENT_ENCODING",
                r.header("content-encoding").unwrap_or(""),
            )
            .env("GIT_PROTOCOL", r.header("git-protocol").unwrap_or(""))
            .env("REMOTE_USER", user)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        child.stdin.take().unwrap().write_all(&r.body).unwrap();
        let out = child.wait_with_output().unwrap().stdout;
        // A CGI answer: headers (a `Status:` among them), a blank line, the body.
        let (end, gap) = out
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .map(|i| (i, 4))
            .or_else(|| out.windows(2).position(|w| w == b"\n\n").map(|i| (i, 2)))
            .expect("git http-backend wrote a CGI header");
        let mut response = Response {
            status: 200,
            headers: Vec::new(),
            body: out[end + gap..].to_vec(),
            delay: std::time::Duration::ZERO,
        };
        for line in String::from_utf8_lossy(&out[..end]).lines() {
            let Some((k, v)) = line.split_once(':') else {
                continue;
            };
            if k.eq_ignore_ascii_case("status") {
                response.status = v.trim()[..3].parse().unwrap();
            } else {
                response
                    .headers
                    .push((k.trim().to_owned(), v.trim().to_owned()));
            }
        }
        response
    }
}

fn base64(text: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(text)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
