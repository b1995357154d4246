//! Signing (`ecr-behaviour-registry.md` §8): the registry's signing configuration and the
//! statuses a push recorded ([`crate::signing`]).

use berth_runtime::RequestContext;
use ecr_generated::errors::{
    DeleteSigningConfigurationError, DescribeImageSigningStatusError, GetSigningConfigurationError,
    PutSigningConfigurationError, SigningConfigurationNotFoundException,
};
use ecr_generated::types::{
    DeleteSigningConfigurationRequest, DeleteSigningConfigurationResponse,
    DescribeImageSigningStatusRequest, DescribeImageSigningStatusResponse,
    GetSigningConfigurationRequest, GetSigningConfigurationResponse,
    PutSigningConfigurationRequest, PutSigningConfigurationResponse,
};

use super::{Builder, State, caller_registry, caller_scope};
use crate::images::{answered_id, check_image_id, named_image};
use crate::store::Scope;
use crate::store::meta;
use crate::{messages, signing};

/// Registers this module's operations with their handlers.
pub(crate) fn register(builder: Builder) -> Builder {
    builder
        .put_signing_configuration(put_signing_configuration)
        .get_signing_configuration(get_signing_configuration)
        .delete_signing_configuration(delete_signing_configuration)
        .describe_image_signing_status(describe_image_signing_status)
}

fn not_found(scope: &Scope) -> SigningConfigurationNotFoundException {
    SigningConfigurationNotFoundException::new(messages::signing_configuration_not_found(
        &scope.account_id,
    ))
}

pub(crate) async fn put_signing_configuration(
    state: &State,
    ctx: &RequestContext,
    input: PutSigningConfigurationRequest,
) -> Result<PutSigningConfigurationResponse, PutSigningConfigurationError> {
    let scope = caller_scope(ctx)?;
    // Everything a rule can get wrong (ARN, filter patterns, counts) the model states.
    let configuration = input.signing_configuration;
    let stored = configuration.clone();
    meta::write::<_, PutSigningConfigurationError, _>(state.meta(), move |tx| {
        Ok(signing::put_configuration(tx, &scope, &stored)?)
    })
    .await?;
    Ok(PutSigningConfigurationResponse {
        signing_configuration: Some(configuration),
    })
}

pub(crate) async fn get_signing_configuration(
    state: &State,
    ctx: &RequestContext,
    _input: GetSigningConfigurationRequest,
) -> Result<GetSigningConfigurationResponse, GetSigningConfigurationError> {
    let scope = caller_scope(ctx)?;
    let job_scope = scope.clone();
    let configuration = meta::read(state.meta(), move |tx| {
        signing::configuration(tx, &job_scope)?
            .ok_or_else(|| GetSigningConfigurationError::from(not_found(&job_scope)))
    })
    .await?;
    Ok(GetSigningConfigurationResponse {
        registry_id: Some(scope.account_id),
        signing_configuration: Some(configuration),
    })
}

pub(crate) async fn delete_signing_configuration(
    state: &State,
    ctx: &RequestContext,
    _input: DeleteSigningConfigurationRequest,
) -> Result<DeleteSigningConfigurationResponse, DeleteSigningConfigurationError> {
    let scope = caller_scope(ctx)?;
    let job_scope = scope.clone();
    let removed = meta::write(state.meta(), move |tx| {
        signing::delete_configuration(tx, &job_scope)?
            .ok_or_else(|| DeleteSigningConfigurationError::from(not_found(&job_scope)))
    })
    .await?;
    Ok(DeleteSigningConfigurationResponse {
        registry_id: Some(scope.account_id),
        signing_configuration: Some(removed),
    })
}

pub(crate) async fn describe_image_signing_status(
    state: &State,
    ctx: &RequestContext,
    input: DescribeImageSigningStatusRequest,
) -> Result<DescribeImageSigningStatusResponse, DescribeImageSigningStatusError> {
    let name = input.repository_name;
    let scope = caller_registry(ctx, input.registry_id.as_ref(), &name)?;
    let id = input.image_id;
    check_image_id(&id)?;
    let job_scope = scope.clone();
    let job_name = name.clone();
    let job_id = id.clone();
    let (row, statuses) = meta::read(state.meta(), move |tx| {
        let (repo, row) =
            named_image::<_, DescribeImageSigningStatusError>(tx, &job_scope, &job_name, &job_id)?;
        let statuses = signing::statuses_of(tx, repo, &row.digest)?;
        Ok::<_, DescribeImageSigningStatusError>((row, statuses))
    })
    .await?;
    Ok(DescribeImageSigningStatusResponse {
        repository_name: Some(name),
        image_id: Some(answered_id(&row, &id)),
        registry_id: Some(scope.account_id),
        signing_statuses: Some(statuses),
    })
}
