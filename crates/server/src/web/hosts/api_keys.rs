//! `/app/api-keys` (the owner and administrators), the first page of the integrators' console:
//! the account's API keys with when each was made and last used, a new key (its secret shown
//! this once, with a copy button), and revoking one. Through `services::api_keys`.

use axum::{
    extract::{Path, RawQuery, State},
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Redirect, Response},
    Form,
};
use maud::html;
use slotline_domain::id::ApiKeyId;

use super::{
    layout::{self, Section},
    session::{CsrfForm, Signed},
};
use crate::{
    http::error::AppError,
    services::api_keys as service,
    state::SharedState,
    web::{flow::internal, query::Query, times::zoned},
};

/// What only administrators do here.
const WHAT: &str = "manage API keys";

pub async fn list(
    State(state): State<SharedState>,
    signed: Signed,
    RawQuery(q): RawQuery,
) -> Response {
    if !signed.is_admin() {
        return layout::only_admins(WHAT);
    }
    let notice = match Query::parse(q.as_deref()).get("done") {
        Some("revoked") => Some("Key revoked: requests that present it are refused from now on."),
        _ => None,
    };
    page(&state, &signed, StatusCode::OK, notice, None, None).await
}

/// The page; `made` is a new key's name and secret, shown this once.
async fn page(
    state: &SharedState,
    signed: &Signed,
    status: StatusCode,
    notice: Option<&str>,
    error: Option<&str>,
    made: Option<(&str, &str)>,
) -> Response {
    let keys = match service::list(state.ctx(), &signed.session.account_id).await {
        Ok(k) => k,
        Err(e) => return internal(e),
    };
    let zone = &signed.session.timezone;
    let when = |t: i64| zoned(t, zone).strftime("%Y-%m-%d %H:%M").to_string();
    let csrf = &signed.session.csrf;
    let body = html! {
        h1 { "API keys" }
        p.muted { "Programs use a key in the " code { "API-Key" } " header to call " code { (state.base_url) "/v2" } ". Keep keys secret; revoke one that leaked and make another." }
        @if let Some(n) = notice { div.card.notice role="status" { (n) } }
        @if let Some(e) = error { div.card.error role="alert" { (e) } }
        @if let Some((name, secret)) = made {
            section.card.notice aria-labelledby="new-key" {
                h2 #new-key { "Your new key \u{201c}" (name) "\u{201d}" }
                p { strong { "Copy it now: it is shown this once and cannot be shown again." } }
                label for="secret" { "Key" }
                div.row {
                    input #secret readonly value=(secret) autocomplete="off" spellcheck="false";
                    button type="button" data-copy="secret" hidden { "Copy" }
                }
            }
        }
        @if keys.is_empty() {
            p.card { "No API keys yet." }
        } @else {
            table.list {
                caption.muted { "API keys of this account" }
                thead { tr { th scope="col" { "Name" } th scope="col" { "Key" } th scope="col" { "Made" } th scope="col" { "Last used" } th scope="col" { "State" } } }
                tbody {
                    @for k in &keys {
                        tr {
                            td { (k.name) }
                            td { code { "…" (k.hint) } }
                            td { (when(k.creation_time)) }
                            td { @match k.last_used_time { Some(t) => (when(t)), None => span.muted { "never" } } }
                            td {
                                @match k.revoked_time {
                                    Some(t) => { span.status { "revoked " (when(t)) } }
                                    None => {
                                        form.inline method="post" action={ "/app/api-keys/" (k.id) "/revoke" } {
                                            input type="hidden" name="csrf" value=(csrf);
                                            button.danger type="submit" aria-label={ "Revoke " (k.name) } { "Revoke" }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            p.muted { "Last used is written every half minute, so a key used just now may show a little later." }
        }
        h2 #new { "New key" }
        form.card method="post" action="/app/api-keys/new" {
            input type="hidden" name="csrf" value=(csrf);
            label for="name" { "Name" }
            input #name name="name" required maxlength=(service::MAX_NAME) aria-describedby="name-help";
            p.muted #name-help { "Where it will be used, e.g. \"CRM sync\"." }
            button.primary type="submit" { "Make a key" }
        }
    };
    layout::respond(
        status,
        layout::page("API keys", signed, Section::Integrations, body),
    )
}

#[derive(serde::Deserialize)]
pub struct NewForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    name: String,
}

/// Makes a key and answers with the page showing its secret (never in a URL or a redirect).
pub async fn create(
    State(state): State<SharedState>,
    signed: Signed,
    headers: HeaderMap,
    Form(f): Form<NewForm>,
) -> Response {
    if let Some(r) = signed.refused_admin_form(&state, &headers, Some(&f.csrf), WHAT) {
        return r;
    }
    match service::create(state.ctx(), &signed.session.account_id, &f.name).await {
        Ok((info, secret)) => {
            tracing::info!(key = %info.id, user = %signed.session.user_id, "API key made in the app");
            let mut res = page(
                &state,
                &signed,
                StatusCode::OK,
                None,
                None,
                Some((&info.name, &secret)),
            )
            .await;
            // The secret is in this page only: no cache keeps it.
            res.headers_mut().insert(
                axum::http::header::CACHE_CONTROL,
                axum::http::HeaderValue::from_static("no-store"),
            );
            res
        }
        Err(e @ (AppError::Invalid(_) | AppError::Conflict { .. })) => {
            let why = super::said(&e);
            page(
                &state,
                &signed,
                StatusCode::UNPROCESSABLE_ENTITY,
                None,
                Some(&why),
                None,
            )
            .await
        }
        Err(e) => internal(e),
    }
}

pub async fn revoke(
    State(state): State<SharedState>,
    signed: Signed,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(f): Form<CsrfForm>,
) -> Response {
    if let Some(r) = signed.refused_admin_form(&state, &headers, Some(&f.csrf), WHAT) {
        return r;
    }
    let answer = match ApiKeyId::parse(id.clone()) {
        Ok(id) => service::revoke(state.ctx(), &signed.session.account_id, &id).await,
        Err(_) => Err(AppError::not_found("API key", &id)),
    };
    match layout::found(
        answer,
        (
            "No such key",
            "This key does not exist, or it was revoked already.",
        ),
    ) {
        Ok(()) => {
            tracing::info!(key = %id, user = %signed.session.user_id, "API key revoked in the app");
            Redirect::to("/app/api-keys?done=revoked").into_response()
        }
        Err(r) => r,
    }
}
