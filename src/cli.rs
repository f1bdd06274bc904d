//! The command line. This definition is the single source of `--help`.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::context::{CACHE_DIR_ENV, CONFIG_ENV};
use crate::log;
use crate::protocol::pnpm;
use crate::shims;

/// What the process was invoked for: a client's protocol under the shim name it runs
/// (`keyring`, `git-credential-ecluse`, `docker-credential-ecluse`, `bazel-credential-ecluse`,
/// `terraform-credentials-ecluse`, `kubelet-credential-ecluse`, `ecluse-pnpm-token-TARGET`) or
/// as cargo's credential provider
/// (`--cargo-plugin`), or the command line. A shim name is the [`Command`] of the same client,
/// so there is one dispatch table.
#[derive(Debug)]
pub enum Invocation {
    /// A client's protocol, run by the client: no command line of ours, so the configuration
    /// and cache directory come from `ECLUSE_CRED_CONFIG` and `ECLUSE_CRED_CACHE_DIR`.
    Client(Command),
    Cli(Box<Cli>),
}

impl Invocation {
    /// From the process arguments: the name invoked under decides first, then
    /// `--cargo-plugin`, else the command line is parsed (a usage error is clap's).
    pub fn from_args(args: Vec<OsString>) -> Result<Invocation, clap::Error> {
        if let Some(command) = client_command(&args) {
            return Ok(Invocation::Client(command));
        }
        if let Some(cli) = Cli::cached_token_call(&args) {
            return Ok(Invocation::Cli(Box::new(cli)));
        }
        Cli::parse_with_paths(args).map(|cli| Invocation::Cli(Box::new(cli)))
    }
}

/// What `--help` shows where the config file and the cache are: the defaults the derive writes
/// are the usual ones; these are the ones this process uses (`$XDG_CONFIG_HOME`, ...).
const DEFAULT_CONFIG_SHOWN: &str = "~/.config/ecluse-cred/config.toml";
const DEFAULT_CACHE_SHOWN: &str = "~/.cache/ecluse-cred";

impl Cli {
    /// Parse with clap, `--help` naming the default config file and cache directory this
    /// process would use (honouring `XDG_CONFIG_HOME` and `XDG_CACHE_HOME`).
    fn parse_with_paths(args: Vec<OsString>) -> Result<Cli, clap::Error> {
        use clap::{CommandFactory, FromArgMatches};
        let shown = |path: Option<PathBuf>, usual: &str| {
            path.map_or(usual.to_owned(), |p| p.display().to_string())
        };
        let config = shown(crate::context::default_config_path(), DEFAULT_CONFIG_SHOWN);
        let cache = shown(crate::context::default_cache_dir(), DEFAULT_CACHE_SHOWN);
        let mut command = Cli::command()
            .mut_arg("config", |a| {
                a.help(format!("Configuration file [default: {config}]"))
            })
            .mut_arg("cache_dir", |a| {
                a.help(format!("Cache directory [default: {cache}]"))
            })
            .after_help(after_help(&config));
        let mut args = args;
        if let Some(at) = subcommand_at(&args)
            && PASS_THROUGH.iter().any(|p| args[at] == *p)
            && args.len() == at + 2
            && (args[at + 1] == "--help" || args[at + 1] == "-h")
        {
            let sub = args[at].clone();
            args.truncate(at);
            args.extend(["help".into(), sub]);
        }
        let asks_setup = args.iter().any(|a| a == "setup");
        let matches = match command.try_get_matches_from_mut(args) {
            Ok(matches) => matches,
            // `setup` without a client: its help, which lists the clients, rather than a list
            // of missing arguments.
            Err(e)
                if asks_setup
                    && e.kind() == clap::error::ErrorKind::MissingRequiredArgument
                    && e.to_string().contains("<CLIENT>") =>
            {
                let setup = command
                    .find_subcommand_mut("setup")
                    .expect("setup is a subcommand");
                let help = setup.render_help().to_string();
                return Err(clap::Error::raw(
                    clap::error::ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand,
                    help,
                ));
            }
            Err(e) => return Err(e),
        };
        Cli::from_arg_matches(&matches).map_err(|e| e.format(&mut command))
    }
}

/// Where the subcommand is in `args`: the first argument that is neither a global option nor
/// the value of one (so `--target keyring` is never taken for the `keyring` command).
fn subcommand_at(args: &[OsString]) -> Option<usize> {
    const TAKE_VALUE: [&str; 3] = ["--config", "--cache-dir", "--log-format"];
    let mut i = 1;
    while let Some(arg) = args.get(i) {
        let arg = arg.to_str()?;
        if TAKE_VALUE.contains(&arg) {
            i += 2;
        } else if arg.starts_with('-') {
            i += 1;
        } else {
            return Some(i);
        }
    }
    None
}

