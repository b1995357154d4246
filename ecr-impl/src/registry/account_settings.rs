//! Account settings (§7): three named settings per account and region, each with its values
//! and its default, stored only once put.

use bytes::Bytes;
use serde::{Deserialize, Serialize};

use crate::store::documents;
use crate::store::meta::{ReadTx, Tx};
use crate::store::{Scope, StoreError};

/// The registry document kind of an account setting (keyed by the setting's name).
pub(crate) const KIND: &str = "account-setting";

/// A setting ECR knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Setting {
    BasicScanTypeVersion,
    RegistryPolicyScope,
    BlobMounting,
}

/// Every setting, in the order ECR's messages list them.
pub(crate) const SETTINGS: [Setting; 3] = [
    Setting::BasicScanTypeVersion,
    Setting::RegistryPolicyScope,
    Setting::BlobMounting,
];

/// `REGISTRY_POLICY_SCOPE` value that limits registry policies to the replication and
/// pull-through actions.
pub(crate) const POLICY_SCOPE_V1: &str = "V1";
pub(crate) const POLICY_SCOPE_V2: &str = "V2";
pub(crate) const BLOB_MOUNTING_ENABLED: &str = "ENABLED";
pub(crate) const BLOB_MOUNTING_DISABLED: &str = "DISABLED";

impl Setting {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Setting::BasicScanTypeVersion => "BASIC_SCAN_TYPE_VERSION",
            Setting::RegistryPolicyScope => "REGISTRY_POLICY_SCOPE",
            Setting::BlobMounting => "BLOB_MOUNTING",
        }
    }

    /// The values it may take; [real] Clair is retired, so AWS_NATIVE is the only scan type.
    pub(crate) fn values(self) -> &'static [&'static str] {
        match self {
            Setting::BasicScanTypeVersion => &["AWS_NATIVE"],
            Setting::RegistryPolicyScope => &[POLICY_SCOPE_V1, POLICY_SCOPE_V2],
            Setting::BlobMounting => &[BLOB_MOUNTING_ENABLED, BLOB_MOUNTING_DISABLED],
        }
    }

    /// [real] The value of a registry that never put it: V2 for registries created now,
    /// blob mounting opt-in.
    pub(crate) fn default_value(self) -> &'static str {
        match self {
            Setting::BasicScanTypeVersion => "AWS_NATIVE",
            Setting::RegistryPolicyScope => POLICY_SCOPE_V2,
            Setting::BlobMounting => BLOB_MOUNTING_DISABLED,
        }
    }

    pub(crate) fn named(name: &str) -> Option<Setting> {
        SETTINGS.into_iter().find(|setting| setting.name() == name)
    }

    /// `value` as this setting's own (static) value, if it is one.
    pub(crate) fn value(self, value: &str) -> Option<&'static str> {
        self.values().iter().copied().find(|known| *known == value)
    }
}

/// The names in ECR's order, for the enum message.
pub(crate) fn names() -> Vec<&'static str> {
    SETTINGS.iter().map(|setting| setting.name()).collect()
}

#[derive(Debug, Serialize, Deserialize)]
struct Stored {
    v: u32,
    value: String,
}

/// The value of `setting` in registry `scope` (its default until put).
pub(crate) fn get(
    tx: &mut (impl ReadTx + ?Sized),
    scope: &Scope,
    setting: Setting,
) -> Result<&'static str, StoreError> {
    let Some(bytes) = tx.registry_document(scope, KIND, setting.name())? else {
        return Ok(setting.default_value());
    };
    let stored: Stored = documents::decode(KIND, &bytes)?;
    // A value this release does not know (a later one stored it) reads as the default.
    Ok(setting
        .value(&stored.value)
        .unwrap_or(setting.default_value()))
}

/// Sets `setting` of registry `scope` to `value` (one of its values).
pub(crate) fn put(
    tx: &mut (impl Tx + ?Sized),
    scope: &Scope,
    setting: Setting,
    value: &'static str,
) -> Result<(), StoreError> {
    let bytes: Bytes = documents::encode(
        KIND,
        &Stored {
            v: 1,
            value: value.to_owned(),
        },
    )?;
    tx.put_registry_document(scope, KIND, setting.name(), &bytes)
}

impl crate::Ecr {
    /// Whether registry `scope` lets `/v2` clients mount a blob from another of its
    /// repositories (`BLOB_MOUNTING`; disabled unless put).
    pub async fn blob_mounting_enabled(
        &self,
        scope: &Scope,
    ) -> Result<bool, ecr_generated::errors::ServerException> {
        let scope = scope.clone();
        let value = crate::store::meta::read(self.meta(), move |tx| {
            get(tx, &scope, Setting::BlobMounting)
        })
        .await
        .map_err(crate::ops::server_failure)?;
        Ok(value == BLOB_MOUNTING_ENABLED)
    }
}
