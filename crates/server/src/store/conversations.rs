//! Conversations between website visitors and bots. Every change is written together with its
//! contact (created or updated from the answers) and its event, in one transaction.

use serde_json::Value;
use slotline_domain::bot::ConversationStatus;
use slotline_domain::id::{
    AccountId, AudienceId, BookingId, BotId, ContactId, ConversationId, UserId, WebsiteId,
};
use sqlx::{any::AnyRow, Row};

use super::error::{StoreError, StoreResult};
use super::{
    outbox::{self, NewEvent},
    page::{self, ListQuery, Page, PageRequest},
    Arg, Batch, Db, Sql,
};

#[derive(Debug, Clone)]
pub struct Conversation {
    pub id: ConversationId,
    pub bot_id: BotId,
    pub website_id: WebsiteId,
    pub audience_id: Option<AudienceId>,
    pub contact_id: Option<ContactId>,
    pub owner_id: UserId,
    /// `bot` (a reach-out) or `contact` (the visitor opened it).
    pub initiated_by: String,
    /// `started`, `closed` or `abandoned`.
    pub status: ConversationStatus,
    /// The step the visitor is at; None once the flow ended.
    pub step: Option<String>,
    /// `[{id, internal_label, question, value}]`.
    pub answers: Vec<Value>,
    /// Whether the visitor answered anything yet.
    pub interacted: bool,
    pub token: String,
    pub creation_time: i64,
    pub last_updated_time: i64,
    pub last_interacted_time: i64,
    /// Bookings made in the conversation.
    pub bookings: Vec<BookingId>,
    /// The page of the website the conversation started on.
    pub page_url: Option<String>,
    /// The visit's UTM tags: `{source, medium, campaign, term, content}`.
    pub utm_params: Option<Value>,
}

const COLUMNS: &str =
    "seq, id, bot_id, website_id, audience_id, contact_id, owner_id, initiated_by, status, step, answers, interacted, token, \
                       creation_time, last_updated_time, last_interacted_time, page_url, utm_params";

fn from_row(r: &AnyRow) -> StoreResult<Conversation> {
    Ok(Conversation {
        id: r.try_get("id")?,
        bot_id: r.try_get("bot_id")?,
        website_id: r.try_get("website_id")?,
        audience_id: r.try_get("audience_id")?,
        contact_id: r.try_get("contact_id")?,
        owner_id: r.try_get("owner_id")?,
        initiated_by: r.try_get("initiated_by")?,
        status: super::decode("status", r, ConversationStatus::parse)?,
        step: r.try_get("step")?,
        answers: serde_json::from_str(&r.try_get::<String, _>("answers")?)?,
        interacted: r.try_get::<i64, _>("interacted")? != 0,
        token: r.try_get("token")?,
        creation_time: r.try_get("creation_time")?,
        last_updated_time: r.try_get("last_updated_time")?,
        last_interacted_time: r.try_get("last_interacted_time")?,
        bookings: vec![],
        page_url: r.try_get("page_url")?,
        utm_params: r
            .try_get::<Option<String>, _>("utm_params")?
            .map(|s| serde_json::from_str(&s))
            .transpose()?,
    })
}

async fn attach_bookings(db: &Db, convs: &mut [Conversation]) -> StoreResult<()> {
    if convs.is_empty() {
        return Ok(());
    }
    let mut sql = Sql::new("SELECT conversation_id, id FROM bookings WHERE conversation_id IN ");
    sql.push_in(convs.iter().map(|c| c.id.as_str()))
        .push(" ORDER BY seq");
    for r in sql.query().fetch_all(&mut *db.reader().await?).await? {
        let (cid, bid): (ConversationId, BookingId) = (r.try_get(0)?, r.try_get(1)?);
        if let Some(c) = convs.iter_mut().find(|c| c.id == cid) {
            c.bookings.push(bid);
        }
    }
    Ok(())
}

