//! Repository creation templates: the settings ECR gives a repository it creates on the
//! caller's behalf (create on push, replication, pull-through cache), never one made by
//! CreateRepository. A template is a registry document keyed by its prefix; this module
//! stores them, finds the one that applies to a new repository, and creates repositories
//! with it ([`create_repository`], the one entry point every creating domain calls).

use berth_runtime::Timestamp;
use bytes::Bytes;
use ecr_generated::errors::ServerException;
use ecr_generated::types::{
    CustomRoleArn, EncryptionConfiguration, EncryptionConfigurationForRepositoryCreationTemplate,
    EncryptionType, ImageTagMutability, ImageTagMutabilityExclusionFilter, KmsKey,
    LifecyclePolicyTextForRepositoryCreationTemplate, Prefix, RctAppliedFor,
    RepositoryCreationTemplate, RepositoryName, RepositoryPolicyText,
    RepositoryTemplateDescription, Tag,
};
use serde::{Deserialize, Serialize};

use crate::arn;
use crate::store::meta::{self, ReadTx, RepositoryRow, Tx};
use crate::store::{RepositoryRecord, Scope, StoreError, TagMutability, documents};

/// The document kind templates are stored under, one per prefix in a registry.
pub(crate) const KIND: &str = "creation-template";

/// The template that applies to every new repository no other template covers.
pub(crate) const ROOT_PREFIX: &str = "ROOT";

/// The stored form's version: a later Berth reading an older document knows its shape.
const FORMAT_VERSION: u32 = 1;

/// A stored template: what its Create and Updates set, with the defaults resolved. Fields
/// hold the model's validated types (their wire names are AWS's and stable).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Template {
    version: u32,
    /// As the Create named it (with or without its implied trailing `/`).
    pub prefix: Prefix,
    pub description: Option<RepositoryTemplateDescription>,
    pub encryption: EncryptionConfigurationForRepositoryCreationTemplate,
    pub resource_tags: Vec<Tag>,
    pub image_tag_mutability: ImageTagMutability,
    /// Empty unless the mode is one of the `*_WITH_EXCLUSION` modes.
    pub exclusion_filters: Vec<ImageTagMutabilityExclusionFilter>,
    pub repository_policy: Option<RepositoryPolicyText>,
    /// Re-serialised as PutLifecyclePolicy stores it.
    pub lifecycle_policy: Option<LifecyclePolicyTextForRepositoryCreationTemplate>,
    pub applied_for: Vec<RctAppliedFor>,
    pub custom_role_arn: Option<CustomRoleArn>,
    pub created_at_millis: i64,
    pub updated_at_millis: i64,
}

/// The settings of a template, as its operations resolved and checked them.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Settings {
    pub description: Option<RepositoryTemplateDescription>,
    pub encryption: EncryptionConfigurationForRepositoryCreationTemplate,
    pub resource_tags: Vec<Tag>,
    pub tag_mutability: TagMutability,
    pub repository_policy: Option<RepositoryPolicyText>,
    pub lifecycle_policy: Option<LifecyclePolicyTextForRepositoryCreationTemplate>,
    pub applied_for: Vec<RctAppliedFor>,
    pub custom_role_arn: Option<CustomRoleArn>,
}

impl Template {
    pub(crate) fn new(prefix: Prefix, settings: Settings, now: Timestamp) -> Template {
        let mut template = Template {
            version: FORMAT_VERSION,
            prefix,
            description: None,
            encryption: default_encryption(),
            resource_tags: Vec::new(),
            image_tag_mutability: ImageTagMutability::Mutable,
            exclusion_filters: Vec::new(),
            repository_policy: None,
            lifecycle_policy: None,
            applied_for: Vec::new(),
            custom_role_arn: None,
            created_at_millis: now.epoch_millis(),
            updated_at_millis: now.epoch_millis(),
        };
        template.set(settings, now);
        template
    }

    /// Replaces every setting; `updatedAt` becomes `now`.
    pub(crate) fn set(&mut self, settings: Settings, now: Timestamp) {
        self.description = settings.description;
        self.encryption = settings.encryption;
        self.resource_tags = settings.resource_tags;
        self.image_tag_mutability = settings.tag_mutability.mode;
        self.exclusion_filters = settings.tag_mutability.exclusion_filters;
        self.repository_policy = settings.repository_policy;
        self.lifecycle_policy = settings.lifecycle_policy;
        self.applied_for = settings.applied_for;
        self.custom_role_arn = settings.custom_role_arn;
        self.updated_at_millis = now.epoch_millis();
    }

    pub(crate) fn settings(&self) -> Settings {
        Settings {
            description: self.description.clone(),
            encryption: self.encryption.clone(),
            resource_tags: self.resource_tags.clone(),
            tag_mutability: TagMutability {
                mode: self.image_tag_mutability,
                exclusion_filters: self.exclusion_filters.clone(),
            },
            repository_policy: self.repository_policy.clone(),
            lifecycle_policy: self.lifecycle_policy.clone(),
            applied_for: self.applied_for.clone(),
            custom_role_arn: self.custom_role_arn.clone(),
        }
    }

