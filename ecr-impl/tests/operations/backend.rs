//! What the operations make of store answers the in-memory backend cannot give yet: a
//! repository holding images, and a failing backend.

use berth_runtime::error::ErrorResponse;
use ecr_generated::types::{
    DeleteRepositoryRequest, DescribeRepositoriesRequest, ListTagsForResourceRequest,
    TagResourceRequest,
};
use ecr_impl::Ecr;
use ecr_impl::store::memory::MemoryStore;
use ecr_impl::store::{
    RepositoryChange, RepositoryRecord, Scope, Store, StoreError, StoreFuture, Updated,
    check_deletable,
};

use crate::common::*;

/// The in-memory backend, except that every repository holds `images` images, or every
/// call fails when `broken`.
#[derive(Debug, Default)]
struct Scripted {
    inner: MemoryStore,
    images: usize,
    broken: bool,
}

impl Scripted {
    fn fail<'a, T: Send + 'a>(&self) -> Option<StoreFuture<'a, T>> {
        self.broken.then(|| -> StoreFuture<'a, T> {
            Box::pin(std::future::ready(Err(StoreError::Unavailable(
                "disk on fire".into(),
            ))))
        })
    }
}

impl Store for Scripted {
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
        name: &'a str,
    ) -> StoreFuture<'a, RepositoryRecord> {
        self.fail()
            .unwrap_or_else(|| self.inner.repository(scope, name))
    }

    fn repositories_named<'a>(
        &'a self,
        scope: &'a Scope,
        names: &'a [String],
    ) -> StoreFuture<'a, Vec<Option<RepositoryRecord>>> {
        self.fail()
            .unwrap_or_else(|| self.inner.repositories_named(scope, names))
    }

    fn repositories_after<'a>(
        &'a self,
        scope: &'a Scope,
        after: Option<&'a str>,
        limit: usize,
    ) -> StoreFuture<'a, Vec<RepositoryRecord>> {
        self.fail()
            .unwrap_or_else(|| self.inner.repositories_after(scope, after, limit))
    }

    fn update_repository<'a>(
        &'a self,
        scope: &'a Scope,
        name: &'a str,
        change: RepositoryChange,
    ) -> StoreFuture<'a, Updated> {
        self.fail()
            .unwrap_or_else(|| self.inner.update_repository(scope, name, change))
    }

    fn delete_repository<'a>(
        &'a self,
        scope: &'a Scope,
        name: &'a str,
        force: bool,
    ) -> StoreFuture<'a, RepositoryRecord> {
        if let Some(failure) = self.fail() {
            return failure;
        }
        match check_deletable(self.images, force) {
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

#[tokio::test]
async fn a_repository_with_images_is_deleted_only_with_force() {
    let ecr = Ecr::with_store(Scripted {
        images: 2,
        ..Default::default()
    });
    create(&ecr, "app").await;
    let request = DeleteRepositoryRequest {
        repository_name: "app".into(),
        ..Default::default()
    };
    let (kind, message) = failure(ecr.delete_repository(&ctx(), request.clone()).await);
    assert_eq!(kind, "RepositoryNotEmptyException");
    assert_eq!(
        message,
        "The repository with name 'app' in registry with id '123456789012' cannot be deleted because it still contains images"
    );
    assert_eq!(ecr.all_repositories().await.unwrap().len(), 1);

    let forced = DeleteRepositoryRequest {
        force: true,
        ..request
    };
    ecr.delete_repository(&ctx(), forced).await.unwrap();
    assert!(ecr.all_repositories().await.unwrap().is_empty());
}

#[tokio::test]
async fn a_failing_backend_is_a_server_error_not_a_client_one() {
    let ecr = Ecr::with_store(Scripted {
        broken: true,
        ..Default::default()
    });
    let error = ecr
        .create_repository(&ctx(), create_request("app"))
        .await
        .unwrap_err();
    assert_eq!(
        (error.type_name(), error.status()),
        ("ServerException", 500)
    );
    assert_eq!(
        error.message(),
        Some("Berth could not access its repository state: disk on fire")
    );

    let error = ecr
        .describe_repositories(&ctx(), DescribeRepositoriesRequest::default())
        .await
        .unwrap_err();
    assert_eq!(
        (error.type_name(), error.status()),
        ("ServerException", 500)
    );
    let request = TagResourceRequest {
        resource_arn: arn("app"),
        tags: vec![tag("k", "v")],
    };
    let error = ecr.tag_resource(&ctx(), request).await.unwrap_err();
    assert_eq!(
        (error.type_name(), error.status()),
        ("ServerException", 500)
    );
    let error = ecr
        .list_tags_for_resource(
            &ctx(),
            ListTagsForResourceRequest {
                resource_arn: arn("app"),
            },
        )
        .await;
    assert_eq!(error.unwrap_err().type_name(), "ServerException");
}
