//! doctor's client checks: whether each client's own config sends the target's URL to this
//! ecluse-cred, read the way the client reads it (its sections and keys, comments skipped,
//! the helper it runs and the target that helper names), not by searching the text.
//!
//! A client that is simply not set up is `ok` (saying how to set it up); one that is wired to
//! another copy of ecluse-cred, to another target, or half-way (pip without its keyring
//! provider, an npm token that has expired) fails or warns with the fix.

use std::path::{Path, PathBuf};
use std::process::Command;

use super::{Check, fail, ok, points_here, warn};
use crate::config::{Config, Target};
use crate::engine::{Clock, SystemClock};
use crate::error::Result;
use crate::npmrc as npm;
use crate::policy::Entry;
use crate::protocol::pnpm;
use crate::request::Request;
use crate::resolve;
use crate::setup::paths;
use crate::shims;

/// What every client check needs to know.
pub(super) struct Wiring<'a> {
    pub exe: &'a Path,
    pub config: &'a Config,
    pub target: &'a Target,
    /// The registry URL checked, as setup writes it.
    pub shown: String,
    /// The target's cached token, if any (to tell whether a token in a client file is current).
    pub entry: Option<Entry>,
}

impl Wiring<'_> {
    fn not_set_up(&self, client: &str) -> Check {
        ok(
            format!("client {client}"),
            format!(
                "not set up for {} (`ecluse-cred setup {client} --url {}` wires it)",
                self.shown, self.shown
            ),
        )
    }

    /// Whether ecluse-cred answers a client asking for `url` with this target.
    fn answers(&self, url: &str) -> bool {
        Request::url(url)
            .ok()
            .and_then(|r| resolve::lookup(self.config, &r).ok().flatten())
            .is_some_and(|t| t.name == self.target.name)
    }

    /// `"scheme://host[:port]"` of the URL, as docker and Bazel name registries.
    fn host(&self) -> Option<Request> {
        Request::url(&self.shown).ok()
    }
}

/// Whether each client's config routes the target's URL to this ecluse-cred.
pub(super) fn checks(w: &Wiring<'_>, checks: &mut Vec<Check>) {
    use crate::cli::SetupClient as C;
    let mut push = |client: C, check: Check| {
        // A client not set up is suggested only if it can use this kind of URL.
        if check.detail.starts_with("not set up") && !may_use(client, &w.shown) {
            return;
        }
        checks.push(overridden(w, client, check));
    };
    push(C::Pip, pip(w));
    push(C::Uv, uv(w));
    push(C::Cargo, cargo(w));
    push(C::Git, git(w));
    push(C::Docker, docker(w));
    for check in npm_and_pnpm(w) {
        push(C::Npm, check);
    }
    push(C::Kubectl, kubectl(w));
    push(C::Bazel, bazel(w));
    push(C::Terraform, terraform(w));
    push(C::Go, go(w));
    push(C::Poetry, poetry(w));
    push(C::Twine, twine(w));
    push(C::Pdm, pdm(w));
    push(C::Hatch, hatch(w));
    push(C::Maven, maven(w));
    push(C::Yarn, yarn(w));
}

/// The words in a registry URL's path that say which ecosystem it serves, per client family.
const ECOSYSTEM_HINTS: [(&[&str], &[crate::cli::SetupClient]); 6] = {
    use crate::cli::SetupClient as C;
    [
        (
            &["simple", "pypi", "python"],
            &[C::Pip, C::Uv, C::Poetry, C::Twine, C::Pdm, C::Hatch],
        ),
        (&["npm"], &[C::Npm, C::Pnpm, C::Yarn]),
        (&["maven", "maven2", "java"], &[C::Maven]),
        (&["cargo", "crates"], &[C::Cargo]),
        (&["go", "goproxy"], &[C::Go]),
        (&[".git"], &[C::Git]),
    ]
};

/// Whether `client` can use `url`: docker, Terraform and kubectl ask by host, so only for a
/// URL of a whole host; the package clients when the path names their ecosystem, or names
/// none at all (then any of them may); Bazel fetches any URL.
fn may_use(client: crate::cli::SetupClient, url: &str) -> bool {
    use crate::cli::SetupClient as C;
    let Ok(request) = Request::url(url) else {
        return true;
    };
    let path = request
        .path
        .clone()
        .unwrap_or_else(|| "/".to_owned())
        .to_ascii_lowercase();
    match client {
        C::Docker | C::Terraform | C::Kubectl => path == "/",
        C::Bazel => true,
        _ => {
            let words: Vec<&str> = path
                .split(['/', '-', '_', '.'])
                .filter(|w| !w.is_empty())
                .collect();
            let named = |hints: &[&str]| {
                hints.iter().any(|h| {
                    h.strip_prefix('.').map_or_else(
                        || words.contains(h),
                        |ext| path.trim_end_matches('/').ends_with(&format!(".{ext}")),
                    )
                })
            };
            let families: Vec<&[C]> = ECOSYSTEM_HINTS
                .iter()
                .filter(|(hints, _)| named(hints))
                .map(|(_, clients)| *clients)
                .collect();
            families.is_empty() || families.iter().any(|f| f.contains(&client))
        }
    }
}

