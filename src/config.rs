//! The configuration file: `[policy]` defaults, the optional `[fleet]` store and
//! `[targets.NAME]` sections.
//!
//! Errors name the file, the key and the problem. A missing *default* file means "no targets";
//! a missing file named by `--config` or `ECLUSE_CRED_CONFIG` is an error.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

use crate::cloud_hosts::for_cloud_host;
use crate::cloud_hosts::{is_account_id, is_codeartifact_domain};
use crate::error::{Error, Result};
use crate::policy::Policy;

// A target's backend settings travel to the `ecluse-cred-mint` helper, so their types live in
// the contract crate; they are read, checked and used here as if they were this module's.
pub use ecluse_cred_contract::backend::{
    Backend, ClientAuth, DURATION_HELP, Seconds, parse_duration,
};

/// A configured target: where its tokens come from and how they are refreshed.
#[derive(Debug, Clone)]
pub struct Target {
    pub name: String,
    pub backend: Backend,
    /// The username that goes with the token for clients that speak HTTP Basic.
    pub username: Option<String>,
    /// URL prefixes this target serves.
    pub urls: Vec<String>,
    pub policy: Policy,
    /// How git sends the token (git >= 2.46 can send `Authorization: Bearer`).
    pub git_auth: GitAuth,
    /// Whether this target shares its tokens through the `[fleet]` store: true when the config
    /// has a `[fleet]` section, unless the target says `fleet = false`. Not part of the backend
    /// settings, so it never changes the target's cache key.
    pub fleet: bool,
}

/// How git's helper answers: HTTP Basic (`username`/`password`, every git and server) or, to a
/// git that announces `capability[]=authtype` (2.46+), `authtype=Bearer` with the token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum GitAuth {
    #[default]
    Basic,
    Bearer,
}

/// Shortest and longest CodeArtifact token duration the API accepts (besides 0).
const CODEARTIFACT_DURATION: std::ops::RangeInclusive<u64> = 900..=43_200;

/// Check what serde cannot in a target's backend settings: `key` is the target's key, for
/// messages.
fn validate(backend: &Backend, key: &str) -> Result<(), String> {
    match backend {
        Backend::Command { command } if command.is_empty() || command[0].is_empty() => Err(
            format!("{key}.command: must name a program, e.g. [\"/usr/local/bin/mint-token\"]"),
        ),
        Backend::Command { .. } => Ok(()),
        Backend::Codeartifact {
            domain,
            domain_owner,
            duration,
            ..
        } => {
            if !is_codeartifact_domain(domain) {
                return Err(format!(
                    "{key}.domain: `{domain}` is not a CodeArtifact domain name (lowercase letters, digits and hyphens, 2 to 50 characters)"
                ));
            }
            if let Some(owner) = domain_owner
                && !is_account_id(owner)
            {
                return Err(format!(
                    "{key}.domain_owner: `{owner}` is not a 12-digit AWS account id"
                ));
            }
            match duration {
                Some(Seconds(d))
                    if !d.is_zero() && !CODEARTIFACT_DURATION.contains(&d.as_secs()) =>
                {
                    Err(format!(
                        "{key}.duration: must be \"0\" or between 15m and 12h"
                    ))
                }
                _ => Ok(()),
            }
        }
        Backend::Ecr { registry_id, .. } => match registry_id {
            Some(id) if !is_account_id(id) => Err(format!(
                "{key}.registry_id: `{id}` is not a 12-digit AWS account id"
            )),
            _ => Ok(()),
        },
        Backend::Gcp { scopes, lifetime } => {
            if scopes
                .as_ref()
                .is_some_and(|s| s.is_empty() || s.iter().any(String::is_empty))
            {
                return Err(format!(
                    "{key}.scopes: must list at least one non-empty scope"
                ));
            }
            if lifetime.is_some_and(|l| l.0.is_zero()) {
                return Err(format!("{key}.lifetime: must be longer than 0"));
            }
            Ok(())
        }
        Backend::Oauth2 {
            token_url,
            client_id,
            client_secret_env,
            client_secret_file,
            ..
        } => {
            if !(token_url.starts_with("https://") || token_url.starts_with("http://"))
                || url::Url::parse(token_url).is_err()
            {
                return Err(format!(
                    "{key}.token_url: `{}` is not an http(s) URL",
                    crate::redact::url(token_url)
                ));
            }
            if ecluse_cred_contract::redact::has_userinfo(token_url) {
                return Err(format!(
                    "{key}.token_url: `{}` holds credentials: the client secret comes from client_secret_env or client_secret_file, and secrets never go in the config file",
                    crate::redact::url(token_url)
                ));
            }
            if client_id.is_empty() {
                return Err(format!("{key}.client_id: must not be empty"));
            }
            match (client_secret_env, client_secret_file) {
                (Some(_), Some(_)) => Err(format!(
                    "{key}: set one of client_secret_env and client_secret_file, not both"
                )),
                (None, None) => Err(format!(
                    "{key}: missing client_secret_env (an environment variable name) or client_secret_file (a path)"
                )),
                (Some(name), None) if name.is_empty() => Err(format!(
                    "{key}.client_secret_env: must name an environment variable"
                )),
                _ => Ok(()),
            }
        }
    }
}

#[derive(Debug, Default)]
pub struct Config {
    /// The file the configuration came from, if one was read.
    pub path: Option<PathBuf>,
    /// The default file, looked for and not found (so messages can say where to put one).
    pub looked_for: Option<PathBuf>,
    pub targets: BTreeMap<String, Target>,
    /// The `[policy]` section merged over the defaults: the policy of derived targets.
    pub defaults: Policy,
    /// The `[fleet]` section: the store a fleet of hosts shares its tokens through.
    pub fleet: Option<FleetConfig>,
}

/// The `[fleet]` section, checked: where the shared store is and how to reach it. Secrets are
/// only named (environment variables), never held here; whether `key_env` holds a well-formed
/// key is checked when the fleet is used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FleetConfig {
    /// The store's URL as written (trimmed): `rediss://HOST[:PORT][/DB]`, or `redis://` to a
    /// loopback address; never with userinfo, a query or a fragment.
    pub store: String,
    /// The environment variable holding the fleet key (base64 of 32 bytes).
    pub key_env: String,
    /// The environment variable holding the store's AUTH password.
    pub password_env: Option<String>,
    /// The ACL user that `AUTH` names (with the password from `password_env`).
    pub username: Option<String>,
    /// A CA certificate (PEM) for a `rediss://` store, instead of the system's roots.
    pub ca_file: Option<PathBuf>,
    /// The prefix of every key the fleet writes (`NAMESPACE:...`).
    pub namespace: String,
    /// The bound of each connect and command.
    pub timeout: Duration,
}

/// The fleet tier's time arithmetic (docs/fleet.md, "Waiting"): how long the fleet lock lives,
/// what the helper's fleet steps may take, and the least `lock_timeout` that leaves a fleet
/// host room to wait for another host's whole mint. Here, below `backend`, so that the config
/// can refuse a `lock_timeout` without room.
pub mod fleet_budget {
    use std::time::Duration;

    /// The fleet lock's expiry past `mint_timeout`, in store timeouts, plus [`MARGIN`]: the
    /// holder's last two reads after taking it, and its put's whole store budget
    /// ([`STEP_STORE_TIMEOUTS`]), so that the lock outlives a slow publish.
    pub const LOCK_STORE_TIMEOUTS: u32 = 2 + STEP_STORE_TIMEOUTS;
    /// What a helper run may take beyond its store work: starting the process.
    pub const MARGIN: Duration = Duration::from_secs(2);
    /// A step's store work outside its waiting, in store timeouts: the helper's own deadline for
    /// it (`ecluse_cred_fleet::step::STORE_BUDGET_TIMEOUTS`, connect and DNS included).
    pub const STEP_STORE_TIMEOUTS: u32 = 6;
    /// The longest pause of a waiting host between two looks at the entry
    /// (`ecluse_cred_fleet::step::POLL_MAX`): a waiter whose holder's lock expired takes it at its
    /// next look.
    pub const POLL_MAX: Duration = Duration::from_secs(1);

    /// How long the fleet lock lives: the holder's mint, then its put (store work), and a margin.
    /// A live holder publishes its token, or `failing`, before then.
    pub fn lock_life(mint_timeout: Duration, store_timeout: Duration) -> Duration {
        mint_timeout + store_timeout * LOCK_STORE_TIMEOUTS + MARGIN
    }

    /// The bound of the two fleet steps around a mint, waiting aside.
    pub fn steps(store_timeout: Duration) -> Duration {
        (store_timeout * STEP_STORE_TIMEOUTS + MARGIN) * 2
    }

    /// The least `lock_timeout` a fleet target needs so that a waiter covers the fleet lock's whole
    /// life: [`lock_life`] + one pause ([`POLL_MAX`]) + both steps' bounds, that is
    /// `mint_timeout + 20 × fleet.timeout + 7 s` (47 s with the defaults, 60 s given).
    pub fn min_lock_timeout(mint_timeout: Duration, store_timeout: Duration) -> Duration {
        lock_life(mint_timeout, store_timeout) + POLL_MAX + steps(store_timeout)
    }
}

