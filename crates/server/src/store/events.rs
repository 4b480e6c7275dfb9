//! The event log: every event a change wrote, with its envelope exactly as it is delivered.

use std::sync::Arc;

use slotline_domain::id::{AccountId, BookingId, ContactId, ConversationId, EventId};
use sqlx::{any::AnyRow, Row};

use super::error::StoreResult;
use super::{
    page::{self, ListQuery, Page, PageRequest},
    Arg, Db,
};

#[derive(Debug, Clone)]
pub struct Event {
    pub id: EventId,
    pub event_type: String,
    pub booking_id: Option<BookingId>,
    pub conversation_id: Option<ConversationId>,
    /// The compact JSON envelope, byte for byte as delivered.
    pub payload: String,
    pub creation_time: i64,
}

const COLUMNS: &str = "seq, id, type, booking_id, conversation_id, payload, creation_time";

fn from_row(r: &AnyRow) -> StoreResult<Event> {
    Ok(Event {
        id: r.try_get("id")?,
        event_type: r.try_get("type")?,
        booking_id: r.try_get("booking_id")?,
        conversation_id: r.try_get("conversation_id")?,
        payload: r.try_get("payload")?,
        creation_time: r.try_get("creation_time")?,
    })
}

pub async fn get(db: &Db, account_id: &AccountId, id: &EventId) -> StoreResult<Option<Event>> {
    let sql =
        format!("SELECT {COLUMNS} FROM events WHERE account_id = $1 AND id = $2 AND deleted = 0");
    sqlx::query(&sql)
        .bind(account_id)
        .bind(id)
        .fetch_optional(&mut *db.reader().await?)
        .await?
        .as_ref()
        .map(from_row)
        .transpose()
}

#[derive(Default)]
pub struct EventFilter {
    pub types: Option<Vec<String>>,
    pub booking: Option<BookingId>,
    pub conversation: Option<ConversationId>,
    /// Events of the contact's bookings and conversations.
    pub contact: Option<ContactId>,
    pub creation: slotline_domain::time::Range,
}

pub async fn list(
    db: &Db,
    account_id: &AccountId,
    f: &EventFilter,
    req: &PageRequest,
) -> StoreResult<(Vec<Event>, Page)> {
    let mut filters = Vec::new();
    if let Some(b) = &f.booking {
        filters.push(("booking_id = ?", Arg::from(b.as_str())));
    }
    if let Some(c) = &f.conversation {
        filters.push(("conversation_id = ?", Arg::from(c.as_str())));
    }
    if let Some(c) = &f.contact {
        // An event is about a booking or, failing that, a conversation; either has a contact.
        filters.push((
            "COALESCE(booking_id, conversation_id) IN (SELECT x.id FROM \
             (SELECT id, contact_id FROM bookings UNION ALL SELECT id, contact_id FROM conversations) x \
             WHERE x.contact_id = ?)",
            Arg::from(c.as_str()),
        ));
    }
    if let Some(v) = f.creation.gt {
        filters.push(("creation_time > ?", Arg::I64(v)));
    }
    if let Some(v) = f.creation.lt {
        filters.push(("creation_time < ?", Arg::I64(v)));
    }
    let q = ListQuery {
        table: "events",
        columns: COLUMNS,
        what: "event",
        account_id,
        filters,
        any_of: f.types.clone().map(|t| ("type", t)),
    };
    let page = page::fetch(db, &q, req).await?;
    Ok((
        page.rows.iter().map(from_row).collect::<StoreResult<_>>()?,
        page,
    ))
}

/// Where a reader of the event stream is: after the event at `(tx, seq)` (see
/// `Backend::stream_after`). The start of the log is `(0, 0)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct Position {
    pub tx: i64,
    pub seq: i64,
}

/// An event as the stream carries it.
#[derive(Debug, Clone)]
pub struct Streamed {
    pub at: Position,
    pub account_id: AccountId,
    pub id: EventId,
    pub event_type: String,
    /// The envelope, byte for byte as delivered.
    pub payload: Arc<str>,
}

/// The position of the event `id` of the account, if there is one.
pub async fn position_of(
    db: &Db,
    account_id: &AccountId,
    id: &EventId,
) -> StoreResult<Option<Position>> {
    let row = sqlx::query("SELECT tx, seq FROM events WHERE account_id = $1 AND id = $2")
        .bind(account_id)
        .bind(id)
        .fetch_optional(&mut *db.reader().await?)
        .await?;
    row.map(|r| {
        Ok(Position {
            tx: r.try_get(0)?,
            seq: r.try_get(1)?,
        })
    })
    .transpose()
}

/// Up to `limit` events after `after`, in stream order: of one account, or of all.
pub async fn stream_after(
    db: &Db,
    account_id: Option<&AccountId>,
    after: Position,
    limit: i64,
) -> StoreResult<Vec<Streamed>> {
    let (cond, order) = db.backend.stream_after(1, 2);
    let account = if account_id.is_some() {
        " AND e.account_id = $4"
    } else {
        ""
    };
    let sql = format!(
        "SELECT e.tx, e.seq, e.account_id, e.id, e.type, e.payload FROM events e \
         WHERE {cond}{account} ORDER BY {order} LIMIT $3"
    );
    let mut q = sqlx::query(&sql).bind(after.tx).bind(after.seq).bind(limit);
    if let Some(a) = account_id {
        q = q.bind(a);
    }
    let rows = q.fetch_all(&mut *db.reader().await?).await?;
    rows.iter()
        .map(|r| {
            Ok(Streamed {
                at: Position {
                    tx: r.try_get(0)?,
                    seq: r.try_get(1)?,
                },
                account_id: r.try_get(2)?,
                id: r.try_get(3)?,
                event_type: r.try_get(4)?,
                payload: r.try_get::<String, _>(5)?.into(),
            })
        })
        .collect()
}

/// The position after the last event a stream can read now.
pub async fn stream_head(db: &Db) -> StoreResult<Position> {
    // Everything after the start of the log, the last of it first.
    let (cond, order) = db.backend.stream_after(1, 2);
    let desc = order.replace(',', " DESC,");
    let sql = format!("SELECT e.tx, e.seq FROM events e WHERE {cond} ORDER BY {desc} DESC LIMIT 1");
    let row = sqlx::query(&sql)
        .bind(0_i64)
        .bind(0_i64)
        .fetch_optional(&mut *db.reader().await?)
        .await?;
    match row {
        Some(r) => Ok(Position {
            tx: r.try_get(0)?,
            seq: r.try_get(1)?,
        }),
        None => Ok(Position::default()),
    }
}
