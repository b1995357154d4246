//! Why a data directory could not be opened (each message says what to do about it), and
//! how SQLite failures during requests reach the operations.

use std::fmt;
use std::io;
use std::path::PathBuf;

use ecr_impl::store::StoreError;

/// A data directory Berth refuses to use, or cannot. Every refusal leaves the directory's
/// files as they were.
#[derive(Debug)]
pub enum OpenError {
    /// A file-system step failed (`action` says which).
    Io {
        action: &'static str,
        path: PathBuf,
        source: io::Error,
    },
    /// Another process holds the directory's lock file.
    Locked { lock_file: PathBuf },
    /// The database was written by a newer Berth, whose schema this one does not know.
    NewerSchema {
        database: PathBuf,
        found: u32,
        supported: u32,
    },
    /// A SQLite database, but not one of Berth's.
    NotBerth {
        database: PathBuf,
        application_id: i32,
    },
    /// The database cannot be read, or SQLite's integrity check finds it broken.
    Damaged { database: PathBuf, detail: String },
    /// SQLite could not put the database in WAL mode (a file system without shared memory).
    NoWal { database: PathBuf, mode: String },
    /// SQLite failed while setting up a database that passed the checks.
    Sqlite {
        database: PathBuf,
        source: rusqlite::Error,
    },
}

impl fmt::Display for OpenError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OpenError::Io {
                action,
                path,
                source,
            } => write!(f, "cannot {action} {}: {source}", path.display()),
            OpenError::Locked { lock_file } => write!(
                f,
                "another Berth is already using this data directory (it holds the lock {}); \
                 stop that one, or give each Berth its own data directory",
                lock_file.display()
            ),
            OpenError::NewerSchema {
                database,
                found,
                supported,
            } => write!(
                f,
                "{} was written by a newer Berth (schema version {found}; this Berth knows \
                 versions up to {supported}); it was left untouched: run a Berth at least as \
                 new as the one that wrote it, or use another data directory",
                database.display()
            ),
            OpenError::NotBerth {
                database,
                application_id,
            } => write!(
                f,
                "{} is a SQLite database, but not Berth's (application id {application_id:#x}); \
                 it was left untouched: use another data directory",
                database.display()
            ),
            OpenError::Damaged { database, detail } => write!(
                f,
                "{} is damaged ({detail}); it was left untouched: restore it from a backup, \
                 or move it away to start with an empty state",
                database.display()
            ),
            OpenError::NoWal { database, mode } => write!(
                f,
                "SQLite cannot use its write-ahead log for {} (journal mode stayed {mode}); \
                 put the data directory on a local file system",
                database.display()
            ),
            OpenError::Sqlite { database, source } => {
                write!(f, "cannot set up {}: {source}", database.display())
            }
        }
    }
}

impl std::error::Error for OpenError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            OpenError::Io { source, .. } => Some(source),
            OpenError::Sqlite { source, .. } => Some(source),
            _ => None,
        }
    }
}

/// A SQLite failure during a request: the server's fault, reported as such.
pub fn unavailable(error: rusqlite::Error) -> StoreError {
    StoreError::Unavailable(error.to_string())
}

/// A stored value this Berth cannot read back.
pub fn damaged_row(what: &str, detail: impl fmt::Display) -> StoreError {
    StoreError::Unavailable(format!("the stored {what} is damaged: {detail}"))
}
