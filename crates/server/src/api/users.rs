//! Users: list, get, create, update, delete, and their scheduling availability.

use axum::{
    extract::{RawQuery, State},
    response::{IntoResponse, Response},
    routing::get,
    Json, Router,
};
use serde::Deserialize;
use slotline_domain::{id::kind, role::Role, schedule::parse_date};
use utoipa::{openapi::schema::Type, ToSchema};

use super::{
    auth::Principal,
    body::{not_null, required, Body, Describe, Input, Members, Strings},
    list::{self, Params},
    values::{AssignableRole, EmailAddress, PersonName, TimeZoneName},
};

use crate::{
    http::error::{AppError, AppResult, ErrorBody},
    http::path::PathId,
    state::SharedState,
    store::users,
    views::user::UserOut,
};

pub fn routes() -> Router<SharedState> {
    Router::new()
        .route("/users", get(list_users).post(create_user))
        .route(
            "/users/{id}",
            get(get_user).patch(update_user).delete(delete_user),
        )
        .route(
            "/users/{id}/scheduling-availability",
            get(get_availability).patch(patch_availability),
        )
}

/// Body of `POST /v2/users`. `timezone` is a Slotline extension.
#[derive(Deserialize, ToSchema)]
pub struct CreateUser {
    /// The user's email address, unique among the account's users.
    #[serde(deserialize_with = "required")]
    email: EmailAddress,
    #[serde(deserialize_with = "required")]
    first_name: PersonName<false>,
    #[serde(deserialize_with = "required")]
    #[schema(example = "Lovelace")]
    last_name: PersonName<false>,
    /// `Administrator`, `Member` (default) or `Team Manager`.
    #[serde(default, deserialize_with = "not_null")]
    role_name: Option<AssignableRole>,
    /// Ids of the teams the user belongs to.
    #[serde(default, deserialize_with = "not_null")]
    #[schema(example = json!(["TM-3W4X5Y6Z7A"]))]
    teams: Option<Strings>,
    /// Extension: the user's IANA time zone; defaults to the account's.
    #[serde(default, deserialize_with = "not_null")]
    timezone: Option<TimeZoneName>,
}

impl Input for CreateUser {
    const UNSUPPORTED: Option<&'static str> = Some("Unsupported fields");
}

/// Body of `PATCH /v2/users/{id}`; at least one field. `timezone` is a Slotline extension.
#[derive(Deserialize, ToSchema)]
pub struct UpdateUser {
    #[serde(default, deserialize_with = "not_null")]
    first_name: Option<PersonName<true>>,
    #[serde(default, deserialize_with = "not_null")]
    last_name: Option<PersonName<true>>,
    #[serde(default, deserialize_with = "not_null")]
    role_name: Option<AssignableRole>,
    /// Replaces all team assignments.
    #[serde(default, deserialize_with = "not_null")]
    teams: Option<Strings>,
    #[serde(default, deserialize_with = "not_null")]
    timezone: Option<TimeZoneName>,
}

impl Input for UpdateUser {
    const UNSUPPORTED: Option<&'static str> = Some("Unsupported field");
    const EMPTY: Option<&'static str> = Some("At least one field must be provided to update.");
}

/// The members of a change to a user's availability.
pub struct ScheduleMembers;

impl Describe for ScheduleMembers {
    const NAME: &'static str = "ScheduleChange";
    const ABOUT: &'static str = "The parts of the schedule to replace; absent ones are kept.";
    const MEMBERS: &'static [(&'static str, Type, &'static str)] = &[
        (
            "weekly",
            Type::Array,
            "The weekly hours: `{day, working_hours: [{start_time, end_time, locations?}]}` per day listed; days not listed keep theirs.",
        ),
        (
            "overrides",
            Type::Array,
            "Dates with other hours: `{date, working_hours}`; empty `working_hours` make the date unavailable.",
        ),
    ];
}

/// Body of `PATCH /v2/users/{id}/scheduling-availability`.
pub type ScheduleChange = Members<ScheduleMembers>;

fn no_such_user(id: &str) -> AppError {
    AppError::not_found("user", id)
}

#[utoipa::path(get, path = "/v2/users", operation_id = "list-all-users", tag = "Users",
    params(("email" = Option<String>, Query, description = "Only the user with this email"),
           ("limit" = Option<i64>, Query), ("after" = Option<String>, Query), ("before" = Option<String>, Query)),
    responses((status = 200, body = list::ListEnvelope<UserOut>), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody)))]
pub async fn list_users(
    State(state): State<SharedState>,
    p: Principal,
    RawQuery(q): RawQuery,
) -> AppResult<Response> {
    let params = Params::parse(q.as_deref());
    let req = params.page()?;
    let (rows, page) = users::list(
        &state.db,
        &p.account_id,
        params.email("email")?.as_deref(),
        &req,
    )
    .await?;
    let data: Vec<UserOut> = rows.into_iter().map(UserOut::from).collect();
    Ok(list::respond(
        &state.base_url,
        "/v2/users",
        &params,
        &req,
        &page,
        data,
    ))
}

#[utoipa::path(get, path = "/v2/users/{id}", operation_id = "get-a-single-user", tag = "Users",
    params(("id" = String, Path)),
    responses((status = 200, body = UserOut), (status = 404, body = ErrorBody)))]
