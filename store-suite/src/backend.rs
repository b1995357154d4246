//! What the operations make of state written straight into the backend (an image), and of
//! a failing backend, injected by [`TestStore`].

use berth_runtime::error::ErrorResponse;
use ecr_generated::types::{
    DeleteRepositoryRequest, DescribeRepositoriesRequest, ListTagsForResourceRequest,
    TagResourceRequest,
};
use ecr_impl::Ecr;
use ecr_impl::store::StoreError;
use ecr_impl::store::blobs::Sha256Digest;
use ecr_impl::store::meta::{self, ImageRow, ImageStatus};

use crate::TestStore;
use crate::common::*;

pub async fn a_repository_with_images_is_deleted_only_with_force(store: TestStore) {
    let backend = store.backend();
    let ecr = Ecr::with_store(store);
    create(&ecr, "app").await;
    // An untagged image, written as PutImage would store one.
    let scope = scope();
    meta::write(backend.as_ref(), move |tx| {
        let repository = tx.repository(&scope, &"app".parse().unwrap())?.unwrap();
        let manifest = bytes::Bytes::from_static(b"{}");
        let row = ImageRow {
            digest: Sha256Digest::of(&manifest),
            media_type: "application/vnd.oci.image.manifest.v1+json".into(),
            artifact_media_type: None,
            size_in_bytes: 0,
            pushed_at: berth_runtime::Timestamp::now(),
            last_pulled_at: None,
            status: ImageStatus::Active,
            last_archived_at: None,
            last_activated_at: None,
            subject: None,
            push_sequence: 0,
        };
        tx.insert_image(repository.id, &row, &manifest, &[])?;
        Ok::<_, StoreError>(())
    })
    .await
    .unwrap();
    let request = DeleteRepositoryRequest {
        repository_name: "app".parse().unwrap(),
        registry_id: None,
        force: false,
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

pub async fn a_failing_backend_is_a_server_error_not_a_client_one(store: TestStore) {
    let ecr = Ecr::with_store(store.unavailable("disk on fire"));
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