/// The contact fields a conversation's answers gave, to create or update its contact by email.
#[derive(Debug, Default, Clone)]
pub struct ContactFields {
    pub email: String,
    /// `(column, value)` for the contact's own columns.
    pub columns: Vec<(&'static str, Arg)>,
    /// Custom fields, merged over the contact's (JSON array `[{name, value}]`).
    pub custom_fields: Option<String>,
}

fn row_args(c: &Conversation) -> Result<Vec<Arg>, serde_json::Error> {
    Ok(vec![
        Arg::from(c.id.as_str()),
        Arg::from(c.bot_id.as_str()),
        Arg::from(c.website_id.as_str()),
        Arg::from(c.audience_id.clone()),
        Arg::from(c.owner_id.as_str()),
        Arg::from(c.initiated_by.as_str()),
        Arg::from(c.status.as_str()),
        Arg::from(c.step.clone()),
        Arg::from(serde_json::to_string(&c.answers)?),
        Arg::from(c.interacted),
        Arg::from(c.token.as_str()),
        Arg::I64(c.creation_time),
        Arg::I64(c.last_updated_time),
        Arg::I64(c.last_interacted_time),
        Arg::from(c.page_url.clone()),
        Arg::from(c.utm_params.as_ref().map(Value::to_string)),
        Arg::from(utm_tag(c, "source")),
        Arg::from(utm_tag(c, "campaign")),
    ])
}

fn utm_tag(c: &Conversation, tag: &str) -> Option<String> {
    c.utm_params
        .as_ref()
        .and_then(|u| u.get(tag))
        .and_then(Value::as_str)
        .map(str::to_string)
}

/// The contact upsert (by email) and the conversation's link to it.
fn push_contact(
    batch: &mut Batch,
    account_id: &AccountId,
    conversation_id: &ConversationId,
    owner_id: &UserId,
    f: &ContactFields,
    now: i64,
) {
    let mut cols = vec![
        "id",
        "account_id",
        "owner_id",
        "email",
        "email_lc",
        "creation_time",
        "last_updated_time",
        "last_interacted_time",
    ];
    let mut args = vec![
        Arg::from(ContactId::new()),
        Arg::from(account_id),
        Arg::from(owner_id),
        Arg::from(f.email.as_str()),
        Arg::from(slotline_domain::email::normalize(&f.email)),
        Arg::I64(now),
        Arg::I64(now),
        Arg::I64(now),
    ];
    let mut updates = vec![
        "last_updated_time = excluded.last_updated_time".to_string(),
        "last_interacted_time = excluded.last_interacted_time".to_string(),
    ];
    for (c, a) in &f.columns {
        cols.push(c);
        args.push(a.clone());
        updates.push(format!("{c} = excluded.{c}"));
    }
    if let Some(cf) = &f.custom_fields {
        cols.push("custom_fields");
        args.push(Arg::from(cf.as_str()));
        updates.push("custom_fields = excluded.custom_fields".into());
    }
    let placeholders: Vec<String> = (1..=args.len()).map(|i| format!("${i}")).collect();
    batch.push(
        format!(
            "INSERT INTO contacts ({}) VALUES ({}) ON CONFLICT (account_id, email_lc) WHERE deleted = 0 AND email_lc IS NOT NULL DO UPDATE SET {}",
            cols.join(", "),
            placeholders.join(", "),
            updates.join(", ")
        ),
        args,
    );
    batch.push(
        "UPDATE conversations SET contact_id = (SELECT id FROM contacts WHERE account_id = $1 AND email_lc = $2 AND deleted = 0) WHERE id = $3",
        vec![Arg::from(account_id), Arg::from(slotline_domain::email::normalize(&f.email)), Arg::from(conversation_id)],
    );
}

/// A new conversation (and its event, for a reach-out).
pub async fn create(
    db: &Db,
    account_id: &AccountId,
    c: &Conversation,
    event: Option<&NewEvent>,
) -> StoreResult<()> {
    let mut batch = Batch::default();
    let mut args = row_args(c)?;
    args.insert(1, Arg::from(account_id));
    batch.push(
        "INSERT INTO conversations (id, account_id, bot_id, website_id, audience_id, owner_id, initiated_by, status, step, answers, interacted, token, \
         creation_time, last_updated_time, last_interacted_time, page_url, utm_params, utm_source, utm_campaign) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19)",
        args,
    );
    if let Some(e) = event {
        outbox::push(&mut batch, account_id, None, e, None);
    }
    batch.run(db).await?;
    if event.is_some() {
        db.outbox_written();
    }
    Ok(())
}

/// Creates or updates the conversation's contact (by email) from its answers, and links it.
/// Returns the contact's id.
pub async fn link_contact(
    db: &Db,
    account_id: &AccountId,
    c: &Conversation,
    f: &ContactFields,
    now: i64,
) -> StoreResult<ContactId> {
    let mut batch = Batch::default();
    push_contact(&mut batch, account_id, &c.id, &c.owner_id, f, now);
    batch.push(
        "SELECT contact_id FROM conversations WHERE id = $1",
        vec![Arg::from(c.id.as_str())],
    );
    let rows = batch.run(db).await?;
    let row = rows
        .last()
        .and_then(|r| r.first())
        .ok_or_else(|| StoreError::Corrupt("the conversation's contact was not linked".into()))?;
    Ok(row.try_get(0)?)
}

/// Writes the conversation's new state with its events, if nobody changed it since
/// `expected_update` (false otherwise: a concurrent change won and nothing is written).
pub async fn save(
    db: &Db,
    account_id: &AccountId,
    c: &Conversation,
    expected_update: i64,
    events: &[NewEvent],
) -> StoreResult<bool> {
    let mut conn = db.writer().await?;
    let mut tx = conn.begin().await?;
    let done = sqlx::query(
        "UPDATE conversations SET status = $1, step = $2, answers = $3, interacted = $4, last_updated_time = $5, last_interacted_time = $6 \
         WHERE id = $7 AND account_id = $8 AND last_updated_time = $9",
    )
    .bind(c.status.as_str())
    .bind(c.step.as_deref())
    .bind(serde_json::to_string(&c.answers)?)
    .bind(c.interacted as i64)
    .bind(c.last_updated_time)
    .bind(c.last_interacted_time)
    .bind(c.id.as_str())
    .bind(account_id)
    .bind(expected_update)
    .execute(&mut *tx)
    .await?;
    if done.rows_affected() != 1 {
        return Ok(false);
    }
    let mut batch = Batch::default();
    for e in events {
        outbox::push(&mut batch, account_id, None, e, None);
    }
    batch.run_in(&mut tx).await?;
    tx.commit().await?;
    if !events.is_empty() {
        db.outbox_written();
    }
    Ok(true)
}

pub async fn get(
    db: &Db,
    account_id: &AccountId,
    id: &ConversationId,
) -> StoreResult<Option<Conversation>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM conversations WHERE account_id = $1 AND id = $2 AND deleted = 0"
    );
    let Some(row) = sqlx::query(&sql)
        .bind(account_id)
        .bind(id)
        .fetch_optional(&mut *db.reader().await?)
        .await?
    else {
        return Ok(None);
    };
    let mut one = [from_row(&row)?];
    attach_bookings(db, &mut one).await?;
    let [c] = one;
    Ok(Some(c))
}

