//! `/app/master-pages` (the owner and administrators): master pages, which list booking pages
//! for a guest to choose from — make one, change its name, title and address, make a one-time
//! link, remove it. Through `services::master_pages`, as the API.

use axum::{
    extract::{Path, RawQuery, State},
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Redirect, Response},
    Form,
};
use maud::html;
use serde_json::json;
use slotline_domain::id::MasterPageId;

use super::{
    booking_pages::setup_nav,
    form_values,
    layout::{self, Section},
    session::{CsrfForm, Signed},
};
use crate::{
    http::error::AppError,
    services::{booking_pages, master_pages as service, one_time_links},
    state::SharedState,
    store::master_pages::{MasterPage, MasterPagePatch},
    web::{flow::internal, query::Query},
};

/// What only administrators do here.
const WHAT: &str = "make and change master pages";

fn only_admins() -> Response {
    layout::only_admins(WHAT)
}

async fn live(state: &SharedState, signed: &Signed, id: &str) -> Result<MasterPage, Response> {
    let answer = match MasterPageId::parse(id.to_string()) {
        Ok(id) => service::live(state.ctx(), &signed.session.account_id, &id).await,
        Err(_) => Err(service::not_found(id)),
    };
    layout::found(
        answer,
        ("No such master page", "This master page does not exist."),
    )
}

pub async fn list(
    State(state): State<SharedState>,
    signed: Signed,
    RawQuery(q): RawQuery,
) -> Response {
    if !signed.is_admin() {
        return only_admins();
    }
    let query = Query::parse(q.as_deref());
    let notice = match query.get("done") {
        Some("created") => Some("Master page created."),
        Some("saved") => Some("Master page saved."),
        Some("removed") => Some("Master page removed."),
        Some("link") => Some("One-time link made."),
        _ => None,
    };
    page(&state, &signed, &query, StatusCode::OK, notice, None).await
}

async fn page(
    state: &SharedState,
    signed: &Signed,
    query: &Query,
    status: StatusCode,
    notice: Option<&str>,
    error: Option<&str>,
) -> Response {
    let account = &signed.session.account_id;
    let (masters, pages) = match tokio::try_join!(
        service::all(state.ctx(), account),
        booking_pages::all(state.ctx(), account, None)
    ) {
        Ok(v) => v,
        Err(e) => return internal(e),
    };
    let link = query
        .get("link")
        .filter(|l| l.len() <= 64 && l.chars().all(|c| c.is_ascii_alphanumeric()))
        .map(|l| one_time_links::url(&state.base_url, l));
    let csrf = &signed.session.csrf;
    let body = html! {
        (setup_nav("/app/master-pages"))
        h1 { "Master pages" }
        p.muted { "A master page lists booking pages; the guest chooses one, then a time. A booking page joins one from its own settings." }
        @if let Some(n) = notice { div.card.notice role="status" { (n) } }
        @if let Some(e) = error { div.card.error role="alert" { (e) } }
        @if let Some(l) = &link { p.card role="status" { "One-time link: " output { a href=(l) { (l) } } } }
        @for m in &masters {
            @let public = format!("{}/m/{}", state.base_url, m.slug);
            @let listed: Vec<&str> = pages.iter().filter(|p| p.master_page_id.as_ref() == Some(&m.id)).map(|p| p.name.as_str()).collect();
            form.card method="post" action={ "/app/master-pages/" (m.id) } aria-label=(m.name) {
                input type="hidden" name="csrf" value=(csrf);
                h2 { (m.name) }
                p { "Public page: " a href=(public) { (public) } @if !m.active { " " span.status { "not bookable" } } }
                p.muted { "Lists: " @if listed.is_empty() { "no booking pages yet" } @else { (listed.join(", ")) } }
                div.fields {
                    div { label for={ "name-" (m.id) } { "Name" } input id={ "name-" (m.id) } name="name" value=(m.name) required maxlength="200"; }
                    div { label for={ "label-" (m.id) } { "Title guests see" } input id={ "label-" (m.id) } name="label" value=(m.label) maxlength="200"; }
                    div { label for={ "slug-" (m.id) } { "Address: /m/…" } input id={ "slug-" (m.id) } name="slug" value=(m.slug) required pattern="[a-z0-9]+(-[a-z0-9]+)*" minlength="3" maxlength="64"; }
                }
                label.check { input type="checkbox" name="active" value="on" checked[m.active]; "Guests can book through it" }
                div.row {
                    button.primary type="submit" { "Save" }
                    button type="submit" formaction={ "/app/master-pages/" (m.id) "/one-time-link" } { "Make a one-time link" }
                    button.danger type="submit" formaction={ "/app/master-pages/" (m.id) "/remove" } { "Remove" }
                }
            }
        }
        h2 #new-master { "New master page" }
        form.card method="post" action="/app/master-pages/new" {
            input type="hidden" name="csrf" value=(csrf);
            label for="new-name" { "Name" }
            input #new-name name="name" required maxlength="200";
            button.primary type="submit" { "Create" }
        }
    };
    layout::respond(
        status,
        layout::page("Master pages", signed, Section::Pages, body),
    )
}

