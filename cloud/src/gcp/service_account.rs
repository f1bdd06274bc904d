//! `service_account` (a key file): the token is a JWT signed locally with the key (RS256), for
//! the target's scopes, as Google's libraries make one for a scoped token; Google's APIs take it
//! as an access token, so no request is made and `token_uri` is never asked. It lives the
//! target's `lifetime`, at most an hour (the most Google accepts), and its `exp` is the expiry.

use std::time::Duration;

use base64::Engine;
use serde_json::{Value, json};

use super::{Session, field, minted};
use ecluse_cred_contract::mint::{EpochMs, MintError, Minted};

const KIND: &str = "service_account";
/// The longest life Google accepts for a self-signed JWT.
const MAX_LIFETIME: Duration = Duration::from_secs(3600);
/// How far `iat` is put before now, against a clock slightly ahead of Google's.
const CLOCK_SKEW: i64 = 10;

/// A self-signed JWT for `scopes` (`None`: cloud-platform).
pub(super) fn token(
    session: &mut Session,
    json: &Value,
    scopes: Option<&[String]>,
) -> Result<Minted, MintError> {
    let email = field(json, KIND, "client_email")?;
    let key_id = field(json, KIND, "private_key_id")?;
    let pem = field(json, KIND, "private_key")?;
    session.remember(pem);
    let bad_key = || {
        MintError::misconfigured(
            "the service account's `private_key` is not a PEM PKCS#8 RSA key (BEGIN PRIVATE KEY)",
        )
    };
    let body: String = pem
        .lines()
        .map(str::trim)
        .skip_while(|l| *l != "-----BEGIN PRIVATE KEY-----")
        .skip(1)
        .take_while(|l| *l != "-----END PRIVATE KEY-----")
        .collect();
    let der = base64::engine::general_purpose::STANDARD
        .decode(body)
        .map_err(|_| bad_key())?;
    let key = aws_lc_rs::signature::RsaKeyPair::from_pkcs8(&der).map_err(|_| bad_key())?;
    let scope = match scopes {
        Some(s) if !s.is_empty() => s.join(" "),
        _ => super::DEFAULT_SCOPE.to_owned(),
    };
    let now = session.started.as_secs();
    let life = i64::try_from(session.lifetime.min(MAX_LIFETIME).as_secs()).unwrap_or(3600);
    let exp = now + life;
    let enc = |v: &Value| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string());
    let signed = format!(
        "{}.{}",
        enc(&json!({ "alg": "RS256", "typ": "JWT", "kid": key_id })),
        enc(&json!({
            "iss": email, "sub": email, "scope": scope,
            "iat": now - CLOCK_SKEW, "exp": exp,
        }))
    );
    let mut signature = vec![0; key.public_modulus_len()];
    key.sign(
        &aws_lc_rs::signature::RSA_PKCS1_SHA256,
        &aws_lc_rs::rand::SystemRandom::new(),
        signed.as_bytes(),
        &mut signature,
    )
    .map_err(|_| MintError::misconfigured("cannot sign with the service account's key"))?;
    let token = format!(
        "{signed}.{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(signature)
    );
    Ok(minted(token, EpochMs::from_secs(exp), "jwt"))
}
