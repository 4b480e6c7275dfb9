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
    sql.push_with("? WHERE seq IN (SELECT seq FROM (SELECT seq, ROW_NUMBER() OVER (PARTITION BY webhook_id ORDER BY next_attempt_time, seq) AS rn, ", [Arg::I64(lease_until)]);
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
        "INSERT INTO delivery_attempts (delivery_seq, attempt_time, duration_ms, status_code, error_kind, error, response_headers, response_body, next_attempt_time) VALUES ",
    );
    let mut updates = Sql::new("UPDATE deliveries SET status = v.status, attempts = attempts + 1, next_attempt_time = v.next_at, window_start = v.window_start, last_attempt_time = v.at, last_status_code = v.code, last_error = v.error, delivered_time = CASE WHEN v.status = 'delivered' THEN v.at ELSE NULL END FROM (");
    for (i, o) in outcomes.iter().enumerate() {
        attempts.push_with(
            if i == 0 { "(?, ?, ?, ?, ?, ?, ?, ?, ?)" } else { ", (?, ?, ?, ?, ?, ?, ?, ?, ?)" },
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
