//! Booking calendar scheduling: free time slots, and booking one of them.

use axum::{
    extract::{Path, RawQuery, State},
    routing::{get, post},
    Json, Router,
};
use serde::Serialize;
use serde_json::{json, Map, Value};
use slotline_domain::{
    availability::Interval,
    email, phone,
    settings::Settings,
    time::{format_millis, parse_instant},
    timezone,
};
use utoipa::ToSchema;

use super::{auth::Principal, body::Fields, list::Params};
use crate::{
    app::SharedState,
    error::{AppError, AppResult, ErrorBody},
    scheduler::{self, Target},
    store::{booking_pages, event_types},
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
            "virtual" => SlotLocation { kind: l.kind.clone(), value: l.value.clone(), id: None },
            "physical" => SlotLocation { kind: l.kind.clone(), value: None, id: l.id.clone() },
            _ => SlotLocation { kind: l.kind.clone(), value: None, id: None },
        })
        .collect()
}

fn instant_param(params: &Params, name: &str) -> AppResult<Option<i64>> {
    params
        .get(name)
        .filter(|s| !s.is_empty())
        .map(|raw| {
            parse_instant(raw)
                .map(|ns| (ns.div_euclid(1_000_000)) as i64)
                .ok_or_else(|| AppError::invalid(format!("Invalid date: {raw}"), name))
        })
        .transpose()
}

fn duration_of(settings: &Settings, asked: Option<u32>) -> AppResult<u32> {
    match asked {
        None => Ok(settings.durations.first().copied().unwrap_or(30)),
        Some(d) if settings.durations.contains(&d) => Ok(d),
        Some(d) => Err(AppError::invalid(format!("This booking calendar does not offer a duration of {d} minutes."), "duration_minutes")),
    }
}

#[utoipa::path(get, path = "/v2/booking-calendars/{id}/time-slots", operation_id = "get-available-time-slots-for-booking-calendar", tag = "Booking Calendars",
    params(("id" = String, Path), ("start_time" = Option<String>, Query, description = "Default: now"),
           ("end_time" = Option<String>, Query, description = "Default: start + 7 days; at most 30 days after start"),
           ("duration_minutes" = Option<u32>, Query, description = "Extension: one of the calendar's durations (default: the first)")),
    responses((status = 200, body = Vec<TimeSlot>), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn time_slots(
    State(state): State<SharedState>,
    p: Principal,
    Path(id): Path<String>,
    RawQuery(q): RawQuery,
) -> AppResult<Json<Vec<TimeSlot>>> {
    let cal = super::booking_calendars::live_calendar(&state, &p.account_id, &id).await?;
    let closed = (!cal.published).then_some("Time slots cannot be retrieved from an unpublished booking calendar.");
    slots_on(&state, &p.account_id, &Target::calendar(&cal), &Params::parse(q.as_deref()), closed).await
}

/// The free start times of a target in the window the query asks for (default: a week from now).
async fn slots_on(
    state: &SharedState,
    account_id: &str,
    target: &Target,
    params: &Params,
    closed: Option<&str>,
) -> AppResult<Json<Vec<TimeSlot>>> {
    if let Some(message) = closed {
        return Err(AppError::Invalid(slotline_domain::Invalid::unprocessable(message, "id")));
    }
    let now = state.now();
    let start = instant_param(params, "start_time")?.unwrap_or(now);
    let end = instant_param(params, "end_time")?.unwrap_or(start + 7 * 24 * 60 * MINUTE);
    if end <= start {
        return Err(AppError::invalid("End time must be after the start time.", "end_time"));
    }
    if end - start > MAX_WINDOW {
        return Err(AppError::invalid("The time range between start_time and end_time cannot be longer than 30 days.", "end_time"));
    }
    let asked = params
        .get("duration_minutes")
        .map(|d| d.parse::<u32>().map_err(|_| AppError::invalid(format!("Invalid duration_minutes: {d}"), "duration_minutes")))
        .transpose()?;
    let duration = duration_of(&target.settings, asked)?;
    let window = Interval { start: start.max(now), end };
    let starts = scheduler::time_slots(&state.db, account_id, target, duration, window, now).await?;
    Ok(Json(starts.into_iter().map(|s| TimeSlot { start_time: format_millis(s), locations: slot_locations(&target.settings) }).collect()))
}

/// Body of `POST /v2/booking-calendars/{id}/schedule`.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct ScheduleInput {
    /// One of the start times `time-slots` offers.
    start_time: String,
    /// IANA zone of the guest.
    guest_time_zone: String,
    /// `name`, `email`, optionally `phone`, `mobile_phone`, `company`, `note`, `guests`, and the
    /// calendar's questions by their mapped field names.
    #[schema(value_type = Object)]
    booking_form: Value,
    /// `{type, value}`: one of the locations the slot offers.
    #[schema(value_type = Option<Object>)]
    location: Option<Value>,
    /// Extension: one of the calendar's durations.
    duration_minutes: Option<u32>,
    /// Extension: `{source, medium, campaign, term, content}`.
    #[schema(value_type = Option<Object>)]
    utm_params: Option<Value>,
}

