//! The store client against the real store: Debian's `redis-server`, started on a random
//! loopback port with a password (and, for `rediss://`, a self-signed certificate made with
//! `openssl`), stopped by PID when the test ends. Without `redis-server` (or `openssl`) these
//! tests skip, saying so — or fail when `ECLUSE_TEST_REQUIRE` names the tool (or `all`).

use std::net::TcpListener;
use std::path::PathBuf;
use std::sync::{Arc, Barrier};
use std::thread;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

#[path = "../../tests/common/private_ca.rs"]
mod private_ca;
#[path = "../../tests/common/redis_server.rs"]
mod redis_server;

use ecluse_cred_contract::mint::EpochMs;
use ecluse_cred_contract::secret::Secret;
use ecluse_cred_fleet::seal::{FleetKey, Sealed};
use ecluse_cred_fleet::store::{MAX_VALUE_BYTES, Store, StoreConfig, StoreError};
use redis_server::{RedisServer, free_port};

/// The store timeout the tests configure.
const TIMEOUT: Duration = Duration::from_millis(300);
/// What "bounded by the timeout" allows: connect, then the reply, plus scheduling slack.
const BOUND: Duration = Duration::from_millis(3 * 300 + 400);
/// How long a started server may take to listen, or a key to expire.
const PATIENCE: Duration = Duration::from_secs(15);
const PASSWORD: &str = "pw-8d1f0c2e-fleet-test";
const ACL_USER: &str = "ecluse";
const ACL_SECRET: &str = "acl-5b7e9a31-fleet-test";

/// `tool` on PATH, or `None` after saying why the test skips (a panic when the run requires it).
fn need(tool: &str) -> Option<PathBuf> {
    let found = std::env::var_os("PATH").and_then(|path| {
        std::env::split_paths(&path)
            .map(|dir| dir.join(tool))
            .find(|p| p.is_file())
    });
    if found.is_none() {
        let required = std::env::var("ECLUSE_TEST_REQUIRE").unwrap_or_default();
        let required = required.split([' ', ',']).any(|w| w == tool || w == "all");
        let why = format!(
            "{tool} is not installed (tests/tools/install-debian-tools.sh installs it as root)"
        );
        assert!(!required, "required by ECLUSE_TEST_REQUIRE: {why}");
        eprintln!("SKIP: {why}");
    }
    found
}

fn now() -> EpochMs {
    EpochMs::from_millis(
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_millis() as i64,
    )
}

/// Debian's `redis-server` with the tests' password and ACL user ([`redis_server`]).
struct Server(RedisServer);

impl std::ops::Deref for Server {
    type Target = RedisServer;
    fn deref(&self) -> &RedisServer {
        &self.0
    }
}

impl Server {
    /// A server with `--requirepass` and the ACL user, or `None` (skipped).
    fn start() -> Option<Server> {
        Server::start_on(free_port())
    }

    fn start_on(port: u16) -> Option<Server> {
        let exe = need("redis-server")?;
        Some(Server(RedisServer::start(
            &exe,
            port,
            PASSWORD,
            &acl_user(),
            PATIENCE,
        )))
    }

    /// The same, with a TLS port beside the plain one (a private CA's certificate).
    fn start_tls() -> Option<Server> {
        let exe = need("redis-server")?;
        let openssl = need("openssl")?;
        Some(Server(RedisServer::start_tls(
            &exe,
            &openssl,
            PASSWORD,
            &acl_user(),
            PATIENCE,
        )))
    }

    /// The store's URL: over TLS when the server has a TLS port.
    fn url(&self) -> String {
        match &self.tls {
            Some((_, port)) => format!("rediss://127.0.0.1:{port}/0"),
            None => format!("redis://127.0.0.1:{}/0", self.port),
        }
    }

    fn config(&self) -> StoreConfig {
        StoreConfig {
            url: self.url(),
            username: None,
            password: Some(Secret::new(PASSWORD.into())),
            ca_file: None,
            namespace: "ecluse-cred".into(),
            timeout: TIMEOUT,
        }
    }

    fn store(&self) -> Store {
        Store::new(self.config()).unwrap()
    }

    fn stop(mut self) -> u16 {
        self.0.kill();
        self.port
    }
}

