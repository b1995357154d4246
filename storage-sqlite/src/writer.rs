//! Group commit: every change goes through one writer thread, which takes all the changes
//! waiting when it is free, runs each in its own savepoint inside one transaction, commits
//! (one fsync for the lot) and only then answers each. A request is thus answered only once
//! its change is on disk, while N waiting clients share one fsync instead of paying N.
//!
//! A change answers `Ok(Ok(value))` to keep its writes; one that answers its own failure
//! (`Ok(Err(..))`: a taken name, a missing repository) or a backend failure (`Err`) is
//! rolled back to its savepoint and leaves the others in the batch alone. A commit that
//! fails answers the whole batch with the failure, and nothing of it is kept.

use std::future::Future;
use std::panic::{self, AssertUnwindSafe};
use std::sync::mpsc::{self, Receiver, Sender};
use std::thread::{self, JoinHandle};

use ecr_impl::store::StoreError;
use rusqlite::Connection;
use tokio::sync::oneshot;

use crate::error::unavailable;
use crate::sql;

/// The most changes one transaction takes: bounds how long a batch holds the others back.
pub const MAX_BATCH: usize = 256;

/// What the writer reports for requests it could not take (it has stopped).
const WRITER_STOPPED: &str = "the database writer has stopped";

/// Sends a change's outcome to its caller, once the batch's commit outcome is known.
type Settle = Box<dyn FnOnce(Result<(), &StoreError>) + Send>;

/// One change waiting for the writer.
trait Job: Send {
    /// Runs the change in its own savepoint of the batch's transaction. Returns how to
    /// answer its caller once the batch is settled, and `Err` when the transaction itself
    /// broke (the batch must then be rolled back).
    fn run(self: Box<Self>, conn: &Connection) -> (Settle, Result<(), StoreError>);

    /// Answers the caller with `error` without running the change.
    fn refuse(self: Box<Self>, error: &StoreError);
}

/// What a change answers: its value, kept (`Ok(Ok)`) or undone (`Ok(Err)`), or the
/// backend's failure (undone).
pub type Answer<T, U> = Result<Result<T, U>, StoreError>;

/// A change and the channel its caller waits on.
struct Change<T, U, F> {
    change: F,
    answer: oneshot::Sender<Answer<T, U>>,
}

impl<T, U, F> Job for Change<T, U, F>
where
    T: Send + 'static,
    U: Send + 'static,
    F: FnOnce(&Connection) -> Answer<T, U> + Send + 'static,
{
    fn run(self: Box<Self>, conn: &Connection) -> (Settle, Result<(), StoreError>) {
        let Change { change, answer } = *self;
        let (outcome, transaction) = in_savepoint(conn, change);
        let settle: Settle = Box::new(move |commit| {
            let result = match commit {
                Ok(()) => outcome,
                Err(error) => Err(error.clone()),
            };
            // The caller may have gone away (its connection closed): nothing to tell.
            let _ = answer.send(result);
        });
        (settle, transaction)
    }

    fn refuse(self: Box<Self>, error: &StoreError) {
        let _ = self.answer.send(Err(error.clone()));
    }
}

/// The handle requests send their changes through. Dropping it lets the writer finish the
/// changes already sent, then stop; the drop waits for that.
#[derive(Debug)]
pub struct Writer {
    jobs: Option<Sender<Box<dyn Job>>>,
    thread: Option<JoinHandle<()>>,
}

impl Writer {
    /// Starts the writer thread, which owns `conn` from now on.
    pub fn start(conn: Connection) -> std::io::Result<Writer> {
        let (jobs, queue) = mpsc::channel::<Box<dyn Job>>();
        let thread = thread::Builder::new()
            .name("berth-sqlite-writer".into())
            .spawn(move || run(conn, queue))?;
        Ok(Writer {
            jobs: Some(jobs),
            thread: Some(thread),
        })
    }

