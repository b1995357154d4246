//! The lifecycle policy document (`ecr-behaviour-registry.md` §1.1): parsed and validated
//! with ECR's texts, re-serialised in the canonical layout (§1.2).
//!
//! Order of the checks (the first failing step answers; within the schema step every
//! violation is reported, one per line, in document order):
//! 1. the text is a JSON object, else `Could not map policyString into LifecyclePolicy.`;
//! 2. the JSON schema, walked top-down: per object, unknown properties, then missing
//!    required ones, then each member (JSON type, `null` on a `oneOf` member, enum,
//!    integer range, empty arrays);
//! 3. rulePriority unique (first repeated value in document order);
//! 4. each rule alone, by ascending rulePriority: countUnit with imageCountMoreThan, a
//!    since… type without countUnit, tag lists against tagStatus (both, neither, on
//!    untagged/any), wildcards per pattern, targetStorageClass against the action,
//!    storageClass archive only with sinceImageTransitioned, sinceImagePulled only with
//!    transition, sinceImageTransitioned's requirements;
//! 5. the rules together, per storage class: one untagged rule, the any rule last, unique
//!    prefix sets.

use std::collections::{BTreeMap, BTreeSet};

use ecr_generated::errors::InvalidParameterException;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::limits::{MAX_LIFECYCLE_PATTERN_WILDCARDS, MIN_LIFECYCLE_ARCHIVE_DAYS};
use crate::messages;

/// A valid lifecycle policy, rules in ascending `rulePriority`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LifecyclePolicy {
    pub rules: Vec<Rule>,
}

/// One rule, members in the canonical key order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Rule {
    pub rule_priority: i32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    pub selection: Selection,
    pub action: Action,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Selection {
    pub tag_status: TagStatus,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tag_pattern_list: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tag_prefix_list: Option<Vec<String>>,
    /// As given: absent means standard, and stays absent in the canonical text.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub storage_class: Option<StorageClass>,
    pub count_type: CountType,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub count_unit: Option<CountUnit>,
    pub count_number: i32,
}

