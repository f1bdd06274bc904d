//! `completions SHELL` and the internal `generate-docs DIR`: shell completions and man pages,
//! all from the clap definition.

use std::path::Path;

use clap::CommandFactory;
use clap_complete::Shell;

use crate::cli::Cli;
use crate::error::{Error, Reply, Result};

/// The program name the completions and man pages are for.
const PROGRAM: &str = "ecluse-cred";

/// The shells `generate-docs` writes completions for.
const SHELLS: [Shell; 5] = [
    Shell::Bash,
    Shell::Zsh,
    Shell::Fish,
    Shell::Elvish,
    Shell::PowerShell,
];

/// `completions SHELL`: the script on stdout.
pub fn completions(shell: Shell) -> Result<Reply> {
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), PROGRAM, &mut out);
    Ok(Reply::Stdout(String::from_utf8_lossy(&out).into_owned()))
}

/// Write `DIR/completions/` (bash, zsh, fish, elvish, PowerShell) and `DIR/man/` (one page for
/// the command and one per subcommand).
pub fn generate(dir: &Path) -> Result<Reply> {
    let fail = |e: std::io::Error| {
        Error::other(format!("cannot write under {}", dir.display())).with_source(e)
    };
    let completions = dir.join("completions");
    let man = dir.join("man");
    std::fs::create_dir_all(&completions).map_err(fail)?;
    std::fs::create_dir_all(&man).map_err(fail)?;
    for shell in SHELLS {
        clap_complete::generate_to(shell, &mut Cli::command(), PROGRAM, &completions)
            .map_err(fail)?;
    }
    // The client protocols are kept out of `--help`'s list, not out of the manual.
    let mut command = Cli::command();
    for name in crate::cli::PROTOCOL_COMMANDS {
        command = command.mut_subcommand(name, |c| c.hide(false));
    }
    clap_mangen::generate_to(command, &man).map_err(fail)?;
    Ok(Reply::Stdout(String::new()))
}