    /// The template as ECR shows it: the defaults always, the optional members only when
    /// set.
    pub(crate) fn view(&self) -> RepositoryCreationTemplate {
        RepositoryCreationTemplate {
            prefix: Some(self.prefix.clone()),
            description: self.description.clone(),
            encryption_configuration: Some(self.encryption.clone()),
            resource_tags: Some(self.resource_tags.clone()),
            image_tag_mutability: Some(self.image_tag_mutability),
            image_tag_mutability_exclusion_filters: (!self.exclusion_filters.is_empty())
                .then(|| self.exclusion_filters.clone()),
            repository_policy: self.repository_policy.clone(),
            lifecycle_policy: self.lifecycle_policy.clone(),
            applied_for: Some(self.applied_for.clone()),
            custom_role_arn: self.custom_role_arn.clone(),
            created_at: Some(Timestamp::from_epoch_millis(self.created_at_millis)),
            updated_at: Some(Timestamp::from_epoch_millis(self.updated_at_millis)),
        }
    }

    fn to_bytes(&self) -> Result<Bytes, StoreError> {
        documents::encode(KIND, self)
    }

    fn from_bytes(bytes: &[u8]) -> Result<Template, StoreError> {
        let template: Template = documents::decode(KIND, bytes)?;
        match template.version {
            FORMAT_VERSION => Ok(template),
            other => Err(StoreError::Unavailable(format!(
                "creation template of unknown format version {other}"
            ))),
        }
    }
}

/// ECR's encryption when a template names none.
pub(crate) fn default_encryption() -> EncryptionConfigurationForRepositoryCreationTemplate {
    EncryptionConfigurationForRepositoryCreationTemplate {
        encryption_type: EncryptionType::Aes256,
        kms_key: None,
    }
}

/// The key a prefix is stored under: the prefix without its implied trailing `/`, so `prod`
/// and `prod/` are one template.
pub(crate) fn key(prefix: &str) -> &str {
    prefix.strip_suffix('/').unwrap_or(prefix)
}

/// The template stored for `prefix` in `scope`.
pub(crate) fn find<T: ReadTx + ?Sized>(
    tx: &mut T,
    scope: &Scope,
    prefix: &str,
) -> Result<Option<Template>, StoreError> {
    tx.registry_document(scope, KIND, key(prefix))?
        .map(|bytes| Template::from_bytes(&bytes))
        .transpose()
}

/// Stores `template` under its prefix (adding or replacing).
pub(crate) fn put(tx: &mut dyn Tx, scope: &Scope, template: &Template) -> Result<(), StoreError> {
    tx.put_registry_document(scope, KIND, key(&template.prefix), &template.to_bytes()?)
}

/// Removes the template stored for `prefix`, if any.
pub(crate) fn delete(tx: &mut dyn Tx, scope: &Scope, prefix: &str) -> Result<(), StoreError> {
    tx.delete_registry_document(scope, KIND, key(prefix))
}

/// Up to `limit` templates of `scope` in key order, after the key `after`.
pub(crate) fn page<T: ReadTx + ?Sized>(
    tx: &mut T,
    scope: &Scope,
    after: Option<&str>,
    limit: usize,
) -> Result<Vec<Template>, StoreError> {
    tx.registry_documents_after(scope, KIND, after, limit)?
        .iter()
        .map(|(_, bytes)| Template::from_bytes(bytes))
        .collect()
}

/// The keys of the templates that could apply to a new repository `name`, most specific
/// first: each namespace it is in (`a/b` then `a` for `a/b/c`; a trailing `/` is implied, so
/// `prod` covers `prod/web` but neither `prod` itself nor `production/web`), then `ROOT`.
fn candidate_keys(name: &str) -> impl Iterator<Item = &str> {
    name.rmatch_indices('/')
        .map(|(slash, _)| &name[..slash])
        .chain(std::iter::once(ROOT_PREFIX))
}

/// The template that applies to a repository `name` created for `applied_for`: the one with
/// the longest prefix covering `name` among those applied for that action, else `ROOT`'s if
/// it is. [choice] A more specific template not applied for the action is passed over, not
/// a reason to fall back to the defaults.
pub(crate) fn applicable<T: ReadTx + ?Sized>(
    tx: &mut T,
    scope: &Scope,
    name: &str,
    applied_for: RctAppliedFor,
) -> Result<Option<Template>, StoreError> {
    for candidate in candidate_keys(name) {
        if let Some(template) = find(tx, scope, candidate)? {
            if template.applied_for.contains(&applied_for) {
                return Ok(Some(template));
            }
        }
    }
    Ok(None)
}

