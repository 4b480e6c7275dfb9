//! `/app/calendars`: booking calendars. Everyone sees the calendars they host with their public
//! link and can make a one-time link; the owner and administrators also make calendars for any
//! user or team, change their name, address and scheduling settings, and get the code that
//! embeds one on a website (inline, lightbox or floating button, with prefill) with a live
//! preview. Changes go through the same service as the API (`services::booking_calendars`).

use axum::{
    extract::{Path, RawQuery, State},
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Redirect, Response},
    Form,
};
use maud::html;
use serde_json::json;
use slotline_domain::id::{AccountId, BookingCalendarId, Host};

use super::{
    embed, form_values,
    layout::{self, Section},
    session::{CsrfForm, FieldsForm, Signed},
    settings_form,
};
use crate::{
    http::error::AppError,
    services::{booking_calendars as service, one_time_links},
    state::SharedState,
    store::{
        booking_calendars::{self, BookingCalendar},
        page::{Cursor, PageRequest},
        teams, users,
    },
    web::{flow::internal, query::Query},
};

fn not_found() -> Response {
    layout::message(
        StatusCode::NOT_FOUND,
        "No such booking calendar",
        "This booking calendar does not exist, or it is not one you can open.",
    )
}

fn only_admins() -> Response {
    layout::only_admins("can make and change booking calendars")
}

/// Every live calendar of the account the user may see: all for an administrator, their own
/// for a member.
pub(super) async fn visible_calendars(
    state: &SharedState,
    signed: &Signed,
) -> Result<Vec<BookingCalendar>, Response> {
    let own = Host::User(signed.session.user_id.clone());
    let host = (!signed.is_admin()).then_some(&own);
    let mut out = Vec::new();
    let mut cursor = Cursor::None;
    // An account has few calendars; read them all, a hundred at a time.
    for _ in 0..50 {
        let req = PageRequest { limit: 100, cursor };
        let (rows, page) =
            booking_calendars::list(&state.db, &signed.session.account_id, host, &req)
                .await
                .map_err(internal)?;
        out.extend(rows.into_iter().filter(|c| !c.deleted));
        match page.next_after {
            Some(next) => cursor = Cursor::After(next),
            None => break,
        }
    }
    out.sort_by_key(|c| c.name.to_lowercase());
    Ok(out)
}

async fn visible(
    state: &SharedState,
    signed: &Signed,
    id: &str,
) -> Result<BookingCalendar, Response> {
    let Ok(id) = BookingCalendarId::parse(id.to_string()) else {
        return Err(not_found());
    };
    match service::live(state.ctx(), &signed.session.account_id, &id).await {
        Ok(c) if signed.is_admin() || c.host_id.as_str() == signed.session.user_id.as_str() => {
            Ok(c)
        }
        Ok(_) | Err(AppError::NotFound { .. }) => Err(not_found()),
        Err(e) => Err(internal(e)),
    }
}

/// Users and teams a calendar can belong to, as `(id, label)`.
async fn hosts(
    state: &SharedState,
    account: &AccountId,
) -> Result<Vec<(String, String)>, Response> {
    let mut out: Vec<(String, String)> = users::names(&state.db, account)
        .await
        .map_err(internal)?
        .into_iter()
        .map(|(id, name)| (id.to_string(), name))
        .collect();
    let req = PageRequest {
        limit: 100,
        cursor: Cursor::None,
    };
    let (teams, _) = teams::list(&state.db, account, None, &req)
        .await
        .map_err(internal)?;
    out.extend(
        teams
            .into_iter()
            .filter(|t| !t.deleted)
            .map(|t| (t.id.to_string(), format!("Team: {}", t.name))),
    );
    Ok(out)
}

pub async fn list(State(state): State<SharedState>, signed: Signed) -> Response {
    let cals = match visible_calendars(&state, &signed).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    let body = html! {
        h1 { "Booking calendars" }
        p.muted { "Each has a public page where guests book. Share its link, embed it on a website, or send a one-time link." }
        @if signed.is_admin() {
            p { a.button.primary href="/app/calendars/new" { "New booking calendar" } }
        }
        @if cals.is_empty() {
            p.card { "No booking calendars yet." }
        } @else {
            table.list {
                caption.muted { "Booking calendars" }
                thead { tr { th scope="col" { "Name" } th scope="col" { "Public page" } th scope="col" { "Guests can book" } } }
                tbody {
                    @for c in &cals {
                        @let link = format!("{}/c/{}", state.base_url, c.slug);
                        tr {
                            td { a href={ "/app/calendars/" (c.id) } { (c.name) } br; span.muted { (c.subject) } }
                            td { a href=(link) { (link) } }
                            td { @if c.published { "yes" } @else { "no" } }
                        }
                    }
                }
            }
        }
    };
    layout::respond(
        StatusCode::OK,
        layout::page("Booking calendars", &signed, Section::Calendars, body),
    )
}

