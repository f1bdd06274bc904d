//! Real Yarn 4 (Berry) installs from a local npm registry that requires `Bearer <minted token>`
//! under a path prefix, through the plugin `setup yarn` wires into the user's `~/.yarnrc.yml`
//! (its `getNpmAuthenticationHeader` hook runs `ecluse-cred token --url`): a plain
//! `yarn install`, nothing on its command line, no token in any file; `--undo` gives the file its
//! bytes back and the install is refused again.

mod common;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use base64::Engine;
use common::http::{FakeServer, Request, Response};
use common::registry::{self, Credential, assert_refused_unauthenticated, describe};
use common::tools::{self, Tool};
use common::*;
use sha2::{Digest, Sha512};

/// What the user's `~/.yarnrc.yml` held before setup: keys and comments of their own, which
/// setup keeps and `--undo` must give back byte for byte.
const USER_YARNRC: &str =
    "# My Yarn settings.\nenableProgressBars: false   # quiet in logs\n\nhttpTimeout: 120000\n";

/// The token the user configured themselves (`npmAuthToken`) for a registry ecluse-cred does not
/// serve.
const USERS_OWN_TOKEN: &str = "users-own-token-for-other";

/// Package `name` 1.0.0 as an npm tarball made with the real `tar`, with its index.js saying
/// `says`.
fn tarball(dir: &Path, name: &str, says: &str) -> Vec<u8> {
    let slug = name.replace('/', "-");
    let src = dir.join(format!("pkg-src-{slug}"));
    let pkg = src.join("package");
    fs::create_dir_all(&pkg).unwrap();
    fs::write(
        pkg.join("package.json"),
        serde_json::json!({"name": name, "version": "1.0.0", "main": "index.js"}).to_string(),
    )
    .unwrap();
    fs::write(
        pkg.join("index.js"),
        format!("module.exports = '{says}';\n"),
    )
    .unwrap();
    let out = Command::new("tar")
        .args(["czf", &format!("../{slug}.tgz"), "package"])
        .current_dir(&src)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    fs::read(dir.join(format!("{slug}.tgz"))).unwrap()
}

/// An npm registry under `prefix` (`/npm/repo/`) serving package `name` 1.0.0 to requests that
/// carry `Bearer <what token returns>`. Its metadata dates the version years back: Yarn 4
/// quarantines a version younger than `npmMinimalAgeGate` (a day by default) or undated.
fn registry(
    sb: &Sandbox,
    prefix: &'static str,
    name: &'static str,
    says: &str,
    token: impl Fn() -> Option<String> + Send + Sync + 'static,
) -> FakeServer {
    let tgz = tarball(sb.dir.path(), name, says);
    let integrity = format!(
        "sha512-{}",
        base64::engine::general_purpose::STANDARD.encode(Sha512::digest(&tgz))
    );
    let file = format!("{}-1.0.0.tgz", name.rsplit('/').next().unwrap());
    let tarball_path = format!("{prefix}{name}/-/{file}");
    registry::start(Credential::Bearer, token, move |r: &Request, base: &str| {
        // Yarn asks for a scoped package as `@scope%2fname`.
        let asked = r.path().replace("%2f", "/").replace("%2F", "/");
        if asked == format!("{prefix}{name}") {
            let old = "2020-01-01T00:00:00.000Z";
            Response::json(
                200,
                serde_json::json!({
                    "name": name,
                    "dist-tags": {"latest": "1.0.0"},
                    "time": {"created": old, "modified": old, "1.0.0": old},
                    "versions": {"1.0.0": {"name": name, "version": "1.0.0",
                        "dist": {"tarball": format!("{base}{tarball_path}"), "integrity": integrity}}},
                }),
            )
        } else if asked == tarball_path {
            Response::bytes("application/octet-stream", tgz.clone())
        } else {
            Response::json(404, serde_json::json!({}))
        }
    })
}

