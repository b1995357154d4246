//! Registry errors: `{"errors":[{"code","message","detail"}]}` (OCI distribution spec,
//! "Error Codes"), with ECR's texts where ECR has one (`ecr-behaviour-images.md` §14). The
//! status of each code is in one table ([`Code::status`]); which ECR error becomes which
//! code is in one function ([`OciError::from_ecr`]); the registry's own texts are the
//! constants below.

use axum::body::Body;
use axum::http::header::{CONTENT_TYPE, WWW_AUTHENTICATE};
use axum::http::{HeaderValue, StatusCode};
use axum::response::Response;
use berth_runtime::error::ErrorResponse;
use ecr_impl::layers::LayerError;
use serde::Serialize;

/// The OCI error codes Berth answers (and `UNKNOWN` for a fault of its own).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Code {
    BlobUnknown,
    BlobUploadInvalid,
    BlobUploadUnknown,
    DigestInvalid,
    ManifestBlobUnknown,
    ManifestInvalid,
    ManifestUnknown,
    NameInvalid,
    NameUnknown,
    SizeInvalid,
    TagInvalid,
    Unauthorized,
    Denied,
    Unsupported,
    RangeInvalid,
    Unknown,
}

impl Code {
    /// The code's name and status: the one table.
    const fn entry(self) -> (&'static str, StatusCode) {
        match self {
            Code::BlobUnknown => ("BLOB_UNKNOWN", StatusCode::NOT_FOUND),
            Code::BlobUploadInvalid => ("BLOB_UPLOAD_INVALID", StatusCode::BAD_REQUEST),
            Code::BlobUploadUnknown => ("BLOB_UPLOAD_UNKNOWN", StatusCode::NOT_FOUND),
            Code::DigestInvalid => ("DIGEST_INVALID", StatusCode::BAD_REQUEST),
            Code::ManifestBlobUnknown => ("MANIFEST_BLOB_UNKNOWN", StatusCode::BAD_REQUEST),
            Code::ManifestInvalid => ("MANIFEST_INVALID", StatusCode::BAD_REQUEST),
            Code::ManifestUnknown => ("MANIFEST_UNKNOWN", StatusCode::NOT_FOUND),
            Code::NameInvalid => ("NAME_INVALID", StatusCode::BAD_REQUEST),
            Code::NameUnknown => ("NAME_UNKNOWN", StatusCode::NOT_FOUND),
            Code::SizeInvalid => ("SIZE_INVALID", StatusCode::BAD_REQUEST),
            Code::TagInvalid => ("TAG_INVALID", StatusCode::BAD_REQUEST),
            Code::Unauthorized => ("UNAUTHORIZED", StatusCode::UNAUTHORIZED),
            Code::Denied => ("DENIED", StatusCode::FORBIDDEN),
            // (real) ECR answers 405 for `tags/list?n>1000` and PutImage input errors.
            Code::Unsupported => ("UNSUPPORTED", StatusCode::METHOD_NOT_ALLOWED),
            Code::RangeInvalid => ("RANGE_INVALID", StatusCode::RANGE_NOT_SATISFIABLE),
            Code::Unknown => ("UNKNOWN", StatusCode::INTERNAL_SERVER_ERROR),
        }
    }

    pub const fn name(self) -> &'static str {
        self.entry().0
    }

    pub const fn status(self) -> StatusCode {
        self.entry().1
    }
}

// ---- The registry's own texts ([choice] unless marked) ----

/// (likely) A request without credentials.
pub const NOT_AUTHORIZED: &str = "Not Authorized";
/// (real) A login password past its expiry (docker prints `denied: …`).
pub const TOKEN_EXPIRED: &str =
    "Your authorization token has expired. Reauthenticate and try again.";
/// Credentials that are not `AWS:<password>` with a password this Berth issued.
pub const TOKEN_INVALID: &str = "Your authorization token is invalid.";
/// A password of one registry sent to another (the Host names another account or region).
pub const TOKEN_OTHER_REGISTRY: &str =
    "Your authorization token is for another registry than the one this request was sent to.";
/// Berth's own default account or region does not validate (a configuration fault).
pub const DEFAULT_REGISTRY_INVALID: &str = "Berth's default account or region is invalid";
/// A manifest PUT refused by the generated validation without a member to name.
pub const REQUEST_INVALID: &str = "Invalid request";
/// A path with percent-encoding, empty or dot segments.
pub const PATH_REFUSED: &str =
    "Invalid repository path: percent-encoding, empty segments and dot segments are not allowed";
/// A path of no registry route.
pub const ROUTE_UNKNOWN: &str = "The requested path is not a registry operation.";
/// A route asked with a method it does not have (ECR's DELETE of a blob, of a tag).
pub const METHOD_UNSUPPORTED: &str = "The operation is unsupported.";
/// A digest that is not `sha256:` and 64 hex digits (ECR computes SHA-256 digests only).
pub const DIGEST_NOT_SHA256: &str = "The digest is not a sha256 digest";
/// A `Content-Range` or `Range` that is not one byte range.
pub const RANGE_MALFORMED: &str = "The Content-Range header is not a byte range 'first-last'";
/// A range past the blob's end.
pub const RANGE_UNSATISFIABLE: &str = "The requested range is not satisfiable";
/// A manifest that is not text.
pub const MANIFEST_NOT_UTF8: &str = "The manifest is not UTF-8 text";
/// A manifest body over `manifests::MAX_MANIFEST_BYTES`.
pub const MANIFEST_TOO_LARGE: &str = "The manifest is larger than 4194304 bytes";
/// An image that is not there, when BatchGetImage gave no reason.
pub const MANIFEST_UNKNOWN: &str = "Requested image not found";
/// The `n` of `tags/list` is not a number.
pub const N_NOT_A_NUMBER: &str = "The parameter 'n' is not a number";