#[derive(Serialize, ToSchema)]
pub struct Scheduled {
    /// The new booking's id.
    pub id: String,
}

fn missing(param: &str) -> AppError {
    AppError::invalid("Required fields are missing.", param)
}

/// The form as stored on the booking, checked against the calendar's questions.
fn form_submission(settings: &Settings, form: &Map<String, Value>) -> AppResult<Value> {
    let text = |k: &str| form.get(k).and_then(Value::as_str).map(str::trim).filter(|s| !s.is_empty()).map(str::to_string);
    let name = text("name").ok_or_else(|| missing("booking_form"))?;
    let mail = text("email").ok_or_else(|| missing("booking_form"))?;
    if !email::is_valid(&mail) {
        return Err(AppError::invalid(format!("Invalid email format: '{mail}'"), "booking_form.email"));
    }
    for key in ["phone", "mobile_phone"] {
        if let Some(v) = text(key) {
            if !phone::is_valid_e164(&v) {
                return Err(AppError::invalid(format!("Invalid phone format: '{v}'"), format!("booking_form.{key}").as_str()));
            }
        }
    }
    let guests: Vec<String> = match form.get("guests") {
        None | Some(Value::Null) => vec![],
        Some(Value::Array(a)) => a
            .iter()
            .map(|g| g.as_str().filter(|g| email::is_valid(g)).map(str::to_string))
            .collect::<Option<_>>()
            .ok_or_else(|| AppError::invalid("guests must be email addresses.", "booking_form.guests"))?,
        Some(_) => return Err(AppError::invalid("guests must be email addresses.", "booking_form.guests")),
    };
    for (field, required) in &settings.standard_fields {
        if *required && field != "guests" && text(field).is_none() {
            return Err(missing(&format!("booking_form.{field}")));
        }
    }
    let standard = ["name", "email", "phone", "mobile_phone", "company", "note", "guests"];
    if let Some(k) = form.keys().find(|k| !standard.contains(&k.as_str()) && !settings.questions.iter().any(|q| q.name == **k)) {
        return Err(AppError::invalid(format!("Unknown booking_form field: '{k}'"), "booking_form"));
    }
    let mut custom = Vec::new();
    for q in &settings.questions {
        let value = match (q.kind.as_str(), form.get(&q.name)) {
            (_, None | Some(Value::Null)) => None,
            ("multi_select", Some(Value::Array(a))) => {
                // Values that are not among the options are ignored, as OnceHub does.
                let picked: Vec<Value> =
                    a.iter().filter_map(Value::as_str).filter(|v| q.options.iter().any(|o| o == v)).map(|v| json!(v)).collect();
                (!picked.is_empty()).then_some(Value::Array(picked))
            }
            ("single_select", Some(Value::String(s))) => q.options.iter().any(|o| o == s).then(|| json!(s)),
            ("text" | "multi_line", Some(Value::String(s))) => (!s.trim().is_empty()).then(|| json!(s)),
            (_, Some(_)) => return Err(AppError::invalid(format!("Invalid value for '{}'", q.name), &format!("booking_form.{}", q.name))),
        };
        match value {
            Some(v) => custom.push(json!({"name": q.name, "value": v})),
            None if q.required => return Err(missing(&format!("booking_form.{}", q.name))),
            None => {}
        }
    }
    Ok(json!({
        "name": name, "email": mail, "phone": text("phone"), "mobile_phone": text("mobile_phone").unwrap_or_default(),
        "note": text("note").unwrap_or_default(), "company": text("company"), "guests": guests, "custom_fields": custom,
    }))
}

