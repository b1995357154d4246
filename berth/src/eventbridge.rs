//! Delivery of ECR's events to an EventBridge-compatible endpoint (`--eventbridge-endpoint`):
//! each event becomes one `PutEvents` entry (awsJson1.1, SigV4-signed for `events` in the
//! event's region) on the bus `--eventbridge-bus` names. The ECR call that caused an event
//! only puts it on a bounded queue ([`QUEUE`]); one background task sends, retrying a
//! failed send with backoff. A full queue drops the event. The counts show in
//! `/_berth/health`.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, Method, Request, Uri};
use ecr_impl::Ecr;
use ecr_impl::events::Event;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use serde::Serialize;
use serde_json::json;
use tokio::sync::mpsc;

use crate::sigv4;

/// [choice] How many events may wait for delivery; more are dropped (and counted).
pub const QUEUE: usize = 10_000;
/// [choice] How many times one event is sent before it counts as failed.
pub const ATTEMPTS: u32 = 5;
/// [choice] The wait after the first failed send; it doubles after each.
pub const FIRST_BACKOFF: Duration = Duration::from_millis(200);
/// [choice] How long one send may take before it counts as failed.
pub const SEND_TIMEOUT: Duration = Duration::from_secs(10);
/// The bus events go to without `--eventbridge-bus` (as EventBridge's own default).
pub const DEFAULT_BUS: &str = "default";
/// [choice] The keys delivery signs with when `AWS_ACCESS_KEY_ID`/`AWS_SECRET_ACCESS_KEY`
/// are not set: the ones local AWS emulators (moto, LocalStack) accept.
pub const TEST_ACCESS_KEY_ID: &str = "test";
pub const TEST_SECRET_ACCESS_KEY: &str = "test";

const TARGET: &str = "AWSEvents.PutEvents";
const CONTENT_TYPE: &str = "application/x-amz-json-1.1";
const SERVICE: &str = "events";

/// What delivery did so far.
#[derive(Debug, Default)]
pub struct Counters {
    delivered: AtomicU64,
    dropped: AtomicU64,
    failed: AtomicU64,
}

/// The counts as `/_berth/health` shows them.
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
pub struct Counts {
    pub delivered: u64,
    pub dropped: u64,
    pub failed: u64,
}

impl Counters {
    pub fn counts(&self) -> Counts {
        Counts {
            delivered: self.delivered.load(Ordering::Relaxed),
            dropped: self.dropped.load(Ordering::Relaxed),
            failed: self.failed.load(Ordering::Relaxed),
        }
    }
}

/// Where and how events are delivered.
#[derive(Debug, Clone)]
pub struct Target {
    /// `http://host[:port][/path]`.
    pub endpoint: Uri,
    pub bus: String,
    pub access_key_id: String,
    pub secret_access_key: String,
}

impl Target {
    /// `endpoint` (plain http only) and `bus`, signed with the keys the environment names
    /// (else [`TEST_ACCESS_KEY_ID`]'s).
    pub fn new(endpoint: &str, bus: &str) -> Result<Target, String> {
        let uri: Uri = endpoint
            .parse()
            .map_err(|e| format!("invalid --eventbridge-endpoint {endpoint:?}: {e}"))?;
        if uri.scheme_str() != Some("http") || uri.authority().is_none() {
            return Err(format!(
                "invalid --eventbridge-endpoint {endpoint:?}: an http://HOST[:PORT] URL is expected"
            ));
        }
        let env = |name: &str| std::env::var(name).ok().filter(|value| !value.is_empty());
        let (access_key_id, secret_access_key) =
            match (env("AWS_ACCESS_KEY_ID"), env("AWS_SECRET_ACCESS_KEY")) {
                (Some(id), Some(secret)) => (id, secret),
                _ => (
                    TEST_ACCESS_KEY_ID.to_owned(),
                    TEST_SECRET_ACCESS_KEY.to_owned(),
                ),
            };
        Ok(Target {
            endpoint: uri,
            bus: bus.to_owned(),
            access_key_id,
            secret_access_key,
        })
    }
}