/// A wired client's ok turned FAIL when a variable in the environment overrides the wiring
/// (the same table `setup` warns from).
fn overridden(w: &Wiring<'_>, client: crate::cli::SetupClient, check: Check) -> Check {
    if check.status != super::Status::Ok || check.detail.starts_with("not set up") {
        return check;
    }
    // cargo's variables name the registry: the one its config gives this URL.
    let registry = (client == crate::cli::SetupClient::Cargo)
        .then(|| cargo_registry_name(w))
        .flatten();
    // npm's registry variables override only an unscoped `registry=` line; GOPROXY only what
    // `setup go --proxy` wrote, which doctor does not ask go about: left out.
    let npm_scope_only = read(paths::npm()).is_none_or(|(_, text)| {
        !text.lines().any(|l| {
            l.trim()
                .strip_prefix("registry=")
                .is_some_and(|v| w.answers(v.trim()))
        })
    });
    let wrote = crate::setup::overrides::Wrote {
        registry: registry.as_deref(),
        npm_scope_only,
        go_proxy: false,
        extra: false,
    };
    let found = crate::setup::overrides::found(client, &w.shown, &wrote);
    if found.is_empty() {
        return check;
    }
    fail(
        check.check,
        found.join("; "),
        "unset the variable in your shell profile or CI settings",
    )
}

/// `cmd`'s standard output, if it ran and succeeded within the client-tool timeout (as every
/// child of ecluse-cred runs: own process group, killed with what it started).
fn tool_output(cmd: Command) -> Option<Vec<u8>> {
    let out = crate::process::run_command(
        cmd,
        None,
        crate::process::CLIENT_TOOL_TIMEOUT,
        crate::process::CLIENT_TOOL_MAX_STDOUT,
    )
    .ok()?;
    (out.code == Some(0) && !out.overflowed).then_some(out.stdout)
}

/// The client's config file and its text; `None` if there is none (or it cannot be read as a
/// regular file: it is then nothing the client reads either).
fn read(path: Result<PathBuf>) -> Option<(PathBuf, String)> {
    let path = path.ok()?;
    let text = crate::setup::read(&path).ok().flatten()?;
    Some((path, text))
}

/// `program` as the shell finds it on PATH.
fn which(program: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .map(|d| d.join(program))
        .find(|p| p.is_file())
}

/// A client config that names an ecluse-cred executable `program`: this one, or another copy
/// (FAIL).
fn runs(check: &str, program: &str, exe: &Path) -> Check {
    // A bare name (`credential-provider = ["ecluse-cred"]`, as the README shows) is found on
    // PATH, as the client finds it.
    let program_path = if program.contains('/') {
        Some(PathBuf::from(program))
    } else {
        which(program)
    };
    let real = program_path.and_then(|p| std::fs::canonicalize(p).ok());
    if Path::new(program) == exe || (real.is_some() && real == std::fs::canonicalize(exe).ok()) {
        return ok(check, "routes to this ecluse-cred");
    }
    fail(
        check,
        format!(
            "routes to {program}, not to this ecluse-cred ({})",
            exe.display()
        ),
        "run `ecluse-cred setup CLIENT --url URL` again with this binary",
    )
}

/// pip, uv, docker, Bazel: the config names the registry; the shim the client runs from PATH
/// (or from where the config says) must be this binary's.
fn shim_check(client: &str, config: &Path, shim: &str, exe: &Path) -> Check {
    let path = std::env::var_os("PATH").unwrap_or_default();
    let check = format!("client {client} ({})", config.display());
    match std::env::split_paths(&path)
        .map(|d| d.join(shim))
        .find(|p| p.exists())
    {
        Some(found) => on_path(&check, client, shim, &found, exe),
        None => fail(
            check,
            format!("`{shim}` is not on PATH"),
            format!("ecluse-cred setup {client} --url URL --bin-dir DIR (with DIR on PATH)"),
        ),
    }
}

/// The helper `found` that a client runs: this ecluse-cred, another copy (FAIL), or something
/// that is not ecluse-cred at all (FAIL: the client runs it instead).
fn on_path(check: &str, client: &str, shim: &str, found: &Path, exe: &Path) -> Check {
    match points_here(check, found, exe) {
        c if c.status == super::Status::Ok && !c.detail.ends_with("-> this ecluse-cred") => fail(
            check,
            format!(
                "{client} runs {}, which is not ecluse-cred",
                found.display()
            ),
            format!(
                "put ecluse-cred's `{shim}` first on PATH: `ecluse-cred setup {client} --url URL --bin-dir DIR` with DIR before {} on PATH",
                found
                    .parent()
                    .map_or(String::new(), |p| p.display().to_string())
            ),
        ),
        c => c,
    }
}

