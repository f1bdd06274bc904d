//! `ecluse-cred-mint`: runs one cloud mint for `ecluse-cred` (not meant to be run by hand).
//! See `backend::helper` for why it is a separate executable and for its protocol.

use std::io::Write;
use std::process::ExitCode;
use std::time::Duration;

use ecluse_cred::backend::{self, FailureKind, helper};

fn main() -> ExitCode {
    let request: helper::Request = match std::env::args().nth(1).map(|a| serde_json::from_str(&a)) {
        Some(Ok(request)) => request,
        _ => {
            eprintln!(
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
            eprintln!("{}", e.message.replace('\n', " "));
            ExitCode::from(helper::exit_code(e.kind))
        }
    }
}
