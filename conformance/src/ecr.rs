//! Amazon ECR's fixture: the caller's account and region (learned from the server), values
//! that name the repository the variants work on, a valid repository policy, an image (a
//! config and a one-byte layer pushed through the layer API, and a manifest naming them),
//! and the calls that create what an operation needs first: the repository, its policy, an
//! upload in progress, the blobs, the image.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use codegen::ir::Operation;
use serde_json::{Value, json};
use sha2::{Digest as _, Sha256};

use crate::check;
use crate::fixture::{Call, Capture, Fixture, strings_targeting};
use crate::http::Client;
use crate::model::Model;
use crate::run;

pub const SERVICE_ID: &str = "com.amazonaws.ecr#AmazonEC2ContainerRegistry_V20150921";

const NS: &str = "com.amazonaws.ecr#";
/// The repository the variants act on, unless a variant names its own.
const REPOSITORY: &str = "conformance/app";
/// A repository created only to read the caller's account and region from its ARN.
const PROBE_REPOSITORY: &str = "conformance-probe";
/// A resource policy of the kind ECR accepts.
const POLICY: &str = r#"{"Version":"2012-10-17","Statement":[{"Sid":"pull","Effect":"Allow","Principal":{"AWS":"*"},"Action":["ecr:BatchGetImage","ecr:GetDownloadUrlForLayer"]}]}"#;
/// A lifecycle policy ECR accepts (at least the 100 characters the model asks for).
const LIFECYCLE_POLICY: &str = r#"{"rules":[{"rulePriority":1,"description":"Expire untagged images beyond five","selection":{"tagStatus":"untagged","countType":"imageCountMoreThan","countNumber":5},"action":{"type":"expire"}}]}"#;
/// An upstream ECR's pull-through cache supports, its rules' prefix, and a secret of the
/// form its credentials need (Docker Hub requires one).
const UPSTREAM_URL: &str = "registry-1.docker.io";
const CACHE_PREFIX: &str = "dockerhub";
/// ECR's quota of pull through cache rules per registry.
const MAX_PULL_THROUGH_CACHE_RULES: usize = 50;
const SECRET_NAME: &str = "ecr-pullthroughcache/dockerhub-AbCdEf";
/// A repository creation template's prefix.
const TEMPLATE_PREFIX: &str = "conformance";
/// What a creation template is applied for.
const APPLIED_FOR: &str = "appliedFor";
/// An account setting and one of its values.
const ACCOUNT_SETTING: (&str, &str) = ("BLOB_MOUNTING", "ENABLED");
/// A customer-managed key id, in the form KMS gives them.
const KMS_KEY_ID: &str = "0c7a3c7e-5b0c-4c65-9d5e-3f5cbb6a2b10";

/// Members that depend on each other: exclusion filters go with (and only with) the
/// `*_WITH_EXCLUSION` modes; a KMS key goes with a KMS encryption type.
const TAG_MUTABILITY: &str = "imageTagMutability";
const EXCLUSION_FILTERS: &str = "imageTagMutabilityExclusionFilters";
const MODE_WITH_EXCLUSION: &str = "IMMUTABLE_WITH_EXCLUSION";
const EXCLUSION_SUFFIX: &str = "_WITH_EXCLUSION";
const EXCLUSION_FILTER: &str = r#"{"filterType":"WILDCARD","filter":"release-*"}"#;
const ENCRYPTION_TYPE: &str = "encryptionType";
const KMS_KEY: &str = "kmsKey";
const KMS_ENCRYPTION: &str = "KMS";
const ENCRYPTION_WITHOUT_KEY: &str = "AES256";

/// The image the variants act on: a config blob, a one-byte layer (so that a generated
/// part of one byte at offset 0 is a valid part), and a manifest naming both.
const CONFIG_BLOB: &str =
    r#"{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}"#;
