//! The fuzz targets (`src/fuzzing.rs`, run by cargo-fuzz from `fuzz/`) as property tests, so
//! every `cargo test` throws random and structured input at each of them. A panic fails.

use ecluse_cred::fuzzing;
use ecluse_cred::mint::MintError;
use ecluse_cred::policy::{MAX_TOKEN_LIFETIME, ms};
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{FailurePersistence, FileFailurePersistence, TestRunner};

/// Where proptest saves a failing case's seed and replays it from before any new case: the
/// committed `tests/fuzz.proptest-regressions`, named after this file. (`SourceParallel`, the
/// default, looks for a `lib.rs` above `tests/`, warns, and falls back to this same file.)
const REGRESSIONS: FileFailurePersistence =
    FileFailurePersistence::WithSource("proptest-regressions");

/// `cases` generated cases per property, after the committed regression seeds.
fn runs(cases: u32) -> ProptestConfig {
    ProptestConfig {
        cases,
        failure_persistence: Some(Box::new(REGRESSIONS)),
        ..ProptestConfig::default()
    }
}

/// Cases sampled (with a fixed seed) to measure how many of a generator's cases get past the
/// input's first check.
const SAMPLES: u32 = 2000;
/// The least share of generated cases that must get past that check and reach the code behind
/// it: below it, the property mostly tests the parser's refusals.
const MIN_ACCEPTED: f64 = 0.5;

/// The share of [`SAMPLES`] cases of `strategy` that `accepted` says were accepted.
fn accepted_share<T>(strategy: impl Strategy<Value = T>, accepted: impl Fn(T) -> bool) -> f64 {
    let mut runner = TestRunner::deterministic();
    let hits = (0..SAMPLES)
        .filter(|_| accepted(strategy.new_tree(&mut runner).expect("a case").current()))
        .count();
    hits as f64 / f64::from(SAMPLES)
}

/// Asserts that most of a generator's cases are accepted, and that some are refused, so that
/// both the code behind the check and the check itself are exercised.
fn assert_mostly_accepted(what: &str, share: f64) {
    assert!(
        (MIN_ACCEPTED..1.0).contains(&share),
        "{share:.2} of generated {what} accepted: want at least {MIN_ACCEPTED} and some refused"
    );
}

/// Milliseconds in a day and a year.
const DAY: i64 = 24 * 3600 * 1000;
const YEAR: i64 = 365 * DAY;
/// A realistic "now" (2027-01-15) in epoch ms: issue times are drawn around it.
const NOW_MS: i64 = 1_800_000_000_000;

/// An issue time: within a few years of [`NOW_MS`], or (rarely) at either end of time, where
/// the policy's arithmetic must saturate.
fn issue_time() -> impl Strategy<Value = i64> {
    prop_oneof![
        8 => NOW_MS - 3 * YEAR..=NOW_MS + 3 * YEAR,
        1 => i64::MIN..=i64::MIN + DAY,
        1 => i64::MAX - DAY..=i64::MAX,
    ]
}

/// A token lifetime in ms: mostly within what the cache accepts (up to [`MAX_TOKEN_LIFETIME`]),
/// at its edges, and sometimes outside it.
fn lifetime() -> impl Strategy<Value = i64> {
    let longest = ms(MAX_TOKEN_LIFETIME);
    prop_oneof![
        8 => 1..=longest,
        1 => prop::sample::select(vec![1, 1000, longest]),
        1 => prop_oneof![i64::MIN..=0, longest + 1..=i64::MAX],
    ]
}

/// An instant near `base` (within `spread` ms either way), or anywhere.
fn near(base: i64, spread: i64) -> impl Strategy<Value = i64> {
    prop_oneof![4 => -spread..=spread, 1 => any::<i64>().prop_map(move |t| t.wrapping_sub(base))]
        .prop_map(move |d| base.saturating_add(d))
}

/// Tokens: mostly clean, sometimes empty or holding a control character, which the cache
/// refuses as a mint would be refused.
fn token() -> impl Strategy<Value = String> {
    prop_oneof![
        8 => "[A-Za-z0-9._~+/=-]{1,40}",
        1 => Just(String::new()),
        1 => "[a-z]{0,4}[\\n\\t\\r\\x1b\\x00\\x7f\\u{85}][a-z]{0,4}",
    ]
}

