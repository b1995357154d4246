//! Repository records in and out of the `repositories` table, through [`StoredRepository`]:
//! a record as storage spells it (`encoding`), never in the model's wire shape. Every
//! statement is cached on its connection, so a request costs no SQL parsing.

use berth_runtime::Timestamp;
use ecr_generated::types::{EncryptionConfiguration, KmsKey, RepositoryName, RepositoryPolicyText};
use ecr_impl::store::meta::{RepoId, RepositoryRow};
use ecr_impl::store::{RepositoryRecord, Scope, StoreError, TagMutability};
use rusqlite::{Connection, OptionalExtension, Row, params};

use crate::encoding::{self, StoredEnum};
use crate::error::{damaged_row, unavailable};
use crate::sql;

/// The columns of a row, in the order of [`StoredRepository`]'s fields, after its id.
const RECORD_COLUMNS: &str = "id, name, created_at_ms, tag_mutability, \
     tag_mutability_exclusion_filters, scan_on_push, encryption_type, kms_key, tags, policy_text";

/// One repository as the `repositories` table holds it (schema version
/// [`encoding::FORMAT`]): enums as storage's codes, tags and filters as its versioned JSON.
#[derive(Debug, Clone, PartialEq)]
struct StoredRepository {
    id: i64,
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

impl StoredRepository {
    fn from_record(record: &RepositoryRecord) -> StoredRepository {
        StoredRepository {
            // Not written: the database assigns it.
            id: 0,
            name: record.name.to_string(),
            created_at_ms: record.created_at.epoch_millis(),
            tag_mutability: record.tag_mutability.mode.code().to_owned(),
            exclusion_filters: encoding::encode_filters(&record.tag_mutability.exclusion_filters),
            scan_on_push: record.scan_on_push,
            encryption_type: record.encryption.encryption_type.code().to_owned(),
            kms_key: record.encryption.kms_key.as_ref().map(|k| k.to_string()),
            tags: encoding::encode_tags(&record.tags),
            policy_text: record.policy_text.as_ref().map(|p| p.to_string()),
        }
    }

    /// Reads [`RECORD_COLUMNS`] starting at column `first`.
    fn from_row(row: &Row<'_>, first: usize) -> rusqlite::Result<StoredRepository> {
        Ok(StoredRepository {
            id: row.get(first)?,
            name: row.get(first + 1)?,
            created_at_ms: row.get(first + 2)?,
            tag_mutability: row.get(first + 3)?,
            exclusion_filters: row.get(first + 4)?,
            scan_on_push: row.get(first + 5)?,
            encryption_type: row.get(first + 6)?,
            kms_key: row.get(first + 7)?,
            tags: row.get(first + 8)?,
            policy_text: row.get(first + 9)?,
        })
    }

