//! `GET`/`HEAD /v2/<name>/blobs/<digest>`: a layer the repository links, whole (200) or one
//! `Range` of it (206; 416 past its end), streamed. ECR answers a blob DELETE with 405
//! (`mod.rs`).

use axum::body::Body;
use axum::http::header::{ACCEPT_RANGES, CONTENT_LENGTH, CONTENT_RANGE, CONTENT_TYPE, RANGE};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::Response;
use ecr_generated::types::RepositoryName;
use ecr_impl::layers::{self, LayerError};
use ecr_impl::store::blobs::Sha256Digest;

use super::body::{Requested, byte_range};
use super::error::{self, Code, OciError};
use super::{Ctx, DOCKER_CONTENT_DIGEST, set};

/// What blob bytes are sent as.
const BLOB_CONTENT_TYPE: &str = "application/octet-stream";

/// A digest from a path or query: `sha256:` and 64 hex digits, else DIGEST_INVALID.
pub fn digest(text: &str) -> Result<Sha256Digest, OciError> {
    text.parse::<Sha256Digest>()
        .map_err(|_| OciError::new(Code::DigestInvalid, error::DIGEST_NOT_SHA256))
}

/// A layer function's error for repository `name`, in ECR's words under its OCI code.
pub fn layer_error(
    ctx: Ctx<'_>,
    name: &RepositoryName,
    upload: &str,
    digest: &str,
    error: &LayerError,
) -> OciError {
    let message = error.ecr_message(ctx.scope, name.as_str(), upload, digest);
    OciError::from_layer(error, message)
}

pub async fn get(
    ctx: Ctx<'_>,
    name: RepositoryName,
    digest_text: &str,
    headers: &HeaderMap,
    with_body: bool,
) -> Result<Response, OciError> {
    let digest = digest(digest_text)?;
    let stores = ctx.state.ecr.layer_stores();
    let blob = layers::linked_blob(stores, ctx.scope, &name, digest)
        .await
        .map_err(|error| layer_error(ctx, &name, "", digest_text, &error))?;
    let unsatisfiable = || {
        OciError::new(Code::RangeInvalid, error::RANGE_UNSATISFIABLE)
            .with_header("content-range", format!("bytes */{}", blob.size))
    };
    let range = match headers
        .get(RANGE)
        .map(|value| byte_range(value.as_bytes(), blob.size))
    {
        None | Some(Requested::Ignored) => None,
        Some(Requested::Range(range)) => Some(range),
        Some(Requested::Unsatisfiable) => return Err(unsatisfiable()),
    };
    let bytes = range.clone().unwrap_or(0..blob.size);
    let body = if with_body {
        let stream = layers::open_blob(stores, &blob, bytes.clone())
            .await
            .map_err(|error| layer_error(ctx, &name, "", digest_text, &error))?;
        Body::from_stream(stream)
    } else {
        Body::empty()
    };
    let mut response = Response::new(body);
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static(BLOB_CONTENT_TYPE));
    headers.insert(ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    headers.insert(CONTENT_LENGTH, HeaderValue::from(bytes.end - bytes.start));
    set(
        &mut response,
        DOCKER_CONTENT_DIGEST,
        &blob.digest.to_string(),
    );
    if range.is_some() {
        *response.status_mut() = StatusCode::PARTIAL_CONTENT;
        let content_range = format!("bytes {}-{}/{}", bytes.start, bytes.end - 1, blob.size);
        set(&mut response, CONTENT_RANGE, &content_range);
    }
    Ok(response)
}
