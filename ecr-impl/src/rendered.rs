//! JSON kept ready for pages: each repository's (DescribeRepositories) and each image's
//! (DescribeImages) JSON is written once and reused while what it shows is unchanged, so a
//! page of 100 is mostly copying. Measured: building and serializing the 100 views was
//! most of a page's user-space CPU (BENCHMARKS.md, issue 10).
//!
//! An entry is kept with the *version* it was rendered from (the stored values the view
//! shows) and used only while the record read for the page still has that version: an
//! update, a tag moved, a pull recorded is a new version and renders anew. Keys are store
//! ids, never reused, so a re-created repository never meets an old entry.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Arc, PoisonError, RwLock};

use berth_runtime::Timestamp;
use ecr_generated::types::{EncryptionConfiguration, ImageScanStatus, ImageTag, RepositoryName};

use crate::limits::MAX_RENDERED_ENTRIES;
use crate::store::TagMutability;
use crate::store::blobs::Sha256Digest;
use crate::store::meta::{ImageRow, RepoId};

/// One kind of rendered view, by key.
#[derive(Debug)]
pub(crate) struct RenderCache<K, V> {
    entries: RwLock<HashMap<K, Kept<V>>>,
}

/// A view's JSON with the version it was rendered from.
type Kept<V> = (V, Arc<[u8]>);

impl<K, V> Default for RenderCache<K, V> {
    fn default() -> Self {
        RenderCache {
            entries: RwLock::new(HashMap::new()),
        }
    }
}

impl<K: Hash + Eq + Clone, V: PartialEq + Clone> RenderCache<K, V> {
    /// The JSON of each `(key, version)` of a page, in order: kept, or rendered by `render`
    /// (given the item's index) and kept. One read lock for the page, and one write lock
    /// only when some item was not kept at its version.
    pub(crate) fn get_or_render_all(
        &self,
        items: &[(K, &V)],
        mut render: impl FnMut(usize) -> Result<Vec<u8>, serde_json::Error>,
    ) -> Result<Vec<Arc<[u8]>>, serde_json::Error> {
        let kept: Vec<Option<Arc<[u8]>>> = {
            let entries = self.entries.read().unwrap_or_else(PoisonError::into_inner);
            items
                .iter()
                .map(|(key, version)| match entries.get(key) {
                    Some((kept, json)) if kept == *version => Some(json.clone()),
                    _ => None,
                })
                .collect()
        };
        let mut fresh = Vec::new();
        let mut all = Vec::with_capacity(items.len());
        for (index, kept) in kept.into_iter().enumerate() {
            let json = match kept {
                Some(json) => json,
                None => {
                    let json: Arc<[u8]> = render(index)?.into();
                    fresh.push(index);
                    json
                }
            };
            all.push(json);
        }
        if !fresh.is_empty() {
            let mut entries = self.entries.write().unwrap_or_else(PoisonError::into_inner);
            for index in fresh {
                // Entries of deleted records are never asked for again: past the bound,
                // start over rather than track deletions.
                if entries.len() >= MAX_RENDERED_ENTRIES {
                    entries.clear();
                }
                let (key, version) = &items[index];
                entries.insert(key.clone(), ((*version).clone(), all[index].clone()));
            }
        }
        Ok(all)
    }

    pub(crate) fn clear(&self) {
        self.entries
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .clear();
    }

    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.entries
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }
}

/// What a repository's view shows besides its registry (fixed for its id).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct RepositoryVersion {
    /// Fixed for its id too; compared all the same, should a backend ever reuse an id.
    pub name: RepositoryName,
    pub created_at: Timestamp,
    pub tag_mutability: TagMutability,
    pub scan_on_push: bool,
    pub encryption: EncryptionConfiguration,
}

/// What an image's detail shows besides its repository's registry and name (fixed for the
/// key's repository id).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ImageVersion {
    pub row: ImageRow,
    pub tags: Vec<ImageTag>,
    /// Its last scan's status, if it was scanned (a scan is a new version).
    pub scan: Option<ImageScanStatus>,
}

