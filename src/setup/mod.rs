//! `ecluse-cred setup CLIENT`: wire one client to one registry in one command, in the client's
//! own user-level config (or `--file`), so that the client's plain command authenticates.
//!
//! Every client's setup is a [`Plan`]: the file edits it makes (computed, never applied in
//! place), the shim it needs on PATH, and what to tell the user. The framework here applies a
//! plan the same way for every client:
//!
//! - nothing else in the file changes: every other line, key and comment, and the file's mode;
//! - idempotent: a second run finds nothing to change and writes nothing;
//! - atomic: each file is written to a temp file beside it and renamed over it;
//! - `--dry-run` prints a unified diff of each file and writes nothing (and mints nothing);
//! - `--undo` removes what setup added for that registry; when it takes out the last of what
//!   setup added to a file, the file is as setup found it: a file setup created is removed, one
//!   it did not keeps what is left of it (`{}`, blank lines, nothing) and gets its mode back
//!   when that is the text it had (see [`record`]); an undo that finds nothing of setup's in a
//!   file leaves it untouched;
//! - a file that does not parse is not touched: exit 78 naming it as `FILE:LINE`;
//! - files it writes are never writable by group or others, and 0600 when they hold a token.
//!
//! What setup adds to line-based files (`.npmrc`, `pip.conf`) and TOML files (cargo, uv) is
//! marked by a comment line naming the registry, which is how `--undo` finds exactly that and
//! nothing the user wrote. git files are edited by git's own tool (`git config`), run on a copy
//! so that the same diff, dry-run and atomic write apply; kubeconfigs are edited as text between
//! marker comments (so comments, unknown keys and key order stay), and `kubectl config view` of
//! a copy checks the result.

mod bazel;
mod cargo;
mod docker;
mod git;
mod go;
mod hatch;
mod kubectl;
mod mask;
pub(crate) mod maven;
mod npm;
pub(crate) mod overrides;
mod pdm;
pub(crate) mod pip;
mod poetry;
pub(crate) mod pykeyring;
mod record;
mod terraform;
mod toml_table;
mod twine;
mod uv;
pub(crate) mod yarn;

/// Where each client's user config is, as setup writes it (for `doctor`).
pub(crate) mod paths {
    pub(crate) use super::bazel::bazelrc as bazel;
    pub(crate) use super::cargo::cargo_config as cargo;
    pub(crate) use super::docker::docker_config as docker;
    pub(crate) use super::git::global_config as git;
    pub(crate) use super::hatch::config_toml as hatch;
    pub(crate) use super::kubectl::kubeconfig as kubectl;
    pub(crate) use super::maven::settings_xml as maven;
    pub(crate) use super::pdm::config_toml as pdm;
    pub(crate) use super::pip::pip_conf as pip;
    pub(crate) use super::poetry::config_toml as poetry;
    pub(crate) use super::terraform::cli_config as terraform;
    pub(crate) use super::terraform::plugin as terraform_plugin;
    pub(crate) use super::twine::pypirc as twine;
    pub(crate) use super::uv::uv_toml as uv;
    pub(crate) use super::yarn::yarnrc as yarn;
    pub(crate) use crate::npmrc::user_npmrc as npm;
}

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use crate::cli::{SetupArgs, SetupClient};
use crate::config::Target;
use crate::context::{Context, print};
use crate::error::{Code, Error, Result};
use crate::request::Request;
use crate::resolve;

pub(crate) use crate::files::{
    Written, config_home, data_home, env_path, home, mode_of, read, resolved, write,
};

/// The comment line that opens what setup added for a registry (followed by its URL).
pub(crate) const MARKER: &str = "ecluse-cred setup:";

/// What one client's setup does.
pub(crate) struct Plan {
    pub edits: Vec<Edit>,
    /// A shim (`keyring`, `docker-credential-ecluse`, `bazel-credential-ecluse`) the client runs.
    pub shim: Option<Shim>,
    /// Links to this executable at fixed places (Terraform's plugin directory), made by setup
    /// and removed by `--undo`.
    pub links: Vec<PathBuf>,
    /// What changed, for the user, in a line.
    pub done: String,
    /// The plain client command that now works.
    pub next: String,
    /// Anything else the user should know (a token's expiry in a file, ...).
    pub notes: Vec<String>,
}

