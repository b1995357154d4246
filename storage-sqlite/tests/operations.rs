//! The backend suite (the `store-suite` crate, which ecr-impl runs in memory) against the
//! SQLite backend: each test gets a fresh data directory.

mod support;

use storage_sqlite::SqliteStore;
use store_suite::TestStore;
use support::TempDir;

/// SQLite in a scratch data directory, removed once the store is closed.
fn new_store() -> TestStore {
    let dir = TempDir::new("store");
    let store = SqliteStore::open(dir.path().join("data")).expect("opens a new directory");
    TestStore::new(store).dropping_after(dir)
}

store_suite::store_suite!(new_store);
