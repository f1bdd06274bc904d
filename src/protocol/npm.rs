//! npm, pnpm and yarn have no credential-helper hook; they read per-registry tokens from
//! `.npmrc` keys `//host[:port]/path/:_authToken` (the longest matching prefix wins) or from
//! `npm_config_*` environment variables. Two ways to feed them:
//!
//! - `exec`: run the command with the token in its environment only (`--env NAME`, and with
//!   `--npm-registry URL` as `npm_config_//host/path/:_authToken`), nothing on disk;
//! - `npmrc`: write that one registry's `_authToken` line (and a `@scope:registry` line) into
//!   an `.npmrc`, atomically, keeping every other line and the file's mode (0600 when created).
//!
//! pnpm's token helper, which asks on every run instead, is [`super::pnpm`].

use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::secret::Secret;

/// Set `key=value` in `file` atomically, keeping the other lines and the mode (0600 when new).
pub fn write_line(file: &Path, key: &str, value: &str) -> Result<()> {
    update(file, |text| set_line(text, key, value))
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

/// The file `npmrc` writes by default: the user's `~/.npmrc`.
pub fn user_npmrc() -> Result<PathBuf> {
    directories::BaseDirs::new()
        .map(|d| d.home_dir().join(".npmrc"))
        .ok_or_else(|| Error::config("no home directory: name the file with --file"))
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

/// Write the registry's token (and scope) into `file` (see [`update`]).
pub fn write_npmrc(
    file: &Path,
    registry: &str,
    scope: Option<&str>,
    token: &Secret,
) -> Result<String> {
    let key = auth_key(registry)?;
    update(file, |old| {
        let mut text = set_line(old, &key, token.expose());
        if let Some(scope) = scope {
            let scope = if scope.starts_with('@') {
                scope.to_owned()
            } else {
                format!("@{scope}")
            };
            text = set_line(&text, &format!("{scope}:registry"), registry.trim());
        }
        text
    })?;
    Ok(key)
}

/// Rewrite `file` through `edit`, atomically (temp file, fsync, rename): a reader sees the old
/// file or the new one. The mode is kept; a new file is 0600. A symlinked file is updated where
/// it points.
fn update(file: &Path, edit: impl FnOnce(&str) -> String) -> Result<()> {
    let path = match std::fs::canonicalize(file) {
        Ok(real) => real,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => file.to_owned(),
        Err(e) => return Err(Error::other(format!("{}: {e}", file.display()))),
    };
    let (old, mode) = match std::fs::read_to_string(&path) {
        Ok(text) => {
            let mode = std::fs::metadata(&path)
                .map(|m| m.permissions().mode() & 0o7777)
                .unwrap_or(0o600);
            (text, mode)
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => (String::new(), 0o600),
        Err(e) => return Err(Error::other(format!("cannot read {}: {e}", path.display()))),
    };
    let text = edit(&old);
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let fail = |e: std::io::Error| Error::other(format!("cannot write {}: {e}", path.display()));
    let mut tmp = tempfile::Builder::new()
        .prefix(".npmrc.")
        .tempfile_in(dir)
        .map_err(fail)?;
    tmp.as_file()
        .set_permissions(std::fs::Permissions::from_mode(mode))
        .map_err(fail)?;
    tmp.write_all(text.as_bytes()).map_err(fail)?;
    tmp.as_file().sync_all().map_err(fail)?;
    tmp.persist(&path).map_err(|e| fail(e.error))?;
    Ok(())
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
