//! `/app/password/forgot` and `/app/password/<token>`: a reset link by email, and the page of a
//! one-time link (a reset's or an invitation's) where the user chooses a password. Asking for
//! a link answers the same whether the address has an account or not; choosing a password ends
//! every other session of the user and signs this browser in.

use std::net::SocketAddr;

use axum::{
    extract::{ConnectInfo, Path, State},
    http::{header, HeaderMap, StatusCode},
    response::Response,
    Form,
};
use maud::html;
use slotline_domain::password;

use super::{layout, sign_in::signed_in};
use crate::{
    services::sign_in::{self, SetPassword},
    state::SharedState,
    store::passwords::Purpose,
    web::{flow::internal, guard},
};

const FORGOT: &str = "password-forgot";
const CHOOSE: &str = "password-choose";

#[derive(serde::Deserialize)]
pub struct ForgotForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    form_token: String,
}

pub async fn forgot(State(state): State<SharedState>) -> Response {
    let token = match guard::token(&state, FORGOT).await {
        Ok(t) => t,
        Err(e) => return internal(e),
    };
    let body = html! {
        div.narrow {
            h1 { "Reset your password" }
            p.muted { "Enter the email address you sign in with. We will send you a link to choose a new password." }
            form method="post" action="/app/password/forgot" {
                input type="hidden" name="form_token" value=(token);
                label for="email" { "Email" }
                input #email type="email" name="email" autocomplete="username" required maxlength="254";
                button.primary type="submit" { "Send the link" }
            }
            p { a href="/app/sign-in" { "Back to sign-in" } }
        }
    };
    layout::respond(
        StatusCode::OK,
        layout::public_page("Reset your password", body),
    )
}

pub async fn forgot_post(
    State(state): State<SharedState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Form(f): Form<ForgotForm>,
) -> Response {
    match guard::check(&state, &headers, addr.ip(), FORGOT, &f.form_token, &[]).await {
        Ok(None) => {}
        Ok(Some(refusal)) => {
            return layout::message(refusal.status(), "Please try again", refusal.message())
        }
        Err(e) => return internal(e),
    }
    let email = f.email.trim().chars().take(254).collect::<String>();
    if state.sign_in_by_address.check_key(&addr.ip()).is_err()
        || state
            .sign_in_by_email
            .check_key(&format!("reset:{}", email.to_lowercase()))
            .is_err()
    {
        return super::sign_in::too_many();
    }
    if slotline_domain::email::is_valid(&email) {
        if let Err(e) = sign_in::request_reset(state.ctx(), &email).await {
            return internal(e);
        }
    }
    layout::message(
        StatusCode::OK,
        "Check your email",
        "If an account signs in with this address, a link to choose a new password is on its way. It works once, for one hour.",
    )
}

fn gone() -> Response {
    layout::message(
        StatusCode::GONE,
        "This link no longer works",
        "It was used already or it expired. Ask for a new one from the sign-in page.",
    )
}

async fn choose_form(
    state: &SharedState,
    status: StatusCode,
    token: &str,
    purpose: Purpose,
    email: &str,
    error: Option<&str>,
) -> Response {
    let form_token = match guard::token(state, CHOOSE).await {
        Ok(t) => t,
        Err(e) => return internal(e),
    };
    let title = match purpose {
        Purpose::Invitation => "Choose your password",
        Purpose::Reset => "Choose a new password",
    };
    let body = html! {
        div.narrow {
            h1 { (title) }
            p.muted { "For " (email) ". At least " (password::MIN_CHARS) " characters; a few words you will remember make a good one." }
            @if let Some(e) = error {
                div.card.error role="alert" { (e) }
            }
            form method="post" action={ "/app/password/" (token) } {
                input type="hidden" name="form_token" value=(form_token);
                // For password managers: whose password this is.
                input type="hidden" name="username" value=(email) autocomplete="username";
                label for="password" { "New password" }
                input #password type="password" name="password" autocomplete="new-password" required
                    minlength=(password::MIN_CHARS) maxlength="256";
                label for="confirm" { "The same again" }
                input #confirm type="password" name="confirm" autocomplete="new-password" required
                    minlength=(password::MIN_CHARS) maxlength="256";
                button.primary type="submit" { "Save and sign in" }
            }
        }
    };
    layout::respond(status, layout::public_page(title, body))
}

pub async fn choose(State(state): State<SharedState>, Path(token): Path<String>) -> Response {
    match sign_in::link_owner(state.ctx(), &token).await {
        Ok(Some(owner)) => {
            choose_form(
                &state,
                StatusCode::OK,
                &token,
                owner.purpose,
                &owner.email,
                None,
            )
            .await
        }
        Ok(None) => gone(),
        Err(e) => internal(e),
    }
}

#[derive(serde::Deserialize)]
pub struct ChooseForm {
    #[serde(default)]
    password: String,
    #[serde(default)]
    confirm: String,
    #[serde(default)]
    form_token: String,
}

pub async fn choose_post(
    State(state): State<SharedState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Path(token): Path<String>,
    Form(f): Form<ChooseForm>,
) -> Response {
    match guard::check(&state, &headers, addr.ip(), CHOOSE, &f.form_token, &[]).await {
        Ok(None) => {}
        Ok(Some(refusal)) => {
            return layout::message(refusal.status(), "Please try again", refusal.message())
        }
        Err(e) => return internal(e),
    }
    let owner = match sign_in::link_owner(state.ctx(), &token).await {
        Ok(Some(o)) => o,
        Ok(None) => return gone(),
        Err(e) => return internal(e),
    };
    let refuse = |why: &'static str| {
        let state = state.clone();
        let token = token.clone();
        let owner = owner.clone();
        async move {
            choose_form(
                &state,
                StatusCode::UNPROCESSABLE_ENTITY,
                &token,
                owner.purpose,
                &owner.email,
                Some(why),
            )
            .await
        }
    };
    if f.password != f.confirm {
        return refuse("The two passwords are not the same.").await;
    }
    let agent = headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok());
    match sign_in::set_password(state.ctx(), &token, &f.password, agent).await {
        Ok(SetPassword::Done(opened)) => {
            tracing::info!(user = %opened.user_id, "password chosen");
            signed_in(&state, &opened.token, "/app/bookings")
        }
        Ok(SetPassword::Refused(why)) => refuse(why).await,
        Ok(SetPassword::Gone) => gone(),
        Err(e) => internal(e),
    }
}