/// The fleet's key prefix when `namespace` is not set.
pub const FLEET_NAMESPACE: &str = "ecluse-cred";
/// The store's connect and command timeout when `timeout` is not set.
pub const FLEET_TIMEOUT: Duration = Duration::from_millis(500);
/// The shortest and longest store `timeout`: below, a store across a data centre is always
/// late; above, a dead store holds every mint up for longer than it saves.
pub const FLEET_TIMEOUTS: std::ops::RangeInclusive<Duration> =
    Duration::from_millis(10)..=Duration::from_secs(10);
/// Longest `namespace`.
const MAX_NAMESPACE: usize = 64;

impl Config {
    /// Which file this configuration is, for messages: the file read, or where none was found
    /// and what puts one there.
    pub fn file_hint(&self) -> String {
        match (&self.path, &self.looked_for) {
            (Some(path), _) => format!("config {}", path.display()),
            (None, Some(path)) => format!(
                "there is no config file at {}: `ecluse-cred init` writes a starter one there",
                path.display()
            ),
            (None, None) => {
                "no config file: no home directory to look in; name one with --config".to_owned()
            }
        }
    }

    /// The file to add a target to: the one read, or the one looked for.
    pub fn file_to_edit(&self) -> String {
        self.path
            .as_ref()
            .or(self.looked_for.as_ref())
            .map_or("the file --config names".to_owned(), |p| {
                p.display().to_string()
            })
    }
}

/// Where the configuration is read from.
pub enum Source {
    /// `--config` or `ECLUSE_CRED_CONFIG`: must exist.
    Explicit(PathBuf),
    /// The platform default: may be absent.
    Default(PathBuf),
    /// No config dir could be determined (no home directory).
    None,
}

pub fn load(source: &Source) -> Result<Config> {
    let (path, required) = match source {
        Source::Explicit(p) => (p, true),
        Source::Default(p) => (p, false),
        Source::None => return Ok(Config::default()),
    };
    let text = match read_bounded(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && !required => {
            return Ok(Config {
                looked_for: Some(path.to_owned()),
                ..Config::default()
            });
        }
        Err(e) => {
            return Err(Error::config(format!(
                "config {}: cannot read: {e}",
                path.display()
            )));
        }
    };
    parse(&text, path)
}

/// Longest config file that is read: far above a real one, and a bound when `--config` names
/// something endless (`/dev/zero`).
const MAX_CONFIG_BYTES: u64 = 1 << 20;

/// The file at `path` as text, refused past [`MAX_CONFIG_BYTES`]. Not refused for not being a
/// regular file (`--config <(...)` is a pipe), but opened without waiting for a writer: a FIFO
/// nobody writes to reads as empty instead of hanging.
fn read_bounded(path: &Path) -> std::io::Result<String> {
    use std::io::Read;
    use std::os::unix::fs::OpenOptionsExt;
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(path)?;
    // Reads block again (a pipe's writer may not have written yet); with no writer at all a
    // FIFO's read returns end of file.
    let flags = rustix::fs::fcntl_getfl(&file)?;
    rustix::fs::fcntl_setfl(&file, flags - rustix::fs::OFlags::NONBLOCK)?;
    let mut text = String::new();
    file.take(MAX_CONFIG_BYTES + 1).read_to_string(&mut text)?;
    if text.len() as u64 > MAX_CONFIG_BYTES {
        return Err(std::io::Error::other(format!(
            "larger than {MAX_CONFIG_BYTES} bytes"
        )));
    }
    Ok(text)
}

// A policy section as written: each value checked and converted in `merge`.
#[derive(Deserialize, Default, Clone)]
#[serde(deny_unknown_fields)]
struct RawPolicy {
    refresh_at: Option<toml::Value>,
    jitter: Option<toml::Value>,
    floor: Option<toml::Value>,
    min_ttl: Option<toml::Value>,
    breaker_threshold: Option<toml::Value>,
    breaker_cooldown: Option<toml::Value>,
    mint_timeout: Option<toml::Value>,
    lock_timeout: Option<toml::Value>,
}

/// The keys a target section has besides its backend's own.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCommon {
    username: Option<String>,
    #[serde(default)]
    git_auth: GitAuth,
    #[serde(default)]
    urls: Vec<String>,
    #[serde(default)]
    policy: RawPolicy,
    fleet: Option<bool>,
}

/// A key of a target section: the check of its TOML type, and how an error says what to write.
struct KeySpec {
    name: &'static str,
    what: &'static str,
    example: &'static str,
    accepts: fn(&toml::Value) -> bool,
}

fn is_text(v: &toml::Value) -> bool {
    v.is_str()
}

fn is_texts(v: &toml::Value) -> bool {
    v.as_array()
        .is_some_and(|a| a.iter().all(toml::Value::is_str))
}

fn is_duration(v: &toml::Value) -> bool {
    v.is_str() || v.is_integer()
}

fn is_table(v: &toml::Value) -> bool {
    v.is_table()
}

const fn spec(
    name: &'static str,
    what: &'static str,
    example: &'static str,
    accepts: fn(&toml::Value) -> bool,
) -> KeySpec {
    KeySpec {
        name,
        what,
        example,
        accepts,
    }
}

/// What a duration key holds, for its message.
const A_DURATION: &str = "a duration";

/// The keys every target takes besides its backend's.
const COMMON: [KeySpec; 5] = [
    spec("username", "the user name as a string", "\"aws\"", is_text),
    spec(
        "urls",
        "a list of URLs",
        "[\"https://pkgs.example.com/pypi/simple/\"]",
        is_texts,
    ),
    spec(
        "policy",
        "a table of policy keys",
        "{ floor = \"10m\" }",
        is_table,
    ),
    spec("git_auth", "\"basic\" or \"bearer\"", "\"bearer\"", is_text),
    spec("fleet", "true or false", "false", toml::Value::is_bool),
];

/// Each backend's own keys (besides `backend`).
fn backend_keys(backend: &str) -> Option<&'static [KeySpec]> {
    const COMMAND: [KeySpec; 1] = [spec(
        "command",
        "the program and its arguments, as a list of strings",
        "[\"/usr/local/bin/mint-token\", \"--repo\", \"build\"]",
        is_texts,
    )];
    const CODEARTIFACT: [KeySpec; 5] = [
        spec(
            "domain",
            "the domain's name as a string",
            "\"my-domain\"",
            is_text,
        ),
        spec(
            "domain_owner",
            "a 12-digit account id as a string",
            "\"111122223333\"",
            is_text,
        ),
        spec("region", "a region as a string", "\"us-west-2\"", is_text),
        spec("duration", A_DURATION, "\"12h\"", is_duration),
        spec(
            "profile",
            "an AWS profile's name as a string",
            "\"build\"",
            is_text,
        ),
    ];
    const ECR: [KeySpec; 5] = [
        spec(
            "registry_id",
            "the registry's 12-digit account id as a string",
            "\"111122223333\"",
            is_text,
        ),
        spec("region", "a region as a string", "\"us-east-1\"", is_text),
        spec(
            "profile",
            "an AWS profile's name as a string",
            "\"build\"",
            is_text,
        ),
        spec("fips", "true or false", "true", toml::Value::is_bool),
        spec("dual_stack", "true or false", "true", toml::Value::is_bool),
    ];
    const GCP: [KeySpec; 2] = [
        spec(
            "scopes",
            "a list of OAuth scopes",
            "[\"https://www.googleapis.com/auth/cloud-platform\"]",
            is_texts,
        ),
        spec("lifetime", A_DURATION, "\"1h\"", is_duration),
    ];
    const OAUTH2: [KeySpec; 6] = [
        spec(
            "token_url",
            "the token endpoint's URL as a string",
            "\"https://login.example.com/oauth2/token\"",
            is_text,
        ),
        spec(
            "client_id",
            "the client id as a string",
            "\"my-client\"",
            is_text,
        ),
        spec(
            "client_secret_env",
            "an environment variable's name",
            "\"BUILD_CLIENT_SECRET\"",
            is_text,
        ),
        spec(
            "client_secret_file",
            "a file's path as a string",
            "\"/run/secrets/build\"",
            is_text,
        ),
        spec(
            "scope",
            "the scopes as one string",
            "\"packages:read\"",
            is_text,
        ),
        spec("client_auth", "\"basic\" or \"post\"", "\"post\"", is_text),
    ];
    Some(match backend {
        "command" => &COMMAND,
        "codeartifact" => &CODEARTIFACT,
        "ecr" => &ECR,
        "gcp" => &GCP,
        "oauth2" => &OAUTH2,
        _ => return None,
    })
}

/// The backends, as `backend = "..."` names them.
const BACKENDS: &str = "command, codeartifact, ecr, gcp, oauth2";

/// The keys of a `[policy]` (or a target's `policy`) section, with what each holds.
const POLICY: [KeySpec; 8] = [
    spec(
        "refresh_at",
        "a fraction between 0 and 1",
        "0.8",
        toml::Value::is_float,
    ),
    spec(
        "jitter",
        "a fraction between 0 and 1",
        "0.05",
        toml::Value::is_float,
    ),
    spec("floor", A_DURATION, "\"5m\"", is_duration),
    spec("min_ttl", A_DURATION, "\"30s\"", is_duration),
    spec(
        "breaker_threshold",
        "a whole number of at least 1",
        "3",
        toml::Value::is_integer,
    ),
    spec("breaker_cooldown", A_DURATION, "\"5m\"", is_duration),
    spec("mint_timeout", A_DURATION, "\"30s\"", is_duration),
    spec("lock_timeout", A_DURATION, "\"60s\"", is_duration),
];

