//! The event log: every event a change wrote, with its envelope exactly as it is delivered.

use slotline_domain::id::{AccountId, BookingId, EventId};
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
    /// The compact JSON envelope, byte for byte as delivered.
    pub payload: String,
    pub creation_time: i64,
}

const COLUMNS: &str = "seq, id, type, booking_id, payload, creation_time";

fn from_row(r: &AnyRow) -> StoreResult<Event> {
    Ok(Event {
        id: r.try_get("id")?,
        event_type: r.try_get("type")?,
        booking_id: r.try_get("booking_id")?,
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
