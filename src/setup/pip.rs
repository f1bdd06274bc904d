//! `setup pip`: the user's `pip.conf` (`$XDG_CONFIG_HOME/pip/pip.conf`, or the file
//! `PIP_CONFIG_FILE` names, which pip then reads instead), `[global]` section:
//! `index-url` (or `extra-index-url` with `--extra`) with the target's username in the URL, which
//! pip up to 26.1 needs before it asks a keyring, and `keyring-provider = subprocess`; and the
//! `keyring` shim on PATH. A key the user set already is kept if it says the same, and is a
//! refusal if it says otherwise: setup never silently replaces someone's index.

use super::{Edit, MARKER, Plan, Shim, Wiring, config_home, file, unparsable, without_block};
use crate::error::{Error, Result};
use crate::request::Request;

pub(crate) fn pip_conf() -> Result<std::path::PathBuf> {
    if let Some(path) = super::env_path("PIP_CONFIG_FILE")
        && path != std::path::Path::new("/dev/null")
    {
        return Ok(path);
    }
    Ok(config_home()?.join("pip").join("pip.conf"))
}

/// The index URL with the username pip sends to the keyring (`https://aws@host/...`).
pub(crate) fn with_username(url: &str, username: Option<&str>) -> String {
    match (username, url.split_once("://")) {
        (Some(user), Some((scheme, rest))) => {
            format!("{scheme}://{}@{rest}", crate::redact::form_urlencode(user))
        }
        _ => url.to_owned(),
    }
}

/// An INI file's lines as pip's configparser reads them; anything else is an error.
fn check(path: &std::path::Path, text: &str) -> Result<()> {
    match crate::ini::bad_line(text) {
        Some(line) => Err(unparsable(
            path,
            line,
            "not a `key = value` line of an INI file",
        )),
        None => Ok(()),
    }
}

/// pip's spelling of a key: case and `_` do not matter to it (`index_url` is `index-url`).
fn normal(key: &str) -> String {
    key.trim().to_ascii_lowercase().replace('_', "-")
}

/// The value of `key` in `[global]`, with its line number.
fn global_value<'a>(text: &'a str, key: &str) -> Option<(usize, &'a str)> {
    let mut in_global = false;
    for (n, line) in text.lines().enumerate() {
        let t = line.trim();
        if t.starts_with('[') {
            in_global = t == "[global]";
            continue;
        }
        if !in_global || t.starts_with(['#', ';']) {
            continue;
        }
        if let Some((k, v)) = t.split_once(['=', ':'])
            && normal(k) == key
        {
            return Some((n + 1, v.trim()));
        }
    }
    None
}

/// Whether `line` is `key = value`.
fn is_line(line: &str, key: &str, value: &str) -> bool {
    line.split_once(['=', ':'])
        .is_some_and(|(k, v)| normal(k) == key && v.trim() == value)
}

/// `text` with `line` added at the end of its `[global]` section, after a marker naming `name`.
fn add_to_global(text: &str, name: &str, line: &str) -> String {
    crate::ini::add_to_section(text, "global", &format!("# {MARKER} {name}"), line)
}

/// Markers for what all registries wired into pip share: a `[global]` section setup created,
/// and `keyring-provider`. They go with the last registry's `--undo`.
const GLOBAL: &str = "[global]";
const PROVIDER: &str = "keyring-provider";

/// `text` without setup's `[global]` header, if the section is empty now (else the user's keys
/// below it would fall into the section above).
fn without_empty_global(text: &str) -> String {
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    let marker = format!("# {MARKER} {GLOBAL}");
    let Some(at) = lines.iter().position(|l| l.trim_end() == marker) else {
        return text.to_owned();
    };
    let empty = lines[at + 2..]
        .iter()
        .map(|l| l.trim())
        .find(|l| !l.is_empty())
        .is_none_or(|l| l.starts_with('['));
    if !empty || lines.get(at + 1).is_none_or(|l| l.trim() != GLOBAL) {
        return text.to_owned();
    }
    [&lines[..at], &lines[at + 2..]].concat().concat()
}

/// Whether `url` names a user (`https://USER@host/...`), which pip up to 26.1 needs to ask the
/// keyring instead of prompting.
pub(crate) fn names_user(url: &str) -> bool {
    url.split_once("://")
        .map(|(_, rest)| rest.split(['/', '?', '#']).next().unwrap_or(""))
        .and_then(|authority| authority.rsplit_once('@'))
        .is_some_and(|(userinfo, _)| !userinfo.split(':').next().unwrap_or("").is_empty())
}

/// The first pip that reads `keyring-provider` (pip 23.1), which setup writes: `subprocess`
/// makes it run the `keyring` program (the shim) whatever its Python can import.
pub(crate) const KEYRING_PROVIDER_SINCE: (u32, u32) = (23, 1);
/// The first pip that runs a `keyring` program at all (pip 23.0, Debian 12's own): it ignores
/// `keyring-provider`, and runs the program only when its Python cannot import the keyring
/// module (which would answer instead, from its own backends). An older pip never asks it.
pub(crate) const KEYRING_PROGRAM_SINCE: (u32, u32) = (23, 0);

