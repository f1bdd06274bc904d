//! The refresh / cache / expiry / breaker policy, as pure functions.
//!
//! The interesting part of a credential helper is not the cloud call but the *policy* around it:
//! serve a cached token, refresh it before it expires, never stampede the token API, and stay up
//! through a mint outage. That policy is the same for every backend, so it lives here once. Every
//! function takes the time as an argument and touches no file, lock or network: the engine
//! (`engine.rs`) feeds it the cache and the clock, and tests feed it a fake clock.
//!
//! - **Proactive refresh.** A token is due for refresh once `refresh_at` (~80%) of its lifetime
//!   has passed, less a per-mint random `jitter` that desynchronises a fleet, and at the latest
//!   `floor` before expiry. While it is still usable the caller is served at once and the refresh
//!   happens elsewhere (a background process), so the hot path never waits on a mint.
//! - **Single-flight.** Minting happens only under the target's lock, and whoever gets the lock
//!   re-reads the cache first: a cohort that crosses the threshold together causes one mint.
//! - **Serve stale behind a circuit breaker.** A failed mint never fails a caller whose token is
//!   still usable. `breaker_threshold` consecutive failures open the breaker for a cooldown in
//!   which nobody calls the mint; then one probe (the lock holder) decides: success closes it,
//!   failure reopens it with a doubled cooldown. Only "no usable token" plus "mint failed" is an
//!   error.
//!
//! Short-lived tokens: `floor` and the configured `min_ttl` are clamped per token (see
//! [`refresh_point`] and [`effective_min_ttl`]) so that a freshly minted token is never already
//! due for refresh or unusable, whatever its lifetime.

use std::time::Duration;

pub use crate::mint::EpochMs;
use crate::mint::{FailureKind, MintError, Minted};
use crate::secret::Secret;

/// Default fraction of a token's lifetime after which it is refreshed.
pub const DEFAULT_REFRESH_AT: f64 = 0.8;
/// Default upper bound of the random fraction of the lifetime subtracted from `refresh_at`,
/// drawn once per mint: with a 12 h token, refreshes of a fleet minted in the same second spread
/// over 36 minutes instead of landing together.
pub const DEFAULT_JITTER: f64 = 0.05;
/// Default latest refresh before expiry: a 12 h token is refreshed at ~9.6 h anyway; a 10 min
/// token would be refreshed 5 min before expiry (clamped for shorter ones, see [`refresh_point`]).
pub const DEFAULT_FLOOR: Duration = Duration::from_secs(5 * 60);
/// Default minimum remaining validity of a served token: a margin for clock skew between this
/// machine and the registry, and for the request that uses the token.
pub const DEFAULT_MIN_TTL: Duration = Duration::from_secs(30);
/// Default number of consecutive mint failures that open the circuit breaker.
pub const DEFAULT_BREAKER_THRESHOLD: u32 = 3;
/// Default time an open breaker fast-fails mints before one probe is let through.
pub const DEFAULT_BREAKER_COOLDOWN: Duration = Duration::from_secs(5 * 60);
/// How far in the future an entry's issue time may lie before the entry is distrusted: past
/// that, the clock was wrong when it was minted or has jumped back since, so its times cannot
/// be trusted and a new token is minted (once: the new entry is issued "now").
pub const CLOCK_SKEW_TOLERANCE: Duration = Duration::from_secs(5 * 60);
/// Longest cooldown a breaker grows to through failed probes (it doubles per failed probe); a
/// configured cooldown longer than this is kept as is.
pub const MAX_BREAKER_COOLDOWN: Duration = Duration::from_secs(60 * 60);
/// How far past its cooldown an open breaker may wait, as a fraction of it: a random part of
/// this much is added each time it opens, so breakers that opened together probe apart.
pub const BREAKER_JITTER_SPREAD: f64 = 0.5;
/// The least spread of a fleet's refreshes: the jitter fraction is raised, for a token's
/// lifetime, to cover at least this long (and at most half the way to its refresh deadline).
/// 10,000 hosts with 1 h tokens minted in the same second then refresh over 10 minutes, at most
/// ~30 per second, instead of 74 in the busiest second of the 3 minutes that `jitter = 0.05`
/// alone gives: under a 40 requests per second quota, for about 10% more mints per day
/// (`cargo bench --bench fleet`). A 12 h token's 5% (36 minutes) is wider anyway.
pub const MIN_JITTER_WINDOW: Duration = Duration::from_secs(10 * 60);
/// Default limit on one mint: a mint that takes longer is killed and counts as a failure.
pub const DEFAULT_MINT_TIMEOUT: Duration = Duration::from_secs(30);
/// Default time a caller that must mint waits for another process's mint (the lock).
pub const DEFAULT_LOCK_TIMEOUT: Duration = Duration::from_secs(60);

/// The tunables of the policy, after defaults and per-target overrides are merged.
#[derive(Debug, Clone, PartialEq)]
pub struct Policy {
    pub refresh_at: f64,
    pub jitter: f64,
    pub floor: Duration,
    pub min_ttl: Duration,
    pub breaker_threshold: u32,
    pub breaker_cooldown: Duration,
    pub mint_timeout: Duration,
    pub lock_timeout: Duration,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            refresh_at: DEFAULT_REFRESH_AT,
            jitter: DEFAULT_JITTER,
            floor: DEFAULT_FLOOR,
            min_ttl: DEFAULT_MIN_TTL,
            breaker_threshold: DEFAULT_BREAKER_THRESHOLD,
            breaker_cooldown: DEFAULT_BREAKER_COOLDOWN,
            mint_timeout: DEFAULT_MINT_TIMEOUT,
            lock_timeout: DEFAULT_LOCK_TIMEOUT,
        }
    }
}

