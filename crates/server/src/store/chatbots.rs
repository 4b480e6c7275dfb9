//! Chatbot setup: websites (where the widget runs and which origins may embed it), bots (a
//! flow, and the user who owns their conversations) and audiences (which pages of a website a bot
//! runs on, and whether it reaches out by itself).

use slotline_domain::bot::Flow;
use slotline_domain::id::{AccountId, AudienceId, BotId, Id, Kind, UserId, WebsiteId};
use sqlx::{any::AnyRow, Row};

use super::error::StoreResult;
use super::{
    page::{self, ListQuery, Page, PageRequest},
    Arg, Db,
};

#[derive(Debug, Clone)]
pub struct Website {
    pub id: WebsiteId,
    pub name: String,
    pub url: String,
    /// Origins allowed to embed the widget (the website's own origin always is).
    pub allowed_origins: Vec<String>,
    pub deleted: bool,
}

#[derive(Debug, Clone)]
pub struct Bot {
    pub id: BotId,
    pub name: String,
    pub owner_id: UserId,
    pub flow: Flow,
    pub deleted: bool,
}

#[derive(Debug, Clone)]
pub struct Audience {
    pub id: AudienceId,
    pub website_id: WebsiteId,
    pub bot_id: BotId,
    pub name: String,
    /// Path prefixes the bot runs on; empty: every page.
    pub pages: Vec<String>,
    /// Seconds after which the bot opens by itself (a reach-out); None: only on a click.
    pub reach_out_after: Option<i64>,
    pub deleted: bool,
}

impl Website {
    /// Whether a page of `origin` may embed the widget.
    pub fn allows(&self, origin: &str) -> bool {
        slotline_domain::settings::origin_of(&self.url).as_deref() == Some(origin)
            || self.allowed_origins.iter().any(|o| o == origin)
    }
}

impl Audience {
    /// Whether the audience covers the page at `path`.
    pub fn covers(&self, path: &str) -> bool {
        self.pages.is_empty() || self.pages.iter().any(|p| path.starts_with(p.as_str()))
    }
}

const WEBSITE_COLUMNS: &str = "seq, id, name, url, allowed_origins, deleted";
const BOT_COLUMNS: &str = "seq, id, name, owner_id, flow, deleted";
const AUDIENCE_COLUMNS: &str = "seq, id, website_id, bot_id, name, pages, reach_out_after, deleted";

fn website(r: &AnyRow) -> StoreResult<Website> {
    Ok(Website {
        id: r.try_get("id")?,
        name: r.try_get("name")?,
        url: r.try_get("url")?,
        allowed_origins: serde_json::from_str(&r.try_get::<String, _>("allowed_origins")?)?,
        deleted: r.try_get::<i64, _>("deleted")? != 0,
    })
}

fn bot(r: &AnyRow) -> StoreResult<Bot> {
    Ok(Bot {
        id: r.try_get("id")?,
        name: r.try_get("name")?,
        owner_id: r.try_get("owner_id")?,
        flow: serde_json::from_str(&r.try_get::<String, _>("flow")?)?,
        deleted: r.try_get::<i64, _>("deleted")? != 0,
    })
}

fn audience(r: &AnyRow) -> StoreResult<Audience> {
    Ok(Audience {
        id: r.try_get("id")?,
        website_id: r.try_get("website_id")?,
        bot_id: r.try_get("bot_id")?,
        name: r.try_get("name")?,
        pages: serde_json::from_str(&r.try_get::<String, _>("pages")?)?,
        reach_out_after: r.try_get("reach_out_after")?,
        deleted: r.try_get::<i64, _>("deleted")? != 0,
    })
}

