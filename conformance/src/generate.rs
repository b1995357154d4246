//! Inputs for one operation, all derived from the model: a minimal and a full valid input,
//! valid values at every boundary and for every enum value, and one invalid input per
//! constraint (every required member missing, every length and range bound ±1, every enum
//! and every pattern broken), nested members included.
//!
//! Variants that probe one member start from the minimal input and add only that member's
//! ancestors, so the probed value is the one thing that differs. Every input is checked
//! with [`crate::check`] before it is used: a positive must break nothing, a negative must
//! break only constraints at its member (more than one only where the model leaves no
//! choice, e.g. a pattern that itself bounds the length).

use std::collections::BTreeSet;

use codegen::ir::{Bound, Constraints, Member, Operation, Presence, Primitive, ShapeKind};
use serde_json::{Map, Value, json};

use crate::check::{self, Violation};
use crate::fixture::Fixture;
use crate::model::Model;
use crate::path::{self, Step};

/// Text for strings the model leaves free.
const DEFAULT_TEXT: &str = "conformance";
/// Integer for numbers the model leaves free (and inside every range that allows it).
const DEFAULT_NUMBER: i64 = 1;
/// A timestamp: 2023-11-14T22:13:20Z, in epoch seconds as awsJson sends them.
const DEFAULT_TIMESTAMP: i64 = 1_700_000_000;
/// A value no enum of the model uses.
const NOT_AN_ENUM_VALUE: &str = "NOT_A_MODEL_VALUE";
/// Bytes of a default blob.
const DEFAULT_BLOB: &[u8] = b"berth";

/// What a variant's answer must be.
#[derive(Debug, Clone, PartialEq)]
pub enum Expect {
    /// 200 with an output that conforms to the output shape.
    Success,
    /// 200, or an error the operation declares that does not claim a model constraint is
    /// broken (the input keeps them all): a semantic error, right for the state.
    SuccessOrSemanticError,
    /// 400 with an error the operation declares, naming one of these violations.
    Rejected(Vec<Violation>),
}

/// One input to send.
#[derive(Debug, Clone)]
pub struct Variant {
    pub label: String,
    pub input: Value,
    pub expect: Expect,
    /// Whether the fixture prepares the state the input refers to before the call.
    pub prepared: bool,
}

/// Every variant of an operation, and what could not be generated (and why).
#[derive(Debug, Default)]
pub struct Plan {
    pub variants: Vec<Variant>,
    /// Values the model makes impossible (e.g. a pattern no string of a bound's length
    /// matches): reported, not sent.
    pub impossible: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Mode {
    /// Required members only, collections at their minimum size.
    Minimal,
    /// Every member (except on a recursive path), collections with an item.
    Full,
}

/// What a focused input does at its focus.
#[derive(Debug, Clone)]
enum Leaf {
    Set(Value),
    Remove,
}

/// A member somewhere in the input, as the focused variants reach it.
#[derive(Debug, Clone)]
struct Slot<'m> {
    steps: Vec<Step>,
    member: &'m Member,
    /// An item, key or value of a collection, which cannot be missing.
    in_collection: bool,
}

/// Builds inputs from the model, with the fixture's values where the model cannot say
/// what is valid (ids of existing things, documents).
pub struct Generator<'a> {
    model: &'a Model,
    fixture: &'a dyn Fixture,
}

