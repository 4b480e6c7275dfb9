//! Retention: the history the server stops keeping. The attempt log, events none of whose
//! deliveries is pending (with those deliveries and their attempts) and idempotency records are
//! removed once older than their periods, oldest first, in small batches: each batch is one short
//! transaction, so a writer never waits on a long delete. Nothing pending is removed: an event
//! stays, with its deliveries, while any of them may still be sent.

use slotline_domain::id::EventId;
use sqlx::Row;

use super::error::StoreResult;
use super::{Arg, Backend, Batch, Db};

/// Runs a batch delete whose `$1` is the time bound and `$2` the batch size; how many it removed.
async fn delete(db: &Db, sql: &str, before: i64, batch: i64) -> StoreResult<u64> {
    let done = sqlx::query(sql)
        .bind(before)
        .bind(batch)
        .execute(&mut *db.writer().await?)
        .await?;
    Ok(done.rows_affected())
}

/// Removes up to `batch` of the oldest attempts (by `seq`), those logged before `before`.
/// Returns how many; fewer than `batch` means the oldest left are younger (attempts are logged
/// in time order, give or take a lease).
pub async fn attempts(db: &Db, before: i64, batch: i64) -> StoreResult<u64> {
    let sql = format!(
        "DELETE FROM delivery_attempts WHERE seq IN (SELECT seq FROM delivery_attempts ORDER BY seq LIMIT $2{}) \
         AND attempt_time < $1",
        db.backend.skip_locked()
    );
    delete(db, &sql, before, batch).await
}

/// A batch of events looked at by [`events`].
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct EventBatch {
    pub events: u64,
    pub deliveries: u64,
    /// The last event looked at (the next batch starts after it); None when the batch reached
    /// events made at or after `before`, or the end.
    pub next: Option<i64>,
}

/// Looks at up to `batch` events after `after` (by `seq`) and removes those made before
/// `before` none of whose deliveries is pending, with their deliveries and attempts.
pub async fn events(db: &Db, after: i64, before: i64, batch: i64) -> StoreResult<EventBatch> {
    let rows = sqlx::query(
        "SELECT seq, id, creation_time FROM events WHERE seq > $1 ORDER BY seq LIMIT $2",
    )
    .bind(after)
    .bind(batch)
    .fetch_all(&mut *db.reader().await?)
    .await?;
    let mut old: Vec<EventId> = Vec::with_capacity(rows.len());
    let mut next = None;
    let mut reached_young = false;
    for r in &rows {
        if r.try_get::<i64, _>(2)? >= before {
            reached_young = true;
            break;
        }
        next = Some(r.try_get::<i64, _>(0)?);
        old.push(r.try_get(1)?);
    }
    if reached_young || (rows.len() as i64) < batch {
        next = None;
    }
    if old.is_empty() {
        return Ok(EventBatch {
            next,
            ..EventBatch::default()
        });
    }
    let ids = serde_json::to_string(&old)?;
    let idle = "NOT EXISTS (SELECT 1 FROM deliveries p WHERE p.event_id = events.id AND p.status = 'pending')";
    let (events, deliveries) = match db.backend {
        // The events are locked first, then checked and removed by a second statement, whose
        // snapshot is taken with the locks held: a redelivery (which locks its event too) that
        // committed before is seen pending and keeps the event; one after waits, then finds
        // the event gone and queues nothing.
        Backend::Postgres => {
            let mut conn = db.writer().await?;
            let mut tx = conn.begin().await?;
            let locked = sqlx::query(&format!(
                "SELECT id FROM events WHERE id IN {} FOR UPDATE SKIP LOCKED",
                Backend::Postgres.json_values(1, "text")
            ))
            .bind(&ids)
            .fetch_all(&mut *tx)
            .await?;
            let locked = locked
                .iter()
                .map(|r| r.try_get::<String, _>(0))
                .collect::<Result<Vec<_>, _>>()?;
            let sql = format!(
                "WITH e AS (SELECT id FROM events WHERE id IN {} AND {idle}), \
                 d AS (DELETE FROM deliveries WHERE event_id IN (SELECT id FROM e) RETURNING seq), \
                 a AS (DELETE FROM delivery_attempts WHERE delivery_seq IN (SELECT seq FROM d)), \
                 x AS (DELETE FROM events WHERE id IN (SELECT id FROM e) RETURNING seq) \
                 SELECT (SELECT COUNT(*) FROM x), (SELECT COUNT(*) FROM d)",
                Backend::Postgres.json_values(1, "text")
            );
            let row = sqlx::query(&sql)
                .bind(serde_json::to_string(&locked)?)
                .fetch_one(&mut *tx)
                .await?;
            tx.commit().await?;
            (row.try_get::<i64, _>(0)?, row.try_get::<i64, _>(1)?)
        }
        // One writer: the three statements run in one transaction with nothing between them.
        Backend::Sqlite => {
            let chosen = format!(
                "SELECT id FROM events WHERE id IN {} AND {idle}",
                Backend::Sqlite.json_values(1, "text")
            );
            let mut batch = Batch::default();
            batch.push(
                format!(
                    "DELETE FROM delivery_attempts WHERE delivery_seq IN \
                     (SELECT seq FROM deliveries WHERE event_id IN ({chosen}))"
                ),
                vec![Arg::from(ids.as_str())],
            );
            batch.push(
                format!("DELETE FROM deliveries WHERE event_id IN ({chosen}) RETURNING seq"),
                vec![Arg::from(ids.as_str())],
            );
            batch.push(
                format!("DELETE FROM events WHERE id IN ({chosen}) RETURNING seq"),
                vec![Arg::from(ids)],
            );
            let rows = batch.run(db).await?;
            let count = |i: usize| rows.get(i).map_or(0, |r| r.len() as i64);
            (count(2), count(1))
        }
    };
    Ok(EventBatch {
        events: events as u64,
        deliveries: deliveries as u64,
        next,
    })
}

/// Removes up to `batch` idempotency records made before `before`. Returns how many.
pub async fn idempotency(db: &Db, before: i64, batch: i64) -> StoreResult<u64> {
    let sql = format!(
        "DELETE FROM idempotency_keys WHERE (account_id, key) IN \
         (SELECT account_id, key FROM idempotency_keys WHERE creation_time < $1 ORDER BY creation_time LIMIT $2{})",
        db.backend.skip_locked()
    );
    delete(db, &sql, before, batch).await
}

/// The oldest history kept: the first attempt's time and the first event's, if any.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Oldest {
    pub attempt: Option<i64>,
    pub event: Option<i64>,
}

/// Reads the front of each log (one row each, by primary key).
pub async fn oldest(db: &Db) -> StoreResult<Oldest> {
    let mut conn = db.reader().await?;
    let attempt = sqlx::query("SELECT MIN(attempt_time) FROM (SELECT attempt_time FROM delivery_attempts ORDER BY seq LIMIT 100) f")
        .fetch_one(&mut *conn)
        .await?
        .try_get(0)?;
    let event = sqlx::query("SELECT MIN(creation_time) FROM (SELECT creation_time FROM events ORDER BY seq LIMIT 100) f")
        .fetch_one(&mut *conn)
        .await?
        .try_get(0)?;
    Ok(Oldest { attempt, event })
}
