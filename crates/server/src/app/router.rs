//! The one router: the API under `/v2` (its document at `/v2/openapi.json`), the pages, and the
//! layers every request passes, outermost last: request id, metrics, trace span, OnceHub's
//! error shape, size limits, body timeout and body limit.

use axum::{
    extract::{DefaultBodyLimit, Request},
    http::header,
    middleware,
    response::IntoResponse,
    routing::get,
    Router,
};

use crate::{
    http::{error::AppError, request_id},
    state::SharedState,
};

pub fn router(state: SharedState) -> Router {
    let v2 = crate::api::routes(state.clone()).route("/openapi.json", get(openapi_json));
    Router::new()
        .nest("/v2", v2)
        .merge(crate::web::routes())
        .route(
            "/docs",
            get(|| async { crate::web::docs::page(super::openapi_document()) }),
        )
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(state.body_limit))
        .layer(tower_http::timeout::RequestBodyTimeoutLayer::new(
            state.connections.idle_timeout,
        ))
        .layer(middleware::from_fn_with_state(
            state.body_limit,
            crate::http::limits::check,
        ))
        .layer(middleware::from_fn(crate::http::error::one_shape))
        .layer(
            tower_http::trace::TraceLayer::new_for_http()
                .make_span_with(crate::telemetry::request_span)
                .on_request(())
                .on_response(crate::telemetry::on_response)
                .on_body_chunk(())
                .on_eos(())
                .on_failure(()),
        )
        .layer(middleware::from_fn(crate::telemetry::count_request))
        .layer(middleware::from_fn(request_id::stamp))
        .with_state(state)
}

async fn openapi_json() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "application/json")],
        super::openapi_document(),
    )
}

async fn not_found(req: Request) -> impl IntoResponse {
    AppError::RouteNotFound(format!(
        "Unrecognized request URL ({}: {}).",
        req.method(),
        req.uri().path()
    ))
}

async fn method_not_allowed(req: Request) -> impl IntoResponse {
    AppError::MethodNotAllowed(format!(
        "Method {} is not allowed for {}.",
        req.method(),
        req.uri().path()
    ))
}
