//! Tokens sealed at rest: AES-256-GCM (aws-lc-rs) under the fleet key, with a random 96-bit
//! nonce per value and the store key's name as associated data, so a value copied to another
//! entry's key does not open.
//!
//! A sealed value is `version ‖ nonce (12) ‖ ciphertext ‖ tag (16)`; the associated data is
//! `version ‖ key name`, so a value cannot be replayed as another format version either. The
//! plaintext of version 1 is `issued_at ‖ expires_at ‖ refresh_at` (each an `i64` of
//! milliseconds since the epoch, big-endian) followed by the token's UTF-8 bytes.
//!
//! One key seals at most about 2^32 values before random nonces risk a collision (NIST SP
//! 800-38D §8.3): at one publish per target per token lifetime, far beyond any fleet's life.

use std::fmt;

use aws_lc_rs::aead::{AES_256_GCM, Aad, NONCE_LEN, Nonce, RandomizedNonceKey};
use aws_lc_rs::hmac;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use ecluse_cred_contract::mint::EpochMs;
use ecluse_cred_contract::secret::Secret;

/// The format version of a sealed value, its first byte.
const VERSION: u8 = 1;
/// The length of the fleet key, in bytes.
pub const KEY_LEN: usize = 32;
/// The AEAD tag's length.
const TAG_LEN: usize = 16;
/// The three instants that lead the plaintext.
const TIMES_LEN: usize = 3 * 8;
/// What the entry names' HMAC key is derived from (HMAC-SHA256 of it under the fleet key).
const NAMES_LABEL: &[u8] = b"ecluse-cred fleet v1 entry names";

/// The fleet key. `Debug` never shows it.
pub struct FleetKey {
    aead: RandomizedNonceKey,
    /// HMAC-SHA256 under a key derived from the fleet key (HMAC of a fixed label), for entry
    /// names: the AEAD key is used for nothing else.
    names: hmac::Key,
}

impl fmt::Debug for FleetKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("FleetKey(<redacted>)")
    }
}

/// Why the fleet key could not be read. Each names the environment variable, never its value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyError {
    /// The variable is not set (or empty).
    Missing { var: String },
    /// The variable is not valid Unicode.
    NotUnicode { var: String },
    /// The value is not standard, padded base64.
    NotBase64 { var: String },
    /// The value decodes to `len` bytes, not [`KEY_LEN`].
    WrongLength { var: String, len: usize },
}

impl fmt::Display for KeyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeyError::Missing { var } => write!(
                f,
                "the fleet key variable {var} is not set (base64 of {KEY_LEN} random bytes, e.g. `openssl rand -base64 {KEY_LEN}`)"
            ),
            KeyError::NotUnicode { var } => {
                write!(f, "the fleet key variable {var} is not valid Unicode")
            }
            KeyError::NotBase64 { var } => write!(
                f,
                "the fleet key variable {var} is not base64 (standard alphabet, with padding)"
            ),
            KeyError::WrongLength { var, len } => write!(
                f,
                "the fleet key variable {var} holds {len} bytes, not {KEY_LEN} (base64 of {KEY_LEN} random bytes)"
            ),
        }
    }
}

impl std::error::Error for KeyError {}

impl FleetKey {
    /// The key in the environment variable `var`.
    pub fn from_env(var: &str) -> Result<FleetKey, KeyError> {
        match std::env::var_os(var) {
            None => Err(KeyError::Missing { var: var.into() }),
            Some(value) => match value.into_string() {
                Ok(value) => FleetKey::from_base64(var, &value),
                Err(_) => Err(KeyError::NotUnicode { var: var.into() }),
            },
        }
    }

    /// The key from `value`, the content of the variable `var` (which only names it in errors):
    /// standard base64 of exactly [`KEY_LEN`] bytes, surrounding whitespace ignored.
    pub fn from_base64(var: &str, value: &str) -> Result<FleetKey, KeyError> {
        let value = value.trim();
        if value.is_empty() {
            return Err(KeyError::Missing { var: var.into() });
        }
        // The decode error is dropped: it would quote a byte of the value.
        let mut bytes = STANDARD
            .decode(value)
            .map_err(|_| KeyError::NotBase64 { var: var.into() })?;
        let key = if bytes.len() == KEY_LEN {
            FleetKey::from_bytes(&bytes)
        } else {
            None
        };
        let len = bytes.len();
        bytes.fill(0);
        key.ok_or(KeyError::WrongLength {
            var: var.into(),
            len,
        })
    }

