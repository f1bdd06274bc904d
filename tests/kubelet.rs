//! The kubelet's image credential provider, byte for byte: the kubelet is not installable here
//! (no Debian package; its release binaries need a node), so these tests speak its side of
//! `credentialprovider.kubelet.k8s.io/v1` exactly as `pkg/credentialprovider/plugin/plugin.go`
//! does: run `kubelet-credential-ecluse` (made by `install shims`) with a
//! `CredentialProviderRequest` on stdin and the config's environment, read stdout whole, decode
//! it strictly (no field the API does not have), and read `cacheDuration` with Go's
//! `time.ParseDuration` grammar ([`parse_go_duration`]).

mod common;

use std::path::Path;
use std::process::Output;
use std::time::Duration;

use common::*;

const API: &str = "credentialprovider.kubelet.k8s.io/v1";
const SHIM: &str = "kubelet-credential-ecluse";

/// A request as the kubelet encodes it: its `kind`, `apiVersion` and `image`.
fn request(image: &str) -> String {
    format!(r#"{{"kind":"CredentialProviderRequest","apiVersion":"{API}","image":"{image}"}}"#)
}

/// The plugin's run for `input`, as the kubelet makes it.
fn ask(sb: &Sandbox, shims: &Path, input: &str) -> Output {
    shim(sb, shims, SHIM, &[], input)
}

/// The answer for `image`: exit 0, stdout whole.
fn answer(sb: &Sandbox, shims: &Path, image: &str) -> String {
    let out = ask(sb, shims, &request(image));
    assert_eq!(out.status.code(), Some(0), "{image}: {}", stderr(&out));
    stdout(&out)
}

/// What an image no target serves gets: no credentials, nothing cached by the kubelet.
fn nothing() -> String {
    format!(
        "{{\"kind\":\"CredentialProviderResponse\",\"apiVersion\":\"{API}\",\"cacheKeyType\":\"Registry\",\"cacheDuration\":\"0s\",\"auth\":{{}}}}\n"
    )
}

/// Go's `time.ParseDuration`: `[-+]?([0-9]*(\.[0-9]*)?UNIT)+` with units ns, us, µs, μs, ms, s,
/// m, h, or a lone `0`; anything else (a bare number, `d`, an empty string) is an error, as the
/// kubelet's decoding of a `metav1.Duration` would fail on it. Negative durations are refused
/// here too (the kubelet would take one as already expired).
fn parse_go_duration(s: &str) -> Result<Duration, String> {
    let bad = || Err(format!("time: invalid duration {s:?}"));
    let mut rest = s.strip_prefix('+').unwrap_or(s);
    if rest.starts_with('-') {
        return Err(format!("negative duration {s:?}"));
    }
    if rest == "0" {
        return Ok(Duration::ZERO);
    }
    if rest.is_empty() {
        return bad();
    }
    let mut nanos: f64 = 0.0;
    while !rest.is_empty() {
        let number_end = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let (number, after) = rest.split_at(number_end);
        if number.is_empty() || number == "." || number.matches('.').count() > 1 {
            return bad();
        }
        let value: f64 = number.parse().map_err(|_| format!("{number:?}"))?;
        let unit_end = after
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(after.len());
        let (unit, next) = after.split_at(unit_end);
        let scale = match unit {
            "ns" => 1.0,
            "us" | "\u{b5}s" | "\u{3bc}s" => 1e3,
            "ms" => 1e6,
            "s" => 1e9,
            "m" => 60e9,
            "h" => 3600e9,
            "" => return Err(format!("time: missing unit in duration {s:?}")),
            _ => return Err(format!("time: unknown unit {unit:?} in duration {s:?}")),
        };
        nanos += value * scale;
        rest = next;
    }
    Ok(Duration::from_nanos(nanos as u64))
}

#[test]
fn the_go_duration_parser_reads_what_go_reads_and_refuses_what_go_refuses() {
    for (text, secs) in [
        ("0", 0.0),
        ("0s", 0.0),
        ("45s", 45.0),
        ("5m30s", 330.0),
        ("1h0m0s", 3600.0),
        ("5h59m0s", 21_540.0),
        ("1.5s", 1.5),
        ("300ms", 0.3),
        ("+2m", 120.0),
    ] {
        assert_eq!(
            parse_go_duration(text).unwrap(),
            Duration::from_secs_f64(secs),
            "{text}"
        );
    }
    for text in ["", "5", "1d", "h", "1h-2m", "-1s", "s5", "1..5s"] {
        assert!(parse_go_duration(text).is_err(), "{text}");
    }
}

/// The response's fields, decoded as the kubelet's strict codec does: exactly the API's, in
/// the order written; returns `cacheDuration`.
fn strictly_decoded(text: &str) -> serde_json::Value {
    let value: serde_json::Value = serde_json::from_str(text).expect("one JSON document");
    let keys: Vec<&str> = value
        .as_object()
        .expect("an object")
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        [
            "kind",
            "apiVersion",
            "cacheKeyType",
            "cacheDuration",
            "auth"
        ],
        "{text}"
    );
    for auth in value["auth"].as_object().unwrap().values() {
        let fields: Vec<&str> = auth
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(fields, ["username", "password"], "{text}");
    }
    value
}

