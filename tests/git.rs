//! git's credential helper, driven by the real git: `get` answers, clones over http with the
//! helper, Bearer and ephemeral answers to a git that announces `authtype`, a plain-http server
//! posing as an https target, and `setup git`.

mod common;

use std::fs;
use std::path::Path;

use common::http::{FakeServer, Request, Response};
use common::registry::{self, Credential, assert_refused_unauthenticated};
use common::tools::{self, Tool};
use common::*;

#[test]
fn git_helper_answers_get_and_ignores_what_it_does_not_serve() {
    let (sb, shims) = shim_sandbox(&["https://git.example.com/org/"]);
    let request = "protocol=https\nhost=git.example.com\npath=org/repo.git\n\n";
    let out = shim(&sb, &shims, "git-credential-ecluse", &["get"], request);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert_eq!(text, basic_answer(&sb));
    assert!(text.lines().all(|l| l.contains('=')));

    for request in [
        // No path (no useHttpPath): git could be asking for any path of the host, and this
        // target covers only /org/.
        "protocol=https\nhost=git.example.com\n\n",
        "protocol=https\nhost=git.example.com\npath=other/repo.git\n\n",
        "protocol=https\nhost=other.example.com\npath=org/repo.git\n\n",
        "protocol=https\nhost=git.example.com\npath=org/repo.git\nusername=someone-else\n\n",
        "protocol=ssh\nhost=git.example.com\npath=org/repo.git\n\n",
        // A repeated key means its last value, as git reads it.
        "protocol=https\nprotocol=http\nhost=git.example.com\npath=org/repo.git\n\n",
        "protocol=https\nhost=git.example.com\nhost=other.example.com\npath=org/repo.git\n\n",
    ] {
        let out = shim(&sb, &shims, "git-credential-ecluse", &["get"], request);
        assert_eq!(
            (out.status.code(), stdout(&out).as_str()),
            (Some(0), ""),
            "{request:?}"
        );
    }
    // A target for the whole host answers a request without a path.
    let (sb, shims) = shim_sandbox(&["https://git.example.com/"]);
    let out = shim(
        &sb,
        &shims,
        "git-credential-ecluse",
        &["get"],
        "protocol=https\nhost=git.example.com\n\n",
    );
    assert!(
        stdout(&out).starts_with("username=aws\n"),
        "{}",
        stdout(&out)
    );
    for op in ["store", "erase", "capability"] {
        let out = shim(
            &sb,
            &shims,
            "git-credential-ecluse",
            &[op],
            "protocol=https\nhost=git.example.com\npassword=x\n\n",
        );
        assert_eq!((out.status.code(), stdout(&out).as_str()), (Some(0), ""));
    }
}

/// A git smart-HTTP server: `git http-backend` behind Basic auth that only the token passes.
fn git_server(sb: &Sandbox, git: &Path, root: &Path) -> FakeServer {
    git_server_taking(sb, git, root, Credential::Basic("aws"))
}

/// `git http-backend` for the repositories under `root`, taking only the cached token sent as
/// `credential`.
fn git_server_taking(sb: &Sandbox, git: &Path, root: &Path, credential: Credential) -> FakeServer {
    let cache = sb.cache_file();
    registry::start(
        credential,
        move || cache::token(&cache),
        registry::git_http_backend(git, root, "aws"),
    )
}

/// A bare repository `ROOT/repo.git` with one commit, for the smart-HTTP server to serve.
fn seed_bare_repo(sb: &Sandbox, git_bin: &Path, root: &Path) {
    let git = |args: &[&str], dir: &Path| {
        sb.program(git_bin)
            .args(args)
            .current_dir(dir)
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .output()
    };
    fs::create_dir_all(root).unwrap();
    let seed = sb.dir.path().join("seed");
    fs::create_dir_all(&seed).unwrap();
    for args in [
        &["init", "-q", "-b", "main"][..],
        &[
            "-c",
            "user.name=t",
            "-c",
            "user.email=t@e",
            "commit",
            "-q",
            "--allow-empty",
            "-m",
            "hello from the server",
        ],
        &[
            "clone",
            "-q",
            "--bare",
            ".",
            root.join("repo.git").to_str().unwrap(),
        ],
    ] {
        let out = git(args, &seed);
        assert!(out.status.success(), "git {args:?}: {}", stderr(&out));
    }
}

