//! ListImages (§7), DescribeImages (§8) and ListImageReferrers (§12) through the generated
//! service, in memory. Expected texts are written out here.

mod images_support;

use std::collections::BTreeMap;

use ecr_generated::types::{
    ArtifactStatus, ArtifactStatusFilter, ImageStatus, ListImageReferrersFilter,
    ListImageReferrersRequest, ListImageReferrersResponse, SubjectIdentifier, TagStatus,
};
use images_support::*;

const NAME: &str = "team/app";
const INVALID_TOKEN: &str =
    "Invalid parameter at 'nextToken' failed to satisfy constraint: 'Invalid NextToken'";

fn pause() {
    // Distinct push times (millisecond resolution).
    std::thread::sleep(std::time::Duration::from_millis(3));
}

/// Pushes an image of the shared layers, distinct by `n`, with `tags` (the first by the
/// push, the others by re-tagging); its digest.
async fn push_tagged(berth: &Berth, n: usize, tags: &[&str]) -> String {
    let config = digest_of("shared/config");
    let layer = digest_of("shared/layer");
    berth.link_layer(NAME, &config, 10).await;
    berth.link_layer(NAME, &layer, 20).await;
    let manifest = docker_manifest((&config, 10), &[(&layer, 20)], &n.to_string());
    berth
        .put(NAME, &manifest, tags.first().copied())
        .await
        .unwrap();
    for tag in tags.iter().skip(1) {
        berth.put(NAME, &manifest, Some(tag)).await.unwrap();
    }
    digest_of(&manifest)
}

fn entry(digest: &str, tag: Option<&str>) -> (String, Option<String>) {
    (digest.to_owned(), tag.map(str::to_owned))
}

#[tokio::test]
async fn one_entry_per_tag_by_push_time_then_tag_and_one_per_untagged_image() {
    let berth = Berth::new();
    berth.repo(NAME).await;
    let empty = berth.list(NAME, None, None, None).await.unwrap();
    assert_eq!(empty.image_ids, Some(vec![]));
    assert_eq!(empty.next_token, None);

    let first = push_tagged(&berth, 1, &["b", "c", "a"]).await;
    pause();
    let second = push_tagged(&berth, 2, &[]).await;
    pause();
    let third = push_tagged(&berth, 3, &["x"]).await;
    let all = vec![
        entry(&first, Some("a")),
        entry(&first, Some("b")),
        entry(&first, Some("c")),
        entry(&second, None),
        entry(&third, Some("x")),
    ];
    assert_eq!(berth.list_all(NAME, None, None).await, all);
    for page in 1..=6 {
        assert_eq!(
            berth.list_all(NAME, None, Some(page)).await,
            all,
            "pages of {page}"
        );
    }
    assert_eq!(
        berth
            .list_all(NAME, Some((Some(TagStatus::Tagged), None)), Some(2))
            .await,
        [&all[..3], &all[4..]].concat()
    );
    assert_eq!(
        berth
            .list_all(NAME, Some((Some(TagStatus::Untagged), None)), Some(1))
            .await,
        [entry(&second, None)]
    );
    assert_eq!(
        berth
            .list_all(NAME, Some((Some(TagStatus::Any), None)), None)
            .await,
        all
    );
}

#[tokio::test]
async fn pages_hold_one_hundred_entries_by_default() {
    let berth = Berth::new();
    berth.repo(NAME).await;
    for n in 0..101 {
        push_tagged(&berth, n, &[]).await;
    }
    let page = berth.list(NAME, None, None, None).await.unwrap();
    assert_eq!(page.image_ids.unwrap().len(), 100);
    let last = berth.list(NAME, None, None, page.next_token).await.unwrap();
    assert_eq!(last.image_ids.unwrap().len(), 1);
    assert_eq!(last.next_token, None);

    let page = berth.describe(NAME, None, None, None, None).await.unwrap();
    assert_eq!(page.image_details.unwrap().len(), 100);
    let last = berth
        .describe(NAME, None, None, None, page.next_token)
        .await
        .unwrap();
    assert_eq!(last.image_details.unwrap().len(), 1);
    assert_eq!(last.next_token, None);
}

#[tokio::test]
async fn a_token_berth_did_not_issue_is_invalid_parameter() {
    let berth = Berth::new();
    berth.repo(NAME).await;
    push_tagged(&berth, 1, &["a"]).await;
    for token in ["garbage", "", "berth-page-v1:1:abc"] {
        let (code, message) = failure(berth.list(NAME, None, None, Some(token.into())).await);
        assert_eq!(code, "InvalidParameterException", "{token}");
        assert_eq!(message, INVALID_TOKEN);
        let (code, message) = failure(
            berth
                .describe(NAME, None, None, None, Some(token.into()))
                .await,
        );
        assert_eq!(code, "InvalidParameterException", "{token}");
        assert_eq!(message, INVALID_TOKEN);
    }
}

