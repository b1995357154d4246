//! Pages written from JSON kept ready (issue 10): byte for byte what serde_json writes for
//! the same response built the plain way, on every page, and never stale after a change.

use berth_runtime::json::Rendered;
use ecr_generated::types::{
    CreateRepositoryRequest, DescribeRepositoriesRequest, DescribeRepositoriesResponse,
    EncryptionConfiguration, EncryptionType, ImageScanningConfiguration, ImageTagMutability,
    ImageTagMutabilityExclusionFilter, ImageTagMutabilityExclusionFilterType,
    PutImageScanningConfigurationRequest, PutImageTagMutabilityRequest,
};
use ecr_impl::Ecr;
use store_suite::common::{create_request, ctx, valid};

/// Repositories whose views differ in every member a view has.
async fn varied_registry() -> Ecr {
    let ecr = Ecr::in_memory();
    for n in 0..25 {
        let mut request: CreateRepositoryRequest = create_request(&format!("team-{n:02}/app"));
        if n % 3 == 0 {
            request.encryption_configuration = Some(EncryptionConfiguration {
                encryption_type: EncryptionType::Kms,
                kms_key: None,
            });
        }
        if n % 4 == 0 {
            request.image_tag_mutability = Some(ImageTagMutability::ImmutableWithExclusion);
            request.image_tag_mutability_exclusion_filters =
                Some(vec![ImageTagMutabilityExclusionFilter {
                    filter_type: ImageTagMutabilityExclusionFilterType::Wildcard,
                    filter: valid("latest*"),
                }]);
        }
        if n % 5 == 0 {
            request.image_scanning_configuration =
                Some(ImageScanningConfiguration { scan_on_push: true });
        }
        ecr.create_repository(&ctx(), request).await.unwrap();
    }
    ecr
}

async fn page(ecr: &Ecr, token: Option<String>, size: i32) -> (Vec<u8>, Option<String>) {
    let request = DescribeRepositoriesRequest {
        max_results: Some(size),
        next_token: token,
        ..Default::default()
    };
    let Rendered::Json(json) = ecr
        .describe_repositories_rendered(&ctx(), request)
        .await
        .unwrap()
    else {
        panic!("a page is written from JSON kept ready");
    };
    let read: DescribeRepositoriesResponse = serde_json::from_slice(&json).unwrap();
    (json, read.next_token)
}

/// Every page, checked against serde_json's writing of the plain views of the same
/// repositories (all_repositories builds each view afresh).
async fn check_every_page(ecr: &Ecr, size: usize) {
    let all = ecr.all_repositories().await.unwrap();
    let mut token = None;
    for (index, expected) in all.chunks(size).enumerate() {
        let (json, next) = page(ecr, token, size as i32).await;
        let plain = DescribeRepositoriesResponse {
            repositories: Some(expected.to_vec()),
            next_token: next.clone(),
        };
        assert_eq!(
            String::from_utf8(json).unwrap(),
            String::from_utf8(serde_json::to_vec(&plain).unwrap()).unwrap(),
            "page {index}"
        );
        assert_eq!(next.is_some(), (index + 1) * size < all.len());
        token = next;
    }
}

#[tokio::test]
async fn rendered_pages_are_what_serde_json_writes() {
    let ecr = varied_registry().await;
    check_every_page(&ecr, 10).await;
    // Again, from the kept JSON this time.
    check_every_page(&ecr, 10).await;
    check_every_page(&ecr, 1000).await;
}

