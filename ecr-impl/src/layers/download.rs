//! Layer downloads (GetDownloadUrlForLayer, `ecr-behaviour-images.md` §10): real ECR
//! answers a pre-signed S3 URL; Berth answers a URL on its own endpoint (the scheme and
//! `Host` the client used) whose last path segment is a token this Berth signed. A plain
//! unsigned GET of it returns the layer's bytes until the token expires.
//!
//! A token is `<payload>.<signature>`, both base64url without padding; the payload is
//! `berth-layer-1:<account>:<region>:<repository>:<digest hex>:<expires_at epoch ms>` (no
//! field contains `:`) and the signature its HMAC-SHA256 under the [`TokenKey`] that signs
//! login passwords (whose payloads start with another format name).

use std::ops::Range;
use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use berth_runtime::Timestamp;
use ecr_generated::types::{Region, RegistryId, RepositoryName};

use super::LayerError;
use crate::auth::TokenKey;
use crate::limits::LAYER_DOWNLOAD_URL_LIFETIME;
use crate::messages;
use crate::store::Scope;
use crate::store::blobs::{BlobError, BlobStore, ByteStream, Sha256Digest};
use crate::store::meta::{self, MetaStore};

/// The path under which download URLs live: `<endpoint>/_berth/layers/<token>`. The server
/// routes `{LAYER_DOWNLOAD_PATH}{token}` to [`crate::Ecr::open_layer_download`].
pub const LAYER_DOWNLOAD_PATH: &str = "/_berth/layers/";

/// Names the payload's format, so no other token passes for a download token.
const PAYLOAD_VERSION: &str = "berth-layer-1";
const FIELD_SEPARATOR: char = ':';
const SIGNATURE_SEPARATOR: char = '.';

/// What a download token grants: one layer of one repository, until `expires_at`.
#[derive(Debug, Clone, PartialEq, Eq)]
struct DownloadGrant {
    scope: Scope,
    repository: RepositoryName,
    digest: Sha256Digest,
    expires_at: Timestamp,
}

impl DownloadGrant {
    fn payload(&self) -> String {
        let s = FIELD_SEPARATOR;
        format!(
            "{PAYLOAD_VERSION}{s}{}{s}{}{s}{}{s}{}{s}{}",
            self.scope.account_id,
            self.scope.region,
            self.repository,
            self.digest.hex(),
            self.expires_at.epoch_millis()
        )
    }

    fn token(&self, key: &TokenKey) -> String {
        let payload = self.payload();
        let signature = key.sign(payload.as_bytes());
        format!(
            "{}{SIGNATURE_SEPARATOR}{}",
            URL_SAFE_NO_PAD.encode(payload),
            URL_SAFE_NO_PAD.encode(signature)
        )
    }

    /// The grant `token` carries at `now`, if `key` signed it and it has not expired.
    fn verify(key: &TokenKey, token: &str, now: Timestamp) -> Result<Self, LayerDownloadError> {
        let invalid = || LayerDownloadError::InvalidToken;
        let (payload, signature) = token.split_once(SIGNATURE_SEPARATOR).ok_or_else(invalid)?;
        let payload = URL_SAFE_NO_PAD.decode(payload).map_err(|_| invalid())?;
        let signature = URL_SAFE_NO_PAD.decode(signature).map_err(|_| invalid())?;
        // The signature first: nothing unauthenticated is interpreted.
        if !key.signed(&payload, &signature) {
            return Err(invalid());
        }
        let grant = DownloadGrant::parse(&payload).ok_or_else(invalid)?;
        if now >= grant.expires_at {
            return Err(LayerDownloadError::Expired);
        }
        Ok(grant)
    }