/// The end of `--help`: the client protocols (kept out of the list of commands a person types),
/// exit codes, and the config file with how to start one.
fn after_help(config: &str) -> String {
    format!(
        "Client protocols, run by the clients `setup` wires (`ecluse-cred help NAME` for each):\n  \
keyring (pip, uv), git-credential (git), docker-credential (docker, podman, skopeo),\n  \
kube-credential (kubectl), goauth (go), bazel-credential (Bazel),\n  \
terraform-credentials (Terraform), kubelet-credential (the kubelet), --cargo-plugin (cargo)\n\n\
Exit codes: 0 ok, 2 usage, 75 temporary failure (retry later), 77 credentials rejected, \
78 configuration error, 1 other.\nConfig: {config} (`ecluse-cred init` writes a starter one; see README)."
    )
}

const TOKEN_EXAMPLES: &str = "Examples:
  ecluse-cred token --target build                   # the token and a newline
  export NPM_TOKEN=$(ecluse-cred token --target build)
  ecluse-cred token --url https://pkgs.example.com/npm/ --min-ttl 2h   # outlives a long build
  ecluse-cred token --target build --format github   # CI: masked, into $GITHUB_ENV";

const EXEC_EXAMPLES: &str = "Examples:
  ecluse-cred exec --target build -- mvn -s settings.xml deploy   # settings.xml: ${env.ECLUSE_CRED_TOKEN}
  ecluse-cred exec --target build --env YARN_NPM_AUTH_TOKEN -- yarn install
  ecluse-cred exec --target build --npm-registry https://pkgs.example.com/npm/ -- npm ci";

const SETUP_EXAMPLES: &str = "Examples:
  ecluse-cred setup pip --url https://pkgs.example.com/pypi/simple/ --dry-run   # show the diff
  ecluse-cred setup pip --target build       # the target's one URL
  ecluse-cred setup npm --url https://pkgs.example.com/npm/ --scope @acme
  ecluse-cred setup docker --url https://registry.example.com/
  ecluse-cred setup pip --url https://pkgs.example.com/pypi/simple/ --undo      # take it out
  ecluse-cred setup poetry --url https://pkgs.example.com/pypi/repo/   # also twine, pdm, hatch
  ecluse-cred setup maven --url https://pkgs.example.com/maven/repo/
podman, skopeo and helm read docker's config (setup docker); Gradle and sbt take the token
from the environment (ecluse-cred exec).";

const KUBELET_CONFIG_EXAMPLES: &str = "Examples:
  ecluse-cred kubelet-config > /etc/kubernetes/credential-providers.yaml
  ecluse-cred kubelet-config --target prod --target us-docker.pkg.dev
  ecluse-cred install shims /usr/libexec/kubernetes/kubelet-plugins/credential-provider/exec
The kubelet then runs with --image-credential-provider-config=THAT_FILE and
--image-credential-provider-bin-dir=THAT_DIR (see docs/clients/kubelet.md).";

const DOCTOR_EXAMPLES: &str = "Examples:
  ecluse-cred doctor                          # the config, the cache, every target
  ecluse-cred doctor --target build --mint    # and mint once, timed
  ecluse-cred doctor --url https://pkgs.example.com/pypi/simple/ --format json";

/// The heading of the options every command takes, shown apart from a command's own.
const GLOBAL: &str = "Global options";

/// The subcommands clients run (through shims, or named in their configs), not people: kept
/// out of `--help`'s list of commands, listed after it instead, with man pages of their own.
pub const PROTOCOL_COMMANDS: [&str; 8] = [
    "keyring",
    "git-credential",
    "docker-credential",
    "kube-credential",
    "goauth",
    "bazel-credential",
    "terraform-credentials",
    "kubelet-credential",
];

/// The protocol commands that take their client's arguments as they come, `--help` among them
/// for the client; asked alone, `--help` is for a person, and gets the help.
const PASS_THROUGH: [&str; 2] = ["keyring", "terraform-credentials"];

/// The client command a shim name (or `--cargo-plugin`) stands for, with the client's
/// arguments as that command takes them.
fn client_command(args: &[OsString]) -> Option<Command> {
    let argv0 = args
        .first()
        .map(|a| a.to_string_lossy())
        .unwrap_or_default();
    let name = Path::new(argv0.as_ref())
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default();
    let arg = |a: &OsString| a.to_string_lossy().into_owned();
    let rest = || args.iter().skip(1).map(arg).collect::<Vec<String>>();
    let first = || args.get(1).map(arg);
    if let Some(target) = name.strip_prefix(pnpm::PNPM_HELPER_PREFIX) {
        return Some(Command::PnpmTokenHelper {
            target: target.to_owned(),
        });
    }
    Some(match name {
        shims::KEYRING => Command::Keyring { args: rest() },
        shims::GIT => Command::GitCredential {
            operation: first(),
            target: None,
        },
        shims::DOCKER => Command::DockerCredential { operation: first() },
        shims::BAZEL => Command::BazelCredential { operation: first() },
        shims::TERRAFORM => Command::TerraformCredentials { args: rest() },
        // The kubelet passes only the `args` of its CredentialProviderConfig, which
        // `kubelet-config` writes none of.
        shims::KUBELET => Command::KubeletCredential,
        _ if args.get(1).is_some_and(|a| a == "--cargo-plugin") => Command::CargoProvider,
        _ => return None,
    })
}

