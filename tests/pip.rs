//! Real pip (the machine's bundled one, and a >= 26.2 one from PyPI) and real uv install a
//! package from a local simple index that requires HTTP Basic with the minted token, asking
//! ecluse-cred through the `keyring` shim (`--keyring-provider subprocess`).

mod common;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use base64::Engine;
use common::http::{FakeServer, Request, Response};
use common::*;
use sha2::{Digest, Sha256};

const WHEEL: &str = "ecluse_demo-0.1.0-py3-none-any.whl";

/// Python: the one on PATH (CI and developers have CPython 3 here).
fn python() -> PathBuf {
    PathBuf::from(std::env::var_os("ECLUSE_TEST_PYTHON").unwrap_or_else(|| "python3".into()))
}

/// A venv with pip >= 26.2 and uv from PyPI, made once per machine under target/test-tools.
fn tools() -> &'static Path {
    static TOOLS: OnceLock<PathBuf> = OnceLock::new();
    TOOLS.get_or_init(|| {
        let venv = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/test-tools/pip-venv");
        if venv.join("bin/uv").exists() && venv.join(".complete").exists() {
            return venv;
        }
        let _ = fs::remove_dir_all(&venv);
        let run = |cmd: &mut Command| {
            let out = cmd
                .env("PIP_CONFIG_FILE", "/dev/null")
                .env_remove("PIP_FIND_LINKS")
                .output()
                .unwrap();
            assert!(out.status.success(), "{cmd:?}: {}", stderr(&out));
        };
        run(Command::new(python()).args(["-m", "venv"]).arg(&venv));
        run(Command::new(venv.join("bin/python")).args([
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "pip>=26.2",
            "uv",
        ]));
        fs::write(venv.join(".complete"), "").unwrap();
        venv
    })
}

/// Build a minimal wheel with Python's zipfile; its bytes.
fn wheel(dir: &Path) -> Vec<u8> {
    let path = dir.join(WHEEL);
    let script = r#"
import sys, zipfile, hashlib, base64
files = {
    "ecluse_demo/__init__.py": "VALUE = 'installed through ecluse-cred'\n",
    "ecluse_demo-0.1.0.dist-info/METADATA": "Metadata-Version: 2.1\nName: ecluse-demo\nVersion: 0.1.0\n",
    "ecluse_demo-0.1.0.dist-info/WHEEL": "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
}
record = []
with zipfile.ZipFile(sys.argv[1], "w") as z:
    for name, text in files.items():
        data = text.encode()
        z.writestr(name, data)
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        record.append(f"{name},sha256={digest},{len(data)}")
    record.append("ecluse_demo-0.1.0.dist-info/RECORD,,")
    z.writestr("ecluse_demo-0.1.0.dist-info/RECORD", "\n".join(record) + "\n")
"#;
    let out = Command::new(python())
        .arg("-c")
        .arg(script)
        .arg(&path)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    fs::read(path).unwrap()
}

/// A simple index (PEP 503) that answers only `Basic aws:<the cached token>`.
fn index(sb: &Sandbox) -> FakeServer {
    let bytes = wheel(sb.dir.path());
    let sha: String = Sha256::digest(&bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let cache = sb.cache_file();
    FakeServer::start(move |r: &Request| {
        let token = token_in(&cache);
        let want = token.map(|t| {
            format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode(format!("aws:{t}"))
            )
        });
        if want.is_none() || r.header("authorization") != want.as_deref() {
            return Response::json(401, serde_json::json!({}))
                .with_header("www-authenticate", "Basic realm=\"pypi\"");
        }
        match r.path() {
            "/simple/ecluse-demo/" => Response {
                status: 200,
                headers: vec![("content-type".into(), "text/html".into())],
                body: format!(
                    "<html><body><a href=\"/files/{WHEEL}#sha256={sha}\">{WHEEL}</a></body></html>"
                )
                .into_bytes(),
                delay: std::time::Duration::ZERO,
            },
            p if p == format!("/files/{WHEEL}") => Response {
                status: 200,
                headers: vec![("content-type".into(), "application/octet-stream".into())],
                body: bytes.clone(),
                delay: std::time::Duration::ZERO,
            },
            _ => Response::json(404, serde_json::json!({})),
        }
    })
}

struct Setup {
    sb: Sandbox,
    server: FakeServer,
    path: String,
}

