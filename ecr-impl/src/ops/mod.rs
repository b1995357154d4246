//! The operations, grouped by topic, and what they share: who may act on which registry,
//! how a stored repository is shown, and how store failures become ECR errors.

pub mod account_settings;
pub mod auth;
pub mod exclusions;
pub mod images;
pub mod layers;
pub mod lifecycle;
pub mod pull_through;
pub mod registry;
pub mod repositories;
pub mod repository_policy;
pub mod scanning;
pub mod settings;
pub mod signing;
pub mod tagging;
pub mod templates;

use std::sync::Arc;

use berth_runtime::error::CommonError;
use berth_runtime::{RequestContext, Timestamp};
use ecr_generated::errors::{
    InvalidParameterException, RepositoryNotFoundException, ServerException,
};
use ecr_generated::operations::EcrServiceBuilder;
use ecr_generated::types::{ImageScanningConfiguration, RegistryId, Repository, RepositoryName};

use crate::arn::{self, ArnError, RegistryHost, RepositoryArn};
use crate::auth::TokenKey;
use crate::messages;
use crate::store::blobs::BlobStore;
use crate::store::meta::MetaStore;
use crate::store::{RepositoryRecord, Scope, StoreError};

/// What every handler receives: the state interfaces, the upload sessions in progress, the
/// key login passwords are signed with, and the host repository URIs name. A clone shares
/// the state (every part but the host is shared behind an `Arc`).
#[derive(Debug, Clone)]
pub struct State {
    pub(crate) meta: Arc<dyn MetaStore>,
    pub(crate) blobs: Arc<dyn BlobStore>,
    pub(crate) uploads: Arc<crate::layers::Uploads>,
    pub(crate) token_key: Arc<TokenKey>,
    /// Repository and image views kept ready as JSON for pages.
    pub(crate) rendered: Arc<crate::rendered::Rendered>,
    /// Where `repositoryUri` and `proxyEndpoint` point: AWS's hosts unless set.
    pub(crate) registry_host: RegistryHost,
    /// The time stored things are stamped and judged by.
    pub(crate) clock: Arc<crate::clock::Clock>,
    /// Where the events ECR sends to EventBridge go.
    pub(crate) events: Arc<crate::events::Events>,
}

impl State {
    pub(crate) fn meta(&self) -> &dyn MetaStore {
        self.meta.as_ref()
    }

    pub(crate) fn events(&self) -> &crate::events::Events {
        &self.events
    }

    /// Now, by [`State::clock`].
    pub(crate) fn now(&self) -> Timestamp {
        self.clock.now()
    }
}

/// The service builder the modules register their handlers with.
pub(crate) type Builder = EcrServiceBuilder<State>;

/// Registers every implemented operation: each module registers its own handlers, beside them.
pub(crate) fn register(builder: Builder) -> Builder {
    let builder = account_settings::register(builder);
    let builder = auth::register(builder);
    let builder = images::register(builder);
    let builder = layers::register(builder);
    let builder = lifecycle::register(builder);
    let builder = pull_through::register(builder);
    let builder = registry::register(builder);
    let builder = repositories::register(builder);
    let builder = repository_policy::register(builder);
    let builder = settings::register(builder);
    let builder = scanning::register(builder);
    let builder = signing::register(builder);
    let builder = exclusions::register(builder);
    let builder = tagging::register(builder);
    templates::register(builder)
}

/// The caller's registry in the request's region, when `registry_id` (if given) is the
/// caller's; another account's registry is AccessDenied for the operation being served on
/// `repository` (a name, or `*` for calls about every repository).
pub(crate) fn caller_registry(
    ctx: &RequestContext,
    registry_id: Option<&RegistryId>,
    repository: &str,
) -> Result<Scope, CommonError> {
    let scope = caller_scope(ctx)?;
    match registry_id {
        Some(registry_id) if *registry_id != scope.account_id => {
            let resource = arn::repository_arn_text(&scope.region, registry_id, repository);
            Err(access_denied(ctx, &resource))
        }
        _ => Ok(scope),
    }
}

/// The caller's scope; a context the server could not have built is a server fault.
pub(crate) fn caller_scope(ctx: &RequestContext) -> Result<Scope, CommonError> {
    Scope::of_caller(ctx)
        .map_err(|reason| CommonError::internal(messages::invalid_caller(&reason.to_string())))
}

/// AccessDenied for the operation the context names (the action in IAM's terms).
fn access_denied(ctx: &RequestContext, resource_arn: &str) -> CommonError {
    CommonError::access_denied(messages::access_denied(
        &arn::caller_arn(&ctx.account_id),
        ctx.operation,
        resource_arn,
    ))
}

/// The registry and repository name a `resourceArn` points at: not an ECR repository ARN →
/// InvalidParameter; another account → AccessDenied; another region, or a name no
/// repository can have → RepositoryNotFound (not in the registry the caller talks to).
pub(crate) fn repository_at<E>(
    ctx: &RequestContext,
    resource_arn: &str,
) -> Result<(Scope, RepositoryName), E>
where
    E: From<InvalidParameterException> + From<RepositoryNotFoundException> + From<CommonError>,
{
    let (scope, name) = match RepositoryArn::parse(resource_arn) {
        Ok(RepositoryArn { scope, name }) => (scope, Ok(name)),
        Err(ArnError::ImpossibleName { scope, name }) => (scope, Err(name)),
        Err(ArnError::Malformed) => {
            return Err(InvalidParameterException::new(messages::invalid_resource_arn()).into());
        }
    };
    let caller = caller_scope(ctx)?;
    if scope.account_id != caller.account_id {
        return Err(access_denied(ctx, resource_arn).into());
    }
    match name {
        Ok(name) if scope.region == caller.region => Ok((scope, name)),
        Ok(name) => Err(not_found(&name, &scope.account_id).into()),
        Err(name) => Err(not_found(&name, &scope.account_id).into()),
    }
}

