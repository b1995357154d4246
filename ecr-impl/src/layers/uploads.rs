//! Layer uploads: initiate, append a part, complete (`ecr-behaviour-images.md` §3).

use berth_runtime::Timestamp;
use bytes::Bytes;
use ecr_generated::types::RepositoryName;
use futures_core::Stream;
use tokio::sync::OwnedMutexGuard;

use super::{LayerError, Session, Stores, hasher_for, next};
use crate::limits::MIN_LAYER_PART_SIZE;
use crate::store::Scope;
use crate::store::blobs::{Sha256Digest, Sha256Writer, UploadId};
use crate::store::meta::{self, LayerRow, ReadTx, RepoId, UploadRow};

/// Where a part goes in its upload. When `first_byte` is given it must be the count of
/// bytes received so far (`None`: wherever the upload is, as a `/v2` PATCH without
/// `Content-Range`); when `last_byte` is given (UploadLayerPart; a PATCH with a
/// `Content-Range`), the part must carry exactly the bytes `first_byte..=last_byte`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Part {
    pub first_byte: Option<u64>,
    pub last_byte: Option<u64>,
}

/// An upload after a part.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Appended {
    /// Bytes received so far, this part included.
    pub received: u64,
}

impl Appended {
    /// The last byte received (`-1` when none), as ECR's `lastByteReceived` counts.
    pub fn last_byte_received(&self) -> i64 {
        last_valid_byte(self.received)
    }
}

/// A completed upload: the layer it linked into its repository.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Completed {
    pub digest: Sha256Digest,
    pub size: u64,
}

/// The last byte of `received` bytes, `-1` when there are none (ECR's
/// `lastValidByteReceived`).
pub(crate) fn last_valid_byte(received: u64) -> i64 {
    i64::try_from(received).unwrap_or(i64::MAX) - 1
}

/// Starts an upload into repository `name` of `scope` at `now`: its row, with nothing
/// received (bytes are staged by the first part).
pub async fn initiate(
    stores: Stores<'_>,
    scope: &Scope,
    name: &RepositoryName,
    now: Timestamp,
) -> Result<UploadId, LayerError> {
    let id = UploadId::random();
    let (scope, name) = (scope.clone(), name.clone());
    meta::write(stores.meta, move |tx| {
        let repository = tx
            .repository(&scope, &name)?
            .ok_or(LayerError::RepositoryNotFound)?;
        tx.put_upload(&UploadRow {
            id,
            repository: repository.id,
            received: 0,
            parts: 0,
            last_part_size: 0,
            short_part: false,
            started_at: now,
        })?;
        Ok(id)
    })
    .await
}

/// The upload `id` of repository `name` as the metadata has it: `UploadNotFound` when it
/// is unknown or another repository's.
fn upload_of(
    tx: &mut dyn ReadTx,
    scope: &Scope,
    name: &RepositoryName,
    id: &UploadId,
) -> Result<(RepoId, UploadRow), LayerError> {
    let repository = tx
        .repository(scope, name)?
        .ok_or(LayerError::RepositoryNotFound)?;
    let row = tx
        .upload(id)?
        .filter(|row| row.repository == repository.id)
        .ok_or(LayerError::UploadNotFound)?;
    Ok((repository.id, row))
}

/// How many bytes upload `id` of repository `name` has received (a `/v2` upload status).
pub async fn received(
    stores: Stores<'_>,
    scope: &Scope,
    name: &RepositoryName,
    id: UploadId,
) -> Result<u64, LayerError> {
    let (scope, name) = (scope.clone(), name.clone());
    meta::read(stores.meta, move |tx| {
        upload_of(tx, &scope, &name, &id).map(|(_, row)| row.received)
    })
    .await
}

