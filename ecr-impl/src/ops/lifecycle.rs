//! Lifecycle policies and previews (`ecr-behaviour-registry.md` §1.2, §1.4): the five
//! handlers over [`crate::lifecycle`]. Order of checks: the model's (before the handler),
//! `registryId`, then the repository's existence, then the policy text.

use berth_runtime::{RequestContext, Timestamp};
use ecr_generated::errors::{
    DeleteLifecyclePolicyError, GetLifecyclePolicyError, GetLifecyclePolicyPreviewError,
    InvalidParameterException, LifecyclePolicyNotFoundException,
    LifecyclePolicyPreviewNotFoundException, PutLifecyclePolicyError,
    StartLifecyclePolicyPreviewError,
};
use ecr_generated::types::{
    DeleteLifecyclePolicyRequest, DeleteLifecyclePolicyResponse, GetLifecyclePolicyPreviewRequest,
    GetLifecyclePolicyPreviewResponse, GetLifecyclePolicyRequest, GetLifecyclePolicyResponse,
    ImageActionType, ImageIdentifier, ImageTag, LifecyclePolicyPreviewResult,
    LifecyclePolicyPreviewStatus, LifecyclePolicyPreviewSummary, LifecyclePolicyRuleAction,
    LifecyclePolicyStorageClass, LifecyclePolicyTargetStorageClass, LifecyclePolicyText,
    PutLifecyclePolicyRequest, PutLifecyclePolicyResponse, RepositoryName,
    StartLifecyclePolicyPreviewRequest, StartLifecyclePolicyPreviewResponse, TagStatus,
    TransitioningImageTotalCount,
};

use super::{Builder, State, caller_registry};
use crate::images::{check_image_id, find_repository};
use crate::lifecycle::preview::{self, PreviewResult, StoredPreview};
use crate::lifecycle::{self, StoredPolicy};
use crate::limits::DEFAULT_LIFECYCLE_PREVIEW_PAGE_SIZE;
use crate::store::Scope;
use crate::store::meta;
use crate::{messages, pagination};

/// Registers this module's operations with their handlers.
pub(crate) fn register(builder: Builder) -> Builder {
    builder
        .put_lifecycle_policy(put)
        .get_lifecycle_policy(get)
        .delete_lifecycle_policy(delete)
        .start_lifecycle_policy_preview(start_preview)
        .get_lifecycle_policy_preview(get_preview)
}

fn policy_not_found(scope: &Scope, name: &RepositoryName) -> LifecyclePolicyNotFoundException {
    LifecyclePolicyNotFoundException::new(messages::lifecycle_policy_not_found(
        name,
        &scope.account_id,
    ))
}

/// A stored text as the model's type (it passed the model's checks when it came in).
fn policy_text(text: String) -> Option<LifecyclePolicyText> {
    LifecyclePolicyText::try_from(text).ok()
}

pub(crate) async fn put(
    state: &State,
    ctx: &RequestContext,
    input: PutLifecyclePolicyRequest,
) -> Result<PutLifecyclePolicyResponse, PutLifecyclePolicyError> {
    let name = input.repository_name;
    let scope = caller_registry(ctx, input.registry_id.as_ref(), &name)?;
    let parsed = lifecycle::parse_policy(input.lifecycle_policy_text.as_str());
    let text = {
        let (scope, name) = (scope.clone(), name.clone());
        meta::write(state.meta(), move |tx| {
            let repository = find_repository::<_, PutLifecyclePolicyError>(tx, &scope, &name)?;
            let policy = parsed.clone()?;
            lifecycle::store_policy(tx, repository.id, &policy)?;
            Ok::<_, PutLifecyclePolicyError>(policy.canonical_text())
        })
        .await?
    };
    Ok(PutLifecyclePolicyResponse {
        registry_id: Some(scope.account_id),
        repository_name: Some(name),
        lifecycle_policy_text: policy_text(text),
    })
}

