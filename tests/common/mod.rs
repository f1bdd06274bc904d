//! A sandbox per test: a config, a cache dir and a scriptable `command` mint that counts its
//! calls. The mint is steered through files next to it so a test can change its behaviour
//! between invocations: `fail` (exit 1 with a message), `sleep` (seconds before answering),
//! `ttl` (the token's lifetime in seconds), `reject` (exit 77).

#![allow(dead_code)]

pub mod cargo_registry;
pub mod http;
pub mod tls;
pub mod tools;

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

pub const MINT: &str = r#"#!/bin/sh
d="$(dirname "$0")"
echo "$$" >> "$d/mints"
if [ -f "$d/sleep" ]; then sleep "$(cat "$d/sleep")"; fi
if [ -f "$d/reject" ]; then echo "AccessDenied: not authorised" >&2; exit 77; fi
if [ -f "$d/fail" ]; then echo "backend is down" >&2; exit 1; fi
ttl=$(cat "$d/ttl" 2>/dev/null || echo 3600)
tok="tok-$$-$(date +%s%N)"
echo "$tok" >> "$d/issued"
printf '{"token":"%s","expires_in":%s}\n' "$tok" "$ttl"
"#;

/// Environment variables that point cloud SDKs at identities, endpoints or proxies.
const CLOUD_ENV: [&str; 20] = [
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_REGION",
    "AWS_DEFAULT_REGION",
    "AWS_ENDPOINT_URL",
    "AWS_ENDPOINT_URL_CODEARTIFACT",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_ROLE_ARN",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    "GOOGLE_APPLICATION_CREDENTIALS",
    "GCE_METADATA_HOST",
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "ALL_PROXY",
    "http_proxy",
    "https_proxy",
];

pub struct Sandbox {
    pub dir: tempfile::TempDir,
    pub config: PathBuf,
    pub cache: PathBuf,
    pub bin: PathBuf,
    /// Everything ecluse-cred wrote to stderr through [`Sandbox::run`] and [`Sandbox::record`].
    stderr_seen: Mutex<Vec<u8>>,
    /// Files a test deliberately put a token in (an .npmrc, $GITHUB_ENV).
    token_files: Mutex<Vec<PathBuf>>,
    /// Configured secrets (client secrets, AWS keys) the audit looks for too.
    secrets: Mutex<Vec<String>>,
}

impl Sandbox {
    /// A sandbox whose config has target `demo` using the counting mint, plus `extra` TOML.
    pub fn new(extra: &str) -> Sandbox {
        let dir = tempfile::tempdir().unwrap();
        let bin = dir.path().join("bin");
        fs::create_dir(&bin).unwrap();
        let mint = bin.join("mint");
        fs::write(&mint, MINT).unwrap();
        fs::set_permissions(&mint, fs::Permissions::from_mode(0o755)).unwrap();
        let config = dir.path().join("config.toml");
        let cache = dir.path().join("cache");
        let sb = Sandbox {
            dir,
            config,
            cache,
            bin,
            stderr_seen: Mutex::default(),
            token_files: Mutex::default(),
            secrets: Mutex::default(),
        };
        sb.write_config(extra);
        sb
    }

    /// Replace the whole config file.
    pub fn write_raw_config(&self, text: &str) {
        fs::write(&self.config, text).unwrap();
    }

    pub fn write_config(&self, extra: &str) {
        let text = format!(
            "[targets.demo]\nbackend = \"command\"\ncommand = [\"{}\"]\n{extra}\n",
            self.bin.join("mint").display()
        );
        fs::write(&self.config, text).unwrap();
    }

    /// `ecluse-cred --config ... --cache-dir ... ARGS` with a clean environment.
    pub fn cmd(&self, args: &[&str]) -> Command {
        let mut c = self.program(Path::new(env!("CARGO_BIN_EXE_ecluse-cred")));
        c.arg("--config")
            .arg(&self.config)
            .arg("--cache-dir")
            .arg(&self.cache)
            .args(args);
        c
    }

