//! Mints as child processes, driven through the real binary: nothing a mint started outlives
//! it, whoever is killed; a mint is done when its program exits; the watchdog that guards a
//! mint holds nothing of the caller's; and the cloud mint helper gets its request on stdin,
//! never on a command line every local user can read.

mod common;

use std::fs;
use std::io::Read;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use common::http::{FakeServer, Request, Response};
use common::*;
use serde_json::json;

/// A `command` mint that starts a background `sleep` (its pid in `grandchild` next to the
/// script), then either answers at once (`answer`) or hangs.
fn lingering_mint(sb: &Sandbox, answer: bool, mint_timeout: &str) {
    let end = if answer {
        r#"printf '{"token":"tok-linger-%s","expires_in":3600}\n' "$$""#
    } else {
        "sleep 1000"
    };
    lingering_mint_ending(sb, end, mint_timeout);
}

/// A `command` mint that starts a background `sleep` (its pid in `grandchild` next to the
/// script), then runs the shell text `end`.
fn lingering_mint_ending(sb: &Sandbox, end: &str, mint_timeout: &str) {
    let script = sb.bin.join("linger");
    fs::write(
        &script,
        format!(
            "#!/bin/sh\nd=\"$(dirname \"$0\")\"\nsleep 1000 &\necho \"$!\" > \"$d/grandchild.tmp\" && mv \"$d/grandchild.tmp\" \"$d/grandchild\"\n{end}\n"
        ),
    )
    .unwrap();
    fs::set_permissions(&script, fs::Permissions::from_mode(0o755)).unwrap();
    sb.write_raw_config(&format!(
        "[targets.demo]\nbackend = \"command\"\ncommand = [\"{}\"]\n[targets.demo.policy]\nmint_timeout = \"{mint_timeout}\"\n",
        script.display()
    ));
}

/// The pid in `grandchild`, once the mint has written it.
fn grandchild(sb: &Sandbox) -> i32 {
    pid_written(sb, "grandchild")
}

/// The pid a mint wrote to `name` next to its script (written to `name.tmp`, then renamed).
fn pid_written(sb: &Sandbox, name: &str) -> i32 {
    let file = sb.bin.join(name);
    assert!(
        wait_until(PATIENCE, || file.exists()),
        "the mint did not write {name}"
    );
    fs::read_to_string(&file).unwrap().trim().parse().unwrap()
}

/// The command line of `pid`, arguments joined by spaces ("" once it is gone or a zombie).
fn cmdline(pid: i32) -> String {
    let raw = fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
    String::from_utf8_lossy(&raw)
        .replace('\0', " ")
        .trim()
        .to_owned()
}

/// The process group of `pid`.
fn group_of(pid: i32) -> Option<i32> {
    // After the command name in parentheses: state, parent's pid, process group.
    fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()?
        .rsplit(')')
        .next()?
        .split_whitespace()
        .nth(2)?
        .parse()
        .ok()
}

/// Whether `pid` runs (exists and is not a zombie).
fn alive(pid: i32) -> bool {
    fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|stat| {
        stat.rsplit(')')
            .next()
            .is_some_and(|rest| !rest.trim_start().starts_with('Z'))
    })
}

/// The processes whose parent is `parent`.
fn children(parent: i32) -> Vec<i32> {
    let mut found = Vec::new();
    for entry in fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<i32>() else {
            continue;
        };
        let Ok(stat) = fs::read_to_string(format!("/proc/{pid}/stat")) else {
            continue;
        };
        // After the command name in parentheses: state, then the parent's pid.
        let ppid = stat
            .rsplit(')')
            .next()
            .and_then(|rest| rest.split_whitespace().nth(1))
            .and_then(|p| p.parse::<i32>().ok());
        if ppid == Some(parent) {
            found.push(pid);
        }
    }
    found
}

/// The running processes (not this test) whose command line names a path in the sandbox: the
/// mint scripts and any ecluse-cred (or forked watchdog) run with its `--config`.
fn running_from(sb: &Sandbox) -> Vec<(i32, String)> {
    let dir = sb.dir.path().display().to_string();
    let me = std::process::id() as i32;
    let mut found = Vec::new();
    for entry in fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<i32>() else {
            continue;
        };
        let line = cmdline(pid);
        if pid != me && line.contains(&dir) && alive(pid) {
            found.push((pid, line));
        }
    }
    found
}

