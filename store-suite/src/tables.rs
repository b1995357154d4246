//! The metadata tables themselves, through jobs, as every backend must keep them: what a
//! job writes is read back exactly; a job that fails keeps nothing; deletes cascade; pages
//! come in their order from any cursor; ids are never reused.

use berth_runtime::Timestamp;
use bytes::Bytes;
use ecr_generated::types::{EncryptionConfiguration, EncryptionType, ImageTagMutability};
use ecr_generated::types::{ImageTag, RepositoryName};
use ecr_impl::store::blobs::{Sha256Digest, UploadId};
use ecr_impl::store::meta::{
    self, ImagePosition, ImageRow, ImageStatus, LayerRow, MetaStore, Reference, RepoId, UploadRow,
};
use ecr_impl::store::{RepositoryRecord, StoreError, TagMutability};

use crate::TestStore;
use crate::common::*;

fn record(name: &str) -> RepositoryRecord {
    RepositoryRecord {
        name: valid(name),
        created_at: Timestamp::from_epoch_millis(1_700_000_000_000),
        tag_mutability: TagMutability {
            mode: ImageTagMutability::Mutable,
            exclusion_filters: Vec::new(),
        },
        scan_on_push: false,
        encryption: EncryptionConfiguration {
            encryption_type: EncryptionType::Aes256,
            kms_key: None,
        },
        tags: Vec::new(),
        policy_text: None,
    }
}

fn digest(n: u8) -> Sha256Digest {
    Sha256Digest::of(&[n])
}

fn image(n: u8, pushed_ms: i64) -> ImageRow {
    ImageRow {
        digest: digest(n),
        media_type: "application/vnd.oci.image.manifest.v1+json".into(),
        artifact_media_type: Some("application/vnd.oci.image.config.v1+json".into()),
        size_in_bytes: u64::from(n) * 1000,
        pushed_at: Timestamp::from_epoch_millis(pushed_ms),
        last_pulled_at: None,
        status: ImageStatus::Active,
        last_archived_at: None,
        last_activated_at: None,
        subject: None,
        push_sequence: 0,
    }
}

/// `row` as the store keeps it when it was the repository's `nth` push.
fn pushed(row: ImageRow, nth: u64) -> ImageRow {
    ImageRow {
        push_sequence: nth,
        ..row
    }
}

fn manifest(n: u8) -> Bytes {
    Bytes::from(format!("{{\"n\": {n}}}\n"))
}

fn tag(text: &str) -> ImageTag {
    valid(text)
}

/// Creates repository `name` in the default registry; its id.
async fn repository(store: &dyn MetaStore, name: &str) -> RepoId {
    let (scope, record) = (scope(), record(name));
    meta::write(store, move |tx| tx.insert_repository(&scope, &record))
        .await
        .unwrap()
}

async fn read<T: Send + 'static>(
    store: &dyn MetaStore,
    job: impl FnMut(&mut dyn meta::ReadTx) -> Result<T, StoreError> + Send + 'static,
) -> T {
    meta::read(store, job).await.unwrap()
}

async fn write<T: Send + 'static>(
    store: &dyn MetaStore,
    job: impl FnMut(&mut dyn meta::Tx) -> Result<T, StoreError> + Send + 'static,
) -> T {
    meta::write(store, job).await.unwrap()
}

