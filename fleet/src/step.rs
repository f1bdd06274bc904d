//! The fleet steps the `ecluse-cred-mint` helper runs for `ecluse-cred` around a mint
//! (`ecluse_cred_contract::helper::FleetRequest`): read the shared entry, the `failing` record
//! and the lock before a mint (`fleet-get`), publish the outcome and release the lock after it
//! (`fleet-put`), check the store (`fleet-ping`). Every failure of the store or the key is an
//! answer ([`FleetAnswer::NoStore`]), never an error: the caller then mints as without
//! `[fleet]`. docs/fleet.md describes the protocol.

use std::thread;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use ecluse_cred_contract::helper::{FleetAnswer, FleetOp, FleetOutcome, FleetRequest, FleetStore};
use ecluse_cred_contract::mint::EpochMs;
use ecluse_cred_contract::secret::Secret;

use crate::seal::{FleetKey, Sealed};
use crate::store::{Store, StoreConfig, StoreError};

/// How often a host that found the lock taken looks for the published entry.
pub const POLL: Duration = Duration::from_millis(100);
/// How far a publishing host's clock may be ahead: an entry issued later than this is a miss.
const CLOCK_SKEW_MS: i64 = 5 * 60 * 1000;

/// Runs one fleet step.
pub fn run(request: &FleetRequest) -> FleetAnswer {
    match open(&request.fleet) {
        Err(reason) => FleetAnswer::NoStore { reason },
        Ok((key, store)) => {
            let hash = key.entry_hash(&request.settings_hash);
            let fleet = Fleet {
                key: &key,
                store: &store,
                hash: &hash,
            };
            let answer = match &request.op {
                FleetOp::FleetGet {
                    min_ttl_ms,
                    max_lifetime_ms,
                    max_failing_ms,
                    lock_ms,
                    wait_ms,
                } => fleet.get(&Get {
                    min_ttl_ms: *min_ttl_ms,
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
    max_lifetime_ms: i64,
    max_failing_ms: i64,
    lock: Duration,
    wait: Duration,
}

struct Fleet<'a> {
    key: &'a FleetKey,
    store: &'a Store,
    hash: &'a str,
}

impl Fleet<'_> {
    fn get(&self, get: &Get) -> Result<FleetAnswer, StoreError> {
        let deadline = Instant::now() + get.wait;
        let owner = random_owner();
        loop {
            if let Some(answer) = self.shared(get)? {
                return Ok(answer);
            }
            if self.store.try_lock(self.hash, &owner, get.lock)? {
                // Read once more: the holder before this one may have published just now.
                return match self.entry(get) {
                    Ok(Some(token)) => {
                        self.store.release(self.hash, &owner)?;
                        Ok(token)
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
                        "another host's mint did not publish within {} ms",
                        get.wait.as_millis()
                    ),
                });
            }
            thread::sleep(left.min(POLL));
        }
    }

    /// A usable shared token, or the fleet's `failing` record.
    fn shared(&self, get: &Get) -> Result<Option<FleetAnswer>, StoreError> {
        if let Some(token) = self.entry(get)? {
            return Ok(Some(token));
        }
        let now = now();
        Ok(self
            .store
            .failing(self.hash)?
            .filter(|until| *until > now && until.ms_since(now) <= get.max_failing_ms)
            .map(|until| FleetAnswer::Failing { until }))
    }

    /// The shared entry if it opens and holds a token this host's policy would serve without
    /// refreshing; anything else is a miss.
    fn entry(&self, get: &Get) -> Result<Option<FleetAnswer>, StoreError> {
        let Some(value) = self.store.get(self.hash)? else {
            return Ok(None);
        };
        let name = self.store.entry_key(self.hash);
        let Some(sealed) = self.key.open(&name, &value) else {
            return Ok(None);
        };
        Ok(usable(&sealed, now(), get).then(|| FleetAnswer::Token {
            token: sealed.token.expose().to_owned(),
            expires_at_ms: sealed.expires_at,
        }))
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
            FleetOutcome::Failing { until } => self.store.set_failing(self.hash, *until).map(drop),
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

/// Whether a shared entry is one to serve: a token (non-empty, no control characters), issued
/// not in the future (beyond a clock skew), living no longer than the policy accepts, before
/// the publisher's refresh point, and valid for the policy's `min_ttl` (clamped to half the
/// time from its refresh point to its expiry, as the policy clamps it).
fn usable(e: &Sealed, now: EpochMs, get: &Get) -> bool {
    let token = e.token.expose();
    let window = e.expires_at.ms_since(e.refresh_at).max(0);
    let min_ttl = get.min_ttl_ms.min(window / 2);
    !token.is_empty()
        && !token.chars().any(char::is_control)
        && e.issued_at <= now.saturating_add_ms(CLOCK_SKEW_MS)
        && e.issued_at < e.expires_at
        && e.expires_at.ms_since(e.issued_at) <= get.max_lifetime_ms
        && e.refresh_at <= e.expires_at
        && now < e.refresh_at
        && e.expires_at.ms_since(now) > min_ttl
}

/// A random lock owner: 128 bits in hex.
fn random_owner() -> String {
    let mut bytes = [0u8; 16];
    aws_lc_rs::rand::fill(&mut bytes).expect("the system RNG works");
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn now() -> EpochMs {
    let ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX));
    EpochMs::from_millis(ms)
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIN: i64 = 60_000;

    fn get() -> Get {
        Get {
            min_ttl_ms: 5 * MIN,
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

    #[test]
    fn an_entry_is_served_only_before_its_refresh_point_and_with_min_ttl_left() {
        let now = EpochMs::from_millis(100 * MIN);
        assert!(usable(&sealed(90 * MIN, 130 * MIN, 150 * MIN), now, &get()));
        // Past the publisher's refresh point: the fleet mints again.
        assert!(!usable(&sealed(50 * MIN, 99 * MIN, 150 * MIN), now, &get()));
        // Expired, issued in the future, refresh after expiry, too long-lived.
        assert!(!usable(&sealed(10 * MIN, 20 * MIN, 99 * MIN), now, &get()));
        assert!(!usable(
            &sealed(200 * MIN, 230 * MIN, 250 * MIN),
            now,
            &get()
        ));
        assert!(!usable(
            &sealed(90 * MIN, 160 * MIN, 150 * MIN),
            now,
            &get()
        ));
        let mut g = get();
        g.max_lifetime_ms = 30 * MIN;
        assert!(!usable(&sealed(90 * MIN, 130 * MIN, 150 * MIN), now, &g));
        // min_ttl clamped to half the refresh window: 2 min here, 3 min left.
        assert!(usable(&sealed(95 * MIN, 101 * MIN, 103 * MIN), now, &get()));
        let mut bad = sealed(90 * MIN, 130 * MIN, 150 * MIN);
        bad.token = Secret::new("a\nb".into());
        assert!(!usable(&bad, now, &get()));
    }
}