    fn parse(payload: &[u8]) -> Option<DownloadGrant> {
        let text = std::str::from_utf8(payload).ok()?;
        let fields: Vec<&str> = text.split(FIELD_SEPARATOR).collect();
        let [version, account, region, repository, digest, expires_at] = fields[..] else {
            return None;
        };
        if version != PAYLOAD_VERSION {
            return None;
        }
        Some(DownloadGrant {
            scope: Scope {
                account_id: RegistryId::try_from(account).ok()?,
                region: Region::try_from(region).ok()?,
            },
            repository: RepositoryName::try_from(repository).ok()?,
            digest: Sha256Digest::from_hex(digest).ok()?,
            expires_at: Timestamp::from_epoch_millis(expires_at.parse().ok()?),
        })
    }
}

/// The download URL of layer `digest` of repository `name`, valid from `now` for
/// `limits::LAYER_DOWNLOAD_URL_LIFETIME`, on `endpoint` (where the client reached Berth; a
/// call made in-process has none and gets the path alone). The layer must be in the
/// repository (else LayersNotFound: a digest that is not sha256 never is) and referenced
/// by an image (else LayerInaccessible).
pub(crate) async fn download_url(
    meta: &dyn MetaStore,
    key: &TokenKey,
    scope: &Scope,
    name: &RepositoryName,
    digest: &str,
    endpoint: &str,
    now: Timestamp,
) -> Result<String, LayerError> {
    let parsed = digest.parse::<Sha256Digest>().ok();
    let digest = {
        let (scope, name) = (scope.clone(), name.clone());
        meta::read(meta, move |tx| {
            let repository = tx
                .repository(&scope, &name)?
                .ok_or(LayerError::RepositoryNotFound)?;
            let Some(digest) = parsed else {
                return Err(LayerError::LayerNotFound);
            };
            if tx.layer(repository.id, &digest)?.is_none() {
                return Err(LayerError::LayerNotFound);
            }
            if !tx.layer_referenced(repository.id, &digest)? {
                return Err(LayerError::LayerInaccessible);
            }
            Ok(digest)
        })
        .await?
    };
    let lifetime_ms = LAYER_DOWNLOAD_URL_LIFETIME.as_millis() as i64;
    let grant = DownloadGrant {
        scope: scope.clone(),
        repository: name.clone(),
        digest,
        expires_at: Timestamp::from_epoch_millis(now.epoch_millis() + lifetime_ms),
    };
    Ok(format!(
        "{}{LAYER_DOWNLOAD_PATH}{}",
        endpoint.trim_end_matches('/'),
        grant.token(key)
    ))
}

/// Why a download URL returns no bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LayerDownloadError {
    /// Not a token this Berth signed (altered, truncated, or another key's).
    InvalidToken,
    /// A genuine token past its expiry.
    Expired,
    /// The layer has left the repository since the URL was issued.
    Gone(Sha256Digest),
    /// A state backend failed: a server fault.
    Unavailable(String),
}

impl LayerDownloadError {
    /// The error's code, as S3 (where real ECR's download URLs point) names it.
    pub fn code(&self) -> &'static str {
        match self {
            LayerDownloadError::InvalidToken | LayerDownloadError::Expired => "AccessDenied",
            LayerDownloadError::Gone(_) => "NoSuchKey",
            LayerDownloadError::Unavailable(_) => "InternalError",
        }
    }

    /// The error's message (from `messages`).
    pub fn message(&self) -> String {
        match self {
            LayerDownloadError::InvalidToken => messages::layer_download_token_invalid(),
            LayerDownloadError::Expired => messages::layer_download_expired(),
            LayerDownloadError::Gone(digest) => messages::layer_download_gone(&digest.to_string()),
            LayerDownloadError::Unavailable(detail) => messages::store_unavailable(detail),
        }
    }
}

impl std::fmt::Display for LayerDownloadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code(), self.message())
    }
}

impl std::error::Error for LayerDownloadError {}

/// A layer a download URL grants: its digest and size, to open whole or in part.
#[derive(Debug, Clone)]
pub struct LayerDownload {
    pub digest: Sha256Digest,
    pub size: u64,
    blobs: Arc<dyn BlobStore>,
}

