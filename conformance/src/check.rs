//! An independent reading of the model's constraints over JSON values. For inputs it lists
//! the violations a server must report (so every generated variant is checked before it is
//! sent); for outputs it lists every way a response strays from its shape: wrong types,
//! missing required members, broken constraints, unknown enum values, nulls, members the
//! shape does not have.

use codegen::ir::{Bounds, Member, Presence, Primitive, ShapeKind};
use serde_json::Value;

use crate::model::Model;
use crate::path::{self, Step};

/// One broken constraint, as the service should report it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// Rendered as in the service's messages.
    pub path: String,
    pub reason: String,
}

/// What a check found.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Findings {
    /// Constraint violations (inputs only; for outputs they are problems).
    pub violations: Vec<Violation>,
    /// Anything that is not a value of the shape at all, as `path: text`.
    pub problems: Vec<String>,
}

impl Findings {
    pub fn is_clean(&self) -> bool {
        self.violations.is_empty() && self.problems.is_empty()
    }
}

/// The violations in `value` as an input of shape `shape_id` (`null` members are absent).
pub fn input(model: &Model, shape_id: &str, value: &Value) -> Findings {
    let mut checker = Checker::new(model, Mode::Input);
    checker.shape(shape_id, value);
    checker.findings
}

/// The violations of `member`'s own constraints and target in `value`, at the root path.
pub fn member_value(model: &Model, member: &Member, value: &Value) -> Findings {
    let mut checker = Checker::new(model, Mode::Input);
    checker.member(member, value);
    checker.findings
}

/// Every way `value` is not a conforming output of shape `shape_id` (as problems).
pub fn output(model: &Model, shape_id: &str, value: &Value) -> Vec<String> {
    let mut checker = Checker::new(model, Mode::Output);
    checker.shape(shape_id, value);
    checker.findings.problems
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Mode {
    Input,
    Output,
}

struct Checker<'a> {
    model: &'a Model,
    mode: Mode,
    steps: Vec<Step>,
    findings: Findings,
}

