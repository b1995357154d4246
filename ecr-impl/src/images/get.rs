//! BatchGetImage (`ecr-behaviour-images.md` §5), shared with the OCI `/v2` manifest GET (one
//! identifier): one write job resolves every entry in request order and records the pull.

use std::collections::HashSet;

use berth_runtime::Timestamp;
use ecr_generated::errors::{RepositoryNotFoundException, ServerException};
use ecr_generated::types::{
    BatchGetImageResponse, Image, ImageFailureCode, ImageIdentifier, RepositoryName,
};

use super::{Lookup, entry_problem, failure, find_repository, lookup, manifest_text};
use crate::messages;
use crate::store::meta::{self, ImageStatus, MetaStore, Tx};
use crate::store::{Scope, StoreError};

/// The images `image_ids` name in repository `name` of `scope`, with a failure for each
/// entry that names none; an entry repeated exactly is answered once. The stored manifest
/// is answered as stored, whatever media types the caller accepts (Berth never converts).
/// Each image answered gets `lastRecordedPullTime` = now.
pub async fn get<E>(
    meta: &dyn MetaStore,
    scope: &Scope,
    name: &RepositoryName,
    image_ids: Vec<ImageIdentifier>,
    pulled_at: Timestamp,
) -> Result<BatchGetImageResponse, E>
where
    E: From<StoreError> + From<RepositoryNotFoundException> + From<ServerException>,
    E: Send + 'static,
{
    let scope = scope.clone();
    let name = name.clone();
    meta::write(meta, move |tx| {
        get_job(tx, &scope, &name, &image_ids, pulled_at)
    })
    .await
}

fn get_job<E>(
    tx: &mut dyn Tx,
    scope: &Scope,
    name: &RepositoryName,
    image_ids: &[ImageIdentifier],
    pulled_at: Timestamp,
) -> Result<BatchGetImageResponse, E>
where
    E: From<StoreError> + From<RepositoryNotFoundException> + From<ServerException>,
{
    let repo = find_repository::<_, E>(tx, scope, name)?.id;
    let mut images = Vec::new();
    let mut failures = Vec::new();
    let mut pulled = HashSet::new();
    for (index, id) in image_ids.iter().enumerate() {
        if image_ids[..index].contains(id) {
            continue;
        }
        if let Some(code) = entry_problem(id) {
            failures.push(failure(id, code));
            continue;
        }
        let mut row = match lookup(tx, repo, id.image_digest.as_deref(), id.image_tag.as_ref())? {
            Lookup::Found(row) => row,
            Lookup::NotFound => {
                failures.push(failure(id, ImageFailureCode::ImageNotFound));
                continue;
            }
            Lookup::TagDoesNotMatchDigest => {
                failures.push(failure(id, ImageFailureCode::ImageTagDoesNotMatchDigest));
                continue;
            }
        };
        if row.status == ImageStatus::Archived {
            failures.push(failure(id, ImageFailureCode::ImageInaccessible));
            continue;
        }
        let bytes = tx.manifest(repo, &row.digest)?.ok_or_else(|| {
            ServerException::new(messages::unexpected_store_outcome(&format!(
                "image {} has no manifest",
                row.digest
            )))
        })?;
        images.push(Image {
            registry_id: Some(scope.account_id.clone()),
            repository_name: Some(name.clone()),
            image_id: Some(ImageIdentifier {
                image_digest: Some(row.digest.to_string()),
                image_tag: id.image_tag.clone(),
            }),
            image_manifest: Some(manifest_text(&bytes)?),
            image_manifest_media_type: Some(row.media_type.to_string()),
        });
        if pulled.insert(row.digest) {
            row.last_pulled_at = Some(pulled_at);
            tx.update_image(repo, &row)?;
        }
    }
    Ok(BatchGetImageResponse {
        images: Some(images),
        failures: Some(failures),
    })
}
