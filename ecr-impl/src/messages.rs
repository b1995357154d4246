//! Every message Berth's ECR sends with an error, in one place. The texts marked [real] in
//! the behaviour doc are copied from real ECR responses; the others follow ECR's style.

use ecr_generated::types::ImageTagMutability;

/// ECR's phrasing for a parameter that breaks a rule: the template the generated validators
/// use (from `aws-models/ecr.codegen.json`), so both always word it alike.
fn invalid_parameter(path: &str, reason: &str) -> String {
    ecr_generated::wire::violation_message(path, reason)
}

/// [real] The caller asked for another account's registry.
pub fn access_denied(caller_arn: &str, action: &str, resource_arn: &str) -> String {
    format!(
        "User: {caller_arn} is not authorized to perform: ecr:{action} on resource: {resource_arn} \
         because no resource-based policy allows the ecr:{action} action"
    )
}

/// [real]
pub fn repository_not_found(name: &str, registry_id: &str) -> String {
    format!(
        "The repository with name '{name}' does not exist in the registry with id '{registry_id}'"
    )
}

/// [real]
pub fn repository_already_exists(name: &str, registry_id: &str) -> String {
    format!(
        "The repository with name '{name}' already exists in the registry with id '{registry_id}'"
    )
}

/// [real] Note: no "the" before "registry", unlike its siblings.
pub fn repository_not_empty(name: &str, registry_id: &str) -> String {
    format!(
        "The repository with name '{name}' in registry with id '{registry_id}' cannot be deleted \
         because it still contains images"
    )
}

/// [real]
pub fn repository_policy_not_found(name: &str, registry_id: &str) -> String {
    format!(
        "Repository policy does not exist for the repository with name '{name}' in the registry \
         with id '{registry_id}'"
    )
}

/// [real] Any policy text that is not a plausible IAM resource policy.
pub fn invalid_repository_policy() -> String {
    invalid_parameter("PolicyText", "Invalid repository policy provided")
}

/// A `resourceArn` that is not an ECR repository ARN.
pub fn invalid_resource_arn() -> String {
    invalid_parameter("resourceArn", "Invalid ARN")
}

/// [real] A `*_WITH_EXCLUSION` mode without its filters.
pub fn exclusion_filters_required(mode: ImageTagMutability) -> String {
    invalid_parameter(
        "imageTagMutabilityExclusionFilters",
        &format!(
            "ImageTagMutabilityExclusionFilters can't be null when imageTagMutability is set as {mode}"
        ),
    )
}

/// Filters given with a mode that has no exclusions.
pub fn exclusion_filters_not_allowed(mode: ImageTagMutability) -> String {
    invalid_parameter(
        "imageTagMutabilityExclusionFilters",
        &format!(
            "ImageTagMutabilityExclusionFilters can only be set when imageTagMutability is set as {} or {}, not {mode}",
            ImageTagMutability::ImmutableWithExclusion,
            ImageTagMutability::MutableWithExclusion,
        ),
    )
}

/// A `kmsKey` with AES256 encryption, which uses no KMS key.
pub fn kms_key_without_kms_encryption() -> String {
    invalid_parameter(
        "encryptionConfiguration.kmsKey",
        "kmsKey can only be specified when encryptionType is KMS or KMS_DSSE",
    )
}

/// `maxResults` or `nextToken` (the `member`) together with `repositoryNames`.
pub fn pagination_with_repository_names(member: &str) -> String {
    invalid_parameter(
        member,
        &format!("{member} cannot be specified together with repositoryNames"),
    )
}

/// A `nextToken` that no DescribeRepositories call returned.
pub fn invalid_next_token() -> String {
    invalid_parameter("nextToken", "Invalid NextToken")
}

/// The call would leave a repository with `count` tags.
pub fn too_many_tags(count: usize, limit: usize) -> String {
    format!("A repository can have at most {limit} tags; this request would leave it with {count}")
}

/// A tag key (at `path`, e.g. `tags.2.member.Key`) of the wrong length.
pub fn tag_key_length(path: &str, max: usize) -> String {
    invalid_parameter(
        path,
        &format!("Tag keys must be between 1 and {max} characters long"),
    )
}

/// A tag value (at `path`) that is too long.
pub fn tag_value_length(path: &str, max: usize) -> String {
    invalid_parameter(
        path,
        &format!("Tag values must be at most {max} characters long"),
    )
}

/// A tag key (at `path`) with the reserved prefix.
pub fn reserved_tag_key(path: &str, prefix: &str) -> String {
    invalid_parameter(
        path,
        &format!("Tag keys must not start with '{prefix}', which is reserved for AWS"),
    )
}

