use berth_runtime::Timestamp;
use ecr_generated::types::{
    CreateRepositoryRequest, DescribeRepositoriesRequest, EncryptionConfiguration, EncryptionType,
    ImageScanningConfiguration, ImageTagMutability, ImageTagMutabilityExclusionFilter,
    ImageTagMutabilityExclusionFilterType, ListTagsForResourceRequest,
};
use ecr_impl::Ecr;

use crate::TestStore;
use crate::common::*;

fn filter(pattern: &str) -> ImageTagMutabilityExclusionFilter {
    ImageTagMutabilityExclusionFilter {
        filter_type: ImageTagMutabilityExclusionFilterType::Wildcard,
        filter: pattern.parse().unwrap(),
    }
}

async fn exists(ecr: &Ecr, name: &str) -> bool {
    let request = DescribeRepositoriesRequest {
        repository_names: Some(vec![name.parse().unwrap()]),
        ..Default::default()
    };
    ecr.describe_repositories(&ctx(), request).await.is_ok()
}

pub async fn a_new_repository_has_aws_defaults_and_formats(store: TestStore) {
    let ecr = Ecr::with_store(store);
    let before = Timestamp::now();
    let repository = create(&ecr, "team/app").await;
    let after = Timestamp::now();

    assert_eq!(repository.repository_name.as_deref(), Some("team/app"));
    assert_eq!(repository.registry_id.as_deref(), Some(ACCOUNT));
    assert_eq!(
        repository.repository_arn.as_deref(),
        Some("arn:aws:ecr:us-east-1:123456789012:repository/team/app")
    );
    assert_eq!(
        repository.repository_uri.as_deref(),
        Some("123456789012.dkr.ecr.us-east-1.amazonaws.com/team/app")
    );
    let created_at = repository.created_at.expect("createdAt is set");
    assert!(before <= created_at && created_at <= after);
    assert_eq!(
        repository.image_tag_mutability,
        Some(ImageTagMutability::Mutable)
    );
    assert_eq!(repository.image_tag_mutability_exclusion_filters, None);
    assert_eq!(
        repository.image_scanning_configuration,
        Some(ImageScanningConfiguration {
            scan_on_push: false
        })
    );
    assert_eq!(
        repository.encryption_configuration,
        Some(EncryptionConfiguration {
            encryption_type: EncryptionType::Aes256,
            kms_key: None
        })
    );
}

pub async fn requested_settings_are_kept(store: TestStore) {
    let ecr = Ecr::with_store(store);
    let request = CreateRepositoryRequest {
        image_tag_mutability: Some(ImageTagMutability::Immutable),
        image_scanning_configuration: Some(ImageScanningConfiguration { scan_on_push: true }),
        encryption_configuration: Some(EncryptionConfiguration {
            encryption_type: EncryptionType::Kms,
            kms_key: Some(
                "arn:aws:kms:us-east-1:123456789012:key/my-key"
                    .parse()
                    .unwrap(),
            ),
        }),
        registry_id: Some(ACCOUNT.parse().unwrap()),
        ..create_request("app")
    };
    let repository = ecr
        .create_repository(&ctx(), request)
        .await
        .unwrap()
        .repository
        .unwrap();
    assert_eq!(
        repository.image_tag_mutability,
        Some(ImageTagMutability::Immutable)
    );
    assert_eq!(
        repository.image_scanning_configuration,
        Some(ImageScanningConfiguration { scan_on_push: true })
    );
    assert_eq!(
        repository.encryption_configuration,
        Some(EncryptionConfiguration {
            encryption_type: EncryptionType::Kms,
            kms_key: Some(
                "arn:aws:kms:us-east-1:123456789012:key/my-key"
                    .parse()
                    .unwrap()
            ),
        })
    );
}

