//! The webhook worker: claims due deliveries in batches under a lease, sends each as a signed
//! POST, and records the results in batches. Nothing is held across the network call: a claim
//! only moves the delivery's due time past the lease, so if this process dies its claims come
//! due again and another worker (or this one, restarted) sends them — at least once, always
//! with the same event id and bytes.
//!
//! A slow or dead endpoint cannot hold up the others: each webhook has at most `per_webhook`
//! attempts in flight, and claims skip webhooks that are at their limit.

pub mod caldav;
pub mod calendars;
pub mod mail;
pub mod messages;
pub mod send;
pub mod sms;

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::Duration,
};
use tracing::Instrument;

use rand::Rng;
use slotline_domain::{
    id::WebhookId,
    retry::{self, Verdict},
    webhook::DeliveryStatus,
};
use tokio::sync::{mpsc, Notify, Semaphore};

use crate::{
    clock::Clock,
    store::{
        deliveries::{self, Claimed, Outcome},
        outbox, Backend, Db,
    },
};

#[derive(Debug, Clone)]
pub struct WorkerConfig {
    pub policy: send::Policy,
    /// Attempts in flight in this process.
    pub concurrency: usize,
    /// Attempts in flight per webhook.
    pub per_webhook: usize,
    /// How long a claim lasts; longer than the request timeout, so a live worker's claims never
    /// expire under it.
    pub lease: Duration,
    /// How often to look for due deliveries when nothing signals new ones (retries coming due,
    /// deliveries written by other processes).
    pub poll: Duration,
    /// Names this worker in the attempt log.
    pub name: Arc<str>,
}

impl WorkerConfig {
    pub fn new(policy: send::Policy) -> WorkerConfig {
        let lease = policy.timeout * 2 + Duration::from_secs(5);
        let name = format!(
            "worker-{}-{:04x}",
            std::process::id(),
            rand::thread_rng().gen::<u16>()
        );
        WorkerConfig {
            policy,
            concurrency: 256,
            per_webhook: 32,
            lease,
            poll: Duration::from_millis(500),
            name: name.into(),
        }
    }
}

/// Deliveries this worker holds (claimed, being sent or waiting to be), by webhook, and the
/// semaphores that bound how many of each webhook are sent at once.
///
/// A worker claims up to twice a webhook's concurrency, so the next requests are ready when
/// answers come back, and claims again for a webhook only once fewer than its concurrency remain:
/// claims come in batches instead of one per answer. A waiting delivery's lease outlasts its
/// wait (at most one request timeout) plus its own attempt.
#[derive(Default)]
struct Held {
    by_webhook: HashMap<WebhookId, (i64, Arc<Semaphore>)>,
    total: usize,
}

/// How often the worker looks for claims whose worker stopped.
const INTERRUPTED_EVERY: Duration = Duration::from_secs(2);

