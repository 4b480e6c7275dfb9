//! Messages to people, email and SMS: written into the batch of the change that causes them,
//! claimed by the worker under a lease, their attempts logged; a booking's messages, and
//! OnceHub's SMS log.
//!
//! A message about a change is stored rendered (subject, text, HTML, invitation) in the change's
//! transaction. A reminder or follow-up is stored without words (empty text) and rendered by the
//! worker when it is due, from the booking as it is then; the words sent are stored with the
//! attempt. Either way the record shows what was sent and a resend sends the same words.

use slotline_domain::id::{AccountId, BookingId, NotificationId, SmsId};
use slotline_domain::notice::Notice;
use slotline_domain::notifications::Channel;
use sqlx::{any::AnyRow, Row};

use super::error::StoreResult;
use super::page::{self, ListQuery, Page, PageRequest};
use super::{decode, Arg, Backend, Batch, Db};

/// A message's id: `NTF-…` for an email, `SMS-…` for an SMS (OnceHub's SMS notification id).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum MessageId {
    Email(NotificationId),
    Sms(SmsId),
}

impl MessageId {
    pub fn new(channel: Channel) -> MessageId {
        match channel {
            Channel::Email => MessageId::Email(NotificationId::new()),
            Channel::Sms => MessageId::Sms(SmsId::new()),
        }
    }

    pub fn parse(s: &str) -> Option<MessageId> {
        NotificationId::parse(s)
            .map(MessageId::Email)
            .or_else(|_| SmsId::parse(s).map(MessageId::Sms))
            .ok()
    }

    pub fn as_str(&self) -> &str {
        match self {
            MessageId::Email(i) => i.as_str(),
            MessageId::Sms(i) => i.as_str(),
        }
    }
}

impl std::fmt::Display for MessageId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where a message stands. SMS statuses after sending are OnceHub's (`sent`, `delivered`,
/// `failed`, `rejected`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Waiting for its time or its next attempt.
    Pending,
    /// Accepted by the mail server or the SMS provider.
    Sent,
    /// The SMS provider reported it delivered.
    Delivered,
    /// Gave up: retries exhausted, or the server refused the recipient for good.
    Failed,
    /// The SMS provider refused it.
    Rejected,
    /// No longer wanted: its booking changed before it was due (reminders).
    Dropped,
    /// Its time passed while it could not be sent (the server was down).
    Expired,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pending => "pending",
            Status::Sent => "sent",
            Status::Delivered => "delivered",
            Status::Failed => "failed",
            Status::Rejected => "rejected",
            Status::Dropped => "dropped",
            Status::Expired => "expired",
        }
    }

    pub fn from_stored(s: &str) -> Option<Status> {
        [
            Status::Pending,
            Status::Sent,
            Status::Delivered,
            Status::Failed,
            Status::Rejected,
            Status::Dropped,
            Status::Expired,
        ]
        .into_iter()
        .find(|x| x.as_str() == s)
    }
}

/// Who a message is for: the booking's guest (its contact) or a user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Recipient {
    /// The contact of the message's booking, whose id the store reads from the booking (a new
    /// booking's contact is only known once written).
    Guest,
    User(slotline_domain::id::UserId),
}

impl Recipient {
    pub fn type_str(&self) -> &'static str {
        match self {
            Recipient::Guest => "contact",
            Recipient::User(_) => "user",
        }
    }

    fn id(&self) -> Option<String> {
        match self {
            Recipient::Guest => None,
            Recipient::User(u) => Some(u.to_string()),
        }
    }
}

/// A message to write with a change.
#[derive(Debug, Clone)]
pub struct NewMessage {
    pub id: MessageId,
    pub booking_id: Option<BookingId>,
    pub kind: Notice,
    pub recipient: Recipient,
    pub recipient_name: String,
    /// An email address, or a mobile number for an SMS.
    pub address: String,
    pub subject: String,
    pub text: String,
    pub html: Option<String>,
    pub ics: Option<String>,
    pub due_time: i64,
    pub expire_time: Option<i64>,
}

impl NewMessage {
    pub fn channel(&self) -> Channel {
        match self.id {
            MessageId::Email(_) => Channel::Email,
            MessageId::Sms(_) => Channel::Sms,
        }
    }
}

