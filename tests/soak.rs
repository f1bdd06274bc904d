//! Soak: parallel workers call `token` for a bounded time against a `command` mint that fails
//! at random (~30%) and hangs past `mint_timeout` at random (~10%), while workers are
//! `kill -9`ed at random moments. Every output is checked; afterwards the cache must parse, no
//! lock may be held, and no two successful mints may have overlapped (single-flight).
//! `ECLUSE_SOAK_SECS` sets the length (default 15 s); the counts are printed.

mod common;

use std::collections::HashMap;
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::*;

const MINT: &str = r#"#!/bin/sh
d="$(dirname "$0")"
start=$(date +%s%N)
r=$(od -An -N1 -tu1 /dev/urandom | tr -d ' ')
if [ "$r" -lt 26 ]; then echo "$$ $start hang" >> "$d/attempts"; sleep 30; fi
if [ "$r" -lt 103 ]; then echo "$$ $start fail" >> "$d/attempts"; echo "random failure" >&2; exit 1; fi
sleep "0.$(( r % 3 ))"
exp=$(( $(date +%s) + 3 ))
tok="tok-$$-$start"
echo "$tok $exp" >> "$d/issued"
echo "$$ $start ok $(date +%s%N)" >> "$d/attempts"
printf '{"token":"%s","expires_at":%s}\n' "$tok" "$exp"
"#;

const WORKERS: usize = 12;
/// One call in this many is sent SIGKILL at a random moment of its first 30 ms.
const KILL_ONE_IN: u64 = 10;
/// Fewest calls for the soak to mean anything: on a slow machine the workers go on past the
/// soak's length until this many are made (for at most [`PATIENCE`] more: a run that cannot
/// make them then has hung).
const MIN_CALLS: usize = 100;

#[derive(Default)]
struct Tally {
    calls: usize,
    served: usize,
    temp_failures: usize,
    killed: usize,
    problems: Vec<String>,
}

#[test]
fn soak_with_failing_hanging_mints_and_killed_callers_keeps_every_invariant() {
    let secs: u64 = std::env::var("ECLUSE_SOAK_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(15);
    let sb = Sandbox::new(
        "[targets.demo.policy]\nmint_timeout = \"1s\"\nlock_timeout = \"10s\"\nbreaker_cooldown = \"2s\"",
    );
    fs::write(sb.bin.join("mint"), MINT).unwrap();
    fs::set_permissions(sb.bin.join("mint"), fs::Permissions::from_mode(0o755)).unwrap();
    let tally = Arc::new(Mutex::new(Tally::default()));
    let deadline = Instant::now() + Duration::from_secs(secs);
    let hung = deadline + PATIENCE;
    std::thread::scope(|scope| {
        for _ in 0..WORKERS {
            let (sb, tally) = (&sb, tally.clone());
            scope.spawn(move || {
                let more = || {
                    let now = Instant::now();
                    now < deadline || (now < hung && tally.lock().unwrap().calls < MIN_CALLS)
                };
                while more() {
                    let started_ms = now_ms();
                    let mut child = sb
                        .cmd(&["token", "--target", "demo"])
                        .stdout(Stdio::piped())
                        .spawn();
                    let kill = fastrand::u64(..KILL_ONE_IN) == 0;
                    if kill {
                        std::thread::sleep(Duration::from_millis(fastrand::u64(0..30)));
                        let _ = child.kill();
                    }
                    let out = child.wait_with_output();
                    let issued = fs::read_to_string(sb.bin.join("issued")).unwrap_or_default();
                    let mut t = tally.lock().unwrap();
                    t.calls += 1;
                    match out.status.code() {
                        None => t.killed += 1,
                        Some(0) => {
                            t.served += 1;
                            let text = stdout(&out);
                            let token = text.strip_suffix('\n').unwrap_or("");
                            let expiry = issued
                                .lines()
                                .find_map(|l| l.strip_prefix(token).and_then(|r| r.strip_prefix(' ')))
                                .and_then(|e| e.trim().parse::<i64>().ok());
                            match expiry {
                                _ if token.is_empty() || token.contains('\n') => {
                                    t.problems.push(format!("exit 0 with output {text:?}"));
                                }
                                None => t.problems.push(format!("foreign token {token:?}")),
                                Some(exp) if exp * 1000 <= started_ms => {
                                    t.problems.push(format!("expired token {token}: expired {exp}, call started {started_ms}"));
                                }
                                Some(_) => {}
                            }
                            if stderr(&out).contains("tok-") {
                                t.problems.push("a token on stderr".into());
                            }
                        }
                        Some(75) => {
                            t.temp_failures += 1;
                            if !out.stdout.is_empty() {
                                t.problems.push(format!("exit 75 with stdout {:?}", stdout(&out)));
                            }
                        }
                        Some(code) if kill => t.killed += usize::from(code != 0),
                        Some(code) => t.problems.push(format!("exit {code}: {}", stderr(&out))),
                    }
                }
            });
        }
    });

    // Background refreshes may still run: wait for the lock to be free (bounded).
    let lock_free =
        || fs::File::open(cache::lock_file(&sb.cache, "demo")).is_ok_and(|f| f.try_lock().is_ok());
    assert!(
        wait_until(PATIENCE, lock_free),
        "a lock is still held after the run"
    );
    assert_eq!(
        cache::version(&sb.cache_file()),
        Some(1),
        "the cache parses"
    );

    // Single-flight: successful mints never overlapped.
    let attempts = fs::read_to_string(sb.bin.join("attempts")).unwrap_or_default();
    let mut ok: Vec<(i64, i64)> = attempts
        .lines()
        .filter_map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            (f.get(2) == Some(&"ok")).then(|| (f[1].parse().unwrap(), f[3].parse().unwrap()))
        })
        .collect();
    ok.sort();
    let overlaps = ok.windows(2).filter(|w| w[1].0 < w[0].1).count();
    let kinds: HashMap<&str, usize> = attempts
        .lines()
        .filter_map(|l| l.split_whitespace().nth(2))
        .fold(HashMap::new(), |mut m, k| {
            *m.entry(k).or_default() += 1;
            m
        });
    let t = tally.lock().unwrap();
    println!(
        "soak {secs}s, {WORKERS} workers: {} calls, {} served, {} exit 75, {} killed; mint attempts {} (ok {}, failed {}, hung {}); overlapping successful mints {overlaps}",
        t.calls,
        t.served,
        t.temp_failures,
        t.killed,
        attempts.lines().count(),
        kinds.get("ok").unwrap_or(&0),
        kinds.get("fail").unwrap_or(&0),
        kinds.get("hang").unwrap_or(&0),
    );
    assert!(
        t.problems.is_empty(),
        "{} problems, first: {:?}",
        t.problems.len(),
        &t.problems[..t.problems.len().min(5)]
    );
    assert!(
        t.calls >= MIN_CALLS,
        "the soak made too few calls to mean anything: {}",
        t.calls
    );
    // How many calls are served depends on the random failures: three in a row open the
    // breaker, whose cooldown doubles with each failed probe, and with 3 s tokens that can leave
    // long stretches with no usable token (exit 75, as the policy says). Served calls must
    // happen at all; the invariants above and below are what the soak proves.
    assert!(t.served > 0, "no call was served");
    assert!(
        attempts.lines().count() <= t.calls,
        "more mint attempts than calls"
    );
    assert_eq!(overlaps, 0, "successful mints overlapped");
}
