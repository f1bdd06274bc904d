//! The store client: one Redis or Valkey (sync API of the `redis` crate), every operation bounded
//! by the configured timeout, every failure a [`StoreError`] whose text names no password, token
//! or URL.
//!
//! Keys, under the configured namespace, for a `HASH` the caller derives from a target's backend
//! settings:
//! - `NAMESPACE:v1:entry:HASH`: the sealed token ([`crate::seal`]), expiring with the token;
//! - `NAMESPACE:v1:lock:HASH`: the single-flight lock, `SET NX PX`, released by its owner only;
//! - `NAMESPACE:v1:failing:HASH`: the shared breaker, the instant (ms) until which the token API
//!   is judged failing, sealed by the caller ([`crate::seal::FleetKey::seal_instant`]),
//!   expiring then.
//!
//! Values are read with `GETRANGE` up to [`MAX_VALUE_BYTES`]: a larger one is a miss.
//!
//! A connection is opened on first use and kept; any error drops it, so a failure is not
//! remembered past the call it happened in: the next call connects afresh.

use std::fmt;
use std::net::IpAddr;
use std::path::PathBuf;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use ecluse_cred_contract::mint::EpochMs;
use ecluse_cred_contract::secret::Secret;
use redis::{Client, Connection, IntoConnectionInfo, RedisError, TlsCertificates};

/// Deletes the lock only if it still holds the caller's owner token (redis.io, "Distributed
/// Locks with Redis"); portable to every Redis and Valkey (`DELIFEQ`/`DELEX` are not).
const RELEASE: &str = "if redis.call('GET',KEYS[1]) == ARGV[1] then return redis.call('DEL',KEYS[1]) else return 0 end";

/// The most read of a value: a sealed token is a few KiB at most. A larger value (a store
/// writer filling memory) is a miss, read no further than this (`GETRANGE`, not `GET`).
pub const MAX_VALUE_BYTES: usize = 64 * 1024;

/// The longest reason kept from an error: a store answering garbage does not flood the log.
const REASON_MAX: usize = 200;

/// How to reach the store. `Debug` shows no password.
#[derive(Clone)]
pub struct StoreConfig {
    /// `redis://host[:port][/db]` (loopback hosts only) or `rediss://…`; no credentials.
    pub url: String,
    /// An ACL user (`AUTH user password`); without it, `AUTH password` is user `default`.
    pub username: Option<String>,
    pub password: Option<Secret>,
    /// A PEM file of the CA(s) that sign the store's certificate, replacing the system roots.
    pub ca_file: Option<PathBuf>,
    /// The key prefix.
    pub namespace: String,
    /// Bounds the connect (and TLS handshake and `AUTH`) and each command's reply.
    pub timeout: Duration,
}

impl fmt::Debug for StoreConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StoreConfig")
            .field("url", &self.url)
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "<redacted>"))
            .field("ca_file", &self.ca_file)
            .field("namespace", &self.namespace)
            .field("timeout", &self.timeout)
            .finish()
    }
}

/// A store error. The text never holds a password, a token or the URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreError {
    /// A setting that cannot work (`setting` as in the config file, e.g. `fleet.store`).
    Config {
        setting: &'static str,
        reason: String,
    },
    /// The store was unreachable, slow past the timeout, refused `AUTH` or a command, or
    /// answered something unexpected.
    Unavailable { reason: String },
}

impl StoreError {
    /// The reason, without the setting's name.
    pub fn reason(&self) -> &str {
        match self {
            StoreError::Config { reason, .. } | StoreError::Unavailable { reason } => reason,
        }
    }

    fn config(setting: &'static str, reason: impl Into<String>) -> Self {
        StoreError::Config {
            setting,
            reason: reason.into(),
        }
    }
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StoreError::Config { setting, reason } => write!(f, "{setting}: {reason}"),
            StoreError::Unavailable { reason } => write!(f, "the fleet store: {reason}"),
        }
    }
}

