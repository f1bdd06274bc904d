//! Real Poetry, twine, PDM and Hatch, each from its own venv, install from and publish to a
//! loopback PyPI that takes only HTTP Basic `aws:<the minted token>` (`common::pypi`), after
//! `ecluse-cred setup poetry|twine|pdm|hatch`: the keyring backend it installs (Poetry, twine,
//! Hatch import keyring) or the `keyring` shim on PATH (PDM runs the program), and the
//! client's own config naming the repository.

mod common;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::pypi::{Pypi, Upload};
use common::registry::{self, Credential, assert_refused_unauthenticated};
use common::tools::{self, Tool};
use common::*;

/// The wheel the index serves from the start (what the install tests install).
const WHEEL: &str = "ecluse_demo-0.1.0-py3-none-any.whl";
/// The wheel the publish tests upload.
const UPLOAD: &str = "ecluse_up-0.1.0-py3-none-any.whl";
/// The name every test gives the repository in the client's config.
const NAME: &str = "ecluse";

/// A minimal wheel `DIST-VERSION-py3-none-any.whl` (module `DIST`) built with Python's
/// zipfile in `dir`; its bytes.
fn wheel(python: &Path, dir: &Path, file: &str) -> Vec<u8> {
    let path = dir.join(file);
    let script = r#"
import sys, zipfile, hashlib, base64
path, dist, version = sys.argv[1], sys.argv[2], sys.argv[3]
info = f"{dist}-{version}.dist-info"
files = {
    f"{dist}/__init__.py": "VALUE = 'installed through ecluse-cred'\n",
    f"{info}/METADATA": f"Metadata-Version: 2.1\nName: {dist.replace('_', '-')}\nVersion: {version}\nSummary: a test package\n",
    f"{info}/WHEEL": "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
}
record = []
with zipfile.ZipFile(path, "w") as z:
    for name, text in files.items():
        data = text.encode()
        z.writestr(name, data)
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        record.append(f"{name},sha256={digest},{len(data)}")
    record.append(f"{info}/RECORD,,")
    z.writestr(f"{info}/RECORD", "\n".join(record) + "\n")
"#;
    let mut parts = file.split('-');
    let (dist, version) = (parts.next().unwrap(), parts.next().unwrap());
    let out = Command::new(python)
        .arg("-c")
        .arg(script)
        .arg(&path)
        .args([dist, version])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    fs::read(path).unwrap()
}

struct World {
    sb: Sandbox,
    pypi: Pypi,
    python: PathBuf,
    /// Where `setup pdm` puts the `keyring` shim, first on the clients' PATH.
    bin: PathBuf,
}

/// A sandbox whose target `demo` serves the fake repository as user `aws`, or `None` without
/// Python (the test is reported skipped).
fn world() -> Option<World> {
    let python = tools::need(Tool::Python)?;
    let sb = Sandbox::new("");
    let cache = sb.cache_file();
    let wheels = vec![(WHEEL.to_owned(), wheel(&python, sb.dir.path(), WHEEL))];
    let pypi = Pypi::start(
        Credential::Basic("aws"),
        move || cache::token(&cache),
        wheels,
    );
    sb.write_config(&format!(
        "username = \"aws\"\nurls = [\"{}\"]",
        pypi.repo_url()
    ));
    let bin = sb.dir.path().join(".local/bin");
    Some(World {
        sb,
        pypi,
        python,
        bin,
    })
}

impl World {
    fn home(&self) -> &Path {
        self.sb.dir.path()
    }

    /// `ecluse-cred setup CLIENT --url REPO --registry ecluse [EXTRA]`, which must succeed.
    fn setup(&self, client: &str, extra: &[&str]) {
        self.setup_url(client, &self.pypi.repo_url(), extra);
    }

