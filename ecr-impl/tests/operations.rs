//! The backend suite (the `store-suite` crate: the eleven batch-1 operations called through
//! the generated service as the server calls them) against the in-memory backend.

use ecr_impl::store::memory::MemoryMeta;
use store_suite::TestStore;

fn new_store() -> TestStore {
    TestStore::new(MemoryMeta::new())
}

store_suite::store_suite!(new_store);
