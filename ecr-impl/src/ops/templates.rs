//! Repository creation templates: create, describe, update, delete. The embedded settings
//! are checked as their own operations check them (CreateRepository's mutability and
//! encryption rules, TagResource's tag rules, SetRepositoryPolicy's grammar,
//! PutLifecyclePolicy's grammar); the rest of the template rules are in [`crate::templates`].

use berth_runtime::RequestContext;
use ecr_generated::errors::{
    CreateRepositoryCreationTemplateError, DeleteRepositoryCreationTemplateError,
    DescribeRepositoryCreationTemplatesError, InvalidParameterException,
    TemplateAlreadyExistsException, TemplateNotFoundException,
    UpdateRepositoryCreationTemplateError,
};
use ecr_generated::types::{
    CreateRepositoryCreationTemplateRequest, CreateRepositoryCreationTemplateResponse,
    CustomRoleArn, DeleteRepositoryCreationTemplateRequest,
    DeleteRepositoryCreationTemplateResponse, DescribeRepositoryCreationTemplatesRequest,
    DescribeRepositoryCreationTemplatesResponse,
    EncryptionConfigurationForRepositoryCreationTemplate, EncryptionType, ImageTagMutability,
    ImageTagMutabilityExclusionFilter, LifecyclePolicyTextForRepositoryCreationTemplate, Prefix,
    RctAppliedFor, RepositoryPolicyText, RepositoryTemplateDescription, Tag,
    UpdateRepositoryCreationTemplateRequest, UpdateRepositoryCreationTemplateResponse,
};

use super::settings::tag_mutability;
use super::{Builder, State, caller_scope, server_failure};
use crate::limits::{DEFAULT_DESCRIBE_CREATION_TEMPLATES_PAGE_SIZE, MAX_TAGS_PER_REPOSITORY};
use crate::store::meta;
use crate::store::{Scope, TagMutability};
use crate::templates::{self, Settings, Template};
use crate::{messages, pagination, policy, tags};

/// Registers this module's operations with their handlers.
pub(crate) fn register(builder: Builder) -> Builder {
    builder
        .create_repository_creation_template(create)
        .describe_repository_creation_templates(describe)
        .update_repository_creation_template(update)
        .delete_repository_creation_template(delete)
}

/// The members a Create or an Update gives (absent: keep what is there, or the default).
#[derive(Debug, Clone)]
struct Changes {
    description: Option<RepositoryTemplateDescription>,
    encryption: Option<EncryptionConfigurationForRepositoryCreationTemplate>,
    resource_tags: Option<Vec<Tag>>,
    image_tag_mutability: Option<ImageTagMutability>,
    exclusion_filters: Option<Vec<ImageTagMutabilityExclusionFilter>>,
    repository_policy: Option<RepositoryPolicyText>,
    lifecycle_policy: Option<LifecyclePolicyTextForRepositoryCreationTemplate>,
    applied_for: Option<Vec<RctAppliedFor>>,
    custom_role_arn: Option<CustomRoleArn>,
}

/// What a template holds before its Create: ECR's defaults.
fn defaults() -> Settings {
    Settings {
        description: None,
        encryption: templates::default_encryption(),
        resource_tags: Vec::new(),
        tag_mutability: TagMutability {
            mode: ImageTagMutability::Mutable,
            exclusion_filters: Vec::new(),
        },
        repository_policy: None,
        lifecycle_policy: None,
        applied_for: Vec::new(),
        custom_role_arn: None,
    }
}

