//! The keyring backend that Poetry, twine, PDM and Hatch load in-process (they import the
//! `keyring` library and never run a `keyring` program, as pip and uv do): what every one of
//! their setups installs.
//!
//! The backend is `python/ecluse_cred_keyring.py`, built into this executable: setup writes it,
//! with the absolute path of this executable in it, into ecluse-cred's data directory
//! (`python/` under [`data_home`](super::data_home)) beside an `ecluse_cred_keyring.dist-info`
//! whose entry point registers it, and makes keyring look there: `keyring-path` in the user's
//! `keyringrc.cfg` (`$XDG_CONFIG_HOME/python_keyring/`), which every keyring-using tool of the
//! user reads, whatever virtualenv it lives in. `default-keyring` names keyring's chainer, which
//! asks every backend (ecluse-cred's first, for the URLs its targets serve) and so keeps the
//! user's other keyrings answering the rest; without a `default-keyring` keyring would warn
//! that the file's `[backend]` is incomplete. A `default-keyring` the user chose is never
//! replaced: setup refuses, naming it.
//!
//! These files are shared by the four clients' setups: `--undo` of one takes them out only
//! when no other setup still uses them (see [`record::others_wired`](super::record)).

use std::path::{Path, PathBuf};

use super::{Edit, MARKER, Plan, Wiring, config_home, data_home, record, unparsable};
use crate::error::{Error, Result};

/// The backend's source, as the repository has it.
const MODULE: &str = include_str!("../../python/ecluse_cred_keyring.py");

/// The line of [`MODULE`] that setup rewrites with this executable's absolute path.
const EXECUTABLE_LINE: &str = "EXECUTABLE = \"ecluse-cred\"";

/// The module's name, as the entry point and `import` know it.
const MODULE_NAME: &str = "ecluse_cred_keyring";

/// keyring's chainer: asks every viable backend in turn, ecluse-cred's among them.
pub(crate) const CHAINER: &str = "keyring.backends.chainer.ChainerBackend";

/// The name setup's marker gives what it adds to `keyringrc.cfg`.
const MARKER_NAME: &str = "keyring backend";

/// keyring's config file, as keyring finds it: `$XDG_CONFIG_HOME/python_keyring/keyringrc.cfg`
/// (keyring has no variable of its own that moves it).
pub(crate) fn keyringrc() -> Result<PathBuf> {
    Ok(config_home()?.join("python_keyring").join("keyringrc.cfg"))
}

/// Where setup puts the backend: the directory `keyring-path` names.
pub(crate) fn backend_dir() -> Result<PathBuf> {
    Ok(data_home()?.join("python"))
}

/// The backend module with `exe` as the executable it runs.
fn module_text(exe: &Path) -> Result<String> {
    let exe = exe.to_str().ok_or_else(|| {
        Error::config(format!(
            "{} is not UTF-8: the keyring backend cannot name it",
            exe.display()
        ))
    })?;
    // A JSON string is a Python string literal too.
    let literal = serde_json::to_string(exe).expect("a string serializes");
    Ok(MODULE.replacen(EXECUTABLE_LINE, &format!("EXECUTABLE = {literal}"), 1))
}

/// The files of the backend, under `dir`: the module and the `.dist-info` that registers it
/// with keyring (`keyring.backends` entry point).
fn backend_files(dir: &Path, exe: &Path) -> Result<Vec<(PathBuf, String)>> {
    let info = dir.join(format!("{MODULE_NAME}.dist-info"));
    Ok(vec![
        (dir.join(format!("{MODULE_NAME}.py")), module_text(exe)?),
        (
            info.join("METADATA"),
            format!(
                "Metadata-Version: 2.1\nName: ecluse-cred-keyring\nVersion: {}\nSummary: Registry tokens from ecluse-cred for keyring\n",
                env!("CARGO_PKG_VERSION")
            ),
        ),
        (
            info.join("entry_points.txt"),
            format!("[keyring.backends]\necluse-cred = {MODULE_NAME}\n"),
        ),
    ])
}

/// The plan of a keyring-library client: `edit` (its own config), then the backend's edits.
pub(super) fn plan(w: &Wiring<'_>, edit: Edit, done: String, next: String) -> Result<Plan> {
    let backend = edits(w, &edit)?;
    Ok(Plan {
        edits: std::iter::once(edit).chain(backend).collect(),
        shim: None,
        links: Vec::new(),
        done,
        next,
        notes: Vec::new(),
    })
}

