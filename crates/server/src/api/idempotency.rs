//! `Idempotency-Key` (extension) on every POST: the same key with the same request within 24
//! hours answers with the first response and does not act again; with a different request it
//! is refused. Keys belong to an account.

use axum::{
    body::{to_bytes, Body},
    extract::{Request, State},
    http::{HeaderValue, Method, StatusCode},
    middleware::Next,
    response::{IntoResponse, Response},
};
use sha2::{Digest, Sha256};

use super::auth::Principal;
use crate::{
    http::error::AppError,
    state::SharedState,
    store::idempotency::{self, Claim},
};

const HEADER: &str = "idempotency-key";

pub async fn guard(State(state): State<SharedState>, req: Request, next: Next) -> Response {
    if req.method() != Method::POST {
        return next.run(req).await;
    }
    let Some(key) = req
        .headers()
        .get(HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
    else {
        return next.run(req).await;
    };
    if key.is_empty() || key.len() > 255 {
        return AppError::invalid(
            "Idempotency-Key must be 1 to 255 characters.",
            "Idempotency-Key",
        )
        .into_response();
    }
    let Some(principal) = req.extensions().get::<Principal>().cloned() else {
        return next.run(req).await;
    };
    let (parts, body) = req.into_parts();
    let bytes = match to_bytes(body, state.body_limit).await {
        Ok(b) => b,
        Err(_) => {
            return AppError::PayloadTooLarge {
                limit: state.body_limit,
            }
            .into_response()
        }
    };
    let mut hasher = Sha256::new();
    hasher.update(parts.uri.path().as_bytes());
    hasher.update([0]);
    hasher.update(&bytes);
    let hash = hex::encode(hasher.finalize());
    match idempotency::claim(&state.db, &principal.account_id, &key, &hash, state.now()).await {
        Err(e) => return AppError::from(e).into_response(),
        Ok(Claim::Mismatch) => {
            return AppError::invalid(
                "Keys for idempotent requests can only be used with the same parameters they were first used with.",
                "Idempotency-Key",
            )
            .into_response()
        }
        Ok(Claim::InFlight) => {
            return AppError::conflict("A request with this Idempotency-Key is still being processed.", "Idempotency-Key").into_response()
        }
        Ok(Claim::Replay { status, body }) => {
            let mut res =
                (StatusCode::from_u16(status).unwrap_or(StatusCode::OK), [("content-type", "application/json")], body).into_response();
            res.headers_mut().insert("idempotent-replayed", HeaderValue::from_static("true"));
            return res;
        }
        Ok(Claim::Fresh) => {}
    }
    let res = next
        .run(Request::from_parts(parts, Body::from(bytes)))
        .await;
    let (parts, body) = res.into_parts();
    let bytes = to_bytes(body, usize::MAX).await.unwrap_or_default();
    let outcome = if parts.status.is_server_error() {
        idempotency::release(&state.db, &principal.account_id, &key).await
    } else {
        idempotency::record(
            &state.db,
            &principal.account_id,
            &key,
            parts.status.as_u16(),
            &String::from_utf8_lossy(&bytes),
        )
        .await
    };
    if let Err(e) = outcome {
        tracing::warn!(error = %e, "could not record the idempotent response");
    }
    Response::from_parts(parts, Body::from(bytes))
}
