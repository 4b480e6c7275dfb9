//! `/app/custom-fields` (the owner and administrators): the account's field library — the
//! custom fields contacts and booking forms may carry. Add one (a name, its key, and a label),
//! or remove one. The same rules as the API's `/v2/custom-fields`.

use axum::{
    extract::{Path, RawQuery, State},
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Redirect, Response},
    Form,
};
use maud::html;

use super::{
    layout::{self, Section},
    session::{CsrfForm, Signed},
};
use crate::{
    http::error::AppError,
    services::custom_fields as service,
    state::SharedState,
    store::custom_fields,
    web::{flow::internal, query::Query},
};

fn only_admins() -> Response {
    layout::only_admins("manage custom fields")
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
        Some("added") => Some("Field added."),
        Some("removed") => Some("Field removed."),
        _ => None,
    };
    page(&state, &signed, StatusCode::OK, notice, None, ("", "")).await
}

async fn page(
    state: &SharedState,
    signed: &Signed,
    status: StatusCode,
    notice: Option<&str>,
    error: Option<&str>,
    draft: (&str, &str),
) -> Response {
    let fields = match custom_fields::list(&state.db, &signed.session.account_id).await {
        Ok(f) => f,
        Err(e) => return internal(e),
    };
    let csrf = &signed.session.csrf;
    let body = html! {
        h1 { "Custom fields" }
        p.muted { "What contacts and booking forms may record beyond name and email: a booking calendar's questions and a contact's fields use these names." }
        @if let Some(n) = notice { div.card.notice role="status" { (n) } }
        @if let Some(e) = error { div.card.error role="alert" { (e) } }
        @if fields.is_empty() {
            p.card { "No custom fields yet." }
        } @else {
            table.list {
                caption.muted { "Custom fields" }
                thead { tr { th scope="col" { "Label" } th scope="col" { "Name (key)" } th scope="col" { "Remove" } } }
                tbody {
                    @for f in &fields {
                        tr {
                            td { (f.label) }
                            td { code { (f.name) } }
                            td {
                                form.inline method="post" action={ "/app/custom-fields/" (f.name) "/remove" } {
                                    input type="hidden" name="csrf" value=(csrf);
                                    button.danger type="submit" aria-label={ "Remove " (f.label) } { "Remove" }
                                }
                            }
                        }
                    }
                }
            }
        }
        h2 #new-field { "New field" }
        form.card method="post" action="/app/custom-fields/new" {
            input type="hidden" name="csrf" value=(csrf);
            div.fields {
                div { label for="label" { "Label" } input #label name="label" value=(draft.1) required maxlength=(service::MAX_LABEL); }
                div {
                    label for="name" { "Name (key)" }
                    input #name name="name" value=(draft.0) required maxlength="64" pattern="[a-z][a-z0-9_]*" aria-describedby="name-help";
                    p.muted #name-help { "Lowercase letters, digits and underscores, e.g. industry." }
                }
            }
            button.primary type="submit" { "Add" }
        }
    };
    layout::respond(
        status,
        layout::page("Custom fields", signed, Section::Fields, body),
    )
}

#[derive(serde::Deserialize)]
pub struct NewForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    label: String,
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
    let name = f.name.trim();
    match service::create(
        state.ctx(),
        &signed.session.account_id,
        name,
        Some(&f.label),
    )
    .await
    {
        Ok(_) => Redirect::to("/app/custom-fields?done=added").into_response(),
        Err(AppError::Internal(e)) => internal(e),
        Err(e) => {
            let why = super::said(&e);
            page(
                &state,
                &signed,
                StatusCode::UNPROCESSABLE_ENTITY,
                None,
                Some(&why),
                (name, &f.label),
            )
            .await
        }
    }
}

pub async fn remove(
    State(state): State<SharedState>,
    signed: Signed,
    headers: HeaderMap,
    Path(name): Path<String>,
    Form(f): Form<CsrfForm>,
) -> Response {
    if let Some(r) = signed.refused_form(&state, &headers, Some(&f.csrf)) {
        return r;
    }
    if !signed.is_admin() {
        return only_admins();
    }
    match custom_fields::delete(&state.db, &signed.session.account_id, &name).await {
        Ok(true) => Redirect::to("/app/custom-fields?done=removed").into_response(),
        Ok(false) => layout::message(
            StatusCode::NOT_FOUND,
            "No such field",
            "This field does not exist.",
        ),
        Err(e) => internal(e),
    }
}
