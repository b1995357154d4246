//! What the SQLite backend keeps across a restart (a close and a reopen of the same data
//! directory: repositories, and images pushed through PutImage), and the directories it
//! refuses: locked, newer schema, not Berth's, damaged.
//! The crash test (SIGKILL during a write storm) runs the real binary: berth/tests/durable.rs.

mod support;

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;
use std::sync::Arc;

use berth_runtime::RequestContext;
use berth_runtime::error::ErrorResponse;
use ecr_generated::types::{
    BatchGetImageRequest, DescribeImagesRequest, Image, ImageDetail, ImageIdentifier,
    PutImageRequest,
};
use ecr_generated::types::{
    CreateRepositoryRequest, DeleteRepositoryPolicyRequest, DeleteRepositoryRequest,
    DescribeRepositoriesRequest, EncryptionConfiguration, EncryptionType,
    GetRepositoryPolicyRequest, ImageScanningConfiguration, ImageTagMutability,
    ImageTagMutabilityExclusionFilter, ImageTagMutabilityExclusionFilterType,
    ListTagsForResourceRequest, PutImageScanningConfigurationRequest, PutImageTagMutabilityRequest,
    Repository, SetRepositoryPolicyRequest, Tag, TagResourceRequest, UntagResourceRequest,
};
use ecr_impl::Ecr;
use ecr_impl::auth::TokenKey;
use ecr_impl::store::blobs::Sha256Digest;
use ecr_impl::store::memory_blobs::MemoryBlobs;
use ecr_impl::store::meta::{self, LayerRow, MetaStore};
use ecr_impl::store::{Scope, StoreError};
use storage_sqlite::layout::{DATABASE_FILE, LOCK_FILE};
use storage_sqlite::schema::{self, APPLICATION_ID};
use storage_sqlite::{OpenError, SqliteStore};
use support::{TempDir, refused};

const ACCOUNT: &str = "123456789012";
const OTHER_ACCOUNT: &str = "210987654321";
const POLICY: &str = r#"{"Version":"2012-10-17","Statement":[{"Sid":"CrossAccountPull","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":["ecr:BatchGetImage","ecr:GetDownloadUrlForLayer"]}]}"#;
/// Small pages, so the restored page order is checked across several pages.
const PAGE_SIZE: i32 = 2;

fn open(dir: &Path) -> Ecr {
    Ecr::with_store(SqliteStore::open(dir).expect("the data directory opens"))
}

fn context(account_id: &str, region: &str) -> RequestContext {
    RequestContext {
        account_id: account_id.into(),
        region: region.into(),
        request_id: "test-request".into(),
        operation: "",
        endpoint: String::new(),
    }
}

/// Three registries: two regions of one account, and another account.
fn registries() -> [RequestContext; 3] {
    [
        context(ACCOUNT, "us-east-1"),
        context(ACCOUNT, "eu-west-1"),
        context(OTHER_ACCOUNT, "us-east-1"),
    ]
}

fn tag(key: &str, value: &str) -> Tag {
    Tag {
        key: key.into(),
        value: value.into(),
    }
}

fn arn(ctx: &RequestContext, name: &str) -> String {
    format!(
        "arn:aws:ecr:{}:{}:repository/{name}",
        ctx.region, ctx.account_id
    )
}

fn create_request(name: &str) -> CreateRepositoryRequest {
    CreateRepositoryRequest {
        repository_name: name.parse().unwrap(),
        registry_id: None,
        tags: None,
        image_tag_mutability: None,
        image_tag_mutability_exclusion_filters: None,
        image_scanning_configuration: None,
        encryption_configuration: None,
    }
}

