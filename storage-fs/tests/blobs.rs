//! The filesystem blob store: round trips, ranges, dedup, concurrency, crashes, restarts.

mod support;

use std::os::unix::fs::MetadataExt;
use std::path::PathBuf;
use std::sync::Arc;

use bytes::Bytes;
use ecr_impl::store::blobs::{
    BlobError, BlobStore, Sha256Digest, Sha256Hasher, Sha256Writer, UploadId,
};
use storage_fs::{FsBlobStore, READ_CHUNK_BYTES, WRITE_CHUNK_BYTES};
use support::{blob_file, collect, files_under, next, oracle_digest, pattern, put, stage_all};

#[tokio::test]
async fn a_blob_reads_back_byte_for_byte_under_its_digest() {
    let store = FsBlobStore::temporary().unwrap();
    // Crosses the write chunk several times, with chunks smaller and larger than it.
    let bytes = pattern(1, 3 * WRITE_CHUNK_BYTES + 12_345);
    let upload = UploadId::random();
    let mut writer = Sha256Writer::new(store.stage(&upload, 0).await.unwrap(), Sha256Hasher::new());
    let mut at = 0;
    for (n, size) in [7, 1000, 65_536, 2 * WRITE_CHUNK_BYTES, 1]
        .iter()
        .cycle()
        .enumerate()
    {
        if at == bytes.len() || n > 1000 {
            break;
        }
        let end = (at + size).min(bytes.len());
        writer
            .append(Bytes::copy_from_slice(&bytes[at..end]))
            .await
            .unwrap();
        at = end;
    }
    assert_eq!(at, bytes.len());
    let hasher = writer.sync().await.unwrap();
    let digest = hasher.digest();
    assert_eq!(digest, oracle_digest(&bytes), "hashed once, on the way in");
    assert_eq!(hasher.len(), bytes.len() as u64);

    store.publish(&upload, &digest).await.unwrap();
    let mut stream = store.open(&digest, 0..bytes.len() as u64).await.unwrap();
    let mut read = Vec::new();
    while let Some(chunk) = next(&mut stream).await {
        let chunk = chunk.unwrap();
        assert!(
            chunk.len() <= READ_CHUNK_BYTES,
            "a chunk of {}",
            chunk.len()
        );
        read.extend_from_slice(&chunk);
    }
    assert!(read == bytes, "every byte read back");
    // On disk: one file, named by the digest, holding exactly the bytes; nothing staged.
    assert_eq!(files_under(store.root()), vec![blob_file(&digest)]);
    assert!(std::fs::read(store.root().join(blob_file(&digest))).unwrap() == bytes);
    store.discard(&upload).await.unwrap();
    assert_eq!(store.blobs_after(None, 10).await.unwrap(), vec![digest]);
}

#[tokio::test]
async fn an_empty_blob_round_trips() {
    let store = FsBlobStore::temporary().unwrap();
    let digest = put(&store, b"").await;
    assert_eq!(digest, oracle_digest(b""));
    assert_eq!(
        collect(store.open(&digest, 0..0).await.unwrap()).await,
        Ok(vec![])
    );
    assert_eq!(
        store.open(&digest, 0..1).await.err(),
        Some(BlobError::RangeNotSatisfiable { len: 0 })
    );
}