/// The state backend failed; the request may be retried.
pub fn store_unavailable(detail: &str) -> String {
    format!("Berth could not access its repository state: {detail}")
}

/// The state backend answered something the operation cannot meet: a Berth bug.
pub fn unexpected_store_outcome(outcome: &str) -> String {
    format!("Berth's repository state answered unexpectedly: {outcome}")
}

/// A request context whose account or region breaks the model's rules: the embedding
/// server's fault, never the caller's.
pub fn invalid_caller(reason: &str) -> String {
    format!("The request context names no valid registry: {reason}")
}

// ---- images ----

/// [real] A value that breaks one of ECR's patterns the model does not state (the
/// `imageTag` and `imageDigest` of PutImage and DescribeImages).
pub fn pattern_violation(member: &str, pattern: &str) -> String {
    invalid_parameter(
        member,
        &format!("must satisfy regular expression '{pattern}'"),
    )
}

/// [real] A manifest ECR cannot read: not JSON, not the structure of its media type, or
/// with no media type at all (capital `I`, unlike the member's name).
pub fn invalid_manifest_json() -> String {
    invalid_parameter("ImageManifest", "Invalid JSON syntax")
}

/// [choice] A media type PutImage does not accept, or an `imageManifestMediaType` that
/// contradicts the manifest's own `mediaType`.
pub fn unsupported_manifest_media_type() -> String {
    invalid_parameter("imageManifestMediaType", "Unsupported manifest media type")
}

/// [choice] PutImage's `imageDigest` is not the digest of the manifest's bytes.
pub fn image_digest_does_not_match(given: &str, computed: &str) -> String {
    format!("The image digest '{given}' does not match the digest '{computed}' of the manifest")
}

/// [choice] The config or layers an image manifest names that the repository lacks.
pub fn layers_not_found(digests: &[&str], name: &str, registry_id: &str) -> String {
    missing_for_push("Layers", digests, name, registry_id)
}

/// [choice] The manifests an index or manifest list names that the repository lacks.
pub fn referenced_images_not_found(digests: &[&str], name: &str, registry_id: &str) -> String {
    missing_for_push("Images", digests, name, registry_id)
}

/// Shaped like the docker-side text seen for a manifest list; the digests as Java prints a
/// list.
fn missing_for_push(what: &str, digests: &[&str], name: &str, registry_id: &str) -> String {
    format!(
        "{what} with digests '[{}]' required for pushing image into repository with name \
         '{name}' in the registry with id '{registry_id}' do not exist",
        digests.join(", ")
    )
}

// ---- Layer uploads, availability and downloads (ecr-impl/src/layers) ----
// Every text here is a [choice] in ECR's style unless marked otherwise
// (`ecr-behaviour-images.md` §3, §10).

/// An `uploadId` that is unknown, belongs to another repository, or is completed.
pub fn upload_not_found(upload_id: &str, name: &str, registry_id: &str) -> String {
    format!(
        "The upload with id '{upload_id}' does not exist in the repository with name '{name}' \
         in the registry with id '{registry_id}'"
    )
}

/// A part that does not start right after the bytes received so far.
pub fn layer_part_not_consecutive(upload_id: &str, first_byte: u64, expected: u64) -> String {
    format!(
        "The part of upload '{upload_id}' starts at byte {first_byte}; the next byte expected \
         is {expected}"
    )
}

/// A part whose byte range does not match its length.
pub fn layer_part_length(first_byte: i64, last_byte: i64, carried: u64) -> String {
    format!(
        "The layer part's byte range {first_byte}-{last_byte} does not match the {carried} \
         bytes of its blob"
    )
}

/// CompleteLayerUpload before any part.
pub fn empty_upload(upload_id: &str) -> String {
    format!("The upload with id '{upload_id}' does not contain any layer parts")
}

/// [model, worded from its documentation] A part other than the last under the minimum.
pub fn layer_part_too_small(upload_id: &str, min_bytes: u64) -> String {
    format!(
        "Layer parts must be at least {min_bytes} bytes in size: a part of upload \
         '{upload_id}' other than the last is smaller"
    )
}

/// A `sha256:` entry of `layerDigests` that is not the digest of the uploaded bytes.
pub fn invalid_layer_digest(given: &str, computed: &str) -> String {
    format!(
        "The layer digest '{given}' does not match the digest '{computed}' calculated for the \
         uploaded layer"
    )
}

