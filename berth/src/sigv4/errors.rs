//! How a request that fails verification is refused: AWS's error types, all HTTP 400 as
//! real ECR sends them, and every message in one place.

use std::fmt;

use berth_runtime::error::{self, ErrorResponse};

/// `__type` of a request without any signature.
pub const MISSING_TOKEN: &str = "MissingAuthenticationTokenException";
/// `__type` of an `Authorization` header that cannot be read.
pub const INCOMPLETE_SIGNATURE: &str = "IncompleteSignatureException";
/// `__type` of a key Berth does not know.
pub const UNRECOGNIZED_CLIENT: &str = "UnrecognizedClientException";
/// `__type` of a signature that does not verify (or is stale, or mis-scoped).
pub const INVALID_SIGNATURE: &str = "InvalidSignatureException";

/// AWS's words for an unknown access key id.
pub const UNRECOGNIZED_CLIENT_MESSAGE: &str =
    "The security token included in the request is invalid.";
/// AWS's words for a signature that does not match the request.
pub const SIGNATURE_MISMATCH_MESSAGE: &str = "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.";
/// Berth's words for an unsigned request (AWS says only "Missing Authentication Token").
pub const MISSING_TOKEN_MESSAGE: &str = "Missing Authentication Token: this Berth verifies AWS Signature Version 4 (--verify-sigv4), so every request must carry an 'Authorization: AWS4-HMAC-SHA256 ...' header made with one of its configured keys (BERTH_CREDENTIALS), as AWS SDKs and the AWS CLI send.";

pub const NOT_TEXT: &str = "The Authorization header is not valid text.";
pub const NO_DATE: &str = "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header; Berth reads 'X-Amz-Date'.";

pub fn unsupported_algorithm(algorithm: &str) -> String {
    format!("Unsupported AWS 'algorithm': '{algorithm}'; Berth verifies AWS4-HMAC-SHA256 only.")
}

pub fn missing_components(names: &[&str]) -> String {
    names
        .iter()
        .map(|name| format!("Authorization header requires '{name}' parameter."))
        .collect::<Vec<_>>()
        .join(" ")
}

pub fn malformed_credential(credential: &str) -> String {
    format!(
        "Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got '{credential}'"
    )
}

pub fn bad_date(text: &str) -> String {
    format!("X-Amz-Date must be in ISO-8601 'basic format' (YYYYMMDD'T'HHMMSS'Z'). Got '{text}'.")
}

pub fn scope_date_mismatch(scope_day: &str, day: &str, date: &str) -> String {
    format!(
        "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '{scope_day}' != '{day}', from '{date}'."
    )
}

pub fn bad_scope_region(region: &str) -> String {
    format!("Credential should be scoped to a valid region, not '{region}'.")
}

pub fn bad_scope_service(service: &str) -> String {
    format!("Credential should be scoped to correct service: '{service}'.")
}

pub fn bad_scope_terminator(terminator: &str) -> String {
    format!(
        "Credential should be scoped with a valid terminator: 'aws4_request', not '{terminator}'."
    )
}

pub fn must_be_signed(header: &str) -> String {
    format!("'{header}' must be a 'SignedHeader' in the AWS Authorization.")
}

pub fn expired(signed: &str, earliest: &str, now: &str, skew_minutes: u64) -> String {
    format!(
        "Signature expired: {signed} is now earlier than {earliest} ({now} - {skew_minutes} min.)"
    )
}

pub fn not_yet_current(signed: &str, latest: &str, now: &str, skew_minutes: u64) -> String {
    format!(
        "Signature not yet current: {signed} is still later than {latest} ({now} + {skew_minutes} min.)"
    )
}

/// A request refused by signature verification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthError {
    /// No `Authorization` header.
    MissingToken,
    /// An `Authorization` header (or its date) that cannot be read.
    IncompleteSignature { message: String },
    /// An access key id Berth was not given.
    UnrecognizedClient,
    /// A well-formed signature that does not match the request (or the body's hash).
    SignatureMismatch,
    /// A signature refused before comparing it: stale, or scoped wrongly.
    InvalidSignature { message: String },
}

impl AuthError {
    pub fn incomplete(message: impl Into<String>) -> AuthError {
        AuthError::IncompleteSignature {
            message: message.into(),
        }
    }

    pub fn invalid(message: impl Into<String>) -> AuthError {
        AuthError::InvalidSignature {
            message: message.into(),
        }
    }
}

impl ErrorResponse for AuthError {
    fn type_name(&self) -> &'static str {
        match self {
            AuthError::MissingToken => MISSING_TOKEN,
            AuthError::IncompleteSignature { .. } => INCOMPLETE_SIGNATURE,
            AuthError::UnrecognizedClient => UNRECOGNIZED_CLIENT,
            AuthError::SignatureMismatch | AuthError::InvalidSignature { .. } => INVALID_SIGNATURE,
        }
    }

    fn status(&self) -> u16 {
        400
    }

    fn message(&self) -> Option<&str> {
        Some(match self {
            AuthError::MissingToken => MISSING_TOKEN_MESSAGE,
            AuthError::IncompleteSignature { message }
            | AuthError::InvalidSignature { message } => message,
            AuthError::UnrecognizedClient => UNRECOGNIZED_CLIENT_MESSAGE,
            AuthError::SignatureMismatch => SIGNATURE_MISMATCH_MESSAGE,
        })
    }

    fn body(&self) -> Vec<u8> {
        error::message_body(self.type_name(), self.message().unwrap_or_default())
    }
}

impl fmt::Display for AuthError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        error::display(self, f)
    }
}

impl std::error::Error for AuthError {}
