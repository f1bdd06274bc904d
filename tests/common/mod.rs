//! A sandbox per test: a config, a cache dir and a scriptable `command` mint that counts its
//! calls. The mint is steered through files next to it so a test can change its behaviour
//! between invocations: `fail` (exit with a message and the status the file holds, else 1), `sleep` (seconds before answering),
//! `ttl` (the token's lifetime in seconds), `reject` (exit 77), `gate` (while it exists, a
//! started mint waits: a test holds a mint in flight for as long as it needs, whatever the
//! machine's speed, then `unset`s it; see [`PATIENT_MINT`]).

#![allow(dead_code)]

pub mod cache;
pub mod cargo_registry;
pub mod cloud;
pub mod docker_registry;
pub mod http;
pub mod private_ca;
pub mod pypi;
pub mod redis_server;
pub mod registry;
pub mod tls;
pub mod tools;

// Unused by some test binaries.
#[allow(unused_imports)]
pub use cache::now_ms;

use std::ffi::OsStr;
use std::fs;
use std::io::{Read, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

pub const MINT: &str = r#"#!/bin/sh
d="$(dirname "$0")"
echo "$$" >> "$d/mints"
while [ -f "$d/gate" ]; do sleep 0.02; done
if [ -f "$d/sleep" ]; then sleep "$(cat "$d/sleep")"; fi
if [ -f "$d/reject" ]; then echo "AccessDenied: not authorised" >&2; exit 77; fi
if [ -f "$d/fail" ]; then echo "backend is down" >&2; code=$(cat "$d/fail"); exit "${code:-1}"; fi
ttl=$(cat "$d/ttl" 2>/dev/null || echo 3600)
tok="tok-$$-$(date +%s%N)"
echo "$tok" >> "$d/issued"
printf '{"token":"%s","expires_in":%s}\n' "$tok" "$ttl"
"#;

/// Environment variables that point cloud SDKs at identities, endpoints or proxies.
const CLOUD_ENV: [&str; 21] = [
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_REGION",
    "AWS_DEFAULT_REGION",
    "AWS_ENDPOINT_URL",
    "AWS_ENDPOINT_URL_CODEARTIFACT",
    "AWS_ENDPOINT_URL_ECR",
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
    /// Everything written to stderr by every run the sandbox started ([`Run`]), and the reports
    /// given to [`Sandbox::audit_stdout`]. Shared with the threads that read a spawned child's
    /// stderr, which add it when the child closes it.
    stderr_seen: Arc<Mutex<Vec<u8>>>,
    /// The stderr readers of children waited for with [`Running::wait`] or not at all: each
    /// records when its pipe closes, which the audit waits for (see [`STDERR_LINGER`]).
    readers: Mutex<Vec<JoinHandle<Vec<u8>>>>,
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
            stderr_seen: Arc::default(),
            readers: Mutex::default(),
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
    pub fn cmd(&self, args: &[&str]) -> Run<'_> {
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
    /// and cache through the environment, as a client-run shim finds them. Stdin is empty and
    /// stdout captured unless a test says otherwise; stderr is always captured and recorded.
    pub fn program(&self, path: &Path) -> Run<'_> {
        let mut c = Command::new(path);
        c.env("ECLUSE_CRED_CONFIG", &self.config)
            .env("ECLUSE_CRED_CACHE_DIR", &self.cache)
            .env_remove("ECLUSE_CRED_BACKGROUND")
            .env("HOME", self.dir.path())
            .env("XDG_CONFIG_HOME", self.dir.path().join(".config"))
            .env("XDG_CACHE_HOME", self.dir.path().join(".cache"))
            .env("XDG_DATA_HOME", self.dir.path().join(".local/share"))
            .stdin(Stdio::null())
            .stdout(Stdio::piped());
        for var in CLOUD_ENV {
            c.env_remove(var);
        }
        let nowhere = self.dir.path().join("no-such-file");
        c.env("AWS_CONFIG_FILE", &nowhere)
            .env("AWS_SHARED_CREDENTIALS_FILE", &nowhere)
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env("NO_PROXY", "127.0.0.1,localhost")
            .env("no_proxy", "127.0.0.1,localhost");
        Run { sb: self, cmd: c }
    }

    /// A command built elsewhere (`cargo_registry::cargo`) as a [`Run`] of this sandbox: its
    /// program, arguments, directory and environment on top of [`Sandbox::program`]'s.
    pub fn adopt(&self, cmd: &Command) -> Run<'_> {
        let mut run = self.program(Path::new(cmd.get_program()));
        run.args(cmd.get_args());
        for (key, value) in cmd.get_envs() {
            match value {
                Some(value) => run.env(key, value),
                None => run.env_remove(key),
            };
        }
        if let Some(dir) = cmd.get_current_dir() {
            run.current_dir(dir);
        }
        run
    }

    pub fn run(&self, args: &[&str]) -> Output {
        self.cmd(args).output()
    }

    /// Audit what a report printed on stdout like stderr: `status` or `doctor` must not show
    /// a token or a secret either.
    pub fn audit_stdout(&self, out: &Output) {
        record_in(&self.stderr_seen, &out.stdout);
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
            if let Some(t) = cache::token(&entry.path()) {
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
    pub fn spawn_token(&self) -> Running<'_> {
        self.cmd(&["token", "--target", "demo"])
            .stdout(Stdio::null())
            .spawn()
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
                    .spawn()
            })
            .collect();
        children
            .into_iter()
            .map(Running::wait_with_output)
            .collect()
    }

    /// The log of every token this sandbox's mint issued, which fakes add theirs to
    /// (`cloud::Cloud::audit_in`): the leak audit looks for each.
    pub fn issued_log(&self) -> PathBuf {
        self.bin.join("issued")
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

    /// The cache file of target `demo`.
    pub fn cache_file(&self) -> PathBuf {
        cache::file(&self.cache, "demo")
    }

    /// The cache file of `target`.
    pub fn cache_file_of(&self, target: &str) -> PathBuf {
        cache::file(&self.cache, target)
    }

    /// Rewrite the cached entry's times relative to now (ms): puts a token past its refresh
    /// point or past its expiry without waiting (see [`cache::shift`]).
    pub fn shift_entry(&self, refresh_at: i64, expires_at: i64) {
        cache::shift(&self.cache_file(), refresh_at, expires_at);
    }

    /// The entry cached for `demo` (there must be one).
    pub fn cached_entry(&self) -> cache::Entry {
        cache::entry(&self.cache_file()).expect("an entry cached for demo")
    }

    pub fn cached_token(&self) -> String {
        self.cached_entry().token
    }

    /// Wait (bounded) until the mint has been started `n` times.
    pub fn wait_for_mints(&self, n: usize, limit: Duration) -> bool {
        wait_until(limit, || self.mints() >= n)
    }
}

