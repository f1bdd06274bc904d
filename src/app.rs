//! The commands: one dispatch ([`run`]) over what the process was invoked for; each command
//! resolves its target, gets the token through [`crate::service`], and presents the result.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use crate::cache::{self, FileStore};
use crate::cli::{
    BackgroundArgs, ClearArgs, Cli, Command, ExecArgs, InstallWhat, Invocation, NpmrcArgs,
    RefreshArgs, StatusArgs, StatusFormat, TokenArgs, TokenFormat, Which,
};
use crate::config::Target;
use crate::engine::{Served, time};
use crate::error::{Code, Error, Result};
use crate::log;
use crate::policy::{self, Freshness};
use crate::protocol::{self, ci};
use crate::resolve;
use crate::service::{Context, engine, print};

/// Run what the process was invoked for: a client protocol under its shim name, cargo's
/// provider, or a command. The one dispatch; failures come back to `main` to be reported.
pub fn run(invocation: Invocation) -> Result<ExitCode> {
    match invocation {
        Invocation::Keyring(args) => Ok(protocol::keyring::main(Context::from_env(), &args)),
        Invocation::Git(op) => Ok(protocol::git::main(
            Context::from_env(),
            op.as_deref(),
            None,
        )),
        Invocation::Docker(op) => Ok(protocol::docker::main(Context::from_env(), op.as_deref())),
        Invocation::Pnpm(target) => Ok(protocol::pnpm::main(Context::from_env(), &target)),
        Invocation::Bazel(op) => Ok(protocol::bazel::main(Context::from_env(), op.as_deref())),
        Invocation::Terraform(args) => Ok(protocol::terraform::main(Context::from_env(), &args)),
        Invocation::CargoPlugin => Ok(protocol::cargo::main(protocol::cargo::Provider {
            ctx: Context::from_env().map_err(|e| e.message),
        })),
        Invocation::Cli(cli) => command(*cli),
    }
}

/// A command of the command line. The configuration is read only by the commands that use it.
fn command(cli: Cli) -> Result<ExitCode> {
    log::init(cli.verbose, cli.quiet, cli.log_format);
    let Cli {
        config,
        cache_dir,
        command,
        ..
    } = cli;
    let load = || Context::load(config.clone(), cache_dir.clone());
    match command {
        Command::Token(args) => token(&load()?, args),
        Command::Status(args) => status(&load()?, args),
        Command::Refresh(args) => refresh(&load()?, args),
        Command::Clear(args) => clear(&load()?, args),
        Command::Exec(args) => exec(&load()?, args),
        Command::Npmrc(args) => npmrc(&load()?, args),
        Command::KubeCredential(args) => {
            let ctx = load()?;
            let target = which(&ctx, &args.which)?;
            if let Some(server) = protocol::kube::cluster_server()? {
                check_serves(&ctx, &target, &server, "the cluster at")?;
            }
            print(&protocol::kube::exec_credential(
                &ctx.serve(&target, None, false)?,
            ))
        }
        // The protocol front-ends report even a broken configuration in their client's form.
        Command::Keyring { args } => Ok(protocol::keyring::main(load(), &args)),
        Command::GitCredential { operation, target } => Ok(protocol::git::main(
            load(),
            operation.as_deref(),
            target.as_deref(),
        )),
        Command::DockerCredential { operation } => {
            Ok(protocol::docker::main(load(), operation.as_deref()))
        }
        Command::Goauth { url } => Ok(protocol::goauth::main(load(), url.as_deref())),
        Command::BazelCredential { operation } => {
            Ok(protocol::bazel::main(load(), operation.as_deref()))
        }
        Command::TerraformCredentials { args } => Ok(protocol::terraform::main(load(), &args)),
        Command::Setup(args) => crate::setup::run(&load()?, &args),
        Command::Doctor(args) => crate::doctor::run(config.clone(), cache_dir.clone(), &args),
        Command::Install {
            what: InstallWhat::Shims { dir },
        } => install_shims(dir),
        Command::Completions { shell } => {
            let mut out = Vec::new();
            clap_complete::generate(
                shell,
                &mut <Cli as clap::CommandFactory>::command(),
                "ecluse-cred",
                &mut out,
            );
            print(&String::from_utf8_lossy(&out))
        }
        Command::GenerateDocs { dir } => generate_docs(&dir),
        Command::BackgroundRefresh(args) => background_refresh(&load()?, args),
    }
}