impl Cli {
    /// `token --target NAME` (or `--target=NAME`) and nothing else: what clap would parse, built
    /// directly. That call is the one clients make on every request, and building clap's whole
    /// command tree for it costs more than the rest of the call together (callgrind,
    /// docs/benchmarks.md). Anything else, or anything clap would refuse (a non-UTF-8 or
    /// option-like name, an empty variable), goes to clap; a test proves both give the same.
    fn cached_token_call(args: &[OsString]) -> Option<Cli> {
        let rest: Vec<&str> = args
            .get(1..)?
            .iter()
            .map(|a| a.to_str())
            .collect::<Option<_>>()?;
        let target = match rest.as_slice() {
            ["token", "--target", name] => *name,
            ["token", option] => option.strip_prefix("--target=")?,
            _ => return None,
        };
        if target.is_empty() || target.starts_with('-') {
            return None;
        }
        let path_from_env = |name: &str| match std::env::var_os(name) {
            None => Some(None),
            Some(v) if v.is_empty() => None,
            Some(v) => Some(Some(PathBuf::from(v))),
        };
        Some(Cli {
            config: path_from_env(CONFIG_ENV)?,
            cache_dir: path_from_env(CACHE_DIR_ENV)?,
            verbose: 0,
            quiet: false,
            log_format: log::Format::Text,
            command: Command::Token(TokenArgs {
                which: Which {
                    target: Some(target.to_owned()),
                    url: None,
                },
                format: TokenFormat::Raw,
                env: crate::ci::DEFAULT_ENV.to_owned(),
                min_ttl: None,
                no_background: false,
            }),
        })
    }
}

/// Help and version go to stdout with exit 0; usage errors to stderr with exit 2, as one JSON
/// object when `--log-format json` was asked for. An argument's userinfo is never repeated back.
pub fn usage_error(e: clap::Error) -> ExitCode {
    use clap::error::ErrorKind;
    if matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion) {
        let _ = e.print();
        return ExitCode::SUCCESS;
    }
    // Help shown for a bare command (`setup`): our own text, nothing of the user's to redact.
    if e.kind() == ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand {
        use std::io::Write;
        let text = e.render().to_string();
        let help = text.strip_prefix("error: ").unwrap_or(&text);
        let _ = std::io::stderr().write_all(help.as_bytes());
        return crate::error::Code::Usage.exit_code();
    }
    let args: Vec<OsString> = std::env::args_os().collect();
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
            format_args!("{}", crate::redact::userinfo(message)),
            &[("exit_code", (crate::error::Code::Usage as u8).into())],
        );
    } else if text.contains('@') {
        use std::io::Write;
        let _ = std::io::stderr().write_all(crate::redact::userinfo(&text).as_bytes());
    } else {
        let _ = e.print();
    }
    crate::error::Code::Usage.exit_code()
}

#[derive(Parser, Debug)]
#[command(
    name = "ecluse-cred",
    version,
    about = "Serve short-lived package-registry tokens from a local cache, refreshing them before they expire",
    long_about = "Serve short-lived package-registry tokens from a local cache, refreshing them before \
they expire.\n\nA cached token is printed in about the time it takes to read a file. Past ~80% of its \
lifetime it is refreshed in the background, at most one mint per target at a time across all \
processes; a failing mint never fails a caller whose token is still valid, and repeated failures \
open a circuit breaker that stops hammering the token API.",
    after_help = after_help(DEFAULT_CONFIG_SHOWN)
)]
pub struct Cli {
    /// Configuration file [default: ~/.config/ecluse-cred/config.toml]
    #[arg(long, global = true, env = CONFIG_ENV, value_name = "PATH", help_heading = GLOBAL)]
    pub config: Option<PathBuf>,

    /// Cache directory [default: ~/.cache/ecluse-cred]
    #[arg(long, global = true, env = CACHE_DIR_ENV, value_name = "DIR", help_heading = GLOBAL)]
    pub cache_dir: Option<PathBuf>,