/// The leak audit: when a sandbox ends, no token it ever minted may be in what any program it
/// ran (ecluse-cred, a shim, a real client) wrote to stderr, nor in any file of the sandbox but the cache, the mint's own log and the files a
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
        let readers = std::mem::take(&mut *self.readers.lock().unwrap());
        wait_until(STDERR_LINGER, || {
            readers.iter().all(JoinHandle::is_finished)
        });
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
                let in_cache =
                    path.parent() == Some(self.cache.as_path()) && cache::holds_a_token(&path);
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

/// All outputs succeeded and printed the same token.
pub fn all_same_token(outputs: &[Output]) -> bool {
    outputs
        .iter()
        .all(|o| o.status.success() && o.stdout == outputs[0].stdout)
}

/// Add one run's whole stderr to the leak audit's record (whole, so that no other run's
/// output lands inside one of its lines).
fn record_in(seen: &Mutex<Vec<u8>>, stderr: &[u8]) {
    seen.lock().unwrap().extend_from_slice(stderr);
}

/// A program the sandbox is about to run ([`Sandbox::cmd`], [`Sandbox::program`]). Whatever
/// way it is run, its stderr is captured and recorded for the leak audit: there is no way to
/// send it elsewhere, and this is deliberately not a `Deref` to [`Command`] (whose `output`
/// would run it unrecorded).
pub struct Run<'a> {
    sb: &'a Sandbox,
    cmd: Command,
}

impl<'a> Run<'a> {
    pub fn arg(&mut self, arg: impl AsRef<OsStr>) -> &mut Self {
        self.cmd.arg(arg);
        self
    }

