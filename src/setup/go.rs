//! `setup go`: GOAUTH in go's env file (`go env GOENV`), written by `go env -w` (on a copy, for
//! the framework's dry-run and atomic write). Entries already there are kept (go runs every
//! entry; the first listed wins for a prefix, so ecluse-cred's goes first); without any, go's
//! default `netrc` is kept beside it. With `--proxy`, GOPROXY gets the URL ahead of what it was.

use std::path::PathBuf;
use std::process::Command;

use super::{Edit, Plan, Wiring, file};
use crate::error::{Error, Result};

/// go's GOPROXY when nothing sets it.
const DEFAULT_GOPROXY: &str = "https://proxy.golang.org,direct";

fn go(envfile: Option<&std::path::Path>, args: &[&str]) -> Result<String> {
    let mut cmd = Command::new("go");
    cmd.args(args).env_remove("GOAUTH").env_remove("GOPROXY");
    if let Some(file) = envfile {
        cmd.env("GOENV", file);
    }
    let out = cmd.output().map_err(|e| {
        Error::config("cannot run go (Go 1.24 or later is needed for GOAUTH)").with_source(e)
    })?;
    if !out.status.success() {
        return Err(Error::config(format!(
            "go {}: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        )));
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

pub(crate) fn goenv() -> Result<PathBuf> {
    let path = go(None, &["env", "GOENV"])?;
    if path.is_empty() || path == "off" {
        return Err(Error::config(
            "GOENV is off: go reads no env file to put GOAUTH in",
        ));
    }
    Ok(PathBuf::from(path))
}

/// The value of `KEY=...` in go's env file text.
fn value<'a>(text: &'a str, key: &str) -> Option<&'a str> {
    text.lines()
        .find_map(|l| l.strip_prefix(key)?.strip_prefix('='))
}

/// Run `go env ARGS` against a copy of `text`; the copy afterwards.
fn edit_copy(text: &str, args: &[&str]) -> Result<String> {
    let dir = tempfile::tempdir().map_err(|e| Error::other("temp dir").with_source(e))?;
    let copy = dir.path().join("env");
    std::fs::write(&copy, text)
        .map_err(|e| Error::other(copy.display().to_string()).with_source(e))?;
    go(Some(&copy), args)?;
    std::fs::read_to_string(&copy)
        .map_err(|e| Error::other(copy.display().to_string()).with_source(e))
}

pub(super) fn plan(w: &Wiring<'_>) -> Result<Plan> {
    let path = file(w.args, goenv)?;
    let exe = w.exe.display().to_string();
    // go splits the command on blanks, with '…' grouping and no escapes.
    if exe.contains(['\'', ';']) {
        return Err(Error::config(
            "the path of ecluse-cred holds a `'` or `;`, which GOAUTH cannot carry",
        ));
    }
    let ours = if exe.contains(char::is_whitespace) {
        format!("'{exe}' goauth")
    } else {
        format!("{exe} goauth")
    };
    if !w.url.starts_with("https://") {
        return Err(Error::config(
            "go sends GOAUTH credentials over https only: wire an https URL",
        ));
    }
    let proxy = w.url.trim_end_matches('/').to_owned();
    let edit = Edit::of(path.clone(), false, |old| {
        let entries: Vec<&str> = value(old, "GOAUTH")
            .unwrap_or("")
            .split(';')
            .map(str::trim)
            .filter(|e| !e.is_empty())
            .collect();
        let is_ours = |e: &&str| e.ends_with(" goauth") && e.contains("ecluse-cred");
        let others: Vec<&str> = entries.iter().filter(|e| !is_ours(e)).copied().collect();
        let proxies: Vec<&str> = value(old, "GOPROXY")
            .map(|v| v.split(',').filter(|p| *p != proxy).collect())
            .unwrap_or_default();
        let mut text = old.to_owned();
        if w.args.undo {
            if entries.iter().any(is_ours) {
                text = if others.is_empty() || others == ["netrc"] {
                    edit_copy(&text, &["env", "-u", "GOAUTH"])?
                } else {
                    edit_copy(
                        &text,
                        &["env", "-w", &format!("GOAUTH={}", others.join(";"))],
                    )?
                };
            }
            // GOPROXY only when undoing what `--proxy` did: an entry the user had is theirs.
            if w.args.proxy
                && value(old, "GOPROXY").is_some_and(|v| v.split(',').any(|p| p == proxy))
            {
                let rest = proxies.join(",");
                text = if rest.is_empty() || rest == DEFAULT_GOPROXY {
                    edit_copy(&text, &["env", "-u", "GOPROXY"])?
                } else {
                    edit_copy(&text, &["env", "-w", &format!("GOPROXY={rest}")])?
                };
            }
            return Ok(text);
        }
        if others.contains(&"off") {
            return Err(Error::config(format!(
                "{}: GOAUTH=off turns authentication off and cannot be combined with a command; remove it (`go env -u GOAUTH`) and run setup again",
                path.display()
            )));
        }
        let mut wanted = vec![ours.as_str()];
        wanted.extend(if others.is_empty() {
            vec!["netrc"]
        } else {
            others
        });
        let goauth = wanted.join(";");
        if value(&text, "GOAUTH") != Some(goauth.as_str()) {
            text = edit_copy(&text, &["env", "-w", &format!("GOAUTH={goauth}")])?;
        }
        if w.args.proxy {
            let rest = if proxies.is_empty() {
                DEFAULT_GOPROXY.to_owned()
            } else {
                proxies.join(",")
            };
            let goproxy = format!("{proxy},{rest}");
            if value(&text, "GOPROXY") != Some(goproxy.as_str()) {
                text = edit_copy(&text, &["env", "-w", &format!("GOPROXY={goproxy}")])?;
            }
        }
        Ok(text)
    })?;
    Ok(Plan {
        edits: vec![edit],
        shim: None,
        links: Vec::new(),
        done: format!("go: GOAUTH asks ecluse-cred{}", if w.args.proxy { ", GOPROXY uses the URL" } else { "" }),
        next: "go mod download (a private module also needs GONOSUMDB or GOPRIVATE=...; GONOPROXY=none)".to_owned(),
        notes: Vec::new(),
    })
}
