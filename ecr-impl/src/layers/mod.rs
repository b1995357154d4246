//! Layers: blobs linked into a repository (`ecr-behaviour-images.md` §3, §10). One set of
//! functions serves the JSON API (InitiateLayerUpload, UploadLayerPart, CompleteLayerUpload,
//! BatchCheckLayerAvailability, GetDownloadUrlForLayer: `ops::layers`) and, next, the OCI
//! `/v2` blob routes (`registry-style.md` §2 "A docker push", steps 2–5):
//!
//! - `uploads`: [`initiate`], [`append`] (a part, or a `/v2` PATCH: any byte stream),
//!   [`received`] (an upload's progress), [`complete`];
//! - `availability`: [`stat`] and [`stat_all`], what a repository holds;
//! - `download`: download URLs on Berth's own endpoint, their signed tokens, and
//!   [`crate::Ecr::open_layer_download`], what the server streams for one;
//! - `collect`: upload expiry and blob garbage collection ([`crate::Ecr::expire_uploads`],
//!   [`crate::Ecr::collect_garbage`]).
//!
//! An upload session is its metadata row ([`UploadRow`]: repository, bytes received, part
//! rules), its staged bytes in the [`BlobStore`], and here, in memory, the running SHA-256
//! of the bytes received behind a per-upload async lock. After a restart the hasher is
//! rebuilt from the staged bytes on the next call.
//!
//! Invariants: bytes are durable before metadata names them (sync before the row counts
//! them; publish before the layer is linked, then discard); no transaction is open while
//! bytes stream (read the offset, stream, then a compare-and-set write job); every byte is
//! hashed once, as it is written.

mod availability;
mod collect;
mod download;
mod registry;
mod uploads;

#[cfg(test)]
mod tests;

use std::collections::HashMap;
use std::fmt;
use std::hash::Hash;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use berth_runtime::Timestamp;
use tokio::sync::{Mutex as AsyncMutex, OwnedMutexGuard};

use crate::store::StoreError;
use crate::store::blobs::{BlobError, BlobStore, Sha256Digest, Sha256Hasher, UploadId};
use crate::store::meta::{MetaStore, UploadRow};

pub use availability::{stat, stat_all};
pub use collect::Collected;
pub(crate) use download::download_url;
pub use download::{LAYER_DOWNLOAD_PATH, LayerDownload, LayerDownloadError};
pub use registry::{LinkedBlob, MIN_CHUNK_LENGTH, cancel, linked_blob, mount, open_blob};
pub(crate) use uploads::last_valid_byte;
pub use uploads::{Appended, Completed, Part, append, complete, initiate, received};

/// What the layer functions work on: the handlers' state, borrowed.
#[derive(Clone, Copy)]
pub struct Stores<'a> {
    pub meta: &'a dyn MetaStore,
    pub blobs: &'a dyn BlobStore,
    pub uploads: &'a Uploads,
}

impl crate::ops::State {
    /// What the layer functions work on.
    pub(crate) fn layer_stores(&self) -> Stores<'_> {
        Stores {
            meta: self.meta.as_ref(),
            blobs: self.blobs.as_ref(),
            uploads: &self.uploads,
        }
    }
}

