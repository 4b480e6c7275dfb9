//! Accounts: the tenant every other object belongs to. Creating one also creates its owner user.

use slotline_domain::{
    id::{AccountId, UserId},
    role::Role,
    schedule::Schedule,
};
use sqlx::{any::AnyRow, Row};

use super::error::{StoreError, StoreResult};
use super::Db;

#[derive(Debug, Clone)]
pub struct Account {
    pub id: AccountId,
    pub name: String,
    pub email: String,
    pub timezone: String,
    pub owner_user_id: UserId,
}

const COLUMNS: &str = "a.id, a.name, a.email, a.timezone, (SELECT u.id FROM users u WHERE u.account_id = a.id AND u.role_name = 'Account Owner' ORDER BY u.seq LIMIT 1) AS owner_user_id";

fn from_row(r: &AnyRow) -> StoreResult<Account> {
    Ok(Account {
        id: r.try_get("id")?,
        name: r.try_get("name")?,
        email: r.try_get("email")?,
        timezone: r.try_get("timezone")?,
        // Every account is created with its owner, who cannot be deleted.
        owner_user_id: r
            .try_get::<Option<UserId>, _>("owner_user_id")?
            .ok_or_else(|| StoreError::Corrupt("an account without its owner".into()))?,
    })
}

/// Creates an account and its Account Owner user (named from `owner_first`/`owner_last`).
pub async fn create(
    db: &Db,
    name: &str,
    email: &str,
    timezone: &str,
    owner_first: &str,
    owner_last: &str,
    now: i64,
) -> StoreResult<Account> {
    let id = AccountId::new();
    let owner = UserId::new();
    let mut conn = db.writer().await?;
    let mut tx = conn.begin().await?;
    sqlx::query("INSERT INTO accounts (id, name, email, timezone, creation_time) VALUES ($1, $2, $3, $4, $5)")
        .bind(&id)
        .bind(name)
        .bind(email)
        .bind(timezone)
        .bind(now)
        .execute(&mut *tx)
        .await?;
    let schedule = serde_json::to_string(&Schedule::default())?;
    sqlx::query(
        "INSERT INTO users (id, account_id, first_name, last_name, email, email_lc, status, role_name, timezone, schedule, creation_time, last_updated_time) \
         VALUES ($1, $2, $3, $4, $5, $6, 'active', $7, $8, $9, $10, $10)",
    )
    .bind(&owner)
    .bind(&id)
    .bind(owner_first)
    .bind(owner_last)
    .bind(email)
    .bind(slotline_domain::email::normalize(email))
    .bind(Role::AccountOwner.as_str())
    .bind(timezone)
    .bind(schedule)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(Account {
        id,
        name: name.into(),
        email: email.into(),
        timezone: timezone.into(),
        owner_user_id: owner,
    })
}

pub async fn get(db: &Db, id: &AccountId) -> StoreResult<Option<Account>> {
    let sql = format!("SELECT {COLUMNS} FROM accounts a WHERE a.id = $1");
    sqlx::query(&sql)
        .bind(id)
        .fetch_optional(&mut *db.reader().await?)
        .await?
        .as_ref()
        .map(from_row)
        .transpose()
}

pub async fn list(db: &Db) -> StoreResult<Vec<Account>> {
    let sql = format!("SELECT {COLUMNS} FROM accounts a ORDER BY a.seq");
    sqlx::query(&sql)
        .fetch_all(&mut *db.reader().await?)
        .await?
        .iter()
        .map(from_row)
        .collect()
}
