//! Real kubectl runs `ecluse-cred kube-credential` as its exec credential plugin against a
//! loopback API server with TLS (kubectl runs exec plugins only for https servers): a
//! self-signed certificate from openssl, a Python `ssl` server that answers only
//! `Bearer <minted token>` ([`TlsServer`]).

mod common;

use std::fs;
use std::path::{Path, PathBuf};

use common::registry::assert_refused_unauthenticated;
use common::tls::TlsServer;
use common::tools::{self, Tool};
use common::*;

/// kubectl and the loopback API server (TLS, answers only `Bearer <cached token>`, see
/// tls_server.py), or `None` when either cannot be had here (the test is reported skipped).
fn kubectl_and_server(sb: &Sandbox) -> Option<(PathBuf, TlsServer)> {
    let kubectl = tools::need(Tool::Kubectl)?;
    Some((kubectl, TlsServer::start(sb, "kubernetes")?))
}

/// A kubeconfig user (flow style) that presents no credential to `server`: a client certificate
/// the server never asks for. (For a user with no credential at all, kubectl asks for a user name
/// on stdin, and fails at its end before sending anything.)
fn no_credential(server: &TlsServer) -> String {
    format!(
        "{{client-certificate: \"{}\", client-key: \"{}\"}}",
        server.cert.display(),
        server.key.display()
    )
}

/// `kubectl` fails, because the server saw it come without credentials and answered 401.
fn assert_refused(server: &TlsServer, kubectl: impl Fn() -> std::process::Output) {
    let before = server.exchanges().len();
    let out = kubectl();
    assert!(!out.status.success(), "{}", stdout(&out));
    assert_refused_unauthenticated(&server.exchanges()[before..]);
}

#[test]
fn real_kubectl_uses_the_exec_credential() {
    let sb = Sandbox::new("");
    let dir = sb.dir.path();
    let Some((kubectl_bin, server)) = kubectl_and_server(&sb) else {
        return;
    };
    let (port, cert) = (server.port, &server.cert);
    let kubeconfig = dir.join("kubeconfig");
    fs::write(
        &kubeconfig,
        format!(
            r#"apiVersion: v1
kind: Config
clusters:
- name: local
  cluster:
    server: https://127.0.0.1:{port}
    certificate-authority: {cert}
users:
- name: ecluse
  user:
    exec:
      apiVersion: client.authentication.k8s.io/v1
      command: {exe}
      args: ["kube-credential", "--target", "demo"]
      interactiveMode: Never
contexts:
- name: local
  context:
    cluster: local
    user: ecluse
current-context: local
"#,
            port = port,
            cert = cert.display(),
            exe = env!("CARGO_BIN_EXE_ecluse-cred"),
        ),
    )
    .unwrap();
    let kubectl = |args: &[&str]| {
        sb.program(&kubectl_bin)
            .arg("--kubeconfig")
            .arg(&kubeconfig)
            .arg("--cache-dir")
            .arg(dir.join("kube-cache"))
            .args(args)
            .output()
    };
    let out = kubectl(&["get", "--raw", "/api"]);
    assert!(out.status.success(), "{}\n{}", stdout(&out), stderr(&out));
    assert!(stdout(&out).contains("APIVersions"), "{}", stdout(&out));
    assert_eq!(sb.mints(), 1);
    assert!(!stderr(&out).contains(&sb.cached_token()));
    // A second kubectl run is served from the ecluse-cred cache.
    assert!(kubectl(&["get", "--raw", "/api"]).status.success());
    assert_eq!(sb.mints(), 1);
}

