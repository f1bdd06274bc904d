//! The real binary against a scriptable `command` mint: caching, single-flight across
//! processes, background refresh, serve-stale, the breaker, and crash recovery.

mod common;

use std::time::{Duration, Instant};

use common::*;

#[test]
fn cold_cache_mints_once_and_writes_private_files() {
    let sb = Sandbox::new("");
    let out = sb.token(&[]);
    assert!(out.status.success(), "{}", stderr(&out));
    let token = stdout(&out);
    assert!(
        token.starts_with("tok-") && token.ends_with('\n'),
        "{token:?}"
    );
    assert_eq!(sb.mints(), 1);
    assert_eq!(mode(&sb.cache), 0o700);
    assert_eq!(mode(&sb.cache_file()), 0o600);
    assert_eq!(mode(&cache::lock_file(&sb.cache, "demo")), 0o600);
    assert_eq!(sb.cached_token(), token.trim_end());
}

#[test]
fn warm_call_does_not_mint() {
    let sb = Sandbox::new("");
    let first = stdout(&sb.token(&[]));
    let second = sb.token(&[]);
    assert!(second.status.success());
    assert_eq!(stdout(&second), first);
    assert_eq!(sb.mints(), 1);
}

#[test]
fn json_format_names_source_target_and_expiry() {
    let sb = Sandbox::new("");
    let minted: serde_json::Value =
        serde_json::from_slice(&sb.token(&["--format", "json"]).stdout).unwrap();
    let cached: serde_json::Value =
        serde_json::from_slice(&sb.token(&["--format", "json"]).stdout).unwrap();
    assert_eq!(minted["source"], "mint");
    assert_eq!(cached["source"], "cache");
    assert_eq!(cached["target"], "demo");
    assert_eq!(cached["token"], minted["token"]);
    let expires: jiff::Timestamp = cached["expires_at"].as_str().unwrap().parse().unwrap();
    let in_secs = expires.as_second() - now_ms() / 1000;
    assert!((3500..=3601).contains(&in_secs), "{in_secs}");
}

#[test]
fn concurrent_cold_callers_share_one_mint() {
    let sb = Sandbox::new(PATIENT_MINT);
    let outputs = concurrent_during_mint(&sb, 64, &[]);
    for out in &outputs {
        assert!(out.status.success(), "{}", stderr(out));
    }
    let first = stdout(&outputs[0]);
    assert!(
        outputs.iter().all(|o| stdout(o) == first),
        "all callers print the same token"
    );
    assert_eq!(sb.mints(), 1);
}

#[test]
fn due_token_is_served_at_once_while_one_background_refresh_mints() {
    let sb = Sandbox::new(PATIENT_MINT);
    let old = stdout(&sb.token(&[]));
    sb.shift_entry(-1_000, 3_000_000);
    // The refresh's mint waits at the gate until every caller has exited: a caller that waited
    // for it would never exit.
    sb.set("gate", "");
    let mut callers = spawn_callers(&sb, 16, &[]);
    let exited = all_exit_within(&mut callers, PATIENCE);
    let held = refreshing(&sb);
    sb.unset("gate");
    assert!(exited, "callers waited for the background mint");
    assert!(held, "no background refresh was running");
    for out in callers.into_iter().map(Running::wait_with_output) {
        assert!(out.status.success(), "{}", stderr(&out));
        assert_eq!(
            stdout(&out),
            old,
            "the still-valid token is served during the refresh"
        );
    }
    // Every background process was started by a caller, all of which have exited: once none
    // runs any more, every mint they would make is counted.
    assert!(
        wait_until(PATIENCE, || sb.cached_token() != old.trim_end()
            && !refreshing(&sb)),
        "the background refresh did not land, or did not end"
    );
    assert_eq!(sb.mints(), 2, "exactly one background mint");
    let new = stdout(&sb.token(&[]));
    assert_ne!(new, old);
    assert_eq!(sb.mints(), 2);
}

