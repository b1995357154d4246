//! The ECR API route: `POST /` in awsJson1.1, handed whole to the generated pipeline.

use axum::body::Body;
use axum::extract::State;
use axum::http::header::{CONTENT_TYPE, HOST};
use axum::http::{HeaderMap, Method, Uri};
use axum::{Extension, response::Response};
use berth_runtime::RequestContext;
use berth_runtime::protocol::Request;

use crate::app::AppState;
use crate::reply::{self, RequestId};
use crate::{access, body};

/// The header naming the operation, `<target prefix>.<Operation>`.
pub const TARGET_HEADER: &str = "x-amz-target";

/// An API request's body within the API's size limit and timeout; else the answer to send.
pub async fn read_body(
    state: &AppState,
    headers: &HeaderMap,
    body: Body,
) -> Result<Vec<u8>, Response> {
    body::read_limited(
        headers,
        body,
        state.max_body_bytes,
        state.request_body_timeout,
    )
    .await
    .map_err(|failure| reply::to_http(failure.response()))
}

/// Serves one API request: caller from `Authorization` (verified, with
/// `--verify-sigv4`), operation from `X-Amz-Target`.
pub async fn handle(
    State(state): State<AppState>,
    Extension(RequestId(request_id)): Extension<RequestId>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let body = match read_body(&state, &headers, body).await {
        Ok(body) => body,
        Err(answer) => return answer,
    };
    if crate::sts::is_sts_request(&headers) {
        return crate::sts::handle(&state, &request_id, &method, &uri, &headers, &body);
    }
    let scope = match access::api_caller(&state, &method, &uri, &headers, &body) {
        Ok(scope) => scope,
        Err(error) => {
            tracing::info!(status = 400, error = %error, request_id, "request refused");
            return access::refusal(&error);
        }
    };
    let mut ctx = RequestContext {
        account_id: scope.account_id.into_inner(),
        region: scope.region.into_inner(),
        request_id,
        // Named by the router, once it has read the target.
        operation: "",
        endpoint: endpoint(&headers),
    };
    // Headers that are not UTF-8 are passed on lossily, so the pipeline reports them as
    // an unknown operation or a wrong content type rather than as missing.
    let target = header(&headers, TARGET_HEADER);
    let content_type = header(&headers, CONTENT_TYPE.as_str());
    let request = Request {
        target: target.as_deref(),
        content_type: content_type.as_deref(),
        body: &body,
    };
    let response = state.ecr.handle(&mut ctx, request).await;
    log(&ctx, target.as_deref(), response.status);
    reply::to_http(response)
}

/// Where the client reached Berth: Berth serves plain HTTP, at the `Host` the client used
/// (never the bind address, which may be `0.0.0.0`). Empty without a usable `Host`.
pub(crate) fn endpoint(headers: &HeaderMap) -> String {
    headers
        .get(HOST)
        .and_then(|host| host.to_str().ok())
        .filter(|host| !host.is_empty() && host.bytes().all(is_authority_byte))
        .map(|host| format!("http://{host}"))
        .unwrap_or_default()
}

/// Whether `byte` may appear in a `Host` Berth echoes into a URL: a name or address and a port.
fn is_authority_byte(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || matches!(byte, b'.' | b'-' | b'_' | b':' | b'[' | b']')
}

/// The first value of a header, as text.
fn header(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get(name)
        .map(|value| String::from_utf8_lossy(value.as_bytes()).into_owned())
}

fn log(ctx: &RequestContext, target: Option<&str>, status: u16) {
    let operation = target
        .and_then(|t| t.rsplit_once('.'))
        .map_or("-", |(_, operation)| operation);
    if status >= 500 {
        tracing::error!(operation, status, account = %ctx.account_id, region = %ctx.region, request_id = %ctx.request_id, "request failed");
    } else {
        // Debug, not info: a line per request cost a tenth of a small call's CPU (a
        // formatted line and a write to stderr), and errors are still logged above.
        tracing::debug!(operation, status, account = %ctx.account_id, region = %ctx.region, request_id = %ctx.request_id, "request");
    }
}