    /// Runs `change` in the next batch, keeping its writes only when it answers
    /// `Ok(Ok(..))`; resolves once that batch is committed (with the change's own answer),
    /// or has failed (with the failure).
    pub fn submit<T, U, F>(&self, change: F) -> impl Future<Output = Answer<T, U>> + use<T, U, F>
    where
        T: Send + 'static,
        U: Send + 'static,
        F: FnOnce(&Connection) -> Answer<T, U> + Send + 'static,
    {
        let (answer, answered) = oneshot::channel();
        let job: Box<dyn Job> = Box::new(Change { change, answer });
        let sent = self
            .jobs
            .as_ref()
            .is_some_and(|jobs| jobs.send(job).is_ok());
        async move {
            if !sent {
                return Err(StoreError::Unavailable(WRITER_STOPPED.into()));
            }
            answered
                .await
                .unwrap_or_else(|_| Err(StoreError::Unavailable(WRITER_STOPPED.into())))
        }
    }
}

impl Drop for Writer {
    fn drop(&mut self) {
        drop(self.jobs.take());
        if let Some(thread) = self.thread.take() {
            // A panic in the writer has already failed its callers; nothing more to do.
            let _ = thread.join();
        }
    }
}

/// The writer thread: batch, commit, answer, until every sender is gone.
fn run(conn: Connection, queue: Receiver<Box<dyn Job>>) {
    while let Ok(first) = queue.recv() {
        let mut batch = vec![first];
        batch.extend(queue.try_iter().take(MAX_BATCH - 1));
        commit_batch(&conn, batch);
    }
}

fn commit_batch(conn: &Connection, batch: Vec<Box<dyn Job>>) {
    if let Err(error) = sql::run(conn, "BEGIN IMMEDIATE") {
        let error = unavailable(error);
        batch.into_iter().for_each(|job| job.refuse(&error));
        return;
    }
    let mut settles = Vec::with_capacity(batch.len());
    let mut broken: Option<StoreError> = None;
    for job in batch {
        match &broken {
            Some(error) => job.refuse(error),
            None => {
                let (settle, transaction) = job.run(conn);
                settles.push(settle);
                broken = transaction.err();
            }
        }
    }
    let outcome = match broken {
        None => sql::run(conn, "COMMIT").map_err(unavailable),
        Some(error) => Err(error),
    };
    if outcome.is_err() && !conn.is_autocommit() {
        // Best effort: SQLite may already have rolled back; either way nothing is kept.
        let _ = sql::run(conn, "ROLLBACK");
    }
    for settle in settles {
        settle(outcome.as_ref().map(|_| ()));
    }
}

