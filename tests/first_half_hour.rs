//! A newcomer's first half hour, through the binary's own output: a missing config named by
//! its path with the command that writes one, errors that say what, where and what to do, help
//! a person can navigate, and setups that work the first time (a user name pip can send, a PATH
//! directory that does not exist yet, environment variables that would override the wiring).

mod common;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Output;

use common::*;

const EXE: &str = env!("CARGO_BIN_EXE_ecluse-cred");

/// `ecluse-cred ARGS` in the sandbox's clean environment, but with no config named: the default
/// file under the sandbox's `XDG_CONFIG_HOME` is the one read.
fn fresh(sb: &Sandbox, args: &[&str]) -> Output {
    sb.program(Path::new(EXE))
        .env_remove("ECLUSE_CRED_CONFIG")
        .args(args)
        .output()
}

fn default_config(sb: &Sandbox) -> PathBuf {
    sb.dir.path().join(".config/ecluse-cred/config.toml")
}

#[test]
fn a_missing_config_is_named_by_its_path_and_init_writes_one_that_serves_a_token() {
    let sb = Sandbox::new("");
    let path = default_config(&sb);
    let out = fresh(&sb, &["token", "--target", "demo"]);
    assert_eq!(out.status.code(), Some(78));
    assert_eq!(
        stderr(&out),
        format!(
            "ecluse-cred: error: unknown target `demo`: there is no config file at {}: `ecluse-cred init` writes a starter one there\n",
            path.display()
        )
    );
    let out = fresh(&sb, &["token", "--url", "https://pkgs.example.com/simple/"]);
    assert_eq!(
        stderr(&out),
        format!(
            "ecluse-cred: error: no target serves https://pkgs.example.com/simple/: there is no config file at {}: `ecluse-cred init` writes a starter one there; then put `urls = [\"https://pkgs.example.com/simple/\"]` in its target\n",
            path.display()
        )
    );
    let out = fresh(&sb, &["init"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        stdout(&out),
        format!(
            "wrote {}: a `demo` target that works offline, and commented examples of each backend\nnext: ecluse-cred token --target demo\n",
            path.display()
        )
    );
    let printed = fresh(&sb, &["init", "--print"]);
    assert_eq!(fs::read(&path).unwrap(), printed.stdout);
    let out = fresh(&sb, &["token", "--target", "demo"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).starts_with("demo-"), "{}", stdout(&out));
    // A second init never replaces the file.
    fs::write(&path, "# mine\n").unwrap();
    let out = fresh(&sb, &["init"]);
    assert_eq!(out.status.code(), Some(78));
    assert_eq!(fs::read_to_string(&path).unwrap(), "# mine\n");
    assert!(
        stderr(&out).contains("already exists; init does not replace it"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn help_names_the_config_file_and_cache_this_process_uses() {
    let sb = Sandbox::new("");
    let out = fresh(&sb, &["--help"]);
    // Lines are wrapped to the terminal's width: compare words.
    let help = stdout(&out)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    let config = default_config(&sb);
    let cache = sb.dir.path().join(".cache/ecluse-cred");
    assert!(
        help.contains(&format!(
            "Configuration file [default: {}]",
            config.display()
        )),
        "{help}"
    );
    assert!(
        help.contains(&format!("Cache directory [default: {}]", cache.display())),
        "{help}"
    );
    assert!(
        help.contains(&format!(
            "Config: {} (`ecluse-cred init` writes a starter one; see README).",
            config.display()
        )),
        "{help}"
    );
}

#[test]
fn help_lists_the_commands_a_person_types_apart_from_the_client_protocols() {
    let sb = Sandbox::new("");
    let help = stdout(&sb.run(&["--help"]));
    let commands: Vec<&str> = help
        .split("Commands:\n")
        .nth(1)
        .unwrap()
        .split("\n\n")
        .next()
        .unwrap()
        .lines()
        .filter(|l| l.starts_with("  ") && !l.starts_with("   "))
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    assert_eq!(
        commands,
        [
            "token",
            "init",
            "status",
            "refresh",
            "clear",
            "exec",
            "npmrc",
            "setup",
            "doctor",
            "kubelet-config",
            "install",
            "completions",
            "help"
        ]
    );
    assert!(
        help.contains("Client protocols, run by the clients `setup` wires"),
        "{help}"
    );
    assert!(help.contains("Global options:\n"), "{help}");
    for sub in [
        "keyring",
        "terraform-credentials",
        "git-credential",
        "token",
        "exec",
    ] {
        let out = sb.run(&[sub, "--help"]);
        assert_eq!(out.status.code(), Some(0), "{sub}: {}", stderr(&out));
        assert!(stdout(&out).contains("Usage: ecluse-cred "), "{sub}");
    }
    for sub in ["token", "setup", "doctor", "exec"] {
        let out = sb.run(&[sub, "--help"]);
        assert!(
            stdout(&out).contains("\nExamples:\n  ecluse-cred "),
            "{sub}"
        );
    }
}

#[test]
fn bare_setup_lists_the_clients_and_a_client_served_otherwise_is_named_with_how() {
    let sb = Sandbox::new("");
    let out = sb.run(&["setup"]);
    assert_eq!(out.status.code(), Some(2));
    let words = stderr(&out)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    assert!(words.starts_with("Wire a client to a registry"), "{words}");
    assert!(
        words.contains(
            "[possible values: pip, uv, cargo, git, docker, kubectl, npm, pnpm, go, bazel, terraform, poetry, twine, pdm, hatch, maven, yarn]"
        ),
        "{words}"
    );
    // With the URL named and the client not: the same help.
    let out = sb.run(&["setup", "--url", "https://pkgs.example.com/"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).starts_with("Wire a client to a registry"),
        "{}",
        stderr(&out)
    );
    for (client, how) in [
        ("podman", "`ecluse-cred setup docker --url URL` wires it"),
        ("helm", "`ecluse-cred setup docker --url URL` wires it"),
        ("gradle", "`ecluse-cred exec --target T -- COMMAND`"),
        ("sbt", "`ecluse-cred exec --target T -- COMMAND`"),
        ("pipenv", "`ecluse-cred setup pip --url URL` wires"),
    ] {
        let out = sb.run(&["setup", client, "--url", "https://pkgs.example.com/"]);
        assert_eq!(out.status.code(), Some(2), "{client}");
        let err = stderr(&out);
        assert!(
            err.starts_with(&format!("error: setup does not wire {client} itself: "))
                && err.contains(how),
            "{client}: {err}"
        );
    }
    // An ordinary typo still gets clap's suggestion.
    let out = sb.run(&["setup", "pipp", "--url", "https://pkgs.example.com/"]);
    assert!(stderr(&out).contains("a similar value exists: 'pip'"));
}

#[test]
fn durations_share_one_grammar_and_refuse_months_and_negatives() {
    let sb = Sandbox::new("");
    // Whole seconds on the command line, as in the config.
    let out = sb.token(&["--min-ttl", "900"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let out = sb.token(&["--min-ttl", "5M"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("invalid duration \"5M\": `M` is not a unit (minutes are `m`)"),
        "{}",
        stderr(&out)
    );
    for (value, why) in [
        ("\"5M\"", "`M` is not a unit (minutes are `m`)"),
        ("\"2w\"", "`w` is not a unit"),
        ("-30", "it is negative"),
    ] {
        sb.write_config(&format!("[targets.demo.policy]\nmin_ttl = {value}"));
        let out = sb.token(&[]);
        assert_eq!(out.status.code(), Some(78), "{value}");
        assert!(
            stderr(&out).contains(": line 5: targets.demo.policy.min_ttl: invalid duration ")
                && stderr(&out).contains(why),
            "{value}: {}",
            stderr(&out)
        );
    }
    sb.write_config("[targets.demo.policy]\nmin_ttl = \"1h 30s\"");
    assert!(sb.token(&[]).status.success());
}

#[test]
fn config_errors_name_the_line_the_key_and_what_to_write() {
    let sb = Sandbox::new("");
    let config = sb.config.display().to_string();
    let mint = sb.bin.join("mint").display().to_string();
    for (text, expected) in [
        (
            format!("[targets.demo]\nbackend = \"command\"\ncomand = [\"{mint}\"]\n"),
            "line 3: targets.demo.comand: unknown key (did you mean `command`?); a `command` target takes: backend, command, username, urls, policy, git_auth, fleet",
        ),
        (
            format!(
                "[targets.demo]\nbackend = \"command\"\ncommand = [\"{mint}\"]\nurls = \"https://pkgs.example.com/\"\n"
            ),
            "line 4: targets.demo.urls: expected a list of URLs, such as [\"https://pkgs.example.com/pypi/simple/\"] (found a string)",
        ),
        (
            "[policy]\nrefresh_at = \"0.8\"\n".to_owned(),
            "line 2: policy.refresh_at: expected a fraction between 0 and 1, such as 0.8 (found a string)",
        ),
        (
            format!(
                "[targets.demo]\nbackend = \"command\"\ncommand = [\"{mint}\"]\nbackend = \"gcp\"\n"
            ),
            "line 4, column 1: duplicate key `backend`: it is set twice in its section; keep one",
        ),
        (
            "[targets.demo]\nbackend = \"cmd\"\n".to_owned(),
            "line 2: targets.demo.backend: `cmd` is not a backend; one of: command, codeartifact, ecr, gcp, oauth2",
        ),
        (
            format!(
                "[targets.demo]\nbackend = \"command\"\ncommand = [\"{mint}\"]\ngit_auth = \"token\"\n"
            ),
            "line 4: targets.demo.git_auth: `token` is not one of: basic, bearer",
        ),
    ] {
        sb.write_raw_config(&text);
        let out = sb.token(&[]);
        assert_eq!(out.status.code(), Some(78), "{text}");
        assert_eq!(
            stderr(&out),
            format!("ecluse-cred: error: config {config}: {expected}\n"),
            "{text}"
        );
    }
}

#[test]
fn a_url_no_target_serves_names_the_nearly_matching_target_and_what_differs() {
    let sb = Sandbox::new("urls = [\"https://pkgs.example.com/npm/\"]");
    let config = sb.config.display().to_string();
    for (url, differs) in [
        ("https://pkgs.example.com:8443/npm/", "another port"),
        ("https://pkgs.example.com/pypi/simple/", "a path outside it"),
    ] {
        let out = sb.run(&["token", "--url", url]);
        assert_eq!(out.status.code(), Some(78), "{url}");
        assert_eq!(
            stderr(&out),
            format!(
                "ecluse-cred: error: no target serves {url}: target `demo` serves https://pkgs.example.com/npm/, and this URL has {differs}; if it is the same registry, add \"{url}\" to the `urls` of [targets.demo] in {config}\n"
            )
        );
    }
    // Never the advice to send the token over plain http, or to a whole host.
    let out = sb.run(&["token", "--url", "http://pkgs.example.com/npm/"]);
    assert_eq!(
        stderr(&out),
        "ecluse-cred: error: no target serves http://pkgs.example.com/npm/: target `demo` serves https://pkgs.example.com/npm/, over https: a token is never sent over plain http to an https registry; use https://pkgs.example.com/npm/\n"
    );
    let out = sb.run(&["token", "--url", "pkgs.example.com"]);
    assert!(
        stderr(&out).starts_with(
            "ecluse-cred: error: no target serves https://pkgs.example.com/: target `demo` serves https://pkgs.example.com/npm/, below a path, and this request names none"
        ) || stderr(&out).contains("below a path, and this request names none"),
        "{}",
        stderr(&out)
    );
    assert!(!stderr(&out).contains("add "), "{}", stderr(&out));
    // The ordinary case beside them is served.
    let out = sb.run(&["token", "--url", "https://pkgs.example.com/npm/left-pad"]);
    assert!(out.status.success(), "{}", stderr(&out));
    // Another host: the line to add, once, with the target's name.
    sb.write_config("");
    let out = sb.run(&["token", "--url", "https://other.example.com/simple/"]);
    assert_eq!(
        stderr(&out),
        format!(
            "ecluse-cred: error: no target serves https://other.example.com/simple/: add `urls = [\"https://other.example.com/simple/\"]` to [targets.demo] in {config} (if its token is for this registry), or a target of its own\n"
        )
    );
    let out = sb.run(&["setup", "pip", "--target", "demo", "--dry-run"]);
    assert_eq!(out.status.code(), Some(78));
    assert_eq!(
        stderr(&out),
        format!(
            "ecluse-cred: error: target `demo` names no registry URL, so setup does not know what to wire: add `urls = [\"https://REGISTRY/PATH/\"]` (the URL pip uses) to [targets.demo] in {config}, then run this again\n"
        )
    );
}

/// A sandbox whose PATH starts with `~/.local/bin`, which does not exist yet (a fresh account),
/// then a `pip` that says it is [`CURRENT_PIP`].
fn fresh_account(sb: &Sandbox) -> (PathBuf, String, tempfile::TempDir) {
    fresh_account_with_pip(sb, CURRENT_PIP)
}

/// A pip that reads `keyring-provider`.
const CURRENT_PIP: &str = "pip 24.0 from /usr/lib/python3/dist-packages/pip (python 3.11)";

/// [`fresh_account`] with a `pip` that says `version`, in a directory outside HOME (as a
/// system pip is: setup puts shims only in a directory of the user's), kept while the last
/// value lives.
fn fresh_account_with_pip(sb: &Sandbox, version: &str) -> (PathBuf, String, tempfile::TempDir) {
    use std::os::unix::fs::PermissionsExt;
    let bin = sb.dir.path().join(".local/bin");
    let tools = tempfile::tempdir().unwrap();
    let pip = tools.path().join("pip");
    fs::write(&pip, format!("#!/bin/sh\necho '{version}'\n")).unwrap();
    fs::set_permissions(&pip, fs::Permissions::from_mode(0o755)).unwrap();
    let path = format!("{}:{}:/usr/bin:/bin", bin.display(), tools.path().display());
    (bin, path, tools)
}

#[test]
fn a_pip_that_never_runs_a_keyring_program_is_a_setup_warning_and_a_doctor_failure() {
    let sb = Sandbox::new("urls = [\"https://pkgs.example.com/simple/\"]");
    // What `pip --version` says; setup's warning (none: new enough); doctor's line.
    let cases = [
        (
            "pip 22.3.1 from /usr/lib/python3/dist-packages/pip (python 3.11)",
            Some(
                "warning: the `pip` on PATH is pip 22.3, which never runs a `keyring` program (pip 23.0 added that) and so never asks ecluse-cred",
            ),
            "FAIL  client pip",
        ),
        // Debian 12's own pip 23.0 runs the shim, unless its Python imports the keyring
        // module: a warning that says so, and a doctor warning, not a failure.
        (
            "pip 23.0.1 from /usr/lib/python3/dist-packages/pip (python 3.11)",
            Some(
                "warning: the `pip` on PATH is pip 23.0, which ignores keyring-provider (pip 23.1 added it): it runs the `keyring` shim only while its Python cannot import the keyring module",
            ),
            "warn  client pip",
        ),
        (
            "pip 23.1 from /usr/lib/python3/dist-packages/pip (python 3.11)",
            None,
            "ok    client pip",
        ),
    ];
    for (i, (version, warning, doctor_says)) in cases.into_iter().enumerate() {
        let (_, path, _pip) = fresh_account_with_pip(&sb, version);
        // The first writes pip.conf; the others show what they would write.
        let mut args = vec!["setup", "pip", "--target", "demo"];
        if i > 0 {
            args.push("--dry-run");
        }
        let out = sb.cmd(&args).env("PATH", &path).output();
        assert!(out.status.success(), "{version}: {}", stderr(&out));
        match warning {
            Some(w) => assert!(stdout(&out).contains(w), "{version}: {}", stdout(&out)),
            None => assert!(!stdout(&out).contains("warning:"), "{}", stdout(&out)),
        }
        let doctor = sb
            .cmd(&["doctor", "--target", "demo"])
            .env("PATH", &path)
            .output();
        let line = client_line(&doctor, "client pip");
        assert!(line.starts_with(doctor_says), "{version}: {line}");
    }
}

#[test]
fn setup_pip_on_a_fresh_account_makes_its_path_directory_and_a_dry_run_says_it_would() {
    let sb = Sandbox::new("urls = [\"https://pkgs.example.com/simple/\"]");
    let (bin, path, _pip) = fresh_account(&sb);
    let setup = |extra: &[&str]| {
        let mut args = vec!["setup", "pip", "--target", "demo"];
        args.extend_from_slice(extra);
        sb.cmd(&args).env("PATH", &path).output()
    };
    let dry = setup(&["--dry-run"]);
    assert!(dry.status.success(), "{}", stderr(&dry));
    assert!(
        stdout(&dry).contains(&format!("would create {} (on your PATH)\n", bin.display())),
        "{}",
        stdout(&dry)
    );
    assert!(!bin.exists(), "a dry run made {}", bin.display());
    let out = setup(&[]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains(&format!(
            "note: created {} (it is on your PATH)\n",
            bin.display()
        )),
        "{}",
        stdout(&out)
    );
    assert_eq!(
        fs::read_link(bin.join("keyring")).unwrap(),
        Path::new(EXE)
            .canonicalize()
            .unwrap_or_else(|_| PathBuf::from(EXE))
    );
}

#[test]
fn setup_pip_without_a_username_writes_one_the_keyring_answers_and_doctor_fails_an_index_without() {
    let sb = Sandbox::new("urls = [\"https://pkgs.example.com/simple/\"]");
    let (bin, path, _pip) = fresh_account(&sb);
    let out = sb
        .cmd(&["setup", "pip", "--target", "demo"])
        .env("PATH", &path)
        .output();
    assert!(out.status.success(), "{}", stderr(&out));
    let conf = sb.dir.path().join(".config/pip/pip.conf");
    let text = fs::read_to_string(&conf).unwrap();
    assert!(
        text.lines()
            .any(|l| l == "index-url = https://token@pkgs.example.com/simple/"),
        "{text}"
    );
    // What pip up to 26.1 asks for that URL: the token, for the user it names.
    let out = sb
        .program(&bin.join("keyring"))
        .args(["get", "https://pkgs.example.com/simple/", "token"])
        .output();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out), format!("{}\n", sb.cached_token()));
    let doctor = |path: &str| {
        let out = sb
            .cmd(&["doctor", "--target", "demo"])
            .env("PATH", path)
            .output();
        client_line(&out, "client pip")
    };
    assert!(
        doctor(&path).starts_with("ok    client pip"),
        "{}",
        doctor(&path)
    );
    // An index written by hand (or an older setup) without a user would prompt.
    fs::write(&conf, text.replace("token@", "")).unwrap();
    let line = doctor(&path);
    assert!(
        line.starts_with("FAIL  client pip")
            && line.contains("prompts `User for pkgs.example.com:`"),
        "{line}"
    );
    // setup again puts the user back instead of refusing its own older line.
    let out = sb
        .cmd(&["setup", "pip", "--target", "demo"])
        .env("PATH", &path)
        .output();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        fs::read_to_string(&conf)
            .unwrap()
            .contains("https://token@pkgs.example.com/simple/")
    );
}

#[test]
fn an_environment_variable_that_overrides_the_wiring_is_a_setup_warning_and_a_doctor_failure() {
    let sb = Sandbox::new("urls = [\"https://pkgs.example.com/simple/\"]");
    let (_, path, _pip) = fresh_account(&sb);
    let run = |args: &[&str], index: Option<&str>| {
        let mut cmd = sb.cmd(args);
        cmd.env("PATH", &path);
        if let Some(index) = index {
            cmd.env("PIP_INDEX_URL", index);
        }
        cmd.output()
    };
    let warning = "warning: PIP_INDEX_URL is set in your environment and overrides pip.conf's index-url, which setup wrote: unset it (`unset PIP_INDEX_URL`)\n";
    let out = run(
        &["setup", "pip", "--target", "demo"],
        Some("https://user:pw@other.example.com/simple/"),
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains(warning), "{}", stdout(&out));
    assert!(
        !stdout(&out).contains("pw@"),
        "the variable's value is never shown"
    );
    let doctor = run(
        &["doctor", "--target", "demo"],
        Some("https://other.example.com/simple/"),
    );
    let line = client_line(&doctor, "client pip");
    assert!(
        line.starts_with("FAIL  client pip")
            && line.contains("PIP_INDEX_URL is set in your environment"),
        "{line}"
    );
    // The same URL, with the user setup writes, in the variable overrides nothing.
    let out = run(
        &["setup", "pip", "--target", "demo", "--dry-run"],
        Some("https://token@pkgs.example.com/simple/"),
    );
    assert!(
        !stdout(&out).contains("warning: PIP_INDEX_URL"),
        "{}",
        stdout(&out)
    );
    let doctor = run(
        &["doctor", "--target", "demo"],
        Some("https://token@pkgs.example.com/simple/"),
    );
    assert!(
        client_line(&doctor, "client pip").starts_with("ok    client pip"),
        "{}",
        stdout(&doctor)
    );
}

#[test]
fn a_slow_mint_says_on_a_terminal_what_it_waits_for_and_nothing_on_a_pipe() {
    let sb = Sandbox::new("");
    sb.set("sleep", "2");
    let Some(script) = common::tools::need(common::tools::Tool::Script) else {
        return;
    };
    let line = "ecluse-cred: [demo] minting a new token (no usable one is cached)...";
    // On a terminal (script(1) gives it one).
    let command = format!(
        "{EXE} --config {} --cache-dir {} token --target demo --no-background",
        sb.config.display(),
        sb.cache.display()
    );
    let out = sb
        .program(&script)
        .args(["-qec", &command, "/dev/null"])
        .output();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains(line), "{}", stdout(&out));
    // On a pipe: the token only, nothing on stderr.
    sb.run(&["clear", "--target", "demo"]);
    let out = sb.token(&["--no-background"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stderr(&out), "");
}

#[test]
fn status_fits_the_width_with_times_relative_to_now_and_a_long_error_cut_at_a_word() {
    let sb = Sandbox::new("");
    assert!(sb.token(&[]).status.success());
    let long =
        "the token service said no: ".to_owned() + &"quota exceeded for this project ".repeat(10);
    sb.write_raw_config(&format!(
        "[targets.demo]\nbackend = \"command\"\ncommand = [\"{}\"]\n[targets.down]\nbackend = \"command\"\ncommand = [\"sh\", \"-c\", \"echo '{long}' >&2; exit 1\"]\n",
        sb.bin.join("mint").display()
    ));
    assert_eq!(
        sb.run(&["token", "--target", "down"]).status.code(),
        Some(75)
    );
    for width in [100, 80] {
        let out = sb
            .cmd(&["status"])
            .env("COLUMNS", width.to_string())
            .output();
        assert!(out.status.success(), "{}", stderr(&out));
        let text = stdout(&out);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines[0],
            "TARGET  BACKEND  TOKEN  EXPIRES  REFRESH  BREAKER  FAILS  LAST ERROR"
        );
        for line in &lines {
            assert!(line.chars().count() <= width, "{width}: {line:?}");
        }
        let demo: Vec<&str> = lines[1].split_whitespace().collect();
        assert_eq!(
            &demo[..5],
            ["demo", "command", "valid", "in", "59m"],
            "{}",
            lines[1]
        );
        let down = lines[2];
        assert!(
            down.starts_with(
                "down    command  none   -        -        closed   1      `sh` exited"
            ) && down.ends_with("…")
                && !down.ends_with(" …"),
            "{down}"
        );
        // Cut at a word's end: the last word before the mark is one of the error's, whole.
        let error = format!("`sh` exited with status 1: {long}");
        let last_word = down.trim_end_matches('…').rsplit(' ').next().unwrap();
        assert!(error.split(' ').any(|w| w == last_word), "{down}");
    }
}

#[test]
fn setup_undo_says_what_it_did_and_which_shim_it_kept() {
    let sb = Sandbox::new("urls = [\"https://pkgs.example.com/simple/\"]");
    let (bin, path, _pip) = fresh_account(&sb);
    let run = |extra: &[&str]| {
        let mut args = vec!["setup", "pip", "--target", "demo"];
        args.extend_from_slice(extra);
        sb.cmd(&args).env("PATH", &path).output()
    };
    assert!(run(&[]).status.success());
    let conf = sb.dir.path().join(".config/pip/pip.conf");
    let out = run(&["--undo"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        stdout(&out),
        format!(
            "deleted {} (setup had created it, and nothing else is in it)\nkept {}: other registries may use it (remove it by hand if none does)\n",
            conf.display(),
            bin.join("keyring").display()
        )
    );
    assert!(!conf.exists());
    // A file of the user's: only setup's lines go, and undo says so.
    fs::create_dir_all(conf.parent().unwrap()).unwrap();
    fs::write(&conf, "[global]\ntimeout = 60\n").unwrap();
    assert!(run(&[]).status.success());
    let out = run(&["--undo"]);
    assert_eq!(
        stdout(&out).lines().next().unwrap(),
        format!("took setup's lines out of {}", conf.display())
    );
    assert_eq!(
        fs::read_to_string(&conf).unwrap(),
        "[global]\ntimeout = 60\n"
    );
}

#[test]
fn an_extra_index_warns_that_a_public_package_of_the_same_name_may_win() {
    let sb = Sandbox::new("urls = [\"https://pkgs.example.com/simple/\"]");
    let (_, path, _pip) = fresh_account(&sb);
    for client in ["pip", "uv"] {
        let out = sb
            .cmd(&["setup", client, "--target", "demo", "--extra", "--dry-run"])
            .env("PATH", &path)
            .output();
        assert!(out.status.success(), "{client}: {}", stderr(&out));
        assert!(
            stdout(&out).contains(
                "warning: an extra index lets a public package of the same name as one of yours win (the higher version is installed): safer is "
            ),
            "{client}: {}",
            stdout(&out)
        );
        // The default index: no such warning.
        let out = sb
            .cmd(&["setup", client, "--target", "demo", "--dry-run"])
            .env("PATH", &path)
            .output();
        assert!(
            !stdout(&out).contains("extra index"),
            "{client}: {}",
            stdout(&out)
        );
    }
}

/// The line of doctor's text output whose check names `client` (`client pip`), or "" if none.
fn client_line(out: &Output, client: &str) -> String {
    stdout(out)
        .lines()
        .find(|l| l.contains(client))
        .unwrap_or_default()
        .to_owned()
}

/// `doctor --target demo` as text, the line of `check`.
fn doctor_line(sb: &Sandbox, args: &[&str], check: &str) -> String {
    let mut all = vec!["doctor", "--target", "demo"];
    all.extend_from_slice(args);
    let out = sb.run(&all);
    let text = stdout(&out);
    let mut lines = text.lines();
    let line = lines
        .find(|l| l[6..].starts_with(check))
        .unwrap_or_else(|| panic!("no {check} in {text}"))
        .to_owned();
    match lines.next().filter(|l| l.starts_with("      fix: ")) {
        Some(fix) => format!("{line}\n{fix}"),
        None => line,
    }
}

#[test]
fn doctor_fails_an_open_breaker_with_no_usable_token_and_warns_while_one_is_served() {
    let sb = Sandbox::new("");
    assert!(sb.token(&[]).status.success());
    // The token expires, and the backend is down: three failures open the breaker.
    sb.shift_entry(-120_000, -60_000);
    sb.set("fail", "");
    for _ in 0..3 {
        assert_eq!(sb.token(&[]).status.code(), Some(75));
    }
    let line = doctor_line(&sb, &[], "cache `demo`");
    assert!(
        line.starts_with("FAIL  cache `demo`: circuit breaker open after 3 failures until ")
            && line.contains(": no usable token is cached, so every `token` call fails (exit 75) until then; last error: "),
        "{line}"
    );
    // The same breaker over a token still valid: callers are served, a warning.
    sb.shift_entry(-60_000, 3_600_000);
    let line = doctor_line(&sb, &[], "cache `demo`");
    assert!(
        line.starts_with("warn  cache `demo`: circuit breaker open after 3 failures until ")
            && line.contains(": callers are served the cached token meanwhile"),
        "{line}"
    );
}

#[test]
fn doctor_says_to_fix_the_commands_output_when_the_mint_prints_no_token() {
    let sb = Sandbox::new("");
    sb.write_raw_config(
        "[targets.demo]\nbackend = \"command\"\ncommand = [\"sh\", \"-c\", \"echo garbage\"]\n",
    );
    let line = doctor_line(&sb, &["--mint"], "mint `demo`");
    assert_eq!(
        line,
        "FAIL  mint `demo`: target `demo`: mint failed: `sh` printed invalid JSON on stdout (line 1, column 1; expected a JSON object with `token` and `expires_at` or `expires_in`)\n      fix: fix the command's output: it must print {\"token\": \"...\", \"expires_in\": SECONDS} (or \"expires_at\") on stdout"
    );
    // A target without urls: said as it is.
    let line = doctor_line(&sb, &[], "clients");
    assert_eq!(
        line,
        "ok    clients: target `demo` has no `urls`, so no client is wired to it: name a registry with --url to check the clients"
    );
}

#[test]
fn a_cargo_registry_variable_that_overrides_the_wiring_is_named_by_setup_and_doctor() {
    let sb = Sandbox::new("urls = [\"https://pkgs.example.com/cargo/\"]");
    let var = "CARGO_REGISTRIES_DEMO_CREDENTIAL_PROVIDER";
    let run = |args: &[&str], set: bool| {
        let mut cmd = sb.cmd(args);
        cmd.env_remove("CARGO_HOME");
        if set {
            cmd.env(var, "cargo:token");
        }
        cmd.output()
    };
    let out = run(&["setup", "cargo", "--target", "demo"], true);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains(&format!(
            "warning: {var} is set in your environment and overrides the registry's credential-provider in cargo's config, which setup wrote: unset it (`unset {var}`)\n"
        )),
        "{}",
        stdout(&out)
    );
    let line = |set: bool| {
        let out = run(&["doctor", "--target", "demo"], set);
        client_line(&out, "client cargo")
    };
    let with = line(true);
    assert!(
        with.starts_with("FAIL  client cargo") && with.contains(&format!("{var} is set")),
        "{with}"
    );
    assert!(
        line(false).starts_with("ok    client cargo"),
        "{}",
        line(false)
    );
}

#[test]
fn a_variable_warns_only_where_it_overrides_what_setup_wrote() {
    let sb = Sandbox::new(
        "urls = [\"https://pkgs.example.com/npm/\", \"https://pkgs.example.com/simple/\"]",
    );
    let (_, path, _pip) = fresh_account(&sb);
    let setup = |args: &[&str], env: (&str, &str)| {
        let out = sb.cmd(args).env("PATH", &path).env(env.0, env.1).output();
        assert!(out.status.success(), "{args:?}: {}", stderr(&out));
        stdout(&out)
    };
    // npm's default registry in the environment leaves a scope's registry be.
    let npm = ("NPM_CONFIG_REGISTRY", "https://registry.npmjs.org/");
    let scoped = setup(
        &[
            "setup",
            "npm",
            "--url",
            "https://pkgs.example.com/npm/",
            "--scope",
            "@acme",
            "--dry-run",
        ],
        npm,
    );
    assert!(!scoped.contains("warning: NPM_CONFIG_REGISTRY"), "{scoped}");
    let unscoped = setup(
        &[
            "setup",
            "npm",
            "--url",
            "https://pkgs.example.com/npm/",
            "--dry-run",
        ],
        npm,
    );
    assert!(
        unscoped.contains("warning: NPM_CONFIG_REGISTRY is set"),
        "{unscoped}"
    );
    // pip's index in the environment without the user pip up to 26.1 needs: it would prompt.
    let pip = setup(
        &[
            "setup",
            "pip",
            "--url",
            "https://pkgs.example.com/simple/",
            "--dry-run",
        ],
        ("PIP_INDEX_URL", "https://pkgs.example.com/simple/"),
    );
    assert!(pip.contains("warning: PIP_INDEX_URL is set"), "{pip}");
    let pip = setup(
        &[
            "setup",
            "pip",
            "--url",
            "https://pkgs.example.com/simple/",
            "--dry-run",
        ],
        ("PIP_INDEX_URL", "https://token@pkgs.example.com/simple/"),
    );
    assert!(!pip.contains("warning: PIP_INDEX_URL"), "{pip}");
}

#[test]
fn a_secret_in_the_wrong_key_is_never_repeated_in_the_error() {
    let sb = Sandbox::new("");
    for (key, value) in [
        ("backend", "ghp_S3cretTokenValue0123456789"),
        ("git_auth", "S3cret-Value/xyz"),
    ] {
        let text = if key == "backend" {
            format!("[targets.demo]\nbackend = \"{value}\"\n")
        } else {
            format!(
                "[targets.demo]\nbackend = \"command\"\ncommand = [\"{}\"]\ngit_auth = \"{value}\"\n",
                sb.bin.join("mint").display()
            )
        };
        sb.write_raw_config(&text);
        let out = sb.token(&[]);
        assert_eq!(out.status.code(), Some(78));
        assert!(!stderr(&out).contains(value), "{}", stderr(&out));
        assert!(
            stderr(&out).contains("the value given is not"),
            "{}",
            stderr(&out)
        );
    }
}

#[test]
fn init_never_reads_what_is_not_a_regular_file_and_help_is_for_the_command_asked() {
    let sb = Sandbox::new("");
    let out = sb
        .program(Path::new(EXE))
        .args(["init", "--config", "/dev/zero"])
        .output_within(PATIENCE)
        .expect("init returns");
    assert_eq!(out.status.code(), Some(78), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("/dev/zero already exists"),
        "{}",
        stderr(&out)
    );
    // A value that names a protocol command is a value, not the command.
    let out = sb.run(&["token", "--target", "keyring", "--help"]);
    assert!(
        stdout(&out).starts_with("Print a valid token for a target"),
        "{}",
        stdout(&out)
    );
}