/// One registry error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OciError {
    pub code: Code,
    pub message: String,
    pub detail: Option<serde_json::Value>,
    /// A `WWW-Authenticate` challenge (a 401).
    pub challenge: Option<String>,
    /// Extra headers (a 416's `Range`/`Content-Range`).
    pub headers: Vec<(&'static str, String)>,
}

#[derive(Serialize)]
struct Body_<'a> {
    errors: [Entry<'a>; 1],
}

#[derive(Serialize)]
struct Entry<'a> {
    code: &'static str,
    message: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    detail: Option<&'a serde_json::Value>,
}

/// The content type of error bodies.
const JSON: &str = "application/json";

impl OciError {
    pub fn new(code: Code, message: impl Into<String>) -> OciError {
        OciError {
            code,
            message: message.into(),
            detail: None,
            challenge: None,
            headers: Vec::new(),
        }
    }

    pub fn with_header(mut self, name: &'static str, value: String) -> OciError {
        self.headers.push((name, value));
        self
    }

    /// An ECR error (a generated error's shape name and message) as its registry code,
    /// keeping ECR's text.
    pub fn from_ecr(error: &dyn ErrorResponse) -> OciError {
        let code = match error.type_name() {
            // A fault of Berth's (a backend failing), never the client's.
            _ if error.status() >= 500 => Code::Unknown,
            "RepositoryNotFoundException" => Code::NameUnknown,
            "ImageTagAlreadyExistsException" => Code::TagInvalid,
            "LimitExceededException" => Code::Denied,
            "LayersNotFoundException" | "ReferencedImagesNotFoundException" => {
                Code::ManifestBlobUnknown
            }
            "ImageDigestDoesNotMatchException" => Code::DigestInvalid,
            "ImageNotFoundException" => Code::ManifestUnknown,
            "AccessDeniedException" => Code::Denied,
            // (real) PutImage input errors, and every other refusal of input.
            _ => Code::Unsupported,
        };
        if code == Code::Unknown {
            tracing::error!(error = ?error, "a registry request failed in Berth");
        }
        OciError::new(code, error.message().unwrap_or_default())
    }

    /// A layer function's refusal as its registry code; `message` is ECR's text for it.
    pub fn from_layer(error: &LayerError, message: String) -> OciError {
        let code = match error {
            LayerError::RepositoryNotFound => Code::NameUnknown,
            LayerError::UploadNotFound => Code::BlobUploadUnknown,
            LayerError::PartNotConsecutive { .. } => Code::RangeInvalid,
            LayerError::PartLength { .. } => Code::SizeInvalid,
            LayerError::EmptyUpload | LayerError::PartTooSmall | LayerError::Body(_) => {
                Code::BlobUploadInvalid
            }
            LayerError::DigestMismatch { .. } => Code::DigestInvalid,
            LayerError::LayerNotFound | LayerError::LayerInaccessible => Code::BlobUnknown,
            // Handled as success by the routes that can meet it.
            LayerError::LayerAlreadyExists(_) => Code::BlobUploadInvalid,
            LayerError::Store(_) => Code::Unknown,
        };
        if code == Code::Unknown {
            tracing::error!(%error, "a registry blob request failed in Berth");
        }
        OciError::new(code, message)
    }

    /// The error as an HTTP response.
    pub fn response(&self) -> Response {
        let body = Body_ {
            errors: [Entry {
                code: self.code.name(),
                message: &self.message,
                detail: self.detail.as_ref(),
            }],
        };
        let bytes = serde_json::to_vec(&body).unwrap_or_default();
        let mut response = Response::new(Body::from(bytes));
        *response.status_mut() = self.code.status();
        let headers = response.headers_mut();
        headers.insert(CONTENT_TYPE, HeaderValue::from_static(JSON));
        if let Some(challenge) = &self.challenge
            && let Ok(value) = HeaderValue::from_str(challenge)
        {
            headers.insert(WWW_AUTHENTICATE, value);
        }
        for (name, value) in &self.headers {
            if let Ok(value) = HeaderValue::from_str(value) {
                headers.insert(*name, value);
            }
        }
        response
    }
}

impl axum::response::IntoResponse for OciError {
    fn into_response(self) -> Response {
        self.response()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_render_in_the_oci_shape() {
        let response = OciError::new(Code::NameUnknown, "no such repository").response();
        assert_eq!(response.status(), StatusCode::NOT_FOUND);
        assert_eq!(response.headers()[CONTENT_TYPE], JSON);
    }

    #[test]
    fn ecr_errors_keep_their_text_under_the_right_code() {
        let error = ecr_generated::errors::ImageTagAlreadyExistsException::new("immutable");
        let oci = OciError::from_ecr(&error);
        assert_eq!(
            (oci.code, oci.message.as_str()),
            (Code::TagInvalid, "immutable")
        );
        let error = ecr_generated::errors::InvalidParameterException::new("bad");
        assert_eq!(OciError::from_ecr(&error).code, Code::Unsupported);
        assert_eq!(Code::Unsupported.status(), StatusCode::METHOD_NOT_ALLOWED);
    }
}
