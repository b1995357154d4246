//! Blob uploads (`/v2/<name>/blobs/uploads/…`), the layer upload functions the JSON API's
//! InitiateLayerUpload/UploadLayerPart/CompleteLayerUpload call, so the same rules apply:
//! POST starts a session (or mounts a blob from another repository, or takes the whole
//! blob with `?digest=`), PATCH streams a chunk, PUT `?digest=` completes, GET reports the
//! progress, DELETE cancels.

use axum::body::Body;
use axum::http::header::{CONTENT_RANGE, LOCATION, RANGE};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use ecr_generated::types::RepositoryName;
use ecr_impl::layers::{self, LayerError, Part};
use ecr_impl::store::blobs::{Sha256Digest, UploadId};

use super::blobs::{digest, layer_error};
use super::body::{content_range, frames, has_body};
use super::error::{self, Code, OciError};
use super::{
    Ctx, DOCKER_CONTENT_DIGEST, DOCKER_UPLOAD_UUID, OCI_CHUNK_MIN_LENGTH, Query, empty, set,
};

/// `POST /v2/<name>/blobs/uploads/`.
pub async fn start(
    ctx: Ctx<'_>,
    name: RepositoryName,
    query: &Query,
    headers: &HeaderMap,
    body: Body,
) -> Result<Response, OciError> {
    super::create_on_push::create_if_templated(ctx, &name).await?;
    let stores = ctx.state.ecr.layer_stores();
    let now = ctx.state.ecr.clock().now();
    if let (Some(mount), Some(from)) = (query.get("mount"), query.get("from")) {
        // A mount the registry cannot make is an upload the client makes instead (spec);
        // a registry that has not enabled BLOB_MOUNTING makes none (ECR, opt-in).
        let enabled = ctx.state.ecr.blob_mounting_enabled(ctx.scope).await;
        let enabled = enabled.map_err(|error| OciError::from_ecr(&error))?;
        if let (true, Ok(mounted), Ok(from)) = (
            enabled,
            mount.parse::<Sha256Digest>(),
            RepositoryName::try_from(from),
        ) {
            match layers::mount(stores, ctx.scope, &name, &from, mounted, now).await {
                Ok(Some(_)) => return Ok(created(&name, &mounted)),
                Ok(None) => {}
                Err(error) => return Err(layer_error(ctx, &name, "", mount, &error)),
            }
        }
    }
    let monolithic = match query.get("digest") {
        Some(text) => Some((text, digest(text)?)),
        None => None,
    };
    let id = layers::initiate(stores, ctx.scope, &name, now)
        .await
        .map_err(|error| layer_error(ctx, &name, "", "", &error))?;
    let Some((text, expected)) = monolithic else {
        let mut response = session(&name, id, 0, StatusCode::ACCEPTED);
        // (spec 1.1) Chunks other than the last must be at least this long.
        set(
            &mut response,
            OCI_CHUNK_MIN_LENGTH,
            &layers::MIN_CHUNK_LENGTH.to_string(),
        );
        if has_body(headers) {
            // A session start carries no blob; what was sent is not read.
            response.headers_mut().insert(
                axum::http::header::CONNECTION,
                axum::http::HeaderValue::from_static("close"),
            );
        }
        return Ok(response);
    };
    let part = Part {
        first_byte: None,
        last_byte: None,
    };
    if let Err(error) = layers::append(stores, ctx.scope, &name, id, part, frames(body)).await {
        // Nothing of a refused monolithic upload stays behind.
        let _ = layers::cancel(stores, ctx.scope, &name, id).await;
        return Err(layer_error(ctx, &name, &id.to_string(), text, &error));
    }
    let completed = complete(ctx, &name, id, text, expected).await;
    if completed.is_err() {
        // An upload completion refused and left (an empty blob) is not left behind either.
        let _ = layers::cancel(stores, ctx.scope, &name, id).await;
    }
    completed
}

/// `PATCH /v2/<name>/blobs/uploads/<id>`: one chunk, at `Content-Range` when given, else
/// where the upload is.
pub async fn patch(
    ctx: Ctx<'_>,
    name: RepositoryName,
    id_text: &str,
    headers: &HeaderMap,
    body: Body,
) -> Result<Response, OciError> {
    let id = upload_id(ctx, &name, id_text)?;
    let part = part(headers)?;
    let stores = ctx.state.ecr.layer_stores();
    match layers::append(stores, ctx.scope, &name, id, part, frames(body)).await {
        Ok(appended) => Ok(session(&name, id, appended.received, StatusCode::ACCEPTED)),
        Err(error) => Err(chunk_error(ctx, &name, id, id_text, &error)),
    }
}

/// `PUT /v2/<name>/blobs/uploads/<id>?digest=`: the last chunk if there is one, then the
/// upload completes, verified against `digest`.
pub async fn finish(
    ctx: Ctx<'_>,
    name: RepositoryName,
    id_text: &str,
    query: &Query,
    headers: &HeaderMap,
    body: Body,
) -> Result<Response, OciError> {
    let id = upload_id(ctx, &name, id_text)?;
    let text = query
        .get("digest")
        .ok_or_else(|| OciError::new(Code::DigestInvalid, error::DIGEST_NOT_SHA256))?;
    let expected = digest(text)?;
    if has_body(headers) {
        let part = part(headers)?;
        let stores = ctx.state.ecr.layer_stores();
        if let Err(error) = layers::append(stores, ctx.scope, &name, id, part, frames(body)).await {
            return Err(chunk_error(ctx, &name, id, id_text, &error));
        }
    }
    complete(ctx, &name, id, text, expected).await
}

