//! What the OCI `/v2` blob routes need besides the layer functions the JSON API shares:
//! a cross-repository mount, a blob opened through its repository's link, and each
//! [`LayerError`] in ECR's words (the registry sends ECR's texts under OCI codes).

use std::ops::Range;

use berth_runtime::Timestamp;
use ecr_generated::types::RepositoryName;

use super::{LayerError, Stores, stat};
use crate::limits::MIN_LAYER_PART_SIZE;
use crate::messages;
use crate::store::Scope;
use crate::store::blobs::{BlobError, ByteStream, Sha256Digest, UploadId};
use crate::store::meta::{self, LayerRow};

/// The smallest chunk of a `/v2` upload other than the last: ECR's smallest layer part,
/// which registry uploads follow too (`ecr-behaviour-images.md` §14). The registry
/// announces it as `OCI-Chunk-Min-Length` when a session starts.
pub const MIN_CHUNK_LENGTH: u64 = MIN_LAYER_PART_SIZE;

/// Links layer `digest` of repository `from` into repository `name` (both of `scope`: a
/// caller mounts only from its own registry), as a `/v2` `POST …/uploads/?mount=&from=`.
/// `Ok(Some(size))` when `name` has the layer afterwards; `Ok(None)` when `from` does
/// not exist or lacks the layer (the client then uploads it). `name` must exist.
pub async fn mount(
    stores: Stores<'_>,
    scope: &Scope,
    name: &RepositoryName,
    from: &RepositoryName,
    digest: Sha256Digest,
    now: Timestamp,
) -> Result<Option<u64>, LayerError> {
    // The digest's lock keeps garbage collection from deleting the blob between the
    // source's link being read and the new link being committed.
    let _digest_lock = stores.uploads.digests.lock(digest).await;
    let (scope, name, from) = (scope.clone(), name.clone(), from.clone());
    meta::write(stores.meta, move |tx| {
        let target = tx
            .repository(&scope, &name)?
            .ok_or(LayerError::RepositoryNotFound)?;
        if let Some(layer) = tx.layer(target.id, &digest)? {
            return Ok(Some(layer.size));
        }
        let Some(source) = tx.repository(&scope, &from)? else {
            return Ok(None);
        };
        let Some(layer) = tx.layer(source.id, &digest)? else {
            return Ok(None);
        };
        tx.put_layer(
            target.id,
            &LayerRow {
                linked_at: now,
                ..layer.clone()
            },
        )?;
        Ok(Some(layer.size))
    })
    .await
}

/// Cancels upload `id` of repository `name` (a `/v2` upload DELETE): its row, then its
/// staged bytes. `UploadNotFound` when it is unknown, another repository's, or over.
pub async fn cancel(
    stores: Stores<'_>,
    scope: &Scope,
    name: &RepositoryName,
    id: UploadId,
) -> Result<(), LayerError> {
    let session = stores.uploads.lock(id).await;
    let (scope, name) = (scope.clone(), name.clone());
    meta::write(stores.meta, move |tx| {
        let repository = tx
            .repository(&scope, &name)?
            .ok_or(LayerError::RepositoryNotFound)?;
        match tx.upload(&id)? {
            Some(row) if row.repository == repository.id => Ok(tx.delete_upload(&id)?),
            _ => Err(LayerError::UploadNotFound),
        }
    })
    .await?;
    drop(session);
    stores.uploads.forget(&id);
    stores.blobs.discard(&id).await?;
    Ok(())
}

/// Blob `digest` as repository `name` links it: its size, then its bytes on demand.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LinkedBlob {
    pub digest: Sha256Digest,
    pub size: u64,
}

/// Layer `digest` of repository `name` (`LayerNotFound` when it has no such link).
pub async fn linked_blob(
    stores: Stores<'_>,
    scope: &Scope,
    name: &RepositoryName,
    digest: Sha256Digest,
) -> Result<LinkedBlob, LayerError> {
    let layer = stat(stores.meta, scope, name, digest)
        .await?
        .ok_or(LayerError::LayerNotFound)?;
    Ok(LinkedBlob {
        digest,
        size: layer.size,
    })
}

/// Bytes `range` of `blob` (within `0..blob.size`). `LayerNotFound` when the bytes were
/// collected since the link was read (the link went first).
pub async fn open_blob(
    stores: Stores<'_>,
    blob: &LinkedBlob,
    range: Range<u64>,
) -> Result<ByteStream, LayerError> {
    match stores.blobs.open(&blob.digest, range).await {
        Ok(stream) => Ok(stream),
        Err(BlobError::NotFound) => Err(LayerError::LayerNotFound),
        Err(other) => Err(other.into()),
    }
}

impl LayerError {
    /// The error in ECR's words (the texts the JSON API's layer operations answer with),
    /// for repository `name` of `scope`, upload `upload_id` when there is one, and blob
    /// `digest` when one was named. The `/v2` side sends it under its OCI code.
    pub fn ecr_message(&self, scope: &Scope, name: &str, upload_id: &str, digest: &str) -> String {
        match self {
            LayerError::RepositoryNotFound => {
                messages::repository_not_found(name, &scope.account_id)
            }
            LayerError::UploadNotFound => {
                messages::upload_not_found(upload_id, name, &scope.account_id)
            }
            LayerError::PartNotConsecutive {
                first_byte,
                received,
            } => messages::layer_part_not_consecutive(upload_id, *first_byte, *received),
            LayerError::PartLength {
                first_byte,
                last_byte,
                carried,
                ..
            } => messages::layer_part_length(
                i64::try_from(*first_byte).unwrap_or(i64::MAX),
                i64::try_from(*last_byte).unwrap_or(i64::MAX),
                *carried,
            ),
            LayerError::EmptyUpload => messages::empty_upload(upload_id),
            LayerError::PartTooSmall => {
                messages::layer_part_too_small(upload_id, MIN_LAYER_PART_SIZE)
            }
            LayerError::DigestMismatch { given, computed } => {
                messages::invalid_layer_digest(given, &computed.to_string())
            }
            LayerError::LayerAlreadyExists(digest) => {
                messages::layer_already_exists(&digest.to_string(), name, &scope.account_id)
            }
            LayerError::LayerNotFound => messages::layer_not_found(digest, name, &scope.account_id),
            LayerError::LayerInaccessible => messages::layer_inaccessible(digest),
            LayerError::Body(detail) => messages::registry_body_failed(detail),
            LayerError::Store(error) => messages::store_unavailable(&error.to_string()),
        }
    }
}