pub async fn images_tags_and_references_read_back_exactly(store: TestStore) {
    let store = store.backend();
    let store = store.as_ref();
    let repo = repository(store, "app").await;
    write(store, move |tx| {
        tx.put_layer(
            repo,
            &LayerRow {
                digest: digest(100),
                size: 5,
                media_type: None,
                linked_at: Timestamp::from_epoch_millis(7),
            },
        )?;
        tx.insert_image(
            repo,
            &image(1, 10),
            &manifest(1),
            &[Reference::Layer(digest(100))],
        )?;
        let mut index = image(2, 20);
        index.artifact_media_type = None;
        tx.insert_image(
            repo,
            &index,
            &manifest(2),
            &[Reference::Manifest(digest(1))],
        )?;
        let mut referrer = image(3, 30);
        referrer.subject = Some(digest(1));
        tx.insert_image(repo, &referrer, &manifest(3), &[])?;
        tx.set_tag(repo, &tag("b"), &digest(1))?;
        tx.set_tag(repo, &tag("a"), &digest(1))?;
        tx.set_tag(repo, &tag("idx"), &digest(2))
    })
    .await;

    let (one, bytes, tags, parents, referrers, used, unused, count) = read(store, move |tx| {
        Ok((
            tx.image(repo, &digest(1))?,
            tx.manifest(repo, &digest(1))?,
            tx.tags_of(repo, &digest(1))?,
            tx.parents(repo, &digest(1))?,
            tx.referrers_after(repo, &digest(1), None, 10)?,
            tx.layer_referenced(repo, &digest(100))?,
            tx.layer_referenced(repo, &digest(101))?,
            tx.image_count(repo)?,
        ))
    })
    .await;
    assert_eq!(one, Some(pushed(image(1, 10), 1)));
    assert_eq!(bytes, Some(manifest(1)));
    assert_eq!(tags, vec![tag("b"), tag("a")], "in the order they were set");
    assert_eq!(parents, vec![digest(2)]);
    assert_eq!(
        referrers.iter().map(|r| r.digest).collect::<Vec<_>>(),
        vec![digest(3)]
    );
    assert!(used && !unused);
    assert_eq!(count, 3);

    // A tag moves; the image it left keeps its others; updates keep what the manifest said.
    write(store, move |tx| {
        tx.set_tag(repo, &tag("b"), &digest(3))?;
        let mut pulled = image(1, 10);
        pulled.last_pulled_at = Some(Timestamp::from_epoch_millis(99));
        pulled.status = ImageStatus::Archived;
        tx.update_image(repo, &pulled)
    })
    .await;
    let (one, tags1, tags3, target) = read(store, move |tx| {
        Ok((
            tx.image(repo, &digest(1))?.unwrap(),
            tx.tags_of(repo, &digest(1))?,
            tx.tags_of(repo, &digest(3))?,
            tx.tag(repo, &tag("b"))?,
        ))
    })
    .await;
    assert_eq!(one.last_pulled_at, Some(Timestamp::from_epoch_millis(99)));
    assert_eq!(one.status, ImageStatus::Archived);
    assert_eq!(one.pushed_at, Timestamp::from_epoch_millis(10));
    assert_eq!(tags1, vec![tag("a")]);
    assert_eq!(tags3, vec![tag("b")]);
    assert_eq!(target, Some(digest(3)));

    // Deleting an image takes its tags and references with it.
    write(store, move |tx| tx.delete_image(repo, &digest(2))).await;
    let (gone, idx, parents) = read(store, move |tx| {
        Ok((
            tx.image(repo, &digest(2))?,
            tx.tag(repo, &tag("idx"))?,
            tx.parents(repo, &digest(1))?,
        ))
    })
    .await;
    assert_eq!((gone, idx), (None, None));
    assert!(parents.is_empty());
}

pub async fn a_failed_job_keeps_none_of_its_writes(store: TestStore) {
    let store = store.backend();
    let store = store.as_ref();
    let repo = repository(store, "app").await;
    let scope = scope();
    let outcome: Result<(), StoreError> = meta::write(store, move |tx| {
        tx.insert_image(repo, &image(1, 10), &manifest(1), &[])?;
        tx.set_tag(repo, &tag("v1"), &digest(1))?;
        tx.insert_repository(&scope, &record("other"))?;
        tx.delete_repository(repo)?;
        Err(StoreError::RepositoryNotEmpty)
    })
    .await;
    assert_eq!(outcome, Err(StoreError::RepositoryNotEmpty));
    let scope = crate::common::scope();
    let (app, other, count, tagged) = read(store, move |tx| {
        Ok((
            tx.repository(&scope, &valid::<RepositoryName>("app"))?,
            tx.repository(&scope, &valid::<RepositoryName>("other"))?,
            tx.image_count(repo)?,
            tx.tag(repo, &tag("v1"))?,
        ))
    })
    .await;
    assert_eq!(app.map(|row| row.id), Some(repo));
    assert_eq!(other, None);
    assert_eq!((count, tagged), (0, None));
}

