//! PutImage (`ecr-behaviour-images.md` §4, §9) through the generated service, in memory.
//! Expected texts are written out here, never taken from `messages`.

mod images_support;

use ecr_generated::types::{ImageTagMutability, TagStatus};
use images_support::*;

const NAME: &str = "team/app";

fn layers_not_found(digests: &[&str]) -> String {
    format!(
        "Layers with digests '[{}]' required for pushing image into repository with name '{NAME}' \
         in the registry with id '{ACCOUNT}' do not exist",
        digests.join(", ")
    )
}

#[tokio::test]
async fn the_digest_is_the_sha256_of_the_exact_bytes_which_come_back_unchanged() {
    let berth = Berth::new();
    berth.repo(NAME).await;
    let fixture = include_str!("../src/images/testdata/docker-image.json");
    for (digest, size) in [
        (
            "sha256:b5b2b2c507a0944348e0303114d8d93aaaa081732b86451d9bce1f432a537bc7",
            7023,
        ),
        (
            "sha256:e692418e4cbaf90ca69d05a66403747baa33ee08806650b51fab815ad7fc331f",
            32654,
        ),
        (
            "sha256:3c3a4604a545cdc127456d94e421cd355bca5b528f4a9c1905b15da2eb4a4c6b",
            16724,
        ),
        (
            "sha256:ec4b8955958665577945c89419d1af06b5f7636b4ac3da7f12184802ad867736",
            73109,
        ),
    ] {
        berth.link_layer(NAME, digest, size).await;
    }
    let response = berth.put(NAME, fixture, Some("v1")).await.unwrap();
    let image = response.image.unwrap();
    // `sha256sum src/images/testdata/docker-image.json`
    let expected = "sha256:5ecb960959e5c327aa07289a2b199b4e707d9dd5e50dbb82fe890734355bc871";
    let id = image.image_id.unwrap();
    assert_eq!(id.image_digest.as_deref(), Some(expected));
    assert_eq!(id.image_tag.as_deref(), Some("v1"));
    assert_eq!(image.registry_id.as_deref(), Some(ACCOUNT));
    assert_eq!(image.repository_name.as_deref(), Some(NAME));
    assert_eq!(image.image_manifest.as_deref(), Some(fixture));
    assert_eq!(
        image.image_manifest_media_type.as_deref(),
        Some(DOCKER_MANIFEST)
    );

    // The same JSON with a trailing newline is another image; both come back byte for byte.
    let with_newline = format!("{fixture}\n");
    let other = berth.put(NAME, &with_newline, None).await.unwrap();
    let other_digest = other.image.unwrap().image_id.unwrap().image_digest.unwrap();
    assert_eq!(other_digest, digest_of(&with_newline));
    assert_ne!(other_digest, expected);
    let got = berth
        .get(NAME, vec![by_digest(expected), by_digest(&other_digest)])
        .await;
    let manifests: Vec<String> = got
        .images
        .unwrap()
        .into_iter()
        .map(|image| image.image_manifest.unwrap().to_string())
        .collect();
    assert_eq!(manifests, [fixture.to_owned(), with_newline]);
}

#[tokio::test]
async fn an_untagged_push_answers_no_tag() {
    let berth = Berth::new();
    berth.repo(NAME).await;
    let config = digest_of("c");
    berth.link_layer(NAME, &config, 5).await;
    let manifest = docker_manifest((&config, 5), &[], "untagged");
    let image = berth
        .put(NAME, &manifest, None)
        .await
        .unwrap()
        .image
        .unwrap();
    let id = image.image_id.unwrap();
    assert_eq!(id.image_tag, None);
    assert_eq!(id.image_digest, Some(digest_of(&manifest)));
}

#[tokio::test]
async fn every_missing_layer_is_named_and_nothing_is_stored() {
    let berth = Berth::new();
    berth.repo(NAME).await;
    berth.repo("elsewhere").await;
    let (config, present, absent, other_repo) = (
        digest_of("config"),
        digest_of("present"),
        digest_of("absent"),
        digest_of("in another repository"),
    );
    berth.link_layer(NAME, &present, 1).await;
    berth.link_layer("elsewhere", &other_repo, 1).await;
    let manifest = docker_manifest(
        (&config, 1),
        &[(&present, 1), (&absent, 1), (&other_repo, 1)],
        "x",
    );
    let (code, message) = failure(berth.put(NAME, &manifest, Some("v1")).await);
    assert_eq!(code, "LayersNotFoundException");
    assert_eq!(message, layers_not_found(&[&config, &absent, &other_repo]));
    assert!(berth.list_all(NAME, None, None).await.is_empty());
    // Nothing was labelled either.
    assert_eq!(berth.layer(NAME, &present).await.unwrap().media_type, None);
}