    /// [`World::setup`] given `url`.
    fn setup_url(&self, client: &str, url: &str, extra: &[&str]) {
        let bin = self.bin.to_str().unwrap();
        let mut args = vec!["setup", client, "--url", url, "--registry", NAME];
        if client == "pdm" {
            args.extend(["--bin-dir", bin]);
        }
        args.extend_from_slice(extra);
        let out = self.sb.run(&args);
        assert!(
            out.status.success(),
            "{args:?}: {}\n{}",
            stdout(&out),
            stderr(&out)
        );
    }

    /// A real client run with the sandbox's environment, the machine's Python configuration
    /// and every variable that would steer these tools kept out, `setup pdm`'s bin directory
    /// first on PATH, and nothing that could reach beyond 127.0.0.1.
    fn client(&self, program: &Path) -> Run<'_> {
        let mut c = self.sb.program(program);
        let path = format!(
            "{}:{}",
            self.bin.display(),
            std::env::var("PATH").unwrap_or_default()
        );
        c.env("PATH", path)
            .env("PIP_CONFIG_FILE", "/dev/null")
            .env("PIP_DISABLE_PIP_VERSION_CHECK", "1")
            .env("PIP_NO_INPUT", "1")
            .env("POETRY_VIRTUALENVS_IN_PROJECT", "true")
            .env("POETRY_VIRTUALENVS_OPTIONS_NO_PIP", "true")
            .env("PDM_CHECK_UPDATE", "false")
            .env("PDM_NON_INTERACTIVE", "1")
            .env("PDM_USE_UV", "false")
            .env("HATCH_INTERACTIVE", "false");
        for var in [
            "PIP_FIND_LINKS",
            "PIP_INDEX_URL",
            "PIP_EXTRA_INDEX_URL",
            "PIP_KEYRING_PROVIDER",
            "PYTHON_KEYRING_BACKEND",
            "POETRY_CONFIG_DIR",
            "POETRY_CACHE_DIR",
            "POETRY_KEYRING_ENABLED",
            "PDM_PYPI_URL",
            "PDM_PUBLISH_USERNAME",
            "PDM_PUBLISH_PASSWORD",
            "PDM_PUBLISH_REPO",
            "PDM_HOME",
            "TWINE_USERNAME",
            "TWINE_PASSWORD",
            "TWINE_REPOSITORY",
            "TWINE_REPOSITORY_URL",
            "HATCH_INDEX_USER",
            "HATCH_INDEX_AUTH",
            "HATCH_INDEX_REPO",
            "VIRTUAL_ENV",
        ] {
            c.env_remove(var);
        }
        c
    }

    /// A project directory `name` holding `pyproject` (`{INDEX}` replaced by the fake's index).
    fn project(&self, name: &str, pyproject: &str) -> PathBuf {
        let dir = self.home().join(name);
        fs::create_dir_all(&dir).unwrap();
        fs::write(
            dir.join("pyproject.toml"),
            pyproject.replace("{INDEX}", &self.pypi.index_url()),
        )
        .unwrap();
        dir
    }

    /// A `dist/` in `dir` holding the [`UPLOAD`] wheel; its bytes.
    fn dist(&self, dir: &Path) -> Vec<u8> {
        let dist = dir.join("dist");
        fs::create_dir_all(&dist).unwrap();
        wheel(&self.python, &dist, UPLOAD)
    }

    /// The one upload the fake took: `file` with `bytes`, with the current token.
    fn assert_uploaded(&self, file: &str, bytes: &[u8]) -> Upload {
        let uploads = self.pypi.uploads();
        assert_eq!(
            uploads.iter().map(|u| &u.filename).collect::<Vec<_>>(),
            [file],
            "{}",
            registry::describe(&self.pypi.server.exchanges())
        );
        let upload = uploads.into_iter().next().unwrap();
        assert_eq!(upload.content, bytes);
        assert_eq!(upload.field(":action"), Some("file_upload"));
        assert_eq!(
            upload.field("name").map(normalize),
            Some("ecluse-up".into())
        );
        assert_eq!(upload.field("version"), Some("0.1.0"));
        assert_eq!(
            upload.authorization,
            Credential::Basic("aws").header(&self.sb.cached_token())
        );
        upload
    }

    /// The keyring configuration and backend every setup of these four writes.
    fn keyring_files(&self) -> [PathBuf; 2] {
        [
            self.home().join(".config/python_keyring/keyringrc.cfg"),
            self.home().join(".local/share/ecluse-cred/python"),
        ]
    }
}