    /// Any program (a shim, a real client) with the sandbox's clean environment: HOME in the
    /// sandbox, no cloud identity, profile or proxy of the developer's, and the sandbox's config
    /// and cache through the environment, as a client-run shim finds them.
    pub fn program(&self, path: &Path) -> Command {
        let mut c = Command::new(path);
        c.env("ECLUSE_CRED_CONFIG", &self.config)
            .env("ECLUSE_CRED_CACHE_DIR", &self.cache)
            .env_remove("ECLUSE_CRED_BACKGROUND")
            .env("HOME", self.dir.path())
            .env("XDG_CONFIG_HOME", self.dir.path().join(".config"))
            .env("XDG_CACHE_HOME", self.dir.path().join(".cache"))
            .env("XDG_DATA_HOME", self.dir.path().join(".local/share"))
            .stdin(Stdio::null());
        for var in CLOUD_ENV {
            c.env_remove(var);
        }
        let nowhere = self.dir.path().join("no-such-file");
        c.env("AWS_CONFIG_FILE", &nowhere)
            .env("AWS_SHARED_CREDENTIALS_FILE", &nowhere)
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env("NO_PROXY", "127.0.0.1,localhost")
            .env("no_proxy", "127.0.0.1,localhost");
        c
    }

    pub fn run(&self, args: &[&str]) -> Output {
        let out = self.cmd(args).output().unwrap();
        self.record(&out);
        out
    }

    /// Add an output's stderr to what the leak audit checks when the sandbox ends.
    pub fn record(&self, out: &Output) {
        self.stderr_seen
            .lock()
            .unwrap()
            .extend_from_slice(&out.stderr);
    }

    /// [`Sandbox::record`], returning the output: `sb.recorded(cmd.output().unwrap())`.
    pub fn recorded(&self, out: Output) -> Output {
        self.record(&out);
        out
    }

    /// A configured secret the leak audit must not find either, in any encoding it leaves
    /// this process in (see [`encodings`]).
    pub fn secret(&self, value: &str) {
        self.secrets
            .lock()
            .unwrap()
            .extend(encodings(value.as_bytes()));
    }

    /// An HTTP Basic `id:secret` pair (RFC 6749: both halves form-urlencoded first), in base64.
    pub fn basic_pair(&self, id: &str, secret: &str) {
        let mut secrets = self.secrets.lock().unwrap();
        for pair in [
            format!("{}:{}", form_urlencode(id), form_urlencode(secret)),
            format!("{id}:{secret}"),
        ] {
            use base64::Engine;
            let basic = base64::engine::general_purpose::STANDARD.encode(&pair);
            secrets.extend(base64_forms(pair.as_bytes()));
            secrets.extend(base64_forms(basic.as_bytes()));
            secrets.push(basic);
        }
    }

    /// `path` holds a token on purpose: the leak audit leaves it alone.
    pub fn allow_token_in(&self, path: &Path) {
        self.token_files.lock().unwrap().push(path.to_owned());
    }

    /// Every token this sandbox's mints and caches ever held.
    fn all_tokens(&self) -> Vec<String> {
        let mut tokens: Vec<String> = fs::read_to_string(self.bin.join("issued"))
            .unwrap_or_default()
            .lines()
            .map(str::to_owned)
            .collect();
        for entry in fs::read_dir(&self.cache).into_iter().flatten().flatten() {
            if let Some(t) = token_in(&entry.path()) {
                tokens.push(t);
            }
        }
        tokens.retain(|t| t.len() >= 6);
        tokens
    }

    /// Every form of every configured secret.
    fn all_secrets(&self) -> Vec<String> {
        let mut secrets = self.secrets.lock().unwrap().clone();
        secrets.retain(|t| t.len() >= 6);
        secrets
    }

    /// Run `token --target demo` plus `args`; the output.
    pub fn token(&self, args: &[&str]) -> Output {
        let mut all = vec!["token", "--target", "demo"];
        all.extend_from_slice(args);
        self.run(&all)
    }