/// The version of the `pip` on PATH (`pip --version`: `pip 23.0.1 from ...`), if it answers.
pub(crate) fn pip_version() -> Option<(u32, u32)> {
    let mut cmd = std::process::Command::new("pip");
    cmd.arg("--version");
    let out = crate::process::run_command(
        cmd,
        None,
        crate::process::CLIENT_TOOL_TIMEOUT,
        crate::process::CLIENT_TOOL_MAX_STDOUT,
    )
    .ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    let version = text.strip_prefix("pip ")?.split_whitespace().next()?;
    // A pre-release (`23.1b1`) counts as its release.
    let mut parts = version.split('.').map(|p| {
        p.chars()
            .take_while(char::is_ascii_digit)
            .collect::<String>()
            .parse::<u32>()
            .ok()
    });
    Some((parts.next()??, parts.next()?.unwrap_or(0)))
}

/// How the `pip` on PATH takes what setup writes, when not as intended.
pub(crate) enum PipKeyring {
    /// It never asks a keyring program: what setup writes does nothing for it.
    Never(String),
    /// It asks the `keyring` program only when its Python cannot import the keyring module.
    WithoutModule(String),
}

/// Why the `pip` on PATH will not (or may not) use what setup writes; `None` when it will, or
/// when there is no pip on PATH to ask.
pub(crate) fn pip_keyring() -> Option<PipKeyring> {
    let (major, minor) = pip_version()?;
    let since = |(major, minor): (u32, u32)| format!("{major}.{minor}");
    if (major, minor) < KEYRING_PROGRAM_SINCE {
        return Some(PipKeyring::Never(format!(
            "the `pip` on PATH is pip {major}.{minor}, which never runs a `keyring` program (pip {} added that) and so never asks ecluse-cred: upgrade it (`python3 -m pip install --upgrade pip` in a venv) or use a venv's newer pip",
            since(KEYRING_PROGRAM_SINCE)
        )));
    }
    ((major, minor) < KEYRING_PROVIDER_SINCE).then(|| {
        PipKeyring::WithoutModule(format!(
            "the `pip` on PATH is pip {major}.{minor}, which ignores keyring-provider (pip {} added it): it runs the `keyring` shim only while its Python cannot import the keyring module (Debian: python3-keyring not installed), which would answer from its own backends instead",
            since(KEYRING_PROVIDER_SINCE)
        ))
    })
}

pub(super) fn plan(w: &Wiring<'_>) -> Result<Plan> {
    let path = file(w.args, pip_conf)?;
    // pip up to 26.1 asks the keyring only for a URL with a user in it, and prompts otherwise:
    // the target's user, else the one the keyring answers when none is configured.
    let user = w
        .target
        .username
        .as_deref()
        .unwrap_or(crate::protocol::DEFAULT_USERNAME);
    let index = with_username(w.url, Some(user));
    Request::url(&index)?;
    let key = if w.args.extra {
        "extra-index-url"
    } else {
        "index-url"
    };
    let edit = Edit::of(path.clone(), false, |old| {
        check(&path, old)?;
        // Setup's line for this URL, as written now or (without a user) by an older setup.
        let mut text = without_block(old, "#", w.url, |l| {
            [index.as_str(), w.url]
                .iter()
                .any(|url| is_line(l, "index-url", url) || is_line(l, "extra-index-url", url))
        });
        if w.args.undo {
            if !super::has_block(&text, "#", "http") {
                text = without_block(&text, "#", PROVIDER, |l| is_line(l, PROVIDER, "subprocess"));
                text = without_empty_global(&text);
            }
            return Ok(text);
        }
        if !text.lines().any(|l| l.trim() == "[global]") {
            text = super::with_block(&text, "#", GLOBAL, "[global]\n");
        }
        for (k, v, name) in [
            (PROVIDER, "subprocess", PROVIDER),
            (key, index.as_str(), w.url),
        ] {
            match global_value(&text, k) {
                Some((_, existing)) if existing == v => {}
                Some((line, _)) => {
                    return Err(Error::config(format!(
                        "{}:{line}: `{k}` is already set there to something else; setup does not replace it{}",
                        path.display(),
                        if k == "index-url" {
                            " (pass --extra to add this registry as an extra index)"
                        } else {
                            ""
                        }
                    )));
                }
                None => text = add_to_global(&text, name, &format!("{k} = {v}\n")),
            }
        }
        Ok(text)
    })?;
    Ok(Plan {
        edits: vec![edit],
        shim: Some(Shim::OnPath(crate::shims::KEYRING)),
        links: Vec::new(),
        done: format!("pip: {key} {} through the keyring shim", w.url),
        next: "pip install NAME".to_owned(),
        notes: Vec::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_go_at_the_end_of_the_global_section_and_undo_takes_out_only_them() {
        let text = "[global]\ntimeout = 60\n\n[install]\nuser = true\n";
        let added = add_to_global(text, "https://h/", "index-url = https://h/\n");
        assert_eq!(
            added,
            format!(
                "[global]\ntimeout = 60\n# {MARKER} https://h/\nindex-url = https://h/\n\n[install]\nuser = true\n"
            )
        );
        let ours = |l: &str| is_line(l, "index-url", "https://h/");
        assert_eq!(without_block(&added, "#", "https://h/", ours), text);
        // A line the user added right below the block stays.
        let mine = added.replace(
            "index-url = https://h/\n",
            "index-url = https://h/\nretries = 3\n",
        );
        assert!(without_block(&mine, "#", "https://h/", ours).contains("retries = 3"));
    }
}
