//! Berth's durable metadata: [`SqliteStore`] implements ecr-impl's metadata interface
//! ([`ecr_impl::store::meta::MetaStore`]) on an embedded SQLite database (compiled in)
//! inside a data directory, so `berth --data-dir DIR` keeps every account's and region's
//! repositories, images, tags, layers and upload sessions across restarts and crashes.
//! ecr-impl does not know which backend runs; this crate is the only one that links SQLite.
//! It only stores: ecr-impl's jobs hold every rule, and run here through `tx`'s
//! `SqliteTx`, read jobs in one snapshot (`readers`), write jobs in one savepoint each
//! (`writer`).
//!
//! What it guarantees:
//! - a write job is answered only once it is on disk (WAL, `synchronous=FULL`, one fsync
//!   per group of jobs: `writer`), and each job is one transaction's savepoint, so it is
//!   kept entirely (when it answers `Ok`) or not at all, whenever the process dies;
//! - one process per directory (`lock`); a second one is refused;
//! - a database it must not touch (a newer schema, not Berth's, damaged) is refused before
//!   anything is written (`inspect`); the schema moves forward by ordered migrations
//!   (`schema`), each kept entirely or not at all;
//! - what is on disk is spelled in storage's own encoding (`encoding`), not in the model's
//!   wire shape, so a model bump never changes the files nor makes old rows unreadable.
//!
//! The directory's layout, including where blobs go, is in [`layout`].
//!
//! ```no_run
//! # fn main() -> Result<(), storage_sqlite::OpenError> {
//! let ecr = ecr_impl::Ecr::with_store(storage_sqlite::SqliteStore::open("/var/lib/berth")?);
//! # drop(ecr); Ok(())
//! # }
//! ```

mod documents;
mod encoding;
mod error;
mod images;
mod inspect;
mod layers;
pub mod layout;
mod lock;
mod readers;
mod repositories;
pub mod schema;
mod sql;
mod store;
mod tx;
mod writer;

pub use error::OpenError;
pub use store::SqliteStore;
