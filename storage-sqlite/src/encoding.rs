//! How values are spelled on disk: storage's own format, independent of the model's wire
//! names. A model bump that renames a member or an enum value changes the API, never the
//! files: the generated types are mapped to stored values here, once, explicitly.
//!
//! - Enums are fixed codes defined in this file ([`StoredEnum`]). Each mapping is written
//!   once, as one list, and its encoding direction is an exhaustive `match` on the
//!   generated enum: a variant renamed, added or removed by the model stops compilation
//!   here instead of silently changing what is written or making old rows unreadable.
//! - Tags and exclusion filters are JSON objects carrying their format's version
//!   (`{"v":2,...}`), with positional pairs rather than the model's member names.
//!
//! - Digests are their 32 raw bytes (byte order is digest order); upload ids their
//!   hyphenated lowercase text; image statuses and reference kinds fixed codes (schema
//!   version 3).
//!
//! The JSON values are in the format of schema version [`FORMAT`]; changing any of this is a
//! new schema version with a migration that rewrites the rows (`schema`).

use ecr_generated::types::{
    EncryptionType, ImageTagMutability, ImageTagMutabilityExclusionFilter,
    ImageTagMutabilityExclusionFilterType, Tag,
};
use ecr_impl::store::blobs::{Sha256Digest, UploadId};
use ecr_impl::store::meta::{ImageStatus, Reference};
use serde::{Deserialize, Serialize};

/// The version marker of every structured value written in this format: the schema
/// version that introduced it.
pub const FORMAT: u32 = 2;

/// A generated enum's stored codes.
pub trait StoredEnum: Copy + Sized + 'static {
    /// What the value is, for error messages.
    const WHAT: &'static str;
    /// The code written for this value.
    fn code(self) -> &'static str;
    /// The value a stored code stands for.
    fn from_code(code: &str) -> Result<Self, String>;
}

/// Implements [`StoredEnum`] from one list of `Variant => "code"`.
macro_rules! stored_enum {
    ($enum:ident, $what:literal, { $($variant:ident => $code:literal),+ $(,)? }) => {
        impl StoredEnum for $enum {
            const WHAT: &'static str = $what;

            fn code(self) -> &'static str {
                // Exhaustive on purpose: the model's variants must each be mapped here.
                match self {
                    $($enum::$variant => $code),+
                }
            }

            fn from_code(code: &str) -> Result<Self, String> {
                match code {
                    $($code => Ok($enum::$variant),)+
                    other => Err(format!("unknown {} {other:?}", Self::WHAT)),
                }
            }
        }
    };
}

stored_enum!(ImageTagMutability, "tag mutability", {
    Mutable => "mutable",
    Immutable => "immutable",
    ImmutableWithExclusion => "immutable-with-exclusion",
    MutableWithExclusion => "mutable-with-exclusion",
});

stored_enum!(EncryptionType, "encryption type", {
    Aes256 => "aes256",
    Kms => "kms",
    KmsDsse => "kms-dsse",
});

stored_enum!(ImageTagMutabilityExclusionFilterType, "exclusion filter type", {
    Wildcard => "wildcard",
});

/// A repository's tags: `{"v":2,"tags":[["key","value"],...]}`, in the record's order.
/// (`S`: borrowed strings when writing, owned ones when reading.)
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct StoredTags<S> {
    v: u32,
    tags: Vec<(S, S)>,
}

/// Exclusion filters: `{"v":2,"filters":[["wildcard","dev-*"],...]}` (type code, filter).
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct StoredFilters<S> {
    v: u32,
    filters: Vec<(S, S)>,
}

/// JSON text of a value made of strings and numbers, which serde_json cannot fail to write
/// (were it to, the empty text would read back as a damaged row, not as wrong data).
fn to_json(value: &impl Serialize) -> String {
    serde_json::to_string(value).unwrap_or_default()
}

