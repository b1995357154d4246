//! The layer and image calls of the images suite, as an SDK sends them: JSON bodies with
//! the part bytes in base64 and the manifest as a JSON string.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use conformance::http::Client;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::ecr;

/// ECR's part size (InitiateLayerUpload's `partSize`), the size SDK uploaders send.
pub const PART_SIZE: usize = 10 * 1024 * 1024;

pub const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
const OCI_CONFIG: &str = "application/vnd.oci.image.config.v1+json";
const OCI_LAYER: &str = "application/vnd.oci.image.layer.v1.tar+gzip";

/// `sha256:<hex>` of `bytes`.
pub fn digest(bytes: &[u8]) -> String {
    let hash = Sha256::digest(bytes);
    let mut text = String::with_capacity(7 + 64);
    text.push_str("sha256:");
    for byte in hash {
        text.push_str(&format!("{byte:02x}"));
    }
    text
}

/// `len` pseudo-random bytes from `seed` (xorshift: fast, and incompressible enough that
/// nothing on the way can shortcut them); another seed, another layer.
pub fn random_bytes(len: usize, seed: u64) -> Vec<u8> {
    let mut state = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    let mut bytes = Vec::with_capacity(len + 8);
    while bytes.len() < len {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        bytes.extend_from_slice(&state.to_le_bytes());
    }
    bytes.truncate(len);
    bytes
}

fn json_call(client: &mut Client, operation: &str, body: &Value) -> Result<Value, String> {
    let response = ecr::call(client, operation, &body.to_string())?;
    serde_json::from_slice(&response.body).map_err(|e| format!("{operation}: {e}"))
}

/// InitiateLayerUpload; the upload id.
pub fn initiate(client: &mut Client, repository: &str) -> Result<String, String> {
    let answer = json_call(
        client,
        "InitiateLayerUpload",
        &json!({ "repositoryName": repository }),
    )?;
    answer["uploadId"]
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| format!("InitiateLayerUpload answered {answer}"))
}

/// The upload id the bodies of [`part_bodies`] carry until [`set_upload_id`] sets the real
/// one (a UUID has this length).
const PLACEHOLDER_UPLOAD_ID: &str = "00000000-0000-0000-0000-000000000000";
/// Where the upload id sits in a part body: it comes first, so it can be set in place.
const UPLOAD_ID_AT: std::ops::Range<usize> = 13..13 + PLACEHOLDER_UPLOAD_ID.len();

/// The UploadLayerPart bodies for `layer` in parts of [`PART_SIZE`], built before the
/// upload starts (so a timed upload measures the server, not the encoding); the upload id
/// is set in place with [`set_upload_id`] once InitiateLayerUpload has given it.
pub fn part_bodies(repository: &str, layer: &[u8]) -> Vec<String> {
    layer
        .chunks(PART_SIZE)
        .enumerate()
        .map(|(index, part)| {
            let first = index * PART_SIZE;
            let body = format!(
                r#"{{"uploadId":"{PLACEHOLDER_UPLOAD_ID}","repositoryName":{},"partFirstByte":{first},"partLastByte":{},"layerPartBlob":"{}"}}"#,
                json!(repository),
                first + part.len() - 1,
                STANDARD.encode(part),
            );
            debug_assert_eq!(&body[UPLOAD_ID_AT], PLACEHOLDER_UPLOAD_ID);
            body
        })
        .collect()
}

/// Puts `upload_id` into a body of [`part_bodies`].
pub fn set_upload_id(body: &mut String, upload_id: &str) -> Result<(), String> {
    if upload_id.len() != PLACEHOLDER_UPLOAD_ID.len() || !upload_id.is_ascii() {
        return Err(format!("upload id {upload_id:?} is not a UUID"));
    }
    body.replace_range(UPLOAD_ID_AT, upload_id);
    Ok(())
}

/// The last byte part `index` of a `len`-byte layer ends at.
pub fn part_last_byte(index: usize, len: usize) -> usize {
    ((index + 1) * PART_SIZE).min(len) - 1
}

/// Sends one UploadLayerPart body; checks `lastByteReceived`.
pub fn upload_part(client: &mut Client, body: &str, last_byte: usize) -> Result<(), String> {
    let response = ecr::call(client, "UploadLayerPart", body)?;
    let answer: Value =
        serde_json::from_slice(&response.body).map_err(|e| format!("UploadLayerPart: {e}"))?;
    match answer["lastByteReceived"].as_u64() {
        Some(last) if last == last_byte as u64 => Ok(()),
        _ => Err(format!(
            "UploadLayerPart answered {answer}, expected lastByteReceived {last_byte}"
        )),
    }
}

/// CompleteLayerUpload; checks the digest Berth computed is `digest`.
pub fn complete(
    client: &mut Client,
    repository: &str,
    upload_id: &str,
    digest: &str,
) -> Result<(), String> {
    let answer = json_call(
        client,
        "CompleteLayerUpload",
        &json!({
            "repositoryName": repository,
            "uploadId": upload_id,
            "layerDigests": [digest],
        }),
    )?;
    match answer["layerDigest"].as_str() {
        Some(computed) if computed == digest => Ok(()),
        _ => Err(format!(
            "CompleteLayerUpload answered {answer}, expected {digest}"
        )),
    }
}