const LAYER_BLOB: &str = "x";
const MANIFEST_MEDIA_TYPE: &str = "application/vnd.oci.image.manifest.v1+json";
const CONFIG_MEDIA_TYPE: &str = "application/vnd.oci.image.config.v1+json";
const LAYER_MEDIA_TYPE: &str = "application/vnd.oci.image.layer.v1.tar";
/// The tag the prepared image carries.
const IMAGE_TAG: &str = "v1";
/// A single image named by a call, and the member that names it by tag.
const IMAGE_ID: &str = "imageId";
const IMAGE_TAG_MEMBER: &str = "imageTag";
/// Where upload ids, which only the server picks, go until they are known: one per upload a
/// setup starts, in order. (Valid UUIDs, so the model accepts them as `uploadId`s.)
const UPLOAD_PLACEHOLDERS: [&str; 2] = [
    "00000000-0000-4000-8000-00000000c0f1",
    "00000000-0000-4000-8000-00000000c0f2",
];

const CREATE_REPOSITORY: &str = "CreateRepository";
const INITIATE_LAYER_UPLOAD: &str = "InitiateLayerUpload";
const UPLOAD_LAYER_PART: &str = "UploadLayerPart";
const COMPLETE_LAYER_UPLOAD: &str = "CompleteLayerUpload";
const PUT_IMAGE: &str = "PutImage";
/// Operations on an upload in progress (the first placeholder's).
const NEED_AN_UPLOAD: &[&str] = &[UPLOAD_LAYER_PART, COMPLETE_LAYER_UPLOAD];
/// Operations on blobs a manifest can name.
const NEED_BLOBS: &[&str] = &[PUT_IMAGE];
/// Operations on the prepared image.
const NEED_AN_IMAGE: &[&str] = &[
    "BatchGetImage",
    "BatchDeleteImage",
    "DescribeImages",
    "ListImages",
    "ListImageReferrers",
    "UpdateImageStorageClass",
    "BatchCheckLayerAvailability",
    "GetDownloadUrlForLayer",
    "StartImageScan",
    "DescribeImageScanFindings",
    "DescribeImageReplicationStatus",
    "DescribeImageSigningStatus",
];
/// Operations on the prepared image that need it scanned first.
const NEED_A_SCAN: &[&str] = &["DescribeImageScanFindings"];
const SET_REPOSITORY_POLICY: &str = "SetRepositoryPolicy";
/// Operations that act on a repository's policy, which must exist first.
const NEED_A_POLICY: &[&str] = &["GetRepositoryPolicy", "DeleteRepositoryPolicy"];
const PUT_LIFECYCLE_POLICY: &str = "PutLifecyclePolicy";
const START_LIFECYCLE_PREVIEW: &str = "StartLifecyclePolicyPreview";
const GET_LIFECYCLE_PREVIEW: &str = "GetLifecyclePolicyPreview";
const START_IMAGE_SCAN: &str = "StartImageScan";
/// Operations that act on a repository's lifecycle policy, which must exist first (a
/// preview, too, needs one started).
const NEED_A_LIFECYCLE_POLICY: &[&str] = &[
    "GetLifecyclePolicy",
    "DeleteLifecyclePolicy",
    START_LIFECYCLE_PREVIEW,
];

#[derive(Debug, Clone)]
pub struct EcrFixture {
    pub account_id: String,
    pub region: String,
}

impl EcrFixture {
    /// Creates a probe repository to learn the caller's account and region from its ARN,
    /// then resets the server.
    pub fn discover(model: &Model, client: &mut Client) -> Result<EcrFixture, String> {
        run::reset(client)?;
        let call = Call {
            operation: CREATE_REPOSITORY.to_owned(),
            input: json!({ "repositoryName": PROBE_REPOSITORY }),
        };
        let response = run::call(client, model, &call)?;
        run::reset(client)?;
        let body: Value = serde_json::from_slice(&response.body).unwrap_or_default();
        let arn = body["repository"]["repositoryArn"]
            .as_str()
            .unwrap_or_default();
        let parts: Vec<&str> = arn.split(':').collect();
        match parts.as_slice() {
            ["arn", _, "ecr", region, account_id, _] if response.status == 200 => Ok(EcrFixture {
                account_id: (*account_id).to_owned(),
                region: (*region).to_owned(),
            }),
            _ => Err(format!(
                "cannot learn the account and region: CreateRepository answered {} {}",
                response.status,
                response.text()
            )),
        }
    }