    /// The repository this row stores; a value this Berth cannot read is a damaged row.
    fn into_row(self) -> Result<RepositoryRow, StoreError> {
        let damaged = |part: &str, detail: String| {
            damaged_row(
                &format!("repository '{}'", self.name),
                format!("{part}: {detail}"),
            )
        };
        let mode = StoredEnum::from_code(&self.tag_mutability)
            .map_err(|e| damaged("tag mutability", e))?;
        let exclusion_filters = encoding::decode_filters(&self.exclusion_filters)
            .map_err(|e| damaged("exclusion filters", e))?;
        let encryption_type =
            StoredEnum::from_code(&self.encryption_type).map_err(|e| damaged("encryption", e))?;
        let tags = encoding::decode_tags(&self.tags).map_err(|e| damaged("tags", e))?;
        // Values are checked by the model's rules again: a row no request could have made
        // is damaged.
        let kms_key = (self.kms_key.as_deref())
            .map(KmsKey::try_from)
            .transpose()
            .map_err(|e| damaged("kms key", e.to_string()))?;
        let policy_text = (self.policy_text.as_deref())
            .map(RepositoryPolicyText::try_from)
            .transpose()
            .map_err(|e| damaged("policy", e.to_string()))?;
        let name = RepositoryName::try_from(self.name.as_str())
            .map_err(|e| damaged("name", e.to_string()))?;
        let record = RepositoryRecord {
            name,
            created_at: Timestamp::from_epoch_millis(self.created_at_ms),
            tag_mutability: TagMutability {
                mode,
                exclusion_filters,
            },
            scan_on_push: self.scan_on_push,
            encryption: EncryptionConfiguration {
                encryption_type,
                kms_key,
            },
            tags,
            policy_text,
        };
        Ok(RepositoryRow {
            id: RepoId(self.id),
            record,
        })
    }
}

/// Adds `record` to `scope` and answers its new id, never one a repository had before. A
/// taken name is an error (the job checks it first).
pub fn insert(
    conn: &Connection,
    scope: &Scope,
    record: &RepositoryRecord,
) -> Result<RepoId, StoreError> {
    let mut statement = conn
        .prepare_cached(
            "INSERT INTO repositories (account_id, region, name, created_at_ms, tag_mutability,
                 tag_mutability_exclusion_filters, scan_on_push, encryption_type, kms_key, tags,
                 policy_text)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)
             RETURNING id",
        )
        .map_err(unavailable)?;
    let row = StoredRepository::from_record(record);
    statement
        .query_row(
            params![
                scope.account_id.as_str(),
                scope.region.as_str(),
                row.name,
                row.created_at_ms,
                row.tag_mutability,
                row.exclusion_filters,
                row.scan_on_push,
                row.encryption_type,
                row.kms_key,
                row.tags,
                row.policy_text,
            ],
            |row| row.get(0),
        )
        .map(RepoId)
        .map_err(unavailable)
}

/// Writes every mutable part of `record` over repository `id` (the name, creation time and
/// encryption never change).
pub fn update(conn: &Connection, id: RepoId, record: &RepositoryRecord) -> Result<(), StoreError> {
    let mut statement = conn
        .prepare_cached(
            "UPDATE repositories SET tag_mutability = ?2, tag_mutability_exclusion_filters = ?3,
                 scan_on_push = ?4, tags = ?5, policy_text = ?6
             WHERE id = ?1",
        )
        .map_err(unavailable)?;
    let row = StoredRepository::from_record(record);
    let updated = statement
        .execute(params![
            id.0,
            row.tag_mutability,
            row.exclusion_filters,
            row.scan_on_push,
            row.tags,
            row.policy_text,
        ])
        .map_err(unavailable)?;
    sql::expect_one_row(updated, || format!("repository {}", id.0))
}

/// The repository of `scope` named `name`, if there is one.
pub fn find(
    conn: &Connection,
    scope: &Scope,
    name: &RepositoryName,
) -> Result<Option<RepositoryRow>, StoreError> {
    let mut statement = conn
        .prepare_cached(&format!(
            "SELECT {RECORD_COLUMNS} FROM repositories
             WHERE account_id = ?1 AND region = ?2 AND name = ?3"
        ))
        .map_err(unavailable)?;
    statement
        .query_row(
            params![
                scope.account_id.as_str(),
                scope.region.as_str(),
                name.as_str()
            ],
            |row| StoredRepository::from_row(row, 0),
        )
        .optional()
        .map_err(unavailable)?
        .map(StoredRepository::into_row)
        .transpose()
}

/// Up to `limit` repositories of `scope` in name order, after `after` when given.
pub fn page(
    conn: &Connection,
    scope: &Scope,
    after: Option<&RepositoryName>,
    limit: usize,
) -> Result<Vec<RepositoryRow>, StoreError> {
    // One statement per case, each a plain range of the (account, region, name) index, so a
    // page costs O(limit) however deep it is.
    let limit = sql::limit(limit);
    let (account, region) = (scope.account_id.as_str(), scope.region.as_str());
    let sql = page_sql(after.is_some());
    match after {
        None => rows(conn, &sql, params![account, region, limit]),
        Some(after) => rows(conn, &sql, params![account, region, after.as_str(), limit]),
    }
}

/// The query of the first page (`?1` account, `?2` region, `?3` limit), or of a page after
/// a name (`?3` that name, `?4` limit).
fn page_sql(after: bool) -> String {
    let (range, limit) = match after {
        true => ("AND name > ?3", "?4"),
        false => ("", "?3"),
    };
    format!(
        "SELECT {RECORD_COLUMNS} FROM repositories
         WHERE account_id = ?1 AND region = ?2 {range} ORDER BY name LIMIT {limit}"
    )
}