/// `base` with `changes` applied, every rule checked on the result.
fn resolve(base: Settings, changes: Changes) -> Result<Settings, InvalidParameterException> {
    let encryption = changes.encryption.unwrap_or(base.encryption);
    let names_a_key = encryption
        .kms_key
        .as_deref()
        .is_some_and(|key| !key.is_empty());
    if encryption.encryption_type == EncryptionType::Aes256 && names_a_key {
        return Err(InvalidParameterException::new(
            messages::kms_key_without_kms_encryption(),
        ));
    }
    let resource_tags = match changes.resource_tags {
        Some(given) => {
            tags::check_tags_at("resourceTags", &given)
                .map_err(|e| InvalidParameterException::new(e.message.unwrap_or_default()))?;
            tags::with_added(&[], given).map_err(|count| {
                InvalidParameterException::new(messages::too_many_template_tags(
                    count,
                    MAX_TAGS_PER_REPOSITORY,
                ))
            })?
        }
        None => base.resource_tags,
    };
    let mode = changes
        .image_tag_mutability
        .unwrap_or(base.tag_mutability.mode);
    let stored_filters = Some(base.tag_mutability.exclusion_filters).filter(|f| !f.is_empty());
    // A new mode without filters keeps the stored ones only if it takes filters.
    let filters = match (changes.exclusion_filters, changes.image_tag_mutability) {
        (Some(given), _) => Some(given),
        (None, Some(_)) if !takes_filters(mode) => None,
        (None, _) => stored_filters,
    };
    let tag_mutability = tag_mutability(mode, filters)?;
    let repository_policy = match changes.repository_policy {
        Some(text) if text.is_empty() => None,
        Some(text) => {
            policy::check(&text).map_err(|_| {
                InvalidParameterException::new(messages::invalid_repository_policy())
            })?;
            Some(text)
        }
        None => base.repository_policy,
    };
    let lifecycle_policy = match changes.lifecycle_policy {
        Some(text) if text.is_empty() => None,
        Some(text) => Some(lifecycle_policy(text)?),
        None => base.lifecycle_policy,
    };
    let applied_for = changes.applied_for.unwrap_or(base.applied_for);
    if applied_for.is_empty() {
        return Err(InvalidParameterException::new(
            messages::template_applied_for_empty(),
        ));
    }
    Ok(Settings {
        description: changes.description.or(base.description),
        encryption,
        resource_tags,
        tag_mutability,
        repository_policy,
        lifecycle_policy,
        applied_for,
        custom_role_arn: changes.custom_role_arn.or(base.custom_role_arn),
    })
}

fn takes_filters(mode: ImageTagMutability) -> bool {
    matches!(
        mode,
        ImageTagMutability::ImmutableWithExclusion | ImageTagMutability::MutableWithExclusion
    )
}

/// A template's lifecycle policy, checked and re-serialised as PutLifecyclePolicy does.
fn lifecycle_policy(
    text: LifecyclePolicyTextForRepositoryCreationTemplate,
) -> Result<LifecyclePolicyTextForRepositoryCreationTemplate, InvalidParameterException> {
    let canonical = crate::lifecycle::parse_policy(&text)?.canonical_text();
    // The compact form is never longer than a text that parsed; keep the text if it were.
    Ok(LifecyclePolicyTextForRepositoryCreationTemplate::try_from(canonical).unwrap_or(text))
}

fn already_exists(prefix: &Prefix, scope: &Scope) -> TemplateAlreadyExistsException {
    TemplateAlreadyExistsException::new(messages::template_already_exists(
        prefix,
        &scope.account_id,
    ))
}

fn not_found(prefix: &Prefix, scope: &Scope) -> TemplateNotFoundException {
    TemplateNotFoundException::new(messages::template_not_found(prefix, &scope.account_id))
}

pub(crate) async fn create(
    state: &State,
    ctx: &RequestContext,
    input: CreateRepositoryCreationTemplateRequest,
) -> Result<CreateRepositoryCreationTemplateResponse, CreateRepositoryCreationTemplateError> {
    let scope = caller_scope(ctx)?;
    let changes = Changes {
        description: input.description,
        encryption: input.encryption_configuration,
        resource_tags: input.resource_tags,
        image_tag_mutability: input.image_tag_mutability,
        exclusion_filters: input.image_tag_mutability_exclusion_filters,
        repository_policy: input.repository_policy,
        lifecycle_policy: input.lifecycle_policy,
        applied_for: Some(input.applied_for),
        custom_role_arn: input.custom_role_arn,
    };
    let template = Template::new(input.prefix, resolve(defaults(), changes)?, state.now());
    let view = template.view();
    let job_scope = scope.clone();
    meta::write(state.meta(), move |tx| {
        if templates::find(tx, &job_scope, &template.prefix)?.is_some() {
            return Err(already_exists(&template.prefix, &job_scope).into());
        }
        templates::put(tx, &job_scope, &template)?;
        Ok::<_, CreateRepositoryCreationTemplateError>(())
    })
    .await?;
    Ok(CreateRepositoryCreationTemplateResponse {
        registry_id: Some(scope.account_id),
        repository_creation_template: Some(view),
    })
}