/// The location of the meeting: the one asked for (it must be offered), or the host's preset.
fn choose_location(settings: &Settings, asked: Option<&Value>) -> AppResult<Option<Value>> {
    let offered = &settings.locations;
    let bad = || AppError::invalid("The selected location is not available.", "location");
    let Some(asked) = asked.filter(|v| !v.is_null()) else {
        let preset = offered
            .iter()
            .find(|l| l.kind == "virtual")
            .or_else(|| (offered.len() == 1).then(|| &offered[0]).filter(|l| matches!(l.kind.as_str(), "physical" | "virtual_static")));
        return match preset {
            Some(l) => Ok(Some(location_value(l, None))),
            None if offered.is_empty() => Ok(None),
            None => Err(AppError::invalid("Choose a location: this time slot offers several, or one the guest must fill in.", "location")),
        };
    };
    let kind = asked.get("type").and_then(Value::as_str).ok_or_else(bad)?;
    let value = asked.get("value").and_then(Value::as_str);
    let found = offered
        .iter()
        .find(|l| {
            l.kind == kind
                && match kind {
                    "physical" => value.is_none() || value == l.id.as_deref(),
                    "virtual" => value.is_none() || value == l.value.as_deref(),
                    _ => true,
                }
        })
        .ok_or_else(bad)?;
    match kind {
        "guest_phone" => {
            let number = value
                .filter(|v| phone::is_valid_e164(v))
                .ok_or_else(|| AppError::invalid("A phone number in E.164 format is required.", "location.value"))?;
            Ok(Some(location_value(found, Some(number))))
        }
        "in_person_by_guest" => {
            let address =
                value.filter(|v| !v.trim().is_empty()).ok_or_else(|| AppError::invalid("An address is required.", "location.value"))?;
            Ok(Some(location_value(found, Some(address))))
        }
        _ => Ok(Some(location_value(found, None))),
    }
}

fn location_value(l: &slotline_domain::settings::Location, guest_value: Option<&str>) -> Value {
    let value = guest_value.map(str::to_string).or_else(|| l.value.clone());
    json!({"type": l.kind, "value": value, "id": l.id, "description": value.clone().unwrap_or_default()})
}

fn utm(v: Option<&Value>) -> AppResult<Option<Value>> {
    let Some(obj) = v.filter(|v| !v.is_null()) else { return Ok(None) };
    let obj = obj.as_object().ok_or_else(|| AppError::invalid("utm_params must be an object.", "utm_params"))?;
    let mut out = Map::new();
    for k in ["source", "medium", "campaign", "term", "content"] {
        let val = match obj.get(k) {
            None | Some(Value::Null) => Value::Null,
            Some(Value::String(s)) => json!(s),
            Some(_) => return Err(AppError::invalid(format!("utm_params.{k} must be a string."), "utm_params")),
        };
        out.insert(k.into(), val);
    }
    Ok(Some(Value::Object(out)))
}

