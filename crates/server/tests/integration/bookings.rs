//! Scheduling on booking calendars, the bookings operations, their events, and the rule that
//! a host is never double-booked.

use crate::common;

use std::sync::Arc;

use common::{assert_error, TestApp};
use serde_json::{json, Value};

// The test clock stands at Sunday 2025-06-15 15:06:40 UTC. The owner works Mon–Fri 09:00–17:00
// in America/Chicago, so Monday's first slot is 14:00 UTC.
const MONDAY_9AM: &str = "2025-06-16T14:00:00.000Z";

async fn calendar(app: &TestApp, body: Value) -> String {
    let (s, c) = app.post("/v2/booking-calendars", body).await;
    assert_eq!(s, 200, "{c}");
    c["id"].as_str().unwrap().to_string()
}

fn form(name: &str) -> Value {
    json!({"name": format!("{name} Guest"), "email": format!("{}@guest.example", name.to_lowercase())})
}

async fn schedule(app: &TestApp, cal: &str, start: &str, who: &str) -> (u16, Value) {
    app.post(
        &format!("/v2/booking-calendars/{cal}/schedule"),
        json!({"start_time": start, "guest_time_zone": "Europe/Paris", "booking_form": form(who)}),
    )
    .await
}

async fn events(app: &TestApp) -> Vec<(String, Value)> {
    let rows: Vec<(String, String)> =
        sqlx::query_as("SELECT type, payload FROM events ORDER BY seq")
            .fetch_all(&mut *app.db.reader().await.unwrap())
            .await
            .unwrap();
    rows.into_iter()
        .map(|(t, p)| (t, serde_json::from_str(&p).unwrap()))
        .collect()
}

async fn schedule_read_and_cancel(app: &TestApp) {
    let cal = calendar(
        app,
        json!({"host": app.owner_user_id, "name": "Olive", "subject": "Meet Olive", "settings": {"minimum_notice_minutes": 0}}),
    )
    .await;
    let (_, slots) =
        app.get(&format!("/v2/booking-calendars/{cal}/time-slots?start_time=2025-06-16T00:00:00Z&end_time=2025-06-17T00:00:00Z")).await;
    let starts: Vec<&str> = slots
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["start_time"].as_str().unwrap())
        .collect();
    assert_eq!(starts.len(), 16, "09:00–17:00 in half hours");
    assert_eq!(starts[0], MONDAY_9AM);

    let (s, created) = schedule(app, &cal, MONDAY_9AM, "Carrie").await;
    assert_eq!(s, 200, "{created}");
    let id = created["id"].as_str().unwrap().to_string();
    assert_eq!(
        created,
        json!({"id": id}),
        "the spec answers with the id only"
    );
    let (_, b) = app.get(&format!("/v2/bookings/{id}?expand=contact")).await;
    assert_eq!(
        (
            b["status"].as_str(),
            b["starting_time"].as_str(),
            b["subject"].as_str()
        ),
        (Some("scheduled"), Some(MONDAY_9AM), Some("Meet Olive"))
    );
    assert_eq!(b["duration_minutes"], 30);
    assert_eq!(b["customer_timezone"], "Europe/Paris");
    assert_eq!(b["owner"], app.owner_user_id);
    assert_eq!(b["booking_calendar"], cal);
    assert_eq!(
        b["attendees"],
        json!(["owner@test.example", "carrie@guest.example"])
    );
    assert_eq!(
        b["contact"]["email"], "carrie@guest.example",
        "the guest became a contact"
    );
    assert_eq!(b["contact"]["first_name"], "Carrie");
    assert!(b.get("cancel_reschedule_information").is_none());
    let ev = events(app).await;
    assert_eq!(ev.len(), 1);
    assert_eq!(ev[0].0, "booking.scheduled");
    assert_eq!(ev[0].1["type"], "booking.scheduled");
    assert_eq!(ev[0].1["data"]["id"], id);
    assert!(
        ev[0].1["data"].get("contact").is_none() && ev[0].1["data"].get("utm_params").is_none(),
        "webhook data has neither"
    );
    assert_eq!(ev[0].1["data"]["conversation"], Value::Null);

    // The taken slot is no longer offered; another guest cannot take it.
    let (_, slots) =
        app.get(&format!("/v2/booking-calendars/{cal}/time-slots?start_time=2025-06-16T00:00:00Z&end_time=2025-06-17T00:00:00Z")).await;
    assert_eq!(slots.as_array().unwrap().len(), 15);
    assert_error(
        &schedule(app, &cal, MONDAY_9AM, "Bob").await,
        400,
        "The selected start time is not available.",
        Some("start_time"),
    );

    app.clock.advance(60_000);
    // A field OnceHub's schema does not name is ignored (its contract admits such fields here).
    let (s, canceled) = app
        .post(
            &format!("/v2/bookings/{id}/cancel"),
            json!({"cancellation_reason": "Conflict", "notify_slack": true}),
        )
        .await;
    assert_eq!(s, 200, "{canceled}");
    assert_eq!(canceled["status"], "canceled");
    assert_eq!(
        canceled["cancel_reschedule_information"],
        json!({"reason": "Conflict", "actioned_by": "user", "user_id": app.owner_user_id})
    );
    assert_eq!(canceled["last_updated_time"], "2025-06-15T15:07:40.000Z");
    let (_, contact) = app
        .get(&format!(
            "/v2/contacts/{}",
            canceled["contact"].as_str().unwrap()
        ))
        .await;
    assert_eq!(
        contact["last_updated_time"], "2025-06-15T15:07:40.000Z",
        "the change updates the guest's contact"
    );
    let ev = events(app).await;
    assert_eq!(
        ev.iter().map(|e| e.0.as_str()).collect::<Vec<_>>(),
        ["booking.scheduled", "booking.canceled"]
    );
    assert_eq!(
        ev[1].1["data"]["cancel_reschedule_information"]["reason"],
        "Conflict"
    );
    assert_error(
        &app.post(&format!("/v2/bookings/{id}/cancel"), json!({}))
            .await,
        409,
        &format!("Booking cannot be cancelled: '{id}'"),
        Some("id"),
    );
    assert_error(
        &app.post(&format!("/v2/bookings/{id}/request-reschedule"), json!({}))
            .await,
        409,
        &format!("Booking cannot be cancelled: '{id}'"),
        Some("id"),
    );
    assert_error(
        &app.post(&format!("/v2/bookings/{id}/no-show"), json!({}))
            .await,
        409,
        &format!("Cannot update booking status to no_show: '{id}'"),
        Some("id"),
    );
    assert_eq!(events(app).await.len(), 2, "refused actions write no event");
    // The freed slot can be booked again.
    assert_eq!(schedule(app, &cal, MONDAY_9AM, "Bob").await.0, 200);
    assert_error(
        &app.get("/v2/bookings/BKNG-NOPE").await,
        404,
        "No such booking: 'BKNG-NOPE'",
        Some("id"),
    );
}
both_backends!(schedule_read_and_cancel, schedule_read_and_cancel);

