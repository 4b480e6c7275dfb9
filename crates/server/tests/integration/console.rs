//! The integrators' console as a browser without script uses it: webhooks made, changed,
//! switched off and on, their secret shown and rotated (deliveries carry both signatures during
//! the grace period), test events with the endpoint's answer, the health summary, the delivery
//! log with its filters, redelivery and recovery — against a real receiver, on both backends.

use serde_json::{json, Value};

use crate::common::{
    self,
    guest::Answer,
    person::Person,
    receiver::{Behavior, Receiver},
    TestApp,
};
use crate::hosts_app::{book, member, owner};

fn dev() -> common::Options {
    common::Options {
        allow_http_webhooks: true,
        webhook_timeout_secs: 2,
        ..common::Options::default()
    }
}

/// The value of the input `id` on a page.
fn input_value(html: &str, id: &str) -> Option<String> {
    let at = html.find(&format!("id=\"{id}\""))?;
    let tag = &html[at..at + html[at..].find('>')?];
    let v = tag.find("value=\"")? + 7;
    Some(tag[v..v + tag[v..].find('"')?].to_string())
}

/// Follows a redirect's `Location`.
async fn follow(p: &mut Person, a: &Answer) -> Answer {
    assert_eq!(a.status, 303, "{}", a.html);
    let to = a.location.clone().expect("a redirect");
    p.open(&to).await
}

/// Which of `secrets` the request's signatures verify with (both schemes must agree).
fn verifies_with(r: &common::receiver::Received, secret: &str, now_secs: i64) -> bool {
    let headers = slotline_webhook::Headers::from_lookup(|k| r.headers.get(k).map(String::as_str));
    match slotline_webhook::verify(secret, &headers, &r.body, now_secs, 300) {
        Ok(v) => {
            assert!(v.oncehub && v.standard, "both schemes verify");
            true
        }
        Err(_) => false,
    }
}

async fn webhook(app: &TestApp, id: &str) -> Value {
    let (s, w) = app.get(&format!("/v2/webhooks/{id}")).await;
    assert_eq!(s, 200, "{w}");
    w
}

