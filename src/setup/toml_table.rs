//! What setup adds to a client's TOML config (Poetry's, PDM's, Hatch's): a table, or a key of
//! a table, marked by the comment line that opens what setup added (`# ecluse-cred setup:
//! NAME`), so that `--undo` takes out exactly that. Edited with toml_edit: everything else in
//! the file stays as written. A table or key the user wrote that says something else is a
//! refusal naming it; one that says the same is left as it is.

use std::path::{Path, PathBuf};

use toml_edit::{DocumentMut, Item, Table, value};

use super::{Edit, MARKER, line_of, unparsable};
use crate::error::{Error, Result};

/// `old`, the TOML file at `path`, parsed (an error names its line).
pub(super) fn parse(path: &Path, old: &str) -> Result<DocumentMut> {
    old.parse().map_err(|e: toml_edit::TomlError| {
        let line = e.span().map_or(1, |s| line_of(old, s.start));
        unparsable(path, line, e.message())
    })
}

/// The marker comment line for `name`.
fn marker(name: &str) -> String {
    format!("# {MARKER} {name}")
}

/// Whether a decor prefix holds the marker for `name`.
fn marked(prefix: Option<&toml_edit::RawString>, name: &str) -> bool {
    let marker = marker(name);
    prefix
        .and_then(|p| p.as_str())
        .is_some_and(|p| p.lines().any(|l| l.trim() == marker))
}

/// The dotted name of `keys`, as the user would write it.
fn dotted(keys: &[&str]) -> String {
    keys.iter()
        .map(|k| {
            if !k.is_empty()
                && k.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
            {
                (*k).to_owned()
            } else {
                serde_json::to_string(k).expect("a string serializes")
            }
        })
        .collect::<Vec<_>>()
        .join(".")
}

/// The table at `keys` (made, implicit, where missing).
fn table_at<'d>(path: &Path, doc: &'d mut DocumentMut, keys: &[&str]) -> Result<&'d mut Table> {
    let mut table = doc.as_table_mut();
    for (n, key) in keys.iter().enumerate() {
        let item = table.entry(key).or_insert_with(|| {
            let mut t = Table::new();
            t.set_implicit(true);
            Item::Table(t)
        });
        table = item.as_table_mut().ok_or_else(|| {
            Error::config(format!(
                "{}: `{}` is not a table; setup does not replace it",
                path.display(),
                dotted(&keys[..=n])
            ))
        })?;
    }
    Ok(table)
}

/// `doc` with the table at `keys` (its last key being setup's to add) holding `entries`, marked
/// with `name`; on `undo`, without it when it is setup's.
pub(super) fn set_table(
    path: &Path,
    doc: &mut DocumentMut,
    keys: &[&str],
    entries: &[(&str, &str)],
    name: &str,
    undo: bool,
) -> Result<()> {
    let (last, parents) = keys.split_last().expect("a table has a name");
    let parent = table_at(path, doc, parents)?;
    if let Some(item) = parent.get(last) {
        let ours = item
            .as_table()
            .is_some_and(|t| marked(t.decor().prefix(), name));
        if ours {
            parent.remove(last);
        } else if undo {
            return Ok(());
        } else {
            let same = item.as_table_like().is_some_and(|t| {
                t.len() == entries.len()
                    && entries
                        .iter()
                        .all(|(k, v)| t.get(k).and_then(Item::as_str) == Some(*v))
            });
            if same {
                return Ok(());
            }
            return Err(Error::config(format!(
                "{}: [{}] is already there and says something else; setup does not replace it (remove it, or pass --registry with another name)",
                path.display(),
                dotted(keys)
            )));
        }
    }
    if undo {
        return Ok(());
    }
    let mut table = Table::new();
    table
        .decor_mut()
        .set_prefix(format!("\n{}\n", marker(name)));
    for (k, v) in entries {
        table.insert(k, value(*v));
    }
    parent.insert(last, Item::Table(table));
    Ok(())
}

/// The edit of the TOML file at `path` that [sets](set_table) the table at `keys` (or, on
/// `undo`, takes it out).
pub(super) fn table_edit(
    path: PathBuf,
    keys: &[&str],
    entries: &[(&str, &str)],
    name: &str,
    undo: bool,
) -> crate::error::Result<Edit> {
    Edit::of(path.clone(), false, |old| {
        let mut doc = parse(&path, old)?;
        set_table(&path, &mut doc, keys, entries, name, undo)?;
        Ok(text(doc))
    })
}

