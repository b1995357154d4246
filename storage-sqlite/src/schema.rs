//! The database schema and its history. `PRAGMA user_version` is the number of migrations
//! a database has had; opening applies the missing ones in order, each in its own
//! transaction together with its version bump, so a failure or a crash mid-migration leaves
//! the previous version intact. A migration, once released, never changes: a new schema is
//! a new entry at the end of [`MIGRATIONS`]. Changing how a value is spelled (`encoding`)
//! is a new schema too, with a migration that rewrites the rows
//! (`storage-sqlite/tests/upgrade.rs` checks every released schema still opens exactly).
//!
//! Images, layers and upload sessions are tables of their own that reference
//! `repositories(id)` with `ON DELETE CASCADE` (foreign keys are enforced on the writer's
//! connection); blob bytes do not live in the database but beside it, under
//! `blobs/sha256/` (see `layout`).

mod to_v2;

use std::fmt;

use rusqlite::{Connection, TransactionBehavior};

/// Marks a SQLite file as Berth's (`PRAGMA application_id`): "BRTH".
pub const APPLICATION_ID: i32 = 0x4252_5448;

/// One step of the schema's history.
#[derive(Debug)]
pub struct Migration {
    /// What it changes, for readers of this list.
    pub purpose: &'static str,
    pub step: Step,
}

/// What a migration does.
#[derive(Debug)]
pub enum Step {
    /// Statements that change the schema.
    Sql(&'static str),
    /// Code that rewrites the previous version's rows (inside the migration's transaction).
    Rewrite(fn(&Connection) -> Result<(), MigrationError>),
}

/// Every migration, oldest first; a database at version N has had the first N.
pub const MIGRATIONS: &[Migration] = &[
    Migration {
        purpose: "repositories with their settings, tags and policy",
        // Names compare with BINARY collation (byte order), the order DescribeRepositories
        // pages in. Tags and exclusion filters are JSON: they are always read and written
        // whole, with the row. STRICT: SQLite checks every type. (Version 1 spelled enums,
        // tags and filters in the model's wire shape; version 2 rewrites them.) The text is
        // byte for byte what version 1 ran: SQLite keeps it in the schema table.
        step: Step::Sql(
            "
        CREATE TABLE repositories (
            id INTEGER PRIMARY KEY,
            account_id TEXT NOT NULL,
            region TEXT NOT NULL,
            name TEXT NOT NULL,
            created_at_ms INTEGER NOT NULL,
            tag_mutability TEXT NOT NULL,
            tag_mutability_exclusion_filters TEXT NOT NULL,
            scan_on_push INTEGER NOT NULL,
            encryption_type TEXT NOT NULL,
            kms_key TEXT,
            tags TEXT NOT NULL,
            policy_text TEXT,
            UNIQUE (account_id, region, name)
        ) STRICT;
    ",
        ),
    },
    Migration {
        purpose: "storage's own encoding: enum codes, versioned tags and filters",
        step: Step::Rewrite(to_v2::rewrite),
    },
    Migration {
        purpose: "images with their manifests, references and tags; layers; upload sessions; \
                  repository ids never reused",
        step: Step::Sql(TO_V3),
    },
    Migration {
        purpose: "documents: the other domains' settings and records, per registry, \
                  repository and image",
        step: Step::Sql(TO_V4),
    },
    Migration {
        purpose: "images numbered in push order within their repository",
        step: Step::Sql(TO_V5),
    },
];

/// Version 5. Lifecycle rules rank images pushed in the same millisecond by push order,
/// which a time and a digest cannot tell: each image gets its repository's next number. The
/// images already there are numbered by `rowid`, the order they were inserted in (Berth
/// never runs `VACUUM`, which may renumber rows).
const TO_V5: &str = "
    ALTER TABLE images ADD COLUMN push_sequence INTEGER NOT NULL DEFAULT 0;
    UPDATE images SET push_sequence = rowid;
    CREATE INDEX images_by_push_sequence ON images (repository_id, push_sequence);
";

/// Version 4. A document is an opaque value ecr-impl keeps (a lifecycle policy, a
/// replication configuration, an image's scan), so a new setting needs no new table.
/// Repository and image documents cascade from their owner. Keys compare in byte order.
const TO_V4: &str = "
    CREATE TABLE registry_documents (
        account_id TEXT NOT NULL,
        region TEXT NOT NULL,
        kind TEXT NOT NULL,
        key TEXT NOT NULL,
        value BLOB NOT NULL,
        PRIMARY KEY (account_id, region, kind, key)
    ) STRICT, WITHOUT ROWID;

