//! Running SQL on a connection the way every module here does: through its statement
//! cache, so a statement is parsed once per connection, not once per request; and the
//! conversions between Rust's numbers and SQLite's 64-bit integers.

use ecr_impl::store::StoreError;
use rusqlite::Connection;

use crate::error::damaged_row;

/// Statements a connection keeps prepared: room for every statement Berth runs.
pub const CACHED_STATEMENTS: usize = 128;

/// Runs one statement that returns no rows (transaction control, mostly).
pub fn run(conn: &Connection, sql: &str) -> rusqlite::Result<()> {
    conn.prepare_cached(sql)?.execute([]).map(drop)
}

/// A page size as a `LIMIT` (one beyond i64 is no limit either).
pub fn limit(limit: usize) -> i64 {
    i64::try_from(limit).unwrap_or(i64::MAX)
}

/// A size or count as SQLite's integer. One past i64::MAX (8 EiB) cannot come from a
/// request; it is refused rather than wrapped.
pub fn to_integer(value: u64, what: &str) -> Result<i64, StoreError> {
    i64::try_from(value)
        .map_err(|_| StoreError::Unavailable(format!("{what} {value} is too large to store")))
}

/// A stored size or count; a negative one is a damaged row.
pub fn to_unsigned<T: TryFrom<i64>>(value: i64, what: &str) -> Result<T, StoreError> {
    T::try_from(value).map_err(|_| damaged_row(what, format!("out of range: {value}")))
}

/// A write that must change exactly one row changed `changed`: none means the job wrote to
/// a row that is not there, a bug reported rather than silently dropped.
pub fn expect_one_row(changed: usize, what: impl FnOnce() -> String) -> Result<(), StoreError> {
    match changed {
        1 => Ok(()),
        _ => Err(StoreError::Unavailable(format!(
            "no {} to update in the database",
            what()
        ))),
    }
}

#[cfg(test)]
pub mod tests {
    use rusqlite::Connection;

    /// How SQLite runs `sql` on a database at the latest schema (the plan's details, `; `
    /// between steps).
    pub fn plan(sql: &str) -> String {
        let mut conn = Connection::open_in_memory().unwrap();
        crate::schema::migrate(&mut conn).unwrap();
        let mut statement = conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}")).unwrap();
        let unbound = std::iter::repeat_n(rusqlite::types::Null, statement.parameter_count());
        let details: Vec<String> = statement
            .query_map(rusqlite::params_from_iter(unbound), |row| row.get(3))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap();
        details.join("; ")
    }
}
