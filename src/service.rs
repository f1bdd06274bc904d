//! The wiring every front-end uses: the configuration, the cache directory, the engine over
//! the real cache, clock and backend ([`Context::serve`]), and stdout ([`print`]). The
//! commands (`app`) and the client protocols (`protocol/*`) sit on it; nothing here knows
//! either of them.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use crate::backend;
use crate::cache::FileStore;
use crate::config::{self, Config, Target};
use crate::engine::{Clock, Engine, Refresh, Served, SystemClock};
use crate::error::{Error, Result};
use crate::mint::Mint;

/// The config file's environment variable (`--config` on the command line).
pub const CONFIG_ENV: &str = "ECLUSE_CRED_CONFIG";
/// The cache directory's environment variable (`--cache-dir` on the command line).
pub const CACHE_DIR_ENV: &str = "ECLUSE_CRED_CACHE_DIR";

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
        Context::load(var(CONFIG_ENV), var(CACHE_DIR_ENV))
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

    /// `target`'s cached token if it is usable now, without minting, refreshing or any network
    /// (GOAUTH's first call, and its answer to a 404).
    pub fn cached(&self, target: &Target) -> Option<crate::policy::Entry> {
        let store = FileStore::new(
            &self.cache_dir,
            &target.name,
            &target.backend.settings_hash(),
        );
        let entry = store.load().ok()?.entry?;
        let now = SystemClock.now();
        (crate::policy::freshness(now, Some(&entry), &target.policy, None)
            != crate::policy::Freshness::Unusable)
            .then_some(entry)
    }
}

pub(crate) fn config_source(flag: Option<PathBuf>) -> config::Source {
    match flag {
        Some(path) => config::Source::Explicit(path),
        None => directories::BaseDirs::new().map_or(config::Source::None, |dirs| {
            config::Source::Default(dirs.config_dir().join("ecluse-cred").join("config.toml"))
        }),
    }
}

pub(crate) fn cache_dir(flag: Option<PathBuf>) -> Result<PathBuf> {
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

pub fn engine<'a>(
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

/// Write `text` to stdout; a closed stdout is an error (exit 1), not a panic.
pub fn print(text: &str) -> Result<ExitCode> {
    let mut stdout = std::io::stdout().lock();
    stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
        .map_err(|e| Error::other(format!("cannot write to stdout: {e}")))?;
    Ok(ExitCode::SUCCESS)
}
