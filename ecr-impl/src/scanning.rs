//! Image scanning (`ecr-behaviour-registry.md` §4): the registry's scanning configuration,
//! which configuration a repository gets, and scans. Berth has no scanner, so a scan ends at
//! once FAILED with the text real basic scanning gives an image it cannot analyse, and never
//! with findings: CI gates read COMPLETE with no findings as "clean".
//!
//! Stored as documents: the configuration as a registry document, each image's last scan
//! as an image document (its time, which the 24-hour quota is judged by).

use berth_runtime::Timestamp;
use bytes::Bytes;
use ecr_generated::types::{
    ImageScanStatus, RegistryScanningConfiguration, RegistryScanningRule, RepositoryName,
    ScanFrequency, ScanStatus, ScanType, ScanningRepositoryFilter,
};
use serde::{Deserialize, Serialize};

use crate::images::immutability::wildcard_match;
use crate::images::put::Pushed;
use crate::limits::SCAN_QUOTA_PERIOD;
use crate::messages;
use crate::ops::State;
use crate::store::blobs::Sha256Digest;
use crate::store::meta::{self, ReadTx, RepoId, Tx};
use crate::store::{Scope, StoreError, documents};

/// The registry document holding the scanning configuration.
pub(crate) const CONFIGURATION_KIND: &str = "scanning-configuration";
/// Its key: a registry has one configuration.
const CONFIGURATION_KEY: &str = "registry";
/// The image document holding an image's last scan.
pub(crate) const SCAN_KIND: &str = "image-scan";
/// A repository document marking a repository some image of which was ever scanned, so
/// DescribeImages pages of the others (most) read no scan documents at all.
pub(crate) const SCANNED_MARKER_KIND: &str = "scanned-images";

/// The stored configuration, as the last Put gave it (with `scanType` filled in).
#[derive(Debug, Serialize, Deserialize)]
struct StoredConfiguration {
    version: u32,
    configuration: RegistryScanningConfiguration,
}

/// An image's last scan.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub(crate) struct Scan {
    version: u32,
    /// When it started (and ended: Berth's scans end at once), in epoch milliseconds.
    started_at_millis: i64,
}

const DOCUMENT_VERSION: u32 = 1;

impl Scan {
    /// How every Berth scan ends (it has no scanner).
    pub(crate) const ENDED: ScanStatus = ScanStatus::Failed;

    /// What DescribeImageScanFindings (and DescribeImages) show of it: FAILED, as real basic
    /// scanning reports an image it cannot analyse.
    pub(crate) fn status(&self) -> ImageScanStatus {
        ImageScanStatus {
            status: Some(Scan::ENDED),
            description: Some(messages::scan_unsupported_image()),
        }
    }
}

/// The configuration of a registry that never set one: BASIC, no rules (real).
pub(crate) fn default_configuration() -> RegistryScanningConfiguration {
    RegistryScanningConfiguration {
        scan_type: Some(ScanType::Basic),
        rules: Some(Vec::new()),
    }
}

/// Registry `scope`'s scanning configuration ([`default_configuration`] when none was put).
pub(crate) fn configuration<T: ReadTx + ?Sized>(
    tx: &mut T,
    scope: &Scope,
) -> Result<RegistryScanningConfiguration, StoreError> {
    match tx.registry_document(scope, CONFIGURATION_KIND, CONFIGURATION_KEY)? {
        None => Ok(default_configuration()),
        Some(bytes) => documents::decode::<StoredConfiguration>(CONFIGURATION_KIND, &bytes)
            .map(|stored| stored.configuration),
    }
}

/// Replaces registry `scope`'s scanning configuration (checked by [`check_rules`]).
pub(crate) fn put_configuration(
    tx: &mut dyn Tx,
    scope: &Scope,
    configuration: &RegistryScanningConfiguration,
) -> Result<(), StoreError> {
    let stored = StoredConfiguration {
        version: DOCUMENT_VERSION,
        configuration: configuration.clone(),
    };
    let bytes = documents::encode(CONFIGURATION_KIND, &stored)?;
    tx.put_registry_document(scope, CONFIGURATION_KIND, CONFIGURATION_KEY, &bytes)
}

