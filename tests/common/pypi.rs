//! A loopback PyPI for the clients that publish as well as install (Poetry, twine, PDM,
//! Hatch): one repository at `/pypi/repo/` that takes only the token ([`registry::start`]),
//! with its PEP 503 index at `/pypi/repo/simple/` ([`registry::simple_index`]), its files at
//! `/pypi/repo/files/`, and the legacy upload API (pypi/warehouse `docs/user/api/upload.md`): a
//! `multipart/form-data` POST to the repository root with `:action=file_upload` stores the
//! `content` file, which the index lists from then on.

use std::sync::{Arc, Mutex};

use super::http::{FakeServer, Request, Response};
use super::registry::{self, Credential};

/// The repository (upload) root's path; the index is under it at `simple/`.
pub const REPO: &str = "/pypi/repo/";
const INDEX: &str = "/pypi/repo/simple/";
const FILES: &str = "/pypi/repo/files/";

/// One upload the fake accepted: the form's fields (in order, repeated ones repeated) and the
/// `content` file's name and bytes.
#[derive(Clone, Debug)]
pub struct Upload {
    pub fields: Vec<(String, String)>,
    pub filename: String,
    pub content: Vec<u8>,
    /// The `Authorization` the upload came with (the fake accepts only the token's).
    pub authorization: String,
}

impl Upload {
    /// The first value of form field `name`.
    pub fn field(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

pub struct Pypi {
    pub server: FakeServer,
    uploads: Arc<Mutex<Vec<Upload>>>,
}

impl Pypi {
    /// A repository answering only `credential` with what `token` returns at the moment, whose
    /// index starts with `wheels` (file name, bytes).
    pub fn start(
        credential: Credential,
        token: impl Fn() -> Option<String> + Send + Sync + 'static,
        wheels: Vec<(String, Vec<u8>)>,
    ) -> Pypi {
        let uploads: Arc<Mutex<Vec<Upload>>> = Arc::default();
        let stored = uploads.clone();
        let server = registry::start(credential, token, move |r: &Request, base: &str| {
            if r.method == "POST" && r.path() == REPO {
                return match parse_upload(r) {
                    Ok(upload) => {
                        stored.lock().unwrap().push(upload);
                        Response::bytes("text/plain", b"OK".to_vec())
                    }
                    Err(why) => Response {
                        status: 400,
                        ..Response::bytes("text/plain", why.into_bytes())
                    },
                };
            }
            // The index as it is now: the first files and every upload since.
            let mut files = wheels.clone();
            files.extend(
                stored
                    .lock()
                    .unwrap()
                    .iter()
                    .map(|u| (u.filename.clone(), u.content.clone())),
            );
            registry::simple_index(INDEX, FILES, files)(r, base)
        });
        Pypi { server, uploads }
    }

    /// The repository (upload) URL, `http://127.0.0.1:PORT/pypi/repo/`.
    pub fn repo_url(&self) -> String {
        format!("{}{REPO}", self.server.url())
    }

    /// Its PEP 503 index, the repository URL + `simple/`.
    pub fn index_url(&self) -> String {
        format!("{}{INDEX}", self.server.url())
    }

    /// Every upload accepted so far.
    pub fn uploads(&self) -> Vec<Upload> {
        self.uploads.lock().unwrap().clone()
    }
}

/// The upload a `multipart/form-data` body carries, or why it is not one.
fn parse_upload(r: &Request) -> Result<Upload, String> {
    let content_type = r.header("content-type").unwrap_or("");
    let (kind, params) = content_type.split_once(';').unwrap_or((content_type, ""));
    if !kind.trim().eq_ignore_ascii_case("multipart/form-data") {
        return Err(format!("not multipart/form-data: {content_type}"));
    }
    let boundary = params
        .split(';')
        .filter_map(|p| p.trim().split_once('='))
        .find(|(k, _)| k.trim().eq_ignore_ascii_case("boundary"))
        .map(|(_, v)| v.trim().trim_matches('"').to_owned())
        .ok_or("no boundary")?;
    let mut upload = Upload {
        fields: Vec::new(),
        filename: String::new(),
        content: Vec::new(),
        authorization: r.header("authorization").unwrap_or("").to_owned(),
    };
    // The body: `--B\r\n` part, then `\r\n--B\r\n` part ..., ended by `\r\n--B--`.
    let first = format!("--{boundary}\r\n");
    let body = r
        .body
        .strip_prefix(first.as_bytes())
        .ok_or("the body does not start with the boundary")?;
    let delimiter = format!("\r\n--{boundary}");
    let mut rest = body;
    let mut ended = false;
    while !rest.is_empty() {
        let end = find(rest, delimiter.as_bytes()).ok_or("a part without its delimiter")?;
        let part = &rest[..end];
        let head_end = find(part, b"\r\n\r\n").ok_or("a part without headers")?;
        let head = String::from_utf8_lossy(&part[..head_end]);
        let value = &part[head_end + 4..];
        let disposition = head
            .lines()
            .filter_map(|l| l.split_once(':'))
            .find(|(k, _)| k.trim().eq_ignore_ascii_case("content-disposition"))
            .map(|(_, v)| v.to_owned())
            .ok_or("a part without Content-Disposition")?;
        let param = |name: &str| {
            disposition
                .split(';')
                .filter_map(|p| p.trim().split_once('='))
                .find(|(k, _)| k.trim() == name)
                .map(|(_, v)| v.trim().trim_matches('"').to_owned())
        };
        let name = param("name").ok_or("a part without a name")?;
        if name == "content" {
            upload.filename = param("filename").ok_or("content without a filename")?;
            upload.content = value.to_vec();
        } else {
            let text = String::from_utf8(value.to_vec()).map_err(|e| e.to_string())?;
            upload.fields.push((name, text));
        }
        rest = &rest[end + delimiter.len()..];
        if rest.starts_with(b"--") {
            ended = true;
            break;
        }
        rest = rest
            .strip_prefix(b"\r\n")
            .ok_or("no CRLF after a delimiter")?;
    }
    if !ended {
        return Err("no closing delimiter".into());
    }
    if upload.field(":action") != Some("file_upload") {
        return Err("not :action=file_upload".into());
    }
    if upload.filename.is_empty() {
        return Err("no content file".into());
    }
    Ok(upload)
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}
