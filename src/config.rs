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

// The file as written. Durations are strings ("5m", "1h 30m") or integer seconds.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawFile {
    #[serde(default)]
    policy: RawPolicy,
    #[serde(default)]
    targets: BTreeMap<String, toml::Table>,
}

#[derive(Deserialize, Default, Clone)]
#[serde(deny_unknown_fields)]
struct RawPolicy {
    refresh_at: Option<f64>,
    jitter: Option<f64>,
    floor: Option<toml::Value>,
    min_ttl: Option<toml::Value>,
    breaker_threshold: Option<i64>,
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

const COMMON_KEYS: [&str; 4] = ["username", "urls", "policy", "git_auth"];

pub fn parse(text: &str, path: &Path) -> Result<Config> {
    let file = path.display();
    let raw: RawFile = toml::from_str(text)
        .map_err(|e| Error::config(format!("config {file}: {}", syntax(text, &e))))?;
    let defaults = merge(Policy::default(), &raw.policy, "policy").map_err(|e| in_file(path, e))?;
    let mut targets = BTreeMap::new();
    for (name, table) in raw.targets {
        let key = format!("targets.{name}");
        let target = parse_target(&name, table, &defaults, &key).map_err(|e| in_file(path, e))?;
        targets.insert(name, target);
    }
    Ok(Config {
        path: Some(path.to_owned()),
        looked_for: None,
        targets,
        defaults,
    })
}

/// A TOML error as its message and where, without the quoted source line, which may hold
/// what the file holds (a URL with credentials); what the message quotes is redacted too.
fn syntax(text: &str, e: &toml::de::Error) -> String {
    let message = crate::redact::userinfo(e.message().trim());
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

fn in_file(path: &Path, message: String) -> Error {
    Error::config(format!(
        "config {}: {}",
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
    let (common, backend): (toml::Table, toml::Table) = table
        .into_iter()
        .partition(|(k, _)| COMMON_KEYS.contains(&k.as_str()));
    if !backend.contains_key("backend") {
        return Err(format!(
            "{key}: missing key `backend` (one of: command, codeartifact, gcp, oauth2)"
        ));
    }
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
    let p = Policy {
        refresh_at: raw.refresh_at.unwrap_or(base.refresh_at),
        jitter: raw.jitter.unwrap_or(base.jitter),
        floor: dur(&raw.floor, "floor", base.floor)?,
        min_ttl: dur(&raw.min_ttl, "min_ttl", base.min_ttl)?,
        breaker_threshold: match raw.breaker_threshold {
            None => base.breaker_threshold,
            Some(n) if (1..=i64::from(u32::MAX)).contains(&n) => n as u32,
            Some(n) => {
                return Err(format!(
                    "{key}.breaker_threshold: {n} is not a positive whole number"
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
            ("[policy]\nrefresh = 1", "unknown field `refresh`"),
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
                "targets.a: unknown variant `ftp`",
            ),
            (
                "[targets.a]\nbackend = \"command\"\ncommand = [\"x\"]\ncomand = 1",
                "targets.a: unknown field `comand`",
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
        assert!(
            e.message.contains("unknown target `b`") && e.message.contains("known targets: a"),
            "{}",
            e.message
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
    fn a_backend_duration_that_is_no_duration_is_named_by_its_toml_type() {
        let codeartifact = |duration: &str| {
            format!(
                "[targets.a]\nbackend = \"codeartifact\"\ndomain = \"d1\"\nduration = {duration}"
            )
        };
        for (duration, found) in [
            ("true", "found boolean"),
            ("1.5", "found float"),
            ("-1", "invalid duration \"-1\": it is negative"),
            ("[1]", "found array"),
            ("{ a = 1 }", "found table"),
            ("1979-05-27", "invalid duration \"1979-05-27\""),
            ("\"soon\"", "invalid duration \"soon\""),
        ] {
            let e = err(&codeartifact(duration));
            assert!(
                e.contains("targets.a: ") && e.contains(found),
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
