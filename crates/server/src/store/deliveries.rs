//! Webhook deliveries: claiming due ones for a worker, recording what each attempt got, and the
//! delivery log.
//!
//! Claims and results are written in batches — one statement claims many due deliveries, one
//! transaction records many results — so a delivery costs a fraction of a database round trip.

use std::collections::HashMap;

use sqlx::Row;

use super::{Arg, Backend, Db, Sql};
use crate::error::AppResult;

/// A delivery a worker has claimed, with what it needs to send it.
#[derive(Debug, Clone)]
pub struct Claimed {
    pub seq: i64,
    pub event_id: String,
    pub webhook_id: String,
    pub account_id: String,
    /// Attempts made before this one.
    pub attempts: i64,
    /// First attempt of this round, if there was one.
    pub window_start: Option<i64>,
    pub payload: std::sync::Arc<str>,
    pub url: String,
    pub secret: String,
}

/// Claims up to `limit` due deliveries until `lease_until`: at most `room(webhook)` of each
/// webhook (webhooks absent from `room` get `default_room`; those with no room are skipped).
/// On PostgreSQL rows another worker is claiming are skipped, not waited for.
pub async fn claim(
    db: &Db,
    now: i64,
    lease_until: i64,
    limit: i64,
    room: &HashMap<String, i64>,
    default_room: i64,
) -> AppResult<Vec<Claimed>> {
    let mut sql = Sql::new("UPDATE deliveries SET next_attempt_time = ");
    sql.push_with(
        "? WHERE seq IN (SELECT seq FROM (SELECT seq, ROW_NUMBER() OVER (PARTITION BY webhook_id ORDER BY next_attempt_time, seq) AS rn, ",
        [Arg::I64(lease_until)],
    );
    if room.is_empty() {
        sql.push_with("? AS room", [Arg::I64(default_room)]);
    } else {
        sql.push("CASE webhook_id");
        for (hook, r) in room {
            sql.push_with(" WHEN ? THEN ?", [Arg::from(hook.as_str()), Arg::I64(*r)]);
        }
        sql.push_with(" ELSE ? END AS room", [Arg::I64(default_room)]);
    }
    sql.push_with(
        " FROM (SELECT seq, webhook_id, next_attempt_time FROM deliveries WHERE status = 'pending' AND next_attempt_time <= ?",
        [Arg::I64(now)],
    );
    let full: Vec<&str> = room.iter().filter(|(_, r)| **r <= 0).map(|(h, _)| h.as_str()).collect();
    if !full.is_empty() {
        sql.push(" AND webhook_id NOT IN ").push_in(full);
    }
    sql.push_with(" ORDER BY next_attempt_time, seq LIMIT ?", [Arg::I64(limit)]);
    if db.backend == Backend::Postgres {
        sql.push(" FOR UPDATE SKIP LOCKED");
    }
    sql.push(") due) ranked WHERE rn <= room) RETURNING seq, event_id, webhook_id, account_id, attempts, window_start");
    let rows = sql.query().fetch_all(&mut *db.writer().await?).await?;
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let mut claimed = Vec::with_capacity(rows.len());
    for r in &rows {
        claimed.push(Claimed {
            seq: r.try_get(0)?,
            event_id: r.try_get(1)?,
            webhook_id: r.try_get(2)?,
            account_id: r.try_get(3)?,
            attempts: r.try_get(4)?,
            window_start: r.try_get(5)?,
            payload: "".into(),
            url: String::new(),
            secret: String::new(),
        });
    }
    // What to send: the event's stored bytes and the webhook's address and secret.
    let mut sql = Sql::new(
        "SELECT d.seq, e.payload, w.url, w.secret FROM deliveries d JOIN events e ON e.id = d.event_id \
         JOIN webhooks w ON w.id = d.webhook_id WHERE d.seq IN ",
    );
    let seqs: Vec<String> = claimed.iter().map(|c| c.seq.to_string()).collect();
    sql.push("(").push(&seqs.join(", ")).push(")");
    let rows = sql.query().fetch_all(&mut *db.reader().await?).await?;
    let mut by_seq: HashMap<i64, (String, String, String)> = HashMap::with_capacity(rows.len());
    for r in rows {
        by_seq.insert(r.try_get(0)?, (r.try_get(1)?, r.try_get(2)?, r.try_get(3)?));
    }
    claimed.retain_mut(|c| match by_seq.remove(&c.seq) {
        Some((payload, url, secret)) => {
            c.payload = payload.into();
            c.url = url;
            c.secret = secret;
            true
        }
        None => false,
    });
    Ok(claimed)
}