/// Where a client finds its shim.
pub(crate) enum Shim {
    /// By name, on PATH (pip's and uv's `keyring`, docker's `docker-credential-ecluse`).
    OnPath(&'static str),
    /// At this absolute path, which the client's config names (Bazel's `--credential_helper`):
    /// from [`shim_anywhere`], no PATH needed.
    At(PathBuf),
}

/// A change to one file.
pub(crate) struct Edit {
    pub path: PathBuf,
    /// The file as it is (`None`: it does not exist).
    pub before: Option<String>,
    /// The file as setup leaves it (`None`: removed).
    pub after: Option<String>,
    /// Whether the file holds a token (written 0600).
    pub secret: bool,
    /// With `after` `None`: what the change left of the file (see [`holds_nothing`]), which a
    /// file setup did not create keeps on `--undo` instead of being removed.
    bare: Option<String>,
    /// The mode `--undo` gives the file back (the one it had before setup first changed it);
    /// `None`: [`write`]'s rule.
    mode: Option<u32>,
}

/// Whether a config file's text holds nothing: blank lines only, or an empty JSON object (what
/// is left of docker's `config.json`). A file setup created and left so is removed by `--undo`.
fn holds_nothing(text: &str) -> bool {
    matches!(text.trim(), "" | "{}")
}

impl Edit {
    /// An edit of `path` by `change`, which gets the current text ("" when absent) and returns
    /// the new one; a result that [holds nothing](holds_nothing) removes the file (unless undo
    /// finds it was there before setup).
    pub fn of(
        path: PathBuf,
        secret: bool,
        change: impl FnOnce(&str) -> Result<String>,
    ) -> Result<Edit> {
        let path = resolved(&path)?;
        let before = read(&path)?;
        let after = change(before.as_deref().unwrap_or(""))?;
        let after = match &before {
            Some(before) if uses_crlf(before) => with_crlf(&after),
            _ => after,
        };
        let (after, bare) = if holds_nothing(&after) {
            (None, Some(after))
        } else {
            (Some(after), None)
        };
        Ok(Edit {
            path,
            before,
            after,
            secret,
            bare,
            mode: None,
        })
    }

    /// Whether the edit takes anything out of the file, as `--undo` does with what setup added:
    /// the text it leaves (before a result that holds nothing is taken for a removal) is not
    /// the text there is.
    fn removes(&self) -> bool {
        self.before.is_some() && self.after.as_ref().or(self.bare.as_ref()) != self.before.as_ref()
    }

    /// Leave the file as it is (an undo that found nothing of setup's in it).
    fn keep(&mut self) {
        self.after.clone_from(&self.before);
        self.bare = None;
        self.mode = None;
    }

    /// Whether applying the edit changes the file: its text, or (undo) its mode.
    fn changes(&self) -> bool {
        self.before != self.after || self.mode_change().is_some()
    }

    /// The mode undo gives back, if the file has another one now.
    fn mode_change(&self) -> Option<u32> {
        let now = mode_of(&self.path)?;
        self.mode.filter(|m| *m != now && self.after.is_some())
    }
}

/// What a client's setup needs to know.
pub(crate) struct Wiring<'a> {
    pub ctx: &'a Context,
    pub target: &'a Target,
    /// The registry URL (from `--url`, or the target's one `urls` entry).
    pub url: &'a str,
    pub args: &'a SetupArgs,
    /// This executable, absolute.
    pub exe: &'a Path,
}

