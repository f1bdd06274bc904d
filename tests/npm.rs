//! Real npm installs a package from a local registry that requires `Bearer <minted token>`,
//! under a path prefix (so only the exact `//host:port/npm/repo/:_authToken` key works), with
//! the token from `ecluse-cred exec --npm-registry` and from `ecluse-cred npmrc`.

mod common;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use base64::Engine;
use common::http::{FakeServer, Request, Response};
use common::registry::{self, Credential, assert_refused_unauthenticated};
use common::tools::{self, Tool};
use common::*;
use sha2::{Digest, Sha512};

/// A package tarball made with the real `tar`.
fn tarball(dir: &Path) -> Vec<u8> {
    let pkg = dir.join("pkg-src/package");
    fs::create_dir_all(&pkg).unwrap();
    fs::write(
        pkg.join("package.json"),
        r#"{"name":"ecluse-demo","version":"1.0.0","main":"index.js"}"#,
    )
    .unwrap();
    fs::write(
        pkg.join("index.js"),
        "module.exports = 'installed through ecluse-cred';\n",
    )
    .unwrap();
    let out = Command::new("tar")
        .args(["czf", "../demo.tgz", "package"])
        .current_dir(dir.join("pkg-src"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    fs::read(dir.join("demo.tgz")).unwrap()
}

/// The registry under `/npm/repo/`, taking only `Bearer <the cached token>`.
fn registry(sb: &Sandbox) -> FakeServer {
    let tgz = tarball(sb.dir.path());
    let integrity = format!(
        "sha512-{}",
        base64::engine::general_purpose::STANDARD.encode(Sha512::digest(&tgz))
    );
    let cache = sb.cache_file();
    registry::start(
        Credential::Bearer,
        move || cache::token(&cache),
        move |r: &Request, base: &str| match r.path() {
            "/npm/repo/ecluse-demo" => Response::json(
                200,
                serde_json::json!({
                    "name": "ecluse-demo",
                    "dist-tags": {"latest": "1.0.0"},
                    "versions": {"1.0.0": {"name": "ecluse-demo", "version": "1.0.0",
                        "dist": {"tarball": format!("{base}/npm/repo/ecluse-demo/-/ecluse-demo-1.0.0.tgz"), "integrity": integrity}}},
                }),
            ),
            "/npm/repo/ecluse-demo/-/ecluse-demo-1.0.0.tgz" => {
                Response::bytes("application/octet-stream", tgz.clone())
            }
            _ => Response::json(404, serde_json::json!({})),
        },
    )
}

struct Setup {
    sb: Sandbox,
    server: FakeServer,
    npm: PathBuf,
    project: PathBuf,
    userconfig: PathBuf,
}

/// The sandbox, registry and project, or `None` without npm (the test is reported skipped).
fn setup() -> Option<Setup> {
    let npm = tools::need(Tool::Npm)?;
    let sb = Sandbox::new("");
    let server = registry(&sb);
    let project = sb.dir.path().join("project");
    fs::create_dir_all(&project).unwrap();
    fs::write(
        project.join("package.json"),
        r#"{"name":"app","version":"1.0.0","private":true}"#,
    )
    .unwrap();
    let userconfig = sb.dir.path().join("user-npmrc");
    fs::write(&userconfig, "").unwrap();
    Some(Setup {
        sb,
        server,
        npm,
        project,
        userconfig,
    })
}

impl Setup {
    fn registry_url(&self) -> String {
        format!("{}/npm/repo/", self.server.url())
    }

    /// `npm install ecluse-demo` with only this sandbox's configuration.
    fn npm_install(&self, wrapper: &[&str]) -> std::process::Output {
        let mut args: Vec<String> = wrapper.iter().map(|s| s.to_string()).collect();
        args.extend(
            [
                self.npm.to_str().unwrap(),
                "install",
                "--no-audit",
                "--no-fund",
                "--no-update-notifier",
                "--no-package-lock",
                "--registry",
                &self.registry_url(),
                "--userconfig",
                self.userconfig.to_str().unwrap(),
                "--cache",
                self.sb.dir.path().join("npm-cache").to_str().unwrap(),
                "ecluse-demo",
            ]
            .map(str::to_owned),
        );
        let (program, rest) = args.split_first().unwrap();
        let program = match program.as_str() {
            "ecluse-cred" => env!("CARGO_BIN_EXE_ecluse-cred"),
            npm => npm,
        };
        self.sb
            .program(Path::new(program))
            .args(rest)
            .current_dir(&self.project)
            .env("npm_config_globalconfig", "/dev/null")
            .output()
    }

    fn assert_installed(&self, out: &std::process::Output) {
        assert!(out.status.success(), "{}\n{}", stdout(out), stderr(out));
        let index =
            fs::read_to_string(self.project.join("node_modules/ecluse-demo/index.js")).unwrap();
        assert!(index.contains("installed through ecluse-cred"));
        assert_eq!(self.sb.mints(), 1);
    }
}

#[test]
fn without_a_token_the_registry_refuses_npm() {
    let Some(s) = setup() else { return };
    let out = s.npm_install(&[]);
    assert!(!out.status.success());
    assert!(!s.project.join("node_modules/ecluse-demo").exists());
    assert_refused_unauthenticated(&s.server.exchanges());
}

#[test]
fn real_npm_installs_with_the_token_from_exec() {
    let Some(s) = setup() else { return };
    let url = s.registry_url();
    let out = s.npm_install(&[
        "ecluse-cred",
        "exec",
        "--target",
        "demo",
        "--npm-registry",
        &url,
        "--",
    ]);
    s.assert_installed(&out);
    assert!(
        fs::read_to_string(&s.userconfig).unwrap().is_empty(),
        "exec writes nothing to disk"
    );
}

#[test]
fn real_npm_installs_with_the_token_written_by_npmrc() {
    let Some(s) = setup() else { return };
    let out = s.sb.run(&[
        "npmrc",
        "--target",
        "demo",
        "--registry",
        &s.registry_url(),
        "--file",
        s.userconfig.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    s.sb.allow_token_in(&s.userconfig);
    let out = s.npm_install(&[]);
    s.assert_installed(&out);
}

#[test]
fn real_pnpm_installs_through_the_token_helper() {
    let Some(s) = setup() else { return };
    let Some(pnpm) = tools::need(Tool::Pnpm) else {
        return;
    };
    let npmrc = s.sb.dir.path().join(".npmrc"); // pnpm reads tokenHelper from the user's ~/.npmrc only
    let helpers = s.sb.dir.path().join("helpers");
    let out = s.sb.run(&[
        "npmrc",
        "--target",
        "demo",
        "--registry",
        &s.registry_url(),
        "--file",
        npmrc.to_str().unwrap(),
        "--pnpm-token-helper",
        helpers.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let helper = helpers.join("ecluse-pnpm-token-demo");
    let key = format!("//127.0.0.1:{}/npm/repo/:tokenHelper", s.server.port);
    assert_eq!(
        fs::read_to_string(&npmrc).unwrap(),
        format!("{key}={}\n", helper.display())
    );
    let out =
        s.sb.program(&pnpm)
            .args([
                "add",
                "ecluse-demo",
                "--registry",
                &s.registry_url(),
                "--store-dir",
            ])
            .arg(s.sb.dir.path().join("pnpm-store"))
            .current_dir(&s.project)
            .env("npm_config_update_notifier", "false")
            .output();
    assert!(out.status.success(), "{}\n{}", stdout(&out), stderr(&out));
    let index = fs::read_to_string(s.project.join("node_modules/ecluse-demo/index.js")).unwrap();
    assert!(index.contains("installed through ecluse-cred"));
    assert_eq!(s.sb.mints(), 1);
}

impl Setup {
    /// The plain `npm install ecluse-demo`: the registry and token come from the user's
    /// `~/.npmrc` only (HOME is the sandbox).
    fn plain_npm_install(&self, extra: &[&str]) -> std::process::Output {
        self.sb
            .program(&self.npm)
            .args(["install", "--no-audit", "--no-fund", "--no-update-notifier"])
            .args(extra)
            .arg("ecluse-demo")
            .current_dir(&self.project)
            .env("npm_config_globalconfig", "/dev/null")
            .env_remove("NPM_CONFIG_USERCONFIG")
            .env_remove("npm_config_userconfig")
            .output()
    }
}

#[test]
fn setup_npm_makes_plain_npm_install_work_and_undo_takes_it_out() {
    let Some(s) = setup() else { return };
    let url = s.registry_url();
    s.sb.write_config(&format!("urls = [\"{url}\"]"));
    let npmrc = s.sb.dir.path().join(".npmrc");
    s.sb.allow_token_in(&npmrc);
    let dry = s.sb.run(&["setup", "npm", "--url", &url, "--dry-run"]);
    assert!(dry.status.success(), "{}", stderr(&dry));
    assert!(
        !npmrc.exists() && s.sb.mints() == 0,
        "a dry run writes and mints nothing"
    );
    assert!(
        stdout(&dry).contains(&format!("+registry={url}")),
        "{}",
        stdout(&dry)
    );
    let out = s.sb.run(&["setup", "npm", "--url", &url]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("npm install"), "{}", stdout(&out));
    assert_eq!(mode(&npmrc), 0o600, "it holds a token");
    let installed = s.plain_npm_install(&[]);
    s.assert_installed(&installed);

    let out = s.sb.run(&["setup", "npm", "--url", &url, "--undo"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        !npmrc.exists(),
        "a file setup created and left empty is removed"
    );
    fs::remove_dir_all(s.project.join("node_modules")).unwrap();
    let before = s.server.exchanges().len();
    let refused = s.plain_npm_install(&["--registry", &url]);
    assert!(!refused.status.success());
    assert!(!s.project.join("node_modules/ecluse-demo").exists());
    assert_refused_unauthenticated(&s.server.exchanges()[before..]);
}

#[test]
fn setup_pnpm_makes_plain_pnpm_add_work_and_undo_takes_it_out() {
    let Some(s) = setup() else { return };
    let Some(pnpm) = tools::need(Tool::Pnpm) else {
        return;
    };
    let url = s.registry_url();
    s.sb.write_config(&format!("urls = [\"{url}\"]"));
    let helpers = s.sb.dir.path().join("helpers");
    let npmrc = s.sb.dir.path().join(".npmrc");
    let out = s.sb.run(&[
        "setup",
        "pnpm",
        "--url",
        &url,
        "--bin-dir",
        helpers.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(helpers.join("ecluse-pnpm-token-demo").exists());
    let add = || {
        s.sb.program(&pnpm)
            .args(["add", "ecluse-demo", "--store-dir"])
            .arg(s.sb.dir.path().join("pnpm-store"))
            .current_dir(&s.project)
            .env("npm_config_update_notifier", "false")
            .env_remove("NPM_CONFIG_USERCONFIG")
            .output()
    };
    let out = add();
    assert!(out.status.success(), "{}\n{}", stdout(&out), stderr(&out));
    assert!(s.project.join("node_modules/ecluse-demo/index.js").exists());

    let out = s.sb.run(&[
        "setup",
        "pnpm",
        "--url",
        &url,
        "--bin-dir",
        helpers.to_str().unwrap(),
        "--undo",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(!npmrc.exists() && !helpers.join("ecluse-pnpm-token-demo").exists());
    // Told where the registry is by hand, pnpm gets no token any more.
    fs::remove_dir_all(s.project.join("node_modules")).unwrap();
    let before = s.server.exchanges().len();
    let refused =
        s.sb.program(&pnpm)
            .args(["add", "ecluse-demo", "--registry", &url, "--store-dir"])
            .arg(s.sb.dir.path().join("pnpm-store-2"))
            .current_dir(&s.project)
            .env("npm_config_update_notifier", "false")
            .output();
    assert!(!refused.status.success());
    assert!(!s.project.join("node_modules/ecluse-demo/index.js").exists());
    assert_refused_unauthenticated(&s.server.exchanges()[before..]);
}

const REGISTRY: &str = "https://r.example.com/npm/repo/";

#[test]
fn npmrc_makes_a_token_file_others_can_read_private_and_says_so() {
    let sb = Sandbox::new(&format!("urls = [\"{REGISTRY}\"]"));
    let npmrc = |name: &str, mode: Option<u32>| {
        let file = sb.dir.path().join(name);
        if let Some(mode) = mode {
            fs::write(&file, "fund=false\n").unwrap();
            fs::set_permissions(&file, std::os::unix::fs::PermissionsExt::from_mode(mode)).unwrap();
        }
        sb.allow_token_in(&file);
        let out = sb.run(&[
            "npmrc",
            "--target",
            "demo",
            "--registry",
            REGISTRY,
            "--file",
            file.to_str().unwrap(),
        ]);
        assert!(out.status.success(), "{}", stderr(&out));
        let kept = if mode.is_some() { "fund=false\n" } else { "" };
        assert_eq!(
            fs::read_to_string(&file).unwrap(),
            format!(
                "{kept}//r.example.com/npm/repo/:_authToken={}\n",
                sb.cached_token()
            )
        );
        (file, stderr(&out))
    };
    let (file, said) = npmrc("readable", Some(0o644));
    assert_eq!(mode(&file), 0o600, "a token is not left readable by others");
    assert_eq!(
        said,
        format!(
            "ecluse-cred: warn: {} was mode 0644, now 0600: it holds a token, for your eyes only\n",
            file.display()
        )
    );
    // A file that is private already, and a new one: 0600, and nothing to say.
    for (name, before) in [("private", Some(0o600)), ("new", None)] {
        let (file, said) = npmrc(name, before);
        assert_eq!(mode(&file), 0o600, "{name}");
        assert!(said.is_empty(), "{name}: {said}");
    }
}

#[test]
fn npmrc_and_setup_npm_write_the_npmrc_npm_config_userconfig_names() {
    let sb = Sandbox::new(&format!("urls = [\"{REGISTRY}\"]"));
    let home_npmrc = sb.dir.path().join(".npmrc");
    for var in ["NPM_CONFIG_USERCONFIG", "npm_config_userconfig"] {
        let file = sb.dir.path().join(format!("{var}.npmrc"));
        sb.allow_token_in(&file);
        let out = sb
            .cmd(&["npmrc", "--target", "demo", "--registry", REGISTRY])
            .env(var, &file)
            .output();
        assert!(out.status.success(), "{var}: {}", stderr(&out));
        let written = fs::read_to_string(&file).unwrap();
        assert_eq!(
            written,
            format!(
                "//r.example.com/npm/repo/:_authToken={}\n",
                sb.cached_token()
            ),
            "{var}"
        );
        // setup npm reads the same file: it finds npmrc's token line there.
        let out = sb
            .cmd(&["setup", "npm", "--url", REGISTRY])
            .env(var, &file)
            .output();
        assert_eq!(out.status.code(), Some(78), "{var}: {}", stderr(&out));
        assert!(
            stderr(&out).contains(&format!("{}:1: `//r.example.com/", file.display())),
            "{var}: {}",
            stderr(&out)
        );
        assert!(!home_npmrc.exists(), "{var}: ~/.npmrc untouched");
    }
    // Without either: the user's ~/.npmrc.
    sb.allow_token_in(&home_npmrc);
    let out = sb.run(&["npmrc", "--target", "demo", "--registry", REGISTRY]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        fs::read_to_string(&home_npmrc).unwrap(),
        format!(
            "//r.example.com/npm/repo/:_authToken={}\n",
            sb.cached_token()
        )
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

#[test]
fn npm_config_userconfig_with_a_tilde_or_a_relative_path_names_the_file_npm_reads() {
    let Some(npm) = tools::need(Tool::Npm) else {
        return;
    };
    let sb = Sandbox::new(&format!("urls = [\"{REGISTRY}\"]"));
    let cwd = sb.dir.path().join("work");
    fs::create_dir_all(&cwd).unwrap();
    let absolute = sb.dir.path().join("abs/npmrc");
    for (value, file) in [
        // npm takes a leading `~/` as the home directory...
        ("~/conf/npmrc", sb.dir.path().join("conf/npmrc")),
        // ... and a relative path against the working directory.
        ("rel/npmrc", cwd.join("rel/npmrc")),
        // The ordinary case: an absolute path, as it is.
        (absolute.to_str().unwrap(), absolute.clone()),
    ] {
        sb.allow_token_in(&file);
        let out = sb
            .cmd(&["npmrc", "--target", "demo", "--registry", REGISTRY])
            .env("NPM_CONFIG_USERCONFIG", value)
            .env_remove("npm_config_userconfig")
            .current_dir(&cwd)
            .output();
        assert!(out.status.success(), "{value}: {}", stderr(&out));
        assert_eq!(
            fs::read_to_string(&file).unwrap_or_default(),
            format!(
                "//r.example.com/npm/repo/:_authToken={}\n",
                sb.cached_token()
            ),
            "{value}: {}",
            stdout(&out)
        );
        // The file real npm reads for that setting.
        let npm = sb
            .program(&npm)
            .args(["config", "get", "userconfig"])
            .env("PATH", std::env::var_os("PATH").unwrap())
            .env("NPM_CONFIG_USERCONFIG", value)
            .env_remove("npm_config_userconfig")
            .current_dir(&cwd)
            .output();
        assert_eq!(
            stdout(&npm).trim(),
            file.to_str().unwrap(),
            "{value}: {}",
            stderr(&npm)
        );
        // setup npm reads the same file: it finds npmrc's token line there.
        let out = sb
            .cmd(&["setup", "npm", "--url", REGISTRY])
            .env("NPM_CONFIG_USERCONFIG", value)
            .env_remove("npm_config_userconfig")
            .current_dir(&cwd)
            .output();
        assert_eq!(out.status.code(), Some(78), "{value}: {}", stderr(&out));
        assert!(
            stderr(&out).contains(&format!("{}:1: `//r.example.com/", file.display())),
            "{value}: {}",
            stderr(&out)
        );
    }
    assert!(
        !cwd.join("~").exists(),
        "no file named `~` in the working directory"
    );
}

#[test]
fn npmrc_refuses_a_scope_that_would_add_lines_and_writes_a_plain_one() {
    let sb = Sandbox::new(&format!("urls = [\"{REGISTRY}\"]"));
    let file = sb.dir.path().join("project/.npmrc");
    fs::create_dir_all(file.parent().unwrap()).unwrap();
    fs::write(&file, "fund=false\n").unwrap();
    sb.allow_token_in(&file);
    let npmrc = |scope: &str| {
        sb.run(&[
            "npmrc",
            "--target",
            "demo",
            "--registry",
            REGISTRY,
            "--file",
            file.to_str().unwrap(),
            "--scope",
            scope,
        ])
    };
    for bad in ["acme\nregistry=https://evil.example/", "@acme/x", "@"] {
        let out = npmrc(bad);
        assert_eq!(out.status.code(), Some(2), "{bad:?}: {}", stderr(&out));
        assert!(
            stderr(&out).contains("not an npm scope"),
            "{}",
            stderr(&out)
        );
        assert_eq!(
            fs::read_to_string(&file).unwrap(),
            "fund=false\n",
            "{bad:?}"
        );
    }
    let out = npmrc("acme");
    assert!(out.status.success(), "{}", stderr(&out));
    let text = fs::read_to_string(&file).unwrap();
    assert!(
        text.contains(&format!("\n@acme:registry={REGISTRY}\n")),
        "{text}"
    );
}