    /// The key of exactly [`KEY_LEN`] raw bytes.
    pub fn from_bytes(bytes: &[u8]) -> Option<FleetKey> {
        if bytes.len() != KEY_LEN {
            return None;
        }
        let aead = RandomizedNonceKey::new(&AES_256_GCM, bytes).ok()?;
        let derive = hmac::Key::new(hmac::HMAC_SHA256, bytes);
        let names = hmac::sign(&derive, NAMES_LABEL);
        Some(FleetKey {
            aead,
            names: hmac::Key::new(hmac::HMAC_SHA256, names.as_ref()),
        })
    }

    /// The name (`HASH`) of the entry, lock and `failing` record of a target whose backend
    /// settings hash to `settings_hash`: HMAC-SHA256 under the fleet key, 128 bits in hex. Hosts
    /// with identical settings and key share; a reader without the key cannot confirm a guess
    /// of the settings, and fleets with different keys never meet on one store.
    pub fn entry_hash(&self, settings_hash: &str) -> String {
        let tag = hmac::sign(&self.names, settings_hash.as_bytes());
        tag.as_ref()[..16]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    /// `entry` sealed for the store key `key_name`.
    ///
    /// # Panics
    ///
    /// If the system's random number generator fails, as every TLS connection would.
    pub fn seal(&self, key_name: &str, entry: &Sealed) -> Vec<u8> {
        let token = entry.token.expose().as_bytes();
        let mut buf = Vec::with_capacity(TIMES_LEN + token.len() + TAG_LEN);
        buf.extend_from_slice(&entry.issued_at.as_millis().to_be_bytes());
        buf.extend_from_slice(&entry.expires_at.as_millis().to_be_bytes());
        buf.extend_from_slice(&entry.refresh_at.as_millis().to_be_bytes());
        buf.extend_from_slice(token);
        self.seal_bytes(key_name, buf)
    }

    /// The entry sealed in `value` for the store key `key_name`, or `None` for anything that
    /// does not open under this key and name or does not parse.
    pub fn open(&self, key_name: &str, value: &[u8]) -> Option<Sealed> {
        let mut buf = Vec::new();
        let plain = self.open_bytes(key_name, value, &mut buf)?;
        let entry = parse(plain);
        plain.fill(0);
        entry
    }

    /// The fleet's `failing` record, until `until`, sealed for the store key `key_name`: so that
    /// whoever can write to the store without the key cannot make the fleet stop minting.
    ///
    /// # Panics
    ///
    /// If the system's random number generator fails, as [`FleetKey::seal`].
    pub fn seal_instant(&self, key_name: &str, until: EpochMs) -> Vec<u8> {
        self.seal_bytes(key_name, until.as_millis().to_be_bytes().to_vec())
    }

    /// The instant sealed in `value` by [`FleetKey::seal_instant`] for `key_name`, or `None`
    /// (forged, moved from another key, sealed under another key, not an instant).
    pub fn open_instant(&self, key_name: &str, value: &[u8]) -> Option<EpochMs> {
        let mut buf = Vec::new();
        let plain = self.open_bytes(key_name, value, &mut buf)?;
        let bytes: [u8; 8] = (&*plain).try_into().ok()?;
        Some(EpochMs::from_millis(i64::from_be_bytes(bytes)))
    }

    /// `plain` sealed for `key_name`: the version byte, a random nonce, the ciphertext and tag.
    fn seal_bytes(&self, key_name: &str, mut buf: Vec<u8>) -> Vec<u8> {
        let nonce = self
            .aead
            .seal_in_place_append_tag(Aad::from(aad(key_name)), &mut buf)
            .expect("AES-256-GCM sealing fails only when the system RNG does");
        let mut out = Vec::with_capacity(1 + NONCE_LEN + buf.len());
        out.push(VERSION);
        out.extend_from_slice(nonce.as_ref());
        out.extend_from_slice(&buf);
        out
    }

    /// What [`Self::seal_bytes`] sealed in `value` for `key_name`, opened in `buf`; `None` if
    /// it does not open (another version, key or name, or a forgery).
    fn open_bytes<'a>(
        &self,
        key_name: &str,
        value: &[u8],
        buf: &'a mut Vec<u8>,
    ) -> Option<&'a mut [u8]> {
        let (&version, rest) = value.split_first()?;
        if version != VERSION || rest.len() < NONCE_LEN + TAG_LEN {
            return None;
        }
        let (nonce, sealed) = rest.split_at(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce).ok()?;
        *buf = sealed.to_vec();
        self.aead
            .open_in_place(nonce, Aad::from(aad(key_name)), buf)
            .ok()
    }
}

