//! The pieces of the layer functions that the operations' tests (`tests/layers.rs`) cannot
//! see: the keyed locks and the hasher's rebuild.

use berth_runtime::Timestamp;
use bytes::Bytes;

use super::*;
use crate::store::memory_blobs::MemoryBlobs;

#[tokio::test]
async fn a_keyed_lock_excludes_and_is_dropped_once_free() {
    let locks: Arc<KeyedLocks<u32>> = Arc::default();
    let first = locks.lock(1).await;
    // Another key is free meanwhile.
    drop(locks.lock(2).await);
    let waiter = {
        let locks = locks.clone();
        tokio::spawn(async move {
            let _second = locks.lock(1).await;
        })
    };
    for _ in 0..10 {
        tokio::task::yield_now().await;
    }
    assert!(
        !waiter.is_finished(),
        "the second holder waits for the first"
    );
    assert_eq!(locks.len(), 1);
    drop(first);
    waiter.await.unwrap();
    assert_eq!(locks.len(), 0, "no lock is kept for a key nobody wants");
}

fn row(id: UploadId, received: u64) -> UploadRow {
    UploadRow {
        id,
        repository: crate::store::meta::RepoId(1),
        received,
        parts: 1,
        last_part_size: received,
        short_part: false,
        started_at: Timestamp::from_epoch_millis(0),
    }
}

#[tokio::test]
async fn the_hasher_is_rebuilt_from_the_acknowledged_bytes_only() {
    let blobs = MemoryBlobs::new();
    let id = UploadId::random();
    let mut staged = blobs.stage(&id, 0).await.unwrap();
    staged
        .append(Bytes::from_static(b"acknowledged"))
        .await
        .unwrap();
    staged
        .append(Bytes::from_static(b" and not"))
        .await
        .unwrap();
    staged.sync().await.unwrap();
    drop(staged);

    // No hasher in memory (a restart), or one for another length: rebuilt.
    let acknowledged = row(id, 12);
    for session in [
        Session::default(),
        Session {
            hasher: Some(Sha256Hasher::new()),
        },
    ] {
        let hasher = hasher_for(&blobs, &session, &acknowledged).await.unwrap();
        assert_eq!(hasher.digest(), Sha256Digest::of(b"acknowledged"));
        assert_eq!(hasher.len(), 12);
    }
    // One that covers the acknowledged bytes is used as is (its bytes are not re-read).
    let mut kept = Sha256Hasher::new();
    kept.update(b"twelve bytes");
    let session = Session {
        hasher: Some(kept.clone()),
    };
    let hasher = hasher_for(&blobs, &session, &acknowledged).await.unwrap();
    assert_eq!(hasher.digest(), kept.digest());

    // Fewer bytes staged than acknowledged: a server fault, not a wrong digest.
    let error = hasher_for(&blobs, &Session::default(), &row(id, 100))
        .await
        .unwrap_err();
    assert!(matches!(error, LayerError::Store(_)), "{error:?}");
}
