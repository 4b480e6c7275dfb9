//! One-time links for booking calendars and master pages: single use, expiring after 90 days
//! unused, carrying the prefill and settings they were created with.

use axum::{
    extract::{Path, State},
    routing::{get, post},
    Json, Router,
};
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{json, Map, Value};
use slotline_domain::{
    email,
    id::{kind, AccountId, BookingId},
    time::format_millis,
};
use utoipa::{
    openapi::{
        schema::{AdditionalProperties, ObjectBuilder, Type},
        RefOr, Schema,
    },
    ToSchema,
};

use super::{
    auth::Principal,
    body::{not_null, refuse, refuse_at, Body, Input},
};

use crate::services::one_time_links::url;
use crate::{
    http::error::{AppError, AppResult, ErrorBody},
    http::path::PathId,
    state::SharedState,
    store::{booking_calendars, master_pages, one_time_links},
};

pub fn routes() -> Router<SharedState> {
    Router::new()
        .route("/booking-calendars/{id}/one-time-links", post(for_calendar))
        .route("/master-pages/{id}/one-time-links", post(for_master_page))
        .route("/one-time-links/{id}", get(get_link))
}

#[derive(Serialize, ToSchema)]
pub struct LinkCreated {
    /// The link's id (no prefix).
    pub id: String,
    pub url: String,
    pub creation_time: String,
}

/// Extension: a link and whether it was used.
#[derive(Serialize, ToSchema)]
pub struct LinkOut {
    /// Always `one_time_link`.
    pub object: &'static str,
    pub id: String,
    pub url: String,
    /// `booking_calendar` or `master_page`.
    pub target_type: String,
    pub target: String,
    pub creation_time: String,
    pub expiry_time: String,
    pub used: bool,
    /// The booking made through the link, once used.
    pub booking: Option<BookingId>,
    #[schema(value_type = Object)]
    pub options: Value,
}

const STEPS: [&str; 3] = ["contact_info", "questions", "co_hosts"];

/// Body of `POST /v2/booking-calendars/{id}/one-time-links`. OnceHub's schema types its objects
/// and their members without null: null is refused.
#[derive(Deserialize, ToSchema)]
pub struct CalendarLinkInput {
    /// Whether the booking page hides the prefill from its URL; default true.
    #[serde(default)]
    hide_url_params: Option<bool>,
    /// Prefill of the guest's form.
    #[serde(default, deserialize_with = "not_null")]
    booking_form: Option<LinkForm>,
    /// UTM tags recorded with the booking.
    #[serde(default, deserialize_with = "not_null")]
    utm_params: Option<LinkUtm>,
    /// What the link changes in the calendar's booking.
    #[serde(default, deserialize_with = "not_null")]
    booking_settings: Option<LinkSettings>,
}

impl Input for CalendarLinkInput {}

/// A link's prefill: form fields by name, each a string or a list of strings.
#[derive(Debug, Default, Serialize)]
pub struct LinkForm(Map<String, Value>);

impl<'de> Deserialize<'de> for LinkForm {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let Value::Object(m) = Value::deserialize(d)? else {
            return Err(refuse("{field} must be an object."));
        };
        if let Some(e) = m.get("email") {
            if !e.as_str().is_some_and(email::is_valid) {
                let shown = e.as_str().unwrap_or_default();
                return Err(refuse_at(
                    "email",
                    format!("Invalid email format: '{shown}'"),
                ));
            }
        }
        let text = |v: &Value| {
            v.is_string() || v.as_array().is_some_and(|a| a.iter().all(Value::is_string))
        };
        if let Some((k, _)) = m.iter().find(|(_, v)| !text(v)) {
            return Err(refuse(format!(
                "Invalid value for '{k}': use a string or an array of strings."
            )));
        }
        Ok(LinkForm(m))
    }
}

impl utoipa::PartialSchema for LinkForm {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .property("name", ObjectBuilder::new().schema_type(Type::String))
            .property("email", ObjectBuilder::new().schema_type(Type::String))
            .additional_properties(Some(AdditionalProperties::FreeForm(true)))
            .description(Some(
                "Form fields by name (standard fields and the calendar's questions), each a string or a list of strings.",
            ))
            .examples([json!({"name": "Ada Lovelace", "email": "ada@example.com"})])
            .into()
    }
}

impl ToSchema for LinkForm {}