    CREATE TABLE repository_documents (
        repository_id INTEGER NOT NULL REFERENCES repositories (id) ON DELETE CASCADE,
        kind TEXT NOT NULL,
        value BLOB NOT NULL,
        PRIMARY KEY (repository_id, kind)
    ) STRICT, WITHOUT ROWID;
    CREATE INDEX repository_documents_by_kind ON repository_documents (kind, repository_id);

    CREATE TABLE image_documents (
        repository_id INTEGER NOT NULL,
        digest BLOB NOT NULL,
        kind TEXT NOT NULL,
        value BLOB NOT NULL,
        PRIMARY KEY (repository_id, digest, kind),
        FOREIGN KEY (repository_id, digest) REFERENCES images (repository_id, digest)
            ON DELETE CASCADE
    ) STRICT, WITHOUT ROWID;
";

/// Version 3. `repositories` is rebuilt with AUTOINCREMENT (SQLite cannot add it in place),
/// keeping every row and its id: a repository's id is then never given to another one, so
/// a re-created repository starts empty even for a caller holding the old id. Nothing
/// references `repositories` before this migration, so the rebuild breaks no foreign key.
///
/// Every table of a repository's contents cascades from `repositories(id)`, and an image's
/// tags and references from the image, so one DELETE removes everything below it. Digests
/// are their 32 raw bytes (byte order is digest order); codes are `encoding`'s. An image's
/// manifest is its last column: SQLite reads a row's columns in order and stops at the last
/// one a query needs, so a page of images never reads the (possibly overflowing) manifest.
const TO_V3: &str = "
    CREATE TABLE repositories_v3 (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        account_id TEXT NOT NULL,
        region TEXT NOT NULL,
        name TEXT NOT NULL,
        created_at_ms INTEGER NOT NULL,
        tag_mutability TEXT NOT NULL,
        tag_mutability_exclusion_filters TEXT NOT NULL,
        scan_on_push INTEGER NOT NULL,
        encryption_type TEXT NOT NULL,
        kms_key TEXT,
        tags TEXT NOT NULL,
        policy_text TEXT,
        UNIQUE (account_id, region, name)
    ) STRICT;
    INSERT INTO repositories_v3 (id, account_id, region, name, created_at_ms, tag_mutability,
        tag_mutability_exclusion_filters, scan_on_push, encryption_type, kms_key, tags,
        policy_text)
    SELECT id, account_id, region, name, created_at_ms, tag_mutability,
        tag_mutability_exclusion_filters, scan_on_push, encryption_type, kms_key, tags,
        policy_text
    FROM repositories ORDER BY id;
    DROP TABLE repositories;
    ALTER TABLE repositories_v3 RENAME TO repositories;

    CREATE TABLE images (
        repository_id INTEGER NOT NULL REFERENCES repositories (id) ON DELETE CASCADE,
        digest BLOB NOT NULL CHECK (length(digest) = 32),
        media_type TEXT NOT NULL,
        artifact_media_type TEXT,
        size_in_bytes INTEGER NOT NULL CHECK (size_in_bytes >= 0),
        pushed_at_ms INTEGER NOT NULL,
        last_pulled_at_ms INTEGER,
        status TEXT NOT NULL,
        last_archived_at_ms INTEGER,
        last_activated_at_ms INTEGER,
        subject BLOB CHECK (length(subject) = 32),
        manifest BLOB NOT NULL,
        PRIMARY KEY (repository_id, digest)
    ) STRICT;
    CREATE INDEX images_by_push ON images (repository_id, pushed_at_ms, digest);
    CREATE INDEX images_by_subject ON images (repository_id, subject, digest)
        WHERE subject IS NOT NULL;

    CREATE TABLE image_references (
        repository_id INTEGER NOT NULL,
        image_digest BLOB NOT NULL,
        kind TEXT NOT NULL,
        target BLOB NOT NULL CHECK (length(target) = 32),
        PRIMARY KEY (repository_id, image_digest, kind, target),
        FOREIGN KEY (repository_id, image_digest) REFERENCES images (repository_id, digest)
            ON DELETE CASCADE
    ) STRICT, WITHOUT ROWID;
    CREATE INDEX image_references_by_target
        ON image_references (repository_id, kind, target, image_digest);

    CREATE TABLE image_tags (
        repository_id INTEGER NOT NULL,
        tag TEXT NOT NULL,
        digest BLOB NOT NULL,
        seq INTEGER NOT NULL,
        PRIMARY KEY (repository_id, tag),
        FOREIGN KEY (repository_id, digest) REFERENCES images (repository_id, digest)
            ON DELETE CASCADE
    ) STRICT, WITHOUT ROWID;
    CREATE INDEX image_tags_by_image ON image_tags (repository_id, digest, seq);