    /// Explain decisions on stderr (-v), with timings (-vv), everything (-vvv). Never the token.
    #[arg(short, long, global = true, action = clap::ArgAction::Count, help_heading = GLOBAL)]
    pub verbose: u8,

    /// Print only errors on stderr
    #[arg(short, long, global = true, help_heading = GLOBAL)]
    pub quiet: bool,

    /// Format of stderr lines: text, or one JSON object per line (events and errors alike)
    #[arg(long, global = true, value_enum, default_value_t = log::Format::Text, value_name = "FORMAT", help_heading = GLOBAL)]
    pub log_format: log::Format,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Print a valid token for a target (cached when possible)
    #[command(after_help = TOKEN_EXAMPLES)]
    Token(TokenArgs),
    /// Write a starter config file (a target that works offline, an example of each backend)
    Init(InitArgs),
    /// Show each target's cached token times and breaker state (never the token)
    Status(StatusArgs),
    /// Mint a new token now, under the lock
    Refresh(RefreshArgs),
    /// Forget cached tokens and breaker state
    Clear(ClearArgs),
    /// Run a command with the token in its environment (npm, yarn, Maven, Gradle, scripts)
    #[command(after_help = EXEC_EXAMPLES)]
    Exec(ExecArgs),
    /// Write or update one registry's _authToken line in an .npmrc
    Npmrc(NpmrcArgs),
    /// Print a kubectl ExecCredential (client.authentication.k8s.io/v1)
    #[command(hide = true)]
    KubeCredential(KubeArgs),
    /// Answer pip's and uv's `keyring` subprocess protocol (as the `keyring` symlink does)
    #[command(disable_help_flag = true, hide = true)]
    Keyring {
        /// keyring's own arguments: [--mode=creds] [--output=json] get SERVICE [USERNAME]
        #[arg(trailing_var_arg = true, allow_hyphen_values = true, num_args = 0..)]
        args: Vec<String>,
    },
    /// Answer git's credential helper protocol (as the `git-credential-ecluse` symlink does)
    #[command(hide = true)]
    GitCredential {
        /// get, store or erase (git's argument)
        operation: Option<String>,
        /// Serve this target instead of resolving the one for git's URL
        #[arg(long, value_name = "NAME")]
        target: Option<String>,
    },
    /// Answer docker's credential helper protocol (as `docker-credential-ecluse` does)
    #[command(hide = true)]
    DockerCredential {
        /// get, list, store or erase (docker's argument)
        operation: Option<String>,
    },
    /// Wire a client to a registry in its own config, so that its plain command authenticates
    /// (--dry-run shows the diff, --undo takes it out again)
    #[command(after_help = SETUP_EXAMPLES, arg_required_else_help = true)]
    Setup(Box<SetupArgs>),
    /// Check the config, cache, binaries, backend credentials and client configs; say how to
    /// fix each problem (no network unless --mint)
    #[command(after_help = DOCTOR_EXAMPLES)]
    Doctor(DoctorArgs),
    /// Answer Go's GOAUTH: `GOAUTH="ecluse-cred goauth"` (go adds the URL after a 4xx)
    #[command(hide = true)]
    Goauth {
        /// The URL go was refused (absent on go's first call)
        url: Option<String>,
    },
    /// Answer the credential-helper spec (Bazel), as `bazel-credential-ecluse` does
    #[command(hide = true)]
    BazelCredential {
        /// get (Bazel's argument)
        operation: Option<String>,
    },
    /// Answer Terraform's credentials helper protocol, as `terraform-credentials-ecluse` does
    #[command(disable_help_flag = true, hide = true)]
    TerraformCredentials {
        /// get HOST (store and forget are refused)
        #[arg(trailing_var_arg = true, allow_hyphen_values = true, num_args = 0..)]
        args: Vec<String>,
    },
    /// Answer the kubelet's image credential provider protocol (credentialprovider.kubelet.k8s.io/v1),
    /// as `kubelet-credential-ecluse` does: a CredentialProviderRequest on stdin
    #[command(hide = true)]
    KubeletCredential,
    /// Print a kubelet CredentialProviderConfig (YAML) for the targets' registries, for the node's
    /// administrator to install (nothing is written)
    #[command(after_help = KUBELET_CONFIG_EXAMPLES)]
    KubeletConfig(KubeletConfigArgs),
    /// Create the shims clients run: keyring, git-, docker-, bazel- and kubelet-credential-ecluse, terraform-credentials-ecluse
    Install {
        #[command(subcommand)]
        what: InstallWhat,
    },
    /// Print a shell completion script
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Internal: regenerate completions/ and man/ under DIR from this definition.
    #[command(hide = true)]
    GenerateDocs { dir: PathBuf },
    /// Internal: the detached process that refreshes a due token.
    #[command(hide = true)]
    BackgroundRefresh(BackgroundArgs),
    /// pnpm's token helper for `target`: only as `ecluse-pnpm-token-TARGET` (no subcommand).
    #[command(skip)]
    PnpmTokenHelper { target: String },
    /// cargo's credential provider: only as `ecluse-cred --cargo-plugin` (no subcommand).
    #[command(skip)]
    CargoProvider,
}

