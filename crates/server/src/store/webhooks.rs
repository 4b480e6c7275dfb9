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
    /// When delivery was switched off.
    pub disabled_time: Option<i64>,
    /// The secret before the last rotation and until when deliveries are signed with it too.
    pub previous_secret: Option<(String, i64)>,
    pub secret_rotated_time: Option<i64>,
    /// Deliveries of one booking go out in order.
    pub fifo: bool,
}

const COLUMNS: &str = "seq, id, name, url, events, secret, api_version, status, disabled_reason, creation_time, deleted, \
    disabled_time, previous_secret, previous_secret_expiry, secret_rotated_time, fifo";

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
        disabled_time: r.try_get("disabled_time")?,
        previous_secret: match (
            r.try_get::<Option<String>, _>("previous_secret")?,
            r.try_get::<Option<i64>, _>("previous_secret_expiry")?,
        ) {
            (Some(s), Some(t)) => Some((s, t)),
            _ => None,
        },
        secret_rotated_time: r.try_get("secret_rotated_time")?,
        fifo: r.try_get::<i64, _>("fifo")? != 0,
    })
}

/// What a webhook is made with.
pub struct NewWebhook<'a> {
    pub name: &'a str,
    pub url: &'a str,
    pub events: &'a [String],
    pub fifo: bool,
}

pub async fn create(
    db: &Db,
    account_id: &AccountId,
    new: &NewWebhook<'_>,
    now: i64,
) -> StoreResult<Webhook> {
    let NewWebhook {
        name,
        url,
        events,
        fifo,
    } = *new;
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
        disabled_time: None,
        previous_secret: None,
        secret_rotated_time: None,
        fifo,
    };
    sqlx::query(
        "INSERT INTO webhooks (id, account_id, name, url, events, secret, api_version, creation_time, fifo) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(&hook.id)
    .bind(account_id)
    .bind(name)
    .bind(url)
    .bind(serde_json::to_string(events)?)
    .bind(&hook.secret)
    .bind(&hook.api_version)
    .bind(now)
    .bind(i64::from(fifo))
    .execute(&mut *db.writer().await?)
    .await
    .map_err(|e| StoreError::unique_or(e, unique::WEBHOOK_NAME, name))?;
    Ok(hook)
}

/// A change to a webhook; `None` keeps a value.
#[derive(Debug, Default)]
pub struct WebhookPatch {
    pub name: Option<String>,
    pub url: Option<String>,
    pub events: Option<Vec<String>>,
    pub fifo: Option<bool>,
}

/// Changes a live webhook. False if there is none. Deliveries already queued keep going to the
/// address they were queued for only if they are claimed before the change; after it, every
/// attempt reads the new address.
pub async fn update(
    db: &Db,
    account_id: &AccountId,
    id: &WebhookId,
    patch: &WebhookPatch,
) -> StoreResult<bool> {
    let mut sets: Vec<(&str, Option<super::Arg>)> = Vec::new();
    if let Some(n) = &patch.name {
        sets.push(("name = ?", Some(super::Arg::from(n.as_str()))));
    }
    if let Some(u) = &patch.url {
        sets.push(("url = ?", Some(super::Arg::from(u.as_str()))));
    }
    if let Some(e) = &patch.events {
        sets.push((
            "events = ?",
            Some(super::Arg::from(serde_json::to_string(e)?)),
        ));
    }
    if let Some(f) = patch.fifo {
        sets.push(("fifo = ?", Some(super::Arg::I64(i64::from(f)))));
    }
    // Nothing to change still answers whether the webhook is there.
    sets.push(("deleted = deleted", None));
    let mut sql = super::Sql::new("UPDATE webhooks SET ");
    for (i, (set, arg)) in sets.into_iter().enumerate() {
        if i > 0 {
            sql.push(", ");
        }
        match arg {
            None => sql.push(set),
            Some(arg) => sql.push_with(set, [arg]),
        };
    }
    sql.push_with(
        " WHERE account_id = ? AND id = ? AND deleted = 0",
        [super::Arg::from(account_id), super::Arg::from(id)],
    );
    let done = sql
        .query()
        .execute(&mut *db.writer().await?)
        .await
        .map_err(|e| {
            StoreError::unique_or(e, unique::WEBHOOK_NAME, patch.name.as_deref().unwrap_or(""))
        })?;
    Ok(done.rows_affected() == 1)
}

/// Switches delivery off by hand: pending deliveries wait (they are not failed) and go out
/// when the webhook is enabled again. False if there is no such live, enabled webhook.
pub async fn disable(
    db: &Db,
    account_id: &AccountId,
    id: &WebhookId,
    reason: &str,
    now: i64,
) -> StoreResult<bool> {
    let done = sqlx::query(
        "UPDATE webhooks SET status = 'disabled', disabled_reason = $1, disabled_time = $2 \
         WHERE account_id = $3 AND id = $4 AND deleted = 0 AND status = 'enabled'",
    )
    .bind(reason)
    .bind(now)
    .bind(account_id)
    .bind(id)
    .execute(&mut *db.writer().await?)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Gives a live webhook a new secret; the current one becomes the previous one, still signing
/// deliveries until `grace_until` (a previous one still in its grace is dropped). Returns the
/// new secret, or `None` if there is no such webhook.
pub async fn rotate_secret(
    db: &Db,
    account_id: &AccountId,
    id: &WebhookId,
    grace_until: i64,
    now: i64,
) -> StoreResult<Option<String>> {
    let secret = slotline_domain::webhook::new_secret();
    let done = sqlx::query(
        "UPDATE webhooks SET previous_secret = secret, previous_secret_expiry = $1, secret = $2, secret_rotated_time = $3 \
         WHERE account_id = $4 AND id = $5 AND deleted = 0",
    )
    .bind(grace_until)
    .bind(&secret)
    .bind(now)
    .bind(account_id)
    .bind(id)
    .execute(&mut *db.writer().await?)
    .await?;
    Ok((done.rows_affected() == 1).then_some(secret))
}

/// Every live webhook of the account, oldest first (an account has a handful).
pub async fn all(db: &Db, account_id: &AccountId) -> StoreResult<Vec<Webhook>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM webhooks WHERE account_id = $1 AND deleted = 0 ORDER BY seq LIMIT 1000"
    );
    sqlx::query(&sql)
        .bind(account_id)
        .fetch_all(&mut *db.reader().await?)
        .await?
        .iter()
        .map(from_row)
        .collect()
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
