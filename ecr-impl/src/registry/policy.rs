//! The registry policy (§2): its checks beyond the IAM grammar ([`crate::policy::check`]),
//! its storage, and whether it allows an action (replication's cross-account copies).
//!
//! The evaluator is deliberately small: Allow/Deny statements whose principal names the
//! account (`*`, the account id, or any of its ARNs), whose action matches (IAM wildcards,
//! case-insensitive) and whose resource, if given, matches the repository ARN. [choice]
//! Conditions are not evaluated: a statement with one applies as if it held.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::account_settings::{self, POLICY_SCOPE_V1, Setting};
use crate::store::documents;
use crate::store::meta::{ReadTx, Tx};
use crate::store::{Scope, StoreError};

/// The registry document kind of the policy (one per registry, under [`KEY`]).
pub(crate) const KIND: &str = "registry-policy";
const KEY: &str = "policy";

/// [real: docs] The only actions a `V1`-scoped registry policy may hold.
const V1_ACTIONS: [&str; 3] = [
    "ecr:ReplicateImage",
    "ecr:CreateRepository",
    "ecr:BatchImportUpstreamImage",
];

/// Actions replication asks a destination's policy for.
pub(crate) const REPLICATE_IMAGE: &str = "ecr:ReplicateImage";
pub(crate) const CREATE_REPOSITORY: &str = "ecr:CreateRepository";

/// Whether `text` may be the policy of a registry whose `REGISTRY_POLICY_SCOPE` is `scope`:
/// the IAM grammar, then every action (and not-action) an ECR action, and under V1 one of
/// the three V1 actions.
pub(crate) fn acceptable(text: &str, policy_scope: &str) -> bool {
    if crate::policy::check(text).is_err() {
        return false;
    }
    let Ok(document) = serde_json::from_str::<Value>(text) else {
        return false;
    };
    statements(&document).all(|statement| {
        ["Action", "NotAction"]
            .into_iter()
            .filter_map(|element| statement.get(element))
            .flat_map(strings)
            .all(|action| action_allowed(action, policy_scope))
    })
}

fn action_allowed(action: &str, policy_scope: &str) -> bool {
    // IAM action names are case-insensitive.
    let Some(service) = action.get(..4) else {
        return false;
    };
    if !service.eq_ignore_ascii_case("ecr:") || action.len() == 4 {
        return false;
    }
    // [choice] Under V1 the action must be one of the three by name (no wildcard).
    policy_scope != POLICY_SCOPE_V1
        || V1_ACTIONS
            .iter()
            .any(|allowed| allowed.eq_ignore_ascii_case(action))
}

/// The statements of a policy that passed [`crate::policy::check`] (one object or a list).
fn statements(document: &Value) -> impl Iterator<Item = &serde_json::Map<String, Value>> {
    let statement = document.get("Statement");
    let list: Vec<&Value> = match statement {
        Some(Value::Array(items)) => items.iter().collect(),
        Some(other) => vec![other],
        None => Vec::new(),
    };
    list.into_iter().filter_map(Value::as_object)
}

/// A string or a list of strings, as its strings.
fn strings(value: &Value) -> Vec<&str> {
    match value {
        Value::String(text) => vec![text.as_str()],
        Value::Array(items) => items.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    }
}

/// Whether the policy `text` lets account `account` perform `action` on `resource_arn`:
/// some Allow statement applies and no Deny statement does.
pub(crate) fn allows(text: &str, account: &str, action: &str, resource_arn: &str) -> bool {
    let Ok(document) = serde_json::from_str::<Value>(text) else {
        return false;
    };
    let mut allowed = false;
    for statement in statements(&document) {
        if !applies(statement, account, action, resource_arn) {
            continue;
        }
        match statement.get("Effect").and_then(Value::as_str) {
            Some("Deny") => return false,
            Some("Allow") => allowed = true,
            _ => {}
        }
    }
    allowed
}

