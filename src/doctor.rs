//! `ecluse-cred doctor`: one line per check (`ok`, `warn`, `FAIL`), and for every warn or FAIL
//! the exact fix. Exit 0 when nothing failed, 1 otherwise. It never prints a token or a secret
//! and, without `--mint`, makes no network call: credentials are resolved from local files and
//! the environment only. What the user has simply not set up (a client, a cache directory not
//! made yet) is not a failure; a client config or shim that points at another copy of
//! ecluse-cred is.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use crate::cache::{self, FileStore};
use crate::cli::{DoctorArgs, DoctorFormat};
use crate::config::{self, Backend, Config, Target};
use crate::context::{self, print};
use crate::engine::{Clock, SystemClock};
use crate::error::{Code, Result};
use crate::policy::{self, BreakerState};
use crate::request::Request;
use crate::resolve;
use crate::shims;

mod clients;

/// How long before AWS credentials or an SSO session expire doctor starts warning.
const EXPIRY_WARNING: Duration = Duration::from_secs(3600);

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Ok,
    Warn,
    Fail,
}

/// One check's outcome.
#[derive(Debug, serde::Serialize)]
pub struct Check {
    pub check: String,
    pub status: Status,
    pub detail: String,
    /// The command or config line that fixes a warn or FAIL.
    pub fix: Option<String>,
}

fn ok(check: impl Into<String>, detail: impl Into<String>) -> Check {
    Check {
        check: check.into(),
        status: Status::Ok,
        detail: detail.into(),
        fix: None,
    }
}

fn warn(check: impl Into<String>, detail: impl Into<String>, fix: impl Into<String>) -> Check {
    Check {
        check: check.into(),
        status: Status::Warn,
        detail: detail.into(),
        fix: Some(fix.into()),
    }
}

fn fail(check: impl Into<String>, detail: impl Into<String>, fix: impl Into<String>) -> Check {
    Check {
        check: check.into(),
        status: Status::Fail,
        detail: detail.into(),
        fix: Some(fix.into()),
    }
}

pub fn run(
    config_flag: Option<PathBuf>,
    cache_flag: Option<PathBuf>,
    args: &DoctorArgs,
) -> Result<ExitCode> {
    let mut checks = Vec::new();
    let exe = std::env::current_exe().ok();
    let config = config_check(config_flag, &mut checks);
    let cache_dir = context::cache_dir(cache_flag);
    let targets = match (&config, which(config.as_ref(), args, &mut checks)) {
        (Some(_), Some(target)) => vec![target],
        (Some(config), None) if args.target.is_none() && args.url.is_none() => {
            config.targets.values().cloned().collect()
        }
        _ => Vec::new(),
    };
    match &cache_dir {
        Ok(dir) => cache_checks(dir, &targets, &mut checks),
        Err(e) => checks.push(fail(
            "cache dir",
            e.chain().to_string(),
            "set --cache-dir or ECLUSE_CRED_CACHE_DIR",
        )),
    }
    if let Some(exe) = &exe {
        binary_checks(exe, &targets, &mut checks);
    }
    for target in &targets {
        checks.push(backend_check(target));
    }
    if let (Some(exe), Some(config), [target]) = (&exe, &config, targets.as_slice())
        && let Some(shown) = client_url(config, target, args, &mut checks)
    {
        let entry = cache_dir.as_ref().ok().and_then(|dir| {
            FileStore::new(dir, &target.name, &target.backend.settings_hash())
                .load()
                .ok()
                .and_then(|state| state.entry)
        });
        let wiring = clients::Wiring {
            exe,
            config,
            target,
            shown,
            entry,
        };
        clients::checks(&wiring, &mut checks);
    }
    if let Some(fleet) = config.as_ref().and_then(|c| c.fleet.as_ref()) {
        checks.push(fleet_check(fleet, args.mint));
    }
    if args.mint
        && let (Ok(dir), Some(config)) = (&cache_dir, &config)
    {
        for target in &targets {
            checks.push(mint_check(config, dir, target));
        }
    }
    let failed = checks.iter().any(|c| c.status == Status::Fail);
    let text = match args.format {
        DoctorFormat::Json => format!(
            "{}\n",
            serde_json::to_string(&checks).expect("checks serialize")
        ),
        DoctorFormat::Text => render(&checks),
    };
    print(&text)?;
    Ok(if failed {
        Code::Other.exit_code()
    } else {
        ExitCode::SUCCESS
    })
}