/// The value of a versioned JSON column, once its marker says it is in this format.
fn from_json<'a, T: Deserialize<'a>>(
    text: &'a str,
    version: impl FnOnce(&T) -> u32,
) -> Result<T, String> {
    let value: T = serde_json::from_str(text).map_err(|e| e.to_string())?;
    match version(&value) {
        FORMAT => Ok(value),
        other => Err(format!("format version {other}, expected {FORMAT}")),
    }
}

pub fn encode_tags(tags: &[Tag]) -> String {
    to_json(&StoredTags {
        v: FORMAT,
        tags: tags
            .iter()
            .map(|tag| (tag.key.as_str(), tag.value.as_str()))
            .collect(),
    })
}

pub fn decode_tags(text: &str) -> Result<Vec<Tag>, String> {
    let stored: StoredTags<String> = from_json(text, |stored: &StoredTags<String>| stored.v)?;
    Ok(stored
        .tags
        .into_iter()
        .map(|(key, value)| Tag { key, value })
        .collect())
}

pub fn encode_filters(filters: &[ImageTagMutabilityExclusionFilter]) -> String {
    to_json(&StoredFilters {
        v: FORMAT,
        filters: filters
            .iter()
            .map(|filter| (filter.filter_type.code(), filter.filter.as_str()))
            .collect(),
    })
}

pub fn decode_filters(text: &str) -> Result<Vec<ImageTagMutabilityExclusionFilter>, String> {
    let stored: StoredFilters<String> = from_json(text, |stored: &StoredFilters<String>| stored.v)?;
    stored
        .filters
        .into_iter()
        .map(|(filter_type, filter)| {
            Ok(ImageTagMutabilityExclusionFilter {
                filter_type: StoredEnum::from_code(&filter_type)?,
                filter: filter.try_into().map_err(|e| format!("filter: {e}"))?,
            })
        })
        .collect()
}

stored_enum!(ImageStatus, "image status", {
    Active => "active",
    Archived => "archived",
});

/// The `kind` code of an image reference to a layer (config or layer blob).
pub const LAYER_REFERENCE: &str = "layer";
/// The `kind` code of an image reference to a child manifest.
pub const MANIFEST_REFERENCE: &str = "manifest";

/// A reference's `kind` code and target (schema version 3).
pub fn encode_reference(reference: &Reference) -> (&'static str, &Sha256Digest) {
    match reference {
        Reference::Layer(digest) => (LAYER_REFERENCE, digest),
        Reference::Manifest(digest) => (MANIFEST_REFERENCE, digest),
    }
}

/// A digest column's value: the digest's 32 raw bytes (schema version 3).
pub fn decode_digest(bytes: &[u8]) -> Result<Sha256Digest, String> {
    <[u8; 32]>::try_from(bytes)
        .map(Sha256Digest::from_bytes)
        .map_err(|_| format!("a digest of {} bytes, expected 32", bytes.len()))
}

/// An upload id column's value: the id's hyphenated lowercase text (schema version 3).
pub fn encode_upload_id(id: &UploadId) -> String {
    id.to_string()
}

