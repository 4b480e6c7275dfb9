//! One-time links for booking calendars and master pages: single use, expiring after 90 days
//! unused, carrying the prefill and settings they were created with.

use axum::{
    extract::{Path, State},
    routing::{get, post},
    Json, Router,
};
use serde::Serialize;
use serde_json::{json, Map, Value};
use slotline_domain::{email, id::new_bare_id, time::format_millis};
use utoipa::ToSchema;

use super::{auth::Principal, body::Fields};
use crate::{
    http::error::{AppError, AppResult, ErrorBody},
    state::SharedState,
    store::{
        booking_calendars, master_pages,
        one_time_links::{self, OneTimeLink, LIFETIME_MS},
    },
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
    pub booking: Option<String>,
    #[schema(value_type = Object)]
    pub options: Value,
}

fn url(base_url: &str, id: &str) -> String {
    format!("{base_url}/o/{id}")
}

const STEPS: [&str; 3] = ["contact_info", "questions", "co_hosts"];

/// Reads the body of a booking calendar's link: prefill, UTM tags and booking settings.
fn calendar_options(f: &Fields, durations: &[u32]) -> AppResult<Value> {
    let hide = f.bool("hide_url_params")?.unwrap_or(true);
    // OnceHub's schema types these objects and their members without null: null is refused.
    let form = match f.get("booking_form") {
        None => Map::new(),
        Some(Value::Object(m)) => {
            if let Some(e) = m.get("email") {
                if !e.as_str().is_some_and(email::is_valid) {
                    return Err(AppError::invalid(
                        format!("Invalid email format: '{}'", e.as_str().unwrap_or_default()),
                        "booking_form.email",
                    ));
                }
            }
            if let Some((k, _)) = m.iter().find(|(_, v)| {
                !(v.is_string() || v.as_array().is_some_and(|a| a.iter().all(Value::is_string)))
            }) {
                return Err(AppError::invalid(
                    format!("Invalid value for '{k}': use a string or an array of strings."),
                    "booking_form",
                ));
            }
            m.clone()
        }
        Some(_) => {
            return Err(AppError::invalid(
                "booking_form must be an object.",
                "booking_form",
            ))
        }
    };
    let utm = match f.get("utm_params") {
        None => Value::Null,
        Some(Value::Null) => {
            return Err(AppError::invalid(
                "utm_params must be an object.",
                "utm_params",
            ))
        }
        Some(Value::Object(m)) if m.values().any(Value::is_null) => {
            return Err(AppError::invalid(
                "utm_params tags must be strings.",
                "utm_params",
            ));
        }
        Some(tags) => {
            // The five tags, each within its limit; only those given are kept with the link.
            let mut out = crate::services::booking_request::utm(Some(tags))?.unwrap_or_default();
            if let Value::Object(m) = &mut out {
                m.retain(|_, v| !v.is_null());
            }
            out
        }
    };
    let settings = match f.get("booking_settings") {
        None => Value::Null,
        Some(Value::Object(m)) => {
            let mut out = Map::new();
            if let Some(h) = m.get("host") {
                let h = h.as_str().filter(|h| email::is_valid(h)).ok_or_else(|| {
                    AppError::invalid(
                        "booking_settings.host must be an email address.",
                        "booking_settings.host",
                    )
                })?;
                out.insert("host".into(), json!(h));
            }
            if let Some(c) = m.get("co_hosts") {
                let c = c.as_str().ok_or_else(|| {
                    AppError::invalid(
                        "booking_settings.co_hosts must be comma-separated emails.",
                        "booking_settings.co_hosts",
                    )
                })?;
                if !c
                    .split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .all(email::is_valid)
                {
                    return Err(AppError::invalid(
                        "booking_settings.co_hosts must be comma-separated emails.",
                        "booking_settings.co_hosts",
                    ));
                }
                out.insert("co_hosts".into(), json!(c));
            }
            if let Some(d) = m.get("duration_minutes") {
                match d.as_u64() {
                    Some(n) if durations.contains(&(n as u32)) => {
                        out.insert("duration_minutes".into(), json!(n));
                    }
                    _ => {
                        return Err(AppError::invalid(
                            format!(
                            "Invalid duration_minutes: {d}. Use one of the calendar's durations."
                        ),
                            "booking_settings.duration_minutes",
                        ))
                    }
                }
            }
            if let Some(s) = m.get("skip") {
                let steps = s.as_array().filter(|a| {
                    a.iter()
                        .all(|x| x.as_str().is_some_and(|x| STEPS.contains(&x)))
                });
                let steps = steps.ok_or_else(|| {
                    AppError::invalid(
                        "booking_settings.skip lists steps: contact_info, questions, co_hosts.",
                        "booking_settings.skip",
                    )
                })?;
                out.insert("skip".into(), Value::Array(steps.clone()));
            }
            if let Some(k) = m
                .keys()
                .find(|k| !["host", "co_hosts", "duration_minutes", "skip"].contains(&k.as_str()))
            {
                return Err(AppError::invalid(
                    format!("Received unknown parameter: booking_settings.{k}"),
                    "booking_settings",
                ));
            }
            Value::Object(out)
        }
        Some(_) => {
            return Err(AppError::invalid(
                "booking_settings must be an object.",
                "booking_settings",
            ))
        }
    };
    Ok(
        json!({"hide_url_params": hide, "booking_form": form, "utm_params": utm, "booking_settings": settings}),
    )
}

async fn create(
    state: &SharedState,
    account_id: &str,
    kind: &str,
    target: &str,
    options: Value,
) -> AppResult<Json<LinkCreated>> {
    let now = state.now();
    let link = OneTimeLink {
        id: new_bare_id(),
        target_kind: kind.into(),
        target_id: target.into(),
        options,
        creation_time: now,
        expiry_time: now + LIFETIME_MS,
        used_time: None,
        booking_id: None,
    };
    one_time_links::create(&state.db, account_id, &link).await?;
    Ok(Json(LinkCreated {
        url: url(&state.base_url, &link.id),
        id: link.id,
        creation_time: format_millis(now),
    }))
}

#[utoipa::path(post, path = "/v2/booking-calendars/{id}/one-time-links", operation_id = "booking-calendars-create-a-one-time-link", tag = "Booking Calendars",
    params(("id" = String, Path)),
    request_body(content = Object, description = "`{hide_url_params? (default true), booking_form?, utm_params?, booking_settings?: {host, co_hosts, duration_minutes, skip}}`"),
    responses((status = 200, body = LinkCreated), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn for_calendar(
    State(state): State<SharedState>,
    p: Principal,
    Path(id): Path<String>,
    f: Fields,
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
    let options = calendar_options(&f, &cal.settings.durations)?;
    create(&state, &p.account_id, "booking_calendar", &id, options).await
}

#[utoipa::path(post, path = "/v2/master-pages/{id}/one-time-links", operation_id = "create-one-time-link", tag = "Master Pages", params(("id" = String, Path)),
    responses((status = 200, body = LinkCreated), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn for_master_page(
    State(state): State<SharedState>,
    p: Principal,
    Path(id): Path<String>,
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
