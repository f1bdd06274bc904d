//! kubectl exec credential plugin: `ecluse-cred kube-credential --target x` prints an
//! `ExecCredential` with the token and its `expirationTimestamp`, so kubectl caches it until then.
//!
//! kubectl describes the call in `KUBERNETES_EXEC_INFO`: the API version it reads the answer in
//! and, with the exec entry's `provideClusterInfo: true`, the cluster (`spec.cluster.server`)
//! the token is for. The token goes only to a cluster its target serves.

use std::ffi::OsStr;

use crate::config::Target;
use crate::context::Context;
use crate::engine::Served;
use crate::error::{Error, Reply, Result};

/// The variable kubectl describes the call in.
pub const EXEC_INFO_ENV: &str = "KUBERNETES_EXEC_INFO";
/// The API version answered when kubectl asks for no other this speaks.
const V1: &str = "client.authentication.k8s.io/v1";
/// The older API version, answered when kubectl asks for it.
const V1BETA1: &str = "client.authentication.k8s.io/v1beta1";

/// `KUBERNETES_EXEC_INFO`, parsed once: an `ExecCredential` as kubectl writes it (other fields
/// ignored).
#[derive(serde::Deserialize, Debug, Default, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct ExecInfo {
    /// The API version kubectl reads the answer in.
    #[serde(default)]
    pub api_version: Option<String>,
    #[serde(default)]
    pub spec: Option<ExecSpec>,
}

#[derive(serde::Deserialize, Debug, Default, PartialEq, Eq)]
pub struct ExecSpec {
    /// The cluster the token is for: only with `provideClusterInfo: true`.
    #[serde(default)]
    pub cluster: Option<Cluster>,
}

#[derive(serde::Deserialize, Debug, PartialEq, Eq)]
pub struct Cluster {
    /// The API server's URL.
    pub server: String,
}

impl ExecInfo {
    /// From the variable's value: absent or empty is no information (an older kubectl). One
    /// that cannot be read is an error, not "no cluster": the check a cluster it names would
    /// have failed must not be skipped.
    pub fn parse(info: Option<&OsStr>) -> Result<ExecInfo> {
        let info = match info {
            None => return Ok(ExecInfo::default()),
            Some(info) if info.is_empty() => return Ok(ExecInfo::default()),
            Some(info) => info,
        };
        let unreadable = || {
            Error::config(
                "KUBERNETES_EXEC_INFO is not the ExecCredential JSON kubectl writes, or names its cluster without a server URL: no token for a cluster that cannot be checked",
            )
        };
        let info = info.to_str().ok_or_else(unreadable)?;
        serde_json::from_str(info).map_err(|_| unreadable())
    }

    /// The API server kubectl is about to send the token to, when it says.
    pub fn cluster_server(&self) -> Option<&str> {
        let cluster = self.spec.as_ref()?.cluster.as_ref()?;
        Some(&cluster.server)
    }

    /// The API version to answer in: the one kubectl asks for if this speaks it, else v1.
    fn api_version(&self) -> &'static str {
        match self.api_version.as_deref() {
            Some(V1BETA1) => V1BETA1,
            _ => V1,
        }
    }
}

