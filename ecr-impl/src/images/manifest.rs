//! Manifests as PutImage receives them (`ecr-behaviour-images.md` §1, §4 steps 3–6, §8):
//! which media type they have, their digest, the structure each kind must have, what they
//! reference, and what DescribeImages and ListImageReferrers will derive from them.
//!
//! The bytes are kept as received elsewhere; this module only reads them, through a lenient
//! serde view: the members Berth needs, every other member ignored. Not `oci-spec`: it
//! requires `config`, refuses uppercase digest hex (ECR allows it) and words its own errors.
//!
//! A manifest that is not JSON, or not the structure its media type calls for (a member
//! Berth needs missing or of the wrong JSON type, a `schemaVersion` other than 2, a
//! descriptor digest that is not a digest) is the one error ECR answers for a manifest it
//! cannot read: `Invalid JSON syntax`.

use std::collections::{BTreeMap, HashSet};
use std::fmt;

use ecr_generated::errors::{
    ImageDigestDoesNotMatchException, InvalidParameterException, LayersNotFoundException,
    PutImageError, ReferencedImagesNotFoundException,
};
use ecr_generated::types::{ImageManifest, LayerDigest};
use serde::de::Error as _;
use serde::{Deserialize, Deserializer};
use serde_json::Value;

use crate::messages;
use crate::store::blobs::Sha256Digest;

/// The `schemaVersion` of every manifest kind PutImage accepts; any other value is a
/// manifest ECR cannot read.
pub const SCHEMA_VERSION: u64 = 2;

/// The algorithm of every image digest ECR computes.
pub const DIGEST_ALGORITHM: &str = "sha256";

/// The media types PutImage accepts (likely); any other (Docker schema 1 included) is
/// `Unsupported manifest media type`. OCI artifacts are OCI manifests or indexes that carry
/// an `artifactType` or a `subject`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MediaType {
    /// Docker image manifest v2, schema 2.
    DockerManifest,
    /// Docker manifest list (a multi-platform image).
    DockerManifestList,
    /// OCI image manifest (images and artifacts).
    OciManifest,
    /// OCI image index (multi-platform images and artifacts).
    OciIndex,
}

impl MediaType {
    /// Every accepted media type.
    pub const ALL: [MediaType; 4] = [
        MediaType::DockerManifest,
        MediaType::DockerManifestList,
        MediaType::OciManifest,
        MediaType::OciIndex,
    ];

    /// The media type as it appears in manifests and in ECR's answers.
    pub const fn as_str(self) -> &'static str {
        match self {
            MediaType::DockerManifest => "application/vnd.docker.distribution.manifest.v2+json",
            MediaType::DockerManifestList => {
                "application/vnd.docker.distribution.manifest.list.v2+json"
            }
            MediaType::OciManifest => "application/vnd.oci.image.manifest.v1+json",
            MediaType::OciIndex => "application/vnd.oci.image.index.v1+json",
        }
    }

    /// The accepted media type written exactly `text` (media types are compared as sent).
    pub fn parse(text: &str) -> Option<MediaType> {
        MediaType::ALL
            .into_iter()
            .find(|kind| kind.as_str() == text)
    }

    /// Whether manifests of this type list other manifests (`manifests[]`) rather than
    /// a config and layers.
    pub const fn is_index(self) -> bool {
        matches!(self, MediaType::DockerManifestList | MediaType::OciIndex)
    }
}

impl fmt::Display for MediaType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A reference to content, as a manifest writes it. The digest is normalised to lowercase
/// hex, the form layers and images are named by (§1); the media type is optional here (the
/// lenient view needs only the digest and the size).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Descriptor {
    /// The referenced content's media type (a layer keeps the first one a manifest gives).
    #[serde(rename = "mediaType")]
    pub media_type: Option<String>,
    #[serde(deserialize_with = "content_digest")]
    pub digest: String,
    /// The size the manifest declares (what `imageSizeInBytes` sums).
    pub size: u64,
}

/// One entry of a manifest list or index: a manifest and, when given, the platform it is for.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct IndexEntry {
    #[serde(flatten)]
    pub descriptor: Descriptor,
    pub platform: Option<Platform>,
}

/// The platform an index entry is for (what DescribeImages may show of an index).
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
pub struct Platform {
    pub architecture: Option<String>,
    pub os: Option<String>,
    pub variant: Option<String>,
}

/// What a manifest holds, by kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Content {
    /// An image manifest (Docker or OCI, artifacts included): a config and its layers.
    Image {
        config: Descriptor,
        layers: Vec<Descriptor>,
    },
    /// A manifest list or index: other manifests of the same repository.
    Index { manifests: Vec<IndexEntry> },
}

/// A manifest PutImage can store: its digest, its media type and what Berth reads of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Manifest {
    digest: String,
    media_type: MediaType,
    content: Content,
    subject: Option<Descriptor>,
    artifact_type: Option<String>,
    annotations: BTreeMap<String, String>,
}