/// The ACL user's arguments: its secret, and every command on the namespace's keys only.
fn acl_user() -> Vec<String> {
    [
        "--user",
        ACL_USER,
        "on",
        &format!(">{ACL_SECRET}"),
        "~ecluse-cred:*",
        "+@all",
    ]
    .map(str::to_owned)
    .to_vec()
}

fn unavailable_reason(e: StoreError) -> String {
    match e {
        StoreError::Unavailable { reason } => reason,
        other => panic!("expected the store unavailable, got {other}"),
    }
}

#[test]
fn of_two_owners_racing_for_the_lock_exactly_one_takes_it() {
    let Some(server) = Server::start() else {
        return;
    };
    for round in 0..20 {
        let hash = format!("race{round}");
        let barrier = Arc::new(Barrier::new(2));
        let takers: Vec<_> = ["owner-a", "owner-b"]
            .into_iter()
            .map(|owner| {
                let (store, barrier, hash) = (server.store(), barrier.clone(), hash.clone());
                thread::spawn(move || {
                    store.ping().unwrap();
                    barrier.wait();
                    store
                        .try_lock(&hash, owner, Duration::from_secs(30))
                        .unwrap()
                })
            })
            .collect();
        let won: Vec<bool> = takers.into_iter().map(|t| t.join().unwrap()).collect();
        assert_eq!(
            won.iter().filter(|w| **w).count(),
            1,
            "round {round}: {won:?}"
        );
    }
}

#[test]
fn only_the_owner_releases_the_lock() {
    let Some(server) = Server::start() else {
        return;
    };
    let (a, b) = (server.store(), server.store());
    let ttl = Duration::from_secs(30);
    assert!(a.try_lock("h1", "owner-a", ttl).unwrap());
    assert!(!b.try_lock("h1", "owner-b", ttl).unwrap());
    assert!(!b.release("h1", "owner-b").unwrap(), "b does not hold it");
    let held: Option<String> = redis::cmd("GET")
        .arg("ecluse-cred:v1:lock:h1")
        .query(&mut server.admin())
        .unwrap();
    assert_eq!(held.as_deref(), Some("owner-a"));
    assert!(!b.try_lock("h1", "owner-b", ttl).unwrap());
    assert!(a.release("h1", "owner-a").unwrap());
    assert!(!a.release("h1", "owner-a").unwrap(), "already released");
    assert!(b.try_lock("h1", "owner-b", ttl).unwrap());
}

#[test]
fn an_expired_lock_lets_another_owner_take_it() {
    let Some(server) = Server::start() else {
        return;
    };
    let (a, b) = (server.store(), server.store());
    let start = Instant::now();
    assert!(
        a.try_lock("h2", "owner-a", Duration::from_millis(400))
            .unwrap()
    );
    let pttl: i64 = redis::cmd("PTTL")
        .arg("ecluse-cred:v1:lock:h2")
        .query(&mut server.admin())
        .unwrap();
    assert!((1..=400).contains(&pttl), "{pttl}");
    assert!(
        !b.try_lock("h2", "owner-b", Duration::from_secs(30))
            .unwrap()
    );
    while !b
        .try_lock("h2", "owner-b", Duration::from_secs(30))
        .unwrap()
    {
        assert!(start.elapsed() < PATIENCE, "the lock never expired");
        thread::sleep(Duration::from_millis(20));
    }
    assert!(start.elapsed() >= Duration::from_millis(400));
    // The dead holder's late release does not delete its successor's lock.
    assert!(!a.release("h2", "owner-a").unwrap());
    assert!(
        !a.try_lock("h2", "owner-a", Duration::from_secs(30))
            .unwrap()
    );
}

