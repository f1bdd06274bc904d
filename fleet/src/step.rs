//! The fleet steps the `ecluse-cred-mint` helper runs for `ecluse-cred` around a mint
//! (`ecluse_cred_contract::helper::FleetRequest`): read the shared entry, the `failing` record
//! and the lock before a mint (`fleet-get`), publish the outcome and release the lock after it
//! (`fleet-put`), check the store (`fleet-ping`). Every failure of the store or the key is an
//! answer ([`FleetAnswer::NoStore`]), never an error: the caller then mints as without
//! `[fleet]`. docs/fleet.md describes the protocol.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use ecluse_cred_contract::helper::{FleetAnswer, FleetOp, FleetOutcome, FleetRequest, FleetStore};
use ecluse_cred_contract::mint::EpochMs;
use ecluse_cred_contract::secret::Secret;

use crate::seal::{FleetKey, Sealed};
use crate::store::{Store, StoreConfig, StoreError, now};

/// The first pause of a host that found the lock taken before it looks for the published
/// entry again; each pause doubles up to [`POLL_MAX`], each jittered (×0.5 to ×1.5).
pub const POLL: Duration = Duration::from_millis(100);
/// The longest pause between two looks at the entry while another host holds the lock.
pub const POLL_MAX: Duration = Duration::from_secs(1);
/// A step's store work, in store timeouts, outside its waiting: connect (DNS included), the
/// reads, the lock and its release, all together. Past it the step answers
/// [`FleetAnswer::NoStore`] whatever the store is doing (a slow drip of bytes, a hung DNS
/// lookup): one deadline for the step, not one per command.
pub const STORE_BUDGET_TIMEOUTS: u32 = 6;
/// How far a publishing host's clock may be ahead: an entry issued later than this is a miss.
const CLOCK_SKEW_MS: i64 = 5 * 60 * 1000;

/// Runs one fleet step, within one deadline: [`STORE_BUDGET_TIMEOUTS`] store timeouts of store
/// work plus the time it spent waiting for another host (at most the request's `wait_ms`).
/// The step runs on a thread of its own; past the deadline the answer is
/// [`FleetAnswer::NoStore`] and the thread is left to the process's exit.
pub fn run(request: &FleetRequest) -> FleetAnswer {
    let budget = Duration::from_millis(request.fleet.timeout_ms.max(1))
        .checked_mul(STORE_BUDGET_TIMEOUTS)
        .unwrap_or(Duration::MAX);
    run_within(request, budget)
}

fn run_within(request: &FleetRequest, budget: Duration) -> FleetAnswer {
    let waited_ms = Arc::new(AtomicU64::new(0));
    let (tx, rx) = mpsc::channel();
    let worker = {
        let request = request.clone();
        let waited_ms = Arc::clone(&waited_ms);
        thread::spawn(move || {
            let _ = tx.send(run_step(&request, &waited_ms));
        })
    };
    let start = Instant::now();
    let deadline = || {
        let waited = Duration::from_millis(waited_ms.load(Ordering::Relaxed));
        start
            .checked_add(budget.saturating_add(waited))
            .unwrap_or_else(|| start + Duration::from_secs(24 * 60 * 60))
    };
    loop {
        match rx.recv_timeout(deadline().saturating_duration_since(Instant::now())) {
            Ok(answer) => {
                let _ = worker.join();
                return answer;
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {
                if Instant::now() >= deadline() {
                    return FleetAnswer::NoStore {
                        reason: format!(
                            "the store's connect (DNS included) and commands took more than {} ms together",
                            budget.as_millis()
                        ),
                    };
                }
            }
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                return FleetAnswer::NoStore {
                    reason: "the fleet step failed".to_owned(),
                };
            }
        }
    }
}

/// Runs one fleet step, keeping in `waited_ms` how long it has waited for another host.
fn run_step(request: &FleetRequest, waited_ms: &AtomicU64) -> FleetAnswer {
    match open(&request.fleet) {
        Err(reason) => FleetAnswer::NoStore { reason },
        Ok((key, store)) => {
            let hash = key.entry_hash(&request.settings_hash);
            let fleet = Fleet {
                key: &key,
                store: &store,
                hash: &hash,
                waited_ms,
            };
            let answer = match &request.op {
                FleetOp::FleetGet {
                    min_ttl_ms,
                    need_ttl_ms,
                    max_lifetime_ms,
                    max_failing_ms,
                    lock_ms,
                    wait_ms,
                } => fleet.get(&Get {
                    min_ttl_ms: *min_ttl_ms,
                    need_ttl_ms: need_ttl_ms.unwrap_or(0),
                    max_lifetime_ms: *max_lifetime_ms,
                    max_failing_ms: *max_failing_ms,
                    lock: Duration::from_millis(*lock_ms),
                    wait: Duration::from_millis(*wait_ms),
                }),
                FleetOp::FleetPut { owner, outcome } => fleet.put(owner.as_deref(), outcome),
                FleetOp::FleetPing => store.ping().map(|()| FleetAnswer::Done),
            };
            answer.unwrap_or_else(|e| FleetAnswer::NoStore {
                reason: e.to_string(),
            })
        }
    }
}

