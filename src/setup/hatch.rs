//! `setup hatch`: `hatch publish` asks the keyring library, in-process, for the password of the
//! repository URL (Hatch's environments install with uv or pip, which `setup uv` and `setup pip`
//! wire), so what serves it is the keyring backend ([`super::pykeyring`]); Hatch's
//! `config.toml` (`$HATCH_CONFIG`, else `$XDG_CONFIG_HOME/hatch/config.toml`) gets
//! `[publish.index.repos.NAME]` with the URL and the user, which Hatch would otherwise prompt
//! for (it asks keyring only for a password, never for a username).

use super::{Edit, Plan, Wiring, config_home, file, pykeyring, toml_table};
use crate::error::Result;

pub(crate) fn config_toml() -> Result<std::path::PathBuf> {
    if let Some(path) = super::env_path("HATCH_CONFIG") {
        return Ok(path);
    }
    Ok(config_home()?.join("hatch").join("config.toml"))
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
    let edit = Edit::of(path.clone(), false, |old| {
        let mut doc = toml_table::parse(&path, old)?;
        toml_table::set_table(
            &path,
            &mut doc,
            &["publish", "index", "repos", &name],
            &[("url", &repository), ("user", user)],
            w.url,
            w.args.undo,
        )?;
        Ok(toml_table::text(doc))
    })?;
    let backend = pykeyring::edits(w, &edit)?;
    let mut edits = vec![edit];
    edits.extend(backend);
    Ok(Plan {
        edits,
        shim: None,
        links: Vec::new(),
        done: format!(
            "Hatch: repository {name} is {repository} (user {user}), its token from ecluse-cred's keyring backend"
        ),
        next: format!("hatch publish -r {name}"),
        notes: Vec::new(),
    })
}
