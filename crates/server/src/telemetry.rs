//! What the server tells its operator: logs (text or JSON lines, on stderr) and one span per
//! request, so that every log line written while a request runs carries its `Request-Id`, method
//! and matched route, and its completion (at debug level) its status and latency.

use std::time::Duration;

use axum::{extract::MatchedPath, http::Request, response::Response};
use tracing::{field::Empty, Span};

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    /// One human-readable line per event.
    Text,
    /// One JSON object per event, with its span's fields (`request_id`, `route`, …).
    Json,
}

/// Installs the process's log subscriber. `SLOTLINE_LOG` filters (default `info`; `debug` adds a
/// line per finished request).
pub fn init_logs(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("SLOTLINE_LOG")
        .unwrap_or_else(|_| "info".into());
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Text => builder.init(),
        LogFormat::Json => builder
            .json()
            .with_current_span(true)
            .with_span_list(false)
            .init(),
    }
}

/// The request id `request_id::stamp` chose, for the span and the handlers.
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

/// The span of one request (tower-http's trace layer makes it): the route is the matched
/// pattern (`/v2/bookings/{id}`), never the raw path, so spans group by route and carry no ids
/// or query strings from the URL.
pub fn request_span<B>(req: &Request<B>) -> Span {
    let id = req
        .extensions()
        .get::<RequestId>()
        .map(|r| r.0.as_str())
        .unwrap_or("");
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|m| m.as_str())
        .unwrap_or("unmatched");
    tracing::info_span!(
        "request",
        request_id = %id,
        method = %req.method(),
        route = %route,
        status = Empty,
        latency_ms = Empty,
    )
}

/// Records the outcome on the request's span and, at debug level, logs the finished request.
pub fn on_response<B>(res: &Response<B>, latency: Duration, span: &Span) {
    let status = res.status().as_u16();
    let latency_ms = latency.as_secs_f64() * 1000.0;
    span.record("status", status);
    span.record("latency_ms", latency_ms);
    tracing::debug!(status, latency_ms, "request finished");
}
