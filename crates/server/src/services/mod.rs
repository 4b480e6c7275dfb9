//! What a request does beyond reading and writing one row: scheduling (availability, booking,
//! rescheduling, the lifecycle), chatbot conversations, and checking a guest's booking request.
//! A service takes a small [`Ctx`] (database, clock, public URL), never the app state, so that
//! the API, the public pages, the sweeper and tests call it the same way.

pub mod api_keys;
pub mod booking_calendars;
pub mod booking_pages;
pub mod booking_request;
pub mod calendar_connections;
pub mod chatbots;
pub mod conversations;
pub mod custom_fields;
pub mod event_stream;
pub mod event_types;
pub mod host_links;
pub mod master_pages;
pub mod meetings;
pub mod notify;
pub mod one_time_links;
pub mod retention;
pub mod scheduler;
pub mod sign_in;
pub mod single_sign_on;
pub mod teams;
pub mod users;
pub mod webhooks;

use slotline_domain::id::{Id, Kind};

use crate::{
    clock::Clock,
    http::error::{AppError, AppResult},
    store::Db,
};

/// `raw`, an id a body or form names, as an id of kind `K`; OnceHub's `No such …` for `param`
/// otherwise, the same answer as for an id of the right form that no object has.
pub fn named<K: Kind>(raw: &str, param: &str) -> AppResult<Id<K>> {
    Id::parse(raw).map_err(|_| AppError::invalid(format!("No such {}: '{raw}'", K::OBJECT), param))
}

/// What a service may use. Borrowed from the app state (`AppState::ctx`) for one call.
#[derive(Clone, Copy)]
pub struct Ctx<'a> {
    pub db: &'a Db,
    pub clock: &'a dyn Clock,
    /// Public base URL, no trailing slash (links in events and pages).
    pub base_url: &'a str,
    /// Where generated meeting rooms live (`--meeting-url`).
    pub meeting_url: &'a str,
    /// Webhooks may use `http://` on loopback (`--allow-http-webhooks`, for development).
    pub allow_http_webhooks: bool,
}

impl Ctx<'_> {
    pub fn now(&self) -> i64 {
        self.clock.now_ms()
    }
}
