//! Migration 2: from the model's wire shape to storage's own encoding. Schema version 1
//! (Berth up to commit a644735) stored enums as their wire values (`IMMUTABLE_WITH_EXCLUSION`)
//! and tags and exclusion filters as JSON in their wire shape (`[{"Key":..,"Value":..}]`,
//! `[{"filterType":"WILDCARD","filter":..}]`). Each row is read with version 1's reader
//! below, written here once and frozen (it never follows the model), and written back
//! through `encoding`, the current spelling.
//!
//! A row version 1 cannot have written (unknown value, malformed JSON) fails the migration:
//! its transaction is rolled back and the database stays as it was, at version 1.

use ecr_generated::types::{
    EncryptionType, ImageTagMutability, ImageTagMutabilityExclusionFilter,
    ImageTagMutabilityExclusionFilterType, Tag,
};
use rusqlite::{Connection, params};
use serde::Deserialize;

use super::MigrationError;
use crate::encoding::{self, StoredEnum};

/// A tag as version 1 wrote it.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct V1Tag {
    #[serde(rename = "Key")]
    key: String,
    #[serde(rename = "Value")]
    value: String,
}

/// An exclusion filter as version 1 wrote it.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct V1Filter {
    #[serde(rename = "filterType")]
    filter_type: String,
    filter: String,
}

fn v1_tag_mutability(value: &str) -> Option<ImageTagMutability> {
    match value {
        "MUTABLE" => Some(ImageTagMutability::Mutable),
        "IMMUTABLE" => Some(ImageTagMutability::Immutable),
        "IMMUTABLE_WITH_EXCLUSION" => Some(ImageTagMutability::ImmutableWithExclusion),
        "MUTABLE_WITH_EXCLUSION" => Some(ImageTagMutability::MutableWithExclusion),
        _ => None,
    }
}

fn v1_encryption_type(value: &str) -> Option<EncryptionType> {
    match value {
        "AES256" => Some(EncryptionType::Aes256),
        "KMS" => Some(EncryptionType::Kms),
        "KMS_DSSE" => Some(EncryptionType::KmsDsse),
        _ => None,
    }
}

fn v1_filter_type(value: &str) -> Option<ImageTagMutabilityExclusionFilterType> {
    match value {
        "WILDCARD" => Some(ImageTagMutabilityExclusionFilterType::Wildcard),
        _ => None,
    }
}

/// The columns version 2 spells differently, as version 1 wrote them.
struct V1Values {
    id: i64,
    /// Which repository, for error messages.
    place: String,
    tag_mutability: String,
    exclusion_filters: String,
    encryption_type: String,
    tags: String,
}

/// The same values, read.
struct Values {
    tag_mutability: ImageTagMutability,
    exclusion_filters: Vec<ImageTagMutabilityExclusionFilter>,
    encryption_type: EncryptionType,
    tags: Vec<Tag>,
}

impl V1Values {
    fn read(&self) -> Result<Values, String> {
        let unknown = |what: &str, value: &str| format!("unknown {what} {value:?}");
        let filters: Vec<V1Filter> = serde_json::from_str(&self.exclusion_filters)
            .map_err(|e| format!("exclusion filters: {e}"))?;
        let tags: Vec<V1Tag> =
            serde_json::from_str(&self.tags).map_err(|e| format!("tags: {e}"))?;
        Ok(Values {
            tag_mutability: v1_tag_mutability(&self.tag_mutability)
                .ok_or_else(|| unknown("tag mutability", &self.tag_mutability))?,
            exclusion_filters: filters
                .into_iter()
                .map(|filter| {
                    Ok(ImageTagMutabilityExclusionFilter {
                        filter_type: v1_filter_type(&filter.filter_type)
                            .ok_or_else(|| unknown("exclusion filter type", &filter.filter_type))?,
                        filter: (filter.filter)
                            .try_into()
                            .map_err(|e| format!("exclusion filter: {e}"))?,
                    })
                })
                .collect::<Result<_, String>>()?,
            encryption_type: v1_encryption_type(&self.encryption_type)
                .ok_or_else(|| unknown("encryption type", &self.encryption_type))?,
            tags: tags
                .into_iter()
                .map(|tag| Tag {
                    key: tag.key,
                    value: tag.value,
                })
                .collect(),
        })
    }
}

