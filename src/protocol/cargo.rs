//! Cargo's credential provider protocol (cargo >= 1.74), through the `cargo-credential` crate.
//!
//! Configured as `credential-provider = ["ecluse-cred", "--target", "x"]`, or `["ecluse-cred"]`
//! to resolve the target from the registry's index URL. Cargo runs `ecluse-cred --cargo-plugin`
//! and passes the other words as the request's `args`. `get` answers with the token and
//! `cache: "expires"` at the token's expiry (cargo then reuses it within one run); `login` and
//! `logout` are not supported (tokens come from the backend); a registry no target serves is
//! `url-not-supported`, so cargo tries its next provider.

use cargo_credential::{
    Action, CacheControl, Credential, CredentialResponse, Error, RegistryInfo, Secret,
};

use crate::app::Context;

/// The provider, with the configuration loaded (or why it could not be).
pub struct Provider {
    pub ctx: std::result::Result<Context, String>,
}

impl Credential for Provider {
    fn perform(
        &self,
        registry: &RegistryInfo<'_>,
        action: &Action<'_>,
        args: &[&str],
    ) -> Result<CredentialResponse, Error> {
        if !matches!(action, Action::Get(_)) {
            return Err(Error::OperationNotSupported);
        }
        let explicit = target_arg(args)?;
        let ctx = self
            .ctx
            .as_ref()
            .map_err(|e| Error::Other(e.clone().into()))?;
        let target = match explicit {
            Some(name) => ctx
                .config
                .target(name)
                .map_err(|e| Error::Other(e.message.into()))?,
            None => ctx
                .resolve(registry.index_url)
                .map_err(|_| Error::UrlNotSupported)?,
        };
        let served = ctx
            .serve(&target, None, false)
            .map_err(|e| Error::Other(e.message.into()))?;
        let expiration =
            time::OffsetDateTime::from_unix_timestamp(served.entry.expires_at.div_euclid(1000))
                .map_err(|e| Error::Other(format!("token expiry out of range: {e}").into()))?;
        Ok(CredentialResponse::Get {
            token: Secret::from(served.entry.token.expose().to_owned()),
            cache: CacheControl::Expires { expiration },
            operation_independent: true,
        })
    }
}

/// `--target NAME` / `--target=NAME` from the provider's configured arguments.
pub(crate) fn target_arg<'a>(args: &[&'a str]) -> Result<Option<&'a str>, Error> {
    let mut found = None;
    let mut rest = args.iter();
    while let Some(arg) = rest.next() {
        match *arg {
            "--target" => {
                found = Some(
                    *rest
                        .next()
                        .ok_or_else(|| Error::Other("--target needs a target name".into()))?,
                )
            }
            a if a.starts_with("--target=") => found = Some(&a["--target=".len()..]),
            other => {
                return Err(Error::Other(
                    format!("unknown argument `{other}` in credential-provider (ecluse-cred takes only --target NAME)").into(),
                ));
            }
        }
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn target_argument_forms() {
        assert_eq!(target_arg(&["--target", "x"]).unwrap(), Some("x"));
        assert_eq!(target_arg(&["--target=y"]).unwrap(), Some("y"));
        assert_eq!(target_arg(&[]).unwrap(), None);
        assert!(target_arg(&["--target"]).is_err());
        assert!(target_arg(&["--verbose"]).is_err());
    }
}
