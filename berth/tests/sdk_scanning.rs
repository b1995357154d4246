//! Scanning, signing and pull-time exclusions (`ecr-behaviour-registry.md` §4, §8, §9)
//! through the AWS SDK for Rust: each operation's happy path with the members the SDK reads,
//! the image-scan-complete waiter failing at once on Berth's FAILED scan, and the modeled
//! errors the SDK turns into typed variants. Expected texts are written out here.

mod support;

use std::time::{Duration, Instant};

use aws_sdk_ecr::Client;
use aws_sdk_ecr::client::Waiters;
use aws_sdk_ecr::error::SdkError;
use aws_sdk_ecr::operation::describe_image_scan_findings::{
    DescribeImageScanFindingsError, DescribeImageScanFindingsOutput,
};
use aws_sdk_ecr::operation::describe_image_signing_status::{
    DescribeImageSigningStatusError, DescribeImageSigningStatusOutput,
};
use aws_sdk_ecr::operation::start_image_scan::{StartImageScanError, StartImageScanOutput};
use aws_sdk_ecr::types::{
    ImageIdentifier, ImageScanningConfiguration, RegistryScanningRule, ScanFrequency, ScanStatus,
    ScanType, ScanningRepositoryFilter, ScanningRepositoryFilterType, SigningConfiguration,
    SigningRepositoryFilter, SigningRepositoryFilterType, SigningRule, SigningStatus,
};
use support::sdk::*;

const UNSUPPORTED: &str =
    "UnsupportedImageError: The operating system and/or package manager are not supported.";
const QUOTA: &str = "The scan quota per image has been exceeded. Wait and try again.";
const PROFILE: &str = "arn:aws:signer:us-east-1:123456789012:/signing-profiles/prod";

/// Pushes a one-layer OCI image tagged `tag`; its digest, computed here.
async fn push(client: &Client, repository: &str, seed: &str, tag: &str) -> String {
    let config = format!(r#"{{"architecture":"amd64","os":"linux","seed":"{seed}"}}"#);
    let layer = format!("layer {seed}");
    upload_blob(client, repository, config.as_bytes()).await;
    upload_blob(client, repository, layer.as_bytes()).await;
    let manifest = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                   "size": config.len(), "digest": sha256(config.as_bytes())},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                    "size": layer.len(), "digest": sha256(layer.as_bytes())}],
    })
    .to_string();
    client
        .put_image()
        .repository_name(repository)
        .image_manifest(&manifest)
        .image_tag(tag)
        .send()
        .await
        .unwrap();
    sha256(manifest.as_bytes())
}

fn by_tag(tag: &str) -> ImageIdentifier {
    ImageIdentifier::builder().image_tag(tag).build()
}

fn scanning_rule(frequency: ScanFrequency, filter: &str) -> RegistryScanningRule {
    RegistryScanningRule::builder()
        .scan_frequency(frequency)
        .repository_filters(
            ScanningRepositoryFilter::builder()
                .filter(filter)
                .filter_type(ScanningRepositoryFilterType::Wildcard)
                .build()
                .unwrap(),
        )
        .build()
        .unwrap()
}

async fn start_scan(
    client: &Client,
    repository: &str,
    image: ImageIdentifier,
) -> Result<StartImageScanOutput, SdkError<StartImageScanError>> {
    client
        .start_image_scan()
        .repository_name(repository)
        .image_id(image)
        .send()
        .await
}

async fn scan_findings(
    client: &Client,
    repository: &str,
    image: ImageIdentifier,
) -> Result<DescribeImageScanFindingsOutput, SdkError<DescribeImageScanFindingsError>> {
    client
        .describe_image_scan_findings()
        .repository_name(repository)
        .image_id(image)
        .send()
        .await
}

