//! Lifecycle policies through the AWS SDK for Rust (`ecr-behaviour-registry.md` §1): the
//! canonical echo, typed errors, a preview with its paginator, and real expiry with Berth's
//! clock moved and `Ecr::run_lifecycle` (what `POST /_berth/lifecycle/run` calls).

mod support;

use aws_sdk_ecr::Client;
use aws_sdk_ecr::types::{ImageActionType, LifecyclePolicyPreviewStatus};
use support::sdk::*;

const DAY: i64 = 24 * 60 * 60;
const FAILURE: &str = "Invalid parameter at 'LifecyclePolicyText' failed to satisfy constraint: \
                       'Lifecycle policy validation failure: ";

const CONFIG: &[u8] = br#"{"architecture":"amd64","os":"linux"}"#;
const LAYER: &[u8] = b"one layer";

async fn repository_with_blobs(client: &Client, name: &str) {
    client
        .create_repository()
        .repository_name(name)
        .send()
        .await
        .unwrap();
    for blob in [CONFIG, LAYER] {
        upload_blob(client, name, blob).await;
    }
}

/// Pushes the image of `seed` (tagged `tag`, if any); its digest.
async fn push(client: &Client, name: &str, seed: &str, tag: Option<&str>) -> String {
    let manifest = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "size": CONFIG.len(), "digest": sha256(CONFIG)},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "size": LAYER.len(), "digest": sha256(LAYER)}],
        "annotations": {"seed": seed},
    })
    .to_string();
    client
        .put_image()
        .repository_name(name)
        .image_manifest(&manifest)
        .set_image_tag(tag.map(str::to_owned))
        .send()
        .await
        .unwrap();
    sha256(manifest.as_bytes())
}

async fn digests(client: &Client, name: &str) -> Vec<String> {
    let mut all: Vec<String> = client
        .list_images()
        .repository_name(name)
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .unwrap()
        .into_iter()
        .filter_map(|id| id.image_digest)
        .collect();
    all.sort();
    all.dedup();
    all
}

const POLICY: &str = r#"{
  "rules": [
    {"rulePriority": 10, "selection": {"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": 3},
     "action": {"type": "expire"}},
    {"rulePriority": 1, "description": "untagged after 14 days",
     "selection": {"tagStatus": "untagged", "countType": "sinceImagePushed", "countUnit": "days", "countNumber": 14},
     "action": {"type": "expire"}}
  ]
}"#;

const CANONICAL: &str = r#"{"rules":[{"rulePriority":1,"description":"untagged after 14 days","selection":{"tagStatus":"untagged","countType":"sinceImagePushed","countUnit":"days","countNumber":14},"action":{"type":"expire"}},{"rulePriority":10,"selection":{"tagStatus":"any","countType":"imageCountMoreThan","countNumber":3},"action":{"type":"expire"}}]}"#;

#[tokio::test]
async fn put_get_delete_and_their_errors() {
    let berth = Berth::start().await;
    let client = berth.client();
    client
        .create_repository()
        .repository_name("sdk/app")
        .send()
        .await
        .unwrap();
    let put = client
        .put_lifecycle_policy()
        .repository_name("sdk/app")
        .lifecycle_policy_text(POLICY)
        .send()
        .await
        .unwrap();
    assert_eq!(put.lifecycle_policy_text(), Some(CANONICAL));
    assert_eq!(put.registry_id(), Some(DEFAULT_ACCOUNT));
    let got = client
        .get_lifecycle_policy()
        .repository_name("sdk/app")
        .send()
        .await
        .unwrap();
    assert_eq!(got.lifecycle_policy_text(), Some(CANONICAL));
    assert_eq!(got.last_evaluated_at().map(|t| t.secs()), Some(0));

    let bad = POLICY.replace("\"any\"", "\"every\"");
    let error = service_error(
        client
            .put_lifecycle_policy()
            .repository_name("sdk/app")
            .lifecycle_policy_text(bad)
            .send()
            .await,
    );
    assert_eq!(
        error,
        ServiceError::new(
            "InvalidParameterException",
            format!(
                "{FAILURE}instance value (\"every\") not found in enum :(possible values: [\"tagged\",\"untagged\",\"any\"])"
            )
        )
    );

    let deleted = client
        .delete_lifecycle_policy()
        .repository_name("sdk/app")
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.lifecycle_policy_text(), Some(CANONICAL));
    let result = client
        .get_lifecycle_policy()
        .repository_name("sdk/app")
        .send()
        .await;
    assert!(result.as_ref().is_err_and(|e| {
        e.as_service_error()
            .is_some_and(|e| e.is_lifecycle_policy_not_found_exception())
    }));
    assert_eq!(
        service_error(result).message,
        "Lifecycle policy does not exist for the repository with name 'sdk/app' in the registry with id '123456789012'"
    );
    let preview = client
        .get_lifecycle_policy_preview()
        .repository_name("sdk/app")
        .send()
        .await;
    assert!(preview.as_ref().is_err_and(|e| {
        e.as_service_error()
            .is_some_and(|e| e.is_lifecycle_policy_preview_not_found_exception())
    }));
    berth.stop().await;
}