pub(crate) fn not_found(name: &str, registry_id: &str) -> RepositoryNotFoundException {
    RepositoryNotFoundException::new(messages::repository_not_found(name, registry_id))
}

/// A store failure no operation expects: the backend failed, or a Berth bug.
pub(crate) fn server_failure<E: From<ServerException>>(error: StoreError) -> E {
    let message = match error {
        StoreError::Unavailable(detail) => messages::store_unavailable(&detail),
        other => messages::unexpected_store_outcome(&other.to_string()),
    };
    ServerException::new(message).into()
}

/// A store failure of an operation on one existing repository.
pub(crate) fn repository_failure<E>(error: StoreError, scope: &Scope, name: &RepositoryName) -> E
where
    E: From<RepositoryNotFoundException> + From<ServerException>,
{
    match error {
        StoreError::RepositoryNotFound => not_found(name, &scope.account_id).into(),
        other => server_failure(other),
    }
}

/// A stored repository as ECR shows it: every member real ECR fills, the exclusion filters
/// only when there are some; its URI on `host`.
pub(crate) fn repository_view(
    host: &RegistryHost,
    scope: &Scope,
    record: &RepositoryRecord,
) -> Repository {
    RepositoryViews::new(host, scope).view(record)
}

/// Repositories of one registry as ECR shows them ([`repository_view`]), with what they
/// share (the ARN and URI prefixes) built once: a page shows 100.
pub(crate) struct RepositoryViews<'a> {
    scope: &'a Scope,
    arn_prefix: String,
    uri_prefix: String,
}

impl<'a> RepositoryViews<'a> {
    pub(crate) fn new(host: &RegistryHost, scope: &'a Scope) -> RepositoryViews<'a> {
        RepositoryViews {
            scope,
            arn_prefix: arn::repository_arn_prefix(&scope.region, &scope.account_id),
            uri_prefix: host.repository_uri_prefix(scope),
        }
    }

    pub(crate) fn view(&self, record: &RepositoryRecord) -> Repository {
        let filters = &record.tag_mutability.exclusion_filters;
        let with_name = |prefix: &str| {
            let mut text = String::with_capacity(prefix.len() + record.name.len());
            text.push_str(prefix);
            text.push_str(&record.name);
            text
        };
        Repository {
            repository_arn: Some(with_name(&self.arn_prefix)),
            registry_id: Some(self.scope.account_id.clone()),
            repository_name: Some(record.name.clone()),
            repository_uri: Some(with_name(&self.uri_prefix)),
            created_at: Some(record.created_at),
            image_tag_mutability: Some(record.tag_mutability.mode),
            image_tag_mutability_exclusion_filters: (!filters.is_empty()).then(|| filters.clone()),
            image_scanning_configuration: Some(ImageScanningConfiguration {
                scan_on_push: record.scan_on_push,
            }),
            encryption_configuration: Some(record.encryption.clone()),
        }
    }
}

/// `From<StoreError>` for the error enums of operations whose jobs answer in them: a store
/// failure a job does not handle itself is a server fault.
macro_rules! store_errors {
    ($($error:ident),* $(,)?) => {
        $(
            impl From<StoreError> for ecr_generated::errors::$error {
                fn from(error: StoreError) -> Self {
                    server_failure(error)
                }
            }
        )*
    };
}

store_errors!(
    BatchCheckLayerAvailabilityError,
    BatchDeleteImageError,
    BatchGetImageError,
    CompleteLayerUploadError,
    CreateRepositoryCreationTemplateError,
    DeleteLifecyclePolicyError,
    DeleteRepositoryCreationTemplateError,
    DescribeImageReplicationStatusError,
    DescribeImagesError,
    GetDownloadUrlForLayerError,
    GetLifecyclePolicyError,
    GetLifecyclePolicyPreviewError,
    InitiateLayerUploadError,
    ListImageReferrersError,
    ListImagesError,
    PutImageError,
    PutLifecyclePolicyError,
    StartLifecyclePolicyPreviewError,
    UpdateImageStorageClassError,
    UpdateRepositoryCreationTemplateError,
    UploadLayerPartError,
);

// Scanning, signing, pull-time exclusions.
store_errors!(
    BatchGetRepositoryScanningConfigurationError,
    DeleteSigningConfigurationError,
    DeregisterPullTimeUpdateExclusionError,
    DescribeImageScanFindingsError,
    DescribeImageSigningStatusError,
    GetRegistryScanningConfigurationError,
    GetSigningConfigurationError,
    ListPullTimeUpdateExclusionsError,
    PutRegistryScanningConfigurationError,
    PutSigningConfigurationError,
    RegisterPullTimeUpdateExclusionError,
    StartImageScanError,
);