/// The key from its variable, the password from its, and the store client.
fn open(config: &FleetStore) -> Result<(FleetKey, Store), String> {
    let key = FleetKey::from_env(&config.key_env).map_err(|e| e.to_string())?;
    let password = match &config.password_env {
        None => None,
        Some(var) => match std::env::var(var) {
            Ok(value) if !value.is_empty() => Some(Secret::new(value)),
            _ => {
                return Err(format!(
                    "the store's password variable {var} (fleet.password_env) is not set"
                ));
            }
        },
    };
    let store = Store::new(StoreConfig {
        url: config.store.clone(),
        username: config.username.clone(),
        password,
        ca_file: config.ca_file.clone(),
        namespace: config.namespace.clone(),
        timeout: Duration::from_millis(config.timeout_ms.max(1)),
    })
    .map_err(|e| e.to_string())?;
    Ok((key, store))
}

struct Get {
    min_ttl_ms: i64,
    /// The caller's `--min-ttl` (0: none), not clamped.
    need_ttl_ms: i64,
    max_lifetime_ms: i64,
    max_failing_ms: i64,
    lock: Duration,
    wait: Duration,
}

struct Fleet<'a> {
    key: &'a FleetKey,
    store: &'a Store,
    hash: &'a str,
    /// Milliseconds spent waiting for another host (its pauses and its looks at the entry,
    /// at most the request's wait), which extend the step's deadline.
    waited_ms: &'a AtomicU64,
}