#[tokio::test]
async fn a_push_labels_its_unlabelled_layers_with_the_manifests_media_types() {
    let berth = Berth::new();
    berth.repo(NAME).await;
    let (config, layer) = (digest_of("config"), digest_of("layer"));
    berth.link_layer(NAME, &config, 2777).await;
    berth.link_layer(NAME, &layer, 775).await;
    let manifest = docker_manifest((&config, 2777), &[(&layer, 775)], "first");
    berth.put(NAME, &manifest, Some("v1")).await.unwrap();
    let config_row = berth.layer(NAME, &config).await.unwrap();
    assert_eq!(config_row.media_type.as_deref(), Some(DOCKER_CONFIG));
    assert_eq!(config_row.size, 2777);
    assert_eq!(
        berth
            .layer(NAME, &layer)
            .await
            .unwrap()
            .media_type
            .as_deref(),
        Some(DOCKER_LAYER)
    );
    // A later manifest naming the config with another type does not relabel it.
    let oci = format!(
        r#"{{"schemaVersion":2,"mediaType":"{OCI_MANIFEST}","config":{{"mediaType":"application/vnd.oci.image.config.v1+json","size":2777,"digest":"{config}"}},"layers":[]}}"#
    );
    berth.put(NAME, &oci, Some("oci")).await.unwrap();
    assert_eq!(
        berth
            .layer(NAME, &config)
            .await
            .unwrap()
            .media_type
            .as_deref(),
        Some(DOCKER_CONFIG)
    );
}

#[tokio::test]
async fn an_index_needs_its_images_and_is_as_large_as_the_largest() {
    let berth = Berth::new();
    berth.repo(NAME).await;
    let small = berth.push(NAME, "small", None).await; // 10 + 20
    let (config, layer) = (digest_of("big/config"), digest_of("big/layer"));
    berth.link_layer(NAME, &config, 100).await;
    berth.link_layer(NAME, &layer, 900).await;
    let big_manifest = docker_manifest((&config, 100), &[(&layer, 900)], "big");
    berth.put(NAME, &big_manifest, None).await.unwrap();
    let big = digest_of(&big_manifest);
    let missing = digest_of("never pushed");

    let list = docker_list(&[&small, &missing, &big]);
    let (code, message) = failure(berth.put(NAME, &list, Some("multi")).await);
    assert_eq!(code, "ReferencedImagesNotFoundException");
    assert_eq!(
        message,
        format!(
            "Images with digests '[{missing}]' required for pushing image into repository with \
             name '{NAME}' in the registry with id '{ACCOUNT}' do not exist"
        )
    );
    assert_eq!(berth.list_all(NAME, None, None).await.len(), 2);

    let list = docker_list(&[&small, &big]);
    let image = berth
        .put(NAME, &list, Some("multi"))
        .await
        .unwrap()
        .image
        .unwrap();
    assert_eq!(
        image.image_manifest_media_type.as_deref(),
        Some(DOCKER_LIST)
    );
    let detail = berth.detail(NAME, by_tag("multi")).await;
    assert_eq!(detail.image_size_in_bytes, Some(1000));
    assert_eq!(detail.artifact_media_type, None);
    assert_eq!(
        detail.image_manifest_media_type.as_deref(),
        Some(DOCKER_LIST)
    );
}

#[tokio::test]
async fn the_size_is_the_config_plus_the_layers_as_declared() {
    // AWS's CLI examples: describe-images of cluster-autoscaler:v1.13.6 says 48318255, the sum
    // of the sizes its manifest declares in the batch-get-image example.
    let berth = Berth::new();
    berth.repo(NAME).await;
    let config = (digest_of("config"), 2777);
    let layers = [
        (digest_of("l1"), 17743696),
        (digest_of("l2"), 2565026),
        (digest_of("l3"), 28005981),
        (digest_of("l4"), 775),
    ];
    berth.link_layer(NAME, &config.0, 1).await;
    for (digest, _) in &layers {
        // The stored blob's own size does not matter: the manifest's declaration does.
        berth.link_layer(NAME, digest, 1).await;
    }
    let declared: Vec<(&str, u64)> = layers.iter().map(|(d, s)| (d.as_str(), *s)).collect();
    let manifest = docker_manifest((&config.0, config.1), &declared, "autoscaler");
    berth.put(NAME, &manifest, Some("v1.13.6")).await.unwrap();
    let detail = berth.detail(NAME, by_tag("v1.13.6")).await;
    assert_eq!(detail.image_size_in_bytes, Some(48318255));
    assert_eq!(detail.artifact_media_type.as_deref(), Some(DOCKER_CONFIG));
}