pub async fn new_form(State(state): State<SharedState>, signed: Signed) -> Response {
    if !signed.is_admin() {
        return only_admins();
    }
    new_page(&state, &signed, StatusCode::OK, "", None, None).await
}

async fn new_page(
    state: &SharedState,
    signed: &Signed,
    status: StatusCode,
    name: &str,
    host: Option<&str>,
    error: Option<&str>,
) -> Response {
    let hosts = match hosts(state, &signed.session.account_id).await {
        Ok(h) => h,
        Err(r) => return r,
    };
    let host = host.unwrap_or(signed.session.user_id.as_str()).to_string();
    let body = html! {
        p { a href="/app/calendars" { "← Booking calendars" } }
        h1 { "New booking calendar" }
        @if let Some(e) = error { div.card.error role="alert" { (e) } }
        form.card method="post" action="/app/calendars/new" {
            input type="hidden" name="csrf" value=(signed.session.csrf);
            label for="name" { "Name" }
            input #name name="name" value=(name) required maxlength="200" aria-describedby="name-help";
            p.muted #name-help { "What guests see as the meeting, e.g. \"Intro call\". Its address is made from it." }
            label for="host" { "Who is booked" }
            select #host name="host" {
                @for (id, label) in &hosts { option value=(id) selected[*id == host] { (label) } }
            }
            label for="distribution" { "For a team" }
            select #distribution name="distribution" {
                option value="round_robin" { "Round robin: one free member, in turn" }
                option value="collective" { "Collective: every member together" }
            }
            button.primary type="submit" { "Create" }
        }
    };
    layout::respond(
        status,
        layout::page("New booking calendar", signed, Section::Calendars, body),
    )
}

#[derive(serde::Deserialize)]
pub struct NewForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    host: String,
    #[serde(default)]
    distribution: String,
}

pub async fn create(
    State(state): State<SharedState>,
    signed: Signed,
    headers: HeaderMap,
    Form(f): Form<NewForm>,
) -> Response {
    if let Some(r) = signed.refused_form(&state, &headers, Some(&f.csrf)) {
        return r;
    }
    if !signed.is_admin() {
        return only_admins();
    }
    let refuse = |why: String| {
        let (state, signed, f) = (&state, &signed, &f);
        async move {
            new_page(
                state,
                signed,
                StatusCode::UNPROCESSABLE_ENTITY,
                &f.name,
                Some(&f.host),
                Some(&why),
            )
            .await
        }
    };
    let name = match form_values::name(&f.name) {
        Ok(n) => n,
        Err(why) => return refuse(why).await,
    };
    let team = f.host.starts_with("TM-");
    let account = &signed.session.account_id;
    let outcome = form_values::with_readable_address(&name, |slug| {
        let new = service::NewCalendar {
            host: f.host.clone(),
            distribution: team.then(|| f.distribution.clone()),
            name: name.clone(),
            subject: None,
            slug: Some(slug),
            published: Some(true),
            settings: None,
        };
        service::create(state.ctx(), account, new)
    })
    .await;
    match outcome {
        Ok(c) => Redirect::to(&format!("/app/calendars/{}?saved=created", c.id)).into_response(),
        Err(AppError::Invalid(i)) => refuse(i.message).await,
        Err(AppError::Conflict { message, .. }) => refuse(message).await,
        Err(e) => internal(e),
    }
}

pub async fn show(
    State(state): State<SharedState>,
    signed: Signed,
    Path(id): Path<String>,
    RawQuery(q): RawQuery,
) -> Response {
    let cal = match visible(&state, &signed, &id).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    let query = Query::parse(q.as_deref());
    let notice = match query.get("saved") {
        Some("created") => Some("Created. Guests can book it at its public page now.".to_string()),
        Some(_) => Some("Saved.".to_string()),
        None => None,
    };
    let link = query
        .get("link")
        .filter(|l| l.len() <= 64 && l.chars().all(|c| c.is_ascii_alphanumeric()))
        .map(|l| one_time_links::url(&state.base_url, l));
    edit_page(
        &state,
        &signed,
        &cal,
        &query,
        StatusCode::OK,
        notice.as_deref(),
        None,
        link.as_deref(),
    )
    .await
}

