//! The layer operations (`ecr-behaviour-images.md` §3, §10): InitiateLayerUpload,
//! UploadLayerPart, CompleteLayerUpload, BatchCheckLayerAvailability and
//! GetDownloadUrlForLayer. Each parses its input, calls the `crate::layers` function the
//! OCI `/v2` routes call too, and words the outcome as ECR does.

use std::convert::Infallible;
use std::pin::Pin;
use std::task::{Context, Poll};

use berth_runtime::{RequestContext, Timestamp};
use bytes::Bytes;
use ecr_generated::errors::{
    BatchCheckLayerAvailabilityError, CompleteLayerUploadError, EmptyUploadException,
    GetDownloadUrlForLayerError, InitiateLayerUploadError, InvalidLayerException,
    InvalidLayerPartException, LayerAlreadyExistsException, LayerInaccessibleException,
    LayerPartTooSmallException, LayersNotFoundException, RepositoryNotFoundException,
    ServerException, UploadLayerPartError, UploadNotFoundException,
};
use ecr_generated::types::{
    self, BatchCheckLayerAvailabilityRequest, BatchCheckLayerAvailabilityResponse,
    CompleteLayerUploadRequest, CompleteLayerUploadResponse, GetDownloadUrlForLayerRequest,
    GetDownloadUrlForLayerResponse, InitiateLayerUploadRequest, InitiateLayerUploadResponse, Layer,
    LayerAvailability, LayerDigest, LayerFailure, LayerFailureCode, RepositoryName,
    UploadLayerPartRequest, UploadLayerPartResponse,
};
use futures_core::Stream;

use super::{Builder, State, caller_registry, not_found};
use crate::layers::{self, LayerError, Part, last_valid_byte};
use crate::limits::{LAYER_PART_SIZE, MIN_LAYER_PART_SIZE};
use crate::messages;
use crate::store::Scope;
use crate::store::blobs::{Sha256Digest, UploadId};

/// Registers this module's operations with their handlers.
pub(crate) fn register(builder: Builder) -> Builder {
    builder
        .initiate_layer_upload(initiate_layer_upload)
        .upload_layer_part(upload_layer_part)
        .complete_layer_upload(complete_layer_upload)
        .batch_check_layer_availability(batch_check_layer_availability)
        .get_download_url_for_layer(get_download_url_for_layer)
}

/// A layer outcome no operation expects at that point: a backend failure, or Berth's bug.
fn unexpected<E: From<ServerException>>(error: LayerError) -> E {
    match error {
        LayerError::Store(error) => super::server_failure(error),
        other => {
            ServerException::new(messages::unexpected_store_outcome(&other.to_string())).into()
        }
    }
}

/// The one spelling of an upload id the model admits (a lowercase hyphenated UUID, always
/// valid; anything else would be Berth's bug).
fn upload_id_text(id: &UploadId) -> Result<types::UploadId, ServerException> {
    types::UploadId::try_from(id.to_string()).map_err(|reason| {
        ServerException::new(messages::unexpected_store_outcome(&reason.to_string()))
    })
}

/// The model's `uploadId` pattern admits exactly the ids [`UploadId`] parses, so a failure
/// here is an id Berth never issued: UploadNotFound, like any unknown id.
fn upload_id(
    text: &types::UploadId,
    scope: &Scope,
    name: &RepositoryName,
) -> Result<UploadId, UploadNotFoundException> {
    UploadId::try_from(text).map_err(|_| upload_not_found(text.as_str(), scope, name))
}

fn upload_not_found(id: &str, scope: &Scope, name: &RepositoryName) -> UploadNotFoundException {
    UploadNotFoundException::new(messages::upload_not_found(id, name, &scope.account_id))
}

fn repository_not_found(scope: &Scope, name: &RepositoryName) -> RepositoryNotFoundException {
    not_found(name, &scope.account_id)
}

pub(crate) async fn initiate_layer_upload(
    state: &State,
    ctx: &RequestContext,
    input: InitiateLayerUploadRequest,
) -> Result<InitiateLayerUploadResponse, InitiateLayerUploadError> {
    let name = input.repository_name;
    let scope = caller_registry(ctx, input.registry_id.as_ref(), &name)?;
    let id = layers::initiate(state.layer_stores(), &scope, &name, state.now())
        .await
        .map_err(|error| -> InitiateLayerUploadError {
            match error {
                LayerError::RepositoryNotFound => repository_not_found(&scope, &name).into(),
                other => unexpected(other),
            }
        })?;
    Ok(InitiateLayerUploadResponse {
        upload_id: Some(upload_id_text(&id)?),
        part_size: Some(LAYER_PART_SIZE as i64),
    })
}

