//! The SQLite tables through `MetaStore` jobs: every `ReadTx` and `Tx` method, the
//! schema's cascades (checked in the file itself, not only through the interface), pages
//! from every cursor, a job's rollback inside a batch whose other jobs are kept, and what a
//! restart keeps. (The shared suite, tests/operations.rs, runs the same interface on every
//! backend; these tests add what only a database file can show.)

mod support;

use std::path::Path;
use std::sync::mpsc;

use berth_runtime::Timestamp;
use bytes::Bytes;
use ecr_generated::types::{
    EncryptionConfiguration, EncryptionType, ImageTag, ImageTagMutability, Tag,
};
use ecr_impl::store::blobs::{Sha256Digest, UploadId};
use ecr_impl::store::meta::{
    self, ImagePosition, ImageRow, ImageStatus, LayerRow, MetaStore, ReadTx, Reference, RepoId,
    RepositoryRow, Tx, UploadRow,
};
use ecr_impl::store::{RepositoryRecord, Scope, StoreError, TagMutability};
use rusqlite::{Connection, OpenFlags};
use storage_sqlite::SqliteStore;
use storage_sqlite::layout::DATABASE_FILE;
use support::TempDir;

fn scope(account: &str, region: &str) -> Scope {
    Scope {
        account_id: account.parse().unwrap(),
        region: region.parse().unwrap(),
    }
}

fn home() -> Scope {
    scope("123456789012", "eu-west-1")
}

fn record(name: &str) -> RepositoryRecord {
    RepositoryRecord {
        name: name.parse().unwrap(),
        created_at: Timestamp::from_epoch_millis(1_700_000_000_123),
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

fn digest(n: u32) -> Sha256Digest {
    Sha256Digest::of(&n.to_be_bytes())
}

fn image(n: u32, pushed_ms: i64) -> ImageRow {
    ImageRow {
        digest: digest(n),
        media_type: "application/vnd.oci.image.manifest.v1+json".into(),
        artifact_media_type: Some("application/vnd.oci.image.config.v1+json".into()),
        size_in_bytes: u64::from(n) * 1000 + 7,
        pushed_at: Timestamp::from_epoch_millis(pushed_ms),
        last_pulled_at: None,
        status: ImageStatus::Active,
        last_archived_at: None,
        last_activated_at: None,
        subject: None,
        push_sequence: 0,
    }
}

fn manifest(n: u32) -> Bytes {
    Bytes::from(format!("{{\"schemaVersion\":2,\"n\":{n}}}\n"))
}

fn tag(text: &str) -> ImageTag {
    text.parse().unwrap()
}

fn layer(n: u32, linked_ms: i64) -> LayerRow {
    LayerRow {
        digest: digest(n),
        size: u64::from(n) + 1,
        media_type: None,
        linked_at: Timestamp::from_epoch_millis(linked_ms),
    }
}

fn upload(repository: RepoId, started_ms: i64) -> UploadRow {
    UploadRow {
        id: UploadId::random(),
        repository,
        received: 0,
        parts: 0,
        last_part_size: 0,
        short_part: false,
        started_at: Timestamp::from_epoch_millis(started_ms),
    }
}

fn open(dir: &Path) -> SqliteStore {
    SqliteStore::open(dir).expect("the data directory opens")
}

async fn read<T: Send + 'static>(
    store: &dyn MetaStore,
    job: impl FnMut(&mut dyn ReadTx) -> Result<T, StoreError> + Send + 'static,
) -> T {
    meta::read(store, job).await.unwrap()
}

async fn write<T: Send + 'static>(
    store: &dyn MetaStore,
    job: impl FnMut(&mut dyn Tx) -> Result<T, StoreError> + Send + 'static,
) -> T {
    meta::write(store, job).await.unwrap()
}

async fn create(store: &dyn MetaStore, scope: &Scope, name: &str) -> RepoId {
    let (scope, record) = (scope.clone(), record(name));
    write(store, move |tx| tx.insert_repository(&scope, &record)).await
}

