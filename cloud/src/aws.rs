//! What the AWS backends ([`crate::codeartifact`], [`crate::ecr`]) share: the credential chain
//! (default, or a named profile), resolved once per mint and handed to the service's client; the
//! SDK bounded explicitly (at most [`MAX_ATTEMPTS`] requests per mint for transient failures,
//! short backoff, the whole operation cut at `mint_timeout`), so one caller never becomes a
//! burst against a token API; and how a failure is told and classified.
//!
//! What a server answers is quoted only scrubbed of every credential the mint holds or may send
//! (keys, session tokens, the web identity token), since an endpoint that echoes its request
//! (`AWS_ENDPOINT_URL_*`, a proxy) would put them in messages, the cache and `status`. A
//! redirect is not followed, and no answer's body (the service's, or that of STS, SSO, ECS or
//! IMDS for the credentials) is read past [`crate::MAX_RESPONSE_BYTES`].

use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, SdkConfig};
use aws_credential_types::Credentials;
use aws_credential_types::provider::ProvideCredentials;
use aws_credential_types::provider::error::CredentialsError;
use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, SharedHttpClient, SharedHttpConnector,
    http_client_fn,
};
use aws_smithy_runtime_api::client::orchestrator::{HttpRequest, HttpResponse};
use aws_smithy_runtime_api::client::result::{ConnectorError, SdkError};
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponentsBuilder;
use aws_smithy_runtime_api::client::runtime_plugin::RuntimePlugin;
use aws_smithy_types::body::SdkBody;
use aws_smithy_types::error::display::DisplayErrorContext;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use aws_types::region::Region;

use crate::{MAX_RESPONSE_BYTES, is_error_code, quotable, read_credential_file, redirect_refused};
use ecluse_cred_contract::mint::{MintError, Minted};
use ecluse_cred_contract::redact::Scrubber;

/// Requests one mint may send to the token API (the first try and two retries).
pub const MAX_ATTEMPTS: u32 = 3;
/// Longest pause between those attempts: retries must fit in `mint_timeout`.
const MAX_BACKOFF: Duration = Duration::from_secs(2);
/// Connecting to the endpoint takes at most this long (or `mint_timeout`, if shorter).
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// Environment variables whose values are credentials a request of this mint may carry or be
/// signed with (the source credentials of a role chain go to STS, a session token raw).
const CREDENTIAL_ENV: [&str; 3] = [
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_CONTAINER_AUTHORIZATION_TOKEN",
];
/// Environment variables naming a file whose content is such a credential (the CI OIDC token
/// that web identity sends to STS).
const CREDENTIAL_FILE_ENV: [&str; 2] = [
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
];
/// Profile keys whose values are credentials.
const CREDENTIAL_PROFILE_KEYS: [&str; 2] = ["aws_secret_access_key", "aws_session_token"];
/// Profile key naming a file whose content is a credential (the web identity token).
const TOKEN_FILE_PROFILE_KEY: &str = "web_identity_token_file";
/// Where the SSO login caches its tokens, under the home directory: `aws sso login` writes the
/// portal bearer token, and the sso-session's refresh token and client secret there, and the
/// SSO provider sends them (to the portal, and to OIDC to refresh).
const SSO_CACHE_DIR: &str = ".aws/sso/cache";
/// Fields of an SSO cache entry that are credentials.
const SSO_CACHE_FIELDS: [&str; 3] = ["accessToken", "refreshToken", "clientSecret"];
/// Most SSO cache entries read: one per sso-session or start URL, and the client
/// registrations, in practice a handful.
const MAX_SSO_CACHE_FILES: usize = 256;
/// What the credential provider's endpoints (STS, SSO, ECS, IMDS) are called in messages.
const CREDENTIAL_ENDPOINT: &str = "the AWS credential provider's endpoint";

/// The AWS credential chain a mint uses: the default one, or a named profile, in a region.
pub struct Chain {
    pub region: Option<String>,
    pub profile: Option<String>,
    pub timeout: Duration,
    /// Call the service's FIPS endpoint.
    pub fips: bool,
    /// Call the service's dual-stack (IPv4 and IPv6) endpoint.
    pub dual_stack: bool,
    /// The variable that points the service's client at another endpoint
    /// (`AWS_ENDPOINT_URL_ECR`): an endpoint named so wins over `fips` and `dual_stack`, which
    /// the SDK refuses beside a custom endpoint.
    pub endpoint_env: &'static str,
}

