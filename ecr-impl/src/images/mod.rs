//! Images (`ecr-behaviour-images.md` §1, §2, §4–§9, §12): each operation's whole rule set
//! runs as one [`MetaStore`](crate::store::meta::MetaStore) job, so it is atomic on every
//! backend; the JSON API handlers (`ops/images.rs`) and the OCI `/v2` manifest routes call
//! the same functions ([`put::put`], [`get::get`], [`delete::delete`]).
//!
//! - [`manifest`]: a manifest's media type, digest, structure and references;
//! - [`put`], [`get`], [`delete`], [`list`] (ListImages and DescribeImages), [`referrers`],
//!   [`storage_class`]: the operations;
//! - [`immutability`]: whether a tag may move;
//! - here: the two input patterns ECR enforces on `imageTag` and `imageDigest` that the
//!   model does not state (§2), and what the operations share: finding the repository and
//!   an image by its identifier, per-entry failures, how an image's status reads.

pub mod delete;
pub mod get;
pub mod immutability;
pub mod list;
pub mod manifest;
pub mod put;
pub mod referrers;
pub mod registry;
pub mod storage_class;

#[cfg(test)]
mod tests;

use std::sync::LazyLock;

use ecr_generated::errors::InvalidParameterException;
use regex::Regex;

use crate::messages;

/// (real) The pattern a whole `imageTag` must match in PutImage and in DescribeImages'
/// `imageIds` (letters, digits, `-`, `_`, `.`); quoted as is in ECR's message.
pub const IMAGE_TAG_PATTERN: &str = "[a-zA-Z0-9-_.]+";

/// (real) The pattern a whole `imageDigest` must match in PutImage and in DescribeImages'
/// `imageIds`; quoted as is in ECR's message.
pub const IMAGE_DIGEST_PATTERN: &str = "[a-zA-Z0-9-_+.]+:[a-fA-F0-9]+";

static IMAGE_TAG: LazyLock<Regex> = LazyLock::new(|| whole_match(IMAGE_TAG_PATTERN));
static IMAGE_DIGEST: LazyLock<Regex> = LazyLock::new(|| whole_match(IMAGE_DIGEST_PATTERN));

/// ECR (Java) matches the whole value against these patterns.
fn whole_match(pattern: &str) -> Regex {
    Regex::new(&format!("^(?:{pattern})$")).expect("the constant pattern compiles (tested)")
}

/// Whether `tag` matches [`IMAGE_TAG_PATTERN`].
pub fn is_image_tag(tag: &str) -> bool {
    IMAGE_TAG.is_match(tag)
}

/// Whether `digest` matches [`IMAGE_DIGEST_PATTERN`].
pub fn is_image_digest(digest: &str) -> bool {
    IMAGE_DIGEST.is_match(digest)
}

/// An `imageTag` parameter (PutImage, DescribeImages) that breaks [`IMAGE_TAG_PATTERN`] is
/// an InvalidParameterException naming the pattern.
pub fn check_image_tag(tag: &str) -> Result<(), InvalidParameterException> {
    check_pattern(tag, &IMAGE_TAG, "imageTag", IMAGE_TAG_PATTERN)
}

/// An `imageDigest` parameter (PutImage, DescribeImages) that breaks
/// [`IMAGE_DIGEST_PATTERN`] is an InvalidParameterException naming the pattern.
pub fn check_image_digest(digest: &str) -> Result<(), InvalidParameterException> {
    check_pattern(digest, &IMAGE_DIGEST, "imageDigest", IMAGE_DIGEST_PATTERN)
}

fn check_pattern(
    value: &str,
    matcher: &Regex,
    member: &str,
    pattern: &str,
) -> Result<(), InvalidParameterException> {
    if matcher.is_match(value) {
        Ok(())
    } else {
        Err(InvalidParameterException::new(messages::pattern_violation(
            member, pattern,
        )))
    }
}

// ---- what the image operations share ----

use ecr_generated::errors::{ImageNotFoundException, RepositoryNotFoundException, ServerException};
use ecr_generated::types::{
    ImageFailure, ImageFailureCode, ImageIdentifier, ImageManifest, ImageStatusFilter, ImageTag,
    RepositoryName,
};

