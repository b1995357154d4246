//! The in-memory [`MetaStore`]: fast and disposable. Reads share one lock; a write job runs
//! alone under it with an undo log, so a job that fails (or panics) leaves nothing behind,
//! and nothing is cloned whole to make that so.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::ops::Bound;
use std::panic::{self, AssertUnwindSafe};
use std::sync::{PoisonError, RwLock};

use berth_runtime::Timestamp;
use bytes::Bytes;
use ecr_generated::types::{ImageTag, RepositoryName};

use super::blobs::{Sha256Digest, UploadId};
use super::meta::{
    ImagePosition, ImageRow, JobOutcome, LayerRow, MetaStore, ReadJob, ReadTx, Reference, RepoId,
    RepositoryRow, Tx, UploadRow, WriteJob,
};
use super::{RepositoryRecord, Scope, StoreError, StoreFuture};

/// Metadata kept in memory.
#[derive(Debug, Default)]
pub struct MemoryMeta {
    tables: RwLock<Tables>,
}

impl MemoryMeta {
    pub fn new() -> MemoryMeta {
        MemoryMeta::default()
    }
}

#[derive(Debug, Default)]
struct Tables {
    /// The last repository id given out (ids are never reused).
    last_repository_id: i64,
    names: BTreeMap<Scope, BTreeMap<RepositoryName, RepoId>>,
    repositories: HashMap<RepoId, Repository>,
    uploads: BTreeMap<UploadId, UploadRow>,
    uploads_by_start: BTreeSet<(Timestamp, UploadId)>,
    /// Registry documents by (registry, kind, key).
    documents: BTreeMap<(Scope, String, String), Bytes>,
}

#[derive(Debug)]
struct Repository {
    scope: Scope,
    record: RepositoryRecord,
    images: BTreeMap<Sha256Digest, StoredImage>,
    order: BTreeSet<ImagePosition>,
    /// Tag → the image it names and when it was set there (for the order of an image's tags).
    tags: BTreeMap<ImageTag, (Sha256Digest, u64)>,
    tags_of: BTreeMap<(Sha256Digest, u64), ImageTag>,
    last_tag_sequence: u64,
    /// The last [`ImageRow::push_sequence`] given out.
    last_push_sequence: u64,
    /// (child manifest, parent index).
    children: BTreeSet<(Sha256Digest, Sha256Digest)>,
    /// (layer, image referencing it).
    layer_users: BTreeSet<(Sha256Digest, Sha256Digest)>,
    /// (subject, referrer).
    referrers: BTreeSet<(Sha256Digest, Sha256Digest)>,
    layers: BTreeMap<Sha256Digest, LayerRow>,
    /// The repository's documents by kind.
    documents: BTreeMap<String, Bytes>,
    /// Its images' documents by (image, kind).
    image_documents: BTreeMap<(Sha256Digest, String), Bytes>,
}

#[derive(Debug, Clone)]
struct StoredImage {
    row: ImageRow,
    manifest: Bytes,
    references: Vec<Reference>,
}

const LOWEST_DIGEST: Sha256Digest = Sha256Digest::from_bytes([0; 32]);
const HIGHEST_DIGEST: Sha256Digest = Sha256Digest::from_bytes([0xff; 32]);

fn ready<'a, T: Send + 'a>(result: Result<T, StoreError>) -> StoreFuture<'a, T> {
    Box::pin(std::future::ready(result))
}

