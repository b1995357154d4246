//! The layer operations through the generated service, as the server calls them (JSON in,
//! JSON out): uploads in parts and their rules, availability, download URLs and what they
//! serve, a restart mid-upload, concurrent parts, upload expiry and blob garbage collection.

use std::ops::Range;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use berth_runtime::protocol::Request;
use berth_runtime::{RequestContext, Timestamp};
use ecr_generated::operations::SERVICE;
use ecr_impl::Ecr;
use ecr_impl::auth::TokenKey;
use ecr_impl::layers::{LAYER_DOWNLOAD_PATH, LayerDownloadError};
use ecr_impl::store::blobs::{
    BlobError, BlobFuture, BlobStore, ByteStream, Sha256Digest, Staged, UploadId,
};
use ecr_impl::store::memory::MemoryMeta;
use ecr_impl::store::memory_blobs::MemoryBlobs;
use ecr_impl::store::meta::MetaStore;
use serde_json::{Value, json};
use sha2::{Digest as _, Sha256};

const ACCOUNT: &str = "123456789012";
const ENDPOINT: &str = "http://127.0.0.1:4566";
const MIB: usize = 1024 * 1024;
const PART: usize = 10 * MIB;
const HOUR_MS: i64 = 3_600_000;
const DAY_MS: i64 = 24 * HOUR_MS;

/// An independent oracle: sha2 itself, not Berth's digest type.
fn sha256(bytes: &[u8]) -> String {
    format!("sha256:{:x}", Sha256::digest(bytes))
}

/// `len` bytes that differ from those of another `seed`.
fn bytes(len: usize, seed: u8) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u32).wrapping_mul(2_654_435_761).to_be_bytes()[0] ^ seed)
        .collect()
}

fn ctx() -> RequestContext {
    RequestContext {
        account_id: ACCOUNT.into(),
        region: "us-east-1".into(),
        request_id: "test".into(),
        operation: "",
        endpoint: ENDPOINT.into(),
    }
}

/// Calls `operation` with `input` as a client would; the status and the JSON body.
async fn call(ecr: &Ecr, operation: &str, input: Value) -> (u16, Value) {
    let target = format!("{}.{operation}", SERVICE.target_prefix);
    let body = input.to_string();
    let request = Request {
        target: Some(&target),
        content_type: Some(SERVICE.content_type),
        body: body.as_bytes(),
    };
    let response = ecr.handle(&mut ctx(), request).await;
    let answer = serde_json::from_slice(&response.body).expect("a JSON body");
    (response.status, answer)
}

/// The answer of a call that must succeed.
async fn ok(ecr: &Ecr, operation: &str, input: Value) -> Value {
    let (status, answer) = call(ecr, operation, input.clone()).await;
    assert_eq!(status, 200, "{operation} {input}: {answer}");
    answer
}

/// The error of a call that must fail with `code`; its whole body.
async fn fails(ecr: &Ecr, operation: &str, input: Value, code: &str) -> Value {
    let (status, answer) = call(ecr, operation, input.clone()).await;
    assert_eq!(answer["__type"], code, "{operation}: {answer}");
    assert_eq!(status, 400, "{operation}: {answer}");
    answer
}

async fn create_repository(ecr: &Ecr, name: &str) {
    ok(ecr, "CreateRepository", json!({ "repositoryName": name })).await;
}

async fn initiate(ecr: &Ecr, repository: &str) -> String {
    let answer = ok(
        ecr,
        "InitiateLayerUpload",
        json!({ "repositoryName": repository }),
    )
    .await;
    answer["uploadId"].as_str().unwrap().to_owned()
}

fn part_input(repository: &str, upload: &str, first: usize, data: &[u8]) -> Value {
    json!({
        "repositoryName": repository,
        "uploadId": upload,
        "partFirstByte": first,
        "partLastByte": first + data.len() - 1,
        "layerPartBlob": STANDARD.encode(data),
    })
}

async fn part(ecr: &Ecr, repository: &str, upload: &str, first: usize, data: &[u8]) -> Value {
    ok(
        ecr,
        "UploadLayerPart",
        part_input(repository, upload, first, data),
    )
    .await
}

fn complete_input(repository: &str, upload: &str, digests: &[&str]) -> Value {
    json!({ "repositoryName": repository, "uploadId": upload, "layerDigests": digests })
}

/// Uploads `data` in parts of `part_size`; the layer digest Berth answered.
async fn push(ecr: &Ecr, repository: &str, data: &[u8], part_size: usize) -> String {
    let upload = initiate(ecr, repository).await;
    for (i, chunk) in data.chunks(part_size).enumerate() {
        part(ecr, repository, &upload, i * part_size, chunk).await;
    }
    let done = ok(
        ecr,
        "CompleteLayerUpload",
        complete_input(repository, &upload, &[&sha256(data)]),
    )
    .await;
    done["layerDigest"].as_str().unwrap().to_owned()
}

const LAYER_TYPE: &str = "application/vnd.oci.image.layer.v1.tar";