async fn an_admin_manages_a_webhook_in_the_console(backend: common::Backend) {
    let Some(app) = TestApp::spawn_with(backend, dev()).await else {
        return;
    };
    let rx = Receiver::start().await;
    let mut admin = owner(&app).await;
    let list = admin.open("/app/webhooks").await;
    assert_eq!(list.status, 200, "{}", list.html);
    assert!(list.html.contains("No webhooks yet."));

    // Refused with OnceHub's words, and the form keeps what was typed.
    let bad = admin
        .submit(
            &list.html,
            "/app/webhooks/new",
            &[("name", "CRM"), ("url", "ftp://x.example/hook")],
        )
        .await;
    assert_eq!(bad.status, 422);
    assert!(
        bad.html
            .contains("URLs must be entered in full, and they must use the https:// prefix"),
        "{}",
        bad.html
    );
    assert!(bad.html.contains("ftp://x.example/hook"), "kept");

    let made = admin
        .submit(
            &list.html,
            "/app/webhooks/new",
            &[("name", "CRM <sync>"), ("url", &rx.url)],
        )
        .await;
    let page = follow(&mut admin, &made).await;
    assert_eq!(page.status, 200, "{}", page.html);
    assert!(page.html.contains("CRM &lt;sync&gt;"), "escaped");
    let id = made.location.clone().unwrap();
    let id = id
        .trim_start_matches("/app/webhooks/")
        .split('?')
        .next()
        .unwrap()
        .to_string();
    let w = webhook(&app, &id).await;
    assert_eq!(w["events"], json!(["booking"]), "the new form's default");
    assert_eq!(w["fifo"], false);
    let secret = w["secret"].as_str().unwrap().to_string();
    assert!(!page.html.contains(&secret), "the secret only on demand");

    // The secret on demand: in a POST's answer, never cached.
    let shown = admin
        .submit(&page.html, &format!("/app/webhooks/{id}/secret"), &[])
        .await;
    assert_eq!(shown.status, 200, "{}", shown.html);
    assert_eq!(shown.headers["cache-control"], "no-store");
    assert_eq!(
        input_value(&shown.html, "secret").as_deref(),
        Some(&*secret)
    );

    // A test event: the page shows what the endpoint answered, and it verifies.
    let tested = admin
        .submit(&page.html, &format!("/app/webhooks/{id}/test"), &[])
        .await;
    let result = follow(&mut admin, &tested).await;
    assert!(
        result.html.contains("Delivered") && result.html.contains("the endpoint answered 200"),
        "{}",
        result.html
    );
    let got = rx.wait_for(1, 10).await;
    assert!(verifies_with(&got[0], &secret, app.clock_now() / 1000));
    let body: Value = serde_json::from_slice(&got[0].body).unwrap();
    assert_eq!(body["type"], "webhook.test");

    // Changed: name, events, order.
    let other = app
        .post(
            "/v2/webhooks",
            json!({"name": "Other", "url": "https://other.example/hook", "events": ["booking"]}),
        )
        .await;
    assert_eq!(other.0, 200);
    let conflict = admin
        .submit(
            &page.html,
            &format!("/app/webhooks/{id}"),
            &[("name", "Other")],
        )
        .await;
    assert_eq!(conflict.status, 422);
    assert!(
        conflict
            .html
            .contains("A webhook subscription with this name already exists"),
        "{}",
        conflict.html
    );
    let saved = admin
        .submit(
            &page.html,
            &format!("/app/webhooks/{id}"),
            &[
                ("name", "CRM sync"),
                ("ev.booking", ""),
                ("ev.booking.canceled", "on"),
                ("ev.conversation.started", "on"),
                ("fifo", "on"),
            ],
        )
        .await;
    assert_eq!(saved.status, 303, "{}", saved.html);
    let w = webhook(&app, &id).await;
    assert_eq!(w["name"], "CRM sync");
    assert_eq!(
        w["events"],
        json!(["booking.canceled", "conversation.started"])
    );
    assert_eq!(w["fifo"], true);
    assert_eq!(w["url"], rx.url.as_str(), "unchanged");

    // Off: no test, no deliveries, the reason says who; and on again.
    let off = admin
        .submit(&page.html, &format!("/app/webhooks/{id}/disable"), &[])
        .await;
    let off_page = follow(&mut admin, &off).await;
    assert!(off_page.html.contains("Enable"), "{}", off_page.html);
    let w = webhook(&app, &id).await;
    assert_eq!(w["status"], "disabled");
    assert!(
        w["disabled_reason"]
            .as_str()
            .unwrap()
            .starts_with("Disabled by "),
        "{w}"
    );
    let refused = admin
        .submit(&page.html, &format!("/app/webhooks/{id}/test"), &[])
        .await;
    assert_eq!(refused.status, 422);
    assert!(refused
        .html
        .contains("The webhook is disabled; enable it first."));
    let on = admin
        .submit(&off_page.html, &format!("/app/webhooks/{id}/enable"), &[])
        .await;
    assert_eq!(on.status, 303, "{}", on.html);
    assert_eq!(webhook(&app, &id).await["status"], "enabled");

    // Rotated with a day's grace: the new secret is shown; deliveries verify with either.
    let rotated = admin
        .submit(
            &page.html,
            &format!("/app/webhooks/{id}/rotate"),
            &[("grace", "86400")],
        )
        .await;
    assert_eq!(rotated.status, 200, "{}", rotated.html);
    assert_eq!(rotated.headers["cache-control"], "no-store");
    let w = webhook(&app, &id).await;
    let new_secret = w["secret"].as_str().unwrap().to_string();
    assert_ne!(new_secret, secret);
    assert_eq!(
        input_value(&rotated.html, "secret").as_deref(),
        Some(&*new_secret)
    );
    assert!(w["previous_secret_expiry"].is_string(), "{w}");
    assert!(rotated.html.contains("also signs deliveries until"));
    let tested = admin
        .submit(&page.html, &format!("/app/webhooks/{id}/test"), &[])
        .await;
    assert_eq!(tested.status, 303);
    let got = rx.wait_for(2, 10).await;
    let now = app.clock_now() / 1000;
    assert!(
        verifies_with(&got[1], &secret, now),
        "the old secret still verifies"
    );
    assert!(
        verifies_with(&got[1], &new_secret, now),
        "so does the new one"
    );

    // Rotated again with no grace: only the newest secret signs.
    let rotated = admin
        .submit(
            &page.html,
            &format!("/app/webhooks/{id}/rotate"),
            &[("grace", "0")],
        )
        .await;
    assert_eq!(rotated.status, 200);
    let newest = webhook(&app, &id).await["secret"]
        .as_str()
        .unwrap()
        .to_string();
    let tested = admin
        .submit(&page.html, &format!("/app/webhooks/{id}/test"), &[])
        .await;
    assert_eq!(tested.status, 303);
    let got = rx.wait_for(3, 10).await;
    assert!(verifies_with(&got[2], &newest, now));
    assert!(!verifies_with(&got[2], &new_secret, now), "no grace asked");
    // A grace beyond a week is refused.
    let long = admin
        .submit(
            &page.html,
            &format!("/app/webhooks/{id}/rotate"),
            &[("grace", "9999999")],
        )
        .await;
    assert_eq!(long.status, 422);

    // Removed.
    let gone = admin
        .submit(&page.html, &format!("/app/webhooks/{id}/remove"), &[])
        .await;
    assert_eq!(gone.location.as_deref(), Some("/app/webhooks?done=removed"));
    assert_eq!(admin.open(&format!("/app/webhooks/{id}")).await.status, 404);
    let (_, w) = app.get(&format!("/v2/webhooks/{id}")).await;
    assert_eq!(w["deleted"], true, "{w}");

    // A member may neither see nor act.
    let (_, mut mia) = member(&app, "mia@test.example", "Member").await;
    assert_eq!(mia.open("/app/webhooks").await.status, 403);
    let other_id = other.1["id"].as_str().unwrap();
    assert_eq!(
        mia.open(&format!("/app/webhooks/{other_id}")).await.status,
        403
    );
    let before = webhook(&app, other_id).await;
    let token = crate::hosts_app::csrf(&mut mia).await;
    for (action, extra) in [
        ("disable", vec![]),
        ("remove", vec![]),
        ("test", vec![]),
        ("secret", vec![]),
        ("rotate", vec![("grace", "0")]),
        ("recover", vec![("since", "2000-01-01T00:00")]),
        ("redeliver", vec![("event", "EVNT-NOSUCH00000")]),
    ] {
        let mut fields = vec![("csrf".to_string(), token.clone())];
        fields.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        let answer = mia
            .post(&format!("/app/webhooks/{other_id}/{action}"), &fields)
            .await;
        assert_eq!(answer.status, 403, "a member's {action}");
        assert!(!answer.html.contains(before["secret"].as_str().unwrap()));
    }
    assert_eq!(webhook(&app, other_id).await, before, "nothing changed");
    app.finish().await;
}
on_both!(an_admin_manages_a_webhook_in_the_console);

