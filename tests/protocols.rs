//! Client protocols, each driven the way its client drives it: docker's helper protocol byte
//! for byte, git's with the real git, CI job-step formats, `exec` and `npmrc`, and the generated
//! completions and man pages. (cargo, pip/uv, npm and kubectl have their own test files.)

mod common;

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use common::http::{FakeServer, Request, Response};
use common::*;

/// A sandbox whose `demo` target serves `urls` with username `aws`, and the shims in `bin/`.
fn sandbox(urls: &[&str]) -> (Sandbox, PathBuf) {
    let list: Vec<String> = urls.iter().map(|u| format!("\"{u}\"")).collect();
    let sb = Sandbox::new(&format!("username = \"aws\"\nurls = [{}]", list.join(", ")));
    let shims = sb.dir.path().join("shims");
    let out = sb.run(&["install", "shims", shims.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    (sb, shims)
}

/// Run a shim the way a client does: no arguments of ours, configuration from the environment.
fn shim(
    sb: &Sandbox,
    shims: &Path,
    name: &str,
    args: &[&str],
    stdin: &str,
) -> std::process::Output {
    let mut running = sb
        .program(&shims.join(name))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // A helper that refuses its arguments may exit before reading: its answer is what counts.
    let written = running.stdin.take().unwrap().write_all(stdin.as_bytes());
    if let Err(e) = written {
        assert_eq!(e.kind(), std::io::ErrorKind::BrokenPipe, "{e}");
    }
    running.wait_with_output().unwrap()
}

#[test]
fn docker_helper_speaks_dockers_protocol() {
    let (sb, shims) = sandbox(&[
        "https://registry.example.com/",
        "http://127.0.0.1:5000/",
        "https://127.0.0.1:5443/",
        "http://plain.example.com:5000/",
    ]);
    let out = shim(
        &sb,
        &shims,
        "docker-credential-ecluse",
        &["get"],
        "https://registry.example.com",
    );
    assert!(out.status.success(), "{}", stdout(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["ServerURL"], "https://registry.example.com");
    assert_eq!(v["Username"], "aws");
    assert_eq!(v["Secret"].as_str().unwrap(), sb.cached_token());
    // A bare host:port, as docker sends for a registry with a port, means https: the https
    // entry answers it; an http-only one only on the machine itself, which docker, podman and
    // skopeo reach over plain http (docker's built-in insecure registries).
    for (server, found) in [
        ("127.0.0.1:5443", true),
        ("registry.example.com:443", true),
        ("127.0.0.1:5000", true),
        ("127.0.0.1:5001", false),
        ("http://127.0.0.1:5000", true),
        ("http://registry.example.com", false),
        ("plain.example.com:5000", false),
        ("https://plain.example.com:5000", false),
    ] {
        let out = shim(&sb, &shims, "docker-credential-ecluse", &["get"], server);
        assert_eq!(out.status.success(), found, "{server}: {}", stdout(&out));
    }
    // Userinfo is never echoed back.
    let out = shim(
        &sb,
        &shims,
        "docker-credential-ecluse",
        &["get"],
        "https://user:SECRET@registry.example.com",
    );
    assert!(
        out.status.success() && !stdout(&out).contains("SECRET"),
        "{}",
        stdout(&out)
    );

    let out = shim(
        &sb,
        &shims,
        "docker-credential-ecluse",
        &["get"],
        "unknown.example.com",
    );
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(stdout(&out), "credentials not found in native keychain\n");

    let out = shim(&sb, &shims, "docker-credential-ecluse", &["list"], "");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        v,
        serde_json::json!({"registry.example.com": "aws", "127.0.0.1:5443": "aws", "127.0.0.1:5000": "aws"})
    );

    for op in ["store", "erase"] {
        let out = shim(
            &sb,
            &shims,
            "docker-credential-ecluse",
            &[op],
            r#"{"ServerURL":"x","Username":"u","Secret":"s"}"#,
        );
        assert_eq!(
            (out.status.code(), stdout(&out).as_str()),
            (Some(1), "not implemented\n")
        );
    }
    let out = sb
        .cmd(&["docker-credential", "get"])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(stdout(&out), "credentials not found in native keychain\n");
    assert_eq!(sb.mints(), 1);
}

#[test]
fn git_helper_answers_get_and_ignores_what_it_does_not_serve() {
    let (sb, shims) = sandbox(&["https://git.example.com/org/"]);
    let request = "protocol=https\nhost=git.example.com\npath=org/repo.git\n\n";
    let out = shim(&sb, &shims, "git-credential-ecluse", &["get"], request);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    let token = sb.cached_token();
    let expiry = sb.cache_json()["entry"]["expires_at"].as_i64().unwrap() / 1000;
    assert_eq!(
        text,
        format!("username=aws\npassword={token}\npassword_expiry_utc={expiry}\n")
    );
    assert!(text.lines().all(|l| l.contains('=')));

    // No path (no useHttpPath): the host decides.
    let out = shim(
        &sb,
        &shims,
        "git-credential-ecluse",
        &["get"],
        "protocol=https\nhost=git.example.com\n\n",
    );
    assert!(stdout(&out).contains("username=aws"));
    for request in [
        "protocol=https\nhost=other.example.com\n\n",
        "protocol=https\nhost=git.example.com\nusername=someone-else\n\n",
        "protocol=ssh\nhost=git.example.com\n\n",
        // A repeated key means its last value, as git reads it.
        "protocol=https\nprotocol=http\nhost=git.example.com\n\n",
        "protocol=https\nhost=git.example.com\nhost=other.example.com\n\n",
    ] {
        let out = shim(&sb, &shims, "git-credential-ecluse", &["get"], request);
        assert_eq!(
            (out.status.code(), stdout(&out).as_str()),
            (Some(0), ""),
            "{request:?}"
        );
    }
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
fn git_server(sb: &Sandbox, root: &Path) -> FakeServer {
    git_server_taking(sb, root, false)
}

/// `git http-backend` behind `Authorization: Basic aws:TOKEN`, or with `bearer` only
/// `Authorization: Bearer TOKEN`.
fn git_server_taking(sb: &Sandbox, root: &Path, bearer: bool) -> FakeServer {
    let (root, cache) = (root.to_owned(), sb.cache_file());
    FakeServer::start(move |r: &Request| {
        let token = token_in(&cache).unwrap_or_default();
        use base64::Engine;
        let want = if bearer {
            format!("Bearer {token}")
        } else {
            format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode(format!("aws:{token}"))
            )
        };
        if token.is_empty() || r.header("authorization") != Some(want.as_str()) {
            let scheme = if bearer { "Bearer" } else { "Basic" };
            return Response::json(401, serde_json::json!({}))
                .with_header("www-authenticate", &format!("{scheme} realm=\"git\""));
        }
        let (path, query) = r.target.split_once('?').unwrap_or((&r.target, ""));
        let mut cgi = Command::new("git");
        cgi.arg("http-backend")
            .env("GIT_PROJECT_ROOT", &root)
            .env("GIT_HTTP_EXPORT_ALL", "1")
            .env("REQUEST_METHOD", &r.method)
            .env("PATH_INFO", path)
            .env("QUERY_STRING", query)
            .env("CONTENT_TYPE", r.header("content-type").unwrap_or(""))
            .env("CONTENT_LENGTH", r.body.len().to_string())
            .env(
                "HTTP_CONTENT_ENCODING",
                r.header("content-encoding").unwrap_or(""),
            )
            .env("GIT_PROTOCOL", r.header("git-protocol").unwrap_or(""))
            .env("REMOTE_USER", "aws")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped());
        let mut child = cgi.spawn().unwrap();
        child.stdin.take().unwrap().write_all(&r.body).unwrap();
        let out = child.wait_with_output().unwrap().stdout;
        let split = out
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .map(|i| (i, 4))
            .or_else(|| out.windows(2).position(|w| w == b"\n\n").map(|i| (i, 2)))
            .unwrap();
        let head = String::from_utf8_lossy(&out[..split.0]).into_owned();
        let mut response = Response {
            status: 200,
            headers: Vec::new(),
            body: out[split.0 + split.1..].to_vec(),
            delay: std::time::Duration::ZERO,
        };
        for line in head.lines() {
            let Some((k, v)) = line.split_once(':') else {
                continue;
            };
            if k.eq_ignore_ascii_case("status") {
                response.status = v.trim()[..3].parse().unwrap();
            } else {
                response
                    .headers
                    .push((k.trim().to_owned(), v.trim().to_owned()));
            }
        }
        response
    })
}

/// A bare repository `ROOT/repo.git` with one commit, for the smart-HTTP server to serve.
fn seed_bare_repo(sb: &Sandbox, root: &Path) {
    let git = |args: &[&str], dir: &Path| {
        sb.program(Path::new("git"))
            .args(args)
            .current_dir(dir)
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .output()
            .unwrap()
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
    let (sb, shims) = sandbox(&[]);
    let root = sb.dir.path().join("git-root");
    let git = |args: &[&str], dir: &Path| {
        sb.program(Path::new("git"))
            .args(args)
            .current_dir(dir)
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_TERMINAL_PROMPT", "0")
            .env(
                "PATH",
                format!("{}:{}", shims.display(), std::env::var("PATH").unwrap()),
            )
            .output()
            .unwrap()
    };
    seed_bare_repo(&sb, &root);
    let server = git_server(&sb, &root);
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
fn ci_formats_export_for_shells_and_github_actions() {
    let sb = Sandbox::new("");
    let out = sb.token(&["--format", "env", "--env", "NPM_TOKEN"]);
    let token = sb.cached_token();
    assert_eq!(stdout(&out), format!("export NPM_TOKEN='{token}'\n"));
    let shell = Command::new("sh")
        .arg("-c")
        .arg(format!("{}\nprintf %s \"$NPM_TOKEN\"", stdout(&out)))
        .output()
        .unwrap();
    assert_eq!(stdout(&shell), token);

    let github_env = sb.dir.path().join("github_env");
    sb.allow_token_in(&github_env);
    fs::write(&github_env, "EARLIER=1\n").unwrap();
    let out = sb
        .cmd(&["token", "--target", "demo", "--format", "github"])
        .env("GITHUB_ENV", &github_env)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).is_empty(), "nothing secret on stdout");
    assert_eq!(stderr(&out), format!("::add-mask::{token}\n"));
    let text = fs::read_to_string(&github_env).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "EARLIER=1");
    let delimiter = lines[1].strip_prefix("ECLUSE_CRED_TOKEN<<").unwrap();
    assert!(delimiter.len() >= 16 && !token.contains(delimiter));
    assert_eq!(&lines[2..], [token.as_str(), delimiter]);

    let out = sb
        .cmd(&["token", "--target", "demo", "--format", "github"])
        .env_remove("GITHUB_ENV")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(78));
    assert!(stderr(&out).contains("GITHUB_ENV") && !stderr(&out).contains(&token));
    assert_eq!(
        sb.token(&["--format", "env", "--env", "1BAD"])
            .status
            .code(),
        Some(2)
    );
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
fn npmrc_updates_one_line_atomically_keeps_the_rest_and_makes_the_file_private() {
    let sb = Sandbox::new("");
    let file = sb.dir.path().join("npmrc");
    sb.allow_token_in(&file);
    fs::write(&file, "registry=https://registry.npmjs.org/\n//127.0.0.1:4873/npm/repo/:_authToken=stale\nfund=false\n").unwrap();
    fs::set_permissions(&file, std::os::unix::fs::PermissionsExt::from_mode(0o640)).unwrap();
    let out = sb.run(&[
        "npmrc",
        "--target",
        "demo",
        "--registry",
        "http://127.0.0.1:4873/npm/repo",
        "--scope",
        "@acme",
        "--file",
        file.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(!stdout(&out).contains(&sb.cached_token()));
    let token = sb.cached_token();
    assert_eq!(
        fs::read_to_string(&file).unwrap(),
        format!(
            "registry=https://registry.npmjs.org/\n//127.0.0.1:4873/npm/repo/:_authToken={token}\nfund=false\n@acme:registry=http://127.0.0.1:4873/npm/repo\n"
        )
    );
    assert_eq!(mode(&file), 0o600, "a token is for its owner only");
    let created = sb.dir.path().join("new-npmrc");
    sb.allow_token_in(&created);
    sb.run(&[
        "npmrc",
        "--target",
        "demo",
        "--registry",
        "https://npm.example.com/",
        "--file",
        created.to_str().unwrap(),
    ]);
    assert_eq!(mode(&created), 0o600);
    assert_eq!(
        fs::read_to_string(&created).unwrap(),
        format!("//npm.example.com/:_authToken={token}\n")
    );
}

#[test]
fn kube_credential_prints_an_exec_credential() {
    let sb = Sandbox::new("");
    let out = sb.run(&["kube-credential", "--target", "demo"]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["apiVersion"], "client.authentication.k8s.io/v1");
    assert_eq!(v["kind"], "ExecCredential");
    assert_eq!(v["status"]["token"].as_str().unwrap(), sb.cached_token());
    let exp: jiff::Timestamp = v["status"]["expirationTimestamp"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(
        exp.as_second(),
        sb.cache_json()["entry"]["expires_at"].as_i64().unwrap() / 1000
    );
}

#[test]
fn keyring_answers_every_client_form() {
    let (sb, shims) = sandbox(&["http://127.0.0.1:8080/simple/"]);
    let token = {
        let out = shim(
            &sb,
            &shims,
            "keyring",
            &["get", "http://127.0.0.1:8080/simple/", "aws"],
            "",
        );
        assert!(out.status.success(), "{}", stderr(&out));
        stdout(&out)
    };
    assert_eq!(token, format!("{}\n", sb.cached_token()));
    let t = sb.cached_token();
    let cases: [(&[&str], String); 3] = [
        (
            &[
                "--mode=creds",
                "--output=json",
                "get",
                "http://127.0.0.1:8080/simple/",
                "aws",
            ],
            format!("{{\"password\":\"{t}\",\"username\":\"aws\"}}\n"),
        ),
        (
            &[
                "--mode=creds",
                "--output=json",
                "get",
                "http://127.0.0.1:8080/simple/",
            ],
            format!("{{\"password\":\"{t}\",\"username\":\"aws\"}}\n"),
        ),
        (
            &["get", "http://127.0.0.1:8080/simple/", "--mode", "creds"],
            format!("aws\n{t}\n"),
        ),
    ];
    for (args, want) in cases {
        let out = shim(&sb, &shims, "keyring", args, "");
        assert_eq!(stdout(&out), want, "{args:?}: {}", stderr(&out));
    }
    for args in [
        &["get", "http://other/simple/", "aws"][..],
        &["get", "http://127.0.0.1:8080/simple/", "bob"],
        // The bare host[:port] fallback cannot tell http from https: never answered.
        &["get", "127.0.0.1:8080", "aws"],
        &["get", "127.0.0.1", "aws"],
        // Same host and path, another scheme or port.
        &["get", "https://127.0.0.1:8080/simple/", "aws"],
        &["get", "http://127.0.0.1:8081/simple/", "aws"],
    ] {
        let out = shim(&sb, &shims, "keyring", args, "");
        assert_eq!(
            (out.status.code(), stdout(&out).as_str()),
            (Some(1), ""),
            "{args:?}"
        );
    }
    let out = shim(&sb, &shims, "keyring", &["--bogus", "get", "x"], "");
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("unrecognized arguments"));
    let out = sb.run(&["keyring", "get", "http://127.0.0.1:8080/simple/", "aws"]);
    assert_eq!(stdout(&out), format!("{t}\n"));
}

#[test]
fn install_shims_links_the_three_names_and_keeps_other_files() {
    let sb = Sandbox::new("");
    let dir = sb.dir.path().join("bin2");
    fs::create_dir(&dir).unwrap();
    let out = sb.run(&["install", "shims", dir.to_str().unwrap()]);
    assert!(out.status.success());
    assert!(stdout(&out).contains("is not on PATH"));
    for name in [
        "keyring",
        "git-credential-ecluse",
        "docker-credential-ecluse",
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

/// Drive `ecluse-cred --cargo-plugin` exactly as cargo does: read the hello, send requests one
/// JSON line each, read one JSON line back for each.
fn cargo_exchange(sb: &Sandbox, requests: &[&str]) -> Vec<serde_json::Value> {
    let mut child = sb
        .program(Path::new(env!("CARGO_BIN_EXE_ecluse-cred")))
        .arg("--cargo-plugin")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    for r in requests {
        writeln!(stdin, "{r}").unwrap();
    }
    drop(stdin);
    let out = child.wait_with_output().unwrap();
    stdout(&out)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{l}: {e}")))
        .collect()
}

#[test]
fn cargo_provider_speaks_the_protocol_line_by_line() {
    let sb = Sandbox::new("urls = [\"http://127.0.0.1:8080/index/\"]");
    let get = r#"{"v":1,"registry":{"index-url":"sparse+http://127.0.0.1:8080/index/","name":"ecluse"},"kind":"get","operation":"read","args":[]}"#;
    let named = r#"{"v":1,"registry":{"index-url":"sparse+http://127.0.0.1:8080/index/"},"kind":"get","operation":"read","args":["--target","demo"]}"#;
    // A named target answers only registries its `urls` cover.
    let named_elsewhere = r#"{"v":1,"registry":{"index-url":"sparse+https://other.example.com/index/"},"kind":"get","operation":"read","args":["--target","demo"]}"#;
    let unknown = r#"{"v":1,"registry":{"index-url":"sparse+https://unknown.example.com/index/"},"kind":"get","operation":"read","args":[]}"#;
    let login = r#"{"v":1,"registry":{"index-url":"sparse+http://127.0.0.1:8080/index/"},"kind":"login","token":"x","args":[]}"#;
    let logout = r#"{"v":1,"registry":{"index-url":"sparse+http://127.0.0.1:8080/index/"},"kind":"logout","args":[]}"#;
    let replies = cargo_exchange(&sb, &[get, named, unknown, login, logout, named_elsewhere]);
    assert_eq!(replies[0], serde_json::json!({"v": [1]}));
    let token = sb.cached_token();
    let expiration = sb.cache_json()["entry"]["expires_at"].as_i64().unwrap() / 1000;
    let ok = serde_json::json!({"Ok": {"kind": "get", "token": token, "cache": "expires", "expiration": expiration, "operation_independent": true}});
    assert_eq!(replies[1], ok);
    assert_eq!(replies[2], ok);
    assert_eq!(
        replies[3],
        serde_json::json!({"Err": {"kind": "url-not-supported"}})
    );
    assert_eq!(
        replies[4],
        serde_json::json!({"Err": {"kind": "operation-not-supported"}})
    );
    assert_eq!(
        replies[5],
        serde_json::json!({"Err": {"kind": "operation-not-supported"}})
    );
    let refused = replies[6]["Err"]["message"].as_str().unwrap_or_default();
    assert!(
        refused.contains("does not serve https://other.example.com/index/"),
        "{}",
        replies[6]
    );
    assert_eq!(sb.mints(), 1);
}

#[test]
fn malformed_protocol_input_gets_each_protocols_error_form() {
    let (sb, shims) = sandbox(&["https://registry.example.com/"]);
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
fn github_env_created_by_ecluse_cred_is_private() {
    let sb = Sandbox::new("");
    let github_env = sb.dir.path().join("new_github_env");
    sb.allow_token_in(&github_env);
    let out = sb
        .cmd(&["token", "--target", "demo", "--format", "github"])
        .env("GITHUB_ENV", &github_env)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(mode(&github_env), 0o600);
}

/// What git's helper answers for `request`.
fn git_get(sb: &Sandbox, shims: &Path, args: &[&str], request: &str) -> String {
    let out = shim(sb, shims, "git-credential-ecluse", args, request);
    sb.record(&out);
    assert!(out.status.success(), "{request:?}: {}", stderr(&out));
    stdout(&out)
}

#[test]
fn git_never_answers_plain_http_for_an_https_target_or_a_derived_host() {
    let (sb, shims) = sandbox(&["https://git.example.com/"]);
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
    assert!(ok.contains("password="));
    assert_eq!(sb.mints(), 1);
}

#[test]
fn git_with_a_named_target_answers_only_what_its_urls_cover() {
    let (sb, _shims) = sandbox(&["https://git.example.com/org/"]);
    let ask = |request: &str| {
        let mut child = sb
            .cmd(&["git-credential", "--target", "demo", "get"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(request.as_bytes())
            .unwrap();
        let out = sb.recorded(child.wait_with_output().unwrap());
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
    assert!(answer.contains("password="), "{answer}");
}

#[test]
fn real_git_sends_no_token_to_a_plain_http_server_posing_as_an_https_target() {
    let (sb, shims) = sandbox(&[]);
    let tokens_seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let seen = tokens_seen.clone();
    let server = FakeServer::start(move |r: &Request| {
        if let Some(auth) = r.header("authorization") {
            seen.lock().unwrap().push(auth.to_owned());
        }
        Response::json(401, serde_json::json!({}))
            .with_header("www-authenticate", "Basic realm=\"git\"")
    });
    // The target is for https on this host and port; the server there speaks plain http.
    let https_url = server.url().replacen("http://", "https://", 1);
    sb.write_config(&format!("username = \"aws\"\nurls = [\"{https_url}/\"]"));
    let out = sb
        .program(Path::new("git"))
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
        .output()
        .unwrap();
    sb.record(&out);
    assert!(!out.status.success());
    assert!(server.count() >= 1, "git asked the server");
    assert_eq!(*tokens_seen.lock().unwrap(), Vec::<String>::new());
    assert_eq!(sb.mints(), 0);
}

#[test]
fn targets_sharing_a_host_are_chosen_by_one_rule_in_every_front_end() {
    let (sb, shims) = sandbox(&[]);
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
        sb.cache.join(format!("{name}.json"))
    };
    let root_token = token_in(&status("root")).unwrap();
    let npm_token = token_in(&status("npm")).unwrap();
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

#[test]
fn npm_gets_a_token_only_for_a_registry_its_target_serves() {
    let sb = Sandbox::new("urls = [\"https://npm.example.com/\"]");
    let npmrc = sb.dir.path().join(".npmrc");
    for args in [
        vec![
            "npmrc",
            "--target",
            "demo",
            "--registry",
            "https://evil.example.com/",
            "--file",
        ],
        vec![
            "npmrc",
            "--target",
            "demo",
            "--registry",
            "http://npm.example.com/",
            "--file",
        ],
    ] {
        let mut args = args;
        let file = npmrc.to_str().unwrap();
        args.push(file);
        let out = sb.run(&args);
        assert_eq!(out.status.code(), Some(78), "{}", stderr(&out));
        assert!(stderr(&out).contains("does not serve"), "{}", stderr(&out));
    }
    let out = sb.run(&[
        "exec",
        "--target",
        "demo",
        "--npm-registry",
        "https://evil.example.com/",
        "--",
        "true",
    ]);
    assert_eq!(out.status.code(), Some(78), "{}", stderr(&out));
    assert!(!npmrc.exists());
    assert_eq!(sb.mints(), 0);
}

/// A pipe whose reader has gone: writing to it fails with EPIPE.
fn closed_pipe() -> std::io::PipeWriter {
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    writer
}

#[test]
fn every_front_end_exits_with_an_error_not_a_panic_when_its_reader_has_gone() {
    let (sb, shims) = sandbox(&["https://registry.example.com/"]);
    sb.token(&[]);
    fs::create_dir_all(sb.dir.path().join("pnpm")).unwrap();
    let pnpm = sb.dir.path().join("pnpm").join("ecluse-pnpm-token-demo");
    std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_ecluse-cred"), &pnpm).unwrap();
    let cargo_request = r#"{"v":1,"registry":{"index-url":"sparse+https://registry.example.com/"},"kind":"get","operation":"read","args":[]}"#;
    let with = |mut cmd: Command, args: &[&str]| {
        cmd.args(args);
        cmd
    };
    let runs: Vec<(Command, &str)> = vec![
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
    ];
    for (mut cmd, stdin) in runs {
        let shown = format!("{cmd:?}");
        let mut child = cmd
            .stdin(Stdio::piped())
            .stdout(closed_pipe())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let _ = child.stdin.take().unwrap().write_all(stdin.as_bytes());
        let out = sb.recorded(child.wait_with_output().unwrap());
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
fn kube_credential_answers_only_a_cluster_its_target_serves() {
    let sb = Sandbox::new("urls = [\"https://k8s.example.com:6443/\"]");
    let info = |server: &str| {
        serde_json::json!({"apiVersion": "client.authentication.k8s.io/v1", "kind": "ExecCredential",
            "spec": {"interactive": false, "cluster": {"server": server}}})
        .to_string()
    };
    let run = |server: &str| {
        sb.recorded(
            sb.cmd(&["kube-credential", "--target", "demo"])
                .env("KUBERNETES_EXEC_INFO", info(server))
                .output()
                .unwrap(),
        )
    };
    let out = run("https://k8s.example.com:6443");
    assert!(out.status.success(), "{}", stderr(&out));
    for server in [
        "https://evil.example.com:6443",
        "http://k8s.example.com:6443",
        "https://k8s.example.com",
    ] {
        let out = run(server);
        assert_eq!(out.status.code(), Some(78), "{server}: {}", stderr(&out));
        assert!(stdout(&out).is_empty());
    }
    // Cluster information that cannot be read is no reason to skip the check.
    for raw in [
        r#"{"spec":{"cluster":{"server":"https://evil.example.com/"}}"#.to_owned(),
        r#"{"spec":{"cluster":{"server":["https://evil.example.com/"]}}}"#.to_owned(),
        r#"{"spec":{"cluster":{"server":null}}}"#.to_owned(),
        "[".repeat(100_000),
    ] {
        let out = sb.recorded(
            sb.cmd(&["kube-credential", "--target", "demo"])
                .env("KUBERNETES_EXEC_INFO", &raw)
                .output()
                .unwrap(),
        );
        assert_eq!(out.status.code(), Some(78), "{}", stderr(&out));
        assert!(stdout(&out).is_empty());
    }
    // Without cluster information (provideClusterInfo off) there is nothing to check.
    let out = sb.recorded(
        sb.cmd(&["kube-credential", "--target", "demo"])
            .env(
                "KUBERNETES_EXEC_INFO",
                r#"{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","spec":{"interactive":false}}"#,
            )
            .output()
            .unwrap(),
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(sb.mints(), 1);
}

#[test]
fn userinfo_with_any_characters_is_never_echoed_by_a_front_end() {
    let (sb, shims) = sandbox(&["https://registry.example.com/"]);
    for server in [
        "https://u:SE=CRET@registry.example.com",
        "https://u:SE;CRET@registry.example.com",
    ] {
        let out = shim(&sb, &shims, "docker-credential-ecluse", &["get"], server);
        sb.record(&out);
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

#[test]
fn setup_git_makes_plain_git_clone_work_and_undo_takes_it_out() {
    let sb = Sandbox::new("");
    let root = sb.dir.path().join("git-root");
    seed_bare_repo(&sb, &root);
    let server = git_server(&sb, &root);
    let url = format!("{}/", server.url());
    sb.write_config(&format!("username = \"aws\"\nurls = [\"{url}\"]"));
    let gitconfig = sb.dir.path().join(".gitconfig");
    let mine = "[user]\n\tname = me # mine\n";
    fs::write(&gitconfig, mine).unwrap();
    let clone = |into: &str| {
        sb.recorded(
            sb.program(Path::new("git"))
                .args(["clone", "-q", &format!("{url}repo.git"), into])
                .current_dir(sb.dir.path())
                .env("GIT_CONFIG_NOSYSTEM", "1")
                .env("GIT_TERMINAL_PROMPT", "0")
                .output()
                .unwrap(),
        )
    };
    assert!(
        !clone("before").status.success(),
        "the server wants the token"
    );
    let out = sb.run(&["setup", "git", "--url", &url]);
    assert!(out.status.success(), "{}", stderr(&out));
    let written = fs::read_to_string(&gitconfig).unwrap();
    assert!(
        written.starts_with(mine) && written.contains("git-credential"),
        "{written}"
    );
    assert!(stdout(&sb.run(&["setup", "git", "--url", &url])).contains("nothing to change"));
    let out = clone("with");
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(sb.dir.path().join("with/.git").exists());

    let out = sb.run(&["setup", "git", "--url", &url, "--undo"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        fs::read_to_string(&gitconfig).unwrap(),
        mine,
        "undo restores the bytes"
    );
    assert!(!clone("after").status.success());
}

#[test]
fn bazel_helper_speaks_the_credential_helper_spec() {
    let (sb, shims) = sandbox(&["https://registry.example.com/", "http://127.0.0.1:5000/"]);
    let bazel = |args: &[&str], stdin: &str| {
        let out = shim(&sb, &shims, "bazel-credential-ecluse", args, stdin);
        sb.record(&out);
        out
    };
    let out = bazel(
        &["get"],
        r#"{"uri":"https://registry.example.com/maven/x.jar","other":1}"#,
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let token = sb.cached_token();
    use base64::Engine;
    let basic = base64::engine::general_purpose::STANDARD.encode(format!("aws:{token}"));
    // The expiry less min_ttl (30 s), in whole seconds: Bazel never refreshes early.
    let expires = jiff::Timestamp::from_millisecond(
        (sb.cache_json()["entry"]["expires_at"].as_i64().unwrap() - 30_000) / 1000 * 1000,
    )
    .unwrap();
    assert_eq!(
        stdout(&out),
        format!(
            "{{\"headers\":{{\"Authorization\":[\"Basic {basic}\"]}},\"expires\":\"{expires}\"}}\n"
        )
    );
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
    let mut child = sb
        .cmd(&["bazel-credential", "get"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(br#"{"uri":"https://registry.example.com/"}"#)
        .unwrap();
    assert!(stdout(&child.wait_with_output().unwrap()).contains("Authorization"));
    assert_eq!(sb.mints(), 1);
}

#[test]
fn terraform_helper_answers_get_and_refuses_store_and_forget() {
    let (sb, shims) = sandbox(&[
        "https://registry.example.com/",
        "https://tf.example.com:8443/",
        "http://plain.example.com/",
    ]);
    let tf = |args: &[&str], stdin: &str| {
        let out = shim(&sb, &shims, "terraform-credentials-ecluse", args, stdin);
        sb.record(&out);
        out
    };
    let out = tf(&["get", "registry.example.com"], "");
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        stdout(&out),
        format!("{{\"token\":\"{}\"}}\n", sb.cached_token())
    );
    // Configured args come first; VERB and HOST are the last two.
    let out = tf(&["--profile", "x", "get", "tf.example.com:8443"], "");
    assert!(stdout(&out).contains("\"token\""), "{}", stdout(&out));
    for host in ["other.example.com", "plain.example.com", "tf.example.com"] {
        let out = tf(&["get", host], "");
        assert_eq!(
            (out.status.code(), stdout(&out).as_str()),
            (Some(0), "{}\n"),
            "{host}"
        );
    }
    for (args, stdin) in [
        (&["store", "registry.example.com"][..], "{\"token\":\"x\"}"),
        (&["forget", "registry.example.com"][..], ""),
        (&["frobnicate", "registry.example.com"][..], ""),
        // Not a host name: a malformed request, not "no credentials".
        (&["get", "https://registry.example.com"][..], ""),
        (&["get", "registry.example.com/x"][..], ""),
        (&["get", ""][..], ""),
        (&[][..], ""),
    ] {
        let out = tf(args, stdin);
        assert_ne!(out.status.code(), Some(0), "{args:?}");
        assert!(
            stdout(&out).is_empty() && !stderr(&out).is_empty(),
            "{args:?}"
        );
    }
    assert_eq!(sb.mints(), 1);
}

#[test]
fn real_git_sends_a_bearer_token_and_credential_store_after_ecluse_keeps_no_token() {
    let sb = Sandbox::new("");
    let root = sb.dir.path().join("git-root");
    seed_bare_repo(&sb, &root);
    let server = git_server_taking(&sb, &root, true);
    sb.write_config(&format!(
        "username = \"aws\"\ngit_auth = \"bearer\"\nurls = [\"{}/\"]",
        server.url()
    ));
    let exe = env!("CARGO_BIN_EXE_ecluse-cred");
    let out = sb.recorded(
        sb.program(Path::new("git"))
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
            .output()
            .unwrap(),
    );
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
        let mut child = sb
            .cmd(&["git-credential", "get"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(request.as_bytes())
            .unwrap();
        stdout(&sb.recorded(child.wait_with_output().unwrap()))
    };
    let new_git =
        ask("capability[]=authtype\ncapability[]=state\nprotocol=https\nhost=git.example.com\n\n");
    let token = sb.cached_token();
    let expiry = sb.cache_json()["entry"]["expires_at"].as_i64().unwrap() / 1000;
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

#[test]
fn goauth_first_call_offers_only_cached_tokens_and_probes_share_one_mint() {
    let sb =
        Sandbox::new("urls = [\"https://goproxy.example.com/\", \"http://plain.example.com/\"]");
    let goauth = |args: &[&str], stdin: &str| {
        let mut all = vec!["goauth"];
        all.extend_from_slice(args);
        let mut child = sb
            .cmd(&all)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(stdin.as_bytes())
            .unwrap();
        sb.recorded(child.wait_with_output().unwrap())
    };
    // Nothing cached: the first call prints nothing and mints nothing.
    let out = goauth(&[], "");
    assert_eq!((out.status.code(), stdout(&out).as_str()), (Some(0), ""));
    // A 404 probe (a registry may hide from anonymous callers behind one) gets the token too,
    // for the target's own https prefixes only; later probes share that one mint.
    let probe = "HTTP/1.1 404 Not Found\nContent-Type: text/plain\n\n";
    let out = goauth(&["https://goproxy.example.com/example.com/@v/list"], probe);
    assert_eq!(sb.mints(), 1);
    let refused = "HTTP/1.1 401 Unauthorized\nWww-Authenticate: Bearer realm=\"x\"\n\n";
    let again = goauth(
        &["https://goproxy.example.com/example.com/private/mod/@v/list"],
        refused,
    );
    assert_eq!(stdout(&again), stdout(&out));
    let token = sb.cached_token();
    assert_eq!(
        stdout(&out),
        format!("https://goproxy.example.com/\n\nAuthorization: Bearer {token}\n\n")
    );
    // Now cached: the first call of the next go process offers it, and a 404 probe gets it.
    assert_eq!(stdout(&goauth(&[], "")), stdout(&out));
    assert_eq!(
        stdout(&goauth(&["https://goproxy.example.com/x/@v/list"], probe)),
        stdout(&out)
    );
    // http, another host, garbage: nothing.
    for url in [
        "http://plain.example.com/x",
        "https://other.example.com/x",
        "not a url",
    ] {
        let out = goauth(&[url], refused);
        assert_eq!(
            (out.status.code(), stdout(&out).as_str()),
            (Some(0), ""),
            "{url}"
        );
    }
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
    assert!(stdout(&out).contains("7.4"), "{}", stdout(&out));
    assert!(stdout(&run(&[])).contains("nothing to change"));
    assert!(run(&["--undo"]).status.success());
    assert_eq!(fs::read_to_string(&bazelrc).unwrap(), mine);
}

#[test]
fn setup_go_and_bazel_and_terraform_keep_what_is_the_users() {
    let sb = Sandbox::new("urls = [\"https://europe-maven.example.com/repo/\"]");
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
        let mut args = vec!["setup", "terraform", "--url", url];
        args.extend_from_slice(extra);
        sb.recorded(
            sb.cmd(&args)
                .env("TF_CLI_CONFIG_FILE", &tfrc)
                .output()
                .unwrap(),
        )
    };
    fs::write(&tfrc, "plugin_cache_dir = \"/tmp/x\"\n").unwrap();
    assert!(run_tf(&[]).status.success());
    let edited = fs::read_to_string(&tfrc)
        .unwrap()
        .replace("args = []", "args = [\"--verbose\"]");
    fs::write(&tfrc, edited).unwrap();
    assert!(run_tf(&["--undo"]).status.success());
    assert_eq!(
        fs::read_to_string(&tfrc).unwrap(),
        "plugin_cache_dir = \"/tmp/x\"\n"
    );
}