fn install_shims(dir: Option<PathBuf>) -> Result<ExitCode> {
    let exe = std::env::current_exe()
        .map_err(|e| Error::other(format!("cannot find own executable: {e}")))?;
    let dir = match dir {
        Some(dir) => dir,
        None => exe.parent().map(Path::to_path_buf).unwrap_or_default(),
    };
    print(&protocol::shims::install(&dir, &exe)?)
}

/// The detached refresh a caller started (see `background`): only for the very target it was
/// started for.
fn background_refresh(ctx: &Context, args: BackgroundArgs) -> Result<ExitCode> {
    let target = resolve::target(&ctx.config, &args.target)?;
    if target.backend.settings_hash() != args.settings_hash {
        return Err(Error::config(format!(
            "target `{}` is not the target this refresh was started for (its backend settings differ); not refreshing",
            target.name
        )));
    }
    let engine = engine(ctx, &target);
    match crate::background::adopt(args.lock_fd, &engine.store)? {
        Some(lock) => engine.refresh_in_background(lock)?,
        None => crate::event!(
            crate::log::Level::Info,
            "refresh_in_flight",
            Some(&target.name),
            "another process is refreshing"
        ),
    }
    Ok(ExitCode::SUCCESS)
}

/// The target a command names with `--target` or `--url`.
fn which(ctx: &Context, which: &Which) -> Result<Target> {
    match (&which.target, &which.url) {
        (Some(name), _) => resolve::target(&ctx.config, name),
        (None, Some(url)) => resolve::resolve(&ctx.config, url),
        (None, None) => Err(Error::new(
            Code::Usage,
            "name a target with --target or --url",
        )),
    }
}

fn token(ctx: &Context, args: TokenArgs) -> Result<ExitCode> {
    let target = which(ctx, &args.which)?;
    let served = ctx.serve(&target, args.min_ttl, args.no_background)?;
    let out = match args.format {
        TokenFormat::Raw => format!("{}\n", served.entry.token.expose()),
        TokenFormat::Json => token_json(&served, &target.name),
        TokenFormat::Env => ci::shell_export(&args.env, &served.entry.token),
        TokenFormat::Github => {
            let github_env = std::env::var_os("GITHUB_ENV")
                .filter(|v| !v.is_empty())
                .map(PathBuf::from);
            ci::github_export(&args.env, &served.entry.token, github_env.as_deref())?;
            return Ok(ExitCode::SUCCESS);
        }
    };
    print(&out)
}

/// `token --format json`: the token, its expiry, the target and where it came from.
#[derive(serde::Serialize)]
struct TokenReply<'a> {
    expires_at: String,
    /// `cache` or `mint`.
    source: &'static str,
    target: &'a str,
    token: &'a str,
}

fn token_json(served: &Served, target: &str) -> String {
    let reply = TokenReply {
        expires_at: time(served.entry.expires_at),
        source: served.source.as_str(),
        target,
        token: served.entry.token.expose(),
    };
    format!(
        "{}\n",
        serde_json::to_string(&reply).expect("reply serializes")
    )
}

fn status(ctx: &Context, args: StatusArgs) -> Result<ExitCode> {
    let targets: Vec<Target> = match &args.target {
        Some(name) => vec![resolve::target(&ctx.config, name)?],
        None => {
            // Configured targets, then derived ones that have a cache entry.
            let mut all: Vec<Target> = ctx.config.targets.values().cloned().collect();
            for stem in cache::cached_stems(&ctx.cache_dir)? {
                if !ctx.config.targets.contains_key(&stem)
                    && let Some(derived) = resolve::derive(&ctx.config, &stem)
                {
                    all.push(derived);
                }
            }
            all
        }
    };
    let now = jiff::Timestamp::now().as_millisecond();
    let rows = targets
        .iter()
        .map(|t| status_row(ctx, t, now))
        .collect::<Result<Vec<StatusRow>>>()?;
    match args.format {
        StatusFormat::Json => print(&status_json(rows)),
        StatusFormat::Table => print(&status_table(&rows)),
    }
}

