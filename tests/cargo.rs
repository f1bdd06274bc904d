//! The real `cargo` fetches a crate from a local sparse registry that requires the token,
//! with ecluse-cred as its credential provider: named (`--target`) and by the index URL.

mod common;

use std::fs;

use common::cargo_registry::{cargo, consumer, package_crate, registry};
use common::http::FakeServer;
use common::registry::{assert_refused_unauthenticated, describe};
use common::tools::{self, Tool};
use common::*;

/// `cargo fetch` of a crate from the token-checking registry, with `provider` as the registry's
/// credential provider; `None` without cargo (the test is reported skipped).
fn fetch_with_provider(
    provider: &str,
    extra_config: &str,
) -> Option<(Sandbox, FakeServer, std::process::Output)> {
    tools::need(Tool::Cargo)?;
    let sb = Sandbox::new("");
    let cargo_home = sb.dir.path().join("cargo-home");
    fs::create_dir_all(&cargo_home).unwrap();
    let crate_bytes = package_crate(sb.dir.path(), &cargo_home);
    let cache_file = sb.cache_file();
    let server = registry(move || cache::token(&cache_file), crate_bytes);
    let index = format!("sparse+{}/index/", server.url());
    sb.write_config(&extra_config.replace("INDEX", &format!("{}/index/", server.url())));
    fs::write(
        cargo_home.join("config.toml"),
        format!("[registries.ecluse]\nindex = \"{index}\"\ncredential-provider = {provider}\n"),
    )
    .unwrap();
    let app = consumer(sb.dir.path());
    let out = sb
        .adopt(&cargo(&cargo_home))
        .args(["fetch"])
        .current_dir(&app)
        .env("CARGO_NET_RETRY", "0")
        .output();
    Some((sb, server, out))
}

#[test]
fn real_cargo_fetches_from_an_authenticated_sparse_registry_with_a_named_target() {
    let exe = env!("CARGO_BIN_EXE_ecluse-cred");
    let Some((sb, server, out)) =
        fetch_with_provider(&format!("[\"{exe}\", \"--target\", \"demo\"]"), "")
    else {
        return;
    };
    assert!(out.status.success(), "cargo fetch: {}", stderr(&out));
    let token = sb.cached_token();
    let exchanges = server.exchanges();
    for path in [
        "/index/config.json",
        "/index/ec/lu/ecluse-demo",
        "/dl/ecluse-demo/0.1.0/download",
    ] {
        assert!(
            exchanges.iter().any(|(r, status)| r.path() == path
                && r.header("authorization") == Some(token.as_str())
                && *status == 200),
            "{path} was served with the token:\n{}",
            describe(&exchanges)
        );
    }
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
    let Some((sb, _server, out)) =
        fetch_with_provider(&format!("[\"{exe}\"]"), "urls = [\"INDEX\"]")
    else {
        return;
    };
    assert!(out.status.success(), "cargo fetch: {}", stderr(&out));
    assert_eq!(sb.mints(), 1);
}