/// The associated data: the format version, then the store key's name.
fn aad(key_name: &str) -> Vec<u8> {
    let mut aad = Vec::with_capacity(1 + key_name.len());
    aad.push(VERSION);
    aad.extend_from_slice(key_name.as_bytes());
    aad
}

fn parse(plain: &[u8]) -> Option<Sealed> {
    if plain.len() <= TIMES_LEN {
        return None;
    }
    let (times, token) = plain.split_at(TIMES_LEN);
    let at = |i: usize| {
        let bytes: [u8; 8] = times[i * 8..(i + 1) * 8].try_into().ok()?;
        Some(EpochMs::from_millis(i64::from_be_bytes(bytes)))
    };
    let token = std::str::from_utf8(token).ok()?;
    Some(Sealed {
        token: Secret::new(token.to_owned()),
        issued_at: at(0)?,
        expires_at: at(1)?,
        refresh_at: at(2)?,
    })
}

/// What a fleet entry holds: the token and the instants the policy needs. `Debug` shows the
/// instants and `<redacted>` for the token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sealed {
    pub token: Secret,
    /// When the mint started.
    pub issued_at: EpochMs,
    pub expires_at: EpochMs,
    /// When the publishing host's policy judged a refresh due.
    pub refresh_at: EpochMs,
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOKEN: &str = "eyJ2ZXIiOjEsImlzdSI6MTcwMDAwMDAwMH0.secret-token-bytes";
    const NAME: &str = "ecluse-cred:v1:entry:0123abcd";

    fn key(byte: u8) -> FleetKey {
        FleetKey::from_bytes(&[byte; KEY_LEN]).unwrap()
    }

    fn entry() -> Sealed {
        Sealed {
            token: Secret::new(TOKEN.into()),
            issued_at: EpochMs::from_millis(1_800_000_000_000),
            expires_at: EpochMs::from_millis(1_800_043_200_000),
            refresh_at: EpochMs::from_millis(1_800_030_000_000),
        }
    }

    #[test]
    fn a_sealed_entry_opens_under_its_key_and_name() {
        let k = key(7);
        let sealed = k.seal(NAME, &entry());
        assert_eq!(sealed[0], VERSION);
        assert_eq!(
            sealed.len(),
            1 + NONCE_LEN + TIMES_LEN + TOKEN.len() + TAG_LEN
        );
        assert_eq!(k.open(NAME, &sealed), Some(entry()));
    }

    #[test]
    fn each_seal_draws_a_fresh_nonce() {
        let k = key(7);
        assert_ne!(k.seal(NAME, &entry()), k.seal(NAME, &entry()));
    }

    #[test]
    fn a_value_sealed_under_another_key_does_not_open() {
        let sealed = key(7).seal(NAME, &entry());
        assert_eq!(key(8).open(NAME, &sealed), None);
    }

    #[test]
    fn a_value_moved_to_another_key_name_does_not_open() {
        let k = key(7);
        let sealed = k.seal(NAME, &entry());
        assert_eq!(k.open("ecluse-cred:v1:entry:0123abce", &sealed), None);
        assert_eq!(k.open("other:v1:entry:0123abcd", &sealed), None);
    }

    #[test]
    fn truncated_or_garbage_values_do_not_open() {
        let k = key(7);
        let sealed = k.seal(NAME, &entry());
        for len in 0..sealed.len() {
            assert_eq!(k.open(NAME, &sealed[..len]), None, "truncated to {len}");
        }
        let mut longer = sealed.clone();
        longer.push(0);
        assert_eq!(k.open(NAME, &longer), None);
        for garbage in [
            &b""[..],
            b"\x01",
            b"OK",
            b"garbage value",
            &[1u8; 200],
            &[0u8; 60],
        ] {
            assert_eq!(k.open(NAME, garbage), None);
        }
    }

    #[test]
    fn entry_names_are_keyed_stable_and_reveal_no_settings() {
        let a = key(7).entry_hash("settings-1");
        assert_eq!(a.len(), 32);
        assert!(a.bytes().all(|b| b.is_ascii_hexdigit()));
        assert_eq!(a, key(7).entry_hash("settings-1"));
        assert_ne!(a, key(7).entry_hash("settings-2"));
        assert_ne!(a, key(8).entry_hash("settings-1"));
        assert!(!a.contains("settings"));
    }

    #[test]
    fn a_tampered_byte_anywhere_does_not_open() {
        let k = key(7);
        let sealed = k.seal(NAME, &entry());
        for i in 0..sealed.len() {
            let mut tampered = sealed.clone();
            tampered[i] ^= 0x01;
            assert_eq!(k.open(NAME, &tampered), None, "byte {i} flipped");
        }
    }

    #[test]
    fn a_plaintext_that_does_not_parse_is_none() {
        // Sealed correctly, but holding no token, or a token that is not UTF-8.
        let k = key(7);
        for plain in [
            vec![0u8; TIMES_LEN],
            [vec![0u8; TIMES_LEN], vec![0xff, 0xfe]].concat(),
        ] {
            let mut buf = plain;
            let nonce = k
                .aead
                .seal_in_place_append_tag(Aad::from(aad(NAME)), &mut buf)
                .unwrap();
            let value = [&[VERSION][..], nonce.as_ref(), &buf].concat();
            assert_eq!(k.open(NAME, &value), None);
        }
    }

    #[test]
    fn the_sealed_value_holds_no_byte_run_of_the_token() {
        let k = key(7);
        let sealed = k.seal(NAME, &entry());
        // No 6-byte window of the token appears in the value (nor in its base64).
        for window in TOKEN.as_bytes().windows(6) {
            assert!(
                !sealed.windows(6).any(|w| w == window),
                "{:?} in the value",
                String::from_utf8_lossy(window)
            );
        }
        assert!(!STANDARD.encode(&sealed).contains("secret-token"));
    }

    #[test]
    fn the_key_is_base64_of_32_bytes_and_errors_name_only_the_variable() {
        let good = STANDARD.encode([9u8; KEY_LEN]);
        let k = FleetKey::from_base64("FLEET_KEY", &format!("{good}\n")).unwrap();
        assert_eq!(
            k.open(NAME, &key(9).seal(NAME, &entry())),
            Some(entry()),
            "the parsed key is the 32 bytes"
        );
        let short = STANDARD.encode([9u8; 16]);
        let cases = [
            (
                "",
                KeyError::Missing {
                    var: "FLEET_KEY".into(),
                },
            ),
            (
                "  ",
                KeyError::Missing {
                    var: "FLEET_KEY".into(),
                },
            ),
            (
                "not*base64!",
                KeyError::NotBase64 {
                    var: "FLEET_KEY".into(),
                },
            ),
            (
                &short,
                KeyError::WrongLength {
                    var: "FLEET_KEY".into(),
                    len: 16,
                },
            ),
        ];
        for (value, want) in cases {
            let err = FleetKey::from_base64("FLEET_KEY", value).unwrap_err();
            assert_eq!(err, want);
            let shown = err.to_string();
            assert!(shown.contains("FLEET_KEY"), "{shown}");
            if !value.trim().is_empty() {
                assert!(!shown.contains(value), "{shown}");
            }
        }
        let missing = FleetKey::from_env("ECLUSE_CRED_FLEET_TEST_KEY_THAT_IS_NOT_SET").unwrap_err();
        assert!(matches!(missing, KeyError::Missing { .. }));
    }

    #[test]
    fn debug_never_shows_the_key_or_the_token() {
        let k = key(0x41);
        assert_eq!(format!("{k:?}"), "FleetKey(<redacted>)");
        let shown = format!("{:?}", entry());
        assert!(!shown.contains("secret-token"), "{shown}");
        assert!(shown.contains("<redacted>"), "{shown}");
    }

    #[test]
    fn a_failing_record_opens_only_under_its_key_and_name() {
        let until = EpochMs::from_millis(1_800_000_000_000);
        let name = "ecluse-cred:v1:failing:0123abcd";
        let sealed = key(1).seal_instant(name, until);
        assert_eq!(key(1).open_instant(name, &sealed), Some(until));
        assert_eq!(key(2).open_instant(name, &sealed), None, "another key");
        assert_eq!(key(1).open_instant(NAME, &sealed), None, "another name");
        assert_eq!(
            key(1).open_instant(name, b"1800000000000"),
            None,
            "unsealed"
        );
        let mut flipped = sealed.clone();
        flipped[14] ^= 1;
        assert_eq!(key(1).open_instant(name, &flipped), None, "tampered");
        // An entry is not a failing record, nor the other way round.
        assert_eq!(
            key(1).open_instant(NAME, &key(1).seal(NAME, &entry())),
            None
        );
        assert!(key(1).open(name, &sealed).is_none());
    }
}
