//! Reclaiming space: uploads past their lifetime, staged bytes no upload owns, and blobs no
//! repository links. The server calls [`crate::Ecr::collect_garbage`] at startup and then
//! periodically; each step is safe to run at any time, beside any other call.

use std::collections::HashSet;
use std::time::Duration;

use berth_runtime::Timestamp;

use super::{Stores, lock};
use crate::limits::{UNLINKED_BLOB_GRACE, UPLOAD_LIFETIME};
use crate::store::StoreError;
use crate::store::blobs::BlobError;
use crate::store::meta::{self, UploadRow};

/// Rows, uploads or blobs handled per read (each page is one short read job).
const PAGE: usize = 100;

/// What one garbage collection reclaimed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Collected {
    /// Uploads dropped for being older than `limits::UPLOAD_LIFETIME`.
    pub expired_uploads: usize,
    /// Staged bytes dropped because no upload row owns them any more.
    pub orphan_uploads: usize,
    /// Blobs deleted because no repository links them.
    pub deleted_blobs: usize,
}

fn before(now: Timestamp, age: Duration) -> Timestamp {
    Timestamp::from_epoch_millis(now.epoch_millis() - age.as_millis() as i64)
}

fn unavailable(error: BlobError) -> StoreError {
    StoreError::Unavailable(error.to_string())
}

/// Drops every upload started more than `limits::UPLOAD_LIFETIME` before `now`: its row, then
/// its staged bytes. An upload busy with a call (a part streaming) is left for the next run.
/// Answers how many were dropped.
pub(crate) async fn expire_uploads(
    stores: Stores<'_>,
    now: Timestamp,
) -> Result<usize, StoreError> {
    let cutoff = before(now, UPLOAD_LIFETIME);
    let mut expired = 0;
    loop {
        let rows: Vec<UploadRow> = meta::read(stores.meta, move |tx| {
            tx.uploads_started_before(cutoff, PAGE)
        })
        .await?;
        let mut busy = false;
        for row in &rows {
            let Some(session) = stores.uploads.try_lock(row.id) else {
                busy = true;
                continue;
            };
            let id = row.id;
            meta::write(stores.meta, move |tx| {
                if tx.upload(&id)?.is_some() {
                    tx.delete_upload(&id)?;
                }
                Ok::<_, StoreError>(())
            })
            .await?;
            drop(session);
            stores.uploads.forget(&id);
            stores.blobs.discard(&id).await.map_err(unavailable)?;
            expired += 1;
        }
        // Every row read was deleted (unless busy), so the next read starts over from the
        // oldest left; a busy one would come first again.
        if rows.len() < PAGE || busy {
            return Ok(expired);
        }
    }
}

/// Runs a garbage collection at `now`:
///
/// 1. uploads past their lifetime are dropped ([`expire_uploads`]);
/// 2. staged bytes whose upload row is gone (its repository was deleted, or a crash came
///    between deleting a row and its bytes) are dropped, and so is the in-memory half of
///    every session whose row is gone;
/// 3. **blobs**: a blob is deleted once no repository of any registry links it *and* a
///    collection at least `limits::UNLINKED_BLOB_GRACE` earlier, in this process, found it
///    unlinked too. So a blob is never deleted by the first collection that sees it
///    unlinked: one published by an upload that has not linked it yet, or pushed by a
///    client about to link it, survives the grace period (and every blob survives one
///    grace period after a restart). A blob's check and delete hold its digest's lock,
///    which an upload holds from publishing the blob until its link is committed.
pub(crate) async fn collect_garbage(
    stores: Stores<'_>,
    now: Timestamp,
) -> Result<Collected, StoreError> {
    let expired_uploads = expire_uploads(stores, now).await?;
    let orphan_uploads = drop_orphan_uploads(stores).await?;
    let deleted_blobs = delete_unlinked_blobs(stores, now).await?;
    Ok(Collected {
        expired_uploads,
        orphan_uploads,
        deleted_blobs,
    })
}

/// Step 2 of [`collect_garbage`].
async fn drop_orphan_uploads(stores: Stores<'_>) -> Result<usize, StoreError> {
    let mut dropped = 0;
    let mut after = None;
    loop {
        let page = stores
            .blobs
            .uploads_after(after.as_ref(), PAGE)
            .await
            .map_err(unavailable)?;
        for id in &page {
            let Some(session) = stores.uploads.try_lock(*id) else {
                continue;
            };
            let id = *id;
            let row = meta::read(stores.meta, move |tx| tx.upload(&id)).await?;
            if row.is_none() {
                stores.blobs.discard(&id).await.map_err(unavailable)?;
                drop(session);
                stores.uploads.forget(&id);
                dropped += 1;
            }
        }
        match page.last() {
            Some(last) if page.len() == PAGE => after = Some(*last),
            _ => break,
        }
    }
    for id in stores.uploads.session_ids() {
        let Some(session) = stores.uploads.try_lock(id) else {
            continue;
        };
        if meta::read(stores.meta, move |tx| tx.upload(&id))
            .await?
            .is_none()
        {
            drop(session);
            stores.uploads.forget(&id);
        }
    }
    Ok(dropped)
}

/// Step 3 of [`collect_garbage`].
async fn delete_unlinked_blobs(stores: Stores<'_>, now: Timestamp) -> Result<usize, StoreError> {
    let deletable_before = before(now, UNLINKED_BLOB_GRACE);
    let mut deleted = 0;
    let mut unlinked = HashSet::new();
    let mut after = None;
    loop {
        let page = stores
            .blobs
            .blobs_after(after.as_ref(), PAGE)
            .await
            .map_err(unavailable)?;
        for digest in &page {
            let digest = *digest;
            let _digest_lock = stores.uploads.digests.lock(digest).await;
            let linked = meta::read(stores.meta, move |tx| tx.blob_linked(&digest)).await?;
            if linked {
                continue;
            }
            let first_seen = *lock(&stores.uploads.unlinked_since)
                .entry(digest)
                .or_insert(now);
            if first_seen <= deletable_before {
                stores.blobs.delete(&digest).await.map_err(unavailable)?;
                deleted += 1;
            } else {
                unlinked.insert(digest);
            }
        }
        match page.last() {
            Some(last) if page.len() == PAGE => after = Some(*last),
            _ => break,
        }
    }
    // Forget blobs linked or deleted since: their clock starts again if they are unlinked later.
    lock(&stores.uploads.unlinked_since).retain(|digest, _| unlinked.contains(digest));
    Ok(deleted)
}
