//! Users of an account, their team memberships and their scheduling availability.

use std::collections::HashMap;

use slotline_domain::{
    email,
    id::{AccountId, TeamId, UserId},
    role::Role,
    schedule::Schedule,
};
use sqlx::{any::AnyRow, Any, Row, Transaction};

use super::error::{unique, StoreError, StoreResult};
use super::{
    is_unique_violation,
    page::{self, ListQuery, Page, PageRequest},
    teams, Arg, Db, Sql,
};

/// Users an account may have (OnceHub's limit for purchased plans).
pub const MAX_USERS: i64 = 500;

#[derive(Debug, Clone)]
pub struct User {
    pub id: UserId,
    pub first_name: String,
    pub last_name: String,
    pub email: String,
    pub status: String,
    pub role: Role,
    pub timezone: String,
    pub teams: Vec<TeamId>,
    pub deleted: bool,
}

pub struct NewUser {
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    pub role: Role,
    pub teams: Vec<String>,
    pub timezone: String,
}

/// The email a new user receives, and the link in it that lets them choose a password.
#[derive(Debug, Clone)]
pub struct Invitation {
    pub message: super::notifications::NewMessage,
    pub token: Option<super::passwords::NewToken>,
}

#[derive(Default)]
pub struct UserPatch {
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub role: Option<Role>,
    pub teams: Option<Vec<String>>,
    pub timezone: Option<String>,
}

const COLUMNS: &str = "seq, id, first_name, last_name, email, status, role_name, timezone, deleted";

fn from_row(r: &AnyRow) -> StoreResult<User> {
    Ok(User {
        id: r.try_get("id")?,
        first_name: r.try_get("first_name")?,
        last_name: r.try_get("last_name")?,
        email: r.try_get("email")?,
        status: r.try_get("status")?,
        role: super::decode("role_name", r, Role::from_stored)?,
        timezone: r.try_get("timezone")?,
        teams: Vec::new(),
        deleted: r.try_get::<i64, _>("deleted")? != 0,
    })
}

async fn attach_teams(db: &Db, users: &mut [User]) -> StoreResult<()> {
    if users.is_empty() {
        return Ok(());
    }
    let mut sql = Sql::new(
        "SELECT tm.user_id, tm.team_id FROM team_members tm JOIN teams t ON t.id = tm.team_id WHERE t.deleted = 0 AND tm.user_id IN ",
    );
    sql.push_in(users.iter().map(|u| u.id.as_str()))
        .push(" ORDER BY t.seq");
    let mut by_user: HashMap<UserId, Vec<TeamId>> = HashMap::new();
    let rows = sql.query().fetch_all(&mut *db.reader().await?).await?;
    for r in rows {
        by_user
            .entry(r.try_get(0)?)
            .or_default()
            .push(r.try_get(1)?);
    }
    for u in users {
        u.teams = by_user.remove(&u.id).unwrap_or_default();
    }
    Ok(())
}

pub async fn get(db: &Db, account_id: &AccountId, id: &UserId) -> StoreResult<Option<User>> {
    let sql = format!("SELECT {COLUMNS} FROM users WHERE account_id = $1 AND id = $2");
    let Some(row) = sqlx::query(&sql)
        .bind(account_id)
        .bind(id)
        .fetch_optional(&mut *db.reader().await?)
        .await?
    else {
        return Ok(None);
    };
    let mut user = [from_row(&row)?];
    attach_teams(db, &mut user).await?;
    let [user] = user;
    Ok(Some(user))
}

/// Fetches several live users by id (for expansion); missing ids are left out.
pub async fn get_many(
    db: &Db,
    account_id: &AccountId,
    ids: &[UserId],
) -> StoreResult<HashMap<UserId, User>> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let mut sql = Sql::new(&format!("SELECT {COLUMNS} FROM users WHERE deleted = 0"));
    sql.push_with(" AND account_id = ? AND id IN ", [Arg::from(account_id)])
        .push_in(ids.iter().map(|id| id.as_str()));
    let mut users = sql
        .query()
        .fetch_all(&mut *db.reader().await?)
        .await?
        .iter()
        .map(from_row)
        .collect::<StoreResult<Vec<_>>>()?;
    attach_teams(db, &mut users).await?;
    Ok(users.into_iter().map(|u| (u.id.clone(), u)).collect())
}

pub async fn list(
    db: &Db,
    account_id: &AccountId,
    email_filter: Option<&str>,
    req: &PageRequest,
) -> StoreResult<(Vec<User>, Page)> {
    let mut filters = Vec::new();
    if let Some(e) = email_filter {
        filters.push(("email_lc = ?", Arg::from(email::normalize(e))));
    }
    let q = ListQuery {
        table: "users",
        columns: COLUMNS,
        what: "user",
        account_id,
        filters,
        any_of: None,
    };
    let page = page::fetch(db, &q, req).await?;
    let mut users = page
        .rows
        .iter()
        .map(from_row)
        .collect::<StoreResult<Vec<_>>>()?;
    attach_teams(db, &mut users).await?;
    Ok((users, page))
}

