//! The hosts' app in a real headless Chromium, the main journeys as a person goes through
//! them: sign in; approve a request; cancel a booking with a reason; block a day and see its
//! times leave the public page; create a booking calendar and book on it as a guest; reset a
//! forgotten password through the email the test SMTP server received. Every page of the app
//! visited is checked with axe-core (no serious or critical WCAG A/AA violation) and each step's
//! screenshot is kept in `target/e2e-screenshots/hosts-app/`.

use serde_json::{json, Value};

use crate::common::{self, chrome::Browser, smtp::SmtpSink, Options, TestApp};

const PASSWORD: &str = "blue kettle morning";

/// The free start times the public page of `slug` shows for the week from `day`, as the
/// browser sees them (`sl.slot` of each time's link, in ms).
async fn public_times(browser: &Browser, base: &str, slug: &str, day: &str) -> Vec<i64> {
    browser
        .open(
            &format!("{base}/c/{slug}?sl.from={day}&iana_time_zone=America/Chicago"),
            "main",
        )
        .await;
    let hrefs = browser
        .client
        .execute(
            "return [...document.querySelectorAll('a.slot')].map(a => a.href);",
            vec![],
        )
        .await
        .unwrap();
    hrefs
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|h| {
            let url = url::Url::parse(h.as_str()?).ok()?;
            let slot = url
                .query_pairs()
                .find(|(k, _)| k == "sl.slot")?
                .1
                .parse()
                .ok();
            slot
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_host_works_in_the_app_in_a_browser() {
    let Some(smtp) = SmtpSink::start().await else {
        return;
    };
    let Some(app) = TestApp::spawn_with(
        common::Backend::Sqlite,
        Options {
            smtp_url: Some(smtp.url()),
            ..Options::default()
        },
    )
    .await
    else {
        return;
    };
    let Some(mut browser) = Browser::start("hosts-app").await else {
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
    let email = me["email"].as_str().unwrap().to_string();
    // A calendar whose bookings wait for approval, with a request and a booking on it.
    let (_, cal) = app
        .post(
            "/v2/booking-calendars",
            json!({"host": app.owner_user_id, "name": "Consult", "slug": "consult",
                   "settings": {"minimum_notice_minutes": 0, "approval_required": true}}),
        )
        .await;
    let book = |start: &'static str, guest: &'static str| {
        let app = &app;
        let cal = cal["id"].as_str().unwrap().to_string();
        async move {
            let (s, b) = app
                .post(
                    &format!("/v2/booking-calendars/{cal}/schedule"),
                    json!({"start_time": start, "guest_time_zone": "UTC",
                           "booking_form": {"name": guest, "email": format!("{}@guest.example", guest.to_lowercase().replace(' ', "."))}}),
                )
                .await;
            assert_eq!(s, 200, "{b}");
            b["id"].as_str().unwrap().to_string()
        }
    };
    let request = book("2025-06-16T15:00:00Z", "Ann Lee").await;
    let other = book("2025-06-17T15:00:00Z", "Bo Park").await;
    app.post(&format!("/v2/bookings/{other}/approve"), json!({}))
        .await;

    // Sign in: the app sends a signed-out browser to the sign-in page.
    let base = app.base.clone();
    browser.open(&format!("{base}/app"), "#email").await;
    browser.check_accessibility("sign-in").await;
    browser.shot("sign-in").await;
    browser.fill("#email", &email).await;
    browser.fill("#password", PASSWORD).await;
    browser.click("button[type=submit]").await;
    browser.wait_for_path("/app/bookings").await;
    browser.css("table.list").await;
    browser.check_accessibility("bookings").await;
    browser.shot("bookings").await;

    // Approve the request from its page.
    browser.click("a[href='/app/bookings?tab=requested']").await;
    browser
        .click(&format!("a[href='/app/bookings/{request}']"))
        .await;
    browser.css("form[action$='/approve'] button").await;
    browser.check_accessibility("a request").await;
    browser.shot("request").await;
    browser.click("form[action$='/approve'] button").await;
    let done = browser.css("div.notice").await.text().await.unwrap();
    assert!(done.starts_with("Approved"), "{done}");
    browser.shot("approved").await;
    assert_eq!(
        app.get(&format!("/v2/bookings/{request}")).await.1["status"],
        "scheduled"
    );

    // Cancel the other one, with a reason.
    browser
        .open(&format!("{base}/app/bookings/{other}"), "#cancel-reason")
        .await;
    browser.fill("#cancel-reason", "The host is ill").await;
    browser.shot("cancel").await;
    browser.click("form[action$='/cancel'] button").await;
    let done = browser.css("div.notice").await.text().await.unwrap();
    assert_eq!(done, "Canceled.");
    let (_, b) = app.get(&format!("/v2/bookings/{other}")).await;
    assert_eq!(b["status"], "canceled");
    assert_eq!(
        b["cancel_reschedule_information"]["reason"],
        "The host is ill"
    );

    // Block Wednesday 18 June: its times leave the public page.
    let day_start = 1_750_222_800_000_i64; // 2025-06-18T00:00 in Chicago
    let on_the_day = |times: &[i64]| {
        times
            .iter()
            .filter(|t| (day_start..day_start + 86_400_000).contains(*t))
            .count()
    };
    let before = public_times(&browser, &base, "consult", "2025-06-16").await;
    assert!(on_the_day(&before) > 0, "{before:?}");
    browser
        .open(
            &format!("{base}/app/availability?month=2025-06"),
            "table.calendar",
        )
        .await;
    browser.check_accessibility("availability").await;
    browser.shot("availability").await;
    browser.click("a[href*='date=2025-06-18']").await;
    browser.click("input[name=mode][value=off]").await;
    browser.shot("a-day-off").await;
    browser.click("form#date button[type=submit]").await;
    let saved = browser.css("div.notice").await.text().await.unwrap();
    assert_eq!(saved, "Date saved.");
    browser.shot("day-off-saved").await;
    let after = public_times(&browser, &base, "consult", "2025-06-16").await;
    assert_eq!(on_the_day(&after), 0, "{after:?}");
    assert!(!after.is_empty(), "the other days keep their times");
    browser.shot("public-page-without-the-day").await;

    // A new booking calendar, and a guest books on it.
    browser
        .open(&format!("{base}/app/calendars/new"), "#name")
        .await;
    browser.check_accessibility("new calendar").await;
    browser.fill("#name", "Browser call").await;
    browser.click("button[type=submit].primary").await;
    browser.css("div.notice").await;
    browser.check_accessibility("a calendar").await;
    browser.shot("calendar-created").await;
    browser.click("a[href$='/c/browser-call']").await;
    browser.wait_for_path("/c/browser-call").await;
    browser.click("a.slot").await;
    browser.fill("input[name=name]", "Cleo Guest").await;
    browser
        .fill("input[name=email]", "cleo@guest.example")
        .await;
    browser.click("button[type=submit]").await;
    browser.css("div.notice").await;
    browser.shot("guest-booked").await;
    let (_, list) = app.get("/v2/bookings?limit=1").await;
    assert_eq!(list["data"][0]["form_submission"]["name"], "Cleo Guest");

    // The other pages pass the same check.
    let (_, bp) = app
        .post(
            "/v2/booking-pages",
            json!({"owner": app.owner_user_id, "name": "Browser page"}),
        )
        .await;
    let bp_path = format!("/app/pages/{}", bp["id"].as_str().unwrap());
    let (_, bot) = app
        .post(
            "/v2/bots",
            json!({"name": "Greeter", "owner": app.owner_user_id,
                   "flow": {"steps": [{"type": "message", "text": "Hi"}]}}),
        )
        .await;
    let bot_path = format!("/app/chatbots/bots/{}", bot["id"].as_str().unwrap());
    let (_, hook) = app
        .post(
            "/v2/webhooks",
            json!({"name": "Browser hook", "url": "https://hooks.example/h", "events": ["booking"]}),
        )
        .await;
    let hook_path = format!("/app/webhooks/{}", hook["id"].as_str().unwrap());
    let hook_log = format!("{hook_path}/deliveries");
    for (path, ready) in [
        ("/app/webhooks", "#new"),
        (hook_path.as_str(), "#secret-h"),
        (hook_log.as_str(), "#log"),
        (bp_path.as_str(), "#slug"),
        ("/app/chatbots", "#websites"),
        ("/app/api-keys", "#new"),
        (bot_path.as_str(), "#s0_type"),
        ("/app/users", "#invite"),
        ("/app/profile", "#current"),
        ("/app/calendar-connections", "#add-feed"),
        ("/app/teams", "#new-team"),
        ("/app/custom-fields", "#new-field"),
        ("/app/calendars", "table.list"),
        ("/app/pages", "h1"),
        ("/app/pages/new", "#name"),
        ("/app/master-pages", "#new-master"),
        ("/app/event-types", "#new-type"),
        ("/app/bookings?tab=canceled", "table.list"),
    ] {
        browser.open(&format!("{base}{path}"), ready).await;
        browser.check_accessibility(path).await;
    }
    browser.shot("canceled-tab").await;
    for (path, ready, name) in [
        (bp_path.as_str(), "#slug", "booking-page"),
        (bot_path.as_str(), "#s0_type", "bot-steps"),
    ] {
        browser.open(&format!("{base}{path}"), ready).await;
        browser.shot(name).await;
    }

    // Sign out, then a forgotten password is reset through the email.
    browser
        .open(&format!("{base}/app/bookings"), "header")
        .await;
    browser.click("form[action='/app/sign-out'] button").await;
    browser.wait_for_path("/app/sign-in").await;
    browser.click("a[href='/app/password/forgot']").await;
    browser.fill("#email", &email).await;
    browser.check_accessibility("forgot").await;
    browser.click("button[type=submit]").await;
    browser.css("main h1").await;
    browser.shot("check-your-email").await;
    let mut link = None;
    for _ in 0..300 {
        link = smtp
            .received()
            .iter()
            .find(|m| m.subject().starts_with("Reset your Slotline password"))
            .map(|m| {
                let text = m.text();
                let at = text.find(&format!("{base}/app/password/")).unwrap();
                text[at..].split_whitespace().next().unwrap().to_string()
            });
        if link.is_some() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let link = link.expect("the reset email");
    browser.open(&link, "#password").await;
    browser.check_accessibility("choose a password").await;
    browser.fill("#password", "green teapot evening").await;
    browser.fill("#confirm", "green teapot evening").await;
    browser.shot("new-password").await;
    browser.click("button[type=submit]").await;
    browser.wait_for_path("/app/bookings").await;
    browser.shot("signed-in-again").await;
    let _: Value = Value::Null;
    browser.stop().await;
    app.finish().await;
}