/// The edits that install the backend (or, with `--undo`, take it out when no other setup
/// still uses it) for the client `w` wires into the file `main` edits.
pub(super) fn edits(w: &Wiring<'_>, main: &Edit) -> Result<Vec<Edit>> {
    let key = record::key(w.args.client, w.url, &main.path);
    // Undo leaves it while another setup uses it, or while the client's own config still
    // names the registry (an undo that found nothing to take out there: another --registry).
    let still_wired = main
        .after
        .as_deref()
        .is_some_and(|t| super::has_block(t, "#", w.url));
    let keep = |path: &Path| w.args.undo && (still_wired || record::others_wired(path, &key));
    let dir = backend_dir()?;
    let mut edits = Vec::new();
    for (path, text) in backend_files(&dir, w.exe)? {
        let keep = keep(&path);
        edits.push(Edit::of(path, false, |old| {
            Ok(match (w.args.undo, keep) {
                (true, true) => old.to_owned(),
                (true, false) => String::new(),
                (false, _) => text,
            })
        })?);
    }
    let rc = keyringrc()?;
    let keep = keep(&rc);
    edits.push(Edit::of(rc.clone(), false, |old| {
        if keep {
            return Ok(old.to_owned());
        }
        keyringrc_text(&rc, old, &dir, w.args.undo)
    })?);
    Ok(edits)
}

/// `keyringrc.cfg` with (or, on undo, without) what setup adds: `default-keyring` (keyring's
/// chainer) and `keyring-path` (`dir`) in `[backend]`.
fn keyringrc_text(path: &Path, old: &str, dir: &Path, undo: bool) -> Result<String> {
    if let Some(line) = crate::ini::bad_line(old) {
        return Err(unparsable(
            path,
            line,
            "not a `key = value` line of an INI file",
        ));
    }
    let dir = dir.to_str().ok_or_else(|| {
        Error::config(format!(
            "{} is not UTF-8: keyring cannot be pointed at it",
            dir.display()
        ))
    })?;
    let ours = |l: &str| {
        let l = l.trim();
        l == "[backend]"
            || is_line(l, "default-keyring", CHAINER)
            || is_line(l, "keyring-path", dir)
    };
    let text = super::without_block(old, "#", MARKER_NAME, ours);
    if undo {
        return Ok(text);
    }
    let wanted = [("default-keyring", CHAINER), ("keyring-path", dir)];
    let mut missing = String::new();
    for (key, value) in wanted {
        match value_of(&text, key) {
            Some((_, v)) if v == value => {}
            Some((line, v)) => {
                let why = if key == "default-keyring" {
                    format!(
                        "keyring then asks only {v} and never ecluse-cred's backend: set it to {CHAINER}, which asks {v} too, or remove the line, and run setup again"
                    )
                } else {
                    "keyring reads only one keyring-path: remove the line (or move what is there), and run setup again".to_owned()
                };
                return Err(Error::config(format!(
                    "{}:{line}: `{key}` is already set to {v}; {why}",
                    path.display()
                )));
            }
            None => missing.push_str(&format!("{key} = {value}\n")),
        }
    }
    if missing.is_empty() {
        return Ok(text);
    }
    let marker = format!("# {MARKER} {MARKER_NAME}");
    if text.lines().any(|l| l.trim() == "[backend]") {
        return Ok(crate::ini::add_to_section(
            &text, "backend", &marker, &missing,
        ));
    }
    Ok(super::with_block(
        &text,
        "#",
        MARKER_NAME,
        &format!("[backend]\n{missing}"),
    ))
}

/// Whether `line` is `key = value` (configparser's `:` too; keys case-insensitive).
fn is_line(line: &str, key: &str, value: &str) -> bool {
    line.split_once(['=', ':'])
        .is_some_and(|(k, v)| k.trim().eq_ignore_ascii_case(key) && v.trim() == value)
}

/// The value of `key` in `[backend]`, with its 1-based line.
fn value_of<'a>(text: &'a str, key: &str) -> Option<(usize, &'a str)> {
    let mut inside = false;
    let mut found = None;
    for (n, line) in text.lines().enumerate() {
        let t = line.trim();
        if t.starts_with('[') {
            inside = t == "[backend]";
        } else if inside
            && !t.starts_with(['#', ';'])
            && let Some((k, v)) = t.split_once(['=', ':'])
            && k.trim().eq_ignore_ascii_case(key)
        {
            // configparser keeps the last one.
            found = Some((n + 1, v.trim()));
        }
    }
    found
}

/// A Python package repository's two URLs, from the one setup is given: the repository (where
/// twine, Poetry, PDM and Hatch upload) and its PEP 503 index (`simple/` under it, where
/// installers read). A URL ending in `simple/` is the index.
pub(crate) fn repository_and_index(url: &str) -> (String, String) {
    let base = url.trim_end_matches('/');
    match base.strip_suffix("/simple") {
        Some(repository) => (format!("{repository}/"), format!("{base}/")),
        None => (format!("{base}/"), format!("{base}/simple/")),
    }
}