pub async fn deleting_a_repository_takes_everything_in_it_and_ids_are_not_reused(store: TestStore) {
    let store = store.backend();
    let store = store.as_ref();
    let repo = repository(store, "app").await;
    let upload = UploadId::random();
    write(store, move |tx| {
        tx.put_layer(
            repo,
            &LayerRow {
                digest: digest(100),
                size: 5,
                media_type: Some("application/vnd.oci.image.layer.v1.tar".into()),
                linked_at: Timestamp::from_epoch_millis(7),
            },
        )?;
        tx.insert_image(
            repo,
            &image(1, 10),
            &manifest(1),
            &[Reference::Layer(digest(100))],
        )?;
        tx.set_tag(repo, &tag("v1"), &digest(1))?;
        tx.put_upload(&UploadRow {
            id: upload,
            repository: repo,
            received: 0,
            parts: 0,
            last_part_size: 0,
            short_part: false,
            started_at: Timestamp::from_epoch_millis(5),
        })
    })
    .await;
    assert!(read(store, |tx| tx.blob_linked(&digest(100))).await);

    write(store, move |tx| tx.delete_repository(repo)).await;
    let again = repository(store, "app").await;
    assert_ne!(again, repo, "a re-created repository gets a new id");
    let (count, layer, linked, pending, tagged) = read(store, move |tx| {
        Ok((
            tx.image_count(again)?,
            tx.layer(again, &digest(100))?,
            tx.blob_linked(&digest(100))?,
            tx.upload(&upload)?,
            tx.tag(again, &tag("v1"))?,
        ))
    })
    .await;
    assert_eq!(count, 0);
    assert_eq!(layer, None);
    assert!(!linked);
    assert_eq!(pending, None);
    assert_eq!(tagged, None);
}

pub async fn image_pages_follow_push_time_then_digest_from_any_cursor(store: TestStore) {
    let store = store.backend();
    let store = store.as_ref();
    let repo = repository(store, "app").await;
    // Pushed out of order, two at the same millisecond.
    let pushes: Vec<(u8, i64)> = vec![(5, 50), (1, 10), (9, 30), (3, 30), (7, 70), (2, 20)];
    let rows: Vec<ImageRow> = pushes.iter().map(|&(n, t)| image(n, t)).collect();
    let inserted = rows.clone();
    write(store, move |tx| {
        for row in &inserted {
            tx.insert_image(repo, row, &manifest(row.digest.as_bytes()[0]), &[])?;
        }
        Ok(())
    })
    .await;
    let mut expected: Vec<ImagePosition> = rows.iter().map(ImageRow::position).collect();
    expected.sort();

    let mut seen = Vec::new();
    let mut after: Option<ImagePosition> = None;
    loop {
        let cursor = after;
        let page = read(store, move |tx| tx.images_after(repo, cursor.as_ref(), 4)).await;
        if page.is_empty() {
            break;
        }
        assert!(page.len() <= 4);
        after = page.last().map(ImageRow::position);
        seen.extend(page.iter().map(ImageRow::position));
    }
    assert_eq!(seen, expected);
    let first = read(store, move |tx| tx.images_after(repo, None, 1)).await;
    assert_eq!(first, vec![pushed(image(1, 10), 2)], "rows come back whole");
}

pub async fn push_numbers_follow_the_order_of_pushes_not_of_times_or_digests(store: TestStore) {
    let store = store.backend();
    let store = store.as_ref();
    let repo = repository(store, "app").await;
    let other = repository(store, "other").await;
    // Three pushes in one millisecond, digests out of push order; an older time pushed last.
    let pushes = [(9, 40), (2, 40), (5, 40), (7, 10)];
    write(store, move |tx| {
        for (n, at) in pushes {
            tx.insert_image(repo, &image(n, at), &manifest(n), &[])?;
        }
        tx.insert_image(other, &image(1, 5), &manifest(1), &[])
    })
    .await;
    let numbers = move |ns: Vec<u8>| {
        read(store, move |tx| {
            ns.iter()
                .map(|&n| Ok(tx.image(repo, &digest(n))?.unwrap().push_sequence))
                .collect::<Result<Vec<u64>, StoreError>>()
        })
    };
    let first = numbers(vec![9, 2, 5, 7]).await;
    assert!(first.windows(2).all(|pair| pair[0] < pair[1]), "{first:?}");

    // Neither an update, a deletion, a failed job nor another repository's push reorders.
    let mut pulled = image(2, 40);
    pulled.last_pulled_at = Some(Timestamp::from_epoch_millis(99));
    write(store, move |tx| {
        tx.update_image(repo, &pulled)?;
        tx.delete_image(repo, &digest(7))
    })
    .await;
    let failed = meta::write(store, move |tx| {
        tx.insert_image(repo, &image(3, 40), &manifest(3), &[])?;
        Err::<(), _>(StoreError::RepositoryNotEmpty)
    })
    .await;
    assert!(failed.is_err());
    write(store, move |tx| {
        tx.insert_image(other, &image(4, 5), &manifest(4), &[])?;
        tx.insert_image(repo, &image(6, 40), &manifest(6), &[])
    })
    .await;
    let after = numbers(vec![9, 2, 5, 6]).await;
    assert_eq!(after[..3], first[..3]);
    assert!(after[3] > after[2], "{after:?}");
}