use crate::store::blobs::Sha256Digest;
use crate::store::meta::{ImageRow, ImageStatus, ReadTx, RepoId, RepositoryRow};
use crate::store::{Scope, StoreError};

/// The repository `name` of `scope`, inside a job; RepositoryNotFound (batch-1 text) when
/// there is none.
pub(crate) fn find_repository<T, E>(
    tx: &mut T,
    scope: &Scope,
    name: &RepositoryName,
) -> Result<RepositoryRow, E>
where
    T: ReadTx + ?Sized,
    E: From<StoreError> + From<RepositoryNotFoundException>,
{
    tx.repository(scope, name)?
        .ok_or_else(|| crate::ops::not_found(name, &scope.account_id).into())
}

/// What an image identifier names in a repository.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Lookup {
    Found(ImageRow),
    /// Nothing with that digest or tag (or that digest and tag together).
    NotFound,
    /// The tag names an image other than the digest given with it.
    TagDoesNotMatchDigest,
}

/// The image `digest` and/or `tag` name. A digest that fits ECR's pattern but is not a
/// SHA-256 digest names no image (ECR computes only SHA-256 digests); its hex may be in
/// either case. Given both, they must name the same image (likely).
pub(crate) fn lookup<T: ReadTx + ?Sized>(
    tx: &mut T,
    repository: RepoId,
    digest: Option<&str>,
    tag: Option<&ImageTag>,
) -> Result<Lookup, StoreError> {
    let digest = match digest {
        Some(text) => match text.parse::<Sha256Digest>() {
            Ok(digest) => Some(Some(digest)),
            Err(_) => Some(None),
        },
        None => None,
    };
    let by_tag = match tag {
        Some(tag) => Some(tx.tag(repository, tag)?),
        None => None,
    };
    let wanted = match (digest, by_tag) {
        (None, None) => return Ok(Lookup::NotFound),
        (Some(digest), None) => digest,
        (None, Some(by_tag)) => by_tag,
        (Some(digest), Some(by_tag)) => match (digest, by_tag) {
            (_, None) => return Ok(Lookup::NotFound),
            (Some(digest), Some(by_tag)) if digest == by_tag => Some(digest),
            (_, Some(_)) => return Ok(Lookup::TagDoesNotMatchDigest),
        },
    };
    let Some(wanted) = wanted else {
        return Ok(Lookup::NotFound);
    };
    Ok(match tx.image(repository, &wanted)? {
        Some(row) => Lookup::Found(row),
        None => Lookup::NotFound,
    })
}

/// An `imageId`'s members checked against ECR's patterns (not in the model), before any
/// lookup, as DescribeImages does.
pub(crate) fn check_image_id(id: &ImageIdentifier) -> Result<(), InvalidParameterException> {
    if let Some(tag) = &id.image_tag {
        check_image_tag(tag)?;
    }
    if let Some(digest) = &id.image_digest {
        check_image_digest(digest)?;
    }
    Ok(())
}

/// The image `id` names in repository `repo` (`name` of `scope`), inside a job;
/// ImageNotFound (the images batch's text, each member as sent) when it names none.
pub(crate) fn find_image<T, E>(
    tx: &mut T,
    scope: &Scope,
    name: &RepositoryName,
    repo: RepoId,
    id: &ImageIdentifier,
) -> Result<ImageRow, E>
where
    T: ReadTx + ?Sized,
    E: From<StoreError> + From<ImageNotFoundException>,
{
    match lookup(tx, repo, id.image_digest.as_deref(), id.image_tag.as_ref())? {
        Lookup::Found(row) => Ok(row),
        Lookup::NotFound | Lookup::TagDoesNotMatchDigest => {
            Err(ImageNotFoundException::new(messages::image_not_found(
                id.image_digest.as_deref(),
                id.image_tag.as_deref(),
                name,
                &scope.account_id,
            ))
            .into())
        }
    }
}

