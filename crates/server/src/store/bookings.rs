//! Bookings, the host time they hold, and the events their changes write — all in one
//! transaction, so that no booking changes without its event and no event outlives a rollback.
//!
//! No double booking: the database refuses an active host time that overlaps another of the same
//! host — an exclusion constraint over (host, busy range) on PostgreSQL, a trigger on SQLite
//! (migration 0009) — and the refusal becomes "not available".

use slotline_domain::availability::Interval;
use slotline_domain::id::{
    AccountId, BookingCalendarId, BookingId, BookingPageId, ContactId, ConversationId, EventTypeId,
    Id, MasterPageId, UserId,
};
use slotline_domain::lifecycle::Status;
use sqlx::{any::AnyRow, Any, Row, Transaction};

use super::error::{unique, StoreError, StoreResult};
use super::{
    page::{self, ListQuery, Page, PageRequest},
    Arg, Batch, Db, Sql,
};

#[derive(Debug, Clone)]
pub struct Booking {
    pub id: BookingId,
    pub status: Status,
    pub booking_calendar_id: Option<BookingCalendarId>,
    pub booking_page_id: Option<BookingPageId>,
    pub master_page_id: Option<MasterPageId>,
    pub event_type_id: Option<EventTypeId>,
    pub owner_id: UserId,
    pub contact_id: ContactId,
    pub conversation_id: Option<ConversationId>,
    pub subject: String,
    pub start_time: i64,
    pub duration_minutes: i64,
    pub customer_timezone: String,
    /// `{name, email, phone, mobile_phone, note, company, guests, custom_fields}`.
    pub form_submission: serde_json::Value,
    /// `{type, value, id, description}` when a location was chosen.
    pub location: Option<serde_json::Value>,
    pub utm_params: Option<serde_json::Value>,
    pub rescheduled_booking_id: Option<BookingId>,
    /// `{reason, actioned_by, user_id}` once cancelled or rescheduled.
    pub cancel_info: Option<serde_json::Value>,
    /// Unguessable; names the booking in the guest's cancel and reschedule links.
    pub token: String,
    pub creation_time: i64,
    pub last_updated_time: i64,
    /// Changes since the meeting was first booked, across reschedules: the `SEQUENCE` of its
    /// calendar invitations, which must rise with every update.
    pub revision: i64,
    /// `{type, name, id, event_id}` once a host's calendar keeps the booking as an event.
    pub external_calendar: Option<serde_json::Value>,
    /// The users whose time the booking holds.
    pub hosts: Vec<UserId>,
}

impl Booking {
    pub fn end_time(&self) -> i64 {
        self.start_time + self.duration_minutes * 60_000
    }
}

/// The time a booking holds for each host, buffers included.
#[derive(Debug, Clone)]
pub struct HostTime {
    pub user_id: UserId,
    pub busy_start: i64,
    pub busy_end: i64,
}

pub use super::outbox::{Effects, NewEvent};

/// A contact to create, or to update when one with this email exists.
#[derive(Debug, Clone)]
pub struct GuestContact {
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    pub mobile_phone: Option<String>,
    pub timezone: String,
    pub owner_id: UserId,
}

/// The columns a new booking is written with.
macro_rules! written_columns {
    () => {
        "id, status, booking_calendar_id, booking_page_id, master_page_id, event_type_id, owner_id, contact_id, conversation_id, \
         subject, start_time, duration_minutes, customer_timezone, form_submission, location, utm_params, rescheduled_booking_id, cancel_info, token, \
         creation_time, last_updated_time, revision"
    };
}

/// Everything read back (`external_calendar` is set later, by the calendar worker).
const COLUMNS: &str = concat!("seq, ", written_columns!(), ", external_calendar");

fn json_opt(r: &AnyRow, col: &str) -> StoreResult<Option<serde_json::Value>> {
    Ok(r.try_get::<Option<String>, _>(col)?
        .map(|s| serde_json::from_str(&s))
        .transpose()?)
}

