//! Bookings: list with every filter, get with expansion, and the actions of the spec.

use axum::{
    extract::{RawQuery, State},
    response::Response,
    routing::{get, post},
    Json, Router,
};
use serde::Deserialize;
use serde_json::{json, Map, Value};
use slotline_domain::id::{kind, AccountId, BookingCalendarId, BookingId, UserId};
use slotline_domain::lifecycle::{Action, Actor, Status};
use utoipa::ToSchema;

use super::{
    auth::Principal,
    body::{not_null, Body, Input},
    booking_calendars,
    list::{self, Params},
    values::TimeZoneName,
};

use crate::{
    http::error::{AppError, AppResult, ErrorBody},
    http::path::PathId,
    services::scheduler::{self, ReassignRefused, Refused},
    state::SharedState,
    store::{
        booking_calendars as calendars, booking_pages, bookings, bookings::Booking, contacts,
        event_types, master_pages, users,
    },
    views::{self, booking::BookingOut},
};

pub fn routes() -> Router<SharedState> {
    Router::new()
        .route("/bookings", get(list_bookings))
        .route("/bookings/{id}", get(get_booking))
        .route("/bookings/{id}/cancel", post(cancel))
        .route(
            "/bookings/{id}/request-reschedule",
            post(request_reschedule),
        )
        .route("/bookings/{id}/no-show", post(no_show))
        .route("/bookings/{id}/reassign", post(reassign))
        .route("/bookings/{id}/approve", post(approve))
        .route("/bookings/{id}/decline", post(decline))
        .route("/bookings/{id}/customer-cancel", post(customer_cancel))
        .route(
            "/bookings/{id}/customer-reschedule",
            post(customer_reschedule),
        )
}

const EXPANDABLE: &[&str] = &[
    "owner",
    "contact",
    "conversation",
    "booking_page",
    "master_page",
    "event_type",
    "booking_calendar",
];

fn not_found(id: &str) -> AppError {
    AppError::not_found("booking", id)
}

async fn host_emails(
    state: &SharedState,
    account_id: &AccountId,
    b: &Booking,
) -> AppResult<Vec<String>> {
    let found = users::get_many(&state.db, account_id, &b.hosts).await?;
    Ok(b.hosts
        .iter()
        .filter_map(|h| found.get(h).map(|u| u.email.clone()))
        .collect())
}

/// The expanded objects of one booking, by field name.
async fn expansions(
    state: &SharedState,
    account_id: &AccountId,
    b: &Booking,
    expand: &[String],
) -> AppResult<Map<String, Value>> {
    let mut m = Map::new();
    for field in expand {
        let value = match field.as_str() {
            "owner" => users::get(&state.db, account_id, &b.owner_id)
                .await?
                .map(|u| json!(crate::views::user::UserOut::from(u))),
            "contact" => match contacts::get(&state.db, account_id, &b.contact_id).await? {
                Some(c) if c.deleted => {
                    Some(json!({"id": c.id, "object": "contact", "deleted": true}))
                }
                Some(_) => Some(
                    crate::views::contact::json(&state.db, account_id, &b.contact_id)
                        .await?
                        .ok_or_else(|| AppError::not_found("contact", &b.contact_id))?,
                ),
                None => None,
            },
            "conversation" => match &b.conversation_id {
                Some(id) => crate::store::conversations::get(&state.db, account_id, id)
                    .await?
                    .map(|c| crate::views::conversation::rest_json(&c, &Map::new())),
                None => None,
            },
            "booking_calendar" => match &b.booking_calendar_id {
                Some(id) => calendars::get(&state.db, account_id, id)
                    .await?
                    .map(|c| booking_calendars::to_json(&state.base_url, c)),
                None => None,
            },
            "booking_page" => match &b.booking_page_id {
                Some(id) => booking_pages::get(&state.db, account_id, id)
                    .await?
                    .map(|p| json!(super::booking_pages::out(&state.base_url, p))),
                None => None,
            },
            "master_page" => match &b.master_page_id {
                Some(id) => master_pages::get(&state.db, account_id, id)
                    .await?
                    .map(|m| json!(super::master_pages::out(&state.base_url, m))),
                None => None,
            },
            "event_type" => match &b.event_type_id {
                Some(id) => event_types::get(&state.db, account_id, id)
                    .await?
                    .map(|e| json!(super::event_types::EventTypeOut::from(e))),
                None => None,
            },
            _ => None, // conversation: none exist before the chatbot issue; stays null
        };
        if let Some(v) = value {
            m.insert(field.clone(), v);
        }
    }
    Ok(m)
}