#[tokio::test]
async fn a_token_survives_deletes_and_pushes_between_pages() {
    let berth = Berth::new();
    berth.repo(NAME).await;
    let one = push_tagged(&berth, 1, &["a", "b", "c"]).await;
    pause();
    let two = push_tagged(&berth, 2, &["d"]).await;
    let page = berth.list(NAME, None, Some(2), None).await.unwrap();
    assert_eq!(
        pairs(&page.image_ids.unwrap()),
        [entry(&one, Some("a")), entry(&one, Some("b"))]
    );
    // The tag the token names goes, and a new image arrives.
    berth.delete(NAME, vec![by_tag("b")]).await;
    pause();
    let three = push_tagged(&berth, 3, &["e"]).await;
    let mut rest = Vec::new();
    let mut token = page.next_token;
    while let Some(next) = token {
        let page = berth.list(NAME, None, Some(2), Some(next)).await.unwrap();
        rest.extend(pairs(&page.image_ids.unwrap()));
        token = page.next_token;
    }
    assert_eq!(
        rest,
        [
            entry(&one, Some("c")),
            entry(&two, Some("d")),
            entry(&three, Some("e"))
        ]
    );

    // The image a page ended with goes entirely.
    let page = berth.list(NAME, None, Some(2), None).await.unwrap();
    assert_eq!(
        pairs(&page.image_ids.unwrap()),
        [entry(&one, Some("a")), entry(&one, Some("c"))]
    );
    berth.delete(NAME, vec![by_digest(&one)]).await;
    let page = berth
        .list(NAME, None, Some(5), page.next_token)
        .await
        .unwrap();
    assert_eq!(
        pairs(&page.image_ids.unwrap()),
        [entry(&two, Some("d")), entry(&three, Some("e"))]
    );
}

#[tokio::test]
async fn a_detail_shows_what_ecr_shows() {
    let berth = Berth::new();
    berth.repo(NAME).await;
    let digest = push_tagged(&berth, 1, &["v2", "v1", "latest"]).await;
    let untagged = push_tagged(&berth, 2, &[]).await;
    let detail = berth.detail(NAME, by_tag("v1")).await;
    assert_eq!(detail.registry_id.as_deref(), Some(ACCOUNT));
    assert_eq!(detail.repository_name.as_deref(), Some(NAME));
    assert_eq!(detail.image_digest.as_deref(), Some(digest.as_str()));
    // In the order they were added.
    let tags: Vec<&str> = detail
        .image_tags
        .iter()
        .flatten()
        .map(|t| t.as_str())
        .collect();
    assert_eq!(tags, ["v2", "v1", "latest"]);
    assert_eq!(detail.image_size_in_bytes, Some(30));
    assert!(detail.image_pushed_at.is_some());
    assert_eq!(
        detail.image_manifest_media_type.as_deref(),
        Some(DOCKER_MANIFEST)
    );
    assert_eq!(detail.artifact_media_type.as_deref(), Some(DOCKER_CONFIG));
    assert_eq!(detail.image_status, Some(ImageStatus::Active));
    assert_eq!(detail.last_recorded_pull_time, None);
    assert_eq!(detail.subject_manifest_digest, None);
    assert_eq!(detail.image_scan_status, None);
    assert_eq!(detail.image_scan_findings_summary, None);
    assert_eq!(detail.last_archived_at, None);

    let detail = berth.detail(NAME, by_digest(&untagged)).await;
    assert_eq!(detail.image_tags, None);

    // By several identifiers of one image: one detail.
    let response = berth
        .describe(
            NAME,
            Some(vec![
                by_tag("v1"),
                by_digest(&digest),
                by_both(&digest, "latest"),
            ]),
            None,
            None,
            None,
        )
        .await
        .unwrap();
    assert_eq!(response.image_details.unwrap().len(), 1);
    assert_eq!(response.next_token, None);

    // Pages: tag filters, no token on the last page.
    let page = berth
        .describe(
            NAME,
            None,
            Some((Some(TagStatus::Untagged), None)),
            None,
            None,
        )
        .await
        .unwrap();
    let digests: Vec<String> = page
        .image_details
        .unwrap()
        .into_iter()
        .map(|d| d.image_digest.unwrap())
        .collect();
    assert_eq!(digests, [untagged]);
    assert_eq!(page.next_token, None);
}

