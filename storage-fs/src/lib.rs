//! Berth's blobs on a filesystem: [`FsBlobStore`] implements ecr-impl's [`BlobStore`] in a
//! directory, the data directory with `--data-dir`, a temporary one removed on drop without.
//!
//! ```text
//! DIR/blobs/sha256/<2 hex>/<64 hex>   one file per blob, named by its digest
//! DIR/uploads/<upload id>             the bytes staged for one upload
//! ```
//! An upload is written in place in `uploads/` and published by a rename into `blobs/` once
//! its bytes are durable (fsync the file, rename, fsync the directories), so a blob file is
//! complete whenever it exists, even after a crash; a staged upload survives a restart.
//! Only validated [`UploadId`]s and [`Sha256Digest`]s ever become file names.
//!
//! Every file operation runs on tokio's blocking pool; appends are gathered into writes of
//! [`WRITE_CHUNK_BYTES`] and reads stream in chunks of [`READ_CHUNK_BYTES`], so memory stays
//! flat whatever the blob's size.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Seek, SeekFrom, Write};
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use bytes::Bytes;
use ecr_impl::store::blobs::{
    BlobError, BlobFuture, BlobStore, ByteStream, Sha256Digest, Staged, UploadId,
};
use futures_core::Stream;
use tempfile::TempDir;
use tokio::io::{AsyncReadExt, Take};
use tokio_util::io::ReaderStream;

/// Appended bytes are gathered until a write of at least this many (a chunk this large or
/// larger is written as it is): few blocking-pool hops, and at most this much buffered.
pub const WRITE_CHUNK_BYTES: usize = 1024 * 1024;

/// Reads yield chunks of at most this many bytes.
pub const READ_CHUNK_BYTES: usize = 256 * 1024;

/// Where blobs live, below the root: the digest algorithm names the folder.
const BLOBS_DIR: &str = "blobs/sha256";

/// Where uploads are staged, below the root.
const UPLOADS_DIR: &str = "uploads";

/// Blobs and staged uploads in one directory. Its futures run their file work on the
/// blocking pool of the tokio runtime that polls them.
#[derive(Debug)]
pub struct FsBlobStore {
    root: PathBuf,
    blobs: PathBuf,
    uploads: PathBuf,
    /// The temporary root, removed when the store is dropped; `None` for a data directory.
    _temporary: Option<TempDir>,
}

impl FsBlobStore {
    /// The blobs and uploads in `dir` (created if missing), kept across restarts. Removes the
    /// leftovers of interrupted writes first (see [`FsBlobStore::sweep`]).
    pub fn open(dir: &Path) -> io::Result<FsBlobStore> {
        let store = FsBlobStore::at(dir, None)?;
        store.sweep()?;
        Ok(store)
    }

    /// A store in a new temporary directory, removed with everything in it when the store is
    /// dropped: blobs on disk, not in memory, even without a data directory.
    pub fn temporary() -> io::Result<FsBlobStore> {
        let temporary = tempfile::Builder::new().prefix("berth-blobs-").tempdir()?;
        let root = temporary.path().to_path_buf();
        FsBlobStore::at(&root, Some(temporary))
    }

    fn at(root: &Path, temporary: Option<TempDir>) -> io::Result<FsBlobStore> {
        let store = FsBlobStore {
            root: root.to_path_buf(),
            blobs: root.join(BLOBS_DIR),
            uploads: root.join(UPLOADS_DIR),
            _temporary: temporary,
        };
        fs::create_dir_all(&store.blobs)?;
        fs::create_dir_all(&store.uploads)?;
        Ok(store)
    }

    /// The root directory (the data directory, or the temporary one).
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Removes every file in `uploads/` and in the `blobs/sha256/<2 hex>/` folders whose name
    /// is not one this store gives (an upload id; the digest of that folder's prefix): the
    /// leftovers of an interrupted write. Returns how many it removed. Anything else
    /// (folders, other places) is left alone.
    pub fn sweep(&self) -> io::Result<usize> {
        let mut removed =
            remove_files_not_named(&self.uploads, |name| upload_named(name).is_some())?;
        for entry in fs::read_dir(&self.blobs)? {
            let entry = entry?;
            let Some(prefix) = entry.file_name().to_str().and_then(prefix_dir_named) else {
                continue;
            };
            if !entry.file_type()?.is_dir() {
                continue;
            }
            removed +=
                remove_files_not_named(&entry.path(), |name| blob_named(name, prefix).is_some())?;
        }
        Ok(removed)
    }