impl<'a> Generator<'a> {
    pub fn new(model: &'a Model, fixture: &'a dyn Fixture) -> Generator<'a> {
        Generator { model, fixture }
    }

    /// Every variant of `operation`.
    pub fn plan(&self, operation: &Operation) -> Result<Plan, String> {
        let mut plan = Plan::default();
        let Some(root) = operation.input.as_deref() else {
            plan.variants.push(Variant {
                label: "no input".to_owned(),
                input: json!({}),
                expect: Expect::Success,
                prepared: true,
            });
            return Ok(plan);
        };
        let minimal = self.input(root, Mode::Minimal, None);
        plan.variants.push(Variant {
            label: "minimal".to_owned(),
            input: minimal.clone(),
            expect: Expect::Success,
            prepared: true,
        });
        if !self
            .fixture
            .setup(self.model, operation, &minimal)
            .is_empty()
        {
            plan.variants.push(Variant {
                label: "minimal, nothing prepared".to_owned(),
                input: minimal,
                expect: Expect::SuccessOrSemanticError,
                prepared: false,
            });
        }
        plan.variants.push(Variant {
            label: "full".to_owned(),
            input: self.input(root, Mode::Full, None),
            expect: Expect::SuccessOrSemanticError,
            prepared: true,
        });
        for slot in self.slots(root) {
            self.slot_variants(root, &slot, &mut plan);
        }
        for variant in &mut plan.variants {
            if !matches!(variant.expect, Expect::Rejected(_)) {
                self.fixture.complete(&operation.name, &mut variant.input);
            }
            self.verify(root, variant)?;
        }
        Ok(plan)
    }

    /// Checks a variant against the model and fills in the violations a negative expects.
    fn verify(&self, root: &str, variant: &mut Variant) -> Result<(), String> {
        let findings = check::input(self.model, root, &variant.input);
        let fail = |what: &str| {
            Err(format!(
                "generator bug: variant `{}` {what}: {findings:?}\ninput: {}",
                variant.label, variant.input
            ))
        };
        if !findings.problems.is_empty() {
            return fail("is not even of the input's types");
        }
        match &mut variant.expect {
            Expect::Success | Expect::SuccessOrSemanticError => {
                if !findings.violations.is_empty() {
                    return fail("should be valid but breaks constraints");
                }
            }
            Expect::Rejected(intended) => {
                let [first, ..] = intended.as_slice() else {
                    return fail("names no violation");
                };
                let at_member = findings.violations.iter().all(|v| v.path == first.path);
                if !findings.violations.contains(first) || !at_member {
                    return fail(&format!("should break exactly {first:?}"));
                }
                *intended = findings.violations;
            }
        }
        Ok(())
    }

    /// The variants probing one member.
    fn slot_variants(&self, root: &str, slot: &Slot<'_>, plan: &mut Plan) {
        let member = slot.member;
        let at = path::describe(&slot.steps);
        let rendered = path::render(&slot.steps);
        let positive = |label: String, value: Value| Variant {
            input: self.input(root, Mode::Minimal, Some((&slot.steps, &Leaf::Set(value)))),
            label,
            expect: Expect::SuccessOrSemanticError,
            prepared: true,
        };
        let negative = |label: String, value: Option<Value>, reason: &str| Variant {
            input: self.input(
                root,
                Mode::Minimal,
                Some((&slot.steps, &value.map_or(Leaf::Remove, Leaf::Set))),
            ),
            label,
            expect: Expect::Rejected(vec![Violation {
                path: rendered.clone(),
                reason: reason.to_owned(),
            }]),
            prepared: true,
        };

        if member.presence == Presence::Required && !slot.in_collection {
            let reason = &self.model.service.required_reason;
            plan.variants
                .push(negative(format!("{at}: missing"), None, reason));
            // `null` means absent in awsJson.
            plan.variants
                .push(negative(format!("{at}: null"), Some(Value::Null), reason));
        }
        let constraints = &member.constraints;
        if let Some(length) = &constraints.length {
            for (bound, is_min) in [(&length.min, true), (&length.max, false)] {
                let Some(bound) = bound else { continue };
                let Ok(limit) = bound.value.parse::<usize>() else {
                    continue;
                };
                let name = if is_min { "min" } else { "max" };
                match self.sized(member, limit) {
                    Some(value) => plan
                        .variants
                        .push(positive(format!("{at}: length {limit} ({name})"), value)),
                    None => plan
                        .impossible
                        .push(format!("{at}: no valid value of length {limit}")),
                }
                let outside = if is_min {
                    limit.checked_sub(1)
                } else {
                    Some(limit + 1)
                };
                let Some(outside) = outside else { continue };
                match self.sized_breaking(member, outside) {
                    Some(value) => plan.variants.push(negative(
                        format!(
                            "{at}: length {outside} ({name}{})",
                            if is_min { "-1" } else { "+1" }
                        ),
                        Some(value),
                        &bound.reason,
                    )),
                    None => plan
                        .impossible
                        .push(format!("{at}: no value of length {outside}")),
                }
            }
        }
        let target = self.model.shape(&member.target);
        if let (Some(range), ShapeKind::Simple(primitive)) = (&constraints.range, &target.kind) {
            for (bound, is_min) in [(&range.min, true), (&range.max, false)] {
                let Some(bound) = bound else { continue };
                let name = if is_min { "min" } else { "max" };
                if let Some(value) = number_at(bound, *primitive, 0) {
                    plan.variants
                        .push(positive(format!("{at}: {value} ({name})"), value));
                }
                match number_at(bound, *primitive, if is_min { -1 } else { 1 }) {
                    Some(value) => plan.variants.push(negative(
                        format!("{at}: {value} ({name}{})", if is_min { "-1" } else { "+1" }),
                        Some(value),
                        &bound.reason,
                    )),
                    None => plan.impossible.push(format!(
                        "{at}: {name} {} is the type's own limit",
                        bound.value
                    )),
                }
            }
        }
        match &target.kind {
            ShapeKind::Enum { variants, reason } => {
                for variant in variants {
                    plan.variants.push(positive(
                        format!("{at} = {}", variant.value),
                        json!(variant.value),
                    ));
                }
                let invalid = not_an_enum_value(variants.iter().map(|v| v.value.as_str()));
                plan.variants.push(negative(
                    format!("{at}: not an enum value"),
                    Some(json!(invalid)),
                    reason,
                ));
            }
            ShapeKind::IntEnum { variants, reason } => {
                for variant in variants {
                    plan.variants.push(positive(
                        format!("{at} = {}", variant.value),
                        json!(variant.value),
                    ));
                }
                let values: BTreeSet<i32> = variants.iter().map(|v| v.value).collect();
                if let Some(invalid) = (0..=i32::MAX).find(|n| !values.contains(n)) {
                    plan.variants.push(negative(
                        format!("{at}: not an enum value"),
                        Some(json!(invalid)),
                        reason,
                    ));
                }
            }
            _ => {}
        }
        if let (Some(reason), ShapeKind::List { item }) = (&constraints.unique_items, &target.kind)
        {
            let (min, max) = length_bounds(constraints);
            let count = min.max(2);
            if count <= max {
                let stack = &mut vec![member.target.clone()];
                let first = self.item(item, 0, Mode::Minimal, stack);
                plan.variants.push(negative(
                    format!("{at}: an item repeated"),
                    Some(Value::Array(vec![first; count])),
                    reason,
                ));
            } else {
                plan.impossible
                    .push(format!("{at}: at most {max} items, so none can repeat"));
            }
        }
        if let Some(pattern) = &constraints.pattern {
            let length = self
                .scalar(member)
                .as_str()
                .map_or(1, |text| text.chars().count());
            match self.model.pattern(pattern).non_matching(length) {
                Some(text) => plan.variants.push(negative(
                    format!("{at}: not matching {}", pattern.source),
                    Some(json!(text)),
                    &pattern.reason,
                )),
                None => plan.impossible.push(format!(
                    "{at}: no string of length {length} breaks the pattern"
                )),
            }
        }
    }

    /// Every member reachable in the input, each once per place (recursion stops at a shape
    /// already on the path).
    fn slots(&self, root: &str) -> Vec<Slot<'a>> {
        let mut slots = Vec::new();
        self.collect_slots(
            root,
            &mut Vec::new(),
            &mut vec![root.to_owned()],
            &mut slots,
        );
        slots
    }

    fn collect_slots(
        &self,
        shape_id: &str,
        steps: &mut Vec<Step>,
        stack: &mut Vec<String>,
        slots: &mut Vec<Slot<'a>>,
    ) {
        let model: &'a Model = self.model;
        let shape = model.shape(shape_id);
        let children: Vec<(Step, &'a Member, bool)> = match &shape.kind {
            ShapeKind::Structure { members } | ShapeKind::Union { members } => members
                .iter()
                .map(|m| (Step::Member(m.name.clone()), m, false))
                .collect(),
            ShapeKind::List { item } => vec![(Step::item(item, 0), item.as_ref(), true)],
            ShapeKind::Map { key, value } => {
                let key_text = self.map_key(key, 0);
                vec![
                    (Step::Key(key_text.clone()), key.as_ref(), true),
                    (Step::Value(key_text), value.as_ref(), true),
                ]
            }
            _ => Vec::new(),
        };
        for (step, member, in_collection) in children {
            steps.push(step);
            slots.push(Slot {
                steps: steps.clone(),
                member,
                in_collection,
            });
            if !stack.contains(&member.target) {
                stack.push(member.target.clone());
                self.collect_slots(&member.target, steps, stack, slots);
                stack.pop();
            }
            steps.pop();
        }
    }

    /// An input of shape `root`, with `focus` applied.
    fn input(&self, root: &str, mode: Mode, focus: Option<(&[Step], &Leaf)>) -> Value {
        self.shape_value(
            root,
            &Constraints::default(),
            mode,
            focus,
            &mut vec![root.to_owned()],
        )
    }

    fn member_value(
        &self,
        member: &Member,
        mode: Mode,
        focus: Option<(&[Step], &Leaf)>,
        stack: &mut Vec<String>,
    ) -> Value {
        stack.push(member.target.clone());
        let value = self.shape_value(&member.target, &member.constraints, mode, focus, stack);
        stack.pop();
        if value.is_null() {
            self.scalar(member)
        } else {
            value
        }
    }

    /// The value of an aggregate shape; `null` for a scalar (the caller picks it).
    fn shape_value(
        &self,
        shape_id: &str,
        constraints: &Constraints,
        mode: Mode,
        focus: Option<(&[Step], &Leaf)>,
        stack: &mut Vec<String>,
    ) -> Value {
        let shape = self.model.shape(shape_id);
        match &shape.kind {
            ShapeKind::Structure { members } => {
                let mut object = Map::new();
                for member in members {
                    let step = Step::Member(member.name.clone());
                    if let Some(value) = self.focused_child(member, &step, focus, stack) {
                        if let Some(value) = value {
                            object.insert(member.name.clone(), value);
                        }
                        continue;
                    }
                    let recursive = stack.contains(&member.target);
                    let wanted =
                        member.presence == Presence::Required || (mode == Mode::Full && !recursive);
                    if wanted {
                        let value = self.member_value(member, mode, None, stack);
                        object.insert(member.name.clone(), value);
                    }
                }
                Value::Object(object)
            }
            ShapeKind::Union { members } => {
                let focused = focus.and_then(|(steps, _)| {
                    members
                        .iter()
                        .find(|m| steps.first() == Some(&Step::Member(m.name.clone())))
                });
                let Some(member) = focused.or_else(|| members.first()) else {
                    return json!({});
                };
                let step = Step::Member(member.name.clone());
                let value = self
                    .focused_child(member, &step, focus, stack)
                    .unwrap_or_else(|| Some(self.member_value(member, mode, None, stack)));
                let mut object = Map::new();
                object.extend(value.map(|v| (member.name.clone(), v)));
                Value::Object(object)
            }
            ShapeKind::List { item } => {
                let count = self.collection_size(constraints, mode, focus.is_some());
                let items = (0..count)
                    .map(|index| {
                        self.focused_child(item, &Step::item(item, index), focus, stack)
                            .flatten()
                            .unwrap_or_else(|| self.item(item, index, mode, stack))
                    })
                    .collect();
                Value::Array(items)
            }
            ShapeKind::Map { key, value } => {
                let count = self.collection_size(constraints, mode, focus.is_some());
                let mut object = Map::new();
                for index in 0..count {
                    let mut name = self.map_key(key, index);
                    if let Some(Some(Value::String(text))) =
                        self.focused_child(key, &Step::Key(name.clone()), focus, stack)
                    {
                        name = text;
                    }
                    let entry = self
                        .focused_child(value, &Step::Value(self.map_key(key, index)), focus, stack)
                        .flatten()
                        .unwrap_or_else(|| self.member_value(value, mode, None, stack));
                    object.insert(name, entry);
                }
                Value::Object(object)
            }
            _ => Value::Null,
        }
    }

    /// `Some(value or None for removed)` when `focus` leads through `step`.
    fn focused_child(
        &self,
        member: &Member,
        step: &Step,
        focus: Option<(&[Step], &Leaf)>,
        stack: &mut Vec<String>,
    ) -> Option<Option<Value>> {
        let (steps, leaf) = focus?;
        let (first, rest) = steps.split_first()?;
        if first != step {
            return None;
        }
        Some(if rest.is_empty() {
            match leaf {
                Leaf::Set(value) => Some(value.clone()),
                Leaf::Remove => None,
            }
        } else {
            // Ancestors of the focus are minimal: nothing but the path to it differs.
            Some(self.member_value(member, Mode::Minimal, Some((rest, leaf)), stack))
        })
    }

    /// Items or entries of a collection: its minimum (at least one on a focused path),
    /// or for a full input one, within its bounds.
    fn collection_size(&self, constraints: &Constraints, mode: Mode, focused: bool) -> usize {
        let (min, max) = length_bounds(constraints);
        let wanted = if focused || mode == Mode::Full { 1 } else { 0 };
        wanted.max(min).min(max)
    }

    /// Item `index` of a list: distinct from the others where the item is a string.
    fn item(&self, item: &Member, index: usize, mode: Mode, stack: &mut Vec<String>) -> Value {
        let value = self.member_value(item, mode, None, stack);
        if index == 0 {
            return value;
        }
        match &value {
            Value::String(text) => self
                .distinct(item, text, index)
                .map_or(value, Value::String),
            _ => value,
        }
    }

    /// Key `index` of a map, distinct from the others when the key's constraints allow.
    fn map_key(&self, key: &Member, index: usize) -> String {
        let base = match self.scalar(key) {
            Value::String(text) => text,
            _ => DEFAULT_TEXT.to_owned(),
        };
        if index == 0 {
            return base;
        }
        self.distinct(key, &base, index).unwrap_or(base)
    }

    /// A valid string for `member` that differs from `base` by `index`.
    fn distinct(&self, member: &Member, base: &str, index: usize) -> Option<String> {
        let digits = index.to_string();
        let keep = base.chars().count().saturating_sub(digits.len());
        let candidates = [
            format!("{base}{digits}"),
            format!("{digits}{base}"),
            format!("{}{digits}", base.chars().take(keep).collect::<String>()),
        ];
        candidates
            .into_iter()
            .find(|text| check::member_value(self.model, member, &json!(text)).is_clean())
    }

    /// A valid value for a member of a collection or scalar shape, sized `length`
    /// (characters, items, entries or bytes).
    fn sized(&self, member: &Member, length: usize) -> Option<Value> {
        if let Some(value) = self.fixture.sized(&member.target, length) {
            if check::member_value(self.model, member, &value).is_clean() {
                return Some(value);
            }
        }
        let target = self.model.shape(&member.target);
        let value = match &target.kind {
            ShapeKind::Simple(Primitive::String) => json!(self.text(member, Some(length))?),
            ShapeKind::Simple(Primitive::Blob) => json!(base64_of_repeated(b'a', length)),
            ShapeKind::List { item } => {
                let mut stack = vec![member.target.clone()];
                Value::Array(
                    (0..length)
                        .map(|index| self.item(item, index, Mode::Minimal, &mut stack))
                        .collect(),
                )
            }
            ShapeKind::Map { key, value } => {
                let mut stack = vec![member.target.clone()];
                let mut object = Map::new();
                for index in 0..length {
                    let entry = self.member_value(value, Mode::Minimal, None, &mut stack);
                    object.insert(self.map_key(key, index), entry);
                }
                if object.len() != length {
                    return None;
                }
                Value::Object(object)
            }
            _ => return None,
        };
        check::member_value(self.model, member, &value)
            .is_clean()
            .then_some(value)
    }

    /// A value of `length` that breaks the length bound, and nothing else when it can.
    fn sized_breaking(&self, member: &Member, length: usize) -> Option<Value> {
        let target = self.model.shape(&member.target);
        match (&target.kind, &member.constraints.pattern) {
            (ShapeKind::Simple(Primitive::String), Some(pattern)) => {
                let strings = self.model.pattern(pattern);
                strings
                    .matching(length)
                    .or_else(|| strings.non_matching(length))
                    .map(Value::String)
            }
            (ShapeKind::Simple(Primitive::String), None) => Some(json!("a".repeat(length))),
            _ => {
                let mut relaxed = member.clone();
                relaxed.constraints.length = None;
                self.sized(&relaxed, length)
            }
        }
    }

    /// A string for `member`, of `length` characters when given; `None` when the pattern
    /// matches no string of that length.
    fn text(&self, member: &Member, length: Option<usize>) -> Option<String> {
        let (min, max) = length_bounds(&member.constraints);
        match (&member.constraints.pattern, length) {
            (Some(pattern), Some(length)) => self.model.pattern(pattern).matching(length),
            (Some(pattern), None) => self
                .model
                .pattern(pattern)
                .shortest_matching(min, max.min(min + 1024)),
            (None, Some(length)) => Some("a".repeat(length)),
            (None, None) => {
                let free = DEFAULT_TEXT.chars().count();
                Some(if (min..=max).contains(&free) {
                    DEFAULT_TEXT.to_owned()
                } else {
                    "a".repeat(free.clamp(min, max))
                })
            }
        }
    }

    /// The default valid value of a scalar member: the fixture's when it has a valid one,
    /// else one built from the constraints.
    fn scalar(&self, member: &Member) -> Value {
        if let Some(value) = self.fixture.preferred(&member.target) {
            if check::member_value(self.model, member, &value).is_clean() {
                return value;
            }
        }
        let target = self.model.shape(&member.target);
        let (min, max) = range_bounds(&member.constraints);
        let number = (DEFAULT_NUMBER as f64).clamp(min, max);
        match &target.kind {
            ShapeKind::Enum { variants, .. } => {
                json!(variants.first().map_or("", |v| v.value.as_str()))
            }
            ShapeKind::IntEnum { variants, .. } => json!(variants.first().map_or(0, |v| v.value)),
            ShapeKind::Simple(primitive) => match primitive {
                Primitive::String => json!(self.text(member, None).unwrap_or_default()),
                Primitive::Boolean => json!(true),
                Primitive::Float | Primitive::Double => json!(number),
                p if p.is_number() => json!(number.ceil() as i64),
                Primitive::Timestamp => json!(DEFAULT_TIMESTAMP),
                Primitive::Blob => {
                    let (min, max) = length_bounds(&member.constraints);
                    let length = DEFAULT_BLOB.len().clamp(min, max);
                    json!(base64(
                        &DEFAULT_BLOB.repeat(length / DEFAULT_BLOB.len() + 1)[..length]
                    ))
                }
                _ => json!({}),
            },
            _ => Value::Null,
        }
    }
}