/// Runs `change` so that its writes are kept only if it answers `Ok(Ok(..))`; a panic
/// inside it is caught and undone like a backend failure, so the writer keeps serving.
/// Returns the change's answer, and `Err` when the surrounding transaction is no longer
/// sound.
fn in_savepoint<T, U>(
    conn: &Connection,
    change: impl FnOnce(&Connection) -> Answer<T, U>,
) -> (Answer<T, U>, Result<(), StoreError>) {
    let broken = |error: rusqlite::Error| {
        let error = unavailable(error);
        (Err(error.clone()), Err(error))
    };
    if let Err(error) = sql::run(conn, "SAVEPOINT change") {
        return broken(error);
    }
    let outcome = panic::catch_unwind(AssertUnwindSafe(|| change(conn))).unwrap_or_else(|_| {
        Err(StoreError::Unavailable(
            "a change failed unexpectedly and was undone".into(),
        ))
    });
    let end = match outcome {
        Ok(Ok(_)) => sql::run(conn, "RELEASE change"),
        Ok(Err(_)) | Err(_) => {
            sql::run(conn, "ROLLBACK TO change").and_then(|()| sql::run(conn, "RELEASE change"))
        }
    };
    if let Err(error) = end {
        return broken(error);
    }
    if conn.is_autocommit() {
        // SQLite rolled the whole transaction back on its own (e.g. disk full).
        let error = StoreError::Unavailable("the transaction was rolled back".into());
        return (Err(error.clone()), Err(error));
    }
    (outcome, Ok(()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table() -> Connection {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch("CREATE TABLE t (v TEXT PRIMARY KEY)")
            .unwrap();
        conn
    }

    /// A change's own failure, as a job answers it.
    #[derive(Debug, PartialEq)]
    struct Refused;

    fn put(conn: &Connection, v: &str) -> Result<(), StoreError> {
        conn.execute("INSERT INTO t VALUES (?1)", [v])
            .map(drop)
            .map_err(unavailable)
    }

    fn insert(v: &'static str) -> impl FnOnce(&Connection) -> Answer<(), Refused> + Send {
        move |conn| put(conn, v).map(Ok)
    }

    fn rows(conn: &Connection) -> Vec<String> {
        let mut statement = conn.prepare("SELECT v FROM t ORDER BY v").unwrap();
        statement
            .query_map([], |row| row.get(0))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap()
    }

    type Waiting<T, U> = oneshot::Receiver<Answer<T, U>>;

    fn job<T, U, F>(change: F) -> (Box<dyn Job>, Waiting<T, U>)
    where
        T: Send + 'static,
        U: Send + 'static,
        F: FnOnce(&Connection) -> Answer<T, U> + Send + 'static,
    {
        let (answer, answered) = oneshot::channel();
        (Box::new(Change { change, answer }), answered)
    }

    #[test]
    fn a_refused_or_failed_change_is_undone_and_the_rest_of_its_batch_kept() {
        let conn = table();
        let (first, first_answer) = job(insert("a"));
        // Writes, then refuses: its write must not survive.
        let (refusing, refusing_answer) = job(|conn: &Connection| -> Answer<(), Refused> {
            put(conn, "b")?;
            Ok(Err(Refused))
        });
        // Writes, then meets a backend failure (a statement that fails).
        let (failing, failing_answer) = job(|conn: &Connection| {
            put(conn, "c")?;
            insert("a")(conn)
        });
        let (last, mut last_answer) = job(insert("d"));
        commit_batch(&conn, vec![first, refusing, failing, last]);
        assert_eq!(rows(&conn), ["a", "d"]);
        assert_eq!(first_answer.blocking_recv().unwrap(), Ok(Ok(())));
        assert_eq!(refusing_answer.blocking_recv().unwrap(), Ok(Err(Refused)));
        assert!(matches!(
            failing_answer.blocking_recv().unwrap(),
            Err(StoreError::Unavailable(_))
        ));
        assert_eq!(last_answer.try_recv().unwrap(), Ok(Ok(())));
        assert!(conn.is_autocommit(), "the batch's transaction is closed");
    }

    #[test]
    fn a_batch_whose_transaction_breaks_keeps_nothing_and_says_so() {
        let conn = table();
        let (first, first_answer) = job(insert("a"));
        // What SQLite does on its own after some errors (disk full): the whole
        // transaction is gone.
        let (breaking, _) = job(|conn: &Connection| -> Answer<(), Refused> {
            conn.execute_batch("ROLLBACK").map_err(unavailable)?;
            Ok(Ok(()))
        });
        let (after, after_answer) = job(insert("c"));
        commit_batch(&conn, vec![first, breaking, after]);
        assert_eq!(rows(&conn), Vec::<String>::new());
        for answer in [first_answer, after_answer] {
            assert!(matches!(
                answer.blocking_recv().unwrap(),
                Err(StoreError::Unavailable(_))
            ));
        }
    }

    #[test]
    fn a_panicking_change_is_undone_and_the_writer_keeps_serving() {
        let writer = Writer::start(table()).unwrap();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        runtime.block_on(async {
            let panicked = writer
                .submit(|conn: &Connection| -> Answer<(), Refused> {
                    put(conn, "lost")?;
                    panic!("a bug in a change");
                })
                .await;
            assert!(matches!(panicked, Err(StoreError::Unavailable(_))));
            writer.submit(insert("kept")).await.unwrap().unwrap();
            let kept = writer
                .submit(|conn: &Connection| -> Answer<_, Refused> { Ok(Ok(rows(conn))) })
                .await;
            assert_eq!(kept.unwrap().unwrap(), ["kept"]);
        });
    }

    #[test]
    fn changes_sent_before_the_writer_is_dropped_are_all_done() {
        let writer = Writer::start(table()).unwrap();
        let answers: Vec<_> = ["a", "b", "c"]
            .into_iter()
            .map(|v| writer.submit(insert(v)))
            .collect();
        drop(writer);
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        for answer in answers {
            assert_eq!(runtime.block_on(answer), Ok(Ok(())));
        }
    }
}
