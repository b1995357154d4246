//! Pull through cache rules (`ecr-behaviour-registry.md` §5): which upstream a URL names,
//! the rules as registry documents keyed by their normalised prefix, and what the `/v2`
//! pull of a repository under a rule's prefix needs from them (the upstream repository,
//! the creation of the cache repository, when a tag is due to be asked again).

mod upstreams;

#[cfg(test)]
mod tests;

use berth_runtime::Timestamp;
use bytes::Bytes;
use ecr_generated::types::{
    CredentialArn, CustomRoleArn, ImageTag, PullThroughCacheRule,
    PullThroughCacheRuleRepositoryPrefix, RctAppliedFor, RepositoryName, UpstreamRegistry,
};
use serde::{Deserialize, Serialize};

use crate::limits::{MAX_PULL_THROUGH_CACHE_RULES, PULL_THROUGH_TAG_RECHECK};
use crate::store::blobs::Sha256Digest;
use crate::store::meta::{self, MetaStore, ReadTx, RepoId};
use crate::store::{Scope, StoreError, documents};

pub(crate) use upstreams::{needs_credentials, upstream_of};

/// The text of a `/v2` pull the upstream could not serve.
pub use crate::messages::pull_through_upstream_failed;

/// The registry documents holding the rules, keyed by [`normalised`] prefix.
const RULE_KIND: &str = "pull-through-rule";

/// The repository document of a cache repository: when each tag was last asked upstream.
const CHECKS_KIND: &str = "pull-through-checks";

/// `ROOT`: the upstream repository is the rest of the pulled name.
pub(crate) const ROOT: &str = "ROOT";

/// A prefix as a rule's key: the trailing `/` ECR implies is dropped, so `abc` and `abc/`
/// are one rule.
pub(crate) fn normalised(prefix: &str) -> &str {
    prefix.strip_suffix('/').unwrap_or(prefix)
}

/// A rule as stored (version 1). Members are kept as the request gave them, so every
/// answer echoes them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct StoredRule {
    pub v: u32,
    /// As given at creation (`abc` or `abc/`).
    pub prefix: String,
    pub upstream_registry_url: String,
    pub upstream_registry: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credential_arn: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub custom_role_arn: Option<String>,
    pub upstream_repository_prefix: String,
    pub created_at_millis: i64,
    pub updated_at_millis: i64,
}

impl StoredRule {
    pub(crate) fn created_at(&self) -> Timestamp {
        Timestamp::from_epoch_millis(self.created_at_millis)
    }

    pub(crate) fn updated_at(&self) -> Timestamp {
        Timestamp::from_epoch_millis(self.updated_at_millis)
    }

    pub(crate) fn prefix(&self) -> Option<PullThroughCacheRuleRepositoryPrefix> {
        PullThroughCacheRuleRepositoryPrefix::try_from(self.prefix.as_str()).ok()
    }

    pub(crate) fn upstream_repository_prefix(
        &self,
    ) -> Option<PullThroughCacheRuleRepositoryPrefix> {
        PullThroughCacheRuleRepositoryPrefix::try_from(self.upstream_repository_prefix.as_str())
            .ok()
    }

    pub(crate) fn credential_arn(&self) -> Option<CredentialArn> {
        self.credential_arn
            .as_deref()
            .and_then(|arn| CredentialArn::try_from(arn).ok())
    }

    pub(crate) fn custom_role_arn(&self) -> Option<CustomRoleArn> {
        self.custom_role_arn
            .as_deref()
            .and_then(|arn| CustomRoleArn::try_from(arn).ok())
    }

    pub(crate) fn upstream_registry(&self) -> Option<UpstreamRegistry> {
        UpstreamRegistry::VALUES
            .into_iter()
            .find(|registry| registry.as_str() == self.upstream_registry)
    }

