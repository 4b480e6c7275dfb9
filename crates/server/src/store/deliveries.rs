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
/// `$6` the worker's name.
///
/// Due deliveries nobody holds are read (at most `$3`), ranked per webhook, and those within
/// their webhook's room get a row in `delivery_claims` (the delivery itself is not written; see
/// migration 0027). The rows are claimed in `seq` order, so two workers claiming at once wait
/// for each other in one order and never deadlock.
fn claim_sql(backend: Backend) -> &'static str {
    static SQL: [std::sync::OnceLock<String>; 2] =
        [std::sync::OnceLock::new(), std::sync::OnceLock::new()];
    cached(&SQL, backend, || {
        let room = format!("COALESCE({}, $5)", backend.json_object_int(4, "webhook_id"));
        let ranked = format!(
            "SELECT seq FROM (\
               SELECT seq, room, ROW_NUMBER() OVER (PARTITION BY webhook_id ORDER BY next_attempt_time, seq) AS rn FROM (\
                 SELECT seq, webhook_id, next_attempt_time, {room} AS room FROM deliveries d0 \
                 WHERE status = 'pending' AND next_attempt_time <= $2 AND {room} > 0 \
                   AND NOT EXISTS (SELECT 1 FROM delivery_claims k WHERE k.delivery_seq = d0.seq) \
                   AND (ordering_key IS NULL OR NOT EXISTS (SELECT 1 FROM deliveries p WHERE p.webhook_id = d0.webhook_id \
                     AND p.ordering_key = d0.ordering_key AND p.status = 'pending' AND p.seq < d0.seq)) \
                 ORDER BY next_attempt_time, seq LIMIT $3) due) ranked \
             WHERE rn <= room"
        );
        let insert = "INSERT INTO delivery_claims (delivery_seq, worker, claimed_time, lease_until, event_id, webhook_id, attempts, window_start, ordering_key)";
        let claimed = "delivery_seq, event_id, webhook_id, attempts, window_start, ordering_key";
        let values = "seq, $6, $2, $1, event_id, webhook_id, attempts, window_start, ordering_key";
        match backend {
            // One writer: what it read is current. What to send is read next ([`payloads_sql`]).
            Backend::Sqlite => format!(
                "{insert} SELECT {values} FROM deliveries WHERE seq IN ({ranked}) ORDER BY seq RETURNING {claimed}"
            ),
            // PostgreSQL: each ranked delivery is locked (skipped if another worker holds it)
            // and re-checked on its latest version, so one that another worker claimed and
            // finished since this statement's snapshot is left out; one claimed and not yet
            // finished is left out by the claim's primary key. The delivery is read by primary
            // key through `= ANY(ARRAY(…))`, which runs the ranking once, whatever the planner
            // believes of the table (a plan made without statistics walked the due index once
            // per claim); its re-check leaves `status` out so that the due index cannot match
            // (a delivery stops being pending only with its `next_attempt_time` cleared).
            // What to send comes back from the same statement (one round trip), joined to the
            // new claims, which carry what the worker needs of the delivery: a join of the
            // locked rows to the claims (two CTEs, planned without estimates) was quadratic.
            Backend::Postgres => format!(
                "WITH c AS ({insert} SELECT {values} FROM deliveries \
                   WHERE seq = ANY(ARRAY({ranked})) AND next_attempt_time <= $2 ORDER BY seq FOR UPDATE SKIP LOCKED \
                   ON CONFLICT (delivery_seq) DO NOTHING RETURNING {claimed}) \
                 SELECT c.delivery_seq, c.event_id, c.webhook_id, c.attempts, c.window_start, c.ordering_key, \
                   e.payload, w.url, w.secret, w.previous_secret, w.previous_secret_expiry \
                 FROM c JOIN events e ON e.id = c.event_id JOIN webhooks w ON w.id = c.webhook_id"
            ),
        }
    })
}

