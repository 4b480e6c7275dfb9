//! Public form tokens already posted: each is good for one post (see `web::guard`).

use super::error::StoreResult;
use super::Db;

/// Records the use of `token` (its signature); false when it was used before.
pub async fn use_once(db: &Db, token: &str, expiry_time: i64) -> StoreResult<bool> {
    let done = sqlx::query("INSERT INTO form_token_uses (token, expiry_time) VALUES ($1, $2) ON CONFLICT (token) DO NOTHING")
        .bind(token)
        .bind(expiry_time)
        .execute(&mut *db.writer().await?)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Forgets tokens that have expired (they are refused for their age anyway).
pub async fn purge_expired(db: &Db, now: i64) -> StoreResult<u64> {
    Ok(
        sqlx::query("DELETE FROM form_token_uses WHERE expiry_time <= $1")
            .bind(now)
            .execute(&mut *db.writer().await?)
            .await?
            .rows_affected(),
    )
}
