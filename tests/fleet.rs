//! The fleet tier end to end (docs/fleet.md): `ecluse-cred` on several "hosts" (a sandbox each:
//! its own HOME and cache directory) sharing one config with a `[fleet]` section, one counting
//! `command` mint, and Debian's real `redis-server`, started on a random loopback port with a
//! password and stopped by its PID.

mod common;

use std::net::TcpListener;
use std::process::Output;

use common::tools::{self, Tool};
use common::*;
use ecluse_cred_contract::mint::EpochMs;
use ecluse_cred_contract::secret::Secret;
use ecluse_cred_fleet::seal::{FleetKey, KEY_LEN, Sealed};

const KEY_ENV: &str = "ECLUSE_CRED_FLEET_KEY";
const PASSWORD_ENV: &str = "ECLUSE_CRED_FLEET_PASSWORD";
const PASSWORD: &str = "pw-3c9e71d0-fleet-e2e";
/// The fleet key of the tests: base64 of 32 bytes of 0x5a.
const KEY_BYTE: u8 = 0x5a;
const WARNING: &str = "the fleet store is not used";

fn key_b64(byte: u8, len: usize) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(vec![byte; len])
}

/// Debian's `redis-server` with the tests' password ([`redis_server`]).
struct Server(redis_server::RedisServer);

impl std::ops::Deref for Server {
    type Target = redis_server::RedisServer;
    fn deref(&self) -> &Self::Target {
        &self.0
    }
}

impl Server {
    fn start() -> Option<Server> {
        Server::start_on(redis_server::free_port())
    }

    fn start_on(port: u16) -> Option<Server> {
        let exe = tools::need(Tool::RedisServer)?;
        let server = redis_server::RedisServer::start(&exe, port, PASSWORD, &[], PATIENCE);
        Some(Server(server))
    }

    /// A server the hosts reach over TLS (`rediss://`, a certificate a private CA signed); the
    /// test's admin connection uses a plain port beside it.
    fn start_tls() -> Option<Server> {
        let exe = tools::need(Tool::RedisServer)?;
        let openssl = tools::need(Tool::Openssl)?;
        let server = redis_server::RedisServer::start_tls(&exe, &openssl, PASSWORD, &[], PATIENCE);
        Some(Server(server))
    }

    /// The store's URL and, with TLS, its `ca_file` line, for a `[fleet]` section.
    fn fleet_lines(&self) -> String {
        match &self.tls {
            None => format!("store = \"redis://127.0.0.1:{}/0\"\n", self.port),
            Some((ca, port)) => format!(
                "store = \"rediss://127.0.0.1:{port}/0\"\nca_file = \"{}\"\n",
                ca.display()
            ),
        }
    }

    /// Every key in the store and its value (strings; other types have none here).
    fn dump(&self) -> Vec<(String, Vec<u8>)> {
        let mut con = self.admin();
        let keys: Vec<String> = redis::cmd("KEYS").arg("*").query(&mut con).unwrap();
        keys.into_iter()
            .map(|k| {
                let v: Vec<u8> = redis::cmd("GET").arg(&k).query(&mut con).unwrap();
                (k, v)
            })
            .collect()
    }

    fn keys(&self, pattern: &str) -> Vec<String> {
        let mut con = self.admin();
        let mut keys: Vec<String> = redis::cmd("KEYS").arg(pattern).query(&mut con).unwrap();
        keys.sort();
        keys
    }

    fn get(&self, key: &str) -> Option<Vec<u8>> {
        redis::cmd("GET").arg(key).query(&mut self.admin()).unwrap()
    }

    fn set(&self, key: &str, value: &[u8]) {
        let () = redis::cmd("SET")
            .arg(key)
            .arg(value)
            .query(&mut self.admin())
            .unwrap();
    }

    /// Stops the server; its port, to start the next one on.
    fn stop(mut self) -> u16 {
        self.0.kill();
        self.port
    }
}

/// A fleet: one sandbox holding the shared mint (its `mints()` counts the fleet's mints), and
/// hosts, each a sandbox of its own with the same config.
struct Fleet {
    mint: Sandbox,
    hosts: Vec<Sandbox>,
    key: String,
}

impl Fleet {
    fn new(server: &Server, hosts: usize, targets: &str) -> Fleet {
        Fleet::with_store(&server.fleet_lines(), hosts, targets)
    }

    /// A fleet whose store `timeout` is 300 ms, for the tests that count in store timeouts.
    fn timed(server: &Server, hosts: usize, targets: &str) -> Fleet {
        let store = format!("{}timeout = \"300ms\"\n", server.fleet_lines());
        Fleet::with_store(&store, hosts, targets)
    }

    /// A fleet whose `[fleet]` section starts with `store` lines (`store`, `ca_file`,
    /// `timeout`; without one, 1 s: room for a loaded machine running 200 callers at once).
    fn with_store(store: &str, hosts: usize, targets: &str) -> Fleet {
        let store = if store.contains("timeout") {
            store.to_owned()
        } else {
            format!("{store}timeout = \"1s\"\n")
        };
        let mint = Sandbox::new("");
        let config = format!(
            "[fleet]\n{store}key_env = \"{KEY_ENV}\"\npassword_env = \"{PASSWORD_ENV}\"\n\n[targets.demo]\nbackend = \"command\"\ncommand = [\"{}\"]\n{targets}\n",
            mint.bin.join("mint").display()
        );
        let key = key_b64(KEY_BYTE, KEY_LEN);
        let hosts = (0..hosts)
            .map(|_| {
                let host = Sandbox::new("");
                host.write_raw_config(&config);
                host.secret(&key);
                host.secret(PASSWORD);
                host
            })
            .collect();
        mint.secret(&key);
        Fleet { mint, hosts, key }
    }

