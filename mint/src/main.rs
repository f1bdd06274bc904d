//! `ecluse-cred-mint`: runs one cloud mint for `ecluse-cred` (not meant to be run by hand).
//! See `ecluse-cred`'s `backend::helper` for why it is a separate executable, and
//! `ecluse_cred_contract::helper` for its protocol. This is the one package that links the
//! cloud backends (`ecluse-cred-cloud`): the serving package does not depend on it.

use std::io::{IsTerminal, Read, Write};
use std::process::ExitCode;
use std::time::Duration;

use ecluse_cred_cloud::{codeartifact, ecr, gcp, oauth2};
use ecluse_cred_contract::backend::{Backend, ClientAuth};
use ecluse_cred_contract::helper;
use ecluse_cred_contract::mint::{FailureKind, Mint, MintError};
use ecluse_cred_contract::signal::reset_sigchld;

/// The exit status that says a failure of `kind`.
fn exit(kind: FailureKind) -> ExitCode {
    ExitCode::from(kind.exit_status())
}

fn main() -> ExitCode {
    // The cloud SDKs run credential programs of their own.
    reset_sigchld();
    let mut args = std::env::args_os().skip(1);
    let request = match (args.next(), args.next()) {
        (Some(arg), None) if arg == "--version" => {
            let _ = writeln!(
                std::io::stdout(),
                "ecluse-cred-mint {}",
                env!("CARGO_PKG_VERSION")
            );
            return ExitCode::SUCCESS;
        }
        (None, _) => read_request(),
        (Some(_), _) => None,
    };
    let Some(request) = request else {
        let _ = writeln!(
            std::io::stderr(),
            "ecluse-cred-mint is run by ecluse-cred to mint cloud tokens (it reads its request on stdin); it takes no command line of its own"
        );
        return exit(FailureKind::Misconfigured);
    };
    let request = match request {
        Incoming::Fleet(request) => {
            // A fleet step: no cloud call; every failure of the store is an answer.
            let answer = ecluse_cred_fleet::step::run(&request);
            let json = serde_json::to_string(&answer).expect("answer serializes");
            return match std::io::stdout().lock().write_all(json.as_bytes()) {
                Ok(()) => ExitCode::SUCCESS,
                Err(_) => exit(FailureKind::Transient),
            };
        }
        Incoming::Mint(request) => request,
    };
    let timeout = Duration::from_millis(request.timeout_ms);
    let result = cloud_mint(&request.backend, timeout).and_then(|m| m.mint(request.started));
    match result {
        Ok(minted) => {
            let response = helper::Response {
                token: minted.token.expose().to_owned(),
                expires_at_ms: minted.expires_at,
                expiry_source: minted.expiry_source,
            };
            let json = serde_json::to_string(&response).expect("response serializes");
            match std::io::stdout().lock().write_all(json.as_bytes()) {
                Ok(()) => ExitCode::SUCCESS,
                Err(_) => exit(FailureKind::Transient),
            }
        }
        Err(e) => {
            // One line: the parent quotes the last line of stderr.
            let _ = writeln!(std::io::stderr(), "{}", e.message.replace('\n', " "));
            exit(e.kind)
        }
    }
}

/// What `ecluse-cred` asks: a cloud mint, or a fleet step (told apart by its `fleet` field).
enum Incoming {
    Mint(helper::Request),
    Fleet(helper::FleetRequest),
}

/// The request `ecluse-cred` writes on stdin, read to its end (at most
/// `helper::MAX_REQUEST_BYTES`). A terminal is no request: run by hand, the helper answers at
/// once instead of waiting for input.
fn read_request() -> Option<Incoming> {
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        return None;
    }
    let mut text = Vec::new();
    stdin
        .lock()
        .take(helper::MAX_REQUEST_BYTES + 1)
        .read_to_end(&mut text)
        .ok()?;
    if text.len() as u64 > helper::MAX_REQUEST_BYTES {
        return None;
    }
    let value: serde_json::Value = serde_json::from_slice(&text).ok()?;
    if value.get("fleet").is_some() {
        serde_json::from_value(value).ok().map(Incoming::Fleet)
    } else {
        serde_json::from_value(value).ok().map(Incoming::Mint)
    }
}

/// The cloud mint for a target's settings: the one factory of the cloud backends.
fn cloud_mint(backend: &Backend, timeout: Duration) -> Result<Box<dyn Mint>, MintError> {
    Ok(match backend {
        Backend::Command { .. } => {
            return Err(MintError::misconfigured(
                "ecluse-cred-mint runs cloud backends only; `command` mints run in ecluse-cred",
            ));
        }
        Backend::Codeartifact {
            domain,
            domain_owner,
            region,
            duration,
            profile,
        } => Box::new(codeartifact::CodeArtifactMint {
            domain: domain.clone(),
            domain_owner: domain_owner.clone(),
            region: region.clone(),
            duration: duration.map(|d| d.0),
            profile: profile.clone(),
            timeout,
        }),
        Backend::Ecr {
            registry_id,
            region,
            profile,
            fips,
            dual_stack,
        } => Box::new(ecr::EcrMint {
            registry_id: registry_id.clone(),
            region: region.clone(),
            profile: profile.clone(),
            fips: fips.unwrap_or(false),
            dual_stack: dual_stack.unwrap_or(false),
            timeout,
        }),
        Backend::Gcp { scopes, lifetime } => Box::new(gcp::GcpMint {
            scopes: scopes
                .clone()
                .unwrap_or_else(|| vec![gcp::DEFAULT_SCOPE.to_owned()]),
            lifetime: lifetime.map_or(gcp::DEFAULT_LIFETIME, |l| l.0),
            timeout,
        }),
        Backend::Oauth2 {
            token_url,
            client_id,
            client_secret_env,
            client_secret_file,
            scope,
            client_auth,
        } => {
            let secret = match (client_secret_env, client_secret_file) {
                (Some(name), _) => oauth2::SecretSource::Env(name.clone()),
                (None, Some(path)) => oauth2::SecretSource::File(path.clone()),
                (None, None) => {
                    return Err(MintError::misconfigured(
                        "oauth2: no client_secret_env or client_secret_file",
                    ));
                }
            };
            Box::new(oauth2::OAuth2Mint {
                token_url: token_url.clone(),
                client_id: client_id.clone(),
                secret,
                scope: scope.clone(),
                client_auth: match client_auth.unwrap_or(ClientAuth::Basic) {
                    ClientAuth::Basic => oauth2::ClientAuth::Basic,
                    ClientAuth::Post => oauth2::ClientAuth::Post,
                },
                timeout,
            })
        }
    })
}
