//! `doctor`: each check's ok and FAIL case, its fixes, exit 1 only when something failed, JSON
//! output, and no token or secret in what it prints.

mod common;

use std::fs;
use std::path::Path;

use common::*;

fn doctor(sb: &Sandbox, args: &[&str]) -> (std::process::Output, serde_json::Value) {
    let mut all = vec!["doctor", "--format", "json"];
    all.extend_from_slice(args);
    let out = sb.run(&all);
    sb.audit_stdout(&out);
    let v = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", stdout(&out)));
    (out, v)
}

/// The check whose name starts with `name`.
fn check<'a>(v: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    v.as_array()
        .unwrap()
        .iter()
        .find(|c| c["check"].as_str().unwrap().starts_with(name))
        .unwrap_or_else(|| panic!("no check {name} in {v}"))
}

/// A cached entry's time (ms since the epoch) as doctor shows it: whole seconds, UTC.
fn shown(ms: i64) -> String {
    humantime::format_rfc3339_seconds(
        std::time::UNIX_EPOCH + std::time::Duration::from_secs(ms as u64 / 1000),
    )
    .to_string()
}

#[test]
fn a_healthy_setup_passes_every_check_and_mints_on_request() {
    let sb = Sandbox::new("urls = [\"https://pkgs.example.com/npm/\"]");
    assert!(sb.token(&[]).status.success());
    let entry = sb.cached_entry();
    let (out, v) = doctor(&sb, &["--url", "https://pkgs.example.com/npm/", "--mint"]);
    assert_eq!(out.status.code(), Some(0), "{v}");
    for c in v.as_array().unwrap() {
        assert!(
            ["ok", "warn", "fail"].contains(&c["status"].as_str().unwrap()),
            "{c}"
        );
        assert!(c["detail"].is_string() && c.get("fix").is_some(), "{c}");
        assert_ne!(c["status"], "fail", "{c}");
    }
    assert_eq!(
        check(&v, "target")["detail"],
        "https://pkgs.example.com/npm/ is served by target `demo` (its urls: https://pkgs.example.com/npm/)"
    );
    assert_eq!(
        check(&v, "cache `demo`")["detail"],
        format!(
            "token valid until {}, refresh due {}",
            shown(entry.expires_at),
            shown(entry.refresh_at)
        )
    );
    assert_eq!(check(&v, "mint `demo`")["status"], "ok");
    assert_eq!(
        check(&v, "client npm")["status"],
        "ok",
        "not set up is not a failure"
    );
    // An npm registry's URL: the clients that cannot use it are not suggested.
    for other in [
        "client pip",
        "client uv",
        "client cargo",
        "client docker",
        "client kubectl",
    ] {
        assert!(
            v.as_array().unwrap().iter().all(|c| c["check"] != other),
            "{other} suggested for an npm registry: {v}"
        );
    }
    // The test binary is in a cargo build directory: a warning with its fix.
    assert_eq!(check(&v, "binary")["status"], "warn");
    assert_eq!(sb.mints(), 2);
    // Text: one line per check, a fix line under each warning.
    let text = sb.run(&["doctor"]);
    let exe = env!("CARGO_BIN_EXE_ecluse-cred");
    let warning = [
        format!(
            "warn  binary: {exe} is in a cargo build directory: client configs pointing at it break when it goes"
        ),
        "      fix: cargo install --locked --path . && cargo install --locked --path mint and run setup again"
            .to_owned(),
    ];
    let text = stdout(&text);
    let lines: Vec<&str> = text.lines().collect();
    assert!(
        lines
            .windows(2)
            .any(|pair| pair[0] == warning[0] && pair[1] == warning[1]),
        "{text}"
    );
}

#[test]
fn an_unsafe_cache_dir_fails_with_the_fix() {
    let sb = Sandbox::new("");
    sb.token(&[]);
    fs::set_permissions(
        &sb.cache,
        std::os::unix::fs::PermissionsExt::from_mode(0o777),
    )
    .unwrap();
    let (out, v) = doctor(&sb, &[]);
    assert_eq!(out.status.code(), Some(1));
    let c = check(&v, "cache dir");
    assert_eq!(c["status"], "fail");
    assert_eq!(
        c["fix"],
        format!(
            "chmod 700 {} (and make it yours and not a symlink), or point --cache-dir elsewhere",
            sb.cache.display()
        ),
        "{c}"
    );
    fs::set_permissions(
        &sb.cache,
        std::os::unix::fs::PermissionsExt::from_mode(0o700),
    )
    .unwrap();
}

