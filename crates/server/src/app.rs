//! Builds the application: shared state, the router, and the listener.

use std::{num::NonZeroU32, sync::Arc};

use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use crate::{
    clock::{Clock, SystemClock},
    config::{Role, ServeConfig},
    store::Db,
};

pub struct AppState {
    pub db: Db,
    pub clock: Arc<dyn Clock>,
    /// Public base URL, no trailing slash.
    pub base_url: String,
    pub limiter: Option<DefaultKeyedRateLimiter<String>>,
    /// Public booking posts per client address (see `web::guard`).
    pub post_limiter: Option<DefaultKeyedRateLimiter<std::net::IpAddr>>,
    /// Signs the public pages' forms; read from the database at first use.
    pub form_key: tokio::sync::OnceCell<Vec<u8>>,
    pub body_limit: usize,
    pub allow_http_webhooks: bool,
    pub role: crate::config::Role,
    pub worker: crate::delivery::WorkerConfig,
    /// A chatbot conversation whose visitor is silent this long is abandoned.
    pub conversation_idle_ms: i64,
    /// How often the sweeper runs (tests shorten it).
    pub sweep_every: std::time::Duration,
    pub connections: crate::connections::Limits,
}

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
        AppState {
            db,
            clock,
            base_url: config.base_url(),
            limiter,
            post_limiter,
            form_key: tokio::sync::OnceCell::new(),
            body_limit: config.body_limit,
            allow_http_webhooks: config.allow_http_webhooks,
            role: config.role,
            worker: config.worker(),
            conversation_idle_ms: config.conversation_idle.max(1) as i64 * 1000,
            sweep_every: SWEEP_EVERY,
            connections: config.connection_limits(),
        }
    }

    pub fn now(&self) -> i64 {
        self.clock.now_ms()
    }
}

/// How often the sweeper completes bookings whose end has passed, abandons silent
/// conversations and purges expired links.
const SWEEP_EVERY: std::time::Duration = std::time::Duration::from_secs(30);

/// Serves until the process is stopped, with the background sweeper that completes bookings.
/// The database must already be migrated.
/// With `--role worker` the listener is not used; with `--role api` no webhooks are sent.
pub async fn serve(state: AppState, listener: tokio::net::TcpListener) -> std::io::Result<()> {
    let state = Arc::new(state);
    let sweeper = tokio::spawn(sweep(state.clone()));
    let worker = (state.role != Role::Api).then(|| {
        tokio::spawn(crate::delivery::run(
            state.db.clone(),
            state.clock.clone(),
            state.worker.clone(),
        ))
    });
    let served = if state.role == Role::Worker {
        drop(listener);
        shutdown_signal().await;
        Ok(())
    } else {
        let limits = state.connections.clone();
        crate::connections::serve(
            listener,
            crate::api::router(state),
            limits,
            shutdown_signal(),
        )
        .await
    };
    sweeper.abort();
    if let Some(w) = worker {
        w.abort();
    }
    served
}

async fn sweep(state: SharedState) {
    let mut tick = tokio::time::interval(state.sweep_every);
    loop {
        tick.tick().await;
        match crate::scheduler::complete_due(&state.db, &state.base_url, state.now()).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(completed = n, "bookings completed"),
            Err(e) => tracing::warn!(error = %e, "completing bookings failed; will retry"),
        }
        match crate::chat::abandon_idle(&state, state.conversation_idle_ms).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(abandoned = n, "conversations abandoned"),
            Err(e) => tracing::warn!(error = %e, "abandoning conversations failed; will retry"),
        }
        if let Err(e) = crate::store::one_time_links::purge_expired(&state.db, state.now()).await {
            tracing::warn!(error = %e, "purging expired one-time links failed; will retry");
        }
        if let Err(e) = crate::store::form_tokens::purge_expired(&state.db, state.now()).await {
            tracing::warn!(error = %e, "purging used form tokens failed; will retry");
        }
        // Forget the rate-limit state of accounts that have been quiet long enough to be full.
        if let Some(limiter) = &state.limiter {
            limiter.retain_recent();
            limiter.shrink_to_fit();
        }
        if let Some(limiter) = &state.post_limiter {
            limiter.retain_recent();
            limiter.shrink_to_fit();
        }
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
}
