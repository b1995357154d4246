//! Manifests (`/v2/<name>/manifests/<reference>`, a tag or a digest): a PUT is PutImage
//! (the generated input and its validation, then the same `images::put`), a GET or HEAD is
//! BatchGetImage of one image (`images::get`, which records the pull), a DELETE by digest
//! is BatchDeleteImage of one image (`images::delete`).

use axum::body::Body;
use axum::http::header::{CONTENT_LENGTH, CONTENT_TYPE, LOCATION};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::Response;
use berth_runtime::validation::{Path, Violations};
use ecr_generated::errors::{BatchDeleteImageError, BatchGetImageError, PutImageError};
use ecr_generated::types::{
    ImageFailure, ImageFailureCode, ImageIdentifier, ImageManifest, ImageTag, PutImageRequest,
    RepositoryName,
};
use ecr_impl::images;

use super::body::{BodyError, read_at_most};
use super::error::{self, Code, OciError};
use super::{Ctx, DOCKER_CONTENT_DIGEST, OCI_SUBJECT, empty, set};

/// (model) The largest manifest: PutImage's `imageManifest` is at most 4,194,304
/// characters; the registry reads at most as many bytes.
pub const MAX_MANIFEST_BYTES: usize = 4 * 1024 * 1024;

/// A reference names a digest when it has an algorithm (`sha256:…`), else a tag.
fn is_digest(reference: &str) -> bool {
    reference.contains(':')
}

/// The image a reference names, as BatchGetImage and BatchDeleteImage take it.
fn identifier(reference: &str) -> Result<ImageIdentifier, OciError> {
    if is_digest(reference) {
        return Ok(ImageIdentifier {
            image_digest: Some(reference.to_owned()),
            image_tag: None,
        });
    }
    let tag = ImageTag::try_from(reference).map_err(|invalid| {
        let reason = invalid.reasons().first().copied().unwrap_or_default();
        OciError::new(
            Code::TagInvalid,
            ecr_generated::wire::violation_message("imageTag", reason),
        )
    })?;
    Ok(ImageIdentifier {
        image_digest: None,
        image_tag: Some(tag),
    })
}

/// PutImage's input for manifest `text` put under `reference` of repository `name`, checked
/// as the JSON API checks it; else the first violation's message.
pub(super) fn put_image_input(
    name: &RepositoryName,
    reference: &str,
    text: String,
    media_type: Option<String>,
) -> Result<PutImageRequest, String> {
    let (tag, digest) = if is_digest(reference) {
        (None, Some(reference.to_owned()))
    } else {
        (Some(reference.to_owned()), None)
    };
    let wire = ecr_generated::wire::PutImageRequest {
        registry_id: None,
        repository_name: Some(name.to_string()),
        image_manifest: Some(text),
        image_manifest_media_type: media_type,
        image_tag: tag,
        image_digest: digest,
    };
    let mut violations = Violations::default();
    let input = wire.validate(&Path::Root, &mut violations);
    match (input, violations.first()) {
        (Some(input), None) => Ok(input),
        (_, first) => Err(first.map_or_else(
            || error::REQUEST_INVALID.to_owned(),
            |violation| ecr_generated::wire::violation_message(&violation.path, violation.reason),
        )),
    }
}

/// `PUT /v2/<name>/manifests/<reference>`.
pub async fn put(
    ctx: Ctx<'_>,
    name: RepositoryName,
    reference: &str,
    headers: &HeaderMap,
    body: Body,
) -> Result<Response, OciError> {
    let bytes = read_at_most(headers, body, MAX_MANIFEST_BYTES)
        .await
        .map_err(|error| match error {
            BodyError::TooLarge => OciError::new(Code::ManifestInvalid, error::MANIFEST_TOO_LARGE),
            BodyError::Broken(detail) => OciError::new(Code::ManifestInvalid, detail),
        })?;
    let text = String::from_utf8(bytes)
        .map_err(|_| OciError::new(Code::ManifestInvalid, error::MANIFEST_NOT_UTF8))?;
    let media_type = crate::body::content_media_type(headers);
    // (real) PutImage input errors are UNSUPPORTED.
    let input = put_image_input(&name, reference, text, media_type)
        .map_err(|message| OciError::new(Code::Unsupported, message))?;
    let manifest = input.image_manifest.clone();
    let declared = input.image_manifest_media_type.clone();
    super::create_on_push::create_if_templated(ctx, &name).await?;
    match ctx.state.ecr.push_image(ctx.scope, input).await {
        Ok(pushed) => Ok(created(
            &name,
            &pushed.digest.to_string(),
            pushed.subject.map(|subject| subject.to_string()),
        )),
        // The same manifest again (and under the same tag): nothing to change, and success
        // for a registry client.
        Err(PutImageError::ImageAlreadyExistsException(_)) => {
            let (digest, subject) = already_stored(&manifest, declared.as_deref());
            Ok(created(&name, &digest, subject))
        }
        // A path reference shaped like no digest is a digest error (OCI's 400), in
        // PutImage's words.
        Err(PutImageError::InvalidParameterException(error))
            if is_digest(reference) && !images::is_image_digest(reference) =>
        {
            Err(OciError::new(
                Code::DigestInvalid,
                error.message.clone().unwrap_or_default(),
            ))
        }
        Err(error) => Err(OciError::from_ecr(error.as_response())),
    }
}

