//! The one dispatch table: what the process was invoked for (a command line, or a client's
//! shim name, which is the same command) to the command that runs it (`commands/*`). The reply
//! or failure goes back to `main`, which hands it to [`crate::error::finish`].

use crate::cli::{Cli, Command, InstallWhat, Invocation};
use crate::commands::{self, clients};
use crate::context::Locations;
use crate::error::{Reply, Result};
use crate::log;

/// Run what the process was invoked for. The configuration is read only by the commands that
/// use it; the client protocols get it as loaded or why it could not be, to report in their
/// client's form.
pub fn run(invocation: Invocation) -> Result<Reply> {
    let (command, at) = match invocation {
        Invocation::Client(command) => (command, Locations::from_env()),
        Invocation::Cli(cli) => {
            let Cli {
                config,
                cache_dir,
                verbose,
                quiet,
                log_format,
                command,
            } = *cli;
            log::init(verbose, quiet, log_format);
            let at = Locations { config, cache_dir };
            (command, at)
        }
    };
    match command {
        Command::Token(args) => commands::token::run(&at.load()?, args),
        Command::Status(args) => commands::status::run(&at.load()?, args),
        Command::Refresh(args) => commands::refresh::run(&at.load()?, args),
        Command::Clear(args) => commands::clear::run(&at.load()?, args),
        Command::Exec(args) => commands::exec::run(&at.load()?, args),
        Command::Npmrc(args) => commands::npmrc::run(&at.load()?, args),
        Command::KubeCredential(args) => commands::kube::run(&at.load()?, args),
        Command::Setup(args) => commands::setup::run(&at.load()?, *args),
        Command::Doctor(args) => commands::doctor::run(at, args),
        Command::Init(args) => commands::init::run(at.config, args),
        Command::Install {
            what: InstallWhat::Shims { dir },
        } => commands::install::run(dir),
        Command::Completions { shell } => commands::docs::completions(shell),
        Command::GenerateDocs { dir } => commands::docs::generate(&dir),
        Command::BackgroundRefresh(args) => commands::background::run(&at.load()?, args),
        Command::Keyring { args } => clients::keyring(at.load(), &args),
        Command::GitCredential { operation, target } => {
            clients::git(at.load(), operation.as_deref(), target.as_deref())
        }
        Command::DockerCredential { operation } => clients::docker(at.load(), operation.as_deref()),
        Command::Goauth { url } => clients::goauth(at.load(), url.as_deref()),
        Command::BazelCredential { operation } => clients::bazel(at.load(), operation.as_deref()),
        Command::TerraformCredentials { args } => clients::terraform(at.load(), &args),
        Command::PnpmTokenHelper { target } => clients::pnpm(at.load(), &target),
        Command::CargoProvider => clients::cargo(at.load()),
        Command::KubeletCredential => clients::kubelet(at.load()),
        Command::KubeletConfig(args) => commands::kubelet::run(&at.load()?, args),
    }
}