fn render(checks: &[Check]) -> String {
    let mut out = String::new();
    for c in checks {
        let status = match c.status {
            Status::Ok => "ok",
            Status::Warn => "warn",
            Status::Fail => "FAIL",
        };
        out.push_str(&format!("{status:<5} {}: {}\n", c.check, c.detail));
        if let Some(fix) = &c.fix {
            out.push_str(&format!("      fix: {fix}\n"));
        }
    }
    out
}

fn config_check(flag: Option<PathBuf>, checks: &mut Vec<Check>) -> Option<Config> {
    let source = context::config_source(flag);
    let shown = match &source {
        config::Source::Explicit(p) | config::Source::Default(p) => p.display().to_string(),
        config::Source::None => "(no home directory)".to_owned(),
    };
    match config::load(&source) {
        Ok(config) if config.path.is_none() => {
            checks.push(ok(
                "config",
                format!("no file at {shown}: no configured targets (CodeArtifact and Artifact Registry URLs still work)"),
            ));
            Some(config)
        }
        Ok(config) => {
            let names: Vec<&str> = config.targets.keys().map(String::as_str).collect();
            checks.push(ok(
                "config",
                format!(
                    "{shown}: {} target(s){}",
                    names.len(),
                    if names.is_empty() {
                        String::new()
                    } else {
                        format!(" ({})", names.join(", "))
                    }
                ),
            ));
            Some(config)
        }
        Err(e) => {
            checks.push(fail(
                "config",
                e.chain().to_string(),
                format!("edit {shown} (see README, Configuration)"),
            ));
            None
        }
    }
}

/// The target `--target` or `--url` names, and why it serves the URL.
fn which(config: Option<&Config>, args: &DoctorArgs, checks: &mut Vec<Check>) -> Option<Target> {
    let config = config?;
    let found = match (&args.target, &args.url) {
        (Some(name), _) => resolve::target(config, name),
        (None, Some(url)) => resolve::resolve(config, url),
        (None, None) => return None,
    };
    match found {
        Ok(target) => {
            let why = match (&args.url, config.targets.contains_key(&target.name)) {
                (Some(url), true) => format!(
                    "{} is served by target `{}` (its urls: {})",
                    crate::redact::url(url),
                    target.name,
                    target.urls.join(", ")
                ),
                (Some(url), false) => format!(
                    "{} is served by target `{}`, derived from the host ({})",
                    crate::redact::url(url),
                    target.name,
                    target.backend.kind()
                ),
                (None, _) => format!("target `{}` ({})", target.name, target.backend.kind()),
            };
            checks.push(ok("target", why));
            Some(target)
        }
        Err(e) => {
            checks.push(fail(
                "target",
                e.chain().to_string(),
                "the error above names the line to add and where",
            ));
            None
        }
    }
}

fn cache_checks(dir: &Path, targets: &[Target], checks: &mut Vec<Check>) {
    match cache::check_dir(dir) {
        Ok(false) => {
            checks.push(ok(
                "cache dir",
                format!(
                    "{} does not exist yet: it is made (0700) on first use",
                    dir.display()
                ),
            ));
            return;
        }
        Ok(true) => checks.push(ok("cache dir", format!("{}: yours, 0700", dir.display()))),
        Err(e) => {
            checks.push(fail(
                "cache dir",
                e.chain().to_string(),
                format!(
                    "chmod 700 {0} (and make it yours and not a symlink), or point --cache-dir elsewhere",
                    dir.display()
                ),
            ));
            return;
        }
    }
    let now = SystemClock.now();
    for target in targets {
        let name = format!("cache `{}`", target.name);
        let store = FileStore::new(dir, &target.name, &target.backend.settings_hash());
        let state = match store.load() {
            Ok(state) => state,
            Err(e) => {
                checks.push(fail(
                    name,
                    e.chain().to_string(),
                    format!("ecluse-cred clear --target {}", target.name),
                ));
                continue;
            }
        };
        let b = &state.breaker;
        let last = b
            .last_error
            .as_ref()
            .map(|e| format!("; last error: {}", crate::redact::text(&e.message)))
            .unwrap_or_default();
        if b.state(now) == BreakerState::Open {
            let usable = policy::freshness(now, state.entry.as_ref(), &target.policy, None)
                != policy::Freshness::Unusable;
            // Served stale, callers still work; with no usable token every call fails (75).
            let serving = if usable {
                "callers are served the cached token meanwhile"
            } else {
                "no usable token is cached, so every `token` call fails (exit 75) until then"
            };
            let mut check = warn(
                name,
                format!(
                    "circuit breaker open after {} failures until {}: {serving}{last}",
                    b.consecutive_failures,
                    b.open_until.unwrap_or(now)
                ),
                format!(
                    "fix the cause, then `ecluse-cred refresh --target {} --force`",
                    target.name
                ),
            );
            if !usable {
                check.status = Status::Fail;
            }
            checks.push(check);
            continue;
        }
        let detail = match (
            &state.entry,
            policy::freshness(now, state.entry.as_ref(), &target.policy, None),
        ) {
            (None, _) => "no token cached yet".to_owned(),
            (Some(e), policy::Freshness::Unusable) => {
                format!("token expired {}: the next call mints", e.expires_at)
            }
            (Some(e), _) => format!(
                "token valid until {}, refresh due {}",
                e.expires_at, e.refresh_at
            ),
        };
        checks.push(ok(name, format!("{detail}{last}")));
    }
}

