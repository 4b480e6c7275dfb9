//! Booking calendars: a host (one user, or a team booked round robin or collectively) with
//! scheduling settings and a public URL.

use slotline_domain::id::{AccountId, BookingCalendarId, Host};
use slotline_domain::settings::Settings;
use sqlx::{any::AnyRow, Row};

use super::error::{unique, StoreError, StoreResult};
use super::{
    page::{self, ListQuery, Page, PageRequest},
    Arg, Db,
};

/// How a team calendar picks its host.
pub const DISTRIBUTIONS: [&str; 3] = ["single", "round_robin", "collective"];

#[derive(Debug, Clone)]
pub struct BookingCalendar {
    pub id: BookingCalendarId,
    /// `USR-…` or `TM-…`.
    pub host_id: Host,
    pub distribution: String,
    pub name: String,
    pub subject: String,
    pub slug: String,
    pub published: bool,
    pub settings: Settings,
    pub deleted: bool,
}

const COLUMNS: &str =
    "seq, id, host_id, distribution, name, subject, slug, published, settings, deleted";

fn from_row(r: &AnyRow) -> StoreResult<BookingCalendar> {
    Ok(BookingCalendar {
        id: r.try_get("id")?,
        host_id: r.try_get("host_id")?,
        distribution: r.try_get("distribution")?,
        name: r.try_get("name")?,
        subject: r.try_get("subject")?,
        slug: r.try_get("slug")?,
        published: r.try_get::<i64, _>("published")? != 0,
        settings: serde_json::from_str(&r.try_get::<String, _>("settings")?)?,
        deleted: r.try_get::<i64, _>("deleted")? != 0,
    })
}

pub async fn create(
    db: &Db,
    account_id: &AccountId,
    cal: &BookingCalendar,
    now: i64,
) -> StoreResult<BookingCalendarId> {
    let id = cal.id.clone();
    sqlx::query(
        "INSERT INTO booking_calendars (id, account_id, host_id, distribution, name, subject, slug, published, settings, creation_time, last_updated_time) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10)",
    )
    .bind(&id)
    .bind(account_id)
    .bind(&cal.host_id)
    .bind(&cal.distribution)
    .bind(&cal.name)
    .bind(&cal.subject)
    .bind(&cal.slug)
    .bind(cal.published as i64)
    .bind(serde_json::to_string(&cal.settings)?)
    .bind(now)
    .execute(&mut *db.writer().await?)
    .await
    .map_err(|e| StoreError::unique_or(e, unique::SLUG, &cal.slug))?;
    Ok(id)
}

pub async fn get(
    db: &Db,
    account_id: &AccountId,
    id: &BookingCalendarId,
) -> StoreResult<Option<BookingCalendar>> {
    let sql = format!("SELECT {COLUMNS} FROM booking_calendars WHERE account_id = $1 AND id = $2");
    sqlx::query(&sql)
        .bind(account_id)
        .bind(id)
        .fetch_optional(&mut *db.reader().await?)
        .await?
        .as_ref()
        .map(from_row)
        .transpose()
}

/// A live calendar by its public slug or its id, with its account: what a public page shows.
pub async fn public(db: &Db, key: &str) -> StoreResult<Option<(AccountId, BookingCalendar)>> {
    let sql = format!("SELECT account_id, {COLUMNS} FROM booking_calendars WHERE (slug = $1 OR id = $1) AND deleted = 0");
    let row = sqlx::query(&sql)
        .bind(key)
        .fetch_optional(&mut *db.reader().await?)
        .await?;
    row.map(|r| Ok((r.try_get("account_id")?, from_row(&r)?)))
        .transpose()
}

/// Lists calendars; `host` is a user id or a team id.
pub async fn list(
    db: &Db,
    account_id: &AccountId,
    host: Option<&Host>,
    req: &PageRequest,
) -> StoreResult<(Vec<BookingCalendar>, Page)> {
    let mut filters = Vec::new();
    if let Some(h) = host {
        filters.push(("host_id = ?", Arg::from(h.as_str())));
    }
    let q = ListQuery {
        table: "booking_calendars",
        columns: COLUMNS,
        what: "booking calendar",
        account_id,
        filters,
        any_of: None,
    };
    let page = page::fetch(db, &q, req).await?;
    Ok((
        page.rows.iter().map(from_row).collect::<StoreResult<_>>()?,
        page,
    ))
}

/// A change to a booking calendar: each field given is set, the others kept. The host and the
/// distribution change together.
#[derive(Debug, Default)]
pub struct BookingCalendarPatch {
    pub host: Option<(Host, String)>,
    pub name: Option<String>,
    pub subject: Option<String>,
    pub slug: Option<String>,
    pub published: Option<bool>,
    pub settings: Option<Settings>,
}

/// Applies `patch`. False if there is no such live booking calendar.
pub async fn update(
    db: &Db,
    account_id: &AccountId,
    id: &BookingCalendarId,
    patch: BookingCalendarPatch,
    now: i64,
) -> StoreResult<bool> {
    let slug = patch.slug.clone().unwrap_or_default();
    let settings = patch
        .settings
        .as_ref()
        .map(serde_json::to_string)
        .transpose()?;
    let (host_id, distribution) = patch.host.unzip();
    let columns: Vec<(&'static str, Arg)> = [
        host_id.map(|v| ("host_id", Arg::from(v.as_str()))),
        distribution.map(|v| ("distribution", Arg::from(v))),
        patch.name.map(|v| ("name", Arg::from(v))),
        patch.subject.map(|v| ("subject", Arg::from(v))),
        patch.slug.map(|v| ("slug", Arg::from(v))),
        patch.published.map(|v| ("published", Arg::from(v))),
        settings.map(|v| ("settings", Arg::from(v))),
    ]
    .into_iter()
    .flatten()
    .collect();
    super::update_columns(db, "booking_calendars", account_id, id, columns, now)
        .await
        .map_err(|e| StoreError::unique_or(e, unique::SLUG, &slug))
}

pub async fn delete(
    db: &Db,
    account_id: &AccountId,
    id: &BookingCalendarId,
    now: i64,
) -> StoreResult<bool> {
    Ok(super::soft_delete(db, "booking_calendars", account_id, id, now).await?)
}
