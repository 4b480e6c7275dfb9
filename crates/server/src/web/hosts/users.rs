//! `/app/users` (the owner and administrators): the people of the account — invite one by
//! email (they choose their password from the link), change a role, remove one. The same
//! service as the API's `/v2/users` (`services::users`): the account owner is changed or
//! removed by no one.

use axum::{
    extract::{Path, RawQuery, State},
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Redirect, Response},
    Form,
};
use maud::html;
use slotline_domain::{email, id::UserId, names, role::Role};

use super::{
    layout::{self, Section},
    session::{CsrfForm, Signed},
};
use crate::{
    http::error::AppError,
    services::users as service,
    state::SharedState,
    store::{
        page::{Cursor, PageRequest},
        users::{self, UserPatch},
    },
    web::{flow::internal, query::Query},
};

const ROLES: [Role; 3] = [Role::Administrator, Role::TeamManager, Role::Member];

fn only_admins() -> Response {
    layout::only_admins("manage the people of the account")
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
        Some("invited") => Some("Invited: they were emailed a link to choose their password."),
        Some("role") => Some("Role changed."),
        Some("removed") => Some("Removed from the account."),
        Some("sent") => Some("The invitation was sent again."),
        _ => None,
    };
    page(&state, &signed, StatusCode::OK, notice, None, None).await
}

#[derive(Default, Clone)]
struct Draft {
    email: String,
    first_name: String,
    last_name: String,
    role: String,
}

async fn page(
    state: &SharedState,
    signed: &Signed,
    status: StatusCode,
    notice: Option<&str>,
    error: Option<&str>,
    draft: Option<Draft>,
) -> Response {
    let account = &signed.session.account_id;
    let req = PageRequest {
        limit: 100,
        cursor: Cursor::None,
    };
    let mut people = Vec::new();
    let mut cursor = req;
    for _ in 0..10 {
        let (rows, page) = match users::list(&state.db, account, None, &cursor).await {
            Ok(r) => r,
            Err(e) => return internal(e),
        };
        people.extend(rows.into_iter().filter(|u| !u.deleted));
        match page.next_after {
            Some(next) => {
                cursor = PageRequest {
                    limit: 100,
                    cursor: Cursor::After(next),
                }
            }
            None => break,
        }
    }
    people.sort_by_key(|u| (u.first_name.to_lowercase(), u.last_name.to_lowercase()));
    let invited = match crate::store::passwords::without_password(&state.db, account).await {
        Ok(i) => i,
        Err(e) => return internal(e),
    };
    let draft = draft.unwrap_or_default();
    let csrf = &signed.session.csrf;
    let body = html! {
        h1 { "People" }
        @if let Some(n) = notice { div.card.notice role="status" { (n) } }
        @if let Some(e) = error { div.card.error role="alert" { (e) } }
        table.list {
            caption.muted { (people.len()) " people in the account" }
            thead { tr { th scope="col" { "Name" } th scope="col" { "Email" } th scope="col" { "Role" } th scope="col" { "Invitation" } th scope="col" { "Remove" } } }
            tbody {
                @for u in &people {
                    @let owner = u.role == Role::AccountOwner;
                    @let me = u.id == signed.session.user_id;
                    tr {
                        td { (u.first_name) " " (u.last_name) @if me { " (you)" } }
                        td { (u.email) }
                        td {
                            @if owner || me {
                                (u.role.as_str())
                            } @else {
                                form.row method="post" action={ "/app/users/" (u.id) "/role" } {
                                    input type="hidden" name="csrf" value=(csrf);
                                    select name="role" aria-label={ "Role of " (u.first_name) " " (u.last_name) } {
                                        @for r in ROLES { option value=(r.as_str()) selected[r == u.role] { (r.as_str()) } }
                                    }
                                    button type="submit" { "Change" }
                                }
                            }
                        }
                        td {
                            @if invited.contains(&u.id) {
                                form.inline method="post" action={ "/app/users/" (u.id) "/invite-again" } {
                                    input type="hidden" name="csrf" value=(csrf);
                                    span.muted { "No password yet. " }
                                    button type="submit" aria-label={ "Send " (u.first_name) " " (u.last_name) " the invitation again" } { "Send again" }
                                }
                            } @else {
                                span.muted { "Signed up" }
                            }
                        }
                        td {
                            @if !owner && !me {
                                form.inline method="post" action={ "/app/users/" (u.id) "/remove" } {
                                    input type="hidden" name="csrf" value=(csrf);
                                    button.danger type="submit" aria-label={ "Remove " (u.first_name) " " (u.last_name) } { "Remove" }
                                }
                            }
                        }
                    }
                }
            }
        }
        h2 #invite { "Invite someone" }
        form.card method="post" action="/app/users/invite" {
            input type="hidden" name="csrf" value=(csrf);
            div.fields {
                div { label for="email" { "Email" } input #email type="email" name="email" value=(draft.email) required maxlength="254"; }
                div { label for="first_name" { "First name" } input #first_name name="first_name" value=(draft.first_name) required maxlength="100"; }
                div { label for="last_name" { "Last name" } input #last_name name="last_name" value=(draft.last_name) required maxlength="100"; }
                div {
                    label for="role" { "Role" }
                    select #role name="role" {
                        @for r in ROLES { option value=(r.as_str()) selected[r.as_str() == draft.role || (draft.role.is_empty() && r == Role::Member)] { (r.as_str()) } }
                    }
                }
            }
            p.muted { "They get an email with a link to choose their password; guests can book them at once." }
            button.primary type="submit" { "Invite" }
        }
    };
    layout::respond(
        status,
        layout::page("People", signed, Section::People, body),
    )
}

#[derive(serde::Deserialize)]
pub struct InviteForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    first_name: String,
    #[serde(default)]
    last_name: String,
    #[serde(default)]
    role: String,
}

pub async fn invite(
    State(state): State<SharedState>,
    signed: Signed,
    headers: HeaderMap,
    Form(f): Form<InviteForm>,
) -> Response {
    if let Some(r) = signed.refused_form(&state, &headers, Some(&f.csrf)) {
        return r;
    }
    if !signed.is_admin() {
        return only_admins();
    }
    let draft = Draft {
        email: f.email.trim().to_string(),
        first_name: f.first_name.trim().to_string(),
        last_name: f.last_name.trim().to_string(),
        role: f.role.clone(),
    };
    let refuse = |why: String| {
        let (state, signed, draft) = (&state, &signed, draft.clone());
        async move {
            page(
                state,
                signed,
                StatusCode::UNPROCESSABLE_ENTITY,
                None,
                Some(&why),
                Some(draft),
            )
            .await
        }
    };
    if !email::is_valid(&draft.email) {
        return refuse(format!("Invalid email: '{}'", draft.email)).await;
    }
    for (value, what) in [
        (&draft.first_name, "first name"),
        (&draft.last_name, "last name"),
    ] {
        if !names::is_valid_person_name(value) {
            return refuse(format!("Invalid {what}: '{value}'")).await;
        }
    }
    let Ok(role) = Role::parse_assignable(&f.role) else {
        return refuse(format!("Invalid role name: '{}'", f.role)).await;
    };
    let invite = service::Invite {
        email: draft.email.clone(),
        first_name: draft.first_name.clone(),
        last_name: draft.last_name.clone(),
        role,
        teams: vec![],
        timezone: None,
    };
    match service::invite(state.ctx(), &signed.session.account_id, invite).await {
        Ok(_) => Redirect::to("/app/users?done=invited").into_response(),
        Err(AppError::Internal(e)) => internal(e),
        Err(e) => refuse(super::said(&e)).await,
    }
}

#[derive(serde::Deserialize)]
pub struct RoleForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    role: String,
}

