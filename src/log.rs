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

/// How long a caller waits on a mint before it is told what it waits for: a cached token takes
/// milliseconds, so a second of silence already looks like a hang.
pub const SLOW_MINT_NOTICE: std::time::Duration = std::time::Duration::from_secs(1);

/// While alive, a caller is waiting on a mint for a target: past [`SLOW_MINT_NOTICE`] it says so
/// on stderr, once. Only on a terminal at the default verbosity: on a pipe (a client running
/// the helper, a build log) it would be noise on every cold start, and `-v` already says
/// "minting"; `-q` silences it. Dropped when the mint is done, the notice is never written.
pub struct SlowNotice {
    /// Dropped with the notice: the waiting thread then ends without a word.
    _done: Option<std::sync::mpsc::Sender<()>>,
}

pub fn slow_notice(target: &str) -> SlowNotice {
    use std::io::IsTerminal;
    let quiet = !enabled(Level::Warn);
    let verbose = enabled(Level::Info);
    let json = LOGGER.get().is_some_and(|l| l.format == Format::Json);
    if quiet || verbose || json || !std::io::stderr().is_terminal() {
        return SlowNotice { _done: None };
    }
    let (done, wait) = std::sync::mpsc::channel::<()>();
    let line =
        format!("ecluse-cred: [{target}] minting a new token (no usable one is cached)...\n");
    let spawned = std::thread::Builder::new()
        .name("slow-notice".into())
        .spawn(move || {
            if let Err(std::sync::mpsc::RecvTimeoutError::Timeout) =
                wait.recv_timeout(SLOW_MINT_NOTICE)
            {
                let _ = std::io::stderr().lock().write_all(line.as_bytes());
            }
        });
    SlowNotice {
        _done: spawned.ok().map(|_| done),
    }
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