impl std::error::Error for StoreError {}

/// The fleet store client. Safe to share between threads (one connection, used by one call at
/// a time).
pub struct Store {
    client: Client,
    prefix: String,
    timeout: Duration,
    /// Scrubbed from error texts, should a server or library ever echo it.
    password: Option<Secret>,
    conn: Mutex<Option<Connection>>,
}

impl fmt::Debug for Store {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Store")
            .field("prefix", &self.prefix)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

/// The most of a `ca_file` that is read: a bundle of every public CA is about 200 KiB.
const MAX_CA_FILE_BYTES: u64 = 4 << 20;

/// The CA file's bytes: a regular file of at most [`MAX_CA_FILE_BYTES`] (not a FIFO that would
/// block, nor `/dev/zero`).
fn read_ca_file(path: &std::path::Path) -> Result<Vec<u8>, StoreError> {
    use std::io::Read;
    let bad =
        |why: String| StoreError::config("fleet.ca_file", format!("{}: {why}", path.display()));
    let file = std::fs::File::open(path).map_err(|e| bad(format!("cannot read it ({e})")))?;
    let meta = file
        .metadata()
        .map_err(|e| bad(format!("cannot read it ({e})")))?;
    if !meta.is_file() {
        return Err(bad("not a regular file".to_owned()));
    }
    let mut bytes = Vec::new();
    file.take(MAX_CA_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| bad(format!("cannot read it ({e})")))?;
    if bytes.len() as u64 > MAX_CA_FILE_BYTES {
        return Err(bad(format!("larger than {} MiB", MAX_CA_FILE_BYTES >> 20)));
    }
    Ok(bytes)
}

impl Store {
    /// A client for `config`, checked but not yet connected: errors here are configuration
    /// errors ([`StoreError::Config`]); reads the CA file.
    pub fn new(config: StoreConfig) -> Result<Store, StoreError> {
        const STORE: &str = "fleet.store";
        let mut url = url::Url::parse(&config.url)
            .map_err(|e| StoreError::config(STORE, format!("not a URL ({e})")))?;
        if !url.username().is_empty() || url.password().is_some() {
            return Err(StoreError::config(
                STORE,
                "credentials in the URL are refused: set fleet.username and fleet.password_env",
            ));
        }
        if url.fragment().is_some() {
            return Err(StoreError::config(
                STORE,
                "a URL fragment (such as #insecure) is refused",
            ));
        }
        let tls = match url.scheme() {
            "rediss" => true,
            "redis" => false,
            other => {
                return Err(StoreError::config(
                    STORE,
                    format!("the scheme {other}:// is not redis:// or rediss://"),
                ));
            }
        };
        let loopback = match url.host() {
            // `redis` is not a special scheme to `url`: an IPv4 host comes back as a domain.
            Some(url::Host::Domain(d)) => {
                d.eq_ignore_ascii_case("localhost")
                    || d.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
            }
            Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
            Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
            None => return Err(StoreError::config(STORE, "the URL names no host")),
        };
        if !tls && !loopback {
            return Err(StoreError::config(
                STORE,
                "redis:// (no TLS) is allowed only to a loopback address; use rediss://",
            ));
        }
        // `localhost` in the clear goes to 127.0.0.1 itself, not to whatever a resolver
        // without an /etc/hosts entry for it would answer.
        if !tls
            && matches!(url.host(), Some(url::Host::Domain(d)) if d.eq_ignore_ascii_case("localhost"))
        {
            url.set_host(Some("127.0.0.1"))
                .map_err(|e| StoreError::config(STORE, e.to_string()))?;
        }
        let namespace_char = |c: char| c.is_ascii_alphanumeric() || "-_.".contains(c);
        if config.namespace.is_empty() || !config.namespace.chars().all(namespace_char) {
            return Err(StoreError::config(
                "fleet.namespace",
                "must be non-empty: letters, digits, '-', '_' and '.' only",
            ));
        }
        if config.timeout.is_zero() {
            return Err(StoreError::config(
                "fleet.timeout",
                "must be more than zero",
            ));
        }
        let info = url
            .as_str()
            .into_connection_info()
            .map_err(|e| StoreError::config(STORE, short(&e.to_string())))?;
        let mut settings = info.redis_settings().clone().set_skip_set_lib_name();
        if let Some(user) = &config.username {
            settings = settings.set_username(user);
        }
        if let Some(password) = &config.password {
            settings = settings.set_password(password.expose());
        }
        let info = info.set_redis_settings(settings);
        let client = match (&config.ca_file, tls) {
            (Some(_), false) => {
                return Err(StoreError::config(
                    "fleet.ca_file",
                    "applies to a rediss:// store only",
                ));
            }
            (ca_file, true) => {
                // rustls needs a process-wide crypto provider; this binary's is aws-lc-rs.
                // Already installed (by us or another client) is fine.
                let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
                let root_cert = match ca_file {
                    None => None,
                    Some(path) => Some(read_ca_file(path)?),
                };
                Client::build_with_tls(
                    info,
                    TlsCertificates {
                        client_tls: None,
                        root_cert,
                    },
                )
                .map_err(|e| StoreError::config("fleet.ca_file", short(&e.to_string())))?
            }
            (None, false) => {
                Client::open(info).map_err(|e| StoreError::config(STORE, short(&e.to_string())))?
            }
        };
        Ok(Store {
            client,
            prefix: format!("{}:v1", config.namespace),
            timeout: config.timeout,
            password: config.password,
            conn: Mutex::new(None),
        })
    }

