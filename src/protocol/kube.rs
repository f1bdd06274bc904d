//! kubectl exec credential plugin: `ecluse-cred kube-credential --target x` prints an
//! `ExecCredential` with the token and its `expirationTimestamp`, so kubectl caches it until then.

use crate::engine::{Served, time};

/// The API version kubectl asks for in `KUBERNETES_EXEC_INFO`, if it is one this answers in;
/// else v1.
fn api_version() -> &'static str {
    let info = std::env::var("KUBERNETES_EXEC_INFO").unwrap_or_default();
    let asked: Option<String> = serde_json::from_str::<serde_json::Value>(&info)
        .ok()
        .and_then(|v| v["apiVersion"].as_str().map(str::to_owned));
    match asked.as_deref() {
        Some("client.authentication.k8s.io/v1beta1") => "client.authentication.k8s.io/v1beta1",
        _ => "client.authentication.k8s.io/v1",
    }
}

pub fn exec_credential(served: &Served) -> String {
    let answer = serde_json::json!({
        "apiVersion": api_version(),
        "kind": "ExecCredential",
        "status": {
            "token": served.entry.token.expose(),
            "expirationTimestamp": time(served.entry.expires_at),
        },
    });
    format!("{answer}\n")
}
