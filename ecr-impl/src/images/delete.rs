//! BatchDeleteImage (`ecr-behaviour-images.md` §6), shared with the OCI `/v2` manifest
//! DELETE (one identifier): one write job resolves every entry against the repository as it
//! was, decides which tags go and which images go, refuses what an index still needs, and
//! only then deletes.
//!
//! An image goes when it is named by digest, or when the request removes all its tags
//! (real). An index or manifest list that stays keeps its children: every entry that would
//! delete such a child fails with `ImageReferencedByManifestList`, and the child keeps all
//! its tags (choice). An index deleted by the same request does not hold its children
//! back, in whatever order the entries come (choice).

use std::collections::{BTreeMap, BTreeSet, HashMap};

use ecr_generated::errors::RepositoryNotFoundException;
use ecr_generated::types::{
    BatchDeleteImageResponse, ImageFailureCode, ImageIdentifier, ImageTag, RepositoryName,
};

use super::{Lookup, entry_problem, failure, failure_with_reason, find_repository, lookup};
use crate::events::{self, ImageActionType, ImageRef, Outcome};
use crate::messages;
use crate::ops::State;
use crate::store::blobs::Sha256Digest;
use crate::store::meta::{self, MetaStore, RepoId, Tx};
use crate::store::{Scope, StoreError};

/// What one valid entry asks for.
enum Target {
    /// Remove this tag from this image (asked by tag, or by tag and its digest).
    Tag(Sha256Digest, ImageTag),
    /// Delete this image with all its tags (asked by digest).
    Image(Sha256Digest),
}

impl Target {
    fn digest(&self) -> Sha256Digest {
        match self {
            Target::Tag(digest, _) | Target::Image(digest) => *digest,
        }
    }
}

/// Deletes what `image_ids` name in repository `name` of `scope`; a failure for each entry
/// that names nothing or would delete an image an index keeps. Every entry repeated, and
/// every image or tag named twice, is answered once.
pub async fn delete<E>(
    meta: &dyn MetaStore,
    scope: &Scope,
    name: &RepositoryName,
    image_ids: Vec<ImageIdentifier>,
) -> Result<BatchDeleteImageResponse, E>
where
    E: From<StoreError> + From<RepositoryNotFoundException> + Send + 'static,
{
    let scope = scope.clone();
    let name = name.clone();
    meta::write(meta, move |tx| {
        let repo = find_repository::<_, E>(tx, &scope, &name)?.id;
        Ok(delete_job(tx, repo, &image_ids)?)
    })
    .await
}

/// [`delete`], then an `ECR Image Action` DELETE event for each image id it answers (each
/// tag removed, each image deleted untagged): BatchDeleteImage and the `/v2` DELETE.
pub(crate) async fn delete_announced<E>(
    state: &State,
    scope: &Scope,
    name: &RepositoryName,
    image_ids: Vec<ImageIdentifier>,
) -> Result<BatchDeleteImageResponse, E>
where
    E: From<StoreError> + From<RepositoryNotFoundException> + Send + 'static,
{
    let answer = delete::<E>(state.meta(), scope, name, image_ids).await?;
    let now = state.now();
    for id in answer.image_ids.iter().flatten() {
        let Some(Ok(digest)) = id.image_digest.as_deref().map(str::parse::<Sha256Digest>) else {
            continue;
        };
        let image = ImageRef {
            scope,
            repository: name,
            digest: &digest,
            tag: id.image_tag.as_deref(),
        };
        state.events().emit(events::image_action(
            ImageActionType::Delete,
            Outcome::Success,
            image,
            None,
            None,
            now,
        ));
    }
    Ok(answer)
}

impl crate::Ecr {
    /// BatchDeleteImage on `scope` for protocols other than the JSON API (the `/v2` manifest
    /// DELETE), with its events.
    pub async fn delete_images<E>(
        &self,
        scope: &Scope,
        name: &RepositoryName,
        image_ids: Vec<ImageIdentifier>,
    ) -> Result<BatchDeleteImageResponse, E>
    where
        E: From<StoreError> + From<RepositoryNotFoundException> + Send + 'static,
    {
        delete_announced(self.service.state(), scope, name, image_ids).await
    }
}

