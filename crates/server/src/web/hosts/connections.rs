//! `/app/calendar-connections`: the calendars whose events block a user's time, and the one
//! that receives their bookings — add an iCalendar feed or a CalDAV calendar, see when each was
//! last read and why a read failed, read one now, change what it is used for, remove it. The
//! same service as the API's extension (`services::calendar_connections`): the address guard,
//! discovery, sealed credentials. Members manage their own; the owner and administrators
//! anyone's (`?user=`).

use axum::{
    extract::{Path, RawQuery, State},
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Redirect, Response},
    Form,
};
use maud::html;
use slotline_domain::id::{CalendarConnectionId, UserId};

use super::{
    layout::{self, Section},
    session::{CsrfForm, Signed},
};
use crate::{
    http::error::AppError,
    services::calendar_connections as service,
    state::SharedState,
    store::{
        calendar_connections::{self as store, Connection, Kind},
        users,
    },
    web::{flow::internal, query::Query, times::when},
};

fn not_found() -> Response {
    layout::message(
        StatusCode::NOT_FOUND,
        "No such calendar",
        "There is no such connected calendar, or it is not one you can change.",
    )
}

/// Whose calendars: the signed-in user's, or (for an administrator) `?user=`.
fn whose(signed: &Signed, asked: Option<&str>) -> Option<UserId> {
    match asked.filter(|a| !a.is_empty()) {
        None => Some(signed.session.user_id.clone()),
        Some(a) if a == signed.session.user_id.as_str() => Some(signed.session.user_id.clone()),
        Some(a) if signed.is_admin() => UserId::parse(a.to_string()).ok(),
        Some(_) => None,
    }
}

/// Where the page of `user` is.
fn page_of(signed: &Signed, user: &UserId, extra: &str) -> String {
    let mut q = Query::default();
    if *user != signed.session.user_id {
        q = q.with("user", Some(user.as_str()));
    }
    for (k, v) in url::form_urlencoded::parse(extra.as_bytes()) {
        q = q.with(&k, Some(&v));
    }
    q.href("/app/calendar-connections")
}

pub async fn show(
    State(state): State<SharedState>,
    signed: Signed,
    RawQuery(q): RawQuery,
) -> Response {
    let query = Query::parse(q.as_deref());
    let Some(user) = whose(&signed, query.get("user")) else {
        return not_found();
    };
    let notice = match query.get("done") {
        Some("added") => Some(
            "Connected. It is being read now; its busy times block your availability once read.",
        ),
        Some("saved") => Some("Saved."),
        Some("sync") => Some("Reading it now."),
        Some("removed") => Some("Removed, with its busy times."),
        _ => None,
    };
    page(&state, &signed, &user, StatusCode::OK, notice, None).await
}

