//! Booking calendars: list and get as in OnceHub; create, update, delete and the scheduling
//! settings are extensions.

use axum::{
    extract::{RawQuery, State},
    response::{IntoResponse, Response},
    routing::get,
    Json, Router,
};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use slotline_domain::id::{kind, AccountId, BookingCalendarId, Host};
use utoipa::ToSchema;

use super::{
    auth::Principal,
    body::{not_null, Body, Input},
    list::{self, Params},
    setup::{settings_out, SettingsChange, SettingsOut},
    values::{Label, Name, Slug},
};

use crate::{
    http::error::{AppError, AppResult, ErrorBody},
    http::path::PathId,
    services::booking_calendars as service,
    state::SharedState,
    store::booking_calendars::{self, BookingCalendarPatch},
};

pub fn routes() -> Router<SharedState> {
    Router::new()
        .route(
            "/booking-calendars",
            get(list_calendars).post(create_calendar),
        )
        .route(
            "/booking-calendars/{id}",
            get(get_calendar)
                .patch(update_calendar)
                .delete(delete_calendar),
        )
        .route(
            "/booking-calendars/{id}/settings",
            get(get_settings).patch(patch_settings),
        )
}

#[derive(Serialize, ToSchema)]
#[schema(as = BookingCalendar)]
pub struct BookingCalendarOut {
    /// Always `booking_calendar`.
    pub object: &'static str,
    pub id: BookingCalendarId,
    /// The host: a user id, or a team id.
    pub host: Host,
    /// Internal label.
    pub name: String,
    /// Customer-facing title.
    pub subject: String,
    /// Public URL.
    pub url: String,
    pub published: bool,
    /// The first (default) meeting duration.
    pub duration_minutes: u32,
}

fn out(base_url: &str, c: booking_calendars::BookingCalendar) -> BookingCalendarOut {
    BookingCalendarOut {
        object: "booking_calendar",
        url: format!("{base_url}/c/{}", c.slug),
        duration_minutes: c.settings.durations.first().copied().unwrap_or(30),
        id: c.id,
        host: c.host_id,
        name: c.name,
        subject: c.subject,
        published: c.published,
    }
}

pub fn to_json(base_url: &str, c: booking_calendars::BookingCalendar) -> serde_json::Value {
    serde_json::to_value(out(base_url, c)).unwrap_or_default()
}

/// Body of `POST /v2/booking-calendars` (an extension).
#[derive(Deserialize, ToSchema)]
pub struct BookingCalendarInput {
    /// A user id, or a team id.
    #[schema(example = "TM-3W4X5Y6Z7A")]
    host: String,
    /// For a team: `round_robin` (default: the available member booked least recently) or
    /// `collective` (all members must be free). A user's calendar is `single`.
    #[serde(default, deserialize_with = "not_null")]
    #[schema(example = "round_robin")]
    distribution: Option<String>,
    name: Name,
    /// The meeting's subject; defaults to the name.
    #[serde(default, deserialize_with = "not_null")]
    subject: Option<Label>,
    /// The last part of the public URL (`/c/<slug>`); made from the name when absent.
    #[serde(default, deserialize_with = "not_null")]
    slug: Option<Slug>,
    /// Whether guests can book; defaults to true.
    #[serde(default)]
    published: Option<bool>,
    /// Scheduling settings, over the defaults; see `GET /v2/booking-calendars/{id}/settings`.
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    settings: Option<Value>,
}

impl Input for BookingCalendarInput {
    const UNSUPPORTED: Option<&'static str> = Some("Unsupported fields");
}

/// Body of `PATCH /v2/booking-calendars/{id}`: the fields to change, at least one.
#[derive(Deserialize, ToSchema)]
pub struct BookingCalendarChange {
    #[serde(default, deserialize_with = "not_null")]
    host: Option<String>,
    #[serde(default, deserialize_with = "not_null")]
    distribution: Option<String>,
    #[serde(default, deserialize_with = "not_null")]
    name: Option<Name>,
    #[serde(default, deserialize_with = "not_null")]
    subject: Option<Label>,
    #[serde(default, deserialize_with = "not_null")]
    slug: Option<Slug>,
    #[serde(default)]
    published: Option<bool>,
    /// Settings applied over the calendar's current ones.
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    settings: Option<Value>,
}

impl Input for BookingCalendarChange {
    const UNSUPPORTED: Option<&'static str> = Some("Unsupported field");
    const EMPTY: Option<&'static str> = Some("At least one field must be provided to update.");
}

fn not_found(id: &str) -> AppError {
    service::not_found(id)
}

/// A live calendar of the account, or the spec's 404.
pub async fn live_calendar(
    state: &SharedState,
    account_id: &AccountId,
    id: &BookingCalendarId,
) -> AppResult<booking_calendars::BookingCalendar> {
    service::live(state.ctx(), account_id, id).await
}

#[utoipa::path(get, path = "/v2/booking-calendars", operation_id = "list-all-booking-calendars", tag = "Booking Calendars",
    params(("host" = Option<String>, Query, description = "A user id or a team id"),
           ("limit" = Option<i64>, Query), ("after" = Option<String>, Query), ("before" = Option<String>, Query)),
    responses((status = 200, body = list::ListEnvelope<BookingCalendarOut>), (status = 400, body = ErrorBody)))]
