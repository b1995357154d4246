//! Model-driven properties of the generated validators, for every operation of the model:
//!
//! 1. an input generated to satisfy every constraint passes validation;
//! 2. breaking exactly one constraint of one member of such an input is reported as that
//!    constraint, at exactly that member's path.
//!
//! Nothing here lists members or constraints by hand: the strategies are built from the
//! generator's own IR (`codegen::model::parse` + `codegen::resolve::resolve`) of the same
//! model the crate is generated from. Inputs go through the generated router against a
//! service that implements nothing, so a valid input answers `NotImplementedException`.

use std::sync::LazyLock;

use berth_runtime::protocol::Request;
use berth_runtime::{Blob, RequestContext};
use codegen::ir::{Bounds, Constraints, Member, Presence, Primitive, Service, ShapeKind};
use ecr_generated::operations::{EcrService, SERVICE};
use proptest::prelude::*;
use proptest::sample::Index;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use regex_syntax::hir::{Hir, HirKind};
use serde_json::{Map, Value};

/// Cases run per operation and property: enough to visit most members of most inputs.
const CASES_PER_OPERATION: u32 = 48;
/// Lists and strings are generated at most this much longer than their minimum, to keep
/// cases small (bounds themselves are still tested: breaking them is property 2).
const EXTRA_LENGTH: u64 = 12;
/// Longest string or list Berth builds to break a maximum length.
const MAX_BUILT_LENGTH: u64 = 100_000;
/// Unbounded repetitions in patterns are generated at most this many times over their
/// minimum.
const MAX_EXTRA_REPEATS: u32 = 3;
/// Structures nested deeper than this get only their required members.
const MAX_DEPTH: usize = 6;

/// The IR of the model this crate was generated from, found through the same config as the
/// build (`aws-models/ecr.pin`: `BERTH_ECR_MODEL`, else `aws-models/ecr.json`).
static IR: LazyLock<Service> = LazyLock::new(|| {
    let pin = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../aws-models/ecr.pin");
    let config = codegen::config::Config::load(&pin).unwrap_or_else(|e| panic!("{e}"));
    let model = config.locate(None).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        model.sha256,
        ecr_generated::MODEL_SHA256,
        "{} is not the model this crate was built from: rebuild",
        model.path.display()
    );
    config.resolve(&model).unwrap_or_else(|e| panic!("{e}"))
});

/// A service without any handler: only the generated parsing and validation run.
static IMPLEMENTS_NOTHING: LazyLock<EcrService<()>> =
    LazyLock::new(|| EcrService::builder(()).build_partial());

/// How one value is made invalid, and the reason the validator must give.
#[derive(Debug, Clone)]
struct Break {
    change: Change,
    reason: String,
}

#[derive(Debug, Clone)]
enum Change {
    /// Leave the member out.
    Remove,
    /// Put this value in its place.
    Set(Value),
}

/// Where a value sits: how to reach it in the JSON, and its path in violation messages.
#[derive(Debug, Clone, Default)]
struct Place {
    pointer: Vec<Step>,
    /// Rendered segments: member names, `N.member` for list items, map keys.
    path: Vec<String>,
    /// Set for a list item reported as a member of the list's container (the IR's
    /// `reported_as`): the name that takes the place of the list's own segment.
    reported_as: Option<String>,
}

#[derive(Debug, Clone)]
enum Step {
    Key(String),
    Index(usize),
}

impl Place {
    fn under(mut self, step: Step, segment: String) -> Place {
        self.pointer.insert(0, step);
        let segment = self.reported_as.take().unwrap_or(segment);
        self.path.insert(0, segment);
        self
    }

    /// Under list item `index`, which has no segment of its own: it is reported as
    /// `name` in place of the list.
    fn under_item_reported_as(mut self, index: usize, name: &str) -> Place {
        self.pointer.insert(0, Step::Index(index));
        self.reported_as = Some(name.to_owned());
        self
    }
}

/// A valid value and every single way to break it.
#[derive(Debug, Clone)]
struct Generated {
    value: Value,
    breaks: Vec<(Place, Break)>,
}

impl Generated {
    fn plain(value: Value) -> Generated {
        Generated {
            value,
            breaks: Vec::new(),
        }
    }

