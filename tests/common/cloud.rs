//! The one fake of a cloud token endpoint, on [`FakeServer`]: it answers in the wire format of
//! the API it plays (CodeArtifact's and ECR's `GetAuthorizationToken`, an OAuth2 token endpoint, Google's
//! token endpoints, STS, metadata server and IAM Credentials), issues a distinct token per
//! answer, counts requests (through [`FakeServer`]), and is steered between runs: an error, a
//! delay, a stated expiry, a fixed token, or any answer the test builds.
//!
//! Every token it issues is added to the issued-token log of each sandbox it audits for
//! ([`Cloud::audit_in`]), so the leak audit looks for tokens that never reached a cache too (a
//! Google STS token sent on as a bearer, a token of a mint whose answer was refused).
//!
//! Shared by the tests and the benches (`#[path]`); it needs `http` as a sibling module.

#![allow(dead_code)]

use std::fs::OpenOptions;
use std::io::Write;
use std::ops::Deref;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::json;

use super::http::{FakeServer, Request, Response};

/// CodeArtifact's longest token life (12 h), what `GetAuthorizationToken` grants by default here.
pub const CODEARTIFACT_LIFETIME: Duration = Duration::from_secs(12 * 3600);
/// An ECR authorization token's life: 12 h.
pub const ECR_LIFETIME: Duration = Duration::from_secs(12 * 3600);
/// The account of the registry an ECR fake's `proxyEndpoint` names.
pub const ECR_ACCOUNT: &str = "111122223333";
/// The user an ECR `authorizationToken` (base64 of `AWS:PASSWORD`) is issued for.
pub const ECR_USER: &str = "AWS";
/// What Google's endpoints (and many OAuth2 servers) state in `expires_in`: an hour, less the
/// second the answer took.
pub const OAUTH2_LIFETIME: Duration = Duration::from_secs(3599);
/// A delay no test waits out: an endpoint that hangs. Far beyond any `mint_timeout` a test
/// configures, so a client that did not cut it is caught by the test's own bound.
pub const HANG: Duration = Duration::from_secs(300);
/// The path of IAM Credentials' `generateAccessToken` ends so.
const GENERATE_ACCESS_TOKEN: &str = ":generateAccessToken";
/// RFC 8693's grant: the STS answer to it names the type of the token it issued.
const TOKEN_EXCHANGE: &str = "urn:ietf:params:oauth:grant-type:token-exchange";

/// The API a fake plays: the shape of its token answers and of its errors.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Wire {
    /// CodeArtifact `GetAuthorizationToken`: `{"authorizationToken", "expiration"}` (epoch
    /// seconds); errors as `{"message"}` typed by `x-amzn-errortype`.
    CodeArtifact,
    /// ECR `GetAuthorizationToken` (awsJson1_1): `{"authorizationData": [{"authorizationToken",
    /// "expiresAt", "proxyEndpoint"}]}`, the token issued being the password of the
    /// `authorizationToken` (base64 of `AWS:PASSWORD`) and `expiresAt` epoch seconds; errors as
    /// `{"__type", "message"}` typed by `x-amzn-errortype` too.
    Ecr,
    /// An RFC 6749 token response (`access_token`, `token_type`, `expires_in`); errors as
    /// `{"error", "error_description"}`.
    OAuth2,
    /// Google: an RFC 6749 answer from the token endpoint, the metadata server and STS (which
    /// adds `issued_token_type` to a token exchange), and IAM Credentials' `generateAccessToken`
    /// answer `{"accessToken", "expireTime"}` (RFC 3339) on its path.
    Google,
}

impl Wire {
    /// An error answer of this API: `code` is the `x-amzn-errortype` or the RFC 6749 `error`.
    pub fn error(self, status: u16, code: &str, message: &str) -> Response {
        match self {
            Wire::CodeArtifact => Response::json(status, json!({ "message": message }))
                .with_header("x-amzn-errortype", code),
            Wire::Ecr => Response::json(status, json!({ "__type": code, "message": message }))
                .with_header("x-amzn-errortype", code),
            Wire::OAuth2 | Wire::Google => {
                Response::json(status, json!({"error": code, "error_description": message}))
            }
        }
    }