/// A part already in memory, as the one-chunk stream `layers::append` takes.
struct OneChunk(Option<Bytes>);

impl Stream for OneChunk {
    type Item = Result<Bytes, Infallible>;

    fn poll_next(mut self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        Poll::Ready(self.0.take().map(Ok))
    }
}

pub(crate) async fn upload_layer_part(
    state: &State,
    ctx: &RequestContext,
    input: UploadLayerPartRequest,
) -> Result<UploadLayerPartResponse, UploadLayerPartError> {
    let name = input.repository_name;
    let scope = caller_registry(ctx, input.registry_id.as_ref(), &name)?;
    let id = upload_id(&input.upload_id, &scope, &name)?;
    // Both are at least 0 (the model says so).
    let (first_byte, last_byte) = (input.part_first_byte, input.part_last_byte);
    let part = Part {
        first_byte: Some(first_byte as u64),
        last_byte: Some(last_byte as u64),
    };
    let body = OneChunk(Some(Bytes::from(input.layer_part_blob.0)));
    let invalid_part = |message: String, received: u64| InvalidLayerPartException {
        registry_id: Some(scope.account_id.clone()),
        repository_name: Some(name.clone()),
        upload_id: Some(input.upload_id.clone()),
        // Absent before any part: the model allows no value below 0 [choice].
        last_valid_byte_received: received.checked_sub(1).map(|_| last_valid_byte(received)),
        message: Some(message),
    };
    let appended = layers::append(state.layer_stores(), &scope, &name, id, part, body)
        .await
        .map_err(|error| -> UploadLayerPartError {
            match error {
                LayerError::RepositoryNotFound => repository_not_found(&scope, &name).into(),
                LayerError::UploadNotFound => {
                    upload_not_found(input.upload_id.as_str(), &scope, &name).into()
                }
                LayerError::PartNotConsecutive {
                    first_byte,
                    received,
                } => invalid_part(
                    messages::layer_part_not_consecutive(
                        input.upload_id.as_str(),
                        first_byte,
                        received,
                    ),
                    received,
                )
                .into(),
                LayerError::PartLength {
                    carried, received, ..
                } => invalid_part(
                    messages::layer_part_length(first_byte, last_byte, carried),
                    received,
                )
                .into(),
                other => unexpected(other),
            }
        })?;
    Ok(UploadLayerPartResponse {
        registry_id: Some(scope.account_id),
        repository_name: Some(name),
        upload_id: Some(input.upload_id),
        last_byte_received: Some(appended.last_byte_received()),
    })
}

pub(crate) async fn complete_layer_upload(
    state: &State,
    ctx: &RequestContext,
    input: CompleteLayerUploadRequest,
) -> Result<CompleteLayerUploadResponse, CompleteLayerUploadError> {
    let name = input.repository_name;
    let scope = caller_registry(ctx, input.registry_id.as_ref(), &name)?;
    let id = upload_id(&input.upload_id, &scope, &name)?;
    let expected: Vec<&str> = input
        .layer_digests
        .iter()
        .map(LayerDigest::as_str)
        .collect();
    let id_text = input.upload_id.as_str();
    let completed = layers::complete(
        state.layer_stores(),
        &scope,
        &name,
        id,
        &expected,
        state.now(),
    )
    .await
    .map_err(|error| -> CompleteLayerUploadError {
        match error {
            LayerError::RepositoryNotFound => repository_not_found(&scope, &name).into(),
            LayerError::UploadNotFound => upload_not_found(id_text, &scope, &name).into(),
            LayerError::EmptyUpload => {
                EmptyUploadException::new(messages::empty_upload(id_text)).into()
            }
            LayerError::PartTooSmall => LayerPartTooSmallException::new(
                messages::layer_part_too_small(id_text, MIN_LAYER_PART_SIZE),
            )
            .into(),
            LayerError::DigestMismatch { given, computed } => InvalidLayerException::new(
                messages::invalid_layer_digest(&given, &computed.to_string()),
            )
            .into(),
            LayerError::LayerAlreadyExists(digest) => LayerAlreadyExistsException::new(
                messages::layer_already_exists(&digest.to_string(), &name, &scope.account_id),
            )
            .into(),
            other => unexpected(other),
        }
    })?;
    let layer_digest = LayerDigest::try_from(completed.digest.to_string()).map_err(|reason| {
        ServerException::new(messages::unexpected_store_outcome(&reason.to_string()))
    })?;
    Ok(CompleteLayerUploadResponse {
        registry_id: Some(scope.account_id),
        repository_name: Some(name),
        upload_id: Some(input.upload_id),
        layer_digest: Some(layer_digest),
    })
}