fn pip(w: &Wiring<'_>) -> Check {
    let Some((path, text)) = read(paths::pip()) else {
        return w.not_set_up("pip");
    };
    // pip takes `_` in a key for `-`.
    let entries: Vec<crate::ini::Entry> = crate::ini::entries(&text)
        .into_iter()
        .map(|e| crate::ini::Entry {
            key: e.key.replace('_', "-"),
            ..e
        })
        .collect();
    let indexes = entries
        .iter()
        .filter(|e| e.key == "index-url" || e.key == "extra-index-url")
        .flat_map(|e| e.value.split_whitespace());
    let ours: Vec<&str> = indexes.filter(|url| w.answers(url)).collect();
    if ours.is_empty() {
        return w.not_set_up("pip");
    }
    // `pip install` reads [install] over [global], the last of a key in each.
    let provider = ["install", "global"]
        .iter()
        .find_map(|section| crate::ini::get(&entries, section, "keyring-provider"));
    let check = keyring_client(w, "pip", &path, provider);
    if check.status == super::Status::Ok {
        use crate::setup::pip::PipKeyring;
        match crate::setup::pip::pip_keyring() {
            Some(PipKeyring::Never(why)) => {
                return fail(
                    format!("client pip ({})", path.display()),
                    why,
                    "use pip 23.1 or newer: `python3 -m venv ~/.venv && ~/.venv/bin/pip install --upgrade pip`",
                );
            }
            Some(PipKeyring::WithoutModule(why)) => {
                return warn(
                    format!("client pip ({})", path.display()),
                    why,
                    "keep the keyring module out of pip's Python, or use pip 23.1 or newer",
                );
            }
            None => {}
        }
    }
    if check.status == super::Status::Ok
        && !ours.iter().all(|url| crate::setup::pip::names_user(url))
    {
        return fail(
            format!("client pip ({})", path.display()),
            format!(
                "the index URL names no user, so pip before 26.2 (the one a Python 3.13 or older venv bundles) prompts `User for {}:` instead of asking the keyring, and fails where it cannot prompt",
                w.host().map_or_else(|| w.shown.clone(), |r| r.host)
            ),
            format!(
                "ecluse-cred setup pip --url {} (it writes the user into the URL)",
                w.shown
            ),
        );
    }
    check
}

/// pip and uv, their index being the target's: they ask the `keyring` on PATH only with
/// `keyring-provider = subprocess`.
fn keyring_client(w: &Wiring<'_>, client: &str, path: &Path, provider: Option<&str>) -> Check {
    if provider == Some("subprocess") {
        return shim_check(client, path, shims::KEYRING, w.exe);
    }
    fail(
        format!("client {client} ({})", path.display()),
        format!(
            "the index is {}'s, but {client} does not ask a keyring for it (keyring-provider is {})",
            w.shown,
            provider.unwrap_or("not set")
        ),
        format!("ecluse-cred setup {client} --url {}", w.shown),
    )
}

fn uv(w: &Wiring<'_>) -> Check {
    let Some((path, text)) = read(paths::uv()) else {
        return w.not_set_up("uv");
    };
    let Ok(doc) = text.parse::<toml_edit::DocumentMut>() else {
        return fail(
            format!("client uv ({})", path.display()),
            "not valid TOML: uv cannot read it",
            format!("fix {}", path.display()),
        );
    };
    let mut urls: Vec<&str> = Vec::new();
    if let Some(url) = doc.get("index-url").and_then(|v| v.as_str()) {
        urls.push(url);
    }
    if let Some(list) = doc.get("extra-index-url").and_then(|v| v.as_array()) {
        urls.extend(list.iter().filter_map(|v| v.as_str()));
    }
    match doc.get("index") {
        Some(toml_edit::Item::ArrayOfTables(indexes)) => urls.extend(
            indexes
                .iter()
                .filter_map(|t| t.get("url").and_then(|v| v.as_str())),
        ),
        // `index = [{ url = "..." }]`
        Some(item) => urls.extend(item.as_array().into_iter().flatten().filter_map(|v| {
            v.as_inline_table()
                .and_then(|t| t.get("url"))
                .and_then(|u| u.as_str())
        })),
        None => {}
    }
    if !urls.iter().any(|url| w.answers(url)) {
        return w.not_set_up("uv");
    }
    let provider = doc.get("keyring-provider").and_then(|v| v.as_str());
    keyring_client(w, "uv", &path, provider)
}

/// The `[registries.NAME]` of cargo's config whose sparse index is this URL: its name and table.
fn our_cargo_registry<'d>(
    w: &Wiring<'_>,
    doc: &'d toml_edit::DocumentMut,
) -> Option<(&'d str, &'d toml_edit::Item)> {
    doc.get("registries")?
        .as_table_like()?
        .iter()
        .find(|(_, r)| {
            r.get("index")
                .and_then(|i| i.as_str())
                .is_some_and(|i| i.starts_with("sparse+") && w.answers(i))
        })
}

/// The name cargo's config gives the registry this URL is (its `[registries.NAME]`).
fn cargo_registry_name(w: &Wiring<'_>) -> Option<String> {
    let (_, text) = read(paths::cargo())?;
    let doc = text.parse::<toml_edit::DocumentMut>().ok()?;
    our_cargo_registry(w, &doc).map(|(name, _)| name.to_owned())
}

