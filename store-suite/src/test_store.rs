//! The store every suite test runs on: a backend's own store, plus the faults a test injects
//! (answers no real backend gives yet, or a backend that fails), plus whatever must outlive
//! the store (a scratch directory).

use ecr_generated::types::RepositoryName;
use std::fmt;

use ecr_impl::store::{
    RepositoryChange, RepositoryRecord, Scope, Store, StoreError, StoreFuture, Updated,
    check_deletable,
};

/// A backend's store, answering as it does except for the faults turned on.
pub struct TestStore {
    // Field order: the store closes before what it depends on (`_outlives`) is dropped.
    inner: Box<dyn Store>,
    /// Images every repository claims to hold: what deletes see (no backend stores images yet).
    images_per_repository: usize,
    /// When set, every API call fails with `StoreError::Unavailable(detail)`.
    unavailable: Option<String>,
    _outlives: Option<Box<dyn Send + Sync>>,
}

impl TestStore {
    /// `store` with no faults.
    pub fn new(store: impl Store + 'static) -> TestStore {
        TestStore {
            inner: Box::new(store),
            images_per_repository: 0,
            unavailable: None,
            _outlives: None,
        }
    }

    /// Keeps `guard` (for example the store's scratch directory) until the store is dropped.
    pub fn dropping_after(mut self, guard: impl Send + Sync + 'static) -> TestStore {
        self._outlives = Some(Box::new(guard));
        self
    }

    /// Every repository holds `count` images.
    pub fn with_images(mut self, count: usize) -> TestStore {
        self.images_per_repository = count;
        self
    }

    /// Every API call fails as a broken backend would, saying `detail`. The admin calls
    /// (`all_repositories`, `reset`) still work, so a test can inspect the state.
    pub fn unavailable(mut self, detail: &str) -> TestStore {
        self.unavailable = Some(detail.to_owned());
        self
    }

    fn fail<'a, T: Send + 'a>(&self) -> Option<StoreFuture<'a, T>> {
        let detail = self.unavailable.clone()?;
        Some(Box::pin(std::future::ready(Err(StoreError::Unavailable(
            detail,
        )))))
    }
}

impl fmt::Debug for TestStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TestStore")
            .field("inner", &self.inner)
            .field("images_per_repository", &self.images_per_repository)
            .field("unavailable", &self.unavailable)
            .finish_non_exhaustive()
    }
}

impl Store for TestStore {
    fn create_repository<'a>(
        &'a self,
        scope: &'a Scope,
        record: RepositoryRecord,
    ) -> StoreFuture<'a, ()> {
        self.fail()
            .unwrap_or_else(|| self.inner.create_repository(scope, record))
    }

    fn repository<'a>(
        &'a self,
        scope: &'a Scope,
        name: &'a RepositoryName,
    ) -> StoreFuture<'a, RepositoryRecord> {
        self.fail()
            .unwrap_or_else(|| self.inner.repository(scope, name))
    }

    fn repositories_named<'a>(
        &'a self,
        scope: &'a Scope,
        names: &'a [RepositoryName],
    ) -> StoreFuture<'a, Vec<Option<RepositoryRecord>>> {
        self.fail()
            .unwrap_or_else(|| self.inner.repositories_named(scope, names))
    }

    fn repositories_after<'a>(
        &'a self,
        scope: &'a Scope,
        after: Option<&'a RepositoryName>,
        limit: usize,
    ) -> StoreFuture<'a, Vec<RepositoryRecord>> {
        self.fail()
            .unwrap_or_else(|| self.inner.repositories_after(scope, after, limit))
    }

    fn update_repository<'a>(
        &'a self,
        scope: &'a Scope,
        name: &'a RepositoryName,
        change: RepositoryChange,
    ) -> StoreFuture<'a, Updated> {
        self.fail()
            .unwrap_or_else(|| self.inner.update_repository(scope, name, change))
    }

    fn delete_repository<'a>(
        &'a self,
        scope: &'a Scope,
        name: &'a RepositoryName,
        force: bool,
    ) -> StoreFuture<'a, RepositoryRecord> {
        if let Some(failure) = self.fail() {
            return failure;
        }
        // The inner store sees no images, so the images check happens here, as a backend
        // holding images would make it: before anything is removed.
        match check_deletable(self.images_per_repository, force) {
            Ok(()) => self.inner.delete_repository(scope, name, force),
            Err(error) => Box::pin(std::future::ready(Err(error))),
        }
    }

    fn all_repositories(&self) -> StoreFuture<'_, Vec<(Scope, RepositoryRecord)>> {
        self.inner.all_repositories()
    }

    fn reset(&self) -> StoreFuture<'_, ()> {
        self.inner.reset()
    }
}
