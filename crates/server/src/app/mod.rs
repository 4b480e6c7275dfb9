//! The application assembled: the router (API, pages, the layers every request passes), the
//! OpenAPI document, and the server with its sweeper and delivery worker.

mod openapi;
mod router;

use std::sync::Arc;

pub use openapi::{document as openapi_document, EXTENSIONS};
pub use router::router;

use crate::{
    config::Role,
    state::{AppState, SharedState},
};

/// Serves until the process is stopped, with the background sweeper that completes bookings.
/// The database must already be migrated.
/// With `--role worker` the listener is not used; with `--role api` no webhooks or messages
/// are sent.
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
    let messenger = match (&state.messages, state.role != Role::Api) {
        (Some(m), true) => {
            tracing::info!(to = %m.mail.describe(), sms = m.sms.is_some(), "sending messages");
            Some(tokio::spawn(crate::delivery::messages::run(
                state.db.clone(),
                state.clock.clone(),
                m.clone(),
                reminder_words(state.clone()),
            )))
        }
        _ => None,
    };
    let calendars = match (&state.calendars, state.role != Role::Api) {
        (Some(c), true) => Some(tokio::spawn(crate::delivery::calendars::run(
            state.db.clone(),
            state.clock.clone(),
            c.clone(),
            host_calendar_events(state.clone()),
        ))),
        _ => None,
    };
    let last = state.clone();
    let served = if state.role == Role::Worker {
        drop(listener);
        shutdown_signal().await;
        Ok(())
    } else {
        let hub = state.event_hub.clone();
        // An API-only process has no delivery worker to hear other processes' commits.
        let stream = tokio::spawn(hub.clone().run(state.db.clone(), state.role == Role::Api));
        let limits = state.connections.clone();
        // Open event streams end when the server stops, so connections can close.
        let stopping = async move {
            shutdown_signal().await;
            hub.close();
        };
        let served =
            crate::http::connections::serve(listener, router(state), limits, stopping).await;
        stream.abort();
        served
    };
    sweeper.abort();
    // What keys were used since the last sweep is not lost at a clean stop.
    if let Err(e) = last.key_use.write(last.ctx()).await {
        tracing::warn!(error = %e, "recording when API keys were used failed at shutdown");
    }
    for w in [worker, messenger, calendars].into_iter().flatten() {
        w.abort();
    }
    served
}

/// How the message worker renders a reminder when it is due: by the message service.
fn reminder_words(state: SharedState) -> crate::delivery::messages::Render {
    Arc::new(move |c| {
        let state = state.clone();
        Box::pin(async move {
            crate::services::notify::words_due(state.ctx(), &c)
                .await
                .map_err(|e| e.to_string())
        })
    })
}

/// How the calendar worker renders a booking for a host's calendar: by the message service.
fn host_calendar_events(state: SharedState) -> crate::delivery::calendars::RenderEvent {
    Arc::new(move |account, booking, user| {
        let state = state.clone();
        Box::pin(async move {
            crate::services::notify::host_calendar_object(state.ctx(), &account, &booking, &user)
                .await
                .map_err(|e| e.to_string())
        })
    })
}

async fn sweep(state: SharedState) {
    let mut tick = tokio::time::interval(state.sweep_every);
    loop {
        tick.tick().await;
        match crate::services::scheduler::complete_due(state.ctx()).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(completed = n, "bookings completed"),
            Err(e) => tracing::warn!(error = %e, "completing bookings failed; will retry"),
        }
        match crate::services::conversations::abandon_idle(state.ctx(), state.conversation_idle_ms)
            .await
        {
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
        if let Err(e) = crate::store::sessions::purge_expired(&state.db, state.now(), 1_000).await {
            tracing::warn!(error = %e, "purging expired sessions failed; will retry");
        }
        if let Err(e) = state.key_use.write(state.ctx()).await {
            tracing::warn!(error = %e, "recording when API keys were used failed; will retry");
        }
        match crate::services::retention::sweep(state.ctx(), &state.retention).await {
            Ok(r) if r.any() => tracing::info!(
                attempts = r.attempts,
                events = r.events,
                deliveries = r.deliveries,
                idempotency = r.idempotency,
                "history older than its retention period removed"
            ),
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "removing old history failed; will retry"),
        }
        state.sign_in_by_address.retain_recent();
        state.sign_in_by_email.retain_recent();
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
