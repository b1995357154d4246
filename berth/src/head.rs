//! Bounding the request head: what Berth answers when the headers are too large (heads
//! far larger still never get this far: the HTTP parser caps what it holds, see
//! `config::MAX_REQUEST_HEAD_BUFFER_BYTES`).

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;

use crate::app::AppState;
use crate::errors::HttpError;
use crate::reply;

/// Middleware: refuses a request whose target and headers exceed the configured size with
/// an AWS-shaped 431, before any handler sees it.
pub async fn limit_size(State(state): State<AppState>, request: Request, next: Next) -> Response {
    if head_size(&request) > state.max_header_bytes {
        return reply::to_http(
            HttpError::HeadersTooLarge {
                limit: state.max_header_bytes,
            }
            .response(),
        );
    }
    next.run(request).await
}

/// Bytes of the request target plus every header name and value.
fn head_size(request: &Request) -> usize {
    let target = request
        .uri()
        .path_and_query()
        .map_or(0, |target| target.as_str().len());
    target
        + request
            .headers()
            .iter()
            .map(|(name, value)| name.as_str().len() + value.len())
            .sum::<usize>()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_size_counts_the_target_names_and_values() {
        let request = Request::builder()
            .uri("/a?b")
            .header("x-one", "12345")
            .header("x-one", "6")
            .body(axum::body::Body::empty())
            .unwrap();
        assert_eq!(head_size(&request), 4 + (5 + 5) + (5 + 1));
    }
}