pub fn layer_already_exists(digest: &str, name: &str, registry_id: &str) -> String {
    format!(
        "The layer with digest '{digest}' already exists in the repository with name '{name}' \
         in the registry with id '{registry_id}'"
    )
}

/// GetDownloadUrlForLayer: no such layer in the repository.
pub fn layer_not_found(digest: &str, name: &str, registry_id: &str) -> String {
    format!(
        "The layer with digest '{digest}' does not exist in the repository with name '{name}' \
         in the registry with id '{registry_id}'"
    )
}

/// GetDownloadUrlForLayer: a layer no image references.
pub fn layer_inaccessible(digest: &str) -> String {
    format!("The layer with digest '{digest}' is not associated with an image")
}

/// BatchCheckLayerAvailability: `MissingLayerDigest`'s reason.
pub fn layer_missing(digest: &str) -> String {
    format!("Could not find layer with digest '{digest}'")
}

/// BatchCheckLayerAvailability: `InvalidLayerDigest`'s reason.
pub fn layer_digest_invalid(digest: &str) -> String {
    format!("Invalid layer digest '{digest}'")
}

/// A layer download URL whose token is not one Berth issued (altered, or another key's).
pub fn layer_download_token_invalid() -> String {
    "The layer download URL is not valid".to_owned()
}

/// [S3's text for a pre-signed URL past its expiry] A layer download URL past its expiry.
pub fn layer_download_expired() -> String {
    "Request has expired".to_owned()
}

/// A valid layer download URL whose layer has since left the repository.
pub fn layer_download_gone(digest: &str) -> String {
    format!("The layer with digest '{digest}' no longer exists")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn real_messages_match_ecr_word_for_word() {
        assert_eq!(
            repository_not_found("app", "123456789012"),
            "The repository with name 'app' does not exist in the registry with id '123456789012'"
        );
        assert_eq!(
            repository_not_empty("app", "123456789012"),
            "The repository with name 'app' in registry with id '123456789012' cannot be deleted because it still contains images"
        );
        assert_eq!(
            exclusion_filters_required(ImageTagMutability::ImmutableWithExclusion),
            "Invalid parameter at 'imageTagMutabilityExclusionFilters' failed to satisfy constraint: \
             'ImageTagMutabilityExclusionFilters can't be null when imageTagMutability is set as IMMUTABLE_WITH_EXCLUSION'"
        );
        assert_eq!(
            access_denied(
                "arn:aws:iam::111111111111:root",
                "ListImages",
                "arn:aws:ecr:us-east-1:222222222222:repository/*"
            ),
            "User: arn:aws:iam::111111111111:root is not authorized to perform: ecr:ListImages on resource: \
             arn:aws:ecr:us-east-1:222222222222:repository/* because no resource-based policy allows the ecr:ListImages action"
        );
    }
}

// ---- image operations (PutImage, BatchGetImage, BatchDeleteImage, ListImages,
// DescribeImages, ListImageReferrers, UpdateImageStorageClass) ----

/// How ECR (Java) prints an absent member inside a message.
pub const NULL_MEMBER: &str = "null";

/// [real] PutImage of a manifest already stored with that tag, or with no tag at all
/// ([likely] tag `null`). No "the" before "registry".
pub fn image_already_exists(
    digest: &str,
    tag: Option<&str>,
    name: &str,
    registry_id: &str,
) -> String {
    let tag = tag.unwrap_or(NULL_MEMBER);
    format!(
        "Image with digest '{digest}' and tag '{tag}' already exists in the repository with name \
         '{name}' in registry with id '{registry_id}'"
    )
}

/// [real] An immutable tag that names another image.
pub fn image_tag_already_exists(tag: &str, name: &str) -> String {
    format!(
        "The image tag '{tag}' already exists in the '{name}' repository and cannot be \
         overwritten because the tag is immutable."
    )
}

/// [real] The tag that would take an image past its tag limit.
pub fn image_tag_limit_exceeded(tag: &str, name: &str, registry_id: &str, limit: usize) -> String {
    format!(
        "Adding tag '{tag}' to an image in the repository with name '{name}' in registry with id \
         '{registry_id}' exceeds the maximum allowed number of tags per image which is '{limit}'"
    )
}

/// [real for the tag form] DescribeImages or UpdateImageStorageClass naming an image the
/// repository does not hold; each member as sent, `null` when absent.
pub fn image_not_found(
    digest: Option<&str>,
    tag: Option<&str>,
    name: &str,
    registry_id: &str,
) -> String {
    let digest = digest.unwrap_or(NULL_MEMBER);
    let tag = tag.unwrap_or(NULL_MEMBER);
    format!(
        "The image with imageId {{imageDigest:'{digest}', imageTag:'{tag}'}} does not exist \
         within the repository with name '{name}' in the registry with id '{registry_id}'"
    )
}

