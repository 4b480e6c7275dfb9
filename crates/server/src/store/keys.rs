//! API keys: several named keys per account, kept only as hashes, revocable at once.

use slotline_domain::apikey;
use slotline_domain::id::{AccountId, ApiKeyId};
use sqlx::{any::AnyRow, Row};

use super::error::{StoreError, StoreResult};
use super::Db;

#[derive(Debug, Clone)]
pub struct KeyInfo {
    pub id: ApiKeyId,
    pub account_id: AccountId,
    pub name: String,
    pub hint: String,
    pub creation_time: i64,
    pub revoked_time: Option<i64>,
    /// When a request last presented it (recorded in batches; up to a sweep late).
    pub last_used_time: Option<i64>,
}

/// Who a valid key speaks for.
#[derive(Debug, Clone)]
pub struct Principal {
    pub account_id: AccountId,
    pub account_email: String,
    /// The key presented.
    pub key_id: ApiKeyId,
}

fn from_row(r: &AnyRow) -> StoreResult<KeyInfo> {
    Ok(KeyInfo {
        id: r.try_get("id")?,
        account_id: r.try_get("account_id")?,
        name: r.try_get("name")?,
        hint: r.try_get("hint")?,
        creation_time: r.try_get("creation_time")?,
        revoked_time: r.try_get("revoked_time")?,
        last_used_time: r.try_get("last_used_time")?,
    })
}

/// Creates a key and returns it with its secret, which is never stored and cannot be shown again.
pub async fn create(
    db: &Db,
    account_id: &AccountId,
    name: &str,
    now: i64,
) -> StoreResult<(KeyInfo, String)> {
    let key = apikey::generate();
    let id = ApiKeyId::new();
    let mut conn = db.writer().await?;
    let mut tx = conn.begin().await?;
    let active: i64 =
        sqlx::query("SELECT COUNT(*) FROM api_keys WHERE account_id = $1 AND revoked_time IS NULL")
            .bind(account_id)
            .fetch_one(&mut *tx)
            .await?
            .try_get(0)?;
    if active >= apikey::MAX_ACTIVE_KEYS {
        return Err(StoreError::TooManyKeys {
            max: apikey::MAX_ACTIVE_KEYS,
        });
    }
    sqlx::query("INSERT INTO api_keys (id, account_id, name, hint, hash, creation_time) VALUES ($1, $2, $3, $4, $5, $6)")
        .bind(&id)
        .bind(account_id)
        .bind(name)
        .bind(&key.hint)
        .bind(&key.hash)
        .bind(now)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    let info = KeyInfo {
        id,
        account_id: account_id.clone(),
        name: name.into(),
        hint: key.hint,
        creation_time: now,
        revoked_time: None,
        last_used_time: None,
    };
    Ok((info, key.secret))
}

pub async fn list(db: &Db, account_id: &AccountId) -> StoreResult<Vec<KeyInfo>> {
    sqlx::query("SELECT id, account_id, name, hint, creation_time, revoked_time, last_used_time FROM api_keys WHERE account_id = $1 ORDER BY seq")
        .bind(account_id)
        .fetch_all(&mut *db.reader().await?)
        .await?
        .iter()
        .map(from_row)
        .collect()
}

/// Revokes a key by id; the next request that presents it is refused. False if no such active key.
pub async fn revoke(db: &Db, key_id: &ApiKeyId, now: i64) -> StoreResult<bool> {
    let done =
        sqlx::query("UPDATE api_keys SET revoked_time = $1 WHERE id = $2 AND revoked_time IS NULL")
            .bind(now)
            .bind(key_id)
            .execute(&mut *db.writer().await?)
            .await?;
    Ok(done.rows_affected() == 1)
}

/// Revokes a key of the account; false if it has no such active key.
pub async fn revoke_of(
    db: &Db,
    account_id: &AccountId,
    key_id: &ApiKeyId,
    now: i64,
) -> StoreResult<bool> {
    let done = sqlx::query(
        "UPDATE api_keys SET revoked_time = $1 WHERE id = $2 AND account_id = $3 AND revoked_time IS NULL",
    )
    .bind(now)
    .bind(key_id)
    .bind(account_id)
    .execute(&mut *db.writer().await?)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Records when keys were last used, all in one transaction; a time never goes back.
pub async fn record_use(db: &Db, used: &[(ApiKeyId, i64)]) -> StoreResult<()> {
    if used.is_empty() {
        return Ok(());
    }
    let mut conn = db.writer().await?;
    let mut tx = conn.begin().await?;
    for (id, at) in used {
        sqlx::query(
            "UPDATE api_keys SET last_used_time = $1 WHERE id = $2 AND (last_used_time IS NULL OR last_used_time < $1)",
        )
        .bind(*at)
        .bind(id)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// The account a presented key belongs to, if the key exists and is not revoked.
pub async fn authenticate(db: &Db, secret: &str) -> StoreResult<Option<Principal>> {
    let row = sqlx::query(
        "SELECT k.account_id, a.email, k.id FROM api_keys k JOIN accounts a ON a.id = k.account_id WHERE k.hash = $1 AND k.revoked_time IS NULL",
    )
    .bind(apikey::hash(secret))
    .fetch_optional(&mut *db.reader().await?)
    .await?;
    row.map(|r| {
        Ok(Principal {
            account_id: r.try_get(0)?,
            account_email: r.try_get(1)?,
            key_id: r.try_get(2)?,
        })
    })
    .transpose()
}
