//! What the OCI `/v2` manifest and tag routes need besides the image operations the JSON
//! API shares: a page of a repository's tags in the order `tags/list` gives them.

use ecr_generated::errors::ListImagesError;
use ecr_generated::types::RepositoryName;

use super::find_repository;
use crate::store::Scope;
use crate::store::meta::{self, MetaStore};

/// One page of `tags/list`: up to `n` tags in byte order after `last`, and whether more
/// follow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TagPage {
    pub tags: Vec<String>,
    pub more: bool,
}

/// The tags of repository `name` in byte order (as the OCI distribution specification
/// orders `tags/list`), the `n` after `last` (every tag when `n` is `None`). One read job,
/// so the page is one snapshot; it costs the page (one more tag tells whether more follow).
pub async fn tag_page(
    meta: &dyn MetaStore,
    scope: &Scope,
    name: &RepositoryName,
    last: Option<&str>,
    n: Option<usize>,
) -> Result<TagPage, ListImagesError> {
    let (scope, name) = (scope.clone(), name.clone());
    let last = last.map(str::to_owned);
    meta::read(meta, move |tx| {
        let repo = find_repository::<_, ListImagesError>(tx, &scope, &name)?.id;
        let wanted = n.map_or(usize::MAX, |n| n.saturating_add(1));
        let mut tags: Vec<String> = tx
            .tags_after(repo, last.as_deref(), wanted)?
            .into_iter()
            .map(|tag| tag.into_inner())
            .collect();
        let more = n.is_some_and(|n| tags.len() > n);
        if let Some(n) = n {
            tags.truncate(n);
        }
        Ok(TagPage { tags, more })
    })
    .await
}