async fn render(
    state: &SharedState,
    account_id: &AccountId,
    b: &Booking,
    expand: &[String],
) -> AppResult<Value> {
    let emails = host_emails(state, account_id, b).await?;
    let expanded = expansions(state, account_id, b, expand).await?;
    Ok(serde_json::to_value(views::booking::rest(
        &state.base_url,
        b,
        &emails,
        &expanded,
    ))?)
}

#[utoipa::path(get, path = "/v2/bookings", operation_id = "list-all-bookings", tag = "Bookings",
    params(("status" = Option<String>, Query, description = "One status or a comma-separated list"), ("owner" = Option<String>, Query),
           ("contact" = Option<String>, Query), ("booking_page" = Option<String>, Query), ("master_page" = Option<String>, Query),
           ("event_type" = Option<String>, Query), ("booking_calendar" = Option<String>, Query),
           ("host" = Option<String>, Query, description = "Hosted or co-hosted by this user"),
           ("creation_time.gt" = Option<String>, Query), ("creation_time.lt" = Option<String>, Query),
           ("starting_time.gt" = Option<String>, Query), ("starting_time.lt" = Option<String>, Query),
           ("last_updated_time.gt" = Option<String>, Query), ("last_updated_time.lt" = Option<String>, Query),
           ("expand" = Option<String>, Query), ("limit" = Option<i64>, Query), ("after" = Option<String>, Query), ("before" = Option<String>, Query)),
    responses((status = 200, body = list::ListEnvelope<BookingOut>), (status = 400, body = ErrorBody)))]
pub async fn list_bookings(
    State(state): State<SharedState>,
    p: Principal,
    RawQuery(q): RawQuery,
) -> AppResult<Response> {
    let params = Params::parse(q.as_deref());
    let req = params.page()?;
    let expand = params.expand(EXPANDABLE, true)?;
    let statuses = params.one_of("status", |s| Status::parse(s).is_some())?;
    let filter = bookings::BookingFilter {
        statuses,
        owner: params.id::<kind::User>("owner")?,
        contact: params.id::<kind::Contact>("contact")?,
        booking_page: params.id::<kind::BookingPage>("booking_page")?,
        master_page: params.id::<kind::MasterPage>("master_page")?,
        event_type: params.id::<kind::EventType>("event_type")?,
        booking_calendar: params.id::<kind::BookingCalendar>("booking_calendar")?,
        host: params.id::<kind::User>("host")?,
        creation: params.range("creation_time")?,
        starting: params.range("starting_time")?,
        last_updated: params.range("last_updated_time")?,
    };
    let (rows, page) = bookings::list(&state.db, &p.account_id, &filter, &req).await?;
    let mut data = Vec::with_capacity(rows.len());
    for b in &rows {
        data.push(render(&state, &p.account_id, b, &expand).await?);
    }
    Ok(list::respond(
        &state.base_url,
        "/v2/bookings",
        &params,
        &req,
        &page,
        data,
    ))
}

#[utoipa::path(get, path = "/v2/bookings/{id}", operation_id = "get-a-single-booking", tag = "Bookings",
    params(("id" = String, Path), ("expand" = Option<String>, Query)),
    responses((status = 200, body = BookingOut), (status = 404, body = ErrorBody)))]
