//! Images, what their manifests reference, and their tags, in the `images`,
//! `image_references` and `image_tags` tables (schema version 3). Every query is a range of
//! one index, so a page costs O(limit); none but [`manifest`] reads the manifest column.

use berth_runtime::Timestamp;
use bytes::Bytes;
use ecr_generated::types::ImageTag;
use ecr_impl::store::StoreError;
use ecr_impl::store::blobs::Sha256Digest;
use ecr_impl::store::meta::{ImagePosition, ImageRow, ImageStatus, Reference, RepoId};
use rusqlite::{Connection, OptionalExtension, Row, params};

use crate::encoding::{self, LAYER_REFERENCE, MANIFEST_REFERENCE, StoredEnum};
use crate::error::{damaged_row, unavailable};
use crate::sql;

/// The columns of an image, in the order of [`StoredImage`]'s fields: all but the manifest.
const IMAGE_COLUMNS: &str = "digest, media_type, artifact_media_type, size_in_bytes, \
     pushed_at_ms, last_pulled_at_ms, status, last_archived_at_ms, last_activated_at_ms, subject, \
     push_sequence";

/// One image as the `images` table holds it.
struct StoredImage {
    digest: Vec<u8>,
    media_type: String,
    artifact_media_type: Option<String>,
    size_in_bytes: i64,
    pushed_at_ms: i64,
    last_pulled_at_ms: Option<i64>,
    status: String,
    last_archived_at_ms: Option<i64>,
    last_activated_at_ms: Option<i64>,
    subject: Option<Vec<u8>>,
    push_sequence: i64,
}

impl StoredImage {
    fn from_row(row: &Row<'_>) -> rusqlite::Result<StoredImage> {
        Ok(StoredImage {
            digest: row.get(0)?,
            media_type: row.get(1)?,
            artifact_media_type: row.get(2)?,
            size_in_bytes: row.get(3)?,
            pushed_at_ms: row.get(4)?,
            last_pulled_at_ms: row.get(5)?,
            status: row.get(6)?,
            last_archived_at_ms: row.get(7)?,
            last_activated_at_ms: row.get(8)?,
            subject: row.get(9)?,
            push_sequence: row.get(10)?,
        })
    }

    /// The image this row stores; a value this Berth cannot read is a damaged row.
    fn into_row(self, repository: RepoId) -> Result<ImageRow, StoreError> {
        let what = format!("image of repository {}", repository.0);
        let damaged = |part: &str, detail: String| damaged_row(&what, format!("{part}: {detail}"));
        let digest = encoding::decode_digest(&self.digest).map_err(|e| damaged("digest", e))?;
        let subject = (self.subject.as_deref())
            .map(encoding::decode_digest)
            .transpose()
            .map_err(|e| damaged("subject", e))?;
        let time = |millis: Option<i64>| millis.map(Timestamp::from_epoch_millis);
        Ok(ImageRow {
            digest,
            media_type: self.media_type.into(),
            artifact_media_type: self.artifact_media_type.map(Into::into),
            size_in_bytes: sql::to_unsigned(self.size_in_bytes, &what)?,
            pushed_at: Timestamp::from_epoch_millis(self.pushed_at_ms),
            last_pulled_at: time(self.last_pulled_at_ms),
            status: ImageStatus::from_code(&self.status).map_err(|e| damaged("status", e))?,
            last_archived_at: time(self.last_archived_at_ms),
            last_activated_at: time(self.last_activated_at_ms),
            subject,
            push_sequence: sql::to_unsigned(self.push_sequence, &what)?,
        })
    }
}

/// The push number the next image of repository `?1` gets: one past its highest (the end
/// of an index range).
pub(crate) const NEXT_PUSH_SEQUENCE: &str =
    "coalesce((SELECT max(push_sequence) FROM images WHERE repository_id = ?1), 0) + 1";

fn millis(time: Option<Timestamp>) -> Option<i64> {
    time.map(|time| time.epoch_millis())
}

/// The images a query selecting [`IMAGE_COLUMNS`] finds.
fn images(
    conn: &Connection,
    sql: &str,
    repository: RepoId,
    params: impl rusqlite::Params,
) -> Result<Vec<ImageRow>, StoreError> {
    let mut statement = conn.prepare_cached(sql).map_err(unavailable)?;
    let rows = statement
        .query_map(params, StoredImage::from_row)
        .map_err(unavailable)?;
    rows.map(|row| row.map_err(unavailable)?.into_row(repository))
        .collect()
}

