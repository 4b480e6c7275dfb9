//! Booking pages, for the API and the hosts' app alike: the owner a live user, the event types
//! and master page live ones of the account, settings merged by the domain's rules, the slug
//! unique (the store's conflict).

use serde_json::Value;
use slotline_domain::{
    id::{AccountId, BookingPageId, EventTypeId, MasterPageId, UserId},
    settings::Settings,
    slug,
};

use crate::{
    http::error::{AppError, AppResult},
    services::{booking_calendars::merge_settings, event_types, master_pages, users, Ctx},
    store::{
        booking_pages::{self, BookingPage, BookingPagePatch, NewBookingPage, PageFilter},
        page::read_all,
    },
};

pub fn not_found(id: &str) -> AppError {
    AppError::not_found("booking page", id)
}

/// A live booking page of the account, or the spec's 404.
pub async fn live(
    ctx: Ctx<'_>,
    account_id: &AccountId,
    id: &BookingPageId,
) -> AppResult<BookingPage> {
    booking_pages::get(ctx.db, account_id, id)
        .await?
        .filter(|p| !p.deleted)
        .ok_or_else(|| not_found(id))
}

/// Every live booking page of the account (of `owner` only, when given), by name.
pub async fn all(
    ctx: Ctx<'_>,
    account_id: &AccountId,
    owner: Option<&UserId>,
) -> AppResult<Vec<BookingPage>> {
    let filter = PageFilter {
        master_page: None,
        event_type: None,
        owner: owner.cloned(),
    };
    let filter = &filter;
    let mut out =
        read_all(|req| async move { booking_pages::list(ctx.db, account_id, filter, &req).await })
            .await?;
    out.retain(|p| !p.deleted);
    out.sort_by_key(|p| p.name.to_lowercase());
    Ok(out)
}

/// `ids` as live event types of the account.
async fn event_types_of(
    ctx: Ctx<'_>,
    account_id: &AccountId,
    ids: Vec<String>,
) -> AppResult<Vec<EventTypeId>> {
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        let no_such = || AppError::invalid(format!("No such event type: '{id}'"), "event_types");
        let parsed = EventTypeId::parse(id.as_str()).map_err(|_| no_such())?;
        event_types::live(ctx, account_id, &parsed)
            .await
            .map_err(|e| match e {
                AppError::NotFound { .. } => no_such(),
                e => e,
            })?;
        if !out.contains(&parsed) {
            out.push(parsed);
        }
    }
    Ok(out)
}

/// `id` as a live master page of the account.
async fn master_page_of(ctx: Ctx<'_>, account_id: &AccountId, id: &str) -> AppResult<MasterPageId> {
    let no_such = || AppError::invalid(format!("No such master page: '{id}'"), "master_page");
    let parsed = MasterPageId::parse(id).map_err(|_| no_such())?;
    master_pages::live(ctx, account_id, &parsed)
        .await
        .map_err(|e| match e {
            AppError::NotFound { .. } => no_such(),
            e => e,
        })?;
    Ok(parsed)
}

/// A booking page to make; values already checked for their form.
pub struct NewPage {
    /// A user id.
    pub owner: String,
    pub name: String,
    pub label: Option<String>,
    pub slug: Option<String>,
    /// The owner's zone when absent.
    pub timezone: Option<String>,
    pub active: Option<bool>,
    pub event_types: Vec<String>,
    pub master_page: Option<String>,
    /// Settings over the defaults.
    pub settings: Option<Value>,
}

pub async fn create(ctx: Ctx<'_>, account_id: &AccountId, new: NewPage) -> AppResult<BookingPage> {
    let owner = users::live_owner(ctx.db, account_id, &new.owner).await?;
    let event_type_ids = event_types_of(ctx, account_id, new.event_types).await?;
    let master_page_id = match &new.master_page {
        Some(m) => Some(master_page_of(ctx, account_id, m).await?),
        None => None,
    };
    let page = NewBookingPage {
        owner_id: owner.id,
        master_page_id,
        event_type_ids,
        label: new.label.unwrap_or_else(|| new.name.clone()),
        slug: new.slug.unwrap_or_else(|| slug::from_name(&new.name)),
        timezone: new.timezone.unwrap_or(owner.timezone),
        active: new.active.unwrap_or(true),
        settings: merge_settings(new.settings.as_ref(), &Settings::default())?,
        name: new.name,
    };
    let id = booking_pages::create(ctx.db, account_id, page, ctx.now()).await?;
    live(ctx, account_id, &id).await
}

/// A change to a booking page; absent fields are kept.
#[derive(Default)]
pub struct PageChange {
    pub owner: Option<String>,
    pub name: Option<String>,
    pub label: Option<String>,
    pub slug: Option<String>,
    pub timezone: Option<String>,
    pub active: Option<bool>,
    /// Replaces the event types offered.
    pub event_types: Option<Vec<String>>,
    /// `Some(None)` takes the page off its master page.
    pub master_page: Option<Option<String>>,
    /// Settings over the current ones.
    pub settings: Option<Value>,
}

pub async fn update(
    ctx: Ctx<'_>,
    account_id: &AccountId,
    id: &BookingPageId,
    change: PageChange,
) -> AppResult<BookingPage> {
    let current = live(ctx, account_id, id).await?;
    let owner_id = match &change.owner {
        Some(owner) => Some(users::live_owner(ctx.db, account_id, owner).await?.id),
        None => None,
    };
    let master_page_id = match change.master_page {
        None => None,
        Some(None) => Some(None),
        Some(Some(m)) => Some(Some(master_page_of(ctx, account_id, &m).await?)),
    };
    let event_type_ids = match change.event_types {
        Some(ids) => Some(event_types_of(ctx, account_id, ids).await?),
        None => None,
    };
    let settings = match &change.settings {
        Some(v) => Some(merge_settings(Some(v), &current.settings)?),
        None => None,
    };
    let patch = BookingPagePatch {
        owner_id,
        name: change.name,
        label: change.label,
        slug: change.slug,
        timezone: change.timezone,
        active: change.active,
        master_page_id,
        settings,
        event_type_ids,
    };
    if !booking_pages::update(ctx.db, account_id, id, patch, ctx.now()).await? {
        return Err(not_found(id));
    }
    live(ctx, account_id, id).await
}

pub async fn delete(ctx: Ctx<'_>, account_id: &AccountId, id: &BookingPageId) -> AppResult<()> {
    if !booking_pages::delete(ctx.db, account_id, id, ctx.now()).await? {
        return Err(not_found(id));
    }
    Ok(())
}
