//! What every protocol front-end shares: malformed input gets each protocol's own error form,
//! targets sharing a host are chosen by one rule, a reader that has gone is an error and not a
//! panic, and userinfo is never echoed.

mod common;

use std::fs;
use std::path::Path;

use common::*;

#[test]
fn malformed_protocol_input_gets_each_protocols_error_form() {
    let (sb, shims) = shim_sandbox(&["https://registry.example.com/"]);
    // cargo: a line that is not a request ends the exchange with an `other` error, as JSON.
    let replies = cargo_exchange(&sb, &["not json"]);
    assert_eq!(replies[0], serde_json::json!({"v": [1]}));
    assert_eq!(replies[1]["Err"]["kind"], "other");
    // git: garbage is a request for nothing.
    let out = shim(
        &sb,
        &shims,
        "git-credential-ecluse",
        &["get"],
        "\u{0}\u{ff}garbage\nno equals sign\n\n",
    );
    assert_eq!((out.status.code(), stdout(&out).as_str()), (Some(0), ""));
    // docker: an empty or binary server URL is not found; no operation is a usage message.
    for input in ["", "\u{0}\u{1}", "https://"] {
        let out = shim(&sb, &shims, "docker-credential-ecluse", &["get"], input);
        assert_eq!(
            (out.status.code(), stdout(&out).as_str()),
            (Some(1), "credentials not found in native keychain\n")
        );
    }
    let out = shim(&sb, &shims, "docker-credential-ecluse", &[], "");
    assert_eq!(out.status.code(), Some(1));
    // keyring: wrong arity and unsupported operations.
    for args in [
        &["get"][..],
        &[],
        &["set", "https://registry.example.com/", "aws"],
        &["get", "a", "b", "c"],
    ] {
        let out = shim(&sb, &shims, "keyring", args, "");
        assert!(!out.status.success() && stdout(&out).is_empty(), "{args:?}");
    }
    assert_eq!(sb.mints(), 0);
    // A broken configuration reaches each client in its own form too.
    sb.write_raw_config("[targets.demo\n");
    let out = shim(
        &sb,
        &shims,
        "docker-credential-ecluse",
        &["get"],
        "https://registry.example.com",
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(stdout(&out).contains("config"), "{}", stdout(&out));
    let out = shim(
        &sb,
        &shims,
        "git-credential-ecluse",
        &["get"],
        "protocol=https\nhost=registry.example.com\n\n",
    );
    assert_eq!((out.status.code(), stdout(&out).as_str()), (Some(78), ""));
    assert!(stderr(&out).contains("config"));
}

#[test]
fn targets_sharing_a_host_are_chosen_by_one_rule_in_every_front_end() {
    let (sb, shims) = shim_sandbox(&[]);
    let mint = sb.bin.join("mint");
    let target = |name: &str, url: &str| {
        format!(
            "[targets.{name}]\nbackend = \"command\"\ncommand = [\"{}\"]\nusername = \"aws\"\nurls = [\"{url}\"]\n",
            mint.display()
        )
    };
    sb.write_raw_config(&format!(
        "{}{}",
        target("npm", "https://pkgs.example.com/npm/"),
        target("root", "https://pkgs.example.com/")
    ));
    // Without a path, the entry that covers the whole host; with one, the longest prefix.
    let status = |name: &str| {
        sb.run(&["token", "--target", name]);
        sb.cache_file_of(name)
    };
    let root_token = cache::token(&status("root")).unwrap();
    let npm_token = cache::token(&status("npm")).unwrap();
    let docker = shim(
        &sb,
        &shims,
        "docker-credential-ecluse",
        &["get"],
        "pkgs.example.com",
    );
    assert!(stdout(&docker).contains(&root_token), "{}", stdout(&docker));
    let git = git_get(
        &sb,
        &shims,
        &["get"],
        "protocol=https\nhost=pkgs.example.com\n\n",
    );
    assert!(git.contains(&root_token), "{git}");
    let git = git_get(
        &sb,
        &shims,
        &["get"],
        "protocol=https\nhost=pkgs.example.com\npath=npm/x\n\n",
    );
    assert!(git.contains(&npm_token), "{git}");
    let keyring = shim(
        &sb,
        &shims,
        "keyring",
        &["get", "https://pkgs.example.com/npm/x", "aws"],
        "",
    );
    assert_eq!(stdout(&keyring), format!("{npm_token}\n"));

    // Two targets that cover the same thing equally: an error naming both, in each front-end.
    sb.write_raw_config(&format!(
        "{}{}",
        target("one", "https://pkgs.example.com/"),
        target("two", "https://pkgs.example.com/")
    ));
    let names_both = |text: &str| text.contains("`one`") && text.contains("`two`");
    // docker answers on stdout (exit 1), the others on stderr with 78.
    for (name, args, stdin, code) in [
        (
            "docker-credential-ecluse",
            &["get"][..],
            "pkgs.example.com",
            1,
        ),
        (
            "git-credential-ecluse",
            &["get"],
            "protocol=https\nhost=pkgs.example.com\n\n",
            78,
        ),
        (
            "keyring",
            &["get", "https://pkgs.example.com/x", "aws"],
            "",
            78,
        ),
    ] {
        let out = shim(&sb, &shims, name, args, stdin);
        let said = format!("{}{}", stdout(&out), stderr(&out));
        assert_eq!(out.status.code(), Some(code), "{name}: {said}");
        assert!(names_both(&said), "{name}: {said}");
    }
    let token = sb.run(&["token", "--url", "https://pkgs.example.com/x"]);
    assert_eq!(token.status.code(), Some(78));
    assert!(names_both(&stderr(&token)), "{}", stderr(&token));
}

/// A pipe whose reader has gone: writing to it fails with EPIPE.
fn closed_pipe() -> std::io::PipeWriter {
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    writer
}

#[test]
fn every_front_end_exits_with_an_error_not_a_panic_when_its_reader_has_gone() {
    let (sb, shims) = shim_sandbox(&["https://registry.example.com/"]);
    sb.token(&[]);
    fs::create_dir_all(sb.dir.path().join("pnpm")).unwrap();
    let pnpm = sb.dir.path().join("pnpm").join("ecluse-pnpm-token-demo");
    std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_ecluse-cred"), &pnpm).unwrap();
    let cargo_request = r#"{"v":1,"registry":{"index-url":"sparse+https://registry.example.com/"},"kind":"get","operation":"read","args":[]}"#;
    fn with<'a>(mut cmd: Run<'a>, args: &[&str]) -> Run<'a> {
        cmd.args(args);
        cmd
    }
    let runs: Vec<(Run<'_>, &str)> = vec![
        (
            with(sb.program(&shims.join("git-credential-ecluse")), &["get"]),
            "protocol=https\nhost=registry.example.com\n\n",
        ),
        (
            with(
                sb.program(&shims.join("docker-credential-ecluse")),
                &["get"],
            ),
            "registry.example.com",
        ),
        (
            with(
                sb.program(&shims.join("keyring")),
                &["get", "https://registry.example.com/", "aws"],
            ),
            "",
        ),
        (
            with(
                sb.program(Path::new(env!("CARGO_BIN_EXE_ecluse-cred"))),
                &["--cargo-plugin"],
            ),
            cargo_request,
        ),
        (sb.program(&pnpm), ""),
        (sb.cmd(&["token", "--target", "demo"]), ""),
        (sb.cmd(&["kube-credential", "--target", "demo"]), ""),
        (sb.cmd(&["status"]), ""),
        (sb.cmd(&["docker-credential", "list"]), ""),
        (
            sb.program(&shims.join("kubelet-credential-ecluse")),
            r#"{"kind":"CredentialProviderRequest","apiVersion":"credentialprovider.kubelet.k8s.io/v1","image":"registry.example.com/app"}"#,
        ),
    ];
    for (mut cmd, stdin) in runs {
        let shown = format!("{cmd:?}");
        let out = cmd.stdout(closed_pipe()).output_with_stdin(stdin);
        assert!(
            !stderr(&out).contains("panicked"),
            "{shown}: {}",
            stderr(&out)
        );
        assert_ne!(out.status.code(), Some(101), "{shown}");
        assert_ne!(
            out.status.code(),
            Some(0),
            "{shown}: a lost answer is a failure"
        );
    }
}

