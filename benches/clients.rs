//! `cargo bench --bench clients`: `cargo fetch` from a local authenticated sparse registry,
//! with ecluse-cred as cargo's credential provider versus AWS's documented recipe,
//! `cargo:token-from-stdout` running `aws codeartifact get-authorization-token`; both get their
//! token from the same loopback CodeArtifact fake. See docs/benchmarks.md.
//!
//! Each run deletes cargo's downloaded registry data and lock file, then times `cargo fetch`,
//! which must fetch the index and the crate with the token. `BENCH_RUNS` (default 10).
//!
//! ecluse-cred must ask the token API once in all its runs (the first mints, the rest use the
//! cache) and the recipe at least once per run (else the bench panics: it would not be
//! measuring what it prints); the bench fails if ecluse-cred is not the faster.

mod support;

#[path = "../tests/common/cargo_registry.rs"]
#[allow(dead_code)]
mod cargo_registry;
#[path = "../tests/common/cloud.rs"]
mod cloud;
#[path = "../tests/common/http.rs"]
#[allow(dead_code)]
mod http;
#[path = "../tests/common/registry.rs"]
#[allow(dead_code)]
mod registry;

use std::fs;
use std::path::Path;
use std::time::{Duration, Instant};

use cargo_registry::{cargo, consumer, package_crate, registry};
use support::{aws_cli, aws_env, ms, stats};

const TOKEN: &str = "ca-bench-token";

fn main() {
    let runs = support::env_or("BENCH_RUNS", 10);
    let dir = tempfile::tempdir().unwrap();
    let codeartifact = cloud::Cloud::with_token(cloud::Wire::CodeArtifact, TOKEN);
    let package_home = dir.path().join("package-home");
    fs::create_dir_all(&package_home).unwrap();
    let crate_bytes = package_crate(dir.path(), &package_home);
    let registry = registry(|| Some(TOKEN.to_owned()), crate_bytes);
    let app = consumer(dir.path());
    let config = dir.path().join("ecluse.toml");
    fs::write(
        &config,
        "[targets.ca]\nbackend = \"codeartifact\"\ndomain = \"my-domain\"\ndomain_owner = \"111122223333\"\nregion = \"us-west-2\"\n",
    )
    .unwrap();
    let mut aws_env = aws_env(&codeartifact.url(), dir.path());
    aws_env.extend([
        ("ECLUSE_CRED_CONFIG", config.display().to_string()),
        (
            "ECLUSE_CRED_CACHE_DIR",
            dir.path().join("cache").display().to_string(),
        ),
    ]);
    let index = format!("sparse+{}/index/", registry.url());

    let ecluse = format!(
        "[\"{}\", \"--target\", \"ca\"]",
        env!("CARGO_BIN_EXE_ecluse-cred")
    );
    let requests_before_ours = codeartifact.count();
    let mut ours = time_fetches(
        dir.path(),
        "home-ecluse",
        &index,
        &ecluse,
        &app,
        &aws_env,
        runs,
    );
    assert_eq!(
        codeartifact.count() - requests_before_ours,
        1,
        "ecluse-cred asked the token API other than once: the later runs were not cached"
    );
    let first = ours.remove(0);
    let mut goals = support::Goals::default();
    println!("cargo fetch from an authenticated sparse registry, {runs} runs each");
    println!(
        "  ecluse-cred provider: first run (mints) {:.0} ms; later runs median {:.0} ms",
        ms(first),
        ms(stats(&mut ours).0)
    );
    match aws_cli() {
        None => {
            println!("  AWS CLI recipe: not measured; run benches/setup-awscli.sh (or set AWS_CLI)")
        }
        Some(aws) => {
            let recipe = format!(
                "[\"cargo:token-from-stdout\", \"{}\", \"codeartifact\", \"get-authorization-token\", \"--domain\", \"my-domain\", \"--domain-owner\", \"111122223333\", \"--query\", \"authorizationToken\", \"--output\", \"text\", \"--endpoint-url\", \"{}\"]",
                aws.display(),
                codeartifact.url()
            );
            let requests_before_theirs = codeartifact.count();
            let mut theirs = time_fetches(
                dir.path(),
                "home-aws",
                &index,
                &recipe,
                &app,
                &aws_env,
                runs,
            );
            assert!(
                codeartifact.count() - requests_before_theirs >= runs,
                "the AWS CLI recipe asked the token API fewer times than it ran: it was not measured"
            );
            let (a, b) = (stats(&mut ours).0, stats(&mut theirs).0);
            let ratio = a.as_secs_f64() / b.as_secs_f64();
            println!("  token-from-stdout + AWS CLI: median {:.0} ms", ms(b));
            println!("  ratio: ecluse-cred takes {ratio:.2}x the time of the AWS CLI recipe");
            goals.check(
                ratio < 1.0,
                format!("ecluse-cred took {ratio:.2}x the time of the AWS CLI recipe (goal: < 1x)"),
            );
        }
    }
    goals.finish();
}

/// Time `runs` cold `cargo fetch`es with `provider` as the registry's credential provider.
fn time_fetches(
    dir: &Path,
    home: &str,
    index: &str,
    provider: &str,
    app: &Path,
    env: &[(&str, String)],
    runs: usize,
) -> Vec<Duration> {
    let home = dir.join(home);
    fs::create_dir_all(&home).unwrap();
    fs::write(
        home.join("config.toml"),
        format!("[registries.ecluse]\nindex = \"{index}\"\ncredential-provider = {provider}\n"),
    )
    .unwrap();
    (0..runs)
        .map(|_| {
            let _ = fs::remove_dir_all(home.join("registry"));
            let _ = fs::remove_file(app.join("Cargo.lock"));
            let started = Instant::now();
            let out = cargo(&home)
                .arg("fetch")
                .current_dir(app)
                .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
                .output()
                .unwrap();
            let took = started.elapsed();
            assert!(
                out.status.success(),
                "cargo fetch: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            took
        })
        .collect()
}
