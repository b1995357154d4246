//! `GET /_berth/layers/{token}`: the bytes of the layer a GetDownloadUrlForLayer URL
//! names, to a plain unsigned GET, as the pre-signed S3 URL real ECR answers would serve
//! them (`ecr-behaviour-images.md` §10). The token is the whole credential: ecr-impl
//! checks its signature and expiry and that the repository still has the layer.
//!
//! Answers: 200 with the whole layer; 206 for one satisfiable `Range` (`bytes=a-b`,
//! `bytes=a-`, `bytes=-n`); 416 for one that is not; a `Range` that is not one byte range
//! is ignored (the whole layer), as HTTP allows. Refusals are S3-shaped XML: 403
//! `AccessDenied` for a token that is altered, another Berth's or expired, 404 `NoSuchKey`
//! for a layer gone since.

use std::ops::Range;

use axum::body::Body;
use axum::extract::State;
use axum::http::header::{ACCEPT_RANGES, CONTENT_LENGTH, CONTENT_RANGE, CONTENT_TYPE, RANGE};
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri};
use axum::response::Response;
use berth_runtime::Timestamp;
use ecr_impl::layers::{LAYER_DOWNLOAD_PATH, LayerDownloadError};
use ecr_impl::store::blobs::BlobError;

use crate::app::AppState;

/// The route, under the path ecr-impl builds its URLs with.
pub fn route() -> String {
    format!("{LAYER_DOWNLOAD_PATH}{{token}}")
}

/// What a layer's bytes are sent as (S3's type for an object stored without one).
const LAYER_CONTENT_TYPE: &str = "application/octet-stream";

pub async fn get(State(state): State<AppState>, uri: Uri, headers: HeaderMap) -> Response {
    // The raw segment, not a decoded `Path`: a token has no character to percent-encode, so
    // an encoded one (even of bytes that are not UTF-8) is just not a token, and refused as
    // such rather than with the extractor's plain-text 400.
    let token = uri
        .path()
        .strip_prefix(LAYER_DOWNLOAD_PATH)
        .unwrap_or_default();
    let layer = match state.ecr.open_layer_download(token, Timestamp::now()).await {
        Ok(layer) => layer,
        Err(error) => return refusal(&error),
    };
    let range = match headers
        .get(RANGE)
        .map(|value| byte_range(value.as_bytes(), layer.size))
    {
        None | Some(Requested::Ignored) => None,
        Some(Requested::Range(range)) => Some(range),
        Some(Requested::Unsatisfiable) => return unsatisfiable(layer.size),
    };
    let bytes = range.clone().unwrap_or(0..layer.size);
    let stream = match layer.open(bytes.clone()).await {
        Ok(stream) => stream,
        Err(BlobError::NotFound) => return refusal(&LayerDownloadError::Gone(layer.digest)),
        Err(BlobError::RangeNotSatisfiable { len }) => return unsatisfiable(len),
        Err(other) => return refusal(&LayerDownloadError::Unavailable(other.to_string())),
    };
    let mut response = Response::new(Body::from_stream(stream));
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static(LAYER_CONTENT_TYPE));
    headers.insert(ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    headers.insert(CONTENT_LENGTH, HeaderValue::from(bytes.end - bytes.start));
    if range.is_some() {
        *response.status_mut() = StatusCode::PARTIAL_CONTENT;
        let content_range = format!("bytes {}-{}/{}", bytes.start, bytes.end - 1, layer.size);
        if let Ok(value) = HeaderValue::from_str(&content_range) {
            response.headers_mut().insert(CONTENT_RANGE, value);
        }
    }
    response
}

/// What a `Range` header asks of a `size`-byte layer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Requested {
    /// One range within the layer (clipped to its end).
    Range(Range<u64>),
    /// One well-formed range that starts past the end (or a suffix of 0 bytes).
    Unsatisfiable,
    /// Not one byte range (another unit, several ranges, malformed): served whole.
    Ignored,
}