    /// The field that states a token's expiry in the answer to `r`.
    fn expiry_field(self, r: &Request) -> &'static str {
        match self {
            Wire::CodeArtifact => "expiration",
            Wire::Ecr => "expiresAt",
            Wire::Google if r.path().ends_with(GENERATE_ACCESS_TOKEN) => "expireTime",
            Wire::OAuth2 | Wire::Google => "expires_in",
        }
    }

    /// The success answer to `r` carrying `token`, issued at `now` (epoch seconds).
    fn answer(self, r: &Request, token: &str, expiry: &Expiry, now: u64) -> serde_json::Value {
        let lifetime = match expiry {
            Expiry::In(lifetime) => lifetime.as_secs(),
            _ => 0,
        };
        let expires = now + lifetime;
        let field = self.expiry_field(r);
        let (mut answer, stated) = match self {
            Wire::CodeArtifact => (json!({ "authorizationToken": token }), json!(expires)),
            Wire::Ecr => (
                json!({
                    "authorizationToken": ecr_authorization_token(token),
                    "proxyEndpoint": format!(
                        "https://{ECR_ACCOUNT}.dkr.ecr.{}.amazonaws.com",
                        signing_region(r).unwrap_or("us-east-1")
                    ),
                }),
                json!(expires),
            ),
            Wire::Google if field == "expireTime" => (
                json!({ "accessToken": token }),
                json!(
                    humantime::format_rfc3339_seconds(UNIX_EPOCH + Duration::from_secs(expires))
                        .to_string()
                ),
            ),
            Wire::OAuth2 | Wire::Google => {
                let mut answer = json!({"access_token": token, "token_type": "Bearer"});
                if r.param("grant_type", true).as_deref() == Some(TOKEN_EXCHANGE) {
                    answer["issued_token_type"] =
                        "urn:ietf:params:oauth:token-type:access_token".into();
                }
                (answer, json!(lifetime))
            }
        };
        match expiry {
            Expiry::In(_) => answer[field] = stated,
            Expiry::Stated(value) => answer[field] = value.clone(),
            Expiry::Omitted => {}
        }
        if self == Wire::Ecr {
            return json!({ "authorizationData": [answer] });
        }
        answer
    }

    /// The forms of an issued `token` the leak audit looks for: the token, and for ECR the
    /// `authorizationToken` that carries it (without its padding, so one written without it is found too).
    fn issued_forms(self, token: &str) -> Vec<String> {
        let mut forms = vec![token.to_owned()];
        if self == Wire::Ecr {
            forms.push(
                ecr_authorization_token(token)
                    .trim_end_matches('=')
                    .to_owned(),
            );
        }
        forms
    }
}

/// ECR's `authorizationToken` for the password `token`: base64 of `AWS:TOKEN`.
pub fn ecr_authorization_token(token: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(format!("{ECR_USER}:{token}"))
}

/// The region of a SigV4 request's credential scope (`Credential=KEY/DATE/REGION/SERVICE/...`).
fn signing_region(r: &Request) -> Option<&str> {
    let auth = r.header("authorization")?;
    let scope = auth.split("Credential=").nth(1)?;
    scope.split('/').nth(2)
}

/// What a token answer says about the token's expiry.
#[derive(Clone, Debug)]
pub enum Expiry {
    /// Valid this long from the answer, stated as the API states it.
    In(Duration),
    /// The expiry field holds exactly this (a wrong type, a past time, an offset).
    Stated(serde_json::Value),
    /// No expiry field.
    Omitted,
}

/// A test's own answer to a request, or `None` to leave it to the fake's steering.
type Route = dyn Fn(&Request) -> Option<Response> + Send + Sync;