/// What one attempt got, and what follows from it.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub seq: i64,
    pub webhook_id: String,
    pub attempt_time: i64,
    pub duration_ms: i64,
    pub status_code: Option<i64>,
    /// `address`, `connect`, `timeout`, `tls`, `status`, `body`, or none on success.
    pub error_kind: Option<&'static str>,
    pub error: Option<String>,
    pub response_headers: Option<String>,
    pub response_body: Option<String>,
    /// `delivered`, `pending` (retry at `next_attempt_time`) or `failed` (gave up).
    pub status: &'static str,
    pub next_attempt_time: Option<i64>,
    /// First attempt of the round this attempt belongs to.
    pub window_start: i64,
    /// Disable the webhook at once, for this reason (`410 Gone`).
    pub disable: Option<String>,
    /// The worker process that made the attempt.
    pub worker: std::sync::Arc<str>,
}

/// Records a batch of outcomes in one transaction: the attempt log, each delivery's new state,
/// each webhook's failing streak; disables webhooks that asked to stop (410), and those whose
/// delivery gave up after its 72 hours with no success of the webhook meanwhile. Returns the webhooks it disabled.
pub async fn record(db: &Db, outcomes: &[Outcome], now: i64) -> AppResult<Vec<String>> {
    if outcomes.is_empty() {
        return Ok(Vec::new());
    }
    let mut conn = db.writer().await?;
    let mut tx = conn.begin().await?;
    let mut attempts = Sql::new(
        "INSERT INTO delivery_attempts (delivery_seq, attempt_time, duration_ms, status_code, error_kind, error, response_headers, response_body, next_attempt_time, worker) VALUES ",
    );
    let mut updates = Sql::new("UPDATE deliveries SET status = v.status, attempts = attempts + 1, next_attempt_time = v.next_at, window_start = v.window_start, last_attempt_time = v.at, last_status_code = v.code, last_error = v.error, delivered_time = CASE WHEN v.status = 'delivered' THEN v.at ELSE NULL END FROM (");
    for (i, o) in outcomes.iter().enumerate() {
        attempts.push_with(
            if i == 0 { "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)" } else { ", (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)" },
            [
                Arg::I64(o.seq),
                Arg::I64(o.attempt_time),
                Arg::I64(o.duration_ms),
                Arg::OptI64(o.status_code),
                Arg::OptStr(o.error_kind.map(str::to_string)),
                Arg::OptStr(o.error.clone()),
                Arg::OptStr(o.response_headers.clone()),
                Arg::OptStr(o.response_body.clone()),
                Arg::OptI64(o.next_attempt_time),
                Arg::from(&*o.worker),
            ],
        );
        updates.push_with(
            if i == 0 {
                "SELECT ? AS seq, ? AS status, ? AS next_at, ? AS window_start, ? AS at, ? AS code, ? AS error"
            } else {
                " UNION ALL SELECT ?, ?, ?, ?, ?, ?, ?"
            },
            [
                Arg::I64(o.seq),
                Arg::from(o.status),
                Arg::OptI64(o.next_attempt_time),
                Arg::I64(o.window_start),
                Arg::I64(o.attempt_time),
                Arg::OptI64(o.status_code),
                Arg::OptStr(o.error.clone()),
            ],
        );
    }
    updates.push(") AS v WHERE deliveries.seq = v.seq AND deliveries.status = 'pending'");
    attempts.query().execute(&mut *tx).await?;
    updates.query().execute(&mut *tx).await?;

    let ok: Vec<&str> = outcomes.iter().filter(|o| o.status == "delivered").map(|o| o.webhook_id.as_str()).collect();
    if !ok.is_empty() {
        let mut sql = Sql::new("UPDATE webhooks SET failing_since = NULL WHERE failing_since IS NOT NULL AND id IN ");
        sql.push_in(ok);
        sql.query().execute(&mut *tx).await?;
    }
    let failing: Vec<&str> = outcomes.iter().filter(|o| o.status != "delivered").map(|o| o.webhook_id.as_str()).collect();
    if !failing.is_empty() {
        let mut sql = Sql::new("UPDATE webhooks SET ");
        sql.push_with("failing_since = ? WHERE failing_since IS NULL AND id IN ", [Arg::I64(now)]);
        sql.push_in(failing);
        sql.query().execute(&mut *tx).await?;
    }
    let mut disabled = Vec::new();
    for o in outcomes {
        let reason = match (&o.disable, o.status) {
            (Some(r), _) => Some((r.clone(), i64::MAX)),
            // Its 72 hours are over; the webhook goes off if nothing succeeded meanwhile.
            (None, "failed") => Some(("Deliveries failed for 72 hours.".to_string(), o.window_start)),
            _ => None,
        };
        let Some((reason, failing_before)) = reason else { continue };
        let res = sqlx::query(
            "UPDATE webhooks SET status = 'disabled', disabled_reason = $1, disabled_time = $2 \
             WHERE id = $3 AND status = 'enabled' AND failing_since <= $4",
        )
        .bind(&reason)
        .bind(now)
        .bind(&o.webhook_id)
        .bind(failing_before)
        .execute(&mut *tx)
        .await?;
        if res.rows_affected() == 1 {
            sqlx::query("UPDATE deliveries SET status = 'failed', next_attempt_time = NULL, last_error = $1 WHERE webhook_id = $2 AND status = 'pending'")
                .bind(format!("Webhook disabled: {reason}"))
                .bind(&o.webhook_id)
                .execute(&mut *tx)
                .await?;
            disabled.push(o.webhook_id.clone());
        }
    }
    tx.commit().await?;
    Ok(disabled)
}

