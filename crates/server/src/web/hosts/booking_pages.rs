//! `/app/pages`: booking pages. Everyone sees the pages they own with their public link; the
//! owner and administrators make pages for any user, change their name, address, owner, zone,
//! event types, master page and every scheduling setting, get the code that embeds one, and
//! remove one. Changes go through the same service as the API (`services::booking_pages`).

use std::collections::HashMap;

use axum::{
    extract::{Path, RawQuery, State},
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Redirect, Response},
    Form,
};
use maud::{html, Markup};
use slotline_domain::{id::BookingPageId, timezone};

use super::{
    embed, form_values,
    layout::{self, Section},
    session::{CsrfForm, FieldsForm, Signed},
    settings_form,
};
use crate::{
    http::error::AppError,
    services::{booking_pages as service, event_types, master_pages},
    state::SharedState,
    store::{booking_pages::BookingPage, users},
    web::{flow::internal, query::Query, times::zone_names},
};

/// What only administrators do here.
const WHAT: &str = "make and change booking pages";

fn only_admins() -> Response {
    layout::only_admins(WHAT)
}

/// The links between the setup pages an administrator keeps: pages, master pages, event types.
pub(super) fn setup_nav(here: &str) -> Markup {
    html! {
        nav.subnav aria-label="Pages" {
            @for (href, label) in [("/app/pages", "Booking pages"), ("/app/master-pages", "Master pages"), ("/app/event-types", "Event types")] {
                @if href == here { a href=(href) aria-current="page" { (label) } } @else { a href=(href) { (label) } }
            }
        }
    }
}

/// A live booking page the user may open: any for an administrator, their own for a member.
async fn visible(state: &SharedState, signed: &Signed, id: &str) -> Result<BookingPage, Response> {
    let answer = match BookingPageId::parse(id.to_string()) {
        Ok(id) => service::live(state.ctx(), &signed.session.account_id, &id)
            .await
            .and_then(|p| {
                if signed.is_admin() || p.owner_id == signed.session.user_id {
                    Ok(p)
                } else {
                    Err(service::not_found(id.as_str()))
                }
            }),
        Err(_) => Err(service::not_found(id)),
    };
    layout::found(
        answer,
        (
            "No such booking page",
            "This booking page does not exist, or it is not one you can open.",
        ),
    )
}

pub async fn list(State(state): State<SharedState>, signed: Signed) -> Response {
    let owner = (!signed.is_admin()).then_some(&signed.session.user_id);
    let account = &signed.session.account_id;
    let (pages, people) = match tokio::try_join!(service::all(state.ctx(), account, owner), async {
        Ok(users::names(&state.db, account).await?)
    }) {
        Ok(v) => v,
        Err(e) => return internal(e),
    };
    let owner_name = |p: &BookingPage| {
        people
            .iter()
            .find(|(id, _)| *id == p.owner_id)
            .map_or("—", |(_, n)| n.as_str())
    };
    let body = html! {
        @if signed.is_admin() { (setup_nav("/app/pages")) }
        h1 { "Booking pages" }
        p.muted { "A booking page books one person; a master page lists several. Guests book at the page's public address, or on a website that embeds it." }
        @if signed.is_admin() {
            p { a.button.primary href="/app/pages/new" { "New booking page" } }
        }
        @if pages.is_empty() {
            p.card { "No booking pages yet." }
        } @else {
            table.list {
                caption.muted { "Booking pages" }
                thead { tr { th scope="col" { "Name" } th scope="col" { "Owner" } th scope="col" { "Public page" } th scope="col" { "Guests can book" } } }
                tbody {
                    @for p in &pages {
                        @let link = format!("{}/p/{}", state.base_url, p.slug);
                        tr {
                            td { a href={ "/app/pages/" (p.id) } { (p.name) } }
                            td { (owner_name(p)) }
                            td { a href=(link) { (link) } }
                            td { @if p.active { "yes" } @else { "no" } }
                        }
                    }
                }
            }
        }
    };
    layout::respond(
        StatusCode::OK,
        layout::page("Booking pages", &signed, Section::Pages, body),
    )
}

pub async fn new_form(State(state): State<SharedState>, signed: Signed) -> Response {
    if !signed.is_admin() {
        return only_admins();
    }
    new_page(&state, &signed, StatusCode::OK, &HashMap::new(), None).await
}

