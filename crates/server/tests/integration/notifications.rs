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

/// Posts the host's answer form to a link; the status.
async fn answer(app: &TestApp, link: &str, reason: &str) -> u16 {
    app.http
        .post(link)
        .form(&[("reason", reason)])
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
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
        if rows.iter().all(|r| {
            r["status"] != "pending" || {
                let k = r["kind"].as_str().unwrap();
                k.ends_with("reminder") || k.ends_with("follow_up")
            }
        }) {
            return rows;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("messages of {booking} still pending");
}

/// A message of the booking of `kind` for which `done` holds, once one does.
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
        let of_kind: Vec<&Value> = log["data"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| r["kind"] == kind)
            .collect();
        if let Some(m) = of_kind.iter().find(|m| done(m)) {
            return (*m).clone();
        }
        last = json!(of_kind);
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
    let rows = log(&app, &a).await;
    assert!(
        status_of(&rows, "guest.reminder").is_empty(),
        "no reminder for a request"
    );

    // The host answers from the email: each link shows the request, and only its button acts.
    let link = |subject: &str, label: &str| {
        let text = find(&got, "owner@test.example", subject)
            .text()
            .replace("\r\n", "\n");
        text.lines()
            .find_map(|l| l.strip_prefix(label))
            .unwrap_or_else(|| panic!("no '{label}' link: {text}"))
            .trim()
            .to_string()
    };
    let approve = link(
        "Awaiting your approval: Intro call with Ann Lee",
        "Approve: ",
    );
    let decline = link(
        "Awaiting your approval: Intro call with Bo Park",
        "Decline: ",
    );
    assert!(
        approve.starts_with(&format!("{}/h/", app.base)),
        "{approve}"
    );
    let page = app.http.get(&approve).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(
        html.contains("Approve this request?") && html.contains("Ann Lee"),
        "{html}"
    );
    assert_eq!(
        app.get(&format!("/v2/bookings/{a}")).await.1["status"],
        "requested",
        "a GET acts on nothing"
    );
    // A link changed in any part is refused.
    for forged in [
        approve.replace("/approve?", "/decline?"),
        approve.replace(&a, &b),
        format!(
            "{}0",
            approve.trim_end_matches(|c: char| c.is_ascii_hexdigit())
        ),
    ] {
        assert_eq!(answer(&app, &forged, "").await, 404, "{forged}");
    }
    assert_eq!(answer(&app, &approve, "").await, 200);
    assert_eq!(
        app.get(&format!("/v2/bookings/{a}")).await.1["status"],
        "scheduled"
    );
    assert_eq!(
        answer(&app, &approve, "").await,
        409,
        "a request is answered once"
    );
    assert_eq!(answer(&app, &decline, "Fully booked").await, 200);
    assert_eq!(
        app.get(&format!("/v2/bookings/{b}")).await.1["status"],
        "canceled"
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

/// A reminder is written without words and rendered when it goes: it speaks the calendar's
/// words as they are then, and the record keeps what was sent.
async fn a_reminder_is_worded_when_it_goes(backend: common::Backend) {
    let Some((app, smtp)) = with_smtp(backend).await else {
        return;
    };
    let cal = calendar(&app, json!({"notifications": {"email_hosts": false}})).await;
    let a = book(&app, &cal, MONDAY_9AM, "Ann Lee", "ann@guest.example").await;
    smtp.wait_for(1).await;
    let waiting = message_when(&app, &a, "guest.reminder", |_| true).await;
    assert_eq!(waiting["status"], "pending");
    assert!(waiting["subject"].is_null(), "no words yet: {waiting}");
    assert!(waiting["text"].is_null(), "{waiting}");

    let (s, _) = app
        .patch(
            &format!("/v2/booking-calendars/{cal}/settings"),
            json!({"notifications": {"templates": {"guest.reminder": {
                "subject": "Soon: {subject}", "body": "{guest_name}, it starts {when}."
            }}}}),
        )
        .await;
    assert_eq!(s, 200);
    app.clock.set(MONDAY_9AM_MS - 3_600_000 + 1_000);
    let got = smtp.wait_for(2).await;
    let r = find(&got, "ann@guest.example", "Soon: Intro call");
    assert!(
        r.text()
            .contains("Ann Lee, it starts Monday, June 16, 2025 at 4:00 PM (CEST)."),
        "{}",
        r.text()
    );
    let sent = message_when(&app, &a, "guest.reminder", |m| m["status"] == "sent").await;
    assert_eq!(
        sent["subject"], "Soon: Intro call",
        "the record keeps the words sent"
    );
    assert!(
        sent["text"]
            .as_str()
            .unwrap()
            .starts_with("Ann Lee, it starts"),
        "{sent}"
    );
    app.finish().await;
}
on_both!(a_reminder_is_worded_when_it_goes);

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
        // A file is written in pieces: wait until each multipart message has its closing
        // boundary.
        let whole = |p: &std::path::PathBuf| {
            std::fs::read(p).is_ok_and(|b| String::from_utf8_lossy(&b).trim_end().ends_with("--"))
        };
        if files.len() >= 2 && files.iter().all(whole) {
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

async fn sms_reach_guests_with_a_mobile_and_the_providers_reports_are_kept(
    backend: common::Backend,
) {
    use common::sms_provider::{sign, SmsProvider, REFUSED_NUMBER};
    let Some(smtp) = SmtpSink::start().await else {
        return;
    };
    let provider = SmsProvider::start().await;
    let Some(app) = TestApp::spawn_with(
        backend,
        Options {
            smtp_url: Some(smtp.url()),
            sms: Some((
                provider.url.clone(),
                provider.account_sid.clone(),
                provider.auth_token.clone(),
                "+15550001111".into(),
            )),
            ..Options::default()
        },
    )
    .await
    else {
        return;
    };
    let cal = calendar(&app, json!({"notifications": {"sms": true}})).await;
    let schedule = |start: &'static str,
                    name: &'static str,
                    email: &'static str,
                    mobile: Option<&'static str>| {
        let app = &app;
        let cal = cal.clone();
        async move {
            let mut form = json!({"name": name, "email": email});
            if let Some(m) = mobile {
                form["mobile_phone"] = json!(m);
            }
            let (s, b) = app
                .post(
                    &format!("/v2/booking-calendars/{cal}/schedule"),
                    json!({"start_time": start, "guest_time_zone": "Europe/Paris", "booking_form": form}),
                )
                .await;
            assert_eq!(s, 200, "{b}");
            b["id"].as_str().unwrap().to_string()
        }
    };
    let a = schedule(
        MONDAY_9AM,
        "Ann Lee",
        "ann@guest.example",
        Some("+12025550195"),
    )
    .await;
    let sent = provider.wait_for(1).await;
    assert_eq!(sent[0].to, "+12025550195");
    assert_eq!(sent[0].from, "+15550001111");
    assert!(
        sent[0]
            .body
            .starts_with("Booked: Intro call with Olive Owner, Monday, June 16, 2025 at 4:00 PM (CEST). Manage: http"),
        "{}",
        sent[0].body
    );
    assert_eq!(sent[0].callback, format!("{}/sms/status", app.base));
    let sms = message_when(&app, &a, "guest.scheduled", |m| {
        m["type"] == "sms" && m["status"] == "delivered"
    })
    .await;
    assert_eq!(sms["provider_id"], sent[0].sid.as_str());
    assert!(sms["id"].as_str().unwrap().starts_with("SMS-"));

    // Without a mobile number, email only; a number the provider refuses is recorded as such.
    let b = schedule(MONDAY_10AM, "Bo Park", "bo@guest.example", None).await;
    let c = schedule(
        "2025-06-16T16:00:00.000Z",
        "Cy Refused",
        "cy@guest.example",
        Some(REFUSED_NUMBER),
    )
    .await;
    let refused = message_when(&app, &c, "guest.scheduled", |m| {
        m["type"] == "sms" && m["status"] != "pending"
    })
    .await;
    assert_eq!(refused["status"], "rejected", "{refused}");
    assert!(
        refused["last_error"].as_str().unwrap().contains("21211"),
        "{refused}"
    );
    assert!(log(&app, &b).await.iter().all(|m| m["type"] == "email"));
    assert_eq!(provider.sent().len(), 1);

    // OnceHub's SMS log.
    let (_, contact) = app.get(&format!("/v2/bookings/{a}")).await;
    let contact = contact["contact"].as_str().unwrap().to_string();
    let (s, list) = app.get("/v2/notifications/sms").await;
    assert_eq!(s, 200, "{list}");
    let data = list["data"].as_array().unwrap();
    assert_eq!(data.len(), 2, "sent and refused SMS, newest first: {list}");
    assert_eq!(data[0]["status"], "rejected");
    assert_eq!(
        data[1],
        json!({
            "object": "notification", "id": sms["id"], "type": "sms", "status": "delivered",
            "creation_time": sms["creation_time"], "recipient": contact, "recipient_type": "contact",
            "details": {"delivered_to": "+12025550195", "message_body": sent[0].body, "segment_count": 1}
        })
    );
    let (_, expanded) = app
        .get("/v2/notifications/sms?expand=data.recipient&limit=1&after=")
        .await;
    assert_eq!(expanded["data"][0]["recipient"]["object"], "contact");
    let (_, page) = app.get("/v2/notifications/sms?limit=1").await;
    assert_eq!(
        (
            page["data"].as_array().unwrap().len(),
            page["has_more"].as_bool()
        ),
        (1, Some(true))
    );
    for (query, n) in [
        (format!("recipient={contact}"), 1),
        ("recipient_type=user".to_string(), 0),
        ("recipient_type=contact".to_string(), 2),
        ("creation_time.gt=2030-01-01T00:00:00Z".to_string(), 0),
        ("creation_time.lt=2030-01-01T00:00:00Z".to_string(), 2),
    ] {
        let (s, l) = app.get(&format!("/v2/notifications/sms?{query}")).await;
        assert_eq!(
            (s, l["data"].as_array().map(Vec::len)),
            (200, Some(n)),
            "{query}: {l}"
        );
    }
    common::assert_error(
        &app.get("/v2/notifications/sms?recipient_type=customer")
            .await,
        400,
        "Invalid string: customer",
        Some("recipient_type"),
    );
    common::assert_error(
        &app.get("/v2/notifications/sms?recipient_type=").await,
        400,
        "Invalid string: ",
        Some("recipient_type"),
    );
    common::assert_error(
        &app.get("/v2/notifications/sms?expand=owner").await,
        400,
        "This property cannot be expanded: owner",
        Some("expand"),
    );
    let (s, _) = app
        .get("/v2/notifications/sms?creation_time.gt=yesterday")
        .await;
    assert_eq!(s, 400);

    // Reports: each of the provider's was accepted; a forged one is refused and changes nothing.
    assert!(provider
        .callback_answers
        .lock()
        .unwrap()
        .iter()
        .all(|s| *s == 204));
    let url = format!("{}/sms/status", app.base);
    let params = [
        ("MessageSid", sent[0].sid.as_str()),
        ("MessageStatus", "failed"),
    ];
    let forged = app
        .http
        .post(&url)
        .header("X-Twilio-Signature", sign("not-the-token", &url, &params))
        .form(&params)
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 403);
    let unsigned = app.http.post(&url).form(&params).send().await.unwrap();
    assert_eq!(unsigned.status(), 403);
    let (_, list) = app
        .get(&format!("/v2/notifications/sms?recipient={contact}"))
        .await;
    assert_eq!(list["data"][0]["status"], "delivered");
    // A late, genuine "sent" does not undo "delivered".
    let late = [
        ("MessageSid", sent[0].sid.as_str()),
        ("MessageStatus", "sent"),
    ];
    let res = app
        .http
        .post(&url)
        .header(
            "X-Twilio-Signature",
            sign(&provider.auth_token, &url, &late),
        )
        .form(&late)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    let (_, list) = app
        .get(&format!("/v2/notifications/sms?recipient={contact}"))
        .await;
    assert_eq!(list["data"][0]["status"], "delivered");
    app.finish().await;
}
on_both!(sms_reach_guests_with_a_mobile_and_the_providers_reports_are_kept);

async fn a_user_added_through_the_api_is_invited(backend: common::Backend) {
    let Some((app, smtp)) = with_smtp(backend).await else {
        return;
    };
    let (s, user) = app
        .post(
            "/v2/users",
            json!({"email": "new.host@test.example", "first_name": "Nia", "last_name": "Host"}),
        )
        .await;
    assert_eq!(s, 200, "{user}");
    let got = smtp.wait_for(1).await;
    assert_eq!(to(&got[0]), "new.host@test.example");
    assert_eq!(got[0].subject(), "You were added to Test Co on Slotline");
    assert!(
        got[0].text().contains("Hello Nia Host,"),
        "{}",
        got[0].text()
    );
    assert!(got[0].calendar().is_none());
    // A refused user (a duplicate email) is not invited: the message rolls back with it.
    let (s, _) = app
        .post(
            "/v2/users",
            json!({"email": "new.host@test.example", "first_name": "Nia", "last_name": "Again"}),
        )
        .await;
    assert_ne!(s, 200);
    let rows: Vec<(String, Option<String>)> = sqlx::query_as(
        "SELECT recipient_type, recipient_id FROM notifications WHERE kind = 'user.invitation'",
    )
    .fetch_all(&mut *app.db.reader().await.unwrap())
    .await
    .unwrap();
    assert_eq!(
        rows,
        [("user".to_string(), user["id"].as_str().map(str::to_string))]
    );
    app.finish().await;
}
on_both!(a_user_added_through_the_api_is_invited);

async fn a_reassignment_tells_the_guest_and_both_hosts(backend: common::Backend) {
    let Some((app, smtp)) = with_smtp(backend).await else {
        return;
    };
    let (s, nia) = app
        .post(
            "/v2/users",
            json!({"email": "nia@test.example", "first_name": "Nia", "last_name": "Host", "timezone": "Asia/Tokyo"}),
        )
        .await;
    assert_eq!(s, 200, "{nia}");
    let cal = calendar(&app, json!({})).await;
    let id = book(&app, &cal, MONDAY_9AM, "Ann Lee", "ann@guest.example").await;
    smtp.wait_for(3).await; // the invitation, the guest's and the host's
    let (s, b) = app
        .post(
            &format!("/v2/bookings/{id}/reassign"),
            json!({"new_host": nia["id"]}),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    let got = smtp.wait_for(6).await;
    let guest = find(&got, "ann@guest.example", "New host");
    assert!(
        guest.text().contains("will now be with Nia Host"),
        "{}",
        guest.text()
    );
    let new_host = find(&got, "nia@test.example", "Assigned to you");
    assert!(
        new_host
            .subject()
            .contains("Monday, June 16, 2025 at 11:00 PM (JST)"),
        "in the new host's zone: {}",
        new_host.subject()
    );
    let inv = new_host.invitation().unwrap();
    assert_eq!(
        (inv.method.as_str(), inv.organizer.as_str()),
        ("REQUEST", "mailto:nia@test.example")
    );
    let old_host = find(&got, "owner@test.example", "Reassigned");
    assert!(
        old_host.text().contains("was given to Nia Host"),
        "{}",
        old_host.text()
    );
    assert_eq!(old_host.invitation().unwrap().method, "CANCEL");
    assert_eq!(old_host.invitation().unwrap().uid, inv.uid);
    let first = find(&got, "owner@test.example", "New booking")
        .invitation()
        .unwrap();
    assert!(
        old_host.invitation().unwrap().sequence > first.sequence,
        "the old host's CANCEL outranks the invitation it cancels"
    );
    let rows = log(&app, &id).await;
    let mut reminders = status_of(&rows, "guest.reminder");
    reminders.sort();
    assert_eq!(
        reminders,
        ["dropped", "pending"],
        "the reminder is rewritten for the new host"
    );
    app.finish().await;
}
on_both!(a_reassignment_tells_the_guest_and_both_hosts);

/// Messages written now, as a burst of bookings would write them: `n` emails due at once.
async fn burst_of_messages(app: &TestApp, n: usize) {
    use slotline::store::{
        notifications::{self, MessageId, NewMessage, Recipient},
        Batch,
    };
    use slotline_domain::{notice::Notice, notifications::Channel};
    let mut batch = Batch::default();
    for i in 0..n {
        let m = NewMessage {
            id: MessageId::new(Channel::Email),
            booking_id: None,
            kind: Notice::GuestScheduled,
            recipient: Recipient::Guest,
            recipient_name: format!("Guest {i}"),
            address: format!("slow{i}@burst.example"),
            subject: format!("Message {i}"),
            text: format!("Number {i}\n"),
            html: None,
            ics: None,
            due_time: app.clock_now(),
            expire_time: None,
        };
        notifications::push(&mut batch, &app.account_id, &m, app.clock_now());
    }
    batch.run(&app.db).await.unwrap();
}

async fn a_worker_killed_mid_send_loses_no_message(backend: common::Backend) {
    use std::process::{Command, Stdio};
    const N: usize = 400;
    let Some(smtp) = SmtpSink::start().await else {
        return;
    };
    let Some(app) = TestApp::spawn_with(
        backend,
        Options {
            role: slotline::config::Role::Api,
            smtp_url: Some(smtp.url()),
            ..Options::default()
        },
    )
    .await
    else {
        return;
    };
    burst_of_messages(&app, N).await;
    let worker = || {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        Command::new(env!("CARGO_BIN_EXE_slotline"))
            .args(["serve", "--role", "worker", "--database-url", &app.url])
            .args([
                "--listen",
                &format!("127.0.0.1:{port}"),
                "--smtp-url",
                &smtp.url(),
            ])
            .env("SLOTLINE_LOG", "warn")
            .stdout(Stdio::null())
            .spawn()
            .expect("start slotline")
    };
    let mut first = worker();
    smtp.wait_for(40).await;
    first.kill().unwrap(); // SIGKILL: claims and SMTP sessions abandoned
    first.wait().unwrap();
    let at_kill = smtp.received().len();
    assert!(at_kill < N, "killed too late to prove anything");
    let pending: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM notifications WHERE status = 'pending'")
            .fetch_one(&mut *app.db.reader().await.unwrap())
            .await
            .unwrap();
    assert!(pending > 0, "the kill left messages to send");

    // The dead worker's leases (2 minutes) run out: the workers run on the real clock, so the
    // test moves the claims' expiry instead of waiting.
    let held = sqlx::query(
        "UPDATE notifications SET next_attempt_time = next_attempt_time - 121000 WHERE claimed_time IS NOT NULL",
    )
    .execute(&mut *app.db.writer().await.unwrap())
    .await
    .unwrap()
    .rows_affected();
    assert!(held > 0, "the kill left claimed messages behind");
    let mut second = worker();
    let mut ids = std::collections::HashMap::<String, usize>::new();
    for _ in 0..600 {
        ids.clear();
        for r in smtp.received() {
            let id = r.parsed().message_id().unwrap().to_string();
            *ids.entry(id).or_default() += 1;
        }
        let sent: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM notifications WHERE status = 'sent'")
                .fetch_one(&mut *app.db.reader().await.unwrap())
                .await
                .unwrap();
        if ids.len() >= N && sent == N as i64 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    second.kill().unwrap();
    second.wait().unwrap();
    assert_eq!(ids.len(), N, "every message arrived");
    let twice = ids.values().filter(|n| **n > 1).count();
    assert!(
        twice <= 16,
        "at most those in flight at the kill came twice: {twice}"
    );
    let (sent, interrupted): (i64, i64) = sqlx::query_as(
        "SELECT (SELECT COUNT(*) FROM notifications WHERE status = 'sent'), \
                (SELECT COUNT(*) FROM notification_attempts WHERE outcome = 'interrupted')",
    )
    .fetch_one(&mut *app.db.reader().await.unwrap())
    .await
    .unwrap();
    assert_eq!(sent, N as i64, "each recorded as sent");
    assert!(
        interrupted >= 1,
        "the abandoned claims are logged as interrupted"
    );
    app.finish().await;
}
on_both!(a_worker_killed_mid_send_loses_no_message);

async fn a_follow_up_thanks_the_guest_after_the_meeting(backend: common::Backend) {
    let Some(smtp) = SmtpSink::start().await else {
        return;
    };
    let Some(app) = TestApp::spawn_with(
        backend,
        Options {
            smtp_url: Some(smtp.url()),
            sweep_ms: 50,
            ..Options::default()
        },
    )
    .await
    else {
        return;
    };
    let cal = calendar(
        &app,
        json!({"notifications": {"reminders": [], "follow_up_minutes": 30, "email_hosts": false}}),
    )
    .await;
    let id = book(&app, &cal, MONDAY_9AM, "Ann Lee", "ann@guest.example").await;
    smtp.wait_for(1).await;
    let follow = message_when(&app, &id, "guest.follow_up", |m| m["status"] == "pending").await;
    assert_eq!(
        follow["due_time"], "2025-06-16T15:00:00.000Z",
        "30 minutes after the end"
    );
    // The meeting ends and the sweeper completes it: the follow-up stays.
    app.clock.set(MONDAY_9AM_MS + 45 * 60_000);
    for _ in 0..200 {
        if app.get(&format!("/v2/bookings/{id}")).await.1["status"] == "completed" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    assert_eq!(
        app.get(&format!("/v2/bookings/{id}")).await.1["status"],
        "completed"
    );
    assert_eq!(
        status_of(&log(&app, &id).await, "guest.follow_up"),
        ["pending"]
    );
    // Its time comes.
    app.clock.set(MONDAY_9AM_MS + 60 * 60_000 + 1_000);
    let got = smtp.wait_for(2).await;
    assert_eq!(got[1].subject(), "Thank you: Intro call");
    message_when(&app, &id, "guest.follow_up", |m| m["status"] == "sent").await;
    app.finish().await;
}
on_both!(a_follow_up_thanks_the_guest_after_the_meeting);
