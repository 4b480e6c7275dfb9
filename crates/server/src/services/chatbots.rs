//! Chatbot setup, for the API and the hosts' app alike: websites (a full URL, other origins
//! allowed to run the widget), bots (a live owner, a flow whose booking calendars and custom
//! fields exist) and audiences (a live website and bot, paths, a reach-out delay).

use serde_json::Value;
use slotline_domain::{
    bot::{Flow, CONTACT_FIELDS},
    id::{kind, AccountId, AudienceId, BotId, WebsiteId},
    settings::origin_of,
};

use crate::{
    http::error::{AppError, AppResult},
    services::{named, users, Ctx},
    store::{
        booking_calendars,
        chatbots::{self, Audience, Bot, BotPatch, NewAudience, Website},
        custom_fields,
        page::read_all,
    },
};

/// Every live website, bot and audience of the account, oldest first.
pub async fn all(
    ctx: Ctx<'_>,
    account_id: &AccountId,
) -> AppResult<(Vec<Website>, Vec<Bot>, Vec<Audience>)> {
    let mut websites =
        read_all(|req| async move { chatbots::list_websites(ctx.db, account_id, &req).await })
            .await?;
    let mut bots =
        read_all(|req| async move { chatbots::list_bots(ctx.db, account_id, &req).await }).await?;
    let mut audiences =
        read_all(
            |req| async move { chatbots::list_audiences(ctx.db, account_id, None, &req).await },
        )
        .await?;
    websites.retain(|w| !w.deleted);
    bots.retain(|b| !b.deleted);
    audiences.retain(|a| !a.deleted);
    websites.reverse();
    bots.reverse();
    audiences.reverse();
    Ok((websites, bots, audiences))
}

pub async fn create_website(
    ctx: Ctx<'_>,
    account_id: &AccountId,
    name: &str,
    url: &str,
    allowed_origins: Vec<String>,
) -> AppResult<Website> {
    if origin_of(url).is_none() {
        return Err(AppError::invalid("url must be a full http(s) URL.", "url"));
    }
    let mut allowed = Vec::new();
    for o in allowed_origins {
        match origin_of(&o).filter(|x| o.trim_end_matches('/') == x) {
            Some(x) => allowed.push(x),
            None => {
                return Err(AppError::invalid(
                    format!("Invalid origin: '{o}'. Write scheme://host[:port]."),
                    "allowed_origins",
                ))
            }
        }
    }
    Ok(chatbots::create_website(ctx.db, account_id, name, url, &allowed, ctx.now()).await?)
}

/// A flow whose booking calendars exist in the account and whose custom fields are in its
/// library.
async fn checked_flow(ctx: Ctx<'_>, account_id: &AccountId, v: &Value) -> AppResult<Flow> {
    let flow = Flow::parse(v)?;
    for cal in flow.calendars() {
        let cal = named::<kind::BookingCalendar>(cal, "flow")?;
        if booking_calendars::get(ctx.db, account_id, &cal)
            .await?
            .filter(|c| !c.deleted)
            .is_none()
        {
            return Err(AppError::invalid(
                format!("No such booking calendar: '{cal}'"),
                "flow",
            ));
        }
    }
    let custom: Vec<&str> = flow
        .steps
        .iter()
        .filter_map(|s| s.maps_to.as_deref())
        .filter(|m| !CONTACT_FIELDS.contains(m))
        .collect();
    if let Some(unknown) = custom_fields::first_unknown(ctx.db, account_id, &custom).await? {
        return Err(AppError::invalid(
            format!("No such custom field: '{unknown}'. Add it to the custom fields first."),
            "flow",
        ));
    }
    Ok(flow)
}

pub async fn create_bot(
    ctx: Ctx<'_>,
    account_id: &AccountId,
    name: &str,
    owner: &str,
    flow: &Value,
) -> AppResult<Bot> {
    let owner = users::live_owner(ctx.db, account_id, owner).await?.id;
    let flow = checked_flow(ctx, account_id, flow).await?;
    Ok(chatbots::create_bot(ctx.db, account_id, name, &owner, &flow, ctx.now()).await?)
}

pub fn no_such_bot(id: &str) -> AppError {
    AppError::not_found("bot", id)
}

