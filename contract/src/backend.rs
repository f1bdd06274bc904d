//! A target's backend settings (`backend = "..."` and its keys), as the configuration file
//! gives them and as `ecluse-cred` hands a cloud backend's to the `ecluse-cred-mint` helper
//! ([`crate::helper::Request`]). Parsing the file and checking what serde cannot stay in
//! `ecluse-cred`'s `config`.

use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// Backend settings. Everything here identifies *which* token is minted: it is hashed into the
/// cache key, so editing it never serves a token minted for the old settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "backend", rename_all = "lowercase", deny_unknown_fields)]
pub enum Backend {
    /// Run a program that prints the token as JSON.
    Command { command: Vec<String> },
    /// AWS CodeArtifact GetAuthorizationToken.
    Codeartifact {
        domain: String,
        domain_owner: Option<String>,
        region: Option<String>,
        /// 15m..12h, or 0 for "tied to the role session".
        duration: Option<Seconds>,
        profile: Option<String>,
    },
    /// Amazon ECR GetAuthorizationToken: the password of the `AWS:PASSWORD` it answers.
    Ecr {
        /// The registry's 12-digit account id (ECR's `registryIds`); absent: the caller's own.
        registry_id: Option<String>,
        region: Option<String>,
        profile: Option<String>,
        /// Mint from the FIPS endpoint (`ecr-fips`), as a FIPS registry host is reached.
        fips: Option<bool>,
        /// Mint from the dual-stack endpoint (`ecr.REGION.api.aws`), as a dual-stack host is.
        dual_stack: Option<bool>,
    },
    /// Google Application Default Credentials.
    Gcp {
        scopes: Option<Vec<String>>,
        /// Life of a `service_account` key's self-signed JWT (at most 1 h).
        lifetime: Option<Seconds>,
    },
    /// OAuth 2.0 client credentials grant.
    Oauth2 {
        token_url: String,
        client_id: String,
        client_secret_env: Option<String>,
        client_secret_file: Option<PathBuf>,
        scope: Option<String>,
        client_auth: Option<ClientAuth>,
    },
}

/// How an `oauth2` target authenticates its client to the token endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ClientAuth {
    /// HTTP Basic with the form-urlencoded id and secret (RFC 6749 §2.3.1): the default.
    Basic,
    /// `client_id` and `client_secret` form fields.
    Post,
}

impl Backend {
    pub fn kind(&self) -> &'static str {
        match self {
            Backend::Command { .. } => "command",
            Backend::Codeartifact { .. } => "codeartifact",
            Backend::Ecr { .. } => "ecr",
            Backend::Gcp { .. } => "gcp",
            Backend::Oauth2 { .. } => "oauth2",
        }
    }

    /// The username basic-auth clients send with this backend's tokens, unless configured.
    pub fn default_username(&self) -> Option<&'static str> {
        match self {
            Backend::Codeartifact { .. } => Some("aws"),
            // ECR's password goes with the user `AWS`, which docker and the kubelet send.
            Backend::Ecr { .. } => Some("AWS"),
            Backend::Gcp { .. } => Some("oauth2accesstoken"),
            Backend::Command { .. } | Backend::Oauth2 { .. } => None,
        }
    }

    /// A stable hash of the settings (hex SHA-256 of their canonical JSON, shortened).
    pub fn settings_hash(&self) -> String {
        let canonical = serde_json::to_vec(self).expect("backend settings serialize");
        let digest = Sha256::digest(&canonical);
        digest[..12].iter().map(|b| format!("{b:02x}")).collect()
    }
}

/// A duration in a backend's settings: written like the policy's ("12h", "0", 900), stored as
/// whole seconds so the settings hash is stable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Seconds(pub Duration);

impl Serialize for Seconds {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u64(self.0.as_secs())
    }
}

impl<'de> Deserialize<'de> for Seconds {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(SecondsVisitor).map(Seconds)
    }
}

/// Reads a duration from any serde format (TOML in the config file, JSON to the helper): a
/// string as [`parse_duration`] reads it, or whole seconds. Anything else is named as TOML
/// names it. (A TOML datetime reaches it as its text, an invalid duration.)
struct SecondsVisitor;

impl SecondsVisitor {
    fn found<E: serde::de::Error>(what: &str) -> E {
        E::custom(format!("expected {DURATION_HELP}, found {what}"))
    }
}

impl<'de> serde::de::Visitor<'de> for SecondsVisitor {
    type Value = Duration;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str(DURATION_HELP)
    }
    fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<Duration, E> {
        parse_duration(s).map_err(E::custom)
    }
    fn visit_u64<E: serde::de::Error>(self, n: u64) -> Result<Duration, E> {
        Ok(Duration::from_secs(n))
    }
    fn visit_i64<E: serde::de::Error>(self, n: i64) -> Result<Duration, E> {
        u64::try_from(n)
            .map(Duration::from_secs)
            .map_err(|_| E::custom(parse_duration(&n.to_string()).unwrap_err()))
    }
    fn visit_bool<E: serde::de::Error>(self, _: bool) -> Result<Duration, E> {
        Err(Self::found("boolean"))
    }
    fn visit_f64<E: serde::de::Error>(self, _: f64) -> Result<Duration, E> {
        Err(Self::found("float"))
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, _: A) -> Result<Duration, A::Error> {
        Err(Self::found("array"))
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, _: A) -> Result<Duration, A::Error> {
        Err(Self::found("table"))
    }
}