/// Every operation that changes state, in each registry: creates with and without
/// settings, tags and policies; updates of each kind; a deleted policy and repository.
async fn populate(ecr: &Ecr) {
    for ctx in registries() {
        let full = CreateRepositoryRequest {
            tags: Some(vec![tag("team", "core"), tag("env", "prod")]),
            image_tag_mutability: Some(ImageTagMutability::ImmutableWithExclusion),
            image_tag_mutability_exclusion_filters: Some(vec![
                ImageTagMutabilityExclusionFilter {
                    filter_type: ImageTagMutabilityExclusionFilterType::Wildcard,
                    filter: "latest".parse().unwrap(),
                },
                ImageTagMutabilityExclusionFilter {
                    filter_type: ImageTagMutabilityExclusionFilterType::Wildcard,
                    filter: "dev-*".parse().unwrap(),
                },
            ]),
            image_scanning_configuration: Some(ImageScanningConfiguration { scan_on_push: true }),
            encryption_configuration: Some(EncryptionConfiguration {
                encryption_type: EncryptionType::Kms,
                kms_key: None,
            }),
            ..create_request("team/app")
        };
        ecr.create_repository(&ctx, full).await.unwrap();
        for name in ["z-last", "a-first", "m-mid", "gone"] {
            ecr.create_repository(&ctx, create_request(name))
                .await
                .unwrap();
        }
        let mutability = PutImageTagMutabilityRequest {
            registry_id: None,
            repository_name: "m-mid".parse().unwrap(),
            image_tag_mutability: ImageTagMutability::Immutable,
            image_tag_mutability_exclusion_filters: None,
        };
        ecr.put_image_tag_mutability(&ctx, mutability)
            .await
            .unwrap();
        let scanning = PutImageScanningConfigurationRequest {
            repository_name: "a-first".parse().unwrap(),
            image_scanning_configuration: ImageScanningConfiguration { scan_on_push: true },
            registry_id: None,
        };
        ecr.put_image_scanning_configuration(&ctx, scanning)
            .await
            .unwrap();
        for name in ["team/app", "z-last"] {
            let policy = SetRepositoryPolicyRequest {
                repository_name: name.parse().unwrap(),
                policy_text: POLICY.parse().unwrap(),
                registry_id: None,
                force: false,
            };
            ecr.set_repository_policy(&ctx, policy).await.unwrap();
        }
        let delete_policy = DeleteRepositoryPolicyRequest {
            repository_name: "z-last".parse().unwrap(),
            registry_id: None,
        };
        ecr.delete_repository_policy(&ctx, delete_policy)
            .await
            .unwrap();
        // Tags end in first-added order k1, k3, k4, with k1's value replaced.
        let tagging = [
            vec![tag("k1", "v1"), tag("k2", "v2"), tag("k3", "v3")],
            vec![tag("k1", "changed"), tag("k4", "v4")],
        ];
        for (round, tags) in tagging.into_iter().enumerate() {
            let request = TagResourceRequest {
                resource_arn: arn(&ctx, "a-first"),
                tags,
            };
            ecr.tag_resource(&ctx, request).await.unwrap();
            if round == 0 {
                let untag = UntagResourceRequest {
                    resource_arn: arn(&ctx, "a-first"),
                    tag_keys: vec!["k2".into()],
                };
                ecr.untag_resource(&ctx, untag).await.unwrap();
            }
        }
        let delete = DeleteRepositoryRequest {
            repository_name: "gone".parse().unwrap(),
            registry_id: None,
            force: false,
        };
        ecr.delete_repository(&ctx, delete).await.unwrap();
    }
}

/// Everything a client can see, as it sees it.
#[derive(Debug, PartialEq)]
struct Snapshot {
    /// Per registry: DescribeRepositories page after page, with the tokens.
    pages: Vec<Vec<(Vec<Repository>, Option<String>)>>,
    /// Per repository ARN: its tags, and its policy (or the error's type).
    tags: BTreeMap<String, Vec<Tag>>,
    policies: BTreeMap<String, Result<String, String>>,
    /// The admin view of every registry.
    admin: Vec<Repository>,
}

async fn snapshot(ecr: &Ecr) -> Snapshot {
    let mut snapshot = Snapshot {
        pages: Vec::new(),
        tags: BTreeMap::new(),
        policies: BTreeMap::new(),
        admin: ecr.all_repositories().await.unwrap(),
    };
    for ctx in registries() {
        let mut pages = Vec::new();
        let mut token = None;
        loop {
            let request = DescribeRepositoriesRequest {
                max_results: Some(PAGE_SIZE),
                next_token: token.clone(),
                ..Default::default()
            };
            let page = ecr.describe_repositories(&ctx, request).await.unwrap();
            token = page.next_token.clone();
            let repositories = page.repositories.unwrap_or_default();
            for repository in &repositories {
                let name = repository.repository_name.clone().unwrap();
                let resource_arn = arn(&ctx, &name);
                let tags = ecr
                    .list_tags_for_resource(
                        &ctx,
                        ListTagsForResourceRequest {
                            resource_arn: resource_arn.clone(),
                        },
                    )
                    .await
                    .unwrap()
                    .tags
                    .unwrap_or_default();
                let request = GetRepositoryPolicyRequest {
                    repository_name: name,
                    registry_id: None,
                };
                let policy = match ecr.get_repository_policy(&ctx, request).await {
                    Ok(response) => Ok(response.policy_text.unwrap().into_inner()),
                    Err(error) => Err(error.type_name().to_owned()),
                };
                snapshot.tags.insert(resource_arn.clone(), tags);
                snapshot.policies.insert(resource_arn, policy);
            }
            pages.push((repositories, token.clone()));
            if token.is_none() {
                break;
            }
        }
        snapshot.pages.push(pages);
    }
    snapshot
}

