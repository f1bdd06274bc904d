//! The commands: each resolves its target, builds an [`Engine`] over the real cache, clock and
//! backend, and prints the result.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use serde_json::{Value, json};

use crate::backend::{self, Mint};
use crate::cache::{self, FileStore};
use crate::cli::{
    ClearArgs, Cli, Command, ExecArgs, InstallWhat, NpmrcArgs, RefreshArgs, StatusArgs,
    StatusFormat, TokenArgs, TokenFormat, Which,
};
use crate::config::{self, Config, Target};
use crate::engine::{Engine, Refresh, Served, SystemClock, time};
use crate::error::{Error, Result};
use crate::policy::{self, Freshness};
use crate::protocol::{self, ci};
use crate::resolve;

/// Values of `ECLUSE_CRED_BACKGROUND` that turn background refresh off.
const BACKGROUND_OFF: [&str; 4] = ["0", "false", "no", "off"];

/// What every command needs: the configuration and the cache directory.
pub struct Context {
    pub config: Config,
    pub cache_dir: PathBuf,
}

impl Context {
    /// From `--config`/`--cache-dir` (clap already folded in their environment variables),
    /// else the platform defaults.
    pub fn load(config_flag: Option<PathBuf>, cache_flag: Option<PathBuf>) -> Result<Context> {
        Ok(Context {
            config: config::load(&config_source(config_flag))?,
            cache_dir: cache_dir(cache_flag)?,
        })
    }

    /// For the client front-ends that have no command line of ours (`keyring`, git's and
    /// docker's helpers, cargo's provider): `ECLUSE_CRED_CONFIG` and `ECLUSE_CRED_CACHE_DIR`.
    pub fn from_env() -> Result<Context> {
        let var = |name| {
            std::env::var_os(name)
                .filter(|v| !v.is_empty())
                .map(PathBuf::from)
        };
        Context::load(var("ECLUSE_CRED_CONFIG"), var("ECLUSE_CRED_CACHE_DIR"))
    }

    /// A valid token for `target`, from the cache when possible; a due token is refreshed in
    /// the background unless `inline` (or `ECLUSE_CRED_BACKGROUND=0`) says otherwise.
    pub fn serve(
        &self,
        target: &Target,
        min_ttl: Option<Duration>,
        inline: bool,
    ) -> Result<Served> {
        let inline = inline
            || std::env::var("ECLUSE_CRED_BACKGROUND")
                .is_ok_and(|v| BACKGROUND_OFF.contains(&v.trim().to_lowercase().as_str()));
        let spawn = |lock| {
            crate::background::spawn(
                lock,
                self.config.path.as_deref(),
                &self.cache_dir,
                &target.name,
                &target.backend.settings_hash(),
            )
        };
        let refresh = if inline {
            Refresh::Inline
        } else {
            Refresh::Background(&spawn)
        };
        engine(self, target).token(min_ttl, refresh)
    }
}