impl Chain {
    /// Whether the environment names the endpoint (the service's own variable or
    /// `AWS_ENDPOINT_URL`), unless `AWS_IGNORE_CONFIGURED_ENDPOINT_URLS` says to ignore it.
    fn endpoint_named(&self) -> bool {
        let set = |name: &str| std::env::var_os(name).is_some_and(|v| !v.is_empty());
        let ignored = std::env::var("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS")
            .is_ok_and(|v| v.eq_ignore_ascii_case("true"));
        !ignored && (set(self.endpoint_env) || set("AWS_ENDPOINT_URL"))
    }
}

impl Chain {
    /// Which credentials were asked for, for error messages.
    pub fn describe(&self) -> String {
        match &self.profile {
            Some(p) => format!("AWS profile `{p}`"),
            None => "the default AWS credential chain (env, profile, web identity, ECS, IMDS)"
                .to_owned(),
        }
    }

    /// Every credential this mint may send or sign with before it resolves its own: from the
    /// environment, the token files it names, every profile of the AWS config files and the SSO
    /// token cache. (The resolved ones are added by [`Self::request`]; unknown ones, such as an
    /// intermediate role's session token, are caught by [`quotable`]'s rule for long encoded
    /// runs.)
    ///
    /// A token file the SDK would read that is not a small regular file (a FIFO, a device) is a
    /// configuration error, said before the SDK reads it: the SDK reads it synchronously, where
    /// `mint_timeout` cannot cut a read that blocks or never ends.
    pub async fn known_credentials(&self) -> Result<Scrubber, MintError> {
        let read = |path: &std::path::Path, named_by: &str| match read_credential_file(path) {
            Ok(text) => Ok(Some(text.trim().to_owned())),
            // Missing: the SDK says so in its own words, when it needs the file.
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(MintError::misconfigured(format!(
                "{named_by} ({}): {e}",
                path.display()
            ))),
        };
        let mut values: Vec<String> = CREDENTIAL_ENV
            .iter()
            .filter_map(|name| std::env::var(name).ok())
            .collect();
        for name in CREDENTIAL_FILE_ENV {
            if let Some(path) = std::env::var_os(name) {
                values.extend(read(std::path::Path::new(&path), name)?);
            }
        }
        if let Ok(profiles) = aws_config::profile::load(
            &aws_types::os_shim_internal::Fs::real(),
            &aws_types::os_shim_internal::Env::real(),
            &aws_runtime::env_config::file::EnvConfigFiles::default(),
            self.profile.clone().map(std::borrow::Cow::Owned),
        )
        .await
        {
            for name in profiles.profiles() {
                let Some(profile) = profiles.get_profile(name) else {
                    continue;
                };
                values.extend(
                    CREDENTIAL_PROFILE_KEYS
                        .iter()
                        .filter_map(|key| profile.get(key).map(str::to_owned)),
                );
                if let Some(path) = profile.get(TOKEN_FILE_PROFILE_KEY) {
                    let named_by = format!("{TOKEN_FILE_PROFILE_KEY} of AWS profile `{name}`");
                    values.extend(read(std::path::Path::new(path), &named_by)?);
                }
            }
        }
        values.extend(sso_cache_credentials());
        Ok(values
            .iter()
            .fold(Scrubber::new(), |scrubber, value| scrubber.secret(value)))
    }

