//! Event types: list and get as in OnceHub; create, update and delete are extensions.

use axum::{
    extract::{RawQuery, State},
    response::{IntoResponse, Response},
    routing::get,
    Json, Router,
};
use serde::{Deserialize, Serialize};
use slotline_domain::id::{kind, EventTypeId};
use utoipa::ToSchema;

use super::{
    auth::Principal,
    body::{not_null, Body, Input},
    list::{self, Params},
    values::{Description, Name},
};

use crate::{
    http::error::{AppResult, ErrorBody},
    http::path::PathId,
    services::event_types as service,
    state::SharedState,
    store::event_types::{self, EventTypePatch},
};

pub fn routes() -> Router<SharedState> {
    Router::new()
        .route(
            "/event-types",
            get(list_event_types).post(create_event_type),
        )
        .route(
            "/event-types/{id}",
            get(get_event_type)
                .patch(update_event_type)
                .delete(delete_event_type),
        )
}

#[derive(Serialize, ToSchema)]
#[schema(as = EventType)]
pub struct EventTypeOut {
    /// Always `event_type`.
    pub object: &'static str,
    pub id: EventTypeId,
    pub name: String,
    pub description: String,
}

impl From<event_types::EventType> for EventTypeOut {
    fn from(e: event_types::EventType) -> Self {
        EventTypeOut {
            object: "event_type",
            id: e.id,
            name: e.name,
            description: e.description,
        }
    }
}

/// Body of `POST /v2/event-types` (an extension).
#[derive(Deserialize, ToSchema)]
pub struct EventTypeInput {
    /// The event type's name, as guests see it.
    name: Name,
    /// What the meeting is about; empty when absent.
    #[serde(default, deserialize_with = "not_null")]
    #[schema(example = "An in-depth look at the product.")]
    description: Option<Description>,
}

impl Input for EventTypeInput {
    const UNSUPPORTED: Option<&'static str> = Some("Unsupported fields");
}

/// Body of `PATCH /v2/event-types/{id}`: the fields to change, at least one.
#[derive(Deserialize, ToSchema)]
pub struct EventTypeChange {
    #[serde(default, deserialize_with = "not_null")]
    name: Option<Name>,
    #[serde(default, deserialize_with = "not_null")]
    description: Option<Description>,
}

impl Input for EventTypeChange {
    const UNSUPPORTED: Option<&'static str> = Some("Unsupported field");
    const EMPTY: Option<&'static str> = Some("At least one field must be provided to update.");
}

use service::not_found;

#[utoipa::path(get, path = "/v2/event-types", operation_id = "list-all-event-types", tag = "Event Types",
    params(("limit" = Option<i64>, Query), ("after" = Option<String>, Query), ("before" = Option<String>, Query)),
    responses((status = 200, body = list::ListEnvelope<EventTypeOut>), (status = 400, body = ErrorBody)))]
pub async fn list_event_types(
    State(state): State<SharedState>,
    p: Principal,
    RawQuery(q): RawQuery,
) -> AppResult<Response> {
    let params = Params::parse(q.as_deref());
    let req = params.page()?;
    let (rows, page) = event_types::list(&state.db, &p.account_id, &req).await?;
    let data: Vec<EventTypeOut> = rows.into_iter().map(EventTypeOut::from).collect();
    Ok(list::respond(
        &state.base_url,
        "/v2/event-types",
        &params,
        &req,
        &page,
        data,
    ))
}

#[utoipa::path(get, path = "/v2/event-types/{id}", operation_id = "get-a-single-event-type", tag = "Event Types", params(("id" = String, Path)),
    responses((status = 200, body = EventTypeOut), (status = 404, body = ErrorBody)))]
pub async fn get_event_type(
    State(state): State<SharedState>,
    p: Principal,
    PathId(id): PathId<kind::EventType>,
) -> AppResult<Response> {
    let e = event_types::get(&state.db, &p.account_id, &id)
        .await?
        .ok_or_else(|| not_found(&id))?;
    if e.deleted {
        return Ok(list::redacted(&e.id, "event_type"));
    }
    Ok(Json(EventTypeOut::from(e)).into_response())
}

#[utoipa::path(post, path = "/v2/event-types", operation_id = "create-an-event-type", tag = "Event Types", request_body = EventTypeInput,
    responses((status = 200, body = EventTypeOut), (status = 400, body = ErrorBody)))]
pub async fn create_event_type(
    State(state): State<SharedState>,
    p: Principal,
    Body(input): Body<EventTypeInput>,
) -> AppResult<Json<EventTypeOut>> {
    let name = input.name.into_inner();
    let description = input
        .description
        .map(Description::into_inner)
        .unwrap_or_default();
    Ok(Json(
        service::create(state.ctx(), &p.account_id, &name, &description)
            .await?
            .into(),
    ))
}

#[utoipa::path(patch, path = "/v2/event-types/{id}", operation_id = "update-an-event-type", tag = "Event Types", request_body = EventTypeChange,
    params(("id" = String, Path)), responses((status = 200, body = EventTypeOut), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn update_event_type(
    State(state): State<SharedState>,
    p: Principal,
    PathId(id): PathId<kind::EventType>,
    Body(change): Body<EventTypeChange>,
) -> AppResult<Json<EventTypeOut>> {
    let patch = EventTypePatch {
        name: change.name.map(Name::into_inner),
        description: change.description.map(Description::into_inner),
    };
    Ok(Json(
        service::update(state.ctx(), &p.account_id, &id, patch)
            .await?
            .into(),
    ))
}

#[utoipa::path(delete, path = "/v2/event-types/{id}", operation_id = "delete-an-event-type", tag = "Event Types", params(("id" = String, Path)),
    responses((status = 200, body = list::DeletedObject), (status = 404, body = ErrorBody)))]
pub async fn delete_event_type(
    State(state): State<SharedState>,
    p: Principal,
    PathId(id): PathId<kind::EventType>,
) -> AppResult<Json<list::DeletedObject>> {
    service::delete(state.ctx(), &p.account_id, &id).await?;
    Ok(list::deleted(&id))
}
