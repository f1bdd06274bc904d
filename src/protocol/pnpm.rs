//! pnpm's token helper: pnpm runs the program named by `//host/path/:tokenHelper` in the
//! user's `~/.npmrc` with no arguments (through a shell) on every run, and sends what it prints.
//! `npmrc --pnpm-token-helper` makes an `ecluse-pnpm-token-TARGET` symlink to `ecluse-cred` and
//! writes that line; invoked under that name, `ecluse-cred` prints `Bearer TOKEN`, which pnpm
//! <= 10 sends as the whole Authorization value and pnpm >= 11 sends as is, since it has a
//! scheme.

use std::path::{Path, PathBuf};

use crate::context::Context;
use crate::error::{Error, Reply, Result};

/// Prefix of the symlink name pnpm runs as a token helper; the rest of the name is the target.
pub const PNPM_HELPER_PREFIX: &str = "ecluse-pnpm-token-";

/// The key pnpm looks a token helper up by: `//host[:port]/path/:tokenHelper`.
pub fn token_helper_key(registry: &str) -> Result<String> {
    Ok(crate::npmrc::auth_key(registry)?.replace(":_authToken", ":tokenHelper"))
}

/// Make the `ecluse-pnpm-token-TARGET` symlink to `exe` in `dir` (as every shim is made, see
/// [`crate::shims::link`]); its absolute path. pnpm runs the helper with no arguments (and
/// through a shell), so the target is in the name.
pub fn pnpm_helper(dir: &Path, target: &str, exe: &Path) -> Result<PathBuf> {
    let link = pnpm_helper_path(dir, target)?;
    crate::shims::link(&link, exe)?;
    Ok(link)
}

/// Where target `target`'s helper link goes in `dir`, if pnpm can run it from there (checked,
/// nothing created).
pub fn pnpm_helper_path(dir: &Path, target: &str) -> Result<PathBuf> {
    if crate::cache::file_stem(target) != target {
        return Err(Error::config(format!(
            "target `{target}` cannot be part of a file name; give it a name of letters, digits, `.`, `-` and `_` for pnpm"
        )));
    }
    let dir = std::path::absolute(dir)
        .map_err(|e| Error::other(dir.display().to_string()).with_source(e))?;
    if dir
        .to_string_lossy()
        .contains(|c: char| c.is_whitespace() || "'\"$`\\".contains(c))
    {
        return Err(Error::config(format!(
            "{}: pnpm runs the helper through a shell; pick a directory without spaces or quotes",
            dir.display()
        )));
    }
    Ok(dir.join(format!("{PNPM_HELPER_PREFIX}{target}")))
}

/// One exchange: answer as the helper of target `target` (the rest of the name it was
/// invoked under).
pub fn exchange(ctx: Result<Context>, target: &str) -> Result<Reply> {
    let ctx = ctx?;
    let target = crate::resolve::target(&ctx.config, target)?;
    let served = ctx.serve(&target, None, false)?;
    Ok(Reply::Stdout(format!(
        "Bearer {}\n",
        served.entry.token.expose()
    )))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Code;
    use crate::protocol::testing::{broken, one_target, stdout};

    #[test]
    fn the_helper_prints_its_target_s_token_as_a_bearer_value() {
        let (_dir, ctx) = one_target("");
        assert_eq!(stdout(exchange(Ok(ctx), "t")), "Bearer tok-1\n");
        let (_dir, ctx) = one_target("");
        assert_eq!(exchange(Ok(ctx), "nope").unwrap_err().code, Code::Config);
        assert_eq!(exchange(broken(), "t").unwrap_err().code, Code::Config);
    }
}
