//! Berth against the real AWS SDK for Rust (`aws-sdk-ecr`, retries disabled), started
//! in-process on 127.0.0.1 and an ephemeral port. Every test starts its own server, so tests
//! run in parallel without sharing state; each server is shut down at the end of its test.
//!
//! What is asserted comes from `shared/docs/ecr-behaviour.md`: exact error codes, exact
//! messages where the doc gives them, exact shapes and defaults, HTTP 400 for every client
//! mistake.

mod support;

use std::collections::BTreeSet;
use std::time::{SystemTime, UNIX_EPOCH};

use aws_sdk_ecr::Client;
use aws_sdk_ecr::types::{
    EncryptionConfiguration, EncryptionType, ImageScanningConfiguration, ImageTagMutability,
    ImageTagMutabilityExclusionFilter, ImageTagMutabilityExclusionFilterType, Repository, Tag,
};
use support::sdk::*;

fn invalid_parameter(member: &str, reason: &str) -> ServiceError {
    ServiceError::new(
        "InvalidParameterException",
        format!("Invalid parameter at '{member}' failed to satisfy constraint: '{reason}'"),
    )
}

fn not_found(name: &str, registry: &str) -> ServiceError {
    ServiceError::new(
        "RepositoryNotFoundException",
        format!(
            "The repository with name '{name}' does not exist in the registry with id '{registry}'"
        ),
    )
}

fn already_exists(name: &str, registry: &str) -> ServiceError {
    ServiceError::new(
        "RepositoryAlreadyExistsException",
        format!(
            "The repository with name '{name}' already exists in the registry with id '{registry}'"
        ),
    )
}

fn policy_not_found(name: &str, registry: &str) -> ServiceError {
    ServiceError::new(
        "RepositoryPolicyNotFoundException",
        format!(
            "Repository policy does not exist for the repository with name '{name}' in the registry with id '{registry}'"
        ),
    )
}

fn access_denied(caller: &str, action: &str, resource: &str) -> ServiceError {
    ServiceError::new(
        "AccessDeniedException",
        format!(
            "User: arn:aws:iam::{caller}:root is not authorized to perform: ecr:{action} on resource: {resource} \
             because no resource-based policy allows the ecr:{action} action"
        ),
    )
}

fn arn(region: &str, account: &str, name: &str) -> String {
    format!("arn:aws:ecr:{region}:{account}:repository/{name}")
}

fn uri(region: &str, account: &str, name: &str) -> String {
    format!("{account}.dkr.ecr.{region}.amazonaws.com/{name}")
}

fn tag(key: &str, value: &str) -> Tag {
    Tag::builder()
        .key(key)
        .value(value)
        .build()
        .expect("tag has key and value")
}

fn filter(pattern: &str) -> ImageTagMutabilityExclusionFilter {
    ImageTagMutabilityExclusionFilter::builder()
        .filter_type(ImageTagMutabilityExclusionFilterType::Wildcard)
        .filter(pattern)
        .build()
        .expect("filter has type and value")
}

fn encryption(kind: EncryptionType, kms_key: Option<&str>) -> EncryptionConfiguration {
    let mut builder = EncryptionConfiguration::builder().encryption_type(kind);
    if let Some(key) = kms_key {
        builder = builder.kms_key(key);
    }
    builder.build().expect("encryption type is set")
}

fn now_seconds() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs_f64()
}

fn tags_of(tags: &[Tag]) -> Vec<(String, String)> {
    let mut pairs: Vec<_> = tags
        .iter()
        .map(|t| (t.key().to_owned(), t.value().to_owned()))
        .collect();
    pairs.sort();
    pairs
}

/// The tags of `resource_arn` as sorted pairs (ListTagsForResource must succeed).
async fn listed_tags(client: &Client, resource_arn: &str) -> Vec<(String, String)> {
    let listed = client
        .list_tags_for_resource()
        .resource_arn(resource_arn)
        .send()
        .await
        .expect("ListTagsForResource succeeds");
    tags_of(listed.tags())
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut pairs: Vec<_> = list
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    pairs.sort();
    pairs
}

/// Asserts a repository with every default, in `region`/`account`.
#[track_caller]
fn assert_default_repository(repo: &Repository, region: &str, account: &str, name: &str) {
    assert_eq!(repo.registry_id(), Some(account));
    assert_eq!(repo.repository_name(), Some(name));
    assert_eq!(
        repo.repository_arn(),
        Some(arn(region, account, name).as_str())
    );
    assert_eq!(
        repo.repository_uri(),
        Some(uri(region, account, name).as_str())
    );
    assert_eq!(
        repo.image_tag_mutability(),
        Some(&ImageTagMutability::Mutable)
    );
    assert!(repo.image_tag_mutability_exclusion_filters().is_empty());
    let scanning = repo
        .image_scanning_configuration()
        .expect("imageScanningConfiguration is always present");
    assert!(!scanning.scan_on_push());
    let encryption = repo
        .encryption_configuration()
        .expect("encryptionConfiguration is always present");
    assert_eq!(encryption.encryption_type(), &EncryptionType::Aes256);
    assert_eq!(encryption.kms_key(), None);
    assert!(repo.created_at().is_some(), "createdAt is always present");
}

async fn create(client: &Client, name: &str) -> Repository {
    client
        .create_repository()
        .repository_name(name)
        .send()
        .await
        .unwrap_or_else(|e| {
            panic!(
                "create {name}: {}",
                aws_sdk_ecr::error::DisplayErrorContext(&e)
            )
        })
        .repository
        .expect("CreateRepository returns the repository")
}

async fn exists(client: &Client, name: &str) -> bool {
    match client
        .describe_repositories()
        .repository_names(name)
        .send()
        .await
    {
        Ok(output) => {
            assert_eq!(output.repositories().len(), 1);
            true
        }
        Err(e) => {
            assert_eq!(
                service_error::<(), _>(Err(e)),
                not_found(name, DEFAULT_ACCOUNT)
            );
            false
        }
    }
}

const POLICY: &str = r#"{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Sid": "AllowPull",
      "Effect": "Allow",
      "Principal": {"AWS": "arn:aws:iam::123456789012:root"},
      "Action": ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"]
    }
  ]
}"#;