async fn request_reschedule_and_approval(app: &TestApp) {
    let cal = calendar(
        app,
        json!({"host": app.owner_user_id, "name": "Approvals", "settings": {"minimum_notice_minutes": 0, "approval_required": true}}),
    )
    .await;
    let (_, created) = schedule(app, &cal, MONDAY_9AM, "Ann").await;
    let id = created["id"].as_str().unwrap();
    assert_eq!(
        app.get(&format!("/v2/bookings/{id}")).await.1["status"],
        "requested"
    );
    assert!(events(app).await.is_empty(), "a request emits no event");
    assert_error(
        &schedule(app, &cal, MONDAY_9AM, "Ben").await,
        400,
        "The selected start time is not available.",
        Some("start_time"),
    );

    let plain = calendar(app, json!({"host": app.owner_user_id, "name": "Plain", "settings": {"minimum_notice_minutes": 0}})).await;
    let (_, created) = schedule(app, &plain, "2025-06-16T15:00:00.000Z", "Cy").await;
    let id = created["id"].as_str().unwrap();
    let (s, b) = app
        .post(
            &format!("/v2/bookings/{id}/request-reschedule"),
            json!({"reschedule_reason": "Travelling"}),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["status"], "canceled");
    assert_eq!(b["cancel_reschedule_information"]["reason"], "Travelling");
    let ev = events(app).await;
    assert_eq!(
        ev.last().unwrap().0,
        "booking.canceled_reschedule_requested"
    );
}
both_backends!(
    request_reschedule_and_approval,
    request_reschedule_and_approval
);