    fn env(&self) -> Vec<(String, String)> {
        vec![
            (KEY_ENV.to_owned(), self.key.clone()),
            (PASSWORD_ENV.to_owned(), PASSWORD.to_owned()),
        ]
    }

    /// `token --target demo` on host `i`.
    fn token(&self, i: usize) -> Output {
        self.token_with(i, &self.env())
    }

    fn token_with(&self, i: usize, env: &[(String, String)]) -> Output {
        self.hosts[i]
            .cmd(&["token", "--target", "demo"])
            .envs(env.iter().map(|(k, v)| (k, v)))
            .output()
    }

    /// Every host at once, `callers` concurrent callers each.
    fn all_at_once(&self, callers: usize) -> Vec<Output> {
        let env = self.env();
        std::thread::scope(|s| {
            let runs: Vec<_> = self
                .hosts
                .iter()
                .map(|host| s.spawn(|| host.concurrent(callers, "demo", &env)))
                .collect();
            runs.into_iter().flat_map(|r| r.join().unwrap()).collect()
        })
    }

    /// Every issued token.
    fn issued(&self) -> Vec<String> {
        std::fs::read_to_string(self.mint.issued_log())
            .unwrap_or_default()
            .lines()
            .map(str::to_owned)
            .collect()
    }
}

/// Whether `haystack` holds any 6-byte run of `token`.
fn holds_a_piece_of(haystack: &[u8], token: &str) -> bool {
    token
        .as_bytes()
        .windows(6)
        .any(|piece| haystack.windows(6).any(|w| w == piece))
}

fn warnings(out: &Output) -> usize {
    stderr(out).matches(WARNING).count()
}

fn entry_key(server: &Server) -> String {
    let keys = server.keys("ecluse-cred:v1:entry:*");
    assert_eq!(keys.len(), 1, "{keys:?}");
    keys[0].clone()
}

#[test]
fn twenty_cold_hosts_with_concurrent_callers_make_one_mint_and_the_store_holds_no_token_byte() {
    let Some(server) = Server::start() else {
        return;
    };
    let fleet = Fleet::new(&server, 20, "");
    let outs = fleet.all_at_once(10);
    assert_eq!(outs.len(), 200);
    for out in &outs {
        assert!(out.status.success(), "{}", stderr(out));
        assert_eq!(warnings(out), 0, "{}", stderr(out));
    }
    assert!(all_same_token(&outs), "the hosts printed different tokens");
    assert_eq!(fleet.mint.mints(), 1, "one mint for the whole fleet");
    let token = stdout(&outs[0]);
    assert_eq!(fleet.issued(), [token.trim_end()]);

    // What the store holds: one sealed entry, named by no target, path or settings, and no
    // byte run of the token in any key or value; the lock was released.
    let dump = server.dump();
    let names: Vec<&str> = dump.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(names.len(), 1, "{names:?}");
    assert!(names[0].starts_with("ecluse-cred:v1:entry:"), "{names:?}");
    for (k, v) in &dump {
        assert!(!k.contains("demo") && !k.contains("mint"), "{k}");
        for token in fleet.issued() {
            assert!(!holds_a_piece_of(k.as_bytes(), &token), "{k}");
            assert!(!holds_a_piece_of(v, &token), "a token byte run in {k}");
        }
    }
}

#[test]
fn past_the_refresh_point_the_fleet_mints_once_again_not_once_per_host() {
    let Some(server) = Server::start() else {
        return;
    };
    let fleet = Fleet::new(&server, 4, "");
    for i in 0..4 {
        assert!(fleet.token(i).status.success());
    }
    assert_eq!(fleet.mint.mints(), 1);
    // The shared entry past its publisher's refresh point, as every host's cached one.
    let name = entry_key(&server);
    let key = FleetKey::from_bytes(&[KEY_BYTE; KEY_LEN]).unwrap();
    let mut entry = key.open(&name, &server.get(&name).unwrap()).unwrap();
    let now = now_ms();
    entry.issued_at = EpochMs::from_millis(now - 3_000_000);
    entry.refresh_at = EpochMs::from_millis(now - 1_000);
    server.set(&name, &key.seal(&name, &entry));
    for host in &fleet.hosts {
        host.shift_entry(-1_000, 60 * 60 * 1000);
    }
    // Each host's due refresh (in the foreground here, as the background one would).
    let refreshed: Vec<String> = (0..4)
        .map(|i| {
            let out = fleet.hosts[i]
                .cmd(&["token", "--target", "demo", "--no-background"])
                .envs(fleet.env())
                .output();
            assert!(out.status.success(), "{}", stderr(&out));
            fleet.hosts[i].cached_token()
        })
        .collect();
    assert_eq!(fleet.mint.mints(), 2, "one more mint for the fleet");
    assert!(
        refreshed.iter().all(|t| *t == refreshed[0]),
        "{refreshed:?}"
    );
}