#[test]
fn setup_kubectl_gives_a_context_the_exec_user_and_undo_gives_it_back() {
    let sb = Sandbox::new("");
    let dir = sb.dir.path();
    let Some((kubectl_bin, server)) = kubectl_and_server(&sb) else {
        return;
    };
    let (port, cert) = (server.port, &server.cert);
    sb.write_config(&format!("urls = [\"https://127.0.0.1:{port}/\"]"));
    let kubeconfig = dir.join("kubeconfig");
    let original = format!(
        "apiVersion: v1\nkind: Config\nclusters:\n- name: local\n  cluster:\n    server: https://127.0.0.1:{port}\n    certificate-authority: {}\nusers:\n- name: nobody\n  user: {}\ncontexts:\n- name: local\n  context:\n    cluster: local\n    user: nobody\ncurrent-context: local\n",
        cert.display(),
        no_credential(&server)
    );
    fs::write(&kubeconfig, &original).unwrap();
    let ours = |extra: &[&str]| {
        let mut args = vec!["setup", "kubectl", "--target", "demo", "--context", "local"];
        args.extend_from_slice(extra);
        sb.cmd(&args).env("KUBECONFIG", &kubeconfig).output()
    };
    let kubectl = || {
        sb.program(&kubectl_bin)
            .args(["--context", "local", "get", "--raw", "/api"])
            .env("KUBECONFIG", &kubeconfig)
            .output()
    };
    assert_refused(&server, kubectl);
    let out = ours(&[]);
    assert!(out.status.success(), "{}", stderr(&out));
    let written = fs::read_to_string(&kubeconfig).unwrap();
    assert!(
        written.contains("ecluse-demo") && written.contains("interactiveMode: Never"),
        "{written}"
    );
    assert!(written.contains("current-context: local"));
    assert_eq!(
        stdout(&ours(&[])).lines().next(),
        Some("nothing to change: already set up")
    );
    let out = kubectl();
    assert!(out.status.success(), "{}\n{}", stdout(&out), stderr(&out));
    assert!(stdout(&out).contains("APIVersions"));

    let out = ours(&["--undo"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(fs::read_to_string(&kubeconfig).unwrap(), original);
    assert_refused(&server, kubectl);
}

#[test]
fn setup_kubectl_undo_never_leaves_a_context_pointing_at_a_removed_user() {
    let Some(kubectl_bin) = tools::need(Tool::Kubectl) else {
        return;
    };
    let sb = Sandbox::new("urls = [\"https://127.0.0.1:6443/\"]");
    let kubeconfig = sb.dir.path().join("kubeconfig");
    fs::write(
        &kubeconfig,
        "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster:\n    server: https://127.0.0.1:6443\ncontexts:\n- name: mine\n  context:\n    cluster: c\n    user: nobody\nusers:\n- name: nobody\n  user: {}\ncurrent-context: mine\n",
    )
    .unwrap();
    let setup = |extra: &[&str]| {
        let mut args = vec!["setup", "kubectl", "--target", "demo"];
        args.extend_from_slice(extra);
        sb.cmd(&args).env("KUBECONFIG", &kubeconfig).output()
    };
    assert!(setup(&[]).status.success());
    // The user points a context at it by hand; undo would leave that context broken.
    let out = sb
        .program(&kubectl_bin)
        .args(["config", "set-context", "mine", "--user=ecluse-demo"])
        .env("KUBECONFIG", &kubeconfig)
        .output();
    assert!(out.status.success());
    let before = fs::read_to_string(&kubeconfig).unwrap();
    let out = setup(&["--undo"]);
    assert_eq!(out.status.code(), Some(78), "{}", stderr(&out));
    assert!(stderr(&out).contains("context `mine`"), "{}", stderr(&out));
    assert_eq!(fs::read_to_string(&kubeconfig).unwrap(), before);
}

/// `kubectl config view` of `kubeconfig`, as JSON.
fn view(sb: &Sandbox, kubectl: &Path, kubeconfig: &Path) -> serde_json::Value {
    let out = sb
        .program(kubectl)
        .args(["config", "view", "--raw", "-o", "json", "--kubeconfig"])
        .arg(kubeconfig)
        .env_remove("KUBECONFIG")
        .output();
    assert!(out.status.success(), "{}", stderr(&out));
    serde_json::from_slice(&out.stdout).unwrap()
}

fn named<'a>(v: &'a serde_json::Value, list: &str, name: &str) -> &'a serde_json::Value {
    v[list]
        .as_array()
        .and_then(|all| all.iter().find(|e| e["name"] == name))
        .unwrap_or(&serde_json::Value::Null)
}