/// A cache file for the fuzz entry point's target, and whether the cache must accept it: a
/// realistic entry (issued around now, expiring within the accepted lifetime, refresh point
/// and jitter in and around their range, the optional receipt time and `--min-ttl`) with a
/// breaker (failures, and opening, failure and retry times around the entry), or the same at
/// the ends of time.
fn cache_file() -> impl Strategy<Value = (Vec<u8>, bool)> {
    let entry = (issue_time(), lifetime(), token()).prop_flat_map(|(issued, lifetime, token)| {
        let expires = issued.saturating_add(lifetime);
        (
            Just((issued, expires, token)),
            prop_oneof![
                6 => (-0.2..1.2f64).prop_map(move |f| issued.saturating_add((lifetime as f64 * f) as i64)),
                1 => any::<i64>(),
            ],
            prop_oneof![6 => 0.0..1.0f64, 1 => -1.0..2.0f64, 1 => any::<f64>()],
            prop::option::of(near(issued, 120_000)),
            prop::option::of(prop_oneof![0..=lifetime.saturating_mul(2).max(0), any::<i64>()]),
            (
                prop_oneof![0..=5u32, any::<u32>()],
                prop::option::of(near(issued, 2 * 3600 * 1000)),
                prop::option::of(near(issued, 2 * 3600 * 1000)),
                prop::option::of(near(issued, 2 * 3600 * 1000)),
            ),
        )
    });
    entry.prop_map(
        |((issued, expires, token), refresh, jitter, received, min_ttl, breaker)| {
            let (failures, open_until, failed_at, retry_at) = breaker;
            let accepted = !token.is_empty()
                && !token.chars().any(char::is_control)
                && expires > issued
                && expires - issued <= ms(MAX_TOKEN_LIFETIME)
                && jitter.is_finite();
            let file = serde_json::json!({"version": 1, "target": fuzzing::CACHE_TARGET,
                "settings_hash": fuzzing::CACHE_SETTINGS_HASH,
                "entry": {"token": token, "issued_at": issued, "expires_at": expires,
                    "refresh_at": refresh, "jitter": jitter, "expiry_source": "fuzz",
                    "received_at": received, "minted_for_min_ttl": min_ttl},
                "breaker": {"consecutive_failures": failures, "open_until": open_until,
                    "last_error": failures.checked_sub(1).map(|_| MintError::transient("down")),
                    "last_failure_at": failed_at, "retry_at": retry_at}});
            (file.to_string().into_bytes(), accepted)
        },
    )
}

/// A config key, with values it takes and values the config refuses, as TOML.
type Key = (
    &'static str,
    &'static [&'static str],
    &'static [&'static str],
);

/// Every key of a `[policy]` section (`src/config.rs`, `RawPolicy`), in and out of range.
const POLICY_KEYS: [Key; 8] = [
    (
        "refresh_at",
        &["0.8", "0.5", "0.35", "0.99"],
        &["0.0", "1.0", "1.5", "-0.1", "nan", "\"0.8\""],
    ),
    (
        "jitter",
        &["0.0", "0.05", "0.3"],
        &["-0.01", "0.999", "1.0", "inf"],
    ),
    (
        "floor",
        &["\"5m\"", "0", "\"1h 30m\"", "300"],
        &["-1", "\"soon\"", "1.5", "true"],
    ),
    (
        "min_ttl",
        &["\"30s\"", "0", "\"2m\""],
        &["-5", "\"x\"", "[]"],
    ),
    (
        "breaker_threshold",
        &["1", "3", "4294967295"],
        &["0", "-1", "4294967296", "\"3\""],
    ),
    (
        "breaker_cooldown",
        &["\"5m\"", "60", "\"1h\""],
        &["-60", "\"later\""],
    ),
    (
        "mint_timeout",
        &["\"30s\"", "1", "86400", "\"24h\""],
        &["0", "\"0\"", "86401", "\"2d\""],
    ),
    (
        "lock_timeout",
        &["\"60s\"", "0", "86400"],
        &["86401", "\"25h\"", "-1"],
    ),
];

/// The keys of a target section besides its backend's (`RawCommon`).
const COMMON_KEYS: [Key; 3] = [
    ("username", &["\"aws\"", "\"oauth2accesstoken\""], &["1"]),
    (
        "urls",
        &[
            "[\"https://pkgs.example.com/\"]",
            "[\"http://127.0.0.1:8080/index/\", \"https://pkgs.example.com/npm/\"]",
        ],
        &["[\"not a url\"]", "\"https://pkgs.example.com/\""],
    ),
    ("git_auth", &["\"basic\"", "\"bearer\""], &["\"digest\""]),
];

