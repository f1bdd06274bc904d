//! Real pip (the machine's bundled one, and a >= 26.2 one from PyPI) and real uv install a
//! package from a local simple index that requires HTTP Basic with the minted token, asking
//! ecluse-cred through the `keyring` shim (`--keyring-provider subprocess`).

mod common;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::http::FakeServer;
use common::registry::{self, Credential, assert_refused_unauthenticated};
use common::tools::{self, Tool};
use common::*;

const WHEEL: &str = "ecluse_demo-0.1.0-py3-none-any.whl";

/// Build a minimal wheel with Python's zipfile; its bytes.
fn wheel(python: &Path, dir: &Path) -> Vec<u8> {
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
    let out = Command::new(python)
        .arg("-c")
        .arg(script)
        .arg(&path)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    fs::read(path).unwrap()
}

/// A simple index (PEP 503) at `/simple/`, its one wheel at `/files/`, that answers only
/// `Basic aws:<the cached token>`.
fn index(sb: &Sandbox, python: &Path) -> FakeServer {
    let wheels = vec![(WHEEL.to_owned(), wheel(python, sb.dir.path()))];
    let cache = sb.cache_file();
    registry::start(
        Credential::Basic("aws"),
        move || cache::token(&cache),
        registry::simple_index("/simple/", "/files/", wheels),
    )
}

struct Setup {
    sb: Sandbox,
    server: FakeServer,
    path: String,
    /// The base Python, with its bundled pip.
    python: PathBuf,
}

/// The sandbox, index and shims, or `None` without Python (the test is reported skipped).
fn setup() -> Option<Setup> {
    let python = tools::need(Tool::Python)?;
    let sb = Sandbox::new("");
    let server = index(&sb, &python);
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
    Some(Setup {
        sb,
        server,
        path,
        python,
    })
}

