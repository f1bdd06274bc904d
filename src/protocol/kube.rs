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

/// The API server kubectl is about to send the token to, when it says (the exec entry's
/// `provideClusterInfo: true` puts `spec.cluster.server` into `KUBERNETES_EXEC_INFO`). A
/// `KUBERNETES_EXEC_INFO` that names a cluster in a way that cannot be read is an error, not
/// "no cluster": the check it would have failed must not be skipped.
pub fn cluster_server() -> crate::error::Result<Option<String>> {
    let info = match std::env::var_os("KUBERNETES_EXEC_INFO") {
        None => return Ok(None),
        Some(info) if info.is_empty() => return Ok(None),
        Some(info) => info,
    };
    let unreadable = || {
        crate::error::Error::config(
            "KUBERNETES_EXEC_INFO is not the ExecCredential JSON kubectl writes, or names its cluster without a server URL: no token for a cluster that cannot be checked",
        )
    };
    let info = info.into_string().map_err(|_| unreadable())?;
    let v: serde_json::Value = serde_json::from_str(&info).map_err(|_| unreadable())?;
    match &v["spec"]["cluster"] {
        serde_json::Value::Null => Ok(None),
        cluster => match &cluster["server"] {
            serde_json::Value::String(server) => Ok(Some(server.clone())),
            _ => Err(unreadable()),
        },
    }
}

/// `client.authentication.k8s.io` `ExecCredential`, as kubectl reads it.
#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
struct ExecCredential<'a> {
    api_version: &'static str,
    kind: &'static str,
    status: Status<'a>,
}

#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
struct Status<'a> {
    expiration_timestamp: String,
    token: &'a str,
}

fn render(api_version: &'static str, served: &Served) -> String {
    let credential = ExecCredential {
        api_version,
        kind: "ExecCredential",
        status: Status {
            expiration_timestamp: time(served.entry.expires_at),
            token: served.entry.token.expose(),
        },
    };
    format!(
        "{}\n",
        serde_json::to_string(&credential).expect("credential serializes")
    )
}

pub fn exec_credential(served: &Served) -> String {
    render(api_version(), served)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::Source;
    use crate::policy::Entry;
    use crate::secret::Secret;

    #[test]
    fn exec_credential_is_exactly_what_kubectl_reads() {
        let served = Served {
            entry: Entry {
                token: Secret::new("tok-1".into()),
                issued_at: 1_800_000_000_000,
                expires_at: 1_800_003_600_000,
                refresh_at: 1_800_002_880_000,
                jitter: 0.0,
                expiry_source: "test".into(),
                received_at: None,
                minted_for_min_ttl: None,
            },
            source: Source::Cache,
        };
        assert_eq!(
            render("client.authentication.k8s.io/v1", &served),
            concat!(
                r#"{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","#,
                r#""status":{"expirationTimestamp":"2027-01-15T09:00:00Z","token":"tok-1"}}"#,
                "\n"
            )
        );
    }
}
