//! The engine with a fake clock, a fake mint and an in-memory store whose lock is a flag.

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::time::Duration;

use proptest::prelude::*;

use super::*;
use crate::error::Code;
use crate::mint::{FailureKind, Minted};
use crate::policy::BreakerState;
use crate::secret::Secret;

const SEC: i64 = 1000;
const LIFETIME: i64 = 3600 * SEC;

/// Everything the fakes share: the clock, the cache, the lock, and the mint's script and log.
#[derive(Default)]
struct World {
    /// The fake clock, in epoch ms.
    now: Cell<i64>,
    state: RefCell<State>,
    locked: Cell<bool>,
    mint_fails: Cell<bool>,
    /// The mint answers with the fleet's `failing` record (another host's failure).
    fleet_failing: Cell<bool>,
    /// The cache cannot be written (a full or read-only disk).
    save_fails: Cell<bool>,
    mints: Cell<u32>,
    lifetime: Cell<i64>,
    /// How long the mint takes (the clock advances by it).
    latency: Cell<i64>,
    /// Set by the mint when it is called in a situation the policy forbids.
    violation: RefCell<Option<String>>,
}

#[derive(Clone)]
struct Fake(Rc<World>);

struct FakeLock(Rc<World>);

impl Drop for FakeLock {
    fn drop(&mut self) {
        self.0.locked.set(false);
    }
}

impl Clock for Fake {
    fn now(&self) -> EpochMs {
        EpochMs::from_millis(self.0.now.get())
    }
}

impl Store for Fake {
    type Lock = FakeLock;
    fn load(&self) -> Result<State> {
        Ok(self.0.state.borrow().clone())
    }
    fn save(&self, _lock: &FakeLock, state: &State) -> Result<()> {
        assert!(self.0.locked.get(), "saved without the lock");
        if self.0.save_fails.get() {
            return Err(crate::error::Error::other("No space left on device"));
        }
        *self.0.state.borrow_mut() = state.clone();
        Ok(())
    }
    fn try_lock(&self) -> Result<Option<FakeLock>> {
        if self.0.locked.replace(true) {
            return Ok(None);
        }
        Ok(Some(FakeLock(self.0.clone())))
    }
    fn lock(&self, _timeout: Duration) -> Result<Option<FakeLock>> {
        // Nothing else runs while a test waits: a held lock can only time out.
        self.try_lock()
    }
}

impl Mint for Fake {
    fn mint(&self, started: EpochMs) -> std::result::Result<Minted, MintError> {
        let w = &self.0;
        if !w.locked.get() {
            *w.violation.borrow_mut() = Some("mint called without the lock".into());
        }
        if w.state.borrow().breaker.state(self.now()) == BreakerState::Open {
            *w.violation.borrow_mut() = Some("mint called while the breaker is open".into());
        }
        w.mints.set(w.mints.get() + 1);
        w.now.set(w.now.get() + w.latency.get());
        if w.mint_fails.get() {
            return Err(MintError::transient("backend down"));
        }
        if w.fleet_failing.get() {
            return Err(MintError::fleet_failing(
                "the fleet's token API is failing until later",
            ));
        }
        Ok(Minted {
            token: Secret::new(format!("tok-{}", w.mints.get())),
            expires_at: started.saturating_add_ms(w.lifetime.get()),
            expiry_source: "test".into(),
        })
    }
}

fn world() -> Fake {
    let w = World::default();
    w.now.set(1_000_000 * SEC);
    w.lifetime.set(LIFETIME);
    Fake(Rc::new(w))
}

fn engine<'a>(f: &Fake, policy: &'a Policy) -> Engine<'a, Fake, Fake, Fake> {
    Engine {
        target: "t",
        policy,
        store: f.clone(),
        mint: f.clone(),
        clock: f.clone(),
        random: || 0.0,
    }
}