fn cargo(w: &Wiring<'_>) -> Check {
    let Some((path, text)) = read(paths::cargo()) else {
        return w.not_set_up("cargo");
    };
    let check = format!("client cargo ({})", path.display());
    let Ok(doc) = text.parse::<toml_edit::DocumentMut>() else {
        return fail(
            check,
            "not valid TOML: cargo cannot read it",
            format!("fix {}", path.display()),
        );
    };
    let Some((name, registry)) = our_cargo_registry(w, &doc) else {
        return w.not_set_up("cargo");
    };
    // A provider is a command (string or array), or the name of a `[credential-alias]`; the
    // registry's own, else the global list's (cargo tries those in order).
    let command = |item: &toml_edit::Item| -> Vec<String> {
        let words: Vec<String> = match item.as_str() {
            Some(line) => line.split_whitespace().map(str::to_owned).collect(),
            None => item
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|v| v.as_str().map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default(),
        };
        let alias = words.first().and_then(|first| {
            doc.get("credential-alias")
                .and_then(|aliases| aliases.get(first.as_str()))
        });
        match (alias, words.len()) {
            (Some(alias), 1) => match alias.as_str() {
                Some(line) => line.split_whitespace().map(str::to_owned).collect(),
                None => alias
                    .as_array()
                    .map(|a| {
                        a.iter()
                            .filter_map(|v| v.as_str().map(str::to_owned))
                            .collect()
                    })
                    .unwrap_or_default(),
            },
            _ => words,
        }
    };
    let provider: Vec<String> = match registry.get("credential-provider") {
        Some(item) => command(item),
        None => doc
            .get("registry")
            .and_then(|r| r.get("global-credential-providers"))
            .and_then(|list| list.as_array())
            .into_iter()
            .flatten()
            .filter_map(|v| v.as_str())
            .map(|line| command(&toml_edit::value(line)))
            .find(|words| words.first().is_some_and(|w| w.contains("ecluse-cred")))
            .unwrap_or_default(),
    };
    match provider.first() {
        Some(program) if program.contains("ecluse-cred") => {
            let named = named_target(&provider[1..]);
            match named {
                Some(other) if other != w.target.name => fail(
                    check,
                    format!("[registries.{name}] asks ecluse-cred for target `{other}`"),
                    format!(
                        "ecluse-cred setup cargo --url {} --registry {name}",
                        w.shown
                    ),
                ),
                _ => runs(&check, program, w.exe),
            }
        }
        _ => fail(
            check,
            format!("[registries.{name}] has no ecluse-cred credential-provider"),
            format!(
                "ecluse-cred setup cargo --url {} --registry {name}",
                w.shown
            ),
        ),
    }
}

/// The target a helper's arguments name (`--target NAME` or `--target=NAME`, quoted or not).
fn named_target(args: &[String]) -> Option<String> {
    let unquote = |s: &str| s.trim_matches(['\'', '"']).to_owned();
    let mut rest = args.iter();
    while let Some(arg) = rest.next() {
        if let Some(name) = arg.strip_prefix("--target=") {
            return Some(unquote(name));
        }
        if arg == "--target" {
            return rest.next().map(|n| unquote(n));
        }
    }
    None
}

fn git(w: &Wiring<'_>) -> Check {
    let Some((path, _)) = read(paths::git()) else {
        return w.not_set_up("git");
    };
    let scope = w.shown.trim_end_matches('/');
    let mut cmd = Command::new("git");
    cmd.arg("config")
        .arg("--file")
        .arg(&path)
        .args(["--get-all", &format!("credential.{scope}.helper")]);
    let check = format!("client git ({})", path.display());
    // Exit 1 (no such key) leaves no output: not set up. A git that hangs or fails is said
    // to, never taken for "not set up".
    let values = match crate::process::run_command(
        cmd,
        None,
        crate::process::CLIENT_TOOL_TIMEOUT,
        crate::process::CLIENT_TOOL_MAX_STDOUT,
    ) {
        Ok(out) if out.code == Some(0) && !out.overflowed => {
            String::from_utf8_lossy(&out.stdout).into_owned()
        }
        Ok(out) if out.code == Some(1) => String::new(),
        _ if which("git").is_none() => {
            return ok(check, "git is not installed here: not checked");
        }
        Ok(_) | Err(_) => {
            return warn(
                check,
                "`git config` failed or did not answer: not checked",
                format!(
                    "check that `git config --file {} --list` works",
                    path.display()
                ),
            );
        }
    };
    // An empty value clears the helpers listed before it.
    let values: Vec<&str> = values.lines().collect();
    let listed = values
        .iter()
        .rposition(|v| v.is_empty())
        .map_or(&values[..], |at| &values[at + 1..]);
    let Some(helper) = listed.iter().find(|v| {
        (v.contains("ecluse-cred") && v.contains("git-credential")) || v.trim() == "ecluse"
    }) else {
        return w.not_set_up("git");
    };
    // `ecluse`: git runs `git-credential-ecluse` from PATH, the shim.
    if helper.trim() == "ecluse" {
        return match which("git-credential-ecluse") {
            Some(found) => on_path(&check, "git", "git-credential-ecluse", &found, w.exe),
            None => fail(
                check,
                "`git-credential-ecluse` is not on PATH",
                format!("ecluse-cred setup git --url {}", w.shown),
            ),
        };
    }
    // Without `!` (or an absolute path) git runs `git credential-WORD`, not ecluse-cred.
    if !helper.starts_with('!') && !helper.starts_with('/') {
        return fail(
            check,
            format!(
                "git runs `git credential-{helper}`, not ecluse-cred: the helper needs a leading `!`"
            ),
            format!("ecluse-cred setup git --url {}", w.shown),
        );
    }
    // `!'/path/to/ecluse-cred' git-credential --target='NAME'`, as setup writes it: git runs
    // it through the shell, so it is read as the shell reads it.
    let words = shell_words(helper.trim_start_matches('!'));
    match named_target(&words) {
        Some(other) if other != w.target.name => fail(
            check,
            format!("git's helper for {scope} asks ecluse-cred for target `{other}`"),
            format!("ecluse-cred setup git --url {}", w.shown),
        ),
        _ => runs(&check, words.first().map_or("", String::as_str), w.exe),
    }
}