/// `maxResults` or `nextToken` (the `member`) together with DescribeImages' `imageIds`.
pub fn pagination_with_image_ids(member: &str) -> String {
    invalid_parameter(
        member,
        &format!("{member} cannot be specified together with imageIds"),
    )
}

/// [likely] BatchGetImage/BatchDeleteImage failure reasons, one per failure code.
pub fn image_failure_not_found() -> String {
    "Requested image not found".to_owned()
}

/// [likely]
pub fn image_failure_missing_digest_and_tag() -> String {
    "Invalid request parameters: both tag and digest cannot be null".to_owned()
}

/// [likely]
pub fn image_failure_invalid_digest(pattern: &str) -> String {
    format!("Invalid request parameters: image digest should satisfy the regex '{pattern}'")
}

/// [choice] Worded like its digest sibling.
pub fn image_failure_invalid_tag(pattern: &str) -> String {
    format!("Invalid request parameters: image tag should satisfy the regex '{pattern}'")
}

/// [likely]
pub fn image_failure_tag_does_not_match_digest() -> String {
    "Invalid request parameters: given tag does not map to the given digest".to_owned()
}

/// [choice] BatchGetImage of an archived image.
pub fn image_failure_inaccessible() -> String {
    "The requested image is archived".to_owned()
}

/// [real] Deleting an image (or its last tag) that an index or manifest list references;
/// the indexes as Java prints a list.
pub fn image_failure_referenced_by_manifest_list(indexes: &[String]) -> String {
    format!(
        "Requested image referenced by manifest list: [{}]",
        indexes.join(", ")
    )
}

// ---- The OCI `/v2` registry (berth/src/oci) ----
// The registry answers ECR's texts above under OCI codes; these are its own [choice]s.

/// A `/v2` blob body that broke off while it streamed (nothing of it was kept).
pub fn registry_body_failed(detail: &str) -> String {
    format!("The request body could not be read: {detail}")
}

#[cfg(test)]
mod image_operation_tests {
    use super::*;

    #[test]
    fn real_image_messages_match_ecr_word_for_word() {
        assert_eq!(
            image_already_exists("sha256:abc", Some("v1"), "app", "123456789012"),
            "Image with digest 'sha256:abc' and tag 'v1' already exists in the repository with \
             name 'app' in registry with id '123456789012'"
        );
        assert_eq!(
            image_tag_already_exists("v1", "app"),
            "The image tag 'v1' already exists in the 'app' repository and cannot be overwritten \
             because the tag is immutable."
        );
        assert_eq!(
            image_tag_limit_exceeded("t", "app", "123456789012", 1000),
            "Adding tag 't' to an image in the repository with name 'app' in registry with id \
             '123456789012' exceeds the maximum allowed number of tags per image which is '1000'"
        );
        assert_eq!(
            image_not_found(None, Some("28f3d25"), "app", "123456789012"),
            "The image with imageId {imageDigest:'null', imageTag:'28f3d25'} does not exist \
             within the repository with name 'app' in the registry with id '123456789012'"
        );
        assert_eq!(
            image_failure_referenced_by_manifest_list(&["sha256:a".into(), "sha256:b".into()]),
            "Requested image referenced by manifest list: [sha256:a, sha256:b]"
        );
    }
}

// --- Rendered pages (issue 10, performance) ---

/// A page's JSON could not be written (a Berth bug: its views always serialize).
pub fn unwritable_output(reason: &str) -> String {
    format!("Berth could not write the page it read: {reason}")
}

// ==== Lifecycle policies and previews ====

/// [real] How every lifecycle policy validation failure starts (capital `L` in the member).
pub const LIFECYCLE_POLICY_FAILURE_PREFIX: &str = "Invalid parameter at 'LifecyclePolicyText' \
     failed to satisfy constraint: 'Lifecycle policy validation failure: ";

/// A lifecycle policy rejected for a rule sentence: the reason, then the closing quote.
pub fn lifecycle_policy_invalid(reason: &str) -> String {
    format!("{LIFECYCLE_POLICY_FAILURE_PREFIX}{reason}'")
}

