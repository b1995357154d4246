//! Tagging a repository by its ARN: add, remove, list.

use berth_runtime::RequestContext;
use ecr_generated::errors::{
    ListTagsForResourceError, TagResourceError, TooManyTagsException, UntagResourceError,
};
use ecr_generated::types::{
    ListTagsForResourceRequest, ListTagsForResourceResponse, TagResourceRequest,
    TagResourceResponse, UntagResourceRequest, UntagResourceResponse,
};

use super::{Builder, State, repository_at, repository_failure};
use crate::limits::MAX_TAGS_PER_REPOSITORY;
use crate::store::{RepositoryChange, StoreError};
use crate::{messages, tags};

pub(crate) fn too_many_tags(count: usize) -> TooManyTagsException {
    TooManyTagsException::new(messages::too_many_tags(count, MAX_TAGS_PER_REPOSITORY))
}

/// Registers this module's operations with their handlers.
pub(crate) fn register(builder: Builder) -> Builder {
    builder
        .tag_resource(tag)
        .untag_resource(untag)
        .list_tags_for_resource(list)
}

pub(crate) async fn tag(
    state: &State,
    ctx: &RequestContext,
    input: TagResourceRequest,
) -> Result<TagResourceResponse, TagResourceError> {
    let (scope, name) = repository_at::<TagResourceError>(ctx, &input.resource_arn)?;
    tags::check_tags(&input.tags)?;
    crate::repositories::update(
        state.meta(),
        &scope,
        &name,
        RepositoryChange::AddTags(input.tags),
    )
    .await
    .map_err(|error| -> TagResourceError {
        match error {
            StoreError::TooManyTags { count } => too_many_tags(count).into(),
            other => repository_failure(other, &scope, &name),
        }
    })?;
    Ok(TagResourceResponse {})
}

pub(crate) async fn untag(
    state: &State,
    ctx: &RequestContext,
    input: UntagResourceRequest,
) -> Result<UntagResourceResponse, UntagResourceError> {
    let (scope, name) = repository_at::<UntagResourceError>(ctx, &input.resource_arn)?;
    tags::check_tag_keys(&input.tag_keys)?;
    crate::repositories::update(
        state.meta(),
        &scope,
        &name,
        RepositoryChange::RemoveTags(input.tag_keys),
    )
    .await
    .map_err(|error| repository_failure::<UntagResourceError>(error, &scope, &name))?;
    Ok(UntagResourceResponse {})
}

pub(crate) async fn list(
    state: &State,
    ctx: &RequestContext,
    input: ListTagsForResourceRequest,
) -> Result<ListTagsForResourceResponse, ListTagsForResourceError> {
    let (scope, name) = repository_at::<ListTagsForResourceError>(ctx, &input.resource_arn)?;
    let record = crate::repositories::find(state.meta(), &scope, &name)
        .await
        .map_err(|error| repository_failure::<ListTagsForResourceError>(error, &scope, &name))?;
    Ok(ListTagsForResourceResponse {
        tags: Some(record.tags),
    })
}
