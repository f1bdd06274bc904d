//! The real `cargo` fetches a crate from a local sparse registry that requires the token,
//! with ecluse-cred as its credential provider: named (`--target`) and by the index URL.

mod common;

use std::fs;
use std::sync::{Arc, Mutex};

use common::cargo_registry::{cargo, consumer, package_crate, registry};
use common::http::FakeServer;
use common::*;

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
    let cache_file = sb.cache_file();
    let server = registry(move || token_in(&cache_file), crate_bytes, seen.clone());
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
