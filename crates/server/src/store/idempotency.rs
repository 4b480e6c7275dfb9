//! Stored first responses of POST requests made with an `Idempotency-Key`.

use slotline_domain::id::AccountId;
use sqlx::Row;

use super::error::StoreResult;
use super::{is_unique_violation, Db};

/// How long a key is remembered.
pub const TTL_MS: i64 = 24 * 3_600_000;

pub enum Claim {
    /// The key is new (or expired): the caller runs the request and records its response.
    Fresh,
    /// The same request was answered before: replay this.
    Replay { status: u16, body: String },
    /// The key was used with a different request.
    Mismatch,
    /// The first request with this key is still running.
    InFlight,
}

/// Claims `key` for a request whose method, path and body hash to `hash`.
pub async fn claim(
    db: &Db,
    account_id: &AccountId,
    key: &str,
    hash: &str,
    now: i64,
) -> StoreResult<Claim> {
    // An expired key is forgotten, then claimed like a new one.
    sqlx::query(
        "DELETE FROM idempotency_keys WHERE account_id = $1 AND key = $2 AND creation_time <= $3",
    )
    .bind(account_id)
    .bind(key)
    .bind(now - TTL_MS)
    .execute(&mut *db.writer().await?)
    .await?;
    let inserted = sqlx::query("INSERT INTO idempotency_keys (account_id, key, request_hash, creation_time) VALUES ($1, $2, $3, $4)")
        .bind(account_id)
        .bind(key)
        .bind(hash)
        .bind(now)
        .execute(&mut *db.writer().await?)
        .await;
    match inserted {
        Ok(_) => return Ok(Claim::Fresh),
        Err(e) if is_unique_violation(&e) => {}
        Err(e) => return Err(e.into()),
    }
    let row = sqlx::query("SELECT request_hash, status, body FROM idempotency_keys WHERE account_id = $1 AND key = $2")
        .bind(account_id)
        .bind(key)
        .fetch_optional(&mut *db.writer().await?)
        .await?;
    let Some(row) = row else {
        return Ok(Claim::InFlight);
    };
    if row.try_get::<String, _>(0)? != hash {
        return Ok(Claim::Mismatch);
    }
    match (
        row.try_get::<Option<i64>, _>(1)?,
        row.try_get::<Option<String>, _>(2)?,
    ) {
        (Some(status), Some(body)) => Ok(Claim::Replay {
            status: status as u16,
            body,
        }),
        _ => Ok(Claim::InFlight),
    }
}

/// Records the response to a claimed key.
pub async fn record(
    db: &Db,
    account_id: &AccountId,
    key: &str,
    status: u16,
    body: &str,
) -> StoreResult<()> {
    sqlx::query(
        "UPDATE idempotency_keys SET status = $1, body = $2 WHERE account_id = $3 AND key = $4",
    )
    .bind(status as i64)
    .bind(body)
    .bind(account_id)
    .bind(key)
    .execute(&mut *db.writer().await?)
    .await?;
    Ok(())
}

/// Forgets a claim whose request failed on our side, so that a retry runs again.
pub async fn release(db: &Db, account_id: &AccountId, key: &str) -> StoreResult<()> {
    sqlx::query(
        "DELETE FROM idempotency_keys WHERE account_id = $1 AND key = $2 AND status IS NULL",
    )
    .bind(account_id)
    .bind(key)
    .execute(&mut *db.writer().await?)
    .await?;
    Ok(())
}
