//! How each client asks for a token: one module per client protocol. Each resolves its target
//! from what the client sends (a URL, a host) or from an explicit `--target`, and gets the
//! token through [`crate::service::Context::serve`], so the whole policy applies to every client.

pub mod cargo;
pub mod ci;
pub mod docker;
pub mod git;
pub mod keyring;
pub mod kube;
pub mod npm;
pub mod pnpm;
pub mod shims;

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
