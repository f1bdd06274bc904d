//! `setup docker`: `credHelpers[HOST] = "ecluse"` in docker's `config.json` (`$DOCKER_CONFIG`,
//! else `~/.docker`), every other key kept in its order; podman, buildah, skopeo and helm read
//! the same entry. And the `docker-credential-ecluse` shim on PATH. docker names registries
//! without a scheme and speaks https to them, so only an `https` URL can be wired.

use serde_json::{Map, Value};

use super::{Edit, Plan, Shim, Wiring, env_path, file, home, unparsable};
use crate::error::{Error, Result};
use crate::request::{Request, Scheme};

/// The helper name docker turns into `docker-credential-ecluse`.
const HELPER: &str = "ecluse";

pub(crate) fn docker_config() -> Result<std::path::PathBuf> {
    Ok(match env_path("DOCKER_CONFIG") {
        Some(dir) => dir.join("config.json"),
        None => home()?.join(".docker").join("config.json"),
    })
}

/// docker's own layout: tab-indented JSON.
fn render(v: &Value, trailing_newline: bool) -> String {
    let mut out = Vec::new();
    let formatter = serde_json::ser::PrettyFormatter::with_indent(b"\t");
    let mut ser = serde_json::Serializer::with_formatter(&mut out, formatter);
    serde::Serialize::serialize(v, &mut ser).expect("JSON serializes");
    let mut text = String::from_utf8(out).expect("JSON is UTF-8");
    if trailing_newline {
        text.push('\n');
    }
    text
}

pub(super) fn plan(w: &Wiring<'_>) -> Result<Plan> {
    let path = file(w.args, docker_config)?;
    let request = Request::url(w.url)?;
    // docker speaks plain http only to its built-in insecure registries, the machine itself.
    if request.scheme != Scheme::Https && !request.is_loopback() {
        return Err(Error::config(format!(
            "docker speaks https to registries and names them without a scheme: wire an https URL (for a plain-http registry, configure the target with https://{}/; see README)",
            request
                .shown()
                .trim_start_matches("http://")
                .trim_end_matches('/')
        )));
    }
    if w.target.username.is_none() && !w.args.undo {
        return Err(Error::config(format!(
            "target `{}` has no username, which docker needs: set `username` in its config section",
            w.target.name
        )));
    }
    let host = crate::protocol::docker::registry_name(&request);
    // docker names only the host: whichever target serves that is the one asked, whatever URL
    // setup was given. Wiring another would hand docker that target's token.
    if !w.args.undo {
        let asked = crate::protocol::docker::target_for(&w.ctx.config, &host)?;
        super::check_asked_by_host(w, "docker", &host, asked)?;
    }
    let edit = Edit::of(path.clone(), false, |old| {
        let mut config: Map<String, Value> = if old.trim().is_empty() {
            Map::new()
        } else {
            match serde_json::from_str::<Value>(old) {
                Ok(Value::Object(map)) => map,
                Ok(_) => return Err(unparsable(&path, 1, "not a JSON object")),
                Err(e) => return Err(unparsable(&path, e.line(), "not valid JSON")),
            }
        };
        let helpers = config
            .entry("credHelpers")
            .or_insert_with(|| Value::Object(Map::new()));
        let Value::Object(helpers) = helpers else {
            return Err(unparsable(&path, 1, "`credHelpers` is not an object"));
        };
        match helpers.get(&host) {
            Some(Value::String(h)) if h == HELPER => {
                if w.args.undo {
                    helpers.shift_remove(&host);
                }
            }
            Some(other) if !w.args.undo => {
                return Err(Error::config(format!(
                    "{}: credHelpers already sends {host} to {other}; remove that entry and run setup again",
                    path.display()
                )));
            }
            // Nothing of setup's here: undo leaves the file as it is (an empty `credHelpers`
            // of the user's stays).
            Some(_) | None if w.args.undo => return Ok(old.to_owned()),
            Some(_) => {}
            None => {
                helpers.insert(host.clone(), Value::String(HELPER.to_owned()));
            }
        }
        if helpers.is_empty() {
            config.shift_remove("credHelpers");
        }
        if config.is_empty() {
            // `{}`: nothing, which undo keeps in a file setup did not create (see `record`).
            return Ok(render(&Value::Object(config), old.ends_with('\n')));
        }
        if old.trim().is_empty() {
            return Ok(render(&Value::Object(config), true));
        }
        let rendered = render(&Value::Object(config), old.ends_with('\n'));
        // Unchanged content keeps its bytes, whatever layout it had.
        let same = serde_json::from_str::<Value>(old).ok() == serde_json::from_str(&rendered).ok();
        Ok(if same { old.to_owned() } else { rendered })
    })?;
    Ok(Plan {
        edits: vec![edit],
        shim: Some(Shim::OnPath(crate::shims::DOCKER)),
        links: Vec::new(),
        done: format!("docker: credHelpers sends {host} to ecluse"),
        next: format!("docker pull {host}/IMAGE (or skopeo inspect docker://{host}/IMAGE)"),
        notes: Vec::new(),
    })
}
