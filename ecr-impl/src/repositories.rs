//! The repository jobs every repository operation runs on a [`MetaStore`]: each is one
//! transaction, with its rules ([`RepositoryChange::apply`], [`check_deletable`]) stated
//! once for every backend.

use ecr_generated::types::RepositoryName;

use crate::store::meta::{self, MetaStore, RepositoryRow};
use crate::store::{RepositoryChange, RepositoryRecord, Scope, StoreError, check_deletable};

/// A repository before and after an update.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Updated {
    pub before: RepositoryRecord,
    pub after: RepositoryRecord,
}

/// Adds `record` to `scope`; `RepositoryAlreadyExists` when the name is taken.
pub(crate) async fn create(
    store: &dyn MetaStore,
    scope: &Scope,
    record: RepositoryRecord,
) -> Result<(), StoreError> {
    let scope = scope.clone();
    meta::write(store, move |tx| {
        if tx.repository(&scope, &record.name)?.is_some() {
            return Err(StoreError::RepositoryAlreadyExists);
        }
        tx.insert_repository(&scope, &record).map(drop)
    })
    .await
}

/// The repository of `scope` named `name`, or `RepositoryNotFound`.
pub(crate) async fn find(
    store: &dyn MetaStore,
    scope: &Scope,
    name: &RepositoryName,
) -> Result<RepositoryRecord, StoreError> {
    let (scope, name) = (scope.clone(), name.clone());
    meta::read(store, move |tx| {
        let row = tx.repository(&scope, &name)?;
        row.map(|row| row.record)
            .ok_or(StoreError::RepositoryNotFound)
    })
    .await
}

/// The repositories with these names, position by position, read on one snapshot.
pub(crate) async fn named(
    store: &dyn MetaStore,
    scope: &Scope,
    names: &[RepositoryName],
) -> Result<Vec<Option<RepositoryRecord>>, StoreError> {
    let (scope, names) = (scope.clone(), names.to_vec());
    meta::read(store, move |tx| {
        names
            .iter()
            .map(|name| Ok(tx.repository(&scope, name)?.map(|row| row.record)))
            .collect()
    })
    .await
}

/// Up to `limit` repositories in name order after `after`, with their ids.
pub(crate) async fn page(
    store: &dyn MetaStore,
    scope: &Scope,
    after: Option<RepositoryName>,
    limit: usize,
) -> Result<Vec<RepositoryRow>, StoreError> {
    let scope = scope.clone();
    meta::read(store, move |tx| {
        tx.repositories_after(&scope, after.as_ref(), limit)
    })
    .await
}

/// Applies `change` to the repository named `name` in one transaction.
pub(crate) async fn update(
    store: &dyn MetaStore,
    scope: &Scope,
    name: &RepositoryName,
    change: RepositoryChange,
) -> Result<Updated, StoreError> {
    let (scope, name) = (scope.clone(), name.clone());
    meta::write(store, move |tx| {
        let row = tx
            .repository(&scope, &name)?
            .ok_or(StoreError::RepositoryNotFound)?;
        let mut after = row.record.clone();
        change.clone().apply(&mut after)?;
        tx.update_repository(row.id, &after)?;
        Ok(Updated {
            before: row.record,
            after,
        })
    })
    .await
}

/// Removes the repository named `name` with everything in it, when [`check_deletable`]
/// allows; returns it as it was.
pub(crate) async fn delete(
    store: &dyn MetaStore,
    scope: &Scope,
    name: &RepositoryName,
    force: bool,
) -> Result<RepositoryRecord, StoreError> {
    let (scope, name) = (scope.clone(), name.clone());
    meta::write(store, move |tx| {
        let row = tx
            .repository(&scope, &name)?
            .ok_or(StoreError::RepositoryNotFound)?;
        check_deletable(tx.image_count(row.id)?, force)?;
        tx.delete_repository(row.id)?;
        Ok(row.record)
    })
    .await
}

/// Every repository of every registry, by account, region and name.
pub(crate) async fn all(
    store: &dyn MetaStore,
) -> Result<Vec<(Scope, RepositoryRecord)>, StoreError> {
    meta::read(store, |tx| {
        let all = tx.all_repositories()?;
        Ok(all
            .into_iter()
            .map(|(scope, row)| (scope, row.record))
            .collect())
    })
    .await
}
