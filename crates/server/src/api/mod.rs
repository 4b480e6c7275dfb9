//! The `/v2` REST API: OnceHub's operations plus Slotline's marked extensions.
//! Handlers are thin: parse the request, call a service or the store, render a view.
//! `routes()` is the API's router; `app` nests it under `/v2` with the layers every request
//! passes and its OpenAPI document.

pub mod auth;
pub mod body;
pub mod booking_calendars;
pub mod booking_pages;
pub mod bookings;
pub mod calendar_connections;
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
pub mod meeting_links;
pub mod notifications;
pub mod one_time_links;
pub mod scheduling;
pub mod setup;
pub mod teams;
pub mod test_key;
pub mod users;
pub mod values;
pub mod webhooks;

use axum::{middleware, routing::get, Router};

use crate::state::SharedState;

/// Every `/v2` operation, behind the key check and the idempotency guard.
pub fn routes(state: SharedState) -> Router<SharedState> {
    Router::new()
        .route("/test", get(test_key::validate))
        .merge(users::routes())
        .merge(calendar_connections::routes())
        .merge(meeting_links::routes())
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
        .merge(notifications::routes())
        .route_layer(middleware::from_fn_with_state(
            state.clone(),
            idempotency::guard,
        ))
        .route_layer(middleware::from_fn_with_state(state, auth::require_key))
}
