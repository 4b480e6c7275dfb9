//! The live event stream, for `GET /v2/events/stream` and the console's live view: one reader
//! per process follows the event log ([`Hub::run`]) and hands each new event to every
//! subscriber at once; a subscriber that starts behind (a `Last-Event-ID`) or falls behind
//! reads the log itself until it has caught up. Events come in the log's stream order
//! (`store::events::Position`), each once.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use slotline_domain::id::{AccountId, EventId};
use tokio::sync::{broadcast, mpsc, Notify};

use crate::{
    http::error::{AppError, AppResult},
    store::{
        events::{self, Position, Streamed},
        Backend, Db,
    },
};

/// Events kept for subscribers that are a little slow; one further behind reads the log.
const BUFFER: usize = 1024;
/// Events read from the log at once.
const BATCH: i64 = 500;
/// Events queued for one subscriber's connection.
const PER_SUBSCRIBER: usize = 64;

struct Inner {
    /// `None` once the server stops: subscribers' streams end.
    sender: Option<broadcast::Sender<Arc<Streamed>>>,
    /// The last event handed out.
    at: Position,
}

/// The process's one reader of the event log.
pub struct Hub {
    inner: Mutex<Inner>,
    ready: Notify,
    started: std::sync::atomic::AtomicBool,
}

impl Default for Hub {
    fn default() -> Self {
        let (sender, _) = broadcast::channel(BUFFER);
        Hub {
            inner: Mutex::new(Inner {
                sender: Some(sender),
                at: Position::default(),
            }),
            ready: Notify::new(),
            started: false.into(),
        }
    }
}

impl Hub {
    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Follows the log from its head until the process stops: woken by commits in this
    /// process, by other processes' notifications on PostgreSQL, and once a second regardless.
    /// `listen`: LISTEN for those notifications here (false where the process's delivery worker
    /// already does; its listener rings this hub too).
    pub async fn run(self: Arc<Self>, db: Db, listen: bool) {
        let mut at = loop {
            match events::stream_head(&db).await {
                Ok(p) => break p,
                Err(e) => {
                    tracing::warn!(error = %e, "the event stream could not read the log's head; will retry");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
            }
        };
        self.lock().at = at;
        self.started
            .store(true, std::sync::atomic::Ordering::Release);
        self.ready.notify_waiters();
        // Other processes' commits: PostgreSQL notifies `slotline_outbox` for each.
        let _listener = (listen && db.backend == Backend::Postgres).then(|| {
            Listening(tokio::spawn(crate::store::outbox::listen_postgres(
                db.clone(),
            )))
        });
        loop {
            loop {
                match events::stream_after(&db, None, at, BATCH).await {
                    Ok(batch) => {
                        let full = batch.len() as i64 == BATCH;
                        if let Some(last) = batch.last() {
                            at = last.at;
                        }
                        self.publish(batch);
                        if !full {
                            break;
                        }
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "the event stream could not read the log; will retry");
                        break;
                    }
                }
            }
            tokio::select! {
                _ = db.events_signal() => {}
                _ = tokio::time::sleep(Duration::from_secs(1)) => {}
            }
        }
    }

    fn publish(&self, batch: Vec<Streamed>) {
        let mut inner = self.lock();
        for e in batch {
            inner.at = e.at;
            if let Some(s) = &inner.sender {
                // No subscriber is not an error.
                let _ = s.send(Arc::new(e));
            }
        }
    }

    /// Ends every subscriber's stream (the server is stopping).
    pub fn close(&self) {
        self.lock().sender = None;
    }

    /// A receiver of what is handed out from now on, and the position it starts after.
    async fn subscribe(&self) -> Option<(broadcast::Receiver<Arc<Streamed>>, Position)> {
        if !self.started.load(std::sync::atomic::Ordering::Acquire) {
            let ready = self.ready.notified();
            if !self.started.load(std::sync::atomic::Ordering::Acquire) {
                // Started within a second of the server, normally at once.
                let _ = tokio::time::timeout(Duration::from_secs(5), ready).await;
            }
        }
        let inner = self.lock();
        Some((inner.sender.as_ref()?.subscribe(), inner.at))
    }
}

/// The LISTEN task, stopped with the hub.
struct Listening(tokio::task::JoinHandle<()>);

impl Drop for Listening {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Which events a subscriber wants, and where it starts.
pub struct Subscription {
    pub account_id: AccountId,
    /// After this event of the account (`Last-Event-ID`); from now on when none.
    pub after: Option<EventId>,
    /// Event names; every event when none.
    pub types: Option<Vec<String>>,
}

/// Starts a subscriber: the events it wants, in order, as a channel that ends when the server
/// stops. An unknown `after` is OnceHub's invalid request.
pub async fn subscribe(
    hub: &Arc<Hub>,
    db: &Db,
    sub: Subscription,
) -> AppResult<mpsc::Receiver<Arc<Streamed>>> {
    let start = match &sub.after {
        Some(id) => Some(
            events::position_of(db, &sub.account_id, id)
                .await?
                .ok_or_else(|| {
                    AppError::invalid(format!("No such event: '{id}'"), "Last-Event-ID")
                })?,
        ),
        None => None,
    };
    let (live, now) = hub
        .subscribe()
        .await
        .ok_or_else(|| AppError::Unavailable("The server is stopping.".into()))?;
    let (tx, rx) = mpsc::channel(PER_SUBSCRIBER);
    tokio::spawn(follow(db.clone(), sub, start.unwrap_or(now), live, tx));
    Ok(rx)
}

/// Feeds one subscriber: the log from `at` until it is level with the hub, then the hub's
/// events; back to the log whenever it fell too far behind.
async fn follow(
    db: Db,
    sub: Subscription,
    mut at: Position,
    mut live: broadcast::Receiver<Arc<Streamed>>,
    tx: mpsc::Sender<Arc<Streamed>>,
) {
    let wanted = |e: &Streamed| {
        e.account_id == sub.account_id
            && sub.types.as_ref().is_none_or(|t| t.contains(&e.event_type))
    };
    'catch_up: loop {
        // Read the log up to what it holds now; everything handed out later is in `live`.
        loop {
            let batch = match events::stream_after(&db, Some(&sub.account_id), at, BATCH).await {
                Ok(b) => b,
                Err(e) => {
                    tracing::warn!(error = %e, "an event stream subscriber could not read the log");
                    return;
                }
            };
            let full = batch.len() as i64 == BATCH;
            for e in batch {
                at = e.at;
                if wanted(&e) && tx.send(Arc::new(e)).await.is_err() {
                    return;
                }
            }
            if !full {
                break;
            }
        }
        loop {
            let e = tokio::select! {
                e = live.recv() => e,
                _ = tx.closed() => return,
            };
            match e {
                Ok(e) if e.at <= at => {}
                Ok(e) => {
                    at = e.at;
                    if wanted(&e) && tx.send(e).await.is_err() {
                        return;
                    }
                }
                Err(broadcast::error::RecvError::Lagged(_)) => continue 'catch_up,
                Err(broadcast::error::RecvError::Closed) => return,
            }
        }
    }
}