#[tokio::test]
async fn the_same_manifest_again_is_image_already_exists_with_its_tag_or_null() {
    let berth = Berth::new();
    berth.repo(NAME).await;
    let config = digest_of("c");
    berth.link_layer(NAME, &config, 5).await;
    let manifest = docker_manifest((&config, 5), &[], "same");
    let digest = digest_of(&manifest);
    berth.put(NAME, &manifest, Some("v1")).await.unwrap();

    let (code, message) = failure(berth.put(NAME, &manifest, Some("v1")).await);
    assert_eq!(code, "ImageAlreadyExistsException");
    assert_eq!(
        message,
        format!(
            "Image with digest '{digest}' and tag 'v1' already exists in the repository with name \
             '{NAME}' in registry with id '{ACCOUNT}'"
        )
    );
    let (code, message) = failure(berth.put(NAME, &manifest, None).await);
    assert_eq!(code, "ImageAlreadyExistsException");
    assert_eq!(
        message,
        format!(
            "Image with digest '{digest}' and tag 'null' already exists in the repository with \
             name '{NAME}' in registry with id '{ACCOUNT}'"
        )
    );
}

#[tokio::test]
async fn a_new_tag_on_a_stored_manifest_adds_it_and_keeps_the_push_time() {
    let berth = Berth::new();
    berth.repo(NAME).await;
    let digest = berth.push(NAME, "app", Some("v1")).await;
    let before = berth.detail(NAME, by_digest(&digest)).await;
    std::thread::sleep(std::time::Duration::from_millis(5));
    let manifest = berth
        .get(NAME, vec![by_digest(&digest)])
        .await
        .images
        .unwrap()[0]
        .image_manifest
        .clone()
        .unwrap();
    let image = berth
        .put(NAME, &manifest, Some("latest"))
        .await
        .unwrap()
        .image
        .unwrap();
    assert_eq!(image.image_id.unwrap().image_tag.as_deref(), Some("latest"));
    let after = berth.detail(NAME, by_digest(&digest)).await;
    assert_eq!(after.image_pushed_at, before.image_pushed_at);
    let tags: Vec<String> = after
        .image_tags
        .unwrap()
        .iter()
        .map(|t| t.to_string())
        .collect();
    assert_eq!(tags, ["v1", "latest"]);
}

#[tokio::test]
async fn in_a_mutable_repository_a_tag_moves_and_the_old_image_stays_untagged() {
    let berth = Berth::new();
    berth.repo(NAME).await;
    let old = berth.push(NAME, "old", Some("latest")).await;
    let new = berth.push(NAME, "new", Some("latest")).await;
    let tagged = berth
        .list_all(NAME, Some((Some(TagStatus::Tagged), None)), None)
        .await;
    assert_eq!(tagged, [(new.clone(), Some("latest".to_owned()))]);
    let untagged = berth
        .list_all(NAME, Some((Some(TagStatus::Untagged), None)), None)
        .await;
    assert_eq!(untagged, [(old.clone(), None)]);
    assert_eq!(berth.detail(NAME, by_digest(&old)).await.image_tags, None);

    // An image with another tag keeps it.
    berth.push(NAME, "third", Some("v1")).await;
    let third = digest_of(&docker_manifest(
        (&digest_of("third/config"), 10),
        &[(&digest_of("third/layer"), 20)],
        "third",
    ));
    let manifest = berth
        .get(NAME, vec![by_digest(&third)])
        .await
        .images
        .unwrap()[0]
        .image_manifest
        .clone()
        .unwrap();
    berth.put(NAME, &manifest, Some("latest")).await.unwrap();
    let tags: Vec<String> = berth
        .detail(NAME, by_digest(&third))
        .await
        .image_tags
        .unwrap()
        .iter()
        .map(|t| t.to_string())
        .collect();
    assert_eq!(tags, ["v1", "latest"]);
    assert_eq!(berth.detail(NAME, by_digest(&new)).await.image_tags, None);
}

fn immutable_message(tag: &str) -> String {
    format!(
        "The image tag '{tag}' already exists in the '{NAME}' repository and cannot be \
         overwritten because the tag is immutable."
    )
}

