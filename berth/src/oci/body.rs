//! Request bodies in and blob bytes out, and the registry's byte-range headers. Blob
//! bodies stream frame by frame (no buffering, no size cap); only manifests are read whole,
//! within their limit.

use std::future::poll_fn;
use std::pin::Pin;

use axum::body::{Body, HttpBody};
use axum::http::HeaderMap;
use axum::http::header::{CONTENT_LENGTH, EXPECT, TRANSFER_ENCODING};

pub(crate) use crate::layer_download::{Requested, byte_range};

/// Why a body was not read whole.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BodyError {
    /// Longer than the limit (declared, or seen while reading).
    TooLarge,
    /// The connection failed or the framing broke.
    Broken(String),
}

/// How much of a refused body is still read (and dropped) before the answer, so a client
/// that sends its whole body before reading gets the answer rather than a reset
/// connection; past it the connection is closed instead.
pub const MAX_DRAINED_BYTES: u64 = 64 * 1024 * 1024;

/// The whole body, if it is at most `limit` bytes. A longer one is refused, after its rest
/// is read and dropped when it is within [`MAX_DRAINED_BYTES`] (never held).
pub async fn read_at_most(
    headers: &HeaderMap,
    mut body: Body,
    limit: usize,
) -> Result<Vec<u8>, BodyError> {
    if declared_length(headers).is_some_and(|length| length > MAX_DRAINED_BYTES) {
        return Err(BodyError::TooLarge);
    }
    let mut bytes = Vec::new();
    let mut seen: u64 = 0;
    while let Some(frame) = poll_fn(|cx| Pin::new(&mut body).poll_frame(cx)).await {
        let frame = frame.map_err(|error| BodyError::Broken(error.to_string()))?;
        if let Ok(data) = frame.into_data() {
            seen += data.len() as u64;
            if seen > MAX_DRAINED_BYTES {
                return Err(BodyError::TooLarge);
            }
            if seen <= limit as u64 {
                bytes.extend_from_slice(&data);
            } else {
                // Over the limit: drop what was kept, keep reading to the end.
                bytes = Vec::new();
            }
        }
    }
    if seen > limit as u64 {
        return Err(BodyError::TooLarge);
    }
    Ok(bytes)
}

/// How long an early answer waits for the rest of a body it drains.
pub const DRAIN_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// Reads the rest of a body the answer does not need and drops it, so the connection can
/// carry the client's next request (its retry with credentials). `true` when the body
/// ended within [`MAX_DRAINED_BYTES`] and [`DRAIN_TIMEOUT`]; otherwise the connection must
/// close.
pub async fn drain(headers: &HeaderMap, mut body: Body) -> bool {
    if declared_length(headers).is_some_and(|length| length > MAX_DRAINED_BYTES) {
        return false;
    }
    // A client that waits for `100 Continue` has not sent its body: reading it would ask
    // for the bytes only to drop them.
    if headers
        .get(EXPECT)
        .is_some_and(|value| value.as_bytes().eq_ignore_ascii_case(b"100-continue"))
    {
        return false;
    }
    let read = async {
        let mut seen: u64 = 0;
        while let Some(frame) = poll_fn(|cx| Pin::new(&mut body).poll_frame(cx)).await {
            let Ok(frame) = frame else {
                return false;
            };
            if let Ok(data) = frame.into_data() {
                seen += data.len() as u64;
                if seen > MAX_DRAINED_BYTES {
                    return false;
                }
            }
        }
        true
    };
    tokio::time::timeout(DRAIN_TIMEOUT, read)
        .await
        .unwrap_or(false)
}

/// The body as a stream of its data frames (trailers carry nothing the registry uses).
pub fn frames(body: Body) -> axum::body::BodyDataStream {
    body.into_data_stream()
}

/// The `Content-Length` the request declares.
pub fn declared_length(headers: &HeaderMap) -> Option<u64> {
    headers
        .get(CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.trim().parse().ok())
}

/// Whether the request carries a body (a `Content-Length` above 0, or chunked).
pub fn has_body(headers: &HeaderMap) -> bool {
    declared_length(headers).is_some_and(|length| length > 0)
        || headers.contains_key(TRANSFER_ENCODING)
}

/// A PATCH/PUT `Content-Range`: `first-last` (as the OCI specification writes it), also
/// taken in HTTP's `bytes first-last/total` form. `None` when malformed or `first > last`.
pub fn content_range(value: &[u8]) -> Option<(u64, u64)> {
    let text = std::str::from_utf8(value).ok()?.trim();
    let text = text
        .strip_prefix("bytes=")
        .or_else(|| text.strip_prefix("bytes "))
        .unwrap_or(text);
    let range = text.split_once('/').map_or(text, |(range, _)| range);
    let (first, last) = range.split_once('-')?;
    let number = |text: &str| -> Option<u64> {
        let text = text.trim();
        (!text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()))
            .then(|| text.parse().ok())
            .flatten()
    };
    let (first, last) = (number(first)?, number(last)?);
    (first <= last).then_some((first, last))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_ranges_are_read_in_both_forms() {
        assert_eq!(content_range(b"0-99"), Some((0, 99)));
        assert_eq!(content_range(b"bytes 100-199/1000"), Some((100, 199)));
        assert_eq!(content_range(b"bytes=5-5"), Some((5, 5)));
        assert_eq!(content_range(b"9-5"), None);
        assert_eq!(content_range(b"-5"), None);
        assert_eq!(content_range(b"a-b"), None);
        assert_eq!(content_range(b"5"), None);
        assert_eq!(content_range(&[0xff]), None);
    }
}