    /// This value's own breaks, at its own place.
    fn with_breaks(value: Value, breaks: Vec<Break>) -> Generated {
        Generated {
            value,
            breaks: breaks.into_iter().map(|b| (Place::default(), b)).collect(),
        }
    }

    /// Every break moved under `step`.
    fn nested(self, step: &Step, segment: &str) -> Vec<(Place, Break)> {
        self.breaks
            .into_iter()
            .map(|(place, b)| (place.under(step.clone(), segment.to_owned()), b))
            .collect()
    }
}

// ---- strategies from the IR ------------------------------------------------------------

fn shape_kind(target: &str) -> &'static ShapeKind {
    &IR.shapes
        .get(target)
        .unwrap_or_else(|| panic!("{target} is not in the IR"))
        .kind
}

/// Valid values of the input structure `id`.
fn input(id: &str) -> BoxedStrategy<Generated> {
    match shape_kind(id) {
        ShapeKind::Structure { members } => structure(members, 0),
        other => panic!("input {id} is not a structure: {other:?}"),
    }
}

/// Valid values of `member` (its target, under its effective constraints).
fn value(member: &Member, depth: usize) -> BoxedStrategy<Generated> {
    let constraints = &member.constraints;
    match shape_kind(&member.target) {
        ShapeKind::Structure { members } => structure(members, depth + 1),
        ShapeKind::Union { members } => union(members, depth + 1),
        ShapeKind::List { item } => list(item, constraints, depth + 1),
        ShapeKind::Map { key, value } => map(key, value, depth + 1),
        ShapeKind::Enum { variants, reason } => {
            let values: Vec<String> = variants.iter().map(|v| v.value.clone()).collect();
            let reason = reason.clone();
            proptest::sample::select(values)
                .prop_map(move |v| {
                    Generated::with_breaks(
                        Value::from(v),
                        vec![Break {
                            change: Change::Set(Value::from("NOT_A_VALUE_OF_THE_ENUM")),
                            reason: reason.clone(),
                        }],
                    )
                })
                .boxed()
        }
        ShapeKind::IntEnum { variants, reason } => {
            let values: Vec<i32> = variants.iter().map(|v| v.value).collect();
            let outside = values.iter().max().map_or(0, |max| max.saturating_add(1));
            let reason = reason.clone();
            proptest::sample::select(values)
                .prop_map(move |v| {
                    Generated::with_breaks(
                        Value::from(v),
                        vec![Break {
                            change: Change::Set(Value::from(outside)),
                            reason: reason.clone(),
                        }],
                    )
                })
                .boxed()
        }
        ShapeKind::Simple(primitive) => simple(*primitive, constraints),
    }
}

fn structure(members: &[Member], depth: usize) -> BoxedStrategy<Generated> {
    let parts: Vec<BoxedStrategy<Option<(String, bool, Generated)>>> = members
        .iter()
        .map(|member| {
            let name = member.name.clone();
            let required = member.presence == Presence::Required;
            let present = value(member, depth).prop_map(move |g| Some((name.clone(), required, g)));
            if required {
                present.boxed()
            } else if depth > MAX_DEPTH {
                Just(None).boxed()
            } else {
                prop_oneof![Just(None), present].boxed()
            }
        })
        .collect();
    let required_reason = IR.required_reason.clone();
    parts
        .prop_map(move |entries| {
            let mut object = Map::new();
            let mut breaks = Vec::new();
            for (name, required, generated) in entries.into_iter().flatten() {
                let step = Step::Key(name.clone());
                object.insert(name.clone(), generated.value.clone());
                breaks.extend(generated.nested(&step, &name));
                if required {
                    let place = Place::default().under(step, name);
                    breaks.push((
                        place,
                        Break {
                            change: Change::Remove,
                            reason: required_reason.clone(),
                        },
                    ));
                }
            }
            Generated {
                value: Value::Object(object),
                breaks,
            }
        })
        .boxed()
}

