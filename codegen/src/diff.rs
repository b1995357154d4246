//! What a model bump changes for a service's users, read through the resolved IR (so the
//! report says what the generator will do, not what the JSON text says): operations added
//! or removed, and per operation its declared errors and every input and output member,
//! nested ones included: added, removed, made required or optional, type, constraints and
//! enum values. Documentation is not compared. Each operation is marked implemented or not
//! when the caller knows which are (`codegen diff --implemented`).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;

use serde_json::Value;

use crate::ir::{Bounds, Constraints, DefaultValue, Operation, Presence, Service, ShapeKind};
use crate::names;

/// What the report knows of which operations the service implements.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Implemented {
    Unknown,
    /// The names of the implemented operations.
    Known(BTreeSet<String>),
}

impl Implemented {
    /// Reads the implemented set from a running service's operations endpoint (an
    /// `http(s)://` URL, fetched with curl) or a file holding that endpoint's JSON:
    /// `{"operations": [{"name": "…", "implemented": true}, …]}`.
    pub fn load(source: &str) -> Result<Implemented, String> {
        let body = if source.starts_with("http://") || source.starts_with("https://") {
            crate::config::curl(source, None)?
        } else {
            std::fs::read(source).map_err(|e| format!("{source}: {e}"))?
        };
        Implemented::from_json(&body).map_err(|e| format!("{source}: {e}"))
    }

    pub fn from_json(body: &[u8]) -> Result<Implemented, String> {
        let body: Value = serde_json::from_slice(body).map_err(|e| format!("not JSON: {e}"))?;
        let operations = body["operations"]
            .as_array()
            .ok_or("no `operations` array: expected the operations endpoint's JSON")?;
        let names = operations
            .iter()
            .filter(|op| op["implemented"].as_bool() == Some(true))
            .map(|op| {
                op["name"]
                    .as_str()
                    .map(str::to_owned)
                    .ok_or_else(|| format!("an operation without a `name`: {op}"))
            })
            .collect::<Result<_, _>>()?;
        Ok(Implemented::Known(names))
    }

    fn mark(&self, operation: &str) -> &'static str {
        match self {
            Implemented::Unknown => "implemented: unknown",
            Implemented::Known(names) if names.contains(operation) => "implemented",
            Implemented::Known(_) => "not implemented",
        }
    }
}

/// The report of what changed from `old` to `new`, one line per change.
pub fn report(old: &Service, new: &Service, implemented: &Implemented) -> String {
    let by_name = |service: &'_ Service| -> BTreeMap<String, Operation> {
        service
            .operations
            .iter()
            .map(|op| (op.name.clone(), op.clone()))
            .collect()
    };
    let (old_ops, new_ops) = (by_name(old), by_name(new));
    let mut out = String::new();
    let mut section = |title: &str, lines: Vec<String>| {
        if !lines.is_empty() {
            let _ = writeln!(out, "{title} ({}):", lines.len());
            for line in lines {
                let _ = writeln!(out, "  {line}");
            }
        }
    };
    let added = new_ops
        .keys()
        .filter(|name| !old_ops.contains_key(*name))
        .map(|name| format!("+ {name} [{}]", implemented.mark(name)))
        .collect();
    section("Operations added", added);
    let removed = old_ops
        .keys()
        .filter(|name| !new_ops.contains_key(*name))
        .map(|name| format!("- {name} [{}]", implemented.mark(name)))
        .collect();
    section("Operations removed", removed);
    let mut changed = Vec::new();
    let mut unchanged = 0;
    for (name, old_op) in &old_ops {
        let Some(new_op) = new_ops.get(name) else {
            continue;
        };
        let changes = operation_changes(old, old_op, new, new_op);
        if changes.is_empty() {
            unchanged += 1;
            continue;
        }
        changed.push(format!("{name} [{}]", implemented.mark(name)));
        changed.extend(changes.into_iter().map(|change| format!("  {change}")));
    }
    let changed_count = changed.iter().filter(|l| !l.starts_with(' ')).count();
    if !changed.is_empty() {
        let _ = writeln!(out, "Operations changed ({changed_count}):");
        for line in changed {
            let _ = writeln!(out, "  {line}");
        }
    }
    if out.is_empty() {
        out = "No changes for users.\n".to_owned();
    }
    let _ = writeln!(out, "Operations unchanged: {unchanged}");
    out
}

