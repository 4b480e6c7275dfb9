//! Extension: a user's connected calendars. Their events block the user's availability on
//! every page and calendar; the server reads them on a schedule (`--calendar-sync-every`) and
//! on demand. What reaches a calendar (a feed URL, which is itself a secret for most providers)
//! is sealed with the server key and never returned: the API shows the URL's host only.

use axum::{
    extract::State,
    http::StatusCode,
    response::{IntoResponse, Response},
    routing::{get, post},
    Json, Router,
};
use serde::{Deserialize, Serialize};
use slotline_domain::{
    id::{kind, CalendarConnectionId, UserId},
    time::format_millis,
};
use utoipa::ToSchema;

use super::{
    auth::Principal,
    body::{required, Body, Input},
    list,
};
use crate::{
    delivery::calendars::{self, Credentials},
    http::error::{AppError, AppResult, ErrorBody},
    http::path::PathId,
    state::SharedState,
    store::{
        calendar_connections::{self as store, Connection, ConnectionPatch, Kind, NewConnection},
        users,
    },
};

pub fn routes() -> Router<SharedState> {
    Router::new()
        .route(
            "/users/{id}/calendar-connections",
            get(list_connections).post(create_connection),
        )
        .route(
            "/calendar-connections/{id}",
            get(get_connection)
                .patch(update_connection)
                .delete(delete_connection),
        )
        .route("/calendar-connections/{id}/sync", post(sync_connection))
}

/// Extension: a calendar of a user's, read as busy time.
#[derive(Serialize, ToSchema)]
#[schema(as = CalendarConnection)]
pub struct ConnectionOut {
    /// Always `calendar_connection`.
    pub object: &'static str,
    pub id: CalendarConnectionId,
    pub user: UserId,
    /// `ics`: a read-only iCalendar feed.
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub name: String,
    /// The calendar's address with its path hidden (`https://calendar.example.com/…`).
    pub url: String,
    /// Its events block the user's availability.
    pub check_conflicts: bool,
    /// Bookings are written to it.
    pub add_bookings: bool,
    /// Tentative events block time.
    pub tentative_busy: bool,
    /// When the calendar was last read successfully.
    pub last_sync_time: Option<String>,
    /// Why the last read failed; null once a read succeeds.
    pub last_error: Option<String>,
    pub last_attempt_time: Option<String>,
    /// When the next read is due.
    pub next_sync_time: String,
    /// Pieces of busy time held from it (long events count once per week).
    pub busy_count: i64,
    /// Events that could not be read and were left out.
    pub skipped_count: i64,
    pub creation_time: String,
}

impl From<Connection> for ConnectionOut {
    fn from(c: Connection) -> Self {
        let t = |v: Option<i64>| v.map(format_millis);
        ConnectionOut {
            object: "calendar_connection",
            id: c.id,
            user: c.user_id,
            kind: c.kind.as_str(),
            name: c.name,
            url: c.url_shown,
            check_conflicts: c.check_conflicts,
            add_bookings: c.add_bookings,
            tentative_busy: c.tentative_busy,
            last_sync_time: t(c.last_sync_time),
            last_error: c.last_error,
            last_attempt_time: t(c.last_attempt_time),
            next_sync_time: format_millis(c.next_sync_time),
            busy_count: c.busy_count,
            skipped_count: c.skipped_count,
            creation_time: format_millis(c.creation_time),
        }
    }
}

/// Body of `POST /v2/users/{id}/calendar-connections`.
#[derive(Deserialize, ToSchema)]
pub struct CreateConnection {
    /// `ics`: a read-only iCalendar feed (`https://` or `webcal://`).
    #[serde(rename = "type", deserialize_with = "required")]
    #[schema(example = "ics")]
    kind: String,
    /// The feed's address. Kept sealed; never returned.
    #[serde(deserialize_with = "required")]
    #[schema(example = "https://calendar.example.com/private/3f9c/basic.ics")]
    url: String,
    /// Default: the URL's host.
    #[schema(example = "Work calendar")]
    name: Option<String>,
    /// Default true.
    check_conflicts: Option<bool>,
    /// Default true.
    tentative_busy: Option<bool>,
}

impl Input for CreateConnection {
    const UNSUPPORTED: Option<&'static str> = Some("Unsupported fields");
}

