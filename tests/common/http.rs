//! A small HTTP/1.1 server on 127.0.0.1 for fake cloud token endpoints: one thread per
//! connection, one request per connection (`connection: close`), every request recorded with
//! the status it was answered. The handler decides each answer, including a delay (to play a
//! hanging endpoint).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

#[derive(Debug, Clone)]
pub struct Request {
    pub method: String,
    /// Path and query, as sent.
    pub target: String,
    /// Header names lowercased.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Request {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn path(&self) -> &str {
        self.target.split('?').next().unwrap_or("")
    }

    /// Decoded query (or, with `body`, form body) parameters.
    pub fn params(&self, from_body: bool) -> Vec<(String, String)> {
        let raw = if from_body {
            String::from_utf8_lossy(&self.body).into_owned()
        } else {
            self.target
                .split_once('?')
                .map(|(_, q)| q.to_owned())
                .unwrap_or_default()
        };
        url::form_urlencoded::parse(raw.as_bytes())
            .into_owned()
            .collect()
    }

    pub fn param(&self, name: &str, from_body: bool) -> Option<String> {
        self.params(from_body)
            .into_iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v)
    }
}

pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    pub delay: Duration,
}

impl Response {
    pub fn json(status: u16, body: serde_json::Value) -> Response {
        Response {
            status,
            headers: vec![("content-type".into(), "application/json".into())],
            body: body.to_string().into_bytes(),
            delay: Duration::ZERO,
        }
    }

    /// 200 with `body` as `content_type`.
    pub fn bytes(content_type: &str, body: Vec<u8>) -> Response {
        Response {
            status: 200,
            headers: vec![("content-type".into(), content_type.into())],
            body,
            delay: Duration::ZERO,
        }
    }

    pub fn with_header(mut self, name: &str, value: &str) -> Response {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// Answer only after `delay` (or never, within a test, for a long one).
    pub fn after(mut self, delay: Duration) -> Response {
        self.delay = delay;
        self
    }
}

type Handler = dyn Fn(&Request) -> Response + Send + Sync;

pub struct FakeServer {
    pub port: u16,
    requests: Arc<Mutex<Vec<Request>>>,
    /// Every answered request with the status it got, in the order answered.
    exchanges: Arc<Mutex<Vec<(Request, u16)>>>,
    /// Per answered request: from the request read to the response written.
    service: Arc<Mutex<Vec<Duration>>>,
    stop: Arc<AtomicBool>,
}

impl FakeServer {
    pub fn start(handler: impl Fn(&Request) -> Response + Send + Sync + 'static) -> FakeServer {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let requests = Arc::new(Mutex::new(Vec::new()));
        let exchanges = Arc::new(Mutex::new(Vec::new()));
        let service = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let handler: Arc<Handler> = Arc::new(handler);
        let record = Record {
            requests: requests.clone(),
            exchanges: exchanges.clone(),
            service: service.clone(),
        };
        let stopping = stop.clone();
        thread::spawn(move || {
            for conn in listener.incoming() {
                if stopping.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(conn) = conn else { continue };
                let (record, handler, stopping) =
                    (record.clone(), handler.clone(), stopping.clone());
                thread::spawn(move || serve(conn, &record, &*handler, &stopping));
            }
        });
        FakeServer {
            port,
            requests,
            exchanges,
            service,
            stop,
        }
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub fn requests(&self) -> Vec<Request> {
        self.requests.lock().unwrap().clone()
    }

    pub fn count(&self) -> usize {
        self.requests.lock().unwrap().len()
    }

    /// Every request answered so far, with the status it was answered.
    pub fn exchanges(&self) -> Vec<(Request, u16)> {
        self.exchanges.lock().unwrap().clone()
    }

    pub fn service_times(&self) -> Vec<Duration> {
        self.service.lock().unwrap().clone()
    }
}

impl Drop for FakeServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(("127.0.0.1", self.port));
    }
}

/// What a [`FakeServer`] records, shared with the threads serving its connections.
#[derive(Clone)]
struct Record {
    requests: Arc<Mutex<Vec<Request>>>,
    exchanges: Arc<Mutex<Vec<(Request, u16)>>>,
    service: Arc<Mutex<Vec<Duration>>>,
}