/// Each backend (`contract/src/backend.rs`, `Backend`) with its required and optional keys.
const BACKENDS: [(&str, &[Key], &[Key]); 4] = [
    (
        "command",
        &[(
            "command",
            &["[\"/usr/local/bin/mint\"]", "[\"x\", \"--repo\", \"b\"]"],
            &["[]", "[\"\"]", "\"x\""],
        )],
        &[],
    ),
    (
        "codeartifact",
        &[(
            "domain",
            &["\"my-domain\"", "\"d0\""],
            &["\"My_Domain\"", "\"x\"", "\"\""],
        )],
        &[
            (
                "domain_owner",
                &["\"111122223333\""],
                &["\"1234\"", "\"abcdefghijkl\""],
            ),
            ("region", &["\"us-east-1\"", "\"cn-north-1\""], &["1"]),
            (
                "duration",
                &["\"0\"", "\"15m\"", "\"12h\"", "900", "43200"],
                &["\"14m\"", "\"13h\"", "899", "43201", "-1"],
            ),
            ("profile", &["\"dev\""], &["true"]),
        ],
    ),
    (
        "gcp",
        &[],
        &[
            (
                "scopes",
                &["[\"https://www.googleapis.com/auth/cloud-platform\"]"],
                &["[]", "[\"\"]"],
            ),
            ("lifetime", &["\"1h\"", "60"], &["\"0\"", "0", "\"x\""]),
        ],
    ),
    (
        "oauth2",
        &[
            (
                "token_url",
                &[
                    "\"https://auth.example.com/token\"",
                    "\"http://127.0.0.1:8080/t\"",
                ],
                &[
                    "\"ftp://auth.example.com/\"",
                    "\"https://u:p@auth.example.com/\"",
                    "\"not a url\"",
                ],
            ),
            ("client_id", &["\"id\""], &["\"\""]),
            ("client_secret_env", &["\"SECRET\""], &["\"\""]),
        ],
        &[
            ("scope", &["\"read\""], &["1"]),
            ("client_auth", &["\"basic\"", "\"post\""], &["\"digest\""]),
        ],
    ),
];

/// Lines no target section takes: a secret in the file, a second secret source, a stray key.
const STRAY_LINES: [&str; 3] = [
    "client_secret = \"s\"\n",
    "client_secret_file = \"/run/secret\"\n",
    "colour = \"blue\"\n",
];

/// `key = value` for `key`: mostly a value it takes, sometimes one it refuses.
fn key_line(key: Key) -> BoxedStrategy<String> {
    let (name, takes, refuses) = key;
    prop_oneof![20 => prop::sample::select(takes), 1 => prop::sample::select(refuses)]
        .prop_map(move |value| format!("{name} = {value}\n"))
        .boxed()
}

/// Some of `keys`, each with a value.
fn some_keys(keys: &'static [Key]) -> impl Strategy<Value = String> {
    prop::sample::subsequence(keys, 0..=keys.len())
        .prop_flat_map(|keys| keys.into_iter().map(key_line).collect::<Vec<_>>())
        .prop_map(|lines| lines.concat())
}

/// A config file from the real keys: optional `[policy]` defaults and a `[targets.NAME]` with a
/// backend, its required keys, some of its optional and common keys, rarely a line no target
/// takes, and an optional `[targets.NAME.policy]`; values mostly in range. NAME is rarely a
/// cloud registry host, which no configured target may be named.
fn config_file() -> impl Strategy<Value = String> {
    let target = prop::sample::select(&BACKENDS[..]).prop_flat_map(|(kind, required, optional)| {
        (
            Just(kind),
            required.iter().copied().map(key_line).collect::<Vec<_>>(),
            some_keys(optional),
            some_keys(&COMMON_KEYS),
            prop::option::weighted(0.05, prop::sample::select(&STRAY_LINES[..])),
            prop::option::of(some_keys(&POLICY_KEYS)),
        )
    });
    (
        prop::option::of(some_keys(&POLICY_KEYS)),
        prop_oneof![39 => prop::sample::select(vec!["build", "npm", "ci-1"]), 1 => Just("\"us-python.pkg.dev\"")],
        target,
    )
        .prop_map(|(defaults, name, (kind, required, optional, common, stray, policy))| {
            let mut text = String::new();
            if let Some(keys) = defaults {
                text.push_str(&format!("[policy]\n{keys}"));
            }
            text.push_str(&format!("[targets.{name}]\nbackend = \"{kind}\"\n{}{optional}{common}", required.concat()));
            text.push_str(stray.unwrap_or_default());
            if let Some(keys) = policy {
                text.push_str(&format!("[targets.{name}.policy]\n{keys}"));
            }
            text
        })
}

