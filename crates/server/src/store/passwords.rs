//! Users' passwords (argon2id PHC strings, hashed by the caller) and the one-time links that
//! set them: an invitation's, a reset's. A link is kept as the SHA-256 of its token.

use slotline_domain::{
    email,
    id::{AccountId, UserId},
};
use sqlx::Row;

use super::error::StoreResult;
use super::{Arg, Batch, Db};

/// What a one-time link is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// A new user's first password.
    Invitation,
    /// A forgotten password.
    Reset,
}

impl Purpose {
    pub fn as_str(self) -> &'static str {
        match self {
            Purpose::Invitation => "invitation",
            Purpose::Reset => "reset",
        }
    }

    pub fn parse(s: &str) -> Option<Purpose> {
        match s {
            "invitation" => Some(Purpose::Invitation),
            "reset" => Some(Purpose::Reset),
            _ => None,
        }
    }
}

/// A live user who signs in with `email`, in any account, with the password hash (None when
/// they have not chosen one).
#[derive(Debug, Clone)]
pub struct Candidate {
    pub account_id: AccountId,
    pub user_id: UserId,
    pub first_name: String,
    pub last_name: String,
    pub password_hash: Option<String>,
    pub account_name: String,
}

/// The live users with this email address, oldest first (an address may be a user of several
/// accounts); at most `limit`.
pub async fn candidates(db: &Db, address: &str, limit: i64) -> StoreResult<Vec<Candidate>> {
    let rows = sqlx::query(
        "SELECT u.account_id, u.id, u.first_name, u.last_name, u.password_hash, a.name FROM users u \
         JOIN accounts a ON a.id = u.account_id \
         WHERE u.email_lc = $1 AND u.deleted = 0 ORDER BY u.seq LIMIT $2",
    )
    .bind(email::normalize(address))
    .bind(limit)
    .fetch_all(&mut *db.reader().await?)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(Candidate {
                account_id: r.try_get(0)?,
                user_id: r.try_get(1)?,
                first_name: r.try_get(2)?,
                last_name: r.try_get(3)?,
                password_hash: r.try_get(4)?,
                account_name: r.try_get(5)?,
            })
        })
        .collect()
}

/// A one-time link to add to the batch of the change that sends it.
#[derive(Debug, Clone)]
pub struct NewToken {
    pub hash: String,
    pub purpose: Purpose,
    pub expire_time: i64,
}

pub fn push_token(
    batch: &mut Batch,
    account_id: &AccountId,
    user_id: &UserId,
    t: &NewToken,
    now: i64,
) {
    batch.push(
        "INSERT INTO user_tokens (hash, account_id, user_id, purpose, creation_time, expire_time) VALUES ($1, $2, $3, $4, $5, $6)",
        vec![
            Arg::from(t.hash.as_str()),
            Arg::from(account_id),
            Arg::from(user_id),
            Arg::from(t.purpose.as_str()),
            Arg::I64(now),
            Arg::I64(t.expire_time),
        ],
    );
}

/// A one-time link (a reset, an invitation sent again) and the email that carries it, written
/// together.
pub async fn create_link(
    db: &Db,
    account_id: &AccountId,
    user_id: &UserId,
    token: &NewToken,
    message: &super::notifications::NewMessage,
    now: i64,
) -> StoreResult<()> {
    let mut batch = Batch::default();
    push_token(&mut batch, account_id, user_id, token, now);
    super::notifications::push(&mut batch, account_id, message, now);
    batch.run(db).await?;
    db.outbox_written();
    Ok(())
}

/// The user a live, unused link of `hash` is for.
#[derive(Debug, Clone)]
pub struct TokenOwner {
    pub account_id: AccountId,
    pub user_id: UserId,
    pub purpose: Purpose,
    pub email: String,
    pub first_name: String,
}

pub async fn token(db: &Db, hash: &str, now: i64) -> StoreResult<Option<TokenOwner>> {
    let row = sqlx::query(
        "SELECT t.account_id, t.user_id, t.purpose, u.email, u.first_name FROM user_tokens t \
         JOIN users u ON u.id = t.user_id AND u.account_id = t.account_id \
         WHERE t.hash = $1 AND t.used_time IS NULL AND t.expire_time > $2 AND u.deleted = 0",
    )
    .bind(hash)
    .bind(now)
    .fetch_optional(&mut *db.reader().await?)
    .await?;
    let Some(r) = row else { return Ok(None) };
    Ok(Some(TokenOwner {
        account_id: r.try_get(0)?,
        user_id: r.try_get(1)?,
        purpose: super::decode("purpose", &r, Purpose::parse)?,
        email: r.try_get(3)?,
        first_name: r.try_get(4)?,
    }))
}

/// Sets the password of the user a live link is for, uses up every link of that user and ends
/// all their sessions, in one transaction. False when the link was used or expired meanwhile.
pub async fn set_with_token(
    db: &Db,
    token_hash: &str,
    owner: &TokenOwner,
    password_hash: &str,
    now: i64,
) -> StoreResult<bool> {
    let mut conn = db.writer().await?;
    let mut tx = conn.begin().await?;
    let used = sqlx::query(
        "UPDATE user_tokens SET used_time = $3 WHERE hash = $1 AND user_id = $2 AND used_time IS NULL AND expire_time > $3",
    )
    .bind(token_hash)
    .bind(&owner.user_id)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    if used.rows_affected() != 1 {
        return Ok(false);
    }
    let mut batch = Batch::default();
    push_password(&mut batch, &owner.user_id, password_hash, now);
    batch.run_in(&mut tx).await?;
    tx.commit().await?;
    Ok(true)
}

/// Sets a user's password directly (the demo, a signed-in user changing theirs), ending their
/// sessions and links.
pub async fn set(db: &Db, user_id: &UserId, password_hash: &str, now: i64) -> StoreResult<()> {
    let mut batch = Batch::default();
    push_password(&mut batch, user_id, password_hash, now);
    batch.run(db).await?;
    Ok(())
}

fn push_password(batch: &mut Batch, user_id: &UserId, password_hash: &str, now: i64) {
    batch.push(
        "UPDATE users SET password_hash = $2 WHERE id = $1",
        vec![Arg::from(user_id), Arg::from(password_hash)],
    );
    batch.push(
        "UPDATE user_tokens SET used_time = $2 WHERE user_id = $1 AND used_time IS NULL",
        vec![Arg::from(user_id), Arg::I64(now)],
    );
    batch.push(
        "DELETE FROM sessions WHERE user_id = $1",
        vec![Arg::from(user_id)],
    );
}

/// The live users of the account who have not chosen a password yet.
pub async fn without_password(
    db: &Db,
    account_id: &AccountId,
) -> StoreResult<std::collections::HashSet<UserId>> {
    let rows = sqlx::query(
        "SELECT id FROM users WHERE account_id = $1 AND deleted = 0 AND password_hash IS NULL",
    )
    .bind(account_id)
    .fetch_all(&mut *db.reader().await?)
    .await?;
    rows.iter().map(|r| Ok(r.try_get(0)?)).collect()
}