    /// Blob `digest`'s prefix folder and file.
    fn blob_path(&self, digest: &Sha256Digest) -> (PathBuf, PathBuf) {
        let dir = self.blobs.join(prefix_dir(digest.as_bytes()[0]));
        let path = dir.join(digest.hex());
        (dir, path)
    }

    fn upload_path(&self, upload: &UploadId) -> PathBuf {
        self.uploads.join(upload.to_string())
    }
}

/// The folder of the blobs whose digest starts with byte `prefix`: two lowercase hex digits.
fn prefix_dir(prefix: u8) -> String {
    format!("{prefix:02x}")
}

/// The prefix byte a folder's name gives, if it is one this store gives.
fn prefix_dir_named(name: &str) -> Option<u8> {
    let prefix = u8::from_str_radix(name, 16).ok()?;
    (prefix_dir(prefix) == name).then_some(prefix)
}

/// The blob a file in prefix folder `prefix` holds, if its name is one this store gives.
fn blob_named(name: &str, prefix: u8) -> Option<Sha256Digest> {
    let digest = Sha256Digest::from_hex(name).ok()?;
    (digest.hex() == name && digest.as_bytes()[0] == prefix).then_some(digest)
}

/// The upload a file in `uploads/` holds, if its name is one this store gives.
fn upload_named(name: &str) -> Option<UploadId> {
    let upload = name.parse::<UploadId>().ok()?;
    (upload.to_string() == name).then_some(upload)
}

fn remove_files_not_named(dir: &Path, kept: impl Fn(&str) -> bool) -> io::Result<usize> {
    let mut removed = 0;
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        if !entry.file_type()?.is_file() {
            continue;
        }
        let name = entry.file_name();
        if name.to_str().is_some_and(&kept) {
            continue;
        }
        fs::remove_file(entry.path())?;
        removed += 1;
    }
    Ok(removed)
}

/// Makes the entries of `dir` (a rename or creation in it) durable.
fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

/// Runs `work` on the blocking pool.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, BlobError> + Send + 'static,
) -> Result<T, BlobError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|failed| BlobError::Unavailable(format!("blob I/O task failed: {failed}")))?
}

/// `error`, or `missing` when it says the file is not there.
fn or_missing(error: io::Error, missing: BlobError) -> BlobError {
    if error.kind() == io::ErrorKind::NotFound {
        missing
    } else {
        error.into()
    }
}

impl BlobStore for FsBlobStore {
    fn stage<'a>(&'a self, upload: &'a UploadId, offset: u64) -> BlobFuture<'a, Box<dyn Staged>> {
        let path = self.upload_path(upload);
        let uploads = self.uploads.clone();
        Box::pin(async move {
            let staged = blocking(move || {
                let mut file = if offset == 0 {
                    create_or_empty(&path, &uploads)?
                } else {
                    let file = OpenOptions::new()
                        .write(true)
                        .open(&path)
                        .map_err(|error| or_missing(error, BlobError::UploadNotFound))?;
                    let staged = file.metadata()?.len();
                    if staged < offset {
                        return Err(BlobError::StagedTooShort { staged });
                    }
                    // Written but never acknowledged (a failed part, a crash): dropped.
                    file.set_len(offset)?;
                    file
                };
                file.seek(SeekFrom::Start(offset))?;
                Ok(FsStaged {
                    file: Some(file),
                    buffer: Vec::with_capacity(WRITE_CHUNK_BYTES),
                    len: offset,
                })
            })
            .await?;
            Ok(Box::new(staged) as Box<dyn Staged>)
        })
    }

    fn read_staged<'a>(&'a self, upload: &'a UploadId) -> BlobFuture<'a, ByteStream> {
        let path = self.upload_path(upload);
        Box::pin(async move {
            let (file, len) = blocking(move || {
                let file = File::open(&path)
                    .map_err(|error| or_missing(error, BlobError::UploadNotFound))?;
                let len = file.metadata()?.len();
                Ok((file, len))
            })
            .await?;
            Ok(file_stream(file, len))
        })
    }

