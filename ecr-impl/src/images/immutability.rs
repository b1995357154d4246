//! Whether a tag may move (`ecr-behaviour-images.md` §9): the repository's mode, and for the
//! `*_WITH_EXCLUSION` modes its WILDCARD filters. A tag is protected only once it exists:
//! PutImage asks this only when the tag already names another image.

use ecr_generated::types::{ImageTagMutability, ImageTagMutabilityExclusionFilter};

use crate::store::TagMutability;

/// Whether `tag`, once it names an image, may not be moved to another one.
pub fn is_immutable(setting: &TagMutability, tag: &str) -> bool {
    let excluded = || matches_any(&setting.exclusion_filters, tag);
    match setting.mode {
        ImageTagMutability::Mutable => false,
        ImageTagMutability::Immutable => true,
        ImageTagMutability::ImmutableWithExclusion => !excluded(),
        ImageTagMutability::MutableWithExclusion => excluded(),
    }
}

/// Whether any filter matches the whole `tag` (WILDCARD is the model's only filter type).
pub fn matches_any(filters: &[ImageTagMutabilityExclusionFilter], tag: &str) -> bool {
    filters
        .iter()
        .any(|filter| wildcard_match(filter.filter.as_str(), tag))
}

/// Whether `pattern` matches the whole of `text`: `*` stands for any run of characters,
/// the empty one included; every other character stands for itself. Linear backtracking
/// to the last `*` only, so no pattern can make it slow.
pub fn wildcard_match(pattern: &str, text: &str) -> bool {
    // Bytes, not chars, and no allocation (lifecycle rules match every tag of every image):
    // the same answer for UTF-8, since a literal run starts with a leading byte, which no
    // position inside a multi-byte character holds.
    let (pattern, text) = (pattern.as_bytes(), text.as_bytes());
    let (mut p, mut t) = (0, 0);
    // The position after the last `*` seen, and the text position it was tried at.
    let mut retry: Option<(usize, usize)> = None;
    while t < text.len() {
        if p < pattern.len() && pattern[p] == b'*' {
            p += 1;
            retry = Some((p, t));
        } else if p < pattern.len() && pattern[p] == text[t] {
            p += 1;
            t += 1;
        } else if let Some((after_star, tried_at)) = retry {
            // Let the last `*` take one more character.
            p = after_star;
            t = tried_at + 1;
            retry = Some((after_star, t));
        } else {
            return false;
        }
    }
    pattern[p..].iter().all(|&c| c == b'*')
}

#[cfg(test)]
mod tests {
    use ecr_generated::types::{
        ImageTagMutabilityExclusionFilterType, ImageTagMutabilityExclusionFilterValue,
    };

    use super::*;

    fn filter(text: &str) -> ImageTagMutabilityExclusionFilter {
        ImageTagMutabilityExclusionFilter {
            filter_type: ImageTagMutabilityExclusionFilterType::Wildcard,
            filter: ImageTagMutabilityExclusionFilterValue::try_from(text).unwrap(),
        }
    }

    fn setting(mode: ImageTagMutability, filters: &[&str]) -> TagMutability {
        TagMutability {
            mode,
            exclusion_filters: filters.iter().map(|text| filter(text)).collect(),
        }
    }

    #[test]
    fn a_star_matches_any_run_including_none_and_the_whole_tag_must_match() {
        for (pattern, text) in [
            ("dev-*", "dev-1"),
            ("dev-*", "dev-"),
            ("latest", "latest"),
            ("*", "anything"),
            ("*-rc*", "1.0-rc2"),
            ("*-rc*", "-rc"),
            ("a*b*c", "abc"),
            ("a*b*c", "aXXbYYbZc"),
            ("**", "x"),
            ("v*.*.*", "v1.2.3"),
            ("é*ü", "é-ü-ü"),
            ("*é", "aé"),
            ("a*", "aé"),
        ] {
            assert!(wildcard_match(pattern, text), "{pattern} ~ {text}");
        }
        for (pattern, text) in [
            ("dev-*", "xdev-1"),
            ("dev-*", "dev"),
            ("latest", "latest1"),
            ("latest", "xlatest"),
            ("a*b*c", "aXXbYYbZ"),
            ("v*.*.*", "v1.2"),
            ("a.b", "aXb"),
            ("é", "e"),
            ("*é", "aè"),
        ] {
            assert!(!wildcard_match(pattern, text), "{pattern} !~ {text}");
        }
    }

    #[test]
    fn many_stars_against_a_long_near_miss_answer_quickly() {
        let pattern = "*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*b";
        let text = "a".repeat(300);
        assert!(!wildcard_match(pattern, &text));
    }

    #[test]
    fn each_mode_with_its_filters() {
        let immutable = setting(ImageTagMutability::Immutable, &[]);
        let mutable = setting(ImageTagMutability::Mutable, &[]);
        assert!(is_immutable(&immutable, "latest"));
        assert!(!is_immutable(&mutable, "latest"));

        let immutable_but = setting(
            ImageTagMutability::ImmutableWithExclusion,
            &["latest", "dev-*"],
        );
        assert!(!is_immutable(&immutable_but, "latest"));
        assert!(!is_immutable(&immutable_but, "dev-7"));
        assert!(is_immutable(&immutable_but, "v1.0"));
        assert!(is_immutable(&immutable_but, "xdev-7"));

        let mutable_but = setting(ImageTagMutability::MutableWithExclusion, &["release-*"]);
        assert!(is_immutable(&mutable_but, "release-1"));
        assert!(!is_immutable(&mutable_but, "latest"));
    }
}