/// A link's UTM tags: `source`, `medium`, `campaign`, `term`, `content`, each a string within
/// its limit; only those given are kept.
#[derive(Debug, Default)]
pub struct LinkUtm(Value);

impl<'de> Deserialize<'de> for LinkUtm {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let tags = Value::deserialize(d)?;
        if tags.is_null() {
            return Err(refuse("{field} must be an object."));
        }
        if tags
            .as_object()
            .is_some_and(|m| m.values().any(Value::is_null))
        {
            return Err(refuse("{field} tags must be strings."));
        }
        let mut out = crate::services::booking_request::utm(Some(&tags))
            .map_err(|e| match e {
                AppError::Invalid(i) => match i
                    .param
                    .as_deref()
                    .and_then(|p| p.strip_prefix("utm_params."))
                {
                    Some(member) => refuse_at(member, i.message),
                    None => refuse(i.message),
                },
                other => refuse(other),
            })?
            .unwrap_or_default();
        if let Value::Object(m) = &mut out {
            m.retain(|_, v| !v.is_null());
        }
        Ok(LinkUtm(out))
    }
}

impl utoipa::PartialSchema for LinkUtm {
    fn schema() -> RefOr<Schema> {
        let tag = || ObjectBuilder::new().schema_type(Type::String);
        ObjectBuilder::new()
            .property("source", tag())
            .property("medium", tag())
            .property("campaign", tag())
            .property("term", tag())
            .property("content", tag())
            .examples([json!({"source": "newsletter", "campaign": "winter"})])
            .into()
    }
}

impl ToSchema for LinkUtm {}

/// What a link changes in the booking: its host and co-hosts (by email), its duration, and
/// steps of the booking page the guest skips.
#[derive(Debug, Default, Serialize, ToSchema)]
pub struct LinkSettings {
    /// The host's email address.
    #[serde(skip_serializing_if = "Option::is_none")]
    host: Option<String>,
    /// Co-hosts' email addresses, comma-separated.
    #[serde(skip_serializing_if = "Option::is_none")]
    co_hosts: Option<String>,
    /// One of the calendar's durations.
    #[serde(skip_serializing_if = "Option::is_none")]
    duration_minutes: Option<u64>,
    /// Steps skipped: `contact_info`, `questions`, `co_hosts`.
    #[serde(skip_serializing_if = "Option::is_none")]
    skip: Option<Vec<String>>,
}

impl<'de> Deserialize<'de> for LinkSettings {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let Value::Object(m) = Value::deserialize(d)? else {
            return Err(refuse("{field} must be an object."));
        };
        let mut out = LinkSettings::default();
        if let Some(h) = m.get("host") {
            let h = h.as_str().filter(|h| email::is_valid(h));
            let h = h.ok_or_else(|| {
                refuse_at("host", "booking_settings.host must be an email address.")
            })?;
            out.host = Some(h.to_string());
        }
        if let Some(c) = m.get("co_hosts") {
            let emails = |c: &str| {
                c.split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .all(email::is_valid)
            };
            let c = c.as_str().filter(|c| emails(c)).ok_or_else(|| {
                refuse_at(
                    "co_hosts",
                    "booking_settings.co_hosts must be comma-separated emails.",
                )
            })?;
            out.co_hosts = Some(c.to_string());
        }
        if let Some(v) = m.get("duration_minutes") {
            out.duration_minutes = Some(v.as_u64().ok_or_else(|| bad_duration(v))?);
        }
        if let Some(s) = m.get("skip") {
            let steps = s.as_array().and_then(|a| {
                a.iter()
                    .map(|x| x.as_str().filter(|x| STEPS.contains(x)).map(str::to_string))
                    .collect::<Option<Vec<_>>>()
            });
            out.skip = Some(steps.ok_or_else(|| {
                refuse_at(
                    "skip",
                    "booking_settings.skip lists steps: contact_info, questions, co_hosts.",
                )
            })?);
        }
        let known = ["host", "co_hosts", "duration_minutes", "skip"];
        if let Some(k) = m.keys().find(|k| !known.contains(&k.as_str())) {
            return Err(refuse(format!(
                "Received unknown parameter: booking_settings.{k}"
            )));
        }
        Ok(out)
    }
}

