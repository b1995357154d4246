//! Amazon ECR's API layer, generated at build time from AWS's Smithy model
//! (`aws-models/ecr.json`, pinned in `aws-models/ecr.pin`) by the `codegen` crate.
//!
//! - [`MODEL_SHA256`]: the sha256 of the model this build was generated from;
//! - [`types`]: validated request and response types;
//! - [`wire`]: requests as they arrive, and their validators;
//! - [`errors`]: the modeled errors and one error enum per operation;
//! - [`operations`]: the [`operations::EcrService`] with its builder (one handler setter
//!   per operation), its router ([`operations::EcrService::handle`]) and catalog.
//!
//! To browse the generated API: `cargo doc -p ecr-generated --open`. To read the generated
//! code: `cargo run -p codegen` (the model the build uses) or `cargo run -p codegen --
//! MODEL.json`.

include!(concat!(env!("OUT_DIR"), "/ecr.rs"));

pub use berth_runtime::{RequestContext, error::CommonError, error::ErrorResponse};