/// Every file (not directory) under `dir`, if it exists.
fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(dir) = stack.pop() {
        for entry in fs::read_dir(&dir).into_iter().flatten().flatten() {
            if entry.file_type().is_ok_and(|t| t.is_dir()) {
                stack.push(entry.path());
            } else {
                files.push(entry.path());
            }
        }
    }
    files
}

/// Whether the project at `dir` has the demo package in its in-project venv.
fn demo_installed(dir: &Path) -> bool {
    fs::read_dir(dir.join(".venv/lib"))
        .into_iter()
        .flatten()
        .flatten()
        .any(|d| {
            d.path()
                .join("site-packages/ecluse_demo/__init__.py")
                .exists()
        })
}

fn normalize(name: &str) -> String {
    name.to_ascii_lowercase().replace(['_', '.'], "-")
}

fn ok(out: &Output, what: &str) {
    assert!(
        out.status.success(),
        "{what}:\n{}\n{}",
        stdout(out),
        stderr(out)
    );
}

/// `poetry install` of a non-package project whose primary source is the fake.
const POETRY_CONSUMER: &str = r#"[project]
name = "consumer"
version = "0.1.0"
requires-python = ">=3.8"
dependencies = ["ecluse-demo"]

[tool.poetry]
package-mode = false

[[tool.poetry.source]]
name = "ecluse"
url = "{INDEX}"
priority = "primary"
"#;