fn json(text: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

// ---------------------------------------------------------------------------------------
// CreateRepository
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn create_repository_applies_every_default_and_aws_formats() {
    let berth = Berth::start().await;
    let client = berth.client();
    let before = now_seconds();
    let repo = create(&client, "team/app").await;
    let after = now_seconds();
    assert_default_repository(&repo, "us-east-1", DEFAULT_ACCOUNT, "team/app");
    let created = repo.created_at().unwrap().as_secs_f64();
    assert!(
        created >= before - 1.0 && created <= after + 1.0,
        "createdAt {created} not in [{before}, {after}]"
    );

    // DescribeRepositories answers the same repository, createdAt included.
    let described = client
        .describe_repositories()
        .repository_names("team/app")
        .send()
        .await
        .unwrap();
    assert_eq!(described.repositories(), std::slice::from_ref(&repo));
    berth.stop().await;
}

#[tokio::test]
async fn create_repository_with_explicit_settings() {
    let berth = Berth::start().await;
    let client = berth.client();
    let repo = client
        .create_repository()
        .repository_name("explicit")
        .image_tag_mutability(ImageTagMutability::Immutable)
        .image_scanning_configuration(
            ImageScanningConfiguration::builder()
                .scan_on_push(true)
                .build(),
        )
        .encryption_configuration(encryption(
            EncryptionType::Kms,
            Some("arn:aws:kms:us-east-1:123456789012:key/my-key"),
        ))
        .send()
        .await
        .unwrap()
        .repository
        .unwrap();
    assert_eq!(
        repo.image_tag_mutability(),
        Some(&ImageTagMutability::Immutable)
    );
    assert!(repo.image_scanning_configuration().unwrap().scan_on_push());
    let enc = repo.encryption_configuration().unwrap();
    assert_eq!(enc.encryption_type(), &EncryptionType::Kms);
    assert_eq!(
        enc.kms_key(),
        Some("arn:aws:kms:us-east-1:123456789012:key/my-key")
    );

    let described = client
        .describe_repositories()
        .repository_names("explicit")
        .send()
        .await
        .unwrap();
    assert_eq!(described.repositories(), std::slice::from_ref(&repo));
    berth.stop().await;
}

/// `KMS`/`KMS_DSSE` without a key: the AWS-managed key's ARN, stable for the repository.
#[tokio::test]
async fn create_repository_kms_without_key_gets_a_managed_key() {
    let berth = Berth::start().await;
    let client = berth.client_as(ACCOUNT_A, "eu-west-1");
    let mut keys = Vec::new();
    for (name, kind) in [
        ("kms", EncryptionType::Kms),
        ("kms-dsse", EncryptionType::KmsDsse),
    ] {
        let repo = client
            .create_repository()
            .repository_name(name)
            .encryption_configuration(encryption(kind.clone(), None))
            .send()
            .await
            .unwrap()
            .repository
            .unwrap();
        let enc = repo.encryption_configuration().unwrap();
        assert_eq!(enc.encryption_type(), &kind);
        let key = enc
            .kms_key()
            .expect("ECR fills in its AWS-managed key")
            .to_owned();
        let prefix = format!("arn:aws:kms:eu-west-1:{ACCOUNT_A}:key/");
        let id = key
            .strip_prefix(&prefix)
            .unwrap_or_else(|| panic!("{key} starts with {prefix}"));
        assert!(is_uuid(id), "{key} ends with a key uuid");

        let described = client
            .describe_repositories()
            .repository_names(name)
            .send()
            .await
            .unwrap();
        let again = described.repositories()[0]
            .encryption_configuration()
            .unwrap();
        assert_eq!(
            again.kms_key(),
            Some(key.as_str()),
            "the managed key is stable for the repository"
        );
        keys.push(key);
    }
    berth.stop().await;
}

fn is_uuid(text: &str) -> bool {
    let groups: Vec<&str> = text.split('-').collect();
    groups.iter().map(|g| g.len()).collect::<Vec<_>>() == [8, 4, 4, 4, 12]
        && groups
            .iter()
            .all(|g| g.bytes().all(|b| b.is_ascii_hexdigit()))
}

#[tokio::test]
async fn create_repository_aes256_with_kms_key_is_invalid() {
    let berth = Berth::start().await;
    let client = berth.client();
    let result = client
        .create_repository()
        .repository_name("aes")
        .encryption_configuration(encryption(
            EncryptionType::Aes256,
            Some("arn:aws:kms:us-east-1:123456789012:key/k"),
        ))
        .send()
        .await;
    assert_eq!(error_code(result), "InvalidParameterException");
    assert!(
        !exists(&client, "aes").await,
        "nothing is created by a rejected request"
    );
    berth.stop().await;
}

#[tokio::test]
async fn create_repository_twice_is_already_exists() {
    let berth = Berth::start().await;
    let client = berth.client();
    create(&client, "dup").await;
    let result = client
        .create_repository()
        .repository_name("dup")
        .send()
        .await;
    assert!(
        modeled(&result).is_repository_already_exists_exception(),
        "the SDK maps the error to its modeled variant"
    );
    assert_eq!(
        service_error(result),
        already_exists("dup", DEFAULT_ACCOUNT)
    );

    // Same name with an explicit, own registryId: still the same registry.
    let result = client
        .create_repository()
        .registry_id(DEFAULT_ACCOUNT)
        .repository_name("dup")
        .send()
        .await;
    assert_eq!(
        service_error(result),
        already_exists("dup", DEFAULT_ACCOUNT)
    );
    berth.stop().await;
}

/// 16 clients create the same name at once: exactly one wins.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_creates_of_one_name_have_exactly_one_winner() {
    let berth = Berth::start().await;
    let mut tasks = Vec::new();
    for _ in 0..16 {
        let client = berth.client();
        tasks.push(tokio::spawn(async move {
            client
                .create_repository()
                .repository_name("race")
                .send()
                .await
        }));
    }
    let mut won = 0;
    for task in tasks {
        match task.await.unwrap() {
            Ok(_) => won += 1,
            Err(e) => assert_eq!(
                service_error::<(), _>(Err(e)),
                already_exists("race", DEFAULT_ACCOUNT)
            ),
        }
    }
    assert_eq!(won, 1);
    berth.stop().await;
}

#[tokio::test]
async fn repository_names_follow_the_model_pattern_and_length() {
    let berth = Berth::start().await;
    let client = berth.client();
    let long_valid = "a".repeat(256);
    for good in [
        "a__b",
        "a--b",
        "a-b",
        "a.b",
        "a_b",
        "ab",
        "0a",
        "ns/a-b/c_d.e",
        long_valid.as_str(),
    ] {
        let repo = create(&client, good).await;
        assert_eq!(repo.repository_name(), Some(good));
    }

    let pattern = format!("must satisfy regular expression '{NAME_PATTERN}'");
    let too_long = "a".repeat(257);
    let cases: Vec<(&str, String)> = vec![
        ("a..b", pattern.clone()),
        ("a/", pattern.clone()),
        ("/a", pattern.clone()),
        ("Ab", pattern.clone()),
        ("a b", pattern.clone()),
        ("a//b", pattern.clone()),
        ("-ab", pattern.clone()),
        (
            "a",
            "must have length greater than or equal to 2".to_owned(),
        ),
        (
            "A",
            "must have length greater than or equal to 2".to_owned(),
        ),
        (
            too_long.as_str(),
            "must have length less than or equal to 256".to_owned(),
        ),
    ];
    for (name, reason) in &cases {
        let result = client
            .create_repository()
            .repository_name(*name)
            .send()
            .await;
        assert_eq!(
            service_error(result),
            invalid_parameter("repositoryName", reason)
        );
    }
    // Every operation that takes a name checks it.
    let reason = invalid_parameter("repositoryName", &pattern);
    assert_eq!(
        service_error(
            client
                .delete_repository()
                .repository_name("a..b")
                .send()
                .await,
        ),
        reason
    );
    // A name inside the list is reported at 'repositoryName', not at the list item.
    assert_eq!(
        service_error(
            client
                .describe_repositories()
                .repository_names("ok")
                .repository_names("a..b")
                .send()
                .await,
        ),
        reason
    );
    assert_eq!(
        service_error(
            client
                .get_repository_policy()
                .repository_name("a..b")
                .send()
                .await,
        ),
        reason
    );
    assert_eq!(
        service_error(
            client
                .delete_repository_policy()
                .repository_name("a..b")
                .send()
                .await,
        ),
        reason
    );
    assert_eq!(
        service_error(
            client
                .set_repository_policy()
                .repository_name("a..b")
                .policy_text(POLICY)
                .send()
                .await,
        ),
        reason
    );
    assert_eq!(
        service_error(
            client
                .put_image_tag_mutability()
                .repository_name("a..b")
                .image_tag_mutability(ImageTagMutability::Immutable)
                .send()
                .await,
        ),
        reason
    );
    assert_eq!(
        service_error(
            client
                .put_image_scanning_configuration()
                .repository_name("a..b")
                .image_scanning_configuration(
                    ImageScanningConfiguration::builder()
                        .scan_on_push(true)
                        .build(),
                )
                .send()
                .await,
        ),
        reason
    );
    berth.stop().await;
}

#[tokio::test]
async fn missing_required_members_must_not_be_null() {
    let berth = Berth::start().await;
    let client = berth.client();
    let null = |member: &str| invalid_parameter(member, "Member must not be null");
    assert_eq!(
        service_error(client.create_repository().send().await),
        null("repositoryName")
    );
    assert_eq!(
        service_error(client.delete_repository().send().await),
        null("repositoryName")
    );
    create(&client, "present").await;
    assert_eq!(
        service_error(
            client
                .put_image_tag_mutability()
                .repository_name("present")
                .send()
                .await,
        ),
        null("imageTagMutability")
    );
    assert_eq!(
        service_error(
            client
                .set_repository_policy()
                .repository_name("present")
                .send()
                .await,
        ),
        null("policyText")
    );
    assert_eq!(
        service_error(
            client
                .put_image_scanning_configuration()
                .repository_name("present")
                .send()
                .await,
        ),
        null("imageScanningConfiguration")
    );
    assert_eq!(
        service_error(client.list_tags_for_resource().send().await),
        null("resourceArn")
    );
    let repo_arn = arn("us-east-1", DEFAULT_ACCOUNT, "present");
    assert_eq!(
        service_error(client.tag_resource().resource_arn(&repo_arn).send().await),
        null("tags")
    );
    assert_eq!(
        service_error(client.untag_resource().resource_arn(&repo_arn).send().await),
        null("tagKeys")
    );
    berth.stop().await;
}