/// The repositories a query selecting [`RECORD_COLUMNS`] finds.
fn rows(
    conn: &Connection,
    sql: &str,
    params: impl rusqlite::Params,
) -> Result<Vec<RepositoryRow>, StoreError> {
    let mut statement = conn.prepare_cached(sql).map_err(unavailable)?;
    let rows = statement
        .query_map(params, |row| StoredRepository::from_row(row, 0))
        .map_err(unavailable)?;
    rows.map(|row| row.map_err(unavailable)?.into_row())
        .collect()
}

/// Every repository of every registry, by account, region and name.
pub fn all(conn: &Connection) -> Result<Vec<(Scope, RepositoryRow)>, StoreError> {
    scoped_rows(
        conn,
        &format!(
            "SELECT account_id, region, {RECORD_COLUMNS} FROM repositories
             ORDER BY account_id, region, name"
        ),
        [],
    )
}

/// Every repository that has a document of `kind`, by id.
pub fn with_document(
    conn: &Connection,
    kind: &str,
) -> Result<Vec<(Scope, RepositoryRow)>, StoreError> {
    scoped_rows(
        conn,
        &format!(
            "SELECT account_id, region, {RECORD_COLUMNS} FROM repositories
             WHERE id IN (SELECT repository_id FROM repository_documents WHERE kind = ?1)
             ORDER BY id"
        ),
        [kind],
    )
}

/// Repositories with their registries, as `sql` (account, region, then the record's
/// columns) selects them.
fn scoped_rows(
    conn: &Connection,
    sql: &str,
    params: impl rusqlite::Params,
) -> Result<Vec<(Scope, RepositoryRow)>, StoreError> {
    let mut statement = conn.prepare_cached(sql).map_err(unavailable)?;
    let rows = statement
        .query_map(params, |row| {
            let scope: (String, String) = (row.get(0)?, row.get(1)?);
            Ok((scope, StoredRepository::from_row(row, 2)?))
        })
        .map_err(unavailable)?;
    rows.map(|row| {
        let ((account_id, region), stored) = row.map_err(unavailable)?;
        let what = || format!("registry {account_id} in {region}");
        let scope = Scope {
            account_id: account_id
                .parse()
                .map_err(|e| damaged_row(&what(), format!("account: {e}")))?,
            region: region
                .parse()
                .map_err(|e| damaged_row(&what(), format!("region: {e}")))?,
        };
        Ok((scope, stored.into_row()?))
    })
    .collect()
}

/// Removes repository `id` and, through the schema's cascades, everything it holds.
pub fn delete(conn: &Connection, id: RepoId) -> Result<(), StoreError> {
    conn.prepare_cached("DELETE FROM repositories WHERE id = ?1")
        .and_then(|mut statement| statement.execute([id.0]))
        .map(drop)
        .map_err(unavailable)
}

/// Removes every row of every table.
pub fn delete_all(conn: &Connection) -> Result<(), StoreError> {
    // Contents first (the cascades would find them anyway; this says what is emptied).
    // `sqlite_sequence` stays: ids are not reused even after a reset.
    conn.execute_batch(
        "DELETE FROM uploads; DELETE FROM layers; DELETE FROM image_tags;
         DELETE FROM image_references; DELETE FROM images; DELETE FROM repositories;",
    )
    .map_err(unavailable)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sql::tests::plan;

    #[test]
    fn pages_are_index_ranges_not_scans() {
        // A deep page starts at its name in the index instead of walking the names before
        // it, and no page sorts: the index is already in name order.
        let after = plan(&page_sql(true));
        assert!(
            after.contains("(account_id=? AND region=? AND name>?)"),
            "{after}"
        );
        let first = plan(&page_sql(false));
        assert!(first.contains("(account_id=? AND region=?)"), "{first}");
        for plan in [after, first] {
            assert!(
                plan.starts_with("SEARCH") && !plan.contains("TEMP B-TREE"),
                "{plan}"
            );
        }
    }
}