#[test]
fn a_published_entry_is_read_back_and_expires_at_its_instant() {
    let Some(server) = Server::start() else {
        return;
    };
    let store = server.store();
    assert_eq!(store.get("h3").unwrap(), None);
    let expires = now().saturating_add_ms(60_000);
    let value = b"\x01sealed\x00bytes\xff".to_vec();
    assert!(store.publish("h3", &value, expires).unwrap());
    assert_eq!(store.get("h3").unwrap(), Some(value.clone()));
    let at: i64 = redis::cmd("PEXPIRETIME")
        .arg("ecluse-cred:v1:entry:h3")
        .query(&mut server.admin())
        .unwrap();
    assert_eq!(
        at,
        expires.as_millis(),
        "the store expires it at the token's expiry"
    );

    // An expiry already past writes nothing, and so does not delete the entry there is.
    assert!(
        !store
            .publish("h3", b"late", now().saturating_sub_ms(1_000))
            .unwrap()
    );
    assert_eq!(store.get("h3").unwrap(), Some(value));
    assert!(
        !store
            .publish("h4", b"late", now().saturating_sub_ms(1_000))
            .unwrap()
    );
    assert_eq!(store.get("h4").unwrap(), None);

    // A short expiry: the store drops the entry itself.
    assert!(
        store
            .publish("h5", b"brief", now().saturating_add_ms(300))
            .unwrap()
    );
    let start = Instant::now();
    while store.get("h5").unwrap().is_some() {
        assert!(start.elapsed() < PATIENCE, "the entry never expired");
        thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn the_shared_breaker_reads_back_until_when_and_expires_then() {
    let Some(server) = Server::start() else {
        return;
    };
    let store = server.store();
    assert_eq!(store.failing("h6").unwrap(), None);
    let until = now().saturating_add_ms(60_000);
    assert!(store.set_failing("h6", b"sealed-until", until).unwrap());
    assert_eq!(store.failing("h6").unwrap(), Some(b"sealed-until".to_vec()));
    let pttl: i64 = redis::cmd("PTTL")
        .arg("ecluse-cred:v1:failing:h6")
        .query(&mut server.admin())
        .unwrap();
    assert!(pttl > 50_000 && pttl <= 60_000, "{pttl}");
    assert!(
        !store
            .set_failing("h7", b"x", now().saturating_sub_ms(1))
            .unwrap()
    );
    assert_eq!(store.failing("h7").unwrap(), None);
}

#[test]
fn a_value_larger_than_the_cap_is_a_miss_read_no_further_than_the_cap() {
    let Some(server) = Server::start() else {
        return;
    };
    let store = server.store();
    for (key, hash) in [
        ("ecluse-cred:v1:entry:h20", "h20"),
        ("ecluse-cred:v1:failing:h20", "h20"),
    ] {
        let _: () = redis::cmd("SET")
            .arg(key)
            .arg(vec![7u8; MAX_VALUE_BYTES + 1])
            .query(&mut server.admin())
            .unwrap();
        let read = if key.contains("entry") {
            store.get(hash)
        } else {
            store.failing(hash)
        };
        assert_eq!(read.unwrap(), None, "{key}");
        let _: () = redis::cmd("SET")
            .arg(key)
            .arg(vec![7u8; MAX_VALUE_BYTES])
            .query(&mut server.admin())
            .unwrap();
        let read = if key.contains("entry") {
            store.get(hash)
        } else {
            store.failing(hash)
        };
        assert_eq!(
            read.unwrap().map(|v| v.len()),
            Some(MAX_VALUE_BYTES),
            "{key}"
        );
    }
}

#[test]
fn a_value_of_another_type_is_a_miss_and_a_publish_replaces_it() {
    let Some(server) = Server::start() else {
        return;
    };
    let store = server.store();
    for key in ["ecluse-cred:v1:entry:h21", "ecluse-cred:v1:failing:h21"] {
        let _: () = redis::cmd("RPUSH")
            .arg(key)
            .arg("x")
            .query(&mut server.admin())
            .unwrap();
    }
    assert_eq!(store.get("h21").unwrap(), None);
    assert_eq!(store.failing("h21").unwrap(), None);
    let until = now().saturating_add_ms(60_000);
    assert!(store.publish("h21", b"sealed", until).unwrap());
    assert_eq!(store.get("h21").unwrap(), Some(b"sealed".to_vec()));
    // The failing key, still a list, stays a miss.
    assert_eq!(store.failing("h21").unwrap(), None);
}

#[test]
fn the_store_holds_no_byte_of_a_published_token() {
    let Some(server) = Server::start() else {
        return;
    };
    let store = server.store();
    let key = FleetKey::from_bytes(&[42; 32]).unwrap();
    let token = "ghp_fleetTokenThatMustNotBeStoredInTheClear_0123456789";
    let entry = Sealed {
        token: Secret::new(token.into()),
        issued_at: now(),
        expires_at: now().saturating_add_ms(3_600_000),
        refresh_at: now().saturating_add_ms(2_700_000),
    };
    let sealed = key.seal(&store.entry_key("h9"), &entry);
    assert!(store.publish("h9", &sealed, entry.expires_at).unwrap());
    let back = store.get("h9").unwrap().unwrap();
    assert_eq!(key.open(&store.entry_key("h9"), &back), Some(entry));
    assert_eq!(key.open(&store.entry_key("h10"), &back), None, "moved");

    let mut admin = server.admin();
    let keys: Vec<String> = redis::cmd("KEYS").arg("*").query(&mut admin).unwrap();
    assert_eq!(keys, ["ecluse-cred:v1:entry:h9"]);
    for k in keys {
        let v: Vec<u8> = redis::cmd("GET").arg(&k).query(&mut admin).unwrap();
        for window in token.as_bytes().windows(6) {
            assert!(!k.as_bytes().windows(6).any(|w| w == window));
            assert!(!v.windows(6).any(|w| w == window));
        }
    }
}

#[test]
fn an_acl_user_reaches_its_namespace_and_is_refused_outside_it() {
    let Some(server) = Server::start() else {
        return;
    };
    let mut config = server.config();
    config.username = Some(ACL_USER.into());
    config.password = Some(Secret::new(ACL_SECRET.into()));
    let store = Store::new(config.clone()).unwrap();
    assert!(store.try_lock("h11", "me", Duration::from_secs(5)).unwrap());
    config.namespace = "elsewhere".into();
    let outside = Store::new(config).unwrap();
    let reason = unavailable_reason(outside.get("h11").unwrap_err());
    assert!(reason.starts_with("NoPerm"), "{reason}");
}

#[test]
fn a_wrong_password_is_an_error_that_does_not_show_it() {
    let Some(server) = Server::start() else {
        return;
    };
    let wrong = "wrong-pw-4c9d2b7a";
    let mut config = server.config();
    config.password = Some(Secret::new(wrong.into()));
    let store = Store::new(config.clone()).unwrap();
    let reason = unavailable_reason(store.get("h12").unwrap_err());
    assert_eq!(
        reason,
        "Password authentication failed - AuthenticationFailed"
    );
    assert!(!reason.contains(wrong), "{reason}");
    assert!(!reason.contains(PASSWORD), "{reason}");

    config.username = Some(ACL_USER.into());
    let reason = unavailable_reason(Store::new(config.clone()).unwrap().ping().unwrap_err());
    assert_eq!(
        reason,
        "Password authentication failed - AuthenticationFailed"
    );
    assert!(!reason.contains(wrong), "{reason}");

    config.username = None;
    config.password = None;
    let reason = unavailable_reason(Store::new(config).unwrap().ping().unwrap_err());
    assert_eq!(reason, "\"NOAUTH\": Authentication required.");
}

#[test]
fn a_closed_port_is_an_error_within_the_timeout() {
    let port = free_port();
    let store = Store::new(StoreConfig {
        url: format!("redis://127.0.0.1:{port}"),
        username: None,
        password: Some(Secret::new(PASSWORD.into())),
        ca_file: None,
        namespace: "ecluse-cred".into(),
        timeout: TIMEOUT,
    })
    .unwrap();
    let start = Instant::now();
    let err = store.get("h13").unwrap_err();
    assert!(start.elapsed() < BOUND, "{:?}", start.elapsed());
    let reason = unavailable_reason(err);
    assert!(reason.to_lowercase().contains("refused"), "{reason}");
}

#[test]
fn a_server_that_never_answers_is_an_error_within_the_timeout() {
    // Connections complete in the listener's backlog; nothing is ever read or written.
    let silent = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = silent.local_addr().unwrap().port();
    let cases = [
        ("redis", Some(Secret::new(PASSWORD.into()))),
        ("redis", None),
        ("rediss", None),
    ];
    for (scheme, password) in cases {
        let store = Store::new(StoreConfig {
            url: format!("{scheme}://127.0.0.1:{port}"),
            username: None,
            password: password.clone(),
            ca_file: None,
            namespace: "ecluse-cred".into(),
            timeout: TIMEOUT,
        })
        .unwrap();
        for _ in 0..2 {
            let start = Instant::now();
            let err = store.get("h14").unwrap_err();
            let took = start.elapsed();
            assert!(
                took < BOUND,
                "{scheme} (password {}): {took:?}",
                password.is_some()
            );
            assert!(
                took >= TIMEOUT - Duration::from_millis(50),
                "{scheme}: gave up before the timeout: {took:?}"
            );
            let reason = unavailable_reason(err);
            assert!(
                reason.contains("no answer within 300ms"),
                "{scheme}: {reason}"
            );
        }
    }
    drop(silent);
}

#[test]
fn a_store_back_after_an_outage_is_used_again() {
    let Some(server) = Server::start() else {
        return;
    };
    let store = server.store();
    assert!(
        store
            .publish("h15", b"v", now().saturating_add_ms(60_000))
            .unwrap()
    );
    let port = server.stop();
    let start = Instant::now();
    store.get("h15").unwrap_err();
    assert!(start.elapsed() < BOUND, "{:?}", start.elapsed());
    let _again = Server::start_on(port).unwrap();
    // A new server, empty: the client reconnected rather than remembering the failure.
    assert_eq!(store.get("h15").unwrap(), None);
    assert!(
        store
            .publish("h15", b"w", now().saturating_add_ms(60_000))
            .unwrap()
    );
    assert_eq!(store.get("h15").unwrap(), Some(b"w".to_vec()));
}

#[test]
fn rediss_works_with_the_ca_file_and_fails_without_it() {
    if need("redis-server").is_none() {
        return;
    }
    let Some(server) = Server::start_tls() else {
        return;
    };
    let (ca, tls_port) = server.tls.clone().unwrap();
    let mut config = server.config();
    config.ca_file = Some(ca);
    let store = Store::new(config.clone()).unwrap();
    assert!(
        store
            .try_lock("h16", "owner", Duration::from_secs(5))
            .unwrap()
    );
    assert!(
        store
            .publish("h16", b"sealed", now().saturating_add_ms(60_000))
            .unwrap()
    );
    assert_eq!(store.get("h16").unwrap(), Some(b"sealed".to_vec()));
    assert!(store.release("h16", "owner").unwrap());

    config.ca_file = None;
    let untrusted = Store::new(config.clone()).unwrap();
    let start = Instant::now();
    let reason = unavailable_reason(untrusted.ping().unwrap_err());
    assert!(start.elapsed() < BOUND, "{:?}", start.elapsed());
    assert!(reason.to_lowercase().contains("certificate"), "{reason}");
    assert!(!reason.contains(PASSWORD), "{reason}");

    // Plain TCP to the TLS port: no answer that parses, an error.
    let plain = Store::new(StoreConfig {
        url: format!("redis://127.0.0.1:{tls_port}"),
        ..config
    })
    .unwrap();
    plain.ping().unwrap_err();
}

#[test]
fn a_plain_localhost_store_is_reached_at_127_0_0_1() {
    let Some(server) = Server::start() else {
        return;
    };
    let store = Store::new(StoreConfig {
        url: format!("redis://LocalHost:{}/0", server.port),
        ..server.config()
    })
    .unwrap();
    store.ping().unwrap();
}

#[test]
fn a_ca_file_that_is_not_a_regular_file_is_refused_at_once() {
    let Some(server) = Server::start_tls() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    for path in [PathBuf::from("/dev/zero"), dir.path().to_path_buf()] {
        let config = StoreConfig {
            ca_file: Some(path.clone()),
            ..server.config()
        };
        let start = Instant::now();
        let Err(StoreError::Config { setting, reason }) = Store::new(config) else {
            panic!("{} accepted as a CA file", path.display());
        };
        assert!(start.elapsed() < BOUND, "{:?}", start.elapsed());
        assert_eq!(setting, "fleet.ca_file");
        assert!(reason.contains("not a regular file"), "{reason}");
    }
}
