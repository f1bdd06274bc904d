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

use crate::context::Context;
use crate::error::{Code, Error, Reply, Result};
use crate::request::Request;
use crate::resolve;

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

/// Largest stdin read for `store` (the token Terraform hands over).
const MAX_STORE_INPUT: u64 = 1 << 20;

/// One exchange. `args`: what Terraform passes, its configured `args` first, then VERB and
/// HOST; `stdin`: read for `store` and `forget` only.
pub fn exchange(ctx: Result<Context>, args: &[String], stdin: &mut dyn Read) -> Result<Reply> {
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
            let _ = std::io::copy(&mut stdin.take(MAX_STORE_INPUT), &mut std::io::sink());
            Err(Error::config(format!(
                "terraform-credentials: `{verb}` is not supported: the target's backend issues the tokens (remove `terraform login`'s credentials for this host instead)"
            )))
        }
        _ => Err(Error::new(
            Code::Usage,
            "usage: terraform-credentials-ecluse get HOST  (store and forget are not supported)",
        )),
    };
    answer.map(Reply::Stdout)
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
    use crate::protocol::testing::{broken, one_target, stdout};

    fn ask(args: &[&str], stdin: &mut &[u8]) -> Result<Reply> {
        let (_dir, ctx) = one_target("urls = [\"https://registry.example.com/\"]");
        let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        exchange(Ok(ctx), &args, stdin)
    }

    #[test]
    fn get_answers_the_token_of_the_host_s_target_and_an_empty_object_for_another() {
        let none: &mut &[u8] = &mut &b""[..];
        assert_eq!(
            stdout(ask(&["get", "registry.example.com"], none)),
            "{\"token\":\"tok-1\"}\n"
        );
        // Terraform's configured `args` come first.
        assert_eq!(
            stdout(ask(&["--flag", "get", "registry.example.com"], none)),
            "{\"token\":\"tok-1\"}\n"
        );
        assert_eq!(stdout(ask(&["get", "other.example.com"], none)), "{}\n");
    }

    #[test]
    fn a_malformed_request_is_a_usage_error_and_store_is_refused_after_reading_the_token() {
        let none: &mut &[u8] = &mut &b""[..];
        for args in [&["get", "https://registry.example.com"][..], &["get"], &[]] {
            assert_eq!(ask(args, none).unwrap_err().code, Code::Usage, "{args:?}");
        }
        let mut stdin = &b"{\"token\":\"from-terraform-login\"}"[..];
        let e = ask(&["store", "registry.example.com"], &mut stdin).unwrap_err();
        assert_eq!(e.code, Code::Config);
        assert!(stdin.is_empty(), "the token Terraform writes is read");
        let args = ["get".to_owned(), "registry.example.com".to_owned()];
        let e = exchange(broken(), &args, &mut &b""[..]).unwrap_err();
        assert_eq!(e.code, Code::Config);
    }

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