/// The frequencies a scan type allows in its rules (model doc): BASIC scans on push only;
/// ENHANCED also continuously. MANUAL is never a rule's frequency.
pub(crate) fn allowed_frequencies(scan_type: ScanType) -> &'static [ScanFrequency] {
    match scan_type {
        ScanType::Basic => &[ScanFrequency::ScanOnPush],
        ScanType::Enhanced => &[ScanFrequency::ScanOnPush, ScanFrequency::ContinuousScan],
    }
}

/// The 1-based place of the first rule whose frequency `scan_type` does not allow.
pub(crate) fn first_disallowed_rule(
    scan_type: ScanType,
    rules: &[RegistryScanningRule],
) -> Option<usize> {
    let allowed = allowed_frequencies(scan_type);
    rules
        .iter()
        .position(|rule| !allowed.contains(&rule.scan_frequency))
        .map(|index| index + 1)
}

/// The registry rule that applies to repository `name`, with its first filter matching the
/// name: when rules of both frequencies match, CONTINUOUS_SCAN wins over SCAN_ON_PUSH
/// (choice). None when no rule matches (the repository is scanned manually).
pub(crate) fn applied_rule(
    configuration: &RegistryScanningConfiguration,
    name: &str,
) -> Option<(ScanFrequency, ScanningRepositoryFilter)> {
    let matching = |rule: &RegistryScanningRule| {
        rule.repository_filters
            .iter()
            .find(|filter| wildcard_match(filter.filter.as_ref(), name))
            .map(|filter| (rule.scan_frequency, filter.clone()))
    };
    let rules = configuration.rules.as_deref().unwrap_or_default();
    let mut found = rules.iter().filter_map(matching).collect::<Vec<_>>();
    found.sort_by_key(|(frequency, _)| match frequency {
        ScanFrequency::ContinuousScan => 0,
        _ => 1,
    });
    found.into_iter().next()
}

/// Image `digest`'s last scan in `repository`, if it was ever scanned.
pub(crate) fn scan_of<T: ReadTx + ?Sized>(
    tx: &mut T,
    repository: RepoId,
    digest: &Sha256Digest,
) -> Result<Option<Scan>, StoreError> {
    match tx.image_document(repository, digest, SCAN_KIND)? {
        None => Ok(None),
        Some(bytes) => documents::decode(SCAN_KIND, &bytes).map(Some),
    }
}

/// Whether some image of `repository` was ever scanned (most repositories: no), so a
/// DescribeImages page reads scans only where there may be some.
pub(crate) fn has_scans<T: ReadTx + ?Sized>(
    tx: &mut T,
    repository: RepoId,
) -> Result<bool, StoreError> {
    Ok(tx
        .repository_document(repository, SCANNED_MARKER_KIND)?
        .is_some())
}

/// How DescribeImages shows image `digest`'s scan: its status, or nothing when it was never
/// scanned.
pub(crate) fn scan_status_of<T: ReadTx + ?Sized>(
    tx: &mut T,
    repository: RepoId,
    digest: &Sha256Digest,
) -> Result<Option<ImageScanStatus>, StoreError> {
    Ok(scan_of(tx, repository, digest)?.map(|scan| scan.status()))
}

/// Whether the quota lets image `digest` be scanned at `now`: never scanned, or last scanned
/// [`SCAN_QUOTA_PERIOD`] ago or longer.
fn quota_allows(last: Option<Scan>, now: Timestamp) -> bool {
    let period = i64::try_from(SCAN_QUOTA_PERIOD.as_millis()).unwrap_or(i64::MAX);
    last.is_none_or(|scan| now.epoch_millis().saturating_sub(scan.started_at_millis) >= period)
}

/// What asking for a scan did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ScanStart {
    /// Scanned (and, Berth having no scanner, already FAILED).
    Started,
    /// The image was scanned less than 24 hours ago: nothing changed.
    QuotaExceeded,
}

