//! Pull-time update exclusions (`ecr-behaviour-registry.md` §9): register, deregister, list
//! ([`crate::exclusions`]).

use berth_runtime::RequestContext;
use ecr_generated::errors::{
    DeregisterPullTimeUpdateExclusionError, ExclusionAlreadyExistsException,
    ExclusionNotFoundException, InvalidParameterException, LimitExceededException,
    ListPullTimeUpdateExclusionsError, RegisterPullTimeUpdateExclusionError,
};
use ecr_generated::types::{
    DeregisterPullTimeUpdateExclusionRequest, DeregisterPullTimeUpdateExclusionResponse,
    ListPullTimeUpdateExclusionsRequest, ListPullTimeUpdateExclusionsResponse,
    RegisterPullTimeUpdateExclusionRequest, RegisterPullTimeUpdateExclusionResponse,
};

use super::{Builder, State, caller_scope};
use crate::exclusions;
use crate::limits::{
    DEFAULT_LIST_PULL_TIME_UPDATE_EXCLUSIONS_PAGE_SIZE, MAX_PULL_TIME_UPDATE_EXCLUSIONS,
};
use crate::messages;
use crate::pagination::{decode_token, finish_page};
use crate::store::meta;

/// Registers this module's operations with their handlers.
pub(crate) fn register(builder: Builder) -> Builder {
    builder
        .register_pull_time_update_exclusion(register_pull_time_update_exclusion)
        .deregister_pull_time_update_exclusion(deregister_pull_time_update_exclusion)
        .list_pull_time_update_exclusions(list_pull_time_update_exclusions)
}

pub(crate) async fn register_pull_time_update_exclusion(
    state: &State,
    ctx: &RequestContext,
    input: RegisterPullTimeUpdateExclusionRequest,
) -> Result<RegisterPullTimeUpdateExclusionResponse, RegisterPullTimeUpdateExclusionError> {
    let scope = caller_scope(ctx)?;
    let principal = input.principal_arn;
    let created_at = state.now();
    let job_principal = principal.clone();
    meta::write(state.meta(), move |tx| {
        let principal = &job_principal;
        if exclusions::is_registered(tx, &scope, principal)? {
            return Err(
                ExclusionAlreadyExistsException::new(messages::exclusion_already_exists(
                    principal,
                    &scope.account_id,
                ))
                .into(),
            );
        }
        let limit = MAX_PULL_TIME_UPDATE_EXCLUSIONS;
        if exclusions::count_up_to(tx, &scope, limit)? >= limit {
            return Err(
                LimitExceededException::new(messages::exclusion_limit_exceeded(
                    limit,
                    &scope.account_id,
                ))
                .into(),
            );
        }
        exclusions::register(tx, &scope, principal, created_at)?;
        Ok::<_, RegisterPullTimeUpdateExclusionError>(())
    })
    .await?;
    Ok(RegisterPullTimeUpdateExclusionResponse {
        principal_arn: Some(principal),
        created_at: Some(created_at),
    })
}

pub(crate) async fn deregister_pull_time_update_exclusion(
    state: &State,
    ctx: &RequestContext,
    input: DeregisterPullTimeUpdateExclusionRequest,
) -> Result<DeregisterPullTimeUpdateExclusionResponse, DeregisterPullTimeUpdateExclusionError> {
    let scope = caller_scope(ctx)?;
    let principal = input.principal_arn;
    let job_principal = principal.clone();
    meta::write(state.meta(), move |tx| {
        let principal = &job_principal;
        if !exclusions::is_registered(tx, &scope, principal)? {
            return Err(
                ExclusionNotFoundException::new(messages::exclusion_not_found(
                    principal,
                    &scope.account_id,
                ))
                .into(),
            );
        }
        exclusions::deregister(tx, &scope, principal)?;
        Ok::<_, DeregisterPullTimeUpdateExclusionError>(())
    })
    .await?;
    Ok(DeregisterPullTimeUpdateExclusionResponse {
        principal_arn: Some(principal),
    })
}

pub(crate) async fn list_pull_time_update_exclusions(
    state: &State,
    ctx: &RequestContext,
    input: ListPullTimeUpdateExclusionsRequest,
) -> Result<ListPullTimeUpdateExclusionsResponse, ListPullTimeUpdateExclusionsError> {
    let scope = caller_scope(ctx)?;
    let after = match input.next_token.as_deref() {
        None => None,
        Some(token) => Some(
            decode_token(token)
                .ok_or_else(|| InvalidParameterException::new(messages::invalid_next_token()))?,
        ),
    };
    // The model bounds maxResults to 1–1000.
    let page_size = input
        .max_results
        .and_then(|max| usize::try_from(max).ok())
        .unwrap_or(DEFAULT_LIST_PULL_TIME_UPDATE_EXCLUSIONS_PAGE_SIZE);
    let mut principals = meta::read(state.meta(), move |tx| {
        Ok::<_, ListPullTimeUpdateExclusionsError>(exclusions::principals_after(
            tx,
            &scope,
            after.as_deref(),
            page_size + 1,
        )?)
    })
    .await?;
    let next_token = finish_page(&mut principals, page_size, |principal| principal.as_ref());
    Ok(ListPullTimeUpdateExclusionsResponse {
        pull_time_update_exclusions: Some(principals),
        next_token,
    })
}
