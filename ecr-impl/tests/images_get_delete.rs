//! BatchGetImage (§5), BatchDeleteImage (§6) and UpdateImageStorageClass (§12) through the
//! generated service, in memory. Expected texts are written out here.

mod images_support;

use ecr_generated::types::{
    ImageFailure, ImageIdentifier, ImageStatus, ImageStatusFilter, TargetStorageClass,
};
use images_support::*;

const NAME: &str = "team/app";

const NOT_FOUND: &str = "Requested image not found";
const MISSING: &str = "Invalid request parameters: both tag and digest cannot be null";
const BAD_DIGEST: &str = "Invalid request parameters: image digest should satisfy the regex '[a-zA-Z0-9-_+.]+:[a-fA-F0-9]+'";
const BAD_TAG: &str =
    "Invalid request parameters: image tag should satisfy the regex '[a-zA-Z0-9-_.]+'";
const MISMATCH: &str = "Invalid request parameters: given tag does not map to the given digest";

/// `(imageId as echoed, code, reason)` of failures.
fn failures(failures: &[ImageFailure]) -> Vec<(ImageIdentifier, String, String)> {
    failures
        .iter()
        .map(|failure| {
            (
                failure.image_id.clone().unwrap(),
                failure.failure_code.unwrap().to_string(),
                failure.failure_reason.clone().unwrap(),
            )
        })
        .collect()
}

fn raw(digest: Option<&str>, tag: Option<&str>) -> ImageIdentifier {
    ImageIdentifier {
        image_digest: digest.map(str::to_owned),
        image_tag: tag.map(valid),
    }
}

