//! The pieces of the layer functions that the operations' tests (`tests/layers.rs`) cannot
//! see: the keyed locks and the hasher's rebuild.

use berth_runtime::Timestamp;
use bytes::Bytes;
use ecr_generated::types::RepositoryName;

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
        let hasher = hasher_for(&blobs, &session, &acknowledged)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(hasher.digest(), Sha256Digest::of(b"acknowledged"));
        assert_eq!(hasher.len(), 12);
    }
    // One that covers the acknowledged bytes is used as is (its bytes are not re-read).
    let mut kept = Sha256Hasher::new();
    kept.update(b"twelve bytes");
    let session = Session {
        hasher: Some(kept.clone()),
    };
    let hasher = hasher_for(&blobs, &session, &acknowledged)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(hasher.digest(), kept.digest());

    // Fewer bytes staged than acknowledged: a server fault, not a wrong digest.
    let error = hasher_for(&blobs, &Session::default(), &row(id, 100))
        .await
        .unwrap_err();
    assert!(matches!(error, LayerError::Store(_)), "{error:?}");

    // Nothing staged at all (published, then a crash before the upload's end was
    // committed): no hasher, so the caller ends the upload.
    let published = hasher_for(&blobs, &Session::default(), &row(UploadId::random(), 12))
        .await
        .unwrap();
    assert!(published.is_none());
}

/// A Berth in memory with repository `app` in the caller's registry.
async fn ecr_with_repository() -> (crate::Ecr, crate::store::Scope, RepositoryName) {
    use berth_runtime::RequestContext;
    use berth_runtime::protocol::Request;
    use ecr_generated::operations::SERVICE;

    let ecr = crate::Ecr::in_memory();
    let mut ctx = RequestContext {
        account_id: "123456789012".into(),
        region: "us-east-1".into(),
        request_id: "r".into(),
        operation: "",
        endpoint: String::new(),
    };
    let target = format!("{}.CreateRepository", SERVICE.target_prefix);
    let request = Request {
        target: Some(&target),
        content_type: Some(SERVICE.content_type),
        body: br#"{"repositoryName":"app"}"#,
    };
    assert_eq!(ecr.handle(&mut ctx, request).await.status, 200);
    let scope = crate::store::Scope::of_caller(&ctx).unwrap();
    (ecr, scope, RepositoryName::try_from("app").unwrap())
}

/// A body of several chunks, then maybe a failure (a client whose connection drops).
struct Chunks(std::collections::VecDeque<Result<Bytes, &'static str>>);

impl futures_core::Stream for Chunks {
    type Item = Result<Bytes, &'static str>;

    fn poll_next(
        mut self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Self::Item>> {
        std::task::Poll::Ready(self.0.pop_front())
    }
}

fn chunks(items: &[Result<&'static [u8], &'static str>]) -> Chunks {
    Chunks(
        items
            .iter()
            .map(|item| item.map(Bytes::from_static))
            .collect(),
    )
}

/// The `/v2` side of `append`: a streamed body in many chunks, at wherever the upload is.
#[tokio::test]
async fn streamed_bodies_append_at_the_end_and_a_failing_one_acknowledges_nothing() {
    let (ecr, scope, name) = ecr_with_repository().await;
    let stores = ecr.layer_stores();
    let now = Timestamp::from_epoch_millis(1_700_000_000_000);
    let id = initiate(stores, &scope, &name, now).await.unwrap();
    let anywhere = Part {
        first_byte: None,
        last_byte: None,
    };

    let body = chunks(&[Ok(b"first "), Ok(b""), Ok(b"chunks")]);
    let appended = append(stores, &scope, &name, id, anywhere, body).await;
    assert_eq!(appended, Ok(Appended { received: 12 }));
    // A body that fails midway: nothing of it counts.
    let body = chunks(&[Ok(b" lost"), Err("connection reset")]);
    let failed = append(stores, &scope, &name, id, anywhere, body).await;
    assert_eq!(failed, Err(LayerError::Body("connection reset".into())));
    assert_eq!(received(stores, &scope, &name, id).await, Ok(12));
    // An empty body counts no part.
    let empty = append(stores, &scope, &name, id, anywhere, chunks(&[])).await;
    assert_eq!(empty, Ok(Appended { received: 12 }));
    let body = chunks(&[Ok(b", then"), Ok(b" more")]);
    let at_12 = Part {
        first_byte: Some(12),
        last_byte: Some(22),
    };
    assert_eq!(
        append(stores, &scope, &name, id, at_12, body).await,
        Ok(Appended { received: 23 })
    );

    // Two parts, the first under 5 MiB: the same rule as UploadLayerPart's, and the upload
    // stays as it was.
    let digest = Sha256Digest::of(b"first chunks, then more").to_string();
    let refused = complete(stores, &scope, &name, id, &[&digest], now).await;
    assert_eq!(refused, Err(LayerError::PartTooSmall));
    assert_eq!(received(stores, &scope, &name, id).await, Ok(23));

    // One streamed part, however many chunks: complete.
    let single = initiate(stores, &scope, &name, now).await.unwrap();
    let body = chunks(&[Ok(b"one "), Ok(b"part, "), Ok(b"three chunks")]);
    append(stores, &scope, &name, single, anywhere, body)
        .await
        .unwrap();
    let expected = Sha256Digest::of(b"one part, three chunks");
    let completed = complete(stores, &scope, &name, single, &[], now).await;
    assert_eq!(
        completed,
        Ok(Completed {
            digest: expected,
            size: 22
        })
    );
    assert_eq!(
        received(stores, &scope, &name, single).await,
        Err(LayerError::UploadNotFound)
    );
}

/// Expiry never waits behind a busy upload (a part streaming): it skips it until its next run.
#[tokio::test]
async fn expiry_skips_a_busy_upload_until_its_next_run() {
    let (ecr, scope, name) = ecr_with_repository().await;
    let stores = ecr.layer_stores();
    let started = Timestamp::from_epoch_millis(1_700_000_000_000);
    let id = initiate(stores, &scope, &name, started).await.unwrap();
    let later = Timestamp::from_epoch_millis(started.epoch_millis() + 8 * 24 * 3_600_000);

    let busy = stores.uploads.lock(id).await;
    assert_eq!(ecr.expire_uploads(later).await, Ok(0));
    drop(busy);
    assert_eq!(ecr.expire_uploads(later).await, Ok(1));
    assert_eq!(
        received(stores, &scope, &name, id).await,
        Err(LayerError::UploadNotFound)
    );
}
