//! The transactional outbox: an event row and one delivery row per active webhook subscribed to
//! it, written inside the transaction of the change that caused the event. A change that rolls
//! back leaves no event; an event never exists without its deliveries.

use sqlx::{Any, Transaction};

use super::Db;
use crate::error::AppResult;

/// An event row written with the change that caused it.
#[derive(Debug, Clone)]
pub struct NewEvent {
    pub id: String,
    pub event_type: &'static str,
    pub payload: String,
    pub creation_time: i64,
}

/// `LIKE` pattern matching a JSON array (as stored in `webhooks.events`) that lists `name`.
fn listed(name: &str) -> String {
    let quoted = serde_json::to_string(name).expect("a string serializes");
    format!("%{}%", quoted.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_"))
}

/// Writes `e` (about `booking_id`, if any) and its deliveries in `tx`. After the commit, call
/// [`Db::outbox_written`] so that a worker in this process sends them at once.
pub async fn write(tx: &mut Transaction<'_, Any>, account_id: &str, booking_id: Option<&str>, e: &NewEvent) -> AppResult<()> {
    write_to(tx, account_id, booking_id, e, None).await
}

/// As [`write`], but delivered only to `only` when given (a test event).
pub async fn write_to(
    tx: &mut Transaction<'_, Any>,
    account_id: &str,
    booking_id: Option<&str>,
    e: &NewEvent,
    only: Option<&str>,
) -> AppResult<()> {
    sqlx::query("INSERT INTO events (id, account_id, type, booking_id, payload, creation_time) VALUES ($1, $2, $3, $4, $5, $6)")
        .bind(&e.id)
        .bind(account_id)
        .bind(e.event_type)
        .bind(booking_id)
        .bind(&e.payload)
        .bind(e.creation_time)
        .execute(&mut **tx)
        .await?;
    fan_out(tx, account_id, e, only).await?;
    Ok(())
}

/// One pending delivery of `e` per enabled webhook of the account subscribed to its type (or
/// only to `webhook_id`, subscribed or not, when given) that has none yet. Returns how many.
pub async fn fan_out(tx: &mut Transaction<'_, Any>, account_id: &str, e: &NewEvent, webhook_id: Option<&str>) -> AppResult<u64> {
    let names = slotline_domain::webhook::subscribed_names(e.event_type);
    let (exact, family) = (listed(names[0]), names.get(1).map(|n| listed(n)));
    let done = sqlx::query(
        "INSERT INTO deliveries (id, event_id, webhook_id, account_id, event_type, status, next_attempt_time, creation_time) \
         SELECT 'DLV-' || substr($1, 6) || substr(w.id, 5), $1, w.id, w.account_id, $2, 'pending', $3, $3 FROM webhooks w \
         WHERE w.account_id = $4 AND w.deleted = 0 AND w.status = 'enabled' \
           AND (($6 IS NULL AND (w.events LIKE $5 ESCAPE '\\' OR w.events LIKE $7 ESCAPE '\\')) OR w.id = $6) \
           AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.event_id = $1 AND d.webhook_id = w.id) \
         ORDER BY w.seq",
    )
    .bind(&e.id)
    .bind(e.event_type)
    .bind(e.creation_time)
    .bind(account_id)
    .bind(exact)
    .bind(webhook_id)
    .bind(family)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected())
}

/// PostgreSQL: rings `outbox_written` whenever any process commits new deliveries (a trigger
/// notifies `slotline_outbox`). Runs until dropped; reconnects after errors.
pub async fn listen_postgres(db: Db) {
    loop {
        match sqlx::postgres::PgListener::connect(db.url()).await {
            Ok(mut listener) => match listener.listen("slotline_outbox").await {
                Ok(()) => {
                    // A notification may have been missed while (re)connecting.
                    db.outbox_written();
                    while listener.recv().await.is_ok() {
                        db.outbox_written();
                    }
                }
                Err(e) => tracing::warn!(error = %e, "LISTEN slotline_outbox failed; polling meanwhile"),
            },
            Err(e) => tracing::warn!(error = %e, "connecting for LISTEN failed; polling meanwhile"),
        }
        tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    }
}

impl Db {
    /// Tells this process's delivery worker that deliveries were committed.
    pub fn outbox_written(&self) {
        self.outbox.notify_one();
    }

    /// Resolves when `outbox_written` was called since the last time it resolved.
    pub async fn outbox_signal(&self) {
        self.outbox.notified().await
    }
}