    /// The key of the sealed entry for `hash`: also the associated data it is sealed with.
    pub fn entry_key(&self, hash: &str) -> String {
        format!("{}:entry:{hash}", self.prefix)
    }

    pub fn lock_key(&self, hash: &str) -> String {
        format!("{}:lock:{hash}", self.prefix)
    }

    pub fn failing_key(&self, hash: &str) -> String {
        format!("{}:failing:{hash}", self.prefix)
    }

    /// The sealed entry for `hash`, if any.
    pub fn get(&self, hash: &str) -> Result<Option<Vec<u8>>, StoreError> {
        self.read(&self.entry_key(hash))
    }

    /// The value at `key` if it is a string of 1 to [`MAX_VALUE_BYTES`] bytes: `GETRANGE` reads
    /// one byte more than that at most, so a huge value costs no memory. Missing, empty or
    /// larger: `None`; so is a value of another type (a list, a hash: `WRONGTYPE`), which the
    /// next publish (`SET`) replaces, where an error would keep every host from publishing.
    fn read(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        let value: Vec<u8> = self.run(|con| {
            let read = redis::cmd("GETRANGE")
                .arg(key)
                .arg(0)
                .arg(MAX_VALUE_BYTES)
                .query(con);
            match read {
                Err(e) if e.code() == Some("WRONGTYPE") => Ok(Vec::new()),
                other => other,
            }
        })?;
        Ok((!value.is_empty() && value.len() <= MAX_VALUE_BYTES).then_some(value))
    }

    /// Takes the lock for `hash` as `owner` for `ttl` (at least 1 ms) if no one holds it:
    /// `SET KEY OWNER NX PX TTL`. `true` if taken.
    pub fn try_lock(&self, hash: &str, owner: &str, ttl: Duration) -> Result<bool, StoreError> {
        let key = self.lock_key(hash);
        let ms = u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX).max(1);
        let reply: Option<String> = self.run(|con| {
            redis::cmd("SET")
                .arg(&key)
                .arg(owner)
                .arg("NX")
                .arg("PX")
                .arg(ms)
                .query(con)
        })?;
        Ok(reply.is_some())
    }

    /// Releases the lock for `hash` if `owner` still holds it. `true` if it was deleted.
    pub fn release(&self, hash: &str, owner: &str) -> Result<bool, StoreError> {
        let key = self.lock_key(hash);
        let deleted: i64 = self.run(|con| {
            redis::cmd("EVAL")
                .arg(RELEASE)
                .arg(1)
                .arg(&key)
                .arg(owner)
                .query(con)
        })?;
        Ok(deleted == 1)
    }