fn bad_duration<E: serde::de::Error>(v: &Value) -> E {
    refuse_at(
        "duration_minutes",
        format!("Invalid duration_minutes: {v}. Use one of the calendar's durations."),
    )
}

/// The options stored with a calendar's link, checked against the calendar's durations.
fn calendar_options(input: CalendarLinkInput, durations: &[u32]) -> AppResult<Value> {
    let settings = input.booking_settings;
    if let Some(d) = settings.as_ref().and_then(|s| s.duration_minutes) {
        if !durations.contains(&(d as u32)) {
            return Err(AppError::invalid(
                format!("Invalid duration_minutes: {d}. Use one of the calendar's durations."),
                "booking_settings.duration_minutes",
            ));
        }
    }
    Ok(json!({
        "hide_url_params": input.hide_url_params.unwrap_or(true),
        "booking_form": input.booking_form.unwrap_or_default(),
        "utm_params": input.utm_params.map_or(Value::Null, |u| u.0),
        "booking_settings": settings.map_or(Ok(Value::Null), serde_json::to_value)?,
    }))
}

async fn create(
    state: &SharedState,
    account_id: &AccountId,
    kind: &str,
    target: &str,
    options: Value,
) -> AppResult<Json<LinkCreated>> {
    let link =
        crate::services::one_time_links::create(state.ctx(), account_id, kind, target, options)
            .await?;
    Ok(Json(LinkCreated {
        url: url(&state.base_url, &link.id),
        id: link.id,
        creation_time: format_millis(link.creation_time),
    }))
}

#[utoipa::path(post, path = "/v2/booking-calendars/{id}/one-time-links", operation_id = "booking-calendars-create-a-one-time-link", tag = "Booking Calendars",
    params(("id" = String, Path)),
    request_body = CalendarLinkInput,
    responses((status = 200, body = LinkCreated), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn for_calendar(
    State(state): State<SharedState>,
    p: Principal,
    PathId(id): PathId<kind::BookingCalendar>,
    Body(input): Body<CalendarLinkInput>,
) -> AppResult<Json<LinkCreated>> {
    let cal = booking_calendars::get(&state.db, &p.account_id, &id)
        .await?
        .filter(|c| !c.deleted)
        .ok_or_else(|| AppError::not_found("booking calendar", &id))?;
    if !cal.published {
        return Err(AppError::invalid(
            format!("This booking calendar does not allow creation of one time links: '{id}'"),
            "id",
        ));
    }
    let options = calendar_options(input, &cal.settings.durations)?;
    create(&state, &p.account_id, "booking_calendar", &id, options).await
}

#[utoipa::path(post, path = "/v2/master-pages/{id}/one-time-links", operation_id = "create-one-time-link", tag = "Master Pages", params(("id" = String, Path)),
    responses((status = 200, body = LinkCreated), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn for_master_page(
    State(state): State<SharedState>,
    p: Principal,
    PathId(id): PathId<kind::MasterPage>,
) -> AppResult<Json<LinkCreated>> {
    let page = master_pages::get(&state.db, &p.account_id, &id)
        .await?
        .ok_or_else(|| AppError::not_found("master page", &id))?;
    if page.deleted {
        return Err(AppError::invalid(
            format!("This master page is deleted: '{id}'"),
            "id",
        ));
    }
    create(
        &state,
        &p.account_id,
        "master_page",
        &id,
        json!({"hide_url_params": true}),
    )
    .await
}

#[utoipa::path(get, path = "/v2/one-time-links/{id}", operation_id = "get-a-one-time-link", tag = "Booking Calendars", params(("id" = String, Path)),
    responses((status = 200, body = LinkOut), (status = 404, body = ErrorBody)))]
pub async fn get_link(
    State(state): State<SharedState>,
    p: Principal,
    Path(id): Path<String>,
) -> AppResult<Json<LinkOut>> {
    let l = one_time_links::get(&state.db, &p.account_id, &id, state.now())
        .await?
        .ok_or_else(|| AppError::not_found("one-time link", &id))?;
    Ok(Json(LinkOut {
        object: "one_time_link",
        url: url(&state.base_url, &l.id),
        id: l.id,
        target_type: l.target_kind,
        target: l.target_id,
        creation_time: format_millis(l.creation_time),
        expiry_time: format_millis(l.expiry_time),
        used: l.used_time.is_some(),
        booking: l.booking_id,
        options: l.options,
    }))
}