#[test]
fn an_unknown_registry_is_url_not_supported_and_cargo_says_so() {
    let exe = env!("CARGO_BIN_EXE_ecluse-cred");
    let Some((sb, server, out)) = fetch_with_provider(&format!("[\"{exe}\"]"), "") else {
        return;
    };
    assert!(!out.status.success());
    assert_refused_unauthenticated(&server.exchanges());
    assert_eq!(sb.mints(), 0);
    assert!(
        stderr(&out).contains("no credential providers could handle the request"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn setup_cargo_wires_the_registry_so_plain_cargo_fetch_works_and_undo_removes_it() {
    if tools::need(Tool::Cargo).is_none() {
        return;
    }
    let sb = Sandbox::new("");
    let cargo_home = sb.dir.path().join("cargo-home");
    fs::create_dir_all(&cargo_home).unwrap();
    let crate_bytes = package_crate(sb.dir.path(), &cargo_home);
    let cache_file = sb.cache_file();
    let server = registry(move || cache::token(&cache_file), crate_bytes);
    let index = format!("{}/index/", server.url());
    sb.write_config(&format!("urls = [\"{index}\"]"));
    // The user's own config, with a comment, stays as it is.
    let config = cargo_home.join("config.toml");
    let mine = "# my settings\n[net]\nretry = 0 # no retries\n";
    fs::write(&config, mine).unwrap();
    let setup = |extra: &[&str]| {
        let mut args = vec!["setup", "cargo", "--url", &index, "--registry", "ecluse"];
        args.extend_from_slice(extra);
        sb.cmd(&args).env("CARGO_HOME", &cargo_home).output()
    };
    let dry = setup(&["--dry-run"]);
    assert!(dry.status.success(), "{}", stderr(&dry));
    let shown: Vec<String> = stdout(&dry).lines().map(str::to_owned).collect();
    for added in [
        "+[registries.ecluse]".to_owned(),
        format!("+index = \"sparse+{index}\""),
    ] {
        assert!(shown.contains(&added), "{added}: {}", stdout(&dry));
    }
    assert_eq!(
        fs::read_to_string(&config).unwrap(),
        mine,
        "dry run writes nothing"
    );
    let out = setup(&[]);
    assert!(out.status.success(), "{}", stderr(&out));
    let written = fs::read_to_string(&config).unwrap();
    assert!(written.starts_with(mine), "{written}");
    // Twice: nothing changes.
    let again = setup(&[]);
    assert_eq!(
        stdout(&again).lines().next(),
        Some("nothing to change: already set up"),
        "{}",
        stdout(&again)
    );
    assert_eq!(fs::read_to_string(&config).unwrap(), written);

    let fetch = || {
        let app = consumer(sb.dir.path());
        sb.adopt(&cargo(&cargo_home))
            .args(["fetch"])
            .current_dir(&app)
            .output()
    };
    let out = fetch();
    assert!(out.status.success(), "cargo fetch: {}", stderr(&out));
    let token = sb.cached_token();
    assert!(
        server
            .exchanges()
            .iter()
            .any(|(r, status)| r.header("authorization") == Some(token.as_str()) && *status == 200),
        "{}",
        describe(&server.exchanges())
    );

    let undone = setup(&["--undo"]);
    assert!(undone.status.success(), "{}", stderr(&undone));
    assert_eq!(
        fs::read_to_string(&config).unwrap(),
        mine,
        "undo restores the bytes"
    );
    // Told where the registry is by hand, cargo gets no token any more.
    fs::write(
        &config,
        format!("{mine}[registries.ecluse]\nindex = \"sparse+{index}\"\n"),
    )
    .unwrap();
    let _ = fs::remove_dir_all(cargo_home.join("registry"));
    let before = server.exchanges().len();
    let out = fetch();
    assert!(!out.status.success(), "cargo fetched without a token");
    assert_refused_unauthenticated(&server.exchanges()[before..]);
}

#[test]
fn cargo_provider_speaks_the_protocol_line_by_line() {
    let sb = Sandbox::new("urls = [\"http://127.0.0.1:8080/index/\"]");
    let get = r#"{"v":1,"registry":{"index-url":"sparse+http://127.0.0.1:8080/index/","name":"ecluse"},"kind":"get","operation":"read","args":[]}"#;
    let named = r#"{"v":1,"registry":{"index-url":"sparse+http://127.0.0.1:8080/index/"},"kind":"get","operation":"read","args":["--target","demo"]}"#;
    // A named target answers only registries its `urls` cover.
    let named_elsewhere = r#"{"v":1,"registry":{"index-url":"sparse+https://other.example.com/index/"},"kind":"get","operation":"read","args":["--target","demo"]}"#;
    let unknown = r#"{"v":1,"registry":{"index-url":"sparse+https://unknown.example.com/index/"},"kind":"get","operation":"read","args":[]}"#;
    let login = r#"{"v":1,"registry":{"index-url":"sparse+http://127.0.0.1:8080/index/"},"kind":"login","token":"x","args":[]}"#;
    let logout = r#"{"v":1,"registry":{"index-url":"sparse+http://127.0.0.1:8080/index/"},"kind":"logout","args":[]}"#;
    let replies = cargo_exchange(&sb, &[get, named, unknown, login, logout, named_elsewhere]);
    assert_eq!(replies[0], serde_json::json!({"v": [1]}));
    let token = sb.cached_token();
    let expiration = sb.cached_entry().expires_at / 1000;
    let ok = serde_json::json!({"Ok": {"kind": "get", "token": token, "cache": "expires", "expiration": expiration, "operation_independent": true}});
    assert_eq!(replies[1], ok);
    assert_eq!(replies[2], ok);
    assert_eq!(
        replies[3],
        serde_json::json!({"Err": {"kind": "url-not-supported"}})
    );
    assert_eq!(
        replies[4],
        serde_json::json!({"Err": {"kind": "operation-not-supported"}})
    );
    assert_eq!(
        replies[5],
        serde_json::json!({"Err": {"kind": "operation-not-supported"}})
    );
    let refused = replies[6]["Err"]["message"].as_str().unwrap_or_default();
    assert!(
        refused.contains("does not serve https://other.example.com/index/"),
        "{}",
        replies[6]
    );
    assert_eq!(sb.mints(), 1);
}
