//! Images: what the image operations must understand before they touch any state. Pure
//! functions only; the handlers (PutImage first) come with the image state.
//!
//! - [`manifest`]: a manifest's media type, digest, structure and references
//!   (`ecr-behaviour-images.md` §1, §4 steps 3–6, §8);
//! - here: the two input patterns ECR enforces on `imageTag` and `imageDigest` that the
//!   model does not state (§2).

pub mod manifest;

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