#[test]
fn a_missing_oauth2_secret_or_command_fails_and_a_present_one_passes() {
    let sb = Sandbox::new("");
    sb.write_raw_config(
        "[targets.az]\nbackend = \"oauth2\"\ntoken_url = \"https://login.example.com/t\"\nclient_id = \"c\"\nclient_secret_env = \"DOCTOR_SECRET\"\n[targets.cmd]\nbackend = \"command\"\ncommand = [\"/no/such/mint\"]\n",
    );
    let (out, v) = doctor(&sb, &[]);
    assert_eq!(out.status.code(), Some(1));
    let c = check(&v, "credentials `az`");
    assert_eq!(c["status"], "fail");
    assert_eq!(
        c["fix"], "export DOCTOR_SECRET=... in the environment ecluse-cred runs in",
        "{c}"
    );
    assert_eq!(check(&v, "credentials `cmd`")["status"], "fail");
    sb.secret("s3cret-value-for-doctor");
    let out = sb
        .cmd(&["doctor", "--target", "az", "--format", "json"])
        .env("DOCTOR_SECRET", "s3cret-value-for-doctor")
        .output();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(check(&v, "credentials `az`")["status"], "ok");
    assert!(!stdout(&out).contains("s3cret-value-for-doctor"));
}

/// An AWS profile logged in through SSO, its cached login expiring at `expires_at`.
fn sso_profile(home: &Path, expires_at: &str) -> std::path::PathBuf {
    fs::create_dir_all(home.join(".aws/sso/cache")).unwrap();
    fs::write(
        home.join(".aws/config"),
        "[profile dev]\nsso_session = corp\nsso_account_id = 111122223333\nsso_role_name = ci\n\n[sso-session corp]\nsso_start_url = https://corp.awsapps.com/start\nsso_region = us-east-1\n",
    )
    .unwrap();
    // The CLI names the cache file after the SHA-1 of the session name.
    use sha1::Digest;
    let name: String = sha1::Sha1::digest(b"corp")
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let cache = home.join(".aws/sso/cache").join(format!("{name}.json"));
    fs::write(
        &cache,
        format!("{{\"accessToken\": \"sso-access-token-xyz\", \"expiresAt\": \"{expires_at}\", \"region\": \"us-east-1\"}}"),
    )
    .unwrap();
    cache
}

#[test]
fn an_expired_sso_session_fails_and_one_about_to_expire_warns() {
    let sb = Sandbox::new("");
    sb.write_raw_config(
        "[targets.ca]\nbackend = \"codeartifact\"\ndomain = \"my-domain\"\nprofile = \"dev\"\n[targets.e]\nbackend = \"ecr\"\nprofile = \"dev\"\n",
    );
    sb.secret("sso-access-token-xyz");
    let home = sb.dir.path();
    let in_secs = |s: i64| {
        jiff::Timestamp::from_second(now_ms() / 1000 + s)
            .unwrap()
            .to_string()
    };
    for (expires, status) in [
        (in_secs(-60), "fail"),
        (in_secs(600), "warn"),
        (in_secs(8 * 3600), "ok"),
    ] {
        // The SSO login cache holds the access token on purpose; doctor must not print it.
        sb.allow_token_in(&sso_profile(home, &expires));
        let out = sb
            .cmd(&["doctor", "--format", "json"])
            .env("AWS_CONFIG_FILE", home.join(".aws/config"))
            .output();
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        // CodeArtifact and ECR read the same AWS chain.
        for name in ["credentials `ca`", "credentials `e`"] {
            let c = check(&v, name);
            assert_eq!(c["status"], status, "{expires}: {c}");
            assert!(c["detail"].as_str().unwrap().contains("SSO"), "{c}");
            if status != "ok" {
                assert!(
                    c["fix"]
                        .as_str()
                        .unwrap()
                        .contains("aws sso login --profile dev"),
                    "{c}"
                );
            }
        }
        assert_eq!(
            out.status.code(),
            Some(if status == "fail" { 1 } else { 0 })
        );
    }
}

