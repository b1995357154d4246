//! The store every suite test runs on: a backend's own store, plus the faults a test injects
//! (a backend that fails), plus whatever must outlive the store (a scratch directory).

use std::fmt;
use std::sync::Arc;

use ecr_impl::store::meta::{JobOutcome, MetaStore, ReadJob, WriteJob};
use ecr_impl::store::{StoreError, StoreFuture};

/// A backend's store, answering as it does except for the faults turned on.
pub struct TestStore {
    // Field order: the store closes before what it depends on (`_outlives`) is dropped.
    inner: Arc<dyn MetaStore>,
    /// When set, every job fails with `StoreError::Unavailable(detail)`.
    unavailable: Option<String>,
    _outlives: Option<Box<dyn Send + Sync>>,
}

impl TestStore {
    /// `store` with no faults.
    pub fn new(store: impl MetaStore + 'static) -> TestStore {
        TestStore {
            inner: Arc::new(store),
            unavailable: None,
            _outlives: None,
        }
    }

    /// Keeps `guard` (for example the store's scratch directory) until the store is dropped.
    pub fn dropping_after(mut self, guard: impl Send + Sync + 'static) -> TestStore {
        self._outlives = Some(Box::new(guard));
        self
    }

    /// Every job fails as a broken backend would, saying `detail`. `reset` still works.
    pub fn unavailable(mut self, detail: &str) -> TestStore {
        self.unavailable = Some(detail.to_owned());
        self
    }

    /// The backend itself, to write state no operation can make yet, beside an `Ecr` that
    /// owns this store.
    pub fn backend(&self) -> Arc<dyn MetaStore> {
        self.inner.clone()
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
            .field("unavailable", &self.unavailable)
            .finish_non_exhaustive()
    }
}

impl MetaStore for TestStore {
    fn read(&self, job: ReadJob) -> StoreFuture<'_, JobOutcome> {
        self.fail().unwrap_or_else(|| self.inner.read(job))
    }

    fn write(&self, job: WriteJob) -> StoreFuture<'_, JobOutcome> {
        self.fail().unwrap_or_else(|| self.inner.write(job))
    }

    fn reset(&self) -> StoreFuture<'_, ()> {
        self.inner.reset()
    }
}