/// Reads a `Range` header value: `bytes=a-b`, `bytes=a-`, or `bytes=-n` (RFC 9110 §14.1.2).
pub(crate) fn byte_range(value: &[u8], size: u64) -> Requested {
    let Some(spec) = std::str::from_utf8(value)
        .ok()
        .and_then(|text| text.trim().strip_prefix("bytes="))
    else {
        return Requested::Ignored;
    };
    let Some((first, last)) = spec.trim().split_once('-') else {
        return Requested::Ignored;
    };
    let number = |text: &str| -> Option<u64> {
        let text = text.trim();
        (!text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()))
            .then(|| text.parse().ok())
            .flatten()
    };
    match (first.trim().is_empty(), last.trim().is_empty()) {
        // `bytes=-n`: the last n bytes.
        (true, false) => match number(last) {
            Some(0) => Requested::Unsatisfiable,
            Some(_) if size == 0 => Requested::Unsatisfiable,
            Some(n) => Requested::Range(size.saturating_sub(n)..size),
            None => Requested::Ignored,
        },
        // `bytes=a-`: from a to the end.
        (false, true) => match number(first) {
            Some(a) if a < size => Requested::Range(a..size),
            Some(_) => Requested::Unsatisfiable,
            None => Requested::Ignored,
        },
        (false, false) => match (number(first), number(last)) {
            (Some(a), Some(b)) if a > b => Requested::Ignored,
            (Some(a), Some(b)) if a < size => Requested::Range(a..b.saturating_add(1).min(size)),
            (Some(_), Some(_)) => Requested::Unsatisfiable,
            _ => Requested::Ignored,
        },
        (true, true) => Requested::Ignored,
    }
}

/// An S3-shaped XML error (what a client of a pre-signed URL expects).
fn xml_error(status: StatusCode, code: &str, message: &str) -> Response {
    let body = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>{}</Code><Message>{}</Message></Error>",
        escape(code),
        escape(message)
    );
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/xml"));
    response
}

fn refusal(error: &LayerDownloadError) -> Response {
    let status = match error {
        LayerDownloadError::InvalidToken | LayerDownloadError::Expired => StatusCode::FORBIDDEN,
        LayerDownloadError::Gone(_) => StatusCode::NOT_FOUND,
        LayerDownloadError::Unavailable(detail) => {
            tracing::error!(%detail, "a layer download failed");
            StatusCode::INTERNAL_SERVER_ERROR
        }
    };
    xml_error(status, error.code(), &error.message())
}

/// 416 with the layer's size, as S3 words it.
fn unsatisfiable(size: u64) -> Response {
    let mut response = xml_error(
        StatusCode::RANGE_NOT_SATISFIABLE,
        "InvalidRange",
        "The requested range is not satisfiable",
    );
    if let Ok(value) = HeaderValue::from_str(&format!("bytes */{size}")) {
        response.headers_mut().insert(CONTENT_RANGE, value);
    }
    response
}

/// Text as XML character data.
fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn single_byte_ranges_are_read_and_clipped() {
        let cases: [(&str, Requested); 14] = [
            ("bytes=0-99", Requested::Range(0..100)),
            ("bytes=10-10", Requested::Range(10..11)),
            ("bytes=900-5000", Requested::Range(900..1000)),
            ("bytes=990-", Requested::Range(990..1000)),
            ("bytes=-10", Requested::Range(990..1000)),
            ("bytes=-5000", Requested::Range(0..1000)),
            (" bytes= 1 - 2 ", Requested::Range(1..3)),
            ("bytes=1000-", Requested::Unsatisfiable),
            ("bytes=1000-1001", Requested::Unsatisfiable),
            ("bytes=-0", Requested::Unsatisfiable),
            ("bytes=5-2", Requested::Ignored),
            ("bytes=0-1,5-6", Requested::Ignored),
            ("items=0-1", Requested::Ignored),
            ("bytes=x-1", Requested::Ignored),
        ];
        for (header, expected) in cases {
            assert_eq!(byte_range(header.as_bytes(), 1000), expected, "{header}");
        }
        assert_eq!(byte_range(b"bytes=-", 1000), Requested::Ignored);
        assert_eq!(byte_range(b"bytes=0-", 0), Requested::Unsatisfiable);
        assert_eq!(byte_range(b"bytes=-3", 0), Requested::Unsatisfiable);
        assert_eq!(byte_range(&[0xff, b'='], 1000), Requested::Ignored);
    }

    #[test]
    fn xml_errors_escape_their_text() {
        assert_eq!(escape("a<b>&c"), "a&lt;b&gt;&amp;c");
    }
}