#[tokio::test]
async fn enum_values_outside_the_model_are_invalid() {
    let berth = Berth::start().await;
    let client = berth.client();
    let result = client
        .create_repository()
        .repository_name("enum")
        .image_tag_mutability(ImageTagMutability::from("SOMETIMES"))
        .send()
        .await;
    let reason = "Member must satisfy enum value set: [MUTABLE, IMMUTABLE, IMMUTABLE_WITH_EXCLUSION, MUTABLE_WITH_EXCLUSION]";
    assert_eq!(
        service_error(result),
        invalid_parameter("imageTagMutability", reason)
    );

    let result = client
        .create_repository()
        .repository_name("enum")
        .encryption_configuration(encryption(EncryptionType::from("ROT13"), None))
        .send()
        .await;
    let reason = "Member must satisfy enum value set: [AES256, KMS, KMS_DSSE]";
    assert_eq!(
        service_error(result),
        invalid_parameter("encryptionConfiguration.encryptionType", reason)
    );
    assert!(!exists(&client, "enum").await);
    berth.stop().await;
}

#[tokio::test]
async fn registry_id_must_be_twelve_digits() {
    let berth = Berth::start().await;
    let client = berth.client();
    let reason = invalid_parameter("registryId", "must satisfy regular expression [0-9]{12}");
    for bad in ["12345678901", "1234567890123", "12345678901a"] {
        assert_eq!(
            service_error(
                client
                    .create_repository()
                    .registry_id(bad)
                    .repository_name("r1")
                    .send()
                    .await,
            ),
            reason
        );
        assert_eq!(
            service_error(client.describe_repositories().registry_id(bad).send().await),
            reason
        );
    }
    berth.stop().await;
}

// ---------------------------------------------------------------------------------------
// Tag mutability with exclusions (CreateRepository and PutImageTagMutability)
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn with_exclusion_modes_need_filters() {
    let berth = Berth::start().await;
    let client = berth.client();
    for mode in ["IMMUTABLE_WITH_EXCLUSION", "MUTABLE_WITH_EXCLUSION"] {
        let result = client
            .create_repository()
            .repository_name("excl")
            .image_tag_mutability(ImageTagMutability::from(mode))
            .send()
            .await;
        let reason = format!(
            "ImageTagMutabilityExclusionFilters can't be null when imageTagMutability is set as {mode}"
        );
        assert_eq!(
            service_error(result),
            invalid_parameter("imageTagMutabilityExclusionFilters", &reason)
        );
    }
    assert!(!exists(&client, "excl").await);

    let repo = client
        .create_repository()
        .repository_name("excl")
        .image_tag_mutability(ImageTagMutability::ImmutableWithExclusion)
        .image_tag_mutability_exclusion_filters(filter("latest"))
        .image_tag_mutability_exclusion_filters(filter("dev-*"))
        .send()
        .await
        .unwrap()
        .repository
        .unwrap();
    assert_eq!(
        repo.image_tag_mutability(),
        Some(&ImageTagMutability::ImmutableWithExclusion)
    );
    assert_eq!(
        repo.image_tag_mutability_exclusion_filters(),
        &[filter("latest"), filter("dev-*")]
    );
    let described = client
        .describe_repositories()
        .repository_names("excl")
        .send()
        .await
        .unwrap();
    assert_eq!(
        described.repositories()[0].image_tag_mutability_exclusion_filters(),
        &[filter("latest"), filter("dev-*")]
    );

    // Filters with a plain mode are refused.
    for mode in [ImageTagMutability::Mutable, ImageTagMutability::Immutable] {
        let result = client
            .create_repository()
            .repository_name("plain-with-filters")
            .image_tag_mutability(mode)
            .image_tag_mutability_exclusion_filters(filter("latest"))
            .send()
            .await;
        assert_eq!(error_code(result), "InvalidParameterException");
    }
    assert!(!exists(&client, "plain-with-filters").await);
    berth.stop().await;
}

#[tokio::test]
async fn exclusion_filters_are_validated() {
    let berth = Berth::start().await;
    let client = berth.client();
    let mut six = client
        .create_repository()
        .repository_name("six")
        .image_tag_mutability(ImageTagMutability::MutableWithExclusion);
    for i in 0..6 {
        six = six.image_tag_mutability_exclusion_filters(filter(&format!("f{i}*")));
    }
    assert_eq!(
        service_error(six.send().await),
        invalid_parameter(
            "imageTagMutabilityExclusionFilters",
            "Member must have length less than or equal to 5",
        )
    );

    let result = client
        .create_repository()
        .repository_name("bad-filter")
        .image_tag_mutability(ImageTagMutability::MutableWithExclusion)
        .image_tag_mutability_exclusion_filters(filter("ok"))
        .image_tag_mutability_exclusion_filters(filter("not ok!"))
        .send()
        .await;
    assert_eq!(
        service_error(result),
        invalid_parameter(
            "imageTagMutabilityExclusionFilters.2.member.filter",
            "Member must satisfy regular expression pattern: ^[0-9a-zA-Z._*-]{1,128}$",
        )
    );

    let wrong_type = ImageTagMutabilityExclusionFilter::builder()
        .filter_type(ImageTagMutabilityExclusionFilterType::from("REGEX"))
        .filter("x")
        .build()
        .unwrap();
    let result = client
        .create_repository()
        .repository_name("bad-filter")
        .image_tag_mutability(ImageTagMutability::MutableWithExclusion)
        .image_tag_mutability_exclusion_filters(wrong_type)
        .send()
        .await;
    assert_eq!(
        service_error(result),
        invalid_parameter(
            "imageTagMutabilityExclusionFilters.1.member.filterType",
            "Member must satisfy enum value set: [WILDCARD]",
        )
    );
    assert!(!exists(&client, "six").await);
    assert!(!exists(&client, "bad-filter").await);
    berth.stop().await;
}

