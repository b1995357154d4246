//! A repository's settings: tag mutability (with its exclusion rules) and scan on push.

use berth_runtime::RequestContext;
use ecr_generated::errors::{
    InvalidParameterException, PutImageScanningConfigurationError, PutImageTagMutabilityError,
};
use ecr_generated::types::{
    ImageScanningConfiguration, ImageTagMutability, ImageTagMutabilityExclusionFilter,
    PutImageScanningConfigurationRequest, PutImageScanningConfigurationResponse,
    PutImageTagMutabilityRequest, PutImageTagMutabilityResponse,
};

use super::{Builder, State, caller_registry, repository_failure};
use crate::messages;
use crate::store::{RepositoryChange, TagMutability};

/// A mode and its filters, when they go together: the `*_WITH_EXCLUSION` modes need
/// filters, the others take none. (The filters' own shape is checked by the model.)
pub(crate) fn tag_mutability(
    mode: ImageTagMutability,
    filters: Option<Vec<ImageTagMutabilityExclusionFilter>>,
) -> Result<TagMutability, InvalidParameterException> {
    let takes_filters = matches!(
        mode,
        ImageTagMutability::ImmutableWithExclusion | ImageTagMutability::MutableWithExclusion
    );
    match (takes_filters, filters) {
        (true, None) => Err(InvalidParameterException::new(
            messages::exclusion_filters_required(mode),
        )),
        (false, Some(_)) => Err(InvalidParameterException::new(
            messages::exclusion_filters_not_allowed(mode),
        )),
        (_, filters) => Ok(TagMutability {
            mode,
            exclusion_filters: filters.unwrap_or_default(),
        }),
    }
}

/// Registers this module's operations with their handlers.
pub(crate) fn register(builder: Builder) -> Builder {
    builder
        .put_image_tag_mutability(put_image_tag_mutability)
        .put_image_scanning_configuration(put_image_scanning_configuration)
}

pub(crate) async fn put_image_tag_mutability(
    state: &State,
    ctx: &RequestContext,
    input: PutImageTagMutabilityRequest,
) -> Result<PutImageTagMutabilityResponse, PutImageTagMutabilityError> {
    let name = input.repository_name;
    let scope = caller_registry(ctx, input.registry_id.as_ref(), &name)?;
    let setting = tag_mutability(
        input.image_tag_mutability,
        input.image_tag_mutability_exclusion_filters,
    )?;
    let updated = crate::repositories::update(
        state.meta(),
        &scope,
        &name,
        RepositoryChange::SetTagMutability(setting),
    )
    .await
    .map_err(|error| repository_failure::<PutImageTagMutabilityError>(error, &scope, &name))?;
    let TagMutability {
        mode,
        exclusion_filters,
    } = updated.after.tag_mutability;
    Ok(PutImageTagMutabilityResponse {
        registry_id: Some(scope.account_id),
        repository_name: Some(name),
        image_tag_mutability: Some(mode),
        image_tag_mutability_exclusion_filters: (!exclusion_filters.is_empty())
            .then_some(exclusion_filters),
    })
}

pub(crate) async fn put_image_scanning_configuration(
    state: &State,
    ctx: &RequestContext,
    input: PutImageScanningConfigurationRequest,
) -> Result<PutImageScanningConfigurationResponse, PutImageScanningConfigurationError> {
    let name = input.repository_name;
    let scope = caller_registry(ctx, input.registry_id.as_ref(), &name)?;
    // An absent scanOnPush (the Rust SDK omits false) arrives here as false.
    let change = RepositoryChange::SetScanOnPush(input.image_scanning_configuration.scan_on_push);
    let updated = crate::repositories::update(state.meta(), &scope, &name, change)
        .await
        .map_err(|error| {
            repository_failure::<PutImageScanningConfigurationError>(error, &scope, &name)
        })?;
    Ok(PutImageScanningConfigurationResponse {
        registry_id: Some(scope.account_id),
        repository_name: Some(name),
        image_scanning_configuration: Some(ImageScanningConfiguration {
            scan_on_push: updated.after.scan_on_push,
        }),
    })
}