fn inline(e: &Engine<'_, Fake, Fake, Fake>, ttl: Option<Duration>) -> Result<Served> {
    e.token(ttl, Refresh::Inline)
}

fn advance(f: &Fake, ms: i64) {
    f.0.now.set(f.0.now.get() + ms);
}

#[test]
fn cold_cache_mints_once_then_serves_from_cache() {
    let f = world();
    let p = Policy::default();
    let e = engine(&f, &p);
    let first = inline(&e, None).unwrap();
    assert_eq!(
        (first.entry.token.expose(), first.source),
        ("tok-1", Source::Mint)
    );
    advance(&f, 10 * SEC);
    let second = inline(&e, None).unwrap();
    assert_eq!(
        (second.entry.token.expose(), second.source),
        ("tok-1", Source::Cache)
    );
    assert_eq!(f.0.mints.get(), 1);
}

#[test]
fn due_token_is_served_at_once_and_refresh_is_handed_to_the_background() {
    let f = world();
    let p = Policy::default();
    let e = engine(&f, &p);
    inline(&e, None).unwrap();
    advance(&f, LIFETIME * 85 / 100);
    let handed: RefCell<Option<FakeLock>> = RefCell::new(None);
    let spawn = |lock: FakeLock| {
        *handed.borrow_mut() = Some(lock);
        Ok(())
    };
    let served = e.token(None, Refresh::Background(&spawn)).unwrap();
    assert_eq!(
        (served.entry.token.expose(), served.source),
        ("tok-1", Source::Cache)
    );
    assert_eq!(f.0.mints.get(), 1, "the caller itself did not mint");
    // While the background holds the lock, a second due caller starts nothing.
    let spawned_again = Cell::new(false);
    let spawn_again = |_lock: FakeLock| {
        spawned_again.set(true);
        Ok(())
    };
    e.token(None, Refresh::Background(&spawn_again)).unwrap();
    assert!(!spawned_again.get());
    // The background refresh mints once and the next caller gets the new token.
    e.refresh_in_background(handed.take().unwrap()).unwrap();
    assert_eq!(f.0.mints.get(), 2);
    assert_eq!(inline(&e, None).unwrap().entry.token.expose(), "tok-2");
}

#[test]
fn background_refresh_does_nothing_if_a_fresh_token_already_landed() {
    let f = world();
    let p = Policy::default();
    let e = engine(&f, &p);
    inline(&e, None).unwrap();
    let lock = f.try_lock().unwrap().unwrap();
    e.refresh_in_background(lock).unwrap();
    assert_eq!(f.0.mints.get(), 1);
}

#[test]
fn inline_refresh_serves_the_new_token() {
    let f = world();
    let p = Policy::default();
    let e = engine(&f, &p);
    inline(&e, None).unwrap();
    advance(&f, LIFETIME * 85 / 100);
    let served = inline(&e, None).unwrap();
    assert_eq!(
        (served.entry.token.expose(), served.source),
        ("tok-2", Source::Mint)
    );
}

#[test]
fn serves_cached_token_while_mint_is_failing() {
    let f = world();
    let p = Policy::default();
    let e = engine(&f, &p);
    inline(&e, None).unwrap();
    advance(&f, LIFETIME * 85 / 100);
    f.0.mint_fails.set(true);
    let served = inline(&e, None).unwrap();
    assert_eq!(served.entry.token.expose(), "tok-1");
    assert_eq!(f.0.state.borrow().breaker.consecutive_failures, 1);
}

#[test]
fn a_refresh_failing_near_expiry_is_retried_before_the_token_becomes_unusable() {
    let f = world();
    let p = Policy::default();
    let e = Engine {
        random: || 0.5,
        ..engine(&f, &p)
    };
    let first = inline(&e, None).unwrap().entry;
    advance(&f, LIFETIME - 3 * 60 * SEC);
    f.0.mint_fails.set(true);
    assert_eq!(inline(&e, None).unwrap().entry.token.expose(), "tok-1");
    let unusable_at = first
        .expires_at
        .saturating_sub_ms(policy::effective_min_ttl(&first, &p));
    let retry_at = f.0.state.borrow().breaker.retry_at.unwrap();
    let failed_at = f.now();
    // Half-way (the draw) through the time left, long before the cooldown would end.
    assert_eq!(
        retry_at,
        failed_at.saturating_add_ms((unusable_at.ms_since(failed_at) - 1) / 2)
    );
}

