//! A user's connected calendars and the busy time read from them (`external_busy`). The
//! credentials arrive sealed (`crate::secrets`); the store keeps and returns them sealed.

use slotline_domain::{
    availability::Interval,
    id::{AccountId, CalendarConnectionId, UserId},
};
use sqlx::{any::AnyRow, Row};

use super::error::{unique, StoreError, StoreResult};
use super::{Arg, Batch, Db};

/// How the server reaches a calendar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A read-only iCalendar feed (a URL).
    Ics,
    /// A calendar on a CalDAV server.
    Caldav,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Ics => "ics",
            Kind::Caldav => "caldav",
        }
    }

    pub fn parse(s: &str) -> Option<Kind> {
        match s {
            "ics" => Some(Kind::Ics),
            "caldav" => Some(Kind::Caldav),
            _ => None,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Connection {
    pub seq: i64,
    pub id: CalendarConnectionId,
    pub user_id: UserId,
    pub kind: Kind,
    pub name: String,
    pub url_shown: String,
    pub username: Option<String>,
    /// The credentials, sealed for this connection's id.
    pub secret: String,
    pub check_conflicts: bool,
    pub add_bookings: bool,
    pub tentative_busy: bool,
    /// Receives bookings since its last sync: the user's bookings still to come are yet to be
    /// added (`calendar_writes::backfill`).
    pub backfill: bool,
    pub sync_state: Option<String>,
    pub next_sync_time: i64,
    pub last_sync_time: Option<i64>,
    pub last_attempt_time: Option<i64>,
    pub last_error: Option<String>,
    pub busy_count: i64,
    pub skipped_count: i64,
    pub creation_time: i64,
    pub last_updated_time: i64,
}

const COLUMNS: &str = "seq, id, user_id, kind, name, url_shown, username, secret, check_conflicts, add_bookings, tentative_busy, \
     backfill, sync_state, next_sync_time, last_sync_time, last_attempt_time, last_error, busy_count, skipped_count, creation_time, last_updated_time";

fn from_row(r: &AnyRow) -> StoreResult<Connection> {
    let flag = |c: &str| -> StoreResult<bool> { Ok(r.try_get::<i64, _>(c)? != 0) };
    Ok(Connection {
        seq: r.try_get("seq")?,
        id: r.try_get("id")?,
        user_id: r.try_get("user_id")?,
        kind: super::decode("kind", r, Kind::parse)?,
        name: r.try_get("name")?,
        url_shown: r.try_get("url_shown")?,
        username: r.try_get("username")?,
        secret: r.try_get("secret")?,
        check_conflicts: flag("check_conflicts")?,
        add_bookings: flag("add_bookings")?,
        tentative_busy: flag("tentative_busy")?,
        backfill: flag("backfill")?,
        sync_state: r.try_get("sync_state")?,
        next_sync_time: r.try_get("next_sync_time")?,
        last_sync_time: r.try_get("last_sync_time")?,
        last_attempt_time: r.try_get("last_attempt_time")?,
        last_error: r.try_get("last_error")?,
        busy_count: r.try_get("busy_count")?,
        skipped_count: r.try_get("skipped_count")?,
        creation_time: r.try_get("creation_time")?,
        last_updated_time: r.try_get("last_updated_time")?,
    })
}

/// A connection to add; due for its first sync at once.
#[derive(Debug, Clone)]
pub struct NewConnection {
    pub id: CalendarConnectionId,
    pub user_id: UserId,
    pub kind: Kind,
    pub name: String,
    pub url_shown: String,
    pub username: Option<String>,
    pub secret: String,
    pub check_conflicts: bool,
    pub add_bookings: bool,
    pub tentative_busy: bool,
}

pub async fn create(
    db: &Db,
    account_id: &AccountId,
    c: &NewConnection,
    now: i64,
) -> StoreResult<Connection> {
    sqlx::query(
        "INSERT INTO calendar_connections (id, account_id, user_id, kind, name, url_shown, username, secret, check_conflicts, add_bookings, \
         tentative_busy, backfill, next_sync_time, creation_time, last_updated_time) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $10, $12, $12, $12)",
    )
    .bind(&c.id)
    .bind(account_id)
    .bind(&c.user_id)
    .bind(c.kind.as_str())
    .bind(&c.name)
    .bind(&c.url_shown)
    .bind(c.username.as_deref())
    .bind(&c.secret)
    .bind(c.check_conflicts as i64)
    .bind(c.add_bookings as i64)
    .bind(c.tentative_busy as i64)
    .bind(now)
    .execute(&mut *db.writer().await?)
    .await
    .map_err(|e| StoreError::unique_or(e, unique::CALENDAR_FOR_BOOKINGS, c.user_id.as_str()))?;
    db.calendars_due();
    get(db, account_id, &c.id)
        .await?
        .ok_or_else(|| StoreError::Corrupt("the connection was not written".into()))
}

pub async fn get(
    db: &Db,
    account_id: &AccountId,
    id: &CalendarConnectionId,
) -> StoreResult<Option<Connection>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM calendar_connections WHERE account_id = $1 AND id = $2 AND deleted = 0"
    );
    sqlx::query(&sql)
        .bind(account_id)
        .bind(id)
        .fetch_optional(&mut *db.reader().await?)
        .await?
        .as_ref()
        .map(from_row)
        .transpose()
}

