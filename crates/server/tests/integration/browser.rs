//! End to end in a real headless Chromium (Debian's `chromium` and `chromium-driver`): a
//! partner website on another origin embeds Slotline pages with `embed.js`; the guest books,
//! moves and cancels as a person would, and the test checks what the partner page heard (every
//! postMessage and DOM event, with payloads), where the top window went (the redirect with the
//! booking data), the signed webhooks, and prefill with skip. A screenshot of each step is kept
//! in `target/e2e-screenshots/` (CI keeps the folder as an artifact).
//!
//! Without Chromium the test is skipped, except under CI (`CI` set), where it fails.

use crate::common;

use std::{path::PathBuf, time::Duration};

use axum::{extract::State, response::Html, routing::get, Router};
use common::{chrome::Browser, receiver::Receiver, Options, TestApp};
use fantoccini::Locator;
use serde_json::{json, Value};

/// The partner website: its own origin (`localhost`, where Slotline is `127.0.0.1`). Every
/// page keeps what it hears in sessionStorage so that it survives the redirect.
struct Partner {
    base: String,
}

const RECORDER: &str = r#"<script>
  var log = JSON.parse(sessionStorage.getItem("log") || "[]");
  function keep(x) { log.push(x); sessionStorage.setItem("log", JSON.stringify(log)); }
  window.addEventListener("message", function (e) {
    if (e.data && typeof e.data.type === "string" && e.data.type.indexOf("oncehub.") === 0) {
      keep({ via: "message", origin: e.origin, type: e.data.type, payload: e.data.payload });
    }
  });
  ["oncehub.booking_calendar.loaded", "oncehub.booking_calendar.time_slot_selected", "oncehub.booking.scheduled"].forEach(function (t) {
    document.addEventListener(t, function (e) { keep({ via: "dom", type: t, payload: e.detail }); });
  });
  window.SOAfterConfirmationFunction = function (data) { keep({ via: "so", payload: data }); };
</script>"#;

async fn partner(slotline: &str, calendar: &str, classic: &str) -> Partner {
    let pages = std::sync::Arc::new((
        slotline.to_string(),
        calendar.to_string(),
        classic.to_string(),
    ));
    type P = std::sync::Arc<(String, String, String)>;
    let inline = |State(p): State<P>| async move {
        Html(format!(
            "<!doctype html><html><head><title>Partner</title></head><body><h1>Partner site</h1>{RECORDER}\
             <div id=\"booking\" data-oh-booking-calendar-id=\"{}\" data-slotline-params=\"name=Eve%20Embed&amp;email=eve%40example.com\"></div>\
             <script src=\"{}/embed.js\" async></script></body></html>",
            p.1, p.0
        ))
    };
    let classic = |State(p): State<P>| async move {
        Html(format!(
            "<!doctype html><html><head><title>Partner classic</title></head><body><h1>Classic embed</h1>{RECORDER}\
             <div id=\"SOIDIV_{0}\" data-so-page=\"{0}\" data-so-qry-prm=\"name=Cleo%20Classic&amp;email=cleo%40example.com\"></div>\
             <script src=\"{1}/embed.js\"></script></body></html>",
            p.2, p.0
        ))
    };
    let lightbox = |State(p): State<P>| async move {
        Html(format!(
            "<!doctype html><html><head><title>Partner lightbox</title></head><body>{RECORDER}\
             <button id=\"open\" data-oh-lightbox-bkc-id=\"{}\">Book a meeting</button><script src=\"{}/embed.js\"></script></body></html>",
            p.1, p.0
        ))
    };
    let thanks = || async {
        Html("<!doctype html><html><head><title>Thanks</title></head><body><h1>Thanks from the partner</h1></body></html>")
    };
    // The repository's integration examples, pointed at this Slotline instead of the demo's.
    let example = |State(p): State<P>, axum::extract::Path(name): axum::extract::Path<String>| async move {
        let file = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../../examples/web")
            .join(name.replace('/', ""));
        Html(
            std::fs::read_to_string(file)
                .unwrap()
                .replace("http://127.0.0.1:8080", &p.0),
        )
    };
    // A page of the partner's site with the chat widget (its audience covers /pricing and /offer).
    let chat_page = |State(p): State<P>,
                     axum::extract::Query(q): axum::extract::Query<
        std::collections::HashMap<String, String>,
    >| async move {
        let website = q.get("website").cloned().unwrap_or_default();
        Html(format!(
            "<!doctype html><html><head><title>Pricing</title></head><body><h1>Pricing</h1>{RECORDER}\
             <script>[\"loaded\",\"opened\",\"started\",\"closed\",\"button_clicked\"].forEach(function (t) {{\
               document.addEventListener(\"oncehub.chatbot.\" + t, function (e) {{ keep({{ via: \"dom\", type: \"oncehub.chatbot.\" + t, payload: e.detail }}); }});\
             }});</script>\
             <script src=\"{}/widget.js?website_id={}\" defer></script></body></html>",
            p.0, website
        ))
    };
    let app = Router::new()
        .route("/", get(inline))
        .route("/pricing", get(chat_page))
        .route("/offer", get(chat_page))
        .route("/classic", get(classic))
        .route("/lightbox", get(lightbox))
        .route("/thanks", get(thanks))
        .route("/examples/{name}", get(example))
        .with_state(pages);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    Partner {
        base: format!("http://localhost:{port}"),
    }
}