/// Starts delivering every event `ecr` emits from now on to `target`: a tap puts each on
/// the queue, a background task of the current runtime sends them.
pub fn start(ecr: &Ecr, target: Target, counters: Arc<Counters>) {
    let (queue, mut queued) = mpsc::channel::<Arc<Event>>(QUEUE);
    let tap_counters = counters.clone();
    ecr.events().add_tap(Box::new(move |event| {
        if queue.try_send(Arc::clone(event)).is_err() {
            tap_counters.dropped.fetch_add(1, Ordering::Relaxed);
        }
    }));
    let client: Client<HttpConnector, Body> = Client::builder(TokioExecutor::new()).build_http();
    tokio::spawn(async move {
        while let Some(event) = queued.recv().await {
            let counter = if send_with_retries(&client, &target, &event).await {
                &counters.delivered
            } else {
                &counters.failed
            };
            counter.fetch_add(1, Ordering::Relaxed);
        }
    });
}

async fn send_with_retries(
    client: &Client<HttpConnector, Body>,
    target: &Target,
    event: &Event,
) -> bool {
    let body = put_events_body(event, &target.bus);
    let mut backoff = FIRST_BACKOFF;
    for attempt in 1..=ATTEMPTS {
        match send(client, target, event, &body).await {
            Ok(()) => return true,
            Err(why) => {
                tracing::debug!(attempt, event = event.id(), %why, "event delivery failed");
            }
        }
        if attempt < ATTEMPTS {
            tokio::time::sleep(backoff).await;
            backoff *= 2;
        }
    }
    tracing::warn!(event = event.id(), "event not delivered");
    false
}

/// The `PutEvents` request of `body` (about `event`), signed at `amz_date` for EventBridge
/// in the event's region.
fn signed_request(
    target: &Target,
    event: &Event,
    body: &[u8],
    amz_date: &str,
) -> Result<Request<Body>, String> {
    let authority = target
        .endpoint
        .authority()
        .map(|authority| authority.as_str())
        .unwrap_or_default();
    let path = match target.endpoint.path() {
        "" => "/",
        path => path,
    };
    let mut headers = HeaderMap::new();
    let header = |text: &str| HeaderValue::from_str(text).map_err(|e| e.to_string());
    headers.insert("content-type", HeaderValue::from_static(CONTENT_TYPE));
    headers.insert("host", header(authority)?);
    headers.insert("x-amz-date", header(amz_date)?);
    headers.insert("x-amz-target", HeaderValue::from_static(TARGET));
    let signed = sigv4::SignedRequest {
        method: "POST",
        path,
        query: None,
        headers: &headers,
        body,
    };
    let authorization = sigv4::sign(
        &target.access_key_id,
        &target.secret_access_key,
        event.region(),
        SERVICE,
        amz_date,
        &signed,
        &["content-type", "host", "x-amz-date", "x-amz-target"],
    );
    headers.insert("authorization", header(&authorization)?);
    let mut request = Request::builder()
        .method(Method::POST)
        .uri(target.endpoint.clone())
        .body(Body::from(body.to_vec()))
        .map_err(|e| e.to_string())?;
    *request.headers_mut() = headers;
    Ok(request)
}

/// The `PutEvents` request body of `event` for `bus`.
pub fn put_events_body(event: &Event, bus: &str) -> Vec<u8> {
    let entry = json!({
        "Source": event.source(),
        "DetailType": event.detail_type(),
        "Detail": event.detail().to_string(),
        "Resources": event.resources(),
        // awsJson1.1 sends timestamps as epoch seconds.
        "Time": event.epoch_seconds(),
        "EventBusName": bus,
    });
    json!({ "Entries": [entry] }).to_string().into_bytes()
}

/// One signed `PutEvents`; `Ok` when it answered 200 with no failed entry.
async fn send(
    client: &Client<HttpConnector, Body>,
    target: &Target,
    event: &Event,
    body: &[u8],
) -> Result<(), String> {
    let seconds = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|since| since.as_secs() as i64)
        .unwrap_or_default();
    let request = signed_request(target, event, body, &sigv4::amz_date_of(seconds))?;
    let response = tokio::time::timeout(SEND_TIMEOUT, client.request(request))
        .await
        .map_err(|_| "timed out".to_owned())?
        .map_err(|e| e.to_string())?;
    let status = response.status();
    let answer = axum::body::to_bytes(Body::new(response.into_body()), 1 << 20)
        .await
        .map_err(|e| e.to_string())?;
    if !status.is_success() {
        return Err(format!("{status}: {}", String::from_utf8_lossy(&answer)));
    }
    let failed = serde_json::from_slice::<serde_json::Value>(&answer)
        .ok()
        .and_then(|answer| answer.get("FailedEntryCount")?.as_u64())
        .unwrap_or(0);
    if failed > 0 {
        return Err(format!(
            "entry refused: {}",
            String::from_utf8_lossy(&answer)
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests;