pub fn run(ctx: &Context, args: &SetupArgs) -> Result<ExitCode> {
    // Names that go into a client's config: a line break or other control character there could
    // write lines of its own.
    for (option, value) in [
        ("--registry", &args.registry),
        ("--scope", &args.scope),
        ("--user", &args.user),
        ("--context", &args.context),
    ] {
        if let Some(value) = value
            && (value.is_empty() || value.chars().any(char::is_control))
        {
            return Err(Error::new(
                Code::Usage,
                format!("{option} must be a name without control characters, not {value:?}"),
            ));
        }
    }
    let (target, url) = target_and_url(ctx, args)?;
    // The URL as the user may see it: config files get it whole, messages redacted.
    let shown = Request::url(&url).map_or_else(|_| crate::redact::url(&url), |r| r.shown());
    let show = |text: &str| text.replace(&url, &shown);
    let exe = crate::files::own_exe()?;
    let request = Wiring {
        ctx,
        target: &target,
        url: &url,
        args,
        exe: &exe,
    };
    let plan = match args.client {
        SetupClient::Npm => npm::plan(&request),
        SetupClient::Pip => pip::plan(&request),
        SetupClient::Uv => uv::plan(&request),
        SetupClient::Cargo => cargo::plan(&request),
        SetupClient::Git => git::plan(&request),
        SetupClient::Docker => docker::plan(&request),
        SetupClient::Kubectl => kubectl::plan(&request),
        SetupClient::Pnpm => npm::plan_pnpm(&request),
        SetupClient::Go => go::plan(&request),
        SetupClient::Bazel => bazel::plan(&request),
        SetupClient::Terraform => terraform::plan(&request),
        SetupClient::Poetry => poetry::plan(&request),
        SetupClient::Twine => twine::plan(&request),
        SetupClient::Pdm => pdm::plan(&request),
        SetupClient::Hatch => hatch::plan(&request),
        SetupClient::Maven => maven::plan(&request),
        SetupClient::Yarn => yarn::plan(&request),
    };
    let mut plan = plan.map_err(|mut e| {
        e.message = show(&e.message);
        e
    })?;
    // What in the environment would make the client ignore what setup writes, and what
    // `--extra` risks.
    let warnings = if args.undo {
        Vec::new()
    } else {
        let registry = (args.client == SetupClient::Cargo).then(|| {
            args.registry
                .clone()
                .unwrap_or_else(|| cargo::registry_name(&target.name))
        });
        let wrote = overrides::Wrote {
            registry: registry.as_deref(),
            npm_scope_only: args.scope.is_some(),
            go_proxy: args.proxy,
            extra: args.extra,
        };
        let mut warnings = overrides::found(args.client, &url, &wrote);
        if args.client == SetupClient::Pip {
            warnings.extend(pip::pip_keyring().map(|verdict| match verdict {
                pip::PipKeyring::Never(why) | pip::PipKeyring::WithoutModule(why) => why,
            }));
        }
        if args.extra
            && matches!(
                args.client,
                SetupClient::Pip | SetupClient::Uv | SetupClient::Pdm
            )
        {
            warnings.push(extra_index_warning(match args.client {
                SetupClient::Uv => "uv",
                SetupClient::Pdm => "pdm",
                _ => "pip",
            }));
        }
        warnings
    };
    // Undo leaves a shim on PATH: other registries of the same client may use it.
    let kept_shim = match &plan.shim {
        Some(Shim::OnPath(name)) if args.undo => shim_path(args, name)
            .ok()
            .filter(|link| is_ecluse_link(link)),
        _ => None,
    };
    let (shim, on_path) = match plan.shim.take() {
        Some(Shim::OnPath(name)) if !args.undo => (Some(shim_path(args, name)?), true),
        Some(Shim::At(path)) if !args.undo => (Some(path), false),
        _ => (None, false),
    };
    // What each file's record becomes (see `record`): undo learns from it whether setup created
    // the file, and its mode before.
    let wired = record::key(
        args.client,
        &url,
        plan.edits
            .first()
            .map_or(Path::new(""), |e| e.path.as_path()),
    );
    let mut records = Vec::new();
    let mut notes = Vec::new();
    for edit in &mut plan.edits {
        let old = record::Record::load(&edit.path);
        let new = if args.undo {
            // Nothing of setup's there: the file stays as it is (not rewritten, not removed).
            let removed = edit.removes();
            if !removed {
                edit.keep();
            }
            let (new, note) = record::undo(edit, old.as_ref(), &wired, removed);
            notes.extend(note);
            new
        } else {
            record::setup(edit, old.as_ref(), &wired)
        };
        records.push((old, new));
    }
    let mut out = String::new();
    if args.dry_run {
        for edit in plan.edits.iter().filter(|e| e.changes()) {
            out.push_str(&diff(edit));
            if let Some(mode) = edit.mode_change() {
                out.push_str(&format!(
                    "would give {} its mode {mode:04o} back\n",
                    edit.path.display()
                ));
            }
        }
        for note in &notes {
            out.push_str(&format!("note: {note}\n"));
        }
        for link in &plan.links {
            match (args.undo, is_link_to(link, &exe)) {
                (false, false) => out.push_str(&format!(
                    "would link {} -> {}\n",
                    link.display(),
                    exe.display()
                )),
                (true, true) => out.push_str(&format!("would remove {}\n", link.display())),
                _ => {}
            }
        }
        for warning in &warnings {
            out.push_str(&format!("warning: {warning}\n"));
        }
        if let Some(link) = shim.as_ref().filter(|l| !is_link_to(l, &exe)) {
            if let Some(dir) = link
                .parent()
                .filter(|d| std::fs::symlink_metadata(d).is_err())
            {
                out.push_str(&format!("would create {} (on your PATH)\n", dir.display()));
            }
            out.push_str(&format!(
                "would link {} -> {}\n",
                link.display(),
                exe.display()
            ));
        }
        return print(&out);
    }
    // The shim first: if its place is taken, nothing is written. One in ecluse-cred's own
    // directory, which clients run by absolute path, is linked in a directory only the user
    // can write.
    let own = data_home().ok().map(|d| d.join(SHIM_DIR));
    if !args.undo
        && let Some(own) = own
        && (shim.iter().chain(&plan.links)).any(|l| l.parent() == Some(own.as_path()))
    {
        notes.extend(private_dirs(&own)?);
    }
    // Code that clients load from ecluse-cred's own directory (the keyring backend, the Yarn
    // plugin) goes only into directories nobody else can write.
    if !args.undo
        && let Ok(data) = data_home()
    {
        let mut dirs: Vec<PathBuf> = plan
            .edits
            .iter()
            .filter_map(|e| e.path.parent())
            .flat_map(Path::ancestors)
            .filter(|d| d.starts_with(&data) && *d != data)
            .map(Path::to_path_buf)
            .collect();
        dirs.sort();
        dirs.dedup();
        for dir in dirs {
            notes.extend(private_dirs(&dir)?);
        }
    }
    let mut changed = Vec::new();
    // What undo did, a line each.
    let mut undone = Vec::new();
    if let Some(link) = &shim
        && !is_link_to(link, &exe)
    {
        if let Some(dir) = link
            .parent()
            .filter(|d| std::fs::symlink_metadata(d).is_err())
        {
            notes.push(format!("created {} (it is on your PATH)", dir.display()));
        }
        crate::shims::link(link, &exe)?;
        changed.push(link.display().to_string());
    }
    for link in &plan.links {
        if !args.undo && !is_link_to(link, &exe) {
            crate::shims::link(link, &exe)?;
            changed.push(link.display().to_string());
        }
    }
    for (edit, (old, new)) in plan.edits.iter().zip(&records) {
        // Setup records before it writes (a file it changed is always on record), undo after
        // (a file it could not give back stays on record).
        if !args.undo {
            record::store(&edit.path, old.as_ref(), new.as_ref())?;
        }
        if edit.changes() {
            match apply(edit) {
                Ok(written) => notes.extend(written.note(&edit.path, edit.secret)),
                Err(e) => {
                    if !args.undo {
                        let _ = record::store(&edit.path, new.as_ref(), old.as_ref());
                    }
                    return Err(e);
                }
            }
            changed.push(edit.path.display().to_string());
            undone.push(if edit.after.is_none() {
                format!(
                    "deleted {} (setup had created it, and nothing else is in it)",
                    edit.path.display()
                )
            } else {
                format!("took setup's lines out of {}", edit.path.display())
            });
        }
        if args.undo {
            record::store(&edit.path, old.as_ref(), new.as_ref())?;
        }
    }
    if args.undo
        && let Ok(data) = data_home()
    {
        // What setup made in ecluse-cred's own directory (the keyring backend's directories,
        // the Yarn plugin's) goes with the last file in it; nothing outside it is touched.
        for edit in plan.edits.iter().filter(|e| e.after.is_none()) {
            for dir in edit.path.ancestors().skip(1) {
                if !dir.starts_with(&data) || dir == data || std::fs::remove_dir(dir).is_err() {
                    break;
                }
            }
        }
    }
    for link in &plan.links {
        if args.undo && is_ecluse_link(link) {
            let _ = std::fs::remove_file(link);
            changed.push(link.display().to_string());
            undone.push(format!("removed the link {}", link.display()));
        }
    }
    if changed.is_empty() {
        out.push_str("nothing to change: ");
        out.push_str(if args.undo {
            "setup had added nothing for this registry here\n"
        } else {
            "already set up\n"
        });
    } else if args.undo {
        for line in &undone {
            out.push_str(&show(line));
            out.push('\n');
        }
        if let Some(link) = &kept_shim {
            out.push_str(&format!(
                "kept {}: other registries may use it (remove it by hand if none does)\n",
                link.display()
            ));
        }
    } else {
        out.push_str(&format!("{} ({})\n", show(&plan.done), changed.join(", ")));
    }
    for note in notes {
        out.push_str(&format!("note: {note}\n"));
    }
    if let Some(link) = &shim {
        let dir = link.parent().unwrap_or(Path::new("/"));
        if on_path && let Some(hint) = crate::shims::not_on_path(dir) {
            out.push_str(&format!("note: {hint}\n"));
        }
    }
    if !args.undo {
        out.push_str(&format!("now: {}\n", show(&plan.next)));
        for note in &plan.notes {
            out.push_str(&format!("note: {}\n", show(note)));
        }
        for warning in &warnings {
            out.push_str(&format!("warning: {warning}\n"));
        }
        let exe_text = exe.display().to_string();
        let points_here = shim.is_some()
            || !plan.links.is_empty()
            || plan
                .edits
                .iter()
                .any(|e| e.after.as_deref().is_some_and(|t| t.contains(&exe_text)));
        if points_here && let Some(why) = temporary_place(&exe) {
            out.push_str(&format!(
                "warning: {} {why}: the client config points at it; install with `{}` and run setup again\n",
                exe.display(),
                crate::backend::helper::INSTALL_BOTH
            ));
        }
    }
    print(&out)
}