/// `status --format json`: `{"targets": [...]}`.
#[derive(serde::Serialize)]
struct StatusReply {
    targets: Vec<StatusRow>,
}

/// One target in `status`. Never the token. (Fields in the order they are printed.)
#[derive(serde::Serialize)]
struct StatusRow {
    backend: &'static str,
    breaker: BreakerRow,
    cached: bool,
    expires_at: Option<String>,
    expiry_source: Option<String>,
    issued_at: Option<String>,
    last_error: Option<String>,
    last_error_at: Option<String>,
    name: String,
    refresh_at: Option<String>,
    /// `none`, `valid`, `due` or `expired`.
    token: &'static str,
    urls: Vec<String>,
    username: Option<String>,
}

#[derive(serde::Serialize)]
struct BreakerRow {
    consecutive_failures: u32,
    open_until: Option<String>,
    /// `closed`, `open` or `half-open`.
    state: &'static str,
}

fn status_json(targets: Vec<StatusRow>) -> String {
    let reply = StatusReply { targets };
    format!(
        "{}\n",
        serde_json::to_string(&reply).expect("status serializes")
    )
}

fn status_row(ctx: &Context, target: &Target, now: i64) -> Result<StatusRow> {
    let state = FileStore::new(
        &ctx.cache_dir,
        &target.name,
        &target.backend.settings_hash(),
    )
    .load()?;
    let e = state.entry.as_ref();
    let b = &state.breaker;
    let token = match (e, policy::freshness(now, e, &target.policy, None)) {
        (None, _) => "none",
        (Some(_), Freshness::Fresh) => "valid",
        (Some(_), Freshness::Due) => "due",
        (Some(_), Freshness::Unusable) => "expired",
    };
    Ok(StatusRow {
        backend: target.backend.kind(),
        breaker: BreakerRow {
            consecutive_failures: b.consecutive_failures,
            open_until: b.open_until.map(time),
            state: b.state(now).as_str(),
        },
        cached: e.is_some(),
        expires_at: e.map(|e| time(e.expires_at)),
        expiry_source: e.map(|e| e.expiry_source.clone()),
        issued_at: e.map(|e| time(e.issued_at)),
        last_error: b.last_error.as_ref().map(|e| e.message.clone()),
        last_error_at: b.last_failure_at.map(time),
        name: target.name.clone(),
        refresh_at: e.map(|e| time(e.refresh_at)),
        token,
        urls: target.urls.clone(),
        username: target.username.clone(),
    })
}