pub(crate) async fn describe(
    state: &State,
    ctx: &RequestContext,
    input: DescribeRepositoryCreationTemplatesRequest,
) -> Result<DescribeRepositoryCreationTemplatesResponse, DescribeRepositoryCreationTemplatesError> {
    let scope = caller_scope(ctx)?;
    // The model bounds maxResults to 1..=1000; the fallback only guards the conversion.
    let page_size = input
        .max_results
        .and_then(|n| usize::try_from(n).ok())
        .filter(|&n| n > 0)
        .unwrap_or(DEFAULT_DESCRIBE_CREATION_TEMPLATES_PAGE_SIZE);
    let after = match input.next_token.as_deref() {
        // An empty token is what some clients send for "from the start".
        None | Some("") => None,
        Some(token) => Some(
            pagination::decode_token(token)
                .ok_or_else(|| InvalidParameterException::new(messages::invalid_next_token()))?,
        ),
    };
    let job_scope = scope.clone();
    let mut page = meta::read(state.meta(), move |tx| match &input.prefixes {
        None => templates::page(
            tx,
            &job_scope,
            after.as_deref(),
            page_size.saturating_add(1),
        ),
        // [choice] Named prefixes without a template are left out: the model gives
        // DescribeRepositoryCreationTemplates no TemplateNotFoundException to answer.
        Some(prefixes) => {
            let mut keys: Vec<&str> = prefixes.iter().map(|p| templates::key(p)).collect();
            keys.sort_unstable();
            keys.dedup();
            let mut found = Vec::new();
            for key in keys {
                if after.as_deref().is_some_and(|after| key <= after) {
                    continue;
                }
                if found.len() > page_size {
                    break;
                }
                found.extend(templates::find(tx, &job_scope, key)?);
            }
            Ok(found)
        }
    })
    .await
    .map_err(server_failure::<DescribeRepositoryCreationTemplatesError>)?;
    let next_token = pagination::finish_page(&mut page, page_size, |template| {
        templates::key(&template.prefix)
    });
    Ok(DescribeRepositoryCreationTemplatesResponse {
        registry_id: Some(scope.account_id),
        repository_creation_templates: Some(page.iter().map(Template::view).collect()),
        next_token,
    })
}

pub(crate) async fn update(
    state: &State,
    ctx: &RequestContext,
    input: UpdateRepositoryCreationTemplateRequest,
) -> Result<UpdateRepositoryCreationTemplateResponse, UpdateRepositoryCreationTemplateError> {
    let scope = caller_scope(ctx)?;
    let prefix = input.prefix;
    let changes = Changes {
        description: input.description,
        encryption: input.encryption_configuration,
        resource_tags: input.resource_tags,
        image_tag_mutability: input.image_tag_mutability,
        exclusion_filters: input.image_tag_mutability_exclusion_filters,
        repository_policy: input.repository_policy,
        lifecycle_policy: input.lifecycle_policy,
        applied_for: input.applied_for,
        custom_role_arn: input.custom_role_arn,
    };
    let now = state.now();
    let job_scope = scope.clone();
    let updated = meta::write(state.meta(), move |tx| {
        let mut template = templates::find(tx, &job_scope, &prefix)?
            .ok_or_else(|| not_found(&prefix, &job_scope))?;
        template.set(resolve(template.settings(), changes.clone())?, now);
        templates::put(tx, &job_scope, &template)?;
        Ok::<_, UpdateRepositoryCreationTemplateError>(template)
    })
    .await?;
    Ok(UpdateRepositoryCreationTemplateResponse {
        registry_id: Some(scope.account_id),
        repository_creation_template: Some(updated.view()),
    })
}

pub(crate) async fn delete(
    state: &State,
    ctx: &RequestContext,
    input: DeleteRepositoryCreationTemplateRequest,
) -> Result<DeleteRepositoryCreationTemplateResponse, DeleteRepositoryCreationTemplateError> {
    let scope = caller_scope(ctx)?;
    let prefix = input.prefix;
    let job_scope = scope.clone();
    let deleted = meta::write(state.meta(), move |tx| {
        let template = templates::find(tx, &job_scope, &prefix)?
            .ok_or_else(|| not_found(&prefix, &job_scope))?;
        templates::delete(tx, &job_scope, &prefix)?;
        Ok::<_, DeleteRepositoryCreationTemplateError>(template)
    })
    .await?;
    Ok(DeleteRepositoryCreationTemplateResponse {
        registry_id: Some(scope.account_id),
        repository_creation_template: Some(deleted.view()),
    })
}
