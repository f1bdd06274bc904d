//! Runs the policy for one target: reads the cache, asks [`crate::policy`] what to do, takes the
//! lock, calls the mint, records the outcome. The clock, the mint, the cache and the way a
//! background refresh is started are injected, so this is tested in-process with fakes.

use std::time::{Duration, Instant};

use crate::error::{Error, Result};
use crate::event;
use crate::log::Level;
use crate::mint::{Ask, Mint, MintError};
use crate::policy::{self, Entry, EpochMs, Freshness, Locked, Plan, Policy, Purpose};

pub use crate::cache::State;

pub trait Clock {
    fn now(&self) -> EpochMs;
}

/// The system clock.
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> EpochMs {
        EpochMs::from_millis(jiff::Timestamp::now().as_millisecond())
    }
}

/// Where a target's state lives and how its lock is taken.
pub trait Store {
    type Lock;
    fn load(&self) -> Result<State>;
    fn save(&self, lock: &Self::Lock, state: &State) -> Result<()>;
    fn try_lock(&self) -> Result<Option<Self::Lock>>;
    fn lock(&self, timeout: Duration) -> Result<Option<Self::Lock>>;
}

impl Store for crate::cache::FileStore {
    type Lock = crate::cache::Lock;
    fn load(&self) -> Result<State> {
        crate::cache::FileStore::load(self)
    }
    fn save(&self, lock: &Self::Lock, state: &State) -> Result<()> {
        crate::cache::FileStore::save(self, lock, state)
    }
    fn try_lock(&self) -> Result<Option<Self::Lock>> {
        crate::cache::FileStore::try_lock(self)
    }
    fn lock(&self, timeout: Duration) -> Result<Option<Self::Lock>> {
        crate::cache::FileStore::lock(self, timeout)
    }
}

/// How a token that is usable but due gets refreshed.
pub enum Refresh<'a, L> {
    /// Hand the (already taken) lock to a detached process that refreshes; the caller is served
    /// at once.
    Background(&'a dyn Fn(L) -> Result<()>),
    /// Refresh in this process if nobody else is, and serve the new token.
    Inline,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Cache,
    Mint,
}

impl Source {
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Cache => "cache",
            Source::Mint => "mint",
        }
    }
}

#[derive(Debug)]
pub struct Served {
    pub entry: Entry,
    pub source: Source,
}

pub struct Engine<'a, S, M, C> {
    pub target: &'a str,
    pub policy: &'a Policy,
    pub store: S,
    pub mint: M,
    pub clock: C,
    /// Draws a number in [0, 1): per mint for its refresh jitter, per failure for the breaker's
    /// cooldown.
    pub random: fn() -> f64,
}

/// Which token turned out too short for a caller's `--min-ttl`.
#[derive(Clone, Copy)]
enum TooShortBecause {
    /// The one this caller just minted.
    Minted,
    /// One already cached (by this or another process, recently): no mint was made.
    Cached,
}

/// What happened under the lock.
enum Outcome {
    Cached(Option<Entry>),
    /// A new token, and why it could not be saved (the cache then still holds the old one).
    Minted(Entry, Option<Error>),
    Failed(MintError),
    /// A fresh token is cached that does not satisfy the caller; no mint was made.
    TooShort(Entry),
}