/// Longest a minted token may claim to stay valid. Short-lived registry tokens live minutes to
/// hours (CodeArtifact at most 12 h); an expiry beyond a year is a unit mistake (milliseconds
/// read as seconds: "valid for 55,000 years") or an overflow, and such a token would never be
/// refreshed.
pub const MAX_TOKEN_LIFETIME: Duration = Duration::from_secs(366 * 24 * 3600);

/// What can be wrong with a token and its expiry, by the rule of [`check_minted`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Unfit {
    Empty,
    ControlCharacters,
    AlreadyExpired,
    TooLong,
}

fn unfit(token: &str, expires_at: EpochMs, started: EpochMs) -> Option<Unfit> {
    if token.is_empty() {
        Some(Unfit::Empty)
    } else if token.chars().any(char::is_control) {
        Some(Unfit::ControlCharacters)
    } else if expires_at <= started {
        Some(Unfit::AlreadyExpired)
    } else if expires_at.ms_since(started) > ms(MAX_TOKEN_LIFETIME) {
        Some(Unfit::TooLong)
    } else {
        None
    }
}

/// Whether a cached entry holds what [`check_minted`] would have let into the cache: a file
/// edited by hand or by another program is not served otherwise.
pub fn is_cacheable(entry: &Entry) -> bool {
    unfit(entry.token.expose(), entry.expires_at, entry.issued_at).is_none()
}

/// What every backend's answer must be before it is cached, checked once where it enters the
/// engine: a non-empty token without control characters (it goes into headers and config
/// lines), expiring after the mint started and no later than [`MAX_TOKEN_LIFETIME`] after.
/// Messages say what is wrong, never the token.
pub fn check_minted(minted: Minted, started: EpochMs) -> Result<Minted, MintError> {
    let lifetime = minted.expires_at.ms_since(started);
    let why = match unfit(minted.token.expose(), minted.expires_at, started) {
        None => return Ok(minted),
        Some(Unfit::Empty) => "the backend returned an empty token".to_owned(),
        Some(Unfit::ControlCharacters) => {
            "the backend returned a token containing control characters (newline, tab, ...)"
                .to_owned()
        }
        Some(Unfit::AlreadyExpired) => format!(
            "the backend returned a token that had already expired ({} is not after the mint started)",
            minted.expiry_source
        ),
        Some(Unfit::TooLong) => format!(
            "the backend returned a token whose expiry ({}) is more than {} year(s) away, longer than any short-lived token lives (at most {} days here): is it in milliseconds where seconds were expected?",
            minted.expiry_source,
            (lifetime / ms(MAX_TOKEN_LIFETIME)).max(1),
            MAX_TOKEN_LIFETIME.as_secs() / 86_400
        ),
    };
    Err(MintError::transient(why))
}

/// A cached token with the times the policy derived for it when it was minted.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Entry {
    pub token: Secret,
    /// When the mint *started*: the conservative end of the lifetime.
    pub issued_at: EpochMs,
    pub expires_at: EpochMs,
    /// When a refresh becomes due (jitter and floor applied, see [`refresh_point`]).
    pub refresh_at: EpochMs,
    /// The jitter fraction drawn for this token.
    pub jitter: f64,
    pub expiry_source: String,
    /// When the mint *returned* (absent in entries cached by earlier versions): how long a token
    /// of this backend is valid once it is in hand, `expires_at - received_at`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub received_at: Option<EpochMs>,
    /// The `--min-ttl` (ms) of the caller this token was minted for, if it was minted for one.
    /// Only such a token that still fell short of it shows what the backend gives now and holds
    /// other callers asking as much off minting (see [`never_long_enough`]); a token minted for
    /// another reason (an ordinary call, a refresh) says nothing of today's lifetimes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub minted_for_min_ttl: Option<i64>,
}

/// The circuit breaker, persisted next to the token so every process sees the same one.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Breaker {
    pub consecutive_failures: u32,
    /// Set while the breaker is open or half-open: no mint before this time, one probe after.
    pub open_until: Option<EpochMs>,
    pub last_error: Option<MintError>,
    pub last_failure_at: Option<EpochMs>,
    /// After a failed mint that did not open the breaker: no background refresh of a still
    /// usable token before this time (a caller whose token is unusable still mints).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_at: Option<EpochMs>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BreakerState {
    Closed,
    /// Cooling down: nobody mints until `open_until`.
    Open,
    /// Cooled down: the next lock holder makes the single probe.
    HalfOpen,
}

impl BreakerState {
    pub fn as_str(self) -> &'static str {
        match self {
            BreakerState::Closed => "closed",
            BreakerState::Open => "open",
            BreakerState::HalfOpen => "half-open",
        }
    }
}

impl Breaker {
    /// The state at `now`. A breaker opened "in the future" (the clock has since gone back) is
    /// half-open: a clock jump must not keep it shut for longer than its cooldown.
    pub fn state(&self, now: EpochMs) -> BreakerState {
        let opened = self.last_failure_at.unwrap_or(EpochMs::MIN);
        match self.open_until {
            None => BreakerState::Closed,
            Some(until) if opened <= now && now < until => BreakerState::Open,
            Some(_) => BreakerState::HalfOpen,
        }
    }

    pub fn is_open(&self, now: EpochMs) -> bool {
        self.state(now) == BreakerState::Open
    }

    /// Whether a still-valid token's refresh must wait after a failed one (`retry_at`). A
    /// `retry_at` further ahead than any wait it could have been given means the clock went
    /// back: not trusted, no wait.
    pub fn retry_waits(&self, now: EpochMs, policy: &Policy) -> bool {
        let longest = jittered_cooldown(policy.breaker_cooldown, 1.0);
        self.retry_at
            .is_some_and(|t| now < t && t.ms_since(now) <= longest)
    }

    /// A mint succeeded: the breaker closes. The last error is kept for `status`.
    pub fn record_success(&mut self) {
        self.consecutive_failures = 0;
        self.open_until = None;
        self.retry_at = None;
    }