#[tokio::test]
async fn a_restart_keeps_every_operations_state() {
    let dir = TempDir::new("restart");
    let ecr = open(dir.path());
    populate(&ecr).await;
    let before = snapshot(&ecr).await;
    drop(ecr);

    // What populate did is there, so the comparison below compares something.
    assert_eq!(before.admin.len(), 3 * 4);
    let first = &before.pages[0];
    let names: Vec<_> = first
        .iter()
        .flat_map(|(page, _)| page.iter().map(|r| r.repository_name.clone().unwrap()))
        .collect();
    assert_eq!(names, ["a-first", "m-mid", "team/app", "z-last"]);
    let ctx = &registries()[0];
    assert_eq!(
        before.tags[&arn(ctx, "a-first")],
        [tag("k1", "changed"), tag("k3", "v3"), tag("k4", "v4")]
    );
    assert_eq!(
        before.tags[&arn(ctx, "team/app")],
        [tag("team", "core"), tag("env", "prod")]
    );
    assert!(before.policies[&arn(ctx, "team/app")].is_ok());
    assert_eq!(
        before.policies[&arn(ctx, "z-last")],
        Err("RepositoryPolicyNotFoundException".to_owned())
    );
    assert!(before.admin.iter().all(|r| r.created_at.is_some()));

    let ecr = open(dir.path());
    let after = snapshot(&ecr).await;
    // Repository equality covers createdAt to the millisecond, every setting, the URI.
    assert_eq!(after, before);
}

#[tokio::test]
async fn a_page_token_from_before_a_restart_continues_after_it() {
    let dir = TempDir::new("token");
    let ecr = open(dir.path());
    let ctx = &registries()[0];
    for name in ["aa", "bb", "cc", "dd"] {
        ecr.create_repository(ctx, create_request(name))
            .await
            .unwrap();
    }
    let first = DescribeRepositoriesRequest {
        max_results: Some(PAGE_SIZE),
        ..Default::default()
    };
    let token = ecr
        .describe_repositories(ctx, first.clone())
        .await
        .unwrap()
        .next_token;
    drop(ecr);

    let ecr = open(dir.path());
    let second = ecr
        .describe_repositories(
            ctx,
            DescribeRepositoriesRequest {
                next_token: token,
                ..first
            },
        )
        .await
        .unwrap();
    let names: Vec<_> = second
        .repositories
        .unwrap()
        .into_iter()
        .map(|r| r.repository_name.unwrap())
        .collect();
    assert_eq!(names, ["cc", "dd"]);
    assert_eq!(second.next_token, None);
}

