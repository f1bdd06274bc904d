//! `setup yarn` (Yarn 2 and later; Yarn 1 reads `.npmrc`: `setup npm`): Yarn reads
//! `.yarnrc.yml`, not `.npmrc`, and has no token-helper program, but a plugin's
//! `getNpmAuthenticationHeader` hook may give the `Authorization` header of any request to a
//! registry. Setup writes ecluse-cred's plugin (`yarn/plugin-ecluse-cred.cjs`, built into this
//! executable, with this executable's absolute path in it) into ecluse-cred's data directory,
//! and the user's home `.yarnrc.yml` (`$YARN_RC_FILENAME` renames it) gets:
//!
//! - `plugins:` naming that file (shared by every registry setup wires: it goes with the last);
//! - the registry: `npmRegistryServer` (or, with `--scope`, `npmScopes.SCOPE.npmRegistryServer`);
//! - `npmRegistries."URL".npmAlwaysAuth: true`, without which Yarn authenticates only scoped
//!   requests and publishes.
//!
//! No token is written: the plugin asks `ecluse-cred token --url` on each run, which answers
//! only a registry a target serves. YAML is edited as text between marker comments (the file
//! keeps every other line); a top-level key setup needs that the user wrote in flow style, or
//! with another value, is refused by line.

use std::path::{Path, PathBuf};

use super::{Edit, MARKER, Plan, Wiring, data_home, file, has_block, home, record, without_block};
use crate::error::{Error, Result};

/// The plugin's source, as the repository has it.
const PLUGIN: &str = include_str!("../../yarn/plugin-ecluse-cred.cjs");

/// The line of [`PLUGIN`] that setup rewrites with this executable's absolute path.
const EXECUTABLE_LINE: &str = "const EXECUTABLE = \"ecluse-cred\";";

/// The name of the marker over the `plugins:` entry every registry shares.
const PLUGIN_MARKER: &str = "yarn plugin";

/// The home `.yarnrc.yml`, as Yarn finds it.
pub(crate) fn yarnrc() -> Result<PathBuf> {
    let name = std::env::var("YARN_RC_FILENAME")
        .ok()
        .filter(|n| !n.is_empty() && !n.contains('/'))
        .unwrap_or_else(|| ".yarnrc.yml".to_owned());
    Ok(home()?.join(name))
}

/// Where setup writes the plugin.
pub(crate) fn plugin_path() -> Result<PathBuf> {
    Ok(data_home()?.join("yarn").join("plugin-ecluse-cred.cjs"))
}

/// The plugin with `exe` as the executable it runs.
pub(crate) fn plugin_text(exe: &Path) -> Result<String> {
    let exe = exe.to_str().ok_or_else(|| {
        Error::config(format!(
            "{} is not UTF-8: the Yarn plugin cannot name it",
            exe.display()
        ))
    })?;
    // A JSON string is a JavaScript string literal too.
    let literal = serde_json::to_string(exe).expect("a string serializes");
    Ok(PLUGIN.replacen(
        EXECUTABLE_LINE,
        &format!("const EXECUTABLE = {literal};"),
        1,
    ))
}

/// A YAML double-quoted scalar (JSON's strings are YAML's).
fn quoted(text: &str) -> String {
    serde_json::to_string(text).expect("a string serializes")
}

/// A top-level key of the file: its line index, and whether its value is a block below it
/// (nothing after the colon but maybe a comment).
fn top_key(lines: &[&str], key: &str) -> Option<(usize, bool)> {
    lines.iter().enumerate().find_map(|(i, l)| {
        let rest = l.strip_prefix(key)?.trim_start().strip_prefix(':')?;
        let rest = rest.trim();
        Some((i, rest.is_empty() || rest.starts_with('#')))
    })
}

