//! Repositories themselves: create, describe (by name or page by page), delete.

use berth_runtime::RequestContext;
use berth_runtime::json::{self, Rendered};
use ecr_generated::errors::{
    CreateRepositoryError, DeleteRepositoryError, DescribeRepositoriesError,
    InvalidParameterException, RepositoryAlreadyExistsException, RepositoryNotEmptyException,
    ServerException,
};
use ecr_generated::types::{
    CreateRepositoryRequest, CreateRepositoryResponse, DeleteRepositoryRequest,
    DeleteRepositoryResponse, DescribeRepositoriesRequest, DescribeRepositoriesResponse,
    EncryptionConfiguration, EncryptionType, ImageTagMutability, KmsKey, RepositoryName,
};

use super::settings::tag_mutability;
use super::tagging::too_many_tags;
use super::{
    Builder, RepositoryViews, State, caller_registry, not_found, repository_failure,
    repository_view, server_failure,
};
use crate::limits::DEFAULT_DESCRIBE_REPOSITORIES_PAGE_SIZE;
use crate::rendered::{RepositoryVersion, page_json};
use crate::store::{RepositoryRecord, Scope, StoreError};
use crate::{arn, messages, pagination, tags};

/// What `name` in every repository ARN of a call about all repositories says.
const EVERY_REPOSITORY: &str = "*";

/// The encryption a new repository gets: AES256 by default; KMS without a key uses ECR's
/// AWS-managed key, whose ARN is fixed here, at creation, for the repository's lifetime.
fn encryption(
    scope: &Scope,
    requested: Option<EncryptionConfiguration>,
) -> Result<EncryptionConfiguration, CreateRepositoryError> {
    let Some(requested) = requested else {
        return Ok(EncryptionConfiguration {
            encryption_type: EncryptionType::Aes256,
            kms_key: None,
        });
    };
    match (requested.encryption_type, requested.kms_key) {
        (EncryptionType::Aes256, Some(_)) => {
            Err(InvalidParameterException::new(messages::kms_key_without_kms_encryption()).into())
        }
        (encryption_type @ (EncryptionType::Kms | EncryptionType::KmsDsse), None) => {
            let managed_key = arn::kms_key_arn(scope, &uuid::Uuid::new_v4().to_string());
            // Always valid (a short ARN); a failure would be Berth's own bug.
            let managed_key = KmsKey::try_from(managed_key).map_err(|reason| {
                ServerException::new(messages::unexpected_store_outcome(&reason.to_string()))
            })?;
            Ok(EncryptionConfiguration {
                encryption_type,
                kms_key: Some(managed_key),
            })
        }
        (encryption_type, kms_key) => Ok(EncryptionConfiguration {
            encryption_type,
            kms_key,
        }),
    }
}

/// Registers this module's operations with their handlers.
pub(crate) fn register(builder: Builder) -> Builder {
    builder
        .create_repository(create)
        .delete_repository(delete)
        .describe_repositories(describe)
}

pub(crate) async fn create(
    state: &State,
    ctx: &RequestContext,
    input: CreateRepositoryRequest,
) -> Result<CreateRepositoryResponse, CreateRepositoryError> {
    let name = input.repository_name;
    let scope = caller_registry(ctx, input.registry_id.as_ref(), &name)?;
    let mode = input
        .image_tag_mutability
        .unwrap_or(ImageTagMutability::Mutable);
    let tag_mutability = tag_mutability(mode, input.image_tag_mutability_exclusion_filters)?;
    let encryption = encryption(&scope, input.encryption_configuration)?;
    // Every tag is checked before anything is stored: tags are all or nothing.
    let requested_tags = input.tags.unwrap_or_default();
    tags::check_tags(&requested_tags)?;
    let tags = tags::with_added(&[], requested_tags).map_err(too_many_tags)?;
    let record = RepositoryRecord {
        name,
        created_at: state.now(),
        tag_mutability,
        scan_on_push: input
            .image_scanning_configuration
            .is_some_and(|scanning| scanning.scan_on_push),
        encryption,
        tags,
        policy_text: None,
    };
    let repository = repository_view(&state.registry_host, &scope, &record);
    let name = record.name.clone();
    crate::repositories::create(state.meta(), &scope, record)
        .await
        .map_err(|error| -> CreateRepositoryError {
            match error {
                StoreError::RepositoryAlreadyExists => RepositoryAlreadyExistsException::new(
                    messages::repository_already_exists(&name, &scope.account_id),
                )
                .into(),
                other => server_failure(other),
            }
        })?;
    Ok(CreateRepositoryResponse {
        repository: Some(repository),
    })
}

