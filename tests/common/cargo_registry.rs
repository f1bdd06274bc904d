//! A local sparse cargo registry that requires a token, and the real `cargo` pointed at it:
//! shared by `tests/cargo.rs` and `benches/clients.rs`.

use std::fs;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use super::http::{FakeServer, Request, Response};
use super::registry::Credential;

pub const CRATE: &str = "ecluse-demo";

/// Package a one-file crate with the real `cargo package`; its bytes.
pub fn package_crate(dir: &Path, cargo_home: &Path) -> Vec<u8> {
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
    assert!(
        out.status.success(),
        "cargo package: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    fs::read(src.join(format!("target/package/{CRATE}-0.1.0.crate"))).unwrap()
}

/// `cargo` with its own CARGO_HOME (so no developer config leaks in) and the real toolchain.
pub fn cargo(cargo_home: &Path) -> std::process::Command {
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

/// A sparse registry serving one crate, through the token-checking [`registry`](super::registry)
/// fake: every answer requires `Authorization: <token>` (the raw token, as cargo sends it) with
/// the token `accepted` returns at that moment; what it answered is in its `exchanges()`.
pub fn registry(
    accepted: impl Fn() -> Option<String> + Send + Sync + 'static,
    crate_bytes: Vec<u8>,
) -> FakeServer {
    let cksum: String = Sha256::digest(&crate_bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let entry = serde_json::json!({"name": CRATE, "vers": "0.1.0", "deps": [], "cksum": cksum,
        "features": {}, "yanked": false, "v": 2});
    super::registry::start(
        Credential::Raw,
        accepted,
        move |r: &Request, base: &str| match r.path() {
            "/index/config.json" => Response::json(
                200,
                serde_json::json!({"dl": format!("{base}/dl/{{crate}}/{{version}}/download"), "api": base, "auth-required": true}),
            ),
            "/index/ec/lu/ecluse-demo" => {
                Response::bytes("text/plain", format!("{entry}\n").into_bytes())
            }
            "/dl/ecluse-demo/0.1.0/download" => {
                Response::bytes("application/octet-stream", crate_bytes.clone())
            }
            _ => Response::json(404, serde_json::json!({})),
        },
    )
}

pub fn consumer(dir: &Path) -> PathBuf {
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