/// Body of `PATCH /v2/calendar-connections/{id}`.
#[derive(Deserialize, ToSchema)]
pub struct UpdateConnection {
    #[schema(example = "Work calendar")]
    name: Option<String>,
    /// A new address (read again at once).
    url: Option<String>,
    check_conflicts: Option<bool>,
    tentative_busy: Option<bool>,
}

impl Input for UpdateConnection {
    const UNSUPPORTED: Option<&'static str> = Some("Unsupported fields");
    const EMPTY: Option<&'static str> = Some("Nothing to update");
}

const MAX_URL: usize = 2048;

fn name_of(name: Option<String>) -> AppResult<Option<String>> {
    match name {
        None => Ok(None),
        Some(n) if n.trim().is_empty() || n.chars().count() > 200 => {
            Err(AppError::invalid(format!("Invalid name: '{n}'"), "name"))
        }
        Some(n) => Ok(Some(n.trim().to_string())),
    }
}

/// The feed URL checked as the worker will read it: its form, and the address guard.
fn feed(state: &SharedState, url: &str) -> AppResult<reqwest::Url> {
    let invalid = |why: String| AppError::invalid(format!("Invalid url: {why}"), "url");
    if url.len() > MAX_URL {
        return Err(invalid(format!("longer than {MAX_URL} characters")));
    }
    let parsed = calendars::feed_url(url).map_err(invalid)?;
    let policy = &configured(state)?.policy;
    if let Some(why) = crate::delivery::send::refused_url(&parsed, policy) {
        return Err(invalid(why));
    }
    Ok(parsed)
}

fn configured(state: &SharedState) -> AppResult<&calendars::CalendarConfig> {
    state.calendars.as_ref().ok_or_else(|| {
        AppError::unavailable(
            "Calendars cannot be connected: the server's secret key could not be read or made (see its log).",
        )
    })
}

async fn user_of(state: &SharedState, p: &Principal, id: &UserId) -> AppResult<()> {
    users::get(&state.db, &p.account_id, id)
        .await?
        .filter(|u| !u.deleted)
        .map(|_| ())
        .ok_or_else(|| AppError::not_found("user", id))
}

#[utoipa::path(post, path = "/v2/users/{id}/calendar-connections", operation_id = "create-a-calendar-connection", tag = "Calendar connections",
    params(("id" = String, Path)), request_body = CreateConnection,
    responses((status = 201, body = ConnectionOut), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn create_connection(
    State(state): State<SharedState>,
    p: Principal,
    PathId(user_id): PathId<kind::User>,
    Body(b): Body<CreateConnection>,
) -> AppResult<Response> {
    user_of(&state, &p, &user_id).await?;
    let kind = match b.kind.as_str() {
        "ics" => Kind::Ics,
        other => {
            return Err(AppError::invalid(
                format!("Invalid type: '{other}'. Supported: ics"),
                "type",
            ))
        }
    };
    let url = feed(&state, &b.url)?;
    let id = CalendarConnectionId::new();
    let secret = seal(&state, &id, &b.url)?;
    let new = NewConnection {
        name: name_of(b.name)?.unwrap_or_else(|| url.host_str().unwrap_or_default().to_string()),
        url_shown: calendars::shown(&url),
        id,
        user_id,
        kind,
        username: None,
        secret,
        check_conflicts: b.check_conflicts.unwrap_or(true),
        add_bookings: false,
        tentative_busy: b.tentative_busy.unwrap_or(true),
    };
    let c = store::create(&state.db, &p.account_id, &new, state.now()).await?;
    Ok((StatusCode::CREATED, Json(ConnectionOut::from(c))).into_response())
}

fn seal(state: &SharedState, id: &CalendarConnectionId, url: &str) -> AppResult<String> {
    let creds = Credentials {
        url: url.trim().to_string(),
        password: None,
    };
    let plain = serde_json::to_vec(&creds).map_err(|e| AppError::Internal(e.to_string()))?;
    Ok(configured(state)?.key.seal(&plain, id.as_str()))
}

/// Extension: a user's connected calendars, oldest first.
#[derive(Serialize, ToSchema)]
pub struct ConnectionList {
    /// Always `list`.
    pub object: &'static str,
    pub data: Vec<ConnectionOut>,
    /// Always false: a user's connections come in one page.
    pub has_more: bool,
}

#[utoipa::path(get, path = "/v2/users/{id}/calendar-connections", operation_id = "list-a-users-calendar-connections", tag = "Calendar connections",
    params(("id" = String, Path)),
    responses((status = 200, body = ConnectionList), (status = 404, body = ErrorBody)))]
