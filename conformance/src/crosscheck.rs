//! An oracle that is not the code under test: the constraints the generator resolved from the
//! Smithy model, member by member, held against botocore's own description of the service
//! (`botocore/data/<service>/<version>/service-2.json`, AWS's independent rendering of the
//! same API, as the `botocore` package ships it).
//!
//! For every input member of every operation, nested members, list items and map keys and
//! values included, the two must agree on: presence in the input, `required`, length and
//! range bounds, pattern and enum values. Botocore writes bounds on the target shape
//! (`min`/`max`, a length for strings, blobs, lists and maps, a value for numbers); the IR
//! holds each member's effective constraints. Two normalizations, both semantic identities:
//! a minimum length of 0 constrains nothing (the IR drops it), and a botocore pattern is
//! matched against the whole value (as AWS's services apply it), so it equals the model's
//! ECMA-262 pattern anchored as `^…$`.
//!
//! Disagreements AWS has a reason for are listed, each with its reason, in a data file (see
//! [`Explanation`]); the check fails on any other disagreement and on an explanation that no
//! longer matches one (stale).

use std::collections::{BTreeSet, HashSet};
use std::fmt;
use std::io::Read;
use std::path::Path;

use codegen::ir::{Bounds, Member, Presence, Service, ShapeKind};
use serde_json::{Map, Value};

use crate::model::short_name;

/// Where botocore keeps ECR's description, under the package directory.
pub const ECR_SERVICE_FILE: &str = "data/ecr/2015-09-21/service-2.json";

/// One constraint the two descriptions disagree on.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Disagreement {
    /// `Container$member` (list items `$member`, map entries `$key`/`$value`), short names.
    pub member: String,
    /// Short name of the member's target shape in the model (botocore's for a member only
    /// botocore has; empty for an operation).
    pub target: String,
    /// `member`, `required`, `length.min`, `length.max`, `range.min`, `range.max`,
    /// `pattern`, `enum` (or `operation`/`input` for a whole operation).
    pub constraint: String,
    /// The model's value (`None`: the model has no such constraint).
    pub model: Option<String>,
    pub botocore: Option<String>,
}

impl fmt::Display for Disagreement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let show = |value: &Option<String>| value.clone().unwrap_or_else(|| "(none)".to_owned());
        write!(f, "{}", self.member)?;
        if !self.target.is_empty() {
            write!(f, " ({})", self.target)?;
        }
        write!(
            f,
            " {}: model {} | botocore {}",
            self.constraint,
            show(&self.model),
            show(&self.botocore)
        )
    }
}

/// A disagreement with a known reason. `subject` is a member (`Container$member`) or a target
/// shape, which covers every member targeting it; values must match exactly, so a changed
/// value is a new disagreement (and a stale explanation).
#[derive(Debug, Clone, PartialEq)]
pub struct Explanation {
    pub subject: String,
    pub constraint: String,
    pub model: Option<String>,
    pub botocore: Option<String>,
    pub reason: String,
}

impl Explanation {
    fn covers(&self, d: &Disagreement) -> bool {
        (self.subject == d.member || self.subject == d.target)
            && self.constraint == d.constraint
            && self.model == d.model
            && self.botocore == d.botocore
    }

    /// Reads a JSON array of `{subject, constraint, model, botocore, reason}` (values are
    /// strings or null; every reason non-empty).
    pub fn parse_list(json: &str) -> Result<Vec<Explanation>, String> {
        let entries: Vec<Value> =
            serde_json::from_str(json).map_err(|e| format!("not a JSON array: {e}"))?;
        entries
            .iter()
            .enumerate()
            .map(|(index, entry)| {
                let text = |key: &str| -> Result<Option<String>, String> {
                    match entry.get(key) {
                        None | Some(Value::Null) => Ok(None),
                        Some(Value::String(s)) => Ok(Some(s.clone())),
                        Some(other) => {
                            Err(format!("entry {index}: `{key}` is {other}, not a string"))
                        }
                    }
                };
                let needed = |key: &str| {
                    text(key)?
                        .filter(|s| !s.trim().is_empty())
                        .ok_or_else(|| format!("entry {index}: `{key}` is missing or empty"))
                };
                Ok(Explanation {
                    subject: needed("subject")?,
                    constraint: needed("constraint")?,
                    model: text("model")?,
                    botocore: text("botocore")?,
                    reason: needed("reason")?,
                })
            })
            .collect()
    }
}