/// Uploads `blob` into `repository` through the layer API; its digest.
pub fn upload_blob(client: &mut Client, repository: &str, blob: &[u8]) -> Result<String, String> {
    let digest = digest(blob);
    let upload_id = initiate(client, repository)?;
    for (index, mut body) in part_bodies(repository, blob).into_iter().enumerate() {
        set_upload_id(&mut body, &upload_id)?;
        upload_part(client, &body, part_last_byte(index, blob.len()))?;
    }
    complete(client, repository, &upload_id, &digest)?;
    Ok(digest)
}

/// What every seeded image of a repository shares: its config and layer blobs.
#[derive(Debug, Clone)]
pub struct Blobs {
    config: (String, usize),
    layer: (String, usize),
}

/// Uploads one config and one layer blob into `repository`, for [`put_image`].
pub fn seed_blobs(client: &mut Client, repository: &str) -> Result<Blobs, String> {
    let config =
        br#"{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}"#;
    let layer = random_bytes(4096, 7);
    Ok(Blobs {
        config: (upload_blob(client, repository, config)?, config.len()),
        layer: (upload_blob(client, repository, &layer)?, layer.len()),
    })
}

/// An OCI image manifest of `blobs`, made distinct by an annotation numbered `n`.
pub fn manifest(blobs: &Blobs, n: usize) -> String {
    json!({
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "config": { "mediaType": OCI_CONFIG, "digest": blobs.config.0, "size": blobs.config.1 },
        "layers": [{ "mediaType": OCI_LAYER, "digest": blobs.layer.0, "size": blobs.layer.1 }],
        "annotations": { "org.example.bench.n": n.to_string() },
    })
    .to_string()
}

/// The tag of seeded image `n` (zero-padded: tag order is number order).
pub fn tag(n: usize) -> String {
    format!("v{n:06}")
}

/// PutImage of manifest `n` with its tag.
pub fn put_image(
    client: &mut Client,
    repository: &str,
    blobs: &Blobs,
    n: usize,
) -> Result<(), String> {
    let body = json!({
        "repositoryName": repository,
        "imageManifest": manifest(blobs, n),
        "imageTag": tag(n),
    });
    ecr::call(client, "PutImage", &body.to_string()).map(drop)
}

/// Creates `repository` and puts `count` images in it, each with its own tag.
pub fn seed_images(client: &mut Client, repository: &str, count: usize) -> Result<(), String> {
    ecr::create(client, repository)?;
    let blobs = seed_blobs(client, repository)?;
    for n in 0..count {
        put_image(client, repository, &blobs, n)?;
    }
    Ok(())
}

/// The token that starts the page after the first `skip` entries of `operation`
/// (ListImages or DescribeImages) over `repository`.
pub fn token_after(
    client: &mut Client,
    operation: &str,
    repository: &str,
    skip: usize,
) -> Result<String, String> {
    /// The largest page both operations allow.
    const MAX_PAGE: usize = 1000;
    let mut token: Option<String> = None;
    let mut skipped = 0;
    while skipped < skip {
        let page = (skip - skipped).min(MAX_PAGE);
        let mut body = json!({ "repositoryName": repository, "maxResults": page });
        if let Some(token) = &token {
            body["nextToken"] = json!(token);
        }
        let answer = json_call(client, operation, &body)?;
        token = answer["nextToken"].as_str().map(str::to_owned);
        skipped += page;
        if token.is_none() {
            return Err(format!(
                "{operation}: only {skipped} entries to page through"
            ));
        }
    }
    token.ok_or_else(|| "nothing to skip".to_owned())
}

/// A page request body of `operation` over `repository`, from `token` if given.
pub fn page_body(repository: &str, token: Option<&str>) -> String {
    match token {
        Some(token) => json!({ "repositoryName": repository, "nextToken": token }),
        None => json!({ "repositoryName": repository }),
    }
    .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_cover_the_layer_in_order() {
        let layer = random_bytes(PART_SIZE * 2 + 5, 1);
        let bodies = part_bodies("team/app", &layer);
        assert_eq!(bodies.len(), 3);
        let id = "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0";
        let mut joined = Vec::new();
        for (index, mut body) in bodies.into_iter().enumerate() {
            set_upload_id(&mut body, id).unwrap();
            let part: Value = serde_json::from_str(&body).unwrap();
            assert_eq!(part["uploadId"], id);
            assert_eq!(part["repositoryName"], "team/app");
            assert_eq!(
                part["partLastByte"],
                json!(part_last_byte(index, layer.len()))
            );
            assert_eq!(part["partFirstByte"], json!(index * PART_SIZE));
            let blob = STANDARD
                .decode(part["layerPartBlob"].as_str().unwrap())
                .unwrap();
            assert_eq!(
                part["partLastByte"],
                json!(index * PART_SIZE + blob.len() - 1)
            );
            joined.extend(blob);
        }
        assert_eq!(joined, layer);
    }

    #[test]
    fn seeds_make_distinct_layers_and_manifests() {
        assert_eq!(random_bytes(100, 3), random_bytes(100, 3));
        assert_ne!(random_bytes(100, 3), random_bytes(100, 4));
        assert_eq!(
            digest(b""),
            "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        let blobs = Blobs {
            config: (digest(b"c"), 1),
            layer: (digest(b"l"), 1),
        };
        assert_ne!(manifest(&blobs, 1), manifest(&blobs, 2));
        let parsed: Value = serde_json::from_str(&manifest(&blobs, 1)).unwrap();
        assert_eq!(parsed["mediaType"], OCI_MANIFEST);
    }
}
