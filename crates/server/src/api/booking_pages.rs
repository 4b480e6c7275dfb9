//! Booking pages: list and get as in OnceHub; create, update, delete and the scheduling
//! settings are extensions.

use axum::{
    extract::{RawQuery, State},
    response::{IntoResponse, Response},
    routing::get,
    Json, Router,
};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use slotline_domain::{
    id::{kind, AccountId, BookingPageId, EventTypeId, MasterPageId},
    settings::Settings,
    slug,
};
use utoipa::ToSchema;

use super::{
    auth::Principal,
    body::{not_null, Body, Input, Patch, Strings},
    list::{self, Params},
    setup::{live_owner, merge_settings, settings_out, SettingsChange, SettingsOut},
    values::{Label, Name, Slug, TimeZoneName},
};

use crate::{
    http::error::{AppError, AppResult, ErrorBody},
    http::path::PathId,
    state::SharedState,
    store::{
        booking_pages::{self, BookingPagePatch},
        event_types, master_pages,
    },
};

pub fn routes() -> Router<SharedState> {
    Router::new()
        .route("/booking-pages", get(list_pages).post(create_page))
        .route(
            "/booking-pages/{id}",
            get(get_page).patch(update_page).delete(delete_page),
        )
        .route(
            "/booking-pages/{id}/settings",
            get(get_settings).patch(patch_settings),
        )
}

#[derive(Serialize, ToSchema)]
#[schema(as = BookingPage)]
pub struct BookingPageOut {
    /// Always `booking_page`.
    pub object: &'static str,
    pub id: BookingPageId,
    /// Customer-facing name.
    pub name: String,
    /// Internal label.
    pub label: String,
    /// Public URL.
    pub url: String,
    pub active: bool,
    /// IANA time zone of the page.
    pub timezone: String,
}

pub fn out(base_url: &str, p: booking_pages::BookingPage) -> BookingPageOut {
    BookingPageOut {
        object: "booking_page",
        url: format!("{base_url}/p/{}", p.slug),
        id: p.id,
        name: p.name,
        label: p.label,
        active: p.active,
        timezone: p.timezone,
    }
}

/// Body of `POST /v2/booking-pages` (an extension).
#[derive(Deserialize, ToSchema)]
pub struct BookingPageInput {
    /// The user who owns (and hosts) the page.
    #[schema(example = "USR-3W4X5Y6Z7A")]
    owner: String,
    name: Name,
    /// What guests see as the page's title; defaults to the name.
    #[serde(default, deserialize_with = "not_null")]
    label: Option<Label>,
    /// The last part of the public URL (`/p/<slug>`); made from the name when absent.
    #[serde(default, deserialize_with = "not_null")]
    slug: Option<Slug>,
    /// The zone the page shows times in; defaults to the owner's.
    #[serde(default, deserialize_with = "not_null")]
    timezone: Option<TimeZoneName>,
    /// Whether guests can book; defaults to true.
    #[serde(default)]
    active: Option<bool>,
    /// Event type ids offered on the page.
    #[serde(default, deserialize_with = "not_null")]
    #[schema(example = json!(["ET-3W4X5Y6Z7A"]))]
    event_types: Option<Strings>,
    /// The master page listing this page.
    #[serde(default, deserialize_with = "not_null")]
    master_page: Option<String>,
    /// Scheduling settings, over the defaults; see `GET /v2/booking-pages/{id}/settings`.
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    settings: Option<Value>,
}

impl Input for BookingPageInput {
    const UNSUPPORTED: Option<&'static str> = Some("Unsupported fields");
}

/// Body of `PATCH /v2/booking-pages/{id}`: the fields to change, at least one.
#[derive(Deserialize, ToSchema)]
pub struct BookingPageChange {
    #[serde(default, deserialize_with = "not_null")]
    owner: Option<String>,
    #[serde(default, deserialize_with = "not_null")]
    name: Option<Name>,
    #[serde(default, deserialize_with = "not_null")]
    label: Option<Label>,
    #[serde(default, deserialize_with = "not_null")]
    slug: Option<Slug>,
    #[serde(default, deserialize_with = "not_null")]
    timezone: Option<TimeZoneName>,
    #[serde(default)]
    active: Option<bool>,
    /// Replaces the event types offered.
    #[serde(default, deserialize_with = "not_null")]
    event_types: Option<Strings>,
    /// A master page id, or null to take the page off its master page.
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    master_page: Patch<String>,
    /// Settings applied over the page's current ones.
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    settings: Option<Value>,
}

impl Input for BookingPageChange {
    const UNSUPPORTED: Option<&'static str> = Some("Unsupported field");
    const EMPTY: Option<&'static str> = Some("At least one field must be provided to update.");
}

