//! What the storage-sqlite test binaries share: scratch directories and the check that a refused directory is left untouched.

#![allow(dead_code)] // Each test binary uses its own subset.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use storage_sqlite::{OpenError, SqliteStore};

/// A fresh directory under cargo's scratch space for integration tests, removed on drop.
#[derive(Debug)]
pub struct TempDir(PathBuf);

impl TempDir {
    pub fn new(purpose: &str) -> TempDir {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let path = Path::new(env!("CARGO_TARGET_TMPDIR"))
            .join("storage-sqlite")
            .join(format!("{purpose}-{}-{n}", std::process::id()));
        // A leftover of an earlier, killed run with the same pid would hold old state.
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).expect("scratch directory");
        TempDir(path)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Every file under `dir` with its bytes.
fn files(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut found = BTreeMap::new();
    let mut pending = vec![dir.to_owned()];
    while let Some(path) = pending.pop() {
        if path.is_dir() {
            for entry in fs::read_dir(&path).unwrap() {
                pending.push(entry.unwrap().path());
            }
        } else {
            found.insert(path.clone(), fs::read(&path).unwrap());
        }
    }
    found
}

/// Opening `dir` fails, and leaves every file as it was.
#[track_caller]
pub fn refused(dir: &Path) -> OpenError {
    let before = files(dir);
    let error = SqliteStore::open(dir).expect_err("the directory is refused");
    let after = files(dir);
    // Names and sizes only: the bytes would flood the report.
    let paths: BTreeSet<_> = before.keys().chain(after.keys()).collect();
    let changed: Vec<_> = paths
        .into_iter()
        .filter(|path| before.get(*path) != after.get(*path))
        .map(|path| {
            let size = |files: &BTreeMap<PathBuf, Vec<u8>>| files.get(path).map(Vec::len);
            format!(
                "{}: {:?} -> {:?} bytes",
                path.display(),
                size(&before),
                size(&after)
            )
        })
        .collect();
    assert!(
        changed.is_empty(),
        "a refused directory is left untouched: {changed:#?}"
    );
    error
}
