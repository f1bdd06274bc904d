//! The cache's on-disk layout, known to the tests here and nowhere else: one JSON file per
//! target in the cache directory, `<target>.json` beside its lock `<target>.lock`, holding
//! `{"version": 1, "target", "settings_hash", "entry": {"token", "issued_at", "refresh_at",
//! "expires_at", "expiry_source", ...} or null, "breaker": {"open_until", "last_error", ...}}`,
//! times in ms since the epoch. Only std and serde_json: benches include it by path.

#![allow(dead_code)]

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use serde_json::Value;

/// The cache file of `target` in the cache directory `dir`. A plain name (letters, digits,
/// `-`, `_`, `.`) is its own file stem; the product hashes any other (see `cache::file_stem`).
pub fn file(dir: &Path, target: &str) -> PathBuf {
    dir.join(format!("{target}.json"))
}

/// Whether `path` (in a cache directory) is a cache file or the temporary file one is written
/// to (`.NAME.RANDOM.tmp`, renamed over it): the files ecluse-cred puts a token in.
pub fn holds_a_token(path: &Path) -> bool {
    path.file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| n.ends_with(".json") || n.ends_with(".tmp"))
}

/// The lock file of `target` in `dir`.
pub fn lock_file(dir: &Path, target: &str) -> PathBuf {
    dir.join(format!("{target}.lock"))
}

/// What a cached entry holds (the fields the tests read or change; others are kept as they are).
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub token: String,
    /// When the mint started (ms since the epoch), as are the other two.
    pub issued_at: i64,
    pub refresh_at: i64,
    pub expires_at: i64,
    /// Where the expiry came from (`expires_in`, `expiration`, `jwt`...).
    pub expiry_source: String,
}

/// The whole cache file at `path`, parsed.
pub fn read(path: &Path) -> Value {
    let bytes = fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_slice(&bytes).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Replace the cache file at `path` with `doc`, as ecluse-cred writes it.
pub fn write(path: &Path, doc: &Value) {
    write_bytes(path, &serde_json::to_vec(doc).unwrap());
}

/// Replace the cache file at `path` with `bytes` whole (through a rename) and private (0600),
/// as ecluse-cred writes it.
pub fn write_bytes(path: &Path, bytes: &[u8]) {
    let tmp = path.with_extension("tmp-test");
    fs::write(&tmp, bytes).unwrap();
    fs::set_permissions(&tmp, fs::Permissions::from_mode(0o600)).unwrap();
    fs::rename(&tmp, path).unwrap();
}

/// The entry in a parsed cache file, if it holds one.
pub fn entry_of(doc: &Value) -> Option<Entry> {
    let e = doc.get("entry").filter(|e| !e.is_null())?;
    let time = |field: &str| {
        e[field]
            .as_i64()
            .unwrap_or_else(|| panic!("entry.{field}: {e}"))
    };
    Some(Entry {
        token: e["token"].as_str().unwrap_or_default().to_owned(),
        issued_at: time("issued_at"),
        refresh_at: time("refresh_at"),
        expires_at: time("expires_at"),
        expiry_source: e["expiry_source"].as_str().unwrap_or_default().to_owned(),
    })
}

/// Write `entry`'s fields into the entry of a parsed cache file (its other fields stay).
pub fn set_entry_of(doc: &mut Value, entry: &Entry) {
    let e = &mut doc["entry"];
    e["token"] = entry.token.clone().into();
    e["issued_at"] = entry.issued_at.into();
    e["refresh_at"] = entry.refresh_at.into();
    e["expires_at"] = entry.expires_at.into();
    e["expiry_source"] = entry.expiry_source.clone().into();
}

/// The entry of the cache file at `path`; `None` when there is no file or it holds no entry.
pub fn entry(path: &Path) -> Option<Entry> {
    if !path.exists() {
        return None;
    }
    entry_of(&read(path))
}

/// Change the entry of the cache file at `path` in place (it must hold one).
pub fn edit_entry(path: &Path, change: impl FnOnce(&mut Entry)) {
    let mut doc = read(path);
    let mut e = entry_of(&doc).unwrap_or_else(|| panic!("{}: no entry", path.display()));
    change(&mut e);
    set_entry_of(&mut doc, &e);
    write(path, &doc);
}

/// Rewrite the entry's times relative to now (ms): its refresh point and expiry `refresh_in`
/// and `expires_in` from now (negative: past), issued an hour ago. Puts a token past its
/// refresh point or past its expiry without waiting.
pub fn shift(path: &Path, refresh_in: i64, expires_in: i64) {
    let now = now_ms();
    edit_entry(path, |e| {
        e.refresh_at = now + refresh_in;
        e.expires_at = now + expires_in;
        e.issued_at = now - 3_600_000;
    });
}

/// The token the cache file at `path` holds, if any: none for a missing or unparsable file,
/// one without an entry, or anything but a regular file.
pub fn token(path: &Path) -> Option<String> {
    // A test may put a FIFO there: reading it would wait for a writer forever.
    if !fs::symlink_metadata(path).ok()?.is_file() {
        return None;
    }
    let doc: Value = serde_json::from_slice(&fs::read(path).ok()?).ok()?;
    doc["entry"]["token"].as_str().map(str::to_owned)
}

/// The file format's version.
pub fn version(path: &Path) -> Option<u64> {
    read(path)["version"].as_u64()
}

/// The breaker's last error as stored, if it has one.
pub fn last_error(path: &Path) -> Option<Value> {
    Some(read(path)["breaker"]["last_error"].clone()).filter(|e| !e.is_null())
}

/// Set when the breaker's cooldown ends (ms since the epoch).
pub fn set_open_until(path: &Path, at: i64) {
    let mut doc = read(path);
    doc["breaker"]["open_until"] = at.into();
    write(path, &doc);
}

/// Now in ms since the epoch, the unit of every time in the cache.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}