fn not_found(id: &str) -> AppError {
    AppError::not_found("booking page", id)
}

async fn live_page(
    state: &SharedState,
    account_id: &AccountId,
    id: &BookingPageId,
) -> AppResult<booking_pages::BookingPage> {
    booking_pages::get(&state.db, account_id, id)
        .await?
        .filter(|p| !p.deleted)
        .ok_or_else(|| not_found(id))
}

/// `ids` as live event types of the account.
async fn check_event_types(
    state: &SharedState,
    account_id: &AccountId,
    ids: Vec<String>,
) -> AppResult<Vec<EventTypeId>> {
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        let no_such = || AppError::invalid(format!("No such event type: '{id}'"), "event_types");
        let parsed = EventTypeId::parse(id.as_str()).map_err(|_| no_such())?;
        if event_types::get(&state.db, account_id, &parsed)
            .await?
            .filter(|e| !e.deleted)
            .is_none()
        {
            return Err(no_such());
        }
        out.push(parsed);
    }
    Ok(out)
}

/// `id` as a live master page of the account.
async fn check_master_page(
    state: &SharedState,
    account_id: &AccountId,
    id: &str,
) -> AppResult<MasterPageId> {
    let no_such = || AppError::invalid(format!("No such master page: '{id}'"), "master_page");
    let parsed = MasterPageId::parse(id).map_err(|_| no_such())?;
    match master_pages::get(&state.db, account_id, &parsed)
        .await?
        .filter(|m| !m.deleted)
    {
        Some(_) => Ok(parsed),
        None => Err(no_such()),
    }
}

#[utoipa::path(get, path = "/v2/booking-pages", operation_id = "list-all-booking-pages", tag = "Booking Pages",
    params(("master_page" = Option<String>, Query), ("event_type" = Option<String>, Query), ("user" = Option<String>, Query, description = "Owner"),
           ("limit" = Option<i64>, Query), ("after" = Option<String>, Query), ("before" = Option<String>, Query)),
    responses((status = 200, body = list::ListEnvelope<BookingPageOut>), (status = 400, body = ErrorBody)))]
pub async fn list_pages(
    State(state): State<SharedState>,
    p: Principal,
    RawQuery(q): RawQuery,
) -> AppResult<Response> {
    let params = Params::parse(q.as_deref());
    let req = params.page()?;
    let filter = booking_pages::PageFilter {
        master_page: params.id::<kind::MasterPage>("master_page")?,
        event_type: params.id::<kind::EventType>("event_type")?,
        owner: params.id::<kind::User>("user")?,
    };
    let (rows, page) = booking_pages::list(&state.db, &p.account_id, &filter, &req).await?;
    let data: Vec<BookingPageOut> = rows.into_iter().map(|b| out(&state.base_url, b)).collect();
    Ok(list::respond(
        &state.base_url,
        "/v2/booking-pages",
        &params,
        &req,
        &page,
        data,
    ))
}

#[utoipa::path(get, path = "/v2/booking-pages/{id}", operation_id = "get-a-single-booking-page", tag = "Booking Pages", params(("id" = String, Path)),
    responses((status = 200, body = BookingPageOut), (status = 404, body = ErrorBody)))]
pub async fn get_page(
    State(state): State<SharedState>,
    p: Principal,
    PathId(id): PathId<kind::BookingPage>,
) -> AppResult<Response> {
    let b = booking_pages::get(&state.db, &p.account_id, &id)
        .await?
        .ok_or_else(|| not_found(&id))?;
    if b.deleted {
        return Ok(list::redacted(&b.id, "booking_page"));
    }
    Ok(Json(out(&state.base_url, b)).into_response())
}