/// End a leftover `sleep` of a failed test (checking the pid still is one: pids are reused).
fn kill_sleep(pid: i32) {
    if cmdline(pid).starts_with("sleep") {
        // SAFETY: kill takes plain integers.
        unsafe { libc::kill(pid, libc::SIGKILL) };
    }
}

#[test]
fn a_caller_killed_with_kill_9_mid_mint_leaves_nothing_the_mint_started_running() {
    let sb = Sandbox::new("");
    // Far beyond the test's patience: only the caller's death can end the mint in time.
    lingering_mint(&sb, false, "1h");
    let mut caller = sb
        .cmd(&["token", "--target", "demo"])
        .stdout(Stdio::piped())
        .spawn();
    let grandchild = grandchild(&sb);
    assert!(
        wait_until(PATIENCE, || cmdline(grandchild).starts_with("sleep")),
        "{grandchild}: {}",
        cmdline(grandchild)
    );
    caller.kill().unwrap(); // SIGKILL
    caller.wait();
    let killed = Instant::now();
    // Nothing holds the caller's stdout: `$(ecluse-cred token)` returns.
    let mut stdout = caller.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut rest = Vec::new();
        let _ = tx.send(stdout.read_to_end(&mut rest).map(|_| rest));
    });
    let eof = rx.recv_timeout(PATIENCE);
    let gone = wait_until(PATIENCE, || !alive(grandchild));
    kill_sleep(grandchild);
    assert!(
        eof.is_ok_and(|r| r.is_ok_and(|rest| rest.is_empty())),
        "the caller's stdout stayed open after it was killed"
    );
    assert!(
        gone,
        "the mint's child outlived the killed caller by {:?}",
        killed.elapsed()
    );
    assert!(
        wait_until(PATIENCE, || running_from(&sb).is_empty()),
        "still running: {:?}",
        running_from(&sb)
    );
}

#[test]
fn a_mint_that_answered_and_exited_is_served_at_once_and_what_it_left_running_is_killed() {
    let sb = Sandbox::new("");
    // The leftover child (`sleep 1000`) and the mint_timeout both outlast the test's patience:
    // a caller that waited for either would not end within it.
    lingering_mint(&sb, true, "1h");
    let out = sb
        .cmd(&["token", "--target", "demo"])
        .output_within(PATIENCE);
    let grandchild = grandchild(&sb);
    let gone = wait_until(PATIENCE, || !alive(grandchild));
    kill_sleep(grandchild);
    let out = out.expect("the caller waited for the mint's leftover child");
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(sb.cached_token().starts_with("tok-linger-"));
    assert_eq!(stdout(&out), format!("{}\n", sb.cached_token()));
    assert!(gone, "the mint's leftover child is still running");
    assert!(
        running_from(&sb).is_empty(),
        "still running: {:?}",
        running_from(&sb)
    );
}

/// The hanging mint's `mint_timeout`: long enough for its family to start and write down its
/// pids (a few forks of `sh`, on a loaded machine too), short enough to wait out.
const HANG_TIMEOUT: Duration = Duration::from_secs(3);

