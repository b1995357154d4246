//! Documents (schema version 4): opaque values ecr-impl's domains keep per registry, per
//! repository and per image. Repository and image documents cascade from their owner.

use bytes::Bytes;
use ecr_impl::store::blobs::Sha256Digest;
use ecr_impl::store::meta::RepoId;
use ecr_impl::store::{Scope, StoreError};
use rusqlite::{Connection, OptionalExtension, params};

use crate::error::unavailable;
use crate::sql;

pub fn registry_document(
    conn: &Connection,
    scope: &Scope,
    kind: &str,
    key: &str,
) -> Result<Option<Bytes>, StoreError> {
    conn.prepare_cached(
        "SELECT value FROM registry_documents
         WHERE account_id = ?1 AND region = ?2 AND kind = ?3 AND key = ?4",
    )
    .and_then(|mut statement| {
        statement
            .query_row(
                params![scope.account_id.as_str(), scope.region.as_str(), kind, key],
                |row| row.get::<_, Vec<u8>>(0),
            )
            .optional()
    })
    .map(|found| found.map(Bytes::from))
    .map_err(unavailable)
}

pub fn registry_documents_after(
    conn: &Connection,
    scope: &Scope,
    kind: &str,
    after: Option<&str>,
    limit: usize,
) -> Result<Vec<(String, Bytes)>, StoreError> {
    // Keys compare with BINARY collation: byte order, as the memory backend's.
    let mut statement = conn
        .prepare_cached(
            "SELECT key, value FROM registry_documents
             WHERE account_id = ?1 AND region = ?2 AND kind = ?3 AND (?4 IS NULL OR key > ?4)
             ORDER BY key LIMIT ?5",
        )
        .map_err(unavailable)?;
    let rows = statement
        .query_map(
            params![
                scope.account_id.as_str(),
                scope.region.as_str(),
                kind,
                after,
                sql::limit(limit)
            ],
            |row| {
                Ok((
                    row.get::<_, String>(0)?,
                    Bytes::from(row.get::<_, Vec<u8>>(1)?),
                ))
            },
        )
        .map_err(unavailable)?;
    rows.collect::<rusqlite::Result<_>>().map_err(unavailable)
}

pub fn put_registry_document(
    conn: &Connection,
    scope: &Scope,
    kind: &str,
    key: &str,
    value: &Bytes,
) -> Result<(), StoreError> {
    conn.prepare_cached(
        "INSERT INTO registry_documents (account_id, region, kind, key, value)
         VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (account_id, region, kind, key) DO UPDATE SET value = excluded.value",
    )
    .and_then(|mut statement| {
        statement.execute(params![
            scope.account_id.as_str(),
            scope.region.as_str(),
            kind,
            key,
            &value[..]
        ])
    })
    .map(drop)
    .map_err(unavailable)
}

pub fn delete_registry_document(
    conn: &Connection,
    scope: &Scope,
    kind: &str,
    key: &str,
) -> Result<(), StoreError> {
    conn.prepare_cached(
        "DELETE FROM registry_documents
         WHERE account_id = ?1 AND region = ?2 AND kind = ?3 AND key = ?4",
    )
    .and_then(|mut statement| {
        statement.execute(params![
            scope.account_id.as_str(),
            scope.region.as_str(),
            kind,
            key
        ])
    })
    .map(drop)
    .map_err(unavailable)
}

pub fn repository_document(
    conn: &Connection,
    repository: RepoId,
    kind: &str,
) -> Result<Option<Bytes>, StoreError> {
    conn.prepare_cached(
        "SELECT value FROM repository_documents WHERE repository_id = ?1 AND kind = ?2",
    )
    .and_then(|mut statement| {
        statement
            .query_row(params![repository.0, kind], |row| row.get::<_, Vec<u8>>(0))
            .optional()
    })
    .map(|found| found.map(Bytes::from))
    .map_err(unavailable)
}

pub fn put_repository_document(
    conn: &Connection,
    repository: RepoId,
    kind: &str,
    value: &Bytes,
) -> Result<(), StoreError> {
    conn.prepare_cached(
        "INSERT INTO repository_documents (repository_id, kind, value) VALUES (?1, ?2, ?3)
         ON CONFLICT (repository_id, kind) DO UPDATE SET value = excluded.value",
    )
    .and_then(|mut statement| statement.execute(params![repository.0, kind, &value[..]]))
    .map(drop)
    .map_err(unavailable)
}

pub fn delete_repository_document(
    conn: &Connection,
    repository: RepoId,
    kind: &str,
) -> Result<(), StoreError> {
    conn.prepare_cached("DELETE FROM repository_documents WHERE repository_id = ?1 AND kind = ?2")
        .and_then(|mut statement| statement.execute(params![repository.0, kind]))
        .map(drop)
        .map_err(unavailable)
}

pub fn image_document(
    conn: &Connection,
    repository: RepoId,
    digest: &Sha256Digest,
    kind: &str,
) -> Result<Option<Bytes>, StoreError> {
    conn.prepare_cached(
        "SELECT value FROM image_documents
         WHERE repository_id = ?1 AND digest = ?2 AND kind = ?3",
    )
    .and_then(|mut statement| {
        statement
            .query_row(params![repository.0, &digest.as_bytes()[..], kind], |row| {
                row.get::<_, Vec<u8>>(0)
            })
            .optional()
    })
    .map(|found| found.map(Bytes::from))
    .map_err(unavailable)
}

pub fn put_image_document(
    conn: &Connection,
    repository: RepoId,
    digest: &Sha256Digest,
    kind: &str,
    value: &Bytes,
) -> Result<(), StoreError> {
    conn.prepare_cached(
        "INSERT INTO image_documents (repository_id, digest, kind, value)
         VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (repository_id, digest, kind) DO UPDATE SET value = excluded.value",
    )
    .and_then(|mut statement| {
        statement.execute(params![
            repository.0,
            &digest.as_bytes()[..],
            kind,
            &value[..]
        ])
    })
    .map(drop)
    .map_err(unavailable)
}

pub fn delete_image_document(
    conn: &Connection,
    repository: RepoId,
    digest: &Sha256Digest,
    kind: &str,
) -> Result<(), StoreError> {
    conn.prepare_cached(
        "DELETE FROM image_documents WHERE repository_id = ?1 AND digest = ?2 AND kind = ?3",
    )
    .and_then(|mut statement| {
        statement.execute(params![repository.0, &digest.as_bytes()[..], kind])
    })
    .map(drop)
    .map_err(unavailable)
}