impl<'a> Checker<'a> {
    fn new(model: &'a Model, mode: Mode) -> Checker<'a> {
        Checker {
            model,
            mode,
            steps: Vec::new(),
            findings: Findings::default(),
        }
    }

    fn violation(&mut self, reason: &str) {
        let path = path::render(&self.steps);
        match self.mode {
            Mode::Input => self.findings.violations.push(Violation {
                path,
                reason: reason.to_owned(),
            }),
            Mode::Output => self
                .findings
                .problems
                .push(format!("{}: {reason}", path::describe(&self.steps))),
        }
    }

    fn problem(&mut self, text: impl std::fmt::Display) {
        self.findings
            .problems
            .push(format!("{}: {text}", path::describe(&self.steps)));
    }

    fn nested(&mut self, step: Step, check: impl FnOnce(&mut Self)) {
        self.steps.push(step);
        check(self);
        self.steps.pop();
    }

    /// A member's value: its own constraints, then its target's shape.
    fn member(&mut self, member: &Member, value: &Value) {
        if value.is_null() {
            self.problem("null");
            return;
        }
        let target = self.model.shape(&member.target);
        if !self.has_type(&target.kind, value) {
            return;
        }
        let constraints = &member.constraints;
        let measured = match value {
            Value::String(text) if matches!(target.kind, ShapeKind::Simple(Primitive::Blob)) => {
                let decoded = decoded_len(text);
                if decoded.is_none() {
                    self.problem("not base64");
                    return;
                }
                decoded
            }
            Value::String(text) => Some(text.chars().count()),
            Value::Array(items) => Some(items.len()),
            Value::Object(entries) => Some(entries.len()),
            _ => None,
        };
        // AWS answers empty lists where a list's @length (written for inputs) asks for at
        // least one item: ECR lists an empty repository as `{"imageIds": []}` [real]. So an
        // empty collection in an output is not held to its minimum.
        let empty_output_collection = self.mode == Mode::Output
            && measured == Some(0)
            && matches!(value, Value::Array(_) | Value::Object(_));
        if let (Some(length), Some(bounds)) = (measured, &constraints.length) {
            if !empty_output_collection {
                self.bounds(bounds, length as f64);
            }
        }
        if let (Some(number), Some(bounds)) = (value.as_f64(), &constraints.range) {
            self.bounds(bounds, number);
        }
        if let (Value::String(text), Some(pattern)) = (value, &constraints.pattern) {
            if !self.model.pattern(pattern).is_match(text) {
                self.violation(&pattern.reason);
            }
        }
        if let (Value::Array(items), Some(reason)) = (value, &constraints.unique_items) {
            if items
                .iter()
                .enumerate()
                .any(|(index, item)| items[..index].contains(item))
            {
                self.violation(reason);
            }
        }
        self.shape(&member.target, value);
    }

    fn bounds(&mut self, bounds: &Bounds, measured: f64) {
        let parse = |text: &str| text.parse::<f64>().ok();
        if let Some(min) = &bounds.min {
            if parse(&min.value).is_some_and(|min| measured < min) {
                self.violation(&min.reason);
            }
        }
        if let Some(max) = &bounds.max {
            if parse(&max.value).is_some_and(|max| measured > max) {
                self.violation(&max.reason);
            }
        }
    }

    /// A value of shape `id` (its type already checked when reached through a member).
    fn shape(&mut self, id: &str, value: &Value) {
        let shape = self.model.shape(id);
        if !self.has_type(&shape.kind, value) {
            return;
        }
        match &shape.kind {
            ShapeKind::Structure { members } => {
                let object = value.as_object().expect("type checked");
                for member in members {
                    let present = object.get(&member.name);
                    if self.mode == Mode::Output && present.is_some_and(Value::is_null) {
                        self.nested(Step::Member(member.name.clone()), |c| c.problem("null"));
                        continue;
                    }
                    match present.filter(|v| !v.is_null()) {
                        Some(value) => self.nested(Step::Member(member.name.clone()), |c| {
                            c.member(member, value)
                        }),
                        None if member.presence == Presence::Required => {
                            let reason = self.model.service.required_reason.clone();
                            self.nested(Step::Member(member.name.clone()), |c| {
                                c.violation(&reason)
                            });
                        }
                        None => {}
                    }
                }
                if self.mode == Mode::Output {
                    for name in object.keys() {
                        if !members.iter().any(|m| &m.name == name) {
                            self.problem(format!("member `{name}` is not in {id}"));
                        }
                    }
                }
            }
            ShapeKind::Union { members } => {
                let object = value.as_object().expect("type checked");
                let set: Vec<_> = object.iter().filter(|(_, v)| !v.is_null()).collect();
                let [(name, value)] = set.as_slice() else {
                    self.problem(format!(
                        "a union needs exactly one member, has {}",
                        set.len()
                    ));
                    return;
                };
                match members.iter().find(|m| &&m.name == name) {
                    Some(member) => self.nested(Step::Member(member.name.clone()), |c| {
                        c.member(member, value)
                    }),
                    None => self.problem(format!("member `{name}` is not in {id}")),
                }
            }
            ShapeKind::List { item } => {
                for (index, value) in value.as_array().expect("type checked").iter().enumerate() {
                    self.nested(Step::item(item, index), |c| c.member(item, value));
                }
            }
            ShapeKind::Map { key, value: entry } => {
                for (name, value) in value.as_object().expect("type checked") {
                    self.nested(Step::Key(name.clone()), |c| {
                        c.member(key, &Value::String(name.clone()))
                    });
                    self.nested(Step::Value(name.clone()), |c| c.member(entry, value));
                }
            }
            ShapeKind::Enum { variants, reason } => {
                let text = value.as_str().expect("type checked");
                if !variants.iter().any(|v| v.value == text) {
                    self.violation(reason);
                }
            }
            ShapeKind::IntEnum { variants, reason } => {
                let number = value.as_i64().expect("type checked");
                if !variants.iter().any(|v| i64::from(v.value) == number) {
                    self.violation(reason);
                }
            }
            ShapeKind::Simple(_) => {}
        }
    }

    /// Whether `value` has the JSON type of the shape; records a problem when not.
    fn has_type(&mut self, kind: &ShapeKind, value: &Value) -> bool {
        let (ok, expected) = match kind {
            ShapeKind::Structure { .. } | ShapeKind::Union { .. } | ShapeKind::Map { .. } => {
                (value.is_object(), "an object")
            }
            ShapeKind::List { .. } => (value.is_array(), "an array"),
            ShapeKind::Enum { .. } => (value.is_string(), "a string"),
            ShapeKind::IntEnum { .. } => (
                integer_in(value, i32::MIN.into(), i32::MAX.into()),
                "an integer",
            ),
            ShapeKind::Simple(primitive) => match primitive {
                Primitive::String => (value.is_string(), "a string"),
                Primitive::Boolean => (value.is_boolean(), "a boolean"),
                Primitive::Byte => (integer_in(value, i8::MIN.into(), i8::MAX.into()), "a byte"),
                Primitive::Short => (
                    integer_in(value, i16::MIN.into(), i16::MAX.into()),
                    "a short",
                ),
                Primitive::Integer => (
                    integer_in(value, i32::MIN.into(), i32::MAX.into()),
                    "an integer",
                ),
                Primitive::Long => (value.is_i64(), "a long"),
                Primitive::Float | Primitive::Double => (value.is_number(), "a number"),
                // awsJson timestamps are epoch seconds.
                Primitive::Timestamp => (value.is_number(), "a timestamp (epoch seconds)"),
                // Its base64 is checked where its length is measured.
                Primitive::Blob => (value.is_string(), "a base64 string"),
                Primitive::Document => (true, "any JSON"),
            },
        };
        if !ok {
            self.problem(format!("expected {expected}, got {value}"));
        }
        ok
    }
}

fn integer_in(value: &Value, min: i64, max: i64) -> bool {
    value.as_i64().is_some_and(|n| (min..=max).contains(&n))
}

/// The number of bytes standard base64 `text` decodes to; `None` when it is not base64.
fn decoded_len(text: &str) -> Option<usize> {
    let bytes = text.as_bytes();
    if bytes.len() % 4 != 0 {
        return None;
    }
    let padding = bytes.iter().rev().take_while(|&&b| b == b'=').count();
    let body = &bytes[..bytes.len() - padding];
    // Blobs reach megabytes: a plain loop over a table stays quick even unoptimised.
    let mut valid = true;
    for &b in body {
        valid &= BASE64_ALPHABET[b as usize];
    }
    (padding <= 2 && valid).then(|| bytes.len() / 4 * 3 - padding)
}

/// Which bytes standard base64 uses (besides `=` padding).
const BASE64_ALPHABET: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        table[b] = c.is_ascii_alphanumeric() || c == b'+' || c == b'/';
        b += 1;
    }
    table
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_lengths() {
        assert_eq!(decoded_len(""), Some(0));
        assert_eq!(decoded_len("YQ=="), Some(1));
        assert_eq!(decoded_len("YWI="), Some(2));
        assert_eq!(decoded_len("YWJj"), Some(3));
        assert_eq!(decoded_len("YWJ"), None);
        assert_eq!(decoded_len("Y!=="), None);
    }
}
