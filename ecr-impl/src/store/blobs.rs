//! Blobs: byte strings named by their SHA-256, shared by the layer operations and (next) the
//! OCI `/v2` API. The store knows no repositories, tags or transactions: which repository
//! links which blob is metadata.
//!
//! An upload is *staged* under its [`UploadId`] (appended to in order, made durable with
//! [`Staged::sync`]), then *published* as blob [`Sha256Digest`] once the caller has verified
//! the digest it computed while the bytes streamed in ([`Sha256Writer`]): the store never
//! re-reads a blob to hash it. File or object names come only from these two validated types.
//!
//! The interface is narrow on purpose: an S3-compatible backend can map `stage` to a
//! multipart upload, `publish` to its completion, `open` to a ranged GET.

use std::fmt;
use std::future::{Future, poll_fn};
use std::ops::Range;
use std::pin::Pin;
use std::str::FromStr;

use bytes::Bytes;
use ecr_generated::types;
use futures_core::Stream;
use sha2::{Digest as _, Sha256};

/// What a blob store's methods return.
pub type BlobFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, BlobError>> + Send + 'a>>;

/// Bytes read from a blob or an upload, in order; an error ends the stream.
pub type ByteStream = Pin<Box<dyn Stream<Item = Result<Bytes, BlobError>> + Send>>;

/// Where blobs and staged uploads live.
///
/// The caller serializes the calls for one upload (a per-upload lock) and for one digest
/// (publish against delete); the store keeps every call atomic on its own.
pub trait BlobStore: Send + Sync + fmt::Debug {
    /// Opens upload `upload` for appending at byte `offset`, the length the caller's metadata
    /// acknowledged: at 0 the upload is created (or emptied); bytes past `offset`, written
    /// but never acknowledged, are dropped. `UploadNotFound` when nothing is staged and
    /// `offset > 0`; `StagedTooShort` when fewer than `offset` bytes are durable.
    fn stage<'a>(&'a self, upload: &'a UploadId, offset: u64) -> BlobFuture<'a, Box<dyn Staged>>;

    /// Every byte staged under `upload` (to rebuild its hasher after a restart).
    fn read_staged<'a>(&'a self, upload: &'a UploadId) -> BlobFuture<'a, ByteStream>;

    /// Durably and atomically makes the staged bytes of `upload` blob `digest`, which the
    /// caller has verified: the blob is whole from the moment it can be opened. A no-op when
    /// blob `digest` exists already, even with nothing staged, so a publish repeated after a
    /// crash succeeds. The staged bytes may be moved into the blob or left for
    /// [`BlobStore::discard`], which the caller calls after its commit either way. No
    /// [`Staged`] of `upload` may be open meanwhile.
    fn publish<'a>(&'a self, upload: &'a UploadId, digest: &'a Sha256Digest) -> BlobFuture<'a, ()>;

    /// Drops what is staged under `upload`, if anything.
    fn discard<'a>(&'a self, upload: &'a UploadId) -> BlobFuture<'a, ()>;

    /// Bytes `range` of blob `digest` as a stream. `NotFound` when there is no such blob;
    /// `RangeNotSatisfiable` (with the blob's length) when the range does not lie within it.
    fn open<'a>(
        &'a self,
        digest: &'a Sha256Digest,
        range: Range<u64>,
    ) -> BlobFuture<'a, ByteStream>;

    /// Removes blob `digest`, if it exists (the garbage collector's call).
    fn delete<'a>(&'a self, digest: &'a Sha256Digest) -> BlobFuture<'a, ()>;

    /// Up to `limit` blobs in digest order, after `after` (from the first when `None`).
    fn blobs_after<'a>(
        &'a self,
        after: Option<&'a Sha256Digest>,
        limit: usize,
    ) -> BlobFuture<'a, Vec<Sha256Digest>>;

    /// Up to `limit` staged uploads in id order, after `after` (from the first when `None`).
    fn uploads_after<'a>(
        &'a self,
        after: Option<&'a UploadId>,
        limit: usize,
    ) -> BlobFuture<'a, Vec<UploadId>>;
}

/// An upload open for appending. Appended bytes count only once [`Staged::sync`] returned;
/// dropping it without a sync may keep or lose any of them.
pub trait Staged: Send {
    /// Appends `chunk` after the bytes appended so far.
    fn append(&mut self, chunk: Bytes) -> BlobFuture<'_, ()>;

    /// Makes every appended byte durable; returns the upload's durable length.
    fn sync(&mut self) -> BlobFuture<'_, u64>;
}

