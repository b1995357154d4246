//! The in-memory backend: fast and disposable. One lock over all registries; every method
//! does its whole job under it, so each is atomic. The work is done before any change is
//! made, so a panic cannot leave a half-made change behind, and a poisoned lock is
//! therefore safe to keep using.

use std::collections::BTreeMap;
use std::ops::Bound;
use std::sync::{PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};

use ecr_generated::types::RepositoryName;

use super::{
    RepositoryChange, RepositoryRecord, Scope, Store, StoreError, StoreFuture, Updated,
    check_deletable,
};

/// Repositories kept in memory, by registry and then by name (ordered, for paging).
#[derive(Debug, Default)]
pub struct MemoryStore {
    registries: RwLock<BTreeMap<Scope, Registry>>,
}

#[derive(Debug, Default)]
struct Registry {
    repositories: BTreeMap<RepositoryName, RepositoryRecord>,
}

impl Registry {
    /// Images arrive with the image operations (a later batch); until then no repository
    /// holds any. Deleting checks this through [`check_deletable`].
    fn image_count(&self, _repository: &RepositoryName) -> usize {
        0
    }
}

/// A future that is already complete: this backend never waits.
fn ready<'a, T: Send + 'a>(result: Result<T, StoreError>) -> StoreFuture<'a, T> {
    Box::pin(std::future::ready(result))
}

impl MemoryStore {
    pub fn new() -> MemoryStore {
        MemoryStore::default()
    }

    fn read(&self) -> RwLockReadGuard<'_, BTreeMap<Scope, Registry>> {
        self.registries
            .read()
            .unwrap_or_else(PoisonError::into_inner)
    }

    fn write(&self) -> RwLockWriteGuard<'_, BTreeMap<Scope, Registry>> {
        self.registries
            .write()
            .unwrap_or_else(PoisonError::into_inner)
    }

    fn create_now(&self, scope: &Scope, record: RepositoryRecord) -> Result<(), StoreError> {
        let mut registries = self.write();
        let registry = registries.entry(scope.clone()).or_default();
        if registry.repositories.contains_key(&record.name) {
            return Err(StoreError::RepositoryAlreadyExists);
        }
        registry.repositories.insert(record.name.clone(), record);
        Ok(())
    }

    fn repository_now(
        &self,
        scope: &Scope,
        name: &RepositoryName,
    ) -> Result<RepositoryRecord, StoreError> {
        let registries = self.read();
        registries
            .get(scope)
            .and_then(|registry| registry.repositories.get(name))
            .cloned()
            .ok_or(StoreError::RepositoryNotFound)
    }

    fn named_now(&self, scope: &Scope, names: &[RepositoryName]) -> Vec<Option<RepositoryRecord>> {
        let registries = self.read();
        let registry = registries.get(scope);
        names
            .iter()
            .map(|name| registry.and_then(|r| r.repositories.get(name)).cloned())
            .collect()
    }

    fn after_now(
        &self,
        scope: &Scope,
        after: Option<&RepositoryName>,
        limit: usize,
    ) -> Vec<RepositoryRecord> {
        let registries = self.read();
        let Some(registry) = registries.get(scope) else {
            return Vec::new();
        };
        let start = after.map_or(Bound::Unbounded, Bound::Excluded);
        registry
            .repositories
            .range::<RepositoryName, _>((start, Bound::Unbounded))
            .take(limit)
            .map(|(_, r)| r.clone())
            .collect()
    }

    fn update_now(
        &self,
        scope: &Scope,
        name: &RepositoryName,
        change: RepositoryChange,
    ) -> Result<Updated, StoreError> {
        let mut registries = self.write();
        let record = registries
            .get_mut(scope)
            .and_then(|registry| registry.repositories.get_mut(name))
            .ok_or(StoreError::RepositoryNotFound)?;
        let before = record.clone();
        let mut after = record.clone();
        change.apply(&mut after)?;
        *record = after.clone();
        Ok(Updated { before, after })
    }

    fn delete_now(
        &self,
        scope: &Scope,
        name: &RepositoryName,
        force: bool,
    ) -> Result<RepositoryRecord, StoreError> {
        let mut registries = self.write();
        let registry = registries
            .get_mut(scope)
            .ok_or(StoreError::RepositoryNotFound)?;
        if !registry.repositories.contains_key(name) {
            return Err(StoreError::RepositoryNotFound);
        }
        check_deletable(registry.image_count(name), force)?;
        registry
            .repositories
            .remove(name)
            .ok_or(StoreError::RepositoryNotFound)
    }
}

impl Store for MemoryStore {
    fn create_repository<'a>(
        &'a self,
        scope: &'a Scope,
        record: RepositoryRecord,
    ) -> StoreFuture<'a, ()> {
        ready(self.create_now(scope, record))
    }

    fn repository<'a>(
        &'a self,
        scope: &'a Scope,
        name: &'a RepositoryName,
    ) -> StoreFuture<'a, RepositoryRecord> {
        ready(self.repository_now(scope, name))
    }

    fn repositories_named<'a>(
        &'a self,
        scope: &'a Scope,
        names: &'a [RepositoryName],
    ) -> StoreFuture<'a, Vec<Option<RepositoryRecord>>> {
        ready(Ok(self.named_now(scope, names)))
    }

    fn repositories_after<'a>(
        &'a self,
        scope: &'a Scope,
        after: Option<&'a RepositoryName>,
        limit: usize,
    ) -> StoreFuture<'a, Vec<RepositoryRecord>> {
        ready(Ok(self.after_now(scope, after, limit)))
    }

    fn update_repository<'a>(
        &'a self,
        scope: &'a Scope,
        name: &'a RepositoryName,
        change: RepositoryChange,
    ) -> StoreFuture<'a, Updated> {
        ready(self.update_now(scope, name, change))
    }

    fn delete_repository<'a>(
        &'a self,
        scope: &'a Scope,
        name: &'a RepositoryName,
        force: bool,
    ) -> StoreFuture<'a, RepositoryRecord> {
        ready(self.delete_now(scope, name, force))
    }

    fn all_repositories(&self) -> StoreFuture<'_, Vec<(Scope, RepositoryRecord)>> {
        let registries = self.read();
        let all = registries
            .iter()
            .flat_map(|(scope, registry)| {
                registry
                    .repositories
                    .values()
                    .map(|record| (scope.clone(), record.clone()))
            })
            .collect();
        ready(Ok(all))
    }

    fn reset(&self) -> StoreFuture<'_, ()> {
        self.write().clear();
        ready(Ok(()))
    }
}
