//! Signing configuration (`ecr-behaviour-registry.md` §8): the registry's signing rules and
//! what a push into a repository they match records. Berth cannot call AWS Signer, so each
//! matching rule records a FAILED status saying so (choice) — never a signature it did not
//! make.
//!
//! Stored as documents: the configuration as a registry document, an image's statuses as an
//! image document (written at push, as the rules stood then).

use ecr_generated::types::{
    ImageSigningStatus, RepositoryName, SigningConfiguration, SigningProfileArn, SigningStatus,
};
use serde::{Deserialize, Serialize};

use crate::images::immutability::wildcard_match;
use crate::images::put::Pushed;
use crate::messages;
use crate::ops::State;
use crate::store::blobs::Sha256Digest;
use crate::store::meta::{self, ReadTx, RepoId, Tx};
use crate::store::{Scope, StoreError, documents};

/// The registry document holding the signing configuration.
pub(crate) const CONFIGURATION_KIND: &str = "signing-configuration";
/// Its key: a registry has one configuration.
const CONFIGURATION_KEY: &str = "registry";
/// The image document holding the statuses its push recorded.
pub(crate) const STATUSES_KIND: &str = "signing-statuses";

const DOCUMENT_VERSION: u32 = 1;

#[derive(Debug, Serialize, Deserialize)]
struct StoredConfiguration {
    version: u32,
    configuration: SigningConfiguration,
}

/// The signing profiles whose rules matched an image's repository when it was pushed, in
/// rule order.
#[derive(Debug, Serialize, Deserialize)]
struct StoredStatuses {
    version: u32,
    profiles: Vec<SigningProfileArn>,
}

/// Registry `scope`'s signing configuration, if one was put.
pub(crate) fn configuration<T: ReadTx + ?Sized>(
    tx: &mut T,
    scope: &Scope,
) -> Result<Option<SigningConfiguration>, StoreError> {
    match tx.registry_document(scope, CONFIGURATION_KIND, CONFIGURATION_KEY)? {
        None => Ok(None),
        Some(bytes) => documents::decode::<StoredConfiguration>(CONFIGURATION_KIND, &bytes)
            .map(|stored| Some(stored.configuration)),
    }
}

/// Replaces registry `scope`'s signing configuration.
pub(crate) fn put_configuration(
    tx: &mut dyn Tx,
    scope: &Scope,
    configuration: &SigningConfiguration,
) -> Result<(), StoreError> {
    let stored = StoredConfiguration {
        version: DOCUMENT_VERSION,
        configuration: configuration.clone(),
    };
    let bytes = documents::encode(CONFIGURATION_KIND, &stored)?;
    tx.put_registry_document(scope, CONFIGURATION_KIND, CONFIGURATION_KEY, &bytes)
}

/// Removes registry `scope`'s signing configuration, answering the one removed.
pub(crate) fn delete_configuration(
    tx: &mut dyn Tx,
    scope: &Scope,
) -> Result<Option<SigningConfiguration>, StoreError> {
    let removed = configuration(tx, scope)?;
    if removed.is_some() {
        tx.delete_registry_document(scope, CONFIGURATION_KIND, CONFIGURATION_KEY)?;
    }
    Ok(removed)
}

/// The profiles of the rules that apply to repository `name`, one per rule: a rule without
/// filters applies to every repository, one with filters to a name some filter matches.
pub(crate) fn matching_profiles(
    configuration: &SigningConfiguration,
    name: &str,
) -> Vec<SigningProfileArn> {
    configuration
        .rules
        .iter()
        .filter(|rule| match &rule.repository_filters {
            None => true,
            Some(filters) => filters
                .iter()
                .any(|filter| wildcard_match(filter.filter.as_ref(), name)),
        })
        .map(|rule| rule.signing_profile_arn.clone())
        .collect()
}

/// The statuses image `digest` of `repository` has: one FAILED status per profile its push
/// matched; none when no rule matched.
pub(crate) fn statuses_of<T: ReadTx + ?Sized>(
    tx: &mut T,
    repository: RepoId,
    digest: &Sha256Digest,
) -> Result<Vec<ImageSigningStatus>, StoreError> {
    let Some(bytes) = tx.image_document(repository, digest, STATUSES_KIND)? else {
        return Ok(Vec::new());
    };
    let stored: StoredStatuses = documents::decode(STATUSES_KIND, &bytes)?;
    Ok(stored
        .profiles
        .into_iter()
        .map(|profile| ImageSigningStatus {
            signing_profile_arn: Some(profile),
            failure_code: Some(messages::SIGNING_UNAVAILABLE_CODE.to_owned()),
            failure_reason: Some(messages::signing_unavailable()),
            status: Some(SigningStatus::Failed),
        })
        .collect())
}

/// What a push records: the profiles of the rules matching the repository, as the rules
/// stand now (a re-push of the image that matches rules records them anew; one that
/// matches none leaves what an earlier push recorded). Never fails the push: a store
/// failure leaves the image without statuses.
pub(crate) async fn after_push(state: &State, scope: &Scope, pushed: &Pushed) {
    let Some(name) = pushed.image.repository_name.clone() else {
        return;
    };
    let digest = pushed.digest;
    // Most registries have no signing rules: asked on a snapshot first, such a push costs
    // the writer nothing.
    let (read_scope, read_name) = (scope.clone(), name.clone());
    let wanted = meta::read::<_, StoreError, _>(state.meta(), move |tx| {
        profiles_for_push(tx, &read_scope, &read_name, &digest).map(|found| found.is_some())
    })
    .await;
    if wanted != Ok(true) {
        return;
    }
    let scope = scope.clone();
    let _ = meta::write::<_, StoreError, _>(state.meta(), move |tx| {
        let Some((repository, profiles)) = profiles_for_push(tx, &scope, &name, &digest)? else {
            return Ok(());
        };
        let stored = StoredStatuses {
            version: DOCUMENT_VERSION,
            profiles,
        };
        let bytes = documents::encode(STATUSES_KIND, &stored)?;
        tx.put_image_document(repository, &digest, STATUSES_KIND, &bytes)
    })
    .await;
}

/// The repository and the profiles a push of image `digest` into `name` records, if any:
/// the repository and the image are still there (either may have gone since the push) and
/// some rule matches the repository.
fn profiles_for_push<T: ReadTx + ?Sized>(
    tx: &mut T,
    scope: &Scope,
    name: &RepositoryName,
    digest: &Sha256Digest,
) -> Result<Option<(RepoId, Vec<SigningProfileArn>)>, StoreError> {
    let Some(configuration) = configuration(tx, scope)? else {
        return Ok(None);
    };
    let profiles = matching_profiles(&configuration, name);
    if profiles.is_empty() {
        return Ok(None);
    }
    let Some(repository) = tx.repository(scope, name)? else {
        return Ok(None);
    };
    if tx.image(repository.id, digest)?.is_none() {
        return Ok(None);
    }
    Ok(Some((repository.id, profiles)))
}