#[test]
fn setup_poetry_makes_poetry_install_and_publish_authenticate_and_undo_takes_it_out() {
    let Some(w) = world() else { return };
    let Some(poetry) = tools::need(Tool::Poetry) else {
        return;
    };
    let consumer = w.project("consumer", POETRY_CONSUMER);
    let install = || {
        // Nothing left from a previous run: no venv, lock or downloaded artifact.
        let _ = fs::remove_dir_all(consumer.join(".venv"));
        let _ = fs::remove_file(consumer.join("poetry.lock"));
        let _ = fs::remove_dir_all(w.home().join(".cache/pypoetry"));
        w.client(&poetry)
            .current_dir(&consumer)
            .args(["install", "--no-interaction", "--no-ansi"])
            .output()
    };
    let installed = || demo_installed(&consumer);

    // Without setup: the index refuses Poetry, which finds no such package.
    let refused = install();
    assert!(!refused.status.success(), "{}", stdout(&refused));
    assert!(!installed());
    assert_refused_unauthenticated(&w.pypi.server.exchanges());

    w.setup("poetry", &[]);
    let config = w.home().join(".config/pypoetry/config.toml");
    let written = fs::read_to_string(&config).unwrap();
    assert!(
        written.contains(&format!("[repositories.{NAME}]"))
            && written.contains(&format!("url = \"{}\"", w.pypi.repo_url())),
        "{written}"
    );
    let before = w.pypi.server.exchanges().len();
    let out = install();
    ok(&out, "poetry install");
    assert!(installed());
    assert_eq!(w.sb.mints(), 1);
    let token = Credential::Basic("aws").header(&w.sb.cached_token());
    assert!(
        w.pypi.server.exchanges()[before..]
            .iter()
            .any(|(r, status)| *status == 200
                && r.path().ends_with(WHEEL)
                && r.header("authorization") == Some(token.as_str())),
        "{}",
        registry::describe(&w.pypi.server.exchanges()[before..])
    );

    // `poetry add` in a project that does not name the package yet resolves it there too.
    let adder = w.project(
        "adder",
        &POETRY_CONSUMER.replace("dependencies = [\"ecluse-demo\"]", "dependencies = []"),
    );
    let out = w
        .client(&poetry)
        .current_dir(&adder)
        .args(["add", "ecluse-demo", "--no-interaction", "--no-ansi"])
        .output();
    ok(&out, "poetry add");
    let pyproject = fs::read_to_string(adder.join("pyproject.toml")).unwrap();
    assert!(pyproject.contains("ecluse-demo"), "{pyproject}");
    assert_eq!(w.sb.mints(), 1);

    // Publish a package Poetry builds itself (poetry-core, in Poetry's venv: offline).
    let package = w.project(
        "ecluse-up",
        r#"[project]
name = "ecluse-up"
version = "0.1.0"
description = "a test package"
requires-python = ">=3.8"

[build-system]
requires = ["poetry-core>=2.0"]
build-backend = "poetry.core.masonry.api"
"#,
    );
    fs::create_dir_all(package.join("ecluse_up")).unwrap();
    fs::write(package.join("ecluse_up/__init__.py"), "VALUE = 1\n").unwrap();
    let built = w
        .client(&poetry)
        .current_dir(&package)
        .args([
            "build",
            "--format",
            "wheel",
            "--no-interaction",
            "--no-ansi",
        ])
        .output();
    ok(&built, "poetry build");
    let bytes = fs::read(package.join("dist").join(UPLOAD)).unwrap();
    let out = w
        .client(&poetry)
        .current_dir(&package)
        .args(["publish", "-r", NAME, "--no-interaction", "--no-ansi"])
        .output();
    ok(&out, "poetry publish");
    w.assert_uploaded(UPLOAD, &bytes);
    assert_eq!(w.sb.mints(), 1, "the cached token served both");

    let out = w.sb.run(&[
        "setup",
        "poetry",
        "--url",
        &w.pypi.repo_url(),
        "--registry",
        NAME,
        "--undo",
    ]);
    ok(&out, "setup poetry --undo");
    let [rc, backend] = w.keyring_files();
    assert!(!rc.exists(), "{} is left", rc.display());
    assert_eq!(
        files_under(&backend),
        Vec::<PathBuf>::new(),
        "the backend is left"
    );
    let left = fs::read_to_string(&config).unwrap_or_default();
    assert!(!left.contains("repositories"), "{left}");
    let before = w.pypi.server.exchanges().len();
    let refused = install();
    assert!(!refused.status.success(), "{}", stdout(&refused));
    assert!(!installed());
    assert_refused_unauthenticated(&w.pypi.server.exchanges()[before..]);
    // Nor does a publish to the same repository, named in the environment now, authenticate.
    let before = w.pypi.server.exchanges().len();
    let out = w
        .client(&poetry)
        .current_dir(&package)
        .env("POETRY_REPOSITORIES_ECLUSE_URL", w.pypi.repo_url())
        .args(["publish", "-r", NAME, "--no-interaction", "--no-ansi"])
        .output();
    assert!(!out.status.success(), "{}", stdout(&out));
    assert_refused_unauthenticated(&w.pypi.server.exchanges()[before..]);
    assert_eq!(
        w.pypi.uploads().len(),
        1,
        "only the one made with the token"
    );
}

