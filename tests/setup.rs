//! What `setup` promises for every client, beyond each client's own end-to-end test (in
//! tests/cargo.rs, npm.rs, pip.rs, kubectl.rs, docker.rs, protocols.rs): a file that does not
//! parse is refused and left alone, naming FILE:LINE; a dry run writes nothing; created files
//! are never writable by group or others; the shim goes only where the user can run it; and a
//! binary in a temporary place is pointed out.

mod common;

use std::fs;
use std::path::Path;

use common::*;

const URL: &str = "https://pkgs.example.com/repo/";
/// What docker and Terraform are wired for: they name a host and send the token to any path of
/// it, so only a target serving the whole host answers them.
const HOST_URL: &str = "https://pkgs.example.com/";

fn sandbox() -> Sandbox {
    Sandbox::new(&format!(
        "username = \"aws\"\nurls = [\"{URL}\", \"{HOST_URL}\"]"
    ))
}

/// The URL setup is given for `client`.
fn url_for(client: &str) -> &'static str {
    match client {
        "docker" | "terraform" => HOST_URL,
        _ => URL,
    }
}

fn setup(sb: &Sandbox, client: &str, file: &Path, extra: &[&str]) -> std::process::Output {
    let bin = sb.dir.path().join("shims");
    let mut args = vec![
        "setup",
        client,
        "--url",
        url_for(client),
        "--file",
        file.to_str().unwrap(),
        "--bin-dir",
        bin.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    sb.run(&args)
}

#[test]
fn a_file_that_does_not_parse_is_refused_naming_file_and_line_and_left_alone() {
    let sb = sandbox();
    for (client, name, text, line) in [
        ("cargo", "config.toml", "[net]\nretry = 0\n[registries\n", 3),
        ("uv", "uv.toml", "# mine\nnative-tls = true\nindex = [\n", 3),
        (
            "pip",
            "pip.conf",
            "[global]\ntimeout = 60\nthis is not ini\n",
            3,
        ),
        ("docker", "config.json", "{\n\t\"auths\": {\n}", 3),
    ] {
        let file = sb.dir.path().join("client").join(name);
        fs::create_dir_all(file.parent().unwrap()).unwrap();
        fs::write(&file, text).unwrap();
        let out = setup(&sb, client, &file, &[]);
        assert_eq!(out.status.code(), Some(78), "{client}: {}", stderr(&out));
        let want = format!("{}:{line}", file.display());
        assert!(
            stderr(&out).contains(&want),
            "{client}: {} lacks {want}",
            stderr(&out)
        );
        assert_eq!(
            fs::read_to_string(&file).unwrap(),
            text,
            "{client} touched it"
        );
    }
    assert_eq!(sb.mints(), 0);
}

#[test]
fn a_dry_run_prints_the_diff_and_writes_nothing() {
    let sb = sandbox();
    let exe = env!("CARGO_BIN_EXE_ecluse-cred");
    let shims = sb.dir.path().join("shims");
    // The shims' directory is on PATH and does not exist yet: setup would make it.
    let link = |shim: &str| {
        format!(
            "would create {} (on your PATH)\nwould link {} -> {exe}\n",
            shims.display(),
            shims.join(shim).display()
        )
    };
    for (client, name, added, after) in [
        (
            "cargo",
            "config.toml",
            format!(
                "@@ -0,0 +1,5 @@\n+\n+# ecluse-cred setup: {URL}\n+[registries.demo]\n+index = \"sparse+{URL}\"\n+credential-provider = [\"{exe}\"]\n"
            ),
            String::new(),
        ),
        (
            "uv",
            "uv.toml",
            format!(
                "@@ -0,0 +1,9 @@\n+# ecluse-cred setup: keyring-provider\n+keyring-provider = \"subprocess\"\n+\n+# ecluse-cred setup: {URL}\n+[[index]]\n+name = \"ecluse-demo\"\n+url = \"{URL}\"\n+default = true\n+authenticate = \"always\"\n"
            ),
            link("keyring"),
        ),
        (
            "pip",
            "pip.conf",
            format!(
                "@@ -0,0 +1,6 @@\n+# ecluse-cred setup: [global]\n+[global]\n+# ecluse-cred setup: keyring-provider\n+keyring-provider = subprocess\n+# ecluse-cred setup: {URL}\n+index-url = https://aws@pkgs.example.com/repo/\n"
            ),
            link("keyring"),
        ),
        (
            "docker",
            "config.json",
            "@@ -0,0 +1,5 @@\n+{\n+\t\"credHelpers\": {\n+\t\t\"pkgs.example.com\": \"ecluse\"\n+\t}\n+}\n"
                .to_owned(),
            link("docker-credential-ecluse"),
        ),
        (
            "npm",
            ".npmrc",
            format!(
                "@@ -0,0 +1,3 @@\n+# ecluse-cred setup: {URL}\n+registry={URL}\n+//pkgs.example.com/repo/:_authToken=<redacted>\n"
            ),
            String::new(),
        ),
    ] {
        let file = sb.dir.path().join("client").join(name);
        let out = setup(&sb, client, &file, &["--dry-run"]);
        assert!(out.status.success(), "{client}: {}", stderr(&out));
        assert_eq!(
            stdout(&out),
            format!("--- /dev/null\n+++ {}\n{added}{after}", file.display()),
            "{client}"
        );
        assert!(!file.exists(), "{client} wrote {}", file.display());
    }
    assert!(!sb.dir.path().join("shims").exists(), "no shim either");
    assert_eq!(sb.mints(), 0, "a dry run mints nothing");
}

#[test]
fn what_setup_creates_is_not_writable_by_others_and_a_second_run_changes_nothing() {
    let sb = sandbox();
    for (client, name) in [
        ("cargo", "config.toml"),
        ("uv", "uv.toml"),
        ("pip", "pip.conf"),
        ("docker", "config.json"),
    ] {
        let file = sb.dir.path().join("new").join(name);
        let out = setup(&sb, client, &file, &[]);
        assert!(out.status.success(), "{client}: {}", stderr(&out));
        assert_eq!(mode(&file) & 0o022, 0, "{client}: {:o}", mode(&file));
        let first = fs::read(&file).unwrap();
        let again = setup(&sb, client, &file, &[]);
        assert_eq!(
            stdout(&again).lines().next(),
            Some("nothing to change: already set up"),
            "{client}: {}",
            stdout(&again)
        );
        assert_eq!(fs::read(&file).unwrap(), first, "{client}");
        // The test binary lives in a cargo build directory: setup says so.
        let warning = format!(
            "warning: {} is in a cargo build directory: the client config points at it; install with `cargo install --locked --path . && cargo install --locked --path mint` and run setup again",
            env!("CARGO_BIN_EXE_ecluse-cred")
        );
        assert!(
            stdout(&out).lines().any(|l| l == warning),
            "{client}: {}",
            stdout(&out)
        );
    }
    // An existing file keeps its mode.
    let kept = sb.dir.path().join("kept.toml");
    fs::write(&kept, "").unwrap();
    fs::set_permissions(&kept, std::os::unix::fs::PermissionsExt::from_mode(0o640)).unwrap();
    assert!(setup(&sb, "cargo", &kept, &[]).status.success());
    assert_eq!(mode(&kept), 0o640);
}

#[test]
fn the_shim_goes_only_to_a_directory_of_the_user_on_path() {
    let sb = sandbox();
    let file = sb.dir.path().join("pip.conf");
    // No writable directory of the user's on PATH: an error saying which line to add.
    let out = sb
        .cmd(&[
            "setup",
            "pip",
            "--url",
            URL,
            "--file",
            file.to_str().unwrap(),
        ])
        .env("PATH", "/usr/bin:/bin")
        .output();
    assert_eq!(out.status.code(), Some(78), "{}", stderr(&out));
    assert!(stderr(&out).contains("export PATH="), "{}", stderr(&out));
    assert!(!file.exists());
    // With one, the shim lands there.
    let mine = sb.dir.path().join(".local/bin");
    fs::create_dir_all(&mine).unwrap();
    let out = sb
        .cmd(&[
            "setup",
            "pip",
            "--url",
            URL,
            "--file",
            file.to_str().unwrap(),
        ])
        .env("PATH", format!("/usr/bin:{}:/bin", mine.display()))
        .output();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(fs::read_link(mine.join("keyring")).is_ok());
}

#[test]
fn an_existing_setting_of_the_user_is_never_silently_replaced() {
    let sb = sandbox();
    let pip = sb.dir.path().join("pip.conf");
    let theirs = "[global]\nindex-url = https://pypi.example.org/simple/\n";
    fs::write(&pip, theirs).unwrap();
    let out = setup(&sb, "pip", &pip, &[]);
    assert_eq!(out.status.code(), Some(78), "{}", stderr(&out));
    assert_eq!(
        stderr(&out),
        format!(
            "ecluse-cred: error: {}:2: `index-url` is already set there to something else; setup does not replace it (pass --extra to add this registry as an extra index)\n",
            pip.display()
        )
    );
    assert_eq!(fs::read_to_string(&pip).unwrap(), theirs);
    // --extra adds it beside, and --undo takes exactly that out.
    assert!(setup(&sb, "pip", &pip, &["--extra"]).status.success());
    assert_eq!(
        fs::read_to_string(&pip).unwrap(),
        format!(
            "{theirs}# ecluse-cred setup: keyring-provider\nkeyring-provider = subprocess\n# ecluse-cred setup: {URL}\nextra-index-url = https://aws@pkgs.example.com/repo/\n"
        )
    );
    assert!(
        setup(&sb, "pip", &pip, &["--extra", "--undo"])
            .status
            .success()
    );
    assert_eq!(fs::read_to_string(&pip).unwrap(), theirs);

    let npmrc = sb.dir.path().join(".npmrc");
    let theirs = "registry=https://registry.npmjs.org/\n";
    fs::write(&npmrc, theirs).unwrap();
    let out = setup(&sb, "npm", &npmrc, &[]);
    assert_eq!(out.status.code(), Some(78), "{}", stderr(&out));
    assert_eq!(fs::read_to_string(&npmrc).unwrap(), theirs);
    // A scope is fine: only @acme goes to the registry.
    sb.allow_token_in(&npmrc);
    assert!(
        setup(&sb, "npm", &npmrc, &["--scope", "@acme"])
            .status
            .success()
    );
    assert_eq!(
        fs::read_to_string(&npmrc).unwrap(),
        format!(
            "{theirs}# ecluse-cred setup: {URL}\n@acme:registry={URL}\n//pkgs.example.com/repo/:_authToken={}\n",
            sb.cached_token()
        )
    );
    assert!(
        setup(&sb, "npm", &npmrc, &["--scope", "@acme", "--undo"])
            .status
            .success()
    );
    assert_eq!(fs::read_to_string(&npmrc).unwrap(), theirs);
}

#[test]
fn setup_git_names_the_target_so_another_target_on_the_host_never_answers() {
    let sb = Sandbox::new("");
    let mint = sb.bin.join("mint");
    sb.write_raw_config(&format!(
        "[targets.a]\nbackend = \"command\"\ncommand = [\"{m}\"]\nurls = [\"https://h.example/a/\"]\n[targets.b]\nbackend = \"command\"\ncommand = [\"{m}\"]\nurls = [\"https://h.example/bbb/\"]\n",
        m = mint.display()
    ));
    let gitconfig = sb.dir.path().join("client/gitconfig");
    let out = sb.run(&[
        "setup",
        "git",
        "--url",
        "https://h.example/bbb/",
        "--file",
        gitconfig.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = fs::read_to_string(&gitconfig).unwrap();
    assert!(text.contains("git-credential --target='b'"), "{text}");
    // An older copy's helper there is replaced, not refused.
    let stale = text.replace(env!("CARGO_BIN_EXE_ecluse-cred"), "/opt/old/ecluse-cred");
    fs::write(&gitconfig, &stale).unwrap();
    let out = sb.run(&[
        "setup",
        "git",
        "--url",
        "https://h.example/bbb/",
        "--file",
        gitconfig.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(fs::read_to_string(&gitconfig).unwrap(), text);
}

#[test]
fn npm_tokens_stay_private_and_out_of_diffs_and_the_users_lines_stay() {
    let sb = sandbox();
    let npmrc = sb.dir.path().join("client/.npmrc");
    fs::create_dir_all(npmrc.parent().unwrap()).unwrap();
    fs::write(&npmrc, "fund=false\n").unwrap();
    fs::set_permissions(&npmrc, std::os::unix::fs::PermissionsExt::from_mode(0o644)).unwrap();
    sb.allow_token_in(&npmrc);
    // A token is cached already: a dry run that would write the token line shows it masked.
    assert!(sb.token(&[]).status.success());
    let token = sb.cached_token();
    let header = format!("--- {0}\n+++ {0}\n", npmrc.display());
    let auth_line = "//pkgs.example.com/repo/:_authToken=";
    let dry = setup(&sb, "npm", &npmrc, &["--dry-run"]);
    assert!(dry.status.success(), "{}", stderr(&dry));
    assert_eq!(
        stdout(&dry),
        format!(
            "{header}@@ -1 +1,4 @@\n fund=false\n+# ecluse-cred setup: {URL}\n+registry={URL}\n+{auth_line}<redacted>\n"
        )
    );
    assert_eq!(fs::read_to_string(&npmrc).unwrap(), "fund=false\n");
    assert_eq!(mode(&npmrc), 0o644, "a dry run changes no mode either");
    assert!(setup(&sb, "npm", &npmrc, &[]).status.success());
    assert_eq!(mode(&npmrc), 0o600, "a token is not left world-readable");
    assert_eq!(
        fs::read_to_string(&npmrc).unwrap(),
        format!("fund=false\n# ecluse-cred setup: {URL}\nregistry={URL}\n{auth_line}{token}\n")
    );
    let dry = setup(&sb, "npm", &npmrc, &["--dry-run"]);
    assert_eq!(stdout(&dry), "", "nothing would change");
    // Scoped now: the block is written again, the token line with it.
    let dry = setup(&sb, "npm", &npmrc, &["--dry-run", "--scope", "@corp"]);
    assert!(dry.status.success(), "{}", stderr(&dry));
    assert_eq!(
        stdout(&dry),
        format!(
            "{header}@@ -1,4 +1,4 @@\n fund=false\n # ecluse-cred setup: {URL}\n-registry={URL}\n+@corp:registry={URL}\n {auth_line}<redacted>\n"
        )
    );
    // A line the user adds right after setup's block is theirs: undo keeps it.
    let mut text = fs::read_to_string(&npmrc).unwrap();
    text.push_str("audit=false\n");
    fs::write(&npmrc, &text).unwrap();
    assert!(setup(&sb, "npm", &npmrc, &["--undo"]).status.success());
    assert_eq!(
        fs::read_to_string(&npmrc).unwrap(),
        "fund=false\naudit=false\n"
    );
}

#[test]
fn pip_undo_of_one_registry_keeps_the_other_working_and_the_last_restores_the_file() {
    let sb = Sandbox::new(
        "username = \"aws\"\nurls = [\"https://one.example/simple/\", \"https://two.example/simple/\"]",
    );
    let conf = sb.dir.path().join("client/pip.conf");
    fs::create_dir_all(conf.parent().unwrap()).unwrap();
    let mine = "[install]\nno-compile = true\n";
    fs::write(&conf, mine).unwrap();
    let bin = sb.dir.path().join("shims");
    let run = |url: &str, extra: &[&str]| {
        let mut args = vec![
            "setup",
            "pip",
            "--url",
            url,
            "--file",
            conf.to_str().unwrap(),
            "--bin-dir",
            bin.to_str().unwrap(),
        ];
        args.extend_from_slice(extra);
        let out = sb.run(&args);
        assert!(out.status.success(), "{}", stderr(&out));
    };
    run("https://one.example/simple/", &[]);
    run("https://two.example/simple/", &["--extra"]);
    run("https://one.example/simple/", &["--undo"]);
    assert_eq!(
        fs::read_to_string(&conf).unwrap(),
        format!(
            "{mine}# ecluse-cred setup: [global]\n[global]\n# ecluse-cred setup: keyring-provider\nkeyring-provider = subprocess\n# ecluse-cred setup: https://two.example/simple/\nextra-index-url = https://aws@two.example/simple/\n"
        )
    );
    run("https://two.example/simple/", &["--extra", "--undo"]);
    assert_eq!(fs::read_to_string(&conf).unwrap(), mine);
    // pip's own spelling of a key counts: `index_url` is `index-url`.
    fs::write(
        &conf,
        "[global]\nindex_url = https://corp.example/simple/\n",
    )
    .unwrap();
    let out = sb.run(&[
        "setup",
        "pip",
        "--url",
        "https://one.example/simple/",
        "--file",
        conf.to_str().unwrap(),
        "--bin-dir",
        bin.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(78), "{}", stderr(&out));
}

#[test]
fn uv_undo_of_one_url_keeps_an_index_whose_url_extends_it() {
    let sb = Sandbox::new("urls = [\"https://h.example/repo/\"]");
    let toml = sb.dir.path().join("client/uv.toml");
    let bin = sb.dir.path().join("shims");
    let run = |url: &str, extra: &[&str]| {
        let mut args = vec![
            "setup",
            "uv",
            "--url",
            url,
            "--file",
            toml.to_str().unwrap(),
            "--bin-dir",
            bin.to_str().unwrap(),
            "--extra",
        ];
        args.extend_from_slice(extra);
        let out = sb.run(&args);
        assert!(out.status.success(), "{}", stderr(&out));
    };
    run("https://h.example/repo/", &[]);
    run("https://h.example/repo/sub/", &[]);
    run("https://h.example/repo/", &["--undo"]);
    assert_eq!(
        fs::read_to_string(&toml).unwrap(),
        "# ecluse-cred setup: keyring-provider\nkeyring-provider = \"subprocess\"\n\n# ecluse-cred setup: https://h.example/repo/sub/\n[[index]]\nname = \"ecluse-demo\"\nurl = \"https://h.example/repo/sub/\"\nauthenticate = \"always\"\n"
    );
}

#[test]
fn a_users_own_keyring_is_never_replaced_and_then_nothing_is_written() {
    let sb = sandbox();
    let bin = sb.dir.path().join("shims");
    fs::create_dir_all(&bin).unwrap();
    std::os::unix::fs::symlink("/usr/bin/true", bin.join("keyring")).unwrap();
    let conf = sb.dir.path().join("client/pip.conf");
    let out = setup(&sb, "pip", &conf, &[]);
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("not to an ecluse-cred"),
        "{}",
        stderr(&out)
    );
    assert_eq!(
        fs::read_link(bin.join("keyring")).unwrap(),
        Path::new("/usr/bin/true")
    );
    assert!(
        !conf.exists(),
        "no config pointing at a keyring that is not ours"
    );
}

#[test]
fn directories_setup_creates_ignore_a_permissive_umask() {
    let sb = sandbox();
    let home = sb.dir.path().join("cargo-home");
    let out = sb
        .program(Path::new("sh"))
        .arg("-c")
        .arg(format!(
            "umask 000; exec '{}' --config '{}' --cache-dir '{}' setup cargo --url {URL}",
            env!("CARGO_BIN_EXE_ecluse-cred"),
            sb.config.display(),
            sb.cache.display()
        ))
        .env("CARGO_HOME", &home)
        .output();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(mode(&home) & 0o022, 0, "{:o}", mode(&home));
    assert_eq!(mode(&home.join("config.toml")) & 0o022, 0);
}

#[test]
fn pnpm_undo_dry_run_removes_nothing() {
    let sb = sandbox();
    let npmrc = sb.dir.path().join("client/.npmrc");
    let helpers = sb.dir.path().join("helpers");
    let run = |extra: &[&str]| {
        let mut args = vec![
            "setup",
            "pnpm",
            "--url",
            URL,
            "--file",
            npmrc.to_str().unwrap(),
            "--bin-dir",
            helpers.to_str().unwrap(),
        ];
        args.extend_from_slice(extra);
        sb.run(&args)
    };
    assert!(run(&[]).status.success());
    assert!(run(&["--undo", "--dry-run"]).status.success());
    assert!(helpers.join("ecluse-pnpm-token-demo").exists());
    assert!(npmrc.exists());
}

#[test]
fn a_device_or_fifo_in_place_of_the_config_is_refused_and_left_as_it_is() {
    use std::os::unix::fs::FileTypeExt;
    let sb = sandbox();
    let fifo = sb.dir.path().join("fifo");
    mkfifo(&fifo);
    for (client, file) in [
        ("npm", Path::new("/dev/null")),
        ("git", Path::new("/dev/null")),
        ("cargo", fifo.as_path()),
        ("npm", fifo.as_path()),
    ] {
        let out = setup(&sb, client, file, &[]);
        assert_eq!(out.status.code(), Some(78), "{client}: {}", stderr(&out));
        assert!(
            stderr(&out).contains("not a regular file"),
            "{}",
            stderr(&out)
        );
    }
    assert!(
        fs::metadata("/dev/null")
            .unwrap()
            .file_type()
            .is_char_device()
    );
    assert!(fs::metadata(&fifo).unwrap().file_type().is_fifo());
    assert_eq!(sb.mints(), 0);
}

#[test]
fn a_symlinked_config_is_edited_where_it_points_and_the_link_stays() {
    let sb = sandbox();
    let dotfiles = sb.dir.path().join("dotfiles");
    fs::create_dir(&dotfiles).unwrap();
    let link = sb.dir.path().join("client/.npmrc");
    fs::create_dir_all(link.parent().unwrap()).unwrap();
    // A link to a file with the user's own lines, and a link to a file not made yet.
    for (real, before) in [("npmrc", Some("save-exact=true\n")), ("new-npmrc", None)] {
        let real = dotfiles.join(real);
        if let Some(text) = before {
            fs::write(&real, text).unwrap();
        }
        let _ = fs::remove_file(&link);
        std::os::unix::fs::symlink(&real, &link).unwrap();
        let out = setup(&sb, "npm", &link, &[]);
        assert!(out.status.success(), "{}", stderr(&out));
        assert!(
            fs::symlink_metadata(&link)
                .unwrap()
                .file_type()
                .is_symlink()
        );
        assert!(fs::read_to_string(&real).unwrap().contains(":_authToken="));
        assert_eq!(mode(&real) & 0o077, 0, "the token's file is private");
        let out = setup(&sb, "npm", &link, &["--undo"]);
        assert!(out.status.success(), "{}", stderr(&out));
        assert!(
            fs::symlink_metadata(&link)
                .unwrap()
                .file_type()
                .is_symlink()
        );
        assert_eq!(fs::read_to_string(&real).ok().as_deref(), before);
    }
}

#[test]
fn setup_then_undo_gives_back_a_crlf_file_byte_for_byte() {
    let sb = sandbox();
    for (client, name, text) in [
        ("cargo", "config.toml", "# mine\r\n[net]\r\nretry = 2\r\n"),
        ("npm", ".npmrc", "save-exact=true\r\n"),
        ("pip", "pip.conf", "[global]\r\ntimeout = 60\r\n"),
    ] {
        let file = sb.dir.path().join("crlf").join(name);
        fs::create_dir_all(file.parent().unwrap()).unwrap();
        fs::write(&file, text).unwrap();
        let out = setup(&sb, client, &file, &[]);
        assert!(out.status.success(), "{client}: {}", stderr(&out));
        let set_up = fs::read_to_string(&file).unwrap();
        assert_eq!(
            set_up.matches('\n').count(),
            set_up.matches("\r\n").count(),
            "{client}: mixed line endings: {set_up:?}"
        );
        let out = setup(&sb, client, &file, &["--undo"]);
        assert!(out.status.success(), "{client}: {}", stderr(&out));
        assert_eq!(fs::read_to_string(&file).unwrap(), text, "{client}");
    }
}

#[test]
fn a_dry_run_masks_the_users_other_credentials_too() {
    let sb = sandbox();
    let file = sb.dir.path().join("client/.npmrc");
    fs::create_dir_all(file.parent().unwrap()).unwrap();
    fs::write(
        &file,
        "//other.example.com/:_authToken = OTHER-NPM-SECRET\nregistry=https://user:OTHER-PASS@mirror.example.com/\nsave-exact=true\n",
    )
    .unwrap();
    let out = setup(&sb, "npm", &file, &["--dry-run", "--scope", "@me"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let shown = stdout(&out);
    assert!(shown.contains("save-exact=true"), "{shown}");
    assert!(
        !shown.contains("OTHER-NPM-SECRET") && !shown.contains("OTHER-PASS"),
        "{shown}"
    );
}

#[test]
fn setup_arguments_that_would_add_lines_of_their_own_are_refused() {
    let sb = sandbox();
    let file = sb.dir.path().join("client/.npmrc");
    for (option, value) in [
        ("--scope", "me\n//evil.example.com/:_authToken=x"),
        ("--scope", "a/b"),
        ("--registry", "x\ny"),
        ("--user", ""),
    ] {
        let client = if option == "--registry" {
            "cargo"
        } else {
            "npm"
        };
        let out = setup(&sb, client, &file, &[option, value]);
        assert_eq!(
            out.status.code(),
            Some(2),
            "{option} {value:?}: {}",
            stderr(&out)
        );
        assert!(!file.exists());
    }
}

#[test]
fn a_refused_pnpm_setup_leaves_no_helper_link_behind() {
    let sb = sandbox();
    let file = sb.dir.path().join("client/.npmrc");
    fs::create_dir_all(file.parent().unwrap()).unwrap();
    fs::write(&file, "registry=https://registry.npmjs.org/\n").unwrap();
    let out = setup(&sb, "pnpm", &file, &[]);
    assert_eq!(out.status.code(), Some(78), "{}", stderr(&out));
    let shims = sb.dir.path().join("shims");
    let left: Vec<_> = fs::read_dir(&shims)
        .map(|d| d.map(|e| e.unwrap().file_name()).collect())
        .unwrap_or_default();
    assert!(left.is_empty(), "{left:?}");
}

#[test]
fn cargo_undo_finds_what_setup_added_under_its_name_and_a_rename_is_refused() {
    let sb = sandbox();
    let file = sb.dir.path().join("cargo/config.toml");
    fs::create_dir_all(file.parent().unwrap()).unwrap();
    let before = "[net]\nretry = 2\n";
    fs::write(&file, before).unwrap();
    assert!(
        setup(&sb, "cargo", &file, &["--registry", "mine"])
            .status
            .success()
    );
    // Again under another name: refused (Cargo.toml files name `mine`), not a second index.
    let out = setup(&sb, "cargo", &file, &["--registry", "theirs"]);
    assert_eq!(out.status.code(), Some(78), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("[registries.mine]"),
        "{}",
        stderr(&out)
    );
    let text = fs::read_to_string(&file).unwrap();
    assert_eq!(text.matches("sparse+").count(), 1, "{text}");
    assert!(text.contains("[registries.mine]"), "{text}");
    let out = setup(&sb, "cargo", &file, &["--undo"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(fs::read_to_string(&file).unwrap(), before);
}

#[test]
fn a_git_config_that_does_not_parse_is_named_not_the_copy_setup_works_on() {
    let sb = sandbox();
    let file = sb.dir.path().join("git/config");
    fs::create_dir_all(file.parent().unwrap()).unwrap();
    fs::write(&file, "[user]\n\tname = me\n[broken\n").unwrap();
    let out = setup(&sb, "git", &file, &[]);
    assert_eq!(out.status.code(), Some(78), "{}", stderr(&out));
    // git's message, about the copy setup runs `git config` on, names the user's file.
    let named = format!("line 3 in file {}", file.display());
    assert!(stderr(&out).contains(&named), "{}", stderr(&out));
}

#[test]
fn docker_is_wired_only_for_the_target_that_answers_its_host() {
    // Two targets on one host: docker asks by host, which the bare-host target answers.
    let sb = Sandbox::new("username = \"aws\"\nurls = [\"https://pkgs.example.com/\"]");
    let mint = sb.bin.join("mint").display().to_string();
    let text = fs::read_to_string(&sb.config).unwrap()
        + &format!(
            "[targets.py]\nbackend = \"command\"\ncommand = [\"{mint}\"]\nusername = \"aws\"\nurls = [\"https://pkgs.example.com/pypi/\"]\n"
        );
    fs::write(&sb.config, text).unwrap();
    let file = sb.dir.path().join("docker/config.json");
    let bin = sb.dir.path().join("shims");
    let run = |url: &str| {
        sb.run(&[
            "setup",
            "docker",
            "--url",
            url,
            "--file",
            file.to_str().unwrap(),
            "--bin-dir",
            bin.to_str().unwrap(),
        ])
    };
    let out = run("https://pkgs.example.com/pypi/");
    assert_eq!(out.status.code(), Some(78), "{}", stderr(&out));
    assert!(stderr(&out).contains("target `demo`"), "{}", stderr(&out));
    assert!(!file.exists());
    let out = run("https://pkgs.example.com/");
    assert!(out.status.success(), "{}", stderr(&out));
}

#[test]
fn npm_undo_removes_a_scoped_setup_without_being_told_the_scope() {
    let sb = sandbox();
    let file = sb.dir.path().join("client/.npmrc");
    fs::create_dir_all(file.parent().unwrap()).unwrap();
    let before = "fund=false\n";
    fs::write(&file, before).unwrap();
    sb.allow_token_in(&file);
    let out = setup(&sb, "npm", &file, &["--scope", "@acme"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        fs::read_to_string(&file).unwrap(),
        format!(
            "{before}# ecluse-cred setup: {URL}\n@acme:registry={URL}\n//pkgs.example.com/repo/:_authToken={}\n",
            sb.cached_token()
        )
    );
    let out = setup(&sb, "npm", &file, &["--undo"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(fs::read_to_string(&file).unwrap(), before);
}

/// Every client setup wires, with the name of its file and what an existing file that holds
/// nothing looks like to it (docker's `config.json`: `{}`).
const CLIENTS: [(&str, &str, &str); 16] = [
    ("npm", ".npmrc", ""),
    ("poetry", "config.toml", ""),
    ("twine", ".pypirc", ""),
    ("pdm", "config.toml", ""),
    ("hatch", "config.toml", ""),
    ("maven", "settings.xml", ""),
    ("yarn", ".yarnrc.yml", ""),
    ("pnpm", ".npmrc", ""),
    ("pip", "pip.conf", ""),
    ("uv", "uv.toml", ""),
    ("cargo", "config.toml", ""),
    ("git", "gitconfig", ""),
    ("docker", "config.json", "{}"),
    ("kubectl", "kubeconfig", ""),
    ("bazel", ".bazelrc", "\n"),
    ("terraform", "terraformrc", ""),
];

/// The records setup keeps for undo, in the sandbox's data directory.
fn records(sb: &Sandbox) -> Vec<std::ffi::OsString> {
    fs::read_dir(sb.dir.path().join(".local/share/ecluse-cred/setup"))
        .map(|d| d.map(|e| e.unwrap().file_name()).collect())
        .unwrap_or_default()
}

#[test]
fn undo_keeps_a_file_setup_did_not_create_when_setup_was_all_it_held() {
    let sb = sandbox();
    let mut clients = CLIENTS.to_vec();
    // go writes its env file through `go env -w`: covered where go is installed.
    if std::process::Command::new("go")
        .arg("version")
        .output()
        .is_ok()
    {
        clients.push(("go", "go.env", ""));
    }
    for (client, name, text) in clients {
        let file = sb.dir.path().join("kept").join(client).join(name);
        fs::create_dir_all(file.parent().unwrap()).unwrap();
        fs::write(&file, text).unwrap();
        sb.allow_token_in(&file);
        let out = setup(&sb, client, &file, &[]);
        assert!(out.status.success(), "{client}: {}", stderr(&out));
        assert_ne!(fs::read_to_string(&file).unwrap(), text, "{client} wrote");
        let out = setup(&sb, client, &file, &["--undo"]);
        assert!(out.status.success(), "{client}: {}", stderr(&out));
        assert_eq!(
            fs::read_to_string(&file).ok().as_deref(),
            Some(text),
            "{client}: a file the user had is given back, not removed"
        );
    }
    assert!(records(&sb).is_empty(), "{:?}", records(&sb));
}

#[test]
fn undo_removes_a_file_setup_created() {
    let sb = sandbox();
    for (client, name, _) in CLIENTS {
        let file = sb.dir.path().join("made").join(client).join(name);
        sb.allow_token_in(&file);
        let out = setup(&sb, client, &file, &[]);
        assert!(out.status.success(), "{client}: {}", stderr(&out));
        assert!(file.exists(), "{client}");
        let out = setup(&sb, client, &file, &["--undo"]);
        assert!(out.status.success(), "{client}: {}", stderr(&out));
        assert!(
            !file.exists(),
            "{client} left {:?}",
            fs::read_to_string(&file)
        );
    }
    assert!(records(&sb).is_empty(), "{:?}", records(&sb));
}

#[test]
fn undo_gives_back_the_mode_setup_changed() {
    let sb = sandbox();
    for (client, name, text, was, set_up) in [
        // Group-writable: setup leaves no config others can write while it is wired.
        ("uv", "uv.toml", "# mine\nnative-tls = true\n", 0o664, 0o644),
        // Group-readable: setup keeps a token from the group.
        ("npm", ".npmrc", "fund=false\n", 0o640, 0o600),
    ] {
        let file = sb.dir.path().join("modes").join(name);
        fs::create_dir_all(file.parent().unwrap()).unwrap();
        fs::write(&file, text).unwrap();
        fs::set_permissions(&file, std::os::unix::fs::PermissionsExt::from_mode(was)).unwrap();
        sb.allow_token_in(&file);
        let out = setup(&sb, client, &file, &[]);
        assert!(out.status.success(), "{client}: {}", stderr(&out));
        assert_eq!(mode(&file), set_up, "{client}");
        // It says so.
        assert!(
            stdout(&out).contains(&format!("was mode {was:04o}, now {set_up:04o}")),
            "{client}: {}",
            stdout(&out)
        );
        let dry = setup(&sb, client, &file, &["--undo", "--dry-run"]);
        assert!(
            stdout(&dry).contains(&format!("its mode {was:04o} back")),
            "{client}: {}",
            stdout(&dry)
        );
        assert_eq!(mode(&file), set_up, "{client}: a dry run changes nothing");
        let out = setup(&sb, client, &file, &["--undo"]);
        assert!(out.status.success(), "{client}: {}", stderr(&out));
        assert_eq!(fs::read_to_string(&file).unwrap(), text, "{client}");
        assert_eq!(mode(&file), was, "{client}: the mode is given back too");
    }
}

#[test]
fn a_second_registry_keeps_the_token_file_private_until_the_last_undo() {
    let sb = Sandbox::new(
        "username = \"aws\"\nurls = [\"https://one.example/npm/\", \"https://two.example/npm/\"]",
    );
    let file = sb.dir.path().join("client/.npmrc");
    fs::create_dir_all(file.parent().unwrap()).unwrap();
    fs::write(&file, "fund=false\n").unwrap();
    fs::set_permissions(&file, std::os::unix::fs::PermissionsExt::from_mode(0o644)).unwrap();
    sb.allow_token_in(&file);
    let run = |url: &str, extra: &[&str]| {
        let mut args = vec!["setup", "npm", "--url", url, "--file"];
        args.push(file.to_str().unwrap());
        args.extend_from_slice(extra);
        let out = sb.run(&args);
        assert!(out.status.success(), "{}", stderr(&out));
    };
    run("https://one.example/npm/", &[]);
    run("https://two.example/npm/", &["--scope", "@two"]);
    run("https://one.example/npm/", &["--undo"]);
    assert!(fs::read_to_string(&file).unwrap().contains("_authToken="));
    assert_eq!(mode(&file), 0o600, "a token is still in it");
    run("https://two.example/npm/", &["--undo"]);
    assert_eq!(fs::read_to_string(&file).unwrap(), "fund=false\n");
    assert_eq!(mode(&file), 0o644);
}

#[test]
fn setup_bazel_needs_no_directory_on_path_and_its_shim_answers_bazel() {
    let sb = sandbox();
    let bazelrc = sb.dir.path().join(".bazelrc");
    // No writable directory of the user's on PATH, no --bin-dir.
    let out = sb
        .cmd(&[
            "setup",
            "bazel",
            "--url",
            URL,
            "--file",
            bazelrc.to_str().unwrap(),
        ])
        .env("PATH", "/usr/bin:/bin")
        .output();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(!stdout(&out).contains("not on PATH"), "{}", stdout(&out));
    let shim = sb
        .dir
        .path()
        .join(".local/share/ecluse-cred/bin/bazel-credential-ecluse");
    assert_eq!(
        fs::read_to_string(&bazelrc).unwrap(),
        format!(
            "# ecluse-cred setup: {URL}\ncommon --credential_helper=pkgs.example.com={}\n",
            shim.display()
        )
    );
    // What Bazel does: run the named program with `get` and a request on stdin.
    let answer = sb
        .program(&shim)
        .arg("get")
        .output_with_stdin(format!(r#"{{"uri":"{URL}pkg/x.jar"}}"#));
    assert!(answer.status.success(), "{}", stderr(&answer));
    let answer: serde_json::Value = serde_json::from_slice(&answer.stdout).unwrap();
    assert!(
        answer["headers"]["Authorization"][0]
            .as_str()
            .is_some_and(|h| h.starts_with("Basic ")),
        "{answer}"
    );
    assert_eq!(sb.mints(), 1);
    // A client that runs its shim by name from PATH still needs a directory there.
    let out = sb
        .cmd(&[
            "setup",
            "docker",
            "--url",
            HOST_URL,
            "--file",
            sb.dir.path().join("config.json").to_str().unwrap(),
        ])
        .env("PATH", "/usr/bin:/bin")
        .output();
    assert_eq!(out.status.code(), Some(78), "{}", stderr(&out));
    assert!(stderr(&out).contains("export PATH="), "{}", stderr(&out));
}

#[test]
fn a_file_removed_by_hand_and_set_up_again_is_one_setup_created() {
    let sb = sandbox();
    let file = sb.dir.path().join("client/pip.conf");
    fs::create_dir_all(file.parent().unwrap()).unwrap();
    fs::write(&file, "").unwrap();
    assert!(setup(&sb, "pip", &file, &[]).status.success());
    fs::remove_file(&file).unwrap();
    // Undo of a file that is gone leaves it gone, and forgets it.
    assert!(setup(&sb, "pip", &file, &["--undo"]).status.success());
    assert!(!file.exists());
    assert!(records(&sb).is_empty(), "{:?}", records(&sb));
    // Removed again after setup made it anew: setup's, so undo removes it.
    fs::write(&file, "").unwrap();
    assert!(setup(&sb, "pip", &file, &[]).status.success());
    fs::remove_file(&file).unwrap();
    assert!(setup(&sb, "pip", &file, &[]).status.success());
    assert!(setup(&sb, "pip", &file, &["--undo"]).status.success());
    assert!(!file.exists(), "{:?}", fs::read_to_string(&file));
}

#[test]
fn setup_go_keeps_what_is_the_users() {
    let Some(go) = tools::need(tools::Tool::Go) else {
        return;
    };
    let url = "https://europe-maven.example.com/repo/";
    let sb = Sandbox::new(&format!("urls = [\"{url}\"]"));
    let goenv = sb.dir.path().join("goenv");
    // The user's own GOAUTH entry, proxy list and other settings, as `go env -w` writes them.
    fs::write(
        &goenv,
        "GOAUTH=git /srv/src\nGOFLAGS=-mod=mod\nGOPRIVATE=corp.example.com\nGOPROXY=https://goproxy.corp.example,direct\n",
    )
    .unwrap();
    let path = format!(
        "{}:{}",
        go.parent().unwrap().display(),
        std::env::var("PATH").unwrap()
    );
    // setup runs the `go` on PATH; the environment holds none of what the file sets.
    let with_go = |run: &mut Run<'_>| {
        run.env("PATH", &path)
            .env("GOENV", &goenv)
            .env("GOTOOLCHAIN", "local");
        for var in ["GOAUTH", "GOFLAGS", "GOPRIVATE", "GOPROXY"] {
            run.env_remove(var);
        }
    };
    // What go itself reads from the file.
    let go_env = || {
        let mut run = sb.program(&go);
        run.args(["env", "-json", "GOAUTH", "GOFLAGS", "GOPRIVATE", "GOPROXY"]);
        with_go(&mut run);
        let out = run.output();
        assert!(out.status.success(), "{}", stderr(&out));
        serde_json::from_slice::<serde_json::Value>(&out.stdout).unwrap()
    };
    let setup = |extra: &[&str]| {
        let mut run = sb.cmd(&["setup", "go", "--url", url, "--proxy"]);
        run.args(extra);
        with_go(&mut run);
        let out = run.output();
        assert!(out.status.success(), "{extra:?}: {}", stderr(&out));
    };
    let users = serde_json::json!({
        "GOAUTH": "git /srv/src",
        "GOFLAGS": "-mod=mod",
        "GOPRIVATE": "corp.example.com",
        "GOPROXY": "https://goproxy.corp.example,direct",
    });
    assert_eq!(go_env(), users, "go reads the user's file");
    setup(&[]);
    assert_eq!(
        go_env(),
        serde_json::json!({
            "GOAUTH": format!("{} goauth;git /srv/src", env!("CARGO_BIN_EXE_ecluse-cred")),
            "GOFLAGS": "-mod=mod",
            "GOPRIVATE": "corp.example.com",
            "GOPROXY": "https://europe-maven.example.com/repo,https://goproxy.corp.example,direct",
        }),
        "ecluse-cred's entry and proxy go first, the user's stay after them"
    );
    setup(&["--undo"]);
    assert_eq!(
        go_env(),
        users,
        "undo gives back exactly the user's settings"
    );
}

#[test]
fn setup_bazel_and_terraform_keep_what_is_the_users() {
    let sb = Sandbox::new(
        "urls = [\"https://europe-maven.example.com/repo/\", \"https://europe-maven.example.com/\"]",
    );
    // bazel: undone from another --bin-dir than it was set up with.
    let bazelrc = sb.dir.path().join(".bazelrc");
    let url = "https://europe-maven.example.com/repo/";
    let first = sb.dir.path().join("first");
    let out = sb.run(&[
        "setup",
        "bazel",
        "--url",
        url,
        "--bin-dir",
        first.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let other = sb.dir.path().join("other");
    let out = sb.run(&[
        "setup",
        "bazel",
        "--url",
        url,
        "--bin-dir",
        other.to_str().unwrap(),
        "--undo",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(!bazelrc.exists(), "{:?}", fs::read_to_string(&bazelrc));
    let spaced = sb.dir.path().join("my bin");
    let out = sb.run(&[
        "setup",
        "bazel",
        "--url",
        url,
        "--bin-dir",
        spaced.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(78), "{}", stderr(&out));
    // terraform: a block the user edited is still taken out whole.
    let tfrc = sb.dir.path().join("tfrc");
    let run_tf = |extra: &[&str]| {
        // Terraform names a host: its target serves the whole host.
        let mut args = vec![
            "setup",
            "terraform",
            "--url",
            "https://europe-maven.example.com/",
        ];
        args.extend_from_slice(extra);
        sb.cmd(&args).env("TF_CLI_CONFIG_FILE", &tfrc).output()
    };
    fs::write(&tfrc, "plugin_cache_dir = \"/tmp/x\"\n").unwrap();
    assert!(run_tf(&[]).status.success());
    let block = |args: &str| {
        format!(
            "plugin_cache_dir = \"/tmp/x\"\n# ecluse-cred setup: credentials_helper\ncredentials_helper \"ecluse\" {{\n  args = {args}\n}}\n# ecluse-cred setup: end credentials_helper\n"
        )
    };
    assert_eq!(fs::read_to_string(&tfrc).unwrap(), block("[]"));
    fs::write(&tfrc, block("[\"--verbose\"]")).unwrap();
    assert!(run_tf(&["--undo"]).status.success());
    assert_eq!(
        fs::read_to_string(&tfrc).unwrap(),
        "plugin_cache_dir = \"/tmp/x\"\n"
    );
}

#[test]
fn undo_never_gives_back_a_wider_mode_to_a_file_that_changed_since_setup() {
    let sb = sandbox();
    let run = |file: &Path, extra: &[&str]| {
        let out = setup(&sb, "npm", file, extra);
        assert!(out.status.success(), "{}", stderr(&out));
        out
    };
    for changed in [true, false] {
        let file = sb.dir.path().join(format!("changed-{changed}/.npmrc"));
        fs::create_dir_all(file.parent().unwrap()).unwrap();
        fs::write(&file, "fund=false\n").unwrap();
        fs::set_permissions(&file, std::os::unix::fs::PermissionsExt::from_mode(0o644)).unwrap();
        sb.allow_token_in(&file);
        run(&file, &[]);
        assert_eq!(mode(&file), 0o600);
        if changed {
            // What `npm login` does meanwhile: a token of the user's own.
            let text = fs::read_to_string(&file).unwrap() + "//other.example/:_authToken=mine\n";
            fs::write(&file, text).unwrap();
        }
        let out = run(&file, &["--undo"]);
        let text = fs::read_to_string(&file).unwrap();
        assert!(!text.contains(MARKER_LINE), "{text}");
        if changed {
            assert!(text.contains("_authToken=mine"), "{text}");
            assert_eq!(mode(&file), 0o600, "a token is still in it");
            assert!(
                stdout(&out).contains("keeps mode 0600, not its 0644"),
                "{}",
                stdout(&out)
            );
        } else {
            // The ordinary case: the file as it was, its mode too, and said so.
            assert_eq!(text, "fund=false\n");
            assert_eq!(mode(&file), 0o644);
            assert!(
                stdout(&out).contains("now 0644 again, as before setup"),
                "{}",
                stdout(&out)
            );
        }
    }
}

/// The start of the marker line setup writes.
const MARKER_LINE: &str = "# ecluse-cred setup:";

#[test]
fn undo_that_finds_nothing_of_setups_leaves_the_file_untouched() {
    let sb = sandbox();
    for (client, name, text) in [
        ("docker", "config.json", "{}"),
        ("docker", "config.json", "{\"credHelpers\":{}}\n"),
        ("bazel", ".bazelrc", ""),
        ("pip", "pip.conf", ""),
        ("npm", ".npmrc", "\n"),
    ] {
        let file = sb.dir.path().join("untouched").join(client).join(name);
        fs::create_dir_all(file.parent().unwrap()).unwrap();
        fs::write(&file, text).unwrap();
        let out = setup(&sb, client, &file, &["--undo"]);
        assert!(out.status.success(), "{client}: {}", stderr(&out));
        assert_eq!(
            fs::read_to_string(&file).ok().as_deref(),
            Some(text),
            "{client} {text:?}"
        );
        assert_eq!(
            stdout(&out).lines().next(),
            Some("nothing to change: setup had added nothing for this registry here"),
            "{client}: {}",
            stdout(&out)
        );
    }
    // Through a dotfile manager's symlink: the file it points at stays.
    let target = sb.dir.path().join("dotfiles/config.json");
    fs::create_dir_all(target.parent().unwrap()).unwrap();
    fs::write(&target, "{}\n").unwrap();
    let link = sb.dir.path().join("linked/config.json");
    fs::create_dir_all(link.parent().unwrap()).unwrap();
    std::os::unix::fs::symlink(&target, &link).unwrap();
    assert!(setup(&sb, "docker", &link, &["--undo"]).status.success());
    assert_eq!(fs::read_to_string(&target).unwrap(), "{}\n");
    // A stale record (setup created the file, the user removed it and made one of their own).
    let file = sb.dir.path().join("stale/pip.conf");
    assert!(setup(&sb, "pip", &file, &[]).status.success());
    fs::write(&file, "").unwrap();
    assert!(setup(&sb, "pip", &file, &["--undo"]).status.success());
    assert_eq!(fs::read_to_string(&file).ok().as_deref(), Some(""));
    // The ordinary case next to it: a file setup created, set up, goes on undo.
    let file = sb.dir.path().join("made/pip.conf");
    assert!(setup(&sb, "pip", &file, &[]).status.success());
    assert!(setup(&sb, "pip", &file, &["--undo"]).status.success());
    assert!(!file.exists());
}

#[test]
fn a_record_others_could_write_is_ignored_and_a_recorded_mode_never_sets_special_bits() {
    use std::os::unix::fs::PermissionsExt;
    let sb = sandbox();
    let dir = sb.dir.path().join(".local/share/ecluse-cred/setup");
    let record_of = |name: &str| {
        let found: Vec<_> = fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.to_string_lossy().contains(name))
            .collect();
        assert_eq!(found.len(), 1, "{found:?}");
        found[0].clone()
    };
    // Setup created it; a record others can write is not believed: the file is kept.
    let file = sb.dir.path().join("made/pip.conf");
    assert!(setup(&sb, "pip", &file, &[]).status.success());
    let record = record_of("pip.conf");
    fs::set_permissions(&record, fs::Permissions::from_mode(0o666)).unwrap();
    let out = setup(&sb, "pip", &file, &["--undo"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("ignoring setup's record"),
        "{}",
        stderr(&out)
    );
    assert!(file.exists(), "kept: nothing trusted says setup created it");
    fs::remove_file(&record).unwrap();
    // The ordinary case: a private record is believed, and undo removes the file it made.
    let file = sb.dir.path().join("made2/pip.conf");
    assert!(setup(&sb, "pip", &file, &[]).status.success());
    assert!(setup(&sb, "pip", &file, &["--undo"]).status.success());
    assert!(!file.exists());
    // A recorded mode with setuid and world-write bits: permission bits only.
    let file = sb.dir.path().join("modes/uv.toml");
    fs::create_dir_all(file.parent().unwrap()).unwrap();
    fs::write(&file, "native-tls = true\n").unwrap();
    fs::set_permissions(&file, fs::Permissions::from_mode(0o644)).unwrap();
    assert!(setup(&sb, "uv", &file, &[]).status.success());
    let record = record_of("uv.toml");
    let mut json: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(&record).unwrap()).unwrap();
    json["mode"] = serde_json::json!(0o4755);
    fs::write(&record, json.to_string()).unwrap();
    let out = setup(&sb, "uv", &file, &["--undo"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(fs::read_to_string(&file).unwrap(), "native-tls = true\n");
    let bits = fs::metadata(&file).unwrap().permissions().mode() & 0o7777;
    assert_eq!(bits, 0o755, "{bits:04o}");
}

#[test]
fn the_shim_directory_in_the_data_directory_is_writable_by_the_user_only() {
    let sb = sandbox();
    let own = sb.dir.path().join(".local/share/ecluse-cred/bin");
    let bazel = |name: &str| {
        let rc = sb.dir.path().join(name);
        sb.program(Path::new("sh"))
            .arg("-c")
            .arg(format!(
                "umask 002; exec '{}' --config '{}' --cache-dir '{}' setup bazel --url {URL} --file '{}'",
                env!("CARGO_BIN_EXE_ecluse-cred"),
                sb.config.display(),
                sb.cache.display(),
                rc.display()
            ))
            .env("PATH", "/usr/bin:/bin")
            .output()
    };
    // Made under a group-writable umask: 0755 all the same.
    let out = bazel("one.bazelrc");
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(own.join("bazel-credential-ecluse").is_symlink());
    assert_eq!(mode(&own), 0o755);
    assert_eq!(mode(own.parent().unwrap()) & 0o022, 0);
    // One others can write is made the user's only, and said so.
    fs::set_permissions(&own, std::os::unix::fs::PermissionsExt::from_mode(0o777)).unwrap();
    let out = bazel("two.bazelrc");
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(mode(&own), 0o755);
    assert!(
        stdout(&out).contains("was mode 0777, now 0755"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn setup_writes_a_url_with_an_at_in_its_path_whole_and_shows_it_redacted() {
    let url = "https://pkgs.example.com/api/@org/";
    let sb = Sandbox::new(&format!("username = \"aws\"\nurls = [\"{url}\"]"));
    let file = sb.dir.path().join("client/.npmrc");
    sb.allow_token_in(&file);
    let out = sb.run(&[
        "setup",
        "npm",
        "--url",
        url,
        "--file",
        file.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = fs::read_to_string(&file).unwrap();
    assert!(text.contains(&format!("\nregistry={url}\n")), "{text}");
    assert!(
        text.contains("\n//pkgs.example.com/api/@org/:_authToken="),
        "{text}"
    );
    assert!(!text.contains("redacted"), "{text}");
    // What it prints is redacted as every URL shown is.
    assert!(!stdout(&out).contains("/api/@org"), "{}", stdout(&out));
    assert!(stdout(&out).contains("@org/"), "{}", stdout(&out));
    // The ordinary case: a URL without an `@` is written as given.
    let file = sb.dir.path().join("client2/.npmrc");
    let sb2 = sandbox();
    sb2.allow_token_in(&file);
    let out = sb2.run(&[
        "setup",
        "npm",
        "--url",
        URL,
        "--file",
        file.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        fs::read_to_string(&file)
            .unwrap()
            .contains(&format!("\nregistry={URL}\n"))
    );
}

#[test]
fn setup_pnpm_puts_its_helper_link_in_the_data_directory_when_the_executable_is_not_beside_a_writable_one()
 {
    use std::os::unix::fs::PermissionsExt;
    let sb = sandbox();
    // A root-owned install: the executable in a directory the user cannot write.
    let install = sb.dir.path().join("usr-local-bin");
    fs::create_dir(&install).unwrap();
    let exe = install.join("ecluse-cred");
    fs::copy(env!("CARGO_BIN_EXE_ecluse-cred"), &exe).unwrap();
    fs::set_permissions(&install, fs::Permissions::from_mode(0o555)).unwrap();
    // As root, permission bits do not stop a write; the immutable attribute does.
    let immutable = can_write(&install)
        && std::process::Command::new("chattr")
            .arg("+i")
            .arg(&install)
            .status()
            .is_ok_and(|s| s.success());
    if !common::tools::skip_unless(
        !can_write(&install),
        "unwritable-dir",
        "run as a non-root user, or as root where `chattr +i` works (CAP_LINUX_IMMUTABLE)",
    ) {
        return;
    }
    let file = sb.dir.path().join("client/.npmrc");
    let run = |extra: &[&str]| {
        let mut args = vec![
            "setup",
            "pnpm",
            "--url",
            URL,
            "--file",
            file.to_str().unwrap(),
        ];
        args.extend_from_slice(extra);
        sb.program(&exe)
            .arg("--config")
            .arg(&sb.config)
            .arg("--cache-dir")
            .arg(&sb.cache)
            .args(&args)
            .output()
    };
    let out = run(&[]);
    let link = sb
        .dir
        .path()
        .join(".local/share/ecluse-cred/bin/ecluse-pnpm-token-demo");
    let result = || {
        assert!(out.status.success(), "{}", stderr(&out));
        assert_eq!(fs::read_link(&link).unwrap(), exe);
        assert!(
            fs::read_to_string(&file)
                .unwrap()
                .contains(&format!("tokenHelper={}\n", link.display())),
            "{}",
            fs::read_to_string(&file).unwrap()
        );
        let out = run(&["--undo"]);
        assert!(out.status.success(), "{}", stderr(&out));
        assert!(!link.exists() && !link.is_symlink());
    };
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(result));
    if immutable {
        std::process::Command::new("chattr")
            .arg("-i")
            .arg(&install)
            .status()
            .unwrap();
    }
    fs::set_permissions(&install, fs::Permissions::from_mode(0o755)).unwrap();
    outcome.unwrap();
    // The ordinary case: beside an executable in a directory the user can write, as before.
    let out = run(&[]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        fs::read_link(install.join("ecluse-pnpm-token-demo")).unwrap(),
        exe
    );
    assert!(!link.is_symlink());
}

/// Whether the current user may write in `dir` (root may, whatever its mode says).
fn can_write(dir: &Path) -> bool {
    let probe = dir.join(".probe");
    let ok = fs::write(&probe, "").is_ok();
    let _ = fs::remove_file(&probe);
    ok
}

/// A path with an `@` (an Azure Artifacts feed view, `feed@Local`) is written into git's
/// config as it is, so that git's prefix match finds it; only messages redact such a path.
#[test]
fn setup_git_scopes_the_helper_to_a_path_with_an_at_as_written() {
    let url = "https://pkgs.example.com/org/_packaging/feed@Local/npm/registry/";
    let sb = Sandbox::new(&format!("urls = [\"{url}\"]"));
    let gitconfig = sb.dir.path().join("client/gitconfig");
    let out = sb.run(&[
        "setup",
        "git",
        "--url",
        url,
        "--file",
        gitconfig.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = fs::read_to_string(&gitconfig).unwrap();
    assert!(
        text.contains(
            "[credential \"https://pkgs.example.com/org/_packaging/feed@Local/npm/registry\"]"
        ) && !text.contains("redacted"),
        "{text}"
    );
}

/// A config whose last line has no line ending gets one from setup (its block starts on a line
/// of its own); undo gives back the file setup found, byte for byte, without it.
#[test]
fn undo_gives_back_a_file_without_a_final_newline_byte_for_byte() {
    let sb = sandbox();
    for (client, name, text) in [
        ("pip", "pip.conf", "[global]\ntimeout = 60"),
        ("npm", ".npmrc", "fund=false"),
        ("bazel", ".bazelrc", "build --jobs=4"),
        ("pip", "crlf.conf", "[global]\r\ntimeout = 60"),
    ] {
        let file = sb.dir.path().join("client").join(name);
        fs::create_dir_all(file.parent().unwrap()).unwrap();
        fs::write(&file, text).unwrap();
        if client == "npm" {
            sb.allow_token_in(&file);
        }
        let out = setup(&sb, client, &file, &[]);
        assert!(out.status.success(), "{client}: {}", stderr(&out));
        assert_ne!(fs::read_to_string(&file).unwrap(), text);
        let out = setup(&sb, client, &file, &["--undo"]);
        assert!(out.status.success(), "{client}: {}", stderr(&out));
        assert_eq!(fs::read_to_string(&file).unwrap(), text, "{client} {name}");
    }
    // The ordinary case next to it: a file that ends its lines keeps its last newline.
    let file = sb.dir.path().join("client/ends.conf");
    fs::write(&file, "[global]\ntimeout = 60\n").unwrap();
    assert!(setup(&sb, "pip", &file, &[]).status.success());
    assert!(setup(&sb, "pip", &file, &["--undo"]).status.success());
    assert_eq!(
        fs::read_to_string(&file).unwrap(),
        "[global]\ntimeout = 60\n"
    );
}

/// The clients setup added last: the user's lines stay, a second run changes nothing, undo gives
/// the file back byte for byte, and a setting of the user's that says otherwise is refused,
/// naming it, with nothing written anywhere.
#[test]
fn poetry_twine_pdm_hatch_maven_and_yarn_keep_the_users_lines_and_refuse_a_clash() {
    let sb = sandbox();
    let cases = [
        (
            "poetry",
            "config.toml",
            "[virtualenvs]\nin-project = true\n",
            "[repositories.demo]\nurl = \"https://elsewhere/\"\n",
            ": [repositories.demo] is already there and says something else",
        ),
        (
            "twine",
            ".pypirc",
            "[distutils]\nindex-servers =\n    pypi\n\n[pypi]\nusername = __token__\n",
            "[demo]\nrepository = https://elsewhere/\n",
            ":1: a section [demo] is already there",
        ),
        (
            "pdm",
            "config.toml",
            "[python]\nuse_venv = true\n",
            "[pypi]\nurl = \"https://elsewhere/simple/\"\n",
            ": `pypi.url` is already set there to something else; setup does not replace it (pass --extra",
        ),
        (
            "hatch",
            "config.toml",
            "mode = \"local\"\n",
            "[publish.index.repos.demo]\nurl = \"https://elsewhere/\"\n",
            ": [publish.index.repos.demo] is already there",
        ),
        (
            "maven",
            "settings.xml",
            "<?xml version=\"1.0\"?>\n<!-- mine -->\n<settings>\n  <servers>\n    <server><id>other</id></server>\n  </servers>\n</settings>\n",
            "<settings>\n<servers><server><id>ecluse-demo</id></server></servers></settings>\n",
            ":2: a <server> with id ecluse-demo is already there",
        ),
        (
            "yarn",
            ".yarnrc.yml",
            "# mine\nenableTelemetry: false\n",
            "npmRegistryServer: \"https://elsewhere/\"\n",
            ":1: `npmRegistryServer` is already set there to something else",
        ),
    ];
    for (client, name, mine, clash, refusal) in cases {
        let file = sb.dir.path().join("users").join(client).join(name);
        fs::create_dir_all(file.parent().unwrap()).unwrap();
        fs::write(&file, mine).unwrap();
        let out = setup(&sb, client, &file, &[]);
        assert!(out.status.success(), "{client}: {}", stderr(&out));
        let added = fs::read_to_string(&file).unwrap();
        for line in mine.lines() {
            assert!(added.contains(line), "{client} lost {line:?}: {added}");
        }
        assert!(added.contains(URL), "{client}: {added}");
        let again = setup(&sb, client, &file, &[]);
        assert_eq!(
            stdout(&again).lines().next(),
            Some("nothing to change: already set up"),
            "{client}"
        );
        assert!(setup(&sb, client, &file, &["--undo"]).status.success());
        assert_eq!(fs::read_to_string(&file).unwrap(), mine, "{client}");

        fs::write(&file, clash).unwrap();
        let out = setup(&sb, client, &file, &[]);
        assert_eq!(out.status.code(), Some(78), "{client}: {}", stderr(&out));
        let said = stderr(&out);
        assert!(
            said.starts_with(&format!("ecluse-cred: error: {}{refusal}", file.display())),
            "{client}: {said}"
        );
        assert_eq!(fs::read_to_string(&file).unwrap(), clash, "{client}");
    }
    // Nothing of the shared Python backend or the Yarn plugin is left behind, not even their
    // directories.
    let data = sb.dir.path().join(".local/share/ecluse-cred");
    for dir in ["python", "yarn"] {
        assert!(
            !data.join(dir).exists(),
            "{dir}: {:?}",
            walk(&data.join(dir))
        );
    }
    assert!(
        !sb.dir
            .path()
            .join(".config/python_keyring/keyringrc.cfg")
            .exists()
    );
    assert!(records(&sb).is_empty(), "{:?}", records(&sb));
}

/// The regular files under `dir`.
fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let Ok(entries) = fs::read_dir(dir) else {
        return Vec::new();
    };
    entries
        .flat_map(|e| {
            let path = e.unwrap().path();
            if path.is_dir() {
                walk(&path)
            } else {
                vec![path]
            }
        })
        .collect()
}

/// A `default-keyring` the user chose is never replaced: keyring would ask only it, so setup
/// refuses naming the line, and writes nothing for the client either.
#[test]
fn a_users_default_keyring_is_refused_by_line_and_nothing_is_written() {
    let sb = sandbox();
    let rc = sb.dir.path().join(".config/python_keyring/keyringrc.cfg");
    fs::create_dir_all(rc.parent().unwrap()).unwrap();
    let theirs = "[backend]\ndefault-keyring = keyrings.alt.file.PlaintextKeyring\n";
    fs::write(&rc, theirs).unwrap();
    for client in ["poetry", "twine", "pdm", "hatch"] {
        let file = sb.dir.path().join("refused").join(client);
        let out = setup(&sb, client, &file, &[]);
        assert_eq!(out.status.code(), Some(78), "{client}: {}", stderr(&out));
        assert_eq!(
            stderr(&out),
            format!(
                "ecluse-cred: error: {}:2: `default-keyring` is already set to keyrings.alt.file.PlaintextKeyring; keyring then asks only keyrings.alt.file.PlaintextKeyring and never ecluse-cred's backend: set it to keyring.backends.chainer.ChainerBackend, which asks keyrings.alt.file.PlaintextKeyring too, or remove the line, and run setup again\n",
                rc.display()
            ),
            "{client}"
        );
        assert!(!file.exists(), "{client}");
        assert_eq!(fs::read_to_string(&rc).unwrap(), theirs);
    }
    assert!(
        !sb.dir
            .path()
            .join(".local/share/ecluse-cred/python")
            .exists()
    );
    // With the chainer, setup adds only the path, and undo takes only that out.
    let chainer = "[backend]\ndefault-keyring = keyring.backends.chainer.ChainerBackend\n";
    fs::write(&rc, chainer).unwrap();
    let file = sb.dir.path().join("ok").join("config.toml");
    assert!(setup(&sb, "poetry", &file, &[]).status.success());
    let data = sb.dir.path().join(".local/share/ecluse-cred/python");
    assert_eq!(
        fs::read_to_string(&rc).unwrap(),
        format!(
            "{chainer}# ecluse-cred setup: keyring backend\nkeyring-path = {}\n",
            data.display()
        )
    );
    assert!(setup(&sb, "poetry", &file, &["--undo"]).status.success());
    assert_eq!(fs::read_to_string(&rc).unwrap(), chainer);
}

/// A dry run of a keyring-library client shows every file it would write (the tool's config,
/// keyring's and the backend's) and writes none of them.
#[test]
fn a_dry_run_of_poetry_shows_the_backend_and_keyringrc_and_writes_nothing() {
    let sb = sandbox();
    let file = sb.dir.path().join("pypoetry").join("config.toml");
    let out = setup(&sb, "poetry", &file, &["--dry-run"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    let data = sb.dir.path().join(".local/share/ecluse-cred/python");
    let rc = sb.dir.path().join(".config/python_keyring/keyringrc.cfg");
    let exe = env!("CARGO_BIN_EXE_ecluse-cred");
    for (path, line) in [
        (file.clone(), format!("+url = \"{URL}\"")),
        (rc.clone(), format!("+keyring-path = {}", data.display())),
        (
            data.join("ecluse_cred_keyring.py"),
            format!("+EXECUTABLE = \"{exe}\""),
        ),
        (
            data.join("ecluse_cred_keyring.dist-info/entry_points.txt"),
            "+ecluse-cred = ecluse_cred_keyring".to_owned(),
        ),
    ] {
        assert!(
            text.contains(&format!("+++ {}\n", path.display())),
            "{}: {text}",
            path.display()
        );
        assert!(text.lines().any(|l| l == line), "{line}: {text}");
        assert!(!path.exists(), "{} written", path.display());
    }
    assert!(!data.exists() && !rc.exists());
    assert_eq!(sb.mints(), 0);
}

/// Two Maven server ids that differ only where a variable name cannot (`a.b`, `a-b`) would
/// share the variable that carries the token: the second is refused, naming the line.
#[test]
fn a_maven_id_whose_token_variable_is_taken_is_refused() {
    let sb = sandbox();
    let settings = sb.dir.path().join("m2/settings.xml");
    let run = |url: &str, id: &str| {
        sb.run(&[
            "setup",
            "maven",
            "--url",
            url,
            "--id",
            id,
            "--file",
            settings.to_str().unwrap(),
        ])
    };
    assert!(run(URL, "a.b").status.success());
    let rc = sb.dir.path().join(".mavenrc");
    let before = (fs::read(&settings).unwrap(), fs::read(&rc).unwrap());
    let out = run(HOST_URL, "a-b");
    assert_eq!(out.status.code(), Some(78), "{}", stderr(&out));
    assert_eq!(
        stderr(&out),
        format!(
            "ecluse-cred: error: {}:2: `ECLUSE_MAVEN_TOKEN_A_B` is exported there already, for another registry or by you; pass --id with an id of its own\n",
            rc.display()
        )
    );
    assert_eq!(
        (fs::read(&settings).unwrap(), fs::read(&rc).unwrap()),
        before
    );
}

/// Code a client loads from ecluse-cred's data directory (the keyring backend) never sits in a
/// directory others can write: setup narrows it, and says so.
#[test]
fn the_keyring_backend_goes_only_into_directories_others_cannot_write() {
    use std::os::unix::fs::PermissionsExt;
    let sb = sandbox();
    let data = sb.dir.path().join(".local/share/ecluse-cred");
    let dir = data.join("python");
    fs::create_dir_all(&dir).unwrap();
    for d in [&data, &dir] {
        fs::set_permissions(d, fs::Permissions::from_mode(0o777)).unwrap();
    }
    let file = sb.dir.path().join(".pypirc");
    let out = setup(&sb, "twine", &file, &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    for d in [&data, &dir] {
        assert_eq!(mode(d) & 0o777, 0o755, "{}", d.display());
    }
    assert!(
        stdout(&out).contains(&format!(
            "note: {} was mode 0777, now 0755: clients run or load what setup puts there",
            dir.display()
        )),
        "{}",
        stdout(&out)
    );
}

/// Names that go into a client's section and table names, a variable's name and the command the
/// user types are refused when Poetry or PDM would split them (`.`) or they could start
/// another section; the ordinary name next to them is written.
#[test]
fn a_registry_or_server_id_that_would_not_stay_one_name_is_refused_and_a_plain_one_is_written() {
    let sb = sandbox();
    let file = sb.dir.path().join("names").join("config.toml");
    for (client, option, bad) in [
        ("poetry", "--registry", "corp.main"),
        ("twine", "--registry", "corp]"),
        ("maven", "--id", "a/b"),
    ] {
        let out = setup(&sb, client, &file, &[option, bad]);
        assert_eq!(
            out.status.code(),
            Some(2),
            "{client} {bad}: {}",
            stderr(&out)
        );
        assert!(
            stderr(&out).contains(&format!("{option} must be letters, digits")),
            "{}",
            stderr(&out)
        );
        assert!(!file.exists());
    }
    let out = setup(&sb, "poetry", &file, &["--registry", "corp_main-2"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        fs::read_to_string(&file)
            .unwrap()
            .contains("[repositories.corp_main-2]")
    );
}