    /// The SDK configuration with the resolved credentials, and who they are (for messages).
    /// The credentials' secrets join `scrubber`.
    pub async fn resolve(&self, scrubber: &mut Scrubber) -> Result<(SdkConfig, String), MintError> {
        let mut loader = aws_config::defaults(BehaviorVersion::latest())
            .retry_config(
                RetryConfig::standard()
                    .with_max_attempts(MAX_ATTEMPTS)
                    .with_max_backoff(MAX_BACKOFF),
            )
            .timeout_config(
                TimeoutConfig::builder()
                    .operation_timeout(self.timeout)
                    .connect_timeout(CONNECT_TIMEOUT.min(self.timeout))
                    .build(),
            );
        // Every request of the mint (the service's, and STS, SSO, ECS or IMDS for the
        // credentials) goes through the capped client, which refuses redirects and notes the
        // status of each answer.
        let last_status = std::sync::Arc::new(std::sync::Mutex::new(None));
        if let Some(client) = capped_http_client(last_status.clone()) {
            loader = loader.http_client(client);
        }
        if let Some(profile) = &self.profile {
            loader = loader.profile_name(profile);
        }
        if let Some(region) = &self.region {
            loader = loader.region(Region::new(region.clone()));
        }
        if !self.endpoint_named() {
            if self.fips {
                loader = loader.use_fips(true);
            }
            if self.dual_stack {
                loader = loader.use_dual_stack(true);
            }
        }
        let sdk = loader.load().await;
        if sdk.region().is_none() {
            return Err(MintError::misconfigured(
                "no AWS region: set `region` in the target, AWS_REGION, or a region in the AWS profile",
            ));
        }
        let provider = sdk.credentials_provider().ok_or_else(|| {
            MintError::rejected(format!(
                "no AWS credentials provider for {}",
                self.describe()
            ))
        })?;
        let credentials: Credentials = provider.provide_credentials().await.map_err(|e| {
            let last_status = *last_status.lock().unwrap_or_else(|p| p.into_inner());
            self.credentials_failure(&e, last_status, scrubber)
        })?;
        *scrubber = std::mem::take(scrubber).secret(credentials.secret_access_key());
        if let Some(session) = credentials.session_token() {
            *scrubber = std::mem::take(scrubber).secret(session);
        }
        let identity = format!(
            "access key {} from {}",
            credentials.access_key_id(),
            self.describe()
        );
        let sdk = sdk
            .into_builder()
            .credentials_provider(
                aws_credential_types::provider::SharedCredentialsProvider::new(credentials),
            )
            .build();
        Ok((sdk, identity))
    }

    /// Map a credential provider's failure: no credentials anywhere in the chain, or an identity
    /// the provider's endpoint refused (a 4xx), is rejected (77); a configuration the provider
    /// cannot use (a non-loopback `http` container endpoint, a profile loop) or a redirect is
    /// misconfigured (78); a timeout, an unreachable or failing endpoint (5xx, throttling, DNS,
    /// a connection refused) is transient (75), so the cached token is served and retried later.
    fn credentials_failure(
        &self,
        e: &CredentialsError,
        last_status: Option<u16>,
        scrubber: &Scrubber,
    ) -> MintError {
        if caused_by_a_large_body(e) {
            return crate::response_too_large("the AWS credential provider");
        }
        if let Some(r) = redirected(e) {
            return redirect_refused(
                CREDENTIAL_ENDPOINT,
                r.status,
                r.location.as_deref(),
                Some(&r.asked),
            );
        }
        let message = format!(
            "no usable AWS credentials from {}: {}",
            self.describe(),
            quotable(&DisplayErrorContext(e).to_string(), scrubber)
        );
        match e {
            CredentialsError::CredentialsNotLoaded(_) => MintError::rejected(message),
            CredentialsError::InvalidConfiguration(_) => MintError::misconfigured(message),
            CredentialsError::ProviderTimedOut(_) => MintError::transient(message),
            // ProviderError, Unhandled and any later kind: what the endpoint answered, if it did.
            _ => match last_status {
                Some(408 | 429) | Some(500..) | None => MintError::transient(message),
                Some(400..=499) => MintError::rejected(message),
                Some(_) => MintError::transient(message),
            },
        }
    }
}

/// One mint of an AWS backend: `request` on a runtime of its own, cut at the chain's
/// `timeout`, given every credential known before it resolves its own; whatever it fails
/// with is scrubbed of all of them.
pub fn mint(
    chain: &Chain,
    request: impl AsyncFnOnce(&mut Scrubber) -> Result<Minted, MintError>,
) -> Result<Minted, MintError> {
    crate::block_on_with_timeout(chain.timeout, async {
        let mut scrubber = chain.known_credentials().await?;
        request(&mut scrubber).await.map_err(|e| MintError {
            message: scrubber.scrub(&e.message),
            ..e
        })
    })
}

/// How a service's own error (one its model names) is to be taken.
pub enum Verdict {
    /// The identity was refused (77).
    Rejected,
    /// The target's settings are wrong (78); the text says which to check.
    Misconfigured(String),
    /// The service is failing (throttled, an internal error): try again later (69, which
    /// callers see as 75).
    Unavailable,
}

