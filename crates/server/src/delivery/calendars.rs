//! The calendar worker: keeps the busy time of connected calendars fresh. It claims the
//! connections due for a sync under a lease (a dead worker's claims come due again), reads
//! each calendar through the address-guarded client, and replaces the connection's busy time
//! over the sync window in one transaction. A calendar that cannot be read keeps its last busy
//! time and shows why on its connection; booking goes on.

use std::{future::Future, pin::Pin, sync::Arc, time::Duration};

use rand::Rng;
use slotline_domain::{
    availability::Interval,
    calendar_events::{self, Reading},
    id::{AccountId, BookingId, UserId},
    retry,
};
use tokio::sync::Semaphore;

use super::{caldav, send};
use crate::{
    clock::Clock,
    secrets::SecretKey,
    store::{
        calendar_connections::{self, Due, Kind, Synced},
        calendar_writes::{self, Written},
        Db,
    },
};

/// The largest feed read (bigger ones are an error on the connection).
pub const MAX_FEED_BYTES: usize = 10 * 1024 * 1024;
/// How far ahead busy time is read: past any page's booking horizon.
pub const AHEAD_MS: i64 = 366 * 24 * 3_600_000;
const BEHIND_MS: i64 = 24 * 3_600_000;

#[derive(Debug, Clone)]
pub struct CalendarConfig {
    pub policy: send::Policy,
    /// The guarded client every read uses (the API's discovery too).
    pub http: reqwest::Client,
    pub key: SecretKey,
    /// How often each connection is read again.
    pub every: Duration,
    pub poll: Duration,
    pub name: Arc<str>,
}

/// What the credentials of a connection hold, sealed (`crate::secrets`).
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Credentials {
    pub url: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
}

/// What makes the next read conditional: a feed's validators, a CalDAV calendar's change tag.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
struct FeedState {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    etag: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    last_modified: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    ctag: Option<String>,
}

/// The booking as a host's calendar keeps it: `Ok(Some(ics))` to put, `Ok(None)` when that
/// calendar should not hold it; handed to the worker by the application (it is the message
/// service's rendering).
pub type RenderEvent = Arc<
    dyn Fn(
            AccountId,
            BookingId,
            UserId,
        ) -> Pin<Box<dyn Future<Output = Result<Option<String>, String>> + Send>>
        + Send
        + Sync,
>;

/// Runs until the task is dropped.
pub async fn run(db: Db, clock: Arc<dyn Clock>, config: CalendarConfig, render: RenderEvent) {
    let config = Arc::new(config);
    // A few reads and writes at once: each is an HTTP request or two and one write.
    let reading = Arc::new(Semaphore::new(4));
    loop {
        let now = clock.now_ms();
        let lease = now + config.policy.timeout.as_millis() as i64 * 2 + 30_000;
        let room = reading.available_permits();
        if room > 0 {
            match calendar_writes::claim(&db, now, lease, room as i64, &config.name).await {
                Ok(due) => {
                    for w in due {
                        let Ok(permit) = reading.clone().acquire_owned().await else {
                            return;
                        };
                        let (db, clock, config, render) =
                            (db.clone(), clock.clone(), config.clone(), render.clone());
                        tokio::spawn(async move {
                            write_one(&db, &*clock, &config, &render, &w).await;
                            drop(permit);
                        });
                    }
                }
                Err(e) => tracing::warn!(error = %e, "claiming calendar writes failed; will retry"),
            }
        }
        let room = reading.available_permits();
        if room > 0 {
            match calendar_connections::claim(&db, now, lease, room as i64, &config.name).await {
                Ok(due) => {
                    for d in due {
                        let Ok(permit) = reading.clone().acquire_owned().await else {
                            return;
                        };
                        let (db, clock, config) = (db.clone(), clock.clone(), config.clone());
                        tokio::spawn(async move {
                            sync_one(&db, &*clock, &config, &d).await;
                            drop(permit);
                        });
                    }
                }
                Err(e) => tracing::warn!(error = %e, "claiming calendar syncs failed; will retry"),
            }
        }
        tokio::select! {
            _ = db.calendars_signal() => {}
            _ = tokio::time::sleep(config.poll) => {}
        }
    }
}

