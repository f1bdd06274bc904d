//! `cargo bench --bench fleet`: a fleet of hosts whose tokens were all minted in the same
//! second, simulated for 24 hours with the policy's own `refresh_point`: how many refresh mints
//! land in each second, against CodeArtifact's GetAuthorizationToken quota of 40 requests per
//! second per region. Each host redraws its jitter at every mint, as ecluse-cred does. No
//! process or network: this is the arithmetic of `refresh_at` and `jitter` at fleet scale.
//!
//! `FLEET_HOSTS` (default 10000) sets the fleet size.

use std::collections::HashMap;
use std::time::Duration;

use ecluse_cred::policy::{Policy, refresh_point};

/// CodeArtifact's GetAuthorizationToken quota, requests per second per region.
const QUOTA: usize = 40;
const DAY_MS: i64 = 24 * 3600 * 1000;

/// Per-second refresh mints over a day: (busiest second, seconds over quota).
fn simulate(hosts: usize, lifetime: Duration, policy: &Policy) -> (usize, usize) {
    let lifetime_ms = lifetime.as_millis() as i64;
    let mut per_second: HashMap<i64, usize> = HashMap::new();
    for _ in 0..hosts {
        let mut issued = 0i64;
        loop {
            let jitter = fastrand::f64() * policy.jitter;
            let at = refresh_point(issued, issued + lifetime_ms, jitter, policy);
            if at > DAY_MS {
                break;
            }
            *per_second.entry(at / 1000).or_default() += 1;
            issued = at;
        }
    }
    let busiest = per_second.values().copied().max().unwrap_or(0);
    let over = per_second.values().filter(|&&n| n > QUOTA).count();
    (busiest, over)
}

fn main() {
    let hosts: usize = std::env::var("FLEET_HOSTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000);
    println!("{hosts} hosts minted in the same second, 24 h simulated; quota {QUOTA}/s");
    println!(
        "  {:<9} {:>10} {:>7} {:>16} {:>20}",
        "lifetime", "refresh_at", "jitter", "busiest second", "seconds over quota"
    );
    for lifetime_h in [12.0, 1.0, 0.25] {
        for jitter in [0.0, 0.01, 0.05, 0.1, 0.2] {
            let policy = Policy {
                refresh_at: 0.8,
                jitter,
                ..Policy::default()
            };
            let lifetime = Duration::from_secs_f64(lifetime_h * 3600.0);
            let (busiest, over) = simulate(hosts, lifetime, &policy);
            println!(
                "  {:<9} {:>10} {:>7} {:>16} {:>20}",
                humantime::format_duration(lifetime).to_string(),
                policy.refresh_at,
                jitter,
                busiest,
                over
            );
        }
    }
}