/// `(min, max)` of a length constraint, open ends as `0` and `usize::MAX`.
fn length_bounds(constraints: &Constraints) -> (usize, usize) {
    let bound = |b: &Option<Bound>| b.as_ref().and_then(|b| b.value.parse::<usize>().ok());
    let length = constraints.length.as_ref();
    (
        length.and_then(|l| bound(&l.min)).unwrap_or(0),
        length.and_then(|l| bound(&l.max)).unwrap_or(usize::MAX),
    )
}

/// `(min, max)` of a range constraint, open ends infinite.
fn range_bounds(constraints: &Constraints) -> (f64, f64) {
    let bound = |b: &Option<Bound>| b.as_ref().and_then(|b| b.value.parse::<f64>().ok());
    let range = constraints.range.as_ref();
    (
        range
            .and_then(|r| bound(&r.min))
            .unwrap_or(f64::NEG_INFINITY),
        range.and_then(|r| bound(&r.max)).unwrap_or(f64::INFINITY),
    )
}

/// The number `offset` away from a range bound, if the primitive can hold it.
fn number_at(bound: &Bound, primitive: Primitive, offset: i64) -> Option<Value> {
    if primitive.is_float() {
        let value = bound.value.parse::<f64>().ok()? + offset as f64;
        return Some(json!(value));
    }
    let value = bound.value.parse::<i64>().ok()?.checked_add(offset)?;
    let (min, max): (i64, i64) = match primitive {
        Primitive::Byte => (i8::MIN.into(), i8::MAX.into()),
        Primitive::Short => (i16::MIN.into(), i16::MAX.into()),
        Primitive::Integer => (i32::MIN.into(), i32::MAX.into()),
        _ => (i64::MIN, i64::MAX),
    };
    (min..=max).contains(&value).then(|| json!(value))
}

