use ecr_generated::types::{
    DeleteRepositoryRequest, DescribeRepositoriesRequest, GetRepositoryPolicyRequest,
    ListTagsForResourceRequest, SetRepositoryPolicyRequest, TagResourceRequest,
};
use ecr_impl::Ecr;

use crate::TestStore;
use crate::common::*;

fn delete_request(name: &str) -> DeleteRepositoryRequest {
    DeleteRepositoryRequest {
        repository_name: name.parse().unwrap(),
        registry_id: None,
        force: false,
    }
}

const POLICY: &str =
    r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"ecr:*"}]}"#;

pub async fn deleting_returns_the_repository_and_it_is_gone(store: TestStore) {
    let ecr = Ecr::with_store(store);
    let created = create(&ecr, "app").await;
    let deleted = ecr
        .delete_repository(&ctx(), delete_request("app"))
        .await
        .unwrap();
    assert_eq!(deleted.repository, Some(created));

    let request = DescribeRepositoriesRequest {
        repository_names: Some(vec!["app".parse().unwrap()]),
        ..Default::default()
    };
    let (kind, message) = failure(ecr.describe_repositories(&ctx(), request).await);
    assert_eq!(kind, "RepositoryNotFoundException");
    assert_eq!(message, not_found_message("app"));

    let (kind, message) = failure(ecr.delete_repository(&ctx(), delete_request("app")).await);
    assert_eq!(kind, "RepositoryNotFoundException");
    assert_eq!(message, not_found_message("app"));
}

pub async fn deleting_removes_policy_and_tags(store: TestStore) {
    let ecr = Ecr::with_store(store);
    create(&ecr, "app").await;
    let set = SetRepositoryPolicyRequest {
        repository_name: "app".parse().unwrap(),
        policy_text: POLICY.parse().unwrap(),
        registry_id: None,
        force: false,
    };
    ecr.set_repository_policy(&ctx(), set).await.unwrap();
    let tagging = TagResourceRequest {
        resource_arn: arn("app"),
        tags: vec![tag("team", "core")],
    };
    ecr.tag_resource(&ctx(), tagging).await.unwrap();

    // `force` changes nothing for an empty repository.
    let request = DeleteRepositoryRequest {
        force: true,
        ..delete_request("app")
    };
    ecr.delete_repository(&ctx(), request).await.unwrap();
    create(&ecr, "app").await;

    let listed = ecr
        .list_tags_for_resource(
            &ctx(),
            ListTagsForResourceRequest {
                resource_arn: arn("app"),
            },
        )
        .await;
    assert_eq!(listed.unwrap().tags, Some(Vec::new()));
    let get = GetRepositoryPolicyRequest {
        repository_name: "app".parse().unwrap(),
        registry_id: None,
    };
    let (kind, _) = failure(ecr.get_repository_policy(&ctx(), get).await);
    assert_eq!(kind, "RepositoryPolicyNotFoundException");
}

pub async fn another_accounts_registry_is_access_denied(store: TestStore) {
    let ecr = Ecr::with_store(store);
    create(&ecr, "app").await;
    let request = DeleteRepositoryRequest {
        registry_id: Some(OTHER_ACCOUNT.parse().unwrap()),
        ..delete_request("app")
    };
    let (kind, message) = failure(ecr.delete_repository(&ctx(), request).await);
    assert_eq!(kind, "AccessDeniedException");
    assert_eq!(
        message,
        access_denied_message(
            "DeleteRepository",
            "arn:aws:ecr:us-east-1:210987654321:repository/app"
        )
    );
    assert_eq!(
        ecr.all_repositories().await.unwrap().len(),
        1,
        "nothing was deleted"
    );
}