impl<S: Store, M: Mint, C: Clock> Engine<'_, S, M, C> {
    /// `ecluse-cred token`: a token valid for at least `required_ttl` (and the policy's
    /// `min_ttl`), from the cache whenever it is usable.
    pub fn token(
        &self,
        required_ttl: Option<Duration>,
        refresh: Refresh<'_, S::Lock>,
    ) -> Result<Served> {
        let now = self.clock.now();
        let state = self.store.load()?;
        match policy::plan(
            now,
            state.entry.as_ref(),
            &state.breaker,
            self.policy,
            required_ttl,
        ) {
            Plan::Serve => {
                let entry = state.entry.expect("plan serves only a cached entry");
                event!(
                    Level::Info,
                    "cache_hit",
                    Some(self.target),
                    "cache hit; token expires {}",
                    entry.expires_at
                );
                Ok(Served {
                    entry,
                    source: Source::Cache,
                })
            }
            Plan::ServeAndRefresh => {
                let entry = state.entry.expect("plan refreshes only a cached entry");
                event!(
                    Level::Info,
                    "cache_hit",
                    Some(self.target),
                    "cache hit; token due for refresh since {}",
                    entry.refresh_at
                );
                Ok(self.refresh_due(entry, required_ttl, refresh))
            }
            Plan::Mint => {
                event!(
                    Level::Info,
                    "cache_miss",
                    Some(self.target),
                    "no usable cached token; minting"
                );
                let seen = state.entry.as_ref().map(|e| e.issued_at);
                self.mint_for_caller(now, seen, required_ttl)
            }
            Plan::TooShort => {
                let entry = state.entry.expect("plan refuses only over a cached entry");
                Err(self.too_short(&entry, now, required_ttl, TooShortBecause::Cached))
            }
        }
    }

    /// The token is usable but due: serve it, and refresh it without failing the caller.
    fn refresh_due(
        &self,
        entry: Entry,
        required_ttl: Option<Duration>,
        refresh: Refresh<'_, S::Lock>,
    ) -> Served {
        let cached = Served {
            entry,
            source: Source::Cache,
        };
        let lock = match self.store.try_lock() {
            Ok(Some(lock)) => lock,
            Ok(None) => {
                event!(
                    Level::Info,
                    "refresh_in_flight",
                    Some(self.target),
                    "a refresh is already in flight; serving the cached token"
                );
                return cached;
            }
            Err(e) => {
                event!(
                    Level::Warn,
                    "refresh_skipped",
                    Some(self.target),
                    "cannot refresh: {}; serving the cached token",
                    e.chain()
                );
                return cached;
            }
        };
        match refresh {
            Refresh::Background(spawn) => {
                match spawn(lock) {
                    Ok(()) => event!(
                        Level::Info,
                        "refresh_started",
                        Some(self.target),
                        "refresh started in the background"
                    ),
                    Err(e) => event!(
                        Level::Warn,
                        "refresh_skipped",
                        Some(self.target),
                        "cannot start a background refresh: {}; serving the cached token",
                        e.chain()
                    ),
                }
                cached
            }
            Refresh::Inline => {
                event!(
                    Level::Info,
                    "refresh_started",
                    Some(self.target),
                    "refreshing inline"
                );
                match self.under_lock(&lock, Purpose::Refresh, required_ttl) {
                    Ok(Outcome::Minted(entry, _)) => Served {
                        entry,
                        source: Source::Mint,
                    },
                    Ok(Outcome::Failed(e)) => {
                        self.warn_stale(&cached.entry, &e);
                        cached
                    }
                    Ok(Outcome::Cached(Some(entry))) => Served {
                        entry,
                        source: Source::Cache,
                    },
                    Ok(Outcome::Cached(None) | Outcome::TooShort(_)) => cached,
                    Err(e) => {
                        event!(
                            Level::Warn,
                            "refresh_skipped",
                            Some(self.target),
                            "refresh failed: {}; serving the cached token",
                            e.chain()
                        );
                        cached
                    }
                }
            }
        }
    }

    /// Run by the detached process that was handed the lock: refresh if still needed.
    pub fn refresh_in_background(&self, lock: S::Lock) -> Result<()> {
        match self.under_lock(&lock, Purpose::Refresh, None)? {
            Outcome::Failed(e) => Err(Error::mint_failed(self.target, e)),
            Outcome::Minted(_, Some(unsaved)) => Err(self.not_saved(unsaved)),
            _ => Ok(()),
        }
    }

    /// A new token was minted but the cache still holds the old one (exit 74): the next caller
    /// would not see it.
    fn not_saved(&self, e: Error) -> Error {
        Error::new(
            crate::error::Code::IoErr,
            format!(
                "target `{}`: minted a new token but could not save it, so the cache still holds the old one",
                self.target
            ),
        )
        .with_source(e)
    }

    /// No usable token: wait for the lock, then mint unless someone else just did.
    fn mint_for_caller(
        &self,
        waiting_since: EpochMs,
        seen: Option<EpochMs>,
        required_ttl: Option<Duration>,
    ) -> Result<Served> {
        // The caller waits from here until a token is minted (here or by the lock's holder).
        let _notice = crate::log::slow_notice(self.target);
        let lock = self.wait_for_lock()?;
        let purpose = Purpose::NeedToken {
            waiting_since,
            seen,
        };
        match self.under_lock(&lock, purpose, required_ttl)? {
            Outcome::Cached(Some(entry)) => {
                event!(
                    Level::Info,
                    "cache_hit",
                    Some(self.target),
                    "another process minted while this one waited"
                );
                Ok(Served {
                    entry,
                    source: Source::Cache,
                })
            }
            Outcome::Cached(None) => {
                unreachable!("a caller without a token is never told to use the cache")
            }
            Outcome::Minted(entry, _) => {
                let now = self.clock.now();
                if policy::freshness(now, Some(&entry), self.policy, required_ttl)
                    == Freshness::Unusable
                {
                    return Err(self.too_short(&entry, now, required_ttl, TooShortBecause::Minted));
                }
                Ok(Served {
                    entry,
                    source: Source::Mint,
                })
            }
            Outcome::TooShort(entry) => Err(self.too_short(
                &entry,
                self.clock.now(),
                required_ttl,
                TooShortBecause::Cached,
            )),
            Outcome::Failed(e) => Err(Error::mint_failed(self.target, e)),
        }
    }

    /// A recent token that is still not valid for as long as the caller needs (exit 75).
    fn too_short(
        &self,
        entry: &Entry,
        now: EpochMs,
        required_ttl: Option<Duration>,
        because: TooShortBecause,
    ) -> Error {
        let valid_for = humantime::format_duration(whole_seconds(
            entry.expires_at.saturating_duration_since(now),
        ));
        let lifetime = whole_seconds(entry.expires_at.saturating_duration_since(entry.issued_at));
        let asked = required_ttl.map_or(String::new(), |d| {
            format!(
                ", less than the {} asked for with --min-ttl (the backend's tokens live {})",
                humantime::format_duration(d),
                humantime::format_duration(lifetime)
            )
        });
        let what = match because {
            TooShortBecause::Minted => {
                format!("a freshly minted token is valid for only {valid_for}")
            }
            TooShortBecause::Cached => format!(
                "the token minted at {} is valid for only {valid_for}",
                entry.issued_at
            ),
        };
        let retry = match because {
            TooShortBecause::Minted => String::new(),
            TooShortBecause::Cached => format!(
                "; no new mint for that until {} (`ecluse-cred refresh --target {}` mints now)",
                policy::too_short_until(entry, self.policy),
                self.target
            ),
        };
        Error::temp(format!("target `{}`: {what}{asked}{retry}", self.target))
    }

    /// `ecluse-cred refresh [--force]`: mint now under the lock.
    pub fn refresh(&self, force: bool) -> Result<Entry> {
        let lock = self.wait_for_lock()?;
        let purpose = if force {
            Purpose::Forced
        } else {
            Purpose::Explicit
        };
        match self.under_lock(&lock, purpose, None)? {
            Outcome::Minted(_, Some(unsaved)) => Err(self.not_saved(unsaved)),
            Outcome::Minted(entry, None) => Ok(entry),
            Outcome::Failed(e) => Err(Error::mint_failed(self.target, e)),
            Outcome::Cached(_) | Outcome::TooShort(_) => {
                unreachable!("an explicit refresh always mints or fails")
            }
        }
    }

    fn wait_for_lock(&self) -> Result<S::Lock> {
        let started = Instant::now();
        let lock = self.store.lock(self.policy.lock_timeout)?.ok_or_else(|| {
            Error::temp(format!(
                "target `{}`: timed out after {} waiting for another process's mint (lock_timeout)",
                self.target,
                humantime::format_duration(self.policy.lock_timeout)
            ))
        })?;
        event!(
            Level::Debug,
            "lock_acquired",
            Some(self.target),
            "lock acquired after {} ms",
            started.elapsed().as_millis()
        );
        Ok(lock)
    }

    /// With the lock held: re-read the cache, decide, and mint if the policy says so.
    fn under_lock(
        &self,
        lock: &S::Lock,
        purpose: Purpose,
        required_ttl: Option<Duration>,
    ) -> Result<Outcome> {
        let now = self.clock.now();
        let mut state = self.store.load()?;
        let decision = policy::under_lock(
            now,
            state.entry.as_ref(),
            &state.breaker,
            self.policy,
            required_ttl,
            purpose,
        );
        let probe = match decision {
            Locked::UseCached => return Ok(Outcome::Cached(state.entry)),
            Locked::TooShort => {
                let entry = state
                    .entry
                    .expect("policy refuses only over a cached entry");
                return Ok(Outcome::TooShort(entry));
            }
            Locked::BreakerOpen => return Err(self.breaker_open(&state, now)),
            Locked::ShareFailure => {
                let e = state
                    .breaker
                    .last_error
                    .clone()
                    .unwrap_or_else(|| MintError::transient("unknown error"));
                let shared = MintError {
                    message: format!(
                        "{} (the mint another process made while this one waited)",
                        e.message
                    ),
                    ..e
                };
                return Ok(Outcome::Failed(shared));
            }
            Locked::Mint { probe } => probe,
        };
        if probe {
            event!(
                Level::Info,
                "breaker_probing",
                Some(self.target),
                "circuit breaker half-open: probing the backend"
            );
        }
        let started = self.clock.now();
        let timer = Instant::now();
        let ask = Ask {
            fresh: matches!(purpose, Purpose::Explicit | Purpose::Forced),
            min_ttl: required_ttl,
        };
        let result = self
            .mint
            .mint_for(started, ask)
            .and_then(|minted| policy::check_minted(minted, started));
        let took = timer.elapsed().as_millis();
        let outcome = match result {
            Ok(minted) => {
                let mut entry = policy::entry_for(minted, started, (self.random)(), self.policy);
                entry.received_at = Some(self.clock.now());
                if let Purpose::NeedToken { .. } = purpose {
                    entry.minted_for_min_ttl = required_ttl.map(policy::ms);
                }
                event!(
                    Level::Info,
                    "mint_ok",
                    Some(self.target),
                    "mint ok in {took} ms; token expires {}, refresh due {}",
                    entry.expires_at,
                    entry.refresh_at
                );
                if state.breaker.open_until.is_some() {
                    event!(
                        Level::Info,
                        "breaker_closed",
                        Some(self.target),
                        "circuit breaker closed"
                    );
                }
                state.breaker.record_success();
                state.entry = Some(entry.clone());
                Outcome::Minted(entry, None)
            }
            Err(e) => {
                let failed_at = self.clock.now();
                event!(
                    Level::Info,
                    "mint_failed",
                    Some(self.target),
                    "mint failed after {took} ms: {e}"
                );
                let cached = state.entry.as_ref();
                let draw = (self.random)();
                if !e.is_own() {
                    // The fleet's breaker, not this host's failure: not counted.
                    state
                        .breaker
                        .record_fleet_failing(failed_at, &e, cached, self.policy, draw);
                } else {
                    state
                        .breaker
                        .record_failure(failed_at, &e, cached, self.policy, draw);
                }
                if let (true, Some(until)) = (e.is_own(), state.breaker.open_until) {
                    event!(
                        Level::Info,
                        "breaker_opened",
                        Some(self.target),
                        "circuit breaker open after {} consecutive failures; next probe after {}",
                        state.breaker.consecutive_failures,
                        until
                    );
                }
                Outcome::Failed(e)
            }
        };
        match (self.store.save(lock, &state), outcome) {
            (Ok(()), outcome) => Ok(outcome),
            (Err(e), Outcome::Minted(entry, _)) => {
                // A caller that needs a token still gets it, with this warning; `refresh`, whose
                // whole job was to replace the cached token, fails.
                event!(
                    Level::Warn,
                    "cache_write_failed",
                    Some(self.target),
                    "the new token is not cached: {}",
                    e.chain()
                );
                Ok(Outcome::Minted(entry, Some(e)))
            }
            (Err(e), outcome) => {
                event!(
                    Level::Warn,
                    "cache_write_failed",
                    Some(self.target),
                    "{}",
                    e.chain()
                );
                Ok(outcome)
            }
        }
    }

    fn breaker_open(&self, state: &State, now: EpochMs) -> Error {
        let b = &state.breaker;
        let until = b.open_until.unwrap_or(now);
        let last = b
            .last_error
            .as_ref()
            .map_or("unknown".to_owned(), |e| e.message.clone());
        Error::temp(format!(
            "target `{}`: circuit breaker open after {} consecutive mint failures; no mint until {} (in {}). Last error: {last}. `ecluse-cred refresh --target {} --force` tries anyway",
            self.target,
            b.consecutive_failures,
            until,
            humantime::format_duration(whole_seconds(until.saturating_duration_since(now))),
            self.target,
        ))
    }

    fn warn_stale(&self, entry: &Entry, e: &MintError) {
        event!(
            Level::Warn,
            "served_stale",
            Some(self.target),
            "refresh failed ({e}); serving the cached token, valid until {}",
            entry.expires_at
        );
    }
}

/// `d` without its fraction of a second: what a message shows of a wait or a lifetime.
fn whole_seconds(d: Duration) -> Duration {
    Duration::from_secs(d.as_secs())
}

#[cfg(test)]
#[path = "engine_tests.rs"]
mod tests;