/// What doctor reports about the backend for a keyring-library client, `None` when it is in
/// place: `keyringrc.cfg` names the chainer and the backend's directory, and the module there
/// runs this executable.
pub(crate) fn problem(exe: &Path) -> Option<String> {
    let rc = keyringrc().ok()?;
    let dir = backend_dir().ok()?;
    let text = std::fs::read_to_string(&rc).unwrap_or_default();
    let dir_text = dir.to_string_lossy();
    match (
        value_of(&text, "default-keyring"),
        value_of(&text, "keyring-path"),
    ) {
        (Some((_, d)), Some((_, p))) if d == CHAINER && p == dir_text => {}
        (Some((line, d)), _) if d != CHAINER => {
            return Some(format!(
                "{}:{line}: default-keyring = {d}: keyring asks only that backend, never ecluse-cred's",
                rc.display()
            ));
        }
        _ => {
            return Some(format!(
                "{} does not point keyring at ecluse-cred's backend (keyring-path = {dir_text})",
                rc.display()
            ));
        }
    }
    let module = dir.join(format!("{MODULE_NAME}.py"));
    match (std::fs::read_to_string(&module), module_text(exe)) {
        (Ok(have), Ok(want)) if have == want => None,
        (Ok(_), _) => Some(format!(
            "{} is not the backend this ecluse-cred ({}) writes (an older one, or another executable's)",
            module.display(),
            exe.display()
        )),
        (Err(_), _) => Some(format!("{} is missing", module.display())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_repository_and_its_index_come_from_either() {
        for url in [
            "https://h/pypi/r/",
            "https://h/pypi/r",
            "https://h/pypi/r/simple/",
            "https://h/pypi/r/simple",
        ] {
            assert_eq!(
                repository_and_index(url),
                (
                    "https://h/pypi/r/".to_owned(),
                    "https://h/pypi/r/simple/".to_owned()
                ),
                "{url}"
            );
        }
        // Only a whole last segment named `simple`.
        assert_eq!(
            repository_and_index("https://h/notsimple/").0,
            "https://h/notsimple/"
        );
    }

    #[test]
    fn the_module_names_the_executable_setup_writes_into_it() {
        assert_eq!(MODULE.matches(EXECUTABLE_LINE).count(), 1);
        let text = module_text(Path::new("/opt/e \"x\"/ecluse-cred")).unwrap();
        assert!(
            text.contains("EXECUTABLE = \"/opt/e \\\"x\\\"/ecluse-cred\"\n"),
            "{text}"
        );
        assert!(!text.contains(EXECUTABLE_LINE));
    }

    #[test]
    fn keyringrc_gets_the_chainer_and_the_path_and_undo_gives_the_file_back() {
        let dir = Path::new("/d/python");
        let rc = Path::new("/c/keyringrc.cfg");
        let added = keyringrc_text(rc, "", dir, false).unwrap();
        assert_eq!(
            added,
            format!(
                "# {MARKER} keyring backend\n[backend]\ndefault-keyring = {CHAINER}\nkeyring-path = /d/python\n"
            )
        );
        assert_eq!(keyringrc_text(rc, &added, dir, false).unwrap(), added);
        assert_eq!(keyringrc_text(rc, &added, dir, true).unwrap(), "");
        // The user's [backend] with the chainer already: only the path is added, and only it
        // goes on undo.
        let mine = format!("[backend]\ndefault-keyring = {CHAINER}\n\n[other]\nx = 1\n");
        let added = keyringrc_text(rc, &mine, dir, false).unwrap();
        assert_eq!(
            added,
            format!(
                "[backend]\ndefault-keyring = {CHAINER}\n# {MARKER} keyring backend\nkeyring-path = /d/python\n\n[other]\nx = 1\n"
            )
        );
        assert_eq!(keyringrc_text(rc, &added, dir, true).unwrap(), mine);
    }

    #[test]
    fn a_default_keyring_or_path_of_the_users_is_refused_by_line() {
        let dir = Path::new("/d/python");
        let rc = Path::new("/c/keyringrc.cfg");
        let e = keyringrc_text(
            rc,
            "[backend]\ndefault-keyring = keyrings.alt.file.PlaintextKeyring\n",
            dir,
            false,
        )
        .unwrap_err();
        assert!(
            e.message.starts_with("/c/keyringrc.cfg:2: `default-keyring` is already set to keyrings.alt.file.PlaintextKeyring"),
            "{}",
            e.message
        );
        let e =
            keyringrc_text(rc, "[backend]\nkeyring-path = /elsewhere\n", dir, false).unwrap_err();
        assert!(e.message.contains(":2: `keyring-path`"), "{}", e.message);
        let e = keyringrc_text(rc, "[backend]\nnot ini\n", dir, false).unwrap_err();
        assert!(e.message.contains(":2:"), "{}", e.message);
    }
}
