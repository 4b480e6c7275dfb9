//! Webhook subscriptions for the API and the integrators' console alike: made, changed,
//! switched off and on, removed; the secret rotated with a grace period; a test event sent.
//! What is judged here is judged once for both.

use slotline_domain::{
    id::{AccountId, EventId, WebhookId},
    webhook::{self, DeliveryStatus, WebhookStatus},
};

use crate::{
    http::error::{AppError, AppResult},
    services::Ctx,
    store::{
        deliveries, events,
        outbox::NewEvent,
        webhooks::{self as store, NewWebhook, Webhook, WebhookPatch},
    },
    views,
};

/// The longest grace period of a rotated secret: a week.
pub const MAX_GRACE_SECS: i64 = 7 * 24 * 3600;
/// The grace period when none is asked for: a day.
pub const DEFAULT_GRACE_SECS: i64 = 24 * 3600;

/// A webhook as asked for, before it is judged.
pub struct Draft<'a> {
    pub name: &'a str,
    pub url: &'a str,
    pub events: &'a [String],
    pub fifo: bool,
}

fn check_url(ctx: Ctx<'_>, url: &str) -> AppResult<()> {
    Ok(webhook::validate_url(url, ctx.allow_http_webhooks)?)
}

pub async fn create(ctx: Ctx<'_>, account_id: &AccountId, d: &Draft<'_>) -> AppResult<Webhook> {
    check_url(ctx, d.url)?;
    webhook::validate_name(d.name)?;
    webhook::validate_events(d.events)?;
    let new = NewWebhook {
        name: d.name,
        url: d.url,
        events: d.events,
        fifo: d.fifo,
    };
    Ok(store::create(ctx.db, account_id, &new, ctx.now()).await?)
}

/// A live webhook of the account, or OnceHub's 404.
pub async fn live(ctx: Ctx<'_>, account_id: &AccountId, id: &WebhookId) -> AppResult<Webhook> {
    match store::get(ctx.db, account_id, id).await? {
        Some(w) if !w.deleted => Ok(w),
        _ => Err(AppError::not_found("webhook", id)),
    }
}

/// Every live webhook of the account.
pub async fn all(ctx: Ctx<'_>, account_id: &AccountId) -> AppResult<Vec<Webhook>> {
    Ok(store::all(ctx.db, account_id).await?)
}

/// Changes what is given; answers the webhook as it is now.
pub async fn update(
    ctx: Ctx<'_>,
    account_id: &AccountId,
    id: &WebhookId,
    patch: WebhookPatch,
) -> AppResult<Webhook> {
    if let Some(u) = &patch.url {
        check_url(ctx, u)?;
    }
    if let Some(n) = &patch.name {
        webhook::validate_name(n)?;
    }
    if let Some(e) = &patch.events {
        webhook::validate_events(e)?;
    }
    if !store::update(ctx.db, account_id, id, &patch).await? {
        return Err(AppError::not_found("webhook", id));
    }
    live(ctx, account_id, id).await
}

pub async fn delete(ctx: Ctx<'_>, account_id: &AccountId, id: &WebhookId) -> AppResult<()> {
    if store::delete(ctx.db, account_id, id).await? {
        Ok(())
    } else {
        Err(AppError::not_found("webhook", id))
    }
}

pub async fn enable(ctx: Ctx<'_>, account_id: &AccountId, id: &WebhookId) -> AppResult<Webhook> {
    if !store::enable(ctx.db, account_id, id).await? {
        return Err(AppError::not_found("webhook", id));
    }
    live(ctx, account_id, id).await
}

/// Switches delivery off; `by` says who, for the reason shown. Its pending deliveries wait.
pub async fn disable(
    ctx: Ctx<'_>,
    account_id: &AccountId,
    id: &WebhookId,
    by: &str,
) -> AppResult<Webhook> {
    let hook = live(ctx, account_id, id).await?;
    if hook.status == WebhookStatus::Disabled {
        return Ok(hook);
    }
    let reason = format!("Disabled by {by}.");
    store::disable(ctx.db, account_id, id, &reason, ctx.now()).await?;
    live(ctx, account_id, id).await
}