/// Why a blob store call did not happen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BlobError {
    /// No blob has this digest.
    NotFound,
    /// Nothing is staged under this upload id.
    UploadNotFound,
    /// Fewer bytes are staged (durably) than the offset asked for.
    StagedTooShort { staged: u64 },
    /// The byte range asked for does not lie within the blob, whose length is `len`.
    RangeNotSatisfiable { len: u64 },
    /// The backend itself failed (I/O, a damaged file): a server fault.
    Unavailable(String),
}

impl fmt::Display for BlobError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BlobError::NotFound => f.write_str("blob not found"),
            BlobError::UploadNotFound => f.write_str("upload not found"),
            BlobError::StagedTooShort { staged } => {
                write!(f, "only {staged} bytes are staged")
            }
            BlobError::RangeNotSatisfiable { len } => {
                write!(f, "range not within the blob's {len} bytes")
            }
            BlobError::Unavailable(detail) => write!(f, "blob storage unavailable: {detail}"),
        }
    }
}

impl std::error::Error for BlobError {}

impl From<std::io::Error> for BlobError {
    fn from(error: std::io::Error) -> BlobError {
        BlobError::Unavailable(error.to_string())
    }
}

/// A SHA-256 digest, the name of a blob: `sha256:` and 64 hex digits. Parsed in either
/// letter case (as ECR accepts), printed in lowercase.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Sha256Digest([u8; 32]);

/// Why a text is not a [`Sha256Digest`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DigestError {
    /// The text does not start with `sha256:`.
    NotSha256,
    /// What follows `sha256:` is not 64 hex digits.
    BadHex,
}

impl fmt::Display for DigestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DigestError::NotSha256 => write!(f, "not a {} digest", Sha256Digest::PREFIX),
            DigestError::BadHex => f.write_str("not 64 hex digits"),
        }
    }
}

impl std::error::Error for DigestError {}

impl Sha256Digest {
    /// What every SHA-256 digest's text starts with.
    pub const PREFIX: &'static str = "sha256:";

    /// The digest of `bytes`.
    pub fn of(bytes: &[u8]) -> Sha256Digest {
        Sha256Digest(Sha256::digest(bytes).into())
    }

    pub const fn from_bytes(bytes: [u8; 32]) -> Sha256Digest {
        Sha256Digest(bytes)
    }

    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// The 64 hex digits alone (lowercase): a blob's file or object name.
    pub fn hex(&self) -> String {
        let mut digits = [0; 64];
        self.hex_into(&mut digits).to_owned()
    }

    /// Writes the 64 hex digits into `out`; they, as text. One table lookup per byte, no
    /// allocation: image pages write a digest per image.
    fn hex_into<'a>(&self, out: &'a mut [u8; 64]) -> &'a str {
        hex::encode_to_slice(self.0, out).expect("64 digits for 32 bytes");
        std::str::from_utf8(out).expect("hex digits are ASCII")
    }

    /// Parses the 64 hex digits alone, in either letter case.
    pub fn from_hex(text: &str) -> Result<Sha256Digest, DigestError> {
        let mut bytes = [0; 32];
        // `decode_to_slice` also refuses a length other than 64.
        hex::decode_to_slice(text, &mut bytes).map_err(|_| DigestError::BadHex)?;
        Ok(Sha256Digest(bytes))
    }
}

impl FromStr for Sha256Digest {
    type Err = DigestError;

    fn from_str(text: &str) -> Result<Sha256Digest, DigestError> {
        let hex = text
            .strip_prefix(Sha256Digest::PREFIX)
            .ok_or(DigestError::NotSha256)?;
        Sha256Digest::from_hex(hex)
    }
}

impl fmt::Display for Sha256Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // One write of the whole text: `to_string` then allocates once, at its length.
        const PREFIX_LEN: usize = Sha256Digest::PREFIX.len();
        let mut text = [0; PREFIX_LEN + 64];
        text[..PREFIX_LEN].copy_from_slice(Sha256Digest::PREFIX.as_bytes());
        let digits: &mut [u8; 64] = (&mut text[PREFIX_LEN..]).try_into().expect("64 bytes");
        self.hex_into(digits);
        f.write_str(std::str::from_utf8(&text).expect("ASCII"))
    }
}

impl fmt::Debug for Sha256Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// An upload's id: a UUID in its hyphenated form (`8-4-4-4-12` hex digits), as the model's
/// `uploadId` pattern requires. Parsed in either letter case (UUIDs are case-insensitive), printed in
/// lowercase, so one upload has one file or object name.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct UploadId(uuid::Uuid);

/// Why a text is not an [`UploadId`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadIdError;

impl fmt::Display for UploadIdError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("not a hyphenated UUID")
    }
}

impl std::error::Error for UploadIdError {}

impl UploadId {
    /// A new random id.
    pub fn random() -> UploadId {
        UploadId(uuid::Uuid::new_v4())
    }
}