#[allow(clippy::too_many_arguments)]
async fn edit_page(
    state: &SharedState,
    signed: &Signed,
    cal: &BookingCalendar,
    query: &Query,
    status: StatusCode,
    notice: Option<&str>,
    error: Option<&str>,
    one_time: Option<&str>,
) -> Response {
    let public = format!("{}/c/{}", state.base_url, cal.slug);
    let s = &cal.settings;
    let csrf = &signed.session.csrf;
    let action = format!("/app/calendars/{}", cal.id);
    let body = html! {
        p { a href="/app/calendars" { "← Booking calendars" } }
        h1 { (cal.name) }
        @if let Some(n) = notice { div.card.notice role="status" { (n) } }
        @if let Some(e) = error { div.card.error role="alert" { (e) } }
        section.card aria-labelledby="share" {
            h2 #share { "Share" }
            p { "Public page: " a href=(public) { (public) } @if !cal.published { " " span.status { "not bookable" } } }
            form method="post" action={ (action) "/one-time-link" } {
                input type="hidden" name="csrf" value=(csrf);
                button type="submit" { "Make a one-time link" }
                span.muted { " — for one guest: it works for one booking and expires unused after 90 days." }
            }
            @if let Some(l) = one_time {
                p role="status" { "One-time link: " output { a href=(l) { (l) } } }
            }
        }
        @if signed.is_admin() {
            form.card method="post" action=(action) {
                input type="hidden" name="csrf" value=(csrf);
                h2 { "Calendar" }
                div.fields {
                    div { label for="name" { "Name" } input #name name="name" value=(cal.name) required maxlength="200"; }
                    div { label for="subject" { "Meeting subject (what guests see)" } input #subject name="subject" value=(cal.subject) maxlength="200"; }
                    div { label for="slug" { "Address: /c/…" } input #slug name="slug" value=(cal.slug) required pattern="[a-z0-9]+(-[a-z0-9]+)*" minlength="3" maxlength="64"; }
                }
                label.check { input type="checkbox" name="published" value="on" checked[cal.published]; "Guests can book it" }
                (settings_form::sections(s))
                button.primary type="submit" { "Save" }
            }
            (embed::generator(&state.base_url, &format!("/c/{}", cal.slug), &format!("/app/calendars/{}", cal.id), query))
        }
    };
    layout::respond(
        status,
        layout::page(&cal.name, signed, Section::Calendars, body),
    )
}

/// A bare page holding only the snippet, for the generator's preview frame.
pub async fn embed_preview(
    State(state): State<SharedState>,
    signed: Signed,
    Path(id): Path<String>,
    RawQuery(q): RawQuery,
) -> Response {
    if !signed.is_admin() {
        return only_admins();
    }
    let cal = match visible(&state, &signed, &id).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    embed::preview(
        &state.base_url,
        &format!("/c/{}", cal.slug),
        &Query::parse(q.as_deref()),
    )
}

pub async fn save(
    State(state): State<SharedState>,
    signed: Signed,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(f): Form<FieldsForm>,
) -> Response {
    if let Some(r) = signed.refused_form(&state, &headers, Some(&f.csrf)) {
        return r;
    }
    if !signed.is_admin() {
        return only_admins();
    }
    let cal = match visible(&state, &signed, &id).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    let refuse = |why: String| {
        let (state, signed, cal) = (&state, &signed, &cal);
        async move {
            edit_page(
                state,
                signed,
                cal,
                &Query::default(),
                StatusCode::UNPROCESSABLE_ENTITY,
                None,
                Some(&why),
                None,
            )
            .await
        }
    };
    let get = |k: &str| f.get(k).to_string();
    let name = match form_values::name(&get("name")) {
        Ok(n) => n,
        Err(why) => return refuse(why).await,
    };
    let subject = get("subject");
    if subject.chars().count() > 200 {
        return refuse("The subject is at most 200 characters.".into()).await;
    }
    let slug = match form_values::address(&get("slug")) {
        Ok(s) => s,
        Err(why) => return refuse(why).await,
    };
    let settings = match settings_form::change(&f.fields, &cal.settings) {
        Ok(s) => s,
        Err(why) => return refuse(why).await,
    };
    let change = service::CalendarChange {
        name: Some(name),
        subject: Some(if subject.is_empty() {
            cal.name.clone()
        } else {
            subject
        }),
        slug: Some(slug),
        published: Some(f.fields.contains_key("published")),
        settings: Some(settings),
        ..service::CalendarChange::default()
    };
    match service::update(state.ctx(), &signed.session.account_id, &cal.id, change).await {
        Ok(c) => Redirect::to(&format!("/app/calendars/{}?saved=1", c.id)).into_response(),
        Err(AppError::Invalid(i)) => refuse(i.message).await,
        Err(AppError::Conflict { message, .. }) => refuse(message).await,
        Err(e) => internal(e),
    }
}

pub async fn one_time_link(
    State(state): State<SharedState>,
    signed: Signed,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(f): Form<CsrfForm>,
) -> Response {
    if let Some(r) = signed.refused_form(&state, &headers, Some(&f.csrf)) {
        return r;
    }
    let cal = match visible(&state, &signed, &id).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    if !cal.published {
        return edit_page(
            &state,
            &signed,
            &cal,
            &Query::default(),
            StatusCode::CONFLICT,
            None,
            Some("Guests cannot book this calendar now: make it bookable first."),
            None,
        )
        .await;
    }
    let options = json!({"hide_url_params": true, "booking_form": {}, "utm_params": null, "booking_settings": null});
    match one_time_links::create(
        state.ctx(),
        &signed.session.account_id,
        "booking_calendar",
        cal.id.as_str(),
        options,
    )
    .await
    {
        Ok(link) => Redirect::to(&format!("/app/calendars/{}?link={}#share", cal.id, link.id))
            .into_response(),
        Err(e) => internal(e),
    }
}