/// (choice, in the real voice) A lifecycle policy rejected by the JSON schema: the
/// validator's lines, one per line, with no closing quote (as the real captures end).
pub fn lifecycle_policy_schema_invalid(lines: &[String]) -> String {
    format!("{LIFECYCLE_POLICY_FAILURE_PREFIX}{}", lines.join("\n"))
}

/// [choice] The text is not JSON, or not a JSON object.
pub const LIFECYCLE_NOT_A_POLICY: &str = "Could not map policyString into LifecyclePolicy.";

/// [real] Schema line: a `null` where the schema has a `oneOf` (countUnit, targetStorageClass).
pub const LIFECYCLE_SCHEMA_ONE_OF_NULL: &str =
    "instance failed to match exactly one schema (matched 0 out of 2)";

/// [real for null/array] Schema line: a member of the wrong JSON type.
pub fn lifecycle_schema_wrong_type(found: &str, allowed: &str) -> String {
    format!(
        "instance type ({found}) does not match any allowed primitive type (allowed: [\"{allowed}\"])"
    )
}

/// [choice] Schema line: required members missing (JSON list of their names).
pub fn lifecycle_schema_missing(names: &[&str]) -> String {
    format!(
        "object has missing required properties ({})",
        json_names(names)
    )
}

/// [choice] Schema line: members the schema does not know (JSON list of their names).
pub fn lifecycle_schema_unknown(names: &[&str]) -> String {
    format!(
        "object instance has properties which are not allowed by the schema: ({})",
        json_names(names)
    )
}

/// [choice] Schema line: a value outside an enum (`value` as JSON).
pub fn lifecycle_schema_not_in_enum(value: &str, allowed: &[&str]) -> String {
    let allowed: Vec<String> = allowed.iter().map(|v| format!("\"{v}\"")).collect();
    format!(
        "instance value ({value}) not found in enum :(possible values: [{}])",
        allowed.join(",")
    )
}

/// [choice] Schema line: an integer below its minimum.
pub fn lifecycle_schema_below_minimum(minimum: i64, found: &str) -> String {
    format!(
        "numeric instance is lower than the required minimum (minimum: {minimum}, found: {found})"
    )
}

/// [choice] Schema line: an integer above its maximum (rulePriority and countNumber are
/// 32-bit: `appliedRulePriority` is an Integer).
pub fn lifecycle_schema_above_maximum(maximum: i64, found: &str) -> String {
    format!(
        "numeric instance is greater than the required maximum (maximum: {maximum}, found: {found})"
    )
}

/// [choice] Schema line: an empty array (`rules`, a tag list).
pub fn lifecycle_schema_empty_array() -> String {
    "array is too short: must have at least 1 elements but instance has 0 elements".to_owned()
}

fn json_names(names: &[&str]) -> String {
    let quoted: Vec<String> = names.iter().map(|n| format!("\"{n}\"")).collect();
    format!("[{}]", quoted.join(","))
}

/// [choice] Two rules with the same priority.
pub fn lifecycle_duplicate_priority(priority: i64) -> String {
    format!("Duplicate rulePriority {priority}.")
}

/// [choice] countUnit given with imageCountMoreThan.
pub const LIFECYCLE_COUNT_UNIT_NOT_ALLOWED: &str = "countUnit can only be used with countType \
     sinceImagePushed, sinceImagePulled or sinceImageTransitioned.";

/// [choice] Both tag lists in one rule.
pub const LIFECYCLE_BOTH_TAG_LISTS: &str =
    "tagPrefixList and tagPatternList cannot both be specified.";

/// [real] A tagged rule without a tag list.
pub const LIFECYCLE_TAGGED_NEEDS_LIST: &str =
    "Must specify tagPrefixList or tagPatternList when tagStatus=TAGGED.";

/// [choice] A tag list on an untagged or any rule.
pub const LIFECYCLE_TAG_LIST_ONLY_TAGGED: &str =
    "tagPrefixList and tagPatternList can only be used with tagStatus=TAGGED.";

/// [choice] A tag pattern with more wildcards than allowed.
pub fn lifecycle_too_many_wildcards(max: usize) -> String {
    format!("Tag patterns may contain at most {max} wildcards.")
}

/// [choice] targetStorageClass on an expire action.
pub const LIFECYCLE_TARGET_ONLY_TRANSITION: &str =
    "targetStorageClass can only be used with the transition action.";

/// [choice] sinceImagePulled with expire.
pub const LIFECYCLE_PULLED_ONLY_TRANSITION: &str =
    "sinceImagePulled can only be used with the transition action.";