#[test]
fn the_kubelet_gets_the_registry_s_token_until_its_refresh_point() {
    let (sb, shims) = shim_sandbox(&["https://registry.example.com/"]);
    // What kubelet 1.33+ adds for a provider with tokenAttributes, and a field of a later
    // version: accepted, ignored, and the service account token never repeated anywhere.
    let sa_token = "eyJhbGciOiJSUzI1NiJ9.sa-token-of-the-pod.c2lnbmF0dXJl";
    sb.secret(sa_token);
    let input = format!(
        r#"{{"kind":"CredentialProviderRequest","apiVersion":"{API}","image":"registry.example.com/team/app","serviceAccountToken":"{sa_token}","serviceAccountAnnotations":{{"example.com/role":"puller"}},"somethingLater":{{"x":[1,2]}}}}"#
    );
    let before = now_ms();
    let out = ask(&sb, &shims, &input);
    let after = now_ms();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(stderr(&out), "");
    let text = stdout(&out);
    let value = strictly_decoded(&text);
    let entry = sb.cached_entry();
    let duration = value["cacheDuration"].as_str().unwrap().to_owned();
    assert_eq!(
        text,
        format!(
            "{{\"kind\":\"CredentialProviderResponse\",\"apiVersion\":\"{API}\",\"cacheKeyType\":\"Registry\",\"cacheDuration\":\"{duration}\",\"auth\":{{\"registry.example.com\":{{\"username\":\"aws\",\"password\":\"{}\"}}}}}}\n",
            entry.token
        )
    );
    // Go reads it, it is whole seconds, and the kubelet's copy ends at the refresh point (the
    // moment the answer was made, between `before` and `after`, rounded down to a second),
    // before the token's expiry.
    let d = parse_go_duration(&duration).unwrap();
    assert_eq!(d.subsec_nanos(), 0, "{duration}");
    let d = d.as_millis() as i64;
    assert!(
        d <= entry.refresh_at - before && d > entry.refresh_at - after - 1000,
        "{duration}: refresh at {} ms, asked at {before}..{after}",
        entry.refresh_at
    );
    assert!(before + d < entry.expires_at);
    assert_eq!(sb.mints(), 1);

    // The next pull the kubelet does not cache past it is served from ecluse-cred's cache.
    let again = answer(&sb, &shims, "registry.example.com/other");
    assert!(again.contains(&entry.token), "{again}");
    assert_eq!(sb.mints(), 1);

    // The hidden command is the same protocol.
    let out = sb
        .cmd(&["kubelet-credential"])
        .output_with_stdin(request("registry.example.com/app"));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stdout(&out).ends_with(&format!("\"password\":\"{}\"}}}}}}\n", entry.token)));
}

#[test]
fn a_token_past_its_refresh_point_is_not_kept_by_the_kubelet() {
    let (sb, shims) = shim_sandbox(&["https://registry.example.com/"]);
    answer(&sb, &shims, "registry.example.com/app");
    // Due, still usable, and its refresh failing: served, with nothing for the kubelet to keep,
    // so it asks again on its next pull.
    sb.shift_entry(-60_000, 600_000);
    sb.set("fail", "");
    let token = sb.cached_token();
    let out = sb
        .program(&shims.join(SHIM))
        .env("ECLUSE_CRED_BACKGROUND", "0")
        .output_with_stdin(request("registry.example.com/app"));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(
        stdout(&out),
        format!(
            "{{\"kind\":\"CredentialProviderResponse\",\"apiVersion\":\"{API}\",\"cacheKeyType\":\"Registry\",\"cacheDuration\":\"0s\",\"auth\":{{\"registry.example.com\":{{\"username\":\"aws\",\"password\":\"{token}\"}}}}}}\n"
        )
    );
    assert_eq!(sb.mints(), 2, "the refresh was tried, and failed");
}