/// Inside a job: the repository `name` of `scope`, created first if it does not exist, with
/// the settings of the template that applies for `applied_for` ([`applicable`]), else ECR's
/// defaults (MUTABLE, AES256, no tags, no policy, no lifecycle policy, scan on push off). An
/// existing repository is returned unchanged: templates only shape new repositories.
pub(crate) fn create_repository(
    tx: &mut dyn Tx,
    scope: &Scope,
    name: &RepositoryName,
    applied_for: RctAppliedFor,
    now: Timestamp,
) -> Result<RepositoryRow, StoreError> {
    if let Some(existing) = tx.repository(scope, name)? {
        return Ok(existing);
    }
    let template = applicable(tx, scope, name, applied_for)?;
    let settings = template.as_ref().map(Template::settings);
    let record = RepositoryRecord {
        name: name.clone(),
        created_at: now,
        tag_mutability: settings.as_ref().map_or_else(
            || TagMutability {
                mode: ImageTagMutability::Mutable,
                exclusion_filters: Vec::new(),
            },
            |settings| settings.tag_mutability.clone(),
        ),
        scan_on_push: false,
        encryption: repository_encryption(
            scope,
            settings.as_ref().map(|settings| &settings.encryption),
        )?,
        tags: settings
            .as_ref()
            .map(|settings| settings.resource_tags.clone())
            .unwrap_or_default(),
        policy_text: settings
            .as_ref()
            .and_then(|settings| settings.repository_policy.clone()),
    };
    let id = tx.insert_repository(scope, &record)?;
    if let Some(text) = settings.and_then(|settings| settings.lifecycle_policy) {
        store_lifecycle_policy(tx, id, &text)?;
    }
    Ok(RepositoryRow { id, record })
}

/// A new repository's encryption from its template's: a KMS type without a key gets ECR's
/// AWS-managed key, fixed now for the repository's lifetime (as CreateRepository does).
fn repository_encryption(
    scope: &Scope,
    template: Option<&EncryptionConfigurationForRepositoryCreationTemplate>,
) -> Result<EncryptionConfiguration, StoreError> {
    let Some(template) = template else {
        return Ok(EncryptionConfiguration {
            encryption_type: EncryptionType::Aes256,
            kms_key: None,
        });
    };
    let named_key = template
        .kms_key
        .as_deref()
        .filter(|key| !key.is_empty())
        .map(str::to_owned);
    let kms_key = match (template.encryption_type, named_key) {
        (EncryptionType::Aes256, _) => None,
        (_, Some(key)) => Some(key),
        (_, None) => Some(arn::kms_key_arn(scope, &uuid::Uuid::new_v4().to_string())),
    };
    let kms_key = kms_key
        .map(KmsKey::try_from)
        .transpose()
        .map_err(|e| StoreError::Unavailable(format!("unusable template KMS key: {e}")))?;
    Ok(EncryptionConfiguration {
        encryption_type: template.encryption_type,
        kms_key,
    })
}

/// Gives repository `id` the lifecycle policy `text` (checked when the template was set).
fn store_lifecycle_policy(
    tx: &mut dyn Tx,
    id: crate::store::meta::RepoId,
    text: &str,
) -> Result<(), StoreError> {
    let policy = crate::lifecycle::parse_policy(text).map_err(|error| {
        StoreError::Unavailable(format!(
            "a creation template's lifecycle policy no longer parses: {}",
            error.message.unwrap_or_default()
        ))
    })?;
    crate::lifecycle::store_policy(tx, id, &policy)
}

impl crate::Ecr {
    /// Create on push, for the `/v2` registry's first calls of a push (an upload, a manifest
    /// PUT) naming repository `name` of `scope`: whether the repository exists now, made just
    /// now from the template that applies for `CREATE_ON_PUSH` if there was none. Without such
    /// a template nothing is created (the push then meets the registry's NAME_UNKNOWN).
    pub async fn create_on_push(
        &self,
        scope: &Scope,
        name: &RepositoryName,
    ) -> Result<bool, ServerException> {
        let (scope, name) = (scope.clone(), name.clone());
        let now = self.clock().now();
        let store = self.service.state().meta();
        let failure = |error: StoreError| -> ServerException { crate::ops::server_failure(error) };
        // Read first: nearly every push is to a repository that exists, and a read job
        // costs no commit.
        let (read_scope, read_name) = (scope.clone(), name.clone());
        let creatable = meta::read(store, move |tx| {
            if tx.repository(&read_scope, &read_name)?.is_some() {
                return Ok(None);
            }
            applicable(tx, &read_scope, &read_name, RctAppliedFor::CreateOnPush).map(Some)
        })
        .await
        .map_err(failure)?;
        match creatable {
            None => return Ok(true),
            Some(None) => return Ok(false),
            Some(Some(_)) => {}
        }
        // Created in one job, which looks again: another push may have created it, or the
        // template may have gone, meanwhile.
        meta::write(store, move |tx| {
            if tx.repository(&scope, &name)?.is_some() {
                return Ok(true);
            }
            if applicable(tx, &scope, &name, RctAppliedFor::CreateOnPush)?.is_none() {
                return Ok(false);
            }
            create_repository(tx, &scope, &name, RctAppliedFor::CreateOnPush, now)?;
            Ok(true)
        })
        .await
        .map_err(failure)
    }
}

#[cfg(test)]
mod tests;
