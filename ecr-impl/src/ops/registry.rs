//! The registry's own operations (§2, §3): DescribeRegistry, the registry policy,
//! PutReplicationConfiguration and DescribeImageReplicationStatus. The rules live in
//! [`crate::registry`]; these handlers pick the caller's registry and shape the answers.

use berth_runtime::RequestContext;
use ecr_generated::errors::{
    DeleteRegistryPolicyError, DescribeImageReplicationStatusError, DescribeRegistryError,
    GetRegistryPolicyError, InvalidParameterException, PutRegistryPolicyError,
    PutReplicationConfigurationError, RegistryPolicyNotFoundException, ServerException,
};
use ecr_generated::types::{
    DeleteRegistryPolicyRequest, DeleteRegistryPolicyResponse,
    DescribeImageReplicationStatusRequest, DescribeImageReplicationStatusResponse,
    DescribeRegistryRequest, DescribeRegistryResponse, GetRegistryPolicyRequest,
    GetRegistryPolicyResponse, PutRegistryPolicyRequest, PutRegistryPolicyResponse,
    PutReplicationConfigurationRequest, PutReplicationConfigurationResponse, RegistryPolicyText,
};

use super::{Builder, State, caller_registry, caller_scope, server_failure};
use crate::images::{answered_id, check_image_id, named_image};
use crate::messages;
use crate::registry::{policy, replication};
use crate::store::meta;

/// Registers this module's operations with their handlers.
pub(crate) fn register(builder: Builder) -> Builder {
    builder
        .describe_registry(describe_registry)
        .put_registry_policy(put_registry_policy)
        .get_registry_policy(get_registry_policy)
        .delete_registry_policy(delete_registry_policy)
        .put_replication_configuration(put_replication_configuration)
        .describe_image_replication_status(describe_image_replication_status)
}

/// A stored policy text as the model's type (it passed the same length check when put).
fn policy_text(text: String) -> Result<RegistryPolicyText, ServerException> {
    RegistryPolicyText::try_from(text).map_err(|error| {
        ServerException::new(messages::unexpected_store_outcome(&error.to_string()))
    })
}

pub(crate) async fn describe_registry(
    state: &State,
    ctx: &RequestContext,
    _input: DescribeRegistryRequest,
) -> Result<DescribeRegistryResponse, DescribeRegistryError> {
    let scope = caller_scope(ctx)?;
    let job_scope = scope.clone();
    let configuration = meta::read(state.meta(), move |tx| replication::get(tx, &job_scope)).await;
    Ok(DescribeRegistryResponse {
        registry_id: Some(scope.account_id),
        replication_configuration: Some(
            configuration.map_err(server_failure::<DescribeRegistryError>)?,
        ),
    })
}

pub(crate) async fn put_registry_policy(
    state: &State,
    ctx: &RequestContext,
    input: PutRegistryPolicyRequest,
) -> Result<PutRegistryPolicyResponse, PutRegistryPolicyError> {
    let scope = caller_scope(ctx)?;
    let (job_scope, text) = (scope.clone(), input.policy_text.to_string());
    let accepted = meta::write(state.meta(), move |tx| policy::put(tx, &job_scope, &text))
        .await
        .map_err(server_failure::<PutRegistryPolicyError>)?;
    if !accepted {
        return Err(InvalidParameterException::new(messages::invalid_registry_policy()).into());
    }
    Ok(PutRegistryPolicyResponse {
        registry_id: Some(scope.account_id),
        policy_text: Some(input.policy_text),
    })
}

pub(crate) async fn get_registry_policy(
    state: &State,
    ctx: &RequestContext,
    _input: GetRegistryPolicyRequest,
) -> Result<GetRegistryPolicyResponse, GetRegistryPolicyError> {
    let scope = caller_scope(ctx)?;
    let job_scope = scope.clone();
    let text = meta::read(state.meta(), move |tx| policy::get(tx, &job_scope))
        .await
        .map_err(server_failure::<GetRegistryPolicyError>)?
        .ok_or_else(|| {
            RegistryPolicyNotFoundException::new(messages::registry_policy_not_found(
                &scope.account_id,
            ))
        })?;
    Ok(GetRegistryPolicyResponse {
        registry_id: Some(scope.account_id),
        policy_text: Some(policy_text(text)?),
    })
}

pub(crate) async fn delete_registry_policy(
    state: &State,
    ctx: &RequestContext,
    _input: DeleteRegistryPolicyRequest,
) -> Result<DeleteRegistryPolicyResponse, DeleteRegistryPolicyError> {
    let scope = caller_scope(ctx)?;
    let job_scope = scope.clone();
    let text = meta::write(state.meta(), move |tx| policy::delete(tx, &job_scope))
        .await
        .map_err(server_failure::<DeleteRegistryPolicyError>)?
        .ok_or_else(|| {
            RegistryPolicyNotFoundException::new(messages::registry_policy_not_found(
                &scope.account_id,
            ))
        })?;
    Ok(DeleteRegistryPolicyResponse {
        registry_id: Some(scope.account_id),
        policy_text: Some(policy_text(text)?),
    })
}

pub(crate) async fn put_replication_configuration(
    state: &State,
    ctx: &RequestContext,
    input: PutReplicationConfigurationRequest,
) -> Result<PutReplicationConfigurationResponse, PutReplicationConfigurationError> {
    let scope = caller_scope(ctx)?;
    let configuration = input.replication_configuration;
    replication::check(&scope, &configuration)?;
    let stored = configuration.clone();
    meta::write(state.meta(), move |tx| {
        replication::put(tx, &scope, &stored)
    })
    .await
    .map_err(server_failure::<PutReplicationConfigurationError>)?;
    Ok(PutReplicationConfigurationResponse {
        replication_configuration: Some(configuration),
    })
}

pub(crate) async fn describe_image_replication_status(
    state: &State,
    ctx: &RequestContext,
    input: DescribeImageReplicationStatusRequest,
) -> Result<DescribeImageReplicationStatusResponse, DescribeImageReplicationStatusError> {
    let name = input.repository_name;
    let scope = caller_registry(ctx, input.registry_id.as_ref(), &name)?;
    let id = input.image_id;
    check_image_id(&id)?;
    meta::read(state.meta(), move |tx| {
        let (repository, row) =
            named_image::<_, DescribeImageReplicationStatusError>(tx, &scope, &name, &id)?;
        Ok(DescribeImageReplicationStatusResponse {
            repository_name: Some(name.clone()),
            image_id: Some(answered_id(&row, &id)),
            replication_statuses: Some(replication::statuses(tx, repository, &row.digest)?),
        })
    })
    .await
}
