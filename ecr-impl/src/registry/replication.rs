//! Replication (§3): the registry's configuration, its checks, and the copies a push makes.
//!
//! A push into a repository some rule matches copies the image into each destination
//! registry this Berth serves, one write job per destination, so a destination gets the
//! whole image (children of an index first, the layers linked, the same manifest bytes, the
//! tag) or nothing. Blobs are content-addressed and shared by every registry: linking a
//! layer into the destination repository is the copy. The outcome per destination is
//! recorded on the source image and answered by DescribeImageReplicationStatus.
//!
//! [choice] A copy is not a push: the destination's own replication rules do not copy it
//! onward (ECR does not chain replication, and two registries replicating to each other
//! must not loop).

use std::collections::HashSet;

use berth_runtime::Timestamp;
use bytes::Bytes;
use ecr_generated::errors::{InvalidParameterException, PutImageError};
use ecr_generated::types::{
    ImageReplicationStatus, ImageTag, RctAppliedFor, ReplicationConfiguration, ReplicationStatus,
    RepositoryName,
};
use serde::{Deserialize, Serialize};

use super::policy::{self, CREATE_REPOSITORY, REPLICATE_IMAGE};
use crate::images::{manifest, manifest_text, put};
use crate::limits::MAX_REPLICATION_DESTINATIONS;
use crate::messages;
use crate::store::blobs::Sha256Digest;
use crate::store::documents;
use crate::store::meta::{self, LayerRow, ReadTx, RepoId, Tx};
use crate::store::{Scope, StoreError};
use crate::templates;

/// The registry document kind of the configuration (one per registry, under [`KEY`]).
pub(crate) const KIND: &str = "replication-configuration";
const KEY: &str = "configuration";

/// The image document kind of an image's replication statuses.
pub(crate) const STATUS_KIND: &str = "replication-status";

/// What the model cannot say about a configuration for registry `source`: no destination
/// is the source itself; at most [`MAX_REPLICATION_DESTINATIONS`] distinct destinations.
pub(crate) fn check(
    source: &Scope,
    configuration: &ReplicationConfiguration,
) -> Result<(), InvalidParameterException> {
    let mut distinct = HashSet::new();
    for destination in configuration
        .rules
        .iter()
        .flat_map(|rule| &rule.destinations)
    {
        if destination.region == source.region && destination.registry_id == source.account_id {
            return Err(InvalidParameterException::new(
                messages::replication_destination_is_source(),
            ));
        }
        distinct.insert((&destination.region, &destination.registry_id));
    }
    if distinct.len() > MAX_REPLICATION_DESTINATIONS {
        return Err(InvalidParameterException::new(
            messages::too_many_replication_destinations(MAX_REPLICATION_DESTINATIONS),
        ));
    }
    Ok(())
}

#[derive(Debug, Serialize, Deserialize)]
struct StoredConfiguration {
    v: u32,
    configuration: ReplicationConfiguration,
}

/// The configuration of registry `scope` (`rules: []` when none was put).
pub(crate) fn get(
    tx: &mut (impl ReadTx + ?Sized),
    scope: &Scope,
) -> Result<ReplicationConfiguration, StoreError> {
    match tx.registry_document(scope, KIND, KEY)? {
        Some(bytes) => Ok(documents::decode::<StoredConfiguration>(KIND, &bytes)?.configuration),
        None => Ok(ReplicationConfiguration { rules: Vec::new() }),
    }
}

/// Replaces the configuration of `scope` (checked by [`check`]); `rules: []` removes it.
pub(crate) fn put(
    tx: &mut (impl Tx + ?Sized),
    scope: &Scope,
    configuration: &ReplicationConfiguration,
) -> Result<(), StoreError> {
    if configuration.rules.is_empty() {
        return tx.delete_registry_document(scope, KIND, KEY);
    }
    let bytes = documents::encode(
        KIND,
        &StoredConfiguration {
            v: 1,
            configuration: configuration.clone(),
        },
    )?;
    tx.put_registry_document(scope, KIND, KEY, &bytes)
}