/// For a client that asks for credentials by host only and sends the token to any path of it
/// (docker, Terraform): the target the helper answers for `host` (`asked`) must be the one being
/// wired, else wiring it would hand the client another target's token, or none.
pub(crate) fn check_asked_by_host(
    w: &Wiring<'_>,
    client: &str,
    host: &str,
    asked: Option<Target>,
) -> Result<()> {
    if asked.as_ref().is_some_and(|t| t.name == w.target.name) {
        return Ok(());
    }
    Err(Error::config(format!(
        "{client} asks for credentials by host only, and for {host} ecluse-cred answers {}, not target `{}` ({}): give `{}` a URL of the whole host (`https://{host}/`), which {client} may send the token anywhere on, or wire the target that serves it",
        asked.map_or("nothing".to_owned(), |t| format!("target `{}`", t.name)),
        w.target.name,
        crate::redact::url(w.url),
        w.target.name
    )))
}

/// The target and the registry URL to wire: `--url` names both; `--target` needs the target
/// to have exactly one `urls` entry (or be a derived host).
fn target_and_url(ctx: &Context, args: &SetupArgs) -> Result<(Target, String)> {
    if let Some(url) = &args.which.url {
        let target = resolve::resolve(&ctx.config, url)?;
        return Ok((target, Request::url(url)?.written()));
    }
    let name = args
        .which
        .target
        .as_deref()
        .ok_or_else(|| Error::new(Code::Usage, "name the registry with --url or --target"))?;
    let target = resolve::target(&ctx.config, name)?;
    let url = match target.urls.as_slice() {
        [one] => one.clone(),
        [] if !ctx.config.targets.contains_key(&target.name) => {
            format!("https://{}/", target.name)
        }
        [] => {
            return Err(Error::config(format!(
                "target `{}` names no registry URL, so setup does not know what to wire: add `urls = [\"https://REGISTRY/PATH/\"]` (the URL {} uses) to [targets.{}] in {}, then run this again",
                target.name,
                format!("{:?}", args.client).to_lowercase(),
                target.name,
                ctx.config.file_to_edit()
            )));
        }
        several => {
            return Err(Error::new(
                Code::Usage,
                format!(
                    "target `{}` serves {} URLs: say which with --url (one of: {})",
                    target.name,
                    several.len(),
                    several
                        .iter()
                        .map(|u| crate::redact::url(u))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ));
        }
    };
    Ok((target, url))
}

/// The file the variable `var` names (as the client reads it), else `default()`.
pub(crate) fn env_path_or(var: &str, default: impl FnOnce() -> Result<PathBuf>) -> Result<PathBuf> {
    env_path(var).map_or_else(default, Ok)
}

/// The registry's name in a client's config (Poetry's, twine's, PDM's, Hatch's repositories):
/// `--registry`, else the target's name with anything but letters, digits, `-` and `_` made
/// `-`. A `--registry` with other characters is refused: it goes into section and table names
/// (Poetry and PDM split their config keys at `.`), and into the command the user types.
pub(crate) fn registry_name(w: &Wiring<'_>) -> Result<String> {
    let ok = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '_');
    match &w.args.registry {
        Some(name) if !name.is_empty() && name.chars().all(ok) => Ok(name.clone()),
        Some(name) => Err(Error::new(
            Code::Usage,
            format!("--registry must be letters, digits, `-` and `_` only, not {name:?}"),
        )),
        None => Ok(w
            .target
            .name
            .chars()
            .map(|c| if ok(c) { c } else { '-' })
            .collect()),
    }
}

