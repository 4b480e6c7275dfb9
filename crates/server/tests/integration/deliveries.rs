//! Webhook delivery end to end: real bookings, a real HTTP receiver, the worker inside the
//! server, and the manual clock to move through retries without sleeping.

use crate::common;

use std::time::Duration;

use common::{
    receiver::{Behavior, Receiver},
    Options, TestApp,
};
use serde_json::{json, Value};
use sqlx::Row;

const MONDAY_9AM: &str = "2025-06-16T14:00:00.000Z";

fn dev() -> Options {
    Options {
        allow_http_webhooks: true,
        webhook_timeout_secs: 1,
        ..Options::default()
    }
}

async fn subscribe(app: &TestApp, name: &str, url: &str, events: &[&str]) -> Value {
    let (s, w) = app
        .post(
            "/v2/webhooks",
            json!({"name": name, "url": url, "events": events}),
        )
        .await;
    assert_eq!(s, 200, "{w}");
    w
}

async fn book(app: &TestApp, start: &str) -> String {
    let (s, c) = app
        .post(
            "/v2/booking-calendars",
            json!({"host": app.owner_user_id, "name": format!("Cal {start}"), "settings": {"minimum_notice_minutes": 0}}),
        )
        .await;
    assert_eq!(s, 200, "{c}");
    let cal = c["id"].as_str().unwrap();
    let (s, b) = app
        .post(
            &format!("/v2/booking-calendars/{cal}/schedule"),
            json!({"start_time": start, "guest_time_zone": "UTC", "booking_form": {"name": "Carrie Guest", "email": "carrie@guest.example"}}),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    b["id"].as_str().unwrap().to_string()
}

/// (attempts, status, next_attempt_time) of the only delivery, once it has `attempts` attempts.
async fn delivery_after(app: &TestApp, attempts: i64) -> (i64, String, Option<i64>) {
    for _ in 0..500 {
        let row = sqlx::query("SELECT attempts, status, next_attempt_time FROM deliveries")
            .fetch_optional(&mut *app.db.reader().await.unwrap())
            .await
            .unwrap();
        if let Some(r) = row {
            let got: (i64, String, Option<i64>) = (r.get(0), r.get(1), r.get(2));
            if got.0 >= attempts {
                return got;
            }
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("the delivery never reached {attempts} attempts");
}

async fn attempt_log(app: &TestApp) -> Vec<(i64, Option<i64>, Option<String>)> {
    sqlx::query("SELECT attempt_time, status_code, error_kind FROM delivery_attempts ORDER BY seq")
        .fetch_all(&mut *app.db.reader().await.unwrap())
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2)))
        .collect()
}

fn verify(
    secret: &str,
    r: &common::receiver::Received,
    now_secs: i64,
) -> slotline_webhook::Verified {
    let headers = slotline_webhook::Headers::from_lookup(|k| r.headers.get(k).map(String::as_str));
    slotline_webhook::verify(secret, &headers, &r.body, now_secs, 300).expect("valid signatures")
}

