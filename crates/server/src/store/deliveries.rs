//! Webhook deliveries: claiming due ones for a worker, recording what each attempt got, and the
//! delivery log.
//!
//! Claims and results are written in batches — one statement claims many due deliveries, one
//! transaction records many results — so a delivery costs a fraction of a database round trip.

use std::collections::HashMap;

use slotline_domain::id::{AccountId, EventId, WebhookId};
use slotline_domain::webhook::DeliveryStatus;
use sqlx::Row;

use super::error::StoreResult;
use super::{Arg, Backend, Batch, Db, Sql};

/// A delivery a worker has claimed, with what it needs to send it.
#[derive(Debug, Clone)]
pub struct Claimed {
    pub seq: i64,
    pub event_id: EventId,
    pub webhook_id: WebhookId,
    /// Attempts made before this one.
    pub attempts: i64,
    /// First attempt of this round, if there was one.
    pub window_start: Option<i64>,
    pub payload: std::sync::Arc<str>,
    pub url: String,
    pub secret: String,
    /// The secret before a rotation and until when it still signs (see [`Claimed::secrets`]).
    pub previous_secret: Option<(String, i64)>,
    /// A FIFO webhook's delivery: the next of its booking waits for this one's end.
    pub ordered: bool,
}

impl Claimed {
    /// What to sign with at `now`: the secret, and the previous one while its grace lasts.
    pub fn secrets(&self, now: i64) -> Vec<&str> {
        let mut out = vec![self.secret.as_str()];
        if let Some((old, until)) = &self.previous_secret {
            if *until > now {
                out.push(old);
            }
        }
        out
    }
}

// Batches are bound as one JSON parameter, so each statement's text is the same whatever the
// batch size: SQLite and PostgreSQL prepare it once, and SQLite does not look up thousands of
// numbered parameters (that lookup is linear, so binding them was quadratic).

fn cached(
    cell: &'static [std::sync::OnceLock<String>; 2],
    backend: Backend,
    build: impl FnOnce() -> String,
) -> &'static str {
    cell[backend as usize].get_or_init(build)
}

/// `$1` lease end, `$2` now, `$3` limit, `$4` JSON object of room by webhook, `$5` default room,
/// `$6` the worker's name. A delivery still marked as claimed is left to [`interrupted`].
fn claim_sql(backend: Backend) -> &'static str {
    static SQL: [std::sync::OnceLock<String>; 2] =
        [std::sync::OnceLock::new(), std::sync::OnceLock::new()];
    cached(&SQL, backend, || {
        let room = format!("COALESCE({}, $5)", backend.json_object_int(4, "webhook_id"));
        let lock = backend.skip_locked();
        format!(
            "UPDATE deliveries SET next_attempt_time = $1, claimed_time = $2, claimed_by = $6 WHERE seq IN (\
               SELECT seq FROM (\
                 SELECT seq, room, ROW_NUMBER() OVER (PARTITION BY webhook_id ORDER BY next_attempt_time, seq) AS rn FROM (\
                   SELECT seq, webhook_id, next_attempt_time, {room} AS room FROM deliveries d0 \
                   WHERE status = 'pending' AND next_attempt_time <= $2 AND claimed_time IS NULL AND {room} > 0 \
                     AND (ordering_key IS NULL OR NOT EXISTS (SELECT 1 FROM deliveries p WHERE p.webhook_id = d0.webhook_id \
                       AND p.ordering_key = d0.ordering_key AND p.status = 'pending' AND p.seq < d0.seq)) \
                   ORDER BY next_attempt_time, seq LIMIT $3{lock}) due) ranked \
               WHERE rn <= room) \
             RETURNING seq, event_id, webhook_id, attempts, window_start, ordering_key"
        )
    })
}

/// `$1` JSON array of delivery seqs.
fn payloads_sql(backend: Backend) -> &'static str {
    static SQL: [std::sync::OnceLock<String>; 2] =
        [std::sync::OnceLock::new(), std::sync::OnceLock::new()];
    cached(&SQL, backend, || {
        format!(
            "SELECT d.seq, e.payload, w.url, w.secret, w.previous_secret, w.previous_secret_expiry FROM deliveries d JOIN events e ON e.id = d.event_id \
             JOIN webhooks w ON w.id = d.webhook_id WHERE d.seq IN {}",
            backend.json_values(1, "bigint")
        )
    })
}

