//! [`MetaStore`]: every account's and region's metadata (repositories, images and their
//! manifests, tags, layers per repository, upload sessions), in per-entity tables behind one
//! transaction primitive.
//!
//! A backend only stores: it runs *jobs* that ecr-impl writes, so a rule spanning entities
//! (a tag names one image, an immutable tag never moves, a manifest's layers exist, a
//! repository with images is deleted only with `force`) is written once and runs atomically
//! on every backend. A job is synchronous (it fits SQLite's writer thread, a lock in memory,
//! a blocking PostgreSQL client later), touches only its transaction (never blob bytes), and
//! is `FnMut`, so a backend whose transactions can conflict (serializable PostgreSQL) may run
//! it again.
//!
//! Besides the entity tables, *documents*: values the store keeps as opaque bytes for the
//! settings and records of the other domains (a lifecycle policy, a replication
//! configuration, an image's scan), so adding a setting needs no schema change. Each domain
//! module names its kinds and serialises its own values (JSON by convention). A document
//! belongs to a registry (by kind and key), to a repository (one per kind, gone with the
//! repository) or to an image (one per kind, gone with the image).
//!
//! Jobs are type-erased to keep `Arc<dyn MetaStore>`; [`read`] and [`write`] restore the
//! types. Rows are storage-owned values, not wire types; every key is a validated newtype,
//! and every page costs O(limit), not O(table).

use std::any::Any;
use std::fmt;
use std::sync::Arc;

use berth_runtime::Timestamp;
use bytes::Bytes;
use ecr_generated::types::{ImageTag, RepositoryName};

use super::blobs::{Sha256Digest, UploadId};
use super::{RepositoryRecord, Scope, StoreError, StoreFuture};

/// A job's value or its own failure, boxed so one backend interface serves every job.
pub type Erased = Box<dyn Any + Send>;

/// What a backend answers for a job: `Ok` with the job's own outcome (its writes kept when
/// that is `Ok`, none of them when it is `Err`), or the backend's failure (nothing kept).
pub type JobOutcome = Result<Erased, Erased>;

/// A job on a consistent snapshot.
pub type ReadJob = Box<dyn FnMut(&mut dyn ReadTx) -> JobOutcome + Send>;

/// A job run as one transaction.
pub type WriteJob = Box<dyn FnMut(&mut dyn Tx) -> JobOutcome + Send>;

/// Where Berth's metadata lives.
pub trait MetaStore: Send + Sync + fmt::Debug {
    /// Runs `job` on one consistent snapshot; never waits for a writer.
    fn read(&self, job: ReadJob) -> StoreFuture<'_, JobOutcome>;

    /// Runs `job` as one transaction: keeps its writes if it answers `Ok`, none otherwise;
    /// concurrent jobs behave as if run one after the other. Resolves once the outcome is
    /// durable (for a durable backend).
    fn write(&self, job: WriteJob) -> StoreFuture<'_, JobOutcome>;

    /// Drops everything, durably (admin use: test isolation).
    fn reset(&self) -> StoreFuture<'_, ()>;
}

/// Runs `job` on a snapshot of `store` and returns its typed result. A backend failure
/// becomes `E` through `From<StoreError>`.
pub async fn read<T, E, F>(store: &dyn MetaStore, mut job: F) -> Result<T, E>
where
    T: Send + 'static,
    E: From<StoreError> + Send + 'static,
    F: FnMut(&mut dyn ReadTx) -> Result<T, E> + Send + 'static,
{
    let erased: ReadJob = Box::new(move |tx| erase(job(tx)));
    restore(store.read(erased).await)
}

/// Runs `job` as one transaction of `store` and returns its typed result: its writes are
/// kept exactly when it answers `Ok`. A backend failure becomes `E` through
/// `From<StoreError>` (nothing is kept then).
pub async fn write<T, E, F>(store: &dyn MetaStore, mut job: F) -> Result<T, E>
where
    T: Send + 'static,
    E: From<StoreError> + Send + 'static,
    F: FnMut(&mut dyn Tx) -> Result<T, E> + Send + 'static,
{
    let erased: WriteJob = Box::new(move |tx| erase(job(tx)));
    restore(store.write(erased).await)
}