pub fn run(cli: Cli) -> Result<ExitCode> {
    // The protocol front-ends report even a broken configuration in their client's own form.
    let loaded = Context::load(cli.config, cli.cache_dir);
    let ctx = match cli.command {
        Command::Keyring { args } => return Ok(protocol::keyring::main(loaded, &args)),
        Command::GitCredential { operation, target } => {
            return Ok(protocol::git::main(
                loaded,
                operation.as_deref(),
                target.as_deref(),
            ));
        }
        Command::GenerateDocs { dir } => {
            generate_docs(&dir)?;
            return Ok(ExitCode::SUCCESS);
        }
        Command::DockerCredential { operation } => {
            return Ok(protocol::docker::main(loaded, operation.as_deref()));
        }
        Command::Completions { shell } => {
            let mut out = Vec::new();
            clap_complete::generate(
                shell,
                &mut <Cli as clap::CommandFactory>::command(),
                "ecluse-cred",
                &mut out,
            );
            return print(&String::from_utf8_lossy(&out));
        }
        Command::Install {
            what: InstallWhat::Shims { dir },
        } => {
            let exe = std::env::current_exe()
                .map_err(|e| Error::other(format!("cannot find own executable: {e}")))?;
            let dir = match dir {
                Some(dir) => dir,
                None => exe.parent().map(Path::to_path_buf).unwrap_or_default(),
            };
            return print(&protocol::shims::install(&dir, &exe)?);
        }
        _ => loaded?,
    };
    match cli.command {
        Command::Exec(args) => exec(&ctx, args),
        Command::Npmrc(args) => npmrc(&ctx, args),
        Command::KubeCredential(args) => {
            let target = which(&ctx, &args.which)?;
            print(&protocol::kube::exec_credential(
                &ctx.serve(&target, None, false)?,
            ))
        }
        Command::Keyring { .. }
        | Command::GitCredential { .. }
        | Command::DockerCredential { .. }
        | Command::Completions { .. }
        | Command::GenerateDocs { .. }
        | Command::Install { .. } => unreachable!("handled above"),
        Command::Token(args) => token(&ctx, args),
        Command::Status(args) => status(&ctx, args),
        Command::Refresh(args) => refresh(&ctx, args),
        Command::Clear(args) => clear(&ctx, args),
        Command::BackgroundRefresh(args) => {
            let target = ctx.config.target(&args.target)?;
            if target.backend.settings_hash() != args.settings_hash {
                return Err(Error::config(format!(
                    "target `{}` is not the target this refresh was started for (its backend settings differ); not refreshing",
                    target.name
                )));
            }
            let engine = engine(&ctx, &target);
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
    }
}

fn config_source(flag: Option<PathBuf>) -> config::Source {
    match flag {
        Some(path) => config::Source::Explicit(path),
        None => directories::BaseDirs::new().map_or(config::Source::None, |dirs| {
            config::Source::Default(dirs.config_dir().join("ecluse-cred").join("config.toml"))
        }),
    }
}

fn cache_dir(flag: Option<PathBuf>) -> Result<PathBuf> {
    let dir = match flag {
        Some(dir) => dir,
        None => directories::BaseDirs::new()
            .map(|dirs| dirs.cache_dir().join("ecluse-cred"))
            .ok_or_else(|| Error::config("no home directory to put the cache in: set --cache-dir or ECLUSE_CRED_CACHE_DIR"))?,
    };
    // Absolute, so the background process (and messages) mean the same directory.
    std::path::absolute(&dir)
        .map_err(|e| Error::config(format!("cache directory {}: {e}", dir.display())))
}

fn engine<'a>(
    ctx: &Context,
    target: &'a Target,
) -> Engine<'a, FileStore, Box<dyn Mint>, SystemClock> {
    Engine {
        target: &target.name,
        policy: &target.policy,
        store: FileStore::new(
            &ctx.cache_dir,
            &target.name,
            &target.backend.settings_hash(),
        ),
        mint: backend::for_target(target),
        clock: SystemClock,
        random: fastrand::f64,
    }
}

/// The target a command names with `--target` or `--url`.
fn which(ctx: &Context, which: &Which) -> Result<Target> {
    match (&which.target, &which.url) {
        (Some(name), _) => ctx.config.target(name),
        (None, Some(url)) => resolve::resolve(&ctx.config, url),
        (None, None) => unreachable!("clap requires --target or --url"),
    }
}