const OUTCOME_COLUMNS: &[(&str, &str)] = &[
    ("seq", "bigint"),
    ("status", "text"),
    ("next_at", "bigint"),
    ("window_start", "bigint"),
    ("at", "bigint"),
    ("duration_ms", "bigint"),
    ("code", "bigint"),
    ("kind", "text"),
    ("error", "text"),
    ("headers", "text"),
    ("body", "text"),
];

/// `$1` JSON array of outcomes, `$2` the worker's name.
fn attempts_sql(backend: Backend) -> &'static str {
    static SQL: [std::sync::OnceLock<String>; 2] =
        [std::sync::OnceLock::new(), std::sync::OnceLock::new()];
    cached(&SQL, backend, || {
        format!(
            "INSERT INTO delivery_attempts (delivery_seq, attempt_time, duration_ms, status_code, error_kind, error, response_headers, response_body, next_attempt_time, worker) \
             SELECT v.seq, v.at, v.duration_ms, v.code, v.kind, v.error, v.headers, v.body, v.next_at, $2 FROM {}",
            backend.json_table(1, "v", OUTCOME_COLUMNS)
        )
    })
}

/// `$1` JSON array of outcomes.
fn outcomes_sql(backend: Backend) -> &'static str {
    static SQL: [std::sync::OnceLock<String>; 2] =
        [std::sync::OnceLock::new(), std::sync::OnceLock::new()];
    cached(&SQL, backend, || {
        format!(
            "UPDATE deliveries SET status = v.status, attempts = attempts + 1, next_attempt_time = v.next_at, window_start = v.window_start, \
             claimed_time = NULL, claimed_by = NULL, \
             last_attempt_time = v.at, last_status_code = v.code, last_error = v.error, \
             delivered_time = CASE WHEN v.status = 'delivered' THEN v.at ELSE NULL END \
             FROM {} WHERE deliveries.seq = v.seq AND deliveries.status = 'pending'",
            backend.json_table(1, "v", OUTCOME_COLUMNS)
        )
    })
}

/// `$1` JSON array of webhook ids.
fn webhooks_ok_sql(backend: Backend) -> &'static str {
    static SQL: [std::sync::OnceLock<String>; 2] =
        [std::sync::OnceLock::new(), std::sync::OnceLock::new()];
    cached(&SQL, backend, || {
        format!(
            "UPDATE webhooks SET failing_since = NULL WHERE failing_since IS NOT NULL AND id IN {}",
            backend.json_values(1, "text")
        )
    })
}

/// `$1` JSON array of webhook ids, `$2` now.
fn webhooks_failing_sql(backend: Backend) -> &'static str {
    static SQL: [std::sync::OnceLock<String>; 2] =
        [std::sync::OnceLock::new(), std::sync::OnceLock::new()];
    cached(&SQL, backend, || {
        format!(
            "UPDATE webhooks SET failing_since = $2 WHERE failing_since IS NULL AND id IN {}",
            backend.json_values(1, "text")
        )
    })
}