/// Which target: by name, or by a URL it serves.
#[derive(Args, Debug)]
#[group(required = true, multiple = false)]
pub struct Which {
    /// Target name, as in [targets.NAME] in the config (or a derived target's host)
    #[arg(long, value_name = "NAME")]
    pub target: Option<String>,

    /// The registry URL (or host[:port]) to authenticate to: the configured target whose `urls`
    /// match it, else a target derived from a CodeArtifact or Artifact Registry URL
    #[arg(long, value_name = "URL")]
    pub url: Option<String>,
}

#[derive(Args, Debug)]
pub struct TokenArgs {
    #[command(flatten)]
    pub which: Which,

    /// raw: the token and a newline; json: {"token","expires_at","target","source"};
    /// env: `export NAME='TOKEN'`; github: mask the token and add NAME to $GITHUB_ENV
    #[arg(long, value_enum, default_value_t = TokenFormat::Raw)]
    pub format: TokenFormat,

    /// The variable name for --format env|github
    #[arg(long, value_name = "NAME", default_value = crate::ci::DEFAULT_ENV,
          value_parser = crate::ci::env_name)]
    pub env: String,

    /// Require the token to stay valid at least this long (e.g. "2h" for a long build);
    /// raises the target's min_ttl for this call
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub min_ttl: Option<Duration>,

    /// Refresh a due token in this process instead of a detached background process (also
    /// ECLUSE_CRED_BACKGROUND=0), for environments that kill stray processes
    #[arg(long)]
    pub no_background: bool,
}

#[derive(Args, Debug)]
pub struct ExecArgs {
    #[command(flatten)]
    pub which: Which,

    /// Put the token in this environment variable (repeatable) [default: ECLUSE_CRED_TOKEN]
    #[arg(long = "env", value_name = "NAME", value_parser = crate::ci::env_name)]
    pub envs: Vec<String>,

    /// Also pass the token to npm as `npm_config_//host/path/:_authToken` for this registry
    #[arg(long, value_name = "URL")]
    pub npm_registry: Option<String>,

    /// The command and its arguments (after `--`)
    #[arg(
        required = true,
        trailing_var_arg = true,
        allow_hyphen_values = true,
        value_name = "CMD"
    )]
    pub command: Vec<std::ffi::OsString>,
}

#[derive(Args, Debug)]
pub struct NpmrcArgs {
    #[command(flatten)]
    pub which: Which,

    /// The registry URL whose `//host/path/:_authToken` line to write
    #[arg(long, value_name = "URL")]
    pub registry: String,

    /// Also point this scope at the registry (`@scope:registry=URL`)
    #[arg(long, value_name = "@SCOPE")]
    pub scope: Option<String>,

    /// The .npmrc to update [default: ~/.npmrc]
    #[arg(long, value_name = "PATH")]
    pub file: Option<PathBuf>,

    /// For pnpm: write a `tokenHelper` line instead of the token, pointing at an
    /// `ecluse-pnpm-token-TARGET` symlink made in DIR [default: next to this executable]. pnpm
    /// then asks for a fresh token on every run (it reads tokenHelper from ~/.npmrc only)
    #[arg(long, value_name = "DIR", num_args = 0..=1, default_missing_value = "")]
    pub pnpm_token_helper: Option<PathBuf>,
}

/// The clients `setup` wires.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum SetupClient {
    /// pip.conf: index-url (or extra-index-url) and keyring-provider = subprocess, the keyring shim
    Pip,
    /// uv.toml: an [[index]] and keyring-provider = "subprocess", the keyring shim
    Uv,
    /// $CARGO_HOME/config.toml: [registries.NAME] with credential-provider
    Cargo,
    /// the global git config: credential.URL.helper
    Git,
    /// docker's config.json: credHelpers[HOST] (podman, skopeo, helm read it too), the shim
    Docker,
    /// the kubeconfig: a user with a v1 exec entry (and --context C's user)
    Kubectl,
    /// ~/.npmrc: the registry (or --scope) and its _authToken
    Npm,
    /// ~/.npmrc: a tokenHelper pnpm runs on every install
    Pnpm,
    /// go env: GOAUTH (other entries kept), and GOPROXY with --proxy
    Go,
    /// ~/.bazelrc: --credential_helper for the URL's host, the bazel-credential-ecluse shim
    Bazel,
    /// Terraform's CLI config: credentials_helper "ecluse", the helper in its plugin directory
    Terraform,
    /// Poetry's config.toml: repositories.NAME, and the keyring backend (keyringrc.cfg)
    Poetry,
    /// ~/.pypirc: a [NAME] repository, and the keyring backend (keyringrc.cfg)
    Twine,
    /// PDM's config.toml: the index and repository.NAME, the keyring backend and the keyring shim
    Pdm,
    /// Hatch's config.toml: publish.index.repos.NAME, and the keyring backend (keyringrc.cfg)
    Hatch,
    /// ~/.m2/settings.xml: a server, its repository (or --mirror); ~/.mavenrc exports the token
    #[value(alias = "mvn")]
    Maven,
    /// ~/.yarnrc.yml (Yarn 2 and later): the registry, and a plugin that asks ecluse-cred
    Yarn,
}

