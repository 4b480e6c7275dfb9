//! The transactional outbox: an event row and one delivery row per active webhook subscribed to
//! it, written inside the transaction of the change that caused the event. A change that rolls
//! back leaves no event; an event never exists without its deliveries.

use slotline_domain::id::{AccountId, BookingId, ConversationId, EventId, WebhookId};
use sqlx::{Any, Transaction};

use super::error::StoreResult;
use super::notifications::{self, NewMessage};
use super::{Arg, Batch, Db};

/// What a booking change causes beyond its own rows, written in its transaction: its event
/// (with a delivery per subscribed webhook) and its messages to people. Reminders of
/// `drop_reminders` not yet sent are dropped first (the change made them wrong; any still
/// wanted are among `messages`).
#[derive(Debug, Default)]
pub struct Effects {
    pub event: Option<NewEvent>,
    pub messages: Vec<NewMessage>,
    pub drop_reminders: Option<BookingId>,
    /// The hosts' calendars that keep the booking as an event, to bring up to date.
    pub calendar: Option<super::calendar_writes::CalendarWrite>,
}

impl Effects {
    pub fn event(event: Option<NewEvent>) -> Effects {
        Effects {
            event,
            ..Effects::default()
        }
    }

    /// Adds the effects to `batch`.
    pub fn push(
        &self,
        batch: &mut Batch,
        account_id: &AccountId,
        booking_id: Option<&BookingId>,
        now: i64,
    ) {
        if let Some(b) = &self.drop_reminders {
            notifications::push_drop_reminders(batch, b, now);
        }
        if let Some(e) = &self.event {
            push(batch, account_id, booking_id, e, None);
        }
        for m in &self.messages {
            notifications::push(batch, account_id, m, now);
        }
        if let Some(w) = &self.calendar {
            super::calendar_writes::push(batch, account_id, w, now);
        }
    }

    /// Whether the worker has something new to send once these are committed.
    pub fn wakes_worker(&self) -> bool {
        self.event.is_some() || !self.messages.is_empty() || self.calendar.is_some()
    }
}

/// An event row written with the change that caused it.
#[derive(Debug, Clone)]
pub struct NewEvent {
    pub id: EventId,
    pub event_type: &'static str,
    pub payload: String,
    pub creation_time: i64,
    /// The conversation a `conversation.*` event is about (the event log's filter).
    pub conversation_id: Option<ConversationId>,
}

/// `LIKE` pattern matching a JSON array (as stored in `webhooks.events`) that lists `name`.
fn listed(name: &str) -> String {
    let quoted = serde_json::to_string(name).expect("a string serializes");
    format!(
        "%{}%",
        quoted
            .replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_")
    )
}

/// Writes `e` (about `booking_id`, if any) and its deliveries in `tx`. After the commit, call
/// [`Db::outbox_written`] so that a worker in this process sends them at once.
pub async fn write(
    tx: &mut Transaction<'_, Any>,
    account_id: &AccountId,
    booking_id: Option<&BookingId>,
    e: &NewEvent,
) -> StoreResult<()> {
    let mut batch = Batch::default();
    push(&mut batch, account_id, booking_id, e, None);
    batch.run_in(tx).await?;
    Ok(())
}

/// Adds the event row and its fan-out to `batch`; delivered only to `only` when given (a test
/// event).
pub fn push(
    batch: &mut Batch,
    account_id: &AccountId,
    booking_id: Option<&BookingId>,
    e: &NewEvent,
    only: Option<&WebhookId>,
) {
    batch.push(
        "INSERT INTO events (id, account_id, type, booking_id, payload, creation_time, conversation_id) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        vec![
            Arg::from(e.id.as_str()),
            Arg::from(account_id),
            Arg::from(e.event_type),
            Arg::from(booking_id.cloned()),
            Arg::from(e.payload.as_str()),
            Arg::I64(e.creation_time),
            Arg::from(e.conversation_id.as_ref().map(|c| c.to_string())),
        ],
    );
    push_fan_out(batch, account_id, e, only);
}

/// One pending delivery of `e` per enabled webhook of the account subscribed to its type (or
/// only to `webhook_id`, subscribed or not, when given) that has none yet.
pub fn push_fan_out(
    batch: &mut Batch,
    account_id: &AccountId,
    e: &NewEvent,
    webhook_id: Option<&WebhookId>,
) {
    // The patterns are written into the text, not bound: SQLite re-prepares a statement every
    // time a bound LIKE pattern is bound again (its plan may depend on the pattern). They come
    // from the fixed list of event names, so the texts are a few, each prepared once.
    let names = slotline_domain::webhook::subscribed_names(e.event_type);
    let literal = |n: &str| format!("'{}'", listed(n).replace('\'', "''"));
    let (exact, family) = (
        literal(names[0]),
        names
            .get(1)
            .map_or_else(|| "NULL".to_string(), |n| literal(n)),
    );
    batch.push(
        format!(
            "INSERT INTO deliveries (id, event_id, webhook_id, account_id, event_type, status, next_attempt_time, creation_time, ordering_key) \
             SELECT 'DLV-' || substr($1, 6) || substr(w.id, 5), $1, w.id, w.account_id, $2, 'pending', $3, $3, \
               CASE WHEN w.fifo = 1 THEN (SELECT e.booking_id FROM events e WHERE e.id = $1) END FROM webhooks w \
             WHERE w.account_id = $4 AND w.deleted = 0 AND w.status = 'enabled' \
               AND (($5 IS NULL AND (w.events LIKE {exact} ESCAPE '\\' OR w.events LIKE {family} ESCAPE '\\')) OR w.id = $5) \
               AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.event_id = $1 AND d.webhook_id = w.id) \
             ORDER BY w.seq"
        ),
        vec![
            Arg::from(e.id.as_str()),
            Arg::from(e.event_type),
            Arg::I64(e.creation_time),
            Arg::from(account_id),
            Arg::from(webhook_id.cloned()),
        ],
    );
}

/// PostgreSQL: rings `outbox_written` whenever any process commits new deliveries or events
/// (triggers notify `slotline_outbox`). Runs until dropped; reconnects after errors.
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
                Err(e) => {
                    tracing::warn!(error = %e, "LISTEN slotline_outbox failed; polling meanwhile")
                }
            },
            Err(e) => tracing::warn!(error = %e, "connecting for LISTEN failed; polling meanwhile"),
        }
        tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    }
}

impl Db {
    /// Tells this process's workers that deliveries or messages were committed.
    pub fn outbox_written(&self) {
        self.outbox.notify_one();
        self.messages.notify_one();
        self.events.notify_one();
        self.calendars_due();
    }

    /// Resolves when `outbox_written` was called since the event stream last heard it.
    pub async fn events_signal(&self) {
        self.events.notified().await
    }

    /// Resolves when `outbox_written` was called since the message worker last heard it.
    pub async fn messages_signal(&self) {
        self.messages.notified().await
    }

    /// Resolves when `outbox_written` was called since the last time it resolved.
    pub async fn outbox_signal(&self) {
        self.outbox.notified().await
    }
}