    /// The rule as DescribePullThroughCacheRules shows it.
    pub(crate) fn view(&self, registry_id: &str) -> PullThroughCacheRule {
        PullThroughCacheRule {
            ecr_repository_prefix: self.prefix(),
            upstream_registry_url: Some(self.upstream_registry_url.clone()),
            created_at: Some(self.created_at()),
            registry_id: ecr_generated::types::RegistryId::try_from(registry_id).ok(),
            credential_arn: self.credential_arn(),
            custom_role_arn: self.custom_role_arn(),
            upstream_repository_prefix: self.upstream_repository_prefix(),
            upstream_registry: self.upstream_registry(),
            updated_at: Some(self.updated_at()),
        }
    }

    fn encode(&self) -> Result<Bytes, StoreError> {
        documents::encode(RULE_KIND, self)
    }

    fn decode(bytes: &[u8]) -> Result<StoredRule, StoreError> {
        documents::decode(RULE_KIND, bytes)
    }
}

/// Why a rule job did not change anything.
#[derive(Debug)]
pub(crate) enum RuleError {
    AlreadyExists,
    LimitExceeded,
    NotFound(String),
    Store(StoreError),
}

impl From<StoreError> for RuleError {
    fn from(error: StoreError) -> Self {
        RuleError::Store(error)
    }
}

fn find(
    tx: &mut dyn ReadTx,
    scope: &Scope,
    prefix: &str,
) -> Result<Option<StoredRule>, StoreError> {
    tx.registry_document(scope, RULE_KIND, normalised(prefix))?
        .map(|bytes| StoredRule::decode(&bytes))
        .transpose()
}

/// Adds `rule` to `scope`: refused when its prefix has a rule, or the registry has
/// [`MAX_PULL_THROUGH_CACHE_RULES`].
pub(crate) async fn create(
    store: &dyn MetaStore,
    scope: &Scope,
    rule: StoredRule,
) -> Result<StoredRule, RuleError> {
    let scope = scope.clone();
    meta::write(store, move |tx| {
        if find(tx, &scope, &rule.prefix)?.is_some() {
            return Err(RuleError::AlreadyExists);
        }
        let existing =
            tx.registry_documents_after(&scope, RULE_KIND, None, MAX_PULL_THROUGH_CACHE_RULES)?;
        if existing.len() >= MAX_PULL_THROUGH_CACHE_RULES {
            return Err(RuleError::LimitExceeded);
        }
        tx.put_registry_document(&scope, RULE_KIND, normalised(&rule.prefix), &rule.encode()?)?;
        Ok(rule.clone())
    })
    .await
}

/// The rules for `prefixes`, in request order; the first missing one is the error.
pub(crate) async fn named(
    store: &dyn MetaStore,
    scope: &Scope,
    prefixes: Vec<String>,
) -> Result<Vec<StoredRule>, RuleError> {
    let scope = scope.clone();
    meta::read(store, move |tx| {
        prefixes
            .iter()
            .map(|prefix| {
                find(tx, &scope, prefix)?.ok_or_else(|| RuleError::NotFound(prefix.clone()))
            })
            .collect()
    })
    .await
}

/// Up to `limit` rules of `scope` by normalised prefix, after `after`.
pub(crate) async fn page(
    store: &dyn MetaStore,
    scope: &Scope,
    after: Option<String>,
    limit: usize,
) -> Result<Vec<(String, StoredRule)>, StoreError> {
    let scope = scope.clone();
    meta::read(store, move |tx| {
        tx.registry_documents_after(&scope, RULE_KIND, after.as_deref(), limit)?
            .into_iter()
            .map(|(key, bytes)| Ok((key, StoredRule::decode(&bytes)?)))
            .collect()
    })
    .await
}

/// Changes the rule for `prefix` with `change` (given the rule and now), stamped `now`.
pub(crate) async fn update(
    store: &dyn MetaStore,
    scope: &Scope,
    prefix: &str,
    credential_arn: Option<String>,
    custom_role_arn: Option<String>,
    now: Timestamp,
) -> Result<StoredRule, RuleError> {
    let (scope, prefix) = (scope.clone(), prefix.to_owned());
    meta::write(store, move |tx| {
        let mut rule =
            find(tx, &scope, &prefix)?.ok_or_else(|| RuleError::NotFound(prefix.clone()))?;
        if let Some(arn) = &credential_arn {
            rule.credential_arn = Some(arn.clone());
        }
        if let Some(arn) = &custom_role_arn {
            rule.custom_role_arn = Some(arn.clone());
        }
        rule.updated_at_millis = now.epoch_millis();
        tx.put_registry_document(&scope, RULE_KIND, normalised(&prefix), &rule.encode()?)?;
        Ok(rule)
    })
    .await
}

