//! A push, whichever protocol made it (PutImage, or a manifest PUT on `/v2`): the image is
//! stored ([`crate::images::put`]), then each domain that reacts to a new image does, here,
//! in one place. A reaction never fails the push: the image is stored and acknowledged, and
//! a reaction that cannot complete records its own failure where its domain reports it.

use ecr_generated::errors::PutImageError;
use ecr_generated::types::PutImageRequest;

use crate::events::{self, ImageActionType, ImageRef, Outcome};
use crate::images::put::{self, Pushed};
use crate::ops::State;
use crate::store::Scope;
use crate::store::blobs::Sha256Digest;

/// PutImage on the caller's registry `scope` (the caller has checked `registryId`), then
/// what follows a push. [choice] A push refused because its tag is immutable is an
/// `ECR Image Action` PUSH FAILURE (AWS's event schema has `result` FAILURE; its documents
/// show no refused push); other refusals (bad input, no repository) emit nothing.
pub(crate) async fn push(
    state: &State,
    scope: &Scope,
    input: PutImageRequest,
) -> Result<Pushed, PutImageError> {
    // Kept for the FAILURE event of a refused push (the stored image's digest otherwise).
    let refused = (
        input.repository_name.clone(),
        input.image_tag.clone(),
        Sha256Digest::of(input.image_manifest.as_bytes()),
    );
    match put::put(state.meta(), scope, input, state.now()).await {
        Ok(pushed) => {
            after_push(state, scope, &pushed).await;
            Ok(pushed)
        }
        Err(error) => {
            if matches!(error, PutImageError::ImageTagAlreadyExistsException(_)) {
                let (name, tag, digest) = refused;
                let image = ImageRef {
                    scope,
                    repository: &name,
                    digest: &digest,
                    tag: tag.as_deref(),
                };
                state.events().emit(events::image_action(
                    ImageActionType::Push,
                    Outcome::Failure,
                    image,
                    None,
                    None,
                    state.now(),
                ));
            }
            Err(error)
        }
    }
}

/// What follows a stored push of `pushed` into `scope`.
async fn after_push(state: &State, scope: &Scope, pushed: &Pushed) {
    announce_push(state, scope, pushed);
    crate::scanning::after_push(state, scope, pushed).await;
    crate::signing::after_push(state, scope, pushed).await;
    if let Some(name) = &pushed.image.repository_name {
        let tag = pushed
            .image
            .image_id
            .as_ref()
            .and_then(|id| id.image_tag.as_ref());
        crate::registry::replication::after_push(state, scope, name, pushed.digest, tag).await;
    }
}

/// The PUSH SUCCESS event of `pushed`, first: what reacts to the push follows it.
fn announce_push(state: &State, scope: &Scope, pushed: &Pushed) {
    let Some(name) = &pushed.image.repository_name else {
        return;
    };
    let tag = pushed
        .image
        .image_id
        .as_ref()
        .and_then(|id| id.image_tag.as_deref());
    let image = ImageRef {
        scope,
        repository: name,
        digest: &pushed.digest,
        tag,
    };
    state.events().emit(events::image_action(
        ImageActionType::Push,
        Outcome::Success,
        image,
        pushed.image.image_manifest_media_type.as_deref(),
        pushed.artifact_media_type.as_deref(),
        state.now(),
    ));
}

impl crate::Ecr {
    /// PutImage on `scope` for protocols other than the JSON API (the `/v2` manifest PUT):
    /// the image is stored, then everything that follows a push happens, as for PutImage.
    pub async fn push_image(
        &self,
        scope: &Scope,
        input: PutImageRequest,
    ) -> Result<Pushed, PutImageError> {
        push(self.service.state(), scope, input).await
    }
}
