//! `Idempotency-Key` on POST: replay within 24 hours, refusal on a different request.

use crate::common;

use common::{assert_error, TestApp};
use reqwest::Method;
use serde_json::{json, Value};

async fn post_with_key(
    app: &TestApp,
    key: &str,
    api_key: &str,
    path: &str,
    body: Value,
) -> (u16, Option<String>, Value) {
    let res = app
        .http
        .post(format!("{}{path}", app.base))
        .header("API-Key", api_key)
        .header("Idempotency-Key", key)
        .json(&body)
        .send()
        .await
        .unwrap();
    let replayed = res
        .headers()
        .get("idempotent-replayed")
        .map(|v| v.to_str().unwrap().to_string());
    (res.status().as_u16(), replayed, res.json().await.unwrap())
}

async fn same_key_same_request_acts_once(app: &TestApp) {
    let body = json!({"first_name": "Ida", "last_name": "Em", "email": "ida@example.com"});
    let (s1, r1, first) = post_with_key(app, "k-1", &app.key, "/v2/contacts", body.clone()).await;
    assert_eq!((s1, r1), (201, None));
    let (s2, r2, second) = post_with_key(app, "k-1", &app.key, "/v2/contacts", body.clone()).await;
    assert_eq!(
        (s2, r2.as_deref()),
        (201, Some("true")),
        "the first response, replayed"
    );
    assert_eq!(first, second);
    assert_eq!(
        app.get("/v2/contacts").await.1["data"]
            .as_array()
            .unwrap()
            .len(),
        1,
        "acted once"
    );

    let (s, _, err) = post_with_key(
        app,
        "k-1",
        &app.key,
        "/v2/contacts",
        json!({"first_name": "Other", "last_name": "X", "email": "x@example.com"}),
    )
    .await;
    assert_error(
        &(s, err),
        400,
        "Keys for idempotent requests can only be used with the same parameters they were first used with.",
        Some("Idempotency-Key"),
    );
    let (s, _, _) = post_with_key(app, "k-1", &app.key, "/v2/teams", body.clone()).await;
    assert_eq!(s, 400, "another path with the same key is another request");

    // Keys belong to an account.
    let other = app.other_account_key().await;
    let (s, r, _) = post_with_key(app, "k-1", &other, "/v2/contacts", body.clone()).await;
    assert_eq!((s, r), (201, None));

    // Refusals are remembered too: the same request gets the same answer.
    let (s, _, e1) = post_with_key(app, "k-2", &app.key, "/v2/teams", json!({})).await;
    let (s2, r2, e2) = post_with_key(app, "k-2", &app.key, "/v2/teams", json!({})).await;
    assert_eq!((s, s2, r2.as_deref()), (400, 400, Some("true")));
    assert_eq!(e1, e2);

    // After 24 hours the key is forgotten and the request acts again.
    let team = json!({"name": "Twice"});
    assert_eq!(
        post_with_key(app, "k-3", &app.key, "/v2/teams", team.clone())
            .await
            .0,
        200
    );
    app.clock.advance(24 * 3_600_000 + 1);
    let (s, r, _) = post_with_key(app, "k-3", &app.key, "/v2/teams", team).await;
    assert_eq!((s, r), (200, None));
    assert_eq!(
        app.get("/v2/teams").await.1["data"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    // Without the header nothing is remembered.
    assert_eq!(
        app.call(Method::POST, "/v2/teams", Some(json!({"name": "Plain"})))
            .await
            .status(),
        200
    );
}
both_backends!(
    same_key_same_request_acts_once,
    same_key_same_request_acts_once
);

async fn concurrent_duplicates_book_once(app: &TestApp) {
    let (_, cal) =
        app.post("/v2/booking-calendars", json!({"host": app.owner_user_id, "name": "I", "settings": {"minimum_notice_minutes": 0}})).await;
    let path = format!(
        "/v2/booking-calendars/{}/schedule",
        cal["id"].as_str().unwrap()
    );
    let body = json!({"start_time": "2025-06-16T14:00:00Z", "guest_time_zone": "UTC", "booking_form": {"name": "Iris", "email": "iris@example.com"}});
    let mut handles = Vec::new();
    for _ in 0..8 {
        let (http, url, key, body) = (
            app.http.clone(),
            format!("{}{path}", app.base),
            app.key.clone(),
            body.clone(),
        );
        handles.push(tokio::spawn(async move {
            let res = http
                .post(url)
                .header("API-Key", key)
                .header("Idempotency-Key", "book-once")
                .json(&body)
                .send()
                .await
                .unwrap();
            (res.status().as_u16(), res.json::<Value>().await.unwrap())
        }));
    }
    let mut ids = std::collections::HashSet::new();
    for h in handles {
        let (s, v) = h.await.unwrap();
        match s {
            200 => {
                ids.insert(v["id"].as_str().unwrap().to_string());
            }
            409 => assert_eq!(
                v["message"],
                "A request with this Idempotency-Key is still being processed."
            ),
            other => panic!("unexpected {other}: {v}"),
        }
    }
    assert_eq!(ids.len(), 1, "every success names the same booking");
    assert_eq!(
        app.get("/v2/bookings").await.1["data"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
}
both_backends!(
    concurrent_duplicates_book_once,
    concurrent_duplicates_book_once
);