/// [choice] sinceImageTransitioned without archive, expire and the minimum days.
pub fn lifecycle_transitioned_rule(min_days: i64) -> String {
    format!(
        "sinceImageTransitioned requires storageClass archive, the expire action and \
         countNumber of at least {min_days}."
    )
}

/// [choice] storageClass archive with a countType other than sinceImageTransitioned.
pub const LIFECYCLE_ARCHIVE_ONLY_TRANSITIONED: &str =
    "storageClass archive can only be used with countType sinceImageTransitioned.";

/// [real] Two untagged rules in one storage class.
pub const LIFECYCLE_ONE_UNTAGGED_RULE: &str =
    "Only one rule can select Untagged images per storage class.";

/// [real] An any rule that is not the last of its storage class.
pub const LIFECYCLE_ANY_RULE_LAST: &str =
    "Rule for tagStatus=ANY must have the lowest priority per storage class.";

/// [choice] Two rules of one storage class with the same set of prefixes.
pub const LIFECYCLE_UNIQUE_PREFIX_SETS: &str =
    "The set of rules must contain a unique set of tag prefixes per storage class.";

/// [real] No lifecycle policy on the repository.
pub fn lifecycle_policy_not_found(name: &str, registry_id: &str) -> String {
    format!(
        "Lifecycle policy does not exist for the repository with name '{name}' in the \
         registry with id '{registry_id}'"
    )
}

/// [choice] No preview ever started for the repository.
pub fn lifecycle_preview_not_found(name: &str, registry_id: &str) -> String {
    format!(
        "Lifecycle policy preview does not exist for the repository with name '{name}' in \
         the registry with id '{registry_id}'"
    )
}

/// [model doc] GetLifecyclePolicyPreview's `imageIds` with `maxResults` or `nextToken`.
pub fn lifecycle_preview_image_ids_with(member: &str) -> String {
    pagination_with_image_ids(member)
}

// ==== Registry policy, replication, account settings ====

/// [choice] GetRegistryPolicy/DeleteRegistryPolicy with no policy.
pub fn registry_policy_not_found(registry_id: &str) -> String {
    format!("Registry policy does not exist in the registry with id '{registry_id}'")
}

/// [real] Any registry policy text refused: not a plausible IAM policy, an action that is
/// not ECR's, or one the registry's policy scope (`REGISTRY_POLICY_SCOPE`) does not allow.
pub fn invalid_registry_policy() -> String {
    invalid_parameter("PolicyText", "Invalid registry policy provided")
}

/// [choice] A replication destination that is the source registry (same account and region).
pub fn replication_destination_is_source() -> String {
    invalid_parameter(
        "replicationConfiguration",
        "Replication destination cannot be the same as the source registry",
    )
}

/// [choice] More distinct destinations than the quota allows (text; the quota is real).
pub fn too_many_replication_destinations(limit: usize) -> String {
    invalid_parameter(
        "replicationConfiguration",
        &format!("Replication configuration cannot have more than {limit} unique destinations"),
    )
}

/// [choice] An account setting `member` (`name` or `value`) outside its values.
pub fn account_setting_not_in(member: &str, allowed: &[&str]) -> String {
    invalid_parameter(
        member,
        &format!(
            "Member must satisfy enum value set: [{}]",
            allowed.join(", ")
        ),
    )
}

/// [real: docs] The failure code of a replication the destination registry's policy does not
/// allow.
pub const REPLICATION_ACCESS_DENIED: &str = "ACCESS_DENIED";

/// [choice] The failure code of any other replication the destination refused (an immutable
/// tag naming another image there, its tag limit) or that could not be stored.
pub const REPLICATION_FAILED: &str = "REPLICATION_FAILED";

// ==== Repository creation templates ====

/// [choice] CreateRepositoryCreationTemplate for a prefix that has a template (`prod` and
/// `prod/` are one prefix).
pub fn template_already_exists(prefix: &str, registry_id: &str) -> String {
    format!(
        "The repository creation template with prefix '{prefix}' already exists in the registry with id '{registry_id}'"
    )
}

/// [choice] Update or Delete of a prefix without a template.
pub fn template_not_found(prefix: &str, registry_id: &str) -> String {
    format!(
        "The repository creation template with prefix '{prefix}' does not exist in the registry with id '{registry_id}'"
    )
}

/// [choice] A template must apply to at least one creation action (the model leaves the
/// list unbounded; the documentation requires one).
pub fn template_applied_for_empty() -> String {
    invalid_parameter(
        "appliedFor",
        "Member must have length greater than or equal to 1",
    )
}