/// The file a client reads from: `--file`, else the client's own choice.
pub(crate) fn file(args: &SetupArgs, default: impl FnOnce() -> Result<PathBuf>) -> Result<PathBuf> {
    match &args.file {
        Some(path) => std::path::absolute(path)
            .map_err(|e| Error::other(path.display().to_string()).with_source(e)),
        None => default(),
    }
}

/// Whether `text` ends its lines with CRLF (every line, and at least one).
fn uses_crlf(text: &str) -> bool {
    text.contains("\r\n") && text.matches('\n').count() == text.matches("\r\n").count()
}

/// `text` with every line ending CRLF: what setup adds to a CRLF file matches the rest.
fn with_crlf(text: &str) -> String {
    text.replace("\r\n", "\n").replace('\n', "\r\n")
}

/// Run a client's own config tool on a copy of `text` (git and kubectl edit only files, and
/// setup writes nothing until its diff is known): `command` gets the copy's path. The copy
/// afterwards and what the tool printed; an exit code `accepted` does not allow is an error
/// naming `what`, its message about `real` (it names the copy).
pub(crate) fn on_copy(
    real: &Path,
    text: &str,
    what: &str,
    command: impl FnOnce(&Path) -> std::process::Command,
    accepted: impl Fn(Option<i32>) -> bool,
) -> Result<(String, String)> {
    let dir = tempfile::tempdir().map_err(|e| Error::other("temp dir").with_source(e))?;
    let copy = dir.path().join("config");
    std::fs::write(&copy, text)
        .map_err(|e| Error::other(copy.display().to_string()).with_source(e))?;
    let out = crate::process::run_command(
        command(&copy),
        None,
        crate::process::CLIENT_TOOL_TIMEOUT,
        crate::process::CLIENT_TOOL_MAX_STDOUT,
    )
    .map_err(|e| Error::config(format!("cannot run {what}: {}", e.message)))?;
    if out.overflowed {
        return Err(Error::config(format!(
            "{what} printed more than {} bytes about {}; not touching it",
            crate::process::CLIENT_TOOL_MAX_STDOUT,
            real.display()
        )));
    }
    if out.code != Some(0) && !accepted(out.code) {
        return Err(Error::config(format!(
            "{what}: {}",
            String::from_utf8_lossy(&out.stderr)
                .trim()
                .replace(&copy.display().to_string(), &real.display().to_string())
        )));
    }
    let after = std::fs::read_to_string(&copy)
        .map_err(|e| Error::other(copy.display().to_string()).with_source(e))?;
    Ok((after, String::from_utf8_lossy(&out.stdout).into_owned()))
}

