//! Event types (classic product): the kinds of meeting a booking page offers.

use slotline_domain::id::{AccountId, EventTypeId};
use sqlx::{any::AnyRow, Row};

use super::error::StoreResult;
use super::{
    page::{self, ListQuery, Page, PageRequest},
    Arg, Db,
};

#[derive(Debug, Clone)]
pub struct EventType {
    pub id: EventTypeId,
    pub name: String,
    pub description: String,
    pub deleted: bool,
}

const COLUMNS: &str = "seq, id, name, description, deleted";

fn from_row(r: &AnyRow) -> StoreResult<EventType> {
    Ok(EventType {
        id: r.try_get("id")?,
        name: r.try_get("name")?,
        description: r.try_get("description")?,
        deleted: r.try_get::<i64, _>("deleted")? != 0,
    })
}

pub async fn create(
    db: &Db,
    account_id: &AccountId,
    name: &str,
    description: &str,
    now: i64,
) -> StoreResult<EventType> {
    let id = EventTypeId::new();
    sqlx::query(
        "INSERT INTO event_types (id, account_id, name, description, creation_time, last_updated_time) VALUES ($1, $2, $3, $4, $5, $5)",
    )
    .bind(&id)
    .bind(account_id)
    .bind(name)
    .bind(description)
    .bind(now)
    .execute(&mut *db.writer().await?)
    .await?;
    Ok(EventType {
        id,
        name: name.into(),
        description: description.into(),
        deleted: false,
    })
}

pub async fn get(
    db: &Db,
    account_id: &AccountId,
    id: &EventTypeId,
) -> StoreResult<Option<EventType>> {
    let sql = format!("SELECT {COLUMNS} FROM event_types WHERE account_id = $1 AND id = $2");
    sqlx::query(&sql)
        .bind(account_id)
        .bind(id)
        .fetch_optional(&mut *db.reader().await?)
        .await?
        .as_ref()
        .map(from_row)
        .transpose()
}

pub async fn list(
    db: &Db,
    account_id: &AccountId,
    req: &PageRequest,
) -> StoreResult<(Vec<EventType>, Page)> {
    let q = ListQuery {
        table: "event_types",
        columns: COLUMNS,
        what: "event type",
        account_id,
        filters: vec![],
        any_of: None,
    };
    let page = page::fetch(db, &q, req).await?;
    Ok((
        page.rows.iter().map(from_row).collect::<StoreResult<_>>()?,
        page,
    ))
}

/// A change to an event type: each field given is set, the others kept.
#[derive(Debug, Default)]
pub struct EventTypePatch {
    pub name: Option<String>,
    pub description: Option<String>,
}

/// Applies `patch`. False if there is no such live event type.
pub async fn update(
    db: &Db,
    account_id: &AccountId,
    id: &EventTypeId,
    patch: EventTypePatch,
    now: i64,
) -> StoreResult<bool> {
    let columns: Vec<(&'static str, Arg)> = [
        patch.name.map(|v| ("name", Arg::from(v))),
        patch.description.map(|v| ("description", Arg::from(v))),
    ]
    .into_iter()
    .flatten()
    .collect();
    Ok(super::update_columns(db, "event_types", account_id, id, columns, now).await?)
}

/// Deletes an event type; the booking pages that offered it stop offering it.
pub async fn delete(
    db: &Db,
    account_id: &AccountId,
    id: &EventTypeId,
    now: i64,
) -> StoreResult<bool> {
    let mut conn = db.writer().await?;
    let mut tx = conn.begin().await?;
    let done = sqlx::query("UPDATE event_types SET deleted = 1, last_updated_time = $1 WHERE account_id = $2 AND id = $3 AND deleted = 0")
        .bind(now)
        .bind(account_id)
        .bind(id)
        .execute(&mut *tx)
        .await?;
    sqlx::query("DELETE FROM booking_page_event_types WHERE event_type_id = $1")
        .bind(id)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(done.rows_affected() == 1)
}
