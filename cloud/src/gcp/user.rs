//! `authorized_user` (gcloud's `application-default login`): the OAuth refresh-token grant at
//! `token_uri`, as google-cloud-auth sends it (a JSON body), whose answer states `expires_in`.

use serde_json::{Value, json};

use super::{Session, endpoint, field};
use ecluse_cred_contract::mint::{MintError, Minted};
use ecluse_cred_contract::redact;

/// Google's OAuth token endpoint, when the file names no `token_uri`.
const TOKEN_URI: &str = "https://oauth2.googleapis.com/token";
const KIND: &str = "authorized_user";

/// A token for the user's refresh token, for `scopes` (`None`: the scopes the user granted,
/// as google-cloud-auth asks for an impersonation's source).
pub(super) async fn token(
    session: &mut Session,
    json: &Value,
    scopes: Option<&[String]>,
) -> Result<Minted, MintError> {
    let client_id = field(json, KIND, "client_id")?;
    let client_secret = field(json, KIND, "client_secret")?;
    let refresh_token = field(json, KIND, "refresh_token")?;
    let token_uri = endpoint(
        json.get("token_uri")
            .and_then(Value::as_str)
            .unwrap_or(TOKEN_URI),
        "token_uri",
    )?;
    session.remember(client_secret);
    session.remember(refresh_token);
    let mut body = json!({
        "grant_type": "refresh_token",
        "client_id": client_id,
        "client_secret": client_secret,
        "refresh_token": refresh_token,
    });
    if let Some(scopes) = scopes {
        body["scope"] = scopes.join(" ").into();
    }
    let what = format!("Google token endpoint {}", redact::url(token_uri));
    let request = session.client.post(token_uri).json(&body);
    let answer = session.fetch(request, &what).await?;
    session.token_answer(&answer, &what)
}
