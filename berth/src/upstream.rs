//! Upstream registries for the pull through cache: where each `upstreamRegistryUrl` a rule
//! may name is really reached (`--upstream HOST=URL`, `BERTH_UPSTREAMS`), and a minimal
//! registry client for them: a manifest GET with the OCI and Docker media types, a blob
//! GET streamed, Basic credentials from the URL's userinfo, and the Docker token flow
//! (`WWW-Authenticate: Bearer realm=…,service=…,scope=…`). Plain HTTP only: Berth carries
//! no TLS stack, so an upstream is whatever local registry the mapping points at.

use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::str::FromStr;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::Body;
use axum::http::header::{ACCEPT, AUTHORIZATION, LOCATION, WWW_AUTHENTICATE};
use axum::http::{HeaderValue, Request, Response, StatusCode, Uri};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hyper::body::Incoming;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;

use crate::config::InvalidSetting;

/// The media types a manifest GET accepts: OCI and Docker, images and indexes.
const MANIFEST_ACCEPT: &str = "application/vnd.oci.image.index.v1+json, \
     application/vnd.docker.distribution.manifest.list.v2+json, \
     application/vnd.oci.image.manifest.v1+json, \
     application/vnd.docker.distribution.manifest.v2+json";

/// [choice] How long Berth waits for an upstream to connect or to answer a request's head
/// (a body then streams as fast as the upstream sends it).
const UPSTREAM_TIMEOUT: Duration = Duration::from_secs(30);

/// [choice] How long an upstream blob may send nothing before its pull fails (a stalled
/// upstream must not hold the pull forever).
pub const UPSTREAM_IDLE_TIMEOUT: Duration = Duration::from_secs(60);

/// [choice] The largest token service answer read (a token is some kilobytes).
const MAX_TOKEN_ANSWER_BYTES: usize = 64 * 1024;

/// How many redirects a blob GET follows (registries redirect blobs to storage).
const MAX_REDIRECTS: usize = 3;

/// One `HOST=URL` mapping: the upstream a rule names by `HOST` (its `upstreamRegistryUrl`,
/// e.g. `quay.io`) is reached at `URL` (`http://[user:password@]host[:port]`).
#[derive(Clone, PartialEq, Eq)]
pub struct UpstreamMapping {
    pub registry_url: String,
    /// `http://host[:port]`, without credentials or path.
    base: String,
    credentials: Option<(String, String)>,
}

impl fmt::Debug for UpstreamMapping {
    // Never the password.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UpstreamMapping")
            .field("registry_url", &self.registry_url)
            .field("base", &self.base)
            .field("user", &self.credentials.as_ref().map(|(user, _)| user))
            .finish()
    }
}

impl FromStr for UpstreamMapping {
    type Err = InvalidSetting;

    fn from_str(text: &str) -> Result<UpstreamMapping, InvalidSetting> {
        let invalid = |why: &str| {
            // The URL may hold a password: only the host is repeated.
            let host = text.split('=').next().unwrap_or_default();
            InvalidSetting::new(format!(
                "upstream mapping for '{host}': {why}; write HOST=http://[USER:PASSWORD@]HOST[:PORT]"
            ))
        };
        let (registry_url, url) = text.split_once('=').ok_or_else(|| invalid("no '='"))?;
        if registry_url.is_empty() || registry_url.contains(['/', ' ']) {
            return Err(invalid(
                "the upstream registry URL must be a host, as a rule names it",
            ));
        }
        let rest = url
            .strip_prefix("http://")
            .ok_or_else(|| invalid("only http:// upstreams can be reached (Berth has no TLS)"))?;
        let authority = rest.strip_suffix('/').unwrap_or(rest);
        if authority.contains(['/', '?', '#']) {
            return Err(invalid("the URL must not have a path"));
        }
        let (credentials, host) = match authority.rsplit_once('@') {
            Some((userinfo, host)) => {
                let (user, password) = userinfo.split_once(':').unwrap_or((userinfo, ""));
                (Some((user.to_owned(), password.to_owned())), host)
            }
            None => (None, authority),
        };
        let base = format!("http://{host}");
        if host.is_empty() || base.parse::<Uri>().is_err() {
            return Err(invalid("the URL's host is not valid"));
        }
        Ok(UpstreamMapping {
            registry_url: registry_url.to_owned(),
            base,
            credentials,
        })
    }
}

