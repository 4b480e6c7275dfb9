//! The server's metrics, by name, recorded through the `metrics` facade (no HTTP here: the
//! store, the services and the worker call these; `telemetry` exports them).
//!
//!   slotline_http_requests_total{method,route,status}            counter (telemetry)
//!   slotline_http_request_duration_seconds{method,route,status}  histogram (telemetry)
//!   slotline_bookings_total{action}                              counter (scheduled, canceled, …)
//!   slotline_deliveries_total{outcome}                           counter (delivered, retry, failed)
//!   slotline_delivery_duration_seconds                           histogram
//!   slotline_delivery_claims_total, slotline_delivery_claimed_total  counters
//!   slotline_delivery_oldest_due_age_seconds                     gauge (0 when nothing is late)
//!   slotline_messages_total{channel,outcome}                     counter (sent, pending = retry, failed, expired, …)
//!   slotline_db_wait_seconds{pool}                               histogram (read, write)
//!   slotline_retention_oldest_age_seconds{log}                   gauge (attempts, events; 0 when empty)

use std::time::Duration;

/// A booking changed: `event` is its webhook event (`booking.scheduled` counts as `scheduled`).
pub fn booking(event: Option<&str>) {
    if let Some(e) = event {
        let action = e.strip_prefix("booking.").unwrap_or(e).to_string();
        metrics::counter!("slotline_bookings_total", "action" => action).increment(1);
    }
}

/// One webhook attempt ended: `delivered`, `retry` (due again later) or `failed` (given up).
pub fn delivery(outcome: &'static str, took: Duration) {
    metrics::counter!("slotline_deliveries_total", "outcome" => outcome).increment(1);
    metrics::histogram!("slotline_delivery_duration_seconds").record(took.as_secs_f64());
}

/// One message attempt ended: `channel` email or sms, `outcome` its status after it.
pub fn message(channel: &'static str, outcome: &'static str) {
    metrics::counter!("slotline_messages_total", "channel" => channel, "outcome" => outcome)
        .increment(1);
}

/// One calendar sync ended: `outcome` synced, unchanged or failed.
pub fn calendar_sync(outcome: &'static str) {
    metrics::counter!("slotline_calendar_syncs_total", "outcome" => outcome).increment(1);
}

/// One write of a booking to a host's calendar ended: `outcome` put, deleted or failed.
pub fn calendar_write(outcome: &'static str) {
    metrics::counter!("slotline_calendar_writes_total", "outcome" => outcome).increment(1);
}

/// A worker claimed `n` deliveries in one claim.
pub fn claim(n: usize) {
    metrics::counter!("slotline_delivery_claims_total").increment(1);
    metrics::counter!("slotline_delivery_claimed_total").increment(n as u64);
}

/// How late the most overdue unclaimed delivery is, in seconds (0 when none is due).
pub fn oldest_due(age_ms: i64) {
    metrics::gauge!("slotline_delivery_oldest_due_age_seconds").set(age_ms.max(0) as f64 / 1000.0);
}

/// Time spent waiting for a database connection from `pool` (`read` or `write`).
pub fn db_wait(pool: &'static str, took: Duration) {
    metrics::histogram!("slotline_db_wait_seconds", "pool" => pool).record(took.as_secs_f64());
}

/// How old the oldest kept history is, by log (`attempts`, `events`): what retention left.
pub fn oldest_kept(log: &'static str, age_ms: Option<i64>) {
    let g = metrics::gauge!("slotline_retention_oldest_age_seconds", "log" => log);
    g.set(age_ms.map_or(0.0, |a| a.max(0) as f64 / 1000.0));
}
