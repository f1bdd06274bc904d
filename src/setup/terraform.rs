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

pub(super) fn plan(w: &Wiring<'_>) -> Result<Plan> {
    let path = file(w.args, cli_config)?;
    let link = home()?
        .join(".terraform.d/plugins")
        .join(crate::protocol::shims::TERRAFORM);
    let block: Vec<&str> = BLOCK.lines().collect();
    let edit = Edit::of(path.clone(), false, |old| {
        let rest = without_block(old, "#", NAME, |l| block.contains(&l));
        if w.args.undo {
            return Ok(rest);
        }
        if let Some(n) = rest
            .lines()
            .position(|l| l.trim_start().starts_with("credentials_helper"))
        {
            return Err(Error::config(format!(
                "{}:{}: a credentials_helper is already configured, and Terraform allows one; remove it and run setup again",
                path.display(),
                n + 1
            )));
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