pub(crate) async fn get(
    state: &State,
    ctx: &RequestContext,
    input: GetLifecyclePolicyRequest,
) -> Result<GetLifecyclePolicyResponse, GetLifecyclePolicyError> {
    let name = input.repository_name;
    let scope = caller_registry(ctx, input.registry_id.as_ref(), &name)?;
    let stored = {
        let (scope, name) = (scope.clone(), name.clone());
        meta::read(state.meta(), move |tx| {
            let repository = find_repository::<_, GetLifecyclePolicyError>(tx, &scope, &name)?;
            lifecycle::stored_policy(tx, repository.id)?
                .ok_or_else(|| GetLifecyclePolicyError::from(policy_not_found(&scope, &name)))
        })
        .await?
    };
    Ok(GetLifecyclePolicyResponse {
        registry_id: Some(scope.account_id),
        repository_name: Some(name),
        last_evaluated_at: Some(stored.last_evaluated_at()),
        lifecycle_policy_text: policy_text(stored.text),
    })
}

pub(crate) async fn delete(
    state: &State,
    ctx: &RequestContext,
    input: DeleteLifecyclePolicyRequest,
) -> Result<DeleteLifecyclePolicyResponse, DeleteLifecyclePolicyError> {
    let name = input.repository_name;
    let scope = caller_registry(ctx, input.registry_id.as_ref(), &name)?;
    let stored: StoredPolicy = {
        let (scope, name) = (scope.clone(), name.clone());
        meta::write(state.meta(), move |tx| {
            let repository = find_repository::<_, DeleteLifecyclePolicyError>(tx, &scope, &name)?;
            let stored = lifecycle::stored_policy(tx, repository.id)?
                .ok_or_else(|| policy_not_found(&scope, &name))?;
            tx.delete_repository_document(repository.id, lifecycle::POLICY_KIND)?;
            Ok::<_, DeleteLifecyclePolicyError>(stored)
        })
        .await?
    };
    Ok(DeleteLifecyclePolicyResponse {
        registry_id: Some(scope.account_id),
        repository_name: Some(name),
        last_evaluated_at: Some(stored.last_evaluated_at()),
        lifecycle_policy_text: policy_text(stored.text),
    })
}

pub(crate) async fn start_preview(
    state: &State,
    ctx: &RequestContext,
    input: StartLifecyclePolicyPreviewRequest,
) -> Result<StartLifecyclePolicyPreviewResponse, StartLifecyclePolicyPreviewError> {
    let name = input.repository_name;
    let scope = caller_registry(ctx, input.registry_id.as_ref(), &name)?;
    let given = input.lifecycle_policy_text.map(|text| {
        let parsed = lifecycle::parse_policy(text.as_str());
        (text.into_inner(), parsed)
    });
    let now = state.now();
    let text = {
        let (scope, name) = (scope.clone(), name.clone());
        meta::write(state.meta(), move |tx| {
            let repository =
                find_repository::<_, StartLifecyclePolicyPreviewError>(tx, &scope, &name)?;
            let (text, policy) = match &given {
                Some((text, parsed)) => (text.clone(), parsed.clone()?),
                None => {
                    let stored = lifecycle::stored_policy(tx, repository.id)?
                        .ok_or_else(|| policy_not_found(&scope, &name))?;
                    let policy = stored.policy()?;
                    (stored.text, policy)
                }
            };
            let preview = preview::compute(tx, repository.id, text.clone(), &policy, now)?;
            preview::store_preview(tx, repository.id, &preview)?;
            Ok::<_, StartLifecyclePolicyPreviewError>(text)
        })
        .await?
    };
    Ok(StartLifecyclePolicyPreviewResponse {
        registry_id: Some(scope.account_id),
        repository_name: Some(name),
        lifecycle_policy_text: policy_text(text),
        status: Some(LifecyclePolicyPreviewStatus::InProgress),
    })
}

