//! `token`: print a valid token for a target (cached when possible), raw, as JSON, as a shell
//! `export`, or handed to later GitHub Actions steps. Clients call it on every request: this is
//! the path `docs/benchmarks.md` measures.

use std::path::PathBuf;

use crate::ci;
use crate::cli::{TokenArgs, TokenFormat};
use crate::context::Context;
use crate::engine::Served;
use crate::error::{Reply, Result};

pub fn run(ctx: &Context, args: TokenArgs) -> Result<Reply> {
    let target = super::which(ctx, &args.which)?;
    let served = ctx.serve(&target, args.min_ttl, args.no_background)?;
    let out = match args.format {
        TokenFormat::Raw => format!("{}\n", served.entry.token.expose()),
        TokenFormat::Json => token_json(&served, &target.name),
        TokenFormat::Env => ci::shell_export(&args.env, &served.entry.token),
        TokenFormat::Github => {
            let github_env = std::env::var_os("GITHUB_ENV")
                .filter(|v| !v.is_empty())
                .map(PathBuf::from);
            ci::github_export(&args.env, &served.entry.token, github_env.as_deref())?;
            String::new()
        }
    };
    Ok(Reply::Stdout(out))
}

/// `token --format json`: the token, its expiry, the target and where it came from.
#[derive(serde::Serialize)]
struct TokenReply<'a> {
    expires_at: String,
    /// `cache` or `mint`.
    source: &'static str,
    target: &'a str,
    token: &'a str,
}

fn token_json(served: &Served, target: &str) -> String {
    let reply = TokenReply {
        expires_at: served.entry.expires_at.to_string(),
        source: served.source.as_str(),
        target,
        token: served.entry.token.expose(),
    };
    format!(
        "{}\n",
        serde_json::to_string(&reply).expect("reply serializes")
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::Source;
    use crate::policy::{Entry, EpochMs};
    use crate::secret::Secret;

    const T0: i64 = 1_800_000_000_000;

    #[test]
    fn token_json_is_exactly_this() {
        let served = Served {
            entry: Entry {
                token: Secret::new("tok-1".into()),
                issued_at: EpochMs::from_millis(T0),
                expires_at: EpochMs::from_millis(T0 + 3_600_000),
                refresh_at: EpochMs::from_millis(T0 + 2_880_000),
                jitter: 0.0,
                expiry_source: "expires_in".into(),
                received_at: None,
                minted_for_min_ttl: None,
            },
            source: Source::Cache,
        };
        assert_eq!(
            token_json(&served, "build"),
            "{\"expires_at\":\"2027-01-15T09:00:00Z\",\"source\":\"cache\",\"target\":\"build\",\"token\":\"tok-1\"}\n"
        );
    }
}
