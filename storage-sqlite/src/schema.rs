//! The database schema and its history. `PRAGMA user_version` is the number of migrations
//! a database has had; opening applies the missing ones in order, each in its own
//! transaction together with its version bump, so a crash mid-migration leaves the
//! previous version intact. A migration, once released, never changes: a new schema is a
//! new entry at the end of [`MIGRATIONS`].
//!
//! Images and layers will be tables of their own that reference `repositories(id)` with
//! `ON DELETE CASCADE` (foreign keys are enforced on the writer's connection); layer bytes
//! will not live in the database but beside it, under `blobs/sha256/` (see `layout`).

use rusqlite::{Connection, TransactionBehavior};

/// Marks a SQLite file as Berth's (`PRAGMA application_id`): "BRTH".
pub const APPLICATION_ID: i32 = 0x4252_5448;

/// One step of the schema's history.
#[derive(Debug)]
pub struct Migration {
    /// What it adds, for readers of this list.
    pub purpose: &'static str,
    pub sql: &'static str,
}

/// Every migration, oldest first; a database at version N has had the first N.
pub const MIGRATIONS: &[Migration] = &[Migration {
    purpose: "repositories with their settings, tags and policy",
    // Names compare with BINARY collation (byte order), the order DescribeRepositories
    // pages in. Tags and exclusion filters are JSON arrays in their wire shape: they are
    // always read and written whole, with the row. STRICT: SQLite checks every type.
    sql: "
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
}];

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
pub fn migrate(conn: &mut Connection) -> rusqlite::Result<()> {
    let applied = version(conn)? as usize;
    for (index, migration) in MIGRATIONS.iter().enumerate().skip(applied) {
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        tx.execute_batch(migration.sql)?;
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
        assert_eq!(tables(&conn), ["repositories"]);
    }

    #[test]
    fn migrating_an_up_to_date_database_changes_nothing() {
        let mut conn = Connection::open_in_memory().unwrap();
        migrate(&mut conn).unwrap();
        conn.execute_batch(
            "INSERT INTO repositories (account_id, region, name, created_at_ms, tag_mutability,
                 tag_mutability_exclusion_filters, scan_on_push, encryption_type, tags)
             VALUES ('1', 'r', 'kept', 1, 'MUTABLE', '[]', 0, 'AES256', '[]')",
        )
        .unwrap();
        migrate(&mut conn).unwrap();
        let count: i64 = conn
            .query_row("SELECT count(*) FROM repositories", [], |row| row.get(0))
            .unwrap();
        assert_eq!(count, 1);
        assert_eq!(version(&conn).unwrap(), latest_version());
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