/// Scans image `digest` of `repository` at `now`, inside a write job, if the quota allows.
pub(crate) fn start(
    tx: &mut dyn Tx,
    repository: RepoId,
    digest: &Sha256Digest,
    now: Timestamp,
) -> Result<ScanStart, StoreError> {
    if !quota_allows(scan_of(tx, repository, digest)?, now) {
        return Ok(ScanStart::QuotaExceeded);
    }
    let scan = Scan {
        version: DOCUMENT_VERSION,
        started_at_millis: now.epoch_millis(),
    };
    let bytes = documents::encode(SCAN_KIND, &scan)?;
    tx.put_image_document(repository, digest, SCAN_KIND, &bytes)?;
    if !has_scans(tx, repository)? {
        tx.put_repository_document(repository, SCANNED_MARKER_KIND, &Bytes::from_static(b"{}"))?;
    }
    Ok(ScanStart::Started)
}

/// Whether a push into repository `name` (whose own flag is `scan_on_push`) is scanned: the
/// flag, or a registry rule matching the name (a CONTINUOUS_SCAN rule scans new images too).
pub(crate) fn scans_on_push(
    configuration: &RegistryScanningConfiguration,
    name: &str,
    scan_on_push: bool,
) -> bool {
    scan_on_push || applied_rule(configuration, name).is_some()
}

/// Scan on push: the image just pushed is scanned as if StartImageScan had been called, and
/// the scan counts against its quota. Never fails the push: an image scanned within the
/// quota's period is left as it is, and a store failure leaves the image unscanned.
pub(crate) async fn after_push(state: &State, scope: &Scope, pushed: &Pushed) {
    let Some(name) = pushed.image.repository_name.clone() else {
        return;
    };
    let digest = pushed.digest;
    let now = state.now();
    // Most pushes are not scanned: asked on a snapshot first, they cost the writer nothing.
    let (read_scope, read_name) = (scope.clone(), name.clone());
    let wanted = meta::read::<_, StoreError, _>(state.meta(), move |tx| {
        scanned_on_push(tx, &read_scope, &read_name, &digest).map(|found| found.is_some())
    })
    .await;
    if wanted != Ok(true) {
        return;
    }
    let (job_scope, job_name) = (scope.clone(), name.clone());
    let scanned = meta::write::<_, StoreError, _>(state.meta(), move |tx| {
        let Some(repository) = scanned_on_push(tx, &job_scope, &job_name, &digest)? else {
            return Ok(None);
        };
        match start(tx, repository, &digest, now)? {
            ScanStart::Started => Ok(Some(tx.tags_of(repository, &digest)?)),
            ScanStart::QuotaExceeded => Ok(None),
        }
    })
    .await;
    if let Ok(Some(tags)) = scanned {
        announce(state, scope, &name, &digest, &tags);
    }
}

/// The `ECR Image Scan` event of a scan just made of image `digest` (tagged `tags`) in
/// repository `name`: it ended at once, as [`Scan::ENDED`].
pub(crate) fn announce(
    state: &State,
    scope: &Scope,
    name: &str,
    digest: &Sha256Digest,
    tags: &[ecr_generated::types::ImageTag],
) {
    let tags: Vec<String> = tags.iter().map(|tag| tag.to_string()).collect();
    let image = crate::events::ImageRef {
        scope,
        repository: name,
        digest,
        tag: None,
    };
    let status = Scan::ENDED.as_str();
    state
        .events()
        .emit(crate::events::image_scan(image, status, &tags, state.now()));
}

/// The repository a push of image `digest` into `name` is scanned in, if it is: the
/// repository and the image are still there (either may have gone since the push) and the
/// repository's flag or a registry rule asks for it.
fn scanned_on_push<T: ReadTx + ?Sized>(
    tx: &mut T,
    scope: &Scope,
    name: &RepositoryName,
    digest: &Sha256Digest,
) -> Result<Option<RepoId>, StoreError> {
    let Some(repository) = tx.repository(scope, name)? else {
        return Ok(None);
    };
    if tx.image(repository.id, digest)?.is_none() {
        return Ok(None);
    }
    let configuration = configuration(tx, scope)?;
    Ok(
        scans_on_push(&configuration, name, repository.record.scan_on_push)
            .then_some(repository.id),
    )
}

#[cfg(test)]
mod tests;
