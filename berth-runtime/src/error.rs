//! Errors as the protocol sends them: `{"__type": "...", "message": "...", ...}` with a status.

use std::fmt;

use serde::Serialize;

/// What the protocol layer needs of any error: its `__type`, status, message and body.
pub trait ErrorResponse: fmt::Debug + Send + Sync {
    /// The short shape name sent as `__type`.
    fn type_name(&self) -> &'static str;
    fn status(&self) -> u16;
    fn message(&self) -> Option<&str>;
    /// The JSON body: `__type` plus the error's modeled members.
    fn body(&self) -> Vec<u8>;
}

/// The JSON body for a modeled error: its members, with `__type` added.
pub fn body<E: Serialize>(type_name: &str, error: &E) -> Vec<u8> {
    let mut object = match serde_json::to_value(error) {
        Ok(serde_json::Value::Object(object)) => object,
        _ => serde_json::Map::new(),
    };
    object.insert("__type".to_owned(), type_name.into());
    serde_json::to_vec(&object).unwrap_or_default()
}

/// A body with just `__type` and `message`.
pub fn message_body(type_name: &str, message: &str) -> Vec<u8> {
    body(type_name, &serde_json::json!({ "message": message }))
}

/// `Type: message`, for logs and `Display`.
pub fn display(error: &dyn ErrorResponse, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    match error.message() {
        Some(message) => write!(f, "{}: {}", error.type_name(), message),
        None => f.write_str(error.type_name()),
    }
}

/// `__type` of [`CommonError::AccessDenied`].
pub const ACCESS_DENIED: &str = "AccessDeniedException";
/// `__type` of [`CommonError::NotImplemented`]. Sent with 400 because SDKs retry 5xx.
pub const NOT_IMPLEMENTED: &str = "NotImplementedException";
/// `__type` of [`CommonError::Internal`].
pub const INTERNAL: &str = "InternalFailure";

/// Errors any operation can meet, whatever its model declares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CommonError {
    /// The caller may not act on the resource (HTTP 400, as AWS sends it).
    AccessDenied { message: String },
    /// The server has no behaviour for the operation yet.
    NotImplemented { operation: &'static str },
    /// A fault of the server, never of the request (HTTP 500).
    Internal { message: String },
}

impl CommonError {
    pub fn access_denied(message: impl Into<String>) -> CommonError {
        CommonError::AccessDenied {
            message: message.into(),
        }
    }

    pub fn internal(message: impl Into<String>) -> CommonError {
        CommonError::Internal {
            message: message.into(),
        }
    }

    /// What a service answers for an operation no handler was registered for.
    pub fn not_implemented(operation: &'static str) -> CommonError {
        CommonError::NotImplemented { operation }
    }
}

impl ErrorResponse for CommonError {
    fn type_name(&self) -> &'static str {
        match self {
            CommonError::AccessDenied { .. } => ACCESS_DENIED,
            CommonError::NotImplemented { .. } => NOT_IMPLEMENTED,
            CommonError::Internal { .. } => INTERNAL,
        }
    }

    fn status(&self) -> u16 {
        match self {
            CommonError::AccessDenied { .. } | CommonError::NotImplemented { .. } => 400,
            CommonError::Internal { .. } => 500,
        }
    }

    fn message(&self) -> Option<&str> {
        match self {
            CommonError::AccessDenied { message } | CommonError::Internal { message } => {
                Some(message)
            }
            CommonError::NotImplemented { .. } => None,
        }
    }

    fn body(&self) -> Vec<u8> {
        match self {
            CommonError::NotImplemented { operation } => message_body(
                self.type_name(),
                &format!("Berth does not implement the operation {operation} yet."),
            ),
            _ => message_body(self.type_name(), self.message().unwrap_or_default()),
        }
    }
}

impl fmt::Display for CommonError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        display(self, f)
    }
}

impl std::error::Error for CommonError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_carry_type_and_members() {
        #[derive(Serialize)]
        struct Kms {
            message: &'static str,
            #[serde(rename = "kmsError")]
            kms_error: &'static str,
        }
        let body: serde_json::Value = serde_json::from_slice(&body(
            "KmsException",
            &Kms {
                message: "m",
                kms_error: "k",
            },
        ))
        .unwrap();
        assert_eq!(
            body,
            serde_json::json!({"__type": "KmsException", "message": "m", "kmsError": "k"})
        );
    }

    #[test]
    fn not_implemented_names_the_operation_and_is_not_retryable() {
        let error = CommonError::not_implemented("PutImage");
        assert_eq!(error.status(), 400);
        let body: serde_json::Value = serde_json::from_slice(&error.body()).unwrap();
        assert_eq!(body["__type"], "NotImplementedException");
        assert!(body["message"].as_str().unwrap().contains("PutImage"));
    }
}
