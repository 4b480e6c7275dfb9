//! Messages to people: what a booking change sends to whom, as MIME a real SMTP server
//! receives, with invitations a real iCalendar parser reads; reminders on the manual clock;
//! retries and refusals; the .eml folder; the booking's message log and resend.

use crate::common;

use common::{
    smtp::{Received, SmtpSink},
    Options, TestApp,
};
use serde_json::{json, Value};

// The test clock stands at Sunday 2025-06-15 15:06:40 UTC; the owner works Mon–Fri 09:00–17:00
// in America/Chicago, so Monday's first slot is 14:00 UTC.
const MONDAY_9AM: &str = "2025-06-16T14:00:00.000Z";
const MONDAY_10AM: &str = "2025-06-16T15:00:00.000Z";
const MONDAY_9AM_MS: i64 = 1_750_082_400_000;

/// A test per backend of a scenario that starts its own servers.
macro_rules! on_both {
    ($name:ident) => {
        mod $name {
            use crate::common::Backend;
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                super::$name(Backend::Sqlite).await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                super::$name(Backend::Postgres).await
            }
        }
    };
}

async fn with_smtp(backend: common::Backend) -> Option<(TestApp, SmtpSink)> {
    let smtp = SmtpSink::start().await?;
    let app = TestApp::spawn_with(
        backend,
        Options {
            smtp_url: Some(smtp.url()),
            ..Options::default()
        },
    )
    .await?;
    Some((app, smtp))
}

async fn calendar(app: &TestApp, settings: Value) -> String {
    let mut s = json!({"minimum_notice_minutes": 0});
    s.as_object_mut()
        .unwrap()
        .extend(settings.as_object().unwrap().clone());
    let (st, c) = app
        .post(
            "/v2/booking-calendars",
            json!({"host": app.owner_user_id, "name": "Olive", "subject": "Intro call", "settings": s}),
        )
        .await;
    assert_eq!(st, 200, "{c}");
    c["id"].as_str().unwrap().to_string()
}

async fn book(app: &TestApp, cal: &str, start: &str, name: &str, email: &str) -> String {
    let (s, b) = app
        .post(
            &format!("/v2/booking-calendars/{cal}/schedule"),
            json!({"start_time": start, "guest_time_zone": "Europe/Paris", "booking_form": {"name": name, "email": email}}),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    b["id"].as_str().unwrap().to_string()
}

fn to(r: &Received) -> &str {
    r.to[0].as_str()
}

fn find<'a>(got: &'a [Received], address: &str, subject_starts: &str) -> &'a Received {
    got.iter()
        .find(|r| to(r) == address && r.subject().starts_with(subject_starts))
        .unwrap_or_else(|| {
            panic!(
                "no '{subject_starts}…' to {address} among {:?}",
                got.iter()
                    .map(|r| (to(r).to_string(), r.subject()))
                    .collect::<Vec<_>>()
            )
        })
}