fn delete_job(
    tx: &mut dyn Tx,
    repo: RepoId,
    image_ids: &[ImageIdentifier],
) -> Result<BatchDeleteImageResponse, StoreError> {
    // 1. Resolve every entry against the repository as it is.
    let mut entries: Vec<(&ImageIdentifier, Result<Target, ImageFailureCode>)> = Vec::new();
    for (index, id) in image_ids.iter().enumerate() {
        if image_ids[..index].contains(id) {
            continue;
        }
        let resolved = match entry_problem(id) {
            Some(code) => Err(code),
            None => match lookup(tx, repo, id.image_digest.as_deref(), id.image_tag.as_ref())? {
                Lookup::Found(row) => Ok(match &id.image_tag {
                    Some(tag) => Target::Tag(row.digest, tag.clone()),
                    None => Target::Image(row.digest),
                }),
                Lookup::NotFound => Err(ImageFailureCode::ImageNotFound),
                Lookup::TagDoesNotMatchDigest => Err(ImageFailureCode::ImageTagDoesNotMatchDigest),
            },
        };
        entries.push((id, resolved));
    }

    // 2. Which images go: named by digest, or left without a tag.
    let mut tags_before: HashMap<Sha256Digest, Vec<ImageTag>> = HashMap::new();
    let mut removed_tags: HashMap<Sha256Digest, BTreeSet<&ImageTag>> = HashMap::new();
    let mut by_digest = BTreeSet::new();
    for (_, target) in &entries {
        let Ok(target) = target else { continue };
        let digest = target.digest();
        if let std::collections::hash_map::Entry::Vacant(entry) = tags_before.entry(digest) {
            entry.insert(tx.tags_of(repo, &digest)?);
        }
        match target {
            Target::Tag(digest, tag) => {
                removed_tags.entry(*digest).or_default().insert(tag);
            }
            Target::Image(digest) => {
                by_digest.insert(*digest);
            }
        }
    }
    let mut deleted: BTreeSet<Sha256Digest> = by_digest.clone();
    for (digest, removed) in &removed_tags {
        if tags_before[digest].iter().all(|tag| removed.contains(tag)) {
            deleted.insert(*digest);
        }
    }

    // 3. An index that stays keeps its children (and theirs, hence the fixed point).
    let mut parents: HashMap<Sha256Digest, Vec<Sha256Digest>> = HashMap::new();
    for digest in &deleted {
        parents.insert(*digest, tx.parents(repo, digest)?);
    }
    let mut kept: BTreeMap<Sha256Digest, Vec<Sha256Digest>> = BTreeMap::new();
    loop {
        let newly_kept: Vec<(Sha256Digest, Vec<Sha256Digest>)> = deleted
            .iter()
            .filter_map(|digest| {
                let staying: Vec<Sha256Digest> = parents[digest]
                    .iter()
                    .filter(|parent| !deleted.contains(parent))
                    .copied()
                    .collect();
                (!staying.is_empty()).then_some((*digest, staying))
            })
            .collect();
        if newly_kept.is_empty() {
            break;
        }
        for (digest, staying) in newly_kept {
            deleted.remove(&digest);
            kept.insert(digest, staying);
        }
    }

    // 4. Answer in request order, then delete.
    let mut image_ids_out: Vec<ImageIdentifier> = Vec::new();
    let mut failures = Vec::new();
    let mut answer = |id: ImageIdentifier| {
        if !image_ids_out.contains(&id) {
            image_ids_out.push(id);
        }
    };
    let mut tags_to_remove = Vec::new();
    for (id, target) in &entries {
        let target = match target {
            Ok(target) => target,
            Err(code) => {
                failures.push(failure(id, *code));
                continue;
            }
        };
        let digest = target.digest();
        if let Some(indexes) = kept.get(&digest) {
            let indexes: Vec<String> = indexes.iter().map(ToString::to_string).collect();
            let reason = messages::image_failure_referenced_by_manifest_list(&indexes);
            failures.push(failure_with_reason(
                id,
                ImageFailureCode::ImageReferencedByManifestList,
                reason,
            ));
            continue;
        }
        match target {
            Target::Tag(digest, tag) => {
                answer(identifier(digest, Some(tag)));
                tags_to_remove.push(tag.clone());
            }
            Target::Image(digest) => match tags_before[digest].as_slice() {
                [] => answer(identifier(digest, None)),
                tags => tags
                    .iter()
                    .for_each(|tag| answer(identifier(digest, Some(tag)))),
            },
        }
    }
    for tag in &tags_to_remove {
        tx.remove_tag(repo, tag)?;
    }
    for digest in &deleted {
        tx.delete_image(repo, digest)?;
    }
    Ok(BatchDeleteImageResponse {
        image_ids: Some(image_ids_out),
        failures: Some(failures),
    })
}

fn identifier(digest: &Sha256Digest, tag: Option<&ImageTag>) -> ImageIdentifier {
    ImageIdentifier {
        image_digest: Some(digest.to_string()),
        image_tag: tag.cloned(),
    }
}
