//! How a domain's record becomes a document the store keeps, and back: JSON, one codec for
//! every domain, so a document that cannot be read back says which kind it was in one voice.
//! (Each domain keeps its own format version inside its record.)

use bytes::Bytes;
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::StoreError;
use crate::messages;

/// `value` as the bytes of a document of `kind`.
pub(crate) fn encode<T: Serialize>(kind: &str, value: &T) -> Result<Bytes, StoreError> {
    serde_json::to_vec(value).map(Bytes::from).map_err(|error| {
        StoreError::Unavailable(messages::unwritable_document(kind, &error.to_string()))
    })
}

/// A document of `kind` read back; one that does not read is a damaged store (or a bug).
pub(crate) fn decode<T: DeserializeOwned>(kind: &str, bytes: &[u8]) -> Result<T, StoreError> {
    serde_json::from_slice(bytes).map_err(|error| {
        StoreError::Unavailable(messages::unreadable_document(kind, &error.to_string()))
    })
}