pub async fn list_connections(
    State(state): State<SharedState>,
    p: Principal,
    PathId(user_id): PathId<kind::User>,
) -> AppResult<Json<ConnectionList>> {
    user_of(&state, &p, &user_id).await?;
    let rows = store::of_user(&state.db, &p.account_id, &user_id).await?;
    Ok(Json(ConnectionList {
        object: "list",
        data: rows.into_iter().map(ConnectionOut::from).collect(),
        has_more: false,
    }))
}

async fn found(
    state: &SharedState,
    p: &Principal,
    id: &CalendarConnectionId,
) -> AppResult<Connection> {
    store::get(&state.db, &p.account_id, id)
        .await?
        .ok_or_else(|| AppError::not_found("calendar connection", id))
}

#[utoipa::path(get, path = "/v2/calendar-connections/{id}", operation_id = "get-a-calendar-connection", tag = "Calendar connections",
    params(("id" = String, Path)),
    responses((status = 200, body = ConnectionOut), (status = 404, body = ErrorBody)))]
pub async fn get_connection(
    State(state): State<SharedState>,
    p: Principal,
    PathId(id): PathId<kind::CalendarConnection>,
) -> AppResult<Json<ConnectionOut>> {
    Ok(Json(found(&state, &p, &id).await?.into()))
}

#[utoipa::path(patch, path = "/v2/calendar-connections/{id}", operation_id = "update-a-calendar-connection", tag = "Calendar connections",
    params(("id" = String, Path)), request_body = UpdateConnection,
    responses((status = 200, body = ConnectionOut), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn update_connection(
    State(state): State<SharedState>,
    p: Principal,
    PathId(id): PathId<kind::CalendarConnection>,
    Body(b): Body<UpdateConnection>,
) -> AppResult<Json<ConnectionOut>> {
    found(&state, &p, &id).await?;
    let credentials = match &b.url {
        Some(u) => {
            let parsed = feed(&state, u)?;
            Some((calendars::shown(&parsed), None, seal(&state, &id, u)?))
        }
        None => None,
    };
    let patch = ConnectionPatch {
        name: name_of(b.name)?,
        check_conflicts: b.check_conflicts,
        add_bookings: None,
        tentative_busy: b.tentative_busy,
        credentials,
    };
    let c = store::update(&state.db, &p.account_id, &id, &patch, state.now())
        .await?
        .ok_or_else(|| AppError::not_found("calendar connection", &id))?;
    Ok(Json(c.into()))
}

#[utoipa::path(delete, path = "/v2/calendar-connections/{id}", operation_id = "delete-a-calendar-connection", tag = "Calendar connections",
    params(("id" = String, Path)),
    responses((status = 200, body = list::DeletedObject), (status = 404, body = ErrorBody)))]
pub async fn delete_connection(
    State(state): State<SharedState>,
    p: Principal,
    PathId(id): PathId<kind::CalendarConnection>,
) -> AppResult<Json<list::DeletedObject>> {
    if !store::delete(&state.db, &p.account_id, &id, state.now()).await? {
        return Err(AppError::not_found("calendar connection", &id));
    }
    Ok(list::deleted(&id))
}

#[utoipa::path(post, path = "/v2/calendar-connections/{id}/sync", operation_id = "sync-a-calendar-connection", tag = "Calendar connections",
    params(("id" = String, Path)),
    responses((status = 202, body = ConnectionOut, description = "The read is due now; `last_sync_time` and `last_error` tell its result"),
              (status = 404, body = ErrorBody)))]
pub async fn sync_connection(
    State(state): State<SharedState>,
    p: Principal,
    PathId(id): PathId<kind::CalendarConnection>,
) -> AppResult<Response> {
    if !store::sync_soon(&state.db, &p.account_id, &id, state.now()).await? {
        return Err(AppError::not_found("calendar connection", &id));
    }
    let c = found(&state, &p, &id).await?;
    Ok((StatusCode::ACCEPTED, Json(ConnectionOut::from(c))).into_response())
}
