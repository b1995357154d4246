//! What the storage-sqlite test binaries share: scratch directories, and a store that
//! removes its directory when dropped.

#![allow(dead_code)] // Each test binary uses its own subset.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use ecr_generated::types::RepositoryName;
use ecr_impl::store::{RepositoryChange, RepositoryRecord, Scope, Store, StoreFuture, Updated};
use storage_sqlite::SqliteStore;

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
        name: &'a RepositoryName,
    ) -> StoreFuture<'a, RepositoryRecord> {
        self.store.repository(scope, name)
    }

    fn repositories_named<'a>(
        &'a self,
        scope: &'a Scope,
        names: &'a [RepositoryName],
    ) -> StoreFuture<'a, Vec<Option<RepositoryRecord>>> {
        self.store.repositories_named(scope, names)
    }

    fn repositories_after<'a>(
        &'a self,
        scope: &'a Scope,
        after: Option<&'a RepositoryName>,
        limit: usize,
    ) -> StoreFuture<'a, Vec<RepositoryRecord>> {
        self.store.repositories_after(scope, after, limit)
    }

    fn update_repository<'a>(
        &'a self,
        scope: &'a Scope,
        name: &'a RepositoryName,
        change: RepositoryChange,
    ) -> StoreFuture<'a, Updated> {
        self.store.update_repository(scope, name, change)
    }

    fn delete_repository<'a>(
        &'a self,
        scope: &'a Scope,
        name: &'a RepositoryName,
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