/// Gives the webhook a new secret; the old one keeps signing deliveries (beside the new one)
/// for `grace_secs`, 0 to 7 days.
pub async fn rotate_secret(
    ctx: Ctx<'_>,
    account_id: &AccountId,
    id: &WebhookId,
    grace_secs: i64,
) -> AppResult<Webhook> {
    if !(0..=MAX_GRACE_SECS).contains(&grace_secs) {
        return Err(AppError::invalid(
            format!("The grace period is 0 to {MAX_GRACE_SECS} seconds (7 days)."),
            "grace_period",
        ));
    }
    let now = ctx.now();
    if store::rotate_secret(ctx.db, account_id, id, now + grace_secs * 1000, now)
        .await?
        .is_none()
    {
        return Err(AppError::not_found("webhook", id));
    }
    live(ctx, account_id, id).await
}

/// Sending to a disabled webhook is refused: enabling it again is a deliberate act.
pub fn require_enabled(hook: &Webhook, param: &str) -> AppResult<()> {
    if hook.status == WebhookStatus::Enabled {
        Ok(())
    } else {
        Err(AppError::invalid(
            "The webhook is disabled; enable it first.",
            param,
        ))
    }
}

/// Queues a `webhook.test` event for this webhook only; answers its id.
pub async fn send_test(ctx: Ctx<'_>, account_id: &AccountId, id: &WebhookId) -> AppResult<EventId> {
    let hook = live(ctx, account_id, id).await?;
    require_enabled(&hook, "id")?;
    let (event_id, now) = (EventId::new(), ctx.now());
    let data = views::event::webhook_test_data(&hook.id, &hook.name, &hook.url);
    let event = NewEvent {
        payload: views::event::envelope(&event_id, "webhook.test", now, data),
        id: event_id,
        event_type: "webhook.test",
        creation_time: now,
        conversation_id: None,
    };
    store::send_test(ctx.db, account_id, &hook.id, &event).await?;
    Ok(event.id)
}

/// Sends an event again: to `webhook` only (subscribed or not; it must be enabled), or to
/// every enabled webhook that has a delivery of it or is subscribed to it. Answers the ids of
/// the deliveries queued.
pub async fn redeliver(
    ctx: Ctx<'_>,
    account_id: &AccountId,
    event_id: &EventId,
    webhook: Option<&WebhookId>,
) -> AppResult<Vec<String>> {
    let e = events::get(ctx.db, account_id, event_id)
        .await?
        .ok_or_else(|| AppError::not_found("event", event_id))?;
    if let Some(w) = webhook {
        let invalid = || AppError::invalid(format!("Invalid webhook: {w}"), "webhook");
        let hook = live(ctx, account_id, w).await.map_err(|_| invalid())?;
        require_enabled(&hook, "webhook")?;
    }
    let event_type = webhook::EVENT_TYPES
        .iter()
        .copied()
        .find(|t| *t == e.event_type)
        .unwrap_or("webhook.test");
    let event = NewEvent {
        id: e.id,
        event_type,
        payload: e.payload,
        creation_time: e.creation_time,
        conversation_id: e.conversation_id,
    };
    deliveries::redeliver(ctx.db, account_id, &event, webhook, ctx.now())
        .await?
        .ok_or_else(|| AppError::not_found("event", event_id))
}

/// Queues again every failed delivery of the webhook whose event was made at or after `since`
/// (milliseconds). Answers how many.
pub async fn recover(
    ctx: Ctx<'_>,
    account_id: &AccountId,
    id: &WebhookId,
    since: i64,
) -> AppResult<u64> {
    let hook = live(ctx, account_id, id).await?;
    require_enabled(&hook, "id")?;
    Ok(deliveries::recover(ctx.db, account_id, id, since, ctx.now()).await?)
}

/// How many of a webhook's latest deliveries its health summary weighs.
pub const HEALTH_SAMPLE: i64 = 1000;

/// A webhook's health over its latest deliveries (at most [`HEALTH_SAMPLE`]).
#[derive(Debug, Clone)]
pub struct Health {
    pub deliveries: usize,
    pub delivered: usize,
    pub pending: usize,
    pub failed: usize,
    /// Attempts made for those deliveries, and how many got a 2xx.
    pub attempts: usize,
    pub succeeded: usize,
    /// Attempt durations in milliseconds, by nearest rank; none without attempts.
    pub p50_ms: Option<i64>,
    pub p95_ms: Option<i64>,
    pub p99_ms: Option<i64>,
    /// The latest failed attempt.
    pub last_error: Option<deliveries::Sampled>,
    /// The oldest attempt weighed.
    pub since: Option<i64>,
}

