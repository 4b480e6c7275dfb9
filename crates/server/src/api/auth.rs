//! The `API-Key` header (any letter case: header names are case-insensitive) and the per-account
//! rate limit, applied to every `/v2` operation.

use axum::{
    extract::{FromRequestParts, Request, State},
    http::request::Parts,
    middleware::Next,
    response::{IntoResponse, Response},
};
use governor::clock::{Clock as _, DefaultClock};

use crate::{http::error::AppError, state::SharedState, store::keys};

pub use keys::Principal;

const INVALID_KEY: &str = "Invalid API key.";

pub async fn require_key(
    State(state): State<SharedState>,
    mut req: Request,
    next: Next,
) -> Response {
    let Some(secret) = req
        .headers()
        .get("api-key")
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|s| !s.is_empty())
    else {
        return AppError::Unauthorized(INVALID_KEY).into_response();
    };
    let principal = match keys::authenticate(&state.db, secret).await {
        Ok(Some(p)) => p,
        Ok(None) => return AppError::Unauthorized(INVALID_KEY).into_response(),
        Err(e) => return AppError::from(e).into_response(),
    };
    if let Some(limiter) = &state.limiter {
        if let Err(not_until) = limiter.check_key(&principal.account_id) {
            let wait = not_until.wait_time_from(DefaultClock::default().now());
            return AppError::RateLimited {
                retry_after_secs: wait.as_secs_f64().ceil() as u64,
            }
            .into_response();
        }
    }
    state.key_use.note(&principal.key_id, state.now());
    req.extensions_mut().insert(principal);
    next.run(req).await
}

impl<S: Send + Sync> FromRequestParts<S> for Principal {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<Principal>()
            .cloned()
            .ok_or(AppError::Unauthorized(INVALID_KEY))
    }
}
