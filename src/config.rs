//! The configuration file: `[policy]` defaults and `[targets.NAME]` sections.
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
}

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
const COMMON: [KeySpec; 4] = [
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
    if let Some(k) = raw.keys().find(|k| *k != "policy" && *k != "targets") {
        return Err(at(format!(
            "{}: unknown section; a config has [policy] and [targets.NAME] sections",
            crate::redact::text(k)
        )));
    }
    let policy = section(&mut raw, "policy", "a [policy] section").map_err(at)?;
    check_keys(&policy, &[&POLICY], "policy", "the [policy] section").map_err(at)?;
    let policy: RawPolicy = policy
        .try_into()
        .map_err(|e: toml::de::Error| at(format!("policy: {}", e.message())))?;
    let defaults = merge(Policy::default(), &policy, "policy").map_err(at)?;
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
        let target = parse_target(&name, table, &defaults, &key).map_err(at)?;
        targets.insert(name, target);
    }
    Ok(Config {
        path: Some(path.to_owned()),
        looked_for: None,
        targets,
        defaults,
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
    Ok(Target {
        name: name.to_owned(),
        backend,
        username,
        urls,
        policy,
        git_auth: common.git_auth,
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
}