#[tokio::test]
async fn an_immutable_tag_never_moves_and_the_refused_image_is_not_stored() {
    let berth = Berth::new();
    berth
        .repo_with(NAME, ImageTagMutability::Immutable, &[])
        .await;
    let first = berth.push(NAME, "first", Some("v1")).await;
    let config = digest_of("second/config");
    berth.link_layer(NAME, &config, 1).await;
    let second = docker_manifest((&config, 1), &[], "second");
    let (code, message) = failure(berth.put(NAME, &second, Some("v1")).await);
    assert_eq!(code, "ImageTagAlreadyExistsException");
    assert_eq!(message, immutable_message("v1"));
    assert_eq!(
        berth.list_all(NAME, None, None).await,
        [(first.clone(), Some("v1".to_owned()))]
    );
    // The same manifest and tag is ImageAlreadyExists (rule 7 first).
    let manifest = berth.get(NAME, vec![by_tag("v1")]).await.images.unwrap()[0]
        .image_manifest
        .clone()
        .unwrap();
    let (code, _) = failure(berth.put(NAME, &manifest, Some("v1")).await);
    assert_eq!(code, "ImageAlreadyExistsException");
    // New tags may be added; a deleted tag may be reused.
    berth.put(NAME, &manifest, Some("extra")).await.unwrap();
    berth.put(NAME, &second, Some("v2")).await.unwrap();
    berth.delete(NAME, vec![by_tag("v1")]).await;
    berth.put(NAME, &second, Some("v1")).await.unwrap();
    assert_eq!(
        berth.detail(NAME, by_tag("v1")).await.image_digest,
        Some(digest_of(&second))
    );
}

#[tokio::test]
async fn exclusion_filters_pick_the_tags_that_behave_the_other_way() {
    let berth = Berth::new();
    berth
        .repo_with(
            NAME,
            ImageTagMutability::ImmutableWithExclusion,
            &["latest", "dev-*"],
        )
        .await;
    for tag in ["latest", "dev-1", "dev-", "v1", "xdev-1"] {
        berth.push(NAME, &format!("a-{tag}"), Some(tag)).await;
    }
    for tag in ["latest", "dev-1", "dev-"] {
        berth.push(NAME, &format!("b-{tag}"), Some(tag)).await;
    }
    for tag in ["v1", "xdev-1"] {
        let config = digest_of(&format!("c-{tag}"));
        berth.link_layer(NAME, &config, 1).await;
        let manifest = docker_manifest((&config, 1), &[], tag);
        let (code, message) = failure(berth.put(NAME, &manifest, Some(tag)).await);
        assert_eq!(code, "ImageTagAlreadyExistsException", "{tag}");
        assert_eq!(message, immutable_message(tag));
    }

    let other = "team/other";
    berth
        .repo_with(
            other,
            ImageTagMutability::MutableWithExclusion,
            &["release-*"],
        )
        .await;
    berth.push(other, "r1", Some("release-1")).await;
    berth.push(other, "l1", Some("latest")).await;
    berth.push(other, "l2", Some("latest")).await;
    let config = digest_of("r2");
    berth.link_layer(other, &config, 1).await;
    let manifest = docker_manifest((&config, 1), &[], "r2");
    let (code, _) = failure(berth.put(other, &manifest, Some("release-1")).await);
    assert_eq!(code, "ImageTagAlreadyExistsException");
    // A new matching tag is always allowed.
    berth
        .put(other, &manifest, Some("release-2"))
        .await
        .unwrap();
}

#[tokio::test]
async fn the_thousand_and_first_tag_of_an_image_is_refused() {
    let berth = Berth::new();
    berth.repo(NAME).await;
    let digest = berth.push(NAME, "busy", Some("t0")).await;
    let manifest = berth
        .get(NAME, vec![by_digest(&digest)])
        .await
        .images
        .unwrap()[0]
        .image_manifest
        .clone()
        .unwrap();
    for n in 1..1000 {
        berth
            .put(NAME, &manifest, Some(&format!("t{n}")))
            .await
            .unwrap();
    }
    let (code, message) = failure(berth.put(NAME, &manifest, Some("t1000")).await);
    assert_eq!(code, "LimitExceededException");
    assert_eq!(
        message,
        format!(
            "Adding tag 't1000' to an image in the repository with name '{NAME}' in registry with \
             id '{ACCOUNT}' exceeds the maximum allowed number of tags per image which is '1000'"
        )
    );
    let tags = berth
        .detail(NAME, by_digest(&digest))
        .await
        .image_tags
        .unwrap();
    assert_eq!(tags.len(), 1000);
    assert!(!tags.iter().any(|tag| tag.as_str() == "t1000"));
}