/// SQLite: what to send for the claimed deliveries. `$1` JSON array of delivery seqs.
fn payloads_sql() -> &'static str {
    static SQL: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    SQL.get_or_init(|| {
        format!(
            "SELECT d.seq, e.payload, w.url, w.secret, w.previous_secret, w.previous_secret_expiry \
             FROM deliveries d JOIN events e ON e.id = d.event_id JOIN webhooks w ON w.id = d.webhook_id WHERE d.seq IN {}",
            Backend::Sqlite.json_values(1, "bigint")
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

/// Writes the attempt log from `v`, the outcomes, with `$2` the worker's name.
fn attempts_from(v: &str) -> String {
    format!(
        "INSERT INTO delivery_attempts (delivery_seq, attempt_time, duration_ms, status_code, error_kind, error, response_headers, response_body, next_attempt_time, worker) \
         SELECT v.seq, v.at, v.duration_ms, v.code, v.kind, v.error, v.headers, v.body, v.next_at, $2 FROM {v}"
    )
}

/// Each delivery's new state, from `v`, the outcomes, unless it stopped meanwhile (its webhook
/// was disabled). "Not delivered nor failed" says "pending" in a form the due index (partial on
/// `status = 'pending'`) does not match: planned without statistics, `status = 'pending'` had
/// PostgreSQL read every pending delivery for each batch instead of the batch's by primary key.
fn outcomes_from(v: &str) -> String {
    format!(
        "UPDATE deliveries SET status = v.status, attempts = attempts + 1, next_attempt_time = v.next_at, window_start = v.window_start, \
         last_attempt_time = v.at, last_status_code = v.code, last_error = v.error, \
         delivered_time = CASE WHEN v.status = 'delivered' THEN v.at ELSE NULL END \
         FROM {v} WHERE deliveries.seq = v.seq AND deliveries.status NOT IN ('delivered', 'failed')"
    )
}

const STREAK_COLUMNS: &[(&str, &str)] = &[("id", "text"), ("mode", "text")];

/// Each webhook's failing streak, from `x`, a JSON array of [`Streak`]s bound as `$param`, with
/// `$now` the time. Rows that would not change are not written.
fn streaks_from(backend: Backend, param: usize, now: usize) -> String {
    format!(
        "UPDATE webhooks SET failing_since = CASE WHEN x.mode = 'clear' THEN NULL ELSE ${now} END FROM {} \
         WHERE webhooks.id = x.id AND (x.mode = 'restart' OR (x.mode = 'clear' AND webhooks.failing_since IS NOT NULL) \
           OR (x.mode = 'start' AND webhooks.failing_since IS NULL))",
        backend.json_table(param, "x", STREAK_COLUMNS)
    )
}

/// What a batch of outcomes does to a webhook's failing streak.
#[derive(serde::Serialize)]
struct Streak<'a> {
    id: &'a str,
    /// `clear`: every attempt succeeded. `start`: some failed; failing from now unless it already
    /// was. `restart`: some failed and some succeeded: the success ended the streak, so a new one
    /// starts now.
    mode: &'static str,
}

fn streaks(outcomes: &[Outcome]) -> Vec<Streak<'_>> {
    let mut by_webhook: HashMap<&str, (bool, bool)> = HashMap::new();
    for o in outcomes {
        let e = by_webhook.entry(o.webhook_id.as_str()).or_default();
        if o.status == DeliveryStatus::Delivered {
            e.0 = true;
        } else {
            e.1 = true;
        }
    }
    let mut out: Vec<Streak> = by_webhook
        .into_iter()
        .map(|(id, (ok, failed))| Streak {
            id,
            mode: match (ok, failed) {
                (true, false) => "clear",
                (false, _) => "start",
                (true, true) => "restart",
            },
        })
        .collect();
    // The same order in every process: concurrent recorders lock webhooks in one order.
    out.sort_unstable_by(|a, b| a.id.cmp(b.id));
    out
}

/// The claims whose outcomes are in `v` end.
fn unclaim_from(v: &str) -> String {
    format!("DELETE FROM delivery_claims WHERE delivery_seq IN (SELECT seq FROM {v})")
}

/// SQLite: the record's statements, each over `$1` the outcomes: the attempt log (`$2` the
/// worker's name), the deliveries' state, the claims' end; then the streaks (`$1` the streaks,
/// `$2` now).
fn record_sqlite_sql() -> &'static [String; 4] {
    static SQL: std::sync::OnceLock<[String; 4]> = std::sync::OnceLock::new();
    SQL.get_or_init(|| {
        let v = Backend::Sqlite.json_table(1, "v", OUTCOME_COLUMNS);
        [
            attempts_from(&v),
            outcomes_from(&v),
            unclaim_from(&v),
            streaks_from(Backend::Sqlite, 1, 2),
        ]
    })
}