/// What a cross-check found.
#[derive(Debug, Default)]
pub struct Outcome {
    /// Input members compared (each container's member once, however many operations share it).
    pub members: usize,
    pub operations: usize,
    /// Every disagreement, sorted, with the explanation that covers it, if any.
    pub disagreements: Vec<(Disagreement, Option<Explanation>)>,
    /// Explanations that cover no disagreement any more.
    pub stale: Vec<Explanation>,
}

impl Outcome {
    pub fn unexplained(&self) -> usize {
        self.disagreements
            .iter()
            .filter(|(_, e)| e.is_none())
            .count()
    }

    pub fn passed(&self) -> bool {
        self.unexplained() == 0 && self.stale.is_empty()
    }

    /// The one-line result the test summary quotes.
    pub fn summary(&self) -> String {
        format!(
            "botocore cross-check {} members of {} operations, {} disagreements, {} explained, {} unexplained, {} stale",
            self.members,
            self.operations,
            self.disagreements.len(),
            self.disagreements.len() - self.unexplained(),
            self.unexplained(),
            self.stale.len()
        )
    }

    /// Every disagreement (explained ones with their reason) and every stale explanation.
    pub fn render(&self) -> String {
        let mut out = String::new();
        for (disagreement, explanation) in &self.disagreements {
            match explanation {
                Some(e) => out.push_str(&format!(
                    "explained   {disagreement}\n            ({})\n",
                    e.reason
                )),
                None => out.push_str(&format!("UNEXPLAINED {disagreement}\n")),
            }
        }
        for e in &self.stale {
            out.push_str(&format!(
                "STALE       explanation for {} {} (model {:?}, botocore {:?}) matches no disagreement: remove it\n",
                e.subject, e.constraint, e.model, e.botocore
            ));
        }
        out
    }
}

/// Reads botocore's `service-2.json`, or its gzipped form (`service-2.json.gz`, as recent
/// botocore releases ship it). `path` may be the file, either form, or the botocore package
/// directory.
pub fn read_botocore(path: &Path) -> Result<Value, String> {
    let candidates = if path.is_dir() {
        let file = path.join(ECR_SERVICE_FILE);
        vec![file.with_extension("json.gz"), file]
    } else {
        vec![path.to_path_buf()]
    };
    let file = candidates
        .iter()
        .find(|candidate| candidate.is_file())
        .ok_or_else(|| {
            format!(
                "no botocore service description at {}",
                candidates[0].display()
            )
        })?;
    let bytes = std::fs::read(file).map_err(|e| format!("{}: {e}", file.display()))?;
    let text = if bytes.starts_with(&[0x1f, 0x8b]) {
        let mut text = String::new();
        flate2::read::GzDecoder::new(&bytes[..])
            .read_to_string(&mut text)
            .map_err(|e| format!("{}: not valid gzip: {e}", file.display()))?;
        text
    } else {
        String::from_utf8(bytes).map_err(|e| format!("{}: not UTF-8: {e}", file.display()))?
    };
    serde_json::from_str(&text).map_err(|e| format!("{}: not JSON: {e}", file.display()))
}

