//! ecr-impl's operation suite (`ecr-impl/tests/operations/suite.rs`, the very same files),
//! run against the SQLite backend: each test gets a fresh data directory.

#[path = "../../ecr-impl/tests/operations/suite.rs"]
mod suite;
mod support;

use suite::common;

/// What `common::ecr()` builds: SQLite in a scratch data directory.
fn backend_under_test() -> ecr_impl::Ecr {
    ecr_impl::Ecr::with_store(support::TempStore::new())
}
