//! Bookings kept as events in the hosts' "add bookings to" calendars: marked pending by the
//! booking change that makes them wrong (in its transaction), claimed by the calendar worker,
//! which makes the calendar match the booking as it is then.

use slotline_domain::id::{AccountId, BookingId, UserId};
use sqlx::Row;

use super::calendar_connections::{self, Connection};
use super::error::StoreResult;
use super::{Arg, Batch, Db};

/// The calendars a booking change touches: those of `users` (its hosts before and after) that
/// receive bookings, for the event `uid`, now showing `booking_id`.
#[derive(Debug, Clone)]
pub struct CalendarWrite {
    pub uid: String,
    pub booking_id: BookingId,
    pub users: Vec<UserId>,
}

/// Marks the event pending in each of the users' booking calendars.
pub fn push(batch: &mut Batch, account_id: &AccountId, w: &CalendarWrite, now: i64) {
    if w.users.is_empty() {
        return;
    }
    let mut args = vec![
        Arg::from(w.uid.as_str()),
        Arg::from(account_id),
        Arg::from(&w.booking_id),
        Arg::I64(now),
    ];
    let mut list = Vec::with_capacity(w.users.len());
    for u in &w.users {
        args.push(Arg::from(u));
        list.push(format!("${}", args.len()));
    }
    batch.push(
        format!(
            "INSERT INTO calendar_writes (connection_seq, uid, account_id, booking_id, user_id, status, next_attempt_time, creation_time, last_updated_time) \
             SELECT seq, $1, $2, $3, user_id, 'pending', $4, $4, $4 FROM calendar_connections \
             WHERE account_id = $2 AND add_bookings = 1 AND deleted = 0 AND user_id IN ({}) \
             ON CONFLICT (connection_seq, uid) DO UPDATE SET booking_id = excluded.booking_id, status = 'pending', attempts = 0, \
             version = calendar_writes.version + 1, next_attempt_time = excluded.next_attempt_time, last_error = NULL, \
             last_updated_time = excluded.last_updated_time",
            list.join(", ")
        ),
        args,
    );
}

/// Gives a connection that has just been made to receive bookings the bookings its user holds
/// that have not ended, and clears its `backfill` flag; returns how many. Called by the worker
/// after the flag committed: a booking made since then wrote its own event.
pub async fn backfill(db: &Db, connection: &Connection, now: i64) -> StoreResult<usize> {
    let rows = sqlx::query(
        "SELECT DISTINCT b.id, b.rescheduled_booking_id, b.account_id FROM booking_hosts h JOIN bookings b ON b.id = h.booking_id \
         WHERE h.user_id = $1 AND h.active = 1 AND h.busy_end > $2",
    )
    .bind(&connection.user_id)
    .bind(now)
    .fetch_all(&mut *db.reader().await?)
    .await?;
    let mut writes = Vec::with_capacity(rows.len());
    let mut account: Option<AccountId> = None;
    for r in &rows {
        account = Some(r.try_get(2)?);
        let id: BookingId = r.try_get(0)?;
        let previous: Option<BookingId> = r.try_get(1)?;
        let root = match previous {
            None => id.clone(),
            Some(p) => super::bookings::first_of_chain(db, &p).await?,
        };
        writes.push((slotline_domain::ics::booking_uid(&root), id));
    }
    // One live booking per reschedule chain, but a statement may not touch a row twice.
    writes.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    writes.dedup_by(|a, b| a.0 == b.0);
    let mut batch = Batch::default();
    for chunk in writes.chunks(200) {
        let mut sql = String::from(
            "INSERT INTO calendar_writes (connection_seq, uid, account_id, booking_id, user_id, status, next_attempt_time, creation_time, last_updated_time) VALUES ",
        );
        let mut args = vec![
            Arg::I64(connection.seq),
            Arg::from(&connection.user_id),
            Arg::I64(now),
            Arg::from(account.clone()),
        ];
        for (i, (uid, id)) in chunk.iter().enumerate() {
            if i > 0 {
                sql.push_str(", ");
            }
            let n = args.len();
            sql.push_str(&format!(
                "($1, ${}, $4, ${}, $2, 'pending', $3, $3, $3)",
                n + 1,
                n + 2
            ));
            args.push(Arg::from(uid.as_str()));
            args.push(Arg::from(id));
        }
        sql.push_str(
            " ON CONFLICT (connection_seq, uid) DO UPDATE SET booking_id = excluded.booking_id, status = 'pending', attempts = 0, \
             version = calendar_writes.version + 1, next_attempt_time = excluded.next_attempt_time, last_error = NULL, \
             last_updated_time = excluded.last_updated_time",
        );
        batch.push(sql, args);
    }
    batch.push(
        "UPDATE calendar_connections SET backfill = 0 WHERE seq = $1",
        vec![Arg::I64(connection.seq)],
    );
    batch.run(db).await?;
    Ok(writes.len())
}