    /// Start `token --target demo` in the background, its output discarded (a caller to kill,
    /// or one that holds the lock while its mint runs).
    pub fn spawn_token(&self) -> std::process::Child {
        self.cmd(&["token", "--target", "demo"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap()
    }

    /// Start `n` `token --target demo` processes at once and collect their outputs.
    pub fn concurrent_tokens(&self, n: usize) -> Vec<Output> {
        self.concurrent(n, "demo", &[])
    }

    /// Start `n` `token --target TARGET` processes at once, with `env` added, and collect
    /// their outputs.
    pub fn concurrent(&self, n: usize, target: &str, env: &[(String, String)]) -> Vec<Output> {
        let children: Vec<_> = (0..n)
            .map(|_| {
                self.cmd(&["token", "--target", target])
                    .envs(env.iter().map(|(k, v)| (k, v)))
                    .stdout(Stdio::piped())
                    .stderr(Stdio::piped())
                    .spawn()
                    .unwrap()
            })
            .collect();
        children
            .into_iter()
            .map(|c| c.wait_with_output().unwrap())
            .collect()
    }

    /// How many times the mint has been started.
    pub fn mints(&self) -> usize {
        fs::read_to_string(self.bin.join("mints")).map_or(0, |s| s.lines().count())
    }

    pub fn set(&self, knob: &str, value: &str) {
        fs::write(self.bin.join(knob), value).unwrap();
    }

    pub fn unset(&self, knob: &str) {
        let _ = fs::remove_file(self.bin.join(knob));
    }

    pub fn cache_file(&self) -> PathBuf {
        self.cache.join("demo.json")
    }

    pub fn cache_json(&self) -> serde_json::Value {
        serde_json::from_slice(&fs::read(self.cache_file()).unwrap()).unwrap()
    }

    /// Rewrite the cached entry's times relative to now (ms): puts a token past its refresh
    /// point or past its expiry without waiting.
    pub fn shift_entry(&self, refresh_at: i64, expires_at: i64) {
        shift_entry_in(&self.cache_file(), refresh_at, expires_at);
    }

    pub fn cached_token(&self) -> String {
        self.cache_json()["entry"]["token"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    /// Wait (bounded) until the mint has been started `n` times.
    pub fn wait_for_mints(&self, n: usize, limit: Duration) -> bool {
        wait_until(limit, || self.mints() >= n)
    }
}

/// The leak audit: when a sandbox ends, no token it ever minted may be in what ecluse-cred wrote
/// to stderr, nor in any file of the sandbox but the cache, the mint's own log and the files a
/// test put a token in on purpose (an `.npmrc`, `$GITHUB_ENV`).
impl Drop for Sandbox {
    fn drop(&mut self) {
        if std::thread::panicking() {
            return;
        }
        let tokens = self.all_tokens();
        let secrets = self.all_secrets();
        if tokens.is_empty() && secrets.is_empty() {
            return;
        }
        let stderr = self.stderr_seen.lock().unwrap();
        let stderr = String::from_utf8_lossy(&stderr);
        // GitHub's ::add-mask:: line is the one deliberate place a token goes to stderr.
        let leaked = stderr
            .lines()
            .filter(|l| !l.starts_with("::add-mask::"))
            .any(|l| tokens.iter().any(|t| l.contains(t.as_str())));
        assert!(!leaked, "a token appeared on stderr");
        let lower = stderr.to_ascii_lowercase();
        if let Some(s) = secrets
            .iter()
            .find(|s| lower.contains(&s.to_ascii_lowercase()))
        {
            panic!("a configured secret appeared on stderr (as {s:?})");
        }
        let allowed = self.token_files.lock().unwrap();
        let mut stack = vec![self.dir.path().to_owned()];
        while let Some(dir) = stack.pop() {
            for entry in fs::read_dir(&dir).into_iter().flatten().flatten() {
                let path = entry.path();
                let Ok(meta) = fs::symlink_metadata(&path) else {
                    continue;
                };
                if meta.is_dir() {
                    stack.push(path);
                    continue;
                }
                let in_cache = path.parent() == Some(self.cache.as_path())
                    && path
                        .file_name()
                        .and_then(|n| n.to_str())
                        .is_some_and(|n| n.ends_with(".json") || n.ends_with(".tmp"));
                if !meta.is_file()
                    || meta.len() > 4 << 20
                    || path == self.bin.join("issued")
                    || allowed.contains(&path)
                {
                    continue;
                }
                let text =
                    String::from_utf8_lossy(&fs::read(&path).unwrap_or_default()).into_owned();
                assert!(
                    in_cache || !tokens.iter().any(|t| text.contains(t.as_str())),
                    "a token was written to {}",
                    path.display()
                );
                let lower = text.to_ascii_lowercase();
                assert!(
                    !secrets
                        .iter()
                        .any(|s| lower.contains(&s.to_ascii_lowercase())),
                    "a configured secret was written to {}",
                    path.display()
                );
            }
        }
    }
}

/// `value` in every form a secret leaves a process in: raw, form-urlencoded (with `+` or
/// `%20` for a space), JSON-escaped (with or without `\/`), and base64 (standard and URL-safe,
/// alone or inside a longer encoded text at any byte alignment). The audit compares them
/// ignoring ASCII case. Built here independently of the code under test.
pub fn encodings(value: &[u8]) -> Vec<String> {
    let text = String::from_utf8_lossy(value).into_owned();
    let form = form_urlencode(&text);
    let json = serde_json::to_string(&text).unwrap();
    let json = json.trim_matches('"');
    let mut forms = vec![
        text.clone(),
        form.clone(),
        form.replace('+', "%20"),
        json.to_owned(),
        json.replace('/', "\\/"),
    ];
    forms.extend(base64_forms(value));
    forms.extend(base64_forms(form.as_bytes()));
    forms.sort();
    forms.dedup();
    forms
}

pub fn form_urlencode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// What every base64 text holding `bytes` contains: for each byte alignment (0, 1, 2) and
/// both alphabets, the middle of the encoding of the bytes behind that many `A`s, without the
/// characters that also depend on the neighbours (found by encoding two different neighbours
/// and keeping what they agree on).
fn base64_forms(bytes: &[u8]) -> Vec<String> {
    use base64::Engine;
    use base64::engine::general_purpose::{STANDARD_NO_PAD, URL_SAFE_NO_PAD};
    let mut forms = Vec::new();
    for offset in 0..3 {
        for engine in [STANDARD_NO_PAD, URL_SAFE_NO_PAD] {
            let around = |fill: u8| {
                let mut v = vec![fill; offset];
                v.extend_from_slice(bytes);
                v.extend_from_slice(&[fill; 3]);
                engine.encode(v)
            };
            let (a, b) = (around(b'A'), around(b'z'));
            let start = a
                .bytes()
                .zip(b.bytes())
                .position(|(x, y)| x == y)
                .unwrap_or(0);
            let end = a.len()
                - a.bytes()
                    .rev()
                    .zip(b.bytes().rev())
                    .position(|(x, y)| x == y)
                    .unwrap_or(0);
            // Keep the longest stretch both agree on between the ends that differ.
            let agreed: String = a[start..end]
                .chars()
                .zip(b[start..end].chars())
                .map(|(x, y)| if x == y { x } else { '\0' })
                .collect();
            if let Some(core) = agreed.split('\0').max_by_key(|s| s.len())
                && core.len() >= 8
            {
                forms.push(core.to_owned());
            }
        }
    }
    forms
}

/// The token a cache file holds, if any: what a fake registry demands of its clients.
pub fn token_in(cache_file: &Path) -> Option<String> {
    // A test may put a FIFO there: reading it would wait for a writer forever.
    if !fs::symlink_metadata(cache_file).ok()?.is_file() {
        return None;
    }
    let v: serde_json::Value = serde_json::from_slice(&fs::read(cache_file).ok()?).ok()?;
    v["entry"]["token"].as_str().map(str::to_owned)
}

/// All outputs succeeded and printed the same token.
pub fn all_same_token(outputs: &[Output]) -> bool {
    outputs
        .iter()
        .all(|o| o.status.success() && o.stdout == outputs[0].stdout)
}

/// [`Sandbox::shift_entry`] for the cache file at `path`.
pub fn shift_entry_in(path: &Path, refresh_at: i64, expires_at: i64) {
    let mut v: serde_json::Value = serde_json::from_slice(&fs::read(path).unwrap()).unwrap();
    let now = now_ms();
    v["entry"]["refresh_at"] = (now + refresh_at).into();
    v["entry"]["expires_at"] = (now + expires_at).into();
    v["entry"]["issued_at"] = (now - 3_600_000).into();
    write_private(path, &serde_json::to_vec(&v).unwrap());
}

/// Run `cmd` with its output captured; `None` if it has not ended within `limit` (then killed).
pub fn output_within(mut cmd: Command, limit: Duration) -> Option<Output> {
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    if !wait_until(limit, || child.try_wait().unwrap().is_some()) {
        let _ = child.kill();
        let _ = child.wait();
        return None;
    }
    Some(child.wait_with_output().unwrap())
}

/// A FIFO at `path` (`mkfifo`).
pub fn mkfifo(path: &Path) {
    let made = Command::new("mkfifo").arg(path).status().unwrap();
    assert!(made.success(), "mkfifo {}", path.display());
}

pub fn write_private(path: &Path, bytes: &[u8]) {
    let tmp = path.with_extension("tmp-test");
    fs::write(&tmp, bytes).unwrap();
    fs::set_permissions(&tmp, fs::Permissions::from_mode(0o600)).unwrap();
    fs::rename(&tmp, path).unwrap();
}

pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

pub fn wait_until(limit: Duration, mut done: impl FnMut() -> bool) -> bool {
    let start = Instant::now();
    while start.elapsed() < limit {
        if done() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    done()
}

pub fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

pub fn mode(path: &Path) -> u32 {
    fs::metadata(path).unwrap().permissions().mode() & 0o777
}

/// A sandbox whose `demo` target serves `urls` with username `aws`, and the shims in `bin/`.
pub fn shim_sandbox(urls: &[&str]) -> (Sandbox, PathBuf) {
    let list: Vec<String> = urls.iter().map(|u| format!("\"{u}\"")).collect();
    let sb = Sandbox::new(&format!("username = \"aws\"\nurls = [{}]", list.join(", ")));
    let shims = sb.dir.path().join("shims");
    let out = sb.run(&["install", "shims", shims.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    (sb, shims)
}

/// Run a shim the way a client does: no arguments of ours, configuration from the environment.
pub fn shim(
    sb: &Sandbox,
    shims: &Path,
    name: &str,
    args: &[&str],
    stdin: &str,
) -> std::process::Output {
    let mut running = sb
        .program(&shims.join(name))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // A helper that refuses its arguments may exit before reading: its answer is what counts.
    use std::io::Write;
    let written = running.stdin.take().unwrap().write_all(stdin.as_bytes());
    if let Err(e) = written {
        assert_eq!(e.kind(), std::io::ErrorKind::BrokenPipe, "{e}");
    }
    running.wait_with_output().unwrap()
}

/// Drive `ecluse-cred --cargo-plugin` exactly as cargo does: read the hello, send requests one
/// JSON line each, read one JSON line back for each.
pub fn cargo_exchange(sb: &Sandbox, requests: &[&str]) -> Vec<serde_json::Value> {
    let mut child = sb
        .program(Path::new(env!("CARGO_BIN_EXE_ecluse-cred")))
        .arg("--cargo-plugin")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    let mut stdin = child.stdin.take().unwrap();
    for r in requests {
        writeln!(stdin, "{r}").unwrap();
    }
    drop(stdin);
    let out = child.wait_with_output().unwrap();
    stdout(&out)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{l}: {e}")))
        .collect()
}

/// What git's helper answers for `request`.
pub fn git_get(sb: &Sandbox, shims: &Path, args: &[&str], request: &str) -> String {
    let out = shim(sb, shims, "git-credential-ecluse", args, request);
    sb.record(&out);
    assert!(out.status.success(), "{request:?}: {}", stderr(&out));
    stdout(&out)
}