fn erase<T: Send + 'static, E: Send + 'static>(result: Result<T, E>) -> JobOutcome {
    match result {
        Ok(value) => Ok(Box::new(value)),
        Err(error) => Err(Box::new(error)),
    }
}

fn restore<T: 'static, E: From<StoreError> + 'static>(
    outcome: Result<JobOutcome, StoreError>,
) -> Result<T, E> {
    let mismatch = || {
        E::from(StoreError::Unavailable(
            "a job's result changed type in the backend".into(),
        ))
    };
    match outcome {
        Err(backend) => Err(E::from(backend)),
        Ok(Ok(value)) => value.downcast::<T>().map(|v| *v).map_err(|_| mismatch()),
        Ok(Err(error)) => Err(error
            .downcast::<E>()
            .map(|e| *e)
            .unwrap_or_else(|_| mismatch())),
    }
}

/// A repository's key in the other tables: assigned by the backend when it is inserted,
/// never reused for another repository (so a re-created repository starts empty).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RepoId(pub i64);

/// A stored repository.
#[derive(Debug, Clone, PartialEq)]
pub struct RepositoryRow {
    pub id: RepoId,
    pub record: RepositoryRecord,
}

/// Whether an image can be read ([`ImageStatus::Active`]) or is in archival storage.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ImageStatus {
    Active,
    Archived,
}

/// An image's place in a repository's page order: when it was pushed, then its digest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ImagePosition {
    pub pushed_at: Timestamp,
    pub digest: Sha256Digest,
}

/// A stored image, without its manifest bytes (which pages never read; see
/// [`ReadTx::manifest`]). Everything here is derived from the manifest once, at push, except
/// the times and the status.
#[derive(Debug, Clone, PartialEq)]
pub struct ImageRow {
    /// The sha256 of the exact manifest bytes.
    pub digest: Sha256Digest,
    /// The manifest's media type, as PutImage resolved it. (Shared, not copied: pages read
    /// a row per image.)
    pub media_type: Arc<str>,
    /// The artifact's type (`artifactType`, else the config's media type); none for an index.
    pub artifact_media_type: Option<Arc<str>>,
    /// Config plus layers as the manifest declares them (for an index, its largest child).
    pub size_in_bytes: u64,
    pub pushed_at: Timestamp,
    pub last_pulled_at: Option<Timestamp>,
    pub status: ImageStatus,
    pub last_archived_at: Option<Timestamp>,
    pub last_activated_at: Option<Timestamp>,
    /// The OCI `subject` this image refers to, if it is a referrer.
    pub subject: Option<Sha256Digest>,
    /// Where the image's push stands among its repository's pushes: a later push has a
    /// larger number. The store numbers an image when it inserts it (the number given to
    /// [`Tx::insert_image`] is not used); it orders images pushed in the same millisecond.
    pub push_sequence: u64,
}

impl ImageRow {
    pub fn position(&self) -> ImagePosition {
        ImagePosition {
            pushed_at: self.pushed_at,
            digest: self.digest,
        }
    }
}

/// What an image's manifest points at inside its repository.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Reference {
    /// A config or layer blob (a layer of the repository).
    Layer(Sha256Digest),
    /// A child manifest of an index or manifest list (an image of the repository).
    Manifest(Sha256Digest),
}

/// A blob linked into a repository (by a layer upload or, later, a registry mount).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LayerRow {
    pub digest: Sha256Digest,
    pub size: u64,
    /// The media type the first manifest referencing the layer gave it; none before that.
    pub media_type: Option<String>,
    pub linked_at: Timestamp,
}

/// An upload session: its bytes are staged in the blob store under `id`; its hasher is
/// kept in memory (rebuilt from the staged bytes after a restart).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadRow {
    pub id: UploadId,
    pub repository: RepoId,
    /// Bytes received and acknowledged so far.
    pub received: u64,
    /// Parts received so far.
    pub parts: u32,
    /// The length of the last part received (0 before any).
    pub last_part_size: u64,
    /// Whether a part that is no longer the last was shorter than ECR's minimum part size.
    pub short_part: bool,
    pub started_at: Timestamp,
}

/// The reads a job may make. Methods answer `Err` only when the backend fails.
pub trait ReadTx {
    /// The repository of `scope` named `name`.
    fn repository(
        &mut self,
        scope: &Scope,
        name: &RepositoryName,
    ) -> Result<Option<RepositoryRow>, StoreError>;