#[test]
fn a_target_whose_name_starts_with_a_dash_is_refreshed_in_the_background() {
    let sb = Sandbox::new("");
    sb.write_raw_config(&format!(
        "[targets.\"-d\"]\nbackend = \"command\"\ncommand = [\"{}\"]\n",
        sb.bin.join("mint").display()
    ));
    let first = sb.run(&["token", "--target=-d"]);
    assert!(first.status.success(), "{}", stderr(&first));
    let file = std::fs::read_dir(&sb.cache)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|x| x == "json"))
        .unwrap();
    cache::shift(&file, -1_000, 3_000_000);
    let due = sb.run(&["token", "--target=-d"]);
    assert_eq!(stdout(&due), stdout(&first), "{}", stderr(&due));
    // The background refresh is a child process given the name as an argument: `-d` must not
    // read as an option there.
    assert!(sb.wait_for_mints(2, PATIENCE), "the background refresh ran");
    assert!(wait_until(PATIENCE, || cache::token(&file)
        .is_some_and(|t| t != stdout(&first).trim_end())));
}

/// Run `script` in `sh` with `TOKEN` replaced by this sandbox's `token --target demo` call,
/// the cached token made due and the background refresh that call starts held at the mint's
/// gate until the script has ended (a sandbox with [`PATIENT_MINT`]): whether the script ended
/// within [`PATIENCE`] (it cannot if anything waits for that refresh), and its output. The
/// refresh is then let go, and must land.
fn shell_during_refresh(sb: &Sandbox, script: &str) -> (bool, std::process::Output) {
    let call = format!(
        "'{}' --config '{}' --cache-dir '{}' token --target demo",
        env!("CARGO_BIN_EXE_ecluse-cred"),
        sb.config.display(),
        sb.cache.display()
    );
    let old = sb.cached_token();
    sb.shift_entry(-1_000, 3_000_000);
    sb.set("gate", "");
    let mut running = sb
        .program(std::path::Path::new("sh"))
        .arg("-c")
        .arg(script.replace("TOKEN", &call))
        .spawn();
    let ended = wait_until(PATIENCE, || running.try_wait().unwrap().is_some());
    if !ended {
        let _ = running.kill();
    }
    sb.unset("gate");
    let out = running.wait_with_output();
    assert!(
        wait_until(PATIENCE, || sb.cached_token() != old),
        "the background refresh did not land"
    );
    (ended, out)
}

#[test]
fn command_substitution_is_not_held_open_by_the_background_refresh() {
    let sb = Sandbox::new(PATIENT_MINT);
    sb.token(&[]);
    let (ended, out) = shell_during_refresh(&sb, "t=$(TOKEN); echo \"got:$t\"");
    assert!(ended, "$(...) waited for the background mint");
    assert!(stdout(&out).starts_with("got:tok-"), "{}", stdout(&out));
    assert_eq!(sb.mints(), 2);
}

#[test]
fn no_background_refreshes_inline_and_prints_the_new_token() {
    let sb = Sandbox::new("");
    let old = stdout(&sb.token(&[]));
    sb.shift_entry(-1_000, 3_000_000);
    let out = sb.token(&["--no-background"]);
    assert!(out.status.success());
    assert_ne!(stdout(&out), old);
    assert_eq!(sb.mints(), 2);
    sb.shift_entry(-1_000, 3_000_000);
    let out = sb
        .cmd(&["token", "--target", "demo"])
        .env("ECLUSE_CRED_BACKGROUND", "0")
        .output();
    assert_eq!(sb.mints(), 3, "ECLUSE_CRED_BACKGROUND=0 refreshes inline");
    assert_eq!(stdout(&out).trim_end(), sb.cached_token());
}

#[test]
fn failing_mint_with_usable_token_serves_it_and_exits_0() {
    let sb = Sandbox::new("");
    let old = stdout(&sb.token(&[]));
    sb.shift_entry(-1_000, 3_000_000);
    sb.set("fail", "");
    let out = sb.token(&["--no-background", "-v"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out), old);
    let err = stderr(&out);
    assert!(err.contains("backend is down"), "{err}");
    assert!(!err.contains(old.trim_end()), "token on stderr: {err}");
    let status: serde_json::Value =
        serde_json::from_slice(&sb.run(&["status", "--format", "json"]).stdout).unwrap();
    assert_eq!(status["targets"][0]["breaker"]["consecutive_failures"], 1);
    assert!(
        status["targets"][0]["last_error"]
            .as_str()
            .unwrap()
            .contains("backend is down")
    );
}

