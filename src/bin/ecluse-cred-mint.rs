//! `ecluse-cred-mint`: runs one cloud mint for `ecluse-cred` (not meant to be run by hand).
//! See `backend::helper` for why it is a separate executable and for its protocol.

use std::io::Write;
use std::process::ExitCode;
use std::time::Duration;

use ecluse_cred::backend::{self, FailureKind, helper};

fn main() -> ExitCode {
    let arg = std::env::args_os().nth(1);
    let request: helper::Request = match arg
        .as_ref()
        .and_then(|a| a.to_str())
        .map(serde_json::from_str)
    {
        Some(Ok(request)) => request,
        _ => {
            let _ = writeln!(
                std::io::stderr(),
                "ecluse-cred-mint is run by ecluse-cred to mint cloud tokens; it takes no command line of its own"
            );
            return ExitCode::from(helper::exit_code(FailureKind::Misconfigured));
        }
    };
    let timeout = Duration::from_millis(request.timeout_ms);
    match backend::cloud_mint(&request.backend, timeout).mint(request.started) {
        Ok(minted) => {
            let response = helper::Response {
                token: minted.token.expose().to_owned(),
                expires_at_ms: minted.expires_at,
                expiry_source: minted.expiry_source,
            };
            let json = serde_json::to_string(&response).expect("response serializes");
            match std::io::stdout().lock().write_all(json.as_bytes()) {
                Ok(()) => ExitCode::SUCCESS,
                Err(_) => ExitCode::from(helper::exit_code(FailureKind::Transient)),
            }
        }
        Err(e) => {
            // One line: the parent quotes the last line of stderr.
            let _ = writeln!(std::io::stderr(), "{}", e.message.replace('\n', " "));
            ExitCode::from(helper::exit_code(e.kind))
        }
    }
}
