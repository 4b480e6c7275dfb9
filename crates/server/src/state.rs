//! The state every handler shares: the database, the clock, limits and settings read once at
//! start. Services get a borrowed [`Ctx`] of it, never the whole.

use std::{num::NonZeroU32, sync::Arc};

use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use crate::{
    clock::{Clock, SystemClock},
    config::ServeConfig,
    services::Ctx,
    store::Db,
};

pub struct AppState {
    pub db: Db,
    pub clock: Arc<dyn Clock>,
    /// Public base URL, no trailing slash.
    pub base_url: String,
    /// Base of generated meeting rooms.
    pub meeting_url: String,
    pub limiter: Option<DefaultKeyedRateLimiter<slotline_domain::id::AccountId>>,
    /// Public booking posts per client address (see `web::guard`).
    pub post_limiter: Option<DefaultKeyedRateLimiter<std::net::IpAddr>>,
    /// Sign-in attempts and reset requests: per client address, and per email address.
    pub sign_in_by_address: DefaultKeyedRateLimiter<std::net::IpAddr>,
    pub sign_in_by_email: DefaultKeyedRateLimiter<String>,
    /// Signs the public pages' forms; read from the database at first use.
    pub form_key: tokio::sync::OnceCell<Vec<u8>>,
    pub body_limit: usize,
    pub allow_http_webhooks: bool,
    pub role: crate::config::Role,
    pub worker: crate::delivery::WorkerConfig,
    /// The message worker's settings; None when they could not be made (`ServeConfig::check`
    /// refuses such settings at start, so only embedders see it).
    pub messages: Option<crate::delivery::messages::MessageConfig>,
    /// The calendar worker's settings, with the key that seals calendar credentials; None when
    /// the key file cannot be read or made (logged at start).
    pub calendars: Option<crate::delivery::calendars::CalendarConfig>,
    /// A chatbot conversation whose visitor is silent this long is abandoned.
    pub conversation_idle_ms: i64,
    /// How long history is kept; the sweeper removes what is older.
    pub retention: crate::services::retention::Periods,
    /// How often the sweeper runs (tests shorten it).
    pub sweep_every: std::time::Duration,
    pub connections: crate::http::connections::Limits,
    /// API keys used since the sweeper last wrote when.
    pub key_use: crate::services::api_keys::KeyUse,
    /// The live event stream's reader of the log (run by `app::serve` where HTTP is served).
    pub event_hub: Arc<crate::services::event_stream::Hub>,
    /// The OpenID Connect provider for single sign-on, when configured.
    pub single_sign_on: Option<crate::services::single_sign_on::Provider>,
}

/// How often the sweeper completes bookings whose end has passed, abandons silent
/// conversations and purges expired links.
const SWEEP_EVERY: std::time::Duration = std::time::Duration::from_secs(30);

pub type SharedState = Arc<AppState>;

impl AppState {
    pub fn new(db: Db, config: &ServeConfig) -> AppState {
        AppState::with_clock(db, config, Arc::new(SystemClock))
    }

    pub fn with_clock(db: Db, config: &ServeConfig, clock: Arc<dyn Clock>) -> AppState {
        let limiter =
            NonZeroU32::new(config.rate_limit).map(|n| RateLimiter::keyed(Quota::per_second(n)));
        let post_limiter = NonZeroU32::new(config.booking_rate_limit)
            .map(|n| RateLimiter::keyed(Quota::per_minute(n)));
        // One name for this process's workers, webhooks and messages alike.
        let worker = config.worker();
        AppState {
            db,
            clock,
            base_url: config.base_url(),
            meeting_url: config.meeting_url.trim_end_matches('/').to_string(),
            limiter,
            post_limiter,
            // 30 at once from one address, then one every 2 s; 10 at once for one email
            // address, then one a minute: a person mistyping is never stopped, a guesser is.
            sign_in_by_address: RateLimiter::keyed(
                Quota::with_period(std::time::Duration::from_secs(2))
                    .expect("a period")
                    .allow_burst(NonZeroU32::new(30).expect("30")),
            ),
            sign_in_by_email: RateLimiter::keyed(
                Quota::per_minute(NonZeroU32::new(1).expect("1"))
                    .allow_burst(NonZeroU32::new(10).expect("10")),
            ),
            form_key: tokio::sync::OnceCell::new(),
            body_limit: config.body_limit,
            allow_http_webhooks: config.allow_http_webhooks,
            role: config.role,
            messages: config
                .messages(worker.name.clone())
                .map_err(|e| tracing::error!(error = %e, "messages cannot be sent"))
                .ok(),
            calendars: config
                .calendars(worker.name.clone())
                .map_err(|e| tracing::error!(error = %e, "calendars cannot be connected"))
                .ok(),
            worker,
            conversation_idle_ms: config.conversation_idle.max(1) as i64 * 1000,
            retention: config.retention(),
            sweep_every: SWEEP_EVERY,
            connections: config.connection_limits(),
            key_use: Default::default(),
            event_hub: Default::default(),
            single_sign_on: config
                .single_sign_on()
                .map_err(|e| tracing::error!(error = %e, "single sign-on is off"))
                .ok()
                .flatten(),
        }
    }

    pub fn now(&self) -> i64 {
        self.clock.now_ms()
    }

    /// What a service may use, for one call.
    pub fn ctx(&self) -> Ctx<'_> {
        Ctx {
            db: &self.db,
            clock: self.clock.as_ref(),
            base_url: &self.base_url,
            meeting_url: &self.meeting_url,
            allow_http_webhooks: self.allow_http_webhooks,
        }
    }
}
