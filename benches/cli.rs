//! `cargo bench --bench cli`: the numbers in docs/benchmarks.md, measured on one run.
//!
//! 1. The cached `token` path: median and p90 wall time of `ecluse-cred token` on a warm cache,
//!    as a ratio to `cat` of the same cache file. Both are spawned the same way (fork/exec,
//!    stdout to /dev/null), interleaved so that machine noise hits both alike.
//! 2. Peak RSS of one cached `token` call (wait4's ru_maxrss).
//! 3. N concurrent callers on a cold cache with a mint that takes 500 ms: wall time until all
//!    have printed a token, and how many mints happened (the policy says 1).
//!
//! The bench fails when a goal is missed (the ratio, the RSS, one mint and one token for all
//! the cold callers), and panics when the measurement cannot be right: a cached call that
//! minted or printed another token, a median of 0, a peak RSS no larger than `true`'s.
//!
//! `BENCH_RUNS` (default 400) and `BENCH_CALLERS` (default 100) change the sizes.

mod support;

#[path = "../tests/common/cache.rs"]
mod cache;

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use support::{Goals, env_or, ms, stats, time};

/// Goal for the cached path: its median wall time at most this multiple of `cat`'s.
const RATIO_GOAL: f64 = 0.8;
/// Goal for the peak RSS of one cached call, KiB.
const RSS_GOAL_KIB: i64 = 3 * 1024;
/// How long the mint takes in the cold-callers run, seconds: long enough that every caller
/// starts while the first one mints.
const SLOW_MINT_SECS: &str = "0.5";

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

    // Warm the cache; the cached call then prints the token the warming one minted.
    let warmed = token().stdout(Stdio::piped()).output().unwrap();
    assert!(warmed.status.success(), "the warming call failed");
    let cached = token().stdout(Stdio::piped()).output().unwrap();
    assert!(
        cached.status.success() && cached.stdout == warmed.stdout && !cached.stdout.is_empty(),
        "the cached call did not print the token the warming call minted"
    );
    let mut cat = Command::new("cat");
    cat.arg(cache::file(&cache, "demo")).stdout(Stdio::null());

    let mut ours = Vec::with_capacity(runs);
    let mut theirs = Vec::with_capacity(runs);
    for _ in 0..runs {
        ours.push(time(&mut token()));
        theirs.push(time(&mut cat));
    }
    let (m_ours, p90_ours) = stats(&mut ours);
    let (m_cat, p90_cat) = stats(&mut theirs);
    let rss_kib = peak_rss_kib(&mut token());
    let rss_floor_kib = peak_rss_kib(Command::new("true").stdout(Stdio::null()));
    assert!(
        rss_kib > rss_floor_kib,
        "peak RSS of a cached call ({rss_kib} KiB) is no more than that of `true` ({rss_floor_kib} KiB): it is the bench's, not the call's"
    );
    let instructions = callgrind_instructions(&token());
    let mints_before = count_lines(&bin.join("mints"));
    assert_eq!(
        mints_before, 1,
        "a cached call minted: the runs measured were not the cached path"
    );
    assert!(
        !m_ours.is_zero() && !m_cat.is_zero(),
        "a median of 0: nothing was measured"
    );
    let ratio = m_ours.as_secs_f64() / m_cat.as_secs_f64();

    // Cold cache, N callers at once, a 500 ms mint.
    fs::remove_file(cache::file(&cache, "demo")).unwrap();
    fs::write(bin.join("sleep"), SLOW_MINT_SECS).unwrap();
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
    println!("  ratio (median)   {ratio:.2}x   (goal: <= {RATIO_GOAL}x)");
    println!(
        "  peak RSS of one cached call: {rss_kib} KiB   (goal: <= {RSS_GOAL_KIB} KiB; `true`: {rss_floor_kib} KiB)"
    );
    match instructions {
        Some(n) => println!("  instructions of one cached call (callgrind, user space): {n}"),
        None => {
            println!("  instructions: skipped, valgrind is not installed (apt install valgrind)")
        }
    }
    println!(
        "{callers} concurrent cold callers, {SLOW_MINT_SECS} s mint: wall {:.3} s, mints {cold_mints}, succeeded {ok}/{callers}, distinct tokens {}",
        cold_wall.as_secs_f64(),
        distinct.len()
    );

    let mut goals = Goals::default();
    goals.check(
        ratio <= RATIO_GOAL,
        format!("cached `token` took {ratio:.2}x the time of `cat` (goal: <= {RATIO_GOAL}x)"),
    );
    goals.check(
        rss_kib <= RSS_GOAL_KIB,
        format!("peak RSS of a cached call {rss_kib} KiB (goal: <= {RSS_GOAL_KIB} KiB)"),
    );
    goals.check(
        cold_mints == 1,
        format!("{callers} cold callers caused {cold_mints} mints (goal: 1)"),
    );
    goals.check(
        ok == callers && distinct.len() == 1,
        format!(
            "{ok}/{callers} cold callers succeeded with {} distinct outputs (goal: all, 1 token)",
            distinct.len()
        ),
    );
    goals.finish();
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
///
/// A child's `ru_maxrss` is the largest of every memory image it had, and the first is the one
/// it was started with: std's `posix_spawn` starts it in the bench's own (vfork), so the figure
/// would be the bench's peak whenever that is larger. An (empty) `pre_exec` makes std fork
/// instead, whose copy holds only the bench's private pages; what is left of them shows as the
/// floor, the same measure of `true`, which the call must exceed to have been measured at all.
fn peak_rss_kib(cmd: &mut Command) -> i64 {
    // SAFETY: the hook does nothing, so it cannot break what is allowed between fork and exec.
    unsafe { cmd.pre_exec(|| Ok(())) };
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