/// `doc` with `key = value` in the table at `keys`, marked with `name`; on `undo`, without it
/// when it is setup's. A value of the user's that differs is a refusal, `hint` saying what to
/// do instead.
pub(super) fn set_key(
    path: &Path,
    doc: &mut DocumentMut,
    keys: &[&str],
    (key, val): (&str, &str),
    name: &str,
    hint: &str,
) -> Result<()> {
    let made = !exists(doc, keys);
    let table = table_at(path, doc, keys)?;
    if made {
        // A table setup made goes with its key (see [`remove_key`]).
        table.set_implicit(false);
        table
            .decor_mut()
            .set_prefix(format!("\n{}\n", marker(name)));
    }
    let ours = table
        .key(key)
        .is_some_and(|k| marked(k.leaf_decor().prefix(), name));
    if ours {
        table.remove(key);
    }
    match table.get(key) {
        Some(item) if item.as_str() == Some(val) => Ok(()),
        Some(_) => Err(Error::config(format!(
            "{}: `{}` is already set there to something else; setup does not replace it{hint}",
            path.display(),
            dotted(&[keys, &[key]].concat())
        ))),
        None => {
            table.insert(key, value(val));
            if let Some(mut k) = table.key_mut(key) {
                k.leaf_decor_mut().set_prefix(format!("{}\n", marker(name)));
            }
            Ok(())
        }
    }
}

/// `doc` without `key` in the table at `keys` when it is setup's (marked `name`).
pub(super) fn remove_key(doc: &mut DocumentMut, keys: &[&str], key: &str, name: &str) {
    let mut table = doc.as_table_mut();
    for k in keys {
        match table.get_mut(k).and_then(Item::as_table_mut) {
            Some(t) => table = t,
            None => return,
        }
    }
    if table
        .key(key)
        .is_some_and(|k| marked(k.leaf_decor().prefix(), name))
    {
        table.remove(key);
    }
    if table.is_empty() && marked(table.decor().prefix(), name) {
        table.set_implicit(true);
    }
}

/// Whether the table at `keys` is in `doc`.
fn exists(doc: &DocumentMut, keys: &[&str]) -> bool {
    let mut item = doc.as_item();
    for k in keys {
        match item.get(k) {
            Some(i) => item = i,
            None => return false,
        }
    }
    true
}

/// `doc` as text, with the implicit tables setup made and left empty gone.
pub(super) fn text(mut doc: DocumentMut) -> String {
    fn prune(table: &mut Table) {
        let empty: Vec<String> = table
            .iter_mut()
            .filter_map(|(k, item)| {
                let t = item.as_table_mut()?;
                prune(t);
                (t.is_implicit() && t.is_empty()).then(|| k.get().to_owned())
            })
            .collect();
        for k in empty {
            table.remove(&k);
        }
    }
    prune(doc.as_table_mut());
    doc.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn apply(old: &str, undo: bool) -> Result<String> {
        let path = Path::new("/c/config.toml");
        let mut doc = parse(path, old)?;
        set_table(
            path,
            &mut doc,
            &["repositories", "corp"],
            &[("url", "https://h/pypi/r/")],
            "https://h/pypi/r/",
            undo,
        )?;
        Ok(text(doc))
    }

    #[test]
    fn a_marked_table_is_added_kept_and_taken_out_exactly() {
        let mine = "# mine\n[virtualenvs]\nin-project = true\n";
        let added = apply(mine, false).unwrap();
        assert_eq!(
            added,
            format!(
                "{mine}\n# {MARKER} https://h/pypi/r/\n[repositories.corp]\nurl = \"https://h/pypi/r/\"\n"
            )
        );
        assert_eq!(apply(&added, false).unwrap(), added);
        assert_eq!(apply(&added, true).unwrap(), mine);
        assert_eq!(apply("", true).unwrap(), "");
    }

    #[test]
    fn a_key_goes_with_the_table_setup_made_for_it_and_the_users_table_stays() {
        let path = Path::new("/c/config.toml");
        for (before, with_key) in [
            (
                "",
                format!("\n# {MARKER} u\n[pypi]\n# {MARKER} u\nurl = \"https://i/\"\n"),
            ),
            (
                "[pypi]\nverify_ssl = true\n",
                format!("[pypi]\nverify_ssl = true\n# {MARKER} u\nurl = \"https://i/\"\n"),
            ),
        ] {
            let mut doc = parse(path, before).unwrap();
            set_key(path, &mut doc, &["pypi"], ("url", "https://i/"), "u", "").unwrap();
            let added = text(doc);
            assert_eq!(added, with_key);
            let mut doc = parse(path, &added).unwrap();
            remove_key(&mut doc, &["pypi"], "url", "u");
            assert_eq!(text(doc).trim_start(), before);
        }
    }

    #[test]
    fn the_users_table_is_left_or_refused_by_name() {
        let same = "[repositories.corp]\nurl = \"https://h/pypi/r/\"\n";
        assert_eq!(apply(same, false).unwrap(), same);
        assert_eq!(apply(same, true).unwrap(), same);
        let other = "[repositories.corp]\nurl = \"https://elsewhere/\"\n";
        let e = apply(other, false).unwrap_err();
        assert!(
            e.message.contains("[repositories.corp] is already there"),
            "{}",
            e.message
        );
        let e = apply("repositories = 3\n", false).unwrap_err();
        assert!(
            e.message.contains("`repositories` is not a table"),
            "{}",
            e.message
        );
        let e = apply("[x\n", false).unwrap_err();
        assert!(e.message.starts_with("/c/config.toml:1:"), "{}", e.message);
    }
}