/// Adds `m` to `batch`, pending from its due time.
pub fn push(batch: &mut Batch, account_id: &AccountId, m: &NewMessage, now: i64) {
    batch.push(
        "INSERT INTO notifications (id, account_id, booking_id, channel, kind, recipient_type, recipient_id, recipient_name, address, \
         subject, body_text, body_html, ics, status, due_time, expire_time, next_attempt_time, creation_time, last_updated_time) \
         VALUES ($1, $2, $3, $4, $5, $6, COALESCE($7, (SELECT contact_id FROM bookings WHERE id = $3)), $8, $9, $10, $11, $12, $13, 'pending', $14, $15, $14, $16, $16)",
        vec![
            Arg::from(m.id.as_str()),
            Arg::from(account_id),
            Arg::from(m.booking_id.clone()),
            Arg::from(m.channel().as_str()),
            Arg::from(m.kind.as_str()),
            Arg::from(m.recipient.type_str()),
            Arg::from(m.recipient.id()),
            Arg::from(m.recipient_name.as_str()),
            Arg::from(m.address.as_str()),
            Arg::from(m.subject.as_str()),
            Arg::from(m.text.as_str()),
            Arg::from(m.html.clone()),
            Arg::from(m.ics.clone()),
            Arg::I64(m.due_time),
            Arg::from(m.expire_time),
            Arg::I64(now),
        ],
    );
}

/// The stored names of the kinds that are reminders.
fn reminder_kinds() -> String {
    let names: Vec<String> = Notice::ALL
        .iter()
        .filter(|n| n.is_reminder())
        .map(|n| format!("'{}'", n.as_str()))
        .collect();
    names.join(", ")
}

/// Drops the booking's reminders not yet sent (nor being sent): its change makes them wrong.
pub fn push_drop_reminders(batch: &mut Batch, booking_id: &BookingId, now: i64) {
    batch.push(
        format!(
            "UPDATE notifications SET status = 'dropped', next_attempt_time = NULL, last_updated_time = $2 \
             WHERE booking_id = $1 AND status = 'pending' AND claimed_time IS NULL AND kind IN ({})",
            reminder_kinds()
        ),
        vec![Arg::from(booking_id), Arg::I64(now)],
    );
}

/// What a message says.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Words {
    /// Empty for an SMS.
    pub subject: String,
    pub text: String,
    pub html: Option<String>,
    pub ics: Option<String>,
}

/// A message a worker has claimed, with what it needs to send it.
#[derive(Debug, Clone)]
pub struct Claimed {
    pub seq: i64,
    pub id: String,
    pub account_id: AccountId,
    pub booking_id: Option<BookingId>,
    pub channel: Channel,
    pub kind: String,
    /// `contact` or `user`.
    pub recipient_type: String,
    pub recipient_id: Option<String>,
    pub address: String,
    pub recipient_name: String,
    pub subject: String,
    pub text: String,
    pub html: Option<String>,
    pub ics: Option<String>,
    /// Attempts made before this one.
    pub attempts: i64,
    pub due_time: i64,
    pub expire_time: Option<i64>,
}

impl Claimed {
    /// A reminder stored without words, rendered when it is sent.
    pub fn unrendered(&self) -> bool {
        self.text.is_empty()
    }

    pub fn set_words(&mut self, w: Words) {
        self.subject = w.subject;
        self.text = w.text;
        self.html = w.html;
        self.ics = w.ics;
    }
}

/// Claims up to `limit` due messages until `lease_until` (skipping, on PostgreSQL, rows another
/// worker is claiming).
pub async fn claim(
    db: &Db,
    now: i64,
    lease_until: i64,
    limit: i64,
    worker: &str,
) -> StoreResult<Vec<Claimed>> {
    let sql = format!(
        "UPDATE notifications SET next_attempt_time = $1, claimed_time = $2, claimed_by = $4 WHERE seq IN (\
           SELECT seq FROM notifications WHERE status = 'pending' AND claimed_time IS NULL AND next_attempt_time <= $2 \
           ORDER BY next_attempt_time, seq LIMIT $3{}) \
         RETURNING seq, id, channel, kind, address, recipient_name, subject, body_text, body_html, ics, attempts, due_time, expire_time, \
           account_id, booking_id, recipient_type, recipient_id",
        db.backend.skip_locked()
    );
    let rows = sqlx::query(&sql)
        .bind(lease_until)
        .bind(now)
        .bind(limit)
        .bind(worker)
        .fetch_all(&mut *db.writer().await?)
        .await?;
    rows.iter()
        .map(|r| {
            Ok(Claimed {
                seq: r.try_get(0)?,
                id: r.try_get(1)?,
                channel: decode("channel", r, channel)?,
                kind: r.try_get(3)?,
                address: r.try_get(4)?,
                recipient_name: r.try_get(5)?,
                subject: r.try_get(6)?,
                text: r.try_get(7)?,
                html: r.try_get(8)?,
                ics: r.try_get(9)?,
                attempts: r.try_get(10)?,
                due_time: r.try_get(11)?,
                expire_time: r.try_get(12)?,
                account_id: r.try_get(13)?,
                booking_id: r.try_get(14)?,
                recipient_type: r.try_get(15)?,
                recipient_id: r.try_get(16)?,
            })
        })
        .collect()
}