async fn new_page(
    state: &SharedState,
    signed: &Signed,
    status: StatusCode,
    given: &HashMap<String, String>,
    error: Option<&str>,
) -> Response {
    let people = match users::names(&state.db, &signed.session.account_id).await {
        Ok(p) => p,
        Err(e) => return internal(e),
    };
    let owner = given
        .get("owner")
        .cloned()
        .unwrap_or_else(|| signed.session.user_id.to_string());
    let body = html! {
        p { a href="/app/pages" { "← Booking pages" } }
        h1 { "New booking page" }
        @if let Some(e) = error { div.card.error role="alert" { (e) } }
        form.card method="post" action="/app/pages/new" {
            input type="hidden" name="csrf" value=(signed.session.csrf);
            label for="name" { "Name" }
            input #name name="name" value=(given.get("name").map_or("", String::as_str)) required maxlength="200" aria-describedby="name-help";
            p.muted #name-help { "What guests see, e.g. \"Consultation\". Its address is made from it." }
            label for="owner" { "Whose page (who is booked)" }
            select #owner name="owner" {
                @for (id, label) in &people { option value=(id) selected[id.as_str() == owner] { (label) } }
            }
            p.muted { "Its times are shown in the owner's zone until you choose another." }
            button.primary type="submit" { "Create" }
        }
    };
    layout::respond(
        status,
        layout::page("New booking page", signed, Section::Pages, body),
    )
}

pub async fn create(
    State(state): State<SharedState>,
    signed: Signed,
    headers: HeaderMap,
    Form(f): Form<FieldsForm>,
) -> Response {
    if let Some(r) = signed.refused_admin_form(&state, &headers, Some(&f.csrf), WHAT) {
        return r;
    }
    let name = match form_values::name(f.get("name")) {
        Ok(n) => n,
        Err(why) => {
            return new_page(
                &state,
                &signed,
                StatusCode::UNPROCESSABLE_ENTITY,
                &f.fields,
                Some(&why),
            )
            .await
        }
    };
    let owner = f.get("owner").to_string();
    let account = &signed.session.account_id;
    let made = form_values::with_readable_address(&name, |slug| {
        let new = service::NewPage {
            owner: owner.clone(),
            name: name.clone(),
            label: None,
            slug: Some(slug),
            timezone: None,
            active: Some(true),
            event_types: vec![],
            master_page: None,
            settings: None,
        };
        service::create(state.ctx(), account, new)
    })
    .await;
    match made {
        Ok(p) => Redirect::to(&format!("/app/pages/{}?saved=created", p.id)).into_response(),
        Err(AppError::Invalid(i)) => {
            new_page(
                &state,
                &signed,
                StatusCode::UNPROCESSABLE_ENTITY,
                &f.fields,
                Some(&i.message),
            )
            .await
        }
        Err(e) => internal(e),
    }
}

pub async fn show(
    State(state): State<SharedState>,
    signed: Signed,
    Path(id): Path<String>,
    RawQuery(q): RawQuery,
) -> Response {
    let page = match visible(&state, &signed, &id).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let query = Query::parse(q.as_deref());
    let notice = match query.get("saved") {
        Some("created") => Some("Created. Guests can book it at its public page now."),
        Some(_) => Some("Saved."),
        None => None,
    };
    edit_page(&state, &signed, &page, &query, StatusCode::OK, notice, None).await
}

async fn edit_page(
    state: &SharedState,
    signed: &Signed,
    page: &BookingPage,
    query: &Query,
    status: StatusCode,
    notice: Option<&str>,
    error: Option<&str>,
) -> Response {
    let public = format!("{}/p/{}", state.base_url, page.slug);
    let account = &signed.session.account_id;
    let setup = if signed.is_admin() {
        match tokio::try_join!(
            async { Ok(users::names(&state.db, account).await?) },
            event_types::all(state.ctx(), account),
            master_pages::all(state.ctx(), account),
        ) {
            Ok(v) => Some(v),
            Err(e) => return internal(e),
        }
    } else {
        None
    };
    let action = format!("/app/pages/{}", page.id);
    let csrf = &signed.session.csrf;
    let body = html! {
        p { a href="/app/pages" { "← Booking pages" } }
        h1 { (page.name) }
        @if let Some(n) = notice { div.card.notice role="status" { (n) } }
        @if let Some(e) = error { div.card.error role="alert" { (e) } }
        section.card aria-labelledby="share" {
            h2 #share { "Share" }
            p { "Public page: " a href=(public) { (public) } @if !page.active { " " span.status { "not bookable" } } }
            p.muted { "One-time links are made for booking calendars and master pages: put this page on a master page to send one." }
        }
        @if let Some((people, types, masters)) = &setup {
            form.card method="post" action=(action) {
                input type="hidden" name="csrf" value=(csrf);
                h2 { "Page" }
                div.fields {
                    div { label for="name" { "Name" } input #name name="name" value=(page.name) required maxlength="200"; }
                    div { label for="label" { "Title guests see" } input #label name="label" value=(page.label) maxlength="200"; }
                    div { label for="slug" { "Address: /p/…" } input #slug name="slug" value=(page.slug) required pattern="[a-z0-9]+(-[a-z0-9]+)*" minlength="3" maxlength="64"; }
                    div {
                        label for="owner" { "Whose page" }
                        select #owner name="owner" {
                            @for (id, label) in people { option value=(id) selected[*id == page.owner_id] { (label) } }
                        }
                    }
                    div {
                        label for="timezone" { "Times shown in" }
                        select #timezone name="timezone" {
                            @for z in zone_names() { option value=(z) selected[*z == page.timezone] { (z) } }
                        }
                    }
                    div {
                        label for="master_page" { "Listed on master page" }
                        select #master_page name="master_page" {
                            option value="" selected[page.master_page_id.is_none()] { "None" }
                            @for m in masters { option value=(m.id) selected[page.master_page_id.as_ref() == Some(&m.id)] { (m.name) } }
                        }
                    }
                }
                label.check { input type="checkbox" name="active" value="on" checked[page.active]; "Guests can book it" }
                fieldset {
                    legend { "Event types it offers" }
                    @if types.is_empty() { p.muted { "No event types yet: " a href="/app/event-types" { "make one" } "." } }
                    @for t in types {
                        label.check { input type="checkbox" name="event_type" value=(t.id) checked[page.event_type_ids.contains(&t.id)]; (t.name) }
                    }
                }
                (settings_form::sections(&page.settings))
                button.primary type="submit" { "Save" }
            }
            (embed::generator(&state.base_url, &format!("/p/{}", page.slug), &action, query))
            form.card method="post" action={ (action) "/remove" } {
                input type="hidden" name="csrf" value=(csrf);
                h2 { "Remove" }
                p.muted { "Guests can no longer book it; bookings made on it stay." }
                button.danger type="submit" { "Remove this booking page" }
            }
        }
    };
    layout::respond(
        status,
        layout::page(&page.name, signed, Section::Pages, body),
    )
}