/// Clients `setup` has no wiring of their own for, and how each is served instead.
const SERVED_OTHERWISE: [(&[&str], &str); 3] = [
    (
        &["podman", "skopeo", "buildah", "helm", "crane"],
        "it reads docker's config.json: `ecluse-cred setup docker --url URL` wires it",
    ),
    (
        &["gradle", "gradlew", "sbt"],
        "it takes the token from the environment: `ecluse-cred exec --target T -- COMMAND` runs it with $ECLUSE_CRED_TOKEN set (see `ecluse-cred exec --help`; not tested here)",
    ),
    (
        &["pipenv", "pipx"],
        "it installs with pip, which `ecluse-cred setup pip --url URL` wires",
    ),
];

/// The setup client argument: one of [`SetupClient`], and for a client setup does not wire,
/// how it is served instead, not just "invalid value".
#[derive(Clone)]
struct SetupClientParser;

impl clap::builder::TypedValueParser for SetupClientParser {
    type Value = SetupClient;

    fn parse_ref(
        &self,
        cmd: &clap::Command,
        arg: Option<&clap::Arg>,
        value: &std::ffi::OsStr,
    ) -> Result<SetupClient, clap::Error> {
        let name = value.to_string_lossy().to_ascii_lowercase();
        if let Some((_, how)) = SERVED_OTHERWISE
            .iter()
            .find(|(names, _)| names.contains(&name.as_str()))
        {
            let mut cmd = cmd.clone();
            return Err(cmd.error(
                clap::error::ErrorKind::InvalidValue,
                format!("setup does not wire {name} itself: {how}"),
            ));
        }
        clap::builder::EnumValueParser::<SetupClient>::new().parse_ref(cmd, arg, value)
    }

    fn possible_values(
        &self,
    ) -> Option<Box<dyn Iterator<Item = clap::builder::PossibleValue> + '_>> {
        Some(Box::new(
            SetupClient::value_variants()
                .iter()
                .filter_map(ValueEnum::to_possible_value),
        ))
    }
}

#[derive(Args, Debug)]
pub struct SetupArgs {
    /// The client to wire
    #[arg(value_parser = SetupClientParser)]
    pub client: SetupClient,

    #[command(flatten)]
    pub which: Which,

    /// Edit this file instead of the client's own user config
    #[arg(long, value_name = "PATH")]
    pub file: Option<PathBuf>,

    /// Print the unified diff of what would change; write nothing, mint nothing
    #[arg(long)]
    pub dry_run: bool,

    /// Remove what setup added for this registry, and nothing else
    #[arg(long)]
    pub undo: bool,

    /// pip, uv, pdm: add the registry as an extra index instead of the default one
    #[arg(long)]
    pub extra: bool,

    /// go: also make the URL go's GOPROXY (ahead of what it was)
    #[arg(long)]
    pub proxy: bool,

    /// cargo, poetry, twine, pdm, hatch: the registry's name in the client's config
    /// [default: the target's name]
    #[arg(long, value_name = "NAME")]
    pub registry: Option<String>,

    /// maven: the server (and repository or mirror) id in settings.xml [default: ecluse-TARGET]
    #[arg(long, value_name = "ID")]
    pub id: Option<String>,

    /// maven: a <mirror> of every repository (mirrorOf *) instead of a repository in a profile
    #[arg(long)]
    pub mirror: bool,

    /// npm, pnpm, yarn: use the registry for this scope only (`@scope:registry=URL`)
    #[arg(long, value_name = "@SCOPE")]
    pub scope: Option<String>,

    /// kubectl: the kubeconfig user to create [default: ecluse-TARGET]
    #[arg(long, value_name = "NAME")]
    pub user: Option<String>,

    /// kubectl: an existing context whose user becomes the new one
    #[arg(long, value_name = "NAME")]
    pub context: Option<String>,

