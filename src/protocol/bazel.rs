//! The credential-helper spec (EngFlow) that Bazel speaks (`--credential_helper=HOST=PATH`):
//! Bazel runs `PATH get` with `{"uri": "https://..."}` on stdin and reads
//! `{"headers": {"NAME": ["VALUE"]}, "expires": "RFC 3339"}`. Answered under the shim name
//! `bazel-credential-ecluse` (Bazel cannot pass arguments) and as `ecluse-cred
//! bazel-credential get`.
//!
//! - A URI that no target serves (the same scheme, host and port rule as everywhere; a `grpcs://`
//!   remote cache is not an http(s) registry) answers `{}`, exit 0: Bazel goes on without.
//! - `Authorization` is Basic with the target's username where it has one, else Bearer.
//! - `expires` is the token's expiry less `min_ttl` (Bazel uses the headers until then and never
//!   refreshes early), in whole seconds (Bazel's parser rejects fractions). (Bazel 7.1 to 7.3 re-ran helpers on every request when
//!   `expires` was set; fixed in 7.4.)
//! - Anything else (no command, another command, a request that is not a JSON object with a
//!   string `uri`, a failed mint) is an error: a message on stderr and a non-zero exit, as the
//!   spec asks.

use std::collections::BTreeMap;
use std::io::Read;

use crate::context::Context;
use crate::error::{Code, Error, Reply, Result};
use crate::request::Request;
use crate::resolve;

/// Largest request read.
const MAX_INPUT: u64 = 64 << 10;

/// What a request that is not a GetCredentialsRequest is told.
const NOT_A_REQUEST: &str =
    "bazel-credential: the request is not a JSON object with a string `uri`";

/// GetCredentialsResponse.
#[derive(serde::Serialize, Default)]
pub struct GetResponse {
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub headers: BTreeMap<&'static str, Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires: Option<String>,
}

impl GetResponse {
    pub fn to_json(&self) -> String {
        format!(
            "{}\n",
            serde_json::to_string(self).expect("response serializes")
        )
    }
}

/// One exchange: Bazel's command (`op`) and, for `get`, its request on `stdin` (read only
/// then: another command has none).
pub fn exchange(ctx: Result<Context>, op: Option<&str>, stdin: &mut dyn Read) -> Result<Reply> {
    match op {
        Some("get") => {
            let input = super::read_input(stdin, MAX_INPUT);
            get(&ctx?, &input).map(Reply::Stdout)
        }
        Some(other) => Err(Error::new(
            Code::Usage,
            format!(
                "bazel-credential: unknown command `{}`: only `get`",
                crate::redact::text(other)
            ),
        )),
        None => Err(Error::new(
            Code::Usage,
            "usage: bazel-credential-ecluse get  (the request as JSON on stdin)",
        )),
    }
}

/// The target that answers for `uri` (`None`: `{}`).
pub fn target_for(
    config: &crate::config::Config,
    uri: &str,
) -> Result<Option<crate::config::Target>> {
    match Request::url(uri) {
        Ok(url) => resolve::lookup(config, &url),
        Err(_) => Ok(None),
    }
}

/// The `uri` of a GetCredentialsRequest (other properties are allowed). Anything else, JSON
/// that is not an object (an array would otherwise fill the field by position) or has no
/// string `uri`, is an error: never a silent `{}`.
fn request_uri(input: &str) -> Result<String> {
    let value: serde_json::Value = serde_json::from_str(input).map_err(|e| {
        Error::new(
            Code::Usage,
            format!(
                "{NOT_A_REQUEST} (invalid JSON at line {}, column {})",
                e.line(),
                e.column()
            ),
        )
    })?;
    match value.get("uri") {
        Some(serde_json::Value::String(uri)) if value.is_object() => Ok(uri.clone()),
        _ => Err(Error::new(Code::Usage, NOT_A_REQUEST)),
    }
}