/// The digests a query selecting one digest column finds.
fn digests(
    conn: &Connection,
    sql: &str,
    params: impl rusqlite::Params,
) -> Result<Vec<Sha256Digest>, StoreError> {
    let mut statement = conn.prepare_cached(sql).map_err(unavailable)?;
    let rows = statement
        .query_map(params, |row| row.get::<_, Vec<u8>>(0))
        .map_err(unavailable)?;
    rows.map(|row| {
        encoding::decode_digest(&row.map_err(unavailable)?)
            .map_err(|e| damaged_row("image reference", e))
    })
    .collect()
}

pub fn find(
    conn: &Connection,
    repository: RepoId,
    digest: &Sha256Digest,
) -> Result<Option<ImageRow>, StoreError> {
    let sql =
        format!("SELECT {IMAGE_COLUMNS} FROM images WHERE repository_id = ?1 AND digest = ?2");
    let found = images(
        conn,
        &sql,
        repository,
        params![repository.0, &digest.as_bytes()[..]],
    )?;
    Ok(found.into_iter().next())
}

pub fn manifest(
    conn: &Connection,
    repository: RepoId,
    digest: &Sha256Digest,
) -> Result<Option<Bytes>, StoreError> {
    conn.prepare_cached("SELECT manifest FROM images WHERE repository_id = ?1 AND digest = ?2")
        .and_then(|mut statement| {
            statement
                .query_row(params![repository.0, &digest.as_bytes()[..]], |row| {
                    row.get::<_, Vec<u8>>(0)
                })
                .optional()
        })
        .map(|manifest| manifest.map(Bytes::from))
        .map_err(unavailable)
}

/// The query of a page of images (`?1` repository, `?2` limit), or of a page after a
/// position (`?3` its push time, `?4` its digest).
fn page_sql(after: bool) -> String {
    // A row value comparison: SQLite starts the range at the position in the index.
    let range = match after {
        true => "AND (pushed_at_ms, digest) > (?3, ?4)",
        false => "",
    };
    format!(
        "SELECT {IMAGE_COLUMNS} FROM images
         WHERE repository_id = ?1 {range} ORDER BY pushed_at_ms, digest LIMIT ?2"
    )
}

pub fn page(
    conn: &Connection,
    repository: RepoId,
    after: Option<&ImagePosition>,
    limit: usize,
) -> Result<Vec<ImageRow>, StoreError> {
    let limit = sql::limit(limit);
    let sql = page_sql(after.is_some());
    match after {
        None => images(conn, &sql, repository, params![repository.0, limit]),
        Some(after) => images(
            conn,
            &sql,
            repository,
            params![
                repository.0,
                limit,
                after.pushed_at.epoch_millis(),
                &after.digest.as_bytes()[..]
            ],
        ),
    }
}

pub fn count(conn: &Connection, repository: RepoId) -> Result<u64, StoreError> {
    let count: i64 = conn
        .prepare_cached("SELECT count(*) FROM images WHERE repository_id = ?1")
        .and_then(|mut statement| statement.query_row([repository.0], |row| row.get(0)))
        .map_err(unavailable)?;
    sql::to_unsigned(count, "image count")
}

/// The query of the images whose subject is `?2` (`?1` repository, `?3` limit), after the
/// digest `?4` when given.
fn referrers_sql(after: bool) -> String {
    let range = match after {
        true => "AND digest > ?4",
        false => "",
    };
    format!(
        "SELECT {IMAGE_COLUMNS} FROM images
         WHERE repository_id = ?1 AND subject = ?2 {range} ORDER BY digest LIMIT ?3"
    )
}

pub fn referrers(
    conn: &Connection,
    repository: RepoId,
    subject: &Sha256Digest,
    after: Option<&Sha256Digest>,
    limit: usize,
) -> Result<Vec<ImageRow>, StoreError> {
    let (limit, subject) = (sql::limit(limit), &subject.as_bytes()[..]);
    let sql = referrers_sql(after.is_some());
    match after {
        None => images(
            conn,
            &sql,
            repository,
            params![repository.0, subject, limit],
        ),
        Some(after) => images(
            conn,
            &sql,
            repository,
            params![repository.0, subject, limit, &after.as_bytes()[..]],
        ),
    }
}