/// A mint's stdout and whether it must be accepted: a token (clean, empty, or holding a control
/// character, which must be refused), and an expiry in each form a mint may print (`expires_in`
/// as a number or a string, `expires_at` as epoch seconds or RFC 3339) for a lifetime mostly
/// within what is accepted (up to [`MAX_TOKEN_LIFETIME`]), sometimes past or beyond it.
fn mint_stdout() -> impl Strategy<Value = (Vec<u8>, bool)> {
    let longest = i64::try_from(MAX_TOKEN_LIFETIME.as_secs()).expect("a year in seconds");
    let lifetime_s = prop_oneof![
        8 => 1..=longest,
        1 => prop::sample::select(vec![1, longest]),
        1 => prop_oneof![-YEAR / 1000..=0, longest + 1..=100 * longest],
    ];
    (token(), lifetime_s, 0..4u8).prop_map(move |(token, secs, form)| {
        let expires_at = fuzzing::MINT_STARTED.as_secs() + secs;
        let expiry = match form {
            0 => format!("\"expires_in\":{secs}"),
            1 => format!("\"expires_in\":\"{secs}\""),
            2 => format!("\"expires_at\":{expires_at}"),
            _ => format!(
                "\"expires_at\":\"{}\"",
                jiff::Timestamp::from_second(expires_at).expect("a representable time")
            ),
        };
        let accepted = !token.is_empty()
            && !token.chars().any(char::is_control)
            && (1..=longest).contains(&secs);
        let stdout = format!("{{\"token\":{},{expiry}}}", serde_json::Value::from(token));
        (stdout.into_bytes(), accepted)
    })
}

/// Bytes that look like the input of each target often enough to get past its first check.
fn urlish() -> impl Strategy<Value = String> {
    prop_oneof![
        "(sparse\\+)?(https?|ftp)://([a-zA-Z0-9@:._-]{0,30})(/[a-zA-Z0-9%._~-]{0,12}){0,4}/?(\\?[a-z=&]{0,10})?",
        "[a-z0-9]{1,12}-[0-9]{12}\\.d\\.codeartifact\\.[a-z]{2}-[a-z]{4,9}-[0-9]\\.amazonaws\\.com(\\.cn)?(/[a-z]{1,8}){0,3}",
        "https://[a-z0-9-]{1,15}-(docker|python|npm|maven|apt|go)\\.pkg\\.dev(/[a-z]{1,8}){0,3}",
        "[\\PC]{0,60}",
    ]
}