    /// Publishes the sealed `value` for `hash`, expiring (by the store's clock) at `expires_at`
    /// (`SET KEY VALUE PXAT`). An expiry already past by this host's clock writes nothing (it
    /// would delete the entry there is) and gives `false`.
    pub fn publish(
        &self,
        hash: &str,
        value: &[u8],
        expires_at: EpochMs,
    ) -> Result<bool, StoreError> {
        if expires_at <= now() {
            return Ok(false);
        }
        let key = self.entry_key(hash);
        let _: String = self.run(|con| {
            redis::cmd("SET")
                .arg(&key)
                .arg(value)
                .arg("PXAT")
                .arg(expires_at.as_millis())
                .query(con)
        })?;
        Ok(true)
    }

    /// Publishes that the token API for `hash` is failing until `until`: `value` is the record
    /// as the caller sealed it; the key expires then. An instant already past writes nothing
    /// and gives `false`.
    pub fn set_failing(
        &self,
        hash: &str,
        value: &[u8],
        until: EpochMs,
    ) -> Result<bool, StoreError> {
        if until <= now() {
            return Ok(false);
        }
        let key = self.failing_key(hash);
        let _: String = self.run(|con| {
            redis::cmd("SET")
                .arg(&key)
                .arg(value)
                .arg("PXAT")
                .arg(until.as_millis())
                .query(con)
        })?;
        Ok(true)
    }

    /// The `failing` record for `hash` as stored (sealed by the writer), if any: capped as
    /// [`Store::get`] is.
    pub fn failing(&self, hash: &str) -> Result<Option<Vec<u8>>, StoreError> {
        self.read(&self.failing_key(hash))
    }

    /// `PING`: whether the store answers (for `status` and `doctor`).
    pub fn ping(&self) -> Result<(), StoreError> {
        let _: String = self.run(|con| redis::cmd("PING").query(con))?;
        Ok(())
    }

    /// Runs `op` on the connection, connecting first if there is none; any error drops the
    /// connection.
    fn run<T>(
        &self,
        op: impl FnOnce(&mut Connection) -> redis::RedisResult<T>,
    ) -> Result<T, StoreError> {
        let mut slot = self.conn.lock().unwrap_or_else(PoisonError::into_inner);
        let con = match slot.as_mut() {
            Some(con) => con,
            None => slot.insert(self.connect()?),
        };
        match op(con) {
            Ok(v) => Ok(v),
            Err(e) => {
                *slot = None;
                Err(self.unavailable(&e))
            }
        }
    }

    fn connect(&self) -> Result<Connection, StoreError> {
        let con = self
            .client
            .get_connection_with_timeout(self.timeout)
            .map_err(|e| self.unavailable(&e))?;
        con.set_read_timeout(Some(self.timeout))
            .and_then(|()| con.set_write_timeout(Some(self.timeout)))
            .map_err(|e| self.unavailable(&e))?;
        Ok(con)
    }

    fn unavailable(&self, e: &RedisError) -> StoreError {
        let reason = if e.is_timeout() {
            format!("no answer within {:?}", self.timeout)
        } else {
            let mut text = e.to_string();
            if let Some(p) = self.password.as_ref().map(Secret::expose)
                && !p.is_empty()
            {
                text = text.replace(p, "<redacted>");
            }
            short(&text)
        };
        StoreError::Unavailable { reason }
    }
}

/// `text`, cut to [`REASON_MAX`] characters.
fn short(text: &str) -> String {
    match text.char_indices().nth(REASON_MAX) {
        Some((i, _)) => format!("{}…", &text[..i]),
        None => text.to_owned(),
    }
}

