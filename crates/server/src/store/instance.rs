//! Secrets of this Slotline instance, kept in the database so that every process serving the
//! same database signs and checks with the same key.

use rand::RngCore;
use sqlx::Row;

use super::error::{StoreError, StoreResult};
use super::Db;

/// The secret called `name`, created at first use. Concurrent first uses agree: the insert
/// keeps whichever value came first and everyone reads that one back.
pub async fn secret(db: &Db, name: &str) -> StoreResult<Vec<u8>> {
    let mut fresh = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut fresh);
    sqlx::query(
        "INSERT INTO instance_secrets (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING",
    )
    .bind(name)
    .bind(hex::encode(fresh))
    .execute(&mut *db.writer().await?)
    .await?;
    let row = sqlx::query("SELECT value FROM instance_secrets WHERE name = $1")
        .bind(name)
        .fetch_one(&mut *db.writer().await?)
        .await?;
    hex::decode(row.try_get::<String, _>(0)?)
        .map_err(|e| StoreError::Corrupt(format!("instance secret {name}: {e}")))
}
