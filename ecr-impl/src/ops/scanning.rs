//! Scanning (`ecr-behaviour-registry.md` §4): the registry's scanning configuration, which
//! configuration each repository gets, StartImageScan and DescribeImageScanFindings. The
//! rules themselves are in [`crate::scanning`].

use berth_runtime::RequestContext;
use ecr_generated::errors::{
    BatchGetRepositoryScanningConfigurationError, DescribeImageScanFindingsError,
    GetRegistryScanningConfigurationError, ImageArchivedException, InvalidParameterException,
    LimitExceededException, PutRegistryScanningConfigurationError, ScanNotFoundException,
    StartImageScanError, ValidationException,
};
use ecr_generated::types::{
    BatchGetRepositoryScanningConfigurationRequest,
    BatchGetRepositoryScanningConfigurationResponse, DescribeImageScanFindingsRequest,
    DescribeImageScanFindingsResponse, GetRegistryScanningConfigurationRequest,
    GetRegistryScanningConfigurationResponse, ImageScanStatus,
    PutRegistryScanningConfigurationRequest, PutRegistryScanningConfigurationResponse,
    RegistryScanningConfiguration, RepositoryScanningConfiguration,
    RepositoryScanningConfigurationFailure, ScanFrequency, ScanStatus, ScanType,
    ScanningConfigurationFailureCode, StartImageScanRequest, StartImageScanResponse,
};

use super::{Builder, State, caller_registry, caller_scope};
use crate::arn;
use crate::images::{answered_id, check_image_id, named_image};
use crate::messages;
use crate::scanning::{self, ScanStart};
use crate::store::meta;

/// Registers this module's operations with their handlers.
pub(crate) fn register(builder: Builder) -> Builder {
    builder
        .put_registry_scanning_configuration(put_registry_scanning_configuration)
        .get_registry_scanning_configuration(get_registry_scanning_configuration)
        .batch_get_repository_scanning_configuration(batch_get_repository_scanning_configuration)
        .start_image_scan(start_image_scan)
        .describe_image_scan_findings(describe_image_scan_findings)
}

pub(crate) async fn put_registry_scanning_configuration(
    state: &State,
    ctx: &RequestContext,
    input: PutRegistryScanningConfigurationRequest,
) -> Result<PutRegistryScanningConfigurationResponse, PutRegistryScanningConfigurationError> {
    let scope = caller_scope(ctx)?;
    let scan_type = input.scan_type.unwrap_or(ScanType::Basic);
    let rules = input.rules.unwrap_or_default();
    if let Some(index) = scanning::first_disallowed_rule(scan_type, &rules) {
        let allowed: Vec<&str> = scanning::allowed_frequencies(scan_type)
            .iter()
            .map(|frequency| frequency.as_str())
            .collect();
        return Err(
            InvalidParameterException::new(messages::scan_frequency_not_allowed(index, &allowed))
                .into(),
        );
    }
    let configuration = RegistryScanningConfiguration {
        scan_type: Some(scan_type),
        rules: Some(rules),
    };
    let stored = configuration.clone();
    meta::write::<_, PutRegistryScanningConfigurationError, _>(state.meta(), move |tx| {
        Ok(scanning::put_configuration(tx, &scope, &stored)?)
    })
    .await?;
    Ok(PutRegistryScanningConfigurationResponse {
        registry_scanning_configuration: Some(configuration),
    })
}

pub(crate) async fn get_registry_scanning_configuration(
    state: &State,
    ctx: &RequestContext,
    _input: GetRegistryScanningConfigurationRequest,
) -> Result<GetRegistryScanningConfigurationResponse, GetRegistryScanningConfigurationError> {
    let scope = caller_scope(ctx)?;
    let job_scope = scope.clone();
    let configuration =
        meta::read::<_, GetRegistryScanningConfigurationError, _>(state.meta(), move |tx| {
            Ok(scanning::configuration(tx, &job_scope)?)
        })
        .await?;
    Ok(GetRegistryScanningConfigurationResponse {
        registry_id: Some(scope.account_id),
        scanning_configuration: Some(configuration),
    })
}

pub(crate) async fn batch_get_repository_scanning_configuration(
    state: &State,
    ctx: &RequestContext,
    input: BatchGetRepositoryScanningConfigurationRequest,
) -> Result<
    BatchGetRepositoryScanningConfigurationResponse,
    BatchGetRepositoryScanningConfigurationError,
