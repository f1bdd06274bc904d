//! The kubelet's image credential provider (`credentialprovider.kubelet.k8s.io/v1`): the kubelet
//! runs `kubelet-credential-ecluse` (the shim, from `--image-credential-provider-bin-dir`; also
//! `ecluse-cred kubelet-credential`) with a `CredentialProviderRequest` on stdin and reads one
//! `CredentialProviderResponse` from stdout. `kubelet-config` prints the
//! `CredentialProviderConfig` that wires it ([`provider_config`]).
//!
//! - The request must say `apiVersion: credentialprovider.kubelet.k8s.io/v1` and `kind:
//!   CredentialProviderRequest` and carry a string `image` (`host[:port]/path`, no scheme);
//!   other fields (`serviceAccountToken`, `serviceAccountAnnotations`, later ones) are ignored.
//!   Anything else (not JSON, another version, no image, more than [`MAX_INPUT`]) is an error: a
//!   message on stderr, exit 2, nothing on stdout. The request is never echoed (it may hold a
//!   service account token).
//! - The image's registry is resolved as docker's is, over https only: the target whose `urls`
//!   serve `https://IMAGE/` (the longest path prefix), else a target derived from the host
//!   (port 443 only). An `http`-only target is never handed to the kubelet.
//! - Served: `auth` has one key, the image's `host[:port]` as written, followed by the target's
//!   path prefix when its entry is not for the whole host (`https://H/team/` gives `H/team`: the
//!   kubelet matches an auth key's path as a string prefix of the image's path). `username` is
//!   the target's (a target without one is refused, as docker refuses it); `password` the token.
//! - `cacheKeyType` is `Registry` (the kubelet reuses the answer for every image of the host)
//!   when no configured https entry for that host and port is below a path; else `Image`, so an
//!   answer for `H/team` is never reused for `H/other/app`, which another target (or none) may
//!   serve.
//! - `cacheDuration` ends at the token's refresh point (never later than its expiry less the
//!   policy's `min_ttl`), counted from now, rounded down to whole seconds, and `0s` once that
//!   point has passed: the kubelet asks again exactly when ecluse-cred would refresh. It is
//!   written as Go's `time.Duration.String()` writes it (`5h59m0s`, `5m30s`, `45s`, `0s`).
//! - An image no target serves: `auth` `{}`, `cacheKeyType` `Registry`, `cacheDuration` `0s` (the
//!   kubelet caches nothing, goes on to other providers and anonymous pulls, and asks again next
//!   time, so a target added later is used at once). Exit 0.
//!
//! The kubelet decodes the response strictly (an unknown field discards it): the response has
//! exactly the five fields of the API, in the order the API documents them.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;
use std::time::Duration;

use crate::config::{Config, Target};
use crate::context::Context;
use crate::engine::{Clock, SystemClock};
use crate::error::{Code, Error, Reply, Result};
use crate::policy::{Entry, EpochMs, Policy};
use crate::request::{Request, Scheme};
use crate::resolve;

/// The API version this speaks, in requests and responses.
pub const API_VERSION: &str = "credentialprovider.kubelet.k8s.io/v1";
/// The `kind` of the kubelet's request.
const REQUEST_KIND: &str = "CredentialProviderRequest";
/// The `kind` of the answer.
const RESPONSE_KIND: &str = "CredentialProviderResponse";
/// The `CredentialProviderConfig`'s API version (the kubelet's `--image-credential-provider-config`).
const CONFIG_API_VERSION: &str = "kubelet.config.k8s.io/v1";
/// Largest request read: an image name, a service account token and its annotations fit many
/// times over; a longer one is cut there and fails to parse.
pub const MAX_INPUT: u64 = 1 << 20;

/// One exchange: the kubelet's request on `stdin`, the answer on stdout. The request is checked
/// before the configuration is, so a malformed one is reported as such whatever the config.
pub fn exchange(ctx: Result<Context>, stdin: &mut dyn Read) -> Result<Reply> {
    let input = super::read_input(stdin, MAX_INPUT);
    let image = request_image(&input)?;
    answer(&ctx?, &image, &SystemClock).map(Reply::Stdout)
}

