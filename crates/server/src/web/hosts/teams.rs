//! `/app/teams` (the owner and administrators): teams — make one, rename it, choose its
//! members, remove it. A team's booking calendars book its members round robin or together.

use axum::{
    extract::{Path, RawQuery, State},
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Redirect, Response},
    Form,
};
use maud::html;
use slotline_domain::id::{TeamId, UserId};

use super::{
    layout::{self, Section},
    session::Signed,
};
use crate::{
    services::teams as service,
    state::SharedState,
    store::{
        page::{Cursor, PageRequest},
        teams, users,
    },
    web::{flow::internal, query::Query},
};

fn only_admins() -> Response {
    layout::only_admins("manage teams")
}

fn not_found() -> Response {
    layout::message(
        StatusCode::NOT_FOUND,
        "No such team",
        "This team does not exist.",
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
        Some("created") => Some("Team created."),
        Some("saved") => Some("Team saved."),
        Some("removed") => Some("Team removed."),
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
    let account = &signed.session.account_id;
    let req = PageRequest {
        limit: 100,
        cursor: Cursor::None,
    };
    let all = match teams::list(&state.db, account, None, &req).await {
        Ok((t, _)) => t.into_iter().filter(|t| !t.deleted).collect::<Vec<_>>(),
        Err(e) => return internal(e),
    };
    let people = match users::names(&state.db, account).await {
        Ok(p) => p,
        Err(e) => return internal(e),
    };
    let mut members = Vec::with_capacity(all.len());
    for t in &all {
        match teams::live_member_ids(&state.db, &t.id).await {
            Ok(m) => members.push(m),
            Err(e) => return internal(e),
        }
    }
    let csrf = &signed.session.csrf;
    let body = html! {
        h1 { "Teams" }
        p.muted { "A team's booking calendars offer its members' free times: round robin (one free member, in turn) or collective (every member together)." }
        @if let Some(n) = notice { div.card.notice role="status" { (n) } }
        @if let Some(e) = error { div.card.error role="alert" { (e) } }
        @for (t, m) in all.iter().zip(&members) {
            form.card method="post" action={ "/app/teams/" (t.id) } aria-label=(t.name) {
                input type="hidden" name="csrf" value=(csrf);
                label for={ "name-" (t.id) } { "Name" }
                input id={ "name-" (t.id) } name="name" value=(t.name) required maxlength="200";
                fieldset {
                    legend { "Members" }
                    @for (id, name) in &people {
                        label.check { input type="checkbox" name="member" value=(id) checked[m.contains(id)]; (name) }
                    }
                }
                div.row {
                    button.primary type="submit" { "Save" }
                    button.danger type="submit" formaction={ "/app/teams/" (t.id) "/remove" } { "Remove the team" }
                }
            }
        }
        h2 #new-team { "New team" }
        form.card method="post" action="/app/teams/new" {
            input type="hidden" name="csrf" value=(csrf);
            label for="new-name" { "Name" }
            input #new-name name="name" required maxlength="200";
            button.primary type="submit" { "Create" }
        }
    };
    layout::respond(status, layout::page("Teams", signed, Section::Teams, body))
}

/// A posted form with repeated `member` fields.
fn fields(form: &[(String, String)], key: &str) -> Vec<String> {
    form.iter()
        .filter(|(k, _)| k == key)
        .map(|(_, v)| v.clone())
        .collect()
}

fn one(form: &[(String, String)], key: &str) -> String {
    fields(form, key).into_iter().next().unwrap_or_default()
}

async fn checked(
    state: &SharedState,
    signed: &Signed,
    headers: &HeaderMap,
    form: &[(String, String)],
) -> Option<Response> {
    if let Some(r) = signed.refused_form(state, headers, Some(&one(form, "csrf"))) {
        return Some(r);
    }
    (!signed.is_admin()).then(only_admins)
}

pub async fn create(
    State(state): State<SharedState>,
    signed: Signed,
    headers: HeaderMap,
    Form(form): Form<Vec<(String, String)>>,
) -> Response {
    if let Some(r) = checked(&state, &signed, &headers, &form).await {
        return r;
    }
    let name = match service::name_of(&one(&form, "name")) {
        Ok(n) => n,
        Err(e) => {
            return page(
                &state,
                &signed,
                StatusCode::UNPROCESSABLE_ENTITY,
                None,
                Some(&super::said(&e)),
            )
            .await
        }
    };
    match teams::create(&state.db, &signed.session.account_id, &name, state.now()).await {
        Ok(_) => Redirect::to("/app/teams?done=created").into_response(),
        Err(e) => internal(e),
    }
}

pub async fn save(
    State(state): State<SharedState>,
    signed: Signed,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(form): Form<Vec<(String, String)>>,
) -> Response {
    if let Some(r) = checked(&state, &signed, &headers, &form).await {
        return r;
    }
    let Ok(id) = TeamId::parse(id) else {
        return not_found();
    };
    let account = &signed.session.account_id;
    let name = match service::name_of(&one(&form, "name")) {
        Ok(n) => n,
        Err(e) => {
            return page(
                &state,
                &signed,
                StatusCode::UNPROCESSABLE_ENTITY,
                None,
                Some(&super::said(&e)),
            )
            .await
        }
    };
    let members: Vec<UserId> = fields(&form, "member")
        .into_iter()
        .filter_map(|m| UserId::parse(m).ok())
        .take(users::MAX_USERS as usize)
        .collect();
    match teams::rename(&state.db, account, &id, &name, state.now()).await {
        Ok(true) => {}
        Ok(false) => return not_found(),
        Err(e) => return internal(e),
    }
    match teams::set_members(&state.db, account, &id, &members).await {
        Ok(()) => Redirect::to("/app/teams?done=saved").into_response(),
        Err(e) => internal(e),
    }
}

pub async fn remove(
    State(state): State<SharedState>,
    signed: Signed,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(form): Form<Vec<(String, String)>>,
) -> Response {
    if let Some(r) = checked(&state, &signed, &headers, &form).await {
        return r;
    }
    let Ok(id) = TeamId::parse(id) else {
        return not_found();
    };
    match teams::delete(&state.db, &signed.session.account_id, &id, state.now()).await {
        Ok(true) => Redirect::to("/app/teams?done=removed").into_response(),
        Ok(false) => not_found(),
        Err(e) => internal(e),
    }
}
