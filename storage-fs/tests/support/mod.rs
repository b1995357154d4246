//! Helpers shared by the storage-fs tests.
#![allow(dead_code)] // each test file uses its own subset

use std::future::poll_fn;
use std::path::{Path, PathBuf};

use bytes::Bytes;
use ecr_impl::store::blobs::{
    BlobError, BlobStore, ByteStream, Sha256Digest, Sha256Hasher, Sha256Writer, UploadId,
};
use sha2::Digest as _;

/// `len` pseudo-random bytes, the same for the same `seed` (xorshift64*).
pub fn pattern(seed: u64, len: usize) -> Vec<u8> {
    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut bytes = Vec::with_capacity(len + 8);
    while bytes.len() < len {
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        bytes.extend_from_slice(&state.wrapping_mul(0x2545_F491_4F6C_DD1D).to_le_bytes());
    }
    bytes.truncate(len);
    bytes
}

/// The digest of `bytes` computed by sha2 directly, not by the code under test.
pub fn oracle_digest(bytes: &[u8]) -> Sha256Digest {
    Sha256Digest::from_bytes(sha2::Sha256::digest(bytes).into())
}

/// Every chunk of `stream`, concatenated.
pub async fn collect(mut stream: ByteStream) -> Result<Vec<u8>, BlobError> {
    let mut bytes = Vec::new();
    while let Some(chunk) = next(&mut stream).await {
        bytes.extend_from_slice(&chunk?);
    }
    Ok(bytes)
}

pub async fn next(stream: &mut ByteStream) -> Option<Result<Bytes, BlobError>> {
    poll_fn(|cx| stream.as_mut().poll_next(cx)).await
}

/// Stages `bytes` under a new upload in chunks of `chunk` bytes, syncs, and returns the
/// upload and the digest computed while writing (not yet published).
pub async fn stage_all(
    store: &dyn BlobStore,
    bytes: &[u8],
    chunk: usize,
) -> (UploadId, Sha256Digest) {
    let upload = UploadId::random();
    let staged = store.stage(&upload, 0).await.expect("stage");
    let mut writer = Sha256Writer::new(staged, Sha256Hasher::new());
    for part in bytes.chunks(chunk) {
        writer
            .append(Bytes::copy_from_slice(part))
            .await
            .expect("append");
    }
    let hasher = writer.sync().await.expect("sync");
    assert_eq!(hasher.len(), bytes.len() as u64);
    (upload, hasher.digest())
}

/// Stages, publishes and discards `bytes` as a blob; returns its digest.
pub async fn put(store: &dyn BlobStore, bytes: &[u8]) -> Sha256Digest {
    let (upload, digest) = stage_all(store, bytes, 64 * 1024).await;
    store.publish(&upload, &digest).await.expect("publish");
    store.discard(&upload).await.expect("discard");
    digest
}

/// Every file below `dir`, relative to it, sorted.
pub fn files_under(dir: &Path) -> Vec<PathBuf> {
    fn walk(root: &Path, dir: &Path, into: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).expect("read_dir") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                walk(root, &path, into);
            } else {
                into.push(path.strip_prefix(root).expect("below root").to_path_buf());
            }
        }
    }
    let mut files = Vec::new();
    if dir.exists() {
        walk(dir, dir, &mut files);
    }
    files.sort();
    files
}

/// Where the store keeps blob `digest`, relative to its root.
pub fn blob_file(digest: &Sha256Digest) -> PathBuf {
    let hex = digest.hex();
    PathBuf::from("blobs/sha256").join(&hex[..2]).join(hex)
}
