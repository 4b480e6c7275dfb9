//! Booking calendar scheduling: free time slots, and booking one of them.

use axum::{
    extract::{RawQuery, State},
    routing::{get, post},
    Json, Router,
};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use slotline_domain::{
    availability::Interval,
    id::{kind, AccountId, BookingId},
    settings::Settings,
    time::{format_millis, parse_instant},
};
use utoipa::ToSchema;

use super::{
    auth::Principal,
    body::{not_null, required, Body, Input},
    list::Params,
    values::{BookingForm, Minutes},
};

use crate::{
    http::error::{AppError, AppResult, ErrorBody},
    http::path::PathId,
    services::booking_request,
    services::scheduler::{self, Target},
    state::SharedState,
};

pub fn routes() -> Router<SharedState> {
    Router::new()
        .route("/booking-calendars/{id}/time-slots", get(time_slots))
        .route("/booking-calendars/{id}/schedule", post(schedule))
        .route("/booking-pages/{id}/time-slots", get(page_time_slots))
        .route("/booking-pages/{id}/schedule", post(page_schedule))
}

const MINUTE: i64 = 60_000;
const MAX_WINDOW: i64 = 30 * 24 * 60 * MINUTE;

#[derive(Serialize, ToSchema)]
pub struct SlotLocation {
    /// `virtual`, `virtual_static`, `physical`, `guest_phone` or `in_person_by_guest`.
    #[serde(rename = "type")]
    pub kind: String,
    pub value: Option<String>,
    pub id: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct TimeSlot {
    pub start_time: String,
    pub locations: Vec<SlotLocation>,
}

fn slot_locations(settings: &Settings) -> Vec<SlotLocation> {
    settings
        .locations
        .iter()
        .map(|l| match l.kind.as_str() {
            "virtual" => SlotLocation {
                kind: l.kind.clone(),
                value: l.value.clone(),
                id: None,
            },
            "physical" => SlotLocation {
                kind: l.kind.clone(),
                value: None,
                id: l.id.clone(),
            },
            _ => SlotLocation {
                kind: l.kind.clone(),
                value: None,
                id: None,
            },
        })
        .collect()
}

/// A date-time parameter; present but empty is not a date (`Invalid date: `).
fn instant_param(params: &Params, name: &str) -> AppResult<Option<i64>> {
    params
        .get(name)
        .map(|raw| {
            parse_instant(raw)
                .map(|ns| (ns.div_euclid(1_000_000)) as i64)
                .ok_or_else(|| AppError::invalid(format!("Invalid date: {raw}"), name))
        })
        .transpose()
}

#[utoipa::path(get, path = "/v2/booking-calendars/{id}/time-slots", operation_id = "get-available-time-slots-for-booking-calendar", tag = "Booking Calendars",
    params(("id" = String, Path), ("start_time" = Option<String>, Query, description = "Default: now"),
           ("end_time" = Option<String>, Query, description = "Default: start + 7 days; at most 30 days after start"),
           ("duration_minutes" = Option<u32>, Query, description = "Extension: one of the calendar's durations (default: the first)")),
    responses((status = 200, body = Vec<TimeSlot>), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn time_slots(
    State(state): State<SharedState>,
    p: Principal,
    PathId(id): PathId<kind::BookingCalendar>,
    RawQuery(q): RawQuery,
) -> AppResult<Json<Vec<TimeSlot>>> {
    let cal = super::booking_calendars::live_calendar(&state, &p.account_id, &id).await?;
    let closed = (!cal.published)
        .then_some("Time slots cannot be retrieved from an unpublished booking calendar.");
    slots_on(
        &state,
        &p.account_id,
        &Target::calendar(&cal),
        &Params::parse(q.as_deref()),
        closed,
    )
    .await
}

/// The free start times of a target in the window the query asks for (default: a week from now).
async fn slots_on(
    state: &SharedState,
    account_id: &AccountId,
    target: &Target,
    params: &Params,
    closed: Option<&str>,
) -> AppResult<Json<Vec<TimeSlot>>> {
    if let Some(message) = closed {
        return Err(AppError::Invalid(slotline_domain::Invalid::unprocessable(
            message, "id",
        )));
    }
    let now = state.now();
    let start = instant_param(params, "start_time")?.unwrap_or(now);
    let end = instant_param(params, "end_time")?.unwrap_or(start + 7 * 24 * 60 * MINUTE);
    if end <= start {
        return Err(AppError::invalid(
            "End time must be after the start time.",
            "end_time",
        ));
    }
    if end - start > MAX_WINDOW {
        return Err(AppError::invalid(
            "The time range between start_time and end_time cannot be longer than 30 days.",
            "end_time",
        ));
    }
    let asked = params
        .get("duration_minutes")
        .map(|d| {
            d.parse::<u32>().map_err(|_| {
                AppError::invalid(format!("Invalid duration_minutes: {d}"), "duration_minutes")
            })
        })
        .transpose()?;
    let duration = booking_request::duration_of(&target.settings, asked)?;
    let window = Interval {
        start: start.max(now),
        end,
    };
    let starts =
        scheduler::time_slots(&state.db, account_id, target, duration, window, now).await?;
    Ok(Json(
        starts
            .into_iter()
            .map(|s| TimeSlot {
                start_time: format_millis(s),
                locations: slot_locations(&target.settings),
            })
            .collect(),
    ))
}

/// Body of `POST /v2/booking-calendars/{id}/schedule` and `POST /v2/booking-pages/{id}/schedule`.
#[derive(Deserialize, ToSchema)]
pub struct ScheduleInput {
    /// Booking pages only: the event type, required when the page offers several.
    #[serde(default, deserialize_with = "not_null")]
    #[schema(example = "ET-3W4X5Y6Z7A")]
    event_type: Option<String>,
    /// One of the start times `time-slots` offers.
    #[schema(example = "2026-12-07T14:00:00Z")]
    start_time: String,
    /// IANA zone of the guest.
    #[schema(example = "America/New_York")]
    guest_time_zone: String,
    /// The guest's answers.
    #[serde(deserialize_with = "required")]
    booking_form: BookingForm,
    /// `{type, value}`: one of the locations the slot offers; the host's preset when absent.
    #[serde(default)]
    #[schema(value_type = Option<Object>, example = json!({"type": "virtual", "value": "zoom"}))]
    location: Option<Value>,
    /// Extension: one of the calendar's durations; its first when absent.
    #[serde(default)]
    duration_minutes: Option<Minutes>,
    /// Extension: `{source, medium, campaign, term, content}`.
    #[serde(default)]
    #[schema(value_type = Option<Object>, example = json!({"source": "newsletter", "campaign": "winter"}))]
    utm_params: Option<Value>,
}

impl Input for ScheduleInput {}

#[derive(Serialize, ToSchema)]
pub struct Scheduled {
    /// The new booking's id.
    pub id: BookingId,
}

#[utoipa::path(post, path = "/v2/booking-calendars/{id}/schedule", operation_id = "book-a-time-slot-for-a-booking-calendar", tag = "Booking Calendars",
    params(("id" = String, Path)), request_body = ScheduleInput,
    responses((status = 200, body = Scheduled), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn schedule(
    State(state): State<SharedState>,
    p: Principal,
    PathId(id): PathId<kind::BookingCalendar>,
    Body(input): Body<ScheduleInput>,
) -> AppResult<Json<Scheduled>> {
    let cal = super::booking_calendars::live_calendar(&state, &p.account_id, &id).await?;
    let closed = (!cal.published)
        .then_some("Meeting cannot be scheduled on an unpublished booking calendar.");
    book_on(
        &state,
        &p.account_id,
        &Target::calendar(&cal),
        input,
        closed,
    )
    .await
}

/// Validates a booking request against the target's settings and books it.
async fn book_on(
    state: &SharedState,
    account_id: &AccountId,
    target: &Target,
    body: ScheduleInput,
    closed: Option<&str>,
) -> AppResult<Json<Scheduled>> {
    if let Some(message) = closed {
        return Err(AppError::Invalid(slotline_domain::Invalid::unprocessable(
            message, "id",
        )));
    }
    let input = booking_request::Input {
        start_time: body.start_time,
        guest_time_zone: body.guest_time_zone,
        form: body.booking_form.0,
        location: body.location,
        duration: body.duration_minutes.map(|m| m.0),
        utm_params: body.utm_params,
        subject: None,
    };
    let request = booking_request::parse(&target.settings, input)?;
    let booking = scheduler::book(state.ctx(), account_id, target, request).await?;
    Ok(Json(Scheduled { id: booking.id }))
}

#[utoipa::path(get, path = "/v2/booking-pages/{id}/time-slots", operation_id = "get-available-time-slots-for-booking-page", tag = "Booking Pages",
    params(("id" = String, Path), ("event_type" = Option<String>, Query, description = "Required when the page offers several"),
           ("start_time" = Option<String>, Query), ("end_time" = Option<String>, Query), ("duration_minutes" = Option<u32>, Query)),
    responses((status = 200, body = Vec<TimeSlot>), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn page_time_slots(
    State(state): State<SharedState>,
    p: Principal,
    PathId(id): PathId<kind::BookingPage>,
    RawQuery(q): RawQuery,
) -> AppResult<Json<Vec<TimeSlot>>> {
    let params = Params::parse(q.as_deref());
    let (target, active) =
        scheduler::page_target(&state.db, &p.account_id, &id, params.get("event_type")).await?;
    let closed =
        (!active).then_some("Time slots cannot be retrieved from an inactive booking page.");
    slots_on(&state, &p.account_id, &target, &params, closed).await
}

#[utoipa::path(post, path = "/v2/booking-pages/{id}/schedule", operation_id = "book-a-time-slot-for-a-booking-page", tag = "Booking Pages",
    params(("id" = String, Path)), request_body = ScheduleInput,
    responses((status = 200, body = Scheduled), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn page_schedule(
    State(state): State<SharedState>,
    p: Principal,
    PathId(id): PathId<kind::BookingPage>,
    Body(input): Body<ScheduleInput>,
) -> AppResult<Json<Scheduled>> {
    let (target, active) =
        scheduler::page_target(&state.db, &p.account_id, &id, input.event_type.as_deref()).await?;
    let closed = (!active).then_some("Meeting cannot be scheduled on an inactive booking page.");
    book_on(&state, &p.account_id, &target, input, closed).await
}