#[test]
fn a_shim_or_client_config_pointing_at_another_copy_fails() {
    let sb = Sandbox::new("urls = [\"https://pkgs.example.com/repo/\"]");
    // Another ecluse-cred, say a copy left by an older install, that the shim still runs.
    let old = sb.dir.path().join("old");
    fs::create_dir_all(&old).unwrap();
    fs::copy(env!("CARGO_BIN_EXE_ecluse-cred"), old.join("ecluse-cred")).unwrap();
    let shims = sb.dir.path().join("shims");
    fs::create_dir_all(&shims).unwrap();
    std::os::unix::fs::symlink(old.join("ecluse-cred"), shims.join("keyring")).unwrap();
    let cargo_home = sb.dir.path().join("cargo-home");
    fs::create_dir_all(&cargo_home).unwrap();
    fs::write(
        cargo_home.join("config.toml"),
        format!(
            "[registries.r]\nindex = \"sparse+https://pkgs.example.com/repo/\"\ncredential-provider = [\"{}\"]\n",
            old.join("ecluse-cred").display()
        ),
    )
    .unwrap();
    let out = sb
        .cmd(&[
            "doctor",
            "--url",
            "https://pkgs.example.com/repo/",
            "--format",
            "json",
        ])
        .env("PATH", format!("{}:/usr/bin:/bin", shims.display()))
        .env("CARGO_HOME", &cargo_home)
        .output();
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let shim = check(&v, "shim keyring");
    assert_eq!(shim["status"], "fail", "{shim}");
    assert_eq!(
        shim["fix"],
        format!(
            "ln -sf {} {} (or run setup again)",
            fs::canonicalize(env!("CARGO_BIN_EXE_ecluse-cred"))
                .unwrap()
                .display(),
            shims.join("keyring").display()
        ),
        "{shim}"
    );
    assert_eq!(check(&v, "client cargo")["status"], "fail");
    // Pointed at this binary, both pass.
    fs::remove_file(shims.join("keyring")).unwrap();
    std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_ecluse-cred"), shims.join("keyring")).unwrap();
    fs::write(
        cargo_home.join("config.toml"),
        format!(
            "[registries.r]\nindex = \"sparse+https://pkgs.example.com/repo/\"\ncredential-provider = [\"{}\"]\n",
            env!("CARGO_BIN_EXE_ecluse-cred")
        ),
    )
    .unwrap();
    let out = sb
        .cmd(&[
            "doctor",
            "--url",
            "https://pkgs.example.com/repo/",
            "--format",
            "json",
        ])
        .env("PATH", format!("{}:/usr/bin:/bin", shims.display()))
        .env("CARGO_HOME", &cargo_home)
        .output();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(check(&v, "shim keyring")["status"], "ok");
    assert_eq!(check(&v, "client cargo")["status"], "ok");
}