    /// pip, uv, pdm, docker: where to put the shim they run from PATH [default: the first writable
    /// directory on PATH under your home]; bazel: where its shim goes [default: as for pip,
    /// else ecluse-cred's data directory]; pnpm: where its helper link goes
    #[arg(long, value_name = "DIR")]
    pub bin_dir: Option<PathBuf>,
}

#[derive(Args, Debug)]
pub struct InitArgs {
    /// Print the starter config on stdout instead of writing the config file
    #[arg(long)]
    pub print: bool,
}

#[derive(Args, Debug)]
pub struct DoctorArgs {
    /// Check this target (a configured name or a derived target's host), and its clients
    #[arg(long, value_name = "NAME", conflicts_with = "url")]
    pub target: Option<String>,

    /// Check the target that serves this URL, and whether each client routes it to ecluse-cred
    #[arg(long, value_name = "URL")]
    pub url: Option<String>,

    /// Also mint once through the policy (as `refresh` does, breaker respected) and time it
    #[arg(long)]
    pub mint: bool,

    /// text: one line per check; json: [{check, status, detail, fix}]
    #[arg(long, value_enum, default_value_t = DoctorFormat::Text)]
    pub format: DoctorFormat,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum DoctorFormat {
    Text,
    Json,
}

#[derive(Args, Debug)]
pub struct KubeletConfigArgs {
    /// Only this target's registries (repeatable; a configured name or a derived target's host)
    /// [default: every configured target's https registries, and the derived cloud hosts]
    #[arg(long = "target", value_name = "NAME")]
    pub targets: Vec<String>,
}

#[derive(Args, Debug)]
pub struct KubeArgs {
    #[command(flatten)]
    pub which: Which,
}

#[derive(Subcommand, Debug)]
pub enum InstallWhat {
    /// Symlinks named keyring, git-credential-ecluse, docker-credential-ecluse, bazel-credential-ecluse, terraform-credentials-ecluse and kubelet-credential-ecluse
    Shims {
        /// Where to create them [default: the directory of this executable]
        dir: Option<PathBuf>,
    },
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenFormat {
    Raw,
    Json,
    Env,
    Github,
}

#[derive(Args, Debug)]
pub struct StatusArgs {
    /// Only this target (a configured name or a derived target's host)
    #[arg(long, value_name = "NAME")]
    pub target: Option<String>,

    #[arg(long, value_enum, default_value_t = StatusFormat::Table)]
    pub format: StatusFormat,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum StatusFormat {
    Table,
    Json,
}

#[derive(Args, Debug)]
pub struct RefreshArgs {
    #[command(flatten)]
    pub which: Which,

    /// Mint even while the circuit breaker is open
    #[arg(long)]
    pub force: bool,
}

#[derive(Args, Debug)]
#[group(required = true, multiple = false)]
pub struct ClearArgs {
    /// Forget this target's token and breaker
    #[arg(long, value_name = "NAME")]
    pub target: Option<String>,

