//! The conformance runner: for every operation a running Berth implements, inputs generated
//! from the Smithy model (through the generator's own IR, so constraints, required members,
//! enums and patterns have one source), sent over HTTP and judged against the model.
//!
//! - [`model`]: the resolved service and its compiled patterns;
//! - [`strings`]: strings that match a pattern with an exact length, and ones that do not;
//! - [`generate`]: the variants of an operation; [`check`]: the model's constraints over
//!   JSON, for inputs (violations) and outputs (conformance);
//! - [`fixture`] and [`ecr`]: what the model cannot say (existing ids, valid documents,
//!   the calls that prepare state);
//! - [`run`]: sending and judging; [`report`]: the table; [`path`]: member paths as the
//!   service names them; [`http`]: a tiny HTTP/1.1 client (also used by `berth-bench`).
//!
//! All of the above takes its expectations from the model, so it cannot catch a resolver
//! bug. Two checks do not: [`crosscheck`] holds the resolved constraints against botocore's
//! own description of the service, and [`golden`] replays real ECR answers written by hand.

pub mod check;
pub mod crosscheck;
pub mod ecr;
pub mod fixture;
pub mod generate;
pub mod golden;
pub mod http;
pub mod model;
pub mod path;
pub mod report;
pub mod run;
pub mod strings;

/// Berth's config for the ECR model (`aws-models/ecr.pin`): the runner finds the model and
/// its codegen settings through it, as the build does.
pub fn ecr_config() -> Result<codegen::config::Config, String> {
    codegen::config::Config::load(std::path::Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../aws-models/ecr.pin"
    )))
}