    /// Up to `limit` repositories of `scope` in name order (byte order), after `after`.
    fn repositories_after(
        &mut self,
        scope: &Scope,
        after: Option<&RepositoryName>,
        limit: usize,
    ) -> Result<Vec<RepositoryRow>, StoreError>;

    /// Every repository of every registry, by account, region and name (admin use).
    fn all_repositories(&mut self) -> Result<Vec<(Scope, RepositoryRow)>, StoreError>;

    /// The image `digest` of `repository`.
    fn image(
        &mut self,
        repository: RepoId,
        digest: &Sha256Digest,
    ) -> Result<Option<ImageRow>, StoreError>;

    /// The exact manifest bytes of image `digest`.
    fn manifest(
        &mut self,
        repository: RepoId,
        digest: &Sha256Digest,
    ) -> Result<Option<Bytes>, StoreError>;

    /// Up to `limit` images of `repository` in [`ImagePosition`] order, after `after`.
    fn images_after(
        &mut self,
        repository: RepoId,
        after: Option<&ImagePosition>,
        limit: usize,
    ) -> Result<Vec<ImageRow>, StoreError>;

    /// How many images `repository` holds (any status).
    fn image_count(&mut self, repository: RepoId) -> Result<u64, StoreError>;

    /// The images of `repository` whose manifest lists `child` among its manifests.
    fn parents(
        &mut self,
        repository: RepoId,
        child: &Sha256Digest,
    ) -> Result<Vec<Sha256Digest>, StoreError>;

    /// Up to `limit` images of `repository` whose subject is `subject`, in digest order,
    /// after `after`.
    fn referrers_after(
        &mut self,
        repository: RepoId,
        subject: &Sha256Digest,
        after: Option<&Sha256Digest>,
        limit: usize,
    ) -> Result<Vec<ImageRow>, StoreError>;

    /// The image tag `tag` names in `repository`.
    fn tag(
        &mut self,
        repository: RepoId,
        tag: &ImageTag,
    ) -> Result<Option<Sha256Digest>, StoreError>;