#[tokio::test]
async fn ranges_read_exactly_their_bytes_and_out_of_range_is_an_error() {
    let store = FsBlobStore::temporary().unwrap();
    let bytes = pattern(2, READ_CHUNK_BYTES * 4 + 3);
    let digest = put(&store, &bytes).await;
    let len = bytes.len() as u64;
    let middle = len / 2;
    for range in [
        0..100,
        0..len,
        middle..middle + 1000,
        middle - READ_CHUNK_BYTES as u64..middle + READ_CHUNK_BYTES as u64 + 1,
        len - 10..len,
        len - 1..len,
        5..5,
        len..len,
    ] {
        let read = collect(store.open(&digest, range.clone()).await.unwrap())
            .await
            .unwrap();
        let want = &bytes[range.start as usize..range.end as usize];
        assert!(
            read == want,
            "{range:?}: {} bytes read, {} wanted",
            read.len(),
            want.len()
        );
    }
    #[allow(clippy::reversed_empty_ranges)]
    let refused = [
        len..len + 1,
        0..len + 1,
        len + 1..len + 2,
        u64::MAX - 1..u64::MAX,
        10..5,
    ];
    for range in refused {
        assert_eq!(
            store.open(&digest, range.clone()).await.err(),
            Some(BlobError::RangeNotSatisfiable { len }),
            "{range:?}"
        );
    }
    let absent = oracle_digest(b"never stored");
    assert_eq!(
        store.open(&absent, 0..0).await.err(),
        Some(BlobError::NotFound)
    );
}