#[test]
fn expired_token_and_failing_mint_exits_75_naming_the_failure() {
    let sb = Sandbox::new("");
    sb.token(&[]);
    sb.shift_entry(-2_000, -1_000);
    sb.set("fail", "");
    let out = sb.token(&[]);
    assert_eq!(out.status.code(), Some(75));
    assert!(stdout(&out).is_empty());
    assert_eq!(
        stderr(&out),
        format!(
            "ecluse-cred: error: target `demo`: mint failed: `{}` exited with status 1: backend is down\n",
            sb.bin.join("mint").display()
        )
    );
}

#[test]
fn rejected_credentials_exit_77() {
    let sb = Sandbox::new("");
    sb.set("reject", "");
    let out = sb.token(&[]);
    assert_eq!(out.status.code(), Some(77));
    assert_eq!(
        stderr(&out),
        format!(
            "ecluse-cred: error: target `demo`: mint failed: `{}` exited with status 77: AccessDenied: not authorised (`ecluse-cred doctor --target demo` checks what the mint needs and says how to fix it)\n",
            sb.bin.join("mint").display()
        )
    );
}

#[test]
fn breaker_opens_after_threshold_and_mint_is_not_called_during_cooldown() {
    let sb =
        Sandbox::new("[targets.demo.policy]\nbreaker_threshold = 2\nbreaker_cooldown = \"1h\"");
    sb.set("fail", "");
    for _ in 0..2 {
        assert_eq!(sb.token(&[]).status.code(), Some(75));
    }
    assert_eq!(sb.mints(), 2);
    for _ in 0..3 {
        let out = sb.token(&[]);
        assert_eq!(out.status.code(), Some(75));
        let err = stderr(&out);
        assert!(
            err.contains("circuit breaker open") && err.contains("backend is down"),
            "{err}"
        );
    }
    assert_eq!(sb.mints(), 2, "no mint while the breaker is open");
    let out = sb.run(&["refresh", "--target", "demo"]);
    assert_eq!(out.status.code(), Some(75));
    assert_eq!(
        sb.mints(),
        2,
        "refresh without --force mints nothing while open"
    );
    let status: serde_json::Value =
        serde_json::from_slice(&sb.run(&["status", "--format", "json"]).stdout).unwrap();
    assert_eq!(status["targets"][0]["breaker"]["state"], "open");
    assert!(status["targets"][0]["breaker"]["open_until"].is_string());

    sb.unset("fail");
    let out = sb.run(&["refresh", "--target", "demo", "--force"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(sb.mints(), 3);
    assert!(sb.token(&[]).status.success());
    assert_eq!(sb.mints(), 3);
}

#[test]
fn half_open_breaker_lets_one_probe_through_which_closes_it() {
    // A cooldown no run outlasts: it ends when the test moves the breaker's time, not before.
    let sb =
        Sandbox::new("[targets.demo.policy]\nbreaker_threshold = 1\nbreaker_cooldown = \"1h\"");
    sb.set("fail", "");
    assert_eq!(sb.token(&[]).status.code(), Some(75));
    let out = sb.token(&[]);
    assert_eq!(out.status.code(), Some(75));
    assert!(
        stderr(&out).contains("circuit breaker open"),
        "{}",
        stderr(&out)
    );
    assert_eq!(sb.mints(), 1);
    // The cooldown (and the breaker's jitter on it) has passed.
    cache::set_open_until(&sb.cache_file(), now_ms() - 1);
    sb.unset("fail");
    assert!(sb.token(&[]).status.success());
    assert_eq!(sb.mints(), 2);
    let status: serde_json::Value =
        serde_json::from_slice(&sb.run(&["status", "--format", "json"]).stdout).unwrap();
    assert_eq!(status["targets"][0]["breaker"]["state"], "closed");
}

#[test]
fn kill_9_mid_mint_leaves_no_stale_lock_and_no_corrupt_cache() {
    // A stale lock would be held by what the victim left running (its mint sleeps far past any
    // wait here): the next caller, which waits no longer than this for the lock, then fails.
    let sb = Sandbox::new("[targets.demo.policy]\nlock_timeout = \"1s\"");
    sb.token(&[]);
    let before = std::fs::read(sb.cache_file()).unwrap();
    sb.shift_entry(-2_000, -1_000);
    sb.set("sleep", "1000");
    let mut victim = sb.spawn_token();
    assert!(
        sb.wait_for_mints(2, PATIENCE),
        "the victim started its mint"
    );
    victim.kill().unwrap(); // SIGKILL while holding the lock
    victim.wait();
    // The mint dies with the process that started it (PR_SET_PDEATHSIG).
    let mint_pid = std::fs::read_to_string(sb.bin.join("mints"))
        .unwrap()
        .lines()
        .nth(1)
        .unwrap()
        .trim()
        .to_owned();
    let gone = || {
        std::fs::read_to_string(format!("/proc/{mint_pid}/stat")).map_or(true, |stat| {
            stat.rsplit(')')
                .next()
                .is_some_and(|rest| rest.trim_start().starts_with('Z'))
        })
    };
    assert!(wait_until(PATIENCE, gone), "the mint outlived its caller");
    sb.unset("sleep");
    let out = sb.token(&[]);
    assert!(
        out.status.success(),
        "the lock was left held: {}",
        stderr(&out)
    );
    assert_eq!(sb.mints(), 3);
    assert_ne!(std::fs::read(sb.cache_file()).unwrap(), before);
    kill_orphan_mints(&sb);
}

/// The killed caller's mint (`sleep 1000`) lives on in its own process group: end that group,
/// after checking that the pid still is that mint (pids are reused).
fn kill_orphan_mints(sb: &Sandbox) {
    let pids = std::fs::read_to_string(sb.bin.join("mints")).unwrap_or_default();
    let mint = sb.bin.join("mint").display().to_string();
    for pid in pids
        .lines()
        .filter_map(|p| p.trim().parse::<i32>().ok())
        .filter(|&p| p > 1)
    {
        let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
        // SAFETY: getpgid and kill take plain integers.
        if String::from_utf8_lossy(&cmdline).contains(&mint) && unsafe { libc::getpgid(pid) } == pid
        {
            unsafe { libc::kill(-pid, libc::SIGKILL) };
        }
    }
}

#[test]
fn garbage_cache_file_is_recovered() {
    let sb = Sandbox::new("");
    std::fs::create_dir(&sb.cache).unwrap();
    std::fs::set_permissions(
        &sb.cache,
        std::os::unix::fs::PermissionsExt::from_mode(0o700),
    )
    .unwrap();
    for garbage in [
        &b"\x00\xffnot json"[..],
        b"{\"version\": 1, \"target\": \"demo\"",
        b"{\"version\": 999}",
    ] {
        cache::write_bytes(&sb.cache_file(), garbage);
        let out = sb.token(&["-v"]);
        assert!(out.status.success(), "{}", stderr(&out));
        assert!(
            stderr(&out).contains("ignoring cache file"),
            "{}",
            stderr(&out)
        );
        assert_eq!(sb.cached_token(), stdout(&out).trim_end());
    }
    assert_eq!(sb.mints(), 3);
}

#[test]
fn a_cache_file_past_the_size_limit_or_with_a_token_no_mint_would_give_is_not_served() {
    let sb = Sandbox::new("");
    let first = stdout(&sb.token(&[]));
    let valid = std::fs::read(sb.cache_file()).unwrap();
    // Valid JSON padded past the 1 MiB limit: not cut at the limit and read as valid.
    let mut oversized = valid.clone();
    oversized.resize(valid.len() + (1 << 20), b' ');
    let with = |change: fn(&mut cache::Entry)| {
        let mut v: serde_json::Value = serde_json::from_slice(&valid).unwrap();
        let mut e = cache::entry_of(&v).unwrap();
        change(&mut e);
        cache::set_entry_of(&mut v, &e);
        serde_json::to_vec(&v).unwrap()
    };
    let doctored = [
        oversized,
        with(|e| e.token = "tok\n\u{1b}[2Jevil".into()),
        with(|e| e.expires_at = i64::MAX),
    ];
    for (i, bytes) in doctored.iter().enumerate() {
        cache::write_bytes(&sb.cache_file(), bytes);
        let out = sb.token(&["-v"]);
        assert!(out.status.success(), "{}", stderr(&out));
        assert!(
            stderr(&out).contains("ignoring cache file"),
            "{}",
            stderr(&out)
        );
        assert_ne!(stdout(&out), first);
        assert!(!stdout(&out).contains("evil"));
        assert_eq!(sb.mints(), i + 2);
    }
}

#[test]
fn changing_a_targets_backend_settings_never_serves_the_old_token() {
    let sb = Sandbox::new("");
    let old = stdout(&sb.token(&[]));
    let mint = sb.bin.join("mint");
    std::fs::write(
        &sb.config,
        format!(
            "[targets.demo]\nbackend = \"command\"\ncommand = [\"{}\", \"--other\"]\n",
            mint.display()
        ),
    )
    .unwrap();
    let new = stdout(&sb.token(&[]));
    assert_ne!(new, old);
    assert_eq!(sb.mints(), 2);
}

#[test]
fn min_ttl_longer_than_the_cached_token_mints_and_longer_than_any_token_exits_75() {
    let sb = Sandbox::new("");
    sb.token(&[]);
    sb.shift_entry(-1_000_000, 600_000); // 10 minutes left
    let out = sb.token(&["--min-ttl", "20m"]);
    assert!(out.status.success());
    assert_eq!(sb.mints(), 2);
    let out = sb.token(&["--min-ttl", "2h"]);
    assert_eq!(out.status.code(), Some(75));
    assert!(stderr(&out).contains("--min-ttl"), "{}", stderr(&out));
}

#[test]
fn mint_that_hangs_is_killed_at_mint_timeout() {
    let sb = Sandbox::new("[targets.demo.policy]\nmint_timeout = \"1s\"");
    // A mint that would outlast any patience: only its killing ends the call in time.
    sb.set("sleep", "1000");
    let started = Instant::now();
    let out = sb
        .cmd(&["token", "--target", "demo"])
        .output_within(PATIENCE);
    let took = started.elapsed();
    kill_orphan_mints(&sb);
    let out = out.expect("the hung mint was not killed");
    assert!(took >= Duration::from_secs(1), "{took:?}");
    assert_eq!(out.status.code(), Some(75));
    assert_eq!(
        stderr(&out),
        format!(
            "ecluse-cred: error: target `demo`: mint failed: `{}` did not finish within mint_timeout (1s); killed it\n",
            sb.bin.join("mint").display()
        )
    );
}

#[test]
fn short_lived_tokens_are_not_minted_on_every_call() {
    // The defaults' case, a 20 s token under a 30 s min_ttl and a 5 min floor, scaled up 60
    // times: both clamps of the policy are still needed (unclamped, the token would be due, and
    // unusable, from the start), but the refresh point lies at least a quarter of the lifetime,
    // 5 minutes, after the mint (the floor is clamped to half the lifetime and the jitter moves
    // the point at most halfway back to the mint: policy::refresh_point), so that five calls
    // cannot reach it however slow the machine.
    let sb = Sandbox::new("[targets.demo.policy]\nmin_ttl = \"30m\"\nfloor = \"5h\"");
    sb.set("ttl", "1200");
    for _ in 0..5 {
        assert!(sb.token(&["--no-background"]).status.success());
    }
    assert_eq!(sb.mints(), 1);
}

#[test]
fn a_caller_that_waits_past_lock_timeout_exits_75() {
    let sb = Sandbox::new(&format!("{PATIENT_MINT}\nlock_timeout = \"1s\""));
    // The holder's mint waits at the gate until the second caller is done: the lock is never
    // free for it, and only its own lock_timeout can end its wait.
    sb.set("gate", "");
    let mut holder = sb.spawn_token();
    assert!(
        sb.wait_for_mints(1, PATIENCE),
        "the first caller is minting"
    );
    let started = Instant::now();
    let out = sb
        .cmd(&["token", "--target", "demo"])
        .output_within(PATIENCE);
    let waited = started.elapsed();
    sb.unset("gate");
    let out = out.expect("the second caller waited for the holder");
    assert_eq!(out.status.code(), Some(75), "{}", stderr(&out));
    assert!(stderr(&out).contains("lock_timeout"), "{}", stderr(&out));
    assert!(waited >= Duration::from_secs(1), "{waited:?}");
    assert!(holder.wait().success());
    assert_eq!(sb.mints(), 1);
}

#[test]
fn the_command_backend_runs_no_shell() {
    let sb = Sandbox::new("");
    // Through a shell, `$(id -u)` would run and `;` would end the command.
    sb.write_raw_config(
        "[targets.demo]\nbackend = \"command\"\ncommand = [\"/bin/echo\", \"{\\\"token\\\":\\\"a$(id -u);b\\\",\\\"expires_in\\\":60}\"]\n",
    );
    sb.allow_token_in(&sb.config); // the token is written into the command itself
    let out = sb.token(&[]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out), "a$(id -u);b\n");
}

#[test]
fn an_entry_issued_in_the_future_is_replaced_once() {
    let sb = Sandbox::new("");
    let first = stdout(&sb.token(&[]));
    // The clock was a day ahead when this was minted (or has since jumped back a day).
    let day = 24 * 3_600_000;
    cache::edit_entry(&sb.cache_file(), |e| {
        e.issued_at += day;
        e.refresh_at += day;
        e.expires_at += day;
    });
    let second = stdout(&sb.token(&[]));
    assert_ne!(second, first, "the untrustworthy entry is not served");
    assert_eq!(
        stdout(&sb.token(&[])),
        second,
        "and the new one is, without another mint"
    );
    assert_eq!(sb.mints(), 2);
}

#[test]
fn a_mint_printing_binary_or_huge_output_fails_fast_with_a_clear_error() {
    let sb = Sandbox::new("");
    for (script, says) in [
        ("head -c 3000000 /dev/urandom", "more than"),
        ("head -c 200 /dev/urandom | tr -d '{'", "invalid JSON"),
        ("exit 0", "printed nothing"),
    ] {
        // Failing fast: long before the (patient) mint_timeout.
        sb.write_raw_config(&format!(
            "[targets.demo]\nbackend = \"command\"\ncommand = [\"sh\", \"-c\", \"{script}\"]\n{PATIENT_MINT}\n"
        ));
        let out = sb
            .cmd(&["token", "--target", "demo"])
            .output_within(PATIENCE)
            .unwrap_or_else(|| panic!("{script}: waited for the mint_timeout"));
        assert_eq!(out.status.code(), Some(75), "{script}: {}", stderr(&out));
        assert!(stderr(&out).contains(says), "{script}: {}", stderr(&out));
        assert!(stdout(&out).is_empty());
    }
}

/// Start `n` `token --target demo ARGS` callers at once (each has started when this returns).
fn spawn_callers<'a>(sb: &'a Sandbox, n: usize, args: &[&str]) -> Vec<Running<'a>> {
    (0..n)
        .map(|_| {
            let mut all = vec!["token", "--target", "demo"];
            all.extend_from_slice(args);
            sb.cmd(&all).stdout(std::process::Stdio::piped()).spawn()
        })
        .collect()
}