/// Claims up to `limit` due deliveries until `lease_until`: at most `room(webhook)` of each
/// webhook (webhooks absent from `room` get `default_room`; those with no room are skipped).
/// On PostgreSQL rows another worker is claiming are skipped, not waited for.
pub async fn claim(
    db: &Db,
    now: i64,
    lease_until: i64,
    limit: i64,
    room: &HashMap<WebhookId, i64>,
    default_room: i64,
    worker: &str,
) -> StoreResult<Vec<Claimed>> {
    let room_json = serde_json::to_string(room)?;
    let rows = sqlx::query(claim_sql(db.backend))
        .bind(lease_until)
        .bind(now)
        .bind(limit)
        .bind(room_json)
        .bind(default_room)
        .bind(worker)
        .fetch_all(&mut *db.writer().await?)
        .await?;
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let mut claimed = Vec::with_capacity(rows.len());
    for r in &rows {
        claimed.push(Claimed {
            seq: r.try_get(0)?,
            event_id: r.try_get(1)?,
            webhook_id: r.try_get(2)?,
            attempts: r.try_get(3)?,
            window_start: r.try_get(4)?,
            ordered: r.try_get::<Option<String>, _>(5)?.is_some(),
            payload: "".into(),
            url: String::new(),
            secret: String::new(),
            previous_secret: None,
        });
    }
    // What to send: the event's stored bytes and the webhook's address and secret.
    let seqs: Vec<i64> = claimed.iter().map(|c| c.seq).collect();
    let rows = sqlx::query(payloads_sql(db.backend))
        .bind(serde_json::to_string(&seqs)?)
        .fetch_all(&mut *db.reader().await?)
        .await?;
    type Sending = (String, String, String, Option<(String, i64)>);
    let mut by_seq: HashMap<i64, Sending> = HashMap::with_capacity(rows.len());
    for r in rows {
        let previous = match (r.try_get(4)?, r.try_get(5)?) {
            (Some(s), Some(t)) => Some((s, t)),
            _ => None,
        };
        by_seq.insert(
            r.try_get(0)?,
            (r.try_get(1)?, r.try_get(2)?, r.try_get(3)?, previous),
        );
    }
    claimed.retain_mut(|c| match by_seq.remove(&c.seq) {
        Some((payload, url, secret, previous)) => {
            c.payload = payload.into();
            c.url = url;
            c.secret = secret;
            c.previous_secret = previous;
            true
        }
        None => false,
    });
    Ok(claimed)
}

/// What the attempt log says of a claim whose worker stopped before recording its outcome.
pub const INTERRUPTED: &str =
    "The worker stopped before it recorded this attempt (its lease ran out); the request may or may not have reached the endpoint.";

/// Claims whose lease ran out before their outcome was recorded (the worker died, or could not
/// write): each becomes an `interrupted` attempt in the log, at the time it was claimed, and the
/// delivery is due again at once. Returns how many.
pub async fn interrupted(db: &Db, now: i64) -> StoreResult<u64> {
    let lost = "status = 'pending' AND claimed_time IS NOT NULL AND next_attempt_time <= $1";
    let log = "INSERT INTO delivery_attempts (delivery_seq, attempt_time, duration_ms, error_kind, error, next_attempt_time, worker) ";
    match db.backend {
        // Workers on other processes may run this at the same time: lock the lost claims, log
        // and release them in one statement.
        Backend::Postgres => {
            let sql = format!(
                "WITH lost AS (SELECT seq, claimed_time, claimed_by FROM deliveries WHERE {lost} FOR UPDATE SKIP LOCKED), \
                 released AS (UPDATE deliveries d SET claimed_time = NULL, claimed_by = NULL, attempts = attempts + 1, \
                   last_attempt_time = lost.claimed_time, last_status_code = NULL, last_error = $2, next_attempt_time = $1 \
                   FROM lost WHERE d.seq = lost.seq RETURNING d.seq) \
                 {log}SELECT lost.seq, lost.claimed_time, $1 - lost.claimed_time, 'interrupted', $2, $1, lost.claimed_by \
                 FROM lost JOIN released ON released.seq = lost.seq"
            );
            let done = sqlx::query(&sql)
                .bind(now)
                .bind(INTERRUPTED)
                .execute(&mut *db.writer().await?)
                .await?;
            Ok(done.rows_affected())
        }
        // One writer: the two statements run in one transaction with nothing between them.
        Backend::Sqlite => {
            let mut batch = Batch::default();
            batch.push(
                format!("{log}SELECT seq, claimed_time, $1 - claimed_time, 'interrupted', $2, $1, claimed_by FROM deliveries WHERE {lost}"),
                vec![Arg::I64(now), Arg::from(INTERRUPTED)],
            );
            batch.push(
                format!(
                    "UPDATE deliveries SET claimed_time = NULL, claimed_by = NULL, attempts = attempts + 1, last_attempt_time = claimed_time, \
                     last_status_code = NULL, last_error = $2, next_attempt_time = $1 WHERE {lost} RETURNING seq"
                ),
                vec![Arg::I64(now), Arg::from(INTERRUPTED)],
            );
            let rows = batch.run(db).await?;
            Ok(rows.get(1).map_or(0, |r| r.len() as u64))
        }
    }
}