pub async fn save(
    State(state): State<SharedState>,
    signed: Signed,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(raw): Form<Vec<(String, String)>>,
) -> Response {
    let csrf = raw
        .iter()
        .find(|(k, _)| k == "csrf")
        .map(|(_, v)| v.as_str());
    if let Some(r) = signed.refused_admin_form(&state, &headers, csrf, WHAT) {
        return r;
    }
    let page = match visible(&state, &signed, &id).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    // Event types repeat; everything else is one value a name.
    let chosen: Vec<String> = raw
        .iter()
        .filter(|(k, _)| k == "event_type")
        .map(|(_, v)| v.clone())
        .collect();
    let fields: HashMap<String, String> =
        raw.into_iter().filter(|(k, _)| k != "event_type").collect();
    let change = match page_change(&fields, &page, chosen) {
        Ok(c) => c,
        Err(why) => {
            return edit_page(
                &state,
                &signed,
                &page,
                &Query::default(),
                StatusCode::UNPROCESSABLE_ENTITY,
                None,
                Some(&why),
            )
            .await
        }
    };
    match service::update(state.ctx(), &signed.session.account_id, &page.id, change).await {
        Ok(p) => Redirect::to(&format!("/app/pages/{}?saved=1", p.id)).into_response(),
        Err(AppError::Invalid(i)) => {
            edit_page(
                &state,
                &signed,
                &page,
                &Query::default(),
                StatusCode::UNPROCESSABLE_ENTITY,
                None,
                Some(&i.message),
            )
            .await
        }
        Err(AppError::Conflict { message, .. }) => {
            edit_page(
                &state,
                &signed,
                &page,
                &Query::default(),
                StatusCode::UNPROCESSABLE_ENTITY,
                None,
                Some(&message),
            )
            .await
        }
        Err(e) => internal(e),
    }
}

fn page_change(
    f: &HashMap<String, String>,
    page: &BookingPage,
    event_types: Vec<String>,
) -> Result<service::PageChange, String> {
    let get = |k: &str| f.get(k).map_or("", |v| v.trim());
    let name = form_values::name(get("name"))?;
    let label = match form_values::text(get("label"), "Title", 200)? {
        l if l.is_empty() => name.clone(),
        l => l,
    };
    let zone = get("timezone");
    if !timezone::is_valid(zone) {
        return Err(format!("Unknown time zone: '{zone}'."));
    }
    let master = match get("master_page") {
        "" => None,
        m => Some(m.to_string()),
    };
    Ok(service::PageChange {
        owner: Some(get("owner").to_string()),
        name: Some(name),
        label: Some(label),
        slug: Some(form_values::address(get("slug"))?),
        timezone: Some(zone.to_string()),
        active: Some(f.contains_key("active")),
        event_types: Some(event_types),
        master_page: Some(master),
        settings: Some(settings_form::change(f, &page.settings)?),
    })
}

pub async fn remove(
    State(state): State<SharedState>,
    signed: Signed,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(f): Form<CsrfForm>,
) -> Response {
    if let Some(r) = signed.refused_admin_form(&state, &headers, Some(&f.csrf), WHAT) {
        return r;
    }
    let page = match visible(&state, &signed, &id).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    match service::delete(state.ctx(), &signed.session.account_id, &page.id).await {
        Ok(()) => Redirect::to("/app/pages").into_response(),
        Err(e) => internal(e),
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
    let page = match visible(&state, &signed, &id).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    embed::preview(
        &state.base_url,
        &format!("/p/{}", page.slug),
        &Query::parse(q.as_deref()),
    )
}