async fn check_teams(
    tx: &mut Transaction<'_, Any>,
    account_id: &AccountId,
    teams: &[String],
) -> StoreResult<()> {
    let missing = teams::missing_in(tx, account_id, teams).await?;
    if missing.is_empty() {
        return Ok(());
    }
    Err(StoreError::NoSuchTeams(missing))
}

async fn set_teams(
    tx: &mut Transaction<'_, Any>,
    user_id: &UserId,
    teams: &[String],
) -> StoreResult<()> {
    sqlx::query("DELETE FROM team_members WHERE user_id = $1")
        .bind(user_id)
        .execute(&mut **tx)
        .await?;
    let mut seen = Vec::new();
    for t in teams.iter().filter(|t| {
        !seen.contains(t) && {
            seen.push(*t);
            true
        }
    }) {
        sqlx::query("INSERT INTO team_members (team_id, user_id) VALUES ($1, $2)")
            .bind(t)
            .bind(user_id)
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

/// Team ids in the order given, each once.
fn distinct(teams: Vec<String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::with_capacity(teams.len());
    for t in teams {
        if !out.contains(&t) {
            out.push(t);
        }
    }
    out
}

/// Creates a user; `invitation`, when given, is addressed to the new user and written in the
/// same transaction.
pub async fn create(
    db: &Db,
    account_id: &AccountId,
    mut new: NewUser,
    invitation: Option<Invitation>,
    now: i64,
) -> StoreResult<User> {
    new.teams = distinct(std::mem::take(&mut new.teams));
    let id = UserId::new();
    let mut conn = db.writer().await?;
    let mut tx = conn.begin().await?;
    let count: i64 =
        sqlx::query("SELECT COUNT(*) FROM users WHERE account_id = $1 AND deleted = 0")
            .bind(account_id)
            .fetch_one(&mut *tx)
            .await?
            .try_get(0)?;
    if count >= MAX_USERS {
        return Err(StoreError::TooManyUsers);
    }
    check_teams(&mut tx, account_id, &new.teams).await?;
    let schedule = serde_json::to_string(&Schedule::default())?;
    let inserted = sqlx::query(
        "INSERT INTO users (id, account_id, first_name, last_name, email, email_lc, status, role_name, timezone, schedule, creation_time, last_updated_time) \
         VALUES ($1, $2, $3, $4, $5, $6, 'active', $7, $8, $9, $10, $10)",
    )
    .bind(&id)
    .bind(account_id)
    .bind(&new.first_name)
    .bind(&new.last_name)
    .bind(&new.email)
    .bind(email::normalize(&new.email))
    .bind(new.role.as_str())
    .bind(&new.timezone)
    .bind(schedule)
    .bind(now)
    .execute(&mut *tx)
    .await;
    match inserted {
        Err(e) if is_unique_violation(&e) => {
            return Err(StoreError::Unique {
                constraint: unique::USER_EMAIL,
                value: new.email,
            })
        }
        other => other?,
    };
    set_teams(&mut tx, &id, &new.teams).await?;
    if let Some(Invitation { mut message, token }) = invitation.clone() {
        message.recipient = super::notifications::Recipient::User(id.clone());
        let mut batch = super::Batch::default();
        super::notifications::push(&mut batch, account_id, &message, now);
        if let Some(t) = &token {
            super::passwords::push_token(&mut batch, account_id, &id, t, now);
        }
        batch.run_in(&mut tx).await?;
    }
    tx.commit().await?;
    if invitation.is_some() {
        db.outbox_written();
    }
    Ok(User {
        id,
        first_name: new.first_name,
        last_name: new.last_name,
        email: new.email,
        status: "active".into(),
        role: new.role,
        timezone: new.timezone,
        // Each was checked to be a live team of the account.
        teams: new
            .teams
            .into_iter()
            .map(TeamId::parse)
            .collect::<Result<_, _>>()
            .map_err(|e| StoreError::Corrupt(e.to_string()))?,
        deleted: false,
    })
}

pub async fn update(
    db: &Db,
    account_id: &AccountId,
    id: &UserId,
    mut patch: UserPatch,
    now: i64,
) -> StoreResult<()> {
    patch.teams = patch.teams.map(distinct);
    let mut conn = db.writer().await?;
    let mut tx = conn.begin().await?;
    if let Some(teams) = &patch.teams {
        check_teams(&mut tx, account_id, teams).await?;
        set_teams(&mut tx, id, teams).await?;
    }
    let mut sql = Sql::new("UPDATE users SET ");
    sql.push_with("last_updated_time = ?", [Arg::I64(now)]);
    if let Some(v) = patch.first_name {
        sql.push_with(", first_name = ?", [Arg::from(v)]);
    }
    if let Some(v) = patch.last_name {
        sql.push_with(", last_name = ?", [Arg::from(v)]);
    }
    if let Some(v) = patch.role {
        sql.push_with(", role_name = ?", [Arg::from(v.as_str())]);
    }
    if let Some(v) = patch.timezone {
        sql.push_with(", timezone = ?", [Arg::from(v)]);
    }
    sql.push_with(
        " WHERE account_id = ? AND id = ? AND deleted = 0",
        [Arg::from(account_id), Arg::from(id)],
    );
    sql.query().execute(&mut *tx).await?;
    tx.commit().await?;
    Ok(())
}

/// Soft-deletes a user: it leaves lists, its id answers with a redacted object.
pub async fn delete(db: &Db, account_id: &AccountId, id: &UserId, now: i64) -> StoreResult<bool> {
    let mut conn = db.writer().await?;
    let mut tx = conn.begin().await?;
    let done = sqlx::query("UPDATE users SET deleted = 1, last_updated_time = $1 WHERE account_id = $2 AND id = $3 AND deleted = 0")
        .bind(now)
        .bind(account_id)
        .bind(id)
        .execute(&mut *tx)
        .await?;
    sqlx::query("DELETE FROM team_members WHERE user_id = $1")
        .bind(id)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(done.rows_affected() == 1)
}

pub async fn schedule(
    db: &Db,
    account_id: &AccountId,
    id: &UserId,
) -> StoreResult<Option<(Schedule, String, bool)>> {
    let row = sqlx::query(
        "SELECT schedule, timezone, deleted FROM users WHERE account_id = $1 AND id = $2",
    )
    .bind(account_id)
    .bind(id)
    .fetch_optional(&mut *db.reader().await?)
    .await?;
    row.map(|r| {
        let schedule: Schedule = serde_json::from_str(&r.try_get::<String, _>(0)?)?;
        Ok((schedule, r.try_get(1)?, r.try_get::<i64, _>(2)? != 0))
    })
    .transpose()
}

pub async fn set_schedule(
    db: &Db,
    account_id: &AccountId,
    id: &UserId,
    schedule: &Schedule,
    now: i64,
) -> StoreResult<()> {
    sqlx::query("UPDATE users SET schedule = $1, last_updated_time = $2 WHERE account_id = $3 AND id = $4 AND deleted = 0")
        .bind(serde_json::to_string(schedule)?)
        .bind(now)
        .bind(account_id)
        .bind(id)
        .execute(&mut *db.writer().await?)
        .await?;
    Ok(())
}

/// A live user's own meeting link: `Some(None)` when they have none, `None` when there is no
/// such user.
pub async fn meeting_link(
    db: &Db,
    account_id: &AccountId,
    id: &UserId,
) -> StoreResult<Option<Option<String>>> {
    let row = sqlx::query(
        "SELECT meeting_link FROM users WHERE account_id = $1 AND id = $2 AND deleted = 0",
    )
    .bind(account_id)
    .bind(id)
    .fetch_optional(&mut *db.reader().await?)
    .await?;
    row.map(|r| Ok(r.try_get(0)?)).transpose()
}

/// Sets (or with None, removes) a live user's meeting link; false when there is no such user.
pub async fn set_meeting_link(
    db: &Db,
    account_id: &AccountId,
    id: &UserId,
    link: Option<&str>,
    now: i64,
) -> StoreResult<bool> {
    let done = sqlx::query(
        "UPDATE users SET meeting_link = $1, last_updated_time = $2 WHERE account_id = $3 AND id = $4 AND deleted = 0",
    )
    .bind(link)
    .bind(now)
    .bind(account_id)
    .bind(id)
    .execute(&mut *db.writer().await?)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// What scheduling needs of a host: email, zone and schedule (read by `bookings::host_and_busy`).
pub struct HostInfo {
    pub email: String,
    pub timezone: String,
    pub schedule: Schedule,
}

/// Every live user of the account, by name: who a booking may be given to.
pub async fn names(db: &Db, account_id: &AccountId) -> StoreResult<Vec<(UserId, String)>> {
    let rows = sqlx::query(
        "SELECT id, first_name, last_name FROM users WHERE account_id = $1 AND deleted = 0 AND status = 'active' \
         ORDER BY first_name, last_name, seq LIMIT $2",
    )
    .bind(account_id)
    .bind(MAX_USERS)
    .fetch_all(&mut *db.reader().await?)
    .await?;
    rows.iter()
        .map(|r| {
            let first: String = r.try_get(1)?;
            let last: String = r.try_get(2)?;
            Ok((r.try_get(0)?, format!("{first} {last}").trim().to_string()))
        })
        .collect()
}