fn binary_checks(exe: &Path, targets: &[Target], checks: &mut Vec<Check>) {
    let helper = exe.with_file_name(crate::backend::helper::HELPER_NAME);
    let cloud = targets
        .iter()
        .any(|t| !matches!(t.backend, Backend::Command { .. }));
    let want = format!("ecluse-cred-mint {}", env!("CARGO_PKG_VERSION"));
    let version = std::process::Command::new(&helper)
        .arg("--version")
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned());
    let reinstall = crate::backend::helper::reinstall();
    match version {
        Some(v) if v == want => {
            checks.push(ok("mint helper", format!("{} ({v})", helper.display())))
        }
        Some(v) => checks.push(fail(
            "mint helper",
            format!(
                "{} is `{v}`, this is {}",
                helper.display(),
                env!("CARGO_PKG_VERSION")
            ),
            reinstall,
        )),
        None if cloud => checks.push(fail(
            "mint helper",
            format!("{} is missing: cloud targets cannot mint", helper.display()),
            reinstall,
        )),
        None => checks.push(warn(
            "mint helper",
            format!(
                "{} is missing (only cloud targets need it)",
                helper.display()
            ),
            reinstall,
        )),
    }
    if let Some(why) = crate::setup::temporary_place(exe) {
        checks.push(warn(
            "binary",
            format!(
                "{} {why}: client configs pointing at it break when it goes",
                exe.display()
            ),
            format!(
                "{} and run setup again",
                crate::backend::helper::INSTALL_BOTH
            ),
        ));
    } else {
        checks.push(ok("binary", exe.display().to_string()));
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    for name in shims::ALL {
        let Some(found) = std::env::split_paths(&path)
            .map(|d| d.join(name))
            .find(|p| p.exists())
        else {
            continue;
        };
        checks.push(points_here(&format!("shim {name}"), &found, exe));
    }
}

/// Whether `link` (a shim, a configured program) runs this executable: ok; another copy of
/// ecluse-cred: FAIL; something else: ok, it is not ours.
fn points_here(check: &str, link: &Path, exe: &Path) -> Check {
    let real = std::fs::canonicalize(link).unwrap_or_else(|_| link.to_owned());
    let here = std::fs::canonicalize(exe).unwrap_or_else(|_| exe.to_owned());
    let name = real
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default();
    if real == here {
        ok(check, format!("{} -> this ecluse-cred", link.display()))
    } else if name.starts_with("ecluse-cred") {
        fail(
            check,
            format!(
                "{} runs {}, not this ecluse-cred ({})",
                link.display(),
                real.display(),
                here.display()
            ),
            format!(
                "ln -sf {} {} (or run setup again)",
                here.display(),
                link.display()
            ),
        )
    } else {
        ok(
            check,
            format!(
                "{} is not ecluse-cred's ({})",
                link.display(),
                real.display()
            ),
        )
    }
}

