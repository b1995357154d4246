//! The in-memory [`BlobStore`], for tests and in-process use: blobs live as long as the
//! value. (The server keeps blobs on disk, in a temporary directory without `--data-dir`,
//! so its memory does not grow with layer sizes.)

use std::collections::{BTreeMap, HashMap};
use std::ops::{Bound, Range};
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};

use bytes::{Bytes, BytesMut};
use futures_core::Stream;

use super::blobs::{BlobError, BlobFuture, BlobStore, ByteStream, Sha256Digest, Staged, UploadId};

/// Blobs and staged uploads in memory.
#[derive(Debug, Default)]
pub struct MemoryBlobs {
    blobs: Mutex<BTreeMap<Sha256Digest, Bytes>>,
    staged: Arc<Mutex<HashMap<UploadId, BytesMut>>>,
}

impl MemoryBlobs {
    pub fn new() -> MemoryBlobs {
        MemoryBlobs::default()
    }

    fn staged(&self) -> std::sync::MutexGuard<'_, HashMap<UploadId, BytesMut>> {
        self.staged.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn blobs(&self) -> std::sync::MutexGuard<'_, BTreeMap<Sha256Digest, Bytes>> {
        self.blobs.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

fn ready<'a, T: Send + 'a>(result: Result<T, BlobError>) -> BlobFuture<'a, T> {
    Box::pin(std::future::ready(result))
}

/// A stream of one chunk (none when it is empty).
struct Once(Option<Bytes>);

impl Stream for Once {
    type Item = Result<Bytes, BlobError>;

    fn poll_next(mut self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        Poll::Ready(self.0.take().filter(|bytes| !bytes.is_empty()).map(Ok))
    }
}

fn once(bytes: Bytes) -> ByteStream {
    Box::pin(Once(Some(bytes)))
}

/// An upload being appended to, straight into the shared staging table.
struct MemoryStaged {
    staged: Arc<Mutex<HashMap<UploadId, BytesMut>>>,
    upload: UploadId,
}

impl Staged for MemoryStaged {
    fn append(&mut self, chunk: Bytes) -> BlobFuture<'_, ()> {
        let mut staged = self.staged.lock().unwrap_or_else(PoisonError::into_inner);
        let result = match staged.get_mut(&self.upload) {
            Some(bytes) => {
                bytes.extend_from_slice(&chunk);
                Ok(())
            }
            None => Err(BlobError::UploadNotFound),
        };
        ready(result)
    }

    fn sync(&mut self) -> BlobFuture<'_, u64> {
        let staged = self.staged.lock().unwrap_or_else(PoisonError::into_inner);
        let result = staged
            .get(&self.upload)
            .map(|bytes| bytes.len() as u64)
            .ok_or(BlobError::UploadNotFound);
        ready(result)
    }
}

impl BlobStore for MemoryBlobs {
    fn stage<'a>(&'a self, upload: &'a UploadId, offset: u64) -> BlobFuture<'a, Box<dyn Staged>> {
        let mut staged = self.staged();
        let result = match (staged.get_mut(upload), offset) {
            (_, 0) => {
                staged.insert(*upload, BytesMut::new());
                Ok(())
            }
            (None, _) => Err(BlobError::UploadNotFound),
            (Some(bytes), offset) if (bytes.len() as u64) < offset => {
                Err(BlobError::StagedTooShort {
                    staged: bytes.len() as u64,
                })
            }
            (Some(bytes), offset) => {
                // Bytes past what the caller acknowledged are dropped.
                bytes.truncate(offset as usize);
                Ok(())
            }
        };
        ready(result.map(|()| {
            Box::new(MemoryStaged {
                staged: self.staged.clone(),
                upload: *upload,
            }) as Box<dyn Staged>
        }))
    }

    fn read_staged<'a>(&'a self, upload: &'a UploadId) -> BlobFuture<'a, ByteStream> {
        let result = self
            .staged()
            .get(upload)
            .map(|bytes| once(Bytes::copy_from_slice(bytes)))
            .ok_or(BlobError::UploadNotFound);
        ready(result)
    }

    fn publish<'a>(&'a self, upload: &'a UploadId, digest: &'a Sha256Digest) -> BlobFuture<'a, ()> {
        if self.blobs().contains_key(digest) {
            return ready(Ok(()));
        }
        let result = match self.staged().get(upload) {
            Some(bytes) => {
                self.blobs().insert(*digest, Bytes::copy_from_slice(bytes));
                Ok(())
            }
            None => Err(BlobError::UploadNotFound),
        };
        ready(result)
    }

    fn discard<'a>(&'a self, upload: &'a UploadId) -> BlobFuture<'a, ()> {
        self.staged().remove(upload);
        ready(Ok(()))
    }

    fn open<'a>(
        &'a self,
        digest: &'a Sha256Digest,
        range: Range<u64>,
    ) -> BlobFuture<'a, ByteStream> {
        let result = match self.blobs().get(digest) {
            None => Err(BlobError::NotFound),
            Some(bytes) => {
                let len = bytes.len() as u64;
                if range.start > range.end || range.end > len {
                    Err(BlobError::RangeNotSatisfiable { len })
                } else {
                    Ok(once(bytes.slice(range.start as usize..range.end as usize)))
                }
            }
        };
        ready(result)
    }

    fn delete<'a>(&'a self, digest: &'a Sha256Digest) -> BlobFuture<'a, ()> {
        self.blobs().remove(digest);
        ready(Ok(()))
    }

    fn blobs_after<'a>(
        &'a self,
        after: Option<&'a Sha256Digest>,
        limit: usize,
    ) -> BlobFuture<'a, Vec<Sha256Digest>> {
        let start = after.map_or(Bound::Unbounded, Bound::Excluded);
        let page = self
            .blobs()
            .range::<Sha256Digest, _>((start, Bound::Unbounded))
            .take(limit)
            .map(|(digest, _)| *digest)
            .collect();
        ready(Ok(page))
    }

    fn uploads_after<'a>(
        &'a self,
        after: Option<&'a UploadId>,
        limit: usize,
    ) -> BlobFuture<'a, Vec<UploadId>> {
        let mut ids: Vec<UploadId> = self
            .staged()
            .keys()
            .filter(|id| after.is_none_or(|after| *id > after))
            .copied()
            .collect();
        ids.sort();
        ids.truncate(limit);
        ready(Ok(ids))
    }
}