#[test]
fn an_image_with_a_port_is_keyed_by_host_and_port() {
    let (sb, shims) = shim_sandbox(&["https://registry.example.com:5443/"]);
    let text = answer(&sb, &shims, "registry.example.com:5443/app");
    strictly_decoded(&text);
    assert!(
        text.contains(&format!(
            "\"auth\":{{\"registry.example.com:5443\":{{\"username\":\"aws\",\"password\":\"{}\"}}}}",
            sb.cached_token()
        )),
        "{text}"
    );
    // Port 443 is another registry.
    assert_eq!(answer(&sb, &shims, "registry.example.com/app"), nothing());
}

#[test]
fn an_image_of_another_host_or_of_an_http_only_target_gets_no_credentials() {
    let (sb, shims) = shim_sandbox(&[
        "https://registry.example.com/",
        "http://plain.example.com/",
        "http://127.0.0.1:5000/",
    ]);
    for image in [
        "other.example.com/app",
        "plain.example.com/app",
        // docker's front-end answers a loopback http registry; the kubelet never gets one.
        "127.0.0.1:5000/app",
        "registry.example.com:8443/app",
        "nginx",
    ] {
        assert_eq!(answer(&sb, &shims, image), nothing(), "{image}");
    }
    assert_eq!(sb.mints(), 0);
}

#[test]
fn a_target_below_a_path_answers_for_images_under_it_keyed_by_host_and_path() {
    let (sb, shims) = shim_sandbox(&["https://h.example.com/team/"]);
    let text = answer(&sb, &shims, "h.example.com/team/app");
    let value = strictly_decoded(&text);
    let duration = value["cacheDuration"].as_str().unwrap();
    assert_eq!(
        text,
        format!(
            "{{\"kind\":\"CredentialProviderResponse\",\"apiVersion\":\"{API}\",\"cacheKeyType\":\"Image\",\"cacheDuration\":\"{duration}\",\"auth\":{{\"h.example.com/team\":{{\"username\":\"aws\",\"password\":\"{}\"}}}}}}\n",
            sb.cached_token()
        )
    );
    for image in [
        "h.example.com/other/app",
        "h.example.com/teamx/app",
        "h.example.com",
    ] {
        assert_eq!(answer(&sb, &shims, image), nothing(), "{image}");
    }
    assert_eq!(sb.mints(), 1);
}

