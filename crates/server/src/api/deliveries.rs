//! Extensions: the delivery log of a webhook with every attempt, redelivery of an event,
//! recovery of a webhook's failed deliveries, a test event, and re-enabling a disabled webhook.

use axum::{
    extract::{RawQuery, State},
    response::Response,
    routing::{get, post},
    Json, Router,
};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use slotline_domain::{
    id::{kind, AccountId, EventId, WebhookId},
    time::format_millis,
    webhook::{DeliveryStatus, EVENT_TYPES},
};
use utoipa::ToSchema;

use super::{
    auth::Principal,
    body::{not_null, Body, Input},
    list::{self, Params},
    webhooks::WebhookOut,
};

use crate::{
    http::error::{AppError, AppResult, ErrorBody},
    http::path::PathId,
    state::SharedState,
    store::{deliveries, events, outbox::NewEvent, webhooks},
    views,
};

pub fn routes() -> Router<SharedState> {
    Router::new()
        .route("/webhooks/{id}/deliveries", get(list_deliveries))
        .route("/webhooks/{id}/recover", post(recover))
        .route("/webhooks/{id}/test", post(send_test))
        .route("/webhooks/{id}/enable", post(enable))
        .route("/events/{id}/redeliver", post(redeliver))
}

/// One attempt to deliver an event.
#[derive(Serialize, ToSchema)]
pub struct AttemptOut {
    pub attempt_time: String,
    pub duration_ms: i64,
    /// The endpoint's HTTP status, when it answered.
    pub status_code: Option<i64>,
    /// `address` (refused destination), `connect`, `timeout`, `tls`, `status` (not 2xx), `body`, `interrupted` (the worker
    /// stopped before recording the outcome); null on success.
    pub error_kind: Option<String>,
    pub error: Option<String>,
    #[schema(value_type = Object)]
    pub response_headers: Option<Value>,
    /// The first 16 KB.
    pub response_body: Option<String>,
    /// When this failure scheduled the next attempt.
    pub next_attempt_time: Option<String>,
    /// The worker process that made the attempt.
    pub worker: Option<String>,
}

/// Extension: one event's delivery to one webhook.
#[derive(Serialize, ToSchema)]
pub struct DeliveryOut {
    /// Always `delivery`.
    pub object: &'static str,
    pub id: String,
    pub event: EventId,
    pub event_type: String,
    pub webhook: WebhookId,
    /// `pending`, `delivered` or `failed`.
    pub status: &'static str,
    pub attempt_count: i64,
    pub next_attempt_time: Option<String>,
    pub last_attempt_time: Option<String>,
    pub delivered_time: Option<String>,
    pub creation_time: String,
    pub attempts: Vec<AttemptOut>,
}

impl From<deliveries::Delivery> for DeliveryOut {
    fn from(d: deliveries::Delivery) -> Self {
        DeliveryOut {
            object: "delivery",
            id: d.id,
            event: d.event_id,
            event_type: d.event_type,
            webhook: d.webhook_id,
            // A pending delivery's due time is pushed forward while it is being attempted.
            next_attempt_time: (d.status == DeliveryStatus::Pending)
                .then(|| d.next_attempt_time.map(format_millis))
                .flatten(),
            status: d.status.as_str(),
            attempt_count: d.attempts,
            last_attempt_time: d.last_attempt_time.map(format_millis),
            delivered_time: d.delivered_time.map(format_millis),
            creation_time: format_millis(d.creation_time),
            attempts: d
                .log
                .into_iter()
                .map(|a| AttemptOut {
                    attempt_time: format_millis(a.attempt_time),
                    duration_ms: a.duration_ms,
                    status_code: a.status_code,
                    error_kind: a.error_kind,
                    error: a.error,
                    response_headers: a
                        .response_headers
                        .and_then(|h| serde_json::from_str(&h).ok()),
                    response_body: a.response_body,
                    next_attempt_time: a.next_attempt_time.map(format_millis),
                    worker: a.worker,
                })
                .collect(),
        }
    }
}

async fn live_webhook(
    state: &SharedState,
    account_id: &AccountId,
    id: &WebhookId,
) -> AppResult<webhooks::Webhook> {
    match webhooks::get(&state.db, account_id, id).await? {
        Some(w) if !w.deleted => Ok(w),
        _ => Err(AppError::not_found("webhook", id)),
    }
}

