//! Webhook subscriptions (their deliveries are in `deliveries` and `outbox`).

use slotline_domain::id::{AccountId, WebhookId};
use slotline_domain::webhook::WebhookStatus;
use sqlx::{any::AnyRow, Row};

use super::error::{unique, StoreError, StoreResult};
use super::{
    outbox::NewEvent,
    page::{self, ListQuery, Page, PageRequest},
    Db,
};

#[derive(Debug, Clone)]
pub struct Webhook {
    pub id: WebhookId,
    pub name: String,
    pub url: String,
    pub events: Vec<String>,
    pub secret: String,
    pub api_version: String,
    pub status: WebhookStatus,
    pub disabled_reason: Option<String>,
    pub creation_time: i64,
    pub deleted: bool,
}

const COLUMNS: &str = "seq, id, name, url, events, secret, api_version, status, disabled_reason, creation_time, deleted";

fn from_row(r: &AnyRow) -> StoreResult<Webhook> {
    Ok(Webhook {
        id: r.try_get("id")?,
        name: r.try_get("name")?,
        url: r.try_get("url")?,
        events: serde_json::from_str(&r.try_get::<String, _>("events")?)?,
        secret: r.try_get("secret")?,
        api_version: r.try_get("api_version")?,
        status: super::decode("status", r, WebhookStatus::parse)?,
        disabled_reason: r.try_get("disabled_reason")?,
        creation_time: r.try_get("creation_time")?,
        deleted: r.try_get::<i64, _>("deleted")? != 0,
    })
}

pub async fn create(
    db: &Db,
    account_id: &AccountId,
    name: &str,
    url: &str,
    events: &[String],
    now: i64,
) -> StoreResult<Webhook> {
    let hook = Webhook {
        id: WebhookId::new(),
        name: name.into(),
        url: url.into(),
        events: events.to_vec(),
        secret: slotline_domain::webhook::new_secret(),
        api_version: "v2".into(),
        status: WebhookStatus::Enabled,
        disabled_reason: None,
        creation_time: now,
        deleted: false,
    };
    sqlx::query(
        "INSERT INTO webhooks (id, account_id, name, url, events, secret, api_version, creation_time) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(&hook.id)
    .bind(account_id)
    .bind(name)
    .bind(url)
    .bind(serde_json::to_string(events)?)
    .bind(&hook.secret)
    .bind(&hook.api_version)
    .bind(now)
    .execute(&mut *db.writer().await?)
    .await
    .map_err(|e| StoreError::unique_or(e, unique::WEBHOOK_NAME, name))?;
    Ok(hook)
}

pub async fn get(db: &Db, account_id: &AccountId, id: &WebhookId) -> StoreResult<Option<Webhook>> {
    let sql = format!("SELECT {COLUMNS} FROM webhooks WHERE account_id = $1 AND id = $2");
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
) -> StoreResult<(Vec<Webhook>, Page)> {
    let q = ListQuery {
        table: "webhooks",
        columns: COLUMNS,
        what: "webhook",
        account_id,
        filters: vec![],
        any_of: None,
    };
    let page = page::fetch(db, &q, req).await?;
    let hooks = page
        .rows
        .iter()
        .map(from_row)
        .collect::<StoreResult<Vec<_>>>()?;
    Ok((hooks, page))
}

pub async fn delete(db: &Db, account_id: &AccountId, id: &WebhookId) -> StoreResult<bool> {
    let done = sqlx::query(
        "UPDATE webhooks SET deleted = 1 WHERE account_id = $1 AND id = $2 AND deleted = 0",
    )
    .bind(account_id)
    .bind(id)
    .execute(&mut *db.writer().await?)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Switches delivery back on for a disabled webhook. False if there is no such live webhook.
pub async fn enable(db: &Db, account_id: &AccountId, id: &WebhookId) -> StoreResult<bool> {
    let done = sqlx::query(
        "UPDATE webhooks SET status = 'enabled', disabled_reason = NULL, disabled_time = NULL, failing_since = NULL \
         WHERE account_id = $1 AND id = $2 AND deleted = 0",
    )
    .bind(account_id)
    .bind(id)
    .execute(&mut *db.writer().await?)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Writes `event` (a `webhook.test`) for delivery to this webhook only.
pub async fn send_test(
    db: &Db,
    account_id: &AccountId,
    hook_id: &WebhookId,
    e: &NewEvent,
) -> StoreResult<()> {
    let mut batch = super::Batch::default();
    super::outbox::push(&mut batch, account_id, None, e, Some(hook_id));
    batch.run(db).await?;
    db.outbox_written();
    Ok(())
}