// ---------------------------------------------------------------------------------------
// PutImageTagMutability / PutImageScanningConfiguration
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn put_image_tag_mutability_updates_and_echoes() {
    let berth = Berth::start().await;
    let client = berth.client();
    create(&client, "mut").await;
    let out = client
        .put_image_tag_mutability()
        .repository_name("mut")
        .image_tag_mutability(ImageTagMutability::Immutable)
        .send()
        .await
        .unwrap();
    assert_eq!(out.registry_id(), Some(DEFAULT_ACCOUNT));
    assert_eq!(out.repository_name(), Some("mut"));
    assert_eq!(
        out.image_tag_mutability(),
        Some(&ImageTagMutability::Immutable)
    );
    assert!(out.image_tag_mutability_exclusion_filters().is_empty());
    let described = client
        .describe_repositories()
        .repository_names("mut")
        .send()
        .await
        .unwrap();
    assert_eq!(
        described.repositories()[0].image_tag_mutability(),
        Some(&ImageTagMutability::Immutable)
    );

    let out = client
        .put_image_tag_mutability()
        .repository_name("mut")
        .image_tag_mutability(ImageTagMutability::MutableWithExclusion)
        .image_tag_mutability_exclusion_filters(filter("release-*"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        out.image_tag_mutability(),
        Some(&ImageTagMutability::MutableWithExclusion)
    );
    assert_eq!(
        out.image_tag_mutability_exclusion_filters(),
        &[filter("release-*")]
    );
    let described = client
        .describe_repositories()
        .repository_names("mut")
        .send()
        .await
        .unwrap();
    let repo = &described.repositories()[0];
    assert_eq!(
        repo.image_tag_mutability(),
        Some(&ImageTagMutability::MutableWithExclusion)
    );
    assert_eq!(
        repo.image_tag_mutability_exclusion_filters(),
        &[filter("release-*")]
    );

    // Back to a plain mode: the filters go.
    let out = client
        .put_image_tag_mutability()
        .repository_name("mut")
        .image_tag_mutability(ImageTagMutability::Mutable)
        .send()
        .await
        .unwrap();
    assert!(out.image_tag_mutability_exclusion_filters().is_empty());
    let described = client
        .describe_repositories()
        .repository_names("mut")
        .send()
        .await
        .unwrap();
    assert!(
        described.repositories()[0]
            .image_tag_mutability_exclusion_filters()
            .is_empty()
    );

    // Errors.
    let result = client
        .put_image_tag_mutability()
        .repository_name("mut")
        .image_tag_mutability(ImageTagMutability::ImmutableWithExclusion)
        .send()
        .await;
    assert_eq!(
        service_error(result),
        invalid_parameter(
            "imageTagMutabilityExclusionFilters",
            "ImageTagMutabilityExclusionFilters can't be null when imageTagMutability is set as IMMUTABLE_WITH_EXCLUSION",
        )
    );
    let result = client
        .put_image_tag_mutability()
        .repository_name("mut")
        .image_tag_mutability(ImageTagMutability::Immutable)
        .image_tag_mutability_exclusion_filters(filter("x"))
        .send()
        .await;
    assert_eq!(error_code(result), "InvalidParameterException");
    let described = client
        .describe_repositories()
        .repository_names("mut")
        .send()
        .await
        .unwrap();
    assert_eq!(
        described.repositories()[0].image_tag_mutability(),
        Some(&ImageTagMutability::Mutable),
        "refused calls change nothing"
    );

    let result = client
        .put_image_tag_mutability()
        .repository_name("nope")
        .image_tag_mutability(ImageTagMutability::Immutable)
        .send()
        .await;
    assert!(modeled(&result).is_repository_not_found_exception());
    assert_eq!(service_error(result), not_found("nope", DEFAULT_ACCOUNT));
    berth.stop().await;
}

#[tokio::test]
async fn put_image_scanning_configuration_updates_and_echoes() {
    let berth = Berth::start().await;
    let client = berth.client();
    create(&client, "scan").await;
    let on = ImageScanningConfiguration::builder()
        .scan_on_push(true)
        .build();
    let out = client
        .put_image_scanning_configuration()
        .repository_name("scan")
        .image_scanning_configuration(on.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(out.registry_id(), Some(DEFAULT_ACCOUNT));
    assert_eq!(out.repository_name(), Some("scan"));
    assert_eq!(out.image_scanning_configuration(), Some(&on));
    let described = client
        .describe_repositories()
        .repository_names("scan")
        .send()
        .await
        .unwrap();
    assert!(
        described.repositories()[0]
            .image_scanning_configuration()
            .unwrap()
            .scan_on_push()
    );

    // The Rust SDK omits `scanOnPush: false` on the wire: absent means false.
    let off = ImageScanningConfiguration::builder()
        .scan_on_push(false)
        .build();
    let out = client
        .put_image_scanning_configuration()
        .repository_name("scan")
        .image_scanning_configuration(off.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(out.image_scanning_configuration(), Some(&off));
    let described = client
        .describe_repositories()
        .repository_names("scan")
        .send()
        .await
        .unwrap();
    assert!(
        !described.repositories()[0]
            .image_scanning_configuration()
            .unwrap()
            .scan_on_push()
    );

    let result = client
        .put_image_scanning_configuration()
        .repository_name("nope")
        .image_scanning_configuration(on)
        .send()
        .await;
    assert_eq!(service_error(result), not_found("nope", DEFAULT_ACCOUNT));
    berth.stop().await;
}

// ---------------------------------------------------------------------------------------
// DescribeRepositories
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn describe_repositories_by_name_in_request_order() {
    let berth = Berth::start().await;
    let client = berth.client();
    let empty = client.describe_repositories().send().await.unwrap();
    assert!(empty.repositories().is_empty());
    assert_eq!(empty.next_token(), None, "no nextToken on the last page");

    for name in ["alpha", "bravo", "charlie"] {
        create(&client, name).await;
    }
    let out = client
        .describe_repositories()
        .repository_names("charlie")
        .repository_names("alpha")
        .repository_names("bravo")
        .send()
        .await
        .unwrap();
    let names: Vec<_> = out
        .repositories()
        .iter()
        .map(|r| r.repository_name().unwrap())
        .collect();
    assert_eq!(names, ["charlie", "alpha", "bravo"]);
    assert_eq!(out.next_token(), None);
    for repo in out.repositories() {
        assert_default_repository(
            repo,
            "us-east-1",
            DEFAULT_ACCOUNT,
            repo.repository_name().unwrap(),
        );
    }

    // Any missing one: RepositoryNotFoundException naming the first missing one.
    let result = client
        .describe_repositories()
        .repository_names("alpha")
        .repository_names("ghost-one")
        .repository_names("ghost-two")
        .send()
        .await;
    assert!(modeled(&result).is_repository_not_found_exception());
    assert_eq!(
        service_error(result),
        not_found("ghost-one", DEFAULT_ACCOUNT)
    );

    // repositoryNames with maxResults or nextToken.
    let result = client
        .describe_repositories()
        .repository_names("alpha")
        .max_results(1)
        .send()
        .await;
    assert_eq!(error_code(result), "InvalidParameterException");
    let first = client
        .describe_repositories()
        .max_results(1)
        .send()
        .await
        .unwrap();
    let token = first.next_token().expect("more pages").to_owned();
    let result = client
        .describe_repositories()
        .repository_names("alpha")
        .next_token(token)
        .send()
        .await;
    assert_eq!(error_code(result), "InvalidParameterException");

    // List lengths: 1..=100 names.
    let mut hundred_one = client.describe_repositories();
    for i in 0..101 {
        hundred_one = hundred_one.repository_names(format!("n{i}"));
    }
    assert_eq!(
        service_error(hundred_one.send().await),
        invalid_parameter(
            "repositoryNames",
            "Member must have length less than or equal to 100",
        )
    );
    berth.stop().await;
}

#[tokio::test]
async fn describe_repositories_max_results_range_and_bad_tokens() {
    let berth = Berth::start().await;
    let client = berth.client();
    for name in ["r1", "r2", "r3"] {
        create(&client, name).await;
    }
    assert_eq!(
        service_error(client.describe_repositories().max_results(0).send().await),
        invalid_parameter(
            "maxResults",
            "Member must have value greater than or equal to 1",
        )
    );
    assert_eq!(
        service_error(
            client
                .describe_repositories()
                .max_results(1001)
                .send()
                .await,
        ),
        invalid_parameter(
            "maxResults",
            "Member must have value less than or equal to 1000",
        )
    );
    let ok = client
        .describe_repositories()
        .max_results(1000)
        .send()
        .await
        .unwrap();
    assert_eq!(ok.repositories().len(), 3);
    assert_eq!(ok.next_token(), None);

    for bad in ["not-a-token", "AAAA", "%%%", "eyJ4IjoxfQ=="] {
        assert_eq!(
            error_code(client.describe_repositories().next_token(bad).send().await),
            "InvalidParameterException"
        );
    }
    berth.stop().await;
}

#[tokio::test]
async fn describe_repositories_paginates_with_the_sdk_paginator() {
    let berth = Berth::start().await;
    let client = berth.client();
    let mut expected = BTreeSet::new();
    for i in 0..23 {
        let name = format!("page/repo-{i:02}");
        create(&client, &name).await;
        expected.insert(name);
    }

    // Pages of 4: 6 pages, the last one without a token, names in a stable (name) order.
    let pages: Vec<_> = client
        .describe_repositories()
        .into_paginator()
        .page_size(4)
        .send()
        .collect::<Vec<_>>()
        .await
        .into_iter()
        .collect::<Result<_, _>>()
        .unwrap();
    let sizes: Vec<usize> = pages.iter().map(|p| p.repositories().len()).collect();
    assert_eq!(sizes, [4, 4, 4, 4, 4, 3]);
    assert!(
        pages[..5]
            .iter()
            .all(|p| p.next_token().is_some_and(|t| !t.is_empty()))
    );
    assert_eq!(pages[5].next_token(), None);
    let names: Vec<String> = pages
        .iter()
        .flat_map(|p| p.repositories())
        .map(|r| r.repository_name().unwrap().to_owned())
        .collect();
    assert_eq!(
        names,
        expected.iter().cloned().collect::<Vec<_>>(),
        "every repository once, ordered by name"
    );

    // The items paginator, one per page.
    let items: Vec<Repository> = client
        .describe_repositories()
        .into_paginator()
        .page_size(1)
        .items()
        .send()
        .collect::<Vec<_>>()
        .await
        .into_iter()
        .collect::<Result<_, _>>()
        .unwrap();
    let item_names: BTreeSet<String> = items
        .iter()
        .map(|r| r.repository_name().unwrap().to_owned())
        .collect();
    assert_eq!(items.len(), 23);
    assert_eq!(item_names, expected);
    berth.stop().await;
}

#[tokio::test]
async fn describe_repositories_default_page_is_one_hundred() {
    let berth = Berth::start().await;
    let client = berth.client();
    for i in 0..130 {
        create(&client, &format!("many-{i:03}")).await;
    }
    let first = client.describe_repositories().send().await.unwrap();
    assert_eq!(first.repositories().len(), 100);
    let token = first.next_token().expect("a second page").to_owned();
    let second = client
        .describe_repositories()
        .next_token(token)
        .send()
        .await
        .unwrap();
    assert_eq!(second.repositories().len(), 30);
    assert_eq!(second.next_token(), None);
    let all: BTreeSet<_> = first
        .repositories()
        .iter()
        .chain(second.repositories())
        .map(|r| r.repository_name().unwrap())
        .collect();
    assert_eq!(all.len(), 130);
    berth.stop().await;
}

/// Tokens stay correct when repositories are created and deleted between pages: no
/// duplicates, and every repository that existed throughout is seen.
#[tokio::test]
async fn pagination_tokens_survive_creates_and_deletes_between_pages() {
    let berth = Berth::start().await;
    let client = berth.client();
    for i in 0..20 {
        create(&client, &format!("r{i:02}")).await;
    }
    let first = client
        .describe_repositories()
        .max_results(5)
        .send()
        .await
        .unwrap();
    let mut seen: Vec<String> = first
        .repositories()
        .iter()
        .map(|r| r.repository_name().unwrap().to_owned())
        .collect();
    assert_eq!(seen, ["r00", "r01", "r02", "r03", "r04"]);
    let mut token = first.next_token().map(str::to_owned);

    // Between pages: delete one already seen, the next unseen one, and one further on;
    // create one before everything and one in the unseen range.
    for name in ["r02", "r05", "r10"] {
        client
            .delete_repository()
            .repository_name(name)
            .send()
            .await
            .unwrap();
    }
    create(&client, "a-first").await;
    create(&client, "r07b").await;

    while let Some(t) = token {
        let page = client
            .describe_repositories()
            .max_results(5)
            .next_token(t)
            .send()
            .await
            .unwrap();
        assert!(page.repositories().len() <= 5);
        seen.extend(
            page.repositories()
                .iter()
                .map(|r| r.repository_name().unwrap().to_owned()),
        );
        token = page.next_token().map(str::to_owned);
    }
    let unique: BTreeSet<_> = seen.iter().cloned().collect();
    assert_eq!(unique.len(), seen.len(), "no duplicates: {seen:?}");
    for i in (0..20).filter(|i| ![2, 5, 10].contains(i)) {
        let name = format!("r{i:02}");
        assert!(
            unique.contains(&name),
            "{name} existed throughout but was skipped: {seen:?}"
        );
    }
    for gone in ["r05", "r10"] {
        assert!(
            !unique.contains(gone),
            "{gone} was deleted before its page: {seen:?}"
        );
    }
    berth.stop().await;
}

// ---------------------------------------------------------------------------------------
// DeleteRepository
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn delete_repository_returns_it_and_forgets_policy_and_tags() {
    let berth = Berth::start().await;
    let client = berth.client();
    let created = client
        .create_repository()
        .repository_name("doomed")
        .tags(tag("team", "infra"))
        .send()
        .await
        .unwrap()
        .repository
        .unwrap();
    client
        .set_repository_policy()
        .repository_name("doomed")
        .policy_text(POLICY)
        .send()
        .await
        .unwrap();

    let deleted = client
        .delete_repository()
        .repository_name("doomed")
        .send()
        .await
        .unwrap();
    assert_eq!(
        deleted.repository(),
        Some(&created),
        "DeleteRepository returns the deleted repository"
    );
    assert!(!exists(&client, "doomed").await);

    let result = client
        .delete_repository()
        .repository_name("doomed")
        .send()
        .await;
    assert!(modeled(&result).is_repository_not_found_exception());
    assert_eq!(service_error(result), not_found("doomed", DEFAULT_ACCOUNT));

    // Recreated: a fresh repository without the old policy or tags.
    create(&client, "doomed").await;
    assert_eq!(
        service_error(
            client
                .get_repository_policy()
                .repository_name("doomed")
                .send()
                .await,
        ),
        policy_not_found("doomed", DEFAULT_ACCOUNT)
    );
    let tags = client
        .list_tags_for_resource()
        .resource_arn(arn("us-east-1", DEFAULT_ACCOUNT, "doomed"))
        .send()
        .await
        .unwrap();
    assert!(tags.tags().is_empty());

    // force on an empty repository is fine.
    let deleted = client
        .delete_repository()
        .repository_name("doomed")
        .force(true)
        .send()
        .await
        .unwrap();
    assert_eq!(
        deleted.repository().unwrap().repository_name(),
        Some("doomed")
    );
    berth.stop().await;
}

// ---------------------------------------------------------------------------------------
// Repository policies
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn repository_policy_set_get_delete() {
    let berth = Berth::start().await;
    let client = berth.client();
    create(&client, "pol").await;

    assert_eq!(
        service_error(
            client
                .get_repository_policy()
                .repository_name("pol")
                .send()
                .await,
        ),
        policy_not_found("pol", DEFAULT_ACCOUNT)
    );
    let result = client
        .delete_repository_policy()
        .repository_name("pol")
        .send()
        .await;
    assert!(modeled(&result).is_repository_policy_not_found_exception());
    assert_eq!(
        service_error(result),
        policy_not_found("pol", DEFAULT_ACCOUNT)
    );

    let set = client
        .set_repository_policy()
        .repository_name("pol")
        .policy_text(POLICY)
        .send()
        .await
        .unwrap();
    assert_eq!(set.registry_id(), Some(DEFAULT_ACCOUNT));
    assert_eq!(set.repository_name(), Some("pol"));
    assert_eq!(json(set.policy_text().unwrap()), json(POLICY));

    let got = client
        .get_repository_policy()
        .repository_name("pol")
        .send()
        .await
        .unwrap();
    assert_eq!(got.registry_id(), Some(DEFAULT_ACCOUNT));
    assert_eq!(got.repository_name(), Some("pol"));
    assert_eq!(
        json(got.policy_text().unwrap()),
        json(POLICY),
        "Get returns semantically the same policy"
    );

    let deleted = client
        .delete_repository_policy()
        .repository_name("pol")
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.registry_id(), Some(DEFAULT_ACCOUNT));
    assert_eq!(deleted.repository_name(), Some("pol"));
    assert_eq!(
        json(deleted.policy_text().unwrap()),
        json(POLICY),
        "Delete returns the removed policy"
    );
    assert_eq!(
        service_error(
            client
                .get_repository_policy()
                .repository_name("pol")
                .send()
                .await,
        ),
        policy_not_found("pol", DEFAULT_ACCOUNT)
    );

    // A repository that does not exist, for all three.
    assert_eq!(
        service_error(
            client
                .set_repository_policy()
                .repository_name("ghost")
                .policy_text(POLICY)
                .send()
                .await,
        ),
        not_found("ghost", DEFAULT_ACCOUNT)
    );
    assert_eq!(
        service_error(
            client
                .get_repository_policy()
                .repository_name("ghost")
                .send()
                .await,
        ),
        not_found("ghost", DEFAULT_ACCOUNT)
    );
    assert_eq!(
        service_error(
            client
                .delete_repository_policy()
                .repository_name("ghost")
                .send()
                .await,
        ),
        not_found("ghost", DEFAULT_ACCOUNT)
    );
    berth.stop().await;
}

/// Policies real ECR accepts must be accepted (Terraform retries this error for minutes).
#[tokio::test]
async fn repository_policy_accepts_what_ecr_accepts() {
    let berth = Berth::start().await;
    let client = berth.client();
    create(&client, "accepting").await;
    let policies = [
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"ecr:*"}]}"#,
        r#"{"Version":"2008-10-17","Statement":{"Sid":"One","Effect":"Deny","Principal":{"AWS":["arn:aws:iam::111111111111:root","222222222222"]},"Action":["ecr:PutImage"]}}"#,
        r#"{"Version":"2012-10-17","Statement":[{"Sid":"Cond","Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":["ecr:BatchGetImage","ecr:GetDownloadUrlForLayer"],"Condition":{"StringLike":{"aws:sourceArn":"arn:aws:lambda:us-east-1:123456789012:function:*"}}}]}"#,
        r#"{"Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"ecr:BatchGetImage"},{"Effect":"Deny","Principal":"*","Action":["ecr:DeleteRepository"]}]}"#,
    ];
    for policy in policies {
        let out = client
            .set_repository_policy()
            .repository_name("accepting")
            .policy_text(policy)
            .send()
            .await
            .unwrap_or_else(|e| {
                panic!("{policy}: {}", aws_sdk_ecr::error::DisplayErrorContext(&e))
            });
        assert_eq!(json(out.policy_text().unwrap()), json(policy));
        let got = client
            .get_repository_policy()
            .repository_name("accepting")
            .send()
            .await
            .unwrap();
        assert_eq!(json(got.policy_text().unwrap()), json(policy));
    }
    berth.stop().await;
}

