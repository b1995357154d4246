//! What the model cannot say: which values name things that exist (an account, a resource
//! ARN), what a well-formed document looks like, and which calls create the state an
//! input refers to. A service's fixture supplies these; every value it offers is still
//! checked against the model before use.

use codegen::ir::{Member, Operation, ShapeKind};
use serde_json::Value;

use crate::ecr;
use crate::http::Client;
use crate::model::Model;

/// A call made to prepare state.
#[derive(Debug, Clone, PartialEq)]
pub struct Call {
    pub operation: String,
    pub input: Value,
}

pub trait Fixture {
    /// A valid value for members targeting `shape_id`, beyond what the model describes.
    fn preferred(&self, shape_id: &str) -> Option<Value>;

    /// A valid value of `length` (characters, items, …) for members targeting `shape_id`,
    /// beyond what the model describes (a document padded to a bound).
    fn sized(&self, _shape_id: &str, _length: usize) -> Option<Value> {
        None
    }

    /// The calls that create what `input` of `operation` refers to, in order.
    fn setup(&self, model: &Model, operation: &Operation, input: &Value) -> Vec<Call>;

    /// Makes a valid input of `operation` coherent where members depend on each other in
    /// ways the model cannot state (a mode that needs a companion member). Applied to
    /// positives only; the result is checked against the model again.
    fn complete(&self, _operation: &str, _input: &mut Value) {}

    /// A value only the server picks (an upload id) that later calls need: what to read from
    /// the answer to setup call `call`, after `earlier` values were captured, and the
    /// placeholder it replaces in the calls after it.
    fn capture(&self, _call: &Call, _earlier: usize) -> Option<Capture> {
        None
    }
}

/// A value read from a setup call's answer, replacing a placeholder in the calls after it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Capture {
    /// A JSON pointer into the answer (`/uploadId`).
    pub pointer: &'static str,
    /// A value valid where the real one goes, replaced wherever a later input holds it.
    pub placeholder: &'static str,
}

/// `value` with every string equal to a placeholder replaced by its captured value.
pub fn substitute(value: &mut Value, captured: &[(&'static str, String)]) {
    match value {
        Value::String(text) => {
            if let Some((_, real)) = captured.iter().find(|(placeholder, _)| placeholder == text) {
                *text = real.clone();
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|item| substitute(item, captured)),
        Value::Object(members) => members
            .values_mut()
            .for_each(|member| substitute(member, captured)),
        _ => {}
    }
}

/// For services without a fixture: nothing preferred, nothing prepared.
#[derive(Debug, Default)]
pub struct NoFixture;

impl Fixture for NoFixture {
    fn preferred(&self, _shape_id: &str) -> Option<Value> {
        None
    }

    fn setup(&self, _model: &Model, _operation: &Operation, _input: &Value) -> Vec<Call> {
        Vec::new()
    }
}

/// The fixture for the model's service, after asking the server what it needs to know.
pub fn for_service(model: &Model, client: &mut Client) -> Result<Box<dyn Fixture>, String> {
    if model.service.id == ecr::SERVICE_ID {
        return Ok(Box::new(ecr::EcrFixture::discover(model, client)?));
    }
    Ok(Box::new(NoFixture))
}

/// Every string in `value` (an input of `shape_id`) held by a member targeting `target`,
/// with that member.
pub fn strings_targeting<'m, 'v>(
    model: &'m Model,
    shape_id: &str,
    value: &'v Value,
    target: &str,
) -> Vec<(&'m Member, &'v str)> {
    let mut found = Vec::new();
    collect(model, shape_id, value, target, &mut found, 0);
    found
}

/// Deep enough for any real input; stops runaway recursion through recursive shapes.
const MAX_DEPTH: usize = 32;

fn collect<'m, 'v>(
    model: &'m Model,
    shape_id: &str,
    value: &'v Value,
    target: &str,
    found: &mut Vec<(&'m Member, &'v str)>,
    depth: usize,
) {
    if depth > MAX_DEPTH {
        return;
    }
    let mut visit = |member: &'m Member, child: &'v Value| {
        if member.target == target {
            found.extend(child.as_str().map(|text| (member, text)));
        } else {
            collect(model, &member.target, child, target, found, depth + 1);
        }
    };
    match &model.shape(shape_id).kind {
        ShapeKind::Structure { members } | ShapeKind::Union { members } => {
            for member in members {
                if let Some(child) = value.get(&member.name) {
                    visit(member, child);
                }
            }
        }
        ShapeKind::List { item } => {
            for child in value.as_array().into_iter().flatten() {
                visit(item, child);
            }
        }
        ShapeKind::Map { value: entry, .. } => {
            for child in value.as_object().into_iter().flat_map(|o| o.values()) {
                visit(entry, child);
            }
        }
        _ => {}
    }
}
