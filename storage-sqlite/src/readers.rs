//! Reads: read-only connections, kept for reuse, each read one snapshot. In WAL mode they
//! neither wait for the writer nor hold it up, and they see every committed change (so a
//! client reads what it was told is written).
//!
//! A read runs on the calling thread: it is a few indexed lookups in SQLite's page cache
//! (microseconds; at most a page of up to 1000 rows), cheaper than a hop to another thread.

use std::path::PathBuf;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use ecr_impl::store::StoreError;
use rusqlite::{Connection, OpenFlags};

use crate::error::unavailable;
use crate::sql;

/// Idle connections kept for reuse; more are opened when more reads run at once.
const MAX_IDLE: usize = 16;
/// How long a read waits for a lock SQLite holds briefly (e.g. during WAL recovery).
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

#[derive(Debug)]
pub struct Readers {
    database: PathBuf,
    idle: Mutex<Vec<Connection>>,
}

impl Readers {
    pub fn new(database: PathBuf) -> Readers {
        Readers {
            database,
            idle: Mutex::new(Vec::new()),
        }
    }

    /// Runs `read` on one consistent snapshot of the database.
    pub fn read<T>(
        &self,
        read: impl FnOnce(&Connection) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let idle = self
            .idle
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .pop();
        let conn = match idle {
            Some(conn) => conn,
            None => self.open().map_err(unavailable)?,
        };
        let result = in_snapshot(&conn, read);
        // A connection left inside a transaction (its end failed) is not reused.
        if conn.is_autocommit() {
            let mut idle = self.idle.lock().unwrap_or_else(PoisonError::into_inner);
            if idle.len() < MAX_IDLE {
                idle.push(conn);
            }
        }
        result
    }

    fn open(&self) -> rusqlite::Result<Connection> {
        let conn = Connection::open_with_flags(
            &self.database,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        conn.busy_timeout(BUSY_TIMEOUT)?;
        conn.set_prepared_statement_cache_capacity(sql::CACHED_STATEMENTS);
        Ok(conn)
    }
}

/// Runs `read` inside one read transaction, so all its statements see the same state.
/// (The statements are cached: BEGIN and COMMIT cost no parsing.)
fn in_snapshot<T>(
    conn: &Connection,
    read: impl FnOnce(&Connection) -> Result<T, StoreError>,
) -> Result<T, StoreError> {
    sql::run(conn, "BEGIN").map_err(unavailable)?;
    let result = read(conn);
    let ended = sql::run(conn, "COMMIT").map_err(unavailable);
    result.and_then(|value| ended.map(|()| value))
}