    CREATE TABLE layers (
        repository_id INTEGER NOT NULL REFERENCES repositories (id) ON DELETE CASCADE,
        digest BLOB NOT NULL CHECK (length(digest) = 32),
        size INTEGER NOT NULL CHECK (size >= 0),
        media_type TEXT,
        linked_at_ms INTEGER NOT NULL,
        PRIMARY KEY (repository_id, digest)
    ) STRICT, WITHOUT ROWID;
    CREATE INDEX layers_by_digest ON layers (digest);

    CREATE TABLE uploads (
        id TEXT NOT NULL PRIMARY KEY,
        repository_id INTEGER NOT NULL REFERENCES repositories (id) ON DELETE CASCADE,
        received INTEGER NOT NULL CHECK (received >= 0),
        parts INTEGER NOT NULL CHECK (parts >= 0),
        last_part_size INTEGER NOT NULL CHECK (last_part_size >= 0),
        short_part INTEGER NOT NULL,
        started_at_ms INTEGER NOT NULL
    ) STRICT;
    CREATE INDEX uploads_by_start ON uploads (started_at_ms, id);
    CREATE INDEX uploads_by_repository ON uploads (repository_id);
";

/// Why a migration failed; its transaction was rolled back, so nothing of it is kept.
#[derive(Debug)]
pub enum MigrationError {
    Sqlite(rusqlite::Error),
    /// A row the migration cannot read in the previous version's format (what and why).
    DamagedRow(String),
}

impl fmt::Display for MigrationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MigrationError::Sqlite(error) => error.fmt(f),
            MigrationError::DamagedRow(detail) => f.write_str(detail),
        }
    }
}

impl std::error::Error for MigrationError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            MigrationError::Sqlite(error) => Some(error),
            MigrationError::DamagedRow(_) => None,
        }
    }
}

impl From<rusqlite::Error> for MigrationError {
    fn from(error: rusqlite::Error) -> MigrationError {
        MigrationError::Sqlite(error)
    }
}

/// The schema version this Berth writes and reads.
pub fn latest_version() -> u32 {
    // A list of migrations never gets near u32::MAX entries.
    MIGRATIONS.len() as u32
}

/// The database's schema version.
pub fn version(conn: &Connection) -> rusqlite::Result<u32> {
    conn.pragma_query_value(None, "user_version", |row| row.get(0))
}