/// Every mapping, and the client that reaches them.
#[derive(Clone)]
pub struct Upstreams {
    mappings: Vec<UpstreamMapping>,
    client: Client<HttpConnector, Body>,
    /// A lock per cache repository pulls through fetch into ([`Upstreams::one_pull_at_a_time`]).
    pulls: PullLocks,
}

/// The lock of each cache repository (by registry and name) a pull through holds or waits
/// for; an entry goes when its last holder is done.
type PullLocks = Arc<Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>>;

/// Held while a pull through fetches into one cache repository.
pub struct PullGuard {
    locks: PullLocks,
    key: String,
    // Released before `drop` looks at who else holds the lock.
    held: Option<tokio::sync::OwnedMutexGuard<()>>,
}

impl Drop for PullGuard {
    fn drop(&mut self) {
        self.held = None;
        let mut locks = self
            .locks
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        // Only the map still holds the lock: nobody holds or waits for it.
        if locks
            .get(&self.key)
            .is_some_and(|lock| Arc::strong_count(lock) == 1)
        {
            locks.remove(&self.key);
        }
    }
}

impl fmt::Debug for Upstreams {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(&self.mappings).finish()
    }
}

impl Upstreams {
    pub fn new(mappings: Vec<UpstreamMapping>) -> Upstreams {
        let mut connector = HttpConnector::new();
        connector.set_connect_timeout(Some(UPSTREAM_TIMEOUT));
        Upstreams {
            mappings,
            client: Client::builder(TokioExecutor::new()).build(connector),
            pulls: PullLocks::default(),
        }
    }

    /// Waits until no other pull through is fetching into cache repository `key`, and
    /// keeps it so until the guard drops. Pulls of one repository take turns: of two
    /// simultaneous first pulls, the second finds the image the first stored, and a failed
    /// first pull never removes the repository from under another.
    pub async fn one_pull_at_a_time(&self, key: String) -> PullGuard {
        let lock = {
            let mut locks = self
                .pulls
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            Arc::clone(locks.entry(key.clone()).or_default())
        };
        let held = lock.lock_owned().await;
        PullGuard {
            locks: Arc::clone(&self.pulls),
            key,
            held: Some(held),
        }
    }

    /// A session with repository `repository` of the upstream a rule names by
    /// `registry_url`; `None` when no mapping reaches it.
    pub fn session(&self, registry_url: &str, repository: &str) -> Option<UpstreamSession> {
        let mapping = self
            .mappings
            .iter()
            .rev()
            .find(|mapping| mapping.registry_url == registry_url)?;
        Some(UpstreamSession {
            client: self.client.clone(),
            mapping: mapping.clone(),
            repository: repository.to_owned(),
            authorization: None,
        })
    }
}

/// Why an upstream did not give what was asked, in words for the pull's error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpstreamError(pub String);

impl fmt::Display for UpstreamError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A manifest as the upstream served it.
#[derive(Debug, Clone)]
pub struct UpstreamManifest {
    pub bytes: Vec<u8>,
    pub media_type: Option<String>,
}

/// Requests about one upstream repository, keeping the credentials a challenge asked for.
pub struct UpstreamSession {
    client: Client<HttpConnector, Body>,
    mapping: UpstreamMapping,
    repository: String,
    authorization: Option<HeaderValue>,
}

impl UpstreamSession {
    /// The manifest `reference` (a tag or a digest) names, if at most `max_bytes`.
    pub async fn manifest(
        &mut self,
        reference: &str,
        max_bytes: usize,
    ) -> Result<UpstreamManifest, UpstreamError> {
        let path = format!("/v2/{}/manifests/{reference}", self.repository);
        let response = self.get(&path, Some(MANIFEST_ACCEPT)).await?;
        let media_type = crate::body::content_media_type(response.headers());
        let bytes = read_limited(response.into_body(), max_bytes).await?;
        Ok(UpstreamManifest { bytes, media_type })
    }

    /// Blob `digest`'s body, to stream (redirects followed).
    pub async fn blob(&mut self, digest: &str) -> Result<Body, UpstreamError> {
        let mut target = format!(
            "{}/v2/{}/blobs/{digest}",
            self.mapping.base, self.repository
        );
        for _ in 0..=MAX_REDIRECTS {
            let response = self.send(&target, None).await?;
            let redirect = response.status().is_redirection();
            if !redirect {
                return Ok(Body::new(checked(response, &target)?.into_body()));
            }
            let location = response
                .headers()
                .get(LOCATION)
                .and_then(|value| value.to_str().ok())
                .ok_or_else(|| UpstreamError(format!("{target} redirected nowhere")))?;
            target = if location.starts_with('/') {
                format!("{}{location}", self.mapping.base)
            } else {
                location.to_owned()
            };
        }
        Err(UpstreamError(format!(
            "too many redirects for blob {digest}"
        )))
    }