fn user_id(raw: &str) -> Option<UserId> {
    UserId::parse(raw.to_string()).ok()
}

pub async fn change_role(
    State(state): State<SharedState>,
    signed: Signed,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(f): Form<RoleForm>,
) -> Response {
    if let Some(r) = signed.refused_form(&state, &headers, Some(&f.csrf)) {
        return r;
    }
    if !signed.is_admin() {
        return only_admins();
    }
    let refuse = |why: String| {
        let (state, signed) = (&state, &signed);
        async move { page(state, signed, StatusCode::CONFLICT, None, Some(&why), None).await }
    };
    let (Some(id), Ok(role)) = (user_id(&id), Role::parse_assignable(&f.role)) else {
        return refuse("Choose a person and one of the roles.".into()).await;
    };
    if id == signed.session.user_id {
        return refuse("You cannot change your own role.".into()).await;
    }
    let patch = UserPatch {
        role: Some(role),
        ..UserPatch::default()
    };
    match service::update(state.ctx(), &signed.session.account_id, &id, patch).await {
        Ok(_) => Redirect::to("/app/users?done=role").into_response(),
        Err(AppError::Internal(e)) => internal(e),
        Err(e) => refuse(super::said(&e)).await,
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
    if !signed.is_admin() {
        return only_admins();
    }
    let refuse = |why: String| {
        let (state, signed) = (&state, &signed);
        async move { page(state, signed, StatusCode::CONFLICT, None, Some(&why), None).await }
    };
    let Some(id) = user_id(&id) else {
        return refuse("No such person.".into()).await;
    };
    if id == signed.session.user_id {
        return refuse("You cannot remove yourself.".into()).await;
    }
    match service::remove(state.ctx(), &signed.session.account_id, &id).await {
        Ok(()) => Redirect::to("/app/users?done=removed").into_response(),
        Err(AppError::Internal(e)) => internal(e),
        Err(e) => refuse(super::said(&e)).await,
    }
}

pub async fn invite_again(
    State(state): State<SharedState>,
    signed: Signed,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(f): Form<CsrfForm>,
) -> Response {
    if let Some(r) = signed.refused_form(&state, &headers, Some(&f.csrf)) {
        return r;
    }
    if !signed.is_admin() {
        return only_admins();
    }
    let Some(id) = user_id(&id) else {
        return page(
            &state,
            &signed,
            StatusCode::CONFLICT,
            None,
            Some("No such person."),
            None,
        )
        .await;
    };
    match service::invite_again(state.ctx(), &signed.session.account_id, &id).await {
        Ok(()) => Redirect::to("/app/users?done=sent").into_response(),
        Err(AppError::Internal(e)) => internal(e),
        Err(e) => {
            page(
                &state,
                &signed,
                StatusCode::CONFLICT,
                None,
                Some(&super::said(&e)),
                None,
            )
            .await
        }
    }
}
