//! `setup uv`: the user's `uv.toml` (`$XDG_CONFIG_HOME/uv/uv.toml`, or the file `UV_CONFIG_FILE`
//! names): an `[[index]]` for the registry (the default index, or an extra one with `--extra`)
//! with `authenticate = "always"`, and the top-level `keyring-provider = "subprocess"`, which
//! `uv pip` honours too; and the `keyring` shim on PATH. Edited with toml_edit, so the rest of
//! the file stays as written.

use toml_edit::{ArrayOfTables, DocumentMut, Item, Table, value};

use super::{Edit, MARKER, Plan, Shim, Wiring, config_home, file, line_of, unparsable};
use crate::error::{Error, Result};

pub(crate) fn uv_toml() -> Result<std::path::PathBuf> {
    if let Some(path) = super::env_path("UV_CONFIG_FILE") {
        return Ok(path);
    }
    Ok(config_home()?.join("uv").join("uv.toml"))
}

pub(super) fn plan(w: &Wiring<'_>) -> Result<Plan> {
    let path = file(w.args, uv_toml)?;
    let marker = format!("# {MARKER} {}", w.url);
    // The provider is shared by every registry setup wired into this file.
    let provider_marker = format!("# {MARKER} keyring-provider");
    let marked = |prefix: Option<&toml_edit::RawString>, marker: &str| {
        prefix
            .and_then(|p| p.as_str())
            .is_some_and(|p| p.lines().any(|l| l.trim() == marker))
    };
    let any_ours = |prefix: Option<&toml_edit::RawString>| {
        prefix.and_then(|p| p.as_str()).is_some_and(|p| {
            p.lines()
                .any(|l| l.trim().starts_with(&format!("# {MARKER} http")))
        })
    };
    let edit = Edit::of(path.clone(), false, |old| {
        let mut doc: DocumentMut = old.parse().map_err(|e: toml_edit::TomlError| {
            let line = e.span().map_or(1, |s| line_of(old, s.start));
            unparsable(&path, line, e.message())
        })?;
        // Take out what setup added before, then add it again (unless undoing).
        let mut others = false;
        if let Some(indexes) = doc.get_mut("index").and_then(Item::as_array_of_tables_mut) {
            indexes.retain(|t| !marked(t.decor().prefix(), &marker));
            others = indexes.iter().any(|t| any_ours(t.decor().prefix()));
            if indexes.is_empty() {
                doc.remove("index");
            }
        }
        if w.args.undo {
            let ours = doc
                .as_table()
                .key("keyring-provider")
                .is_some_and(|k| marked(k.leaf_decor().prefix(), &provider_marker));
            if ours && !others {
                doc.remove("keyring-provider");
            }
            return Ok(doc.to_string());
        }
        match doc.get("keyring-provider").and_then(Item::as_str) {
            Some("subprocess") => {}
            Some(other) => {
                return Err(Error::config(format!(
                    "{}: keyring-provider is already \"{other}\"; setup needs \"subprocess\" and does not replace it",
                    path.display()
                )));
            }
            None => {
                doc.insert("keyring-provider", value("subprocess"));
                if let Some(mut key) = doc.as_table_mut().key_mut("keyring-provider") {
                    key.leaf_decor_mut()
                        .set_prefix(format!("{provider_marker}\n"));
                }
            }
        }
        let indexes = doc
            .entry("index")
            .or_insert_with(|| Item::ArrayOfTables(ArrayOfTables::new()))
            .as_array_of_tables_mut()
            .ok_or_else(|| unparsable(&path, 1, "`index` is not an array of tables"))?;
        if !w.args.extra
            && let Some(default) = indexes
                .iter()
                .find(|t| t.get("default").and_then(Item::as_bool) == Some(true))
        {
            return Err(Error::config(format!(
                "{}: the index `{}` is already the default; pass --extra to add this one as an extra index",
                path.display(),
                default.get("name").and_then(Item::as_str).unwrap_or("?")
            )));
        }
        let mut table = Table::new();
        table.decor_mut().set_prefix(format!("\n{marker}\n"));
        table.insert("name", value(format!("ecluse-{}", w.target.name)));
        table.insert("url", value(w.url));
        if !w.args.extra {
            table.insert("default", value(true));
        }
        table.insert("authenticate", value("always"));
        indexes.push(table);
        Ok(doc.to_string())
    })?;
    Ok(Plan {
        edits: vec![edit],
        shim: Some(Shim::OnPath(crate::shims::KEYRING)),
        links: Vec::new(),
        done: format!(
            "uv: {} index {} through the keyring shim",
            if w.args.extra {
                "an extra"
            } else {
                "the default"
            },
            w.url
        ),
        next: "uv pip install NAME".to_owned(),
        notes: Vec::new(),
    })
}
