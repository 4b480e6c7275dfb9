//! Signed-in browsers of the hosts' app. A session is found by the SHA-256 of its cookie's
//! token (the token itself is never stored) and lives until it is idle too long or too old.

use slotline_domain::{
    id::{AccountId, UserId},
    role::Role,
};
use sqlx::Row;

use super::error::StoreResult;
use super::{Arg, Batch, Db};

/// A session's signed-in user, as each request of the app needs them.
#[derive(Debug, Clone)]
pub struct Session {
    pub account_id: AccountId,
    pub user_id: UserId,
    pub role: Role,
    pub first_name: String,
    pub last_name: String,
    pub email: String,
    pub timezone: String,
    /// The token every form of this session carries.
    pub csrf: String,
    pub creation_time: i64,
    pub last_seen_time: i64,
    pub expire_time: i64,
}

/// Opens a session for a user (`id_hash` is the SHA-256 of the cookie's token).
#[allow(clippy::too_many_arguments)]
pub async fn create(
    db: &Db,
    id_hash: &str,
    account_id: &AccountId,
    user_id: &UserId,
    csrf: &str,
    user_agent: Option<&str>,
    now: i64,
    expire_time: i64,
) -> StoreResult<()> {
    let mut batch = Batch::default();
    batch.push(
        "INSERT INTO sessions (id_hash, account_id, user_id, csrf, user_agent, creation_time, last_seen_time, expire_time) \
         VALUES ($1, $2, $3, $4, $5, $6, $6, $7)",
        vec![
            Arg::from(id_hash),
            Arg::from(account_id),
            Arg::from(user_id),
            Arg::from(csrf),
            Arg::from(user_agent.map(str::to_string)),
            Arg::I64(now),
            Arg::I64(expire_time),
        ],
    );
    batch.run(db).await?;
    Ok(())
}

/// The live session of `id_hash` at `now`, with its user (who must still be in the account).
pub async fn get(db: &Db, id_hash: &str, now: i64) -> StoreResult<Option<Session>> {
    let row = sqlx::query(
        "SELECT s.account_id, s.user_id, u.role_name, u.first_name, u.last_name, u.email, u.timezone, s.csrf, \
         s.creation_time, s.last_seen_time, s.expire_time \
         FROM sessions s JOIN users u ON u.id = s.user_id AND u.account_id = s.account_id \
         WHERE s.id_hash = $1 AND s.expire_time > $2 AND u.deleted = 0",
    )
    .bind(id_hash)
    .bind(now)
    .fetch_optional(&mut *db.reader().await?)
    .await?;
    let Some(r) = row else { return Ok(None) };
    Ok(Some(Session {
        account_id: r.try_get(0)?,
        user_id: r.try_get(1)?,
        role: super::decode("role_name", &r, Role::from_stored)?,
        first_name: r.try_get(3)?,
        last_name: r.try_get(4)?,
        email: r.try_get(5)?,
        timezone: r.try_get(6)?,
        csrf: r.try_get(7)?,
        creation_time: r.try_get(8)?,
        last_seen_time: r.try_get(9)?,
        expire_time: r.try_get(10)?,
    }))
}

/// Records a use of the session, which then lives until `expire_time`.
pub async fn touch(db: &Db, id_hash: &str, now: i64, expire_time: i64) -> StoreResult<()> {
    let mut batch = Batch::default();
    batch.push(
        "UPDATE sessions SET last_seen_time = $2, expire_time = $3 WHERE id_hash = $1",
        vec![Arg::from(id_hash), Arg::I64(now), Arg::I64(expire_time)],
    );
    batch.run(db).await?;
    Ok(())
}

/// Ends one session.
pub async fn delete(db: &Db, id_hash: &str) -> StoreResult<()> {
    let mut batch = Batch::default();
    batch.push(
        "DELETE FROM sessions WHERE id_hash = $1",
        vec![Arg::from(id_hash)],
    );
    batch.run(db).await?;
    Ok(())
}

/// Ends every session of a user (sign-out everywhere, a new password); how many.
pub async fn delete_of_user(db: &Db, user_id: &UserId) -> StoreResult<usize> {
    let mut batch = Batch::default();
    batch.push(
        "DELETE FROM sessions WHERE user_id = $1 RETURNING id_hash",
        vec![Arg::from(user_id)],
    );
    let rows = batch.run(db).await?;
    Ok(rows.first().map_or(0, Vec::len))
}

/// The number of live sessions of a user.
pub async fn count_of_user(db: &Db, user_id: &UserId, now: i64) -> StoreResult<i64> {
    let row = sqlx::query("SELECT COUNT(*) FROM sessions WHERE user_id = $1 AND expire_time > $2")
        .bind(user_id)
        .bind(now)
        .fetch_one(&mut *db.reader().await?)
        .await?;
    Ok(row.try_get(0)?)
}

/// Removes sessions and sign-in links that expired before `now`, at most `limit` of each.
pub async fn purge_expired(db: &Db, now: i64, limit: i64) -> StoreResult<()> {
    let mut batch = Batch::default();
    batch.push(
        "DELETE FROM sessions WHERE id_hash IN (SELECT id_hash FROM sessions WHERE expire_time <= $1 LIMIT $2)",
        vec![Arg::I64(now), Arg::I64(limit)],
    );
    batch.push(
        "DELETE FROM user_tokens WHERE hash IN (SELECT hash FROM user_tokens WHERE expire_time <= $1 LIMIT $2)",
        vec![Arg::I64(now), Arg::I64(limit)],
    );
    batch.run(db).await?;
    Ok(())
}
