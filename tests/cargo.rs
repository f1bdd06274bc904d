//! The real `cargo` fetches a crate from a local sparse registry that requires the token,
//! with ecluse-cred as its credential provider: named (`--target`) and by the index URL.

mod common;

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use common::http::{FakeServer, Request, Response};
use common::*;
use sha2::{Digest, Sha256};

const CRATE: &str = "ecluse-demo";

/// Package a one-file crate with the real `cargo package`; its bytes.
fn package_crate(dir: &Path, cargo_home: &Path) -> Vec<u8> {
    let src = dir.join("demo-src");
    fs::create_dir_all(src.join("src")).unwrap();
    fs::write(
        src.join("Cargo.toml"),
        format!("[package]\nname = \"{CRATE}\"\nversion = \"0.1.0\"\nedition = \"2021\"\ndescription = \"d\"\nlicense = \"MIT\"\n"),
    )
    .unwrap();
    fs::write(
        src.join("src/lib.rs"),
        "pub fn hello() -> &'static str { \"hello\" }\n",
    )
    .unwrap();
    let out = cargo(cargo_home)
        .args(["package", "--no-verify", "--allow-dirty", "--offline"])
        .current_dir(&src)
        .output()
        .unwrap();
    assert!(out.status.success(), "cargo package: {}", stderr(&out));
    fs::read(src.join(format!("target/package/{CRATE}-0.1.0.crate"))).unwrap()
}

/// `cargo` with its own CARGO_HOME (so no developer config leaks in) and the real toolchain.
fn cargo(cargo_home: &Path) -> std::process::Command {
    let cargo = std::env::var_os("CARGO").map_or(PathBuf::from("cargo"), PathBuf::from);
    let mut c = std::process::Command::new(cargo);
    c.env("CARGO_HOME", cargo_home)
        .env_remove("CARGO_TARGET_DIR")
        .env_remove("RUSTFLAGS");
    if let Some(rustup) = std::env::var_os("RUSTUP_HOME") {
        c.env("RUSTUP_HOME", rustup);
    } else if let Some(home) = std::env::var_os("HOME") {
        c.env("RUSTUP_HOME", Path::new(&home).join(".rustup"));
    }
    c
}

/// A sparse registry whose every answer requires `Authorization: <the cached token>`.
fn registry(
    cache_file: PathBuf,
    crate_bytes: Vec<u8>,
    seen: Arc<Mutex<Vec<String>>>,
) -> FakeServer {
    let cksum: String = Sha256::digest(&crate_bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let entry = serde_json::json!({"name": CRATE, "vers": "0.1.0", "deps": [], "cksum": cksum,
        "features": {}, "yanked": false, "v": 2});
    let port = Arc::new(Mutex::new(0u16));
    let p = port.clone();
    let server = FakeServer::start(move |r: &Request| {
        let token = token_in(&cache_file);
        let auth = r.header("authorization").map(str::to_owned);
        seen.lock().unwrap().push(auth.clone().unwrap_or_default());
        if token.is_none() || auth != token {
            return Response::json(
                401,
                serde_json::json!({"errors": [{"detail": "token required"}]}),
            )
            .with_header(
                "www-authenticate",
                "Cargo login_url=\"https://example.com/login\"",
            );
        }
        let base = format!("http://127.0.0.1:{}", p.lock().unwrap());
        match r.path() {
            "/index/config.json" => Response::json(
                200,
                serde_json::json!({"dl": format!("{base}/dl/{{crate}}/{{version}}/download"), "api": base, "auth-required": true}),
            ),
            "/index/ec/lu/ecluse-demo" => Response {
                status: 200,
                headers: vec![],
                body: format!("{entry}\n").into_bytes(),
                delay: std::time::Duration::ZERO,
            },
            "/dl/ecluse-demo/0.1.0/download" => Response {
                status: 200,
                headers: vec![("content-type".into(), "application/octet-stream".into())],
                body: crate_bytes.clone(),
                delay: std::time::Duration::ZERO,
            },
            _ => Response::json(404, serde_json::json!({})),
        }
    });
    *port.lock().unwrap() = server.port;
    server
}

fn consumer(dir: &Path) -> PathBuf {
    let app = dir.join("app");
    fs::create_dir_all(app.join("src")).unwrap();
    fs::write(
        app.join("Cargo.toml"),
        format!("[package]\nname = \"app\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[dependencies]\n{CRATE} = {{ version = \"0.1.0\", registry = \"ecluse\" }}\n"),
    )
    .unwrap();
    fs::write(app.join("src/main.rs"), "fn main() {}\n").unwrap();
    app
}

fn fetch_with_provider(
    provider: &str,
    extra_config: &str,
) -> (
    Sandbox,
    FakeServer,
    Arc<Mutex<Vec<String>>>,
    std::process::Output,
) {
    let sb = Sandbox::new("");
    let cargo_home = sb.dir.path().join("cargo-home");
    fs::create_dir_all(&cargo_home).unwrap();
    let crate_bytes = package_crate(sb.dir.path(), &cargo_home);
    let seen = Arc::new(Mutex::new(Vec::new()));
    let server = registry(sb.cache_file(), crate_bytes, seen.clone());
    let index = format!("sparse+{}/index/", server.url());
    sb.write_config(&extra_config.replace("INDEX", &format!("{}/index/", server.url())));
    fs::write(
        cargo_home.join("config.toml"),
        format!("[registries.ecluse]\nindex = \"{index}\"\ncredential-provider = {provider}\n"),
    )
    .unwrap();
    let app = consumer(sb.dir.path());
    let out = cargo(&cargo_home)
        .args(["fetch"])
        .current_dir(&app)
        .env("ECLUSE_CRED_CONFIG", &sb.config)
        .env("ECLUSE_CRED_CACHE_DIR", &sb.cache)
        .env("CARGO_NET_RETRY", "0")
        .output()
        .unwrap();
    (sb, server, seen, out)
}

#[test]
fn real_cargo_fetches_from_an_authenticated_sparse_registry_with_a_named_target() {
    let exe = env!("CARGO_BIN_EXE_ecluse-cred");
    let (sb, _server, seen, out) =
        fetch_with_provider(&format!("[\"{exe}\", \"--target\", \"demo\"]"), "");
    assert!(out.status.success(), "cargo fetch: {}", stderr(&out));
    let token = sb.cached_token();
    let seen = seen.lock().unwrap();
    assert!(
        seen.iter().filter(|a| **a == token).count() >= 3,
        "config, index and download carried the token: {seen:?}"
    );
    assert_eq!(
        sb.mints(),
        1,
        "cargo caches the `expires` token for the run"
    );
    assert!(!stderr(&out).contains(&token));
}

#[test]
fn real_cargo_resolves_the_target_from_the_index_url() {
    let exe = env!("CARGO_BIN_EXE_ecluse-cred");
    let (sb, _server, _seen, out) =
        fetch_with_provider(&format!("[\"{exe}\"]"), "urls = [\"INDEX\"]");
    assert!(out.status.success(), "cargo fetch: {}", stderr(&out));
    assert_eq!(sb.mints(), 1);
}

#[test]
fn an_unknown_registry_is_url_not_supported_and_cargo_says_so() {
    let exe = env!("CARGO_BIN_EXE_ecluse-cred");
    let (sb, _server, _seen, out) = fetch_with_provider(&format!("[\"{exe}\"]"), "");
    assert!(!out.status.success());
    assert_eq!(sb.mints(), 0);
    assert!(
        stderr(&out).contains("no credential providers could handle the request"),
        "{}",
        stderr(&out)
    );
}