fn status_table(rows: &[StatusRow]) -> String {
    if rows.is_empty() {
        return "no targets configured (add [targets.NAME] sections to the config file)\n"
            .to_owned();
    }
    let text = |v: &Option<String>| v.clone().unwrap_or_else(|| "-".to_owned());
    let header = [
        "TARGET",
        "BACKEND",
        "TOKEN",
        "ISSUED",
        "REFRESH",
        "EXPIRES",
        "BREAKER",
        "FAILURES",
        "LAST ERROR",
    ];
    let mut table: Vec<Vec<String>> = vec![header.iter().map(|h| (*h).to_owned()).collect()];
    for r in rows {
        table.push(vec![
            r.name.clone(),
            r.backend.to_owned(),
            r.token.to_owned(),
            text(&r.issued_at),
            text(&r.refresh_at),
            text(&r.expires_at),
            r.breaker.state.to_owned(),
            r.breaker.consecutive_failures.to_string(),
            text(&r.last_error),
        ]);
    }
    let widths: Vec<usize> = (0..header.len())
        .map(|i| {
            table
                .iter()
                .map(|row| row[i].chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    for row in table {
        let cells: Vec<String> = row
            .iter()
            .zip(&widths)
            .map(|(c, w)| format!("{c:<w$}"))
            .collect();
        out.push_str(cells.join("  ").trim_end());
        out.push('\n');
    }
    out
}

/// Write `DIR/completions/` (bash, zsh, fish, elvish, PowerShell) and `DIR/man/` (one page for
/// the command and one per subcommand), all from the clap definition.
fn generate_docs(dir: &Path) -> Result<ExitCode> {
    use clap::CommandFactory;
    let fail =
        |e: std::io::Error| Error::other(format!("cannot write under {}: {e}", dir.display()));
    let completions = dir.join("completions");
    let man = dir.join("man");
    std::fs::create_dir_all(&completions).map_err(fail)?;
    std::fs::create_dir_all(&man).map_err(fail)?;
    for shell in [
        clap_complete::Shell::Bash,
        clap_complete::Shell::Zsh,
        clap_complete::Shell::Fish,
        clap_complete::Shell::Elvish,
        clap_complete::Shell::PowerShell,
    ] {
        clap_complete::generate_to(shell, &mut Cli::command(), "ecluse-cred", &completions)
            .map_err(fail)?;
    }
    clap_mangen::generate_to(Cli::command(), &man).map_err(fail)?;
    Ok(ExitCode::SUCCESS)
}

/// Run the command with the token in its environment only, and become it (exec), so its exit
/// status is ours and nothing of ecluse-cred stays around it.
fn exec(ctx: &Context, args: ExecArgs) -> Result<ExitCode> {
    use std::os::unix::process::CommandExt;
    let target = which(ctx, &args.which)?;
    if let Some(registry) = &args.npm_registry {
        protocol::npm::auth_key(registry)?;
        check_serves(ctx, &target, registry, "the registry")?;
    }
    let served = ctx.serve(&target, None, false)?;
    let token = served.entry.token.expose();
    let (program, rest) = args.command.split_first().expect("clap requires a command");
    let mut cmd = std::process::Command::new(program);
    cmd.args(rest);
    let names = if args.envs.is_empty() {
        vec![ci::DEFAULT_ENV.to_owned()]
    } else {
        args.envs
    };
    for name in names {
        cmd.env(name, token);
    }
    if let Some(registry) = &args.npm_registry {
        cmd.env(
            format!("npm_config_{}", protocol::npm::auth_key(registry)?),
            token,
        );
    }
    let e = cmd.exec();
    let shown = program.to_string_lossy();
    Err(match e.kind() {
        std::io::ErrorKind::NotFound => Error::new(
            crate::error::Code::NotFound,
            format!("cannot run `{shown}`: command not found"),
        ),
        std::io::ErrorKind::PermissionDenied => Error::new(
            crate::error::Code::NotExecutable,
            format!("cannot run `{shown}`: permission denied"),
        ),
        _ => Error::other(format!("cannot run `{shown}`: {e}")),
    })
}

fn npmrc(ctx: &Context, args: NpmrcArgs) -> Result<ExitCode> {
    let target = which(ctx, &args.which)?;
    // The file setup npm writes too; one it cannot write is refused before anything is minted.
    let file = protocol::npm::npmrc_file(args.file.as_deref())?;
    // Check the registry before minting: a typo should not cost a mint.
    protocol::npm::auth_key(&args.registry)?;
    check_serves(ctx, &target, &args.registry, "the registry")?;
    if let Some(dir) = args.pnpm_token_helper {
        let exe = std::env::current_exe()
            .map_err(|e| Error::other(format!("cannot find own executable: {e}")))?;
        let dir = if dir.as_os_str().is_empty() {
            exe.parent().map(Path::to_path_buf).unwrap_or_default()
        } else {
            dir
        };
        let helper = protocol::pnpm::pnpm_helper(&dir, &target.name, &exe)?;
        let key = protocol::pnpm::token_helper_key(&args.registry)?;
        protocol::npm::write_line(&file, &key, &helper.display().to_string())?;
        return print(&format!(
            "updated {}: {key}={}\n",
            file.display(),
            helper.display()
        ));
    }
    let served = ctx.serve(&target, None, false)?;
    let (key, written) = protocol::npm::write_npmrc(
        &file,
        &args.registry,
        args.scope.as_deref(),
        &served.entry.token,
    )?;
    if let Some(note) = written.note(&file, true) {
        crate::event!(crate::log::Level::Warn, "npmrc_mode", None, "{note}");
    }
    print(&format!(
        "updated {}: {key} (token expires {})\n",
        file.display(),
        time(served.entry.expires_at)
    ))
}

/// Before a token is handed to a client for `url` (npm's registry, kubectl's cluster): the
/// target serves it (a target with `urls`, or a derived one, serves only those).
fn check_serves(ctx: &Context, target: &Target, url: &str, what: &str) -> Result<()> {
    let request = resolve::Request::url(url)?;
    if resolve::serves(&ctx.config, target, &request) {
        return Ok(());
    }
    Err(Error::config(format!(
        "target `{}` does not serve {what} {}: a token goes only where its target's `urls` point; add it there or name the target that serves it",
        target.name,
        request.shown()
    )))
}

fn refresh(ctx: &Context, args: RefreshArgs) -> Result<ExitCode> {
    let target = which(ctx, &args.which)?;
    let entry = engine(ctx, &target).refresh(args.force)?;
    print(&format!(
        "refreshed `{}`: token expires {}, refresh due {}\n",
        target.name,
        time(entry.expires_at),
        time(entry.refresh_at)
    ))
}

fn clear(ctx: &Context, args: ClearArgs) -> Result<ExitCode> {
    let timeout = policy::DEFAULT_LOCK_TIMEOUT;
    let names: Vec<String> = match args.target {
        // The name resolution gives it (a derived host in lower case), or as given for a
        // target no longer configured that still has files.
        Some(name) => vec![resolve::target(&ctx.config, &name).map_or(name, |t| t.name)],
        None => cache::cached_stems(&ctx.cache_dir)?,
    };
    let mut out = String::new();
    for name in names {
        // The settings hash does not matter for removing the files.
        let cleared = FileStore::new(&ctx.cache_dir, &name, "").clear(timeout)?;
        out.push_str(&if cleared {
            format!("cleared `{}`\n", crate::redact::text(&name))
        } else {
            format!("nothing cached for `{}`\n", crate::redact::text(&name))
        });
    }
    if out.is_empty() {
        out = format!("nothing cached in {}\n", display(&ctx.cache_dir));
    }
    print(&out)
}

fn display(p: &Path) -> String {
    p.display().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::Source;
    use crate::policy::Entry;
    use crate::secret::Secret;

    const T0: i64 = 1_800_000_000_000;

    #[test]
    fn token_json_is_exactly_this() {
        let served = Served {
            entry: Entry {
                token: Secret::new("tok-1".into()),
                issued_at: T0,
                expires_at: T0 + 3_600_000,
                refresh_at: T0 + 2_880_000,
                jitter: 0.0,
                expiry_source: "expires_in".into(),
                received_at: None,
                minted_for_min_ttl: None,
            },
            source: Source::Cache,
        };
        assert_eq!(
            token_json(&served, "build"),
            "{\"expires_at\":\"2027-01-15T09:00:00Z\",\"source\":\"cache\",\"target\":\"build\",\"token\":\"tok-1\"}\n"
        );
    }

    #[test]
    fn status_json_is_exactly_this() {
        let row = StatusRow {
            backend: "command",
            breaker: BreakerRow {
                consecutive_failures: 0,
                open_until: None,
                state: "closed",
            },
            cached: true,
            expires_at: Some(time(T0 + 3_600_000)),
            expiry_source: Some("expires_in".into()),
            issued_at: Some(time(T0)),
            last_error: None,
            last_error_at: None,
            name: "build".into(),
            refresh_at: Some(time(T0 + 2_880_000)),
            token: "valid",
            urls: vec!["https://pkgs.example.com/".into()],
            username: Some("aws".into()),
        };
        assert_eq!(
            status_json(vec![row]),
            concat!(
                "{\"targets\":[{\"backend\":\"command\",",
                "\"breaker\":{\"consecutive_failures\":0,\"open_until\":null,\"state\":\"closed\"},",
                "\"cached\":true,\"expires_at\":\"2027-01-15T09:00:00Z\",\"expiry_source\":\"expires_in\",",
                "\"issued_at\":\"2027-01-15T08:00:00Z\",\"last_error\":null,\"last_error_at\":null,",
                "\"name\":\"build\",\"refresh_at\":\"2027-01-15T08:48:00Z\",\"token\":\"valid\",",
                "\"urls\":[\"https://pkgs.example.com/\"],\"username\":\"aws\"}]}\n"
            )
        );
    }
}
