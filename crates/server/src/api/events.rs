//! Extension: the event log — every event Slotline wrote, as it is (or will be) delivered.

use axum::{
    extract::{RawQuery, State},
    http::header,
    response::{IntoResponse, Response},
    routing::get,
    Router,
};
use serde_json::value::RawValue;
use slotline_domain::id::kind;
use slotline_domain::webhook::{COMPOSITES, EVENT_TYPES};

use super::{
    auth::Principal,
    list::{self, Params},
};

use crate::{
    http::error::{AppError, AppResult, ErrorBody},
    http::path::PathId,
    state::SharedState,
    store::events,
};

pub fn routes() -> Router<SharedState> {
    Router::new()
        .route("/events", get(list_events))
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
