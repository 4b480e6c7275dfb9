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
use slotline_domain::id::{kind, AccountId, BookingPageId};
use utoipa::ToSchema;

use super::{
    auth::Principal,
    body::{not_null, Body, Input, Patch, Strings},
    list::{self, Params},
    setup::{settings_out, SettingsChange, SettingsOut},
    values::{Label, Name, Slug, TimeZoneName},
};

use crate::{
    http::error::{AppResult, ErrorBody},
    http::path::PathId,
    services::booking_pages as service,
    state::SharedState,
    store::booking_pages,
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

use service::not_found;

async fn live_page(
    state: &SharedState,
    account_id: &AccountId,
    id: &BookingPageId,
) -> AppResult<booking_pages::BookingPage> {
    service::live(state.ctx(), account_id, id).await
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
    let new = service::NewPage {
        owner: input.owner,
        name: input.name.into_inner(),
        label: input.label.map(Label::into_inner),
        slug: input.slug.map(Slug::into_inner),
        timezone: input.timezone.map(TimeZoneName::into_inner),
        active: input.active,
        event_types: input.event_types.map(|e| e.0).unwrap_or_default(),
        master_page: input.master_page,
        settings: input.settings,
    };
    let page = service::create(state.ctx(), &p.account_id, new).await?;
    Ok(Json(out(&state.base_url, page)))
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
    let change = service::PageChange {
        owner: change.owner,
        name: change.name.map(Name::into_inner),
        label: change.label.map(Label::into_inner),
        slug: change.slug.map(Slug::into_inner),
        timezone: change.timezone.map(TimeZoneName::into_inner),
        active: change.active,
        event_types: change.event_types.map(|e| e.0),
        master_page: match change.master_page {
            Patch::Absent => None,
            Patch::Null => Some(None),
            Patch::Value(m) => Some(Some(m)),
        },
        settings: change.settings,
    };
    let page = service::update(state.ctx(), &p.account_id, &id, change).await?;
    Ok(Json(out(&state.base_url, page)))
}

#[utoipa::path(delete, path = "/v2/booking-pages/{id}", operation_id = "delete-a-booking-page", tag = "Booking Pages", params(("id" = String, Path)),
    responses((status = 200, body = list::DeletedObject), (status = 404, body = ErrorBody)))]
pub async fn delete_page(
    State(state): State<SharedState>,
    p: Principal,
    PathId(id): PathId<kind::BookingPage>,
) -> AppResult<Json<list::DeletedObject>> {
    service::delete(state.ctx(), &p.account_id, &id).await?;
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
    let change = service::PageChange {
        settings: Some(change.into_value()),
        ..Default::default()
    };
    let page = service::update(state.ctx(), &p.account_id, &id, change).await?;
    Ok(Json(settings_out(page.settings)))
}