impl LayerDownload {
    /// Bytes `range` of the layer (within `0..size`). `NotFound` if the blob was collected
    /// since it was granted.
    pub async fn open(&self, range: Range<u64>) -> Result<ByteStream, BlobError> {
        self.blobs.open(&self.digest, range).await
    }
}

/// The layer `token` grants at `now`, if this Berth's `key` signed it, it has not expired,
/// and the repository still has the layer.
pub(crate) async fn open_layer_download(
    meta: &dyn MetaStore,
    blobs: Arc<dyn BlobStore>,
    key: &TokenKey,
    token: &str,
    now: Timestamp,
) -> Result<LayerDownload, LayerDownloadError> {
    let grant = DownloadGrant::verify(key, token, now)?;
    let digest = grant.digest;
    let size = meta::read(meta, move |tx| {
        let Some(repository) = tx.repository(&grant.scope, &grant.repository)? else {
            return Ok(None);
        };
        Ok(tx
            .layer(repository.id, &grant.digest)?
            .map(|layer| layer.size))
    })
    .await
    .map_err(|error: crate::store::StoreError| LayerDownloadError::Unavailable(error.to_string()))?
    .ok_or(LayerDownloadError::Gone(digest))?;
    Ok(LayerDownload {
        digest,
        size,
        blobs,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(byte: u8) -> TokenKey {
        TokenKey::from_bytes([byte; TokenKey::LEN])
    }

    fn grant() -> DownloadGrant {
        DownloadGrant {
            scope: Scope {
                account_id: RegistryId::try_from("111122223333").unwrap(),
                region: Region::try_from("eu-west-3").unwrap(),
            },
            repository: RepositoryName::try_from("team/web-app_1.0").unwrap(),
            digest: Sha256Digest::of(b"layer"),
            expires_at: Timestamp::from_epoch_millis(1_700_000_000_000),
        }
    }

    fn before_expiry() -> Timestamp {
        Timestamp::from_epoch_millis(1_700_000_000_000 - 1)
    }

    #[test]
    fn a_token_verifies_to_its_grant_until_it_expires() {
        let token = grant().token(&key(1));
        assert!(
            token
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b)),
            "URL-safe: {token}"
        );
        assert_eq!(
            DownloadGrant::verify(&key(1), &token, before_expiry()),
            Ok(grant())
        );
        assert_eq!(
            DownloadGrant::verify(&key(1), &token, grant().expires_at),
            Err(LayerDownloadError::Expired)
        );
    }

    #[test]
    fn altered_or_foreign_tokens_are_invalid() {
        let token = grant().token(&key(1));
        assert_eq!(
            DownloadGrant::verify(&key(2), &token, before_expiry()),
            Err(LayerDownloadError::InvalidToken)
        );
        let (payload, signature) = token.split_once('.').unwrap();
        let mut other = grant();
        other.digest = Sha256Digest::of(b"another layer");
        let swapped = format!(
            "{}.{signature}",
            URL_SAFE_NO_PAD.encode(other.payload().as_bytes())
        );
        let later = grant().payload().replace("1700000000000", "1800000000000");
        let extended = format!("{}.{signature}", URL_SAFE_NO_PAD.encode(later));
        for bad in [
            swapped,
            extended,
            String::new(),
            payload.to_owned(),
            format!("{payload}."),
            format!("{payload}.{signature}x"),
            format!("{token}.{signature}"),
        ] {
            assert_eq!(
                DownloadGrant::verify(&key(1), &bad, before_expiry()),
                Err(LayerDownloadError::InvalidToken),
                "{bad}"
            );
        }
    }

    #[test]
    fn a_login_password_is_no_download_token() {
        let password = key(1).mint(&grant().scope, before_expiry()).password;
        assert_eq!(
            DownloadGrant::verify(&key(1), &password, before_expiry()),
            Err(LayerDownloadError::InvalidToken)
        );
        // Nor the reverse.
        let token = grant().token(&key(1));
        assert!(key(1).verify(&token, before_expiry()).is_err());
    }
}
