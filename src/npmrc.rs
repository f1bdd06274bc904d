//! npm, pnpm and yarn have no credential-helper hook; they read per-registry tokens from
//! `.npmrc` keys `//host[:port]/path/:_authToken` (the longest matching prefix wins) or from
//! `npm_config_*` environment variables. Two ways to feed them:
//!
//! - `exec`: run the command with the token in its environment only (`--env NAME`, and with
//!   `--npm-registry URL` as `npm_config_//host/path/:_authToken`), nothing on disk;
//! - `npmrc`: write that one registry's `_authToken` line (and a `@scope:registry` line) into
//!   an `.npmrc` (the user's, as [`user_npmrc`] finds it, which `setup npm` writes too),
//!   atomically, keeping every other line; the file is for its owner only (0600), since it
//!   holds a token.
//!
//! pnpm's token helper, which asks on every run instead, is [`super::pnpm`].

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::files::Written;
use crate::secret::Secret;

/// The environment variables that move the user's `.npmrc`, as npm reads them (both spellings
/// work; the upper-case one first).
const USERCONFIG_VARS: [&str; 2] = ["NPM_CONFIG_USERCONFIG", "npm_config_userconfig"];

/// The user's `.npmrc`, where npm reads it: [`USERCONFIG_VARS`] (`~/` and a relative path
/// as npm takes them), else `~/.npmrc`. `npmrc` and `setup npm` both write this one.
pub(crate) fn user_npmrc() -> Result<PathBuf> {
    for var in USERCONFIG_VARS {
        if let Some(path) = crate::files::env_path(var) {
            return crate::files::npm_path(&path);
        }
    }
    Ok(crate::files::home()?.join(".npmrc"))
}

/// The `.npmrc` to write: `file`, else the user's; where it really is (a symlink is followed),
/// and refused if it is not a regular file (a device, a FIFO), before anything is minted for it.
pub(crate) fn npmrc_file(file: Option<&Path>) -> Result<PathBuf> {
    let file = match file {
        Some(file) => std::path::absolute(file)
            .map_err(|e| Error::other(file.display().to_string()).with_source(e))?,
        None => user_npmrc()?,
    };
    let file = crate::files::resolved(&file)?;
    crate::files::read(&file)?;
    Ok(file)
}

/// Set `key=value` in `file` (from [`npmrc_file`]), keeping the other lines (see [`update`]).
pub(crate) fn write_line(file: &Path, key: &str, value: &str) -> Result<Written> {
    update(file, false, |text| set_line(text, key, value))
}

/// The key npm looks the token up by: `//host[:port]/path/:_authToken`, the path ending in `/`.
pub fn auth_key(registry: &str) -> Result<String> {
    let url = url::Url::parse(registry.trim())
        .ok()
        .filter(|u| matches!(u.scheme(), "http" | "https") && u.host_str().is_some())
        .ok_or_else(|| {
            Error::config(format!(
                "`{}` is not an http(s) registry URL",
                crate::redact::url(registry)
            ))
        })?;
    let host = url.host_str().unwrap_or_default();
    let port = url.port().map(|p| format!(":{p}")).unwrap_or_default();
    let mut path = url.path().to_owned();
    if !path.ends_with('/') {
        path.push('/');
    }
    Ok(format!("//{host}{port}{path}:_authToken"))
}

/// `text` with `key=value` set: the first line whose key is `key` is replaced (later duplicates
/// dropped), else the line is appended. Every other line is kept as it was.
pub fn set_line(text: &str, key: &str, value: &str) -> String {
    let mut out = Vec::new();
    let mut done = false;
    for line in text.lines() {
        let this_key = line.split_once('=').map(|(k, _)| k.trim());
        if this_key == Some(key) {
            if !done {
                out.push(format!("{key}={value}"));
                done = true;
            }
        } else {
            out.push(line.to_owned());
        }
    }
    if !done {
        out.push(format!("{key}={value}"));
    }
    out.join("\n") + "\n"
}

/// Write the registry's token (and scope) into `file` (from [`npmrc_file`]), which becomes
/// its owner's only (see [`update`]). The key written, and how the file's mode changed.
pub(crate) fn write_npmrc(
    file: &Path,
    registry: &str,
    scope: Option<&str>,
    token: &Secret,
) -> Result<(String, Written)> {
    let key = auth_key(registry)?;
    let scope = scope.map(scope_name).transpose()?;
    let written = update(file, true, |old| {
        let mut text = set_line(old, &key, token.expose());
        if let Some(scope) = scope {
            text = set_line(&text, &format!("{scope}:registry"), registry.trim());
        }
        text
    })?;
    Ok((key, written))
}

/// `scope` as npm names scopes (`@` and URL-safe characters, no `/`), `@` added if missing;
/// or a refusal (a usage error, exit 2): anything else could add lines of its own to an `.npmrc`. `npmrc
/// --scope` and `setup npm --scope` alike.
pub(crate) fn scope_name(scope: &str) -> Result<String> {
    let name = scope.strip_prefix('@').unwrap_or(scope);
    let url_safe = |c: char| c.is_ascii_alphanumeric() || "-._~".contains(c);
    if name.is_empty() || name.starts_with('.') || !name.chars().all(url_safe) {
        return Err(Error::new(
            crate::error::Code::Usage,
            format!(
                "--scope {}: not an npm scope (letters, digits, `-`, `.`, `_`, `~`, as in `@my-org`)",
                crate::redact::text(scope).escape_debug()
            ),
        ));
    }
    Ok(format!("@{name}"))
}

/// Rewrite `file` through `edit` with setup's writer ([`crate::files::write`]): atomic, and
/// the mode narrowed as for a config file that holds a token (`secret`) or not.
fn update(file: &Path, secret: bool, edit: impl FnOnce(&str) -> String) -> Result<Written> {
    let old = crate::files::read(file)?.unwrap_or_default();
    crate::files::write(file, &edit(&old), secret, None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auth_keys_end_in_a_slash_and_keep_the_port_and_path() {
        assert_eq!(
            auth_key("https://npm.example.com").unwrap(),
            "//npm.example.com/:_authToken"
        );
        assert_eq!(
            auth_key("http://127.0.0.1:8080/npm/repo").unwrap(),
            "//127.0.0.1:8080/npm/repo/:_authToken"
        );
        assert_eq!(auth_key("https://h:443/x/").unwrap(), "//h/x/:_authToken");
        assert!(auth_key("registry.example.com").is_err());
    }

    #[test]
    fn set_line_replaces_or_appends_and_keeps_the_rest() {
        let old = "registry=https://r/\n//h/:_authToken=old\n; comment\n//h/:_authToken=dup\n";
        assert_eq!(
            set_line(old, "//h/:_authToken", "new"),
            "registry=https://r/\n//h/:_authToken=new\n; comment\n"
        );
        assert_eq!(set_line("a=1", "b", "2"), "a=1\nb=2\n");
        assert_eq!(set_line("", "b", "2"), "b=2\n");
    }
}
