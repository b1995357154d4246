//! What the image tests share: an in-memory Berth whose metadata store the test can also
//! reach (to link layers without the layer upload operations), manifests, and calls.

#![allow(dead_code, unused_imports)]

use std::sync::Arc;

use berth_runtime::Timestamp;
use ecr_generated::errors::{
    BatchDeleteImageError, DescribeImagesError, ListImagesError, PutImageError,
};
use ecr_generated::types::{
    BatchDeleteImageRequest, BatchDeleteImageResponse, BatchGetImageRequest, BatchGetImageResponse,
    CreateRepositoryRequest, DescribeImagesFilter, DescribeImagesRequest, DescribeImagesResponse,
    ImageDetail, ImageIdentifier, ImageStatusFilter, ImageTagMutability,
    ImageTagMutabilityExclusionFilter, ImageTagMutabilityExclusionFilterType, ListImagesFilter,
    ListImagesRequest, ListImagesResponse, PutImageRequest, PutImageResponse, TagStatus,
    TargetStorageClass, UpdateImageStorageClassRequest,
};
use ecr_impl::Ecr;
use ecr_impl::auth::TokenKey;
use ecr_impl::store::StoreError;
use ecr_impl::store::blobs::Sha256Digest;
use ecr_impl::store::memory::MemoryMeta;
use ecr_impl::store::memory_blobs::MemoryBlobs;
use ecr_impl::store::meta::{self, LayerRow, MetaStore};
pub use store_suite::common::{
    ACCOUNT, OTHER_ACCOUNT, ctx, failure, not_found_message, scope, valid,
};

pub const DOCKER_MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json";
pub const DOCKER_LIST: &str = "application/vnd.docker.distribution.manifest.list.v2+json";
pub const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
pub const DOCKER_CONFIG: &str = "application/vnd.docker.container.image.v1+json";
pub const DOCKER_LAYER: &str = "application/vnd.docker.image.rootfs.diff.tar.gzip";

/// `sha256:` and the hex digest of `text`: a distinct, valid digest per seed.
pub fn digest_of(text: &str) -> String {
    Sha256Digest::of(text.as_bytes()).to_string()
}