/// The repository's plugin with its first line naming this ecluse-cred, as setup writes it.
fn expected_plugin() -> String {
    let plugin = include_str!("../yarn/plugin-ecluse-cred.cjs");
    let (first, rest) = plugin.split_once('\n').unwrap();
    assert_eq!(first, "const EXECUTABLE = \"ecluse-cred\";");
    let exe = serde_json::to_string(env!("CARGO_BIN_EXE_ecluse-cred")).unwrap();
    format!("const EXECUTABLE = {exe};\n{rest}")
}

struct Yarn {
    sb: Sandbox,
    /// The registry the `demo` target serves, under `/npm/repo/`, with `ecluse-demo`.
    server: FakeServer,
    /// `bin/yarn.js` of Yarn 4, run with `node`.
    yarn: PathBuf,
    project: PathBuf,
    /// The user's `~/.yarnrc.yml` (HOME is the sandbox).
    yarnrc: PathBuf,
}

/// The sandbox (its `demo` target serving the registry), the registry, and a project depending
/// on `ecluse-demo`, or `None` without Yarn 4 (the test is reported skipped).
fn setup() -> Option<Yarn> {
    let yarn = tools::need(Tool::Yarn)?;
    let sb = Sandbox::new("");
    let cache = sb.cache_file();
    let server = registry(
        &sb,
        "/npm/repo/",
        "ecluse-demo",
        "installed through ecluse-cred",
        move || cache::token(&cache),
    );
    sb.write_config(&format!("urls = [\"{}/npm/repo/\"]", server.url()));
    let project = sb.dir.path().join("project");
    fs::create_dir_all(&project).unwrap();
    let yarnrc = sb.dir.path().join(".yarnrc.yml");
    let s = Yarn {
        sb,
        server,
        yarn,
        project,
        yarnrc,
    };
    s.write_project(&[("ecluse-demo", "1.0.0")], "");
    Some(s)
}

impl Yarn {
    fn registry_url(&self) -> String {
        format!("{}/npm/repo/", self.server.url())
    }

    /// Where Yarn keeps what it fetched from registries (its metadata cache), as the project's
    /// settings name it: a folder of this sandbox that [`Yarn::forget_installs`] empties, so that
    /// the next run asks the registry again.
    fn global_folder(&self) -> PathBuf {
        self.sb.dir.path().join("yarn-global")
    }

    /// The project's package.json (depending on `deps`) and its own `.yarnrc.yml`: settings for
    /// a loopback test only (plain http to 127.0.0.1, no telemetry, nothing shared with other
    /// runs, CI's immutable or hardened defaults off), plus `extra`. Never a registry or a
    /// credential for `demo`'s registry: those come from the user's file setup edits.
    fn write_project(&self, deps: &[(&str, &str)], extra: &str) {
        let deps: serde_json::Map<String, serde_json::Value> = deps
            .iter()
            .map(|(n, v)| ((*n).to_owned(), serde_json::Value::from(*v)))
            .collect();
        fs::write(
            self.project.join("package.json"),
            serde_json::json!({"name": "app", "version": "1.0.0", "private": true, "dependencies": deps})
                .to_string(),
        )
        .unwrap();
        fs::write(
            self.project.join(".yarnrc.yml"),
            format!(
                "unsafeHttpWhitelist: [\"127.0.0.1\"]\nenableTelemetry: false\nenableGlobalCache: false\n\
                 globalFolder: {}\nnodeLinker: node-modules\nenableImmutableInstalls: false\n\
                 enableHardenedMode: false\n{extra}",
                serde_json::to_string(self.global_folder().to_str().unwrap()).unwrap()
            ),
        )
        .unwrap();
    }

    /// A plain `yarn install` in the project: HOME is the sandbox, so the user's settings are its
    /// `~/.yarnrc.yml`; `env` adds what a user might have in their environment.
    fn yarn_install(&self, env: &[(&str, &str)]) -> Output {
        self.sb
            .program(Path::new("node"))
            .arg(&self.yarn)
            .arg("install")
            .current_dir(&self.project)
            .env_remove("YARN_RC_FILENAME")
            .env_remove("YARN_NPM_REGISTRY_SERVER")
            .env_remove("YARN_NPM_AUTH_TOKEN")
            .envs(env.iter().copied())
            .output()
    }

