//! `/app/profile`: the signed-in user's name, their own meeting link, their password (the
//! current one first; changing it ends their other sessions) and their sessions (sign out
//! everywhere).

use axum::{
    extract::{RawQuery, State},
    http::{header, HeaderMap, StatusCode},
    response::{IntoResponse, Redirect, Response},
    Form,
};
use maud::html;
use slotline_domain::{names, password};

use super::{
    layout::{self, Section},
    session::{self, Signed},
};
use crate::{
    services::sign_in,
    state::SharedState,
    store::{passwords, sessions, users},
    web::{flow::internal, query::Query},
};

pub async fn show(
    State(state): State<SharedState>,
    signed: Signed,
    RawQuery(q): RawQuery,
) -> Response {
    let notice = match Query::parse(q.as_deref()).get("saved") {
        Some("password") => Some("Password changed. Your other sessions were signed out."),
        Some(_) => Some("Saved."),
        None => None,
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
    let s = &signed.session;
    let (link, count) = match tokio::try_join!(
        users::meeting_link(&state.db, &s.account_id, &s.user_id),
        sessions::count_of_user(&state.db, &s.user_id, state.now()),
    ) {
        Ok((l, c)) => (l.flatten().unwrap_or_default(), c),
        Err(e) => return internal(e),
    };
    let csrf = &s.csrf;
    let body = html! {
        h1 { "Your profile" }
        @if let Some(n) = notice { div.card.notice role="status" { (n) } }
        @if let Some(e) = error { div.card.error role="alert" { (e) } }
        form.card method="post" action="/app/profile" {
            input type="hidden" name="csrf" value=(csrf);
            h2 { "You" }
            div.fields {
                div { label for="first_name" { "First name" } input #first_name name="first_name" value=(s.first_name) required maxlength="100" autocomplete="given-name"; }
                div { label for="last_name" { "Last name" } input #last_name name="last_name" value=(s.last_name) required maxlength="100" autocomplete="family-name"; }
            }
            p.muted { "Email: " (s.email) " · Role: " (s.role.as_str()) }
            label for="meeting_link" { "Your meeting link (optional)" }
            input #meeting_link type="url" name="meeting_link" value=(link) maxlength="2000" aria-describedby="link-help";
            p.muted #link-help { "Online meetings at a fixed place without a link of their own use it, e.g. your video room." }
            button.primary type="submit" { "Save" }
        }
        form.card method="post" action="/app/profile/password" {
            input type="hidden" name="csrf" value=(csrf);
            h2 { "Password" }
            input type="hidden" name="username" value=(s.email) autocomplete="username";
            label for="current" { "Current password" }
            input #current type="password" name="current" required autocomplete="current-password" maxlength="256";
            label for="password" { "New password" }
            input #password type="password" name="password" required autocomplete="new-password" minlength=(password::MIN_CHARS) maxlength="256";
            label for="confirm" { "The same again" }
            input #confirm type="password" name="confirm" required autocomplete="new-password" minlength=(password::MIN_CHARS) maxlength="256";
            button type="submit" { "Change the password" }
        }
        form.card method="post" action="/app/sign-out-everywhere" {
            input type="hidden" name="csrf" value=(csrf);
            h2 { "Sessions" }
            p { "You are signed in on " (count) " " @if count == 1 { "browser" } @else { "browsers" } "." }
            button.danger type="submit" { "Sign out everywhere" }
        }
    };
    layout::respond(
        status,
        layout::page("Your profile", signed, Section::Profile, body),
    )
}

#[derive(serde::Deserialize)]
pub struct ProfileForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    first_name: String,
    #[serde(default)]
    last_name: String,
    #[serde(default)]
    meeting_link: String,
}

pub async fn save(
    State(state): State<SharedState>,
    signed: Signed,
    headers: HeaderMap,
    Form(f): Form<ProfileForm>,
) -> Response {
    if let Some(r) = signed.refused_form(&state, &headers, Some(&f.csrf)) {
        return r;
    }
    for (value, what) in [(&f.first_name, "first name"), (&f.last_name, "last name")] {
        if !names::is_valid_person_name(value) {
            let why = format!("Invalid {what}: '{value}'");
            return page(
                &state,
                &signed,
                StatusCode::UNPROCESSABLE_ENTITY,
                None,
                Some(&why),
            )
            .await;
        }
    }
    let link = f.meeting_link.trim();
    let link_ok = link.is_empty()
        || (link.len() <= 2000
            && url::Url::parse(link).is_ok_and(|u| matches!(u.scheme(), "https" | "http")));
    if !link_ok {
        let why = "The meeting link must be an http(s) address.";
        return page(
            &state,
            &signed,
            StatusCode::UNPROCESSABLE_ENTITY,
            None,
            Some(why),
        )
        .await;
    }
    let s = &signed.session;
    let patch = users::UserPatch {
        first_name: Some(f.first_name.trim().to_string()),
        last_name: Some(f.last_name.trim().to_string()),
        ..users::UserPatch::default()
    };
    let now = state.now();
    let link = (!link.is_empty()).then_some(link);
    let done = async {
        users::update(&state.db, &s.account_id, &s.user_id, patch, now).await?;
        users::set_meeting_link(&state.db, &s.account_id, &s.user_id, link, now).await
    };
    match done.await {
        Ok(_) => Redirect::to("/app/profile?saved=1").into_response(),
        Err(e) => internal(e),
    }
}

#[derive(serde::Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    current: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    confirm: String,
}

pub async fn change_password(
    State(state): State<SharedState>,
    signed: Signed,
    headers: HeaderMap,
    Form(f): Form<PasswordForm>,
) -> Response {
    if let Some(r) = signed.refused_form(&state, &headers, Some(&f.csrf)) {
        return r;
    }
    let s = &signed.session;
    let refuse = |why: &str| {
        let why = why.to_string();
        let (state, signed) = (&state, &signed);
        async move {
            page(
                state,
                signed,
                StatusCode::UNPROCESSABLE_ENTITY,
                None,
                Some(&why),
            )
            .await
        }
    };
    // Guessing the current password here counts like guessing it at sign-in.
    if state
        .sign_in_by_email
        .check_key(&format!("sign-in:{}", s.email.to_lowercase()))
        .is_err()
    {
        return super::sign_in::too_many();
    }
    let stored = match passwords::candidates(&state.db, &s.email, 10).await {
        Ok(c) => c
            .into_iter()
            .find(|c| c.user_id == s.user_id)
            .and_then(|c| c.password_hash),
        Err(e) => return internal(e),
    };
    if !sign_in::verify_password(&f.current, stored.as_deref()).await {
        return refuse("The current password is not right.").await;
    }
    if f.password != f.confirm {
        return refuse("The two new passwords are not the same.").await;
    }
    if let Err(why) = password::check(&f.password, &s.email) {
        return refuse(why).await;
    }
    let agent = headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok());
    let opened = async {
        sign_in::set_directly(state.ctx(), &s.user_id, &f.password).await?;
        sign_in::open(state.ctx(), &s.account_id, &s.user_id, agent).await
    };
    match opened.await {
        Ok(o) => {
            let mut res = Redirect::to("/app/profile?saved=password").into_response();
            res.headers_mut().insert(
                header::SET_COOKIE,
                session::set_cookie(&state, Some(&o.token)),
            );
            res
        }
        Err(e) => internal(e),
    }
}