/// Applies the migrations `conn`'s database has not had yet.
pub fn migrate(conn: &mut Connection) -> Result<(), MigrationError> {
    let applied = version(conn)? as usize;
    for (index, migration) in MIGRATIONS.iter().enumerate().skip(applied) {
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        match migration.step {
            Step::Sql(sql) => tx.execute_batch(sql)?,
            Step::Rewrite(rewrite) => rewrite(&tx).map_err(|error| match error {
                MigrationError::DamagedRow(detail) => MigrationError::DamagedRow(format!(
                    "upgrading it to schema version {}: {detail}",
                    index + 1
                )),
                other => other,
            })?,
        }
        tx.pragma_update(None, "application_id", APPLICATION_ID)?;
        tx.pragma_update(None, "user_version", (index + 1) as i64)?;
        tx.commit()?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tables(conn: &Connection) -> Vec<String> {
        let mut statement = conn
            .prepare("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name")
            .unwrap();
        statement
            .query_map([], |row| row.get(0))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap()
    }

    #[test]
    fn a_new_database_gets_every_migration_and_berths_mark() {
        let mut conn = Connection::open_in_memory().unwrap();
        migrate(&mut conn).unwrap();
        assert_eq!(version(&conn).unwrap(), latest_version());
        assert_eq!(latest_version() as usize, MIGRATIONS.len());
        let id: i32 = conn
            .pragma_query_value(None, "application_id", |row| row.get(0))
            .unwrap();
        assert_eq!(id, APPLICATION_ID);
        assert_eq!(
            tables(&conn),
            [
                "image_documents",
                "image_references",
                "image_tags",
                "images",
                "layers",
                "registry_documents",
                "repositories",
                "repository_documents",
                "sqlite_sequence",
                "uploads"
            ]
        );
    }

    #[test]
    fn migrating_an_up_to_date_database_changes_nothing() {
        let mut conn = Connection::open_in_memory().unwrap();
        migrate(&mut conn).unwrap();
        conn.execute_batch(
            r#"INSERT INTO repositories (account_id, region, name, created_at_ms, tag_mutability,
                 tag_mutability_exclusion_filters, scan_on_push, encryption_type, tags)
             VALUES ('1', 'r', 'kept', 1, 'mutable', '{"v":2,"filters":[]}', 0, 'aes256',
                 '{"v":2,"tags":[]}')"#,
        )
        .unwrap();
        migrate(&mut conn).unwrap();
        let count: i64 = conn
            .query_row("SELECT count(*) FROM repositories", [], |row| row.get(0))
            .unwrap();
        assert_eq!(count, 1);
        assert_eq!(version(&conn).unwrap(), latest_version());
    }

    /// Adds a repository named `name` with the columns every version has; answers its id.
    fn add(conn: &Connection, name: &str) -> i64 {
        conn.query_row(
            r#"INSERT INTO repositories (account_id, region, name, created_at_ms, tag_mutability,
                 tag_mutability_exclusion_filters, scan_on_push, encryption_type, tags)
             VALUES ('1', 'r', ?1, 1, 'mutable', '{"v":2,"filters":[]}', 0, 'aes256',
                 '{"v":2,"tags":[]}') RETURNING id"#,
            [name],
            |row| row.get(0),
        )
        .unwrap()
    }

    #[test]
    fn version_3_keeps_repository_ids_and_never_gives_one_out_again() {
        let mut conn = Connection::open_in_memory().unwrap();
        let Step::Sql(v1) = MIGRATIONS[0].step else {
            unreachable!("migration 1 is SQL")
        };
        conn.execute_batch(v1).unwrap();
        conn.pragma_update(None, "user_version", 2).unwrap();
        let (first, last) = (add(&conn, "first"), add(&conn, "last"));
        // Before version 3, the highest id was given out again once its row was gone.
        conn.execute("DELETE FROM repositories WHERE id = ?1", [last])
            .unwrap();
        assert_eq!(add(&conn, "again"), last);
        migrate(&mut conn).unwrap();
        let names: Vec<(i64, String)> = conn
            .prepare("SELECT id, name FROM repositories ORDER BY id")
            .unwrap()
            .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap();
        assert_eq!(names, [(first, "first".into()), (last, "again".into())]);
        conn.execute("DELETE FROM repositories WHERE id = ?1", [last])
            .unwrap();
        assert_eq!(add(&conn, "new"), last + 1);
    }

    #[test]
    fn version_5_numbers_the_images_already_there_in_the_order_they_were_pushed() {
        let mut conn = Connection::open_in_memory().unwrap();
        let Step::Sql(v1) = MIGRATIONS[0].step else {
            unreachable!("migration 1 is SQL")
        };
        conn.execute_batch(v1).unwrap();
        conn.execute_batch(TO_V3).unwrap();
        conn.execute_batch(TO_V4).unwrap();
        conn.pragma_update(None, "user_version", 4).unwrap();
        let (app, other) = (add(&conn, "app"), add(&conn, "other"));
        // One millisecond, digests falling: neither time nor digest tells the push order.
        let push = |repository: i64, first_byte: u8| {
            conn.execute(
                "INSERT INTO images (repository_id, digest, media_type, size_in_bytes,
                     pushed_at_ms, status, manifest) VALUES (?1, ?2, 'm', 0, 7, 'active', x'')",
                rusqlite::params![repository, [first_byte; 32].as_slice()],
            )
            .unwrap();
        };
        for (repository, first_byte) in [(app, 9), (other, 8), (app, 5), (app, 2)] {
            push(repository, first_byte);
        }
        migrate(&mut conn).unwrap();
        let numbered = |conn: &Connection, repository: i64| -> Vec<(u8, i64)> {
            conn.prepare(
                "SELECT digest, push_sequence FROM images WHERE repository_id = ?1
                 ORDER BY push_sequence",
            )
            .unwrap()
            .query_map([repository], |row| {
                Ok((row.get::<_, Vec<u8>>(0)?[0], row.get(1)?))
            })
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap()
        };
        let apps = numbered(&conn, app);
        assert_eq!(apps.iter().map(|n| n.0).collect::<Vec<_>>(), [9, 5, 2]);
        // The next push comes after all of them.
        let next: i64 = conn
            .query_row(
                &format!("SELECT {}", crate::images::NEXT_PUSH_SEQUENCE),
                [app],
                |row| row.get(0),
            )
            .unwrap();
        assert!(next > apps[2].1, "{next} after {apps:?}");
    }

    #[test]
    fn a_failing_migration_leaves_the_previous_version() {
        let mut conn = Connection::open_in_memory().unwrap();
        // A table in the way makes migration 1 fail part-way.
        conn.execute_batch("CREATE TABLE repositories (x)").unwrap();
        assert!(migrate(&mut conn).is_err());
        assert_eq!(version(&conn).unwrap(), 0);
        let id: i32 = conn
            .pragma_query_value(None, "application_id", |row| row.get(0))
            .unwrap();
        assert_eq!(id, 0);
    }
}