/// What the 201 of a manifest PutImage found already stored carries: its digest and
/// subject, read as PutImage read them.
fn already_stored(manifest: &ImageManifest, declared: Option<&str>) -> (String, Option<String>) {
    match images::manifest::read(manifest, declared, None) {
        Ok(read) => (
            read.digest().to_owned(),
            read.subject().map(|subject| subject.digest.clone()),
        ),
        Err(_) => (
            images::manifest::digest_of(manifest.as_str().as_bytes()),
            None,
        ),
    }
}

fn created(name: &RepositoryName, digest: &str, subject: Option<String>) -> Response {
    let mut response = empty(StatusCode::CREATED);
    set(
        &mut response,
        LOCATION,
        &format!("/v2/{name}/manifests/{digest}"),
    );
    set(&mut response, DOCKER_CONTENT_DIGEST, digest);
    if let Some(subject) = subject {
        set(&mut response, OCI_SUBJECT, &subject);
    }
    response
}

/// `GET`/`HEAD /v2/<name>/manifests/<reference>`: the stored bytes, as stored, with their
/// media type (Berth converts nothing, whatever the `Accept`).
pub async fn get(
    ctx: Ctx<'_>,
    name: RepositoryName,
    reference: &str,
    with_body: bool,
) -> Result<Response, OciError> {
    let id = identifier(reference)?;
    // A repository under a pull through cache rule first gets what it lacks upstream.
    let pulled_through = super::pull_through::refresh(ctx, &name, reference).await;
    let meta = ctx.state.ecr.layer_stores().meta;
    let answer = images::get::get::<BatchGetImageError>(
        meta,
        ctx.scope,
        &name,
        vec![id],
        ctx.state.ecr.clock().now(),
    )
    .await
    .map_err(|error| OciError::from_ecr(error.as_response()));
    // What the upstream could not give is the reason of the pull's error.
    let upstream_reason = |error: OciError| match &pulled_through {
        Err(failure) if matches!(error.code, Code::NameUnknown | Code::ManifestUnknown) => {
            OciError {
                message: failure.message(reference),
                ..error
            }
        }
        _ => error,
    };
    let answer = answer.map_err(upstream_reason)?;
    let image = match (answer.images.unwrap_or_default().pop(), answer.failures) {
        (Some(image), _) => image,
        (None, failures) => {
            return Err(upstream_reason(failure_error(
                failures.unwrap_or_default().first(),
            )));
        }
    };
    let bytes = image
        .image_manifest
        .map(|manifest| manifest.into_inner().into_bytes())
        .unwrap_or_default();
    let digest = image
        .image_id
        .and_then(|id| id.image_digest)
        .unwrap_or_default();
    let length = bytes.len();
    let mut response = Response::new(if with_body {
        Body::from(bytes)
    } else {
        Body::empty()
    });
    if let Some(media_type) = image.image_manifest_media_type {
        set(&mut response, CONTENT_TYPE, &media_type);
    }
    response
        .headers_mut()
        .insert(CONTENT_LENGTH, HeaderValue::from(length));
    set(&mut response, DOCKER_CONTENT_DIGEST, &digest);
    Ok(response)
}

/// `DELETE /v2/<name>/manifests/<digest>`: the image and its tags; by tag, 405 as ECR.
pub async fn delete(
    ctx: Ctx<'_>,
    name: RepositoryName,
    reference: &str,
) -> Result<Response, OciError> {
    if !is_digest(reference) {
        return Err(OciError::new(Code::Unsupported, error::METHOD_UNSUPPORTED));
    }
    let id = identifier(reference)?;
    let answer = ctx
        .state
        .ecr
        .delete_images::<BatchDeleteImageError>(ctx.scope, &name, vec![id])
        .await
        .map_err(|error| OciError::from_ecr(error.as_response()))?;
    match answer.failures.unwrap_or_default().first() {
        None => Ok(empty(StatusCode::ACCEPTED)),
        Some(failure) => Err(failure_error(Some(failure))),
    }
}

/// A BatchGetImage/BatchDeleteImage entry failure as a registry error, with ECR's reason.
fn failure_error(failure: Option<&ImageFailure>) -> OciError {
    let Some(failure) = failure else {
        return OciError::new(Code::ManifestUnknown, error::MANIFEST_UNKNOWN);
    };
    let code = match failure.failure_code {
        Some(ImageFailureCode::InvalidImageTag) => Code::TagInvalid,
        Some(ImageFailureCode::InvalidImageDigest) => Code::DigestInvalid,
        // (real) ECR refuses to delete what an index references with UNSUPPORTED.
        Some(ImageFailureCode::ImageReferencedByManifestList) => Code::Unsupported,
        _ => Code::ManifestUnknown,
    };
    OciError::new(
        code,
        failure
            .failure_reason
            .clone()
            .unwrap_or_else(|| error::MANIFEST_UNKNOWN.to_owned()),
    )
}
