//! Disk trouble: the cache directory on a full filesystem, and on a read-only one. Each case
//! runs in a private mount namespace (`unshare -m`) with a small tmpfs mounted on the cache
//! directory, which bites even for root (as CI runs); where that cannot be set up, the test
//! skips by the one policy of `tests/common/tools.rs`. A usable token is still served; a freshly minted one is still printed when it
//! cannot be cached, with a warning that says why.

mod common;

use common::tools::{self, Tool};
use common::*;

/// Run `script` under `unshare -m` (a private mount namespace), or `None` when this machine
/// does not allow it (the test is then reported skipped, or fails where the run requires it).
fn in_mount_namespace(sb: &Sandbox, script: &str) -> Option<std::process::Output> {
    let unshare = tools::need(Tool::MountNamespace)?;
    let out = sb
        .program(&unshare)
        .args(["-m", "--propagation", "private", "sh", "-c", script])
        .env("BIN", env!("CARGO_BIN_EXE_ecluse-cred"))
        .env("CACHE", &sb.cache)
        .output();
    Some(out)
}

/// Mount a small tmpfs on $CACHE, owned and usable by us only.
const MOUNT: &str = r#"set -u
mkdir -p "$CACHE" && mount -t tmpfs -o size=64k,mode=0700 tmpfs "$CACHE" || exit 99
tok() { "$BIN" token --target demo --no-background "$@" 2>"$CACHE.err"; echo "exit=$?"; cat "$CACHE.err"; }
"#;

/// Shell text that makes the cached 1 h token unusable for the next caller without waiting
/// for it to expire: the mint's tokens now live 2 h, and `tok_anew` asks for 90 minutes.
fn longer_tokens_from_now_on(sb: &Sandbox) -> String {
    format!(
        "echo 7200 > '{}'\ntok_anew() {{ tok --min-ttl 90m; }}",
        sb.bin.join("ttl").display()
    )
}

fn sections(out: &std::process::Output) -> Vec<String> {
    stdout(out).split("---\n").map(str::to_owned).collect()
}

#[test]
fn a_full_filesystem_still_serves_the_cached_token_and_prints_a_new_one() {
    let sb = Sandbox::new("");
    let anew = longer_tokens_from_now_on(&sb);
    let script = format!(
        r#"{MOUNT}
tok; echo ---
# Fill the filesystem.
dd if=/dev/zero of="$CACHE/filler" bs=4k 2>/dev/null; df -k "$CACHE" | tail -1; echo ---
tok; echo ---
{anew}
tok_anew
"#
    );
    let Some(out) = in_mount_namespace(&sb, &script) else {
        return;
    };
    assert_ne!(
        out.status.code(),
        Some(99),
        "mount failed: {}",
        stderr(&out)
    );
    let s = sections(&out);
    assert!(
        s[0].starts_with("tok-") && s[0].contains("exit=0"),
        "{}",
        s[0]
    );
    let first = s[0].lines().next().unwrap().to_owned();
    // Full, but the token is usable: served from the cache.
    assert!(
        s[2].starts_with(&first) && s[2].contains("exit=0"),
        "{}",
        s[2]
    );
    // Unusable for that caller: a new token is minted and printed though it cannot be cached;
    // the warning says why.
    let last = &s[3];
    assert!(last.contains("exit=0"), "{last}");
    assert!(
        last.starts_with("tok-") && !last.starts_with(&first),
        "{last}"
    );
    assert!(last.contains("No space left on device"), "{last}");
    assert!(
        !last.lines().skip(1).any(|l| l.contains("tok-")),
        "a token on stderr: {last}"
    );
    assert_eq!(sb.mints(), 2);
}

#[test]
fn a_read_only_cache_directory_still_serves_and_mints() {
    let sb = Sandbox::new("");
    let anew = longer_tokens_from_now_on(&sb);
    let script = format!(
        r#"{MOUNT}
tok; echo ---
mount -o remount,ro "$CACHE" || exit 98
tok; echo ---
{anew}
tok_anew
"#
    );
    let Some(out) = in_mount_namespace(&sb, &script) else {
        return;
    };
    assert!(
        !matches!(out.status.code(), Some(98 | 99)),
        "mount failed: {}",
        stderr(&out)
    );
    let s = sections(&out);
    let first = s[0].lines().next().unwrap().to_owned();
    assert!(first.starts_with("tok-"), "{}", s[0]);
    assert!(
        s[1].starts_with(&first) && s[1].contains("exit=0"),
        "{}",
        s[1]
    );
    let last = &s[2];
    assert!(
        last.starts_with("tok-") && !last.starts_with(&first) && last.contains("exit=0"),
        "{last}"
    );
    assert!(last.contains("Read-only file system"), "{last}");
    assert_eq!(sb.mints(), 2, "the usable token was served from the cache");
}

#[test]
fn a_refresh_whose_new_token_cannot_be_saved_exits_74_and_the_cache_keeps_the_old_one() {
    let sb = Sandbox::new("");
    let script = format!(
        r#"{MOUNT}
tok; echo ---
mount -o remount,ro "$CACHE" || exit 98
"$BIN" refresh --target demo 2>"$CACHE.err"; echo "exit=$?"; cat "$CACHE.err"; echo ---
tok; echo ---
mount -o remount,rw "$CACHE" || exit 98
"$BIN" refresh --target demo 2>"$CACHE.err"; echo "exit=$?"; cat "$CACHE.err"
"#
    );
    let Some(out) = in_mount_namespace(&sb, &script) else {
        return;
    };
    assert!(
        !matches!(out.status.code(), Some(98 | 99)),
        "mount failed: {}",
        stderr(&out)
    );
    let s = sections(&out);
    let first = s[0].lines().next().unwrap().to_owned();
    assert!(first.starts_with("tok-"), "{}", s[0]);
    let failed = &s[1];
    assert!(failed.contains("exit=74"), "{failed}");
    assert!(
        failed.contains("could not save") && failed.contains("Read-only file system"),
        "{failed}"
    );
    assert!(!failed.contains("tok-"), "a token in the output: {failed}");
    // The cache still holds (and serves) the old token.
    assert!(
        s[2].starts_with(&first) && s[2].contains("exit=0"),
        "{}",
        s[2]
    );
    // The ordinary case next to it: a refresh that can save succeeds.
    assert!(
        s[3].contains("exit=0") && s[3].contains("refreshed `demo`"),
        "{}",
        s[3]
    );
    assert_eq!(sb.mints(), 3);
}