    /// A mint failed at `now`, with `entry` in the cache: count it, and open (or reopen) the
    /// breaker at the threshold. Each failed probe doubles the cooldown, up to
    /// [`MAX_BREAKER_COOLDOWN`]; the breaker stays open for that plus a random part of
    /// [`BREAKER_JITTER_SPREAD`] of it ([`jittered_cooldown`], `draw` in `[0, 1)`), so a fleet
    /// whose breakers opened together in an outage does not probe together.
    pub fn record_failure(
        &mut self,
        now: EpochMs,
        error: &MintError,
        entry: Option<&Entry>,
        policy: &Policy,
        draw: f64,
    ) {
        self.consecutive_failures = self.consecutive_failures.saturating_add(1);
        self.last_error = Some(error.clone());
        self.last_failure_at = Some(now);
        let threshold = policy.breaker_threshold.max(1);
        if self.consecutive_failures >= threshold {
            let probes_failed = self.consecutive_failures - threshold;
            let open_for = jittered_cooldown(cooldown(policy, probes_failed), draw);
            self.open_until = Some(now.saturating_add_ms(open_for));
            self.retry_at = None;
        } else {
            self.retry_at = Some(now.saturating_add_ms(retry_wait(now, entry, policy, draw)));
        }
    }
}

impl Breaker {
    /// The fleet's `failing` record answered this host's mint at `now`
    /// ([`FailureKind::FleetFailing`](crate::mint::FailureKind::FleetFailing)): another host's
    /// mint failed, not this host's, so it is not counted and never opens this breaker (which
    /// would keep the host from reading the fleet's next token until its own cooldown). It is
    /// kept for `status`, and a still-usable token's refresh waits as after a failure below the
    /// threshold ([`retry_wait`]), so a busy host does not ask the store at every call.
    pub fn record_fleet_failing(
        &mut self,
        now: EpochMs,
        error: &MintError,
        entry: Option<&Entry>,
        policy: &Policy,
        draw: f64,
    ) {
        self.last_error = Some(error.clone());
        self.last_failure_at = Some(now);
        self.retry_at = Some(now.saturating_add_ms(retry_wait(now, entry, policy, draw)));
    }
}

/// How long a still-usable token's refresh waits after a failed one, below the breaker's
/// threshold: until a random point (`draw`) of the time the token has left before it becomes
/// unusable, and no longer than the jittered cooldown. The cooldown spaces a fleet's tries
/// through an outage; the random point keeps a fleet minted together, whose tokens all become
/// unusable in the same second, from making all its pending retries in that second, and spreads
/// them over the time left instead (`cargo bench --bench fleet`, docs/benchmarks.md). Far from
/// expiry the cooldown decides, except for the rare draw that falls within it. `draw` 0 is the
/// whole of both: exactly the cooldown, or the last millisecond the token is usable.
pub fn retry_wait(now: EpochMs, entry: Option<&Entry>, policy: &Policy, draw: f64) -> i64 {
    let wait = jittered_cooldown(policy.breaker_cooldown, draw);
    let usable_for = entry.map_or(0, |e| {
        e.expires_at
            .saturating_sub_ms(effective_min_ttl(e, policy))
            .ms_since(now)
    });
    if usable_for <= 0 {
        return wait;
    }
    let share = 1.0 - draw.clamp(0.0, 1.0);
    let point = ((usable_for - 1) as f64 * share) as i64;
    wait.min(point)
}

/// How long a breaker stays open for a `cooldown`, given a random `draw` in `[0, 1)`: the
/// cooldown, plus uniformly up to [`BREAKER_JITTER_SPREAD`] of it. Never less than the cooldown:
/// jitter below it (full jitter down to nothing, or "equal jitter" down to half) made a fleet
/// probe more often during an outage, double its cooldowns towards the cap sooner, and recover
/// later than with no jitter at all (`cargo bench --bench fleet`, docs/benchmarks.md).
pub fn jittered_cooldown(cooldown: Duration, draw: f64) -> i64 {
    let share = 1.0 + BREAKER_JITTER_SPREAD * draw.clamp(0.0, 1.0);
    (ms(cooldown) as f64 * share) as i64
}

/// The cooldown after `probes_failed` failed probes: the configured one, doubled per failed
/// probe, capped at [`MAX_BREAKER_COOLDOWN`] (or the configured one if that is longer).
pub fn cooldown(policy: &Policy, probes_failed: u32) -> Duration {
    let base = policy.breaker_cooldown;
    let cap = base.max(MAX_BREAKER_COOLDOWN);
    base.checked_mul(1u32 << probes_failed.min(16))
        .map_or(cap, |grown| grown.min(cap))
}

/// How a cached token stands at a given moment for a given caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Freshness {
    /// Usable and not yet due for refresh.
    Fresh,
    /// Usable, but past its refresh point.
    Due,
    /// Missing, expired, or valid for less than the caller's minimum.
    Unusable,
}

/// When a token minted at `issued_at` and expiring at `expires_at` becomes due for refresh:
/// `min(issued + lifetime * refresh_at, expires - floor) - lifetime * jitter`.
///
/// The jitter is taken off whichever deadline applies, so a fleet minted together spreads its
/// refreshes over `jitter * lifetime` even where the floor decides; taken off the fraction
/// alone (as in the seed's formula) it vanishes for every token shorter than `floor /
/// (1 - refresh_at)` (25 min with the defaults) and a 10,000-host fleet of 15 min tokens
/// refreshes in one second (`cargo bench --bench fleet`, docs/benchmarks.md). The jitter never
/// moves the point earlier than halfway to the unjittered one.
///
/// The floor is clamped to half the lifetime: with the defaults (80%, floor 5 min) a 1 h token is
/// refreshed at ~45-48 min, a 15 min token at ~9.3-10 min, and a 2 min token at ~54-60 s rather
/// than 3 minutes before it was even minted. So a freshly minted token is never already due, and
/// a short-lived token causes one mint per half lifetime or so, not one per call.
pub fn refresh_point(
    issued_at: EpochMs,
    expires_at: EpochMs,
    jitter: f64,
    policy: &Policy,
) -> EpochMs {
    let lifetime = expires_at.ms_since(issued_at).max(0) as f64;
    let floor = (ms(policy.floor) as f64).min(lifetime / 2.0);
    let issued = issued_at.as_millis() as f64;
    let deadline =
        (issued + lifetime * policy.refresh_at).min(expires_at.as_millis() as f64 - floor);
    let jittered = deadline - lifetime * jitter;
    EpochMs::from_millis(jittered.max(issued + (deadline - issued) / 2.0).floor() as i64)
}

