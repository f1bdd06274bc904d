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
            Backend::Gcp { .. } => "gcp",
            Backend::Oauth2 { .. } => "oauth2",
        }
    }

    /// The username basic-auth clients send with this backend's tokens, unless configured.
    pub fn default_username(&self) -> Option<&'static str> {
        match self {
            Backend::Codeartifact { .. } => Some("aws"),
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
        E::custom(format!(
            "expected a duration such as \"5m\" or \"30s\", found {what}"
        ))
    }
}

impl<'de> serde::de::Visitor<'de> for SecondsVisitor {
    type Value = Duration;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a duration such as \"5m\" or \"30s\"")
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
            .map_err(|_| Self::found("integer"))
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

/// Parse "30s", "5m", "1h 30m" (and a bare "0").
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    if s == "0" {
        return Ok(Duration::ZERO);
    }
    humantime::parse_duration(s)
        .map_err(|e| format!("invalid duration \"{s}\": {e} (e.g. \"30s\", \"5m\", \"1h 30m\")"))
}

#[cfg(test)]
mod tests {
    use super::*;

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
            ("-1", "found integer"),
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
