//! The awsJson request pipeline shared by every generated router: target → input →
//! validation → handler → response, with every client mistake answered as a 400.

use std::future::Future;

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::RequestContext;
use crate::error::{self, ErrorResponse};
use crate::json::Rendered;
use crate::nesting;
use crate::validation::{Path, Violations};

/// `__type` for an `X-Amz-Target` naming no operation of the service.
pub const UNKNOWN_OPERATION: &str = "UnknownOperationException";
/// `__type` for a body that is not JSON, or JSON of the wrong shape.
pub const SERIALIZATION: &str = "SerializationException";
/// The response header carrying the request id.
pub const REQUEST_ID_HEADER: &str = "x-amzn-RequestId";

/// What the pipeline needs to know about a service (generated as `SERVICE`).
#[derive(Debug, Clone, Copy)]
pub struct ServiceDescription {
    /// `X-Amz-Target` is `<target_prefix>.<Operation>`.
    pub target_prefix: &'static str,
    pub version: &'static str,
    /// `application/x-amz-json-1.0` or `-1.1`.
    pub content_type: &'static str,
    /// `__type` of the error sent for a constraint violation.
    pub validation_error: &'static str,
    /// Its message for a violation at `path` (as `tags.2.member.Key`) of rule `reason`: the
    /// generated `wire::violation_message`, so the template is filled in one place.
    pub violation_message: fn(&str, &str) -> String,
}

/// One request, as the HTTP layer received it.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    pub target: Option<&'a str>,
    pub content_type: Option<&'a str>,
    pub body: &'a [u8],
}

/// One response, ready for the HTTP layer.
#[derive(Debug, Clone, PartialEq)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(&'static str, String)>,
    pub body: Vec<u8>,
}

impl Response {
    fn json(description: &ServiceDescription, status: u16, body: Vec<u8>) -> Response {
        Response {
            status,
            headers: vec![("content-type", description.content_type.to_owned())],
            body,
        }
    }

    /// An error response for `error`.
    pub fn error(description: &ServiceDescription, error: &dyn ErrorResponse) -> Response {
        Response::json(description, error.status(), error.body())
    }

    fn protocol_error(
        description: &ServiceDescription,
        type_name: &str,
        message: &str,
    ) -> Response {
        Response::json(description, 400, error::message_body(type_name, message))
    }

    /// Adds the request id header; every response passes through here.
    pub fn finish(mut self, ctx: &RequestContext) -> Response {
        self.headers
            .push((REQUEST_ID_HEADER, ctx.request_id.clone()));
        self
    }
}

/// One line of the operation catalog.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct OperationStatus {
    pub name: &'static str,
    pub implemented: bool,
}

/// The output of an operation whose model output is `Unit`: `{}`.
#[derive(Debug)]
pub struct EmptyOutput;

impl Serialize for EmptyOutput {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        serializer.serialize_map(Some(0))?.end()
    }
}

/// The "validator" of an operation without input: any JSON body is accepted.
pub fn no_input(_: serde::de::IgnoredAny, _: &Path<'_>, _: &mut Violations) -> Option<()> {
    Some(())
}

/// The operation name from `X-Amz-Target`, after checking the content type.
pub fn operation_name<'a>(
    description: &ServiceDescription,
    request: &Request<'a>,
) -> Result<&'a str, Response> {
    if let Some(content_type) = request.content_type {
        let media_type = content_type.split(';').next().unwrap_or_default().trim();
        if !media_type.eq_ignore_ascii_case(description.content_type) {
            let message = format!(
                "Unsupported Content-Type '{content_type}': requests must be sent as {}",
                description.content_type
            );
            return Err(Response::protocol_error(
                description,
                SERIALIZATION,
                &message,
            ));
        }
    }
    let Some(target) = request.target else {
        return Err(Response::protocol_error(
            description,
            UNKNOWN_OPERATION,
            "Missing X-Amz-Target header: it names the operation, as in X-Amz-Target: Service.Operation",
        ));
    };
    match target.rsplit_once('.') {
        Some((prefix, operation)) if prefix == description.target_prefix => Ok(operation),
        _ => Err(unknown_operation(description, request)),
    }
}

/// The response for a target that names no operation of the service.
pub fn unknown_operation(description: &ServiceDescription, request: &Request<'_>) -> Response {
    let message = format!("Unknown operation: {}", request.target.unwrap_or_default());
    Response::protocol_error(description, UNKNOWN_OPERATION, &message)
}

