//! The `/v2` REST API: OnceHub's operations plus Slotline's marked extensions.
//! Handlers are thin: parse the request, call the store, render.

pub mod auth;
pub mod body;
pub mod booking_calendars;
pub mod booking_pages;
pub mod bookings;
pub mod chatbots;
pub mod contacts;
pub mod conversations;
pub mod custom_fields;
pub mod deliveries;
pub mod event_types;
pub mod events;
pub mod idempotency;
pub mod list;
pub mod master_pages;
pub mod one_time_links;
pub mod openapi;
pub mod request_id;
pub mod scheduling;
pub mod setup;
pub mod teams;
pub mod test_key;
pub mod users;
pub mod webhooks;

use axum::{
    extract::{DefaultBodyLimit, Request},
    middleware,
    response::IntoResponse,
    routing::get,
    Router,
};

use crate::{app::SharedState, error::AppError};

pub fn router(state: SharedState) -> Router {
    let v2 = Router::new()
        .route("/test", get(test_key::validate))
        .merge(users::routes())
        .merge(teams::routes())
        .merge(contacts::routes())
        .merge(webhooks::routes())
        .merge(custom_fields::routes())
        .merge(event_types::routes())
        .merge(master_pages::routes())
        .merge(booking_pages::routes())
        .merge(booking_calendars::routes())
        .merge(scheduling::routes())
        .merge(bookings::routes())
        .merge(events::routes())
        .merge(deliveries::routes())
        .merge(one_time_links::routes())
        .merge(chatbots::routes())
        .merge(conversations::routes())
        .route_layer(middleware::from_fn_with_state(
            state.clone(),
            idempotency::guard,
        ))
        .route_layer(middleware::from_fn_with_state(
            state.clone(),
            auth::require_key,
        ))
        .route("/openapi.json", get(openapi::serve));
    Router::new()
        .nest("/v2", v2)
        .merge(crate::web::routes())
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(state.body_limit))
        .layer(tower_http::timeout::RequestBodyTimeoutLayer::new(
            state.connections.idle_timeout,
        ))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            crate::request_limits::check,
        ))
        .layer(middleware::from_fn(crate::error::one_shape))
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
