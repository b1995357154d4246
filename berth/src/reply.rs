//! Turning answers into HTTP responses, and the request id every response carries.

use axum::body::Body;
use axum::extract::Request;
use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::middleware::Next;
use berth_runtime::protocol;
use serde::Serialize;

/// Content type of the admin endpoints' answers (plain JSON, not an AWS protocol).
pub const ADMIN_CONTENT_TYPE: &str = "application/json";

/// The id of the request being served, minted by [`request_id`] for every request.
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

/// Middleware: gives each request a fresh uuid and makes sure its response carries it,
/// whichever route (or fallback) answered.
pub async fn request_id(mut request: Request, next: Next) -> axum::response::Response {
    let id = uuid::Uuid::new_v4().to_string();
    request.extensions_mut().insert(RequestId(id.clone()));
    let mut response = next.run(request).await;
    let name = HeaderName::from_static(REQUEST_ID_HEADER_LOWER);
    if !response.headers().contains_key(&name)
        && let Ok(value) = HeaderValue::from_str(&id)
    {
        response.headers_mut().insert(name, value);
    }
    response
}

/// [`protocol::REQUEST_ID_HEADER`] as `http` stores header names (lowercase).
const REQUEST_ID_HEADER_LOWER: &str = "x-amzn-requestid";

/// A protocol response as HTTP.
pub fn to_http(response: protocol::Response) -> axum::response::Response {
    // The pipeline only produces valid statuses; a bad one would be a server bug.
    let status = StatusCode::from_u16(response.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut http = axum::response::Response::new(Body::from(response.body));
    *http.status_mut() = status;
    for (name, value) in response.headers {
        match (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(&value),
        ) {
            (Ok(name), Ok(value)) => {
                http.headers_mut().append(name, value);
            }
            _ => tracing::error!(
                header = name,
                "dropped a response header that is not valid HTTP"
            ),
        }
    }
    http
}

/// A 200 JSON answer of an admin endpoint.
pub fn admin_json<T: Serialize>(value: &T) -> axum::response::Response {
    match serde_json::to_vec(value) {
        Ok(body) => {
            let mut http = axum::response::Response::new(Body::from(body));
            http.headers_mut()
                .insert(CONTENT_TYPE, HeaderValue::from_static(ADMIN_CONTENT_TYPE));
            http
        }
        Err(e) => to_http(protocol::Response::error(
            &ecr_generated::operations::SERVICE,
            &berth_runtime::error::CommonError::internal(format!(
                "could not serialize the answer: {e}"
            )),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use berth_runtime::protocol::REQUEST_ID_HEADER;

    #[test]
    fn the_lowercase_header_name_is_the_protocol_one() {
        assert_eq!(
            REQUEST_ID_HEADER.to_ascii_lowercase(),
            REQUEST_ID_HEADER_LOWER
        );
    }

    #[test]
    fn protocol_responses_keep_status_headers_and_body() {
        let response = protocol::Response {
            status: 400,
            headers: vec![
                ("content-type", "application/x-amz-json-1.1".into()),
                (REQUEST_ID_HEADER, "id-1".into()),
            ],
            body: b"{}".to_vec(),
        };
        let http = to_http(response);
        assert_eq!(http.status(), StatusCode::BAD_REQUEST);
        assert_eq!(http.headers()["content-type"], "application/x-amz-json-1.1");
        assert_eq!(http.headers()[REQUEST_ID_HEADER_LOWER], "id-1");
    }
}
