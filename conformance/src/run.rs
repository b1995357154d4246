//! Sending variants and judging the answers. Each variant starts from a reset server; the
//! fixture's calls prepare the state it refers to; then the answer is held to the model:
//! a negative must be a 400 with a declared error naming the broken member, a positive a
//! 200 with a conforming output (or, where allowed, a declared semantic error).

use codegen::ir::Operation;
use serde_json::Value;

use crate::check;
use crate::fixture::{Call, Fixture, substitute};
use crate::generate::{Expect, Variant};
use crate::http::{Client, Response};
use crate::model::{Model, error_code};

/// Berth's admin endpoints the runner uses.
pub const RESET_PATH: &str = "/_berth/reset";
pub const OPERATIONS_PATH: &str = "/_berth/ecr/operations";
/// The path every awsJson request is posted to.
const API_PATH: &str = "/";
/// Headers every API response carries.
const REQUEST_ID_HEADER: &str = "x-amzn-requestid";

/// How a variant ended.
#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    /// A positive answered 200 with a conforming output.
    Succeeded,
    /// A positive answered with this declared semantic error.
    SemanticError(String),
    /// A negative was rejected as it should be.
    Rejected,
    /// Anything else, with the reason.
    Failed(String),
}

impl Verdict {
    pub fn passed(&self) -> bool {
        !matches!(self, Verdict::Failed(_))
    }
}

/// `POST /_berth/reset`: drops all state.
pub fn reset(client: &mut Client) -> Result<(), String> {
    let response = client
        .post(RESET_PATH, &[], b"")
        .map_err(|e| format!("POST {RESET_PATH}: {e}"))?;
    if response.status != 200 {
        return Err(format!("POST {RESET_PATH} answered {}", response.status));
    }
    Ok(())
}

/// The operations the server says it implements.
pub fn implemented_operations(client: &mut Client) -> Result<Vec<String>, String> {
    let response = client
        .get(OPERATIONS_PATH)
        .map_err(|e| format!("GET {OPERATIONS_PATH}: {e}"))?;
    // The endpoint's JSON is read as the model-bump diff reads it: one reader of it.
    match codegen::diff::Implemented::from_json(&response.body)
        .map_err(|e| format!("GET {OPERATIONS_PATH}: {e}: {}", response.text()))?
    {
        codegen::diff::Implemented::Known(names) => Ok(names.into_iter().collect()),
        codegen::diff::Implemented::Unknown => Err(format!("GET {OPERATIONS_PATH}: no answer")),
    }
}

/// One API call, as an AWS SDK sends it.
pub fn call(client: &mut Client, model: &Model, call: &Call) -> Result<Response, String> {
    let target = format!("{}.{}", model.service.target_prefix, call.operation);
    let body = serde_json::to_vec(&call.input).expect("JSON values serialize");
    client
        .post(
            API_PATH,
            &[
                ("X-Amz-Target", &target),
                ("Content-Type", model.service.protocol.content_type()),
            ],
            &body,
        )
        .map_err(|e| format!("{}: {e}", call.operation))
}

/// Runs one variant from a reset server and judges the answer.
pub fn run_variant(
    client: &mut Client,
    model: &Model,
    fixture: &dyn Fixture,
    operation: &Operation,
    variant: &Variant,
) -> Verdict {
    match try_variant(client, model, fixture, operation, variant) {
        Ok(verdict) => verdict,
        Err(reason) => Verdict::Failed(reason),
    }
}