/// The keys of the `[fleet]` section.
const FLEET: [KeySpec; 7] = [
    spec(
        "store",
        "the store's URL as a string",
        "\"rediss://cache.internal:6380/0\"",
        is_text,
    ),
    spec(
        "key_env",
        "an environment variable's name",
        "\"ECLUSE_CRED_FLEET_KEY\"",
        is_text,
    ),
    spec(
        "password_env",
        "an environment variable's name",
        "\"ECLUSE_CRED_FLEET_PASSWORD\"",
        is_text,
    ),
    spec(
        "username",
        "the ACL user name as a string",
        "\"ecluse\"",
        is_text,
    ),
    spec(
        "ca_file",
        "a file's path as a string",
        "\"/etc/ssl/fleet-ca.pem\"",
        is_text,
    ),
    spec(
        "namespace",
        "a key prefix as a string",
        "\"ecluse-cred\"",
        is_text,
    ),
    spec("timeout", A_DURATION, "\"500ms\"", is_duration),
];

/// Keys that would put a fleet secret into the config file, and the key to use instead.
const FLEET_SECRET_KEYS: [(&str, &str); 4] = [
    ("password", "password_env"),
    ("key", "key_env"),
    ("secret", "key_env"),
    ("token", "key_env"),
];

/// An environment variable's name as the config may give one: letters, digits and `_`, not
/// starting with a digit.
fn is_env_name(name: &str) -> bool {
    name.bytes().next().is_some_and(|b| !b.is_ascii_digit())
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

/// Whether `text` is a fleet key itself (base64 of 32 bytes, padded or not, or 64 hex digits)
/// rather than a name: random base64 mixes cases, a variable's name of that length hardly ever
/// does.
fn is_a_key(text: &str) -> bool {
    use base64::Engine;
    use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
    let text = text.trim();
    // 32 bytes in hex (`openssl rand -hex 32`): a name of 64 hex digits is no variable's.
    if text.len() == 64 && text.bytes().all(|b| b.is_ascii_hexdigit()) {
        return true;
    }
    text.bytes().any(|b| b.is_ascii_lowercase())
        && text.bytes().any(|b| b.is_ascii_uppercase())
        && [STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD]
            .iter()
            .any(|e| e.decode(text).is_ok_and(|b| b.len() == 32))
}

/// The environment variable name `key` holds, checked; the value is never repeated (a secret
/// pasted in place of its variable's name must not reach stderr).
fn env_name(key: &str, value: &str, example: &str) -> Result<String, String> {
    if is_a_key(value) {
        return Err(format!(
            "{key}: holds what looks like a key itself; name the environment variable that holds it, such as \"{example}\", and secrets never go in the config file"
        ));
    }
    if !is_env_name(value) {
        return Err(format!(
            "{key}: must name an environment variable (letters, digits and `_`, not starting with a digit), such as \"{example}\""
        ));
    }
    Ok(value.to_owned())
}

/// Whether a store's host is this machine's loopback: 127.0.0.0/8, ::1 or `localhost`.
fn is_loopback_host(host: &str) -> bool {
    let bare = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host);
    match bare.parse::<std::net::IpAddr>() {
        Ok(ip) => ip.is_loopback(),
        Err(_) => bare.eq_ignore_ascii_case("localhost"),
    }
}

/// The `store` URL checked: `rediss://` anywhere, `redis://` only to a loopback address; a host,
/// an optional port and database number; no userinfo (credentials come from `username` and
/// `password_env`), query or fragment (`#insecure` would turn certificate checks off).
fn fleet_store(value: &str) -> Result<String, String> {
    const KEY: &str = "fleet.store";
    const EXAMPLE: &str = "\"rediss://cache.internal:6380/0\"";
    let store = value.trim();
    if store.chars().any(char::is_control) {
        // The URL parser would drop a tab or newline silently; `status` would print the rest.
        return Err(format!(
            "{KEY}: holds a control character; write the store's URL, such as {EXAMPLE}"
        ));
    }
    let shown = crate::redact::url(store);
    if ecluse_cred_contract::redact::has_userinfo(store) {
        return Err(format!(
            "{KEY}: `{shown}` holds credentials: the password comes from password_env (an environment variable name) and the user from username, and secrets never go in the config file"
        ));
    }
    let Ok(url) = url::Url::parse(store) else {
        return Err(format!(
            "{KEY}: `{shown}` is not a URL; write the store's URL, such as {EXAMPLE}"
        ));
    };
    let scheme = url.scheme();
    if scheme != "redis" && scheme != "rediss" {
        return Err(format!(
            "{KEY}: `{shown}` is not a redis:// or rediss:// URL, such as {EXAMPLE}"
        ));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(format!(
            "{KEY}: `{shown}` has a query or fragment (`?...`, `#...`); write only the scheme, host, port and database, such as {EXAMPLE}"
        ));
    }
    let host = url.host_str().unwrap_or_default();
    if host.is_empty() {
        return Err(format!("{KEY}: `{shown}` names no host, such as {EXAMPLE}"));
    }
    let unspecified = host
        .trim_start_matches('[')
        .trim_end_matches(']')
        .parse::<std::net::IpAddr>()
        .is_ok_and(|ip| ip.is_unspecified());
    if unspecified {
        return Err(format!(
            "{KEY}: `{shown}` names an address to listen on, not one to connect to; write the store's address"
        ));
    }
    if scheme == "redis" && !is_loopback_host(host) {
        return Err(format!(
            "{KEY}: `{shown}` sends tokens and the store's password in the clear to another host; use rediss:// (TLS), or redis:// only to a loopback address (127.0.0.1, ::1 or localhost)"
        ));
    }
    let db = url.path().strip_prefix('/').unwrap_or(url.path());
    let database = db.is_empty() || (db.len() <= 5 && db.bytes().all(|b| b.is_ascii_digit()));
    if !database {
        return Err(format!(
            "{KEY}: `{shown}`: the path is the database's number, such as /0, or nothing"
        ));
    }
    Ok(store.to_owned())
}

/// Whether a fleet target's `lock_timeout` leaves room to wait for another host's whole mint
/// ([`fleet_budget::min_lock_timeout`]): otherwise its hosts would stop waiting before the
/// holder could publish, and each mint on its own. `key` prefixes `policy.lock_timeout` in the
/// error: `targets.NAME.`, or nothing for the defaults.
fn fleet_room(policy: &Policy, fleet: &FleetConfig, key: &str) -> Result<(), String> {
    let least = fleet_budget::min_lock_timeout(policy.mint_timeout, fleet.timeout);
    if policy.lock_timeout < least {
        return Err(format!(
            "{key}policy.lock_timeout: {} leaves a fleet host no time to wait for another host's mint; with mint_timeout {} and fleet.timeout {} it must be at least {} (mint_timeout + 20 × fleet.timeout + 7s), or lower fleet.timeout",
            humantime::format_duration(policy.lock_timeout),
            humantime::format_duration(policy.mint_timeout),
            humantime::format_duration(fleet.timeout),
            humantime::format_duration(least)
        ));
    }
    Ok(())
}

/// The `[fleet]` section, checked and read.
fn parse_fleet(table: &toml::Table) -> Result<FleetConfig, String> {
    if let Some((k, instead)) = FLEET_SECRET_KEYS
        .iter()
        .find(|(k, _)| table.contains_key(*k))
    {
        return Err(format!(
            "fleet.{k}: secrets are never read from the config file; use {instead} (an environment variable name)"
        ));
    }
    check_keys(table, &[&FLEET], "fleet", "the [fleet] section")?;
    let text = |name: &str| table.get(name).and_then(toml::Value::as_str);
    let Some(store) = text("store") else {
        return Err(
            "fleet: missing key `store` (the store's URL, such as \"rediss://cache.internal:6380/0\")"
                .to_owned(),
        );
    };
    let store = fleet_store(store)?;
    let Some(key_env) = text("key_env") else {
        return Err(
            "fleet: missing key `key_env` (the name of the environment variable holding the fleet key, base64 of 32 random bytes, such as \"ECLUSE_CRED_FLEET_KEY\")"
                .to_owned(),
        );
    };
    let key_env = env_name("fleet.key_env", key_env, "ECLUSE_CRED_FLEET_KEY")?;
    let password_env = text("password_env")
        .map(|v| env_name("fleet.password_env", v, "ECLUSE_CRED_FLEET_PASSWORD"))
        .transpose()?;
    let username = match text("username") {
        Some(u) if u.is_empty() || u.chars().any(|c| c.is_whitespace() || c.is_control()) => {
            return Err(
                "fleet.username: must be an ACL user name, without spaces, such as \"ecluse\""
                    .to_owned(),
            );
        }
        Some(_) if password_env.is_none() => {
            return Err(
                "fleet.username: needs password_env, the environment variable holding that user's password"
                    .to_owned(),
            );
        }
        other => other.map(str::to_owned),
    };
    let ca_file = match text("ca_file") {
        None => None,
        Some(_) if store.starts_with("redis://") => {
            return Err(
                "fleet.ca_file: only a rediss:// (TLS) store uses a CA file; this store is redis://"
                    .to_owned(),
            );
        }
        Some(path) if !Path::new(path).is_absolute() => {
            return Err(
                "fleet.ca_file: must be an absolute path, such as \"/etc/ssl/fleet-ca.pem\" (a credential helper runs in every client's directory)"
                    .to_owned(),
            );
        }
        Some(path) => Some(PathBuf::from(path)),
    };
    let namespace = match text("namespace") {
        None => FLEET_NAMESPACE.to_owned(),
        Some(n)
            if !n.is_empty()
                && n.len() <= MAX_NAMESPACE
                && n.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b)) =>
        {
            n.to_owned()
        }
        Some(n) => {
            return Err(format!(
                "fleet.namespace: {} is not a key prefix: 1 to {MAX_NAMESPACE} letters, digits, `-`, `_` or `.`, such as \"{FLEET_NAMESPACE}\"",
                echoed(n)
            ));
        }
    };
    let timeout = match table.get("timeout") {
        None => FLEET_TIMEOUT,
        Some(v) => duration(v).map_err(|why| format!("fleet.timeout: {why}"))?,
    };
    if !FLEET_TIMEOUTS.contains(&timeout) {
        return Err(format!(
            "fleet.timeout: {} is outside {} to {}, e.g. \"500ms\"",
            humantime::format_duration(timeout),
            humantime::format_duration(*FLEET_TIMEOUTS.start()),
            humantime::format_duration(*FLEET_TIMEOUTS.end())
        ));
    }
    Ok(FleetConfig {
        store,
        key_env,
        password_env,
        username,
        ca_file,
        namespace,
        timeout,
    })
}

