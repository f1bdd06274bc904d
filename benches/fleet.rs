//! `cargo bench --bench fleet`: a fleet of hosts against a token API with a quota of 40 mint
//! requests per second (CodeArtifact's GetAuthorizationToken per region), simulated with the
//! policy's own functions (`plan`, `under_lock`, `entry_for`, `Breaker::record_failure`), so
//! the simulation cannot drift from the code. No process or network.
//!
//! 1. **Cold start**: every host minted in the same second, 24 h simulated, one refresh per
//!    token at its (jittered) refresh point: the busiest second and the seconds over quota, for
//!    token lifetimes and jitter settings, and mints per host per day (the cost).
//! 2. **Outage**: the token API fails for every host for 30 minutes starting at a random moment
//!    of the day. Callers arrive at each host as CI jobs do (at random, on average every
//!    `FLEET_CALL_EVERY` seconds); a due token is refreshed when a caller sees it, a missing one
//!    minted by the caller, and every failure feeds the host's breaker. Reported per scenario:
//!    the busiest second of mint attempts during and after the outage, the seconds over quota,
//!    and how long after the outage until every host holds a usable token again; with the
//!    breaker's cooldown jittered (as now) and without (every host waits exactly the cooldown).
//!    A failed refresh of a still-valid token is retried after a cooldown, or at a random point
//!    before the token becomes unusable if that comes sooner (`policy::retry_wait`; without
//!    jitter: the last millisecond it is usable).
//!
//! `FLEET_HOSTS` (default 10000), `FLEET_CALL_EVERY` (default 120 s) and `FLEET_SEED` change
//! the sizes.

use std::time::Duration;

use ecluse_cred::mint::{EpochMs, MintError, Minted};
use ecluse_cred::policy::{self, Breaker, Entry, Locked, Plan, Policy, Purpose, entry_for};
use ecluse_cred::secret::Secret;

/// The token API's quota, requests per second.
const QUOTA: u32 = 40;
const HOUR_MS: i64 = 3600 * 1000;
const DAY_MS: i64 = 24 * HOUR_MS;
/// How long the outage lasts.
const OUTAGE_MS: i64 = 30 * 60 * 1000;
/// How long after the day the outage simulation goes on, for the fleet to recover.
const TAIL_MS: i64 = 3 * HOUR_MS;

