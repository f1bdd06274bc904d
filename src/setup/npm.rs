//! `setup npm` (and `setup pnpm`): the user's `.npmrc` (as npm finds it:
//! [`user_npmrc`], which `npmrc` writes too), or `--file` for a project's. npm has no
//! credential-helper hook, so the file holds the token, and is its owner's only (0600; `--undo`
//! gives back the mode it had): the registry line (`registry=URL`, or `@scope:registry=URL` with
//! `--scope`) and `//host/path/:_authToken=TOKEN`. pnpm instead gets a `tokenHelper` line that
//! asks ecluse-cred on every run (see `protocol::pnpm`).

use super::{Edit, Plan, Wiring, file, with_block, without_block};
use crate::error::{Error, Result};
use crate::npmrc::{self as npm, user_npmrc};
use crate::protocol::pnpm;

/// What a dry run shows in place of the token, which it neither mints nor prints.
const TOKEN_PLACEHOLDER: &str = "<token, minted when run without --dry-run>";

/// The registry line for `url`, as npm reads it; `scope` checked by [`npm::scope_name`].
fn registry_line(url: &str, scope: Option<&str>) -> Result<String> {
    Ok(match scope {
        Some(scope) => format!("{}:registry={url}", npm::scope_name(scope)?),
        None => format!("registry={url}"),
    })
}

/// Whether `line` is a registry line setup writes for `url`, with or without a scope: what
/// setup added under its marker goes on `--undo` whichever `--scope` it was given then.
fn is_registry_line(line: &str, url: &str) -> bool {
    line.strip_suffix(url)
        .and_then(|l| l.strip_suffix("registry="))
        .is_some_and(|scope| scope.is_empty() || (scope.starts_with('@') && scope.ends_with(':')))
}

/// Refuse when the user's own lines (outside setup's block) already decide what setup would.
fn check_conflicts(
    path: &std::path::Path,
    text: &str,
    keys: &[(&str, Option<&str>)],
) -> Result<()> {
    for (n, line) in text.lines().enumerate() {
        let Some((key, value)) = line.split_once('=') else {
            continue;
        };
        for (want, same) in keys {
            if key.trim() == *want && same.is_none_or(|v| v != value.trim()) {
                return Err(Error::config(format!(
                    "{}:{}: `{want}` is already set there; remove that line (or use --scope for a scoped registry) and run setup again",
                    path.display(),
                    n + 1
                )));
            }
        }
    }
    Ok(())
}

pub(super) fn plan(w: &Wiring<'_>) -> Result<Plan> {
    let path = file(w.args, user_npmrc)?;
    let auth = npm::auth_key(w.url)?;
    let registry = registry_line(w.url, w.args.scope.as_deref())?;
    let (registry_key, registry_value) = registry.split_once('=').expect("line has a key");
    // A file setup cannot edit is refused before anything is minted for it.
    super::read(&super::resolved(&path)?)?;
    let token = if w.args.undo || w.args.dry_run {
        None
    } else {
        Some(w.ctx.serve(w.target, None, false)?)
    };
    let expires = token.as_ref().map(|t| t.entry.expires_at.to_string());
    let token_line = format!("{auth}=");
    let ours = |l: &str| is_registry_line(l, w.url) || l.starts_with(&token_line);
    let edit = Edit::of(path.clone(), true, |old| {
        let rest = without_block(old, "#", w.url, ours);
        if w.args.undo {
            return Ok(rest);
        }
        check_conflicts(
            &path,
            &rest,
            &[(registry_key, Some(registry_value)), (&auth, None)],
        )?;
        // A dry run mints nothing: it shows the token already there (masked), or a placeholder.
        let present = old
            .lines()
            .find_map(|l| l.strip_prefix(&token_line))
            .unwrap_or(TOKEN_PLACEHOLDER);
        let value = token.as_ref().map_or(present, |t| t.entry.token.expose());
        Ok(with_block(
            &rest,
            "#",
            w.url,
            &format!("{registry}\n{auth}={value}\n"),
        ))
    })?;
    Ok(Plan {
        edits: vec![edit],
        shim: None,
        links: Vec::new(),
        done: format!("npm: {} uses {} with a token", registry_key, w.url),
        next: "npm install".to_owned(),
        notes: expires
            .map(|at| {
                format!(
                    "the token in {} expires {at}: run this again before then, or use `ecluse-cred exec --url {} --npm-registry {} -- npm ...`, which needs no file",
                    path.display(),
                    w.url,
                    w.url
                )
            })
            .into_iter()
            .collect(),
    })
}

/// `setup pnpm`: a `tokenHelper` line in the user's `.npmrc` pointing at an
/// `ecluse-pnpm-token-TARGET` link beside this executable (or in `--bin-dir`, or, where the
/// user cannot write beside it, in ecluse-cred's data directory); pnpm runs it by that absolute
/// path, from no PATH.
pub(super) fn plan_pnpm(w: &Wiring<'_>) -> Result<Plan> {
    let path = file(w.args, user_npmrc)?;
    let key = pnpm::token_helper_key(w.url)?;
    let beside = w
        .exe
        .parent()
        .map(std::path::Path::to_path_buf)
        .unwrap_or_default();
    // pnpm runs the link by absolute path: beside a root-owned executable (/usr/local/bin)
    // the user cannot make it, so it goes into ecluse-cred's own directory then.
    let own = super::data_home().ok().map(|d| d.join(super::SHIM_DIR));
    let dir = match (&w.args.bin_dir, &own) {
        (Some(dir), _) => dir.clone(),
        (None, Some(own)) if !super::writable_dir(&beside) => own.clone(),
        (None, _) => beside.clone(),
    };
    // Checked here, made (or, with --undo, removed: it is this target's alone) by the framework
    // once every file edit is known to be possible.
    let link = pnpm::pnpm_helper_path(&dir, &w.target.name)?;
    let mut links = vec![link.clone()];
    if w.args.undo && w.args.bin_dir.is_none() {
        // Wherever setup put it: the directory's writability may have changed since.
        for dir in std::iter::once(beside).chain(own) {
            if let Ok(other) = pnpm::pnpm_helper_path(&dir, &w.target.name)
                && !links.contains(&other)
            {
                links.push(other);
            }
        }
    }
    let registry = registry_line(w.url, w.args.scope.as_deref())?;
    let (registry_key, registry_value) = registry.split_once('=').expect("line has a key");
    let helper_line = format!("{key}=");
    let ours = |l: &str| is_registry_line(l, w.url) || l.starts_with(&helper_line);
    let edit = Edit::of(path.clone(), false, |old| {
        let rest = without_block(old, "#", w.url, ours);
        if w.args.undo {
            return Ok(rest);
        }
        check_conflicts(
            &path,
            &rest,
            &[(registry_key, Some(registry_value)), (&key, None)],
        )?;
        Ok(with_block(
            &rest,
            "#",
            w.url,
            &format!("{registry}\n{key}={}\n", link.display()),
        ))
    })?;
    Ok(Plan {
        edits: vec![edit],
        shim: None,
        done: format!("pnpm asks {} for {}'s token", link.display(), w.url),
        next: "pnpm install".to_owned(),
        notes: Vec::new(),
        links,
    })
}
