use ecr_generated::types::{
    DescribeRepositoriesRequest, ImageScanningConfiguration, ImageTagMutability,
    ImageTagMutabilityExclusionFilter, ImageTagMutabilityExclusionFilterType,
    PutImageScanningConfigurationRequest, PutImageTagMutabilityRequest, Repository,
};
use ecr_impl::Ecr;

use crate::TestStore;
use crate::common::*;

fn mutability(name: &str, mode: ImageTagMutability) -> PutImageTagMutabilityRequest {
    PutImageTagMutabilityRequest {
        registry_id: None,
        repository_name: name.parse().unwrap(),
        image_tag_mutability: mode,
        image_tag_mutability_exclusion_filters: None,
    }
}

fn scanning(name: &str, scan_on_push: bool) -> PutImageScanningConfigurationRequest {
    PutImageScanningConfigurationRequest {
        repository_name: name.parse().unwrap(),
        image_scanning_configuration: ImageScanningConfiguration { scan_on_push },
        registry_id: None,
    }
}

fn filter(pattern: &str) -> ImageTagMutabilityExclusionFilter {
    ImageTagMutabilityExclusionFilter {
        filter_type: ImageTagMutabilityExclusionFilterType::Wildcard,
        filter: pattern.parse().unwrap(),
    }
}

async fn describe(ecr: &Ecr, name: &str) -> Repository {
    let request = DescribeRepositoriesRequest {
        repository_names: Some(vec![name.parse().unwrap()]),
        ..Default::default()
    };
    let mut repositories = ecr
        .describe_repositories(&ctx(), request)
        .await
        .unwrap()
        .repositories
        .unwrap();
    repositories.remove(0)
}

pub async fn tag_mutability_is_set_and_echoed(store: TestStore) {
    let ecr = Ecr::with_store(store);
    create(&ecr, "app").await;
    let response = ecr
        .put_image_tag_mutability(&ctx(), mutability("app", ImageTagMutability::Immutable))
        .await
        .unwrap();
    assert_eq!(response.registry_id.as_deref(), Some(ACCOUNT));
    assert_eq!(response.repository_name.as_deref(), Some("app"));
    assert_eq!(
        response.image_tag_mutability,
        Some(ImageTagMutability::Immutable)
    );
    assert_eq!(response.image_tag_mutability_exclusion_filters, None);
    assert_eq!(
        describe(&ecr, "app").await.image_tag_mutability,
        Some(ImageTagMutability::Immutable)
    );
}

pub async fn exclusion_filters_are_echoed_kept_and_cleared(store: TestStore) {
    let ecr = Ecr::with_store(store);
    create(&ecr, "app").await;
    let filters = vec![filter("latest"), filter("dev-*")];
    let request = PutImageTagMutabilityRequest {
        image_tag_mutability_exclusion_filters: Some(filters.clone()),
        ..mutability("app", ImageTagMutability::MutableWithExclusion)
    };
    let response = ecr.put_image_tag_mutability(&ctx(), request).await.unwrap();
    assert_eq!(
        response.image_tag_mutability,
        Some(ImageTagMutability::MutableWithExclusion)
    );
    assert_eq!(
        response.image_tag_mutability_exclusion_filters.as_ref(),
        Some(&filters)
    );
    let described = describe(&ecr, "app").await;
    assert_eq!(
        described.image_tag_mutability_exclusion_filters,
        Some(filters)
    );

    ecr.put_image_tag_mutability(&ctx(), mutability("app", ImageTagMutability::Mutable))
        .await
        .unwrap();
    let described = describe(&ecr, "app").await;
    assert_eq!(
        described.image_tag_mutability,
        Some(ImageTagMutability::Mutable)
    );
    assert_eq!(described.image_tag_mutability_exclusion_filters, None);
}

pub async fn exclusion_rules_are_enforced_and_refusals_change_nothing(store: TestStore) {
    let ecr = Ecr::with_store(store);
    create(&ecr, "app").await;
    let (kind, message) = failure(
        ecr.put_image_tag_mutability(
            &ctx(),
            mutability("app", ImageTagMutability::ImmutableWithExclusion),
        )
        .await,
    );
    assert_eq!(kind, "InvalidParameterException");
    assert_eq!(
        message,
        "Invalid parameter at 'imageTagMutabilityExclusionFilters' failed to satisfy constraint: \
         'ImageTagMutabilityExclusionFilters can't be null when imageTagMutability is set as IMMUTABLE_WITH_EXCLUSION'"
    );
    let request = PutImageTagMutabilityRequest {
        image_tag_mutability_exclusion_filters: Some(vec![filter("x")]),
        ..mutability("app", ImageTagMutability::Immutable)
    };
    let (kind, _) = failure(ecr.put_image_tag_mutability(&ctx(), request).await);
    assert_eq!(kind, "InvalidParameterException");
    assert_eq!(
        describe(&ecr, "app").await.image_tag_mutability,
        Some(ImageTagMutability::Mutable)
    );
}

pub async fn scan_on_push_is_set_and_echoed(store: TestStore) {
    let ecr = Ecr::with_store(store);
    create(&ecr, "app").await;
    for scan_on_push in [true, false] {
        let response = ecr
            .put_image_scanning_configuration(&ctx(), scanning("app", scan_on_push))
            .await
            .unwrap();
        assert_eq!(response.registry_id.as_deref(), Some(ACCOUNT));
        assert_eq!(response.repository_name.as_deref(), Some("app"));
        assert_eq!(
            response.image_scanning_configuration,
            Some(ImageScanningConfiguration { scan_on_push })
        );
        let described = describe(&ecr, "app").await;
        assert_eq!(
            described.image_scanning_configuration,
            Some(ImageScanningConfiguration { scan_on_push })
        );
    }
}

pub async fn unknown_repositories_and_foreign_registries(store: TestStore) {
    let ecr = Ecr::with_store(store);
    let (kind, message) = failure(
        ecr.put_image_tag_mutability(&ctx(), mutability("nope", ImageTagMutability::Immutable))
            .await,
    );
    assert_eq!(
        (kind, message),
        ("RepositoryNotFoundException", not_found_message("nope"))
    );
    let (kind, message) = failure(
        ecr.put_image_scanning_configuration(&ctx(), scanning("nope", true))
            .await,
    );
    assert_eq!(
        (kind, message),
        ("RepositoryNotFoundException", not_found_message("nope"))
    );

    create(&ecr, "app").await;
    let request = PutImageTagMutabilityRequest {
        registry_id: Some(OTHER_ACCOUNT.parse().unwrap()),
        ..mutability("app", ImageTagMutability::Immutable)
    };
    let (kind, message) = failure(ecr.put_image_tag_mutability(&ctx(), request).await);
    assert_eq!(kind, "AccessDeniedException");
    assert_eq!(
        message,
        access_denied_message(
            "PutImageTagMutability",
            "arn:aws:ecr:us-east-1:210987654321:repository/app"
        )
    );
    let request = PutImageScanningConfigurationRequest {
        registry_id: Some(OTHER_ACCOUNT.parse().unwrap()),
        ..scanning("app", true)
    };
    let (kind, message) = failure(ecr.put_image_scanning_configuration(&ctx(), request).await);
    assert_eq!(kind, "AccessDeniedException");
    assert_eq!(
        message,
        access_denied_message(
            "PutImageScanningConfiguration",
            "arn:aws:ecr:us-east-1:210987654321:repository/app"
        )
    );
    assert_eq!(
        describe(&ecr, "app").await.image_scanning_configuration,
        Some(ImageScanningConfiguration {
            scan_on_push: false
        })
    );
}
