//! Looking at an existing database before anything writes to it: through a read-only
//! connection, so a database this Berth must refuse (newer schema, not Berth's, damaged) is
//! left byte for byte as it was.

use std::fs::{self, File};
use std::io::{self, Read};
use std::path::Path;

use rusqlite::{Connection, OpenFlags};

use crate::error::OpenError;
use crate::schema::{self, APPLICATION_ID};

/// The first bytes of every SQLite database file.
const SQLITE_MAGIC: &[u8; 16] = b"SQLite format 3\0";
/// How many lines of SQLite's integrity report an error quotes.
const REPORTED_PROBLEMS: usize = 3;

/// What the data directory holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Found {
    /// No database yet (or an empty one SQLite made before its first write).
    Nothing,
    /// A sound Berth database at this schema version (at most the latest).
    Version(u32),
}

/// Checks the database at `path` without writing to it.
pub fn inspect(path: &Path) -> Result<Found, OpenError> {
    let damaged = |detail: String| OpenError::Damaged {
        database: path.to_owned(),
        detail,
    };
    let metadata = match fs::metadata(path) {
        Ok(metadata) => metadata,
        Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(Found::Nothing),
        Err(source) => return Err(io_error(path, source)),
    };
    if !metadata.is_file() {
        return Err(damaged("it is not a regular file".into()));
    }
    if metadata.len() == 0 {
        return Ok(Found::Nothing);
    }
    let mut header = [0u8; SQLITE_MAGIC.len()];
    File::open(path)
        .and_then(|mut file| file.read_exact(&mut header))
        .map_err(|error| match error.kind() {
            io::ErrorKind::UnexpectedEof => damaged("it is too short to be a database".into()),
            _ => io_error(path, error),
        })?;
    if &header != SQLITE_MAGIC {
        return Err(damaged("it does not start with SQLite's header".into()));
    }

    let conn = open_read_only(path).map_err(|e| damaged(e.to_string()))?;
    let read = |pragma: &str| -> Result<i64, OpenError> {
        conn.pragma_query_value(None, pragma, |row| row.get(0))
            .map_err(|e| damaged(e.to_string()))
    };
    let application_id = read("application_id")? as i32;
    let version = read("user_version")?;
    let has_tables = conn
        .query_row("SELECT count(*) FROM sqlite_schema", [], |row| {
            row.get::<_, i64>(0)
        })
        .map_err(|e| damaged(e.to_string()))?
        > 0;

    let supported = schema::latest_version();
    if version < 0 {
        return Err(damaged(format!("its schema version is {version}")));
    }
    if version > i64::from(supported) {
        return Err(OpenError::NewerSchema {
            database: path.to_owned(),
            found: u32::try_from(version).unwrap_or(u32::MAX),
            supported,
        });
    }
    if application_id != APPLICATION_ID {
        if application_id == 0 && version == 0 && !has_tables {
            // What a crash between creating the file and its first migration leaves.
            return Ok(Found::Nothing);
        }
        return Err(OpenError::NotBerth {
            database: path.to_owned(),
            application_id,
        });
    }
    check_integrity(&conn).map_err(damaged)?;
    Ok(Found::Version(version as u32))
}

/// A connection that writes nothing. A read-only SQLite connection still creates the
/// write-ahead log and its index (`-wal`, `-shm`) of a WAL database when they are missing,
/// so without a log the file is opened `immutable` (no log, no locks: the file alone is
/// the database, as it is after a clean stop). With a log (after a crash) the log holds
/// committed changes and must be read: SQLite reads it without changing it, and may
/// rebuild its index, which holds no data.
fn open_read_only(path: &Path) -> rusqlite::Result<Connection> {
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let mut log = path.as_os_str().to_owned();
    log.push("-wal");
    match (Path::new(&log).exists(), immutable_uri(path)) {
        (false, Some(uri)) => Connection::open_with_flags(uri, flags | OpenFlags::SQLITE_OPEN_URI),
        _ => Connection::open_with_flags(path, flags),
    }
}

/// `file:PATH?immutable=1`, with the characters a URI path cannot hold escaped; `None`
/// for a path that is not UTF-8.
fn immutable_uri(path: &Path) -> Option<String> {
    let mut uri = String::from("file:");
    for c in path.to_str()?.chars() {
        match c {
            '%' | '?' | '#' => uri.push_str(&format!("%{:02X}", c as u32)),
            c => uri.push(c),
        }
    }
    uri.push_str("?immutable=1");
    Some(uri)
}

/// SQLite's full integrity check: every page, every index entry. Startup reads the whole
/// database once; an emulator's state is small enough for that to take milliseconds.
fn check_integrity(conn: &Connection) -> Result<(), String> {
    let mut statement = conn
        .prepare("PRAGMA integrity_check")
        .map_err(|e| e.to_string())?;
    let problems: Vec<String> = statement
        .query_map([], |row| row.get(0))
        .and_then(|rows| rows.collect())
        .map_err(|e| e.to_string())?;
    match problems.as_slice() {
        [ok] if ok == "ok" => Ok(()),
        _ => Err(format!(
            "SQLite's integrity check reports: {}",
            problems
                .iter()
                .take(REPORTED_PROBLEMS)
                .cloned()
                .collect::<Vec<_>>()
                .join("; ")
        )),
    }
}

fn io_error(path: &Path, source: io::Error) -> OpenError {
    OpenError::Io {
        action: "read",
        path: path.to_owned(),
        source,
    }
}