fn setup() -> Setup {
    let sb = Sandbox::new("");
    let server = index(&sb);
    sb.write_config(&format!(
        "username = \"aws\"\nurls = [\"{}/simple/\"]",
        server.url()
    ));
    // The shim lives outside any venv: pip skips a `keyring` in its own venv's scripts dir.
    let shims = sb.dir.path().join("shims");
    assert!(
        sb.run(&["install", "shims", shims.to_str().unwrap()])
            .status
            .success()
    );
    let path = format!(
        "{}:{}",
        shims.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    Setup { sb, server, path }
}

impl Setup {
    fn client(&self, program: &Path) -> Command {
        let mut c = self.sb.program(program);
        c.env("PATH", &self.path)
            .env("PIP_CONFIG_FILE", "/dev/null")
            .env("PIP_DISABLE_PIP_VERSION_CHECK", "1")
            .env("UV_NO_CONFIG", "1")
            .env("UV_CACHE_DIR", self.sb.dir.path().join("uv-cache"))
            .env("UV_PYTHON_DOWNLOADS", "never");
        for var in [
            "PIP_FIND_LINKS",
            "PIP_INDEX_URL",
            "PIP_EXTRA_INDEX_URL",
            "PIP_NO_INDEX",
            "PIP_KEYRING_PROVIDER",
            "UV_INDEX_URL",
            "UV_KEYRING_PROVIDER",
        ] {
            c.env_remove(var);
        }
        c
    }

    /// The index URL, with `aws@` when `with_user`.
    fn index_url(&self, with_user: bool) -> String {
        let user = if with_user { "aws@" } else { "" };
        format!("http://{user}127.0.0.1:{}/simple/", self.server.port)
    }

    /// Check the package landed in `target` and the token was minted once.
    fn assert_installed(&self, out: &std::process::Output, target: &Path) {
        self.sb.record(out);
        assert!(out.status.success(), "{}\n{}", stdout(out), stderr(out));
        let init = fs::read_to_string(target.join("ecluse_demo/__init__.py")).unwrap();
        assert!(init.contains("installed through ecluse-cred"));
        assert_eq!(self.sb.mints(), 1);
        assert!(
            !stderr(out).contains(&self.sb.cached_token())
                && !stdout(out).contains(&self.sb.cached_token())
        );
    }
}

fn pip_install(s: &Setup, python: &Path, index_url: &str, target: &Path) -> std::process::Output {
    s.client(python)
        .args([
            "-m",
            "pip",
            "install",
            "--no-cache-dir",
            "--keyring-provider",
            "subprocess",
            "--index-url",
            index_url,
            "--target",
        ])
        .arg(target)
        .arg("ecluse-demo")
        .output()
        .unwrap()
}

#[test]
fn bundled_pip_installs_through_the_keyring_shim() {
    let s = setup();
    let target = s.sb.dir.path().join("site");
    // pip <= 26.1 asks `keyring get URL USERNAME`, so the username is in the index URL.
    let out = pip_install(&s, &python(), &s.index_url(true), &target);
    s.assert_installed(&out, &target);
}

#[test]
fn pip_26_2_or_later_installs_through_the_creds_json_form() {
    let s = setup();
    let target = s.sb.dir.path().join("site");
    let python = tools().join("bin/python");
    let version = Command::new(&python)
        .args(["-m", "pip", "--version"])
        .output()
        .unwrap();
    assert!(
        stdout(&version).starts_with("pip 2"),
        "{}",
        stdout(&version)
    );
    // No username in the URL: pip >= 26.2 asks `--mode=creds --output=json` for both.
    let out = pip_install(&s, &python, &s.index_url(false), &target);
    s.assert_installed(&out, &target);
}

#[test]
fn uv_installs_through_the_keyring_shim() {
    let s = setup();
    let target = s.sb.dir.path().join("site");
    let out = s
        .client(&tools().join("bin/uv"))
        .args([
            "pip",
            "install",
            "--no-cache",
            "--keyring-provider",
            "subprocess",
            "--index-url",
            &s.index_url(true),
            "--python",
        ])
        .arg(tools().join("bin/python"))
        .arg("--target")
        .arg(&target)
        .arg("ecluse-demo")
        .output()
        .unwrap();
    s.assert_installed(&out, &target);
}

#[test]
fn uv_without_a_username_asks_for_creds_mode() {
    let s = setup();
    let target = s.sb.dir.path().join("site");
    let config = s.sb.dir.path().join("uv.toml");
    fs::write(
        &config,
        format!(
            "[[index]]\nname = \"ecluse\"\nurl = \"{}\"\ndefault = true\nauthenticate = \"always\"\n",
            s.index_url(false)
        ),
    )
    .unwrap();
    let out = s
        .client(&tools().join("bin/uv"))
        .args([
            "pip",
            "install",
            "--no-cache",
            "--keyring-provider",
            "subprocess",
            "--config-file",
        ])
        .arg(&config)
        .arg("--python")
        .arg(tools().join("bin/python"))
        .arg("--target")
        .arg(&target)
        .arg("ecluse-demo")
        .env_remove("UV_NO_CONFIG")
        .output()
        .unwrap();
    s.assert_installed(&out, &target);
}

/// `setup CLIENT --url INDEX --bin-dir BIN` in the sandbox; the shim directory and the PATH a
/// user with it would have (without the sandbox's other shims).
fn setup_client(s: &Setup, client: &str, extra: &[&str]) -> (PathBuf, String) {
    let bin = s.sb.dir.path().join("bin-setup");
    let url = format!("{}/simple/", s.server.url());
    let mut args = vec![
        "setup",
        client,
        "--url",
        &url,
        "--bin-dir",
        bin.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    let out = s.sb.run(&args);
    assert!(out.status.success(), "setup {client}: {}", stderr(&out));
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    (bin, path)
}

#[test]
fn setup_pip_makes_plain_pip_install_work_and_undo_takes_it_out() {
    let s = setup();
    let conf = s.sb.dir.path().join(".config/pip/pip.conf");
    fs::create_dir_all(conf.parent().unwrap()).unwrap();
    let mine = "[global]\n# mine\ntimeout = 60\n\n[install]\nno-compile = true\n";
    fs::write(&conf, mine).unwrap();
    let (bin, path) = setup_client(&s, "pip", &[]);
    assert!(
        fs::read_link(bin.join("keyring")).is_ok(),
        "the keyring shim"
    );
    let written = fs::read_to_string(&conf).unwrap();
    assert!(
        written.contains(&format!("index-url = {}", s.index_url(true)))
            && written.contains("keyring-provider = subprocess")
            && written.contains("[install]\nno-compile = true"),
        "{written}"
    );
    let pip = |python: &Path, extra: &[&str]| {
        let target = s.sb.dir.path().join("site");
        let _ = fs::remove_dir_all(&target);
        let out = s
            .client(python)
            .env_remove("PIP_CONFIG_FILE")
            .env("PATH", &path)
            .args(["-m", "pip", "install", "--no-cache-dir", "--no-input"])
            .args(extra)
            .arg("--target")
            .arg(&target)
            .arg("ecluse-demo")
            .output()
            .unwrap();
        (out, target)
    };
    // The bundled pip (<= 26.1, which needs the username in the URL) and pip >= 26.2.
    for python in [python(), tools().join("bin/python")] {
        let (out, target) = pip(&python, &[]);
        s.assert_installed(&out, &target);
    }

    let out = s.sb.run(&[
        "setup",
        "pip",
        "--url",
        &format!("{}/simple/", s.server.url()),
        "--undo",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        fs::read_to_string(&conf).unwrap(),
        mine,
        "undo restores the bytes"
    );
    let (refused, target) = pip(&python(), &["--index-url", &s.index_url(true)]);
    assert!(!refused.status.success());
    assert!(!target.join("ecluse_demo").exists());
}

#[test]
fn setup_uv_makes_plain_uv_pip_install_work_and_undo_takes_it_out() {
    let s = setup();
    let (_bin, path) = setup_client(&s, "uv", &[]);
    let config = s.sb.dir.path().join(".config/uv/uv.toml");
    assert!(config.exists());
    let uv = |extra: &[&str]| {
        let target = s.sb.dir.path().join("site");
        let _ = fs::remove_dir_all(&target);
        let out = s
            .client(&tools().join("bin/uv"))
            .env_remove("UV_NO_CONFIG")
            .env("PATH", &path)
            .args(["pip", "install", "--no-cache"])
            .args(extra)
            .arg("--python")
            .arg(tools().join("bin/python"))
            .arg("--target")
            .arg(&target)
            .arg("ecluse-demo")
            .output()
            .unwrap();
        (out, target)
    };
    let (out, target) = uv(&[]);
    s.assert_installed(&out, &target);

    let out = s.sb.run(&[
        "setup",
        "uv",
        "--url",
        &format!("{}/simple/", s.server.url()),
        "--undo",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        !config.exists(),
        "a file setup created and left empty is removed"
    );
    let (refused, target) = uv(&["--index-url", &s.index_url(false)]);
    assert!(!refused.status.success());
    assert!(!target.join("ecluse_demo").exists());
}

#[test]
fn keyring_answers_every_client_form() {
    let (sb, shims) = shim_sandbox(&["http://127.0.0.1:8080/simple/"]);
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