/// What one attempt got, and what follows from it.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub seq: i64,
    pub webhook_id: WebhookId,
    pub attempt_time: i64,
    pub duration_ms: i64,
    pub status_code: Option<i64>,
    /// `address`, `connect`, `timeout`, `tls`, `status`, `body`, or none on success.
    pub error_kind: Option<&'static str>,
    pub error: Option<String>,
    pub response_headers: Option<String>,
    pub response_body: Option<String>,
    /// Pending: retried at `next_attempt_time`.
    pub status: DeliveryStatus,
    pub next_attempt_time: Option<i64>,
    /// First attempt of the round this attempt belongs to.
    pub window_start: i64,
    /// Disable the webhook at once, for this reason (`410 Gone`).
    pub disable: Option<String>,
    /// The worker process that made the attempt.
    pub worker: std::sync::Arc<str>,
    /// Of a FIFO webhook's delivery ([`Claimed::ordered`]).
    pub ordered: bool,
}

/// Records a batch of outcomes in one transaction: the attempt log, each delivery's new state,
/// each webhook's failing streak; disables webhooks that asked to stop (410), and those whose
/// delivery gave up after its 72 hours with no success of the webhook meanwhile. Returns the webhooks it disabled.
pub async fn record(db: &Db, outcomes: &[Outcome], now: i64) -> StoreResult<Vec<WebhookId>> {
    if outcomes.is_empty() {
        return Ok(Vec::new());
    }
    let rows: Vec<serde_json::Value> = outcomes
        .iter()
        .map(|o| {
            serde_json::json!({
                "seq": o.seq, "status": o.status.as_str(), "next_at": o.next_attempt_time, "window_start": o.window_start,
                "at": o.attempt_time, "duration_ms": o.duration_ms, "code": o.status_code, "kind": o.error_kind,
                "error": o.error, "headers": o.response_headers, "body": o.response_body,
            })
        })
        .collect();
    let rows = serde_json::to_string(&rows)?;
    let mut batch = Batch::default();
    batch.push(
        attempts_sql(db.backend),
        vec![Arg::from(rows.as_str()), Arg::from(&*outcomes[0].worker)],
    );
    batch.push(outcomes_sql(db.backend), vec![Arg::from(rows)]);
    let ids = |delivered: bool| -> Vec<&str> {
        let mut v: Vec<&str> = outcomes
            .iter()
            .filter(|o| (o.status == DeliveryStatus::Delivered) == delivered)
            .map(|o| o.webhook_id.as_str())
            .collect();
        v.sort_unstable();
        v.dedup();
        v
    };
    let ok = ids(true);
    if !ok.is_empty() {
        batch.push(
            webhooks_ok_sql(db.backend),
            vec![Arg::from(serde_json::to_string(&ok)?)],
        );
    }
    let failing = ids(false);
    if !failing.is_empty() {
        batch.push(
            webhooks_failing_sql(db.backend),
            vec![Arg::from(serde_json::to_string(&failing)?), Arg::I64(now)],
        );
    }
    // Webhooks to switch off: the receiver asked (410), or a delivery's 72 hours are over and
    // nothing succeeded meanwhile.
    let stops: Vec<(&Outcome, String, i64)> = outcomes
        .iter()
        .filter_map(|o| match (&o.disable, o.status) {
            (Some(r), _) => Some((o, r.clone(), i64::MAX)),
            (None, DeliveryStatus::Failed) => Some((
                o,
                "Deliveries failed for 72 hours.".to_string(),
                o.window_start,
            )),
            _ => None,
        })
        .collect();
    if stops.is_empty() {
        // The usual case: one round trip on SQLite.
        batch.run(db).await?;
        return Ok(Vec::new());
    }
    let mut conn = db.writer().await?;
    let mut tx = conn.begin().await?;
    batch.run_in(&mut tx).await?;
    let mut disabled = Vec::new();
    for (o, reason, failing_before) in stops {
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

/// A delivery as the log shows it.
#[derive(Debug, Clone)]
pub struct Delivery {
    pub id: String,
    pub event_id: EventId,
    pub event_type: String,
    pub webhook_id: WebhookId,
    pub status: DeliveryStatus,
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

fn delivery_of(r: &sqlx::any::AnyRow) -> StoreResult<Delivery> {
    Ok(Delivery {
        id: r.try_get("id")?,
        event_id: r.try_get("event_id")?,
        event_type: r.try_get("event_type")?,
        webhook_id: r.try_get("webhook_id")?,
        status: super::decode("status", r, DeliveryStatus::parse)?,
        attempts: r.try_get("attempts")?,
        next_attempt_time: r.try_get("next_attempt_time")?,
        last_attempt_time: r.try_get("last_attempt_time")?,
        delivered_time: r.try_get("delivered_time")?,
        creation_time: r.try_get("creation_time")?,
        log: Vec::new(),
    })
}

/// Reads the attempts of `out`'s deliveries into each one's `log`, oldest first.
async fn attach_log(db: &Db, out: &mut [Delivery]) -> StoreResult<()> {
    if out.is_empty() {
        return Ok(());
    }
    let mut sql = Sql::new(
        "SELECT d.id, a.attempt_time, a.duration_ms, a.status_code, a.error_kind, a.error, a.response_headers, a.response_body, a.next_attempt_time, a.worker \
         FROM delivery_attempts a JOIN deliveries d ON d.seq = a.delivery_seq WHERE d.id IN ",
    );
    sql.push_in(out.iter().map(|d| d.id.as_str()))
        .push(" ORDER BY a.seq");
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
    for d in out {
        d.log = by_id.remove(&d.id).unwrap_or_default();
    }
    Ok(())
}

/// The delivery of `event_id` to `webhook_id`, with its attempts.
pub async fn of_event(
    db: &Db,
    account_id: &AccountId,
    event_id: &EventId,
    webhook_id: &WebhookId,
) -> StoreResult<Option<Delivery>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM deliveries WHERE account_id = $1 AND event_id = $2 AND webhook_id = $3"
    );
    let row = sqlx::query(&sql)
        .bind(account_id)
        .bind(event_id)
        .bind(webhook_id)
        .fetch_optional(&mut *db.reader().await?)
        .await?;
    let Some(row) = row else { return Ok(None) };
    let mut one = [delivery_of(&row)?];
    attach_log(db, &mut one).await?;
    let [d] = one;
    Ok(Some(d))
}

/// Every delivery of an event, one per webhook it went to, with their attempts.
pub async fn all_of_event(
    db: &Db,
    account_id: &AccountId,
    event_id: &EventId,
) -> StoreResult<Vec<Delivery>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM deliveries WHERE account_id = $1 AND event_id = $2 ORDER BY seq LIMIT 1000"
    );
    let rows = sqlx::query(&sql)
        .bind(account_id)
        .bind(event_id)
        .fetch_all(&mut *db.reader().await?)
        .await?;
    let mut out = rows
        .iter()
        .map(delivery_of)
        .collect::<StoreResult<Vec<_>>>()?;
    attach_log(db, &mut out).await?;
    Ok(out)
}