/// Makes layer `layer` (of `size` bytes) of `repository` referenced: PutImage of an OCI
/// image whose one layer it is, with a config pushed for it.
async fn reference(ecr: &Ecr, repository: &str, layer: &str, size: usize) {
    let config = format!("{{\"layer\":\"{layer}\"}}");
    let config_digest = push(ecr, repository, config.as_bytes(), PART).await;
    let manifest = json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {
            "mediaType": "application/vnd.oci.image.config.v1+json",
            "size": config.len(),
            "digest": config_digest,
        },
        "layers": [{ "mediaType": LAYER_TYPE, "size": size, "digest": layer }],
    });
    ok(
        ecr,
        "PutImage",
        json!({ "repositoryName": repository, "imageManifest": manifest.to_string() }),
    )
    .await;
}

/// Every byte a download URL serves, whole.
async fn download(ecr: &Ecr, url: &str, now: Timestamp) -> Result<Vec<u8>, LayerDownloadError> {
    let token = url.rsplit('/').next().unwrap();
    let layer = ecr.open_layer_download(token, now).await?;
    let mut stream = layer.open(0..layer.size).await.unwrap();
    let mut all = Vec::new();
    while let Some(chunk) = std::future::poll_fn(|cx| stream.as_mut().poll_next(cx)).await {
        all.extend_from_slice(&chunk.unwrap());
    }
    Ok(all)
}

/// A Berth in memory, and its blob store to look into.
fn shared() -> (Ecr, Arc<dyn BlobStore>) {
    let blobs: Arc<dyn BlobStore> = Arc::new(MemoryBlobs::new());
    let ecr = Ecr::new(Arc::new(MemoryMeta::new()), blobs.clone(), key());
    (ecr, blobs)
}

fn key() -> TokenKey {
    TokenKey::from_bytes([7; TokenKey::LEN])
}

#[tokio::test]
async fn three_ten_mib_parts_make_one_layer_whose_bytes_come_back() {
    three_parts_and_back(Ecr::in_memory()).await;
}

#[tokio::test]
async fn three_ten_mib_parts_make_one_layer_whose_bytes_come_back_from_disk() {
    let dir = tempfile::tempdir().unwrap();
    let blobs = storage_fs::FsBlobStore::open(dir.path()).unwrap();
    three_parts_and_back(Ecr::new(
        Arc::new(MemoryMeta::new()),
        Arc::new(blobs),
        key(),
    ))
    .await;
}

async fn three_parts_and_back(ecr: Ecr) {
    create_repository(&ecr, "team/app").await;
    let data = bytes(2 * PART + 3 * MIB + 17, 1);

    let initiated = ok(
        &ecr,
        "InitiateLayerUpload",
        json!({ "repositoryName": "team/app" }),
    )
    .await;
    assert_eq!(initiated["partSize"], json!(PART));
    let upload = initiated["uploadId"].as_str().unwrap().to_owned();
    assert_eq!(upload, upload.to_lowercase(), "a lowercase hyphenated UUID");
    assert_eq!(upload.len(), 36);

    for (i, chunk) in data.chunks(PART).enumerate() {
        let answer = part(&ecr, "team/app", &upload, i * PART, chunk).await;
        assert_eq!(
            answer,
            json!({
                "registryId": ACCOUNT,
                "repositoryName": "team/app",
                "uploadId": upload,
                "lastByteReceived": i * PART + chunk.len() - 1,
            })
        );
    }
    let done = ok(
        &ecr,
        "CompleteLayerUpload",
        complete_input("team/app", &upload, &[&sha256(&data)]),
    )
    .await;
    assert_eq!(
        done,
        json!({
            "registryId": ACCOUNT,
            "repositoryName": "team/app",
            "uploadId": upload,
            "layerDigest": sha256(&data),
        })
    );

    let checked = ok(
        &ecr,
        "BatchCheckLayerAvailability",
        json!({ "repositoryName": "team/app", "layerDigests": [sha256(&data)] }),
    )
    .await;
    assert_eq!(
        checked,
        json!({
            "layers": [{
                "layerDigest": sha256(&data),
                "layerAvailability": "AVAILABLE",
                "layerSize": data.len(),
            }],
            "failures": [],
        })
    );

    reference(&ecr, "team/app", &sha256(&data), data.len()).await;
    let url = ok(
        &ecr,
        "GetDownloadUrlForLayer",
        json!({ "repositoryName": "team/app", "layerDigest": sha256(&data) }),
    )
    .await;
    assert_eq!(url["layerDigest"], json!(sha256(&data)));
    let url = url["downloadUrl"].as_str().unwrap();
    assert!(
        url.starts_with(&format!("{ENDPOINT}{LAYER_DOWNLOAD_PATH}")),
        "{url}"
    );
    let served = download(&ecr, url, Timestamp::now()).await.unwrap();
    assert!(served == data, "the downloaded bytes differ");
}

