//! One Berth per data directory: an exclusive lock on `berth.lock`, held for the life of
//! the store. The operating system drops it when the process ends, however it ends (kill -9
//! included), so a crash never leaves a stale lock behind.

use std::fs::{self, File, OpenOptions, TryLockError};
use std::io;
use std::path::{Path, PathBuf};

use crate::error::OpenError;

/// The held lock. Dropping it releases the lock; the (empty) file stays for the next Berth.
#[derive(Debug)]
pub struct DirLock {
    file: File,
    path: PathBuf,
    /// Whether this process created the file, so a refused start can remove it again and
    /// leave the directory exactly as it found it.
    created: bool,
}

impl DirLock {
    /// Takes the lock at `path` without waiting: `Locked` when another process holds it.
    pub fn acquire(path: &Path) -> Result<DirLock, OpenError> {
        let io_error = |source| OpenError::Io {
            action: "open the lock file",
            path: path.to_owned(),
            source,
        };
        let (file, created) = match OpenOptions::new()
            .read(true)
            .write(true)
            .create_new(true)
            .open(path)
        {
            Ok(file) => (file, true),
            Err(error) if error.kind() == io::ErrorKind::AlreadyExists => (
                OpenOptions::new()
                    .read(true)
                    .write(true)
                    .open(path)
                    .map_err(io_error)?,
                false,
            ),
            Err(error) => return Err(io_error(error)),
        };
        match file.try_lock() {
            Ok(()) => Ok(DirLock {
                file,
                path: path.to_owned(),
                created,
            }),
            Err(TryLockError::WouldBlock) => Err(OpenError::Locked {
                lock_file: path.to_owned(),
            }),
            Err(TryLockError::Error(source)) => Err(OpenError::Io {
                action: "lock",
                path: path.to_owned(),
                source,
            }),
        }
    }

    /// Releases the lock after a refused start, removing the file if this process made it.
    /// (Removing is safe while holding the lock: no one waits on it, others only try it.)
    pub fn abandon(self) {
        if self.created {
            // Best effort: a leftover empty lock file is harmless.
            let _ = fs::remove_file(&self.path);
        }
        drop(self.file);
    }
}