/// Exactly one member set.
fn union(members: &[Member], depth: usize) -> BoxedStrategy<Generated> {
    let choices: Vec<BoxedStrategy<Generated>> = members
        .iter()
        .map(|member| {
            let name = member.name.clone();
            value(member, depth)
                .prop_map(move |generated| {
                    let step = Step::Key(name.clone());
                    let mut object = Map::new();
                    object.insert(name.clone(), generated.value.clone());
                    Generated {
                        value: Value::Object(object),
                        breaks: generated.nested(&step, &name),
                    }
                })
                .boxed()
        })
        .collect();
    proptest::strategy::Union::new(choices).boxed()
}

/// A bound, and the reason the validator gives when it is broken.
type Limit<T> = Option<(T, String)>;

/// `(min, max)` of a length or range, as numbers.
fn bounds(bounds: Option<&Bounds>) -> (Limit<f64>, Limit<f64>) {
    let bound = |b: &Option<codegen::ir::Bound>| {
        b.as_ref().map(|b| {
            let value = b
                .value
                .parse::<f64>()
                .unwrap_or_else(|e| panic!("bound {}: {e}", b.value));
            (value, b.reason.clone())
        })
    };
    match bounds {
        Some(bounds) => (bound(&bounds.min), bound(&bounds.max)),
        None => (None, None),
    }
}

/// How many items or characters to generate (`low..=high`), and the bounds to break.
struct Counts {
    low: u64,
    high: u64,
    min: Limit<u64>,
    max: Limit<u64>,
}

fn count_range(constraints: &Constraints) -> Counts {
    let (min, max) = bounds(constraints.length.as_ref());
    let min = min.map(|(v, r)| (v as u64, r));
    let max = max.map(|(v, r)| (v as u64, r));
    let low = min.as_ref().map_or(0, |(v, _)| *v);
    let high = max
        .as_ref()
        .map_or(low + EXTRA_LENGTH, |(v, _)| *v)
        .min(low + EXTRA_LENGTH);
    Counts {
        low,
        high,
        min,
        max,
    }
}

fn list(item: &Member, constraints: &Constraints, depth: usize) -> BoxedStrategy<Generated> {
    let Counts {
        low,
        high,
        min,
        max,
    } = count_range(constraints);
    let reported_as = item.reported_as.clone();
    let unique = constraints.unique_items.is_some();
    proptest::collection::vec(value(item, depth), low as usize..=high as usize)
        .prop_filter("a @uniqueItems list repeats an item", move |items| {
            !unique
                || items
                    .iter()
                    .enumerate()
                    .all(|(i, item)| items[..i].iter().all(|other| other.value != item.value))
        })
        .prop_map(move |items| {
            let values: Vec<Value> = items.iter().map(|g| g.value.clone()).collect();
            let mut own = Vec::new();
            if let Some((min, reason)) = &min
                && *min > 0
            {
                own.push(Break {
                    change: Change::Set(Value::Array(values[..*min as usize - 1].to_vec())),
                    reason: reason.clone(),
                });
            }
            if let (Some((max, reason)), Some(first)) = (&max, values.first())
                && *max < MAX_BUILT_LENGTH
            {
                own.push(Break {
                    change: Change::Set(Value::Array(vec![first.clone(); *max as usize + 1])),
                    reason: reason.clone(),
                });
            }
            let mut generated = Generated::with_breaks(Value::Array(values), own);
            for (index, item) in items.into_iter().enumerate() {
                match &reported_as {
                    None => {
                        let segment = format!("{}.member", index + 1);
                        generated
                            .breaks
                            .extend(item.nested(&Step::Index(index), &segment));
                    }
                    Some(name) => generated.breaks.extend(
                        item.breaks
                            .into_iter()
                            .map(|(place, b)| (place.under_item_reported_as(index, name), b)),
                    ),
                }
            }
            generated
        })
        .boxed()
}

fn map(key: &Member, value_member: &Member, depth: usize) -> BoxedStrategy<Generated> {
    let entry = (value(key, depth), value(value_member, depth));
    proptest::collection::vec(entry, 0..=2)
        .prop_map(|entries| {
            let mut object = Map::new();
            let mut breaks = Vec::new();
            for (key, generated) in entries {
                let key = key.value.as_str().expect("map keys are strings").to_owned();
                if object.contains_key(&key) {
                    continue;
                }
                object.insert(key.clone(), generated.value.clone());
                breaks.extend(generated.nested(&Step::Key(key.clone()), &key));
            }
            Generated {
                value: Value::Object(object),
                breaks,
            }
        })
        .boxed()
}

