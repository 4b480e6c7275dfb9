//! Connected calendars: a host's own calendar, published as an iCalendar feed by a real HTTP
//! server, blocks the host's slots and bookings; it is read again on demand and conditionally;
//! a calendar that cannot be read says why and booking goes on; addresses are guarded and the
//! feed's secret URL is sealed.

use serde_json::{json, Value};

use crate::common::{
    self, assert_error,
    caldav_server::{self, CaldavServer},
    feed,
    feed::Feed,
    Options, TestApp,
};

/// Loopback feeds over plain http, as a development server allows.
async fn app(backend: common::Backend) -> Option<TestApp> {
    TestApp::spawn_with(
        backend,
        Options {
            allow_http_webhooks: true,
            ..Options::default()
        },
    )
    .await
}

/// A calendar of the owner (America/Chicago, 09:00–17:00 on weekdays) bookable far ahead.
async fn calendar(app: &TestApp) -> String {
    let (s, c) = app
        .post(
            "/v2/booking-calendars",
            json!({"host": app.owner_user_id, "name": "Olive", "subject": "Intro call",
                   "settings": {"minimum_notice_minutes": 0, "booking_horizon_days": 200}}),
        )
        .await;
    assert_eq!(s, 200, "{c}");
    c["id"].as_str().unwrap().to_string()
}

async fn slots(app: &TestApp, cal: &str, day: &str) -> Vec<String> {
    let (s, v) = app
        .get(&format!(
            "/v2/booking-calendars/{cal}/time-slots?start_time={day}T00:00:00Z&end_time={day}T23:59:59Z"
        ))
        .await;
    assert_eq!(s, 200, "{v}");
    v.as_array()
        .unwrap()
        .iter()
        .map(|s| s["start_time"].as_str().unwrap()[11..16].to_string())
        .collect()
}

async fn connect(app: &TestApp, url: &str) -> Value {
    let (s, c) = app
        .post(
            &format!("/v2/users/{}/calendar-connections", app.owner_user_id),
            json!({"type": "ics", "url": url, "name": "Personal"}),
        )
        .await;
    assert_eq!(s, 201, "{c}");
    c
}

