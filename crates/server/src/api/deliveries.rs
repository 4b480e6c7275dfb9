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
    id::{kind, EventId, WebhookId},
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
    services::webhooks as service,
    state::SharedState,
    store::deliveries,
};

pub fn routes() -> Router<SharedState> {
    Router::new()
        .route("/webhooks/{id}/deliveries", get(list_deliveries))
        .route("/webhooks/{id}/recover", post(recover))
        .route("/webhooks/{id}/test", post(send_test))
        .route("/webhooks/{id}/enable", post(enable))
        .route("/webhooks/{id}/health", get(health))
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
    service::live(state.ctx(), &p.account_id, &id).await?;
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
    let webhook = match webhook {
        Some(w) => Some(
            WebhookId::parse(w.as_str())
                .map_err(|_| AppError::invalid(format!("Invalid webhook: {w}"), "webhook"))?,
        ),
        None => None,
    };
    let ids = service::redeliver(state.ctx(), &p.account_id, &id, webhook.as_ref()).await?;
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
    let since = slotline_domain::time::parse_instant(&since)
        .ok_or_else(|| AppError::invalid(format!("Invalid time: {since}"), "since"))?;
    // Nanoseconds in; a delivery created in the same millisecond counts as since.
    let since_ms = (since.div_euclid(1_000_000)).clamp(i64::MIN as i128, i64::MAX as i128) as i64;
    let n = service::recover(state.ctx(), &p.account_id, &id, since_ms).await?;
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
    let event = service::send_test(state.ctx(), &p.account_id, &id).await?;
    Ok(Json(TestSent { event }))
}

#[utoipa::path(post, path = "/v2/webhooks/{id}/enable", operation_id = "enable-a-webhook", tag = "Webhooks", params(("id" = String, Path)),
    responses((status = 200, body = WebhookOut), (status = 404, body = ErrorBody)))]
pub async fn enable(
    State(state): State<SharedState>,
    p: Principal,
    PathId(id): PathId<kind::Webhook>,
) -> AppResult<Json<WebhookOut>> {
    Ok(Json(
        service::enable(state.ctx(), &p.account_id, &id)
            .await?
            .into(),
    ))
}

/// Extension: a webhook's health over its latest deliveries.
#[derive(Serialize, ToSchema)]
pub struct HealthOut {
    /// Always `webhook_health`.
    pub object: &'static str,
    pub webhook: WebhookId,
    /// `enabled` or `disabled`.
    pub status: &'static str,
    pub disabled_reason: Option<String>,
    /// How many of the latest deliveries are weighed (at most 1,000), and their states.
    pub deliveries: usize,
    pub delivered: usize,
    pub pending: usize,
    pub failed: usize,
    /// Attempts of those deliveries, and the share that got a 2xx, in percent.
    pub attempts: usize,
    pub success_rate: Option<f64>,
    /// Attempt durations, milliseconds.
    pub latency_p50_ms: Option<i64>,
    pub latency_p95_ms: Option<i64>,
    pub latency_p99_ms: Option<i64>,
    /// The latest failed attempt.
    pub last_error: Option<LastError>,
    /// The oldest attempt weighed.
    pub since: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct LastError {
    pub attempt_time: String,
    pub status_code: Option<i64>,
    pub error_kind: Option<String>,
    pub error: Option<String>,
}

#[utoipa::path(get, path = "/v2/webhooks/{id}/health", operation_id = "get-webhook-health", tag = "Webhooks", params(("id" = String, Path)),
    responses((status = 200, body = HealthOut), (status = 404, body = ErrorBody)))]
pub async fn health(
    State(state): State<SharedState>,
    p: Principal,
    PathId(id): PathId<kind::Webhook>,
) -> AppResult<Json<HealthOut>> {
    let (hook, h) = service::health(state.ctx(), &p.account_id, &id).await?;
    Ok(Json(HealthOut {
        object: "webhook_health",
        webhook: hook.id,
        status: hook.status.as_str(),
        disabled_reason: hook.disabled_reason,
        deliveries: h.deliveries,
        delivered: h.delivered,
        pending: h.pending,
        failed: h.failed,
        attempts: h.attempts,
        success_rate: h.success_rate(),
        latency_p50_ms: h.p50_ms,
        latency_p95_ms: h.p95_ms,
        latency_p99_ms: h.p99_ms,
        last_error: h.last_error.map(|a| LastError {
            attempt_time: format_millis(a.attempt_time),
            status_code: a.status_code,
            error_kind: a.error_kind,
            error: a.error,
        }),
        since: h.since.map(format_millis),
    }))
}
