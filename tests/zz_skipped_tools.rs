//! The last of the serving package's test binaries (cargo runs them in name order): it lists,
//! straight to the terminal, the real-client tests that skipped because a tool was missing,
//! and what to install — so a green `cargo test` on a thin machine says it was thin. On CI
//! (`.ci/run` sets `ECLUSE_TEST_REQUIRE`) a missing tool fails its test instead. Also proves
//! that policy on a probe test.

mod common;

use std::fs;
use std::io::Write;
use std::process::Command;
use std::time::SystemTime;

use common::tools;

/// This binary's own probe records are not skips of a real-client test.
const OWN_PREFIX: &str = "zz_skipped_tools--";

#[test]
fn skipped_real_client_tests_are_listed_at_the_end_of_the_run() {
    let mut lines = Vec::new();
    for entry in fs::read_dir(tools::records_dir())
        .into_iter()
        .flatten()
        .flatten()
    {
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with(OWN_PREFIX) {
            continue;
        }
        let age = entry
            .metadata()
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| SystemTime::now().duration_since(t).ok())
            .map_or(String::new(), |d| {
                format!(" [{} min ago]", d.as_secs() / 60)
            });
        let text = fs::read_to_string(entry.path()).unwrap_or_default();
        lines.push(format!("  {}{age}\n", text.trim_end()));
    }
    if lines.is_empty() {
        return;
    }
    lines.sort();
    let mut report = format!(
        "\n{} real-client test(s) skipped when last run, for want of a tool (docs/testing.md):\n",
        lines.len()
    );
    report.extend(lines);
    // Straight to the terminal: libtest keeps a passing test's `eprintln!` to itself.
    let _ = std::io::stderr().write_all(report.as_bytes());
}

/// Run only by [`a_missing_tool_skips_visibly_unless_the_run_requires_it`].
#[test]
#[ignore = "a probe the policy test runs in a child process"]
fn probe_needs_a_missing_capability() {
    if !tools::skip_unless(false, "unwritable-dir", "the probe's hint") {
        return;
    }
    panic!("skip_unless said a missing capability is there");
}

#[test]
fn a_missing_tool_skips_visibly_unless_the_run_requires_it() {
    let probe = |require: Option<&str>| {
        let mut cmd = Command::new(std::env::current_exe().unwrap());
        cmd.args([
            "--ignored",
            "--exact",
            "probe_needs_a_missing_capability",
            "--test-threads=2",
        ]);
        match require {
            Some(list) => cmd.env(tools::REQUIRE_VAR, list),
            None => cmd.env_remove(tools::REQUIRE_VAR),
        };
        cmd.output().unwrap()
    };
    let skipped = probe(None);
    let err = String::from_utf8_lossy(&skipped.stderr);
    assert!(skipped.status.success(), "{err}");
    assert!(
        err.contains(
            "SKIPPED zz_skipped_tools::probe_needs_a_missing_capability: needs unwritable-dir \
             (not available here); to install: the probe's hint\n"
        ),
        "the skip is not on the terminal: {err}"
    );
    for required in ["unwritable-dir", "git, unwritable-dir", "all"] {
        let failed = probe(Some(required));
        let out = String::from_utf8_lossy(&failed.stdout);
        assert!(!failed.status.success(), "{required}: {out}");
        assert!(
            out.contains("needs unwritable-dir, which ECLUSE_TEST_REQUIRE requires"),
            "{required}: {out}"
        );
    }
    // Another tool required, this one not: still a skip.
    assert!(probe(Some("git")).status.success());
    let typo = probe(Some("gti"));
    assert!(!typo.status.success());
    assert!(
        String::from_utf8_lossy(&typo.stdout)
            .contains("ECLUSE_TEST_REQUIRE names `gti`, which no test needs (a typo?)")
    );
}
