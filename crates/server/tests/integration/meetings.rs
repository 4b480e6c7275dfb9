//! Meeting links: a `jitsi` location gets an unguessable room when the booking is made, shown as
//! the booking's `join_url`, in its webhook event, on the guest's page, in the `.ics` and in the
//! confirmation email; a reassigned booking gets a room of the new host's.

use serde_json::{json, Value};

use crate::common::{self, TestApp};

const MONDAY_9AM: &str = "2025-06-16T14:00:00Z";

fn join_url(b: &Value) -> String {
    b["virtual_conferencing"]["join_url"]
        .as_str()
        .unwrap()
        .to_string()
}

async fn a_jitsi_location_gets_a_room_everywhere(backend: common::Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let (s, cal) = app
        .post(
            "/v2/booking-calendars",
            json!({"host": app.owner_user_id, "name": "Video", "subject": "Video call",
                   "settings": {"minimum_notice_minutes": 0, "locations": [{"type": "virtual", "value": "jitsi"}]}}),
        )
        .await;
    assert_eq!(s, 200, "{cal}");
    let cal = cal["id"].as_str().unwrap();
    let (s, b) = app
        .post(
            &format!("/v2/booking-calendars/{cal}/schedule"),
            json!({"start_time": MONDAY_9AM, "guest_time_zone": "UTC",
                   "booking_form": {"name": "Ann Lee", "email": "ann@guest.example"}}),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    let id = b["id"].as_str().unwrap().to_string();
    let (_, b) = app.get(&format!("/v2/bookings/{id}")).await;
    let link = join_url(&b);
    assert!(link.starts_with("https://meet.jit.si/Slotline"), "{b}");
    assert_eq!(link.len(), "https://meet.jit.si/Slotline".len() + 24);

    // The webhook event carries it.
    let payload: String =
        sqlx::query_scalar("SELECT payload FROM events WHERE type = 'booking.scheduled'")
            .fetch_one(&mut *app.db.reader().await.unwrap())
            .await
            .unwrap();
    assert!(payload.contains(&link), "{payload}");

    // The guest's page links to it, and its calendar file holds it.
    let token = b["cancel_reschedule_url"]
        .as_str()
        .unwrap()
        .rsplit('/')
        .next()
        .unwrap()
        .to_string();
    let page = app
        .http
        .get(format!("{}/b/{token}", app.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains(&format!("<a href=\"{link}\">")), "{page}");
    let ics = app
        .http
        .get(format!("{}/b/{token}.ics", app.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let unfolded = icalendar::parser::unfold(&ics.replace("\r\n", "\n"));
    assert!(unfolded.contains(&format!("LOCATION:{link}")), "{ics}");

    // The confirmation says where to join.
    let mut text = String::new();
    for _ in 0..200 {
        let files: Vec<std::path::PathBuf> = std::fs::read_dir(&app.mail_dir)
            .map(|d| d.filter_map(|e| e.ok().map(|e| e.path())).collect())
            .unwrap_or_default();
        text = files
            .iter()
            .filter(|p| p.extension().is_some_and(|e| e == "eml"))
            .map(|p| String::from_utf8_lossy(&std::fs::read(p).unwrap()).into_owned())
            .collect();
        if text.contains("ann@guest.example") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(
        text.replace("=\r\n", "").contains(&link),
        "the confirmation names the room"
    );

    // Reassigned, the booking meets in a room of the new host's.
    let (_, other) = app
        .post(
            "/v2/users",
            json!({"email": "other@test.example", "first_name": "Other", "last_name": "Host", "timezone": "America/Chicago"}),
        )
        .await;
    let (s, r) = app
        .post(
            &format!("/v2/bookings/{id}/reassign"),
            json!({"new_host": other["id"]}),
        )
        .await;
    assert_eq!(s, 200, "{r}");
    let (_, moved) = app.get(&format!("/v2/bookings/{id}")).await;
    let new_link = join_url(&moved);
    assert!(
        new_link.starts_with("https://meet.jit.si/Slotline"),
        "{moved}"
    );
    assert_ne!(new_link, link);
    app.finish().await;
}

on_both!(a_jitsi_location_gets_a_room_everywhere);

/// A `virtual_static` location without a URL of its own gives each booking its host's own
/// meeting link, and a reassigned booking the new host's.
async fn a_hosts_own_link_follows_the_host(backend: common::Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let owner = app.owner_user_id.clone();
    let path = format!("/v2/users/{owner}/meeting-link");
    let (s, none) = app.get(&path).await;
    assert_eq!(s, 200, "{none}");
    assert!(none["url"].is_null());
    let bad = app
        .call(
            reqwest::Method::PUT,
            &path,
            Some(json!({"url": "javascript:alert(1)"})),
        )
        .await;
    assert_eq!(bad.status(), 400);
    let set = app
        .call(
            reqwest::Method::PUT,
            &path,
            Some(json!({"url": "https://meet.example.com/olive"})),
        )
        .await;
    assert_eq!(set.status(), 200);
    let gone = app
        .call(
            reqwest::Method::PUT,
            "/v2/users/USR-NOBODY1/meeting-link",
            Some(json!({"url": null})),
        )
        .await;
    assert_eq!(gone.status(), 404);
    let (_, other) = app
        .post(
            "/v2/users",
            json!({"email": "other@test.example", "first_name": "Other", "last_name": "Host", "timezone": "America/Chicago"}),
        )
        .await;
    let other = other["id"].as_str().unwrap().to_string();
    let r = app
        .call(
            reqwest::Method::PUT,
            &format!("/v2/users/{other}/meeting-link"),
            Some(json!({"url": "https://meet.example.com/other"})),
        )
        .await;
    assert_eq!(r.status(), 200);

    let (s, cal) = app
        .post(
            "/v2/booking-calendars",
            json!({"host": owner, "name": "Own room", "settings": {"minimum_notice_minutes": 0,
                   "locations": [{"type": "virtual_static"}]}}),
        )
        .await;
    assert_eq!(s, 200, "{cal}");
    let (s, b) = app
        .post(
            &format!(
                "/v2/booking-calendars/{}/schedule",
                cal["id"].as_str().unwrap()
            ),
            json!({"start_time": MONDAY_9AM, "guest_time_zone": "UTC",
                   "booking_form": {"name": "Ann Lee", "email": "ann@guest.example"}}),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    let id = b["id"].as_str().unwrap();
    let (_, b) = app.get(&format!("/v2/bookings/{id}")).await;
    assert_eq!(join_url(&b), "https://meet.example.com/olive", "{b}");
    let (s, r) = app
        .post(
            &format!("/v2/bookings/{id}/reassign"),
            json!({"new_host": other}),
        )
        .await;
    assert_eq!(s, 200, "{r}");
    let (_, b) = app.get(&format!("/v2/bookings/{id}")).await;
    assert_eq!(join_url(&b), "https://meet.example.com/other", "{b}");
    app.finish().await;
}
on_both!(a_hosts_own_link_follows_the_host);