/// Layer downloads and garbage collection: what the server calls besides the API.
impl crate::Ecr {
    /// What the layer functions of this module work on, for protocols other than the JSON
    /// API (the OCI `/v2` blob routes call [`stat`], [`initiate`], [`append`], [`complete`]).
    pub fn layer_stores(&self) -> Stores<'_> {
        self.service.state().layer_stores()
    }

    /// The layer a download URL's `token` grants at `now` (see `GetDownloadUrlForLayer`),
    /// ready to stream whole or in part: refused if this Berth's key did not sign the token
    /// or it has expired, `Gone` if the repository no longer has the layer.
    pub async fn open_layer_download(
        &self,
        token: &str,
        now: Timestamp,
    ) -> Result<LayerDownload, LayerDownloadError> {
        let state = self.service.state();
        download::open_layer_download(
            state.meta(),
            state.blobs.clone(),
            &state.token_key,
            token,
            now,
        )
        .await
    }

    /// Drops every upload started more than `limits::UPLOAD_LIFETIME` (7 days) before `now`,
    /// rows and staged bytes; answers how many. [`Ecr::collect_garbage`] does this first.
    ///
    /// [`Ecr::collect_garbage`]: crate::Ecr::collect_garbage
    pub async fn expire_uploads(
        &self,
        now: Timestamp,
    ) -> Result<usize, ecr_generated::errors::ServerException> {
        collect::expire_uploads(self.service.state().layer_stores(), now)
            .await
            .map_err(crate::ops::server_failure)
    }

    /// A garbage collection at `now`, for the server to call at startup and periodically:
    /// expires old uploads ([`Ecr::expire_uploads`]), drops staged bytes whose upload row is
    /// gone, and deletes each blob that no repository of any registry links *and* that a
    /// collection at least `limits::UNLINKED_BLOB_GRACE` (1 hour) earlier, in this process,
    /// also found unlinked. So a blob published by an upload that has not linked it yet
    /// survives, and after a restart every blob survives at least one grace period. A
    /// blob's check and delete hold its digest's lock, which an upload holds from
    /// publishing the blob until its link is committed.
    ///
    /// [`Ecr::expire_uploads`]: crate::Ecr::expire_uploads
    pub async fn collect_garbage(
        &self,
        now: Timestamp,
    ) -> Result<Collected, ecr_generated::errors::ServerException> {
        collect::collect_garbage(self.service.state().layer_stores(), now)
            .await
            .map_err(crate::ops::server_failure)
    }
}

/// Why a layer function did not do what was asked. Each protocol words these its own way
/// (`ops::layers` as ECR's errors; `/v2` as OCI codes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LayerError {
    /// No repository of this name in the caller's registry.
    RepositoryNotFound,
    /// The upload is unknown, belongs to another repository, or was completed or expired.
    UploadNotFound,
    /// A part does not start at the byte expected next.
    PartNotConsecutive {
        first_byte: u64,
        /// Bytes received so far (the offset the part had to start at).
        received: u64,
    },
    /// A part's byte range does not match the bytes it carried.
    PartLength {
        first_byte: u64,
        last_byte: u64,
        /// Bytes the part carried (or more: counting stops past the declared range).
        carried: u64,
        /// Bytes received so far, unchanged by the rejected part.
        received: u64,
    },
    /// Completed before any part.
    EmptyUpload,
    /// A part other than the last was shorter than `limits::MIN_LAYER_PART_SIZE`.
    PartTooSmall,
    /// A `sha256:` digest the client gave is not the digest of the uploaded bytes.
    DigestMismatch {
        given: String,
        computed: Sha256Digest,
    },
    /// The repository already has this layer.
    LayerAlreadyExists(Sha256Digest),
    /// The repository has no such layer.
    LayerNotFound,
    /// The repository has the layer, but no image references it.
    LayerInaccessible,
    /// The client's byte stream failed (nothing of it was acknowledged).
    Body(String),
    /// A state backend failed: a server fault.
    Store(StoreError),
}

impl From<StoreError> for LayerError {
    fn from(error: StoreError) -> LayerError {
        LayerError::Store(error)
    }
}

impl From<BlobError> for LayerError {
    fn from(error: BlobError) -> LayerError {
        LayerError::Store(StoreError::Unavailable(error.to_string()))
    }
}

impl fmt::Display for LayerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{self:?}")
    }
}

impl std::error::Error for LayerError {}

/// The upload sessions in progress (their in-memory half) and the per-digest locks that
/// keep a publish and its link apart from garbage collection.
#[derive(Debug, Default)]
pub struct Uploads {
    sessions: Mutex<HashMap<UploadId, Arc<AsyncMutex<Session>>>>,
    digests: KeyedLocks<Sha256Digest>,
    /// Blobs garbage collection found linked by no repository, and when it first did.
    unlinked_since: Mutex<HashMap<Sha256Digest, Timestamp>>,
}

/// The in-memory half of an upload session.
#[derive(Debug, Default)]
struct Session {
    /// The running hash of the bytes received; `None` until computed in this process.
    hasher: Option<Sha256Hasher>,
}

impl Uploads {
    /// The session of `upload`, locked: one call at a time appends to or completes it.
    async fn lock(&self, upload: UploadId) -> OwnedMutexGuard<Session> {
        let session = lock(&self.sessions).entry(upload).or_default().clone();
        session.lock_owned().await
    }

