//! Webhook subscriptions: create, list, get, delete; and the extensions: change one, switch it
//! off, rotate its secret.

use axum::{
    extract::{RawQuery, State},
    response::{IntoResponse, Response},
    routing::{get, post},
    Json, Router,
};
use serde::{Deserialize, Serialize};
use slotline_domain::{
    id::{kind, WebhookId},
    time::format_millis,
};
use utoipa::ToSchema;

use super::{
    auth::Principal,
    body::{not_null, required, Body, Input, Strings},
    list::{self, Params},
};

use crate::{
    http::error::{AppError, AppResult, ErrorBody},
    http::path::PathId,
    services::webhooks as service,
    state::SharedState,
    store::webhooks,
};

pub fn routes() -> Router<SharedState> {
    Router::new()
        .route("/webhooks", get(list_webhooks).post(create_webhook))
        .route(
            "/webhooks/{id}",
            get(get_webhook)
                .delete(delete_webhook)
                .patch(update_webhook),
        )
        .route("/webhooks/{id}/disable", post(disable_webhook))
        .route("/webhooks/{id}/rotate-secret", post(rotate_secret))
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
    /// Extension: events of one booking are delivered in order, each after the previous one
    /// succeeded or gave up.
    pub fifo: bool,
    /// Extension: after a rotation, until when deliveries are also signed with the previous
    /// secret; null when none is.
    pub previous_secret_expiry: Option<String>,
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
            fifo: w.fifo,
            previous_secret_expiry: w.previous_secret.map(|(_, t)| format_millis(t)),
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
    /// Extension: deliver the events of one booking in order (default false).
    #[serde(default, deserialize_with = "not_null")]
    fifo: Option<bool>,
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
        fifo,
    }): Body<CreateWebhook>,
) -> AppResult<Json<WebhookOut>> {
    let draft = service::Draft {
        name: &name,
        url: &url,
        events: &events,
        fifo: fifo.unwrap_or(false),
    };
    let hook = service::create(state.ctx(), &p.account_id, &draft).await?;
    Ok(Json(hook.into()))
}

/// Body of `PATCH /v2/webhooks/{id}` (an extension: OnceHub has no update). Absent fields keep
/// their value.
#[derive(Deserialize, ToSchema)]
pub struct UpdateWebhook {
    #[serde(default, deserialize_with = "not_null")]
    #[schema(example = "https://example.com/hooks/slotline-v2")]
    url: Option<String>,
    #[serde(default, deserialize_with = "not_null")]
    #[schema(example = "CRM sync")]
    name: Option<String>,
    #[serde(default, deserialize_with = "not_null")]
    #[schema(value_type = Option<Vec<String>>, example = json!(["booking"]))]
    events: Option<Strings>,
    #[serde(default, deserialize_with = "not_null")]
    fifo: Option<bool>,
}

impl Input for UpdateWebhook {
    const UNSUPPORTED: Option<&'static str> = Some("Unsupported fields");
    const EMPTY: Option<&'static str> = Some("At least one field must be provided to update.");
}

#[utoipa::path(patch, path = "/v2/webhooks/{id}", operation_id = "update-a-webhook", tag = "Webhooks", params(("id" = String, Path)),
    request_body = UpdateWebhook,
    responses((status = 200, body = WebhookOut), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn update_webhook(
    State(state): State<SharedState>,
    p: Principal,
    PathId(id): PathId<kind::Webhook>,
    Body(input): Body<UpdateWebhook>,
) -> AppResult<Json<WebhookOut>> {
    let patch = webhooks::WebhookPatch {
        name: input.name,
        url: input.url,
        events: input.events.map(|Strings(e)| e),
        fifo: input.fifo,
    };
    let hook = service::update(state.ctx(), &p.account_id, &id, patch).await?;
    Ok(Json(hook.into()))
}

#[utoipa::path(post, path = "/v2/webhooks/{id}/disable", operation_id = "disable-a-webhook", tag = "Webhooks", params(("id" = String, Path)),
    responses((status = 200, body = WebhookOut), (status = 404, body = ErrorBody)))]
pub async fn disable_webhook(
    State(state): State<SharedState>,
    p: Principal,
    PathId(id): PathId<kind::Webhook>,
) -> AppResult<Json<WebhookOut>> {
    let by = format!("API key {}", p.key_id);
    let hook = service::disable(state.ctx(), &p.account_id, &id, &by).await?;
    Ok(Json(hook.into()))
}

/// Body of `POST /v2/webhooks/{id}/rotate-secret` (an extension).
#[derive(Deserialize, ToSchema)]
pub struct RotateSecret {
    /// Seconds during which deliveries are signed with the previous secret too (0 to 604800,
    /// default 86400).
    #[serde(default, deserialize_with = "not_null")]
    #[schema(example = 86400)]
    grace_period: Option<i64>,
}

impl Input for RotateSecret {
    const UNSUPPORTED: Option<&'static str> = Some("Unsupported fields");
}

#[utoipa::path(post, path = "/v2/webhooks/{id}/rotate-secret", operation_id = "rotate-a-webhook-secret", tag = "Webhooks", params(("id" = String, Path)),
    request_body = RotateSecret,
    responses((status = 200, body = WebhookOut), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn rotate_secret(
    State(state): State<SharedState>,
    p: Principal,
    PathId(id): PathId<kind::Webhook>,
    Body(RotateSecret { grace_period }): Body<RotateSecret>,
) -> AppResult<Json<WebhookOut>> {
    let grace = grace_period.unwrap_or(service::DEFAULT_GRACE_SECS);
    let hook = service::rotate_secret(state.ctx(), &p.account_id, &id, grace).await?;
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
    service::delete(state.ctx(), &p.account_id, &id).await?;
    Ok(list::deleted(&id))
}
