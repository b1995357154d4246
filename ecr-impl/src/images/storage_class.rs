//! UpdateImageStorageClass (`ecr-behaviour-images.md` §12): archive an image or restore it,
//! in one write job. Berth restores at once: the answer says ACTIVATING, every later read
//! ACTIVE (choice).

use berth_runtime::Timestamp;
use ecr_generated::errors::UpdateImageStorageClassError;
use ecr_generated::types::{
    ImageIdentifier, ImageStatus as ImageStatusView, TargetStorageClass,
    UpdateImageStorageClassRequest, UpdateImageStorageClassResponse,
};

use super::{check_image_id, named_image};
use crate::store::Scope;
use crate::store::meta::{self, ImageStatus, MetaStore};

/// UpdateImageStorageClass on the caller's registry `scope`. Asking for the class the image
/// already has changes nothing and answers its status (choice).
pub async fn update_storage_class(
    meta: &dyn MetaStore,
    scope: &Scope,
    input: UpdateImageStorageClassRequest,
    now: Timestamp,
) -> Result<UpdateImageStorageClassResponse, UpdateImageStorageClassError> {
    let id = input.image_id;
    check_image_id(&id)?;
    let target = input.target_storage_class;
    let scope = scope.clone();
    let name = input.repository_name;
    meta::write(meta, move |tx| {
        let (repo, mut row) =
            named_image::<_, UpdateImageStorageClassError>(tx, &scope, &name, &id)?;
        let status = match (target, row.status) {
            (TargetStorageClass::Archive, ImageStatus::Active) => {
                row.status = ImageStatus::Archived;
                row.last_archived_at = Some(now);
                tx.update_image(repo, &row)?;
                ImageStatusView::Archived
            }
            (TargetStorageClass::Standard, ImageStatus::Archived) => {
                row.status = ImageStatus::Active;
                row.last_activated_at = Some(now);
                tx.update_image(repo, &row)?;
                ImageStatusView::Activating
            }
            (TargetStorageClass::Archive, ImageStatus::Archived) => ImageStatusView::Archived,
            (TargetStorageClass::Standard, ImageStatus::Active) => ImageStatusView::Active,
        };
        Ok(UpdateImageStorageClassResponse {
            registry_id: Some(scope.account_id.clone()),
            repository_name: Some(name.clone()),
            image_id: Some(ImageIdentifier {
                image_digest: Some(row.digest.to_string()),
                image_tag: id.image_tag.clone(),
            }),
            image_status: Some(status),
        })
    })
    .await
}