impl MetaStore for MemoryMeta {
    fn read(&self, mut job: ReadJob) -> StoreFuture<'_, JobOutcome> {
        let tables = self.tables.read().unwrap_or_else(PoisonError::into_inner);
        let outcome = job(&mut Reading(&tables));
        ready(Ok(outcome))
    }

    fn write(&self, mut job: WriteJob) -> StoreFuture<'_, JobOutcome> {
        // A poisoned lock is safe to keep using: a panicking job's writes are undone below.
        let mut tables = self.tables.write().unwrap_or_else(PoisonError::into_inner);
        let mut tx = Writing {
            tables: &mut tables,
            undo: Vec::new(),
        };
        let outcome = panic::catch_unwind(AssertUnwindSafe(|| job(&mut tx)));
        let keep = matches!(outcome, Ok(Ok(_)));
        if !keep {
            let Writing { tables, undo } = tx;
            for step in undo.into_iter().rev() {
                step(tables);
            }
        }
        ready(outcome.map_err(|_| StoreError::Unavailable("a state change panicked".into())))
    }

    fn reset(&self) -> StoreFuture<'_, ()> {
        let mut tables = self.tables.write().unwrap_or_else(PoisonError::into_inner);
        let last_repository_id = tables.last_repository_id;
        *tables = Tables {
            last_repository_id,
            ..Tables::default()
        };
        ready(Ok(()))
    }
}

/// The reads, on a shared view of the tables.
struct Reading<'a>(&'a Tables);

impl Tables {
    fn repo(&self, id: RepoId) -> Option<&Repository> {
        self.repositories.get(&id)
    }

    fn row(&self, id: RepoId) -> Option<RepositoryRow> {
        self.repo(id).map(|repository| RepositoryRow {
            id,
            record: repository.record.clone(),
        })
    }

    fn repository(&self, scope: &Scope, name: &RepositoryName) -> Option<RepositoryRow> {
        let id = *self.names.get(scope)?.get(name)?;
        self.row(id)
    }

    fn repositories_after(
        &self,
        scope: &Scope,
        after: Option<&RepositoryName>,
        limit: usize,
    ) -> Vec<RepositoryRow> {
        let Some(names) = self.names.get(scope) else {
            return Vec::new();
        };
        let start = after.map_or(Bound::Unbounded, Bound::Excluded);
        names
            .range::<RepositoryName, _>((start, Bound::Unbounded))
            .take(limit)
            .filter_map(|(_, id)| self.row(*id))
            .collect()
    }

    fn all_repositories(&self) -> Vec<(Scope, RepositoryRow)> {
        self.names
            .iter()
            .flat_map(|(scope, names)| {
                names
                    .values()
                    .filter_map(|id| Some((scope.clone(), self.row(*id)?)))
            })
            .collect()
    }

    fn image(&self, id: RepoId, digest: &Sha256Digest) -> Option<&StoredImage> {
        self.repo(id)?.images.get(digest)
    }

    fn images_after(
        &self,
        id: RepoId,
        after: Option<&ImagePosition>,
        limit: usize,
    ) -> Vec<ImageRow> {
        let Some(repository) = self.repo(id) else {
            return Vec::new();
        };
        let start = after.map_or(Bound::Unbounded, Bound::Excluded);
        repository
            .order
            .range::<ImagePosition, _>((start, Bound::Unbounded))
            .take(limit)
            .filter_map(|position| repository.images.get(&position.digest))
            .map(|image| image.row.clone())
            .collect()
    }

    fn parents(&self, id: RepoId, child: &Sha256Digest) -> Vec<Sha256Digest> {
        let Some(repository) = self.repo(id) else {
            return Vec::new();
        };
        repository
            .children
            .range((*child, LOWEST_DIGEST)..=(*child, HIGHEST_DIGEST))
            .map(|(_, parent)| *parent)
            .collect()
    }

    fn referrers_after(
        &self,
        id: RepoId,
        subject: &Sha256Digest,
        after: Option<&Sha256Digest>,
        limit: usize,
    ) -> Vec<ImageRow> {
        let Some(repository) = self.repo(id) else {
            return Vec::new();
        };
        let start = after.map_or(Bound::Included((*subject, LOWEST_DIGEST)), |after| {
            Bound::Excluded((*subject, *after))
        });
        repository
            .referrers
            .range((start, Bound::Included((*subject, HIGHEST_DIGEST))))
            .take(limit)
            .filter_map(|(_, referrer)| repository.images.get(referrer))
            .map(|image| image.row.clone())
            .collect()
    }

