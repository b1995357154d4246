//! The operation tests every state backend must pass, by topic. Two test binaries run
//! them: this crate's (`main.rs`, in memory) and storage-sqlite's (`tests/operations.rs`,
//! SQLite in a data directory). Each names its backend in a `backend_under_test()` at its
//! root, which [`common::ecr`] calls; the modules here reach `common` as `crate::common`,
//! which each root re-exports.

pub mod common;

mod concurrency;
mod create;
mod delete;
mod describe;
mod isolation;
mod policy;
mod settings;
mod tagging;
mod wire;
