//! PutImage (`ecr-behaviour-images.md` §4), shared by the JSON API and the OCI `/v2`
//! manifest PUT: the input checks, then one write job that checks the repository, the
//! manifest's references, an existing image, the tag's mutability and the tag limit, and
//! stores the image, its references and its tag, or nothing at all.

use std::collections::HashMap;
use std::sync::Arc;

use berth_runtime::Timestamp;
use bytes::Bytes;
use ecr_generated::errors::{
    ImageAlreadyExistsException, ImageTagAlreadyExistsException, LimitExceededException,
    PutImageError, ServerException,
};
use ecr_generated::types::{Image, ImageIdentifier, ImageTag, PutImageRequest, RepositoryName};

use super::immutability::is_immutable;
use super::manifest::{self, Manifest};
use super::{check_image_digest, check_image_tag, find_repository};
use crate::limits::MAX_TAGS_PER_IMAGE;
use crate::messages;
use crate::store::Scope;
use crate::store::blobs::Sha256Digest;
use crate::store::meta::{self, ImageRow, ImageStatus, LayerRow, MetaStore, Reference, Tx};

/// A stored (or re-tagged) image: what PutImage answers, plus what the `/v2` side sends in
/// headers (`Docker-Content-Digest`, `OCI-Subject`).
#[derive(Debug, Clone, PartialEq)]
pub struct Pushed {
    pub image: Image,
    pub digest: Sha256Digest,
    pub subject: Option<Sha256Digest>,
    /// The artifact's type (`artifactType`, else the config's media type); none for an index.
    pub artifact_media_type: Option<Arc<str>>,
}

/// PutImage on the caller's registry `scope` (the caller has checked `registryId`) at
/// `pushed_at`. Only stores: what follows a push is [`crate::Ecr::push_image`]'s.
pub async fn put(
    meta: &dyn MetaStore,
    scope: &Scope,
    input: PutImageRequest,
    pushed_at: Timestamp,
) -> Result<Pushed, PutImageError> {
    // §2: the patterns the model does not state, before the repository is looked at.
    if let Some(tag) = &input.image_tag {
        check_image_tag(tag)?;
    }
    if let Some(digest) = &input.image_digest {
        check_image_digest(digest)?;
    }
    // Steps 3–5 need no state; their error waits until the repository is known to exist.
    let parsed = manifest::read(
        &input.image_manifest,
        input.image_manifest_media_type.as_deref(),
        input.image_digest.as_deref(),
    );
    let response_manifest = input.image_manifest.clone();
    let bytes = Bytes::from(input.image_manifest.into_inner());
    let name = input.repository_name;
    let tag = input.image_tag;
    let job_scope = scope.clone();
    let job_name = name.clone();
    let job_tag = tag.clone();
    let row = meta::write(meta, move |tx| {
        let parsed = parsed.clone();
        store(
            tx,
            &job_scope,
            &job_name,
            job_tag.as_ref(),
            parsed,
            &bytes,
            pushed_at,
        )
    })
    .await?;
    Ok(Pushed {
        image: Image {
            registry_id: Some(scope.account_id.clone()),
            repository_name: Some(name),
            image_id: Some(ImageIdentifier {
                image_digest: Some(row.digest.to_string()),
                image_tag: tag,
            }),
            image_manifest: Some(response_manifest),
            image_manifest_media_type: Some(row.media_type.to_string()),
        },
        digest: row.digest,
        subject: row.subject,
        artifact_media_type: row.artifact_media_type,
    })
}

