//! Booking pages: list and get as in OnceHub; create, update, delete and the scheduling
//! settings are extensions.

use axum::{
    extract::{Path, RawQuery, State},
    response::{IntoResponse, Response},
    routing::get,
    Json, Router,
};
use serde::Serialize;
use slotline_domain::id::IdKind;
use slotline_domain::{settings::Settings, slug, timezone};
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
    store::{booking_pages, event_types, master_pages, users, Arg},
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
    pub id: String,
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

/// Body of the booking page extensions.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct BookingPageInput {
    /// The user who owns (and hosts) the page.
    owner: String,
    name: String,
    label: Option<String>,
    slug: Option<String>,
    /// Defaults to the owner's zone.
    timezone: Option<String>,
    active: Option<bool>,
    /// Event type ids offered on the page.
    event_types: Option<Vec<String>>,
    /// Master page id, or null.
    master_page: Option<String>,
    /// Scheduling settings; see `GET /v2/booking-pages/{id}/settings`.
    #[schema(value_type = Option<Object>)]
    settings: Option<serde_json::Value>,
}

const FIELDS: [&str; 9] = [
    "owner",
    "name",
    "label",
    "slug",
    "timezone",
    "active",
    "event_types",
    "master_page",
    "settings",
];

fn not_found(id: &str) -> AppError {
    AppError::not_found("booking page", id)
}

async fn live_page(
    state: &SharedState,
    account_id: &str,
    id: &str,
) -> AppResult<booking_pages::BookingPage> {
    booking_pages::get(&state.db, account_id, id)
        .await?
        .filter(|p| !p.deleted)
        .ok_or_else(|| not_found(id))
}

async fn check_event_types(state: &SharedState, account_id: &str, ids: &[String]) -> AppResult<()> {
    for id in ids {
        if event_types::get(&state.db, account_id, id)
            .await?
            .filter(|e| !e.deleted)
            .is_none()
        {
            return Err(AppError::invalid(
                format!("No such event type: '{id}'"),
                "event_types",
            ));
        }
    }
    Ok(())
}

async fn check_master_page(state: &SharedState, account_id: &str, id: &str) -> AppResult<()> {
    match master_pages::get(&state.db, account_id, id)
        .await?
        .filter(|m| !m.deleted)
    {
        Some(_) => Ok(()),
        None => Err(AppError::invalid(
            format!("No such master page: '{id}'"),
            "master_page",
        )),
    }
}

