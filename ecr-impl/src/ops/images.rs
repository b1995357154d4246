//! The image operations' handlers: the caller's registry, then the shared functions of
//! [`crate::images`] (which the OCI `/v2` routes call too).

use berth_runtime::RequestContext;
use berth_runtime::json::Rendered;
use ecr_generated::errors::{
    BatchDeleteImageError, BatchGetImageError, DescribeImagesError, ListImageReferrersError,
    ListImagesError, PutImageError, UpdateImageStorageClassError,
};
use ecr_generated::types::{
    BatchDeleteImageRequest, BatchDeleteImageResponse, BatchGetImageRequest, BatchGetImageResponse,
    DescribeImagesRequest, DescribeImagesResponse, ListImageReferrersRequest,
    ListImageReferrersResponse, ListImagesRequest, ListImagesResponse, PutImageRequest,
    PutImageResponse, UpdateImageStorageClassRequest, UpdateImageStorageClassResponse,
};

use super::{Builder, State, caller_registry};
use crate::images;

/// Registers this module's operations with their handlers.
pub(crate) fn register(builder: Builder) -> Builder {
    builder
        .put_image(put_image)
        .batch_get_image(batch_get_image)
        .batch_delete_image(batch_delete_image)
        .list_images(list_images)
        .describe_images(describe_images)
        .list_image_referrers(list_image_referrers)
        .update_image_storage_class(update_image_storage_class)
}

pub(crate) async fn put_image(
    state: &State,
    ctx: &RequestContext,
    input: PutImageRequest,
) -> Result<PutImageResponse, PutImageError> {
    let scope = caller_registry(ctx, input.registry_id.as_ref(), &input.repository_name)?;
    let pushed = crate::on_push::push(state, &scope, input).await?;
    Ok(PutImageResponse {
        image: Some(pushed.image),
    })
}

pub(crate) async fn batch_get_image(
    state: &State,
    ctx: &RequestContext,
    input: BatchGetImageRequest,
) -> Result<BatchGetImageResponse, BatchGetImageError> {
    let scope = caller_registry(ctx, input.registry_id.as_ref(), &input.repository_name)?;
    // `acceptedMediaTypes` changes nothing: the manifest is answered as stored.
    images::get::get(
        state.meta(),
        &scope,
        &input.repository_name,
        input.image_ids,
        state.now(),
    )
    .await
}

pub(crate) async fn batch_delete_image(
    state: &State,
    ctx: &RequestContext,
    input: BatchDeleteImageRequest,
) -> Result<BatchDeleteImageResponse, BatchDeleteImageError> {
    let scope = caller_registry(ctx, input.registry_id.as_ref(), &input.repository_name)?;
    images::delete::delete_announced(state, &scope, &input.repository_name, input.image_ids).await
}

pub(crate) async fn list_images(
    state: &State,
    ctx: &RequestContext,
    input: ListImagesRequest,
) -> Result<Rendered<ListImagesResponse>, ListImagesError> {
    let scope = caller_registry(ctx, input.registry_id.as_ref(), &input.repository_name)?;
    images::list::list_images(state.meta(), &scope, input).await
}

pub(crate) async fn describe_images(
    state: &State,
    ctx: &RequestContext,
    input: DescribeImagesRequest,
) -> Result<Rendered<DescribeImagesResponse>, DescribeImagesError> {
    let scope = caller_registry(ctx, input.registry_id.as_ref(), &input.repository_name)?;
    let rendered = &state.rendered.image_details;
    images::list::describe_images(state.meta(), rendered, &scope, input).await
}

pub(crate) async fn list_image_referrers(
    state: &State,
    ctx: &RequestContext,
    input: ListImageReferrersRequest,
) -> Result<ListImageReferrersResponse, ListImageReferrersError> {
    let scope = caller_registry(ctx, input.registry_id.as_ref(), &input.repository_name)?;
    images::referrers::list_referrers(state.meta(), &scope, input).await
}

pub(crate) async fn update_image_storage_class(
    state: &State,
    ctx: &RequestContext,
    input: UpdateImageStorageClassRequest,
) -> Result<UpdateImageStorageClassResponse, UpdateImageStorageClassError> {
    let scope = caller_registry(ctx, input.registry_id.as_ref(), &input.repository_name)?;
    images::storage_class::update_storage_class(state.meta(), &scope, input, state.now()).await
}
