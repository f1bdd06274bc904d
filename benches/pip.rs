//! `cargo bench --bench pip`: `pip download` of 20 packages from a local CodeArtifact-style
//! index that requires `aws:<token>`, with the token from ecluse-cred's `keyring` shim versus
//! `keyrings.codeartifact` (which calls GetAuthorizationToken through boto3), both against the
//! same loopback CodeArtifact fake. `keyrings.codeartifact` acts only on real CodeArtifact host
//! names, so every pip run happens in a private mount namespace whose `/etc/hosts` maps that
//! name to 127.0.0.1 (needs root or user namespaces, as `unshare -m`).
//!
//! Set up with `bash benches/setup-pip-keyrings.sh`; `BENCH_RUNS` (default 5).

mod support;

#[path = "../tests/common/cloud.rs"]
mod cloud;
#[path = "../tests/common/http.rs"]
#[allow(dead_code)]
mod http;
#[path = "../tests/common/registry.rs"]
#[allow(dead_code)]
mod registry;

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use http::FakeServer;
use registry::Credential;
use support::ms;

const HOST: &str = "my-domain-111122223333.d.codeartifact.us-west-2.amazonaws.com";
const TOKEN: &str = "ca-pip-bench-token";
const PACKAGES: usize = 20;

fn main() {
    let runs = support::env_or("BENCH_RUNS", 5);
    let venv = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench-pip-venv");
    if !venv.join(".complete").exists() {
        println!(
            "pip benchmark: not run; `bash benches/setup-pip-keyrings.sh` installs what it compares"
        );
        return;
    }
    if !Command::new("unshare")
        .args(["-m", "true"])
        .status()
        .is_ok_and(|s| s.success())
    {
        println!("pip benchmark: not run; it needs a private mount namespace (`unshare -m`, root)");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let wheels = build_wheels(dir.path());
    let codeartifact = cloud::Cloud::with_token(cloud::Wire::CodeArtifact, TOKEN);
    let index = simple_index(wheels);
    let index_url = format!("http://aws@{HOST}:{}/pypi/repo/simple/", index.port);

    let hosts = dir.path().join("hosts");
    fs::write(
        &hosts,
        format!(
            "127.0.0.1 {HOST}\n{}",
            fs::read_to_string("/etc/hosts").unwrap_or_default()
        ),
    )
    .unwrap();
    let config = dir.path().join("ecluse.toml");
    fs::write(
        &config,
        format!("[targets.ca]\nbackend = \"codeartifact\"\ndomain = \"my-domain\"\ndomain_owner = \"111122223333\"\nregion = \"us-west-2\"\nusername = \"aws\"\nurls = [\"http://{HOST}:{}/\"]\n", index.port),
    )
    .unwrap();
    let shims = dir.path().join("shims");
    fs::create_dir_all(&shims).unwrap();
    std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_ecluse-cred"), shims.join("keyring")).unwrap();
    let path = format!(
        "{}:{}",
        shims.display(),
        std::env::var("PATH").unwrap_or_default()
    );

    let pip = |provider: &str, run: usize| {
        let out_dir = dir.path().join(format!("out-{provider}-{run}"));
        let mut c = Command::new("unshare");
        c.args([
            "-m",
            "--propagation",
            "private",
            "sh",
            "-c",
            "mount --bind \"$HOSTS\" /etc/hosts && exec \"$@\"",
            "sh",
        ])
        .arg(venv.join("bin/python"))
        .args([
            "-m",
            "pip",
            "download",
            "--no-deps",
            "--no-cache-dir",
            "--disable-pip-version-check",
            "-d",
        ])
        .arg(&out_dir)
        .args([
            "--keyring-provider",
            provider,
            "--index-url",
            &index_url,
            "--trusted-host",
            HOST,
        ])
        .args((0..PACKAGES).map(|i| format!("pkg{i:02}")))
        .env("HOSTS", &hosts)
        .env("PATH", &path)
        .env("PIP_CONFIG_FILE", "/dev/null")
        .env_remove("PIP_FIND_LINKS")
        .env("AWS_ENDPOINT_URL_CODEARTIFACT", codeartifact.url())
        .env("AWS_ACCESS_KEY_ID", "AKIDBENCH")
        .env("AWS_SECRET_ACCESS_KEY", "bench-secret")
        .env("AWS_DEFAULT_REGION", "us-west-2")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_CONFIG_FILE", dir.path().join("none"))
        .env("AWS_SHARED_CREDENTIALS_FILE", dir.path().join("none"))
        .env("ECLUSE_CRED_CONFIG", &config)
        .env("ECLUSE_CRED_CACHE_DIR", dir.path().join("cache"))
        .env("HOME", dir.path())
        .env("NO_PROXY", format!("{HOST},127.0.0.1"));
        let started = Instant::now();
        let out = c.output().unwrap();
        let took = started.elapsed();
        assert!(
            out.status.success(),
            "pip ({provider}): {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(fs::read_dir(&out_dir).unwrap().count(), PACKAGES);
        took
    };

    println!(
        "pip download of {PACKAGES} packages from a CodeArtifact-style index, {runs} runs each"
    );
    // The median time and the number of token requests of `runs` pip runs with `provider`.
    let measure = |label: &str, provider: &str| {
        let before = codeartifact.count();
        let mut times: Vec<Duration> = (0..runs).map(|run| pip(provider, run)).collect();
        times.sort();
        let requests = codeartifact.count() - before;
        println!(
            "  {label:<26} median {:>6.0} ms  (min {:.0}, max {:.0});  GetAuthorizationToken requests: {requests}",
            ms(times[runs / 2]),
            ms(times[0]),
            ms(times[runs - 1])
        );
        (times[runs / 2], requests)
    };
    let (shim, theirs) = ("ecluse-cred keyring shim", "keyrings.codeartifact");
    let (shim_median, shim_requests) = measure(shim, "subprocess");
    let (their_median, their_requests) = measure(theirs, "import");
    println!(
        "  ecluse-cred takes {:.2}x the time of {theirs}",
        shim_median.as_secs_f64() / their_median.as_secs_f64()
    );
    // Without a request per run, keyrings.codeartifact did not supply the token it is timed for.
    assert!(
        their_requests >= runs,
        "{theirs} asked the token API {their_requests} times in {runs} runs: it was not measured"
    );
    let mut goals = support::Goals::default();
    goals.check(
        shim_requests == 1,
        format!("the {shim} asked the token API {shim_requests} times in {runs} runs (goal: once, then the cache)"),
    );
    goals.check(
        shim_median < their_median,
        format!(
            "the {shim} took {:.0} ms, {theirs} {:.0} ms (goal: less)",
            ms(shim_median),
            ms(their_median)
        ),
    );
    goals.finish();
}

/// 20 minimal wheels, made with Python's zipfile; their names and bytes.
fn build_wheels(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let script = r#"
import sys, zipfile, os
out, count = sys.argv[1], int(sys.argv[2])
for i in range(count):
    name = f"pkg{i:02d}"
    path = os.path.join(out, f"{name}-1.0-py3-none-any.whl")
    with zipfile.ZipFile(path, "w") as z:
        z.writestr(f"{name}/__init__.py", "")
        z.writestr(f"{name}-1.0.dist-info/METADATA", f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n")
        z.writestr(f"{name}-1.0.dist-info/WHEEL", "Wheel-Version: 1.0\nGenerator: bench\nRoot-Is-Purelib: true\nTag: py3-none-any\n")
        z.writestr(f"{name}-1.0.dist-info/RECORD", "")
"#;
    let out = dir.join("wheels");
    fs::create_dir_all(&out).unwrap();
    let status = Command::new("python3")
        .arg("-c")
        .arg(script)
        .arg(&out)
        .arg(PACKAGES.to_string())
        .status()
        .unwrap();
    assert!(status.success());
    let mut wheels: Vec<(String, Vec<u8>)> = fs::read_dir(&out)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            (
                e.file_name().to_string_lossy().into_owned(),
                fs::read(e.path()).unwrap(),
            )
        })
        .collect();
    wheels.sort();
    let _ = fs::set_permissions(&out, fs::Permissions::from_mode(0o755));
    wheels
}

/// A PEP 503 index under /pypi/repo/simple/ answering only `Basic aws:TOKEN`.
fn simple_index(wheels: Vec<(String, Vec<u8>)>) -> FakeServer {
    registry::start(
        Credential::Basic("aws"),
        || Some(TOKEN.to_owned()),
        registry::simple_index("/pypi/repo/simple/", "/pypi/repo/simple/files/", wheels),
    )
}
