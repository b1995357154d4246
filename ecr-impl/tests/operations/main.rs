//! The eleven batch-1 operations, called through the built service as the server calls them,
//! against the in-memory backend. One test binary (modules by topic) to keep link time down.

// `path` makes the suite's own `mod` items resolve beside it, here, so storage-sqlite's
// tests can include the same files.
#[path = "suite.rs"]
mod suite;

/// Store answers no real backend gives yet (images, failures): in-memory only.
mod backend;

use suite::common;

/// What `common::ecr()` builds: the in-memory backend.
fn backend_under_test() -> ecr_impl::Ecr {
    ecr_impl::Ecr::in_memory()
}