fn backend_check(target: &Target) -> Check {
    let name = format!("credentials `{}`", target.name);
    match &target.backend {
        Backend::Command { command } => {
            let program = Path::new(&command[0]);
            let found = if program.is_absolute() || command[0].contains('/') {
                Some(program.to_owned())
            } else {
                std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default())
                    .map(|d| d.join(program))
                    .find(|p| p.is_file())
            };
            match found {
                Some(p) if rustix::fs::access(&p, rustix::fs::Access::EXEC_OK).is_ok() => {
                    ok(name, format!("command {} is executable", p.display()))
                }
                Some(p) => fail(
                    name,
                    format!("command {} is not executable", p.display()),
                    format!("chmod +x {}", p.display()),
                ),
                None => fail(
                    name,
                    format!("command `{}` not found", command[0]),
                    "fix `command` in the target's config section (an absolute path is safest)",
                ),
            }
        }
        Backend::Oauth2 {
            client_secret_env,
            client_secret_file,
            ..
        } => match (client_secret_env, client_secret_file) {
            (Some(var), _) => match std::env::var(var) {
                Ok(v) if !v.is_empty() => ok(name, format!("client secret in ${var} (set)")),
                _ => fail(
                    name,
                    format!("client secret: ${var} is not set or empty"),
                    format!("export {var}=... in the environment ecluse-cred runs in"),
                ),
            },
            (None, Some(path)) => match std::fs::read(path) {
                Ok(bytes) if !bytes.iter().all(u8::is_ascii_whitespace) => ok(
                    name,
                    format!("client secret in {} (readable, not empty)", path.display()),
                ),
                Ok(_) => fail(
                    name,
                    format!("client secret file {} is empty", path.display()),
                    format!("write the secret into {}", path.display()),
                ),
                Err(e) => fail(
                    name,
                    format!("client secret file {}: {e}", path.display()),
                    format!("create {} (mode 0600) with the secret", path.display()),
                ),
            },
            (None, None) => fail(
                name,
                "no client secret source",
                "set client_secret_env or client_secret_file",
            ),
        },
        Backend::Gcp { .. } => gcp_check(name),
        Backend::Codeartifact { profile, .. } | Backend::Ecr { profile, .. } => {
            aws_check(name, profile.as_deref())
        }
    }
}

fn gcp_check(name: String) -> Check {
    let kind = |path: &Path| -> std::result::Result<String, String> {
        let text = std::fs::read_to_string(path).map_err(|e| e.to_string())?;
        let v: serde_json::Value =
            serde_json::from_str(&text).map_err(|_| "not JSON".to_owned())?;
        Ok(v["type"].as_str().unwrap_or("unknown type").to_owned())
    };
    if let Some(path) = crate::setup::env_path("GOOGLE_APPLICATION_CREDENTIALS") {
        return match kind(&path) {
            Ok(t) => ok(
                name,
                format!(
                    "{t} credentials from GOOGLE_APPLICATION_CREDENTIALS ({})",
                    path.display()
                ),
            ),
            Err(e) => fail(
                name,
                format!("GOOGLE_APPLICATION_CREDENTIALS ({}): {e}", path.display()),
                "point GOOGLE_APPLICATION_CREDENTIALS at a credentials JSON file",
            ),
        };
    }
    let gcloud = crate::setup::env_path("CLOUDSDK_CONFIG")
        .or_else(|| crate::setup::config_home().ok().map(|d| d.join("gcloud")))
        .map(|d| d.join("application_default_credentials.json"));
    match gcloud.as_deref().map(|p| (p, kind(p))) {
        Some((p, Ok(t))) => ok(
            name,
            format!("{t} credentials from gcloud's ADC file ({})", p.display()),
        ),
        _ => warn(
            name,
            "no ADC file: only the metadata server (on Google Cloud) can supply credentials",
            "gcloud auth application-default login (or set GOOGLE_APPLICATION_CREDENTIALS)",
        ),
    }
}