#[test]
fn with_the_store_stopped_each_host_serves_and_mints_on_its_own_warning_once_and_sharing_resumes() {
    let Some(server) = Server::start() else {
        return;
    };
    let fleet = Fleet::new(&server, 4, "");
    for i in 0..4 {
        assert!(fleet.token(i).status.success());
    }
    assert_eq!(fleet.mint.mints(), 1);
    let port = server.stop();

    // Cached tokens are served without the store: no warning, no mint.
    for i in 0..4 {
        let out = fleet.token(i);
        assert!(out.status.success());
        assert_eq!(warnings(&out), 0, "{}", stderr(&out));
    }
    assert_eq!(fleet.mint.mints(), 1);

    // Unusable tokens: each host mints on its own, and each process warns once.
    for host in &fleet.hosts {
        host.shift_entry(-2_000, -1_000);
    }
    let own: Vec<String> = (0..4)
        .map(|i| {
            let out = fleet.token(i);
            assert!(out.status.success(), "{}", stderr(&out));
            assert_eq!(warnings(&out), 1, "{}", stderr(&out));
            assert!(
                stderr(&out).contains("Connection refused"),
                "{}",
                stderr(&out)
            );
            stdout(&out)
        })
        .collect();
    assert_eq!(fleet.mint.mints(), 5);
    let distinct: std::collections::BTreeSet<_> = own.iter().collect();
    assert_eq!(distinct.len(), 4, "each host minted its own");

    // The store back (empty): the first host's mint is shared again.
    let Some(server) = Server::start_on(port) else {
        return;
    };
    for host in &fleet.hosts {
        host.shift_entry(-2_000, -1_000);
    }
    let outs: Vec<Output> = (0..4).map(|i| fleet.token(i)).collect();
    for out in &outs {
        assert!(out.status.success(), "{}", stderr(out));
        assert_eq!(warnings(out), 0, "{}", stderr(out));
    }
    assert!(all_same_token(&outs));
    assert_eq!(fleet.mint.mints(), 6);
    drop(server);
}

#[test]
fn a_failing_token_api_is_probed_once_by_the_fleet_and_the_other_hosts_do_not_call_it() {
    let Some(server) = Server::start() else {
        return;
    };
    let fleet = Fleet::new(&server, 6, "");
    fleet.mint.set("fail", "69");
    let outs = fleet.all_at_once(2);
    for out in &outs {
        assert_eq!(out.status.code(), Some(75), "{}", stderr(out));
    }
    assert_eq!(fleet.mint.mints(), 1, "one probe for the fleet");
    // Every caller but the prober (and the caller beside it that shared its failure) was told
    // of the fleet's record; none fell back to the host alone.
    let told = outs
        .iter()
        .filter(|o| stderr(o).contains("the fleet's token API is failing until"))
        .count();
    for out in &outs {
        let err = stderr(out);
        assert_eq!(warnings(out), 0, "{err}");
        assert!(
            err.contains("the fleet's token API is failing until")
                || err.contains("backend is down"),
            "{err}"
        );
    }
    assert!(
        told >= 10,
        "{told}: the other hosts were told of the failing API"
    );
    let failing = server.keys("ecluse-cred:v1:failing:*");
    assert_eq!(failing.len(), 1, "{:?}", server.dump());
    assert!(server.keys("ecluse-cred:v1:lock:*").is_empty());

    // The API back: the record still holds the fleet off until its time.
    fleet.mint.unset("fail");
    let out = fleet.token(0);
    assert_eq!(out.status.code(), Some(75), "{}", stderr(&out));
    assert_eq!(fleet.mint.mints(), 1);
}

#[test]
fn a_hosts_own_failure_is_not_published_so_the_next_host_mints_at_once() {
    let Some(server) = Server::start() else {
        return;
    };
    let fleet = Fleet::new(&server, 2, "");
    // Exit 1: a failure of this host's own (its network, its program), not the API's answer.
    fleet.mint.set("fail", "1");
    let out = fleet.token(0);
    assert_eq!(out.status.code(), Some(75), "{}", stderr(&out));
    assert_eq!(fleet.mint.mints(), 1);
    assert!(
        server.keys("ecluse-cred:v1:failing:*").is_empty(),
        "{:?}",
        server.dump()
    );
    assert!(server.keys("ecluse-cred:v1:lock:*").is_empty());
    // Another host mints at once (here the same mint, now working) and shares.
    fleet.mint.unset("fail");
    let out = fleet.token(1);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(fleet.mint.mints(), 2);
    entry_key(&server);
}

