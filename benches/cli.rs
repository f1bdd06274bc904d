//! `cargo bench --bench cli`: the numbers in docs/benchmarks.md, measured on one run.
//!
//! 1. The cached `token` path: median and p90 wall time of `ecluse-cred token` on a warm cache,
//!    as a ratio to `cat` of the same cache file. Both are spawned the same way (fork/exec,
//!    stdout to /dev/null), interleaved so that machine noise hits both alike.
//! 2. Peak RSS of one cached `token` call (wait4's ru_maxrss).
//! 3. N concurrent callers on a cold cache with a mint that takes 500 ms: wall time until all
//!    have printed a token, and how many mints happened (the policy says 1).
//!
//! `BENCH_RUNS` (default 400) and `BENCH_CALLERS` (default 100) change the sizes.

mod support;

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use support::{env_or, ms, stats, time};

const MINT: &str = r#"#!/bin/sh
d="$(dirname "$0")"
echo "$$" >> "$d/mints"
if [ -f "$d/sleep" ]; then sleep "$(cat "$d/sleep")"; fi
printf '{"token":"tok-%s","expires_in":43200}\n' "$$"
"#;

fn main() {
    let runs: usize = env_or("BENCH_RUNS", 400);
    let callers: usize = env_or("BENCH_CALLERS", 100);
    let dir = tempfile::tempdir().unwrap();
    let bin = dir.path().join("bin");
    fs::create_dir(&bin).unwrap();
    fs::write(bin.join("mint"), MINT).unwrap();
    fs::set_permissions(bin.join("mint"), fs::Permissions::from_mode(0o755)).unwrap();
    let config = dir.path().join("config.toml");
    fs::write(
        &config,
        format!(
            "[targets.demo]\nbackend = \"command\"\ncommand = [\"{}\"]\n",
            bin.join("mint").display()
        ),
    )
    .unwrap();
    let cache = dir.path().join("cache");
    let exe = PathBuf::from(env!("CARGO_BIN_EXE_ecluse-cred"));
    let token = || {
        // The call as clients make it: the config and cache from the environment.
        let mut c = Command::new(&exe);
        c.env("ECLUSE_CRED_CONFIG", &config)
            .env("ECLUSE_CRED_CACHE_DIR", &cache)
            .args(["token", "--target", "demo"]);
        c.stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        c
    };

    // Warm the cache.
    assert!(token().status().unwrap().success());
    let mut cat = Command::new("cat");
    cat.arg(cache.join("demo.json")).stdout(Stdio::null());

    let mut ours = Vec::with_capacity(runs);
    let mut theirs = Vec::with_capacity(runs);
    for _ in 0..runs {
        ours.push(time(&mut token()));
        theirs.push(time(&mut cat));
    }
    let (m_ours, p90_ours) = stats(&mut ours);
    let (m_cat, p90_cat) = stats(&mut theirs);
    let rss_kib = peak_rss_kib(&mut token());
    let instructions = callgrind_instructions(&token());
    let mints_before = count_lines(&bin.join("mints"));
    assert_eq!(mints_before, 1, "the warm runs did not mint");

    // Cold cache, N callers at once, a 500 ms mint.
    fs::remove_file(cache.join("demo.json")).unwrap();
    fs::write(bin.join("sleep"), "0.5").unwrap();
    let started = Instant::now();
    let children: Vec<_> = (0..callers)
        .map(|_| token().stdout(Stdio::piped()).spawn().unwrap())
        .collect();
    let outputs: Vec<_> = children
        .into_iter()
        .map(|c| c.wait_with_output().unwrap())
        .collect();
    let cold_wall = started.elapsed();
    let ok = outputs.iter().filter(|o| o.status.success()).count();
    let distinct: std::collections::BTreeSet<_> =
        outputs.iter().map(|o| o.stdout.clone()).collect();
    let cold_mints = count_lines(&bin.join("mints")) - mints_before;

    println!("ecluse-cred cached-path benchmark ({runs} runs each, interleaved)");
    println!(
        "  cached `token`   median {:>8.3} ms   p90 {:>8.3} ms",
        ms(m_ours),
        ms(p90_ours)
    );
    println!(
        "  `cat` cache file median {:>8.3} ms   p90 {:>8.3} ms",
        ms(m_cat),
        ms(p90_cat)
    );
    println!(
        "  ratio (median)   {:.2}x   (goal: <= 0.8x)",
        m_ours.as_secs_f64() / m_cat.as_secs_f64()
    );
    println!("  peak RSS of one cached call: {rss_kib} KiB   (goal: <= 3072 KiB)");
    match instructions {
        Some(n) => println!("  instructions of one cached call (callgrind, user space): {n}"),
        None => {
            println!("  instructions: skipped, valgrind is not installed (apt install valgrind)")
        }
    }
    println!(
        "{callers} concurrent cold callers, 500 ms mint: wall {:.3} s, mints {cold_mints}, succeeded {ok}/{callers}, distinct tokens {}",
        cold_wall.as_secs_f64(),
        distinct.len()
    );
}

/// User-space instructions of one run of `cmd` under callgrind (the loader's and libc's
/// included), which, unlike wall time on a shared machine, is the same from run to run.
fn callgrind_instructions(cmd: &Command) -> Option<u64> {
    let mut run = Command::new("valgrind");
    run.args(["--tool=callgrind", "--callgrind-out-file=/dev/null", "--"])
        .arg(cmd.get_program())
        .args(cmd.get_args())
        .envs(cmd.get_envs().filter_map(|(k, v)| Some((k, v?))))
        .stdout(Stdio::null());
    let out = run.output().ok()?;
    let text = String::from_utf8_lossy(&out.stderr);
    let line = text.lines().find(|l| l.contains("Collected :"))?;
    line.rsplit(':')
        .next()?
        .trim()
        .replace(',', "")
        .parse()
        .ok()
}

fn count_lines(path: &Path) -> usize {
    fs::read_to_string(path).map_or(0, |s| s.lines().count())
}

/// Peak resident set size of one run of `cmd`, from wait4(2).
fn peak_rss_kib(cmd: &mut Command) -> i64 {
    let child = cmd.spawn().unwrap();
    let pid = child.id() as libc::pid_t;
    let mut status = 0;
    // SAFETY: rusage is plain old data that wait4 fills in; the child is reaped here, not by std.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let reaped = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    assert_eq!(reaped, pid);
    std::mem::forget(child);
    usage.ru_maxrss
}