async fn the_delivery_log_shows_health_filters_redelivers_and_recovers(backend: common::Backend) {
    let Some(app) = TestApp::spawn_with(backend, dev()).await else {
        return;
    };
    let rx = Receiver::start().await;
    rx.script([Behavior::Answer(500, vec![("x-why", "busy".into())])]);
    let (s, w) = app
        .post(
            "/v2/webhooks",
            json!({"name": "Log", "url": rx.url, "events": ["booking"]}),
        )
        .await;
    assert_eq!(s, 200, "{w}");
    let id = w["id"].as_str().unwrap().to_string();
    let mut admin = owner(&app).await;

    // Two test events: the first gets a 500 (retried later), the second a 200.
    let first = app
        .post(&format!("/v2/webhooks/{id}/test"), json!({}))
        .await
        .1["event"]
        .as_str()
        .unwrap()
        .to_string();
    rx.wait_for(1, 10).await;
    let second = app
        .post(&format!("/v2/webhooks/{id}/test"), json!({}))
        .await
        .1["event"]
        .as_str()
        .unwrap()
        .to_string();
    rx.wait_for(2, 10).await;
    let here = format!("/app/webhooks/{id}/deliveries");
    let mut page = admin.open(&here).await;
    for _ in 0..100 {
        if page.html.contains("50.0 %") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        page = admin.open(&here).await;
    }
    assert_eq!(page.status, 200, "{}", page.html);
    assert!(page.html.contains("50.0 % of 2"), "{}", page.html);
    assert!(
        page.html.contains("1 / 1 / 0"),
        "delivered / pending / failed"
    );
    assert!(page.html.contains("x-why: busy"), "response headers shown");
    let (_, h) = app.get(&format!("/v2/webhooks/{id}/health")).await;
    assert_eq!(
        (
            &h["deliveries"],
            &h["delivered"],
            &h["pending"],
            &h["attempts"]
        ),
        (&json!(2), &json!(1), &json!(1), &json!(2)),
        "{h}"
    );
    assert_eq!(h["success_rate"], 50.0);
    assert_eq!(h["last_error"]["status_code"], 500);
    assert_eq!(h["last_error"]["error_kind"], "status");

    // Filters: by status, by type, by time.
    let pending = admin.open(&format!("{here}?status=pending")).await;
    assert!(pending.html.contains(&first) && !pending.html.contains(&second));
    let delivered = admin.open(&format!("{here}?status=delivered")).await;
    assert!(delivered.html.contains(&second) && !delivered.html.contains(&first));
    let typed = admin.open(&format!("{here}?type=booking.scheduled")).await;
    assert!(typed.html.contains("No deliveries match."));
    let later = admin.open(&format!("{here}?from=2999-01-01T00:00")).await;
    assert!(later.html.contains("No deliveries match."));
    let earlier = admin.open(&format!("{here}?to=2999-01-01T00:00")).await;
    assert!(earlier.html.contains(&first) && earlier.html.contains(&second));

    // Redeliver the one that failed: its page shows the new attempt, delivered.
    let again = admin
        .submit(
            &page.html,
            &format!("/app/webhooks/{id}/redeliver"),
            &[("event", &first)],
        )
        .await;
    let shown = follow(&mut admin, &again).await;
    assert!(shown.html.contains("Sent again."), "{}", shown.html);
    assert!(shown.html.contains("Delivered"), "{}", shown.html);
    let (_, log) = app
        .get(&format!("/v2/webhooks/{id}/deliveries?status=pending"))
        .await;
    assert_eq!(log["data"], json!([]), "nothing left pending");

    // A 410 fails the delivery and disables the webhook; enabled again, recovery resends it.
    rx.set_default(Behavior::Answer(410, vec![]));
    let third = app
        .post(&format!("/v2/webhooks/{id}/test"), json!({}))
        .await
        .1["event"]
        .as_str()
        .unwrap()
        .to_string();
    let mut disabled = false;
    for _ in 0..200 {
        if webhook(&app, &id).await["status"] == "disabled" {
            disabled = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    assert!(disabled);
    let page = admin.open(&here).await;
    assert!(
        page.html.contains("The endpoint answered 410 Gone."),
        "{}",
        page.html
    );
    assert!(
        !page.html.contains("Recover failed deliveries"),
        "enable first"
    );
    let settings = admin.open(&format!("/app/webhooks/{id}")).await;
    let on = admin
        .submit(&settings.html, &format!("/app/webhooks/{id}/enable"), &[])
        .await;
    assert_eq!(on.status, 303);
    rx.set_default(Behavior::Answer(200, vec![]));
    let n = rx.count();
    let page = admin.open(&here).await;
    let recovered = admin
        .submit(
            &page.html,
            &format!("/app/webhooks/{id}/recover"),
            &[("since", "2000-01-01T00:00")],
        )
        .await;
    assert_eq!(recovered.status, 303, "{}", recovered.html);
    assert!(
        recovered.location.as_deref().unwrap().contains("n=1"),
        "{:?}",
        recovered.location
    );
    let after = follow(&mut admin, &recovered).await;
    assert!(after.html.contains("1 failed deliveries queued again."));
    let got = rx.wait_for(n + 1, 10).await;
    let body: Value = serde_json::from_slice(&got[n].body).unwrap();
    assert_eq!(body["id"], third.as_str());
    // A bad time is refused on the page.
    let bad = admin
        .submit(
            &page.html,
            &format!("/app/webhooks/{id}/recover"),
            &[("since", "yesterday")],
        )
        .await;
    assert_eq!(bad.status, 422);
    assert!(bad.html.contains("Give the time to recover from."));
    app.finish().await;
}
on_both!(the_delivery_log_shows_health_filters_redelivers_and_recovers);

/// One server-sent event as a client reads it.
#[derive(Debug, Clone, PartialEq)]
struct Sent {
    id: String,
    event: String,
    data: String,
}

/// A connection to `GET /v2/events/stream`, read frame by frame.
struct Stream {
    res: reqwest::Response,
    buf: String,
}

impl Stream {
    async fn open(app: &TestApp, key: &str, query: &str, last: Option<&str>) -> (u16, Stream) {
        let mut req = reqwest::Client::new()
            .get(format!("{}/v2/events/stream{query}", app.base))
            .header("API-Key", key);
        if let Some(id) = last {
            req = req.header("Last-Event-ID", id);
        }
        let res = req.send().await.unwrap();
        let status = res.status().as_u16();
        (
            status,
            Stream {
                res,
                buf: String::new(),
            },
        )
    }

    /// The next event (comments, the keep-alives, are skipped), waiting up to 10 s.
    async fn next(&mut self) -> Sent {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        loop {
            while let Some(end) = self.buf.find("\n\n") {
                let frame: String = self.buf.drain(..end + 2).collect();
                let mut sent = Sent {
                    id: String::new(),
                    event: String::new(),
                    data: String::new(),
                };
                for line in frame.lines() {
                    match line.split_once(':') {
                        Some(("id", v)) => sent.id = v.trim_start().to_string(),
                        Some(("event", v)) => sent.event = v.trim_start().to_string(),
                        Some(("data", v)) => sent.data.push_str(v.trim_start()),
                        _ => {}
                    }
                }
                if !sent.id.is_empty() {
                    return sent;
                }
            }
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            let chunk = tokio::time::timeout(left, self.res.chunk())
                .await
                .expect("an event within 10 s")
                .unwrap()
                .expect("the stream stays open");
            self.buf.push_str(&String::from_utf8_lossy(&chunk));
        }
    }
}

async fn test_event(app: &TestApp, hook: &str) -> String {
    let (s, t) = app
        .post(&format!("/v2/webhooks/{hook}/test"), json!({}))
        .await;
    assert_eq!(s, 200, "{t}");
    t["event"].as_str().unwrap().to_string()
}

/// The event stream resumes from `Last-Event-ID` after a disconnect with nothing lost or
/// repeated, while events keep being written; each event's data is its envelope as the log
/// keeps it; another account's events never show; a bad cursor is refused.
async fn the_event_stream_resumes_from_its_cursor(backend: common::Backend) {
    let opts = common::Options {
        // Events without deliveries going out: this test reads the log, not webhooks.
        role: slotline::config::Role::Api,
        ..common::Options::default()
    };
    let Some(app) = TestApp::spawn_with(backend, opts).await else {
        return;
    };
    let (_, w) = app
        .post(
            "/v2/webhooks",
            json!({"name": "Stream", "url": "https://hooks.example/h", "events": ["booking"]}),
        )
        .await;
    let hook = w["id"].as_str().unwrap().to_string();
    let key = app.key.clone();
    let (status, mut stream) = Stream::open(&app, &key, "", None).await;
    assert_eq!(status, 200);
    assert_eq!(
        stream.res.headers()["content-type"],
        "text/event-stream",
        "server-sent events"
    );
    // Another account writes events too: they never reach this stream.
    let other = app.other_account_key().await;

    // A writer keeps making events while the reader disconnects and comes back.
    const N: usize = 40;
    let writer = {
        let base = app.base.clone();
        let key = key.clone();
        let other = other.clone();
        let hook = hook.clone();
        tokio::spawn(async move {
            let http = reqwest::Client::new();
            let mut made = Vec::new();
            for i in 0..N {
                let t: Value = http
                    .post(format!("{base}/v2/webhooks/{hook}/test"))
                    .header("API-Key", &key)
                    .json(&json!({}))
                    .send()
                    .await
                    .unwrap()
                    .json()
                    .await
                    .unwrap();
                made.push(t["event"].as_str().unwrap().to_string());
                if i % 10 == 0 {
                    // The other account's event, to be ignored.
                    let _ = http
                        .get(format!("{base}/v2/events"))
                        .header("API-Key", &other)
                        .send()
                        .await;
                }
                tokio::time::sleep(std::time::Duration::from_millis(15)).await;
            }
            made
        })
    };
    let mut got: Vec<Sent> = Vec::new();
    for _ in 0..12 {
        got.push(stream.next().await);
    }
    // Gone for a while; events keep coming meanwhile.
    drop(stream);
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    let last = got.last().unwrap().id.clone();
    let (status, mut stream) = Stream::open(&app, &key, "", Some(&last)).await;
    assert_eq!(status, 200);
    while got.len() < N {
        got.push(stream.next().await);
    }
    let made = writer.await.unwrap();
    let ids: Vec<&str> = got.iter().map(|s| s.id.as_str()).collect();
    assert_eq!(ids, made, "every event once, in the order written");
    for s in &got {
        assert_eq!(s.event, "webhook.test");
        let (_, logged) = app.get(&format!("/v2/events/{}", s.id)).await;
        assert_eq!(
            serde_json::from_str::<Value>(&s.data).unwrap(),
            logged,
            "the envelope as the log keeps it"
        );
    }

    // `after` in the query does the same as the header; the other account sees none of these.
    let first = made[N - 3].clone();
    let (_, mut again) = Stream::open(&app, &key, &format!("?after={first}"), None).await;
    assert_eq!(again.next().await.id, made[N - 2]);
    assert_eq!(again.next().await.id, made[N - 1]);
    let (status, _) = Stream::open(&app, &other, "", Some(&made[0])).await;
    assert_eq!(status, 400, "another account's event is no cursor here");

    // A type filter: only what was asked for.
    let (_, mut only) = Stream::open(&app, &key, "?type=booking.canceled", None).await;
    test_event(&app, &hook).await;
    let b = book(
        &app,
        &app.owner_user_id,
        "2025-06-16T16:00:00Z",
        "Sam Stream",
        "sam@guest.example",
    )
    .await;
    let id = b["id"].as_str().unwrap();
    let (s, _) = app
        .post(&format!("/v2/bookings/{id}/cancel"), json!({}))
        .await;
    assert_eq!(s, 200);
    let canceled = only.next().await;
    assert_eq!(canceled.event, "booking.canceled");
    let data: Value = serde_json::from_str(&canceled.data).unwrap();
    assert_eq!(data["data"]["id"], id);
    let bad = reqwest::Client::new()
        .get(format!("{}/v2/events/stream", app.base))
        .header("API-Key", &key)
        .header("Last-Event-ID", "not-an-event")
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 400);
    let body: Value = bad.json().await.unwrap();
    assert_eq!(body["param"], "Last-Event-ID");
    let (s, e) = app.get("/v2/events/stream?type=booking.sold").await;
    assert_eq!((s, &e["param"]), (400, &json!("type")));
    drop(only.res);
    app.finish().await;
}
on_both!(the_event_stream_resumes_from_its_cursor);

/// The event log: filters by type, booking, contact and time; an event's page shows its body
/// byte for byte as delivered and what each receiver answered. Members see none of it.
async fn the_event_log_filters_and_shows_where_each_event_went(backend: common::Backend) {
    let Some(app) = TestApp::spawn_with(backend, dev()).await else {
        return;
    };
    let rx = Receiver::start().await;
    rx.set_default(Behavior::Answer(
        202,
        vec![("x-receiver", "warehouse".into())],
    ));
    let (_, w) = app
        .post(
            "/v2/webhooks",
            json!({"name": "Warehouse", "url": rx.url, "events": ["booking"]}),
        )
        .await;
    assert!(w["id"].is_string());
    let ann = book(
        &app,
        &app.owner_user_id,
        "2025-06-16T16:00:00Z",
        "Ann Guest",
        "ann@guest.example",
    )
    .await;
    let bo = book(
        &app,
        &app.owner_user_id,
        "2025-06-17T16:00:00Z",
        "Bo Guest",
        "bo@guest.example",
    )
    .await;
    let (ann_id, bo_id) = (ann["id"].as_str().unwrap(), bo["id"].as_str().unwrap());
    app.post(&format!("/v2/bookings/{bo_id}/cancel"), json!({}))
        .await;
    rx.wait_for(3, 10).await;
    let mut admin = owner(&app).await;

    let all = admin.open("/app/events").await;
    assert_eq!(all.status, 200, "{}", all.html);
    assert_eq!(all.html.matches("booking.scheduled</code></td>").count(), 2);
    let canceled = admin.open("/app/events?type=booking.canceled").await;
    assert_eq!(
        canceled.html.matches("<code>booking.").count(),
        1,
        "{}",
        canceled.html
    );
    let of_ann = admin.open(&format!("/app/events?booking={ann_id}")).await;
    assert!(of_ann.html.contains(ann_id) && !of_ann.html.contains(bo_id));
    // By contact: Bo's scheduled and canceled events, not Ann's.
    let (_, bo_now) = app
        .get(&format!("/v2/bookings/{bo_id}?expand=contact"))
        .await;
    let contact = bo_now["contact"]["id"]
        .as_str()
        .or_else(|| bo_now["contact"].as_str())
        .unwrap()
        .to_string();
    let (_, api) = app.get(&format!("/v2/events?contact={contact}")).await;
    assert_eq!(api["data"].as_array().unwrap().len(), 2, "{api}");
    let of_bo = admin.open(&format!("/app/events?contact={contact}")).await;
    assert!(of_bo.html.contains(bo_id) && !of_bo.html.contains(ann_id));
    let none = admin.open("/app/events?from=2999-01-01T00:00").await;
    assert!(none.html.contains("No events match."));
    let bad = admin.open("/app/events?booking=nonsense").await;
    assert_eq!(bad.status, 422);
    assert!(
        bad.html.contains("No such booking: &#x27;nonsense&#x27;")
            || bad.html.contains("No such booking: 'nonsense'"),
        "{}",
        bad.html
    );

    // One event: the body exactly as delivered, and the receiver's answer.
    let (_, logged) = app.get(&format!("/v2/events?booking={ann_id}")).await;
    let event = logged["data"][0]["id"].as_str().unwrap().to_string();
    let raw = rx
        .all()
        .into_iter()
        .find(|r| r.headers["webhook-id"] == event)
        .unwrap()
        .body;
    let page = admin.open(&format!("/app/events/{event}")).await;
    assert_eq!(page.status, 200);
    let at = page.html.find("<pre id=\"body\"").unwrap();
    let pre = &page.html[at..];
    let pre = &pre[pre.find('>').unwrap() + 1..pre.find("</pre>").unwrap()];
    assert_eq!(
        common::guest::unescape(pre),
        String::from_utf8(raw).unwrap(),
        "byte for byte"
    );
    assert!(page.html.contains("Warehouse"), "where it went");
    assert!(page.html.contains("202") && page.html.contains("x-receiver: warehouse"));
    assert_eq!(admin.open("/app/events/EVNT-NOSUCH00000").await.status, 404);
    let live = admin.open("/app/events/live").await;
    assert!(live
        .html
        .contains("data-stream=\"/app/events/live/stream\""));

    let (_, mut mia) = member(&app, "mia@test.example", "Member").await;
    for path in [
        "/app/events".to_string(),
        format!("/app/events/{event}"),
        "/app/events/live".to_string(),
        "/app/events/live/stream".to_string(),
    ] {
        assert_eq!(mia.open(&path).await.status, 403, "{path}");
    }
    app.finish().await;
}
on_both!(the_event_log_filters_and_shows_where_each_event_went);
