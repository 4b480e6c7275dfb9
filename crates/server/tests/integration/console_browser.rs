//! The integrators' console in a real headless Chromium: rotating a webhook's secret while
//! events keep flowing to a receiver that verifies every request with the secret it holds and
//! switches to the new one part way; replaying a failed delivery from the delivery log; and
//! the live view receiving a booking a guest makes on a public page. Every console page visited
//! is checked with axe-core; screenshots go to `target/e2e-screenshots/console/`.

use std::sync::{
    atomic::{AtomicBool, Ordering},
    Arc, Mutex,
};

use serde_json::{json, Value};

use crate::common::{
    self,
    chrome::Browser,
    guest::{form_fields, slot_links, Guest},
    receiver::{Behavior, Receiver},
    Options, TestApp,
};

const PASSWORD: &str = "blue kettle morning";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_integrator_works_in_the_console_in_a_browser() {
    let Some(app) = TestApp::spawn_with(
        common::Backend::Sqlite,
        Options {
            allow_http_webhooks: true,
            webhook_timeout_secs: 2,
            ..Options::default()
        },
    )
    .await
    else {
        return;
    };
    let Some(mut browser) = Browser::start("console").await else {
        return;
    };
    let owner_id = slotline_domain::id::UserId::parse(app.owner_user_id.clone()).unwrap();
    let phc = slotline::services::sign_in::hash_password(PASSWORD)
        .await
        .unwrap();
    slotline::store::passwords::set(&app.db, &owner_id, &phc, app.clock_now())
        .await
        .unwrap();
    let (_, me) = app.get(&format!("/v2/users/{}", app.owner_user_id)).await;
    let base = app.base.clone();
    browser.open(&format!("{base}/app"), "#email").await;
    browser.fill("#email", me["email"].as_str().unwrap()).await;
    browser.fill("#password", PASSWORD).await;
    browser.click("button[type=submit]").await;
    browser.wait_for_path("/app/bookings").await;

    // A webhook made in the console.
    let rx = Receiver::start().await;
    browser.open(&format!("{base}/app/webhooks"), "#new").await;
    browser.check_accessibility("webhooks").await;
    browser.fill("#name", "Warehouse sync").await;
    browser.fill("#url", &rx.url).await;
    browser
        .click("form[action='/app/webhooks/new'] button[type=submit]")
        .await;
    browser.css("div.notice").await;
    browser.check_accessibility("a webhook").await;
    browser.shot("webhook-made").await;
    let (_, list) = app.get("/v2/webhooks").await;
    let hook = list["data"][0].clone();
    let id = hook["id"].as_str().unwrap().to_string();
    let old = hook["secret"].as_str().unwrap().to_string();

    // The receiver verifies each request with the secret it holds, as it arrives.
    let held = Arc::new(Mutex::new(old.clone()));
    let checked = Arc::new(Mutex::new(Vec::<(String, bool)>::new()));
    let stop = Arc::new(AtomicBool::new(false));
    let verifier = {
        let (rx, held, checked, stop) = (rx.clone(), held.clone(), checked.clone(), stop.clone());
        tokio::spawn(async move {
            let mut seen = 0;
            while !stop.load(Ordering::Relaxed) || seen < rx.count() {
                for r in rx.all().iter().skip(seen) {
                    let secret = held.lock().unwrap().clone();
                    let headers = slotline_webhook::Headers::from_lookup(|k| {
                        r.headers.get(k).map(String::as_str)
                    });
                    // The test server's clock is its own: judge the signature, not the time.
                    let t: i64 = r.headers["webhook-timestamp"].parse().unwrap();
                    let ok = slotline_webhook::verify(&secret, &headers, &r.body, t, 300).is_ok();
                    checked.lock().unwrap().push((secret, ok));
                    seen += 1;
                }
                tokio::time::sleep(std::time::Duration::from_millis(5)).await;
            }
        })
    };
    // Events keep coming while the secret is rotated.
    let writer = {
        let (base, key, id, stop) = (app.base.clone(), app.key.clone(), id.clone(), stop.clone());
        tokio::spawn(async move {
            let http = reqwest::Client::new();
            let mut n = 0;
            while !stop.load(Ordering::Relaxed) {
                let s = http
                    .post(format!("{base}/v2/webhooks/{id}/test"))
                    .header("API-Key", &key)
                    .json(&json!({}))
                    .send()
                    .await
                    .unwrap()
                    .status();
                assert_eq!(s, 200);
                n += 1;
                tokio::time::sleep(std::time::Duration::from_millis(40)).await;
            }
            n
        })
    };
    rx.wait_for(3, 10).await;
    browser
        .click("form[action$='/rotate'] button[type=submit]")
        .await;
    let field = browser.css("#secret").await;
    let new = field.prop("value").await.unwrap().unwrap();
    assert_ne!(new, old);
    browser.check_accessibility("rotated").await;
    browser.shot("secret-rotated").await;
    let before_switch = rx.count();
    rx.wait_for(before_switch + 3, 10).await;
    // The receiver switches to the new secret a little later; events keep verifying.
    *held.lock().unwrap() = new.clone();
    let after_switch = rx.count();
    rx.wait_for(after_switch + 3, 10).await;
    stop.store(true, Ordering::Relaxed);
    let written = writer.await.unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    verifier.await.unwrap();
    let checked = checked.lock().unwrap().clone();
    assert!(checked.len() >= 9, "{} requests", checked.len());
    assert!(
        checked.iter().all(|(_, ok)| *ok),
        "every request verified with the secret the receiver held: {checked:?}"
    );
    assert!(checked.iter().any(|(s, _)| *s == old) && checked.iter().any(|(s, _)| *s == new));
    assert!(written >= 9);

    // A delivery fails; it is replayed from the log.
    rx.script([Behavior::Answer(500, vec![])]);
    let n = rx.count();
    let (_, t) = app
        .post(&format!("/v2/webhooks/{id}/test"), json!({}))
        .await;
    let failed = t["event"].as_str().unwrap().to_string();
    rx.wait_for(n + 1, 10).await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    browser
        .open(
            &format!("{base}/app/webhooks/{id}/deliveries?status=pending"),
            "#log",
        )
        .await;
    browser.check_accessibility("deliveries").await;
    browser.shot("failed-delivery").await;
    browser
        .click(&format!("button[aria-label='Redeliver {failed}']"))
        .await;
    browser
        .wait_for_path(&format!("/app/webhooks/{id}/events/{failed}"))
        .await;
    let status = browser
        .css("div[role=status] strong")
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(status, "Delivered");
    browser.check_accessibility("a delivery").await;
    browser.shot("replayed").await;

    // The live view receives a booking a guest makes on a public page.
    app.post(
        "/v2/booking-calendars",
        json!({"host": app.owner_user_id, "name": "Live call", "slug": "live-call",
               "settings": {"minimum_notice_minutes": 0}}),
    )
    .await;
    browser
        .open(&format!("{base}/app/events/live"), "#live")
        .await;
    for _ in 0..100 {
        let s = browser.css("#live-state").await.text().await.unwrap();
        if s.starts_with("Connected") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    browser.check_accessibility("live").await;
    let guest = Guest::new(&base);
    let page = guest.open("/c/live-call").await;
    let slot = slot_links(&page.html).remove(0);
    let form = guest.open(&slot).await;
    let mut fields = form_fields(&form.html, "/c/live-call");
    fields.retain(|(k, _)| k != "name" && k != "email");
    fields.push(("name".into(), "Lia Live".into()));
    fields.push(("email".into(), "lia@guest.example".into()));
    let booked = guest.post("/c/live-call", &fields).await;
    assert!(
        booked.status.is_success() || booked.status.is_redirection(),
        "{}",
        booked.html
    );
    let (_, bookings) = app.get("/v2/bookings?limit=1").await;
    let booking = bookings["data"][0]["id"].as_str().unwrap().to_string();
    let (_, logged) = app.get(&format!("/v2/events?booking={booking}")).await;
    let event = logged["data"][0]["id"].as_str().unwrap().to_string();
    let row = browser
        .css(&format!("#live tr[data-event='{event}']"))
        .await;
    assert!(row.text().await.unwrap().contains("booking.scheduled"));
    browser.shot("live-view").await;

    // The event's own page: its body as delivered, and where it went.
    browser
        .click(&format!("#live a[href='/app/events/{event}']"))
        .await;
    let body = browser.css("#body").await.text().await.unwrap();
    let delivered: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(delivered, logged["data"][0]);
    browser.check_accessibility("an event").await;
    browser.shot("event").await;
    browser
        .open(&format!("{base}/app/events"), "table.list")
        .await;
    browser.check_accessibility("event log").await;
    browser.shot("event-log").await;
    browser.stop().await;
    app.finish().await;
}