/// Where the AWS default chain (or the target's profile) gets credentials, from local files
/// and the environment only.
fn aws_check(name: String, target_profile: Option<&str>) -> Check {
    let env = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
    if target_profile.is_none()
        && env("AWS_ACCESS_KEY_ID").is_some()
        && env("AWS_SECRET_ACCESS_KEY").is_some()
    {
        return expiring(
            name,
            "environment (AWS_ACCESS_KEY_ID)",
            env("AWS_CREDENTIAL_EXPIRATION"),
            "refresh the environment's credentials",
        );
    }
    let profile = target_profile
        .map(str::to_owned)
        .or_else(|| env("AWS_PROFILE"))
        .unwrap_or_else(|| "default".to_owned());
    let home = crate::setup::home().unwrap_or_default();
    let config_file = crate::setup::env_path("AWS_CONFIG_FILE").unwrap_or(home.join(".aws/config"));
    let creds_file = crate::setup::env_path("AWS_SHARED_CREDENTIALS_FILE")
        .unwrap_or(home.join(".aws/credentials"));
    let read_ini = |path: &Path| {
        crate::files::read(path)
            .ok()
            .flatten()
            .map_or_else(Vec::new, |text| crate::ini::entries(&text))
    };
    let config = read_ini(&config_file);
    let creds = read_ini(&creds_file);
    let section_name = if profile == "default" {
        "default".to_owned()
    } else {
        format!("profile {profile}")
    };
    // The credentials file over the config file, as the AWS CLI reads them.
    let get = |key: &str| -> Option<String> {
        crate::ini::get(&creds, &profile, key)
            .or_else(|| crate::ini::get(&config, &section_name, key))
            .map(str::to_owned)
    };
    if get("aws_access_key_id").is_some() {
        return ok(name, format!("profile `{profile}`: static keys"));
    }
    if let Some(session) = get("sso_session") {
        let start = crate::ini::get(&config, &format!("sso-session {session}"), "sso_start_url");
        return sso(name, &profile, &home, &session, start);
    }
    if let Some(start) = get("sso_start_url") {
        return sso(name, &profile, &home, &start, Some(&start));
    }
    if get("credential_process").is_some() {
        return ok(name, format!("profile `{profile}`: credential_process"));
    }
    if get("role_arn").is_some() {
        return ok(name, format!("profile `{profile}`: assumes a role"));
    }
    if target_profile.is_some() {
        return fail(
            name,
            format!(
                "profile `{profile}` not found in {} or {}",
                config_file.display(),
                creds_file.display()
            ),
            format!("aws configure --profile {profile}"),
        );
    }
    if env("AWS_WEB_IDENTITY_TOKEN_FILE").is_some() && env("AWS_ROLE_ARN").is_some() {
        return ok(
            name,
            "web identity (AWS_WEB_IDENTITY_TOKEN_FILE, AWS_ROLE_ARN)",
        );
    }
    if env("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI").is_some()
        || env("AWS_CONTAINER_CREDENTIALS_FULL_URI").is_some()
    {
        return ok(name, "the ECS container credentials endpoint");
    }
    warn(
        name,
        "no credentials in the environment or AWS profiles: only IMDS (on EC2) can supply them",
        "aws configure (or aws sso login), or set AWS_PROFILE",
    )
}