#[derive(Default)]
pub struct DeliveryFilter {
    pub statuses: Option<Vec<String>>,
    pub event_type: Option<String>,
    pub creation: slotline_domain::time::Range,
}

/// A webhook's deliveries, newest first, each with its attempts.
pub async fn list(
    db: &Db,
    account_id: &AccountId,
    webhook_id: &WebhookId,
    f: &DeliveryFilter,
    req: &super::page::PageRequest,
) -> StoreResult<(Vec<Delivery>, super::page::Page)> {
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
    let q = super::page::ListQuery {
        table: "deliveries",
        columns: COLUMNS,
        what: "delivery",
        account_id,
        filters,
        any_of,
    };
    let page = super::page::fetch(db, &q, req).await?;
    let mut out = page
        .rows
        .iter()
        .map(delivery_of)
        .collect::<StoreResult<Vec<_>>>()?;
    attach_log(db, &mut out).await?;
    Ok((out, page))
}

/// Sends an event again to `webhook_id` (subscribed or not), or to every enabled webhook that
/// has a delivery of it or is subscribed to it: each delivery becomes pending, due now, with a
/// fresh 72 hours. Returns the ids of the deliveries queued.
pub async fn redeliver(
    db: &Db,
    account_id: &AccountId,
    event: &super::outbox::NewEvent,
    webhook_id: Option<&WebhookId>,
    now: i64,
) -> StoreResult<Vec<String>> {
    let mut conn = db.writer().await?;
    let mut tx = conn.begin().await?;
    // Webhooks without a delivery of it yet (created after the event, or named) get one.
    let fresh = super::outbox::NewEvent {
        creation_time: now,
        ..event.clone()
    };
    let mut fan_out = Batch::default();
    super::outbox::push_fan_out(&mut fan_out, account_id, &fresh, webhook_id);
    fan_out.run_in(&mut tx).await?;
    let ids = requeue(&mut tx, account_id, &event.id, webhook_id, now).await?;
    tx.commit().await?;
    db.outbox_written();
    Ok(ids)
}