#[test]
fn a_broken_config_fails_the_config_check_and_a_missing_one_does_not() {
    let sb = Sandbox::new("");
    sb.write_raw_config("[targets.x]\nbackend = \"ftp\"\n");
    let (out, v) = doctor(&sb, &[]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(check(&v, "config")["status"], "fail");
    fs::remove_file(&sb.config).unwrap();
    let out = sb
        .program(Path::new(env!("CARGO_BIN_EXE_ecluse-cred")))
        .args(["doctor", "--format", "json"])
        .env_remove("ECLUSE_CRED_CONFIG")
        .output();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(check(&v, "config")["status"], "ok", "{v}");
}

#[test]
fn a_missing_mint_helper_fails_for_cloud_targets_and_a_failing_mint_fails() {
    let sb = Sandbox::new("");
    sb.write_raw_config(&format!(
        "{}\n[targets.gar]\nbackend = \"gcp\"\n",
        fs::read_to_string(&sb.config).unwrap()
    ));
    // A copy of ecluse-cred without ecluse-cred-mint beside it.
    let lone = sb.dir.path().join("lone");
    fs::create_dir_all(&lone).unwrap();
    fs::copy(env!("CARGO_BIN_EXE_ecluse-cred"), lone.join("ecluse-cred")).unwrap();
    let out = sb
        .program(&lone.join("ecluse-cred"))
        .args(["doctor", "--format", "json"])
        .output();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let c = check(&v, "mint helper");
    assert_eq!(c["status"], "fail", "{c}");
    assert_eq!(
        c["detail"],
        format!(
            "{} is missing: cloud targets cannot mint",
            lone.join("ecluse-cred-mint").display()
        ),
        "{c}"
    );
    assert_eq!(
        c["fix"],
        "reinstall ecluse-cred, which installs both executables side by side: the .deb (`apt install ./ecluse-cred_*.deb`), the release archive (`./install.sh`), or from a checkout `cargo install --locked --path . && cargo install --locked --path mint`",
        "{c}"
    );
    assert_eq!(out.status.code(), Some(1));

    sb.set("fail", "1");
    let (out, v) = doctor(&sb, &["--target", "demo", "--mint"]);
    assert_eq!(out.status.code(), Some(1));
    let c = check(&v, "mint `demo`");
    assert_eq!(c["status"], "fail", "{c}");
    assert_eq!(
        c["detail"],
        format!(
            "target `demo`: mint failed: `{}` exited with status 1: backend is down",
            sb.bin.join("mint").display()
        ),
        "{c}"
    );
}

#[test]
fn a_keyring_first_on_path_that_is_not_ecluse_fails_the_pip_check() {
    let sb = Sandbox::new("username = \"aws\"\nurls = [\"https://pkgs.example.com/simple/\"]");
    let conf = sb.dir.path().join(".config/pip/pip.conf");
    fs::create_dir_all(conf.parent().unwrap()).unwrap();
    fs::write(&conf, "[global]\nindex-url = https://aws@pkgs.example.com/simple/\nkeyring-provider = subprocess\n").unwrap();
    let other = sb.dir.path().join("other");
    fs::create_dir_all(&other).unwrap();
    std::os::unix::fs::symlink("/usr/bin/true", other.join("keyring")).unwrap();
    let out = sb
        .cmd(&[
            "doctor",
            "--url",
            "https://pkgs.example.com/simple/",
            "--format",
            "json",
        ])
        .env("PATH", format!("{}:/usr/bin:/bin", other.display()))
        .output();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let c = check(&v, "client pip");
    assert_eq!(c["status"], "fail", "{c}");
    assert_eq!(out.status.code(), Some(1));
}

/// Client configs are read as the clients read them: a commented-out line wires nothing, a
/// half-done setup fails with its fix, a token in `.npmrc` is checked against the cached one.
#[test]
fn client_checks_read_each_config_as_its_client_does() {
    let url = "https://pkgs.example.com/repo/";
    let sb = Sandbox::new(&format!("username = \"aws\"\nurls = [\"{url}\"]"));
    sb.set("ttl", "43200");
    assert!(sb.token(&[]).status.success());
    let token = sb.cached_token();
    let home = sb.dir.path();
    sb.allow_token_in(&home.join(".npmrc"));
    let pip_conf = home.join(".config/pip/pip.conf");
    fs::create_dir_all(pip_conf.parent().unwrap()).unwrap();
    let tfrc = home.join("terraformrc");
    let exe = env!("CARGO_BIN_EXE_ecluse-cred");
    let run = || {
        let out = sb
            .cmd(&["doctor", "--url", url, "--format", "json"])
            .env("TF_CLI_CONFIG_FILE", &tfrc)
            .env_remove("NPM_CONFIG_USERCONFIG")
            .env_remove("PIP_CONFIG_FILE")
            .env_remove("GIT_CONFIG_GLOBAL")
            .output();
        serde_json::from_slice::<serde_json::Value>(&out.stdout).unwrap()
    };
    let status = |v: &serde_json::Value, name: &str| {
        let c = check(v, name);
        let detail = c["detail"].as_str().unwrap().to_owned();
        (c["status"].as_str().unwrap().to_owned(), detail)
    };

    // Mentioned only in comments, or another index: not set up.
    fs::write(
        &pip_conf,
        format!("[global]\n# index-url = {url}\nindex-url = https://pypi.org/simple/\nkeyring-provider = subprocess\n"),
    )
    .unwrap();
    fs::write(
        home.join(".npmrc"),
        "# //pkgs.example.com/repo/:_authToken=x\n",
    )
    .unwrap();
    let v = run();
    assert!(status(&v, "client pip").1.starts_with("not set up"), "{v}");
    assert!(status(&v, "client npm").1.starts_with("not set up"), "{v}");

    // The index without the keyring provider: pip never asks ecluse-cred.
    fs::write(
        &pip_conf,
        "[global]\nindex-url = https://aws@pkgs.example.com/repo/\n",
    )
    .unwrap();
    // The current token in .npmrc.
    fs::write(
        home.join(".npmrc"),
        format!("//pkgs.example.com/repo/:_authToken={token}\n"),
    )
    .unwrap();
    // git's helper for the URL asks for another target.
    fs::write(
        home.join(".gitconfig"),
        format!("[credential \"https://pkgs.example.com/repo\"]\n\thelper = !'{exe}' git-credential --target='other'\n"),
    )
    .unwrap();
    // Terraform's helper block without the plugin it runs.
    fs::write(&tfrc, "credentials_helper \"ecluse\" {\n  args = []\n}\n").unwrap();
    let v = run();
    let (pip, detail) = status(&v, "client pip");
    assert_eq!(pip, "fail", "{detail}");
    assert_eq!(
        detail,
        format!(
            "the index is {url}'s, but pip does not ask a keyring for it (keyring-provider is not set)"
        )
    );
    assert_eq!(status(&v, "client npm").0, "ok", "{v}");
    let (git, detail) = status(&v, "client git");
    assert_eq!(git, "fail", "{detail}");
    assert_eq!(
        detail,
        "git's helper for https://pkgs.example.com/repo asks ecluse-cred for target `other`"
    );
    assert_eq!(status(&v, "client terraform").0, "fail", "{v}");

    // A token in .npmrc that is not the cached one may be stale; an expired one fails.
    fs::write(
        home.join(".npmrc"),
        "//pkgs.example.com/repo/:_authToken=some-older-token\n",
    )
    .unwrap();
    assert_eq!(status(&run(), "client npm").0, "warn");
    fs::write(
        home.join(".npmrc"),
        format!("//pkgs.example.com/repo/:_authToken={token}\n"),
    )
    .unwrap();
    sb.shift_entry(-2_400_000, -1_800_000);
    let v = run();
    let (npm, detail) = status(&v, "client npm");
    assert_eq!(npm, "fail", "{detail}");
    assert_eq!(
        detail,
        format!(
            "the token in {} expired {}",
            home.join(".npmrc").display(),
            shown(sb.cached_entry().expires_at)
        )
    );
    assert!(
        !v.to_string().contains(&token),
        "no token in doctor's output"
    );
}

/// What `setup` wires, `doctor` passes: every client `setup` knows, each check done for real
/// (git, kubectl and go on PATH, so none is "not checked").
#[test]
fn every_client_that_setup_wires_passes_doctor() {
    // The clients' own tools that setup and doctor run.
    let mut tool_dirs = String::new();
    for tool in [tools::Tool::Git, tools::Tool::Kubectl, tools::Tool::Go] {
        let Some(found) = tools::need(tool) else {
            return;
        };
        tool_dirs.push_str(&format!("{}:", found.parent().unwrap().display()));
    }
    let url = "https://pkgs.example.com/repo/";
    // docker and Terraform name a host and send the token anywhere on it: they are wired for
    // the whole host, which the target serves too.
    let host_url = "https://pkgs.example.com/";
    let sb = Sandbox::new(&format!(
        "username = \"aws\"\nurls = [\"{url}\", \"{host_url}\"]"
    ));
    sb.set("ttl", "43200");
    let home = sb.dir.path();
    sb.allow_token_in(&home.join(".npmrc"));
    let bin = home.join("shims");
    fs::create_dir_all(&bin).unwrap();
    let pip = current_pip();
    let env = |cmd: &mut std::process::Command| {
        cmd.env(
            "PATH",
            format!(
                "{}:{}:{tool_dirs}/usr/bin:/bin",
                bin.display(),
                pip.path().display()
            ),
        )
        // go answers from GOENV's file, with the toolchain it is.
        .env("GOTOOLCHAIN", "local")
        .env_remove("GOAUTH")
        .env_remove("GOFLAGS")
        .env("CARGO_HOME", home.join(".cargo"))
        .env("DOCKER_CONFIG", home.join(".docker"))
        .env("KUBECONFIG", home.join(".kube/config"))
        .env("TF_CLI_CONFIG_FILE", home.join(".terraformrc"))
        .env("GOENV", home.join("goenv"))
        .env_remove("NPM_CONFIG_USERCONFIG")
        .env_remove("PIP_CONFIG_FILE")
        .env_remove("GIT_CONFIG_GLOBAL")
        .env_remove("UV_CONFIG_FILE")
        // Java's user.home is the password database's unless told.
        .env(
            "JAVA_TOOL_OPTIONS",
            format!("-Duser.home={}", home.display()),
        )
        .env_remove("MAVEN_OPTS")
        .env_remove("MAVEN_SKIP_RC")
        .env_remove("POETRY_CONFIG_DIR")
        .env_remove("HATCH_CONFIG")
        .env_remove("PDM_CONFIG_FILE")
        .env_remove("PYTHON_KEYRING_BACKEND")
        .env_remove("YARN_RC_FILENAME");
    };
    // npm before pnpm: both write ~/.npmrc, each its own line.
    let clients = [
        "npm",
        "pnpm",
        "pip",
        "uv",
        "cargo",
        "git",
        "docker",
        "kubectl",
        "bazel",
        "terraform",
        "go",
        "poetry",
        "twine",
        "pdm",
        "hatch",
        "maven",
        "yarn",
    ];
    // Every client `setup --help` lists (`- NAME: what it writes`), none left out.
    let help = sb.run(&["setup", "--help"]);
    let mut known: Vec<String> = stdout(&help)
        .lines()
        .filter_map(|l| l.trim_start().strip_prefix("- ")?.split_once(':'))
        .map(|(name, _)| name.to_owned())
        .collect();
    known.sort();
    let mut covered = clients.map(str::to_owned);
    covered.sort();
    assert_eq!(known, covered, "the clients setup knows");
    for client in clients {
        let out = sb
            .cmd(&[
                "setup",
                client,
                "--url",
                if matches!(client, "docker" | "terraform") {
                    host_url
                } else {
                    url
                },
                "--bin-dir",
                bin.to_str().unwrap(),
            ])
            .configure(env)
            .output();
        assert!(out.status.success(), "setup {client}: {}", stderr(&out));
    }
    let out = sb.cmd(&["doctor", "--url", url]).configure(env).output();
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    // Each client's verdict, in doctor's order: this ecluse-cred answers it, checked.
    let h = home.display();
    let shims = bin.display();
    let exe = "-> this ecluse-cred";
    let routes = "routes to this ecluse-cred";
    let expires = shown(sb.cached_entry().expires_at);
    let expected = [
        format!("client pip ({h}/.config/pip/pip.conf): {shims}/keyring {exe}"),
        format!("client uv ({h}/.config/uv/uv.toml): {shims}/keyring {exe}"),
        format!("client cargo ({h}/.cargo/config.toml): {routes}"),
        format!("client git ({h}/.gitconfig): {routes}"),
        format!("client docker ({h}/.docker/config.json): {shims}/docker-credential-ecluse {exe}"),
        format!("client npm ({h}/.npmrc): {h}/.npmrc has the current token, valid until {expires}"),
        format!("client pnpm ({h}/.npmrc): {shims}/ecluse-pnpm-token-demo {exe}"),
        format!("client kubectl ({h}/.kube/config): user `ecluse-demo`: {routes}"),
        format!("client bazel ({h}/.bazelrc): {shims}/bazel-credential-ecluse {exe}"),
        format!(
            "client terraform ({h}/.terraformrc): {h}/.terraform.d/plugins/terraform-credentials-ecluse {exe}"
        ),
        format!("client go (GOAUTH): {routes}"),
        format!("client poetry ({h}/.config/pypoetry/config.toml): {routes} (keyring backend)"),
        format!("client twine ({h}/.pypirc): {routes} (keyring backend)"),
        format!("client pdm ({h}/.config/pdm/config.toml): {shims}/keyring {exe}"),
        format!("client hatch ({h}/.config/hatch/config.toml): {routes} (keyring backend)"),
        format!(
            "client maven ({h}/.m2/settings.xml): {routes} ($ECLUSE_MAVEN_TOKEN_ECLUSE_DEMO from ~/.mavenrc)"
        ),
        format!("client yarn ({h}/.yarnrc.yml): {routes} (Yarn plugin)"),
    ]
    .map(|verdict| format!("ok    {verdict}"));
    let text = stdout(&out);
    let verdicts: Vec<&str> = text
        .lines()
        .filter(|l| l.get(6..).is_some_and(|rest| rest.starts_with("client ")))
        .collect();
    assert_eq!(verdicts, expected, "{text}");
}

/// Valid hand-written configs pass, and what the client would not run fails.
#[test]
fn client_checks_follow_each_clients_own_rules() {
    let url = "https://pkgs.example.com/repo/";
    let sb = Sandbox::new(&format!("username = \"aws\"\nurls = [\"{url}\"]"));
    let home = sb.dir.path();
    let shims = home.join("shims");
    fs::create_dir_all(&shims).unwrap();
    let exe = env!("CARGO_BIN_EXE_ecluse-cred");
    std::os::unix::fs::symlink(exe, shims.join("keyring")).unwrap();
    let pip_conf = home.join(".config/pip/pip.conf");
    fs::create_dir_all(pip_conf.parent().unwrap()).unwrap();
    let plugins = home.join(".terraform.d/plugins");
    fs::create_dir_all(&plugins).unwrap();
    let tfrc = home.join("terraformrc");
    let pip = current_pip();
    let run = || {
        let out = sb
            .cmd(&["doctor", "--url", url, "--format", "json"])
            .env(
                "PATH",
                format!("{}:{}:/usr/bin:/bin", shims.display(), pip.path().display()),
            )
            .env("TF_CLI_CONFIG_FILE", &tfrc)
            .env_remove("PIP_CONFIG_FILE")
            .env_remove("GIT_CONFIG_GLOBAL")
            .output();
        serde_json::from_slice::<serde_json::Value>(&out.stdout).unwrap()
    };
    let status =
        |v: &serde_json::Value, name: &str| check(v, name)["status"].as_str().unwrap().to_owned();

    // pip: indented keys under a section header are keys (configparser), and [install] wins
    // over [global] for `pip install`.
    fs::write(
        &pip_conf,
        "[global]\n  index-url = https://aws@pkgs.example.com/repo/\n  keyring-provider = disabled\n[install]\nkeyring-provider = subprocess\n",
    )
    .unwrap();
    // git: a helper neither `!...` nor an absolute path is run as `git credential-...`.
    fs::write(
        home.join(".gitconfig"),
        "[credential \"https://pkgs.example.com/repo\"]\n\thelper = ecluse-cred git-credential\n",
    )
    .unwrap();
    // Terraform: a plugin in ecluse's place that is not ecluse-cred.
    fs::write(&tfrc, "credentials_helper \"ecluse\" {\n  args = []\n}\n").unwrap();
    fs::write(plugins.join("terraform-credentials-ecluse"), "#!/bin/sh\n").unwrap();
    let v = run();
    assert_eq!(status(&v, "client pip"), "ok", "{v}");
    assert_eq!(status(&v, "client git"), "fail", "{v}");
    assert_eq!(status(&v, "client terraform"), "fail", "{v}");

    // The same with `!` and the real plugin: both pass.
    fs::write(
        home.join(".gitconfig"),
        format!(
            "[credential \"https://pkgs.example.com/repo\"]\n\thelper = !'{exe}' git-credential\n"
        ),
    )
    .unwrap();
    fs::remove_file(plugins.join("terraform-credentials-ecluse")).unwrap();
    std::os::unix::fs::symlink(exe, plugins.join("terraform-credentials-ecluse")).unwrap();
    let v = run();
    assert_eq!(status(&v, "client git"), "ok", "{v}");
    assert_eq!(status(&v, "client terraform"), "ok", "{v}");
}

/// A client tool that never answers (`git config` here) costs doctor a bounded wait, not a hang.
#[test]
fn a_client_tool_that_hangs_does_not_hang_doctor() {
    let sb = Sandbox::new("urls = [\"https://pkgs.example.com/repo/\"]");
    let fake = sb.dir.path().join("fake-bin");
    fs::create_dir_all(&fake).unwrap();
    fs::write(fake.join("git"), "#!/bin/sh\nexec sleep 600\n").unwrap();
    fs::set_permissions(
        fake.join("git"),
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .unwrap();
    fs::write(sb.dir.path().join(".gitconfig"), "[user]\n\tname = me\n").unwrap();
    let mut cmd = sb.cmd(&["doctor", "--url", "https://pkgs.example.com/repo/"]);
    cmd.env("PATH", format!("{}:/usr/bin:/bin", fake.display()))
        .env_remove("GIT_CONFIG_GLOBAL");
    let out = cmd.output_within(PATIENCE).expect("doctor returned");
    assert!(stdout(&out).contains("client git"), "{}", stdout(&out));
}

/// The keyring-library clients, Maven and Yarn: doctor fails what the client would not use (a
/// password of the user's sent instead, a `default-keyring` that bypasses ecluse-cred's
/// backend, a token variable nothing exports, a plugin that is not this ecluse-cred's), and
/// passes each once it is as setup wrote it.
#[test]
fn doctor_fails_what_poetry_twine_maven_and_yarn_would_not_use() {
    let url = "https://pkgs.example.com/repo/";
    let sb = Sandbox::new(&format!("username = \"aws\"\nurls = [\"{url}\"]"));
    let home = sb.dir.path().to_owned();
    let env = |cmd: &mut std::process::Command| {
        cmd.env(
            "JAVA_TOOL_OPTIONS",
            format!("-Duser.home={}", home.display()),
        )
        .env_remove("MAVEN_OPTS")
        .env_remove("MAVEN_SKIP_RC")
        .env_remove("POETRY_CONFIG_DIR")
        .env_remove("PYTHON_KEYRING_BACKEND")
        .env_remove("YARN_RC_FILENAME")
        .env_remove("YARN_PLUGINS");
    };
    for client in ["poetry", "twine", "maven", "yarn"] {
        let out = sb
            .cmd(&["setup", client, "--url", url])
            .configure(env)
            .output();
        assert!(out.status.success(), "setup {client}: {}", stderr(&out));
    }
    let verdicts = |extra: &[(&str, &str)]| {
        let out = sb
            .cmd(&["doctor", "--url", url, "--format", "json"])
            .configure(env)
            .configure(|c| {
                for (k, v) in extra {
                    c.env(k, v);
                }
            })
            .output();
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        ["poetry", "twine", "maven", "yarn"].map(|c| {
            let found = v
                .as_array()
                .unwrap()
                .iter()
                .find(|x| {
                    x["check"]
                        .as_str()
                        .is_some_and(|n| n.starts_with(&format!("client {c} ")))
                })
                .unwrap_or_else(|| panic!("no check for {c}: {v}"));
            (
                found["status"].as_str().unwrap().to_owned(),
                found["detail"].as_str().unwrap().to_owned(),
            )
        })
    };
    for (status, detail) in verdicts(&[]) {
        assert_eq!(status, "ok", "{detail}");
    }
    // Each broken the way a user could, one at a time.
    let rc = home.join(".config/python_keyring/keyringrc.cfg");
    let rc_text = fs::read_to_string(&rc).unwrap();
    fs::write(
        &rc,
        rc_text.replace(
            "keyring.backends.chainer.ChainerBackend",
            "keyrings.alt.file.PlaintextKeyring",
        ),
    )
    .unwrap();
    let [poetry, twine, ..] = verdicts(&[]);
    for (status, detail) in [poetry, twine] {
        assert_eq!(status, "fail");
        assert!(
            detail.ends_with(
                ":3: default-keyring = keyrings.alt.file.PlaintextKeyring: keyring asks only that backend, never ecluse-cred's"
            ),
            "{detail}"
        );
    }
    fs::write(&rc, &rc_text).unwrap();
    let pypirc = home.join(".pypirc");
    let pypirc_text = fs::read_to_string(&pypirc).unwrap();
    let section = "[demo]\n";
    assert!(pypirc_text.contains(section), "{pypirc_text}");
    fs::write(
        &pypirc,
        pypirc_text.replace(section, "[demo]\npassword = hunter2\n"),
    )
    .unwrap();
    let [_, twine, ..] = verdicts(&[]);
    assert_eq!(
        twine,
        (
            "fail".to_owned(),
            "[demo] has a password, which twine sends instead of asking keyring".to_owned()
        )
    );
    fs::write(&pypirc, &pypirc_text).unwrap();
    let [_, _, maven, _] = verdicts(&[("MAVEN_SKIP_RC", "1")]);
    assert_eq!(maven.0, "fail");
    assert!(maven.1.starts_with("MAVEN_SKIP_RC is set"), "{}", maven.1);
    let mavenrc = home.join(".mavenrc");
    let mavenrc_text = fs::read_to_string(&mavenrc).unwrap();
    fs::remove_file(&mavenrc).unwrap();
    let [_, _, maven, _] = verdicts(&[]);
    assert_eq!(
        maven,
        (
            "fail".to_owned(),
            "its password is ${env.ECLUSE_MAVEN_TOKEN_ECLUSE_DEMO}, which ~/.mavenrc does not export"
                .to_owned()
        )
    );
    fs::write(&mavenrc, mavenrc_text).unwrap();
    let plugin = home.join(".local/share/ecluse-cred/yarn/plugin-ecluse-cred.cjs");
    let plugin_text = fs::read_to_string(&plugin).unwrap();
    fs::write(&plugin, plugin_text.replace("ecluse-cred", "other-helper")).unwrap();
    let [.., yarn] = verdicts(&[]);
    assert_eq!(yarn.0, "fail");
    assert!(
        yarn.1.contains("not the plugin this ecluse-cred"),
        "{}",
        yarn.1
    );
    fs::write(&plugin, plugin_text).unwrap();
    for (status, detail) in verdicts(&[]) {
        assert_eq!(status, "ok", "{detail}");
    }
}