pub async fn get_booking(
    State(state): State<SharedState>,
    p: Principal,
    PathId(id): PathId<kind::Booking>,
    RawQuery(q): RawQuery,
) -> AppResult<Json<Value>> {
    let expand = Params::parse(q.as_deref()).expand(EXPANDABLE, false)?;
    let b = bookings::get(&state.db, &p.account_id, &id)
        .await?
        .ok_or_else(|| not_found(&id))?;
    Ok(Json(render(&state, &p.account_id, &b, &expand).await?))
}

/// Applies a user's action to a booking through the scheduler; a refusal is a 409 with
/// OnceHub's wording for the operation.
async fn act(
    state: &SharedState,
    account_id: &AccountId,
    id: &BookingId,
    action: Action,
    reason: Option<(String, Actor)>,
    tell_guest: bool,
    refusal: String,
) -> AppResult<Value> {
    let b = bookings::get(&state.db, account_id, id)
        .await?
        .ok_or_else(|| not_found(id))?;
    let outcome = match action {
        Action::Approve { .. } => scheduler::approve(state.ctx(), account_id, &b).await,
        _ => scheduler::change(state.ctx(), account_id, &b, action, reason, tell_guest).await,
    };
    respond(state, account_id, outcome, refusal).await
}

async fn respond(
    state: &SharedState,
    account_id: &AccountId,
    outcome: Result<Booking, Refused>,
    refusal: String,
) -> AppResult<Value> {
    match outcome {
        Ok(after) => render(state, account_id, &after, &[]).await,
        Err(Refused::NotAllowed) => Err(AppError::conflict(refusal, "id")),
        Err(Refused::Failed(e)) => Err(e),
    }
}

/// Body of `POST /v2/bookings/{id}/cancel`.
#[derive(Deserialize, ToSchema)]
pub struct CancelInput {
    /// Why the booking is canceled; shown to the guest and in the event.
    #[serde(default, deserialize_with = "not_null")]
    #[schema(example = "The host is ill.")]
    cancellation_reason: Option<String>,
    /// Whether the guest is emailed of the cancellation (default true). Hosts are told either way.
    #[serde(default)]
    send_cancellation_email: Option<bool>,
}

impl Input for CancelInput {}

/// Body of `POST /v2/bookings/{id}/request-reschedule`.
#[derive(Deserialize, ToSchema)]
pub struct RequestRescheduleInput {
    /// Why the guest is asked to pick another time.
    #[serde(default, deserialize_with = "not_null")]
    #[schema(example = "The host is travelling that week.")]
    reschedule_reason: Option<String>,
}

impl Input for RequestRescheduleInput {}

/// Body of `POST /v2/bookings/{id}/reassign`.
#[derive(Deserialize, ToSchema)]
pub struct ReassignInput {
    /// The user who hosts the booking from now on.
    #[schema(example = "USR-3W4X5Y6Z7A")]
    new_host: String,
    /// `{type: "virtual", value: <provider>}`: a new video meeting with the new host.
    #[serde(default)]
    #[schema(value_type = Option<Object>, example = json!({"type": "virtual", "value": "zoom"}))]
    location: Option<Value>,
}

impl Input for ReassignInput {}

/// No body, or an empty object.
#[derive(Deserialize, ToSchema)]
pub struct NoFields {}

impl Input for NoFields {
    const UNSUPPORTED: Option<&'static str> = Some("Unsupported fields");
}

/// Body of `POST /v2/bookings/{id}/decline` (an extension).
#[derive(Deserialize, ToSchema)]
pub struct DeclineInput {
    /// Why the request is declined.
    #[serde(default, deserialize_with = "not_null")]
    reason: Option<String>,
}

impl Input for DeclineInput {
    const UNSUPPORTED: Option<&'static str> = Some("Unsupported fields");
}

/// Body of `POST /v2/bookings/{id}/customer-cancel` (an extension): the guest cancels.
#[derive(Deserialize, ToSchema)]
pub struct CustomerCancelInput {
    #[serde(default, deserialize_with = "not_null")]
    cancellation_reason: Option<String>,
}