/// A TOML value's kind, as a message names it.
fn found(v: &toml::Value) -> &'static str {
    match v {
        toml::Value::String(_) => "a string",
        toml::Value::Integer(_) => "a whole number",
        toml::Value::Float(_) => "a number with a fraction",
        toml::Value::Boolean(_) => "true or false",
        toml::Value::Datetime(_) => "a date",
        toml::Value::Array(_) => "a list",
        toml::Value::Table(_) => "a table",
    }
}

/// A value as a message shows it: numbers and booleans themselves, anything else by its kind
/// (a string may hold what should not be repeated).
fn shown_value(v: &toml::Value) -> String {
    match v {
        toml::Value::Integer(_) | toml::Value::Float(_) | toml::Value::Boolean(_) => v.to_string(),
        other => found(other).to_owned(),
    }
}

/// Check `table`'s keys against `specs`: an unknown one is named with the keys valid there (the
/// nearest first, if it looks like a typo); a value of the wrong kind says what to write.
fn check_keys(
    table: &toml::Table,
    specs: &[&[KeySpec]],
    key: &str,
    what: &str,
) -> Result<(), String> {
    for (k, v) in table {
        let spec = specs.iter().flat_map(|s| s.iter()).find(|s| s.name == k);
        let Some(spec) = spec else {
            let names: Vec<&str> = specs
                .iter()
                .flat_map(|s| s.iter().map(|s| s.name))
                .collect();
            // A typo, or a word cut short (`user` for `username`).
            let near = names
                .iter()
                .filter(|n| {
                    strsim::damerau_levenshtein(n, k) <= 2
                        || (k.len() >= 3 && (n.starts_with(k.as_str()) || k.starts_with(**n)))
                })
                .min_by_key(|n| strsim::damerau_levenshtein(n, k));
            let hint = near.map_or(String::new(), |n| format!(" (did you mean `{n}`?)"));
            return Err(format!(
                "{key}.{}: unknown key{hint}; {what} takes: {}",
                crate::redact::text(k),
                names.join(", ")
            ));
        };
        if spec.name == "refresh_at" || spec.name == "jitter" {
            // A whole number is a fraction too (`refresh_at = 1` is then out of range).
            if v.is_integer() {
                continue;
            }
        }
        if !(spec.accepts)(v) {
            return Err(format!(
                "{key}.{k}: expected {}, such as {} (found {})",
                spec.what,
                spec.example,
                found(v)
            ));
        }
        if spec.what == A_DURATION {
            duration(v).map_err(|why| format!("{key}.{k}: {why}"))?;
        }
        if let Some((_, choices)) = CHOICES.iter().find(|(name, _)| *name == spec.name)
            && let Some(value) = v.as_str()
            && !choices.contains(&value)
        {
            return Err(format!(
                "{key}.{k}: {} is not one of: {}",
                echoed(value),
                choices.join(", ")
            ));
        }
    }
    Ok(())
}

/// A wrong word as an error may repeat it: a short lowercase one (a typo such as `cmd`), else
/// only that it is another one (a secret pasted into the wrong key must not reach stderr).
fn echoed(value: &str) -> String {
    let word = value.len() <= 16
        && value
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"-_".contains(&b));
    if word {
        format!("`{value}`")
    } else {
        "the value given".to_owned()
    }
}

/// Keys that take one of a few words.
const CHOICES: [(&str, &[&str]); 2] = [
    ("git_auth", &["basic", "bearer"]),
    ("client_auth", &["basic", "post"]),
];

/// A target section's keys checked before they are read: what is unknown or of the wrong
/// kind is said in words, with the keys valid there.
fn check_target(table: &toml::Table, key: &str) -> Result<(), String> {
    let backend = match table.get("backend") {
        None => {
            return Err(format!("{key}: missing key `backend` (one of: {BACKENDS})"));
        }
        Some(toml::Value::String(b)) => b.as_str(),
        Some(other) => {
            return Err(format!(
                "{key}.backend: expected one of {BACKENDS} as a string, such as \"command\" (found {})",
                found(other)
            ));
        }
    };
    let Some(own) = backend_keys(backend) else {
        return Err(format!(
            "{key}.backend: {} is not a backend; one of: {BACKENDS}",
            echoed(backend)
        ));
    };
    const BACKEND: [KeySpec; 1] = [spec("backend", "a backend's name", "\"command\"", is_text)];
    check_keys(
        table,
        &[&BACKEND, own, &COMMON],
        key,
        &format!("a `{backend}` target"),
    )?;
    if let Some(toml::Value::Table(policy)) = table.get("policy") {
        check_keys(
            policy,
            &[&POLICY],
            &format!("{key}.policy"),
            "a policy section",
        )?;
    }
    Ok(())
}

/// The top-level table `name`, taken out of `raw` (empty when absent), or what it is instead.
fn section(raw: &mut toml::Table, name: &str, expected: &str) -> Result<toml::Table, String> {
    match raw.remove(name) {
        None => Ok(toml::Table::new()),
        Some(toml::Value::Table(t)) => Ok(t),
        Some(other) => Err(format!(
            "{name}: expected {expected} (found {})",
            found(&other)
        )),
    }
}

pub fn parse(text: &str, path: &Path) -> Result<Config> {
    let file = path.display();
    let mut raw: toml::Table = toml::from_str(text)
        .map_err(|e| Error::config(format!("config {file}: {}", syntax(text, &e))))?;
    let at = |message: String| in_file(path, text, message);
    if let Some(k) = raw
        .keys()
        .find(|k| !["policy", "fleet", "targets"].contains(&k.as_str()))
    {
        return Err(at(format!(
            "{}: unknown section; a config has [policy], [fleet] and [targets.NAME] sections",
            crate::redact::text(k)
        )));
    }
    let policy = section(&mut raw, "policy", "a [policy] section").map_err(at)?;
    check_keys(&policy, &[&POLICY], "policy", "the [policy] section").map_err(at)?;
    let policy: RawPolicy = policy
        .try_into()
        .map_err(|e: toml::de::Error| at(format!("policy: {}", e.message())))?;
    let defaults = merge(Policy::default(), &policy, "policy").map_err(at)?;
    let fleet = if raw.contains_key("fleet") {
        let table = section(&mut raw, "fleet", "a [fleet] section").map_err(at)?;
        let fleet = parse_fleet(&table).map_err(at)?;
        // Targets derived from a registry URL use the defaults and the fleet.
        fleet_room(&defaults, &fleet, "").map_err(at)?;
        Some(fleet)
    } else {
        None
    };
    let mut targets = BTreeMap::new();
    let raw_targets = section(&mut raw, "targets", "[targets.NAME] sections").map_err(at)?;
    for (name, value) in raw_targets {
        let key = format!("targets.{name}");
        let toml::Value::Table(table) = value else {
            return Err(at(format!(
                "{key}: expected a [{key}] section (found {})",
                found(&value)
            )));
        };
        let target = parse_target(&name, table, &defaults, fleet.is_some(), &key).map_err(at)?;
        if let Some(f) = fleet.as_ref().filter(|_| target.fleet) {
            fleet_room(&target.policy, f, &format!("{key}.")).map_err(at)?;
        }
        targets.insert(name, target);
    }
    Ok(Config {
        path: Some(path.to_owned()),
        looked_for: None,
        targets,
        defaults,
        fleet,
    })
}

/// The line of the key an error names (`targets.a.policy.floor: ...`), found in the file with
/// its key spans; target names may hold dots, so each level takes the longest key that fits.
fn line_of(text: &str, message: &str) -> Option<usize> {
    let (path, _) = message.split_once(": ")?;
    let doc = toml_edit::Document::parse(text).ok()?;
    let mut table: &dyn toml_edit::TableLike = doc.as_table();
    let mut rest: Vec<&str> = path.split('.').collect();
    let mut span = None;
    while !rest.is_empty() {
        let (n, (key, item)) = (1..=rest.len())
            .rev()
            .find_map(|n| table.get_key_value(&rest[..n].join(".")).map(|kv| (n, kv)))?;
        span = key.span().or_else(|| item.span()).or(span);
        rest.drain(..n);
        if !rest.is_empty() {
            table = item.as_table_like()?;
        }
    }
    let start = span?.start;
    Some(text.get(..start)?.matches('\n').count() + 1)
}