> {
    let scope = caller_scope(ctx)?;
    let mut names = input.repository_names;
    // A name asked twice is answered once, where it was first asked.
    let mut seen = std::collections::HashSet::new();
    names.retain(|name| seen.insert(name.clone()));
    meta::read(state.meta(), move |tx| {
        let configuration = scanning::configuration(tx, &scope)?;
        let mut found = Vec::new();
        let mut failures = Vec::new();
        for name in &names {
            let Some(repository) = tx.repository(&scope, name)? else {
                failures.push(RepositoryScanningConfigurationFailure {
                    repository_name: Some(name.clone()),
                    failure_code: Some(ScanningConfigurationFailureCode::RepositoryNotFound),
                    failure_reason: Some(messages::scanning_repository_not_found()),
                });
                continue;
            };
            let (frequency, filters) = match scanning::applied_rule(&configuration, name) {
                Some((frequency, filter)) => (frequency, vec![filter]),
                None => (ScanFrequency::Manual, Vec::new()),
            };
            found.push(RepositoryScanningConfiguration {
                repository_arn: Some(arn::repository_arn_text(
                    &scope.region,
                    &scope.account_id,
                    name,
                )),
                repository_name: Some(name.clone()),
                scan_on_push: repository.record.scan_on_push,
                scan_frequency: Some(frequency),
                applied_scan_filters: Some(filters),
            });
        }
        Ok::<_, BatchGetRepositoryScanningConfigurationError>(
            BatchGetRepositoryScanningConfigurationResponse {
                scanning_configurations: Some(found),
                failures: Some(failures),
            },
        )
    })
    .await
}

pub(crate) async fn start_image_scan(
    state: &State,
    ctx: &RequestContext,
    input: StartImageScanRequest,
) -> Result<StartImageScanResponse, StartImageScanError> {
    let name = input.repository_name;
    let scope = caller_registry(ctx, input.registry_id.as_ref(), &name)?;
    let id = input.image_id;
    check_image_id(&id)?;
    let now = state.now();
    let job_scope = scope.clone();
    let job_name = name.clone();
    let job_id = id.clone();
    let row = meta::write::<_, StartImageScanError, _>(state.meta(), move |tx| {
        let (scope, name, id) = (&job_scope, &job_name, &job_id);
        let (repo, row) = named_image::<_, StartImageScanError>(tx, scope, name, id)?;
        let scan_type = scanning::configuration(tx, scope)?.scan_type;
        if scan_type == Some(ScanType::Enhanced) {
            return Err(ValidationException::new(messages::scan_feature_disabled()).into());
        }
        if row.status == meta::ImageStatus::Archived {
            return Err(
                ImageArchivedException::new(messages::scan_of_archived_image(
                    id.image_digest.as_deref(),
                    id.image_tag.as_deref(),
                    name,
                    &scope.account_id,
                ))
                .into(),
            );
        }
        match scanning::start(tx, repo, &row.digest, now)? {
            ScanStart::Started => Ok((tx.tags_of(repo, &row.digest)?, row)),
            ScanStart::QuotaExceeded => {
                Err(LimitExceededException::new(messages::scan_quota_exceeded()).into())
            }
        }
    })
    .await?;
    let (tags, row) = row;
    scanning::announce(state, &scope, &name, &row.digest, &tags);
    Ok(StartImageScanResponse {
        registry_id: Some(scope.account_id),
        repository_name: Some(name),
        image_id: Some(answered_id(&row, &id)),
        // As real ECR answers a scan it has just started; every later read shows how it ended.
        image_scan_status: Some(ImageScanStatus {
            status: Some(ScanStatus::InProgress),
            description: None,
        }),
    })
}

pub(crate) async fn describe_image_scan_findings(
    state: &State,
    ctx: &RequestContext,
    input: DescribeImageScanFindingsRequest,
) -> Result<DescribeImageScanFindingsResponse, DescribeImageScanFindingsError> {
    let name = input.repository_name;
    let scope = caller_registry(ctx, input.registry_id.as_ref(), &name)?;
    let id = input.image_id;
    check_image_id(&id)?;
    // Berth's scans have no findings, so it never hands out a token: any token is foreign.
    if input.next_token.is_some() {
        return Err(InvalidParameterException::new(messages::invalid_next_token()).into());
    }
    let job_scope = scope.clone();
    let job_name = name.clone();
    let job_id = id.clone();
    let (row, scan) = meta::read::<_, DescribeImageScanFindingsError, _>(state.meta(), move |tx| {
        let (scope, name, id) = (&job_scope, &job_name, &job_id);
        let (repo, row) = named_image::<_, DescribeImageScanFindingsError>(tx, scope, name, id)?;
        let Some(scan) = scanning::scan_of(tx, repo, &row.digest)? else {
            return Err(ScanNotFoundException::new(messages::scan_not_found(
                id.image_digest.as_deref(),
                id.image_tag.as_deref(),
                name,
                &scope.account_id,
            ))
            .into());
        };
        Ok((row, scan))
    })
    .await?;
    Ok(DescribeImageScanFindingsResponse {
        registry_id: Some(scope.account_id),
        repository_name: Some(name),
        image_id: Some(answered_id(&row, &id)),
        image_scan_status: Some(scan.status()),
        // A failed scan has no findings: the member is left out, as real ECR does.
        image_scan_findings: None,
        next_token: None,
    })
}
