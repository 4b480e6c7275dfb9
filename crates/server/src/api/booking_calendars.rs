//! Booking calendars: list and get as in OnceHub; create, update, delete and the scheduling
//! settings are extensions.

use axum::{
    extract::{Path, RawQuery, State},
    response::{IntoResponse, Response},
    routing::get,
    Json, Router,
};
use serde::Serialize;
use slotline_domain::id::IdKind;
use slotline_domain::{settings::Settings, slug};
use utoipa::ToSchema;

use super::{
    auth::Principal,
    body::Fields,
    list::{self, Params},
    setup::{optional_text, required_text, settings_field, settings_out, slug_field, SettingsOut},
};
use crate::{
    http::error::{AppError, AppResult, ErrorBody},
    state::SharedState,
    store::{booking_calendars, teams, users, Arg},
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
    pub id: String,
    /// The host: a user id, or a team id.
    pub host: String,
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

/// Body of the booking calendar extensions.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct BookingCalendarInput {
    /// A user id, or a team id.
    host: String,
    /// For a team: `round_robin` (default: the available member booked least recently) or
    /// `collective` (all members must be free). A user's calendar is `single`.
    distribution: Option<String>,
    name: String,
    /// Defaults to the name.
    subject: Option<String>,
    slug: Option<String>,
    /// Defaults to true.
    published: Option<bool>,
    #[schema(value_type = Option<Object>)]
    settings: Option<serde_json::Value>,
}

const FIELDS: [&str; 7] = [
    "host",
    "distribution",
    "name",
    "subject",
    "slug",
    "published",
    "settings",
];

fn not_found(id: &str) -> AppError {
    AppError::not_found("booking calendar", id)
}

/// A live calendar of the account, or the spec's 404.
pub async fn live_calendar(
    state: &SharedState,
    account_id: &str,
    id: &str,
) -> AppResult<booking_calendars::BookingCalendar> {
    booking_calendars::get(&state.db, account_id, id)
        .await?
        .filter(|c| !c.deleted)
        .ok_or_else(|| not_found(id))
}

/// Checks a host and the distribution asked for it; returns the distribution to store.
async fn host_and_distribution(
    state: &SharedState,
    account_id: &str,
    host: &str,
    asked: Option<String>,
) -> AppResult<String> {
    let is_user = users::get(&state.db, account_id, host)
        .await?
        .is_some_and(|u| !u.deleted);
    let is_team = !is_user
        && teams::get(&state.db, account_id, host)
            .await?
            .is_some_and(|t| !t.deleted);
    match (is_user, is_team, asked.as_deref()) {
        (false, false, _) => Err(AppError::invalid(
            format!("No such user or team: '{host}'"),
            "host",
        )),
        (true, _, None | Some("single")) => Ok("single".into()),
        (true, _, Some(d)) => Err(AppError::invalid(
            format!("Invalid distribution for a user's calendar: '{d}'"),
            "distribution",
        )),
        (_, true, None) => Ok("round_robin".into()),
        (_, true, Some(d)) if d == "round_robin" || d == "collective" => Ok(d.to_string()),
        (_, true, Some(d)) => Err(AppError::invalid(
            format!("Invalid distribution: '{d}'. Use round_robin or collective."),
            "distribution",
        )),
    }
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
        params.id("host", &[IdKind::User, IdKind::Team])?.as_deref(),
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
    Path(id): Path<String>,
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
    f: Fields,
) -> AppResult<Json<BookingCalendarOut>> {
    f.only(&FIELDS, "Unsupported fields")?;
    let host = f
        .str("host")?
        .ok_or_else(|| AppError::invalid("Required fields are missing.", "host"))?;
    let distribution =
        host_and_distribution(&state, &p.account_id, &host, f.str("distribution")?).await?;
    let name = required_text(&f, "name")?;
    let cal = booking_calendars::BookingCalendar {
        id: String::new(),
        host_id: host,
        distribution,
        subject: optional_text(&f, "subject", 200)?.unwrap_or_else(|| name.clone()),
        slug: slug_field(&f)?.unwrap_or_else(|| slug::from_name(&name)),
        published: f.bool("published")?.unwrap_or(true),
        settings: settings_field(&f, &Settings::default())?,
        deleted: false,
        name,
    };
    let id = booking_calendars::create(&state.db, &p.account_id, &cal, state.now()).await?;
    Ok(Json(out(
        &state.base_url,
        live_calendar(&state, &p.account_id, &id).await?,
    )))
}