/// [choice] A template's `resourceTags` over the per-repository tag limit.
pub fn too_many_template_tags(count: usize, limit: usize) -> String {
    invalid_parameter(
        "resourceTags",
        &format!("A repository can have at most {limit} tags; this template would give it {count}"),
    )
}

// ==== Scanning, signing, pull-time exclusions ====

/// [real] StartImageScan (or a scan on push) of an image scanned less than 24 hours ago.
pub fn scan_quota_exceeded() -> String {
    "The scan quota per image has been exceeded. Wait and try again.".to_owned()
}

/// [real] The `imageScanStatus.description` of a scan that could not analyse the image: what
/// basic scanning reports for a `FROM scratch` image, and what every scan in Berth (which has
/// no scanner) ends with.
pub fn scan_unsupported_image() -> String {
    "UnsupportedImageError: The operating system and/or package manager are not supported."
        .to_owned()
}

/// [real text; choice of ValidationException] StartImageScan under `scanType: ENHANCED`.
pub fn scan_feature_disabled() -> String {
    "This feature is disabled".to_owned()
}

/// [choice] DescribeImageScanFindings of an image never scanned; each member as sent, `null`
/// when absent.
pub fn scan_not_found(
    digest: Option<&str>,
    tag: Option<&str>,
    name: &str,
    registry_id: &str,
) -> String {
    let digest = digest.unwrap_or(NULL_MEMBER);
    let tag = tag.unwrap_or(NULL_MEMBER);
    format!(
        "Image scan does not exist for the image with '{{imageDigest:'{digest}', \
         imageTag:'{tag}'}}' in the repository with name '{name}' in the registry with id \
         '{registry_id}'"
    )
}

/// [choice] StartImageScan of an archived image; each member as sent, `null` when absent.
pub fn scan_of_archived_image(
    digest: Option<&str>,
    tag: Option<&str>,
    name: &str,
    registry_id: &str,
) -> String {
    let digest = digest.unwrap_or(NULL_MEMBER);
    let tag = tag.unwrap_or(NULL_MEMBER);
    format!(
        "The image with imageId {{imageDigest:'{digest}', imageTag:'{tag}'}} is archived and \
         cannot be scanned in the repository with name '{name}' in the registry with id \
         '{registry_id}'"
    )
}

/// [choice, in the model's words] A registry scanning rule whose frequency the scan type does
/// not allow (BASIC: SCAN_ON_PUSH; ENHANCED: SCAN_ON_PUSH, CONTINUOUS_SCAN); `index` is the
/// rule's 1-based place in `rules`, `allowed` the frequencies the scan type allows.
pub fn scan_frequency_not_allowed(index: usize, allowed: &[&str]) -> String {
    invalid_parameter(
        &format!("rules.{index}.member.scanFrequency"),
        &format!(
            "Member must satisfy enum value set: [{}]",
            allowed.join(", ")
        ),
    )
}

/// [choice] The `failureReason` of a BatchGetRepositoryScanningConfiguration entry whose
/// repository does not exist (the same words as its code).
pub fn scanning_repository_not_found() -> String {
    "REPOSITORY_NOT_FOUND".to_owned()
}

/// [choice] Get/DeleteSigningConfiguration when the registry has none.
pub fn signing_configuration_not_found(registry_id: &str) -> String {
    format!("Signing configuration does not exist in the registry with id '{registry_id}'")
}

/// [choice] The `failureCode` of the signing status a push records for each matching rule:
/// Berth cannot call AWS Signer.
pub const SIGNING_UNAVAILABLE_CODE: &str = "SIGNING_UNAVAILABLE";

/// [choice] The `failureReason` beside [`SIGNING_UNAVAILABLE_CODE`].
pub fn signing_unavailable() -> String {
    "Berth does not sign images.".to_owned()
}

/// [choice] RegisterPullTimeUpdateExclusion of a principal already excluded.
pub fn exclusion_already_exists(principal_arn: &str, registry_id: &str) -> String {
    format!(
        "The pull time update exclusion for principal '{principal_arn}' already exists in the \
         registry with id '{registry_id}'"
    )
}

/// [choice] DeregisterPullTimeUpdateExclusion of a principal not excluded.
pub fn exclusion_not_found(principal_arn: &str, registry_id: &str) -> String {
    format!(
        "The pull time update exclusion for principal '{principal_arn}' does not exist in the \
         registry with id '{registry_id}'"
    )
}

/// [choice] RegisterPullTimeUpdateExclusion past the limit of exclusions per registry.
pub fn exclusion_limit_exceeded(limit: usize, registry_id: &str) -> String {
    format!(
        "The maximum number of pull time update exclusions ({limit}) has been reached for the \
         registry with id '{registry_id}'"
    )
}