/// Runs one operation: parse the body into the wire input `W`, validate it into `I`,
/// call the handler, and serialize its output or error.
pub async fn invoke<W, I, O, E, V, F, Fut>(
    description: &ServiceDescription,
    request: &Request<'_>,
    validate: V,
    call: F,
) -> Response
where
    W: DeserializeOwned,
    V: FnOnce(W, &Path<'_>, &mut Violations) -> Option<I>,
    F: FnOnce(I) -> Fut,
    Fut: Future<Output = Result<Rendered<O>, E>>,
    O: Serialize,
    E: ErrorResponse,
{
    let wire: W = match read_json(request.body) {
        Ok(wire) => wire,
        Err(message) => return Response::protocol_error(description, SERIALIZATION, &message),
    };
    let mut violations = Violations::default();
    let input = validate(wire, &Path::Root, &mut violations);
    let input = match (input, violations.first()) {
        (Some(input), None) => input,
        (_, first) => {
            let message = match first {
                Some(violation) => {
                    (description.violation_message)(&violation.path, violation.reason)
                }
                None => "Invalid request".to_owned(),
            };
            return Response::protocol_error(description, description.validation_error, &message);
        }
    };
    match call(input).await {
        Ok(output) => match output.into_body() {
            Ok(body) => Response::json(description, 200, body),
            Err(e) => Response::error(
                description,
                &error::CommonError::internal(format!("could not serialize the output: {e}")),
            ),
        },
        Err(error) => Response::error(description, &error),
    }
}

/// Parses a request body; an empty body means `{}`. The error names the member at fault.
pub fn read_json<W: DeserializeOwned>(body: &[u8]) -> Result<W, String> {
    let body: &[u8] = if body.iter().all(u8::is_ascii_whitespace) {
        b"{}"
    } else {
        body
    };
    if nesting::nests_deeper_than(body, nesting::MAX_JSON_NESTING_DEPTH) {
        return Err(format!(
            "Request body nests arrays and objects more than {} levels deep",
            nesting::MAX_JSON_NESTING_DEPTH
        ));
    }
    let mut deserializer = serde_json::Deserializer::from_slice(body);
    let value = serde_path_to_error::deserialize(&mut deserializer).map_err(|e| {
        let path = render_path(e.path());
        let inner = e.into_inner();
        if inner.is_data() && !path.is_empty() {
            format!("Invalid value for member '{path}': {inner}")
        } else if inner.is_data() {
            format!("Invalid request body: {inner}")
        } else {
            format!("Request body is not valid JSON: {inner}")
        }
    })?;
    deserializer
        .end()
        .map_err(|e| format!("Request body is not valid JSON: {e}"))?;
    Ok(value)
}

/// A deserialization path in the same notation as violation paths.
fn render_path(path: &serde_path_to_error::Path) -> String {
    use serde_path_to_error::Segment;
    let mut parts = Vec::new();
    for segment in path.iter() {
        match segment {
            Segment::Seq { index } => parts.push(format!("{}.member", index + 1)),
            Segment::Map { key } => parts.push(key.clone()),
            Segment::Enum { variant } => parts.push(variant.clone()),
            Segment::Unknown => parts.push("?".to_owned()),
        }
    }
    parts.join(".")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct Input {
        #[serde(rename = "repositoryName")]
        repository_name: Option<String>,
        tags: Option<Vec<Tag>>,
    }

    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct Tag {
        #[serde(rename = "Key")]
        key: Option<String>,
    }

    #[test]
    fn empty_bodies_are_empty_objects() {
        let input: Input = read_json(b"").unwrap();
        assert!(input.repository_name.is_none());
        let input: Input = read_json(b"  \n").unwrap();
        assert!(input.tags.is_none());
    }

    #[test]
    fn wrong_types_name_the_member() {
        let error = read_json::<Input>(br#"{"repositoryName": 5}"#).unwrap_err();
        assert!(
            error.starts_with("Invalid value for member 'repositoryName'"),
            "{error}"
        );
        let error = read_json::<Input>(br#"{"tags": [{"Key": "a"}, {"Key": []}]}"#).unwrap_err();
        assert!(
            error.starts_with("Invalid value for member 'tags.2.member.Key'"),
            "{error}"
        );
    }

    #[test]
    fn malformed_json_is_reported_as_such() {
        assert!(
            read_json::<Input>(b"{")
                .unwrap_err()
                .starts_with("Request body is not valid JSON")
        );
        assert!(
            read_json::<Input>(b"{} x")
                .unwrap_err()
                .starts_with("Request body is not valid JSON")
        );
        assert!(
            read_json::<Input>(b"[]")
                .unwrap_err()
                .starts_with("Invalid request body")
        );
    }

    #[test]
    fn deep_nesting_is_refused_even_inside_ignored_members() {
        let deep = |depth: usize| {
            format!(
                r#"{{"unknown": {}{}}}"#,
                "[".repeat(depth),
                "]".repeat(depth)
            )
        };
        let limit = nesting::MAX_JSON_NESTING_DEPTH;
        // The outer object is one level: the deepest accepted array nesting is limit - 1.
        assert!(read_json::<Input>(deep(limit - 1).as_bytes()).is_ok());
        let error = read_json::<Input>(deep(limit).as_bytes()).unwrap_err();
        assert!(
            error.contains(&format!("more than {limit} levels")),
            "{error}"
        );
        let error = read_json::<Input>(deep(1_000_000).as_bytes()).unwrap_err();
        assert!(
            error.contains(&format!("more than {limit} levels")),
            "{error}"
        );
    }

    #[test]
    fn nulls_are_absent_members() {
        let input: Input = read_json(br#"{"repositoryName": null, "tags": null}"#).unwrap();
        assert!(input.repository_name.is_none() && input.tags.is_none());
    }
}