#[tokio::test]
async fn parts_must_follow_each_other_and_match_their_length() {
    let ecr = Ecr::in_memory();
    create_repository(&ecr, "app").await;
    let upload = initiate(&ecr, "app").await;
    let data = bytes(3000, 2);

    // Not at 0 before any part: -1 received.
    let refused = fails(
        &ecr,
        "UploadLayerPart",
        part_input("app", &upload, 5, &data[..1000]),
        "InvalidLayerPartException",
    )
    .await;
    assert_eq!(
        refused.get("lastValidByteReceived"),
        None,
        "absent before any part"
    );
    assert_eq!(refused["registryId"], json!(ACCOUNT));
    assert_eq!(refused["repositoryName"], json!("app"));
    assert_eq!(refused["uploadId"], json!(upload));
    assert_eq!(
        refused["message"],
        json!(format!(
            "The part of upload '{upload}' starts at byte 5; the next byte expected is 0"
        ))
    );

    // A range one byte shorter than the blob, then one longer.
    for last in [998, 1000] {
        let mut input = part_input("app", &upload, 0, &data[..1000]);
        input["partLastByte"] = json!(last);
        let refused = fails(&ecr, "UploadLayerPart", input, "InvalidLayerPartException").await;
        assert_eq!(
            refused.get("lastValidByteReceived"),
            None,
            "absent before any part"
        );
        assert_eq!(
            refused["message"],
            json!(format!(
                "The layer part's byte range 0-{last} does not match the 1000 bytes of its blob"
            ))
        );
    }
    // A range ending before it starts.
    let mut input = part_input("app", &upload, 0, &data[..1000]);
    input["partFirstByte"] = json!(10);
    input["partLastByte"] = json!(3);
    fails(&ecr, "UploadLayerPart", input, "InvalidLayerPartException").await;

    // The refused parts left the upload as it was: the right part is accepted.
    part(&ecr, "app", &upload, 0, &data[..1000]).await;
    for (first, range) in [(0, 0..1000), (500, 500..1500), (1001, 1001..2000)] {
        let refused = fails(
            &ecr,
            "UploadLayerPart",
            part_input("app", &upload, first, &data[range]),
            "InvalidLayerPartException",
        )
        .await;
        assert_eq!(refused["lastValidByteReceived"], json!(999), "at {first}");
    }
    part(&ecr, "app", &upload, 1000, &data[1000..]).await;
    // Two small parts: refused at completion, and the upload stays open.
    let refused = fails(
        &ecr,
        "CompleteLayerUpload",
        complete_input("app", &upload, &[&sha256(&data)]),
        "LayerPartTooSmallException",
    )
    .await;
    assert_eq!(
        refused["message"],
        json!(format!(
            "Layer parts must be at least 5242880 bytes in size: a part of upload '{upload}' other than the last is smaller"
        ))
    );
    part(&ecr, "app", &upload, 3000, b"more").await;
}

#[tokio::test]
async fn an_empty_part_and_an_empty_blob_are_refused() {
    let ecr = Ecr::in_memory();
    create_repository(&ecr, "app").await;
    let upload = initiate(&ecr, "app").await;
    let input = json!({
        "repositoryName": "app", "uploadId": upload,
        "partFirstByte": 0, "partLastByte": 0, "layerPartBlob": "",
    });
    let refused = fails(&ecr, "UploadLayerPart", input, "InvalidLayerPartException").await;
    assert_eq!(
        refused.get("lastValidByteReceived"),
        None,
        "absent before any part"
    );
    fails(
        &ecr,
        "CompleteLayerUpload",
        complete_input("app", &upload, &[&sha256(b"")]),
        "EmptyUploadException",
    )
    .await;
}

#[tokio::test]
async fn every_part_but_the_last_needs_five_mib() {
    let ecr = Ecr::in_memory();
    create_repository(&ecr, "app").await;
    // 5 MiB then 1 byte: fine. One small part alone: fine.
    let exact = bytes(5 * MIB + 1, 3);
    assert_eq!(push(&ecr, "app", &exact, 5 * MIB).await, sha256(&exact));
    assert_eq!(push(&ecr, "app", b"tiny", 4).await, sha256(b"tiny"));
    // 5 MiB - 1, then 2 bytes: too small.
    let short = bytes(5 * MIB + 1, 4);
    let upload = initiate(&ecr, "app").await;
    part(&ecr, "app", &upload, 0, &short[..5 * MIB - 1]).await;
    part(&ecr, "app", &upload, 5 * MIB - 1, &short[5 * MIB - 1..]).await;
    fails(
        &ecr,
        "CompleteLayerUpload",
        complete_input("app", &upload, &[&sha256(&short)]),
        "LayerPartTooSmallException",
    )
    .await;
}

