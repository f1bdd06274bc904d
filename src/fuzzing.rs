//! Entry points for fuzzing every input ecluse-cred takes from outside: the config file, the
//! cache file, URLs to resolve, and each client protocol's input. The cargo-fuzz targets in
//! `fuzz/` call them with libFuzzer's bytes; `tests/fuzz.rs` calls them with proptest's on every
//! `cargo test`. Each must never panic, and checks what must hold of what it accepts. Those whose
//! input has a parser in front of the code under test (config, cache file, mint response) say
//! whether they accepted it, so that a test can tell that its inputs get past the parser.

use std::path::Path;
use std::time::Duration;

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

/// Any text as a config file: an accepted config has only valid policies (its `[policy]`
/// defaults and every target's) and valid backend settings. Returns whether it was accepted.
pub fn config(data: &[u8]) -> bool {
    let Ok(text) = std::str::from_utf8(data) else {
        return false;
    };
    let Ok(cfg) = config::parse(text, Path::new("fuzz.toml")) else {
        return false;
    };
    for p in std::iter::once(&cfg.defaults).chain(cfg.targets.values().map(|t| &t.policy)) {
        assert!(p.refresh_at > 0.0 && p.refresh_at < 1.0);
        assert!(p.jitter >= 0.0 && p.jitter < p.refresh_at);
        assert!(p.breaker_threshold >= 1);
        assert!(!p.mint_timeout.is_zero() && p.mint_timeout <= config::MAX_TIMEOUT);
        assert!(p.lock_timeout <= config::MAX_TIMEOUT);
    }
    for target in cfg.targets.values() {
        match &target.backend {
            config::Backend::Command { command } => assert!(!command[0].is_empty()),
            config::Backend::Codeartifact { duration, .. } => assert!(
                duration
                    .is_none_or(|d| d.0.is_zero() || CODEARTIFACT_SECONDS.contains(&d.0.as_secs()))
            ),
            config::Backend::Gcp { lifetime, .. } => {
                assert!(lifetime.is_none_or(|l| !l.0.is_zero()));
            }
            config::Backend::Ecr { registry_id, .. } => {
                assert!(
                    registry_id
                        .as_deref()
                        .is_none_or(crate::cloud_hosts::is_account_id)
                );
            }
            config::Backend::Oauth2 {
                client_secret_env,
                client_secret_file,
                ..
            } => assert!(client_secret_env.is_some() != client_secret_file.is_some()),
        }
    }
    true
}

/// The CodeArtifact token durations (seconds) an accepted config may ask for besides 0: what the
/// API accepts, 15 minutes to 12 hours. Written out here rather than taken from `config`, whose
/// check this checks.
const CODEARTIFACT_SECONDS: std::ops::RangeInclusive<u64> = 900..=43_200;

/// The target [`cache`] reads a cache file for.
pub const CACHE_TARGET: &str = "t";
/// The settings hash [`cache`] reads a cache file for.
pub const CACHE_SETTINGS_HASH: &str = "h";

/// The widest policy a config file accepts: every duration as long as it can be written (whole
/// seconds up to `i64::MAX`), timeouts at their limit, `refresh_at` and `jitter` just inside
/// their bounds. Cache files are planned under it too, so the policy's arithmetic meets the
/// largest numbers a user can give it.
const WIDEST_POLICY: &str = r#"
[policy]
refresh_at = 0.9999999
jitter = 0.9999998
floor = 9223372036854775807
min_ttl = 9223372036854775807
breaker_threshold = 4294967295
breaker_cooldown = 9223372036854775807
mint_timeout = 86400
lock_timeout = 86400
"#;

/// Any bytes as the cache file of target [`CACHE_TARGET`]. What parses can be served, refreshed,
/// and have a failed refresh recorded without panicking: at the entry's own times and around
/// them, at the ends of time, for callers with and without a `--min-ttl` (up to the longest a
/// duration holds), under the default and the widest configurable policy. Returns whether the
/// file was accepted (and so planned).
pub fn cache(data: &[u8]) -> bool {
    use crate::mint::{EpochMs, MintError};
    use crate::policy::{self, Purpose};
    let Ok(state) = cache::parse_state(data, CACHE_TARGET, CACHE_SETTINGS_HASH) else {
        return false;
    };
    let widest = config::parse(WIDEST_POLICY, Path::new("fuzz.toml"))
        .expect("the widest policy parses")
        .defaults;
    let mut times: Vec<EpochMs> = [i64::MIN, -1, 0, 1_800_000_000_000, i64::MAX]
        .map(EpochMs::from_millis)
        .into();
    if let Some(e) = &state.entry {
        for t in [e.issued_at, e.refresh_at, e.expires_at] {
            times.extend([t.saturating_sub_ms(1), t, t.saturating_add_ms(1)]);
        }
    }
    let failure = MintError::transient("fuzz");
    for policy in [policy::Policy::default(), widest] {
        for &now in &times {
            let mut breaker = state.breaker.clone();
            for required in [None, Some(Duration::from_secs(60)), Some(Duration::MAX)] {
                let entry = state.entry.as_ref();
                let _ = policy::plan(now, entry, &breaker, &policy, required);
                for purpose in [
                    Purpose::NeedToken {
                        waiting_since: now,
                        seen: entry.map(|e| e.issued_at),
                    },
                    Purpose::Refresh,
                    Purpose::Explicit,
                ] {
                    let _ = policy::under_lock(now, entry, &breaker, &policy, required, purpose);
                }
                breaker.record_failure(now, &failure, entry, &policy, 0.5);
            }
        }
    }
    true
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

/// The instant [`mint_response`] takes a mint to have started at.
pub const MINT_STARTED: crate::mint::EpochMs = crate::mint::EpochMs::from_millis(1_000);

/// Any bytes as a `command` mint's stdout, through the check every backend's answer passes: an
/// accepted response has a clean token and an expiry after the mint started, and the entry
/// cached for it is usable when minted. Returns whether it was accepted.
pub fn mint_response(data: &[u8]) -> bool {
    use crate::policy::{self, Freshness, Policy};
    let started = MINT_STARTED;
    let Ok(minted) = crate::backend::command::parse_response(data, started)
        .map_err(crate::mint::MintError::transient)
        .and_then(|minted| policy::check_minted(minted, started))
    else {
        return false;
    };
    assert!(
        !minted.token.expose().is_empty() && !minted.token.expose().chars().any(char::is_control)
    );
    assert!(minted.expires_at > started);
    let policy = Policy::default();
    let entry = policy::entry_for(minted, started, 0.5, &policy);
    assert!(policy::is_cacheable(&entry));
    assert_ne!(
        policy::freshness(started, Some(&entry), &policy, None),
        Freshness::Unusable
    );
    true
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
