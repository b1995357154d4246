//! Registry-level state (ecr-behaviour-registry.md §2, §3, §7), per account and region as
//! registry documents: the account settings, the registry policy (and whether it allows a
//! cross-account action), the replication configuration and what a push replicates.

pub(crate) mod account_settings;
pub(crate) mod policy;
pub(crate) mod replication;

#[cfg(test)]
mod tests;

use bytes::Bytes;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::store::StoreError;

/// A stored document of this module as bytes (JSON).
fn encode<T: Serialize>(value: &T) -> Result<Bytes, StoreError> {
    serde_json::to_vec(value)
        .map(Bytes::from)
        .map_err(|error| StoreError::Unavailable(format!("a registry document: {error}")))
}

/// A stored document of this module read back; one that does not read is a damaged store.
fn decode<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, StoreError> {
    serde_json::from_slice(bytes)
        .map_err(|error| StoreError::Unavailable(format!("a registry document: {error}")))
}