#[tokio::test]
async fn input_rules_come_first_then_the_repository_then_the_manifest() {
    let berth = Berth::new();
    berth.repo(NAME).await;
    let config = digest_of("c");
    berth.link_layer(NAME, &config, 5).await;
    let manifest = docker_manifest((&config, 5), &[], "rules");

    let (code, message) = failure(berth.put(NAME, &manifest, Some("bad tag")).await);
    assert_eq!(code, "InvalidParameterException");
    assert_eq!(
        message,
        "Invalid parameter at 'imageTag' failed to satisfy constraint: 'must satisfy regular \
         expression '[a-zA-Z0-9-_.]+''"
    );
    let mut request = put_request(NAME, &manifest, None);
    request.image_digest = Some("sha256:xyz".into());
    let (code, message) = failure(berth.ecr.put_image(&ctx(), request).await);
    assert_eq!(code, "InvalidParameterException");
    assert_eq!(
        message,
        "Invalid parameter at 'imageDigest' failed to satisfy constraint: 'must satisfy regular \
         expression '[a-zA-Z0-9-_+.]+:[a-fA-F0-9]+''"
    );

    // A manifest Berth cannot read, sent to no repository: the repository is reported.
    let (code, message) = failure(berth.put("missing", "not json", None).await);
    assert_eq!(code, "RepositoryNotFoundException");
    assert_eq!(message, not_found_message("missing"));
    let (code, message) = failure(berth.put(NAME, "not json", None).await);
    assert_eq!(code, "InvalidParameterException");
    assert_eq!(
        message,
        "Invalid parameter at 'ImageManifest' failed to satisfy constraint: 'Invalid JSON syntax'"
    );

    let wrong = digest_of("something else");
    let mut request = put_request(NAME, &manifest, None);
    request.image_digest = Some(wrong.clone());
    let (code, message) = failure(berth.ecr.put_image(&ctx(), request).await);
    assert_eq!(code, "ImageDigestDoesNotMatchException");
    assert_eq!(
        message,
        format!(
            "The image digest '{wrong}' does not match the digest '{}' of the manifest",
            digest_of(&manifest)
        )
    );
    // The right digest, in uppercase hex, is accepted.
    let mut request = put_request(NAME, &manifest, None);
    request.image_digest = Some(
        digest_of(&manifest)
            .to_uppercase()
            .replace("SHA256", "sha256"),
    );
    berth.ecr.put_image(&ctx(), request).await.unwrap();

    let mut request = put_request(NAME, &manifest, Some("v1"));
    request.registry_id = Some(valid(OTHER_ACCOUNT));
    let (code, _) = failure(berth.ecr.put_image(&ctx(), request).await);
    assert_eq!(code, "AccessDeniedException");

    assert_eq!(berth.list_all(NAME, None, None).await.len(), 1);
}

#[tokio::test]
async fn an_oci_artifact_names_its_type_and_its_subject() {
    let berth = Berth::new();
    berth.repo(NAME).await;
    let artifact = include_str!("../src/images/testdata/oci-artifact.json");
    berth
        .link_layer(
            NAME,
            "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a",
            2,
        )
        .await;
    berth
        .link_layer(
            NAME,
            "sha256:f3a2b1c0d9e8f7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a2",
            24117,
        )
        .await;
    // The subject need not exist.
    let image = berth
        .put(NAME, artifact, None)
        .await
        .unwrap()
        .image
        .unwrap();
    assert_eq!(
        image.image_manifest_media_type.as_deref(),
        Some(OCI_MANIFEST)
    );
    // `sha256sum src/images/testdata/oci-artifact.json`
    let digest = "sha256:6b5b6458fc1eeb8c868e56617612f74fa4ecad2ccbcb0adcb1b9642a23b71818";
    let detail = berth.detail(NAME, by_digest(digest)).await;
    assert_eq!(
        detail.artifact_media_type.as_deref(),
        Some("application/spdx+json")
    );
    assert_eq!(
        detail.subject_manifest_digest.as_deref(),
        Some("sha256:4a7c1e0b2d9f8e6a5c3b1d0f9e8a7c6b5d4f3e2a1c0b9d8e7f6a5c4b3d2e1f0a")
    );
    assert_eq!(detail.image_size_in_bytes, Some(2 + 24117));
}

