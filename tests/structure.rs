//! The structure the README's development section describes, checked so that it cannot drift:
//! the modules of `src/` use only modules of lower layers (no import loop, nothing pointing
//! back up), and the serving package depends on none of the cloud SDKs, which live in the
//! `ecluse-cred-cloud` crate that only the `ecluse-cred-mint` package uses.

mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::tools::{self, Tool};

/// The layers, lowest first. A module may use the modules of the layers below its own.
const LAYERS: &[&[&str]] = &[
    // The mint contract, secrets and what may be shown of them (`ecluse-cred-contract`).
    &["mint", "secret", "redact"],
    &["log", "process"],
    &["error"],
    // File system operations (private atomic writes, non-blocking reads, the user's files).
    &["files", "ini"],
    // What several front-ends and commands write: token output formats, shim links, .npmrc.
    &["ci", "shims", "npmrc"],
    &["policy", "request", "cloud_hosts"],
    &["config"],
    &["cache", "resolve"],
    &["backend"],
    &["engine", "background"],
    &["context"],
    &["protocol"],
    &["cli"],
    &["setup"],
    &["doctor"],
    // One file per command; a client's shim name runs the same command.
    &["commands"],
    // The one dispatch table.
    &["dispatch"],
];

/// Test support that may use anything: not part of the layering.
const OUTSIDE: &[&str] = &["fuzzing", "lib", "main", "engine_tests"];

fn layer(module: &str) -> Option<usize> {
    LAYERS.iter().position(|l| l.contains(&module))
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The top-level module a file of `src/` belongs to (`src/protocol/git.rs` -> `protocol`).
fn module_of(src: &Path, file: &Path) -> String {
    let rel = file.strip_prefix(src).unwrap();
    let first = rel
        .components()
        .next()
        .unwrap()
        .as_os_str()
        .to_string_lossy();
    first.trim_end_matches(".rs").to_owned()
}

/// The top-level modules `text` refers to as `crate::NAME` in code (tests and comments, where a
/// doc link may point anywhere, excluded).
fn uses(text: &str) -> BTreeSet<String> {
    let code: String = text
        .split("#[cfg(test)]")
        .next()
        .unwrap_or("")
        .lines()
        .filter(|l| !l.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n");
    let mut found = BTreeSet::new();
    for piece in code.split("crate::").skip(1) {
        let name: String = piece
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        // `crate::event!` is the logging macro.
        found.insert(if name == "event" {
            "log".to_owned()
        } else {
            name
        });
    }
    found
}

#[test]
fn modules_use_only_modules_of_lower_layers() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut edges = Vec::new();
    for file in &files {
        if file.starts_with(src.join("bin")) {
            continue;
        }
        let module = module_of(&src, file);
        if OUTSIDE.contains(&module.as_str()) {
            continue;
        }
        let own = layer(&module)
            .unwrap_or_else(|| panic!("{}: module `{module}` has no layer", file.display()));
        for used in uses(&std::fs::read_to_string(file).unwrap()) {
            if used == module {
                continue;
            }
            let theirs = layer(&used).unwrap_or_else(|| {
                panic!(
                    "{}: uses `crate::{used}`, which has no layer",
                    file.display()
                )
            });
            if theirs >= own {
                edges.push(format!(
                    "{} ({module}, layer {own}) uses crate::{used} (layer {theirs})",
                    file.strip_prefix(&src).unwrap().display()
                ));
            }
        }
    }
    assert!(
        edges.is_empty(),
        "dependencies must point down:\n{}",
        edges.join("\n")
    );
}

/// Name prefixes of the crates only a cloud mint or the fleet tier needs: the SDKs, their HTTP
/// and TLS stacks, the async runtime, the store client (its crypto is `aws-lc`), and the cloud and fleet
/// crates themselves.
const CLOUD_CRATES: [&str; 9] = [
    "aws-",
    "google-",
    "tokio",
    "reqwest",
    "hyper",
    "rustls",
    "ecluse-cred-cloud",
    "redis",
    "ecluse-cred-fleet",
];

/// The crates `package` is built from (its normal dependencies, all the way down), as
/// `cargo tree` lists them; `None` when cargo cannot be run here.
fn normal_dependencies(cargo: &Path, package: &str) -> BTreeSet<String> {
    let out = Command::new(cargo)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["tree", "--offline", "--locked", "-e", "normal"])
        .args(["--prefix", "none", "--format", "{p}", "-p", package])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "cargo tree -p {package}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    text.lines()
        .filter_map(|line| line.split_whitespace().next())
        .map(str::to_owned)
        .collect()
}

fn cloud_crates(crates: &BTreeSet<String>) -> Vec<&str> {
    crates
        .iter()
        .map(String::as_str)
        .filter(|name| CLOUD_CRATES.iter().any(|cloud| name.starts_with(cloud)))
        .collect()
}