/// The write job: steps 2 and 6–9, then the writes. Answers the stored image's row.
/// (Replication stores its copies with it too, so a copy is the same image.)
pub(crate) fn store(
    tx: &mut dyn Tx,
    scope: &Scope,
    name: &RepositoryName,
    tag: Option<&ImageTag>,
    parsed: Result<Manifest, PutImageError>,
    bytes: &Bytes,
    pushed_at: Timestamp,
) -> Result<ImageRow, PutImageError> {
    let repository = find_repository::<_, PutImageError>(tx, scope, name)?;
    let repo = repository.id;
    let manifest = parsed?;
    let digest: Sha256Digest = manifest.digest().parse().map_err(|error| {
        ServerException::new(messages::unexpected_store_outcome(&format!(
            "a computed digest does not parse: {error}"
        )))
    })?;

    // Step 6: every layer and child image must be in this repository.
    let mut references = Vec::new();
    let mut missing = Vec::new();
    let mut layers_to_label = Vec::new();
    for descriptor in manifest.required_layers() {
        let layer = match descriptor.digest.parse::<Sha256Digest>() {
            Ok(layer_digest) => tx.layer(repo, &layer_digest)?,
            Err(_) => None,
        };
        match layer {
            Some(layer) => {
                references.push(Reference::Layer(layer.digest));
                if layer.media_type.is_none()
                    && let Some(media_type) = &descriptor.media_type
                {
                    layers_to_label.push(LayerRow {
                        media_type: Some(media_type.clone()),
                        ..layer
                    });
                }
            }
            None => missing.push(descriptor.digest.as_str()),
        }
    }
    if !missing.is_empty() {
        return Err(manifest::layers_not_found(&missing, name, &scope.account_id).into());
    }
    let mut child_sizes = HashMap::new();
    for descriptor in manifest.required_images() {
        let child = match descriptor.digest.parse::<Sha256Digest>() {
            Ok(child_digest) => tx.image(repo, &child_digest)?,
            Err(_) => None,
        };
        match child {
            Some(child) => {
                references.push(Reference::Manifest(child.digest));
                child_sizes.insert(descriptor.digest.clone(), super::long(child.size_in_bytes));
            }
            None => missing.push(descriptor.digest.as_str()),
        }
    }
    if !missing.is_empty() {
        return Err(
            manifest::referenced_images_not_found(&missing, name, &scope.account_id).into(),
        );
    }

    // Step 7: the same bytes are already an image.
    let existing = tx.image(repo, &digest)?;
    if existing.is_some() {
        let already_tagged = match tag {
            None => true,
            Some(tag) => tx.tag(repo, tag)? == Some(digest),
        };
        if already_tagged {
            let message = messages::image_already_exists(
                &digest.to_string(),
                tag.map(ImageTag::as_str),
                name,
                &scope.account_id,
            );
            return Err(ImageAlreadyExistsException::new(message).into());
        }
    }

    if let Some(tag) = tag {
        // Step 8: the tag names another image.
        let current = tx.tag(repo, tag)?;
        if current.is_some_and(|current| current != digest)
            && is_immutable(&repository.record.tag_mutability, tag)
        {
            let message = messages::image_tag_already_exists(tag, name);
            return Err(ImageTagAlreadyExistsException::new(message).into());
        }
        // Step 9: a new image has no tags yet; an existing one may be full.
        if existing.is_some() && tx.tags_of(repo, &digest)?.len() >= MAX_TAGS_PER_IMAGE {
            let message = messages::image_tag_limit_exceeded(
                tag,
                name,
                &scope.account_id,
                MAX_TAGS_PER_IMAGE,
            );
            return Err(LimitExceededException::new(message).into());
        }
    }

    let row = match existing {
        // Re-tagging keeps everything the image had, `imagePushedAt` included.
        Some(existing) => existing,
        None => {
            let row = ImageRow {
                digest,
                media_type: manifest.media_type().as_str().into(),
                artifact_media_type: manifest.artifact_type().map(Into::into),
                size_in_bytes: u64::try_from(
                    manifest.image_size_in_bytes(|child| child_sizes.get(child).copied()),
                )
                .unwrap_or(0),
                pushed_at,
                last_pulled_at: None,
                status: ImageStatus::Active,
                last_archived_at: None,
                last_activated_at: None,
                subject: manifest
                    .subject()
                    .and_then(|subject| subject.digest.parse().ok()),
                push_sequence: 0, // numbered by the store
            };
            tx.insert_image(repo, &row, bytes, &references)?;
            // BatchCheckLayerAvailability reports the type the first manifest gave a layer.
            for layer in &layers_to_label {
                tx.put_layer(repo, layer)?;
            }
            row
        }
    };
    if let Some(tag) = tag {
        tx.set_tag(repo, tag, &digest)?;
    }
    Ok(row)
}
