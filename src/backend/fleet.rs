//! The fleet tier around a target's mint (docs/fleet.md): [`FleetMint`] asks the
//! `ecluse-cred-mint` helper for the fleet's token before minting, and publishes what its mint
//! came to after. The store client and the crypto live in the helper only
//! (`ecluse_cred_fleet`); this binary writes a JSON request and reads an answer, as for a cloud
//! mint. It runs only when a mint is due, under this host's lock: the cached path never gets
//! here.
//!
//! The store is never needed: a missing helper, a store that is unreachable, slow, refusing
//! `AUTH` or answering garbage, a missing or malformed fleet key: the mint runs exactly as
//! without `[fleet]`, with one warning per process saying why. Nothing of it is remembered: the
//! next mint asks the store again.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use ecluse_cred_contract::helper::{FleetAnswer, FleetOp, FleetOutcome, FleetRequest, FleetStore};

use super::helper::HelperMint;
use crate::config::FleetConfig;
use crate::config::fleet_budget::{MARGIN, POLL_MAX, STEP_STORE_TIMEOUTS, lock_life, steps};
use crate::event;
use crate::log::Level;
use crate::mint::{Ask, EpochMs, FailureKind, Mint, MintError, Minted};
use crate::policy::{self, Policy};
use crate::process::run_program;

/// Whether this process has warned that the store is not used: once per process.
static WARNED: AtomicBool = AtomicBool::new(false);

/// A target's mint with the fleet tier around it.
pub struct FleetMint {
    pub inner: Box<dyn Mint>,
    pub fleet: FleetConfig,
    pub settings_hash: String,
    pub policy: Policy,
    pub target: String,
}

/// The `[fleet]` section as the helper reads it.
fn store(fleet: &FleetConfig) -> FleetStore {
    FleetStore {
        store: fleet.store.clone(),
        key_env: fleet.key_env.clone(),
        password_env: fleet.password_env.clone(),
        username: fleet.username.clone(),
        ca_file: fleet.ca_file.clone(),
        namespace: fleet.namespace.clone(),
        timeout_ms: policy::ms(fleet.timeout).max(1) as u64,
    }
}

/// Runs one fleet step in the helper, `waits` being how long it may wait for another host;
/// `Err` says why it could not be run or read.
fn step(
    fleet: &FleetConfig,
    settings_hash: &str,
    op: FleetOp,
    waits: Duration,
) -> Result<FleetAnswer, String> {
    let request = FleetRequest {
        fleet: store(fleet),
        settings_hash: settings_hash.to_owned(),
        op,
    };
    let helper = HelperMint::helper_path().map_err(|e| e.message)?;
    let argv = vec![helper.display().to_string()];
    let input = serde_json::to_vec(&request).expect("request serializes");
    let bound = waits + fleet.timeout * STEP_STORE_TIMEOUTS + MARGIN;
    let started = std::time::Instant::now();
    let out = run_program(&argv, Some(input), bound).map_err(|e| {
        if started.elapsed() >= bound {
            format!(
                "the mint helper's fleet step did not finish within {} (fleet.timeout × {STEP_STORE_TIMEOUTS} + {} of waiting + 2s); killed it",
                humantime::format_duration(bound - waits - MARGIN),
                humantime::format_duration(waits)
            )
        } else {
            e.message
        }
    })?;
    if out.code != Some(0) {
        return Err(format!(
            "the mint helper failed{}",
            super::command::excerpt(&out.stderr)
        ));
    }
    serde_json::from_slice(&out.stdout)
        .map_err(|_| "the mint helper printed an unreadable fleet answer".to_owned())
}

impl FleetMint {
    fn step(&self, op: FleetOp, waits: Duration) -> Result<FleetAnswer, String> {
        step(&self.fleet, &self.settings_hash, op, waits)
    }

    /// How long the helper may wait for another host's mint: while the fleet lock is held, so
    /// the lock's whole life and one pause (a live holder publishes within it, a dead holder's
    /// lock expires within it and this host takes it), and never more than this host's
    /// `lock_timeout` less the two fleet steps, which its own waiters wait for. The config
    /// refuses a fleet target whose `lock_timeout` is below [`min_lock_timeout`](crate::config::fleet_budget::min_lock_timeout), so the wait
    /// is the lock's life. Only when the holder dies holding the lock does this host's own
    /// mint follow the whole wait, and may then outlast its waiters' `lock_timeout`.
    fn wait(&self) -> Duration {
        (lock_life(self.policy.mint_timeout, self.fleet.timeout) + POLL_MAX).min(
            self.policy
                .lock_timeout
                .saturating_sub(steps(self.fleet.timeout)),
        )
    }

    /// The store is not used for this mint: warn (once per process) and go on without it.
    fn unavailable(&self, reason: &str) {
        if !WARNED.swap(true, Ordering::Relaxed) {
            event!(
                Level::Warn,
                "fleet_unavailable",
                Some(&self.target),
                "the fleet store is not used ({reason}); minting on this host as without [fleet]"
            );
        }
    }