/// The crate boundary keeps the cloud out of the serving binary: `ecluse-cred` does not even
/// build a cloud SDK, an async runtime or an HTTP stack; `ecluse-cred-mint` does.
#[test]
fn the_serving_package_builds_no_cloud_crate_and_the_mint_helper_does() {
    let Some(cargo) = tools::need(Tool::Cargo) else {
        return;
    };
    let serving = normal_dependencies(&cargo, "ecluse-cred");
    assert!(
        serving.contains("ecluse-cred-contract"),
        "cargo tree lists no dependencies of ecluse-cred: {serving:?}"
    );
    let cloud = cloud_crates(&serving);
    assert!(
        cloud.is_empty(),
        "ecluse-cred depends on {cloud:?}: cloud code belongs in ecluse-cred-cloud, used by the ecluse-cred-mint package only"
    );
    // The same look finds them where they are: the check is not vacuous.
    let helper = normal_dependencies(&cargo, "ecluse-cred-mint");
    let cloud = cloud_crates(&helper);
    assert!(
        [
            "aws-",
            "tokio",
            "reqwest",
            "hyper",
            "ecluse-cred-cloud",
            "redis",
            "ecluse-cred-fleet"
        ]
        .iter()
        .all(|c| cloud.iter().any(|name| name.starts_with(c))),
        "ecluse-cred-mint should build the cloud crates, found {cloud:?}"
    );
}

/// Where the serving binary finds the mint helper, as an installed one does: next to itself.
/// `cargo test` at the workspace root builds it there (`mint/tests`).
fn mint_helper() -> PathBuf {
    Path::new(env!("CARGO_BIN_EXE_ecluse-cred")).with_file_name("ecluse-cred-mint")
}

/// `readelf` of the binary at `path` with `option`.
fn readelf(option: &str, path: &str) -> String {
    let out = Command::new("readelf")
        .args([option, path])
        .output()
        .unwrap();
    assert!(out.status.success(), "readelf {option} {path} failed");
    String::from_utf8(out.stdout).unwrap()
}

/// The serving binary starts without a dynamic loader (static PIE: no program interpreter, no
/// shared library needed) and keeps ASLR (position-independent, type `DYN`), and it runs;
/// build.rs and `.cargo/static-pie-gcc` make it so. The mint helper stays dynamic, as DNS and
/// TLS want.
#[test]
#[cfg(all(target_arch = "x86_64", target_os = "linux", target_env = "gnu"))]
fn the_serving_binary_is_a_static_pie_and_the_mint_helper_is_not() {
    if tools::need(Tool::StaticGlibc).is_none() {
        return;
    }
    let exe = env!("CARGO_BIN_EXE_ecluse-cred");
    let headers = readelf("-lW", exe);
    assert!(
        headers.contains("Elf file type is DYN"),
        "ecluse-cred is not position-independent:\n{headers}"
    );
    assert!(
        !headers.contains("INTERP") && !headers.contains("Requesting program interpreter"),
        "ecluse-cred is linked dynamically (it names a program interpreter):\n{headers}"
    );
    let dynamic = readelf("-dW", exe);
    assert!(
        !dynamic.contains("(NEEDED)"),
        "ecluse-cred needs shared libraries:\n{dynamic}"
    );
    let version = Command::new(exe).arg("--version").output().unwrap();
    assert!(
        version.status.success(),
        "ecluse-cred --version: {version:?}"
    );
    let helper = mint_helper();
    let built = helper.exists();
    if !tools::skip_unless(
        built,
        "mint-helper",
        "run `cargo test` at the workspace root, which builds ecluse-cred-mint",
    ) {
        return;
    }
    let helper = readelf("-lW", &helper.display().to_string());
    assert!(
        helper.contains("INTERP"),
        "ecluse-cred-mint should stay dynamically linked:\n{helper}"
    );
}

/// `.cargo/static-pie-gcc` makes the same static PIE whether the link's arguments come on the
/// command line or in an `@FILE` (as rustc passes them when they are too long): a link line
/// asking for `-static-pie` left as rustc writes it succeeds and gives a binary that crashes at
/// start. The arguments are rustc's for a dynamic glibc link, plus `-static-pie`.
#[test]
#[cfg(all(target_arch = "x86_64", target_os = "linux", target_env = "gnu"))]
fn the_linker_wrapper_links_a_working_static_pie_from_a_response_file_too() {
    if tools::need(Tool::StaticGlibc).is_none() {
        return;
    }
    let wrapper = Path::new(env!("CARGO_MANIFEST_DIR")).join(".cargo/static-pie-gcc");
    let dir = tempfile::tempdir().unwrap();
    let path = |name: &str| dir.path().join(name).display().to_string();
    std::fs::write(path("main.c"), "int main(void) { return 7; }\n").unwrap();
    let compiled = Command::new("cc")
        .args(["-c", "-fPIE", &path("main.c"), "-o", &path("main.o")])
        .status()
        .unwrap();
    assert!(compiled.success());
    let link = |out: &str| {
        vec![
            "-pie".to_owned(),
            path("main.o"),
            "-Wl,-Bdynamic".to_owned(),
            "-lgcc_s".to_owned(),
            "-lc".to_owned(),
            "-static-pie".to_owned(),
            "-o".to_owned(),
            path(out),
        ]
    };
    std::fs::write(path("args"), link("from-file").join("\n") + "\n").unwrap();
    for (out, args) in [
        ("direct", link("direct")),
        ("from-file", vec![format!("@{}", path("args"))]),
    ] {
        let linked = Command::new(&wrapper).args(&args).output().unwrap();
        assert!(linked.status.success(), "{out}: {linked:?}");
        let ran = Command::new(path(out)).status().unwrap();
        assert_eq!(ran.code(), Some(7), "{out}: the linked program crashed");
        let headers = readelf("-lW", &path(out));
        assert!(!headers.contains("INTERP"), "{out}:\n{headers}");
    }
}
