//! Events and errors on stderr, as text or one JSON object per line.
//!
//! Nothing here is ever given a token: messages are built from names, times and error texts.
//! Levels: `-q` shows errors only, the default adds warnings (e.g. a stale token served through
//! a failing mint), `-v` adds decisions (cache hit, refresh started, mint ok/failed, breaker
//! transitions), `-vv` timings and cache details, `-vvv` everything.

use std::fmt;
use std::io::Write;
use std::sync::OnceLock;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    Error,
    Warn,
    Info,
    Debug,
    Trace,
}

impl Level {
    fn as_str(self) -> &'static str {
        match self {
            Level::Error => "error",
            Level::Warn => "warn",
            Level::Info => "info",
            Level::Debug => "debug",
            Level::Trace => "trace",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Text,
    Json,
}

struct Logger {
    max: Level,
    format: Format,
}

static LOGGER: OnceLock<Logger> = OnceLock::new();

/// Set the level from `-q`/`-v` counts and the format. Later calls are ignored.
pub fn init(verbose: u8, quiet: bool, format: Format) {
    let max = match (quiet, verbose) {
        (true, _) => Level::Error,
        (false, 0) => Level::Warn,
        (false, 1) => Level::Info,
        (false, 2) => Level::Debug,
        (false, _) => Level::Trace,
    };
    let _ = LOGGER.set(Logger { max, format });
}

pub fn enabled(level: Level) -> bool {
    LOGGER
        .get()
        .map_or(level <= Level::Warn, |l| level <= l.max)
}

/// Write one event. `event` is a stable machine-readable name (`cache_hit`, `mint_failed`, ...),
/// `target` the target it concerns, if any. Extra `fields` go into the JSON object.
pub fn write(
    level: Level,
    event: &str,
    target: Option<&str>,
    message: fmt::Arguments<'_>,
    fields: &[(&str, serde_json::Value)],
) {
    if !enabled(level) {
        return;
    }
    let format = LOGGER.get().map_or(Format::Text, |l| l.format);
    let line = match format {
        Format::Text => {
            let target = target.map(|t| format!("[{t}] ")).unwrap_or_default();
            format!("ecluse-cred: {}: {target}{message}\n", level.as_str())
        }
        Format::Json => {
            let mut obj = serde_json::Map::new();
            obj.insert("time".into(), jiff::Timestamp::now().to_string().into());
            obj.insert("level".into(), level.as_str().into());
            obj.insert("event".into(), event.into());
            if let Some(t) = target {
                obj.insert("target".into(), t.into());
            }
            obj.insert("message".into(), message.to_string().into());
            for (k, v) in fields {
                obj.insert((*k).into(), v.clone());
            }
            format!("{}\n", serde_json::Value::Object(obj))
        }
    };
    // One write call per line, so concurrent processes' lines do not interleave mid-line.
    let _ = std::io::stderr().lock().write_all(line.as_bytes());
}

/// `event!(Level::Info, "cache_hit", Some(target), "served cached token ({})", x)`; the
/// arguments are formatted only when the level is enabled.
#[macro_export]
macro_rules! event {
    ($level:expr, $event:expr, $target:expr, $($arg:tt)+) => {
        if $crate::log::enabled($level) {
            $crate::log::write($level, $event, $target, format_args!($($arg)+), &[]);
        }
    };
}
