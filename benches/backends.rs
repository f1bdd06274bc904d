//! `cargo bench --bench backends`: per-backend cold mint overhead, and the cached path side by
//! side with the AWS CLI, against the same loopback fakes the tests use. See
//! docs/benchmarks.md for the method; `benches/setup-awscli.sh` installs the AWS CLI.
//!
//! Cold mint overhead: for each backend, `clear` (untimed) then `token` (timed), `BENCH_RUNS`
//! times (default 20); the fake records how long it took to answer each request, and the
//! overhead is the median wall time minus the median service time: process start, config,
//! runtime and SDK set-up, signing, HTTP, and the cache write.
//!
//! The cached runs must make no request and every AWS CLI run one (else the bench panics: it
//! would not be measuring what it prints), and the bench fails if the cached path is not faster
//! than the AWS CLI.

mod support;

#[path = "../tests/common/cloud.rs"]
mod cloud;
#[path = "../tests/common/http.rs"]
#[allow(dead_code)]
mod http;

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::Duration;

use cloud::{Cloud, Wire};
use serde_json::json;
use support::{aws_cli, aws_env, ms, stats, time};

fn main() {
    let runs = support::env_or("BENCH_RUNS", 20);
    let dir = tempfile::tempdir().unwrap();
    let ca = Cloud::start(Wire::CodeArtifact, "ca-bench-");
    let google = Cloud::start(Wire::Google, "ya29.bench-");
    let oauth = Cloud::start(Wire::OAuth2, "oauth-bench-");

    let mint = dir.path().join("mint");
    fs::write(
        &mint,
        // Each call leaves a line in `mint.calls`: the command row's count of mints.
        "#!/bin/sh\necho >> \"$0.calls\"\necho '{\"token\":\"cmd-token\",\"expires_in\":3600}'\n",
    )
    .unwrap();
    fs::set_permissions(&mint, fs::Permissions::from_mode(0o755)).unwrap();
    let adc = dir.path().join("adc.json");
    let adc_json = json!({"type": "authorized_user", "client_id": "c", "client_secret": "s",
        "refresh_token": "r", "token_uri": format!("{}/token", google.url())});
    fs::write(&adc, adc_json.to_string()).unwrap();
    let config = dir.path().join("config.toml");
    fs::write(
        &config,
        format!(
            "[targets.command]\nbackend = \"command\"\ncommand = [\"{}\"]\n\
             [targets.codeartifact]\nbackend = \"codeartifact\"\ndomain = \"my-domain\"\ndomain_owner = \"111122223333\"\nregion = \"us-west-2\"\n\
             [targets.gcp]\nbackend = \"gcp\"\n\
             [targets.oauth2]\nbackend = \"oauth2\"\ntoken_url = \"{}/token\"\nclient_id = \"c\"\nclient_secret_env = \"BENCH_SECRET\"\n",
            mint.display(),
            oauth.url()
        ),
    )
    .unwrap();
    let cache = dir.path().join("cache");
    let exe = PathBuf::from(env!("CARGO_BIN_EXE_ecluse-cred"));
    // The cloud mints run in the helper, a package of its own: `cargo bench` does not build it.
    let helper = exe.with_file_name("ecluse-cred-mint");
    assert!(
        helper.exists(),
        "{} is missing: run `cargo build --release -p ecluse-cred-mint` first",
        helper.display()
    );
    let mut env = aws_env(&ca.url(), dir.path());
    env.extend([
        ("GOOGLE_APPLICATION_CREDENTIALS", adc.display().to_string()),
        ("BENCH_SECRET", "s".into()),
        ("HOME", dir.path().display().to_string()),
    ]);
    let ours = |args: &[&str]| {
        let mut c = Command::new(&exe);
        c.arg("--config")
            .arg(&config)
            .arg("--cache-dir")
            .arg(&cache)
            .args(args);
        c.envs(env.iter().map(|(k, v)| (*k, v.as_str())))
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        c
    };

    println!("cold mint, {runs} runs per backend (clear untimed, then token)");
    println!(
        "  {:<13} {:>12} {:>12} {:>16} {:>14}",
        "backend", "median ms", "p90 ms", "fake service ms", "overhead ms"
    );
    for (target, fake) in [
        ("command", None),
        ("codeartifact", Some(&ca)),
        ("gcp", Some(&google)),
        ("oauth2", Some(&oauth)),
    ] {
        let before = fake.map_or(0, |f| f.service_times().len());
        let mints_before = command_mints(&mint);
        let mut walls = Vec::new();
        for _ in 0..runs {
            assert!(
                ours(&["clear", "--target", target])
                    .status()
                    .unwrap()
                    .success()
            );
            walls.push(time(&mut ours(&["token", "--target", target])));
        }
        let mut service: Vec<Duration> =
            fake.map_or(Vec::new(), |f| f.service_times()[before..].to_vec());
        if let Some(f) = fake {
            assert_eq!(
                f.service_times().len() - before,
                runs,
                "one request per cold mint"
            );
        } else {
            assert_eq!(
                command_mints(&mint) - mints_before,
                runs,
                "one mint per cold `token`"
            );
        }
        let (median, p90) = stats(&mut walls);
        let service = if service.is_empty() {
            Duration::ZERO
        } else {
            stats(&mut service).0
        };
        println!(
            "  {:<13} {:>12.2} {:>12.2} {:>16.3} {:>14.2}",
            target,
            ms(median),
            ms(p90),
            ms(service),
            ms(median.saturating_sub(service))
        );
    }

    // Cached path vs the AWS CLI asking the same fake every time.
    let cached_runs = runs * 5;
    let requests_before_cached = ca.count();
    let mut cached: Vec<Duration> = (0..cached_runs)
        .map(|_| time(&mut ours(&["token", "--target", "codeartifact"])))
        .collect();
    let (cached_median, _) = stats(&mut cached);
    assert_eq!(
        ca.count(),
        requests_before_cached,
        "a cached `token` asked the token API: the runs measured were not the cached path"
    );
    assert!(
        !cached_median.is_zero(),
        "a median of 0: nothing was measured"
    );
    let mut goals = support::Goals::default();
    println!(
        "cached `token --target codeartifact`: median {:.2} ms over {cached_runs} runs",
        ms(cached_median)
    );
    match aws_cli() {
        None => println!(
            "AWS CLI: not found; run benches/setup-awscli.sh (or set AWS_CLI) to measure it side by side"
        ),
        Some(aws) => {
            let requests_before_cli = ca.count();
            let mut cli: Vec<Duration> = (0..runs)
                .map(|_| {
                    let mut c = Command::new(&aws);
                    c.args([
                        "codeartifact",
                        "get-authorization-token",
                        "--domain",
                        "my-domain",
                        "--domain-owner",
                        "111122223333",
                    ])
                    .args([
                        "--query",
                        "authorizationToken",
                        "--output",
                        "text",
                        "--endpoint-url",
                        &ca.url(),
                    ])
                    .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
                    .stdout(Stdio::null());
                    time(&mut c)
                })
                .collect();
            let (cli_median, _) = stats(&mut cli);
            assert_eq!(
                ca.count() - requests_before_cli,
                runs,
                "one GetAuthorizationToken request per AWS CLI run: the CLI did not ask the fake"
            );
            let faster = cli_median.as_secs_f64() / cached_median.as_secs_f64();
            println!(
                "`aws codeartifact get-authorization-token` ({}): median {:.2} ms over {runs} runs; ecluse-cred cached is {faster:.0}x faster",
                aws.display(),
                ms(cli_median),
            );
            goals.check(
                faster > 1.0,
                format!("cached `token` is {faster:.2}x as fast as the AWS CLI (goal: faster)"),
            );
        }
    }
    goals.finish();
}

/// How many times the `command` backend's mint script at `mint` has run.
fn command_mints(mint: &std::path::Path) -> usize {
    fs::read_to_string(mint.with_extension("calls")).map_or(0, |s| s.lines().count())
}
