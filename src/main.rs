//! `ecluse-cred`: pick the protocol by the name it was invoked under (`keyring`,
//! `git-credential-ecluse`, `docker-credential-ecluse`, or cargo's `--cargo-plugin`), else parse
//! the command line, run the command, and map its error to an exit code.

use std::process::ExitCode;

use clap::Parser;
use ecluse_cred::app::Context;
use ecluse_cred::protocol::{self, shims};
use ecluse_cred::{app, cli, log, redact};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args_os()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    let invoked_as = args
        .first()
        .and_then(|a| std::path::Path::new(a).file_name())
        .and_then(|n| n.to_str());
    let rest = args.get(1..).unwrap_or_default();
    match invoked_as {
        Some(shims::KEYRING) => return protocol::keyring::main(Context::from_env(), rest),
        Some(shims::GIT) => {
            return protocol::git::main(
                Context::from_env(),
                rest.first().map(String::as_str),
                None,
            );
        }
        Some(shims::DOCKER) => {
            return protocol::docker::main(Context::from_env(), rest.first().map(String::as_str));
        }
        Some(name) if name.starts_with(protocol::npm::PNPM_HELPER_PREFIX) => {
            return pnpm_token(&name[protocol::npm::PNPM_HELPER_PREFIX.len()..]);
        }
        _ => {}
    }
    if rest.first().map(String::as_str) == Some("--cargo-plugin") {
        let ctx = Context::from_env().map_err(|e| e.message);
        return protocol::cargo::main(protocol::cargo::Provider { ctx });
    }
    let cli = match cli::Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return usage_error(e),
    };
    log::init(cli.verbose, cli.quiet, cli.log_format);
    match app::run(cli) {
        Ok(code) => code,
        Err(e) => ecluse_cred::error::report(&e),
    }
}
/// pnpm's token helper: `Bearer TOKEN` on stdout, which pnpm <= 10 sends as the whole
/// Authorization value and pnpm >= 11 sends as is, since it has a scheme.
fn pnpm_token(target: &str) -> ExitCode {
    let served = Context::from_env().and_then(|ctx| {
        let target = ctx.config.target(target)?;
        ctx.serve(&target, None, false)
    });
    match served.and_then(|served| app::print(&format!("Bearer {}\n", served.entry.token.expose())))
    {
        Ok(code) => code,
        Err(e) => ecluse_cred::error::report(&e),
    }
}

/// Help and version go to stdout with exit 0; usage errors to stderr with exit 2, as one JSON
/// object when `--log-format json` was asked for. An argument's userinfo is never repeated back.
fn usage_error(e: clap::Error) -> ExitCode {
    use clap::error::ErrorKind;
    if matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion) {
        let _ = e.print();
        return ExitCode::SUCCESS;
    }
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    let wants_json = args
        .windows(2)
        .any(|w| w[0] == "--log-format" && w[1] == "json")
        || args.iter().any(|a| a == "--log-format=json");
    let text = e.render().to_string();
    if wants_json {
        log::init(0, false, log::Format::Json);
        let message = text.trim().strip_prefix("error: ").unwrap_or(text.trim());
        log::write(
            log::Level::Error,
            "usage",
            None,
            format_args!("{}", redact::userinfo(message)),
            &[("exit_code", 2.into())],
        );
    } else if text.contains('@') {
        use std::io::Write;
        let _ = std::io::stderr().write_all(redact::userinfo(&text).as_bytes());
    } else {
        let _ = e.print();
    }
    ExitCode::from(2)
}
