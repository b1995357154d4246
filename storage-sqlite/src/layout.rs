//! What a data directory holds, and where: the one place file names are decided.
//!
//! ```text
//! DIR/
//!   berth.lock        held (flock) by the Berth using DIR, for its whole life; always empty
//!   berth.db          the SQLite database: every account's and region's repositories,
//!                     images with their manifests, tags, linked layers and upload sessions
//!   berth.db-wal      SQLite's write-ahead log (committed changes not yet checkpointed)
//!   berth.db-shm      SQLite's index of the log (rebuilt from it when missing)
//!   blobs/sha256/     blob bytes, named by their sha256 digest (content-addressed: written
//!                     once, never changed), and upload sessions' staged bytes: the
//!                     `storage-fs` crate's, which documents its layout below this folder
//! ```

use std::path::{Path, PathBuf};

/// The database file's name.
pub const DATABASE_FILE: &str = "berth.db";
/// The lock file's name.
pub const LOCK_FILE: &str = "berth.lock";
/// Where layer blobs will live, relative to the data directory.
pub const BLOBS_DIR: [&str; 2] = ["blobs", "sha256"];

/// A data directory's paths.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataDir {
    root: PathBuf,
}

impl DataDir {
    pub fn new(root: impl Into<PathBuf>) -> DataDir {
        DataDir { root: root.into() }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    pub fn database(&self) -> PathBuf {
        self.root.join(DATABASE_FILE)
    }

    pub fn lock(&self) -> PathBuf {
        self.root.join(LOCK_FILE)
    }

    /// The directory of sha256-addressed blobs.
    pub fn blobs(&self) -> PathBuf {
        BLOBS_DIR
            .iter()
            .fold(self.root.clone(), |path, part| path.join(part))
    }
}