/// A file that does not parse: exit 78, `FILE:LINE: why`.
pub(crate) fn unparsable(path: &Path, line: usize, why: &str) -> Error {
    Error::config(format!(
        "{}:{line}: {}; not touching it",
        path.display(),
        crate::redact::text(why)
    ))
}

/// The 1-based line of byte offset `at` in `text`.
pub(crate) fn line_of(text: &str, at: usize) -> usize {
    text.get(..at).unwrap_or(text).matches('\n').count() + 1
}

/// The unified diff of an edit, as `diff -u` prints it, secrets masked.
fn diff(edit: &Edit) -> String {
    let before = mask::masked(edit.before.as_deref().unwrap_or(""));
    let after = mask::masked(edit.after.as_deref().unwrap_or(""));
    let (before, after) = (before.as_str(), after.as_str());
    let path = edit.path.display().to_string();
    similar::TextDiff::from_lines(before, after)
        .unified_diff()
        .context_radius(3)
        .header(
            if edit.before.is_some() {
                &path
            } else {
                "/dev/null"
            },
            if edit.after.is_some() {
                &path
            } else {
                "/dev/null"
            },
        )
        .to_string()
}

/// Apply an edit: write the file (see [`write`]), or remove it.
fn apply(edit: &Edit) -> Result<Written> {
    let path = &edit.path;
    let Some(text) = &edit.after else {
        return match std::fs::remove_file(path) {
            Ok(()) => Ok(Written::default()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Written::default()),
            Err(e) => Err(Error::other(format!("cannot remove {}", path.display())).with_source(e)),
        };
    };
    write(path, text, edit.secret, edit.mode)
}

