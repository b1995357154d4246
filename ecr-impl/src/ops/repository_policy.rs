//! Repository policies: set (after checking the text), get, delete.

use berth_runtime::RequestContext;
use ecr_generated::errors::{
    DeleteRepositoryPolicyError, GetRepositoryPolicyError, InvalidParameterException,
    RepositoryPolicyNotFoundException, SetRepositoryPolicyError,
};
use ecr_generated::types::{
    DeleteRepositoryPolicyRequest, DeleteRepositoryPolicyResponse, GetRepositoryPolicyRequest,
    GetRepositoryPolicyResponse, RepositoryName, SetRepositoryPolicyRequest,
    SetRepositoryPolicyResponse,
};

use super::{Builder, State, caller_registry, repository_failure};
use crate::store::{RepositoryChange, Scope, StoreError};
use crate::{messages, policy};

fn policy_not_found(scope: &Scope, name: &RepositoryName) -> RepositoryPolicyNotFoundException {
    RepositoryPolicyNotFoundException::new(messages::repository_policy_not_found(
        name,
        &scope.account_id,
    ))
}

/// Registers this module's operations with their handlers.
pub(crate) fn register(builder: Builder) -> Builder {
    builder
        .set_repository_policy(set)
        .get_repository_policy(get)
        .delete_repository_policy(delete)
}

pub(crate) async fn set(
    state: &State,
    ctx: &RequestContext,
    input: SetRepositoryPolicyRequest,
) -> Result<SetRepositoryPolicyResponse, SetRepositoryPolicyError> {
    let name = input.repository_name;
    let scope = caller_registry(ctx, input.registry_id.as_ref(), &name)?;
    policy::check(&input.policy_text)
        .map_err(|_| InvalidParameterException::new(messages::invalid_repository_policy()))?;
    // `force` only matters to IAM lock-out checks, which Berth does not have.
    crate::repositories::update(
        state.meta(),
        &scope,
        &name,
        RepositoryChange::SetPolicy(input.policy_text.clone()),
    )
    .await
    .map_err(|error| repository_failure::<SetRepositoryPolicyError>(error, &scope, &name))?;
    Ok(SetRepositoryPolicyResponse {
        registry_id: Some(scope.account_id),
        repository_name: Some(name),
        policy_text: Some(input.policy_text),
    })
}

pub(crate) async fn get(
    state: &State,
    ctx: &RequestContext,
    input: GetRepositoryPolicyRequest,
) -> Result<GetRepositoryPolicyResponse, GetRepositoryPolicyError> {
    let name = input.repository_name;
    let scope = caller_registry(ctx, input.registry_id.as_ref(), &name)?;
    let record = crate::repositories::find(state.meta(), &scope, &name)
        .await
        .map_err(|error| repository_failure::<GetRepositoryPolicyError>(error, &scope, &name))?;
    let policy_text = record
        .policy_text
        .ok_or_else(|| policy_not_found(&scope, &name))?;
    Ok(GetRepositoryPolicyResponse {
        registry_id: Some(scope.account_id),
        repository_name: Some(name),
        policy_text: Some(policy_text),
    })
}

pub(crate) async fn delete(
    state: &State,
    ctx: &RequestContext,
    input: DeleteRepositoryPolicyRequest,
) -> Result<DeleteRepositoryPolicyResponse, DeleteRepositoryPolicyError> {
    let name = input.repository_name;
    let scope = caller_registry(ctx, input.registry_id.as_ref(), &name)?;
    let updated =
        crate::repositories::update(state.meta(), &scope, &name, RepositoryChange::DeletePolicy)
            .await
            .map_err(|error| -> DeleteRepositoryPolicyError {
                match error {
                    StoreError::RepositoryPolicyNotFound => policy_not_found(&scope, &name).into(),
                    other => repository_failure(other, &scope, &name),
                }
            })?;
    Ok(DeleteRepositoryPolicyResponse {
        registry_id: Some(scope.account_id),
        repository_name: Some(name),
        policy_text: updated.before.policy_text,
    })
}