    fn publish<'a>(&'a self, upload: &'a UploadId, digest: &'a Sha256Digest) -> BlobFuture<'a, ()> {
        let staged_path = self.upload_path(upload);
        let (dir, path) = self.blob_path(digest);
        let blobs = self.blobs.clone();
        let uploads = self.uploads.clone();
        Box::pin(blocking(move || {
            if path.try_exists()? {
                return Ok(());
            }
            // Durable before visible: the rename must never name bytes still in the cache.
            File::open(&staged_path)
                .and_then(|staged| staged.sync_all())
                .map_err(|error| or_missing(error, BlobError::UploadNotFound))?;
            match fs::create_dir(&dir) {
                Ok(()) => sync_dir(&blobs)?,
                Err(error) if error.kind() == io::ErrorKind::AlreadyExists => {}
                Err(error) => return Err(error.into()),
            }
            // Atomic: the blob's name appears with every byte behind it. A concurrent publish
            // of the same digest may replace it, with the same bytes.
            fs::rename(&staged_path, &path)
                .map_err(|error| or_missing(error, BlobError::UploadNotFound))?;
            sync_dir(&dir)?;
            sync_dir(&uploads)?;
            Ok(())
        }))
    }

    fn discard<'a>(&'a self, upload: &'a UploadId) -> BlobFuture<'a, ()> {
        let path = self.upload_path(upload);
        Box::pin(blocking(move || remove_if_present(&path)))
    }

    fn open<'a>(
        &'a self,
        digest: &'a Sha256Digest,
        range: Range<u64>,
    ) -> BlobFuture<'a, ByteStream> {
        let (_, path) = self.blob_path(digest);
        Box::pin(async move {
            let file = blocking(move || {
                let mut file =
                    File::open(&path).map_err(|error| or_missing(error, BlobError::NotFound))?;
                let len = file.metadata()?.len();
                if range.start > range.end || range.end > len {
                    return Err(BlobError::RangeNotSatisfiable { len });
                }
                file.seek(SeekFrom::Start(range.start))?;
                Ok(file)
            })
            .await?;
            Ok(file_stream(file, range.end - range.start))
        })
    }

    fn delete<'a>(&'a self, digest: &'a Sha256Digest) -> BlobFuture<'a, ()> {
        let (_, path) = self.blob_path(digest);
        Box::pin(blocking(move || remove_if_present(&path)))
    }

    fn blobs_after<'a>(
        &'a self,
        after: Option<&'a Sha256Digest>,
        limit: usize,
    ) -> BlobFuture<'a, Vec<Sha256Digest>> {
        let blobs = self.blobs.clone();
        let after = after.copied();
        Box::pin(blocking(move || {
            let mut listed = Vec::new();
            let first_prefix = after.map_or(0, |digest| digest.as_bytes()[0]);
            // One prefix folder at a time, in order: the cost follows the page, not the store.
            for prefix in first_prefix..=u8::MAX {
                if listed.len() >= limit {
                    break;
                }
                let dir = blobs.join(prefix_dir(prefix));
                let mut found: Vec<Sha256Digest> = names_in(&dir)?
                    .filter_map(|name| blob_named(&name, prefix))
                    .filter(|digest| after.is_none_or(|after| *digest > after))
                    .collect();
                found.sort_unstable();
                found.truncate(limit - listed.len());
                listed.append(&mut found);
            }
            Ok(listed)
        }))
    }

    fn uploads_after<'a>(
        &'a self,
        after: Option<&'a UploadId>,
        limit: usize,
    ) -> BlobFuture<'a, Vec<UploadId>> {
        let uploads = self.uploads.clone();
        let after = after.copied();
        Box::pin(blocking(move || {
            let mut listed: Vec<UploadId> = names_in(&uploads)?
                .filter_map(|name| upload_named(&name))
                .filter(|id| after.is_none_or(|after| *id > after))
                .collect();
            listed.sort_unstable();
            listed.truncate(limit);
            Ok(listed)
        }))
    }
}