    /// The session of `upload`, locked, unless a call holds it (garbage collection does not
    /// wait behind a part that is streaming: it comes back at its next run).
    fn try_lock(&self, upload: UploadId) -> Option<OwnedMutexGuard<Session>> {
        let session = lock(&self.sessions).entry(upload).or_default().clone();
        session.try_lock_owned().ok()
    }

    /// Drops the in-memory half of `upload` (its row is gone).
    fn forget(&self, upload: &UploadId) {
        lock(&self.sessions).remove(upload);
    }

    /// The sessions held in memory (to drop those whose rows are gone).
    fn session_ids(&self) -> Vec<UploadId> {
        lock(&self.sessions).keys().copied().collect()
    }
}

/// A std mutex's guard; a panic elsewhere while holding it left the data consistent (every
/// critical section here is a single map operation).
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// One async lock per key, made on first use and dropped when no one holds or waits for it.
#[derive(Debug)]
struct KeyedLocks<K> {
    locks: Mutex<HashMap<K, Arc<AsyncMutex<()>>>>,
}

impl<K> Default for KeyedLocks<K> {
    fn default() -> Self {
        KeyedLocks {
            locks: Mutex::new(HashMap::new()),
        }
    }
}

/// Holds the lock of one key; releasing it drops the key's lock if no one else wants it.
struct KeyGuard<'a, K: Eq + Hash + Copy> {
    locks: &'a KeyedLocks<K>,
    key: K,
    guard: Option<OwnedMutexGuard<()>>,
}

impl<K: Eq + Hash + Copy> KeyedLocks<K> {
    async fn lock(&self, key: K) -> KeyGuard<'_, K> {
        let mutex = lock(&self.locks).entry(key).or_default().clone();
        KeyGuard {
            locks: self,
            key,
            guard: Some(mutex.lock_owned().await),
        }
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        lock(&self.locks).len()
    }
}

impl<K: Eq + Hash + Copy> Drop for KeyGuard<'_, K> {
    fn drop(&mut self) {
        drop(self.guard.take());
        let mut locks = lock(&self.locks.locks);
        // Only the map holds it: nobody holds the lock or waits for it (a waiter holds a
        // clone, taken under this same map lock).
        if locks
            .get(&self.key)
            .is_some_and(|mutex| Arc::strong_count(mutex) == 1)
        {
            locks.remove(&self.key);
        }
    }
}

/// The session's hasher if it covers exactly the `row.received` bytes the metadata
/// acknowledged, else one rebuilt from the first `row.received` staged bytes (after a
/// restart; bytes staged past them were never acknowledged). `Ok(None)` when nothing is
/// staged any more: the bytes were published as a blob (which may move them) and the
/// process died before the commit that ends the upload.
async fn hasher_for(
    blobs: &dyn BlobStore,
    session: &Session,
    row: &UploadRow,
) -> Result<Option<Sha256Hasher>, LayerError> {
    if let Some(hasher) = session.hasher.as_ref().filter(|h| h.len() == row.received) {
        return Ok(Some(hasher.clone()));
    }
    if row.received == 0 {
        return Ok(Some(Sha256Hasher::new()));
    }
    let mut stream = match blobs.read_staged(&row.id).await {
        Ok(stream) => stream,
        Err(BlobError::UploadNotFound) => return Ok(None),
        Err(error) => return Err(error.into()),
    };
    let mut hasher = Sha256Hasher::new();
    while hasher.len() < row.received {
        let Some(chunk) = next(&mut stream).await else {
            break;
        };
        let chunk = chunk?;
        let wanted = usize::try_from(row.received - hasher.len()).unwrap_or(usize::MAX);
        hasher.update(&chunk[..chunk.len().min(wanted)]);
    }
    if hasher.len() < row.received {
        return Err(BlobError::StagedTooShort {
            staged: hasher.len(),
        }
        .into());
    }
    Ok(Some(hasher))
}

/// The next item of a stream (no `StreamExt` without another crate).
async fn next<S>(stream: &mut S) -> Option<S::Item>
where
    S: futures_core::Stream + Unpin + ?Sized,
{
    std::future::poll_fn(|cx| std::pin::Pin::new(&mut *stream).poll_next(cx)).await
}
