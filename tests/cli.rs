//! The command line as users meet it: configuration errors, exit codes, status, clear, logging,
//! cache-directory safety, and that the token never reaches stderr or `status`.

mod common;

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::*;

#[test]
fn config_errors_name_file_key_and_problem_and_exit_78() {
    let cases = [
        (
            "[policy]\nrefrsh_at = 0.5\n",
            "line 2: policy.refrsh_at: unknown key (did you mean `refresh_at`?)",
        ),
        ("[policy]\nfloor = \"5 fortnights\"\n", "policy.floor"),
        ("[policy]\nrefresh_at = 1.5\n", "policy.refresh_at"),
        ("[policy]\njitter = 0.9\n", "policy.jitter"),
        (
            "[targets.demo.policy]\nlock_timeout = \"x\"\n",
            "targets.demo.policy.lock_timeout",
        ),
    ];
    for (extra, key) in cases {
        let sb = Sandbox::new("");
        let text = fs::read_to_string(&sb.config).unwrap();
        // Policy sections go before or after the target as TOML requires.
        let text = if extra.starts_with("[policy]") {
            format!("{extra}{text}")
        } else {
            format!("{text}{extra}")
        };
        fs::write(&sb.config, text).unwrap();
        let out = sb.token(&[]);
        assert_eq!(out.status.code(), Some(78), "{extra}: {}", stderr(&out));
        let err = stderr(&out);
        assert!(
            err.contains(&sb.config.display().to_string()),
            "names the file: {err}"
        );
        assert!(err.contains(key), "names {key}: {err}");
        assert_eq!(sb.mints(), 0);
    }
}

#[test]
fn an_endless_config_file_is_refused_with_exit_78_not_read_into_memory() {
    let sb = Sandbox::new("");
    let out = sb
        .program(Path::new(env!("CARGO_BIN_EXE_ecluse-cred")))
        .args(["--config", "/dev/zero", "token", "--target", "demo"])
        .output();
    assert_eq!(out.status.code(), Some(78), "{}", stderr(&out));
    assert!(stderr(&out).contains("/dev/zero"), "{}", stderr(&out));
    assert!(stderr(&out).contains("larger than"), "{}", stderr(&out));
}

#[test]
fn a_config_fifo_nobody_writes_to_is_read_as_empty_not_waited_on() {
    let sb = Sandbox::new("");
    let fifo = sb.dir.path().join("config.fifo");
    mkfifo(&fifo);
    let mut cmd = sb.program(Path::new(env!("CARGO_BIN_EXE_ecluse-cred")));
    cmd.env("ECLUSE_CRED_CONFIG", &fifo)
        .env("ECLUSE_CRED_CACHE_DIR", &sb.cache)
        .args(["token", "--target", "demo"]);
    let out = cmd.output_within(PATIENCE).expect("it returned");
    assert_eq!(out.status.code(), Some(78), "{}", stderr(&out));
    assert!(stderr(&out).contains("unknown target"), "{}", stderr(&out));
}

#[test]
fn unknown_target_exits_78_and_lists_known_ones() {
    let sb = Sandbox::new("");
    let out = sb.run(&["token", "--target", "nope"]);
    assert_eq!(out.status.code(), Some(78));
    assert_eq!(
        stderr(&out),
        format!(
            "ecluse-cred: error: unknown target `nope` in config {} (its targets: demo)\n",
            sb.config.display()
        )
    );
}

#[test]
fn explicit_config_that_does_not_exist_is_an_error_but_a_missing_default_is_not() {
    let sb = Sandbox::new("");
    let missing = sb.dir.path().join("missing.toml");
    let out = sb.cmd(&["status"]).arg("--config").arg(&missing).output();
    assert_eq!(out.status.code(), Some(78));
    assert!(stderr(&out).contains("missing.toml"), "{}", stderr(&out));
    let out = sb
        .program(Path::new(env!("CARGO_BIN_EXE_ecluse-cred")))
        .args(["status"])
        .env("ECLUSE_CRED_CONFIG", &missing)
        .output();
    assert_eq!(
        out.status.code(),
        Some(78),
        "ECLUSE_CRED_CONFIG is as explicit as --config"
    );
    assert!(stderr(&out).contains("missing.toml"), "{}", stderr(&out));

    // No --config and no default file: no targets, not an error.
    let out = sb
        .program(Path::new(env!("CARGO_BIN_EXE_ecluse-cred")))
        .args(["status"])
        .env("XDG_CONFIG_HOME", sb.dir.path().join("xdg"))
        .env_remove("ECLUSE_CRED_CONFIG")
        .output();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("no targets configured"));
}