/// Compares every input member of every operation of `service` with `botocore`, then sorts
/// the disagreements against `explained`.
pub fn crosscheck(service: &Service, botocore: &Value, explained: &[Explanation]) -> Outcome {
    let no_shapes = Map::new();
    let mut walk = Walk {
        service,
        boto_shapes: botocore
            .get("shapes")
            .and_then(Value::as_object)
            .unwrap_or(&no_shapes),
        visited: HashSet::new(),
        members: 0,
        found: BTreeSet::new(),
    };
    let boto_operations = botocore.get("operations").and_then(Value::as_object);
    for operation in &service.operations {
        let boto = boto_operations.and_then(|ops| ops.get(&operation.name));
        let boto_input = boto
            .and_then(|op| op.pointer("/input/shape"))
            .and_then(Value::as_str);
        match (boto, &operation.input, boto_input) {
            (None, _, _) => walk.disagree(&operation.name, "", "operation", Some("present"), None),
            (Some(_), Some(input), Some(boto_input)) => walk.shape(input, boto_input),
            (Some(_), None, None) => {}
            (Some(_), model, boto) => walk.disagree(
                &operation.name,
                "",
                "input",
                model.as_deref().map(short_name),
                boto,
            ),
        }
    }
    let model_operations: BTreeSet<&str> = service
        .operations
        .iter()
        .map(|op| op.name.as_str())
        .collect();
    for name in boto_operations.into_iter().flat_map(|ops| ops.keys()) {
        if !model_operations.contains(name.as_str()) {
            walk.disagree(name, "", "operation", None, Some("present"));
        }
    }
    let found: Vec<Disagreement> = walk.found.into_iter().collect();
    let members = walk.members;
    let disagreements = found
        .into_iter()
        .map(|d| {
            let explanation = explained.iter().find(|e| e.covers(&d)).cloned();
            (d, explanation)
        })
        .collect::<Vec<_>>();
    let stale = explained
        .iter()
        .filter(|e| !disagreements.iter().any(|(d, _)| e.covers(d)))
        .cloned()
        .collect();
    Outcome {
        members,
        operations: service.operations.len(),
        disagreements,
        stale,
    }
}

struct Walk<'a> {
    service: &'a Service,
    boto_shapes: &'a Map<String, Value>,
    /// (model shape id, botocore shape name) pairs already compared.
    visited: HashSet<(String, String)>,
    members: usize,
    found: BTreeSet<Disagreement>,
}

