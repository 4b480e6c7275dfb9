//! One-time links: created through the API, used once by the public booking pages (the booking's
//! own transaction marks the link used; see `bookings::create`).

use slotline_domain::id::{AccountId, BookingId};
use sqlx::{any::AnyRow, Row};

use super::error::StoreResult;
use super::Db;

/// Unused links are deleted after this long (OnceHub: 90 days).
pub const LIFETIME_MS: i64 = 90 * 24 * 3_600_000;

#[derive(Debug, Clone)]
pub struct OneTimeLink {
    pub id: String,
    /// `booking_calendar` or `master_page`.
    pub target_kind: String,
    pub target_id: String,
    /// `{hide_url_params, booking_form, utm_params, booking_settings}` as given.
    pub options: serde_json::Value,
    pub creation_time: i64,
    pub expiry_time: i64,
    pub used_time: Option<i64>,
    pub booking_id: Option<BookingId>,
}

fn from_row(r: &AnyRow) -> StoreResult<OneTimeLink> {
    Ok(OneTimeLink {
        id: r.try_get("id")?,
        target_kind: r.try_get("target_kind")?,
        target_id: r.try_get("target_id")?,
        options: serde_json::from_str(&r.try_get::<String, _>("options")?)?,
        creation_time: r.try_get("creation_time")?,
        expiry_time: r.try_get("expiry_time")?,
        used_time: r.try_get("used_time")?,
        booking_id: r.try_get("booking_id")?,
    })
}

pub async fn create(db: &Db, account_id: &AccountId, link: &OneTimeLink) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO one_time_links (id, account_id, target_kind, target_id, options, creation_time, expiry_time) VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(&link.id)
    .bind(account_id)
    .bind(&link.target_kind)
    .bind(&link.target_id)
    .bind(link.options.to_string())
    .bind(link.creation_time)
    .bind(link.expiry_time)
    .execute(&mut *db.writer().await?)
    .await?;
    Ok(())
}

/// A link of the account, unless it expired unused (expired links are gone, as at OnceHub).
pub async fn get(
    db: &Db,
    account_id: &AccountId,
    id: &str,
    now: i64,
) -> StoreResult<Option<OneTimeLink>> {
    let row = sqlx::query(
        "SELECT id, target_kind, target_id, options, creation_time, expiry_time, used_time, booking_id FROM one_time_links \
         WHERE account_id = $1 AND id = $2 AND (used_time IS NOT NULL OR expiry_time > $3)",
    )
    .bind(account_id)
    .bind(id)
    .bind(now)
    .fetch_optional(&mut *db.reader().await?)
    .await?;
    row.as_ref().map(from_row).transpose()
}

/// A link by its id alone, with its account, unless it expired unused: what `/o/<id>` opens.
pub async fn public(db: &Db, id: &str, now: i64) -> StoreResult<Option<(AccountId, OneTimeLink)>> {
    let row = sqlx::query(
        "SELECT account_id, id, target_kind, target_id, options, creation_time, expiry_time, used_time, booking_id FROM one_time_links \
         WHERE id = $1 AND (used_time IS NOT NULL OR expiry_time > $2)",
    )
    .bind(id)
    .bind(now)
    .fetch_optional(&mut *db.reader().await?)
    .await?;
    row.map(|r| Ok((r.try_get("account_id")?, from_row(&r)?)))
        .transpose()
}

/// Deletes unused links past their expiry. Returns how many.
pub async fn purge_expired(db: &Db, now: i64) -> StoreResult<u64> {
    Ok(
        sqlx::query("DELETE FROM one_time_links WHERE used_time IS NULL AND expiry_time <= $1")
            .bind(now)
            .execute(&mut *db.writer().await?)
            .await?
            .rows_affected(),
    )
}