/// A live bot of the account, or the spec's 404.
pub async fn live_bot(ctx: Ctx<'_>, account_id: &AccountId, id: &BotId) -> AppResult<Bot> {
    chatbots::bot_of(ctx.db, account_id, id)
        .await?
        .filter(|b| !b.deleted)
        .ok_or_else(|| no_such_bot(id))
}

/// Changes a bot's name, owner (a user id) or whole flow; absent ones are kept.
pub async fn update_bot(
    ctx: Ctx<'_>,
    account_id: &AccountId,
    id: &BotId,
    name: Option<String>,
    owner: Option<&str>,
    flow: Option<&Value>,
) -> AppResult<Bot> {
    live_bot(ctx, account_id, id).await?;
    let owner_id = match owner {
        Some(o) => Some(users::live_owner(ctx.db, account_id, o).await?.id),
        None => None,
    };
    let flow = match flow {
        Some(v) => Some(checked_flow(ctx, account_id, v).await?),
        None => None,
    };
    let patch = BotPatch {
        name,
        owner_id,
        flow,
    };
    chatbots::update_bot(ctx.db, account_id, id, patch, ctx.now()).await?;
    chatbots::bot_of(ctx.db, account_id, id)
        .await?
        .ok_or_else(|| no_such_bot(id))
}

/// An audience to make: ids as given, checked here.
pub struct AudienceInput<'a> {
    pub name: &'a str,
    pub website: &'a str,
    pub bot: &'a str,
    pub pages: Vec<String>,
    pub reach_out_after: Option<i64>,
}

pub async fn create_audience(
    ctx: Ctx<'_>,
    account_id: &AccountId,
    input: AudienceInput<'_>,
) -> AppResult<Audience> {
    let website: WebsiteId = named::<kind::Website>(input.website, "website")?;
    let bot: BotId = named::<kind::Bot>(input.bot, "bot")?;
    if chatbots::website_of(ctx.db, account_id, &website)
        .await?
        .filter(|w| !w.deleted)
        .is_none()
    {
        return Err(AppError::invalid(
            format!("No such website: '{website}'"),
            "website",
        ));
    }
    if chatbots::bot_of(ctx.db, account_id, &bot)
        .await?
        .filter(|b| !b.deleted)
        .is_none()
    {
        return Err(AppError::invalid(format!("No such bot: '{bot}'"), "bot"));
    }
    if let Some(bad) = input.pages.iter().find(|p| !p.starts_with('/')) {
        return Err(AppError::invalid(
            format!("Invalid page: '{bad}'. Pages are paths starting with '/'."),
            "pages",
        ));
    }
    if input
        .reach_out_after
        .is_some_and(|n| !(0..=3600).contains(&n))
    {
        return Err(AppError::invalid(
            "reach_out_after_seconds must be from 0 to 3600.",
            "reach_out_after_seconds",
        ));
    }
    let a = NewAudience {
        website_id: &website,
        bot_id: &bot,
        name: input.name,
        pages: &input.pages,
        reach_out_after: input.reach_out_after,
    };
    Ok(chatbots::create_audience(ctx.db, account_id, a, ctx.now()).await?)
}

/// Removes a website, bot or audience (`table`: `websites`, `bots`, `audiences`); false if
/// there was no such live one.
async fn delete<K: slotline_domain::id::Kind>(
    ctx: Ctx<'_>,
    table: &str,
    account_id: &AccountId,
    id: &slotline_domain::id::Id<K>,
) -> AppResult<()> {
    if !chatbots::delete(ctx.db, table, account_id, id, ctx.now()).await? {
        return Err(AppError::not_found(K::OBJECT, id));
    }
    Ok(())
}

pub async fn delete_website(ctx: Ctx<'_>, account_id: &AccountId, id: &WebsiteId) -> AppResult<()> {
    delete(ctx, "websites", account_id, id).await
}

pub async fn delete_bot(ctx: Ctx<'_>, account_id: &AccountId, id: &BotId) -> AppResult<()> {
    delete(ctx, "bots", account_id, id).await
}

pub async fn delete_audience(
    ctx: Ctx<'_>,
    account_id: &AccountId,
    id: &AudienceId,
) -> AppResult<()> {
    delete(ctx, "audiences", account_id, id).await
}