impl Selection {
    /// The storage class the rule looks at (standard unless given).
    pub fn storage_class(&self) -> StorageClass {
        self.storage_class.unwrap_or(StorageClass::Standard)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Action {
    #[serde(rename = "type")]
    pub kind: ActionType,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target_storage_class: Option<TargetStorageClass>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TagStatus {
    Tagged,
    Untagged,
    Any,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StorageClass {
    Standard,
    Archive,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum CountType {
    ImageCountMoreThan,
    SinceImagePushed,
    SinceImagePulled,
    SinceImageTransitioned,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CountUnit {
    Days,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ActionType {
    Expire,
    Transition,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TargetStorageClass {
    Archive,
}

const TAG_STATUSES: &[&str] = &["tagged", "untagged", "any"];
const STORAGE_CLASSES: &[&str] = &["standard", "archive"];
const COUNT_TYPES: &[&str] = &[
    "imageCountMoreThan",
    "sinceImagePushed",
    "sinceImagePulled",
    "sinceImageTransitioned",
];
const COUNT_UNITS: &[&str] = &["days"];
const ACTION_TYPES: &[&str] = &["expire", "transition"];
const TARGET_STORAGE_CLASSES: &[&str] = &["archive"];

impl LifecyclePolicy {
    /// The text ECR stores and answers: compact JSON, rules by ascending priority, keys in
    /// the documented order; values exactly as given.
    pub fn canonical_text(&self) -> String {
        serde_json::to_string(self).expect("a policy of plain values always serializes")
    }
}

/// Parses and validates `text` (§1.1, in the order the module documents); the error is
/// the InvalidParameterException ECR answers.
pub(crate) fn parse_policy(text: &str) -> Result<LifecyclePolicy, InvalidParameterException> {
    let invalid =
        |reason: &str| InvalidParameterException::new(messages::lifecycle_policy_invalid(reason));
    let value: Value = match serde_json::from_str(text) {
        Ok(value @ Value::Object(_)) => value,
        _ => return Err(invalid(messages::LIFECYCLE_NOT_A_POLICY)),
    };
    let mut lines = Vec::new();
    check_schema(&value, &mut lines);
    if !lines.is_empty() {
        return Err(InvalidParameterException::new(
            messages::lifecycle_policy_schema_invalid(&lines),
        ));
    }
    // The schema has pinned every type and enum, so this cannot fail.
    let mut policy: LifecyclePolicy =
        serde_json::from_value(value).map_err(|_| invalid(messages::LIFECYCLE_NOT_A_POLICY))?;

    let mut seen = BTreeSet::new();
    for rule in &policy.rules {
        if !seen.insert(rule.rule_priority) {
            return Err(invalid(&messages::lifecycle_duplicate_priority(i64::from(
                rule.rule_priority,
            ))));
        }
    }
    policy.rules.sort_by_key(|rule| rule.rule_priority);
    for rule in &policy.rules {
        check_rule(rule).map_err(|reason| match reason {
            Reason::Sentence(text) => invalid(&text),
            Reason::Schema(line) => {
                InvalidParameterException::new(messages::lifecycle_policy_schema_invalid(&[line]))
            }
        })?;
    }
    check_rules_together(&policy.rules).map_err(invalid)?;
    Ok(policy)
}

/// Why one rule is invalid: a sentence (closing quote follows) or a schema line.
enum Reason {
    Sentence(String),
    Schema(String),
}

fn check_rule(rule: &Rule) -> Result<(), Reason> {
    let selection = &rule.selection;
    let since = selection.count_type != CountType::ImageCountMoreThan;
    match (since, selection.count_unit) {
        (false, Some(_)) => {
            return Err(Reason::Sentence(
                messages::LIFECYCLE_COUNT_UNIT_NOT_ALLOWED.into(),
            ));
        }
        (true, None) => {
            return Err(Reason::Schema(messages::lifecycle_schema_missing(&[
                "countUnit",
            ])));
        }
        _ => {}
    }
    let lists = (&selection.tag_prefix_list, &selection.tag_pattern_list);
    match selection.tag_status {
        TagStatus::Tagged => match lists {
            (Some(_), Some(_)) => {
                return Err(Reason::Sentence(messages::LIFECYCLE_BOTH_TAG_LISTS.into()));
            }
            (None, None) => {
                return Err(Reason::Sentence(
                    messages::LIFECYCLE_TAGGED_NEEDS_LIST.into(),
                ));
            }
            _ => {}
        },
        TagStatus::Untagged | TagStatus::Any => {
            if lists.0.is_some() || lists.1.is_some() {
                return Err(Reason::Sentence(
                    messages::LIFECYCLE_TAG_LIST_ONLY_TAGGED.into(),
                ));
            }
        }
    }
    let too_wild = selection
        .tag_pattern_list
        .iter()
        .flatten()
        .any(|pattern| pattern.matches('*').count() > MAX_LIFECYCLE_PATTERN_WILDCARDS);
    if too_wild {
        return Err(Reason::Sentence(messages::lifecycle_too_many_wildcards(
            MAX_LIFECYCLE_PATTERN_WILDCARDS,
        )));
    }
    let action = &rule.action;
    match (action.kind, action.target_storage_class) {
        (ActionType::Transition, None) => {
            return Err(Reason::Schema(messages::lifecycle_schema_missing(&[
                "targetStorageClass",
            ])));
        }
        (ActionType::Expire, Some(_)) => {
            return Err(Reason::Sentence(
                messages::LIFECYCLE_TARGET_ONLY_TRANSITION.into(),
            ));
        }
        _ => {}
    }
    match selection.count_type {
        CountType::SinceImageTransitioned => {
            let valid = selection.storage_class() == StorageClass::Archive
                && action.kind == ActionType::Expire
                && i64::from(selection.count_number) >= MIN_LIFECYCLE_ARCHIVE_DAYS;
            if !valid {
                return Err(Reason::Sentence(messages::lifecycle_transitioned_rule(
                    MIN_LIFECYCLE_ARCHIVE_DAYS,
                )));
            }
        }
        other => {
            if selection.storage_class() == StorageClass::Archive {
                return Err(Reason::Sentence(
                    messages::LIFECYCLE_ARCHIVE_ONLY_TRANSITIONED.into(),
                ));
            }
            if other == CountType::SinceImagePulled && action.kind != ActionType::Transition {
                return Err(Reason::Sentence(
                    messages::LIFECYCLE_PULLED_ONLY_TRANSITION.into(),
                ));
            }
        }
    }
    Ok(())
}

/// The rules of each storage class together (rules sorted by ascending priority).
fn check_rules_together(rules: &[Rule]) -> Result<(), &'static str> {
    let mut by_class: BTreeMap<StorageClass, Vec<&Rule>> = BTreeMap::new();
    for rule in rules {
        by_class
            .entry(rule.selection.storage_class())
            .or_default()
            .push(rule);
    }
    for rules in by_class.values() {
        let untagged = rules
            .iter()
            .filter(|rule| rule.selection.tag_status == TagStatus::Untagged)
            .count();
        if untagged > 1 {
            return Err(messages::LIFECYCLE_ONE_UNTAGGED_RULE);
        }
        let any_before_last = rules[..rules.len() - 1]
            .iter()
            .any(|rule| rule.selection.tag_status == TagStatus::Any);
        if any_before_last {
            return Err(messages::LIFECYCLE_ANY_RULE_LAST);
        }
        let mut prefix_sets = BTreeSet::new();
        for rule in rules {
            if let Some(prefixes) = &rule.selection.tag_prefix_list {
                let set: BTreeSet<&str> = prefixes.iter().map(String::as_str).collect();
                if !prefix_sets.insert(set) {
                    return Err(messages::LIFECYCLE_UNIQUE_PREFIX_SETS);
                }
            }
        }
    }
    Ok(())
}

// ---- the JSON schema ----

/// What a member's value must be.
#[derive(Clone, Copy)]
enum Kind {
    Rules,
    Rule,
    Selection,
    Action,
    /// A string, any.
    Text,
    /// A string from this enum.
    Enum(&'static [&'static str]),
    /// The same, where the real schema has a `oneOf` (its `null` reads differently).
    OneOfEnum(&'static [&'static str]),
    /// An integer from 1 to `i32::MAX`.
    Positive,
    /// A non-empty array of strings.
    Strings,
}

/// An object's members: name, kind, required.
type Members = &'static [(&'static str, Kind, bool)];

const POLICY: Members = &[("rules", Kind::Rules, true)];
const RULE: Members = &[
    ("rulePriority", Kind::Positive, true),
    ("description", Kind::Text, false),
    ("selection", Kind::Selection, true),
    ("action", Kind::Action, true),
];
const SELECTION: Members = &[
    ("tagStatus", Kind::Enum(TAG_STATUSES), true),
    ("tagPatternList", Kind::Strings, false),
    ("tagPrefixList", Kind::Strings, false),
    ("storageClass", Kind::Enum(STORAGE_CLASSES), false),
    ("countType", Kind::Enum(COUNT_TYPES), true),
    ("countUnit", Kind::OneOfEnum(COUNT_UNITS), false),
    ("countNumber", Kind::Positive, true),
];
const ACTION: Members = &[
    ("type", Kind::Enum(ACTION_TYPES), true),
    (
        "targetStorageClass",
        Kind::OneOfEnum(TARGET_STORAGE_CLASSES),
        false,
    ),
];

fn check_schema(policy: &Value, lines: &mut Vec<String>) {
    check_value(policy, Kind::Rule, lines, Some(POLICY));
}

/// The JSON-schema name of `value`'s type.
fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

fn check_object(object: &Map<String, Value>, members: Members, lines: &mut Vec<String>) {
    let unknown: Vec<&str> = object
        .keys()
        .map(String::as_str)
        .filter(|key| !members.iter().any(|(name, _, _)| name == key))
        .collect();
    if !unknown.is_empty() {
        lines.push(messages::lifecycle_schema_unknown(&unknown));
    }
    let missing: Vec<&str> = members
        .iter()
        .filter(|(name, _, required)| *required && !object.contains_key(*name))
        .map(|(name, _, _)| *name)
        .collect();
    if !missing.is_empty() {
        lines.push(messages::lifecycle_schema_missing(&missing));
    }
    for (name, kind, _) in members {
        if let Some(value) = object.get(*name) {
            check_value(value, *kind, lines, None);
        }
    }
}

/// Checks `value` as `kind` (`members` overrides the object's member list: the policy
/// itself).
fn check_value(value: &Value, kind: Kind, lines: &mut Vec<String>, members: Option<Members>) {
    let wrong_type = |lines: &mut Vec<String>, allowed: &str| {
        lines.push(messages::lifecycle_schema_wrong_type(
            type_name(value),
            allowed,
        ));
    };
    match kind {
        Kind::Rule | Kind::Selection | Kind::Action => {
            let Value::Object(object) = value else {
                return wrong_type(lines, "object");
            };
            let members = members.unwrap_or(match kind {
                Kind::Selection => SELECTION,
                Kind::Action => ACTION,
                _ => RULE,
            });
            check_object(object, members, lines);
        }
        Kind::Rules => {
            let Value::Array(rules) = value else {
                return wrong_type(lines, "array");
            };
            if rules.is_empty() {
                lines.push(messages::lifecycle_schema_empty_array());
            }
            for rule in rules {
                check_value(rule, Kind::Rule, lines, None);
            }
        }
        Kind::Text => {
            if !value.is_string() {
                wrong_type(lines, "string");
            }
        }
        Kind::Enum(allowed) | Kind::OneOfEnum(allowed) => match value {
            Value::Null if matches!(kind, Kind::OneOfEnum(_)) => {
                lines.push(messages::LIFECYCLE_SCHEMA_ONE_OF_NULL.to_owned());
            }
            Value::String(text) if allowed.contains(&text.as_str()) => {}
            Value::String(_) => {
                lines.push(messages::lifecycle_schema_not_in_enum(
                    &value.to_string(),
                    allowed,
                ));
            }
            _ => wrong_type(lines, "string"),
        },
        Kind::Positive => match value {
            Value::Number(number) if number.is_i64() || number.is_u64() => {
                let found = number.to_string();
                match number.as_i64() {
                    Some(n) if n < 1 => {
                        lines.push(messages::lifecycle_schema_below_minimum(1, &found));
                    }
                    Some(n) if n <= i64::from(i32::MAX) => {}
                    _ => lines.push(messages::lifecycle_schema_above_maximum(
                        i64::from(i32::MAX),
                        &found,
                    )),
                }
            }
            _ => wrong_type(lines, "integer"),
        },
        Kind::Strings => {
            let Value::Array(items) = value else {
                return wrong_type(lines, "array");
            };
            if items.is_empty() {
                lines.push(messages::lifecycle_schema_empty_array());
            }
            for item in items {
                if !item.is_string() {
                    lines.push(messages::lifecycle_schema_wrong_type(
                        type_name(item),
                        "string",
                    ));
                }
            }
        }
    }
}
