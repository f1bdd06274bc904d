//! Terraform's (and OpenTofu's) credentials helpers: `terraform-credentials-ecluse [ARGS...] VERB
//! HOST`, found only in Terraform's plugin directories (`setup terraform` links it there), also
//! `ecluse-cred terraform-credentials VERB HOST`.
//!
//! - `get HOST`: `{"token":"TOKEN"}` for the target that serves `https://HOST/` (Terraform speaks
//!   only https to registries: an `http` target never answers), or `{}` for a host no target
//!   serves, exit 0. Terraform sends the token as `Authorization: Bearer`.
//! - `store HOST` and `forget HOST`: refused with a message: the backend issues the tokens, and
//!   `terraform login`/`logout` have nothing to store here.
//! - anything else: a message on stderr and a non-zero exit.

use std::io::Read;
use std::process::ExitCode;

use crate::error::{Code, Error, Result};
use crate::resolve::{self, Request};
use crate::service::Context;

/// `get`'s answer.
#[derive(serde::Serialize, Default)]
pub struct Credentials<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token: Option<&'a str>,
}

impl Credentials<'_> {
    pub fn to_json(&self) -> String {
        format!(
            "{}\n",
            serde_json::to_string(self).expect("credentials serialize")
        )
    }
}

/// `args`: what Terraform passes, its configured `args` first, then VERB and HOST.
pub fn main(ctx: Result<Context>, args: &[String]) -> ExitCode {
    let (verb, host) = match args {
        [.., verb, host] => (verb.as_str(), host.as_str()),
        _ => ("", ""),
    };
    let answer = match verb {
        // Terraform names a host, `host[:port]`: anything else is a malformed request.
        "get" if Request::url_or_https_host(host).is_err() || host.contains("://") => {
            Err(Error::new(
                Code::Usage,
                format!(
                    "terraform-credentials: `{}` is not a host name (Terraform asks `get HOST`)",
                    crate::redact::url(host)
                ),
            ))
        }
        "get" => ctx.and_then(|ctx| get(&ctx, host)),
        "store" | "forget" => {
            // Terraform writes the token to `store` on stdin: read it so it sees no broken pipe.
            let _ = std::io::copy(&mut std::io::stdin().take(1 << 20), &mut std::io::sink());
            Err(Error::config(format!(
                "terraform-credentials: `{verb}` is not supported: the target's backend issues the tokens (remove `terraform login`'s credentials for this host instead)"
            )))
        }
        _ => Err(Error::new(
            Code::Usage,
            "usage: terraform-credentials-ecluse get HOST  (store and forget are not supported)",
        )),
    };
    match answer.and_then(|text| crate::service::print(&text)) {
        Ok(code) => code,
        Err(e) => crate::error::report(&e),
    }
}

/// The target that answers `get HOST` (`None`: `{}`): HOST is `host[:port]`, always https.
pub fn target_for(
    config: &crate::config::Config,
    host: &str,
) -> Result<Option<crate::config::Target>> {
    if host.contains("://") {
        return Ok(None);
    }
    match Request::url_or_https_host(host) {
        Ok(request) => resolve::lookup(config, &request),
        Err(_) => Ok(None),
    }
}

fn get(ctx: &Context, host: &str) -> Result<String> {
    let Some(target) = target_for(&ctx.config, host)? else {
        return Ok(Credentials::default().to_json());
    };
    let served = ctx.serve(&target, None, false)?;
    Ok(Credentials {
        token: Some(served.entry.token.expose()),
    }
    .to_json())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_are_exactly_what_terraform_reads() {
        assert_eq!(Credentials::default().to_json(), "{}\n");
        assert_eq!(
            Credentials {
                token: Some("tok-1")
            }
            .to_json(),
            "{\"token\":\"tok-1\"}\n"
        );
    }
}