/// What `--extra` risks, said whenever it is used: an extra index is searched beside the
/// default one and the higher version wins, so anyone who publishes a package of the same name
/// on the public index gets installed (dependency confusion).
pub(crate) fn extra_index_warning(client: &str) -> String {
    let safer = if client == "uv" {
        "uv's `[[index]]` with `explicit = true` and `[tool.uv.sources]` pinning your packages to it"
    } else {
        "this registry as the only index (most registries can proxy PyPI), or pinned hashes (`--require-hashes`)"
    };
    format!(
        "an extra index lets a public package of the same name as one of yours win (the higher version is installed): safer is {safer}"
    )
}

/// Where the shim `name` goes that the client runs from PATH: `--bin-dir`, else the first
/// writable directory on PATH under the user's home. Never a system directory unasked.
pub(crate) fn shim_path(args: &SetupArgs, name: &str) -> Result<PathBuf> {
    if let Some(dir) = &args.bin_dir {
        let dir = std::path::absolute(dir)
            .map_err(|e| Error::other(dir.display().to_string()).with_source(e))?;
        return Ok(dir.join(name));
    }
    path_dir()?.map(|d| d.join(name)).ok_or_else(|| {
        Error::config(format!(
            "the client runs `{name}` from PATH, and no writable directory of yours is on it: add `export PATH=\"$HOME/.local/bin:$PATH\"` to your shell profile (and `mkdir -p ~/.local/bin`), or pass --bin-dir DIR"
        ))
    })
}

/// Where the shim `name` goes that the client runs by the absolute path its config names
/// ([`Shim::At`]): as [`shim_path`], else in ecluse-cred's own data directory, which needs no
/// PATH.
pub(crate) fn shim_anywhere(args: &SetupArgs, name: &str) -> Result<PathBuf> {
    if args.bin_dir.is_some() {
        return shim_path(args, name);
    }
    Ok(match path_dir()? {
        Some(dir) => dir.join(name),
        None => data_home()?.join(SHIM_DIR).join(name),
    })
}

/// The shims' directory in ecluse-cred's data directory ([`data_home`]).
const SHIM_DIR: &str = "bin";

/// Make `dir` (the shims' directory) and its parent (ecluse-cred's data directory), where they
/// exist, writable by the user only: another user who could write them could swap the shim a
/// client runs. One of another user's is refused. What to tell the user of a mode narrowed.
fn private_dirs(dir: &Path) -> Result<Vec<String>> {
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    let mut notes = Vec::new();
    for dir in [dir.parent().unwrap_or(dir), dir] {
        let Ok(meta) = std::fs::symlink_metadata(dir) else {
            continue;
        };
        let me = rustix::process::geteuid().as_raw();
        if meta.uid() != me || !meta.is_dir() {
            return Err(Error::config(format!(
                "{} is not a directory of the current user's (uid {me}); not putting a shim in it: pass --bin-dir DIR",
                dir.display()
            )));
        }
        let mode = meta.mode() & 0o7777;
        if mode & 0o022 != 0 {
            let now = mode & !0o022;
            std::fs::set_permissions(dir, std::fs::Permissions::from_mode(now)).map_err(|e| {
                Error::other(format!("cannot chmod {}", dir.display())).with_source(e)
            })?;
            notes.push(format!(
                "{} was mode {mode:04o}, now {now:04o}: clients run or load what setup puts there",
                dir.display()
            ));
        }
    }
    Ok(notes)
}

