//! The message worker: the same mechanism as webhook deliveries for email and SMS. It claims due
//! messages under a lease, sends each by its channel, and records every attempt; a message
//! whose worker died comes due again when its lease runs out (at least once, with the same
//! Message-ID). A message past its expiry (a reminder the server was down for) is not sent.
//! A reminder is rendered here, when due, by the renderer the application hands the worker.

use std::{future::Future, pin::Pin, sync::Arc, time::Duration};

use rand::Rng;
use slotline_domain::{notifications::Channel, retry};
use tokio::sync::{mpsc, Semaphore};
use tracing::Instrument;

use super::{mail, sms};
use crate::{
    clock::Clock,
    store::{
        notifications::{self, Claimed, Outcome, Status, Words},
        Db,
    },
};

#[derive(Debug, Clone)]
pub struct MessageConfig {
    pub mail: mail::MailSettings,
    pub sms: Option<sms::SmsSettings>,
    /// Messages sent at once.
    pub concurrency: usize,
    /// How long a claim lasts: longer than an SMTP exchange may take.
    pub lease: Duration,
    pub poll: Duration,
    pub name: Arc<str>,
}

impl MessageConfig {
    pub fn new(
        mail: mail::MailSettings,
        sms: Option<sms::SmsSettings>,
        name: Arc<str>,
    ) -> MessageConfig {
        MessageConfig {
            mail,
            sms,
            concurrency: 16,
            lease: Duration::from_secs(120),
            poll: Duration::from_millis(500),
            name,
        }
    }
}

const INTERRUPTED_EVERY: Duration = Duration::from_secs(2);

/// Renders the words of a message stored without them (a reminder) from its booking as it is
/// now: `Ok(None)` when it is no longer wanted (the booking is gone or no longer holds its
/// time), `Err` when it cannot be rendered now (tried again like a failed send).
pub type Render = Arc<
    dyn Fn(Claimed) -> Pin<Box<dyn Future<Output = Result<Option<Words>, String>> + Send>>
        + Send
        + Sync,
>;