/// The changes to one operation present in both models.
fn operation_changes(
    old: &Service,
    old_op: &Operation,
    new: &Service,
    new_op: &Operation,
) -> Vec<String> {
    let mut changes = Vec::new();
    let error_names = |op: &Operation| -> BTreeSet<String> {
        op.errors
            .iter()
            .map(|id| names::short_name(id).to_owned())
            .collect()
    };
    let (old_errors, new_errors) = (error_names(old_op), error_names(new_op));
    for (label, from, to) in [
        ("errors added", &new_errors, &old_errors),
        ("errors removed", &old_errors, &new_errors),
    ] {
        let difference: Vec<&str> = from.difference(to).map(String::as_str).collect();
        if !difference.is_empty() {
            changes.push(format!("{label}: {}", difference.join(", ")));
        }
    }
    let (old_members, new_members) = (members(old, old_op), members(new, new_op));
    let paths: BTreeSet<&String> = old_members.keys().chain(new_members.keys()).collect();
    // Members under an added or removed one are part of that change, not their own.
    let mut whole: Vec<&str> = Vec::new();
    for path in paths {
        if whole.iter().any(|parent| is_under(path, parent)) {
            continue;
        }
        match (old_members.get(path), new_members.get(path)) {
            (None, Some(view)) => {
                changes.push(format!("{path}: added ({})", presence(&view.presence)));
                whole.push(path);
            }
            (Some(_), None) => {
                changes.push(format!("{path}: removed"));
                whole.push(path);
            }
            (Some(before), Some(after)) => changes.extend(
                member_changes(before, after)
                    .into_iter()
                    .map(|change| format!("{path}: {change}")),
            ),
            (None, None) => {}
        }
    }
    changes
}

fn is_under(path: &str, parent: &str) -> bool {
    path.strip_prefix(parent)
        .is_some_and(|rest| rest.starts_with(['.', '[', '{']))
}

/// What a user sees of one member (or list item, map key or value).
#[derive(Debug, PartialEq)]
struct MemberView {
    kind: &'static str,
    presence: Presence,
    /// Constraint name → its rendering.
    constraints: BTreeMap<&'static str, String>,
    enum_values: BTreeSet<String>,
}

/// Every member reachable from the operation's input (`input.…`) and output (`output.…`),
/// by path: `a.b` for structure members, `a[]` for list items, `a{key}`/`a{value}` for
/// maps. A shape already on the path is not entered again (recursion).
fn members(service: &Service, op: &Operation) -> BTreeMap<String, MemberView> {
    let mut out = BTreeMap::new();
    for (root, id) in [("input", &op.input), ("output", &op.output)] {
        if let Some(id) = id {
            walk(service, id, root, &mut vec![id.clone()], &mut out);
        }
    }
    out
}

fn walk(
    service: &Service,
    id: &str,
    path: &str,
    stack: &mut Vec<String>,
    out: &mut BTreeMap<String, MemberView>,
) {
    let children: Vec<(String, &crate::ir::Member)> = match &service.shapes[id].kind {
        ShapeKind::Structure { members } | ShapeKind::Union { members } => members
            .iter()
            .map(|m| (format!("{path}.{}", m.name), m))
            .collect(),
        ShapeKind::List { item } => vec![(format!("{path}[]"), &**item)],
        ShapeKind::Map { key, value } => vec![
            (format!("{path}{{key}}"), &**key),
            (format!("{path}{{value}}"), &**value),
        ],
        _ => Vec::new(),
    };
    for (child, member) in children {
        let target = &service.shapes[&member.target];
        out.insert(
            child.clone(),
            MemberView {
                kind: kind_name(&target.kind),
                presence: member.presence.clone(),
                constraints: constraints(&member.constraints),
                enum_values: enum_values(&target.kind),
            },
        );
        if !stack.contains(&member.target) {
            stack.push(member.target.clone());
            walk(service, &member.target, &child, stack, out);
            stack.pop();
        }
    }
}

