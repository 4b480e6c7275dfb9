//! Bookings as the hosts' app lists them: by tab (to come, awaiting approval, past, canceled),
//! for one host or the whole account, searched by the guest's name or email address, in start
//! order, a page at a time.

use slotline_domain::{
    id::{AccountId, BookingId, UserId},
    lifecycle::Status,
};
use sqlx::Row;

use super::error::StoreResult;
use super::{Arg, Db, Sql};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tab {
    /// Holding time and not yet over, soonest first.
    Upcoming,
    /// Awaiting a host's approval, soonest first.
    Requested,
    /// Started before now (not canceled or replaced), latest first.
    Past,
    /// Canceled, latest first.
    Canceled,
}

#[derive(Debug, Clone)]
pub struct AgendaFilter {
    pub tab: Tab,
    /// Only bookings this user hosts.
    pub host: Option<UserId>,
    /// Part of the guest's name or email address.
    pub search: Option<String>,
    pub now: i64,
}

#[derive(Debug, Clone)]
pub struct AgendaRow {
    pub id: BookingId,
    pub status: Status,
    pub subject: String,
    pub start_time: i64,
    pub duration_minutes: i64,
    pub guest_name: String,
    pub guest_email: String,
    pub owner_name: String,
}

/// Up to `limit` bookings after skipping `offset`, and whether more follow.
pub async fn list(
    db: &Db,
    account_id: &AccountId,
    f: &AgendaFilter,
    limit: i64,
    offset: i64,
) -> StoreResult<(Vec<AgendaRow>, bool)> {
    let mut sql = Sql::new(
        "SELECT b.id, b.status, b.subject, b.start_time, b.duration_minutes, \
         COALESCE(c.first_name, '') AS first_name, COALESCE(c.last_name, '') AS last_name, COALESCE(c.email, '') AS email, \
         COALESCE(u.first_name, '') AS owner_first, COALESCE(u.last_name, '') AS owner_last \
         FROM bookings b JOIN contacts c ON c.id = b.contact_id LEFT JOIN users u ON u.id = b.owner_id \
         WHERE b.deleted = 0",
    );
    sql.push_with(" AND b.account_id = ?", [Arg::from(account_id)]);
    if let Some(h) = &f.host {
        sql.push_with(
            " AND b.id IN (SELECT booking_id FROM booking_hosts WHERE user_id = ?)",
            [Arg::from(h)],
        );
    }
    let order = match f.tab {
        Tab::Upcoming => {
            sql.push_with(
                " AND b.status IN ('scheduled', 'requested') AND b.start_time + b.duration_minutes * 60000 > ?",
                [Arg::I64(f.now)],
            );
            "ASC"
        }
        Tab::Requested => {
            sql.push(" AND b.status = 'requested'");
            "ASC"
        }
        Tab::Past => {
            sql.push_with(
                " AND b.status NOT IN ('canceled', 'rescheduled') AND b.start_time < ?",
                [Arg::I64(f.now)],
            );
            "DESC"
        }
        Tab::Canceled => {
            sql.push(" AND b.status = 'canceled'");
            "DESC"
        }
    };
    if let Some(s) = f.search.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        let pattern = format!("%{}%", escape_like(&s.to_lowercase()));
        sql.push_with(
            " AND (c.email_lc LIKE ? ESCAPE '\\' OR LOWER(COALESCE(c.first_name, '') || ' ' || COALESCE(c.last_name, '')) LIKE ? ESCAPE '\\')",
            [Arg::from(pattern.as_str()), Arg::from(pattern)],
        );
    }
    sql.push(&format!(" ORDER BY b.start_time {order}, b.seq {order}"));
    sql.push_with(" LIMIT ? OFFSET ?", [Arg::I64(limit + 1), Arg::I64(offset)]);
    let rows = sql.query().fetch_all(&mut *db.reader().await?).await?;
    let more = rows.len() as i64 > limit;
    let out = rows
        .iter()
        .take(limit as usize)
        .map(|r| {
            let name = |a: &str, b: &str| -> StoreResult<String> {
                Ok(format!(
                    "{} {}",
                    r.try_get::<String, _>(a)?,
                    r.try_get::<String, _>(b)?
                )
                .trim()
                .to_string())
            };
            Ok(AgendaRow {
                id: r.try_get("id")?,
                status: super::decode("status", r, Status::parse)?,
                subject: r.try_get("subject")?,
                start_time: r.try_get("start_time")?,
                duration_minutes: r.try_get("duration_minutes")?,
                guest_name: name("first_name", "last_name")?,
                guest_email: r.try_get("email")?,
                owner_name: name("owner_first", "owner_last")?,
            })
        })
        .collect::<StoreResult<Vec<_>>>()?;
    Ok((out, more))
}

/// `s` matched literally by `LIKE … ESCAPE '\'`.
fn escape_like(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}
