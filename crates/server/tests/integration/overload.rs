//! A database that cannot keep up: requests are turned away with 503 and `Retry-After` after a
//! bounded wait, nothing of them written; what was accepted is delivered.

use crate::common;

use std::{collections::HashSet, time::Duration};

use common::{receiver::Receiver, Backend, Options, TestApp};
use serde_json::json;
use sqlx::Row;

fn options() -> Options {
    Options {
        allow_http_webhooks: true,
        db_wait_ms: 100,
        ..Options::default()
    }
}

/// Takes every connection the server could write with (SQLite: its one writer; PostgreSQL: the
/// whole pool, readers included), retrying while the server holds some.
async fn hold_the_database(app: &TestApp, backend: Backend) -> Vec<slotline::store::Conn> {
    let want = match backend {
        Backend::Sqlite => 1,
        Backend::Postgres => slotline::store::Limits::default().pool as usize,
    };
    let mut held = Vec::with_capacity(want);
    while held.len() < want {
        if let Ok(c) = app.db.writer().await {
            held.push(c);
        }
    }
    held
}

async fn a_busy_database_answers_503_and_writes_nothing(app: &TestApp, backend: Backend) {
    let held = hold_the_database(app, backend).await;
    let started = std::time::Instant::now();
    let res = app
        .http
        .post(format!("{}/v2/contacts", app.base))
        .header("API-Key", &app.key)
        .json(&json!({"first_name": "Ida", "last_name": "Em", "email": "ida@example.com"}))
        .send()
        .await
        .unwrap();
    let waited = started.elapsed();
    assert_eq!(res.status(), 503);
    assert_eq!(
        res.headers()
            .get("retry-after")
            .map(|v| v.to_str().unwrap()),
        Some("1")
    );
    let body: serde_json::Value = res.json().await.unwrap();
    common::assert_error(
        &(503, body),
        503,
        "The server is busy and did not start this request. Retry after 1 s.",
        None,
    );
    assert!(
        waited < Duration::from_secs(10),
        "turned away after its wait, not held ({waited:?})"
    );
    drop(held);

    // Nothing of the refused request was written: the same request now creates the contact.
    let (s, made) = app
        .post(
            "/v2/contacts",
            json!({"first_name": "Ida", "last_name": "Em", "email": "ida@example.com"}),
        )
        .await;
    assert_eq!(s, 201, "{made}");
    let (s, list) = app.get("/v2/contacts").await;
    assert_eq!(s, 200);
    assert_eq!(list["data"].as_array().unwrap().len(), 1, "{list}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_busy_database_answers_503_and_writes_nothing_sqlite() {
    if let Some(app) = TestApp::spawn_with(Backend::Sqlite, options()).await {
        a_busy_database_answers_503_and_writes_nothing(&app, Backend::Sqlite).await;
        app.finish().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_busy_database_answers_503_and_writes_nothing_postgres() {
    if let Some(app) = TestApp::spawn_with(Backend::Postgres, options()).await {
        a_busy_database_answers_503_and_writes_nothing(&app, Backend::Postgres).await;
        app.finish().await;
    }
}

fn rss_mb() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next()?.parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

/// Events written faster than the database is let to take them (the database held for a
/// while in the middle): each request is accepted or refused whole; every accepted event is
/// delivered, no refused one exists; memory stays bounded.
async fn past_capacity_nothing_accepted_is_lost(app: &TestApp, backend: Backend) {
    const EVENTS: usize = 1_500;
    let rx = Receiver::start_acknowledging().await;
    let (s, hook) = app
        .post(
            "/v2/webhooks",
            json!({"name": "sink", "url": rx.url, "events": ["booking"]}),
        )
        .await;
    assert_eq!(s, 200, "{hook}");
    let test = format!(
        "{}/v2/webhooks/{}/test",
        app.base,
        hook["id"].as_str().unwrap()
    );
    let rss_before = rss_mb();
    let burst = async {
        let limit = std::sync::Arc::new(tokio::sync::Semaphore::new(64));
        let mut tasks = tokio::task::JoinSet::new();
        for _ in 0..EVENTS {
            let permit = limit.clone().acquire_owned().await.unwrap();
            let (http, url, key) = (app.http.clone(), test.clone(), app.key.clone());
            tasks.spawn(async move {
                let res = http.post(url).header("API-Key", key).send().await.unwrap();
                drop(permit);
                let status = res.status().as_u16();
                let retry_after = res.headers().contains_key("retry-after");
                let body: serde_json::Value = res.json().await.unwrap_or_default();
                (
                    status,
                    retry_after,
                    body["event"].as_str().map(String::from),
                )
            });
        }
        let mut out = Vec::new();
        while let Some(r) = tasks.join_next().await {
            out.push(r.unwrap());
        }
        out
    };
    let squeeze = async {
        tokio::time::sleep(Duration::from_millis(200)).await;
        let held = hold_the_database(app, backend).await;
        tokio::time::sleep(Duration::from_millis(400)).await;
        drop(held);
    };
    let (answers, ()) = tokio::join!(burst, squeeze);
    let rss_after = rss_mb();

    let mut accepted = HashSet::new();
    let mut refused = 0;
    for (status, retry_after, event) in &answers {
        match status {
            200 => {
                accepted.insert(event.clone().expect("an accepted test names its event"));
            }
            503 => {
                assert!(retry_after, "a 503 says when to retry");
                refused += 1;
            }
            other => panic!("unexpected status {other}"),
        }
    }
    assert!(refused > 0, "the held database turned some requests away");
    assert!(!accepted.is_empty());
    // Every accepted event arrives; no refused request left an event behind.
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    loop {
        let seen: HashSet<String> = rx
            .all()
            .iter()
            .filter_map(|r| r.headers.get("webhook-id").cloned())
            .collect();
        if accepted.is_subset(&seen) {
            assert_eq!(seen, accepted, "nothing arrives that was refused");
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{} of {} accepted events arrived",
            accepted.intersection(&seen).count(),
            accepted.len()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let stored: i64 = sqlx::query("SELECT COUNT(*) FROM events WHERE type = 'webhook.test'")
        .fetch_one(&mut *app.db.reader().await.unwrap())
        .await
        .unwrap()
        .get(0);
    assert_eq!(
        stored as usize,
        accepted.len(),
        "one event per accepted request"
    );
    // The server shares this process: a queue growing with the burst would show here.
    assert!(
        rss_after - rss_before < 256.0,
        "memory grew by {:.0} MB during the burst",
        rss_after - rss_before
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn past_capacity_nothing_accepted_is_lost_sqlite() {
    if let Some(app) = TestApp::spawn_with(Backend::Sqlite, options()).await {
        past_capacity_nothing_accepted_is_lost(&app, Backend::Sqlite).await;
        app.finish().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn past_capacity_nothing_accepted_is_lost_postgres() {
    if let Some(app) = TestApp::spawn_with(Backend::Postgres, options()).await {
        past_capacity_nothing_accepted_is_lost(&app, Backend::Postgres).await;
        app.finish().await;
    }
}
