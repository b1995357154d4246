//! Repository records in and out of the `repositories` table, through
//! [`RepositoryRow`]: a record as storage spells it (`encoding`), never in the model's wire
//! shape. Every statement is cached on its connection, so a request costs no SQL parsing.

use berth_runtime::Timestamp;
use ecr_generated::types::{EncryptionConfiguration, KmsKey, RepositoryName, RepositoryPolicyText};
use ecr_impl::store::{RepositoryRecord, Scope, StoreError, TagMutability};
use rusqlite::{Connection, OptionalExtension, Row, params};

use crate::encoding::{self, StoredEnum};
use crate::error::{damaged_row, unavailable};

/// The columns of a row, in the order of [`RepositoryRow`]'s fields.
const RECORD_COLUMNS: &str = "name, created_at_ms, tag_mutability, \
     tag_mutability_exclusion_filters, scan_on_push, encryption_type, kms_key, tags, policy_text";

/// One repository as the `repositories` table holds it (schema version
/// [`encoding::FORMAT`]): enums as storage's codes, tags and filters as its versioned JSON.
#[derive(Debug, Clone, PartialEq)]
struct RepositoryRow {
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

impl RepositoryRow {
    fn from_record(record: &RepositoryRecord) -> RepositoryRow {
        RepositoryRow {
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
    fn from_row(row: &Row<'_>, first: usize) -> rusqlite::Result<RepositoryRow> {
        Ok(RepositoryRow {
            name: row.get(first)?,
            created_at_ms: row.get(first + 1)?,
            tag_mutability: row.get(first + 2)?,
            exclusion_filters: row.get(first + 3)?,
            scan_on_push: row.get(first + 4)?,
            encryption_type: row.get(first + 5)?,
            kms_key: row.get(first + 6)?,
            tags: row.get(first + 7)?,
            policy_text: row.get(first + 8)?,
        })
    }

    /// The record this row stores; a value this Berth cannot read is a damaged row.
    fn into_record(self) -> Result<RepositoryRecord, StoreError> {
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
        Ok(RepositoryRecord {
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
        })
    }
}

/// Adds `record` to `scope`; `false` (and nothing written) when the name is taken.
pub fn insert(
    conn: &Connection,
    scope: &Scope,
    record: &RepositoryRecord,
) -> Result<bool, StoreError> {
    let mut statement = conn
        .prepare_cached(&format!(
            "INSERT INTO repositories (account_id, region, {RECORD_COLUMNS})
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)
             ON CONFLICT (account_id, region, name) DO NOTHING"
        ))
        .map_err(unavailable)?;
    let row = RepositoryRow::from_record(record);
    let inserted = statement
        .execute(params![
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
        ])
        .map_err(unavailable)?;
    Ok(inserted == 1)
}

/// Writes every mutable part of `record` over the stored repository of the same name
/// (the name, creation time and encryption never change).
pub fn update(
    conn: &Connection,
    scope: &Scope,
    record: &RepositoryRecord,
) -> Result<(), StoreError> {
    let mut statement = conn
        .prepare_cached(
            "UPDATE repositories SET tag_mutability = ?4, tag_mutability_exclusion_filters = ?5,
                 scan_on_push = ?6, tags = ?7, policy_text = ?8
             WHERE account_id = ?1 AND region = ?2 AND name = ?3",
        )
        .map_err(unavailable)?;
    let row = RepositoryRow::from_record(record);
    let updated = statement
        .execute(params![
            scope.account_id.as_str(),
            scope.region.as_str(),
            row.name,
            row.tag_mutability,
            row.exclusion_filters,
            row.scan_on_push,
            row.tags,
            row.policy_text,
        ])
        .map_err(unavailable)?;
    match updated {
        1 => Ok(()),
        _ => Err(StoreError::RepositoryNotFound),
    }
}

/// The repository named `name`, if there is one.
pub fn find(
    conn: &Connection,
    scope: &Scope,
    name: &RepositoryName,
) -> Result<Option<RepositoryRecord>, StoreError> {
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
            |row| RepositoryRow::from_row(row, 0),
        )
        .optional()
        .map_err(unavailable)?
        .map(RepositoryRow::into_record)
        .transpose()
}

/// Up to `limit` repositories of `scope` in name order, after `after` when given.
pub fn page(
    conn: &Connection,
    scope: &Scope,
    after: Option<&RepositoryName>,
    limit: usize,
) -> Result<Vec<RepositoryRecord>, StoreError> {
    // One statement per case, each a plain range of the (account, region, name) index, so a
    // page costs O(limit) however deep it is.
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let (account, region) = (scope.account_id.as_str(), scope.region.as_str());
    let sql = page_sql(after.is_some());
    match after {
        None => records(conn, &sql, params![account, region, limit]),
        Some(after) => records(conn, &sql, params![account, region, after.as_str(), limit]),
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

/// The records a query selecting [`RECORD_COLUMNS`] finds.
fn records(
    conn: &Connection,
    sql: &str,
    params: impl rusqlite::Params,
) -> Result<Vec<RepositoryRecord>, StoreError> {
    let mut statement = conn.prepare_cached(sql).map_err(unavailable)?;
    let rows = statement
        .query_map(params, |row| RepositoryRow::from_row(row, 0))
        .map_err(unavailable)?;
    rows.map(|row| row.map_err(unavailable)?.into_record())
        .collect()
}

/// Every repository of every registry, by account, region and name.
pub fn all(conn: &Connection) -> Result<Vec<(Scope, RepositoryRecord)>, StoreError> {
    let mut statement = conn
        .prepare_cached(&format!(
            "SELECT account_id, region, {RECORD_COLUMNS} FROM repositories
             ORDER BY account_id, region, name"
        ))
        .map_err(unavailable)?;
    let rows = statement
        .query_map([], |row| {
            let scope: (String, String) = (row.get(0)?, row.get(1)?);
            Ok((scope, RepositoryRow::from_row(row, 2)?))
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
        Ok((scope, stored.into_record()?))
    })
    .collect()
}

/// Removes the repository named `name`; `false` when there was none.
pub fn delete(conn: &Connection, scope: &Scope, name: &RepositoryName) -> Result<bool, StoreError> {
    let mut statement = conn
        .prepare_cached(
            "DELETE FROM repositories WHERE account_id = ?1 AND region = ?2 AND name = ?3",
        )
        .map_err(unavailable)?;
    let deleted = statement
        .execute(params![
            scope.account_id.as_str(),
            scope.region.as_str(),
            name.as_str()
        ])
        .map_err(unavailable)?;
    Ok(deleted == 1)
}

/// Removes every repository (and, through cascades, everything they hold).
pub fn delete_all(conn: &Connection) -> Result<(), StoreError> {
    conn.execute("DELETE FROM repositories", [])
        .map(drop)
        .map_err(unavailable)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(sql: &str) -> String {
        let mut conn = Connection::open_in_memory().unwrap();
        crate::schema::migrate(&mut conn).unwrap();
        let mut statement = conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}")).unwrap();
        let unbound = std::iter::repeat_n(rusqlite::types::Null, statement.parameter_count());
        let details: Vec<String> = statement
            .query_map(rusqlite::params_from_iter(unbound), |row| row.get(3))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap();
        details.join("; ")
    }

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