/// Runs until the task is dropped.
pub async fn run(db: Db, clock: Arc<dyn Clock>, config: MessageConfig, render: Render) {
    let config = Arc::new(config);
    let sending = Arc::new(Semaphore::new(config.concurrency));
    // Rung when a send ends, so that the next due message is claimed without waiting for a poll.
    let freed = Arc::new(tokio::sync::Notify::new());
    let (results, outcomes) = mpsc::channel::<Outcome>(1024);
    let recorder = tokio::spawn(record_results(db.clone(), outcomes));
    let _stop = super::AbortOnDrop(recorder);
    let http = sms::client();
    let mut last_sweep = std::time::Instant::now() - INTERRUPTED_EVERY;
    loop {
        let now = clock.now_ms();
        if last_sweep.elapsed() >= INTERRUPTED_EVERY {
            last_sweep = std::time::Instant::now();
            match notifications::interrupted(&db, now).await {
                Ok(0) => {}
                Ok(n) => tracing::warn!(
                    interrupted = n,
                    "messages whose worker stopped are due again"
                ),
                Err(e) => {
                    tracing::warn!(error = %e, "looking for interrupted messages failed; will retry")
                }
            }
        }
        // Claims come in batches: once half the sending slots are free, not one per finished send.
        let room = sending.available_permits();
        let mut full = false;
        if room > 0 && room >= config.concurrency.div_ceil(2) {
            let lease_until = now + config.lease.as_millis() as i64;
            match notifications::claim(&db, now, lease_until, room as i64, &config.name).await {
                Ok(claimed) => {
                    full = claimed.len() == room;
                    for c in claimed {
                        let Ok(permit) = sending.clone().acquire_owned().await else {
                            return;
                        };
                        let span = tracing::info_span!(
                            "message",
                            id = %c.id,
                            kind = %c.kind,
                            channel = c.channel.as_str(),
                            attempt = c.attempts + 1,
                            outcome = tracing::field::Empty,
                        );
                        let task = attempt(
                            config.clone(),
                            clock.clone(),
                            http.clone(),
                            render.clone(),
                            c,
                            results.clone(),
                        )
                        .instrument(span);
                        let freed = freed.clone();
                        tokio::spawn(async move {
                            task.await;
                            drop(permit);
                            freed.notify_one();
                        });
                    }
                }
                Err(e) => {
                    tracing::warn!(error = %e, "claiming messages failed; will retry");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
            }
        }
        if full {
            continue;
        }
        tokio::select! {
            _ = db.messages_signal() => {}
            _ = freed.notified() => {}
            _ = tokio::time::sleep(config.poll) => {}
        }
    }
}

/// Sends one claimed message and reports the outcome.
async fn attempt(
    config: Arc<MessageConfig>,
    clock: Arc<dyn Clock>,
    http: reqwest::Client,
    render: Render,
    mut c: Claimed,
    results: mpsc::Sender<Outcome>,
) {
    let started = clock.now_ms();
    let mut outcome = Outcome {
        seq: c.seq,
        attempt_time: started,
        duration_ms: 0,
        status: Status::Sent,
        next_attempt_time: None,
        error: None,
        provider_id: None,
        segment_count: None,
        worker: config.name.clone(),
        words: None,
    };
    if c.expire_time.is_some_and(|e| started > e) {
        outcome.status = Status::Expired;
        outcome.error = Some("Its time passed before it could be sent.".into());
    } else {
        let clock_start = std::time::Instant::now();
        let sent = match ready(&render, &c).await {
            Ok(Ready::Unwanted) => {
                outcome.status = Status::Dropped;
                outcome.error = Some("Its booking no longer holds this time.".into());
                return finish(outcome, &c, results).await;
            }
            Ok(Ready::Stored) => send(&config, &http, &c).await,
            Ok(Ready::Rendered(w)) => {
                c.set_words(w.clone());
                outcome.words = Some(w);
                send(&config, &http, &c).await
            }
            Err(e) => Err((false, e)),
        };
        outcome.duration_ms = clock_start.elapsed().as_millis() as i64;
        match sent {
            Ok((id, segments)) => {
                outcome.provider_id = Some(id);
                outcome.segment_count = segments;
            }
            Err((permanent, error)) => {
                let now = clock.now_ms();
                let jitter = rand::thread_rng().gen_range(-1.0..=1.0);
                let next = (!permanent)
                    .then(|| {
                        retry::next_message_attempt(
                            c.due_time,
                            c.expire_time,
                            (c.attempts + 1) as u32,
                            now,
                            jitter,
                        )
                    })
                    .flatten();
                outcome.status = match (next, permanent, c.channel) {
                    (Some(_), _, _) => Status::Pending,
                    (None, true, Channel::Sms) => Status::Rejected,
                    _ => Status::Failed,
                };
                outcome.next_attempt_time = next;
                outcome.error = Some(error);
            }
        }
    }
    finish(outcome, &c, results).await
}

async fn finish(outcome: Outcome, c: &Claimed, results: mpsc::Sender<Outcome>) {
    tracing::Span::current().record("outcome", outcome.status.as_str());
    crate::measure::message(c.channel.as_str(), outcome.status.as_str());
    let _ = results.send(outcome).await;
}

/// Whether a claimed message has its words.
enum Ready {
    /// Stored with the change that caused it.
    Stored,
    /// A reminder, rendered now.
    Rendered(Words),
    /// A reminder no longer wanted.
    Unwanted,
}

async fn ready(render: &Render, c: &Claimed) -> Result<Ready, String> {
    if !c.unrendered() {
        return Ok(Ready::Stored);
    }
    match render(c.clone()).await {
        Ok(Some(w)) => Ok(Ready::Rendered(w)),
        Ok(None) => Ok(Ready::Unwanted),
        Err(e) => Err(format!("Its words could not be rendered: {e}")),
    }
}

/// Sends by the message's channel: the provider's id (and an SMS's segments), or whether the
/// failure is permanent and why.
async fn send(
    config: &MessageConfig,
    http: &reqwest::Client,
    c: &Claimed,
) -> Result<(String, Option<i64>), (bool, String)> {
    match c.channel {
        Channel::Email => mail::send(&config.mail, c)
            .await
            .map(|id| (id, None))
            .map_err(|f| (f.permanent, f.error)),
        Channel::Sms => match &config.sms {
            Some(s) => sms::send(http, s, c)
                .await
                .map(|a| (a.provider_id, a.segments))
                .map_err(|f| (f.permanent, f.error)),
            None => Err((
                false,
                "No SMS provider is configured (--twilio-account-sid); retried when one is."
                    .to_string(),
            )),
        },
    }
}

/// Writes outcomes in batches.
async fn record_results(db: Db, mut outcomes: mpsc::Receiver<Outcome>) {
    const BATCH: usize = 256;
    let mut batch = Vec::with_capacity(BATCH);
    while outcomes.recv_many(&mut batch, BATCH).await > 0 {
        while let Err(e) = notifications::record(&db, &batch).await {
            tracing::warn!(error = %e, "recording message results failed; will retry");
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
        batch.clear();
    }
}