async fn signing_status(
    client: &Client,
    repository: &str,
    image: ImageIdentifier,
) -> Result<DescribeImageSigningStatusOutput, SdkError<DescribeImageSigningStatusError>> {
    client
        .describe_image_signing_status()
        .repository_name(repository)
        .image_id(image)
        .send()
        .await
}

async fn create(client: &Client, name: &str, scan_on_push: bool) {
    client
        .create_repository()
        .repository_name(name)
        .image_scanning_configuration(
            ImageScanningConfiguration::builder()
                .scan_on_push(scan_on_push)
                .build(),
        )
        .send()
        .await
        .unwrap();
}

#[tokio::test]
async fn registry_scanning_configuration_and_what_each_repository_gets() {
    let berth = Berth::start().await;
    let client = berth.client();

    let fresh = client
        .get_registry_scanning_configuration()
        .send()
        .await
        .unwrap();
    assert_eq!(fresh.registry_id(), Some(DEFAULT_ACCOUNT));
    let configuration = fresh.scanning_configuration().unwrap();
    assert_eq!(configuration.scan_type(), Some(&ScanType::Basic));
    assert!(configuration.rules().is_empty());

    let put = client
        .put_registry_scanning_configuration()
        .scan_type(ScanType::Enhanced)
        .rules(scanning_rule(ScanFrequency::ScanOnPush, "team/*"))
        .rules(scanning_rule(ScanFrequency::ContinuousScan, "*prod*"))
        .send()
        .await
        .unwrap();
    let echoed = put.registry_scanning_configuration().unwrap();
    assert_eq!(echoed.scan_type(), Some(&ScanType::Enhanced));
    assert_eq!(echoed.rules().len(), 2);

    create(&client, "team/prod", false).await;
    create(&client, "team/dev", true).await;
    create(&client, "solo", false).await;
    let batch = client
        .batch_get_repository_scanning_configuration()
        .repository_names("team/prod")
        .repository_names("team/dev")
        .repository_names("solo")
        .repository_names("missing")
        .send()
        .await
        .unwrap();
    let got: Vec<(&str, bool, Option<&ScanFrequency>, Vec<&str>)> = batch
        .scanning_configurations()
        .iter()
        .map(|c| {
            (
                c.repository_name().unwrap(),
                c.scan_on_push(),
                c.scan_frequency(),
                c.applied_scan_filters()
                    .iter()
                    .map(|f| f.filter())
                    .collect(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            (
                "team/prod",
                false,
                Some(&ScanFrequency::ContinuousScan),
                vec!["*prod*"]
            ),
            (
                "team/dev",
                true,
                Some(&ScanFrequency::ScanOnPush),
                vec!["team/*"]
            ),
            ("solo", false, Some(&ScanFrequency::Manual), vec![]),
        ]
    );
    let [failure] = batch.failures() else {
        panic!("one failure: {:?}", batch.failures());
    };
    assert_eq!(failure.repository_name(), Some("missing"));
    assert_eq!(
        failure.failure_code().map(|code| code.as_str()),
        Some("REPOSITORY_NOT_FOUND")
    );

    let refused = client
        .put_registry_scanning_configuration()
        .scan_type(ScanType::Basic)
        .rules(scanning_rule(ScanFrequency::ContinuousScan, "*"))
        .send()
        .await;
    assert!(modeled(&refused).is_invalid_parameter_exception());
    assert_eq!(
        service_error(refused),
        ServiceError::new(
            "InvalidParameterException",
            "Invalid parameter at 'rules.1.member.scanFrequency' failed to satisfy constraint: \
             'Member must satisfy enum value set: [SCAN_ON_PUSH]'"
        )
    );
    berth.stop().await;
}

#[tokio::test]
async fn a_scan_fails_honestly_once_a_day_and_the_waiter_says_so_at_once() {
    let berth = Berth::start().await;
    let client = berth.client();
    create(&client, "app", false).await;
    let digest = push(&client, "app", "one", "v1").await;

    let never = scan_findings(&client, "app", by_tag("v1")).await;
    assert!(modeled(&never).is_scan_not_found_exception());
    assert_eq!(
        service_error(never).message,
        "Image scan does not exist for the image with '{imageDigest:'null', imageTag:'v1'}' in \
         the repository with name 'app' in the registry with id '123456789012'"
    );

    let started = start_scan(&client, "app", by_tag("v1")).await.unwrap();
    assert_eq!(started.registry_id(), Some(DEFAULT_ACCOUNT));
    let id = started.image_id().unwrap();
    assert_eq!(
        (id.image_digest(), id.image_tag()),
        (Some(digest.as_str()), Some("v1"))
    );
    assert_eq!(
        started.image_scan_status().unwrap().status(),
        Some(&ScanStatus::InProgress)
    );

    let findings = scan_findings(
        &client,
        "app",
        ImageIdentifier::builder().image_digest(&digest).build(),
    )
    .await
    .unwrap();
    let status = findings.image_scan_status().unwrap();
    assert_eq!(status.status(), Some(&ScanStatus::Failed));
    assert_eq!(status.description(), Some(UNSUPPORTED));
    assert!(findings.image_scan_findings().is_none());
    assert!(findings.next_token().is_none());

    let again = start_scan(&client, "app", by_tag("v1")).await;
    assert!(modeled(&again).is_limit_exceeded_exception());
    assert_eq!(
        service_error(again),
        ServiceError::new("LimitExceededException", QUOTA)
    );

    let began = Instant::now();
    let waited = client
        .wait_until_image_scan_complete()
        .repository_name("app")
        .image_id(by_tag("v1"))
        .wait(Duration::from_secs(60))
        .await;
    let error = waited.expect_err("a FAILED scan is the waiter's failure state");
    // The SDK's WaiterError::FailureState (its crate is not a dependency here).
    assert!(
        format!("{error:?}").starts_with("FailureState"),
        "{error:?}"
    );
    assert!(
        began.elapsed() < Duration::from_secs(5),
        "FAILED is terminal"
    );

    // A day later (Berth's clock), the image may be scanned again.
    berth
        .running
        .ecr()
        .clock()
        .set_offset_seconds(24 * 60 * 60 + 1);
    start_scan(&client, "app", by_tag("v1")).await.unwrap();

    let missing = start_scan(&client, "app", by_tag("nope")).await;
    assert!(modeled(&missing).is_image_not_found_exception());
    let no_repository = start_scan(&client, "gone", by_tag("v1")).await;
    assert!(modeled(&no_repository).is_repository_not_found_exception());

    client
        .put_registry_scanning_configuration()
        .scan_type(ScanType::Enhanced)
        .send()
        .await
        .unwrap();
    let disabled = start_scan(&client, "app", by_tag("v1")).await;
    assert!(modeled(&disabled).is_validation_exception());
    assert_eq!(
        service_error(disabled),
        ServiceError::new("ValidationException", "This feature is disabled")
    );
    berth.stop().await;
}

#[tokio::test]
async fn scan_on_push_per_account_and_region() {
    let berth = Berth::start().await;
    let here = berth.client();
    let elsewhere = berth.client_as(ACCOUNT_A, "eu-west-1");
    for client in [&here, &elsewhere] {
        create(client, "flagged", true).await;
    }
    push(&here, "flagged", "one", "v1").await;
    let findings = scan_findings(&here, "flagged", by_tag("v1")).await.unwrap();
    assert_eq!(
        findings.image_scan_status().unwrap().status(),
        Some(&ScanStatus::Failed)
    );
    // The other registry has no such image yet, then its own scan.
    let absent = scan_findings(&elsewhere, "flagged", by_tag("v1")).await;
    assert!(modeled(&absent).is_image_not_found_exception());
    push(&elsewhere, "flagged", "one", "v1").await;
    let quota = start_scan(&elsewhere, "flagged", by_tag("v1")).await;
    assert!(modeled(&quota).is_limit_exceeded_exception());
    berth.stop().await;
}

#[tokio::test]
async fn signing_configuration_and_statuses() {
    let berth = Berth::start().await;
    let client = berth.client();
    let none = client.get_signing_configuration().send().await;
    assert!(modeled(&none).is_signing_configuration_not_found_exception());
    assert_eq!(
        service_error(none).message,
        "Signing configuration does not exist in the registry with id '123456789012'"
    );

    let configuration = SigningConfiguration::builder()
        .rules(
            SigningRule::builder()
                .signing_profile_arn(PROFILE)
                .repository_filters(
                    SigningRepositoryFilter::builder()
                        .filter("*prod*")
                        .filter_type(SigningRepositoryFilterType::WildcardMatch)
                        .build()
                        .unwrap(),
                )
                .build()
                .unwrap(),
        )
        .build()
        .unwrap();
    let put = client
        .put_signing_configuration()
        .signing_configuration(configuration.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(put.signing_configuration(), Some(&configuration));
    let got = client.get_signing_configuration().send().await.unwrap();
    assert_eq!(got.registry_id(), Some(DEFAULT_ACCOUNT));
    assert_eq!(got.signing_configuration(), Some(&configuration));

    create(&client, "team/production", false).await;
    create(&client, "team/dev", false).await;
    let digest = push(&client, "team/production", "one", "v1").await;
    push(&client, "team/dev", "two", "v1").await;
    let status = signing_status(&client, "team/production", by_tag("v1"))
        .await
        .unwrap();
    assert_eq!(status.registry_id(), Some(DEFAULT_ACCOUNT));
    assert_eq!(
        status.image_id().unwrap().image_digest(),
        Some(digest.as_str())
    );
    let [signing] = status.signing_statuses() else {
        panic!("one status: {:?}", status.signing_statuses());
    };
    assert_eq!(signing.signing_profile_arn(), Some(PROFILE));
    assert_eq!(signing.status(), Some(&SigningStatus::Failed));
    assert_eq!(signing.failure_code(), Some("SIGNING_UNAVAILABLE"));
    assert_eq!(
        signing.failure_reason(),
        Some("Berth does not sign images.")
    );
    let unmatched = signing_status(&client, "team/dev", by_tag("v1"))
        .await
        .unwrap();
    assert!(unmatched.signing_statuses().is_empty());

    let deleted = client.delete_signing_configuration().send().await.unwrap();
    assert_eq!(deleted.signing_configuration(), Some(&configuration));
    let gone = client.delete_signing_configuration().send().await;
    assert!(modeled(&gone).is_signing_configuration_not_found_exception());
    berth.stop().await;
}

#[tokio::test]
async fn pull_time_update_exclusions_with_the_paginator() {
    let berth = Berth::start().await;
    let client = berth.client();
    let role = |name: &str| format!("arn:aws:iam::123456789012:role/{name}");
    for index in (0..5).rev() {
        let answer = client
            .register_pull_time_update_exclusion()
            .principal_arn(role(&format!("r{index}")))
            .send()
            .await
            .unwrap();
        assert_eq!(
            answer.principal_arn(),
            Some(role(&format!("r{index}")).as_str())
        );
        assert!(answer.created_at().is_some());
    }
    let twice = client
        .register_pull_time_update_exclusion()
        .principal_arn(role("r0"))
        .send()
        .await;
    assert!(modeled(&twice).is_exclusion_already_exists_exception());
    assert_eq!(
        service_error(twice).message,
        "The pull time update exclusion for principal 'arn:aws:iam::123456789012:role/r0' \
         already exists in the registry with id '123456789012'"
    );

    // By hand, two per page, in ARN order (the SDK has no paginator for this operation).
    let mut seen = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let page = client
            .list_pull_time_update_exclusions()
            .max_results(2)
            .set_next_token(token.clone())
            .send()
            .await
            .unwrap();
        assert!(page.pull_time_update_exclusions().len() <= 2);
        seen.extend(page.pull_time_update_exclusions().iter().cloned());
        token = page.next_token().map(str::to_owned);
        if token.is_none() {
            break;
        }
    }
    let expected: Vec<String> = (0..5).map(|index| role(&format!("r{index}"))).collect();
    assert_eq!(seen, expected);

    client
        .deregister_pull_time_update_exclusion()
        .principal_arn(role("r3"))
        .send()
        .await
        .unwrap();
    let again = client
        .deregister_pull_time_update_exclusion()
        .principal_arn(role("r3"))
        .send()
        .await;
    assert!(modeled(&again).is_exclusion_not_found_exception());
    berth.stop().await;
}

/// Starts Berth on an ephemeral port keeping its state in `data_dir`. A stopped Berth's
/// connection tasks may hold the directory's lock a moment longer: retried for a while.
async fn durable_berth(data_dir: &std::path::Path) -> Berth {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let mut config = berth::Config::ephemeral();
        config.data_dir = Some(data_dir.to_owned());
        match berth::start(config).await {
            Ok(running) => {
                return Berth {
                    endpoint: format!("http://{}", running.local_addr()),
                    running,
                };
            }
            Err(error) if Instant::now() < deadline => {
                assert!(error.to_string().contains("lock"), "{error}");
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            Err(error) => panic!("Berth does not start again: {error}"),
        }
    }
}

#[tokio::test]
async fn configurations_scans_statuses_and_exclusions_survive_a_restart() {
    let data_dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("sdk-scanning-durable-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&data_dir);
    std::fs::create_dir_all(&data_dir).unwrap();

    let berth = durable_berth(&data_dir).await;
    let client = berth.client();
    client
        .put_registry_scanning_configuration()
        .scan_type(ScanType::Basic)
        .rules(scanning_rule(ScanFrequency::ScanOnPush, "app"))
        .send()
        .await
        .unwrap();
    let signing = SigningConfiguration::builder()
        .rules(
            SigningRule::builder()
                .signing_profile_arn(PROFILE)
                .build()
                .unwrap(),
        )
        .build()
        .unwrap();
    client
        .put_signing_configuration()
        .signing_configuration(signing.clone())
        .send()
        .await
        .unwrap();
    let principal = "arn:aws:iam::123456789012:user/ci";
    client
        .register_pull_time_update_exclusion()
        .principal_arn(principal)
        .send()
        .await
        .unwrap();
    create(&client, "app", false).await;
    push(&client, "app", "one", "v1").await;
    drop(client);
    berth.stop().await;

    let berth = durable_berth(&data_dir).await;
    let client = berth.client();
    let scanning = client
        .get_registry_scanning_configuration()
        .send()
        .await
        .unwrap();
    let rules = scanning.scanning_configuration().unwrap().rules();
    assert_eq!(rules, [scanning_rule(ScanFrequency::ScanOnPush, "app")]);
    let got = client.get_signing_configuration().send().await.unwrap();
    assert_eq!(got.signing_configuration(), Some(&signing));
    let listed = client
        .list_pull_time_update_exclusions()
        .send()
        .await
        .unwrap();
    assert_eq!(listed.pull_time_update_exclusions(), [principal]);
    // The scan on push is still there, and still counts against the quota.
    let findings = scan_findings(&client, "app", by_tag("v1")).await.unwrap();
    assert_eq!(
        findings.image_scan_status().unwrap().status(),
        Some(&ScanStatus::Failed)
    );
    let quota = start_scan(&client, "app", by_tag("v1")).await;
    assert!(modeled(&quota).is_limit_exceeded_exception());
    let status = signing_status(&client, "app", by_tag("v1")).await.unwrap();
    assert_eq!(status.signing_statuses().len(), 1);
    berth.stop().await;
    let _ = std::fs::remove_dir_all(&data_dir);
}