/// A write claimed by a worker.
#[derive(Debug, Clone)]
pub struct Claimed {
    pub seq: i64,
    pub version: i64,
    pub uid: String,
    pub account_id: AccountId,
    pub booking_id: BookingId,
    pub user_id: UserId,
    pub attempts: i64,
    pub present: bool,
    pub connection: Connection,
}

/// Claims up to `limit` due writes until `lease_until`.
pub async fn claim(
    db: &Db,
    now: i64,
    lease_until: i64,
    limit: i64,
    worker: &str,
) -> StoreResult<Vec<Claimed>> {
    let sql = format!(
        "UPDATE calendar_writes SET next_attempt_time = $1, claimed_time = $2, claimed_by = $4 WHERE seq IN (\
           SELECT seq FROM calendar_writes WHERE status = 'pending' AND next_attempt_time <= $2 ORDER BY next_attempt_time, seq LIMIT $3{}) \
         RETURNING seq, version, uid, account_id, booking_id, user_id, attempts, present, connection_seq",
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
        let account_id: AccountId = r.try_get(3)?;
        let Some(connection) = calendar_connections::by_seq(db, r.try_get(8)?).await? else {
            // Its connection was removed: nothing to keep in sync.
            finish(db, r.try_get(0)?, r.try_get(1)?, &Written::Gone, now).await?;
            continue;
        };
        out.push(Claimed {
            seq: r.try_get(0)?,
            version: r.try_get(1)?,
            uid: r.try_get(2)?,
            account_id,
            booking_id: r.try_get(4)?,
            user_id: r.try_get(5)?,
            attempts: r.try_get(6)?,
            present: r.try_get::<i64, _>(7)? != 0,
            connection,
        });
    }
    Ok(out)
}

/// What became of a write.
#[derive(Debug, Clone)]
pub enum Written {
    /// The event is in the calendar as the booking is; the booking's `external_calendar` becomes
    /// this.
    Put(serde_json::Value),
    /// The event is not in the calendar (deleted, or never there).
    Deleted,
    /// Its connection is gone.
    Gone,
    /// Tried again at `next` (or given up when None).
    Failed { error: String, next: Option<i64> },
}

/// Records a write of `seq` claimed at `version`; a change made since keeps it pending.
pub async fn finish(db: &Db, seq: i64, version: i64, w: &Written, now: i64) -> StoreResult<()> {
    let mut batch = Batch::default();
    let (status, present, error, next, tried): (&str, Option<i64>, Option<&str>, Option<i64>, i64) =
        match w {
            Written::Put(_) => ("done", Some(1), None, None, 1),
            Written::Deleted => ("done", Some(0), None, None, 1),
            Written::Gone => ("done", Some(0), None, None, 0),
            Written::Failed { error, next } => (
                if next.is_some() { "pending" } else { "failed" },
                None,
                Some(error.as_str()),
                *next,
                1,
            ),
        };
    batch.push(
        "UPDATE calendar_writes SET status = $3, present = COALESCE($4, present), last_error = $5, next_attempt_time = $6, \
         attempts = attempts + $7, last_attempt_time = $8, claimed_time = NULL, claimed_by = NULL, last_updated_time = $8 \
         WHERE seq = $1 AND version = $2",
        vec![
            Arg::I64(seq),
            Arg::I64(version),
            Arg::from(status),
            Arg::from(present),
            Arg::from(error.map(str::to_string)),
            Arg::from(next),
            Arg::I64(tried),
            Arg::I64(now),
        ],
    );
    if let Written::Put(external) = w {
        batch.push(
            "UPDATE bookings SET external_calendar = $2 WHERE id = (SELECT booking_id FROM calendar_writes WHERE seq = $1 AND version = $3)",
            vec![Arg::I64(seq), Arg::from(external.to_string()), Arg::I64(version)],
        );
    }
    batch.run(db).await?;
    Ok(())
}

/// The UIDs of the events written into `user_id`'s calendars: a sync reads them back and must
/// not count them again as busy.
pub async fn own_uids(db: &Db, user_id: &UserId) -> StoreResult<std::collections::HashSet<String>> {
    let rows = sqlx::query("SELECT uid FROM calendar_writes WHERE user_id = $1")
        .bind(user_id)
        .fetch_all(&mut *db.reader().await?)
        .await?;
    rows.iter().map(|r| Ok(r.try_get(0)?)).collect()
}