/// The image `id` names in repository `name`, inside a job: RepositoryNotFound, then
/// ImageNotFound ([`find_image`]).
pub(crate) fn named_image<T, E>(
    tx: &mut T,
    scope: &Scope,
    name: &RepositoryName,
    id: &ImageIdentifier,
) -> Result<(RepoId, ImageRow), E>
where
    T: ReadTx + ?Sized,
    E: From<StoreError> + From<RepositoryNotFoundException> + From<ImageNotFoundException>,
{
    let repo = find_repository::<_, E>(tx, scope, name)?.id;
    Ok((repo, find_image::<_, E>(tx, scope, name, repo, id)?))
}

/// The identifier an answer about image `row` carries: always its digest, and the tag the
/// request named it by, if any.
pub(crate) fn answered_id(row: &ImageRow, id: &ImageIdentifier) -> ImageIdentifier {
    ImageIdentifier {
        image_digest: Some(row.digest.to_string()),
        image_tag: id.image_tag.clone(),
    }
}

/// Why a BatchGetImage or BatchDeleteImage entry cannot name an image at all: neither
/// member, or one that breaks ECR's pattern (a per-entry failure there, not an
/// InvalidParameterException).
pub(crate) fn entry_problem(id: &ImageIdentifier) -> Option<ImageFailureCode> {
    match (id.image_digest.as_deref(), id.image_tag.as_deref()) {
        (None, None) => Some(ImageFailureCode::MissingDigestAndTag),
        (Some(digest), _) if !is_image_digest(digest) => Some(ImageFailureCode::InvalidImageDigest),
        (_, Some(tag)) if !is_image_tag(tag) => Some(ImageFailureCode::InvalidImageTag),
        _ => None,
    }
}

/// A per-entry failure, echoing the entry as sent, with the reason for its code.
pub(crate) fn failure(id: &ImageIdentifier, code: ImageFailureCode) -> ImageFailure {
    let reason = match code {
        ImageFailureCode::MissingDigestAndTag => messages::image_failure_missing_digest_and_tag(),
        ImageFailureCode::InvalidImageDigest => {
            messages::image_failure_invalid_digest(IMAGE_DIGEST_PATTERN)
        }
        ImageFailureCode::InvalidImageTag => messages::image_failure_invalid_tag(IMAGE_TAG_PATTERN),
        ImageFailureCode::ImageTagDoesNotMatchDigest => {
            messages::image_failure_tag_does_not_match_digest()
        }
        ImageFailureCode::ImageInaccessible => messages::image_failure_inaccessible(),
        _ => messages::image_failure_not_found(),
    };
    failure_with_reason(id, code, reason)
}

pub(crate) fn failure_with_reason(
    id: &ImageIdentifier,
    code: ImageFailureCode,
    reason: String,
) -> ImageFailure {
    ImageFailure {
        image_id: Some(id.clone()),
        failure_code: Some(code),
        failure_reason: Some(reason),
    }
}

/// An image as ECR shows its status. Berth finishes a restore at once (choice), so a stored
/// image is only ever active or archived.
pub(crate) fn status_view(status: ImageStatus) -> ecr_generated::types::ImageStatus {
    match status {
        ImageStatus::Active => ecr_generated::types::ImageStatus::Active,
        ImageStatus::Archived => ecr_generated::types::ImageStatus::Archived,
    }
}

/// Whether an image of `status` passes a ListImages/DescribeImages `imageStatus` filter
/// (ACTIVATING never matches: no image stays activating).
pub(crate) fn status_selected(filter: ImageStatusFilter, status: ImageStatus) -> bool {
    match filter {
        ImageStatusFilter::Any => true,
        ImageStatusFilter::Active => status == ImageStatus::Active,
        ImageStatusFilter::Archived => status == ImageStatus::Archived,
        ImageStatusFilter::Activating => false,
    }
}

/// Stored manifest bytes as the JSON API's string. They came in as one (PutImage) or
/// within the same limits (`/v2`), so a failure is Berth's own fault.
pub(crate) fn manifest_text(bytes: &[u8]) -> Result<ImageManifest, ServerException> {
    let text = std::str::from_utf8(bytes).map_err(|error| {
        ServerException::new(messages::unexpected_store_outcome(&error.to_string()))
    })?;
    ImageManifest::try_from(text).map_err(|error| {
        ServerException::new(messages::unexpected_store_outcome(&error.to_string()))
    })
}

/// The model's Long for a stored size (saturating rather than wrapping).
pub(crate) fn long(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}
