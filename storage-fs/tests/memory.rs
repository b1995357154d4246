//! A 100 MiB blob streamed in, published and streamed out with flat memory. Alone in its
//! test binary, so no other test's allocations move the resident set it measures.

mod support;

use std::time::Instant;

use bytes::Bytes;
use ecr_impl::store::blobs::{BlobStore, Sha256Hasher, Sha256Writer, UploadId};
use sha2::Digest as _;
use storage_fs::FsBlobStore;
use support::next;

const BLOB_BYTES: usize = 100 * 1024 * 1024;
/// What a client sends at a time (ECR's part size is 10 MiB; a body arrives in smaller frames).
const FRAME_BYTES: usize = 256 * 1024;
/// The bound on RSS growth while a 100 MiB layer goes through.
const MAX_RSS_GROWTH_BYTES: u64 = 64 * 1024 * 1024;

/// The resident set of this process, from /proc/self/statm (its second field, in pages).
fn resident_bytes() -> u64 {
    let statm = std::fs::read_to_string("/proc/self/statm").expect("/proc/self/statm");
    let pages: u64 = statm
        .split_whitespace()
        .nth(1)
        .and_then(|field| field.parse().ok())
        .expect("statm's resident field");
    // SAFETY: sysconf only reads a system constant.
    let page_size = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    pages * u64::try_from(page_size).expect("a page size")
}

/// Frame `n` of the blob: a copy of `base` with `n` in its first bytes, made anew each time
/// (as from a socket) and distinct per frame.
fn frame(base: &[u8], n: usize) -> Bytes {
    let mut bytes = base.to_vec();
    bytes[..8].copy_from_slice(&(n as u64).to_le_bytes());
    Bytes::from(bytes)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_100_mib_blob_streams_through_in_flat_memory() {
    let store = FsBlobStore::temporary().unwrap();
    let frames = BLOB_BYTES / FRAME_BYTES;
    let base = support::pattern(11, FRAME_BYTES);
    let before = resident_bytes();
    let mut peak = before;
    let started = Instant::now();

    let upload = UploadId::random();
    let mut writer = Sha256Writer::new(store.stage(&upload, 0).await.unwrap(), Sha256Hasher::new());
    let mut oracle = sha2::Sha256::new();
    for n in 0..frames {
        let frame = frame(&base, n);
        oracle.update(&frame);
        writer.append(frame).await.unwrap();
        peak = peak.max(resident_bytes());
    }
    let digest = writer.sync().await.unwrap().digest();
    let written = started.elapsed();
    assert_eq!(digest.as_bytes()[..], oracle.finalize()[..]);
    store.publish(&upload, &digest).await.unwrap();

    let mut stream = store.open(&digest, 0..BLOB_BYTES as u64).await.unwrap();
    let mut read = 0;
    let mut expected = frame(&base, 0);
    while let Some(chunk) = next(&mut stream).await {
        let chunk = chunk.unwrap();
        // Compare with the frames that were written, byte for byte.
        for (at, byte) in chunk.iter().enumerate() {
            let offset = read + at;
            if offset % FRAME_BYTES == 0 {
                expected = frame(&base, offset / FRAME_BYTES);
            }
            assert_eq!(*byte, expected[offset % FRAME_BYTES], "byte {offset}");
        }
        read += chunk.len();
        peak = peak.max(resident_bytes());
    }
    assert_eq!(read, BLOB_BYTES);
    let growth = peak - before;
    println!(
        "100 MiB: written and hashed in {written:?}, total {:?}; RSS {} MiB before, growth {:.1} MiB",
        started.elapsed(),
        before / (1024 * 1024),
        growth as f64 / (1024.0 * 1024.0)
    );
    // Generous: a streaming store grows by a few MiB; one that buffers grows by 100.
    assert!(growth < MAX_RSS_GROWTH_BYTES, "RSS grew by {growth} bytes");
}