/// PostgreSQL: the whole record in one statement (one round trip, its own transaction):
/// `$1` outcomes, `$2` the worker's name, `$3` streaks, `$4` now.
fn record_pg_sql() -> &'static str {
    static SQL: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    SQL.get_or_init(|| {
        format!(
            "WITH v AS (SELECT * FROM {}), a AS ({}), d AS ({}), k AS ({}), w AS ({}) SELECT 1",
            Backend::Postgres.json_table(1, "v", OUTCOME_COLUMNS),
            attempts_from("v"),
            outcomes_from("v"),
            unclaim_from("v"),
            streaks_from(Backend::Postgres, 3, 4),
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
    let claimed_of = |r: &sqlx::any::AnyRow| -> StoreResult<Claimed> {
        Ok(Claimed {
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
        })
    };
    // The event's bytes and the webhook's address and secrets, from column `at` on.
    let sending = |c: &mut Claimed, r: &sqlx::any::AnyRow, at: usize| -> StoreResult<()> {
        c.payload = r.try_get::<String, _>(at)?.into();
        c.url = r.try_get(at + 1)?;
        c.secret = r.try_get(at + 2)?;
        c.previous_secret = match (r.try_get(at + 3)?, r.try_get(at + 4)?) {
            (Some(s), Some(t)) => Some((s, t)),
            _ => None,
        };
        Ok(())
    };
    if db.backend == Backend::Postgres {
        // The statement returned what to send, too.
        return rows
            .iter()
            .map(|r| {
                let mut c = claimed_of(r)?;
                sending(&mut c, r, 6)?;
                Ok(c)
            })
            .collect();
    }
    let claimed = rows
        .iter()
        .map(claimed_of)
        .collect::<StoreResult<Vec<_>>>()?;
    let seqs: Vec<i64> = claimed.iter().map(|c| c.seq).collect();
    let rows = sqlx::query(payloads_sql())
        .bind(serde_json::to_string(&seqs)?)
        .fetch_all(&mut *db.reader().await?)
        .await?;
    let mut by_seq: HashMap<i64, &sqlx::any::AnyRow> = HashMap::with_capacity(rows.len());
    for r in &rows {
        by_seq.insert(r.try_get(0)?, r);
    }
    // As on PostgreSQL, where the join leaves it out, a delivery without its event or webhook
    // is not sent (its claim runs out and is logged as interrupted).
    let mut out = Vec::with_capacity(claimed.len());
    for mut c in claimed {
        if let Some(r) = by_seq.get(&c.seq) {
            sending(&mut c, r, 1)?;
            out.push(c);
        }
    }
    Ok(out)
}

/// What the attempt log says of a claim whose worker stopped before recording its outcome.
pub const INTERRUPTED: &str =
    "The worker stopped before it recorded this attempt (its lease ran out); the request may or may not have reached the endpoint.";

/// Claims whose lease ran out before their outcome was recorded (the worker died, or could not
/// write): each becomes an `interrupted` attempt in the log, at the time it was claimed, and the
/// delivery is due again at once. Returns how many.
pub async fn interrupted(db: &Db, now: i64) -> StoreResult<u64> {
    let log = "INSERT INTO delivery_attempts (delivery_seq, attempt_time, duration_ms, error_kind, error, next_attempt_time, worker) ";
    let release = "UPDATE deliveries SET attempts = attempts + 1, last_status_code = NULL, last_error = $2, next_attempt_time = $1";
    match db.backend {
        // Workers on other processes may run this at the same time: take the lost claims, log
        // and release them in one statement.
        Backend::Postgres => {
            let sql = format!(
                "WITH lost AS (DELETE FROM delivery_claims WHERE delivery_seq IN \
                   (SELECT delivery_seq FROM delivery_claims WHERE lease_until <= $1 FOR UPDATE SKIP LOCKED) \
                   RETURNING delivery_seq, claimed_time, worker), \
                 released AS ({release}, last_attempt_time = lost.claimed_time \
                   FROM lost WHERE deliveries.seq = lost.delivery_seq AND deliveries.status NOT IN ('delivered', 'failed') RETURNING deliveries.seq) \
                 {log}SELECT lost.delivery_seq, lost.claimed_time, $1 - lost.claimed_time, 'interrupted', $2, $1, lost.worker \
                 FROM lost JOIN released ON released.seq = lost.delivery_seq"
            );
            let done = sqlx::query(&sql)
                .bind(now)
                .bind(INTERRUPTED)
                .execute(&mut *db.writer().await?)
                .await?;
            Ok(done.rows_affected())
        }
        // One writer: the three statements run in one transaction with nothing between them.
        Backend::Sqlite => {
            let lost = "SELECT delivery_seq FROM delivery_claims WHERE lease_until <= $1";
            let mut batch = Batch::default();
            batch.push(
                format!(
                    "{log}SELECT k.delivery_seq, k.claimed_time, $1 - k.claimed_time, 'interrupted', $2, $1, k.worker \
                     FROM delivery_claims k JOIN deliveries d ON d.seq = k.delivery_seq WHERE k.lease_until <= $1 AND d.status = 'pending'"
                ),
                vec![Arg::I64(now), Arg::from(INTERRUPTED)],
            );
            batch.push(
                format!(
                    "{release}, last_attempt_time = (SELECT claimed_time FROM delivery_claims k WHERE k.delivery_seq = deliveries.seq) \
                     WHERE status = 'pending' AND seq IN ({lost}) RETURNING seq"
                ),
                vec![Arg::I64(now), Arg::from(INTERRUPTED)],
            );
            batch.push(
                "DELETE FROM delivery_claims WHERE lease_until <= $1",
                vec![Arg::I64(now)],
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
    let streaks = serde_json::to_string(&streaks(outcomes))?;
    let worker = &*outcomes[0].worker;
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
    let mut batch = Batch::default();
    match db.backend {
        Backend::Sqlite => {
            let [attempts, state, unclaim, streak] = record_sqlite_sql();
            batch.push(
                attempts.as_str(),
                vec![Arg::from(rows.as_str()), Arg::from(worker)],
            );
            batch.push(state.as_str(), vec![Arg::from(rows.as_str())]);
            batch.push(unclaim.as_str(), vec![Arg::from(rows)]);
            batch.push(streak.as_str(), vec![Arg::from(streaks), Arg::I64(now)]);
        }
        Backend::Postgres => {
            batch.push(
                record_pg_sql(),
                vec![
                    Arg::from(rows),
                    Arg::from(worker),
                    Arg::from(streaks),
                    Arg::I64(now),
                ],
            );
        }
    }
    if stops.is_empty() {
        // The usual case: one round trip (on SQLite, in a group commit; on PostgreSQL, one
        // statement without BEGIN and COMMIT).
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
/// fresh 72 hours. Returns the ids of the deliveries queued; None if the event is gone (removed
/// by retention meanwhile).
pub async fn redeliver(
    db: &Db,
    account_id: &AccountId,
    event: &super::outbox::NewEvent,
    webhook_id: Option<&WebhookId>,
    now: i64,
) -> StoreResult<Option<Vec<String>>> {
    let mut conn = db.writer().await?;
    let mut tx = conn.begin().await?;
    // Retention locks the events it removes: this waits for it, then sees whether the event is
    // still there (SQLite's single writer orders the two anyway).
    let lock = match db.backend {
        Backend::Postgres => " FOR SHARE",
        Backend::Sqlite => "",
    };
    let still = sqlx::query(&format!("SELECT 1 FROM events WHERE id = $1{lock}"))
        .bind(&event.id)
        .fetch_optional(&mut *tx)
        .await?;
    if still.is_none() {
        return Ok(None);
    }
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
    Ok(Some(ids))
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
/// due index from its front, past the deliveries in flight.
pub async fn oldest_due(db: &Db, now: i64) -> StoreResult<Option<i64>> {
    let row = sqlx::query(
        "SELECT next_attempt_time FROM deliveries d WHERE status = 'pending' AND next_attempt_time <= $1 \
         AND NOT EXISTS (SELECT 1 FROM delivery_claims k WHERE k.delivery_seq = d.seq) ORDER BY next_attempt_time, seq LIMIT 1",
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
