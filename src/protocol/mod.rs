//! How each client asks for a token: one module per client protocol. Each resolves its target
//! from what the client sends (a URL, a host) or from an explicit `--target`, and gets the
//! token through [`crate::service::Context::serve`], so the whole policy applies to every client.

pub mod bazel;
pub mod cargo;
pub mod ci;
pub mod docker;
pub mod git;
pub mod goauth;
pub mod keyring;
pub mod kube;
pub mod npm;
pub mod pnpm;
pub mod shims;
pub mod terraform;

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
        .filter_map(|u| crate::resolve::Request::url(u).ok())
        .filter(|r| r.scheme == crate::resolve::Scheme::Https)
        .map(|r| r.shown())
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