    /// A GET of `path` on the upstream, answered 2xx.
    async fn get(
        &mut self,
        path: &str,
        accept: Option<&str>,
    ) -> Result<Response<Incoming>, UpstreamError> {
        let url = format!("{}{path}", self.mapping.base);
        let response = self.send(&url, accept).await?;
        checked(response, &url)
    }

    /// A GET of `url`, answering one challenge (Basic or Bearer) with the mapping's
    /// credentials when the first try is 401.
    async fn send(
        &mut self,
        url: &str,
        accept: Option<&str>,
    ) -> Result<Response<Incoming>, UpstreamError> {
        let response = self.send_once(url, accept).await?;
        if response.status() != StatusCode::UNAUTHORIZED || self.authorization.is_some() {
            return Ok(response);
        }
        let challenge = response
            .headers()
            .get(WWW_AUTHENTICATE)
            .and_then(|value| value.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        self.authorization = Some(self.answer(&challenge).await?);
        self.send_once(url, accept).await
    }

    async fn send_once(
        &self,
        url: &str,
        accept: Option<&str>,
    ) -> Result<Response<Incoming>, UpstreamError> {
        // Credentials go only to the upstream's own address, not to a redirect elsewhere.
        let own = url.starts_with(&self.mapping.base);
        let mut request = Request::get(url);
        if let Some(accept) = accept {
            request = request.header(ACCEPT, accept);
        }
        if own && let Some(authorization) = &self.authorization {
            request = request.header(AUTHORIZATION, authorization.clone());
        }
        let request = request
            .body(Body::empty())
            .map_err(|error| UpstreamError(format!("cannot ask {url}: {error}")))?;
        tokio::time::timeout(UPSTREAM_TIMEOUT, self.client.request(request))
            .await
            .map_err(|_| UpstreamError(format!("{} did not answer in time", self.mapping.base)))?
            .map_err(|error| {
                UpstreamError(format!("{} is unreachable: {error}", self.mapping.base))
            })
    }

    fn basic(&self) -> Option<HeaderValue> {
        let (user, password) = self.mapping.credentials.as_ref()?;
        let encoded = STANDARD.encode(format!("{user}:{password}"));
        HeaderValue::from_str(&format!("Basic {encoded}")).ok()
    }

    /// The `Authorization` a challenge asks for: the mapping's Basic credentials, or a
    /// token from the realm the Bearer challenge names (asked with them, if any).
    async fn answer(&self, challenge: &str) -> Result<HeaderValue, UpstreamError> {
        let (scheme, parameters) = challenge.split_once(' ').unwrap_or((challenge, ""));
        if scheme.eq_ignore_ascii_case("basic") {
            return self.basic().ok_or_else(|| {
                UpstreamError(
                    "the upstream requires credentials and its mapping has none".to_owned(),
                )
            });
        }
        if !scheme.eq_ignore_ascii_case("bearer") {
            return Err(UpstreamError(format!(
                "the upstream asks for unsupported authentication '{scheme}'"
            )));
        }
        let parameters = challenge_parameters(parameters);
        let find = |name: &str| {
            parameters
                .iter()
                .find(|(key, _)| key.eq_ignore_ascii_case(name))
                .map(|(_, value)| value.as_str())
        };
        let realm = find("realm")
            .filter(|realm| realm.starts_with("http://"))
            .ok_or_else(|| {
                UpstreamError("the upstream's token realm is not an http:// URL".to_owned())
            })?;
        let mut query = Vec::new();
        if let Some(service) = find("service") {
            query.push(format!("service={}", query_escape(service)));
        }
        let scope = find("scope")
            .map(str::to_owned)
            .unwrap_or_else(|| format!("repository:{}:pull", self.repository));
        query.push(format!("scope={}", query_escape(&scope)));
        let separator = if realm.contains('?') { '&' } else { '?' };
        let url = format!("{realm}{separator}{}", query.join("&"));
        let mut request = Request::get(&url);
        if let Some(basic) = self.basic() {
            request = request.header(AUTHORIZATION, basic);
        }
        let request = request
            .body(Body::empty())
            .map_err(|error| UpstreamError(format!("cannot ask {url}: {error}")))?;
        let response = tokio::time::timeout(UPSTREAM_TIMEOUT, self.client.request(request))
            .await
            .map_err(|_| {
                UpstreamError("the upstream's token service did not answer in time".to_owned())
            })?
            .map_err(|error| {
                UpstreamError(format!(
                    "the upstream's token service is unreachable: {error}"
                ))
            })?;
        let response = checked(response, realm)?;
        let body = read_limited(response.into_body(), MAX_TOKEN_ANSWER_BYTES).await?;
        let answer: serde_json::Value = serde_json::from_slice(&body).map_err(|_| {
            UpstreamError("the upstream's token service answered no JSON".to_owned())
        })?;
        let token = answer
            .get("token")
            .or_else(|| answer.get("access_token"))
            .and_then(|token| token.as_str())
            .ok_or_else(|| {
                UpstreamError("the upstream's token service answered no token".to_owned())
            })?;
        HeaderValue::from_str(&format!("Bearer {token}"))
            .map_err(|_| UpstreamError("the upstream's token is not a header value".to_owned()))
    }
}

/// `response` when 2xx; otherwise why not.
fn checked(response: Response<Incoming>, url: &str) -> Result<Response<Incoming>, UpstreamError> {
    let status = response.status();
    if status.is_success() {
        return Ok(response);
    }
    let why = match status {
        StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => "the upstream refused the credentials",
        StatusCode::NOT_FOUND => "the upstream does not have it",
        _ => "the upstream failed",
    };
    Err(UpstreamError(format!("{why} ({url} answered {status})")))
}

/// A body of at most `max_bytes`.
async fn read_limited(body: Incoming, max_bytes: usize) -> Result<Vec<u8>, UpstreamError> {
    let limited = http_body_util::Limited::new(body, max_bytes);
    http_body_util::BodyExt::collect(limited)
        .await
        .map(|collected| collected.to_bytes().to_vec())
        .map_err(|error| UpstreamError(format!("the upstream's answer could not be read: {error}")))
}

/// `key="value"` pairs of a challenge, commas inside quotes kept.
fn challenge_parameters(text: &str) -> Vec<(String, String)> {
    let mut parameters = Vec::new();
    let mut rest = text.trim();
    while !rest.is_empty() {
        let Some((key, after)) = rest.split_once('=') else {
            break;
        };
        let key = key.trim().trim_start_matches(',').trim().to_owned();
        let after = after.trim_start();
        let (value, next) = if let Some(quoted) = after.strip_prefix('"') {
            let end = quoted.find('"').unwrap_or(quoted.len());
            (
                quoted[..end].to_owned(),
                quoted.get(end + 1..).unwrap_or_default(),
            )
        } else {
            let end = after.find(',').unwrap_or(after.len());
            (after[..end].trim().to_owned(), &after[end..])
        };
        parameters.push((key, value));
        rest = next.trim_start().trim_start_matches(',').trim_start();
    }
    parameters
}

/// Percent-escapes what a query value may not hold as is.
fn query_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~:/".contains(&byte) {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// A body's data, failing once it sends nothing for [`UPSTREAM_IDLE_TIMEOUT`].
pub struct IdleTimeout<S> {
    inner: S,
    idle: Pin<Box<tokio::time::Sleep>>,
}

impl<S> IdleTimeout<S> {
    pub fn new(inner: S) -> IdleTimeout<S> {
        IdleTimeout {
            inner,
            idle: Box::pin(tokio::time::sleep(UPSTREAM_IDLE_TIMEOUT)),
        }
    }
}

impl<S, E> futures_core::Stream for IdleTimeout<S>
where
    S: futures_core::Stream<Item = Result<axum::body::Bytes, E>> + Unpin,
    E: fmt::Display,
{
    type Item = Result<axum::body::Bytes, UpstreamError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        match Pin::new(&mut self.inner).poll_next(cx) {
            Poll::Ready(Some(item)) => {
                let deadline = tokio::time::Instant::now() + UPSTREAM_IDLE_TIMEOUT;
                self.idle.as_mut().reset(deadline);
                Poll::Ready(Some(item.map_err(|error| {
                    UpstreamError(format!("the upstream's blob broke off: {error}"))
                })))
            }
            Poll::Ready(None) => Poll::Ready(None),
            Poll::Pending => match self.idle.as_mut().poll(cx) {
                Poll::Ready(()) => Poll::Ready(Some(Err(UpstreamError(format!(
                    "the upstream's blob sent nothing for {} seconds",
                    UPSTREAM_IDLE_TIMEOUT.as_secs()
                ))))),
                Poll::Pending => Poll::Pending,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn pulls_of_one_repository_take_turns_and_others_do_not_wait() {
        let upstreams = Upstreams::new(Vec::new());
        let first = upstreams.one_pull_at_a_time("1/r/cache/a".into()).await;
        // Another repository is not held up.
        let other = upstreams.one_pull_at_a_time("1/r/cache/b".into()).await;
        drop(other);
        // The same one waits for the first to finish.
        let second = upstreams.one_pull_at_a_time("1/r/cache/a".into());
        tokio::pin!(second);
        let waited = tokio::time::timeout(Duration::from_millis(50), &mut second).await;
        assert!(waited.is_err(), "the second pull did not wait");
        drop(first);
        let second = second.await;
        assert_eq!(upstreams.pulls.lock().unwrap().len(), 1);
        drop(second);
        assert!(
            upstreams.pulls.lock().unwrap().is_empty(),
            "no lock outlives its pulls"
        );
    }

    #[test]
    fn mappings_parse_with_and_without_credentials() {
        let plain: UpstreamMapping = "quay.io=http://127.0.0.1:5000".parse().unwrap();
        assert_eq!(plain.registry_url, "quay.io");
        assert_eq!(plain.base, "http://127.0.0.1:5000");
        assert_eq!(plain.credentials, None);
        let with: UpstreamMapping = "ghcr.io=http://me:s3cret@127.0.0.1:5001/".parse().unwrap();
        assert_eq!(with.base, "http://127.0.0.1:5001");
        assert_eq!(
            with.credentials,
            Some(("me".to_owned(), "s3cret".to_owned()))
        );
        assert!(!format!("{with:?}").contains("s3cret"));
    }

    #[test]
    fn bad_mappings_are_refused_without_their_password() {
        for text in [
            "quay.io",
            "=http://127.0.0.1:5000",
            "quay.io=https://127.0.0.1:5000",
            "quay.io=http://127.0.0.1:5000/v2",
            "quay.io=http://",
            "quay.io/x=http://127.0.0.1",
            "ghcr.io=ftp://u:hidden@h",
        ] {
            let error = text.parse::<UpstreamMapping>().unwrap_err().to_string();
            assert!(!error.contains("hidden"), "{error}");
        }
    }

    /// A body that never sends, then one chunk.
    struct Stalled(Option<axum::body::Bytes>, bool);

    impl futures_core::Stream for Stalled {
        type Item = Result<axum::body::Bytes, std::convert::Infallible>;

        fn poll_next(mut self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Option<Self::Item>> {
            if self.1 {
                Poll::Ready(self.0.take().map(Ok))
            } else {
                Poll::Pending
            }
        }
    }

    async fn next<S: futures_core::Stream + Unpin>(stream: &mut S) -> Option<S::Item> {
        std::future::poll_fn(|cx| Pin::new(&mut *stream).poll_next(cx)).await
    }

    #[tokio::test(start_paused = true)]
    async fn a_stalled_blob_fails_after_the_idle_timeout() {
        let mut sending = IdleTimeout::new(Stalled(Some("data".into()), true));
        assert_eq!(next(&mut sending).await.unwrap().unwrap(), "data");
        assert!(next(&mut sending).await.is_none());
        let started = tokio::time::Instant::now();
        let mut stalled = IdleTimeout::new(Stalled(None, false));
        let error = next(&mut stalled).await.unwrap().unwrap_err();
        assert!(error.0.contains("sent nothing"), "{error}");
        assert!(started.elapsed() >= UPSTREAM_IDLE_TIMEOUT);
    }

    #[test]
    fn bearer_challenges_are_read() {
        let parameters = challenge_parameters(
            r#"realm="http://127.0.0.1:9/token",service="registry",scope="repository:a/b:pull,push""#,
        );
        assert_eq!(
            parameters,
            [
                ("realm".to_owned(), "http://127.0.0.1:9/token".to_owned()),
                ("service".to_owned(), "registry".to_owned()),
                ("scope".to_owned(), "repository:a/b:pull,push".to_owned()),
            ]
        );
        assert_eq!(
            query_escape("repository:a/b:pull,push"),
            "repository:a/b:pull%2Cpush"
        );
    }
}