#[test]
fn expired_token_and_failing_mint_is_a_temporary_failure_naming_the_cause() {
    let f = world();
    let p = Policy::default();
    let e = engine(&f, &p);
    f.0.mint_fails.set(true);
    let err = inline(&e, None).unwrap_err();
    assert_eq!(err.code, Code::TempFail);
    assert!(err.message.contains("backend down"), "{}", err.message);
}

#[test]
fn breaker_opens_at_threshold_stops_minting_then_one_probe_closes_it() {
    let f = world();
    let p = Policy {
        breaker_cooldown: Duration::from_secs(60),
        ..Policy::default()
    };
    let e = engine(&f, &p);
    f.0.mint_fails.set(true);
    for _ in 0..3 {
        inline(&e, None).unwrap_err();
        advance(&f, SEC);
    }
    assert_eq!(f.0.mints.get(), 3);
    let err = inline(&e, None).unwrap_err();
    assert!(
        err.message.contains("circuit breaker open after 3"),
        "{}",
        err.message
    );
    assert!(err.message.contains("backend down"), "{}", err.message);
    assert_eq!(f.0.mints.get(), 3, "no mint while open");
    advance(&f, 60 * SEC);
    f.0.mint_fails.set(false);
    assert_eq!(inline(&e, None).unwrap().source, Source::Mint);
    assert_eq!(
        f.0.state.borrow().breaker.state(f.now()),
        BreakerState::Closed
    );
    assert!(f.0.violation.borrow().is_none());
}

#[test]
fn the_fleets_failing_answers_never_open_this_hosts_breaker_and_its_next_mint_goes_through() {
    let f = world();
    let p = Policy {
        breaker_cooldown: Duration::from_secs(60),
        ..Policy::default()
    };
    let e = engine(&f, &p);
    f.0.fleet_failing.set(true);
    for _ in 0..5 {
        let err = inline(&e, None).unwrap_err();
        assert_eq!(err.code, Code::TempFail);
        assert!(
            err.message
                .contains("the fleet's token API is failing until later"),
            "{}",
            err.message
        );
        advance(&f, SEC);
    }
    assert_eq!(f.0.mints.get(), 5, "each cold call asked the fleet");
    let breaker = f.0.state.borrow().breaker.clone();
    assert_eq!(breaker.consecutive_failures, 0);
    assert_eq!(breaker.open_until, None);
    assert_eq!(breaker.state(f.now()), BreakerState::Closed);
    // The record passes: the very next call mints (or takes the fleet's token), no cooldown.
    f.0.fleet_failing.set(false);
    assert_eq!(inline(&e, None).unwrap().source, Source::Mint);
    assert_eq!(f.0.mints.get(), 6);
    assert!(f.0.violation.borrow().is_none());
}

#[test]
fn failed_probe_reopens_the_breaker_for_longer() {
    let f = world();
    let p = Policy {
        breaker_cooldown: Duration::from_secs(60),
        ..Policy::default()
    };
    let e = engine(&f, &p);
    f.0.mint_fails.set(true);
    for _ in 0..3 {
        inline(&e, None).unwrap_err();
    }
    advance(&f, 60 * SEC);
    inline(&e, None).unwrap_err();
    assert_eq!(f.0.mints.get(), 4);
    // Doubled to 120 s, plus a random part more (this fake draws 0: the cooldown itself).
    let until = f.0.state.borrow().breaker.open_until.unwrap();
    assert_eq!(
        until,
        f.now().saturating_add_ms(crate::policy::jittered_cooldown(
            Duration::from_secs(120),
            0.0
        ))
    );
    assert!(
        until.ms_since(f.now()) > crate::policy::jittered_cooldown(Duration::from_secs(60), 0.0)
    );
}