fn member_changes(before: &MemberView, after: &MemberView) -> Vec<String> {
    let mut changes = Vec::new();
    if before.kind != after.kind {
        changes.push(format!("type {} → {}", before.kind, after.kind));
    }
    match (&before.presence, &after.presence) {
        (a, b) if a == b => {}
        (_, Presence::Required) => changes.push("made required".to_owned()),
        (Presence::Required, _) => changes.push(format!("made {}", presence(&after.presence))),
        (a, b) => changes.push(format!("{} → {}", presence(a), presence(b))),
    }
    let names: BTreeSet<&&str> = before
        .constraints
        .keys()
        .chain(after.constraints.keys())
        .collect();
    for name in names {
        match (before.constraints.get(*name), after.constraints.get(*name)) {
            (None, Some(value)) => changes.push(format!("{name} added: {value}")),
            (Some(value), None) => changes.push(format!("{name} removed (was {value})")),
            (Some(a), Some(b)) if a != b => changes.push(format!("{name} {a} → {b}")),
            _ => {}
        }
    }
    for (label, from, to) in [
        ("enum values added", &after.enum_values, &before.enum_values),
        (
            "enum values removed",
            &before.enum_values,
            &after.enum_values,
        ),
    ] {
        let difference: Vec<&str> = from.difference(to).map(String::as_str).collect();
        if !difference.is_empty() {
            changes.push(format!("{label}: {}", difference.join(", ")));
        }
    }
    changes
}

fn presence(presence: &Presence) -> String {
    match presence {
        Presence::Required => "required".to_owned(),
        Presence::Optional => "optional".to_owned(),
        Presence::Default(value) => {
            let value = match value {
                DefaultValue::Bool(b) => b.to_string(),
                DefaultValue::Number(n) => n.clone(),
                DefaultValue::String(s) => format!("{s:?}"),
                DefaultValue::EmptyList => "[]".to_owned(),
                DefaultValue::EmptyMap => "{}".to_owned(),
            };
            format!("optional, default {value}")
        }
    }
}

/// Every constraint of `constraints`, rendered. The destructuring is exhaustive so that a
/// constraint added to the IR cannot be left out of the diff unnoticed.
fn constraints(constraints: &Constraints) -> BTreeMap<&'static str, String> {
    let Constraints {
        length,
        range,
        pattern,
        unique_items,
    } = constraints;
    let bounds = |bounds: &Bounds| {
        [("min", &bounds.min), ("max", &bounds.max)]
            .into_iter()
            .filter_map(|(name, bound)| bound.as_ref().map(|b| format!("{name} {}", b.value)))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut out = BTreeMap::new();
    if let Some(length) = length {
        out.insert("length", bounds(length));
    }
    if let Some(range) = range {
        out.insert("range", bounds(range));
    }
    if let Some(pattern) = pattern {
        out.insert("pattern", format!("`{}`", pattern.source));
    }
    if unique_items.is_some() {
        out.insert("uniqueItems", "true".to_owned());
    }
    out
}

fn enum_values(kind: &ShapeKind) -> BTreeSet<String> {
    match kind {
        ShapeKind::Enum { variants, .. } => variants.iter().map(|v| v.value.clone()).collect(),
        ShapeKind::IntEnum { variants, .. } => {
            variants.iter().map(|v| v.value.to_string()).collect()
        }
        _ => BTreeSet::new(),
    }
}

fn kind_name(kind: &ShapeKind) -> &'static str {
    match kind {
        ShapeKind::Structure { .. } => "structure",
        ShapeKind::Union { .. } => "union",
        ShapeKind::List { .. } => "list",
        ShapeKind::Map { .. } => "map",
        ShapeKind::Enum { .. } => "enum",
        ShapeKind::IntEnum { .. } => "intEnum",
        ShapeKind::Simple(primitive) => primitive.smithy_name(),
    }
}