pub async fn create_website(
    db: &Db,
    account_id: &AccountId,
    name: &str,
    url: &str,
    allowed: &[String],
    now: i64,
) -> StoreResult<Website> {
    let id = WebsiteId::new();
    sqlx::query(
        "INSERT INTO websites (id, account_id, name, url, allowed_origins, creation_time, last_updated_time) VALUES ($1, $2, $3, $4, $5, $6, $6)",
    )
    .bind(&id)
    .bind(account_id)
    .bind(name)
    .bind(url)
    .bind(serde_json::to_string(allowed)?)
    .bind(now)
    .execute(&mut *db.writer().await?)
    .await?;
    Ok(Website {
        id,
        name: name.into(),
        url: url.into(),
        allowed_origins: allowed.to_vec(),
        deleted: false,
    })
}

pub async fn create_bot(
    db: &Db,
    account_id: &AccountId,
    name: &str,
    owner_id: &UserId,
    flow: &Flow,
    now: i64,
) -> StoreResult<Bot> {
    let id = BotId::new();
    sqlx::query(
        "INSERT INTO bots (id, account_id, name, owner_id, flow, creation_time, last_updated_time) VALUES ($1, $2, $3, $4, $5, $6, $6)",
    )
    .bind(&id)
    .bind(account_id)
    .bind(name)
    .bind(owner_id)
    .bind(serde_json::to_string(flow)?)
    .bind(now)
    .execute(&mut *db.writer().await?)
    .await?;
    Ok(Bot {
        id,
        name: name.into(),
        owner_id: owner_id.clone(),
        flow: flow.clone(),
        deleted: false,
    })
}

pub struct NewAudience<'a> {
    pub website_id: &'a WebsiteId,
    pub bot_id: &'a BotId,
    pub name: &'a str,
    pub pages: &'a [String],
    pub reach_out_after: Option<i64>,
}

pub async fn create_audience(
    db: &Db,
    account_id: &AccountId,
    a: NewAudience<'_>,
    now: i64,
) -> StoreResult<Audience> {
    let id = AudienceId::new();
    sqlx::query(
        "INSERT INTO audiences (id, account_id, website_id, bot_id, name, pages, reach_out_after, creation_time, last_updated_time) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)",
    )
    .bind(&id)
    .bind(account_id)
    .bind(a.website_id)
    .bind(a.bot_id)
    .bind(a.name)
    .bind(serde_json::to_string(a.pages)?)
    .bind(a.reach_out_after)
    .bind(now)
    .execute(&mut *db.writer().await?)
    .await?;
    Ok(Audience {
        id,
        website_id: a.website_id.clone(),
        bot_id: a.bot_id.clone(),
        name: a.name.into(),
        pages: a.pages.to_vec(),
        reach_out_after: a.reach_out_after,
        deleted: false,
    })
}

async fn one<T, K: Kind>(
    db: &Db,
    table: &str,
    columns: &str,
    account_id: &AccountId,
    id: &Id<K>,
    f: fn(&AnyRow) -> StoreResult<T>,
) -> StoreResult<Option<T>> {
    let sql = format!("SELECT {columns} FROM {table} WHERE account_id = $1 AND id = $2");
    sqlx::query(&sql)
        .bind(account_id)
        .bind(id)
        .fetch_optional(&mut *db.reader().await?)
        .await?
        .as_ref()
        .map(f)
        .transpose()
}

pub async fn website_of(
    db: &Db,
    account_id: &AccountId,
    id: &WebsiteId,
) -> StoreResult<Option<Website>> {
    one(db, "websites", WEBSITE_COLUMNS, account_id, id, website).await
}

pub async fn bot_of(db: &Db, account_id: &AccountId, id: &BotId) -> StoreResult<Option<Bot>> {
    one(db, "bots", BOT_COLUMNS, account_id, id, bot).await
}

pub async fn audience_of(
    db: &Db,
    account_id: &AccountId,
    id: &AudienceId,
) -> StoreResult<Option<Audience>> {
    one(db, "audiences", AUDIENCE_COLUMNS, account_id, id, audience).await
}