/// A stored scanning, signing or exclusion document Berth cannot read back (a Berth bug or
/// a damaged database).
pub fn unreadable_document(kind: &str, reason: &str) -> String {
    format!("Berth could not read its stored {kind} document: {reason}")
}

#[cfg(test)]
mod scanning_tests {
    use super::*;

    #[test]
    fn real_scanning_messages_match_ecr_word_for_word() {
        assert_eq!(
            scan_quota_exceeded(),
            "The scan quota per image has been exceeded. Wait and try again."
        );
        assert_eq!(
            scan_unsupported_image(),
            "UnsupportedImageError: The operating system and/or package manager are not \
             supported."
        );
        assert_eq!(scan_feature_disabled(), "This feature is disabled");
        assert_eq!(
            scan_not_found(None, Some("v1"), "app", "123456789012"),
            "Image scan does not exist for the image with '{imageDigest:'null', imageTag:'v1'}' \
             in the repository with name 'app' in the registry with id '123456789012'"
        );
        assert_eq!(
            scan_frequency_not_allowed(2, &["SCAN_ON_PUSH"]),
            "Invalid parameter at 'rules.2.member.scanFrequency' failed to satisfy constraint: \
             'Member must satisfy enum value set: [SCAN_ON_PUSH]'"
        );
    }
}

// ==== Pull-through cache ====

/// [real] An `upstreamRegistryUrl` that names no supported upstream (§5).
pub fn invalid_upstream_registry_url(url: &str) -> String {
    format!(
        "The upstream registry URL {url} is invalid. Specify a valid upstream registry URL and try again"
    )
}

/// [real] An upstream that needs a secret, and no `credentialArn`; [choice] the ending
/// ` and try again.`.
pub const UPSTREAM_REQUIRES_AUTHENTICATION: &str = "The specified upstream registry requires \
     authentication. Specify a valid Secrets Manager ARN and try again.";

/// [choice] An `upstreamRegistry` that is not the one `upstreamRegistryUrl` names.
pub fn upstream_registry_mismatch(given: &str, url: &str) -> String {
    invalid_parameter(
        "upstreamRegistry",
        &format!("The upstream registry {given} does not match the upstream registry URL {url}"),
    )
}

/// [choice] An Amazon ECR upstream in another account, and no `customRoleArn`.
pub fn custom_role_required(url: &str) -> String {
    invalid_parameter(
        "customRoleArn",
        &format!(
            "A customRoleArn is required to pull from the upstream registry {url} of another account"
        ),
    )
}

/// [choice] UpdatePullThroughCacheRule with neither `credentialArn` nor `customRoleArn`.
pub fn pull_through_update_empty() -> String {
    invalid_parameter(
        "credentialArn",
        "At least one of credentialArn or customRoleArn must be specified",
    )
}

/// [real exception; choice text] A second rule for a prefix.
pub fn pull_through_rule_already_exists(prefix: &str, registry_id: &str) -> String {
    format!(
        "A pull through cache rule with the prefix '{prefix}' already exists in the registry with id '{registry_id}'"
    )
}

/// [real quota; choice text] A rule past the most a registry may have.
pub fn pull_through_rule_limit_exceeded(limit: usize, registry_id: &str) -> String {
    format!(
        "The maximum number of pull through cache rules ({limit}) has been reached for the registry with id '{registry_id}'"
    )
}

/// [model exception; choice text] No rule for a prefix.
pub fn pull_through_rule_not_found(prefix: &str, registry_id: &str) -> String {
    format!(
        "The pull through cache rule with the prefix '{prefix}' does not exist in the registry with id '{registry_id}'"
    )
}

/// [choice] ValidatePullThroughCacheRule's `failure` for a credentialed upstream whose rule
/// has no `credentialArn` (Berth does not contact the upstream from that call).
pub fn pull_through_rule_lacks_credentials(url: &str) -> String {
    format!(
        "The upstream registry {url} requires authentication and the pull through cache rule has no credentialArn"
    )
}

/// [choice] A `/v2` pull through a rule whose upstream could not give the image: the
/// repository is missing (`NAME_UNKNOWN`) or lacks the image (`MANIFEST_UNKNOWN`).
pub fn pull_through_upstream_failed(upstream_url: &str, reference: &str, reason: &str) -> String {
    format!(
        "The image '{reference}' could not be pulled through from the upstream registry {upstream_url}: {reason}"
    )
}