/// PutImage's checks on the manifest, in the spec's order (§4 steps 3 to 5): JSON, media
/// type (`declared` is `imageManifestMediaType`), structure, then the caller's `imageDigest`
/// if given. The references (step 6) need the repository: see [`Manifest::required_layers`]
/// and [`Manifest::required_images`].
pub fn read(
    manifest: &ImageManifest,
    declared: Option<&str>,
    given_digest: Option<&str>,
) -> Result<Manifest, PutImageError> {
    let manifest = parse(manifest, declared)?;
    if let Some(given) = given_digest {
        check_given_digest(given, manifest.digest())?;
    }
    Ok(manifest)
}

/// Steps 3 and 4: reads `manifest` as the media type `declared` (PutImage's
/// `imageManifestMediaType`) or, without one, as its own `mediaType` says.
pub fn parse(
    manifest: &ImageManifest,
    declared: Option<&str>,
) -> Result<Manifest, InvalidParameterException> {
    let json: Value = serde_json::from_str(manifest).map_err(|_| invalid_json())?;
    let media_type = resolve_media_type(declared, own_media_type(&json)?)?;
    let envelope = Envelope::deserialize(&json).map_err(|_| invalid_json())?;
    if envelope.schema_version != SCHEMA_VERSION {
        return Err(invalid_json());
    }
    let content = if media_type.is_index() {
        let parts = IndexParts::deserialize(&json).map_err(|_| invalid_json())?;
        Content::Index {
            manifests: parts.manifests,
        }
    } else {
        let parts = ImageParts::deserialize(&json).map_err(|_| invalid_json())?;
        Content::Image {
            config: parts.config,
            layers: parts.layers,
        }
    };
    Ok(Manifest {
        digest: digest_of(manifest.as_bytes()),
        media_type,
        content,
        subject: envelope.subject,
        artifact_type: envelope.artifact_type,
        annotations: envelope.annotations.unwrap_or_default(),
    })
}

/// Step 4: the explicit media type if given, else the manifest's own. Neither is the same
/// error as a manifest that is not JSON (real); one Berth does not accept, or an explicit
/// one that contradicts the manifest's own, is `Unsupported manifest media type` (choice).
pub fn resolve_media_type(
    declared: Option<&str>,
    own: Option<&str>,
) -> Result<MediaType, InvalidParameterException> {
    let text = match (declared, own) {
        (None, None) => return Err(invalid_json()),
        (Some(declared), Some(own)) if declared != own => return Err(unsupported_media_type()),
        (Some(text), _) | (None, Some(text)) => text,
    };
    MediaType::parse(text).ok_or_else(unsupported_media_type)
}

/// §1: an image's digest, `sha256:` and the lowercase hex SHA-256 of the exact bytes.
pub fn digest_of(bytes: &[u8]) -> String {
    Sha256Digest::of(bytes).to_string()
}

/// Step 5: the caller's `imageDigest` must name the computed digest. The hex may be written
/// in either case, like any digest ECR reads.
pub fn check_given_digest(
    given: &str,
    computed: &str,
) -> Result<(), ImageDigestDoesNotMatchException> {
    if normalized_digest(given) == computed {
        Ok(())
    } else {
        Err(ImageDigestDoesNotMatchException::new(
            messages::image_digest_does_not_match(given, computed),
        ))
    }
}

/// Step 6: the config and layer digests (in manifest order) an image manifest needs that
/// are not layers of the repository.
pub fn layers_not_found(
    missing: &[&str],
    repository_name: &str,
    registry_id: &str,
) -> LayersNotFoundException {
    let message = messages::layers_not_found(missing, repository_name, registry_id);
    LayersNotFoundException::new(message)
}

/// Step 6: the manifests an index or list needs that are not images of the repository.
pub fn referenced_images_not_found(
    missing: &[&str],
    repository_name: &str,
    registry_id: &str,
) -> ReferencedImagesNotFoundException {
    let message = messages::referenced_images_not_found(missing, repository_name, registry_id);
    ReferencedImagesNotFoundException::new(message)
}

impl Manifest {
    /// `sha256:` and the lowercase hex digest of the exact bytes.
    pub fn digest(&self) -> &str {
        &self.digest
    }

    /// The resolved media type (what ECR answers as `imageManifestMediaType`).
    pub fn media_type(&self) -> MediaType {
        self.media_type
    }

    /// What the manifest holds: a config and layers, or other manifests.
    pub fn content(&self) -> &Content {
        &self.content
    }

    /// The layers the repository must hold for this manifest (step 6): an image manifest's
    /// config then its layers, each digest once, in manifest order; none for an index.
    pub fn required_layers(&self) -> Vec<&Descriptor> {
        match &self.content {
            Content::Image { config, layers } => distinct(std::iter::once(config).chain(layers)),
            Content::Index { .. } => Vec::new(),
        }
    }