/// Removes the rule for `prefix` and answers it. Repositories it created stay.
pub(crate) async fn delete(
    store: &dyn MetaStore,
    scope: &Scope,
    prefix: &str,
) -> Result<StoredRule, RuleError> {
    let (scope, prefix) = (scope.clone(), prefix.to_owned());
    meta::write(store, move |tx| {
        let rule = find(tx, &scope, &prefix)?.ok_or_else(|| RuleError::NotFound(prefix.clone()))?;
        tx.delete_registry_document(&scope, RULE_KIND, normalised(&prefix))?;
        Ok(rule)
    })
    .await
}

/// The rule for `prefix`.
pub(crate) async fn get(
    store: &dyn MetaStore,
    scope: &Scope,
    prefix: &str,
) -> Result<StoredRule, RuleError> {
    let (scope, prefix) = (scope.clone(), prefix.to_owned());
    meta::read(store, move |tx| {
        find(tx, &scope, &prefix)?.ok_or_else(|| RuleError::NotFound(prefix.clone()))
    })
    .await
}

// ---- The data plane: what a `/v2` pull under a rule's prefix needs ----

/// Where a repository under a rule's prefix is pulled through from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PullThroughSource {
    /// The rule's `upstreamRegistryUrl` (the key of the server's upstream mapping).
    pub upstream_registry_url: String,
    /// The repository on the upstream.
    pub upstream_repository: String,
    /// The rule's `ecrRepositoryPrefix`, as given (its events name it).
    pub ecr_repository_prefix: String,
}

/// The upstream repository of `name` under `rule`, or `None` when `name` is not under its
/// prefix ([choice] a rule for `ROOT` covers every name, as a `ROOT` creation template
/// does). A prefix other than `ROOT` upstream replaces the rule's own; Docker Hub's
/// one-segment names are its `library/` images.
pub(crate) fn upstream_repository(rule: &StoredRule, name: &str) -> Option<String> {
    let rest = if normalised(&rule.prefix) == ROOT {
        name
    } else {
        name.strip_prefix(normalised(&rule.prefix))?
            .strip_prefix('/')
            .filter(|rest| !rest.is_empty())?
    };
    let upstream_prefix = normalised(&rule.upstream_repository_prefix);
    let repository = if upstream_prefix == ROOT {
        rest.to_owned()
    } else {
        format!("{upstream_prefix}/{rest}")
    };
    if rule.upstream_registry == UpstreamRegistry::DockerHub.as_str() && !repository.contains('/') {
        return Some(format!("library/{repository}"));
    }
    Some(repository)
}

/// What a pull names: a tag or a digest.
#[derive(Debug, Clone)]
pub enum PullReference {
    Tag(ImageTag),
    Digest(Sha256Digest),
}

/// When a tag was last asked upstream, by tag (version 1).
#[derive(Debug, Default, Serialize, Deserialize)]
struct TagChecks {
    v: u32,
    checked_millis: std::collections::BTreeMap<String, i64>,
}

fn read_checks(tx: &mut dyn ReadTx, repository: RepoId) -> Result<TagChecks, StoreError> {
    Ok(tx
        .repository_document(repository, CHECKS_KIND)?
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .unwrap_or_default())
}

impl crate::Ecr {
    /// Where repository `name` of `scope` is pulled through from: the rule with the
    /// longest prefix `name` is under, if any.
    pub async fn pull_through_source(
        &self,
        scope: &Scope,
        name: &RepositoryName,
    ) -> Result<Option<PullThroughSource>, StoreError> {
        let (scope, name) = (scope.clone(), name.to_string());
        meta::read(self.service.state().meta(), move |tx| {
            // Every `/` of the name ends a candidate prefix; the longest is tried first,
            // `ROOT` last.
            let ends = name.match_indices('/').map(|(at, _)| at).rev();
            let candidates = ends.map(|end| &name[..end]).chain(std::iter::once(ROOT));
            for candidate in candidates {
                if let Some(rule) = find(tx, &scope, candidate)?
                    && let Some(upstream_repository) = upstream_repository(&rule, &name)
                {
                    return Ok(Some(PullThroughSource {
                        upstream_registry_url: rule.upstream_registry_url,
                        upstream_repository,
                        ecr_repository_prefix: rule.prefix,
                    }));
                }
            }
            Ok(None)
        })
        .await
    }