#[test]
fn a_refresh_whose_new_token_cannot_be_saved_fails_while_a_caller_still_gets_its_token() {
    let f = world();
    let p = Policy::default();
    let e = engine(&f, &p);
    inline(&e, None).unwrap();
    f.0.save_fails.set(true);
    for force in [false, true] {
        let err = e.refresh(force).unwrap_err();
        // What the user is shown: the message, then the cache's own error as its cause.
        let shown = err.chain().to_string();
        assert_eq!(err.code, Code::IoErr, "{shown}");
        assert!(
            shown.contains("could not save") && shown.contains("No space left"),
            "{shown}"
        );
    }
    assert_eq!(
        f.0.state.borrow().entry.as_ref().unwrap().token.expose(),
        "tok-1"
    );
    // `token` with nothing usable cached: the new token is served though it is not cached.
    advance(&f, LIFETIME);
    let served = inline(&e, None).unwrap();
    assert_eq!(
        (served.entry.token.expose(), served.source),
        ("tok-4", Source::Mint)
    );
    // And a refresh that can save succeeds again.
    f.0.save_fails.set(false);
    assert_eq!(e.refresh(false).unwrap().token.expose(), "tok-5");
}

#[test]
fn explicit_refresh_respects_the_breaker_and_force_bypasses_it() {
    let f = world();
    let p = Policy::default();
    let e = engine(&f, &p);
    f.0.mint_fails.set(true);
    for _ in 0..3 {
        inline(&e, None).unwrap_err();
    }
    assert_eq!(e.refresh(false).unwrap_err().code, Code::TempFail);
    assert_eq!(f.0.mints.get(), 3);
    f.0.mint_fails.set(false);
    e.refresh(true).unwrap();
    assert_eq!(f.0.mints.get(), 4);
    assert_eq!(
        f.0.state.borrow().breaker.state(f.now()),
        BreakerState::Closed
    );
}

#[test]
fn min_ttl_beyond_what_the_backend_gives_is_a_temporary_failure() {
    let f = world();
    let p = Policy::default();
    let e = engine(&f, &p);
    let err = inline(&e, Some(Duration::from_secs(2 * 3600))).unwrap_err();
    assert_eq!(err.code, Code::TempFail);
    assert!(err.message.contains("--min-ttl"), "{}", err.message);
    // The token it minted is cached for callers that ask for less.
    assert_eq!(inline(&e, None).unwrap().source, Source::Cache);
}

#[test]
fn min_ttl_above_remaining_validity_mints_a_new_token() {
    let f = world();
    let p = Policy::default();
    let e = engine(&f, &p);
    inline(&e, None).unwrap();
    advance(&f, 30 * 60 * SEC);
    let served = inline(&e, Some(Duration::from_secs(45 * 60))).unwrap();
    assert_eq!(
        (served.entry.token.expose(), served.source),
        ("tok-2", Source::Mint)
    );
}

#[test]
fn a_min_ttl_longer_than_any_token_lives_mints_once_and_never_replaces_a_good_token() {
    let f = world();
    let p = Policy::default();
    let e = engine(&f, &p);
    let two_hours = Some(Duration::from_secs(2 * 3600));
    // No token yet: one mint, whose token (1 h) cannot satisfy 2 h.
    let err = inline(&e, two_hours).unwrap_err();
    assert_eq!(err.code, Code::TempFail);
    assert!(err.message.contains("tokens live 1h"), "{}", err.message);
    assert_eq!(f.0.mints.get(), 1);
    // The good 1 h token it left is kept: the next callers asking for 2 h fail at once.
    for _ in 0..5 {
        advance(&f, SEC);
        assert_eq!(inline(&e, two_hours).unwrap_err().code, Code::TempFail);
    }
    assert_eq!(f.0.mints.get(), 1);
    assert_eq!(inline(&e, None).unwrap().entry.token.expose(), "tok-1");
}