fn simple(primitive: Primitive, constraints: &Constraints) -> BoxedStrategy<Generated> {
    match primitive {
        Primitive::String => string(constraints),
        Primitive::Boolean => any::<bool>()
            .prop_map(|b| Generated::plain(b.into()))
            .boxed(),
        Primitive::Byte => integer(constraints, i8::MIN.into(), i8::MAX.into()),
        Primitive::Short => integer(constraints, i16::MIN.into(), i16::MAX.into()),
        Primitive::Integer => integer(constraints, i32::MIN.into(), i32::MAX.into()),
        Primitive::Long => integer(constraints, i64::MIN, i64::MAX),
        Primitive::Float | Primitive::Double => float(constraints),
        // Epoch seconds with a millisecond fraction, as SDKs send them.
        Primitive::Timestamp => (0i64..4_000_000_000_000)
            .prop_map(|millis| Generated::plain((millis as f64 / 1000.0).into()))
            .boxed(),
        Primitive::Blob => blob(constraints),
        Primitive::Document => Just(Generated::plain(Value::Object(Map::new()))).boxed(),
    }
}

fn integer(constraints: &Constraints, type_min: i64, type_max: i64) -> BoxedStrategy<Generated> {
    let (min, max) = bounds(constraints.range.as_ref());
    let low = min.as_ref().map_or(type_min, |(v, _)| *v as i64);
    let high = max.as_ref().map_or(type_max, |(v, _)| *v as i64);
    let mut own = Vec::new();
    if let Some((v, reason)) = &min
        && (*v as i64) > type_min
    {
        own.push(Break {
            change: Change::Set(Value::from(*v as i64 - 1)),
            reason: reason.clone(),
        });
    }
    if let Some((v, reason)) = &max
        && (*v as i64) < type_max
    {
        own.push(Break {
            change: Change::Set(Value::from(*v as i64 + 1)),
            reason: reason.clone(),
        });
    }
    (low..=high)
        .prop_map(move |n| Generated::with_breaks(n.into(), own.clone()))
        .boxed()
}

fn float(constraints: &Constraints) -> BoxedStrategy<Generated> {
    let (min, max) = bounds(constraints.range.as_ref());
    let low = min.as_ref().map_or(-1e9, |(v, _)| *v);
    let high = max.as_ref().map_or(1e9, |(v, _)| *v);
    let mut own = Vec::new();
    if let Some((v, reason)) = &min {
        own.push(Break {
            change: Change::Set(Value::from(v - 1.0)),
            reason: reason.clone(),
        });
    }
    if let Some((v, reason)) = &max {
        own.push(Break {
            change: Change::Set(Value::from(v + 1.0)),
            reason: reason.clone(),
        });
    }
    (low..=high)
        .prop_map(move |n| Generated::with_breaks(n.into(), own.clone()))
        .boxed()
}

fn blob(constraints: &Constraints) -> BoxedStrategy<Generated> {
    let Counts { low, high, min, .. } = count_range(constraints);
    proptest::collection::vec(any::<u8>(), low as usize..=high as usize)
        .prop_map(move |bytes| {
            let encode =
                |bytes: Vec<u8>| serde_json::to_value(Blob(bytes)).expect("a blob serializes");
            let mut own = Vec::new();
            if let Some((min, reason)) = &min
                && *min > 0
            {
                own.push(Break {
                    change: Change::Set(encode(bytes[..*min as usize - 1].to_vec())),
                    reason: reason.clone(),
                });
            }
            Generated::with_breaks(encode(bytes), own)
        })
        .boxed()
}