fn of_type<'a>(log: &'a [Value], via: &str, kind: &str) -> Vec<&'a Value> {
    log.iter()
        .filter(|e| e["via"] == via && (kind.is_empty() || e["type"] == kind))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_guest_books_moves_and_cancels_in_a_real_browser() {
    let Some(mut browser) = Browser::start("calendar").await else {
        return;
    };
    let Some(app) = TestApp::spawn_with(
        common::Backend::Sqlite,
        Options {
            allow_http_webhooks: true,
            ..Options::default()
        },
    )
    .await
    else {
        return;
    };
    let hooks = Receiver::start().await;
    let (_, webhook) = app
        .post(
            "/v2/webhooks",
            json!({"name": "crm", "url": hooks.url, "events": ["booking"]}),
        )
        .await;
    let secret = webhook["secret"].as_str().unwrap().to_string();
    let (_, cal) = app
        .post(
            "/v2/booking-calendars",
            json!({"host": app.owner_user_id, "name": "Olive", "subject": "Meet Olive", "slug": "olive",
                   "settings": {"minimum_notice_minutes": 0, "standard_fields": [{"name": "company"}]}}),
        )
        .await;
    let cal = cal["id"].as_str().unwrap().to_string();
    let site = partner(&app.base, &cal, "").await;
    let (s, _) = app
        .patch(
            &format!("/v2/booking-calendars/{cal}/settings"),
            json!({"embed_origins": [site.base], "redirect": {"url": format!("{}/thanks", site.base), "send_booking_data": true, "pass_utm": true}}),
        )
        .await;
    assert_eq!(s, 200);

    // The partner page with source tags; the calendar loads inside it, in the guest's zone.
    browser
        .client
        .goto(&format!(
            "{}/?utm_source=partner&utm_campaign=e2e",
            site.base
        ))
        .await
        .unwrap();
    browser
        .enter_booking_frame("select[name=iana_time_zone]")
        .await;
    let zone = browser
        .css("select[name=iana_time_zone]")
        .await
        .prop("value")
        .await
        .unwrap();
    let zone = if zone.as_deref() != Some("Europe/Paris") {
        // The first load reloads itself with the browser's zone.
        tokio::time::sleep(Duration::from_millis(500)).await;
        browser
            .css("select[name=iana_time_zone]")
            .await
            .prop("value")
            .await
            .unwrap()
    } else {
        zone
    };
    assert_eq!(
        zone.as_deref(),
        Some("Europe/Paris"),
        "the guest's own time zone is detected"
    );
    let first = browser.css("a.slot").await;
    assert_eq!(
        first.text().await.unwrap(),
        "16:00",
        "Monday 09:00 in Chicago shown as 16:00 in Paris"
    );
    browser.shot("times-in-the-embed").await;
    first.click().await.unwrap();

    let name = browser.css("input[name=name]").await;
    assert_eq!(
        name.prop("value").await.unwrap().as_deref(),
        Some("Eve Embed"),
        "prefilled from the embed's data-slotline-params"
    );
    browser
        .css("input[name=company]")
        .await
        .send_keys("Embedded & Co <b>")
        .await
        .unwrap();
    browser.shot("form").await;
    browser
        .css("button[type=submit]")
        .await
        .click()
        .await
        .unwrap();

    // The top window goes to the partner's page with the booking data.
    let thanks = browser.wait_for_path("/thanks").await;
    browser.client.goto(thanks.as_str()).await.unwrap(); // back to the top-level context
    browser.shot("partner-confirmation-page").await;
    let params: Vec<(String, String)> = thanks.query_pairs().into_owned().collect();
    let get = |k: &str| params.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    assert_eq!(get("booking_calendar"), Some(cal.as_str()));
    assert_eq!(get("starting_time"), Some("2025-06-16T14:00:00.000Z"));
    assert_eq!(get("customer_timezone"), Some("Europe/Paris"));
    assert_eq!(get("name"), Some("Eve Embed"));
    assert_eq!(get("email"), Some("eve@example.com"));
    assert_eq!(get("company"), Some("Embedded & Co <b>"));
    assert_eq!(get("status"), Some("scheduled"));
    assert_eq!(
        get("utm_source"),
        Some("partner"),
        "the parent page's tags, passed on"
    );
    let booking_id = get("id").unwrap().to_string();

    // What the partner page heard, in order, from Slotline's origin only.
    let log: Vec<Value> = serde_json::from_value(
        browser
            .js("return JSON.parse(sessionStorage.getItem('log') || '[]');")
            .await,
    )
    .unwrap();
    let messages = of_type(&log, "message", "");
    let types: Vec<&str> = messages
        .iter()
        .map(|m| m["type"].as_str().unwrap())
        .collect();
    assert_eq!(
        types,
        [
            "oncehub.booking_calendar.loaded",
            "oncehub.booking_calendar.time_slot_selected",
            "oncehub.booking.scheduled"
        ],
        "{log:?}"
    );
    assert!(messages.iter().all(|m| m["origin"] == app.base.as_str()));
    let loaded = &messages[0]["payload"];
    assert_eq!(
        (
            loaded["id"].as_str(),
            loaded["name"].as_str(),
            loaded["duration_minutes"].as_i64()
        ),
        (Some(cal.as_str()), Some("Olive"), Some(30))
    );
    assert_eq!(loaded["host"], app.owner_user_id.as_str());
    assert_eq!(loaded["url"], format!("{}/c/olive", app.base));
    let selected = &messages[1]["payload"];
    assert_eq!(selected["starting_time"], "2025-06-16T14:00:00.000Z");
    assert_eq!(selected["customer_timezone"], "Europe/Paris");
    let scheduled = &messages[2]["payload"];
    assert_eq!(scheduled["id"], booking_id.as_str());
    assert_eq!(scheduled["status"], "scheduled");
    assert_eq!(scheduled["subject"], "Meet Olive");
    assert_eq!(scheduled["booking_calendar"], cal.as_str());
    assert_eq!(scheduled["utm_source"], "partner");
    assert_eq!(scheduled["utm_campaign"], "e2e");
    assert_eq!(
        scheduled["utm_params"],
        json!({"source": "partner", "medium": null, "campaign": "e2e", "term": null, "content": null})
    );
    assert!(scheduled["custom_fields"]
        .as_array()
        .unwrap()
        .contains(&json!({"name": "company", "value": "Embedded & Co <b>"})));
    let dom: Vec<&str> = of_type(&log, "dom", "")
        .iter()
        .map(|m| m["type"].as_str().unwrap())
        .collect();
    assert_eq!(
        dom, types,
        "each event is also a DOM CustomEvent on the embedding element"
    );

    // The webhook, signed.
    let got = hooks.wait_for(1, 10).await;
    let headers =
        slotline_webhook::Headers::from_lookup(|k| got[0].headers.get(k).map(String::as_str));
    slotline_webhook::verify(&secret, &headers, &got[0].body, app.clock_now() / 1000, 300)
        .expect("a valid signature");
    let event: Value = serde_json::from_slice(&got[0].body).unwrap();
    assert_eq!(
        (event["type"].as_str(), event["data"]["id"].as_str()),
        (Some("booking.scheduled"), Some(booking_id.as_str()))
    );

    // The guest's reschedule link, from the event: a new time, with a reason.
    let reschedule_url = scheduled["reschedule_url"].as_str().unwrap().to_string();
    browser.client.goto(&reschedule_url).await.unwrap();
    browser.css("div.notice").await;
    browser
        .client
        .find(Locator::LinkText("Reschedule"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    browser.css("a.slot").await;
    let later = browser
        .client
        .find_all(Locator::Css("a.slot"))
        .await
        .unwrap();
    later[1].click().await.unwrap();
    browser
        .css("textarea[name=reason]")
        .await
        .send_keys("Running late")
        .await
        .unwrap();
    browser.shot("reschedule").await;
    browser
        .css("button[type=submit]")
        .await
        .click()
        .await
        .unwrap();
    browser.css("div.notice").await;
    browser.shot("rescheduled").await;
    let got = hooks.wait_for(2, 10).await;
    let moved: Value = serde_json::from_slice(&got[1].body).unwrap();
    assert_eq!(moved["type"], "booking.rescheduled");
    assert_eq!(moved["data"]["rescheduled_booking_id"], booking_id.as_str());
    assert_eq!(moved["data"]["starting_time"], "2025-06-16T14:30:00.000Z");

    // And cancel it from its own page.
    browser
        .client
        .find(Locator::LinkText("Cancel"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    browser
        .css("textarea[name=reason]")
        .await
        .send_keys("Plans changed")
        .await
        .unwrap();
    browser.shot("cancel").await;
    browser.css("button.danger").await.click().await.unwrap();
    let done = browser.css("div.notice").await;
    assert_eq!(done.text().await.unwrap(), "This booking is cancelled.");
    browser.shot("cancelled").await;
    let got = hooks.wait_for(3, 10).await;
    let cancelled: Value = serde_json::from_slice(&got[2].body).unwrap();
    assert_eq!(cancelled["type"], "booking.canceled");
    assert_eq!(
        cancelled["data"]["cancel_reschedule_information"]["reason"],
        "Plans changed"
    );
    assert_eq!(
        cancelled["data"]["cancel_reschedule_information"]["actioned_by"],
        "customer"
    );

    // Prefill with skip, straight on the page: pick a time, then one button books.
    browser
        .client
        .goto(&format!(
            "{}/c/olive?name=Sam%20Skip&email=sam@example.com&skip=1&iana_time_zone=Europe/Paris",
            app.base
        ))
        .await
        .unwrap();
    browser.css("a.slot").await.click().await.unwrap();
    let summary = browser.css("form p").await.text().await.unwrap();
    assert_eq!(summary, "Booking for Sam Skip (sam@example.com)");
    assert!(
        browser
            .client
            .find(Locator::Css("input#f-name"))
            .await
            .is_err(),
        "the form is skipped"
    );
    browser.shot("skip").await;
    browser
        .css("button[type=submit]")
        .await
        .click()
        .await
        .unwrap();
    // Not embedded: the browser goes straight to the calendar's redirect page.
    let thanks = browser.wait_for_path("/thanks").await;
    assert!(thanks
        .query_pairs()
        .any(|(k, v)| k == "name" && v == "Sam Skip"));
    browser.shot("skip-redirected").await;

    browser.stop().await;
    app.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn classic_embed_calls_so_after_confirmation_and_lightbox_opens() {
    let Some(mut browser) = Browser::start("classic").await else {
        return;
    };
    let Some(app) = TestApp::spawn(common::Backend::Sqlite).await else {
        return;
    };
    let (_, et) = app
        .post("/v2/event-types", json!({"name": "Intro call"}))
        .await;
    let (s, _) = app
        .post(
            "/v2/booking-pages",
            json!({"owner": app.owner_user_id, "name": "Olive", "slug": "olive-classic", "timezone": "America/New_York",
                   "event_types": [et["id"]], "settings": {"minimum_notice_minutes": 0}}),
        )
        .await;
    assert_eq!(s, 200);
    let (_, cal) = app
        .post(
            "/v2/booking-calendars",
            json!({"host": app.owner_user_id, "name": "Olive", "slug": "olive", "settings": {"minimum_notice_minutes": 0}}),
        )
        .await;
    let site = partner(&app.base, cal["id"].as_str().unwrap(), "olive-classic").await;

    browser
        .client
        .goto(&format!("{}/classic", site.base))
        .await
        .unwrap();
    browser.enter_booking_frame("a.slot").await;
    tokio::time::sleep(Duration::from_millis(300)).await; // a reload with the browser's zone may follow
    browser.css("a.slot").await.click().await.unwrap();
    assert_eq!(
        browser
            .css("input[name=name]")
            .await
            .prop("value")
            .await
            .unwrap()
            .as_deref(),
        Some("Cleo Classic"),
        "data-so-qry-prm prefill"
    );
    browser.shot("classic-form").await;
    browser
        .css("button[type=submit]")
        .await
        .click()
        .await
        .unwrap();
    browser.css("div.notice").await;
    browser.shot("classic-confirmed-in-frame").await;
    browser.client.enter_parent_frame().await.unwrap();
    let mut so = Value::Null;
    for _ in 0..50 {
        let log: Vec<Value> = serde_json::from_value(
            browser
                .js("return JSON.parse(sessionStorage.getItem('log') || '[]');")
                .await,
        )
        .unwrap();
        if let Some(e) = log.iter().find(|e| e["via"] == "so") {
            so = e["payload"].clone();
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let info = &so["bookingInfo"];
    assert_eq!(so["errorStatus"], 0, "{so}");
    assert_eq!(info["CustomerName"], "Cleo Classic");
    assert_eq!(info["CustomerEmail"], "cleo@example.com");
    assert_eq!(info["EventTypeName"], "Intro call");
    assert_eq!(info["MeetingTimes"][0]["UTCTime"], "2025-06-16T14:00:00");
    assert_eq!(
        info["MeetingTimes"][0]["SOTime"], "2025-06-16T10:00:00",
        "the page's zone, New York"
    );
    assert_eq!(info["statusCode"], "1");

    // A lightbox opens on click, over the partner page, and closes with Escape.
    browser
        .client
        .goto(&format!("{}/lightbox", site.base))
        .await
        .unwrap();
    browser.css("#open").await.click().await.unwrap();
    browser.css("div[role=dialog] iframe").await;
    browser.enter_booking_frame("a.slot").await;
    browser.shot("lightbox").await;
    browser.client.enter_parent_frame().await.unwrap();
    browser
        .client
        .find(Locator::Css("div[role=dialog] button"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    assert!(
        browser
            .client
            .find(Locator::Css("div[role=dialog]"))
            .await
            .is_err(),
        "closed"
    );

    browser.stop().await;
    app.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_repository_examples_prefill_the_booking_page() {
    let Some(mut browser) = Browser::start("examples").await else {
        return;
    };
    let Some(app) = TestApp::spawn(common::Backend::Sqlite).await else {
        return;
    };
    let (s, _) = app
        .post(
            "/v2/booking-calendars",
            json!({"host": app.owner_user_id, "name": "Sales", "slug": "sales", "settings": {"minimum_notice_minutes": 0, "standard_fields": [{"name": "company"}]}}),
        )
        .await;
    assert_eq!(s, 200);
    let site = partner(&app.base, "", "").await;

    // Web form integration: the site's own form opens the booking page prefilled.
    browser
        .client
        .goto(&format!("{}/examples/web-form.html", site.base))
        .await
        .unwrap();
    browser
        .css("input[name=name]")
        .await
        .send_keys("Wendy Form")
        .await
        .unwrap();
    browser
        .css("input[name=email]")
        .await
        .send_keys("wendy@example.com")
        .await
        .unwrap();
    browser
        .css("input[name=company]")
        .await
        .send_keys("Formworks")
        .await
        .unwrap();
    browser.shot("web-form").await;
    browser
        .css("button[type=submit]")
        .await
        .click()
        .await
        .unwrap();
    browser.css("a.slot").await;
    tokio::time::sleep(Duration::from_millis(300)).await; // a reload with the browser's zone may follow
    browser.css("a.slot").await.click().await.unwrap();
    assert_eq!(
        browser
            .css("input[name=name]")
            .await
            .prop("value")
            .await
            .unwrap()
            .as_deref(),
        Some("Wendy Form")
    );
    assert_eq!(
        browser
            .css("input[name=company]")
            .await
            .prop("value")
            .await
            .unwrap()
            .as_deref(),
        Some("Formworks")
    );
    browser.shot("web-form-prefilled").await;
    browser
        .css("button[type=submit]")
        .await
        .click()
        .await
        .unwrap();
    browser.css("div.notice").await;
    let (_, list) = app.get("/v2/bookings").await;
    assert_eq!(list["data"][0]["utm_params"]["medium"], "lead-form");
    assert_eq!(list["data"][0]["form_submission"]["company"], "Formworks");

    // Login integration: the floating button opens the page in a lightbox, the signed-in user
    // skips the form, and the page hears the booking as a DOM event.
    browser
        .client
        .goto(&format!("{}/examples/login-integration.html", site.base))
        .await
        .unwrap();
    browser
        .css("#slotline-floating")
        .await
        .click()
        .await
        .unwrap();
    browser.enter_booking_frame("a.slot").await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    browser.css("a.slot").await.click().await.unwrap();
    assert_eq!(
        browser.css("form p").await.text().await.unwrap(),
        "Booking for Lena Login (lena@example.com)"
    );
    browser.shot("login-skip").await;
    browser
        .css("button[type=submit]")
        .await
        .click()
        .await
        .unwrap();
    browser.css("div.notice").await;
    browser.client.enter_parent_frame().await.unwrap();
    let booked = browser
        .client
        .wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Css("#booked:not([hidden])"))
        .await
        .unwrap();
    assert!(
        booked.text().await.unwrap().starts_with("Booked: 2025-06-"),
        "the event reached the page"
    );
    browser.shot("login-booked").await;
    let (_, list) = app.get("/v2/bookings").await;
    assert_eq!(
        list["data"][0]["form_submission"]["email"],
        "lena@example.com"
    );

    browser.stop().await;
    app.finish().await;
}

async fn wait_for_events(app: &TestApp, kind: &str, n: usize) -> Vec<Value> {
    for _ in 0..200 {
        let rows: Vec<(String,)> =
            sqlx::query_as("SELECT payload FROM events WHERE type = $1 ORDER BY seq")
                .bind(kind)
                .fetch_all(&mut *app.db.reader().await.unwrap())
                .await
                .unwrap();
        if rows.len() >= n {
            return rows
                .into_iter()
                .map(|r| serde_json::from_str(&r.0).unwrap())
                .collect();
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("no {n} {kind} event(s)");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_visitor_chats_books_and_another_abandons() {
    let Some(mut browser) = Browser::start("chat").await else {
        return;
    };
    let opts = Options {
        allow_http_webhooks: true,
        sweep_ms: 50,
        ..Options::default()
    };
    let Some(app) = TestApp::spawn_with(common::Backend::Sqlite, opts).await else {
        return;
    };
    let hooks = Receiver::start().await;
    let (_, webhook) = app
        .post(
            "/v2/webhooks",
            json!({"name": "crm", "url": hooks.url, "events": ["conversation", "booking"]}),
        )
        .await;
    let secret = webhook["secret"].as_str().unwrap().to_string();
    let (_, cal) = app
        .post(
            "/v2/booking-calendars",
            json!({"host": app.owner_user_id, "name": "Demo", "slug": "demo", "settings": {"minimum_notice_minutes": 0}}),
        )
        .await;
    let flow = json!({"steps": [
        {"id": "hello", "type": "message", "text": "Hi! A few questions."},
        {"id": "name", "type": "question", "text": "Your name?", "maps_to": "name"},
        {"id": "email", "type": "question", "answer": "email", "text": "Your email?", "maps_to": "email"},
        {"id": "size", "type": "single_choice", "text": "Team size?", "options": ["Just me", "2 or more"], "maps_to": "company_size"},
        {"id": "book", "type": "schedule", "text": "Pick a time", "booking_calendar": cal["id"]},
        {"id": "bye", "type": "end", "text": "Thanks, talk soon!"}
    ]});
    let (_, bot) = app
        .post(
            "/v2/bots",
            json!({"name": "Sales bot", "owner": app.owner_user_id, "flow": flow}),
        )
        .await;
    let site = partner(&app.base, "", "").await;
    let (_, w) = app
        .post(
            "/v2/websites",
            json!({"name": "Partner", "url": format!("{}/", site.base)}),
        )
        .await;
    let website = w["id"].as_str().unwrap().to_string();
    app.post(
        "/v2/audiences",
        json!({"name": "Pricing", "website": website, "bot": bot["id"], "pages": ["/pricing"]}),
    )
    .await;
    app.post(
        "/v2/audiences",
        json!({"name": "Offer", "website": website, "bot": bot["id"], "pages": ["/offer"], "reach_out_after_seconds": 1}),
    )
    .await;

    // The visitor opens the chat and runs the flow to a booking.
    // The visitor came from a campaign: its tags follow the conversation, its events and booking.
    browser
        .client
        .goto(&format!(
            "{}/pricing?website={website}&utm_source=partner&utm_campaign=launch",
            site.base
        ))
        .await
        .unwrap();
    browser.enter_booking_frame("#launcher").await;
    browser.shot("launcher").await;
    browser.css("#launcher").await.click().await.unwrap();
    browser.answer("Vera Visitor").await;
    browser
        .client
        .wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::XPath("//p[text()='Your email?']"))
        .await
        .unwrap();
    browser.answer("vera@example.com").await;
    browser
        .client
        .wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::XPath("//button[text()='2 or more']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let time = browser.css("#input button.time").await;
    assert_eq!(
        time.text().await.unwrap(),
        "16:00",
        "times in the visitor's zone (Paris)"
    );
    browser.shot("chat-times").await;
    time.click().await.unwrap();
    browser
        .client
        .wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::XPath("//p[text()='Thanks, talk soon!']"))
        .await
        .unwrap();
    browser.shot("chat-booked").await;
    browser.css("#close").await.click().await.unwrap();
    browser.client.enter_parent_frame().await.unwrap();

    // What the partner page heard.
    let mut log: Vec<Value> = vec![];
    for _ in 0..50 {
        log = serde_json::from_value(
            browser
                .js("return JSON.parse(sessionStorage.getItem('log') || '[]');")
                .await,
        )
        .unwrap();
        if log.iter().any(|e| e["type"] == "oncehub.chatbot.closed") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let messages = of_type(&log, "message", "");
    let types: Vec<&str> = messages
        .iter()
        .map(|m| m["type"].as_str().unwrap())
        .collect();
    assert_eq!(
        types,
        [
            "oncehub.chatbot.loaded",
            "oncehub.chatbot.opened",
            "oncehub.chatbot.button_clicked",
            "oncehub.chatbot.started",
            "oncehub.chatbot.button_clicked",
            "oncehub.chatbot.button_clicked",
            "oncehub.chatbot.button_clicked",
            "oncehub.chatbot.closed"
        ],
        "{log:?}"
    );
    assert!(
        messages.iter().all(|m| m["origin"] == app.base.as_str()),
        "from Slotline's origin"
    );
    let bot_id = bot["id"].as_str().unwrap();
    let campaign = json!({"source": "partner", "campaign": "launch"});
    assert_eq!(
        messages[0]["payload"],
        json!({"bot_id": bot_id, "bot_name": "Sales bot", "utm_params": campaign})
    );
    let clicked = &messages[5]["payload"];
    assert_eq!(clicked["utm_params"], campaign);
    assert_eq!(clicked["button_text"], "2 or more");
    assert_eq!(clicked["interaction_label"], "single_choice");
    assert_eq!(clicked["question_text"], "Team size?");
    assert_eq!(clicked["answer"], "2 or more");
    assert_eq!(messages[6]["payload"]["interaction_label"], "schedule");
    let dom: Vec<&str> = of_type(&log, "dom", "")
        .iter()
        .map(|m| m["type"].as_str().unwrap())
        .collect();
    assert_eq!(dom, types, "each event also a DOM CustomEvent on the page");

    // The webhooks, signed, and the conversation over REST.
    let started = wait_for_events(&app, "conversation.started", 1).await;
    let closed = wait_for_events(&app, "conversation.closed", 1).await;
    let scheduled = wait_for_events(&app, "booking.scheduled", 1).await;
    assert_eq!(
        scheduled[0]["data"]["conversation"]["id"],
        closed[0]["data"]["id"]
    );
    assert_eq!(closed[0]["data"]["contact"]["email"], "vera@example.com");
    assert_eq!(started[0]["data"]["initiated_by"], "contact");
    let got = hooks.wait_for(3, 10).await;
    for r in &got {
        let headers =
            slotline_webhook::Headers::from_lookup(|k| r.headers.get(k).map(String::as_str));
        slotline_webhook::verify(&secret, &headers, &r.body, app.clock_now() / 1000, 300)
            .expect("a valid signature");
    }
    let cid = closed[0]["data"]["id"].as_str().unwrap();
    let (_, c) = app
        .get(&format!("/v2/conversations/{cid}?expand=contact"))
        .await;
    assert_eq!(
        (c["status"].as_str(), c["contact"]["first_name"].as_str()),
        (Some("closed"), Some("Vera"))
    );
    assert_eq!(c["bookings"].as_array().unwrap().len(), 1);
    assert_eq!(c["utm_params"]["campaign"], "launch");
    assert!(
        c["page_url"]
            .as_str()
            .unwrap()
            .starts_with(&format!("{}/pricing?", site.base)),
        "{c}"
    );
    let (_, b) = app
        .get(&format!(
            "/v2/bookings/{}",
            c["bookings"][0].as_str().unwrap()
        ))
        .await;
    assert_eq!(
        b["utm_params"]["source"], "partner",
        "the booking made in the chat carries the campaign"
    );

    // Another visitor: the bot reaches out by itself on /offer; one answer, then silence.
    browser.js("sessionStorage.clear(); return 0;").await;
    browser
        .client
        .goto(&format!("{}/offer?website={website}", site.base))
        .await
        .unwrap();
    browser.enter_booking_frame("#launcher").await;
    let field = browser
        .client
        .wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Css("#input input[name=answer]"))
        .await
        .unwrap();
    browser.shot("reach-out").await;
    field.send_keys("Silent Sam").await.unwrap();
    browser
        .css("#input button[type=submit]")
        .await
        .click()
        .await
        .unwrap();
    let reached = wait_for_events(&app, "conversation.reached_out", 1).await;
    assert_eq!(reached[0]["data"]["initiated_by"], "bot");
    assert_eq!(
        reached[0]["data"]["utm_params"],
        Value::Null,
        "a visit without tags has none"
    );
    wait_for_events(&app, "conversation.started", 2).await;
    app.clock.advance(11 * 60_000);
    let abandoned = wait_for_events(&app, "conversation.abandoned", 1).await;
    assert_eq!(abandoned[0]["data"]["id"], reached[0]["data"]["id"]);
    assert_eq!(abandoned[0]["data"]["status"], "abandoned");
    let (_, list) = app.get("/v2/conversations?status=abandoned").await;
    assert_eq!(list["data"][0]["answers"][0]["value"], "Silent Sam");

    browser.stop().await;
    app.finish().await;
}