/// A live website by id alone, with its account: what the widget asks for.
pub async fn public_website(db: &Db, id: &WebsiteId) -> StoreResult<Option<(AccountId, Website)>> {
    let sql =
        format!("SELECT account_id, {WEBSITE_COLUMNS} FROM websites WHERE id = $1 AND deleted = 0");
    let row = sqlx::query(&sql)
        .bind(id)
        .fetch_optional(&mut *db.reader().await?)
        .await?;
    row.map(|r| Ok((r.try_get("account_id")?, website(&r)?)))
        .transpose()
}

/// The live audiences of a website, oldest first (the first that covers a page wins).
pub async fn audiences_of_website(db: &Db, website_id: &WebsiteId) -> StoreResult<Vec<Audience>> {
    let sql = format!("SELECT {AUDIENCE_COLUMNS} FROM audiences WHERE website_id = $1 AND deleted = 0 ORDER BY seq");
    sqlx::query(&sql)
        .bind(website_id)
        .fetch_all(&mut *db.reader().await?)
        .await?
        .iter()
        .map(audience)
        .collect()
}

pub async fn list_websites(
    db: &Db,
    account_id: &AccountId,
    req: &PageRequest,
) -> StoreResult<(Vec<Website>, Page)> {
    let q = ListQuery {
        table: "websites",
        columns: WEBSITE_COLUMNS,
        what: "website",
        account_id,
        filters: vec![],
        any_of: None,
    };
    let page = page::fetch(db, &q, req).await?;
    Ok((
        page.rows.iter().map(website).collect::<StoreResult<_>>()?,
        page,
    ))
}

pub async fn list_bots(
    db: &Db,
    account_id: &AccountId,
    req: &PageRequest,
) -> StoreResult<(Vec<Bot>, Page)> {
    let q = ListQuery {
        table: "bots",
        columns: BOT_COLUMNS,
        what: "bot",
        account_id,
        filters: vec![],
        any_of: None,
    };
    let page = page::fetch(db, &q, req).await?;
    Ok((page.rows.iter().map(bot).collect::<StoreResult<_>>()?, page))
}

pub async fn list_audiences(
    db: &Db,
    account_id: &AccountId,
    website: Option<&WebsiteId>,
    req: &PageRequest,
) -> StoreResult<(Vec<Audience>, Page)> {
    let filters = website
        .map(|w| vec![("website_id = ?", Arg::from(w))])
        .unwrap_or_default();
    let q = ListQuery {
        table: "audiences",
        columns: AUDIENCE_COLUMNS,
        what: "audience",
        account_id,
        filters,
        any_of: None,
    };
    let page = page::fetch(db, &q, req).await?;
    Ok((
        page.rows.iter().map(audience).collect::<StoreResult<_>>()?,
        page,
    ))
}

/// A change to a bot: each field given is set, the others kept.
#[derive(Debug, Default)]
pub struct BotPatch {
    pub name: Option<String>,
    pub owner_id: Option<UserId>,
    pub flow: Option<Flow>,
}

/// Applies `patch`. False if there is no such live bot.
pub async fn update_bot(
    db: &Db,
    account_id: &AccountId,
    id: &BotId,
    patch: BotPatch,
    now: i64,
) -> StoreResult<bool> {
    let flow = patch.flow.as_ref().map(serde_json::to_string).transpose()?;
    let columns: Vec<(&'static str, Arg)> = [
        patch.name.map(|v| ("name", Arg::from(v))),
        patch.owner_id.map(|v| ("owner_id", Arg::from(v))),
        flow.map(|v| ("flow", Arg::from(v))),
    ]
    .into_iter()
    .flatten()
    .collect();
    Ok(super::update_columns(db, "bots", account_id, id, columns, now).await?)
}

pub async fn delete<K: Kind>(
    db: &Db,
    table: &str,
    account_id: &AccountId,
    id: &Id<K>,
    now: i64,
) -> StoreResult<bool> {
    Ok(super::soft_delete(db, table, account_id, id, now).await?)
}