impl Fleet<'_> {
    /// A host that finds the lock taken waits while it is held, looking only at the entry
    /// (with the lock's `SET NX`, which both re-reads the lock and takes it when it is gone or
    /// expired), pausing [`POLL`] doubling to [`POLL_MAX`], jittered. The caller's `wait`
    /// covers the lock's life: a live holder publishes (or writes `failing`) before its lock
    /// expires, and a dead one's lock expires within it, when one waiter takes it.
    fn get(&self, get: &Get) -> Result<FleetAnswer, StoreError> {
        let owner = random_owner();
        if let Some(answer) = self.shared(get)? {
            return Ok(answer);
        }
        let mut pause = POLL;
        // The wait starts at the first look at the lock: the time spent from then (pauses and
        // the looks' commands alike) is the wait's, not the store budget's, so that slow
        // round trips do not end the step in the middle of another host's mint.
        let waiting = Instant::now();
        let deadline = waiting.checked_add(get.wait).unwrap_or(waiting);
        loop {
            let waited = waiting.elapsed().min(get.wait);
            self.waited_ms.store(
                u64::try_from(waited.as_millis()).unwrap_or(u64::MAX),
                Ordering::Relaxed,
            );
            if self.store.try_lock(self.hash, &owner, get.lock)? {
                // Read once more: the holder before this one may have published a token, or
                // written `failing`, just before it released the lock.
                return match self.shared(get) {
                    Ok(Some(answer)) => {
                        // The answer stands even if the release fails: the lock expires.
                        let _ = self.store.release(self.hash, &owner);
                        Ok(answer)
                    }
                    Ok(None) => Ok(FleetAnswer::Mint { owner }),
                    Err(e) => {
                        let _ = self.store.release(self.hash, &owner);
                        Err(e)
                    }
                };
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Ok(FleetAnswer::MintYourself {
                    reason: format!(
                        "another host held the fleet lock for all of this host's wait ({} ms) without publishing",
                        get.wait.as_millis()
                    ),
                });
            }
            let nap = left.min(jittered(pause));
            self.waited_ms.store(
                u64::try_from(
                    waiting
                        .elapsed()
                        .saturating_add(nap)
                        .min(get.wait)
                        .as_millis(),
                )
                .unwrap_or(u64::MAX),
                Ordering::Relaxed,
            );
            thread::sleep(nap);
            pause = (pause * 2).min(POLL_MAX);
            if let Some(token) = self.entry(get)? {
                return Ok(token);
            }
        }
    }

    /// A usable shared token, or the fleet's `failing` record (sealed under the fleet key for
    /// its key's name, and no further ahead than `max_failing_ms`: a forged or moved record, or
    /// one too far ahead, is ignored). While the record holds, a shared token past its refresh
    /// point but still valid (with `min_ttl` left) is served rather than the failure: nobody
    /// may mint, and the token still works.
    fn shared(&self, get: &Get) -> Result<Option<FleetAnswer>, StoreError> {
        let sealed = self.sealed_entry()?;
        let now = now();
        if let Some(token) = sealed
            .as_ref()
            .filter(|e| usable(e, now, get, Due::Refused))
        {
            return Ok(Some(token_answer(token)));
        }
        let name = self.store.failing_key(self.hash);
        let failing = self
            .store
            .failing(self.hash)?
            .and_then(|value| self.key.open_instant(&name, &value))
            .filter(|until| *until > now && until.ms_since(now) <= get.max_failing_ms);
        let Some(until) = failing else {
            return Ok(None);
        };
        Ok(Some(
            match sealed.filter(|e| usable(e, now, get, Due::Served)) {
                Some(token) => token_answer(&token),
                None => FleetAnswer::Failing { until },
            },
        ))
    }

    /// The shared entry if it opens and holds a token this host's policy would serve without
    /// refreshing; anything else is a miss.
    fn entry(&self, get: &Get) -> Result<Option<FleetAnswer>, StoreError> {
        Ok(self
            .sealed_entry()?
            .filter(|e| usable(e, now(), get, Due::Refused))
            .map(|e| token_answer(&e)))
    }

    /// The shared entry, if there is one and it opens under the fleet key for its name.
    fn sealed_entry(&self) -> Result<Option<Sealed>, StoreError> {
        let Some(value) = self.store.get(self.hash)? else {
            return Ok(None);
        };
        let name = self.store.entry_key(self.hash);
        Ok(self.key.open(&name, &value))
    }

    fn put(&self, owner: Option<&str>, outcome: &FleetOutcome) -> Result<FleetAnswer, StoreError> {
        let published = match outcome {
            FleetOutcome::Minted {
                token,
                issued_at,
                expires_at,
                refresh_at,
            } => {
                let sealed = self.key.seal(
                    &self.store.entry_key(self.hash),
                    &Sealed {
                        token: Secret::new(token.clone()),
                        issued_at: *issued_at,
                        expires_at: *expires_at,
                        refresh_at: *refresh_at,
                    },
                );
                self.store
                    .publish(self.hash, &sealed, *expires_at)
                    .map(drop)
            }
            FleetOutcome::Failing { until } => {
                let sealed = self
                    .key
                    .seal_instant(&self.store.failing_key(self.hash), *until);
                self.store.set_failing(self.hash, &sealed, *until).map(drop)
            }
            FleetOutcome::Nothing => Ok(()),
        };
        // Release even when the publish failed: the next host should not wait for nothing.
        let released = match owner {
            Some(owner) => self.store.release(self.hash, owner).map(drop),
            None => Ok(()),
        };
        published.and(released).map(|()| FleetAnswer::Done)
    }
}

/// Whether a token past its publisher's refresh point is served ([`usable`]): only while the
/// fleet's `failing` record holds.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Due {
    Refused,
    Served,
}

fn token_answer(e: &Sealed) -> FleetAnswer {
    FleetAnswer::Token {
        token: e.token.expose().to_owned(),
        expires_at_ms: e.expires_at,
    }
}

/// Whether a shared entry is one to serve: a token (non-empty, no control characters), issued
/// not in the future (beyond a clock skew), living no longer than the policy accepts, before
/// the publisher's refresh point (unless `due` is [`Due::Served`]), and valid for the policy's
/// `min_ttl` (clamped to half the time from its refresh point to its expiry, as the policy
/// clamps it) and for the caller's own `--min-ttl`.
fn usable(e: &Sealed, now: EpochMs, get: &Get, due: Due) -> bool {
    let token = e.token.expose();
    let window = e.expires_at.ms_since(e.refresh_at).max(0);
    let min_ttl = get.min_ttl_ms.min(window / 2).max(get.need_ttl_ms);
    !token.is_empty()
        && !token.chars().any(char::is_control)
        && e.issued_at <= now.saturating_add_ms(CLOCK_SKEW_MS)
        && e.issued_at < e.expires_at
        && e.expires_at.ms_since(e.issued_at) <= get.max_lifetime_ms
        && e.refresh_at <= e.expires_at
        && (now < e.refresh_at || due == Due::Served)
        && e.expires_at.ms_since(now) > min_ttl
}

/// `pause` times a random factor from 0.5 to 1.5, so that waiting hosts do not poll together.
fn jittered(pause: Duration) -> Duration {
    let mut byte = [0u8; 1];
    aws_lc_rs::rand::fill(&mut byte).expect("the system RNG works");
    pause.mul_f64(0.5 + f64::from(byte[0]) / 255.0)
}