fn malformed(why: impl std::fmt::Display) -> Error {
    Error::new(
        Code::Usage,
        format!("kubelet-credential: the request is not a {API_VERSION} {REQUEST_KIND}: {why}"),
    )
}

/// The `image` of a `CredentialProviderRequest`; other fields are allowed and ignored.
pub fn request_image(input: &str) -> Result<String> {
    let value: serde_json::Value = serde_json::from_str(input).map_err(|e| {
        malformed(format_args!(
            "invalid JSON at line {}, column {}",
            e.line(),
            e.column()
        ))
    })?;
    let Some(object) = value.as_object() else {
        return Err(malformed("not a JSON object"));
    };
    let field = |name: &str| object.get(name).and_then(serde_json::Value::as_str);
    match field("apiVersion") {
        Some(API_VERSION) => {}
        Some(other) => {
            return Err(malformed(format_args!(
                "its apiVersion is `{}`; set `apiVersion: {API_VERSION}` for this provider in the kubelet's CredentialProviderConfig",
                crate::redact::text(other)
            )));
        }
        None => return Err(malformed("it has no string `apiVersion`")),
    }
    if field("kind") != Some(REQUEST_KIND) {
        return Err(malformed(format_args!("its `kind` is not {REQUEST_KIND}")));
    }
    match field("image") {
        Some(image) if !image.trim().is_empty() => Ok(image.trim().to_owned()),
        _ => Err(malformed("it has no string `image`")),
    }
}

/// The request for `image` (`host[:port]/path`), over https, and its `host[:port]` as written:
/// `None` for what is not a registry image (a scheme, userinfo, a host that does not parse
/// strictly), which no target serves.
fn image_request(image: &str) -> Option<(Request, &str)> {
    let authority = image.split('/').next().unwrap_or("");
    // A registry's host[:port] as image references write it: letters, digits, `.` and `-`, an
    // IPv6 address in brackets, a port. Anything else (`@`, `?`, `#`, `%`, a scheme) is not one.
    let host_char = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']');
    if image.contains("://") || authority.is_empty() || !authority.chars().all(host_char) {
        return None;
    }
    let request = Request::url(&format!("https://{image}")).ok()?;
    Some((request, authority))
}

/// The path prefix of `target`'s `urls` entry that serves `request` (the longest, without its
/// trailing `/`; empty for an entry for the whole host, and for a derived target).
fn served_prefix(target: &Target, request: &Request) -> String {
    let path = request.path.as_deref().unwrap_or("/");
    target
        .urls
        .iter()
        .filter_map(|u| Request::url(u).ok())
        .filter(|e| e.same_origin(request))
        .filter_map(|e| e.path)
        .filter(|p| path.starts_with(p.as_str()))
        .max_by_key(String::len)
        .map(|p| p.trim_end_matches('/').to_owned())
        .unwrap_or_default()
}

/// Whether one answer holds for every image of `request`'s host and port: no configured https
/// entry for them is below a path.
fn whole_registry(config: &Config, request: &Request) -> bool {
    config
        .targets
        .values()
        .flat_map(|t| &t.urls)
        .filter_map(|u| Request::url(u).ok())
        .filter(|e| e.same_origin(request))
        .all(|e| e.path.as_deref().is_none_or(|p| p == "/"))
}

/// The answer for `image`, its cache duration counted from when the token is in hand (a mint
/// may take a while: counted from before it, the duration could reach past the refresh point).
fn answer(ctx: &Context, image: &str, clock: &dyn Clock) -> Result<String> {
    let served = match image_request(image) {
        Some((request, authority)) => {
            resolve::lookup(&ctx.config, &request)?.map(|target| (target, request, authority))
        }
        None => None,
    };
    let Some((target, request, authority)) = served else {
        return Ok(Response::none().to_json());
    };
    let Some(username) = target.username.as_deref() else {
        return Err(Error::config(format!(
            "target `{}` has no username, which a registry needs with the token: set `username` in its config section (as for docker)",
            target.name
        )));
    };
    let served = ctx.serve(&target, None, false)?;
    let now = clock.now();
    let key = format!("{authority}{}", served_prefix(&target, &request));
    let response = Response {
        kind: RESPONSE_KIND,
        api_version: API_VERSION,
        cache_key_type: if whole_registry(&ctx.config, &request) {
            "Registry"
        } else {
            "Image"
        },
        cache_duration: go_duration(cache_duration(&served.entry, &target.policy, now)),
        auth: BTreeMap::from([(
            key,
            AuthConfig {
                username,
                password: served.entry.token.expose(),
            },
        )]),
    };
    Ok(response.to_json())
}

