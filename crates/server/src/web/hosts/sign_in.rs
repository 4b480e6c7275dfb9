//! `/app/sign-in`, `/app/sign-out`, `/app/sign-out-everywhere`: email and password in, a
//! session cookie out. Sign-in forms carry the public pages' single-use form token (there is
//! no session yet to hold a CSRF token); attempts are limited per client address and per email
//! address; a wrong email and a wrong password get the same answer in the same time.

use std::net::SocketAddr;

use axum::{
    extract::{ConnectInfo, RawQuery, State},
    http::{header, HeaderMap, StatusCode},
    response::{IntoResponse, Redirect, Response},
    Form,
};
use maud::html;

use super::{
    layout,
    session::{self, CsrfForm, Signed},
};
use crate::{
    services::sign_in,
    state::SharedState,
    web::{flow::internal, guard, query::Query},
};

const SCOPE: &str = "sign-in";

fn urlencoding(v: &str) -> String {
    url::form_urlencoded::byte_serialize(v.as_bytes()).collect()
}

#[derive(serde::Deserialize)]
pub struct SignInForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    next: String,
    #[serde(default)]
    form_token: String,
}

async fn form(
    state: &SharedState,
    status: StatusCode,
    email: &str,
    next: &str,
    error: Option<&str>,
) -> Response {
    let token = match guard::token(state, SCOPE).await {
        Ok(t) => t,
        Err(e) => return internal(e),
    };
    let body = html! {
        div.narrow {
            h1 { "Sign in" }
            p.muted { "to manage your bookings and availability." }
            @if let Some(e) = error {
                div.card.error role="alert" { (e) }
            }
            form method="post" action="/app/sign-in" {
                input type="hidden" name="form_token" value=(token);
                input type="hidden" name="next" value=(next);
                label for="email" { "Email" }
                input #email type="email" name="email" value=(email) autocomplete="username" required maxlength="254";
                label for="password" { "Password" }
                input #password type="password" name="password" autocomplete="current-password" required maxlength="256";
                button.primary type="submit" { "Sign in" }
            }
            p { a href="/app/password/forgot" { "Forgot your password?" } }
            @if let Some(p) = &state.single_sign_on {
                p { a.button href={ "/app/sign-in/sso?next=" (urlencoding(next)) } { "Sign in with " (p.name) } }
            }
        }
    };
    layout::respond(status, layout::public_page("Sign in", body))
}

pub async fn show(
    State(state): State<SharedState>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> Response {
    let next = session::safe_next(Query::parse(q.as_deref()).get("next"));
    // Already signed in: straight on.
    if let Some(token) = session::token_of(&state, &headers) {
        if let Ok(Some(_)) = sign_in::session(state.ctx(), &token).await {
            return Redirect::to(&next).into_response();
        }
    }
    form(&state, StatusCode::OK, "", &next, None).await
}

pub async fn post(
    State(state): State<SharedState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Form(f): Form<SignInForm>,
) -> Response {
    let next = session::safe_next(Some(&f.next));
    let email = f.email.trim().chars().take(254).collect::<String>();
    match guard::check(&state, &headers, addr.ip(), SCOPE, &f.form_token, &[]).await {
        Ok(None) => {}
        Ok(Some(refusal)) => {
            return layout::message(refusal.status(), "Please try again", refusal.message())
        }
        Err(e) => return internal(e),
    }
    if state.sign_in_by_address.check_key(&addr.ip()).is_err()
        || state
            .sign_in_by_email
            .check_key(&format!("sign-in:{}", email.to_lowercase()))
            .is_err()
    {
        return too_many();
    }
    let agent = headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok());
    match sign_in::sign_in(state.ctx(), &email, &f.password, agent).await {
        Ok(Some(opened)) => {
            tracing::info!(user = %opened.user_id, "signed in");
            signed_in(&state, &opened.token, &next)
        }
        Ok(None) => {
            form(
                &state,
                StatusCode::UNAUTHORIZED,
                &email,
                &next,
                Some("The email address or the password is not right."),
            )
            .await
        }
        Err(e) => internal(e),
    }
}

/// The answer that keeps a new session in the browser and goes on to `next`.
pub fn signed_in(state: &SharedState, token: &str, next: &str) -> Response {
    let mut res = Redirect::to(next).into_response();
    res.headers_mut()
        .insert(header::SET_COOKIE, session::set_cookie(state, Some(token)));
    res
}

pub fn too_many() -> Response {
    let mut res = layout::message(
        StatusCode::TOO_MANY_REQUESTS,
        "Too many attempts",
        "Too many sign-in attempts for this address. Wait a minute and try again, or reset your password.",
    );
    res.headers_mut()
        .insert(header::RETRY_AFTER, header::HeaderValue::from_static("60"));
    res
}

fn signed_out(state: &SharedState) -> Response {
    let mut res = Redirect::to("/app/sign-in").into_response();
    res.headers_mut()
        .insert(header::SET_COOKIE, session::set_cookie(state, None));
    res
}

pub async fn sign_out(
    State(state): State<SharedState>,
    signed: Signed,
    headers: HeaderMap,
    Form(f): Form<CsrfForm>,
) -> Response {
    if let Some(r) = signed.refused_form(&state, &headers, Some(&f.csrf)) {
        return r;
    }
    match sign_in::sign_out(state.ctx(), &signed.token).await {
        Ok(()) => signed_out(&state),
        Err(e) => internal(e),
    }
}

pub async fn sign_out_everywhere(
    State(state): State<SharedState>,
    signed: Signed,
    headers: HeaderMap,
    Form(f): Form<CsrfForm>,
) -> Response {
    if let Some(r) = signed.refused_form(&state, &headers, Some(&f.csrf)) {
        return r;
    }
    match sign_in::sign_out_everywhere(state.ctx(), &signed.session.user_id).await {
        Ok(n) => {
            tracing::info!(user = %signed.session.user_id, sessions = n, "signed out everywhere");
            signed_out(&state)
        }
        Err(e) => internal(e),
    }
}