pub async fn list_calendars(
    State(state): State<SharedState>,
    p: Principal,
    RawQuery(q): RawQuery,
) -> AppResult<Response> {
    let params = Params::parse(q.as_deref());
    let req = params.page()?;
    let (rows, page) = booking_calendars::list(
        &state.db,
        &p.account_id,
        params.host("host")?.as_ref(),
        &req,
    )
    .await?;
    let data: Vec<BookingCalendarOut> = rows.into_iter().map(|c| out(&state.base_url, c)).collect();
    Ok(list::respond(
        &state.base_url,
        "/v2/booking-calendars",
        &params,
        &req,
        &page,
        data,
    ))
}

#[utoipa::path(get, path = "/v2/booking-calendars/{id}", operation_id = "get-a-single-booking-calendar", tag = "Booking Calendars", params(("id" = String, Path)),
    responses((status = 200, body = BookingCalendarOut), (status = 404, body = ErrorBody)))]
pub async fn get_calendar(
    State(state): State<SharedState>,
    p: Principal,
    PathId(id): PathId<kind::BookingCalendar>,
) -> AppResult<Response> {
    let c = booking_calendars::get(&state.db, &p.account_id, &id)
        .await?
        .ok_or_else(|| not_found(&id))?;
    if c.deleted {
        return Ok(list::redacted(&c.id, "booking_calendar"));
    }
    Ok(Json(out(&state.base_url, c)).into_response())
}

#[utoipa::path(post, path = "/v2/booking-calendars", operation_id = "create-a-booking-calendar", tag = "Booking Calendars", request_body = BookingCalendarInput,
    responses((status = 200, body = BookingCalendarOut), (status = 400, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn create_calendar(
    State(state): State<SharedState>,
    p: Principal,
    Body(input): Body<BookingCalendarInput>,
) -> AppResult<Json<BookingCalendarOut>> {
    let new = service::NewCalendar {
        host: input.host,
        distribution: input.distribution,
        name: input.name.into_inner(),
        subject: input.subject.map(Label::into_inner),
        slug: input.slug.map(Slug::into_inner),
        published: input.published,
        settings: input.settings,
    };
    let cal = service::create(state.ctx(), &p.account_id, new).await?;
    Ok(Json(out(&state.base_url, cal)))
}

#[utoipa::path(patch, path = "/v2/booking-calendars/{id}", operation_id = "update-a-booking-calendar", tag = "Booking Calendars", request_body = BookingCalendarChange,
    params(("id" = String, Path)),
    responses((status = 200, body = BookingCalendarOut), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn update_calendar(
    State(state): State<SharedState>,
    p: Principal,
    PathId(id): PathId<kind::BookingCalendar>,
    Body(change): Body<BookingCalendarChange>,
) -> AppResult<Json<BookingCalendarOut>> {
    let change = service::CalendarChange {
        host: change.host,
        distribution: change.distribution,
        name: change.name.map(Name::into_inner),
        subject: change.subject.map(Label::into_inner),
        slug: change.slug.map(Slug::into_inner),
        published: change.published,
        settings: change.settings,
    };
    let cal = service::update(state.ctx(), &p.account_id, &id, change).await?;
    Ok(Json(out(&state.base_url, cal)))
}

#[utoipa::path(delete, path = "/v2/booking-calendars/{id}", operation_id = "delete-a-booking-calendar", tag = "Booking Calendars", params(("id" = String, Path)),
    responses((status = 200, body = list::DeletedObject), (status = 404, body = ErrorBody)))]
pub async fn delete_calendar(
    State(state): State<SharedState>,
    p: Principal,
    PathId(id): PathId<kind::BookingCalendar>,
) -> AppResult<Json<list::DeletedObject>> {
    if !booking_calendars::delete(&state.db, &p.account_id, &id, state.now()).await? {
        return Err(not_found(&id));
    }
    Ok(list::deleted(&id))
}

#[utoipa::path(get, path = "/v2/booking-calendars/{id}/settings", operation_id = "get-booking-calendar-settings", tag = "Booking Calendars",
    params(("id" = String, Path)), responses((status = 200, body = SettingsOut), (status = 404, body = ErrorBody)))]
pub async fn get_settings(
    State(state): State<SharedState>,
    p: Principal,
    PathId(id): PathId<kind::BookingCalendar>,
) -> AppResult<Json<SettingsOut>> {
    Ok(Json(settings_out(
        live_calendar(&state, &p.account_id, &id).await?.settings,
    )))
}

#[utoipa::path(patch, path = "/v2/booking-calendars/{id}/settings", operation_id = "update-booking-calendar-settings", tag = "Booking Calendars",
    params(("id" = String, Path)), request_body = SettingsChange,
    responses((status = 200, body = SettingsOut), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn patch_settings(
    State(state): State<SharedState>,
    p: Principal,
    PathId(id): PathId<kind::BookingCalendar>,
    Body(change): Body<SettingsChange>,
) -> AppResult<Json<SettingsOut>> {
    let current = live_calendar(&state, &p.account_id, &id).await?;
    let next = current.settings.merge(&change.into_value(), || {
        slotline_domain::id::new_id(slotline_domain::id::IdKind::Address)
    })?;
    let patch = BookingCalendarPatch {
        settings: Some(next.clone()),
        ..Default::default()
    };
    booking_calendars::update(&state.db, &p.account_id, &id, patch, state.now()).await?;
    Ok(Json(settings_out(next)))
}
