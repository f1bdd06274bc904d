//! Bazel's credential-helper spec, answered by `bazel-credential-ecluse`, and `setup bazel`.
//! (Bazel itself is not installed here: the shim is driven with the requests Bazel sends.)

mod common;

use std::fs;

use common::*;

#[test]
fn bazel_helper_speaks_the_credential_helper_spec() {
    let (sb, shims) = shim_sandbox(&["https://registry.example.com/", "http://127.0.0.1:5000/"]);
    let bazel =
        |args: &[&str], stdin: &str| shim(&sb, &shims, "bazel-credential-ecluse", args, stdin);
    let out = bazel(
        &["get"],
        r#"{"uri":"https://registry.example.com/maven/x.jar","other":1}"#,
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let token = sb.cached_token();
    use base64::Engine;
    let basic = base64::engine::general_purpose::STANDARD.encode(format!("aws:{token}"));
    // The expiry less min_ttl (30 s), in whole seconds: Bazel never refreshes early.
    let expires =
        jiff::Timestamp::from_millisecond((sb.cached_entry().expires_at - 30_000) / 1000 * 1000)
            .unwrap();
    let answer = format!(
        "{{\"headers\":{{\"Authorization\":[\"Basic {basic}\"]}},\"expires\":\"{expires}\"}}\n"
    );
    assert_eq!(stdout(&out), answer);
    assert!(!stdout(&out).contains(".000"), "whole seconds only");
    // URIs no target serves: `{}`, exit 0.
    for uri in [
        "https://other.example.com/x",
        "http://registry.example.com/x",
        "grpcs://registry.example.com/x",
        "https://registry.example.com:8443/x",
        "https://registry.example.com\\\\@evil.example.com/",
    ] {
        let out = bazel(&["get"], &serde_json::json!({ "uri": uri }).to_string());
        assert_eq!(
            (out.status.code(), stdout(&out).as_str()),
            (Some(0), "{}\n"),
            "{uri}"
        );
    }
    // Errors: non-zero, a message on stderr, nothing on stdout.
    for (args, stdin) in [
        (&[][..], ""),
        (&["store"][..], "{}"),
        (&["get"][..], "not json"),
        (&["get"][..], r#"{"url":"https://registry.example.com/"}"#),
        // Valid JSON that is not a request object: an error, never a silent `{}`.
        (&["get"][..], r#"["https://registry.example.com/"]"#),
        (&["get"][..], r#""https://registry.example.com/""#),
        (&["get"][..], r#"{"uri":["https://registry.example.com/"]}"#),
        (&["get"][..], "null"),
    ] {
        let out = bazel(args, stdin);
        assert_ne!(out.status.code(), Some(0), "{args:?} {stdin}");
        assert!(stdout(&out).is_empty() && !stderr(&out).is_empty());
    }
    // Also as a subcommand.
    let out = sb
        .cmd(&["bazel-credential", "get"])
        .output_with_stdin(r#"{"uri":"https://registry.example.com/"}"#);
    assert_eq!(
        stdout(&out),
        answer,
        "the subcommand answers as the shim does"
    );
    assert_eq!(sb.mints(), 1);
}

#[test]
fn setup_bazel_writes_a_host_scoped_helper_line_and_undo_removes_it() {
    let sb = Sandbox::new("urls = [\"https://europe-maven.example.com/repo/\"]");
    let bazelrc = sb.dir.path().join(".bazelrc");
    let mine = "build --jobs=4\n";
    fs::write(&bazelrc, mine).unwrap();
    let shims = sb.dir.path().join("shims");
    let run = |extra: &[&str]| {
        let mut args = vec![
            "setup",
            "bazel",
            "--url",
            "https://europe-maven.example.com/repo/",
            "--bin-dir",
            shims.to_str().unwrap(),
        ];
        args.extend_from_slice(extra);
        sb.run(&args)
    };
    let out = run(&[]);
    assert!(out.status.success(), "{}", stderr(&out));
    let shim = shims.join("bazel-credential-ecluse");
    assert!(fs::read_link(&shim).is_ok());
    let text = fs::read_to_string(&bazelrc).unwrap();
    assert!(text.starts_with(mine), "{text}");
    assert!(
        text.contains(&format!(
            "common --credential_helper=europe-maven.example.com={}\n",
            shim.display()
        )),
        "{text}"
    );
    assert!(
        stdout(&out).lines().any(|l| l
            == "note: Bazel before 7.4 re-runs the helper on every request when it reports an expiry; use 7.4 or later"),
        "{}",
        stdout(&out)
    );
    let again = stdout(&run(&[]));
    assert_eq!(
        again.lines().next(),
        Some("nothing to change: already set up"),
        "{again}"
    );
    assert!(run(&["--undo"]).status.success());
    assert_eq!(fs::read_to_string(&bazelrc).unwrap(), mine);
}