#[tokio::test]
async fn every_entry_gets_an_image_or_a_failure_in_request_order_once() {
    let berth = Berth::new();
    berth.repo(NAME).await;
    let app = berth.push(NAME, "app", Some("v1")).await;
    let other = berth.push(NAME, "other", Some("v2")).await;
    let unknown = digest_of("unknown");
    let uppercase = app.to_uppercase().replace("SHA256", "sha256");
    let ids = vec![
        by_tag("v1"),
        raw(None, None),
        by_digest("sha256:not-hex"),
        by_tag("bad tag"),
        by_tag("nope"),
        by_digest(&unknown),
        by_both(&other, "v1"),
        by_both(&unknown, "nope"),
        by_digest(&uppercase),
        by_tag("v1"),
        by_both(&app, "v1"),
        by_digest("md5:abc"),
    ];
    let response = berth.get(NAME, ids).await;
    let images = response.images.unwrap();
    let got: Vec<(String, Option<String>)> = images
        .iter()
        .map(|image| image.image_id.clone().unwrap())
        .map(|id| {
            (
                id.image_digest.unwrap(),
                id.image_tag.map(|t| t.to_string()),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            (app.clone(), Some("v1".to_owned())),
            (app.clone(), None),
            (app.clone(), Some("v1".to_owned())),
        ]
    );
    for image in &images {
        assert_eq!(image.registry_id.as_deref(), Some(ACCOUNT));
        assert_eq!(image.repository_name.as_deref(), Some(NAME));
        assert_eq!(
            image.image_manifest_media_type.as_deref(),
            Some(DOCKER_MANIFEST)
        );
        assert_eq!(digest_of(image.image_manifest.as_deref().unwrap()), app);
    }
    let s = |text: &str| text.to_owned();
    assert_eq!(
        failures(&response.failures.unwrap()),
        [
            (raw(None, None), s("MissingDigestAndTag"), s(MISSING)),
            (
                by_digest("sha256:not-hex"),
                s("InvalidImageDigest"),
                s(BAD_DIGEST)
            ),
            (by_tag("bad tag"), s("InvalidImageTag"), s(BAD_TAG)),
            (by_tag("nope"), s("ImageNotFound"), s(NOT_FOUND)),
            (by_digest(&unknown), s("ImageNotFound"), s(NOT_FOUND)),
            (
                by_both(&other, "v1"),
                s("ImageTagDoesNotMatchDigest"),
                s(MISMATCH)
            ),
            (by_both(&unknown, "nope"), s("ImageNotFound"), s(NOT_FOUND)),
            (by_digest("md5:abc"), s("ImageNotFound"), s(NOT_FOUND)),
        ]
    );
}

#[tokio::test]
async fn both_lists_are_present_when_empty_and_an_unknown_repository_fails_the_call() {
    let berth = Berth::new();
    berth.repo(NAME).await;
    let response = berth.get(NAME, vec![by_tag("nope")]).await;
    assert_eq!(response.images, Some(vec![]));
    berth.push(NAME, "app", Some("v1")).await;
    let response = berth.get(NAME, vec![by_tag("v1")]).await;
    assert_eq!(response.failures, Some(vec![]));

    let request = ecr_generated::types::BatchGetImageRequest {
        registry_id: None,
        repository_name: valid("missing"),
        image_ids: vec![by_tag("v1")],
        accepted_media_types: None,
    };
    let (code, message) = failure(berth.ecr.batch_get_image(&ctx(), request).await);
    assert_eq!(code, "RepositoryNotFoundException");
    assert_eq!(message, not_found_message("missing"));
}

#[tokio::test]
async fn a_get_is_a_pull_and_records_its_time() {
    let berth = Berth::new();
    berth.repo(NAME).await;
    let digest = berth.push(NAME, "app", Some("v1")).await;
    assert_eq!(
        berth
            .detail(NAME, by_digest(&digest))
            .await
            .last_recorded_pull_time,
        None
    );
    // A failed get is no pull.
    berth.get(NAME, vec![by_both(&digest, "nope")]).await;
    assert_eq!(
        berth
            .detail(NAME, by_digest(&digest))
            .await
            .last_recorded_pull_time,
        None
    );
    berth.get(NAME, vec![by_tag("v1")]).await;
    let first = berth
        .detail(NAME, by_digest(&digest))
        .await
        .last_recorded_pull_time;
    assert!(first.is_some());
    std::thread::sleep(std::time::Duration::from_millis(5));
    berth.get(NAME, vec![by_digest(&digest)]).await;
    let second = berth
        .detail(NAME, by_digest(&digest))
        .await
        .last_recorded_pull_time;
    assert!(second > first);
}

#[tokio::test]
async fn deleting_by_tag_removes_the_tag_and_the_image_with_its_last_tag() {
    let berth = Berth::new();
    berth.repo(NAME).await;
    let config = digest_of("app/config");
    let digest = berth.push(NAME, "app", Some("v1")).await;
    let manifest = berth
        .get(NAME, vec![by_digest(&digest)])
        .await
        .images
        .unwrap()[0]
        .image_manifest
        .clone()
        .unwrap();
    berth.put(NAME, &manifest, Some("latest")).await.unwrap();

    let response = berth.delete(NAME, vec![by_tag("v1")]).await;
    assert_eq!(
        pairs(&response.image_ids.unwrap()),
        [(digest.clone(), Some("v1".into()))]
    );
    assert_eq!(response.failures, Some(vec![]));
    assert_eq!(
        berth.list_all(NAME, None, None).await,
        [(digest.clone(), Some("latest".into()))]
    );

    let response = berth.delete(NAME, vec![by_tag("latest")]).await;
    assert_eq!(
        pairs(&response.image_ids.unwrap()),
        [(digest.clone(), Some("latest".into()))]
    );
    assert!(berth.list_all(NAME, None, None).await.is_empty());
    // Its layers stay in the repository.
    assert!(berth.layer(NAME, &config).await.is_some());
    // And it is gone for a get.
    let response = berth.get(NAME, vec![by_digest(&digest)]).await;
    assert_eq!(response.images, Some(vec![]));
}

#[tokio::test]
async fn deleting_by_digest_answers_every_tag_it_had_or_the_digest_alone() {
    let berth = Berth::new();
    berth.repo(NAME).await;
    let tagged = berth.push(NAME, "tagged", Some("a")).await;
    let manifest = berth
        .get(NAME, vec![by_digest(&tagged)])
        .await
        .images
        .unwrap()[0]
        .image_manifest
        .clone()
        .unwrap();
    berth.put(NAME, &manifest, Some("b")).await.unwrap();
    let untagged = berth.push(NAME, "untagged", None).await;
    let unknown = digest_of("unknown");

    let response = berth
        .delete(
            NAME,
            vec![
                by_digest(&tagged),
                by_tag("a"),
                by_digest(&untagged),
                by_digest(&untagged),
                by_digest(&unknown),
                by_tag("bad tag"),
            ],
        )
        .await;
    assert_eq!(
        pairs(&response.image_ids.unwrap()),
        [
            (tagged.clone(), Some("a".into())),
            (tagged.clone(), Some("b".into())),
            (untagged.clone(), None),
        ]
    );
    let s = |text: &str| text.to_owned();
    assert_eq!(
        failures(&response.failures.unwrap()),
        [
            (by_digest(&unknown), s("ImageNotFound"), s(NOT_FOUND)),
            (by_tag("bad tag"), s("InvalidImageTag"), s(BAD_TAG)),
        ]
    );
    assert!(berth.list_all(NAME, None, None).await.is_empty());
}

#[tokio::test]
async fn a_tag_with_its_digest_is_removed_only_when_they_match() {
    let berth = Berth::new();
    berth.repo(NAME).await;
    let one = berth.push(NAME, "one", Some("v1")).await;
    let two = berth.push(NAME, "two", Some("v2")).await;
    let response = berth
        .delete(NAME, vec![by_both(&two, "v1"), raw(None, None)])
        .await;
    assert_eq!(response.image_ids, Some(vec![]));
    let s = |text: &str| text.to_owned();
    assert_eq!(
        failures(&response.failures.unwrap()),
        [
            (
                by_both(&two, "v1"),
                s("ImageTagDoesNotMatchDigest"),
                s(MISMATCH)
            ),
            (raw(None, None), s("MissingDigestAndTag"), s(MISSING)),
        ]
    );
    let response = berth.delete(NAME, vec![by_both(&one, "v1")]).await;
    assert_eq!(
        pairs(&response.image_ids.unwrap()),
        [(one, Some("v1".into()))]
    );
    assert_eq!(
        berth.list_all(NAME, None, None).await,
        [(two, Some("v2".into()))]
    );
}

#[tokio::test]
async fn an_image_an_index_references_is_kept_until_the_index_goes() {
    let berth = Berth::new();
    berth.repo(NAME).await;
    let amd = berth.push(NAME, "amd64", None).await;
    let arm = berth.push(NAME, "arm64", Some("arm")).await;
    let list = docker_list(&[&amd, &arm]);
    berth.put(NAME, &list, Some("multi")).await.unwrap();
    let index = digest_of(&list);
    let reason = format!("Requested image referenced by manifest list: [{index}]");

    let response = berth
        .delete(NAME, vec![by_digest(&amd), by_tag("arm")])
        .await;
    assert_eq!(response.image_ids, Some(vec![]));
    let s = |text: &str| text.to_owned();
    assert_eq!(
        failures(&response.failures.unwrap()),
        [
            (
                by_digest(&amd),
                s("ImageReferencedByManifestList"),
                reason.clone()
            ),
            (
                by_tag("arm"),
                s("ImageReferencedByManifestList"),
                reason.clone()
            ),
        ]
    );
    assert_eq!(berth.list_all(NAME, None, None).await.len(), 3);
    assert_eq!(
        berth
            .detail(NAME, by_digest(&arm))
            .await
            .image_tags
            .unwrap()[0]
            .as_str(),
        "arm"
    );

    // A child that keeps another tag may lose one.
    let manifest = berth.get(NAME, vec![by_digest(&arm)]).await.images.unwrap()[0]
        .image_manifest
        .clone()
        .unwrap();
    berth.put(NAME, &manifest, Some("arm-too")).await.unwrap();
    let response = berth.delete(NAME, vec![by_tag("arm")]).await;
    assert_eq!(
        pairs(&response.image_ids.unwrap()),
        [(arm.clone(), Some("arm".into()))]
    );

    // With the index in the same request, in any order, everything goes.
    let response = berth
        .delete(
            NAME,
            vec![by_digest(&amd), by_digest(&index), by_digest(&arm)],
        )
        .await;
    assert_eq!(response.failures, Some(vec![]));
    assert_eq!(
        pairs(&response.image_ids.unwrap()),
        [
            (amd, None),
            (index, Some("multi".into())),
            (arm, Some("arm-too".into())),
        ]
    );
    assert!(berth.list_all(NAME, None, None).await.is_empty());
}

#[tokio::test]
async fn a_nested_index_that_stays_keeps_its_whole_tree() {
    let berth = Berth::new();
    berth.repo(NAME).await;
    let leaf = berth.push(NAME, "leaf", None).await;
    let inner_list = docker_list(&[&leaf]);
    berth.put(NAME, &inner_list, None).await.unwrap();
    let inner = digest_of(&inner_list);
    let outer_list = format!("{}\n", docker_list(&[&inner]));
    berth.put(NAME, &outer_list, Some("outer")).await.unwrap();
    let outer = digest_of(&outer_list);

    // The inner index goes with this request, but the outer one stays: both are kept.
    let response = berth
        .delete(NAME, vec![by_digest(&leaf), by_digest(&inner)])
        .await;
    let codes: Vec<(ImageIdentifier, String, String)> = failures(&response.failures.unwrap());
    assert_eq!(
        codes,
        [
            (
                by_digest(&leaf),
                "ImageReferencedByManifestList".to_owned(),
                format!("Requested image referenced by manifest list: [{inner}]")
            ),
            (
                by_digest(&inner),
                "ImageReferencedByManifestList".to_owned(),
                format!("Requested image referenced by manifest list: [{outer}]")
            ),
        ]
    );
    assert_eq!(berth.list_all(NAME, None, None).await.len(), 3);
}

#[tokio::test]
async fn deleting_in_an_unknown_repository_fails_the_call() {
    let berth = Berth::new();
    let (code, message) = failure(berth.try_delete("missing", vec![by_tag("v1")]).await);
    assert_eq!(code, "RepositoryNotFoundException");
    assert_eq!(message, not_found_message("missing"));
}

#[tokio::test]
async fn archiving_hides_an_image_and_restoring_brings_it_back() {
    let berth = Berth::new();
    berth.repo(NAME).await;
    let digest = berth.push(NAME, "app", Some("v1")).await;
    let kept = berth.push(NAME, "kept", Some("v2")).await;

    let response = berth
        .set_storage_class(NAME, by_tag("v1"), TargetStorageClass::Archive)
        .await
        .unwrap();
    assert_eq!(response.image_status, Some(ImageStatus::Archived));
    assert_eq!(response.registry_id.as_deref(), Some(ACCOUNT));
    assert_eq!(response.repository_name.as_deref(), Some(NAME));
    assert_eq!(
        pairs(&[response.image_id.unwrap()]),
        [(digest.clone(), Some("v1".into()))]
    );
    // Archiving again changes nothing.
    let again = berth
        .set_storage_class(NAME, by_digest(&digest), TargetStorageClass::Archive)
        .await
        .unwrap();
    assert_eq!(again.image_status, Some(ImageStatus::Archived));

    assert_eq!(
        berth.list_all(NAME, None, None).await,
        [(kept.clone(), Some("v2".into()))]
    );
    assert_eq!(
        berth
            .list_all(NAME, Some((None, Some(ImageStatusFilter::Archived))), None)
            .await,
        [(digest.clone(), Some("v1".into()))]
    );
    assert_eq!(
        berth
            .list_all(NAME, Some((None, Some(ImageStatusFilter::Any))), None)
            .await
            .len(),
        2
    );
    let detail = berth.detail(NAME, by_digest(&digest)).await;
    assert_eq!(detail.image_status, Some(ImageStatus::Archived));
    assert!(detail.last_archived_at.is_some());
    assert_eq!(detail.last_activated_at, None);

    let response = berth.get(NAME, vec![by_tag("v1")]).await;
    assert_eq!(response.images, Some(vec![]));
    assert_eq!(
        failures(&response.failures.unwrap()),
        [(
            by_tag("v1"),
            "ImageInaccessible".to_owned(),
            "The requested image is archived".to_owned()
        )]
    );

    let response = berth
        .set_storage_class(NAME, by_digest(&digest), TargetStorageClass::Standard)
        .await
        .unwrap();
    assert_eq!(response.image_status, Some(ImageStatus::Activating));
    let detail = berth.detail(NAME, by_digest(&digest)).await;
    assert_eq!(detail.image_status, Some(ImageStatus::Active));
    assert!(detail.last_activated_at.is_some());
    assert!(detail.last_archived_at.is_some());
    assert_eq!(berth.list_all(NAME, None, None).await.len(), 2);
    assert_eq!(
        berth
            .get(NAME, vec![by_tag("v1")])
            .await
            .images
            .unwrap()
            .len(),
        1
    );
    let standard = berth
        .set_storage_class(NAME, by_digest(&digest), TargetStorageClass::Standard)
        .await
        .unwrap();
    assert_eq!(standard.image_status, Some(ImageStatus::Active));
}

#[tokio::test]
async fn archiving_an_unknown_image_is_image_not_found() {
    let berth = Berth::new();
    berth.repo(NAME).await;
    let (code, message) = failure(
        berth
            .set_storage_class(NAME, by_tag("nope"), TargetStorageClass::Archive)
            .await,
    );
    assert_eq!(code, "ImageNotFoundException");
    assert_eq!(
        message,
        format!(
            "The image with imageId {{imageDigest:'null', imageTag:'nope'}} does not exist within \
             the repository with name '{NAME}' in the registry with id '{ACCOUNT}'"
        )
    );
    let (code, _) = failure(
        berth
            .set_storage_class(NAME, by_tag("bad tag"), TargetStorageClass::Archive)
            .await,
    );
    assert_eq!(code, "InvalidParameterException");
}