#[test]
fn a_mint_that_hangs_is_killed_with_its_children_at_mint_timeout() {
    let sb = Sandbox::new("");
    // Beside the background `sleep` (`grandchild`): a subshell (`sub`) with a `sleep` of its
    // own (`deep`, a child's child), then the hang: the mint (`mint-pid`) becomes a `sleep` in
    // the foreground. Each writes its pid down once running, so the test need not catch the
    // family in the act before the timeout.
    lingering_mint_ending(
        &sb,
        r#"(sleep 1000 & echo "$!" > "$d/deep.tmp" && mv "$d/deep.tmp" "$d/deep"; wait) &
echo "$!" > "$d/sub.tmp" && mv "$d/sub.tmp" "$d/sub"
echo "$$" > "$d/mint-pid.tmp" && mv "$d/mint-pid.tmp" "$d/mint-pid"
exec sleep 1000"#,
        &format!("{}s", HANG_TIMEOUT.as_secs()),
    );
    let started = Instant::now();
    let out = sb
        .cmd(&["token", "--target", "demo"])
        .output_within(PATIENCE);
    let took = started.elapsed();
    let mint = pid_written(&sb, "mint-pid");
    let family = [
        pid_written(&sb, "sub"),
        grandchild(&sb),
        pid_written(&sb, "deep"),
    ];
    let gone = wait_until(PATIENCE, || {
        !alive(mint) && family.iter().all(|&p| !alive(p))
    });
    let left: Vec<(i32, String)> = family
        .iter()
        .chain([&mint])
        .filter(|&&p| alive(p))
        .map(|&p| (p, cmdline(p)))
        .collect();
    for &pid in family.iter().chain([&mint]) {
        kill_sleep(pid);
    }
    let out = out.expect("the hung mint was not killed");
    assert_eq!(out.status.code(), Some(75), "{}", stderr(&out));
    assert_eq!(
        stderr(&out),
        format!(
            "ecluse-cred: error: target `demo`: mint failed: `{}` did not finish within mint_timeout ({}s); killed it\n",
            sb.bin.join("linger").display(),
            HANG_TIMEOUT.as_secs()
        )
    );
    assert_eq!(stdout(&out), "");
    assert!(
        took >= HANG_TIMEOUT,
        "the caller gave up on the mint after {took:?}"
    );
    assert!(gone, "still running after the timeout: {left:?}");
    assert!(
        running_from(&sb).is_empty(),
        "still running: {:?}",
        running_from(&sb)
    );
}

#[test]
fn a_normal_mint_succeeds_and_its_watchdog_holds_nothing_of_the_callers_and_is_gone_after() {
    let sb = Sandbox::new(PATIENT_MINT);
    // The mint waits at the gate until the test has looked at its watchdog.
    sb.set("gate", "");
    let caller = sb
        .cmd(&["token", "--target", "demo"])
        .stdout(Stdio::piped())
        .spawn();
    let pid = caller.id() as i32;
    // While the mint waits: the caller's children are the mint and its watchdog, a fork of
    // the caller (same command line).
    let mint = sb.bin.join("mint").display().to_string();
    let mut watchdog = None;
    let mut seen = String::new();
    wait_until(PATIENCE, || {
        // Read each time: right after the spawn it may not be there yet.
        let own_line = cmdline(pid);
        let kids: Vec<(i32, String)> = children(pid).into_iter().map(|k| (k, cmdline(k))).collect();
        let forks: Vec<i32> = kids
            .iter()
            .filter(|(k, line)| !line.is_empty() && *line == own_line && alive(*k))
            .map(|(k, _)| *k)
            .collect();
        let mints = kids.iter().filter(|(_, line)| line.contains(&mint)).count();
        watchdog = (forks.len() == 1 && mints == 1).then(|| forks[0]);
        let now = format!("{kids:?}\n");
        if !seen.ends_with(&now) {
            seen.push_str(&now);
        }
        watchdog.is_some()
    });
    let Some(watchdog) = watchdog else {
        sb.unset("gate");
        let out = caller.wait_with_output();
        panic!(
            "no watchdog beside the mint; the caller's children: {seen}; it ended {:?}: {}",
            out.status,
            stderr(&out)
        );
    };
    // The leader of the mint's process group (whose id is the watchdog's pid), which it keeps
    // allocated.
    let mint_pid = children(pid)
        .into_iter()
        .find(|&k| cmdline(k).contains(&mint));
    let watchdog_group = group_of(watchdog);
    let mint_group = mint_pid.and_then(group_of);
    // Its descriptors once it has closed what the fork copied (bounded: one that keeps more
    // fails).
    let mut fds: Vec<String> = Vec::new();
    wait_until(PATIENCE, || {
        fds = fs::read_dir(format!("/proc/{watchdog}/fd"))
            .unwrap()
            .flatten()
            .filter_map(|e| fs::read_link(e.path()).ok())
            .map(|p| p.display().to_string())
            .collect();
        fds.len() <= 1
    });
    let callers_stdout = fs::read_link(format!("/proc/{pid}/fd/1"))
        .unwrap()
        .display()
        .to_string();
    sb.unset("gate");
    let out = caller.wait_with_output();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out), format!("{}\n", sb.cached_token()));
    assert!(
        fds.len() == 1 && fds[0].starts_with("pipe:") && fds[0] != callers_stdout,
        "the watchdog holds {fds:?} (the caller's stdout is {callers_stdout})"
    );
    assert!(
        mint_pid.is_some() && watchdog_group == Some(watchdog) && mint_group == Some(watchdog),
        "the watchdog ({watchdog}) is in group {watchdog_group:?}, the mint ({mint_pid:?}) in {mint_group:?}"
    );
    assert!(!alive(watchdog), "the watchdog outlived the mint");
    assert!(
        running_from(&sb).is_empty(),
        "still running: {:?}",
        running_from(&sb)
    );
}

