//! `setup kubectl`: a kubeconfig user (`--user U`, default `ecluse-TARGET`) whose v1 exec entry
//! runs `kube-credential` (`interactiveMode: Never`, cluster info provided so the target's
//! `urls` are checked against the API server); with `--context C`, that existing context's user
//! becomes it. `current-context` is never changed. Written by kubectl's own `kubectl config`
//! (on a copy of the file, for the framework's dry-run and atomic write); kubectl rewrites the
//! file in its own layout. The user entry remembers the context's previous user, so `--undo`
//! puts it back.

use std::path::{Path, PathBuf};
use std::process::Command;

use super::{Edit, Plan, Wiring, env_path, file, home};
use crate::error::{Error, Result};

/// The environment variables, in the exec entry, that remember which context setup pointed at
/// the user and the user it had before.
const PREVIOUS_USER: &str = "ECLUSE_CRED_SETUP_PREVIOUS_USER";
const CONTEXT: &str = "ECLUSE_CRED_SETUP_CONTEXT";

/// The kubeconfig kubectl writes new entries to: in `KUBECONFIG`, the first file that exists
/// (else the last one); else `~/.kube/config`.
pub(crate) fn kubeconfig() -> Result<PathBuf> {
    if let Some(list) = env_path("KUBECONFIG") {
        let files: Vec<PathBuf> = std::env::split_paths(&list)
            .filter(|p| !p.as_os_str().is_empty())
            .collect();
        if let Some(found) = files.iter().find(|p| p.exists()).or(files.last()) {
            return Ok(found.clone());
        }
    }
    Ok(home()?.join(".kube").join("config"))
}

/// Run `kubectl config --kubeconfig COPY ARGS` on a copy of `text`: the copy afterwards, and
/// what kubectl printed.
fn kubectl(real: &Path, text: &str, args: &[&str]) -> Result<(String, String)> {
    let what = format!("kubectl config {}", args.first().unwrap_or(&""));
    let command = |copy: &Path| {
        let mut cmd = Command::new("kubectl");
        cmd.arg("config")
            .arg("--kubeconfig")
            .arg(copy)
            .args(args)
            .env_remove("KUBECONFIG");
        cmd
    };
    super::on_copy(real, text, &what, command, |_| false)
}

/// The kubeconfig as JSON (`kubectl config view`), for reading what is there.
fn view(real: &Path, text: &str) -> Result<serde_json::Value> {
    if text.trim().is_empty() {
        return Ok(serde_json::Value::Null);
    }
    let (_, json) = kubectl(real, text, &["view", "--raw", "-o", "json"])?;
    serde_json::from_str(&json).map_err(|e| Error::config(format!("kubectl config view: {e}")))
}

fn named<'a>(v: &'a serde_json::Value, list: &str, name: &str) -> Option<&'a serde_json::Value> {
    v[list]
        .as_array()?
        .iter()
        .find(|e| e["name"].as_str() == Some(name))
}