    fn tags_of(&self, id: RepoId, digest: &Sha256Digest) -> Vec<ImageTag> {
        let Some(repository) = self.repo(id) else {
            return Vec::new();
        };
        repository
            .tags_of
            .range((*digest, 0)..=(*digest, u64::MAX))
            .map(|(_, tag)| tag.clone())
            .collect()
    }

    fn tags_after(&self, id: RepoId, after: Option<&str>, limit: usize) -> Vec<ImageTag> {
        let Some(repository) = self.repo(id) else {
            return Vec::new();
        };
        let start = after.map_or(Bound::Unbounded, Bound::Excluded);
        repository
            .tags
            .range::<str, _>((start, Bound::Unbounded))
            .take(limit)
            .map(|(tag, _)| tag.clone())
            .collect()
    }

    fn layer_referenced(&self, id: RepoId, digest: &Sha256Digest) -> bool {
        self.repo(id).is_some_and(|repository| {
            repository
                .layer_users
                .range((*digest, LOWEST_DIGEST)..=(*digest, HIGHEST_DIGEST))
                .next()
                .is_some()
        })
    }

    fn registry_documents_after(
        &self,
        scope: &Scope,
        kind: &str,
        after: Option<&str>,
        limit: usize,
    ) -> Vec<(String, Bytes)> {
        let low = (
            scope.clone(),
            kind.to_owned(),
            after.unwrap_or_default().to_owned(),
        );
        let lower = match after {
            Some(_) => Bound::Excluded(low),
            None => Bound::Included(low),
        };
        self.documents
            .range((lower, Bound::Unbounded))
            .take_while(|((s, k, _), _)| s == scope && k == kind)
            .take(limit)
            .map(|((_, _, key), value)| (key.clone(), value.clone()))
            .collect()
    }

    fn repositories_with_document(&self, kind: &str) -> Vec<(Scope, RepositoryRow)> {
        let mut ids: Vec<RepoId> = self
            .repositories
            .iter()
            .filter(|(_, repository)| repository.documents.contains_key(kind))
            .map(|(id, _)| *id)
            .collect();
        ids.sort();
        ids.into_iter()
            .filter_map(|id| Some((self.repo(id)?.scope.clone(), self.row(id)?)))
            .collect()
    }

    fn uploads_started_before(&self, before: Timestamp, limit: usize) -> Vec<UploadRow> {
        self.uploads_by_start
            .iter()
            .take_while(|(started, _)| *started < before)
            .take(limit)
            .filter_map(|(_, id)| self.uploads.get(id).cloned())
            .collect()
    }
}

