//! `setup cargo`: `[registries.NAME]` in `$CARGO_HOME/config.toml` (`~/.cargo`; an existing
//! extension-less `config` is the one cargo reads, so that one), with the `sparse+` index and
//! `credential-provider` pointing at this executable. `--registry NAME` names it (default: the
//! target's name). Edited with toml_edit, so every other table, key and comment stays as written.

use toml_edit::{Array, DocumentMut, Item, Table, value};

use super::{Edit, MARKER, Plan, Wiring, file, home, line_of, unparsable};
use crate::error::{Error, Result};

pub(crate) fn cargo_config() -> Result<std::path::PathBuf> {
    let cargo_home = match super::env_path("CARGO_HOME") {
        Some(dir) => dir,
        None => home()?.join(".cargo"),
    };
    let legacy = cargo_home.join("config");
    Ok(if legacy.is_file() {
        legacy
    } else {
        cargo_home.join("config.toml")
    })
}

/// A registry name cargo accepts, from a target's name.
pub(super) fn registry_name(target: &str) -> String {
    target
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '-'
            }
        })
        .collect()
}

pub(super) fn plan(w: &Wiring<'_>) -> Result<Plan> {
    let path = file(w.args, cargo_config)?;
    let name = w
        .args
        .registry
        .clone()
        .unwrap_or_else(|| registry_name(&w.target.name));
    if name.is_empty() || name != registry_name(&name) {
        return Err(Error::config(format!(
            "`{name}` is not a cargo registry name (letters, digits, `-` and `_`)"
        )));
    }
    let marker = format!("# {MARKER} {}", w.url);
    let edit = Edit::of(path.clone(), false, |old| {
        let mut doc: DocumentMut = old.parse().map_err(|e: toml_edit::TomlError| {
            let line = e.span().map_or(1, |s| line_of(old, s.start));
            unparsable(&path, line, e.message())
        })?;
        let ours = |t: &Table| {
            t.decor()
                .prefix()
                .and_then(|p| p.as_str())
                .is_some_and(|p| p.lines().any(|l| l.trim() == marker))
        };
        let registries = doc
            .entry("registries")
            .or_insert_with(|| {
                let mut t = Table::new();
                t.set_implicit(true);
                Item::Table(t)
            })
            .as_table_mut()
            .ok_or_else(|| unparsable(&path, 1, "`registries` is not a table"))?;
        // What setup added for this URL goes, under whatever name it was added: `--undo`
        // needs no `--registry`. Under another name than asked, it is a refusal: Cargo.toml
        // files name the registry, and would stop finding it.
        let added: Vec<String> = registries
            .iter()
            .filter(|(_, item)| item.as_table().is_some_and(ours))
            .map(|(key, _)| key.to_owned())
            .collect();
        if let Some(other) = added.iter().find(|a| **a != name)
            && !w.args.undo
        {
            return Err(Error::config(format!(
                "{}: setup already added {} as [registries.{other}], which Cargo.toml files may name; keep that name (--registry {other}), or remove it first (`ecluse-cred setup cargo --url {} --undo`)",
                path.display(),
                w.url,
                w.url
            )));
        }
        for key in &added {
            registries.remove(key);
        }
        if !w.args.undo && registries.contains_key(&name) {
            return Err(Error::config(format!(
                "{}: [registries.{name}] already exists; pass --registry NAME to add this one under another name",
                path.display()
            )));
        }
        if !w.args.undo {
            let mut table = Table::new();
            table.decor_mut().set_prefix(format!("\n{marker}\n"));
            table.insert("index", value(format!("sparse+{}", w.url)));
            let mut provider = Array::new();
            provider.push(w.exe.display().to_string());
            if let Some(target) = &w.args.which.target {
                // One argument: a name that starts with `-` must not read as an option.
                provider.push(format!("--target={target}"));
            }
            table.insert("credential-provider", value(provider));
            registries.insert(&name, Item::Table(table));
        }
        // Only a `registries` table that exists because of ours (no header of its own) goes.
        if registries.is_empty() && registries.is_implicit() {
            doc.remove("registries");
        }
        Ok(doc.to_string())
    })?;
    Ok(Plan {
        edits: vec![edit],
        shim: None,
        links: Vec::new(),
        done: format!(
            "cargo: registry `{name}` at sparse+{} asks ecluse-cred for its token",
            w.url
        ),
        next: format!("cargo fetch (with dependencies from `registry = \"{name}\"`)"),
        notes: Vec::new(),
    })
}
