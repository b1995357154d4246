//! What Berth's console (`/_berth/ui/`) reads besides the API, without changing anything:
//! BatchGetImage and the `/v2` manifest GET record `lastRecordedPullTime`, and
//! StartLifecyclePolicyPreview replaces the repository's preview; looking at an image or a
//! policy in the console must not change what the API answers.

use berth_runtime::Timestamp;
use bytes::Bytes;
use ecr_generated::errors::{
    DescribeImagesError, GetLifecyclePolicyError, ImageNotFoundException,
    LifecyclePolicyNotFoundException,
};
use ecr_generated::types::RepositoryName;
use serde::Serialize;

use crate::images::find_repository;
use crate::store::Scope;
use crate::store::blobs::Sha256Digest;
use crate::store::meta::{self, MetaStore};
use crate::{lifecycle, messages};

/// An image's stored manifest, exactly as pushed, with its media type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredManifest {
    pub media_type: String,
    pub bytes: Bytes,
}

/// The manifest of image `digest` in repository `name` of `scope`, read in one read job
/// (nothing is recorded). DescribeImages' errors and texts when the repository or the
/// image does not exist.
pub async fn manifest(
    meta: &dyn MetaStore,
    scope: &Scope,
    name: &RepositoryName,
    digest: Sha256Digest,
) -> Result<StoredManifest, DescribeImagesError> {
    let (scope, name) = (scope.clone(), name.clone());
    meta::read(meta, move |tx| {
        let repository = find_repository::<_, DescribeImagesError>(tx, &scope, &name)?.id;
        let not_found = || {
            ImageNotFoundException::new(messages::image_not_found(
                Some(&digest.to_string()),
                None,
                name.as_str(),
                scope.account_id.as_str(),
            ))
        };
        let row = tx.image(repository, &digest)?.ok_or_else(not_found)?;
        let bytes = tx.manifest(repository, &digest)?.ok_or_else(not_found)?;
        Ok(StoredManifest {
            media_type: row.media_type.to_string(),
            bytes,
        })
    })
    .await
}

/// One image the stored lifecycle policy would act on now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PreviewEntry {
    pub image_digest: String,
    pub image_tags: Vec<String>,
    /// Epoch milliseconds.
    pub pushed_at_millis: i64,
    /// `EXPIRE` or `TRANSITION`, as GetLifecyclePolicyPreview names actions.
    pub action: &'static str,
    pub applied_rule_priority: i32,
}

/// What the lifecycle policy of repository `name` would do at `now`: the same evaluation
/// StartLifecyclePolicyPreview runs, in a read job (no preview is stored). ECR's errors and
/// texts when the repository or its policy does not exist.
pub async fn lifecycle_preview(
    meta: &dyn MetaStore,
    scope: &Scope,
    name: &RepositoryName,
    now: Timestamp,
) -> Result<Vec<PreviewEntry>, GetLifecyclePolicyError> {
    let (scope, name) = (scope.clone(), name.clone());
    meta::read(meta, move |tx| {
        let repository = find_repository::<_, GetLifecyclePolicyError>(tx, &scope, &name)?.id;
        let stored = lifecycle::stored_policy(tx, repository)?.ok_or_else(|| {
            LifecyclePolicyNotFoundException::new(messages::lifecycle_policy_not_found(
                name.as_str(),
                scope.account_id.as_str(),
            ))
        })?;
        let policy = stored.policy()?;
        let preview =
            lifecycle::preview::compute(tx, repository, stored.text.clone(), &policy, now)?;
        Ok(preview
            .results
            .into_iter()
            .map(|result| PreviewEntry {
                image_digest: result.digest,
                image_tags: result.tags,
                pushed_at_millis: result.pushed_at,
                action: if result.expire {
                    "EXPIRE"
                } else {
                    "TRANSITION"
                },
                applied_rule_priority: result.rule_priority,
            })
            .collect())
    })
    .await
}

#[cfg(test)]
mod tests;