#[test]
fn a_malformed_request_fails_with_a_message_and_nothing_on_stdout() {
    let (sb, shims) = shim_sandbox(&["https://registry.example.com/"]);
    let sa_token = "eyJhbGciOiJSUzI1NiJ9.never-repeated.c2ln";
    sb.secret(sa_token);
    let padded = format!(
        r#"{{"kind":"CredentialProviderRequest","apiVersion":"{API}","image":"registry.example.com/app","pad":"{}"}}"#,
        "x".repeat(2 << 20)
    );
    for (input, why) in [
        ("", "invalid JSON"),
        ("registry.example.com/app", "invalid JSON"),
        ("[]", "not a JSON object"),
        ("{}", "it has no string `apiVersion`"),
        (
            &format!(
                r#"{{"kind":"CredentialProviderRequest","apiVersion":"credentialprovider.kubelet.k8s.io/v1beta1","image":"registry.example.com/app","serviceAccountToken":"{sa_token}"}}"#
            )[..],
            "its apiVersion is `credentialprovider.kubelet.k8s.io/v1beta1`",
        ),
        (
            &format!(
                r#"{{"kind":"CredentialProviderResponse","apiVersion":"{API}","image":"registry.example.com/app"}}"#
            )[..],
            "its `kind` is not CredentialProviderRequest",
        ),
        (
            &format!(r#"{{"kind":"CredentialProviderRequest","apiVersion":"{API}","image":""}}"#)[..],
            "it has no string `image`",
        ),
        // Longer than any request: read no further than 1 MiB, and refused.
        (&padded[..], "invalid JSON"),
    ] {
        let out = ask(&sb, &shims, input);
        let shown = &input[..input.len().min(80)];
        assert_eq!(out.status.code(), Some(2), "{shown}: {}", stderr(&out));
        assert_eq!(stdout(&out), "", "{shown}");
        let err = stderr(&out);
        assert!(
            err.contains(&format!(
                "kubelet-credential: the request is not a {API} CredentialProviderRequest: {why}"
            )),
            "{shown}: {err}"
        );
    }
    assert_eq!(sb.mints(), 0);
    // A configuration that cannot be read: a message, exit 78, nothing on stdout.
    sb.write_raw_config("[targets.demo\n");
    let out = ask(&sb, &shims, &request("registry.example.com/app"));
    assert_eq!(out.status.code(), Some(78), "{}", stderr(&out));
    assert_eq!(stdout(&out), "");
    assert!(stderr(&out).contains("config"), "{}", stderr(&out));
}

#[test]
fn a_failed_mint_is_a_message_without_the_token_and_nothing_on_stdout() {
    let (sb, shims) = shim_sandbox(&["https://registry.example.com/"]);
    sb.set("reject", "");
    let out = ask(&sb, &shims, &request("registry.example.com/app"));
    assert_eq!(out.status.code(), Some(77), "{}", stderr(&out));
    assert_eq!(stdout(&out), "");
    assert!(stderr(&out).contains("mint failed"), "{}", stderr(&out));
}

#[test]
fn kubelet_config_prints_the_credential_provider_config_for_the_targets() {
    let sb = Sandbox::new(
        "username = \"aws\"\nurls = [\"https://registry.example.com/\", \"https://h.example.com:5443/team/\", \"http://plain.example.com/\"]\n\
         [targets.plain]\nbackend = \"command\"\ncommand = [\"x\"]\nurls = [\"http://127.0.0.1:5000/\"]",
    );
    let header = "# The kubelet's --image-credential-provider-config; kubelet-credential-ecluse goes in its\n\
                  # --image-credential-provider-bin-dir (`ecluse-cred install shims DIR`).\n\
                  apiVersion: kubelet.config.k8s.io/v1\n\
                  kind: CredentialProviderConfig\n\
                  providers:\n\
                  \x20 - name: kubelet-credential-ecluse\n\
                  \x20   matchImages:\n";
    let tail = format!(
        "    defaultCacheDuration: \"0s\"\n    apiVersion: {API}\n    env:\n      - name: ECLUSE_CRED_CONFIG\n        value: \"{}\"\n      - name: ECLUSE_CRED_CACHE_DIR\n        value: \"{}\"\n",
        sb.config.display(),
        sb.cache.display()
    );
    let out = sb.run(&["kubelet-config"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    // Every configured https registry, then the patterns of the hosts targets are derived for:
    // Artifact Registry's, and ECR's once ECR hosts are derived.
    let configured = "      - \"registry.example.com\"\n      - \"h.example.com:5443/team\"\n      - \"*-docker.pkg.dev\"\n";
    let derived = text
        .strip_prefix(&format!("{header}{configured}"))
        .and_then(|rest| rest.strip_suffix(&tail))
        .unwrap_or_else(|| panic!("{text}"));
    for line in derived.lines() {
        assert!(
            line.starts_with("      - \"*.dkr") && line.ends_with('"'),
            "{line}"
        );
    }
    let out = sb.run(&[
        "kubelet-config",
        "--target",
        "demo",
        "--target",
        "europe-docker.pkg.dev",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(
        stdout(&out),
        format!(
            "{header}      - \"registry.example.com\"\n      - \"h.example.com:5443/team\"\n      - \"europe-docker.pkg.dev\"\n{tail}"
        )
    );
    // A target the kubelet would never be answered for is refused, by name.
    let out = sb.run(&["kubelet-config", "--target", "plain"]);
    assert_eq!(out.status.code(), Some(78));
    assert_eq!(stdout(&out), "");
    assert!(
        stderr(&out).contains("target `plain` has no https `urls`"),
        "{}",
        stderr(&out)
    );
}