/// How many rows each table holds, read from the file by another connection.
fn row_counts(dir: &Path) -> [(&'static str, i64); 6] {
    let conn =
        Connection::open_with_flags(dir.join(DATABASE_FILE), OpenFlags::SQLITE_OPEN_READ_ONLY)
            .unwrap();
    [
        "repositories",
        "images",
        "image_references",
        "image_tags",
        "layers",
        "uploads",
    ]
    .map(|table| {
        let count = conn
            .query_row(&format!("SELECT count(*) FROM {table}"), [], |row| {
                row.get(0)
            })
            .unwrap();
        (table, count)
    })
}

#[tokio::test]
async fn repositories_are_inserted_found_paged_updated_and_deleted() {
    let dir = TempDir::new("tables-repositories");
    let store = open(dir.path());
    let other = scope("210987654321", "eu-west-1");
    let b = create(&store, &home(), "bb").await;
    let a = create(&store, &home(), "aa").await;
    let elsewhere = create(&store, &other, "aa").await;
    assert!(a != b && a != elsewhere && b != elsewhere);

    let mut changed = record("aa");
    changed.scan_on_push = true;
    changed.tags = vec![Tag {
        key: "team".into(),
        value: "caf\u{e9}".into(),
    }];
    changed.policy_text = Some("{}".parse().unwrap());
    let written = changed.clone();
    write(&store, move |tx| tx.update_repository(a, &written)).await;

    let (found, page, after_a, all) = read(&store, |tx| {
        Ok((
            tx.repository(&home(), &"aa".parse().unwrap())?,
            tx.repositories_after(&home(), None, 10)?,
            tx.repositories_after(&home(), Some(&"aa".parse().unwrap()), 10)?,
            tx.all_repositories()?,
        ))
    })
    .await;
    let a_row = RepositoryRow {
        id: a,
        record: changed,
    };
    assert_eq!(found, Some(a_row.clone()));
    let names = |rows: &[RepositoryRow]| -> Vec<String> {
        rows.iter().map(|row| row.record.name.to_string()).collect()
    };
    assert_eq!(names(&page), ["aa", "bb"]);
    assert_eq!(page[0], a_row);
    assert_eq!(names(&after_a), ["bb"]);
    let all: Vec<(Scope, RepoId)> = all.into_iter().map(|(s, row)| (s, row.id)).collect();
    // By account, region, then name.
    assert_eq!(all, [(home(), a), (home(), b), (other.clone(), elsewhere)]);

    write(&store, move |tx| tx.delete_repository(a)).await;
    let gone = read(&store, |tx| tx.repository(&home(), &"aa".parse().unwrap())).await;
    assert_eq!(gone, None);
    // The same name elsewhere is another repository.
    let kept = read(&store, move |tx| {
        tx.repository(&other, &"aa".parse().unwrap())
    })
    .await;
    assert_eq!(kept.map(|row| row.id), Some(elsewhere));
}

#[tokio::test]
async fn images_read_back_exactly_and_update_only_their_mutable_fields() {
    let dir = TempDir::new("tables-images");
    let store = open(dir.path());
    let repo = create(&store, &home(), "app").await;
    let mut full = image(1, 1_700_000_000_001);
    full.subject = Some(digest(99));
    full.artifact_media_type = None;
    full.last_pulled_at = Some(Timestamp::from_epoch_millis(5));
    full.push_sequence = 1; // the repository's first push
    // A manifest past SQLite's page size: it overflows into pages of its own.
    let big = Bytes::from(vec![b'x'; 100_000]);
    let (row, bytes) = (full.clone(), big.clone());
    write(&store, move |tx| {
        tx.insert_image(repo, &row, &bytes, &[])?;
        tx.insert_image(repo, &image(2, 2), &manifest(2), &[])
    })
    .await;
    let (one, one_manifest, two_manifest, missing, count) = read(&store, move |tx| {
        Ok((
            tx.image(repo, &digest(1))?,
            tx.manifest(repo, &digest(1))?,
            tx.manifest(repo, &digest(2))?,
            tx.image(repo, &digest(3))?,
            tx.image_count(repo)?,
        ))
    })
    .await;
    assert_eq!(one, Some(full.clone()));
    assert_eq!(one_manifest, Some(big));
    assert_eq!(two_manifest, Some(manifest(2)));
    assert_eq!(missing, None);
    assert_eq!(count, 2);

    let mut archived = full.clone();
    archived.status = ImageStatus::Archived;
    archived.last_pulled_at = Some(Timestamp::from_epoch_millis(6));
    archived.last_archived_at = Some(Timestamp::from_epoch_millis(7));
    archived.last_activated_at = Some(Timestamp::from_epoch_millis(8));
    let written = archived.clone();
    write(&store, move |tx| tx.update_image(repo, &written)).await;
    let after = read(&store, move |tx| tx.image(repo, &digest(1))).await;
    assert_eq!(after, Some(archived));

    // An update of an image that is not there is an error, not a silent no-op.
    let ghost = image(3, 3);
    let error = meta::write(&store, move |tx| tx.update_image(repo, &ghost))
        .await
        .unwrap_err();
    assert!(matches!(error, StoreError::Unavailable(_)), "{error:?}");

    write(&store, move |tx| tx.delete_image(repo, &digest(2))).await;
    let (gone, count) = read(&store, move |tx| {
        Ok((tx.manifest(repo, &digest(2))?, tx.image_count(repo)?))
    })
    .await;
    assert_eq!((gone, count), (None, 1));
}

#[tokio::test]
async fn tags_keep_the_order_they_were_set_in_and_move_between_images() {
    let dir = TempDir::new("tables-tags");
    let store = open(dir.path());
    let repo = create(&store, &home(), "app").await;
    let other = create(&store, &home(), "other").await;
    write(&store, move |tx| {
        tx.insert_image(repo, &image(1, 1), &manifest(1), &[])?;
        tx.insert_image(repo, &image(2, 2), &manifest(2), &[])?;
        tx.insert_image(other, &image(1, 1), &manifest(1), &[])?;
        for name in ["zeta", "alpha", "mid"] {
            tx.set_tag(repo, &tag(name), &digest(1))?;
        }
        tx.set_tag(other, &tag("alpha"), &digest(1))
    })
    .await;
    let tags_of = |n| {
        let store = &store;
        async move { read(store, move |tx| tx.tags_of(repo, &digest(n))).await }
    };
    assert_eq!(tags_of(1).await, [tag("zeta"), tag("alpha"), tag("mid")]);

    // Set again, a tag becomes its image's last; moved, it becomes the new image's last.
    write(&store, move |tx| {
        tx.set_tag(repo, &tag("zeta"), &digest(1))?;
        tx.set_tag(repo, &tag("two"), &digest(2))?;
        tx.set_tag(repo, &tag("alpha"), &digest(2))
    })
    .await;
    assert_eq!(tags_of(1).await, [tag("mid"), tag("zeta")]);
    assert_eq!(tags_of(2).await, [tag("two"), tag("alpha")]);
    let (alpha, here_missing, there) = read(&store, move |tx| {
        Ok((
            tx.tag(repo, &tag("alpha"))?,
            tx.tag(repo, &tag("nope"))?,
            tx.tag(other, &tag("alpha"))?,
        ))
    })
    .await;
    assert_eq!(
        (alpha, here_missing, there),
        (Some(digest(2)), None, Some(digest(1)))
    );

    write(&store, move |tx| {
        tx.remove_tag(repo, &tag("mid"))?;
        tx.remove_tag(repo, &tag("never-there"))
    })
    .await;
    assert_eq!(tags_of(1).await, [tag("zeta")]);

    // A tag naming no image of its repository is refused by the schema.
    let error = meta::write(&store, move |tx| tx.set_tag(repo, &tag("x"), &digest(7)))
        .await
        .unwrap_err();
    assert!(matches!(error, StoreError::Unavailable(_)), "{error:?}");
}

#[tokio::test]
async fn references_answer_parents_and_layer_use_and_go_with_their_image() {
    let dir = TempDir::new("tables-references");
    let store = open(dir.path());
    let repo = create(&store, &home(), "app").await;
    let other = create(&store, &home(), "other").await;
    write(&store, move |tx| {
        tx.put_layer(repo, &layer(100, 1))?;
        tx.insert_image(
            repo,
            &image(1, 1),
            &manifest(1),
            // The same blob twice (an empty layer repeated) is one reference.
            &[Reference::Layer(digest(100)), Reference::Layer(digest(100))],
        )?;
        tx.insert_image(repo, &image(2, 2), &manifest(2), &[])?;
        for index in [30, 20] {
            tx.insert_image(
                repo,
                &image(index, 3),
                &manifest(index),
                &[
                    Reference::Manifest(digest(1)),
                    Reference::Manifest(digest(2)),
                ],
            )?;
        }
        tx.set_tag(repo, &tag("index"), &digest(20))?;
        tx.insert_image(
            other,
            &image(9, 9),
            &manifest(9),
            &[Reference::Layer(digest(100))],
        )
    })
    .await;
    async fn parents_and_use(
        store: &SqliteStore,
        repo: RepoId,
    ) -> (Vec<Sha256Digest>, Vec<Sha256Digest>, bool, bool) {
        read(store, move |tx| {
            Ok((
                tx.parents(repo, &digest(1))?,
                tx.parents(repo, &digest(30))?,
                tx.layer_referenced(repo, &digest(100))?,
                tx.layer_referenced(repo, &digest(101))?,
            ))
        })
        .await
    }
    let mut both = vec![digest(20), digest(30)];
    both.sort();
    assert_eq!(
        parents_and_use(&store, repo).await,
        (both, Vec::new(), true, false)
    );

    // An image's references and tags go with it.
    write(&store, move |tx| {
        tx.delete_image(repo, &digest(20))?;
        tx.delete_image(repo, &digest(30))?;
        tx.delete_image(repo, &digest(1))
    })
    .await;
    assert_eq!(
        parents_and_use(&store, repo).await,
        (Vec::new(), Vec::new(), false, false)
    );
    // Image 9 of the other repository keeps its reference; the layer row stays too.
    assert_eq!(
        row_counts(dir.path()),
        [
            ("repositories", 2),
            ("images", 2),
            ("image_references", 1),
            ("image_tags", 0),
            ("layers", 1),
            ("uploads", 0),
        ]
    );
}

#[tokio::test]
async fn image_pages_follow_push_time_then_digest_from_every_cursor() {
    let dir = TempDir::new("tables-pages");
    let store = open(dir.path());
    let repo = create(&store, &home(), "app").await;
    let other = create(&store, &home(), "other").await;
    // Pushed out of order, several in the same millisecond; one in another repository.
    let pushes: Vec<(u32, i64)> = (0..12).map(|n| (n, [5, 1, 3][n as usize % 3])).collect();
    let rows = pushes.clone();
    write(&store, move |tx| {
        for &(n, ms) in &rows {
            tx.insert_image(repo, &image(n, ms), &manifest(n), &[])?;
        }
        tx.insert_image(other, &image(50, 0), &manifest(50), &[])
    })
    .await;
    let mut expected: Vec<ImagePosition> = pushes
        .iter()
        .map(|&(n, ms)| image(n, ms).position())
        .collect();
    expected.sort();

    for limit in [1, 2, 5, 12, 100] {
        let mut seen = Vec::new();
        let mut after: Option<ImagePosition> = None;
        loop {
            let page = read(&store, move |tx| {
                tx.images_after(repo, after.as_ref(), limit)
            })
            .await;
            assert!(page.len() <= limit);
            seen.extend(page.iter().map(ImageRow::position));
            match page.last() {
                Some(last) if page.len() == limit => after = Some(last.position()),
                _ => break,
            }
        }
        assert_eq!(seen, expected, "pages of {limit}");
    }
    // From each position, the rest in order.
    for (i, position) in expected.iter().enumerate() {
        let position = *position;
        let rest = read(&store, move |tx| {
            tx.images_after(repo, Some(&position), 100)
        })
        .await;
        let rest: Vec<_> = rest.iter().map(ImageRow::position).collect();
        assert_eq!(rest, expected[i + 1..]);
    }
}

#[tokio::test]
async fn referrers_are_paged_in_digest_order_per_subject() {
    let dir = TempDir::new("tables-referrers");
    let store = open(dir.path());
    let repo = create(&store, &home(), "app").await;
    write(&store, move |tx| {
        tx.insert_image(repo, &image(1, 1), &manifest(1), &[])?;
        for n in 10..16 {
            let mut referrer = image(n, 100 - i64::from(n));
            referrer.subject = Some(digest(if n == 15 { 2 } else { 1 }));
            tx.insert_image(repo, &referrer, &manifest(n), &[])?;
        }
        Ok(())
    })
    .await;
    let mut expected: Vec<Sha256Digest> = (10..15).map(digest).collect();
    expected.sort();
    let mut seen = Vec::new();
    let mut after: Option<Sha256Digest> = None;
    loop {
        let page = read(&store, move |tx| {
            tx.referrers_after(repo, &digest(1), after.as_ref(), 2)
        })
        .await;
        assert!(page.iter().all(|row| row.subject == Some(digest(1))));
        seen.extend(page.iter().map(|row| row.digest));
        match page.last() {
            Some(last) if page.len() == 2 => after = Some(last.digest),
            _ => break,
        }
    }
    assert_eq!(seen, expected);
    let none = read(&store, move |tx| {
        tx.referrers_after(repo, &digest(3), None, 10)
    })
    .await;
    assert!(none.is_empty());
}

#[tokio::test]
async fn layers_are_replaced_in_place_and_linked_blobs_are_seen_across_registries() {
    let dir = TempDir::new("tables-layers");
    let store = open(dir.path());
    let repo = create(&store, &home(), "app").await;
    let far = create(&store, &scope("210987654321", "us-east-1"), "app").await;
    write(&store, move |tx| {
        tx.put_layer(repo, &layer(1, 10))?;
        tx.put_layer(far, &layer(2, 20))
    })
    .await;
    let mut typed = layer(1, 11);
    typed.media_type = Some("application/vnd.oci.image.layer.v1.tar+gzip".into());
    let written = typed.clone();
    write(&store, move |tx| tx.put_layer(repo, &written)).await;
    let found = read(&store, move |tx| {
        Ok((
            tx.layer(repo, &digest(1))?,
            tx.layer(repo, &digest(2))?,
            tx.blob_linked(&digest(1))?,
            tx.blob_linked(&digest(2))?,
            tx.blob_linked(&digest(3))?,
        ))
    })
    .await;
    assert_eq!(found, (Some(typed), None, true, true, false));

    // Deleting a repository unlinks its blobs.
    write(&store, move |tx| tx.delete_repository(far)).await;
    let linked = read(&store, |tx| tx.blob_linked(&digest(2))).await;
    assert!(!linked);
}

#[tokio::test]
async fn uploads_are_kept_replaced_deleted_and_listed_by_age() {
    let dir = TempDir::new("tables-uploads");
    let store = open(dir.path());
    let repo = create(&store, &home(), "app").await;
    let uploads: Vec<UploadRow> = [30, 10, 20, 10].map(|ms| upload(repo, ms)).to_vec();
    let rows = uploads.clone();
    write(&store, move |tx| {
        rows.iter().try_for_each(|row| tx.put_upload(row))
    })
    .await;

    let mut progressed = uploads[0].clone();
    progressed.received = 20 * 1024 * 1024 + 3;
    progressed.parts = 3;
    progressed.last_part_size = 3;
    progressed.short_part = true;
    let written = progressed.clone();
    write(&store, move |tx| tx.put_upload(&written)).await;
    let (id0, id1) = (uploads[0].id, uploads[1].id);
    let found = read(&store, move |tx| Ok((tx.upload(&id0)?, tx.upload(&id1)?))).await;
    assert_eq!(found, (Some(progressed), Some(uploads[1].clone())));

    let mut by_age = uploads.clone();
    by_age.sort_by_key(|row| (row.started_at, row.id));
    let ids = |rows: &[UploadRow]| rows.iter().map(|row| row.id).collect::<Vec<_>>();
    let before = |ms, limit| {
        let store = &store;
        async move {
            read(store, move |tx| {
                tx.uploads_started_before(Timestamp::from_epoch_millis(ms), limit)
            })
            .await
        }
    };
    assert_eq!(ids(&before(20, 10).await), ids(&by_age[..2]));
    assert_eq!(ids(&before(21, 10).await), ids(&by_age[..3]));
    assert_eq!(ids(&before(1000, 1).await), ids(&by_age[..1]));
    assert!(before(10, 10).await.is_empty());

    write(&store, move |tx| {
        tx.delete_upload(&id1)?;
        tx.delete_upload(&id1)
    })
    .await;
    let gone = read(&store, move |tx| tx.upload(&id1)).await;
    assert_eq!(gone, None);

    // An upload of a repository that is not there is refused by the schema.
    let orphan = upload(RepoId(repo.0 + 1000), 1);
    let error = meta::write(&store, move |tx| tx.put_upload(&orphan))
        .await
        .unwrap_err();
    assert!(matches!(error, StoreError::Unavailable(_)), "{error:?}");
}

/// Fills repository `repo` with one of everything it can hold.
fn fill(tx: &mut dyn Tx, repo: RepoId) -> Result<(), StoreError> {
    tx.put_layer(repo, &layer(100, 1))?;
    tx.insert_image(
        repo,
        &image(1, 1),
        &manifest(1),
        &[Reference::Layer(digest(100))],
    )?;
    tx.insert_image(
        repo,
        &image(2, 2),
        &manifest(2),
        &[Reference::Manifest(digest(1))],
    )?;
    tx.set_tag(repo, &tag("latest"), &digest(2))?;
    tx.put_upload(&upload(repo, 1))
}

#[tokio::test]
async fn deleting_a_repository_removes_every_row_it_owns_and_its_id_is_never_reused() {
    let dir = TempDir::new("tables-cascade");
    let store = open(dir.path());
    let doomed = create(&store, &home(), "doomed").await;
    let kept = create(&store, &home(), "kept").await;
    write(&store, move |tx| {
        fill(tx, doomed)?;
        fill(tx, kept)
    })
    .await;
    assert_eq!(
        row_counts(dir.path()),
        [
            ("repositories", 2),
            ("images", 4),
            ("image_references", 4),
            ("image_tags", 2),
            ("layers", 2),
            ("uploads", 2),
        ]
    );
    write(&store, move |tx| tx.delete_repository(doomed)).await;
    assert_eq!(
        row_counts(dir.path()),
        [
            ("repositories", 1),
            ("images", 2),
            ("image_references", 2),
            ("image_tags", 1),
            ("layers", 1),
            ("uploads", 1),
        ]
    );
    // Re-created (and after the one with the highest id is gone, across a restart too), a
    // repository gets a new id and starts empty.
    let again = create(&store, &home(), "doomed").await;
    assert!(again.0 > kept.0);
    let (count, tagged) = read(&store, move |tx| {
        Ok((tx.image_count(again)?, tx.tag(again, &tag("latest"))?))
    })
    .await;
    assert_eq!((count, tagged), (0, None));
    write(&store, move |tx| tx.delete_repository(again)).await;
    drop(store);
    let store = open(dir.path());
    let newest = create(&store, &home(), "doomed").await;
    assert!(newest.0 > again.0, "{newest:?} after {again:?}");
}

/// Sends `job` to the writer now (`meta::write` would send it only when first polled),
/// typed as `meta::write` types it.
fn send<T, F>(store: &SqliteStore, mut job: F) -> impl Future<Output = Result<T, StoreError>>
where
    T: Send + 'static,
    F: FnMut(&mut dyn Tx) -> Result<T, StoreError> + Send + 'static,
{
    let sent = MetaStore::write(
        store,
        Box::new(move |tx| match job(tx) {
            Ok(value) => Ok(Box::new(value) as meta::Erased),
            Err(error) => Err(Box::new(error) as meta::Erased),
        }),
    );
    async move {
        match sent.await? {
            Ok(value) => Ok(*value.downcast::<T>().unwrap()),
            Err(error) => Err(*error.downcast::<StoreError>().unwrap()),
        }
    }
}

#[tokio::test]
async fn a_job_that_fails_keeps_nothing_and_the_rest_of_its_batch_is_kept() {
    let dir = TempDir::new("tables-rollback");
    let store = open(dir.path());
    let repo = create(&store, &home(), "app").await;

    // Holds the writer until every job below is sent, so they wait together and are taken
    // as one batch (one transaction) once it is done.
    let (release, released) = mpsc::channel::<()>();
    let released = std::sync::Mutex::new(released);
    let held = send(&store, move |_tx| {
        released.lock().unwrap().recv().unwrap();
        Ok(())
    });
    let first = send(&store, move |tx| {
        tx.insert_image(repo, &image(1, 1), &manifest(1), &[])
    });
    // Writes, then answers its own failure.
    let refused = send(&store, move |tx| {
        tx.insert_image(repo, &image(2, 2), &manifest(2), &[])?;
        tx.put_layer(repo, &layer(2, 2))?;
        Err::<(), _>(StoreError::RepositoryNotEmpty)
    });
    // Writes, then meets a backend failure it ignores (a second image 1): its Ok is not
    // trusted, and its writes are undone.
    let failed = send(&store, move |tx| {
        tx.put_upload(&upload(repo, 3))?;
        let _ignored = tx.insert_image(repo, &image(1, 1), &manifest(1), &[]);
        Ok(())
    });
    let last = send(&store, move |tx| tx.set_tag(repo, &tag("one"), &digest(1)));
    release.send(()).unwrap();
    let (held, first, refused, failed, last) = tokio::join!(held, first, refused, failed, last);
    held.unwrap();
    first.unwrap();
    assert_eq!(refused, Err(StoreError::RepositoryNotEmpty));
    assert!(
        matches!(failed, Err(StoreError::Unavailable(_))),
        "{failed:?}"
    );
    last.unwrap();
    assert_eq!(
        row_counts(dir.path()),
        [
            ("repositories", 1),
            ("images", 1),
            ("image_references", 0),
            ("image_tags", 1),
            ("layers", 0),
            ("uploads", 0),
        ]
    );
}

#[tokio::test]
async fn a_panicking_read_or_write_job_is_a_server_error_and_the_store_goes_on() {
    let dir = TempDir::new("tables-panic");
    let store = open(dir.path());
    let repo = create(&store, &home(), "app").await;
    let written = meta::write(&store, move |tx| -> Result<(), StoreError> {
        tx.put_layer(repo, &layer(1, 1))?;
        panic!("a bug in a job")
    })
    .await;
    assert!(matches!(written, Err(StoreError::Unavailable(_))));
    let read_result = meta::read(&store, |_tx| -> Result<(), StoreError> {
        panic!("a bug in a read")
    })
    .await;
    assert!(matches!(read_result, Err(StoreError::Unavailable(_))));
    let linked = read(&store, |tx| tx.blob_linked(&digest(1))).await;
    assert!(!linked);
}

/// What repository `repo` holds, with upload `id` and every upload: everything a restart
/// must keep.
type Everything = (
    Option<RepositoryRow>,
    Vec<ImageRow>,
    Option<Bytes>,
    Vec<ImageTag>,
    Vec<Sha256Digest>,
    Option<LayerRow>,
    bool,
    Option<UploadRow>,
    Vec<UploadRow>,
);

async fn everything(store: &SqliteStore, repo: RepoId, id: UploadId) -> Everything {
    read(store, move |tx| {
        Ok((
            tx.repository(&home(), &"app".parse().unwrap())?,
            tx.images_after(repo, None, 10)?,
            tx.manifest(repo, &digest(2))?,
            tx.tags_of(repo, &digest(2))?,
            tx.parents(repo, &digest(1))?,
            tx.layer(repo, &digest(100))?,
            tx.layer_referenced(repo, &digest(100))?,
            tx.upload(&id)?,
            tx.uploads_started_before(Timestamp::from_epoch_millis(i64::MAX), 10)?,
        ))
    })
    .await
}

#[tokio::test]
async fn images_tags_layers_and_uploads_survive_a_restart() {
    let dir = TempDir::new("tables-restart");
    let store = open(dir.path());
    let repo = create(&store, &home(), "app").await;
    let pending = upload(repo, 42);
    let written = pending.clone();
    write(&store, move |tx| {
        fill(tx, repo)?;
        tx.put_upload(&written)
    })
    .await;
    let before = everything(&store, repo, pending.id).await;
    assert_eq!(before.1.len(), 2);
    assert_eq!(before.7, Some(pending.clone()));
    assert_eq!(before.8.len(), 2);
    drop(store);
    let store = open(dir.path());
    assert_eq!(everything(&store, repo, pending.id).await, before);
}

#[tokio::test]
async fn a_reset_empties_every_table_durably() {
    let dir = TempDir::new("tables-reset");
    let store = open(dir.path());
    let repo = create(&store, &home(), "app").await;
    write(&store, move |tx| fill(tx, repo)).await;
    store.reset().await.unwrap();
    assert!(row_counts(dir.path()).iter().all(|(_, count)| *count == 0));
    drop(store);
    let store = open(dir.path());
    assert!(row_counts(dir.path()).iter().all(|(_, count)| *count == 0));
    // Ids are not given out again even after a reset.
    assert!(create(&store, &home(), "app").await.0 > repo.0);
}

#[tokio::test]
async fn a_damaged_image_row_is_a_server_error_not_a_panic() {
    let dir = TempDir::new("tables-damaged");
    let store = open(dir.path());
    let repo = create(&store, &home(), "app").await;
    write(&store, move |tx| fill(tx, repo)).await;
    let conn = Connection::open(dir.path().join(DATABASE_FILE)).unwrap();
    conn.execute("UPDATE images SET status = 'ACTIVE'", [])
        .unwrap();
    drop(conn);
    let error = meta::read(&store, move |tx| tx.images_after(repo, None, 10))
        .await
        .unwrap_err();
    let StoreError::Unavailable(detail) = error else {
        panic!("{error:?}")
    };
    assert!(
        detail.contains("unknown image status \"ACTIVE\""),
        "{detail}"
    );
}