/// The configured `min_ttl` that applies to `entry`: at most half the time between its refresh
/// point and its expiry, so a short-lived token stays usable through its refresh window instead
/// of being unusable the moment it is minted. (`--min-ttl` from the caller is never clamped.)
pub fn effective_min_ttl(entry: &Entry, policy: &Policy) -> i64 {
    let window = entry.expires_at.ms_since(entry.refresh_at).max(0);
    ms(policy.min_ttl).min(window / 2)
}

/// Classify `entry` at `now` for a caller that needs at least `required_ttl` of validity
/// (`--min-ttl`, if any; the clamped configured `min_ttl` applies anyway).
pub fn freshness(
    now: EpochMs,
    entry: Option<&Entry>,
    policy: &Policy,
    required_ttl: Option<Duration>,
) -> Freshness {
    let Some(entry) = entry else {
        return Freshness::Unusable;
    };
    let min_ttl = effective_min_ttl(entry, policy).max(required_ttl.map_or(0, ms));
    let issued_in_future = entry.issued_at > now.saturating_add(CLOCK_SKEW_TOLERANCE);
    if entry.expires_at <= entry.issued_at
        || issued_in_future
        || now >= entry.expires_at.saturating_sub_ms(min_ttl)
    {
        Freshness::Unusable
    } else if now >= entry.refresh_at {
        Freshness::Due
    } else {
        Freshness::Fresh
    }
}

/// What `token` does before taking any lock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Plan {
    /// Print the cached token. No lock, no network.
    Serve,
    /// Print the cached token, and have it refreshed without making the caller wait.
    ServeAndRefresh,
    /// No usable token: take the lock (waiting) and mint unless someone else just did.
    Mint,
    /// The cached token is good, only shorter-lived than the caller's `--min-ttl`, and the
    /// backend's tokens live no longer than that: a mint would replace a good token with
    /// another that is just as short. Fail without minting.
    TooShort,
}

pub fn plan(
    now: EpochMs,
    entry: Option<&Entry>,
    breaker: &Breaker,
    policy: &Policy,
    required_ttl: Option<Duration>,
) -> Plan {
    match freshness(now, entry, policy, required_ttl) {
        Freshness::Fresh => Plan::Serve,
        // An open breaker means a refresh would fast-fail: do not even start one. After a
        // failed refresh the next one waits its turn too (`Breaker::retry_at`).
        Freshness::Due if breaker.is_open(now) || breaker.retry_waits(now, policy) => Plan::Serve,
        Freshness::Due => Plan::ServeAndRefresh,
        Freshness::Unusable if never_long_enough(now, entry, policy, required_ttl) => {
            Plan::TooShort
        }
        Freshness::Unusable => Plan::Mint,
    }
}

/// Whether `entry` is usable by the policy's own measure, yet its whole lifetime is no longer
/// than the caller's `required_ttl`: a new token of the same lifetime could not satisfy it.
///
/// Only for a token minted for a `--min-ttl` caller that it still fell short of ([`fell_short`]):
/// an ordinary mint's short token says nothing of what the backend gives now, so the first
/// `--min-ttl` caller it cannot satisfy mints. And only for a recent sample: for a breaker
/// cooldown after the token was received. After that one mint is let through again, since a
/// backend's lifetimes can change (a `duration` edit, a CodeArtifact token capped by a role
/// session's remaining time, a metadata server's cached token): at most one wasted mint per
/// cooldown, instead of one per caller.
fn never_long_enough(
    now: EpochMs,
    entry: Option<&Entry>,
    policy: &Policy,
    required_ttl: Option<Duration>,
) -> bool {
    let (Some(e), Some(required)) = (entry, required_ttl) else {
        return false;
    };
    let recent = now < too_short_until(e, policy);
    freshness(now, entry, policy, None) != Freshness::Unusable
        && recent
        && fell_short(e, policy)
        && valid_in_hand(e, policy) <= effective_min_ttl(e, policy).max(ms(required))
}

/// How long `e`'s token was valid once in hand.
fn valid_in_hand(e: &Entry, policy: &Policy) -> i64 {
    e.expires_at.ms_since(received_at(e, policy))
}

/// Whether `e` was minted for a `--min-ttl` caller and could not satisfy it: usable at receipt
/// means `expires - received > max(min_ttl, asked)`.
fn fell_short(e: &Entry, policy: &Policy) -> bool {
    e.minted_for_min_ttl
        .is_some_and(|asked| valid_in_hand(e, policy) <= effective_min_ttl(e, policy).max(asked))
}

/// When `entry`'s token was in hand. A mint returns within `mint_timeout` of its start; a
/// receipt time outside that is not to be trusted, and the start is the conservative stand-in.
fn received_at(e: &Entry, policy: &Policy) -> EpochMs {
    e.received_at
        .filter(|r| (e.issued_at..=e.issued_at.saturating_add(policy.mint_timeout)).contains(r))
        .unwrap_or(e.issued_at)
}