#[tokio::test]
async fn a_reset_is_kept_too() {
    let dir = TempDir::new("reset");
    let ecr = open(dir.path());
    populate(&ecr).await;
    ecr.reset().await.unwrap();
    drop(ecr);

    let ecr = open(dir.path());
    assert_eq!(ecr.all_repositories().await.unwrap(), []);
    // The names are free again.
    let ctx = &registries()[0];
    ecr.create_repository(ctx, create_request("team/app"))
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_changes_are_all_kept() {
    const CLIENTS: usize = 16;
    const EACH: usize = 20;
    let dir = TempDir::new("concurrent");
    let ecr = open(dir.path());
    let clients: Vec<_> = (0..CLIENTS)
        .map(|client| {
            let ecr = ecr.clone();
            tokio::spawn(async move {
                let ctx = &registries()[client % 3];
                for i in 0..EACH {
                    let request = CreateRepositoryRequest {
                        tags: Some(vec![tag("client", &client.to_string())]),
                        ..create_request(&format!("c{client}/r{i}"))
                    };
                    ecr.create_repository(ctx, request).await.unwrap();
                }
            })
        })
        .collect();
    for client in clients {
        client.await.unwrap();
    }
    let before = snapshot(&ecr).await;
    drop(ecr);

    let after = snapshot(&open(dir.path())).await;
    assert_eq!(after.admin.len(), CLIENTS * EACH);
    assert_eq!(after, before);
}

/// A directory with a closed Berth database holding one repository.
async fn used_directory(purpose: &str) -> TempDir {
    let dir = TempDir::new(purpose);
    let ecr = open(dir.path());
    ecr.create_repository(&registries()[0], create_request("app"))
        .await
        .unwrap();
    drop(ecr);
    dir
}

#[tokio::test]
async fn a_second_store_on_a_directory_is_refused_until_the_first_closes() {
    let dir = TempDir::new("lock");
    let first = SqliteStore::open(dir.path()).unwrap();
    let error = refused(dir.path());
    assert!(matches!(error, OpenError::Locked { .. }), "{error:?}");
    let message = error.to_string();
    assert!(
        message.contains("another Berth is already using this data directory")
            && message.contains(LOCK_FILE),
        "{message}"
    );
    drop(first);
    SqliteStore::open(dir.path()).expect("free once the first store is closed");
}

#[tokio::test]
async fn a_newer_schema_is_refused_and_left_untouched() {
    let dir = used_directory("newer").await;
    let newer = schema::latest_version() + 1;
    let conn = rusqlite::Connection::open(dir.path().join(DATABASE_FILE)).unwrap();
    conn.pragma_update(None, "user_version", i64::from(newer))
        .unwrap();
    drop(conn);

    let error = refused(dir.path());
    let message = error.to_string();
    assert!(
        matches!(error, OpenError::NewerSchema { found, .. } if found == newer),
        "{error:?}"
    );
    assert!(
        message.contains("written by a newer Berth")
            && message.contains(&format!("schema version {newer}"))
            && message.contains("left untouched"),
        "{message}"
    );
}

#[tokio::test]
async fn a_database_that_is_not_berths_is_refused() {
    let dir = TempDir::new("foreign");
    let conn = rusqlite::Connection::open(dir.path().join(DATABASE_FILE)).unwrap();
    conn.execute_batch("CREATE TABLE notes (text TEXT)")
        .unwrap();
    drop(conn);
    let error = refused(dir.path());
    assert!(
        matches!(
            error,
            OpenError::NotBerth {
                application_id: 0,
                ..
            }
        ),
        "{error:?}"
    );
    assert!(error.to_string().contains("not Berth's"), "{error}");
}

/// Overwrites `len` bytes of the database at `offset` with a pattern that is no SQLite
/// structure.
fn scribble(dir: &Path, offset: usize, len: usize) {
    let path = dir.join(DATABASE_FILE);
    let mut bytes = fs::read(&path).unwrap();
    let end = (offset + len).min(bytes.len());
    for (i, byte) in bytes[offset..end].iter_mut().enumerate() {
        *byte = (i as u8).wrapping_mul(37).wrapping_add(11);
    }
    fs::write(&path, bytes).unwrap();
}

#[tokio::test]
async fn a_damaged_database_is_refused_and_left_untouched() {
    // Garbage from the first byte: not a database at all. The directory has no lock file
    // either, so the refusal also removes the one it made.
    let dir = TempDir::new("garbage");
    fs::write(dir.path().join(DATABASE_FILE), vec![0x5a; 8192]).unwrap();
    let error = refused(dir.path());
    assert!(matches!(error, OpenError::Damaged { .. }), "{error:?}");
    assert!(
        error
            .to_string()
            .contains("does not start with SQLite's header"),
        "{error}"
    );
    assert!(!dir.path().join(LOCK_FILE).exists());

    // A sound header over damaged pages: SQLite's integrity check finds it.
    let dir = used_directory("pages").await;
    let page_size = 4096;
    scribble(dir.path(), page_size, usize::MAX / 2);
    let error = refused(dir.path());
    assert!(matches!(error, OpenError::Damaged { .. }), "{error:?}");
    let message = error.to_string();
    assert!(
        message.contains("is damaged") && message.contains("left untouched"),
        "{message}"
    );

    // Cut short.
    let dir = used_directory("short").await;
    let path = dir.path().join(DATABASE_FILE);
    let bytes = fs::read(&path).unwrap();
    fs::write(&path, &bytes[..10]).unwrap();
    let error = refused(dir.path());
    assert!(error.to_string().contains("too short"), "{error}");
}

#[tokio::test]
async fn a_damaged_row_is_a_server_error_not_a_panic() {
    let dir = used_directory("row").await;
    let conn = rusqlite::Connection::open(dir.path().join(DATABASE_FILE)).unwrap();
    conn.execute("UPDATE repositories SET tags = 'not json'", [])
        .unwrap();
    drop(conn);

    let ecr = open(dir.path());
    let ctx = &registries()[0];
    let error = ecr
        .describe_repositories(ctx, DescribeRepositoriesRequest::default())
        .await
        .unwrap_err();
    assert_eq!(
        (error.type_name(), error.status()),
        ("ServerException", 500)
    );
    let message = error.message().unwrap_or_default().to_owned();
    assert!(
        message.contains("the stored repository 'app' is damaged"),
        "{message}"
    );
}

#[test]
fn the_application_id_spells_brth() {
    assert_eq!(APPLICATION_ID.to_be_bytes(), *b"BRTH");
}

#[tokio::test]
async fn a_directory_name_with_uri_characters_works() {
    let dir = TempDir::new("uri");
    let data = dir.path().join("we?ird #dir%20");
    let ecr = open(&data);
    ecr.create_repository(&registries()[0], create_request("app"))
        .await
        .unwrap();
    drop(ecr);
    // The reopen inspects the closed database through a `file:` URI of this path.
    let ecr = open(&data);
    assert_eq!(ecr.all_repositories().await.unwrap().len(), 1);
}

/// Opens `dir` with a handle on its metadata store, to link layers as a completed upload
/// would (the upload operations are not part of this crate's concern).
fn open_with_meta(dir: &Path) -> (Ecr, Arc<dyn MetaStore>) {
    let meta: Arc<dyn MetaStore> = Arc::new(SqliteStore::open(dir).expect("the directory opens"));
    let key = TokenKey::generate().expect("a random source");
    (
        Ecr::new(meta.clone(), Arc::new(MemoryBlobs::new()), key),
        meta,
    )
}

/// What BatchGetImage and DescribeImages answer for tag `v1` and the untagged image.
async fn images_seen(ecr: &Ecr, ctx: &RequestContext) -> (Vec<Image>, Vec<ImageDetail>) {
    let ids = vec![ImageIdentifier {
        image_tag: Some("v1".parse().unwrap()),
        image_digest: None,
    }];
    let get = BatchGetImageRequest {
        registry_id: None,
        repository_name: "app".parse().unwrap(),
        image_ids: ids,
        accepted_media_types: None,
    };
    let images = ecr.batch_get_image(ctx, get).await.unwrap().images.unwrap();
    let describe = DescribeImagesRequest {
        registry_id: None,
        repository_name: "app".parse().unwrap(),
        image_ids: None,
        next_token: None,
        max_results: None,
        filter: None,
    };
    let mut details = ecr
        .describe_images(ctx, describe)
        .await
        .unwrap()
        .image_details
        .unwrap();
    // A pull (BatchGetImage) sets the pull time: compared apart, not across the restart.
    for detail in &mut details {
        detail.last_recorded_pull_time = None;
    }
    (images, details)
}

#[tokio::test]
async fn pushed_images_and_their_tags_survive_a_restart_byte_for_byte() {
    let dir = TempDir::new("images-restart");
    let ctx = context(ACCOUNT, "us-east-1");
    let (ecr, meta) = open_with_meta(dir.path());
    ecr.create_repository(&ctx, create_request("app"))
        .await
        .unwrap();
    let blob = |seed: &str| Sha256Digest::of(seed.as_bytes());
    let (config, layer) = (blob("config"), blob("layer"));
    let scope = Scope::of_caller(&ctx).unwrap();
    meta::write(meta.as_ref(), move |tx| -> Result<(), StoreError> {
        let repository = tx.repository(&scope, &"app".parse().unwrap())?.unwrap();
        for (digest, size) in [(config, 7), (layer, 1234)] {
            let row = LayerRow {
                digest,
                size,
                media_type: None,
                linked_at: berth_runtime::Timestamp::now(),
            };
            tx.put_layer(repository.id, &row)?;
        }
        Ok(())
    })
    .await
    .unwrap();
    // Spelled as a client may send it (spaces, key order): kept byte for byte.
    let manifest = |extra: &str| {
        format!(
            r#"{{ "schemaVersion": 2, "mediaType": "application/vnd.docker.distribution.manifest.v2+json", "x": "{extra}",
  "config": {{"mediaType": "application/vnd.docker.container.image.v1+json", "size": 7, "digest": "{config}"}},
  "layers": [{{"mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip", "size": 1234, "digest": "{layer}"}}]}}"#
        )
    };
    for (extra, tag) in [("tagged", Some("v1")), ("untagged", None)] {
        let request = PutImageRequest {
            registry_id: None,
            repository_name: "app".parse().unwrap(),
            image_manifest: manifest(extra).parse().unwrap(),
            image_manifest_media_type: None,
            image_tag: tag.map(|tag| tag.parse().unwrap()),
            image_digest: None,
        };
        ecr.put_image(&ctx, request).await.unwrap();
    }
    let before = images_seen(&ecr, &ctx).await;
    assert_eq!(before.0.len(), 1);
    assert_eq!(
        before.0[0].image_manifest.as_deref(),
        Some(manifest("tagged").as_str())
    );
    assert_eq!(before.1.len(), 2);
    drop((ecr, meta));

    let (ecr, _meta) = open_with_meta(dir.path());
    assert_eq!(images_seen(&ecr, &ctx).await, before);
}
