//! Running SQL on a connection the way every module here does: through its statement
//! cache, so a statement is parsed once per connection, not once per request.

use rusqlite::Connection;

/// Statements a connection keeps prepared: room for every statement Berth runs.
pub const CACHED_STATEMENTS: usize = 64;

/// Runs one statement that returns no rows (transaction control, mostly).
pub fn run(conn: &Connection, sql: &str) -> rusqlite::Result<()> {
    conn.prepare_cached(sql)?.execute([]).map(drop)
}