/// Makes one calendar hold the booking as it is now (or not hold it), and records that.
async fn write_one(
    db: &Db,
    clock: &dyn Clock,
    config: &CalendarConfig,
    render: &RenderEvent,
    w: &calendar_writes::Claimed,
) {
    let http = &config.http;
    let done = async {
        let c = &w.connection;
        let creds = credentials(config, c)?;
        let account = caldav_account(&creds, c.username.as_deref())?;
        let url = caldav::event_url(&account.url, &w.uid);
        match render(
            w.account_id.clone(),
            w.booking_id.clone(),
            w.user_id.clone(),
        )
        .await?
        {
            Some(ics) => caldav::put(http, &account, &url, &ics).await.map(|_| {
                Written::Put(serde_json::json!({
                    "type": "caldav", "name": c.name, "id": c.url_shown, "event_id": w.uid,
                }))
            }),
            None => caldav::delete(http, &account, &url)
                .await
                .map(|_| Written::Deleted),
        }
    }
    .await;
    let now = clock.now_ms();
    let written = match done {
        Ok(w) => w,
        Err(error) => {
            let jitter = rand::thread_rng().gen_range(-1.0..=1.0);
            let next = retry::next_message_attempt(now, None, (w.attempts + 1) as u32, now, jitter);
            tracing::warn!(booking = %w.booking_id, error = %error, "a booking could not be written to a calendar");
            Written::Failed { error, next }
        }
    };
    crate::measure::calendar_write(match &written {
        Written::Put(_) => "put",
        Written::Deleted | Written::Gone => "deleted",
        Written::Failed { .. } => "failed",
    });
    if let Err(e) = calendar_writes::finish(db, w.seq, w.version, &written, now).await {
        tracing::warn!(error = %e, "recording a calendar write failed; it comes due again");
    }
}

/// Reads one connection's calendar and records what it found.
async fn sync_one(db: &Db, clock: &dyn Clock, config: &CalendarConfig, due: &Due) {
    let c = &due.connection;
    let now = clock.now_ms();
    let next = now + config.every.as_millis() as i64;
    if c.backfill {
        // Before the read: the events it is about to add are then the connection's own, not
        // busy time (a calendar that held them under an earlier connection).
        match calendar_writes::backfill(db, c, now).await {
            Ok(n) => {
                tracing::info!(connection = %c.id, bookings = n, "bookings to come added to a calendar");
                db.calendars_due();
            }
            Err(e) => {
                tracing::warn!(connection = %c.id, error = %e, "adding the bookings to come to a calendar failed; will retry")
            }
        }
    }
    let synced = match read(db, config, due, now).await {
        Ok(s) => s,
        Err(error) => Synced::Failed {
            error,
            retry_at: next,
        },
    };
    match &synced {
        Synced::Failed { error, .. } => {
            tracing::warn!(connection = %c.id, error = %error, "a calendar could not be read")
        }
        Synced::Busy {
            intervals, skipped, ..
        } => tracing::info!(connection = %c.id, busy = intervals.len(), skipped, "calendar synced"),
        Synced::Unchanged => tracing::debug!(connection = %c.id, "calendar unchanged"),
    }
    crate::measure::calendar_sync(match &synced {
        Synced::Failed { .. } => "failed",
        Synced::Unchanged => "unchanged",
        Synced::Busy { .. } => "synced",
    });
    if let Err(e) = calendar_connections::record(db, due, &synced, clock.now_ms(), next).await {
        tracing::warn!(connection = %c.id, error = %e, "recording a calendar sync failed; it comes due again");
    }
}

/// A connection's credentials, unsealed with the server key.
fn credentials(
    config: &CalendarConfig,
    c: &calendar_connections::Connection,
) -> Result<Credentials, String> {
    let plain = config
        .key
        .open(&c.secret, c.id.as_str())
        .map_err(|e| format!("The connection must be entered again: {e}."))?;
    serde_json::from_slice(&plain).map_err(|_| {
        "The connection must be entered again: its stored credentials are damaged.".to_string()
    })
}

async fn read(db: &Db, config: &CalendarConfig, due: &Due, now: i64) -> Result<Synced, String> {
    let http = &config.http;
    let c = &due.connection;
    let creds = credentials(config, c)?;
    let state: FeedState = c
        .sync_state
        .as_deref()
        .and_then(|s| serde_json::from_str(s).ok())
        .unwrap_or_default();
    let zone = jiff::tz::TimeZone::get(&due.zone).unwrap_or(jiff::tz::TimeZone::UTC);
    let window = Interval {
        start: now - BEHIND_MS,
        end: now + AHEAD_MS,
    };
    let own = calendar_writes::own_uids(db, &c.user_id)
        .await
        .map_err(|e| format!("The bookings kept in this calendar could not be read: {e}"))?;
    let how = Reading {
        zone: &zone,
        tentative_busy: c.tentative_busy,
        skip_uids: Some(&own),
    };
    match c.kind {
        Kind::Ics => {
            let Some((body, state)) = fetch_feed(config, http, &creds.url, &state).await? else {
                return Ok(Synced::Unchanged);
            };
            let busy = calendar_events::busy(&body, window, &how).map_err(|e| e.to_string())?;
            Ok(Synced::Busy {
                intervals: busy.intervals,
                skipped: busy.skipped,
                state: Some(serde_json::to_string(&state).unwrap_or_default()),
            })
        }
        Kind::Caldav => {
            let account = caldav_account(&creds, c.username.as_deref())?;
            let url = account.url.clone();
            let ctag = caldav::change_tag(http, &account, &url).await?;
            if ctag.is_some() && ctag == state.ctag {
                return Ok(Synced::Unchanged);
            }
            let objects = caldav::events(http, &account, &url, window.start, window.end).await?;
            let busy = calendar_events::busy_of_objects(
                objects.iter().map(|o| o.data.as_str()),
                window,
                &how,
            );
            let next = FeedState {
                ctag,
                ..FeedState::default()
            };
            Ok(Synced::Busy {
                intervals: busy.intervals,
                skipped: busy.skipped,
                state: Some(serde_json::to_string(&next).unwrap_or_default()),
            })
        }
    }
}

