//! The metadata server of GCE, GKE, Cloud Run and Cloud Build: the default service account's
//! token. The server hands out the token it holds, with whatever life it has left, and says how
//! much in `expires_in`: that is the expiry, never an assumed hour.

use super::{Session, endpoint};
use ecluse_cred_contract::mint::{MintError, Minted};
use ecluse_cred_contract::redact;

/// The metadata server's host, unless `GCE_METADATA_HOST` names another (`host[:port]`), as
/// Google's libraries read it.
const DEFAULT_HOST: &str = "metadata.google.internal";
const HOST_ENV: &str = "GCE_METADATA_HOST";
const TOKEN_PATH: &str = "/computeMetadata/v1/instance/service-accounts/default/token";
/// The header without which the server refuses to answer (a guard against SSRF).
const FLAVOR: (&str, &str) = ("metadata-flavor", "Google");

/// A token for `scopes` from the metadata server.
pub(super) async fn token(session: &Session, scopes: &[String]) -> Result<Minted, MintError> {
    let host = std::env::var(HOST_ENV).unwrap_or_else(|_| DEFAULT_HOST.to_owned());
    let scopes = redact::form_urlencode(&scopes.join(","));
    let url = format!("http://{host}{TOKEN_PATH}?scopes={scopes}");
    let url = endpoint(&url, HOST_ENV)?;
    // Never through a proxy (the server is link-local, as google-cloud-auth knows), and like
    // every token request, no redirect.
    let client = crate::token_client_builder(session.timeout)
        .no_proxy()
        .build()
        .map_err(|e| MintError::transient(format!("cannot build an HTTP client: {e}")))?;
    let request = client.get(url).header(FLAVOR.0, FLAVOR.1);
    let what = format!("metadata server {}", redact::url(url));
    let answer = session.fetch(request, &what).await?;
    session.token_answer(&answer, &what)
}
