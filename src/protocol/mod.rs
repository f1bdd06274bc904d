//! How each client asks for a token: one module per client protocol. Each resolves its target
//! from what the client sends (a URL, a host) or from an explicit `--target`, and gets the
//! token through [`crate::context::Context::serve`], so the whole policy applies to every client.
//!
//! A front-end's `exchange` takes its input as arguments (stdin as a reader, argv, the
//! environment values it reads) and returns its [`crate::error::Reply`] or an error; it prints nothing and
//! picks no exit code. `commands` hands it the process's input, and [`crate::error::finish`]
//! prints and maps, so each exchange is a unit test without a process.

pub mod bazel;
pub mod cargo;
pub mod docker;
pub mod git;
pub mod goauth;
pub mod keyring;
pub mod kube;
pub mod kubelet;
pub mod pnpm;
pub mod terraform;

use std::io::Read;

use crate::config::{Config, Target};
use crate::error::{Error, Result};

/// What the client wrote on stdin, up to `max` bytes (anything after is not read). A read that
/// fails or text that is not UTF-8 reads as nothing (or the part before a failure), which the
/// request's parse then refuses or finds no target in.
pub fn read_input(stdin: &mut dyn Read, max: u64) -> String {
    let mut input = String::new();
    let _ = stdin.take(max).read_to_string(&mut input);
    input
}

/// Before a token is handed to a client for `url` (npm's registry, kubectl's cluster): the
/// target serves it (a target with `urls`, or a derived one, serves only those). `what` names
/// the URL in the error (`the registry`, `the cluster at`).
pub fn check_serves(config: &Config, target: &Target, url: &str, what: &str) -> Result<()> {
    let request = crate::request::Request::url(url)?;
    if crate::resolve::serves(config, target, &request) {
        return Ok(());
    }
    Err(Error::config(format!(
        "target `{}` does not serve {what} {}: a token goes only where its target's `urls` point; add it there or name the target that serves it",
        target.name,
        request.shown()
    )))
}

/// The `Authorization` value for clients that take a whole header (GOAUTH, Bazel): HTTP Basic
/// with the target's username where it has one (CodeArtifact's `aws`, Artifact Registry's
/// `oauth2accesstoken`: what those registries take), else `Bearer TOKEN`.
pub fn authorization(target: &crate::config::Target, token: &crate::secret::Secret) -> String {
    use base64::Engine;
    match &target.username {
        Some(user) => format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(format!("{user}:{}", token.expose()))
        ),
        None => format!("Bearer {}", token.expose()),
    }
}

/// The https URL prefixes `target` serves, as a client that attaches credentials by prefix
/// (GOAUTH) must be told them: its https `urls`, or a derived target's `https://HOST/`.
pub fn https_prefixes(
    config: &crate::config::Config,
    target: &crate::config::Target,
) -> Vec<String> {
    if target.urls.is_empty() && !config.targets.contains_key(&target.name) {
        return vec![format!("https://{}/", target.name)];
    }
    target
        .urls
        .iter()
        .filter_map(|u| crate::request::Request::url(u).ok())
        .filter(|r| r.scheme == crate::request::Scheme::Https)
        .map(|r| r.written())
        .collect()
}

/// Username sent with the token when neither the target nor the client names one.
pub const DEFAULT_USERNAME: &str = "token";

/// The username to answer a client that asked for `asked` (if it named one) from a target whose
/// username is `ours`; `None` when the client wants a user this target does not serve, so the
/// client can try its next credential source.
pub fn username_for(asked: Option<&str>, ours: Option<&str>) -> Option<String> {
    match (asked, ours) {
        (Some(asked), Some(ours)) if asked != ours => None,
        (_, Some(ours)) => Some(ours.to_owned()),
        (Some(asked), None) => Some(asked.to_owned()),
        (None, None) => Some(DEFAULT_USERNAME.to_owned()),
    }
}

/// What the front-ends' exchange tests share: a context over a real cache directory, whose
/// targets mint with a `command` that prints `tok-1` (a child process, no network).
#[cfg(test)]
pub(crate) mod testing {
    use std::path::Path;

    use crate::context::Context;
    use crate::error::{Error, Reply};

    /// A target's backend lines: a mint of `tok-1`, valid for an hour.
    pub const MINT: &str = r#"backend = "command"
command = ["sh", "-c", "printf '{\"token\":\"tok-1\",\"expires_in\":3600}'"]
"#;

    /// A context over `config` (TOML) and a fresh cache directory (kept while the first lives).
    pub fn context(config: &str) -> (tempfile::TempDir, Context) {
        let dir = tempfile::tempdir().unwrap();
        let config = crate::config::parse(config, Path::new("/c.toml")).unwrap();
        let cache_dir = dir.path().to_path_buf();
        (dir, Context { config, cache_dir })
    }

    /// One target `t` with `extra` lines (`urls`, `username`, ...) after its mint.
    pub fn one_target(extra: &str) -> (tempfile::TempDir, Context) {
        context(&format!("[targets.t]\n{MINT}{extra}\n"))
    }

    /// The context of [`one_target`] again, over the same cache (as the next process sees it).
    pub fn reopen(dir: &tempfile::TempDir, extra: &str) -> Context {
        let text = format!("[targets.t]\n{MINT}{extra}\n");
        Context {
            config: crate::config::parse(&text, Path::new("/c.toml")).unwrap(),
            cache_dir: dir.path().to_path_buf(),
        }
    }

    /// The expiry, in epoch seconds, of the token cached for `name`.
    pub fn expiry_secs(ctx: &Context, name: &str) -> i64 {
        let target = crate::resolve::target(&ctx.config, name).unwrap();
        ctx.cached(&target).unwrap().expires_at.as_secs()
    }

    /// A configuration that could not be loaded, as the dispatch hands it over.
    pub fn broken() -> crate::error::Result<Context> {
        Err(Error::config("config /c.toml: broken"))
    }

    /// The text of a [`Reply::Stdout`].
    pub fn stdout(reply: crate::error::Result<Reply>) -> String {
        match reply {
            Ok(Reply::Stdout(text)) => text,
            other => panic!("not an answer on stdout: {other:?}"),
        }
    }
}