#[test]
fn setup_kubectl_keeps_comments_unknown_keys_key_order_and_flow_style_and_undo_gives_back_the_bytes()
 {
    let sb = Sandbox::new("");
    let dir = sb.dir.path();
    let Some((kubectl_bin, server)) = kubectl_and_server(&sb) else {
        return;
    };
    let (port, cert) = (server.port, &server.cert);
    let url = format!("https://127.0.0.1:{port}/");
    sb.write_config(&format!("urls = [\"{url}\"]"));
    let kubeconfig = dir.join("kubeconfig");
    // Hand-written: comments everywhere, a key kubectl does not know, kubectl's keys in another
    // order, flow style, lists indented, no `apiVersion` first.
    let original = format!(
        r#"# my clusters, by hand
kind: Config
preferences: {{}}   # defaults
x-team: platform   # a key kubectl does not know
current-context: local
users:
  # the read-only account
  - user: {nobody}
    name: nobody
contexts:
- context:
    # where it points
    user: nobody   # for now
    cluster: local
  name: local
- {{name: other, context: {{cluster: local, user: nobody}}}}
clusters:
- cluster:
    certificate-authority: "{cert}"
    server: https://127.0.0.1:{port}
  name: local # the only one
apiVersion: v1
# the end
"#,
        cert = cert.display(),
        nobody = no_credential(&server),
    );
    fs::write(&kubeconfig, &original).unwrap();
    let before = view(&sb, &kubectl_bin, &kubeconfig);
    let setup = |extra: &[&str]| {
        let mut args = vec!["setup", "kubectl", "--url", &url, "--context", "local"];
        args.extend_from_slice(extra);
        sb.cmd(&args).env("KUBECONFIG", &kubeconfig).output()
    };
    let kubectl = || {
        sb.program(&kubectl_bin)
            .args(["--context", "local", "get", "--raw", "/api"])
            .arg("--cache-dir")
            .arg(dir.join("kube-cache"))
            .env("KUBECONFIG", &kubeconfig)
            .output()
    };
    assert_refused(&server, kubectl);

    let out = setup(&[]);
    assert!(out.status.success(), "{}", stderr(&out));
    let written = fs::read_to_string(&kubeconfig).unwrap();
    for kept in [
        "# my clusters, by hand\nkind: Config\npreferences: {}   # defaults\nx-team: platform   # a key kubectl does not know\n",
        format!(
            "  # the read-only account\n  - user: {}\n    name: nobody\n",
            no_credential(&server)
        )
        .as_str(),
        "- {name: other, context: {cluster: local, user: nobody}}\n",
        "  name: local # the only one\napiVersion: v1\n# the end\n",
    ] {
        assert!(written.contains(kept), "{kept:?} is gone:\n{written}");
    }
    // What kubectl reads: the exec user, bound to the target by name (not by URL), for the
    // context named; everything else as it was.
    let after = view(&sb, &kubectl_bin, &kubeconfig);
    let exec = &named(&after, "users", "ecluse-demo")["user"]["exec"];
    assert_eq!(
        exec["args"],
        serde_json::json!(["kube-credential", "--target", "demo"]),
        "{written}"
    );
    assert_eq!(exec["command"], env!("CARGO_BIN_EXE_ecluse-cred"));
    assert_eq!(exec["interactiveMode"], "Never");
    assert_eq!(exec["provideClusterInfo"], true);
    assert_eq!(
        named(&after, "contexts", "local")["context"]["user"],
        "ecluse-demo"
    );
    assert_eq!(
        named(&after, "contexts", "other"),
        named(&before, "contexts", "other")
    );
    assert_eq!(
        named(&after, "users", "nobody"),
        named(&before, "users", "nobody")
    );
    assert_eq!(after["clusters"], before["clusters"]);
    assert_eq!(after["current-context"], "local");
    assert_eq!(
        stdout(&setup(&[])).lines().next(),
        Some("nothing to change: already set up")
    );
    assert_eq!(fs::read_to_string(&kubeconfig).unwrap(), written);

    // A real request through kubectl runs the exec entry.
    let out = kubectl();
    assert!(out.status.success(), "{}\n{}", stdout(&out), stderr(&out));
    assert!(stdout(&out).contains("APIVersions"));
    assert_eq!(sb.mints(), 1);

    let out = setup(&["--undo"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(fs::read_to_string(&kubeconfig).unwrap(), original);
    assert_refused(&server, kubectl);
}

#[test]
fn setup_kubectl_changes_only_the_chosen_context_of_several() {
    let Some(kubectl_bin) = tools::need(Tool::Kubectl) else {
        return;
    };
    let sb = Sandbox::new("urls = [\"https://127.0.0.1:6443/\"]");
    let kubeconfig = sb.dir.path().join("kubeconfig");
    let original = "apiVersion: v1\nclusters:\n- cluster:\n    server: https://127.0.0.1:6443\n  name: c\ncontexts:\n- context:\n    cluster: c\n    user: a\n  name: ctx-a\n- context:\n    cluster: c\n    namespace: build\n    user: b\n  name: ctx-b\n- context:\n    cluster: c\n    user: c\n  name: ctx-c\ncurrent-context: ctx-a\nkind: Config\npreferences: {}\nusers:\n- name: a\n  user:\n    token: ta\n- name: b\n  user:\n    token: tb\n- name: c\n  user:\n    token: tc\n";
    fs::write(&kubeconfig, original).unwrap();
    let before = view(&sb, &kubectl_bin, &kubeconfig);
    let setup = |extra: &[&str]| {
        let mut args = vec!["setup", "kubectl", "--target", "demo", "--context", "ctx-b"];
        args.extend_from_slice(extra);
        sb.cmd(&args).env("KUBECONFIG", &kubeconfig).output()
    };
    let out = setup(&[]);
    assert!(out.status.success(), "{}", stderr(&out));
    let written = fs::read_to_string(&kubeconfig).unwrap();
    // Of the original lines, only ctx-b's user line is not there as it was.
    let gone: Vec<&str> = original
        .lines()
        .filter(|l| !written.lines().any(|w| w == *l))
        .collect();
    assert_eq!(gone, ["    user: b"], "{written}");
    let after = view(&sb, &kubectl_bin, &kubeconfig);
    let mut expected = before.clone();
    expected["contexts"][1]["context"]["user"] = "ecluse-demo".into();
    let mut users = after["users"].as_array().unwrap().clone();
    let ours = users
        .iter()
        .position(|u| u["name"] == "ecluse-demo")
        .unwrap();
    users.remove(ours);
    let mut seen = after.clone();
    seen["users"] = users.into();
    assert_eq!(seen, expected);
    assert_eq!(after["current-context"], "ctx-a");

    let out = setup(&["--undo"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(fs::read_to_string(&kubeconfig).unwrap(), original);
}

#[test]
fn setup_kubectl_undo_takes_out_an_entry_an_older_setup_wrote_through_kubectl() {
    let Some(kubectl_bin) = tools::need(Tool::Kubectl) else {
        return;
    };
    let sb = Sandbox::new("urls = [\"https://127.0.0.1:6443/\"]");
    let kubeconfig = sb.dir.path().join("kubeconfig");
    fs::write(
        &kubeconfig,
        "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster:\n    server: https://127.0.0.1:6443\ncontexts:\n- name: mine\n  context:\n    cluster: c\n    user: nobody\nusers:\n- name: nobody\n  user:\n    token: t\ncurrent-context: mine\n",
    )
    .unwrap();
    // What an older setup ran: the entry (with the context it points and the user it had in
    // its env), then the context.
    for args in [
        vec![
            "set-credentials".to_owned(),
            "ecluse-demo".to_owned(),
            "--exec-api-version=client.authentication.k8s.io/v1".to_owned(),
            format!("--exec-command={}", env!("CARGO_BIN_EXE_ecluse-cred")),
            "--exec-arg=kube-credential".to_owned(),
            "--exec-arg=--target=demo".to_owned(),
            "--exec-env=ECLUSE_CRED_SETUP_PREVIOUS_USER=nobody".to_owned(),
            "--exec-env=ECLUSE_CRED_SETUP_CONTEXT=mine".to_owned(),
        ],
        vec![
            "set-context".to_owned(),
            "mine".to_owned(),
            "--user=ecluse-demo".to_owned(),
        ],
    ] {
        let out = sb
            .program(&kubectl_bin)
            .arg("config")
            .args(&args)
            .env("KUBECONFIG", &kubeconfig)
            .output();
        assert!(out.status.success(), "{}", stderr(&out));
    }
    let before = view(&sb, &kubectl_bin, &kubeconfig);
    let out = sb
        .cmd(&["setup", "kubectl", "--target", "demo", "--undo"])
        .env("KUBECONFIG", &kubeconfig)
        .output();
    assert!(out.status.success(), "{}", stderr(&out));
    let after = view(&sb, &kubectl_bin, &kubeconfig);
    assert_eq!(
        named(&after, "users", "ecluse-demo"),
        &serde_json::Value::Null
    );
    assert_eq!(
        named(&after, "contexts", "mine")["context"]["user"],
        "nobody"
    );
    assert_eq!(
        after["users"],
        serde_json::json!([named(&before, "users", "nobody")])
    );
    assert_eq!(after["clusters"], before["clusters"]);
}

#[test]
fn kube_credential_prints_an_exec_credential() {
    let sb = Sandbox::new("");
    let out = sb.run(&["kube-credential", "--target", "demo"]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["apiVersion"], "client.authentication.k8s.io/v1");
    assert_eq!(v["kind"], "ExecCredential");
    assert_eq!(v["status"]["token"].as_str().unwrap(), sb.cached_token());
    let exp: jiff::Timestamp = v["status"]["expirationTimestamp"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(exp.as_second(), sb.cached_entry().expires_at / 1000);
}

#[test]
fn kube_credential_answers_only_a_cluster_its_target_serves() {
    let sb = Sandbox::new("urls = [\"https://k8s.example.com:6443/\"]");
    let info = |server: &str| {
        serde_json::json!({"apiVersion": "client.authentication.k8s.io/v1", "kind": "ExecCredential",
            "spec": {"interactive": false, "cluster": {"server": server}}})
        .to_string()
    };
    let run = |server: &str| {
        sb.cmd(&["kube-credential", "--target", "demo"])
            .env("KUBERNETES_EXEC_INFO", info(server))
            .output()
    };
    let out = run("https://k8s.example.com:6443");
    assert!(out.status.success(), "{}", stderr(&out));
    for server in [
        "https://evil.example.com:6443",
        "http://k8s.example.com:6443",
        "https://k8s.example.com",
    ] {
        let out = run(server);
        assert_eq!(out.status.code(), Some(78), "{server}: {}", stderr(&out));
        assert!(stdout(&out).is_empty());
    }
    // Cluster information that cannot be read is no reason to skip the check.
    for raw in [
        r#"{"spec":{"cluster":{"server":"https://evil.example.com/"}}"#.to_owned(),
        r#"{"spec":{"cluster":{"server":["https://evil.example.com/"]}}}"#.to_owned(),
        r#"{"spec":{"cluster":{"server":null}}}"#.to_owned(),
        "[".repeat(100_000),
    ] {
        let out = sb
            .cmd(&["kube-credential", "--target", "demo"])
            .env("KUBERNETES_EXEC_INFO", &raw)
            .output();
        assert_eq!(out.status.code(), Some(78), "{}", stderr(&out));
        assert!(stdout(&out).is_empty());
    }
    // Without cluster information (provideClusterInfo off) there is nothing to check.
    let out = sb.cmd(&["kube-credential", "--target", "demo"])
        .env(
            "KUBERNETES_EXEC_INFO",
            r#"{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","spec":{"interactive":false}}"#,
        )
        .output();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(sb.mints(), 1);
}

#[test]
fn setup_kubectl_undo_of_an_older_entry_keeps_what_else_the_kubeconfig_holds() {
    let Some(kubectl_bin) = tools::need(Tool::Kubectl) else {
        return;
    };
    let sb = Sandbox::new("urls = [\"https://127.0.0.1:6443/\"]");
    for (before, kept) in [
        // The user's current context and preferences stay, with no cluster, context or user.
        (
            Some(
                "apiVersion: v1\nkind: Config\ncurrent-context: elsewhere\npreferences:\n  colors: true\n",
            ),
            true,
        ),
        // The ordinary case: a kubeconfig the older setup made holds nothing after undo.
        (None, false),
    ] {
        let kubeconfig = sb.dir.path().join(format!("kubeconfig-{kept}"));
        if let Some(text) = before {
            fs::write(&kubeconfig, text).unwrap();
        }
        // What an older setup ran, through kubectl.
        let out = sb
            .program(&kubectl_bin)
            .args([
                "config",
                "set-credentials",
                "ecluse-demo",
                "--exec-api-version=client.authentication.k8s.io/v1",
            ])
            .arg(format!(
                "--exec-command={}",
                env!("CARGO_BIN_EXE_ecluse-cred")
            ))
            .args(["--exec-arg=kube-credential", "--exec-arg=--target=demo"])
            .env("KUBECONFIG", &kubeconfig)
            .output();
        assert!(out.status.success(), "{}", stderr(&out));
        let out = sb
            .cmd(&["setup", "kubectl", "--target", "demo", "--undo"])
            .env("KUBECONFIG", &kubeconfig)
            .output();
        assert!(out.status.success(), "{}", stderr(&out));
        let text = fs::read_to_string(&kubeconfig).unwrap_or_default();
        assert!(!text.contains("ecluse-demo"), "{text}");
        if kept {
            let after = view(&sb, &kubectl_bin, &kubeconfig);
            assert_eq!(after["current-context"], "elsewhere", "{text}");
            assert_eq!(after["preferences"]["colors"], true, "{text}");
        } else {
            assert_eq!(text.trim(), "", "{text}");
        }
    }
}
