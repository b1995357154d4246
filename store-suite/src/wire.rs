//! Through the generated router, as the server calls it: what goes on the wire.

use berth_runtime::protocol::Request;
use ecr_impl::Ecr;
use serde_json::{Value, json};

use crate::TestStore;
use crate::common::*;

async fn call(ecr: &Ecr, operation: &str, body: Value) -> (u16, Value) {
    let target = format!("AmazonEC2ContainerRegistry_V20150921.{operation}");
    let body = body.to_string();
    let request = Request {
        target: Some(&target),
        content_type: Some("application/x-amz-json-1.1"),
        body: body.as_bytes(),
    };
    let response = ecr.handle(&mut ctx(), request).await;
    (
        response.status,
        serde_json::from_slice(&response.body).expect("a JSON body"),
    )
}

pub async fn responses_carry_every_member_ecr_sends_and_no_nulls(store: TestStore) {
    let ecr = Ecr::with_store(store);
    let (status, body) = call(&ecr, "CreateRepository", json!({"repositoryName": "app"})).await;
    assert_eq!(status, 200);
    let repository = &body["repository"];
    let mut keys: Vec<&str> = repository
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "createdAt",
            "encryptionConfiguration",
            "imageScanningConfiguration",
            "imageTagMutability",
            "registryId",
            "repositoryArn",
            "repositoryName",
            "repositoryUri"
        ]
    );
    assert_eq!(
        repository["imageScanningConfiguration"],
        json!({"scanOnPush": false})
    );
    assert_eq!(
        repository["encryptionConfiguration"],
        json!({"encryptionType": "AES256"})
    );
    assert!(repository["createdAt"].is_number());

    let (status, body) = call(&ecr, "DescribeRepositories", json!({})).await;
    assert_eq!(status, 200);
    assert!(
        body.get("nextToken").is_none(),
        "the last page has no nextToken at all: {body}"
    );
    assert_eq!(body["repositories"][0], *repository);

    let (status, body) = call(
        &ecr,
        "ListTagsForResource",
        json!({"resourceArn": arn("app")}),
    )
    .await;
    assert_eq!((status, body), (200, json!({"tags": []})));
    let tags = json!({"resourceArn": arn("app"), "tags": [{"Key": "team", "Value": "core"}]});
    assert_eq!(call(&ecr, "TagResource", tags).await, (200, json!({})));
    let (_, body) = call(
        &ecr,
        "ListTagsForResource",
        json!({"resourceArn": arn("app")}),
    )
    .await;
    assert_eq!(body, json!({"tags": [{"Key": "team", "Value": "core"}]}));
}

pub async fn errors_are_aws_shaped(store: TestStore) {
    let ecr = Ecr::with_store(store);
    let (status, body) = call(&ecr, "DeleteRepository", json!({"repositoryName": "nope"})).await;
    assert_eq!(status, 400);
    assert_eq!(
        body,
        json!({"__type": "RepositoryNotFoundException", "message": not_found_message("nope")})
    );

    let (status, body) = call(
        &ecr,
        "DescribeRepositories",
        json!({"registryId": OTHER_ACCOUNT}),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(body["__type"], "AccessDeniedException");

    // Absent scanOnPush (the Rust SDK omits false) means false.
    call(
        &ecr,
        "CreateRepository",
        json!({"repositoryName": "app", "imageScanningConfiguration": {"scanOnPush": true}}),
    )
    .await;
    let (status, body) = call(
        &ecr,
        "PutImageScanningConfiguration",
        json!({"repositoryName": "app", "imageScanningConfiguration": {}}),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(
        body["imageScanningConfiguration"],
        json!({"scanOnPush": false})
    );
}
