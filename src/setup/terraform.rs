//! `setup terraform`: the `credentials_helper "ecluse"` block in Terraform's CLI config
//! (`TF_CLI_CONFIG_FILE`, else `~/.terraformrc`) and the `terraform-credentials-ecluse` helper in
//! `~/.terraform.d/plugins/`, the only place Terraform looks for it (never PATH). Only one
//! `credentials_helper` may exist across Terraform's config: another one is a refusal.

use super::{Edit, Plan, Wiring, env_path, file, home, with_block, without_block};
use crate::error::{Error, Result};

/// The marker name: the helper serves every host, not one URL.
const NAME: &str = "credentials_helper";
const BLOCK: &str = "credentials_helper \"ecluse\" {\n  args = []\n}\n";

pub(crate) fn cli_config() -> Result<std::path::PathBuf> {
    match env_path("TF_CLI_CONFIG_FILE") {
        Some(path) => Ok(path),
        None => Ok(home()?.join(".terraformrc")),
    }
}

/// `text` without setup's marker and the `credentials_helper` block after it, up to its closing
/// brace, whatever the user changed inside it since.
fn without_helper_block(text: &str) -> String {
    let marker = format!("# {} {NAME}", super::MARKER);
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    let Some(at) = lines.iter().position(|l| l.trim_end() == marker) else {
        return text.to_owned();
    };
    if !lines
        .get(at + 1)
        .is_some_and(|l| l.trim_start().starts_with("credentials_helper \"ecluse\""))
    {
        return without_block(text, "#", NAME, |_| false);
    }
    let mut depth = 0i32;
    let mut end = at + 1;
    for (i, line) in lines.iter().enumerate().skip(at + 1) {
        depth += line.matches('{').count() as i32 - line.matches('}').count() as i32;
        end = i + 1;
        if depth <= 0 {
            break;
        }
    }
    [&lines[..at], &lines[end..]].concat().concat()
}

/// Where Terraform looks for the `terraform-credentials-ecluse` helper.
pub(crate) fn plugin() -> Result<std::path::PathBuf> {
    Ok(home()?
        .join(".terraform.d/plugins")
        .join(crate::protocol::shims::TERRAFORM))
}

pub(super) fn plan(w: &Wiring<'_>) -> Result<Plan> {
    let path = file(w.args, cli_config)?;
    let link = plugin()?;
    // Terraform merges `~/.terraform.d/*.tfrc` in when TF_CLI_CONFIG_FILE is not set.
    let others: Vec<std::path::PathBuf> = if env_path("TF_CLI_CONFIG_FILE").is_none() {
        std::fs::read_dir(home()?.join(".terraform.d"))
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "tfrc"))
            .collect()
    } else {
        Vec::new()
    };
    let edit = Edit::of(path.clone(), false, |old| {
        let rest = without_helper_block(old);
        if w.args.undo {
            return Ok(rest);
        }
        let mut seen = vec![(path.clone(), rest.clone())];
        seen.extend(
            others
                .iter()
                .filter_map(|p| Some((p.clone(), std::fs::read_to_string(p).ok()?))),
        );
        for (file, text) in seen {
            if let Some(n) = text
                .lines()
                .position(|l| l.trim_start().starts_with("credentials_helper"))
            {
                return Err(Error::config(format!(
                    "{}:{}: a credentials_helper is already configured, and Terraform allows one; remove it and run setup again",
                    file.display(),
                    n + 1
                )));
            }
        }
        Ok(with_block(&rest, "#", NAME, BLOCK))
    })?;
    Ok(Plan {
        edits: vec![edit],
        shim: None,
        links: vec![link],
        done: "terraform: credentials_helper \"ecluse\" answers for every host a target serves"
            .to_owned(),
        next: format!("terraform init (modules and providers from {})", w.url),
        notes: Vec::new(),
    })
}