#[test]
fn a_failing_token_api_is_probed_once_per_retry_time_by_the_whole_fleet() {
    let Some(server) = Server::start() else {
        return;
    };
    // A failing record lasts one jittered cooldown: 2 to 3 s here.
    let fleet = Fleet::new(
        &server,
        4,
        "[targets.demo.policy]\nbreaker_cooldown = \"2s\"\n",
    );
    fleet.mint.set("fail", "69");
    let start = std::time::Instant::now();
    let mut calls = 0;
    while start.elapsed() < std::time::Duration::from_secs(9) {
        for out in fleet.all_at_once(2) {
            assert_eq!(out.status.code(), Some(75), "{}", stderr(&out));
            calls += 1;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let elapsed = start.elapsed().as_millis() as usize;
    let probes = fleet.mint.mints();
    // At most one probe per retry time (the first, then one per 2 s at the most), and the
    // fleet keeps probing (each record's end lets one host try).
    assert!(
        probes <= 1 + elapsed / 2000,
        "{probes} probes in {elapsed} ms from {calls} calls"
    );
    assert!(
        probes >= 3,
        "{probes} probes in {elapsed} ms: the fleet stopped probing"
    );
    assert!(calls > 10 * probes, "{calls} calls, {probes} probes");

    // The API back: the next probe's mint is shared by every host. A host that probed often
    // enough to open its own breaker serves again when that opens (2 to 3 s here), taking the
    // shared token then: no mint of its own.
    fleet.mint.unset("fail");
    let ok = wait_until(PATIENCE, || fleet.token(0).status.success());
    assert!(ok, "no host minted after the API came back");
    let before = fleet.mint.mints();
    for i in 1..4 {
        let ok = wait_until(PATIENCE, || fleet.token(i).status.success());
        assert!(ok, "host {i} never served after the API came back");
    }
    assert_eq!(
        fleet.mint.mints(),
        before,
        "the other hosts took the shared token"
    );
}

#[test]
fn over_rediss_the_hosts_share_trusting_the_ca_file_and_without_it_each_mints_and_warns() {
    let Some(server) = Server::start_tls() else {
        return;
    };
    let fleet = Fleet::new(&server, 4, "");
    let outs = fleet.all_at_once(3);
    for out in &outs {
        assert!(out.status.success(), "{}", stderr(out));
        assert_eq!(warnings(out), 0, "{}", stderr(out));
    }
    assert!(all_same_token(&outs), "the hosts printed different tokens");
    assert_eq!(
        fleet.mint.mints(),
        1,
        "one mint for the whole fleet over TLS"
    );
    entry_key(&server);

    // The same store without the CA: the certificate is not trusted, so each host mints on its
    // own (one mint each) and warns once, naming the certificate and no secret.
    let (_, tls_port) = server.tls.as_ref().unwrap();
    let untrusting = Fleet::with_store(
        &format!("store = \"rediss://127.0.0.1:{tls_port}/0\"\n"),
        2,
        "",
    );
    let outs = untrusting.all_at_once(1);
    for out in &outs {
        assert!(out.status.success(), "{}", stderr(out));
        assert_eq!(warnings(out), 1, "{}", stderr(out));
        let err = stderr(out).to_lowercase();
        assert!(err.contains("certificate"), "{err}");
        assert!(!err.contains(&PASSWORD.to_lowercase()), "{err}");
    }
    assert_eq!(untrusting.mint.mints(), 2, "each host minted on its own");

    // A plain redis:// store on another host is refused before anything is sent.
    let remote = Fleet::with_store("store = \"redis://10.0.0.5:6379/0\"\n", 1, "");
    let out = remote.token(0);
    assert_eq!(out.status.code(), Some(78), "{}", stderr(&out));
    assert!(stderr(&out).contains("fleet.store"), "{}", stderr(&out));
    assert!(stderr(&out).contains("rediss://"), "{}", stderr(&out));
    assert_eq!(remote.mint.mints(), 0);
}

/// `args` on host `i`, with the fleet's environment.
fn run_on(fleet: &Fleet, i: usize, args: &[&str]) -> Output {
    fleet.hosts[i]
        .cmd(args)
        .envs(fleet.env().iter().map(|(k, v)| (k, v)))
        .output()
}

#[test]
fn refresh_mints_a_new_token_for_the_fleet_instead_of_taking_the_shared_one() {
    let Some(server) = Server::start() else {
        return;
    };
    let fleet = Fleet::new(&server, 3, "");
    let first = fleet.token(0);
    assert!(first.status.success(), "{}", stderr(&first));
    assert_eq!(fleet.mint.mints(), 1);

    // Host 1 asks for a new token: a mint, though the shared one is fresh, and published.
    let shared = |server: &Server| server.get(&entry_key(server)).unwrap();
    let before = shared(&server);
    let out = run_on(&fleet, 1, &["refresh", "--target", "demo"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(fleet.mint.mints(), 2, "refresh minted");
    assert_ne!(shared(&server), before, "refresh published its token");
    assert!(server.keys("ecluse-cred:v1:lock:*").is_empty());
    let out = run_on(&fleet, 1, &["refresh", "--target", "demo", "--force"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(fleet.mint.mints(), 3, "refresh --force minted");
    let newest = fleet.issued().pop().unwrap();
    assert_eq!(stdout(&fleet.token(1)).trim_end(), newest);

    // What it minted is the fleet's token now: a cold host takes it without a mint.
    let cold = fleet.token(2);
    assert!(cold.status.success(), "{}", stderr(&cold));
    assert_eq!(stdout(&cold).trim_end(), newest);
    assert_eq!(fleet.mint.mints(), 3);
}

#[test]
fn a_caller_needing_more_than_the_shared_token_has_left_gets_a_new_mint_and_less_takes_it() {
    let Some(server) = Server::start() else {
        return;
    };
    let fleet = Fleet::new(&server, 3, "");
    fleet.mint.set("ttl", "600");
    let first = fleet.token(0);
    assert!(first.status.success(), "{}", stderr(&first));
    assert_eq!(fleet.mint.mints(), 1);

    // Ten minutes shared, fifteen asked: a mint of its own (20 minutes), not a refusal.
    fleet.mint.set("ttl", "1200");
    let out = run_on(
        &fleet,
        1,
        &["token", "--target", "demo", "--min-ttl", "15m"],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(fleet.mint.mints(), 2);
    let long = fleet.issued().pop().unwrap();
    assert_eq!(stdout(&out).trim_end(), long);

    // Five minutes asked: the shared (20-minute) token does.
    let out = run_on(&fleet, 2, &["token", "--target", "demo", "--min-ttl", "5m"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out).trim_end(), long);
    assert_eq!(fleet.mint.mints(), 2);
}

#[test]
fn garbage_a_value_under_another_key_and_a_value_moved_from_another_entry_are_misses_then_overwritten()
 {
    let Some(server) = Server::start() else {
        return;
    };
    // Target `other` mints with other settings: another entry of its own.
    let fleet = Fleet::new(&server, 5, "");
    let mut config = std::fs::read_to_string(&fleet.hosts[0].config).unwrap();
    config.push_str(&format!(
        "\n[targets.other]\nbackend = \"command\"\ncommand = [\"{}\", \"other\"]\n",
        fleet.mint.bin.join("mint").display()
    ));
    for host in &fleet.hosts {
        host.write_raw_config(&config);
    }
    assert!(fleet.token(0).status.success());
    let name = entry_key(&server);
    let out = fleet.hosts[0]
        .cmd(&["token", "--target", "other"])
        .envs(fleet.env())
        .output();
    assert!(out.status.success(), "{}", stderr(&out));
    let other_name = server
        .keys("ecluse-cred:v1:entry:*")
        .into_iter()
        .find(|k| *k != name)
        .unwrap();
    assert_eq!(fleet.mint.mints(), 2);

    let key = FleetKey::from_bytes(&[KEY_BYTE; KEY_LEN]).unwrap();
    let another_key = FleetKey::from_bytes(&[0x33; KEY_LEN]).unwrap();
    let planted = Sealed {
        token: Secret::new("planted-token-8e1".into()),
        issued_at: EpochMs::from_millis(now_ms()),
        expires_at: EpochMs::from_millis(now_ms() + 3_600_000),
        refresh_at: EpochMs::from_millis(now_ms() + 3_000_000),
    };
    let tampered: [(&str, Vec<u8>); 3] = [
        ("garbage", b"\x01not a sealed value at all".to_vec()),
        ("another key", another_key.seal(&name, &planted)),
        ("moved", server.get(&other_name).unwrap()),
    ];
    for (i, (what, value)) in tampered.into_iter().enumerate() {
        server.set(&name, &value);
        let mints = fleet.mint.mints();
        let out = fleet.token(i + 1);
        assert!(out.status.success(), "{what}: {}", stderr(&out));
        assert_eq!(fleet.mint.mints(), mints + 1, "{what}: a miss, so a mint");
        let token = stdout(&out);
        assert!(token.starts_with("tok-"), "{what}: {token}");
        let now = server.get(&name).unwrap();
        let opened = key.open(&name, &now).expect("overwritten by the publish");
        assert_eq!(opened.token.expose(), token.trim_end(), "{what}");
    }
}

#[test]
fn a_missing_or_malformed_fleet_key_warns_naming_the_variable_and_the_host_mints_on_its_own() {
    let Some(server) = Server::start() else {
        return;
    };
    let fleet = Fleet::new(&server, 4, "");
    let short = key_b64(0x77, 16);
    let cases: [(&str, Option<&str>); 4] = [
        ("missing", None),
        ("16 bytes", Some(&short)),
        ("not base64", Some("not*base64*at*all")),
        ("empty", Some("")),
    ];
    for (i, (what, value)) in cases.into_iter().enumerate() {
        let mut env = vec![(PASSWORD_ENV.to_owned(), PASSWORD.to_owned())];
        if let Some(v) = value {
            env.push((KEY_ENV.to_owned(), v.to_owned()));
        }
        let out = fleet.hosts[i]
            .cmd(&["token", "--target", "demo"])
            .env_remove(KEY_ENV)
            .envs(env.iter().map(|(k, v)| (k, v)))
            .output();
        assert!(out.status.success(), "{what}: {}", stderr(&out));
        let err = stderr(&out);
        assert_eq!(warnings(&out), 1, "{what}: {err}");
        assert!(err.contains(KEY_ENV), "{what}: {err}");
        if let Some(v) = value.filter(|v| !v.is_empty()) {
            assert!(!err.contains(v), "{what}: the value shown: {err}");
        }
        assert_eq!(fleet.mint.mints(), i + 1, "{what}: minted on its own");
    }
    assert!(server.dump().is_empty(), "{:?}", server.keys("*"));
}

#[test]
fn status_and_doctor_show_the_store_reachable_then_unavailable_without_any_secret() {
    let Some(server) = Server::start() else {
        return;
    };
    let fleet = Fleet::new(&server, 1, "");
    let url = format!("redis://127.0.0.1:{}/0", server.port);
    let host = &fleet.hosts[0];
    let run = |args: &[&str]| {
        let out = host.cmd(args).envs(fleet.env()).output();
        host.audit_stdout(&out);
        out
    };
    let status = run(&["status"]);
    assert!(status.status.success(), "{}", stderr(&status));
    assert!(
        stdout(&status).ends_with(&format!("fleet store {url}: reachable\n")),
        "{}",
        stdout(&status)
    );
    let json: serde_json::Value =
        serde_json::from_str(&stdout(&run(&["status", "--format", "json"]))).unwrap();
    assert_eq!(
        json["fleet"],
        serde_json::json!({"reason": null, "state": "reachable", "store": url})
    );
    let doctor = stdout(&run(&["doctor", "--mint"]));
    assert!(
        doctor.contains(&format!(
            "ok    fleet store: {url}: reachable, AUTH accepted, key well-formed"
        )),
        "{doctor}"
    );
    let doctor = stdout(&run(&["doctor"]));
    assert!(
        doctor.contains(&format!(
            "ok    fleet store: {url}: key well-formed; not contacted (`doctor --mint` pings it)"
        )),
        "{doctor}"
    );

    drop(server);
    let status = run(&["status"]);
    assert!(status.status.success(), "{}", stderr(&status));
    assert!(
        stdout(&status).ends_with(&format!(
            "fleet store {url}: unavailable (the fleet store: Connection refused (os error 111)); each host mints on its own\n"
        )),
        "{}",
        stdout(&status)
    );
    let out = host
        .cmd(&["doctor"])
        .envs(fleet.env())
        .env(KEY_ENV, key_b64(1, 16))
        .output();
    host.audit_stdout(&out);
    assert!(
        stdout(&out).contains(&format!(
            "warn  fleet store: the fleet key variable {KEY_ENV} does not hold base64 of 32 bytes: this host mints on its own"
        )),
        "{}",
        stdout(&out)
    );
}

#[test]
fn a_lock_held_by_a_dead_host_is_waited_for_within_the_bound_then_the_host_mints_and_shares() {
    let Some(server) = Server::start() else {
        return;
    };
    // lock_timeout 14s, mint_timeout 1s, store timeout 300ms: the fleet wait is the lock's
    // life and one pause, 1 + 8 x 0.3 + 2 + 1 = 6.4 s (and 14 - 2 x (6 x 0.3 + 2) = 6.4 s).
    let fleet = Fleet::timed(
        &server,
        2,
        "[targets.demo.policy]\nlock_timeout = \"14s\"\nmint_timeout = \"1s\"",
    );
    let settings = ecluse_cred_contract::backend::Backend::Command {
        command: vec![fleet.mint.bin.join("mint").display().to_string()],
    }
    .settings_hash();
    let key = FleetKey::from_bytes(&[KEY_BYTE; KEY_LEN]).unwrap();
    let hash = key.entry_hash(&settings);
    let lock = format!("ecluse-cred:v1:lock:{hash}");
    let () = redis::cmd("SET")
        .arg(&lock)
        .arg("dead-host")
        .arg("PX")
        .arg(120_000)
        .query(&mut server.admin())
        .unwrap();

    let started = std::time::Instant::now();
    let out = fleet.token(0);
    let took = started.elapsed();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(warnings(&out), 0, "{}", stderr(&out));
    assert!(
        took >= std::time::Duration::from_millis(6_300)
            && took < std::time::Duration::from_secs(14),
        "waited {took:?} for the holder, not within the fleet wait and lock_timeout"
    );
    assert_eq!(fleet.mint.mints(), 1);
    // The dead host's lock is its own still; the token was published for the fleet.
    assert_eq!(server.get(&lock).unwrap(), b"dead-host");
    let name = format!("ecluse-cred:v1:entry:{hash}");
    let shared = key.open(&name, &server.get(&name).unwrap()).unwrap();
    assert_eq!(shared.token.expose(), stdout(&out).trim_end());
    let out = fleet.token(1);
    assert_eq!(stdout(&out).trim_end(), shared.token.expose());
    assert_eq!(
        fleet.mint.mints(),
        1,
        "the next host takes the shared token"
    );
}

/// The `HASH` of the `demo` target's entry, lock and `failing` record.
fn demo_hash(fleet: &Fleet) -> String {
    let settings = ecluse_cred_contract::backend::Backend::Command {
        command: vec![fleet.mint.bin.join("mint").display().to_string()],
    }
    .settings_hash();
    FleetKey::from_bytes(&[KEY_BYTE; KEY_LEN])
        .unwrap()
        .entry_hash(&settings)
}

/// The commands the store has processed since its statistics were last reset.
fn commands_processed(server: &Server) -> u64 {
    let info: String = redis::cmd("INFO")
        .arg("stats")
        .query(&mut server.admin())
        .unwrap();
    info.lines()
        .find_map(|l| l.strip_prefix("total_commands_processed:"))
        .unwrap()
        .trim()
        .parse()
        .unwrap()
}

#[test]
fn a_mint_slower_than_the_old_wait_is_still_shared_by_every_cold_host_polling_with_backoff() {
    let Some(server) = Server::start() else {
        return;
    };
    // mint_timeout 8s, lock_timeout 22s, store timeout 300ms: the lock lives 8 + 8 x 0.3 + 2 =
    // 12.4 s and the hosts wait for it while it is held (13.4 s), where they used to give up
    // after 22 - 8 - 2 x (6 x 0.3 + 2) = 6.4 s. The mint takes 6 s.
    let fleet = Fleet::timed(
        &server,
        5,
        "[targets.demo.policy]\nlock_timeout = \"22s\"\nmint_timeout = \"8s\"",
    );
    fleet.mint.set("sleep", "6");
    let () = redis::cmd("CONFIG")
        .arg("RESETSTAT")
        .query(&mut server.admin())
        .unwrap();
    let outs = fleet.all_at_once(1);
    for out in &outs {
        assert!(out.status.success(), "{}", stderr(out));
        assert_eq!(warnings(out), 0, "{}", stderr(out));
    }
    assert!(all_same_token(&outs), "the hosts printed different tokens");
    assert_eq!(fleet.mint.mints(), 1, "one mint for the whole fleet");
    // 4 waiters for 6 s: polling every 100 ms (2 commands) would be about 480 commands; with
    // the backoff to 1 s, under 30 each.
    let commands = commands_processed(&server);
    assert!(commands < 150, "{commands} store commands");
}

#[test]
fn a_forged_moved_or_too_distant_failing_record_is_ignored_and_a_real_one_passes() {
    let Some(server) = Server::start() else {
        return;
    };
    // A breaker cooldown of 2 s: a record is believed at most 3 s ahead.
    let fleet = Fleet::new(
        &server,
        7,
        "[targets.demo.policy]\nbreaker_cooldown = \"2s\"",
    );
    let hash = demo_hash(&fleet);
    let name = format!("ecluse-cred:v1:failing:{hash}");
    let key = FleetKey::from_bytes(&[KEY_BYTE; KEY_LEN]).unwrap();
    let another_key = FleetKey::from_bytes(&[0x33; KEY_LEN]).unwrap();
    let until = EpochMs::from_millis(now_ms() + 600_000);
    let soon = now_ms() + 2_900;
    let forged: [(&str, Vec<u8>); 5] = [
        (
            "unsealed, within the first cooldown",
            soon.to_string().into_bytes(),
        ),
        ("unsealed", until.as_millis().to_string().into_bytes()),
        ("another key", another_key.seal_instant(&name, until)),
        (
            "moved",
            key.seal_instant(&format!("ecluse-cred:v1:failing:{}", "0".repeat(32)), until),
        ),
        ("beyond the first cooldown", key.seal_instant(&name, until)),
    ];
    for (i, (what, value)) in forged.into_iter().enumerate() {
        let () = redis::cmd("SET")
            .arg(&name)
            .arg(value)
            .arg("PX")
            .arg(600_000)
            .query(&mut server.admin())
            .unwrap();
        let out = fleet.token(i);
        assert!(out.status.success(), "{what}: {}", stderr(&out));
        assert_eq!(fleet.mint.mints(), i + 1, "{what}: ignored, so a mint");
        let entry = format!("ecluse-cred:v1:entry:{hash}");
        let () = redis::cmd("DEL")
            .arg(&entry)
            .query(&mut server.admin())
            .unwrap();
    }
    let () = redis::cmd("DEL")
        .arg(&name)
        .query(&mut server.admin())
        .unwrap();

    // A real failure: host 5's mint fails and writes the record; host 6, cold, is told.
    fleet.mint.set("fail", "69");
    assert_eq!(fleet.token(5).status.code(), Some(75));
    assert_eq!(fleet.mint.mints(), 6);
    let out = fleet.token(6);
    assert_eq!(out.status.code(), Some(75), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("the fleet's token API is failing until"),
        "{}",
        stderr(&out)
    );
    assert_eq!(fleet.mint.mints(), 6);
    // The API back and the record past (the store drops it): the hosts mint again, once.
    fleet.mint.unset("fail");
    assert!(wait_until(PATIENCE, || server.get(&name).is_none()));
    let outs: Vec<Output> = (5..7).map(|i| fleet.token(i)).collect();
    for out in &outs {
        assert!(out.status.success(), "{}", stderr(out));
    }
    assert!(all_same_token(&outs));
    assert_eq!(fleet.mint.mints(), 7);
}

/// A server that answers `AUTH` and then each command with a simple string that never ends:
/// one byte every 50 ms, so no read ever times out.
fn slow_drip_server() -> u16 {
    use std::io::{Read, Write};
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(mut conn) = conn else { return };
            std::thread::spawn(move || {
                let mut buf = [0u8; 4096];
                loop {
                    let Ok(n) = conn.read(&mut buf) else { return };
                    if n == 0 {
                        return;
                    }
                    let command = String::from_utf8_lossy(&buf[..n]).to_ascii_uppercase();
                    if command.contains("AUTH") || command.contains("SELECT") {
                        if conn.write_all(b"+OK\r\n").is_err() {
                            return;
                        }
                        continue;
                    }
                    if conn.write_all(b"+").is_err() {
                        return;
                    }
                    while conn.write_all(b"a").is_ok() {
                        std::thread::sleep(std::time::Duration::from_millis(50));
                    }
                    return;
                }
            });
        }
    });
    port
}

#[test]
fn a_slow_drip_store_costs_one_deadline_then_the_host_mints_on_its_own() {
    let Some(server) = Server::start() else {
        return;
    };
    let fleet = Fleet::timed(&server, 1, "");
    let drip = slow_drip_server();
    let host = &fleet.hosts[0];
    let config = std::fs::read_to_string(&host.config)
        .unwrap()
        .replace(&format!(":{}/0", server.port), &format!(":{drip}/0"));
    host.write_raw_config(&config);
    let started = std::time::Instant::now();
    let out = fleet.token(0);
    let took = started.elapsed();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(warnings(&out), 1, "{}", stderr(&out));
    assert!(
        stderr(&out).contains("took more than 1800 ms together"),
        "{}",
        stderr(&out)
    );
    // The store's share: 6 x 300 ms, where it was the whole wait (22.4 s) and more.
    assert!(took < std::time::Duration::from_secs(8), "took {took:?}");
    assert_eq!(fleet.mint.mints(), 1);
}

/// Writes the fleet's `failing` record for the demo target, sealed under the fleet key, until
/// `until`.
fn write_failing(server: &Server, fleet: &Fleet, until: EpochMs) -> String {
    let name = format!("ecluse-cred:v1:failing:{}", demo_hash(fleet));
    let key = FleetKey::from_bytes(&[KEY_BYTE; KEY_LEN]).unwrap();
    let () = redis::cmd("SET")
        .arg(&name)
        .arg(key.seal_instant(&name, until))
        .arg("PX")
        .arg(600_000)
        .query(&mut server.admin())
        .unwrap();
    name
}

#[test]
fn the_fleets_failing_answers_do_not_open_a_hosts_own_breaker_so_it_takes_the_next_token_at_once() {
    let Some(server) = Server::start() else {
        return;
    };
    // A 30 s cooldown: a record is believed up to 45 s ahead, and a host's own breaker, had it
    // counted the answers, would stay open for 30 s or more after the third.
    let fleet = Fleet::new(
        &server,
        2,
        "[targets.demo.policy]\nbreaker_cooldown = \"30s\"",
    );
    let name = write_failing(&server, &fleet, EpochMs::from_millis(now_ms() + 30_000));
    for _ in 0..5 {
        let out = fleet.token(0);
        assert_eq!(out.status.code(), Some(75), "{}", stderr(&out));
        assert!(
            stderr(&out).contains("the fleet's token API is failing until"),
            "{}",
            stderr(&out)
        );
        assert!(
            !stderr(&out).contains("circuit breaker open"),
            "{}",
            stderr(&out)
        );
    }
    assert_eq!(fleet.mint.mints(), 0);
    // The record passes and another host mints and publishes: host 0 takes that token now.
    let () = redis::cmd("DEL")
        .arg(&name)
        .query(&mut server.admin())
        .unwrap();
    let outs = vec![fleet.token(1), fleet.token(0)];
    for out in &outs {
        assert!(out.status.success(), "{}", stderr(out));
    }
    assert!(all_same_token(&outs), "host 0 took the fleet's token");
    assert_eq!(fleet.mint.mints(), 1);
}

#[test]
fn while_the_fleet_is_failing_a_cold_host_is_served_a_shared_token_past_its_refresh_point_but_valid()
 {
    let Some(server) = Server::start() else {
        return;
    };
    let fleet = Fleet::new(
        &server,
        2,
        "[targets.demo.policy]\nbreaker_cooldown = \"30s\"",
    );
    let now = now_ms();
    let token = "tok-due-but-valid-5e1f0a";
    let entry = format!("ecluse-cred:v1:entry:{}", demo_hash(&fleet));
    let key = FleetKey::from_bytes(&[KEY_BYTE; KEY_LEN]).unwrap();
    let sealed = key.seal(
        &entry,
        &Sealed {
            token: Secret::new(token.to_owned()),
            issued_at: EpochMs::from_millis(now - 50 * 60_000),
            refresh_at: EpochMs::from_millis(now - 60_000),
            expires_at: EpochMs::from_millis(now + 30 * 60_000),
        },
    );
    let () = redis::cmd("SET")
        .arg(&entry)
        .arg(sealed)
        .arg("PX")
        .arg(30 * 60_000)
        .query(&mut server.admin())
        .unwrap();
    let name = write_failing(&server, &fleet, EpochMs::from_millis(now + 30_000));
    let out = fleet.token(0);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out).trim_end(), token);
    assert_eq!(
        fleet.mint.mints(),
        0,
        "nobody minted while the fleet is failing"
    );

    // Without the record the due token is not served: the fleet mints a new one.
    let () = redis::cmd("DEL")
        .arg(&name)
        .query(&mut server.admin())
        .unwrap();
    let out = fleet.token(1);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_ne!(stdout(&out).trim_end(), token);
    assert_eq!(fleet.mint.mints(), 1);
}

#[test]
fn a_command_mint_does_not_see_the_fleet_key_or_password_variables() {
    let Some(server) = Server::start() else {
        return;
    };
    let dump = tempfile::tempdir().unwrap();
    let file = dump.path().join("env");
    // A second target whose command writes its environment, then prints a token (built at
    // run time: the config does not hold it).
    let fleet = Fleet::new(
        &server,
        1,
        &format!(
            "\n[targets.envdump]\nbackend = \"command\"\ncommand = [\"/bin/sh\", \"-c\", \"env > '{}'; printf '{{\\\"token\\\":\\\"%s-%s\\\",\\\"expires_in\\\":3600}}' tokz envq\"]",
            file.display()
        ),
    );
    let mut env = fleet.env();
    env.push(("ECLUSE_TEST_MARK".to_owned(), "visible".to_owned()));
    let out = fleet.hosts[0]
        .cmd(&["token", "--target", "envdump"])
        .envs(env.iter().map(|(k, v)| (k, v)))
        .output();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out).trim_end(), "tokz-envq");
    let seen = std::fs::read_to_string(&file).unwrap();
    assert!(seen.contains("ECLUSE_TEST_MARK=visible\n"), "{seen}");
    for name in [KEY_ENV, PASSWORD_ENV] {
        assert!(!seen.contains(&format!("{name}=")), "{name} in {seen}");
    }
    assert!(!seen.contains(&fleet.key) && !seen.contains(PASSWORD));
}
