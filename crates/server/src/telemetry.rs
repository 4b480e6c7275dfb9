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

// ---- Metrics ------------------------------------------------------------------------------
//
// Prometheus text at `/metrics` on `--metrics-listen` (off by default: its own address, so it is
// never exposed with the API). The metric names are listed in `measure`.

/// Request and delivery latencies, and waits for a database connection, in seconds.
const BUCKETS: [f64; 14] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 15.0,
];

/// The process's Prometheus recorder, installed on first use (metrics recorded before it is
/// installed, or when it never is, cost next to nothing and go nowhere).
pub fn metrics() -> metrics_exporter_prometheus::PrometheusHandle {
    static HANDLE: std::sync::OnceLock<metrics_exporter_prometheus::PrometheusHandle> =
        std::sync::OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let recorder = metrics_exporter_prometheus::PrometheusBuilder::new()
                .set_buckets(&BUCKETS)
                .expect("histogram buckets")
                .build_recorder();
            let handle = recorder.handle();
            if metrics::set_global_recorder(recorder).is_err() {
                tracing::warn!("a metrics recorder was already installed; /metrics stays empty");
            }
            RECORDING.store(true, std::sync::atomic::Ordering::Relaxed);
            handle
        })
        .clone()
}

/// Whether a recorder is installed: without one (`--metrics-listen` unset) requests skip
/// building their labels.
static RECORDING: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Serves `/metrics` on its own listener until the process stops.
pub async fn serve_metrics(listener: tokio::net::TcpListener) -> std::io::Result<()> {
    let handle = metrics();
    let upkeep = handle.clone();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(5));
        loop {
            tick.tick().await;
            upkeep.run_upkeep();
        }
    });
    let app = axum::Router::new().route(
        "/metrics",
        axum::routing::get(move || {
            let handle = handle.clone();
            async move {
                (
                    [(
                        axum::http::header::CONTENT_TYPE,
                        "text/plain; version=0.0.4; charset=utf-8",
                    )],
                    handle.render(),
                )
            }
        }),
    );
    axum::serve(listener, app).await
}

/// Counts and times each request by method, matched route and status.
pub async fn count_request(
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    if !RECORDING.load(std::sync::atomic::Ordering::Relaxed) {
        return next.run(req).await;
    }
    let started = std::time::Instant::now();
    let method = req.method().as_str().to_string();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_string(), |m| m.as_str().to_string());
    let res = next.run(req).await;
    let labels = [
        ("method", method),
        ("route", route),
        ("status", res.status().as_u16().to_string()),
    ];
    metrics::counter!("slotline_http_requests_total", &labels).increment(1);
    metrics::histogram!("slotline_http_request_duration_seconds", &labels)
        .record(started.elapsed().as_secs_f64());
    res
}