/// A Docker image manifest with these config and layers (digest, size); `extra` is a member
/// Berth does not read, to make otherwise equal manifests distinct.
pub fn docker_manifest(config: (&str, u64), layers: &[(&str, u64)], extra: &str) -> String {
    let layers: Vec<String> = layers
        .iter()
        .map(|(digest, size)| {
            format!(r#"{{"mediaType":"{DOCKER_LAYER}","size":{size},"digest":"{digest}"}}"#)
        })
        .collect();
    format!(
        r#"{{"schemaVersion":2,"mediaType":"{DOCKER_MANIFEST}","x-berth-test":"{extra}","config":{{"mediaType":"{DOCKER_CONFIG}","size":{},"digest":"{}"}},"layers":[{}]}}"#,
        config.1,
        config.0,
        layers.join(",")
    )
}

/// A Docker manifest list of these images (digest, size).
pub fn docker_list(children: &[&str]) -> String {
    let entries: Vec<String> = children
        .iter()
        .map(|digest| {
            format!(
                r#"{{"mediaType":"{DOCKER_MANIFEST}","size":500,"digest":"{digest}","platform":{{"architecture":"amd64","os":"linux"}}}}"#
            )
        })
        .collect();
    format!(
        r#"{{"schemaVersion":2,"mediaType":"{DOCKER_LIST}","manifests":[{}]}}"#,
        entries.join(",")
    )
}

pub fn by_tag(tag: &str) -> ImageIdentifier {
    ImageIdentifier {
        image_digest: None,
        image_tag: Some(valid(tag)),
    }
}

pub fn by_digest(digest: &str) -> ImageIdentifier {
    ImageIdentifier {
        image_digest: Some(digest.to_owned()),
        image_tag: None,
    }
}

pub fn by_both(digest: &str, tag: &str) -> ImageIdentifier {
    ImageIdentifier {
        image_digest: Some(digest.to_owned()),
        image_tag: Some(valid(tag)),
    }
}

/// `(digest, tag)` of identifiers, for compact comparisons.
pub fn pairs(ids: &[ImageIdentifier]) -> Vec<(String, Option<String>)> {
    ids.iter()
        .map(|id| {
            (
                id.image_digest.clone().unwrap_or_default(),
                id.image_tag.as_ref().map(|tag| tag.to_string()),
            )
        })
        .collect()
}

/// An in-memory Berth plus its metadata store.
pub struct Berth {
    pub ecr: Ecr,
    pub meta: Arc<dyn MetaStore>,
}

impl Berth {
    pub fn new() -> Berth {
        let meta: Arc<dyn MetaStore> = Arc::new(MemoryMeta::new());
        let ecr = Ecr::new(
            meta.clone(),
            Arc::new(MemoryBlobs::new()),
            TokenKey::generate().expect("a random source"),
        );
        Berth { ecr, meta }
    }

    pub async fn repo(&self, name: &str) {
        self.repo_with(name, ImageTagMutability::Mutable, &[]).await;
    }

    pub async fn repo_with(&self, name: &str, mode: ImageTagMutability, filters: &[&str]) {
        let filters = (!filters.is_empty()).then(|| {
            filters
                .iter()
                .map(|filter| ImageTagMutabilityExclusionFilter {
                    filter_type: ImageTagMutabilityExclusionFilterType::Wildcard,
                    filter: valid(filter),
                })
                .collect()
        });
        let request = CreateRepositoryRequest {
            registry_id: None,
            repository_name: valid(name),
            tags: None,
            image_tag_mutability: Some(mode),
            image_tag_mutability_exclusion_filters: filters,
            image_scanning_configuration: None,
            encryption_configuration: None,
        };
        self.ecr
            .create_repository(&ctx(), request)
            .await
            .expect("create succeeds");
    }

    /// Links blob `digest` of `size` bytes into repository `name`, as a completed upload
    /// would.
    pub async fn link_layer(&self, name: &str, digest: &str, size: u64) {
        let name = valid(name);
        let row = LayerRow {
            digest: digest.parse().expect("a sha256 digest"),
            size,
            media_type: None,
            linked_at: Timestamp::now(),
        };
        meta::write(self.meta.as_ref(), move |tx| -> Result<(), StoreError> {
            let repository = tx
                .repository(&scope(), &name)?
                .expect("the repository exists");
            tx.put_layer(repository.id, &row)
        })
        .await
        .expect("the layer is linked");
    }

    /// The layer `digest` of repository `name`, as stored.
    pub async fn layer(&self, name: &str, digest: &str) -> Option<LayerRow> {
        let name = valid(name);
        let digest: Sha256Digest = digest.parse().expect("a sha256 digest");
        meta::read(self.meta.as_ref(), move |tx| -> Result<_, StoreError> {
            let repository = tx
                .repository(&scope(), &name)?
                .expect("the repository exists");
            tx.layer(repository.id, &digest)
        })
        .await
        .expect("the store answers")
    }

    pub async fn put(
        &self,
        name: &str,
        manifest: &str,
        tag: Option<&str>,
    ) -> Result<PutImageResponse, PutImageError> {
        self.ecr
            .put_image(&ctx(), put_request(name, manifest, tag))
            .await
    }

    /// Links a config and a layer made from `seed` and pushes an image of them; its digest.
    pub async fn push(&self, name: &str, seed: &str, tag: Option<&str>) -> String {
        let config = digest_of(&format!("{seed}/config"));
        let layer = digest_of(&format!("{seed}/layer"));
        self.link_layer(name, &config, 10).await;
        self.link_layer(name, &layer, 20).await;
        let manifest = docker_manifest((&config, 10), &[(&layer, 20)], seed);
        self.put(name, &manifest, tag)
            .await
            .expect("the push succeeds");
        digest_of(&manifest)
    }

    pub async fn get(&self, name: &str, ids: Vec<ImageIdentifier>) -> BatchGetImageResponse {
        let request = BatchGetImageRequest {
            registry_id: None,
            repository_name: valid(name),
            image_ids: ids,
            accepted_media_types: None,
        };
        self.ecr
            .batch_get_image(&ctx(), request)
            .await
            .expect("BatchGetImage answers")
    }

    pub async fn try_delete(
        &self,
        name: &str,
        ids: Vec<ImageIdentifier>,
    ) -> Result<BatchDeleteImageResponse, BatchDeleteImageError> {
        let request = BatchDeleteImageRequest {
            registry_id: None,
            repository_name: valid(name),
            image_ids: ids,
        };
        self.ecr.batch_delete_image(&ctx(), request).await
    }

    pub async fn delete(&self, name: &str, ids: Vec<ImageIdentifier>) -> BatchDeleteImageResponse {
        self.try_delete(name, ids)
            .await
            .expect("BatchDeleteImage answers")
    }

    pub async fn list(
        &self,
        name: &str,
        filter: Option<(Option<TagStatus>, Option<ImageStatusFilter>)>,
        max_results: Option<i32>,
        next_token: Option<String>,
    ) -> Result<ListImagesResponse, ListImagesError> {
        let request = ListImagesRequest {
            registry_id: None,
            repository_name: valid(name),
            next_token,
            max_results,
            filter: filter.map(|(tag_status, image_status)| ListImagesFilter {
                tag_status,
                image_status,
            }),
        };
        self.ecr.list_images(&ctx(), request).await
    }

    /// Every ListImages entry, page after page of `page` entries.
    pub async fn list_all(
        &self,
        name: &str,
        filter: Option<(Option<TagStatus>, Option<ImageStatusFilter>)>,
        page: Option<i32>,
    ) -> Vec<(String, Option<String>)> {
        let mut all = Vec::new();
        let mut token = None;
        loop {
            let response = self
                .list(name, filter, page, token)
                .await
                .expect("ListImages answers");
            let ids = response.image_ids.expect("imageIds is always present");
            if let Some(page) = page {
                assert!(ids.len() <= page as usize);
            }
            all.extend(pairs(&ids));
            match response.next_token {
                Some(next) => token = Some(next),
                None => return all,
            }
        }
    }

    pub async fn describe(
        &self,
        name: &str,
        ids: Option<Vec<ImageIdentifier>>,
        filter: Option<(Option<TagStatus>, Option<ImageStatusFilter>)>,
        max_results: Option<i32>,
        next_token: Option<String>,
    ) -> Result<DescribeImagesResponse, DescribeImagesError> {
        let request = DescribeImagesRequest {
            registry_id: None,
            repository_name: valid(name),
            image_ids: ids,
            next_token,
            max_results,
            filter: filter.map(|(tag_status, image_status)| DescribeImagesFilter {
                tag_status,
                image_status,
            }),
        };
        self.ecr.describe_images(&ctx(), request).await
    }

    /// The one image `id` names, described.
    pub async fn detail(&self, name: &str, id: ImageIdentifier) -> ImageDetail {
        let response = self
            .describe(name, Some(vec![id]), None, None, None)
            .await
            .expect("DescribeImages answers");
        let mut details = response.image_details.expect("imageDetails is present");
        assert_eq!(details.len(), 1);
        details.remove(0)
    }

    pub async fn set_storage_class(
        &self,
        name: &str,
        id: ImageIdentifier,
        target: TargetStorageClass,
    ) -> Result<
        ecr_generated::types::UpdateImageStorageClassResponse,
        ecr_generated::errors::UpdateImageStorageClassError,
    > {
        let request = UpdateImageStorageClassRequest {
            registry_id: None,
            repository_name: valid(name),
            image_id: id,
            target_storage_class: target,
        };
        self.ecr.update_image_storage_class(&ctx(), request).await
    }
}

pub fn put_request(name: &str, manifest: &str, tag: Option<&str>) -> PutImageRequest {
    PutImageRequest {
        registry_id: None,
        repository_name: valid(name),
        image_manifest: valid(manifest),
        image_manifest_media_type: None,
        image_tag: tag.map(valid),
        image_digest: None,
    }
}