/// An SSO login's cached token: `~/.aws/sso/cache/<sha1 of the session name or start URL>.json`.
fn sso(name: String, profile: &str, home: &Path, key: &str, start: Option<&str>) -> Check {
    use sha1::Digest;
    let digest: String = sha1::Sha1::digest(key.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let file = home.join(".aws/sso/cache").join(format!("{digest}.json"));
    let expires = std::fs::read_to_string(&file)
        .ok()
        .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
        .and_then(|v| v["expiresAt"].as_str().map(str::to_owned));
    let what = format!("profile `{profile}`: SSO ({})", start.unwrap_or(key));
    match expires {
        None => fail(
            name,
            format!("{what}: not logged in"),
            format!("aws sso login --profile {profile}"),
        ),
        Some(at) => expiring(
            name,
            &what,
            Some(at),
            &format!("aws sso login --profile {profile}"),
        ),
    }
}

/// A source of credentials with an optional expiry: FAIL when past, warn when close.
fn expiring(name: String, what: &str, expires: Option<String>, fix: &str) -> Check {
    let Some(at) = expires else {
        return ok(name, what);
    };
    let Ok(at) = at.parse::<jiff::Timestamp>() else {
        return warn(
            name,
            format!("{what}: unreadable expiry `{}`", crate::redact::text(&at)),
            fix,
        );
    };
    let left = at.as_millisecond() - jiff::Timestamp::now().as_millisecond();
    if left <= 0 {
        fail(name, format!("{what}: expired {at}"), fix)
    } else if left < policy::ms(EXPIRY_WARNING) {
        warn(name, format!("{what}: expires {at}, within the hour"), fix)
    } else {
        ok(name, format!("{what}: valid until {at}"))
    }
}

/// The registry URL the client checks are about: `--url`, else the target's one URL (or its
/// derived host); `None` (said in a check) when the target has several.
fn client_url(
    config: &Config,
    target: &Target,
    args: &DoctorArgs,
    checks: &mut Vec<Check>,
) -> Option<String> {
    let url = match (&args.url, target.urls.as_slice()) {
        (Some(url), _) => url.clone(),
        (None, [one]) => one.clone(),
        (None, []) if !config.targets.contains_key(&target.name) => {
            format!("https://{}/", target.name)
        }
        (None, []) => {
            checks.push(ok(
                "clients",
                format!(
                    "target `{}` has no `urls`, so no client is wired to it: name a registry with --url to check the clients",
                    target.name
                ),
            ));
            return None;
        }
        (None, several) => {
            checks.push(ok(
                "clients",
                format!(
                    "target `{}` has {} urls: name one with --url to check the clients",
                    target.name,
                    several.len()
                ),
            ));
            return None;
        }
    };
    // As the client configs name it: an `@` in the path (an Azure Artifacts feed view) stays.
    Request::url(&url).ok().map(|r| r.written())
}

/// The `[fleet]` store: the key and password variables set and well-formed (never shown), and,
/// with `--mint` (doctor makes no network call without it), whether the store answers and
/// accepts `AUTH`. A warning at worst: without the store each host mints on its own.
fn fleet_check(fleet: &config::FleetConfig, contact: bool) -> Check {
    use base64::Engine;
    const NAME: &str = "fleet store";
    let fix_key = format!(
        "export {}=\"$(openssl rand -base64 32)\" with the fleet's key (the same on every host)",
        fleet.key_env
    );
    let key = std::env::var(&fleet.key_env).unwrap_or_default();
    if key.trim().is_empty() {
        return warn(
            NAME,
            format!(
                "the fleet key variable {} is not set: this host mints on its own",
                fleet.key_env
            ),
            fix_key,
        );
    }
    let len = base64::engine::general_purpose::STANDARD
        .decode(key.trim())
        .map(|b| b.len());
    if len != Ok(32) {
        return warn(
            NAME,
            format!(
                "the fleet key variable {} does not hold base64 of 32 bytes: this host mints on its own",
                fleet.key_env
            ),
            fix_key,
        );
    }
    if let Some(var) = &fleet.password_env
        && std::env::var(var).unwrap_or_default().is_empty()
    {
        return warn(
            NAME,
            format!("the store's password variable {var} is not set: this host mints on its own"),
            format!("export {var} with the store's AUTH password"),
        );
    }
    if !contact {
        return ok(
            NAME,
            format!(
                "{}: key well-formed; not contacted (`doctor --mint` pings it)",
                fleet.store
            ),
        );
    }
    match crate::backend::fleet::ping(fleet) {
        Ok(()) => ok(
            NAME,
            format!("{}: reachable, AUTH accepted, key well-formed", fleet.store),
        ),
        Err(why) => warn(
            NAME,
            format!(
                "{}: unavailable ({why}): each host mints on its own",
                fleet.store
            ),
            "check fleet.store, fleet.password_env and fleet.username, and that the store is up",
        ),
    }
}

fn mint_check(config: &Config, dir: &Path, target: &Target) -> Check {
    let name = format!("mint `{}`", target.name);
    let ctx = context::Context {
        config: Config {
            path: config.path.clone(),
            looked_for: config.looked_for.clone(),
            targets: config.targets.clone(),
            defaults: config.defaults.clone(),
            fleet: config.fleet.clone(),
        },
        cache_dir: dir.to_owned(),
    };
    let started = std::time::Instant::now();
    match context::engine(&ctx, target).refresh(false) {
        Ok(entry) => ok(
            name,
            format!(
                "minted in {} ms; expires {}",
                started.elapsed().as_millis(),
                entry.expires_at
            ),
        ),
        Err(e) => {
            // A command that ran and printed something else than a token: retrying will not
            // help, its output must change.
            let bad_output = matches!(target.backend, crate::config::Backend::Command { .. })
                && e.message.contains("` printed ");
            let fix = match e.code {
                _ if bad_output => "fix the command's output: it must print {\"token\": \"...\", \"expires_in\": SECONDS} (or \"expires_at\") on stdout".to_owned(),
                Code::NoPerm => "renew the backend credentials (see the credentials check above)".to_owned(),
                Code::Config => "fix the target's settings".to_owned(),
                _ => format!(
                    "retry later; `ecluse-cred refresh --target {} --force` ignores an open breaker",
                    target.name
                ),
            };
            fail(name, e.chain().to_string(), fix)
        }
    }
}