/// Counts of deliveries by status, for tests and the benchmark.
pub async fn count_by_status(db: &Db) -> AppResult<HashMap<String, i64>> {
    let rows = sqlx::query("SELECT status, COUNT(*) FROM deliveries GROUP BY status").fetch_all(&mut *db.reader().await?).await?;
    rows.iter().map(|r| Ok((r.try_get(0)?, r.try_get(1)?))).collect()
}

/// A delivery as the log shows it.
#[derive(Debug, Clone)]
pub struct Delivery {
    pub id: String,
    pub event_id: String,
    pub event_type: String,
    pub webhook_id: String,
    pub status: String,
    pub attempts: i64,
    pub next_attempt_time: Option<i64>,
    pub last_attempt_time: Option<i64>,
    pub delivered_time: Option<i64>,
    pub creation_time: i64,
    pub log: Vec<Attempt>,
}

#[derive(Debug, Clone)]
pub struct Attempt {
    pub attempt_time: i64,
    pub duration_ms: i64,
    pub status_code: Option<i64>,
    pub error_kind: Option<String>,
    pub error: Option<String>,
    pub response_headers: Option<String>,
    pub response_body: Option<String>,
    pub next_attempt_time: Option<i64>,
    pub worker: Option<String>,
}

const COLUMNS: &str =
    "seq, id, event_id, event_type, webhook_id, status, attempts, next_attempt_time, last_attempt_time, delivered_time, creation_time";

#[derive(Default)]
pub struct DeliveryFilter {
    pub statuses: Option<Vec<String>>,
    pub event_type: Option<String>,
    pub creation: slotline_domain::time::Range,
}