/// A live connection by its row number (the worker's reference).
pub async fn by_seq(db: &Db, seq: i64) -> StoreResult<Option<Connection>> {
    let sql = format!("SELECT {COLUMNS} FROM calendar_connections WHERE seq = $1 AND deleted = 0");
    sqlx::query(&sql)
        .bind(seq)
        .fetch_optional(&mut *db.reader().await?)
        .await?
        .as_ref()
        .map(from_row)
        .transpose()
}

/// A user's connections, oldest first.
pub async fn of_user(
    db: &Db,
    account_id: &AccountId,
    user_id: &UserId,
) -> StoreResult<Vec<Connection>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM calendar_connections WHERE account_id = $1 AND user_id = $2 AND deleted = 0 ORDER BY seq"
    );
    sqlx::query(&sql)
        .bind(account_id)
        .bind(user_id)
        .fetch_all(&mut *db.reader().await?)
        .await?
        .iter()
        .map(from_row)
        .collect()
}

/// A change to a connection. New credentials, or reading tentative events differently, make it
/// due for a sync at once; no longer checking for conflicts forgets its busy time; receiving
/// bookings from now on makes it due to be given the bookings still to come.
#[derive(Debug, Clone, Default)]
pub struct ConnectionPatch {
    pub name: Option<String>,
    pub check_conflicts: Option<bool>,
    pub add_bookings: Option<bool>,
    pub tentative_busy: Option<bool>,
    /// `(url_shown, username, sealed secret)`.
    pub credentials: Option<(String, Option<String>, String)>,
}

