use std::sync::Arc;

use ecr_generated::types::{ListTagsForResourceRequest, TagResourceRequest};
use ecr_impl::Ecr;
use tokio::sync::Barrier;

use crate::TestStore;
use crate::common::*;

const CLIENTS: usize = 16;

pub async fn sixteen_creates_of_one_name_make_one_repository(store: TestStore) {
    let ecr = Ecr::with_store(store);
    let start = Arc::new(Barrier::new(CLIENTS));
    let clients: Vec<_> = (0..CLIENTS)
        .map(|_| {
            let (ecr, start) = (ecr.clone(), start.clone());
            tokio::spawn(async move {
                start.wait().await;
                ecr.create_repository(&ctx(), create_request("contested"))
                    .await
            })
        })
        .collect();
    let mut created = 0;
    for client in clients {
        match client.await.expect("the client task finishes") {
            Ok(_) => created += 1,
            Err(error) => {
                let (kind, message) = failure::<(), _>(Err(error));
                assert_eq!(kind, "RepositoryAlreadyExistsException");
                assert_eq!(
                    message,
                    "The repository with name 'contested' already exists in the registry with id '123456789012'"
                );
            }
        }
    }
    assert_eq!(created, 1);
    assert_eq!(ecr.all_repositories().await.unwrap().len(), 1);
}

pub async fn concurrent_tagging_never_exceeds_the_limit_or_loses_a_tag(store: TestStore) {
    let ecr = Ecr::with_store(store);
    create(&ecr, "app").await;
    const TAGS_PER_CLIENT: usize = 4;
    let start = Arc::new(Barrier::new(CLIENTS));
    let clients: Vec<_> = (0..CLIENTS)
        .map(|client| {
            let (ecr, start) = (ecr.clone(), start.clone());
            tokio::spawn(async move {
                let tags = (0..TAGS_PER_CLIENT)
                    .map(|i| tag(&format!("client{client}-{i}"), "v"))
                    .collect();
                start.wait().await;
                ecr.tag_resource(
                    &ctx(),
                    TagResourceRequest {
                        resource_arn: arn("app"),
                        tags,
                    },
                )
                .await
                .is_ok()
            })
        })
        .collect();
    let mut accepted = 0;
    for client in clients {
        accepted += usize::from(client.await.expect("the client task finishes"));
    }
    // 16 clients x 4 new tags = 64: exactly the first 12 requests fit in 50.
    assert_eq!(accepted, 50 / TAGS_PER_CLIENT);
    let listed = ecr
        .list_tags_for_resource(
            &ctx(),
            ListTagsForResourceRequest {
                resource_arn: arn("app"),
            },
        )
        .await;
    assert_eq!(
        listed.unwrap().tags.map(|tags| tags.len()),
        Some(accepted * TAGS_PER_CLIENT)
    );
}