/// Sending to a disabled webhook is refused: re-enabling it is a deliberate act.
fn enabled(hook: &webhooks::Webhook, param: &str) -> AppResult<()> {
    if hook.status == slotline_domain::webhook::WebhookStatus::Enabled {
        Ok(())
    } else {
        Err(AppError::invalid(
            "The webhook is disabled; enable it first.",
            param,
        ))
    }
}

#[utoipa::path(get, path = "/v2/webhooks/{id}/deliveries", operation_id = "list-webhook-deliveries", tag = "Webhooks",
    params(("id" = String, Path), ("status" = Option<String>, Query, description = "pending, delivered, failed; comma-separated"),
           ("type" = Option<String>, Query, description = "An event name"),
           ("creation_time.gt" = Option<String>, Query), ("creation_time.lt" = Option<String>, Query),
           ("limit" = Option<i64>, Query), ("after" = Option<String>, Query), ("before" = Option<String>, Query)),
    responses((status = 200, body = list::ListEnvelope<DeliveryOut>), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn list_deliveries(
    State(state): State<SharedState>,
    p: Principal,
    PathId(id): PathId<kind::Webhook>,
    RawQuery(q): RawQuery,
) -> AppResult<Response> {
    live_webhook(&state, &p.account_id, &id).await?;
    let params = Params::parse(q.as_deref());
    let req = params.page()?;
    let statuses = match params.get("status").filter(|s| !s.is_empty()) {
        None => None,
        Some(raw) => {
            let list: Vec<String> = raw
                .split(',')
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
                .collect();
            if let Some(bad) = list.iter().find(|s| DeliveryStatus::parse(s).is_none()) {
                return Err(AppError::invalid(
                    format!("Invalid status: {bad}"),
                    "status",
                ));
            }
            Some(list)
        }
    };
    let event_type = match params.get("type").filter(|s| !s.is_empty()) {
        Some(t) if EVENT_TYPES.contains(&t) || t == "webhook.test" => Some(t.to_string()),
        Some(t) => {
            return Err(AppError::invalid(
                format!("Invalid event type: {t}"),
                "type",
            ))
        }
        None => None,
    };
    let filter = deliveries::DeliveryFilter {
        statuses,
        event_type,
        creation: params.range("creation_time")?,
    };
    let (rows, page) = deliveries::list(&state.db, &p.account_id, &id, &filter, &req).await?;
    let data: Vec<DeliveryOut> = rows.into_iter().map(DeliveryOut::from).collect();
    Ok(list::respond(
        &state.base_url,
        &format!("/v2/webhooks/{id}/deliveries"),
        &params,
        &req,
        &page,
        data,
    ))
}

/// Answer of redeliver and recover.
#[derive(Serialize, ToSchema)]
pub struct Requeued {
    /// Deliveries queued to be sent now.
    pub deliveries: Vec<String>,
}

/// Body of `POST /v2/events/{id}/redeliver` (an extension).
#[derive(Deserialize, ToSchema)]
pub struct RedeliverInput {
    /// Send to this webhook only (subscribed to the event or not); every subscriber when absent.
    #[serde(default, deserialize_with = "not_null")]
    #[schema(example = "WHK-3W4X5Y6Z7A")]
    webhook: Option<String>,
}

impl Input for RedeliverInput {
    const UNSUPPORTED: Option<&'static str> = Some("Unsupported fields");
}

#[utoipa::path(post, path = "/v2/events/{id}/redeliver", operation_id = "redeliver-an-event", tag = "Events",
    params(("id" = String, Path)),
    request_body = RedeliverInput,
    responses((status = 200, body = Requeued), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn redeliver(
    State(state): State<SharedState>,
    p: Principal,
    PathId(id): PathId<kind::Event>,
    Body(RedeliverInput { webhook }): Body<RedeliverInput>,
) -> AppResult<Json<Requeued>> {
    let e = events::get(&state.db, &p.account_id, &id)
        .await?
        .ok_or_else(|| AppError::not_found("event", &id))?;
    let webhook = match webhook {
        Some(w) => {
            let invalid = || AppError::invalid(format!("Invalid webhook: {w}"), "webhook");
            let w = WebhookId::parse(w.as_str()).map_err(|_| invalid())?;
            let hook = live_webhook(&state, &p.account_id, &w)
                .await
                .map_err(|_| invalid())?;
            enabled(&hook, "webhook")?;
            Some(w)
        }
        None => None,
    };
    let event_type = EVENT_TYPES
        .iter()
        .copied()
        .find(|t| *t == e.event_type)
        .unwrap_or("webhook.test");
    let event = NewEvent {
        id: e.id,
        event_type,
        payload: e.payload,
        creation_time: e.creation_time,
    };
    let ids = deliveries::redeliver(
        &state.db,
        &p.account_id,
        &event,
        webhook.as_ref(),
        state.now(),
    )
    .await?;
    Ok(Json(Requeued { deliveries: ids }))
}

/// Answer of recover.
#[derive(Serialize, ToSchema)]
pub struct Recovered {
    /// How many failed deliveries were queued again.
    pub recovered: u64,
}

/// Body of `POST /v2/webhooks/{id}/recover` (an extension).
#[derive(Deserialize, ToSchema)]
pub struct RecoverInput {
    /// Failed deliveries of events created at or after this time are sent again.
    #[schema(example = "2026-12-01T00:00:00Z")]
    since: String,
}

impl Input for RecoverInput {
    const UNSUPPORTED: Option<&'static str> = Some("Unsupported fields");
}

#[utoipa::path(post, path = "/v2/webhooks/{id}/recover", operation_id = "recover-webhook-deliveries", tag = "Webhooks",
    params(("id" = String, Path)),
    request_body = RecoverInput,
    responses((status = 200, body = Recovered), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn recover(
    State(state): State<SharedState>,
    p: Principal,
    PathId(id): PathId<kind::Webhook>,
    Body(RecoverInput { since }): Body<RecoverInput>,
) -> AppResult<Json<Recovered>> {
    let hook = live_webhook(&state, &p.account_id, &id).await?;
    enabled(&hook, "id")?;
    let since = slotline_domain::time::parse_instant(&since)
        .ok_or_else(|| AppError::invalid(format!("Invalid time: {since}"), "since"))?;
    // Nanoseconds in; a delivery created in the same millisecond counts as since.
    let since_ms = (since.div_euclid(1_000_000)).clamp(i64::MIN as i128, i64::MAX as i128) as i64;
    let n = deliveries::recover(&state.db, &p.account_id, &id, since_ms, state.now()).await?;
    Ok(Json(Recovered { recovered: n }))
}

/// Answer of the test operation.
#[derive(Serialize, ToSchema)]
pub struct TestSent {
    /// The `webhook.test` event queued for this webhook.
    pub event: EventId,
}

#[utoipa::path(post, path = "/v2/webhooks/{id}/test", operation_id = "send-a-test-event", tag = "Webhooks", params(("id" = String, Path)),
    responses((status = 200, body = TestSent), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn send_test(
    State(state): State<SharedState>,
    p: Principal,
    PathId(id): PathId<kind::Webhook>,
) -> AppResult<Json<TestSent>> {
    let hook = live_webhook(&state, &p.account_id, &id).await?;
    enabled(&hook, "id")?;
    let (id, now) = (EventId::new(), state.now());
    let data = views::event::webhook_test_data(&hook.id, &hook.name, &hook.url);
    let event = NewEvent {
        payload: views::event::envelope(&id, "webhook.test", now, data),
        id,
        event_type: "webhook.test",
        creation_time: now,
    };
    webhooks::send_test(&state.db, &p.account_id, &hook.id, &event).await?;
    Ok(Json(TestSent { event: event.id }))
}

#[utoipa::path(post, path = "/v2/webhooks/{id}/enable", operation_id = "enable-a-webhook", tag = "Webhooks", params(("id" = String, Path)),
    responses((status = 200, body = WebhookOut), (status = 404, body = ErrorBody)))]
pub async fn enable(
    State(state): State<SharedState>,
    p: Principal,
    PathId(id): PathId<kind::Webhook>,
) -> AppResult<Json<WebhookOut>> {
    if !webhooks::enable(&state.db, &p.account_id, &id).await? {
        return Err(AppError::not_found("webhook", &id));
    }
    Ok(Json(live_webhook(&state, &p.account_id, &id).await?.into()))
}