impl FromStr for UploadId {
    type Err = UploadIdError;

    fn from_str(text: &str) -> Result<UploadId, UploadIdError> {
        let valid = types::UploadId::try_from(text).map_err(|_| UploadIdError)?;
        UploadId::try_from(&valid)
    }
}

impl TryFrom<&types::UploadId> for UploadId {
    type Error = UploadIdError;

    /// The model's `uploadId` pattern admits only the hyphenated form (of the forms
    /// `Uuid::try_parse` takes), so a UUID has one spelling but for letter case.
    fn try_from(valid: &types::UploadId) -> Result<UploadId, UploadIdError> {
        uuid::Uuid::try_parse(valid.as_str())
            .map(UploadId)
            .map_err(|_| UploadIdError)
    }
}

impl fmt::Display for UploadId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0.hyphenated(), f)
    }
}

impl fmt::Debug for UploadId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// The running SHA-256 of an upload and its length: what the bytes hash to so far. An upload
/// session keeps one; [`Sha256Writer`] advances it as bytes stream in.
#[derive(Clone, Default)]
pub struct Sha256Hasher {
    state: Sha256,
    len: u64,
}

impl fmt::Debug for Sha256Hasher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sha256Hasher")
            .field("len", &self.len)
            .finish_non_exhaustive()
    }
}

impl Sha256Hasher {
    pub fn new() -> Sha256Hasher {
        Sha256Hasher::default()
    }

    pub fn update(&mut self, bytes: &[u8]) {
        self.state.update(bytes);
        self.len += bytes.len() as u64;
    }

    /// How many bytes were hashed.
    pub fn len(&self) -> u64 {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The digest of the bytes hashed so far (more may follow).
    pub fn digest(&self) -> Sha256Digest {
        Sha256Digest(self.state.clone().finalize().into())
    }

    /// Hashes every byte of `stream`: rebuilds an upload's hasher from
    /// [`BlobStore::read_staged`] after a restart.
    pub async fn of_stream(mut stream: ByteStream) -> Result<Sha256Hasher, BlobError> {
        let mut hasher = Sha256Hasher::new();
        while let Some(chunk) = poll_fn(|cx| stream.as_mut().poll_next(cx)).await {
            hasher.update(&chunk?);
        }
        Ok(hasher)
    }
}

/// Appends to a staged upload and hashes the same bytes on the way, so the ingest path
/// hashes each byte once and the digest is known the moment the bytes are durable.
pub struct Sha256Writer {
    staged: Box<dyn Staged>,
    hasher: Sha256Hasher,
}

impl Sha256Writer {
    /// Writes after the bytes `hasher` has hashed: `staged` must be open at `hasher.len()`.
    pub fn new(staged: Box<dyn Staged>, hasher: Sha256Hasher) -> Sha256Writer {
        Sha256Writer { staged, hasher }
    }

    pub async fn append(&mut self, chunk: Bytes) -> Result<(), BlobError> {
        self.hasher.update(&chunk);
        self.staged.append(chunk).await
    }