/// `line` split into words as `sh` does for a simple command: blanks separate, `'...'` is
/// literal, `"..."` literal but for `\`-escapes, `\` escapes one character.
fn shell_words(line: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word: Option<String> = None;
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            c if c.is_whitespace() => words.extend(word.take()),
            '\'' => {
                let w = word.get_or_insert_with(String::new);
                w.extend(chars.by_ref().take_while(|&c| c != '\''));
            }
            '"' => {
                let w = word.get_or_insert_with(String::new);
                while let Some(c) = chars.next() {
                    match c {
                        '"' => break,
                        '\\' => w.extend(chars.next()),
                        c => w.push(c),
                    }
                }
            }
            '\\' => word.get_or_insert_with(String::new).extend(chars.next()),
            c => word.get_or_insert_with(String::new).push(c),
        }
    }
    words.extend(word);
    words
}

fn docker(w: &Wiring<'_>) -> Check {
    let Some((path, text)) = read(paths::docker()) else {
        return w.not_set_up("docker");
    };
    let Some(request) = w.host() else {
        return w.not_set_up("docker");
    };
    let host = if request.port == 443 {
        request.host.clone()
    } else {
        format!("{}:{}", request.host, request.port)
    };
    let config: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
    if config["credHelpers"][&host].as_str() != Some("ecluse")
        && config["credsStore"].as_str() != Some("ecluse")
    {
        return w.not_set_up("docker");
    }
    // docker asks by host: the target that answers the host is the one it gets.
    match crate::protocol::docker::target_for(w.config, &host) {
        Ok(Some(t)) if t.name == w.target.name => shim_check("docker", &path, shims::DOCKER, w.exe),
        Ok(answered) => fail(
            format!("client docker ({})", path.display()),
            format!(
                "docker asks by host only, and for {host} ecluse-cred answers {}, not target `{}`",
                answered.map_or("nothing".to_owned(), |t| format!("target `{}`", t.name)),
                w.target.name
            ),
            "give the target a URL of the bare host, https://HOST/",
        ),
        Err(e) => fail(
            format!("client docker ({})", path.display()),
            e.chain().to_string(),
            "fix the targets' urls",
        ),
    }
}

/// npm's `_authToken` line (a token in the file: is it the current one?) and pnpm's
/// `tokenHelper` line (does it run this ecluse-cred?).
fn npm_and_pnpm(w: &Wiring<'_>) -> Vec<Check> {
    let Some((path, text)) = read(paths::npm()) else {
        return vec![w.not_set_up("npm"), w.not_set_up("pnpm")];
    };
    let value = |key: &str| {
        text.lines()
            .map(str::trim)
            .filter(|l| !l.starts_with(['#', ';']))
            .filter_map(|l| l.split_once('='))
            .filter(|(k, _)| k.trim() == key)
            .map(|(_, v)| v.trim().to_owned())
            .next_back()
    };
    let npm_check = match npm::auth_key(&w.shown).ok().and_then(|k| value(&k)) {
        None => w.not_set_up("npm"),
        Some(token) => npm_token(w, &path, &token),
    };
    let pnpm_check = match pnpm::token_helper_key(&w.shown)
        .ok()
        .and_then(|k| value(&k))
    {
        None => w.not_set_up("pnpm"),
        Some(helper) => {
            let check = format!("client pnpm ({})", path.display());
            let link = Path::new(&helper);
            if link.exists() {
                on_path(&check, "pnpm", "tokenHelper", link, w.exe)
            } else {
                fail(
                    check,
                    format!("its tokenHelper {helper} does not exist"),
                    format!("ecluse-cred setup pnpm --url {}", w.shown),
                )
            }
        }
    };
    vec![npm_check, pnpm_check]
}

fn npm_token(w: &Wiring<'_>, path: &Path, token: &str) -> Check {
    let check = format!("client npm ({})", path.display());
    let again = format!(
        "ecluse-cred setup npm --url {} (or `ecluse-cred exec --url {} --npm-registry {} -- npm ...`, which needs no token in a file)",
        w.shown, w.shown, w.shown
    );
    // `${NPM_TOKEN}`: npm reads the variable. Only its name is shown, nothing after it.
    if let Some(var) = token
        .strip_prefix("${")
        .and_then(|rest| rest.split_once('}'))
        .map(|(name, _)| name)
    {
        return ok(check, format!("the token comes from ${{{var}}}"));
    }
    let Some(entry) = w.entry.as_ref().filter(|e| e.token.expose() == token) else {
        return warn(
            check,
            format!(
                "{} holds a token for {} that is not the one ecluse-cred holds now: it may have expired",
                path.display(),
                w.shown
            ),
            again,
        );
    };
    let now = SystemClock.now();
    if now >= entry.expires_at {
        fail(
            check,
            format!(
                "the token in {} expired {}",
                path.display(),
                entry.expires_at
            ),
            again,
        )
    } else if now >= entry.refresh_at {
        // ecluse-cred's own copy is refreshed from here on; the one in the file is not.
        warn(
            check,
            format!(
                "the token in {} expires {} and is due for refresh: ecluse-cred refreshes its own copy, not the file's",
                path.display(),
                entry.expires_at
            ),
            again,
        )
    } else {
        ok(
            check,
            format!(
                "{} has the current token, valid until {}",
                path.display(),
                entry.expires_at
            ),
        )
    }
}

