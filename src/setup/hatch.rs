//! `setup hatch`: `hatch publish` asks the keyring library, in-process, for the password of the
//! repository URL (Hatch's environments install with uv or pip, which `setup uv` and `setup pip`
//! wire), so what serves it is the keyring backend ([`super::pykeyring`]); Hatch's
//! `config.toml` (`$HATCH_CONFIG`, else `$XDG_CONFIG_HOME/hatch/config.toml`) gets
//! `[publish.index.repos.NAME]` with the URL and the user, which Hatch would otherwise prompt
//! for (it asks keyring only for a password, never for a username).

use super::{Plan, Wiring, config_home, file, pykeyring, toml_table};
use crate::error::Result;

pub(crate) fn config_toml() -> Result<std::path::PathBuf> {
    super::env_path_or("HATCH_CONFIG", || {
        Ok(config_home()?.join("hatch/config.toml"))
    })
}

pub(super) fn plan(w: &Wiring<'_>) -> Result<Plan> {
    let path = file(w.args, config_toml)?;
    let name = super::registry_name(w)?;
    let (repository, _) = pykeyring::repository_and_index(w.url);
    let user = w
        .target
        .username
        .as_deref()
        .unwrap_or(crate::protocol::DEFAULT_USERNAME);
    let edit = toml_table::table_edit(
        path,
        &["publish", "index", "repos", &name],
        &[("url", &repository), ("user", user)],
        w.url,
        w.args.undo,
    )?;
    pykeyring::plan(
        w,
        edit,
        format!(
            "Hatch: repository {name} is {repository} (user {user}), its token from ecluse-cred's keyring backend"
        ),
        format!("hatch publish -r {name}"),
    )
}