impl Walk<'_> {
    fn disagree(
        &mut self,
        member: &str,
        target: &str,
        constraint: &str,
        model: Option<&str>,
        botocore: Option<&str>,
    ) {
        self.found.insert(Disagreement {
            member: member.to_owned(),
            target: short_name(target).to_owned(),
            constraint: constraint.to_owned(),
            model: model.map(str::to_owned),
            botocore: botocore.map(str::to_owned),
        });
    }

    fn boto_shape(&self, name: &str) -> &Value {
        self.boto_shapes.get(name).unwrap_or(&Value::Null)
    }

    /// Compares the members of model shape `id` with those of botocore shape `boto_name`,
    /// then recurses into each pair of targets.
    fn shape(&mut self, id: &str, boto_name: &str) {
        if !self.visited.insert((id.to_owned(), boto_name.to_owned())) {
            return;
        }
        let Some(shape) = self.service.shapes.get(id) else {
            return; // a prelude shape: no members
        };
        let boto = self.boto_shape(boto_name).clone();
        let container = short_name(id).to_owned();
        match &shape.kind {
            ShapeKind::Structure { members } | ShapeKind::Union { members } => {
                let boto_members = boto.get("members").and_then(Value::as_object);
                let required: BTreeSet<&str> = boto
                    .get("required")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .filter_map(Value::as_str)
                    .collect();
                for member in members {
                    let id = format!("{container}${}", member.name);
                    let boto_target = boto_members
                        .and_then(|m| m.get(&member.name))
                        .and_then(|m| m.get("shape"))
                        .and_then(Value::as_str);
                    let Some(boto_target) = boto_target else {
                        self.disagree(&id, &member.target, "member", Some("present"), None);
                        continue;
                    };
                    let model_required = member.presence == Presence::Required;
                    let boto_required = required.contains(member.name.as_str());
                    if model_required != boto_required {
                        let word = |required: bool| if required { "required" } else { "optional" };
                        self.disagree(
                            &id,
                            &member.target,
                            "required",
                            Some(word(model_required)),
                            Some(word(boto_required)),
                        );
                    }
                    self.member(&id, member, boto_target);
                }
                let model_names: BTreeSet<&str> = members.iter().map(|m| m.name.as_str()).collect();
                for (name, boto_member) in boto_members.into_iter().flatten() {
                    if !model_names.contains(name.as_str()) {
                        let id = format!("{container}${name}");
                        // Only botocore names its target.
                        let target = boto_member["shape"].as_str().unwrap_or_default();
                        self.disagree(&id, target, "member", None, Some("present"));
                    }
                }
            }
            ShapeKind::List { item } => {
                let id = format!("{container}$member");
                match boto.pointer("/member/shape").and_then(Value::as_str) {
                    Some(boto_item) => self.member(&id, item, boto_item),
                    None => self.disagree(&id, &item.target, "member", Some("present"), None),
                }
            }
            ShapeKind::Map { key, value } => {
                for (role, member) in [("key", key), ("value", value)] {
                    let id = format!("{container}${role}");
                    match boto
                        .pointer(&format!("/{role}/shape"))
                        .and_then(Value::as_str)
                    {
                        Some(boto_target) => self.member(&id, member, boto_target),
                        None => self.disagree(&id, &member.target, "member", Some("present"), None),
                    }
                }
            }
            ShapeKind::Enum { .. } | ShapeKind::IntEnum { .. } | ShapeKind::Simple(_) => {}
        }
    }

    /// Compares one member's effective constraints with its botocore target's, then its
    /// target's members.
    fn member(&mut self, id: &str, member: &Member, boto_target: &str) {
        self.members += 1;
        let boto = self.boto_shape(boto_target).clone();
        let target = member.target.as_str();
        let boto_type = boto.get("type").and_then(Value::as_str).unwrap_or("");
        let boto_bound = |key: &str| boto.get(key).map(number_text);
        let (boto_length, boto_range) = match boto_type {
            "string" | "blob" | "list" | "map" => {
                // A minimum length of 0 constrains nothing.
                let min = boto_bound("min").filter(|min| !same_number(min, "0"));
                ((min, boto_bound("max")), (None, None))
            }
            _ => ((None, None), (boto_bound("min"), boto_bound("max"))),
        };
        let model_length = bounds_text(member.constraints.length.as_ref());
        let model_range = bounds_text(member.constraints.range.as_ref());
        for (constraint, model, botocore) in [
            ("length.min", model_length.0, boto_length.0),
            ("length.max", model_length.1, boto_length.1),
            ("range.min", model_range.0, boto_range.0),
            ("range.max", model_range.1, boto_range.1),
        ] {
            let agree = match (&model, &botocore) {
                (Some(a), Some(b)) => same_number(a, b),
                (a, b) => a == b,
            };
            if !agree {
                self.disagree(
                    id,
                    target,
                    constraint,
                    model.as_deref(),
                    botocore.as_deref(),
                );
            }
        }
        let model_pattern = member
            .constraints
            .pattern
            .as_ref()
            .map(|p| p.source.as_str());
        let boto_pattern = boto.get("pattern").and_then(Value::as_str);
        let agree = match (model_pattern, boto_pattern) {
            (Some(model), Some(boto)) => model == boto || model == anchored(boto),
            (model, boto) => model == boto,
        };
        if !agree {
            self.disagree(id, target, "pattern", model_pattern, boto_pattern);
        }
        let model_enum = self
            .service
            .shapes
            .get(target)
            .and_then(|shape| match &shape.kind {
                ShapeKind::Enum { variants, .. } => Some(
                    variants
                        .iter()
                        .map(|v| v.value.clone())
                        .collect::<BTreeSet<_>>(),
                ),
                ShapeKind::IntEnum { variants, .. } => {
                    Some(variants.iter().map(|v| v.value.to_string()).collect())
                }
                _ => None,
            });
        let boto_enum = boto.get("enum").and_then(Value::as_array).map(|values| {
            values
                .iter()
                .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_owned))
                .collect::<BTreeSet<_>>()
        });
        if model_enum != boto_enum {
            let show = |set: &Option<BTreeSet<String>>| {
                set.as_ref()
                    .map(|values| values.iter().cloned().collect::<Vec<_>>().join(", "))
            };
            self.disagree(
                id,
                target,
                "enum",
                show(&model_enum).as_deref(),
                show(&boto_enum).as_deref(),
            );
        }
        self.shape(target, boto_target);
    }
}