/// A TOML error as its message and where, without the quoted source line, which may hold
/// what the file holds (a URL with credentials); what the message quotes is redacted too.
fn syntax(text: &str, e: &toml::de::Error) -> String {
    let mut message = crate::redact::userinfo(e.message().trim());
    // toml says "duplicate key" without the key: the key is where the error points.
    if message == "duplicate key"
        && let Some(key) = e
            .span()
            .and_then(|span| text.get(span.start..))
            .and_then(|rest| rest.lines().next())
            .and_then(|line| line.split(['=', ']']).next())
            .map(|k| k.trim().trim_start_matches('['))
            .filter(|k| !k.is_empty())
    {
        message = format!(
            "duplicate key `{}`: it is set twice in its section; keep one",
            crate::redact::text(key)
        );
    }
    match e.span() {
        Some(span) => {
            let before = text.get(..span.start).unwrap_or(text);
            let line = before.matches('\n').count() + 1;
            let column = before.len() - before.rfind('\n').map_or(0, |i| i + 1) + 1;
            format!("line {line}, column {column}: {message}")
        }
        None => message,
    }
}

/// An error about a key of the file, with the file and the key's line.
fn in_file(path: &Path, text: &str, message: String) -> Error {
    let line = line_of(text, &message).map_or(String::new(), |n| format!("line {n}: "));
    Error::config(format!(
        "config {}: {line}{}",
        path.display(),
        crate::redact::userinfo(&message)
    ))
}

/// Longest `mint_timeout` and `lock_timeout`: a caller waiting longer than a day for a token
/// is stuck, not patient (and deadlines this far out stay representable on every clock).
pub const MAX_TIMEOUT: Duration = Duration::from_secs(24 * 3600);

/// Keys that would put a secret into the config file: refused with a pointer to the safe way.
const INLINE_SECRET_KEYS: [&str; 3] = ["client_secret", "secret", "password"];

fn parse_target(
    name: &str,
    table: toml::Table,
    defaults: &Policy,
    fleet: bool,
    key: &str,
) -> Result<Target, String> {
    if let Some(k) = INLINE_SECRET_KEYS.iter().find(|k| table.contains_key(**k)) {
        return Err(format!(
            "{key}.{k}: secrets are never read from the config file; use client_secret_env (an environment variable name) or client_secret_file (a path)"
        ));
    }
    check_target(&table, key)?;
    let (common, backend): (toml::Table, toml::Table) = table
        .into_iter()
        .partition(|(k, _)| COMMON.iter().any(|c| c.name == k));
    let backend: Backend = backend
        .try_into()
        .map_err(|e: toml::de::Error| format!("{key}: {}", e.message()))?;
    let common: RawCommon = common
        .try_into()
        .map_err(|e: toml::de::Error| format!("{key}: {}", e.message()))?;
    validate(&backend, key)?;
    if for_cloud_host(name).is_some() {
        return Err(format!(
            "{key}: `{name}` is a CodeArtifact or Artifact Registry host, the name of the target derived from it; give this target another name"
        ));
    }
    let urls = common
        .urls
        .iter()
        .map(|url| crate::request::normalise_url(url).map_err(|why| format!("{key}.urls: {why}")))
        .collect::<Result<Vec<String>, String>>()?;
    let policy = merge(defaults.clone(), &common.policy, &format!("{key}.policy"))?;
    let username = common
        .username
        .or_else(|| backend.default_username().map(str::to_owned));
    if common.fleet == Some(true) && !fleet {
        return Err(format!(
            "{key}.fleet: there is no [fleet] section to share tokens through; add one, or remove this key"
        ));
    }
    Ok(Target {
        name: name.to_owned(),
        backend,
        username,
        urls,
        policy,
        git_auth: common.git_auth,
        fleet: fleet && common.fleet != Some(false),
    })
}

/// Apply the keys set in `raw` on top of `base` and validate the result.
fn merge(base: Policy, raw: &RawPolicy, key: &str) -> Result<Policy, String> {
    let dur =
        |v: &Option<toml::Value>, name: &str, default: Duration| -> Result<Duration, String> {
            v.as_ref().map_or(Ok(default), |v| {
                duration(v).map_err(|why| format!("{key}.{name}: {why}"))
            })
        };
    let fraction = |v: &Option<toml::Value>, name: &str, default: f64| -> Result<f64, String> {
        match v {
            None => Ok(default),
            Some(toml::Value::Float(f)) => Ok(*f),
            Some(toml::Value::Integer(n)) => Ok(*n as f64),
            Some(other) => Err(format!(
                "{key}.{name}: expected a fraction between 0 and 1, such as 0.8 (found {})",
                found(other)
            )),
        }
    };
    let p = Policy {
        refresh_at: fraction(&raw.refresh_at, "refresh_at", base.refresh_at)?,
        jitter: fraction(&raw.jitter, "jitter", base.jitter)?,
        floor: dur(&raw.floor, "floor", base.floor)?,
        min_ttl: dur(&raw.min_ttl, "min_ttl", base.min_ttl)?,
        breaker_threshold: match &raw.breaker_threshold {
            None => base.breaker_threshold,
            Some(toml::Value::Integer(n)) if (1..=i64::from(u32::MAX)).contains(n) => *n as u32,
            Some(other) => {
                return Err(format!(
                    "{key}.breaker_threshold: expected a whole number of at least 1, such as 3 (found {})",
                    shown_value(other)
                ));
            }
        },
        breaker_cooldown: dur(
            &raw.breaker_cooldown,
            "breaker_cooldown",
            base.breaker_cooldown,
        )?,
        mint_timeout: dur(&raw.mint_timeout, "mint_timeout", base.mint_timeout)?,
        lock_timeout: dur(&raw.lock_timeout, "lock_timeout", base.lock_timeout)?,
    };
    if !(p.refresh_at > 0.0 && p.refresh_at < 1.0) {
        return Err(format!(
            "{key}.refresh_at: {} is outside (0, 1), e.g. 0.8",
            p.refresh_at
        ));
    }
    if !(p.jitter >= 0.0 && p.jitter < p.refresh_at) {
        return Err(format!(
            "{key}.jitter: {} is outside [0, refresh_at = {}), e.g. 0.05",
            p.jitter, p.refresh_at
        ));
    }
    if p.mint_timeout.is_zero() {
        return Err(format!("{key}.mint_timeout: must be longer than 0"));
    }
    for (name, value) in [
        ("mint_timeout", p.mint_timeout),
        ("lock_timeout", p.lock_timeout),
    ] {
        if value > MAX_TIMEOUT {
            return Err(format!(
                "{key}.{name}: {} is longer than the longest allowed, {}",
                humantime::format_duration(value),
                humantime::format_duration(MAX_TIMEOUT)
            ));
        }
    }
    Ok(p)
}

