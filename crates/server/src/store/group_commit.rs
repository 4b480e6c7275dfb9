//! Group commit for SQLite write batches.
//!
//! SQLite has one writer. When every write batch is its own transaction, each one pays a
//! commit (its changed pages written to the WAL, though most are the same index pages the next
//! booking changes again) and a hand-over of the writer from one request to the next, which on
//! a busy two-core machine costs as much as the write itself (BENCHMARKS.md). Here one task
//! owns the hand-over: it takes every batch waiting, runs each inside its own savepoint of one
//! transaction, and commits once. A batch that fails (an overlap refused by the trigger, a
//! unique key) is rolled back to its savepoint alone; the others still commit. Callers see the
//! same result as before: their batch committed, or an error and nothing of it written.

use sqlx::{any::AnyRow, Executor};
use tokio::sync::{mpsc, oneshot};

use super::{
    conn::Conns,
    sql::{per_statement_partial, renumber, Arg},
};

/// Batches committed together at most; more wait for the next group.
const MAX_GROUP: usize = 32;

type Rows = Vec<Vec<AnyRow>>;

struct Job {
    stmts: Vec<(String, Vec<Arg>)>,
    reply: oneshot::Sender<Result<Rows, sqlx::Error>>,
}

/// Batches waiting for the writer at most; one more is refused at once as busy (nothing
/// written), so a writer that cannot keep up never queues requests without bound.
const MAX_WAITING: usize = 4096;

/// The queue in front of the SQLite writer.
#[derive(Clone)]
pub struct GroupCommit {
    jobs: mpsc::UnboundedSender<Job>,
    waiting: std::sync::Arc<std::sync::atomic::AtomicUsize>,
}

/// Counts a batch out of the queue however its wait ends (answered, or the caller gone).
struct Waiting(std::sync::Arc<std::sync::atomic::AtomicUsize>);

impl Drop for Waiting {
    fn drop(&mut self) {
        self.0.fetch_sub(1, std::sync::atomic::Ordering::Relaxed);
    }
}

impl GroupCommit {
    /// Starts the committing task over the write connection(s).
    pub fn start(write: Conns) -> GroupCommit {
        let (tx, rx) = mpsc::unbounded_channel();
        tokio::spawn(run(write, rx));
        GroupCommit {
            jobs: tx,
            waiting: Default::default(),
        }
    }

    /// Runs `stmts` as one all-or-nothing unit; the rows of each statement.
    pub async fn submit(&self, stmts: Vec<(String, Vec<Arg>)>) -> Result<Rows, sqlx::Error> {
        use std::sync::atomic::Ordering;
        if self.waiting.fetch_add(1, Ordering::Relaxed) >= MAX_WAITING {
            self.waiting.fetch_sub(1, Ordering::Relaxed);
            return Err(sqlx::Error::PoolTimedOut);
        }
        let _waiting = Waiting(self.waiting.clone());
        let (reply, answer) = oneshot::channel();
        self.jobs
            .send(Job { stmts, reply })
            .map_err(|_| sqlx::Error::PoolClosed)?;
        answer
            .await
            .map_err(|_| sqlx::Error::Protocol("the group commit task stopped".into()))?
    }
}

async fn run(write: Conns, mut rx: mpsc::UnboundedReceiver<Job>) {
    while let Some(first) = rx.recv().await {
        let mut jobs = vec![first];
        while jobs.len() < MAX_GROUP {
            match rx.try_recv() {
                Ok(j) => jobs.push(j),
                Err(_) => break,
            }
        }
        let mut conn = match write.get().await {
            Ok(c) => c,
            Err(e) => {
                // Nothing of these batches was written: a wait that ran out says so (busy).
                let timed_out = matches!(e, sqlx::Error::PoolTimedOut);
                let message = e.to_string();
                for j in jobs {
                    let _ = j.reply.send(Err(if timed_out {
                        sqlx::Error::PoolTimedOut
                    } else {
                        sqlx::Error::Protocol(message.clone())
                    }));
                }
                continue;
            }
        };
        let results = if jobs.len() == 1 {
            vec![alone(&mut conn, &jobs[0].stmts).await]
        } else {
            together(&mut conn, &jobs).await
        };
        for (job, result) in jobs.into_iter().zip(results) {
            let _ = job.reply.send(result);
        }
    }
}

