//! The hosts' app under `/app`: people of an account sign in with their email address and a
//! password and work in the browser — their bookings first. Pages are server-rendered like
//! the public pages, use the same services as the API, and are never framed by other sites.

pub mod api_keys;
pub mod availability;
pub mod booking;
pub mod booking_pages;
pub mod bookings;
pub mod calendars;
pub mod chatbots;
pub mod connections;
pub mod embed;
pub mod event_types;
pub mod events;
pub mod fields;
pub mod form_values;
pub mod layout;
pub mod master_pages;
pub mod password;
pub mod profile;
pub mod session;
pub mod settings_form;
pub mod sign_in;
pub mod single_sign_on;
pub mod teams;
pub mod users;
pub mod webhooks;

use axum::{
    response::Redirect,
    routing::{get, post},
    Router,
};

use crate::{http::error::AppError, state::SharedState};

/// A refusal in the words a page shows: OnceHub's message, without the API's `param`.
pub fn said(e: &AppError) -> String {
    match e {
        AppError::Invalid(i) => i.message.clone(),
        other => other.to_string(),
    }
}

pub fn routes() -> Router<SharedState> {
    Router::new()
        .route("/app", get(|| async { Redirect::to("/app/bookings") }))
        .route("/app/sign-in", get(sign_in::show).post(sign_in::post))
        .route("/app/sign-in/sso", get(single_sign_on::start))
        .route("/app/sign-in/sso/callback", get(single_sign_on::callback))
        .route("/app/sign-out", post(sign_in::sign_out))
        .route(
            "/app/sign-out-everywhere",
            post(sign_in::sign_out_everywhere),
        )
        .route(
            "/app/password/forgot",
            get(password::forgot).post(password::forgot_post),
        )
        .route(
            "/app/password/{token}",
            get(password::choose).post(password::choose_post),
        )
        .route("/app/availability", get(availability::show))
        .route("/app/availability/hours", post(availability::save_hours))
        .route("/app/availability/date", post(availability::save_date))
        .route("/app/availability/zone", post(availability::save_zone))
        .route("/app/calendar-connections", get(connections::show))
        .route("/app/calendar-connections/add", post(connections::add))
        .route("/app/calendar-connections/{id}", post(connections::save))
        .route(
            "/app/calendar-connections/{id}/sync",
            post(connections::sync),
        )
        .route(
            "/app/calendar-connections/{id}/remove",
            post(connections::remove),
        )
        .route("/app/profile", get(profile::show).post(profile::save))
        .route("/app/profile/password", post(profile::change_password))
        .route("/app/custom-fields", get(fields::list))
        .route("/app/custom-fields/new", post(fields::create))
        .route("/app/custom-fields/{name}/remove", post(fields::remove))
        .route("/app/teams", get(teams::list))
        .route("/app/teams/new", post(teams::create))
        .route("/app/teams/{id}", post(teams::save))
        .route("/app/teams/{id}/remove", post(teams::remove))
        .route("/app/users", get(users::list))
        .route("/app/users/invite", post(users::invite))
        .route("/app/users/{id}/role", post(users::change_role))
        .route("/app/users/{id}/remove", post(users::remove))
        .route("/app/users/{id}/invite-again", post(users::invite_again))
        .route("/app/bookings", get(bookings::list))
        .route("/app/calendars", get(calendars::list))
        .route(
            "/app/calendars/new",
            get(calendars::new_form).post(calendars::create),
        )
        .route(
            "/app/calendars/{id}",
            get(calendars::show).post(calendars::save),
        )
        .route(
            "/app/calendars/{id}/one-time-link",
            post(calendars::one_time_link),
        )
        .route(
            "/app/calendars/{id}/embed-preview",
            get(calendars::embed_preview),
        )
        .route("/app/pages", get(booking_pages::list))
        .route(
            "/app/pages/new",
            get(booking_pages::new_form).post(booking_pages::create),
        )
        .route(
            "/app/pages/{id}",
            get(booking_pages::show).post(booking_pages::save),
        )
        .route("/app/pages/{id}/remove", post(booking_pages::remove))
        .route(
            "/app/pages/{id}/embed-preview",
            get(booking_pages::embed_preview),
        )
        .route("/app/master-pages", get(master_pages::list))
        .route("/app/master-pages/new", post(master_pages::create))
        .route("/app/master-pages/{id}", post(master_pages::save))
        .route("/app/master-pages/{id}/remove", post(master_pages::remove))
        .route(
            "/app/master-pages/{id}/one-time-link",
            post(master_pages::one_time_link),
        )
        .route("/app/event-types", get(event_types::list))
        .route("/app/event-types/new", post(event_types::create))
        .route("/app/event-types/{id}", post(event_types::save))
        .route("/app/event-types/{id}/remove", post(event_types::remove))
        .route("/app/api-keys", get(api_keys::list))
        .route("/app/api-keys/new", post(api_keys::create))
        .route("/app/api-keys/{id}/revoke", post(api_keys::revoke))
        .route("/app/events", get(events::log))
        .route("/app/events/live", get(events::live))
        .route("/app/events/live/stream", get(events::live_stream))
        .route("/app/events/{id}", get(events::show))
        .route("/app/webhooks", get(webhooks::list))
        .route("/app/webhooks/new", post(webhooks::create))
        .route(
            "/app/webhooks/{id}",
            get(webhooks::show).post(webhooks::save),
        )
        .route("/app/webhooks/{id}/enable", post(webhooks::enable))
        .route("/app/webhooks/{id}/disable", post(webhooks::disable))
        .route("/app/webhooks/{id}/remove", post(webhooks::remove))
        .route("/app/webhooks/{id}/test", post(webhooks::test))
        .route("/app/webhooks/{id}/secret", post(webhooks::secret))
        .route("/app/webhooks/{id}/rotate", post(webhooks::rotate))
        .route(
            "/app/webhooks/{id}/deliveries",
            get(webhooks::deliveries_page),
        )
        .route("/app/webhooks/{id}/redeliver", post(webhooks::redeliver))
        .route("/app/webhooks/{id}/recover", post(webhooks::recover))
        .route(
            "/app/webhooks/{id}/events/{event}",
            get(webhooks::delivery_page),
        )
        .route("/app/chatbots", get(chatbots::show))
        .route("/app/chatbots/websites/new", post(chatbots::create_website))
        .route("/app/chatbots/bots/new", post(chatbots::create_bot))
        .route(
            "/app/chatbots/bots/{id}",
            get(chatbots::bot).post(chatbots::save_bot),
        )
        .route(
            "/app/chatbots/audiences/new",
            post(chatbots::create_audience),
        )
        .route("/app/chatbots/{what}/{id}/remove", post(chatbots::remove))
        .route("/app/bookings/{id}", get(booking::show))
        .route("/app/bookings/{id}/{action}", post(booking::act))
}
