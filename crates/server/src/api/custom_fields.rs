//! Extension: the account's field library, which decides the custom fields contacts may carry.

use axum::{
    extract::{Path, State},
    routing::{delete, get},
    Json, Router,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{
    auth::Principal,
    body::{not_null, Body, Input},
    list,
};
use crate::{
    http::error::{AppError, AppResult, ErrorBody},
    state::SharedState,
    store::custom_fields,
};

pub fn routes() -> Router<SharedState> {
    Router::new()
        .route("/custom-fields", get(list_fields).post(create_field))
        .route("/custom-fields/{name}", delete(delete_field))
}

#[derive(Serialize, ToSchema)]
#[schema(as = CustomField)]
pub struct FieldOut {
    /// Always `custom_field`.
    pub object: &'static str,
    /// The mapped field name used in `custom_fields` and booking forms.
    pub name: String,
    pub label: String,
}

/// Body of `POST /v2/custom-fields`.
#[derive(Deserialize, ToSchema)]
pub struct FieldInput {
    /// The field's key in contacts' `custom_fields`: up to 64 lowercase letters, digits and
    /// underscores, starting with a letter.
    #[schema(example = "industry", pattern = "^[a-z][a-z0-9_]{0,63}$")]
    name: String,
    /// What people see; defaults to the name.
    #[serde(default, deserialize_with = "not_null")]
    #[schema(example = "Industry")]
    label: Option<String>,
}

impl Input for FieldInput {
    const UNSUPPORTED: Option<&'static str> = Some("Unsupported fields");
}

fn out(f: custom_fields::CustomField) -> FieldOut {
    FieldOut {
        object: "custom_field",
        name: f.name,
        label: f.label,
    }
}

#[utoipa::path(get, path = "/v2/custom-fields", operation_id = "list-all-custom-fields", tag = "Contacts",
    responses((status = 200, body = list::ListEnvelope<FieldOut>)))]
pub async fn list_fields(
    State(state): State<SharedState>,
    p: Principal,
) -> AppResult<Json<list::ListEnvelope<FieldOut>>> {
    let data = custom_fields::list(&state.db, &p.account_id)
        .await?
        .into_iter()
        .map(out)
        .collect();
    Ok(Json(list::ListEnvelope {
        object: "list",
        data,
        has_more: false,
    }))
}

#[utoipa::path(post, path = "/v2/custom-fields", operation_id = "create-a-custom-field", tag = "Contacts", request_body = FieldInput,
    responses((status = 200, body = FieldOut), (status = 400, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn create_field(
    State(state): State<SharedState>,
    p: Principal,
    Body(FieldInput { name, label }): Body<FieldInput>,
) -> AppResult<Json<FieldOut>> {
    Ok(Json(out(crate::services::custom_fields::create(
        state.ctx(),
        &p.account_id,
        &name,
        label.as_deref(),
    )
    .await?)))
}

#[utoipa::path(delete, path = "/v2/custom-fields/{name}", operation_id = "delete-a-custom-field", tag = "Contacts",
    params(("name" = String, Path)), responses((status = 200, body = list::DeletedObject), (status = 404, body = ErrorBody)))]
pub async fn delete_field(
    State(state): State<SharedState>,
    p: Principal,
    Path(name): Path<String>,
) -> AppResult<Json<list::DeletedObject>> {
    if !custom_fields::delete(&state.db, &p.account_id, &name).await? {
        return Err(AppError::not_found("custom field", &name));
    }
    Ok(list::deleted(&name))
}