    pub fn args<S: AsRef<OsStr>>(&mut self, args: impl IntoIterator<Item = S>) -> &mut Self {
        self.cmd.args(args);
        self
    }

    pub fn env(&mut self, key: impl AsRef<OsStr>, value: impl AsRef<OsStr>) -> &mut Self {
        self.cmd.env(key, value);
        self
    }

    pub fn envs<K: AsRef<OsStr>, V: AsRef<OsStr>>(
        &mut self,
        vars: impl IntoIterator<Item = (K, V)>,
    ) -> &mut Self {
        self.cmd.envs(vars);
        self
    }

    pub fn env_remove(&mut self, key: impl AsRef<OsStr>) -> &mut Self {
        self.cmd.env_remove(key);
        self
    }

    pub fn current_dir(&mut self, dir: impl AsRef<Path>) -> &mut Self {
        self.cmd.current_dir(dir);
        self
    }

    pub fn stdin(&mut self, cfg: impl Into<Stdio>) -> &mut Self {
        self.cmd.stdin(cfg);
        self
    }

    pub fn stdout(&mut self, cfg: impl Into<Stdio>) -> &mut Self {
        self.cmd.stdout(cfg);
        self
    }

    /// Anything else [`Command`] offers (`CommandExt::pre_exec`, `process_group`, `arg0`).
    /// Its stderr is piped and recorded whatever this sets.
    pub fn configure(&mut self, f: impl FnOnce(&mut Command)) -> &mut Self {
        f(&mut self.cmd);
        self
    }

    /// Run it to the end; its output (stderr recorded).
    pub fn output(&mut self) -> Output {
        let out = self
            .cmd
            .stderr(Stdio::piped())
            .output()
            .unwrap_or_else(|e| panic!("{:?}: {e}", self.cmd.get_program()));
        record_in(&self.sb.stderr_seen, &out.stderr);
        out
    }

    /// [`Run::output`]'s status: its output is captured (and its stderr recorded), never left
    /// in the test's log.
    pub fn status(&mut self) -> ExitStatus {
        self.output().status
    }

    /// Its output, or `None` if it has not ended within `limit` (then it is killed, and what it
    /// wrote to stderr is recorded all the same).
    pub fn output_within(&mut self, limit: Duration) -> Option<Output> {
        let mut child = self.spawn();
        if !wait_until(limit, || child.try_wait().unwrap().is_some()) {
            let _ = child.kill();
            let _ = child.wait();
            return None;
        }
        Some(child.wait_with_output())
    }

    /// Its output after `input` is written to its stdin and stdin closed. A program that ends
    /// before reading (a helper refusing its arguments) is fine: its answer is what counts.
    pub fn output_with_stdin(&mut self, input: impl AsRef<[u8]>) -> Output {
        let mut child = self.stdin(Stdio::piped()).spawn();
        write_stdin(&mut child, input.as_ref());
        child.wait_with_output()
    }

    /// Start it with stderr piped to a thread that records all of it when the child (and
    /// anything it handed its stderr to) closes it.
    pub fn spawn(&mut self) -> Running<'a> {
        let mut child = self
            .cmd
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("{:?}: {e}", self.cmd.get_program()));
        let mut pipe = child.stderr.take().unwrap();
        let seen = Arc::clone(&self.sb.stderr_seen);
        let reader = std::thread::spawn(move || {
            let mut bytes = Vec::new();
            let _ = pipe.read_to_end(&mut bytes);
            record_in(&seen, &bytes);
            bytes
        });
        Running {
            sb: self.sb,
            child,
            reader: Some(reader),
        }
    }
}

impl std::fmt::Debug for Run<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.cmd.fmt(f)
    }
}

/// How long the audit waits, when a sandbox ends, for the stderr of children nobody read to the
/// end to close (a killed caller's, one only `wait`ed for). Generous: they have all ended by
/// then, unless something they started holds their stderr.
const STDERR_LINGER: Duration = Duration::from_secs(10);

/// A child a [`Run`] started. A thread reads its stderr (so `stderr` on the child is `None`)
/// and records all of it when the pipe closes.
pub struct Running<'a> {
    sb: &'a Sandbox,
    child: Child,
    reader: Option<JoinHandle<Vec<u8>>>,
}