pub async fn uploads_are_kept_replaced_and_listed_by_age(store: TestStore) {
    let store = store.backend();
    let store = store.as_ref();
    let repo = repository(store, "app").await;
    let (old, new) = (UploadId::random(), UploadId::random());
    let row = move |id, started| UploadRow {
        id,
        repository: repo,
        received: 0,
        parts: 0,
        last_part_size: 0,
        short_part: false,
        started_at: Timestamp::from_epoch_millis(started),
    };
    write(store, move |tx| {
        tx.put_upload(&row(old, 1_000))?;
        tx.put_upload(&row(new, 9_000))
    })
    .await;
    let advanced = UploadRow {
        received: 6_000_000,
        parts: 1,
        last_part_size: 6_000_000,
        ..row(old, 1_000)
    };
    let kept = advanced.clone();
    write(store, move |tx| tx.put_upload(&kept)).await;
    let (read_back, stale) = read(store, move |tx| {
        Ok((
            tx.upload(&old)?,
            tx.uploads_started_before(Timestamp::from_epoch_millis(5_000), 10)?,
        ))
    })
    .await;
    assert_eq!(read_back, Some(advanced.clone()));
    assert_eq!(stale, vec![advanced]);
    write(store, move |tx| tx.delete_upload(&old)).await;
    assert_eq!(read(store, move |tx| tx.upload(&old)).await, None);
    assert!(read(store, move |tx| tx.upload(&new)).await.is_some());
}

pub async fn tags_page_in_byte_order_from_any_text(store: TestStore) {
    let store = store.backend();
    let store = store.as_ref();
    let repo = repository(store, "app").await;
    write(store, move |tx| {
        tx.insert_image(repo, &image(1, 10), &manifest(1), &[])?;
        tx.insert_image(repo, &image(2, 20), &manifest(2), &[])?;
        for (text, n) in [("b", 1), ("a", 2), ("c", 1), ("aa", 2), ("B", 1)] {
            tx.set_tag(repo, &tag(text), &digest(n))?;
        }
        Ok(())
    })
    .await;
    let page = |after: Option<&'static str>, limit| {
        read(store, move |tx| {
            let tags = tx.tags_after(repo, after, limit)?;
            Ok(tags.into_iter().map(|t| t.into_inner()).collect::<Vec<_>>())
        })
    };
    assert_eq!(
        page(None, 2).await,
        ["B", "a"],
        "byte order: upper case first"
    );
    assert_eq!(page(Some("a"), 2).await, ["aa", "b"]);
    assert_eq!(page(Some("aa"), 10).await, ["b", "c"]);
    assert_eq!(page(Some("c"), 10).await, Vec::<String>::new());
    // `last` as a client sends it need not be a tag: "a/b" sorts between "a" and "aa".
    assert_eq!(page(Some("a/b"), 10).await, ["aa", "b", "c"]);
}

