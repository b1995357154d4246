//! Migration 2: from the model's wire shape to storage's own encoding. Schema version 1
//! (Berth up to commit a644735) stored enums as their wire values (`IMMUTABLE_WITH_EXCLUSION`)
//! and tags and exclusion filters as JSON in their wire shape (`[{"Key":..,"Value":..}]`,
//! `[{"filterType":"WILDCARD","filter":..}]`). Each row is read with version 1's reader
//! below, written here once and frozen (it never follows the model), and written back
//! through [`RepositoryRow`], the current encoding.
//!
//! A row version 1 cannot have written (unknown value, malformed JSON) fails the migration:
//! its transaction is rolled back and the database stays as it was, at version 1.

use berth_runtime::Timestamp;
use ecr_generated::types::{
    EncryptionConfiguration, EncryptionType, ImageTagMutability, ImageTagMutabilityExclusionFilter,
    ImageTagMutabilityExclusionFilterType, Tag,
};
use ecr_impl::store::{RepositoryRecord, TagMutability};
use rusqlite::{Connection, params};
use serde::Deserialize;

use super::MigrationError;
use crate::rows::RepositoryRow;

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

/// A version 1 row's columns, as SQLite gives them.
struct V1Row {
    id: i64,
    scope: String,
    name: String,
    created_at_ms: i64,
    tag_mutability: String,
    exclusion_filters: String,
    scan_on_push: bool,
    encryption_type: String,
    kms_key: Option<String>,
    tags: String,
    policy_text: Option<String>,
}

impl V1Row {
    fn into_record(self) -> Result<RepositoryRecord, String> {
        let unknown = |what: &str, value: &str| format!("unknown {what} {value:?}");
        let mode = v1_tag_mutability(&self.tag_mutability)
            .ok_or_else(|| unknown("tag mutability", &self.tag_mutability))?;
        let encryption_type = v1_encryption_type(&self.encryption_type)
            .ok_or_else(|| unknown("encryption type", &self.encryption_type))?;
        let filters: Vec<V1Filter> = serde_json::from_str(&self.exclusion_filters)
            .map_err(|e| format!("exclusion filters: {e}"))?;
        let exclusion_filters = filters
            .into_iter()
            .map(|filter| {
                Ok(ImageTagMutabilityExclusionFilter {
                    filter_type: v1_filter_type(&filter.filter_type)
                        .ok_or_else(|| unknown("exclusion filter type", &filter.filter_type))?,
                    filter: filter.filter,
                })
            })
            .collect::<Result<_, String>>()?;
        let tags: Vec<V1Tag> =
            serde_json::from_str(&self.tags).map_err(|e| format!("tags: {e}"))?;
        Ok(RepositoryRecord {
            name: self.name,
            created_at: Timestamp::from_epoch_millis(self.created_at_ms),
            tag_mutability: TagMutability {
                mode,
                exclusion_filters,
            },
            scan_on_push: self.scan_on_push,
            encryption: EncryptionConfiguration {
                encryption_type,
                kms_key: self.kms_key,
            },
            tags: tags
                .into_iter()
                .map(|tag| Tag {
                    key: tag.key,
                    value: tag.value,
                })
                .collect(),
            policy_text: self.policy_text,
        })
    }
}

/// Rewrites every row's enums, tags and filters in the current encoding.
pub fn rewrite(conn: &Connection) -> Result<(), MigrationError> {
    // Read whole first: the table is not changed under a running query.
    let rows = conn
        .prepare(
            "SELECT id, account_id || '/' || region, name, created_at_ms, tag_mutability,
                 tag_mutability_exclusion_filters, scan_on_push, encryption_type, kms_key,
                 tags, policy_text
             FROM repositories ORDER BY id",
        )?
        .query_map([], |row| {
            Ok(V1Row {
                id: row.get(0)?,
                scope: row.get(1)?,
                name: row.get(2)?,
                created_at_ms: row.get(3)?,
                tag_mutability: row.get(4)?,
                exclusion_filters: row.get(5)?,
                scan_on_push: row.get(6)?,
                encryption_type: row.get(7)?,
                kms_key: row.get(8)?,
                tags: row.get(9)?,
                policy_text: row.get(10)?,
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let mut update = conn.prepare(
        "UPDATE repositories SET tag_mutability = ?2, tag_mutability_exclusion_filters = ?3,
             encryption_type = ?4, tags = ?5
         WHERE id = ?1",
    )?;
    for v1 in rows {
        let (id, place) = (v1.id, format!("repository '{}' of {}", v1.name, v1.scope));
        let record = v1.into_record().map_err(|detail| {
            MigrationError::DamagedRow(format!("the stored {place} is damaged: {detail}"))
        })?;
        let row = RepositoryRow::from_record(&record);
        update.execute(params![
            id,
            row.tag_mutability,
            row.exclusion_filters,
            row.encryption_type,
            row.tags
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