async fn requeue(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    account_id: &AccountId,
    event_id: &EventId,
    webhook_id: Option<&WebhookId>,
    now: i64,
) -> StoreResult<Vec<String>> {
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
    let mut ids: Vec<String> = rows
        .iter()
        .map(|r| r.try_get(0))
        .collect::<Result<_, _>>()?;
    ids.sort();
    Ok(ids)
}

/// Queues again every failed delivery of a webhook created at or after `since`. Returns how many.
pub async fn recover(
    db: &Db,
    account_id: &AccountId,
    webhook_id: &WebhookId,
    since: i64,
    now: i64,
) -> StoreResult<u64> {
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

/// The due time of the most overdue delivery no worker holds, if any is due at `now`. Reads the
/// first entry of the due index.
pub async fn oldest_due(db: &Db, now: i64) -> StoreResult<Option<i64>> {
    let row = sqlx::query(
        "SELECT next_attempt_time FROM deliveries WHERE status = 'pending' AND claimed_time IS NULL \
         AND next_attempt_time <= $1 ORDER BY next_attempt_time, seq LIMIT 1",
    )
    .bind(now)
    .fetch_optional(&mut *db.reader().await?)
    .await?;
    Ok(row.map(|r| sqlx::Row::get::<i64, _>(&r, 0)))
}

/// One attempt as the health summary weighs it.
#[derive(Debug, Clone)]
pub struct Sampled {
    pub attempt_time: i64,
    pub duration_ms: i64,
    pub status_code: Option<i64>,
    pub error_kind: Option<String>,
    pub error: Option<String>,
}

/// The latest `deliveries` deliveries of a webhook, newest first: each one's status, and the
/// attempts among them. Reads the webhook's delivery index backwards, so it costs the same
/// whatever the webhook's history.
pub async fn recent(
    db: &Db,
    webhook_id: &WebhookId,
    deliveries: i64,
) -> StoreResult<(Vec<DeliveryStatus>, Vec<Sampled>)> {
    let rows = sqlx::query(
        "SELECT d.seq, d.status, a.attempt_time, a.duration_ms, a.status_code, a.error_kind, a.error \
         FROM (SELECT seq, status FROM deliveries WHERE webhook_id = $1 ORDER BY seq DESC LIMIT $2) d \
         LEFT JOIN delivery_attempts a ON a.delivery_seq = d.seq ORDER BY d.seq DESC",
    )
    .bind(webhook_id)
    .bind(deliveries)
    .fetch_all(&mut *db.reader().await?)
    .await?;
    let (mut statuses, mut attempts) = (Vec::new(), Vec::with_capacity(rows.len()));
    let mut last_seq = None;
    for r in &rows {
        let seq: i64 = r.try_get(0)?;
        if last_seq != Some(seq) {
            last_seq = Some(seq);
            statuses.push(super::decode("status", r, DeliveryStatus::parse)?);
        }
        if let Some(at) = r.try_get::<Option<i64>, _>(2)? {
            attempts.push(Sampled {
                attempt_time: at,
                duration_ms: r.try_get(3)?,
                status_code: r.try_get(4)?,
                error_kind: r.try_get(5)?,
                error: r.try_get(6)?,
            });
        }
    }
    Ok((statuses, attempts))
}
