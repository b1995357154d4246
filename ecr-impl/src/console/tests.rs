//! The console's reads change nothing: a manifest read records no pull, a lifecycle preview
//! is not stored. Images are pushed through the API (layers uploaded, then PutImage).

use base64::Engine as _;
use berth_runtime::RequestContext;
use berth_runtime::protocol::Request;
use ecr_generated::ErrorResponse;
use ecr_generated::operations::SERVICE;
use ecr_generated::types::RepositoryName;
use serde_json::{Value, json};
use sha2::{Digest as _, Sha256};

use super::{PreviewEntry, lifecycle_preview, manifest};
use crate::Ecr;
use crate::store::Scope;
use crate::store::blobs::Sha256Digest;

const REPO: &str = "team/web";
const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";

fn digest_of(bytes: &[u8]) -> String {
    format!("sha256:{:x}", Sha256::digest(bytes))
}

async fn call(ecr: &Ecr, operation: &str, body: Value) -> (u16, Value) {
    let mut ctx = RequestContext {
        account_id: "123456789012".into(),
        region: "us-east-1".into(),
        request_id: "r".into(),
        operation: "",
        endpoint: String::new(),
    };
    let target = format!("{}.{operation}", SERVICE.target_prefix);
    let body = body.to_string();
    let request = Request {
        target: Some(&target),
        content_type: Some(SERVICE.content_type),
        body: body.as_bytes(),
    };
    let response = ecr.handle(&mut ctx, request).await;
    let answer = serde_json::from_slice(&response.body).expect("a JSON answer");
    (response.status, answer)
}

async fn ok(ecr: &Ecr, operation: &str, body: Value) -> Value {
    let (status, answer) = call(ecr, operation, body).await;
    assert_eq!(status, 200, "{operation}: {answer}");
    answer
}

async fn upload(ecr: &Ecr, bytes: &[u8]) -> Value {
    let started = ok(ecr, "InitiateLayerUpload", json!({"repositoryName": REPO})).await;
    let upload_id = started["uploadId"].clone();
    ok(
        ecr,
        "UploadLayerPart",
        json!({"repositoryName": REPO, "uploadId": upload_id, "partFirstByte": 0,
               "partLastByte": bytes.len() - 1,
               "layerPartBlob": base64::engine::general_purpose::STANDARD.encode(bytes)}),
    )
    .await;
    let digest = digest_of(bytes);
    ok(
        ecr,
        "CompleteLayerUpload",
        json!({"repositoryName": REPO, "uploadId": upload_id, "layerDigests": [digest]}),
    )
    .await;
    json!({"digest": digest, "size": bytes.len()})
}

