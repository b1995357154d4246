//! [`SqliteTx`]: ecr-impl's [`ReadTx`] and [`Tx`] over one connection inside a
//! transaction (a reader's snapshot, or a write job's savepoint in the writer's batch).
//! It only stores: every rule is the job's.

use std::panic::{self, AssertUnwindSafe};

use berth_runtime::Timestamp;
use bytes::Bytes;
use ecr_generated::types::{ImageTag, RepositoryName};
use ecr_impl::store::blobs::{Sha256Digest, UploadId};
use ecr_impl::store::meta::{
    ImagePosition, ImageRow, LayerRow, ReadTx, Reference, RepoId, RepositoryRow, Tx, UploadRow,
};
use ecr_impl::store::{RepositoryRecord, Scope, StoreError};
use rusqlite::Connection;

use crate::{documents, images, layers, repositories};

/// A job's view of the database.
pub struct SqliteTx<'c> {
    conn: &'c Connection,
    /// The first backend failure a method met. The job's answer is then not trusted (it may
    /// have gone on as if nothing happened): the job is answered with this failure, and
    /// its writes are undone.
    failure: Option<StoreError>,
}

impl<'c> SqliteTx<'c> {
    /// Runs `job` on `conn` (already inside its transaction or savepoint) and answers what
    /// it answered, or the first backend failure it met, or a failure for its panic.
    pub fn run<O>(
        conn: &'c Connection,
        job: impl FnOnce(&mut SqliteTx<'c>) -> O,
    ) -> Result<O, StoreError> {
        let mut tx = SqliteTx {
            conn,
            failure: None,
        };
        let outcome = panic::catch_unwind(AssertUnwindSafe(|| job(&mut tx))).map_err(|_| {
            StoreError::Unavailable("a job failed unexpectedly and was undone".into())
        })?;
        match tx.failure {
            Some(failure) => Err(failure),
            None => Ok(outcome),
        }
    }

    /// Runs one table operation, remembering its failure.
    fn on<T>(
        &mut self,
        operation: impl FnOnce(&Connection) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let result = operation(self.conn);
        if let Err(error) = &result {
            self.failure.get_or_insert_with(|| error.clone());
        }
        result
    }
}

impl ReadTx for SqliteTx<'_> {
    fn repository(
        &mut self,
        scope: &Scope,
        name: &RepositoryName,
    ) -> Result<Option<RepositoryRow>, StoreError> {
        self.on(|conn| repositories::find(conn, scope, name))
    }

    fn repositories_after(
        &mut self,
        scope: &Scope,
        after: Option<&RepositoryName>,
        limit: usize,
    ) -> Result<Vec<RepositoryRow>, StoreError> {
        self.on(|conn| repositories::page(conn, scope, after, limit))
    }

    fn all_repositories(&mut self) -> Result<Vec<(Scope, RepositoryRow)>, StoreError> {
        self.on(repositories::all)
    }

    fn image(
        &mut self,
        repository: RepoId,
        digest: &Sha256Digest,
    ) -> Result<Option<ImageRow>, StoreError> {
        self.on(|conn| images::find(conn, repository, digest))
    }

    fn manifest(
        &mut self,
        repository: RepoId,
        digest: &Sha256Digest,
    ) -> Result<Option<Bytes>, StoreError> {
        self.on(|conn| images::manifest(conn, repository, digest))
    }

    fn images_after(
        &mut self,
        repository: RepoId,
        after: Option<&ImagePosition>,
        limit: usize,
    ) -> Result<Vec<ImageRow>, StoreError> {
        self.on(|conn| images::page(conn, repository, after, limit))
    }

    fn image_count(&mut self, repository: RepoId) -> Result<u64, StoreError> {
        self.on(|conn| images::count(conn, repository))
    }

    fn parents(
        &mut self,
        repository: RepoId,
        child: &Sha256Digest,
    ) -> Result<Vec<Sha256Digest>, StoreError> {
        self.on(|conn| images::parents(conn, repository, child))
    }

    fn referrers_after(
        &mut self,
        repository: RepoId,
        subject: &Sha256Digest,
        after: Option<&Sha256Digest>,
        limit: usize,
    ) -> Result<Vec<ImageRow>, StoreError> {
        self.on(|conn| images::referrers(conn, repository, subject, after, limit))
    }

    fn tag(
        &mut self,
        repository: RepoId,
        tag: &ImageTag,
    ) -> Result<Option<Sha256Digest>, StoreError> {
        self.on(|conn| images::tag(conn, repository, tag))
    }

