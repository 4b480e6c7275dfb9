//! Webhook delivery across processes: a server killed with SIGKILL mid-delivery loses nothing,
//! one of two workers killed repeats only what it held,
//! and two workers on one PostgreSQL share the work without sending anything twice.

use crate::common;

use std::{
    collections::{HashMap, HashSet},
    process::{Child, Command, Stdio},
    time::Duration,
};

use common::{receiver::Receiver, Backend, Options, TestApp};
use serde_json::json;
use slotline::{
    config::Role,
    store::outbox::{self, NewEvent},
};
use sqlx::Row;

const EVENTS: usize = 2_000;

struct Process(Child);

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `slotline serve` as its own process over the test's database.
fn serve(app: &TestApp, role: &str) -> Process {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    Process(
        Command::new(env!("CARGO_BIN_EXE_slotline"))
            .args([
                "serve",
                "--role",
                role,
                "--allow-http-webhooks",
                "--webhook-timeout",
                "2",
                // The test's events are dated by its manual clock (2025), long before these
                // processes' real one: retention would take them for history to remove.
                "--keep-events-days",
                "0",
                "--keep-attempts-days",
                "0",
            ])
            .args([
                "--database-url",
                &app.url,
                "--listen",
                &format!("127.0.0.1:{port}"),
            ])
            .env("SLOTLINE_LOG", "warn")
            .stdout(Stdio::null())
            .spawn()
            .expect("start slotline"),
    )
}

fn options() -> Options {
    Options {
        allow_http_webhooks: true,
        role: Role::Api,
        ..Options::default()
    }
}

/// Writes `n` events through the outbox in one transaction, as a burst of bookings would.
async fn burst(app: &TestApp, n: usize) -> HashSet<String> {
    let mut conn = app.db.writer().await.unwrap();
    let mut tx = conn.begin().await.unwrap();
    let mut ids = HashSet::new();
    for i in 0..n {
        let id = slotline_domain::id::EventId::new();
        let payload = json!({"id": id, "object": "event", "type": "booking.scheduled", "api_version": "v2", "data": {"n": i}}).to_string();
        let e = NewEvent {
            id: id.clone(),
            event_type: "booking.scheduled",
            payload,
            creation_time: app.clock_now(),
            conversation_id: None,
        };
        outbox::write(&mut tx, &app.account_id, None, &e)
            .await
            .unwrap();
        ids.insert(id.to_string());
    }
    tx.commit().await.unwrap();
    ids
}

/// Event ids received, with every body seen for each.
fn received(rx: &Receiver) -> HashMap<String, Vec<Vec<u8>>> {
    let mut by_id: HashMap<String, Vec<Vec<u8>>> = HashMap::new();
    for r in rx.all() {
        by_id
            .entry(r.headers["webhook-id"].clone())
            .or_default()
            .push(r.body);
    }
    by_id
}