#[tokio::test]
async fn repository_policy_rejects_what_is_not_a_policy() {
    let berth = Berth::start().await;
    let client = berth.client();
    create(&client, "strict").await;
    let invalid = invalid_parameter("PolicyText", "Invalid repository policy provided");
    let bad = [
        "not json",
        "[]",
        "\"text\"",
        "{}",
        r#"{"Version":"2012-10-17"}"#,
        r#"{"Version":"2012-10-17","Statement":[]}"#,
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Maybe","Principal":"*","Action":"ecr:*"}]}"#,
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ecr:*"}]}"#,
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*"}]}"#,
        "",
    ];
    for policy in bad {
        assert_eq!(
            service_error(
                client
                    .set_repository_policy()
                    .repository_name("strict")
                    .policy_text(policy)
                    .send()
                    .await,
            ),
            invalid
        );
    }
    assert_eq!(
        error_code(
            client
                .get_repository_policy()
                .repository_name("strict")
                .send()
                .await,
        ),
        "RepositoryPolicyNotFoundException",
        "nothing was stored by a rejected call"
    );

    // Longer than 10240 characters: the model's length constraint.
    let padding = "x".repeat(10240);
    let long = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Sid":"{padding}","Effect":"Allow","Principal":"*","Action":"ecr:*"}}]}}"#
    );
    assert_eq!(
        service_error(
            client
                .set_repository_policy()
                .repository_name("strict")
                .policy_text(long)
                .send()
                .await,
        ),
        invalid_parameter(
            "policyText",
            "Member must have length less than or equal to 10240",
        )
    );
    berth.stop().await;
}

