//! Blobs linked into repositories (`layers`) and upload sessions (`uploads`), schema
//! version 3.

use berth_runtime::Timestamp;
use ecr_impl::store::StoreError;
use ecr_impl::store::blobs::{Sha256Digest, UploadId};
use ecr_impl::store::meta::{LayerRow, RepoId, UploadRow};
use rusqlite::{Connection, OptionalExtension, Row, params};

use crate::encoding;
use crate::error::{damaged_row, unavailable};
use crate::sql;

pub fn layer(
    conn: &Connection,
    repository: RepoId,
    digest: &Sha256Digest,
) -> Result<Option<LayerRow>, StoreError> {
    let found: Option<(i64, Option<String>, i64)> = conn
        .prepare_cached(
            "SELECT size, media_type, linked_at_ms FROM layers
             WHERE repository_id = ?1 AND digest = ?2",
        )
        .and_then(|mut statement| {
            statement
                .query_row(params![repository.0, &digest.as_bytes()[..]], |row| {
                    Ok((row.get(0)?, row.get(1)?, row.get(2)?))
                })
                .optional()
        })
        .map_err(unavailable)?;
    found
        .map(|(size, media_type, linked_at_ms)| {
            Ok(LayerRow {
                digest: *digest,
                size: sql::to_unsigned(size, &format!("layer {digest}"))?,
                media_type,
                linked_at: Timestamp::from_epoch_millis(linked_at_ms),
            })
        })
        .transpose()
}

pub fn put_layer(conn: &Connection, repository: RepoId, row: &LayerRow) -> Result<(), StoreError> {
    let size = sql::to_integer(row.size, "layer size")?;
    conn.prepare_cached(
        "INSERT INTO layers (repository_id, digest, size, media_type, linked_at_ms)
         VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (repository_id, digest) DO UPDATE SET size = excluded.size,
             media_type = excluded.media_type, linked_at_ms = excluded.linked_at_ms",
    )
    .and_then(|mut statement| {
        statement.execute(params![
            repository.0,
            &row.digest.as_bytes()[..],
            size,
            row.media_type,
            row.linked_at.epoch_millis(),
        ])
    })
    .map(drop)
    .map_err(unavailable)
}

/// What finds whether any repository links blob `?1`.
const BLOB_LINKED_SQL: &str = "SELECT EXISTS (SELECT 1 FROM layers WHERE digest = ?1)";

pub fn blob_linked(conn: &Connection, digest: &Sha256Digest) -> Result<bool, StoreError> {
    conn.prepare_cached(BLOB_LINKED_SQL)
        .and_then(|mut statement| statement.query_row([&digest.as_bytes()[..]], |row| row.get(0)))
        .map_err(unavailable)
}

/// The columns of an upload, in the order [`upload_from_row`] reads them.
const UPLOAD_COLUMNS: &str =
    "id, repository_id, received, parts, last_part_size, short_part, started_at_ms";

type StoredUpload = (String, i64, i64, i64, i64, bool, i64);

fn stored_upload(row: &Row<'_>) -> rusqlite::Result<StoredUpload> {
    Ok((
        row.get(0)?,
        row.get(1)?,
        row.get(2)?,
        row.get(3)?,
        row.get(4)?,
        row.get(5)?,
        row.get(6)?,
    ))
}

/// The upload a row stores; a value this Berth cannot read is a damaged row.
fn upload_from_row(stored: StoredUpload) -> Result<UploadRow, StoreError> {
    let (id, repository, received, parts, last_part_size, short_part, started_at_ms) = stored;
    let what = format!("upload {id}");
    Ok(UploadRow {
        id: encoding::decode_upload_id(&id).map_err(|e| damaged_row(&what, e))?,
        repository: RepoId(repository),
        received: sql::to_unsigned(received, &what)?,
        parts: sql::to_unsigned(parts, &what)?,
        last_part_size: sql::to_unsigned(last_part_size, &what)?,
        short_part,
        started_at: Timestamp::from_epoch_millis(started_at_ms),
    })
}

fn uploads(
    conn: &Connection,
    sql: &str,
    params: impl rusqlite::Params,
) -> Result<Vec<UploadRow>, StoreError> {
    let mut statement = conn.prepare_cached(sql).map_err(unavailable)?;
    let rows = statement
        .query_map(params, stored_upload)
        .map_err(unavailable)?;
    rows.map(|row| upload_from_row(row.map_err(unavailable)?))
        .collect()
}

pub fn upload(conn: &Connection, id: &UploadId) -> Result<Option<UploadRow>, StoreError> {
    let sql = format!("SELECT {UPLOAD_COLUMNS} FROM uploads WHERE id = ?1");
    let found = uploads(conn, &sql, [encoding::encode_upload_id(id)])?;
    Ok(found.into_iter().next())
}

/// What finds up to `?2` uploads started before `?1`, oldest first.
fn started_before_sql() -> String {
    format!(
        "SELECT {UPLOAD_COLUMNS} FROM uploads WHERE started_at_ms < ?1
         ORDER BY started_at_ms, id LIMIT ?2"
    )
}

pub fn uploads_started_before(
    conn: &Connection,
    before: Timestamp,
    limit: usize,
) -> Result<Vec<UploadRow>, StoreError> {
    uploads(
        conn,
        &started_before_sql(),
        params![before.epoch_millis(), sql::limit(limit)],
    )
}

pub fn put_upload(conn: &Connection, row: &UploadRow) -> Result<(), StoreError> {
    let params = params![
        encoding::encode_upload_id(&row.id),
        row.repository.0,
        sql::to_integer(row.received, "upload size")?,
        row.parts,
        sql::to_integer(row.last_part_size, "upload part size")?,
        row.short_part,
        row.started_at.epoch_millis(),
    ];
    conn.prepare_cached(&format!(
        "INSERT INTO uploads ({UPLOAD_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
         ON CONFLICT (id) DO UPDATE SET repository_id = excluded.repository_id,
             received = excluded.received, parts = excluded.parts,
             last_part_size = excluded.last_part_size, short_part = excluded.short_part,
             started_at_ms = excluded.started_at_ms"
    ))
    .and_then(|mut statement| statement.execute(params))
    .map(drop)
    .map_err(unavailable)
}

pub fn delete_upload(conn: &Connection, id: &UploadId) -> Result<(), StoreError> {
    conn.prepare_cached("DELETE FROM uploads WHERE id = ?1")
        .and_then(|mut statement| statement.execute([encoding::encode_upload_id(id)]))
        .map(drop)
        .map_err(unavailable)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sql::tests::plan;

    #[test]
    fn blob_and_expiry_lookups_are_index_searches() {
        let linked = plan(BLOB_LINKED_SQL);
        assert!(linked.contains("layers_by_digest (digest=?)"), "{linked}");
        let expiry = plan(&started_before_sql());
        assert!(
            expiry.contains("uploads_by_start (started_at_ms<?)"),
            "{expiry}"
        );
        assert!(!expiry.contains("TEMP B-TREE"), "{expiry}");
    }
}