/// A repository with one image tagged `release-1`; answers the image's manifest text.
async fn pushed(ecr: &Ecr) -> String {
    ok(ecr, "CreateRepository", json!({"repositoryName": REPO})).await;
    let mut config = upload(ecr, br#"{"architecture":"amd64","os":"linux"}"#).await;
    config["mediaType"] = json!("application/vnd.oci.image.config.v1+json");
    let mut layer = upload(ecr, b"a layer").await;
    layer["mediaType"] = json!("application/vnd.oci.image.layer.v1.tar+gzip");
    let text =
        json!({"schemaVersion": 2, "mediaType": OCI_MANIFEST, "config": config, "layers": [layer]})
            .to_string();
    ok(
        ecr,
        "PutImage",
        json!({"repositoryName": REPO, "imageManifest": text, "imageTag": "release-1"}),
    )
    .await;
    text
}

fn scope() -> Scope {
    Scope {
        account_id: "123456789012".try_into().unwrap(),
        region: "us-east-1".try_into().unwrap(),
    }
}

fn name(text: &str) -> RepositoryName {
    RepositoryName::try_from(text).unwrap()
}

#[tokio::test]
async fn a_manifest_read_answers_the_stored_bytes_and_records_no_pull() {
    let ecr = Ecr::in_memory();
    let text = pushed(&ecr).await;
    let digest: Sha256Digest = digest_of(text.as_bytes()).parse().unwrap();
    let stored = manifest(ecr.layer_stores().meta, &scope(), &name(REPO), digest)
        .await
        .unwrap();
    assert_eq!(stored.bytes.as_ref(), text.as_bytes());
    assert_eq!(stored.media_type, OCI_MANIFEST);
    let described = ok(&ecr, "DescribeImages", json!({"repositoryName": REPO})).await;
    let image = &described["imageDetails"][0];
    assert_eq!(image["imageDigest"], digest.to_string());
    assert!(image.get("lastRecordedPullTime").is_none(), "{image}");
}

#[tokio::test]
async fn a_manifest_read_of_a_missing_image_or_repository_has_ecrs_errors() {
    let ecr = Ecr::in_memory();
    pushed(&ecr).await;
    let absent: Sha256Digest = digest_of(b"nothing").parse().unwrap();
    let meta = ecr.layer_stores().meta;
    let error = manifest(meta, &scope(), &name(REPO), absent)
        .await
        .unwrap_err();
    assert_eq!(error.type_name(), "ImageNotFoundException");
    assert_eq!(
        error.message().unwrap_or_default(),
        format!(
            "The image with imageId {{imageDigest:'{absent}', imageTag:'null'}} does not exist \
             within the repository with name 'team/web' in the registry with id '123456789012'"
        )
    );
    let error = manifest(meta, &scope(), &name("team/none"), absent)
        .await
        .unwrap_err();
    assert_eq!(error.type_name(), "RepositoryNotFoundException");
    assert_eq!(
        error.message().unwrap_or_default(),
        "The repository with name 'team/none' does not exist in the registry with id '123456789012'"
    );
}

#[tokio::test]
async fn the_lifecycle_preview_is_computed_and_not_stored() {
    let ecr = Ecr::in_memory();
    let text = pushed(&ecr).await;
    let meta = ecr.layer_stores().meta;
    let error = lifecycle_preview(meta, &scope(), &name(REPO), ecr.clock().now())
        .await
        .unwrap_err();
    assert_eq!(error.type_name(), "LifecyclePolicyNotFoundException");
    assert_eq!(
        error.message().unwrap_or_default(),
        "Lifecycle policy does not exist for the repository with name 'team/web' in the \
         registry with id '123456789012'"
    );
    let policy = json!({"rules": [{"rulePriority": 3, "selection": {
        "tagStatus": "tagged", "tagPrefixList": ["release"], "countType": "sinceImagePushed",
        "countUnit": "days", "countNumber": 1}, "action": {"type": "expire"}}]});
    ok(
        &ecr,
        "PutLifecyclePolicy",
        json!({"repositoryName": REPO, "lifecyclePolicyText": policy.to_string()}),
    )
    .await;
    let now = ecr.clock().now();
    let fresh = lifecycle_preview(meta, &scope(), &name(REPO), now)
        .await
        .unwrap();
    assert_eq!(fresh, Vec::new(), "pushed less than a day ago");

    ecr.clock().set_offset_seconds(2 * 86_400);
    let later = lifecycle_preview(meta, &scope(), &name(REPO), ecr.clock().now())
        .await
        .unwrap();
    let [entry]: [PreviewEntry; 1] = later.try_into().unwrap();
    assert_eq!(entry.image_digest, digest_of(text.as_bytes()));
    assert_eq!(entry.image_tags, ["release-1"]);
    assert_eq!(entry.action, "EXPIRE");
    assert_eq!(entry.applied_rule_priority, 3);

    let (status, answer) = call(
        &ecr,
        "GetLifecyclePolicyPreview",
        json!({"repositoryName": REPO}),
    )
    .await;
    assert_eq!(status, 400, "{answer}");
    assert_eq!(answer["__type"], "LifecyclePolicyPreviewNotFoundException");
}