// ---------------------------------------------------------------------------------------
// Tags
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn tags_on_create_tag_untag_and_list() {
    let berth = Berth::start().await;
    let client = berth.client();
    let repo_arn = arn("us-east-1", DEFAULT_ACCOUNT, "tagged");
    client
        .create_repository()
        .repository_name("tagged")
        .tags(tag("env", "dev"))
        .tags(tag("team", "infra"))
        .send()
        .await
        .unwrap();
    let listed = listed_tags(&client, &repo_arn).await;
    assert_eq!(listed, pairs(&[("env", "dev"), ("team", "infra")]));

    // Overwrite one, add one (empty value allowed).
    client
        .tag_resource()
        .resource_arn(&repo_arn)
        .tags(tag("env", "prod"))
        .tags(tag("empty", ""))
        .send()
        .await
        .unwrap();
    let listed = listed_tags(&client, &repo_arn).await;
    assert_eq!(
        listed,
        pairs(&[("empty", ""), ("env", "prod"), ("team", "infra")])
    );

    // Untag an existing key and one that is not there.
    client
        .untag_resource()
        .resource_arn(&repo_arn)
        .tag_keys("team")
        .tag_keys("absent")
        .send()
        .await
        .unwrap();
    let listed = listed_tags(&client, &repo_arn).await;
    assert_eq!(listed, pairs(&[("empty", ""), ("env", "prod")]));

    // Boundaries: a 128-character key and a 256-character value are fine.
    let (key, value) = ("k".repeat(128), "v".repeat(256));
    client
        .tag_resource()
        .resource_arn(&repo_arn)
        .tags(tag(&key, &value))
        .send()
        .await
        .unwrap();
    let listed = listed_tags(&client, &repo_arn).await;
    assert!(listed.contains(&(key, value)));
    berth.stop().await;
}

#[tokio::test]
async fn tag_parameters_are_checked() {
    let berth = Berth::start().await;
    let client = berth.client();
    let repo_arn = arn("us-east-1", DEFAULT_ACCOUNT, "checked");
    client
        .create_repository()
        .repository_name("checked")
        .tags(tag("keep", "me"))
        .send()
        .await
        .unwrap();
    let bad_tags = [
        tag(&"k".repeat(129), "v"),
        tag("key", &"v".repeat(257)),
        tag("aws:reserved", "v"),
        tag("", "v"),
    ];
    for bad in bad_tags {
        // TagResource: nothing applied, not even the valid tag beside the bad one.
        let result = client
            .tag_resource()
            .resource_arn(&repo_arn)
            .tags(tag("fine", "yes"))
            .tags(bad.clone())
            .send()
            .await;
        assert!(
            modeled(&result).is_invalid_tag_parameter_exception(),
            "{bad:?}"
        );
        assert_eq!(error_code(result), "InvalidTagParameterException");
        let listed = listed_tags(&client, &repo_arn).await;
        assert_eq!(
            listed,
            pairs(&[("keep", "me")]),
            "a refused TagResource applies nothing"
        );

        // CreateRepository: all or nothing.
        let result = client
            .create_repository()
            .repository_name("never")
            .tags(tag("fine", "yes"))
            .tags(bad)
            .send()
            .await;
        assert_eq!(error_code(result), "InvalidTagParameterException");
        assert!(
            !exists(&client, "never").await,
            "a repository with an invalid tag is not created"
        );
    }
    berth.stop().await;
}