/// Map an SDK error of `service` to rejected (77), misconfigured (78) or transient (75):
/// `known` takes the service's modeled errors, the rest by status and code. `expected` names
/// what a success holds, for an answer the SDK could not read.
///
/// What the server said is quoted only as [`quotable`] leaves it (scrubbed, no echo), and its
/// error code only when it looks like one.
pub fn classify<E>(
    e: SdkError<E, HttpResponse>,
    service: &str,
    expected: &str,
    identity: &str,
    scrubber: &Scrubber,
    known: impl Fn(&E) -> Option<Verdict>,
) -> MintError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    if caused_by_a_large_body(&e) {
        return crate::response_too_large(service);
    }
    if let Some(r) = redirected(&e) {
        return redirect_refused(service, r.status, r.location.as_deref(), Some(&r.asked));
    }
    let SdkError::ServiceError(ctx) = &e else {
        // Timeouts, connection failures, unparseable responses.
        return MintError::transient(format!(
            "{service}: {}",
            quotable(&DisplayErrorContext(&e).to_string(), scrubber)
        ));
    };
    let err = ctx.err();
    let status = ctx.raw().status().as_u16();
    if (300..400).contains(&status) {
        // Refused by the connector already; kept should the SDK ever see one.
        return redirect_refused(service, status, ctx.raw().headers().get("location"), None);
    }
    if (200..300).contains(&status) {
        // The SDK could not read a success response: the service (or something in between)
        // answered garbage. Temporary; the body is not quoted, it may hold a token.
        return MintError::transient(format!(
            "{service} answered HTTP {status} with a malformed body ({} bytes): not the JSON object with {expected} that GetAuthorizationToken returns{}",
            ctx.raw().body().bytes().map_or(0, <[u8]>::len),
            parse_failure(&e).map_or(String::new(), |why| format!(" ({why})"))
        ));
    }
    let code = err
        .code()
        .map(|c| {
            if is_error_code(c) {
                c
            } else {
                "(error code not quoted)"
            }
        })
        .unwrap_or("UnknownError");
    let detail = format!(
        "HTTP {status} {code}: {}",
        err.message()
            .map_or_else(|| "(no message)".to_owned(), |m| quotable(m, scrubber))
    );
    match known(err) {
        Some(Verdict::Rejected) => {
            MintError::rejected(format!("{service} refused {identity}: {detail}"))
        }
        Some(Verdict::Misconfigured(check)) => {
            MintError::misconfigured(format!("{service}: {detail}{check}"))
        }
        Some(Verdict::Unavailable) => MintError::unavailable(format!("{service}: {detail}")),
        None if status == 401 || status == 403 || is_credential_code(code) => {
            MintError::rejected(format!("{service} refused {identity}: {detail}"))
        }
        None if status == 429 || status >= 500 || is_throttling_code(code) => {
            MintError::unavailable(format!("{service}: {detail}"))
        }
        None => MintError::misconfigured(format!("{service}: {detail}")),
    }
}

/// AWS error codes that mean "too many requests": the token API's quota.
fn is_throttling_code(code: &str) -> bool {
    ["Throttling", "TooManyRequests", "RequestLimitExceeded"]
        .iter()
        .any(|c| code.starts_with(c))
}

/// What the SDK's deserializer said about a response it could not read, where that can be
/// told without quoting the response (its innermost error, without any quoted text).
fn parse_failure(e: &dyn std::error::Error) -> Option<String> {
    let mut innermost = e.source()?;
    while let Some(next) = innermost.source() {
        innermost = next;
    }
    let text = innermost.to_string();
    (!text.contains(['"', '`', '\'']) && text.len() <= 200).then_some(text)
}

/// The AWS SDK's default HTTP client, with the body of every answer capped at
/// [`MAX_RESPONSE_BYTES`] before the SDK reads it (a `Content-Length` past the cap fails at once,
/// and a longer body, streamed or chunked, as soon as it passes the cap), every redirect refused
/// unread ([`Redirected`]: a request re-sent elsewhere would carry its credentials), and the
/// status of the last answer noted in `last_status`. `None` if this build of the SDK has no
/// default client (then the SDK says so).
fn capped_http_client(
    last_status: std::sync::Arc<std::sync::Mutex<Option<u16>>>,
) -> Option<SharedHttpClient> {
    let plugin = aws_smithy_runtime::client::defaults::default_http_client_plugin_v2(
        BehaviorVersion::latest(),
    )?;
    let inner = plugin
        .runtime_components(&RuntimeComponentsBuilder::new("ecluse-cred"))
        .http_client()?;
    Some(http_client_fn(move |settings, components| {
        SharedHttpConnector::new(CappedConnector {
            inner: inner.http_connector(settings, components),
            last_status: last_status.clone(),
        })
    }))
}

