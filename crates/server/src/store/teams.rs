//! Teams: named groups of users (membership lives on the user).

use slotline_domain::id::{AccountId, TeamId, UserId};
use sqlx::{any::AnyRow, Any, Row, Transaction};

use super::error::StoreResult;
use super::{
    page::{self, ListQuery, Page, PageRequest},
    Arg, Db, Sql,
};

#[derive(Debug, Clone)]
pub struct Team {
    pub id: TeamId,
    pub name: String,
    pub deleted: bool,
}

const COLUMNS: &str = "seq, id, name, deleted";

fn from_row(r: &AnyRow) -> StoreResult<Team> {
    Ok(Team {
        id: r.try_get("id")?,
        name: r.try_get("name")?,
        deleted: r.try_get::<i64, _>("deleted")? != 0,
    })
}

pub async fn create(db: &Db, account_id: &AccountId, name: &str, now: i64) -> StoreResult<Team> {
    let id = TeamId::new();
    sqlx::query("INSERT INTO teams (id, account_id, name, creation_time, last_updated_time) VALUES ($1, $2, $3, $4, $4)")
        .bind(&id)
        .bind(account_id)
        .bind(name)
        .bind(now)
        .execute(&mut *db.writer().await?)
        .await?;
    Ok(Team {
        id,
        name: name.into(),
        deleted: false,
    })
}

pub async fn get(db: &Db, account_id: &AccountId, id: &TeamId) -> StoreResult<Option<Team>> {
    let sql = format!("SELECT {COLUMNS} FROM teams WHERE account_id = $1 AND id = $2");
    sqlx::query(&sql)
        .bind(account_id)
        .bind(id)
        .fetch_optional(&mut *db.reader().await?)
        .await?
        .as_ref()
        .map(from_row)
        .transpose()
}

/// Lists teams, optionally only those `member` belongs to.
pub async fn list(
    db: &Db,
    account_id: &AccountId,
    member: Option<&UserId>,
    req: &PageRequest,
) -> StoreResult<(Vec<Team>, Page)> {
    let mut filters = Vec::new();
    if let Some(u) = member {
        filters.push((
            "id IN (SELECT team_id FROM team_members WHERE user_id = ?)",
            Arg::from(u),
        ));
    }
    let q = ListQuery {
        table: "teams",
        columns: COLUMNS,
        what: "team",
        account_id,
        filters,
        any_of: None,
    };
    let page = page::fetch(db, &q, req).await?;
    let teams = page
        .rows
        .iter()
        .map(from_row)
        .collect::<StoreResult<Vec<_>>>()?;
    Ok((teams, page))
}

pub async fn rename(
    db: &Db,
    account_id: &AccountId,
    id: &TeamId,
    name: &str,
    now: i64,
) -> StoreResult<bool> {
    let done = sqlx::query("UPDATE teams SET name = $1, last_updated_time = $2 WHERE account_id = $3 AND id = $4 AND deleted = 0")
        .bind(name)
        .bind(now)
        .bind(account_id)
        .bind(id)
        .execute(&mut *db.writer().await?)
        .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn delete(db: &Db, account_id: &AccountId, id: &TeamId, now: i64) -> StoreResult<bool> {
    let mut conn = db.writer().await?;
    let mut tx = conn.begin().await?;
    let done = sqlx::query("UPDATE teams SET deleted = 1, last_updated_time = $1 WHERE account_id = $2 AND id = $3 AND deleted = 0")
        .bind(now)
        .bind(account_id)
        .bind(id)
        .execute(&mut *tx)
        .await?;
    sqlx::query("DELETE FROM team_members WHERE team_id = $1")
        .bind(id)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(done.rows_affected() == 1)
}

/// The team's members who are not deleted, in the order users were created (the order round
/// robin breaks ties in).
pub async fn live_member_ids(db: &Db, team_id: &TeamId) -> StoreResult<Vec<UserId>> {
    let rows = sqlx::query(
        "SELECT tm.user_id FROM team_members tm JOIN users u ON u.id = tm.user_id \
         WHERE tm.team_id = $1 AND u.deleted = 0 ORDER BY u.seq",
    )
    .bind(team_id)
    .fetch_all(&mut *db.reader().await?)
    .await?;
    Ok(rows
        .iter()
        .map(|r| r.try_get(0))
        .collect::<Result<_, _>>()?)
}

/// The ids among `ids` that are not live teams of the account, in the order given.
pub async fn missing_in(
    tx: &mut Transaction<'_, Any>,
    account_id: &AccountId,
    ids: &[String],
) -> StoreResult<Vec<String>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut sql = Sql::new("SELECT id FROM teams WHERE deleted = 0");
    sql.push_with(" AND account_id = ? AND id IN ", [Arg::from(account_id)])
        .push_in(ids.iter().map(String::as_str));
    let found: Vec<String> = sql
        .query()
        .fetch_all(&mut **tx)
        .await?
        .iter()
        .map(|r| r.try_get(0))
        .collect::<Result<_, _>>()?;
    let mut missing: Vec<String> = Vec::new();
    for id in ids {
        if !found.contains(id) && !missing.contains(id) {
            missing.push(id.clone());
        }
    }
    Ok(missing)
}

/// Makes `members` (live users of the account; others are left out) the team's members, in
/// one transaction.
pub async fn set_members(
    db: &Db,
    account_id: &AccountId,
    team_id: &TeamId,
    members: &[UserId],
) -> StoreResult<()> {
    let mut batch = super::Batch::default();
    batch.push(
        "DELETE FROM team_members WHERE team_id = $1",
        vec![super::Arg::from(team_id)],
    );
    for m in members {
        batch.push(
            "INSERT INTO team_members (team_id, user_id) SELECT $1, id FROM users \
             WHERE account_id = $2 AND id = $3 AND deleted = 0 \
             AND EXISTS (SELECT 1 FROM teams WHERE id = $1 AND account_id = $2 AND deleted = 0) \
             ON CONFLICT DO NOTHING",
            vec![
                super::Arg::from(team_id),
                super::Arg::from(account_id),
                super::Arg::from(m),
            ],
        );
    }
    batch.run(db).await?;
    Ok(())
}
