//! Webhook subscriptions: validation, exact echo, secret, uniqueness.

use crate::common;

use common::{assert_error, Backend, Options, TestApp};
use serde_json::{json, Value};

async fn create_echoes_url_and_events_and_issues_a_secret(app: &TestApp) {
    let body = json!({"name": "New Bookings", "url": "https://hooks.example.com/oncehub?x=1&y=%20", "events": ["booking", "booking.scheduled", "conversation.reached_out"]});
    let (s, w) = app.post("/v2/webhooks", body.clone()).await;
    assert_eq!(s, 200, "{w}");
    assert!(w["id"].as_str().unwrap().starts_with("WHK-"));
    assert_eq!(
        (w["object"].as_str(), w["api_version"].as_str()),
        (Some("webhook"), Some("v2"))
    );
    assert_eq!(w["url"], body["url"], "url exactly as given");
    assert_eq!(w["events"], body["events"], "events exactly as given");
    let secret = w["secret"].as_str().unwrap();
    assert!(
        secret.len() == 32
            && secret
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)),
        "{secret}"
    );
    assert_eq!(w["status"], "enabled");
    let id = w["id"].as_str().unwrap();
    assert_eq!(
        app.get(&format!("/v2/webhooks/{id}")).await,
        (200, w.clone())
    );
    assert_eq!(app.get("/v2/webhooks").await.1["data"], json!([w]));
    assert_error(
        &app.post("/v2/webhooks", body.clone()).await,
        409,
        "A webhook subscription with this name already exists: 'New Bookings'",
        Some("name"),
    );
    assert_eq!(
        app.delete(&format!("/v2/webhooks/{id}")).await,
        (200, json!({"id": id, "deleted": true}))
    );
    assert_eq!(
        app.get(&format!("/v2/webhooks/{id}")).await.1,
        json!({"id": id, "object": "webhook", "deleted": true})
    );
    let (s, again) = app.post("/v2/webhooks", body).await;
    assert_eq!(s, 200, "a deleted subscription's name is free again");
    assert_ne!(
        again["secret"], w["secret"],
        "each subscription has its own secret"
    );
}
both_backends!(
    create_echoes_url_and_events_and_issues_a_secret,
    create_echoes_url_and_events_and_issues_a_secret
);