/// Creates the upload's file, or empties it when it exists (an upload restarted at 0).
fn create_or_empty(path: &Path, uploads: &Path) -> Result<File, BlobError> {
    match OpenOptions::new().write(true).create_new(true).open(path) {
        Ok(file) => {
            // The new name must survive a crash like the bytes synced into it later.
            sync_dir(uploads)?;
            Ok(file)
        }
        Err(error) if error.kind() == io::ErrorKind::AlreadyExists => {
            let file = OpenOptions::new().write(true).open(path)?;
            file.set_len(0)?;
            Ok(file)
        }
        Err(error) => Err(error.into()),
    }
}

fn remove_if_present(path: &Path) -> Result<(), BlobError> {
    match fs::remove_file(path) {
        Err(error) if error.kind() != io::ErrorKind::NotFound => Err(error.into()),
        _ => Ok(()),
    }
}

/// The names of the files in `dir` that are valid UTF-8; none when `dir` does not exist.
fn names_in(dir: &Path) -> Result<impl Iterator<Item = String>, BlobError> {
    let entries = match fs::read_dir(dir) {
        Ok(entries) => Some(entries),
        Err(error) if error.kind() == io::ErrorKind::NotFound => None,
        Err(error) => return Err(error.into()),
    };
    let mut names = Vec::new();
    for entry in entries.into_iter().flatten() {
        let entry = entry?;
        if entry.file_type()?.is_file() {
            names.extend(entry.file_name().into_string().ok());
        }
    }
    Ok(names.into_iter())
}

/// An upload open for appending: small chunks gather in `buffer` until a large write.
struct FsStaged {
    /// `None` once a write failed: the file's length is then unknown, so the upload must be
    /// staged again at its acknowledged offset.
    file: Option<File>,
    buffer: Vec<u8>,
    /// Bytes appended so far, the upload's length once synced.
    len: u64,
}

impl FsStaged {
    /// Writes the buffer, then `chunk`, and fsyncs the file when `sync`: one hop to the
    /// blocking pool.
    async fn write_through(&mut self, chunk: Bytes, sync: bool) -> Result<(), BlobError> {
        let mut file = self.file.take().ok_or_else(broken_upload)?;
        let mut buffer = std::mem::take(&mut self.buffer);
        let (file, buffer) = blocking(move || {
            file.write_all(&buffer)?;
            file.write_all(&chunk)?;
            if sync {
                file.sync_all()?;
            }
            buffer.clear();
            Ok((file, buffer))
        })
        .await?;
        self.file = Some(file);
        self.buffer = buffer;
        Ok(())
    }
}

fn broken_upload() -> BlobError {
    BlobError::Unavailable("an earlier write to this upload failed".into())
}

impl Staged for FsStaged {
    fn append(&mut self, chunk: Bytes) -> BlobFuture<'_, ()> {
        Box::pin(async move {
            if self.file.is_none() {
                return Err(broken_upload());
            }
            let added = chunk.len() as u64;
            if self.buffer.len() + chunk.len() < WRITE_CHUNK_BYTES {
                self.buffer.extend_from_slice(&chunk);
            } else {
                self.write_through(chunk, false).await?;
            }
            self.len += added;
            Ok(())
        })
    }

    fn sync(&mut self) -> BlobFuture<'_, u64> {
        Box::pin(async move {
            self.write_through(Bytes::new(), true).await?;
            Ok(self.len)
        })
    }
}

/// `len` bytes of `file` from its current position, as a stream that fails if the file
/// ends sooner.
fn file_stream(file: File, len: u64) -> ByteStream {
    let reader = tokio::fs::File::from_std(file).take(len);
    Box::pin(FileStream {
        chunks: ReaderStream::with_capacity(reader, READ_CHUNK_BYTES),
        remaining: len,
    })
}

struct FileStream {
    chunks: ReaderStream<Take<tokio::fs::File>>,
    remaining: u64,
}

impl Stream for FileStream {
    type Item = Result<Bytes, BlobError>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        let next = ready!(Pin::new(&mut this.chunks).poll_next(cx));
        Poll::Ready(match next {
            Some(Ok(chunk)) => {
                this.remaining = this.remaining.saturating_sub(chunk.len() as u64);
                Some(Ok(chunk))
            }
            Some(Err(error)) => Some(Err(error.into())),
            None if this.remaining > 0 => {
                let missing = std::mem::take(&mut this.remaining);
                Some(Err(BlobError::Unavailable(format!(
                    "the file ended {missing} bytes early"
                ))))
            }
            None => None,
        })
    }
}