#[test]
fn real_git_clones_over_http_with_the_helper() {
    let Some(git_bin) = tools::need(Tool::Git) else {
        return;
    };
    let (sb, shims) = shim_sandbox(&[]);
    let root = sb.dir.path().join("git-root");
    let git = |args: &[&str], dir: &Path| {
        sb.program(&git_bin)
            .args(args)
            .current_dir(dir)
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_TERMINAL_PROMPT", "0")
            .env(
                "PATH",
                format!("{}:{}", shims.display(), std::env::var("PATH").unwrap()),
            )
            .output()
    };
    seed_bare_repo(&sb, &git_bin, &root);
    let server = git_server(&sb, &git_bin, &root);
    let url = format!("{}/repo.git", server.url());
    sb.write_config(&format!(
        "username = \"aws\"\nurls = [\"{}/\"]",
        server.url()
    ));

    // Without the helper the server refuses: the clone below works only through it.
    let out = git(
        &["-c", "credential.helper=", "clone", "-q", &url, "without"],
        sb.dir.path(),
    );
    assert!(!out.status.success());
    assert_refused_unauthenticated(&server.exchanges());
    let out = git(
        &[
            "-c",
            "credential.helper=",
            "-c",
            "credential.helper=ecluse",
            "clone",
            "-q",
            &url,
            "with",
        ],
        sb.dir.path(),
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let log = git(&["log", "--format=%s"], &sb.dir.path().join("with"));
    assert_eq!(stdout(&log).trim(), "hello from the server");
    assert_eq!(sb.mints(), 1);
    assert!(!stderr(&out).contains(&sb.cached_token()));
}

#[test]
fn git_never_answers_plain_http_for_an_https_target_or_a_derived_host() {
    let (sb, shims) = shim_sandbox(&["https://git.example.com/"]);
    let derived = "dom-111122223333.d.codeartifact.us-east-1.amazonaws.com";
    for request in [
        "protocol=http\nhost=git.example.com\n\n".to_owned(),
        "protocol=http\nhost=git.example.com:443\n\n".to_owned(),
        "protocol=http\nhost=git.example.com\npath=org/repo.git\n\n".to_owned(),
        "protocol=https\nhost=git.example.com:8443\n\n".to_owned(),
        format!("protocol=http\nhost={derived}\n\n"),
        format!("protocol=http\nhost={derived}:443\n\n"),
        format!("protocol=https\nhost={derived}:8443\n\n"),
        "protocol=https\nhost=git.example.com\\@evil.example.com\n\n".to_owned(),
        "protocol=https\nhost=git%2eexample.com\n\n".to_owned(),
    ] {
        assert_eq!(git_get(&sb, &shims, &["get"], &request), "", "{request:?}");
    }
    let ok = git_get(
        &sb,
        &shims,
        &["get"],
        "protocol=https\nhost=git.example.com:443\n\n",
    );
    assert_eq!(ok, basic_answer(&sb));
    assert_eq!(sb.mints(), 1);
}

#[test]
fn git_with_a_named_target_answers_only_what_its_urls_cover() {
    let (sb, _shims) = shim_sandbox(&["https://git.example.com/org/"]);
    let ask = |request: &str| {
        let out = sb
            .cmd(&["git-credential", "--target", "demo", "get"])
            .output_with_stdin(request);
        assert_eq!(out.status.code(), Some(0), "{request:?}: {}", stderr(&out));
        stdout(&out)
    };
    for request in [
        "protocol=https\nhost=evil.example.com\n\n",
        "protocol=http\nhost=git.example.com\n\n",
        "protocol=https\nhost=git.example.com\npath=other/repo.git\n\n",
    ] {
        assert_eq!(ask(request), "", "{request:?}");
    }
    let answer = ask("protocol=https\nhost=git.example.com\npath=org/repo.git\n\n");
    assert_eq!(answer, basic_answer(&sb));
}

/// What git reads back for the cached token, exactly: the target's username (`aws`, as
/// [`shim_sandbox`] configures it), the token and its expiry in epoch seconds.
fn basic_answer(sb: &Sandbox) -> String {
    let expires_ms = sb.cached_entry().expires_at;
    format!(
        "username=aws\npassword={}\npassword_expiry_utc={}\n",
        sb.cached_token(),
        expires_ms / 1000
    )
}

#[test]
fn real_git_sends_no_token_to_a_plain_http_server_posing_as_an_https_target() {
    let Some(git_bin) = tools::need(Tool::Git) else {
        return;
    };
    let (sb, shims) = shim_sandbox(&[]);
    let server = FakeServer::start(move |_: &Request| {
        Response::json(401, serde_json::json!({}))
            .with_header("www-authenticate", "Basic realm=\"git\"")
    });
    // The target is for https on this host and port; the server there speaks plain http.
    let https_url = server.url().replacen("http://", "https://", 1);
    sb.write_config(&format!("username = \"aws\"\nurls = [\"{https_url}/\"]"));
    let out = sb
        .program(&git_bin)
        .args([
            "-c",
            "credential.helper=",
            "-c",
            "credential.helper=ecluse",
            "ls-remote",
            &format!("{}/repo.git", server.url()),
        ])
        .current_dir(sb.dir.path())
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_TERMINAL_PROMPT", "0")
        .env(
            "PATH",
            format!("{}:{}", shims.display(), std::env::var("PATH").unwrap()),
        )
        .output();
    assert!(!out.status.success());
    assert_refused_unauthenticated(&server.exchanges());
    assert_eq!(sb.mints(), 0);
}

#[test]
fn setup_git_makes_plain_git_clone_work_and_undo_takes_it_out() {
    // A target for the whole host, and one scoped below it, for which setup makes git send the
    // path (useHttpPath) that the scope is checked against.
    let Some(git) = tools::need(Tool::Git) else {
        return;
    };
    for scope in ["", "org/"] {
        setup_git_for(&git, scope);
    }
}

fn setup_git_for(git: &Path, scope: &str) {
    let sb = Sandbox::new("");
    let root = sb.dir.path().join("git-root");
    seed_bare_repo(&sb, git, &root.join(scope));
    let server = git_server(&sb, git, &root);
    let url = format!("{}/{scope}", server.url());
    sb.write_config(&format!("username = \"aws\"\nurls = [\"{url}\"]"));
    let gitconfig = sb.dir.path().join(".gitconfig");
    let mine = "[user]\n\tname = me # mine\n";
    fs::write(&gitconfig, mine).unwrap();
    let clone = |into: &str| {
        sb.program(git)
            .args(["clone", "-q", &format!("{url}repo.git"), into])
            .current_dir(sb.dir.path())
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_TERMINAL_PROMPT", "0")
            .output()
    };
    assert!(
        !clone("before").status.success(),
        "the server wants the token"
    );
    assert_refused_unauthenticated(&server.exchanges());
    let out = sb.run(&["setup", "git", "--url", &url]);
    assert!(out.status.success(), "{}", stderr(&out));
    let written = fs::read_to_string(&gitconfig).unwrap();
    assert!(
        written.starts_with(mine) && written.contains("git-credential"),
        "{written}"
    );
    assert_eq!(
        written.contains("useHttpPath = true"),
        !scope.is_empty(),
        "{written}"
    );
    assert_eq!(
        stdout(&sb.run(&["setup", "git", "--url", &url]))
            .lines()
            .next(),
        Some("nothing to change: already set up")
    );
    let out = clone("with");
    assert!(out.status.success(), "{scope}: {}", stderr(&out));
    assert!(sb.dir.path().join("with/.git").exists());

    let out = sb.run(&["setup", "git", "--url", &url, "--undo"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        fs::read_to_string(&gitconfig).unwrap(),
        mine,
        "undo restores the bytes"
    );
    let before = server.exchanges().len();
    assert!(!clone("after").status.success());
    assert_refused_unauthenticated(&server.exchanges()[before..]);
}

#[test]
fn real_git_sends_a_bearer_token_and_credential_store_after_ecluse_keeps_no_token() {
    let Some(git) = tools::need(Tool::Git) else {
        return;
    };
    let sb = Sandbox::new("");
    let root = sb.dir.path().join("git-root");
    seed_bare_repo(&sb, &git, &root);
    let server = git_server_taking(&sb, &git, &root, Credential::Bearer);
    sb.write_config(&format!(
        "username = \"aws\"\ngit_auth = \"bearer\"\nurls = [\"{}/\"]",
        server.url()
    ));
    let exe = env!("CARGO_BIN_EXE_ecluse-cred");
    let out = sb
        .program(&git)
        .args([
            "-c",
            "credential.helper=",
            "-c",
            &format!("credential.helper=!'{exe}' git-credential"),
            "-c",
            "credential.helper=store",
            "clone",
            "-q",
            &format!("{}/repo.git", server.url()),
            "cloned",
        ])
        .current_dir(sb.dir.path())
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_TERMINAL_PROMPT", "0")
        .output();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(sb.dir.path().join("cloned/.git").exists());
    // credential-store ran after ecluse: a Bearer credential it does not write at all. (The
    // leak audit also checks that no file but the cache holds the token.)
    let stored = fs::read_to_string(sb.dir.path().join(".git-credentials")).unwrap_or_default();
    assert!(!stored.contains(&sb.cached_token()), "{stored}");
}

#[test]
fn git_answers_bearer_and_ephemeral_only_to_a_git_that_announces_authtype() {
    let sb = Sandbox::new(
        "username = \"aws\"\ngit_auth = \"bearer\"\nurls = [\"https://git.example.com/\"]",
    );
    let ask = |request: &str| {
        stdout(
            &sb.cmd(&["git-credential", "get"])
                .output_with_stdin(request),
        )
    };
    let new_git =
        ask("capability[]=authtype\ncapability[]=state\nprotocol=https\nhost=git.example.com\n\n");
    let token = sb.cached_token();
    let expiry = sb.cached_entry().expires_at / 1000;
    assert_eq!(
        new_git,
        format!(
            "capability[]=authtype\nauthtype=Bearer\ncredential={token}\npassword_expiry_utc={expiry}\nephemeral=1\n"
        )
    );
    // An older git (no capability): Basic, as before.
    let old_git = ask("protocol=https\nhost=git.example.com\n\n");
    assert_eq!(
        old_git,
        format!("username=aws\npassword={token}\npassword_expiry_utc={expiry}\n")
    );
    // A Basic target answering a new git: Basic, marked ephemeral.
    sb.write_config("username = \"aws\"\nurls = [\"https://git.example.com/\"]");
    let basic = ask("capability[]=authtype\nprotocol=https\nhost=git.example.com\n\n");
    assert!(
        basic.starts_with("capability[]=authtype\nusername=aws\npassword=")
            && basic.ends_with("ephemeral=1\n"),
        "{basic}"
    );
}