/// Rewrites every row's enums, tags and filters in the current encoding (the other
/// columns are spelled the same in both versions).
pub fn rewrite(conn: &Connection) -> Result<(), MigrationError> {
    // Read whole first: the table is not changed under a running query.
    let rows = conn
        .prepare(
            "SELECT id, format('repository ''%s'' of %s/%s', name, account_id, region),
                 tag_mutability, tag_mutability_exclusion_filters, encryption_type, tags
             FROM repositories ORDER BY id",
        )?
        .query_map([], |row| {
            Ok(V1Values {
                id: row.get(0)?,
                place: row.get(1)?,
                tag_mutability: row.get(2)?,
                exclusion_filters: row.get(3)?,
                encryption_type: row.get(4)?,
                tags: row.get(5)?,
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let mut update = conn.prepare(
        "UPDATE repositories SET tag_mutability = ?2, tag_mutability_exclusion_filters = ?3,
             encryption_type = ?4, tags = ?5
         WHERE id = ?1",
    )?;
    for v1 in rows {
        let values = v1.read().map_err(|detail| {
            MigrationError::DamagedRow(format!("the stored {} is damaged: {detail}", v1.place))
        })?;
        update.execute(params![
            v1.id,
            values.tag_mutability.code(),
            encoding::encode_filters(&values.exclusion_filters),
            values.encryption_type.code(),
            encoding::encode_tags(&values.tags),
        ])?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A database at version 1 holding one row with these values.
    fn version_1(tag_mutability: &str, filters: &str, encryption: &str, tags: &str) -> Connection {
        let conn = Connection::open_in_memory().unwrap();
        let super::super::Step::Sql(v1) = super::super::MIGRATIONS[0].step else {
            unreachable!("migration 1 is SQL")
        };
        conn.execute_batch(v1).unwrap();
        conn.execute(
            "INSERT INTO repositories (account_id, region, name, created_at_ms, tag_mutability,
                 tag_mutability_exclusion_filters, scan_on_push, encryption_type, kms_key, tags)
             VALUES ('111111111111', 'eu-west-1', 'app', 1, ?1, ?2, 1, ?3, 'k', ?4)",
            params![tag_mutability, filters, encryption, tags],
        )
        .unwrap();
        conn
    }

    fn stored(conn: &Connection) -> [String; 4] {
        conn.query_row(
            "SELECT tag_mutability, tag_mutability_exclusion_filters, encryption_type, tags
             FROM repositories",
            [],
            |row| Ok([row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?]),
        )
        .unwrap()
    }

    #[test]
    fn version_1_values_are_rewritten_in_storages_encoding() {
        let conn = version_1(
            "MUTABLE_WITH_EXCLUSION",
            r#"[{"filterType":"WILDCARD","filter":"dev-*"}]"#,
            "KMS_DSSE",
            r#"[{"Key":"team","Value":"core"}]"#,
        );
        rewrite(&conn).unwrap();
        assert_eq!(
            stored(&conn),
            [
                "mutable-with-exclusion",
                r#"{"v":2,"filters":[["wildcard","dev-*"]]}"#,
                "kms-dsse",
                r#"{"v":2,"tags":[["team","core"]]}"#,
            ]
        );
    }

    #[test]
    fn a_row_version_1_cannot_have_written_fails_the_migration() {
        for (mutability, filters, encryption, tags, reason) in [
            (
                "mutable",
                "[]",
                "AES256",
                "[]",
                "unknown tag mutability \"mutable\"",
            ),
            (
                "MUTABLE",
                "[]",
                "aes",
                "[]",
                "unknown encryption type \"aes\"",
            ),
            (
                "MUTABLE",
                "[]",
                "AES256",
                "not json",
                "tags: expected ident",
            ),
            (
                "MUTABLE",
                "[]",
                "AES256",
                r#"[{"key":"a","value":"b"}]"#,
                "tags: unknown field `key`",
            ),
            (
                "MUTABLE",
                r#"[{"filterType":"REGEX","filter":"x"}]"#,
                "AES256",
                "[]",
                "unknown exclusion filter type \"REGEX\"",
            ),
        ] {
            let conn = version_1(mutability, filters, encryption, tags);
            let error = rewrite(&conn).unwrap_err().to_string();
            assert!(
                error.starts_with(
                    "the stored repository 'app' of 111111111111/eu-west-1 is damaged: "
                ) && error.contains(reason),
                "{error}"
            );
        }
    }
}