#[tokio::test]
async fn describing_by_identifier_fails_whole_on_a_missing_image_or_a_bad_member() {
    let berth = Berth::new();
    berth.repo(NAME).await;
    let digest = push_tagged(&berth, 1, &["v1"]).await;
    let unknown = digest_of("unknown");
    let not_found = |id: &str| {
        format!(
            "The image with imageId {id} does not exist within the repository with name \
             '{NAME}' in the registry with id '{ACCOUNT}'"
        )
    };
    for (id, text) in [
        (
            by_tag("28f3d25"),
            "{imageDigest:'null', imageTag:'28f3d25'}".to_owned(),
        ),
        (
            by_digest(&unknown),
            format!("{{imageDigest:'{unknown}', imageTag:'null'}}"),
        ),
        (
            by_both(&digest, "other"),
            format!("{{imageDigest:'{digest}', imageTag:'other'}}"),
        ),
    ] {
        let (code, message) = failure(
            berth
                .describe(NAME, Some(vec![by_tag("v1"), id]), None, None, None)
                .await,
        );
        assert_eq!(code, "ImageNotFoundException");
        assert_eq!(message, not_found(&text));
    }
    let (code, message) = failure(
        berth
            .describe(NAME, Some(vec![by_tag("bad tag")]), None, None, None)
            .await,
    );
    assert_eq!(code, "InvalidParameterException");
    assert_eq!(
        message,
        "Invalid parameter at 'imageTag' failed to satisfy constraint: 'must satisfy regular \
         expression '[a-zA-Z0-9-_.]+''"
    );
    let (code, message) = failure(
        berth
            .describe(NAME, Some(vec![by_digest("sha256:xyz")]), None, None, None)
            .await,
    );
    assert_eq!(code, "InvalidParameterException");
    assert_eq!(
        message,
        "Invalid parameter at 'imageDigest' failed to satisfy constraint: 'must satisfy regular \
         expression '[a-zA-Z0-9-_+.]+:[a-fA-F0-9]+''"
    );
    let (code, message) = failure(
        berth
            .describe(NAME, Some(vec![by_tag("v1")]), None, Some(5), None)
            .await,
    );
    assert_eq!(code, "InvalidParameterException");
    assert_eq!(
        message,
        "Invalid parameter at 'maxResults' failed to satisfy constraint: 'maxResults cannot be \
         specified together with imageIds'"
    );
    let (code, _) = failure(
        berth
            .describe(NAME, Some(vec![by_tag("v1")]), None, None, Some("t".into()))
            .await,
    );
    assert_eq!(code, "InvalidParameterException");
    let (code, message) = failure(berth.describe("missing", None, None, None, None).await);
    assert_eq!(code, "RepositoryNotFoundException");
    assert_eq!(message, not_found_message("missing"));
}

async fn referrers(
    berth: &Berth,
    subject: &str,
    filter: Option<ListImageReferrersFilter>,
    max_results: Option<i32>,
    next_token: Option<String>,
) -> ListImageReferrersResponse {
    let request = ListImageReferrersRequest {
        registry_id: None,
        repository_name: valid(NAME),
        subject_id: SubjectIdentifier {
            image_digest: subject.to_owned(),
        },
        filter,
        next_token,
        max_results,
    };
    berth
        .ecr
        .list_image_referrers(&ctx(), request)
        .await
        .expect("ListImageReferrers answers")
}

/// An OCI artifact of `artifact_type` about `subject`, on the empty config.
fn artifact(artifact_type: &str, subject: &str, note: &str) -> String {
    format!(
        r#"{{"schemaVersion":2,"mediaType":"{OCI_MANIFEST}","artifactType":"{artifact_type}","config":{{"mediaType":"application/vnd.oci.empty.v1+json","digest":"{EMPTY}","size":2}},"layers":[],"subject":{{"mediaType":"{OCI_MANIFEST}","digest":"{subject}","size":100}},"annotations":{{"note":"{note}"}}}}"#
    )
}

const EMPTY: &str = "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a";