async fn create_validation(app: &TestApp) {
    let base =
        || json!({"name": "h", "url": "https://example.com/h", "events": ["booking.canceled"]});
    let with = |k: &str, v: Value| {
        let mut b = base();
        b[k] = v;
        b
    };
    let https = "URLs must be entered in full, and they must use the https:// prefix";
    assert_error(
        &app.post("/v2/webhooks", with("url", json!("http://example.com/h")))
            .await,
        400,
        https,
        Some("url"),
    );
    assert_error(
        &app.post("/v2/webhooks", with("url", json!("http://127.0.0.1:9/h")))
            .await,
        400,
        https,
        Some("url"),
    );
    assert_error(
        &app.post("/v2/webhooks", with("url", json!("example.com/h")))
            .await,
        400,
        https,
        Some("url"),
    );
    assert_error(
        &app.post("/v2/webhooks", with("events", json!(["booking.created"])))
            .await,
        400,
        "Invalid event: 'booking.created'",
        Some("events"),
    );
    assert_error(
        &app.post("/v2/webhooks", with("events", json!([]))).await,
        400,
        "At least one event is required.",
        Some("events"),
    );
    assert_error(
        &app.post("/v2/webhooks", with("events", json!("booking")))
            .await,
        400,
        "Must be an array of strings.",
        Some("events"),
    );
    assert_error(
        &app.post("/v2/webhooks", with("name", json!("!!!"))).await,
        400,
        "Webhook name must contain at least one letter or digit.",
        Some("name"),
    );
    assert_error(
        &app.post(
            "/v2/webhooks",
            json!({"url": "https://example.com/h", "events": ["booking"]}),
        )
        .await,
        400,
        "Required fields are missing.",
        Some("name"),
    );
    assert_eq!(app.get("/v2/webhooks").await.1["data"], json!([]));
    // OnceHub's schema admits fields it does not name and documents no refusal here: a field the
    // operation does not know is ignored; the secret is always Slotline's own.
    let (status, created) = app
        .post("/v2/webhooks", with("secret", json!("mine")))
        .await;
    assert_eq!(status, 200, "{created}");
    assert_ne!(created["secret"], json!("mine"));
    assert!(
        created["secret"].as_str().is_some_and(|s| s.len() >= 32),
        "{created}"
    );
}
both_backends!(create_validation, create_validation);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plain_http_only_to_loopback_and_only_in_development() {
    let app = TestApp::spawn_with(
        Backend::Sqlite,
        Options {
            allow_http_webhooks: true,
            ..Options::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(
        app.post(
            "/v2/webhooks",
            json!({"name": "local", "url": "http://127.0.0.1:9000/h", "events": ["booking"]})
        )
        .await
        .0,
        200
    );
    assert_eq!(
        app.post(
            "/v2/webhooks",
            json!({"name": "remote", "url": "http://example.com/h", "events": ["booking"]})
        )
        .await
        .0,
        400
    );
    app.finish().await;
}

/// The extensions: PATCH changes what it names (with create's rules), disable says who, and
/// rotate-secret keeps the old secret for the grace asked (0 to 7 days).
async fn a_webhook_is_changed_disabled_and_its_secret_rotated(app: &TestApp) {
    let (_, w) = app
        .post(
            "/v2/webhooks",
            json!({"name": "A", "url": "https://a.example/h", "events": ["booking"]}),
        )
        .await;
    let id = w["id"].as_str().unwrap().to_string();
    app.post(
        "/v2/webhooks",
        json!({"name": "B", "url": "https://b.example/h", "events": ["booking"]}),
    )
    .await;
    let path = format!("/v2/webhooks/{id}");
    assert_error(
        &app.patch(&path, json!({})).await,
        400,
        "At least one field must be provided to update.",
        Some("body"),
    );
    assert_error(
        &app.patch(&path, json!({"secret": "mine"})).await,
        400,
        "Unsupported fields",
        Some("secret"),
    );
    assert_error(
        &app.patch(&path, json!({"url": "http://a.example/h"})).await,
        400,
        "URLs must be entered in full, and they must use the https:// prefix",
        Some("url"),
    );
    assert_error(
        &app.patch(&path, json!({"events": ["booking.sold"]})).await,
        400,
        "Invalid event: 'booking.sold'",
        Some("events"),
    );
    let taken = app.patch(&path, json!({"name": "B"})).await;
    assert_eq!(taken.0, 409, "{}", taken.1);
    let (s, changed) = app
        .patch(
            &path,
            json!({"url": "https://a.example/v2", "events": ["booking.canceled"], "fifo": true}),
        )
        .await;
    assert_eq!(s, 200, "{changed}");
    assert_eq!(
        (
            &changed["name"],
            &changed["url"],
            &changed["events"],
            &changed["fifo"]
        ),
        (
            &json!("A"),
            &json!("https://a.example/v2"),
            &json!(["booking.canceled"]),
            &json!(true)
        )
    );
    assert_eq!(changed["secret"], w["secret"], "the secret stays");
    assert_eq!(
        app.patch("/v2/webhooks/WHK-NOSUCH0000", json!({"name": "x"}))
            .await
            .0,
        404
    );

    let (s, off) = app.post(&format!("{path}/disable"), json!({})).await;
    assert_eq!(s, 200, "{off}");
    assert_eq!(off["status"], "disabled");
    assert!(
        off["disabled_reason"]
            .as_str()
            .unwrap()
            .starts_with("Disabled by API key KEY-"),
        "{off}"
    );
    let (_, on) = app.post(&format!("{path}/enable"), json!({})).await;
    assert_eq!(on["status"], "enabled");

    assert_error(
        &app.post(
            &format!("{path}/rotate-secret"),
            json!({"grace_period": 604801}),
        )
        .await,
        400,
        "The grace period is 0 to 604800 seconds (7 days).",
        Some("grace_period"),
    );
    let before = app.clock_now();
    let (s, rotated) = app.post(&format!("{path}/rotate-secret"), json!({})).await;
    assert_eq!(s, 200, "{rotated}");
    assert_ne!(rotated["secret"], w["secret"]);
    assert_eq!(rotated["secret"].as_str().unwrap().len(), 32);
    let until =
        slotline_domain::time::parse_instant(rotated["previous_secret_expiry"].as_str().unwrap())
            .unwrap()
            / 1_000_000;
    assert_eq!(until as i64, before + 86_400_000, "a day by default");
    let (_, none) = app
        .post(&format!("{path}/rotate-secret"), json!({"grace_period": 0}))
        .await;
    assert_eq!(
        none["previous_secret_expiry"].as_str(),
        Some(slotline_domain::time::format_millis(app.clock_now()).as_str())
    );
}
both_backends!(
    a_webhook_is_changed_disabled_and_its_secret_rotated,
    a_webhook_is_changed_disabled_and_its_secret_rotated
);