/// Until when `entry`, if it cannot satisfy a caller's `--min-ttl`, stands for what the backend
/// gives: a breaker cooldown after it was received.
pub fn too_short_until(e: &Entry, policy: &Policy) -> EpochMs {
    received_at(e, policy).saturating_add(policy.breaker_cooldown)
}

/// Why the lock holder is there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// The caller has no usable token. `waiting_since` is when it started waiting for the lock:
    /// a mint that failed after that was the caller's own single-flight mint, and its failure is
    /// shared rather than repeated. `seen` is the issue time of the entry it found unusable
    /// then: a newer entry that is still unusable to it was minted while it waited, and a mint
    /// of its own would get no better token.
    NeedToken {
        waiting_since: EpochMs,
        seen: Option<EpochMs>,
    },
    /// A token is usable but due: refresh it (background or `--no-background`).
    Refresh,
    /// `ecluse-cred refresh`: mint now, unless the breaker is open.
    Explicit,
    /// `ecluse-cred refresh --force`: mint now, whatever the breaker says.
    Forced,
}

/// What the lock holder does after re-reading the cache.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Locked {
    /// The cache already holds what the caller needs (another process minted meanwhile).
    UseCached,
    /// Call the mint. `probe` is set when this is the breaker's single half-open probe.
    Mint { probe: bool },
    /// The breaker is open: no mint until it cools down.
    BreakerOpen,
    /// Another process's mint failed while this caller waited for it; report that failure.
    ShareFailure,
    /// Another process minted while this caller waited, and that fresh token still does not
    /// satisfy it (its `--min-ttl` exceeds what the backend gives): fail without minting.
    TooShort,
}

pub fn under_lock(
    now: EpochMs,
    entry: Option<&Entry>,
    breaker: &Breaker,
    policy: &Policy,
    required_ttl: Option<Duration>,
    purpose: Purpose,
) -> Locked {
    let fresh = freshness(now, entry, policy, required_ttl);
    let state = breaker.state(now);
    // `refresh --force` mints whatever the breaker says.
    if purpose == Purpose::Forced {
        return Locked::Mint { probe: false };
    }
    // An open breaker: nobody calls the mint; a caller with a usable token keeps it.
    if state == BreakerState::Open {
        return match purpose {
            Purpose::NeedToken { .. } if fresh != Freshness::Unusable => Locked::UseCached,
            Purpose::Refresh => Locked::UseCached,
            _ => Locked::BreakerOpen,
        };
    }
    let mint = Locked::Mint {
        probe: state == BreakerState::HalfOpen,
    };
    let (waiting_since, seen) = match purpose {
        // `refresh`: mint now.
        Purpose::Explicit | Purpose::Forced => return mint,
        // A background refresh: mint unless another process already did.
        Purpose::Refresh if fresh == Freshness::Fresh => return Locked::UseCached,
        Purpose::Refresh => return mint,
        Purpose::NeedToken {
            waiting_since,
            seen,
        } => (waiting_since, seen),
    };
    // A caller that needs a token: another process may have minted while it waited.
    if fresh != Freshness::Unusable {
        return Locked::UseCached;
    }
    // A newer token than the caller saw, good by the policy's own measure yet not good enough
    // for it: another process minted it for a `--min-ttl` caller while this one waited, and it
    // fell short, so a mint of this caller's own would get no better. (A newer entry minted for
    // another reason, or unusable for another reason, is replaced as usual.)
    let newer = entry.is_some_and(|e| e.issued_at > seen.unwrap_or(EpochMs::MIN));
    if newer
        && entry.is_some_and(|e| fell_short(e, policy))
        && freshness(now, entry, policy, None) != Freshness::Unusable
    {
        return Locked::TooShort;
    }
    if never_long_enough(now, entry, policy, required_ttl) {
        return Locked::TooShort;
    }
    // The mint this caller waited for failed, or was answered by the fleet's `failing` record
    // (not counted, see `record_fleet_failing`): share that rather than repeat it.
    // (A success since clears `retry_at`.)
    let fleet_failing = breaker.retry_at.is_some()
        && breaker
            .last_error
            .as_ref()
            .is_some_and(|e| e.kind == FailureKind::FleetFailing);
    match breaker.last_failure_at {
        Some(failed)
            if failed > waiting_since
                && failed <= now
                && (breaker.consecutive_failures > 0 || fleet_failing) =>
        {
            Locked::ShareFailure
        }
        _ => mint,
    }
}

/// The jitter fraction for a token living `lifetime_ms`: the configured one, widened to cover
/// [`MIN_JITTER_WINDOW`], but never past halfway to the token's refresh deadline (beyond it
/// [`refresh_point`] would pile the fleet up at the halfway mark). A configured 0 stays 0.
pub fn jitter_for(policy: &Policy, lifetime_ms: i64) -> f64 {
    if policy.jitter <= 0.0 || lifetime_ms <= 0 {
        return policy.jitter.max(0.0);
    }
    let lifetime = lifetime_ms as f64;
    let floor = (ms(policy.floor) as f64).min(lifetime / 2.0);
    let deadline = policy.refresh_at.min(1.0 - floor / lifetime);
    let window = ms(MIN_JITTER_WINDOW) as f64 / lifetime;
    policy.jitter.max(window).min(deadline / 2.0)
}

/// The cache entry for a successful mint that started at `started`, with `draw` in `[0, 1)`
/// picking this token's jitter within [`jitter_for`] its lifetime.
pub fn entry_for(minted: Minted, started: EpochMs, draw: f64, policy: &Policy) -> Entry {
    let lifetime = minted.expires_at.ms_since(started);
    let jitter = draw.clamp(0.0, 1.0) * jitter_for(policy, lifetime);
    Entry {
        refresh_at: refresh_point(started, minted.expires_at, jitter, policy),
        token: minted.token,
        issued_at: started,
        expires_at: minted.expires_at,
        jitter,
        expiry_source: minted.expiry_source,
        received_at: None,
        minted_for_min_ttl: None,
    }
}