/// A conversation by the visitor's token, with its account.
pub async fn by_token(db: &Db, token: &str) -> StoreResult<Option<(AccountId, Conversation)>> {
    let sql =
        format!("SELECT account_id, {COLUMNS} FROM conversations WHERE token = $1 AND deleted = 0");
    let Some(row) = sqlx::query(&sql)
        .bind(token)
        .fetch_optional(&mut *db.reader().await?)
        .await?
    else {
        return Ok(None);
    };
    let mut one = [from_row(&row)?];
    attach_bookings(db, &mut one).await?;
    let [c] = one;
    Ok(Some((row.try_get("account_id")?, c)))
}

#[derive(Default)]
pub struct ConversationFilter {
    pub statuses: Option<Vec<String>>,
    pub contact: Option<ContactId>,
    pub bot: Option<BotId>,
    pub website: Option<WebsiteId>,
    pub utm_source: Option<String>,
    pub utm_campaign: Option<String>,
    pub creation: slotline_domain::time::Range,
    pub last_updated: slotline_domain::time::Range,
}

pub async fn list(
    db: &Db,
    account_id: &AccountId,
    f: &ConversationFilter,
    req: &PageRequest,
) -> StoreResult<(Vec<Conversation>, Page)> {
    let mut filters: Vec<(&'static str, Arg)> = Vec::new();
    for (col, v) in [
        ("contact_id = ?", f.contact.as_deref()),
        ("bot_id = ?", f.bot.as_deref()),
        ("website_id = ?", f.website.as_deref()),
        ("utm_source = ?", f.utm_source.as_deref()),
        ("utm_campaign = ?", f.utm_campaign.as_deref()),
    ] {
        if let Some(v) = v {
            filters.push((col, Arg::from(v)));
        }
    }
    for (range, gt, lt) in [
        (&f.creation, "creation_time > ?", "creation_time < ?"),
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
    let q = ListQuery {
        table: "conversations",
        columns: COLUMNS,
        what: "conversation",
        account_id,
        filters,
        any_of: f.statuses.clone().map(|s| ("status", s)),
    };
    let page = page::fetch(db, &q, req).await?;
    let mut out = page
        .rows
        .iter()
        .map(from_row)
        .collect::<StoreResult<Vec<_>>>()?;
    attach_bookings(db, &mut out).await?;
    Ok((out, page))
}

/// Conversations still open whose visitor has been silent since before `before`.
pub async fn idle(db: &Db, before: i64, limit: i64) -> StoreResult<Vec<(AccountId, Conversation)>> {
    let sql = format!("SELECT account_id, {COLUMNS} FROM conversations WHERE status = 'started' AND last_interacted_time < $1 ORDER BY last_interacted_time LIMIT $2");
    let rows = sqlx::query(&sql)
        .bind(before)
        .bind(limit)
        .fetch_all(&mut *db.reader().await?)
        .await?;
    rows.iter()
        .map(|r| Ok((r.try_get("account_id")?, from_row(r)?)))
        .collect()
}

/// The contact's most recent conversation.
pub async fn latest_of_contact(
    db: &Db,
    account_id: &AccountId,
    contact_id: &ContactId,
) -> StoreResult<Option<Conversation>> {
    let sql =
        format!("SELECT {COLUMNS} FROM conversations WHERE account_id = $1 AND contact_id = $2 AND deleted = 0 ORDER BY seq DESC LIMIT 1");
    let Some(row) = sqlx::query(&sql)
        .bind(account_id)
        .bind(contact_id)
        .fetch_optional(&mut *db.reader().await?)
        .await?
    else {
        return Ok(None);
    };
    let mut one = [from_row(&row)?];
    attach_bookings(db, &mut one).await?;
    let [c] = one;
    Ok(Some(c))
}