#[test]
fn userinfo_with_any_characters_is_never_echoed_by_a_front_end() {
    let (sb, shims) = shim_sandbox(&["https://registry.example.com/"]);
    for server in [
        "https://u:SE=CRET@registry.example.com",
        "https://u:SE;CRET@registry.example.com",
    ] {
        let out = shim(&sb, &shims, "docker-credential-ecluse", &["get"], server);
        assert!(out.status.success(), "{}", stdout(&out));
        assert!(!stdout(&out).contains("CRET"), "{}", stdout(&out));
    }
    let out = shim(
        &sb,
        &shims,
        "keyring",
        &["--bogus=https://u:SE=CRET@h/", "get", "x"],
        "",
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(!stderr(&out).contains("CRET"), "{}", stderr(&out));
    for args in [
        vec!["token", "https://u:SE/CRET@host/"],
        vec!["token", "--target", "https://u:SE/CRET@host/"],
        vec!["status", "--target", "https://u:SE=CRET@host/"],
        vec!["clear", "--target", "https://u:SE=CRET@host/"],
    ] {
        let out = sb.run(&args);
        assert!(!out.status.success() || args[0] == "clear", "{args:?}");
        assert!(!stderr(&out).contains("CRET"), "{args:?}: {}", stderr(&out));
        assert!(!stdout(&out).contains("CRET"), "{args:?}: {}", stdout(&out));
    }
    // A config whose syntax error or wrong type sits on a URL with credentials.
    for config in [
        "[targets.demo]\nbackend = \"command\"\ncommand = [\"x\"]\nurls = \"https://u:SE=CRET@host/\"\n",
        "[targets.demo]\nbackend = \"command\"\ncommand = [\"x\"]\nurls = [\"https://u:SE=CRET@host/\"\n",
    ] {
        sb.write_raw_config(config);
        let out = sb.run(&["token", "--target", "demo"]);
        assert_eq!(out.status.code(), Some(78), "{}", stderr(&out));
        assert!(!stderr(&out).contains("CRET"), "{}", stderr(&out));
        assert!(stderr(&out).contains("targets.demo") || stderr(&out).contains("line 4"));
    }
}

/// docker, Terraform and git without useHttpPath name a host and send the token to any path of
/// it: a target scoped below the root answers none of them, and setup refuses to wire docker or
/// Terraform for it; a target for the whole host answers them all.
#[test]
fn a_client_that_names_no_path_gets_no_token_scoped_to_a_path() {
    for (urls, served) in [
        (&["https://pkgs.example.com/npm/"][..], false),
        (
            &["https://pkgs.example.com/npm/", "https://pkgs.example.com/"][..],
            true,
        ),
    ] {
        let (sb, shims) = shim_sandbox(urls);
        let docker = shim(
            &sb,
            &shims,
            "docker-credential-ecluse",
            &["get"],
            "pkgs.example.com",
        );
        assert_eq!(
            docker.status.success(),
            served,
            "{urls:?}: {}",
            stdout(&docker)
        );
        // What each client reads back, exactly: the token, or the protocol's "none".
        let token = || sb.cached_token();
        let git_answer = || {
            let expires_ms = sb.cached_entry().expires_at;
            format!(
                "username=aws\npassword={}\npassword_expiry_utc={}\n",
                token(),
                expires_ms / 1000
            )
        };
        assert_eq!(
            stdout(&docker),
            if served {
                format!(
                    "{{\"ServerURL\":\"pkgs.example.com\",\"Username\":\"aws\",\"Secret\":\"{}\"}}\n",
                    token()
                )
            } else {
                "credentials not found in native keychain\n".to_owned()
            },
            "{urls:?}"
        );
        let list = shim(&sb, &shims, "docker-credential-ecluse", &["list"], "");
        assert_eq!(
            stdout(&list),
            if served {
                "{\"pkgs.example.com\":\"aws\"}\n"
            } else {
                "{}\n"
            },
            "{urls:?}"
        );
        let tf = shim(
            &sb,
            &shims,
            "terraform-credentials-ecluse",
            &["get", "pkgs.example.com"],
            "",
        );
        assert_eq!(
            stdout(&tf),
            if served {
                format!("{{\"token\":\"{}\"}}\n", token())
            } else {
                "{}\n".to_owned()
            },
            "{urls:?}"
        );
        let git = shim(
            &sb,
            &shims,
            "git-credential-ecluse",
            &["get"],
            "protocol=https\nhost=pkgs.example.com\n\n",
        );
        assert_eq!(
            stdout(&git),
            if served { git_answer() } else { String::new() },
            "{urls:?}"
        );
        // With the path, git is answered by the scoped target either way.
        let git = shim(
            &sb,
            &shims,
            "git-credential-ecluse",
            &["get"],
            "protocol=https\nhost=pkgs.example.com\npath=npm/x.git\n\n",
        );
        assert_eq!(stdout(&git), git_answer(), "{urls:?}");
        for client in ["docker", "terraform"] {
            let out = sb.run(&[
                "setup",
                client,
                "--url",
                "https://pkgs.example.com/npm/",
                "--dry-run",
                "--bin-dir",
                shims.to_str().unwrap(),
            ]);
            assert_eq!(
                out.status.success(),
                served,
                "{client} {urls:?}: {}",
                stderr(&out)
            );
            if !served {
                assert!(
                    stderr(&out).contains("a URL of the whole host"),
                    "{}",
                    stderr(&out)
                );
            }
        }
    }
}