pub async fn documents_belong_to_their_registry_repository_or_image(store: TestStore) {
    let store = store.backend();
    let store = store.as_ref();
    let (app, other) = (
        repository(store, "app").await,
        repository(store, "other").await,
    );
    let elsewhere = ecr_impl::store::Scope {
        account_id: valid("210987654321"),
        region: valid("eu-west-1"),
    };
    let home = scope();
    let (in_home, in_elsewhere) = (home.clone(), elsewhere.clone());
    write(store, move |tx| {
        for key in ["b", "a", "c/d", "ab"] {
            tx.put_registry_document(&in_home, "rule", key, &Bytes::from(key.to_owned()))?;
        }
        tx.put_registry_document(&in_home, "other-kind", "a", &Bytes::from_static(b"x"))?;
        tx.put_registry_document(&in_elsewhere, "rule", "a", &Bytes::from_static(b"far"))?;
        tx.put_registry_document(&in_home, "rule", "a", &Bytes::from_static(b"replaced"))?;
        tx.insert_image(app, &image(1, 10), &manifest(1), &[])?;
        tx.insert_image(app, &image(2, 20), &manifest(2), &[])?;
        tx.put_repository_document(app, "policy", &Bytes::from_static(b"p"))?;
        tx.put_repository_document(other, "preview", &Bytes::from_static(b"q"))?;
        tx.put_image_document(app, &digest(1), "scan", &Bytes::from_static(b"s1"))?;
        tx.put_image_document(app, &digest(1), "replication", &Bytes::from_static(b"r1"))?;
        tx.put_image_document(app, &digest(2), "scan", &Bytes::from_static(b"s2"))
    })
    .await;

    let (at_home, at_elsewhere) = (home.clone(), elsewhere.clone());
    let (page, first, rest, far, one, policy, with_policy, scans) = read(store, move |tx| {
        Ok((
            tx.registry_documents_after(&at_home, "rule", None, 10)?,
            tx.registry_documents_after(&at_home, "rule", None, 2)?,
            tx.registry_documents_after(&at_home, "rule", Some("ab"), 10)?,
            tx.registry_document(&at_elsewhere, "rule", "a")?,
            tx.registry_document(&at_home, "rule", "a")?,
            tx.repository_document(app, "policy")?,
            tx.repositories_with_document("policy")?,
            (
                tx.image_document(app, &digest(1), "scan")?,
                tx.image_document(app, &digest(2), "scan")?,
                tx.image_document(app, &digest(2), "replication")?,
            ),
        ))
    })
    .await;
    let keys = |docs: &[(String, Bytes)]| docs.iter().map(|(k, _)| k.clone()).collect::<Vec<_>>();
    assert_eq!(keys(&page), ["a", "ab", "b", "c/d"], "byte order, one kind");
    assert_eq!(keys(&first), ["a", "ab"]);
    assert_eq!(keys(&rest), ["b", "c/d"], "after a cursor");
    assert_eq!(page[0].1, Bytes::from_static(b"replaced"));
    assert_eq!(
        far,
        Some(Bytes::from_static(b"far")),
        "registries are apart"
    );
    assert_eq!(one, Some(Bytes::from_static(b"replaced")));
    assert_eq!(policy, Some(Bytes::from_static(b"p")));
    assert_eq!(with_policy.len(), 1);
    assert_eq!((&with_policy[0].0, with_policy[0].1.id), (&home, app));
    assert_eq!(
        scans,
        (
            Some(Bytes::from_static(b"s1")),
            Some(Bytes::from_static(b"s2")),
            None
        )
    );

    // A failed job keeps none of its document writes.
    let failed_scope = home.clone();
    let failed: Result<(), StoreError> = meta::write(store, move |tx| {
        tx.delete_registry_document(&failed_scope, "rule", "a")?;
        tx.put_repository_document(app, "policy", &Bytes::from_static(b"lost"))?;
        tx.delete_image_document(app, &digest(1), "scan")?;
        Err(StoreError::RepositoryNotFound)
    })
    .await;
    assert!(failed.is_err());
    let kept_scope = home.clone();
    let kept = read(store, move |tx| {
        Ok((
            tx.registry_document(&kept_scope, "rule", "a")?,
            tx.repository_document(app, "policy")?,
            tx.image_document(app, &digest(1), "scan")?,
        ))
    })
    .await;
    assert_eq!(
        kept,
        (
            Some(Bytes::from_static(b"replaced")),
            Some(Bytes::from_static(b"p")),
            Some(Bytes::from_static(b"s1"))
        )
    );

    // Deletes: one document; an image's go with it; a repository's go with it.
    let deleting = home.clone();
    write(store, move |tx| {
        tx.delete_registry_document(&deleting, "rule", "b")?;
        tx.delete_registry_document(&deleting, "rule", "never-there")?;
        tx.delete_image(app, &digest(1))?;
        tx.delete_repository(other)
    })
    .await;
    let after_scope = home.clone();
    let after = read(store, move |tx| {
        Ok((
            keys(&tx.registry_documents_after(&after_scope, "rule", None, 10)?),
            tx.image_document(app, &digest(1), "scan")?,
            tx.image_document(app, &digest(1), "replication")?,
            tx.image_document(app, &digest(2), "scan")?,
            tx.repositories_with_document("preview")?.len(),
        ))
    })
    .await;
    assert_eq!(
        after,
        (
            vec!["a".to_owned(), "ab".to_owned(), "c/d".to_owned()],
            None,
            None,
            Some(Bytes::from_static(b"s2")),
            0
        )
    );
    // Re-inserting the same image does not bring its old documents back.
    write(store, move |tx| {
        tx.insert_image(app, &image(1, 30), &manifest(1), &[])
    })
    .await;
    let again = read(store, move |tx| tx.image_document(app, &digest(1), "scan")).await;
    assert_eq!(again, None);
}
