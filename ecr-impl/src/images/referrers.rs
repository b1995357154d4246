//! ListImageReferrers (`ecr-behaviour-images.md` §12): the images whose OCI `subject` is the
//! given digest, in digest order, one read job per page costing O(page).

use std::collections::BTreeMap;

use ecr_generated::errors::{
    InvalidParameterException, RepositoryNotFoundException, ServerException,
};
use ecr_generated::types::{
    ArtifactStatus, ArtifactStatusFilter, ArtifactType, ImageReferrer, ListImageReferrersRequest,
    ListImageReferrersResponse,
};
use serde::Deserialize;

use super::{check_image_digest, find_repository, long};
use crate::limits::DEFAULT_LIST_IMAGE_REFERRERS_PAGE_SIZE;
use crate::store::blobs::Sha256Digest;
use crate::store::meta::{self, ImageRow, ImageStatus, MetaStore, ReadTx, RepoId};
use crate::store::{Scope, StoreError};
use crate::{messages, pagination};

/// ListImageReferrers on the caller's registry `scope`. A subject that is not in the
/// repository, or has no referrers, has an empty page (choice).
pub async fn list_referrers<E>(
    meta: &dyn MetaStore,
    scope: &Scope,
    input: ListImageReferrersRequest,
) -> Result<ListImageReferrersResponse, E>
where
    E: From<StoreError> + From<RepositoryNotFoundException> + From<InvalidParameterException>,
    E: From<ServerException> + Send + 'static,
{
    check_image_digest(&input.subject_id.image_digest)?;
    let after = match input.next_token.as_deref() {
        None => None,
        Some(token) => Some(
            pagination::decode_token(token)
                .and_then(|text| text.parse::<Sha256Digest>().ok())
                .ok_or_else(|| InvalidParameterException::new(messages::invalid_next_token()))?,
        ),
    };
    let limit = input
        .max_results
        .and_then(|max| usize::try_from(max).ok())
        .filter(|&max| max > 0)
        .unwrap_or(DEFAULT_LIST_IMAGE_REFERRERS_PAGE_SIZE);
    let filter = input.filter.unwrap_or_default();
    let selection = Selection {
        artifact_types: filter
            .artifact_types
            .unwrap_or_default()
            .into_iter()
            .map(String::from)
            .collect(),
        status: filter
            .artifact_status
            .unwrap_or(ArtifactStatusFilter::Active),
    };
    // A subject ECR could never have computed (not SHA-256) has no referrers.
    let subject = input.subject_id.image_digest.parse::<Sha256Digest>().ok();
    let scope = scope.clone();
    let name = input.repository_name;
    meta::read(meta, move |tx| {
        let repo = find_repository::<_, E>(tx, &scope, &name)?.id;
        match &subject {
            Some(subject) => page(tx, repo, subject, &selection, after.as_ref(), limit),
            None => Ok(ListImageReferrersResponse {
                referrers: Some(Vec::new()),
                next_token: None,
            }),
        }
    })
    .await
}

struct Selection {
    /// Empty: every artifact type.
    artifact_types: Vec<String>,
    status: ArtifactStatusFilter,
}

impl Selection {
    fn selects(&self, row: &ImageRow) -> bool {
        let status = matches!(
            (self.status, row.status),
            (ArtifactStatusFilter::Any, _)
                | (ArtifactStatusFilter::Active, ImageStatus::Active)
                | (ArtifactStatusFilter::Archived, ImageStatus::Archived)
        );
        let artifact_type = self.artifact_types.is_empty()
            || row
                .artifact_media_type
                .as_deref()
                .is_some_and(|artifact_type| {
                    self.artifact_types
                        .iter()
                        .any(|wanted| wanted == artifact_type)
                });
        status && artifact_type
    }
}

fn page<E>(
    tx: &mut dyn ReadTx,
    repo: RepoId,
    subject: &Sha256Digest,
    selection: &Selection,
    after: Option<&Sha256Digest>,
    limit: usize,
) -> Result<ListImageReferrersResponse, E>
where
    E: From<StoreError> + From<ServerException>,
{
    let wanted = limit + 1;
    let mut referrers: Vec<(Sha256Digest, ImageReferrer)> = Vec::new();
    let mut after = after.copied();
    'fetch: loop {
        let rows = tx.referrers_after(repo, subject, after.as_ref(), wanted)?;
        let exhausted = rows.len() < wanted;
        for row in rows {
            after = Some(row.digest);
            if !selection.selects(&row) {
                continue;
            }
            referrers.push((row.digest, referrer::<E>(tx, repo, &row)?));
            if referrers.len() == wanted {
                break 'fetch;
            }
        }
        if exhausted {
            break;
        }
    }
    let next_token = if referrers.len() > limit {
        referrers.truncate(limit);
        referrers
            .last()
            .map(|(digest, _)| pagination::token_after(&digest.to_string()))
    } else {
        None
    };
    Ok(ListImageReferrersResponse {
        referrers: Some(referrers.into_iter().map(|(_, r)| r).collect()),
        next_token,
    })
}

/// The members of a referrer's manifest a referrer entry shows besides its row.
#[derive(Deserialize, Default)]
struct Annotated {
    annotations: Option<BTreeMap<String, String>>,
}

/// A referrer as OCI 1.1 describes one: its manifest's media type, artifact type, byte
/// length and annotations.
fn referrer<E>(tx: &mut dyn ReadTx, repo: RepoId, row: &ImageRow) -> Result<ImageReferrer, E>
where
    E: From<StoreError> + From<ServerException>,
{
    let bytes = tx.manifest(repo, &row.digest)?.ok_or_else(|| {
        ServerException::new(messages::unexpected_store_outcome(&format!(
            "image {} has no manifest",
            row.digest
        )))
    })?;
    // PutImage read these bytes as a manifest; anything unreadable now has no annotations.
    let annotations = serde_json::from_slice::<Annotated>(&bytes)
        .unwrap_or_default()
        .annotations
        .filter(|annotations| !annotations.is_empty());
    Ok(ImageReferrer {
        digest: row.digest.to_string(),
        media_type: row.media_type.to_string(),
        artifact_type: row
            .artifact_media_type
            .as_deref()
            .and_then(|artifact_type| ArtifactType::try_from(artifact_type).ok()),
        size: long(bytes.len() as u64),
        annotations,
        artifact_status: Some(match row.status {
            ImageStatus::Active => ArtifactStatus::Active,
            ImageStatus::Archived => ArtifactStatus::Archived,
        }),
    })
}
