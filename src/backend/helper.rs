//! Cloud mints run in a separate executable, `ecluse-cred-mint` (the `mint/` package),
//! installed next to `ecluse-cred`. The AWS SDK, reqwest, rustls and tokio live only there, so
//! the `ecluse-cred` binary that serves cached tokens stays small and starts as fast as a cat,
//! and its package does not build them at all. The mint is then a child process like a
//! `command` mint: `mint_timeout` kills it and all it started, however it is stuck.
//!
//! The protocol (`ecluse_cred_contract::helper`) is private to one installation: a JSON
//! [`Request`] on stdin, never on the command line; success is a JSON [`Response`] on stdout,
//! failure a message on stderr and the exit status of its failure kind
//! (`ecluse_cred_contract::exit`: 75 transient, 77 rejected, 78 misconfigured).

use std::path::PathBuf;
use std::time::Duration;

use ecluse_cred_contract::helper::{Request, Response};

use super::command::excerpt;
use crate::config::Backend;
use crate::mint::{EpochMs, FailureKind, Mint, MintError, Minted};
use crate::process::{MAX_STDOUT_BYTES, run_command};
use crate::secret::Secret;

/// File name of the helper executable, looked up next to the running `ecluse-cred`.
pub const HELPER_NAME: &str = "ecluse-cred-mint";
/// How both executables are installed from a checkout: `cargo install --path` installs one
/// package, and the helper is a package of its own (so that `ecluse-cred` builds no cloud SDK).
pub const INSTALL_BOTH: &str =
    "cargo install --locked --path . && cargo install --locked --path mint";
/// How to get both executables back, whichever way they were installed: the package and the
/// release archive carry both (README, "Install"), a checkout [`INSTALL_BOTH`].
pub fn reinstall() -> String {
    format!(
        "reinstall ecluse-cred, which installs both executables side by side: the .deb (`apt install ./ecluse-cred_*.deb`), the release archive (`./install.sh`), or from a checkout `{INSTALL_BOTH}`"
    )
}

/// A cloud mint, run by the helper.
pub struct HelperMint {
    pub backend: Backend,
    pub timeout: Duration,
    /// Variables removed from the helper's environment (the fleet key's and password's).
    pub hidden_env: Vec<String>,
}

impl HelperMint {
    pub(crate) fn helper_path() -> Result<PathBuf, MintError> {
        let exe =
            crate::files::own_exe().map_err(|e| MintError::transient(e.chain().to_string()))?;
        let helper = exe.with_file_name(HELPER_NAME);
        if !helper.exists() {
            return Err(MintError::misconfigured(format!(
                "{} is missing: it is installed with ecluse-cred ({})",
                helper.display(),
                reinstall()
            )));
        }
        Ok(helper)
    }
}

impl Mint for HelperMint {
    fn mint(&self, started: EpochMs) -> Result<Minted, MintError> {
        // The helper's own deadline comes first, so its message says what was waited for.
        let inner = self.timeout.mul_f64(0.95);
        let request = Request {
            backend: self.backend.clone(),
            timeout_ms: inner.as_millis() as u64,
            started,
        };
        let mut command = std::process::Command::new(Self::helper_path()?);
        for name in &self.hidden_env {
            command.env_remove(name);
        }
        let input = serde_json::to_vec(&request).expect("request serializes");
        let out = run_command(command, Some(input), self.timeout, MAX_STDOUT_BYTES)?;
        let message = || {
            let text = excerpt(&out.stderr);
            let text = text
                .strip_prefix(": ")
                .unwrap_or("the mint helper failed without a message");
            text.to_owned()
        };
        if out.code != Some(0) {
            return Err(MintError {
                kind: FailureKind::from_exit_status(out.code),
                message: message(),
            });
        }
        let response: Response = serde_json::from_slice(&out.stdout)
            .map_err(|_| MintError::transient("the mint helper printed an unreadable answer"))?;
        Ok(Minted {
            token: Secret::new(response.token),
            expires_at: response.expires_at_ms,
            expiry_source: response.expiry_source,
        })
    }
}