/// Appends `body` to upload `id` as `part`: checks the part starts at the bytes received so
/// far, streams it into the staged bytes while hashing it, makes it durable, and only then
/// counts it in the upload's row (if the row is still as it was read). A rejected or failed
/// part leaves the upload as it was: bytes staged past the acknowledged count are dropped
/// by the next part. UploadLayerPart passes its blob as a one-chunk stream.
pub async fn append<S, E>(
    stores: Stores<'_>,
    scope: &Scope,
    name: &RepositoryName,
    id: UploadId,
    part: Part,
    mut body: S,
) -> Result<Appended, LayerError>
where
    S: Stream<Item = Result<Bytes, E>> + Unpin + Send,
    E: std::fmt::Display,
{
    let mut session = stores.uploads.lock(id).await;
    let (repository, row) = {
        let (scope, name) = (scope.clone(), name.clone());
        meta::read(stores.meta, move |tx| upload_of(tx, &scope, &name, &id)).await?
    };
    let first_byte = part.first_byte.unwrap_or(row.received);
    if first_byte != row.received {
        return Err(LayerError::PartNotConsecutive {
            first_byte,
            received: row.received,
        });
    }
    // The bytes the part must carry, when it says.
    let declared = match part.last_byte {
        Some(last_byte) if last_byte >= first_byte => Some(last_byte - first_byte + 1),
        Some(last_byte) => {
            return Err(LayerError::PartLength {
                first_byte,
                last_byte,
                carried: 0,
                received: row.received,
            });
        }
        None => None,
    };
    let length_error = |carried| LayerError::PartLength {
        first_byte,
        last_byte: part.last_byte.unwrap_or_default(),
        carried,
        received: row.received,
    };

    let Some(hasher) = hasher_for(stores.blobs, &session, &row).await? else {
        // A crash ended its completion halfway: the upload is over, a new one starts.
        return end_upload(stores, session, id, row, LayerError::UploadNotFound).await;
    };
    let staged = stores.blobs.stage(&id, row.received).await?;
    let mut writer = Sha256Writer::new(staged, hasher);
    let mut carried: u64 = 0;
    while let Some(chunk) = next(&mut body).await {
        let chunk = chunk.map_err(|error| LayerError::Body(error.to_string()))?;
        carried += chunk.len() as u64;
        if declared.is_some_and(|declared| carried > declared) {
            // Stop reading: the part is refused whatever follows.
            return Err(length_error(carried));
        }
        writer.append(chunk).await?;
    }
    if declared.is_some_and(|declared| carried != declared) {
        return Err(length_error(carried));
    }
    if carried == 0 {
        // An empty `/v2` PATCH: nothing to count.
        return Ok(Appended {
            received: row.received,
        });
    }
    let hasher = writer.sync().await?;

    let counted = UploadRow {
        received: row.received + carried,
        parts: row.parts + 1,
        last_part_size: carried,
        // The part that was last is last no more.
        short_part: row.short_part || (row.parts > 0 && row.last_part_size < MIN_LAYER_PART_SIZE),
        ..row.clone()
    };
    let committed = {
        let (scope, name, counted) = (scope.clone(), name.clone(), counted.clone());
        meta::write(stores.meta, move |tx| {
            let (now_in, now_row) = upload_of(tx, &scope, &name, &id)?;
            if now_in != repository || now_row != row {
                // Changed since it was read (its repository re-created; a part from
                // another process): this part no longer follows what was received.
                return Err(LayerError::PartNotConsecutive {
                    first_byte,
                    received: now_row.received,
                });
            }
            tx.put_upload(&counted)?;
            Ok(())
        })
        .await
    };
    match committed {
        Ok(()) => {
            session.hasher = Some(hasher);
            Ok(Appended {
                received: counted.received,
            })
        }
        Err(error @ (LayerError::UploadNotFound | LayerError::RepositoryNotFound)) => {
            // Gone while the part streamed (expired, its repository deleted): what this part
            // staged is nobody's.
            drop(session);
            stores.uploads.forget(&id);
            stores.blobs.discard(&id).await?;
            Err(error)
        }
        Err(error) => Err(error),
    }
}