#[derive(serde::Deserialize)]
pub struct MasterForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    label: String,
    #[serde(default)]
    slug: String,
    #[serde(default)]
    active: Option<String>,
}

async fn refuse(state: &SharedState, signed: &Signed, why: &str) -> Response {
    page(
        state,
        signed,
        &Query::default(),
        StatusCode::UNPROCESSABLE_ENTITY,
        None,
        Some(why),
    )
    .await
}

pub async fn create(
    State(state): State<SharedState>,
    signed: Signed,
    headers: HeaderMap,
    Form(f): Form<MasterForm>,
) -> Response {
    if let Some(r) = signed.refused_admin_form(&state, &headers, Some(&f.csrf), WHAT) {
        return r;
    }
    let name = match form_values::name(&f.name) {
        Ok(n) => n,
        Err(why) => return refuse(&state, &signed, &why).await,
    };
    let account = &signed.session.account_id;
    let made = form_values::with_readable_address(&name, |slug| {
        let new = service::NewMasterPage {
            name: name.clone(),
            label: None,
            slug: Some(slug),
            active: Some(true),
        };
        service::create(state.ctx(), account, new)
    })
    .await;
    match made {
        Ok(_) => Redirect::to("/app/master-pages?done=created").into_response(),
        Err(e) => internal(e),
    }
}

pub async fn save(
    State(state): State<SharedState>,
    signed: Signed,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(f): Form<MasterForm>,
) -> Response {
    if let Some(r) = signed.refused_admin_form(&state, &headers, Some(&f.csrf), WHAT) {
        return r;
    }
    let m = match live(&state, &signed, &id).await {
        Ok(m) => m,
        Err(r) => return r,
    };
    let checked = (|| -> Result<MasterPagePatch, String> {
        let name = form_values::name(&f.name)?;
        let label = match form_values::text(&f.label, "Title", 200)? {
            l if l.is_empty() => name.clone(),
            l => l,
        };
        Ok(MasterPagePatch {
            name: Some(name),
            label: Some(label),
            slug: Some(form_values::address(&f.slug)?),
            active: Some(f.active.is_some()),
        })
    })();
    let patch = match checked {
        Ok(p) => p,
        Err(why) => return refuse(&state, &signed, &why).await,
    };
    match service::update(state.ctx(), &signed.session.account_id, &m.id, patch).await {
        Ok(_) => Redirect::to("/app/master-pages?done=saved").into_response(),
        Err(AppError::Conflict { message, .. }) => refuse(&state, &signed, &message).await,
        Err(AppError::Invalid(i)) => refuse(&state, &signed, &i.message).await,
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
    if let Some(r) = signed.refused_admin_form(&state, &headers, Some(&f.csrf), WHAT) {
        return r;
    }
    let m = match live(&state, &signed, &id).await {
        Ok(m) => m,
        Err(r) => return r,
    };
    match service::delete(state.ctx(), &signed.session.account_id, &m.id).await {
        Ok(()) => Redirect::to("/app/master-pages?done=removed").into_response(),
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
    if let Some(r) = signed.refused_admin_form(&state, &headers, Some(&f.csrf), WHAT) {
        return r;
    }
    let m = match live(&state, &signed, &id).await {
        Ok(m) => m,
        Err(r) => return r,
    };
    if !m.active {
        return refuse(
            &state,
            &signed,
            "Guests cannot book through this master page now: make it bookable first.",
        )
        .await;
    }
    let options = json!({"hide_url_params": true, "booking_form": {}, "utm_params": null, "booking_settings": null});
    match one_time_links::create(
        state.ctx(),
        &signed.session.account_id,
        "master_page",
        m.id.as_str(),
        options,
    )
    .await
    {
        Ok(link) => {
            Redirect::to(&format!("/app/master-pages?done=link&link={}", link.id)).into_response()
        }
        Err(e) => internal(e),
    }
}