/// The destinations the rules of `configuration` send repository `name` to, each once, in
/// the order the rules name them. A rule without filters matches every repository; with
/// filters, those whose name starts with one of them (PREFIX_MATCH, the only type).
pub(crate) fn destinations(configuration: &ReplicationConfiguration, name: &str) -> Vec<Scope> {
    let mut found: Vec<Scope> = Vec::new();
    for rule in &configuration.rules {
        let matches = match &rule.repository_filters {
            None => true,
            Some(filters) => filters
                .iter()
                .any(|filter| name.starts_with(filter.filter.as_str())),
        };
        if !matches {
            continue;
        }
        for destination in &rule.destinations {
            let scope = Scope {
                account_id: destination.registry_id.clone(),
                region: destination.region.clone(),
            };
            if !found.contains(&scope) {
                found.push(scope);
            }
        }
    }
    found
}

#[derive(Debug, Serialize, Deserialize)]
struct StoredStatuses {
    v: u32,
    statuses: Vec<ImageReplicationStatus>,
}

/// The replication statuses recorded for image `digest` (`[]` when it was not replicated).
pub(crate) fn statuses(
    tx: &mut (impl ReadTx + ?Sized),
    repository: RepoId,
    digest: &Sha256Digest,
) -> Result<Vec<ImageReplicationStatus>, StoreError> {
    match tx.image_document(repository, digest, STATUS_KIND)? {
        Some(bytes) => Ok(documents::decode::<StoredStatuses>(STATUS_KIND, &bytes)?.statuses),
        None => Ok(Vec::new()),
    }
}

/// Why a copy to one destination did not happen: its failure code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Failure(pub &'static str);

impl From<StoreError> for Failure {
    fn from(_: StoreError) -> Failure {
        Failure(messages::REPLICATION_FAILED)
    }
}

/// What follows a push of image `digest` (tagged `tag` by the push) into repository `name`
/// of `source`: a copy to every destination the configuration matches, then the statuses on
/// the source image. Never fails: a copy that cannot be made is a FAILED status.
pub(crate) async fn after_push(
    state: &crate::ops::State,
    source: &Scope,
    name: &RepositoryName,
    digest: Sha256Digest,
    tag: Option<&ImageTag>,
) {
    let job_source = source.clone();
    let job_name = name.clone();
    let configured: Result<Vec<Scope>, StoreError> = meta::read(state.meta(), move |tx| {
        Ok(destinations(&get(tx, &job_source)?, &job_name))
    })
    .await;
    let Ok(destinations) = configured else {
        return;
    };
    if destinations.is_empty() {
        return;
    }
    let mut recorded = Vec::with_capacity(destinations.len());
    for destination in destinations {
        let now = state.now();
        let job = (
            source.clone(),
            name.clone(),
            tag.cloned(),
            destination.clone(),
        );
        let copied: Result<(), Failure> = meta::write(state.meta(), move |tx| {
            let (source, name, tag, destination) = &job;
            copy(tx, source, name, digest, tag.as_ref(), destination, now)
        })
        .await;
        let copy = crate::events::ImageRef {
            scope: &destination,
            repository: name,
            digest: &digest,
            tag: tag.map(|tag| tag.as_str()),
        };
        let outcome = match copied {
            Ok(()) => crate::events::Outcome::Success,
            Err(_) => crate::events::Outcome::Failure,
        };
        state.events().emit(crate::events::replication_action(
            copy,
            source,
            outcome,
            state.now(),
        ));
        recorded.push(ImageReplicationStatus {
            region: Some(destination.region),
            registry_id: Some(destination.account_id),
            status: Some(match copied {
                Ok(()) => ReplicationStatus::Complete,
                Err(_) => ReplicationStatus::Failed,
            }),
            failure_code: copied.err().map(|Failure(code)| code.to_owned()),
        });
    }
    let Ok(bytes) = documents::encode(
        STATUS_KIND,
        &StoredStatuses {
            v: 1,
            statuses: recorded,
        },
    ) else {
        return;
    };
    let (source, name) = (source.clone(), name.clone());
    // The source image may have gone meanwhile: then there is nothing to report on.
    let _: Result<(), StoreError> = meta::write(state.meta(), move |tx| {
        let Some(repository) = tx.repository(&source, &name)? else {
            return Ok(());
        };
        if tx.image(repository.id, &digest)?.is_none() {
            return Ok(());
        }
        tx.put_image_document(repository.id, &digest, STATUS_KIND, &bytes)
    })
    .await;
}