proptest! {
    #![proptest_config(runs(2000))]

    #[test]
    fn config_parsing_never_panics(data in prop::collection::vec(any::<u8>(), 0..400)) {
        fuzzing::config(&data);
    }

    /// Configs from the real keys, in and out of range: what is accepted holds only valid
    /// policies and backend settings (`fuzzing::config` checks).
    #[test]
    fn accepted_configs_hold_only_valid_settings(text in config_file()) {
        fuzzing::config(text.as_bytes());
    }

    #[test]
    fn cache_parsing_never_panics(data in prop::collection::vec(any::<u8>(), 0..400)) {
        fuzzing::cache(&data);
    }

    /// The cache accepts what a mint would have (see `cache_file`), and what it accepts is
    /// planned at any time without panicking.
    #[test]
    fn cached_entries_are_accepted_as_minted_and_planned_without_panicking((data, accepted) in cache_file()) {
        prop_assert_eq!(fuzzing::cache(&data), accepted);
    }

    #[test]
    fn url_resolution_never_panics_and_names_are_safe(url in urlish()) {
        fuzzing::resolve(url.as_bytes());
        fuzzing::docker_stdin(url.as_bytes());
    }

    #[test]
    fn keyring_argv_never_panics(args in prop::collection::vec(prop_oneof![
        Just("get".to_owned()), Just("--mode".to_owned()), Just("--mode=creds".to_owned()),
        Just("--output=json".to_owned()), Just("--output".to_owned()), Just("-b".to_owned()), "[\\PC]{0,12}",
    ], 0..6)) {
        fuzzing::keyring_argv(args.join("\0").as_bytes());
    }

    #[test]
    fn git_requests_never_panic(data in prop_oneof![
        prop::collection::vec(any::<u8>(), 0..300),
        "((protocol|host|path|username|wwwauth\\[\\]|capability\\[\\])=[\\PC]{0,20}\n){0,6}\n?".prop_map(String::into_bytes),
    ]) {
        fuzzing::git_request(&data);
    }

    #[test]
    fn cargo_requests_never_panic(data in prop_oneof![
        prop::collection::vec(any::<u8>(), 0..300),
        (prop::sample::select(vec!["get", "login", "logout", "unknown"]), prop::collection::vec("(--target|--target=[a-z]{0,5}|[a-z-]{0,8})", 0..4))
            .prop_map(|(kind, args)| serde_json::json!({"v": 1, "registry": {"index-url": "sparse+https://x/"},
                "kind": kind, "operation": "read", "args": args}).to_string().into_bytes()),
    ]) {
        fuzzing::cargo_request(&data);
    }

    #[test]
    fn mint_responses_never_panic(data in prop::collection::vec(any::<u8>(), 0..300)) {
        fuzzing::mint_response(&data);
    }

    /// A token with a control character (`\n`, `\t`, `\x1b`, ...) or an expiry outside the
    /// accepted lifetime is refused, never cached; a clean one within it is accepted.
    #[test]
    fn mint_responses_are_accepted_only_with_a_clean_token_and_a_lifetime_in_range((data, accepted) in mint_stdout()) {
        prop_assert_eq!(fuzzing::mint_response(&data), accepted);
    }
}

/// Most generated cache files are accepted and planned: the property reaches the policy.
#[test]
fn most_generated_cache_files_reach_the_policy() {
    let share = accepted_share(cache_file(), |(data, _)| fuzzing::cache(&data));
    assert_mostly_accepted("cache files", share);
}

/// Most generated configs have a target and are accepted: the property reaches the checks of
/// what an accepted config holds.
#[test]
fn most_generated_configs_are_accepted_with_their_target() {
    let share = accepted_share(config_file(), |text| fuzzing::config(text.as_bytes()));
    assert_mostly_accepted("configs", share);
}

/// The key tables say true: each value listed as taken is accepted, and each listed as refused
/// is refused, alone in an otherwise valid config (so the generator's out-of-range values do
/// reach the checks, and its in-range ones get past them).
#[test]
fn every_listed_config_value_is_taken_or_refused_as_listed() {
    for (kind, required, optional) in BACKENDS {
        let valid = |keys: &[Key]| -> String {
            keys.iter()
                .map(|(name, takes, _)| format!("{name} = {}\n", takes[0]))
                .collect()
        };
        let target = format!("[targets.build]\nbackend = \"{kind}\"\n");
        // The target with its required keys valid, `line`, and then `policy`.
        let with = |line: &str, policy: &str| format!("{target}{}{line}{policy}", valid(required));
        // Each config, and whether it must be accepted.
        let mut checks: Vec<(String, bool)> = Vec::new();
        for &(name, takes, refuses) in required.iter() {
            let others: Vec<Key> = required.iter().copied().filter(|k| k.0 != name).collect();
            for (values, ok) in [(takes, true), (refuses, false)] {
                for value in values {
                    checks.push((format!("{target}{}{name} = {value}\n", valid(&others)), ok));
                }
            }
        }
        for &(name, takes, refuses) in optional.iter().chain(&COMMON_KEYS) {
            for (values, ok) in [(takes, true), (refuses, false)] {
                for value in values {
                    checks.push((with(&format!("{name} = {value}\n"), ""), ok));
                }
            }
        }
        for &(name, takes, refuses) in &POLICY_KEYS {
            for (values, ok) in [(takes, true), (refuses, false)] {
                for value in values {
                    let line = format!("{name} = {value}\n");
                    checks.push((with("", &format!("[targets.build.policy]\n{line}")), ok));
                    checks.push((format!("[policy]\n{line}{}", with("", "")), ok));
                }
            }
        }
        for (text, ok) in checks {
            assert_eq!(fuzzing::config(text.as_bytes()), ok, "{text}");
        }
    }
}

