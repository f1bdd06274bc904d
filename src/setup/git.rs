//! `setup git`: `credential.<URL>.helper`, scoped to the registry's URL, in the user's global
//! git config, written by git's own `git config` (on a copy, so that dry-run, idempotence and
//! the atomic write are the framework's). An empty `helper =` first resets the helpers for
//! that URL, so git asks ecluse-cred and no helper configured before (such as `store`). For a
//! URL below the host's root, `credential.<URL>.useHttpPath = true` too, so that git sends the
//! path the target's scope is checked against.

use std::path::{Path, PathBuf};
use std::process::Command;

use super::{Edit, Plan, Wiring, config_home, env_path, file, home};
use crate::error::{Error, Result};
use crate::request::Request;

/// The file `git config --global` writes: `GIT_CONFIG_GLOBAL`, else `~/.gitconfig`, else
/// `$XDG_CONFIG_HOME/git/config` when only that exists.
pub(crate) fn global_config() -> Result<PathBuf> {
    if let Some(path) = env_path("GIT_CONFIG_GLOBAL") {
        return Ok(path);
    }
    let dotfile = home()?.join(".gitconfig");
    let xdg = config_home()?.join("git").join("config");
    Ok(if !dotfile.exists() && xdg.exists() {
        xdg
    } else {
        dotfile
    })
}

/// Run `git config --file FILE ARGS` on a copy of `text`: the copy afterwards, and what git
/// printed. A key that is not there (exit 1 for a lookup, 5 for an unset) is not an error.
fn git_config(real: &Path, text: &str, args: &[&str]) -> Result<(String, String)> {
    let what = format!("git config {}", args.first().unwrap_or(&""));
    let command = |copy: &Path| {
        let mut cmd = Command::new("git");
        cmd.arg("config")
            .arg("--file")
            .arg(copy)
            .args(args)
            .env_remove("GIT_CONFIG_GLOBAL");
        cmd
    };
    super::on_copy(real, text, &what, command, |code| {
        matches!(code, Some(1 | 5))
    })
}

/// A credential helper value that runs some ecluse-cred (this one or an older copy).
fn is_ecluse_helper(value: &str) -> bool {
    value.contains("ecluse-cred") && value.contains("git-credential")
}

pub(super) fn plan(w: &Wiring<'_>) -> Result<Plan> {
    let path = file(w.args, global_config)?;
    let request = Request::url(w.url)?;
    // git matches `credential.<url>` by scheme, host and port, and a path prefix; the helper
    // names the target, so another target on the same host never answers for this one. For a
    // URL below the host's root git must also send the path (useHttpPath): a request without
    // one could be for any path (`URL/..;/evil/` matches the prefix too), and a path-scoped
    // target answers only a path it covers.
    let scope = request.written().trim_end_matches('/').to_owned();
    let key = format!("credential.{scope}.helper");
    let use_path_key = format!("credential.{scope}.useHttpPath");
    let scoped_below_root = request.path.as_deref().is_some_and(|p| p != "/");
    let quote = |s: &str| format!("'{}'", s.replace('\'', r"'\''"));
    let helper = format!(
        "!{} git-credential --target={}",
        quote(&w.exe.display().to_string()),
        quote(&w.target.name)
    );
    let edit = Edit::of(path.clone(), false, |old| {
        let (_, current) = git_config(&path, old, &["--get-all", &key])?;
        let values: Vec<&str> = current.lines().collect();
        let ours = values.iter().any(|v| is_ecluse_helper(v));
        let (_, use_path) = git_config(&path, old, &["--get", &use_path_key])?;
        if w.args.undo {
            if !ours {
                return Ok(old.to_owned());
            }
            let (mut text, _) = git_config(&path, old, &["--unset-all", &key])?;
            if scoped_below_root && use_path.trim() == "true" {
                text = git_config(&path, &text, &["--unset-all", &use_path_key])?.0;
            }
            // Older git leaves the emptied section's header behind.
            let section = format!("credential.{scope}");
            let (_, left) = git_config(
                &path,
                &text,
                &["--get-regexp", &format!("^{}\\.", regex_escape(&section))],
            )?;
            if left.trim().is_empty() {
                // git 2.47 already dropped it; older ones left the header.
                return Ok(
                    git_config(&path, &text, &["--remove-section", &section]).map_or(text, |r| r.0)
                );
            }
            return Ok(text);
        }
        let path_sent = !scoped_below_root || use_path.trim() == "true";
        if values == ["", helper.as_str()] && path_sent {
            return Ok(old.to_owned());
        }
        if !values.is_empty() && !ours {
            return Err(Error::config(format!(
                "{}: `{key}` is already set; remove it (`git config --global --unset-all {key}`) and run setup again",
                path.display()
            )));
        }
        // An older ecluse-cred's helper is replaced by this one's; useHttpPath follows the
        // helpers, so a second run writes the same text.
        let (mut text, _) = git_config(&path, old, &["--unset-all", &key])?;
        if scoped_below_root {
            text = git_config(&path, &text, &["--unset-all", &use_path_key])?.0;
        }
        let (text, _) = git_config(&path, &text, &["--add", &key, ""])?;
        let (text, _) = git_config(&path, &text, &["--add", &key, &helper])?;
        if !scoped_below_root {
            return Ok(text);
        }
        Ok(git_config(&path, &text, &["--add", &use_path_key, "true"])?.0)
    })?;
    Ok(Plan {
        edits: vec![edit],
        shim: None,
        links: Vec::new(),
        done: format!("git: {key} asks ecluse-cred for target `{}`", w.target.name),
        next: format!("git clone {scope}/..."),
        notes: Vec::new(),
    })
}

/// `s` with the regular-expression metacharacters of `git config --get-regexp` escaped.
fn regex_escape(s: &str) -> String {
    s.chars()
        .flat_map(|c| {
            if ".^$*+?()[]{}|\\".contains(c) {
                vec!['\\', c]
            } else {
                vec![c]
            }
        })
        .collect()
}