pub(crate) async fn delete(
    state: &State,
    ctx: &RequestContext,
    input: DeleteRepositoryRequest,
) -> Result<DeleteRepositoryResponse, DeleteRepositoryError> {
    let name = input.repository_name;
    let scope = caller_registry(ctx, input.registry_id.as_ref(), &name)?;
    let record = crate::repositories::delete(state.meta(), &scope, &name, input.force)
        .await
        .map_err(|error| -> DeleteRepositoryError {
            match error {
                StoreError::RepositoryNotEmpty => RepositoryNotEmptyException::new(
                    messages::repository_not_empty(&name, &scope.account_id),
                )
                .into(),
                other => repository_failure(other, &scope, &name),
            }
        })?;
    Ok(DeleteRepositoryResponse {
        repository: Some(repository_view(&state.registry_host, &scope, &record)),
    })
}

pub(crate) async fn describe(
    state: &State,
    ctx: &RequestContext,
    input: DescribeRepositoriesRequest,
) -> Result<Rendered<DescribeRepositoriesResponse>, DescribeRepositoriesError> {
    match input.repository_names {
        Some(names) => {
            let first = names
                .first()
                .map_or(EVERY_REPOSITORY, RepositoryName::as_str);
            let scope = caller_registry(ctx, input.registry_id.as_ref(), first)?;
            let paging_member = match (input.max_results, input.next_token) {
                (Some(_), _) => Some("maxResults"),
                (None, Some(_)) => Some("nextToken"),
                (None, None) => None,
            };
            if let Some(member) = paging_member {
                return Err(InvalidParameterException::new(
                    messages::pagination_with_repository_names(member),
                )
                .into());
            }
            describe_named(state, &scope, &names)
                .await
                .map(Rendered::Value)
        }
        None => {
            let scope = caller_registry(ctx, input.registry_id.as_ref(), EVERY_REPOSITORY)?;
            // The model bounds maxResults to 1..=1000; the fallback only guards the conversion.
            let page_size = input
                .max_results
                .and_then(|n| usize::try_from(n).ok())
                .filter(|&n| n > 0)
                .unwrap_or(DEFAULT_DESCRIBE_REPOSITORIES_PAGE_SIZE);
            describe_page(state, &scope, input.next_token.as_deref(), page_size).await
        }
    }
}

/// The named repositories in request order; the first missing one is the error.
async fn describe_named(
    state: &State,
    scope: &Scope,
    names: &[RepositoryName],
) -> Result<DescribeRepositoriesResponse, DescribeRepositoriesError> {
    let found = crate::repositories::named(state.meta(), scope, names)
        .await
        .map_err(server_failure::<DescribeRepositoriesError>)?;
    let views = RepositoryViews::new(&state.registry_host, scope);
    let repositories = names
        .iter()
        .zip(found)
        .map(|(name, record)| match record {
            Some(record) => Ok(views.view(&record)),
            None => Err(not_found(name, &scope.account_id)),
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(DescribeRepositoriesResponse {
        repositories: Some(repositories),
        next_token: None,
    })
}

/// One page in name order, after the repository the token names, written from each
/// repository's JSON kept ready (see [`crate::rendered`]).
async fn describe_page(
    state: &State,
    scope: &Scope,
    next_token: Option<&str>,
    page_size: usize,
) -> Result<Rendered<DescribeRepositoriesResponse>, DescribeRepositoriesError> {
    let after = match next_token {
        // An empty token is what some clients send for "from the start".
        None | Some("") => None,
        // A token names a repository: anything else is not one of Berth's.
        Some(token) => Some(
            pagination::decode_token(token)
                .and_then(|name| RepositoryName::try_from(name).ok())
                .ok_or_else(|| InvalidParameterException::new(messages::invalid_next_token()))?,
        ),
    };
    // One more than a page tells whether another page follows.
    let mut rows =
        crate::repositories::page(state.meta(), scope, after, page_size.saturating_add(1))
            .await
            .map_err(server_failure::<DescribeRepositoriesError>)?;
    let next_token = pagination::finish_page(&mut rows, page_size, |row| row.record.name.as_str());
    let views = RepositoryViews::new(&state.registry_host, scope);
    let versions: Vec<RepositoryVersion> = rows
        .iter()
        .map(|row| RepositoryVersion {
            name: row.record.name.clone(),
            created_at: row.record.created_at,
            tag_mutability: row.record.tag_mutability.clone(),
            scan_on_push: row.record.scan_on_push,
            encryption: row.record.encryption.clone(),
        })
        .collect();
    let items: Vec<_> = rows.iter().map(|row| row.id).zip(&versions).collect();
    let rendered = state
        .rendered
        .repositories
        .get_or_render_all(&items, |index| {
            json::to_vec(&views.view(&rows[index].record))
        })
        .and_then(|items| page_json("repositories", &items, next_token.as_deref()))
        .map_err(|e| ServerException::new(messages::unwritable_output(&e.to_string())))?;
    Ok(Rendered::Json(rendered))
}