    /// Up to `limit` tags of `repository` in byte order, after `after` (which need not be a
    /// tag, nor valid as one).
    fn tags_after(
        &mut self,
        repository: RepoId,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<ImageTag>, StoreError>;

    /// The tags naming image `digest`, in the order they were set on it.
    fn tags_of(
        &mut self,
        repository: RepoId,
        digest: &Sha256Digest,
    ) -> Result<Vec<ImageTag>, StoreError>;

    /// The layer `digest` of `repository`.
    fn layer(
        &mut self,
        repository: RepoId,
        digest: &Sha256Digest,
    ) -> Result<Option<LayerRow>, StoreError>;

    /// Whether an image of `repository` references layer `digest`.
    fn layer_referenced(
        &mut self,
        repository: RepoId,
        digest: &Sha256Digest,
    ) -> Result<bool, StoreError>;

    /// Whether any repository of any registry links blob `digest` (garbage collection).
    fn blob_linked(&mut self, digest: &Sha256Digest) -> Result<bool, StoreError>;

    /// The upload session `id`.
    fn upload(&mut self, id: &UploadId) -> Result<Option<UploadRow>, StoreError>;

    /// Up to `limit` upload sessions started before `before` (expiry).
    fn uploads_started_before(
        &mut self,
        before: Timestamp,
        limit: usize,
    ) -> Result<Vec<UploadRow>, StoreError>;

    /// The document `key` of `kind` in registry `scope`.
    fn registry_document(
        &mut self,
        scope: &Scope,
        kind: &str,
        key: &str,
    ) -> Result<Option<Bytes>, StoreError>;

    /// Up to `limit` documents of `kind` in registry `scope`, by key in byte order, after
    /// `after` (which need not be a key).
    fn registry_documents_after(
        &mut self,
        scope: &Scope,
        kind: &str,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<(String, Bytes)>, StoreError>;

    /// Repository `repository`'s document of `kind`.
    fn repository_document(
        &mut self,
        repository: RepoId,
        kind: &str,
    ) -> Result<Option<Bytes>, StoreError>;

    /// Every repository of every registry that has a document of `kind`, by id.
    fn repositories_with_document(
        &mut self,
        kind: &str,
    ) -> Result<Vec<(Scope, RepositoryRow)>, StoreError>;

    /// Image `digest`'s document of `kind`.
    fn image_document(
        &mut self,
        repository: RepoId,
        digest: &Sha256Digest,
        kind: &str,
    ) -> Result<Option<Bytes>, StoreError>;
}

/// The writes a job may make, besides the reads. They store exactly what they are given:
/// every rule is checked by the job before it writes.
pub trait Tx: ReadTx {
    /// Adds a repository to `scope` (the job has checked the name is free).
    fn insert_repository(
        &mut self,
        scope: &Scope,
        record: &RepositoryRecord,
    ) -> Result<RepoId, StoreError>;

    /// Replaces the settings, tags and policy of repository `id` (its name stays).
    fn update_repository(
        &mut self,
        id: RepoId,
        record: &RepositoryRecord,
    ) -> Result<(), StoreError>;

    /// Removes repository `id` with everything in it: images, tags, layers, uploads, and
    /// its and its images' documents.
    fn delete_repository(&mut self, id: RepoId) -> Result<(), StoreError>;

    /// Adds image `row.digest` to `repository` with its exact manifest bytes and what the
    /// manifest references (the job has checked the digest is new there), numbered after
    /// every image the repository holds (`row.push_sequence` is replaced).
    fn insert_image(
        &mut self,
        repository: RepoId,
        row: &ImageRow,
        manifest: &Bytes,
        references: &[Reference],
    ) -> Result<(), StoreError>;

    /// Replaces the mutable fields of image `row.digest` (pull time, status and its times).
    fn update_image(&mut self, repository: RepoId, row: &ImageRow) -> Result<(), StoreError>;

    /// Removes image `digest` with its tags, references and documents.
    fn delete_image(&mut self, repository: RepoId, digest: &Sha256Digest)
    -> Result<(), StoreError>;

    /// Points `tag` at image `digest` (an existing image), moving it from any other image;
    /// the tag becomes the last of `digest`'s tags.
    fn set_tag(
        &mut self,
        repository: RepoId,
        tag: &ImageTag,
        digest: &Sha256Digest,
    ) -> Result<(), StoreError>;

    /// Removes `tag` from `repository`, if there.
    fn remove_tag(&mut self, repository: RepoId, tag: &ImageTag) -> Result<(), StoreError>;

    /// Adds or replaces layer `row.digest` of `repository`.
    fn put_layer(&mut self, repository: RepoId, row: &LayerRow) -> Result<(), StoreError>;

    /// Adds or replaces upload session `row.id`.
    fn put_upload(&mut self, row: &UploadRow) -> Result<(), StoreError>;

    /// Removes upload session `id`, if there.
    fn delete_upload(&mut self, id: &UploadId) -> Result<(), StoreError>;

    /// Adds or replaces document `key` of `kind` in registry `scope`.
    fn put_registry_document(
        &mut self,
        scope: &Scope,
        kind: &str,
        key: &str,
        value: &Bytes,
    ) -> Result<(), StoreError>;

    /// Removes document `key` of `kind` from registry `scope`, if there.
    fn delete_registry_document(
        &mut self,
        scope: &Scope,
        kind: &str,
        key: &str,
    ) -> Result<(), StoreError>;

    /// Adds or replaces repository `repository`'s document of `kind` (an existing
    /// repository); it goes when the repository does.
    fn put_repository_document(
        &mut self,
        repository: RepoId,
        kind: &str,
        value: &Bytes,
    ) -> Result<(), StoreError>;

    /// Removes repository `repository`'s document of `kind`, if there.
    fn delete_repository_document(
        &mut self,
        repository: RepoId,
        kind: &str,
    ) -> Result<(), StoreError>;

    /// Adds or replaces image `digest`'s document of `kind` (an existing image); it goes
    /// when the image does.
    fn put_image_document(
        &mut self,
        repository: RepoId,
        digest: &Sha256Digest,
        kind: &str,
        value: &Bytes,
    ) -> Result<(), StoreError>;

    /// Removes image `digest`'s document of `kind`, if there.
    fn delete_image_document(
        &mut self,
        repository: RepoId,
        digest: &Sha256Digest,
        kind: &str,
    ) -> Result<(), StoreError>;
}