/// The first writable directory on PATH under the user's home, if any.
fn path_dir() -> Result<Option<PathBuf>> {
    let home = home()?;
    let path = std::env::var_os("PATH").unwrap_or_default();
    // Not a virtualenv's bin (pip skips a `keyring` there) nor a version manager's shims
    // (rewritten by it).
    let managed = |d: &Path| {
        d.parent().is_some_and(|p| p.join("pyvenv.cfg").exists())
            || d.components().any(|c| {
                matches!(
                    c.as_os_str().to_str(),
                    Some(".pyenv" | ".asdf" | ".rbenv" | ".nodenv")
                )
            })
    };
    let ours: Vec<PathBuf> = std::env::split_paths(&path)
        .filter(|d| d.is_absolute() && d.starts_with(&home) && !managed(d))
        .collect();
    // An existing one first; else one the user can make: a fresh account's PATH names
    // ~/.local/bin before anything has created it.
    Ok(ours
        .iter()
        .find(|d| writable_dir(d))
        .or_else(|| ours.iter().find(|d| can_create(d)))
        .cloned())
}

/// Whether `dir` does not exist (not even as a dangling link) and its nearest existing
/// ancestor is a directory the user can write, so the shim's link can make it.
fn can_create(dir: &Path) -> bool {
    std::fs::symlink_metadata(dir).is_err()
        && dir
            .ancestors()
            .skip(1)
            .find(|a| std::fs::symlink_metadata(a).is_ok())
            .is_some_and(writable_dir)
}

fn writable_dir(dir: &Path) -> bool {
    rustix::fs::access(dir, rustix::fs::Access::WRITE_OK).is_ok() && dir.is_dir()
}

fn is_link_to(link: &Path, exe: &Path) -> bool {
    std::fs::read_link(link).is_ok_and(|to| to == exe)
}

/// Whether `link` is a symlink to some ecluse-cred (this one or a copy).
fn is_ecluse_link(link: &Path) -> bool {
    std::fs::read_link(link).is_ok_and(|to| {
        to.file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.starts_with("ecluse-cred"))
    })
}

/// Why `exe` looks like a place that will not last (a cargo build directory, a temp dir).
pub(crate) fn temporary_place(exe: &Path) -> Option<&'static str> {
    let text = exe.to_string_lossy();
    if text.contains("/target/debug/") || text.contains("/target/release/") {
        return Some("is in a cargo build directory");
    }
    let tmp = std::env::temp_dir();
    (exe.starts_with("/tmp") || exe.starts_with(&tmp)).then_some("is in a temporary directory")
}

/// `text` without what setup added under the marker `comment MARKER name`: the marker line and
/// the lines right after it that `ours` recognises (and nothing else: a line the user wrote
/// below the block stays).
pub(crate) fn without_block(
    text: &str,
    comment: &str,
    name: &str,
    ours: impl Fn(&str) -> bool,
) -> String {
    let marker = format!("{comment} {MARKER} {name}");
    let mut out = Vec::new();
    let mut inside = false;
    for line in text.split_inclusive('\n') {
        let bare = line.trim_end_matches(['\n', '\r']);
        if bare == marker {
            inside = true;
            continue;
        }
        if inside && ours(bare) {
            continue;
        }
        inside = false;
        out.push(line);
    }
    out.concat()
}

/// Whether `text` holds a marker of setup's for anything whose name starts with `prefix`.
pub(crate) fn has_block(text: &str, comment: &str, prefix: &str) -> bool {
    let start = format!("{comment} {MARKER} {prefix}");
    text.lines().any(|l| l.starts_with(&start))
}

/// `text` with `block` (lines, each ending in a newline) appended after a marker line.
pub(crate) fn with_block(text: &str, comment: &str, url: &str, block: &str) -> String {
    let mut out = text.to_owned();
    if !out.is_empty() && !out.ends_with('\n') {
        out.push('\n');
    }
    out.push_str(&format!("{comment} {MARKER} {url}\n{block}"));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_setup_adds_to_a_crlf_file_ends_its_lines_with_crlf_too() {
        assert!(uses_crlf("a\r\nb\r\n"));
        assert!(!uses_crlf("a\r\nb\n"));
        assert!(!uses_crlf("a\nb\n"));
        assert_eq!(with_crlf("a\r\nb\nc\n"), "a\r\nb\r\nc\r\n");
    }
}