#[test]
fn a_min_ttl_just_under_the_lifetime_costs_one_mint_not_one_per_caller() {
    let f = world();
    f.0.lifetime.set(600 * SEC);
    f.0.latency.set(300);
    let p = Policy::default();
    let e = engine(&f, &p);
    // 9m59.9s: more than the token has left once the 300 ms mint has returned.
    let almost = Some(Duration::from_millis(600_000 - 100));
    assert_eq!(inline(&e, almost).unwrap_err().code, Code::TempFail);
    for _ in 0..3 {
        advance(&f, SEC);
        assert_eq!(inline(&e, almost).unwrap_err().code, Code::TempFail);
    }
    assert_eq!(f.0.mints.get(), 1);
}

#[test]
fn a_short_lived_sample_refuses_min_ttl_only_for_a_cooldown() {
    let f = world();
    f.0.lifetime.set(15 * 60 * SEC);
    let p = Policy::default();
    let e = engine(&f, &p);
    let hour = Some(Duration::from_secs(3600));
    assert!(inline(&e, hour).is_err());
    // The backend now gives 12 h tokens; within the cooldown nobody mints to find out.
    f.0.lifetime.set(12 * 3600 * SEC);
    advance(&f, 60 * SEC);
    let err = inline(&e, hour).unwrap_err();
    assert!(
        err.message.contains("no new mint for that until"),
        "{}",
        err.message
    );
    assert_eq!(f.0.mints.get(), 1);
    // After it, one mint finds out, and the caller gets its long token.
    advance(&f, crate::policy::ms(p.breaker_cooldown));
    let served = inline(&e, hour).unwrap();
    assert_eq!((served.entry.token.expose(), f.0.mints.get()), ("tok-2", 2));
}

#[test]
fn a_caller_without_min_ttl_replaces_a_newer_entry_it_cannot_trust() {
    let f = world();
    let p = Policy::default();
    let e = engine(&f, &p);
    inline(&e, None).unwrap();
    // Another host with a fast clock wrote an entry "issued" 10 minutes from now.
    let mut future = f.0.state.borrow().entry.clone().unwrap();
    future.issued_at = f.now().saturating_add_ms(10 * 60 * SEC);
    future.expires_at = future.issued_at.saturating_add_ms(LIFETIME);
    f.0.state.borrow_mut().entry = Some(future);
    let served = e.mint_for_caller(f.now(), None, None).unwrap();
    assert_eq!((served.entry.token.expose(), f.0.mints.get()), ("tok-2", 2));
}

#[test]
fn a_caller_that_waited_does_not_mint_again_when_the_new_token_is_still_too_short() {
    let f = world();
    let p = Policy::default();
    let e = engine(&f, &p);
    let two_hours = Some(Duration::from_secs(2 * 3600));
    // This caller saw no token, then waited while another process asking as much minted a 1 h
    // one.
    let waiting_since = f.now();
    inline(&e, two_hours).unwrap_err();
    assert_eq!(f.0.mints.get(), 1);
    let err = e
        .mint_for_caller(waiting_since, None, two_hours)
        .unwrap_err();
    assert_eq!(err.code, Code::TempFail);
    assert_eq!(
        f.0.mints.get(),
        1,
        "no second mint for the same short token"
    );
    // An expired token it saw is replaced as usual, and the new one is checked.
    advance(&f, 2 * LIFETIME);
    let seen = f.0.state.borrow().entry.as_ref().map(|e| e.issued_at);
    let err = e.mint_for_caller(f.now(), seen, two_hours).unwrap_err();
    assert_eq!(err.code, Code::TempFail);
    assert_eq!(f.0.mints.get(), 2);
}