/// Implements every [`ReadTx`] method by asking [`Tables`] through `$tables`.
macro_rules! reads_from_tables {
    ($tables:ident) => {
        fn repository(
            &mut self,
            scope: &Scope,
            name: &RepositoryName,
        ) -> Result<Option<RepositoryRow>, StoreError> {
            Ok(self.$tables().repository(scope, name))
        }

        fn repositories_after(
            &mut self,
            scope: &Scope,
            after: Option<&RepositoryName>,
            limit: usize,
        ) -> Result<Vec<RepositoryRow>, StoreError> {
            Ok(self.$tables().repositories_after(scope, after, limit))
        }

        fn all_repositories(&mut self) -> Result<Vec<(Scope, RepositoryRow)>, StoreError> {
            Ok(self.$tables().all_repositories())
        }

        fn image(
            &mut self,
            repository: RepoId,
            digest: &Sha256Digest,
        ) -> Result<Option<ImageRow>, StoreError> {
            Ok(self
                .$tables()
                .image(repository, digest)
                .map(|image| image.row.clone()))
        }

        fn manifest(
            &mut self,
            repository: RepoId,
            digest: &Sha256Digest,
        ) -> Result<Option<Bytes>, StoreError> {
            Ok(self
                .$tables()
                .image(repository, digest)
                .map(|image| image.manifest.clone()))
        }

        fn images_after(
            &mut self,
            repository: RepoId,
            after: Option<&ImagePosition>,
            limit: usize,
        ) -> Result<Vec<ImageRow>, StoreError> {
            Ok(self.$tables().images_after(repository, after, limit))
        }

        fn image_count(&mut self, repository: RepoId) -> Result<u64, StoreError> {
            let count = self
                .$tables()
                .repo(repository)
                .map_or(0, |repository| repository.images.len());
            Ok(count as u64)
        }

        fn parents(
            &mut self,
            repository: RepoId,
            child: &Sha256Digest,
        ) -> Result<Vec<Sha256Digest>, StoreError> {
            Ok(self.$tables().parents(repository, child))
        }

        fn referrers_after(
            &mut self,
            repository: RepoId,
            subject: &Sha256Digest,
            after: Option<&Sha256Digest>,
            limit: usize,
        ) -> Result<Vec<ImageRow>, StoreError> {
            Ok(self
                .$tables()
                .referrers_after(repository, subject, after, limit))
        }

        fn tag(
            &mut self,
            repository: RepoId,
            tag: &ImageTag,
        ) -> Result<Option<Sha256Digest>, StoreError> {
            Ok(self
                .$tables()
                .repo(repository)
                .and_then(|repository| repository.tags.get(tag))
                .map(|(digest, _)| *digest))
        }

        fn tags_after(
            &mut self,
            repository: RepoId,
            after: Option<&str>,
            limit: usize,
        ) -> Result<Vec<ImageTag>, StoreError> {
            Ok(self.$tables().tags_after(repository, after, limit))
        }

        fn tags_of(
            &mut self,
            repository: RepoId,
            digest: &Sha256Digest,
        ) -> Result<Vec<ImageTag>, StoreError> {
            Ok(self.$tables().tags_of(repository, digest))
        }

        fn layer(
            &mut self,
            repository: RepoId,
            digest: &Sha256Digest,
        ) -> Result<Option<LayerRow>, StoreError> {
            Ok(self
                .$tables()
                .repo(repository)
                .and_then(|repository| repository.layers.get(digest))
                .cloned())
        }

        fn layer_referenced(
            &mut self,
            repository: RepoId,
            digest: &Sha256Digest,
        ) -> Result<bool, StoreError> {
            Ok(self.$tables().layer_referenced(repository, digest))
        }

        fn blob_linked(&mut self, digest: &Sha256Digest) -> Result<bool, StoreError> {
            Ok(self
                .$tables()
                .repositories
                .values()
                .any(|repository| repository.layers.contains_key(digest)))
        }

        fn upload(&mut self, id: &UploadId) -> Result<Option<UploadRow>, StoreError> {
            Ok(self.$tables().uploads.get(id).cloned())
        }

        fn registry_document(
            &mut self,
            scope: &Scope,
            kind: &str,
            key: &str,
        ) -> Result<Option<Bytes>, StoreError> {
            Ok(self
                .$tables()
                .documents
                .get(&(scope.clone(), kind.to_owned(), key.to_owned()))
                .cloned())
        }

        fn registry_documents_after(
            &mut self,
            scope: &Scope,
            kind: &str,
            after: Option<&str>,
            limit: usize,
        ) -> Result<Vec<(String, Bytes)>, StoreError> {
            Ok(self
                .$tables()
                .registry_documents_after(scope, kind, after, limit))
        }

        fn repository_document(
            &mut self,
            repository: RepoId,
            kind: &str,
        ) -> Result<Option<Bytes>, StoreError> {
            Ok(self
                .$tables()
                .repo(repository)
                .and_then(|r| r.documents.get(kind).cloned()))
        }

        fn repositories_with_document(
            &mut self,
            kind: &str,
        ) -> Result<Vec<(Scope, RepositoryRow)>, StoreError> {
            Ok(self.$tables().repositories_with_document(kind))
        }

        fn image_document(
            &mut self,
            repository: RepoId,
            digest: &Sha256Digest,
            kind: &str,
        ) -> Result<Option<Bytes>, StoreError> {
            Ok(self
                .$tables()
                .repo(repository)
                .and_then(|r| r.image_documents.get(&(*digest, kind.to_owned())).cloned()))
        }

        fn uploads_started_before(
            &mut self,
            before: Timestamp,
            limit: usize,
        ) -> Result<Vec<UploadRow>, StoreError> {
            Ok(self.$tables().uploads_started_before(before, limit))
        }
    };
}