/// How long the kubelet may keep `entry`'s token from `now`: until its refresh point, and never
/// past its expiry less the policy's `min_ttl` (the margin every client is served with); zero
/// once that has passed.
pub fn cache_duration(entry: &Entry, policy: &Policy, now: EpochMs) -> Duration {
    let usable_until = entry
        .expires_at
        .saturating_sub_ms(crate::policy::effective_min_ttl(entry, policy));
    entry
        .refresh_at
        .min(usable_until)
        .saturating_duration_since(now)
}

/// `d` as Go's `time.Duration.String()` writes whole seconds (`1h0m0s`, `5m30s`, `45s`, `0s`),
/// which `time.ParseDuration` reads back; less than a second is dropped (rounded down, so the
/// kubelet never keeps a token longer than it may).
pub fn go_duration(d: Duration) -> String {
    let secs = d.as_secs();
    let (h, m, s) = (secs / 3600, secs / 60 % 60, secs % 60);
    if h > 0 {
        format!("{h}h{m}m{s}s")
    } else if m > 0 {
        format!("{m}m{s}s")
    } else {
        format!("{s}s")
    }
}

/// `CredentialProviderResponse`: exactly its fields, in the API's order.
#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
struct Response<'a> {
    kind: &'static str,
    api_version: &'static str,
    cache_key_type: &'static str,
    cache_duration: String,
    auth: BTreeMap<String, AuthConfig<'a>>,
}

/// `AuthConfig`.
#[derive(serde::Serialize)]
struct AuthConfig<'a> {
    username: &'a str,
    password: &'a str,
}

impl Response<'_> {
    /// No credentials from this provider, and nothing for the kubelet to cache.
    fn none() -> Self {
        Response {
            kind: RESPONSE_KIND,
            api_version: API_VERSION,
            cache_key_type: "Registry",
            cache_duration: go_duration(Duration::ZERO),
            auth: BTreeMap::new(),
        }
    }

    fn to_json(&self) -> String {
        format!(
            "{}\n",
            serde_json::to_string(self).expect("response serializes")
        )
    }
}

/// `matchImages` patterns of the registry hosts ecluse-cred derives targets from, each with a
/// host of that shape: a pattern is offered only while such hosts are derived (so the list
/// follows [`crate::cloud_hosts`]). The kubelet matches a pattern label by label (`*` within one
/// label), so each pattern has as many labels as its hosts.
const DERIVED_PATTERNS: [(&str, &str); 11] = [
    ("*-docker.pkg.dev", "us-docker.pkg.dev"),
    (
        "*.dkr.ecr.*.amazonaws.com",
        "123456789012.dkr.ecr.us-east-1.amazonaws.com",
    ),
    (
        "*.dkr.ecr-fips.*.amazonaws.com",
        "123456789012.dkr.ecr-fips.us-east-1.amazonaws.com",
    ),
    (
        "*.dkr-ecr.*.on.aws",
        "123456789012.dkr-ecr.us-east-1.on.aws",
    ),
    (
        "*.dkr-ecr-fips.*.on.aws",
        "123456789012.dkr-ecr-fips.us-east-1.on.aws",
    ),
    (
        "*.dkr.ecr.*.amazonaws.com.cn",
        "123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn",
    ),
    (
        "*.dkr-ecr.*.on.amazonwebservices.com.cn",
        "123456789012.dkr-ecr.cn-north-1.on.amazonwebservices.com.cn",
    ),
    (
        "*.dkr.ecr.*.amazonaws.eu",
        "123456789012.dkr.ecr.eusc-de-east-1.amazonaws.eu",
    ),
    (
        "*.dkr.ecr.*.c2s.ic.gov",
        "123456789012.dkr.ecr.us-iso-east-1.c2s.ic.gov",
    ),
    (
        "*.dkr.ecr.*.sc2s.sgov.gov",
        "123456789012.dkr.ecr.us-isob-east-1.sc2s.sgov.gov",
    ),
    (
        "*.dkr.ecr.*.cloud.adc-e.uk",
        "123456789012.dkr.ecr.eu-isoe-west-1.cloud.adc-e.uk",
    ),
];