/// `stmts` as one multi-statement text, `$n` numbered across it, between `head` and `tail`.
fn text(head: &str, stmts: &[(String, Vec<Arg>)], tail: &str) -> (String, Vec<Arg>) {
    let mut text = String::from(head);
    let mut args = Vec::new();
    for (stmt, stmt_args) in stmts {
        text.push_str(&renumber(stmt, args.len()));
        text.push_str(";\n");
        args.extend(stmt_args.iter().cloned());
    }
    text.push_str(tail);
    (text, args)
}

/// One batch, one transaction, one round trip to the connection's thread.
async fn alone(
    conn: &mut sqlx::AnyConnection,
    stmts: &[(String, Vec<Arg>)],
) -> Result<Rows, sqlx::Error> {
    let (sql, args) = text("BEGIN IMMEDIATE;\n", stmts, "COMMIT;");
    let (mut rows, err) = per_statement_partial(conn, &sql, &args).await;
    if let Some(e) = err {
        let _ = conn.execute("ROLLBACK").await;
        return Err(e);
    }
    // Without BEGIN and COMMIT.
    rows.pop();
    rows.remove(0);
    Ok(rows)
}

/// Several batches in one transaction, each in a savepoint: one round trip per batch (the
/// first also opens the transaction) and one commit. Each batch keeps its own text, the same from
/// group to group, so SQLite's prepared statements are reused (one text for a whole group, which
/// changes with its make-up, measured slower: every group re-prepared its statements).
async fn together(conn: &mut sqlx::AnyConnection, jobs: &[Job]) -> Vec<Result<Rows, sqlx::Error>> {
    let mut out: Vec<Result<Rows, sqlx::Error>> = Vec::with_capacity(jobs.len());
    let mut open = false;
    for job in jobs {
        let head = if open {
            "SAVEPOINT g;\n"
        } else {
            "BEGIN IMMEDIATE;\nSAVEPOINT g;\n"
        };
        let (sql, args) = text(head, &job.stmts, "RELEASE g;");
        let (mut rows, err) = per_statement_partial(conn, &sql, &args).await;
        let opened = usize::from(!open);
        match err {
            None => {
                open = true;
                rows.pop();
                rows.drain(..opened + 1);
                out.push(Ok(rows));
            }
            Some(e) if !open && rows.is_empty() => {
                // BEGIN itself failed: nothing is open; the next batch tries again.
                out.push(Err(e));
            }
            Some(e) => {
                open = true;
                // Undo this batch alone. If SQLite already rolled the whole transaction back
                // (full disk, I/O error), the savepoint is gone: everything fails.
                if conn.execute("ROLLBACK TO g; RELEASE g;").await.is_err() {
                    let message = e.to_string();
                    let _ = conn.execute("ROLLBACK").await;
                    out.push(Err(e));
                    return fail_all(out, jobs.len(), &message);
                }
                out.push(Err(e));
            }
        }
    }
    if open {
        if let Err(e) = conn.execute("COMMIT").await {
            let message = e.to_string();
            let _ = conn.execute("ROLLBACK").await;
            return fail_all(out, jobs.len(), &message);
        }
    }
    out
}

/// Every batch failed (the transaction did not commit).
fn fail_all(
    done: Vec<Result<Rows, sqlx::Error>>,
    n: usize,
    message: &str,
) -> Vec<Result<Rows, sqlx::Error>> {
    let mut out: Vec<Result<Rows, sqlx::Error>> = done
        .into_iter()
        .map(|r| {
            r.and_then(|_| {
                Err(sqlx::Error::Protocol(format!(
                    "group commit failed: {message}"
                )))
            })
        })
        .collect();
    while out.len() < n {
        out.push(Err(sqlx::Error::Protocol(format!(
            "group commit failed: {message}"
        ))));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_batch_numbers_placeholders_across_its_statements() {
        let stmts = vec![
            (
                "INSERT INTO a VALUES ($1, $2, $1)".to_string(),
                vec![Arg::I64(1), Arg::I64(2)],
            ),
            (
                "UPDATE b SET x = $1 WHERE y = $2 AND z = $10".to_string(),
                vec![Arg::I64(3), Arg::I64(4)],
            ),
        ];
        let (sql, args) = text("BEGIN IMMEDIATE;\n", &stmts, "COMMIT;");
        assert_eq!(sql, "BEGIN IMMEDIATE;\nINSERT INTO a VALUES ($1, $2, $1);\nUPDATE b SET x = $3 WHERE y = $4 AND z = $12;\nCOMMIT;");
        assert_eq!(args.len(), 4);
    }
}