#[test]
fn config_and_cache_dir_come_from_the_environment() {
    let sb = Sandbox::new("");
    // `program` passes the config and cache through ECLUSE_CRED_CONFIG / _CACHE_DIR only.
    let out = sb
        .program(Path::new(env!("CARGO_BIN_EXE_ecluse-cred")))
        .args(["token", "--target", "demo"])
        .output();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(sb.cached_token(), stdout(&out).trim_end());
}

#[test]
fn default_config_file_is_read_from_the_platform_config_dir() {
    let sb = Sandbox::new("");
    let xdg = sb.dir.path().join("xdg");
    fs::create_dir_all(xdg.join("ecluse-cred")).unwrap();
    fs::copy(&sb.config, xdg.join("ecluse-cred/config.toml")).unwrap();
    let out = sb
        .program(Path::new(env!("CARGO_BIN_EXE_ecluse-cred")))
        .args(["token", "--target", "demo"])
        .env("XDG_CONFIG_HOME", &xdg)
        .env("XDG_CACHE_HOME", sb.dir.path().join("xdg-cache"))
        .env_remove("ECLUSE_CRED_CONFIG")
        .env_remove("ECLUSE_CRED_CACHE_DIR")
        .output();
    assert!(out.status.success(), "{}", stderr(&out));
    let default_cache = cache::file(&sb.dir.path().join("xdg-cache/ecluse-cred"), "demo");
    assert!(default_cache.exists());
    sb.allow_token_in(&default_cache);
}

