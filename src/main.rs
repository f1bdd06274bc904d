//! `ecluse-cred`: find out what the process was invoked for (a client's shim name, cargo's
//! provider, or the command line), run it, and print its reply or map its failure to an exit
//! code, once ([`error::finish`]).

use std::process::ExitCode;

use ecluse_cred::{cli, dispatch, error};
use ecluse_cred_contract::signal::reset_sigchld;

fn main() -> ExitCode {
    reset_sigchld();
    match cli::Invocation::from_args(std::env::args_os().collect()) {
        Ok(invocation) => error::finish(dispatch::run(invocation)),
        Err(usage) => cli::usage_error(usage),
    }
}