pub(crate) async fn get_preview(
    state: &State,
    ctx: &RequestContext,
    input: GetLifecyclePolicyPreviewRequest,
) -> Result<GetLifecyclePolicyPreviewResponse, GetLifecyclePolicyPreviewError> {
    let name = input.repository_name;
    let scope = caller_registry(ctx, input.registry_id.as_ref(), &name)?;
    if let Some(image_ids) = &input.image_ids {
        // As DescribeImages: ECR's tag and digest patterns, then no paging with imageIds.
        for id in image_ids {
            check_image_id(id)?;
        }
        for (member, given) in [
            ("maxResults", input.max_results.is_some()),
            ("nextToken", input.next_token.is_some()),
        ] {
            if given {
                let message = messages::lifecycle_preview_image_ids_with(member);
                return Err(InvalidParameterException::new(message).into());
            }
        }
    }
    let after = match &input.next_token {
        Some(token) => Some(
            pagination::decode_token(token)
                .ok_or_else(|| InvalidParameterException::new(messages::invalid_next_token()))?,
        ),
        None => None,
    };
    let preview: StoredPreview = {
        let (scope, name) = (scope.clone(), name.clone());
        meta::read(state.meta(), move |tx| {
            let repository =
                find_repository::<_, GetLifecyclePolicyPreviewError>(tx, &scope, &name)?;
            preview::stored_preview(tx, repository.id)?
                .ok_or_else(|| {
                    LifecyclePolicyPreviewNotFoundException::new(
                        messages::lifecycle_preview_not_found(&name, &scope.account_id),
                    )
                    .into()
                })
                .map_err(|error: GetLifecyclePolicyPreviewError| error)
        })
        .await?
    };

    let wanted = |result: &&PreviewResult| {
        let by_status = match input.filter.as_ref().and_then(|filter| filter.tag_status) {
            Some(TagStatus::Tagged) => !result.tags.is_empty(),
            Some(TagStatus::Untagged) => result.tags.is_empty(),
            Some(TagStatus::Any) | None => true,
        };
        let by_id = input
            .image_ids
            .as_ref()
            .is_none_or(|ids| ids.iter().any(|id| names(id, result)));
        by_status && by_id
    };
    let selected: Vec<&PreviewResult> = preview.results.iter().filter(wanted).collect();
    let start = match &after {
        Some(last) => match selected.iter().position(|result| &result.digest == last) {
            Some(at) => at + 1,
            None => {
                return Err(InvalidParameterException::new(messages::invalid_next_token()).into());
            }
        },
        None => 0,
    };
    let page_size = input
        .max_results
        .and_then(|n| usize::try_from(n).ok())
        .unwrap_or(DEFAULT_LIFECYCLE_PREVIEW_PAGE_SIZE);
    let mut page: Vec<&PreviewResult> = selected[start..]
        .iter()
        .take(page_size + 1)
        .copied()
        .collect();
    let next_token = pagination::finish_page(&mut page, page_size, |result| &result.digest);

    let transitioning = preview.transitioning();
    Ok(GetLifecyclePolicyPreviewResponse {
        registry_id: Some(scope.account_id),
        repository_name: Some(name),
        lifecycle_policy_text: policy_text(preview.text.clone()),
        status: Some(LifecyclePolicyPreviewStatus::Complete),
        next_token,
        preview_results: Some(page.into_iter().map(result_view).collect()),
        summary: Some(LifecyclePolicyPreviewSummary {
            expiring_image_total_count: Some(count(preview.expiring())),
            transitioning_image_total_counts: (transitioning > 0).then(|| {
                vec![TransitioningImageTotalCount {
                    target_storage_class: Some(LifecyclePolicyTargetStorageClass::Archive),
                    image_total_count: Some(count(transitioning)),
                }]
            }),
        }),
    })
}

/// Whether `id` names the image of `result`: its digest and/or one of its tags.
fn names(id: &ImageIdentifier, result: &PreviewResult) -> bool {
    let digest_ok = id
        .image_digest
        .as_deref()
        .is_none_or(|digest| digest.eq_ignore_ascii_case(&result.digest));
    let tag_ok = id
        .image_tag
        .as_deref()
        .is_none_or(|tag| result.tags.iter().any(|t| t == tag));
    (id.image_digest.is_some() || id.image_tag.is_some()) && digest_ok && tag_ok
}

fn count(n: usize) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

fn result_view(result: &PreviewResult) -> LifecyclePolicyPreviewResult {
    LifecyclePolicyPreviewResult {
        image_digest: Some(result.digest.clone()),
        image_tags: (!result.tags.is_empty()).then(|| {
            result
                .tags
                .iter()
                .filter_map(|tag| ImageTag::try_from(tag.clone()).ok())
                .collect()
        }),
        image_pushed_at: Some(Timestamp::from_epoch_millis(result.pushed_at)),
        action: Some(LifecyclePolicyRuleAction {
            r#type: Some(if result.expire {
                ImageActionType::Expire
            } else {
                ImageActionType::Transition
            }),
            target_storage_class: (!result.expire)
                .then_some(LifecyclePolicyTargetStorageClass::Archive),
        }),
        applied_rule_priority: Some(result.rule_priority),
        storage_class: Some(if result.archived {
            LifecyclePolicyStorageClass::Archive
        } else {
            LifecyclePolicyStorageClass::Standard
        }),
    }
}