/// Completes upload `id`: checks it has parts, all but the last long enough, and that
/// every `sha256:` digest in `expected` is the digest of its bytes (other algorithms are
/// not compared); then publishes the bytes as a blob, links it into the repository and
/// deletes the upload in one write job, and drops what was staged. A digest mismatch or
/// a layer the repository already has ends the upload too; EmptyUpload and PartTooSmall
/// leave it as it was.
pub async fn complete(
    stores: Stores<'_>,
    scope: &Scope,
    name: &RepositoryName,
    id: UploadId,
    expected: &[&str],
    now: Timestamp,
) -> Result<Completed, LayerError> {
    let session = stores.uploads.lock(id).await;
    let (repository, row) = {
        let (scope, name) = (scope.clone(), name.clone());
        meta::read(stores.meta, move |tx| upload_of(tx, &scope, &name, &id)).await?
    };
    if row.parts == 0 {
        return Err(LayerError::EmptyUpload);
    }
    if row.short_part {
        return Err(LayerError::PartTooSmall);
    }
    let Some(hasher) = hasher_for(stores.blobs, &session, &row).await? else {
        // Published, then a crash before the commit: the bytes are no longer the
        // upload's (the blob, if linked by nobody, is garbage), so it is over.
        return end_upload(stores, session, id, row, LayerError::UploadNotFound).await;
    };
    let digest = hasher.digest();
    if let Some(given) = expected
        .iter()
        .find(|given| !matches_digest(given, &digest))
    {
        let error = LayerError::DigestMismatch {
            given: (*given).to_owned(),
            computed: digest,
        };
        return end_upload(stores, session, id, row, error).await;
    }
    let already = {
        meta::read(stores.meta, move |tx| {
            Ok::<_, LayerError>(tx.layer(repository, &digest)?.is_some())
        })
        .await?
    };
    if already {
        let error = LayerError::LayerAlreadyExists(digest);
        return end_upload(stores, session, id, row, error).await;
    }

    // Publish and link under the digest's lock, so garbage collection never deletes the
    // blob between the two.
    let digest_lock = stores.uploads.digests.lock(digest).await;
    stores.blobs.publish(&id, &digest).await?;
    let linked = {
        let (scope, name, row) = (scope.clone(), name.clone(), row.clone());
        meta::write(stores.meta, move |tx| {
            let (now_in, now_row) = upload_of(tx, &scope, &name, &id)?;
            if now_in != repository || now_row != row {
                return Err(LayerError::UploadNotFound);
            }
            if tx.layer(repository, &digest)?.is_some() {
                tx.delete_upload(&id)?;
                return Ok(Err(LayerError::LayerAlreadyExists(digest)));
            }
            tx.put_layer(
                repository,
                &LayerRow {
                    digest,
                    size: row.received,
                    media_type: None,
                    linked_at: now,
                },
            )?;
            tx.delete_upload(&id)?;
            Ok(Ok(()))
        })
        .await
    };
    drop(digest_lock);
    drop(session);
    let outcome = linked?;
    stores.uploads.forget(&id);
    stores.blobs.discard(&id).await?;
    outcome.map(|()| Completed {
        digest,
        size: row.received,
    })
}

/// Whether a `layerDigests` entry agrees with `digest`: a `sha256:` entry must name it
/// (hex in either case); entries of other algorithms are not compared, as with ECR.
fn matches_digest(given: &str, digest: &Sha256Digest) -> bool {
    match given.strip_prefix(Sha256Digest::PREFIX) {
        Some(hex) => Sha256Digest::from_hex(hex).is_ok_and(|given| given == *digest),
        None => true,
    }
}

/// Ends upload `id` (still as `row`, its `session` locked) because of `error`, and answers
/// `error`: deletes its row, then its staged bytes.
async fn end_upload<T>(
    stores: Stores<'_>,
    session: OwnedMutexGuard<Session>,
    id: UploadId,
    row: UploadRow,
    error: LayerError,
) -> Result<T, LayerError> {
    meta::write(stores.meta, move |tx| {
        if tx.upload(&id)?.as_ref() == Some(&row) {
            tx.delete_upload(&id)?;
        }
        Ok::<_, LayerError>(())
    })
    .await?;
    drop(session);
    stores.uploads.forget(&id);
    stores.blobs.discard(&id).await?;
    Err(error)
}