fn channel(s: &str) -> Option<Channel> {
    match s {
        "email" => Some(Channel::Email),
        "sms" => Some(Channel::Sms),
        _ => None,
    }
}

/// What one attempt got.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub seq: i64,
    pub attempt_time: i64,
    pub duration_ms: i64,
    /// `Sent`, `Pending` (retried at `next_attempt_time`), `Failed`, `Rejected` or `Expired`.
    pub status: Status,
    pub next_attempt_time: Option<i64>,
    pub error: Option<String>,
    pub provider_id: Option<String>,
    pub segment_count: Option<i64>,
    pub worker: std::sync::Arc<str>,
    /// The words of a message rendered when it was sent.
    pub words: Option<Words>,
}

impl Outcome {
    fn logged(&self) -> &'static str {
        match self.status {
            Status::Sent | Status::Delivered => "sent",
            Status::Pending => "retry",
            Status::Expired => "expired",
            Status::Dropped => "dropped",
            _ => "failed",
        }
    }
}

/// Records outcomes in one transaction: the attempt log and each message's new state, with the
/// words of a message rendered at its time. An expired or dropped message was never tried, so it
/// logs no attempt.
pub async fn record(db: &Db, outcomes: &[Outcome]) -> StoreResult<()> {
    if outcomes.is_empty() {
        return Ok(());
    }
    let mut batch = Batch::default();
    for o in outcomes {
        let tried = !matches!(o.status, Status::Expired | Status::Dropped);
        if let Some(w) = &o.words {
            batch.push(
                "UPDATE notifications SET subject = $2, body_text = $3, body_html = $4, ics = $5 WHERE seq = $1",
                vec![
                    Arg::I64(o.seq),
                    Arg::from(w.subject.as_str()),
                    Arg::from(w.text.as_str()),
                    Arg::from(w.html.clone()),
                    Arg::from(w.ics.clone()),
                ],
            );
        }
        if tried {
            batch.push(
                "INSERT INTO notification_attempts (notification_seq, attempt_time, duration_ms, outcome, error, worker) VALUES ($1, $2, $3, $4, $5, $6)",
                vec![
                    Arg::I64(o.seq),
                    Arg::I64(o.attempt_time),
                    Arg::I64(o.duration_ms),
                    Arg::from(o.logged()),
                    Arg::from(o.error.clone()),
                    Arg::from(&*o.worker),
                ],
            );
        }
        batch.push(
            "UPDATE notifications SET status = $2, attempts = attempts + $3, next_attempt_time = $4, claimed_time = NULL, claimed_by = NULL, \
             last_attempt_time = CASE WHEN $3 = 1 THEN $5 ELSE last_attempt_time END, last_error = $6, \
             provider_id = COALESCE($7, provider_id), segment_count = COALESCE($8, segment_count), \
             sent_time = CASE WHEN $2 = 'sent' THEN $5 ELSE sent_time END, last_updated_time = $5 \
             WHERE seq = $1 AND status = 'pending'",
            vec![
                Arg::I64(o.seq),
                Arg::from(o.status.as_str()),
                Arg::I64(tried as i64),
                Arg::from(o.next_attempt_time),
                Arg::I64(o.attempt_time),
                Arg::from(o.error.clone()),
                Arg::from(o.provider_id.clone()),
                Arg::from(o.segment_count),
            ],
        );
    }
    batch.run(db).await?;
    Ok(())
}

/// What the attempt log says of a claim whose worker stopped before recording its outcome.
pub const INTERRUPTED: &str =
    "The worker stopped before it recorded this attempt (its lease ran out); the message may or may not have been sent.";