pub async fn update(
    db: &Db,
    account_id: &AccountId,
    id: &CalendarConnectionId,
    p: &ConnectionPatch,
    now: i64,
) -> StoreResult<Option<Connection>> {
    let Some(before) = get(db, account_id, id).await? else {
        return Ok(None);
    };
    let backfill = p.add_bookings == Some(true) && !before.add_bookings;
    let resync = p.credentials.is_some()
        || p.tentative_busy.is_some_and(|t| t != before.tentative_busy)
        || p.check_conflicts == Some(true) && !before.check_conflicts;
    let (url_shown, username, secret) = p.credentials.clone().unwrap_or((
        before.url_shown.clone(),
        before.username.clone(),
        before.secret.clone(),
    ));
    let mut batch = Batch::default();
    batch.push(
        "UPDATE calendar_connections SET name = $3, check_conflicts = $4, add_bookings = $5, tentative_busy = $6, url_shown = $7, \
         username = $8, secret = $9, sync_state = CASE WHEN $10 = 1 THEN NULL ELSE sync_state END, \
         next_sync_time = CASE WHEN $10 = 1 OR $12 = 1 THEN $11 ELSE next_sync_time END, \
         backfill = CASE WHEN $12 = 1 THEN 1 WHEN $5 = 0 THEN 0 ELSE backfill END, last_updated_time = $11 \
         WHERE account_id = $1 AND id = $2 AND deleted = 0",
        vec![
            Arg::from(account_id),
            Arg::from(id),
            Arg::from(p.name.clone().unwrap_or(before.name.clone())),
            Arg::I64(p.check_conflicts.unwrap_or(before.check_conflicts) as i64),
            Arg::I64(p.add_bookings.unwrap_or(before.add_bookings) as i64),
            Arg::I64(p.tentative_busy.unwrap_or(before.tentative_busy) as i64),
            Arg::from(url_shown),
            Arg::from(username),
            Arg::from(secret),
            Arg::I64(resync as i64),
            Arg::I64(now),
            Arg::I64(backfill as i64),
        ],
    );
    if p.check_conflicts == Some(false) {
        push_forget_busy(&mut batch, before.seq);
    }
    batch.run(db).await.map_err(|e| {
        StoreError::unique_or(e, unique::CALENDAR_FOR_BOOKINGS, before.user_id.as_str())
    })?;
    if resync || backfill {
        db.calendars_due();
    }
    get(db, account_id, id).await
}

fn push_forget_busy(batch: &mut Batch, seq: i64) {
    batch.push(
        "DELETE FROM external_busy WHERE connection_seq = $1",
        vec![Arg::I64(seq)],
    );
    batch.push(
        "UPDATE calendar_connections SET busy_count = 0 WHERE seq = $1",
        vec![Arg::I64(seq)],
    );
}

/// Removes a connection and the busy time it brought.
pub async fn delete(
    db: &Db,
    account_id: &AccountId,
    id: &CalendarConnectionId,
    now: i64,
) -> StoreResult<bool> {
    let Some(c) = get(db, account_id, id).await? else {
        return Ok(false);
    };
    let mut batch = Batch::default();
    batch.push(
        "UPDATE calendar_connections SET deleted = 1, add_bookings = 0, last_updated_time = $2 WHERE seq = $1",
        vec![Arg::I64(c.seq), Arg::I64(now)],
    );
    push_forget_busy(&mut batch, c.seq);
    batch.run(db).await?;
    Ok(true)
}

/// Makes a connection due for a sync now (on demand).
pub async fn sync_soon(
    db: &Db,
    account_id: &AccountId,
    id: &CalendarConnectionId,
    now: i64,
) -> StoreResult<bool> {
    let done = sqlx::query(
        "UPDATE calendar_connections SET next_sync_time = $3 WHERE account_id = $1 AND id = $2 AND deleted = 0",
    )
    .bind(account_id)
    .bind(id)
    .bind(now)
    .execute(&mut *db.writer().await?)
    .await?;
    db.calendars_due();
    Ok(done.rows_affected() == 1)
}

impl Db {
    /// Tells the sync worker a connection is due now.
    pub fn calendars_due(&self) {
        self.calendars.notify_one();
    }

    /// Resolves when a connection became due since the worker last heard.
    pub async fn calendars_signal(&self) {
        self.calendars.notified().await
    }
}

/// A connection claimed for a sync, with its user's zone.
#[derive(Debug, Clone)]
pub struct Due {
    pub connection: Connection,
    pub zone: String,
}