/// Runs the worker until the task is dropped.
pub async fn run(db: Db, clock: Arc<dyn Clock>, config: WorkerConfig) {
    let client = send::client(&config.policy, config.per_webhook);
    let held = Arc::new(Mutex::new(Held::default()));
    let sending = Arc::new(Semaphore::new(config.concurrency));
    let freed = Arc::new(Notify::new());
    // Results wait here for the recorder; bounded, so that a database falling behind slows the
    // sending instead of filling memory.
    let (results, outcomes) = mpsc::channel::<Outcome>(RESULTS_QUEUE);
    let recorder = tokio::spawn(record_results(db.clone(), clock.clone(), outcomes));
    let _stop_recorder = AbortOnDrop(recorder);
    let _stop_listener = (db.backend == Backend::Postgres)
        .then(|| AbortOnDrop(tokio::spawn(outbox::listen_postgres(db.clone()))));
    let config = Arc::new(config);
    let per_webhook = config.per_webhook as i64;
    let max_held = 2 * config.concurrency;
    // At start, and every few seconds: a dead worker's claims are logged and freed.
    let mut last_sweep = std::time::Instant::now() - INTERRUPTED_EVERY;
    loop {
        let (room, capacity) = {
            let h = held.lock().expect("held deliveries");
            // A webhook still holding at least its concurrency gets nothing more for now.
            let room: HashMap<WebhookId, i64> = h
                .by_webhook
                .iter()
                .map(|(w, (n, _))| {
                    (
                        w.clone(),
                        if *n >= per_webhook {
                            0
                        } else {
                            2 * per_webhook - n
                        },
                    )
                })
                .collect();
            (room, max_held.saturating_sub(h.total))
        };
        let mut claimed_some = false;
        if capacity > 0 {
            let now = clock.now_ms();
            let lease_until = now + config.lease.as_millis() as i64;
            if last_sweep.elapsed() >= INTERRUPTED_EVERY {
                last_sweep = std::time::Instant::now();
                match deliveries::interrupted(&db, now).await {
                    Ok(0) => {}
                    Ok(n) => tracing::warn!(
                        interrupted = n,
                        "claims whose worker stopped were logged as interrupted and are due again"
                    ),
                    Err(e) => {
                        tracing::warn!(error = %e, "looking for interrupted claims failed; will retry")
                    }
                }
                match deliveries::oldest_due(&db, now).await {
                    Ok(due) => crate::measure::oldest_due(due.map_or(0, |at| now - at)),
                    Err(e) => tracing::warn!(error = %e, "reading the oldest due delivery failed"),
                }
            }
            let claim_span = tracing::debug_span!(
                "claim",
                worker = %config.name,
                room = capacity,
                claimed = tracing::field::Empty
            );
            let claim = deliveries::claim(
                &db,
                now,
                lease_until,
                capacity as i64,
                &room,
                2 * per_webhook,
                &config.name,
            )
            .instrument(claim_span.clone())
            .await;
            match claim {
                Ok(claimed) => {
                    claim_span.record("claimed", claimed.len());
                    crate::measure::claim(claimed.len());
                    // A full claim may have left more due; a partial one got all there was room for.
                    claimed_some = claimed.len() == capacity;
                    let mut h = held.lock().expect("held deliveries");
                    for c in claimed {
                        let entry = h
                            .by_webhook
                            .entry(c.webhook_id.clone())
                            .or_insert_with(|| (0, Arc::new(Semaphore::new(config.per_webhook))));
                        entry.0 += 1;
                        let gate = entry.1.clone();
                        h.total += 1;
                        let done = Done {
                            held: held.clone(),
                            freed: freed.clone(),
                            webhook_id: c.webhook_id.clone(),
                            per_webhook,
                            max_held,
                        };
                        let span = tracing::info_span!(
                            "attempt",
                            webhook = %c.webhook_id,
                            event = %c.event_id,
                            attempt = c.attempts + 1,
                            outcome = tracing::field::Empty,
                            status_code = tracing::field::Empty,
                        );
                        let task = attempt(
                            client.clone(),
                            config.clone(),
                            clock.clone(),
                            c,
                            results.clone(),
                            done,
                        )
                        .instrument(span);
                        let sending = sending.clone();
                        tokio::spawn(async move {
                            let (Ok(_one_of_webhook), Ok(_one_of_all)) =
                                (gate.acquire_owned().await, sending.acquire_owned().await)
                            else {
                                return;
                            };
                            task.await
                        });
                    }
                }
                Err(e) => {
                    tracing::warn!(error = %e, "claiming deliveries failed; will retry");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
            }
        }
        if claimed_some {
            continue;
        }
        tokio::select! {
            _ = db.outbox_signal() => {}
            _ = freed.notified() => {}
            _ = tokio::time::sleep(config.poll) => {}
        }
    }
}

/// Results waiting to be written, at most.
const RESULTS_QUEUE: usize = 8192;

/// Releases a held delivery when dropped: as soon as its HTTP exchange is over. The delivery
/// stays leased until its result is written, so it cannot be claimed again meanwhile. Wakes the
/// claimer when its webhook falls below its concurrency, or the worker below its limit.
struct Done {
    held: Arc<Mutex<Held>>,
    freed: Arc<Notify>,
    webhook_id: WebhookId,
    per_webhook: i64,
    max_held: usize,
}

impl Drop for Done {
    fn drop(&mut self) {
        let wake = {
            let mut h = self.held.lock().expect("held deliveries");
            let crossed_total = h.total == self.max_held;
            h.total = h.total.saturating_sub(1);
            let mut crossed = false;
            if let Some((n, _)) = h.by_webhook.get_mut(&self.webhook_id) {
                *n -= 1;
                crossed = *n == self.per_webhook - 1;
                if *n <= 0 {
                    h.by_webhook.remove(&self.webhook_id);
                }
            }
            crossed || crossed_total
        };
        if wake {
            self.freed.notify_one();
        }
    }
}

pub(crate) struct AbortOnDrop(pub(crate) tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Sends one claimed delivery and reports what follows from the answer.
async fn attempt(
    client: reqwest::Client,
    config: Arc<WorkerConfig>,
    clock: Arc<dyn Clock>,
    c: Claimed,
    results: mpsc::Sender<Outcome>,
    done: Done,
) {
    let started = clock.now_ms();
    let signed = slotline_webhook::sign_all(
        &c.secrets(started),
        &c.event_id,
        started.div_euclid(1000),
        c.payload.as_bytes(),
    );
    let headers = [
        ("Oncehub-Signature", signed.oncehub_signature),
        ("webhook-id", c.event_id.to_string()),
        ("webhook-timestamp", signed.timestamp),
        ("webhook-signature", signed.webhook_signature),
    ];
    let res = send::post(&client, &config.policy, &c.url, &headers, c.payload.clone()).await;
    drop(done);
    let now = clock.now_ms();
    let window_start = c.window_start.unwrap_or(started);
    let failures = (c.attempts + 1) as u32;
    let (status, next, disable) = match res.status.map(retry::verdict) {
        Some(Verdict::Delivered) => (DeliveryStatus::Delivered, None, None),
        Some(Verdict::Gone) => (
            DeliveryStatus::Failed,
            None,
            Some("The endpoint answered 410 Gone.".to_string()),
        ),
        _ => {
            let after = res
                .status
                .and_then(|s| retry::retry_after_ms(s, res.retry_after.as_deref(), now));
            let jitter = rand::thread_rng().gen_range(-1.0..=1.0);
            match retry::next_attempt(window_start, failures, now, after, jitter) {
                Some(at) => (DeliveryStatus::Pending, Some(at), None),
                None => (DeliveryStatus::Failed, None, None),
            }
        }
    };
    let span = tracing::Span::current();
    span.record("outcome", status.as_str());
    if let Some(code) = res.status {
        span.record("status_code", code);
    }
    tracing::debug!(duration_ms = res.duration_ms, "attempt finished");
    crate::measure::delivery(
        match status {
            DeliveryStatus::Delivered => "delivered",
            DeliveryStatus::Pending => "retry",
            DeliveryStatus::Failed => "failed",
        },
        Duration::from_millis(res.duration_ms.max(0) as u64),
    );
    let _ = results
        .send(Outcome {
            seq: c.seq,
            webhook_id: c.webhook_id,
            attempt_time: started,
            duration_ms: res.duration_ms,
            status_code: res.status.map(i64::from),
            error_kind: res.error_kind,
            error: res.error,
            response_headers: res.headers,
            response_body: res.body,
            status,
            next_attempt_time: next,
            window_start,
            disable,
            worker: config.name.clone(),
            ordered: c.ordered,
        })
        .await;
}

/// Writes results in batches: whatever arrived while the previous batch was being written.
async fn record_results(db: Db, clock: Arc<dyn Clock>, mut outcomes: mpsc::Receiver<Outcome>) {
    const BATCH: usize = 512;
    let mut batch = Vec::with_capacity(BATCH);
    while outcomes.recv_many(&mut batch, BATCH).await > 0 {
        loop {
            match deliveries::record(&db, &batch, clock.now_ms()).await {
                Ok(disabled) => {
                    for hook in disabled {
                        tracing::warn!(webhook = %hook, "webhook disabled");
                    }
                    // The next delivery of a FIFO webhook's booking may go now: wake the claims.
                    if batch
                        .iter()
                        .any(|o| o.ordered && o.status != DeliveryStatus::Pending)
                    {
                        db.outbox_written();
                    }
                    break;
                }
                Err(e) => {
                    // The claims stay leased meanwhile; if this never succeeds they expire and
                    // the deliveries are sent again (at least once).
                    tracing::warn!(error = %e, "recording delivery results failed; will retry");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
            }
        }
        batch.clear();
    }
}