    pub fn repository_arn(&self, name: &str) -> String {
        format!(
            "arn:aws:ecr:{}:{}:repository/{name}",
            self.region, self.account_id
        )
    }

    /// The manifest of the prepared image, naming the config and layer blobs.
    pub fn manifest() -> String {
        json!({
            "schemaVersion": 2,
            "mediaType": MANIFEST_MEDIA_TYPE,
            "config": blob_descriptor(CONFIG_MEDIA_TYPE, CONFIG_BLOB),
            "layers": [blob_descriptor(LAYER_MEDIA_TYPE, LAYER_BLOB)],
        })
        .to_string()
    }

    /// A registry policy granting this account replication into it.
    fn registry_policy(&self) -> String {
        json!({
            "Version": "2012-10-17",
            "Statement": [{
                "Sid": "replication",
                "Effect": "Allow",
                "Principal": {"AWS": format!("arn:aws:iam::{}:root", self.account_id)},
                "Action": ["ecr:ReplicateImage", "ecr:CreateRepository"],
                "Resource": format!(
                    "arn:aws:ecr:{}:{}:repository/*",
                    self.region, self.account_id
                ),
            }],
        })
        .to_string()
    }

    fn credential_arn(&self) -> String {
        format!(
            "arn:aws:secretsmanager:{}:{}:secret:{SECRET_NAME}",
            self.region, self.account_id
        )
    }

    /// The calls that create the registry-level things `input` of `operation` names (a
    /// pull-through cache rule, a template, an exclusion) or needs (a registry policy, a
    /// signing configuration), whatever repository it names.
    fn registry_setup(
        &self,
        model: &Model,
        root: &str,
        operation: &str,
        input: &Value,
    ) -> Vec<Call> {
        let named = |shape: &str| -> Vec<String> {
            let mut seen = std::collections::BTreeSet::new();
            strings_targeting(model, root, input, &format!("{NS}{shape}"))
                .into_iter()
                .filter(|(member, text)| {
                    check::member_value(model, member, &json!(text)).is_clean()
                })
                .map(|(_, text)| text.to_owned())
                .filter(|text| seen.insert(text.clone()))
                .collect()
        };
        let call = |operation: &str, input: Value| Call {
            operation: operation.to_owned(),
            input,
        };
        match operation {
            "GetRegistryPolicy" | "DeleteRegistryPolicy" => vec![call(
                "PutRegistryPolicy",
                json!({ "policyText": self.registry_policy() }),
            )],
            "GetSigningConfiguration" | "DeleteSigningConfiguration" => vec![call(
                "PutSigningConfiguration",
                json!({ "signingConfiguration": { "rules": [{
                    "signingProfileArn": self.preferred(&format!("{NS}SigningProfileArn")),
                }]}}),
            )],
            "DescribePullThroughCacheRules"
            | "UpdatePullThroughCacheRule"
            | "DeletePullThroughCacheRule"
            | "ValidatePullThroughCacheRule" => named("PullThroughCacheRuleRepositoryPrefix")
                .into_iter()
                // A registry holds at most 50 rules (ECR's quota): a longer list names some
                // that do not exist, which Describe answers as not found.
                .take(MAX_PULL_THROUGH_CACHE_RULES)
                .map(|prefix| {
                    call(
                        "CreatePullThroughCacheRule",
                        json!({
                            "ecrRepositoryPrefix": prefix,
                            "upstreamRegistryUrl": UPSTREAM_URL,
                            "credentialArn": self.credential_arn(),
                        }),
                    )
                })
                .collect(),
            "DescribeRepositoryCreationTemplates"
            | "UpdateRepositoryCreationTemplate"
            | "DeleteRepositoryCreationTemplate" => named("Prefix")
                .into_iter()
                .map(|prefix| {
                    call(
                        "CreateRepositoryCreationTemplate",
                        json!({ "prefix": prefix, "appliedFor": ["REPLICATION"] }),
                    )
                })
                .collect(),
            "DeregisterPullTimeUpdateExclusion" => named("PrincipalArn")
                .into_iter()
                .map(|arn| {
                    call(
                        "RegisterPullTimeUpdateExclusion",
                        json!({ "principalArn": arn }),
                    )
                })
                .collect(),
            _ => Vec::new(),
        }
    }

