//! Entry points for fuzzing every input ecluse-cred takes from outside: the config file, the
//! cache file, URLs to resolve, and each client protocol's input. The cargo-fuzz targets in
//! `fuzz/` call them with libFuzzer's bytes; `tests/fuzz.rs` calls them with proptest's on every
//! `cargo test`. Each must never panic, and checks what must hold of what it accepts.

use std::path::Path;

use crate::{cache, config, protocol, resolve};

/// A config with one target of each kind of `urls` entry, for URL resolution.
const RESOLVE_CONFIG: &str = r#"
[targets.root]
backend = "command"
command = ["x"]
urls = ["https://pkgs.example.com/", "http://127.0.0.1:8080/index/"]
[targets.npm]
backend = "command"
command = ["x"]
urls = ["https://pkgs.example.com/npm/"]
"#;

/// Any text as a config file: an accepted config has only valid policies.
pub fn config(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(cfg) = config::parse(text, Path::new("fuzz.toml")) {
        for target in cfg.targets.values() {
            let p = &target.policy;
            assert!(p.refresh_at > 0.0 && p.refresh_at < 1.0);
            assert!(p.jitter >= 0.0 && p.jitter < p.refresh_at);
            assert!(p.breaker_threshold >= 1);
        }
    }
}

/// Any bytes as a cache file.
pub fn cache(data: &[u8]) {
    if let Ok(state) = cache::parse_state(data, "t", "h") {
        // What parses can be served or refreshed without panicking, at any time.
        let policy = crate::policy::Policy::default();
        for now in [i64::MIN, -1, 0, 1_800_000_000_000, i64::MAX] {
            let now = crate::mint::EpochMs::from_millis(now);
            let _ = crate::policy::plan(now, state.entry.as_ref(), &state.breaker, &policy, None);
        }
    }
}

/// Any text as a URL (or host[:port]) to resolve: a derived target's name, which becomes a
/// file name in the cache directory, is always a safe one.
pub fn resolve(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let cfg = config::parse(RESOLVE_CONFIG, Path::new("fuzz.toml")).expect("fuzz config parses");
    if let Ok(target) = resolve::resolve(&cfg, text) {
        assert_eq!(
            cache::file_stem(&target.name),
            target.name,
            "unsafe target name from {text:?}"
        );
    }
}

/// NUL-separated bytes as keyring's argv.
pub fn keyring_argv(data: &[u8]) {
    let args: Vec<String> = data
        .split(|b| *b == 0)
        .map(|a| String::from_utf8_lossy(a).into_owned())
        .collect();
    let _ = protocol::keyring::parse(&args);
}

/// Any text as git's `key=value` request.
pub fn git_request(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let request = protocol::git::Request::parse(&text);
    for value in [
        request.protocol,
        request.host,
        request.path,
        request.username,
    ]
    .into_iter()
    .flatten()
    .chain(request.capabilities)
    {
        assert!(!value.contains('\n'));
    }
}

/// Any bytes as a cargo credential request line.
pub fn cargo_request(data: &[u8]) {
    if let Ok(request) = serde_json::from_slice::<cargo_credential::CredentialRequest<'_>>(data) {
        let _ = protocol::cargo::target_arg(&request.args);
    }
}

/// Any text as docker's stdin (a registry URL or host): resolved like any URL.
pub fn docker_stdin(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    resolve(text.trim().as_bytes());
}

/// Any bytes as a `command` mint's stdout, through the check every backend's answer passes: an
/// accepted response has a clean token and an expiry after the mint started.
pub fn mint_response(data: &[u8]) {
    let started = crate::mint::EpochMs::from_millis(1_000);
    if let Ok(minted) = crate::backend::command::parse_response(data, started)
        .map_err(crate::mint::MintError::transient)
        .and_then(|minted| crate::policy::check_minted(minted, started))
    {
        assert!(
            !minted.token.expose().is_empty()
                && !minted.token.expose().chars().any(char::is_control)
        );
        assert!(minted.expires_at > started);
    }
}

/// Any bytes as Bazel's request: whatever it names, a target is chosen by the one rule and has
/// a safe name.
pub fn bazel_request(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let cfg = config::parse(RESOLVE_CONFIG, Path::new("fuzz.toml")).expect("fuzz config parses");
    if let Ok(request) = serde_json::from_str::<serde_json::Value>(&text)
        && let Some(uri) = request["uri"].as_str()
        && let Ok(Some(target)) = protocol::bazel::target_for(&cfg, uri)
    {
        assert_eq!(cache::file_stem(&target.name), target.name);
    }
}

/// Any bytes as GOAUTH's input: the first line the URL argument, the rest the response go
/// hands over on stdin. An http URL never gets a target.
pub fn goauth_input(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let (url, response) = text.split_once('\n').unwrap_or((&text, ""));
    let _ = protocol::goauth::status(response);
    let cfg = config::parse(RESOLVE_CONFIG, Path::new("fuzz.toml")).expect("fuzz config parses");
    if let Ok(Some(target)) = protocol::goauth::target_for(&cfg, url) {
        assert!(
            !url.trim().to_ascii_lowercase().starts_with("http:"),
            "{url:?} -> {}",
            target.name
        );
    }
}

/// Any text as Terraform's HOST argument.
pub fn terraform_host(data: &[u8]) {
    let host = String::from_utf8_lossy(data);
    let cfg = config::parse(RESOLVE_CONFIG, Path::new("fuzz.toml")).expect("fuzz config parses");
    if let Ok(Some(target)) = protocol::terraform::target_for(&cfg, &host) {
        assert_eq!(cache::file_stem(&target.name), target.name);
    }
}
