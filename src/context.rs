//! The context every front-end uses: where the configuration and cache are ([`Locations`]),
//! the configuration and the cache directory ([`Context`]), the engine over the real cache,
//! clock and backend ([`Context::serve`]), and stdout for the commands that talk as they go
//! ([`print`]). The commands (`commands/*`) and the client protocols (`protocol/*`) sit on it;
//! nothing here knows either of them.

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

/// Where the configuration file and the cache directory are, as the invocation says (`None`:
/// the platform default): `--config`/`--cache-dir` (clap folds in their environment
/// variables), or, for a client's shim, which has no command line of ours, the variables alone.
#[derive(Debug, Default)]
pub struct Locations {
    pub config: Option<PathBuf>,
    pub cache_dir: Option<PathBuf>,
}

impl Locations {
    /// `ECLUSE_CRED_CONFIG` and `ECLUSE_CRED_CACHE_DIR` (an empty one is unset).
    pub fn from_env() -> Locations {
        let var = |name| {
            std::env::var_os(name)
                .filter(|v| !v.is_empty())
                .map(PathBuf::from)
        };
        Locations {
            config: var(CONFIG_ENV),
            cache_dir: var(CACHE_DIR_ENV),
        }
    }

    /// Read the configuration and settle the cache directory.
    pub fn load(self) -> Result<Context> {
        Context::load(self.config, self.cache_dir)
    }
}

/// What every command needs: the configuration and the cache directory.
pub struct Context {
    pub config: Config,
    pub cache_dir: PathBuf,
}

impl Context {
    /// From `--config`/`--cache-dir` (see [`Locations`]), else the platform defaults.
    pub fn load(config_flag: Option<PathBuf>, cache_flag: Option<PathBuf>) -> Result<Context> {
        Ok(Context {
            config: config::load(&config_source(config_flag))?,
            cache_dir: cache_dir(cache_flag)?,
        })
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

/// The config file read when neither `--config` nor `ECLUSE_CRED_CONFIG` names one: in the
/// platform's config directory (`$XDG_CONFIG_HOME`, else `~/.config`). `None` without a home.
pub fn default_config_path() -> Option<PathBuf> {
    directories::BaseDirs::new()
        .map(|dirs| dirs.config_dir().join("ecluse-cred").join("config.toml"))
}

/// The cache directory used when neither `--cache-dir` nor `ECLUSE_CRED_CACHE_DIR` names one
/// (`$XDG_CACHE_HOME`, else `~/.cache`). `None` without a home.
pub fn default_cache_dir() -> Option<PathBuf> {
    directories::BaseDirs::new().map(|dirs| dirs.cache_dir().join("ecluse-cred"))
}

pub(crate) fn config_source(flag: Option<PathBuf>) -> config::Source {
    match flag {
        Some(path) => config::Source::Explicit(path),
        None => default_config_path().map_or(config::Source::None, config::Source::Default),
    }
}

pub(crate) fn cache_dir(flag: Option<PathBuf>) -> Result<PathBuf> {
    let dir = match flag {
        Some(dir) => dir,
        None => default_cache_dir().ok_or_else(|| {
            Error::config(
                "no home directory to put the cache in: set --cache-dir or ECLUSE_CRED_CACHE_DIR",
            )
        })?,
    };
    // Absolute, so the background process (and messages) mean the same directory.
    std::path::absolute(&dir)
        .map_err(|e| Error::config(format!("cache directory {}", dir.display())).with_source(e))
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
        mint: backend::for_target(target, ctx.config.fleet.as_ref()),
        clock: SystemClock,
        random: fastrand::f64,
    }
}

/// Write `text` to stdout now (`setup` and `doctor` talk as they go; a command's answer goes
/// back to [`crate::error::finish`] instead); a closed stdout is an error (exit 1), not a panic.
pub fn print(text: &str) -> Result<ExitCode> {
    crate::error::write_stdout(text)?;
    Ok(ExitCode::SUCCESS)
}