/// A connector whose answers' bodies are capped (see [`capped_http_client`]).
#[derive(Debug)]
struct CappedConnector {
    inner: SharedHttpConnector,
    last_status: std::sync::Arc<std::sync::Mutex<Option<u16>>>,
}

impl HttpConnector for CappedConnector {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        let asked = request.uri().to_owned();
        let answer = self.inner.call(request);
        let last_status = self.last_status.clone();
        HttpConnectorFuture::new(async move {
            let mut response: HttpResponse = answer.await?;
            let status = response.status().as_u16();
            *last_status.lock().unwrap_or_else(|p| p.into_inner()) = Some(status);
            if (300..400).contains(&status) {
                let location = response.headers().get("location").map(str::to_owned);
                return Err(ConnectorError::other(
                    Box::new(Redirected {
                        status,
                        location,
                        asked,
                    }),
                    None,
                ));
            }
            if response
                .headers()
                .get("content-length")
                .and_then(|n| n.trim().parse::<u64>().ok())
                .is_some_and(|n| n > MAX_RESPONSE_BYTES as u64)
            {
                return Err(ConnectorError::other(Box::new(BodyTooLarge), None));
            }
            let body = std::mem::replace(response.body_mut(), SdkBody::taken());
            *response.body_mut() =
                SdkBody::from_body_1_x(http_body_util::Limited::new(body, MAX_RESPONSE_BYTES));
            Ok(response)
        })
    }
}

/// An answer with a 3xx status, not followed. It keeps the `Location` and the URL asked for
/// [`redirect_refused`], which shows only where it points; neither its `Display` nor its `Debug`
/// shows them (the SDK may format the error chain).
struct Redirected {
    status: u16,
    location: Option<String>,
    asked: String,
}

impl std::fmt::Debug for Redirected {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Redirected({})", self.status)
    }
}

impl std::fmt::Display for Redirected {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "HTTP {}, a redirect (not followed)", self.status)
    }
}

impl std::error::Error for Redirected {}

/// The refused redirect that `e` is (or was caused by), if any.
fn redirected<'a>(e: &'a (dyn std::error::Error + 'static)) -> Option<&'a Redirected> {
    let mut next = Some(e);
    while let Some(cause) = next {
        if let Some(r) = cause.downcast_ref::<Redirected>() {
            return Some(r);
        }
        next = cause.source();
    }
    None
}

/// The credentials in the SSO token cache (`~/.aws/sso/cache/*.json`), read as
/// [`read_credential_file`] reads (no FIFO, no device, bounded); what cannot be read is skipped,
/// as the SSO provider reports its own failures.
fn sso_cache_credentials() -> Vec<String> {
    let Some(home) = std::env::var_os("HOME") else {
        return Vec::new();
    };
    let Ok(entries) = std::fs::read_dir(std::path::Path::new(&home).join(SSO_CACHE_DIR)) else {
        return Vec::new();
    };
    entries
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| path.extension().is_some_and(|e| e == "json"))
        .take(MAX_SSO_CACHE_FILES)
        .filter_map(|path| read_credential_file(&path).ok())
        .filter_map(|text| serde_json::from_str::<serde_json::Value>(&text).ok())
        .flat_map(|entry| {
            SSO_CACHE_FIELDS
                .iter()
                .filter_map(|field| entry.get(field)?.as_str().map(str::to_owned))
                .collect::<Vec<_>>()
        })
        .collect()
}

/// A `Content-Length` past [`MAX_RESPONSE_BYTES`].
#[derive(Debug)]
struct BodyTooLarge;

impl std::fmt::Display for BodyTooLarge {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "a body of more than {MAX_RESPONSE_BYTES} bytes")
    }
}

impl std::error::Error for BodyTooLarge {}

/// Whether `e` is (or was caused by) an answer past [`MAX_RESPONSE_BYTES`].
fn caused_by_a_large_body(e: &(dyn std::error::Error + 'static)) -> bool {
    let mut next = Some(e);
    while let Some(cause) = next {
        if cause.is::<BodyTooLarge>() || cause.is::<http_body_util::LengthLimitError>() {
            return true;
        }
        next = cause.source();
    }
    false
}

/// AWS error codes that mean the signature or the credentials were not accepted.
fn is_credential_code(code: &str) -> bool {
    [
        "UnrecognizedClient",
        "InvalidSignature",
        "ExpiredToken",
        "InvalidClientTokenId",
        "SignatureDoesNotMatch",
        "AccessDenied",
    ]
    .iter()
    .any(|c| code.starts_with(c))
}