    /// Forget everything an install left (packages, lockfile, state, metadata cache), so the next
    /// one asks the registry again.
    fn forget_installs(&self) {
        for dir in [
            self.project.join("node_modules"),
            self.project.join(".yarn"),
            self.global_folder(),
        ] {
            if dir.exists() {
                fs::remove_dir_all(&dir).unwrap();
            }
        }
        let lock = self.project.join("yarn.lock");
        if lock.exists() {
            fs::remove_file(lock).unwrap();
        }
    }

    fn assert_installed(&self, out: &Output, name: &str, says: &str) {
        assert!(out.status.success(), "{}\n{}", stdout(out), stderr(out));
        let index = fs::read_to_string(
            self.project
                .join("node_modules")
                .join(name)
                .join("index.js"),
        )
        .unwrap();
        assert_eq!(index, format!("module.exports = '{says}';\n"));
    }

    /// The failure Yarn reports for a 401 from `demo`'s registry, and the registry's proof that
    /// it refused requests for carrying no credential (from `exchanges` on).
    fn assert_refused(&self, out: &Output, exchanges: usize) {
        assert!(!out.status.success(), "{}", stdout(out));
        assert!(
            stdout(out).contains("YN0041") && stdout(out).contains("Invalid authentication"),
            "{}\n{}",
            stdout(out),
            stderr(out)
        );
        assert!(!self.project.join("node_modules/ecluse-demo").exists());
        assert_refused_unauthenticated(&self.server.exchanges()[exchanges..]);
    }

    /// The plugin file setup writes (under XDG_DATA_HOME, which the sandbox sets).
    fn plugin(&self) -> PathBuf {
        self.sb
            .dir
            .path()
            .join(".local/share/ecluse-cred/yarn/plugin-ecluse-cred.cjs")
    }

    /// `ecluse-cred setup yarn --url URL` plus `args`.
    fn setup_yarn(&self, url: &str, args: &[&str]) -> Output {
        let mut all = vec!["setup", "yarn", "--url", url];
        all.extend_from_slice(args);
        self.sb.run(&all)
    }

    /// Every request `server` saw (from `from` on) answered 200 and carried `header`.
    fn assert_all_carried(server: &FakeServer, from: usize, header: &str) {
        let exchanges = &server.exchanges()[from..];
        assert!(!exchanges.is_empty(), "no request at all");
        assert!(
            exchanges
                .iter()
                .all(|(r, status)| *status == 200 && r.header("authorization") == Some(header)),
            "not every request carried the expected credential and was served:\n{}",
            describe(exchanges)
        );
    }

    /// No gzipped file under HOME (the project is in it) holds a token this sandbox minted,
    /// uncompressed: the sandbox's own audit reads every file as it is; Yarn's install state is
    /// gzipped.
    fn assert_no_token_in_compressed_files(&self) {
        let tokens = fs::read_to_string(self.sb.issued_log()).unwrap();
        let tokens: Vec<&str> = tokens.lines().filter(|t| !t.is_empty()).collect();
        assert!(!tokens.is_empty(), "a token was minted");
        let mut stack = vec![self.sb.dir.path().to_owned()];
        let mut read = 0;
        while let Some(dir) = stack.pop() {
            for entry in fs::read_dir(&dir).unwrap().flatten() {
                let path = entry.path();
                let name = path.to_string_lossy().into_owned();
                if path.is_dir() {
                    stack.push(path);
                } else if name.ends_with(".gz") {
                    let out = self
                        .sb
                        .program(Path::new("gzip"))
                        .arg("-dc")
                        .arg(&path)
                        .output();
                    assert!(out.status.success(), "{name}: {}", stderr(&out));
                    let text = String::from_utf8_lossy(&out.stdout);
                    assert!(
                        !tokens.iter().any(|t| text.contains(t)),
                        "a token was written to {name}"
                    );
                    read += 1;
                }
            }
        }
        assert!(read > 0, "Yarn wrote its gzipped install state");
    }
}

