//! Deserialize + validate of every operation's generated `wire` input, alone: through the
//! generated router against a service built with no handler, so a body either fails to
//! parse, fails validation, or passes and reaches the "not implemented" answer.
//!
//! Input format (what a file under `fuzz/regressions/inputs/` holds): the first byte picks
//! the operation (`Operation::ALL[byte % count]`), the rest is the JSON body.
//!
//! Invariants: the answer is always a 400 of one of those three kinds; a violation message
//! follows the model's template; and a body that passes still passes after a round trip
//! through `serde_json::Value` (re-encoding a valid request cannot make it invalid).

use std::sync::LazyLock;

use berth_runtime::protocol::{Request, SERIALIZATION, UNKNOWN_OPERATION};
use ecr_generated::operations::{EcrService, Operation, SERVICE};
use serde_json::Value;

use crate::{block_on, check, context};

/// A service without any handler: only the generated parsing and validation run.
static IMPLEMENTS_NOTHING: LazyLock<EcrService<()>> =
    LazyLock::new(|| EcrService::builder(()).build_partial());

/// How one fuzzed body ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Not JSON, or JSON of the wrong shape (`SerializationException`).
    Unparsable,
    /// Parsed but broke a constraint (the service's validation error).
    Invalid,
    /// Parsed and valid: reached the operation.
    Valid,
}

/// Runs one fuzz input; panics if an invariant breaks.
pub fn run(data: &[u8]) -> Verdict {
    let Some((&selector, body)) = data.split_first() else {
        return Verdict::Unparsable;
    };
    let operation = Operation::ALL[usize::from(selector) % Operation::ALL.len()];
    let verdict = verdict(operation, body);
    if verdict == Verdict::Valid
        && let Ok(value) = serde_json::from_slice::<Value>(body)
    {
        let reencoded = serde_json::to_vec(&value).expect("a Value always serializes");
        assert_eq!(
            self::verdict(operation, &reencoded),
            Verdict::Valid,
            "{} accepted a body but not its re-encoding: {}",
            operation.name(),
            String::from_utf8_lossy(&reencoded)
        );
    }
    verdict
}

/// What the router answers `operation` with this body.
pub fn verdict(operation: Operation, body: &[u8]) -> Verdict {
    let target = format!("{}.{}", SERVICE.target_prefix, operation.name());
    let request = Request {
        target: Some(&target),
        content_type: Some(SERVICE.content_type),
        body,
    };
    let response = block_on(IMPLEMENTS_NOTHING.handle(&mut context(0), request));
    let parsed = check::well_formed(&response);
    assert_eq!(response.status, 400, "nothing is implemented: {parsed:?}");
    let message = parsed["message"].as_str().unwrap_or_default();
    match check::error_type(&parsed) {
        Some(SERIALIZATION) => Verdict::Unparsable,
        Some(name) if name == SERVICE.validation_error => {
            // The message of a violation at `{path}` of rule `{reason}` is the template.
            let template = (SERVICE.violation_message)("{path}", "{reason}");
            let (prefix, rest) = template
                .split_once("{path}")
                .expect("the template has {path}");
            let (middle, _) = rest
                .split_once("{reason}")
                .expect("the template has {reason}");
            assert!(
                message.starts_with(prefix) && message.contains(middle),
                "a violation message off the template: {message}"
            );
            Verdict::Invalid
        }
        Some(name) if name == berth_runtime::error::NOT_IMPLEMENTED => Verdict::Valid,
        Some(UNKNOWN_OPERATION) => panic!("{} is not routed: {message}", operation.name()),
        other => panic!("unexpected answer {other:?}: {message}"),
    }
}