pub async fn kms_without_a_key_uses_a_stable_aws_managed_key(store: TestStore) {
    let ecr = Ecr::with_store(store);
    for (name, encryption_type) in [
        ("kms", EncryptionType::Kms),
        ("dsse", EncryptionType::KmsDsse),
    ] {
        let request = CreateRepositoryRequest {
            encryption_configuration: Some(EncryptionConfiguration {
                encryption_type,
                kms_key: None,
            }),
            ..create_request(name)
        };
        let created = ecr
            .create_repository(&ctx(), request)
            .await
            .unwrap()
            .repository
            .unwrap();
        let encryption = created.encryption_configuration.expect("encryption is set");
        assert_eq!(encryption.encryption_type, encryption_type);
        let key = encryption.kms_key.expect("the managed key is named");
        let key_id = key
            .strip_prefix("arn:aws:kms:us-east-1:123456789012:key/")
            .expect("a KMS key ARN");
        assert!(uuid::Uuid::parse_str(key_id).is_ok(), "{key}");

        let request = DescribeRepositoriesRequest {
            repository_names: Some(vec![name.parse().unwrap()]),
            ..Default::default()
        };
        let described = ecr
            .describe_repositories(&ctx(), request)
            .await
            .unwrap()
            .repositories
            .unwrap();
        assert_eq!(
            described[0]
                .encryption_configuration
                .as_ref()
                .and_then(|e| e.kms_key.as_deref()),
            Some(key.as_str())
        );
    }
}

pub async fn aes256_with_a_kms_key_is_refused(store: TestStore) {
    let ecr = Ecr::with_store(store);
    let request = CreateRepositoryRequest {
        encryption_configuration: Some(EncryptionConfiguration {
            encryption_type: EncryptionType::Aes256,
            kms_key: Some("alias/mine".parse().unwrap()),
        }),
        ..create_request("app")
    };
    let (kind, message) = failure(ecr.create_repository(&ctx(), request).await);
    assert_eq!(kind, "InvalidParameterException");
    assert_eq!(
        message,
        "Invalid parameter at 'encryptionConfiguration.kmsKey' failed to satisfy constraint: \
         'kmsKey can only be specified when encryptionType is KMS or KMS_DSSE'"
    );
    assert!(!exists(&ecr, "app").await);
}

pub async fn exclusion_modes_need_filters_and_other_modes_take_none(store: TestStore) {
    let ecr = Ecr::with_store(store);
    for mode in [
        ImageTagMutability::ImmutableWithExclusion,
        ImageTagMutability::MutableWithExclusion,
    ] {
        let request = CreateRepositoryRequest {
            image_tag_mutability: Some(mode),
            ..create_request("app")
        };
        let (kind, message) = failure(ecr.create_repository(&ctx(), request).await);
        assert_eq!(kind, "InvalidParameterException");
        assert_eq!(
            message,
            format!(
                "Invalid parameter at 'imageTagMutabilityExclusionFilters' failed to satisfy constraint: \
                 'ImageTagMutabilityExclusionFilters can't be null when imageTagMutability is set as {mode}'"
            )
        );
    }
    for mode in [
        Some(ImageTagMutability::Immutable),
        Some(ImageTagMutability::Mutable),
        None,
    ] {
        let request = CreateRepositoryRequest {
            image_tag_mutability: mode,
            image_tag_mutability_exclusion_filters: Some(vec![filter("latest")]),
            ..create_request("app")
        };
        let (kind, message) = failure(ecr.create_repository(&ctx(), request).await);
        assert_eq!(kind, "InvalidParameterException");
        assert!(
            message.starts_with("Invalid parameter at 'imageTagMutabilityExclusionFilters'"),
            "{message}"
        );
    }
    assert!(!exists(&ecr, "app").await);

    let filters = vec![filter("release-*"), filter("v1.*")];
    let request = CreateRepositoryRequest {
        image_tag_mutability: Some(ImageTagMutability::ImmutableWithExclusion),
        image_tag_mutability_exclusion_filters: Some(filters.clone()),
        ..create_request("app")
    };
    let repository = ecr
        .create_repository(&ctx(), request)
        .await
        .unwrap()
        .repository
        .unwrap();
    assert_eq!(
        repository.image_tag_mutability,
        Some(ImageTagMutability::ImmutableWithExclusion)
    );
    assert_eq!(
        repository.image_tag_mutability_exclusion_filters,
        Some(filters)
    );
}

