//! Extension: the event log — every event Slotline wrote, as it is (or will be) delivered.

use axum::response::sse::{Event, KeepAlive, Sse};
use axum::{
    extract::{RawQuery, State},
    http::header,
    response::{IntoResponse, Response},
    routing::get,
    Router,
};
use serde_json::value::RawValue;
use slotline_domain::id::{kind, EventId};
use slotline_domain::webhook::{COMPOSITES, EVENT_TYPES};

use super::{
    auth::Principal,
    list::{self, Params},
};

use crate::{
    http::error::{AppError, AppResult, ErrorBody},
    http::path::PathId,
    services::event_stream,
    state::SharedState,
    store::events,
};

pub fn routes() -> Router<SharedState> {
    Router::new()
        .route("/events", get(list_events))
        .route("/events/stream", get(stream_events))
        .route("/events/{id}", get(get_event))
}

/// `type` takes event names, comma-separated; the composites `booking` and `conversation`
/// stand for their whole family.
fn types(raw: Option<&str>) -> AppResult<Option<Vec<String>>> {
    let Some(raw) = raw.filter(|s| !s.is_empty()) else {
        return Ok(None);
    };
    let mut out = Vec::new();
    for t in raw.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        if COMPOSITES.contains(&t) {
            out.extend(
                EVENT_TYPES
                    .iter()
                    .filter(|e| e.starts_with(&format!("{t}.")))
                    .map(|e| e.to_string()),
            );
        } else if EVENT_TYPES.contains(&t) {
            out.push(t.to_string());
        } else {
            return Err(AppError::invalid(
                format!("Invalid event type: {t}"),
                "type",
            ));
        }
    }
    Ok(Some(out))
}

#[utoipa::path(get, path = "/v2/events", operation_id = "list-all-events", tag = "Events",
    params(("type" = Option<String>, Query, description = "Event names or composites, comma-separated"), ("booking" = Option<String>, Query),
           ("conversation" = Option<String>, Query), ("contact" = Option<String>, Query, description = "Events of the contact's bookings and conversations"),
           ("creation_time.gt" = Option<String>, Query), ("creation_time.lt" = Option<String>, Query),
           ("limit" = Option<i64>, Query), ("after" = Option<String>, Query), ("before" = Option<String>, Query)),
    responses((status = 200, description = "A list of event envelopes, newest first"), (status = 400, body = ErrorBody)))]
pub async fn list_events(
    State(state): State<SharedState>,
    p: Principal,
    RawQuery(q): RawQuery,
) -> AppResult<Response> {
    let params = Params::parse(q.as_deref());
    let req = params.page()?;
    let filter = events::EventFilter {
        types: types(params.get("type"))?,
        booking: params.id::<kind::Booking>("booking")?,
        conversation: params.id::<kind::Conversation>("conversation")?,
        contact: params.id::<kind::Contact>("contact")?,
        creation: params.range("creation_time")?,
    };
    let (rows, page) = events::list(&state.db, &p.account_id, &filter, &req).await?;
    let data = rows
        .into_iter()
        .map(|e| RawValue::from_string(e.payload))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(list::respond(
        &state.base_url,
        "/v2/events",
        &params,
        &req,
        &page,
        data,
    ))
}

#[utoipa::path(get, path = "/v2/events/{id}", operation_id = "get-a-single-event", tag = "Events", params(("id" = String, Path)),
    responses((status = 200, description = "The event envelope, byte for byte as delivered"), (status = 404, body = ErrorBody)))]
pub async fn get_event(
    State(state): State<SharedState>,
    p: Principal,
    PathId(id): PathId<kind::Event>,
) -> AppResult<Response> {
    let e = events::get(&state.db, &p.account_id, &id)
        .await?
        .ok_or_else(|| AppError::not_found("event", &id))?;
    Ok(([(header::CONTENT_TYPE, "application/json")], e.payload).into_response())
}

/// The name of the header an `EventSource` sends when it reconnects.
const LAST_EVENT_ID: &str = "last-event-id";

#[utoipa::path(get, path = "/v2/events/stream", operation_id = "stream-events", tag = "Events",
    params(("type" = Option<String>, Query, description = "Event names or composites, comma-separated"),
           ("Last-Event-ID" = Option<String>, Header, description = "Resume after this event (what the stream sent as `id`); from now on when absent"),
           ("after" = Option<String>, Query, description = "The same as `Last-Event-ID`, for clients that cannot set headers")),
    responses((status = 200, description = "Server-sent events: each with `id` (the event id), `event` (its type) and `data` (its envelope, byte for byte as delivered), in the log's order; a comment every 15 s keeps the connection open", content_type = "text/event-stream"),
              (status = 400, body = ErrorBody)))]
pub async fn stream_events(
    State(state): State<SharedState>,
    p: Principal,
    headers: axum::http::HeaderMap,
    RawQuery(q): RawQuery,
) -> AppResult<Response> {
    let params = Params::parse(q.as_deref());
    let after = headers
        .get(LAST_EVENT_ID)
        .and_then(|v| v.to_str().ok())
        .or_else(|| params.get("after"))
        .map(str::trim)
        .filter(|s| !s.is_empty());
    let after =
        match after {
            Some(raw) => Some(EventId::parse(raw.to_string()).map_err(|_| {
                AppError::invalid(format!("No such event: '{raw}'"), "Last-Event-ID")
            })?),
            None => None,
        };
    let sub = event_stream::Subscription {
        account_id: p.account_id.clone(),
        after,
        types: types(params.get("type"))?,
    };
    let rx = event_stream::subscribe(&state.event_hub, &state.db, sub).await?;
    let stream = futures_util::stream::unfold(rx, |mut rx| async move {
        let e = rx.recv().await?;
        let sse = Event::default()
            .id(e.id.as_str())
            .event(e.event_type.as_str())
            .data(&*e.payload);
        Some((Ok::<_, std::convert::Infallible>(sse), rx))
    });
    Ok(Sse::new(stream)
        .keep_alive(KeepAlive::new().interval(std::time::Duration::from_secs(15)))
        .into_response())
}
