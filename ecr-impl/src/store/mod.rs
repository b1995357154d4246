//! The state interfaces, narrow enough for other backends (PostgreSQL, S3) to follow:
//! [`meta::MetaStore`], every registry's metadata behind one transaction primitive (in memory
//! here; durable in the `storage-sqlite` crate), and [`blobs::BlobStore`], blob bytes by
//! sha256 (in memory here; on disk in the `storage-fs` crate). Their calls return futures,
//! so a backend may wait for a disk or a group commit without blocking the server's threads.

pub mod blobs;
pub(crate) mod documents;
pub mod memory;
pub mod memory_blobs;
pub mod meta;
mod record;

use std::fmt;
use std::future::Future;
use std::pin::Pin;

use berth_runtime::RequestContext;
use berth_runtime::validation::InvalidValue;
use ecr_generated::types::{Region, RegistryId};

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