/// What finds the images that reference `?3` with the kind `?2` in repository `?1`.
const REFERRING_SQL: &str = "SELECT image_digest FROM image_references
     WHERE repository_id = ?1 AND kind = ?2 AND target = ?3 ORDER BY image_digest";

pub fn parents(
    conn: &Connection,
    repository: RepoId,
    child: &Sha256Digest,
) -> Result<Vec<Sha256Digest>, StoreError> {
    digests(
        conn,
        REFERRING_SQL,
        params![repository.0, MANIFEST_REFERENCE, &child.as_bytes()[..]],
    )
}

pub fn layer_referenced(
    conn: &Connection,
    repository: RepoId,
    layer: &Sha256Digest,
) -> Result<bool, StoreError> {
    conn.prepare_cached(
        "SELECT EXISTS (SELECT 1 FROM image_references
             WHERE repository_id = ?1 AND kind = ?2 AND target = ?3)",
    )
    .and_then(|mut statement| {
        statement.query_row(
            params![repository.0, LAYER_REFERENCE, &layer.as_bytes()[..]],
            |row| row.get(0),
        )
    })
    .map_err(unavailable)
}

pub fn insert(
    conn: &Connection,
    repository: RepoId,
    row: &ImageRow,
    manifest: &Bytes,
    references: &[Reference],
) -> Result<(), StoreError> {
    let mut statement = conn
        .prepare_cached(&format!(
            "INSERT INTO images (repository_id, {IMAGE_COLUMNS}, manifest)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, {NEXT_PUSH_SEQUENCE}, ?12)"
        ))
        .map_err(unavailable)?;
    statement
        .execute(params![
            repository.0,
            &row.digest.as_bytes()[..],
            row.media_type,
            row.artifact_media_type,
            sql::to_integer(row.size_in_bytes, "image size")?,
            row.pushed_at.epoch_millis(),
            millis(row.last_pulled_at),
            row.status.code(),
            millis(row.last_archived_at),
            millis(row.last_activated_at),
            row.subject.as_ref().map(|subject| &subject.as_bytes()[..]),
            &manifest[..],
        ])
        .map_err(unavailable)?;
    // A manifest may list one blob twice (an empty layer, a layer that is also the config):
    // it is one reference.
    let mut reference = conn
        .prepare_cached(
            "INSERT INTO image_references (repository_id, image_digest, kind, target)
             VALUES (?1, ?2, ?3, ?4) ON CONFLICT DO NOTHING",
        )
        .map_err(unavailable)?;
    for target in references {
        let (kind, target) = encoding::encode_reference(target);
        reference
            .execute(params![
                repository.0,
                &row.digest.as_bytes()[..],
                kind,
                &target.as_bytes()[..]
            ])
            .map_err(unavailable)?;
    }
    Ok(())
}

/// Writes the mutable fields of `row` (pull time, status and its times).
pub fn update(conn: &Connection, repository: RepoId, row: &ImageRow) -> Result<(), StoreError> {
    let updated = conn
        .prepare_cached(
            "UPDATE images SET last_pulled_at_ms = ?3, status = ?4, last_archived_at_ms = ?5,
                 last_activated_at_ms = ?6
             WHERE repository_id = ?1 AND digest = ?2",
        )
        .and_then(|mut statement| {
            statement.execute(params![
                repository.0,
                &row.digest.as_bytes()[..],
                millis(row.last_pulled_at),
                row.status.code(),
                millis(row.last_archived_at),
                millis(row.last_activated_at),
            ])
        })
        .map_err(unavailable)?;
    sql::expect_one_row(updated, || {
        format!("image {} of repository {}", row.digest, repository.0)
    })
}

/// Removes image `digest` and, through the schema's cascades, its tags and references.
pub fn delete(
    conn: &Connection,
    repository: RepoId,
    digest: &Sha256Digest,
) -> Result<(), StoreError> {
    conn.prepare_cached("DELETE FROM images WHERE repository_id = ?1 AND digest = ?2")
        .and_then(|mut statement| statement.execute(params![repository.0, &digest.as_bytes()[..]]))
        .map(drop)
        .map_err(unavailable)
}

pub fn tag(
    conn: &Connection,
    repository: RepoId,
    tag: &ImageTag,
) -> Result<Option<Sha256Digest>, StoreError> {
    let found = digests(
        conn,
        "SELECT digest FROM image_tags WHERE repository_id = ?1 AND tag = ?2",
        params![repository.0, tag.as_str()],
    )?;
    Ok(found.into_iter().next())
}

