//! Images and layers through the AWS SDK for Rust: a layer pushed in parts, an OCI image put
//! and read back byte for byte, the SDK's paginators over ListImages and DescribeImages, and
//! modeled errors the SDK turns into typed variants. Expected values come from
//! `shared/docs/ecr-behaviour-images.md`; digests are computed here with sha2.

mod support;

use aws_sdk_ecr::Client;
use aws_sdk_ecr::primitives::Blob;
use aws_sdk_ecr::types::{ImageIdentifier, LayerAvailability};
use sha2::{Digest, Sha256};
use support::sdk::*;

const PART: usize = 10 * 1024 * 1024;

fn sha256(bytes: &[u8]) -> String {
    format!("sha256:{:x}", Sha256::digest(bytes))
}

/// Uploads `data` through the layer API in 10 MiB parts; its digest as Berth answered it.
async fn push_blob(client: &Client, repository: &str, data: &[u8]) -> String {
    let upload = client
        .initiate_layer_upload()
        .repository_name(repository)
        .send()
        .await
        .unwrap();
    assert_eq!(upload.part_size(), Some(PART as i64));
    let id = upload.upload_id().unwrap();
    for (index, part) in data.chunks(PART).enumerate() {
        let first = (index * PART) as i64;
        let last = first + part.len() as i64 - 1;
        let answer = client
            .upload_layer_part()
            .repository_name(repository)
            .upload_id(id)
            .part_first_byte(first)
            .part_last_byte(last)
            .layer_part_blob(Blob::new(part))
            .send()
            .await
            .unwrap();
        assert_eq!(answer.last_byte_received(), Some(last));
    }
    let done = client
        .complete_layer_upload()
        .repository_name(repository)
        .upload_id(id)
        .layer_digests(sha256(data))
        .send()
        .await
        .unwrap();
    done.layer_digest().unwrap().to_owned()
}

fn oci_manifest(config: &[u8], layers: &[&[u8]]) -> String {
    let layers: Vec<serde_json::Value> = layers
        .iter()
        .map(|layer| {
            serde_json::json!({
                "mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                "size": layer.len(),
                "digest": sha256(layer),
            })
        })
        .collect();
    let manifest = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {
            "mediaType": "application/vnd.oci.image.config.v1+json",
            "size": config.len(),
            "digest": sha256(config),
        },
        "layers": layers,
    });
    // Pretty, with a trailing newline: a server that re-serialised would change the digest.
    serde_json::to_string_pretty(&manifest).unwrap() + "\n"
}

#[tokio::test]
async fn a_layer_in_parts_and_an_image_come_back_exactly() {
    let berth = Berth::start().await;
    let client = berth.client();
    client
        .create_repository()
        .repository_name("sdk/app")
        .send()
        .await
        .unwrap();
    let layer: Vec<u8> = (0..PART + 2 * 1024 * 1024)
        .map(|i| (i * 7 % 251) as u8)
        .collect();
    let config = br#"{"architecture":"arm64","os":"linux"}"#;
    assert_eq!(push_blob(&client, "sdk/app", &layer).await, sha256(&layer));
    assert_eq!(push_blob(&client, "sdk/app", config).await, sha256(config));

    let checked = client
        .batch_check_layer_availability()
        .repository_name("sdk/app")
        .layer_digests(sha256(&layer))
        .send()
        .await
        .unwrap();
    let available = &checked.layers()[0];
    assert_eq!(
        available.layer_availability(),
        Some(&LayerAvailability::Available)
    );
    assert_eq!(available.layer_size(), Some(layer.len() as i64));

    let manifest = oci_manifest(config, &[&layer]);
    let put = client
        .put_image()
        .repository_name("sdk/app")
        .image_manifest(&manifest)
        .image_tag("v1")
        .send()
        .await
        .unwrap();
    let image = put.image().unwrap();
    assert_eq!(
        image.image_id().and_then(|id| id.image_digest()),
        Some(sha256(manifest.as_bytes()).as_str())
    );
    assert_eq!(image.image_manifest(), Some(manifest.as_str()));

    let got = client
        .batch_get_image()
        .repository_name("sdk/app")
        .image_ids(ImageIdentifier::builder().image_tag("v1").build())
        .send()
        .await
        .unwrap();
    assert!(got.failures().is_empty());
    assert_eq!(got.images()[0].image_manifest(), Some(manifest.as_str()));

    let details = client
        .describe_images()
        .repository_name("sdk/app")
        .send()
        .await
        .unwrap();
    let detail = &details.image_details()[0];
    assert_eq!(
        detail.image_size_in_bytes(),
        Some((config.len() + layer.len()) as i64)
    );
    assert_eq!(
        detail.artifact_media_type(),
        Some("application/vnd.oci.image.config.v1+json")
    );
    assert_eq!(detail.image_tags(), ["v1"]);
    berth.stop().await;
}

#[tokio::test]
async fn the_sdk_paginators_walk_every_image_once() {
    let berth = Berth::start().await;
    let client = berth.client();
    client
        .create_repository()
        .repository_name("paged")
        .send()
        .await
        .unwrap();
    let config = br#"{"os":"linux"}"#;
    push_blob(&client, "paged", config).await;
    let mut pushed = Vec::new();
    for n in 0..23 {
        let layer = format!("layer {n}").into_bytes();
        push_blob(&client, "paged", &layer).await;
        let manifest = oci_manifest(config, &[&layer]);
        let mut put = client
            .put_image()
            .repository_name("paged")
            .image_manifest(&manifest);
        // Every third image untagged.
        if n % 3 != 0 {
            put = put.image_tag(format!("t{n}"));
        }
        put.send().await.unwrap();
        pushed.push(sha256(manifest.as_bytes()));
    }

    let described: Vec<String> = client
        .describe_images()
        .repository_name("paged")
        .max_results(5)
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .unwrap()
        .iter()
        .map(|detail| detail.image_digest().unwrap().to_owned())
        .collect();
    let mut expected = pushed.clone();
    expected.sort();
    let mut got = described.clone();
    got.sort();
    assert_eq!(got, expected, "every image once");

    let listed = client
        .list_images()
        .repository_name("paged")
        .max_results(4)
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .unwrap();
    assert_eq!(listed.len(), 23);
    let untagged = listed.iter().filter(|id| id.image_tag().is_none()).count();
    assert_eq!(untagged, 8);

    let missing = client
        .describe_images()
        .repository_name("paged")
        .image_ids(ImageIdentifier::builder().image_tag("nope").build())
        .send()
        .await;
    let error = modeled(&missing);
    assert!(error.is_image_not_found_exception(), "{error:?}");
    let not_empty = client
        .delete_repository()
        .repository_name("paged")
        .send()
        .await;
    assert!(modeled(&not_empty).is_repository_not_empty_exception());
    client
        .delete_repository()
        .repository_name("paged")
        .force(true)
        .send()
        .await
        .unwrap();
    berth.stop().await;
}
