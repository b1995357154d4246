//! The invariants every response must keep, whatever the request.

use berth_runtime::protocol::{REQUEST_ID_HEADER, Response};
use ecr_generated::operations::SERVICE;
use serde_json::{Map, Value};

/// Checks that `response` is a well-formed awsJson answer to a client: 200 with a JSON
/// object, or a 400 whose body names an error type and says what went wrong. A 5xx means
/// Berth failed on its own, which no input may cause. Returns the body.
pub fn well_formed(response: &Response) -> Map<String, Value> {
    assert!(
        response.status == 200 || response.status == 400,
        "status {} for a client request: {}",
        response.status,
        String::from_utf8_lossy(&response.body)
    );
    assert!(
        response
            .headers
            .iter()
            .any(|(name, value)| *name == "content-type" && value == SERVICE.content_type),
        "no awsJson content type: {:?}",
        response.headers
    );
    assert!(
        response
            .headers
            .iter()
            .any(|(name, _)| *name == REQUEST_ID_HEADER),
        "no request id: {:?}",
        response.headers
    );
    let body = match serde_json::from_slice::<Value>(&response.body) {
        Ok(Value::Object(body)) => body,
        other => panic!(
            "the body is not a JSON object ({other:?}): {}",
            String::from_utf8_lossy(&response.body)
        ),
    };
    if response.status == 400 {
        let type_name = body.get("__type").and_then(Value::as_str).unwrap_or("");
        assert!(!type_name.is_empty(), "an error without __type: {body:?}");
        let message = body.get("message").and_then(Value::as_str).unwrap_or("");
        assert!(!message.is_empty(), "an error without a message: {body:?}");
    } else {
        assert!(
            !body.contains_key("__type"),
            "a 200 naming an error: {body:?}"
        );
    }
    body
}

/// The `__type` of an error body, `None` for a success.
pub fn error_type(body: &Map<String, Value>) -> Option<&str> {
    body.get("__type").and_then(Value::as_str)
}