/// A random lock owner: 128 bits in hex.
fn random_owner() -> String {
    let mut bytes = [0u8; 16];
    aws_lc_rs::rand::fill(&mut bytes).expect("the system RNG works");
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIN: i64 = 60_000;

    fn get() -> Get {
        Get {
            min_ttl_ms: 5 * MIN,
            need_ttl_ms: 0,
            max_lifetime_ms: 366 * 24 * 60 * MIN,
            max_failing_ms: 60 * MIN,
            lock: Duration::from_secs(1),
            wait: Duration::ZERO,
        }
    }

    fn sealed(issued: i64, refresh: i64, expires: i64) -> Sealed {
        Sealed {
            token: Secret::new("tok-abc".into()),
            issued_at: EpochMs::from_millis(issued),
            expires_at: EpochMs::from_millis(expires),
            refresh_at: EpochMs::from_millis(refresh),
        }
    }

    fn usable_(e: &Sealed, now: EpochMs, get: &Get) -> bool {
        usable(e, now, get, Due::Refused)
    }

    #[test]
    fn a_callers_own_min_ttl_is_not_clamped_and_a_shared_token_with_less_left_is_a_miss() {
        let now = EpochMs::from_millis(100 * MIN);
        // 50 min left, refresh point 20 min ahead (min_ttl clamps to 15 min: served).
        let e = sealed(95 * MIN, 120 * MIN, 150 * MIN);
        assert!(usable_(&e, now, &get()));
        let need = |m: i64| Get {
            need_ttl_ms: m * MIN,
            ..get()
        };
        assert!(usable_(&e, now, &need(49)));
        assert!(!usable_(&e, now, &need(50)));
        assert!(!usable_(&e, now, &need(120)));
    }

    #[test]
    fn while_the_fleet_is_failing_a_due_but_valid_token_is_served_with_min_ttl_left() {
        let now = EpochMs::from_millis(100 * MIN);
        // Past its refresh point, 50 min left: refused normally, served while failing.
        let due = sealed(40 * MIN, 99 * MIN, 150 * MIN);
        assert!(!usable(&due, now, &get(), Due::Refused));
        assert!(usable(&due, now, &get(), Due::Served));
        // Not with no more than min_ttl left (5 min, clamped to half of 99..101: 1 min; 1 min
        // left), nor expired, nor otherwise bad.
        assert!(!usable(
            &sealed(40 * MIN, 99 * MIN, 101 * MIN),
            now,
            &get(),
            Due::Served
        ));
        assert!(!usable(
            &sealed(40 * MIN, 90 * MIN, 104 * MIN),
            now,
            &get(),
            Due::Served
        ));
        assert!(usable(
            &sealed(40 * MIN, 99 * MIN, 102 * MIN),
            now,
            &get(),
            Due::Served
        ));
        assert!(!usable(
            &sealed(10 * MIN, 20 * MIN, 99 * MIN),
            now,
            &get(),
            Due::Served
        ));
        let mut bad = due.clone();
        bad.token = Secret::new(String::new());
        assert!(!usable(&bad, now, &get(), Due::Served));
    }

    #[test]
    fn an_entry_is_served_only_before_its_refresh_point_and_with_min_ttl_left() {
        let now = EpochMs::from_millis(100 * MIN);
        assert!(usable_(
            &sealed(90 * MIN, 130 * MIN, 150 * MIN),
            now,
            &get()
        ));
        // Past the publisher's refresh point: the fleet mints again.
        assert!(!usable_(
            &sealed(50 * MIN, 99 * MIN, 150 * MIN),
            now,
            &get()
        ));
        // Expired, issued in the future, refresh after expiry, too long-lived.
        assert!(!usable_(&sealed(10 * MIN, 20 * MIN, 99 * MIN), now, &get()));
        assert!(!usable_(
            &sealed(200 * MIN, 230 * MIN, 250 * MIN),
            now,
            &get()
        ));
        assert!(!usable_(
            &sealed(90 * MIN, 160 * MIN, 150 * MIN),
            now,
            &get()
        ));
        let mut g = get();
        g.max_lifetime_ms = 30 * MIN;
        assert!(!usable_(&sealed(90 * MIN, 130 * MIN, 150 * MIN), now, &g));
        // min_ttl clamped to half the refresh window: 2 min here, 3 min left.
        assert!(usable_(
            &sealed(95 * MIN, 101 * MIN, 103 * MIN),
            now,
            &get()
        ));
        let mut bad = sealed(90 * MIN, 130 * MIN, 150 * MIN);
        bad.token = Secret::new("a\nb".into());
        assert!(!usable_(&bad, now, &get()));
    }
}
