//! Master pages: list and get as in OnceHub; create, update and delete are extensions.

use axum::{
    extract::{RawQuery, State},
    response::{IntoResponse, Response},
    routing::get,
    Json, Router,
};
use serde::{Deserialize, Serialize};
use slotline_domain::id::{kind, MasterPageId};
use utoipa::ToSchema;

use super::{
    auth::Principal,
    body::{not_null, Body, Input},
    list::{self, Params},
    values::{Label, Name, Slug},
};

use crate::{
    http::error::{AppResult, ErrorBody},
    http::path::PathId,
    services::master_pages as service,
    state::SharedState,
    store::master_pages::{self, MasterPagePatch},
};

pub fn routes() -> Router<SharedState> {
    Router::new()
        .route(
            "/master-pages",
            get(list_master_pages).post(create_master_page),
        )
        .route(
            "/master-pages/{id}",
            get(get_master_page)
                .patch(update_master_page)
                .delete(delete_master_page),
        )
}

#[derive(Serialize, ToSchema)]
#[schema(as = MasterPage)]
pub struct MasterPageOut {
    /// Always `master_page`.
    pub object: &'static str,
    pub id: MasterPageId,
    /// Customer-facing name.
    pub name: String,
    /// Internal label.
    pub label: String,
    /// Public URL.
    pub url: String,
    pub active: bool,
}

pub fn out(base_url: &str, m: master_pages::MasterPage) -> MasterPageOut {
    MasterPageOut {
        object: "master_page",
        url: format!("{base_url}/m/{}", m.slug),
        id: m.id,
        name: m.name,
        label: m.label,
        active: m.active,
    }
}

/// Body of `POST /v2/master-pages` (an extension).
#[derive(Deserialize, ToSchema)]
pub struct MasterPageInput {
    /// The page's name.
    name: Name,
    /// What guests see as the page's title; defaults to the name.
    #[serde(default, deserialize_with = "not_null")]
    label: Option<Label>,
    /// The last part of the public URL (`/m/<slug>`); made from the name when absent.
    #[serde(default, deserialize_with = "not_null")]
    slug: Option<Slug>,
    /// Whether guests can book through the page; defaults to true.
    #[serde(default)]
    #[schema(example = true)]
    active: Option<bool>,
}

impl Input for MasterPageInput {
    const UNSUPPORTED: Option<&'static str> = Some("Unsupported fields");
}

/// Body of `PATCH /v2/master-pages/{id}`: the fields to change, at least one.
#[derive(Deserialize, ToSchema)]
pub struct MasterPageChange {
    #[serde(default, deserialize_with = "not_null")]
    name: Option<Name>,
    #[serde(default, deserialize_with = "not_null")]
    label: Option<Label>,
    #[serde(default, deserialize_with = "not_null")]
    slug: Option<Slug>,
    #[serde(default)]
    active: Option<bool>,
}

impl Input for MasterPageChange {
    const UNSUPPORTED: Option<&'static str> = Some("Unsupported field");
    const EMPTY: Option<&'static str> = Some("At least one field must be provided to update.");
}

use service::not_found;

#[utoipa::path(get, path = "/v2/master-pages", operation_id = "list-all-master-pages", tag = "Master Pages",
    params(("limit" = Option<i64>, Query), ("after" = Option<String>, Query), ("before" = Option<String>, Query)),
    responses((status = 200, body = list::ListEnvelope<MasterPageOut>), (status = 400, body = ErrorBody)))]
pub async fn list_master_pages(
    State(state): State<SharedState>,
    p: Principal,
    RawQuery(q): RawQuery,
) -> AppResult<Response> {
    let params = Params::parse(q.as_deref());
    let req = params.page()?;
    let (rows, page) = master_pages::list(&state.db, &p.account_id, &req).await?;
    let data: Vec<MasterPageOut> = rows.into_iter().map(|m| out(&state.base_url, m)).collect();
    Ok(list::respond(
        &state.base_url,
        "/v2/master-pages",
        &params,
        &req,
        &page,
        data,
    ))
}

#[utoipa::path(get, path = "/v2/master-pages/{id}", operation_id = "get-a-single-master-page", tag = "Master Pages", params(("id" = String, Path)),
    responses((status = 200, body = MasterPageOut), (status = 404, body = ErrorBody)))]
pub async fn get_master_page(
    State(state): State<SharedState>,
    p: Principal,
    PathId(id): PathId<kind::MasterPage>,
) -> AppResult<Response> {
    let m = master_pages::get(&state.db, &p.account_id, &id)
        .await?
        .ok_or_else(|| not_found(&id))?;
    if m.deleted {
        return Ok(list::redacted(&m.id, "master_page"));
    }
    Ok(Json(out(&state.base_url, m)).into_response())
}

#[utoipa::path(post, path = "/v2/master-pages", operation_id = "create-a-master-page", tag = "Master Pages", request_body = MasterPageInput,
    responses((status = 200, body = MasterPageOut), (status = 400, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn create_master_page(
    State(state): State<SharedState>,
    p: Principal,
    Body(input): Body<MasterPageInput>,
) -> AppResult<Json<MasterPageOut>> {
    let new = service::NewMasterPage {
        name: input.name.into_inner(),
        label: input.label.map(Label::into_inner),
        slug: input.slug.map(Slug::into_inner),
        active: input.active,
    };
    let m = service::create(state.ctx(), &p.account_id, new).await?;
    Ok(Json(out(&state.base_url, m)))
}

#[utoipa::path(patch, path = "/v2/master-pages/{id}", operation_id = "update-a-master-page", tag = "Master Pages", request_body = MasterPageChange,
    params(("id" = String, Path)),
    responses((status = 200, body = MasterPageOut), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn update_master_page(
    State(state): State<SharedState>,
    p: Principal,
    PathId(id): PathId<kind::MasterPage>,
    Body(change): Body<MasterPageChange>,
) -> AppResult<Json<MasterPageOut>> {
    let patch = MasterPagePatch {
        name: change.name.map(Name::into_inner),
        label: change.label.map(Label::into_inner),
        slug: change.slug.map(Slug::into_inner),
        active: change.active,
    };
    let m = service::update(state.ctx(), &p.account_id, &id, patch).await?;
    Ok(Json(out(&state.base_url, m)))
}

#[utoipa::path(delete, path = "/v2/master-pages/{id}", operation_id = "delete-a-master-page", tag = "Master Pages", params(("id" = String, Path)),
    responses((status = 200, body = list::DeletedObject), (status = 404, body = ErrorBody)))]
pub async fn delete_master_page(
    State(state): State<SharedState>,
    p: Principal,
    PathId(id): PathId<kind::MasterPage>,
) -> AppResult<Json<list::DeletedObject>> {
    service::delete(state.ctx(), &p.account_id, &id).await?;
    Ok(list::deleted(&id))
}
