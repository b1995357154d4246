//! Pull through cache rules: create, describe, update, delete, validate
//! (`ecr-behaviour-registry.md` §5). The rules live in [`crate::pull_through`]; the `/v2`
//! pull through them is the server's.

use berth_runtime::RequestContext;
use ecr_generated::errors::{
    CreatePullThroughCacheRuleError, DeletePullThroughCacheRuleError,
    DescribePullThroughCacheRulesError, InvalidParameterException, LimitExceededException,
    PullThroughCacheRuleAlreadyExistsException, PullThroughCacheRuleNotFoundException,
    ServerException, UnsupportedUpstreamRegistryException, UpdatePullThroughCacheRuleError,
    ValidatePullThroughCacheRuleError,
};
use ecr_generated::types::{
    CreatePullThroughCacheRuleRequest, CreatePullThroughCacheRuleResponse,
    DeletePullThroughCacheRuleRequest, DeletePullThroughCacheRuleResponse,
    DescribePullThroughCacheRulesRequest, DescribePullThroughCacheRulesResponse,
    UpdatePullThroughCacheRuleRequest, UpdatePullThroughCacheRuleResponse, UpstreamRegistry,
    ValidatePullThroughCacheRuleRequest, ValidatePullThroughCacheRuleResponse,
};

use super::{Builder, State, caller_registry, server_failure};
use crate::limits::{
    DEFAULT_DESCRIBE_PULL_THROUGH_CACHE_RULES_PAGE_SIZE, MAX_PULL_THROUGH_CACHE_RULES,
};
use crate::pull_through::{self, ROOT, RuleError, StoredRule, needs_credentials, upstream_of};
use crate::store::Scope;
use crate::{messages, pagination};

/// What AccessDenied names for calls about a registry's rules.
const EVERY_REPOSITORY: &str = "*";

/// Registers this module's operations with their handlers.
pub(crate) fn register(builder: Builder) -> Builder {
    builder
        .create_pull_through_cache_rule(create)
        .describe_pull_through_cache_rules(describe)
        .update_pull_through_cache_rule(update)
        .delete_pull_through_cache_rule(delete)
        .validate_pull_through_cache_rule(validate)
}

/// A rule job's failure as the operation's error `E` (Create maps its own two first).
fn rule_failure<E>(error: RuleError, scope: &Scope) -> E
where
    E: From<PullThroughCacheRuleNotFoundException> + From<ServerException>,
{
    match error {
        RuleError::NotFound(prefix) => PullThroughCacheRuleNotFoundException::new(
            messages::pull_through_rule_not_found(&prefix, &scope.account_id),
        )
        .into(),
        RuleError::Store(error) => server_failure(error),
        // Only Create meets these, and it maps them itself.
        RuleError::AlreadyExists | RuleError::LimitExceeded => ServerException::new(
            messages::unexpected_store_outcome("pull through cache rule"),
        )
        .into(),
    }
}