impl Running<'_> {
    /// Wait for it to end, as [`Child::wait`]: not for its stderr to close (the sandbox's
    /// audit waits for that), so a test timing what follows is not slowed by what lingers.
    pub fn wait(&mut self) -> ExitStatus {
        self.child.wait().unwrap()
    }

    /// As [`Child::wait_with_output`]: its stdout (if piped and not taken) and its stderr,
    /// both read to the end; the stderr is recorded.
    pub fn wait_with_output(mut self) -> Output {
        drop(self.child.stdin.take());
        let mut stdout = Vec::new();
        if let Some(mut pipe) = self.child.stdout.take() {
            pipe.read_to_end(&mut stdout).unwrap();
        }
        let status = self.child.wait().unwrap();
        let stderr = self.reader.take().unwrap().join().unwrap();
        Output {
            status,
            stdout,
            stderr,
        }
    }
}

impl Drop for Running<'_> {
    fn drop(&mut self) {
        if let Some(reader) = self.reader.take() {
            self.sb.readers.lock().unwrap().push(reader);
        }
    }
}

impl std::ops::Deref for Running<'_> {
    type Target = Child;
    fn deref(&self) -> &Child {
        &self.child
    }
}

impl std::ops::DerefMut for Running<'_> {
    fn deref_mut(&mut self) -> &mut Child {
        &mut self.child
    }
}

/// Write `input` to a child's piped stdin and close it. A program that ends before reading (a
/// helper refusing its arguments) is fine: its answer is what counts.
pub fn write_stdin(child: &mut Child, input: &[u8]) {
    let written = child.stdin.take().unwrap().write_all(input);
    if let Err(e) = written {
        assert_eq!(e.kind(), std::io::ErrorKind::BrokenPipe, "{e}");
    }
}

/// A FIFO at `path` (`mkfifo`).
pub fn mkfifo(path: &Path) {
    let made = Command::new("mkfifo").arg(path).status().unwrap();
    assert!(made.success(), "mkfifo {}", path.display());
}

/// How long a test waits for what happens at once unless the code is broken (a process that
/// should exit, a refresh that should land, a child that should die): generous for a loaded
/// 2-core machine, so that only a hang fails it. What it guards must otherwise take longer
/// (a mint held at the `gate`, a `sleep 1000`, a [`PATIENT_MINT`]'s timeout).
pub const PATIENCE: Duration = Duration::from_secs(60);

/// The `demo` target's policy for a test that holds a mint at the `gate`: a `mint_timeout`
/// far beyond [`PATIENCE`], so the held mint ends when the test lets it, never by the clock.
pub const PATIENT_MINT: &str = "[targets.demo.policy]\nmint_timeout = \"1h\"";

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

/// A directory holding a `pip` that says it is pip 24.0, for PATH: setup and doctor read the
/// version of the `pip` on PATH (pip before 23.1 ignores `keyring-provider`), and the machine's
/// own may be older (Debian 12's is 23.0). Outside HOME, as a system pip is.
pub fn current_pip() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let pip = dir.path().join("pip");
    fs::write(
        &pip,
        "#!/bin/sh\necho 'pip 24.0 from /usr/lib/python3/dist-packages/pip (python 3.11)'\n",
    )
    .unwrap();
    fs::set_permissions(&pip, fs::Permissions::from_mode(0o755)).unwrap();
    dir
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
    sb.program(&shims.join(name))
        .args(args)
        .output_with_stdin(stdin)
}

/// Drive `ecluse-cred --cargo-plugin` exactly as cargo does: read the hello, send requests one
/// JSON line each, read one JSON line back for each.
pub fn cargo_exchange(sb: &Sandbox, requests: &[&str]) -> Vec<serde_json::Value> {
    let lines: String = requests.iter().map(|r| format!("{r}\n")).collect();
    let out = sb
        .program(Path::new(env!("CARGO_BIN_EXE_ecluse-cred")))
        .arg("--cargo-plugin")
        .output_with_stdin(lines);
    stdout(&out)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{l}: {e}")))
        .collect()
}

/// What git's helper answers for `request`.
pub fn git_get(sb: &Sandbox, shims: &Path, args: &[&str], request: &str) -> String {
    let out = shim(sb, shims, "git-credential-ecluse", args, request);
    assert!(out.status.success(), "{request:?}: {}", stderr(&out));
    stdout(&out)
}