#[test]
fn without_setup_the_registry_refuses_yarn_install() {
    let Some(s) = setup() else { return };
    // The user points Yarn at the registry themselves, with no credential.
    let out = s.yarn_install(&[("YARN_NPM_REGISTRY_SERVER", &s.registry_url())]);
    s.assert_refused(&out, 0);
    assert_eq!(s.sb.mints(), 0);
}

#[test]
fn setup_yarn_makes_plain_yarn_install_send_the_token_and_undo_restores_the_yarnrc() {
    let Some(s) = setup() else { return };
    let url = s.registry_url();
    fs::write(&s.yarnrc, USER_YARNRC).unwrap();

    let dry = s.setup_yarn(&url, &["--dry-run"]);
    assert!(dry.status.success(), "{}", stderr(&dry));
    assert!(
        stdout(&dry).contains(&format!("+npmRegistryServer: \"{url}\"")),
        "{}",
        stdout(&dry)
    );
    assert_eq!(fs::read(&s.yarnrc).unwrap(), USER_YARNRC.as_bytes());
    assert!(
        !s.plugin().exists() && s.sb.mints() == 0,
        "a dry run writes and mints nothing"
    );

    let out = s.setup_yarn(&url, &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    let wired = fs::read_to_string(&s.yarnrc).unwrap();
    for line in USER_YARNRC.lines() {
        assert!(
            wired.contains(line),
            "the user's {line:?} is kept:\n{wired}"
        );
    }
    assert!(
        wired.contains(s.plugin().to_str().unwrap()),
        "the plugin is listed:\n{wired}"
    );
    assert_eq!(
        fs::read_to_string(s.plugin()).unwrap(),
        expected_plugin(),
        "the repository's plugin, running this ecluse-cred by its absolute path"
    );
    assert_eq!(
        s.sb.mints(),
        0,
        "setup mints nothing: the plugin asks at install time"
    );

    let installed = s.yarn_install(&[]);
    s.assert_installed(&installed, "ecluse-demo", "installed through ecluse-cred");
    Yarn::assert_all_carried(&s.server, 0, &format!("Bearer {}", s.sb.cached_token()));
    assert_eq!(s.sb.mints(), 1);
    s.assert_no_token_in_compressed_files();

    let out = s.setup_yarn(&url, &["--undo"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        fs::read(&s.yarnrc).unwrap(),
        USER_YARNRC.as_bytes(),
        "undo gives ~/.yarnrc.yml its bytes back"
    );
    assert!(
        !s.plugin().exists(),
        "undo removes the plugin with its entry"
    );
    s.forget_installs();
    let before = s.server.exchanges().len();
    let refused = s.yarn_install(&[("YARN_NPM_REGISTRY_SERVER", &url)]);
    s.assert_refused(&refused, before);
}

#[test]
fn setup_yarn_undo_removes_a_yarnrc_it_created() {
    let Some(s) = setup() else { return };
    let url = s.registry_url();
    let out = s.setup_yarn(&url, &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    let installed = s.yarn_install(&[]);
    s.assert_installed(&installed, "ecluse-demo", "installed through ecluse-cred");
    let out = s.setup_yarn(&url, &["--undo"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        !s.yarnrc.exists(),
        "a file setup created and left empty is removed"
    );
    assert!(!s.plugin().exists());
}

#[test]
fn a_registry_no_target_serves_gets_yarn_s_own_credential_not_the_token() {
    let Some(s) = setup() else { return };
    // A second registry, on another port: no target serves it; the user has a token of their
    // own for it in the project's settings, under a scope.
    let other = registry(
        &s.sb,
        "/other/",
        "@other/lib",
        "from the other registry",
        || Some(USERS_OWN_TOKEN.to_owned()),
    );
    let other_url = format!("{}/other", other.url());
    s.write_project(
        &[("ecluse-demo", "1.0.0"), ("@other/lib", "1.0.0")],
        &format!(
            "npmScopes:\n  other:\n    npmRegistryServer: \"{other_url}\"\n    npmAlwaysAuth: true\n    npmAuthToken: \"{USERS_OWN_TOKEN}\"\n"
        ),
    );
    let out = s.setup_yarn(&s.registry_url(), &[]);
    assert!(out.status.success(), "{}", stderr(&out));

    let installed = s.yarn_install(&[]);
    s.assert_installed(&installed, "ecluse-demo", "installed through ecluse-cred");
    s.assert_installed(&installed, "@other/lib", "from the other registry");
    Yarn::assert_all_carried(&s.server, 0, &format!("Bearer {}", s.sb.cached_token()));
    // Yarn asks its plugins first whenever it authenticates: for the other registry the hook
    // handed back what Yarn had (nothing), so Yarn's own setting went there, and ours never did.
    Yarn::assert_all_carried(&other, 0, &format!("Bearer {USERS_OWN_TOKEN}"));
    assert_eq!(s.sb.mints(), 1);
}

#[test]
fn setup_yarn_adds_to_the_user_s_own_registries_and_plugins_and_undo_gives_the_bytes_back() {
    let Some(s) = setup() else { return };
    let url = s.registry_url();
    // A plugin of the user's own (Yarn fails on a listed plugin that is missing), and an entry of
    // theirs under npmRegistries, each block indented its own way, with comments.
    fs::write(
        s.sb.dir.path().join("my-plugin.cjs"),
        "module.exports = {name: \"my-plugin\", factory: () => ({})};\n",
    )
    .unwrap();
    let user = "plugins: # mine\n- ./my-plugin.cjs\n\nnpmRegistries:\n    # a registry of my own\n    \"https://npm.example.com\":\n        npmAlwaysAuth: true\n";
    fs::write(&s.yarnrc, user).unwrap();

    let out = s.setup_yarn(&url, &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    let installed = s.yarn_install(&[]);
    s.assert_installed(&installed, "ecluse-demo", "installed through ecluse-cred");
    Yarn::assert_all_carried(&s.server, 0, &format!("Bearer {}", s.sb.cached_token()));

    let out = s.setup_yarn(&url, &["--undo"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(fs::read_to_string(&s.yarnrc).unwrap(), user);
    assert!(!s.plugin().exists());
}

#[test]
fn setup_yarn_with_a_scope_makes_yarn_install_the_scope_s_packages_with_the_token() {
    let Some(s) = setup() else { return };
    let scoped = registry(
        &s.sb,
        "/npm/scoped/",
        "@acme/tool",
        "scoped through ecluse-cred",
        {
            let cache = s.sb.cache_file();
            move || cache::token(&cache)
        },
    );
    let url = format!("{}/npm/scoped/", scoped.url());
    s.sb.write_config(&format!("urls = [\"{url}\"]"));
    s.write_project(&[("@acme/tool", "1.0.0")], "");

    let out = s.setup_yarn(&url, &["--scope", "@acme"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let wired = fs::read_to_string(&s.yarnrc).unwrap();
    assert!(
        !wired.lines().any(|l| l.starts_with("npmRegistryServer:")),
        "the default registry stays Yarn's own:\n{wired}"
    );
    let installed = s.yarn_install(&[]);
    s.assert_installed(&installed, "@acme/tool", "scoped through ecluse-cred");
    Yarn::assert_all_carried(&scoped, 0, &format!("Bearer {}", s.sb.cached_token()));
    assert_eq!(s.sb.mints(), 1);

    let out = s.setup_yarn(&url, &["--scope", "@acme", "--undo"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(!s.yarnrc.exists() && !s.plugin().exists());
}

#[test]
fn a_failing_mint_fails_yarn_install_with_ecluse_cred_s_message_and_no_request() {
    let Some(s) = setup() else { return };
    let out = s.setup_yarn(&s.registry_url(), &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    s.sb.set("fail", "");

    let out = s.yarn_install(&[]);
    assert!(!out.status.success(), "{}", stdout(&out));
    // Yarn's report of the hook's error: ecluse-cred's own stderr, no stack trace.
    let report = stdout(&out);
    let line = report
        .lines()
        .find(|l| l.contains("YN0001"))
        .unwrap_or_else(|| panic!("no YN0001:\n{report}"));
    assert!(
        line.contains("ecluse-demo@npm:1.0.0: ecluse-cred: error:")
            && line.contains("backend is down"),
        "{report}"
    );
    assert!(!report.contains("plugin-ecluse-cred.cjs:"), "{report}");
    assert!(
        s.server.exchanges().is_empty(),
        "nothing went to the registry:\n{}",
        describe(&s.server.exchanges())
    );
    assert_eq!(s.sb.mints(), 1);
}

#[test]
fn setup_yarn_edits_the_file_yarn_rc_filename_names_and_yarn_reads_it() {
    let Some(s) = setup() else { return };
    let name = ".yarnrc-ecluse.yml";
    let url = s.registry_url();
    // YARN_RC_FILENAME renames the project's file too.
    fs::rename(s.project.join(".yarnrc.yml"), s.project.join(name)).unwrap();
    let out =
        s.sb.cmd(&["setup", "yarn", "--url", &url])
            .env("YARN_RC_FILENAME", name)
            .output();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(!s.yarnrc.exists());
    let renamed = s.sb.dir.path().join(name);
    assert!(fs::read_to_string(&renamed).unwrap().contains(&url));

    let installed = s.yarn_install(&[("YARN_RC_FILENAME", name)]);
    s.assert_installed(&installed, "ecluse-demo", "installed through ecluse-cred");
    Yarn::assert_all_carried(&s.server, 0, &format!("Bearer {}", s.sb.cached_token()));

    let out =
        s.sb.cmd(&["setup", "yarn", "--url", &url, "--undo"])
            .env("YARN_RC_FILENAME", name)
            .output();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(!renamed.exists() && !s.plugin().exists());
}

/// Two registries in one `~/.yarnrc.yml` (one default, one for a scope) share the keys and the
/// plugin setup made: undoing the first leaves a file Yarn reads, the second still served with
/// the token; the last undo removes the file and the plugin. The plugin also stays while
/// another file setup wired still lists it.
#[test]
fn undoing_one_of_two_registries_leaves_a_yarnrc_yarn_reads_and_the_other_served() {
    let Some(s) = setup() else { return };
    let scoped = registry(
        &s.sb,
        "/npm/scoped/",
        "@acme/tool",
        "scoped through ecluse-cred",
        {
            let cache = s.sb.cache_file();
            move || cache::token(&cache)
        },
    );
    let first = s.registry_url();
    let second = format!("{}/npm/scoped/", scoped.url());
    s.sb.write_config(&format!("urls = [\"{first}\", \"{second}\"]"));
    for (url, args) in [(&first, &[][..]), (&second, &["--scope", "@acme"][..])] {
        let out = s.setup_yarn(url, args);
        assert!(out.status.success(), "{}", stderr(&out));
    }
    let elsewhere = s.sb.dir.path().join("elsewhere/.yarnrc.yml");
    let out = s.setup_yarn(&first, &["--file", elsewhere.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));

    let out = s.setup_yarn(&first, &["--undo"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let left = fs::read_to_string(&s.yarnrc).unwrap();
    assert!(!left.contains(&first), "{left}");
    assert!(
        s.plugin().exists(),
        "the scope and {} still use it",
        elsewhere.display()
    );
    s.write_project(&[("@acme/tool", "1.0.0")], "");
    let installed = s.yarn_install(&[]);
    s.assert_installed(&installed, "@acme/tool", "scoped through ecluse-cred");
    Yarn::assert_all_carried(&scoped, 0, &format!("Bearer {}", s.sb.cached_token()));

    let out = s.setup_yarn(&second, &["--scope", "@acme", "--undo"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(!s.yarnrc.exists(), "{:?}", fs::read_to_string(&s.yarnrc));
    assert!(
        s.plugin().exists(),
        "{} still lists it",
        elsewhere.display()
    );
    let out = s.setup_yarn(&first, &["--file", elsewhere.to_str().unwrap(), "--undo"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(!elsewhere.exists() && !s.plugin().exists());
}