/// Links every blob `manifest` names, at the size it declares.
async fn link_all(berth: &Berth, name: &str, manifest: &str) {
    let json: serde_json::Value = serde_json::from_str(manifest).unwrap();
    let layers = json["layers"].as_array().unwrap();
    for descriptor in std::iter::once(&json["config"]).chain(layers) {
        let digest = descriptor["digest"].as_str().unwrap();
        berth
            .link_layer(name, digest, descriptor["size"].as_u64().unwrap())
            .await;
    }
}

#[tokio::test]
async fn aws_cli_examples_get_their_real_digests_and_size() {
    // The manifests of AWS's CLI examples `put-image` and `batch-get-image`, exactly as their
    // outputs return them (the first ends in a newline); the digests are those outputs'.
    let berth = Berth::new();
    berth.repo("hello-world").await;
    let hello = include_str!("../src/images/testdata/aws-cli-put-image.json");
    link_all(&berth, "hello-world", hello).await;
    let image = berth
        .put("hello-world", hello, Some("2019.08"))
        .await
        .unwrap()
        .image
        .unwrap();
    let id = image.image_id.unwrap();
    assert_eq!(
        id.image_digest.as_deref(),
        Some("sha256:8ece96b74f87652876199d83bd107d0435a196133af383ac54cb82b6cc5283ae")
    );
    assert_eq!(id.image_tag.as_deref(), Some("2019.08"));
    assert_eq!(image.image_manifest.as_deref(), Some(hello));

    berth.repo("cluster-autoscaler").await;
    let autoscaler = include_str!("../src/images/testdata/aws-cli-batch-get-image.json");
    link_all(&berth, "cluster-autoscaler", autoscaler).await;
    berth
        .put("cluster-autoscaler", autoscaler, Some("v1.13.6"))
        .await
        .unwrap();
    let got = berth
        .get("cluster-autoscaler", vec![by_tag("v1.13.6")])
        .await;
    let image = &got.images.unwrap()[0];
    let digest = "sha256:4a1c6567c38904384ebc64e35b7eeddd8451110c299e3368d2210066487d97e5";
    assert_eq!(
        pairs(&[image.image_id.clone().unwrap()]),
        [(digest.to_owned(), Some("v1.13.6".to_owned()))]
    );
    assert_eq!(image.image_manifest.as_deref(), Some(autoscaler));
    // describe-images of the same image says 48318255.
    let detail = berth.detail("cluster-autoscaler", by_tag("v1.13.6")).await;
    assert_eq!(detail.image_size_in_bytes, Some(48318255));
    // batch-check-layer-availability reports its config with the config's media type.
    let config = berth
        .layer(
            "cluster-autoscaler",
            "sha256:6171c7451a50945f8ddd72f7732cc04d7a0d1f48138a426b2e64387fdeb834ed",
        )
        .await
        .unwrap();
    assert_eq!(config.size, 2777);
    assert_eq!(config.media_type.as_deref(), Some(DOCKER_CONFIG));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_pushes_of_one_immutable_tag_store_exactly_one_image() {
    let berth = std::sync::Arc::new(Berth::new());
    berth
        .repo_with(NAME, ImageTagMutability::Immutable, &[])
        .await;
    let config = digest_of("c");
    berth.link_layer(NAME, &config, 1).await;
    let pushes: Vec<_> = (0..16)
        .map(|n| {
            let berth = berth.clone();
            let config = config.clone();
            tokio::spawn(async move {
                let manifest = docker_manifest((&config, 1), &[], &n.to_string());
                berth.put(NAME, &manifest, Some("release")).await
            })
        })
        .collect();
    let mut stored = 0;
    for push in pushes {
        match push.await.unwrap() {
            Ok(_) => stored += 1,
            Err(error) => assert_eq!(
                failure::<(), _>(Err(error)).0,
                "ImageTagAlreadyExistsException"
            ),
        }
    }
    assert_eq!(stored, 1);
    assert_eq!(berth.list_all(NAME, None, None).await.len(), 1);
}

#[tokio::test]
async fn a_failing_backend_is_a_server_error_not_a_client_one() {
    let store = store_suite::TestStore::new(ecr_impl::store::memory::MemoryMeta::new())
        .unavailable("disk gone");
    let ecr = ecr_impl::Ecr::with_store(store);
    let (code, message) = failure(
        ecr.put_image(&ctx(), put_request(NAME, "{}", Some("v1")))
            .await,
    );
    assert_eq!(code, "ServerException");
    assert!(message.contains("disk gone"), "{message}");
}