    fn tags_after(
        &mut self,
        repository: RepoId,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<ImageTag>, StoreError> {
        self.on(|conn| images::tags_after(conn, repository, after, limit))
    }

    fn tags_of(
        &mut self,
        repository: RepoId,
        digest: &Sha256Digest,
    ) -> Result<Vec<ImageTag>, StoreError> {
        self.on(|conn| images::tags_of(conn, repository, digest))
    }

    fn layer(
        &mut self,
        repository: RepoId,
        digest: &Sha256Digest,
    ) -> Result<Option<LayerRow>, StoreError> {
        self.on(|conn| layers::layer(conn, repository, digest))
    }

    fn layer_referenced(
        &mut self,
        repository: RepoId,
        digest: &Sha256Digest,
    ) -> Result<bool, StoreError> {
        self.on(|conn| images::layer_referenced(conn, repository, digest))
    }

    fn blob_linked(&mut self, digest: &Sha256Digest) -> Result<bool, StoreError> {
        self.on(|conn| layers::blob_linked(conn, digest))
    }

    fn upload(&mut self, id: &UploadId) -> Result<Option<UploadRow>, StoreError> {
        self.on(|conn| layers::upload(conn, id))
    }

    fn uploads_started_before(
        &mut self,
        before: Timestamp,
        limit: usize,
    ) -> Result<Vec<UploadRow>, StoreError> {
        self.on(|conn| layers::uploads_started_before(conn, before, limit))
    }

    fn registry_document(
        &mut self,
        scope: &Scope,
        kind: &str,
        key: &str,
    ) -> Result<Option<Bytes>, StoreError> {
        self.on(|conn| documents::registry_document(conn, scope, kind, key))
    }

    fn registry_documents_after(
        &mut self,
        scope: &Scope,
        kind: &str,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<(String, Bytes)>, StoreError> {
        self.on(|conn| documents::registry_documents_after(conn, scope, kind, after, limit))
    }

    fn repository_document(
        &mut self,
        repository: RepoId,
        kind: &str,
    ) -> Result<Option<Bytes>, StoreError> {
        self.on(|conn| documents::repository_document(conn, repository, kind))
    }

    fn repositories_with_document(
        &mut self,
        kind: &str,
    ) -> Result<Vec<(Scope, RepositoryRow)>, StoreError> {
        self.on(|conn| repositories::with_document(conn, kind))
    }

    fn image_document(
        &mut self,
        repository: RepoId,
        digest: &Sha256Digest,
        kind: &str,
    ) -> Result<Option<Bytes>, StoreError> {
        self.on(|conn| documents::image_document(conn, repository, digest, kind))
    }
}

impl Tx for SqliteTx<'_> {
    fn insert_repository(
        &mut self,
        scope: &Scope,
        record: &RepositoryRecord,
    ) -> Result<RepoId, StoreError> {
        self.on(|conn| repositories::insert(conn, scope, record))
    }

    fn update_repository(
        &mut self,
        id: RepoId,
        record: &RepositoryRecord,
    ) -> Result<(), StoreError> {
        self.on(|conn| repositories::update(conn, id, record))
    }

    fn delete_repository(&mut self, id: RepoId) -> Result<(), StoreError> {
        self.on(|conn| repositories::delete(conn, id))
    }

    fn insert_image(
        &mut self,
        repository: RepoId,
        row: &ImageRow,
        manifest: &Bytes,
        references: &[Reference],
    ) -> Result<(), StoreError> {
        self.on(|conn| images::insert(conn, repository, row, manifest, references))
    }

    fn update_image(&mut self, repository: RepoId, row: &ImageRow) -> Result<(), StoreError> {
        self.on(|conn| images::update(conn, repository, row))
    }

    fn delete_image(
        &mut self,
        repository: RepoId,
        digest: &Sha256Digest,
    ) -> Result<(), StoreError> {
        self.on(|conn| images::delete(conn, repository, digest))
    }

    fn set_tag(
        &mut self,
        repository: RepoId,
        tag: &ImageTag,
        digest: &Sha256Digest,
    ) -> Result<(), StoreError> {
        self.on(|conn| images::set_tag(conn, repository, tag, digest))
    }

    fn remove_tag(&mut self, repository: RepoId, tag: &ImageTag) -> Result<(), StoreError> {
        self.on(|conn| images::remove_tag(conn, repository, tag))
    }

    fn put_layer(&mut self, repository: RepoId, row: &LayerRow) -> Result<(), StoreError> {
        self.on(|conn| layers::put_layer(conn, repository, row))
    }

    fn put_upload(&mut self, row: &UploadRow) -> Result<(), StoreError> {
        self.on(|conn| layers::put_upload(conn, row))
    }

    fn delete_upload(&mut self, id: &UploadId) -> Result<(), StoreError> {
        self.on(|conn| layers::delete_upload(conn, id))
    }

    fn put_registry_document(
        &mut self,
        scope: &Scope,
        kind: &str,
        key: &str,
        value: &Bytes,
    ) -> Result<(), StoreError> {
        self.on(|conn| documents::put_registry_document(conn, scope, kind, key, value))
    }

    fn delete_registry_document(
        &mut self,
        scope: &Scope,
        kind: &str,
        key: &str,
    ) -> Result<(), StoreError> {
        self.on(|conn| documents::delete_registry_document(conn, scope, kind, key))
    }

    fn put_repository_document(
        &mut self,
        repository: RepoId,
        kind: &str,
        value: &Bytes,
    ) -> Result<(), StoreError> {
        self.on(|conn| documents::put_repository_document(conn, repository, kind, value))
    }

    fn delete_repository_document(
        &mut self,
        repository: RepoId,
        kind: &str,
    ) -> Result<(), StoreError> {
        self.on(|conn| documents::delete_repository_document(conn, repository, kind))
    }

    fn put_image_document(
        &mut self,
        repository: RepoId,
        digest: &Sha256Digest,
        kind: &str,
        value: &Bytes,
    ) -> Result<(), StoreError> {
        self.on(|conn| documents::put_image_document(conn, repository, digest, kind, value))
    }

    fn delete_image_document(
        &mut self,
        repository: RepoId,
        digest: &Sha256Digest,
        kind: &str,
    ) -> Result<(), StoreError> {
        self.on(|conn| documents::delete_image_document(conn, repository, digest, kind))
    }
}