/// `n` concurrent `token --target demo ARGS` callers; their outputs.
fn concurrent_with(sb: &Sandbox, n: usize, args: &[&str]) -> Vec<std::process::Output> {
    outputs(spawn_callers(sb, n, args))
}

/// `n` concurrent `token --target demo ARGS` callers, all of them started while the first
/// mint waits at the gate (so however slowly they start, they overlap it); their outputs.
/// For a sandbox with [`PATIENT_MINT`].
fn concurrent_during_mint(sb: &Sandbox, n: usize, args: &[&str]) -> Vec<std::process::Output> {
    sb.set("gate", "");
    let callers = spawn_callers(sb, n, args);
    let minting = sb.wait_for_mints(1, PATIENCE);
    sb.unset("gate");
    assert!(minting, "no caller started a mint");
    outputs(callers)
}

fn outputs(callers: Vec<Running<'_>>) -> Vec<std::process::Output> {
    callers.into_iter().map(Running::wait_with_output).collect()
}

/// Whether every one of `callers` has exited within `limit`.
fn all_exit_within(callers: &mut [Running<'_>], limit: Duration) -> bool {
    wait_until(limit, || {
        callers.iter_mut().all(|c| c.try_wait().unwrap().is_some())
    })
}

/// Whether a `background-refresh` of this sandbox runs (a zombie's command line is empty: it
/// does not count).
fn refreshing(sb: &Sandbox) -> bool {
    use std::os::unix::ffi::OsStrExt;
    let dir = sb.dir.path().as_os_str().as_bytes();
    std::fs::read_dir("/proc").unwrap().flatten().any(|e| {
        let cmdline = std::fs::read(e.path().join("cmdline")).unwrap_or_default();
        let args: Vec<&[u8]> = cmdline.split(|&b| b == 0).collect();
        args.contains(&&b"background-refresh"[..]) && args.iter().any(|a| a.starts_with(dir))
    })
}

#[test]
fn concurrent_callers_asking_for_more_than_any_token_lives_cause_one_mint_not_one_each() {
    let sb = Sandbox::new(PATIENT_MINT);
    // Cold cache: one mint (1 h tokens), and every caller learns it cannot have 2 h.
    let outs = concurrent_during_mint(&sb, 8, &["--min-ttl", "2h"]);
    for out in &outs {
        assert_eq!(out.status.code(), Some(75), "{}", stderr(out));
        assert!(stderr(out).contains("--min-ttl"), "{}", stderr(out));
    }
    assert_eq!(sb.mints(), 1);
    // The good token it left is neither replaced nor re-minted for them.
    let cached = sb.cached_token();
    let outs = concurrent_with(&sb, 8, &["--min-ttl", "2h"]);
    assert!(outs.iter().all(|o| o.status.code() == Some(75)));
    assert_eq!(sb.mints(), 1);
    assert_eq!(sb.cached_token(), cached);
    assert_eq!(stdout(&sb.token(&[])), format!("{cached}\n"));
}

#[test]
fn the_background_refresh_holds_none_of_the_callers_descriptors() {
    let sb = Sandbox::new(PATIENT_MINT);
    sb.token(&[]);
    // fd 3 is the pipe to `cat`: if the detached refresher (or its mint) kept it, `cat` would
    // wait for the held mint.
    let (ended, out) = shell_during_refresh(&sb, "( ( TOKEN 3>&1 >/dev/null ) | cat )");
    assert!(ended, "the pipeline waited for the background mint");
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(sb.mints(), 2);
}

#[test]
fn a_background_refresh_started_for_other_settings_refuses_to_mint() {
    let sb = Sandbox::new("");
    let out = sb.run(&[
        "background-refresh",
        "--target",
        "demo",
        "--settings-hash",
        "000000000000000000000000",
    ]);
    assert_eq!(out.status.code(), Some(78), "{}", stderr(&out));
    assert!(stderr(&out).contains("not the target"), "{}", stderr(&out));
    assert_eq!(sb.mints(), 0);
}

#[test]
fn a_fifo_in_place_of_the_cache_file_is_refused_without_hanging() {
    let sb = Sandbox::new("");
    sb.token(&[]);
    std::fs::remove_file(sb.cache_file()).unwrap();
    mkfifo(&sb.cache_file());
    for args in [
        &["token", "--target", "demo"][..],
        &["status"],
        &["status", "--target", "demo"],
        &["refresh", "--target", "demo"],
    ] {
        let out = sb
            .cmd(args)
            .output_within(PATIENCE)
            .unwrap_or_else(|| panic!("{args:?} hung on a FIFO"));
        assert_eq!(out.status.code(), Some(78), "{args:?}: {}", stderr(&out));
        assert!(
            stderr(&out).contains("not a regular file"),
            "{args:?}: {}",
            stderr(&out)
        );
    }
    assert_eq!(sb.mints(), 1);
}

#[test]
fn clear_removes_only_its_own_targets_files_and_finds_a_derived_host_in_any_case() {
    let sb = Sandbox::new("");
    sb.token(&[]);
    let host = "dom-111122223333.d.codeartifact.us-east-1.amazonaws.com";
    // Temporary files (`.NAME.RANDOM.tmp`) of demo's, of `demo.x`'s, one that only looks like
    // one; the cache files of `demo.x` and of the host.
    let files = [
        sb.cache.join(".demo.0123456789abcdef.tmp"),
        sb.cache.join(".demo.x.0123456789abcdef.tmp"),
        sb.cache.join(".demo.0123456789abcdef.tmp.keep"),
        sb.cache_file_of("demo.x"),
        sb.cache_file_of(host),
    ];
    for file in &files {
        cache::write_bytes(file, b"{}");
    }
    let out = sb.run(&["clear", "--target", "demo"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(!sb.cache_file().exists() && !files[0].exists());
    assert!(
        files[1].exists() && files[2].exists() && files[3].exists(),
        "another target's files"
    );
    let out = sb.run(&["clear", "--target", &host.to_ascii_uppercase()]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains(&format!("cleared `{host}`")),
        "{}",
        stdout(&out)
    );
    assert!(!files[4].exists());
}

#[test]
fn a_mint_printing_milliseconds_or_an_absurd_expiry_is_refused_saying_why() {
    let sb = Sandbox::new("");
    let now = now_ms();
    for (response, why) in [
        (
            format!("{{\"token\":\"abcdef\",\"expires_at\":{now}}}"),
            "milliseconds",
        ),
        (
            "{\"token\":\"abcdef\",\"expires_in\":1e300}".to_owned(),
            "milliseconds",
        ),
        (
            format!("{{\"token\":\"abcdef\",\"expires_in\":{}}}", 400 * 86_400),
            "366 days",
        ),
    ] {
        sb.write_raw_config(&format!(
            "[targets.demo]\nbackend = \"command\"\ncommand = [\"/bin/echo\", {}]\n",
            serde_json::to_string(&response).unwrap()
        ));
        let out = sb.token(&[]);
        assert_eq!(out.status.code(), Some(75), "{response}: {}", stderr(&out));
        assert!(stderr(&out).contains(why), "{response}: {}", stderr(&out));
        assert!(cache::entry(&sb.cache_file()).is_none());
    }
}

#[test]
fn sequential_callers_asking_just_under_the_lifetime_cause_one_mint() {
    let sb = Sandbox::new("");
    sb.set("ttl", "600");
    sb.set("sleep", "0.3");
    for _ in 0..4 {
        let out = sb.token(&["--min-ttl", "9m 59s 900ms"]);
        assert_eq!(out.status.code(), Some(75), "{}", stderr(&out));
    }
    assert_eq!(sb.mints(), 1);
    // `refresh` still mints on demand.
    assert!(sb.run(&["refresh", "--target", "demo"]).status.success());
    assert_eq!(sb.mints(), 2);
}

#[test]
fn a_short_token_from_an_ordinary_mint_does_not_refuse_the_next_min_ttl_caller_without_a_try() {
    let sb = Sandbox::new("");
    sb.set("ttl", "40");
    assert!(sb.token(&[]).status.success());
    // The backend now gives 2 h tokens: the first caller that needs 10 minutes mints.
    sb.set("ttl", "7200");
    let out = sb.token(&["--min-ttl", "10m"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(sb.mints(), 2);
    assert_eq!(stdout(&out), format!("{}\n", sb.cached_token()));
}

/// The leak audit sees every way a test runs a program through the sandbox, not only the runs
/// a test passes on: a minted token a program prints to stderr fails the sandbox's drop.
#[test]
fn every_run_the_sandbox_starts_is_audited_for_a_token_on_stderr() {
    type Style = fn(&Sandbox, &str);
    fn sh<'a>(sb: &'a Sandbox, script: &str) -> Run<'a> {
        let mut run = sb.program(std::path::Path::new("sh"));
        run.args(["-c", script]);
        run
    }
    let styles: [(&str, Style); 6] = [
        ("output", |sb, s| {
            let _ = sh(sb, s).output();
        }),
        ("status", |sb, s| {
            let _ = sh(sb, s).status();
        }),
        ("output_within", |sb, s| {
            let _ = sh(sb, s).output_within(Duration::from_secs(30));
        }),
        ("output_with_stdin", |sb, s| {
            // `sh` reads the script from stdin.
            let _ = sb.program(std::path::Path::new("sh")).output_with_stdin(s);
        }),
        ("spawn, wait", |sb, s| {
            let _ = sh(sb, s).spawn().wait();
        }),
        ("spawn, wait_with_output", |sb, s| {
            let _ = sh(sb, s).spawn().wait_with_output();
        }),
    ];
    for (style, run) in styles {
        for leaks in [false, true] {
            let sb = Sandbox::new("");
            let token = stdout(&sb.token(&[])).trim_end().to_owned();
            let shown = if leaks {
                token.as_str()
            } else {
                "nothing-secret"
            };
            run(&sb, &format!("echo \"error: {shown}\" >&2"));
            let audit = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| drop(sb)));
            let said = audit
                .as_ref()
                .err()
                .and_then(|p| p.downcast_ref::<&str>().copied());
            if leaks {
                assert_eq!(said, Some("a token appeared on stderr"), "{style}");
            } else {
                assert!(audit.is_ok(), "{style}: {said:?}");
            }
        }
    }
}
