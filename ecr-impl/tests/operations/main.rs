//! The eleven batch-1 operations, called through the EcrApi trait as the server calls them.
//! One test binary (modules by topic) to keep link time down.

mod common;

mod backend;
mod concurrency;
mod create;
mod delete;
mod describe;
mod isolation;
mod policy;
mod settings;
mod tagging;
mod wire;
