//! `setup git`: `credential.<URL>.helper`, scoped to the registry's URL, in the user's global
//! git config, written by git's own `git config` (on a copy, so that dry-run, idempotence and
//! the atomic write are the framework's). An empty `helper =` first resets the helpers for
//! that URL, so git asks ecluse-cred and no helper configured before (such as `store`).

use std::path::PathBuf;
use std::process::Command;

use super::{Edit, Plan, Wiring, config_home, env_path, file, home};
use crate::error::{Error, Result};
use crate::resolve::Request;

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

/// Run `git config --file FILE ARGS` on a copy of `text`; the copy's text afterwards.
fn git_config(text: &str, args: &[&str]) -> Result<String> {
    let dir = tempfile::tempdir().map_err(|e| Error::other(format!("temp dir: {e}")))?;
    let copy = dir.path().join("config");
    std::fs::write(&copy, text).map_err(|e| Error::other(format!("{}: {e}", copy.display())))?;
    let out = Command::new("git")
        .arg("config")
        .arg("--file")
        .arg(&copy)
        .args(args)
        .env_remove("GIT_CONFIG_GLOBAL")
        .output()
        .map_err(|e| Error::config(format!("cannot run git: {e}")))?;
    // --unset-all of a key that is not there exits 5: nothing to remove.
    if !out.status.success() && out.status.code() != Some(5) {
        return Err(Error::config(format!(
            "git config {}: {}",
            args.first().unwrap_or(&""),
            String::from_utf8_lossy(&out.stderr).trim()
        )));
    }
    std::fs::read_to_string(&copy).map_err(|e| Error::other(format!("{}: {e}", copy.display())))
}

pub(super) fn plan(w: &Wiring<'_>) -> Result<Plan> {
    let path = file(w.args, global_config)?;
    let request = Request::url(w.url)?;
    // git matches `credential.<url>` by scheme, host and port, and a path prefix.
    let scope = request.shown().trim_end_matches('/').to_owned();
    let key = format!("credential.{scope}.helper");
    let exe = w.exe.display().to_string();
    let mut helper = format!("!'{}' git-credential", exe.replace('\'', r"'\''"));
    if let Some(target) = &w.args.which.target {
        helper.push_str(&format!(" --target '{}'", target.replace('\'', r"'\''")));
    }
    let edit = Edit::of(path.clone(), false, |old| {
        let current = git_config(old, &["--get-all", &key]).unwrap_or_default();
        let ours = current
            .lines()
            .any(|l| l.contains("git-credential") && l.contains(&exe));
        if w.args.undo {
            if !ours {
                return Ok(old.to_owned());
            }
            let text = git_config(old, &["--unset-all", &key])?;
            // Older git leaves the emptied section's header behind.
            let remaining = git_config(
                &text,
                &[
                    "--get-regexp",
                    &format!("^credential\\.{}\\.", regex_escape(&scope)),
                ],
            )
            .unwrap_or_default();
            if remaining.trim().is_empty() {
                return git_config(&text, &["--remove-section", &format!("credential.{scope}")])
                    .or(Ok(text));
            }
            return Ok(text);
        }
        if current.lines().collect::<Vec<_>>() == ["", helper.as_str()] {
            return Ok(old.to_owned());
        }
        if !current.trim().is_empty() && !ours {
            return Err(Error::config(format!(
                "{}: `{key}` is already set; remove it (`git config --global --unset-all {key}`) and run setup again",
                path.display()
            )));
        }
        let text = git_config(old, &["--unset-all", &key])?;
        let text = git_config(&text, &["--add", &key, ""])?;
        git_config(&text, &["--add", &key, &helper])
    })?;
    Ok(Plan {
        edits: vec![edit],
        shim: None,
        done: format!("git: {key} asks ecluse-cred"),
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