#[tokio::test]
async fn completion_checks_sha256_digests_only_and_ends_the_upload() {
    let ecr = Ecr::in_memory();
    create_repository(&ecr, "app").await;
    let data = bytes(4000, 5);

    // Empty: refused, and the upload stays open.
    let upload = initiate(&ecr, "app").await;
    let refused = fails(
        &ecr,
        "CompleteLayerUpload",
        complete_input("app", &upload, &[&sha256(&data)]),
        "EmptyUploadException",
    )
    .await;
    assert_eq!(
        refused["message"],
        json!(format!(
            "The upload with id '{upload}' does not contain any layer parts"
        ))
    );
    part(&ecr, "app", &upload, 0, &data).await;

    // A wrong sha256: InvalidLayer, and the upload is gone.
    let wrong = sha256(b"other");
    let refused = fails(
        &ecr,
        "CompleteLayerUpload",
        complete_input("app", &upload, &[&wrong]),
        "InvalidLayerException",
    )
    .await;
    assert_eq!(
        refused["message"],
        json!(format!(
            "The layer digest '{wrong}' does not match the digest '{}' calculated for the uploaded layer",
            sha256(&data)
        ))
    );
    fails(
        &ecr,
        "CompleteLayerUpload",
        complete_input("app", &upload, &[&sha256(&data)]),
        "UploadNotFoundException",
    )
    .await;
    let checked = ok(
        &ecr,
        "BatchCheckLayerAvailability",
        json!({ "repositoryName": "app", "layerDigests": [sha256(&data)] }),
    )
    .await;
    assert_eq!(checked["layers"], json!([]));

    // Other algorithms are not compared; uppercase hex is the same sha256.
    let upload = initiate(&ecr, "app").await;
    part(&ecr, "app", &upload, 0, &data).await;
    let upper = format!("sha256:{}", sha256(&data)[7..].to_uppercase());
    let done = ok(
        &ecr,
        "CompleteLayerUpload",
        complete_input("app", &upload, &["sha512:abcdef0123", &upper]),
    )
    .await;
    assert_eq!(done["layerDigest"], json!(sha256(&data)));
    fails(
        &ecr,
        "UploadLayerPart",
        part_input("app", &upload, 4000, b"late"),
        "UploadNotFoundException",
    )
    .await;

    // The same bytes again: LayerAlreadyExists, and that upload is gone too.
    let again = initiate(&ecr, "app").await;
    part(&ecr, "app", &again, 0, &data).await;
    let refused = fails(
        &ecr,
        "CompleteLayerUpload",
        complete_input("app", &again, &[&sha256(&data)]),
        "LayerAlreadyExistsException",
    )
    .await;
    assert_eq!(
        refused["message"],
        json!(format!(
            "The layer with digest '{}' already exists in the repository with name 'app' in the registry with id '{ACCOUNT}'",
            sha256(&data)
        ))
    );
    fails(
        &ecr,
        "CompleteLayerUpload",
        complete_input("app", &again, &[&sha256(&data)]),
        "UploadNotFoundException",
    )
    .await;

    // Another repository is another set of layers.
    create_repository(&ecr, "other").await;
    assert_eq!(push(&ecr, "other", &data, PART).await, sha256(&data));
}

#[tokio::test]
async fn unknown_foreign_and_finished_uploads_are_not_found() {
    let ecr = Ecr::in_memory();
    create_repository(&ecr, "app").await;
    create_repository(&ecr, "other").await;
    let upload = initiate(&ecr, "app").await;
    let unknown = "8e4a3c2b-1f0d-4e5a-9b7c-6d5e4f3a2b1c";

    let refused = fails(
        &ecr,
        "UploadLayerPart",
        part_input("app", unknown, 0, b"x"),
        "UploadNotFoundException",
    )
    .await;
    assert_eq!(
        refused["message"],
        json!(format!(
            "The upload with id '{unknown}' does not exist in the repository with name 'app' in the registry with id '{ACCOUNT}'"
        ))
    );
    fails(
        &ecr,
        "UploadLayerPart",
        part_input("other", &upload, 0, b"x"),
        "UploadNotFoundException",
    )
    .await;
    fails(
        &ecr,
        "CompleteLayerUpload",
        complete_input("other", &upload, &[&sha256(b"x")]),
        "UploadNotFoundException",
    )
    .await;
    // The same id in capitals is the same upload (UUIDs ignore case).
    part(&ecr, "app", &upload.to_uppercase(), 0, b"x").await;

    // Unknown repository, another account's registry.
    let refused = fails(
        &ecr,
        "InitiateLayerUpload",
        json!({ "repositoryName": "nope" }),
        "RepositoryNotFoundException",
    )
    .await;
    assert_eq!(
        refused["message"],
        json!(format!(
            "The repository with name 'nope' does not exist in the registry with id '{ACCOUNT}'"
        ))
    );
    fails(
        &ecr,
        "UploadLayerPart",
        part_input("nope", &upload, 1, b"x"),
        "RepositoryNotFoundException",
    )
    .await;
    let (status, answer) = call(
        &ecr,
        "InitiateLayerUpload",
        json!({ "repositoryName": "app", "registryId": "210987654321" }),
    )
    .await;
    assert_eq!(
        (status, answer["__type"].as_str()),
        (400, Some("AccessDeniedException"))
    );
    assert!(
        answer["message"]
            .as_str()
            .unwrap()
            .contains("ecr:InitiateLayerUpload"),
        "{answer}"
    );

    // A deleted repository takes its uploads along, and a re-created one starts empty.
    ok(
        &ecr,
        "DeleteRepository",
        json!({ "repositoryName": "app", "force": true }),
    )
    .await;
    create_repository(&ecr, "app").await;
    fails(
        &ecr,
        "UploadLayerPart",
        part_input("app", &upload, 1, b"y"),
        "UploadNotFoundException",
    )
    .await;
}