fn string(constraints: &Constraints) -> BoxedStrategy<Generated> {
    let Counts {
        low,
        high,
        min,
        max,
    } = count_range(constraints);
    let chars = |s: &str| s.chars().count() as u64;
    let pattern = constraints.pattern.as_ref().map(|p| {
        let regex = regex::Regex::new(&p.regex).expect("the generator checked every pattern");
        (regex, p.regex.clone(), p.reason.clone())
    });
    let strings: BoxedStrategy<String> = match &pattern {
        Some((regex, source, _)) => {
            let regex = regex.clone();
            let (min_len, max_len) = (low, max.as_ref().map_or(u64::MAX, |(v, _)| *v));
            proptest::string::string_regex_parsed(&without_anchors(source))
                .unwrap_or_else(|e| panic!("cannot generate strings for /{source}/: {e}"))
                .prop_filter("outside the pattern or the length bounds", move |s| {
                    regex.is_match(s) && (min_len..=max_len).contains(&chars(s))
                })
                .boxed()
        }
        None => proptest::collection::vec(any::<char>(), low as usize..=high as usize)
            .prop_map(String::from_iter)
            .boxed(),
    };
    strings
        .prop_map(move |s| {
            let mut own = Vec::new();
            let length = chars(&s);
            if let Some((min, reason)) = &min
                && *min > 0
            {
                let shorter: String = s.chars().take(*min as usize - 1).collect();
                own.push(Break {
                    change: Change::Set(shorter.into()),
                    reason: reason.clone(),
                });
            }
            if let Some((max, reason)) = &max
                && *max < MAX_BUILT_LENGTH
            {
                let longer = format!("{s}{}", "a".repeat((*max + 1 - length) as usize));
                own.push(Break {
                    change: Change::Set(longer.into()),
                    reason: reason.clone(),
                });
            }
            if let Some((regex, _, reason)) = &pattern
                && let Some(outside) = outside_pattern(&s, regex, low, max.as_ref().map(|m| m.0))
            {
                own.push(Break {
                    change: Change::Set(outside.into()),
                    reason: reason.clone(),
                });
            }
            Generated::with_breaks(s.into(), own)
        })
        .boxed()
}

/// A string of allowed length that `regex` does not match, made from `valid`.
fn outside_pattern(
    valid: &str,
    regex: &regex::Regex,
    min: u64,
    max: Option<u64>,
) -> Option<String> {
    let length = valid.chars().count();
    let replace = |at: usize, with: char| -> String {
        valid
            .chars()
            .enumerate()
            .map(|(i, c)| if i == at { with } else { c })
            .collect()
    };
    let mut candidates = Vec::new();
    for odd in ['\u{1}', ' ', '!', 'A', '-', '/', '.'] {
        if length > 0 {
            candidates.push(replace(length - 1, odd));
            candidates.push(replace(0, odd));
        }
        candidates.push(std::iter::repeat_n(odd, length.max(min as usize)).collect());
    }
    candidates.into_iter().find(|candidate| {
        let count = candidate.chars().count() as u64;
        count >= min && max.is_none_or(|max| count <= max) && !regex.is_match(candidate)
    })
}

/// The pattern with its anchors (and word boundaries) removed, which proptest cannot
/// generate from, and unbounded repetitions bounded; what it then generates is filtered
/// by the real pattern.
fn without_anchors(pattern: &str) -> Hir {
    fn strip(hir: &Hir) -> Hir {
        match hir.kind() {
            HirKind::Look(_) => Hir::empty(),
            HirKind::Concat(parts) => Hir::concat(parts.iter().map(strip).collect()),
            HirKind::Alternation(parts) => Hir::alternation(parts.iter().map(strip).collect()),
            HirKind::Repetition(repetition) => {
                let mut repetition = repetition.clone();
                repetition.sub = Box::new(strip(&repetition.sub));
                // Unbounded repetitions, nested, would make strings far past any length
                // bound (and cases slow): a few repeats show the shape.
                if repetition.max.is_none() {
                    repetition.max = Some(repetition.min + MAX_EXTRA_REPEATS);
                }
                Hir::repetition(repetition)
            }
            HirKind::Capture(capture) => {
                let mut capture = capture.clone();
                capture.sub = Box::new(strip(&capture.sub));
                Hir::capture(capture)
            }
            HirKind::Empty | HirKind::Literal(_) | HirKind::Class(_) => hir.clone(),
        }
    }
    strip(&regex_syntax::parse(pattern).unwrap_or_else(|e| panic!("/{pattern}/: {e}")))
}

// ---- running the properties ----------------------------------------------------------