#[tokio::test]
async fn the_referrers_of_a_subject_with_what_oci_shows_of_them() {
    let berth = Berth::new();
    berth.repo(NAME).await;
    berth.link_layer(NAME, EMPTY, 2).await;
    berth
        .link_layer(
            NAME,
            "sha256:f3a2b1c0d9e8f7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a2",
            24117,
        )
        .await;
    let fixture = include_str!("../src/images/testdata/oci-artifact.json");
    berth.put(NAME, fixture, None).await.unwrap();
    let fixture_subject = "sha256:4a7c1e0b2d9f8e6a5c3b1d0f9e8a7c6b5d4f3e2a1c0b9d8e7f6a5c4b3d2e1f0a";
    let response = referrers(&berth, fixture_subject, None, None, None).await;
    assert_eq!(response.next_token, None);
    let found = response.referrers.unwrap();
    assert_eq!(found.len(), 1);
    let referrer = &found[0];
    assert_eq!(referrer.digest, digest_of(fixture));
    assert_eq!(referrer.media_type, OCI_MANIFEST);
    assert_eq!(
        referrer.artifact_type.as_deref(),
        Some("application/spdx+json")
    );
    assert_eq!(referrer.size, fixture.len() as i64);
    assert_eq!(
        referrer.annotations,
        Some(BTreeMap::from([(
            "org.opencontainers.image.created".to_owned(),
            "2026-11-30T09:15:02Z".to_owned()
        )]))
    );
    assert_eq!(referrer.artifact_status, Some(ArtifactStatus::Active));

    // Several referrers of a pushed image, by type, page by page.
    let subject = push_tagged(&berth, 1, &["v1"]).await;
    let mut digests = Vec::new();
    for (n, artifact_type) in [
        "application/spdx+json",
        "application/vnd.dev.sig",
        "application/spdx+json",
    ]
    .into_iter()
    .enumerate()
    {
        let manifest = artifact(artifact_type, &subject, &n.to_string());
        berth.put(NAME, &manifest, None).await.unwrap();
        digests.push(digest_of(&manifest));
    }
    digests.sort();
    let mut seen = Vec::new();
    let mut token = None;
    loop {
        let page = referrers(&berth, &subject, None, Some(1), token).await;
        let page_referrers = page.referrers.unwrap();
        assert!(page_referrers.len() <= 1);
        seen.extend(page_referrers.into_iter().map(|r| r.digest));
        match page.next_token {
            Some(next) => token = Some(next),
            None => break,
        }
    }
    assert_eq!(seen, digests);
    let signatures = referrers(
        &berth,
        &subject,
        Some(ListImageReferrersFilter {
            artifact_types: Some(vec![valid("application/vnd.dev.sig")]),
            artifact_status: None,
        }),
        None,
        None,
    )
    .await;
    assert_eq!(signatures.referrers.unwrap().len(), 1);

    // Archived referrers show only when asked for.
    let archived = digests[0].clone();
    berth
        .set_storage_class(
            NAME,
            by_digest(&archived),
            ecr_generated::types::TargetStorageClass::Archive,
        )
        .await
        .unwrap();
    let active = referrers(&berth, &subject, None, None, None).await;
    assert_eq!(active.referrers.unwrap().len(), 2);
    let only_archived = referrers(
        &berth,
        &subject,
        Some(ListImageReferrersFilter {
            artifact_types: None,
            artifact_status: Some(ArtifactStatusFilter::Archived),
        }),
        None,
        None,
    )
    .await
    .referrers
    .unwrap();
    assert_eq!(only_archived.len(), 1);
    assert_eq!(only_archived[0].digest, archived);
    assert_eq!(
        only_archived[0].artifact_status,
        Some(ArtifactStatus::Archived)
    );

    // A subject with no referrers, or a digest no image can have: an empty list.
    let none = referrers(
        &berth,
        &digest_of("nothing refers to this"),
        None,
        None,
        None,
    )
    .await;
    assert_eq!(none.referrers, Some(vec![]));
    let none = referrers(&berth, "md5:abc", None, None, None).await;
    assert_eq!(none.referrers, Some(vec![]));
}

#[tokio::test]
async fn referrer_pages_refuse_foreign_tokens_and_bad_digests() {
    let berth = Berth::new();
    berth.repo(NAME).await;
    let request = |digest: &str, token: Option<&str>| ListImageReferrersRequest {
        registry_id: None,
        repository_name: valid(NAME),
        subject_id: SubjectIdentifier {
            image_digest: digest.to_owned(),
        },
        filter: None,
        next_token: token.map(str::to_owned),
        max_results: None,
    };
    let subject = digest_of("s");
    let (code, message) = failure(
        berth
            .ecr
            .list_image_referrers(&ctx(), request(&subject, Some("garbage")))
            .await,
    );
    assert_eq!(code, "InvalidParameterException");
    assert_eq!(message, INVALID_TOKEN);
    let (code, _) = failure(
        berth
            .ecr
            .list_image_referrers(&ctx(), request("not a digest", None))
            .await,
    );
    assert_eq!(code, "InvalidParameterException");
}
