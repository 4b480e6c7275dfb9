//! Booking pages (classic product): a user's public page, offering one or more event types,
//! optionally grouped under a master page, with its scheduling settings.

use std::collections::HashMap;

use slotline_domain::id::{AccountId, BookingPageId, EventTypeId, MasterPageId, UserId};
use slotline_domain::settings::Settings;
use sqlx::{any::AnyRow, Row};

use super::error::{unique, StoreError, StoreResult};
use super::{
    page::{self, ListQuery, Page, PageRequest},
    Arg, Db, Sql,
};

#[derive(Debug, Clone)]
pub struct BookingPage {
    pub id: BookingPageId,
    pub owner_id: UserId,
    pub master_page_id: Option<MasterPageId>,
    pub event_type_ids: Vec<EventTypeId>,
    pub name: String,
    pub label: String,
    pub slug: String,
    pub timezone: String,
    pub active: bool,
    pub settings: Settings,
    pub deleted: bool,
}

const COLUMNS: &str =
    "seq, id, owner_id, master_page_id, name, label, slug, timezone, active, settings, deleted";

fn from_row(r: &AnyRow) -> StoreResult<BookingPage> {
    Ok(BookingPage {
        id: r.try_get("id")?,
        owner_id: r.try_get("owner_id")?,
        master_page_id: r.try_get("master_page_id")?,
        event_type_ids: Vec::new(),
        name: r.try_get("name")?,
        label: r.try_get("label")?,
        slug: r.try_get("slug")?,
        timezone: r.try_get("timezone")?,
        active: r.try_get::<i64, _>("active")? != 0,
        settings: serde_json::from_str(&r.try_get::<String, _>("settings")?)?,
        deleted: r.try_get::<i64, _>("deleted")? != 0,
    })
}

async fn attach_event_types(db: &Db, pages: &mut [BookingPage]) -> StoreResult<()> {
    if pages.is_empty() {
        return Ok(());
    }
    let mut sql = Sql::new("SELECT b.booking_page_id, b.event_type_id FROM booking_page_event_types b JOIN event_types e ON e.id = b.event_type_id WHERE e.deleted = 0 AND b.booking_page_id IN ");
    sql.push_in(pages.iter().map(|p| p.id.as_str()))
        .push(" ORDER BY e.seq");
    let mut by_page: HashMap<BookingPageId, Vec<EventTypeId>> = HashMap::new();
    let rows = sql.query().fetch_all(&mut *db.reader().await?).await?;
    for r in rows {
        by_page
            .entry(r.try_get(0)?)
            .or_default()
            .push(r.try_get(1)?);
    }
    for p in pages {
        p.event_type_ids = by_page.remove(&p.id).unwrap_or_default();
    }
    Ok(())
}

pub struct NewBookingPage {
    pub owner_id: UserId,
    pub master_page_id: Option<MasterPageId>,
    pub event_type_ids: Vec<EventTypeId>,
    pub name: String,
    pub label: String,
    pub slug: String,
    pub timezone: String,
    pub active: bool,
    pub settings: Settings,
}

async fn set_event_types(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    page_id: &BookingPageId,
    ids: &[EventTypeId],
) -> StoreResult<()> {
    sqlx::query("DELETE FROM booking_page_event_types WHERE booking_page_id = $1")
        .bind(page_id)
        .execute(&mut **tx)
        .await?;
    for et in ids {
        sqlx::query(
            "INSERT INTO booking_page_event_types (booking_page_id, event_type_id) VALUES ($1, $2)",
        )
        .bind(page_id)
        .bind(et)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

pub async fn create(
    db: &Db,
    account_id: &AccountId,
    new: NewBookingPage,
    now: i64,
) -> StoreResult<BookingPageId> {
    let id = BookingPageId::new();
    let mut conn = db.writer().await?;
    let mut tx = conn.begin().await?;
    sqlx::query(
        "INSERT INTO booking_pages (id, account_id, owner_id, master_page_id, name, label, slug, timezone, active, settings, creation_time, last_updated_time) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11)",
    )
    .bind(&id)
    .bind(account_id)
    .bind(&new.owner_id)
    .bind(new.master_page_id.as_deref())
    .bind(&new.name)
    .bind(&new.label)
    .bind(&new.slug)
    .bind(&new.timezone)
    .bind(new.active as i64)
    .bind(serde_json::to_string(&new.settings)?)
    .bind(now)
    .execute(&mut *tx)
    .await
    .map_err(|e| StoreError::unique_or(e, unique::SLUG, &new.slug))?;
    set_event_types(&mut tx, &id, &new.event_type_ids).await?;
    tx.commit().await?;
    Ok(id)
}

pub async fn get(
    db: &Db,
    account_id: &AccountId,
    id: &BookingPageId,
) -> StoreResult<Option<BookingPage>> {
    let sql = format!("SELECT {COLUMNS} FROM booking_pages WHERE account_id = $1 AND id = $2");
    let Some(row) = sqlx::query(&sql)
        .bind(account_id)
        .bind(id)
        .fetch_optional(&mut *db.reader().await?)
        .await?
    else {
        return Ok(None);
    };
    let mut pages = [from_row(&row)?];
    attach_event_types(db, &mut pages).await?;
    let [page] = pages;
    Ok(Some(page))
}

/// A live booking page by its public slug or its id, with its account.
pub async fn public(db: &Db, key: &str) -> StoreResult<Option<(AccountId, BookingPage)>> {
    let sql = format!("SELECT account_id, {COLUMNS} FROM booking_pages WHERE (slug = $1 OR id = $1) AND deleted = 0");
    let Some(row) = sqlx::query(&sql)
        .bind(key)
        .fetch_optional(&mut *db.reader().await?)
        .await?
    else {
        return Ok(None);
    };
    let mut pages = [from_row(&row)?];
    attach_event_types(db, &mut pages).await?;
    let [page] = pages;
    Ok(Some((row.try_get("account_id")?, page)))
}

/// The live, active booking pages a master page lists, in creation order.
pub async fn of_master(
    db: &Db,
    account_id: &AccountId,
    master_page_id: &MasterPageId,
) -> StoreResult<Vec<BookingPage>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM booking_pages WHERE account_id = $1 AND master_page_id = $2 AND deleted = 0 AND active = 1 ORDER BY seq LIMIT 200"
    );
    let rows = sqlx::query(&sql)
        .bind(account_id)
        .bind(master_page_id)
        .fetch_all(&mut *db.reader().await?)
        .await?;
    let mut pages = rows.iter().map(from_row).collect::<StoreResult<Vec<_>>>()?;
    attach_event_types(db, &mut pages).await?;
    Ok(pages)
}