/// Up to `limit` tags of `repository` in byte order after `after` (the primary key's order:
/// an index range, no sort).
pub fn tags_after(
    conn: &Connection,
    repository: RepoId,
    after: Option<&str>,
    limit: usize,
) -> Result<Vec<ImageTag>, StoreError> {
    // Every tag has at least one character, so each sorts after the empty text.
    let after = after.unwrap_or("");
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    tags(
        conn,
        "SELECT tag FROM image_tags WHERE repository_id = ?1 AND tag > ?2 ORDER BY tag LIMIT ?3",
        params![repository.0, after, limit],
    )
}

pub fn tags_of(
    conn: &Connection,
    repository: RepoId,
    digest: &Sha256Digest,
) -> Result<Vec<ImageTag>, StoreError> {
    tags(
        conn,
        "SELECT tag FROM image_tags WHERE repository_id = ?1 AND digest = ?2 ORDER BY seq",
        params![repository.0, &digest.as_bytes()[..]],
    )
}

/// The tags a `SELECT tag …` answers, each checked to still be a valid tag.
fn tags(
    conn: &Connection,
    sql: &str,
    params: impl rusqlite::Params,
) -> Result<Vec<ImageTag>, StoreError> {
    let mut statement = conn.prepare_cached(sql).map_err(unavailable)?;
    let rows = statement
        .query_map(params, |row| row.get::<_, String>(0))
        .map_err(unavailable)?;
    rows.map(|tag| {
        let tag = tag.map_err(unavailable)?;
        ImageTag::try_from(tag.as_str()).map_err(|e| damaged_row(&format!("tag {tag:?}"), e))
    })
    .collect()
}

/// Points `tag` at `digest`, after every tag `digest` already has.
pub fn set_tag(
    conn: &Connection,
    repository: RepoId,
    tag: &ImageTag,
    digest: &Sha256Digest,
) -> Result<(), StoreError> {
    // The next number of the image's own tags (an index range): the tag's position among
    // them. The subquery runs before the row changes, so re-setting the last tag moves it
    // past itself, which keeps it last.
    conn.prepare_cached(
        "INSERT INTO image_tags (repository_id, tag, digest, seq)
         VALUES (?1, ?2, ?3, coalesce((SELECT max(seq) FROM image_tags
             WHERE repository_id = ?1 AND digest = ?3), 0) + 1)
         ON CONFLICT (repository_id, tag) DO UPDATE SET digest = excluded.digest,
             seq = excluded.seq",
    )
    .and_then(|mut statement| {
        statement.execute(params![repository.0, tag.as_str(), &digest.as_bytes()[..]])
    })
    .map(drop)
    .map_err(unavailable)
}

pub fn remove_tag(conn: &Connection, repository: RepoId, tag: &ImageTag) -> Result<(), StoreError> {
    conn.prepare_cached("DELETE FROM image_tags WHERE repository_id = ?1 AND tag = ?2")
        .and_then(|mut statement| statement.execute(params![repository.0, tag.as_str()]))
        .map(drop)
        .map_err(unavailable)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sql::tests::plan;

    #[test]
    fn pages_and_lookups_are_index_ranges_that_skip_the_manifest() {
        for (sql, index) in [
            (page_sql(false), "images_by_push (repository_id=?)"),
            (
                page_sql(true),
                "images_by_push (repository_id=? AND (pushed_at_ms,digest)>(?,?))",
            ),
            (
                referrers_sql(false),
                "images_by_subject (repository_id=? AND subject=?)",
            ),
            (
                referrers_sql(true),
                "images_by_subject (repository_id=? AND subject=? AND digest>?)",
            ),
            (
                format!("SELECT {NEXT_PUSH_SEQUENCE}"),
                "images_by_push_sequence (repository_id=?)",
            ),
            (
                REFERRING_SQL.to_owned(),
                "image_references_by_target (repository_id=? AND kind=? AND target=?)",
            ),
        ] {
            let plan = plan(&sql);
            assert!(plan.contains(index), "{sql}: {plan}");
            assert!(!plan.contains("TEMP B-TREE"), "{sql}: {plan}");
            assert!(!sql.contains("manifest"), "{sql}");
        }
    }
}