pub async fn get_user(
    State(state): State<SharedState>,
    p: Principal,
    PathId(id): PathId<kind::User>,
) -> AppResult<Response> {
    let user = users::get(&state.db, &p.account_id, &id)
        .await?
        .ok_or_else(|| no_such_user(&id))?;
    if user.deleted {
        return Ok(list::redacted(&user.id, "user"));
    }
    Ok(Json(UserOut::from(user)).into_response())
}

#[utoipa::path(post, path = "/v2/users", operation_id = "add-a-new-user", tag = "Users", request_body = CreateUser,
    responses((status = 200, body = UserOut), (status = 400, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_user(
    State(state): State<SharedState>,
    p: Principal,
    Body(input): Body<CreateUser>,
) -> AppResult<Json<UserOut>> {
    let invite = crate::services::users::Invite {
        email: input.email.into_inner(),
        first_name: input.first_name.into_inner(),
        last_name: input.last_name.into_inner(),
        role: input.role_name.map_or(Role::Member, |r| r.0),
        teams: input.teams.map(|t| t.0).unwrap_or_default(),
        timezone: input.timezone.map(TimeZoneName::into_inner),
    };
    let user = crate::services::users::invite(state.ctx(), &p.account_id, invite).await?;
    Ok(Json(user.into()))
}

#[utoipa::path(patch, path = "/v2/users/{id}", operation_id = "update-a-user", tag = "Users", request_body = UpdateUser,
    params(("id" = String, Path)),
    responses((status = 200, body = UserOut), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 410, body = ErrorBody)))]
pub async fn update_user(
    State(state): State<SharedState>,
    p: Principal,
    PathId(id): PathId<kind::User>,
    // A malformed body is refused as such whoever the user is: the body is read first.
    Body(change): Body<UpdateUser>,
) -> AppResult<Json<UserOut>> {
    let patch = users::UserPatch {
        first_name: change.first_name.map(PersonName::into_inner),
        last_name: change.last_name.map(PersonName::into_inner),
        role: change.role_name.map(|r| r.0),
        teams: change.teams.map(|t| t.0),
        timezone: change.timezone.map(TimeZoneName::into_inner),
    };
    let user = crate::services::users::update(state.ctx(), &p.account_id, &id, patch).await?;
    Ok(Json(user.into()))
}

#[utoipa::path(delete, path = "/v2/users/{id}", operation_id = "delete-a-user", tag = "Users",
    params(("id" = String, Path)),
    responses((status = 200, body = list::DeletedObject), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn delete_user(
    State(state): State<SharedState>,
    p: Principal,
    PathId(id): PathId<kind::User>,
) -> AppResult<Json<list::DeletedObject>> {
    crate::services::users::remove(state.ctx(), &p.account_id, &id).await?;
    Ok(list::deleted(&id))
}

fn date_param(params: &Params, name: &str) -> AppResult<Option<jiff::civil::Date>> {
    params
        .get(name)
        .map(|raw| {
            parse_date(raw).ok_or_else(|| {
                AppError::invalid(
                    format!("Invalid date format for {name}. Expected format: YYYY-MM-DD"),
                    name,
                )
            })
        })
        .transpose()
}

#[utoipa::path(get, path = "/v2/users/{id}/scheduling-availability", operation_id = "get_user_scheduling_availability", tag = "Users",
    params(("id" = String, Path),
           ("overrides_start_time" = Option<String>, Query, description = "Only overrides on or after this date (YYYY-MM-DD)"),
           ("overrides_end_time" = Option<String>, Query, description = "Only overrides on or before this date (YYYY-MM-DD)")),
    responses((status = 200, description = "The schedule object"), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get_availability(
    State(state): State<SharedState>,
    p: Principal,
    PathId(id): PathId<kind::User>,
    RawQuery(q): RawQuery,
) -> AppResult<Json<serde_json::Value>> {
    let params = Params::parse(q.as_deref());
    params.only(&["overrides_start_time", "overrides_end_time"])?;
    let (from, to) = (
        date_param(&params, "overrides_start_time")?,
        date_param(&params, "overrides_end_time")?,
    );
    let (schedule, tz, deleted) = users::schedule(&state.db, &p.account_id, &id)
        .await?
        .ok_or_else(|| no_such_user(&id))?;
    if deleted {
        return Err(no_such_user(&id));
    }
    Ok(Json(schedule.render(&tz, from, to)))
}

#[utoipa::path(patch, path = "/v2/users/{id}/scheduling-availability", operation_id = "patch_user_scheduling_availability", tag = "Users",
    params(("id" = String, Path)), request_body = ScheduleChange,
    responses((status = 200, description = "The whole schedule object"), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn patch_availability(
    State(state): State<SharedState>,
    p: Principal,
    PathId(id): PathId<kind::User>,
    Body(change): Body<ScheduleChange>,
) -> AppResult<Json<serde_json::Value>> {
    let (schedule, tz, deleted) = users::schedule(&state.db, &p.account_id, &id)
        .await?
        .ok_or_else(|| no_such_user(&id))?;
    if deleted {
        return Err(no_such_user(&id));
    }
    let zone = jiff::tz::TimeZone::get(&tz).unwrap_or(jiff::tz::TimeZone::UTC);
    let today = jiff::Timestamp::from_millisecond(state.now())
        .unwrap_or_default()
        .to_zoned(zone)
        .date();
    let next = schedule.apply_patch(&change.into_value(), today)?;
    users::set_schedule(&state.db, &p.account_id, &id, &next, state.now()).await?;
    Ok(Json(next.render(&tz, None, None)))
}