impl Reading<'_> {
    fn tables(&self) -> &Tables {
        self.0
    }
}

impl ReadTx for Reading<'_> {
    reads_from_tables!(tables);
}

/// One step back, applied in reverse order when a job fails.
type Undo = Box<dyn FnOnce(&mut Tables) + Send>;

/// A write job's view: the tables and the steps that undo what it did so far.
struct Writing<'a> {
    tables: &'a mut Tables,
    undo: Vec<Undo>,
}

/// Selects one table of a repository (a plain `fn`, so undo steps can keep it).
type MapOf<K, V> = fn(&mut Repository) -> &mut BTreeMap<K, V>;
type SetOf<K> = fn(&mut Repository) -> &mut BTreeSet<K>;

fn missing(what: &str) -> StoreError {
    StoreError::Unavailable(format!(
        "{what} is not in the store (a job wrote out of order)"
    ))
}

impl Writing<'_> {
    fn tables(&self) -> &Tables {
        self.tables
    }

    fn on_failure(&mut self, step: impl FnOnce(&mut Tables) + Send + 'static) {
        self.undo.push(Box::new(step));
    }

    fn repo_mut(&mut self, id: RepoId) -> Result<&mut Repository, StoreError> {
        self.tables
            .repositories
            .get_mut(&id)
            .ok_or_else(|| missing("the repository"))
    }

    fn map_insert<K, V>(
        &mut self,
        id: RepoId,
        map: MapOf<K, V>,
        key: K,
        value: V,
    ) -> Result<(), StoreError>
    where
        K: Ord + Clone + Send + 'static,
        V: Send + 'static,
    {
        let previous = map(self.repo_mut(id)?).insert(key.clone(), value);
        self.on_failure(move |tables| {
            if let Some(repository) = tables.repositories.get_mut(&id) {
                match previous {
                    Some(previous) => map(repository).insert(key, previous),
                    None => map(repository).remove(&key),
                };
            }
        });
        Ok(())
    }

    fn map_remove<K, V>(
        &mut self,
        id: RepoId,
        map: MapOf<K, V>,
        key: &K,
    ) -> Result<Option<V>, StoreError>
    where
        K: Ord + Clone + Send + 'static,
        V: Clone + Send + 'static,
    {
        let Some(removed) = map(self.repo_mut(id)?).remove(key) else {
            return Ok(None);
        };
        let (key, kept) = (key.clone(), removed.clone());
        self.on_failure(move |tables| {
            if let Some(repository) = tables.repositories.get_mut(&id) {
                map(repository).insert(key, kept);
            }
        });
        Ok(Some(removed))
    }

    fn set_insert<K>(&mut self, id: RepoId, set: SetOf<K>, key: K) -> Result<(), StoreError>
    where
        K: Ord + Clone + Send + 'static,
    {
        if set(self.repo_mut(id)?).insert(key.clone()) {
            self.on_failure(move |tables| {
                if let Some(repository) = tables.repositories.get_mut(&id) {
                    set(repository).remove(&key);
                }
            });
        }
        Ok(())
    }

    fn set_remove<K>(&mut self, id: RepoId, set: SetOf<K>, key: K) -> Result<(), StoreError>
    where
        K: Ord + Clone + Send + 'static,
    {
        if set(self.repo_mut(id)?).remove(&key) {
            self.on_failure(move |tables| {
                if let Some(repository) = tables.repositories.get_mut(&id) {
                    set(repository).insert(key);
                }
            });
        }
        Ok(())
    }

    fn insert_upload_row(&mut self, row: UploadRow) {
        let previous = self.tables.uploads.insert(row.id, row.clone());
        if let Some(previous) = &previous {
            self.tables
                .uploads_by_start
                .remove(&(previous.started_at, previous.id));
        }
        self.tables
            .uploads_by_start
            .insert((row.started_at, row.id));
        self.on_failure(move |tables| {
            tables.uploads.remove(&row.id);
            tables.uploads_by_start.remove(&(row.started_at, row.id));
            if let Some(previous) = previous {
                tables
                    .uploads_by_start
                    .insert((previous.started_at, previous.id));
                tables.uploads.insert(previous.id, previous);
            }
        });
    }

    fn remove_upload_row(&mut self, id: &UploadId) {
        if let Some(removed) = self.tables.uploads.remove(id) {
            self.tables
                .uploads_by_start
                .remove(&(removed.started_at, removed.id));
            self.on_failure(move |tables| {
                tables
                    .uploads_by_start
                    .insert((removed.started_at, removed.id));
                tables.uploads.insert(removed.id, removed);
            });
        }
    }
}

