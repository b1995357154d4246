//! The protocol runtime that generated awsJson services build on: request context, the
//! timestamp and blob wire types, violation paths, error bodies, and the request pipeline
//! (target → input → validation → handler → response). Service-neutral.

pub mod error;
pub mod json;
pub mod nesting;
pub mod protocol;
pub mod service;
pub mod validation;
mod values;

use std::borrow::Cow;

pub use values::{Blob, Timestamp};

/// Who is calling and where: what every handler receives beside its input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestContext {
    /// The caller's 12-digit account id.
    pub account_id: String,
    /// The region the request was sent to.
    pub region: String,
    /// The id sent back in `x-amzn-RequestId`.
    pub request_id: String,
    /// The operation being served, as in `X-Amz-Target` (e.g. `CreateRepository`): the
    /// router names it before the handler runs. Empty until then.
    pub operation: &'static str,
    /// Where the client reached Berth, as a URL prefix (`http://127.0.0.1:4566`): the
    /// scheme Berth serves and the request's `Host`, for answers that point back at Berth
    /// (GetDownloadUrlForLayer). Empty when unknown (a call made in-process).
    pub endpoint: String,
}

impl RequestContext {
    /// This context naming `operation`. Borrowed when it already does, as on the router's
    /// path; a copy for a direct call with a context made for nothing or for another
    /// operation, so a handler always sees the operation it serves.
    pub fn for_operation(&self, operation: &'static str) -> Cow<'_, RequestContext> {
        if self.operation == operation {
            Cow::Borrowed(self)
        } else {
            Cow::Owned(RequestContext {
                operation,
                ..self.clone()
            })
        }
    }
}