/// Claims up to `limit` connections due for a sync until `lease_until`: a worker that dies
/// leaves them due again when the lease runs out.
pub async fn claim(
    db: &Db,
    now: i64,
    lease_until: i64,
    limit: i64,
    worker: &str,
) -> StoreResult<Vec<Due>> {
    let sql = format!(
        "UPDATE calendar_connections SET next_sync_time = $1, claimed_time = $2, claimed_by = $4 WHERE seq IN (\
           SELECT seq FROM calendar_connections WHERE deleted = 0 AND next_sync_time <= $2 ORDER BY next_sync_time, seq LIMIT $3{}) \
         RETURNING {COLUMNS}",
        db.backend.skip_locked()
    );
    let rows = sqlx::query(&sql)
        .bind(lease_until)
        .bind(now)
        .bind(limit)
        .bind(worker)
        .fetch_all(&mut *db.writer().await?)
        .await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in &rows {
        let connection = from_row(r)?;
        let zone: Option<String> = sqlx::query("SELECT timezone FROM users WHERE id = $1")
            .bind(&connection.user_id)
            .fetch_optional(&mut *db.reader().await?)
            .await?
            .map(|r| r.try_get(0))
            .transpose()?;
        out.push(Due {
            connection,
            zone: zone.unwrap_or_else(|| "UTC".into()),
        });
    }
    Ok(out)
}

/// What a sync found.
#[derive(Debug, Clone)]
pub enum Synced {
    /// The calendar's busy time over the sync window (replacing what was stored).
    Busy {
        intervals: Vec<Interval>,
        skipped: usize,
        state: Option<String>,
    },
    /// Nothing changed since the last sync (an ETag or Last-Modified matched).
    Unchanged,
    /// It could not be read: why, and when to try again.
    Failed { error: String, retry_at: i64 },
}

/// Records a sync of connection `seq` made at `now`; the next is due at `next`.
pub async fn record(db: &Db, due: &Due, synced: &Synced, now: i64, next: i64) -> StoreResult<()> {
    let c = &due.connection;
    let mut batch = Batch::default();
    match synced {
        Synced::Busy {
            intervals,
            skipped,
            state,
        } => {
            batch.push(
                "DELETE FROM external_busy WHERE connection_seq = $1",
                vec![Arg::I64(c.seq)],
            );
            if c.check_conflicts {
                for chunk in intervals.chunks(500) {
                    let mut sql = String::from(
                        "INSERT INTO external_busy (connection_seq, user_id, start_time, end_time) VALUES ",
                    );
                    let mut args = Vec::with_capacity(chunk.len() * 2 + 2);
                    args.push(Arg::I64(c.seq));
                    args.push(Arg::from(&c.user_id));
                    for (i, iv) in chunk.iter().enumerate() {
                        if i > 0 {
                            sql.push_str(", ");
                        }
                        let n = args.len();
                        sql.push_str(&format!("($1, $2, ${}, ${})", n + 1, n + 2));
                        args.push(Arg::I64(iv.start));
                        args.push(Arg::I64(iv.end));
                    }
                    batch.push(sql, args);
                }
            }
            batch.push(
                "UPDATE calendar_connections SET sync_state = $2, last_sync_time = $3, last_attempt_time = $3, last_error = NULL, \
                 busy_count = $4, skipped_count = $5, next_sync_time = $6, claimed_time = NULL, claimed_by = NULL WHERE seq = $1 AND deleted = 0",
                vec![
                    Arg::I64(c.seq),
                    Arg::from(state.clone()),
                    Arg::I64(now),
                    Arg::I64(if c.check_conflicts { intervals.len() as i64 } else { 0 }),
                    Arg::I64(*skipped as i64),
                    Arg::I64(next),
                ],
            );
        }
        Synced::Unchanged => {
            batch.push(
            "UPDATE calendar_connections SET last_sync_time = $2, last_attempt_time = $2, last_error = NULL, next_sync_time = $3, \
             claimed_time = NULL, claimed_by = NULL WHERE seq = $1 AND deleted = 0",
            vec![Arg::I64(c.seq), Arg::I64(now), Arg::I64(next)],
            );
        }
        Synced::Failed { error, retry_at } => {
            batch.push(
            "UPDATE calendar_connections SET last_attempt_time = $2, last_error = $3, next_sync_time = $4, claimed_time = NULL, \
             claimed_by = NULL WHERE seq = $1 AND deleted = 0",
            vec![
                Arg::I64(c.seq),
                Arg::I64(now),
                Arg::from(error.as_str()),
                Arg::I64(*retry_at),
            ],
            );
        }
    }
    batch.run(db).await?;
    Ok(())
}
