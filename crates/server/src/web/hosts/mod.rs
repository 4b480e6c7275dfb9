//! The hosts' app under `/app`: people of an account sign in with their email address and a
//! password and work in the browser — their bookings first. Pages are server-rendered like
//! the public pages, use the same services as the API, and are never framed by other sites.

pub mod availability;
pub mod booking;
pub mod bookings;
pub mod calendars;
pub mod layout;
pub mod password;
pub mod profile;
pub mod session;
pub mod sign_in;
pub mod users;

use axum::{
    response::Redirect,
    routing::{get, post},
    Router,
};

use crate::state::SharedState;

pub fn routes() -> Router<SharedState> {
    Router::new()
        .route("/app", get(|| async { Redirect::to("/app/bookings") }))
        .route("/app/sign-in", get(sign_in::show).post(sign_in::post))
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
        .route("/app/profile", get(profile::show).post(profile::save))
        .route("/app/profile/password", post(profile::change_password))
        .route("/app/users", get(users::list))
        .route("/app/users/invite", post(users::invite))
        .route("/app/users/{id}/role", post(users::change_role))
        .route("/app/users/{id}/remove", post(users::remove))
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
        .route("/app/bookings/{id}", get(booking::show))
        .route("/app/bookings/{id}/{action}", post(booking::act))
}