    /// What the fleet should know of this host's mint, started at `started`.
    fn outcome(&self, result: &Result<Minted, MintError>, started: EpochMs) -> FleetOutcome {
        let now = now();
        let failing = || FleetOutcome::Failing {
            until: now.saturating_add_ms(policy::jittered_cooldown(
                self.policy.breaker_cooldown,
                fastrand::f64(),
            )),
        };
        match result {
            Ok(minted) => match policy::check_minted(minted.clone(), started) {
                Ok(minted) => {
                    let entry = policy::entry_for(minted, started, fastrand::f64(), &self.policy);
                    FleetOutcome::Minted {
                        token: entry.token.expose().to_owned(),
                        issued_at: entry.issued_at,
                        expires_at: entry.expires_at,
                        refresh_at: entry.refresh_at,
                    }
                }
                Err(_) => failing(),
            },
            // The token API answering that it fails is the fleet's business; a timeout, an
            // unreachable network, credentials rejected or a setting wrong may be this host's
            // alone, and one broken host must not stop the fleet.
            Err(e) if e.kind == FailureKind::Unavailable => failing(),
            Err(_) => FleetOutcome::Nothing,
        }
    }
}

impl Mint for FleetMint {
    fn mint(&self, started: EpochMs) -> Result<Minted, MintError> {
        self.mint_for(started, Ask::default())
    }

    /// The fleet's token, else this host's mint (shared after). `refresh` asks for a new token:
    /// it mints without asking the store, and publishes what it got.
    fn mint_for(&self, started: EpochMs, ask: Ask) -> Result<Minted, MintError> {
        if ask.fresh {
            return self.mint_and_publish(started, None);
        }
        let wait = self.wait();
        let get = FleetOp::FleetGet {
            min_ttl_ms: policy::ms(self.policy.min_ttl),
            need_ttl_ms: ask.min_ttl.map(policy::ms),
            max_lifetime_ms: policy::ms(policy::MAX_TOKEN_LIFETIME),
            // A `failing` record is written for one jittered first cooldown: further ahead
            // is not believed.
            max_failing_ms: policy::jittered_cooldown(self.policy.breaker_cooldown, 1.0),
            lock_ms: policy::ms(lock_life(self.policy.mint_timeout, self.fleet.timeout)) as u64,
            wait_ms: policy::ms(wait) as u64,
        };
        let owner = match self.step(get, wait) {
            Ok(FleetAnswer::Token {
                token,
                expires_at_ms,
            }) => {
                event!(
                    Level::Info,
                    "fleet_hit",
                    Some(&self.target),
                    "the fleet's token, expiring {expires_at_ms}: no mint"
                );
                return Ok(Minted {
                    token: crate::secret::Secret::new(token),
                    expires_at: expires_at_ms,
                    expiry_source: "fleet".to_owned(),
                });
            }
            Ok(FleetAnswer::Failing { until }) => {
                return Err(MintError::fleet_failing(format!(
                    "the fleet's token API is failing until {until} (another host's mint failed; the first host to mint after then probes it)"
                )));
            }
            Ok(FleetAnswer::Mint { owner }) => Some(owner),
            Ok(FleetAnswer::MintYourself { reason }) => {
                event!(
                    Level::Info,
                    "fleet_wait_passed",
                    Some(&self.target),
                    "{reason}; minting on this host"
                );
                None
            }
            Ok(FleetAnswer::NoStore { reason }) => {
                self.unavailable(&reason);
                return self.inner.mint(started);
            }
            Ok(FleetAnswer::Done) => {
                self.unavailable("the mint helper answered a fleet read with nothing");
                return self.inner.mint(started);
            }
            Err(reason) => {
                self.unavailable(&reason);
                return self.inner.mint(started);
            }
        };
        self.mint_and_publish(started, owner)
    }
}

impl FleetMint {
    /// This host's own mint, its outcome published to the fleet (and the fleet lock released
    /// when `owner` holds it).
    fn mint_and_publish(
        &self,
        started: EpochMs,
        owner: Option<String>,
    ) -> Result<Minted, MintError> {
        let result = self.inner.mint(started);
        let outcome = self.outcome(&result, started);
        if owner.is_some() || !matches!(outcome, FleetOutcome::Nothing) {
            let put = FleetOp::FleetPut { owner, outcome };
            match self.step(put, Duration::ZERO) {
                Ok(FleetAnswer::Done) => {}
                Ok(FleetAnswer::NoStore { reason }) | Err(reason) => self.unavailable(&reason),
                Ok(_) => self.unavailable("the mint helper answered a fleet publish oddly"),
            }
        }
        result
    }
}

/// Whether the store answers and the fleet key is well-formed, for `status` and `doctor`:
/// `Ok` or why not. Bounded by a few store timeouts.
pub fn ping(fleet: &FleetConfig) -> Result<(), String> {
    match step(fleet, "", FleetOp::FleetPing, Duration::ZERO)? {
        FleetAnswer::Done => Ok(()),
        FleetAnswer::NoStore { reason } => Err(reason),
        _ => Err("the mint helper answered a ping oddly".to_owned()),
    }
}

fn now() -> EpochMs {
    EpochMs::from_millis(jiff::Timestamp::now().as_millisecond())
}