/// The CalDAV account a connection's credentials name (its URL is the chosen calendar's).
pub fn caldav_account(
    creds: &Credentials,
    username: Option<&str>,
) -> Result<caldav::Account, String> {
    Ok(caldav::Account {
        url: reqwest::Url::parse(&creds.url)
            .map_err(|e| format!("The connection must be entered again: {e}."))?,
        username: username.unwrap_or_default().to_string(),
        password: creds.password.clone().unwrap_or_default(),
    })
}

/// A feed's text, or `None` when the server says it has not changed since `state`.
async fn fetch_feed(
    config: &CalendarConfig,
    http: &reqwest::Client,
    url: &str,
    state: &FeedState,
) -> Result<Option<(String, FeedState)>, String> {
    let parsed = feed_url(url).map_err(|e| format!("The feed's URL is not valid: {e}"))?;
    if let Some(why) = send::refused_url(&parsed, &config.policy) {
        return Err(format!("The feed cannot be read: {why}."));
    }
    let mut req = http.get(parsed);
    if let Some(e) = &state.etag {
        req = req.header(reqwest::header::IF_NONE_MATCH, e);
    }
    if let Some(m) = &state.last_modified {
        req = req.header(reqwest::header::IF_MODIFIED_SINCE, m);
    }
    let resp = req.send().await.map_err(|e| {
        let (_, text) = send::classify(&e);
        format!("The feed cannot be reached: {text}")
    })?;
    let status = resp.status();
    if status == reqwest::StatusCode::NOT_MODIFIED {
        return Ok(None);
    }
    if !status.is_success() {
        return Err(format!("The feed's server answered {status}."));
    }
    let header = |h: reqwest::header::HeaderName| {
        resp.headers()
            .get(h)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    let next = FeedState {
        etag: header(reqwest::header::ETAG),
        last_modified: header(reqwest::header::LAST_MODIFIED),
        ctag: None,
    };
    if resp
        .content_length()
        .is_some_and(|n| n as usize > MAX_FEED_BYTES)
    {
        return Err(too_big());
    }
    let mut body = Vec::new();
    let mut resp = resp;
    while let Some(chunk) = resp
        .chunk()
        .await
        .map_err(|e| format!("The feed's answer broke off: {e}"))?
    {
        if body.len() + chunk.len() > MAX_FEED_BYTES {
            return Err(too_big());
        }
        body.extend_from_slice(&chunk);
    }
    let text = String::from_utf8(body).map_err(|_| "The feed is not UTF-8 text.".to_string())?;
    Ok(Some((text, next)))
}

fn too_big() -> String {
    format!(
        "The feed is larger than {} MB.",
        MAX_FEED_BYTES / (1024 * 1024)
    )
}

/// A feed URL as people paste it: `webcal://` is `https://`.
pub fn feed_url(url: &str) -> Result<reqwest::Url, String> {
    let url = url.trim();
    let url = match url.strip_prefix("webcal://") {
        Some(rest) => format!("https://{rest}"),
        None => url.to_string(),
    };
    let parsed = reqwest::Url::parse(&url).map_err(|e| e.to_string())?;
    if !matches!(parsed.scheme(), "http" | "https") || parsed.host().is_none() {
        return Err("it must be an http(s) or webcal address".into());
    }
    Ok(parsed)
}

/// The URL as people may see it: scheme, host and port, with any path hidden (a feed's path
/// is often its password).
pub fn shown(url: &reqwest::Url) -> String {
    let mut out = format!("{}://{}", url.scheme(), url.host_str().unwrap_or_default());
    if let Some(p) = url.port() {
        out.push_str(&format!(":{p}"));
    }
    if url.path().len() > 1 || url.query().is_some() {
        out.push_str("/…");
    }
    out
}
