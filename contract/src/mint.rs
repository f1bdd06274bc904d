//! The mint contract: what a backend returns when it obtains a new token ([`Minted`]), how it
//! fails ([`MintError`], whose [`FailureKind`] decides the exit code when no usable token is
//! left), and the one time type the policy compares ([`EpochMs`]). Backends implement [`Mint`];
//! the policy and the breaker only use these types.

use std::fmt;
use std::time::Duration;

use crate::secret::Secret;

/// Milliseconds in a second.
const MS_PER_SEC: i64 = 1000;

/// An instant, in milliseconds since the Unix epoch: the one time type the policy compares.
/// It is stored (cache file, helper wire) as that plain integer, and its arithmetic saturates,
/// since an instant read from a file edited by hand may be anywhere in `i64`. There is no
/// `now()`: the clock is the caller's, injected into the policy.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(transparent)]
pub struct EpochMs(i64);

impl EpochMs {
    /// The earliest instant: before anything.
    pub const MIN: EpochMs = EpochMs(i64::MIN);

    pub const fn from_millis(ms: i64) -> Self {
        EpochMs(ms)
    }

    /// The instant `secs` whole seconds after the epoch, saturating.
    pub const fn from_secs(secs: i64) -> Self {
        EpochMs(secs.saturating_mul(MS_PER_SEC))
    }

    /// The instant `secs` seconds (fractional, as a backend may print them) after the epoch,
    /// in whole milliseconds; saturating, like every conversion of `as`.
    pub fn from_secs_f64(secs: f64) -> Self {
        EpochMs((secs * MS_PER_SEC as f64) as i64)
    }

    pub const fn as_millis(self) -> i64 {
        self.0
    }

    /// Whole seconds since the epoch, rounded down (also before the epoch).
    pub const fn as_secs(self) -> i64 {
        self.0.div_euclid(MS_PER_SEC)
    }

    pub const fn saturating_add_ms(self, ms: i64) -> Self {
        EpochMs(self.0.saturating_add(ms))
    }

    pub const fn saturating_sub_ms(self, ms: i64) -> Self {
        EpochMs(self.0.saturating_sub(ms))
    }

    /// `d` later, in whole milliseconds, saturating.
    pub fn saturating_add(self, d: Duration) -> Self {
        self.saturating_add_ms(i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
    }

    /// `secs` seconds (fractional, as a backend's `expires_in`) later, in whole milliseconds,
    /// saturating.
    pub fn saturating_add_secs_f64(self, secs: f64) -> Self {
        self.saturating_add_ms(EpochMs::from_secs_f64(secs).0)
    }

    /// The time from `earlier` to `self`, zero if `earlier` is later (as
    /// [`std::time::Instant::saturating_duration_since`]).
    pub fn saturating_duration_since(self, earlier: EpochMs) -> Duration {
        Duration::from_millis(u64::try_from(self.ms_since(earlier)).unwrap_or(0))
    }

    /// Milliseconds from `earlier` to `self` (negative if `earlier` is later), saturating.
    pub const fn ms_since(self, earlier: EpochMs) -> i64 {
        self.0.saturating_sub(earlier.0)
    }
}

/// RFC 3339 in UTC, in whole seconds (`2027-01-15T08:00:00Z`); an instant outside what a date
/// can show is shown as `@<ms>ms`.
impl fmt::Display for EpochMs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match jiff::Timestamp::from_second(self.as_secs()) {
            Ok(t) => write!(f, "{t}"),
            Err(_) => write!(f, "@{}ms", self.0),
        }
    }
}

/// What a backend returns: the secret and when it stops working.
#[derive(Debug, Clone, PartialEq)]
pub struct Minted {
    pub token: Secret,
    pub expires_at: EpochMs,
    /// Where the expiry came from (`expires_at`, `expires_in`, `jwt`, ...), shown in `status`.
    pub expiry_source: String,
}

/// Why a mint failed, which decides the exit code when no usable token is left.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FailureKind {
    /// Timeouts, crashes, a network this host cannot reach, a garbled answer: retrying later
    /// may work. Possibly this host's alone.
    Transient,
    /// The token API itself answered that it is failing (throttling, HTTP 429, 408 or 5xx):
    /// transient, and the same for every host that asks it, so a fleet shares it (its
    /// `failing` record, docs/fleet.md). Only this kind is shared: a timeout or an unreachable
    /// network may be one host's own trouble.
    Unavailable,
    /// The backend said the caller is not authorised.
    Rejected,
    /// The target's settings are wrong, e.g. the command does not exist.
    Misconfigured,
    /// The fleet's shared breaker (its `failing` record, docs/fleet.md): another host's mint
    /// failed and the fleet does not call the API until the record's time. Transient for the
    /// caller (exit 75), but not this host's own failure: its breaker does not count it.
    FleetFailing,
}

/// A failed mint. The message never contains a token or a secret: backends build it from their
/// own words, never by echoing what the mint printed on stdout.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct MintError {
    pub kind: FailureKind,
    pub message: String,
}

impl MintError {
    pub fn transient(message: impl Into<String>) -> Self {
        MintError {
            kind: FailureKind::Transient,
            message: message.into(),
        }
    }
    /// The token API answered that it is failing ([`FailureKind::Unavailable`]).
    pub fn unavailable(message: impl Into<String>) -> Self {
        MintError {
            kind: FailureKind::Unavailable,
            message: message.into(),
        }
    }
    pub fn rejected(message: impl Into<String>) -> Self {
        MintError {
            kind: FailureKind::Rejected,
            message: message.into(),
        }
    }
    pub fn misconfigured(message: impl Into<String>) -> Self {
        MintError {
            kind: FailureKind::Misconfigured,
            message: message.into(),
        }
    }
    /// The fleet's `failing` record answered for this mint ([`FailureKind::FleetFailing`]).
    pub fn fleet_failing(message: impl Into<String>) -> Self {
        MintError {
            kind: FailureKind::FleetFailing,
            message: message.into(),
        }
    }
    /// Whether this host's own mint failed (its breaker counts it), not the fleet's record.
    pub fn is_own(&self) -> bool {
        self.kind != FailureKind::FleetFailing
    }
}