fn get(ctx: &Context, input: &str) -> Result<String> {
    let uri = request_uri(input)?;
    let Some(target) = target_for(&ctx.config, &uri)? else {
        return Ok(GetResponse::default().to_json());
    };
    let served = ctx.serve(&target, None, false)?;
    let response = GetResponse {
        headers: BTreeMap::from([(
            "Authorization",
            vec![super::authorization(&target, &served.entry.token)],
        )]),
        // Bazel keeps the headers until `expires` and never refreshes early: report the
        // expiry less the policy's margin, as every other client is served.
        expires: Some(
            served
                .entry
                .expires_at
                .saturating_sub_ms(crate::policy::ms(target.policy.min_ttl))
                .to_string(),
        ),
    };
    Ok(response.to_json())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::testing::{broken, one_target, stdout};

    const URLS: &str = "urls = [\"https://pkgs.example.com/\"]";

    fn get_with(stdin: &str) -> Result<Reply> {
        let (_dir, ctx) = one_target(URLS);
        exchange(Ok(ctx), Some("get"), &mut stdin.as_bytes())
    }

    #[test]
    fn get_answers_the_header_for_a_served_uri_and_an_empty_object_for_another() {
        let answer = stdout(get_with(
            r#"{"uri": "https://pkgs.example.com/x/y.tar.gz"}"#,
        ));
        assert!(
            answer.starts_with(r#"{"headers":{"Authorization":["Bearer tok-1"]},"expires":""#)
                && answer.ends_with("Z\"}\n"),
            "{answer}"
        );
        for other in [
            r#"{"uri": "https://other.example.com/x"}"#,
            r#"{"uri": "http://pkgs.example.com/x"}"#,
            r#"{"uri": "grpcs://pkgs.example.com"}"#,
        ] {
            assert_eq!(stdout(get_with(other)), "{}\n", "{other}");
        }
        assert_eq!(get_with("[]").unwrap_err().code, Code::Usage);
    }

    #[test]
    fn another_command_is_a_usage_error_and_leaves_stdin_unread() {
        for op in [Some("store"), None] {
            let mut stdin = "{}".as_bytes();
            let (_dir, ctx) = one_target(URLS);
            let e = exchange(Ok(ctx), op, &mut stdin).unwrap_err();
            assert_eq!(e.code, Code::Usage, "{op:?}");
            assert_eq!(stdin, b"{}");
        }
        let e = exchange(broken(), Some("get"), &mut "{}".as_bytes()).unwrap_err();
        assert_eq!(e.code, Code::Config);
    }

    #[test]
    fn a_request_that_is_not_an_object_with_a_string_uri_is_an_error() {
        for input in [
            r#"["https://pkgs.example.com/x"]"#,
            r#""https://pkgs.example.com/x""#,
            "42",
            "null",
            "{}",
            r#"{"uri": 7}"#,
            r#"{"uri": ["https://pkgs.example.com/x"]}"#,
            "",
            "{",
        ] {
            let e = request_uri(input).unwrap_err();
            assert_eq!(e.code, Code::Usage, "{input}");
            assert!(
                e.message.contains("not a JSON object"),
                "{input}: {}",
                e.message
            );
        }
        assert_eq!(
            request_uri(r#"{"uri": "https://pkgs.example.com/x", "extra": 1}"#).unwrap(),
            "https://pkgs.example.com/x"
        );
    }

    #[test]
    fn responses_are_exactly_the_spec_s_shape() {
        assert_eq!(GetResponse::default().to_json(), "{}\n");
        let r = GetResponse {
            headers: BTreeMap::from([("Authorization", vec!["Bearer tok-1".to_owned()])]),
            expires: Some(crate::mint::EpochMs::from_millis(1_800_000_000_123).to_string()),
        };
        assert_eq!(
            r.to_json(),
            "{\"headers\":{\"Authorization\":[\"Bearer tok-1\"]},\"expires\":\"2027-01-15T08:00:00Z\"}\n"
        );
    }
}
