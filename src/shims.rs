//! The names under which clients run ecluse-cred: `ecluse-cred install shims [DIR]` makes
//! these symlinks to the running executable, and `cli::Invocation` maps the name it was invoked
//! under to that client's command.

use std::path::Path;

use crate::error::{Error, Result};

/// pip's and uv's fixed program name.
pub const KEYRING: &str = "keyring";
/// `credential.helper = ecluse` makes git run `git-credential-ecluse`.
pub const GIT: &str = "git-credential-ecluse";
/// `"credHelpers": {"registry": "ecluse"}` makes docker run `docker-credential-ecluse`.
pub const DOCKER: &str = "docker-credential-ecluse";
/// Bazel runs `--credential_helper` programs with one argument, `get`.
pub const BAZEL: &str = "bazel-credential-ecluse";
/// Terraform's `credentials_helper "ecluse"` runs `terraform-credentials-ecluse` from its plugin
/// directory.
pub const TERRAFORM: &str = "terraform-credentials-ecluse";
/// The kubelet runs image credential providers by their name in its
/// `CredentialProviderConfig`, from `--image-credential-provider-bin-dir`.
pub const KUBELET: &str = "kubelet-credential-ecluse";

pub const ALL: [&str; 6] = [KEYRING, GIT, DOCKER, BAZEL, TERRAFORM, KUBELET];

/// Make `link` a symlink to `exe`, replacing a symlink that is there (never a file).
pub fn link(link: &Path, exe: &Path) -> Result<()> {
    if let Some(dir) = link.parent() {
        // Not the umask's say: others who can write the directory could swap the shim a
        // client config runs by absolute path.
        std::os::unix::fs::DirBuilderExt::mode(std::fs::DirBuilder::new().recursive(true), 0o755)
            .create(dir)
            .map_err(|e| Error::other(format!("cannot create {}", dir.display())).with_source(e))?;
    }
    match std::fs::symlink_metadata(link) {
        // Only a link to an ecluse-cred (an older copy, say) is replaced: a `keyring` that
        // pipx or another tool put there is the user's.
        Ok(meta)
            if meta.file_type().is_symlink()
                && std::fs::read_link(link).is_ok_and(|to| {
                    to.file_name()
                        .and_then(|n| n.to_str())
                        .is_some_and(|n| n.starts_with("ecluse-cred"))
                }) =>
        {
            std::fs::remove_file(link).map_err(|e| {
                Error::other(format!("cannot replace {}", link.display())).with_source(e)
            })?;
        }
        Ok(meta) if meta.file_type().is_symlink() => {
            return Err(Error::other(format!(
                "{} links to {}, not to an ecluse-cred: leaving it alone (remove it or pick another directory)",
                link.display(),
                std::fs::read_link(link).unwrap_or_default().display()
            )));
        }
        Ok(_) => {
            return Err(Error::other(format!(
                "{} exists and is not a symlink: leaving it alone (remove it or pick another directory)",
                link.display()
            )));
        }
        Err(_) => {}
    }
    std::os::unix::fs::symlink(exe, link)
        .map_err(|e| Error::other(format!("cannot create {}", link.display())).with_source(e))
}

/// Create (or replace) the symlinks in `dir`, pointing at `exe`. Returns what to tell the user.
pub fn install(dir: &Path, exe: &Path) -> Result<String> {
    let mut report = String::new();
    for name in ALL {
        let path = dir.join(name);
        link(&path, exe)?;
        report.push_str(&format!("{} -> {}\n", path.display(), exe.display()));
    }
    if let Some(hint) = not_on_path(dir) {
        report.push_str(&format!(
            "{hint} (pip skips a keyring inside its own venv)\n"
        ));
    }
    Ok(report)
}

/// What to tell a user whose shims went into `dir` when `dir` is not on PATH, where clients
/// look for them; `None` when it is.
pub fn not_on_path(dir: &Path) -> Option<String> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    if std::env::split_paths(&path).any(|d| d == dir) {
        return None;
    }
    Some(format!(
        "{} is not on PATH: add `export PATH=\"{}:$PATH\"` to your shell profile",
        dir.display(),
        dir.display()
    ))
}
