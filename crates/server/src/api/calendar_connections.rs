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
    http::error::{AppError, AppResult, ErrorBody},
    http::path::PathId,
    services::calendar_connections as service,
    state::SharedState,
    store::calendar_connections::{self as store, Connection},
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
        .route(
            "/users/{id}/calendar-connections/discover",
            post(discover_calendars),
        )
}

/// Extension: a calendar of a user's, read as busy time.
#[derive(Serialize, ToSchema)]
#[schema(as = CalendarConnection)]
pub struct ConnectionOut {
    /// Always `calendar_connection`.
    pub object: &'static str,
    pub id: CalendarConnectionId,
    pub user: UserId,
    /// `ics`: a read-only iCalendar feed; `caldav`: a calendar on a CalDAV server.
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub name: String,
    /// The calendar's address with its path hidden (`https://calendar.example.com/…`).
    pub url: String,
    /// CalDAV: the account's username.
    pub username: Option<String>,
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
            username: c.username,
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
    /// `ics`: a read-only iCalendar feed (`https://` or `webcal://`); `caldav`: a calendar on a
    /// CalDAV server (`url`, `username`, `password`, and `calendar_url` when the account has
    /// several).
    #[serde(rename = "type", deserialize_with = "required")]
    #[schema(example = "ics")]
    kind: String,
    /// The feed's address, or the CalDAV server's (its root, a principal or a calendar). Kept
    /// sealed; never returned.
    #[serde(deserialize_with = "required")]
    #[schema(example = "https://calendar.example.com/private/3f9c/basic.ics")]
    url: String,
    /// CalDAV: the account's username.
    username: Option<String>,
    /// CalDAV: its password or app password. Kept sealed; never returned.
    password: Option<String>,
    /// CalDAV: which of the account's calendars (`POST …/calendar-connections/discover` lists
    /// them); needed when there are several.
    calendar_url: Option<String>,
    /// Default: the URL's host, or the CalDAV calendar's name.
    #[schema(example = "Work calendar")]
    name: Option<String>,
    /// Default true.
    check_conflicts: Option<bool>,
    /// CalDAV: bookings are written to this calendar (one per user). Default false.
    add_bookings: Option<bool>,
    /// Default true.
    tentative_busy: Option<bool>,
}

impl Input for CreateConnection {
    const UNSUPPORTED: Option<&'static str> = Some("Unsupported fields");
}

/// Body of `POST /v2/users/{id}/calendar-connections/discover`.
#[derive(Deserialize, ToSchema)]
pub struct DiscoverCalendars {
    /// The CalDAV server's address.
    #[serde(deserialize_with = "required")]
    #[schema(example = "https://dav.example.com/")]
    url: String,
    #[serde(deserialize_with = "required")]
    username: String,
    #[serde(deserialize_with = "required")]
    password: String,
}

impl Input for DiscoverCalendars {
    const UNSUPPORTED: Option<&'static str> = Some("Unsupported fields");
}

/// A calendar a CalDAV account holds.
#[derive(Serialize, ToSchema)]
pub struct FoundCalendar {
    /// Pass it as `calendar_url`.
    pub url: String,
    pub name: String,
}

/// Extension: the calendars of a CalDAV account that hold events.
#[derive(Serialize, ToSchema)]
pub struct FoundCalendars {
    /// Always `list`.
    pub object: &'static str,
    pub data: Vec<FoundCalendar>,
    pub has_more: bool,
}

/// Body of `PATCH /v2/calendar-connections/{id}`.
#[derive(Deserialize, ToSchema)]
pub struct UpdateConnection {
    #[schema(example = "Work calendar")]
    name: Option<String>,
    /// A new address (read again at once).
    url: Option<String>,
    check_conflicts: Option<bool>,
    /// CalDAV: bookings are written to this calendar (one per user).
    add_bookings: Option<bool>,
    tentative_busy: Option<bool>,
}

impl Input for UpdateConnection {
    const UNSUPPORTED: Option<&'static str> = Some("Unsupported fields");
    const EMPTY: Option<&'static str> = Some("Nothing to update");
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
    let input = service::Connect {
        kind: b.kind,
        url: b.url,
        username: b.username,
        password: b.password,
        calendar_url: b.calendar_url,
        name: b.name,
        check_conflicts: b.check_conflicts,
        add_bookings: b.add_bookings,
        tentative_busy: b.tentative_busy,
    };
    let c = service::connect(
        state.ctx(),
        state.calendars.as_ref(),
        &p.account_id,
        &user_id,
        input,
    )
    .await?;
    Ok((StatusCode::CREATED, Json(ConnectionOut::from(c))).into_response())
}

#[utoipa::path(post, path = "/v2/users/{id}/calendar-connections/discover", operation_id = "discover-caldav-calendars", tag = "Calendar connections",
    params(("id" = String, Path)), request_body = DiscoverCalendars,
    responses((status = 200, body = FoundCalendars), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn discover_calendars(
    State(state): State<SharedState>,
    p: Principal,
    PathId(user_id): PathId<kind::User>,
    Body(b): Body<DiscoverCalendars>,
) -> AppResult<Json<FoundCalendars>> {
    service::user_of(state.ctx(), &p.account_id, &user_id).await?;
    let config = state.calendars.as_ref();
    let url = service::address(config, &b.url)?;
    let (username, password) = service::login(Some(b.username), Some(b.password))?;
    let found = service::discover(config, &url, &username, &password).await?;
    Ok(Json(FoundCalendars {
        object: "list",
        data: found
            .into_iter()
            .map(|c| FoundCalendar {
                url: c.url.to_string(),
                name: c.name,
            })
            .collect(),
        has_more: false,
    }))
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
    service::user_of(state.ctx(), &p.account_id, &user_id).await?;
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
    service::found(state.ctx(), &p.account_id, id).await
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
    let change = service::Change {
        name: b.name,
        url: b.url,
        check_conflicts: b.check_conflicts,
        add_bookings: b.add_bookings,
        tentative_busy: b.tentative_busy,
    };
    let c = service::change(
        state.ctx(),
        state.calendars.as_ref(),
        &p.account_id,
        &id,
        change,
    )
    .await?;
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