/// A webhook's deliveries, newest first, each with its attempts.
pub async fn list(
    db: &Db,
    account_id: &str,
    webhook_id: &str,
    f: &DeliveryFilter,
    req: &super::page::PageRequest,
) -> AppResult<(Vec<Delivery>, super::page::Page)> {
    let mut filters = vec![("webhook_id = ?", Arg::from(webhook_id))];
    if let Some(v) = f.creation.gt {
        filters.push(("creation_time > ?", Arg::I64(v)));
    }
    if let Some(v) = f.creation.lt {
        filters.push(("creation_time < ?", Arg::I64(v)));
    }
    if let Some(t) = &f.event_type {
        filters.push(("event_type = ?", Arg::from(t.as_str())));
    }
    let any_of = f.statuses.clone().map(|s| ("status", s));
    let q = super::page::ListQuery { table: "deliveries", columns: COLUMNS, what: "delivery", account_id, filters, any_of };
    let page = super::page::fetch(db, &q, req).await?;
    let mut out = Vec::with_capacity(page.rows.len());
    for r in &page.rows {
        out.push(Delivery {
            id: r.try_get("id")?,
            event_id: r.try_get("event_id")?,
            event_type: r.try_get("event_type")?,
            webhook_id: r.try_get("webhook_id")?,
            status: r.try_get("status")?,
            attempts: r.try_get("attempts")?,
            next_attempt_time: r.try_get("next_attempt_time")?,
            last_attempt_time: r.try_get("last_attempt_time")?,
            delivered_time: r.try_get("delivered_time")?,
            creation_time: r.try_get("creation_time")?,
            log: Vec::new(),
        });
    }
    if !out.is_empty() {
        let mut sql = Sql::new(
            "SELECT d.id, a.attempt_time, a.duration_ms, a.status_code, a.error_kind, a.error, a.response_headers, a.response_body, a.next_attempt_time, a.worker \
             FROM delivery_attempts a JOIN deliveries d ON d.seq = a.delivery_seq WHERE d.id IN ",
        );
        sql.push_in(out.iter().map(|d| d.id.as_str())).push(" ORDER BY a.seq");
        let rows = sql.query().fetch_all(&mut *db.reader().await?).await?;
        let mut by_id: HashMap<String, Vec<Attempt>> = HashMap::new();
        for r in rows {
            by_id.entry(r.try_get(0)?).or_default().push(Attempt {
                attempt_time: r.try_get(1)?,
                duration_ms: r.try_get(2)?,
                status_code: r.try_get(3)?,
                error_kind: r.try_get(4)?,
                error: r.try_get(5)?,
                response_headers: r.try_get(6)?,
                response_body: r.try_get(7)?,
                next_attempt_time: r.try_get(8)?,
                worker: r.try_get(9)?,
            });
        }
        for d in &mut out {
            d.log = by_id.remove(&d.id).unwrap_or_default();
        }
    }
    Ok((out, page))
}

/// Sends an event again to `webhook_id` (subscribed or not), or to every enabled webhook that
/// has a delivery of it or is subscribed to it: each delivery becomes pending, due now, with a
/// fresh 72 hours. Returns the ids of the deliveries queued.
pub async fn redeliver(
    db: &Db,
    account_id: &str,
    event: &super::outbox::NewEvent,
    webhook_id: Option<&str>,
    now: i64,
) -> AppResult<Vec<String>> {
    let mut conn = db.writer().await?;
    let mut tx = conn.begin().await?;
    // Webhooks without a delivery of it yet (created after the event, or named) get one.
    let fresh = super::outbox::NewEvent { creation_time: now, ..event.clone() };
    super::outbox::fan_out(&mut tx, account_id, &fresh, webhook_id).await?;
    let ids = requeue(&mut tx, account_id, &event.id, webhook_id, now).await?;
    tx.commit().await?;
    db.outbox_written();
    Ok(ids)
}

async fn requeue(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    account_id: &str,
    event_id: &str,
    webhook_id: Option<&str>,
    now: i64,
) -> AppResult<Vec<String>> {
    let mut sql = Sql::new("UPDATE deliveries SET ");
    sql.push_with(
        "status = 'pending', next_attempt_time = ?, window_start = NULL WHERE account_id = ? AND event_id = ? \
         AND webhook_id IN (SELECT id FROM webhooks WHERE status = 'enabled' AND deleted = 0)",
        [Arg::I64(now), Arg::from(account_id), Arg::from(event_id)],
    );
    if let Some(w) = webhook_id {
        sql.push_with(" AND webhook_id = ?", [Arg::from(w)]);
    }
    sql.push(" RETURNING id");
    let rows = sql.query().fetch_all(&mut **tx).await?;
    let mut ids: Vec<String> = rows.iter().map(|r| r.try_get(0)).collect::<Result<_, _>>()?;
    ids.sort();
    Ok(ids)
}

/// Queues again every failed delivery of a webhook created at or after `since`. Returns how many.
pub async fn recover(db: &Db, account_id: &str, webhook_id: &str, since: i64, now: i64) -> AppResult<u64> {
    let done = sqlx::query(
        "UPDATE deliveries SET status = 'pending', next_attempt_time = $1, window_start = NULL \
         WHERE account_id = $2 AND webhook_id = $3 AND status = 'failed' AND creation_time >= $4",
    )
    .bind(now)
    .bind(account_id)
    .bind(webhook_id)
    .bind(since)
    .execute(&mut *db.writer().await?)
    .await?;
    db.outbox_written();
    Ok(done.rows_affected())
}
