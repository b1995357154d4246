//! Lifecycle policies (`ecr-behaviour-registry.md` §1): the policy grammar ([`policy`]),
//! the evaluation algorithm ([`evaluate`], one pure function), previews ([`preview`]) and
//! real expiry ([`expire`], `Ecr::run_lifecycle`). The handlers are in `ops/lifecycle.rs`.
//!
//! Storage: two repository documents (so both go with the repository): the policy
//! ([`POLICY_KIND`]: its canonical text and `lastEvaluatedAt`) and the last preview
//! ([`PREVIEW_KIND`]: the text as given and its results, computed when it was started).

pub(crate) mod evaluate;
pub(crate) mod expire;
pub(crate) mod policy;
pub(crate) mod preview;

#[cfg(test)]
mod tests;

use std::collections::HashSet;

use berth_runtime::Timestamp;
use serde::{Deserialize, Serialize};

use self::evaluate::{Decision, ImageFacts};
pub use self::expire::LifecycleRun;
use self::policy::StorageClass;
pub(crate) use self::policy::{LifecyclePolicy, parse_policy};
use crate::store::blobs::Sha256Digest;
use crate::store::meta::{ImageRow, ImageStatus, ReadTx, RepoId, Tx};
use crate::store::{StoreError, documents};

/// The repository document holding its lifecycle policy.
pub(crate) const POLICY_KIND: &str = "lifecycle-policy";

/// The repository document holding its last lifecycle policy preview.
pub(crate) const PREVIEW_KIND: &str = "lifecycle-preview";

/// A stored policy (version 1 of the document).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct StoredPolicy {
    pub v: u32,
    /// The canonical text (§1.2).
    pub text: String,
    /// Epoch milliseconds of the last real evaluation; 0 before any.
    pub last_evaluated_at: i64,
}

impl StoredPolicy {
    fn new(text: String, last_evaluated_at: i64) -> StoredPolicy {
        StoredPolicy {
            v: 1,
            text,
            last_evaluated_at,
        }
    }

    pub(crate) fn last_evaluated_at(&self) -> Timestamp {
        Timestamp::from_epoch_millis(self.last_evaluated_at)
    }

    /// The policy its text holds (a stored text was valid when stored).
    pub(crate) fn policy(&self) -> Result<LifecyclePolicy, StoreError> {
        parse_policy(&self.text).map_err(|error| corrupt(&format!("{error:?}")))
    }
}

fn corrupt(detail: &str) -> StoreError {
    StoreError::Unavailable(format!(
        "a stored lifecycle document is unreadable: {detail}"
    ))
}

/// Sets `policy` as `repository`'s lifecycle policy, never evaluated yet
/// (`lastEvaluatedAt` 0); replaces any policy it had.
pub(crate) fn store_policy(
    tx: &mut dyn Tx,
    repository: RepoId,
    policy: &LifecyclePolicy,
) -> Result<(), StoreError> {
    put_stored_policy(
        tx,
        repository,
        &StoredPolicy::new(policy.canonical_text(), 0),
    )
}

pub(crate) fn put_stored_policy(
    tx: &mut dyn Tx,
    repository: RepoId,
    stored: &StoredPolicy,
) -> Result<(), StoreError> {
    tx.put_repository_document(
        repository,
        POLICY_KIND,
        &documents::encode(POLICY_KIND, stored)?,
    )
}

/// `repository`'s lifecycle policy, if it has one.
pub(crate) fn stored_policy<T: ReadTx + ?Sized>(
    tx: &mut T,
    repository: RepoId,
) -> Result<Option<StoredPolicy>, StoreError> {
    tx.repository_document(repository, POLICY_KIND)?
        .map(|bytes| documents::decode(POLICY_KIND, &bytes))
        .transpose()
}

/// An image as the evaluation sees it, with what acting on it needs.
#[derive(Debug, Clone)]
pub(crate) struct Candidate {
    pub row: ImageRow,
    pub tags: Vec<String>,
}

/// How many images one store read fetches while loading a repository.
const LOAD_BATCH: usize = 1000;

/// Every image of `repository` in push order, with its tags.
pub(crate) fn load_images<T: ReadTx + ?Sized>(
    tx: &mut T,
    repository: RepoId,
) -> Result<Vec<Candidate>, StoreError> {
    let mut images = Vec::new();
    loop {
        let after = images.last().map(|image: &Candidate| image.row.position());
        let batch = tx.images_after(repository, after.as_ref(), LOAD_BATCH)?;
        let done = batch.len() < LOAD_BATCH;
        for row in batch {
            let tags = tx
                .tags_of(repository, &row.digest)?
                .into_iter()
                .map(|tag| tag.into_inner())
                .collect();
            images.push(Candidate { row, tags });
        }
        if done {
            // Pages come by time, then digest; within a millisecond, the push order decides.
            images.sort_by_key(|image| (image.row.pushed_at, image.row.push_sequence));
            return Ok(images);
        }
    }
}

fn facts(candidate: &Candidate) -> ImageFacts {
    let row = &candidate.row;
    ImageFacts {
        tags: candidate.tags.clone(),
        pushed_at: row.pushed_at.epoch_millis(),
        storage_class: match row.status {
            ImageStatus::Active => StorageClass::Standard,
            ImageStatus::Archived => StorageClass::Archive,
        },
        last_pulled_at: row.last_pulled_at.map(Timestamp::epoch_millis),
        last_archived_at: row.last_archived_at.map(Timestamp::epoch_millis),
        last_activated_at: row.last_activated_at.map(Timestamp::epoch_millis),
    }
}

/// What `policy` does to `images` at `now`: the evaluation, less the images an index in
/// the repository keeps (§1.3 step 4). Previews and expiry both call this.
pub(crate) fn plan<T: ReadTx + ?Sized>(
    tx: &mut T,
    repository: RepoId,
    images: &[Candidate],
    policy: &LifecyclePolicy,
    now: Timestamp,
) -> Result<Vec<Decision>, StoreError> {
    let facts: Vec<ImageFacts> = images.iter().map(facts).collect();
    let decisions = evaluate::evaluate(&facts, &policy.rules, now.epoch_millis());
    // Only images the rules would act on need the (per image) parent lookup.
    let mut held = HashSet::new();
    for decision in &decisions {
        let digest: &Sha256Digest = &images[decision.image].row.digest;
        if !tx.parents(repository, digest)?.is_empty() {
            held.insert(decision.image);
        }
    }
    Ok(evaluate::without_held(decisions, &held))
}
