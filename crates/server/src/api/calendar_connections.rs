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
    delivery::{
        caldav,
        calendars::{self, Credentials},
    },
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

/// A calendar's address checked as the worker will read it: its form, and the address guard.
fn address(state: &SharedState, url: &str) -> AppResult<reqwest::Url> {
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
        "caldav" => Kind::Caldav,
        other => {
            return Err(AppError::invalid(
                format!("Invalid type: '{other}'. Supported: ics, caldav"),
                "type",
            ))
        }
    };
    let url = address(&state, &b.url)?;
    let id = CalendarConnectionId::new();
    let (name, shown, username, creds) = match kind {
        Kind::Ics => (
            url.host_str().unwrap_or_default().to_string(),
            calendars::shown(&url),
            None,
            Credentials {
                url: b.url.trim().to_string(),
                password: None,
            },
        ),
        Kind::Caldav => {
            let (username, password) = login(b.username, b.password)?;
            let found = discover(&state, &url, &username, &password).await?;
            let chosen = choose(&state, &found, b.calendar_url.as_deref())?;
            (
                chosen.name.clone(),
                calendars::shown(&chosen.url),
                Some(username),
                Credentials {
                    url: chosen.url.to_string(),
                    password: Some(password),
                },
            )
        }
    };
    let secret = seal(&state, &id, &creds)?;
    let new = NewConnection {
        name: name_of(b.name)?.unwrap_or(name),
        url_shown: shown,
        id,
        user_id,
        kind,
        username,
        secret,
        check_conflicts: b.check_conflicts.unwrap_or(true),
        add_bookings: writable(kind, b.add_bookings)?,
        tentative_busy: b.tentative_busy.unwrap_or(true),
    };
    let c = store::create(&state.db, &p.account_id, &new, state.now()).await?;
    Ok((StatusCode::CREATED, Json(ConnectionOut::from(c))).into_response())
}

/// Whether bookings go to the calendar: only a CalDAV calendar can take them.
fn writable(kind: Kind, asked: Option<bool>) -> AppResult<bool> {
    match (kind, asked) {
        (Kind::Ics, Some(true)) => Err(AppError::invalid(
            "An ICS feed is read-only: bookings can be added to a CalDAV calendar.",
            "add_bookings",
        )),
        (_, asked) => Ok(asked.unwrap_or(false)),
    }
}

fn login(username: Option<String>, password: Option<String>) -> AppResult<(String, String)> {
    let username = username
        .filter(|u| !u.trim().is_empty())
        .ok_or_else(|| AppError::invalid("A CalDAV connection needs a username.", "username"))?;
    let password = password
        .filter(|p| !p.is_empty())
        .ok_or_else(|| AppError::invalid("A CalDAV connection needs a password.", "password"))?;
    if username.chars().count() > 200 {
        return Err(AppError::invalid(
            "Invalid username: longer than 200 characters",
            "username",
        ));
    }
    if password.len() > 1024 {
        return Err(AppError::invalid(
            "Invalid password: longer than 1024 bytes",
            "password",
        ));
    }
    Ok((username.trim().to_string(), password))
}

/// The account's calendars, or why they cannot be listed (the server's own words).
async fn discover(
    state: &SharedState,
    url: &reqwest::Url,
    username: &str,
    password: &str,
) -> AppResult<Vec<caldav::Calendar>> {
    let config = configured(state)?;
    let account = caldav::Account {
        url: url.clone(),
        username: username.to_string(),
        password: password.to_string(),
    };
    let found = caldav::discover(&config.http, &account)
        .await
        .map_err(|e| AppError::invalid(e, "url"))?;
    // Every calendar the server names must pass the same guard as the address given.
    let found: Vec<caldav::Calendar> = found
        .into_iter()
        .filter(|c| crate::delivery::send::refused_url(&c.url, &config.policy).is_none())
        .collect();
    if found.is_empty() {
        return Err(AppError::invalid(
            "This CalDAV account has no calendar that holds events.",
            "url",
        ));
    }
    Ok(found)
}

fn choose<'a>(
    state: &SharedState,
    found: &'a [caldav::Calendar],
    wanted: Option<&str>,
) -> AppResult<&'a caldav::Calendar> {
    let names = || {
        found
            .iter()
            .map(|c| format!("{} ({})", c.name, c.url))
            .collect::<Vec<_>>()
            .join(", ")
    };
    match wanted {
        None if found.len() == 1 => Ok(&found[0]),
        None => Err(AppError::invalid(
            format!(
                "This account has several calendars; choose one as calendar_url: {}",
                names()
            ),
            "calendar_url",
        )),
        Some(w) => {
            let w = address(state, w).map_err(|_| {
                AppError::invalid(format!("Invalid calendar_url: '{w}'"), "calendar_url")
            })?;
            found.iter().find(|c| c.url == w).ok_or_else(|| {
                AppError::invalid(
                    format!(
                        "This account has no such calendar. Its calendars: {}",
                        names()
                    ),
                    "calendar_url",
                )
            })
        }
    }
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
    user_of(&state, &p, &user_id).await?;
    let url = address(&state, &b.url)?;
    let (username, password) = login(Some(b.username), Some(b.password))?;
    let found = discover(&state, &url, &username, &password).await?;
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

fn seal(state: &SharedState, id: &CalendarConnectionId, creds: &Credentials) -> AppResult<String> {
    let plain = serde_json::to_vec(creds).map_err(|e| AppError::Internal(e.to_string()))?;
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
    let before = found(&state, &p, &id).await?;
    let credentials = match (&b.url, before.kind) {
        (Some(u), Kind::Ics) => {
            let parsed = address(&state, u)?;
            let creds = Credentials {
                url: u.trim().to_string(),
                password: None,
            };
            Some((calendars::shown(&parsed), None, seal(&state, &id, &creds)?))
        }
        (Some(_), Kind::Caldav) => {
            return Err(AppError::invalid(
                "A CalDAV connection's address cannot change: connect the calendar anew.",
                "url",
            ))
        }
        (None, _) => None,
    };
    let patch = ConnectionPatch {
        name: name_of(b.name)?,
        check_conflicts: b.check_conflicts,
        add_bookings: b
            .add_bookings
            .map(|a| writable(before.kind, Some(a)))
            .transpose()?,
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