/// How the fake answers the requests no route took, set by the test between runs.
struct Steer {
    /// An error (status, code, message) instead of a token.
    error: Option<(u16, String, String)>,
    /// Answers that replace all others while set (echoes, redirects, malformed bodies).
    answer: Option<Arc<Route>>,
    expiry: Expiry,
    /// The expiry of the answers on paths that start so, where it differs from `expiry`.
    expiry_on: Vec<(String, Expiry)>,
    /// Every token and error answer waits this long.
    delay: Duration,
    /// Every token answer carries this token rather than a new one.
    fixed: Option<String>,
}

impl Steer {
    /// How a fake of `wire` starts: new tokens, of the API's usual life, at once.
    fn new(wire: Wire) -> Steer {
        let lifetime = match wire {
            Wire::CodeArtifact => CODEARTIFACT_LIFETIME,
            Wire::Ecr => ECR_LIFETIME,
            Wire::OAuth2 | Wire::Google => OAUTH2_LIFETIME,
        };
        Steer {
            error: None,
            answer: None,
            expiry: Expiry::In(lifetime),
            expiry_on: Vec::new(),
            delay: Duration::ZERO,
            fixed: None,
        }
    }
}

/// Numbers the tokens of every fake in this process: no two are the same.
static SERIAL: AtomicU64 = AtomicU64::new(0);

struct State {
    wire: Wire,
    prefix: String,
    steer: Mutex<Steer>,
    /// Every token issued, with the expiry it was stated with (epoch seconds), if stated as
    /// [`Expiry::In`].
    issued: Mutex<Vec<(String, Option<u64>)>>,
    /// The issued-token logs of the sandboxes this fake audits for.
    logs: Mutex<Vec<PathBuf>>,
}

/// A fake cloud token endpoint; derefs to its [`FakeServer`] (`url`, `count`, `requests`).
pub struct Cloud {
    pub server: FakeServer,
    state: Arc<State>,
}

impl Deref for Cloud {
    type Target = FakeServer;
    fn deref(&self) -> &FakeServer {
        &self.server
    }
}

impl Cloud {
    /// A fake of `wire` answering every request with a new token `PREFIX...`.
    pub fn start(wire: Wire, prefix: &str) -> Cloud {
        Cloud::routed(wire, prefix, |_| None)
    }

    /// A fake of `wire` whose every answer carries `token` (a bench's registry accepts only it).
    pub fn with_token(wire: Wire, token: &str) -> Cloud {
        let fake = Cloud::start(wire, token);
        fake.fixed_token(token);
        fake
    }

    /// [`Cloud::start`], with `route` answering first: a request it answers (a failed check,
    /// another endpoint on the same server) is not the fake's to answer.
    pub fn routed(
        wire: Wire,
        prefix: &str,
        route: impl Fn(&Request) -> Option<Response> + Send + Sync + 'static,
    ) -> Cloud {
        let state = Arc::new(State {
            wire,
            prefix: prefix.to_owned(),
            steer: Mutex::new(Steer::new(wire)),
            issued: Mutex::default(),
            logs: Mutex::default(),
        });
        let shared = state.clone();
        let server = FakeServer::start(move |r: &Request| {
            let steered = shared.steer.lock().unwrap().answer.clone();
            if let Some(answer) = steered.and_then(|answer| answer(r)) {
                return answer;
            }
            if let Some(answer) = route(r) {
                return answer;
            }
            shared.answer(r)
        });
        Cloud { server, state }
    }

    /// Add every token this fake issued, and will issue, to the issued-token log at `log` (a
    /// sandbox's, see `Sandbox::issued_log`): the leak audit looks for each.
    pub fn audit_in(&self, log: PathBuf) {
        let wire = self.state.wire;
        let issued: Vec<String> = self
            .issued()
            .iter()
            .flat_map(|token| wire.issued_forms(token))
            .collect();
        append(&log, &issued);
        self.state.logs.lock().unwrap().push(log);
    }

    /// Back to how it started: new tokens, of the wire's usual life, at once.
    pub fn reset(&self) {
        *self.state.steer.lock().unwrap() = Steer::new(self.state.wire);
    }