fn valid_timezone(f: &Fields) -> AppResult<Option<String>> {
    match f.str("timezone")? {
        Some(tz) if !timezone::is_valid(&tz) => Err(AppError::invalid(
            format!("Invalid timezone: '{tz}'"),
            "timezone",
        )),
        other => Ok(other),
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
        master_page: params.id("master_page", &[IdKind::MasterPage])?,
        event_type: params.id("event_type", &[IdKind::EventType])?,
        owner: params.id("user", &[IdKind::User])?,
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
    Path(id): Path<String>,
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
    f: Fields,
) -> AppResult<Json<BookingPageOut>> {
    f.only(&FIELDS, "Unsupported fields")?;
    let owner_id = f
        .str("owner")?
        .ok_or_else(|| AppError::invalid("Required fields are missing.", "owner"))?;
    let owner = users::get(&state.db, &p.account_id, &owner_id)
        .await?
        .filter(|u| !u.deleted)
        .ok_or_else(|| AppError::invalid(format!("No such user: '{owner_id}'"), "owner"))?;
    let name = required_text(&f, "name")?;
    let event_type_ids = f.str_array("event_types")?.unwrap_or_default();
    check_event_types(&state, &p.account_id, &event_type_ids).await?;
    let master_page_id = f.str("master_page")?;
    if let Some(m) = &master_page_id {
        check_master_page(&state, &p.account_id, m).await?;
    }
    let new = booking_pages::NewBookingPage {
        owner_id,
        master_page_id,
        event_type_ids,
        label: optional_text(&f, "label", 200)?.unwrap_or_else(|| name.clone()),
        slug: slug_field(&f)?.unwrap_or_else(|| slug::from_name(&name)),
        timezone: valid_timezone(&f)?.unwrap_or(owner.timezone),
        active: f.bool("active")?.unwrap_or(true),
        settings: settings_field(&f, &Settings::default())?,
        name,
    };
    let id = booking_pages::create(&state.db, &p.account_id, new, state.now()).await?;
    Ok(Json(out(
        &state.base_url,
        live_page(&state, &p.account_id, &id).await?,
    )))
}

#[utoipa::path(patch, path = "/v2/booking-pages/{id}", operation_id = "update-a-booking-page", tag = "Booking Pages", request_body = BookingPageInput,
    params(("id" = String, Path)),
    responses((status = 200, body = BookingPageOut), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn update_page(
    State(state): State<SharedState>,
    p: Principal,
    Path(id): Path<String>,
    f: Fields,
) -> AppResult<Json<BookingPageOut>> {
    let current = live_page(&state, &p.account_id, &id).await?;
    f.only(&FIELDS, "Unsupported field")?;
    if f.is_empty() {
        return Err(AppError::invalid(
            "At least one field must be provided to update.",
            "body",
        ));
    }
    let mut cols = Vec::new();
    if let Some(owner_id) = f.str("owner")? {
        users::get(&state.db, &p.account_id, &owner_id)
            .await?
            .filter(|u| !u.deleted)
            .ok_or_else(|| AppError::invalid(format!("No such user: '{owner_id}'"), "owner"))?;
        cols.push(("owner_id", Arg::from(owner_id)));
    }
    if f.has("name") {
        cols.push(("name", Arg::from(required_text(&f, "name")?)));
    }
    if let Some(l) = optional_text(&f, "label", 200)? {
        cols.push(("label", Arg::from(l)));
    }
    if let Some(s) = slug_field(&f)? {
        cols.push(("slug", Arg::from(s)));
    }
    if let Some(tz) = valid_timezone(&f)? {
        cols.push(("timezone", Arg::from(tz)));
    }
    if let Some(a) = f.bool("active")? {
        cols.push(("active", Arg::from(a)));
    }
    if let Some(m) = f.nullable_str("master_page")? {
        if let Some(m) = &m {
            check_master_page(&state, &p.account_id, m).await?;
        }
        cols.push(("master_page_id", Arg::OptStr(m)));
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
    let event_type_ids = f.str_array("event_types")?;
    if let Some(ids) = &event_type_ids {
        check_event_types(&state, &p.account_id, ids).await?;
    }
    if !booking_pages::update(
        &state.db,
        &p.account_id,
        &id,
        cols,
        event_type_ids.as_deref(),
        state.now(),
    )
    .await?
    {
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
    Path(id): Path<String>,
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
    Path(id): Path<String>,
) -> AppResult<Json<SettingsOut>> {
    Ok(Json(settings_out(
        live_page(&state, &p.account_id, &id).await?.settings,
    )))
}

#[utoipa::path(patch, path = "/v2/booking-pages/{id}/settings", operation_id = "update-booking-page-settings", tag = "Booking Pages",
    params(("id" = String, Path)), request_body(content = Object, description = "Any settings fields; absent ones are kept"),
    responses((status = 200, body = SettingsOut), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn patch_settings(
    State(state): State<SharedState>,
    p: Principal,
    Path(id): Path<String>,
    Fields(body): Fields,
) -> AppResult<Json<SettingsOut>> {
    let current = live_page(&state, &p.account_id, &id).await?;
    let next = current
        .settings
        .merge(&serde_json::Value::Object(body), || {
            slotline_domain::id::new_id(slotline_domain::id::IdKind::Address)
        })?;
    booking_pages::update(
        &state.db,
        &p.account_id,
        &id,
        vec![("settings", Arg::from(serde_json::to_string(&next)?))],
        None,
        state.now(),
    )
    .await?;
    Ok(Json(settings_out(next)))
}