pub async fn a_taken_name_is_refused_with_the_registry_id(store: TestStore) {
    let ecr = Ecr::with_store(store);
    create(&ecr, "app").await;
    let (kind, message) = failure(ecr.create_repository(&ctx(), create_request("app")).await);
    assert_eq!(kind, "RepositoryAlreadyExistsException");
    assert_eq!(
        message,
        "The repository with name 'app' already exists in the registry with id '123456789012'"
    );
}

pub async fn tags_given_on_create_are_applied(store: TestStore) {
    let ecr = Ecr::with_store(store);
    let request = CreateRepositoryRequest {
        tags: Some(vec![
            tag("team", "core"),
            tag("env", ""),
            tag("team", "platform"),
        ]),
        ..create_request("app")
    };
    ecr.create_repository(&ctx(), request).await.unwrap();
    let listed = ecr
        .list_tags_for_resource(
            &ctx(),
            ListTagsForResourceRequest {
                resource_arn: arn("app"),
            },
        )
        .await;
    assert_eq!(
        listed.unwrap().tags,
        Some(vec![tag("team", "platform"), tag("env", "")])
    );
}

pub async fn tags_on_create_are_all_or_nothing(store: TestStore) {
    let ecr = Ecr::with_store(store);
    let bad_tag_sets = [
        (
            vec![tag("good", "1"), tag("aws:reserved", "2")],
            "InvalidTagParameterException",
        ),
        (
            vec![tag("good", "1"), tag(&"k".repeat(129), "2")],
            "InvalidTagParameterException",
        ),
        (
            vec![tag("good", "1"), tag("long", &"v".repeat(257))],
            "InvalidTagParameterException",
        ),
        (
            (0..51).map(|i| tag(&format!("key{i}"), "v")).collect(),
            "TooManyTagsException",
        ),
    ];
    for (tags, expected) in bad_tag_sets {
        let request = CreateRepositoryRequest {
            tags: Some(tags),
            ..create_request("app")
        };
        let (kind, _) = failure(ecr.create_repository(&ctx(), request).await);
        assert_eq!(kind, expected);
        assert!(
            !exists(&ecr, "app").await,
            "nothing is created when a tag is refused"
        );
    }

    let fifty = (0..50).map(|i| tag(&format!("key{i}"), "v")).collect();
    let request = CreateRepositoryRequest {
        tags: Some(fifty),
        ..create_request("app")
    };
    ecr.create_repository(&ctx(), request).await.unwrap();
    let listed = ecr
        .list_tags_for_resource(
            &ctx(),
            ListTagsForResourceRequest {
                resource_arn: arn("app"),
            },
        )
        .await;
    assert_eq!(listed.unwrap().tags.map(|tags| tags.len()), Some(50));
}

pub async fn another_accounts_registry_is_access_denied(store: TestStore) {
    let ecr = Ecr::with_store(store);
    let request = CreateRepositoryRequest {
        registry_id: Some(OTHER_ACCOUNT.parse().unwrap()),
        ..create_request("app")
    };
    let (kind, message) = failure(ecr.create_repository(&ctx(), request).await);
    assert_eq!(kind, "AccessDeniedException");
    assert_eq!(
        message,
        access_denied_message(
            "CreateRepository",
            "arn:aws:ecr:us-east-1:210987654321:repository/app"
        )
    );
    assert!(!exists(&ecr, "app").await);
    assert!(ecr.all_repositories().await.unwrap().is_empty());
}
