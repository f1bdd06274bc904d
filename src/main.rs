//! `ecluse-cred`: parse the command line, run the command, map its error to an exit code.

use ecluse_cred::{app, cli, log};

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = match cli::Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return usage_error(e),
    };
    log::init(cli.verbose, cli.quiet, cli.log_format);
    match app::run(cli) {
        Ok(code) => code,
        Err(e) => {
            log::write(
                log::Level::Error,
                "error",
                None,
                format_args!("{e}"),
                &[("exit_code", (e.code as u8).into())],
            );
            ExitCode::from(e.code as u8)
        }
    }
}

/// Help and version go to stdout with exit 0; usage errors to stderr with exit 2, as one JSON
/// object when `--log-format json` was asked for.
fn usage_error(e: clap::Error) -> ExitCode {
    use clap::error::ErrorKind;
    let wants_json = std::env::args()
        .collect::<Vec<_>>()
        .windows(2)
        .any(|w| w[0] == "--log-format" && w[1] == "json")
        || std::env::args().any(|a| a == "--log-format=json");
    if wants_json && !matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion) {
        log::init(0, false, log::Format::Json);
        let text = e.render().to_string();
        let message = text.trim().strip_prefix("error: ").unwrap_or(text.trim());
        log::write(
            log::Level::Error,
            "usage",
            None,
            format_args!("{message}"),
            &[("exit_code", 2.into())],
        );
        return ExitCode::from(2);
    }
    let _ = e.print();
    ExitCode::from(e.exit_code() as u8)
}