/// The wall clock, in the contract's milliseconds.
pub(crate) fn now() -> EpochMs {
    let ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX));
    EpochMs::from_millis(ms)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(url: &str) -> StoreConfig {
        StoreConfig {
            url: url.into(),
            username: None,
            password: Some(Secret::new("pw-not-shown".into())),
            ca_file: None,
            namespace: "ecluse-cred".into(),
            timeout: Duration::from_millis(500),
        }
    }

    fn refused(url: &str) -> StoreError {
        Store::new(config(url)).unwrap_err()
    }

    #[test]
    fn plain_redis_is_refused_off_loopback_and_allowed_on_it() {
        for url in [
            "redis://10.0.0.5:6379/0",
            "redis://cache.example.com",
            "redis://[2001:db8::1]:6379",
        ] {
            let err = refused(url);
            assert!(
                matches!(
                    err,
                    StoreError::Config {
                        setting: "fleet.store",
                        ..
                    }
                ),
                "{url}: {err}"
            );
            assert!(err.to_string().contains("loopback"), "{err}");
        }
        for url in [
            "redis://127.0.0.1:6379/0",
            "redis://127.3.4.5",
            "redis://localhost:1",
            "redis://[::1]:6379",
            "rediss://cache.example.com:6380/2",
        ] {
            Store::new(config(url)).unwrap_or_else(|e| panic!("{url}: {e}"));
        }
    }

    #[test]
    fn credentials_in_the_url_are_refused_without_being_shown() {
        for url in [
            "rediss://user:s3cr3t-url-pw@cache.example.com",
            "rediss://:s3cr3t-url-pw@cache.example.com",
            "rediss://user@cache.example.com",
        ] {
            let err = refused(url);
            assert!(matches!(
                err,
                StoreError::Config {
                    setting: "fleet.store",
                    ..
                }
            ));
            assert!(!err.to_string().contains("s3cr3t"), "{err}");
            assert!(!err.to_string().contains("example"), "{err}");
        }
    }

    #[test]
    fn other_schemes_fragments_and_bad_settings_are_refused_naming_the_setting() {
        let setting = |e: StoreError| match e {
            StoreError::Config { setting, .. } => setting,
            other => panic!("{other}"),
        };
        assert_eq!(setting(refused("http://127.0.0.1")), "fleet.store");
        assert_eq!(setting(refused("unix:///run/redis.sock")), "fleet.store");
        assert_eq!(setting(refused("rediss://h#insecure")), "fleet.store");
        assert_eq!(setting(refused("not a url")), "fleet.store");
        let mut c = config("redis://127.0.0.1");
        c.ca_file = Some("/nonexistent.pem".into());
        assert_eq!(setting(Store::new(c).unwrap_err()), "fleet.ca_file");
        let mut c = config("rediss://h");
        c.ca_file = Some("/nonexistent/ca.pem".into());
        assert_eq!(setting(Store::new(c).unwrap_err()), "fleet.ca_file");
        let mut c = config("redis://127.0.0.1");
        c.namespace = String::new();
        assert_eq!(setting(Store::new(c).unwrap_err()), "fleet.namespace");
        let mut c = config("redis://127.0.0.1");
        c.timeout = Duration::ZERO;
        assert_eq!(setting(Store::new(c).unwrap_err()), "fleet.timeout");
    }

    #[test]
    fn keys_are_namespaced_and_versioned() {
        let s = Store::new(config("redis://127.0.0.1")).unwrap();
        assert_eq!(s.entry_key("ab12"), "ecluse-cred:v1:entry:ab12");
        assert_eq!(s.lock_key("ab12"), "ecluse-cred:v1:lock:ab12");
        assert_eq!(s.failing_key("ab12"), "ecluse-cred:v1:failing:ab12");
    }

    #[test]
    fn debug_shows_no_password() {
        let c = config("redis://127.0.0.1");
        assert!(!format!("{c:?}").contains("pw-not-shown"));
        let s = Store::new(c).unwrap();
        assert!(!format!("{s:?}").contains("pw-not-shown"));
    }
}