/// The indentation of the first child line below top-level key line `at` (two spaces if none).
fn child_indent(lines: &[&str], at: usize) -> String {
    lines[at + 1..]
        .iter()
        .find(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#'))
        .filter(|l| l.starts_with([' ', '-']))
        .map_or("  ".to_owned(), |l| {
            l[..l.len() - l.trim_start_matches(' ').len()].to_owned()
        })
}

/// `text` with `children` (lines relative to the key, each ending in a newline) under the
/// top-level `key`, after a marker naming `name`: right below the key when the file has it as a
/// block, else as a new key at the end. A key in flow style (`key: [...]`) is refused by line.
fn add_under(path: &Path, text: &str, key: &str, children: &str, name: &str) -> Result<String> {
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    let marker = format!("# {MARKER} {name}\n");
    match top_key(&lines, key) {
        Some((at, true)) => {
            let indent = child_indent(&lines, at);
            // A sequence written flush with its key (`plugins:\n- x`) stays so.
            let flush = indent.is_empty();
            let block: String = children
                .lines()
                .map(|l| {
                    let l = l.strip_prefix("  ").unwrap_or(l);
                    if flush {
                        format!("{l}\n")
                    } else {
                        format!("{indent}{l}\n")
                    }
                })
                .collect();
            let mut out = lines[..=at].concat();
            if !out.ends_with('\n') {
                out.push('\n');
            }
            out.push_str(&marker);
            out.push_str(&block);
            out.push_str(&lines[at + 1..].concat());
            Ok(out)
        }
        Some((at, false)) => Err(Error::config(format!(
            "{}:{}: `{key}` is written in flow style on one line; setup adds to it only as a block (one entry a line below `{key}:`): rewrite it so, and run setup again",
            path.display(),
            at + 1
        ))),
        // A key setup makes is shared by every registry (its own marker): it goes when the
        // last of what setup put under it goes ([`without_empty_keys`]).
        None => add_under(
            path,
            &super::with_block(text, "#", &key_marker(key), &format!("{key}:\n")),
            key,
            children,
            name,
        ),
    }
}

/// The top-level keys setup may make, shared by every registry it wires.
const SHARED_KEYS: [&str; 3] = ["plugins", "npmRegistries", "npmScopes"];

/// The marker name of a top-level key setup made.
fn key_marker(key: &str) -> String {
    format!("yarn {key}")
}

/// `text` without the top-level keys setup made that hold nothing now (a key with an entry
/// below it, the user's or another registry's, stays).
fn without_empty_keys(text: &str) -> String {
    let mut text = text.to_owned();
    for key in SHARED_KEYS {
        let marker = format!("# {MARKER} {}", key_marker(key));
        let lines: Vec<&str> = text.split_inclusive('\n').collect();
        let Some(at) = lines.iter().position(|l| l.trim_end() == marker) else {
            continue;
        };
        // Empty: what follows is no entry (not indented, no marker of an entry), or the
        // next key setup made.
        let next_key = |l: &str| {
            SHARED_KEYS
                .iter()
                .any(|k| l.trim_end() == format!("# {MARKER} {}", key_marker(k)))
        };
        let empty = lines
            .get(at + 1)
            .is_some_and(|l| l.trim() == format!("{key}:"))
            && lines
                .get(at + 2)
                .is_none_or(|l| next_key(l) || !l.starts_with([' ', '\t', '-', '#']));
        if empty {
            text = [&lines[..at], &lines[at + 2..]].concat().concat();
        }
    }
    text
}

pub(super) fn plan(w: &Wiring<'_>) -> Result<Plan> {
    let path = file(w.args, yarnrc)?;
    let plugin = plugin_path()?;
    let plugin_text = plugin_text(w.exe)?;
    let plugin_str = plugin
        .to_str()
        .ok_or_else(|| Error::config(format!("{} is not UTF-8", plugin.display())))?;
    let registry = w.url.trim_end_matches('/');
    let scope = match &w.args.scope {
        Some(scope) => Some(
            crate::npmrc::scope_name(scope)?
                .trim_start_matches('@')
                .to_owned(),
        ),
        None => None,
    };
    let plugin_line = format!("  - path: {}", quoted(plugin_str));
    let server_line = format!("npmRegistryServer: {}", quoted(w.url));
    let scope_lines = scope.as_ref().map(|s| {
        (
            format!("  {}:", quoted(s)),
            format!("    npmRegistryServer: {}", quoted(w.url)),
        )
    });
    let registry_line = format!("  {}:", quoted(registry));
    let always = "    npmAlwaysAuth: true";
    // Every line setup writes for this registry (trimmed): what undo takes out below a marker.
    // Never a top-level key that others may share: those have markers of their own.
    let mut ours: Vec<String> = vec![
        server_line.clone(),
        registry_line.trim().to_owned(),
        always.trim().to_owned(),
    ];
    if let Some((a, b)) = &scope_lines {
        ours.push(a.trim().to_owned());
        ours.push(b.trim().to_owned());
    }
    let plugin_ours = [plugin_line.trim().to_owned()];
    let key = record::key(w.args.client, w.url, &path);
    let edit = Edit::of(path.clone(), false, |old| {
        let mut text = without_block(old, "#", w.url, |l| ours.iter().any(|o| o == l.trim()));
        let without_plugin = |text: &str| {
            without_block(text, "#", PLUGIN_MARKER, |l| {
                plugin_ours.iter().any(|o| o == l.trim())
            })
        };
        if w.args.undo {
            if !has_block(&text, "#", "http") {
                text = without_plugin(&text);
            }
            return Ok(without_empty_keys(&text));
        }
        // Taken out and added again below, so that a second run writes the same file.
        text = without_empty_keys(&without_plugin(&text));
        let lines: Vec<&str> = text.split_inclusive('\n').collect();
        // The registry itself.
        match (&scope_lines, top_key(&lines, "npmRegistryServer")) {
            (None, Some((at, _))) if lines[at].trim() != server_line => {
                return Err(Error::config(format!(
                    "{}:{}: `npmRegistryServer` is already set there to something else; setup does not replace it (pass --scope to use this registry for one scope)",
                    path.display(),
                    at + 1
                )));
            }
            (None, Some(_)) => {}
            (None, None) => {
                text = super::with_block(&text, "#", w.url, &format!("{server_line}\n"));
            }
            (Some((scope_key, scope_server)), _) => {
                if let Some((at, _)) = top_key(&lines, "npmScopes")
                    && lines[at..]
                        .iter()
                        .skip(1)
                        .take_while(|l| l.starts_with([' ', '#']) || l.trim().is_empty())
                        .any(|l| {
                            let t = l.trim();
                            t == scope_key.trim()
                                || t.strip_suffix(':').map(|k| k.trim_matches(['"', '\'']))
                                    == scope.as_deref()
                        })
                {
                    return Err(Error::config(format!(
                        "{}:{}: `npmScopes` already has the scope {}; setup does not replace it",
                        path.display(),
                        at + 1,
                        scope.as_deref().unwrap_or_default()
                    )));
                }
                text = add_under(
                    &path,
                    &text,
                    "npmScopes",
                    &format!("{scope_key}\n{scope_server}\n"),
                    w.url,
                )?;
            }
        }
        // Authenticate every request to it.
        let lines: Vec<&str> = text.split_inclusive('\n').collect();
        let listed = top_key(&lines, "npmRegistries").is_some_and(|(at, _)| {
            lines[at + 1..]
                .iter()
                .take_while(|l| l.starts_with([' ', '#']) || l.trim().is_empty())
                .any(|l| l.trim() == registry_line.trim())
        });
        if listed {
            return Err(Error::config(format!(
                "{}: `npmRegistries` already has an entry for {registry}; setup does not replace it (remove it and run setup again)",
                path.display()
            )));
        }
        text = add_under(
            &path,
            &text,
            "npmRegistries",
            &format!("{registry_line}\n{always}\n"),
            w.url,
        )?;
        // The plugin, once for every registry.
        let has_plugin = text.lines().any(|l| l.trim() == plugin_line.trim());
        if !has_plugin {
            text = add_under(
                &path,
                &text,
                "plugins",
                &format!("{plugin_line}\n"),
                PLUGIN_MARKER,
            )?;
        }
        Ok(text)
    })?;
    // Undo leaves the plugin while another setup uses it, or while this file still lists it.
    let listed = edit
        .after
        .as_deref()
        .is_some_and(|t| t.lines().any(|l| l.trim() == plugin_line.trim()));
    let keep_plugin = w.args.undo && (listed || record::others_wired(&plugin, &key));
    let plugin_edit = Edit::of(plugin.clone(), false, |old| {
        Ok(match (w.args.undo, keep_plugin) {
            (true, true) => old.to_owned(),
            (true, false) => String::new(),
            (false, _) => plugin_text.clone(),
        })
    })?;
    Ok(Plan {
        edits: vec![edit, plugin_edit],
        shim: None,
        links: Vec::new(),
        done: format!(
            "Yarn: {} {} with a token from ecluse-cred's plugin",
            match &scope {
                Some(s) => format!("scope @{s} uses"),
                None => "npmRegistryServer is".to_owned(),
            },
            w.url
        ),
        next: "yarn install".to_owned(),
        notes: vec![
            "a project's own .yarnrc.yml that sets npmRegistryServer wins over this one (Yarn reads the nearest first)".to_owned(),
        ],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_plugin_names_the_executable_setup_writes_into_it() {
        assert_eq!(PLUGIN.matches(EXECUTABLE_LINE).count(), 1);
        let text = plugin_text(Path::new("/opt/a\"b/ecluse-cred")).unwrap();
        assert!(
            text.starts_with("const EXECUTABLE = \"/opt/a\\\"b/ecluse-cred\";\n"),
            "{text}"
        );
    }

    #[test]
    fn entries_go_below_a_block_key_or_as_a_new_key_and_flow_style_is_refused() {
        let path = Path::new("/h/.yarnrc.yml");
        let mine = "# mine\nplugins:\n  - path: other.cjs\nenableTelemetry: false\n";
        let added = add_under(
            path,
            mine,
            "plugins",
            "  - path: \"/p.cjs\"\n",
            "yarn plugin",
        )
        .unwrap();
        assert_eq!(
            added,
            format!(
                "# mine\nplugins:\n# {MARKER} yarn plugin\n  - path: \"/p.cjs\"\n  - path: other.cjs\nenableTelemetry: false\n"
            )
        );
        assert_eq!(
            without_block(&added, "#", "yarn plugin", |l| l.trim()
                == "- path: \"/p.cjs\""),
            mine
        );
        let flush = "plugins:\n- path: other.cjs\n";
        assert_eq!(
            add_under(path, flush, "plugins", "  - path: \"/p.cjs\"\n", "n").unwrap(),
            format!("plugins:\n# {MARKER} n\n- path: \"/p.cjs\"\n- path: other.cjs\n")
        );
        let e = add_under(path, "x: 1\nplugins: []\n", "plugins", "  - a\n", "n").unwrap_err();
        assert!(
            e.message
                .starts_with("/h/.yarnrc.yml:2: `plugins` is written in flow style"),
            "{}",
            e.message
        );
        let made = add_under(path, "", "plugins", "  - a\n", "n").unwrap();
        assert_eq!(
            made,
            format!("# {MARKER} yarn plugins\nplugins:\n# {MARKER} n\n  - a\n")
        );
        // The key setup made goes with the last entry under it, not before.
        let entry_gone = without_block(&made, "#", "n", |l| l.trim() == "- a");
        assert_eq!(without_empty_keys(&entry_gone), "");
        assert_eq!(without_empty_keys(&made), made);
    }
}