#[tokio::test]
async fn publishing_bytes_already_stored_keeps_the_blob_as_it_is() {
    let store = FsBlobStore::temporary().unwrap();
    let bytes = pattern(3, 100_000);
    let digest = put(&store, &bytes).await;
    let path = store.root().join(blob_file(&digest));
    let inode = std::fs::metadata(&path).unwrap().ino();

    let (again, same) = stage_all(&store, &bytes, 4096).await;
    assert_eq!(same, digest);
    store.publish(&again, &digest).await.unwrap();
    assert_eq!(
        std::fs::metadata(&path).unwrap().ino(),
        inode,
        "not replaced"
    );
    // The second upload's bytes stay staged until discarded.
    assert_eq!(store.uploads_after(None, 10).await.unwrap(), vec![again]);
    store.discard(&again).await.unwrap();
    assert_eq!(files_under(store.root()), vec![blob_file(&digest)]);
    // Repeated after a crash, with nothing staged any more: the blob is there, so it succeeds.
    assert_eq!(store.publish(&again, &digest).await, Ok(()));
    assert!(
        collect(store.open(&digest, 0..bytes.len() as u64).await.unwrap())
            .await
            .unwrap()
            == bytes
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_publishes_of_one_digest_leave_one_whole_blob() {
    let store = Arc::new(FsBlobStore::temporary().unwrap());
    let bytes = Arc::new(pattern(4, 4 * WRITE_CHUNK_BYTES + 17));
    let mut staged = Vec::new();
    for _ in 0..16 {
        staged.push(stage_all(store.as_ref(), &bytes, 100_000).await);
    }
    // The publishers and one reader start together.
    let barrier = Arc::new(tokio::sync::Barrier::new(staged.len() + 1));
    let tasks: Vec<_> = staged
        .into_iter()
        .map(|(upload, digest)| {
            let (store, barrier) = (store.clone(), barrier.clone());
            tokio::spawn(async move {
                barrier.wait().await;
                store.publish(&upload, &digest).await?;
                store.discard(&upload).await?;
                Ok::<_, BlobError>(digest)
            })
        })
        .collect();
    // Meanwhile a reader finds either no blob or all of it, never a part.
    let digest = oracle_digest(&bytes);
    let reader = {
        let (store, bytes, barrier) = (store.clone(), bytes.clone(), barrier.clone());
        tokio::spawn(async move {
            let len = bytes.len() as u64;
            barrier.wait().await;
            let mut whole_reads = 0;
            for _ in 0..10_000 {
                match store.open(&digest, 0..len).await {
                    Err(BlobError::NotFound) => tokio::task::yield_now().await,
                    opened => {
                        let read = collect(opened.expect("the whole blob")).await;
                        assert!(read.expect("every byte") == *bytes, "a whole blob");
                        whole_reads += 1;
                        if whole_reads == 5 {
                            break;
                        }
                    }
                }
            }
            whole_reads
        })
    };
    for task in tasks {
        assert_eq!(task.await.unwrap(), Ok(digest));
    }
    assert!(reader.await.unwrap() > 0, "the reader saw the blob");
    assert_eq!(files_under(store.root()), vec![blob_file(&digest)]);
    let read = collect(store.open(&digest, 0..bytes.len() as u64).await.unwrap())
        .await
        .unwrap();
    assert!(read == *bytes);
}

/// A crash before publish: the staged bytes, synced or not, never show under `blobs/`; the
/// synced ones are still staged after the restart and the upload can go on.
#[tokio::test]
async fn a_crash_before_publish_shows_no_blob_and_the_upload_goes_on_after_restart() {
    let dir = tempfile::tempdir().unwrap();
    let bytes = pattern(5, 3 * WRITE_CHUNK_BYTES);
    let acknowledged = 2 * WRITE_CHUNK_BYTES + 5;
    let upload = UploadId::random();
    {
        let store = FsBlobStore::open(dir.path()).unwrap();
        let mut writer =
            Sha256Writer::new(store.stage(&upload, 0).await.unwrap(), Sha256Hasher::new());
        writer
            .append(Bytes::copy_from_slice(&bytes[..acknowledged]))
            .await
            .unwrap();
        assert_eq!(writer.sync().await.unwrap().len(), acknowledged as u64);
        // A part that was being written, never acknowledged, when the process died.
        let mut staged = store.stage(&upload, acknowledged as u64).await.unwrap();
        staged
            .append(Bytes::copy_from_slice(&bytes[acknowledged..]))
            .await
            .unwrap();
        staged.sync().await.unwrap();
        // The crash: nothing else runs; the store and the open upload are simply gone.
        drop(staged);
    }
    let blobs = dir.path().join("blobs");
    assert_eq!(
        files_under(&blobs),
        Vec::<PathBuf>::new(),
        "nothing under blobs/"
    );

    let store = FsBlobStore::open(dir.path()).unwrap();
    assert_eq!(files_under(&blobs), Vec::<PathBuf>::new());
    assert_eq!(store.blobs_after(None, 10).await.unwrap(), vec![]);
    assert_eq!(store.uploads_after(None, 10).await.unwrap(), vec![upload]);
    assert_eq!(
        store.open(&oracle_digest(&bytes), 0..0).await.err(),
        Some(BlobError::NotFound)
    );
    // The upload goes on from its acknowledged length: the hasher is rebuilt from the
    // staged bytes, the unacknowledged ones are dropped by staging at that length.
    let mut staged = store.stage(&upload, acknowledged as u64).await.unwrap();
    staged.sync().await.unwrap();
    let hasher = Sha256Hasher::of_stream(store.read_staged(&upload).await.unwrap())
        .await
        .unwrap();
    assert_eq!(hasher.len(), acknowledged as u64);
    assert_eq!(hasher.digest(), oracle_digest(&bytes[..acknowledged]));
    let mut writer = Sha256Writer::new(staged, hasher);
    let rest = pattern(6, 1000);
    writer.append(Bytes::copy_from_slice(&rest)).await.unwrap();
    let digest = writer.sync().await.unwrap().digest();
    let whole = [&bytes[..acknowledged], &rest[..]].concat();
    assert_eq!(digest, oracle_digest(&whole));
    store.publish(&upload, &digest).await.unwrap();
    let read = collect(store.open(&digest, 0..whole.len() as u64).await.unwrap())
        .await
        .unwrap();
    assert!(read == whole);
}

#[tokio::test]
async fn staged_and_published_bytes_survive_reopening_the_directory() {
    let dir = tempfile::tempdir().unwrap();
    let blob = pattern(7, 300_000);
    let partial = pattern(8, 200_000);
    let (digest, upload) = {
        let store = FsBlobStore::open(dir.path()).unwrap();
        let digest = put(&store, &blob).await;
        let (upload, _) = stage_all(&store, &partial, 50_000).await;
        (digest, upload)
    };
    let store = FsBlobStore::open(dir.path()).unwrap();
    assert_eq!(store.blobs_after(None, 10).await.unwrap(), vec![digest]);
    assert_eq!(store.uploads_after(None, 10).await.unwrap(), vec![upload]);
    assert!(
        collect(store.open(&digest, 0..blob.len() as u64).await.unwrap())
            .await
            .unwrap()
            == blob
    );
    assert!(
        collect(store.read_staged(&upload).await.unwrap())
            .await
            .unwrap()
            == partial
    );
}

#[tokio::test]
async fn staging_at_an_offset_checks_what_is_durable() {
    let store = FsBlobStore::temporary().unwrap();
    let unknown = UploadId::random();
    assert_eq!(
        store.stage(&unknown, 5).await.err(),
        Some(BlobError::UploadNotFound)
    );
    assert_eq!(
        store.read_staged(&unknown).await.err(),
        Some(BlobError::UploadNotFound)
    );
    assert_eq!(
        store.publish(&unknown, &oracle_digest(b"x")).await,
        Err(BlobError::UploadNotFound)
    );
    assert_eq!(store.discard(&unknown).await, Ok(()));

    let bytes = pattern(9, 10_000);
    let (upload, _) = stage_all(&store, &bytes, 1000).await;
    assert_eq!(
        store.stage(&upload, 10_001).await.err(),
        Some(BlobError::StagedTooShort { staged: 10_000 })
    );
    // A rejected part: staging again at the acknowledged length drops its bytes.
    let mut staged = store.stage(&upload, 4000).await.unwrap();
    assert_eq!(staged.sync().await, Ok(4000));
    drop(staged);
    assert!(
        collect(store.read_staged(&upload).await.unwrap())
            .await
            .unwrap()
            == bytes[..4000]
    );
    // Staging at 0 starts the upload over.
    let mut staged = store.stage(&upload, 0).await.unwrap();
    assert_eq!(staged.sync().await, Ok(0));
    assert_eq!(
        collect(store.read_staged(&upload).await.unwrap()).await,
        Ok(vec![])
    );
}

#[tokio::test]
async fn deleted_blobs_are_gone() {
    let store = FsBlobStore::temporary().unwrap();
    let kept = put(&store, b"kept").await;
    let deleted = put(&store, b"deleted").await;
    store.delete(&deleted).await.unwrap();
    assert_eq!(
        store.open(&deleted, 0..0).await.err(),
        Some(BlobError::NotFound)
    );
    assert_eq!(
        store.delete(&deleted).await,
        Ok(()),
        "deleting twice is fine"
    );
    assert_eq!(store.blobs_after(None, 10).await.unwrap(), vec![kept]);
}

#[tokio::test]
async fn listings_page_in_order() {
    let store = FsBlobStore::temporary().unwrap();
    // Enough blobs that many share a prefix folder, so pages start and end inside one.
    let mut digests = Vec::new();
    for seed in 0..150 {
        digests.push(put(&store, &pattern(seed, 100)).await);
    }
    digests.sort();
    let mut listed = Vec::new();
    loop {
        let page = store.blobs_after(listed.last(), 7).await.unwrap();
        assert!(page.len() <= 7);
        if page.is_empty() {
            break;
        }
        listed.extend(page);
    }
    assert_eq!(listed, digests);
    assert_eq!(store.blobs_after(None, 0).await.unwrap(), vec![]);

    let mut uploads = Vec::new();
    for seed in 0..9 {
        uploads.push(stage_all(&store, &pattern(seed, 10), 10).await.0);
    }
    uploads.sort();
    let first = store.uploads_after(None, 4).await.unwrap();
    assert_eq!(first, uploads[..4]);
    let rest = store.uploads_after(first.last(), 100).await.unwrap();
    assert_eq!(rest, uploads[4..]);
}

#[tokio::test]
async fn reopening_sweeps_leftovers_and_keeps_everything_named_right() {
    let dir = tempfile::tempdir().unwrap();
    let (digest, upload) = {
        let store = FsBlobStore::open(dir.path()).unwrap();
        let digest = put(&store, b"a blob").await;
        let (upload, _) = stage_all(&store, b"staged", 3).await;
        (digest, upload)
    };
    let root = dir.path();
    let hex = digest.hex();
    let other = oracle_digest(b"misplaced").hex();
    let misplaced_prefix = if other.starts_with(&hex[..2]) {
        "00"
    } else {
        &hex[..2]
    };
    let leftovers = [
        PathBuf::from(format!("uploads/{upload}.tmp")),
        PathBuf::from(format!("uploads/{}", upload.to_string().to_uppercase())),
        PathBuf::from("uploads/.part-1"),
        PathBuf::from(format!("blobs/sha256/{}/.{hex}.tmp", &hex[..2])),
        PathBuf::from(format!("blobs/sha256/{}/{}", &hex[..2], hex.to_uppercase())),
        PathBuf::from(format!("blobs/sha256/{misplaced_prefix}/{other}")),
    ];
    for leftover in &leftovers {
        std::fs::create_dir_all(root.join(leftover).parent().unwrap()).unwrap();
        std::fs::write(root.join(leftover), b"half").unwrap();
    }
    // Not this store's to judge: left alone.
    let foreign = [
        PathBuf::from("blobs/sha256/zz/file"),
        PathBuf::from("uploads/folder/file"),
    ];
    for path in &foreign {
        std::fs::create_dir_all(root.join(path).parent().unwrap()).unwrap();
        std::fs::write(root.join(path), b"keep").unwrap();
    }
    let store = FsBlobStore::open(root).unwrap();
    let mut expected = vec![
        blob_file(&digest),
        PathBuf::from(format!("uploads/{upload}")),
    ];
    expected.extend(foreign);
    expected.sort();
    assert_eq!(files_under(root), expected);
    assert_eq!(store.sweep().unwrap(), 0, "nothing left to sweep");
    assert_eq!(
        collect(store.open(&digest, 0..6).await.unwrap()).await,
        Ok(b"a blob".to_vec())
    );
    assert_eq!(
        collect(store.read_staged(&upload).await.unwrap()).await,
        Ok(b"staged".to_vec())
    );
}

#[tokio::test]
async fn a_temporary_store_is_removed_with_everything_in_it_when_dropped() {
    let store = FsBlobStore::temporary().unwrap();
    let root = store.root().to_path_buf();
    put(&store, &pattern(10, 1000)).await;
    stage_all(&store, b"staged", 6).await;
    assert!(root.join("blobs/sha256").is_dir() && root.join("uploads").is_dir());
    drop(store);
    assert!(!root.exists(), "{} still exists", root.display());
}

/// File names come only from validated upload ids and digests: a whole upload creates
/// exactly `uploads/<id>` then `blobs/sha256/<2 hex>/<64 hex>`, and a text that could
/// escape the directory is not an upload id or a digest at all.
#[tokio::test]
async fn file_names_come_only_from_upload_ids_and_digests() {
    let store = FsBlobStore::temporary().unwrap();
    let upload: UploadId = "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0".parse().unwrap();
    let mut staged = store.stage(&upload, 0).await.unwrap();
    staged.append(Bytes::from_static(b"layer")).await.unwrap();
    staged.sync().await.unwrap();
    drop(staged);
    assert_eq!(
        files_under(store.root()),
        vec![PathBuf::from(
            "uploads/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"
        )]
    );
    let digest = oracle_digest(b"layer");
    store.publish(&upload, &digest).await.unwrap();
    assert_eq!(files_under(store.root()), vec![blob_file(&digest)]);

    for evil in [
        "../x",
        "..",
        "/etc/passwd",
        "%2e%2e%2f",
        "a/b",
        "..%2F..%2Fetc",
    ] {
        assert!(evil.parse::<UploadId>().is_err(), "{evil}");
        assert!(evil.parse::<Sha256Digest>().is_err(), "{evil}");
        assert!(
            format!("sha256:{evil}").parse::<Sha256Digest>().is_err(),
            "{evil}"
        );
    }
}