#[derive(Default)]
pub struct PageFilter {
    pub master_page: Option<MasterPageId>,
    pub event_type: Option<EventTypeId>,
    pub owner: Option<UserId>,
}

pub async fn list(
    db: &Db,
    account_id: &AccountId,
    f: &PageFilter,
    req: &PageRequest,
) -> StoreResult<(Vec<BookingPage>, Page)> {
    let mut filters = Vec::new();
    if let Some(v) = &f.master_page {
        filters.push(("master_page_id = ?", Arg::from(v.as_str())));
    }
    if let Some(v) = &f.event_type {
        filters.push((
            "id IN (SELECT booking_page_id FROM booking_page_event_types WHERE event_type_id = ?)",
            Arg::from(v.as_str()),
        ));
    }
    if let Some(v) = &f.owner {
        filters.push(("owner_id = ?", Arg::from(v.as_str())));
    }
    let q = ListQuery {
        table: "booking_pages",
        columns: COLUMNS,
        what: "booking page",
        account_id,
        filters,
        any_of: None,
    };
    let page = page::fetch(db, &q, req).await?;
    let mut pages = page
        .rows
        .iter()
        .map(from_row)
        .collect::<StoreResult<Vec<_>>>()?;
    attach_event_types(db, &mut pages).await?;
    Ok((pages, page))
}

/// Updates columns and, when given, replaces the event types. False if no such live page.
/// A change to a booking page: each field given is set, the others kept. `master_page_id`:
/// `Some(None)` takes the page off its master page.
#[derive(Debug, Default)]
pub struct BookingPagePatch {
    pub owner_id: Option<UserId>,
    pub name: Option<String>,
    pub label: Option<String>,
    pub slug: Option<String>,
    pub timezone: Option<String>,
    pub active: Option<bool>,
    pub master_page_id: Option<Option<MasterPageId>>,
    pub settings: Option<Settings>,
    /// Replaces the event types offered.
    pub event_type_ids: Option<Vec<EventTypeId>>,
}

/// Applies `patch`. False if there is no such live booking page.
pub async fn update(
    db: &Db,
    account_id: &AccountId,
    id: &BookingPageId,
    patch: BookingPagePatch,
    now: i64,
) -> StoreResult<bool> {
    let slug = patch.slug.clone().unwrap_or_default();
    let settings = patch
        .settings
        .as_ref()
        .map(serde_json::to_string)
        .transpose()?;
    let columns: Vec<(&'static str, Arg)> = [
        patch.owner_id.map(|v| ("owner_id", Arg::from(v))),
        patch.name.map(|v| ("name", Arg::from(v))),
        patch.label.map(|v| ("label", Arg::from(v))),
        patch.slug.map(|v| ("slug", Arg::from(v))),
        patch.timezone.map(|v| ("timezone", Arg::from(v))),
        patch.active.map(|v| ("active", Arg::from(v))),
        patch
            .master_page_id
            .map(|v| ("master_page_id", Arg::from(v))),
        settings.map(|v| ("settings", Arg::from(v))),
    ]
    .into_iter()
    .flatten()
    .collect();
    let mut conn = db.writer().await?;
    let mut tx = conn.begin().await?;
    let updated = super::update_columns_in(&mut tx, "booking_pages", account_id, id, columns, now)
        .await
        .map_err(|e| StoreError::unique_or(e, unique::SLUG, &slug))?;
    if !updated {
        return Ok(false);
    }
    if let Some(ids) = &patch.event_type_ids {
        set_event_types(&mut tx, id, ids).await?;
    }
    tx.commit().await?;
    Ok(true)
}

pub async fn delete(
    db: &Db,
    account_id: &AccountId,
    id: &BookingPageId,
    now: i64,
) -> StoreResult<bool> {
    Ok(super::soft_delete(db, "booking_pages", account_id, id, now).await?)
}