#[test]
fn a_large_answer_is_served_whole_though_a_process_the_mint_left_holds_its_stdout() {
    let sb = Sandbox::new("");
    // 500 kB of valid JSON, many pipe-fulls: the last is still in the pipe when the mint exits,
    // and the background `sleep` keeps the pipe from ending. A cut answer is invalid JSON.
    lingering_mint_ending(
        &sb,
        r#"printf '{"token":"tok-large-%s","expires_in":3600,"padding":"' "$$"
head -c 500000 /dev/zero | tr '\0' x
printf '"}\n'"#,
        // Beyond the test's patience, as the leftover `sleep 1000` is: waiting for either fails.
        "1h",
    );
    let out = sb
        .cmd(&["token", "--target", "demo"])
        .output_within(PATIENCE);
    let grandchild = grandchild(&sb);
    let gone = wait_until(PATIENCE, || !alive(grandchild));
    kill_sleep(grandchild);
    let out = out.expect("the caller waited for the mint's leftover child");
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(sb.cached_token().starts_with("tok-large-"));
    assert_eq!(stdout(&out), format!("{}\n", sb.cached_token()));
    assert!(gone, "the mint's leftover child is still running");
}

/// `cmd` started with `SIGCHLD` ignored, as a parent that ignores it hands it down through exec.
fn ignoring_sigchld(cmd: &mut Command) {
    use std::os::unix::process::CommandExt;
    // SAFETY: signal(2) only changes a disposition; nothing is allocated between fork and exec.
    unsafe {
        cmd.pre_exec(|| {
            libc::signal(libc::SIGCHLD, libc::SIG_IGN);
            Ok(())
        });
    }
}

#[test]
fn a_caller_that_ignores_sigchld_gets_its_token_and_a_failing_mints_status() {
    // An ordinary mint, one rejected (exit 77) and one failing (exit 1): each exit status is
    // seen, not lost to the kernel's reaping.
    for (knob, code, says) in [
        (None, 0, None),
        (
            Some("reject"),
            77,
            Some(
                "exited with status 77: AccessDenied: not authorised (`ecluse-cred doctor --target demo` checks what the mint needs and says how to fix it)",
            ),
        ),
        (
            Some("fail"),
            75,
            Some("exited with status 1: backend is down"),
        ),
    ] {
        let sb = Sandbox::new("");
        if let Some(knob) = knob {
            sb.set(knob, "");
        }
        let out = sb
            .cmd(&["token", "--target", "demo"])
            .configure(ignoring_sigchld)
            .output();
        assert_eq!(out.status.code(), Some(code), "{knob:?}: {}", stderr(&out));
        let said = says.map_or(String::new(), |why| {
            format!(
                "ecluse-cred: error: target `demo`: mint failed: `{}` {why}\n",
                sb.bin.join("mint").display()
            )
        });
        assert_eq!(stderr(&out), said, "{knob:?}");
        if knob.is_none() {
            assert_eq!(stdout(&out), format!("{}\n", sb.cached_token()));
        }
    }
}

const SECRET_VAR: &str = "MINT_PROCESS_SECRET_VAR";
const SECRET: &str = "mint-process-client-secret";