#[tokio::test]
async fn at_most_fifty_tags_per_repository() {
    let berth = Berth::start().await;
    let client = berth.client();
    let repo_arn = arn("us-east-1", DEFAULT_ACCOUNT, "fifty");

    let mut create51 = client.create_repository().repository_name("fifty");
    for i in 0..51 {
        create51 = create51.tags(tag(&format!("k{i:02}"), "v"));
    }
    let result = create51.send().await;
    assert!(modeled(&result).is_too_many_tags_exception());
    assert_eq!(error_code(result), "TooManyTagsException");
    assert!(!exists(&client, "fifty").await);

    let mut create50 = client.create_repository().repository_name("fifty");
    for i in 0..50 {
        create50 = create50.tags(tag(&format!("k{i:02}"), "v"));
    }
    create50.send().await.unwrap();
    assert_eq!(
        client
            .list_tags_for_resource()
            .resource_arn(&repo_arn)
            .send()
            .await
            .unwrap()
            .tags()
            .len(),
        50
    );

    // Overwriting an existing key keeps the count at 50: fine.
    client
        .tag_resource()
        .resource_arn(&repo_arn)
        .tags(tag("k00", "new"))
        .send()
        .await
        .unwrap();
    // A 51st key is not.
    assert_eq!(
        error_code(
            client
                .tag_resource()
                .resource_arn(&repo_arn)
                .tags(tag("k50", "v"))
                .send()
                .await,
        ),
        "TooManyTagsException"
    );
    let listed = listed_tags(&client, &repo_arn).await;
    assert_eq!(listed.len(), 50);
    assert!(listed.contains(&("k00".to_owned(), "new".to_owned())));
    assert!(!listed.iter().any(|(k, _)| k == "k50"));

    // Untag one, then the 51st key fits.
    client
        .untag_resource()
        .resource_arn(&repo_arn)
        .tag_keys("k01")
        .send()
        .await
        .unwrap();
    client
        .tag_resource()
        .resource_arn(&repo_arn)
        .tags(tag("k50", "v"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        client
            .list_tags_for_resource()
            .resource_arn(&repo_arn)
            .send()
            .await
            .unwrap()
            .tags()
            .len(),
        50
    );
    berth.stop().await;
}

#[tokio::test]
async fn tag_operations_resolve_the_resource_arn() {
    let berth = Berth::start().await;
    let client = berth.client_as(ACCOUNT_A, "us-east-1");
    create(&client, "owned").await;
    let invalid_arn = invalid_parameter("resourceArn", "Invalid ARN");
    for bad in [
        "owned",
        "arn:aws:s3:::bucket",
        "arn:aws:ecr:us-east-1:111111111111:cluster/owned",
        "",
        "arn:aws:ecr",
    ] {
        assert_eq!(
            service_error(
                client
                    .list_tags_for_resource()
                    .resource_arn(bad)
                    .send()
                    .await,
            ),
            invalid_arn
        );
        assert_eq!(
            service_error(
                client
                    .tag_resource()
                    .resource_arn(bad)
                    .tags(tag("a", "b"))
                    .send()
                    .await,
            ),
            invalid_arn
        );
        assert_eq!(
            service_error(
                client
                    .untag_resource()
                    .resource_arn(bad)
                    .tag_keys("a")
                    .send()
                    .await,
            ),
            invalid_arn
        );
    }

    // Unknown name in the caller's account and region.
    let ghost = arn("us-east-1", ACCOUNT_A, "ghost");
    assert_eq!(
        service_error(
            client
                .list_tags_for_resource()
                .resource_arn(&ghost)
                .send()
                .await,
        ),
        not_found("ghost", ACCOUNT_A)
    );
    assert_eq!(
        service_error(
            client
                .tag_resource()
                .resource_arn(&ghost)
                .tags(tag("a", "b"))
                .send()
                .await,
        ),
        not_found("ghost", ACCOUNT_A)
    );
    assert_eq!(
        service_error(
            client
                .untag_resource()
                .resource_arn(&ghost)
                .tag_keys("a")
                .send()
                .await,
        ),
        not_found("ghost", ACCOUNT_A)
    );

    // Another region: the repository exists only in us-east-1.
    let elsewhere = arn("eu-west-1", ACCOUNT_A, "owned");
    assert_eq!(
        service_error(
            client
                .list_tags_for_resource()
                .resource_arn(&elsewhere)
                .send()
                .await,
        ),
        not_found("owned", ACCOUNT_A)
    );
    assert_eq!(
        service_error(
            client
                .tag_resource()
                .resource_arn(&elsewhere)
                .tags(tag("a", "b"))
                .send()
                .await,
        ),
        not_found("owned", ACCOUNT_A)
    );

    // Another account: access denied, whether or not it has such a repository.
    create(&berth.client_as(ACCOUNT_B, "us-east-1"), "owned").await;
    let theirs = arn("us-east-1", ACCOUNT_B, "owned");
    assert_eq!(
        service_error(
            client
                .list_tags_for_resource()
                .resource_arn(&theirs)
                .send()
                .await,
        ),
        access_denied(ACCOUNT_A, "ListTagsForResource", &theirs)
    );
    assert_eq!(
        service_error(
            client
                .tag_resource()
                .resource_arn(&theirs)
                .tags(tag("a", "b"))
                .send()
                .await,
        ),
        access_denied(ACCOUNT_A, "TagResource", &theirs)
    );
    assert_eq!(
        service_error(
            client
                .untag_resource()
                .resource_arn(&theirs)
                .tag_keys("a")
                .send()
                .await,
        ),
        access_denied(ACCOUNT_A, "UntagResource", &theirs)
    );
    let listed = berth
        .client_as(ACCOUNT_B, "us-east-1")
        .list_tags_for_resource()
        .resource_arn(&theirs)
        .send()
        .await;
    assert!(
        listed.unwrap().tags().is_empty(),
        "B's repository was not tagged by A"
    );
    berth.stop().await;
}

// ---------------------------------------------------------------------------------------
// Accounts and regions
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn accounts_and_regions_are_separate_registries() {
    let berth = Berth::start().await;
    let callers = [
        (ACCOUNT_A, "us-east-1"),
        (ACCOUNT_B, "us-east-1"),
        (ACCOUNT_A, "eu-west-1"),
        (DEFAULT_ACCOUNT, "ap-southeast-2"),
    ];
    for (account, region) in callers {
        // The default account is reached with a key that is not 12 digits.
        let key = if account == DEFAULT_ACCOUNT {
            PLAIN_KEY
        } else {
            account
        };
        let client = berth.client_as(key, region);
        let repo = create(&client, "shared/app").await;
        assert_default_repository(&repo, region, account, "shared/app");
        let only = create(&client, &format!("only-{account}-{region}")).await;
        assert_eq!(only.registry_id(), Some(account));
    }
    for (account, region) in callers {
        let key = if account == DEFAULT_ACCOUNT {
            PLAIN_KEY
        } else {
            account
        };
        let client = berth.client_as(key, region);
        let listed = client.describe_repositories().send().await.unwrap();
        let names: Vec<_> = listed
            .repositories()
            .iter()
            .map(|r| r.repository_name().unwrap().to_owned())
            .collect();
        let mut expected = vec![format!("only-{account}-{region}"), "shared/app".to_owned()];
        expected.sort();
        assert_eq!(
            names, expected,
            "{account}/{region} sees only its own repositories"
        );
        for repo in listed.repositories() {
            assert_eq!(repo.registry_id(), Some(account));
            assert_eq!(
                repo.repository_arn(),
                Some(arn(region, account, repo.repository_name().unwrap()).as_str())
            );
            assert_eq!(
                repo.repository_uri(),
                Some(uri(region, account, repo.repository_name().unwrap()).as_str())
            );
        }
        // The caller's own registryId, given explicitly, works.
        let own = client
            .describe_repositories()
            .registry_id(account)
            .repository_names("shared/app")
            .send()
            .await
            .unwrap();
        assert_eq!(own.repositories()[0].registry_id(), Some(account));
    }

    // Tags and policies are per registry too.
    let a_east = berth.client_as(ACCOUNT_A, "us-east-1");
    let a_west = berth.client_as(ACCOUNT_A, "eu-west-1");
    a_east
        .tag_resource()
        .resource_arn(arn("us-east-1", ACCOUNT_A, "shared/app"))
        .tags(tag("where", "east"))
        .send()
        .await
        .unwrap();
    a_east
        .set_repository_policy()
        .repository_name("shared/app")
        .policy_text(POLICY)
        .send()
        .await
        .unwrap();
    let west_tags = a_west
        .list_tags_for_resource()
        .resource_arn(arn("eu-west-1", ACCOUNT_A, "shared/app"))
        .send()
        .await;
    assert!(west_tags.unwrap().tags().is_empty());
    assert_eq!(
        service_error(
            a_west
                .get_repository_policy()
                .repository_name("shared/app")
                .send()
                .await,
        ),
        policy_not_found("shared/app", ACCOUNT_A)
    );

    // Deleting in one registry leaves the others.
    a_east
        .delete_repository()
        .repository_name("shared/app")
        .send()
        .await
        .unwrap();
    assert_eq!(
        service_error(
            a_east
                .describe_repositories()
                .repository_names("shared/app")
                .send()
                .await,
        ),
        not_found("shared/app", ACCOUNT_A)
    );
    for (account, region) in &callers[1..] {
        let key = if *account == DEFAULT_ACCOUNT {
            PLAIN_KEY
        } else {
            account
        };
        let out = berth
            .client_as(key, region)
            .describe_repositories()
            .repository_names("shared/app")
            .send()
            .await;
        assert_eq!(
            out.unwrap().repositories().len(),
            1,
            "{account}/{region} still has shared/app"
        );
    }
    berth.stop().await;
}

#[tokio::test]
async fn another_accounts_registry_id_is_access_denied() {
    let berth = Berth::start().await;
    let a = berth.client_as(ACCOUNT_A, "us-west-2");
    let b = berth.client_as(ACCOUNT_B, "us-west-2");
    create(&b, "theirs").await;
    b.set_repository_policy()
        .repository_name("theirs")
        .policy_text(POLICY)
        .send()
        .await
        .unwrap();
    let resource = arn("us-west-2", ACCOUNT_B, "theirs");
    let denied = |action: &str| access_denied(ACCOUNT_A, action, &resource);

    assert_eq!(
        service_error(
            a.create_repository()
                .registry_id(ACCOUNT_B)
                .repository_name("theirs")
                .send()
                .await,
        ),
        denied("CreateRepository")
    );
    assert_eq!(
        error_code(
            a.describe_repositories()
                .registry_id(ACCOUNT_B)
                .repository_names("theirs")
                .send()
                .await,
        ),
        "AccessDeniedException"
    );
    assert_eq!(
        service_error(
            a.describe_repositories()
                .registry_id(ACCOUNT_B)
                .send()
                .await,
        ),
        access_denied(
            ACCOUNT_A,
            "DescribeRepositories",
            &arn("us-west-2", ACCOUNT_B, "*"),
        )
    );
    assert_eq!(
        service_error(
            a.delete_repository()
                .registry_id(ACCOUNT_B)
                .repository_name("theirs")
                .send()
                .await,
        ),
        denied("DeleteRepository")
    );
    assert_eq!(
        service_error(
            a.put_image_tag_mutability()
                .registry_id(ACCOUNT_B)
                .repository_name("theirs")
                .image_tag_mutability(ImageTagMutability::Immutable)
                .send()
                .await,
        ),
        denied("PutImageTagMutability")
    );
    assert_eq!(
        service_error(
            a.put_image_scanning_configuration()
                .registry_id(ACCOUNT_B)
                .repository_name("theirs")
                .image_scanning_configuration(
                    ImageScanningConfiguration::builder()
                        .scan_on_push(true)
                        .build(),
                )
                .send()
                .await,
        ),
        denied("PutImageScanningConfiguration")
    );
    assert_eq!(
        service_error(
            a.set_repository_policy()
                .registry_id(ACCOUNT_B)
                .repository_name("theirs")
                .policy_text(POLICY)
                .send()
                .await,
        ),
        denied("SetRepositoryPolicy")
    );
    assert_eq!(
        service_error(
            a.get_repository_policy()
                .registry_id(ACCOUNT_B)
                .repository_name("theirs")
                .send()
                .await,
        ),
        denied("GetRepositoryPolicy")
    );
    assert_eq!(
        service_error(
            a.delete_repository_policy()
                .registry_id(ACCOUNT_B)
                .repository_name("theirs")
                .send()
                .await,
        ),
        denied("DeleteRepositoryPolicy")
    );

    // A repository B does not have: still denied (A may not look into B's registry).
    assert_eq!(
        service_error(
            a.delete_repository()
                .registry_id(ACCOUNT_B)
                .repository_name("ghost")
                .send()
                .await,
        ),
        access_denied(
            ACCOUNT_A,
            "DeleteRepository",
            &arn("us-west-2", ACCOUNT_B, "ghost"),
        )
    );

    // Nothing of B's changed.
    let theirs = b
        .describe_repositories()
        .repository_names("theirs")
        .send()
        .await
        .unwrap();
    assert_default_repository(&theirs.repositories()[0], "us-west-2", ACCOUNT_B, "theirs");
    let policy = b
        .get_repository_policy()
        .repository_name("theirs")
        .send()
        .await
        .unwrap();
    assert_eq!(json(policy.policy_text().unwrap()), json(POLICY));
    assert!(
        a.describe_repositories()
            .send()
            .await
            .unwrap()
            .repositories()
            .is_empty()
    );
    berth.stop().await;
}

// ---------------------------------------------------------------------------------------
// GetAuthorizationToken
// ---------------------------------------------------------------------------------------

/// The user and password inside an `authorizationToken` (standard base64 of `user:password`).
fn login_of(token: &str) -> (String, String) {
    use base64::Engine;
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(token)
        .expect("the token is standard base64");
    let text = String::from_utf8(decoded).expect("the token is text");
    let (user, password) = text.split_once(':').expect("the token is user:password");
    (user.to_owned(), password.to_owned())
}

/// A time as the SDK decoded it, in milliseconds. The wire's epoch seconds are a float, so
/// the SDK may land one millisecond below the value sent (`….893` read as `….892999…`).
fn millis(time: &aws_sdk_ecr::primitives::DateTime) -> i64 {
    time.to_millis().expect("a representable time")
}

/// Whether the SDK's reading of a time (`decoded`) is `sent`, within the float's rounding.
fn same_millis(decoded: i64, sent: i64) -> bool {
    (sent - 1..=sent).contains(&decoded)
}

fn now_millis() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

const TWELVE_HOURS_MS: i64 = 12 * 60 * 60 * 1000;

/// What the server's own key says the login in `data` grants now; the user must be `AWS`.
fn accepted_login(
    berth: &Berth,
    data: &aws_sdk_ecr::types::AuthorizationData,
) -> ecr_impl::auth::LoginGrant {
    let (user, password) = login_of(data.authorization_token().unwrap());
    assert_eq!(user, "AWS");
    berth
        .running
        .ecr()
        .verify_login_password(&password, berth_runtime::Timestamp::now())
        .expect("the server's key accepts the password")
}

fn proxy_endpoint(account: &str, region: &str) -> String {
    format!("https://{account}.dkr.ecr.{region}.amazonaws.com")
}

#[tokio::test]
async fn an_authorization_token_is_a_login_this_server_accepts_for_twelve_hours() {
    let berth = Berth::start().await;
    for (key, region, account) in [
        (PLAIN_KEY, "us-east-1", DEFAULT_ACCOUNT),
        (ACCOUNT_A, "eu-west-3", ACCOUNT_A),
        (ACCOUNT_B, "ap-southeast-2", ACCOUNT_B),
    ] {
        // Whole milliseconds, as the wire carries them.
        let before = now_millis();
        let output = berth
            .client_as(key, region)
            .get_authorization_token()
            .send()
            .await
            .unwrap();
        let after = now_millis();
        let [data] = output.authorization_data() else {
            panic!("one entry without registryIds: {output:?}");
        };
        assert_eq!(
            data.proxy_endpoint(),
            Some(proxy_endpoint(account, region).as_str())
        );
        let expires_at = millis(data.expires_at().unwrap());
        assert!(
            (before + TWELVE_HOURS_MS - 1..=after + TWELVE_HOURS_MS).contains(&expires_at),
            "expiresAt {expires_at} is not 12 h after the call ({before}..={after})"
        );
        let grant = accepted_login(&berth, data);
        assert_eq!(grant.registry.account_id.as_str(), account);
        assert_eq!(grant.registry.region.as_str(), region);
        assert!(same_millis(expires_at, grant.expires_at.epoch_millis()));
        // Refused from its expiry on.
        let (_, password) = login_of(data.authorization_token().unwrap());
        let expired = berth
            .running
            .ecr()
            .verify_login_password(&password, grant.expires_at)
            .unwrap_err();
        assert!(
            matches!(expired, ecr_impl::auth::TokenError::Expired { .. }),
            "{expired:?}"
        );
    }
    berth.stop().await;
}

#[tokio::test]
async fn another_server_does_not_accept_the_password() {
    let issuer = Berth::start().await;
    let other = Berth::start().await;
    let output = issuer
        .client()
        .get_authorization_token()
        .send()
        .await
        .unwrap();
    let (_, password) = login_of(
        output.authorization_data()[0]
            .authorization_token()
            .unwrap(),
    );
    assert_eq!(
        other
            .running
            .ecr()
            .verify_login_password(&password, berth_runtime::Timestamp::now()),
        Err(ecr_impl::auth::TokenError::BadSignature)
    );
    issuer.stop().await;
    other.stop().await;
}

#[tokio::test]
// registryIds is deprecated in the model, and still answered by ECR.
#[allow(deprecated)]
async fn registry_ids_give_an_entry_per_id_in_order_with_the_callers_login() {
    let berth = Berth::start().await;
    let output = berth
        .client_as(ACCOUNT_A, "us-west-2")
        .get_authorization_token()
        .registry_ids(ACCOUNT_B)
        .registry_ids(ACCOUNT_A)
        .registry_ids(DEFAULT_ACCOUNT)
        .send()
        .await
        .expect("another account's id is no AccessDenied");
    let endpoints: Vec<_> = output
        .authorization_data()
        .iter()
        .map(|data| data.proxy_endpoint().unwrap())
        .collect();
    assert_eq!(
        endpoints,
        [ACCOUNT_B, ACCOUNT_A, DEFAULT_ACCOUNT].map(|account| proxy_endpoint(account, "us-west-2"))
    );
    for data in output.authorization_data() {
        let grant = accepted_login(&berth, data);
        // The password is the caller's, whichever registry the entry names.
        assert_eq!(grant.registry.account_id.as_str(), ACCOUNT_A);
        assert!(same_millis(
            millis(data.expires_at().unwrap()),
            grant.expires_at.epoch_millis()
        ));
    }
    // The model's limits on registryIds: 1 to 10 ids of 12 digits.
    let error = service_error(
        berth
            .client()
            .get_authorization_token()
            .registry_ids("12345")
            .send()
            .await,
    );
    assert_eq!(error.code, "InvalidParameterException", "{error:?}");
    berth.stop().await;
}