fn try_variant(
    client: &mut Client,
    model: &Model,
    fixture: &dyn Fixture,
    operation: &Operation,
    variant: &Variant,
) -> Result<Verdict, String> {
    reset(client)?;
    let mut captured: Vec<(&'static str, String)> = Vec::new();
    if variant.prepared {
        for mut setup in fixture.setup(model, operation, &variant.input) {
            substitute(&mut setup.input, &captured);
            let response = self::call(client, model, &setup)?;
            if response.status != 200 {
                return Err(format!(
                    "setup {} {} answered {}: {}",
                    setup.operation,
                    setup.input,
                    response.status,
                    response.text()
                ));
            }
            if let Some(capture) = fixture.capture(&setup, captured.len()) {
                let answer: Value = serde_json::from_slice(&response.body).unwrap_or_default();
                let value = answer
                    .pointer(capture.pointer)
                    .and_then(Value::as_str)
                    .ok_or_else(|| {
                        format!(
                            "setup {}: no {} in {}",
                            setup.operation,
                            capture.pointer,
                            response.text()
                        )
                    })?;
                captured.push((capture.placeholder, value.to_owned()));
            }
        }
    }
    let mut input = variant.input.clone();
    substitute(&mut input, &captured);
    let response = self::call(
        client,
        model,
        &Call {
            operation: operation.name.clone(),
            input,
        },
    )?;
    Ok(judge(model, operation, &variant.expect, &response))
}

/// Holds one answer to what the variant expects.
pub fn judge(
    model: &Model,
    operation: &Operation,
    expect: &Expect,
    response: &Response,
) -> Verdict {
    let fail = |reason: String| {
        Verdict::Failed(format!(
            "{reason}\n      answer: {} {}",
            response.status,
            response.text()
        ))
    };
    if let Err(reason) = protocol_headers(model, response) {
        return fail(reason);
    }
    let body: Value = match serde_json::from_slice(&response.body) {
        Ok(body) => body,
        Err(e) => return fail(format!("the body is not JSON: {e}")),
    };
    match (expect, response.status) {
        (Expect::Success | Expect::SuccessOrSemanticError, 200) => {
            let problems = match &operation.output {
                Some(output) => check::output(model, output, &body),
                None if body.as_object().is_some_and(|o| o.is_empty()) => Vec::new(),
                None => vec![format!("expected {{}} for a Unit output, got {body}")],
            };
            if problems.is_empty() {
                Verdict::Succeeded
            } else {
                fail(format!(
                    "the output does not conform: {}",
                    problems.join("; ")
                ))
            }
        }
        (Expect::Success, status) => fail(format!("expected 200, got {status}")),
        (Expect::SuccessOrSemanticError, status) if (400..500).contains(&status) => {
            let (code, message) = match declared_error(model, operation, &body) {
                Ok(error) => error,
                Err(reason) => return fail(reason),
            };
            if model.is_constraint_message(&message) {
                return fail(format!(
                    "a valid input was refused as breaking a model constraint: {message}"
                ));
            }
            Verdict::SemanticError(code)
        }
        (Expect::SuccessOrSemanticError, status) => fail(format!(
            "expected 200 or a declared 4xx error, got {status}"
        )),
        (Expect::Rejected(violations), 400) => {
            let (code, message) = match declared_error(model, operation, &body) {
                Ok(error) => error,
                Err(reason) => return fail(reason),
            };
            let expected: Vec<String> = violations
                .iter()
                .map(|v| model.violation_message(&v.path, &v.reason))
                .collect();
            let validation = &model.service.validation.type_name;
            let names_member = violations
                .iter()
                .any(|v| message.contains(&format!("'{}'", v.path)));
            if &code == validation && !expected.contains(&message) {
                fail(format!("expected the message {}", expected.join(" or ")))
            } else if !names_member {
                fail(format!(
                    "the message does not name `{}`",
                    violations[0].path
                ))
            } else {
                Verdict::Rejected
            }
        }
        (Expect::Rejected(_), status) => fail(format!("expected 400, got {status}")),
    }
}

/// Every API answer is the protocol's JSON and carries a request id.
fn protocol_headers(model: &Model, response: &Response) -> Result<(), String> {
    let expected = model.service.protocol.content_type();
    match response.header("content-type") {
        Some(content_type) if content_type.starts_with(expected) => {}
        other => return Err(format!("Content-Type {other:?}, expected {expected}")),
    }
    match response.header(REQUEST_ID_HEADER) {
        Some(id) if !id.is_empty() => Ok(()),
        _ => Err(format!("no {REQUEST_ID_HEADER} header")),
    }
}

/// The error code and message of an error body, when the operation declares the error (the
/// validation error counts as declared) and the body conforms to the error's shape.
fn declared_error(
    model: &Model,
    operation: &Operation,
    body: &Value,
) -> Result<(String, String), String> {
    let Some(type_field) = body.get("__type").and_then(Value::as_str) else {
        return Err("the error body has no `__type`".to_owned());
    };
    let code = error_code(type_field).to_owned();
    let is_code = |id: &&String| crate::model::short_name(id) == code;
    let declared = operation.errors.iter().find(is_code);
    // The validation error counts as declared, modeled or not.
    let validation = (code == model.service.validation.type_name)
        .then(|| model.service.shapes.keys().find(is_code));
    let shape_id = match (declared, validation) {
        (Some(id), _) | (None, Some(Some(id))) => Some(id),
        (None, Some(None)) => None,
        (None, None) => {
            let declared: Vec<&str> = model.declared_errors(operation).collect();
            return Err(format!(
                "`{code}` is not an error {} declares ({})",
                operation.name,
                declared.join(", ")
            ));
        }
    };
    if let Some(shape_id) = shape_id {
        let mut members = body.clone();
        if let Some(object) = members.as_object_mut() {
            object.remove("__type");
        }
        let problems = check::output(model, shape_id, &members);
        if !problems.is_empty() {
            return Err(format!(
                "the {code} body does not conform: {}",
                problems.join("; ")
            ));
        }
    }
    let message = body
        .get("message")
        .or_else(|| body.get("Message"))
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    Ok((code, message))
}
