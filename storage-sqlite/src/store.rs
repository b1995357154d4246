//! [`SqliteStore`]: the durable [`MetaStore`]. Opening checks and locks the directory; read
//! jobs go to [`Readers`] (one snapshot each), write jobs to the group-committing
//! [`Writer`] (one savepoint each); both see the database through [`SqliteTx`].

use std::fs;
use std::path::Path;
use std::time::Duration;

use ecr_impl::store::meta::{JobOutcome, MetaStore, ReadJob, WriteJob};
use ecr_impl::store::{StoreError, StoreFuture};
use rusqlite::{Connection, OpenFlags};

use crate::error::OpenError;
use crate::inspect;
use crate::layout::DataDir;
use crate::lock::DirLock;
use crate::readers::{self, Readers};
use crate::repositories;
use crate::schema::{self, MigrationError};
use crate::sql;
use crate::tx::SqliteTx;
use crate::writer::Writer;

/// Berth's state in a data directory. Every change is answered only once it is on disk.
#[derive(Debug)]
pub struct SqliteStore {
    dir: DataDir,
    readers: Readers,
    /// Dropping it finishes the pending changes and closes the database.
    writer: Writer,
    /// Declared last so it is released last, after the database is closed.
    _lock: DirLock,
}

impl SqliteStore {
    /// Opens (creating if needed) the data directory `dir`: takes its lock, checks any
    /// existing database without writing to it, then brings its schema up to date. A
    /// refusal leaves the directory as it was.
    pub fn open(dir: impl AsRef<Path>) -> Result<SqliteStore, OpenError> {
        let dir = DataDir::new(dir.as_ref());
        fs::create_dir_all(dir.root()).map_err(|source| OpenError::Io {
            action: "create the data directory",
            path: dir.root().to_owned(),
            source,
        })?;
        let lock = DirLock::acquire(&dir.lock())?;
        match open_locked(&dir) {
            Ok((readers, writer)) => Ok(SqliteStore {
                dir,
                readers,
                writer,
                _lock: lock,
            }),
            Err(error) => {
                lock.abandon();
                Err(error)
            }
        }
    }

    /// The data directory.
    pub fn dir(&self) -> &Path {
        self.dir.root()
    }
}

/// The part of opening done under the lock.
fn open_locked(dir: &DataDir) -> Result<(Readers, Writer), OpenError> {
    let database = dir.database();
    inspect::inspect(&database)?;
    let sqlite = |source| OpenError::Sqlite {
        database: database.clone(),
        source,
    };
    let mut conn = Connection::open_with_flags(
        &database,
        OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(sqlite)?;
    configure_writer(&conn).map_err(sqlite)?;
    let mode: String = conn
        .pragma_query_value(None, "journal_mode", |row| row.get(0))
        .map_err(sqlite)?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(OpenError::NoWal { database, mode });
    }
    schema::migrate(&mut conn).map_err(|error| match error {
        // The migration's transaction was rolled back: the file is as it was.
        MigrationError::DamagedRow(detail) => OpenError::Damaged {
            database: database.clone(),
            detail,
        },
        MigrationError::Sqlite(source) => sqlite(source),
    })?;
    fs::create_dir_all(dir.blobs()).map_err(|source| OpenError::Io {
        action: "create the blob directory",
        path: dir.blobs(),
        source,
    })?;
    let writer = Writer::start(conn).map_err(|source| OpenError::Io {
        action: "start the database writer for",
        path: database.clone(),
        source,
    })?;
    Ok((Readers::new(database), writer))
}

/// How long the writer waits for a lock SQLite holds briefly (e.g. a reader's WAL recovery).
const WRITER_BUSY_TIMEOUT: Duration = readers::BUSY_TIMEOUT;

/// The most disk the write-ahead log keeps between bursts.
const MAX_IDLE_LOG_BYTES: i64 = 64 * 1024 * 1024;

fn configure_writer(conn: &Connection) -> rusqlite::Result<()> {
    conn.busy_timeout(WRITER_BUSY_TIMEOUT)?;
    conn.set_prepared_statement_cache_capacity(sql::CACHED_STATEMENTS);
    // WAL: readers never block the writer nor wait for it, and a commit is one append to
    // the log (plus its fsync) rather than a rewrite of pages in place.
    // (SQLite answers with the mode it could set; `open_locked` checks it.)
    conn.pragma_update_and_check(None, "journal_mode", "WAL", |_| Ok(()))?;
    // FULL: the log is fsynced at every commit, so an answered change survives power loss
    // and OS crashes, not only kill -9. (NORMAL would sync only at checkpoints: the last
    // answered changes could vanish with the power.) An fsync costs tens of microseconds
    // to several milliseconds on a busy disk; group commit (writer.rs) shares each among
    // every change waiting, which keeps FULL fast under load.
    conn.pragma_update(None, "synchronous", "FULL")?;
    // A burst of changes grows the log; past this size it is cut back once checkpointed,
    // so the directory does not keep the burst's size forever.
    conn.pragma_update(None, "journal_size_limit", MAX_IDLE_LOG_BYTES)?;
    // The schema's cascades (a repository's contents go with it, an image's tags and
    // references with the image) and its refusal of a row naming a parent that is not there.
    conn.pragma_update(None, "foreign_keys", true)?;
    Ok(())
}

/// A future that is already complete: reads do not wait (see `readers`).
fn ready<'a, T: Send + 'a>(result: Result<T, StoreError>) -> StoreFuture<'a, T> {
    Box::pin(std::future::ready(result))
}

impl MetaStore for SqliteStore {
    fn read(&self, mut job: ReadJob) -> StoreFuture<'_, JobOutcome> {
        ready(self.readers.read(|conn| SqliteTx::run(conn, |tx| job(tx))))
    }

    fn write(&self, mut job: WriteJob) -> StoreFuture<'_, JobOutcome> {
        // The writer keeps the job's writes exactly when it answers `Ok(Ok(..))`.
        Box::pin(
            self.writer
                .submit(move |conn| SqliteTx::run(conn, |tx| job(tx))),
        )
    }

    fn reset(&self) -> StoreFuture<'_, ()> {
        let reset = self
            .writer
            .submit(|conn| repositories::delete_all(conn).map(Ok::<(), StoreError>));
        Box::pin(async move { reset.await? })
    }
}