fn from_row(r: &AnyRow) -> StoreResult<Booking> {
    Ok(Booking {
        id: r.try_get("id")?,
        status: super::decode("status", r, Status::parse)?,
        booking_calendar_id: r.try_get("booking_calendar_id")?,
        booking_page_id: r.try_get("booking_page_id")?,
        master_page_id: r.try_get("master_page_id")?,
        event_type_id: r.try_get("event_type_id")?,
        owner_id: r.try_get("owner_id")?,
        contact_id: r.try_get("contact_id")?,
        conversation_id: r.try_get("conversation_id")?,
        subject: r.try_get("subject")?,
        start_time: r.try_get("start_time")?,
        duration_minutes: r.try_get("duration_minutes")?,
        customer_timezone: r.try_get("customer_timezone")?,
        form_submission: serde_json::from_str(&r.try_get::<String, _>("form_submission")?)?,
        location: json_opt(r, "location")?,
        utm_params: json_opt(r, "utm_params")?,
        rescheduled_booking_id: r.try_get("rescheduled_booking_id")?,
        cancel_info: json_opt(r, "cancel_info")?,
        token: r.try_get("token")?,
        creation_time: r.try_get("creation_time")?,
        last_updated_time: r.try_get("last_updated_time")?,
        revision: r.try_get("revision")?,
        external_calendar: json_opt(r, "external_calendar")?,
        hosts: Vec::new(),
    })
}

async fn attach_hosts(db: &Db, bookings: &mut [Booking]) -> StoreResult<()> {
    if bookings.is_empty() {
        return Ok(());
    }
    let mut sql = Sql::new("SELECT booking_id, user_id FROM booking_hosts WHERE booking_id IN ");
    sql.push_in(bookings.iter().map(|b| b.id.as_str()))
        .push(" ORDER BY user_id");
    let rows = sql.query().fetch_all(&mut *db.reader().await?).await?;
    let pairs = rows
        .iter()
        .map(|r| Ok((r.try_get::<BookingId, _>(0)?, r.try_get::<UserId, _>(1)?)))
        .collect::<Result<Vec<_>, sqlx::Error>>()?;
    for b in bookings.iter_mut() {
        b.hosts = pairs
            .iter()
            .filter(|(booking, _)| *booking == b.id)
            .map(|(_, user)| user.clone())
            .collect();
    }
    Ok(())
}

/// The longest time one booking can hold: 720 minutes plus 720 before and 720 after. Overlap
/// queries bound their index scans by it: a booking starting earlier cannot reach `from`.
pub const MAX_HELD_MS: i64 = 3 * 720 * 60_000;

/// The refusal when a host's time is already taken.
pub fn not_available() -> StoreError {
    StoreError::Overlap
}

/// PostgreSQL's exclusion constraint, or SQLite's trigger of the same name (0009), refused
/// overlapping host time.
fn is_exclusion_violation(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(d) if d.code().as_deref() == Some("23P01") || d.message().contains("booking_hosts_no_overlap"))
}

/// The guest's contact, created or touched in one statement. A mobile number another contact
/// already has is not copied onto a new one (numbers are unique per account).
/// `new_id` is the id the contact gets if the guest is new.
fn upsert_contact(
    batch: &mut Batch,
    account_id: &AccountId,
    new_id: &ContactId,
    c: &GuestContact,
    now: i64,
) {
    batch.push(
        "INSERT INTO contacts (id, account_id, owner_id, email, email_lc, mobile_phone, first_name, last_name, timezone, creation_time, last_updated_time, last_interacted_time) \
         VALUES ($1, $2, $3, $4, $5, CASE WHEN EXISTS (SELECT 1 FROM contacts WHERE account_id = $2 AND mobile_phone = $6 AND deleted = 0) THEN NULL ELSE $6 END, \
                 $7, $8, $9, $10, $10, $10) \
         ON CONFLICT (account_id, email_lc) WHERE deleted = 0 AND email_lc IS NOT NULL \
         DO UPDATE SET last_updated_time = excluded.last_updated_time, last_interacted_time = excluded.last_interacted_time, timezone = excluded.timezone",
        vec![
            Arg::from(new_id),
            Arg::from(account_id),
            Arg::from(c.owner_id.as_str()),
            Arg::from(c.email.as_str()),
            Arg::from(slotline_domain::email::normalize(&c.email)),
            Arg::from(c.mobile_phone.clone()),
            Arg::from(c.first_name.as_str()),
            Arg::from(c.last_name.as_str()),
            Arg::from(c.timezone.as_str()),
            Arg::I64(now),
        ],
    );
}

