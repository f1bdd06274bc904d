//! `setup poetry`: Poetry asks the keyring library, in-process, for every source and
//! repository URL, so what serves it is the keyring backend ([`super::pykeyring`]); and
//! Poetry's `config.toml` (`$POETRY_CONFIG_DIR`, else `$XDG_CONFIG_HOME/pypoetry/`) gets
//! `[repositories.NAME] url = "URL"`, so `poetry publish -r NAME` knows the registry. A
//! project's `[[tool.poetry.source]]` with the registry's index URL needs nothing more: Poetry
//! asks keyring for that URL before its first request.

use super::{Plan, Wiring, config_home, file, pykeyring, toml_table};
use crate::error::Result;

pub(crate) fn config_toml() -> Result<std::path::PathBuf> {
    let dir = match super::env_path("POETRY_CONFIG_DIR") {
        Some(dir) => dir,
        None => config_home()?.join("pypoetry"),
    };
    Ok(dir.join("config.toml"))
}

pub(super) fn plan(w: &Wiring<'_>) -> Result<Plan> {
    let path = file(w.args, config_toml)?;
    let name = super::registry_name(w)?;
    let (repository, index) = pykeyring::repository_and_index(w.url);
    let edit = toml_table::table_edit(
        path,
        &["repositories", &name],
        &[("url", &repository)],
        w.url,
        w.args.undo,
    )?;
    let mut plan = pykeyring::plan(
        w,
        edit,
        format!(
            "Poetry: repository {name} is {repository}, its token from ecluse-cred's keyring backend"
        ),
        format!("poetry publish -r {name}"),
    )?;
    plan.notes.push(format!(
        "to install from it, a project names its index as a source: `poetry source add --priority=primary {name} {index}`"
    ));
    Ok(plan)
}