fn kubectl(w: &Wiring<'_>) -> Check {
    let Some((path, _)) = read(paths::kubectl()) else {
        return w.not_set_up("kubectl");
    };
    let check = format!("client kubectl ({})", path.display());
    let mut cmd = Command::new("kubectl");
    cmd.args(["config", "view", "--raw", "-o", "json", "--kubeconfig"])
        .arg(&path)
        .env_remove("KUBECONFIG");
    let Some(out) = tool_output(cmd) else {
        return ok(check, "kubectl cannot read it here: not checked");
    };
    let view: serde_json::Value = serde_json::from_slice(&out).unwrap_or_default();
    let users = view["users"].as_array().cloned().unwrap_or_default();
    // The exec entries that run ecluse-cred's kube-credential for this target.
    let ours: Vec<(String, String)> = users
        .iter()
        .filter_map(|u| {
            let exec = &u["user"]["exec"];
            let args: Vec<String> = exec["args"]
                .as_array()?
                .iter()
                .filter_map(|a| a.as_str().map(str::to_owned))
                .collect();
            if args.first().map(String::as_str) != Some("kube-credential") {
                return None;
            }
            let url = args.iter().enumerate().find_map(|(i, a)| {
                a.strip_prefix("--url=")
                    .map(str::to_owned)
                    .or_else(|| (a == "--url").then(|| args.get(i + 1).cloned()).flatten())
            });
            let serves = match (named_target(&args[1..]), url) {
                (Some(name), _) => name == w.target.name,
                (None, Some(url)) => w.answers(&url),
                (None, None) => false,
            };
            serves.then(|| {
                (
                    u["name"].as_str().unwrap_or("?").to_owned(),
                    exec["command"].as_str().unwrap_or("").to_owned(),
                )
            })
        })
        .collect();
    // Any of them running this ecluse-cred will do; else the first says what is wrong.
    let mut results = ours.iter().map(|(user, program)| {
        let mut c = runs(&check, program, w.exe);
        c.detail = format!("user `{user}`: {}", c.detail);
        c
    });
    let Some(first) = results.next() else {
        return w.not_set_up("kubectl");
    };
    if first.status == super::Status::Ok {
        return first;
    }
    results
        .find(|c| c.status == super::Status::Ok)
        .unwrap_or(first)
}

fn bazel(w: &Wiring<'_>) -> Check {
    let Some((path, text)) = read(paths::bazel()) else {
        return w.not_set_up("bazel");
    };
    let Some(request) = w.host() else {
        return w.not_set_up("bazel");
    };
    let prefix = format!("--credential_helper={}=", request.host);
    let helper = text
        .lines()
        .filter(|l| !l.trim_start().starts_with('#'))
        .flat_map(str::split_whitespace)
        .filter_map(|word| word.strip_prefix(&prefix))
        .next_back();
    match helper {
        None => w.not_set_up("bazel"),
        Some(helper) => {
            let check = format!("client bazel ({})", path.display());
            if helper.starts_with("%workspace%") {
                return ok(check, format!("{helper}: in the workspace, not checked"));
            }
            // A bare name is looked up on PATH, as Bazel does.
            let found = if helper.contains('/') {
                PathBuf::from(helper)
            } else {
                which(helper).unwrap_or_else(|| PathBuf::from(helper))
            };
            let helper = found.as_path();
            if helper.exists() {
                on_path(&check, "bazel", shims::BAZEL, helper, w.exe)
            } else {
                fail(
                    check,
                    format!("its credential helper {} does not exist", helper.display()),
                    format!("ecluse-cred setup bazel --url {}", w.shown),
                )
            }
        }
    }
}

fn terraform(w: &Wiring<'_>) -> Check {
    let Some((path, text)) = read(paths::terraform()) else {
        return w.not_set_up("terraform");
    };
    let wired = text
        .lines()
        .map(str::trim_start)
        .filter(|l| !l.starts_with(['#', '/']))
        .any(|l| l.starts_with("credentials_helper \"ecluse\""));
    if !wired {
        return w.not_set_up("terraform");
    }
    let check = format!("client terraform ({})", path.display());
    match paths::terraform_plugin() {
        Ok(plugin) if plugin.exists() => match points_here(&check, &plugin, w.exe) {
            // Terraform runs whatever is there.
            c if c.status == super::Status::Ok && !c.detail.ends_with("-> this ecluse-cred") => {
                fail(
                    check,
                    format!(
                        "Terraform runs {}, which is not ecluse-cred",
                        plugin.display()
                    ),
                    format!(
                        "move {} away, then `ecluse-cred setup terraform --url {}`",
                        plugin.display(),
                        w.shown
                    ),
                )
            }
            c => c,
        },
        Ok(plugin) => fail(
            check,
            format!(
                "credentials_helper \"ecluse\" is set, but {} does not exist",
                plugin.display()
            ),
            format!("ecluse-cred setup terraform --url {}", w.shown),
        ),
        Err(e) => fail(check, e.chain().to_string(), "set HOME"),
    }
}