    /// The images the repository must hold for this index or list (step 6), each digest
    /// once, in manifest order; none for an image manifest.
    pub fn required_images(&self) -> Vec<&Descriptor> {
        match &self.content {
            Content::Image { .. } => Vec::new(),
            Content::Index { manifests } => {
                distinct(manifests.iter().map(|entry| &entry.descriptor))
            }
        }
    }

    /// The manifest this one refers to (OCI 1.1 `subject`); it need not exist (likely).
    pub fn subject(&self) -> Option<&Descriptor> {
        self.subject.as_ref()
    }

    /// §8 `imageSizeInBytes`: an image manifest's config size plus every layer's size, as
    /// the manifest declares them (real); an index's largest child image size (model), each
    /// child's size given by `child_size` (children it does not know are left out).
    /// Saturates at `i64::MAX` (the model's Long) rather than wrapping.
    pub fn image_size_in_bytes(&self, mut child_size: impl FnMut(&str) -> Option<i64>) -> i64 {
        match &self.content {
            Content::Image { config, layers } => {
                let total = layers
                    .iter()
                    .fold(config.size, |sum, layer| sum.saturating_add(layer.size));
                i64::try_from(total).unwrap_or(i64::MAX)
            }
            Content::Index { manifests } => manifests
                .iter()
                .filter_map(|entry| child_size(&entry.descriptor.digest))
                .max()
                .unwrap_or(0),
        }
    }

    /// §8 `artifactMediaType` and §12 a referrer's `artifactType`: the manifest's
    /// `artifactType` if it has one, else its config's media type (real); none for an index
    /// without `artifactType` (choice).
    pub fn artifact_type(&self) -> Option<&str> {
        if let Some(artifact_type) = &self.artifact_type {
            return Some(artifact_type);
        }
        match &self.content {
            Content::Image { config, .. } => config.media_type.as_deref(),
            Content::Index { .. } => None,
        }
    }

    /// The manifest's own `annotations` (a referrer's annotations, §12).
    pub fn annotations(&self) -> &BTreeMap<String, String> {
        &self.annotations
    }

    /// The platforms of an index's entries, with each entry's digest, in manifest order:
    /// entries without a platform are left out; none for an image manifest.
    pub fn platforms(&self) -> Vec<(&str, &Platform)> {
        match &self.content {
            Content::Image { .. } => Vec::new(),
            Content::Index { manifests } => manifests
                .iter()
                .filter_map(|entry| {
                    Some((entry.descriptor.digest.as_str(), entry.platform.as_ref()?))
                })
                .collect(),
        }
    }
}

/// The members every kind shares.
#[derive(Deserialize)]
struct Envelope {
    #[serde(rename = "schemaVersion")]
    schema_version: u64,
    subject: Option<Descriptor>,
    #[serde(rename = "artifactType")]
    artifact_type: Option<String>,
    annotations: Option<BTreeMap<String, String>>,
}

/// The members of an image manifest.
#[derive(Deserialize)]
struct ImageParts {
    config: Descriptor,
    layers: Vec<Descriptor>,
}

/// The members of a manifest list or index.
#[derive(Deserialize)]
struct IndexParts {
    manifests: Vec<IndexEntry>,
}

/// The manifest's own top-level `mediaType`: absent (or null) is none; anything but a
/// string is a manifest ECR cannot read.
fn own_media_type(json: &Value) -> Result<Option<&str>, InvalidParameterException> {
    match json.get("mediaType") {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(text)) => Ok(Some(text)),
        Some(_) => Err(invalid_json()),
    }
}

/// A descriptor's digest: it must match the model's layer-digest pattern (every digest a
/// manifest names is a layer's or an image's, and both share it); kept with lowercase hex.
fn content_digest<'de, D: Deserializer<'de>>(deserializer: D) -> Result<String, D::Error> {
    let text = String::deserialize(deserializer)?;
    LayerDigest::check(&text).map_err(D::Error::custom)?;
    Ok(normalized_digest(&text))
}

/// A digest with its hex in lowercase (the algorithm as written): `sha256:ABC…` and
/// `sha256:abc…` name the same bytes.
fn normalized_digest(text: &str) -> String {
    match text.split_once(':') {
        Some((algorithm, hex)) => format!("{algorithm}:{}", hex.to_ascii_lowercase()),
        None => text.to_owned(),
    }
}

/// Each descriptor whose digest was not seen before, in order.
fn distinct<'a>(descriptors: impl Iterator<Item = &'a Descriptor>) -> Vec<&'a Descriptor> {
    let mut seen = HashSet::new();
    descriptors
        .filter(|descriptor| seen.insert(descriptor.digest.as_str()))
        .collect()
}

fn invalid_json() -> InvalidParameterException {
    InvalidParameterException::new(messages::invalid_manifest_json())
}

fn unsupported_media_type() -> InvalidParameterException {
    InvalidParameterException::new(messages::unsupported_manifest_media_type())
}