#[test]
fn setup_twine_makes_twine_upload_to_the_named_repository_authenticate() {
    let Some(w) = world() else { return };
    let Some(twine) = tools::need(Tool::Twine) else {
        return;
    };
    let dir = w.home().join("work");
    let bytes = w.dist(&dir);
    let upload = |args: &[&str]| {
        w.client(&twine)
            .current_dir(&dir)
            .args(["upload", "--non-interactive", "--disable-progress-bar"])
            .args(args)
            .arg(Path::new("dist").join(UPLOAD))
            .output()
    };

    // Without setup, and no password: the repository refuses the upload.
    let refused = upload(&[
        "--repository-url",
        &w.pypi.repo_url(),
        "-u",
        "aws",
        "-p",
        "",
    ]);
    assert!(!refused.status.success());
    assert!(w.pypi.uploads().is_empty());
    assert_refused_unauthenticated(&w.pypi.server.exchanges());

    w.setup("twine", &[]);
    let pypirc = fs::read_to_string(w.home().join(".pypirc")).unwrap();
    assert!(
        pypirc.contains("[distutils]")
            && pypirc.contains(&format!("[{NAME}]"))
            && pypirc.contains(&format!("repository = {}", w.pypi.repo_url())),
        "{pypirc}"
    );
    let out = upload(&["-r", NAME]);
    ok(&out, "twine upload");
    w.assert_uploaded(UPLOAD, &bytes);
    assert_eq!(w.sb.mints(), 1);
}

/// `pdm install` of a non-package project with no source of its own: the index is PDM's
/// `pypi.url`, which setup writes.
const PDM_CONSUMER: &str = r#"[project]
name = "consumer"
version = "0.1.0"
requires-python = ">=3.8"
dependencies = ["ecluse-demo"]

[tool.pdm]
distribution = false
"#;

#[test]
fn setup_pdm_makes_pdm_install_publish_and_add_authenticate_through_the_keyring_shim() {
    let Some(w) = world() else { return };
    let Some(pdm) = tools::need(Tool::Pdm) else {
        return;
    };
    // PDM's venv has no keyring module: what answers is the `keyring` program on PATH.
    let no_module = Command::new(pdm.parent().unwrap().join("python"))
        .args(["-c", "import keyring"])
        .output()
        .unwrap();
    assert!(!no_module.status.success(), "PDM's venv has keyring");
    let consumer = w.project("consumer", PDM_CONSUMER);
    let install = |env: &[(&str, &str)]| {
        let _ = fs::remove_dir_all(consumer.join(".venv"));
        let _ = fs::remove_file(consumer.join("pdm.lock"));
        let _ = fs::remove_file(consumer.join(".pdm-python"));
        let _ = fs::remove_dir_all(w.home().join(".cache/pdm"));
        w.client(&pdm)
            .current_dir(&consumer)
            .envs(env.iter().copied())
            .args(["install", "--no-self"])
            .output()
    };
    let installed = || demo_installed(&consumer);

    // Without setup, the same index through the environment: refused.
    let refused = install(&[("PDM_PYPI_URL", &w.pypi.index_url())]);
    assert!(!refused.status.success(), "{}", stdout(&refused));
    assert!(!installed());
    assert_refused_unauthenticated(&w.pypi.server.exchanges());

    w.setup("pdm", &[]);
    assert!(w.bin.join("keyring").exists(), "the keyring shim");
    let config = fs::read_to_string(w.home().join(".config/pdm/config.toml")).unwrap();
    assert!(
        config.contains(&format!("url = \"{}\"", w.pypi.index_url()))
            && config.contains(&format!("[repository.{NAME}]")),
        "{config}"
    );
    let before = w.pypi.server.exchanges().len();
    let out = install(&[]);
    ok(&out, "pdm install");
    assert!(installed());
    assert_eq!(w.sb.mints(), 1);
    // PDM asks only after a 401: its first request has no credential, then the token.
    let exchanges = w.pypi.server.exchanges()[before..].to_vec();
    let token = Credential::Basic("aws").header(&w.sb.cached_token());
    let first = &exchanges[0];
    assert!(
        first.1 == 401
            && !registry::carries_credential(&first.0)
            && exchanges[1..]
                .iter()
                .all(|(r, status)| *status == 200
                    && r.header("authorization") == Some(token.as_str())),
        "{}",
        registry::describe(&exchanges)
    );

    let dir = w.project(
        "publisher",
        "[project]\nname = \"ecluse-up\"\nversion = \"0.1.0\"\n",
    );
    let bytes = w.dist(&dir);
    let out = w
        .client(&pdm)
        .current_dir(&dir)
        .args(["publish", "-r", NAME, "--no-build"])
        .output();
    ok(&out, "pdm publish");
    w.assert_uploaded(UPLOAD, &bytes);

    // What was published is on the index: `pdm add` installs it in the consumer.
    let out = w
        .client(&pdm)
        .current_dir(&consumer)
        .args(["add", "ecluse-up"])
        .output();
    ok(&out, "pdm add");
    assert!(
        fs::read_dir(consumer.join(".venv/lib"))
            .into_iter()
            .flatten()
            .flatten()
            .any(|d| d
                .path()
                .join("site-packages/ecluse_up/__init__.py")
                .exists()),
        "{}",
        stdout(&out)
    );
    assert_eq!(w.sb.mints(), 1);
}