/// The keyring-library clients (Poetry, twine, PDM, Hatch), their config naming the registry:
/// keyring must load ecluse-cred's backend, and that backend must run this ecluse-cred.
fn keyring_backend(w: &Wiring<'_>, client: &str, path: &Path) -> Check {
    let check = format!("client {client} ({})", path.display());
    match crate::setup::pykeyring::problem(w.exe) {
        None => ok(check, "routes to this ecluse-cred (keyring backend)"),
        Some(why) => fail(
            check,
            why,
            format!("ecluse-cred setup {client} --url {}", w.shown),
        ),
    }
}

/// The URLs of the tables under `keys` (`[repositories.NAME] url`, ...) in a TOML config.
fn table_urls(doc: &toml_edit::DocumentMut, keys: &[&str], field: &str) -> Vec<String> {
    let mut item = doc.as_item();
    for k in keys {
        match item.get(k) {
            Some(i) => item = i,
            None => return Vec::new(),
        }
    }
    item.as_table_like()
        .into_iter()
        .flat_map(|t| t.iter())
        .filter_map(|(_, v)| v.get(field).and_then(|u| u.as_str()).map(str::to_owned))
        .collect()
}

/// A TOML client config and the URLs it gives the registry, `None` when it names none this
/// target serves.
fn toml_config(
    w: &Wiring<'_>,
    path: Result<PathBuf>,
    urls: impl Fn(&toml_edit::DocumentMut) -> Vec<String>,
) -> Option<PathBuf> {
    let (path, text) = read(path)?;
    let doc = text.parse::<toml_edit::DocumentMut>().ok()?;
    urls(&doc).iter().any(|u| w.answers(u)).then_some(path)
}

/// Poetry: a repository in its config, or (sources live in projects) the backend alone.
fn poetry(w: &Wiring<'_>) -> Check {
    match toml_config(w, paths::poetry(), |d| {
        table_urls(d, &["repositories"], "url")
    }) {
        Some(path) => keyring_backend(w, "poetry", &path),
        None => w.not_set_up("poetry"),
    }
}

/// twine: a section of `~/.pypirc` listed in `index-servers` whose `repository` is the
/// registry, as twine reads it; a password there is sent instead of the token.
fn twine(w: &Wiring<'_>) -> Check {
    let Some((path, text)) = read(paths::twine()) else {
        return w.not_set_up("twine");
    };
    let entries = crate::ini::entries(&text);
    let servers = crate::ini::get(&entries, "distutils", "index-servers")
        .unwrap_or("pypi testpypi")
        .to_owned();
    let ours = servers
        .split_whitespace()
        .find(|name| crate::ini::get(&entries, name, "repository").is_some_and(|u| w.answers(u)));
    match ours {
        None => w.not_set_up("twine"),
        Some(name) if crate::ini::get(&entries, name, "password").is_some() => fail(
            format!("client twine ({})", path.display()),
            format!("[{name}] has a password, which twine sends instead of asking keyring"),
            format!("remove the password line from [{name}]"),
        ),
        Some(_) => keyring_backend(w, "twine", &path),
    }
}

/// PDM: its index or a repository is the registry; it asks the `keyring` program on PATH
/// (or the keyring library, when its environment has it).
fn pdm(w: &Wiring<'_>) -> Check {
    let found = toml_config(w, paths::pdm(), |d| {
        let mut urls = table_urls(d, &["pypi"], "url");
        urls.extend(
            d.get("pypi")
                .and_then(|p| p.get("url"))
                .and_then(|u| u.as_str())
                .map(str::to_owned),
        );
        urls.extend(table_urls(d, &["repository"], "url"));
        urls
    });
    match found {
        Some(path) => shim_check("pdm", &path, shims::KEYRING, w.exe),
        None => w.not_set_up("pdm"),
    }
}

/// Hatch: a `publish.index.repos` entry with the registry's URL (and a user: Hatch asks keyring
/// only for the password).
fn hatch(w: &Wiring<'_>) -> Check {
    match toml_config(w, paths::hatch(), |d| {
        table_urls(d, &["publish", "index", "repos"], "url")
    }) {
        Some(path) => keyring_backend(w, "hatch", &path),
        None => w.not_set_up("hatch"),
    }
}