#[tokio::test]
async fn availability_answers_each_digest_in_order() {
    let ecr = Ecr::in_memory();
    create_repository(&ecr, "app").await;
    let config = br#"{"os":"linux"}"#;
    let layer = push(&ecr, "app", config, PART).await;
    let absent = sha256(b"absent");
    let upper = format!("sha256:{}", layer[7..].to_uppercase());
    let requested = [
        absent.as_str(),
        layer.as_str(),
        "not-a-digest",
        "sha512:0123abcd",
        upper.as_str(),
        layer.as_str(),
        "sha256:",
    ];
    let checked = ok(
        &ecr,
        "BatchCheckLayerAvailability",
        json!({ "repositoryName": "app", "layerDigests": requested }),
    )
    .await;
    let available = |digest: &str| {
        json!({
            "layerDigest": digest, "layerAvailability": "AVAILABLE", "layerSize": config.len(),
        })
    };
    assert_eq!(
        checked["layers"],
        json!([available(&layer), available(&upper), available(&layer)])
    );
    let missing = |digest: &str| {
        json!({
            "layerDigest": digest, "failureCode": "MissingLayerDigest",
            "failureReason": format!("Could not find layer with digest '{digest}'"),
        })
    };
    let invalid = |digest: &str| {
        json!({
            "layerDigest": digest, "failureCode": "InvalidLayerDigest",
            "failureReason": format!("Invalid layer digest '{digest}'"),
        })
    };
    assert_eq!(
        checked["failures"],
        json!([
            missing(&absent),
            invalid("not-a-digest"),
            missing("sha512:0123abcd"),
            invalid("sha256:"),
        ])
    );

    // Once an image references it, the media type that image gave it shows.
    reference(&ecr, "app", &layer, config.len()).await;
    let checked = ok(
        &ecr,
        "BatchCheckLayerAvailability",
        json!({ "repositoryName": "app", "layerDigests": [layer] }),
    )
    .await;
    assert_eq!(checked["layers"][0]["mediaType"], json!(LAYER_TYPE));
    assert_eq!(checked["failures"], json!([]));
    fails(
        &ecr,
        "BatchCheckLayerAvailability",
        json!({ "repositoryName": "nope", "layerDigests": [layer] }),
        "RepositoryNotFoundException",
    )
    .await;
}