/// Status, `__type` and message of `operation` called with `body`.
fn call(operation: &str, body: &Value) -> (u16, String, String) {
    thread_local! {
        static RUNTIME: tokio::runtime::Runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("runtime");
    }
    let mut ctx = RequestContext {
        account_id: "123456789012".to_owned(),
        region: "us-east-1".to_owned(),
        request_id: "property".to_owned(),
        operation: "",
        endpoint: String::new(),
    };
    let target = format!("{}.{operation}", SERVICE.target_prefix);
    let body = serde_json::to_vec(body).expect("json");
    let request = Request {
        target: Some(&target),
        content_type: Some(SERVICE.content_type),
        body: &body,
    };
    let response = RUNTIME.with(|rt| rt.block_on(IMPLEMENTS_NOTHING.handle(&mut ctx, request)));
    let parsed: Value = serde_json::from_slice(&response.body).expect("every answer is JSON");
    let text = |key: &str| parsed[key].as_str().unwrap_or_default().to_owned();
    (response.status, text("__type"), text("message"))
}

/// Runs `property` on `CASES_PER_OPERATION` inputs of every operation that has one.
fn for_every_operation<S: Strategy>(
    strategy: impl Fn(&str) -> S,
    property: impl Fn(&str, S::Value) -> Result<(), TestCaseError>,
) {
    let operations: Vec<_> = IR
        .operations
        .iter()
        .filter(|op| op.input.is_some())
        .collect();
    assert!(operations.len() >= 50, "the model has ECR's operations");
    for operation in operations {
        let input = operation.input.as_deref().expect("filtered");
        let mut runner = TestRunner::new(Config {
            cases: CASES_PER_OPERATION,
            failure_persistence: None,
            ..Config::default()
        });
        if let Err(failure) = runner.run(&strategy(input), |value| property(&operation.name, value))
        {
            panic!("{}: {failure}", operation.name);
        }
    }
}

#[test]
fn generated_valid_inputs_pass_validation() {
    for_every_operation(input, |operation, generated| {
        let (status, type_name, message) = call(operation, &generated.value);
        prop_assert_eq!(
            (status, type_name.as_str()),
            (400, "NotImplementedException"),
            "{} was refused: {}",
            generated.value,
            message
        );
        Ok(())
    });
}

#[test]
fn breaking_one_constraint_is_reported_for_exactly_that_member() {
    let broken = std::sync::atomic::AtomicUsize::new(0);
    for_every_operation(
        |id| (input(id), any::<Index>()),
        |operation, (generated, pick)| {
            if generated.breaks.is_empty() {
                return Ok(());
            }
            let (place, chosen) = pick.get(&generated.breaks).clone();
            let mut value = generated.value.clone();
            apply(&mut value, &place.pointer, &chosen.change);
            let expected = (SERVICE.violation_message)(&place.path.join("."), &chosen.reason);
            let (status, type_name, message) = call(operation, &value);
            prop_assert_eq!(status, 400);
            prop_assert_eq!(
                type_name.as_str(),
                SERVICE.validation_error,
                "{}: {}",
                value,
                message
            );
            prop_assert_eq!(message, expected, "{}", value);
            broken.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            Ok(())
        },
    );
    // Most inputs have something to break; a strategy that found nothing tests nothing.
    let broken = broken.into_inner();
    assert!(broken > 1000, "only {broken} inputs were broken");
}

/// Makes `change` at `pointer` inside `value`.
fn apply(value: &mut Value, pointer: &[Step], change: &Change) {
    let (last, parents) = pointer.split_last().expect("breaks sit under the input");
    let mut target = value;
    for step in parents {
        target = match step {
            Step::Key(key) => &mut target[key.as_str()],
            Step::Index(index) => &mut target[*index],
        };
    }
    match (last, change) {
        (Step::Key(key), Change::Remove) => {
            target
                .as_object_mut()
                .expect("a member of an object")
                .remove(key);
        }
        (Step::Key(key), Change::Set(new)) => target[key.as_str()] = new.clone(),
        (Step::Index(index), Change::Set(new)) => target[*index] = new.clone(),
        (Step::Index(_), Change::Remove) => unreachable!("list items are never removed"),
    }
}