    /// Forget every target's token and breaker
    #[arg(long)]
    pub all: bool,
}

#[derive(Args, Debug)]
pub struct BackgroundArgs {
    #[arg(long)]
    pub target: String,
    /// The backend settings hash of the target the caller meant: refuse another
    #[arg(long)]
    pub settings_hash: String,
    /// The lock descriptor inherited from the process that took the lock
    #[arg(long)]
    pub lock_fd: Option<i32>,
}

fn parse_duration(s: &str) -> Result<Duration, String> {
    crate::config::parse_duration(s)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    /// clap reads `ECLUSE_CRED_CONFIG` and `ECLUSE_CRED_CACHE_DIR` while it parses; the test
    /// that sets them holds this, and so does every other test here that parses.
    static ENV: std::sync::Mutex<()> = std::sync::Mutex::new(());

    /// The cached-token fast path gives exactly what clap gives, and leaves to clap what it
    /// does not build the same.
    #[test]
    fn the_token_fast_path_parses_as_clap_does() {
        let _env = ENV.lock().unwrap_or_else(|e| e.into_inner());
        let lines: &[&[&str]] = &[
            &["token", "--target", "build"],
            &["token", "--target=build"],
            &["token", "--target=-x"],
            &["token", "--target=a=b"],
            &["token", "--", "--target", "x"],
            &["token", "--target", "x", "--"],
            &["token", "--target", "--help"],
            &["token", "--target", "a.b-c_d"],
            &["token", "--target", "-v"],
            &["token", "--target", ""],
            &["token", "--target="],
            &["token", "--target", "x", "-v"],
            &["token", "--target", "x", "--format", "json"],
            &["token", "--url", "https://x.example/"],
            &["token"],
            &["status", "--target", "x"],
            &["--quiet", "token", "--target", "x"],
        ];
        let envs: &[(Option<&str>, Option<&str>)] = &[
            (None, None),
            (Some("/etc/e.toml"), Some("/tmp/c")),
            (Some(""), None),
            (None, Some("")),
        ];
        for (config, cache) in envs {
            for (name, value) in [(CONFIG_ENV, config), (CACHE_DIR_ENV, cache)] {
                // SAFETY: every test of this module that reads them holds `ENV`; no other
                // module's tests read them.
                unsafe {
                    match value {
                        Some(v) => std::env::set_var(name, v),
                        None => std::env::remove_var(name),
                    }
                }
            }
            for line in lines {
                let args: Vec<OsString> = std::iter::once("ecluse-cred")
                    .chain(line.iter().copied())
                    .map(OsString::from)
                    .collect();
                let clap = Cli::try_parse_from(&args).map(|c| format!("{c:?}"));
                let fast = Cli::cached_token_call(&args).map(|c| format!("{c:?}"));
                if let Some(fast) = &fast {
                    assert_eq!(
                        clap.as_ref().ok(),
                        Some(fast),
                        "{line:?} {config:?} {cache:?}"
                    );
                }
                // The fast path takes exactly `token --target NAME` and `token --target=NAME`,
                // with a name that is neither empty nor option-like, and no empty variable.
                let name = match line {
                    ["token", "--target", name] => Some(*name),
                    ["token", option] => option.strip_prefix("--target="),
                    _ => None,
                };
                let expect_fast = name.is_some_and(|n| !n.is_empty() && !n.starts_with('-'))
                    && *config != Some("")
                    && *cache != Some("");
                assert_eq!(fast.is_some(), expect_fast, "{line:?} {config:?} {cache:?}");
            }
        }
        unsafe {
            std::env::remove_var(CONFIG_ENV);
            std::env::remove_var(CACHE_DIR_ENV);
        }
    }

    /// A shim name is the same command as its subcommand: one dispatch table.
    #[test]
    fn shim_names_are_the_commands_of_their_clients() {
        let client = |args: &[&str]| match Invocation::from_args(
            args.iter().map(OsString::from).collect(),
        ) {
            Ok(Invocation::Client(command)) => format!("{command:?}"),
            other => panic!("{args:?}: {other:?}"),
        };
        let strings = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            client(&["/usr/bin/keyring", "--mode=creds", "get", "https://h/"]),
            format!(
                "{:?}",
                Command::Keyring {
                    args: strings(&["--mode=creds", "get", "https://h/"])
                }
            )
        );
        assert_eq!(
            client(&["git-credential-ecluse", "get"]),
            format!(
                "{:?}",
                Command::GitCredential {
                    operation: Some("get".into()),
                    target: None
                }
            )
        );
        assert_eq!(
            client(&["./docker-credential-ecluse"]),
            format!("{:?}", Command::DockerCredential { operation: None })
        );
        assert_eq!(
            client(&["bazel-credential-ecluse", "get", "extra"]),
            format!(
                "{:?}",
                Command::BazelCredential {
                    operation: Some("get".into())
                }
            )
        );
        assert_eq!(
            client(&["terraform-credentials-ecluse", "get", "h"]),
            format!(
                "{:?}",
                Command::TerraformCredentials {
                    args: strings(&["get", "h"])
                }
            )
        );
        assert_eq!(
            client(&["/usr/libexec/kubelet-credential-ecluse"]),
            format!("{:?}", Command::KubeletCredential)
        );
        assert_eq!(
            client(&["/bin/ecluse-pnpm-token-build"]),
            format!(
                "{:?}",
                Command::PnpmTokenHelper {
                    target: "build".into()
                }
            )
        );
        assert_eq!(
            client(&["ecluse-cred", "--cargo-plugin", "--target", "x"]),
            format!("{:?}", Command::CargoProvider)
        );
        // Under its own name, the command line decides; the shim-only commands are no
        // subcommands.
        let _env = ENV.lock().unwrap_or_else(|e| e.into_inner());
        assert!(matches!(
            Invocation::from_args(vec!["ecluse-cred".into(), "keyring".into()]),
            Ok(Invocation::Cli(_))
        ));
        for hidden in ["pnpm-token-helper", "cargo-provider"] {
            assert!(
                Invocation::from_args(vec!["ecluse-cred".into(), hidden.into()]).is_err(),
                "{hidden}"
            );
        }
    }

    #[test]
    fn global_options_work_after_the_subcommand() {
        let _env = ENV.lock().unwrap_or_else(|e| e.into_inner());
        let cli = Cli::try_parse_from([
            "ecluse-cred",
            "token",
            "--target",
            "x",
            "-vv",
            "--cache-dir",
            "/c",
        ])
        .unwrap();
        assert_eq!(cli.verbose, 2);
        assert_eq!(cli.cache_dir, Some(PathBuf::from("/c")));
    }
}