#[test]
fn a_short_token_from_an_ordinary_mint_does_not_stop_the_first_min_ttl_caller_from_minting() {
    let f = world();
    f.0.lifetime.set(40 * SEC);
    let p = Policy::default();
    let e = engine(&f, &p);
    let ten_minutes = Some(Duration::from_secs(600));
    // An ordinary call caches a 40 s token; then the backend gives 2 h tokens.
    inline(&e, None).unwrap();
    f.0.lifetime.set(2 * 3600 * SEC);
    advance(&f, SEC);
    let served = inline(&e, ten_minutes).unwrap();
    assert_eq!(
        (served.entry.token.expose(), served.source),
        ("tok-2", Source::Mint)
    );
    // A caller that waited while an ordinary mint made a short token mints as well.
    f.0.lifetime.set(40 * SEC);
    advance(&f, 3 * 3600 * SEC);
    let waiting_since = f.now();
    let seen = f.0.state.borrow().entry.as_ref().map(|e| e.issued_at);
    inline(&e, None).unwrap();
    assert_eq!(f.0.mints.get(), 3);
    f.0.lifetime.set(2 * 3600 * SEC);
    let served = e.mint_for_caller(waiting_since, seen, ten_minutes).unwrap();
    assert_eq!((served.entry.token.expose(), f.0.mints.get()), ("tok-4", 4));
}

#[test]
fn only_a_min_ttl_mint_that_fell_short_holds_the_next_min_ttl_callers_off() {
    let f = world();
    f.0.lifetime.set(40 * SEC);
    let p = Policy::default();
    let e = engine(&f, &p);
    let ten_minutes = Some(Duration::from_secs(600));
    inline(&e, None).unwrap();
    // The first caller the 40 s token cannot satisfy mints once, and still falls short.
    advance(&f, SEC);
    assert_eq!(inline(&e, ten_minutes).unwrap_err().code, Code::TempFail);
    assert_eq!(f.0.mints.get(), 2);
    // The callers after it (asking as much, or more) fail at once without minting.
    for asked in [600, 900, 3600] {
        advance(&f, SEC);
        let err = inline(&e, Some(Duration::from_secs(asked))).unwrap_err();
        assert_eq!(err.code, Code::TempFail);
        assert!(
            err.message.contains("no new mint for that until"),
            "{}",
            err.message
        );
    }
    assert_eq!(f.0.mints.get(), 2);
}

#[test]
fn a_token_claiming_an_absurd_lifetime_is_refused_for_every_backend() {
    let f = world();
    let p = Policy::default();
    let e = engine(&f, &p);
    // Milliseconds read as seconds: tens of thousands of years.
    f.0.lifetime.set(1_800_000_000_000 * SEC);
    let err = inline(&e, None).unwrap_err();
    assert_eq!(err.code, Code::TempFail);
    assert!(err.message.contains("milliseconds"), "{}", err.message);
    assert_eq!(f.0.state.borrow().entry, None, "nothing absurd is cached");
    f.0.lifetime.set(i64::MAX);
    assert!(inline(&e, None).is_err());
    // The longest that is believed still is.
    f.0.lifetime
        .set(crate::policy::ms(crate::policy::MAX_TOKEN_LIFETIME));
    assert!(inline(&e, None).is_ok());
}

#[test]
fn waiting_caller_shares_the_failure_of_the_mint_it_waited_for() {
    let f = world();
    let p = Policy::default();
    let e = engine(&f, &p);
    f.0.mint_fails.set(true);
    // Another process's failed mint lands while this caller waits.
    let waiting_since = f.now();
    advance(&f, SEC);
    let mut b = f.0.state.borrow().breaker.clone();
    b.record_failure(f.now(), &MintError::rejected("denied"), None, &p, 1.0);
    f.0.state.borrow_mut().breaker = b;
    let err = e.mint_for_caller(waiting_since, None, None).unwrap_err();
    assert_eq!(err.code, Code::NoPerm);
    assert_eq!(f.0.mints.get(), 0);
}