    /// The repository an ARN of this account and region names.
    fn repository_in(&self, arn: &str) -> Option<String> {
        let prefix = self.repository_arn("");
        arn.strip_prefix(&prefix)
            .filter(|name| !name.is_empty())
            .map(str::to_owned)
    }
}

impl Fixture for EcrFixture {
    fn preferred(&self, shape_id: &str) -> Option<Value> {
        let short = shape_id.strip_prefix(NS)?;
        Some(match short {
            "RegistryId" => json!(self.account_id),
            "RepositoryName" => json!(REPOSITORY),
            "Arn" => json!(self.repository_arn(REPOSITORY)),
            "RepositoryPolicyText" => json!(POLICY),
            "KmsKey" => json!(format!(
                "arn:aws:kms:{}:{}:key/{KMS_KEY_ID}",
                self.region, self.account_id
            )),
            "TagKey" => json!("team"),
            "ImageManifest" => json!(EcrFixture::manifest()),
            "ImageDigest" => json!(sha256(&EcrFixture::manifest())),
            "ImageTag" => json!(IMAGE_TAG),
            "MediaType" => json!(MANIFEST_MEDIA_TYPE),
            "LayerDigest" | "BatchedOperationLayerDigest" => json!(sha256(LAYER_BLOB)),
            "UploadId" => json!(UPLOAD_PLACEHOLDERS[0]),
            "LayerPartBlob" => json!(BASE64.encode(LAYER_BLOB)),
            "PartSize" => json!(0),
            "TagValue" => json!("conformance"),
            "LifecyclePolicyText" | "LifecyclePolicyTextForRepositoryCreationTemplate" => {
                json!(LIFECYCLE_POLICY)
            }
            "RegistryPolicyText" => json!(self.registry_policy()),
            "Url" => json!(UPSTREAM_URL),
            "PullThroughCacheRuleRepositoryPrefix" => json!(CACHE_PREFIX),
            "CredentialArn" => json!(self.credential_arn()),
            "CustomRoleArn" => json!(format!(
                "arn:aws:iam::{}:role/ecr-conformance",
                self.account_id
            )),
            "Prefix" => json!(TEMPLATE_PREFIX),
            "AccountSettingName" => json!(ACCOUNT_SETTING.0),
            "AccountSettingValue" => json!(ACCOUNT_SETTING.1),
            "PrincipalArn" => json!(format!("arn:aws:iam::{}:role/conformance", self.account_id)),
            "SigningProfileArn" => json!(format!(
                "arn:aws:signer:{}:{}:/signing-profiles/conformance_profile",
                self.region, self.account_id
            )),
            _ => return None,
        })
    }

    fn sized(&self, shape_id: &str, length: usize) -> Option<Value> {
        // JSON allows trailing whitespace: a document stays valid at any length it fits.
        let document = match shape_id.strip_prefix(NS)? {
            "RepositoryPolicyText" => POLICY.to_owned(),
            "ImageManifest" => EcrFixture::manifest(),
            "LifecyclePolicyText" | "LifecyclePolicyTextForRepositoryCreationTemplate" => {
                LIFECYCLE_POLICY.to_owned()
            }
            "RegistryPolicyText" => self.registry_policy(),
            _ => return None,
        };
        let padding = length.checked_sub(document.chars().count())?;
        Some(json!(format!("{document}{}", " ".repeat(padding))))
    }

    fn capture(&self, call: &Call, earlier: usize) -> Option<Capture> {
        (call.operation == INITIATE_LAYER_UPLOAD).then(|| Capture {
            pointer: "/uploadId",
            placeholder: UPLOAD_PLACEHOLDERS[earlier % UPLOAD_PLACEHOLDERS.len()],
        })
    }