#[utoipa::path(post, path = "/v2/booking-calendars/{id}/schedule", operation_id = "book-a-time-slot-for-a-booking-calendar", tag = "Booking Calendars",
    params(("id" = String, Path)), request_body = ScheduleInput,
    responses((status = 200, body = Scheduled), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn schedule(State(state): State<SharedState>, p: Principal, Path(id): Path<String>, f: Fields) -> AppResult<Json<Scheduled>> {
    let cal = super::booking_calendars::live_calendar(&state, &p.account_id, &id).await?;
    let closed = (!cal.published).then_some("Meeting cannot be scheduled on an unpublished booking calendar.");
    book_on(
        &state,
        &p.account_id,
        &Target::calendar(&cal),
        &f,
        &["start_time", "guest_time_zone", "booking_form", "location", "duration_minutes", "utm_params"],
        closed,
    )
    .await
}

/// Validates a booking request against the target's settings and books it.
async fn book_on(
    state: &SharedState,
    account_id: &str,
    target: &Target,
    f: &Fields,
    fields: &[&str],
    closed: Option<&str>,
) -> AppResult<Json<Scheduled>> {
    f.only(fields, "Unsupported fields")?;
    let raw_start = f.str("start_time")?.ok_or_else(|| missing("start_time"))?;
    let zone = f.str("guest_time_zone")?.ok_or_else(|| missing("guest_time_zone"))?;
    let form = match f.get("booking_form") {
        Some(Value::Object(m)) => m.clone(),
        None | Some(Value::Null) => return Err(missing("booking_form")),
        Some(_) => return Err(AppError::invalid("booking_form must be an object.", "booking_form")),
    };
    if let Some(message) = closed {
        return Err(AppError::Invalid(slotline_domain::Invalid::unprocessable(message, "id")));
    }
    if !timezone::is_valid(&zone) {
        return Err(AppError::invalid(format!("Invalid timezone: '{zone}'"), "guest_time_zone"));
    }
    let start = parse_instant(&raw_start)
        .map(|ns| ns.div_euclid(1_000_000) as i64)
        .ok_or_else(|| AppError::invalid(format!("Invalid date: {raw_start}"), "start_time"))?;
    let asked = match f.get("duration_minutes") {
        None | Some(Value::Null) => None,
        Some(v) => Some(
            v.as_u64()
                .map(|n| n as u32)
                .ok_or_else(|| AppError::invalid("duration_minutes must be a whole number.", "duration_minutes"))?,
        ),
    };
    let duration = duration_of(&target.settings, asked)?;
    let form_submission = form_submission(&target.settings, &form)?;
    let location = choose_location(&target.settings, f.get("location"))?;
    let utm_params = utm(f.get("utm_params"))?;
    let request = scheduler::Request { start, duration, guest_time_zone: zone, form_submission, location, utm_params };
    let booking = scheduler::book(&state.db, &state.base_url, account_id, target, request, state.now()).await?;
    Ok(Json(Scheduled { id: booking.id }))
}

/// A booking page and the event type asked for: required when the page offers several, and
/// it must be one the page offers.
pub async fn page_target(state: &SharedState, account_id: &str, id: &str, event_type: Option<&str>) -> AppResult<(Target, bool)> {
    let page = booking_pages::get(&state.db, account_id, id)
        .await?
        .filter(|p| !p.deleted)
        .ok_or_else(|| AppError::not_found("booking page", id))?;
    let chosen = match (event_type, page.event_type_ids.as_slice()) {
        (Some(et), offered) if offered.iter().any(|o| o == et) => Some(et.to_string()),
        (Some(et), _) => return Err(AppError::invalid(format!("This booking page does not offer the event type: '{et}'"), "event_type")),
        (None, [only]) => Some(only.clone()),
        (None, []) => None,
        (None, _) => return Err(AppError::invalid("This booking page offers several event types: choose one.", "event_type")),
    };
    let et = match chosen {
        Some(id) => event_types::get(&state.db, account_id, &id).await?,
        None => None,
    };
    Ok((Target::page(&page, et.as_ref()), page.active))
}

#[utoipa::path(get, path = "/v2/booking-pages/{id}/time-slots", operation_id = "get-available-time-slots-for-booking-page", tag = "Booking Pages",
    params(("id" = String, Path), ("event_type" = Option<String>, Query, description = "Required when the page offers several"),
           ("start_time" = Option<String>, Query), ("end_time" = Option<String>, Query), ("duration_minutes" = Option<u32>, Query)),
    responses((status = 200, body = Vec<TimeSlot>), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn page_time_slots(
    State(state): State<SharedState>,
    p: Principal,
    Path(id): Path<String>,
    RawQuery(q): RawQuery,
) -> AppResult<Json<Vec<TimeSlot>>> {
    let params = Params::parse(q.as_deref());
    let (target, active) = page_target(&state, &p.account_id, &id, params.get("event_type")).await?;
    let closed = (!active).then_some("Time slots cannot be retrieved from an inactive booking page.");
    slots_on(&state, &p.account_id, &target, &params, closed).await
}

#[utoipa::path(post, path = "/v2/booking-pages/{id}/schedule", operation_id = "book-a-time-slot-for-a-booking-page", tag = "Booking Pages",
    params(("id" = String, Path)), request_body(content = Object, description = "As for booking calendars, plus `event_type` when the page offers several"),
    responses((status = 200, body = Scheduled), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn page_schedule(
    State(state): State<SharedState>,
    p: Principal,
    Path(id): Path<String>,
    f: Fields,
) -> AppResult<Json<Scheduled>> {
    let (target, active) = page_target(&state, &p.account_id, &id, f.str("event_type")?.as_deref()).await?;
    let closed = (!active).then_some("Meeting cannot be scheduled on an inactive booking page.");
    let fields = ["start_time", "guest_time_zone", "booking_form", "location", "duration_minutes", "utm_params", "event_type"];
    book_on(&state, &p.account_id, &target, &f, &fields, closed).await
}