/// Waits (60 s at most) until every delivery is recorded as delivered.
async fn all_recorded_delivered(app: &TestApp) {
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    loop {
        let delivered: i64 =
            sqlx::query("SELECT COUNT(*) FROM deliveries WHERE status = 'delivered'")
                .fetch_one(&mut *app.db.reader().await.unwrap())
                .await
                .unwrap()
                .get(0);
        if delivered == EVENTS as i64 {
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "only {delivered} deliveries recorded as delivered"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn wait_distinct(rx: &Receiver, n: usize, secs: u64) -> HashMap<String, Vec<Vec<u8>>> {
    let deadline = std::time::Instant::now() + Duration::from_secs(secs);
    loop {
        let got = received(rx);
        if got.len() >= n {
            return got;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{} of {n} events arrived",
            got.len()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn sigkill_mid_delivery_loses_nothing(app: &TestApp) {
    // Requests count once answered, and each takes 20 ms: when the server dies, some 32 are
    // claimed and unanswered, and must come again once their lease runs out.
    let rx = Receiver::start_acknowledging().await;
    rx.set_delay(Duration::from_millis(20));
    let (s, w) = app
        .post(
            "/v2/webhooks",
            json!({"name": "sink", "url": rx.url, "events": ["booking"]}),
        )
        .await;
    assert_eq!(s, 200, "{w}");
    let ids = burst(app, EVENTS).await;

    let mut first = serve(app, "all");
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    while rx.count() < EVENTS / 4 {
        assert!(
            std::time::Instant::now() < deadline,
            "the first server delivered only {}",
            rx.count()
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    first.0.kill().unwrap(); // SIGKILL: no shutdown, claims and in-flight requests abandoned
    first.0.wait().unwrap();
    let at_kill = rx.count();
    assert!(at_kill < EVENTS, "killed too late to prove anything");
    let unanswered: i64 = sqlx::query(
        "SELECT COUNT(*) FROM delivery_claims k JOIN deliveries d ON d.seq = k.delivery_seq \
         WHERE d.status = 'pending' AND d.attempts = 0 AND k.lease_until > $1",
    )
    .bind(app.clock_now())
    .fetch_one(&mut *app.db.reader().await.unwrap())
    .await
    .unwrap()
    .get(0);
    assert!(unanswered > 0, "the kill left no claimed delivery behind");

    let _second = serve(app, "all");
    let got = wait_distinct(&rx, EVENTS, 90).await;
    assert_eq!(
        got.keys().cloned().collect::<HashSet<_>>(),
        ids,
        "every event arrived, none invented"
    );
    for (id, bodies) in &got {
        assert!(
            bodies.windows(2).all(|w| w[0] == w[1]),
            "a repeated delivery of {id} carried other bytes"
        );
    }
    // The deliveries the dead server had claimed come due when their lease ends; the second
    // server attempts them again and records every delivery as delivered.
    all_recorded_delivered(app).await;
    let got = received(&rx);
    assert!(
        got.values().all(|b| b.windows(2).all(|w| w[0] == w[1])),
        "repeats carry the same bytes"
    );
    assert!(
        rx.count() > EVENTS,
        "the abandoned claims were sent again ({} requests)",
        rx.count()
    );

    // The attempt log accounts for every request the receiver read: the dead server's claims
    // are logged as interrupted, so no event was seen more often than it was attempted.
    let rows = sqlx::query(
        "SELECT d.event_id, COUNT(a.seq), SUM(CASE WHEN a.error_kind = 'interrupted' THEN 1 ELSE 0 END) \
         FROM deliveries d JOIN delivery_attempts a ON a.delivery_seq = d.seq GROUP BY d.event_id",
    )
    .fetch_all(&mut *app.db.reader().await.unwrap())
    .await
    .unwrap();
    let logged: HashMap<String, i64> = rows
        .iter()
        .map(|r| (r.get::<String, _>(0), r.get::<i64, _>(1)))
        .collect();
    let interrupted: i64 = rows.iter().map(|r| r.get::<i64, _>(2)).sum();
    assert!(
        interrupted > 0,
        "the claims the kill abandoned are logged as interrupted"
    );
    let mut seen: HashMap<String, i64> = HashMap::new();
    for id in rx.seen.lock().unwrap().iter() {
        *seen.entry(id.clone()).or_default() += 1;
    }
    for (id, n) in &seen {
        assert!(
            logged.get(id).copied().unwrap_or(0) >= *n,
            "{id}: the receiver read it {n} times, the log shows {:?}",
            logged.get(id)
        );
    }
    let total_logged: i64 = logged.values().sum();
    let total_seen: i64 = seen.values().sum();
    assert!(
        total_logged >= total_seen,
        "{total_logged} attempts logged, {total_seen} requests read"
    );
}
both_backends!(
    sigkill_mid_delivery_loses_nothing,
    sigkill_mid_delivery_loses_nothing,
    options()
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_workers_on_postgres_share_the_work_and_send_each_event_once() {
    let Some(app) = TestApp::spawn_with(Backend::Postgres, options()).await else {
        return;
    };
    let rx = Receiver::start().await;
    let (s, w) = app
        .post(
            "/v2/webhooks",
            json!({"name": "sink", "url": rx.url, "events": ["booking.scheduled"]}),
        )
        .await;
    assert_eq!(s, 200, "{w}");
    let _a = serve(&app, "worker");
    let _b = serve(&app, "worker");
    tokio::time::sleep(Duration::from_millis(500)).await; // both listening
    let ids = burst(&app, EVENTS).await;
    let got = wait_distinct(&rx, EVENTS, 90).await;
    assert_eq!(got.keys().cloned().collect::<HashSet<_>>(), ids);
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(rx.count(), EVENTS, "no event was sent twice");
    let by_worker: Vec<(String, i64)> =
        sqlx::query("SELECT worker, COUNT(*) FROM delivery_attempts GROUP BY worker")
            .fetch_all(&mut *app.db.reader().await.unwrap())
            .await
            .unwrap()
            .iter()
            .map(|r| (r.get(0), r.get(1)))
            .collect();
    assert_eq!(by_worker.len(), 2, "both workers sent: {by_worker:?}");
    assert_eq!(by_worker.iter().map(|(_, n)| n).sum::<i64>(), EVENTS as i64);
    app.finish().await;
}

/// Two workers on one PostgreSQL, one killed (SIGKILL) mid-delivery: the other sends every
/// event, and an event reaches the receiver twice only if the killed worker held it: its claim
/// is logged as interrupted, under the killed worker's name, and nothing else is.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killing_one_of_two_workers_repeats_only_what_it_held() {
    let Some(app) = TestApp::spawn_with(Backend::Postgres, options()).await else {
        return;
    };
    let rx = Receiver::start_acknowledging().await;
    rx.set_delay(Duration::from_millis(20));
    let (s, w) = app
        .post(
            "/v2/webhooks",
            json!({"name": "sink", "url": rx.url, "events": ["booking.scheduled"]}),
        )
        .await;
    assert_eq!(s, 200, "{w}");
    let mut doomed = serve(&app, "worker");
    let _survivor = serve(&app, "worker");
    tokio::time::sleep(Duration::from_millis(500)).await; // both listening
    let ids = burst(&app, EVENTS).await;
    // Killed while it holds claims (the other worker may take the head of the queue first).
    let doomed_name = format!("worker-{}-", doomed.0.id());
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    loop {
        let holding: i64 = sqlx::query("SELECT COUNT(*) FROM delivery_claims WHERE worker LIKE $1")
            .bind(format!("{doomed_name}%"))
            .fetch_one(&mut *app.db.reader().await.unwrap())
            .await
            .unwrap()
            .get(0);
        if holding >= 10 {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the worker to kill never held claims"
        );
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    doomed.0.kill().unwrap();
    doomed.0.wait().unwrap();
    assert!(rx.count() < EVENTS, "killed too late to prove anything");

    let got = wait_distinct(&rx, EVENTS, 90).await;
    assert_eq!(got.keys().cloned().collect::<HashSet<_>>(), ids);
    // The killed worker's claims come due when their lease ends and are sent again.
    all_recorded_delivered(&app).await;
    let interrupted: Vec<(String, String)> = sqlx::query(
        "SELECT d.event_id, a.worker FROM delivery_attempts a JOIN deliveries d ON d.seq = a.delivery_seq \
         WHERE a.error_kind = 'interrupted'",
    )
    .fetch_all(&mut *app.db.reader().await.unwrap())
    .await
    .unwrap()
    .iter()
    .map(|r| (r.get(0), r.get(1)))
    .collect();
    assert!(!interrupted.is_empty(), "the kill left claims behind");
    assert!(
        interrupted.iter().all(|(_, w)| w.starts_with(&doomed_name)),
        "only the killed worker's claims were interrupted: {interrupted:?}"
    );
    let held: HashSet<&String> = interrupted.iter().map(|(e, _)| e).collect();
    for (id, bodies) in received(&rx) {
        assert!(
            bodies.windows(2).all(|w| w[0] == w[1]),
            "a repeat of {id} carried other bytes"
        );
        if bodies.len() > 1 {
            assert!(
                held.contains(&id),
                "{id} arrived {} times but the killed worker did not hold it",
                bodies.len()
            );
        }
    }
    app.finish().await;
}
