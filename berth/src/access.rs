//! Who may reach what when Berth verifies signatures (`--verify-sigv4`): API requests must
//! be signed by a configured key (the key's account is the caller); admin endpoints are
//! open to loopback peers and to signed requests only. Without verification, everything
//! is open and the caller comes from the unverified credential (`caller`).

use std::net::SocketAddr;
use std::time::SystemTime;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method, Uri};
use axum::middleware::Next;
use axum::response::Response;
use berth_runtime::protocol;
use ecr_generated::operations::SERVICE;
use ecr_impl::store::Scope;

use crate::app::AppState;
use crate::caller;
use crate::sigv4::{self, AuthError, SignedRequest};
use crate::{admin, body, reply, serve};

/// The caller of an API request: verified from its signature when Berth verifies them,
/// else read from its unverified credential (or the defaults).
pub fn api_caller(
    state: &AppState,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Scope, AuthError> {
    caller_of_service(state, method, uri, headers, body, sigv4::SERVICE)
}

/// [`api_caller`] for a request to `service` (signed for it, when Berth verifies).
pub fn caller_of_service(
    state: &AppState,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: &[u8],
    service: &str,
) -> Result<Scope, AuthError> {
    let Some(credentials) = &state.verifier else {
        let authorization = headers
            .get(axum::http::header::AUTHORIZATION)
            .map(|value| String::from_utf8_lossy(value.as_bytes()).into_owned());
        return Ok(caller::identify(
            authorization.as_deref(),
            &state.account_id,
            &state.region,
        ));
    };
    sigv4::verify_for_service(
        credentials,
        &signed(method, uri, headers, body),
        SystemTime::now(),
        service,
    )
}

/// An auth refusal as an AWS-shaped response.
pub fn refusal(error: &AuthError) -> Response {
    reply::to_http(protocol::Response::error(&SERVICE, error))
}

/// Middleware: when Berth verifies signatures, admin endpoints answer only loopback peers
/// and signed requests (an exposed Berth must not let anyone reset it or list its state).
pub async fn guard_admin(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let Some(credentials) = &state.verifier else {
        return next.run(request).await;
    };
    let path = request.uri().path();
    // A layer download URL carries its own signed token instead (GetDownloadUrlForLayer).
    let unsigned = path.starts_with(ecr_impl::layers::LAYER_DOWNLOAD_PATH);
    if !path.starts_with(admin::PREFIX) || unsigned || is_loopback(serve::peer(&request)) {
        return next.run(request).await;
    }
    let (parts, request_body) = request.into_parts();
    let bytes = match body::read_limited(
        &parts.headers,
        request_body,
        state.max_body_bytes,
        state.request_body_timeout,
    )
    .await
    {
        Ok(bytes) => bytes,
        Err(error) => return reply::to_http(error.response()),
    };
    let signed = signed(&parts.method, &parts.uri, &parts.headers, &bytes);
    if let Err(error) = sigv4::verify(credentials, &signed, SystemTime::now()) {
        tracing::warn!(path = parts.uri.path(), error = %error, "admin request refused");
        return refusal(&error);
    }
    next.run(Request::from_parts(parts, Body::from(bytes)))
        .await
}

/// Whether the peer is this machine (IPv4-mapped IPv6 loopback included). An unknown peer
/// is not.
fn is_loopback(peer: Option<SocketAddr>) -> bool {
    peer.is_some_and(|peer| peer.ip().to_canonical().is_loopback())
}

fn signed<'a>(
    method: &'a Method,
    uri: &'a Uri,
    headers: &'a HeaderMap,
    body: &'a [u8],
) -> SignedRequest<'a> {
    SignedRequest {
        method: method.as_str(),
        path: uri.path(),
        query: uri.query(),
        headers,
        body,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::time::Duration;

    use axum::extract::ConnectInfo;
    use axum::http::StatusCode;
    use tower::ServiceExt;

    use crate::app;
    use crate::sigv4::Credentials;
    use crate::sigv4::testing::{amz_date, authorization};

    const KEYS: &str = "AKIDADMIN:admin-secret:111122223333";

    fn state(verify: bool) -> AppState {
        let credentials: Credentials = KEYS.parse().unwrap();
        AppState {
            ecr: Arc::new(ecr_impl::Ecr::in_memory()),
            account_id: "123456789012".parse().unwrap(),
            region: "us-east-1".parse().unwrap(),
            max_body_bytes: 1024,
            max_header_bytes: 4096,
            request_body_timeout: Duration::from_secs(60),
            verifier: verify.then(|| Arc::new(credentials)),
            registry_auth: crate::config::RegistryAuth::default(),
            console_writes: false,
            upstreams: Arc::new(crate::upstream::Upstreams::new(Vec::new())),
            event_delivery: Arc::default(),
        }
    }

    /// `POST /_berth/reset` from `peer`, signed with the admin key when `signed`.
    fn reset_from(peer: &str, sign: bool) -> Request {
        let peer: SocketAddr = peer.parse().unwrap();
        let date = amz_date(SystemTime::now());
        let mut builder = Request::builder()
            .method("POST")
            .uri(admin::RESET)
            .header("host", "berth.example:4566")
            .header("x-amz-date", &date);
        if sign {
            let headers = builder.headers_ref().unwrap().clone();
            let method = Method::POST;
            let uri: Uri = admin::RESET.parse().unwrap();
            let credentials: Credentials = KEYS.parse().unwrap();
            let value = authorization(
                credentials.find("AKIDADMIN").unwrap(),
                "us-east-1",
                &date,
                &signed(&method, &uri, &headers, b""),
                &["host", "x-amz-date"],
            );
            builder = builder.header("authorization", value);
        }
        let mut request = builder.body(Body::empty()).unwrap();
        request.extensions_mut().insert(ConnectInfo(peer));
        request
    }

    async fn answer(state: AppState, request: Request) -> (StatusCode, String) {
        let response = app::router(state).oneshot(request).await.unwrap();
        let status = response.status();
        let body = axum::body::to_bytes(response.into_body(), 1 << 20)
            .await
            .unwrap();
        (status, String::from_utf8_lossy(&body).into_owned())
    }

    #[tokio::test]
    async fn remote_admin_requests_need_a_signature_when_verifying() {
        let (status, body) = answer(state(true), reset_from("10.1.2.3:5000", false)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert!(
            body.contains("MissingAuthenticationTokenException"),
            "{body}"
        );
        let (status, body) = answer(state(true), reset_from("10.1.2.3:5000", true)).await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }

    #[tokio::test]
    async fn loopback_admin_requests_and_unverified_servers_stay_open() {
        let (status, body) = answer(state(true), reset_from("127.0.0.1:5000", false)).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let (status, body) = answer(state(false), reset_from("10.1.2.3:5000", false)).await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }

    #[test]
    fn only_this_machine_is_loopback() {
        for local in [
            "127.0.0.1:1",
            "127.8.9.10:1",
            "[::1]:1",
            "[::ffff:127.0.0.1]:1",
        ] {
            assert!(is_loopback(Some(local.parse().unwrap())), "{local}");
        }
        for remote in [
            "10.0.0.1:1",
            "192.168.1.2:1",
            "[::ffff:10.0.0.1]:1",
            "[fe80::1]:1",
            "0.0.0.0:1",
        ] {
            assert!(!is_loopback(Some(remote.parse().unwrap())), "{remote}");
        }
        assert!(!is_loopback(None));
    }
}