#[test]
fn setup_hatch_given_the_index_makes_hatch_publish_to_its_repository_authenticate() {
    let Some(w) = world() else { return };
    let Some(hatch) = tools::need(Tool::Hatch) else {
        return;
    };
    let dir = w.project(
        "publisher",
        "[project]\nname = \"ecluse-up\"\nversion = \"0.1.0\"\n",
    );
    let bytes = w.dist(&dir);
    // Without setup, Hatch has no password for the repository and gives up before it sends
    // anything: keyring has no backend at all here, and Hatch does not catch keyring's error.
    let out = w
        .client(&hatch)
        .current_dir(&dir)
        .args([
            "publish",
            "--repo",
            &w.pypi.repo_url(),
            "--user",
            "aws",
            "--no-prompt",
        ])
        .arg(Path::new("dist").join(UPLOAD))
        .output();
    assert!(!out.status.success(), "{}", stdout(&out));
    let said = format!("{}{}", stdout(&out), stderr(&out));
    assert!(said.contains("NoKeyringError"), "{said}");
    assert!(
        w.pypi
            .server
            .exchanges()
            .iter()
            .all(|(r, _)| r.method != "POST")
    );
    // Given the index (`…/simple/`), setup names its repository.
    w.setup_url("hatch", &w.pypi.index_url(), &[]);
    let config = fs::read_to_string(w.home().join(".config/hatch/config.toml")).unwrap();
    assert!(
        config.contains(&format!("[publish.index.repos.{NAME}]"))
            && config.contains(&format!("url = \"{}\"", w.pypi.repo_url()))
            && config.contains("user = \"aws\""),
        "{config}"
    );
    let out = w
        .client(&hatch)
        .current_dir(&dir)
        .args(["publish", "-r", NAME, "--no-prompt"])
        .arg(Path::new("dist").join(UPLOAD))
        .output();
    ok(&out, "hatch publish");
    w.assert_uploaded(UPLOAD, &bytes);
    assert_eq!(w.sb.mints(), 1);
}