/// A full-match pattern as an ECMA-262 search pattern.
fn anchored(pattern: &str) -> String {
    let start = if pattern.starts_with('^') { "" } else { "^" };
    let end = if pattern.ends_with('$') { "" } else { "$" };
    format!("{start}{pattern}{end}")
}

fn bounds_text(bounds: Option<&Bounds>) -> (Option<String>, Option<String>) {
    let value = |bound: &Option<codegen::ir::Bound>| bound.as_ref().map(|b| b.value.clone());
    bounds.map_or((None, None), |b| (value(&b.min), value(&b.max)))
}

fn number_text(value: &Value) -> String {
    value
        .as_str()
        .map_or_else(|| value.to_string(), str::to_owned)
}

/// `1000` and `1000.0` are the same bound.
fn same_number(a: &str, b: &str) -> bool {
    match (a.parse::<f64>(), b.parse::<f64>()) {
        (Ok(x), Ok(y)) => x == y,
        _ => a == b,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// A small service using every kind of constraint, nested in lists, maps and a structure.
    const MODEL: &str = r#"{"smithy": "2.0", "shapes": {
        "t#Svc": { "type": "service", "operations": [{ "target": "t#Put" }], "traits": { "aws.protocols#awsJson1_1": {} } },
        "t#Put": { "type": "operation", "input": { "target": "t#PutRequest" }, "output": { "target": "smithy.api#Unit" } },
        "t#PutRequest": { "type": "structure", "members": {
            "name": { "target": "t#Name", "traits": { "smithy.api#required": {} } },
            "count": { "target": "t#Count" },
            "mode": { "target": "t#Mode" },
            "tags": { "target": "t#Tags" },
            "labels": { "target": "t#Labels" } } },
        "t#Name": { "type": "string", "traits": { "smithy.api#length": { "min": 2, "max": 8 }, "smithy.api#pattern": "^[a-z]+$" } },
        "t#Count": { "type": "integer", "traits": { "smithy.api#range": { "min": 1, "max": 10 } } },
        "t#Mode": { "type": "enum", "members": {
            "A": { "target": "smithy.api#Unit", "traits": { "smithy.api#enumValue": "A" } },
            "B": { "target": "smithy.api#Unit", "traits": { "smithy.api#enumValue": "B" } } } },
        "t#Tags": { "type": "list", "member": { "target": "t#Tag" }, "traits": { "smithy.api#length": { "max": 5 } } },
        "t#Tag": { "type": "structure", "members": {
            "Key": { "target": "t#Name", "traits": { "smithy.api#required": {} } },
            "Value": { "target": "smithy.api#String" } } },
        "t#Labels": { "type": "map", "key": { "target": "t#Name" }, "value": { "target": "smithy.api#String" } }
    }}"#;

    fn service() -> Service {
        crate::model::Model::from_json(MODEL, &codegen::Settings::default())
            .expect("the test model resolves")
            .service
    }

    /// Botocore's rendering of `MODEL`: bounds on the target shapes, patterns unanchored.
    fn agreeing_botocore() -> Value {
        json!({
            "operations": { "Put": { "input": { "shape": "PutRequest" } } },
            "shapes": {
                "PutRequest": { "type": "structure", "required": ["name"], "members": {
                    "name": { "shape": "Name" }, "count": { "shape": "Count" },
                    "mode": { "shape": "Mode" }, "tags": { "shape": "TagList" },
                    "labels": { "shape": "Labels" } } },
                "Name": { "type": "string", "min": 2, "max": 8, "pattern": "[a-z]+" },
                "Count": { "type": "integer", "min": 1, "max": 10 },
                "Mode": { "type": "string", "enum": ["B", "A"] },
                "TagList": { "type": "list", "member": { "shape": "Tag" }, "min": 0, "max": 5 },
                "Tag": { "type": "structure", "required": ["Key"], "members": {
                    "Key": { "shape": "Name" }, "Value": { "shape": "String" } } },
                "String": { "type": "string" },
                "Labels": { "type": "map", "key": { "shape": "Name" }, "value": { "shape": "String" } }
            }
        })
    }

    /// Member, constraint, model value, botocore value.
    type Found = (String, String, Option<String>, Option<String>);

    fn found(outcome: &Outcome) -> Vec<Found> {
        outcome
            .disagreements
            .iter()
            .map(|(d, _)| {
                (
                    d.member.clone(),
                    d.constraint.clone(),
                    d.model.clone(),
                    d.botocore.clone(),
                )
            })
            .collect()
    }

    #[test]
    fn agreeing_descriptions_have_no_disagreement() {
        let outcome = crosscheck(&service(), &agreeing_botocore(), &[]);
        assert_eq!(found(&outcome), []);
        // name, count, mode, tags, labels; the list item; Key, Value; map key and value.
        assert_eq!(outcome.members, 10);
        assert!(outcome.passed());
    }

    #[test]
    fn each_kind_of_disagreement_is_reported_where_it_is() {
        let s = |v: &str| Some(v.to_owned());
        let d = |member: &str, constraint: &str, model, botocore| -> Found {
            (member.to_owned(), constraint.to_owned(), model, botocore)
        };
        // A change to botocore's description, and the disagreement it must cause.
        let cases: [(&str, Value, Found); 11] = [
            (
                "/shapes/PutRequest/required",
                json!([]),
                d("PutRequest$name", "required", s("required"), s("optional")),
            ),
            (
                "/shapes/Tag/required",
                json!(["Key", "Value"]),
                d("Tag$Value", "required", s("optional"), s("required")),
            ),
            (
                "/shapes/Count/max",
                json!(11),
                d("PutRequest$count", "range.max", s("10"), s("11")),
            ),
            (
                "/shapes/TagList/max",
                json!(50),
                d("PutRequest$tags", "length.max", s("5"), s("50")),
            ),
            (
                "/shapes/Mode/enum",
                json!(["A"]),
                d("PutRequest$mode", "enum", s("A, B"), s("A")),
            ),
            (
                "/shapes/Labels/value",
                json!({ "shape": "Name" }),
                d("Labels$value", "length.min", None, s("2")),
            ),
            (
                "/shapes/Tag/members/Extra",
                json!({ "shape": "String" }),
                d("Tag$Extra", "member", None, s("present")),
            ),
            (
                "/shapes/PutRequest/members/count",
                Value::Null,
                d("PutRequest$count", "member", s("present"), None),
            ),
            (
                "/shapes/Name/pattern",
                json!("[a-z]*"),
                d("Labels$key", "pattern", s("^[a-z]+$"), s("[a-z]*")),
            ),
            (
                "/operations/Get",
                json!({ "input": { "shape": "PutRequest" } }),
                d("Get", "operation", None, s("present")),
            ),
            (
                "/operations/Put",
                Value::Null,
                d("Put", "operation", s("present"), None),
            ),
        ];
        for (pointer, value, expected) in cases {
            let mut changed = agreeing_botocore();
            let (parent, key) = pointer.rsplit_once('/').unwrap();
            let object = changed
                .pointer_mut(parent)
                .unwrap()
                .as_object_mut()
                .unwrap();
            if value.is_null() {
                object.remove(key);
            } else {
                object.insert(key.to_owned(), value);
            }
            let outcome = crosscheck(&service(), &changed, &[]);
            let found = found(&outcome);
            assert!(found.contains(&expected), "{pointer}: {found:?}");
            assert!(!outcome.passed(), "{pointer}");
        }
    }

    #[test]
    fn a_target_shape_pattern_disagreement_shows_at_every_member_using_it() {
        let mut changed = agreeing_botocore();
        changed["shapes"]["Name"]["pattern"] = json!("[a-z]*");
        let outcome = crosscheck(&service(), &changed, &[]);
        let members: Vec<_> = outcome
            .disagreements
            .iter()
            .map(|(d, _)| d.member.as_str())
            .collect();
        assert_eq!(members, ["Labels$key", "PutRequest$name", "Tag$Key"]);
    }

    #[test]
    fn explanations_cover_by_member_or_target_and_go_stale() {
        let mut changed = agreeing_botocore();
        changed["shapes"]["Name"]["max"] = json!(9);
        changed["shapes"]["Count"]["min"] = json!(0);
        let explanation =
            |subject: &str, constraint: &str, model: &str, botocore: &str| Explanation {
                subject: subject.to_owned(),
                constraint: constraint.to_owned(),
                model: Some(model.to_owned()),
                botocore: Some(botocore.to_owned()),
                reason: "test".to_owned(),
            };
        let explained = [
            // Covers the three members targeting Name.
            explanation("Name", "length.max", "8", "9"),
            explanation("PutRequest$count", "range.min", "1", "0"),
            // Wrong value: covers nothing, so it is stale.
            explanation("PutRequest$count", "range.max", "10", "12"),
        ];
        let outcome = crosscheck(&service(), &changed, &explained);
        assert_eq!(outcome.disagreements.len(), 4);
        assert_eq!(outcome.unexplained(), 0);
        assert_eq!(outcome.stale, [explained[2].clone()]);
        assert!(!outcome.passed());
        let outcome = crosscheck(&service(), &changed, &explained[..1]);
        assert_eq!(outcome.unexplained(), 1);
        assert!(
            outcome
                .render()
                .contains("UNEXPLAINED PutRequest$count (Count) range.min: model 1 | botocore 0")
        );
        assert!(!outcome.passed());
        let outcome = crosscheck(&service(), &changed, &explained[..2]);
        assert!(outcome.passed(), "{}", outcome.render());
    }

    #[test]
    fn explanations_need_a_reason() {
        let parsed = Explanation::parse_list(
            r#"[{"subject": "X$y", "constraint": "pattern", "model": "^a$", "botocore": null, "reason": "why"}]"#,
        )
        .unwrap();
        assert_eq!(parsed[0].botocore, None);
        assert_eq!(parsed[0].model.as_deref(), Some("^a$"));
        let error = Explanation::parse_list(
            r#"[{"subject": "X$y", "constraint": "pattern", "reason": " "}]"#,
        )
        .unwrap_err();
        assert!(error.contains("reason"), "{error}");
    }

    #[test]
    fn botocore_is_read_plain_or_gzipped() {
        use std::io::Write;
        let dir = std::env::temp_dir().join(format!("berth-crosscheck-{}", std::process::id()));
        let file = dir.join(ECR_SERVICE_FILE);
        std::fs::create_dir_all(file.parent().unwrap()).unwrap();
        let json = br#"{"shapes": {}}"#;
        std::fs::write(&file, json).unwrap();
        assert_eq!(read_botocore(&file).unwrap(), json!({"shapes": {}}));
        assert_eq!(read_botocore(&dir).unwrap(), json!({"shapes": {}}));
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(br#"{"shapes": {"A": {}}}"#).unwrap();
        std::fs::write(file.with_extension("json.gz"), gz.finish().unwrap()).unwrap();
        // The package directory prefers the gzipped file, as recent botocore ships only it.
        assert_eq!(read_botocore(&dir).unwrap(), json!({"shapes": {"A": {}}}));
        std::fs::remove_dir_all(&dir).unwrap();
        assert!(
            read_botocore(&dir)
                .unwrap_err()
                .contains("no botocore service description")
        );
    }
}