fn not_an_enum_value<'v>(values: impl Iterator<Item = &'v str>) -> String {
    let values: BTreeSet<&str> = values.collect();
    (0..)
        .map(|n| {
            format!(
                "{NOT_AN_ENUM_VALUE}{}",
                if n == 0 { String::new() } else { n.to_string() }
            )
        })
        .find(|candidate| !values.contains(candidate.as_str()))
        .expect("a finite set misses some candidate")
}

/// `base64(&[byte; count])` without building the bytes: blob bounds reach megabytes.
fn base64_of_repeated(byte: u8, count: usize) -> String {
    let mut out = base64(&[byte; 3]).repeat(count / 3);
    out.push_str(&base64(&vec![byte; count % 3]));
    out
}

/// Standard base64, padded (the blob encoding of awsJson).
pub fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = u32::from(b[0]) << 16 | u32::from(b[1]) << 8 | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_the_standard_alphabet_and_padding() {
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"b"), "Yg==");
        assert_eq!(base64(b"be"), "YmU=");
        assert_eq!(base64(b"berth"), "YmVydGg=");
        assert_eq!(base64(&[0xfb, 0xff]), "+/8=");
        for count in 0..10 {
            assert_eq!(base64_of_repeated(b'a', count), base64(&vec![b'a'; count]));
        }
    }
}