pub(super) fn plan(w: &Wiring<'_>) -> Result<Plan> {
    let path = file(w.args, kubeconfig)?;
    let user = w
        .args
        .user
        .clone()
        .unwrap_or_else(|| format!("ecluse-{}", w.target.name));
    // kubectl splits `--exec-arg` values on commas.
    // One argument each (`--target=NAME`): a name that starts with `-` must not read as an
    // option.
    let which = match &w.args.which.target {
        Some(name) => format!("--target={name}"),
        None => format!("--url={}", w.url),
    };
    if which.contains(',') || user.contains(',') {
        return Err(Error::config(
            "kubectl splits arguments on `,`: pick a name without one",
        ));
    }
    let context = w.args.context.as_deref();
    let edit = Edit::of(path.clone(), false, |old| {
        let config = view(&path, old)?;
        let existing = named(&config, "users", &user);
        let ours = existing.is_some_and(|u| {
            u["user"]["exec"]["args"]
                .as_array()
                .is_some_and(|a| a.first().and_then(|s| s.as_str()) == Some("kube-credential"))
        });
        if w.args.undo {
            if !ours {
                return Ok(old.to_owned());
            }
            let env = |name: &str| {
                existing
                    .and_then(|u| u["user"]["exec"]["env"].as_array())
                    .and_then(|env| {
                        env.iter()
                            .find(|e| e["name"].as_str() == Some(name))
                            .and_then(|e| e["value"].as_str().map(str::to_owned))
                    })
            };
            let mut text = old.to_owned();
            // The context setup pointed at the user gets its user back; any other context
            // still using it is the user's doing, and would be left broken.
            let restored = env(CONTEXT);
            if let (Some(c), Some(previous)) = (&restored, env(PREVIOUS_USER))
                && named(&config, "contexts", c)
                    .is_some_and(|ctx| ctx["context"]["user"].as_str() == Some(user.as_str()))
            {
                text = kubectl(
                    &path,
                    &text,
                    &["set-context", c, &format!("--user={previous}")],
                )?
                .0;
            }
            if let Some(other) = config["contexts"].as_array().and_then(|all| {
                all.iter().find(|c| {
                    c["context"]["user"].as_str() == Some(user.as_str())
                        && c["name"].as_str() != restored.as_deref()
                })
            }) {
                return Err(Error::config(format!(
                    "{}: context `{}` uses user `{user}`; point it at another user first (`kubectl config set-context {} --user=...`)",
                    path.display(),
                    other["name"].as_str().unwrap_or("?"),
                    other["name"].as_str().unwrap_or("?")
                )));
            }
            let text = kubectl(&path, &text, &["delete-user", &user])?.0;
            // A kubeconfig setup created and left with nothing in it goes.
            let left = view(&path, &text)?;
            let empty = ["users", "clusters", "contexts"]
                .iter()
                .all(|k| left[*k].as_array().is_none_or(Vec::is_empty));
            return Ok(if empty { String::new() } else { text });
        }
        if existing.is_some() && !ours {
            return Err(Error::config(format!(
                "{}: user `{user}` already exists; pass --user NAME for another name",
                path.display()
            )));
        }
        let mut previous = None;
        if let Some(context) = context {
            let Some(found) = named(&config, "contexts", context) else {
                return Err(Error::config(format!(
                    "{}: no context `{context}`; --context names an existing one",
                    path.display()
                )));
            };
            previous = found["context"]["user"]
                .as_str()
                .filter(|u| *u != user)
                .map(str::to_owned);
        }
        let mut args = vec![
            "set-credentials".to_owned(),
            user.clone(),
            "--exec-api-version=client.authentication.k8s.io/v1".to_owned(),
            format!("--exec-command={}", w.exe.display()),
            "--exec-arg=kube-credential".to_owned(),
            format!("--exec-arg={which}"),
            "--exec-interactive-mode=Never".to_owned(),
            "--exec-provide-cluster-info=true".to_owned(),
        ];
        if let (Some(previous), Some(context)) = (&previous, context) {
            args.push(format!("--exec-env={PREVIOUS_USER}={previous}"));
            args.push(format!("--exec-env={CONTEXT}={context}"));
        }
        let argv: Vec<&str> = args.iter().map(String::as_str).collect();
        let mut text = kubectl(&path, old, &argv)?.0;
        if let Some(context) = context {
            text = kubectl(
                &path,
                &text,
                &["set-context", context, &format!("--user={user}")],
            )?
            .0;
        }
        // Unchanged content keeps its bytes.
        Ok(if view(&path, &text)? == config {
            old.to_owned()
        } else {
            text
        })
    })?;
    Ok(Plan {
        edits: vec![edit],
        shim: None,
        links: Vec::new(),
        done: format!("kubectl: user `{user}` gets its token from ecluse-cred"),
        next: match context {
            Some(c) => format!("kubectl --context {c} get ..."),
            None => format!(
                "kubectl config set-context NAME --cluster=CLUSTER --user={user}, then kubectl --context NAME get ..."
            ),
        },
        notes: Vec::new(),
    })
}