#[tokio::test]
async fn a_preview_then_expiry_by_berths_clock() {
    let berth = Berth::start().await;
    let client = berth.client();
    let ecr = berth.running.ecr().clone();
    repository_with_blobs(&client, "sdk/web").await;

    ecr.clock().set_offset_seconds(-15 * DAY);
    let mut old_untagged = Vec::new();
    for n in 0..6 {
        old_untagged.push(push(&client, "sdk/web", &format!("old-{n}"), None).await);
    }
    let mut tagged = Vec::new();
    for n in 0..5 {
        tagged.push(
            push(
                &client,
                "sdk/web",
                &format!("t-{n}"),
                Some(&format!("v{n}")),
            )
            .await,
        );
    }
    ecr.clock().set_offset_seconds(0);
    let new_untagged = push(&client, "sdk/web", "new", None).await;

    client
        .put_lifecycle_policy()
        .repository_name("sdk/web")
        .lifecycle_policy_text(POLICY)
        .send()
        .await
        .unwrap();
    let started = client
        .start_lifecycle_policy_preview()
        .repository_name("sdk/web")
        .send()
        .await
        .unwrap();
    assert_eq!(
        started.status(),
        Some(&LifecyclePolicyPreviewStatus::InProgress)
    );
    assert_eq!(started.lifecycle_policy_text(), Some(CANONICAL));

    // Rule 1: the 6 old untagged images; rule 10 (any, keep 3 of all 12): of the others,
    // everything but the 3 newest (new untagged, v4, v3) — v0, v1, v2.
    let mut expected: Vec<(String, i32)> = old_untagged.iter().map(|d| (d.clone(), 1)).collect();
    expected.extend(tagged[..3].iter().map(|d| (d.clone(), 10)));
    let pages: Vec<_> = client
        .get_lifecycle_policy_preview()
        .repository_name("sdk/web")
        .max_results(4)
        .into_paginator()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .unwrap();
    assert_eq!(pages.len(), 3);
    let previewed: Vec<(String, i32)> = pages
        .iter()
        .flat_map(|page| page.preview_results())
        .map(|r| {
            assert_eq!(
                r.action().and_then(|a| a.r#type()),
                Some(&ImageActionType::Expire)
            );
            (
                r.image_digest().unwrap().to_owned(),
                r.applied_rule_priority().unwrap(),
            )
        })
        .collect();
    assert_eq!(previewed, expected);
    assert_eq!(
        pages[0]
            .summary()
            .and_then(|s| s.expiring_image_total_count()),
        Some(9)
    );
    assert_eq!(
        pages[0].status(),
        Some(&LifecyclePolicyPreviewStatus::Complete)
    );

    let run = ecr.run_lifecycle().await.unwrap();
    assert_eq!((run.evaluated, run.expired, run.transitioned), (1, 9, 0));
    let mut remaining = vec![new_untagged, tagged[3].clone(), tagged[4].clone()];
    remaining.sort();
    assert_eq!(digests(&client, "sdk/web").await, remaining);
    let got = client
        .get_lifecycle_policy()
        .repository_name("sdk/web")
        .send()
        .await
        .unwrap();
    let evaluated = got.last_evaluated_at().unwrap().secs();
    let now = ecr.clock().now().epoch_millis() / 1000;
    assert!((now - evaluated).abs() <= 5, "{evaluated} vs {now}");
    berth.stop().await;
}