/// The `matchImages` patterns of the hosts derived targets are made for, today.
pub fn derived_patterns(config: &Config) -> Vec<&'static str> {
    DERIVED_PATTERNS
        .iter()
        .filter(|(_, host)| resolve::derive(config, host).is_some())
        .map(|(pattern, _)| *pattern)
        .collect()
}

/// The `matchImages` entries for `target`: each https `urls` entry as `host[:port]` and its
/// path (without the trailing `/`), or a derived target's host. Empty for a target the kubelet
/// would never be answered for (no https `urls`).
pub fn match_images(config: &Config, target: &Target) -> Vec<String> {
    if target.urls.is_empty() && !config.targets.contains_key(&target.name) {
        return vec![target.name.clone()];
    }
    target
        .urls
        .iter()
        .filter_map(|u| Request::url(u).ok())
        .filter(|r| r.scheme == Scheme::Https)
        .map(|r| {
            let host = super::docker::registry_name(&r);
            let path = r.path.as_deref().unwrap_or("/").trim_end_matches('/');
            format!("{host}{path}")
        })
        .collect()
}

/// The kubelet's `CredentialProviderConfig` (YAML) for a provider named after the shim that
/// matches `images`, with the configuration file and cache directory this process uses. Every
/// value is written as a JSON string, which YAML reads as the same double-quoted scalar.
pub fn provider_config(images: &[String], config: Option<&Path>, cache_dir: &Path) -> String {
    let quoted = |s: &str| serde_json::to_string(s).expect("a string serializes");
    let mut out = format!(
        "# The kubelet's --image-credential-provider-config; kubelet-credential-ecluse goes in its\n\
         # --image-credential-provider-bin-dir (`ecluse-cred install shims DIR`).\n\
         apiVersion: {CONFIG_API_VERSION}\n\
         kind: CredentialProviderConfig\n\
         providers:\n\
         \x20 - name: {}\n\
         \x20   matchImages:\n",
        crate::shims::KUBELET
    );
    for image in images {
        out.push_str(&format!("      - {}\n", quoted(image)));
    }
    // Every answer says how long to keep it; one that did not would not be kept.
    out.push_str("    defaultCacheDuration: \"0s\"\n");
    out.push_str(&format!("    apiVersion: {API_VERSION}\n"));
    out.push_str("    env:\n");
    let mut env = |name: &str, value: &Path| {
        out.push_str(&format!(
            "      - name: {name}\n        value: {}\n",
            quoted(&value.display().to_string())
        ));
    };
    if let Some(config) = config {
        env(crate::context::CONFIG_ENV, config);
    }
    env(crate::context::CACHE_DIR_ENV, cache_dir);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::testing::{broken, context, one_target, stdout};
    use crate::secret::Secret;

    fn request(image: &str) -> String {
        format!(r#"{{"apiVersion":"{API_VERSION}","kind":"{REQUEST_KIND}","image":"{image}"}}"#)
    }

    fn ask(ctx: Context, input: &str) -> Result<Reply> {
        exchange(Ok(ctx), &mut input.as_bytes())
    }

    #[test]
    fn go_durations_are_written_as_go_writes_them() {
        for (secs, text) in [
            (0, "0s"),
            (1, "1s"),
            (45, "45s"),
            (60, "1m0s"),
            (330, "5m30s"),
            (3600, "1h0m0s"),
            (21_540, "5h59m0s"),
            (86_400 + 61, "24h1m1s"),
        ] {
            assert_eq!(go_duration(Duration::from_secs(secs)), text, "{secs}");
        }
        assert_eq!(go_duration(Duration::from_millis(999)), "0s");
        assert_eq!(go_duration(Duration::from_millis(61_999)), "1m1s");
    }

    fn entry(refresh_at: i64, expires_at: i64) -> Entry {
        Entry {
            token: Secret::new("tok-1".into()),
            issued_at: EpochMs::from_millis(0),
            expires_at: EpochMs::from_millis(expires_at),
            refresh_at: EpochMs::from_millis(refresh_at),
            jitter: 0.0,
            expiry_source: "test".into(),
            received_at: None,
            minted_for_min_ttl: None,
        }
    }

    #[test]
    fn the_cache_duration_ends_at_the_refresh_point_and_never_past_expiry() {
        let policy = Policy::default();
        let at = EpochMs::from_millis;
        // 1 h token refreshed at 48 min: 48 min from issue, 18 min 30 s later on.
        let e = entry(2_880_000, 3_600_000);
        assert_eq!(
            cache_duration(&e, &policy, at(0)),
            Duration::from_secs(2880)
        );
        assert_eq!(
            cache_duration(&e, &policy, at(1_770_000)),
            Duration::from_secs(1110)
        );
        // Past the refresh point (a due token served while it refreshes): not kept at all.
        assert_eq!(cache_duration(&e, &policy, at(2_900_000)), Duration::ZERO);
        // A refresh point at or past expiry (a hand-edited cache): the expiry wins.
        for refresh_at in [3_600_000, 4_000_000] {
            let late = entry(refresh_at, 3_600_000);
            assert_eq!(
                cache_duration(&late, &policy, at(0)),
                Duration::from_secs(3600)
            );
        }
        // A refresh point inside the min_ttl margin: the margin's start wins (the policy's
        // min_ttl, clamped to half the window: 30 s of 2 min).
        let late = entry(3_590_000, 3_600_000);
        assert_eq!(
            cache_duration(&late, &policy, at(0)),
            Duration::from_millis(3_590_000)
        );
        let e = entry(3_000_000, 3_120_000);
        assert_eq!(
            cache_duration(&e, &policy, at(0)),
            Duration::from_millis(3_000_000)
        );
    }

    #[test]
    fn the_request_must_be_a_v1_credential_provider_request_with_an_image() {
        assert_eq!(
            request_image(&request("registry.example.com/app")).unwrap(),
            "registry.example.com/app"
        );
        // Other fields are the kubelet's business.
        let with_extras = format!(
            r#"{{"kind":"{REQUEST_KIND}","apiVersion":"{API_VERSION}","image":"h/a","serviceAccountToken":"sa-secret","serviceAccountAnnotations":{{"a":"b"}},"later":[1]}}"#
        );
        assert_eq!(request_image(&with_extras).unwrap(), "h/a");
        for (input, why) in [
            ("", "invalid JSON"),
            ("{", "invalid JSON"),
            ("[]", "not a JSON object"),
            (
                r#"{"kind":"CredentialProviderRequest","image":"h/a"}"#,
                "no string `apiVersion`",
            ),
            (
                r#"{"apiVersion":"credentialprovider.kubelet.k8s.io/v1beta1","kind":"CredentialProviderRequest","image":"h/a"}"#,
                "its apiVersion is `credentialprovider.kubelet.k8s.io/v1beta1`",
            ),
            (
                r#"{"apiVersion":"credentialprovider.kubelet.k8s.io/v1","kind":"ExecCredential","image":"h/a"}"#,
                "its `kind` is not CredentialProviderRequest",
            ),
            (
                r#"{"apiVersion":"credentialprovider.kubelet.k8s.io/v1","kind":"CredentialProviderRequest"}"#,
                "no string `image`",
            ),
            (
                r#"{"apiVersion":"credentialprovider.kubelet.k8s.io/v1","kind":"CredentialProviderRequest","image":7}"#,
                "no string `image`",
            ),
        ] {
            let e = request_image(input).unwrap_err();
            assert_eq!(e.code, Code::Usage, "{input}");
            assert!(e.message.contains(why), "{input}: {}", e.message);
        }
    }

    #[test]
    fn a_malformed_request_is_reported_before_the_configuration() {
        let e = exchange(broken(), &mut "nope".as_bytes()).unwrap_err();
        assert_eq!(e.code, Code::Usage);
        let e = exchange(broken(), &mut request("h/a").as_bytes()).unwrap_err();
        assert_eq!(e.code, Code::Config);
    }

    #[test]
    fn only_a_registry_host_as_image_references_write_it_is_looked_up() {
        for image in [
            "registry.example.com?x/app",
            "registry.example.com#.evil.com/app",
            "registry.example.com%2f/app",
            "user@registry.example.com/app",
            "https://registry.example.com/app",
            "/app",
        ] {
            assert!(image_request(image).is_none(), "{image}");
        }
        for (image, authority) in [
            ("registry.example.com/team/app", "registry.example.com"),
            ("Registry.Example.com:5000/app", "Registry.Example.com:5000"),
            ("[::1]:5000/app", "[::1]:5000"),
        ] {
            assert_eq!(
                image_request(image).map(|(_, a)| a),
                Some(authority),
                "{image}"
            );
        }
    }

    /// A clock stopped at one instant.
    struct At(EpochMs);

    impl Clock for At {
        fn now(&self) -> EpochMs {
            self.0
        }
    }

    /// The answer for `image` at `now`, and what it must be: `key`'s token with the cache
    /// duration of the entry now cached.
    fn served(urls: &str, image: &str, key: &str, key_type: &str) {
        let (_dir, ctx) = one_target(&format!("urls = [{urls}]\nusername = \"u\""));
        let now = SystemClock.now();
        let answer = answer(&ctx, image, &At(now)).unwrap();
        let target = resolve::target(&ctx.config, "t").unwrap();
        let entry = ctx.cached(&target).unwrap();
        let duration = go_duration(cache_duration(&entry, &target.policy, now));
        assert_eq!(
            answer,
            format!(
                "{{\"kind\":\"{RESPONSE_KIND}\",\"apiVersion\":\"{API_VERSION}\",\"cacheKeyType\":\"{key_type}\",\"cacheDuration\":\"{duration}\",\"auth\":{{\"{key}\":{{\"username\":\"u\",\"password\":\"tok-1\"}}}}}}\n"
            ),
            "{image}"
        );
        // A 1 h token, refreshed (jitter taken off) between 24 and 48 minutes in.
        let minutes: u64 = duration.split_once('m').unwrap().0.parse().unwrap();
        assert!((24..48).contains(&minutes), "{duration}");
    }

    #[test]
    fn an_image_of_a_served_registry_gets_the_token_keyed_by_its_host() {
        let root = r#""https://registry.example.com/""#;
        served(
            root,
            "registry.example.com/team/app",
            "registry.example.com",
            "Registry",
        );
        served(
            root,
            "Registry.Example.com/app",
            "Registry.Example.com",
            "Registry",
        );
        served(
            root,
            "registry.example.com:443/app",
            "registry.example.com:443",
            "Registry",
        );
        let port = r#""https://registry.example.com:5443/""#;
        served(
            port,
            "registry.example.com:5443/app",
            "registry.example.com:5443",
            "Registry",
        );
    }

    #[test]
    fn a_target_below_a_path_is_keyed_by_host_and_path_and_cached_per_image() {
        let team = r#""https://h.example.com/team/""#;
        served(
            team,
            "h.example.com/team/app",
            "h.example.com/team",
            "Image",
        );
        served(team, "h.example.com/team", "h.example.com/team", "Image");
        // A whole-host target beside it: still per image, so neither answer is reused for the
        // other's images.
        let both = r#""https://h.example.com/team/", "https://h.example.com/""#;
        served(both, "h.example.com/other/app", "h.example.com", "Image");
        // Outside the path: nothing, though the kubelet's own prefix match would take `/teamx`.
        for image in [
            "h.example.com/teamx/app",
            "h.example.com/app",
            "h.example.com",
        ] {
            let (_dir, ctx) = one_target(&format!("urls = [{team}]\nusername = \"u\""));
            let answer = stdout(ask(ctx, &request(image)));
            assert!(answer.ends_with("\"auth\":{}}\n"), "{image}: {answer}");
        }
    }

    #[test]
    fn another_registry_gets_no_credentials_and_nothing_to_cache() {
        let none = format!(
            "{{\"kind\":\"{RESPONSE_KIND}\",\"apiVersion\":\"{API_VERSION}\",\"cacheKeyType\":\"Registry\",\"cacheDuration\":\"0s\",\"auth\":{{}}}}\n"
        );
        for image in [
            "other.example.com/app",
            "registry.example.com:5000/app",
            "plain.example.com/app",
            "user@registry.example.com/app",
            "https://registry.example.com/app",
            "nginx",
        ] {
            let (_dir, ctx) = context(&format!(
                "[targets.t]\n{}urls = [\"https://registry.example.com/\", \"http://plain.example.com/\"]\nusername = \"u\"\n",
                crate::protocol::testing::MINT
            ));
            assert_eq!(stdout(ask(ctx, &request(image))), none, "{image}");
        }
    }

    #[test]
    fn a_target_without_a_username_is_refused_as_docker_refuses_it() {
        let (_dir, ctx) = one_target("urls = [\"https://registry.example.com/\"]");
        let e = ask(ctx, &request("registry.example.com/app")).unwrap_err();
        assert_eq!(e.code, Code::Config);
        assert!(e.message.contains("has no username"), "{}", e.message);
    }

    #[test]
    fn the_response_is_exactly_the_api_s_fields_in_order() {
        let e = entry(0, 0);
        let response = Response {
            kind: RESPONSE_KIND,
            api_version: API_VERSION,
            cache_key_type: "Registry",
            cache_duration: go_duration(Duration::from_secs(21_540)),
            auth: BTreeMap::from([(
                "123456789012.dkr.ecr.us-east-1.amazonaws.com".to_owned(),
                AuthConfig {
                    username: "AWS",
                    password: e.token.expose(),
                },
            )]),
        };
        assert_eq!(
            response.to_json(),
            concat!(
                r#"{"kind":"CredentialProviderResponse","apiVersion":"credentialprovider.kubelet.k8s.io/v1","#,
                r#""cacheKeyType":"Registry","cacheDuration":"5h59m0s","#,
                r#""auth":{"123456789012.dkr.ecr.us-east-1.amazonaws.com":{"username":"AWS","password":"tok-1"}}}"#,
                "\n"
            )
        );
    }

    #[test]
    fn match_images_name_the_https_hosts_and_paths_and_derived_hosts() {
        let (_dir, ctx) = one_target(
            "urls = [\"https://r.example.com/\", \"https://r.example.com:5443/team/\", \"http://plain.example.com/\"]",
        );
        let target = resolve::target(&ctx.config, "t").unwrap();
        assert_eq!(
            match_images(&ctx.config, &target),
            ["r.example.com", "r.example.com:5443/team"]
        );
        let derived = resolve::target(&ctx.config, "us-docker.pkg.dev").unwrap();
        assert_eq!(match_images(&ctx.config, &derived), ["us-docker.pkg.dev"]);
        assert!(derived_patterns(&ctx.config).contains(&"*-docker.pkg.dev"));
    }

    #[test]
    fn the_provider_config_is_the_kubelet_s_yaml() {
        let text = provider_config(
            &["r.example.com".to_owned(), "*-docker.pkg.dev".to_owned()],
            Some(Path::new("/etc/ecluse-cred/config.toml")),
            Path::new("/var/cache/ecluse-cred"),
        );
        assert_eq!(
            text,
            "# The kubelet's --image-credential-provider-config; kubelet-credential-ecluse goes in its\n\
             # --image-credential-provider-bin-dir (`ecluse-cred install shims DIR`).\n\
             apiVersion: kubelet.config.k8s.io/v1\n\
             kind: CredentialProviderConfig\n\
             providers:\n\
             \x20 - name: kubelet-credential-ecluse\n\
             \x20   matchImages:\n\
             \x20     - \"r.example.com\"\n\
             \x20     - \"*-docker.pkg.dev\"\n\
             \x20   defaultCacheDuration: \"0s\"\n\
             \x20   apiVersion: credentialprovider.kubelet.k8s.io/v1\n\
             \x20   env:\n\
             \x20     - name: ECLUSE_CRED_CONFIG\n\
             \x20       value: \"/etc/ecluse-cred/config.toml\"\n\
             \x20     - name: ECLUSE_CRED_CACHE_DIR\n\
             \x20       value: \"/var/cache/ecluse-cred\"\n"
        );
    }
}