/// Claims whose lease ran out before their outcome was recorded: each becomes an `interrupted`
/// attempt and the message is due again at once. Returns how many.
pub async fn interrupted(db: &Db, now: i64) -> StoreResult<u64> {
    let lost = "status = 'pending' AND claimed_time IS NOT NULL AND next_attempt_time <= $1";
    let log = "INSERT INTO notification_attempts (notification_seq, attempt_time, duration_ms, outcome, error, worker) ";
    match db.backend {
        Backend::Postgres => {
            let sql = format!(
                "WITH lost AS (SELECT seq, claimed_time, claimed_by FROM notifications WHERE {lost} FOR UPDATE SKIP LOCKED), \
                 released AS (UPDATE notifications n SET claimed_time = NULL, claimed_by = NULL, attempts = attempts + 1, \
                   last_attempt_time = lost.claimed_time, last_error = $2, next_attempt_time = $1 \
                   FROM lost WHERE n.seq = lost.seq RETURNING n.seq) \
                 {log}SELECT lost.seq, lost.claimed_time, $1 - lost.claimed_time, 'interrupted', $2, lost.claimed_by \
                 FROM lost JOIN released ON released.seq = lost.seq"
            );
            let done = sqlx::query(&sql)
                .bind(now)
                .bind(INTERRUPTED)
                .execute(&mut *db.writer().await?)
                .await?;
            Ok(done.rows_affected())
        }
        Backend::Sqlite => {
            let mut batch = Batch::default();
            batch.push(
                format!("{log}SELECT seq, claimed_time, $1 - claimed_time, 'interrupted', $2, claimed_by FROM notifications WHERE {lost}"),
                vec![Arg::I64(now), Arg::from(INTERRUPTED)],
            );
            batch.push(
                format!(
                    "UPDATE notifications SET claimed_time = NULL, claimed_by = NULL, attempts = attempts + 1, last_attempt_time = claimed_time, \
                     last_error = $2, next_attempt_time = $1 WHERE {lost} RETURNING seq"
                ),
                vec![Arg::I64(now), Arg::from(INTERRUPTED)],
            );
            let rows = batch.run(db).await?;
            Ok(rows.get(1).map_or(0, |r| r.len() as u64))
        }
    }
}

/// A message as the API shows it.
#[derive(Debug, Clone)]
pub struct Message {
    pub seq: i64,
    pub id: String,
    pub booking_id: Option<BookingId>,
    pub channel: Channel,
    pub kind: String,
    pub recipient_type: String,
    pub recipient_id: Option<String>,
    pub recipient_name: String,
    pub address: String,
    pub subject: String,
    pub text: String,
    pub status: Status,
    pub attempts: i64,
    pub due_time: i64,
    pub expire_time: Option<i64>,
    pub next_attempt_time: Option<i64>,
    pub last_attempt_time: Option<i64>,
    pub last_error: Option<String>,
    pub provider_id: Option<String>,
    pub segment_count: Option<i64>,
    pub sent_time: Option<i64>,
    pub creation_time: i64,
    pub has_ics: bool,
}

const COLUMNS: &str = "seq, id, booking_id, channel, kind, recipient_type, recipient_id, recipient_name, address, subject, body_text, status, attempts, \
     due_time, expire_time, next_attempt_time, last_attempt_time, last_error, provider_id, segment_count, sent_time, creation_time, \
     CASE WHEN ics IS NULL THEN 0 ELSE 1 END AS has_ics";

fn from_row(r: &AnyRow) -> StoreResult<Message> {
    Ok(Message {
        seq: r.try_get("seq")?,
        id: r.try_get("id")?,
        booking_id: r.try_get("booking_id")?,
        channel: decode("channel", r, channel)?,
        kind: r.try_get("kind")?,
        recipient_type: r.try_get("recipient_type")?,
        recipient_id: r.try_get("recipient_id")?,
        recipient_name: r.try_get("recipient_name")?,
        address: r.try_get("address")?,
        subject: r.try_get("subject")?,
        text: r.try_get("body_text")?,
        status: decode("status", r, Status::from_stored)?,
        attempts: r.try_get("attempts")?,
        due_time: r.try_get("due_time")?,
        expire_time: r.try_get("expire_time")?,
        next_attempt_time: r.try_get("next_attempt_time")?,
        last_attempt_time: r.try_get("last_attempt_time")?,
        last_error: r.try_get("last_error")?,
        provider_id: r.try_get("provider_id")?,
        segment_count: r.try_get("segment_count")?,
        sent_time: r.try_get("sent_time")?,
        creation_time: r.try_get("creation_time")?,
        has_ics: r.try_get::<i64, _>("has_ics")? == 1,
    })
}

/// Every message about a booking, oldest first (at most 1,000: a booking's messages are few).
pub async fn of_booking(
    db: &Db,
    account_id: &AccountId,
    booking_id: &BookingId,
) -> StoreResult<Vec<Message>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM notifications WHERE account_id = $1 AND booking_id = $2 ORDER BY seq LIMIT 1000"
    );
    let rows = sqlx::query(&sql)
        .bind(account_id)
        .bind(booking_id)
        .fetch_all(&mut *db.reader().await?)
        .await?;
    rows.iter().map(from_row).collect()
}