async fn list_filters(app: &TestApp) {
    let (_, team) = app.post("/v2/teams", json!({"name": "Duo"})).await;
    let (_, u2) = app.post("/v2/users", json!({"email": "two@test.example", "first_name": "Two", "last_name": "User", "teams": [team["id"]], "timezone": "America/Chicago"})).await;
    app.patch(
        &format!("/v2/users/{}", u2["id"].as_str().unwrap()),
        json!({"teams": [team["id"]]}),
    )
    .await;
    let solo = calendar(app, json!({"host": app.owner_user_id, "name": "Solo", "settings": {"minimum_notice_minutes": 0}})).await;
    let duo =
        calendar(app, json!({"host": team["id"], "name": "Duo", "distribution": "collective", "settings": {"minimum_notice_minutes": 0}}))
            .await;
    // Collective: the only member (u2) must be free; the owner is not in the team.
    let (s, a) = schedule(app, &duo, MONDAY_9AM, "Ann").await;
    assert_eq!(s, 200, "{a}");
    app.clock.advance(1000);
    let (_, b) = schedule(app, &solo, "2025-06-16T15:00:00.000Z", "Ben").await;
    app.clock.advance(1000);
    let (_, c) = schedule(app, &solo, "2025-06-17T15:00:00.000Z", "Cy").await;
    app.post(
        &format!("/v2/bookings/{}/cancel", c["id"].as_str().unwrap()),
        json!({}),
    )
    .await;
    let ids = |v: &Value| {
        v["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|b| b["id"].as_str().unwrap().to_string())
            .collect::<Vec<_>>()
    };
    let id = |v: &Value| v["id"].as_str().unwrap().to_string();
    for (q, want) in [
        ("status=scheduled".to_string(), vec![id(&b), id(&a)]),
        (
            "status=canceled,scheduled".to_string(),
            vec![id(&c), id(&b), id(&a)],
        ),
        (format!("booking_calendar={duo}"), vec![id(&a)]),
        (format!("host={}", u2["id"].as_str().unwrap()), vec![id(&a)]),
        (format!("owner={}", app.owner_user_id), vec![id(&c), id(&b)]),
        (
            "starting_time.gt=2025-06-16T14:30:00Z&starting_time.lt=2025-06-17T00:00:00Z"
                .to_string(),
            vec![id(&b)],
        ),
        (
            "creation_time.gt=2025-06-15T15:06:40.000Z".to_string(),
            vec![id(&c), id(&b)],
        ),
    ] {
        assert_eq!(
            ids(&app.get(&format!("/v2/bookings?{q}")).await.1),
            want,
            "{q}"
        );
    }
    assert_error(
        &app.get("/v2/bookings?status=cancelled").await,
        400,
        "Invalid status: cancelled",
        Some("status"),
    );
    assert_error(
        &app.get("/v2/bookings?expand=data.nothing").await,
        400,
        "This property cannot be expanded: data.nothing",
        Some("expand"),
    );
    let (_, expanded) = app
        .get("/v2/bookings?expand=data.owner,data.booking_calendar&limit=1")
        .await;
    assert_eq!(expanded["data"][0]["owner"]["object"], "user");
    assert_eq!(
        expanded["data"][0]["booking_calendar"]["object"],
        "booking_calendar"
    );
}
both_backends!(list_filters, list_filters);

async fn time_slot_and_schedule_errors(app: &TestApp) {
    let cal = calendar(
        app,
        json!({"host": app.owner_user_id, "name": "E", "settings": {"minimum_notice_minutes": 0}}),
    )
    .await;
    let base = format!("/v2/booking-calendars/{cal}/time-slots");
    assert_error(
        &app.get(&format!(
            "{base}?start_time=2025-06-17T00:00:00Z&end_time=2025-06-16T00:00:00Z"
        ))
        .await,
        400,
        "End time must be after the start time.",
        Some("end_time"),
    );
    assert_eq!(
        app.get(&format!(
            "{base}?start_time=2025-06-16T00:00:00Z&end_time=2025-07-17T00:00:00Z"
        ))
        .await
        .0,
        400,
        "more than 30 days"
    );
    assert_error(
        &app.get(&format!("{base}?start_time=soon")).await,
        400,
        "Invalid date: soon",
        Some("start_time"),
    );
    assert_error(
        &app.get(&format!("{base}?start_time=&end_time=")).await,
        400,
        "Invalid date: ",
        Some("start_time"),
    );
    let path = format!("/v2/booking-calendars/{cal}/schedule");
    assert_error(
        &app.post(
            &path,
            json!({"start_time": MONDAY_9AM, "guest_time_zone": "Europe/Paris"}),
        )
        .await,
        400,
        "Required fields are missing.",
        Some("booking_form"),
    );
    assert_error(
        &app.post(&path, json!({"start_time": MONDAY_9AM, "guest_time_zone": "Europe/Paris", "booking_form": {"name": "X"}})).await,
        400,
        "Required fields are missing.",
        Some("booking_form"),
    );
    assert_error(
        &app.post(&path, json!({"start_time": MONDAY_9AM, "guest_time_zone": "Mars/Base", "booking_form": form("X")})).await,
        400,
        "Invalid timezone: 'Mars/Base'",
        Some("guest_time_zone"),
    );
    assert_error(
        &app.post(&path, json!({"start_time": "2025-06-16T14:10:00Z", "guest_time_zone": "UTC", "booking_form": form("X")})).await,
        400,
        "The selected start time is not available.",
        Some("start_time"),
    );
    assert_error(
        &app.post(&path, json!({"start_time": "2025-06-15T14:00:00Z", "guest_time_zone": "UTC", "booking_form": form("X")})).await,
        400,
        "The selected start time is not available.",
        Some("start_time"),
    );
    app.patch(
        &format!("/v2/booking-calendars/{cal}"),
        json!({"published": false}),
    )
    .await;
    let got = app.get(&base).await;
    assert_error(
        &got,
        422,
        "Time slots cannot be retrieved from an unpublished booking calendar.",
        Some("id"),
    );
    assert_error(
        &schedule(app, &cal, MONDAY_9AM, "X").await,
        422,
        "Meeting cannot be scheduled on an unpublished booking calendar.",
        Some("id"),
    );
    assert!(
        app.get("/v2/bookings").await.1["data"]
            .as_array()
            .unwrap()
            .is_empty(),
        "nothing was booked"
    );
}
both_backends!(time_slot_and_schedule_errors, time_slot_and_schedule_errors);

async fn slot_starts(app: &TestApp, cal: &str, from: &str, to: &str) -> Vec<String> {
    let (s, body) = app
        .get(&format!(
            "/v2/booking-calendars/{cal}/time-slots?start_time={from}&end_time={to}"
        ))
        .await;
    assert_eq!(s, 200, "{body}");
    body.as_array()
        .unwrap()
        .iter()
        .map(|t| t["start_time"].as_str().unwrap()[11..16].to_string())
        .collect()
}

/// A booking's time, buffers included, is taken from every calendar of its host, at either edge
/// of the asked window: a slot whose own time plus buffers would reach into it is not offered,
/// even when the booking starts before the window or after its end; a daily cap counts it too.
async fn time_slots_leave_out_busy_time_near_the_window(app: &TestApp) {
    let host = app.owner_user_id.clone();
    let hour = calendar(
        app,
        json!({"host": host, "name": "Hour", "settings": {"minimum_notice_minutes": 0, "durations": [60], "slot_interval_minutes": 15,
            "buffer_before_minutes": 15, "buffer_after_minutes": 15}}),
    )
    .await;
    let half = calendar(
        app,
        json!({"host": host, "name": "Half", "settings": {"minimum_notice_minutes": 0, "durations": [30], "slot_interval_minutes": 15}}),
    )
    .await;
    let capped = calendar(
        app,
        json!({"host": host, "name": "Capped", "settings": {"minimum_notice_minutes": 0, "durations": [30], "slot_interval_minutes": 30,
            "max_bookings_per_day": 1}}),
    )
    .await;
    // 16:00–17:00 UTC, busy 15:45–17:15 with its buffers.
    let (s, b) = schedule(app, &hour, "2025-06-16T16:00:00.000Z", "Busy").await;
    assert_eq!(s, 200, "{b}");
    // The window ends at 15:00, but a 14:45 hour plus its after-buffer would reach 16:00.
    assert_eq!(
        slot_starts(app, &hour, "2025-06-16T14:00:00Z", "2025-06-16T15:00:00Z").await,
        ["14:00", "14:15", "14:30"]
    );
    assert_eq!(
        slot_starts(app, &half, "2025-06-16T14:00:00Z", "2025-06-16T18:00:00Z").await,
        ["14:00", "14:15", "14:30", "14:45", "15:00", "15:15", "17:15", "17:30", "17:45"]
    );
    // The window starts inside the busy time, which began before it.
    assert_eq!(
        slot_starts(app, &half, "2025-06-16T17:00:00Z", "2025-06-16T18:00:00Z").await,
        ["17:15", "17:30", "17:45"]
    );
    assert_eq!(
        slot_starts(app, &hour, "2025-06-16T16:30:00Z", "2025-06-16T18:00:00Z").await,
        ["17:30", "17:45"]
    );
    // One booking on Monday (Chicago) fills the capped calendar's day; Tuesday is open.
    let capped_slots =
        slot_starts(app, &capped, "2025-06-16T14:00:00Z", "2025-06-17T15:00:00Z").await;
    assert_eq!(capped_slots, ["14:00", "14:30"], "only Tuesday's");
}
both_backends!(
    time_slots_leave_out_busy_time_near_the_window,
    time_slots_leave_out_busy_time_near_the_window
);

/// 64 guests race for one host's slot: exactly one wins, the others are told it is taken, and
/// exactly one event is written.
async fn no_double_booking_under_64_concurrent_requests(app: &TestApp) {
    let cal = calendar(
        app,
        json!({"host": app.owner_user_id, "name": "Race", "settings": {"minimum_notice_minutes": 0, "buffer_after_minutes": 15}}),
    )
    .await;
    // A second calendar of the same host with another grid: its 09:15 overlaps 09:00 + buffer.
    let other = calendar(
        app,
        json!({"host": app.owner_user_id, "name": "Race 2", "settings": {"minimum_notice_minutes": 0, "slot_interval_minutes": 15}}),
    )
    .await;
    let app = Arc::new(app);
    let mut tasks = Vec::new();
    for i in 0..64 {
        let (cal, other) = (cal.clone(), other.clone());
        let base = app.base.clone();
        let key = app.key.clone();
        let http = app.http.clone();
        tasks.push(async move {
            let (target, start) = if i % 2 == 0 { (cal, MONDAY_9AM) } else { (other, "2025-06-16T14:15:00.000Z") };
            let body = json!({"start_time": start, "guest_time_zone": "UTC", "booking_form": form(&format!("G{i}"))});
            let res = http
                .post(format!("{base}/v2/booking-calendars/{target}/schedule"))
                .header("API-Key", key)
                .json(&body)
                .send()
                .await
                .unwrap();
            (res.status().as_u16(), res.json::<Value>().await.unwrap())
        });
    }
    let results = futures_join_all(tasks).await;
    let ok = results.iter().filter(|(s, _)| *s == 200).count();
    assert_eq!(ok, 1, "exactly one booking wins: {results:?}");
    for (s, body) in results.iter().filter(|(s, _)| *s != 200) {
        assert_eq!(
            (*s, body["message"].as_str()),
            (400, Some("The selected start time is not available."))
        );
    }
    assert_eq!(
        app.get("/v2/bookings?limit=100").await.1["data"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        events(&app).await.len(),
        1,
        "one event, for the one booking"
    );
}
both_backends!(
    no_double_booking_under_64_concurrent_requests,
    no_double_booking_under_64_concurrent_requests
);

async fn futures_join_all<F: std::future::Future + Send + 'static>(tasks: Vec<F>) -> Vec<F::Output>
where
    F::Output: Send + 'static,
{
    let handles: Vec<_> = tasks.into_iter().map(tokio::spawn).collect();
    let mut out = Vec::with_capacity(handles.len());
    for h in handles {
        out.push(h.await.unwrap());
    }
    out
}

/// The store itself refuses an overlap, whatever the caller checked before: the PostgreSQL
/// exclusion constraint, or SQLite's check inside the serialized write.
async fn store_refuses_overlapping_host_time(app: &TestApp) {
    use slotline::store::bookings::{self as store, Booking, GuestContact, HostTime};
    use slotline_domain::lifecycle::Status;
    let owner: slotline_domain::id::UserId = app.owner_user_id.parse().unwrap();
    let make = |id: &str, start: i64| Booking {
        id: id.parse().unwrap(),
        status: Status::Scheduled,
        booking_calendar_id: None,
        booking_page_id: None,
        master_page_id: None,
        event_type_id: None,
        owner_id: owner.clone(),
        contact_id: slotline_domain::id::ContactId::new(),
        conversation_id: None,
        subject: "s".into(),
        start_time: start,
        duration_minutes: 30,
        customer_timezone: "UTC".into(),
        form_submission: json!({"name": "G", "email": "g@guest.example"}),
        location: None,
        utm_params: None,
        rescheduled_booking_id: None,
        cancel_info: None,
        token: id.to_lowercase(),
        creation_time: 0,
        last_updated_time: 0,
        revision: 0,
        external_calendar: None,
        hosts: vec![],
    };
    let guest = GuestContact {
        email: "g@guest.example".into(),
        first_name: "G".into(),
        last_name: String::new(),
        mobile_phone: None,
        timezone: "UTC".into(),
        owner_id: owner.clone(),
    };
    // A day ahead of the test clock: the completion sweeper must not end these bookings meanwhile.
    let at = app.clock_now() + 86_400_000;
    let time = |s: i64| {
        vec![HostTime {
            user_id: owner.clone(),
            busy_start: s,
            busy_end: s + 30 * 60_000,
        }]
    };
    store::create(
        &app.db,
        &app.account_id,
        &mut make("BKNG-A", at),
        &time(at),
        &guest,
        &Default::default(),
        None,
    )
    .await
    .unwrap();
    let err = store::create(
        &app.db,
        &app.account_id,
        &mut make("BKNG-B", at + 29 * 60_000),
        &time(at + 29 * 60_000),
        &guest,
        &Default::default(),
        None,
    )
    .await
    .unwrap_err();
    assert!(
        matches!(err, slotline::store::StoreError::Overlap),
        "the store names the overlap: {err:?}"
    );
    assert_eq!(
        slotline::http::error::AppError::from(err).body().message,
        "The selected start time is not available."
    );
    store::create(
        &app.db,
        &app.account_id,
        &mut make("BKNG-C", at + 30 * 60_000),
        &time(at + 30 * 60_000),
        &guest,
        &Default::default(),
        None,
    )
    .await
    .expect("touching is not overlapping");
    assert!(
        store::get(&app.db, &app.account_id, &"BKNG-B".parse().unwrap())
            .await
            .unwrap()
            .is_none(),
        "nothing half-written"
    );
}
both_backends!(
    store_refuses_overlapping_host_time,
    store_refuses_overlapping_host_time
);

async fn event_log_returns_envelopes_as_delivered(app: &TestApp) {
    let cal = calendar(app, json!({"host": app.owner_user_id, "name": "Log", "settings": {"minimum_notice_minutes": 0}})).await;
    let (_, a) = schedule(app, &cal, MONDAY_9AM, "Ann").await;
    app.clock.advance(1000);
    app.post(
        &format!("/v2/bookings/{}/cancel", a["id"].as_str().unwrap()),
        json!({}),
    )
    .await;
    let stored: Vec<(String, String)> =
        sqlx::query_as("SELECT id, payload FROM events ORDER BY seq")
            .fetch_all(&mut *app.db.reader().await.unwrap())
            .await
            .unwrap();
    assert_eq!(stored.len(), 2);
    for (id, payload) in &stored {
        let res = app
            .call(reqwest::Method::GET, &format!("/v2/events/{id}"), None)
            .await;
        assert_eq!(res.status(), 200);
        assert_eq!(&res.text().await.unwrap(), payload, "byte for byte");
    }
    let (_, list) = app.get("/v2/events").await;
    let types: Vec<&str> = list["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["type"].as_str().unwrap())
        .collect();
    assert_eq!(
        types,
        ["booking.canceled", "booking.scheduled"],
        "newest first"
    );
    assert_eq!(list["data"][0]["object"], "event");
    assert_eq!(list["data"][0]["api_version"], "v2");
    let (_, only) = app.get("/v2/events?type=booking.scheduled").await;
    assert_eq!(only["data"].as_array().unwrap().len(), 1);
    let (_, family) = app.get("/v2/events?type=booking").await;
    assert_eq!(
        family["data"].as_array().unwrap().len(),
        2,
        "a composite stands for its family"
    );
    assert_eq!(
        app.get("/v2/events?type=conversation").await.1["data"],
        json!([])
    );
    assert_eq!(
        app.get("/v2/events?creation_time.gt=2025-06-15T15:06:40.000Z")
            .await
            .1["data"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert_error(
        &app.get("/v2/events?type=booking.created").await,
        400,
        "Invalid event type: booking.created",
        Some("type"),
    );
    assert_error(
        &app.get("/v2/events/EVNT-NOPE").await,
        404,
        "No such event: 'EVNT-NOPE'",
        Some("id"),
    );
}
both_backends!(
    event_log_returns_envelopes_as_delivered,
    event_log_returns_envelopes_as_delivered
);

async fn reassign_rules(app: &TestApp) {
    let cal = calendar(
        app,
        json!({"host": app.owner_user_id, "name": "R", "settings": {"minimum_notice_minutes": 0, "buffer_after_minutes": 10}}),
    )
    .await;
    let (_, other) = app
        .post(
            "/v2/users",
            json!({"email": "other@test.example", "first_name": "Other", "last_name": "Host", "timezone": "America/Chicago"}),
        )
        .await;
    let other_id = other["id"].as_str().unwrap().to_string();
    let (_, a) = schedule(app, &cal, MONDAY_9AM, "Ann").await;
    let id = a["id"].as_str().unwrap().to_string();
    let path = format!("/v2/bookings/{id}/reassign");
    assert_error(
        &app.post(&path, json!({"new_host": app.owner_user_id}))
            .await,
        409,
        "Booking cannot be reassigned to the same host.",
        Some("new_host"),
    );
    assert_error(
        &app.post(&path, json!({"new_host": "USR-XXXXXXXXXX"})).await,
        404,
        "No such user: 'USR-XXXXXXXXXX'",
        Some("new_host"),
    );
    assert_error(
        &app.post(&path, json!({})).await,
        400,
        "Required fields are missing.",
        Some("new_host"),
    );
    assert_error(
        &app.post(&path, json!({"new_host": other_id, "location": {"type": "virtual", "value": "skype"}})).await,
        409,
        "Invalid location: 'skype' is not connected for this user. Connected Video Conference Service options: google_meet, zoom, microsoft_teams, webex, gotomeeting, jitsi.",
        Some("location.value"),
    );
    assert_error(
        &app.post(
            &path,
            json!({"new_host": other_id, "location": {"type": "virtual"}}),
        )
        .await,
        400,
        "Required fields are missing.",
        Some("location.value"),
    );

    // The other host is busy at that time on their own calendar: refused, nothing changes.
    let theirs = calendar(
        app,
        json!({"host": other_id, "name": "Theirs", "settings": {"minimum_notice_minutes": 0}}),
    )
    .await;
    let (_, blocker) = schedule(app, &theirs, "2025-06-16T14:30:00.000Z", "Blo").await;
    assert_error(
        &app.post(&path, json!({"new_host": other_id})).await,
        409,
        "The new host is not available at the booking's time.",
        Some("new_host"),
    );
    app.post(
        &format!("/v2/bookings/{}/cancel", blocker["id"].as_str().unwrap()),
        json!({}),
    )
    .await;

    app.clock.advance(5000);
    let (s, moved) = app
        .post(
            &path,
            json!({"new_host": other_id, "location": {"type": "virtual", "value": "zoom"}}),
        )
        .await;
    assert_eq!(s, 200, "{moved}");
    assert_eq!(moved["status"], "scheduled");
    assert_eq!(
        moved["owner"], app.owner_user_id,
        "the owner stays the user who first accepted"
    );
    assert_eq!(moved["attendees"][0], "other@test.example");
    assert_eq!(moved["last_updated_time"], "2025-06-15T15:06:45.000Z");
    let (_, by_host) = app
        .get(&format!("/v2/bookings?host={other_id}&status=scheduled"))
        .await;
    assert_eq!(by_host["data"][0]["id"], id);
    assert!(app
        .get(&format!(
            "/v2/bookings?host={}&status=scheduled",
            app.owner_user_id
        ))
        .await
        .1["data"]
        .as_array()
        .unwrap()
        .is_empty());
    // The first host's time is free again; the new host's is taken.
    assert_eq!(schedule(app, &cal, MONDAY_9AM, "Ben").await.0, 200);
    assert_error(
        &schedule(app, &theirs, MONDAY_9AM, "Cy").await,
        400,
        "The selected start time is not available.",
        Some("start_time"),
    );
    let ev = events(app).await;
    assert!(ev
        .iter()
        .any(|(t, e)| t == "booking.reassigned" && e["data"]["id"] == id));
    app.post(&format!("/v2/bookings/{id}/cancel"), json!({}))
        .await;
    assert_error(
        &app.post(&path, json!({"new_host": app.owner_user_id}))
            .await,
        409,
        "Booking cannot be reassigned in its current status.",
        Some("id"),
    );
}
both_backends!(reassign_rules, reassign_rules);

async fn completion_then_no_show(app: &TestApp) {
    let cal = calendar(
        app,
        json!({"host": app.owner_user_id, "name": "C", "settings": {"minimum_notice_minutes": 0}}),
    )
    .await;
    let (_, a) = schedule(app, &cal, MONDAY_9AM, "Ann").await;
    let (_, b) = schedule(app, &cal, "2025-06-16T15:00:00.000Z", "Ben").await;
    let (a, b) = (
        a["id"].as_str().unwrap().to_string(),
        b["id"].as_str().unwrap().to_string(),
    );
    let sweep = || async {
        let ctx = slotline::services::Ctx {
            db: &app.db,
            clock: &app.clock,
            base_url: &app.base,
            meeting_url: "https://meet.jit.si",
            allow_http_webhooks: false,
        };
        slotline::services::scheduler::complete_due(ctx)
            .await
            .unwrap()
    };
    use slotline::clock::Clock;
    assert_eq!(sweep().await, 0, "nothing has ended yet");
    // Monday 14:29:59.999 UTC: the first meeting (14:00–14:30) has not quite ended.
    let to_end = 1_750_084_200_000 - app.clock.now_ms();
    app.clock.advance(to_end - 1);
    assert_eq!(sweep().await, 0);
    app.clock.advance(1);
    assert_eq!(sweep().await, 1, "completed at its end time");
    assert_eq!(
        app.get(&format!("/v2/bookings/{a}")).await.1["status"],
        "completed"
    );
    assert_eq!(
        app.get(&format!("/v2/bookings/{b}")).await.1["status"],
        "scheduled"
    );
    assert_eq!(sweep().await, 0, "once");
    let (s, ns) = app
        .post(&format!("/v2/bookings/{a}/no-show"), json!({}))
        .await;
    assert_eq!((s, ns["status"].as_str()), (200, Some("no_show")));
    let types: Vec<String> = events(app).await.into_iter().map(|e| e.0).collect();
    assert_eq!(
        types,
        [
            "booking.scheduled",
            "booking.scheduled",
            "booking.completed",
            "booking.no_show"
        ]
    );
    assert_error(
        &app.post(&format!("/v2/bookings/{b}/no-show"), json!({}))
            .await,
        409,
        &format!("Cannot update booking status to no_show: '{b}'"),
        Some("id"),
    );
}
both_backends!(completion_then_no_show, completion_then_no_show);

async fn customer_actions_approval_and_reschedules(app: &TestApp) {
    let cal = calendar(app, json!({"host": app.owner_user_id, "name": "Cust", "settings": {"minimum_notice_minutes": 0}})).await;
    let other_cal =
        calendar(app, json!({"host": app.owner_user_id, "name": "Other page", "settings": {"minimum_notice_minutes": 0}})).await;
    let last_event = || async { events(app).await.pop().unwrap() };

    // Guest cancels: actioned_by customer.
    let (_, a) = schedule(app, &cal, MONDAY_9AM, "Ann").await;
    let a = a["id"].as_str().unwrap().to_string();
    let (s, c) = app
        .post(
            &format!("/v2/bookings/{a}/customer-cancel"),
            json!({"cancellation_reason": "Ill"}),
        )
        .await;
    assert_eq!(s, 200, "{c}");
    assert_eq!(
        c["cancel_reschedule_information"]["actioned_by"],
        "customer"
    );
    assert_eq!(last_event().await.0, "booking.canceled");

    // Guest moves a booking by 15 minutes on the same calendar: the old one ends, the new one
    // (overlapping the old time) is linked to it, and booking.rescheduled is written.
    let (_, b) = schedule(app, &cal, "2025-06-16T15:00:00.000Z", "Ben").await;
    let b = b["id"].as_str().unwrap().to_string();
    let (s, moved) = app
        .post(
            &format!("/v2/bookings/{b}/customer-reschedule"),
            json!({"start_time": "2025-06-16T15:30:00Z", "reschedule_reason": "Later please"}),
        )
        .await;
    assert_eq!(s, 200, "{moved}");
    assert_eq!(
        (
            moved["status"].as_str(),
            moved["rescheduled_booking_id"].as_str()
        ),
        (Some("rescheduled"), Some(b.as_str()))
    );
    assert_eq!(
        moved["cancel_reschedule_information"]["reason"],
        "Later please"
    );
    assert_eq!(moved["form_submission"]["email"], "ben@guest.example");
    let (_, old) = app.get(&format!("/v2/bookings/{b}")).await;
    assert_eq!(old["status"], "canceled");
    let (t, e) = last_event().await;
    assert_eq!(t, "booking.rescheduled");
    assert_eq!(e["data"]["id"], moved["id"]);
    assert_error(
        &app.post(
            &format!("/v2/bookings/{b}/customer-reschedule"),
            json!({"start_time": "2025-06-16T16:00:00Z"}),
        )
        .await,
        409,
        &format!("Booking cannot be rescheduled: '{b}'"),
        Some("id"),
    );

    // Moving to another calendar is a cancel-then-reschedule.
    let m = moved["id"].as_str().unwrap().to_string();
    let (s, elsewhere) = app
        .post(
            &format!("/v2/bookings/{m}/customer-reschedule"),
            json!({"start_time": "2025-06-17T15:00:00Z", "booking_calendar": other_cal}),
        )
        .await;
    assert_eq!(s, 200, "{elsewhere}");
    assert_eq!(elsewhere["status"], "scheduled");
    assert_eq!(last_event().await.0, "booking.canceled_then_rescheduled");

    // After the user asks for a reschedule, the guest's new booking is booking.rescheduled.
    let (_, d) = schedule(app, &cal, "2025-06-18T15:00:00.000Z", "Dee").await;
    let d = d["id"].as_str().unwrap().to_string();
    app.post(
        &format!("/v2/bookings/{d}/request-reschedule"),
        json!({"reschedule_reason": "Conflict"}),
    )
    .await;
    let (s, rebooked) = app
        .post(
            &format!("/v2/bookings/{d}/customer-reschedule"),
            json!({"start_time": "2025-06-18T16:00:00Z"}),
        )
        .await;
    assert_eq!(s, 200, "{rebooked}");
    assert_eq!(last_event().await.0, "booking.rescheduled");
    assert_eq!(
        app.get(&format!("/v2/bookings/{d}")).await.1["cancel_reschedule_information"]["reason"],
        "Conflict",
        "the user's request stays on record"
    );

    // Approval: requests emit nothing until approved; declined requests free the time silently.
    let gated = calendar(
        app,
        json!({"host": app.owner_user_id, "name": "Gated", "settings": {"minimum_notice_minutes": 0, "approval_required": true}}),
    )
    .await;
    let count = events(app).await.len();
    let (_, r1) = schedule(app, &gated, "2025-06-19T15:00:00.000Z", "Req").await;
    let r1 = r1["id"].as_str().unwrap().to_string();
    assert_eq!(events(app).await.len(), count);
    let (s, ok) = app
        .post(&format!("/v2/bookings/{r1}/approve"), json!({}))
        .await;
    assert_eq!((s, ok["status"].as_str()), (200, Some("scheduled")));
    assert_eq!(last_event().await.0, "booking.scheduled");
    assert_error(
        &app.post(&format!("/v2/bookings/{r1}/approve"), json!({}))
            .await,
        409,
        &format!("Only a requested booking can be approved: '{r1}'"),
        Some("id"),
    );
    let (_, r2) = schedule(app, &gated, "2025-06-19T16:00:00.000Z", "Req2").await;
    let r2 = r2["id"].as_str().unwrap().to_string();
    let before = events(app).await.len();
    let (s, no) = app
        .post(
            &format!("/v2/bookings/{r2}/decline"),
            json!({"reason": "Fully booked"}),
        )
        .await;
    assert_eq!((s, no["status"].as_str()), (200, Some("canceled")));
    assert_eq!(
        events(app).await.len(),
        before,
        "declining a request emits nothing"
    );
    assert_eq!(
        schedule(app, &gated, "2025-06-19T16:00:00.000Z", "Req3")
            .await
            .0,
        200,
        "its time is free again"
    );
    // A requested reschedule of an approved booking, approved in turn, is booking.rescheduled.
    let (s, moved_req) = app
        .post(
            &format!("/v2/bookings/{r1}/customer-reschedule"),
            json!({"start_time": "2025-06-20T15:00:00Z"}),
        )
        .await;
    assert_eq!((s, moved_req["status"].as_str()), (200, Some("requested")));
    let (s, _) = app
        .post(
            &format!("/v2/bookings/{}/approve", moved_req["id"].as_str().unwrap()),
            json!({}),
        )
        .await;
    assert_eq!(s, 200);
    assert_eq!(last_event().await.0, "booking.rescheduled");
}
both_backends!(
    customer_actions_approval_and_reschedules,
    customer_actions_approval_and_reschedules
);

async fn classic_booking_pages_schedule_too(app: &TestApp) {
    let (_, demo) = app
        .post("/v2/event-types", json!({"name": "Live demo"}))
        .await;
    let (_, intro) = app
        .post("/v2/event-types", json!({"name": "Intro call"}))
        .await;
    let (_, mp) = app.post("/v2/master-pages", json!({"name": "Sales"})).await;
    let ids = |v: &Value| v["id"].as_str().unwrap().to_string();
    let (_, page) = app
        .post(
            "/v2/booking-pages",
            json!({"owner": app.owner_user_id, "name": "Olive", "event_types": [ids(&demo), ids(&intro)], "master_page": ids(&mp),
            "settings": {"minimum_notice_minutes": 0}}),
        )
        .await;
    let page = ids(&page);
    assert_error(
        &app.get(&format!("/v2/booking-pages/{page}/time-slots"))
            .await,
        400,
        "This booking page offers several event types: choose one.",
        Some("event_type"),
    );
    let (s, slots) = app
        .get(&format!(
            "/v2/booking-pages/{page}/time-slots?event_type={}&start_time=2025-06-16T00:00:00Z&end_time=2025-06-17T00:00:00Z",
            ids(&demo)
        ))
        .await;
    assert_eq!((s, slots.as_array().map(Vec::len)), (200, Some(16)));
    let body = json!({"start_time": MONDAY_9AM, "guest_time_zone": "UTC", "booking_form": form("Pia"), "event_type": ids(&demo)});
    let (s, created) = app
        .post(&format!("/v2/booking-pages/{page}/schedule"), body)
        .await;
    assert_eq!(s, 200, "{created}");
    let (_, b) = app
        .get(&format!(
            "/v2/bookings/{}?expand=event_type,master_page,booking_page",
            created["id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(b["subject"], "Live demo");
    assert_eq!(b["event_type"]["name"], "Live demo");
    assert_eq!(b["master_page"]["id"], ids(&mp));
    assert_eq!(b["booking_page"]["id"], page);
    assert!(
        b.get("booking_calendar").is_none() && b.get("ics_url").is_none(),
        "classic bookings carry the classic fields only"
    );
    for q in [
        format!("booking_page={page}"),
        format!("event_type={}", ids(&demo)),
        format!("master_page={}", ids(&mp)),
    ] {
        assert_eq!(
            app.get(&format!("/v2/bookings?{q}")).await.1["data"]
                .as_array()
                .unwrap()
                .len(),
            1,
            "{q}"
        );
    }
    assert!(app
        .get(&format!("/v2/bookings?event_type={}", ids(&intro)))
        .await
        .1["data"]
        .as_array()
        .unwrap()
        .is_empty());
    // The host's time is shared between the page and any calendar of theirs.
    let cal = calendar(app, json!({"host": app.owner_user_id, "name": "Cal", "settings": {"minimum_notice_minutes": 0}})).await;
    assert_error(
        &schedule(app, &cal, MONDAY_9AM, "Cal").await,
        400,
        "The selected start time is not available.",
        Some("start_time"),
    );
    // A guest moves it on the same page: booking.rescheduled.
    let (s, moved) = app
        .post(
            &format!(
                "/v2/bookings/{}/customer-reschedule",
                created["id"].as_str().unwrap()
            ),
            json!({"start_time": "2025-06-16T16:00:00Z"}),
        )
        .await;
    assert_eq!(
        (s, moved["booking_page"].as_str()),
        (200, Some(page.as_str()))
    );
    assert_eq!(events(app).await.pop().unwrap().0, "booking.rescheduled");
    app.patch(
        &format!("/v2/booking-pages/{page}"),
        json!({"active": false}),
    )
    .await;
    let closed = app
        .post(
            &format!("/v2/booking-pages/{page}/schedule"),
            json!({"start_time": "2025-06-17T14:00:00Z", "guest_time_zone": "UTC", "booking_form": form("X"), "event_type": ids(&intro)}),
        )
        .await;
    assert_error(
        &closed,
        422,
        "Meeting cannot be scheduled on an inactive booking page.",
        Some("id"),
    );
}
both_backends!(
    classic_booking_pages_schedule_too,
    classic_booking_pages_schedule_too
);

/// Guests become contacts by email; a booking never fails because another contact already has
/// the guest's mobile number (numbers are unique per account, so the new contact goes without).
async fn guests_become_contacts_by_email(app: &TestApp) {
    let cal = calendar(
        app,
        json!({"host": app.owner_user_id, "name": "G", "settings": {"minimum_notice_minutes": 0}}),
    )
    .await;
    app.post(
        "/v2/contacts",
        json!({"first_name": "Has", "last_name": "Number", "email": "has@example.com", "mobile_phone": "+12025550195"}),
    )
    .await;
    let body = |start: &str, email: &str| json!({"start_time": start, "guest_time_zone": "Asia/Tokyo", "booking_form": {"name": "Mo Bile", "email": email, "mobile_phone": "+12025550195"}});
    let (s, b) = app
        .post(
            &format!("/v2/booking-calendars/{cal}/schedule"),
            body(MONDAY_9AM, "mo@example.com"),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    let (_, found) = app.get("/v2/contacts?email=mo@example.com").await;
    assert_eq!(found["data"][0]["timezone"], "Asia/Tokyo");
    assert!(found["data"][0]
        .get("mobile_phone")
        .is_none_or(Value::is_null));
    // The same guest again: the contact is reused, not duplicated.
    app.clock.advance(1000);
    assert_eq!(
        app.post(
            &format!("/v2/booking-calendars/{cal}/schedule"),
            body("2025-06-16T15:00:00Z", "MO@example.com")
        )
        .await
        .0,
        200
    );
    let (_, all) = app.get("/v2/contacts?limit=100").await;
    assert_eq!(all["data"].as_array().unwrap().len(), 2);
    let (_, again) = app.get("/v2/contacts?email=mo@example.com").await;
    assert_eq!(
        again["data"][0]["last_interacted_time"],
        "2025-06-15T15:06:41.000Z"
    );
}
both_backends!(
    guests_become_contacts_by_email,
    guests_become_contacts_by_email
);

/// Schedules, guest reschedules and reassignments race for the same hour of one host: exactly
/// one of the 64 wins, whatever its kind.
async fn no_double_booking_across_schedules_reschedules_and_reassignments(app: &TestApp) {
    let target = calendar(app, json!({"host": app.owner_user_id, "name": "Target", "settings": {"minimum_notice_minutes": 0}})).await;
    // 16 bookings of the same host on Tuesday, each to be moved to Monday 09:00 by its guest.
    let mut to_move = Vec::new();
    for i in 0..16 {
        let start = format!("2025-06-17T{:02}:{:02}:00Z", 14 + i / 2, (i % 2) * 30);
        let (s, b) = schedule(app, &target, &start, &format!("Mover{i}")).await;
        assert_eq!(s, 200, "{b}");
        to_move.push(b["id"].as_str().unwrap().to_string());
    }
    // 16 other hosts with a booking at Monday 09:00 Chicago, each to be given to the owner.
    let mut to_reassign = Vec::new();
    for i in 0..16 {
        let (_, u) = app.post("/v2/users", json!({"email": format!("h{i}@test.example"), "first_name": "Host", "last_name": format!("N{i}"), "timezone": "America/Chicago"})).await;
        let cal = calendar(app, json!({"host": u["id"], "name": format!("H{i}"), "settings": {"minimum_notice_minutes": 0}})).await;
        let (s, b) = schedule(app, &cal, MONDAY_9AM, &format!("Guest{i}")).await;
        assert_eq!(s, 200, "{b}");
        to_reassign.push(b["id"].as_str().unwrap().to_string());
    }
    let mut tasks = Vec::new();
    for i in 0..64usize {
        let (http, base, key) = (app.http.clone(), app.base.clone(), app.key.clone());
        let (path, body) = match i % 4 {
            0 => (
                format!("/v2/bookings/{}/customer-reschedule", to_move[i / 4]),
                json!({"start_time": MONDAY_9AM}),
            ),
            1 => (
                format!("/v2/bookings/{}/reassign", to_reassign[i / 4]),
                json!({"new_host": app.owner_user_id}),
            ),
            _ => (
                format!("/v2/booking-calendars/{target}/schedule"),
                json!({"start_time": MONDAY_9AM, "guest_time_zone": "UTC", "booking_form": form(&format!("Racer{i}"))}),
            ),
        };
        tasks.push(async move {
            let res = http
                .post(format!("{base}{path}"))
                .header("API-Key", key)
                .json(&body)
                .send()
                .await
                .unwrap();
            (
                i % 4,
                res.status().as_u16(),
                res.json::<Value>().await.unwrap(),
            )
        });
    }
    let results = futures_join_all(tasks).await;
    let winners: Vec<_> = results.iter().filter(|(_, s, _)| *s == 200).collect();
    assert_eq!(winners.len(), 1, "exactly one wins: {winners:?}");
    for (kind, s, body) in results.iter().filter(|(_, s, _)| *s != 200) {
        match kind {
            1 => assert_eq!(
                (*s, body["message"].as_str()),
                (
                    409,
                    Some("The new host is not available at the booking's time.")
                )
            ),
            _ => assert_eq!(
                (*s, body["message"].as_str()),
                (400, Some("The selected start time is not available."))
            ),
        }
    }
    // The owner holds Monday 09:00 exactly once.
    let (_, monday) = app.get(&format!("/v2/bookings?host={}&starting_time.gt=2025-06-16T13:59:00Z&starting_time.lt=2025-06-16T14:01:00Z&status=scheduled,rescheduled&limit=100", app.owner_user_id)).await;
    assert_eq!(monday["data"].as_array().unwrap().len(), 1, "{monday}");
}
both_backends!(
    no_double_booking_across_schedules_reschedules_and_reassignments,
    no_double_booking_across_schedules_reschedules_and_reassignments
);

/// Round robin gives each booking to the free member who was given one least recently.
async fn round_robin_takes_turns(app: &TestApp) {
    let (_, team) = app.post("/v2/teams", json!({"name": "RR"})).await;
    let mut members = Vec::new();
    for i in 0..2 {
        let (_, u) = app.post("/v2/users", json!({"email": format!("rr{i}@test.example"), "first_name": "R", "last_name": format!("R{i}"), "timezone": "America/Chicago", "teams": [team["id"]]})).await;
        members.push(u["id"].as_str().unwrap().to_string());
    }
    let cal = calendar(
        app,
        json!({"host": team["id"], "name": "RR", "settings": {"minimum_notice_minutes": 0}}),
    )
    .await;
    let mut hosts = Vec::new();
    for (i, start) in [
        "2025-06-16T14:00:00Z",
        "2025-06-16T15:00:00Z",
        "2025-06-16T16:00:00Z",
        "2025-06-16T17:00:00Z",
    ]
    .iter()
    .enumerate()
    {
        app.clock.advance(1000);
        let (s, b) = schedule(app, &cal, start, &format!("Turn{i}")).await;
        assert_eq!(s, 200, "{b}");
        let (_, got) = app
            .get(&format!("/v2/bookings/{}", b["id"].as_str().unwrap()))
            .await;
        hosts.push(got["owner"].as_str().unwrap().to_string());
    }
    assert_ne!(hosts[0], hosts[1], "turns alternate: {hosts:?}");
    assert_eq!(hosts[0], hosts[2]);
    assert_eq!(hosts[1], hosts[3]);
    // When the member whose turn it is is busy, the other one takes the booking.
    let (_, own) = app
        .post(
            "/v2/booking-calendars",
            json!({"host": hosts[0], "name": "Own", "settings": {"minimum_notice_minutes": 0}}),
        )
        .await;
    schedule(
        app,
        own["id"].as_str().unwrap(),
        "2025-06-16T18:00:00Z",
        "Blocker",
    )
    .await;
    app.clock.advance(1000);
    let (_, b) = schedule(app, &cal, "2025-06-16T18:00:00Z", "Turn4").await;
    assert_eq!(
        app.get(&format!("/v2/bookings/{}", b["id"].as_str().unwrap()))
            .await
            .1["owner"],
        hosts[1]
    );
    assert!(members.contains(&hosts[0]) && members.contains(&hosts[1]));
}
both_backends!(round_robin_takes_turns, round_robin_takes_turns);

/// A booking's phone is accepted when it is a possible number for its country (OnceHub's own
/// example +15551234567 included), with or without separators, and kept in E.164.
async fn booking_form_phones_follow_the_possible_number_rule(app: &TestApp) {
    let cal = calendar(app, json!({"host": app.owner_user_id, "name": "Phones", "settings": {"minimum_notice_minutes": 0}})).await;
    let path = format!("/v2/booking-calendars/{cal}/schedule");
    let body = |start: &str, phone: &str| json!({"start_time": start, "guest_time_zone": "UTC", "booking_form": {"name": "Pat Phone", "email": "pat@guest.example", "phone": phone}});
    for (start, phone) in [
        ("2025-06-16T14:00:00Z", "+15551234567"),
        ("2025-06-16T15:00:00Z", "+1 555-123-4567"),
    ] {
        let (s, b) = app.post(&path, body(start, phone)).await;
        assert_eq!(s, 200, "{phone}: {b}");
        let (_, got) = app
            .get(&format!("/v2/bookings/{}", b["id"].as_str().unwrap()))
            .await;
        assert_eq!(got["form_submission"]["phone"], "+15551234567", "{phone}");
    }
    assert_error(
        &app.post(&path, body("2025-06-16T16:00:00Z", "+91999999"))
            .await,
        400,
        "Invalid phone format: '+91999999'",
        Some("booking_form.phone"),
    );
}
both_backends!(
    booking_form_phones_follow_the_possible_number_rule,
    booking_form_phones_follow_the_possible_number_rule
);

/// The booking form's texts are bounded on the server, through the API and the public form
/// alike, and a refusal names the field.
async fn booking_form_texts_are_bounded(app: &TestApp) {
    let cal = calendar(
        app,
        json!({"host": app.owner_user_id, "name": "Bounded", "slug": "bounded", "settings": {"minimum_notice_minutes": 0,
               "questions": [{"name": "why", "label": "Why"}], "standard_fields": [{"name": "company"}, {"name": "note"}]}}),
    )
    .await;
    let path = format!("/v2/booking-calendars/{cal}/schedule");
    for (field, value) in [
        ("name", "n".repeat(256)),
        ("company", "c".repeat(256)),
        ("note", "x".repeat(5001)),
        ("why", "w".repeat(5001)),
    ] {
        let mut form = json!({"name": "Pat", "email": "pat@guest.example"});
        form[field] = json!(value);
        let (s, e) = app.post(&path, json!({"start_time": "2025-06-16T14:00:00Z", "guest_time_zone": "UTC", "booking_form": form})).await;
        assert_eq!(
            (s, e["param"].as_str()),
            (400, Some(format!("booking_form.{field}").as_str())),
            "{field}: {e}"
        );
    }
    // The public form: the browser's maxlength is not a check.
    let guest = common::guest::Guest::new(&app.base);
    let page = guest.open("/c/bounded").await;
    let form = guest.open(&common::guest::slot_links(&page.html)[0]).await;
    let mut fields: Vec<(String, String)> = common::guest::hidden_fields(&form.html)
        .into_iter()
        .filter(|(k, _)| k != "name" && k != "email")
        .collect();
    fields.push(("name".into(), "n".repeat(300)));
    fields.push(("email".into(), "pat@guest.example".into()));
    let refused = guest.post("/c/bounded", &fields).await;
    assert_eq!(refused.status, 422, "{}", refused.html);
    assert!(
        refused
            .html
            .contains("booking_form.name must be at most 255 characters."),
        "{}",
        refused.html
    );
    let (_, list) = app.get("/v2/bookings").await;
    assert!(list["data"].as_array().unwrap().is_empty());
}
both_backends!(
    booking_form_texts_are_bounded,
    booking_form_texts_are_bounded
);