fn serve(conn: TcpStream, record: &Record, handler: &Handler, stop: &AtomicBool) {
    conn.set_read_timeout(Some(Duration::from_secs(10))).ok();
    let mut reader = BufReader::new(conn.try_clone().unwrap());
    let mut line = String::new();
    if reader.read_line(&mut line).unwrap_or(0) == 0 {
        return;
    }
    let mut parts = line.split_whitespace();
    let (method, target) = (
        parts.next().unwrap_or("").to_owned(),
        parts.next().unwrap_or("").to_owned(),
    );
    let mut headers = Vec::new();
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h).unwrap_or(0) == 0 || h.trim().is_empty() {
            break;
        }
        if let Some((k, v)) = h.split_once(':') {
            headers.push((k.trim().to_ascii_lowercase(), v.trim().to_owned()));
        }
    }
    let length = headers
        .iter()
        .find(|(k, _)| k == "content-length")
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    // A client that asks before it sends its body (Maven's wagon, on every PUT) would
    // otherwise wait out its own timeout for the go-ahead.
    let expects_continue = headers
        .iter()
        .any(|(k, v)| k == "expect" && v.eq_ignore_ascii_case("100-continue"));
    if expects_continue && (&conn).write_all(b"HTTP/1.1 100 Continue\r\n\r\n").is_err() {
        return;
    }
    let mut body = vec![0; length];
    if reader.read_exact(&mut body).is_err() {
        return;
    }
    let started = Instant::now();
    let request = Request {
        method,
        target,
        headers,
        body,
    };
    record.requests.lock().unwrap().push(request.clone());
    let response = handler(&request);
    let until = Instant::now() + response.delay;
    while Instant::now() < until {
        if stop.load(Ordering::SeqCst) {
            return;
        }
        thread::sleep(Duration::from_millis(20));
    }
    // Recorded before the answer goes out: a client that has its answer finds it recorded.
    record
        .exchanges
        .lock()
        .unwrap()
        .push((request, response.status));
    let mut out = format!(
        "HTTP/1.1 {} X\r\ncontent-length: {}\r\nconnection: close\r\n",
        response.status,
        response.body.len()
    );
    for (k, v) in &response.headers {
        out.push_str(&format!("{k}: {v}\r\n"));
    }
    out.push_str("\r\n");
    let mut conn = conn;
    let _ = conn.write_all(out.as_bytes());
    let _ = conn.write_all(&response.body);
    record.service.lock().unwrap().push(started.elapsed());
}

/// A server on 127.0.0.1 that answers every request with `status` and an endless body, written
/// in chunks until the client hangs up: with a `Content-Length` (a huge one it never reaches) or
/// without (ended only by closing). It counts what it managed to write, so a test can tell that
/// a client stopped reading.
pub struct FloodServer {
    pub port: u16,
    requests: Arc<std::sync::atomic::AtomicUsize>,
    written: Arc<std::sync::atomic::AtomicU64>,
}

/// What a [`FloodServer`] announces when it sends a `Content-Length`: 3 GiB.
pub const FLOOD_CONTENT_LENGTH: u64 = 3 << 30;
/// The most a [`FloodServer`] writes on one connection before it gives up: a client that reads
/// it all has read no cap.
pub const FLOOD_MAX_BYTES: u64 = 256 << 20;

impl FloodServer {
    pub fn start(status: u16, content_length: bool) -> FloodServer {
        use std::sync::atomic::{AtomicU64, AtomicUsize};
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let requests = Arc::new(AtomicUsize::new(0));
        let written = Arc::new(AtomicU64::new(0));
        let (reqs, total) = (requests.clone(), written.clone());
        thread::spawn(move || {
            for conn in listener.incoming() {
                let Ok(mut conn) = conn else { continue };
                let (reqs, total) = (reqs.clone(), total.clone());
                thread::spawn(move || {
                    // Read the request head (and whatever body came with it) before answering.
                    conn.set_read_timeout(Some(Duration::from_millis(500))).ok();
                    let mut head = Vec::new();
                    let mut buf = [0u8; 8192];
                    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                        match conn.read(&mut buf) {
                            Ok(0) | Err(_) => break,
                            Ok(n) => head.extend_from_slice(&buf[..n]),
                        }
                    }
                    if head.is_empty() {
                        return;
                    }
                    reqs.fetch_add(1, Ordering::SeqCst);
                    let length = if content_length {
                        format!("content-length: {FLOOD_CONTENT_LENGTH}\r\n")
                    } else {
                        String::new()
                    };
                    let head = format!(
                        "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\n{length}connection: close\r\n\r\n"
                    );
                    if conn.write_all(head.as_bytes()).is_err() {
                        return;
                    }
                    let chunk = vec![b'x'; 64 << 10];
                    let mut sent = 0u64;
                    while sent < FLOOD_MAX_BYTES && conn.write_all(&chunk).is_ok() {
                        sent += chunk.len() as u64;
                        total.fetch_add(chunk.len() as u64, Ordering::SeqCst);
                    }
                });
            }
        });
        FloodServer {
            port,
            requests,
            written,
        }
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub fn count(&self) -> usize {
        self.requests.load(Ordering::SeqCst)
    }

    /// Body bytes written over all connections.
    pub fn written(&self) -> u64 {
        self.written.load(Ordering::SeqCst)
    }
}
