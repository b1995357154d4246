//! The evaluation algorithm (`ecr-behaviour-registry.md` §1.3), one pure function that
//! previews and real expiry both use: which images the rules act on, and how.

use std::collections::HashSet;

use super::policy::{ActionType, CountType, Rule, StorageClass, TagStatus};
// The one wildcard matcher (ECR's `*` patterns, also of tag-mutability exclusion filters).
pub(crate) use crate::images::immutability::wildcard_match;

/// A day in milliseconds (`countUnit: days`).
const DAY_MILLIS: i64 = 24 * 60 * 60 * 1000;

/// What the algorithm knows of one image. Times are epoch milliseconds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageFacts {
    pub tags: Vec<String>,
    pub pushed_at: i64,
    pub storage_class: StorageClass,
    pub last_pulled_at: Option<i64>,
    pub last_archived_at: Option<i64>,
    pub last_activated_at: Option<i64>,
}

impl ImageFacts {
    /// When the image counts as pushed when ranking: its restore, if later than its push.
    fn ranked_at(&self) -> i64 {
        self.last_activated_at
            .map_or(self.pushed_at, |at| at.max(self.pushed_at))
    }

    /// The last use `sinceImagePulled` judges: the last recorded pull, else the push (or
    /// the restore, if later).
    fn last_used_at(&self) -> i64 {
        self.last_pulled_at.unwrap_or_else(|| self.ranked_at())
    }
}

/// One image a rule acts on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decision {
    /// Its index in the images evaluated.
    pub image: usize,
    /// EXPIRE, or TRANSITION to archive.
    pub action: ActionType,
    pub rule_priority: i32,
}

/// What `rules` (in ascending priority) do to `images` (in push order, oldest first) at
/// `now`: decisions by rule priority, each rule's oldest first. An image is acted on by at
/// most one rule: every image a rule matches is claimed by it, acted on or not, and later
/// rules act only on unclaimed images (while still counting claimed ones when they rank).
pub fn evaluate(images: &[ImageFacts], rules: &[Rule], now: i64) -> Vec<Decision> {
    let mut claimed = vec![false; images.len()];
    let mut decisions = Vec::new();
    for rule in rules {
        let mut matching: Vec<usize> = (0..images.len())
            .filter(|&index| matches(rule, &images[index]))
            .collect();
        // Newest first; a tie goes to the later push.
        matching.sort_by(|&a, &b| (images[b].ranked_at(), b).cmp(&(images[a].ranked_at(), a)));
        let selection = &rule.selection;
        let count = i64::from(selection.count_number);
        let older_than = |at: i64| now.saturating_sub(at) > count.saturating_mul(DAY_MILLIS);
        let acted: Vec<usize> = match selection.count_type {
            CountType::ImageCountMoreThan => matching
                .iter()
                .skip(usize::try_from(selection.count_number).unwrap_or(usize::MAX))
                .copied()
                .collect(),
            CountType::SinceImagePushed => matching
                .iter()
                .copied()
                .filter(|&i| older_than(images[i].pushed_at))
                .collect(),
            CountType::SinceImagePulled => matching
                .iter()
                .copied()
                .filter(|&i| older_than(images[i].last_used_at()))
                .collect(),
            CountType::SinceImageTransitioned => matching
                .iter()
                .copied()
                .filter(|&i| images[i].last_archived_at.is_some_and(older_than))
                .collect(),
        };
        // Oldest first within the rule.
        for &image in acted.iter().rev() {
            if !claimed[image] {
                decisions.push(Decision {
                    image,
                    action: rule.action.kind,
                    rule_priority: rule.rule_priority,
                });
            }
        }
        for image in matching {
            claimed[image] = true;
        }
    }
    decisions
}

/// Whether `rule` selects `image` (§1.3 step 1).
fn matches(rule: &Rule, image: &ImageFacts) -> bool {
    let selection = &rule.selection;
    if selection.storage_class() != image.storage_class {
        return false;
    }
    match selection.tag_status {
        TagStatus::Any => true,
        TagStatus::Untagged => image.tags.is_empty(),
        TagStatus::Tagged => {
            if let Some(prefixes) = &selection.tag_prefix_list {
                prefixes.iter().all(|prefix| {
                    image
                        .tags
                        .iter()
                        .any(|tag| tag.starts_with(prefix.as_str()))
                })
            } else if let Some(patterns) = &selection.tag_pattern_list {
                patterns
                    .iter()
                    .all(|pattern| image.tags.iter().any(|tag| wildcard_match(pattern, tag)))
            } else {
                false
            }
        }
    }
}

/// The images among `decisions` that stay because an index keeps them: their decisions
/// are dropped (they stay claimed, so no later rule acts on them either).
pub fn without_held(decisions: Vec<Decision>, held: &HashSet<usize>) -> Vec<Decision> {
    decisions
        .into_iter()
        .filter(|decision| !held.contains(&decision.image))
        .collect()
}