    /// Whether a pull of `reference` from cache repository `name` must ask the upstream:
    /// the repository or the image is missing, or the tag was last asked more than
    /// [`PULL_THROUGH_TAG_RECHECK`] ago (by the server's clock).
    pub async fn pull_through_due(
        &self,
        scope: &Scope,
        name: &RepositoryName,
        reference: &PullReference,
    ) -> Result<bool, StoreError> {
        let (scope, name, reference) = (scope.clone(), name.clone(), reference.clone());
        let now = self.clock().now().epoch_millis();
        let recheck = i64::try_from(PULL_THROUGH_TAG_RECHECK.as_millis()).unwrap_or(i64::MAX);
        meta::read(self.service.state().meta(), move |tx| {
            let Some(repository) = tx.repository(&scope, &name)? else {
                return Ok(true);
            };
            match &reference {
                PullReference::Digest(digest) => Ok(tx.image(repository.id, digest)?.is_none()),
                PullReference::Tag(tag) => {
                    if tx.tag(repository.id, tag)?.is_none() {
                        return Ok(true);
                    }
                    let checks = read_checks(tx, repository.id)?;
                    Ok(checks
                        .checked_millis
                        .get(tag.as_str())
                        .is_none_or(|&at| now.saturating_sub(at) >= recheck))
                }
            }
        })
        .await
    }

    /// Records that tag `tag` of cache repository `name` was asked upstream now.
    pub async fn pull_through_checked(
        &self,
        scope: &Scope,
        name: &RepositoryName,
        tag: &ImageTag,
    ) -> Result<(), StoreError> {
        let (scope, name, tag) = (scope.clone(), name.clone(), tag.to_string());
        let now = self.clock().now().epoch_millis();
        meta::write(self.service.state().meta(), move |tx| {
            let Some(repository) = tx.repository(&scope, &name)? else {
                return Ok(());
            };
            let mut checks = read_checks(tx, repository.id)?;
            checks.v = 1;
            checks.checked_millis.insert(tag.clone(), now);
            let bytes = documents::encode(CHECKS_KIND, &checks)?;
            tx.put_repository_document(repository.id, CHECKS_KIND, &bytes)
        })
        .await
    }

    /// Creates cache repository `name` as a pull through cache does (a PULL_THROUGH_CACHE
    /// creation template's settings); `false` when it exists already.
    pub async fn create_pull_through_repository(
        &self,
        scope: &Scope,
        name: &RepositoryName,
    ) -> Result<bool, StoreError> {
        let (scope, name) = (scope.clone(), name.clone());
        let now = self.clock().now();
        meta::write(self.service.state().meta(), move |tx| {
            if tx.repository(&scope, &name)?.is_some() {
                return Ok(false);
            }
            crate::templates::create_repository(
                tx,
                &scope,
                &name,
                RctAppliedFor::PullThroughCache,
                now,
            )?;
            Ok(true)
        })
        .await
    }

    /// Removes cache repository `name` after a pull through it failed, if it still has no
    /// image (its layers go with it): what the failed pull created does not stay.
    pub async fn abandon_pull_through_repository(
        &self,
        scope: &Scope,
        name: &RepositoryName,
    ) -> Result<(), StoreError> {
        let (scope, name) = (scope.clone(), name.clone());
        meta::write(self.service.state().meta(), move |tx| {
            if let Some(repository) = tx.repository(&scope, &name)?
                && tx.image_count(repository.id)? == 0
            {
                tx.delete_repository(repository.id)?;
            }
            Ok(())
        })
        .await
    }
}
