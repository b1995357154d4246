//! Repository creation templates through the AWS SDK for Rust: defaults and echo, the
//! SDK's typed errors with ECR's texts, updates that change only what they name, the
//! paginator, registries kept apart, and CreateRepository ignoring templates. Expected values
//! come from `shared/docs/ecr-behaviour-registry.md` §6.

mod support;

use aws_sdk_ecr::Client;
use aws_sdk_ecr::error::SdkError;
use aws_sdk_ecr::operation::create_repository_creation_template::CreateRepositoryCreationTemplateError;
use aws_sdk_ecr::operation::delete_repository_creation_template::DeleteRepositoryCreationTemplateError;
use aws_sdk_ecr::operation::update_repository_creation_template::UpdateRepositoryCreationTemplateError;
use aws_sdk_ecr::types::{
    EncryptionConfigurationForRepositoryCreationTemplate, EncryptionType, ImageTagMutability,
    ImageTagMutabilityExclusionFilter, ImageTagMutabilityExclusionFilterType, RctAppliedFor, Tag,
};
use support::sdk::*;

const POLICY: &str = r#"{"Version":"2012-10-17","Statement":[{"Sid":"pull","Effect":"Allow","Principal":"*","Action":["ecr:BatchGetImage"]}]}"#;

fn exists(prefix: &str, registry: &str) -> String {
    format!(
        "The repository creation template with prefix '{prefix}' already exists in the registry with id '{registry}'"
    )
}

fn missing(prefix: &str, registry: &str) -> String {
    format!(
        "The repository creation template with prefix '{prefix}' does not exist in the registry with id '{registry}'"
    )
}

fn tag(key: &str, value: &str) -> Tag {
    Tag::builder().key(key).value(value).build().unwrap()
}

async fn create(client: &Client, prefix: &str, applied_for: RctAppliedFor) {
    client
        .create_repository_creation_template()
        .prefix(prefix)
        .applied_for(applied_for)
        .send()
        .await
        .unwrap();
}

