//! `setup bazel`: `common --credential_helper=HOST=PATH` in the user's `~/.bazelrc`, scoped to
//! the registry's host (Bazel scopes are host names, without port), PATH being the
//! `bazel-credential-ecluse` shim (Bazel runs `PATH get` and cannot pass other arguments). Bazel
//! runs it by that absolute path, so the shim need not be on PATH: without `--bin-dir` or a
//! writable directory of the user's on PATH, it goes into ecluse-cred's data directory.

use super::{Edit, Plan, Shim, Wiring, file, home, with_block, without_block};
use crate::error::{Error, Result};
use crate::request::Request;

pub(crate) fn bazelrc() -> Result<std::path::PathBuf> {
    Ok(home()?.join(".bazelrc"))
}

pub(super) fn plan(w: &Wiring<'_>) -> Result<Plan> {
    let path = file(w.args, bazelrc)?;
    let request = Request::url(w.url)?;
    if !request.host.contains('.') {
        return Err(Error::config(format!(
            "Bazel scopes credential helpers by a host name with a dot; `{}` has none",
            request.host
        )));
    }
    let shim = super::shim_anywhere(w.args, crate::shims::BAZEL)?;
    if shim.to_string_lossy().contains(char::is_whitespace) {
        return Err(Error::config(format!(
            "{}: Bazel splits .bazelrc lines on whitespace; pass --bin-dir DIR without spaces",
            shim.display()
        )));
    }
    let line = format!(
        "common --credential_helper={}={}",
        request.host,
        shim.display()
    );
    let prefix = format!("common --credential_helper={}=", request.host);
    let edit = Edit::of(path.clone(), false, |old| {
        // Whatever directory the shim was in when setup ran.
        let rest = without_block(old, "#", w.url, |l| {
            l.starts_with(&prefix) && l.ends_with(crate::shims::BAZEL)
        });
        if w.args.undo {
            return Ok(rest);
        }
        if let Some(n) = rest.lines().position(|l| l.starts_with(&prefix)) {
            return Err(Error::config(format!(
                "{}:{}: a credential helper for {} is already set; remove that line and run setup again",
                path.display(),
                n + 1,
                request.host
            )));
        }
        Ok(with_block(&rest, "#", w.url, &format!("{line}\n")))
    })?;
    Ok(Plan {
        edits: vec![edit],
        shim: Some(Shim::At(shim)),
        links: Vec::new(),
        done: format!("bazel: {} asks ecluse-cred", request.host),
        next: "bazel build //...".to_owned(),
        notes: vec![
            "Bazel before 7.4 re-runs the helper on every request when it reports an expiry; use 7.4 or later"
                .to_owned(),
        ],
    })
}