impl Setup {
    fn client(&self, program: &Path) -> Run<'_> {
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

/// uv, and the Python it installs for (the venv it is installed in), or `None` when it cannot
/// be had here (the test is reported skipped).
fn uv_and_python() -> Option<(PathBuf, PathBuf)> {
    Some((tools::need(Tool::Uv)?, tools::need(Tool::ModernPip)?))
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
}

#[test]
fn bundled_pip_installs_through_the_keyring_shim() {
    let Some(s) = setup() else { return };
    let target = s.sb.dir.path().join("site");
    // pip <= 26.1 asks `keyring get URL USERNAME`, so the username is in the index URL.
    let out = pip_install(&s, &s.python, &s.index_url(true), &target);
    s.assert_installed(&out, &target);
}

#[test]
fn pip_26_2_or_later_installs_through_the_creds_json_form() {
    let Some(s) = setup() else { return };
    let target = s.sb.dir.path().join("site");
    let Some(python) = tools::need(Tool::ModernPip) else {
        return;
    };
    let version = Command::new(&python)
        .args(["-m", "pip", "--version"])
        .output()
        .unwrap();
    // `pip 26.2 from /path (python 3.11)`: at least 26.2, the first with the creds form.
    let release: Vec<u32> = stdout(&version)
        .strip_prefix("pip ")
        .and_then(|rest| rest.split_whitespace().next())
        .map(|v| v.split('.').map_while(|n| n.parse().ok()).collect())
        .unwrap_or_default();
    assert!(
        release.len() >= 2 && release[..2] >= [26, 2][..],
        "{}",
        stdout(&version)
    );
    // No username in the URL: pip >= 26.2 asks `--mode=creds --output=json` for both.
    let out = pip_install(&s, &python, &s.index_url(false), &target);
    s.assert_installed(&out, &target);
}

#[test]
fn uv_installs_through_the_keyring_shim() {
    let Some(s) = setup() else { return };
    let Some((uv, python)) = uv_and_python() else {
        return;
    };
    let target = s.sb.dir.path().join("site");
    let out = s
        .client(&uv)
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
        .arg(&python)
        .arg("--target")
        .arg(&target)
        .arg("ecluse-demo")
        .output();
    s.assert_installed(&out, &target);
}

#[test]
fn uv_without_a_username_asks_for_creds_mode() {
    let Some(s) = setup() else { return };
    let Some((uv, python)) = uv_and_python() else {
        return;
    };
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
        .client(&uv)
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
        .arg(&python)
        .arg("--target")
        .arg(&target)
        .arg("ecluse-demo")
        .env_remove("UV_NO_CONFIG")
        .output();
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
    let Some(s) = setup() else { return };
    let Some(modern) = tools::need(Tool::ModernPip) else {
        return;
    };
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
            .output();
        (out, target)
    };
    // The bundled pip (<= 26.1, which needs the username in the URL) and pip >= 26.2.
    for python in [&s.python, &modern] {
        let (out, target) = pip(python, &[]);
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
    let before = s.server.exchanges().len();
    let (refused, target) = pip(&s.python, &["--index-url", &s.index_url(true)]);
    assert!(!refused.status.success());
    assert!(!target.join("ecluse_demo").exists());
    assert_refused_unauthenticated(&s.server.exchanges()[before..]);
}

#[test]
fn setup_uv_makes_plain_uv_pip_install_work_and_undo_takes_it_out() {
    let Some(s) = setup() else { return };
    let Some((uv_bin, python)) = uv_and_python() else {
        return;
    };
    let (_bin, path) = setup_client(&s, "uv", &[]);
    let config = s.sb.dir.path().join(".config/uv/uv.toml");
    assert!(config.exists());
    let uv = |extra: &[&str]| {
        let target = s.sb.dir.path().join("site");
        let _ = fs::remove_dir_all(&target);
        let out = s
            .client(&uv_bin)
            .env_remove("UV_NO_CONFIG")
            .env("PATH", &path)
            .args(["pip", "install", "--no-cache"])
            .args(extra)
            .arg("--python")
            .arg(&python)
            .arg("--target")
            .arg(&target)
            .arg("ecluse-demo")
            .output();
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
    let before = s.server.exchanges().len();
    let (refused, target) = uv(&["--index-url", &s.index_url(false)]);
    assert!(!refused.status.success());
    assert!(!target.join("ecluse_demo").exists());
    assert_refused_unauthenticated(&s.server.exchanges()[before..]);
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

/// The README's quick start, followed as a newcomer follows it: a fresh HOME whose PATH names
/// `~/.local/bin` (not made yet) and no config; the commands of its two blocks run by a shell as
/// written, with only what a reader fills in replaced (their mint command, their registry's URL,
/// the package, and pip's install target). The real bundled pip then installs from a loopback
/// index that takes only the minted token.
#[test]
fn a_newcomer_following_the_readme_quick_start_installs_with_pip() {
    let Some(python) = tools::need(Tool::Python) else {
        return;
    };
    let readme = fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let quick = readme
        .split("## Quick start")
        .nth(1)
        .and_then(|rest| rest.split("\n## ").next())
        .expect("README has a Quick start");
    let blocks: Vec<&str> = quick
        .split("```sh\n")
        .skip(1)
        .map(|b| b.split("```").next().unwrap())
        .collect();
    assert!(
        blocks.len() >= 2,
        "install and first token, then a client: {quick}"
    );
    let sb = Sandbox::new("");
    let home = sb.dir.path();
    let cache = home.join(".cache/ecluse-cred/build.json");
    let wheels = vec![(WHEEL.to_owned(), wheel(&python, home))];
    let token_file = cache.clone();
    // What setup writes for a target without `username`: the user the keyring answers.
    let server = registry::start(
        Credential::Basic("token"),
        move || cache::token(&token_file),
        registry::simple_index("/simple/", "/files/", wheels),
    );
    sb.allow_token_in(&cache);
    let exe_dir = Path::new(env!("CARGO_BIN_EXE_ecluse-cred"))
        .parent()
        .unwrap();
    let path = format!(
        "{}:{}:/usr/bin:/bin",
        exe_dir.display(),
        home.join(".local/bin").display()
    );
    let shell = |script: &str| {
        let mut sh = sb.program(Path::new("sh"));
        sh.args(["-c", script])
            .env("PATH", &path)
            .env_remove("ECLUSE_CRED_CONFIG")
            .env_remove("ECLUSE_CRED_CACHE_DIR")
            .env("PIP_DISABLE_PIP_VERSION_CHECK", "1");
        for var in [
            "PIP_FIND_LINKS",
            "PIP_INDEX_URL",
            "PIP_CONFIG_FILE",
            "PIP_KEYRING_PROVIDER",
        ] {
            sh.env_remove(var);
        }
        sh.output()
    };
    // The first block, past the installs of the two executables (built by this test run).
    let first: Vec<&str> = blocks[0]
        .trim()
        .split(" && ")
        .filter(|c| !c.starts_with("cargo install"))
        .collect();
    assert_eq!(
        first,
        ["ecluse-cred init", "ecluse-cred token --target demo"]
    );
    let out = shell(&first.join(" && "));
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out)
            .lines()
            .last()
            .is_some_and(|l| l.starts_with("demo-")),
        "{}",
        stdout(&out)
    );
    // The second, with the reader's own values.
    let site = home.join("site");
    let second = blocks[1]
        .replace(
            "/usr/local/bin/mint-token",
            &sb.bin.join("mint").display().to_string(),
        )
        .replace(
            "https://pkgs.example.com/pypi/simple/",
            &format!("{}/simple/", server.url()),
        )
        .replace(
            "pip install NAME",
            &format!(
                "{} -m pip install --no-input --no-cache-dir --target {} ecluse-demo",
                python.display(),
                site.display()
            ),
        );
    assert_ne!(
        second, blocks[1],
        "the README names the values a reader fills in"
    );
    let out = shell(&format!("set -e\n{second}"));
    assert!(
        out.status.success(),
        "{}\n{}\n{}",
        stdout(&out),
        stderr(&out),
        registry::describe(&server.exchanges())
    );
    let init = fs::read_to_string(site.join("ecluse_demo/__init__.py")).unwrap();
    assert!(init.contains("installed through ecluse-cred"));
    assert_eq!(sb.mints(), 1);
    let token = cache::token(&cache).unwrap();
    assert!(
        server.exchanges().iter().any(|(r, status)| *status == 200
            && r.header("authorization")
                == Some(Credential::Basic("token").header(&token).as_str())),
        "{}",
        registry::describe(&server.exchanges())
    );
}