pub(crate) async fn create(
    state: &State,
    ctx: &RequestContext,
    input: CreatePullThroughCacheRuleRequest,
) -> Result<CreatePullThroughCacheRuleResponse, CreatePullThroughCacheRuleError> {
    let scope = caller_registry(ctx, input.registry_id.as_ref(), EVERY_REPOSITORY)?;
    let url = input.upstream_registry_url;
    let (upstream, upstream_account) = upstream_of(&url).ok_or_else(|| {
        UnsupportedUpstreamRegistryException::new(messages::invalid_upstream_registry_url(&url))
    })?;
    if let Some(given) = input.upstream_registry
        && given != upstream
    {
        return Err(
            InvalidParameterException::new(messages::upstream_registry_mismatch(
                given.as_str(),
                &url,
            ))
            .into(),
        );
    }
    if needs_credentials(upstream) && input.credential_arn.is_none() {
        return Err(UnsupportedUpstreamRegistryException::new(
            messages::UPSTREAM_REQUIRES_AUTHENTICATION,
        )
        .into());
    }
    if upstream == UpstreamRegistry::Ecr
        && upstream_account.is_some_and(|account| account != scope.account_id.as_str())
        && input.custom_role_arn.is_none()
    {
        return Err(InvalidParameterException::new(messages::custom_role_required(&url)).into());
    }
    let now = state.now();
    let rule = StoredRule {
        v: 1,
        prefix: input.ecr_repository_prefix.to_string(),
        upstream_registry_url: url,
        upstream_registry: upstream.as_str().to_owned(),
        credential_arn: input.credential_arn.map(|arn| arn.to_string()),
        custom_role_arn: input.custom_role_arn.map(|arn| arn.to_string()),
        upstream_repository_prefix: input
            .upstream_repository_prefix
            .map_or_else(|| ROOT.to_owned(), |prefix| prefix.to_string()),
        created_at_millis: now.epoch_millis(),
        updated_at_millis: now.epoch_millis(),
    };
    let prefix = rule.prefix.clone();
    let rule = pull_through::create(state.meta(), &scope, rule)
        .await
        .map_err(|error| -> CreatePullThroughCacheRuleError {
            match error {
                RuleError::AlreadyExists => PullThroughCacheRuleAlreadyExistsException::new(
                    messages::pull_through_rule_already_exists(&prefix, &scope.account_id),
                )
                .into(),
                RuleError::LimitExceeded => {
                    LimitExceededException::new(messages::pull_through_rule_limit_exceeded(
                        MAX_PULL_THROUGH_CACHE_RULES,
                        &scope.account_id,
                    ))
                    .into()
                }
                RuleError::Store(error) => server_failure(error),
                RuleError::NotFound(prefix) => {
                    ServerException::new(messages::unexpected_store_outcome(&prefix)).into()
                }
            }
        })?;
    Ok(CreatePullThroughCacheRuleResponse {
        ecr_repository_prefix: rule.prefix(),
        upstream_registry_url: Some(rule.upstream_registry_url.clone()),
        created_at: Some(rule.created_at()),
        registry_id: Some(scope.account_id),
        upstream_registry: rule.upstream_registry(),
        credential_arn: rule.credential_arn(),
        custom_role_arn: rule.custom_role_arn(),
        upstream_repository_prefix: rule.upstream_repository_prefix(),
    })
}

pub(crate) async fn describe(
    state: &State,
    ctx: &RequestContext,
    input: DescribePullThroughCacheRulesRequest,
) -> Result<DescribePullThroughCacheRulesResponse, DescribePullThroughCacheRulesError> {
    let scope = caller_registry(ctx, input.registry_id.as_ref(), EVERY_REPOSITORY)?;
    let registry_id = scope.account_id.to_string();
    if let Some(prefixes) = input.ecr_repository_prefixes {
        let prefixes = prefixes.iter().map(ToString::to_string).collect();
        let rules = pull_through::named(state.meta(), &scope, prefixes)
            .await
            .map_err(|error| rule_failure::<DescribePullThroughCacheRulesError>(error, &scope))?;
        return Ok(DescribePullThroughCacheRulesResponse {
            pull_through_cache_rules: Some(
                rules.iter().map(|rule| rule.view(&registry_id)).collect(),
            ),
            next_token: None,
        });
    }
    // The model bounds maxResults to 1..=1000; the fallback only guards the conversion.
    let page_size = input
        .max_results
        .and_then(|n| usize::try_from(n).ok())
        .filter(|&n| n > 0)
        .unwrap_or(DEFAULT_DESCRIBE_PULL_THROUGH_CACHE_RULES_PAGE_SIZE);
    let after = match input.next_token.as_deref() {
        None | Some("") => None,
        Some(token) => Some(
            pagination::decode_token(token)
                .ok_or_else(|| InvalidParameterException::new(messages::invalid_next_token()))?,
        ),
    };
    // One more than a page tells whether another page follows.
    let mut rules = pull_through::page(state.meta(), &scope, after, page_size.saturating_add(1))
        .await
        .map_err(server_failure::<DescribePullThroughCacheRulesError>)?;
    let next_token = pagination::finish_page(&mut rules, page_size, |(key, _)| key.as_str());
    Ok(DescribePullThroughCacheRulesResponse {
        pull_through_cache_rules: Some(
            rules
                .iter()
                .map(|(_, rule)| rule.view(&registry_id))
                .collect(),
        ),
        next_token,
    })
}