/// Maven: a server whose password is `${env.VAR}` for a repository or mirror with the
/// registry's URL, and `~/.mavenrc` exporting VAR from this ecluse-cred.
fn maven(w: &Wiring<'_>) -> Check {
    let Some((path, text)) = read(paths::maven()) else {
        return w.not_set_up("maven");
    };
    let check = format!("client maven ({})", path.display());
    let Ok(doc) = roxmltree::Document::parse(&text) else {
        return fail(
            check,
            "not XML: Maven cannot read it",
            format!("fix {}", path.display()),
        );
    };
    let child_text = |n: roxmltree::Node<'_, '_>, name: &str| {
        n.children()
            .find(|c| c.tag_name().name() == name)
            .and_then(|c| c.text())
            .map(str::trim)
            .map(str::to_owned)
    };
    // Repositories and mirrors with the registry's URL: their ids.
    let ids: Vec<String> = doc
        .descendants()
        .filter(|n| {
            matches!(
                n.tag_name().name(),
                "repository" | "pluginRepository" | "mirror"
            )
        })
        .filter(|n| child_text(*n, "url").is_some_and(|u| w.answers(&u)))
        .filter_map(|n| child_text(n, "id"))
        .collect();
    if ids.is_empty() {
        return w.not_set_up("maven");
    }
    let password = doc
        .descendants()
        .filter(|n| n.tag_name().name() == "server")
        .find(|n| child_text(*n, "id").is_some_and(|id| ids.contains(&id)))
        .and_then(|n| child_text(n, "password"));
    let Some(var) = password
        .as_deref()
        .and_then(|p| p.strip_prefix("${env."))
        .and_then(|p| p.strip_suffix('}'))
    else {
        return fail(
            check,
            format!(
                "no <server> with id {} takes its password from the environment",
                ids.join(" or ")
            ),
            format!("ecluse-cred setup maven --url {}", w.shown),
        );
    };
    let rc = crate::setup::maven::mavenrc().ok();
    // The shell keeps the last assignment: that one must run this ecluse-cred for this target.
    let line = rc
        .as_ref()
        .and_then(|rc| std::fs::read_to_string(rc).ok())
        .and_then(|t| {
            t.lines()
                .rfind(|l| l.trim_start().starts_with(&format!("export {var}=")))
                .map(str::to_owned)
        });
    let asks = |line: &str| {
        line.split_once("--url '")
            .and_then(|(_, rest)| rest.split_once('\''))
            .is_some_and(|(url, _)| w.answers(url))
    };
    match line {
        Some(line) if line.contains(&format!("'{}'", w.exe.display())) && asks(&line) => ok(
            check,
            format!("routes to this ecluse-cred (${var} from ~/.mavenrc)"),
        ),
        Some(_) => fail(
            check,
            format!(
                "~/.mavenrc sets ${var} last from another ecluse-cred than this one ({}) or for another registry",
                w.exe.display()
            ),
            format!("ecluse-cred setup maven --url {}", w.shown),
        ),
        None => fail(
            check,
            format!("its password is ${{env.{var}}}, which ~/.mavenrc does not export"),
            format!("ecluse-cred setup maven --url {}", w.shown),
        ),
    }
}

/// Yarn: the home `.yarnrc.yml` names the registry (`npmRegistryServer`, or a scope's) and
/// ecluse-cred's plugin, which must be the one this ecluse-cred writes.
fn yarn(w: &Wiring<'_>) -> Check {
    let Some((path, text)) = read(paths::yarn()) else {
        return w.not_set_up("yarn");
    };
    let named = text.lines().any(|l| {
        l.trim()
            .strip_prefix("npmRegistryServer:")
            .map(|v| v.trim().trim_matches(['"', '\'']))
            .is_some_and(|u| w.answers(u))
    });
    if !named {
        return w.not_set_up("yarn");
    }
    let check = format!("client yarn ({})", path.display());
    let Ok(plugin) = crate::setup::yarn::plugin_path() else {
        return w.not_set_up("yarn");
    };
    if !text.contains(&format!("path: \"{}\"", plugin.display())) {
        return fail(
            check,
            format!(
                "its plugins do not include ecluse-cred's ({}): Yarn sends no token",
                plugin.display()
            ),
            format!("ecluse-cred setup yarn --url {}", w.shown),
        );
    }
    match (
        std::fs::read_to_string(&plugin),
        crate::setup::yarn::plugin_text(w.exe),
    ) {
        (Ok(have), Ok(want)) if have == want => {
            ok(check, "routes to this ecluse-cred (Yarn plugin)")
        }
        _ => fail(
            check,
            format!(
                "{} is missing, or not the plugin this ecluse-cred ({}) writes",
                plugin.display(),
                w.exe.display()
            ),
            format!("ecluse-cred setup yarn --url {}", w.shown),
        ),
    }
}

fn go(w: &Wiring<'_>) -> Check {
    let mut cmd = Command::new("go");
    // Never a toolchain download to answer `go env`.
    cmd.args(["env", "GOAUTH"]).env("GOTOOLCHAIN", "local");
    let Some(out) = tool_output(cmd) else {
        return ok(
            "client go",
            "go is not installed or did not answer here: not checked",
        );
    };
    let goauth = String::from_utf8_lossy(&out).trim().to_owned();
    let Some(ours) = goauth
        .split(';')
        .map(str::trim)
        .find(|e| e.ends_with(" goauth") && e.contains("ecluse-cred"))
    else {
        return w.not_set_up("go");
    };
    let program = ours.trim_end_matches(" goauth").trim_matches(['\'', '"']);
    runs("client go (GOAUTH)", program, w.exe)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_git_helper_is_split_into_words_as_the_shell_splits_it() {
        assert_eq!(
            shell_words(r#"'/opt/my bin/ecluse-cred' git-credential --target='my build'"#),
            [
                "/opt/my bin/ecluse-cred",
                "git-credential",
                "--target=my build"
            ]
        );
        assert_eq!(
            shell_words(r#"'/a/it'\''s/ecluse-cred' "x \" y" z\ w"#),
            ["/a/it's/ecluse-cred", "x \" y", "z w"]
        );
        assert_eq!(
            named_target(&shell_words("x --target 'a b'")),
            Some("a b".into())
        );
    }
}
