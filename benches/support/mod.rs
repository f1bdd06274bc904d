//! What the benchmark programs share: timing, statistics, the AWS CLI's location, and an
//! environment that points the AWS SDK (and CLI) at a loopback fake with nothing of the
//! developer's own AWS setup.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

/// `NAME` from the environment as a number, else `default`.
pub fn env_or(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// The goals a bench prints, checked: every missed one is reported (all of them, not only the
/// first), then the bench exits non-zero. A measurement that cannot be right (nothing measured,
/// a mint where none may happen) is not a missed goal: the bench panics on it at once.
#[derive(Default)]
pub struct Goals {
    missed: Vec<String>,
}

impl Goals {
    /// Records `goal` (what was measured, against what) as missed unless `met`.
    pub fn check(&mut self, met: bool, goal: impl Into<String>) {
        if !met {
            self.missed.push(goal.into());
        }
    }

    /// Reports the missed goals and exits 1 if there are any.
    pub fn finish(self) {
        if self.missed.is_empty() {
            return;
        }
        for goal in &self.missed {
            eprintln!("goal missed: {goal}");
        }
        std::process::exit(1);
    }
}

/// Wall time of one run of `cmd`, which must succeed.
pub fn time(cmd: &mut Command) -> Duration {
    let start = Instant::now();
    let status = cmd.status().unwrap();
    let took = start.elapsed();
    assert!(status.success(), "{cmd:?} failed");
    took
}

/// Median and 90th percentile.
pub fn stats(samples: &mut [Duration]) -> (Duration, Duration) {
    samples.sort();
    (samples[samples.len() / 2], samples[samples.len() * 9 / 10])
}

pub fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// The AWS CLI: `AWS_CLI`, else the one `benches/setup-awscli.sh` installs.
pub fn aws_cli() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("AWS_CLI") {
        return Some(PathBuf::from(p));
    }
    let venv = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench-venv/bin/aws");
    venv.exists().then_some(venv)
}

/// Environment for the AWS SDK and CLI: the CodeArtifact endpoint at `endpoint`, test keys,
/// no profile files (under `dir`), no instance metadata.
pub fn aws_env(endpoint: &str, dir: &Path) -> Vec<(&'static str, String)> {
    let none = dir.join("no-aws-config").display().to_string();
    vec![
        ("AWS_ENDPOINT_URL_CODEARTIFACT", endpoint.to_owned()),
        ("AWS_ACCESS_KEY_ID", "AKIDBENCH".to_owned()),
        ("AWS_SECRET_ACCESS_KEY", "bench-secret".to_owned()),
        ("AWS_DEFAULT_REGION", "us-west-2".to_owned()),
        ("AWS_REGION", "us-west-2".to_owned()),
        ("AWS_EC2_METADATA_DISABLED", "true".to_owned()),
        ("AWS_CONFIG_FILE", none.clone()),
        ("AWS_SHARED_CREDENTIALS_FILE", none),
        ("NO_PROXY", "127.0.0.1".to_owned()),
    ]
}
