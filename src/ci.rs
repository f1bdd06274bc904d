//! CI job steps: `token --format env` (a shell `export` line) and `token --format github`
//! (GitHub Actions: mask the token, then hand it to later steps through `$GITHUB_ENV`).

use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

use crate::error::{Error, Result};
use crate::secret::Secret;

/// The variable `--format env|github` and `exec` set unless `--env` names another.
pub const DEFAULT_ENV: &str = "ECLUSE_CRED_TOKEN";

/// An environment variable name every shell accepts, `[A-Za-z_][A-Za-z0-9_]*` (a clap value
/// parser, so a bad one is a usage error).
pub fn env_name(name: &str) -> std::result::Result<String, String> {
    let mut chars = name.chars();
    let ok = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_');
    if ok {
        Ok(name.to_owned())
    } else {
        Err(format!("`{name}` is not a valid environment variable name"))
    }
}

/// `export NAME='TOKEN'`, quoted for POSIX shells (`'` becomes `'\''`).
pub fn shell_export(name: &str, token: &Secret) -> String {
    format!(
        "export {name}='{}'\n",
        token.expose().replace('\'', r"'\''")
    )
}

/// The `::add-mask::` workflow command for `token`, escaped as the runner expects.
pub fn add_mask(token: &Secret) -> String {
    let escaped = token
        .expose()
        .replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A");
    format!("::add-mask::{escaped}\n")
}

/// Mask the token (on stderr, the one deliberate place a token goes there: the runner consumes
/// and hides that line), then append `NAME<<DELIM`/token/`DELIM` to the `$GITHUB_ENV` file.
pub fn github_export(name: &str, token: &Secret, github_env: Option<&Path>) -> Result<()> {
    let Some(path) = github_env else {
        return Err(Error::config(
            "--format github needs $GITHUB_ENV (set by GitHub Actions in every step); outside Actions use --format env",
        ));
    };
    std::io::stderr()
        .lock()
        .write_all(add_mask(token).as_bytes())
        .map_err(|e| Error::other("cannot write to stderr").with_source(e))?;
    let delimiter = loop {
        let d = format!(
            "ghadelimiter_{:016x}{:016x}",
            fastrand::u64(..),
            fastrand::u64(..)
        );
        if !token.expose().contains(&d) {
            break d;
        }
    };
    let block = format!("{name}<<{delimiter}\n{}\n{delimiter}\n", token.expose());
    // A file created here holds a token: 0600, like every file that does.
    std::fs::OpenOptions::new()
        .append(true)
        .create(true)
        .mode(0o600)
        .open(path)
        .and_then(|mut f| f.write_all(block.as_bytes()))
        .map_err(|e| {
            Error::other(format!("cannot append to $GITHUB_ENV ({})", path.display()))
                .with_source(e)
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shell_export_quotes_single_quotes() {
        let t = Secret::new("a'b$c".into());
        assert_eq!(shell_export("X", &t), "export X='a'\\''b$c'\n");
    }

    #[test]
    fn add_mask_escapes_percent_and_newlines() {
        assert_eq!(
            add_mask(&Secret::new("a%b\r\nc".into())),
            "::add-mask::a%25b%0D%0Ac\n"
        );
    }

    #[test]
    fn env_names_are_checked() {
        assert!(env_name("NPM_TOKEN").is_ok());
        assert!(env_name("_x1").is_ok());
        for bad in ["", "1X", "A-B", "A B", "X=Y"] {
            assert!(env_name(bad).is_err(), "{bad}");
        }
    }
}