    /// Makes the appended bytes durable and returns the hasher of the upload's new durable
    /// length. On any error the caller keeps its previous hasher and offset (and re-stages
    /// at that offset), so a failed part leaves the upload as it was.
    pub async fn sync(mut self) -> Result<Sha256Hasher, BlobError> {
        let durable = self.staged.sync().await?;
        if durable != self.hasher.len() {
            return Err(BlobError::Unavailable(format!(
                "{durable} bytes staged, {} hashed",
                self.hasher.len()
            )));
        }
        Ok(self.hasher)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // SHA-256 of the empty string and of "abc" (FIPS 180-2 test vectors).
    const EMPTY: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
    const ABC: &str = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";

    #[test]
    fn digests_of_known_vectors() {
        assert_eq!(Sha256Digest::of(b"").hex(), EMPTY);
        assert_eq!(
            Sha256Digest::of(b"abc").to_string(),
            format!("sha256:{ABC}")
        );
    }

    #[test]
    fn digests_parse_either_case_and_print_lowercase() {
        let lower: Sha256Digest = format!("sha256:{ABC}").parse().unwrap();
        let upper: Sha256Digest = format!("sha256:{}", ABC.to_uppercase()).parse().unwrap();
        let mixed_hex = format!("{}{}", &ABC[..32].to_uppercase(), &ABC[32..]);
        let mixed: Sha256Digest = format!("sha256:{mixed_hex}").parse().unwrap();
        assert_eq!(lower, Sha256Digest::of(b"abc"));
        assert_eq!(upper, lower);
        assert_eq!(mixed, lower);
        assert_eq!(upper.to_string(), format!("sha256:{ABC}"));
        assert_eq!(format!("{upper:?}"), format!("sha256:{ABC}"));
    }

    #[test]
    fn digests_refuse_anything_else() {
        let cases = [
            (String::new(), DigestError::NotSha256),
            (ABC.to_string(), DigestError::NotSha256),
            (format!("SHA256:{ABC}"), DigestError::NotSha256),
            (format!("sha512:{ABC}"), DigestError::NotSha256),
            (format!(" sha256:{ABC}"), DigestError::NotSha256),
            ("sha256:".to_string(), DigestError::BadHex),
            (format!("sha256:{}", &ABC[..63]), DigestError::BadHex),
            (format!("sha256:{ABC}0"), DigestError::BadHex),
            (format!("sha256:{ABC} "), DigestError::BadHex),
            (format!("sha256:{}g", &ABC[..63]), DigestError::BadHex),
            (format!("sha256:{}", &ABC[..62]) + "é", DigestError::BadHex),
            (
                "sha256:../../../etc/passwd".to_string(),
                DigestError::BadHex,
            ),
        ];
        for (text, error) in cases {
            assert_eq!(text.parse::<Sha256Digest>(), Err(error), "{text:?}");
        }
    }

    #[test]
    fn digest_text_round_trips_through_bytes() {
        let digest = Sha256Digest::of(b"round trip");
        assert_eq!(Sha256Digest::from_bytes(*digest.as_bytes()), digest);
        assert_eq!(Sha256Digest::from_hex(&digest.hex()), Ok(digest));
        assert_eq!(digest.to_string().parse(), Ok(digest));
    }

    #[test]
    fn upload_ids_are_hyphenated_uuids_in_either_case() {
        let text = "8e4a3c2b-1f0d-4e5a-9b7c-6d5e4f3a2b1c";
        let id: UploadId = text.parse().unwrap();
        assert_eq!(id.to_string(), text);
        let upper: UploadId = text.to_uppercase().parse().unwrap();
        assert_eq!(upper, id);
        assert_eq!(upper.to_string(), text);
        let random = UploadId::random();
        assert_eq!(random.to_string().parse(), Ok(random));
    }

    #[test]
    fn upload_ids_refuse_paths_and_other_spellings() {
        let refused = [
            "",
            "..",
            "../8e4a3c2b-1f0d-4e5a-9b7c-6d5e4f3a2b1c",
            "8e4a3c2b-1f0d-4e5a-9b7c-6d5e4f3a2b1c/..",
            "../../../../../../../../../etc/passwd",
            "8e4a3c2b/1f0d-4e5a-9b7c-6d5e4f3a2b1c",
            "/e4a3c2b-1f0d-4e5a-9b7c-6d5e4f3a2b1c",
            "%2e%2e%2f3c2b-1f0d-4e5a-9b7c-6d5e4f3a2b1c",
            "8e4a3c2b-1f0d-4e5a-9b7c-6d5e4f3a%2e%2e",
            "..%2f3c2b-1f0d-4e5a-9b7c-6d5e4f3a2b1c",
            "8e4a3c2b-1f0d-4e5a-9b7c-6d5e4f3a2b1\0",
            // Other UUID spellings: one upload has one name.
            "8e4a3c2b1f0d4e5a9b7c6d5e4f3a2b1c",
            "{8e4a3c2b-1f0d-4e5a-9b7c-6d5e4f3a2b1c}",
            "urn:uuid:8e4a3c2b-1f0d-4e5a-9b7c-6d5e4f3a2b1c",
            "8e4a3c2b-1f0d-4e5a-9b7c-6d5e4f3a2b1c ",
            "8e4a3c2b-1f0d-4e5a-9b7c-6d5e4f3a2b1g",
            "8e4a3c2b-1f0d-4e5a-9b7c-6d5e4f3a2b1",
            "8e4a3c2-b1f0d-4e5a-9b7c-6d5e4f3a2b1c",
        ];
        for text in refused {
            assert_eq!(text.parse::<UploadId>(), Err(UploadIdError), "{text:?}");
        }
    }

    #[test]
    fn the_hasher_agrees_with_a_one_shot_digest_whatever_the_chunks() {
        let bytes: Vec<u8> = (0..10_000u32).map(|i| (i % 251) as u8).collect();
        let mut hasher = Sha256Hasher::new();
        for chunk in bytes.chunks(777) {
            hasher.update(chunk);
        }
        assert_eq!(hasher.len(), bytes.len() as u64);
        assert_eq!(hasher.digest(), Sha256Digest::of(&bytes));
        // `digest` does not end the hashing.
        hasher.update(b"more");
        assert_eq!(
            hasher.digest(),
            Sha256Digest::of(&[&bytes[..], b"more"].concat())
        );
        assert_eq!(Sha256Hasher::new().digest().hex(), EMPTY);
    }
}