    /// Answer with tokens again (the default).
    pub fn issue(&self) {
        let mut steer = self.state.steer.lock().unwrap();
        steer.error = None;
        steer.answer = None;
    }

    /// Answer with this API's error: HTTP `status`, error `code` (`x-amzn-errortype` or
    /// RFC 6749 `error`) and `message`.
    pub fn fail(&self, status: u16, code: &str, message: &str) {
        let mut steer = self.state.steer.lock().unwrap();
        steer.error = Some((status, code.to_owned(), message.to_owned()));
        steer.answer = None;
    }

    /// Answer what `answer` returns for a request (before any route); `None` leaves the
    /// request to the route and the fake.
    pub fn answer_with(
        &self,
        answer: impl Fn(&Request) -> Option<Response> + Send + Sync + 'static,
    ) {
        self.state.steer.lock().unwrap().answer = Some(Arc::new(answer));
    }

    /// Every token and error answer waits `delay` first ([`HANG`]: an endpoint that hangs).
    pub fn delay(&self, delay: Duration) {
        self.state.steer.lock().unwrap().delay = delay;
    }

    /// What token answers state about the expiry.
    pub fn expiry(&self, expiry: Expiry) {
        self.state.steer.lock().unwrap().expiry = expiry;
    }

    /// What token answers on paths starting with `path` state about the expiry (an
    /// impersonated token that lives otherwise than the token it was asked with).
    pub fn expiry_on(&self, path: &str, expiry: Expiry) {
        let mut steer = self.state.steer.lock().unwrap();
        steer.expiry_on.retain(|(p, _)| p != path);
        steer.expiry_on.push((path.to_owned(), expiry));
    }

    /// Every token answer carries `token` (a bench's registry accepts only that one; a JWT).
    pub fn fixed_token(&self, token: &str) {
        self.state.steer.lock().unwrap().fixed = Some(token.to_owned());
    }

    /// Every token this fake issued, in order.
    pub fn issued(&self) -> Vec<String> {
        let issued = self.state.issued.lock().unwrap();
        issued.iter().map(|(t, _)| t.clone()).collect()
    }

    /// The expiry (epoch seconds) the last token issued was stated with, if it was
    /// [`Expiry::In`].
    pub fn last_expiry(&self) -> Option<u64> {
        self.state
            .issued
            .lock()
            .unwrap()
            .last()
            .and_then(|(_, e)| *e)
    }
}

impl State {
    /// The steered answer to `r`: an error or a token, after the delay.
    fn answer(&self, r: &Request) -> Response {
        let steer = self.steer.lock().unwrap();
        let delay = steer.delay;
        if let Some((status, code, message)) = &steer.error {
            return self.wire.error(*status, code, message).after(delay);
        }
        let token = steer.fixed.clone().unwrap_or_else(|| {
            let serial = SERIAL.fetch_add(1, Ordering::SeqCst);
            format!("{}{}-{serial}", self.prefix, std::process::id())
        });
        let now = epoch_seconds();
        let expiry = steer
            .expiry_on
            .iter()
            .find(|(path, _)| r.path().starts_with(path.as_str()))
            .map_or(&steer.expiry, |(_, expiry)| expiry);
        let body = self.wire.answer(r, &token, expiry, now);
        let expires = match expiry {
            Expiry::In(lifetime) => Some(now + lifetime.as_secs()),
            _ => None,
        };
        drop(steer);
        self.issued.lock().unwrap().push((token.clone(), expires));
        let forms = self.wire.issued_forms(&token);
        for log in self.logs.lock().unwrap().iter() {
            append(log, &forms);
        }
        Response::json(200, body).after(delay)
    }
}

/// Add `tokens` to the log at `path`, one a line; a log whose sandbox is gone is skipped.
fn append(path: &Path, tokens: &[String]) {
    if let Ok(mut log) = OpenOptions::new().append(true).create(true).open(path) {
        for token in tokens {
            let _ = writeln!(log, "{token}");
        }
    }
}

fn epoch_seconds() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}