#[utoipa::path(post, path = "/v2/booking-pages", operation_id = "create-a-booking-page", tag = "Booking Pages", request_body = BookingPageInput,
    responses((status = 200, body = BookingPageOut), (status = 400, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn create_page(
    State(state): State<SharedState>,
    p: Principal,
    Body(input): Body<BookingPageInput>,
) -> AppResult<Json<BookingPageOut>> {
    let owner = live_owner(&state.db, &p.account_id, &input.owner).await?;
    let name = input.name.into_inner();
    let event_type_ids = check_event_types(
        &state,
        &p.account_id,
        input.event_types.map(|e| e.0).unwrap_or_default(),
    )
    .await?;
    let master_page_id = match &input.master_page {
        Some(m) => Some(check_master_page(&state, &p.account_id, m).await?),
        None => None,
    };
    let new = booking_pages::NewBookingPage {
        owner_id: owner.id,
        master_page_id,
        event_type_ids,
        label: input.label.map_or_else(|| name.clone(), Label::into_inner),
        slug: input
            .slug
            .map_or_else(|| slug::from_name(&name), Slug::into_inner),
        timezone: input
            .timezone
            .map_or(owner.timezone, TimeZoneName::into_inner),
        active: input.active.unwrap_or(true),
        settings: merge_settings(input.settings.as_ref(), &Settings::default())?,
        name,
    };
    let id = booking_pages::create(&state.db, &p.account_id, new, state.now()).await?;
    Ok(Json(out(
        &state.base_url,
        live_page(&state, &p.account_id, &id).await?,
    )))
}

#[utoipa::path(patch, path = "/v2/booking-pages/{id}", operation_id = "update-a-booking-page", tag = "Booking Pages", request_body = BookingPageChange,
    params(("id" = String, Path)),
    responses((status = 200, body = BookingPageOut), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn update_page(
    State(state): State<SharedState>,
    p: Principal,
    PathId(id): PathId<kind::BookingPage>,
    Body(change): Body<BookingPageChange>,
) -> AppResult<Json<BookingPageOut>> {
    let current = live_page(&state, &p.account_id, &id).await?;
    let owner_id = match &change.owner {
        Some(owner) => Some(live_owner(&state.db, &p.account_id, owner).await?.id),
        None => None,
    };
    let master_page_id = match change.master_page {
        Patch::Absent => None,
        Patch::Null => Some(None),
        Patch::Value(m) => Some(Some(check_master_page(&state, &p.account_id, &m).await?)),
    };
    let event_type_ids = match change.event_types {
        Some(ids) => Some(check_event_types(&state, &p.account_id, ids.0).await?),
        None => None,
    };
    let settings = match &change.settings {
        Some(v) => Some(merge_settings(Some(v), &current.settings)?),
        None => None,
    };
    let patch = BookingPagePatch {
        owner_id,
        name: change.name.map(Name::into_inner),
        label: change.label.map(Label::into_inner),
        slug: change.slug.map(Slug::into_inner),
        timezone: change.timezone.map(TimeZoneName::into_inner),
        active: change.active,
        master_page_id,
        settings,
        event_type_ids,
    };
    if !booking_pages::update(&state.db, &p.account_id, &id, patch, state.now()).await? {
        return Err(not_found(&id));
    }
    Ok(Json(out(
        &state.base_url,
        live_page(&state, &p.account_id, &id).await?,
    )))
}

#[utoipa::path(delete, path = "/v2/booking-pages/{id}", operation_id = "delete-a-booking-page", tag = "Booking Pages", params(("id" = String, Path)),
    responses((status = 200, body = list::DeletedObject), (status = 404, body = ErrorBody)))]
pub async fn delete_page(
    State(state): State<SharedState>,
    p: Principal,
    PathId(id): PathId<kind::BookingPage>,
) -> AppResult<Json<list::DeletedObject>> {
    if !booking_pages::delete(&state.db, &p.account_id, &id, state.now()).await? {
        return Err(not_found(&id));
    }
    Ok(list::deleted(&id))
}

#[utoipa::path(get, path = "/v2/booking-pages/{id}/settings", operation_id = "get-booking-page-settings", tag = "Booking Pages", params(("id" = String, Path)),
    responses((status = 200, body = SettingsOut), (status = 404, body = ErrorBody)))]
pub async fn get_settings(
    State(state): State<SharedState>,
    p: Principal,
    PathId(id): PathId<kind::BookingPage>,
) -> AppResult<Json<SettingsOut>> {
    Ok(Json(settings_out(
        live_page(&state, &p.account_id, &id).await?.settings,
    )))
}

#[utoipa::path(patch, path = "/v2/booking-pages/{id}/settings", operation_id = "update-booking-page-settings", tag = "Booking Pages",
    params(("id" = String, Path)), request_body = SettingsChange,
    responses((status = 200, body = SettingsOut), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn patch_settings(
    State(state): State<SharedState>,
    p: Principal,
    PathId(id): PathId<kind::BookingPage>,
    Body(change): Body<SettingsChange>,
) -> AppResult<Json<SettingsOut>> {
    let current = live_page(&state, &p.account_id, &id).await?;
    let next = current.settings.merge(&change.into_value(), || {
        slotline_domain::id::new_id(slotline_domain::id::IdKind::Address)
    })?;
    let patch = BookingPagePatch {
        settings: Some(next.clone()),
        ..Default::default()
    };
    booking_pages::update(&state.db, &p.account_id, &id, patch, state.now()).await?;
    Ok(Json(settings_out(next)))
}