pub fn decode_upload_id(text: &str) -> Result<UploadId, String> {
    text.parse().map_err(|e| format!("upload id {text:?}: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The codes of every value the model has, in model order; each reads back as its value.
    fn codes<E: StoredEnum + PartialEq + std::fmt::Debug>(model_values: &[E]) -> Vec<&str> {
        for &value in model_values {
            assert_eq!(E::from_code(value.code()), Ok(value), "{}", E::WHAT);
        }
        model_values.iter().map(|value| value.code()).collect()
    }

    #[test]
    fn every_model_value_has_its_own_fixed_code() {
        // What schema version 2 files hold. A change here is a change of the disk format:
        // it needs a new schema version and a migration, not an edit of this list. (Distinct
        // codes: each value reads back as itself.)
        assert_eq!(
            codes(&ImageTagMutability::VALUES),
            [
                "mutable",
                "immutable",
                "immutable-with-exclusion",
                "mutable-with-exclusion"
            ]
        );
        assert_eq!(
            codes(&EncryptionType::VALUES),
            ["aes256", "kms", "kms-dsse"]
        );
        assert_eq!(
            codes(&ImageTagMutabilityExclusionFilterType::VALUES),
            ["wildcard"]
        );
    }

    #[test]
    fn image_values_have_fixed_codes_and_raw_digests() {
        // What schema version 3 files hold: changing any of it needs a new schema version.
        assert_eq!(
            codes(&[ImageStatus::Active, ImageStatus::Archived]),
            ["active", "archived"]
        );
        let digest = Sha256Digest::of(b"x");
        assert_eq!(
            encode_reference(&Reference::Layer(digest)),
            ("layer", &digest)
        );
        assert_eq!(
            encode_reference(&Reference::Manifest(digest)),
            ("manifest", &digest)
        );
        assert_eq!(decode_digest(digest.as_bytes()), Ok(digest));
        assert_eq!(
            decode_digest(&[0; 31]),
            Err("a digest of 31 bytes, expected 32".to_owned())
        );
        let id: UploadId = "0F1E2D3C-4B5A-6978-8796-A5B4C3D2E1F0".parse().unwrap();
        assert_eq!(
            encode_upload_id(&id),
            "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"
        );
        assert_eq!(decode_upload_id(&encode_upload_id(&id)), Ok(id));
        assert!(decode_upload_id("not-an-id").is_err());
    }

    #[test]
    fn unknown_codes_are_errors_that_name_them() {
        assert_eq!(
            ImageTagMutability::from_code("MUTABLE"),
            Err("unknown tag mutability \"MUTABLE\"".to_owned())
        );
        assert!(EncryptionType::from_code("").is_err());
    }

    fn tag(key: &str, value: &str) -> Tag {
        Tag {
            key: key.into(),
            value: value.into(),
        }
    }

    #[test]
    fn tags_are_pairs_in_order_behind_a_version_marker() {
        let tags = [
            tag("team", "core"),
            tag("quote \"\\", "caf\u{e9} \u{1f433}"),
            tag("empty", ""),
        ];
        let text = encode_tags(&tags);
        assert_eq!(
            text,
            r#"{"v":2,"tags":[["team","core"],["quote \"\\","café 🐳"],["empty",""]]}"#
        );
        assert_eq!(decode_tags(&text).unwrap(), tags);
        assert_eq!(encode_tags(&[]), r#"{"v":2,"tags":[]}"#);
    }

    #[test]
    fn filters_store_their_type_code() {
        let filters = [ImageTagMutabilityExclusionFilter {
            filter_type: ImageTagMutabilityExclusionFilterType::Wildcard,
            filter: "dev-*".parse().unwrap(),
        }];
        let text = encode_filters(&filters);
        assert_eq!(text, r#"{"v":2,"filters":[["wildcard","dev-*"]]}"#);
        assert_eq!(decode_filters(&text).unwrap(), filters);
    }

    #[test]
    fn other_formats_are_refused_not_guessed() {
        // Schema version 1's wire-shaped JSON.
        assert!(decode_tags(r#"[{"Key":"a","Value":"b"}]"#).is_err());
        assert!(decode_filters(r#"[{"filterType":"WILDCARD","filter":"x"}]"#).is_err());
        // A later format, or a missing or extra field.
        assert_eq!(
            decode_tags(r#"{"v":3,"tags":[]}"#).unwrap_err(),
            "format version 3, expected 2"
        );
        assert!(decode_tags(r#"{"tags":[]}"#).is_err());
        assert!(decode_tags(r#"{"v":2,"tags":[],"more":1}"#).is_err());
        assert!(decode_filters(r#"{"v":2,"filters":[["WILDCARD","x"]]}"#).is_err());
    }
}
