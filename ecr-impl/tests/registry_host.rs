//! `Ecr::with_registry_host`: every `repositoryUri` and `proxyEndpoint` names the host
//! Berth's registry is reached at, through the service as the server calls it.

use berth_runtime::RequestContext;
use ecr_generated::types::{
    CreateRepositoryRequest, DeleteRepositoryRequest, DescribeRepositoriesRequest,
    GetAuthorizationTokenRequest, Repository,
};
use ecr_impl::{Ecr, RegistryHost};

fn ctx(account: &str, region: &str) -> RequestContext {
    RequestContext {
        account_id: account.into(),
        region: region.into(),
        request_id: "r".into(),
        operation: "",
        endpoint: String::new(),
    }
}

fn uris(repositories: Option<Vec<Repository>>) -> Vec<String> {
    repositories
        .unwrap()
        .into_iter()
        .map(|repository| repository.repository_uri.unwrap())
        .collect()
}

async fn create(ecr: &Ecr, ctx: &RequestContext, name: &str) -> String {
    let request = CreateRepositoryRequest {
        registry_id: None,
        repository_name: name.parse().unwrap(),
        tags: None,
        image_tag_mutability: None,
        image_tag_mutability_exclusion_filters: None,
        image_scanning_configuration: None,
        encryption_configuration: None,
    };
    let created = ecr.create_repository(ctx, request).await.unwrap();
    created.repository.unwrap().repository_uri.unwrap()
}

async fn proxy_endpoint(ecr: &Ecr, ctx: &RequestContext) -> String {
    let response = ecr
        .get_authorization_token(ctx, GetAuthorizationTokenRequest::default())
        .await
        .unwrap();
    let [data] = response.authorization_data.unwrap().try_into().unwrap();
    data.proxy_endpoint.unwrap()
}

#[tokio::test]
async fn by_default_uris_and_endpoints_are_aws() {
    let ecr = Ecr::in_memory();
    assert!(ecr.registry_host().is_aws());
    let caller = ctx("123456789012", "us-east-1");
    assert_eq!(
        create(&ecr, &caller, "team/web").await,
        "123456789012.dkr.ecr.us-east-1.amazonaws.com/team/web"
    );
    assert_eq!(
        proxy_endpoint(&ecr, &caller).await,
        "https://123456789012.dkr.ecr.us-east-1.amazonaws.com"
    );
}

#[tokio::test]
async fn every_operation_answering_a_repository_names_the_host_set() {
    let before = Ecr::in_memory();
    let caller = ctx("123456789012", "us-east-1");
    create(&before, &caller, "made-before").await;
    let ecr = before.with_registry_host("localhost:4566".parse().unwrap());
    assert_eq!(ecr.registry_host().to_string(), "localhost:4566");

    assert_eq!(
        create(&ecr, &caller, "team/web").await,
        "localhost:4566/team/web"
    );
    // The state is the one the ECR had: what was made before is there, on the new host.
    let page = ecr
        .describe_repositories(&caller, DescribeRepositoriesRequest::default())
        .await
        .unwrap();
    assert_eq!(
        uris(page.repositories),
        ["localhost:4566/made-before", "localhost:4566/team/web"]
    );
    let named = ecr
        .describe_repositories(
            &caller,
            DescribeRepositoriesRequest {
                repository_names: Some(vec!["team/web".parse().unwrap()]),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(uris(named.repositories), ["localhost:4566/team/web"]);
    let all = ecr.all_repositories().await.unwrap();
    assert_eq!(
        uris(Some(all)),
        ["localhost:4566/made-before", "localhost:4566/team/web"]
    );
    let deleted = ecr
        .delete_repository(
            &caller,
            DeleteRepositoryRequest {
                registry_id: None,
                repository_name: "made-before".parse().unwrap(),
                force: false,
            },
        )
        .await
        .unwrap();
    assert_eq!(
        deleted.repository.unwrap().repository_uri.as_deref(),
        Some("localhost:4566/made-before")
    );
    assert_eq!(proxy_endpoint(&ecr, &caller).await, "http://localhost:4566");
}

#[tokio::test]
async fn placeholders_are_filled_per_account_and_region() {
    let host: RegistryHost = "{account}.dkr.ecr.{region}.localhost:4566".parse().unwrap();
    let ecr = Ecr::in_memory().with_registry_host(host);
    for (account, region) in [
        ("123456789012", "us-east-1"),
        ("111122223333", "us-east-1"),
        ("123456789012", "eu-west-1"),
    ] {
        let caller = ctx(account, region);
        assert_eq!(
            create(&ecr, &caller, "app").await,
            format!("{account}.dkr.ecr.{region}.localhost:4566/app")
        );
        assert_eq!(
            proxy_endpoint(&ecr, &caller).await,
            format!("http://{account}.dkr.ecr.{region}.localhost:4566")
        );
    }
}
