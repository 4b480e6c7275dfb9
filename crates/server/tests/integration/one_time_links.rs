//! One-time links for booking calendars and master pages.

use crate::common;

use common::{assert_error, TestApp};
use serde_json::json;
use slotline::store::one_time_links;

async fn links_carry_their_options_and_expire_unused(app: &TestApp) {
    let (_, cal) = app
        .post(
            "/v2/booking-calendars",
            json!({"host": app.owner_user_id, "name": "L", "settings": {"durations": [30, 60]}}),
        )
        .await;
    let cal = cal["id"].as_str().unwrap().to_string();
    let (s, link) = app
        .post(
            &format!("/v2/booking-calendars/{cal}/one-time-links"),
            json!({
                "booking_form": {"name": "Carrie", "email": "carrie@example.com", "topics": ["a", "b"]},
                "utm_params": {"source": "crm", "campaign": "q3"},
                "booking_settings": {"duration_minutes": 60, "skip": ["contact_info"], "co_hosts": "a@example.com, b@example.com"}
            }),
        )
        .await;
    assert_eq!(s, 200, "{link}");
    let id = link["id"].as_str().unwrap().to_string();
    assert!(
        id.len() == 12
            && id
                .bytes()
                .all(|b| b.is_ascii_digit() || b.is_ascii_uppercase()),
        "{id}"
    );
    assert_eq!(link["url"], format!("{}/o/{id}", app.base));
    assert_eq!(link["creation_time"], "2025-06-15T15:06:40.000Z");
    let (_, got) = app.get(&format!("/v2/one-time-links/{id}")).await;
    assert_eq!(got["target"], cal);
    assert_eq!(got["used"], false);
    assert_eq!(
        got["options"]["hide_url_params"], true,
        "hidden by default since 2026-07"
    );
    assert_eq!(got["options"]["booking_settings"]["duration_minutes"], 60);
    assert_eq!(got["options"]["utm_params"]["source"], "crm");

    // Used (as booking through the public page does, tested in public_pages.rs).
    sqlx::query("UPDATE one_time_links SET used_time = $1, booking_id = 'BKNG-X' WHERE id = $2")
        .bind(app.clock_now())
        .bind(&id)
        .execute(&mut *app.db.writer().await.unwrap())
        .await
        .unwrap();
    assert_eq!(
        app.get(&format!("/v2/one-time-links/{id}")).await.1["booking"],
        "BKNG-X"
    );

    let (_, unused) = app
        .post(
            &format!("/v2/booking-calendars/{cal}/one-time-links"),
            json!({}),
        )
        .await;
    let unused = unused["id"].as_str().unwrap().to_string();
    app.clock.advance(90 * 24 * 3_600_000);
    assert_eq!(
        app.get(&format!("/v2/one-time-links/{unused}")).await.0,
        404,
        "unused links are gone after 90 days"
    );
    assert_eq!(
        one_time_links::purge_expired(&app.db, app.clock_now())
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        app.get(&format!("/v2/one-time-links/{id}")).await.0,
        200,
        "used links stay"
    );

    let path = format!("/v2/booking-calendars/{cal}/one-time-links");
    assert_eq!(
        app.post(&path, json!({"booking_settings": {"duration_minutes": 45}}))
            .await
            .0,
        400
    );
    assert_eq!(
        app.post(&path, json!({"booking_settings": {"skip": ["payment"]}}))
            .await
            .0,
        400
    );
    assert_eq!(
        app.post(&path, json!({"booking_form": {"email": "nope"}}))
            .await
            .0,
        400
    );
    // OnceHub's schema types the objects and the UTM tags without null; tags have a length limit.
    assert_error(
        &app.post(&path, json!({"booking_form": null})).await,
        400,
        "booking_form must be an object.",
        Some("booking_form"),
    );
    assert_error(
        &app.post(&path, json!({"utm_params": null})).await,
        400,
        "utm_params must be an object.",
        Some("utm_params"),
    );
    assert_error(
        &app.post(
            &path,
            json!({"utm_params": {"source": "x", "content": null}}),
        )
        .await,
        400,
        "utm_params tags must be strings.",
        Some("utm_params"),
    );
    assert_eq!(
        app.post(&path, json!({"utm_params": {"source": "x".repeat(256)}}))
            .await
            .0,
        400
    );
    assert_error(
        &app.post("/v2/booking-calendars/BKC-NOPE/one-time-links", json!({}))
            .await,
        404,
        "No such booking calendar: 'BKC-NOPE'",
        Some("id"),
    );
    app.patch(
        &format!("/v2/booking-calendars/{cal}"),
        json!({"published": false}),
    )
    .await;
    assert_error(
        &app.post(&path, json!({})).await,
        400,
        &format!("This booking calendar does not allow creation of one time links: '{cal}'"),
        Some("id"),
    );
}
both_backends!(
    links_carry_their_options_and_expire_unused,
    links_carry_their_options_and_expire_unused
);

async fn master_page_links(app: &TestApp) {
    let (_, mp) = app.post("/v2/master-pages", json!({"name": "M"})).await;
    let mp = mp["id"].as_str().unwrap().to_string();
    let (s, link) = app
        .post(&format!("/v2/master-pages/{mp}/one-time-links"), json!({}))
        .await;
    assert_eq!(s, 200, "{link}");
    assert_eq!(
        app.get(&format!(
            "/v2/one-time-links/{}",
            link["id"].as_str().unwrap()
        ))
        .await
        .1["target_type"],
        "master_page"
    );
    app.delete(&format!("/v2/master-pages/{mp}")).await;
    assert_error(
        &app.post(&format!("/v2/master-pages/{mp}/one-time-links"), json!({}))
            .await,
        400,
        &format!("This master page is deleted: '{mp}'"),
        Some("id"),
    );
    assert_error(
        &app.post("/v2/master-pages/MP-NOPE/one-time-links", json!({}))
            .await,
        404,
        "No such master page: 'MP-NOPE'",
        Some("id"),
    );
}
both_backends!(master_page_links, master_page_links);
