//! The loopback CodeArtifact GetAuthorizationToken fake the benches share (`backends`,
//! `clients`, `pip`): every request is answered with `token`, valid for 12 hours. The server
//! counts what it answered (`FakeServer::count`). Included with `#[path]` by benches that also
//! include the tests' HTTP fake as `http`.

use std::time::{SystemTime, UNIX_EPOCH};

use crate::http::{FakeServer, Response};

/// Lifetime of the fake's tokens, as CodeArtifact's longest.
const LIFETIME_SECS: u64 = 12 * 3600;

pub fn start(token: &'static str) -> FakeServer {
    let expiration = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
        + LIFETIME_SECS;
    FakeServer::start(move |_| {
        Response::json(
            200,
            serde_json::json!({"authorizationToken": token, "expiration": expiration}),
        )
    })
}