pub async fn get(db: &Db, account_id: &AccountId, id: &MessageId) -> StoreResult<Option<Message>> {
    let sql = format!("SELECT {COLUMNS} FROM notifications WHERE account_id = $1 AND id = $2");
    let row = sqlx::query(&sql)
        .bind(account_id)
        .bind(id.as_str())
        .fetch_optional(&mut *db.reader().await?)
        .await?;
    row.as_ref().map(from_row).transpose()
}

/// A copy of message `id` (same words, same recipient), due now. Returns the copy's id, or
/// None when there is no such message.
pub async fn resend(
    db: &Db,
    account_id: &AccountId,
    id: &MessageId,
    now: i64,
) -> StoreResult<Option<MessageId>> {
    let copy = MessageId::new(match id {
        MessageId::Email(_) => Channel::Email,
        MessageId::Sms(_) => Channel::Sms,
    });
    let done = sqlx::query(
        "INSERT INTO notifications (id, account_id, booking_id, channel, kind, recipient_type, recipient_id, recipient_name, address, \
         subject, body_text, body_html, ics, status, due_time, expire_time, next_attempt_time, creation_time, last_updated_time) \
         SELECT $3, account_id, booking_id, channel, kind, recipient_type, recipient_id, recipient_name, address, \
         subject, body_text, body_html, ics, 'pending', $4, NULL, $4, $4, $4 FROM notifications WHERE account_id = $1 AND id = $2",
    )
    .bind(account_id)
    .bind(id.as_str())
    .bind(copy.as_str())
    .bind(now)
    .execute(&mut *db.writer().await?)
    .await?;
    if done.rows_affected() == 1 {
        db.outbox_written();
        Ok(Some(copy))
    } else {
        Ok(None)
    }
}

/// The provider's later word on an SMS it accepted (`delivered`, `failed`, `rejected`), by the
/// provider's id. Returns whether a message had that id. A final status is not overwritten by
/// a late `sent`.
pub async fn provider_status(
    db: &Db,
    provider_id: &str,
    status: Status,
    error: Option<&str>,
    now: i64,
) -> StoreResult<bool> {
    let done = sqlx::query(
        "UPDATE notifications SET status = $2, last_error = COALESCE($3, last_error), last_updated_time = $4 \
         WHERE provider_id = $1 AND channel = 'sms' AND status IN ('sent', 'delivered', 'failed', 'rejected') \
           AND NOT (status IN ('delivered', 'failed', 'rejected') AND $2 = 'sent')",
    )
    .bind(provider_id)
    .bind(status.as_str())
    .bind(error)
    .bind(now)
    .execute(&mut *db.writer().await?)
    .await?;
    if done.rows_affected() > 0 {
        return Ok(true);
    }
    let known =
        sqlx::query("SELECT 1 FROM notifications WHERE provider_id = $1 AND channel = 'sms'")
            .bind(provider_id)
            .fetch_optional(&mut *db.reader().await?)
            .await?;
    Ok(known.is_some())
}

/// Filters of OnceHub's SMS log.
#[derive(Debug, Default, Clone)]
pub struct SmsFilter {
    pub created_after: Option<i64>,
    pub created_before: Option<i64>,
    pub recipient: Option<String>,
    pub recipient_type: Option<&'static str>,
}

/// OnceHub's SMS log: SMS the account sent (or tried to), newest first. Messages not yet tried,
/// dropped or expired were never sent and are not listed.
pub async fn list_sms(
    db: &Db,
    account_id: &AccountId,
    f: &SmsFilter,
    page_req: &PageRequest,
) -> StoreResult<(Vec<Message>, Page)> {
    let mut filters = vec![
        ("channel = ?", Arg::from("sms")),
        (
            "status IN ('sent', 'delivered', 'failed', 'rejected') AND ? = 1",
            Arg::I64(1),
        ),
    ];
    if let Some(t) = f.created_after {
        filters.push(("creation_time > ?", Arg::I64(t)));
    }
    if let Some(t) = f.created_before {
        filters.push(("creation_time < ?", Arg::I64(t)));
    }
    if let Some(r) = &f.recipient {
        filters.push(("recipient_id = ?", Arg::from(r.as_str())));
    }
    if let Some(t) = f.recipient_type {
        filters.push(("recipient_type = ?", Arg::from(t)));
    }
    let q = ListQuery {
        table: "notifications",
        columns: COLUMNS,
        what: "SMS notification",
        account_id,
        filters,
        any_of: None,
    };
    let page = page::fetch(db, &q, page_req).await?;
    let items = page
        .rows
        .iter()
        .map(from_row)
        .collect::<StoreResult<Vec<_>>>()?;
    Ok((items, page))
}
