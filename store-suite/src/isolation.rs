use ecr_generated::types::{
    DeleteRepositoryRequest, DescribeRepositoriesRequest, ImageTagMutability,
    ListTagsForResourceRequest, PutImageTagMutabilityRequest, TagResourceRequest,
};
use ecr_impl::Ecr;

use crate::TestStore;
use crate::common::*;

/// The four registries of two accounts in two regions.
fn registries() -> [berth_runtime::RequestContext; 4] {
    [
        context(ACCOUNT, REGION),
        context(ACCOUNT, OTHER_REGION),
        context(OTHER_ACCOUNT, REGION),
        context(OTHER_ACCOUNT, OTHER_REGION),
    ]
}

async fn listed(ecr: &Ecr, ctx: &berth_runtime::RequestContext) -> Vec<String> {
    let response = ecr
        .describe_repositories(ctx, DescribeRepositoriesRequest::default())
        .await
        .unwrap();
    response
        .repositories
        .unwrap()
        .into_iter()
        .filter_map(|r| r.repository_name.map(String::from))
        .collect()
}

pub async fn accounts_and_regions_are_separate_registries(store: TestStore) {
    let ecr = Ecr::with_store(store);
    for (index, ctx) in registries().iter().enumerate() {
        let repository = create_in(&ecr, ctx, "shared").await;
        create_in(&ecr, ctx, &format!("only-{index}")).await;
        assert_eq!(
            repository.repository_arn,
            Some(format!(
                "arn:aws:ecr:{}:{}:repository/shared",
                ctx.region, ctx.account_id
            ))
        );
        assert_eq!(
            repository.repository_uri,
            Some(format!(
                "{}.dkr.ecr.{}.amazonaws.com/shared",
                ctx.account_id, ctx.region
            ))
        );
        assert_eq!(
            repository.registry_id.as_deref(),
            Some(ctx.account_id.as_str())
        );
    }
    for (index, ctx) in registries().iter().enumerate() {
        assert_eq!(
            listed(&ecr, ctx).await,
            vec![format!("only-{index}"), "shared".to_owned()]
        );
    }

    // Changing one registry's "shared" leaves the others alone.
    let [first, second, third, fourth] = registries();
    let request = PutImageTagMutabilityRequest {
        registry_id: None,
        repository_name: "shared".parse().unwrap(),
        image_tag_mutability: ImageTagMutability::Immutable,
        image_tag_mutability_exclusion_filters: None,
    };
    ecr.put_image_tag_mutability(&first, request).await.unwrap();
    let tag_arn = format!(
        "arn:aws:ecr:{}:{}:repository/shared",
        second.region, second.account_id
    );
    ecr.tag_resource(
        &second,
        TagResourceRequest {
            resource_arn: tag_arn.clone(),
            tags: vec![tag("k", "v")],
        },
    )
    .await
    .unwrap();
    ecr.delete_repository(
        &third,
        DeleteRepositoryRequest {
            repository_name: "shared".parse().unwrap(),
            registry_id: None,
            force: false,
        },
    )
    .await
    .unwrap();

    let describe = DescribeRepositoriesRequest {
        repository_names: Some(vec!["shared".parse().unwrap()]),
        ..Default::default()
    };
    let mutability = |ctx| {
        let ecr = ecr.clone();
        let request = describe.clone();
        async move {
            let repositories = ecr
                .describe_repositories(&ctx, request)
                .await
                .unwrap()
                .repositories
                .unwrap();
            repositories[0].image_tag_mutability
        }
    };
    assert_eq!(
        mutability(first.clone()).await,
        Some(ImageTagMutability::Immutable)
    );
    assert_eq!(
        mutability(second.clone()).await,
        Some(ImageTagMutability::Mutable)
    );
    assert_eq!(
        mutability(fourth.clone()).await,
        Some(ImageTagMutability::Mutable)
    );
    assert_eq!(listed(&ecr, &third).await, ["only-2"]);
    let fourth_arn = format!(
        "arn:aws:ecr:{}:{}:repository/shared",
        fourth.region, fourth.account_id
    );
    let fourth_tags = ecr
        .list_tags_for_resource(
            &fourth,
            ListTagsForResourceRequest {
                resource_arn: fourth_arn,
            },
        )
        .await;
    assert_eq!(fourth_tags.unwrap().tags, Some(Vec::new()));
    let second_tags = ecr
        .list_tags_for_resource(
            &second,
            ListTagsForResourceRequest {
                resource_arn: tag_arn,
            },
        )
        .await;
    assert_eq!(second_tags.unwrap().tags, Some(vec![tag("k", "v")]));
}

pub async fn the_admin_view_lists_every_registry_in_order_and_reset_clears_it(store: TestStore) {
    let ecr = Ecr::with_store(store);
    for ctx in registries().iter().rev() {
        create_in(&ecr, ctx, "bb").await;
        create_in(&ecr, ctx, "aa").await;
    }
    let all: Vec<(String, String, String)> = ecr
        .all_repositories()
        .await
        .unwrap()
        .into_iter()
        .map(|r| {
            let region = r
                .repository_arn
                .unwrap_or_default()
                .split(':')
                .nth(3)
                .unwrap_or_default()
                .to_owned();
            (
                r.registry_id.map(String::from).unwrap_or_default(),
                region,
                r.repository_name.map(String::from).unwrap_or_default(),
            )
        })
        .collect();
    let mut expected = Vec::new();
    // By account, then region (eu-west-1 before us-east-1), then name.
    for account in [ACCOUNT, OTHER_ACCOUNT] {
        for region in [OTHER_REGION, REGION] {
            for name in ["aa", "bb"] {
                expected.push((account.to_owned(), region.to_owned(), name.to_owned()));
            }
        }
    }
    assert_eq!(all, expected);

    ecr.reset().await.unwrap();
    assert!(ecr.all_repositories().await.unwrap().is_empty());
    for ctx in registries() {
        assert!(listed(&ecr, &ctx).await.is_empty());
    }
    // A reset registry accepts the same names again.
    create(&ecr, "aa").await;
}
