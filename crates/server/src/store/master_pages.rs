//! Master pages (classic product): one public page that lists several booking pages.

use slotline_domain::id::{AccountId, MasterPageId};
use sqlx::{any::AnyRow, Row};

use super::error::{unique, StoreError, StoreResult};
use super::{
    page::{self, ListQuery, Page, PageRequest},
    Arg, Db,
};

#[derive(Debug, Clone)]
pub struct MasterPage {
    pub id: MasterPageId,
    pub name: String,
    pub label: String,
    pub slug: String,
    pub active: bool,
    pub deleted: bool,
}

const COLUMNS: &str = "seq, id, name, label, slug, active, deleted";

fn from_row(r: &AnyRow) -> StoreResult<MasterPage> {
    Ok(MasterPage {
        id: r.try_get("id")?,
        name: r.try_get("name")?,
        label: r.try_get("label")?,
        slug: r.try_get("slug")?,
        active: r.try_get::<i64, _>("active")? != 0,
        deleted: r.try_get::<i64, _>("deleted")? != 0,
    })
}

pub async fn create(
    db: &Db,
    account_id: &AccountId,
    name: &str,
    label: &str,
    slug: &str,
    active: bool,
    now: i64,
) -> StoreResult<MasterPage> {
    let id = MasterPageId::new();
    sqlx::query("INSERT INTO master_pages (id, account_id, name, label, slug, active, creation_time, last_updated_time) VALUES ($1, $2, $3, $4, $5, $6, $7, $7)")
        .bind(&id)
        .bind(account_id)
        .bind(name)
        .bind(label)
        .bind(slug)
        .bind(active as i64)
        .bind(now)
        .execute(&mut *db.writer().await?)
        .await
        .map_err(|e| StoreError::unique_or(e, unique::SLUG, slug))?;
    Ok(MasterPage {
        id,
        name: name.into(),
        label: label.into(),
        slug: slug.into(),
        active,
        deleted: false,
    })
}

pub async fn get(
    db: &Db,
    account_id: &AccountId,
    id: &MasterPageId,
) -> StoreResult<Option<MasterPage>> {
    let sql = format!("SELECT {COLUMNS} FROM master_pages WHERE account_id = $1 AND id = $2");
    sqlx::query(&sql)
        .bind(account_id)
        .bind(id)
        .fetch_optional(&mut *db.reader().await?)
        .await?
        .as_ref()
        .map(from_row)
        .transpose()
}

/// A live master page by its public slug or its id, with its account.
pub async fn public(db: &Db, key: &str) -> StoreResult<Option<(AccountId, MasterPage)>> {
    let sql = format!("SELECT account_id, {COLUMNS} FROM master_pages WHERE (slug = $1 OR id = $1) AND deleted = 0");
    let row = sqlx::query(&sql)
        .bind(key)
        .fetch_optional(&mut *db.reader().await?)
        .await?;
    row.map(|r| Ok((r.try_get("account_id")?, from_row(&r)?)))
        .transpose()
}

pub async fn list(
    db: &Db,
    account_id: &AccountId,
    req: &PageRequest,
) -> StoreResult<(Vec<MasterPage>, Page)> {
    let q = ListQuery {
        table: "master_pages",
        columns: COLUMNS,
        what: "master page",
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

/// A change to a master page: each field given is set, the others kept.
#[derive(Debug, Default)]
pub struct MasterPagePatch {
    pub name: Option<String>,
    pub label: Option<String>,
    pub slug: Option<String>,
    pub active: Option<bool>,
}

/// Applies `patch`. False if there is no such live master page.
pub async fn update(
    db: &Db,
    account_id: &AccountId,
    id: &MasterPageId,
    patch: MasterPagePatch,
    now: i64,
) -> StoreResult<bool> {
    let slug = patch.slug.clone().unwrap_or_default();
    let columns: Vec<(&'static str, Arg)> = [
        patch.name.map(|v| ("name", Arg::from(v))),
        patch.label.map(|v| ("label", Arg::from(v))),
        patch.slug.map(|v| ("slug", Arg::from(v))),
        patch.active.map(|v| ("active", Arg::from(v))),
    ]
    .into_iter()
    .flatten()
    .collect();
    super::update_columns(db, "master_pages", account_id, id, columns, now)
        .await
        .map_err(|e| StoreError::unique_or(e, unique::SLUG, &slug))
}

/// Deletes a master page; its booking pages stay, no longer grouped.
pub async fn delete(
    db: &Db,
    account_id: &AccountId,
    id: &MasterPageId,
    now: i64,
) -> StoreResult<bool> {
    let mut conn = db.writer().await?;
    let mut tx = conn.begin().await?;
    let done = sqlx::query("UPDATE master_pages SET deleted = 1, last_updated_time = $1 WHERE account_id = $2 AND id = $3 AND deleted = 0")
        .bind(now)
        .bind(account_id)
        .bind(id)
        .execute(&mut *tx)
        .await?;
    sqlx::query("UPDATE booking_pages SET master_page_id = NULL, last_updated_time = $1 WHERE master_page_id = $2")
        .bind(now)
        .bind(id)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(done.rows_affected() == 1)
}