#[test]
fn usage_errors_exit_2() {
    let sb = Sandbox::new("");
    for args in [
        &["token"][..],
        &["token", "--target", "demo", "--format", "yaml"],
        &["frobnicate"],
        &["clear"],
        &["token", "--target", "demo", "--min-ttl", "soon"],
    ] {
        let out = sb.run(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(stdout(&out).is_empty());
    }
    assert!(sb.run(&["--help"]).status.success());
    assert!(stdout(&sb.run(&["token", "--help"])).contains("--min-ttl"));
}

#[test]
fn token_never_appears_on_stderr_or_in_status_at_any_verbosity() {
    let sb = Sandbox::new("[targets.demo.policy]\nbreaker_threshold = 1");
    let mut stderr_seen = String::new();
    let mut tokens = Vec::new();
    for fmt in ["text", "json"] {
        let out = sb.token(&["-vvv", "--log-format", fmt]);
        stderr_seen += &stderr(&out);
        tokens.push(stdout(&out).trim_end().to_owned());
        // A warm call: the cache-hit path at full verbosity.
        stderr_seen += &stderr(&sb.token(&["-vvv", "--log-format", fmt]));
        sb.shift_entry(-1_000, 3_000_000);
        let out = sb.token(&["-vvv", "--no-background", "--log-format", fmt]);
        stderr_seen += &stderr(&out);
        tokens.push(stdout(&out).trim_end().to_owned());
        sb.set("fail", "");
        sb.shift_entry(-1_000, 3_000_000);
        let out = sb.token(&["-vvv", "--no-background", "--log-format", fmt]);
        stderr_seen += &stderr(&out);
        sb.unset("fail");
        for args in [
            &["status"][..],
            &["status", "--format", "json"],
            &["refresh", "--target", "demo", "--force", "-vvv"],
        ] {
            let out = sb.run(args);
            stderr_seen += &stderr(&out);
            stderr_seen += &stdout(&out);
        }
        tokens.push(sb.cached_token());
    }
    assert!(
        stderr_seen.contains("mint ok"),
        "-vvv logs decisions: {stderr_seen}"
    );
    for t in &tokens {
        assert!(t.starts_with("tok-"));
        assert!(!stderr_seen.contains(t.as_str()), "token {t} leaked");
    }
}

#[test]
fn json_log_format_makes_every_stderr_line_an_object() {
    let sb = Sandbox::new("");
    sb.set("fail", "");
    let mut lines = String::new();
    lines += &stderr(&sb.token(&["-vv", "--log-format", "json"]));
    lines += &stderr(&sb.run(&["token", "--target", "zzz", "--log-format", "json"]));
    lines += &stderr(&sb.run(&["token", "--log-format", "json"]));
    assert!(lines.lines().count() >= 4, "{lines}");
    for line in lines.lines() {
        let v: serde_json::Value =
            serde_json::from_str(line).unwrap_or_else(|e| panic!("{line}: {e}"));
        assert!(
            v["level"].is_string() && v["message"].is_string() && v["event"].is_string(),
            "{line}"
        );
    }
    // Each run's closing error, exactly: event, message and exit code.
    let objects: Vec<serde_json::Value> = lines
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let has = |event: &str, message: &str, exit_code: i64| {
        objects
            .iter()
            .any(|v| v["event"] == event && v["message"] == message && v["exit_code"] == exit_code)
    };
    let mint = sb.bin.join("mint");
    assert!(
        objects
            .iter()
            .any(|v| v["event"] == "mint_failed" && v["target"] == "demo"),
        "{lines}"
    );
    assert!(
        has(
            "error",
            &format!(
                "target `demo`: mint failed: `{}` exited with status 1: backend is down",
                mint.display()
            ),
            75
        ),
        "{lines}"
    );
    assert!(
        has(
            "error",
            &format!(
                "unknown target `zzz` in config {} (its targets: demo)",
                sb.config.display()
            ),
            78
        ),
        "{lines}"
    );
    assert!(
        objects.iter().any(|v| v["event"] == "usage"
            && v["exit_code"] == 2
            && v["message"].as_str().is_some_and(|m| m
                .starts_with("the following required arguments were not provided:\n  <--target <NAME>|--url <URL>>\n"))),
        "{lines}"
    );
}

#[test]
fn quiet_silences_warnings_but_not_errors() {
    let sb = Sandbox::new("");
    sb.token(&[]);
    sb.shift_entry(-1_000, 3_000_000);
    sb.set("fail", "");
    let out = sb.token(&["--no-background", "-q"]);
    assert!(out.status.success());
    assert!(stderr(&out).is_empty(), "{}", stderr(&out));
    sb.shift_entry(-2_000, -1_000);
    let out = sb.token(&["-q"]);
    assert_eq!(out.status.code(), Some(75));
    assert!(stderr(&out).contains("backend is down"));
}

#[test]
fn status_shows_times_and_breaker_but_never_the_token() {
    let sb = Sandbox::new("username = \"aws\"");
    let out = sb.run(&["status", "--format", "json"]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let t = &v["targets"][0];
    assert_eq!(
        (
            t["name"].as_str(),
            t["backend"].as_str(),
            t["cached"].as_bool()
        ),
        (Some("demo"), Some("command"), Some(false))
    );
    assert!(t["expires_at"].is_null() && t["last_error"].is_null());
    assert_eq!(t["breaker"]["state"], "closed");

    let token = stdout(&sb.token(&[])).trim_end().to_owned();
    let v: serde_json::Value =
        serde_json::from_slice(&sb.run(&["status", "--format", "json"]).stdout).unwrap();
    let t = &v["targets"][0];
    assert_eq!(t["cached"], true);
    assert_eq!(t["expiry_source"], "expires_in");
    for key in ["issued_at", "refresh_at", "expires_at"] {
        t[key].as_str().unwrap().parse::<jiff::Timestamp>().unwrap();
    }
    let table = stdout(&sb.run(&["status"]));
    assert!(
        table.contains("demo") && table.contains("closed") && table.contains("valid"),
        "{table}"
    );
    assert!(!table.contains(&token) && !v.to_string().contains(&token));
}

#[test]
fn clear_forgets_tokens_and_breaker() {
    let sb = Sandbox::new("[targets.other]\nbackend = \"command\"\ncommand = [\"/bin/false\"]");
    sb.token(&[]);
    assert_eq!(
        sb.run(&["token", "--target", "other"]).status.code(),
        Some(75)
    );
    let out = sb.run(&["clear", "--target", "demo"]);
    assert!(out.status.success());
    assert!(stdout(&out).contains("cleared `demo`"));
    assert!(!sb.cache_file().exists());
    sb.token(&[]);
    assert_eq!(sb.mints(), 2);
    let out = sb.run(&["clear", "--all"]);
    assert!(
        stdout(&out).contains("cleared `demo`") && stdout(&out).contains("cleared `other`"),
        "{}",
        stdout(&out)
    );
    let v: serde_json::Value =
        serde_json::from_slice(&sb.run(&["status", "--format", "json"]).stdout).unwrap();
    assert!(
        v["targets"]
            .as_array()
            .unwrap()
            .iter()
            .all(|t| t["cached"] == false && t["breaker"]["consecutive_failures"] == 0)
    );
}

#[test]
fn symlinked_cache_dir_is_refused_without_touching_its_target() {
    let sb = Sandbox::new("");
    let elsewhere = sb.dir.path().join("elsewhere");
    fs::create_dir(&elsewhere).unwrap();
    fs::set_permissions(&elsewhere, fs::Permissions::from_mode(0o700)).unwrap();
    std::os::unix::fs::symlink(&elsewhere, &sb.cache).unwrap();
    let out = sb.token(&[]);
    assert_eq!(out.status.code(), Some(78));
    assert!(stderr(&out).contains("symlink"), "{}", stderr(&out));
    assert_eq!(fs::read_dir(&elsewhere).unwrap().count(), 0);
    assert_eq!(sb.mints(), 0);
}

#[test]
fn symlinked_cache_file_is_refused_and_what_it_points_to_is_kept() {
    let sb = Sandbox::new("");
    fs::create_dir(&sb.cache).unwrap();
    fs::set_permissions(&sb.cache, fs::Permissions::from_mode(0o700)).unwrap();
    let precious = sb.dir.path().join("precious");
    fs::write(&precious, "do not overwrite").unwrap();
    std::os::unix::fs::symlink(&precious, sb.cache_file()).unwrap();
    let out = sb.token(&[]);
    assert_eq!(out.status.code(), Some(78));
    assert_eq!(fs::read_to_string(&precious).unwrap(), "do not overwrite");
}

#[test]
fn cache_dir_writable_by_others_or_owned_by_another_user_is_refused() {
    let sb = Sandbox::new("");
    fs::create_dir(&sb.cache).unwrap();
    fs::set_permissions(&sb.cache, fs::Permissions::from_mode(0o777)).unwrap();
    let out = sb.token(&[]);
    assert_eq!(out.status.code(), Some(78));
    assert!(
        stderr(&out).contains("writable by group or others"),
        "{}",
        stderr(&out)
    );

    fs::set_permissions(&sb.cache, fs::Permissions::from_mode(0o700)).unwrap();
    // Only root can give a directory away; as another user this part cannot be set up.
    if unsafe_is_root() && std::os::unix::fs::chown(&sb.cache, Some(65534), None).is_ok() {
        let out = sb.token(&[]);
        assert_eq!(out.status.code(), Some(78));
        assert!(
            stderr(&out).contains("not to the current user"),
            "{}",
            stderr(&out)
        );
    }
}

fn unsafe_is_root() -> bool {
    std::process::Command::new("id")
        .arg("-u")
        .output()
        .map(|o| stdout(&o).trim() == "0")
        .unwrap_or(false)
}

#[test]
fn cache_file_writable_by_others_is_refused() {
    let sb = Sandbox::new("");
    sb.token(&[]);
    fs::set_permissions(sb.cache_file(), fs::Permissions::from_mode(0o666)).unwrap();
    let out = sb.token(&[]);
    assert_eq!(out.status.code(), Some(78));
    assert!(stderr(&out).contains("demo.json"), "{}", stderr(&out));
}

#[test]
fn refresh_mints_a_new_token_and_says_when_it_expires() {
    let sb = Sandbox::new("");
    let old = stdout(&sb.token(&[]));
    let out = sb.run(&["refresh", "--target", "demo"]);
    assert!(out.status.success());
    assert!(
        stdout(&out).contains("refreshed `demo`: token expires"),
        "{}",
        stdout(&out)
    );
    assert!(!stdout(&out).contains("tok-"));
    assert_ne!(sb.cached_token(), old.trim_end());
    assert_eq!(sb.mints(), 2);
}

#[test]
fn quickstart_example_works_offline() {
    let dir = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_ecluse-cred"))
        .args([
            "--config",
            concat!(env!("CARGO_MANIFEST_DIR"), "/examples/quickstart.toml"),
            "token",
            "--target",
            "demo",
        ])
        .env("ECLUSE_CRED_CACHE_DIR", dir.path().join("c"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).starts_with("demo-"));
}

#[test]
fn non_utf8_arguments_are_a_usage_error_not_a_panic() {
    use std::os::unix::ffi::OsStrExt;
    let sb = Sandbox::new("");
    let bad = std::ffi::OsStr::from_bytes(b"\xff\xfe");
    for args in [
        vec![bad],
        vec![
            std::ffi::OsStr::new("token"),
            std::ffi::OsStr::new("--target"),
            bad,
        ],
        vec![
            std::ffi::OsStr::new("token"),
            bad,
            std::ffi::OsStr::new("--log-format=json"),
        ],
        vec![
            std::ffi::OsStr::new("--log-format"),
            std::ffi::OsStr::new("json"),
            bad,
        ],
    ] {
        let out = sb.cmd(&[]).args(&args).output();
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        assert!(!stderr(&out).contains("panicked"), "{}", stderr(&out));
    }
    let helper = Path::new(env!("CARGO_BIN_EXE_ecluse-cred")).with_file_name("ecluse-cred-mint");
    let out = std::process::Command::new(helper)
        .arg(bad)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(78), "{}", stderr(&out));
}

#[test]
fn a_url_is_never_echoed_with_its_userinfo_parsed_or_not() {
    let sb = Sandbox::new("");
    let secret = "SECRETPW";
    for (args, code) in [
        (
            vec!["token", "--url", "https://u:SECRETPW@host:99999/x/"],
            78,
        ),
        (vec!["token", "--url", "ftp://u:SECRETPW@host/x/"], 78),
        (
            vec![
                "token",
                "--url",
                "https://u:SECRETPW@unknown.example.com/x/",
            ],
            78,
        ),
        (vec!["token", "--url", "u:SECRETPW@host"], 78),
        (vec!["token", "--url", "https://u:SECRETPW@[::1/x"], 78),
        (
            vec![
                "npmrc",
                "--target",
                "demo",
                "--registry",
                "https://u:SECRETPW@host:99999/",
            ],
            78,
        ),
        (
            vec![
                "npmrc",
                "--target",
                "demo",
                "--registry",
                "ftp://u:SECRETPW@host/",
            ],
            78,
        ),
        (
            vec![
                "exec",
                "--target",
                "demo",
                "--npm-registry",
                "https://u:SECRETPW@h:99999/",
                "--",
                "true",
            ],
            78,
        ),
        // A usage error that quotes the argument.
        (vec!["status", "https://u:SECRETPW@host/"], 2),
        (
            vec!["status", "--log-format", "json", "https://u:SECRETPW@host/"],
            2,
        ),
    ] {
        let out = sb.run(&args);
        assert_eq!(out.status.code(), Some(code), "{args:?}: {}", stderr(&out));
        assert!(!stderr(&out).contains(secret), "{args:?}: {}", stderr(&out));
        assert!(!stderr(&out).is_empty());
    }
    // And a config's `urls` entry that holds credentials is refused without repeating them.
    sb.write_config("urls = [\"https://u:SECRETPW@host.example/\"]");
    let out = sb.token(&[]);
    assert_eq!(out.status.code(), Some(78));
    assert!(stderr(&out).contains("holds credentials") && !stderr(&out).contains(secret));
    assert_eq!(sb.mints(), 0);
}

#[test]
fn timeouts_longer_than_a_day_are_config_errors_not_panics() {
    let sb = Sandbox::new("");
    for (key, value) in [
        ("mint_timeout", "\"100000d\""),
        ("lock_timeout", "\"10000000000d\""),
        ("lock_timeout", "9223372036854775807"),
    ] {
        sb.write_config(&format!("[targets.demo.policy]\n{key} = {value}"));
        let out = sb.token(&[]);
        assert_eq!(
            out.status.code(),
            Some(78),
            "{key} = {value}: {}",
            stderr(&out)
        );
        assert!(
            stderr(&out).contains(&format!("targets.demo.policy.{key}")),
            "{}",
            stderr(&out)
        );
    }
    sb.write_config("[targets.demo.policy]\nmint_timeout = \"1d\"\nlock_timeout = \"24h\"");
    assert!(sb.token(&[]).status.success());
}

#[test]
fn urls_copied_from_cargo_with_sparse_are_accepted_and_cloud_host_names_are_refused() {
    let sb = Sandbox::new("urls = [\"sparse+https://crates.example.com/index/\"]");
    let out = sb.run(&[
        "token",
        "--url",
        "sparse+https://crates.example.com/index/config.json",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let status = stdout(&sb.run(&["status", "--format", "json"]));
    assert!(
        status.contains("\"https://crates.example.com/index/\""),
        "{status}"
    );

    let host = "dom-111122223333.d.codeartifact.us-east-1.amazonaws.com";
    sb.write_raw_config(&format!(
        "[targets.\"{host}\"]\nbackend = \"command\"\ncommand = [\"x\"]\n"
    ));
    let out = sb.run(&["token", "--target", host]);
    assert_eq!(out.status.code(), Some(78), "{}", stderr(&out));
    assert!(stderr(&out).contains("another name"), "{}", stderr(&out));
}

#[test]
fn a_url_that_walks_out_of_a_path_scoped_target_gets_no_token_from_any_command() {
    let sb = Sandbox::new("urls = [\"https://pkgs.example.com/npm/\"]");
    for walk in [
        "..;/evil/",
        "..%2fevil/",
        "%2e%2e%2fevil/",
        "..%5cevil/",
        "%252e%252e/evil/",
    ] {
        let url = format!("https://pkgs.example.com/npm/{walk}");
        for args in [
            vec!["token", "--url", url.as_str()],
            vec![
                "exec",
                "--target",
                "demo",
                "--npm-registry",
                url.as_str(),
                "--",
                "true",
            ],
            vec![
                "npmrc",
                "--target",
                "demo",
                "--registry",
                url.as_str(),
                "--file",
                "/dev/null",
            ],
        ] {
            let out = sb.run(&args);
            assert_eq!(out.status.code(), Some(78), "{args:?}: {}", stderr(&out));
            assert!(stdout(&out).is_empty(), "{args:?}");
        }
    }
    assert_eq!(sb.mints(), 0);
    // The ordinary paths next to them are served.
    for url in [
        "https://pkgs.example.com/npm/a..b/",
        "https://pkgs.example.com/npm/@scope%2fpkg",
        "https://pkgs.example.com/npm/a;b/",
    ] {
        let out = sb.run(&["token", "--url", url]);
        assert!(out.status.success(), "{url}: {}", stderr(&out));
    }
}

#[test]
fn exec_passes_the_token_only_to_the_child_and_its_exit_code_back() {
    let sb = Sandbox::new("");
    // `env` itself, not a shell: shells drop variables whose names hold `/` and `:`.
    let out = sb.run(&[
        "exec",
        "--target",
        "demo",
        "--env",
        "A",
        "--env",
        "B",
        "--npm-registry",
        "http://127.0.0.1:4873/npm/repo",
        "--",
        "env",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let token = sb.cached_token();
    let env = stdout(&out);
    assert!(env.contains(&format!("A={token}\n")) && env.contains(&format!("B={token}\n")));
    assert!(env.contains(&format!(
        "npm_config_//127.0.0.1:4873/npm/repo/:_authToken={token}\n"
    )));
    assert!(
        !env.contains("ECLUSE_CRED_TOKEN="),
        "named variables replace the default"
    );
    let out = sb.run(&[
        "exec",
        "--target",
        "demo",
        "--",
        "sh",
        "-c",
        "printf %s \"$ECLUSE_CRED_TOKEN\"; exit 7",
    ]);
    assert_eq!((out.status.code(), stdout(&out)), (Some(7), token));
    assert_eq!(
        sb.run(&["exec", "--target", "demo", "--", "/nonexistent/cmd"])
            .status
            .code(),
        Some(127)
    );
}

#[test]
fn install_shims_links_every_shim_name_and_keeps_other_files() {
    let sb = Sandbox::new("");
    let dir = sb.dir.path().join("bin2");
    fs::create_dir(&dir).unwrap();
    let out = sb.run(&["install", "shims", dir.to_str().unwrap()]);
    assert!(out.status.success());
    assert!(stdout(&out).contains("is not on PATH"));
    // Every name a client runs the helper by, spelled out: a shim added to the list but not
    // installed, or one dropped, fails here.
    for name in [
        "keyring",
        "git-credential-ecluse",
        "docker-credential-ecluse",
        "bazel-credential-ecluse",
        "terraform-credentials-ecluse",
        "kubelet-credential-ecluse",
    ] {
        assert_eq!(
            fs::read_link(dir.join(name)).unwrap(),
            PathBuf::from(env!("CARGO_BIN_EXE_ecluse-cred"))
        );
    }
    // Again: replaces its own links; a real file in the way is left alone and reported.
    assert!(
        sb.run(&["install", "shims", dir.to_str().unwrap()])
            .status
            .success()
    );
    fs::remove_file(dir.join("keyring")).unwrap();
    fs::write(dir.join("keyring"), "mine").unwrap();
    let out = sb.run(&["install", "shims", dir.to_str().unwrap()]);
    assert!(!out.status.success() && stderr(&out).contains("not a symlink"));
    assert_eq!(fs::read_to_string(dir.join("keyring")).unwrap(), "mine");
}

#[test]
fn committed_completions_and_man_pages_match_the_cli() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_ecluse-cred"))
        .arg("generate-docs")
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    for sub in ["completions", "man"] {
        let mut generated: Vec<_> = fs::read_dir(dir.path().join(sub))
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        generated.sort();
        let mut committed: Vec<_> = fs::read_dir(repo.join(sub))
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        committed.sort();
        assert_eq!(
            generated, committed,
            "{sub}/ is stale: run `cargo run -- generate-docs .`"
        );
        for name in generated {
            assert!(
                fs::read(dir.path().join(sub).join(&name)).unwrap()
                    == fs::read(repo.join(sub).join(&name)).unwrap(),
                "{sub}/{} is stale: run `cargo run -- generate-docs .`",
                name.to_string_lossy()
            );
        }
    }
    let out = Command::new(env!("CARGO_BIN_EXE_ecluse-cred"))
        .args(["completions", "bash"])
        .output()
        .unwrap();
    assert_eq!(
        out.stdout,
        fs::read(repo.join("completions/ecluse-cred.bash")).unwrap()
    );
}

/// `exec` becomes its command, and reports what a shell would when it cannot: 126 for a path
/// that is there but cannot be run (a symlink loop, a directory), 127 for none.
#[test]
fn exec_reports_a_path_it_cannot_run_as_126_and_runs_a_real_program() {
    let sb = Sandbox::new("");
    let (a, b) = (sb.dir.path().join("loop-a"), sb.dir.path().join("loop-b"));
    std::os::unix::fs::symlink(&b, &a).unwrap();
    std::os::unix::fs::symlink(&a, &b).unwrap();
    for path in [a.as_path(), sb.dir.path()] {
        let out = sb.run(&["exec", "--target", "demo", "--", path.to_str().unwrap()]);
        assert_eq!(out.status.code(), Some(126), "{path:?}: {}", stderr(&out));
    }
    let out = sb.run(&["exec", "--target", "demo", "--", "/nonexistent/prog"]);
    assert_eq!(out.status.code(), Some(127), "{}", stderr(&out));
    let out = sb.run(&["exec", "--target", "demo", "--", "/bin/sh", "-c", "exit 7"]);
    assert_eq!(out.status.code(), Some(7), "{}", stderr(&out));
}

/// A supervisor that ignores SIGCHLD (so its children are reaped unseen) still passes that on
/// to the program `exec` becomes, although ecluse-cred itself waits for its mints.
#[test]
fn exec_hands_its_command_the_sigchld_disposition_it_was_started_with() {
    let sb = Sandbox::new("");
    let show = "import signal; print(signal.getsignal(signal.SIGCHLD))";
    let run = |ignore: bool| {
        let script = format!(
            "import signal, os, sys\n{}os.execv(sys.argv[1], sys.argv[1:])\n",
            if ignore {
                "signal.signal(signal.SIGCHLD, signal.SIG_IGN)\n"
            } else {
                ""
            }
        );
        // python3 (ignoring SIGCHLD or not) execs `ecluse-cred --config .. --cache-dir .. exec`.
        sb.program(Path::new("python3"))
            .args(["-c", &script, env!("CARGO_BIN_EXE_ecluse-cred"), "--config"])
            .arg(&sb.config)
            .arg("--cache-dir")
            .arg(&sb.cache)
            .args(["exec", "--target", "demo", "--", "python3", "-c", show])
            .output()
    };
    // Python shows the disposition as `Handlers.SIG_IGN`, or as its number (1) when it found it
    // so at start; SIG_DFL is 0.
    let ignored = run(true);
    assert!(ignored.status.success(), "{}", stderr(&ignored));
    let shown = stdout(&ignored);
    assert!(["1", "Handlers.SIG_IGN"].contains(&shown.trim()), "{shown}");
    let default = run(false);
    let shown = stdout(&default);
    assert!(["0", "Handlers.SIG_DFL"].contains(&shown.trim()), "{shown}");
}
