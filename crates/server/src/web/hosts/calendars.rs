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
use maud::{html, Markup, PreEscaped};
use serde_json::json;
use slotline_domain::{
    id::{AccountId, BookingCalendarId, Host},
    slug,
};

use super::{
    layout::{self, Section},
    session::{CsrfForm, Signed},
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

/// A name as the API takes one: 1 to 200 characters once trimmed.
fn name_of(raw: &str) -> Result<String, &'static str> {
    let name = raw.trim();
    if name.is_empty() || name.chars().count() > 200 {
        Err("Give a name of 1 to 200 characters.")
    } else {
        Ok(name.to_string())
    }
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
    let name = match name_of(&f.name) {
        Ok(n) => n,
        Err(why) => return refuse(why.into()).await,
    };
    let team = f.host.starts_with("TM-");
    // A free address: the name's, or the name's with a number.
    let base = Some(slug::readable(&name))
        .filter(|b| slug::is_valid(b))
        .unwrap_or_else(|| slug::from_name(&name));
    let new = service::NewCalendar {
        host: f.host.clone(),
        distribution: team.then(|| f.distribution.clone()),
        name: name.clone(),
        subject: None,
        slug: Some(base.clone()),
        published: Some(true),
        settings: None,
    };
    let mut outcome = service::create(state.ctx(), &signed.session.account_id, new).await;
    for n in 2..20 {
        match &outcome {
            Err(AppError::Conflict { .. }) => {}
            _ => break,
        }
        let retry = service::NewCalendar {
            host: f.host.clone(),
            distribution: team.then(|| f.distribution.clone()),
            name: name.clone(),
            subject: None,
            slug: Some(format!("{base}-{n}")),
            published: Some(true),
            settings: None,
        };
        outcome = service::create(state.ctx(), &signed.session.account_id, retry).await;
    }
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
            (embed_generator(state, cal, query))
        }
    };
    layout::respond(
        status,
        layout::page(&cal.name, signed, Section::Calendars, body),
    )
}

/// The snippet that embeds `cal` the way `query` asks (`embed`: inline, lightbox, floating;
/// `text`; prefill `name`, `email`).
fn snippet(base: &str, cal: &BookingCalendar, query: &Query) -> String {
    let path = format!("/c/{}", cal.slug);
    let esc = slotline_domain::html::escape;
    let text = query
        .get("text")
        .filter(|t| !t.trim().is_empty())
        .unwrap_or("Book a meeting");
    let params: Vec<(&str, &str)> = ["name", "email"]
        .into_iter()
        .filter_map(|k| query.get(k).filter(|v| !v.is_empty()).map(|v| (k, v)))
        .collect();
    let prefill = if params.is_empty() {
        String::new()
    } else {
        let q = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(params)
            .finish();
        format!(" data-slotline-params=\"{}\"", esc(&q))
    };
    let script = format!("<script src=\"{base}/embed.js\" async></script>");
    match query.get("embed") {
        Some("lightbox") => format!(
            "<button data-slotline-lightbox=\"{path}\"{prefill}>{}</button>\n{script}",
            esc(text)
        ),
        Some("floating") => format!(
            "<script src=\"{base}/embed.js\" data-slotline-floating=\"{path}\" data-slotline-floating-text=\"{}\" async></script>",
            esc(text)
        ),
        _ => format!("<div data-slotline=\"{path}\"{prefill}></div>\n{script}"),
    }
}

fn embed_generator(state: &SharedState, cal: &BookingCalendar, query: &Query) -> Markup {
    let kind = query.get("embed").unwrap_or("inline");
    let code = snippet(&state.base_url, cal, query);
    let preview = {
        let mut q = Query::default();
        for k in ["embed", "text", "name", "email"] {
            if let Some(v) = query.get(k) {
                q = q.with(k, Some(v));
            }
        }
        q.href(&format!("/app/calendars/{}/embed-preview", cal.id))
    };
    html! {
        section.card #embed aria-labelledby="embed-title" {
            h2 #embed-title { "Embed on a website" }
            form method="get" action={ "/app/calendars/" (cal.id) "#embed" } {
                fieldset {
                    legend { "How" }
                    @for (value, label) in [("inline", "In the page"), ("lightbox", "A button that opens it over the page"), ("floating", "A floating button in the corner")] {
                        label.check { input type="radio" name="embed" value=(value) checked[kind == value]; (label) }
                    }
                }
                div.fields {
                    div { label for="embed-text" { "Button text" } input #embed-text name="text" value=(query.get("text").unwrap_or("Book a meeting")) maxlength="100"; }
                    div { label for="embed-name" { "Prefill the guest's name" } input #embed-name name="name" value=(query.get("name").unwrap_or("")) maxlength="200"; }
                    div { label for="embed-email" { "Prefill the guest's email" } input #embed-email name="email" value=(query.get("email").unwrap_or("")) maxlength="254"; }
                }
                button type="submit" { "Make the code" }
            }
            label for="embed-code" { "Paste this into the website's page" }
            textarea #embed-code readonly rows="4" { (code) }
            h3 { "Preview" }
            iframe.preview src=(preview) title="Preview of the embedded booking calendar" loading="lazy" {}
        }
    }
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
    let code = snippet(&state.base_url, &cal, &Query::parse(q.as_deref()));
    let page = html! {
        (maud::DOCTYPE)
        html lang="en" {
            head { meta charset="utf-8"; title { "Embed preview" } }
            // The snippet is ours, built from escaped values: it is the point of the page.
            body { p { "Your website's page" } (PreEscaped(code)) }
        }
    };
    let mut res = layout::respond(StatusCode::OK, page);
    // Framed by the app's own page, and it frames the public page.
    layout::allow_same_origin_frames(&mut res);
    res
}

#[derive(serde::Deserialize)]
pub struct EditForm {
    #[serde(default)]
    csrf: String,
    #[serde(flatten)]
    fields: std::collections::HashMap<String, String>,
}

pub async fn save(
    State(state): State<SharedState>,
    signed: Signed,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(f): Form<EditForm>,
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
    let get = |k: &str| {
        f.fields
            .get(k)
            .map(|v| v.trim().to_string())
            .unwrap_or_default()
    };
    let name = match name_of(&get("name")) {
        Ok(n) => n,
        Err(why) => return refuse(why.into()).await,
    };
    let subject = get("subject");
    if subject.chars().count() > 200 {
        return refuse("The subject is at most 200 characters.".into()).await;
    }
    let slug = get("slug");
    if !slug::is_valid(&slug) {
        return refuse(format!(
            "Invalid address: '{slug}'. Use 3 to 64 lowercase letters, digits and hyphens."
        ))
        .await;
    }
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