/// The units a credential's times are written in, with the spellings each takes, and its length
/// in milliseconds. Nothing longer than a day: no token or breaker lives by weeks or months, and
/// humantime's `M` (months) beside `m` (minutes) made `"5M"` five months without a word.
const UNITS: [(&[&str], u64); 5] = [
    (&["ms", "msec", "millisecond", "milliseconds"], 1),
    (&["s", "sec", "secs", "second", "seconds"], 1_000),
    (&["m", "min", "mins", "minute", "minutes"], 60_000),
    (&["h", "hr", "hrs", "hour", "hours"], 3_600_000),
    (&["d", "day", "days"], 86_400_000),
];

/// How the duration grammar is explained in every error about one.
pub const DURATION_HELP: &str = "a duration such as \"30s\", \"5m\", \"1h 30m\" or \"2d\" (units ms, s, m, h, d), or whole seconds such as 900";

/// A duration, one grammar for the config file, the command line and the mint helper: whole
/// seconds (`900`), or numbers with units (`30s`, `5m`, `1h 30m`, `1h30m`, `2 days`).
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let text = s.trim();
    let bad = |why: &str| format!("invalid duration \"{text}\": {why}; write {DURATION_HELP}");
    if text.is_empty() {
        return Err(bad("it is empty"));
    }
    if text.starts_with('-') {
        return Err(bad("it is negative"));
    }
    if text.bytes().all(|b| b.is_ascii_digit()) {
        return text
            .parse::<u64>()
            .map(Duration::from_secs)
            .map_err(|_| bad("it is too long"));
    }
    let mut total: u64 = 0;
    let mut rest = text;
    while !rest.is_empty() {
        let digits = rest.len() - rest.trim_start_matches(|c: char| c.is_ascii_digit()).len();
        if digits == 0 {
            return Err(bad(&format!("expected a number at \"{rest}\"")));
        }
        let number: u64 = rest[..digits].parse().map_err(|_| bad("it is too long"))?;
        rest = rest[digits..].trim_start();
        if rest.starts_with(['.', ',']) {
            return Err(bad("write whole numbers (\"1h 30m\", not \"1.5h\")"));
        }
        let letters = rest.len()
            - rest
                .trim_start_matches(|c: char| c.is_ascii_alphabetic())
                .len();
        let unit = &rest[..letters];
        if unit.is_empty() {
            return Err(bad(&format!("the number {number} has no unit")));
        }
        let Some((_, ms)) = UNITS.iter().find(|(names, _)| names.contains(&unit)) else {
            let hint = if unit == "M" {
                " (minutes are `m`)"
            } else {
                ""
            };
            return Err(bad(&format!("`{unit}` is not a unit{hint}")));
        };
        total = number
            .checked_mul(*ms)
            .and_then(|v| total.checked_add(v))
            .ok_or_else(|| bad("it is too long"))?;
        rest = rest[letters..].trim_start();
    }
    Ok(Duration::from_millis(total))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_seconds_and_the_units_a_credential_lives_by() {
        let secs = |s: &str| parse_duration(s).map(|d| d.as_millis());
        for (text, ms) in [
            ("0", 0),
            ("900", 900_000),
            ("30s", 30_000),
            ("5m", 300_000),
            ("1h 30m", 5_400_000),
            ("1h30m", 5_400_000),
            ("2 days", 172_800_000),
            ("250ms", 250),
            (" 12h ", 43_200_000),
            ("1d 1s", 86_401_000),
        ] {
            assert_eq!(secs(text), Ok(ms), "{text}");
        }
        for (text, why) in [
            ("5M", "`M` is not a unit (minutes are `m`)"),
            ("1w", "`w` is not a unit"),
            ("2y", "`y` is not a unit"),
            ("3months", "`months` is not a unit"),
            ("10us", "`us` is not a unit"),
            ("-5m", "it is negative"),
            ("-1", "it is negative"),
            ("", "it is empty"),
            ("m", "expected a number at \"m\""),
            ("5 m x", "expected a number at \"x\""),
            ("1.5h", "write whole numbers (\"1h 30m\", not \"1.5h\")"),
            ("5 5m", "the number 5 has no unit"),
            ("99999999999999999999s", "it is too long"),
            ("18446744073709551615d", "it is too long"),
        ] {
            let e = parse_duration(text).unwrap_err();
            assert_eq!(
                e,
                format!(
                    "invalid duration \"{}\": {why}; write {DURATION_HELP}",
                    text.trim()
                ),
                "{text}"
            );
        }
    }

    #[test]
    fn seconds_read_strings_and_whole_seconds_and_travel_as_seconds() {
        let read = |json: &str| serde_json::from_str::<Seconds>(json).map(|s| s.0.as_secs());
        assert_eq!(read("\"1h 30m\"").unwrap(), 5400);
        assert_eq!(read("\"0\"").unwrap(), 0);
        assert_eq!(read("900").unwrap(), 900);
        assert_eq!(
            serde_json::to_string(&Seconds(Duration::from_secs(900))).unwrap(),
            "900"
        );
        for (bad, found) in [
            ("-1", "invalid duration \"-1\": it is negative"),
            ("true", "found boolean"),
            ("1.5", "found float"),
            ("[]", "found array"),
            ("{}", "found table"),
            ("\"soon\"", "invalid duration \"soon\""),
        ] {
            let e = read(bad).unwrap_err().to_string();
            assert!(e.contains(found), "{bad}: {e}");
        }
    }
}