/// Every change of a booking updates its guest's contact too.
async fn touch_contact(
    tx: &mut Transaction<'_, Any>,
    booking_id: &BookingId,
    now: i64,
) -> StoreResult<()> {
    sqlx::query("UPDATE contacts SET last_updated_time = $1 WHERE id = (SELECT contact_id FROM bookings WHERE id = $2) AND deleted = 0")
        .bind(now)
        .bind(booking_id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// A host's time held by a booking; the database refuses it if it overlaps (see the module).
fn hold_time(batch: &mut Batch, booking_id: &BookingId, h: &HostTime, active: bool, now: i64) {
    batch.push(
        "INSERT INTO booking_hosts (booking_id, user_id, busy_start, busy_end, active, assigned_time) VALUES ($1, $2, $3, $4, $5, $6)",
        vec![
            Arg::from(booking_id),
            Arg::from(h.user_id.as_str()),
            Arg::I64(h.busy_start),
            Arg::I64(h.busy_end),
            Arg::from(active),
            Arg::I64(now),
        ],
    );
}

/// Creates a booking holding `hosts`' time, its guest's contact and its event, atomically.
/// Fails with "not available" when any host's time overlaps an active booking.
pub async fn create(
    db: &Db,
    account_id: &AccountId,
    booking: &mut Booking,
    hosts: &[HostTime],
    guest: &GuestContact,
    effects: &Effects,
    one_time_link: Option<&str>,
) -> StoreResult<()> {
    let mut batch = creation(account_id, booking, hosts, guest, effects);
    if let Some(link) = one_time_link {
        use_link(&mut batch, link, &booking.id, booking.creation_time);
    }
    let rows = batch.run(db).await.map_err(|e| match refusal(e) {
        StoreError::Unique { constraint, .. } if constraint == unique::ONE_TIME_LINK_USE => {
            link_used(one_time_link.unwrap_or_default())
        }
        e => e,
    })?;
    let (contact, deliveries) = contact_of(&rows)?;
    booking.contact_id = contact;
    if deliveries > 0 || !effects.messages.is_empty() || effects.calendar.is_some() {
        db.outbox_written();
    }
    Ok(())
}

/// Marks a one-time link used by this booking; a second use breaks the primary key of
/// `one_time_link_uses` and the whole booking rolls back. Put before the final statement of
/// [`creation`], whose answer the caller reads.
fn use_link(batch: &mut Batch, link: &str, booking_id: &BookingId, now: i64) {
    let last = batch.pop();
    batch.push(
        "INSERT INTO one_time_link_uses (link_id, booking_id) VALUES ($1, $2)",
        vec![Arg::from(link), Arg::from(booking_id)],
    );
    batch.push(
        "UPDATE one_time_links SET used_time = $1, booking_id = $2 WHERE id = $3",
        vec![Arg::I64(now), Arg::from(booking_id), Arg::from(link)],
    );
    if let Some((sql, args)) = last {
        batch.push(sql, args);
    }
}

/// The refusal when a one-time link was used meanwhile.
fn link_used(link: &str) -> StoreError {
    StoreError::Unique {
        constraint: unique::ONE_TIME_LINK_USE,
        value: link.into(),
    }
}

fn refusal(e: sqlx::Error) -> StoreError {
    if is_exclusion_violation(&e) {
        not_available()
    } else if matches!(&e, sqlx::Error::Database(d) if d.message().contains("one_time_link_uses")) {
        link_used("")
    } else {
        e.into()
    }
}

/// The last statement of [`creation`] returns the contact's id and how many deliveries its
/// event got.
fn contact_of(rows: &[Vec<AnyRow>]) -> StoreResult<(ContactId, i64)> {
    let row = rows
        .last()
        .and_then(|r| r.first())
        .ok_or_else(|| StoreError::Corrupt("the booking's contact was not written".into()))?;
    Ok((row.try_get(0)?, row.try_get(1)?))
}

/// A guest's reschedule: the old booking ends (`old_status`, its time released) and the new one
/// is created, with the event, in one transaction — the new time may overlap the old.
#[allow(clippy::too_many_arguments)]
pub async fn reschedule(
    db: &Db,
    account_id: &AccountId,
    old: &Booking,
    old_status: Status,
    old_cancel_info: Option<&serde_json::Value>,
    booking: &mut Booking,
    hosts: &[HostTime],
    guest: &GuestContact,
    effects: &Effects,
) -> StoreResult<bool> {
    let mut conn = db.writer().await?;
    let mut tx = conn.begin().await?;
    let mut sql = Sql::new("UPDATE bookings SET ");
    sql.push_with(
        "status = ?, last_updated_time = ?, revision = revision + 1",
        [
            Arg::from(old_status.as_str()),
            Arg::I64(booking.creation_time),
        ],
    );
    if let Some(info) = old_cancel_info {
        sql.push_with(", cancel_info = ?", [Arg::from(info.to_string())]);
    }
    sql.push_with(
        " WHERE account_id = ? AND id = ? AND status = ?",
        [
            Arg::from(account_id),
            Arg::from(old.id.as_str()),
            Arg::from(old.status.as_str()),
        ],
    );
    if sql.query().execute(&mut *tx).await?.rows_affected() != 1 {
        return Ok(false);
    }
    sqlx::query("UPDATE booking_hosts SET active = 0 WHERE booking_id = $1")
        .bind(&old.id)
        .execute(&mut *tx)
        .await?;
    create_in(&mut tx, account_id, booking, hosts, guest, effects).await?;
    tx.commit().await.map_err(refusal)?;
    db.outbox_written();
    Ok(true)
}

/// The statements that create a booking: its guest's contact, the booking, each host's time
/// (the database refuses overlaps), its event and deliveries; the last returns the contact's id.
fn creation(
    account_id: &AccountId,
    booking: &Booking,
    hosts: &[HostTime],
    guest: &GuestContact,
    effects: &Effects,
) -> Batch {
    let mut batch = Batch::default();
    upsert_contact(
        &mut batch,
        account_id,
        &booking.contact_id,
        guest,
        booking.creation_time,
    );
    let opt = |v: &Option<serde_json::Value>| Arg::from(v.as_ref().map(|v| v.to_string()));
    fn ostr<K>(v: &Option<Id<K>>) -> Arg {
        Arg::from(v.clone())
    }
    batch.push(
        format!(
            "INSERT INTO bookings (account_id, {}) VALUES ($2, $1, $3, $4, $5, $6, $7, $8, \
             (SELECT id FROM contacts WHERE account_id = $2 AND email_lc = $9 AND deleted = 0), \
             $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23)",
            written_columns!()
        ),
        vec![
            Arg::from(booking.id.as_str()),
            Arg::from(account_id),
            Arg::from(booking.status.as_str()),
            ostr(&booking.booking_calendar_id),
            ostr(&booking.booking_page_id),
            ostr(&booking.master_page_id),
            ostr(&booking.event_type_id),
            Arg::from(booking.owner_id.as_str()),
            Arg::from(slotline_domain::email::normalize(&guest.email)),
            ostr(&booking.conversation_id),
            Arg::from(booking.subject.as_str()),
            Arg::I64(booking.start_time),
            Arg::I64(booking.duration_minutes),
            Arg::from(booking.customer_timezone.as_str()),
            Arg::from(booking.form_submission.to_string()),
            opt(&booking.location),
            opt(&booking.utm_params),
            ostr(&booking.rescheduled_booking_id),
            opt(&booking.cancel_info),
            Arg::from(booking.token.as_str()),
            Arg::I64(booking.creation_time),
            Arg::I64(booking.last_updated_time),
            Arg::I64(booking.revision),
        ],
    );
    for h in hosts {
        hold_time(
            &mut batch,
            &booking.id,
            h,
            booking.status.holds_time(),
            booking.creation_time,
        );
    }
    effects.push(
        &mut batch,
        account_id,
        Some(&booking.id),
        booking.creation_time,
    );
    let event = effects.event.as_ref();
    batch.push(
        "SELECT b.contact_id, (SELECT COUNT(*) FROM deliveries d WHERE d.event_id = $2) FROM bookings b WHERE b.id = $1",
        vec![Arg::from(booking.id.as_str()), Arg::from(event.map(|e| e.id.as_str()).unwrap_or(""))],
    );
    batch
}

/// [`creation`] inside a transaction already open.
async fn create_in(
    tx: &mut Transaction<'_, Any>,
    account_id: &AccountId,
    booking: &mut Booking,
    hosts: &[HostTime],
    guest: &GuestContact,
    effects: &Effects,
) -> StoreResult<()> {
    let rows = creation(account_id, booking, hosts, guest, effects)
        .run_in(tx)
        .await
        .map_err(refusal)?;
    booking.contact_id = contact_of(&rows)?.0;
    Ok(())
}

pub async fn get(db: &Db, account_id: &AccountId, id: &BookingId) -> StoreResult<Option<Booking>> {
    let sql = format!("SELECT {COLUMNS} FROM bookings WHERE account_id = $1 AND id = $2");
    let Some(row) = sqlx::query(&sql)
        .bind(account_id)
        .bind(id)
        .fetch_optional(&mut *db.reader().await?)
        .await?
    else {
        return Ok(None);
    };
    let mut one = [from_row(&row)?];
    attach_hosts(db, &mut one).await?;
    let [b] = one;
    Ok(Some(b))
}

/// A booking by its guest token, with its account: the guest's confirmation, cancel and
/// reschedule pages. The token is the only key a guest holds.
pub async fn by_token(db: &Db, token: &str) -> StoreResult<Option<(AccountId, Booking)>> {
    let sql =
        format!("SELECT account_id, {COLUMNS} FROM bookings WHERE token = $1 AND deleted = 0");
    let Some(row) = sqlx::query(&sql)
        .bind(token)
        .fetch_optional(&mut *db.reader().await?)
        .await?
    else {
        return Ok(None);
    };
    let mut one = [from_row(&row)?];
    attach_hosts(db, &mut one).await?;
    let [b] = one;
    Ok(Some((row.try_get("account_id")?, b)))
}

#[derive(Default)]
pub struct BookingFilter {
    pub statuses: Option<Vec<String>>,
    pub owner: Option<UserId>,
    pub contact: Option<ContactId>,
    pub booking_page: Option<BookingPageId>,
    pub master_page: Option<MasterPageId>,
    pub event_type: Option<EventTypeId>,
    pub booking_calendar: Option<BookingCalendarId>,
    pub host: Option<UserId>,
    pub creation: slotline_domain::time::Range,
    pub starting: slotline_domain::time::Range,
    pub last_updated: slotline_domain::time::Range,
}

pub async fn list(
    db: &Db,
    account_id: &AccountId,
    f: &BookingFilter,
    req: &PageRequest,
) -> StoreResult<(Vec<Booking>, Page)> {
    let mut filters: Vec<(&'static str, Arg)> = Vec::new();
    for (value, fragment) in [
        (f.owner.as_deref(), "owner_id = ?"),
        (f.contact.as_deref(), "contact_id = ?"),
        (f.booking_page.as_deref(), "booking_page_id = ?"),
        (f.master_page.as_deref(), "master_page_id = ?"),
        (f.event_type.as_deref(), "event_type_id = ?"),
        (f.booking_calendar.as_deref(), "booking_calendar_id = ?"),
        (
            f.host.as_deref(),
            "id IN (SELECT booking_id FROM booking_hosts WHERE user_id = ?)",
        ),
    ] {
        if let Some(v) = value {
            filters.push((fragment, Arg::from(v)));
        }
    }
    for (range, gt, lt) in [
        (&f.creation, "creation_time > ?", "creation_time < ?"),
        (&f.starting, "start_time > ?", "start_time < ?"),
        (
            &f.last_updated,
            "last_updated_time > ?",
            "last_updated_time < ?",
        ),
    ] {
        if let Some(v) = range.gt {
            filters.push((gt, Arg::I64(v)));
        }
        if let Some(v) = range.lt {
            filters.push((lt, Arg::I64(v)));
        }
    }
    let any_of = f.statuses.clone().map(|s| ("status", s));
    let q = ListQuery {
        table: "bookings",
        columns: COLUMNS,
        what: "booking",
        account_id,
        filters,
        any_of,
    };
    let page = page::fetch(db, &q, req).await?;
    let mut bookings = page
        .rows
        .iter()
        .map(from_row)
        .collect::<StoreResult<Vec<_>>>()?;
    attach_hosts(db, &mut bookings).await?;
    Ok((bookings, page))
}

/// A host's row, busy time and booking starts in one round trip: what booking a time needs of
/// each host. `busy` reads the host times overlapping that range; `starts`, only when a daily cap
/// needs them, the start times of the host's active bookings in that range. None when the user
/// is gone. Reading no more than the rules look at matters: a busy host has hundreds of bookings
/// within a few days, and each row read costs more than the check it serves.
pub async fn host_and_busy(
    db: &Db,
    account_id: &AccountId,
    user_id: &UserId,
    busy: Interval,
    starts: Option<Interval>,
    except_booking: Option<&BookingId>,
) -> StoreResult<Option<(super::users::HostInfo, Vec<Interval>, Vec<i64>)>> {
    // One statement, rows of three kinds: the user (0), each busy interval (1: its bookings, and
    // the busy time of its connected calendars), each start (2).
    // The third part is skipped as a whole when $7 is 0 (a term on no table is checked once).
    // PostgreSQL also gets the ranges as `&&` terms: its planner may pick the exclusion
    // constraint's GiST index (on user and time range) over the B-tree, and with only the user as
    // its condition that reads every booking the host ever had (BENCHMARKS.md).
    let busy_range = db
        .backend
        .range_overlap("busy_start", "busy_end", "$4", "$3");
    let starts_range = db
        .backend
        .range_overlap("h.busy_start", "h.busy_end", "$8", "$9");
    let sql = format!(
        "SELECT 0 AS kind, email, timezone, schedule, CAST(0 AS BIGINT) AS s, CAST(0 AS BIGINT) AS e \
         FROM users WHERE account_id = $1 AND id = $2 AND deleted = 0 \
         UNION ALL \
         SELECT 1, NULL, NULL, NULL, busy_start, busy_end FROM booking_hosts \
         WHERE user_id = $2 AND active = 1 AND busy_start < $3 AND busy_start > $4 - $6 AND busy_end > $4 AND booking_id <> $5{busy_range} \
         UNION ALL \
         SELECT 1, NULL, NULL, NULL, start_time, end_time FROM external_busy \
         WHERE user_id = $2 AND start_time < $3 AND start_time > $4 - $10 AND end_time > $4 \
         UNION ALL \
         SELECT 2, NULL, NULL, NULL, b.start_time, 0 FROM booking_hosts h JOIN bookings b ON b.id = h.booking_id \
         WHERE $7 = 1 AND h.user_id = $2 AND h.active = 1 AND h.busy_start < $9 AND h.busy_start > $8 - $6 \
           AND b.start_time >= $8 AND b.start_time < $9 AND h.booking_id <> $5{starts_range}"
    );
    let rows = sqlx::query(&sql)
        .bind(account_id)
        .bind(user_id)
        .bind(busy.end)
        .bind(busy.start)
        .bind(except_booking.map_or("", |b| b.as_str()))
        .bind(MAX_HELD_MS)
        .bind(starts.is_some() as i64)
        .bind(starts.map_or(0, |s| s.start))
        .bind(starts.map_or(0, |s| s.end))
        .bind(slotline_domain::calendar_events::MAX_PIECE_MS)
        .fetch_all(&mut *db.reader().await?)
        .await?;
    let mut host = None;
    let mut intervals = Vec::new();
    let mut booked = Vec::new();
    for r in rows {
        match r.try_get::<i64, _>(0)? {
            0 => {
                host = Some(super::users::HostInfo {
                    email: r.try_get(1)?,
                    timezone: r.try_get(2)?,
                    schedule: serde_json::from_str(&r.try_get::<String, _>(3)?)?,
                })
            }
            1 => intervals.push(Interval {
                start: r.try_get(4)?,
                end: r.try_get(5)?,
            }),
            _ => booked.push(r.try_get(4)?),
        }
    }
    Ok(host.map(|h| (h, intervals, booked)))
}

/// When each of `users` was last given a booking (for round robin), `None` if never: the
/// latest `assigned_time` of each, one query for all. Each is a plain MAX over one user, which
/// both backends answer with one seek into the index on `(user_id, assigned_time)` (a GROUP BY
/// would read every entry of each member's history).
pub async fn last_booked(db: &Db, users: &[UserId]) -> StoreResult<Vec<(UserId, Option<i64>)>> {
    if users.is_empty() {
        return Ok(Vec::new());
    }
    let mut sql =
        Sql::new("SELECT u.id, (SELECT MAX(h.assigned_time) FROM booking_hosts h WHERE h.user_id = u.id) FROM users u WHERE u.id IN ");
    sql.push_in(users.iter().map(|u| u.as_str()));
    let rows = sql.query().fetch_all(&mut *db.reader().await?).await?;
    let mut latest = std::collections::HashMap::with_capacity(rows.len());
    for r in &rows {
        latest.insert(r.try_get::<UserId, _>(0)?, r.try_get::<Option<i64>, _>(1)?);
    }
    Ok(users
        .iter()
        .map(|u| (u.clone(), latest.get(u).copied().flatten()))
        .collect())
}

/// Moves a booking to `status` (releasing its hosts' time when the status no longer holds it),
/// records `cancel_info` when given and writes `event`, in one transaction. `expected` guards
/// against a concurrent change: false when the booking is no longer in that status.
#[allow(clippy::too_many_arguments)]
pub async fn transition(
    db: &Db,
    account_id: &AccountId,
    id: &BookingId,
    expected: Status,
    status: Status,
    cancel_info: Option<&serde_json::Value>,
    effects: &Effects,
    now: i64,
) -> StoreResult<bool> {
    let mut conn = db.writer().await?;
    let mut tx = conn.begin().await?;
    let mut sql = Sql::new("UPDATE bookings SET ");
    sql.push_with(
        "status = ?, last_updated_time = ?, revision = revision + 1",
        [Arg::from(status.as_str()), Arg::I64(now)],
    );
    if let Some(info) = cancel_info {
        sql.push_with(", cancel_info = ?", [Arg::from(info.to_string())]);
    }
    sql.push_with(
        " WHERE account_id = ? AND id = ? AND status = ?",
        [
            Arg::from(account_id),
            Arg::from(id),
            Arg::from(expected.as_str()),
        ],
    );
    if sql.query().execute(&mut *tx).await?.rows_affected() != 1 {
        return Ok(false);
    }
    if !status.holds_time() {
        sqlx::query("UPDATE booking_hosts SET active = 0 WHERE booking_id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
    }
    touch_contact(&mut tx, id, now).await?;
    let mut batch = Batch::default();
    effects.push(&mut batch, account_id, Some(id), now);
    batch.run_in(&mut tx).await?;
    tx.commit().await?;
    if effects.wakes_worker() {
        db.outbox_written();
    }
    Ok(true)
}

/// Moves a booking from one host to another: the old host's time is released and the new
/// host's taken, in one transaction with the event. "Not available" when the new host's time is
/// taken; false when the booking is no longer in `expected`.
#[allow(clippy::too_many_arguments)]
pub async fn reassign(
    db: &Db,
    account_id: &AccountId,
    id: &BookingId,
    expected: Status,
    old_host: &str,
    new_host: &HostTime,
    location: Option<&serde_json::Value>,
    effects: &Effects,
    now: i64,
) -> StoreResult<bool> {
    let mut conn = db.writer().await?;
    let mut tx = conn.begin().await?;
    let mut sql = Sql::new("UPDATE bookings SET ");
    sql.push_with(
        "last_updated_time = ?, revision = revision + 1",
        [Arg::I64(now)],
    );
    if let Some(l) = location {
        sql.push_with(", location = ?", [Arg::from(l.to_string())]);
    }
    sql.push_with(
        " WHERE account_id = ? AND id = ? AND status = ?",
        [
            Arg::from(account_id),
            Arg::from(id),
            Arg::from(expected.as_str()),
        ],
    );
    if sql.query().execute(&mut *tx).await?.rows_affected() != 1 {
        return Ok(false);
    }
    sqlx::query("DELETE FROM booking_hosts WHERE booking_id = $1 AND user_id = $2")
        .bind(id)
        .bind(old_host)
        .execute(&mut *tx)
        .await?;
    let mut hold = Batch::default();
    hold_time(&mut hold, id, new_host, true, now);
    hold.run_in(&mut tx).await.map_err(refusal)?;
    touch_contact(&mut tx, id, now).await?;
    let mut batch = Batch::default();
    effects.push(&mut batch, account_id, Some(id), now);
    batch.run_in(&mut tx).await?;
    tx.commit().await?;
    if effects.wakes_worker() {
        db.outbox_written();
    }
    Ok(true)
}

/// The busy range a booking holds for `user_id`, if any.
pub async fn host_time(
    db: &Db,
    booking_id: &BookingId,
    user_id: &UserId,
) -> StoreResult<Option<HostTime>> {
    let row = sqlx::query(
        "SELECT busy_start, busy_end FROM booking_hosts WHERE booking_id = $1 AND user_id = $2",
    )
    .bind(booking_id)
    .bind(user_id)
    .fetch_optional(&mut *db.reader().await?)
    .await?;
    row.map(|r| {
        Ok(HostTime {
            user_id: user_id.clone(),
            busy_start: r.try_get(0)?,
            busy_end: r.try_get(1)?,
        })
    })
    .transpose()
}

/// Live bookings (any account) whose end has passed, oldest first.
pub async fn due_for_completion(
    db: &Db,
    now: i64,
    limit: i64,
) -> StoreResult<Vec<(AccountId, Booking)>> {
    let sql = format!(
        "SELECT account_id, {COLUMNS} FROM bookings WHERE status IN ('scheduled', 'rescheduled') AND start_time + duration_minutes * 60000 <= $1 \
         ORDER BY start_time LIMIT $2"
    );
    let rows = sqlx::query(&sql)
        .bind(now)
        .bind(limit)
        .fetch_all(&mut *db.reader().await?)
        .await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in &rows {
        let mut b = [from_row(r)?];
        attach_hosts(db, &mut b).await?;
        let [b] = b;
        out.push((r.try_get("account_id")?, b));
    }
    Ok(out)
}

/// Whether an event of `event_type` was written for the booking.
pub async fn has_event(db: &Db, booking_id: &BookingId, event_type: &str) -> StoreResult<bool> {
    let row = sqlx::query("SELECT 1 FROM events WHERE booking_id = $1 AND type = $2 LIMIT 1")
        .bind(booking_id)
        .bind(event_type)
        .fetch_optional(&mut *db.reader().await?)
        .await?;
    Ok(row.is_some())
}

/// The first booking of the chain `id` was rescheduled from (`id` itself if it was not).
pub async fn first_of_chain(db: &Db, id: &BookingId) -> StoreResult<BookingId> {
    let row = sqlx::query(
        "WITH RECURSIVE chain(id, previous, depth) AS (\
           SELECT id, rescheduled_booking_id, 0 FROM bookings WHERE id = $1 \
           UNION ALL SELECT b.id, b.rescheduled_booking_id, c.depth + 1 FROM bookings b JOIN chain c ON b.id = c.previous WHERE c.depth < 1000) \
         SELECT id FROM chain ORDER BY depth DESC LIMIT 1",
    )
    .bind(id)
    .fetch_optional(&mut *db.reader().await?)
    .await?;
    match row {
        Some(r) => Ok(r.try_get(0)?),
        None => Ok(id.clone()),
    }
}
