//! Pull-time update exclusions (`ecr-behaviour-registry.md` §9): IAM principals whose pulls
//! should not update an image's `lastRecordedPullTime`. Stored as registry documents keyed
//! by the principal's ARN (so a page in ARN order is a range of keys), each holding when it
//! was registered.
//!
//! Their effect cannot arise in Berth, and Berth does not pretend it does: a request is
//! known by its account only (`RequestContext`: the access key names the account), so every
//! caller is that account's root principal, `arn:aws:iam::<account>:root`, while an exclusion
//! names a role or a user (the model's pattern allows nothing else). No pull is ever by an
//! excluded principal, so every pull records its time.

use berth_runtime::Timestamp;
use ecr_generated::types::PrincipalArn;
use serde::{Deserialize, Serialize};

use crate::messages;
use crate::store::meta::{ReadTx, Tx};
use crate::store::{Scope, StoreError, documents};

/// The registry documents holding the exclusions, one per principal, keyed by its ARN.
pub(crate) const EXCLUSION_KIND: &str = "pull-time-exclusion";

const DOCUMENT_VERSION: u32 = 1;

#[derive(Debug, Serialize, Deserialize)]
struct StoredExclusion {
    version: u32,
    created_at_millis: i64,
}

/// Whether `principal` is excluded in registry `scope`.
pub(crate) fn is_registered<T: ReadTx + ?Sized>(
    tx: &mut T,
    scope: &Scope,
    principal: &PrincipalArn,
) -> Result<bool, StoreError> {
    Ok(tx
        .registry_document(scope, EXCLUSION_KIND, principal)?
        .is_some())
}

/// How many exclusions registry `scope` holds, counting no further than `limit`.
pub(crate) fn count_up_to<T: ReadTx + ?Sized>(
    tx: &mut T,
    scope: &Scope,
    limit: usize,
) -> Result<usize, StoreError> {
    Ok(tx
        .registry_documents_after(scope, EXCLUSION_KIND, None, limit)?
        .len())
}

/// Registers `principal` in registry `scope` at `created_at` (the caller checked it is new
/// and under the limit).
pub(crate) fn register(
    tx: &mut dyn Tx,
    scope: &Scope,
    principal: &PrincipalArn,
    created_at: Timestamp,
) -> Result<(), StoreError> {
    let stored = StoredExclusion {
        version: DOCUMENT_VERSION,
        created_at_millis: created_at.epoch_millis(),
    };
    let bytes = documents::encode(EXCLUSION_KIND, &stored)?;
    tx.put_registry_document(scope, EXCLUSION_KIND, principal, &bytes)
}

/// Removes `principal`'s exclusion from registry `scope`, if there.
pub(crate) fn deregister(
    tx: &mut dyn Tx,
    scope: &Scope,
    principal: &PrincipalArn,
) -> Result<(), StoreError> {
    tx.delete_registry_document(scope, EXCLUSION_KIND, principal)
}

/// Up to `limit` excluded principals of registry `scope` in ARN (byte) order, after `after`.
pub(crate) fn principals_after<T: ReadTx + ?Sized>(
    tx: &mut T,
    scope: &Scope,
    after: Option<&str>,
    limit: usize,
) -> Result<Vec<PrincipalArn>, StoreError> {
    tx.registry_documents_after(scope, EXCLUSION_KIND, after, limit)?
        .into_iter()
        .map(|(key, _)| {
            PrincipalArn::try_from(key).map_err(|error| {
                StoreError::Unavailable(messages::unreadable_document(
                    EXCLUSION_KIND,
                    &error.to_string(),
                ))
            })
        })
        .collect()
}