fn env_or(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Mint attempts per second over the simulated span.
struct Counts(Vec<u32>);

impl Counts {
    fn new(span_ms: i64) -> Counts {
        Counts(vec![0; (span_ms / 1000 + 1) as usize])
    }
    fn add(&mut self, at_ms: i64) {
        if let Some(n) = self.0.get_mut((at_ms / 1000) as usize) {
            *n += 1;
        }
    }
    fn busiest(&self, from_ms: i64, to_ms: i64) -> u32 {
        let (a, b) = (
            (from_ms / 1000) as usize,
            ((to_ms / 1000) as usize).min(self.0.len()),
        );
        self.0[a.min(b)..b].iter().copied().max().unwrap_or(0)
    }
    fn over_quota(&self) -> usize {
        self.0.iter().filter(|&&n| n > QUOTA).count()
    }
}

/// The simulation's clock is in milliseconds from the start of the day: the instant `ms`.
fn at(ms: i64) -> EpochMs {
    EpochMs::from_millis(ms)
}

fn minted(at_ms: i64, lifetime_ms: i64) -> Minted {
    Minted {
        token: Secret::new("t".into()),
        expires_at: at(at_ms + lifetime_ms),
        expiry_source: "sim".into(),
    }
}

/// Cold start: the busiest second, seconds over quota, and mints per host per day.
fn cold_start(hosts: usize, lifetime: Duration, policy: &Policy) -> (u32, usize, f64) {
    let lifetime_ms = lifetime.as_millis() as i64;
    let mut counts = Counts::new(DAY_MS);
    let mut mints = 0usize;
    for _ in 0..hosts {
        let mut issued = 0;
        loop {
            let entry = entry_for(
                minted(issued, lifetime_ms),
                at(issued),
                fastrand::f64(),
                policy,
            );
            let refresh_at = entry.refresh_at.as_millis();
            if refresh_at > DAY_MS {
                break;
            }
            counts.add(refresh_at);
            mints += 1;
            issued = refresh_at;
        }
    }
    (
        counts.busiest(0, DAY_MS),
        counts.over_quota(),
        mints as f64 / hosts as f64,
    )
}

/// One host of the outage simulation.
struct Host {
    entry: Option<Entry>,
    breaker: Breaker,
}

struct Outage {
    during: u32,
    after: u32,
    over_quota: usize,
    recovered_after: Duration,
}

/// The outage scenario. `jittered`: every draw random, as in the code (the breaker waits its
/// cooldown and a random part more); otherwise every draw 0 (exactly the cooldown). `together`:
/// every host's token was minted at time 0 (a fleet started together), else at a random moment
/// of its lifetime (steady state).
fn outage(
    hosts: usize,
    lifetime: Duration,
    policy: &Policy,
    call_every_ms: i64,
    start: i64,
    jittered: bool,
    together: bool,
) -> Outage {
    let lifetime_ms = lifetime.as_millis() as i64;
    let end = start + OUTAGE_MS;
    let span = DAY_MS + TAIL_MS;
    let mut counts = Counts::new(span);
    let mut recovered_at = end;
    let failure = MintError::transient("the token API is down");
    for _ in 0..hosts {
        let issued = if together {
            0
        } else {
            -(fastrand::f64() * lifetime_ms as f64 * policy.refresh_at) as i64
        };
        let first = entry_for(
            minted(issued, lifetime_ms),
            at(issued),
            fastrand::f64(),
            policy,
        );
        let mut host = Host {
            entry: Some(first),
            breaker: Breaker::default(),
        };
        // Whether the host had no usable token when the outage ended, until it mints one.
        let mut waiting: Option<bool> = None;
        let mut t = 0i64;
        while t < span {
            // CI jobs arrive at random (exponential gaps).
            t += (-(1.0 - fastrand::f64()).ln() * call_every_ms as f64) as i64 + 1;
            if t >= end && waiting.is_none() {
                let usable = policy::freshness(at(end), host.entry.as_ref(), policy, None)
                    != policy::Freshness::Unusable;
                waiting = Some(!usable);
            }
            let plan = policy::plan(at(t), host.entry.as_ref(), &host.breaker, policy, None);
            let purpose = match plan {
                Plan::Serve | Plan::TooShort => continue,
                Plan::ServeAndRefresh => Purpose::Refresh,
                Plan::Mint => Purpose::NeedToken {
                    waiting_since: at(t),
                    seen: host.entry.as_ref().map(|e| e.issued_at),
                },
            };
            let locked = policy::under_lock(
                at(t),
                host.entry.as_ref(),
                &host.breaker,
                policy,
                None,
                purpose,
            );
            if !matches!(locked, Locked::Mint { .. }) {
                continue;
            }
            counts.add(t);
            if (start..end).contains(&t) {
                // A draw of 0 is exactly the cooldown: the breaker without jitter.
                let draw = if jittered { fastrand::f64() } else { 0.0 };
                host.breaker
                    .record_failure(at(t), &failure, host.entry.as_ref(), policy, draw);
            } else {
                host.entry = Some(entry_for(
                    minted(t, lifetime_ms),
                    at(t),
                    fastrand::f64(),
                    policy,
                ));
                host.breaker.record_success();
                if waiting == Some(true) {
                    recovered_at = recovered_at.max(t);
                    waiting = Some(false);
                }
            }
        }
    }
    Outage {
        during: counts.busiest(start, end),
        after: counts.busiest(end, span),
        over_quota: counts.over_quota(),
        recovered_after: Duration::from_secs(((recovered_at - end) / 1000) as u64),
    }
}

fn main() {
    let hosts = env_or("FLEET_HOSTS", 10_000) as usize;
    let call_every_ms = env_or("FLEET_CALL_EVERY", 120) as i64 * 1000;
    fastrand::seed(env_or("FLEET_SEED", 7));
    let defaults = Policy::default();

    println!("1. Cold start: {hosts} hosts minted in the same second, 24 h; quota {QUOTA}/s");
    println!(
        "  {:<9} {:>22} {:>9} {:>7} {:>9}",
        "lifetime", "jitter", "busiest", "over", "mints/day"
    );
    for lifetime_h in [12.0, 1.0, 0.25] {
        let lifetime = Duration::from_secs_f64(lifetime_h * 3600.0);
        let none = Policy {
            jitter: 0.0,
            ..defaults.clone()
        };
        let wider = Policy {
            jitter: 0.1,
            ..defaults.clone()
        };
        for (label, policy, floor) in [
            ("0 (none)", &none, true),
            ("0.05, no 10 min floor", &defaults, false),
            ("0.05 + 10 min floor", &defaults, true),
            ("0.1 + 10 min floor", &wider, true),
        ] {
            let (busiest, over, per_day) = if floor {
                cold_start(hosts, lifetime, policy)
            } else {
                cold_start_without_floor(hosts, lifetime, policy)
            };
            println!(
                "  {:<9} {:>22} {:>9} {:>7} {:>9.1}",
                humantime::format_duration(lifetime).to_string(),
                label,
                busiest,
                over,
                per_day
            );
        }
    }

    let random_start = (fastrand::f64() * (DAY_MS - OUTAGE_MS) as f64) as i64;
    println!(
        "\n2. Outages of 30 min; {hosts} hosts, a caller every ~{} s each. Steady state: the outage starts {} into the day; started together: as the fleet's first refreshes fall due",
        call_every_ms / 1000,
        humantime::format_duration(Duration::from_secs((random_start / 1000) as u64))
    );
    println!(
        "  {:<9} {:<17} {:<16} {:>7} {:>7} {:>6} {:>13}",
        "lifetime", "fleet", "breaker cooldown", "during", "after", "over", "recovered in"
    );
    for lifetime_h in [1.0, 12.0] {
        let lifetime = Duration::from_secs_f64(lifetime_h * 3600.0);
        for (together, jittered) in [(false, false), (false, true), (true, false), (true, true)] {
            let start = if together {
                (lifetime.as_millis() as f64 * 0.6) as i64
            } else {
                random_start
            };
            let o = outage(
                hosts,
                lifetime,
                &defaults,
                call_every_ms,
                start,
                jittered,
                together,
            );
            println!(
                "  {:<9} {:<17} {:<16} {:>7} {:>7} {:>6} {:>13}",
                humantime::format_duration(lifetime).to_string(),
                if together {
                    "started together"
                } else {
                    "steady state"
                },
                if jittered { "jittered (now)" } else { "whole" },
                o.during,
                o.after,
                o.over_quota,
                humantime::format_duration(o.recovered_after).to_string()
            );
        }
    }
}

/// Cold start with the jitter fraction as configured (no widening to `MIN_JITTER_WINDOW`):
/// how the policy behaved before the floor.
fn cold_start_without_floor(
    hosts: usize,
    lifetime: Duration,
    policy: &Policy,
) -> (u32, usize, f64) {
    let lifetime_ms = lifetime.as_millis() as i64;
    let mut counts = Counts::new(DAY_MS);
    let mut mints = 0usize;
    for _ in 0..hosts {
        let mut issued = 0;
        loop {
            let jitter = fastrand::f64() * policy.jitter;
            let refresh_at =
                policy::refresh_point(at(issued), at(issued + lifetime_ms), jitter, policy)
                    .as_millis();
            if refresh_at > DAY_MS {
                break;
            }
            counts.add(refresh_at);
            mints += 1;
            issued = refresh_at;
        }
    }
    (
        counts.busiest(0, DAY_MS),
        counts.over_quota(),
        mints as f64 / hosts as f64,
    )
}