#[tokio::test]
async fn a_changed_repository_is_shown_as_it_is_now() {
    let ecr = varied_registry().await;
    check_every_page(&ecr, 7).await;
    ecr.put_image_tag_mutability(
        &ctx(),
        PutImageTagMutabilityRequest {
            registry_id: None,
            repository_name: valid("team-03/app"),
            image_tag_mutability: ImageTagMutability::Immutable,
            image_tag_mutability_exclusion_filters: None,
        },
    )
    .await
    .unwrap();
    ecr.put_image_scanning_configuration(
        &ctx(),
        PutImageScanningConfigurationRequest {
            registry_id: None,
            repository_name: valid("team-05/app"),
            image_scanning_configuration: ImageScanningConfiguration {
                scan_on_push: false,
            },
        },
    )
    .await
    .unwrap();
    check_every_page(&ecr, 7).await;
    let (json, _) = page(&ecr, None, 100).await;
    let text = String::from_utf8(json).unwrap();
    assert!(text.contains(r#""repositoryName":"team-03/app","repositoryUri":"123456789012.dkr.ecr.us-east-1.amazonaws.com/team-03/app","createdAt":"#));
    // Deleted and re-created: a new repository, with its own creation time.
    let before = ecr.all_repositories().await.unwrap();
    ecr.delete_repository(
        &ctx(),
        ecr_generated::types::DeleteRepositoryRequest {
            registry_id: None,
            repository_name: valid("team-04/app"),
            force: false,
        },
    )
    .await
    .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(2));
    ecr.create_repository(&ctx(), create_request("team-04/app"))
        .await
        .unwrap();
    let after = ecr.all_repositories().await.unwrap();
    assert_ne!(before[4].created_at, after[4].created_at);
    check_every_page(&ecr, 7).await;
}

mod images_support;

use ecr_generated::types::{DescribeImagesRequest, DescribeImagesResponse, ImageIdentifier};
use images_support::{Berth, by_digest, by_tag};

const IMAGES: &str = "team/images";

/// Every DescribeImages page of `size`, checked against serde_json's writing of the same
/// images described by digest (details built afresh, not kept).
async fn check_every_image_page(berth: &Berth, size: i32) -> usize {
    let mut token = None;
    let mut seen = 0;
    loop {
        let request = DescribeImagesRequest {
            registry_id: None,
            repository_name: valid(IMAGES),
            image_ids: None,
            next_token: token,
            max_results: Some(size),
            filter: None,
        };
        let Rendered::Json(json) = berth
            .ecr
            .describe_images_rendered(&ctx(), request)
            .await
            .unwrap()
        else {
            panic!("a page is written from JSON kept ready");
        };
        let read: DescribeImagesResponse = serde_json::from_slice(&json).unwrap();
        let details = read.image_details.unwrap();
        let ids: Vec<ImageIdentifier> = details
            .iter()
            .map(|detail| by_digest(detail.image_digest.as_deref().unwrap()))
            .collect();
        let plain = DescribeImagesResponse {
            image_details: Some(if ids.is_empty() {
                Vec::new()
            } else {
                berth
                    .describe(IMAGES, Some(ids), None, None, None)
                    .await
                    .unwrap()
                    .image_details
                    .unwrap()
            }),
            next_token: read.next_token.clone(),
        };
        assert_eq!(
            String::from_utf8(json).unwrap(),
            String::from_utf8(serde_json::to_vec(&plain).unwrap()).unwrap()
        );
        seen += details.len();
        match read.next_token {
            Some(next) => token = Some(next),
            None => return seen,
        }
    }
}

#[tokio::test]
async fn rendered_image_pages_are_what_serde_json_writes_and_follow_changes() {
    let berth = Berth::new();
    berth.repo(IMAGES).await;
    let mut digests = Vec::new();
    for n in 0..12 {
        let tag = format!("v{n}");
        digests.push(
            berth
                .push(IMAGES, &format!("image-{n}"), (n % 4 != 0).then_some(&tag))
                .await,
        );
    }
    assert_eq!(check_every_image_page(&berth, 5).await, 12);
    assert_eq!(check_every_image_page(&berth, 5).await, 12);
    // A pull, a tag moved onto another image, an image deleted: each page shows it.
    berth.get(IMAGES, vec![by_tag("v1")]).await;
    let moved = berth.push(IMAGES, "image-2", Some("v3")).await;
    assert_eq!(moved, digests[2]);
    berth.delete(IMAGES, vec![by_digest(&digests[5])]).await;
    assert_eq!(check_every_image_page(&berth, 5).await, 11);
    assert_eq!(check_every_image_page(&berth, 100).await, 11);
}

#[tokio::test]
async fn list_pages_are_written_as_serde_json_writes_them() {
    use ecr_generated::types::{ListImagesRequest, ListImagesResponse};

    let berth = Berth::new();
    berth.repo(IMAGES).await;
    // Untagged, one tag, several tags (a page boundary falls inside an image).
    berth.push(IMAGES, "untagged", None).await;
    berth.push(IMAGES, "one", Some("v1.0_rc-1")).await;
    let several = berth.push(IMAGES, "several", Some("b")).await;
    for tag in ["a", "c", "latest"] {
        berth.push(IMAGES, "several", Some(tag)).await;
    }
    let mut token = None;
    let mut entries = Vec::new();
    loop {
        let request = ListImagesRequest {
            registry_id: None,
            repository_name: valid(IMAGES),
            next_token: token,
            max_results: Some(2),
            filter: None,
        };
        let Rendered::Json(json) = berth
            .ecr
            .list_images_rendered(&ctx(), request)
            .await
            .unwrap()
        else {
            panic!("a ListImages page is written as JSON");
        };
        let read: ListImagesResponse = serde_json::from_slice(&json).unwrap();
        assert_eq!(
            String::from_utf8(json).unwrap(),
            String::from_utf8(serde_json::to_vec(&read).unwrap()).unwrap()
        );
        entries.extend(images_support::pairs(&read.image_ids.unwrap()));
        match read.next_token {
            Some(next) => token = Some(next),
            None => break,
        }
    }
    assert_eq!(entries.len(), 6);
    let tags_of_several: Vec<_> = entries
        .iter()
        .filter(|(digest, _)| *digest == several)
        .map(|(_, tag)| tag.clone().unwrap())
        .collect();
    assert_eq!(tags_of_several, ["a", "b", "c", "latest"]);
    assert!(
        entries
            .iter()
            .any(|(_, tag)| tag.as_deref() == Some("v1.0_rc-1"))
    );
    assert!(entries.iter().any(|(_, tag)| tag.is_none()));
}
