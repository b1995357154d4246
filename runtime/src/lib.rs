//! The protocol runtime that generated awsJson services build on: request context, the
//! timestamp and blob wire types, violation paths, error bodies, and the request pipeline
//! (target → input → validation → handler → response). Service-neutral.

pub mod error;
pub mod nesting;
pub mod protocol;
pub mod validation;
mod values;

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
}