#[tokio::test]
async fn download_urls_need_a_referenced_layer_and_a_genuine_unexpired_token() {
    let ecr = Ecr::in_memory();
    create_repository(&ecr, "app").await;
    let data = bytes(1234, 6);
    let layer = push(&ecr, "app", &data, PART).await;
    let input = json!({ "repositoryName": "app", "layerDigest": layer });

    let refused = fails(
        &ecr,
        "GetDownloadUrlForLayer",
        input.clone(),
        "LayerInaccessibleException",
    )
    .await;
    assert_eq!(
        refused["message"],
        json!(format!(
            "The layer with digest '{layer}' is not associated with an image"
        ))
    );
    for absent in [sha256(b"absent"), "sha512:abcdef".to_owned()] {
        let refused = fails(
            &ecr,
            "GetDownloadUrlForLayer",
            json!({ "repositoryName": "app", "layerDigest": absent }),
            "LayersNotFoundException",
        )
        .await;
        assert_eq!(
            refused["message"],
            json!(format!(
                "The layer with digest '{absent}' does not exist in the repository with name 'app' in the registry with id '{ACCOUNT}'"
            ))
        );
    }

    reference(&ecr, "app", &layer, data.len()).await;
    let issued = Timestamp::now();
    let url = ok(&ecr, "GetDownloadUrlForLayer", input).await["downloadUrl"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(download(&ecr, &url, issued).await.unwrap(), data);

    // Valid for an hour.
    let later = Timestamp::from_epoch_millis(issued.epoch_millis() + HOUR_MS - 60_000);
    assert!(download(&ecr, &url, later).await.is_ok());
    let expired = Timestamp::from_epoch_millis(issued.epoch_millis() + HOUR_MS + 60_000);
    assert_eq!(
        download(&ecr, &url, expired).await,
        Err(LayerDownloadError::Expired)
    );
    // One character changed, or another Berth's key.
    let mut tampered = url.clone().into_bytes();
    let at = tampered.len() - 5;
    tampered[at] = if tampered[at] == b'A' { b'B' } else { b'A' };
    let tampered = String::from_utf8(tampered).unwrap();
    assert_eq!(
        download(&ecr, &tampered, issued).await,
        Err(LayerDownloadError::InvalidToken)
    );
    let stranger = Ecr::in_memory();
    assert_eq!(
        download(&stranger, &url, issued).await,
        Err(LayerDownloadError::InvalidToken)
    );
    let error = download(&ecr, &tampered, issued).await.unwrap_err();
    assert_eq!(error.code(), "AccessDenied");

    // A range of the bytes.
    let token = url.rsplit('/').next().unwrap();
    let opened = ecr.open_layer_download(token, issued).await.unwrap();
    assert_eq!(opened.size, data.len() as u64);
    let mut stream = opened.open(100..200).await.unwrap();
    let mut got = Vec::new();
    while let Some(chunk) = std::future::poll_fn(|cx| stream.as_mut().poll_next(cx)).await {
        got.extend_from_slice(&chunk.unwrap());
    }
    assert_eq!(got, &data[100..200]);

    // The repository gone: the URL answers Gone.
    ok(
        &ecr,
        "DeleteRepository",
        json!({ "repositoryName": "app", "force": true }),
    )
    .await;
    assert!(matches!(
        download(&ecr, &url, issued).await,
        Err(LayerDownloadError::Gone(_))
    ));
}

#[tokio::test]
async fn an_in_process_call_gets_the_path_alone() {
    let ecr = Ecr::in_memory();
    create_repository(&ecr, "app").await;
    let layer = push(&ecr, "app", b"bytes", PART).await;
    reference(&ecr, "app", &layer, 5).await;
    let input = ecr_generated::types::GetDownloadUrlForLayerRequest {
        registry_id: None,
        repository_name: "app".try_into().unwrap(),
        layer_digest: layer.as_str().try_into().unwrap(),
    };
    let mut in_process = ctx();
    in_process.endpoint = String::new();
    let answer = ecr
        .get_download_url_for_layer(&in_process, input)
        .await
        .unwrap();
    let url = answer.download_url.unwrap();
    assert!(url.starts_with(LAYER_DOWNLOAD_PATH), "{url}");
    assert_eq!(
        download(&ecr, &url, Timestamp::now()).await.unwrap(),
        b"bytes"
    );
}

/// A restart mid-upload: a fresh Berth over the same backends continues the upload (its
/// hasher rebuilt from the staged bytes, ignoring bytes a refused part staged).
async fn continue_after_restart(
    meta: Arc<dyn MetaStore>,
    blobs: Arc<dyn BlobStore>,
    reopen: impl Fn() -> Arc<dyn BlobStore>,
) {
    let before = Ecr::new(meta.clone(), blobs, key());
    create_repository(&before, "app").await;
    let data = bytes(PART + 2 * MIB, 8);
    let upload = initiate(&before, "app").await;
    part(&before, "app", &upload, 0, &data[..PART]).await;
    // A refused part (its range one byte short) stages bytes that never count.
    let mut input = part_input("app", &upload, PART, &data[PART..PART + MIB]);
    input["partLastByte"] = json!(PART + MIB - 2);
    fails(
        &before,
        "UploadLayerPart",
        input,
        "InvalidLayerPartException",
    )
    .await;
    drop(before);

    let after = Ecr::new(meta, reopen(), key());
    let refused = fails(
        &after,
        "UploadLayerPart",
        part_input("app", &upload, 0, &data[..10]),
        "InvalidLayerPartException",
    )
    .await;
    assert_eq!(refused["lastValidByteReceived"], json!(PART - 1));
    part(&after, "app", &upload, PART, &data[PART..]).await;
    let done = ok(
        &after,
        "CompleteLayerUpload",
        complete_input("app", &upload, &[&sha256(&data)]),
    )
    .await;
    assert_eq!(done["layerDigest"], json!(sha256(&data)));
}

#[tokio::test]
async fn a_restart_mid_upload_continues_it_in_memory() {
    let meta: Arc<dyn MetaStore> = Arc::new(MemoryMeta::new());
    let blobs: Arc<dyn BlobStore> = Arc::new(MemoryBlobs::new());
    let same = blobs.clone();
    continue_after_restart(meta, blobs, move || same.clone()).await;
}

#[tokio::test]
async fn a_restart_mid_upload_continues_it_on_disk() {
    let dir = tempfile::tempdir().unwrap();
    let meta: Arc<dyn MetaStore> = Arc::new(MemoryMeta::new());
    let blobs: Arc<dyn BlobStore> = Arc::new(storage_fs::FsBlobStore::open(dir.path()).unwrap());
    let path = dir.path().to_owned();
    continue_after_restart(meta, blobs, move || {
        Arc::new(storage_fs::FsBlobStore::open(&path).unwrap())
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn of_two_concurrent_first_parts_one_wins() {
    let ecr = Ecr::in_memory();
    create_repository(&ecr, "app").await;
    let data = bytes(PART, 9);
    for _ in 0..5 {
        let upload = initiate(&ecr, "app").await;
        let tasks: Vec<_> = [&data[..], &data[..MIB]]
            .into_iter()
            .map(|chunk| {
                let (ecr, input) = (ecr.clone(), part_input("app", &upload, 0, chunk));
                tokio::spawn(async move { call(&ecr, "UploadLayerPart", input).await })
            })
            .collect();
        let mut answers = Vec::new();
        for task in tasks {
            answers.push(task.await.unwrap());
        }
        let won: Vec<_> = answers
            .iter()
            .filter(|(status, _)| *status == 200)
            .collect();
        assert_eq!(won.len(), 1, "{answers:?}");
        let lost = answers.iter().find(|(status, _)| *status != 200).unwrap();
        assert_eq!(lost.1["__type"], "InvalidLayerPartException");
        assert_eq!(
            lost.1["lastValidByteReceived"],
            won[0].1["lastByteReceived"]
        );
        // The upload holds exactly the winner's bytes.
        let winner = if won[0].1["lastByteReceived"] == json!(PART - 1) {
            &data[..]
        } else {
            &data[..MIB]
        };
        ok(
            &ecr,
            "CompleteLayerUpload",
            complete_input("app", &upload, &[&sha256(winner)]),
        )
        .await;
        ok(
            &ecr,
            "DeleteRepository",
            json!({ "repositoryName": "app", "force": true }),
        )
        .await;
        create_repository(&ecr, "app").await;
    }
}

#[tokio::test]
async fn uploads_expire_after_seven_days_with_their_staged_bytes() {
    let (ecr, blobs) = shared();
    create_repository(&ecr, "app").await;
    let started = Timestamp::now();
    let upload = initiate(&ecr, "app").await;
    part(&ecr, "app", &upload, 0, b"staged").await;
    assert_eq!(blobs.uploads_after(None, 10).await.unwrap().len(), 1);

    let almost = Timestamp::from_epoch_millis(started.epoch_millis() + 7 * DAY_MS - 60_000);
    assert_eq!(ecr.expire_uploads(almost).await.unwrap(), 0);
    part(&ecr, "app", &upload, 6, b"more").await;

    let past = Timestamp::from_epoch_millis(Timestamp::now().epoch_millis() + 7 * DAY_MS + 1);
    assert_eq!(ecr.expire_uploads(past).await.unwrap(), 1);
    fails(
        &ecr,
        "UploadLayerPart",
        part_input("app", &upload, 10, b"late"),
        "UploadNotFoundException",
    )
    .await;
    assert_eq!(blobs.uploads_after(None, 10).await.unwrap(), vec![]);
    assert_eq!(ecr.expire_uploads(past).await.unwrap(), 0);
}

#[tokio::test]
async fn garbage_collection_deletes_unlinked_blobs_after_the_grace_period_only() {
    let (ecr, blobs) = shared();
    create_repository(&ecr, "keep").await;
    create_repository(&ecr, "drop").await;
    let kept = push(&ecr, "keep", b"kept layer", PART).await;
    let shared_layer = push(&ecr, "keep", b"in both", PART).await;
    push(&ecr, "drop", b"in both", PART).await;
    let dropped = push(&ecr, "drop", b"dropped layer", PART).await;
    reference(&ecr, "keep", &kept, 10).await;
    // An upload in progress in "drop", staged bytes and all.
    let upload = initiate(&ecr, "drop").await;
    part(&ecr, "drop", &upload, 0, b"half").await;

    let now = Timestamp::now();
    let collected = ecr.collect_garbage(now).await.unwrap();
    assert_eq!(
        (
            collected.expired_uploads,
            collected.orphan_uploads,
            collected.deleted_blobs
        ),
        (0, 0, 0)
    );
    ok(
        &ecr,
        "DeleteRepository",
        json!({ "repositoryName": "drop", "force": true }),
    )
    .await;
    // Unlinked now, but first seen so: kept through the grace period. The upload's staged
    // bytes have no row any more: dropped.
    let collected = ecr.collect_garbage(now).await.unwrap();
    assert_eq!((collected.orphan_uploads, collected.deleted_blobs), (1, 0));
    assert_eq!(blobs.uploads_after(None, 10).await.unwrap(), vec![]);
    let almost = Timestamp::from_epoch_millis(now.epoch_millis() + HOUR_MS - 1);
    assert_eq!(ecr.collect_garbage(almost).await.unwrap().deleted_blobs, 0);
    let after_grace = Timestamp::from_epoch_millis(now.epoch_millis() + HOUR_MS);
    assert_eq!(
        ecr.collect_garbage(after_grace)
            .await
            .unwrap()
            .deleted_blobs,
        1
    );

    let left: Vec<String> = blobs
        .blobs_after(None, 10)
        .await
        .unwrap()
        .iter()
        .map(ToString::to_string)
        .collect();
    assert!(
        left.contains(&kept) && left.contains(&shared_layer),
        "{left:?}"
    );
    assert_eq!(
        left.len(),
        3,
        "and the config of the image in 'keep': {left:?}"
    );
    assert!(!left.contains(&dropped));

    // A blob linked again before its grace period ends starts over.
    create_repository(&ecr, "again").await;
    let again = push(&ecr, "again", b"comes back", PART).await;
    ok(
        &ecr,
        "DeleteRepository",
        json!({ "repositoryName": "again", "force": true }),
    )
    .await;
    let t0 = Timestamp::from_epoch_millis(now.epoch_millis() + 2 * HOUR_MS);
    assert_eq!(ecr.collect_garbage(t0).await.unwrap().deleted_blobs, 0);
    create_repository(&ecr, "again").await;
    push(&ecr, "again", b"comes back", PART).await;
    let t1 = Timestamp::from_epoch_millis(t0.epoch_millis() + HOUR_MS);
    assert_eq!(ecr.collect_garbage(t1).await.unwrap().deleted_blobs, 0);
    ok(
        &ecr,
        "DeleteRepository",
        json!({ "repositoryName": "again", "force": true }),
    )
    .await;
    let t2 = Timestamp::from_epoch_millis(t1.epoch_millis() + HOUR_MS - 1);
    assert_eq!(ecr.collect_garbage(t2).await.unwrap().deleted_blobs, 0);
    let t3 = Timestamp::from_epoch_millis(t2.epoch_millis() + HOUR_MS);
    assert_eq!(ecr.collect_garbage(t3).await.unwrap().deleted_blobs, 1);
    let left = blobs.blobs_after(None, 10).await.unwrap();
    assert!(!left.contains(&again.parse().unwrap()));
}

/// Memory blobs that count the reads of staged bytes and blobs, and fail a staged upload's
/// `sync` or a `publish` on demand: what the invariants below are observed through.
#[derive(Debug, Default)]
struct Watched {
    inner: MemoryBlobs,
    staged_reads: AtomicUsize,
    blob_reads: AtomicUsize,
    fail_sync: AtomicBool,
    fail_publish: AtomicBool,
}

struct WatchedStaged {
    inner: Box<dyn Staged>,
    fail_sync: bool,
}

impl Staged for WatchedStaged {
    fn append(&mut self, chunk: bytes::Bytes) -> BlobFuture<'_, ()> {
        self.inner.append(chunk)
    }

    fn sync(&mut self) -> BlobFuture<'_, u64> {
        if self.fail_sync {
            return Box::pin(std::future::ready(Err(BlobError::Unavailable(
                "disk full".into(),
            ))));
        }
        self.inner.sync()
    }
}

impl BlobStore for Watched {
    fn stage<'a>(&'a self, upload: &'a UploadId, offset: u64) -> BlobFuture<'a, Box<dyn Staged>> {
        Box::pin(async move {
            let inner = self.inner.stage(upload, offset).await?;
            let fail_sync = self.fail_sync.load(Ordering::SeqCst);
            Ok(Box::new(WatchedStaged { inner, fail_sync }) as Box<dyn Staged>)
        })
    }

    fn read_staged<'a>(&'a self, upload: &'a UploadId) -> BlobFuture<'a, ByteStream> {
        self.staged_reads.fetch_add(1, Ordering::SeqCst);
        self.inner.read_staged(upload)
    }

    fn publish<'a>(&'a self, upload: &'a UploadId, digest: &'a Sha256Digest) -> BlobFuture<'a, ()> {
        if self.fail_publish.load(Ordering::SeqCst) {
            return Box::pin(std::future::ready(Err(BlobError::Unavailable(
                "disk full".into(),
            ))));
        }
        self.inner.publish(upload, digest)
    }

    fn discard<'a>(&'a self, upload: &'a UploadId) -> BlobFuture<'a, ()> {
        self.inner.discard(upload)
    }

    fn open<'a>(
        &'a self,
        digest: &'a Sha256Digest,
        range: Range<u64>,
    ) -> BlobFuture<'a, ByteStream> {
        self.blob_reads.fetch_add(1, Ordering::SeqCst);
        self.inner.open(digest, range)
    }

    fn delete<'a>(&'a self, digest: &'a Sha256Digest) -> BlobFuture<'a, ()> {
        self.inner.delete(digest)
    }

    fn blobs_after<'a>(
        &'a self,
        after: Option<&'a Sha256Digest>,
        limit: usize,
    ) -> BlobFuture<'a, Vec<Sha256Digest>> {
        self.inner.blobs_after(after, limit)
    }

    fn uploads_after<'a>(
        &'a self,
        after: Option<&'a UploadId>,
        limit: usize,
    ) -> BlobFuture<'a, Vec<UploadId>> {
        self.inner.uploads_after(after, limit)
    }
}