/// One exchange: `target`'s token for kubectl, as `info` (from [`ExecInfo::parse`]) asks; a
/// cluster the target does not serve is refused before anything is minted.
pub fn exchange(ctx: &Context, target: &Target, info: &ExecInfo) -> Result<Reply> {
    if let Some(server) = info.cluster_server() {
        super::check_serves(&ctx.config, target, server, "the cluster at")?;
    }
    let served = ctx.serve(target, None, false)?;
    Ok(Reply::Stdout(render(info.api_version(), &served)))
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
            expiration_timestamp: served.entry.expires_at.to_string(),
            token: served.entry.token.expose(),
        },
    };
    format!(
        "{}\n",
        serde_json::to_string(&credential).expect("credential serializes")
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Code;
    use crate::protocol::testing::{one_target, stdout};

    fn parse(info: &str) -> Result<ExecInfo> {
        ExecInfo::parse(Some(OsStr::new(info)))
    }

    #[test]
    fn exec_info_is_parsed_once_and_one_that_cannot_be_read_is_an_error() {
        assert_eq!(ExecInfo::parse(None).unwrap(), ExecInfo::default());
        assert_eq!(parse("").unwrap(), ExecInfo::default());
        let info = parse(
            r#"{"apiVersion":"client.authentication.k8s.io/v1beta1","kind":"ExecCredential","spec":{"interactive":false,"cluster":{"server":"https://k8s.example.com:6443","insecure-skip-tls-verify":false}}}"#,
        )
        .unwrap();
        assert_eq!(info.cluster_server(), Some("https://k8s.example.com:6443"));
        assert_eq!(info.api_version(), V1BETA1);
        let without_cluster = parse(
            r#"{"apiVersion":"client.authentication.k8s.io/v2","spec":{"interactive":true}}"#,
        )
        .unwrap();
        assert_eq!(without_cluster.cluster_server(), None);
        assert_eq!(
            without_cluster.api_version(),
            V1,
            "an unknown version is answered in v1"
        );
        for unreadable in [
            "{",
            r#"{"spec":{"cluster":{}}}"#,
            r#"{"spec":{"cluster":{"server":null}}}"#,
            r#"{"spec":{"cluster":{"server":["https://k8s.example.com"]}}}"#,
        ] {
            assert_eq!(
                parse(unreadable).unwrap_err().code,
                Code::Config,
                "{unreadable}"
            );
        }
        use std::os::unix::ffi::OsStrExt;
        let not_utf8 = ExecInfo::parse(Some(OsStr::from_bytes(b"{\xff}")));
        assert_eq!(not_utf8.unwrap_err().code, Code::Config);
    }

    #[test]
    fn the_token_goes_only_to_a_cluster_its_target_serves_in_the_version_asked() {
        let urls = "urls = [\"https://k8s.example.com:6443/\"]";
        let (_dir, ctx) = one_target(urls);
        let target = crate::resolve::target(&ctx.config, "t").unwrap();
        let cluster = |server: &str| {
            parse(&format!(
                r#"{{"apiVersion":"{V1BETA1}","spec":{{"cluster":{{"server":"{server}"}}}}}}"#
            ))
            .unwrap()
        };
        let e = exchange(&ctx, &target, &cluster("https://evil.example.com:6443")).unwrap_err();
        assert_eq!(e.code, Code::Config);
        assert!(
            ctx.cached(&target).is_none(),
            "nothing minted for a refused cluster"
        );
        let answer = stdout(exchange(
            &ctx,
            &target,
            &cluster("https://k8s.example.com:6443"),
        ));
        let expires = ctx.cached(&target).unwrap().expires_at;
        assert_eq!(
            answer,
            format!(
                r#"{{"apiVersion":"{V1BETA1}","kind":"ExecCredential","status":{{"expirationTimestamp":"{expires}","token":"tok-1"}}}}"#
            ) + "\n"
        );
        // No cluster named (provideClusterInfo off): nothing to check, answered in v1.
        let answer = stdout(exchange(&ctx, &target, &ExecInfo::default()));
        assert!(answer.starts_with(r#"{"apiVersion":"client.authentication.k8s.io/v1","#));
    }
    use crate::engine::Source;
    use crate::policy::{Entry, EpochMs};
    use crate::secret::Secret;

    #[test]
    fn exec_credential_is_exactly_what_kubectl_reads() {
        let served = Served {
            entry: Entry {
                token: Secret::new("tok-1".into()),
                issued_at: EpochMs::from_millis(1_800_000_000_000),
                expires_at: EpochMs::from_millis(1_800_003_600_000),
                refresh_at: EpochMs::from_millis(1_800_002_880_000),
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
