//! Retention: history older than its period is removed in batches; nothing still being
//! delivered is; the idempotency records go after their 24 hours.

use crate::common;

use std::time::Duration;

use common::{receiver::Behavior, receiver::Receiver, Options, TestApp};
use serde_json::json;
use slotline::services::{
    retention::{self, Periods, Removed},
    Ctx,
};
use sqlx::Row;

const DAY: i64 = 86_400_000;

fn ctx(app: &TestApp) -> Ctx<'_> {
    Ctx {
        db: &app.db,
        clock: &app.clock,
        base_url: "http://localhost",
        meeting_url: "http://localhost/meet",
        allow_http_webhooks: true,
    }
}

async fn count(app: &TestApp, sql: &str, ids: &[String]) -> i64 {
    let mut total = 0;
    for id in ids {
        total += sqlx::query(sql)
            .bind(id)
            .fetch_one(&mut *app.db.reader().await.unwrap())
            .await
            .unwrap()
            .get::<i64, _>(0);
    }
    total
}

/// Waits until every delivery is out of `pending` or has an attempt logged after `since`.
async fn settled(app: &TestApp, since: i64) {
    for _ in 0..500 {
        let waiting: i64 = sqlx::query(
            "SELECT COUNT(*) FROM deliveries d WHERE d.status = 'pending' \
             AND NOT EXISTS (SELECT 1 FROM delivery_attempts a WHERE a.delivery_seq = d.seq AND a.attempt_time >= $1)",
        )
        .bind(since)
        .fetch_one(&mut *app.db.reader().await.unwrap())
        .await
        .unwrap()
        .get(0);
        if waiting == 0 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("deliveries did not settle");
}

/// A webhook to `rx` and `n` test events sent to it, each delivered and recorded: the test
/// event path, and the events' ids.
async fn delivered_test_events(app: &TestApp, rx: &Receiver, n: usize) -> (String, Vec<String>) {
    let (s, hook) = app
        .post(
            "/v2/webhooks",
            json!({"name": "sink", "url": rx.url, "events": ["booking"]}),
        )
        .await;
    assert_eq!(s, 200, "{hook}");
    let test = format!("/v2/webhooks/{}/test", hook["id"].as_str().unwrap());
    let mut ids = Vec::new();
    for _ in 0..n {
        let (s, sent) = app.post(&test, json!({})).await;
        assert_eq!(s, 200, "{sent}");
        ids.push(sent["event"].as_str().unwrap().to_string());
    }
    let started = app.clock_now();
    rx.wait_for(n, 10).await;
    settled(app, started).await;
    (test, ids)
}

async fn old_history_goes_and_nothing_pending_does(app: &TestApp) {
    let rx = Receiver::start_acknowledging().await;
    let (test, old) = delivered_test_events(app, &rx, 5).await;
    let res = app
        .http
        .post(format!("{}/v2/contacts", app.base))
        .header("API-Key", &app.key)
        .header("Idempotency-Key", "kept-a-day")
        .json(&json!({"first_name": "Ida", "last_name": "Em", "email": "ida@example.com"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);

    // A month later the endpoint fails: the oldest event, sent again, is pending (retried),
    // and so is a new one.
    app.clock.advance(31 * DAY);
    rx.set_default(Behavior::Answer(500, vec![]));
    let (s, again) = app
        .post(&format!("/v2/events/{}/redeliver", old[0]), json!({}))
        .await;
    assert_eq!(s, 200, "{again}");
    let (s, sent) = app.post(&test, json!({})).await;
    assert_eq!(s, 200, "{sent}");
    let fresh = sent["event"].as_str().unwrap().to_string();
    let month_later = app.clock_now();
    settled(app, month_later).await;

    // Small batches, so that the pass takes several.
    let removed = retention::pass(ctx(app), &Periods::default(), 2)
        .await
        .unwrap();
    assert_eq!(
        (removed.events, removed.deliveries, removed.idempotency),
        (4, 4, 1),
        "the four delivered month-old events go with their deliveries; the key after 24 hours"
    );
    // Five month-old successful attempts; the redelivered event's new failure stays.
    assert_eq!(removed.attempts, 5, "{removed:?}");

    for id in &old[1..] {
        assert_eq!(
            app.get(&format!("/v2/events/{id}")).await.0,
            404,
            "{id} removed"
        );
    }
    let gone = old[1..].to_vec();
    assert_eq!(
        count(
            app,
            "SELECT COUNT(*) FROM deliveries WHERE event_id = $1",
            &gone
        )
        .await,
        0,
        "their deliveries went with them"
    );
    assert_eq!(
        count(
            app,
            "SELECT COUNT(*) FROM delivery_attempts a JOIN deliveries d ON d.seq = a.delivery_seq WHERE d.event_id = $1",
            &gone
        )
        .await,
        0
    );
    // Pending: kept however old, with its delivery and the attempt newer than the period.
    for id in [&old[0], &fresh] {
        assert_eq!(
            app.get(&format!("/v2/events/{id}")).await.0,
            200,
            "{id} kept"
        );
    }
    let kept = [old[0].clone()];
    assert_eq!(
        count(
            app,
            "SELECT COUNT(*) FROM deliveries WHERE event_id = $1 AND status = 'pending'",
            &kept
        )
        .await,
        1
    );
    assert_eq!(
        count(
            app,
            "SELECT COUNT(*) FROM delivery_attempts a JOIN deliveries d ON d.seq = a.delivery_seq WHERE d.event_id = $1",
            &kept
        )
        .await,
        1,
        "the month-old attempt went, this month's stayed"
    );
    let keys: i64 = sqlx::query("SELECT COUNT(*) FROM idempotency_keys")
        .fetch_one(&mut *app.db.reader().await.unwrap())
        .await
        .unwrap()
        .get(0);
    assert_eq!(keys, 0);

    // What is kept: attempts from this month only; the oldest event is the pending one.
    let oldest = slotline::store::retention::oldest(&app.db).await.unwrap();
    assert!(oldest.attempt.unwrap() >= month_later - 30 * DAY);
    assert!(oldest.event.unwrap() < month_later - 30 * DAY);

    // A second pass finds nothing; with the logs kept forever, nothing goes either.
    assert_eq!(
        retention::pass(ctx(app), &Periods::default(), 2)
            .await
            .unwrap(),
        Removed::default()
    );
    app.clock.advance(100 * DAY);
    rx.set_default(Behavior::Answer(200, vec![]));
    let forever = Periods {
        attempts_ms: None,
        events_ms: None,
        ..Periods::default()
    };
    assert_eq!(
        retention::pass(ctx(app), &forever, 2).await.unwrap(),
        Removed::default()
    );
}

both_backends!(
    old_history_goes_and_nothing_pending_does,
    old_history_goes_and_nothing_pending_does,
    Options {
        allow_http_webhooks: true,
        ..Options::default()
    }
);

/// An event being removed and redelivered at once: the redelivery answers 404 or queues a
/// delivery of an event that is still there, never one of an event removed under it.
async fn a_redelivery_racing_retention_never_queues_a_removed_event(app: &TestApp) {
    let rx = Receiver::start_acknowledging().await;
    let (_, ids) = delivered_test_events(app, &rx, 40).await;
    app.clock.advance(31 * DAY);
    let redeliveries = async {
        let mut statuses = Vec::new();
        for id in &ids {
            let path = format!("/v2/events/{id}/redeliver");
            statuses.push(app.post(&path, json!({})).await.0);
        }
        statuses
    };
    // One event per batch: the pass and the redeliveries interleave.
    let periods = Periods::default();
    let (statuses, removed) = tokio::join!(redeliveries, retention::pass(ctx(app), &periods, 1));
    removed.unwrap();
    assert!(
        statuses.iter().all(|s| *s == 200 || *s == 404),
        "{statuses:?}"
    );
    let orphans: i64 = sqlx::query(
        "SELECT COUNT(*) FROM deliveries d WHERE NOT EXISTS (SELECT 1 FROM events e WHERE e.id = d.event_id)",
    )
    .fetch_one(&mut *app.db.reader().await.unwrap())
    .await
    .unwrap()
    .get(0);
    assert_eq!(orphans, 0, "no delivery outlives its event");
}

both_backends!(
    a_redelivery_racing_retention_never_queues_a_removed_event,
    a_redelivery_racing_retention_never_queues_a_removed_event,
    Options {
        allow_http_webhooks: true,
        ..Options::default()
    }
);