fn applies(
    statement: &serde_json::Map<String, Value>,
    account: &str,
    action: &str,
    resource_arn: &str,
) -> bool {
    let principal = match (statement.get("Principal"), statement.get("NotPrincipal")) {
        (Some(principal), _) => names_account(principal, account),
        (None, Some(excluded)) => !names_account(excluded, account),
        (None, None) => false,
    };
    let action_matches = |value: &Value| {
        strings(value).into_iter().any(|pattern| {
            wildcard_match(&pattern.to_ascii_lowercase(), &action.to_ascii_lowercase())
        })
    };
    let action = match (statement.get("Action"), statement.get("NotAction")) {
        (Some(actions), _) => action_matches(actions),
        (None, Some(excluded)) => !action_matches(excluded),
        (None, None) => false,
    };
    let resource_matches = |value: &Value| {
        strings(value)
            .into_iter()
            .any(|pattern| wildcard_match(pattern, resource_arn))
    };
    let resource = match (statement.get("Resource"), statement.get("NotResource")) {
        (Some(resources), _) => resource_matches(resources),
        (None, Some(excluded)) => !resource_matches(excluded),
        // A resource policy without Resource is about the resource it is attached to.
        (None, None) => true,
    };
    principal && action && resource
}

/// Whether a `Principal` value names `account`: `*`, `{"AWS": "*"}`, the account id, or an
/// IAM ARN of the account (its root or any of its users and roles).
fn names_account(principal: &Value, account: &str) -> bool {
    match principal {
        Value::String(text) => text == "*",
        Value::Object(kinds) => kinds.get("AWS").is_some_and(|aws| {
            strings(aws).into_iter().any(|name| {
                name == "*"
                    || name == account
                    || name
                        .strip_prefix("arn:aws:iam::")
                        .and_then(|rest| rest.split_once(':'))
                        .is_some_and(|(owner, _)| owner == account)
            })
        }),
        _ => false,
    }
}

/// IAM's wildcards: `*` any run of characters (possibly empty), `?` any one character.
pub(crate) fn wildcard_match(pattern: &str, text: &str) -> bool {
    let (pattern, text): (Vec<char>, Vec<char>) =
        (pattern.chars().collect(), text.chars().collect());
    let (mut p, mut t) = (0, 0);
    let mut resume: Option<(usize, usize)> = None;
    while t < text.len() {
        if p < pattern.len() && (pattern[p] == '?' || pattern[p] == text[t]) {
            p += 1;
            t += 1;
        } else if p < pattern.len() && pattern[p] == '*' {
            resume = Some((p, t));
            p += 1;
        } else if let Some((star, matched)) = resume {
            p = star + 1;
            t = matched + 1;
            resume = Some((star, matched + 1));
        } else {
            return false;
        }
    }
    pattern[p..].iter().all(|c| *c == '*')
}

#[derive(Debug, Serialize, Deserialize)]
struct Stored {
    v: u32,
    text: String,
}

/// The policy text of registry `scope`, if it has one.
pub(crate) fn get(
    tx: &mut (impl ReadTx + ?Sized),
    scope: &Scope,
) -> Result<Option<String>, StoreError> {
    match tx.registry_document(scope, KIND, KEY)? {
        Some(bytes) => Ok(Some(documents::decode::<Stored>(KIND, &bytes)?.text)),
        None => Ok(None),
    }
}

/// Puts `text` (checked against the registry's policy scope inside the same job) as the
/// policy of `scope`; `Ok(false)` and nothing written when the text is refused.
pub(crate) fn put(
    tx: &mut (impl Tx + ?Sized),
    scope: &Scope,
    text: &str,
) -> Result<bool, StoreError> {
    let policy_scope = account_settings::get(tx, scope, Setting::RegistryPolicyScope)?;
    if !acceptable(text, policy_scope) {
        return Ok(false);
    }
    let bytes = documents::encode(
        KIND,
        &Stored {
            v: 1,
            text: text.to_owned(),
        },
    )?;
    tx.put_registry_document(scope, KIND, KEY, &bytes)?;
    Ok(true)
}

/// Removes the policy of `scope`, answering it; `None` (nothing changed) when there is none.
pub(crate) fn delete(
    tx: &mut (impl Tx + ?Sized),
    scope: &Scope,
) -> Result<Option<String>, StoreError> {
    let removed = get(tx, scope)?;
    if removed.is_some() {
        tx.delete_registry_document(scope, KIND, KEY)?;
    }
    Ok(removed)
}