impl ReadTx for Writing<'_> {
    reads_from_tables!(tables);
}

impl Tx for Writing<'_> {
    fn insert_repository(
        &mut self,
        scope: &Scope,
        record: &RepositoryRecord,
    ) -> Result<RepoId, StoreError> {
        let id = RepoId(self.tables.last_repository_id + 1);
        let last = std::mem::replace(&mut self.tables.last_repository_id, id.0);
        self.tables
            .names
            .entry(scope.clone())
            .or_default()
            .insert(record.name.clone(), id);
        self.tables.repositories.insert(
            id,
            Repository {
                scope: scope.clone(),
                record: record.clone(),
                images: BTreeMap::new(),
                order: BTreeSet::new(),
                tags: BTreeMap::new(),
                tags_of: BTreeMap::new(),
                last_tag_sequence: 0,
                last_push_sequence: 0,
                children: BTreeSet::new(),
                layer_users: BTreeSet::new(),
                referrers: BTreeSet::new(),
                layers: BTreeMap::new(),
                documents: BTreeMap::new(),
                image_documents: BTreeMap::new(),
            },
        );
        let (scope, name) = (scope.clone(), record.name.clone());
        self.on_failure(move |tables| {
            tables.last_repository_id = last;
            tables.repositories.remove(&id);
            if let Some(names) = tables.names.get_mut(&scope) {
                names.remove(&name);
            }
        });
        Ok(id)
    }

    fn update_repository(
        &mut self,
        id: RepoId,
        record: &RepositoryRecord,
    ) -> Result<(), StoreError> {
        let repository = self.repo_mut(id)?;
        let previous = std::mem::replace(&mut repository.record, record.clone());
        self.on_failure(move |tables| {
            if let Some(repository) = tables.repositories.get_mut(&id) {
                repository.record = previous;
            }
        });
        Ok(())
    }

    fn delete_repository(&mut self, id: RepoId) -> Result<(), StoreError> {
        let uploads: Vec<UploadId> = self
            .tables
            .uploads
            .values()
            .filter(|upload| upload.repository == id)
            .map(|upload| upload.id)
            .collect();
        for upload in &uploads {
            self.remove_upload_row(upload);
        }
        let Some(repository) = self.tables.repositories.remove(&id) else {
            return Err(missing("the repository"));
        };
        if let Some(names) = self.tables.names.get_mut(&repository.scope) {
            names.remove(&repository.record.name);
        }
        // The whole repository goes back as it was: moved out and in, never copied.
        self.on_failure(move |tables| {
            tables
                .names
                .entry(repository.scope.clone())
                .or_default()
                .insert(repository.record.name.clone(), id);
            tables.repositories.insert(id, repository);
        });
        Ok(())
    }

    fn insert_image(
        &mut self,
        repository: RepoId,
        row: &ImageRow,
        manifest: &Bytes,
        references: &[Reference],
    ) -> Result<(), StoreError> {
        let digest = row.digest;
        for reference in references {
            match *reference {
                Reference::Layer(layer) => {
                    self.set_insert(repository, |r| &mut r.layer_users, (layer, digest))?
                }
                Reference::Manifest(child) => {
                    self.set_insert(repository, |r| &mut r.children, (child, digest))?
                }
            }
        }
        if let Some(subject) = row.subject {
            self.set_insert(repository, |r| &mut r.referrers, (subject, digest))?;
        }
        self.set_insert(repository, |r| &mut r.order, row.position())?;
        // A number given out by a failed transaction is not reused: only the order counts.
        let target = self.repo_mut(repository)?;
        target.last_push_sequence += 1;
        let stored = StoredImage {
            row: ImageRow {
                push_sequence: target.last_push_sequence,
                ..row.clone()
            },
            manifest: manifest.clone(),
            references: references.to_vec(),
        };
        self.map_insert(repository, |r| &mut r.images, digest, stored)
    }

    fn update_image(&mut self, repository: RepoId, row: &ImageRow) -> Result<(), StoreError> {
        let Some(mut stored) = self.tables().image(repository, &row.digest).cloned() else {
            return Err(missing("the image"));
        };
        stored.row = ImageRow {
            // What the manifest says, and where it sits in the page and push orders, never
            // change.
            digest: stored.row.digest,
            media_type: stored.row.media_type.clone(),
            artifact_media_type: stored.row.artifact_media_type.clone(),
            size_in_bytes: stored.row.size_in_bytes,
            pushed_at: stored.row.pushed_at,
            subject: stored.row.subject,
            push_sequence: stored.row.push_sequence,
            ..row.clone()
        };
        self.map_insert(repository, |r| &mut r.images, row.digest, stored)
    }

    fn delete_image(
        &mut self,
        repository: RepoId,
        digest: &Sha256Digest,
    ) -> Result<(), StoreError> {
        let Some(stored) = self.map_remove(repository, |r| &mut r.images, digest)? else {
            return Ok(());
        };
        let kinds: Vec<String> = self
            .repo_mut(repository)?
            .image_documents
            .range((*digest, String::new())..)
            .take_while(|((image, _), _)| image == digest)
            .map(|((_, kind), _)| kind.clone())
            .collect();
        for kind in kinds {
            self.map_remove(repository, |r| &mut r.image_documents, &(*digest, kind))?;
        }
        for tag in self.tables().tags_of(repository, digest) {
            self.remove_tag(repository, &tag)?;
        }
        self.set_remove(repository, |r| &mut r.order, stored.row.position())?;
        if let Some(subject) = stored.row.subject {
            self.set_remove(repository, |r| &mut r.referrers, (subject, *digest))?;
        }
        for reference in stored.references {
            match reference {
                Reference::Layer(layer) => {
                    self.set_remove(repository, |r| &mut r.layer_users, (layer, *digest))?
                }
                Reference::Manifest(child) => {
                    self.set_remove(repository, |r| &mut r.children, (child, *digest))?
                }
            }
        }
        Ok(())
    }

    fn set_tag(
        &mut self,
        repository: RepoId,
        tag: &ImageTag,
        digest: &Sha256Digest,
    ) -> Result<(), StoreError> {
        self.remove_tag(repository, tag)?;
        let target = self.repo_mut(repository)?;
        target.last_tag_sequence += 1;
        let sequence = target.last_tag_sequence;
        self.map_insert(
            repository,
            |r| &mut r.tags,
            tag.clone(),
            (*digest, sequence),
        )?;
        self.map_insert(
            repository,
            |r| &mut r.tags_of,
            (*digest, sequence),
            tag.clone(),
        )
    }

    fn remove_tag(&mut self, repository: RepoId, tag: &ImageTag) -> Result<(), StoreError> {
        if let Some(named) = self.map_remove(repository, |r| &mut r.tags, tag)? {
            self.map_remove(repository, |r| &mut r.tags_of, &named)?;
        }
        Ok(())
    }

    fn put_layer(&mut self, repository: RepoId, row: &LayerRow) -> Result<(), StoreError> {
        self.map_insert(repository, |r| &mut r.layers, row.digest, row.clone())
    }

    fn put_upload(&mut self, row: &UploadRow) -> Result<(), StoreError> {
        if !self.tables.repositories.contains_key(&row.repository) {
            return Err(missing("the upload's repository"));
        }
        self.insert_upload_row(row.clone());
        Ok(())
    }

    fn delete_upload(&mut self, id: &UploadId) -> Result<(), StoreError> {
        self.remove_upload_row(id);
        Ok(())
    }

    fn put_registry_document(
        &mut self,
        scope: &Scope,
        kind: &str,
        key: &str,
        value: &Bytes,
    ) -> Result<(), StoreError> {
        let at = (scope.clone(), kind.to_owned(), key.to_owned());
        let previous = self.tables.documents.insert(at.clone(), value.clone());
        self.on_failure(move |tables| {
            match previous {
                Some(previous) => tables.documents.insert(at, previous),
                None => tables.documents.remove(&at),
            };
        });
        Ok(())
    }

    fn delete_registry_document(
        &mut self,
        scope: &Scope,
        kind: &str,
        key: &str,
    ) -> Result<(), StoreError> {
        let at = (scope.clone(), kind.to_owned(), key.to_owned());
        if let Some(previous) = self.tables.documents.remove(&at) {
            self.on_failure(move |tables| {
                tables.documents.insert(at, previous);
            });
        }
        Ok(())
    }

    fn put_repository_document(
        &mut self,
        repository: RepoId,
        kind: &str,
        value: &Bytes,
    ) -> Result<(), StoreError> {
        self.map_insert(
            repository,
            |r| &mut r.documents,
            kind.to_owned(),
            value.clone(),
        )
    }

    fn delete_repository_document(
        &mut self,
        repository: RepoId,
        kind: &str,
    ) -> Result<(), StoreError> {
        self.map_remove(repository, |r| &mut r.documents, &kind.to_owned())?;
        Ok(())
    }

    fn put_image_document(
        &mut self,
        repository: RepoId,
        digest: &Sha256Digest,
        kind: &str,
        value: &Bytes,
    ) -> Result<(), StoreError> {
        if self.tables().image(repository, digest).is_none() {
            return Err(missing("the document's image"));
        }
        self.map_insert(
            repository,
            |r| &mut r.image_documents,
            (*digest, kind.to_owned()),
            value.clone(),
        )
    }

    fn delete_image_document(
        &mut self,
        repository: RepoId,
        digest: &Sha256Digest,
        kind: &str,
    ) -> Result<(), StoreError> {
        self.map_remove(
            repository,
            |r| &mut r.image_documents,
            &(*digest, kind.to_owned()),
        )?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::meta;

    #[tokio::test]
    async fn a_job_that_panics_keeps_nothing_and_the_store_goes_on() {
        let store = MemoryMeta::new();
        let scope = Scope {
            account_id: "123456789012".parse().unwrap(),
            region: "us-east-1".parse().unwrap(),
        };
        let record = crate::store::RepositoryRecord {
            name: "app".parse().unwrap(),
            created_at: Timestamp::from_epoch_millis(1),
            tag_mutability: crate::store::TagMutability {
                mode: ecr_generated::types::ImageTagMutability::Mutable,
                exclusion_filters: Vec::new(),
            },
            scan_on_push: false,
            encryption: ecr_generated::types::EncryptionConfiguration {
                encryption_type: ecr_generated::types::EncryptionType::Aes256,
                kms_key: None,
            },
            tags: Vec::new(),
            policy_text: None,
        };
        let (panicking_scope, panicking_record) = (scope.clone(), record.clone());
        let outcome: Result<(), StoreError> = meta::write(&store, move |tx| {
            tx.insert_repository(&panicking_scope, &panicking_record)?;
            panic!("a bug in a job");
        })
        .await;
        assert!(matches!(outcome, Err(StoreError::Unavailable(_))));
        let (read_scope, name) = (scope.clone(), record.name.clone());
        let found = meta::read(&store, move |tx| tx.repository(&read_scope, &name)).await;
        assert_eq!(found, Ok(None));
        let id = meta::write(&store, move |tx| tx.insert_repository(&scope, &record)).await;
        assert!(id.is_ok(), "the store still takes writes");
    }
}
