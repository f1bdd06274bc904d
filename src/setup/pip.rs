//! `setup pip`: the user's `pip.conf` (`$XDG_CONFIG_HOME/pip/pip.conf`, or the file
//! `PIP_CONFIG_FILE` names, which pip then reads instead), `[global]` section:
//! `index-url` (or `extra-index-url` with `--extra`) with the target's username in the URL, which
//! pip up to 26.1 needs before it asks a keyring, and `keyring-provider = subprocess`; and the
//! `keyring` shim on PATH. A key the user set already is kept if it says the same, and is a
//! refusal if it says otherwise: setup never silently replaces someone's index.

use super::{Edit, MARKER, Plan, Wiring, config_home, file, unparsable, without_block};
use crate::error::{Error, Result};
use crate::resolve::Request;

pub(crate) fn pip_conf() -> Result<std::path::PathBuf> {
    if let Some(path) = super::env_path("PIP_CONFIG_FILE")
        && path != std::path::Path::new("/dev/null")
    {
        return Ok(path);
    }
    Ok(config_home()?.join("pip").join("pip.conf"))
}

/// The index URL with the username pip sends to the keyring (`https://aws@host/...`).
pub(super) fn with_username(url: &str, username: Option<&str>) -> String {
    match (username, url.split_once("://")) {
        (Some(user), Some((scheme, rest))) => {
            format!("{scheme}://{}@{rest}", crate::redact::form_urlencode(user))
        }
        _ => url.to_owned(),
    }
}

/// An INI file's lines as pip's configparser reads them: `[section]`, `key = value` (or
/// `key: value`), comments, blank lines and indented continuations. Anything else is an error.
fn check(path: &std::path::Path, text: &str) -> Result<()> {
    for (n, line) in text.lines().enumerate() {
        let t = line.trim();
        let ok = t.is_empty()
            || t.starts_with(['#', ';'])
            || (t.starts_with('[') && t.ends_with(']'))
            || line.starts_with([' ', '\t'])
            || t.contains(['=', ':']);
        if !ok {
            return Err(unparsable(
                path,
                n + 1,
                "not a `key = value` line of an INI file",
            ));
        }
    }
    Ok(())
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
        if !in_global {
            continue;
        }
        if let Some((k, v)) = t.split_once(['=', ':'])
            && k.trim() == key
        {
            return Some((n + 1, v.trim()));
        }
    }
    None
}

/// `text` with `lines` added at the end of its `[global]` section (after a marker), or in a new
/// `[global]` section at the end.
fn add_to_global(text: &str, url: &str, lines: &str) -> String {
    let marker = format!("# {MARKER} {url}\n");
    let all: Vec<&str> = text.split_inclusive('\n').collect();
    let start = all.iter().position(|l| l.trim() == "[global]");
    let Some(start) = start else {
        return super::with_block(text, "#", url, &format!("[global]\n{lines}"));
    };
    let end = all[start + 1..]
        .iter()
        .position(|l| l.trim().starts_with('['))
        .map_or(all.len(), |i| start + 1 + i);
    // Before the blank lines that end the section.
    let mut at = end;
    while at > start + 1 && all[at - 1].trim().is_empty() {
        at -= 1;
    }
    let mut out = all[..at].concat();
    if !out.ends_with('\n') {
        out.push('\n');
    }
    out.push_str(&marker);
    out.push_str(lines);
    out.push_str(&all[at..].concat());
    out
}

pub(super) fn plan(w: &Wiring<'_>) -> Result<Plan> {
    let path = file(w.args, pip_conf)?;
    let index = with_username(w.url, w.target.username.as_deref());
    Request::url(&index)?;
    let key = if w.args.extra {
        "extra-index-url"
    } else {
        "index-url"
    };
    let edit = Edit::of(path.clone(), false, |old| {
        check(&path, old)?;
        let rest = without_block(old, "#", w.url);
        if w.args.undo {
            return Ok(rest);
        }
        let mut lines = String::new();
        for (k, v) in [(key, index.as_str()), ("keyring-provider", "subprocess")] {
            match global_value(&rest, k) {
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
                None => lines.push_str(&format!("{k} = {v}\n")),
            }
        }
        if lines.is_empty() {
            return Ok(rest);
        }
        Ok(add_to_global(&rest, w.url, &lines))
    })?;
    Ok(Plan {
        edits: vec![edit],
        shim: Some(crate::protocol::shims::KEYRING),
        done: format!("pip: {key} {} through the keyring shim", w.url),
        next: "pip install NAME".to_owned(),
        notes: Vec::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_go_at_the_end_of_the_global_section() {
        let text = "[global]\ntimeout = 60\n\n[install]\nuser = true\n";
        assert_eq!(
            add_to_global(text, "https://h/", "index-url = https://h/\n"),
            format!(
                "[global]\ntimeout = 60\n# {MARKER} https://h/\nindex-url = https://h/\n\n[install]\nuser = true\n"
            )
        );
        let added = add_to_global("[install]\nuser = true\n", "https://h/", "a = b\n");
        assert!(added.ends_with(&format!("# {MARKER} https://h/\n[global]\na = b\n")));
        // And undo takes exactly that out again.
        assert_eq!(
            without_block(&added, "#", "https://h/"),
            "[install]\nuser = true\n"
        );
    }
}