async fn a_booking_tells_guest_and_host_with_an_invitation(backend: common::Backend) {
    let Some((app, smtp)) = with_smtp(backend).await else {
        return;
    };
    let cal = calendar(&app, json!({})).await;
    let id = book(
        &app,
        &cal,
        MONDAY_9AM,
        "Ann <b>Lee</b> & Co",
        "ann@guest.example",
    )
    .await;
    let got = smtp.wait_for(2).await;
    assert_eq!(got.len(), 2, "one to the guest, one to the host");

    let guest = find(&got, "ann@guest.example", "Confirmed: Intro call");
    let m = guest.parsed();
    let from = m.from().unwrap().first().unwrap();
    assert_eq!(
        from.address(),
        Some("no-reply@localhost"),
        "the default sender"
    );
    assert!(
        m.message_id().unwrap().starts_with("NTF-"),
        "the Message-ID names the notification: {:?}",
        m.message_id()
    );
    // The guest reads Paris time; the subject says so.
    assert!(
        guest
            .subject()
            .contains("Monday, June 16, 2025 at 4:00 PM (CEST)"),
        "{}",
        guest.subject()
    );
    let text = guest.text();
    assert!(text.contains("Hello Ann <b>Lee</b> & Co,"), "{text}");
    let html = guest.html();
    assert!(
        html.contains("Hello Ann &lt;b&gt;Lee&lt;/b&gt; &amp; Co,"),
        "values are escaped in HTML: {html}"
    );
    assert!(!html.contains("<b>Lee"), "{html}");
    let (_, b) = app.get(&format!("/v2/bookings/{id}")).await;
    let token: String = sqlx::query_scalar("SELECT token FROM bookings WHERE id = $1")
        .bind(&id)
        .fetch_one(&mut *app.db.reader().await.unwrap())
        .await
        .unwrap();
    for link in ["/reschedule", "/cancel"] {
        let url = format!("{}/b/{token}{link}", app.base);
        assert!(text.contains(&url), "the guest's token links: {text}");
        assert!(html.contains(&format!("<a href=\"{url}\">")), "{html}");
    }

    let inv = guest
        .invitation()
        .expect("the guest's message carries the meeting");
    assert_eq!(
        guest.calendar().unwrap().0,
        "REQUEST",
        "the part's method parameter"
    );
    assert_eq!(inv.method, "REQUEST");
    assert_eq!(inv.uid, format!("{id}@slotline"));
    assert_eq!(inv.start, "20250616T140000Z");
    assert_eq!(inv.end, "20250616T143000Z");
    assert_eq!(inv.organizer, "mailto:owner@test.example");
    assert_eq!(inv.attendee, "mailto:ann@guest.example");

    let host = find(
        &got,
        "owner@test.example",
        "New booking: Intro call with Ann",
    );
    assert!(
        host.subject().contains("9:00 AM (CDT)"),
        "the host reads their own zone: {}",
        host.subject()
    );
    assert!(host.text().contains("ann@guest.example"), "{}", host.text());
    assert_eq!(host.invitation().unwrap().uid, inv.uid);

    // The booking's message log: both sent, and the reminder waiting for its time.
    let (s, log) = app.get(&format!("/v2/bookings/{id}/notifications")).await;
    assert_eq!(s, 200, "{log}");
    let rows = log["data"].as_array().unwrap();
    let kinds: Vec<(&str, &str)> = rows
        .iter()
        .map(|r| (r["kind"].as_str().unwrap(), r["status"].as_str().unwrap()))
        .collect();
    for _ in 0..100 {
        let (_, log) = app.get(&format!("/v2/bookings/{id}/notifications")).await;
        let sent = log["data"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| r["status"] == "sent")
            .count();
        if sent == 2 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let (_, log) = app.get(&format!("/v2/bookings/{id}/notifications")).await;
    let rows = log["data"].as_array().unwrap();
    assert_eq!(rows.len(), 3, "{kinds:?}");
    let guest_row = rows
        .iter()
        .find(|r| r["kind"] == "guest.scheduled")
        .unwrap();
    assert_eq!(guest_row["status"], "sent");
    assert_eq!(guest_row["type"], "email");
    assert_eq!(guest_row["recipient_type"], "contact");
    assert_eq!(guest_row["recipient"], b["contact"]);
    assert_eq!(guest_row["attempts"], 1);
    assert_eq!(guest_row["invitation"], true);
    let reminder = rows.iter().find(|r| r["kind"] == "guest.reminder").unwrap();
    assert_eq!(reminder["status"], "pending");
    assert_eq!(
        reminder["due_time"], "2025-06-16T13:00:00.000Z",
        "an hour before"
    );
    assert_eq!(
        reminder["expire_time"], "2025-06-16T13:30:00.000Z",
        "valid for half its lead"
    );
    app.finish().await;
}
on_both!(a_booking_tells_guest_and_host_with_an_invitation);

/// The booking's messages once none is being sent: (kind, status, due_time).
async fn log(app: &TestApp, booking: &str) -> Vec<Value> {
    for _ in 0..200 {
        let (s, log) = app
            .get(&format!("/v2/bookings/{booking}/notifications"))
            .await;
        assert_eq!(s, 200, "{log}");
        let rows = log["data"].as_array().unwrap().clone();
        if rows
            .iter()
            .all(|r| r["status"] != "pending" || r["kind"].as_str().unwrap().ends_with("reminder"))
        {
            return rows;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("messages of {booking} still pending");
}

/// The booking's message of `kind` once `done` holds for it.
async fn message_when(
    app: &TestApp,
    booking: &str,
    kind: &str,
    done: impl Fn(&Value) -> bool,
) -> Value {
    let mut last = Value::Null;
    for _ in 0..200 {
        let (_, log) = app
            .get(&format!("/v2/bookings/{booking}/notifications"))
            .await;
        if let Some(m) = log["data"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["kind"] == kind)
        {
            if done(m) {
                return m.clone();
            }
            last = m.clone();
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("{kind} of {booking} never got there: {last}");
}

fn status_of<'a>(rows: &'a [Value], kind: &str) -> Vec<&'a str> {
    rows.iter()
        .filter(|r| r["kind"] == kind)
        .map(|r| r["status"].as_str().unwrap())
        .collect()
}

async fn a_reschedule_then_a_cancel_move_then_remove_the_same_calendar_event(
    backend: common::Backend,
) {
    let Some((app, smtp)) = with_smtp(backend).await else {
        return;
    };
    let cal = calendar(&app, json!({})).await;
    let first = book(&app, &cal, MONDAY_9AM, "Ann Lee", "ann@guest.example").await;
    let got = smtp.wait_for(2).await;
    let booked = find(&got, "ann@guest.example", "Confirmed")
        .invitation()
        .unwrap();
    assert_eq!(booked.sequence, 0);

    // The guest moves it (same second on the test clock: SEQUENCE must still rise).
    let (s, moved) = app
        .post(
            &format!("/v2/bookings/{first}/customer-reschedule"),
            json!({"start_time": MONDAY_10AM, "reschedule_reason": "Train late"}),
        )
        .await;
    assert_eq!(s, 200, "{moved}");
    let second = moved["id"].as_str().unwrap().to_string();
    assert_ne!(second, first, "OnceHub makes a new booking");
    let got = smtp.wait_for(4).await;
    let guest = find(&got, "ann@guest.example", "Rescheduled");
    let text = guest.text();
    assert!(
        text.contains("Was: Monday, June 16, 2025 at 4:00 PM (CEST)")
            && text.contains("Now: Monday, June 16, 2025 at 5:00 PM (CEST)"),
        "old and new time: {text}"
    );
    let inv = guest.invitation().unwrap();
    assert_eq!(inv.method, "REQUEST");
    assert_eq!(inv.uid, booked.uid, "the same calendar event moves");
    assert!(inv.sequence > booked.sequence, "{inv:?}");
    assert_eq!(inv.start, "20250616T150000Z");
    let host = find(&got, "owner@test.example", "Rescheduled");
    assert_eq!(host.invitation().unwrap().uid, booked.uid);

    // The first booking's reminder is dropped; the new one waits for the new time.
    assert_eq!(
        status_of(&log(&app, &first).await, "guest.reminder"),
        ["dropped"]
    );
    let rows = log(&app, &second).await;
    let reminder = rows.iter().find(|r| r["kind"] == "guest.reminder").unwrap();
    assert_eq!(
        (reminder["status"].as_str(), reminder["due_time"].as_str()),
        (Some("pending"), Some("2025-06-16T14:00:00.000Z"))
    );

    // The host cancels: the event is removed from both calendars.
    let (s, b) = app
        .post(
            &format!("/v2/bookings/{second}/cancel"),
            json!({"cancellation_reason": "Host is <ill>"}),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    let got = smtp.wait_for(6).await;
    let guest = find(&got, "ann@guest.example", "Canceled");
    assert!(
        guest.text().contains("Reason: Host is <ill>"),
        "{}",
        guest.text()
    );
    assert!(
        guest.html().contains("Reason: Host is &lt;ill&gt;"),
        "{}",
        guest.html()
    );
    assert!(
        guest.text().contains("canceled by Olive Owner"),
        "{}",
        guest.text()
    );
    let (method, _) = guest.calendar().unwrap();
    assert_eq!(method, "CANCEL");
    let cancel = guest.invitation().unwrap();
    assert_eq!(
        (cancel.method.as_str(), cancel.uid.as_str()),
        ("CANCEL", booked.uid.as_str())
    );
    assert!(cancel.sequence > inv.sequence);
    assert_eq!(
        find(&got, "owner@test.example", "Canceled")
            .invitation()
            .unwrap()
            .method,
        "CANCEL"
    );
    assert_eq!(
        status_of(&log(&app, &second).await, "guest.reminder"),
        ["dropped"]
    );
    app.finish().await;
}
on_both!(a_reschedule_then_a_cancel_move_then_remove_the_same_calendar_event);

async fn a_cancel_without_the_cancellation_email_tells_only_the_host(backend: common::Backend) {
    let Some((app, smtp)) = with_smtp(backend).await else {
        return;
    };
    let cal = calendar(&app, json!({})).await;
    let id = book(&app, &cal, MONDAY_9AM, "Ann Lee", "ann@guest.example").await;
    smtp.wait_for(2).await;
    let (s, _) = app
        .post(
            &format!("/v2/bookings/{id}/cancel"),
            json!({"send_cancellation_email": false}),
        )
        .await;
    assert_eq!(s, 200);
    let got = smtp.wait_for(3).await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let got_later = smtp.received();
    assert_eq!(got_later.len(), 3, "nothing more");
    assert_eq!(to(&got[2]), "owner@test.example");
    assert!(got[2].subject().starts_with("Canceled"));
    assert!(
        got_later
            .iter()
            .all(|r| !(to(r) == "ann@guest.example" && r.subject().starts_with("Canceled"))),
        "send_cancellation_email: false"
    );
    app.finish().await;
}
on_both!(a_cancel_without_the_cancellation_email_tells_only_the_host);

async fn requests_tell_the_host_then_the_guest_of_the_answer(backend: common::Backend) {
    let Some((app, smtp)) = with_smtp(backend).await else {
        return;
    };
    let cal = calendar(&app, json!({"approval_required": true})).await;
    let a = book(&app, &cal, MONDAY_9AM, "Ann Lee", "ann@guest.example").await;
    let b = book(&app, &cal, MONDAY_10AM, "Bo Park", "bo@guest.example").await;
    let got = smtp.wait_for(4).await;
    let asked = find(&got, "ann@guest.example", "Requested");
    assert!(asked.calendar().is_none(), "no invitation before approval");
    find(
        &got,
        "owner@test.example",
        "Awaiting your approval: Intro call with Ann Lee",
    );
    let rows = log(&app, &a).await;
    assert!(
        status_of(&rows, "guest.reminder").is_empty(),
        "no reminder for a request"
    );

    assert_eq!(
        app.post(&format!("/v2/bookings/{a}/approve"), json!({}))
            .await
            .0,
        200
    );
    assert_eq!(
        app.post(
            &format!("/v2/bookings/{b}/decline"),
            json!({"reason": "Fully booked"})
        )
        .await
        .0,
        200
    );
    let got = smtp.wait_for(6).await;
    let approved = find(&got, "ann@guest.example", "Approved");
    assert_eq!(approved.invitation().unwrap().method, "REQUEST");
    let declined = find(&got, "bo@guest.example", "Declined");
    assert!(
        declined.text().contains("Fully booked"),
        "{}",
        declined.text()
    );
    assert_eq!(
        status_of(&log(&app, &a).await, "guest.reminder"),
        ["pending"]
    );
    app.finish().await;
}
on_both!(requests_tell_the_host_then_the_guest_of_the_answer);

async fn reminders_go_at_their_time_and_not_after_their_validity(backend: common::Backend) {
    let Some((app, smtp)) = with_smtp(backend).await else {
        return;
    };
    let cal = calendar(
        &app,
        json!({"notifications": {"reminders": [{"minutes_before": 60}, {"minutes_before": 1440, "to": "host"}]}}),
    )
    .await;
    let a = book(&app, &cal, MONDAY_9AM, "Ann Lee", "ann@guest.example").await;
    let b = book(&app, &cal, MONDAY_10AM, "Bo Park", "bo@guest.example").await;
    smtp.wait_for(4).await;
    let rows = log(&app, &a).await;
    // Booked 23 hours ahead: the 24-hour reminder's time has passed, so it is not written.
    assert!(status_of(&rows, "host.reminder").is_empty(), "{rows:?}");
    assert_eq!(status_of(&rows, "guest.reminder"), ["pending"]);

    // 13:00:01: Ann's reminder (due 13:00) goes; Bo's (due 14:00) waits.
    app.clock.set(MONDAY_9AM_MS - 3_600_000 + 1_000);
    let got = smtp.wait_for(5).await;
    let r = find(&got, "ann@guest.example", "Reminder: Intro call");
    assert!(
        r.text().contains("Monday, June 16, 2025 at 4:00 PM (CEST)"),
        "{}",
        r.text()
    );
    assert!(r.calendar().is_none());
    assert_eq!(status_of(&log(&app, &a).await, "guest.reminder"), ["sent"]);
    assert_eq!(
        status_of(&log(&app, &b).await, "guest.reminder"),
        ["pending"]
    );

    // The server "was down" until 14:45: Bo's reminder (valid until 14:30) is not sent late.
    app.clock.set(MONDAY_9AM_MS + 45 * 60_000);
    let bo = message_when(&app, &b, "guest.reminder", |m| m["status"] != "pending").await;
    assert_eq!(bo["status"], "expired", "{bo}");
    assert_eq!(bo["attempts"], 0, "never tried");
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    assert_eq!(
        smtp.received().len(),
        5,
        "the expired reminder was not sent"
    );
    app.finish().await;
}
on_both!(reminders_go_at_their_time_and_not_after_their_validity);

async fn a_refused_address_fails_at_once_and_a_busy_server_is_retried(backend: common::Backend) {
    let Some((app, smtp)) = with_smtp(backend).await else {
        return;
    };
    let cal = calendar(&app, json!({"notifications": {"reminders": []}})).await;
    let refused = book(&app, &cal, MONDAY_9AM, "Re Fused", "refuse@guest.example").await;
    let busy = book(&app, &cal, MONDAY_10AM, "Bu Sy", "busy@guest.example").await;
    smtp.wait_for(2).await; // the host's two
    let rows = log(&app, &refused).await;
    let guest = rows
        .iter()
        .find(|r| r["kind"] == "guest.scheduled")
        .unwrap();
    assert_eq!(guest["status"], "failed", "{guest}");
    assert_eq!(guest["attempts"], 1);
    assert!(
        guest["last_error"].as_str().unwrap().contains("550"),
        "{guest}"
    );

    let guest = message_when(&app, &busy, "guest.scheduled", |m| m["attempts"] == 1).await;
    assert_eq!(guest["status"], "pending", "{guest}");
    assert!(
        guest["last_error"].as_str().unwrap().contains("451"),
        "{guest}"
    );
    assert!(guest["next_attempt_time"].is_string());
    // Retried after its backoff (about 35 s), still refused for now: a second attempt is logged.
    app.clock.advance(40_000);
    let attempts = message_when(&app, &busy, "guest.scheduled", |m| m["attempts"] == 2).await
        ["attempts"]
        .clone();
    assert_eq!(attempts, 2);
    app.finish().await;
}
on_both!(a_refused_address_fails_at_once_and_a_busy_server_is_retried);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_smtp_messages_are_eml_files_in_the_mail_folder() {
    let Some(app) = TestApp::spawn(common::Backend::Sqlite).await else {
        return;
    };
    let cal = calendar(&app, json!({})).await;
    let id = book(&app, &cal, MONDAY_9AM, "Ann Lee", "ann@guest.example").await;
    let mut files = Vec::new();
    for _ in 0..200 {
        files = std::fs::read_dir(&app.mail_dir)
            .map(|d| d.filter_map(|e| e.ok().map(|e| e.path())).collect())
            .unwrap_or_default();
        files.retain(|p: &std::path::PathBuf| p.extension().is_some_and(|e| e == "eml"));
        if files.len() >= 2 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(files.len(), 2, "{files:?}");
    let parsed: Vec<Received> = files
        .iter()
        .map(|p| Received {
            raw: std::fs::read(p).unwrap(),
            to: vec![],
        })
        .collect();
    let guest = parsed
        .iter()
        .find(|r| r.subject().starts_with("Confirmed"))
        .expect("the guest's confirmation");
    assert_eq!(
        guest.parsed().to().unwrap().first().unwrap().address(),
        Some("ann@guest.example")
    );
    assert_eq!(guest.invitation().unwrap().uid, format!("{id}@slotline"));
    assert!(log(&app, &id)
        .await
        .iter()
        .filter(|r| r["kind"] != "guest.reminder")
        .all(|r| r["status"] == "sent"));
    app.finish().await;
}

async fn a_message_can_be_resent_as_a_copy(backend: common::Backend) {
    let Some((app, smtp)) = with_smtp(backend).await else {
        return;
    };
    let cal = calendar(&app, json!({})).await;
    let id = book(&app, &cal, MONDAY_9AM, "Ann Lee", "ann@guest.example").await;
    smtp.wait_for(2).await;
    let rows = log(&app, &id).await;
    let original = rows
        .iter()
        .find(|r| r["kind"] == "guest.scheduled")
        .unwrap();
    let oid = original["id"].as_str().unwrap();
    let (s, copy) = app
        .post(&format!("/v2/notifications/{oid}/resend"), json!({}))
        .await;
    assert_eq!(s, 200, "{copy}");
    assert_ne!(copy["id"], original["id"]);
    assert_eq!(
        (
            copy["kind"].as_str(),
            copy["address"].as_str(),
            copy["subject"].as_str()
        ),
        (
            Some("guest.scheduled"),
            Some("ann@guest.example"),
            original["subject"].as_str()
        )
    );
    let got = smtp.wait_for(3).await;
    assert_eq!(got[2].subject(), original["subject"].as_str().unwrap());
    assert_eq!(got[2].invitation().unwrap().uid, format!("{id}@slotline"));
    let again = app
        .post("/v2/notifications/NTF-NOSUCHONE/resend", json!({}))
        .await;
    common::assert_error(
        &again,
        404,
        "No such notification: 'NTF-NOSUCHONE'",
        Some("id"),
    );
    let other = app.post("/v2/notifications/BKNG-1/resend", json!({})).await;
    assert_eq!(other.0, 404);
    let none = app.get("/v2/bookings/BKNG-NOSUCH/notifications").await;
    assert_eq!(none.0, 404);
    app.finish().await;
}
on_both!(a_message_can_be_resent_as_a_copy);

async fn a_calendar_speaks_in_its_own_words(backend: common::Backend) {
    let Some((app, smtp)) = with_smtp(backend).await else {
        return;
    };
    let cal = calendar(&app, json!({})).await;
    let (s, settings) = app
        .patch(
            &format!("/v2/booking-calendars/{cal}/settings"),
            json!({"notifications": {"email_hosts": false, "templates": {"guest.scheduled": {
                "subject": "See you {when}, {guest_name}",
                "body": "Hi {guest_name} <3\n\n{subject} is set.\n\nNothing else: {unknown_word}"
            }}}}),
        )
        .await;
    assert_eq!(s, 200, "{settings}");
    assert_eq!(settings["notifications"]["email_hosts"], false);
    assert_eq!(
        settings["notifications"]["reminders"],
        json!([{"minutes_before": 60, "to": "guest", "channel": "email"}]),
        "the default reminder is shown"
    );
    let (s, bad) = app
        .patch(
            &format!("/v2/booking-calendars/{cal}/settings"),
            json!({"notifications": {"templates": {"guest.sent": {"subject": "a", "body": "b"}}}}),
        )
        .await;
    assert_eq!(s, 400, "{bad}");
    assert_eq!(bad["param"], "settings.notifications.templates.guest.sent");

    book(
        &app,
        &cal,
        MONDAY_9AM,
        "Ann <i>Lee</i>",
        "ann@guest.example",
    )
    .await;
    let got = smtp.wait_for(1).await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(smtp.received().len(), 1, "hosts are not emailed here");
    let m = &got[0];
    assert_eq!(
        m.subject(),
        "See you Monday, June 16, 2025 at 4:00 PM (CEST), Ann <i>Lee</i>"
    );
    assert_eq!(
        m.text().replace("\r\n", "\n"),
        "Hi Ann <i>Lee</i> <3\n\nIntro call is set.\n",
        "a line whose only placeholder is unknown is left out"
    );
    assert!(
        m.html()
            .contains("<p>Hi Ann &lt;i&gt;Lee&lt;/i&gt; &lt;3</p>"),
        "the template's words and the values are escaped: {}",
        m.html()
    );
    app.finish().await;
}
on_both!(a_calendar_speaks_in_its_own_words);
