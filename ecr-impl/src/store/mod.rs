//! The state interfaces: [`Store`], every repository of every registry (account and region),
//! and [`blobs::BlobStore`], layer and manifest bytes by sha256 (its filesystem backend is the
//! `storage-fs` crate; no operation uses it yet).
//!
//! Each method is one atomic step, so a transactional backend (SQLite) implements each as
//! one transaction: a create carries its tags, an update carries one [`RepositoryChange`]
//! whose rules [`RepositoryChange::apply`] states once for every backend. Request methods
//! return futures so a backend may wait for a disk or a group commit without blocking the
//! server's threads.

pub mod blobs;
pub mod memory;
pub mod meta;
mod record;

use std::fmt;
use std::future::Future;
use std::pin::Pin;

use berth_runtime::RequestContext;
use berth_runtime::validation::InvalidValue;
use ecr_generated::types::{Region, RegistryId, RepositoryName};

pub use record::{RepositoryChange, RepositoryRecord, TagMutability, check_deletable};

/// A registry: an account's repositories in one region. Both parts are the model's
/// validated types, so a scope always fits in an ARN or URI.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Scope {
    pub account_id: RegistryId,
    pub region: Region,
}

impl Scope {
    /// The caller's registry in the region the request was sent to. The server only builds
    /// contexts from values that pass these same checks; another embedder may not.
    pub fn of_caller(ctx: &RequestContext) -> Result<Scope, InvalidValue> {
        Ok(Scope {
            account_id: RegistryId::try_from(ctx.account_id.as_str())?,
            region: Region::try_from(ctx.region.as_str())?,
        })
    }
}

/// Why a store call did not happen. The operations turn these into ECR errors.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreError {
    RepositoryNotFound,
    RepositoryAlreadyExists,
    /// The repository holds images and the delete was not forced.
    RepositoryNotEmpty,
    RepositoryPolicyNotFound,
    /// The change would leave the repository with `count` tags, over the limit.
    TooManyTags {
        count: usize,
    },
    /// The backend itself failed (I/O, corruption): a server fault, nothing was changed.
    Unavailable(String),
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StoreError::RepositoryNotFound => f.write_str("repository not found"),
            StoreError::RepositoryAlreadyExists => f.write_str("repository already exists"),
            StoreError::RepositoryNotEmpty => f.write_str("repository not empty"),
            StoreError::RepositoryPolicyNotFound => f.write_str("repository policy not found"),
            StoreError::TooManyTags { count } => write!(f, "too many tags ({count})"),
            StoreError::Unavailable(detail) => write!(f, "state unavailable: {detail}"),
        }
    }
}

impl std::error::Error for StoreError {}

/// What a store's request methods return.
pub type StoreFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, StoreError>> + Send + 'a>>;

/// A repository before and after an update.
#[derive(Debug, Clone, PartialEq)]
pub struct Updated {
    pub before: RepositoryRecord,
    pub after: RepositoryRecord,
}

/// Where Berth's ECR state lives. Every method is atomic: it happens entirely or not at all,
/// and concurrent calls behave as if made one after the other.
pub trait Store: Send + Sync + fmt::Debug {
    /// Adds a repository (settings, tags and policy as given).
    /// Fails with `RepositoryAlreadyExists` when `scope` has one with that name.
    fn create_repository<'a>(
        &'a self,
        scope: &'a Scope,
        record: RepositoryRecord,
    ) -> StoreFuture<'a, ()>;

    /// The repository named `name`, or `RepositoryNotFound`.
    fn repository<'a>(
        &'a self,
        scope: &'a Scope,
        name: &'a RepositoryName,
    ) -> StoreFuture<'a, RepositoryRecord>;

    /// The repositories with these names, position by position (`None` where there is none),
    /// read together.
    fn repositories_named<'a>(
        &'a self,
        scope: &'a Scope,
        names: &'a [RepositoryName],
    ) -> StoreFuture<'a, Vec<Option<RepositoryRecord>>>;

    /// Up to `limit` repositories in name order, starting after `after` (from the first when
    /// `None`). Costs O(limit), not O(repositories).
    fn repositories_after<'a>(
        &'a self,
        scope: &'a Scope,
        after: Option<&'a RepositoryName>,
        limit: usize,
    ) -> StoreFuture<'a, Vec<RepositoryRecord>>;

    /// Applies `change` to the repository named `name` with [`RepositoryChange::apply`] and
    /// keeps the result, or keeps nothing when it fails. `RepositoryNotFound` when absent.
    fn update_repository<'a>(
        &'a self,
        scope: &'a Scope,
        name: &'a RepositoryName,
        change: RepositoryChange,
    ) -> StoreFuture<'a, Updated>;

    /// Removes the repository named `name` with its tags and policy, and returns it. Checks
    /// its images with [`check_deletable`] first. `RepositoryNotFound` when absent.
    fn delete_repository<'a>(
        &'a self,
        scope: &'a Scope,
        name: &'a RepositoryName,
        force: bool,
    ) -> StoreFuture<'a, RepositoryRecord>;

    /// Every repository of every registry, ordered by account, region and name (admin use).
    fn all_repositories(&self) -> StoreFuture<'_, Vec<(Scope, RepositoryRecord)>>;

    /// Drops everything, durably (admin use: test isolation).
    fn reset(&self) -> StoreFuture<'_, ()>;
}
