//! Previews (§1.4): evaluated at once when started, against the images present then, and
//! kept as the repository's preview document until the next Start (or the repository) goes.

use serde::{Deserialize, Serialize};

use super::evaluate::Decision;
use super::policy::{ActionType, LifecyclePolicy, StorageClass};
use super::{Candidate, PREVIEW_KIND};
use crate::store::meta::{ReadTx, RepoId, Tx};
use crate::store::{StoreError, documents};

/// A stored preview (version 1 of the document).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct StoredPreview {
    pub v: u32,
    /// The policy text as the Start gave it (or the stored policy's).
    pub text: String,
    /// The images the policy acts on, by rule priority, then oldest first.
    pub results: Vec<PreviewResult>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct PreviewResult {
    pub digest: String,
    pub tags: Vec<String>,
    /// Epoch milliseconds.
    pub pushed_at: i64,
    pub expire: bool,
    pub rule_priority: i32,
    pub archived: bool,
}

impl StoredPreview {
    /// The preview of `policy` (given as `text`) over `images`, decided by `decisions`.
    pub(crate) fn new(text: String, images: &[Candidate], decisions: &[Decision]) -> StoredPreview {
        let results = decisions
            .iter()
            .map(|decision| {
                let image = &images[decision.image];
                PreviewResult {
                    digest: image.row.digest.to_string(),
                    tags: image.tags.clone(),
                    pushed_at: image.row.pushed_at.epoch_millis(),
                    expire: decision.action == ActionType::Expire,
                    rule_priority: decision.rule_priority,
                    archived: super::facts(image).storage_class == StorageClass::Archive,
                }
            })
            .collect();
        StoredPreview {
            v: 1,
            text,
            results,
        }
    }

    pub(crate) fn expiring(&self) -> usize {
        self.results.iter().filter(|result| result.expire).count()
    }

    pub(crate) fn transitioning(&self) -> usize {
        self.results.len() - self.expiring()
    }
}

/// Keeps `preview` as `repository`'s preview, replacing the previous one.
pub(crate) fn store_preview(
    tx: &mut dyn Tx,
    repository: RepoId,
    preview: &StoredPreview,
) -> Result<(), StoreError> {
    tx.put_repository_document(
        repository,
        PREVIEW_KIND,
        &documents::encode(PREVIEW_KIND, preview)?,
    )
}

/// `repository`'s last preview, if one was started.
pub(crate) fn stored_preview<T: ReadTx + ?Sized>(
    tx: &mut T,
    repository: RepoId,
) -> Result<Option<StoredPreview>, StoreError> {
    tx.repository_document(repository, PREVIEW_KIND)?
        .map(|bytes| documents::decode(PREVIEW_KIND, &bytes))
        .transpose()
}

/// The preview of `policy` (given as `text`) for `repository` at `now`.
pub(crate) fn compute<T: ReadTx + ?Sized>(
    tx: &mut T,
    repository: RepoId,
    text: String,
    policy: &LifecyclePolicy,
    now: berth_runtime::Timestamp,
) -> Result<StoredPreview, StoreError> {
    let images = super::load_images(tx, repository)?;
    let decisions = super::plan(tx, repository, &images, policy, now)?;
    Ok(StoredPreview::new(text, &images, &decisions))
}
