//! What the store keeps per repository, and the changes an operation can make to it. The
//! rules of a change (tag limit, policy present) live here, once, so every backend applies
//! them the same way inside its own transaction.

use berth_runtime::Timestamp;
use ecr_generated::types::{
    EncryptionConfiguration, ImageTagMutability, ImageTagMutabilityExclusionFilter, RepositoryName,
    RepositoryPolicyText, Tag,
};

use super::StoreError;
use crate::tags;

/// One repository, settings, tags and policy included.
#[derive(Debug, Clone, PartialEq)]
pub struct RepositoryRecord {
    pub name: RepositoryName,
    pub created_at: Timestamp,
    pub tag_mutability: TagMutability,
    pub scan_on_push: bool,
    /// As resolved at creation: a KMS type always carries its key.
    pub encryption: EncryptionConfiguration,
    /// In the order keys were first added.
    pub tags: Vec<Tag>,
    pub policy_text: Option<RepositoryPolicyText>,
}

/// A tag mutability mode with its exclusion filters (empty unless the mode is one of the
/// `*_WITH_EXCLUSION` modes; the operations check that before it gets here).
#[derive(Debug, Clone, PartialEq)]
pub struct TagMutability {
    pub mode: ImageTagMutability,
    pub exclusion_filters: Vec<ImageTagMutabilityExclusionFilter>,
}

/// One change to an existing repository, applied atomically by [`super::Store::update_repository`].
#[derive(Debug, Clone, PartialEq)]
pub enum RepositoryChange {
    SetTagMutability(TagMutability),
    SetScanOnPush(bool),
    SetPolicy(RepositoryPolicyText),
    /// Fails with [`StoreError::RepositoryPolicyNotFound`] when there is none.
    DeletePolicy,
    /// Fails with [`StoreError::TooManyTags`] when the result would exceed the limit.
    AddTags(Vec<Tag>),
    /// Keys that are not there are ignored.
    RemoveTags(Vec<String>),
}

impl RepositoryChange {
    /// Applies the change to `record`; on `Err` the record is untouched.
    pub fn apply(self, record: &mut RepositoryRecord) -> Result<(), StoreError> {
        match self {
            RepositoryChange::SetTagMutability(setting) => record.tag_mutability = setting,
            RepositoryChange::SetScanOnPush(scan_on_push) => record.scan_on_push = scan_on_push,
            RepositoryChange::SetPolicy(text) => record.policy_text = Some(text),
            RepositoryChange::DeletePolicy => {
                record
                    .policy_text
                    .take()
                    .ok_or(StoreError::RepositoryPolicyNotFound)?;
            }
            RepositoryChange::AddTags(added) => {
                record.tags = tags::with_added(&record.tags, added)
                    .map_err(|count| StoreError::TooManyTags { count })?;
            }
            RepositoryChange::RemoveTags(keys) => tags::remove(&mut record.tags, &keys),
        }
        Ok(())
    }
}

/// Whether a repository holding `image_count` images may be deleted: only with `force`
/// when it is not empty.
pub fn check_deletable(image_count: u64, force: bool) -> Result<(), StoreError> {
    match image_count > 0 && !force {
        true => Err(StoreError::RepositoryNotEmpty),
        false => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use ecr_generated::types::EncryptionType;

    use super::*;
    use crate::limits::MAX_TAGS_PER_REPOSITORY;

    fn record() -> RepositoryRecord {
        RepositoryRecord {
            name: "app".parse().unwrap(),
            created_at: Timestamp::from_epoch_millis(1),
            tag_mutability: TagMutability {
                mode: ImageTagMutability::Mutable,
                exclusion_filters: Vec::new(),
            },
            scan_on_push: false,
            encryption: EncryptionConfiguration {
                encryption_type: EncryptionType::Aes256,
                kms_key: None,
            },
            tags: Vec::new(),
            policy_text: None,
        }
    }

    fn tag(key: &str) -> Tag {
        Tag {
            key: key.into(),
            value: String::new(),
        }
    }

    #[test]
    fn failed_changes_leave_the_record_untouched() {
        let mut repository = record();
        assert_eq!(
            RepositoryChange::DeletePolicy.apply(&mut repository),
            Err(StoreError::RepositoryPolicyNotFound)
        );
        assert_eq!(repository, record());

        let too_many = (0..=MAX_TAGS_PER_REPOSITORY)
            .map(|i| tag(&i.to_string()))
            .collect();
        assert_eq!(
            RepositoryChange::AddTags(too_many).apply(&mut repository),
            Err(StoreError::TooManyTags {
                count: MAX_TAGS_PER_REPOSITORY + 1
            })
        );
        assert_eq!(repository, record());
    }

    #[test]
    fn policies_are_set_and_removed() {
        let mut repository = record();
        RepositoryChange::SetPolicy("{}".parse().unwrap())
            .apply(&mut repository)
            .unwrap();
        assert_eq!(repository.policy_text.as_deref(), Some("{}"));
        RepositoryChange::DeletePolicy
            .apply(&mut repository)
            .unwrap();
        assert_eq!(repository.policy_text, None);
    }

    #[test]
    fn only_empty_repositories_are_deleted_without_force() {
        assert_eq!(check_deletable(0, false), Ok(()));
        assert_eq!(check_deletable(0, true), Ok(()));
        assert_eq!(
            check_deletable(3, false),
            Err(StoreError::RepositoryNotEmpty)
        );
        assert_eq!(check_deletable(3, true), Ok(()));
    }
}