/// A duration in whole milliseconds, saturating.
pub fn ms(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIN: i64 = 60_000;
    const HOUR: i64 = 60 * MIN;

    /// The instant `ms` milliseconds after the epoch.
    fn at(ms: i64) -> EpochMs {
        EpochMs::from_millis(ms)
    }

    fn entry(issued: i64, expires: i64, policy: &Policy) -> Entry {
        let minted = Minted {
            token: Secret::new("t".into()),
            expires_at: at(expires),
            expiry_source: "test".into(),
        };
        entry_for(minted, at(issued), 0.0, policy)
    }

    #[test]
    fn twelve_hour_token_is_refreshed_at_eighty_percent_minus_jitter() {
        let p = Policy::default();
        assert_eq!(
            refresh_point(at(0), at(12 * HOUR), 0.0, &p),
            at((9.6 * HOUR as f64) as i64)
        );
        assert_eq!(
            refresh_point(at(0), at(12 * HOUR), 0.05, &p),
            at((9.0 * HOUR as f64) as i64)
        );
    }

    #[test]
    fn floor_wins_when_it_comes_earlier_than_the_fraction() {
        let p = Policy {
            floor: Duration::from_secs(3 * 3600),
            ..Policy::default()
        };
        assert_eq!(refresh_point(at(0), at(12 * HOUR), 0.0, &p), at(9 * HOUR));
    }

    #[test]
    fn short_token_clamps_floor_so_it_is_not_due_when_minted() {
        let p = Policy::default(); // floor 5 min
        let e = entry(0, 2 * MIN, &p);
        assert_eq!(e.refresh_at, at(MIN));
        let e = entry(0, 15 * MIN, &p);
        assert_eq!(e.refresh_at, at(10 * MIN));
        // With jitter, the floor-decided point spreads too.
        assert_eq!(
            refresh_point(at(0), at(15 * MIN), 0.05, &p),
            at(10 * MIN - 45_000)
        );
        assert_eq!(freshness(at(1), Some(&e), &p, None), Freshness::Fresh);
    }

    #[test]
    fn short_token_clamps_min_ttl_so_it_stays_usable_through_refresh_window() {
        let p = Policy::default(); // min_ttl 30 s
        let e = entry(0, 20_000, &p); // 20 s token: refresh at 10 s
        assert_eq!(effective_min_ttl(&e, &p), 5_000);
        assert_eq!(freshness(at(9_999), Some(&e), &p, None), Freshness::Fresh);
        assert_eq!(freshness(at(10_000), Some(&e), &p, None), Freshness::Due);
        assert_eq!(freshness(at(14_999), Some(&e), &p, None), Freshness::Due);
        assert_eq!(
            freshness(at(15_000), Some(&e), &p, None),
            Freshness::Unusable
        );
    }

    #[test]
    fn entry_issued_beyond_the_skew_tolerance_is_distrusted() {
        let p = Policy::default();
        let e = entry(HOUR, 2 * HOUR, &p);
        let tolerance = ms(CLOCK_SKEW_TOLERANCE);
        assert_eq!(
            freshness(at(HOUR - tolerance), Some(&e), &p, None),
            Freshness::Fresh
        );
        assert_eq!(
            freshness(at(HOUR - tolerance - 1), Some(&e), &p, None),
            Freshness::Unusable
        );
    }

    #[test]
    fn breaker_opened_in_the_future_is_half_open() {
        let p = Policy::default();
        let mut b = Breaker::default();
        for _ in 0..3 {
            b.record_failure(at(HOUR), &MintError::transient("x"), None, &p, 1.0);
        }
        assert_eq!(b.state(at(HOUR + 1)), BreakerState::Open);
        assert_eq!(
            b.state(at(HOUR - 1)),
            BreakerState::HalfOpen,
            "the clock went back"
        );
    }

    #[test]
    fn caller_min_ttl_is_not_clamped() {
        let p = Policy::default();
        let e = entry(0, HOUR, &p);
        let want = Some(Duration::from_secs(50 * 60));
        assert_eq!(
            freshness(at(10 * MIN - 1), Some(&e), &p, want),
            Freshness::Fresh
        );
        assert_eq!(
            freshness(at(10 * MIN), Some(&e), &p, want),
            Freshness::Unusable
        );
    }

    #[test]
    fn entry_expiring_before_issue_is_never_usable() {
        let p = Policy::default();
        let mut e = entry(0, HOUR, &p);
        e.expires_at = at(-1);
        assert_eq!(
            freshness(at(-HOUR), Some(&e), &p, None),
            Freshness::Unusable
        );
    }

    #[test]
    fn plan_serves_fresh_refreshes_due_and_mints_unusable() {
        let p = Policy::default();
        let b = Breaker::default();
        let e = entry(0, HOUR, &p);
        assert_eq!(plan(at(0), Some(&e), &b, &p, None), Plan::Serve);
        assert_eq!(
            plan(at(50 * MIN), Some(&e), &b, &p, None),
            Plan::ServeAndRefresh
        );
        assert_eq!(plan(at(HOUR), Some(&e), &b, &p, None), Plan::Mint);
        assert_eq!(plan(at(0), None, &b, &p, None), Plan::Mint);
    }

    #[test]
    fn due_token_is_served_without_refresh_while_breaker_is_open() {
        let p = Policy::default();
        let e = entry(0, HOUR, &p);
        let b = Breaker {
            open_until: Some(at(55 * MIN)),
            consecutive_failures: 3,
            ..Breaker::default()
        };
        assert_eq!(plan(at(50 * MIN), Some(&e), &b, &p, None), Plan::Serve);
        assert_eq!(
            plan(at(55 * MIN), Some(&e), &b, &p, None),
            Plan::ServeAndRefresh
        );
    }

    #[test]
    fn breaker_opens_at_threshold_and_cooldown_doubles_per_failed_probe() {
        let p = Policy {
            breaker_cooldown: Duration::from_secs(60),
            ..Policy::default()
        };
        let mut b = Breaker::default();
        b.record_failure(at(0), &MintError::transient("e1"), None, &p, 0.0);
        b.record_failure(at(0), &MintError::transient("e2"), None, &p, 0.0);
        assert_eq!(b.state(at(0)), BreakerState::Closed);
        b.record_failure(at(0), &MintError::transient("e3"), None, &p, 0.0);
        assert_eq!(b.state(at(0)), BreakerState::Open);
        assert_eq!(b.open_until, Some(at(MIN)));
        assert_eq!(b.state(at(MIN)), BreakerState::HalfOpen);
        b.record_failure(at(MIN), &MintError::transient("probe"), None, &p, 0.0);
        assert_eq!(b.open_until, Some(at(3 * MIN)));
        assert_eq!(
            b.last_error.as_ref().map(|e| e.message.as_str()),
            Some("probe")
        );
        b.record_success();
        assert_eq!(b.state(at(3 * MIN)), BreakerState::Closed);
        assert_eq!(b.consecutive_failures, 0);
    }

    #[test]
    fn cooldown_growth_is_capped() {
        let p = Policy::default();
        assert_eq!(cooldown(&p, 30), MAX_BREAKER_COOLDOWN);
        let long = Policy {
            breaker_cooldown: Duration::from_secs(7200),
            ..p
        };
        assert_eq!(cooldown(&long, 3), Duration::from_secs(7200));
    }

    #[test]
    fn lock_holder_uses_token_another_process_just_minted() {
        let p = Policy::default();
        let e = entry(0, HOUR, &p);
        let purpose = Purpose::NeedToken {
            waiting_since: at(0),
            seen: None,
        };
        let b = Breaker::default();
        assert_eq!(
            under_lock(at(1), Some(&e), &b, &p, None, purpose),
            Locked::UseCached
        );
        assert_eq!(
            under_lock(at(1), None, &b, &p, None, purpose),
            Locked::Mint { probe: false }
        );
    }

    #[test]
    fn lock_holder_shares_a_failure_that_happened_while_it_waited() {
        let p = Policy::default();
        let mut b = Breaker::default();
        b.record_failure(at(10), &MintError::transient("boom"), None, &p, 1.0);
        let waited_before = Purpose::NeedToken {
            waiting_since: at(5),
            seen: None,
        };
        let arrived_after = Purpose::NeedToken {
            waiting_since: at(11),
            seen: None,
        };
        assert_eq!(
            under_lock(at(12), None, &b, &p, None, waited_before),
            Locked::ShareFailure
        );
        assert_eq!(
            under_lock(at(12), None, &b, &p, None, arrived_after),
            Locked::Mint { probe: false }
        );
    }

    #[test]
    fn lock_holder_shares_the_fleets_failing_answer_that_came_while_it_waited() {
        let p = Policy::default();
        let mut b = Breaker::default();
        let answer = MintError::fleet_failing("the fleet's token API is failing until …");
        b.record_fleet_failing(at(10), &answer, None, &p, 1.0);
        assert_eq!(b.consecutive_failures, 0);
        let need = |since| Purpose::NeedToken {
            waiting_since: at(since),
            seen: None,
        };
        assert_eq!(
            under_lock(at(12), None, &b, &p, None, need(5)),
            Locked::ShareFailure
        );
        assert_eq!(
            under_lock(at(12), None, &b, &p, None, need(11)),
            Locked::Mint { probe: false }
        );
        // A success since (the breaker closed): not shared.
        b.record_success();
        assert_eq!(
            under_lock(at(12), None, &b, &p, None, need(5)),
            Locked::Mint { probe: false }
        );
    }

    #[test]
    fn open_breaker_blocks_every_mint_but_forced() {
        let p = Policy::default();
        let b = Breaker {
            open_until: Some(at(HOUR)),
            consecutive_failures: 3,
            ..Breaker::default()
        };
        let need = Purpose::NeedToken {
            waiting_since: at(0),
            seen: None,
        };
        assert_eq!(
            under_lock(at(0), None, &b, &p, None, need),
            Locked::BreakerOpen
        );
        assert_eq!(
            under_lock(at(0), None, &b, &p, None, Purpose::Explicit),
            Locked::BreakerOpen
        );
        assert_eq!(
            under_lock(at(0), None, &b, &p, None, Purpose::Refresh),
            Locked::UseCached
        );
        assert_eq!(
            under_lock(at(0), None, &b, &p, None, Purpose::Forced),
            Locked::Mint { probe: false }
        );
    }

    #[test]
    fn half_open_breaker_lets_the_lock_holder_probe() {
        let p = Policy::default();
        let b = Breaker {
            open_until: Some(at(HOUR)),
            consecutive_failures: 3,
            ..Breaker::default()
        };
        let need = Purpose::NeedToken {
            waiting_since: at(HOUR),
            seen: None,
        };
        assert_eq!(
            under_lock(at(HOUR), None, &b, &p, None, need),
            Locked::Mint { probe: true }
        );
    }

    #[test]
    fn background_refresh_skips_when_a_fresh_token_landed() {
        let p = Policy::default();
        let e = entry(0, HOUR, &p);
        let b = Breaker::default();
        assert_eq!(
            under_lock(at(1), Some(&e), &b, &p, None, Purpose::Refresh),
            Locked::UseCached
        );
        assert_eq!(
            under_lock(at(50 * MIN), Some(&e), &b, &p, None, Purpose::Refresh),
            Locked::Mint { probe: false }
        );
    }

    #[test]
    fn the_jitter_of_a_short_lived_token_covers_at_least_ten_minutes() {
        let p = Policy::default();
        let minted = |lifetime| Minted {
            token: Secret::new("t".into()),
            expires_at: at(lifetime),
            expiry_source: "x".into(),
        };
        // 12 h: the configured 5% (36 min) is wider than 10 minutes.
        assert_eq!(jitter_for(&p, 12 * HOUR), p.jitter);
        // 1 h: widened to 10 minutes; the draw picks within it.
        assert!((jitter_for(&p, HOUR) - 10.0 / 60.0).abs() < 1e-9);
        assert!((entry_for(minted(HOUR), at(0), 0.5, &p).jitter - 5.0 / 60.0).abs() < 1e-9);
        // 5 min: at most half the way to the deadline (2.5 min: the floor clamped to half).
        assert_eq!(jitter_for(&p, 5 * MIN), 0.25);
        // A configured 0 means none.
        let none = Policy { jitter: 0.0, ..p };
        assert_eq!(entry_for(minted(HOUR), at(0), 0.9, &none).jitter, 0.0);
    }

    #[test]
    fn a_failed_refresh_of_a_valid_token_is_not_retried_before_its_retry_time() {
        let p = Policy::default();
        let e = Entry {
            token: Secret::new("t".into()),
            issued_at: at(0),
            refresh_at: at(48 * MIN),
            expires_at: at(HOUR),
            expiry_source: "test".into(),
            jitter: 0.0,
            received_at: None,
            minted_for_min_ttl: None,
        };
        let mut b = Breaker::default();
        let failed_at = 50 * MIN;
        b.record_failure(
            at(failed_at),
            &MintError::transient("down"),
            Some(&e),
            &p,
            0.0,
        );
        assert_eq!(b.state(at(failed_at)), BreakerState::Closed);
        // Due, still valid: served without a refresh until the retry time (here the cooldown,
        // 9.5 min being left).
        assert_eq!(
            plan(at(failed_at + MIN), Some(&e), &b, &p, None),
            Plan::Serve
        );
        let retry = failed_at + jittered_cooldown(p.breaker_cooldown, 0.0);
        assert_eq!(plan(at(retry - 1), Some(&e), &b, &p, None), Plan::Serve);
        assert_eq!(
            plan(at(retry), Some(&e), &b, &p, None),
            Plan::ServeAndRefresh
        );
        // An unusable token is minted for at once: the wait is for refreshes only.
        assert_eq!(plan(at(HOUR), Some(&e), &b, &p, None), Plan::Mint);
        // A wait further ahead than any it could have been given (the clock went back): none.
        assert!(b.retry_waits(at(failed_at), &p));
        assert!(!b.retry_waits(at(failed_at - HOUR), &p));
        // Success clears it.
        b.record_success();
        assert_eq!(
            plan(at(failed_at + MIN), Some(&e), &b, &p, None),
            Plan::ServeAndRefresh
        );
    }

    #[test]
    fn a_failed_refresh_is_retried_at_a_random_point_before_the_token_becomes_unusable() {
        let p = Policy::default();
        let e = entry(0, HOUR, &p);
        let unusable_at = HOUR - effective_min_ttl(&e, &p);
        // Far from expiry (39.5 min left): the jittered cooldown, unless the random point of the
        // time left falls within it (a draw above ~0.82 here).
        assert_eq!(retry_wait(at(20 * MIN), Some(&e), &p, 0.0), 5 * MIN);
        assert_eq!(retry_wait(at(20 * MIN), Some(&e), &p, 0.5), 375_000);
        assert_eq!(retry_wait(at(20 * MIN), Some(&e), &p, 0.8), 420_000);
        assert!(retry_wait(at(20 * MIN), Some(&e), &p, 0.9) < 4 * MIN);
        // Less than a cooldown left: a random point of it, always before the token becomes
        // unusable, spread over all of it as the draw goes from 1 to 0.
        let failed_at = 57 * MIN;
        let retries: Vec<i64> = (0..10)
            .map(|i| failed_at + retry_wait(at(failed_at), Some(&e), &p, f64::from(i) / 10.0))
            .collect();
        assert!(retries.iter().all(|&r| failed_at <= r && r < unusable_at));
        assert_eq!(retries[0], unusable_at - 1);
        assert!(retries[9] - failed_at < (unusable_at - failed_at) / 5);
        assert!(retries.windows(2).all(|w| w[0] > w[1]), "{retries:?}");
        // The breaker keeps it: a due token is served without a refresh until then, and is
        // refreshed in the background (not by a caller that waits) from then on.
        let mut b = Breaker::default();
        b.record_failure(
            at(failed_at),
            &MintError::transient("down"),
            Some(&e),
            &p,
            0.5,
        );
        assert_eq!(b.retry_at, Some(at(retries[5])));
        assert_eq!(
            plan(at(retries[5] - 1), Some(&e), &b, &p, None),
            Plan::Serve
        );
        assert_eq!(
            plan(at(retries[5]), Some(&e), &b, &p, None),
            Plan::ServeAndRefresh
        );
        // No usable token (none, or already expired): the cooldown.
        assert_eq!(retry_wait(at(failed_at), None, &p, 0.5), 375_000);
        assert_eq!(retry_wait(at(HOUR), Some(&e), &p, 0.5), 375_000);
    }

    #[test]
    fn an_open_breaker_waits_its_cooldown_and_a_random_part_more() {
        let c = Duration::from_secs(300);
        assert_eq!(jittered_cooldown(c, 0.0), 300_000);
        assert_eq!(jittered_cooldown(c, 0.5), 375_000);
        assert_eq!(jittered_cooldown(c, 1.0), 450_000);
        let p = Policy::default();
        let mut b = Breaker::default();
        for _ in 0..3 {
            b.record_failure(at(0), &MintError::transient("x"), None, &p, 0.25);
        }
        assert_eq!(
            b.open_until,
            Some(at(jittered_cooldown(p.breaker_cooldown, 0.25)))
        );
    }
}