impl Health {
    /// Of the deliveries' statuses and their attempts (in any order).
    pub fn of(statuses: &[DeliveryStatus], attempts: &[deliveries::Sampled]) -> Health {
        let mut durations: Vec<i64> = attempts.iter().map(|a| a.duration_ms).collect();
        durations.sort_unstable();
        let rank = |p: f64| -> Option<i64> {
            let n = durations.len();
            (n > 0).then(|| durations[((p * n as f64).ceil() as usize).clamp(1, n) - 1])
        };
        let count = |s: DeliveryStatus| statuses.iter().filter(|x| **x == s).count();
        Health {
            deliveries: statuses.len(),
            delivered: count(DeliveryStatus::Delivered),
            pending: count(DeliveryStatus::Pending),
            failed: count(DeliveryStatus::Failed),
            attempts: attempts.len(),
            succeeded: attempts.iter().filter(|a| a.error_kind.is_none()).count(),
            p50_ms: rank(0.50),
            p95_ms: rank(0.95),
            p99_ms: rank(0.99),
            last_error: attempts
                .iter()
                .filter(|a| a.error_kind.is_some())
                .max_by_key(|a| a.attempt_time)
                .cloned(),
            since: attempts.iter().map(|a| a.attempt_time).min(),
        }
    }

    /// Attempts that got a 2xx, in percent; none without attempts.
    pub fn success_rate(&self) -> Option<f64> {
        (self.attempts > 0).then(|| 100.0 * self.succeeded as f64 / self.attempts as f64)
    }
}

/// The webhook and its health.
pub async fn health(
    ctx: Ctx<'_>,
    account_id: &AccountId,
    id: &WebhookId,
) -> AppResult<(Webhook, Health)> {
    let hook = live(ctx, account_id, id).await?;
    let (statuses, attempts) = deliveries::recent(ctx.db, &hook.id, HEALTH_SAMPLE).await?;
    Ok((hook, Health::of(&statuses, &attempts)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attempt(at: i64, ms: i64, ok: bool) -> deliveries::Sampled {
        deliveries::Sampled {
            attempt_time: at,
            duration_ms: ms,
            status_code: Some(if ok { 200 } else { 500 }),
            error_kind: (!ok).then(|| "status".to_string()),
            error: (!ok).then(|| "HTTP 500".to_string()),
        }
    }

    #[test]
    fn health_counts_statuses_rates_attempts_and_ranks_durations() {
        use DeliveryStatus::*;
        // 100 attempts of 1..=100 ms; the ones at 10, 20, … failed.
        let attempts: Vec<_> = (1..=100)
            .map(|i| attempt(1000 + i, i, i % 10 != 0))
            .collect();
        let h = Health::of(&[Delivered, Delivered, Pending, Failed], &attempts);
        assert_eq!(
            (h.deliveries, h.delivered, h.pending, h.failed),
            (4, 2, 1, 1)
        );
        assert_eq!((h.attempts, h.succeeded), (100, 90));
        assert_eq!(h.success_rate(), Some(90.0));
        assert_eq!(
            (h.p50_ms, h.p95_ms, h.p99_ms),
            (Some(50), Some(95), Some(99))
        );
        // The latest failure, not the slowest or the first.
        assert_eq!(h.last_error.map(|a| a.attempt_time), Some(1100));
        assert_eq!(h.since, Some(1001));
    }

    #[test]
    fn health_without_attempts_has_no_rate_or_percentiles() {
        let h = Health::of(&[DeliveryStatus::Pending], &[]);
        assert_eq!(h.success_rate(), None);
        assert_eq!((h.p50_ms, h.p99_ms), (None, None));
        assert!(h.last_error.is_none());
        let one = Health::of(&[DeliveryStatus::Delivered], &[attempt(5, 42, true)]);
        assert_eq!((one.p50_ms, one.p99_ms), (Some(42), Some(42)));
    }
}