#[tokio::test]
async fn every_byte_is_hashed_once_as_it_arrives() {
    let blobs = Arc::new(Watched::default());
    let ecr = Ecr::new(Arc::new(MemoryMeta::new()), blobs.clone(), key());
    create_repository(&ecr, "app").await;
    let data = bytes(PART + 1000, 10);
    assert_eq!(push(&ecr, "app", &data, PART).await, sha256(&data));
    // Neither the staged bytes nor the blob were read back to hash them.
    assert_eq!(blobs.staged_reads.load(Ordering::SeqCst), 0);
    assert_eq!(blobs.blob_reads.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn a_part_that_is_not_durable_is_not_counted() {
    let blobs = Arc::new(Watched::default());
    let ecr = Ecr::new(Arc::new(MemoryMeta::new()), blobs.clone(), key());
    create_repository(&ecr, "app").await;
    let data = bytes(2000, 11);
    let upload = initiate(&ecr, "app").await;

    blobs.fail_sync.store(true, Ordering::SeqCst);
    let (status, answer) = call(
        &ecr,
        "UploadLayerPart",
        part_input("app", &upload, 0, &data[..1000]),
    )
    .await;
    assert_eq!(
        (status, answer["__type"].as_str()),
        (500, Some("ServerException")),
        "{answer}"
    );
    blobs.fail_sync.store(false, Ordering::SeqCst);

    // Nothing was acknowledged: the part is sent again from 0, and the layer is right.
    let refused = fails(
        &ecr,
        "UploadLayerPart",
        part_input("app", &upload, 1000, &data[1000..]),
        "InvalidLayerPartException",
    )
    .await;
    assert_eq!(
        refused.get("lastValidByteReceived"),
        None,
        "absent before any part"
    );
    part(&ecr, "app", &upload, 0, &data).await;
    ok(
        &ecr,
        "CompleteLayerUpload",
        complete_input("app", &upload, &[&sha256(&data)]),
    )
    .await;
}

#[tokio::test]
async fn a_layer_is_linked_only_once_its_blob_is_published() {
    let blobs = Arc::new(Watched::default());
    let ecr = Ecr::new(Arc::new(MemoryMeta::new()), blobs.clone(), key());
    create_repository(&ecr, "app").await;
    let data = bytes(3000, 12);
    let upload = initiate(&ecr, "app").await;
    part(&ecr, "app", &upload, 0, &data).await;

    blobs.fail_publish.store(true, Ordering::SeqCst);
    let (status, answer) = call(
        &ecr,
        "CompleteLayerUpload",
        complete_input("app", &upload, &[&sha256(&data)]),
    )
    .await;
    assert_eq!(
        (status, answer["__type"].as_str()),
        (500, Some("ServerException")),
        "{answer}"
    );
    let checked = ok(
        &ecr,
        "BatchCheckLayerAvailability",
        json!({ "repositoryName": "app", "layerDigests": [sha256(&data)] }),
    )
    .await;
    assert_eq!(checked["layers"], json!([]), "no layer without its bytes");

    // The upload is still there: completing it again works once the store does.
    blobs.fail_publish.store(false, Ordering::SeqCst);
    let done = ok(
        &ecr,
        "CompleteLayerUpload",
        complete_input("app", &upload, &[&sha256(&data)]),
    )
    .await;
    assert_eq!(done["layerDigest"], json!(sha256(&data)));
    assert_eq!(blobs.blob_reads.load(Ordering::SeqCst), 0);
}
