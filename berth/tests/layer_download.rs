//! GetDownloadUrlForLayer's URL over real HTTP: a plain GET of it returns the layer's
//! bytes (whole, or one `Range`), and a tampered token or a layer gone since is refused
//! with an S3-shaped error, never a 5xx.

mod support;

use std::net::SocketAddr;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};
use sha2::{Digest as _, Sha256};
use support::{call, request};

fn sha256(bytes: &[u8]) -> String {
    format!("sha256:{:x}", Sha256::digest(bytes))
}

async fn ok(addr: SocketAddr, operation: &str, input: Value) -> Value {
    let response = call(addr, operation, &input.to_string()).await;
    assert_eq!(response.status, 200, "{operation}: {}", response.text());
    response.json()
}

/// Uploads `data` as one layer part; its digest.
async fn push_blob(addr: SocketAddr, repository: &str, data: &[u8]) -> String {
    let initiated = ok(
        addr,
        "InitiateLayerUpload",
        json!({ "repositoryName": repository }),
    )
    .await;
    let upload = initiated["uploadId"].as_str().unwrap();
    ok(
        addr,
        "UploadLayerPart",
        json!({
            "repositoryName": repository, "uploadId": upload,
            "partFirstByte": 0, "partLastByte": data.len() - 1,
            "layerPartBlob": STANDARD.encode(data),
        }),
    )
    .await;
    let done = ok(
        addr,
        "CompleteLayerUpload",
        json!({ "repositoryName": repository, "uploadId": upload, "layerDigests": [sha256(data)] }),
    )
    .await;
    done["layerDigest"].as_str().unwrap().to_owned()
}

/// A repository with an image whose one layer is `layer`; the layer's download URL.
async fn download_url(addr: SocketAddr, repository: &str, layer: &[u8]) -> String {
    ok(
        addr,
        "CreateRepository",
        json!({ "repositoryName": repository }),
    )
    .await;
    let config = br#"{"architecture":"amd64","os":"linux"}"#;
    let config_digest = push_blob(addr, repository, config).await;
    let layer_digest = push_blob(addr, repository, layer).await;
    let manifest = json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {
            "mediaType": "application/vnd.oci.image.config.v1+json",
            "size": config.len(), "digest": config_digest,
        },
        "layers": [{
            "mediaType": "application/vnd.oci.image.layer.v1.tar",
            "size": layer.len(), "digest": layer_digest,
        }],
    });
    ok(
        addr,
        "PutImage",
        json!({ "repositoryName": repository, "imageManifest": manifest.to_string(), "imageTag": "v1" }),
    )
    .await;
    let answer = ok(
        addr,
        "GetDownloadUrlForLayer",
        json!({ "repositoryName": repository, "layerDigest": layer_digest }),
    )
    .await;
    assert_eq!(answer["layerDigest"], json!(layer_digest));
    answer["downloadUrl"].as_str().unwrap().to_owned()
}

/// The path of a URL on `addr` (the host the client used, never the bind address).
fn path_of(url: &str, addr: SocketAddr) -> String {
    let prefix = format!("http://{addr}");
    url.strip_prefix(&prefix)
        .unwrap_or_else(|| panic!("{url} is not on {prefix}"))
        .to_owned()
}

fn layer_bytes() -> Vec<u8> {
    (0..300_000u32).map(|i| (i % 251) as u8).collect()
}

#[tokio::test]
async fn a_plain_get_of_the_url_returns_the_layer_whole_or_in_part() {
    let berth = berth::start(berth::Config::ephemeral()).await.unwrap();
    let addr = berth.local_addr();
    let layer = layer_bytes();
    let url = download_url(addr, "team/app", &layer).await;
    let path = path_of(&url, addr);
    assert!(path.starts_with("/_berth/layers/"), "{path}");

    let whole = request(addr, "GET", &path, &[], b"").await;
    assert_eq!(whole.status, 200, "{}", whole.text());
    assert!(whole.body == layer, "the bytes differ");
    assert_eq!(whole.header("content-length"), Some("300000"));
    assert_eq!(
        whole.header("content-type"),
        Some("application/octet-stream")
    );
    assert_eq!(whole.header("accept-ranges"), Some("bytes"));
    whole.request_id();

    for (range, bytes, content_range) in [
        ("bytes=100-199", 100..200, "bytes 100-199/300000"),
        (
            "bytes=299990-",
            299_990..300_000,
            "bytes 299990-299999/300000",
        ),
        ("bytes=-5", 299_995..300_000, "bytes 299995-299999/300000"),
        ("bytes=0-999999", 0..300_000, "bytes 0-299999/300000"),
    ] {
        let part = request(addr, "GET", &path, &[("Range", range)], b"").await;
        assert_eq!(part.status, 206, "{range}: {}", part.text());
        assert_eq!(part.header("content-range"), Some(content_range), "{range}");
        assert_eq!(part.body, &layer[bytes], "{range}");
    }
    let past = request(addr, "GET", &path, &[("Range", "bytes=300000-")], b"").await;
    assert_eq!(past.status, 416, "{}", past.text());
    assert_eq!(past.header("content-range"), Some("bytes */300000"));
    assert!(
        past.text().contains("<Code>InvalidRange</Code>"),
        "{}",
        past.text()
    );
    // Several ranges are not one: the whole layer.
    let several = request(addr, "GET", &path, &[("Range", "bytes=0-1,5-6")], b"").await;
    assert_eq!((several.status, several.body.len()), (200, layer.len()));
    berth.shutdown().await;
}

#[tokio::test]
async fn tampered_tokens_and_layers_gone_are_refused_without_a_server_error() {
    let berth = berth::start(berth::Config::ephemeral()).await.unwrap();
    let addr = berth.local_addr();
    let url = download_url(addr, "app", &layer_bytes()).await;
    let path = path_of(&url, addr);

    let mut tampered = path.clone().into_bytes();
    let at = tampered.len() - 3;
    tampered[at] = if tampered[at] == b'A' { b'B' } else { b'A' };
    let tampered = String::from_utf8(tampered).unwrap();
    for bad in [
        tampered,
        "/_berth/layers/not-a-token".to_owned(),
        format!("{path}x"),
        "/_berth/layers/%FF%00".to_owned(),
    ] {
        let refused = request(addr, "GET", &bad, &[], b"").await;
        assert_eq!(refused.status, 403, "{bad}: {}", refused.text());
        assert_eq!(refused.header("content-type"), Some("application/xml"));
        assert!(
            refused.text().contains("<Code>AccessDenied</Code>"),
            "{}",
            refused.text()
        );
        refused.request_id();
    }

    // Only GET (and HEAD) reach it.
    let posted = request(addr, "POST", &path, &[], b"").await;
    assert_eq!(posted.status, 405, "{}", posted.text());

    // The repository deleted: the layer is gone, and the URL says so.
    ok(
        addr,
        "DeleteRepository",
        json!({ "repositoryName": "app", "force": true }),
    )
    .await;
    let gone = request(addr, "GET", &path, &[], b"").await;
    assert_eq!(gone.status, 404, "{}", gone.text());
    assert!(
        gone.text().contains("<Code>NoSuchKey</Code>"),
        "{}",
        gone.text()
    );
    berth.shutdown().await;
}