    fn complete(&self, operation: &str, input: &mut Value) {
        if let Value::Object(object) = input {
            complete_upstream_credentials(operation, object, &self.credential_arn());
        }
        complete_nested(input);
    }

    fn setup(&self, model: &Model, operation: &Operation, input: &Value) -> Vec<Call> {
        let Some(root) = operation.input.as_deref() else {
            return Vec::new();
        };
        if operation.name == CREATE_REPOSITORY {
            return Vec::new();
        }
        let registry_calls = self.registry_setup(model, root, &operation.name, input);
        let mut names: Vec<String> =
            strings_targeting(model, root, input, &format!("{NS}RepositoryName"))
                .into_iter()
                // Only names the model allows can exist.
                .filter(|(member, name)| {
                    check::member_value(model, member, &json!(name)).is_clean()
                })
                .map(|(_, name)| name.to_owned())
                .collect();
        names.extend(
            strings_targeting(model, root, input, &format!("{NS}Arn"))
                .into_iter()
                .filter_map(|(_, arn)| self.repository_in(arn)),
        );
        let mut seen = std::collections::BTreeSet::new();
        names.retain(|name| seen.insert(name.clone()));
        let mut calls: Vec<Call> = names
            .iter()
            .map(|name| Call {
                operation: CREATE_REPOSITORY.to_owned(),
                input: json!({ "repositoryName": name }),
            })
            .collect();
        calls.extend(registry_calls);
        let operation = operation.name.as_str();
        if NEED_A_POLICY.contains(&operation) {
            calls.extend(names.iter().map(|name| Call {
                operation: SET_REPOSITORY_POLICY.to_owned(),
                input: json!({ "repositoryName": name, "policyText": POLICY }),
            }));
        }
        if NEED_A_LIFECYCLE_POLICY.contains(&operation) || operation == GET_LIFECYCLE_PREVIEW {
            calls.extend(names.iter().map(|name| Call {
                operation: PUT_LIFECYCLE_POLICY.to_owned(),
                input: json!({ "repositoryName": name, "lifecyclePolicyText": LIFECYCLE_POLICY }),
            }));
        }
        if operation == GET_LIFECYCLE_PREVIEW {
            calls.extend(names.iter().map(|name| Call {
                operation: START_LIFECYCLE_PREVIEW.to_owned(),
                input: json!({ "repositoryName": name }),
            }));
        }
        // Uploads, blobs and images go into the repository the variants act on.
        if !names.iter().any(|name| name == REPOSITORY) {
            return calls;
        }
        if NEED_AN_UPLOAD.contains(&operation) {
            calls.push(initiate_upload());
            if operation == COMPLETE_LAYER_UPLOAD {
                calls.push(upload_part(UPLOAD_PLACEHOLDERS[0], LAYER_BLOB));
            }
        }
        if NEED_BLOBS.contains(&operation) || NEED_AN_IMAGE.contains(&operation) {
            for (placeholder, blob) in UPLOAD_PLACEHOLDERS.iter().zip([CONFIG_BLOB, LAYER_BLOB]) {
                calls.push(initiate_upload());
                calls.push(upload_part(placeholder, blob));
                calls.push(Call {
                    operation: COMPLETE_LAYER_UPLOAD.to_owned(),
                    input: json!({
                        "repositoryName": REPOSITORY,
                        "uploadId": placeholder,
                        "layerDigests": [sha256(blob)],
                    }),
                });
            }
        }
        if NEED_AN_IMAGE.contains(&operation) {
            calls.push(Call {
                operation: PUT_IMAGE.to_owned(),
                input: json!({
                    "repositoryName": REPOSITORY,
                    "imageManifest": EcrFixture::manifest(),
                    "imageTag": IMAGE_TAG,
                }),
            });
        }
        if NEED_A_SCAN.contains(&operation) {
            calls.push(Call {
                operation: START_IMAGE_SCAN.to_owned(),
                input: json!({
                    "repositoryName": REPOSITORY,
                    "imageId": { "imageTag": IMAGE_TAG },
                }),
            });
        }
        calls
    }
}

fn sha256(text: &str) -> String {
    format!("sha256:{:x}", Sha256::digest(text.as_bytes()))
}

