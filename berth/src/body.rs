//! Reading a request body without ever holding more than the limit in memory.

use std::future::poll_fn;
use std::pin::Pin;
use std::time::Duration;

use axum::body::{Body, HttpBody};
use axum::http::HeaderMap;
use axum::http::header::{CONTENT_LENGTH, CONTENT_TYPE};

use crate::errors::HttpError;

/// The media type `Content-Type` gives a body (a request's or an upstream's answer),
/// without its parameters (`; charset=…`); none when the header is absent or empty.
pub fn content_media_type(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(CONTENT_TYPE)?.to_str().ok()?;
    let media_type = value.split(';').next().unwrap_or_default().trim();
    (!media_type.is_empty()).then(|| media_type.to_owned())
}

/// The whole body, or [`HttpError::RequestTooLarge`] as soon as it is known to exceed
/// `limit` bytes (from `Content-Length` before reading anything, else while streaming),
/// or [`HttpError::RequestTimeout`] if it has not all arrived within `timeout`.
pub async fn read_limited(
    headers: &HeaderMap,
    body: Body,
    limit: usize,
    timeout: Duration,
) -> Result<Vec<u8>, HttpError> {
    tokio::time::timeout(timeout, read_within(headers, body, limit))
        .await
        .unwrap_or(Err(HttpError::RequestTimeout { limit: timeout }))
}

async fn read_within(
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

    /// A timeout no in-memory body comes near.
    const ENOUGH: Duration = Duration::from_secs(3600);

    fn run<F: Future>(future: F) -> F::Output {
        tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .start_paused(true)
            .build()
            .unwrap()
            .block_on(future)
    }

    /// A body whose sender never sends anything.
    struct Stalled;

    impl HttpBody for Stalled {
        type Data = axum::body::Bytes;
        type Error = std::io::Error;

        fn poll_frame(
            self: Pin<&mut Self>,
            _: &mut std::task::Context<'_>,
        ) -> std::task::Poll<Option<Result<hyper::body::Frame<Self::Data>, Self::Error>>> {
            std::task::Poll::Pending
        }
    }

    #[test]
    fn bodies_that_stall_time_out() {
        // Only the timeout can end this read. The clock is paused, so the test does not
        // wait in real time.
        let error = run(read_limited(
            &HeaderMap::new(),
            Body::new(Stalled),
            10,
            Duration::from_secs(5),
        ))
        .unwrap_err();
        assert_eq!(
            error,
            HttpError::RequestTimeout {
                limit: Duration::from_secs(5)
            }
        );
    }

    #[test]
    fn bodies_up_to_the_limit_are_read_whole() {
        let body = run(read_limited(
            &HeaderMap::new(),
            Body::from("0123456789"),
            10,
            ENOUGH,
        ))
        .unwrap();
        assert_eq!(body, b"0123456789");
        assert_eq!(
            run(read_limited(&HeaderMap::new(), Body::empty(), 10, ENOUGH)).unwrap(),
            b""
        );
    }

    #[test]
    fn streamed_bodies_over_the_limit_are_refused() {
        let error = run(read_limited(
            &HeaderMap::new(),
            Body::from("0123456789a"),
            10,
            ENOUGH,
        ))
        .unwrap_err();
        assert_eq!(error, HttpError::RequestTooLarge { limit: 10 });
    }

    #[test]
    fn declared_lengths_over_the_limit_are_refused_before_reading() {
        let mut headers = HeaderMap::new();
        headers.insert(CONTENT_LENGTH, HeaderValue::from_static("11"));
        // The body itself is short: only the declaration can have caused the refusal.
        let error = run(read_limited(&headers, Body::from("x"), 10, ENOUGH)).unwrap_err();
        assert_eq!(error, HttpError::RequestTooLarge { limit: 10 });
    }
}