impl fmt::Display for MintError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

/// A failed mint has no cause to chain: its message already says, in the backend's words, what
/// happened (a cause could carry what the mint printed, and so a token).
impl std::error::Error for MintError {}

/// Why a token is being minted, for a mint that may answer with a token it did not mint itself
/// (the fleet tier's shared token): a backend that always mints ignores it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Ask {
    /// A new token was asked for (`ecluse-cred refresh`, `--force`): one already shared will
    /// not do.
    pub fresh: bool,
    /// The least lifetime the caller needs (its `--min-ttl`), if more than the target's own.
    pub min_ttl: Option<Duration>,
}

/// Obtains a new token. `started` is when the mint began (epoch ms), for backends whose expiry
/// is relative (`expires_in`).
pub trait Mint {
    fn mint(&self, started: EpochMs) -> Result<Minted, MintError>;

    /// A token for `ask`: a backend's own mint, unless the mint can tell a shared token from a
    /// new one.
    fn mint_for(&self, started: EpochMs, ask: Ask) -> Result<Minted, MintError> {
        let _ = ask;
        self.mint(started)
    }
}

impl<T: Mint + ?Sized> Mint for Box<T> {
    fn mint(&self, started: EpochMs) -> Result<Minted, MintError> {
        (**self).mint(started)
    }

    fn mint_for(&self, started: EpochMs, ask: Ask) -> Result<Minted, MintError> {
        (**self).mint_for(started, ask)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_instant_is_stored_as_its_plain_millisecond_count() {
        let at = EpochMs::from_millis(1_800_000_000_123);
        assert_eq!(serde_json::to_string(&at).unwrap(), "1800000000123");
        assert_eq!(
            serde_json::from_str::<EpochMs>("-5").unwrap(),
            EpochMs::from_millis(-5)
        );
        assert!(serde_json::from_str::<EpochMs>("\"1800000000123\"").is_err());
    }

    #[test]
    fn whole_seconds_round_down_also_before_the_epoch() {
        assert_eq!(EpochMs::from_millis(1_999).as_secs(), 1);
        assert_eq!(EpochMs::from_millis(-1).as_secs(), -1);
        assert_eq!(EpochMs::from_millis(-1_000).as_secs(), -1);
        assert_eq!(EpochMs::from_secs(7), EpochMs::from_millis(7_000));
        assert_eq!(EpochMs::from_secs(i64::MAX), EpochMs::from_millis(i64::MAX));
    }

    #[test]
    fn instant_arithmetic_saturates_instead_of_overflowing() {
        let max = EpochMs::from_millis(i64::MAX);
        assert_eq!(max.saturating_add_ms(1), max);
        assert_eq!(max.saturating_add(Duration::MAX), max);
        assert_eq!(EpochMs::MIN.saturating_sub_ms(1), EpochMs::MIN);
        assert_eq!(max.ms_since(EpochMs::MIN), i64::MAX);
        assert_eq!(EpochMs::MIN.ms_since(max), i64::MIN);
        let at = EpochMs::from_millis(1_000);
        assert_eq!(
            at.saturating_add(Duration::from_millis(1_500)).as_millis(),
            2_500
        );
        assert_eq!(at.saturating_sub_ms(3_000).ms_since(at), -3_000);
        assert_eq!(
            at.saturating_duration_since(EpochMs::from_millis(250)),
            Duration::from_millis(750)
        );
        assert_eq!(at.saturating_duration_since(max), Duration::ZERO);
    }

    #[test]
    fn fractional_seconds_become_whole_milliseconds_saturating() {
        assert_eq!(EpochMs::from_secs_f64(10.5), EpochMs::from_millis(10_500));
        assert_eq!(
            EpochMs::from_secs_f64(1e300),
            EpochMs::from_millis(i64::MAX)
        );
        let at = EpochMs::from_millis(5_000);
        assert_eq!(
            at.saturating_add_secs_f64(3600.0),
            EpochMs::from_millis(3_605_000)
        );
        assert_eq!(
            at.saturating_add_secs_f64(1e300),
            EpochMs::from_millis(i64::MAX)
        );
    }

    #[test]
    fn an_instant_shows_as_rfc3339_in_whole_utc_seconds() {
        assert_eq!(
            EpochMs::from_millis(1_800_000_000_999).to_string(),
            "2027-01-15T08:00:00Z"
        );
        assert_eq!(EpochMs::from_millis(-1).to_string(), "1969-12-31T23:59:59Z");
        assert_eq!(
            EpochMs::from_millis(i64::MAX).to_string(),
            format!("@{}ms", i64::MAX)
        );
        assert_eq!(EpochMs::MIN.to_string(), format!("@{}ms", i64::MIN));
    }

    #[test]
    fn a_mint_error_is_a_std_error_showing_its_message_alone() {
        let e: Box<dyn std::error::Error + Send + Sync> =
            Box::new(MintError::rejected("the backend said 403"));
        assert_eq!(e.to_string(), "the backend said 403");
        assert!(e.source().is_none());
        let back = e.downcast::<MintError>().expect("a MintError");
        assert_eq!(back.kind, FailureKind::Rejected);
    }
}