impl Input for CustomerCancelInput {
    const UNSUPPORTED: Option<&'static str> = Some("Unsupported fields");
}

/// Body of `POST /v2/bookings/{id}/customer-reschedule` (an extension): the guest moves the
/// booking.
#[derive(Deserialize, ToSchema)]
pub struct CustomerRescheduleInput {
    /// One of the start times the calendar offers.
    #[schema(example = "2026-12-08T15:00:00Z")]
    start_time: String,
    /// Where to: a booking calendar id; the booking's own calendar or page when absent.
    #[serde(default, deserialize_with = "not_null")]
    booking_calendar: Option<String>,
    /// The guest's zone; the booking's when absent.
    #[serde(default, deserialize_with = "not_null")]
    guest_time_zone: Option<TimeZoneName>,
    #[serde(default, deserialize_with = "not_null")]
    reschedule_reason: Option<String>,
}

impl Input for CustomerRescheduleInput {
    const UNSUPPORTED: Option<&'static str> = Some("Unsupported fields");
}

#[utoipa::path(post, path = "/v2/bookings/{id}/cancel", operation_id = "cancel-booking", tag = "Bookings", params(("id" = String, Path)),
    request_body = CancelInput,
    responses((status = 200, body = BookingOut, description = "The booking, with cancel_reschedule_information"), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn cancel(
    State(state): State<SharedState>,
    p: Principal,
    PathId(id): PathId<kind::Booking>,
    Body(input): Body<CancelInput>,
) -> AppResult<Json<Value>> {
    let reason = input.cancellation_reason.unwrap_or_default();
    Ok(Json(
        act(
            &state,
            &p.account_id,
            &id,
            Action::Cancel(Actor::User),
            Some((reason, Actor::User)),
            input.send_cancellation_email.unwrap_or(true),
            format!("Booking cannot be cancelled: '{id}'"),
        )
        .await?,
    ))
}

#[utoipa::path(post, path = "/v2/bookings/{id}/request-reschedule", operation_id = "request-reschedule", tag = "Bookings", params(("id" = String, Path)),
    request_body = RequestRescheduleInput,
    responses((status = 200, body = BookingOut, description = "The booking, with cancel_reschedule_information"), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn request_reschedule(
    State(state): State<SharedState>,
    p: Principal,
    PathId(id): PathId<kind::Booking>,
    Body(input): Body<RequestRescheduleInput>,
) -> AppResult<Json<Value>> {
    let reason = input.reschedule_reason.unwrap_or_default();
    // OnceHub answers a refused request with the cancel wording; so does Slotline.
    Ok(Json(
        act(
            &state,
            &p.account_id,
            &id,
            Action::RequestReschedule,
            Some((reason, Actor::User)),
            true,
            format!("Booking cannot be cancelled: '{id}'"),
        )
        .await?,
    ))
}

#[utoipa::path(post, path = "/v2/bookings/{id}/no-show", operation_id = "no-show", tag = "Bookings", params(("id" = String, Path)),
    responses((status = 200, body = BookingOut), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn no_show(
    State(state): State<SharedState>,
    p: Principal,
    PathId(id): PathId<kind::Booking>,
) -> AppResult<Json<Value>> {
    Ok(Json(
        act(
            &state,
            &p.account_id,
            &id,
            Action::NoShow,
            None,
            true,
            format!("Cannot update booking status to no_show: '{id}'"),
        )
        .await?,
    ))
}

#[utoipa::path(post, path = "/v2/bookings/{id}/reassign", operation_id = "reassign-booking", tag = "Bookings", params(("id" = String, Path)),
    request_body = ReassignInput,
    responses((status = 200, body = BookingOut), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn reassign(
    State(state): State<SharedState>,
    p: Principal,
    PathId(id): PathId<kind::Booking>,
    Body(ReassignInput { new_host, location }): Body<ReassignInput>,
) -> AppResult<Json<Value>> {
    let b = bookings::get(&state.db, &p.account_id, &id)
        .await?
        .ok_or_else(|| not_found(&id))?;
    let location = match location {
        None | Some(Value::Null) => None,
        Some(Value::Object(l)) => {
            let kind = l.get("type").and_then(Value::as_str);
            let value = l.get("value").and_then(Value::as_str);
            if kind != Some("virtual") {
                return Err(AppError::invalid(
                    "Invalid location type: only 'virtual' is supported.",
                    "location.type",
                ));
            }
            match value {
                Some(v) if slotline_domain::schedule::VIDEO_PROVIDERS.contains(&v) => {
                    Some(json!({"type": "virtual", "value": v, "id": null, "description": ""}))
                }
                // OnceHub answers a provider the new host has not connected with 409 and the
                // list of those it has; here every host has the five.
                Some(other) => {
                    return Err(AppError::conflict(
                        format!(
                            "Invalid location: '{other}' is not connected for this user. Connected Video Conference Service options: {}.",
                            slotline_domain::schedule::VIDEO_PROVIDERS.join(", ")
                        ),
                        "location.value",
                    ))
                }
                None => return Err(AppError::invalid("Required fields are missing.", "location.value")),
            }
        }
        Some(_) => return Err(AppError::invalid("location must be an object.", "location")),
    };
    let user = match UserId::parse(new_host.as_str()) {
        Ok(id) => users::get(&state.db, &p.account_id, &id).await?,
        Err(_) => None,
    };
    let user = user
        .filter(|u| !u.deleted)
        .ok_or_else(|| AppError::NotFound {
            what: "user",
            id: new_host.clone(),
            param: "new_host",
        })?;
    if user.status != "active" {
        return Err(AppError::conflict("User is inactive.", "new_host"));
    }
    match scheduler::reassign(state.ctx(), &p.account_id, &b, &user, location).await {
        Ok(after) => Ok(Json(render(&state, &p.account_id, &after, &[]).await?)),
        Err(ReassignRefused::Status) => Err(AppError::conflict(
            "Booking cannot be reassigned in its current status.",
            "id",
        )),
        Err(ReassignRefused::SameHost) => Err(AppError::conflict(
            "Booking cannot be reassigned to the same host.",
            "new_host",
        )),
        Err(ReassignRefused::Failed(AppError::NotAvailable)) => Err(AppError::conflict(
            "The new host is not available at the booking's time.",
            "new_host",
        )),
        Err(ReassignRefused::Failed(e)) => Err(e),
    }
}

#[utoipa::path(post, path = "/v2/bookings/{id}/approve", operation_id = "approve-booking", tag = "Bookings", params(("id" = String, Path)),
    responses((status = 200, body = BookingOut), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn approve(
    State(state): State<SharedState>,
    p: Principal,
    PathId(id): PathId<kind::Booking>,
    Body(NoFields {}): Body<NoFields>,
) -> AppResult<Json<Value>> {
    let refusal = format!("Only a requested booking can be approved: '{id}'");
    Ok(Json(
        act(
            &state,
            &p.account_id,
            &id,
            Action::Approve {
                reschedule_of_same_host: None,
            },
            None,
            true,
            refusal,
        )
        .await?,
    ))
}

#[utoipa::path(post, path = "/v2/bookings/{id}/decline", operation_id = "decline-booking", tag = "Bookings", params(("id" = String, Path)),
    request_body = DeclineInput,
    responses((status = 200, body = BookingOut), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn decline(
    State(state): State<SharedState>,
    p: Principal,
    PathId(id): PathId<kind::Booking>,
    Body(input): Body<DeclineInput>,
) -> AppResult<Json<Value>> {
    let reason = input.reason.unwrap_or_default();
    let refusal = format!("Only a requested booking can be declined: '{id}'");
    Ok(Json(
        act(
            &state,
            &p.account_id,
            &id,
            Action::Decline,
            Some((reason, Actor::User)),
            true,
            refusal,
        )
        .await?,
    ))
}

#[utoipa::path(post, path = "/v2/bookings/{id}/customer-cancel", operation_id = "customer-cancel-booking", tag = "Bookings", params(("id" = String, Path)),
    request_body = CustomerCancelInput,
    responses((status = 200, body = BookingOut, description = "The booking, with cancel_reschedule_information"), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn customer_cancel(
    State(state): State<SharedState>,
    p: Principal,
    PathId(id): PathId<kind::Booking>,
    Body(input): Body<CustomerCancelInput>,
) -> AppResult<Json<Value>> {
    let reason = input.cancellation_reason.unwrap_or_default();
    Ok(Json(
        act(
            &state,
            &p.account_id,
            &id,
            Action::Cancel(Actor::Customer),
            Some((reason, Actor::Customer)),
            true,
            format!("Booking cannot be cancelled: '{id}'"),
        )
        .await?,
    ))
}

#[utoipa::path(post, path = "/v2/bookings/{id}/customer-reschedule", operation_id = "customer-reschedule-booking", tag = "Bookings", params(("id" = String, Path)),
    request_body = CustomerRescheduleInput,
    responses((status = 200, body = BookingOut, description = "The new booking"), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn customer_reschedule(
    State(state): State<SharedState>,
    p: Principal,
    PathId(id): PathId<kind::Booking>,
    Body(input): Body<CustomerRescheduleInput>,
) -> AppResult<Json<Value>> {
    let old = bookings::get(&state.db, &p.account_id, &id)
        .await?
        .ok_or_else(|| not_found(&id))?;
    // Where to: the calendar named, else where the booking was made.
    let cal = match (input.booking_calendar, &old.booking_page_id) {
        (None, Some(page)) => {
            let (target, active) = scheduler::page_target(
                &state.db,
                &p.account_id,
                page,
                old.event_type_id.as_deref(),
            )
            .await?;
            if !active {
                return Err(AppError::Invalid(slotline_domain::Invalid::unprocessable(
                    "Meeting cannot be scheduled on an inactive booking page.",
                    "id",
                )));
            }
            target
        }
        (named, _) => {
            let cal_id = named
                .or_else(|| old.booking_calendar_id.as_ref().map(String::from))
                .ok_or_else(|| {
                    AppError::invalid("Required fields are missing.", "booking_calendar")
                })?;
            let cal = match BookingCalendarId::parse(cal_id.as_str()) {
                Ok(id) => calendars::get(&state.db, &p.account_id, &id).await?,
                Err(_) => None,
            };
            let cal = cal.filter(|c| !c.deleted).ok_or_else(|| {
                AppError::invalid(
                    format!("No such booking calendar: '{cal_id}'"),
                    "booking_calendar",
                )
            })?;
            if !cal.published {
                return Err(AppError::Invalid(slotline_domain::Invalid::unprocessable(
                    "Meeting cannot be scheduled on an unpublished booking calendar.",
                    "booking_calendar",
                )));
            }
            scheduler::Target::calendar(&cal)
        }
    };
    let raw = input.start_time;
    let start = slotline_domain::time::parse_instant(&raw)
        .map(|ns| ns.div_euclid(1_000_000) as i64)
        .ok_or_else(|| AppError::invalid(format!("Invalid date: {raw}"), "start_time"))?;
    let zone = input
        .guest_time_zone
        .map_or_else(|| old.customer_timezone.clone(), |z| z.into_inner());
    let duration = cal.duration_of(&old);
    let request = scheduler::Request {
        // A moved booking keeps its subject.
        subject: Some(old.subject.clone()),
        start,
        duration,
        guest_time_zone: zone,
        form_submission: old.form_submission.clone(),
        location: old.location.clone(),
        utm_params: old.utm_params.clone(),
        one_time_link: None,
        conversation_id: None,
    };
    let reason = input.reschedule_reason.unwrap_or_default();
    let outcome =
        scheduler::reschedule(state.ctx(), &p.account_id, &old, &cal, request, reason).await;
    Ok(Json(
        respond(
            &state,
            &p.account_id,
            outcome,
            format!("Booking cannot be rescheduled: '{id}'"),
        )
        .await?,
    ))
}