async fn page(
    state: &SharedState,
    signed: &Signed,
    user: &UserId,
    status: StatusCode,
    notice: Option<&str>,
    error: Option<&str>,
) -> Response {
    let account = &signed.session.account_id;
    let person = match users::get(&state.db, account, user).await {
        Ok(Some(u)) if !u.deleted => u,
        Ok(_) => return not_found(),
        Err(e) => return internal(e),
    };
    let list = match store::of_user(&state.db, account, user).await {
        Ok(l) => l,
        Err(e) => return internal(e),
    };
    let mine = *user == signed.session.user_id;
    let zone = &signed.session.timezone;
    let csrf = &signed.session.csrf;
    let user_field = (!mine).then(|| user.to_string());
    let body = html! {
        h1 { @if mine { "Your connected calendars" } @else { "Connected calendars of " (person.first_name) " " (person.last_name) } }
        p.muted { "Events in these calendars block time on every page and calendar you host. Each is read every few minutes, and when you ask." }
        @if let Some(n) = notice { div.card.notice role="status" { (n) } }
        @if let Some(e) = error { div.card.error role="alert" { (e) } }
        @if list.is_empty() { p.card { "No calendar connected yet." } }
        @for c in &list {
            (connection(c, zone, csrf, user_field.as_deref()))
        }
        h2 #add-feed { "Add a calendar feed (read only)" }
        form.card method="post" action="/app/calendar-connections/add" {
            input type="hidden" name="csrf" value=(csrf);
            input type="hidden" name="kind" value="ics";
            @if let Some(u) = &user_field { input type="hidden" name="user" value=(u); }
            label for="feed-url" { "The calendar's secret address (iCal / ICS)" }
            input #feed-url type="url" name="url" required maxlength="2048" placeholder="https://… or webcal://…";
            label for="feed-name" { "Name (optional)" }
            input #feed-name name="name" maxlength="200";
            button.primary type="submit" { "Connect the feed" }
        }
        h2 #add-caldav { "Add a CalDAV calendar" }
        form.card method="post" action="/app/calendar-connections/add" {
            input type="hidden" name="csrf" value=(csrf);
            input type="hidden" name="kind" value="caldav";
            @if let Some(u) = &user_field { input type="hidden" name="user" value=(u); }
            p.muted { "Nextcloud, iCloud (with an app password), Fastmail, Radicale, Baïkal and other CalDAV servers." }
            div.fields {
                div { label for="dav-url" { "Server address" } input #dav-url type="url" name="url" required maxlength="2048"; }
                div { label for="dav-user" { "Username" } input #dav-user name="username" required maxlength="200" autocomplete="off"; }
                div { label for="dav-password" { "Password or app password" } input #dav-password type="password" name="password" required maxlength="1024" autocomplete="off"; }
                div { label for="dav-calendar" { "Which calendar (its address; when there are several)" } input #dav-calendar type="url" name="calendar_url" maxlength="2048"; }
            }
            label.check { input type="checkbox" name="add_bookings" value="on"; "Also add my bookings to this calendar" }
            button.primary type="submit" { "Connect the calendar" }
        }
    };
    layout::respond(
        status,
        layout::page("Connected calendars", signed, Section::Connections, body),
    )
}

fn connection(c: &Connection, zone: &str, csrf: &str, user: Option<&str>) -> maud::Markup {
    let action = format!("/app/calendar-connections/{}", c.id);
    let hidden = html! {
        input type="hidden" name="csrf" value=(csrf);
        @if let Some(u) = user { input type="hidden" name="user" value=(u); }
    };
    html! {
        section.card aria-label=(c.name) {
            h2 { (c.name) " " span.status { (match c.kind { Kind::Ics => "feed", Kind::Caldav => "CalDAV" }) } }
            dl {
                dt { "Address" } dd { (c.url_shown) }
                @if let Some(u) = &c.username { dt { "Username" } dd { (u) } }
                dt { "Last read" } dd { @if let Some(t) = c.last_sync_time { (when(t, zone)) } @else { "not yet" } }
                dt { "Busy times held" } dd { (c.busy_count) @if c.skipped_count > 0 { " (" (c.skipped_count) " events could not be read)" } }
            }
            @if let Some(e) = &c.last_error { div.card.error role="alert" { "The last read failed: " (e) } }
            form method="post" action=(action) {
                (hidden)
                label.check { input type="checkbox" name="check_conflicts" value="on" checked[c.check_conflicts]; "Its events block my time" }
                label.check { input type="checkbox" name="tentative_busy" value="on" checked[c.tentative_busy]; "Tentative events block time too" }
                @if c.kind == Kind::Caldav {
                    label.check { input type="checkbox" name="add_bookings" value="on" checked[c.add_bookings]; "Add my bookings to it" }
                }
                button type="submit" { "Save" }
            }
            div.row {
                form.inline method="post" action={ (action) "/sync" } { (hidden) button type="submit" { "Read it now" } }
                form.inline method="post" action={ (action) "/remove" } { (hidden) button.danger type="submit" { "Remove" } }
            }
        }
    }
}

#[derive(serde::Deserialize)]
pub struct AddForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    user: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    url: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    calendar_url: String,
    #[serde(default)]
    add_bookings: Option<String>,
}

fn given(s: &str) -> Option<String> {
    Some(s.trim().to_string()).filter(|s| !s.is_empty())
}

pub async fn add(
    State(state): State<SharedState>,
    signed: Signed,
    headers: HeaderMap,
    Form(f): Form<AddForm>,
) -> Response {
    if let Some(r) = signed.refused_form(&state, &headers, Some(&f.csrf)) {
        return r;
    }
    let Some(user) = whose(&signed, Some(&f.user)) else {
        return not_found();
    };
    let input = service::Connect {
        kind: f.kind.clone(),
        url: f.url.trim().to_string(),
        username: given(&f.username),
        password: Some(f.password.clone()).filter(|p| !p.is_empty()),
        calendar_url: given(&f.calendar_url),
        name: given(&f.name),
        check_conflicts: Some(true),
        add_bookings: Some(f.add_bookings.as_deref() == Some("on")),
        tentative_busy: Some(true),
    };
    let ctx = state.ctx();
    match service::connect(
        ctx,
        state.calendars.as_ref(),
        &signed.session.account_id,
        &user,
        input,
    )
    .await
    {
        Ok(_) => Redirect::to(&page_of(&signed, &user, "done=added")).into_response(),
        Err(AppError::Internal(e)) => internal(e),
        Err(AppError::NotFound { .. }) => not_found(),
        Err(e) => {
            page(
                &state,
                &signed,
                &user,
                StatusCode::UNPROCESSABLE_ENTITY,
                None,
                Some(&super::said(&e)),
            )
            .await
        }
    }
}

/// The connection of `id` if the signed-in user may change it.
async fn mine(state: &SharedState, signed: &Signed, id: &str) -> Result<Connection, Response> {
    let Ok(id) = CalendarConnectionId::parse(id.to_string()) else {
        return Err(not_found());
    };
    match service::found(state.ctx(), &signed.session.account_id, &id).await {
        Ok(c) if signed.is_admin() || c.user_id == signed.session.user_id => Ok(c),
        Ok(_) | Err(AppError::NotFound { .. }) => Err(not_found()),
        Err(e) => Err(internal(e)),
    }
}

#[derive(serde::Deserialize)]
pub struct ChangeForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    check_conflicts: Option<String>,
    #[serde(default)]
    tentative_busy: Option<String>,
    #[serde(default)]
    add_bookings: Option<String>,
}

pub async fn save(
    State(state): State<SharedState>,
    signed: Signed,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(f): Form<ChangeForm>,
) -> Response {
    if let Some(r) = signed.refused_form(&state, &headers, Some(&f.csrf)) {
        return r;
    }
    let c = match mine(&state, &signed, &id).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    let on = |v: &Option<String>| v.as_deref() == Some("on");
    let change = service::Change {
        check_conflicts: Some(on(&f.check_conflicts)),
        tentative_busy: Some(on(&f.tentative_busy)),
        add_bookings: (c.kind == Kind::Caldav).then(|| on(&f.add_bookings)),
        ..service::Change::default()
    };
    match service::change(
        state.ctx(),
        state.calendars.as_ref(),
        &signed.session.account_id,
        &c.id,
        change,
    )
    .await
    {
        Ok(_) => Redirect::to(&page_of(&signed, &c.user_id, "done=saved")).into_response(),
        Err(AppError::Internal(e)) => internal(e),
        Err(e) => {
            page(
                &state,
                &signed,
                &c.user_id,
                StatusCode::CONFLICT,
                None,
                Some(&super::said(&e)),
            )
            .await
        }
    }
}

pub async fn sync(
    State(state): State<SharedState>,
    signed: Signed,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(f): Form<CsrfForm>,
) -> Response {
    if let Some(r) = signed.refused_form(&state, &headers, Some(&f.csrf)) {
        return r;
    }
    let c = match mine(&state, &signed, &id).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    match store::sync_soon(&state.db, &signed.session.account_id, &c.id, state.now()).await {
        Ok(_) => Redirect::to(&page_of(&signed, &c.user_id, "done=sync")).into_response(),
        Err(e) => internal(e),
    }
}

pub async fn remove(
    State(state): State<SharedState>,
    signed: Signed,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(f): Form<CsrfForm>,
) -> Response {
    if let Some(r) = signed.refused_form(&state, &headers, Some(&f.csrf)) {
        return r;
    }
    let c = match mine(&state, &signed, &id).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    match store::delete(&state.db, &signed.session.account_id, &c.id, state.now()).await {
        Ok(_) => Redirect::to(&page_of(&signed, &c.user_id, "done=removed")).into_response(),
        Err(e) => internal(e),
    }
}