/// Every rendered view of one Berth.
#[derive(Debug, Default)]
pub(crate) struct Rendered {
    pub repositories: RenderCache<RepoId, RepositoryVersion>,
    pub image_details: RenderCache<(RepoId, Sha256Digest), ImageVersion>,
}

impl Rendered {
    pub(crate) fn clear(&self) {
        self.repositories.clear();
        self.image_details.clear();
    }
}

/// A page's JSON, `{"<member>":[<item>,…]}` with `"nextToken"` after the items when there
/// is one: exactly what serializing the response struct writes (its members in that order,
/// `nextToken` left out when absent), from items rendered the same way.
pub(crate) fn page_json(
    member: &str,
    items: &[Arc<[u8]>],
    next_token: Option<&str>,
) -> Result<Vec<u8>, serde_json::Error> {
    let length = items.iter().map(|item| item.len() + 1).sum::<usize>() + 64;
    let mut out = Vec::with_capacity(length);
    out.push(b'{');
    out.extend_from_slice(&berth_runtime::json::to_vec(member)?);
    out.extend_from_slice(b":[");
    for (index, item) in items.iter().enumerate() {
        if index > 0 {
            out.push(b',');
        }
        out.extend_from_slice(item);
    }
    out.push(b']');
    if let Some(token) = next_token {
        out.extend_from_slice(b",\"nextToken\":");
        out.extend_from_slice(&berth_runtime::json::to_vec(token)?);
    }
    out.push(b'}');
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The page `items` (key, version) rendered as `"<key>@<version>#<call>"`, with the
    /// number of the call that rendered it, so reuse shows.
    fn page(cache: &RenderCache<u32, u32>, items: &[(u32, u32)], call: u32) -> Vec<String> {
        let items: Vec<(u32, &u32)> = items.iter().map(|(k, v)| (*k, v)).collect();
        cache
            .get_or_render_all(&items, |index| {
                let (key, version) = items[index];
                Ok(format!("{key}@{version}#{call}").into_bytes())
            })
            .unwrap()
            .iter()
            .map(|json| String::from_utf8(json.to_vec()).unwrap())
            .collect()
    }

    #[test]
    fn an_entry_is_reused_only_at_its_version() {
        let cache: RenderCache<u32, u32> = RenderCache::default();
        assert_eq!(page(&cache, &[(1, 10), (2, 20)], 1), ["1@10#1", "2@20#1"]);
        assert_eq!(page(&cache, &[(2, 20), (1, 10)], 2), ["2@20#1", "1@10#1"]);
        assert_eq!(
            page(&cache, &[(1, 11), (2, 20), (3, 30)], 3),
            ["1@11#3", "2@20#1", "3@30#3"]
        );
        assert_eq!(page(&cache, &[(1, 11)], 4), ["1@11#3"]);
        cache.clear();
        assert_eq!(page(&cache, &[(1, 11)], 5), ["1@11#5"]);
    }

    #[test]
    fn the_cache_stays_bounded() {
        let cache: RenderCache<u32, u32> = RenderCache::default();
        let keys: Vec<(u32, u32)> = (0..MAX_RENDERED_ENTRIES as u32 + 10)
            .map(|key| (key, 0))
            .collect();
        for chunk in keys.chunks(1000) {
            page(&cache, chunk, 0);
            assert!(cache.len() <= MAX_RENDERED_ENTRIES);
        }
        assert!(cache.len() > 0);
    }

    #[test]
    fn pages_are_written_as_their_struct_would_be() {
        let items: Vec<Arc<[u8]>> = vec![Arc::from(&b"{\"a\":1}"[..]), Arc::from(&b"2"[..])];
        assert_eq!(
            page_json("repositories", &items, Some("t\"k")).unwrap(),
            br#"{"repositories":[{"a":1},2],"nextToken":"t\"k"}"#
        );
        assert_eq!(
            page_json("imageIds", &[], None).unwrap(),
            br#"{"imageIds":[]}"#
        );
    }
}
