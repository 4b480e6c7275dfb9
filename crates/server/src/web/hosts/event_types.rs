//! `/app/event-types` (the owner and administrators): event types, the kinds of meeting a
//! booking page offers — make one, change its name and description, remove it. Through
//! `services::event_types`, as the API.

use axum::{
    extract::{Path, RawQuery, State},
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Redirect, Response},
    Form,
};
use maud::html;
use slotline_domain::id::EventTypeId;

use super::{
    booking_pages::setup_nav,
    form_values,
    layout::{self, Section},
    session::{CsrfForm, Signed},
};
use crate::{
    services::event_types as service,
    state::SharedState,
    store::event_types::{EventType, EventTypePatch},
    web::{flow::internal, query::Query},
};

/// What only administrators do here.
const WHAT: &str = "make and change event types";

fn only_admins() -> Response {
    layout::only_admins(WHAT)
}

async fn live(state: &SharedState, signed: &Signed, id: &str) -> Result<EventType, Response> {
    let answer = match EventTypeId::parse(id.to_string()) {
        Ok(id) => service::live(state.ctx(), &signed.session.account_id, &id).await,
        Err(_) => Err(service::not_found(id)),
    };
    layout::found(
        answer,
        ("No such event type", "This event type does not exist."),
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
    let notice = match Query::parse(q.as_deref()).get("done") {
        Some("created") => Some("Event type created."),
        Some("saved") => Some("Event type saved."),
        Some("removed") => Some("Event type removed."),
        _ => None,
    };
    page(&state, &signed, StatusCode::OK, notice, None).await
}

async fn page(
    state: &SharedState,
    signed: &Signed,
    status: StatusCode,
    notice: Option<&str>,
    error: Option<&str>,
) -> Response {
    let types = match service::all(state.ctx(), &signed.session.account_id).await {
        Ok(t) => t,
        Err(e) => return internal(e),
    };
    let csrf = &signed.session.csrf;
    let body = html! {
        (setup_nav("/app/event-types"))
        h1 { "Event types" }
        p.muted { "Kinds of meeting, such as \"Demo\" or \"Support call\". A booking page offers some; each booking names its event type." }
        @if let Some(n) = notice { div.card.notice role="status" { (n) } }
        @if let Some(e) = error { div.card.error role="alert" { (e) } }
        @for t in &types {
            form.card method="post" action={ "/app/event-types/" (t.id) } aria-label=(t.name) {
                input type="hidden" name="csrf" value=(csrf);
                label for={ "name-" (t.id) } { "Name" }
                input id={ "name-" (t.id) } name="name" value=(t.name) required maxlength="200";
                label for={ "description-" (t.id) } { "Description" }
                textarea id={ "description-" (t.id) } name="description" rows="2" maxlength="5000" { (t.description) }
                div.row {
                    button.primary type="submit" { "Save" }
                    button.danger type="submit" formaction={ "/app/event-types/" (t.id) "/remove" } { "Remove" }
                }
            }
        }
        h2 #new-type { "New event type" }
        form.card method="post" action="/app/event-types/new" {
            input type="hidden" name="csrf" value=(csrf);
            label for="new-name" { "Name" }
            input #new-name name="name" required maxlength="200";
            label for="new-description" { "Description" }
            textarea #new-description name="description" rows="2" maxlength="5000" {}
            button.primary type="submit" { "Create" }
        }
    };
    layout::respond(
        status,
        layout::page("Event types", signed, Section::Pages, body),
    )
}

#[derive(serde::Deserialize)]
pub struct TypeForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    description: String,
}

impl TypeForm {
    fn checked(&self) -> Result<(String, String), String> {
        Ok((
            form_values::name(&self.name)?,
            form_values::text(&self.description.replace("\r\n", "\n"), "Description", 5000)?,
        ))
    }
}

pub async fn create(
    State(state): State<SharedState>,
    signed: Signed,
    headers: HeaderMap,
    Form(f): Form<TypeForm>,
) -> Response {
    if let Some(r) = signed.refused_admin_form(&state, &headers, Some(&f.csrf), WHAT) {
        return r;
    }
    let (name, description) = match f.checked() {
        Ok(v) => v,
        Err(why) => {
            return page(
                &state,
                &signed,
                StatusCode::UNPROCESSABLE_ENTITY,
                None,
                Some(&why),
            )
            .await
        }
    };
    match service::create(state.ctx(), &signed.session.account_id, &name, &description).await {
        Ok(_) => Redirect::to("/app/event-types?done=created").into_response(),
        Err(e) => internal(e),
    }
}

pub async fn save(
    State(state): State<SharedState>,
    signed: Signed,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(f): Form<TypeForm>,
) -> Response {
    if let Some(r) = signed.refused_admin_form(&state, &headers, Some(&f.csrf), WHAT) {
        return r;
    }
    let t = match live(&state, &signed, &id).await {
        Ok(t) => t,
        Err(r) => return r,
    };
    let (name, description) = match f.checked() {
        Ok(v) => v,
        Err(why) => {
            return page(
                &state,
                &signed,
                StatusCode::UNPROCESSABLE_ENTITY,
                None,
                Some(&why),
            )
            .await
        }
    };
    let patch = EventTypePatch {
        name: Some(name),
        description: Some(description),
    };
    match service::update(state.ctx(), &signed.session.account_id, &t.id, patch).await {
        Ok(_) => Redirect::to("/app/event-types?done=saved").into_response(),
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
    let t = match live(&state, &signed, &id).await {
        Ok(t) => t,
        Err(r) => return r,
    };
    match service::delete(state.ctx(), &signed.session.account_id, &t.id).await {
        Ok(()) => Redirect::to("/app/event-types?done=removed").into_response(),
        Err(e) => internal(e),
    }
}
