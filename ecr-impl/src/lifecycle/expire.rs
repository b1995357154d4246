//! Real expiry (§1.5): every repository with a policy is evaluated by the same plan as a
//! preview, each in its own write job (one repository's work is atomic; others are not
//! held up behind it). EXPIRE deletes the image as BatchDeleteImage does (its tags, and its
//! referrers with it); TRANSITION archives it as UpdateImageStorageClass does; the policy
//! gets `lastEvaluatedAt = now`.

use std::collections::{BTreeSet, HashMap};

use berth_runtime::Timestamp;
use ecr_generated::errors::ServerException;
use serde::Serialize;

use super::policy::ActionType;
use super::{POLICY_KIND, load_images, plan, put_stored_policy, stored_policy};
use crate::events::ExpiredImage;
use crate::ops::server_failure;
use crate::store::StoreError;
use crate::store::blobs::Sha256Digest;
use crate::store::meta::{self, ImageStatus, RepoId, Tx};

/// What one run of every lifecycle policy did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct LifecycleRun {
    /// Policies evaluated (repositories with a policy).
    pub evaluated: u64,
    /// Images deleted: those the rules expired, and their referrers.
    pub expired: u64,
    /// Images archived.
    pub transitioned: u64,
}

/// How many referrers one store read fetches.
const REFERRER_BATCH: usize = 100;

/// Evaluates `repository`'s policy at `now` and applies it; `None` when the repository has
/// no policy any more (deleted since it was listed).
pub(crate) fn run_repository(
    tx: &mut dyn Tx,
    repository: RepoId,
    now: Timestamp,
) -> Result<Option<(LifecycleRun, Vec<ExpiredImage>)>, StoreError> {
    let Some(mut stored) = stored_policy(tx, repository)? else {
        return Ok(None);
    };
    let policy = stored.policy()?;
    let images = load_images(tx, repository)?;
    let decisions = plan(tx, repository, &images, &policy, now)?;
    let mut run = LifecycleRun {
        evaluated: 1,
        ..LifecycleRun::default()
    };
    let mut expired = BTreeSet::new();
    let mut expired_by = HashMap::new();
    for decision in &decisions {
        let mut row = images[decision.image].row.clone();
        match decision.action {
            ActionType::Expire => {
                expired.insert(row.digest);
                expired_by.insert(row.digest, decision.rule_priority);
            }
            ActionType::Transition => {
                row.status = ImageStatus::Archived;
                row.last_archived_at = Some(now);
                tx.update_image(repository, &row)?;
                run.transitioned += 1;
            }
        }
    }
    // An expired image takes its referrers (signatures, SBOMs), and theirs, with it.
    let mut pending: Vec<Sha256Digest> = expired.iter().copied().collect();
    while let Some(subject) = pending.pop() {
        let mut after = None;
        loop {
            let page = tx.referrers_after(repository, &subject, after.as_ref(), REFERRER_BATCH)?;
            let done = page.len() < REFERRER_BATCH;
            after = page.last().map(|row| row.digest);
            for referrer in page {
                if expired.insert(referrer.digest) {
                    pending.push(referrer.digest);
                }
            }
            if done {
                break;
            }
        }
    }
    for digest in &expired {
        tx.delete_image(repository, digest)?;
    }
    run.expired = expired.len() as u64;
    stored.last_evaluated_at = now.epoch_millis();
    put_stored_policy(tx, repository, &stored)?;
    // What the expiry event lists (every image of the repository was loaded).
    let expired_images = images
        .iter()
        .filter(|image| expired.contains(&image.row.digest))
        .map(|image| ExpiredImage {
            digest: image.row.digest,
            tags: image.tags.clone(),
            pushed_at: image.row.pushed_at,
            rule_priority: expired_by.get(&image.row.digest).copied(),
        })
        .collect();
    Ok(Some((run, expired_images)))
}

impl crate::Ecr {
    /// Runs every lifecycle policy of every registry now (by [`crate::Ecr::clock`]): what
    /// `POST /_berth/lifecycle/run` and the background evaluator do.
    pub async fn run_lifecycle(&self) -> Result<LifecycleRun, ServerException> {
        let state = self.service.state();
        let now = state.now();
        let repositories = meta::read(state.meta(), |tx| {
            tx.repositories_with_document(POLICY_KIND)
        })
        .await
        .map_err(server_failure::<ServerException>)?;
        let mut total = LifecycleRun::default();
        for (scope, row) in repositories {
            let repository = row.id;
            let run = meta::write(state.meta(), move |tx| run_repository(tx, repository, now))
                .await
                .map_err(server_failure::<ServerException>)?;
            if let Some((run, expired)) = run {
                if !expired.is_empty() {
                    state.events().emit(crate::events::lifecycle_expiry(
                        &scope,
                        &row.record.name,
                        &expired,
                        now,
                    ));
                }
                total.evaluated += run.evaluated;
                total.expired += run.expired;
                total.transitioned += run.transitioned;
            }
        }
        Ok(total)
    }
}