pub(crate) async fn update(
    state: &State,
    ctx: &RequestContext,
    input: UpdatePullThroughCacheRuleRequest,
) -> Result<UpdatePullThroughCacheRuleResponse, UpdatePullThroughCacheRuleError> {
    let scope = caller_registry(ctx, input.registry_id.as_ref(), EVERY_REPOSITORY)?;
    if input.credential_arn.is_none() && input.custom_role_arn.is_none() {
        return Err(InvalidParameterException::new(messages::pull_through_update_empty()).into());
    }
    let rule = pull_through::update(
        state.meta(),
        &scope,
        input.ecr_repository_prefix.as_str(),
        input.credential_arn.map(|arn| arn.to_string()),
        input.custom_role_arn.map(|arn| arn.to_string()),
        state.now(),
    )
    .await
    .map_err(|error| rule_failure::<UpdatePullThroughCacheRuleError>(error, &scope))?;
    Ok(UpdatePullThroughCacheRuleResponse {
        ecr_repository_prefix: rule.prefix(),
        registry_id: Some(scope.account_id),
        updated_at: Some(rule.updated_at()),
        credential_arn: rule.credential_arn(),
        custom_role_arn: rule.custom_role_arn(),
        upstream_repository_prefix: rule.upstream_repository_prefix(),
    })
}

pub(crate) async fn delete(
    state: &State,
    ctx: &RequestContext,
    input: DeletePullThroughCacheRuleRequest,
) -> Result<DeletePullThroughCacheRuleResponse, DeletePullThroughCacheRuleError> {
    let scope = caller_registry(ctx, input.registry_id.as_ref(), EVERY_REPOSITORY)?;
    let rule = pull_through::delete(state.meta(), &scope, input.ecr_repository_prefix.as_str())
        .await
        .map_err(|error| rule_failure::<DeletePullThroughCacheRuleError>(error, &scope))?;
    Ok(DeletePullThroughCacheRuleResponse {
        ecr_repository_prefix: rule.prefix(),
        upstream_registry_url: Some(rule.upstream_registry_url.clone()),
        created_at: Some(rule.created_at()),
        registry_id: Some(scope.account_id),
        credential_arn: rule.credential_arn(),
        custom_role_arn: rule.custom_role_arn(),
        upstream_repository_prefix: rule.upstream_repository_prefix(),
    })
}

pub(crate) async fn validate(
    state: &State,
    ctx: &RequestContext,
    input: ValidatePullThroughCacheRuleRequest,
) -> Result<ValidatePullThroughCacheRuleResponse, ValidatePullThroughCacheRuleError> {
    let scope = caller_registry(ctx, input.registry_id.as_ref(), EVERY_REPOSITORY)?;
    let rule = pull_through::get(state.meta(), &scope, input.ecr_repository_prefix.as_str())
        .await
        .map_err(|error| rule_failure::<ValidatePullThroughCacheRuleError>(error, &scope))?;
    // Berth does not contact the upstream from this call (§5 [choice]): a rule is valid
    // unless its upstream needs credentials it does not have.
    let lacks_credentials =
        rule.upstream_registry().is_some_and(needs_credentials) && rule.credential_arn.is_none();
    Ok(ValidatePullThroughCacheRuleResponse {
        ecr_repository_prefix: rule.prefix(),
        registry_id: Some(scope.account_id),
        upstream_registry_url: Some(rule.upstream_registry_url.clone()),
        credential_arn: rule.credential_arn(),
        custom_role_arn: rule.custom_role_arn(),
        upstream_repository_prefix: rule.upstream_repository_prefix(),
        is_valid: !lacks_credentials,
        failure: lacks_credentials
            .then(|| messages::pull_through_rule_lacks_credentials(&rule.upstream_registry_url)),
    })
}