/// A duration: a string as [`parse_duration`] reads it, or whole seconds.
pub fn duration(v: &toml::Value) -> Result<Duration, String> {
    match v {
        toml::Value::String(s) => parse_duration(s),
        toml::Value::Integer(n) => parse_duration(&n.to_string()),
        other => Err(format!(
            "expected {DURATION_HELP}, found {}",
            other.type_str()
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_str(text: &str) -> Result<Config> {
        parse(text, Path::new("/etc/x.toml"))
    }

    fn err(text: &str) -> String {
        parse_str(text).unwrap_err().message
    }

    #[test]
    fn full_example_parses_with_overrides_and_defaults() {
        let c = parse_str(
            r#"
            [policy]
            refresh_at = 0.7
            floor = "2m"
            [targets.build]
            backend = "command"
            command = ["/bin/mint", "--repo", "build"]
            username = "aws"
            urls = ["https://pkgs.example.com/"]
            [targets.build.policy]
            floor = "10m"
            breaker_threshold = 5
            [targets.other]
            backend = "command"
            command = ["/bin/other"]
            "#,
        )
        .unwrap();
        let b = &c.targets["build"];
        assert_eq!(b.policy.floor, Duration::from_secs(600));
        assert_eq!(b.policy.refresh_at, 0.7);
        assert_eq!(b.policy.breaker_threshold, 5);
        assert_eq!(b.username.as_deref(), Some("aws"));
        let o = &c.targets["other"];
        assert_eq!(o.policy.floor, Duration::from_secs(120));
        assert_eq!(o.policy.min_ttl, Policy::default().min_ttl);
    }

    #[test]
    fn errors_name_the_file_the_key_and_the_problem() {
        let cases = [
            (
                "[policy]\nrefresh = 1",
                "line 2: policy.refresh: unknown key (did you mean `refresh_at`?)",
            ),
            (
                "[policy]\nfloor = \"5 parsecs\"",
                "policy.floor: invalid duration",
            ),
            (
                "[policy]\nrefresh_at = 1.0",
                "policy.refresh_at: 1 is outside (0, 1)",
            ),
            (
                "[policy]\nrefresh_at = 0.5\njitter = 0.5",
                "policy.jitter: 0.5 is outside [0, refresh_at",
            ),
            ("[policy]\njitter = -0.1", "policy.jitter"),
            (
                "[targets.a]\ncommand = [\"x\"]",
                "targets.a: missing key `backend`",
            ),
            (
                "[targets.a]\nbackend = \"ftp\"",
                "line 2: targets.a.backend: `ftp` is not a backend; one of: command, codeartifact, ecr, gcp, oauth2",
            ),
            (
                "[targets.a]\nbackend = \"command\"\ncommand = [\"x\"]\ncomand = 1",
                "line 4: targets.a.comand: unknown key (did you mean `command`?)",
            ),
            (
                "[targets.a]\nbackend = \"command\"\ncommand = []",
                "targets.a.command: must name a program",
            ),
            (
                "[targets.a]\nbackend = \"command\"\ncommand = [\"x\"]\n[targets.a.policy]\nmin_ttl = true",
                "targets.a.policy.min_ttl",
            ),
            (
                "[targets.a]\nbackend = \"command\"\ncommand = [\"x\"]\nurls = [\"ftp://x\"]",
                "targets.a.urls",
            ),
        ];
        for (text, want) in cases {
            let e = err(text);
            assert!(e.starts_with("config /etc/x.toml: "), "{e}");
            assert!(e.contains(want), "{e:?} should contain {want:?}");
        }
    }

    #[test]
    fn a_token_url_with_userinfo_is_refused_without_showing_it() {
        let oauth2 = |url: &str| {
            format!(
                "[targets.a]\nbackend = \"oauth2\"\ntoken_url = \"{url}\"\nclient_id = \"c\"\nclient_secret_env = \"S\""
            )
        };
        for url in [
            "https://user:pw-SECRET@login.example/t",
            "https://pw-SECRET@login.example/t",
            "https://:pw-SECRET@login.example/t",
            "https://@login.example/t",
            "http://u:pw-SECRET@127.0.0.1:8080/t?x=1",
        ] {
            let e = err(&oauth2(url));
            assert!(
                e.contains("targets.a.token_url") && e.contains("holds credentials"),
                "{url}: {e}"
            );
            assert!(!e.contains("SECRET") && !e.contains("user"), "{url}: {e}");
        }
        // Without userinfo, also with an `@` in the path or query, it is accepted.
        for url in [
            "https://login.example/t",
            "https://login.example/@tenant/t?u=a@b",
        ] {
            assert!(parse_str(&oauth2(url)).is_ok(), "{url}");
        }
    }

    #[test]
    fn unknown_target_lists_the_known_ones() {
        let c = parse_str("[targets.a]\nbackend = \"command\"\ncommand = [\"x\"]").unwrap();
        let e = crate::resolve::target(&c, "b").unwrap_err();
        assert_eq!(
            e.message,
            "unknown target `b` in config /etc/x.toml (its targets: a)"
        );
    }

    #[test]
    fn settings_hash_changes_with_the_command_only() {
        let a = Backend::Command {
            command: vec!["x".into()],
        };
        let b = Backend::Command {
            command: vec!["x".into(), "--other".into()],
        };
        assert_ne!(a.settings_hash(), b.settings_hash());
        assert_eq!(a.settings_hash(), a.clone().settings_hash());
        assert_eq!(a.settings_hash().len(), 24);
    }

    #[test]
    fn durations_accept_strings_and_integer_seconds() {
        assert_eq!(parse_duration("1h 30m").unwrap(), Duration::from_secs(5400));
        assert_eq!(
            duration(&toml::Value::Integer(45)).unwrap(),
            Duration::from_secs(45)
        );
        assert_eq!(parse_duration("0").unwrap(), Duration::ZERO);
        assert!(parse_duration("soon").is_err());
    }

    #[test]
    fn a_policy_duration_in_months_or_below_zero_is_refused_with_the_grammar() {
        for (value, why) in [
            ("\"5M\"", "`M` is not a unit (minutes are `m`)"),
            ("-30", "it is negative"),
            ("\"-5m\"", "it is negative"),
        ] {
            let e = err(&format!("[policy]\nmin_ttl = {value}\n"));
            assert!(
                e.contains("policy.min_ttl: invalid duration")
                    && e.contains(why)
                    && e.contains(DURATION_HELP),
                "{value}: {e}"
            );
        }
        let c = parse_str("[policy]\nmin_ttl = \"5m\"\nfloor = 120\n").unwrap();
        assert_eq!(c.defaults.min_ttl, Duration::from_secs(300));
        assert_eq!(c.defaults.floor, Duration::from_secs(120));
    }

    #[test]
    fn a_backend_duration_that_is_no_duration_says_what_to_write_and_what_it_found() {
        let codeartifact = |duration: &str| {
            format!(
                "[targets.a]\nbackend = \"codeartifact\"\ndomain = \"d1\"\nduration = {duration}"
            )
        };
        for (duration, found) in [
            (
                "true",
                "expected a duration, such as \"12h\" (found true or false)",
            ),
            (
                "1.5",
                "expected a duration, such as \"12h\" (found a number with a fraction)",
            ),
            ("-1", "invalid duration \"-1\": it is negative"),
            ("[1]", "expected a duration, such as \"12h\" (found a list)"),
            (
                "{ a = 1 }",
                "expected a duration, such as \"12h\" (found a table)",
            ),
            (
                "1979-05-27",
                "expected a duration, such as \"12h\" (found a date)",
            ),
            ("\"soon\"", "invalid duration \"soon\""),
        ] {
            let e = err(&codeartifact(duration));
            assert!(
                e.contains("line 4: targets.a.duration: ") && e.contains(found),
                "{duration}: {e}"
            );
        }
        let c = parse_str(&codeartifact("\"1h\"")).unwrap();
        let Backend::Codeartifact { duration, .. } = &c.targets["a"].backend else {
            panic!("not codeartifact");
        };
        assert_eq!(*duration, Some(Seconds(Duration::from_secs(3600))));
    }

    #[test]
    fn an_ecr_target_takes_an_account_region_and_profile_and_refuses_a_bad_account() {
        let c = parse_str(
            "[targets.e]\nbackend = \"ecr\"\nregistry_id = \"111122223333\"\nregion = \"us-east-1\"\nprofile = \"prod\"\n",
        )
        .unwrap();
        assert_eq!(
            c.targets["e"].backend,
            Backend::Ecr {
                registry_id: Some("111122223333".into()),
                region: Some("us-east-1".into()),
                profile: Some("prod".into()),
                fips: None,
                dual_stack: None,
            }
        );
        assert_eq!(c.targets["e"].username.as_deref(), Some("AWS"));
        let e = err("[targets.e]\nbackend = \"ecr\"\nregistry_id = \"1234\"\n");
        assert!(
            e.contains("targets.e.registry_id: `1234` is not a 12-digit AWS account id"),
            "{e}"
        );
        let e = err("[targets.e]\nbackend = \"ecr\"\ndomain = \"d1\"\n");
        assert!(e.contains("domain"), "{e}");
    }

    #[test]
    fn codeartifact_domain_names() {
        assert!(is_codeartifact_domain("my-domain"));
        assert!(is_codeartifact_domain("d1"));
        for bad in [
            "d",
            "1domain",
            "domain-",
            "Domain",
            "dom_ain",
            &"a".repeat(51),
        ] {
            assert!(!is_codeartifact_domain(bad), "{bad}");
        }
    }

    /// A config with a `[fleet]` section of `body` (from line 2) and one target `a`.
    fn with_fleet(body: &str) -> String {
        format!("[fleet]\n{body}\n[targets.a]\nbackend = \"command\"\ncommand = [\"x\"]\n")
    }

    /// A `[fleet]` section with `store` on line 2 and a valid `key_env`.
    fn with_store(url: &str) -> String {
        with_fleet(&format!("store = \"{url}\"\nkey_env = \"K\""))
    }

    #[test]
    fn without_a_fleet_section_there_is_no_fleet_and_no_target_uses_one() {
        let c = parse_str("[targets.a]\nbackend = \"command\"\ncommand = [\"x\"]\n").unwrap();
        assert_eq!(c.fleet, None);
        assert!(!c.targets["a"].fleet);
        assert!(
            !crate::resolve::target(
                &c,
                "my-domain-111122223333.d.codeartifact.us-west-2.amazonaws.com"
            )
            .unwrap()
            .fleet
        );
        // `fleet = false` is harmless without one; `fleet = true` asks for what is not there.
        let c = parse_str("[targets.a]\nbackend = \"command\"\ncommand = [\"x\"]\nfleet = false\n")
            .unwrap();
        assert!(!c.targets["a"].fleet);
        assert_eq!(
            err("[targets.a]\nbackend = \"command\"\ncommand = [\"x\"]\nfleet = true\n"),
            "config /etc/x.toml: line 4: targets.a.fleet: there is no [fleet] section to share tokens through; add one, or remove this key"
        );
    }

    #[test]
    fn the_issues_fleet_example_parses_and_a_target_can_opt_out() {
        let c = parse_str(
            r#"
            [fleet]
            store = "rediss://cache.internal:6380/0"
            key_env = "ECLUSE_CRED_FLEET_KEY"
            password_env = "ECLUSE_CRED_FLEET_PASSWORD"
            username = "ecluse"
            ca_file = "/etc/ssl/fleet-ca.pem"
            namespace = "ecluse-cred"
            timeout = "500ms"
            [targets.build]
            backend = "command"
            command = ["x"]
            fleet = false
            [targets.shared]
            backend = "command"
            command = ["x"]
            [targets.said]
            backend = "command"
            command = ["x"]
            fleet = true
            "#,
        )
        .unwrap();
        assert_eq!(
            c.fleet,
            Some(FleetConfig {
                store: "rediss://cache.internal:6380/0".into(),
                key_env: "ECLUSE_CRED_FLEET_KEY".into(),
                password_env: Some("ECLUSE_CRED_FLEET_PASSWORD".into()),
                username: Some("ecluse".into()),
                ca_file: Some(PathBuf::from("/etc/ssl/fleet-ca.pem")),
                namespace: "ecluse-cred".into(),
                timeout: Duration::from_millis(500),
            })
        );
        assert!(!c.targets["build"].fleet);
        assert!(c.targets["shared"].fleet);
        assert!(c.targets["said"].fleet);
        // A derived target shares too.
        let derived = "my-domain-111122223333.d.codeartifact.us-west-2.amazonaws.com";
        assert!(crate::resolve::target(&c, derived).unwrap().fleet);
        // The optional keys' defaults.
        let c = parse_str(&with_store("redis://127.0.0.1:6379/0")).unwrap();
        let f = c.fleet.unwrap();
        assert_eq!(
            (
                f.password_env,
                f.username,
                f.ca_file,
                f.namespace.as_str(),
                f.timeout
            ),
            (None, None, None, "ecluse-cred", Duration::from_millis(500))
        );
    }

    #[test]
    fn the_fleet_settings_do_not_change_a_targets_cache_key() {
        let alone = parse_str("[targets.a]\nbackend = \"command\"\ncommand = [\"x\"]\n").unwrap();
        let shared = parse_str(&with_store("redis://127.0.0.1:6379/0")).unwrap();
        let out = parse_str(&format!(
            "{}fleet = false\n",
            with_store("rediss://cache.internal/1")
        ))
        .unwrap();
        let hash = |c: &Config| c.targets["a"].backend.settings_hash();
        assert_eq!(hash(&alone), hash(&shared));
        assert_eq!(hash(&alone), hash(&out));
    }

    #[test]
    fn a_plain_redis_store_is_accepted_only_on_a_loopback_address() {
        for url in [
            "redis://127.0.0.1:6379/0",
            "redis://127.3.2.1",
            "redis://[::1]:6379",
            "redis://localhost:6379/",
            "redis://LOCALHOST/15",
            "rediss://10.0.0.5:6380",
            "rediss://cache.internal:6380/0",
            "rediss://[2001:db8::5]",
        ] {
            let c = parse_str(&with_store(url)).unwrap_or_else(|e| panic!("{url}: {e}"));
            assert_eq!(c.fleet.unwrap().store, url);
        }
        let clear = "sends tokens and the store's password in the clear to another host; use rediss:// (TLS), or redis:// only to a loopback address (127.0.0.1, ::1 or localhost)";
        for (url, shown) in [
            ("redis://10.0.0.5:6379", "redis://10.0.0.5:6379"),
            ("redis://cache.internal/0", "redis://cache.internal/0"),
            ("redis://[2001:db8::5]:6379", "redis://[2001:db8::5]:6379"),
            (
                "redis://localhost.example.com",
                "redis://localhost.example.com",
            ),
            ("redis://128.0.0.1", "redis://128.0.0.1"),
            // Spellings of 127.0.0.1 that a resolver or a lax parser might take for it.
            ("redis://localhost.", "redis://localhost."),
            ("redis://127.1", "redis://127.1"),
            ("redis://0x7f.0.0.1", "redis://0x7f.0.0.1"),
            ("redis://2130706433", "redis://2130706433"),
            ("redis://[::ffff:127.0.0.1]", "redis://[::ffff:7f00:1]"),
        ] {
            assert_eq!(
                err(&with_store(url)),
                format!("config /etc/x.toml: line 2: fleet.store: `{shown}` {clear}"),
                "{url}"
            );
        }
    }

    #[test]
    fn a_store_url_with_a_control_character_is_refused_without_printing_it() {
        for url in [
            "redis://127.0.0.1:6379/\\u001b[2J",
            "rediss://cache\tinternal/0",
        ] {
            assert_eq!(
                err(&with_store(url)),
                "config /etc/x.toml: line 2: fleet.store: holds a control character; write the store's URL, such as \"rediss://cache.internal:6380/0\"",
                "{url:?}"
            );
        }
    }

    #[test]
    fn a_store_url_that_is_no_redis_url_says_what_to_write() {
        for (url, why) in [
            (
                "http://127.0.0.1:6379",
                "`http://127.0.0.1:6379/` is not a redis:// or rediss:// URL, such as \"rediss://cache.internal:6380/0\"",
            ),
            (
                "127.0.0.1:6379",
                "`…` is not a URL; write the store's URL, such as \"rediss://cache.internal:6380/0\"",
            ),
            (
                "not a url",
                "`not a url` is not a URL; write the store's URL, such as \"rediss://cache.internal:6380/0\"",
            ),
            (
                "rediss://",
                "`rediss://` names no host, such as \"rediss://cache.internal:6380/0\"",
            ),
            (
                "rediss://0.0.0.0:6380",
                "`rediss://0.0.0.0:6380` names an address to listen on, not one to connect to; write the store's address",
            ),
            (
                "rediss://h/0#insecure",
                "`rediss://h/0` has a query or fragment (`?...`, `#...`); write only the scheme, host, port and database, such as \"rediss://cache.internal:6380/0\"",
            ),
            (
                "rediss://h/0?protocol=resp3",
                "`rediss://h/0` has a query or fragment (`?...`, `#...`); write only the scheme, host, port and database, such as \"rediss://cache.internal:6380/0\"",
            ),
            (
                "rediss://h/cache",
                "`rediss://h/cache`: the path is the database's number, such as /0, or nothing",
            ),
        ] {
            assert_eq!(
                err(&with_store(url)),
                format!("config /etc/x.toml: line 2: fleet.store: {why}"),
                "{url}"
            );
        }
    }

    #[test]
    fn credentials_in_the_store_url_are_refused_without_showing_them() {
        for url in [
            "redis://u:p@127.0.0.1/",
            "rediss://ecluse:pw-SECRET@cache.internal:6380/0",
            "rediss://:pw-SECRET@cache.internal",
            "rediss://pw-SECRET@cache.internal",
            "redis://u:pw-SECRET@10.0.0.5:6379",
        ] {
            let e = err(&with_store(url));
            assert!(
                e.starts_with("config /etc/x.toml: line 2: fleet.store: `")
                    && e.ends_with("` holds credentials: the password comes from password_env (an environment variable name) and the user from username, and secrets never go in the config file"),
                "{url}: {e}"
            );
            assert!(
                !e.contains("SECRET")
                    && !e.contains("u:p")
                    && !e.contains(":p@")
                    && !e.contains("ecluse:"),
                "{url}: {e}"
            );
        }
        assert_eq!(
            err(&with_store("redis://u:p@127.0.0.1/")),
            "config /etc/x.toml: line 2: fleet.store: `redis://127.0.0.1/` holds credentials: the password comes from password_env (an environment variable name) and the user from username, and secrets never go in the config file"
        );
    }

    #[test]
    fn the_store_and_key_env_are_required() {
        assert_eq!(
            err(&with_fleet("key_env = \"K\"")),
            "config /etc/x.toml: line 1: fleet: missing key `store` (the store's URL, such as \"rediss://cache.internal:6380/0\")"
        );
        assert_eq!(
            err(&with_fleet("store = \"redis://127.0.0.1\"")),
            "config /etc/x.toml: line 1: fleet: missing key `key_env` (the name of the environment variable holding the fleet key, base64 of 32 random bytes, such as \"ECLUSE_CRED_FLEET_KEY\")"
        );
        assert_eq!(
            err("fleet = \"redis://127.0.0.1\"\n"),
            "config /etc/x.toml: line 1: fleet: expected a [fleet] section (found a string)"
        );
        assert!(
            parse_str(&with_fleet(
                "store = \"redis://127.0.0.1\"\nkey_env = \"K\""
            ))
            .is_ok()
        );
    }

    #[test]
    fn key_env_and_password_env_name_variables_and_never_hold_the_secret() {
        let ok = |body: &str| {
            parse_str(&with_fleet(&format!(
                "store = \"redis://127.0.0.1\"\n{body}"
            )))
        };
        let f = ok("key_env = \"_K1\"\npassword_env = \"ECLUSE_CRED_FLEET_PASSWORD\"")
            .unwrap()
            .fleet
            .unwrap();
        assert_eq!(
            (f.key_env.as_str(), f.password_env.as_deref()),
            ("_K1", Some("ECLUSE_CRED_FLEET_PASSWORD"))
        );
        // A long upper-case name is a name, even at a key's length.
        assert!(ok(&format!("key_env = \"{}\"", "K".repeat(43))).is_ok());
        let name = "must name an environment variable (letters, digits and `_`, not starting with a digit), such as";
        for (body, line, key, example) in [
            ("key_env = \"\"", 3, "key_env", "ECLUSE_CRED_FLEET_KEY"),
            ("key_env = \"1KEY\"", 3, "key_env", "ECLUSE_CRED_FLEET_KEY"),
            (
                "key_env = \"$FLEET-KEY\"",
                3,
                "key_env",
                "ECLUSE_CRED_FLEET_KEY",
            ),
            (
                "key_env = \"K\"\npassword_env = \"pw SECRET\"",
                4,
                "password_env",
                "ECLUSE_CRED_FLEET_PASSWORD",
            ),
        ] {
            assert_eq!(
                err(&with_fleet(&format!(
                    "store = \"redis://127.0.0.1\"\n{body}"
                ))),
                format!("config /etc/x.toml: line {line}: fleet.{key}: {name} \"{example}\""),
                "{body}"
            );
        }
        // The key itself pasted in place of its variable's name: refused, never shown.
        let key = "q83vEjRWeJq8zN7wEjRWeJq8zN7wEjRWeJq8zN7wEjQ=";
        let hex = "abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789";
        let upper = hex.to_ascii_uppercase();
        for pasted in [key, key.trim_end_matches('='), hex, &upper] {
            let e = err(&with_fleet(&format!(
                "store = \"redis://127.0.0.1\"\nkey_env = \"{pasted}\""
            )));
            assert_eq!(
                e,
                "config /etc/x.toml: line 3: fleet.key_env: holds what looks like a key itself; name the environment variable that holds it, such as \"ECLUSE_CRED_FLEET_KEY\", and secrets never go in the config file"
            );
        }
        // Secrets under their own names are refused before anything else.
        for (k, instead) in [
            ("password", "password_env"),
            ("key", "key_env"),
            ("secret", "key_env"),
            ("token", "key_env"),
        ] {
            let e = err(&with_fleet(&format!(
                "store = \"redis://127.0.0.1\"\nkey_env = \"K\"\n{k} = \"pw-SECRET\""
            )));
            assert_eq!(
                e,
                format!(
                    "config /etc/x.toml: line 4: fleet.{k}: secrets are never read from the config file; use {instead} (an environment variable name)"
                )
            );
        }
    }

    #[test]
    fn a_fleet_target_whose_lock_timeout_leaves_no_time_to_wait_is_refused() {
        // Defaults: mint_timeout 30s, fleet.timeout 500ms: at least 30 + 10 + 7 = 47s; 60s given.
        assert!(parse_str(&with_store("redis://127.0.0.1")).is_ok());
        let slow = with_fleet("store = \"redis://127.0.0.1\"\nkey_env = \"K\"\ntimeout = \"5s\"");
        assert_eq!(
            err(&slow),
            "config /etc/x.toml: policy.lock_timeout: 1m leaves a fleet host no time to wait for another host's mint; with mint_timeout 30s and fleet.timeout 5s it must be at least 2m 17s (mint_timeout + 20 × fleet.timeout + 7s), or lower fleet.timeout"
        );
        // Raised: accepted; a target of the fleet that lowers it again: refused.
        let raised = format!("{slow}[policy]\nlock_timeout = \"2m 20s\"\n");
        assert!(parse_str(&raised).is_ok());
        assert_eq!(
            err(&format!(
                "{raised}[targets.a.policy]\nlock_timeout = \"1m\"\n"
            )),
            "config /etc/x.toml: line 11: targets.a.policy.lock_timeout: 1m leaves a fleet host no time to wait for another host's mint; with mint_timeout 30s and fleet.timeout 5s it must be at least 2m 17s (mint_timeout + 20 × fleet.timeout + 7s), or lower fleet.timeout"
        );
        // A target out of the fleet may keep a short one.
        let out = format!(
            "{raised}[targets.b]\nbackend = \"command\"\ncommand = [\"x\"]\nfleet = false\n[targets.b.policy]\nlock_timeout = \"1m\"\n"
        );
        assert!(parse_str(&out).is_ok());
    }

    #[test]
    fn a_fleet_key_that_is_unknown_or_of_the_wrong_kind_says_what_to_write() {
        let base = "store = \"redis://127.0.0.1\"\nkey_env = \"K\"";
        assert_eq!(
            err(&with_fleet(&format!("{base}\nnamesapce = \"x\""))),
            "config /etc/x.toml: line 4: fleet.namesapce: unknown key (did you mean `namespace`?); the [fleet] section takes: store, key_env, password_env, username, ca_file, namespace, timeout"
        );
        assert_eq!(
            err(&with_fleet(&format!("{base}\ntimeout = true"))),
            "config /etc/x.toml: line 4: fleet.timeout: expected a duration, such as \"500ms\" (found true or false)"
        );
        assert_eq!(
            err(&with_fleet("store = 6379\nkey_env = \"K\"")),
            "config /etc/x.toml: line 2: fleet.store: expected the store's URL as a string, such as \"rediss://cache.internal:6380/0\" (found a whole number)"
        );
        assert_eq!(
            err(&format!(
                "{}fleet = \"no\"\n",
                with_store("redis://127.0.0.1")
            )),
            "config /etc/x.toml: line 7: targets.a.fleet: expected true or false, such as false (found a string)"
        );
    }

    #[test]
    fn a_username_needs_a_password_and_no_spaces() {
        let tls = "store = \"rediss://cache.internal\"\nkey_env = \"K\"";
        let f = parse_str(&with_fleet(&format!(
            "{tls}\npassword_env = \"P\"\nusername = \"ecluse\""
        )))
        .unwrap()
        .fleet
        .unwrap();
        assert_eq!(f.username.as_deref(), Some("ecluse"));
        // A password alone is the `default` user's.
        assert!(parse_str(&with_fleet(&format!("{tls}\npassword_env = \"P\""))).is_ok());
        assert_eq!(
            err(&with_fleet(&format!("{tls}\nusername = \"ecluse\""))),
            "config /etc/x.toml: line 4: fleet.username: needs password_env, the environment variable holding that user's password"
        );
        for bad in ["", "ec luse"] {
            assert_eq!(
                err(&with_fleet(&format!(
                    "{tls}\npassword_env = \"P\"\nusername = \"{bad}\""
                ))),
                "config /etc/x.toml: line 5: fleet.username: must be an ACL user name, without spaces, such as \"ecluse\""
            );
        }
    }

    #[test]
    fn a_ca_file_is_an_absolute_path_for_a_tls_store_only() {
        let f = parse_str(&with_fleet(
            "store = \"rediss://cache.internal\"\nkey_env = \"K\"\nca_file = \"/etc/ssl/fleet-ca.pem\"",
        ))
        .unwrap()
        .fleet
        .unwrap();
        assert_eq!(f.ca_file, Some(PathBuf::from("/etc/ssl/fleet-ca.pem")));
        assert_eq!(
            err(&with_fleet(
                "store = \"redis://127.0.0.1\"\nkey_env = \"K\"\nca_file = \"/etc/ssl/fleet-ca.pem\""
            )),
            "config /etc/x.toml: line 4: fleet.ca_file: only a rediss:// (TLS) store uses a CA file; this store is redis://"
        );
        assert_eq!(
            err(&with_fleet(
                "store = \"rediss://cache.internal\"\nkey_env = \"K\"\nca_file = \"fleet-ca.pem\""
            )),
            "config /etc/x.toml: line 4: fleet.ca_file: must be an absolute path, such as \"/etc/ssl/fleet-ca.pem\" (a credential helper runs in every client's directory)"
        );
    }

    #[test]
    fn a_namespace_is_a_safe_key_prefix() {
        let base = "store = \"redis://127.0.0.1\"\nkey_env = \"K\"";
        for ok in ["ci.prod-1_a", "X", &"n".repeat(64)] {
            let c = parse_str(&with_fleet(&format!("{base}\nnamespace = \"{ok}\""))).unwrap();
            assert_eq!(c.fleet.unwrap().namespace, ok);
        }
        let rule = "is not a key prefix: 1 to 64 letters, digits, `-`, `_` or `.`, such as \"ecluse-cred\"";
        for (bad, shown) in [
            ("", "``"),
            ("a:b", "the value given"),
            ("a*", "the value given"),
            ("a b", "the value given"),
            (&"n".repeat(65), "the value given"),
        ] {
            assert_eq!(
                err(&with_fleet(&format!("{base}\nnamespace = \"{bad}\""))),
                format!("config /etc/x.toml: line 4: fleet.namespace: {shown} {rule}"),
                "{bad}"
            );
        }
    }

    #[test]
    fn a_store_timeout_is_a_duration_from_10ms_to_10s() {
        let base = "store = \"redis://127.0.0.1\"\nkey_env = \"K\"";
        for (value, want) in [
            ("\"10ms\"", Duration::from_millis(10)),
            ("\"250ms\"", Duration::from_millis(250)),
            ("\"10s\"", Duration::from_secs(10)),
            ("2", Duration::from_secs(2)),
        ] {
            // A slow store needs a long lock_timeout (fleet_room).
            let c = parse_str(&format!(
                "{}[policy]\nlock_timeout = \"5m\"\n",
                with_fleet(&format!("{base}\ntimeout = {value}"))
            ))
            .unwrap();
            assert_eq!(c.fleet.unwrap().timeout, want, "{value}");
        }
        for (value, shown) in [
            ("\"9ms\"", "9ms"),
            ("\"11s\"", "11s"),
            ("0", "0s"),
            ("60", "1m"),
        ] {
            assert_eq!(
                err(&with_fleet(&format!("{base}\ntimeout = {value}"))),
                format!(
                    "config /etc/x.toml: line 4: fleet.timeout: {shown} is outside 10ms to 10s, e.g. \"500ms\""
                ),
                "{value}"
            );
        }
        let e = err(&with_fleet(&format!("{base}\ntimeout = \"soon\"")));
        assert!(
            e.starts_with("config /etc/x.toml: line 4: fleet.timeout: invalid duration \"soon\""),
            "{e}"
        );
    }

    #[test]
    fn an_unknown_section_names_the_three_there_are() {
        assert_eq!(
            err("[fleets]\nstore = \"redis://127.0.0.1\"\n"),
            "config /etc/x.toml: line 1: fleets: unknown section; a config has [policy], [fleet] and [targets.NAME] sections"
        );
    }
}
