//! Errors of the HTTP layer itself: requests that never reach the awsJson pipeline.
//! They are sent in the same AWS shape as API errors (`{"__type", "message"}`,
//! `application/x-amz-json-1.1`, a request id) so every client reads them the same way.

use std::fmt;
use std::time::Duration;

use berth_runtime::error::{self, ErrorResponse};
use berth_runtime::protocol::{self, Response};
use ecr_generated::operations::SERVICE;

/// `__type` for a path Berth does not serve.
pub const UNKNOWN_PATH: &str = "UnknownOperationException";
/// `__type` for a known path used with the wrong method.
pub const METHOD_NOT_ALLOWED: &str = "MethodNotAllowedException";
/// `__type` for a body over the limit.
pub const REQUEST_TOO_LARGE: &str = "RequestEntityTooLargeException";
/// `__type` for a body that could not be read.
pub const UNREADABLE_BODY: &str = protocol::SERIALIZATION;
/// `__type` for a request head (headers) over the limit.
pub const HEADERS_TOO_LARGE: &str = "RequestHeaderFieldsTooLargeException";
/// `__type` for a body that did not arrive in time.
pub const REQUEST_TIMEOUT: &str = "RequestTimeoutException";

/// Where the API and the admin endpoints live, for messages that point a lost client home.
const ROUTES_HINT: &str = "Berth serves the ECR API as POST / with an X-Amz-Target header \
     (awsJson1.1), and its admin endpoints under /_berth/";

/// A request the HTTP layer refuses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HttpError {
    /// No route for this path (404).
    UnknownPath { method: String, path: String },
    /// The path exists but not for this method (405).
    MethodNotAllowed {
        method: String,
        path: String,
        allowed: &'static str,
    },
    /// The body is larger than the limit (413).
    RequestTooLarge { limit: usize },
    /// The body could not be read, e.g. the client broke off (400).
    UnreadableBody { reason: String },
    /// The headers are larger than the limit (431).
    HeadersTooLarge { limit: usize },
    /// The body did not arrive within the limit (408).
    RequestTimeout { limit: Duration },
}

impl HttpError {
    fn describe(&self) -> String {
        match self {
            HttpError::UnknownPath { method, path } => {
                format!("No route for {method} {path}. {ROUTES_HINT}.")
            }
            HttpError::MethodNotAllowed {
                method,
                path,
                allowed,
            } => {
                format!("{path} does not accept {method}; use {allowed}. {ROUTES_HINT}.")
            }
            HttpError::RequestTooLarge { limit } => {
                format!("The request body is larger than the {limit} bytes Berth accepts.")
            }
            HttpError::UnreadableBody { reason } => {
                format!("The request body could not be read: {reason}")
            }
            HttpError::HeadersTooLarge { limit } => {
                format!("The request headers are larger than the {limit} bytes Berth accepts.")
            }
            HttpError::RequestTimeout { limit } => format!(
                "The request body did not arrive within the {} seconds Berth allows.",
                limit.as_secs_f64()
            ),
        }
    }

    /// The protocol response (the request id is added by the router's middleware).
    pub fn response(&self) -> Response {
        let mut response = Response::error(&SERVICE, self);
        if let HttpError::MethodNotAllowed { allowed, .. } = self {
            response.headers.push(("allow", (*allowed).to_owned()));
        }
        // The rest of an unread body is still on the wire: the connection cannot carry
        // another request.
        if matches!(
            self,
            HttpError::RequestTooLarge { .. } | HttpError::RequestTimeout { .. }
        ) {
            response.headers.push(("connection", "close".to_owned()));
        }
        response
    }
}

impl ErrorResponse for HttpError {
    fn type_name(&self) -> &'static str {
        match self {
            HttpError::UnknownPath { .. } => UNKNOWN_PATH,
            HttpError::MethodNotAllowed { .. } => METHOD_NOT_ALLOWED,
            HttpError::RequestTooLarge { .. } => REQUEST_TOO_LARGE,
            HttpError::UnreadableBody { .. } => UNREADABLE_BODY,
            HttpError::HeadersTooLarge { .. } => HEADERS_TOO_LARGE,
            HttpError::RequestTimeout { .. } => REQUEST_TIMEOUT,
        }
    }

    fn status(&self) -> u16 {
        match self {
            HttpError::UnknownPath { .. } => 404,
            HttpError::MethodNotAllowed { .. } => 405,
            HttpError::RequestTooLarge { .. } => 413,
            HttpError::UnreadableBody { .. } => 400,
            HttpError::HeadersTooLarge { .. } => 431,
            HttpError::RequestTimeout { .. } => 408,
        }
    }

    fn message(&self) -> Option<&str> {
        // The message is built from the fields; `body` renders it.
        None
    }

    fn body(&self) -> Vec<u8> {
        error::message_body(self.type_name(), &self.describe())
    }
}

impl fmt::Display for HttpError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.type_name(), self.describe())
    }
}

impl std::error::Error for HttpError {}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(error: &HttpError) -> serde_json::Value {
        serde_json::from_slice(&error.response().body).unwrap()
    }

    #[test]
    fn every_error_is_an_aws_shaped_client_error() {
        let errors = [
            HttpError::UnknownPath {
                method: "GET".into(),
                path: "/nope".into(),
            },
            HttpError::MethodNotAllowed {
                method: "GET".into(),
                path: "/".into(),
                allowed: "POST",
            },
            HttpError::RequestTooLarge { limit: 10 },
            HttpError::UnreadableBody {
                reason: "connection reset".into(),
            },
            HttpError::HeadersTooLarge { limit: 10 },
            HttpError::RequestTimeout {
                limit: Duration::from_secs(1),
            },
        ];
        for error in errors {
            let response = error.response();
            assert!((400..500).contains(&response.status), "{error}");
            assert!(
                response
                    .headers
                    .contains(&("content-type", SERVICE.content_type.to_owned()))
            );
            let body = body(&error);
            assert_eq!(body["__type"], error.type_name());
            assert!(!body["message"].as_str().unwrap().is_empty());
        }
    }

    #[test]
    fn messages_name_what_was_wrong() {
        let unknown = body(&HttpError::UnknownPath {
            method: "GET".into(),
            path: "/nope".into(),
        });
        assert!(unknown["message"].as_str().unwrap().contains("GET /nope"));
        let too_large = body(&HttpError::RequestTooLarge { limit: 1234 });
        assert!(
            too_large["message"]
                .as_str()
                .unwrap()
                .contains("1234 bytes")
        );
        let method = HttpError::MethodNotAllowed {
            method: "PUT".into(),
            path: "/".into(),
            allowed: "POST",
        };
        assert!(
            method
                .response()
                .headers
                .contains(&("allow", "POST".to_owned()))
        );
    }
}