#[test]
fn short_lived_tokens_do_not_cause_a_mint_on_every_call() {
    let f = world();
    f.0.lifetime.set(20 * SEC); // shorter than floor (5 min) and min_ttl (30 s)
    let p = Policy::default();
    let e = engine(&f, &p);
    for _ in 0..30 {
        inline(&e, None).unwrap();
        advance(&f, SEC);
    }
    // Floor and min_ttl are clamped: one mint per half lifetime (at 0, 10 and 20 s).
    assert_eq!(f.0.mints.get(), 3, "30 calls over 30 s of 20 s tokens");
}

#[test]
fn rejected_credentials_exit_77() {
    struct Deny;
    impl Mint for Deny {
        fn mint(&self, _: EpochMs) -> std::result::Result<Minted, MintError> {
            Err(MintError {
                kind: FailureKind::Rejected,
                message: "denied".into(),
            })
        }
    }
    let f = world();
    let p = Policy::default();
    let e = Engine {
        target: "t",
        policy: &p,
        store: f.clone(),
        mint: Deny,
        clock: f.clone(),
        random: || 0.0,
    };
    assert_eq!(
        e.token(None, Refresh::Inline).unwrap_err().code,
        Code::NoPerm
    );
}

#[derive(Debug, Clone)]
enum Step {
    /// Let time pass: this fraction of the token lifetime.
    Wait(f64),
    /// The backend goes down or comes back.
    Backend(bool),
    /// A caller, optionally asking for a minimum TTL (this fraction of the token lifetime), with
    /// background or inline refresh.
    Call {
        min_ttl: Option<f64>,
        background: bool,
    },
    /// The background refresh in flight (if any) runs.
    Background,
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        4 => (0.0..1.0 / 3.0).prop_map(Step::Wait),
        1 => any::<bool>().prop_map(Step::Backend),
        6 => (prop::option::weighted(0.2, 0.0..1.5), any::<bool>())
            .prop_map(|(min_ttl, background)| Step::Call { min_ttl, background }),
        2 => Just(Step::Background),
    ]
}

thread_local! {
    /// What [`drawn`] returns: the schedule's random draw.
    static DRAW: Cell<f64> = const { Cell::new(0.0) };
}

/// The engine's random source in the schedules: the draw the schedule was generated with.
fn drawn() -> f64 {
    DRAW.with(Cell::get)
}

