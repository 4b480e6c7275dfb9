//! Teams: list and get as in OnceHub; create, rename and delete are Slotline extensions.

use axum::{
    extract::{RawQuery, State},
    response::{IntoResponse, Response},
    routing::get,
    Json, Router,
};
use serde::{Deserialize, Serialize};
use slotline_domain::id::{kind, TeamId};
use utoipa::ToSchema;

use super::{
    auth::Principal,
    body::{Body, Input},
    list::{self, Params},
};

use crate::{
    http::error::{AppError, AppResult, ErrorBody},
    http::path::PathId,
    state::SharedState,
    store::teams,
};

pub fn routes() -> Router<SharedState> {
    Router::new()
        .route("/teams", get(list_teams).post(create_team))
        .route(
            "/teams/{id}",
            get(get_team).patch(update_team).delete(delete_team),
        )
}

#[derive(Serialize, ToSchema)]
#[schema(as = Team)]
pub struct TeamOut {
    /// Always `team`.
    pub object: &'static str,
    pub id: TeamId,
    pub name: String,
}

impl From<teams::Team> for TeamOut {
    fn from(t: teams::Team) -> Self {
        TeamOut {
            object: "team",
            id: t.id,
            name: t.name,
        }
    }
}

/// Body of the team extensions (create and rename).
#[derive(Deserialize, ToSchema)]
pub struct TeamInput {
    /// The team's name, 1 to 200 characters (surrounding spaces are dropped).
    #[schema(example = "Sales")]
    name: String,
}

impl Input for TeamInput {
    const UNSUPPORTED: Option<&'static str> = Some("Unsupported fields");
}

fn team_name(input: TeamInput) -> AppResult<String> {
    crate::services::teams::name_of(&input.name)
}

#[utoipa::path(get, path = "/v2/teams", operation_id = "list-all-teams", tag = "Teams",
    params(("user" = Option<String>, Query, description = "Only teams this user belongs to"),
           ("limit" = Option<i64>, Query), ("after" = Option<String>, Query), ("before" = Option<String>, Query)),
    responses((status = 200, body = list::ListEnvelope<TeamOut>), (status = 400, body = ErrorBody)))]
pub async fn list_teams(
    State(state): State<SharedState>,
    p: Principal,
    RawQuery(q): RawQuery,
) -> AppResult<Response> {
    let params = Params::parse(q.as_deref());
    let req = params.page()?;
    let (rows, page) = teams::list(
        &state.db,
        &p.account_id,
        params.id::<kind::User>("user")?.as_ref(),
        &req,
    )
    .await?;
    let data: Vec<TeamOut> = rows.into_iter().map(TeamOut::from).collect();
    Ok(list::respond(
        &state.base_url,
        "/v2/teams",
        &params,
        &req,
        &page,
        data,
    ))
}

#[utoipa::path(get, path = "/v2/teams/{id}", operation_id = "get-a-single-team", tag = "Teams", params(("id" = String, Path)),
    responses((status = 200, body = TeamOut), (status = 404, body = ErrorBody)))]
pub async fn get_team(
    State(state): State<SharedState>,
    p: Principal,
    PathId(id): PathId<kind::Team>,
) -> AppResult<Response> {
    let team = teams::get(&state.db, &p.account_id, &id)
        .await?
        .ok_or_else(|| AppError::not_found("team", &id))?;
    if team.deleted {
        return Ok(list::redacted(&team.id, "team"));
    }
    Ok(Json(TeamOut::from(team)).into_response())
}

#[utoipa::path(post, path = "/v2/teams", operation_id = "create-a-team", tag = "Teams", request_body = TeamInput,
    responses((status = 200, body = TeamOut), (status = 400, body = ErrorBody)))]
pub async fn create_team(
    State(state): State<SharedState>,
    p: Principal,
    Body(input): Body<TeamInput>,
) -> AppResult<Json<TeamOut>> {
    let name = team_name(input)?;
    Ok(Json(
        teams::create(&state.db, &p.account_id, &name, state.now())
            .await?
            .into(),
    ))
}

#[utoipa::path(patch, path = "/v2/teams/{id}", operation_id = "update-a-team", tag = "Teams", request_body = TeamInput,
    params(("id" = String, Path)), responses((status = 200, body = TeamOut), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn update_team(
    State(state): State<SharedState>,
    p: Principal,
    PathId(id): PathId<kind::Team>,
    Body(input): Body<TeamInput>,
) -> AppResult<Json<TeamOut>> {
    teams::get(&state.db, &p.account_id, &id)
        .await?
        .filter(|t| !t.deleted)
        .ok_or_else(|| AppError::not_found("team", &id))?;
    let name = team_name(input)?;
    if !teams::rename(&state.db, &p.account_id, &id, &name, state.now()).await? {
        return Err(AppError::not_found("team", &id));
    }
    Ok(Json(TeamOut {
        object: "team",
        id,
        name,
    }))
}

#[utoipa::path(delete, path = "/v2/teams/{id}", operation_id = "delete-a-team", tag = "Teams", params(("id" = String, Path)),
    responses((status = 200, body = list::DeletedObject), (status = 404, body = ErrorBody)))]
pub async fn delete_team(
    State(state): State<SharedState>,
    p: Principal,
    PathId(id): PathId<kind::Team>,
) -> AppResult<Json<list::DeletedObject>> {
    if !teams::delete(&state.db, &p.account_id, &id, state.now()).await? {
        return Err(AppError::not_found("team", &id));
    }
    Ok(list::deleted(&id))
}