async fn prefixes(client: &Client) -> Vec<String> {
    client
        .describe_repository_creation_templates()
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .unwrap()
        .iter()
        .map(|template| template.prefix().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn a_template_has_the_defaults_and_only_the_members_given() {
    let berth = Berth::start().await;
    let client = berth.client();
    let answer = client
        .create_repository_creation_template()
        .prefix("prod")
        .applied_for(RctAppliedFor::CreateOnPush)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.registry_id(), Some(DEFAULT_ACCOUNT));
    let template = answer.repository_creation_template().unwrap();
    assert_eq!(template.prefix(), Some("prod"));
    assert_eq!(template.applied_for(), [RctAppliedFor::CreateOnPush]);
    let encryption = template.encryption_configuration().unwrap();
    assert_eq!(encryption.encryption_type(), &EncryptionType::Aes256);
    assert_eq!(encryption.kms_key(), None);
    assert_eq!(
        template.image_tag_mutability(),
        Some(&ImageTagMutability::Mutable)
    );
    assert_eq!(template.resource_tags(), []);
    assert_eq!(template.description(), None);
    assert_eq!(template.repository_policy(), None);
    assert_eq!(template.lifecycle_policy(), None);
    assert_eq!(template.custom_role_arn(), None);
    assert!(template.image_tag_mutability_exclusion_filters().is_empty());
    assert!(template.created_at().is_some());
    assert_eq!(template.created_at(), template.updated_at());

    let described = client
        .describe_repository_creation_templates()
        .prefixes("prod/")
        .send()
        .await
        .unwrap();
    assert_eq!(
        described.repository_creation_templates(),
        std::slice::from_ref(template)
    );
    berth.stop().await;
}

#[tokio::test]
async fn duplicates_and_unknown_prefixes_are_typed_errors_with_ecrs_texts() {
    let berth = Berth::start().await;
    let client = berth.client_as(ACCOUNT_A, "eu-central-1");
    create(&client, "team", RctAppliedFor::Replication).await;

    let again = client
        .create_repository_creation_template()
        .prefix("team/")
        .applied_for(RctAppliedFor::PullThroughCache)
        .send()
        .await;
    assert!(matches!(
        modeled(&again),
        CreateRepositoryCreationTemplateError::TemplateAlreadyExistsException(_)
    ));
    assert_eq!(
        service_error(again),
        ServiceError::new("TemplateAlreadyExistsException", exists("team/", ACCOUNT_A))
    );

    let update = client
        .update_repository_creation_template()
        .prefix("other")
        .description("x")
        .send()
        .await;
    assert!(matches!(
        modeled(&update),
        UpdateRepositoryCreationTemplateError::TemplateNotFoundException(_)
    ));
    assert_eq!(
        service_error(update),
        ServiceError::new("TemplateNotFoundException", missing("other", ACCOUNT_A))
    );
    let delete = client
        .delete_repository_creation_template()
        .prefix("other")
        .send()
        .await;
    assert!(matches!(
        modeled(&delete),
        DeleteRepositoryCreationTemplateError::TemplateNotFoundException(_)
    ));
    berth.stop().await;
}

#[tokio::test]
async fn an_update_changes_only_what_it_names_and_moves_updated_at() {
    let berth = Berth::start().await;
    let client = berth.client();
    let filter = ImageTagMutabilityExclusionFilter::builder()
        .filter("dev-*")
        .filter_type(ImageTagMutabilityExclusionFilterType::Wildcard)
        .build()
        .unwrap();
    let created = client
        .create_repository_creation_template()
        .prefix("svc")
        .description("first")
        .applied_for(RctAppliedFor::Replication)
        .resource_tags(tag("team", "svc"))
        .image_tag_mutability(ImageTagMutability::ImmutableWithExclusion)
        .image_tag_mutability_exclusion_filters(filter.clone())
        .repository_policy(POLICY)
        .send()
        .await
        .unwrap()
        .repository_creation_template
        .unwrap();
    berth.running.ecr().clock().set_offset_seconds(600);
    let updated = client
        .update_repository_creation_template()
        .prefix("svc")
        .applied_for(RctAppliedFor::CreateOnPush)
        .applied_for(RctAppliedFor::Replication)
        .encryption_configuration(
            EncryptionConfigurationForRepositoryCreationTemplate::builder()
                .encryption_type(EncryptionType::Kms)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap()
        .repository_creation_template
        .unwrap();
    assert_eq!(
        updated.applied_for(),
        [RctAppliedFor::CreateOnPush, RctAppliedFor::Replication]
    );
    assert_eq!(
        updated
            .encryption_configuration()
            .unwrap()
            .encryption_type(),
        &EncryptionType::Kms
    );
    // Everything else as it was.
    assert_eq!(updated.description(), Some("first"));
    assert_eq!(updated.resource_tags(), [tag("team", "svc")]);
    assert_eq!(
        updated.image_tag_mutability(),
        Some(&ImageTagMutability::ImmutableWithExclusion)
    );
    assert_eq!(updated.image_tag_mutability_exclusion_filters(), [filter]);
    assert_eq!(updated.repository_policy(), Some(POLICY));
    assert_eq!(updated.created_at(), created.created_at());
    let moved = updated.updated_at().unwrap().secs() - created.updated_at().unwrap().secs();
    assert!((600..=601).contains(&moved), "{moved}");
    berth.running.ecr().clock().set_offset_seconds(0);
    berth.stop().await;
}

#[tokio::test]
async fn embedded_settings_are_checked_as_their_own_operations_check_them() {
    let berth = Berth::start().await;
    let client = berth.client();
    let bad_policy = client
        .create_repository_creation_template()
        .prefix("checked")
        .applied_for(RctAppliedFor::CreateOnPush)
        .repository_policy(r#"{"Statement":"everything"}"#)
        .send()
        .await;
    assert_eq!(
        service_error(bad_policy),
        ServiceError::new(
            "InvalidParameterException",
            "Invalid parameter at 'PolicyText' failed to satisfy constraint: 'Invalid repository policy provided'"
        )
    );
    let no_filters = client
        .create_repository_creation_template()
        .prefix("checked")
        .applied_for(RctAppliedFor::CreateOnPush)
        .image_tag_mutability(ImageTagMutability::MutableWithExclusion)
        .send()
        .await;
    assert_eq!(
        service_error(no_filters),
        ServiceError::new(
            "InvalidParameterException",
            "Invalid parameter at 'imageTagMutabilityExclusionFilters' failed to satisfy constraint: \
             'ImageTagMutabilityExclusionFilters can't be null when imageTagMutability is set as MUTABLE_WITH_EXCLUSION'"
        )
    );
    let reserved_tag = client
        .create_repository_creation_template()
        .prefix("checked")
        .applied_for(RctAppliedFor::CreateOnPush)
        .resource_tags(tag("ok", "1"))
        .resource_tags(tag("aws:owner", "me"))
        .send()
        .await;
    let error = service_error(reserved_tag);
    assert_eq!(error.code, "InvalidParameterException");
    assert!(
        error
            .message
            .starts_with("Invalid parameter at 'resourceTags.2.member.Key'"),
        "{error:?}"
    );
    assert_eq!(prefixes(&client).await, Vec::<String>::new());
    berth.stop().await;
}

#[tokio::test]
async fn the_paginator_walks_every_template_in_prefix_order_per_registry() {
    let berth = Berth::start().await;
    let client = berth.client();
    let names: Vec<String> = (0..23).map(|i| format!("ns{i:02}/team")).collect();
    for name in names.iter().rev() {
        create(&client, name, RctAppliedFor::Replication).await;
    }
    create(&client, "ROOT", RctAppliedFor::PullThroughCache).await;
    let pages = client
        .describe_repository_creation_templates()
        .max_results(5)
        .into_paginator()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .unwrap();
    assert_eq!(pages.len(), 5);
    assert!(pages.last().unwrap().next_token().is_none());
    let seen: Vec<&str> = pages
        .iter()
        .flat_map(|page| page.repository_creation_templates())
        .map(|template| template.prefix().unwrap())
        .collect();
    let mut expected: Vec<&str> = names.iter().map(String::as_str).collect();
    expected.insert(0, "ROOT");
    assert_eq!(seen, expected);

    // Another region and another account see none of them.
    assert!(
        prefixes(&berth.client_as(DEFAULT_ACCOUNT, "ap-south-1"))
            .await
            .is_empty()
    );
    assert!(
        prefixes(&berth.client_as(ACCOUNT_B, "us-east-1"))
            .await
            .is_empty()
    );
    berth.stop().await;
}

#[tokio::test]
async fn create_repository_ignores_templates() {
    let berth = Berth::start().await;
    let client = berth.client();
    client
        .create_repository_creation_template()
        .prefix("ROOT")
        .applied_for(RctAppliedFor::CreateOnPush)
        .applied_for(RctAppliedFor::Replication)
        .applied_for(RctAppliedFor::PullThroughCache)
        .image_tag_mutability(ImageTagMutability::Immutable)
        .resource_tags(tag("from", "template"))
        .send()
        .await
        .unwrap();
    let repository = client
        .create_repository()
        .repository_name("by/hand")
        .send()
        .await
        .unwrap()
        .repository
        .unwrap();
    assert_eq!(
        repository.image_tag_mutability(),
        Some(&ImageTagMutability::Mutable)
    );
    let tags = client
        .list_tags_for_resource()
        .resource_arn(repository.repository_arn().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(tags.tags(), []);
    let policy = client
        .get_repository_policy()
        .repository_name("by/hand")
        .send()
        .await;
    assert!(matches!(policy, Err(SdkError::ServiceError(_))));
    assert_eq!(error_code(policy), "RepositoryPolicyNotFoundException");
    berth.stop().await;
}