/// The connection once `done` holds (the worker reads in the background).
async fn connection_when(app: &TestApp, id: &str, done: impl Fn(&Value) -> bool) -> Value {
    let mut last = Value::Null;
    for _ in 0..250 {
        let (s, c) = app.get(&format!("/v2/calendar-connections/{id}")).await;
        assert_eq!(s, 200, "{c}");
        if done(&c) {
            return c;
        }
        last = c;
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    panic!("the connection never got there: {last}");
}

/// Asks for a read now and waits until it is recorded (the clock moves a second, so the new
/// `last_sync_time` differs); the connection then.
async fn sync_now(app: &TestApp, id: &str) -> Value {
    let before = connection_when(app, id, |_| true).await["last_sync_time"].clone();
    app.clock.advance(1_000);
    let (s, c) = app
        .post(&format!("/v2/calendar-connections/{id}/sync"), json!({}))
        .await;
    assert_eq!(s, 202, "{c}");
    connection_when(app, id, |c| c["last_sync_time"] != before).await
}

const EVENTS: [&str; 4] = [
    // Monday 2025-06-16 10:00–11:00 in New York: 09:00–10:00 for the Chicago host.
    "UID:dentist@example\nDTSTART;TZID=America/New_York:20250616T100000\nDTEND;TZID=America/New_York:20250616T110000\nSUMMARY:Dentist",
    // All of Wednesday 2025-06-18.
    "UID:offsite@example\nDTSTART;VALUE=DATE:20250618\nDTEND;VALUE=DATE:20250619\nSUMMARY:Team offsite",
    // Free time on Tuesday: does not block.
    "UID:focus@example\nDTSTART:20250617T140000Z\nDTEND:20250617T220000Z\nTRANSP:TRANSPARENT\nSUMMARY:Focus",
    // Mondays 10:00 Chicago from 2025-10-27: 15:00Z before the US DST change, 16:00Z after.
    "UID:weekly@example\nDTSTART;TZID=America/Chicago:20251027T100000\nDTEND;TZID=America/Chicago:20251027T110000\nRRULE:FREQ=WEEKLY;BYDAY=MO\nSUMMARY:Weekly",
];

async fn a_feeds_events_block_the_hosts_slots_and_bookings(backend: common::Backend) {
    let Some(app) = app(backend).await else {
        return;
    };
    let cal = calendar(&app).await;
    let all_day = slots(&app, &cal, "2025-06-16").await;
    assert_eq!(all_day.len(), 16, "{all_day:?}");
    let feed = Feed::start(&feed::calendar(&EVENTS)).await;
    let c = connect(&app, &feed.url).await;
    let id = c["id"].as_str().unwrap();
    assert_eq!(c["object"], "calendar_connection");
    assert_eq!(c["type"], "ics");
    assert!(
        !c.to_string().contains("s3cr3t"),
        "the feed's path is never shown: {c}"
    );
    assert!(c["url"].as_str().unwrap().ends_with("/…"), "{c}");

    let c = connection_when(&app, id, |c| c["last_sync_time"].is_string()).await;
    assert!(c["last_error"].is_null(), "{c}");
    assert_eq!(c["skipped_count"], 0);

    // The dentist takes 09:00 and 09:30 (14:00Z, 14:30Z) on Monday.
    let monday = slots(&app, &cal, "2025-06-16").await;
    assert_eq!(monday.len(), 14, "{monday:?}");
    assert!(!monday.contains(&"14:00".to_string()) && !monday.contains(&"14:30".to_string()));
    // The all-day offsite takes Wednesday; free time on Tuesday blocks nothing.
    assert!(slots(&app, &cal, "2025-06-18").await.is_empty());
    assert_eq!(slots(&app, &cal, "2025-06-17").await.len(), 16);
    // The weekly meeting keeps 10:00 Chicago across the DST change.
    let before = slots(&app, &cal, "2025-10-27").await;
    assert!(!before.contains(&"15:00".to_string()), "{before:?}");
    assert!(before.contains(&"16:00".to_string()), "{before:?}");
    let after = slots(&app, &cal, "2025-11-03").await;
    assert!(!after.contains(&"16:00".to_string()), "{after:?}");
    assert!(
        after.contains(&"15:00".to_string()),
        "09:00 CST is free: {after:?}"
    );

    // Booking checks the same busy time.
    let (s, refused) = app
        .post(
            &format!("/v2/booking-calendars/{cal}/schedule"),
            json!({"start_time": "2025-06-16T14:00:00Z", "guest_time_zone": "UTC",
                   "booking_form": {"name": "Ann Lee", "email": "ann@guest.example"}}),
        )
        .await;
    assert_eq!(s, 400, "{refused}");
    assert_eq!(
        refused["message"],
        "The selected start time is not available."
    );

    // The URL is sealed at rest.
    let stored: String = sqlx::query_scalar("SELECT secret FROM calendar_connections")
        .fetch_one(&mut *app.db.reader().await.unwrap())
        .await
        .unwrap();
    assert!(
        !stored.contains("s3cr3t") && !stored.contains("127.0.0.1"),
        "{stored}"
    );

    // The dentist is moved away; a sync on demand sees it (and a read of an unchanged feed is
    // conditional: the server answers 304).
    feed.set(&feed::calendar(&EVENTS[1..]));
    let (s, asked) = app
        .post(&format!("/v2/calendar-connections/{id}/sync"), json!({}))
        .await;
    assert_eq!(s, 202, "{asked}");
    let reads = feed.reads().len();
    for _ in 0..250 {
        if slots(&app, &cal, "2025-06-16").await.len() == 16 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(slots(&app, &cal, "2025-06-16").await.len(), 16);
    sync_now(&app, id).await;
    let seen = feed.reads();
    assert!(seen.len() > reads, "{seen:?}");
    assert!(
        seen.last().unwrap().starts_with("\"v"),
        "the last read sent the ETag it had: {seen:?}"
    );
    assert!(
        slots(&app, &cal, "2025-06-18").await.is_empty(),
        "busy time kept on 304"
    );
    app.finish().await;
}
on_both!(a_feeds_events_block_the_hosts_slots_and_bookings);

async fn an_unreadable_calendar_says_why_and_booking_goes_on(backend: common::Backend) {
    let Some(app) = app(backend).await else {
        return;
    };
    let cal = calendar(&app).await;
    let feed = Feed::start(&feed::calendar(&EVENTS[..1])).await;
    let c = connect(&app, &feed.url).await;
    let id = c["id"].as_str().unwrap();
    connection_when(&app, id, |c| c["last_sync_time"].is_string()).await;
    assert_eq!(slots(&app, &cal, "2025-06-16").await.len(), 14);

    // The feed turns into a web page: the error shows, the last busy time stays.
    feed.set("<html><body>Sign in to see this calendar</body></html>");
    app.post(&format!("/v2/calendar-connections/{id}/sync"), json!({}))
        .await;
    let c = connection_when(&app, id, |c| c["last_error"].is_string()).await;
    assert!(
        c["last_error"]
            .as_str()
            .unwrap()
            .contains("not an iCalendar file"),
        "{c}"
    );
    assert_eq!(slots(&app, &cal, "2025-06-16").await.len(), 14);

    // A server that is gone: said on its connection; the host can still be booked.
    let gone = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/cal.ics", gone.local_addr().unwrap());
    drop(gone);
    let other = connect(&app, &url).await;
    let other = connection_when(&app, other["id"].as_str().unwrap(), |c| {
        c["last_error"].is_string()
    })
    .await;
    assert!(
        other["last_error"]
            .as_str()
            .unwrap()
            .contains("cannot be reached"),
        "{other}"
    );
    assert!(other["last_sync_time"].is_null());
    let (s, b) = app
        .post(
            &format!("/v2/booking-calendars/{cal}/schedule"),
            json!({"start_time": "2025-06-16T16:00:00Z", "guest_time_zone": "UTC",
                   "booking_form": {"name": "Bo Park", "email": "bo@guest.example"}}),
        )
        .await;
    assert_eq!(s, 200, "{b}");

    // Deleting the connection gives the time back.
    let (s, _) = app.delete(&format!("/v2/calendar-connections/{id}")).await;
    assert_eq!(s, 200);
    let monday = slots(&app, &cal, "2025-06-16").await;
    assert!(monday.contains(&"14:00".to_string()), "{monday:?}");
    let (s, _) = app.get(&format!("/v2/calendar-connections/{id}")).await;
    assert_eq!(s, 404);
    app.finish().await;
}
on_both!(an_unreadable_calendar_says_why_and_booking_goes_on);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn calendar_addresses_are_checked_like_webhooks() {
    let Some(app) = TestApp::spawn(common::Backend::Sqlite).await else {
        return;
    };
    let path = format!("/v2/users/{}/calendar-connections", app.owner_user_id);
    let post = |body: Value| {
        let app = &app;
        let path = path.clone();
        async move { app.post(&path, body).await }
    };
    assert_error(
        &post(json!({"type": "ics", "url": "http://calendar.example.com/a.ics"})).await,
        400,
        "Invalid url: plain http:// addresses are not allowed on this server",
        Some("url"),
    );
    let internal = post(json!({"type": "ics", "url": "https://127.0.0.1/a.ics"})).await;
    assert_eq!(internal.0, 400, "{}", internal.1);
    assert!(
        internal.1["message"]
            .as_str()
            .unwrap()
            .contains("this server may not reach"),
        "{}",
        internal.1
    );
    assert_error(
        &post(json!({"type": "ics", "url": "ftp://calendar.example.com/a.ics"})).await,
        400,
        "Invalid url: it must be an http(s) or webcal address",
        Some("url"),
    );
    assert_error(
        &post(json!({"type": "exchange", "url": "https://calendar.example.com/a.ics"})).await,
        400,
        "Invalid type: 'exchange'. Supported: ics, caldav",
        Some("type"),
    );
    assert_error(
        &post(json!({"url": "https://calendar.example.com/a.ics"})).await,
        400,
        "Required fields are missing.",
        Some("type"),
    );
    let long = format!("https://calendar.example.com/{}", "a".repeat(3000));
    assert_eq!(post(json!({"type": "ics", "url": long})).await.0, 400);

    // webcal:// is https://, and the name defaults to the host.
    let (s, c) =
        post(json!({"type": "ics", "url": "webcal://calendar.example.com/u/1/basic.ics"})).await;
    assert_eq!(s, 201, "{c}");
    assert_eq!(c["url"], "https://calendar.example.com/…");
    assert_eq!(c["name"], "calendar.example.com");
    assert_eq!(c["check_conflicts"], true);
    let (s, list) = app.get(&path).await;
    assert_eq!(s, 200);
    assert_eq!(list["data"].as_array().unwrap().len(), 1);
    let (s, _) = app.get("/v2/users/USR-NOBODY/calendar-connections").await;
    assert_eq!(s, 404);
    let id = c["id"].as_str().unwrap();
    let (s, p) = app
        .patch(
            &format!("/v2/calendar-connections/{id}"),
            json!({"name": "Home", "check_conflicts": false}),
        )
        .await;
    assert_eq!(s, 200, "{p}");
    assert_eq!(
        (p["name"].as_str(), p["check_conflicts"].as_bool()),
        (Some("Home"), Some(false))
    );
    assert_error(
        &app.patch(&format!("/v2/calendar-connections/{id}"), json!({}))
            .await,
        400,
        "Nothing to update",
        Some("body"),
    );
    // Another account sees nothing.
    let other = app.other_account_key().await;
    let resp = app
        .call_as(
            &other,
            reqwest::Method::GET,
            &format!("/v2/calendar-connections/{id}"),
            None,
        )
        .await;
    assert_eq!(resp.status(), 404);
    app.finish().await;
}

/// One event as a calendar object.
fn object(event: &str) -> String {
    feed::calendar(&[event])
}

async fn a_caldav_calendar_is_found_and_its_events_block_time(backend: common::Backend) {
    let Some(dav) = CaldavServer::start().await else {
        return;
    };
    let Some(app) = app(backend).await else {
        return;
    };
    let cal = calendar(&app).await;
    let work = dav.calendar("work", "Work", &["VEVENT"]).await;
    dav.calendar("tasks", "Tasks", &["VTODO"]).await;
    dav.put(&work, "dentist", &object(EVENTS[0])).await;
    dav.put(&work, "offsite", &object(EVENTS[1])).await;
    dav.put(&work, "weekly", &object(EVENTS[3])).await;

    let path = format!("/v2/users/{}/calendar-connections", app.owner_user_id);
    let login = json!({"url": dav.url("/"), "username": caldav_server::USER, "password": caldav_server::PASSWORD});
    let (s, found) = app.post(&format!("{path}/discover"), login.clone()).await;
    assert_eq!(s, 200, "{found}");
    assert_eq!(
        found["data"],
        json!([{"url": work, "name": "Work"}]),
        "the task list holds no events"
    );
    let mut wrong = login.clone();
    wrong["password"] = json!("nope");
    let refused = app.post(&format!("{path}/discover"), wrong).await;
    assert_error(
        &refused,
        400,
        "The CalDAV server refused the username or password.",
        Some("url"),
    );

    let mut body = login.clone();
    body["type"] = json!("caldav");
    let (s, c) = app.post(&path, body).await;
    assert_eq!(s, 201, "{c}");
    assert_eq!(
        (c["type"].as_str(), c["name"].as_str()),
        (Some("caldav"), Some("Work"))
    );
    assert_eq!(c["username"], caldav_server::USER);
    assert!(!c.to_string().contains(caldav_server::PASSWORD));
    let id = c["id"].as_str().unwrap();
    let c = connection_when(&app, id, |c| c["last_sync_time"].is_string()).await;
    assert!(c["last_error"].is_null(), "{c}");

    let monday = slots(&app, &cal, "2025-06-16").await;
    assert_eq!(monday.len(), 14, "{monday:?}");
    assert!(slots(&app, &cal, "2025-06-18").await.is_empty());
    assert!(!slots(&app, &cal, "2025-10-27")
        .await
        .contains(&"15:00".to_string()));
    let after = slots(&app, &cal, "2025-11-03").await;
    assert!(
        !after.contains(&"16:00".to_string()) && after.contains(&"15:00".to_string()),
        "{after:?}"
    );

    // A meeting added there blocks here after the next read; one removed frees its time.
    dav.put(
        &work,
        "lunch",
        &object("UID:lunch@example\nDTSTART:20250617T170000Z\nDTEND:20250617T180000Z"),
    )
    .await;
    dav.delete(&work, "dentist").await;
    sync_now(&app, id).await;
    let tuesday = slots(&app, &cal, "2025-06-17").await;
    assert!(!tuesday.contains(&"17:00".to_string()), "{tuesday:?}");
    assert_eq!(slots(&app, &cal, "2025-06-16").await.len(), 16);

    // With two calendars of events, the account must say which.
    let home = dav.calendar("home", "Home", &["VEVENT"]).await;
    let mut body = login.clone();
    body["type"] = json!("caldav");
    let (s, e) = app.post(&path, body.clone()).await;
    assert_eq!(s, 400, "{e}");
    assert_eq!(e["param"], "calendar_url");
    body["calendar_url"] = json!(home);
    let (s, c) = app.post(&path, body).await;
    assert_eq!(s, 201, "{c}");
    assert_eq!(c["name"], "Home");
    app.finish().await;
}
on_both!(a_caldav_calendar_is_found_and_its_events_block_time);

async fn bookings_are_kept_in_the_hosts_calendar(backend: common::Backend) {
    let Some(dav) = CaldavServer::start().await else {
        return;
    };
    let Some(app) = app(backend).await else {
        return;
    };
    let cal = calendar(&app).await;
    let work = dav.calendar("work", "Work", &["VEVENT"]).await;
    let path = format!("/v2/users/{}/calendar-connections", app.owner_user_id);
    let body = json!({"type": "caldav", "url": dav.url("/"), "username": caldav_server::USER,
                      "password": caldav_server::PASSWORD, "add_bookings": true});
    let (s, c) = app.post(&path, body.clone()).await;
    assert_eq!(s, 201, "{c}");
    assert_eq!(c["add_bookings"], true);
    let id = c["id"].as_str().unwrap().to_string();
    // One calendar per user takes the bookings.
    let (s, second) = app.post(&path, body).await;
    assert_eq!(s, 409, "{second}");
    assert_eq!(second["param"], "add_bookings");
    // A feed cannot take them.
    let (s, feed_err) = app
        .post(&path, json!({"type": "ics", "url": "https://calendar.example.com/a.ics", "add_bookings": true}))
        .await;
    assert_eq!(s, 400, "{feed_err}");

    let (s, b) = app
        .post(
            &format!("/v2/booking-calendars/{cal}/schedule"),
            json!({"start_time": "2025-06-16T16:00:00Z", "guest_time_zone": "Europe/Paris",
                   "booking_form": {"name": "Ann Lee", "email": "ann@guest.example"}}),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    let booking = b["id"].as_str().unwrap().to_string();
    let name = format!("{booking}%40slotline.ics");
    let unfold = |t: String| icalendar::parser::unfold(&t.replace("\r\n", "\n"));
    let ics = unfold(dav.wait_for(&work, &name, Option::is_some).await.unwrap());
    assert!(ics.contains("DTSTART:20250616T160000Z"), "{ics}");
    assert!(ics.contains(&format!("UID:{booking}@slotline")), "{ics}");
    assert!(
        ics.contains("mailto:ann@guest.example"),
        "the guest attends: {ics}"
    );
    assert!(
        !ics.contains("METHOD:"),
        "a stored object has no METHOD: {ics}"
    );
    assert!(
        ics.contains("/reschedule"),
        "the guest's links are in the description: {ics}"
    );
    let mut shown = Value::Null;
    for _ in 0..100 {
        shown = app.get(&format!("/v2/bookings/{booking}")).await.1;
        if shown["external_calendar"].is_object() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(shown["external_calendar"]["type"], "caldav", "{shown}");
    assert_eq!(shown["external_calendar"]["name"], "Work");
    assert_eq!(
        shown["external_calendar"]["event_id"],
        format!("{booking}@slotline")
    );

    // Read back, the event Slotline wrote is not busy time of its own.
    connection_when(&app, &id, |c| c["last_sync_time"].is_string()).await;
    let c = sync_now(&app, &id).await;
    assert_eq!(c["busy_count"], 0, "{c}");

    // The guest moves it: the same event moves (same UID, higher SEQUENCE).
    let (s, moved) = app
        .post(
            &format!("/v2/bookings/{booking}/customer-reschedule"),
            json!({"start_time": "2025-06-16T17:00:00Z"}),
        )
        .await;
    assert_eq!(s, 200, "{moved}");
    let ics = unfold(
        dav.wait_for(&work, &name, |o| {
            o.as_ref()
                .is_some_and(|t| t.contains("DTSTART:20250616T170000Z"))
        })
        .await
        .unwrap(),
    );
    assert!(ics.contains("SEQUENCE:1"), "{ics}");
    let new_id = moved["id"].as_str().unwrap_or(&booking).to_string();

    // Canceled: the event leaves the calendar.
    let (s, canceled) = app
        .post(
            &format!("/v2/bookings/{new_id}/cancel"),
            json!({"cancellation_reason": "Plans changed"}),
        )
        .await;
    assert_eq!(s, 200, "{canceled}");
    dav.wait_for(&work, &name, Option::is_none).await;
    app.finish().await;
}
on_both!(bookings_are_kept_in_the_hosts_calendar);

/// Reassigned, a booking leaves the old host's calendar and enters the new host's.
async fn a_reassigned_booking_moves_between_the_hosts_calendars(backend: common::Backend) {
    let Some(dav) = CaldavServer::start().await else {
        return;
    };
    let Some(app) = app(backend).await else {
        return;
    };
    let cal = calendar(&app).await;
    let work = dav.calendar("work", "Work", &["VEVENT"]).await;
    let home = dav.calendar("home", "Home", &["VEVENT"]).await;
    let (_, other) = app
        .post(
            "/v2/users",
            json!({"email": "other@test.example", "first_name": "Other", "last_name": "Host", "timezone": "America/Chicago"}),
        )
        .await;
    let other = other["id"].as_str().unwrap().to_string();
    for (user, calendar_url) in [(app.owner_user_id.clone(), &work), (other.clone(), &home)] {
        let (s, c) = app
            .post(
                &format!("/v2/users/{user}/calendar-connections"),
                json!({"type": "caldav", "url": dav.url("/"), "username": caldav_server::USER,
                       "password": caldav_server::PASSWORD, "calendar_url": calendar_url, "add_bookings": true}),
            )
            .await;
        assert_eq!(s, 201, "{c}");
    }
    let (s, b) = app
        .post(
            &format!("/v2/booking-calendars/{cal}/schedule"),
            json!({"start_time": "2025-06-16T16:00:00Z", "guest_time_zone": "UTC",
                   "booking_form": {"name": "Ann Lee", "email": "ann@guest.example"}}),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    let booking = b["id"].as_str().unwrap().to_string();
    let name = format!("{booking}%40slotline.ics");
    dav.wait_for(&work, &name, Option::is_some).await;
    assert!(dav.get(&home, &name).await.is_none());

    let (s, r) = app
        .post(
            &format!("/v2/bookings/{booking}/reassign"),
            json!({"new_host": other}),
        )
        .await;
    assert_eq!(s, 200, "{r}");
    let moved = dav.wait_for(&home, &name, Option::is_some).await.unwrap();
    assert!(
        moved.contains("mailto:other@test.example"),
        "the new host organizes: {moved}"
    );
    dav.wait_for(&work, &name, Option::is_none).await;
    app.finish().await;
}
on_both!(a_reassigned_booking_moves_between_the_hosts_calendars);

/// A calendar made to receive bookings is given the bookings its user already holds that have
/// not ended (a rescheduled one under its first UID); ended and canceled ones stay out.
async fn a_calendar_switched_to_take_bookings_gets_those_to_come(backend: common::Backend) {
    let Some(dav) = CaldavServer::start().await else {
        return;
    };
    let Some(app) = app(backend).await else {
        return;
    };
    let cal = calendar(&app).await;
    let work = dav.calendar("work", "Work", &["VEVENT"]).await;
    let book = |start: &'static str| {
        let app = &app;
        let cal = &cal;
        async move {
            let (s, b) = app
                .post(
                    &format!("/v2/booking-calendars/{cal}/schedule"),
                    json!({"start_time": start, "guest_time_zone": "UTC",
                           "booking_form": {"name": "Ann Lee", "email": "ann@guest.example"}}),
                )
                .await;
            assert_eq!(s, 200, "{b}");
            b["id"].as_str().unwrap().to_string()
        }
    };
    let ended = book("2025-06-16T16:00:00Z").await;
    let moved = book("2025-06-17T16:00:00Z").await;
    let canceled = book("2025-06-18T16:00:00Z").await;
    let (s, r) = app
        .post(
            &format!("/v2/bookings/{moved}/customer-reschedule"),
            json!({"start_time": "2025-06-17T17:00:00Z"}),
        )
        .await;
    assert_eq!(s, 200, "{r}");
    let now_id = r["id"].as_str().unwrap_or(&moved).to_string();
    let (s, c) = app
        .post(&format!("/v2/bookings/{canceled}/cancel"), json!({}))
        .await;
    assert_eq!(s, 200, "{c}");

    // Connected only to check conflicts: nothing is written.
    let (s, c) = app
        .post(
            &format!("/v2/users/{}/calendar-connections", app.owner_user_id),
            json!({"type": "caldav", "url": dav.url("/"), "username": caldav_server::USER,
                   "password": caldav_server::PASSWORD}),
        )
        .await;
    assert_eq!(s, 201, "{c}");
    let id = c["id"].as_str().unwrap().to_string();
    connection_when(&app, &id, |c| c["last_sync_time"].is_string()).await;
    let name = |b: &str| format!("{b}%40slotline.ics");
    assert!(dav.get(&work, &name(&moved)).await.is_none());

    // The first booking is over; then the calendar is made to take the bookings.
    app.clock.advance(27 * 3_600_000);
    let (s, c) = app
        .patch(
            &format!("/v2/calendar-connections/{id}"),
            json!({"add_bookings": true}),
        )
        .await;
    assert_eq!(s, 200, "{c}");
    let ics = dav
        .wait_for(&work, &name(&moved), Option::is_some)
        .await
        .unwrap();
    assert!(
        ics.contains("DTSTART:20250617T170000Z"),
        "the booking as it is now: {ics}"
    );
    let mut shown = Value::Null;
    for _ in 0..100 {
        shown = app.get(&format!("/v2/bookings/{now_id}")).await.1;
        if shown["external_calendar"].is_object() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(
        shown["external_calendar"]["event_id"],
        format!("{moved}@slotline"),
        "{shown}"
    );
    // The others were claimed with it; give a wrong write time to land before looking.
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert!(
        dav.get(&work, &name(&ended)).await.is_none(),
        "an ended booking is not added"
    );
    assert!(
        dav.get(&work, &name(&canceled)).await.is_none(),
        "a canceled booking is not added"
    );
    // Its read-back is the connection's own event, not busy time.
    let c = sync_now(&app, &id).await;
    assert_eq!(c["busy_count"], 0, "{c}");
    app.finish().await;
}
on_both!(a_calendar_switched_to_take_bookings_gets_those_to_come);