/// What the installed backend answers, through the keyring library the tools import (twine's
/// venv's), for the URLs the target serves and for every near miss.
#[test]
fn the_keyring_backend_answers_only_the_urls_the_target_serves() {
    let Some(w) = world() else { return };
    let Some(twine) = tools::need(Tool::Twine) else {
        return;
    };
    w.setup("twine", &[]);
    let python = twine.parent().unwrap().join("python");
    let port = w.pypi.server.port;
    let repo = w.pypi.repo_url();
    let index = w.pypi.index_url();
    let other_port = format!("http://127.0.0.1:{}/pypi/repo/", port.wrapping_add(1));
    let services: Vec<(String, bool)> = vec![
        (repo, true),
        (index.clone(), true),
        (format!("{index}ecluse-demo/"), true),
        // Another host (the same address by name), port, path, scheme; no URL at all.
        (format!("http://localhost:{port}/pypi/repo/"), false),
        (other_port, false),
        (format!("http://127.0.0.1:{port}/pypi/other/"), false),
        (format!("http://127.0.0.1:{port}/pypi/"), false),
        (format!("https://127.0.0.1:{port}/pypi/repo/"), false),
        (format!("127.0.0.1:{port}"), false),
        ("127.0.0.1".to_owned(), false),
        (format!("poetry-repository-{NAME}"), false),
    ];
    // For each service: get_password with user aws, and get_credential without a user.
    let script = r#"
import sys, keyring
for service in sys.argv[1:]:
    cred = keyring.get_credential(service, None)
    print(keyring.get_password(service, "aws"), None if cred is None else f"{cred.username}:{cred.password}")
"#;
    let out = w
        .client(&python)
        .arg("-c")
        .arg(script)
        .args(services.iter().map(|(s, _)| s))
        .output();
    ok(&out, "keyring");
    let token = w.sb.cached_token();
    let want: Vec<String> = services
        .iter()
        .map(|(_, served)| {
            if *served {
                format!("{token} aws:{token}")
            } else {
                "None None".to_owned()
            }
        })
        .collect();
    let got = stdout(&out);
    let got: Vec<&str> = got.lines().collect();
    for ((service, _), (got, want)) in services.iter().zip(got.iter().zip(&want)) {
        assert_eq!(got, want, "{service}");
    }
    assert_eq!(got.len(), want.len());
    assert_eq!(w.sb.mints(), 1);

    // Within one process an answer is reused: the same URL asked again and again starts
    // ecluse-cred once (each near miss above once too, remembered as "no target").
    let script = r#"
import subprocess, sys, keyring
runs = []
real = subprocess.Popen
def counted(*a, **k):
    # Only ecluse-cred: keyring's other backends run programs of their own (ldconfig).
    if a[0][1:2] == ["keyring"]:
        runs.append(a[0])
    return real(*a, **k)
subprocess.Popen = counted
for _ in range(5):
    for service in sys.argv[1:]:
        keyring.get_password(service, "aws")
print(len(runs))
"#;
    let out = w
        .client(&python)
        .arg("-c")
        .arg(script)
        .arg(w.pypi.index_url())
        .arg(format!("http://127.0.0.1:{port}/pypi/other/"))
        .output();
    ok(&out, "keyring, asked again");
    assert_eq!(stdout(&out).trim(), "2");
}

/// The keyring backend and `keyringrc.cfg` serve every client set up: undoing one leaves them
/// to the others (Hatch still publishes), undoing the last takes them out.
#[test]
fn undoing_one_client_keeps_the_keyring_backend_another_still_uses() {
    let Some(w) = world() else { return };
    let Some(hatch) = tools::need(Tool::Hatch) else {
        return;
    };
    w.setup("twine", &[]);
    w.setup("hatch", &[]);
    w.setup("twine", &["--undo"]);
    let [rc, backend] = w.keyring_files();
    assert!(rc.exists(), "hatch still needs {}", rc.display());
    assert!(backend.join("ecluse_cred_keyring.py").exists());
    let pypirc = fs::read_to_string(w.home().join(".pypirc")).unwrap_or_default();
    assert!(!pypirc.contains(&w.pypi.repo_url()), "{pypirc}");

    let dir = w.project(
        "publisher",
        "[project]\nname = \"ecluse-up\"\nversion = \"0.1.0\"\n",
    );
    let bytes = w.dist(&dir);
    let out = w
        .client(&hatch)
        .current_dir(&dir)
        .args(["publish", "-r", NAME, "--no-prompt"])
        .arg(Path::new("dist").join(UPLOAD))
        .output();
    ok(&out, "hatch publish");
    w.assert_uploaded(UPLOAD, &bytes);

    w.setup("hatch", &["--undo"]);
    assert!(!rc.exists(), "{} is left", rc.display());
    assert_eq!(
        files_under(&backend),
        Vec::<PathBuf>::new(),
        "the backend is left"
    );
}
