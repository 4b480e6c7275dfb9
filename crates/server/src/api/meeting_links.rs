//! Extension: a user's own meeting link (a personal room on any video service), which
//! `virtual_static` locations without a URL of their own give the bookings the user hosts.

use axum::{extract::State, routing::get, Json, Router};
use serde::{Deserialize, Serialize};
use slotline_domain::id::{kind, UserId};
use utoipa::ToSchema;

use super::{
    auth::Principal,
    body::{Body, Input},
};
use crate::{
    http::error::{AppError, AppResult, ErrorBody},
    http::path::PathId,
    state::SharedState,
    store::users,
};

pub fn routes() -> Router<SharedState> {
    Router::new().route(
        "/users/{id}/meeting-link",
        get(get_meeting_link).put(set_meeting_link),
    )
}

/// Extension: a user's own meeting link.
#[derive(Serialize, ToSchema)]
pub struct MeetingLinkOut {
    /// Always `meeting_link`.
    pub object: &'static str,
    pub user: UserId,
    /// Null when the user has none.
    #[schema(example = "https://meet.example.com/olive")]
    pub url: Option<String>,
}

/// Body of `PUT /v2/users/{id}/meeting-link`.
#[derive(Deserialize, ToSchema)]
pub struct MeetingLinkInput {
    /// An `https://` (or `http://`) link, at most 2,048 characters; null removes it.
    #[schema(example = "https://meet.example.com/olive")]
    url: Option<String>,
}

impl Input for MeetingLinkInput {
    const UNSUPPORTED: Option<&'static str> = Some("Unsupported fields");
}

#[utoipa::path(get, path = "/v2/users/{id}/meeting-link", operation_id = "get-a-users-meeting-link", tag = "Users",
    params(("id" = String, Path)),
    responses((status = 200, body = MeetingLinkOut), (status = 404, body = ErrorBody)))]
pub async fn get_meeting_link(
    State(state): State<SharedState>,
    p: Principal,
    PathId(id): PathId<kind::User>,
) -> AppResult<Json<MeetingLinkOut>> {
    let url = users::meeting_link(&state.db, &p.account_id, &id)
        .await?
        .ok_or_else(|| AppError::not_found("user", &id))?;
    Ok(Json(MeetingLinkOut {
        object: "meeting_link",
        user: id,
        url,
    }))
}

#[utoipa::path(put, path = "/v2/users/{id}/meeting-link", operation_id = "set-a-users-meeting-link", tag = "Users",
    params(("id" = String, Path)), request_body = MeetingLinkInput,
    responses((status = 200, body = MeetingLinkOut), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn set_meeting_link(
    State(state): State<SharedState>,
    p: Principal,
    PathId(id): PathId<kind::User>,
    Body(b): Body<MeetingLinkInput>,
) -> AppResult<Json<MeetingLinkOut>> {
    let url = b
        .url
        .map(|u| u.trim().to_string())
        .filter(|u| !u.is_empty());
    if let Some(u) = &url {
        let ok = u.len() <= 2048
            && url::Url::parse(u)
                .is_ok_and(|p| matches!(p.scheme(), "https" | "http") && p.host().is_some());
        if !ok {
            return Err(AppError::invalid(
                format!("Invalid url: '{u}'. A meeting link is an http(s) address of at most 2048 characters."),
                "url",
            ));
        }
    }
    if !users::set_meeting_link(&state.db, &p.account_id, &id, url.as_deref(), state.now()).await? {
        return Err(AppError::not_found("user", &id));
    }
    Ok(Json(MeetingLinkOut {
        object: "meeting_link",
        user: id,
        url,
    }))
}