/// Most generated mint responses are accepted: the property reaches what is cached.
#[test]
fn most_generated_mint_responses_are_accepted() {
    let share = accepted_share(mint_stdout(), |(data, _)| fuzzing::mint_response(&data));
    assert_mostly_accepted("mint responses", share);
}

/// proptest reads the committed regressions file: its seeds are replayed before new cases.
#[test]
fn the_committed_regression_seeds_are_replayed() {
    let seeds = REGRESSIONS.load_persisted_failures2(Some(file!()));
    assert!(
        !seeds.is_empty(),
        "no seeds read from tests/fuzz.proptest-regressions"
    );
}

/// Inputs that once found bugs or sit on edges, replayed by name.
#[test]
fn known_edge_inputs() {
    for url in [
        "",
        "https://",
        "sparse+",
        "h:99999",
        "https://[::1]:8080/x",
        "https://user:pa@ss@h/",
        "%%%",
        "https://a..b/",
    ] {
        fuzzing::resolve(url.as_bytes());
    }
    // Each cache entry is one the cache accepts (a clean token, a lifetime within the
    // accepted one), so it reaches the policy.
    let hour = 3_600_000;
    for (why, entry, breaker) in [
        (
            "issued at the start of time, due at its end, with an absurd jitter",
            serde_json::json!({"issued_at": i64::MIN, "expires_at": i64::MIN + hour,
                "refresh_at": i64::MAX, "jitter": 1e308}),
            serde_json::json!({"consecutive_failures": 0}),
        ),
        (
            // Found by cache_parsing_never_panics (the seed in tests/fuzz.proptest-regressions,
            // issued at 0): its expiry minus its refresh point overflowed i64 (fixed with
            // saturating arithmetic in the policy). Issued an hour before its expiry here, so
            // the cache lets it through.
            "expiry minus refresh point one past i64::MAX",
            serde_json::json!({"issued_at": 2_808_776_824_663_698_446_i64 - hour,
                "expires_at": 2_808_776_824_663_698_446_i64,
                "refresh_at": -6_414_595_212_191_077_362_i64, "jitter": -0.0}),
            serde_json::json!({"consecutive_failures": 0}),
        ),
        (
            "expiring at the end of time, received then, minted for the longest --min-ttl, breaker open until then",
            serde_json::json!({"issued_at": i64::MAX - hour, "expires_at": i64::MAX,
                "refresh_at": i64::MIN, "jitter": 0.0, "received_at": i64::MAX,
                "minted_for_min_ttl": i64::MAX}),
            serde_json::json!({"consecutive_failures": u32::MAX, "open_until": i64::MAX,
                "last_failure_at": i64::MAX, "retry_at": i64::MAX}),
        ),
    ] {
        let mut entry = entry;
        entry["token"] = "x".into();
        entry["expiry_source"] = "".into();
        let file = serde_json::json!({"version": 1, "target": fuzzing::CACHE_TARGET,
            "settings_hash": fuzzing::CACHE_SETTINGS_HASH, "entry": entry, "breaker": breaker});
        assert!(
            fuzzing::cache(file.to_string().as_bytes()),
            "refused before the policy ran: {why}"
        );
    }
    // A lifetime past the longest accepted (in ms read as seconds) and an expiry before 1970.
    assert!(!fuzzing::mint_response(
        br#"{"token":"x","expires_in":1e308}"#
    ));
    assert!(!fuzzing::mint_response(
        br#"{"token":"x","expires_at":-1e308}"#
    ));
}

proptest! {
    #![proptest_config(runs(1000))]

    #[test]
    fn bazel_requests_never_panic(data in prop_oneof![
        prop::collection::vec(any::<u8>(), 0..300),
        urlish().prop_map(|u| serde_json::json!({"uri": u}).to_string().into_bytes()),
    ]) {
        fuzzing::bazel_request(&data);
    }

    #[test]
    fn goauth_input_never_panics(url in urlish(), status in "(HTTP/1\\.[01] [0-9]{3}[ A-Za-z]{0,12})?\n([A-Za-z-]{1,10}: [ -~]{0,20}\n){0,3}\n?") {
        fuzzing::goauth_input(format!("{url}\n{status}").as_bytes());
    }

    #[test]
    fn terraform_hosts_never_panic(host in prop_oneof![urlish(), "[a-z0-9.:\\[\\]%\\\\@-]{0,40}".prop_map(String::from)]) {
        fuzzing::terraform_host(host.as_bytes());
    }
}
