//! `status`: each target's cached token times and breaker state, as a table or JSON. Never
//! the token.

use crate::cache::{self, FileStore};
use crate::cli::{StatusArgs, StatusFormat};
use crate::config::Target;
use crate::context::Context;
use crate::engine::{Clock, SystemClock};
use crate::error::{Reply, Result};
use crate::policy::{self, EpochMs, Freshness};
use crate::resolve;

pub fn run(ctx: &Context, args: StatusArgs) -> Result<Reply> {
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
    let now = SystemClock.now();
    let rows = targets
        .iter()
        .map(|t| status_row(ctx, t, now))
        .collect::<Result<Vec<StatusRow>>>()?;
    // The fleet store's state, when there is one: the helper pings it (bounded by its timeout).
    let fleet = ctx.config.fleet.as_ref().map(|f| {
        let reason = crate::backend::fleet::ping(f).err();
        FleetRow {
            state: if reason.is_some() {
                "unavailable"
            } else {
                "reachable"
            },
            store: f.store.clone(),
            reason,
        }
    });
    Ok(Reply::Stdout(match args.format {
        StatusFormat::Json => status_json(rows, fleet),
        StatusFormat::Table => {
            let mut out = status_table(&rows, now, width());
            if let Some(f) = fleet {
                out.push_str(&fleet_line(&f));
            }
            out
        }
    }))
}

/// The `[fleet]` store in `status`: its URL (which holds no credentials) and whether it
/// answers, with the fleet key well-formed.
#[derive(serde::Serialize)]
struct FleetRow {
    reason: Option<String>,
    /// `reachable` or `unavailable`.
    state: &'static str,
    store: String,
}

fn fleet_line(f: &FleetRow) -> String {
    match &f.reason {
        None => format!("fleet store {}: reachable\n", f.store),
        Some(why) => format!(
            "fleet store {}: unavailable ({why}); each host mints on its own\n",
            f.store
        ),
    }
}

/// `status --format json`: `{"targets": [...]}`, and `"fleet"` with a `[fleet]` store.
#[derive(serde::Serialize)]
struct StatusReply {
    #[serde(skip_serializing_if = "Option::is_none")]
    fleet: Option<FleetRow>,
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
    /// Refresh point and expiry, for the table's relative times.
    #[serde(skip)]
    times: Option<(EpochMs, EpochMs)>,
}

#[derive(serde::Serialize)]
struct BreakerRow {
    consecutive_failures: u32,
    open_until: Option<String>,
    /// `closed`, `open` or `half-open`.
    state: &'static str,
}

fn status_json(targets: Vec<StatusRow>, fleet: Option<FleetRow>) -> String {
    let reply = StatusReply { fleet, targets };
    format!(
        "{}\n",
        serde_json::to_string(&reply).expect("status serializes")
    )
}

fn status_row(ctx: &Context, target: &Target, now: EpochMs) -> Result<StatusRow> {
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
            open_until: b.open_until.map(|t| t.to_string()),
            state: b.state(now).as_str(),
        },
        cached: e.is_some(),
        expires_at: e.map(|e| e.expires_at.to_string()),
        expiry_source: e.map(|e| e.expiry_source.clone()),
        issued_at: e.map(|e| e.issued_at.to_string()),
        last_error: b.last_error.as_ref().map(|e| e.message.clone()),
        last_error_at: b.last_failure_at.map(|t| t.to_string()),
        name: target.name.clone(),
        refresh_at: e.map(|e| e.refresh_at.to_string()),
        token,
        urls: target.urls.clone(),
        username: target.username.clone(),
        times: e.map(|e| (e.refresh_at, e.expires_at)),
    })
}

/// Widest `status` table when the terminal's width is unknown (a pipe, no `COLUMNS`).
const DEFAULT_WIDTH: usize = 100;

/// Narrowest the last error is cut to, whatever the width: less says nothing.
const MIN_ERROR_WIDTH: usize = 16;

/// The width to fit the table in: the terminal's, else `COLUMNS`, else [`DEFAULT_WIDTH`].
fn width() -> usize {
    rustix::termios::tcgetwinsize(std::io::stdout())
        .ok()
        .map(|w| usize::from(w.ws_col))
        .filter(|w| *w > 0)
        .or_else(|| std::env::var("COLUMNS").ok()?.parse().ok())
        .unwrap_or(DEFAULT_WIDTH)
}

/// `at` relative to `now`, short: `in 42m`, `3h 5m ago`, `now`.
fn relative(at: EpochMs, now: EpochMs) -> String {
    let ms = at.as_millis().saturating_sub(now.as_millis());
    let s = ms.unsigned_abs() / 1000;
    let text = match s {
        0 => return "now".to_owned(),
        1..60 => format!("{s}s"),
        60..3600 => format!("{}m", s / 60),
        3600..86_400 if s % 3600 / 60 == 0 => format!("{}h", s / 3600),
        3600..86_400 => format!("{}h {}m", s / 3600, s % 3600 / 60),
        _ => format!("{}d {}h", s / 86_400, s % 86_400 / 3600),
    };
    if ms > 0 {
        format!("in {text}")
    } else {
        format!("{text} ago")
    }
}

/// The table: times relative to now (the exact ones are in `--format json`), fitted to
/// `width` by cutting the last error short.
fn status_table(rows: &[StatusRow], now: EpochMs, width: usize) -> String {
    if rows.is_empty() {
        return "no targets configured (add [targets.NAME] sections to the config file)\n"
            .to_owned();
    }
    let when = |v: Option<EpochMs>| v.map_or_else(|| "-".to_owned(), |t| relative(t, now));
    let header = [
        "TARGET",
        "BACKEND",
        "TOKEN",
        "EXPIRES",
        "REFRESH",
        "BREAKER",
        "FAILS",
        "LAST ERROR",
    ];
    let mut table: Vec<Vec<String>> = vec![header.iter().map(|h| (*h).to_owned()).collect()];
    for r in rows {
        table.push(vec![
            r.name.clone(),
            r.backend.to_owned(),
            r.token.to_owned(),
            when(r.times.map(|t| t.1)),
            when(r.times.map(|t| t.0)),
            r.breaker.state.to_owned(),
            r.breaker.consecutive_failures.to_string(),
            r.last_error.clone().unwrap_or_else(|| "-".to_owned()),
        ]);
    }
    let last = header.len() - 1;
    let widths: Vec<usize> = (0..header.len())
        .map(|i| {
            table
                .iter()
                .map(|row| row[i].chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let before: usize = widths[..last].iter().map(|w| w + 2).sum();
    let room = width.saturating_sub(before).max(MIN_ERROR_WIDTH);
    let mut out = String::new();
    for mut row in table {
        row[last] = ecluse_cred_contract::redact::shorten_to(&row[last], room);
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

#[cfg(test)]
mod tests {
    use super::*;

    const T0: i64 = 1_800_000_000_000;

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
            expires_at: Some(EpochMs::from_millis(T0 + 3_600_000).to_string()),
            expiry_source: Some("expires_in".into()),
            issued_at: Some(EpochMs::from_millis(T0).to_string()),
            last_error: None,
            last_error_at: None,
            name: "build".into(),
            refresh_at: Some(EpochMs::from_millis(T0 + 2_880_000).to_string()),
            token: "valid",
            urls: vec!["https://pkgs.example.com/".into()],
            username: Some("aws".into()),
            times: None,
        };
        assert_eq!(
            status_json(vec![row], None),
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
