//! The fuzz targets (`src/fuzzing.rs`, run by cargo-fuzz from `fuzz/`) as property tests, so
//! every `cargo test` throws random and structured input at each of them. A panic fails.

use ecluse_cred::fuzzing;
use proptest::prelude::*;

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
    #![proptest_config(ProptestConfig { cases: 2000, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn config_parsing_never_panics(data in prop_oneof![
        prop::collection::vec(any::<u8>(), 0..400),
        "(\\[(policy|targets\\.[a-z]{1,5}(\\.policy)?)\\]\n([a-z_]{1,18} = (\"[0-9a-z ]{0,8}\"|-?[0-9.]{1,6}|true|\\[\"[a-z/]{0,8}\"\\])\n){0,5}){0,4}".prop_map(String::into_bytes),
    ]) {
        fuzzing::config(&data);
    }

    #[test]
    fn cache_parsing_never_panics(data in prop_oneof![
        prop::collection::vec(any::<u8>(), 0..400),
        (any::<i64>(), any::<i64>(), any::<i64>(), any::<f64>(), any::<u32>(), any::<Option<i64>>()).prop_map(|(i, e, r, j, f, u)| {
            serde_json::json!({"version": 1, "target": "t", "settings_hash": "h",
                "entry": {"token": "x", "issued_at": i, "expires_at": e, "refresh_at": r, "jitter": j, "expiry_source": "s"},
                "breaker": {"consecutive_failures": f, "open_until": u, "last_error": null, "last_failure_at": u}}).to_string().into_bytes()
        }),
    ]) {
        fuzzing::cache(&data);
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
    fn mint_responses_never_panic(data in prop_oneof![
        prop::collection::vec(any::<u8>(), 0..300),
        ("[\\PC]{0,10}", prop_oneof![any::<i64>().prop_map(|n| n.to_string()), any::<f64>().prop_map(|n| n.to_string()), "\"[0-9TZ:+.-]{0,25}\""])
            .prop_map(|(t, e)| format!("{{\"token\":{},\"expires_at\":{e}}}", serde_json::Value::from(t)).into_bytes()),
    ]) {
        fuzzing::mint_response(&data);
    }
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
    fuzzing::cache(br#"{"version":1,"target":"t","settings_hash":"h","entry":{"token":"x","issued_at":-9223372036854775808,"expires_at":9223372036854775807,"refresh_at":0,"jitter":1e308,"expiry_source":""}}"#);
    // Found by cache_parsing_never_panics: an entry whose expiry minus its refresh point
    // overflowed i64 (fixed with saturating arithmetic in the policy).
    fuzzing::cache(br#"{"version":1,"target":"t","settings_hash":"h","entry":{"token":"x","issued_at":0,"expires_at":-9223372036854775808,"refresh_at":9223372036854775807,"jitter":0,"expiry_source":""}}"#);
    fuzzing::mint_response(br#"{"token":"x","expires_in":1e308}"#);
    fuzzing::mint_response(br#"{"token":"x","expires_at":-1e308}"#);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1000, failure_persistence: None, ..ProptestConfig::default() })]

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