fn token(ctx: &Context, args: TokenArgs) -> Result<ExitCode> {
    let target = which(ctx, &args.which)?;
    let served = ctx.serve(&target, args.min_ttl, args.no_background)?;
    let out = match args.format {
        TokenFormat::Raw => format!("{}\n", served.entry.token.expose()),
        TokenFormat::Json => format!(
            "{}\n",
            json!({
                "token": served.entry.token.expose(),
                "expires_at": time(served.entry.expires_at),
                "target": target.name,
                "source": served.source.as_str(),
            })
        ),
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

/// Write `text` to stdout; a closed stdout is an error (exit 1), not a panic.
pub fn print(text: &str) -> Result<ExitCode> {
    let mut stdout = std::io::stdout().lock();
    stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
        .map_err(|e| Error::other(format!("cannot write to stdout: {e}")))?;
    Ok(ExitCode::SUCCESS)
}

fn status(ctx: &Context, args: StatusArgs) -> Result<ExitCode> {
    let targets: Vec<Target> = match &args.target {
        Some(name) => vec![ctx.config.target(name)?],
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
        .collect::<Result<Vec<Value>>>()?;
    match args.format {
        StatusFormat::Json => print(&format!("{}\n", json!({ "targets": rows }))),
        StatusFormat::Table => print(&status_table(&rows)),
    }
}

fn status_row(ctx: &Context, target: &Target, now: i64) -> Result<Value> {
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
    Ok(json!({
        "name": target.name,
        "backend": target.backend.kind(),
        "username": target.username,
        "urls": target.urls,
        "cached": e.is_some(),
        "token": token,
        "issued_at": e.map(|e| time(e.issued_at)),
        "refresh_at": e.map(|e| time(e.refresh_at)),
        "expires_at": e.map(|e| time(e.expires_at)),
        "expiry_source": e.map(|e| e.expiry_source.clone()),
        "breaker": {
            "state": b.state(now).as_str(),
            "consecutive_failures": b.consecutive_failures,
            "open_until": b.open_until.map(time),
        },
        "last_error": b.last_error.as_ref().map(|e| e.message.clone()),
        "last_error_at": b.last_failure_at.map(time),
    }))
}

fn status_table(rows: &[Value]) -> String {
    if rows.is_empty() {
        return "no targets configured (add [targets.NAME] sections to the config file)\n"
            .to_owned();
    }
    let text = |v: &Value| {
        v.as_str().map_or_else(
            || {
                if v.is_null() {
                    "-".to_owned()
                } else {
                    v.to_string()
                }
            },
            str::to_owned,
        )
    };
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
            text(&r["name"]),
            text(&r["backend"]),
            text(&r["token"]),
            text(&r["issued_at"]),
            text(&r["refresh_at"]),
            text(&r["expires_at"]),
            text(&r["breaker"]["state"]),
            text(&r["breaker"]["consecutive_failures"]),
            text(&r["last_error"]),
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
fn generate_docs(dir: &Path) -> Result<()> {
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
    Ok(())
}

/// Run the command with the token in its environment only, and become it (exec), so its exit
/// status is ours and nothing of ecluse-cred stays around it.
fn exec(ctx: &Context, args: ExecArgs) -> Result<ExitCode> {
    use std::os::unix::process::CommandExt;
    let target = which(ctx, &args.which)?;
    if let Some(registry) = &args.npm_registry {
        check_serves(ctx, &target, registry)?;
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
    let file = match args.file {
        Some(file) => file,
        None => protocol::npm::user_npmrc()?,
    };
    // Check the registry before minting: a typo should not cost a mint.
    check_serves(ctx, &target, &args.registry)?;
    if let Some(dir) = args.pnpm_token_helper {
        let exe = std::env::current_exe()
            .map_err(|e| Error::other(format!("cannot find own executable: {e}")))?;
        let dir = if dir.as_os_str().is_empty() {
            exe.parent().map(Path::to_path_buf).unwrap_or_default()
        } else {
            dir
        };
        let helper = protocol::npm::pnpm_helper(&dir, &target.name, &exe)?;
        let key = protocol::npm::token_helper_key(&args.registry)?;
        protocol::npm::write_line(&file, &key, &helper.display().to_string())?;
        return print(&format!(
            "updated {}: {key}={}\n",
            file.display(),
            helper.display()
        ));
    }
    let served = ctx.serve(&target, None, false)?;
    let key = protocol::npm::write_npmrc(
        &file,
        &args.registry,
        args.scope.as_deref(),
        &served.entry.token,
    )?;
    print(&format!(
        "updated {}: {key} (token expires {})\n",
        file.display(),
        time(served.entry.expires_at)
    ))
}

/// Before a token is handed to npm for `registry`: the registry is an http(s) URL, and the
/// target serves it (a target with `urls`, or a derived one, serves only those).
fn check_serves(ctx: &Context, target: &Target, registry: &str) -> Result<()> {
    protocol::npm::auth_key(registry)?;
    let request = resolve::Request::url(registry)?;
    if resolve::serves(&ctx.config, target, &request) {
        return Ok(());
    }
    Err(Error::config(format!(
        "target `{}` does not serve {}: a token goes only where its target's `urls` point; add the registry there or name the target that serves it",
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
        Some(name) => vec![ctx.config.target(&name).map_or(name, |t| t.name)],
        None => cache::cached_stems(&ctx.cache_dir)?,
    };
    let mut out = String::new();
    for name in names {
        // The settings hash does not matter for removing the files.
        let cleared = FileStore::new(&ctx.cache_dir, &name, "").clear(timeout)?;
        out.push_str(&if cleared {
            format!("cleared `{name}`\n")
        } else {
            format!("nothing cached for `{name}`\n")
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
