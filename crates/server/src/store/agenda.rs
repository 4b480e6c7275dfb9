//! Bookings as the hosts' app lists them: by tab (to come, awaiting approval, past, canceled),
//! for one host or the whole account, searched by the guest's name or email address, in start
//! order, a page at a time.

use slotline_domain::{
    id::{AccountId, BookingCalendarId, BookingId, BookingPageId, EventId, UserId, WebhookId},
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
    /// Only bookings of this booking calendar.
    pub calendar: Option<BookingCalendarId>,
    /// Only bookings of this classic booking page.
    pub page: Option<BookingPageId>,
    /// Only bookings starting at or after `from` and before `to`.
    pub from: Option<i64>,
    pub to: Option<i64>,
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
    if let Some(c) = &f.calendar {
        sql.push_with(" AND b.booking_calendar_id = ?", [Arg::from(c)]);
    }
    if let Some(p) = &f.page {
        sql.push_with(" AND b.booking_page_id = ?", [Arg::from(p)]);
    }
    if let Some(t) = f.from {
        sql.push_with(" AND b.start_time >= ?", [Arg::I64(t)]);
    }
    if let Some(t) = f.to {
        sql.push_with(" AND b.start_time < ?", [Arg::I64(t)]);
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

/// An event a booking caused, and where it went.
#[derive(Debug, Clone)]
pub struct HistoryEvent {
    pub id: EventId,
    pub event_type: String,
    pub creation_time: i64,
    pub deliveries: Vec<DeliverySummary>,
}

/// One webhook's delivery of an event, as it stands.
#[derive(Debug, Clone)]
pub struct DeliverySummary {
    pub webhook_id: WebhookId,
    pub webhook_name: String,
    pub status: String,
    pub attempts: i64,
    pub last_status_code: Option<i64>,
    pub last_error: Option<String>,
}

/// The events of a booking, oldest first (at most 200), each with its deliveries.
pub async fn history(
    db: &Db,
    account_id: &AccountId,
    booking_id: &BookingId,
) -> StoreResult<Vec<HistoryEvent>> {
    let rows = sqlx::query(
        "SELECT id, type, creation_time FROM events WHERE booking_id = $1 AND account_id = $2 AND deleted = 0 ORDER BY seq LIMIT 200",
    )
    .bind(booking_id)
    .bind(account_id)
    .fetch_all(&mut *db.reader().await?)
    .await?;
    let mut events = rows
        .iter()
        .map(|r| {
            Ok(HistoryEvent {
                id: r.try_get(0)?,
                event_type: r.try_get(1)?,
                creation_time: r.try_get(2)?,
                deliveries: Vec::new(),
            })
        })
        .collect::<StoreResult<Vec<_>>>()?;
    if events.is_empty() {
        return Ok(events);
    }
    let mut sql = Sql::new(
        "SELECT d.event_id, d.webhook_id, COALESCE(w.name, '') AS name, d.status, d.attempts, d.last_status_code, d.last_error \
         FROM deliveries d LEFT JOIN webhooks w ON w.id = d.webhook_id WHERE d.event_id IN ",
    );
    sql.push_in(events.iter().map(|e| e.id.as_str()))
        .push(" ORDER BY d.seq");
    let rows = sql.query().fetch_all(&mut *db.reader().await?).await?;
    for r in &rows {
        let event_id: EventId = r.try_get(0)?;
        if let Some(e) = events.iter_mut().find(|e| e.id == event_id) {
            e.deliveries.push(DeliverySummary {
                webhook_id: r.try_get(1)?,
                webhook_name: r.try_get(2)?,
                status: r.try_get(3)?,
                attempts: r.try_get(4)?,
                last_status_code: r.try_get(5)?,
                last_error: r.try_get(6)?,
            });
        }
    }
    Ok(events)
}
