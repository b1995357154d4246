//! Reading a request body without ever holding more than the limit in memory.

use std::future::poll_fn;
use std::pin::Pin;

use axum::body::{Body, HttpBody};
use axum::http::HeaderMap;
use axum::http::header::CONTENT_LENGTH;

use crate::errors::HttpError;

/// The whole body, or [`HttpError::RequestTooLarge`] as soon as it is known to exceed
/// `limit` bytes: from `Content-Length` before reading anything, else while streaming.
pub async fn read_limited(
    headers: &HeaderMap,
    mut body: Body,
    limit: usize,
) -> Result<Vec<u8>, HttpError> {
    let declared = headers
        .get(CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.trim().parse::<u64>().ok());
    if declared.is_some_and(|length| length > limit as u64) {
        return Err(HttpError::RequestTooLarge { limit });
    }
    let mut bytes = Vec::with_capacity(declared.map_or(0, |length| length as usize));
    while let Some(frame) = poll_fn(|cx| Pin::new(&mut body).poll_frame(cx)).await {
        let frame = frame.map_err(|e| HttpError::UnreadableBody {
            reason: e.to_string(),
        })?;
        // Trailers carry nothing the protocol uses.
        if let Ok(data) = frame.into_data() {
            if bytes.len() + data.len() > limit {
                return Err(HttpError::RequestTooLarge { limit });
            }
            bytes.extend_from_slice(&data);
        }
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn run<F: Future>(future: F) -> F::Output {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
            .block_on(future)
    }

    #[test]
    fn bodies_up_to_the_limit_are_read_whole() {
        let body = run(read_limited(
            &HeaderMap::new(),
            Body::from("0123456789"),
            10,
        ))
        .unwrap();
        assert_eq!(body, b"0123456789");
        assert_eq!(
            run(read_limited(&HeaderMap::new(), Body::empty(), 10)).unwrap(),
            b""
        );
    }

    #[test]
    fn streamed_bodies_over_the_limit_are_refused() {
        let error = run(read_limited(
            &HeaderMap::new(),
            Body::from("0123456789a"),
            10,
        ))
        .unwrap_err();
        assert_eq!(error, HttpError::RequestTooLarge { limit: 10 });
    }

    #[test]
    fn declared_lengths_over_the_limit_are_refused_before_reading() {
        let mut headers = HeaderMap::new();
        headers.insert(CONTENT_LENGTH, HeaderValue::from_static("11"));
        // The body itself is short: only the declaration can have caused the refusal.
        let error = run(read_limited(&headers, Body::from("x"), 10)).unwrap_err();
        assert_eq!(error, HttpError::RequestTooLarge { limit: 10 });
    }
}
