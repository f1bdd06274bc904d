//! `setup pdm`: PDM's global `config.toml` (`$PDM_CONFIG_FILE`, else
//! `$XDG_CONFIG_HOME/pdm/config.toml`) gets the registry's index as `pypi.url` (or, with
//! `--extra`, as `[pypi.NAME]`) and `[repository.NAME]` for `pdm publish -r NAME`. PDM asks for
//! credentials after a 401: through the keyring library when its environment has it (`pdm self
//! add keyring`), which the keyring backend ([`super::pykeyring`]) answers, else by running a
//! `keyring` program from PATH, which the `keyring` shim answers. Setup wires both.

use super::{Edit, Plan, Shim, Wiring, config_home, file, pykeyring, toml_table};
use crate::error::Result;

pub(crate) fn config_toml() -> Result<std::path::PathBuf> {
    super::env_path_or("PDM_CONFIG_FILE", || {
        Ok(config_home()?.join("pdm/config.toml"))
    })
}

pub(super) fn plan(w: &Wiring<'_>) -> Result<Plan> {
    let path = file(w.args, config_toml)?;
    let name = super::registry_name(w)?;
    let (repository, index) = pykeyring::repository_and_index(w.url);
    let user = w
        .target
        .username
        .as_deref()
        .unwrap_or(crate::protocol::DEFAULT_USERNAME);
    let edit = Edit::of(path.clone(), false, |old| {
        let mut doc = toml_table::parse(&path, old)?;
        // Whichever way it was wired, undo takes the index out.
        toml_table::remove_key(&mut doc, &["pypi"], "url", w.url);
        if !w.args.undo && !w.args.extra {
            toml_table::set_key(
                &path,
                &mut doc,
                &["pypi"],
                ("url", &index),
                w.url,
                " (pass --extra to add this registry as an extra index)",
            )?;
        }
        // The extra source, or (setting up the default index, or undoing) none.
        toml_table::set_table(
            &path,
            &mut doc,
            &["pypi", &name],
            &[("url", &index)],
            w.url,
            w.args.undo || !w.args.extra,
        )?;
        toml_table::set_table(
            &path,
            &mut doc,
            &["repository", &name],
            &[("url", &repository), ("username", user)],
            w.url,
            w.args.undo,
        )?;
        Ok(toml_table::text(doc))
    })?;
    let mut plan = pykeyring::plan(
        w,
        edit,
        format!(
            "PDM: {} index {index} and repository {name}, tokens from ecluse-cred (keyring shim and backend)",
            if w.args.extra { "an extra" } else { "the" }
        ),
        format!("pdm install (and pdm publish -r {name})"),
    )?;
    plan.shim = Some(Shim::OnPath(crate::shims::KEYRING));
    Ok(plan)
}
