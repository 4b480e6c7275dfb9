//! Webhook subscriptions: create, list, get, delete.

use axum::{
    extract::{RawQuery, State},
    response::{IntoResponse, Response},
    routing::get,
    Json, Router,
};
use serde::{Deserialize, Serialize};
use slotline_domain::{
    id::{kind, WebhookId},
    time::format_millis,
    webhook,
};
use utoipa::ToSchema;

use super::{
    auth::Principal,
    body::{required, Body, Input, Strings},
    list::{self, Params},
};

use crate::{
    http::error::{AppError, AppResult, ErrorBody},
    http::path::PathId,
    state::SharedState,
    store::webhooks,
};

pub fn routes() -> Router<SharedState> {
    Router::new()
        .route("/webhooks", get(list_webhooks).post(create_webhook))
        .route("/webhooks/{id}", get(get_webhook).delete(delete_webhook))
}

#[derive(Serialize, ToSchema)]
#[schema(as = Webhook)]
pub struct WebhookOut {
    /// Always `webhook`.
    pub object: &'static str,
    pub id: WebhookId,
    /// `v2`: the version events are rendered in.
    pub api_version: String,
    pub name: String,
    /// Exactly as given at creation.
    pub url: String,
    /// Exactly as given at creation, composites (`booking`, `conversation`) included.
    pub events: Vec<String>,
    pub creation_time: String,
    /// Signing secret: 32 lowercase hex characters.
    pub secret: String,
    /// Extension: `enabled` or `disabled`.
    pub status: &'static str,
    /// Extension: why delivery was switched off, when it was.
    pub disabled_reason: Option<String>,
}

impl From<webhooks::Webhook> for WebhookOut {
    fn from(w: webhooks::Webhook) -> Self {
        WebhookOut {
            object: "webhook",
            id: w.id,
            api_version: w.api_version,
            name: w.name,
            url: w.url,
            events: w.events,
            creation_time: format_millis(w.creation_time),
            secret: w.secret,
            status: w.status.as_str(),
            disabled_reason: w.disabled_reason,
        }
    }
}

/// Body of `POST /v2/webhooks`. Other fields (OnceHub's schema admits them) are ignored; the
/// signing secret is always Slotline's own.
#[derive(Deserialize, ToSchema)]
pub struct CreateWebhook {
    /// Full `https://` URL that receives the events.
    #[serde(deserialize_with = "required")]
    #[schema(example = "https://example.com/hooks/slotline")]
    url: String,
    /// Unique in the account.
    #[serde(deserialize_with = "required")]
    #[schema(example = "CRM sync")]
    name: String,
    /// Event names, or the composites `booking` and `conversation`.
    #[serde(deserialize_with = "required")]
    #[schema(example = json!(["booking.scheduled", "booking.canceled"]))]
    events: Strings,
}

impl Input for CreateWebhook {}

#[utoipa::path(post, path = "/v2/webhooks", operation_id = "create-a-webhook", tag = "Webhooks", request_body = CreateWebhook,
    responses((status = 200, body = WebhookOut), (status = 400, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn create_webhook(
    State(state): State<SharedState>,
    p: Principal,
    Body(CreateWebhook {
        url,
        name,
        events: Strings(events),
    }): Body<CreateWebhook>,
) -> AppResult<Json<WebhookOut>> {
    webhook::validate_url(&url, state.allow_http_webhooks)?;
    webhook::validate_name(&name)?;
    webhook::validate_events(&events)?;
    let hook =
        webhooks::create(&state.db, &p.account_id, &name, &url, &events, state.now()).await?;
    Ok(Json(hook.into()))
}

#[utoipa::path(get, path = "/v2/webhooks", operation_id = "list-all-webhooks", tag = "Webhooks",
    params(("limit" = Option<i64>, Query), ("after" = Option<String>, Query), ("before" = Option<String>, Query)),
    responses((status = 200, body = list::ListEnvelope<WebhookOut>), (status = 400, body = ErrorBody)))]
pub async fn list_webhooks(
    State(state): State<SharedState>,
    p: Principal,
    RawQuery(q): RawQuery,
) -> AppResult<Response> {
    let params = Params::parse(q.as_deref());
    let req = params.page()?;
    let (rows, page) = webhooks::list(&state.db, &p.account_id, &req).await?;
    let data: Vec<WebhookOut> = rows.into_iter().map(WebhookOut::from).collect();
    Ok(list::respond(
        &state.base_url,
        "/v2/webhooks",
        &params,
        &req,
        &page,
        data,
    ))
}

#[utoipa::path(get, path = "/v2/webhooks/{id}", operation_id = "get-a-single-webhook", tag = "Webhooks", params(("id" = String, Path)),
    responses((status = 200, body = WebhookOut), (status = 404, body = ErrorBody)))]
pub async fn get_webhook(
    State(state): State<SharedState>,
    p: Principal,
    PathId(id): PathId<kind::Webhook>,
) -> AppResult<Response> {
    let hook = webhooks::get(&state.db, &p.account_id, &id)
        .await?
        .ok_or_else(|| AppError::not_found("webhook", &id))?;
    if hook.deleted {
        return Ok(list::redacted(&hook.id, "webhook"));
    }
    Ok(Json(WebhookOut::from(hook)).into_response())
}

#[utoipa::path(delete, path = "/v2/webhooks/{id}", operation_id = "delete-a-webhook", tag = "Webhooks", params(("id" = String, Path)),
    responses((status = 200, body = list::DeletedObject), (status = 404, body = ErrorBody)))]
pub async fn delete_webhook(
    State(state): State<SharedState>,
    p: Principal,
    PathId(id): PathId<kind::Webhook>,
) -> AppResult<Json<list::DeletedObject>> {
    if !webhooks::delete(&state.db, &p.account_id, &id).await? {
        return Err(AppError::not_found("webhook", &id));
    }
    Ok(list::deleted(&id))
}
