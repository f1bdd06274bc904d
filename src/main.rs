//! `ecluse-cred`: find out what the process was invoked for (a client's shim name, cargo's
//! provider, or the command line), run it, and map a failure to its exit code, once.

use std::process::ExitCode;

use ecluse_cred::{app, cli, error};

fn main() -> ExitCode {
    match cli::Invocation::from_args(std::env::args_os().collect()) {
        Ok(invocation) => app::run(invocation).unwrap_or_else(|e| error::report(&e)),
        Err(usage) => cli::usage_error(usage),
    }
}