/// `GET /v2/<name>/blobs/uploads/<id>`: how far the upload is.
pub async fn status(
    ctx: Ctx<'_>,
    name: RepositoryName,
    id_text: &str,
) -> Result<Response, OciError> {
    let id = upload_id(ctx, &name, id_text)?;
    let stores = ctx.state.ecr.layer_stores();
    let received = layers::received(stores, ctx.scope, &name, id)
        .await
        .map_err(|error| layer_error(ctx, &name, id_text, "", &error))?;
    Ok(session(&name, id, received, StatusCode::NO_CONTENT))
}

/// `DELETE /v2/<name>/blobs/uploads/<id>`.
pub async fn cancel(
    ctx: Ctx<'_>,
    name: RepositoryName,
    id_text: &str,
) -> Result<Response, OciError> {
    let id = upload_id(ctx, &name, id_text)?;
    let stores = ctx.state.ecr.layer_stores();
    layers::cancel(stores, ctx.scope, &name, id)
        .await
        .map_err(|error| layer_error(ctx, &name, id_text, "", &error))?;
    Ok(empty(StatusCode::NO_CONTENT))
}

/// Completes upload `id`, expecting `expected` (as the client wrote it: `text`). A blob
/// the repository already has is success (a client may upload what it has pushed before).
async fn complete(
    ctx: Ctx<'_>,
    name: &RepositoryName,
    id: UploadId,
    text: &str,
    expected: Sha256Digest,
) -> Result<Response, OciError> {
    let stores = ctx.state.ecr.layer_stores();
    match layers::complete(
        stores,
        ctx.scope,
        name,
        id,
        &[text],
        ctx.state.ecr.clock().now(),
    )
    .await
    {
        Ok(completed) => Ok(created(name, &completed.digest)),
        Err(LayerError::LayerAlreadyExists(digest)) if digest == expected => {
            Ok(created(name, &digest))
        }
        Err(error) => Err(layer_error(ctx, name, &id.to_string(), text, &error)),
    }
}

/// An upload id from the path; BLOB_UPLOAD_UNKNOWN (ECR's text) when it is none Berth
/// issues.
fn upload_id(ctx: Ctx<'_>, name: &RepositoryName, text: &str) -> Result<UploadId, OciError> {
    text.parse::<UploadId>()
        .map_err(|_| layer_error(ctx, name, text, "", &LayerError::UploadNotFound))
}

/// Where a chunk goes: its `Content-Range`, or wherever the upload is.
fn part(headers: &HeaderMap) -> Result<Part, OciError> {
    match headers.get(CONTENT_RANGE) {
        None => Ok(Part {
            first_byte: None,
            last_byte: None,
        }),
        Some(value) => match content_range(value.as_bytes()) {
            Some((first, last)) => Ok(Part {
                first_byte: Some(first),
                last_byte: Some(last),
            }),
            None => Err(OciError::new(
                Code::BlobUploadInvalid,
                error::RANGE_MALFORMED,
            )),
        },
    }
}

/// A refused chunk; a chunk that does not start where the upload is gets 416 with the
/// upload's progress (spec), so the client can resume.
fn chunk_error(
    ctx: Ctx<'_>,
    name: &RepositoryName,
    id: UploadId,
    id_text: &str,
    error: &LayerError,
) -> OciError {
    let oci = layer_error(ctx, name, id_text, "", error);
    match error {
        LayerError::PartNotConsecutive { received, .. } => oci
            .with_header("location", upload_location(name, id))
            .with_header("range", progress(*received))
            .with_header("docker-upload-uuid", id.to_string()),
        _ => oci,
    }
}

fn upload_location(name: &RepositoryName, id: UploadId) -> String {
    format!("/v2/{name}/blobs/uploads/{id}")
}

/// The `Range` of an upload that has received `received` bytes: `0-<last byte>`, `0-0`
/// before any.
fn progress(received: u64) -> String {
    format!("0-{}", received.saturating_sub(1))
}

/// An upload session's answer: `Location`, `Range`, `Docker-Upload-UUID`.
fn session(name: &RepositoryName, id: UploadId, received: u64, status: StatusCode) -> Response {
    let mut response = empty(status);
    set(&mut response, LOCATION, &upload_location(name, id));
    set(&mut response, RANGE, &progress(received));
    set(&mut response, DOCKER_UPLOAD_UUID, &id.to_string());
    response
}

/// 201 for blob `digest` of repository `name`: `Location` and `Docker-Content-Digest`.
fn created(name: &RepositoryName, digest: &Sha256Digest) -> Response {
    let mut response = empty(StatusCode::CREATED);
    set(
        &mut response,
        LOCATION,
        &format!("/v2/{name}/blobs/{digest}"),
    );
    set(&mut response, DOCKER_CONTENT_DIGEST, &digest.to_string());
    response
}