#[test]
fn the_mint_helper_gets_its_request_on_stdin_not_on_its_command_line() {
    // A token endpoint that answers once the test has looked at the helper waiting for it
    // (the helper's deadline, the mint_timeout, is far beyond that).
    let looked = Arc::new(AtomicBool::new(false));
    let answer = Arc::clone(&looked);
    let fake = FakeServer::start(move |_: &Request| {
        wait_until(PATIENCE, || answer.load(Ordering::SeqCst));
        Response::json(
            200,
            json!({"access_token": "oa-tok-stdin", "token_type": "Bearer", "expires_in": 1800}),
        )
    });
    let sb = Sandbox::new("");
    let token_url = format!("{}/tenant/token", fake.url());
    sb.write_raw_config(&format!(
        "[targets.az]\nbackend = \"oauth2\"\ntoken_url = \"{token_url}\"\nclient_id = \"mint-process-client\"\nclient_secret_env = \"{SECRET_VAR}\"\nscope = \"api://xyz/.default\"\n[targets.az.policy]\nmint_timeout = \"1h\"\n"
    ));
    sb.secret(SECRET);
    let caller = sb
        .cmd(&["token", "--target", "az"])
        .env(SECRET_VAR, SECRET)
        .stdout(Stdio::piped())
        .spawn();
    let pid = caller.id() as i32;
    // The helper is found next to ecluse-cred (a package of its own, built beside it).
    let helper_path = Path::new(env!("CARGO_BIN_EXE_ecluse-cred"))
        .with_file_name("ecluse-cred-mint")
        .display()
        .to_string();
    let mut helper = None;
    let found = wait_until(PATIENCE, || {
        helper = children(pid)
            .into_iter()
            .map(cmdline)
            .find(|line| line.starts_with(&helper_path));
        helper.is_some() && fake.count() == 1
    });
    looked.store(true, Ordering::SeqCst);
    let out = caller.wait_with_output();
    assert!(found, "the mint helper was not seen running");
    let helper = helper.unwrap();
    assert_eq!(helper, helper_path, "the helper's command line");
    for part in [
        token_url.as_str(),
        &fake.port.to_string(),
        SECRET_VAR,
        "oauth2",
        "mint-process-client",
    ] {
        assert!(!helper.contains(part), "{helper:?} shows {part:?}");
    }
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out).trim_end(), "oa-tok-stdin");
}

/// The mint starts in a process group that its watchdog already leads: a sibling the caller
/// forked first (same parent), not the mint itself. So there is no moment, however short,
/// when the caller could be killed with the mint running and nobody left to end what the mint
/// starts (before, the mint led its own group and the watchdog was forked after it).
#[test]
fn the_mint_starts_in_a_group_its_watchdog_already_leads() {
    let sb = Sandbox::new("");
    let script = sb.bin.join("mint");
    let stat = |what: &str| format!("$(cut -d' ' -f{what} /proc/$$/stat)");
    fs::write(
        &script,
        format!(
            "#!/bin/sh\nd=\"$(dirname \"$0\")\"\npg={pgrp}\necho \"$$ {ppid} $pg $(cut -d' ' -f4 /proc/$pg/stat)\" > \"$d/groups\"\necho tok-grouped-$$ >> \"$d/issued\"\nprintf '{{\"token\":\"tok-grouped-%s\",\"expires_in\":3600}}' $$\n",
            pgrp = stat("5"),
            ppid = stat("4"),
        ),
    )
    .unwrap();
    let out = sb.token(&[]);
    assert!(out.status.success(), "{}", stderr(&out));
    let seen = fs::read_to_string(sb.bin.join("groups")).unwrap();
    let [mint, parent, group, leaders_parent]: [i32; 4] = seen
        .split_whitespace()
        .map(|n| n.parse().unwrap())
        .collect::<Vec<_>>()
        .try_into()
        .unwrap();
    assert_ne!(group, mint, "the mint leads its own group: {seen}");
    assert_eq!(
        leaders_parent, parent,
        "the group's leader is not the caller's other child (the watchdog): {seen}"
    );
}