/// One answer per requested digest, in request order (duplicates answered each time): a
/// layer of the repository, `MissingLayerDigest`, or `InvalidLayerDigest` for an entry that
/// breaks the layer-digest pattern (the model checks only its length here). A digest of
/// another algorithm is never a layer: missing.
pub(crate) async fn batch_check_layer_availability(
    state: &State,
    ctx: &RequestContext,
    input: BatchCheckLayerAvailabilityRequest,
) -> Result<BatchCheckLayerAvailabilityResponse, BatchCheckLayerAvailabilityError> {
    let name = input.repository_name;
    let scope = caller_registry(ctx, input.registry_id.as_ref(), &name)?;
    // Per entry: not a layer digest (None), or one that may be stored (Some(index)).
    let mut wanted = Vec::new();
    let entries: Vec<Option<(LayerDigest, Option<usize>)>> = input
        .layer_digests
        .iter()
        .map(|entry| {
            let digest = LayerDigest::try_from(entry.as_str()).ok()?;
            let stored = entry.as_str().parse::<Sha256Digest>().ok().map(|sha256| {
                wanted.push(sha256);
                wanted.len() - 1
            });
            Some((digest, stored))
        })
        .collect();
    let found = layers::stat_all(state.meta(), &scope, &name, wanted)
        .await
        .map_err(|error| -> BatchCheckLayerAvailabilityError {
            match error {
                LayerError::RepositoryNotFound => repository_not_found(&scope, &name).into(),
                other => unexpected(other),
            }
        })?;
    let mut layers = Vec::new();
    let mut failures = Vec::new();
    for (requested, entry) in input.layer_digests.iter().zip(entries) {
        let failure = |code, reason| LayerFailure {
            layer_digest: Some(requested.clone()),
            failure_code: Some(code),
            failure_reason: Some(reason),
        };
        match entry {
            None => failures.push(failure(
                LayerFailureCode::InvalidLayerDigest,
                messages::layer_digest_invalid(requested.as_str()),
            )),
            Some((digest, stored)) => match stored.and_then(|index| found[index].as_ref()) {
                Some(layer) => layers.push(Layer {
                    layer_digest: Some(digest),
                    layer_availability: Some(LayerAvailability::Available),
                    layer_size: Some(layer.size as i64),
                    media_type: layer.media_type.clone(),
                }),
                None => failures.push(failure(
                    LayerFailureCode::MissingLayerDigest,
                    messages::layer_missing(requested.as_str()),
                )),
            },
        }
    }
    Ok(BatchCheckLayerAvailabilityResponse {
        layers: Some(layers),
        failures: Some(failures),
    })
}

pub(crate) async fn get_download_url_for_layer(
    state: &State,
    ctx: &RequestContext,
    input: GetDownloadUrlForLayerRequest,
) -> Result<GetDownloadUrlForLayerResponse, GetDownloadUrlForLayerError> {
    let name = input.repository_name;
    let scope = caller_registry(ctx, input.registry_id.as_ref(), &name)?;
    let digest = input.layer_digest;
    let url =
        layers::download_url(
            state.meta(),
            &state.token_key,
            &scope,
            &name,
            digest.as_str(),
            &ctx.endpoint,
            Timestamp::now(),
        )
        .await
        .map_err(|error| -> GetDownloadUrlForLayerError {
            match error {
                LayerError::RepositoryNotFound => repository_not_found(&scope, &name).into(),
                LayerError::LayerNotFound => LayersNotFoundException::new(
                    messages::layer_not_found(digest.as_str(), &name, &scope.account_id),
                )
                .into(),
                LayerError::LayerInaccessible => {
                    LayerInaccessibleException::new(messages::layer_inaccessible(digest.as_str()))
                        .into()
                }
                other => unexpected(other),
            }
        })?;
    Ok(GetDownloadUrlForLayerResponse {
        download_url: Some(url),
        layer_digest: Some(digest),
    })
}