async fn each_subscription_gets_its_events_signed(app: &TestApp) {
    let all = Receiver::start().await;
    let cancels = Receiver::start().await;
    let none = Receiver::start().await;
    let w_all = subscribe(app, "all bookings", &all.url, &["booking"]).await;
    let w_cancel = subscribe(app, "cancels", &cancels.url, &["booking.canceled"]).await;
    subscribe(app, "conversations", &none.url, &["conversation"]).await;

    let id = book(app, MONDAY_9AM).await;
    let got = all.wait_for(1, 10).await;
    let (s, c) = app
        .post(
            &format!("/v2/bookings/{id}/cancel"),
            json!({"cancellation_reason": "Conflict"}),
        )
        .await;
    assert_eq!(s, 200, "{c}");
    let got_all = all.wait_for(2, 10).await;
    let got_cancel = cancels.wait_for(1, 10).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(
        none.count(),
        0,
        "a subscription to other events gets nothing"
    );
    assert_eq!(cancels.count(), 1, "booking.canceled only");

    let now = app.clock_now() / 1000;
    for (r, secret) in [
        (&got[0], &w_all["secret"]),
        (&got_all[1], &w_all["secret"]),
        (&got_cancel[0], &w_cancel["secret"]),
    ] {
        let v = verify(secret.as_str().unwrap(), r, now);
        assert!(v.oncehub && v.standard, "both schemes present and valid");
        assert_eq!(v.timestamp, now);
        assert_eq!(r.headers["content-type"], "application/json");
        assert!(
            r.headers["user-agent"].starts_with("Slotline-Webhooks/"),
            "{}",
            r.headers["user-agent"]
        );
        // The body is the event exactly as the event log holds it, and the id is its event id.
        let event: Value = serde_json::from_slice(&r.body).unwrap();
        let event_id = event["id"].as_str().unwrap();
        assert_eq!(r.headers["webhook-id"], event_id);
        let stored: String = sqlx::query("SELECT payload FROM events WHERE id = $1")
            .bind(event_id)
            .fetch_one(&mut *app.db.reader().await.unwrap())
            .await
            .unwrap()
            .get(0);
        assert_eq!(r.body, stored.as_bytes());
    }
    let types: Vec<String> = got_all
        .iter()
        .map(|r| {
            serde_json::from_slice::<Value>(&r.body).unwrap()["type"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(types, ["booking.scheduled", "booking.canceled"]);
    assert_eq!(
        serde_json::from_slice::<Value>(&got_cancel[0].body).unwrap()["data"]["id"],
        id
    );
}
both_backends!(
    each_subscription_gets_its_events_signed,
    each_subscription_gets_its_events_signed,
    dev()
);

async fn a_failing_receiver_is_retried_on_schedule_until_it_recovers(app: &TestApp) {
    let rx = Receiver::start().await;
    rx.script([
        Behavior::Answer(500, vec![]),
        Behavior::Hang(Duration::from_secs(3)),
        Behavior::Reset,
        Behavior::Answer(429, vec![("retry-after", "120".into())]),
        Behavior::Answer(204, vec![]),
    ]);
    let hook = subscribe(app, "flaky", &rx.url, &["booking.scheduled"]).await;
    let t0 = app.clock_now();
    book(app, MONDAY_9AM).await;
    // (after which failure, the nominal wait, whether jitter applies)
    let waits = [
        (1, 35_000, true),
        (2, 180_000, true),
        (3, 900_000, true),
        (4, 120_000, false),
    ];
    let mut at = t0;
    for (failures, nominal, jittered) in waits {
        let (attempts, status, next) = delivery_after(app, failures).await;
        assert_eq!((attempts, status.as_str()), (failures, "pending"));
        let wait = next.unwrap() - at;
        if jittered {
            assert!(
                (nominal * 9 / 10..=nominal * 11 / 10).contains(&wait),
                "wait {wait} after failure {failures}"
            );
        } else {
            assert_eq!(wait, nominal, "Retry-After is honoured exactly");
        }
        // Nothing is sent before it is due.
        let before = rx.count();
        app.clock.advance(wait - 1_000);
        tokio::time::sleep(Duration::from_millis(150)).await;
        assert_eq!(rx.count(), before, "no attempt before its time");
        app.clock.advance(1_000);
        at = next.unwrap();
    }
    let (attempts, status, next) = delivery_after(app, 5).await;
    assert_eq!((attempts, status.as_str(), next), (5, "delivered", None));
    let log = attempt_log(app).await;
    let kinds: Vec<Option<&str>> = log.iter().map(|(_, _, k)| k.as_deref()).collect();
    assert_eq!(kinds[0], Some("status"));
    assert_eq!(kinds[1], Some("timeout"));
    assert!(
        matches!(kinds[2], Some("connect") | Some("body")),
        "a reset is a connection failure: {:?}",
        kinds[2]
    );
    assert_eq!(kinds[3], Some("status"));
    assert_eq!(kinds[4], None);
    assert_eq!(
        log.iter().map(|(_, c, _)| *c).collect::<Vec<_>>(),
        [Some(500), None, None, Some(429), Some(204)]
    );
    // Every attempt carried the same event id and the same bytes.
    let got = rx.all();
    assert!(got.windows(2).all(
        |w| w[0].body == w[1].body && w[0].headers["webhook-id"] == w[1].headers["webhook-id"]
    ));
    let (_, w) = app
        .get(&format!("/v2/webhooks/{}", hook["id"].as_str().unwrap()))
        .await;
    assert_eq!(w["status"], "enabled");
}
both_backends!(
    a_failing_receiver_is_retried_on_schedule_until_it_recovers,
    a_failing_receiver_is_retried_on_schedule_until_it_recovers,
    dev()
);

async fn gone_disables_the_webhook_at_once(app: &TestApp) {
    let rx = Receiver::start().await;
    rx.set_default(Behavior::Answer(410, vec![]));
    let hook = subscribe(app, "gone", &rx.url, &["booking"]).await;
    let id = hook["id"].as_str().unwrap();
    book(app, MONDAY_9AM).await;
    let (attempts, status, _) = delivery_after(app, 1).await;
    assert_eq!((attempts, status.as_str()), (1, "failed"));
    let (_, w) = app.get(&format!("/v2/webhooks/{id}")).await;
    assert_eq!(w["status"], "disabled");
    assert_eq!(w["disabled_reason"], "The endpoint answered 410 Gone.");
    // A disabled webhook gets no new deliveries.
    book(app, "2025-06-17T14:00:00.000Z").await;
    let n: i64 = sqlx::query("SELECT COUNT(*) FROM deliveries")
        .fetch_one(&mut *app.db.reader().await.unwrap())
        .await
        .unwrap()
        .get(0);
    assert_eq!(n, 1);
    assert_eq!(rx.count(), 1);
}
both_backends!(
    gone_disables_the_webhook_at_once,
    gone_disables_the_webhook_at_once,
    dev()
);

async fn seventy_two_hours_of_failures_disable_the_webhook(app: &TestApp) {
    let rx = Receiver::start().await;
    rx.set_default(Behavior::Answer(500, vec![]));
    let hook = subscribe(app, "down", &rx.url, &["booking.scheduled"]).await;
    let t0 = app.clock_now();
    book(app, MONDAY_9AM).await;
    let mut failures = 1;
    loop {
        let (_, status, next) = delivery_after(app, failures).await;
        if status == "failed" {
            break;
        }
        app.clock.set(next.unwrap());
        failures += 1;
        assert!(failures < 30, "gave up too late");
    }
    let log = attempt_log(app).await;
    assert!(
        log.last().unwrap().0 - t0 <= 72 * 3_600_000,
        "no attempt after 72 hours"
    );
    // The last wait is 6 h ± 10 %: the last attempt comes at least 72 h - 6.6 h after the first.
    assert!(
        log.last().unwrap().0 - t0 >= 72 * 3_600_000 - 6 * 3_600_000 * 11 / 10,
        "retried until near the end of the 72 hours"
    );
    let (_, w) = app
        .get(&format!("/v2/webhooks/{}", hook["id"].as_str().unwrap()))
        .await;
    assert_eq!(w["status"], "disabled");
    assert_eq!(w["disabled_reason"], "Deliveries failed for 72 hours.");
}
both_backends!(
    seventy_two_hours_of_failures_disable_the_webhook,
    seventy_two_hours_of_failures_disable_the_webhook,
    dev()
);

async fn internal_addresses_are_refused_at_connect_time(app: &TestApp) {
    // No development flag and no allow list: localhost resolves to loopback, which is refused
    // when connecting; the metadata address is refused as written.
    subscribe(
        app,
        "sneaky",
        "https://localhost:9/hook",
        &["booking.scheduled"],
    )
    .await;
    subscribe(
        app,
        "metadata",
        "https://169.254.169.254/latest/meta-data",
        &["booking.scheduled"],
    )
    .await;
    book(app, MONDAY_9AM).await;
    for _ in 0..500 {
        if attempt_log(app).await.len() == 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let rows = sqlx::query("SELECT error_kind, error FROM delivery_attempts ORDER BY seq")
        .fetch_all(&mut *app.db.reader().await.unwrap())
        .await
        .unwrap();
    assert_eq!(rows.len(), 2);
    for r in rows {
        let (kind, error): (String, String) = (r.get(0), r.get(1));
        assert_eq!(kind, "address", "{error}");
        assert!(
            error.contains("loopback") || error.contains("link-local"),
            "{error}"
        );
    }
}
both_backends!(
    internal_addresses_are_refused_at_connect_time,
    internal_addresses_are_refused_at_connect_time
);

async fn the_log_shows_each_attempt_and_failed_work_can_be_replayed(app: &TestApp) {
    let rx = Receiver::start().await;
    let other = Receiver::start().await;
    rx.set_default(Behavior::Answer(410, vec![("x-reason", "moved".into())]));
    let hook = subscribe(app, "moved", &rx.url, &["booking"]).await;
    let bystander = subscribe(app, "bystander", &other.url, &["booking.canceled"]).await;
    let id = hook["id"].as_str().unwrap();
    let t0 = app.clock_now();
    book(app, MONDAY_9AM).await;
    delivery_after(app, 1).await;
    let (_, w) = app.get(&format!("/v2/webhooks/{id}")).await;
    assert_eq!(w["status"], "disabled");
    common::assert_error(
        &app.post(&format!("/v2/webhooks/{id}/test"), json!({}))
            .await,
        400,
        "The webhook is disabled; enable it first.",
        Some("id"),
    );

    // Back on, and the failed delivery recovered: it goes out again and succeeds.
    rx.set_default(Behavior::Answer(200, vec![]));
    let (s, w) = app
        .post(&format!("/v2/webhooks/{id}/enable"), json!({}))
        .await;
    assert_eq!(
        (s, w["status"].as_str(), &w["disabled_reason"]),
        (200, Some("enabled"), &Value::Null)
    );
    let (s, r) = app
        .post(
            &format!("/v2/webhooks/{id}/recover"),
            json!({"since": slotline_domain::time::format_millis(t0)}),
        )
        .await;
    assert_eq!((s, &r), (200, &json!({"recovered": 1})));
    rx.wait_for(2, 10).await;
    let (_, r) = app
        .post(
            &format!("/v2/webhooks/{id}/recover"),
            json!({"since": slotline_domain::time::format_millis(t0)}),
        )
        .await;
    assert_eq!(r, json!({"recovered": 0}), "nothing left to recover");
    delivery_after(app, 2).await;

    let (s, log) = app.get(&format!("/v2/webhooks/{id}/deliveries")).await;
    assert_eq!(s, 200, "{log}");
    let d = &log["data"][0];
    assert_eq!(log["data"].as_array().unwrap().len(), 1);
    assert_eq!(
        (
            d["object"].as_str(),
            d["status"].as_str(),
            d["event_type"].as_str()
        ),
        (
            Some("delivery"),
            Some("delivered"),
            Some("booking.scheduled")
        )
    );
    assert_eq!(d["attempt_count"], 2);
    let attempts = d["attempts"].as_array().unwrap();
    assert_eq!(attempts[0]["status_code"], 410);
    assert_eq!(attempts[0]["error_kind"], "status");
    assert_eq!(attempts[0]["response_headers"]["x-reason"], "moved");
    assert_eq!(attempts[0]["response_body"], "ok");
    assert_eq!(attempts[1]["status_code"], 200);
    assert_eq!(attempts[1]["error_kind"], Value::Null);
    let (_, only_failed) = app
        .get(&format!(
            "/v2/webhooks/{id}/deliveries?status=failed,pending"
        ))
        .await;
    assert_eq!(only_failed["data"], json!([]));
    common::assert_error(
        &app.get(&format!("/v2/webhooks/{id}/deliveries?status=lost"))
            .await,
        400,
        "Invalid status: lost",
        Some("status"),
    );
    common::assert_error(
        &app.get("/v2/webhooks/WHK-NOPE/deliveries").await,
        404,
        "No such webhook: 'WHK-NOPE'",
        Some("id"),
    );

    // Redelivery sends the same bytes again, to the one webhook named (the bystander is not
    // subscribed to the event but may be named explicitly).
    let event_id = d["event"].as_str().unwrap();
    let (s, r) = app
        .post(
            &format!("/v2/events/{event_id}/redeliver"),
            json!({"webhook": id}),
        )
        .await;
    assert_eq!(s, 200, "{r}");
    assert_eq!(r["deliveries"].as_array().unwrap().len(), 1);
    let got = rx.wait_for(3, 10).await;
    assert_eq!(got[1].body, got[2].body);
    let b = bystander["id"].as_str().unwrap();
    let (s, _) = app
        .post(
            &format!("/v2/events/{event_id}/redeliver"),
            json!({"webhook": b}),
        )
        .await;
    assert_eq!(s, 200);
    let to_other = other.wait_for(1, 10).await;
    assert_eq!(to_other[0].body, got[2].body);

    // A test event goes to that webhook only.
    let (s, t) = app
        .post(&format!("/v2/webhooks/{id}/test"), json!({}))
        .await;
    assert_eq!(s, 200, "{t}");
    let got = rx.wait_for(4, 10).await;
    let test: Value = serde_json::from_slice(&got[3].body).unwrap();
    assert_eq!(
        (
            test["type"].as_str(),
            test["id"].as_str(),
            test["data"]["id"].as_str()
        ),
        (Some("webhook.test"), t["event"].as_str(), Some(id))
    );
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(other.count(), 1);
}
both_backends!(
    the_log_shows_each_attempt_and_failed_work_can_be_replayed,
    the_log_shows_each_attempt_and_failed_work_can_be_replayed,
    dev()
);

async fn a_slow_endpoint_holds_up_neither_other_webhooks_nor_the_api(app: &TestApp) {
    let slow = Receiver::start().await;
    let fast = Receiver::start().await;
    slow.set_delay(Duration::from_secs(3));
    subscribe(app, "slow", &slow.url, &["booking"]).await;
    subscribe(app, "fast", &fast.url, &["booking"]).await;
    for day in 16..=20 {
        book(app, &format!("2025-06-{day}T14:00:00.000Z")).await;
    }
    // Every event reached the fast endpoint while the slow one still held its first two (its
    // limit in flight is 2, each held for 3 s).
    fast.wait_for(5, 10).await;
    let (s, _) = app.get("/v2/bookings?limit=5").await;
    assert_eq!(s, 200, "the API answers meanwhile");
    assert!(
        slow.count() <= 2,
        "the slow endpoint got {} at once, above its limit",
        slow.count()
    );
    // And the slow one gets everything in the end.
    slow.wait_for(5, 30).await;
}
both_backends!(
    a_slow_endpoint_holds_up_neither_other_webhooks_nor_the_api,
    a_slow_endpoint_holds_up_neither_other_webhooks_nor_the_api,
    Options {
        allow_http_webhooks: true,
        webhook_timeout_secs: 10,
        webhook_per_endpoint: 2,
        ..Options::default()
    }
);

async fn redirects_are_failures_and_are_not_followed(app: &TestApp) {
    let target = Receiver::start().await;
    let rx = Receiver::start().await;
    rx.set_default(Behavior::Answer(
        307,
        vec![("location", target.url.clone())],
    ));
    subscribe(app, "moved", &rx.url, &["booking.scheduled"]).await;
    book(app, MONDAY_9AM).await;
    let (attempts, status, next) = delivery_after(app, 1).await;
    assert_eq!(
        (attempts, status.as_str()),
        (1, "pending"),
        "a redirect is retried later, like any failure"
    );
    assert!(next.is_some());
    assert_eq!(attempt_log(app).await[0].1, Some(307));
    assert_eq!(attempt_log(app).await[0].2.as_deref(), Some("status"));
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(target.count(), 0, "the Location was not followed");
}
both_backends!(
    redirects_are_failures_and_are_not_followed,
    redirects_are_failures_and_are_not_followed,
    dev()
);

async fn a_failed_tls_handshake_is_logged_as_tls(app: &TestApp) {
    // https:// to an endpoint that answers in plain HTTP at once: the handshake fails.
    let plain = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("https://{}/hook", plain.local_addr().unwrap());
    tokio::spawn(async move {
        use tokio::io::AsyncWriteExt;
        while let Ok((mut s, _)) = plain.accept().await {
            let _ = s
                .write_all(b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n\r\n")
                .await;
        }
    });
    subscribe(app, "tls", &url, &["booking.scheduled"]).await;
    book(app, MONDAY_9AM).await;
    delivery_after(app, 1).await;
    let log = attempt_log(app).await;
    let error: Option<String> = sqlx::query("SELECT error FROM delivery_attempts")
        .fetch_one(&mut *app.db.reader().await.unwrap())
        .await
        .unwrap()
        .get(0);
    assert_eq!(log[0].2.as_deref(), Some("tls"), "{log:?} {error:?}");
    assert_eq!(log[0].1, None, "no HTTP status without a handshake");
}
both_backends!(
    a_failed_tls_handshake_is_logged_as_tls,
    a_failed_tls_handshake_is_logged_as_tls,
    dev()
);

/// A FIFO webhook gets a booking's events in order: the cancellation waits while the booking's
/// scheduled event is retried, and follows it once it got through. A webhook without FIFO gets
/// the cancellation at once (what the rule changes).
async fn a_fifo_webhook_gets_each_bookings_events_in_order(app: &TestApp) {
    let ordered = Receiver::start().await;
    ordered.script([Behavior::Answer(503, vec![])]);
    let free = Receiver::start().await;
    free.script([Behavior::Answer(503, vec![])]);
    let (s, hook) = app
        .post(
            "/v2/webhooks",
            json!({"name": "ordered", "url": ordered.url, "events": ["booking"], "fifo": true}),
        )
        .await;
    assert_eq!(s, 200, "{hook}");
    assert_eq!(hook["fifo"], true);
    subscribe(app, "free", &free.url, &["booking"]).await;
    let booking = book(app, MONDAY_9AM).await;
    ordered.wait_for(1, 10).await;
    free.wait_for(1, 10).await;
    let (s, _) = app
        .post(&format!("/v2/bookings/{booking}/cancel"), json!({}))
        .await;
    assert_eq!(s, 200);
    // The free webhook gets the cancellation now; the ordered one holds it back.
    let got = free.wait_for(2, 10).await;
    let kind = |r: &common::receiver::Received| -> String {
        serde_json::from_slice::<Value>(&r.body).unwrap()["type"]
            .as_str()
            .unwrap()
            .to_string()
    };
    assert_eq!(kind(&got[1]), "booking.canceled");
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(ordered.count(), 1, "the cancellation waits for the retry");
    // The retry comes due: scheduled goes through, then the cancellation, in that order.
    let next: i64 = sqlx::query(
        "SELECT MAX(next_attempt_time) FROM deliveries WHERE status = 'pending' AND attempts = 1",
    )
    .fetch_one(&mut *app.db.reader().await.unwrap())
    .await
    .unwrap()
    .get(0);
    app.clock.set(next);
    let got = ordered.wait_for(3, 10).await;
    let kinds: Vec<String> = got.iter().map(kind).collect();
    assert_eq!(
        kinds,
        ["booking.scheduled", "booking.scheduled", "booking.canceled"]
    );
}
both_backends!(
    a_fifo_webhook_gets_each_bookings_events_in_order,
    a_fifo_webhook_gets_each_bookings_events_in_order,
    dev()
);
