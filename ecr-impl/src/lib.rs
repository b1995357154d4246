//! The behaviour of Berth's ECR operations, behind the generated [`EcrApi`] trait.
//!
//! - `ops`: the operations, by topic; each checks what the model cannot state and asks
//!   the store;
//! - [`store`]: the one state interface ([`store::Store`]) and its in-memory backend (the
//!   durable one, SQLite, is the `storage-sqlite` crate, so this one links no database);
//! - `arn`, `policy`, `tags`, `pagination`: formats and rules the operations share;
//! - `messages` and `limits`: every error message and every limit, each in one place.

mod arn;
mod limits;
mod messages;
mod ops;
mod pagination;
mod policy;
pub mod store;
mod tags;

use std::sync::Arc;

use berth_runtime::RequestContext;
use ecr_generated::errors;
use ecr_generated::operations::{EcrApi, Operation};
use ecr_generated::types;

use crate::store::Store;
use crate::store::memory::MemoryStore;

/// Berth's ECR: every account's and region's repositories, behind one state interface.
/// Cheap to clone; clones share their state.
#[derive(Debug, Clone)]
pub struct Ecr {
    store: Arc<dyn Store>,
}

impl Default for Ecr {
    fn default() -> Ecr {
        Ecr::in_memory()
    }
}

impl Ecr {
    /// An ECR whose state lives in memory.
    pub fn in_memory() -> Ecr {
        Ecr::with_store(MemoryStore::new())
    }

    /// An ECR whose state lives in `store`.
    pub fn with_store(store: impl Store + 'static) -> Ecr {
        Ecr {
            store: Arc::new(store),
        }
    }

    /// Drops all state (every account and region); returns once that is durable. Fails
    /// only when the backend does (nothing is dropped then).
    pub async fn reset(&self) -> Result<(), errors::ServerException> {
        self.store.reset().await.map_err(ops::server_failure)
    }

    /// Every repository of every account and region, sorted by account, region and name.
    pub async fn all_repositories(
        &self,
    ) -> Result<Vec<types::Repository>, errors::ServerException> {
        let all = self
            .store
            .all_repositories()
            .await
            .map_err(ops::server_failure)?;
        Ok(all
            .iter()
            .map(|(scope, record)| ops::repository_view(scope, record))
            .collect())
    }
}

impl EcrApi for Ecr {
    const IMPLEMENTED: &'static [Operation] = &[
        Operation::CreateRepository,
        Operation::DeleteRepository,
        Operation::DescribeRepositories,
        Operation::PutImageTagMutability,
        Operation::PutImageScanningConfiguration,
        Operation::SetRepositoryPolicy,
        Operation::GetRepositoryPolicy,
        Operation::DeleteRepositoryPolicy,
        Operation::TagResource,
        Operation::UntagResource,
        Operation::ListTagsForResource,
    ];

    async fn create_repository(
        &self,
        ctx: &RequestContext,
        input: types::CreateRepositoryRequest,
    ) -> Result<types::CreateRepositoryResponse, errors::CreateRepositoryError> {
        ops::repositories::create(self.store.as_ref(), ctx, input).await
    }

    async fn delete_repository(
        &self,
        ctx: &RequestContext,
        input: types::DeleteRepositoryRequest,
    ) -> Result<types::DeleteRepositoryResponse, errors::DeleteRepositoryError> {
        ops::repositories::delete(self.store.as_ref(), ctx, input).await
    }

    async fn describe_repositories(
        &self,
        ctx: &RequestContext,
        input: types::DescribeRepositoriesRequest,
    ) -> Result<types::DescribeRepositoriesResponse, errors::DescribeRepositoriesError> {
        ops::repositories::describe(self.store.as_ref(), ctx, input).await
    }

    async fn put_image_tag_mutability(
        &self,
        ctx: &RequestContext,
        input: types::PutImageTagMutabilityRequest,
    ) -> Result<types::PutImageTagMutabilityResponse, errors::PutImageTagMutabilityError> {
        ops::settings::put_image_tag_mutability(self.store.as_ref(), ctx, input).await
    }

    async fn put_image_scanning_configuration(
        &self,
        ctx: &RequestContext,
        input: types::PutImageScanningConfigurationRequest,
    ) -> Result<
        types::PutImageScanningConfigurationResponse,
        errors::PutImageScanningConfigurationError,
    > {
        ops::settings::put_image_scanning_configuration(self.store.as_ref(), ctx, input).await
    }

    async fn set_repository_policy(
        &self,
        ctx: &RequestContext,
        input: types::SetRepositoryPolicyRequest,
    ) -> Result<types::SetRepositoryPolicyResponse, errors::SetRepositoryPolicyError> {
        ops::repository_policy::set(self.store.as_ref(), ctx, input).await
    }

    async fn get_repository_policy(
        &self,
        ctx: &RequestContext,
        input: types::GetRepositoryPolicyRequest,
    ) -> Result<types::GetRepositoryPolicyResponse, errors::GetRepositoryPolicyError> {
        ops::repository_policy::get(self.store.as_ref(), ctx, input).await
    }

    async fn delete_repository_policy(
        &self,
        ctx: &RequestContext,
        input: types::DeleteRepositoryPolicyRequest,
    ) -> Result<types::DeleteRepositoryPolicyResponse, errors::DeleteRepositoryPolicyError> {
        ops::repository_policy::delete(self.store.as_ref(), ctx, input).await
    }

    async fn tag_resource(
        &self,
        ctx: &RequestContext,
        input: types::TagResourceRequest,
    ) -> Result<types::TagResourceResponse, errors::TagResourceError> {
        ops::tagging::tag(self.store.as_ref(), ctx, input).await
    }

    async fn untag_resource(
        &self,
        ctx: &RequestContext,
        input: types::UntagResourceRequest,
    ) -> Result<types::UntagResourceResponse, errors::UntagResourceError> {
        ops::tagging::untag(self.store.as_ref(), ctx, input).await
    }

    async fn list_tags_for_resource(
        &self,
        ctx: &RequestContext,
        input: types::ListTagsForResourceRequest,
    ) -> Result<types::ListTagsForResourceResponse, errors::ListTagsForResourceError> {
        ops::tagging::list(self.store.as_ref(), ctx, input).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ecr_can_be_shared_across_tasks() {
        fn shareable<T: Send + Sync + 'static>() {}
        shareable::<Ecr>();
    }

    #[test]
    fn implements_exactly_the_eleven_operations_of_batch_one() {
        assert_eq!(Ecr::IMPLEMENTED.len(), 11);
        let mut sorted = Ecr::IMPLEMENTED.to_vec();
        sorted.dedup();
        assert_eq!(sorted.len(), 11);
    }
}