#[utoipa::path(patch, path = "/v2/booking-calendars/{id}", operation_id = "update-a-booking-calendar", tag = "Booking Calendars", request_body = BookingCalendarInput,
    params(("id" = String, Path)),
    responses((status = 200, body = BookingCalendarOut), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn update_calendar(
    State(state): State<SharedState>,
    p: Principal,
    Path(id): Path<String>,
    f: Fields,
) -> AppResult<Json<BookingCalendarOut>> {
    let current = live_calendar(&state, &p.account_id, &id).await?;
    f.only(&FIELDS, "Unsupported field")?;
    if f.is_empty() {
        return Err(AppError::invalid(
            "At least one field must be provided to update.",
            "body",
        ));
    }
    let mut cols = Vec::new();
    if f.has("host") || f.has("distribution") {
        let host = f.str("host")?.unwrap_or(current.host_id.clone());
        let asked = f
            .str("distribution")?
            .or_else(|| (host == current.host_id).then(|| current.distribution.clone()));
        let distribution = host_and_distribution(&state, &p.account_id, &host, asked).await?;
        cols.push(("host_id", Arg::from(host)));
        cols.push(("distribution", Arg::from(distribution)));
    }
    if f.has("name") {
        cols.push(("name", Arg::from(required_text(&f, "name")?)));
    }
    if let Some(s) = optional_text(&f, "subject", 200)? {
        cols.push(("subject", Arg::from(s)));
    }
    if let Some(s) = slug_field(&f)? {
        cols.push(("slug", Arg::from(s)));
    }
    if let Some(b) = f.bool("published")? {
        cols.push(("published", Arg::from(b)));
    }
    if f.has("settings") {
        cols.push((
            "settings",
            Arg::from(serde_json::to_string(&settings_field(
                &f,
                &current.settings,
            )?)?),
        ));
    }
    if !booking_calendars::update(&state.db, &p.account_id, &id, cols, state.now()).await? {
        return Err(not_found(&id));
    }
    Ok(Json(out(
        &state.base_url,
        live_calendar(&state, &p.account_id, &id).await?,
    )))
}

#[utoipa::path(delete, path = "/v2/booking-calendars/{id}", operation_id = "delete-a-booking-calendar", tag = "Booking Calendars", params(("id" = String, Path)),
    responses((status = 200, body = list::DeletedObject), (status = 404, body = ErrorBody)))]
pub async fn delete_calendar(
    State(state): State<SharedState>,
    p: Principal,
    Path(id): Path<String>,
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
    Path(id): Path<String>,
) -> AppResult<Json<SettingsOut>> {
    Ok(Json(settings_out(
        live_calendar(&state, &p.account_id, &id).await?.settings,
    )))
}

#[utoipa::path(patch, path = "/v2/booking-calendars/{id}/settings", operation_id = "update-booking-calendar-settings", tag = "Booking Calendars",
    params(("id" = String, Path)), request_body(content = Object, description = "Any settings fields; absent ones are kept"),
    responses((status = 200, body = SettingsOut), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn patch_settings(
    State(state): State<SharedState>,
    p: Principal,
    Path(id): Path<String>,
    Fields(body): Fields,
) -> AppResult<Json<SettingsOut>> {
    let current = live_calendar(&state, &p.account_id, &id).await?;
    let next = current
        .settings
        .merge(&serde_json::Value::Object(body), || {
            slotline_domain::id::new_id(slotline_domain::id::IdKind::Address)
        })?;
    booking_calendars::update(
        &state.db,
        &p.account_id,
        &id,
        vec![("settings", Arg::from(serde_json::to_string(&next)?))],
        state.now(),
    )
    .await?;
    Ok(Json(settings_out(next)))
}