/// One destination's copy, as one job: the destination policy's consent for another
/// account, the repository (created if missing), then each image of the push, children of
/// an index first, with its layers linked, stored as PutImage stores it.
fn copy(
    tx: &mut dyn Tx,
    source: &Scope,
    name: &RepositoryName,
    digest: Sha256Digest,
    tag: Option<&ImageTag>,
    destination: &Scope,
    now: Timestamp,
) -> Result<(), Failure> {
    let failed = Failure(messages::REPLICATION_FAILED);
    let from = tx.repository(source, name)?.ok_or(failed)?;
    let images = children_first(tx, from.id, digest)?;
    let existing = tx.repository(destination, name)?;
    if destination.account_id != source.account_id {
        let policy = policy::get(tx, destination)?.unwrap_or_default();
        let resource =
            crate::arn::repository_arn_text(&destination.region, &destination.account_id, name);
        let allows = |action| policy::allows(&policy, &source.account_id, action, &resource);
        if !allows(REPLICATE_IMAGE) || (existing.is_none() && !allows(CREATE_REPOSITORY)) {
            return Err(Failure(messages::REPLICATION_ACCESS_DENIED));
        }
    }
    // A new repository takes the REPLICATION creation template that matches it, if any.
    let to =
        templates::create_repository(tx, destination, name, RctAppliedFor::Replication, now)?.id;
    for image in images {
        let row = tx.image(from.id, &image)?.ok_or(failed)?;
        let bytes = tx.manifest(from.id, &image)?.ok_or(failed)?;
        let text = manifest_text(&bytes).map_err(|_| failed)?;
        let parsed = manifest::read(&text, Some(&row.media_type), None).map_err(|_| failed)?;
        for layer in parsed.required_layers() {
            let Ok(layer) = layer.digest.parse::<Sha256Digest>() else {
                return Err(failed);
            };
            if tx.layer(to, &layer)?.is_some() {
                continue;
            }
            let linked = tx.layer(from.id, &layer)?.ok_or(failed)?;
            tx.put_layer(
                to,
                &LayerRow {
                    linked_at: now,
                    ..linked
                },
            )?;
        }
        let image_tag = if image == digest { tag } else { None };
        match put::store(tx, destination, name, image_tag, Ok(parsed), &bytes, now) {
            // Already there (and so tagged): nothing to copy.
            Ok(_) | Err(PutImageError::ImageAlreadyExistsException(_)) => {}
            Err(_) => return Err(failed),
        }
    }
    Ok(())
}

/// Image `digest` of `repository` and the images it references, each after those it
/// references (an index after its children).
fn children_first(
    tx: &mut dyn Tx,
    repository: RepoId,
    digest: Sha256Digest,
) -> Result<Vec<Sha256Digest>, Failure> {
    let failed = Failure(messages::REPLICATION_FAILED);
    let mut ordered = Vec::new();
    // (image, whether its children are already listed)
    let mut pending = vec![(digest, false)];
    while let Some((image, expanded)) = pending.pop() {
        if ordered.contains(&image) {
            continue;
        }
        if expanded {
            ordered.push(image);
            continue;
        }
        let row = tx.image(repository, &image)?.ok_or(failed)?;
        let bytes: Bytes = tx.manifest(repository, &image)?.ok_or(failed)?;
        let text = manifest_text(&bytes).map_err(|_| failed)?;
        let parsed = manifest::read(&text, Some(&row.media_type), None).map_err(|_| failed)?;
        pending.push((image, true));
        for child in parsed.required_images() {
            let child = child.digest.parse::<Sha256Digest>().map_err(|_| failed)?;
            pending.push((child, false));
        }
    }
    Ok(ordered)
}