/// Token lifetimes from a second to 12 hours (CodeArtifact's longest), in ms.
fn lifetime() -> impl Strategy<Value = i64> {
    prop_oneof![
        SEC..=12 * 3600 * SEC,
        prop::sample::select(vec![SEC, LIFETIME, 12 * 3600 * SEC])
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    /// Over random schedules of time, outages, callers and background refreshes, for any token
    /// lifetime and any random draw (each mint's jitter, each failure's wait):
    /// a served token is always usable for its caller; every mint holds the lock (at most one in
    /// flight) and none happens while the breaker is open; a caller whose token was usable is
    /// always served; a caller whose token was fresh never causes a mint; every cached token is
    /// fresh when minted and becomes due for refresh before it becomes unusable.
    #[test]
    fn policy_invariants_hold_over_random_schedules(
        steps in prop::collection::vec(step(), 1..60),
        lifetime in lifetime(),
        draw in prop_oneof![1 => Just(0.0), 8 => 0.0..1.0],
    ) {
        let f = world();
        f.0.lifetime.set(lifetime);
        DRAW.with(|d| d.set(draw));
        let p = Policy { breaker_cooldown: Duration::from_secs(600), ..Policy::default() };
        let e = Engine { random: drawn, ..engine(&f, &p) };
        let pending: RefCell<Option<FakeLock>> = RefCell::new(None);
        for s in steps {
            match s {
                Step::Wait(share) => advance(&f, (lifetime as f64 * share) as i64),
                Step::Backend(up) => f.0.mint_fails.set(!up),
                Step::Background => {
                    if let Some(lock) = pending.take() {
                        let _ = e.refresh_in_background(lock);
                    }
                }
                Step::Call { min_ttl, background } => {
                    let ttl = min_ttl.map(|share| Duration::from_millis((lifetime as f64 * share) as u64));
                    let now = f.now();
                    let before = f.0.state.borrow().clone();
                    let mints_before = f.0.mints.get();
                    let was = policy::freshness(now, before.entry.as_ref(), &p, ttl);
                    let spawn = |lock: FakeLock| { *pending.borrow_mut() = Some(lock); Ok(()) };
                    let refresh = if background { Refresh::Background(&spawn) } else { Refresh::Inline };
                    let result = e.token(ttl, refresh);
                    if let Ok(served) = &result {
                        let need = ttl.map_or(0, policy::ms);
                        prop_assert!(served.entry.expires_at.saturating_sub_ms(need) > now, "served a token not usable for its caller");
                        prop_assert!(served.entry.expires_at > now);
                    }
                    if was != Freshness::Unusable {
                        prop_assert!(result.is_ok(), "usable token not served: {:?}", result.err());
                    }
                    if was == Freshness::Fresh {
                        prop_assert_eq!(f.0.mints.get(), mints_before, "fresh token caused a mint");
                    }
                    prop_assert!(f.0.mints.get() <= mints_before + 1, "one call, at most one mint");
                }
            }
            prop_assert!(f.0.violation.borrow().is_none(), "{:?}", f.0.violation.borrow());
            if let Some(cached) = &f.0.state.borrow().entry {
                prop_assert_eq!(
                    policy::freshness(cached.issued_at, Some(cached), &p, None),
                    Freshness::Fresh,
                    "not fresh when minted: {:?}", cached
                );
                let unusable_at = cached.expires_at.saturating_sub_ms(policy::effective_min_ttl(cached, &p));
                prop_assert!(cached.refresh_at < unusable_at, "never due before unusable: {:?}", cached);
            }
        }
    }
}

#[test]
fn clock_jumping_back_and_forth_never_serves_an_expired_token_nor_mints_in_a_loop() {
    let f = world();
    let p = Policy::default();
    let e = engine(&f, &p);
    let base = f.0.now.get();
    inline(&e, None).unwrap();
    // Back a day: the entry now looks issued in the future and is replaced, once.
    f.0.now.set(base - 24 * 3600 * SEC);
    for _ in 0..5 {
        let served = inline(&e, None).unwrap();
        assert!(served.entry.expires_at > f.now());
        advance(&f, SEC);
    }
    assert_eq!(f.0.mints.get(), 2);
    // Forward two days: everything cached has expired; one mint, then cache hits.
    f.0.now.set(base + 48 * 3600 * SEC);
    for _ in 0..5 {
        let served = inline(&e, None).unwrap();
        assert!(served.entry.expires_at > f.now());
        advance(&f, SEC);
    }
    assert_eq!(f.0.mints.get(), 3);
}

#[test]
fn a_breaker_opened_before_the_clock_went_back_lets_a_probe_through() {
    let f = world();
    let p = Policy {
        breaker_cooldown: Duration::from_secs(600),
        ..Policy::default()
    };
    let e = engine(&f, &p);
    f.0.mint_fails.set(true);
    for _ in 0..3 {
        inline(&e, None).unwrap_err();
    }
    assert!(
        inline(&e, None)
            .unwrap_err()
            .message
            .contains("circuit breaker open")
    );
    f.0.now.set(f.0.now.get() - 3600 * SEC);
    f.0.mint_fails.set(false);
    assert_eq!(inline(&e, None).unwrap().source, Source::Mint);
    assert!(f.0.violation.borrow().is_none());
}
