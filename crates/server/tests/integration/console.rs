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
use crate::hosts_app::{member, owner};

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
