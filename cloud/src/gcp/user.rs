//! The refresh-token grants: `authorized_user` (gcloud's `application-default login`) at
//! `token_uri`, as google-cloud-auth sends it (a JSON body), and
//! `external_account_authorized_user` (workforce identity federation) at the STS `token_url`
//! (a form, the client in HTTP Basic). Both answers state `expires_in`.

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

/// STS's token endpoint, when an `external_account_authorized_user` file names no `token_url`.
const STS_TOKEN_URL: &str = "https://sts.googleapis.com/v1/oauthtoken";
const WORKFORCE_KIND: &str = "external_account_authorized_user";

/// An `external_account_authorized_user` token (workforce identity federation, gcloud's
/// `application-default login --login-config`): the refresh-token grant at the STS `token_url`
/// with the client authenticated by HTTP Basic, as google-cloud-auth sends it. STS grants the
/// scopes of the login (it takes no `scope`), and its answer states `expires_in`. A refresh
/// token STS rotates in its answer is not written back to the file (gcloud's own libraries
/// keep it in memory only, too).
pub(super) async fn workforce_token(
    session: &mut Session,
    json: &Value,
) -> Result<Minted, MintError> {
    let client_id = field(json, WORKFORCE_KIND, "client_id")?;
    let client_secret = field(json, WORKFORCE_KIND, "client_secret")?;
    let refresh_token = field(json, WORKFORCE_KIND, "refresh_token")?;
    let token_url = endpoint(
        json.get("token_url")
            .and_then(Value::as_str)
            .unwrap_or(STS_TOKEN_URL),
        "token_url",
    )?;
    session.remember_basic(client_id, client_secret);
    session.remember(refresh_token);
    let form = [
        ("grant_type", "refresh_token"),
        ("refresh_token", refresh_token),
    ];
    let what = format!("Google STS endpoint {}", redact::url(token_url));
    let request = session
        .client
        .post(token_url)
        .basic_auth(client_id, Some(client_secret))
        .form(&form);
    let answer = session.fetch(request, &what).await?;
    session.token_answer(&answer, &what)
}
