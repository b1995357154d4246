//! What the storage-sqlite test binaries share: scratch directories, a store that removes
//! its directory when dropped, and the check that a refused directory is left untouched.

#![allow(dead_code)] // Each test binary uses its own subset.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use ecr_impl::store::{RepositoryChange, RepositoryRecord, Scope, Store, StoreFuture, Updated};
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

/// A [`SqliteStore`] in its own scratch directory, removed once the store is closed.
#[derive(Debug)]
pub struct TempStore {
    // Field order: the store closes before its directory goes.
    store: SqliteStore,
    _dir: TempDir,
}

impl TempStore {
    pub fn new() -> TempStore {
        let dir = TempDir::new("store");
        let store = SqliteStore::open(dir.path().join("data")).expect("opens a new directory");
        TempStore { store, _dir: dir }
    }
}

impl Store for TempStore {
    fn create_repository<'a>(
        &'a self,
        scope: &'a Scope,
        record: RepositoryRecord,
    ) -> StoreFuture<'a, ()> {
        self.store.create_repository(scope, record)
    }

    fn repository<'a>(
        &'a self,
        scope: &'a Scope,
        name: &'a str,
    ) -> StoreFuture<'a, RepositoryRecord> {
        self.store.repository(scope, name)
    }

    fn repositories_named<'a>(
        &'a self,
        scope: &'a Scope,
        names: &'a [String],
    ) -> StoreFuture<'a, Vec<Option<RepositoryRecord>>> {
        self.store.repositories_named(scope, names)
    }

    fn repositories_after<'a>(
        &'a self,
        scope: &'a Scope,
        after: Option<&'a str>,
        limit: usize,
    ) -> StoreFuture<'a, Vec<RepositoryRecord>> {
        self.store.repositories_after(scope, after, limit)
    }

    fn update_repository<'a>(
        &'a self,
        scope: &'a Scope,
        name: &'a str,
        change: RepositoryChange,
    ) -> StoreFuture<'a, Updated> {
        self.store.update_repository(scope, name, change)
    }

    fn delete_repository<'a>(
        &'a self,
        scope: &'a Scope,
        name: &'a str,
        force: bool,
    ) -> StoreFuture<'a, RepositoryRecord> {
        self.store.delete_repository(scope, name, force)
    }

    fn all_repositories(&self) -> StoreFuture<'_, Vec<(Scope, RepositoryRecord)>> {
        self.store.all_repositories()
    }

    fn reset(&self) -> StoreFuture<'_, ()> {
        self.store.reset()
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