fn blob_descriptor(media_type: &str, blob: &str) -> Value {
    json!({ "mediaType": media_type, "size": blob.len(), "digest": sha256(blob) })
}

fn initiate_upload() -> Call {
    Call {
        operation: INITIATE_LAYER_UPLOAD.to_owned(),
        input: json!({ "repositoryName": REPOSITORY }),
    }
}

/// `blob` as the one part of upload `placeholder`.
fn upload_part(placeholder: &str, blob: &str) -> Call {
    Call {
        operation: UPLOAD_LAYER_PART.to_owned(),
        input: json!({
            "repositoryName": REPOSITORY,
            "uploadId": placeholder,
            "partFirstByte": 0,
            "partLastByte": blob.len() - 1,
            "layerPartBlob": BASE64.encode(blob),
        }),
    }
}

/// Filters without an exclusion mode get one; an exclusion mode without filters gets one.
fn complete_tag_mutability(object: &mut serde_json::Map<String, Value>) {
    let mode = object.get(TAG_MUTABILITY).and_then(Value::as_str);
    let needs_filters = mode.is_some_and(|mode| mode.ends_with(EXCLUSION_SUFFIX));
    match (object.contains_key(EXCLUSION_FILTERS), needs_filters) {
        (true, false) => {
            object.insert(TAG_MUTABILITY.to_owned(), json!(MODE_WITH_EXCLUSION));
        }
        (false, true) => {
            let filter: Value = serde_json::from_str(EXCLUSION_FILTER).expect("valid JSON");
            object.insert(EXCLUSION_FILTERS.to_owned(), json!([filter]));
        }
        _ => {}
    }
}

/// The image a call acts on (`imageId`) is named by a tag or a digest, though the model
/// makes both optional: an empty one gets the prepared image's tag.
fn complete_image_identifier(object: &mut serde_json::Map<String, Value>) {
    if let Some(Value::Object(identifier)) = object.get_mut(IMAGE_ID) {
        if identifier.is_empty() {
            identifier.insert(IMAGE_TAG_MEMBER.to_owned(), json!(IMAGE_TAG));
        }
    }
}

/// A KMS key goes with KMS encryption.
fn complete_encryption(object: &mut serde_json::Map<String, Value>) {
    let without_key =
        object.get(ENCRYPTION_TYPE).and_then(Value::as_str) == Some(ENCRYPTION_WITHOUT_KEY);
    if without_key && object.contains_key(KMS_KEY) {
        object.insert(ENCRYPTION_TYPE.to_owned(), json!(KMS_ENCRYPTION));
    }
}

/// The member dependencies any object of an input may have.
fn complete_nested(value: &mut Value) {
    match value {
        Value::Object(object) => {
            complete_tag_mutability(object);
            complete_encryption(object);
            complete_image_identifier(object);
            complete_applied_for(object);
            object.values_mut().for_each(complete_nested);
        }
        Value::Array(items) => items.iter_mut().for_each(complete_nested),
        _ => {}
    }
}

/// Pull-through cache rules: ECR's preferred upstream (Docker Hub) needs credentials, so a
/// new rule gets a secret; an update names something to change.
fn complete_upstream_credentials(
    operation: &str,
    object: &mut serde_json::Map<String, Value>,
    secret: &str,
) {
    let needs_secret = match operation {
        "CreatePullThroughCacheRule" => true,
        "UpdatePullThroughCacheRule" => !object.contains_key("customRoleArn"),
        _ => false,
    };
    if needs_secret && !object.contains_key("credentialArn") {
        object.insert("credentialArn".to_owned(), json!(secret));
    }
}

/// A creation template applies to at least one kind of creation, though the model's list
/// has no minimum: an empty one gets replication.
fn complete_applied_for(object: &mut serde_json::Map<String, Value>) {
    if object
        .get(APPLIED_FOR)
        .and_then(Value::as_array)
        .is_some_and(Vec::is_empty)
    {
        object.insert(APPLIED_FOR.to_owned(), json!(["REPLICATION"]));
    }
}
