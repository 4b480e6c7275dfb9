//! The hosts' app as a browser without script uses it: an invited user chooses a password from
//! the email and signs in and out; a forgotten password is reset by email, once; sessions and
//! forms are protected (cookie attributes, CSRF token, origin, sign-out everywhere, attempt
//! limits); members see the bookings they host and administrators the account's.

use serde_json::{json, Value};

use crate::common::{self, person::Person, smtp::Received, TestApp};

/// The email to `address` whose subject starts with `subject`, from the server's mail folder.
async fn mail_to(app: &TestApp, address: &str, subject: &str) -> Received {
    for _ in 0..200 {
        let files: Vec<std::path::PathBuf> = std::fs::read_dir(&app.mail_dir)
            .map(|d| d.filter_map(|e| e.ok().map(|e| e.path())).collect())
            .unwrap_or_default();
        for f in files
            .iter()
            .filter(|p| p.extension().is_some_and(|e| e == "eml"))
        {
            let raw = std::fs::read(f).unwrap();
            // Files are written in pieces: only a message with its closing boundary is whole.
            if !String::from_utf8_lossy(&raw).trim_end().ends_with("--") {
                continue;
            }
            let r = Received { raw, to: vec![] };
            let to = r
                .parsed()
                .to()
                .and_then(|t| t.first())
                .and_then(|a| a.address())
                .map(str::to_string);
            if to.as_deref() == Some(address) && r.subject().starts_with(subject) {
                return r;
            }
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    panic!("no email '{subject}…' to {address}");
}

/// The one-time link an email carries, as a path.
fn link_in(mail: &Received, base: &str) -> String {
    let text = mail.text();
    let at = text.find("/app/password/").expect("a password link");
    let end = text[at..]
        .find(char::is_whitespace)
        .map_or(text.len(), |e| at + e);
    let link = &text[at..end];
    assert!(
        text.contains(&format!("{base}{link}")),
        "the link is absolute on the public URL"
    );
    link.to_string()
}

/// The link of a whole email whose subject starts with `subject`, other than `not`, once one
/// arrives (within 5 s).
async fn another_link(app: &TestApp, subject: &str, not: &str) -> Option<String> {
    for _ in 0..200 {
        let found = std::fs::read_dir(&app.mail_dir)
            .unwrap()
            .filter_map(|e| e.ok())
            .map(|e| Received {
                raw: std::fs::read(e.path()).unwrap(),
                to: vec![],
            })
            .filter(|r| String::from_utf8_lossy(&r.raw).trim_end().ends_with("--"))
            .filter(|r| r.subject().starts_with(subject))
            .map(|r| link_in(&r, &app.base))
            .find(|l| l != not);
        if found.is_some() {
            return found;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    None
}

/// Adds a user through the API; their invitation's link.
async fn invite(app: &TestApp, email: &str, role: &str) -> (String, String) {
    let (s, u) = app
        .post(
            "/v2/users",
            json!({"email": email, "first_name": "Mia", "last_name": "Moss", "role_name": role}),
        )
        .await;
    assert_eq!(s, 200, "{u}");
    let mail = mail_to(app, email, "You were added").await;
    (
        u["id"].as_str().unwrap().to_string(),
        link_in(&mail, &app.base),
    )
}

const GOOD: &str = "blue kettle morning";

/// A user who chose `GOOD` from their invitation, signed in as `person`.
pub(crate) async fn member(app: &TestApp, email: &str, role: &str) -> (String, Person) {
    let (id, link) = invite(app, email, role).await;
    let mut person = Person::new(&app.base);
    let page = person.open(&link).await;
    let done = person
        .submit(&page.html, &link, &[("password", GOOD), ("confirm", GOOD)])
        .await;
    assert_eq!(done.status, 303, "{}", done.html);
    (id, person)
}

async fn an_invited_user_chooses_a_password_then_signs_out_and_in(backend: common::Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let (_, link) = invite(&app, "mia@test.example", "Member").await;
    let mut mia = Person::new(&app.base);
    let page = mia.open(&link).await;
    assert_eq!(page.status, 200);
    assert!(page.html.contains("Choose your password"), "{}", page.html);
    assert!(page.html.contains("mia@test.example"));

    // The rules of a password, said on the page.
    let again = mia
        .submit(
            &page.html,
            &link,
            &[("password", "short"), ("confirm", "short")],
        )
        .await;
    assert_eq!(again.status, 422);
    assert!(again.html.contains("too short"), "{}", again.html);
    let again = mia
        .submit(
            &again.html,
            &link,
            &[("password", GOOD), ("confirm", "blue kettle evening")],
        )
        .await;
    assert_eq!(again.status, 422);
    assert!(again.html.contains("not the same"), "{}", again.html);
    assert!(mia.cookies.is_empty(), "not signed in yet");

    let done = mia
        .submit(&again.html, &link, &[("password", GOOD), ("confirm", GOOD)])
        .await;
    assert_eq!(done.status, 303);
    assert_eq!(done.location.as_deref(), Some("/app/bookings"));
    let cookie = done.headers[reqwest::header::SET_COOKIE].to_str().unwrap();
    for attribute in ["HttpOnly", "SameSite=Lax", "Path=/"] {
        assert!(cookie.contains(attribute), "{attribute} in {cookie}");
    }
    assert!(cookie.starts_with("slotline_session="), "{cookie}");
    let bookings = mia.open("/app/bookings").await;
    assert_eq!(bookings.status, 200);
    assert!(bookings.html.contains("Mia Moss"), "{}", bookings.html);
    assert!(bookings.html.contains("The bookings you host"));
    assert!(
        bookings.headers["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("frame-ancestors 'none'"),
        "the app is never framed"
    );

    // The link worked once.
    assert_eq!(mia.open(&link).await.status, 410);
    assert_eq!(
        Person::new(&app.base)
            .open("/app/password/forged")
            .await
            .status,
        410
    );

    // Signed out, the app sends the browser to sign in, and back afterwards.
    let out = mia.submit(&bookings.html, "/app/sign-out", &[]).await;
    assert_eq!(out.status, 303);
    assert!(mia.cookies.is_empty(), "the cookie is forgotten");
    let away = mia.open("/app/bookings?tab=past").await;
    assert_eq!(away.status, 303);
    assert_eq!(
        away.location.as_deref(),
        Some("/app/sign-in?next=%2Fapp%2Fbookings%3Ftab%3Dpast")
    );

    let wrong = mia.sign_in("mia@test.example", "blue kettle evening").await;
    assert_eq!(wrong.status, 401);
    assert!(wrong
        .html
        .contains("The email address or the password is not right."));
    let nobody = Person::new(&app.base)
        .sign_in("nobody@test.example", GOOD)
        .await;
    assert_eq!(
        nobody.status, 401,
        "an unknown address gets the same answer"
    );
    assert!(nobody
        .html
        .contains("The email address or the password is not right."));
    let page = mia
        .open("/app/sign-in?next=%2Fapp%2Fbookings%3Ftab%3Dpast")
        .await;
    let back = mia
        .submit(
            &page.html,
            "/app/sign-in",
            &[("email", "MIA@test.example"), ("password", GOOD)],
        )
        .await;
    assert_eq!(back.status, 303, "{}", back.html);
    assert_eq!(back.location.as_deref(), Some("/app/bookings?tab=past"));
    assert_eq!(mia.open("/app/bookings?tab=past").await.status, 200);
    app.finish().await;
}
on_both!(an_invited_user_chooses_a_password_then_signs_out_and_in);

async fn a_forgotten_password_is_reset_by_email_once(backend: common::Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let (_, mut elsewhere) = member(&app, "mia@test.example", "Member").await;
    assert_eq!(elsewhere.open("/app/bookings").await.status, 200);

    let mut mia = Person::new(&app.base);
    let page = mia.open("/app/password/forgot").await;
    let sent = mia
        .submit(
            &page.html,
            "/app/password/forgot",
            &[("email", "mia@test.example")],
        )
        .await;
    assert_eq!(sent.status, 200);
    assert!(sent.html.contains("Check your email"));
    // An address without an account gets the same page (and no email).
    let page = mia.open("/app/password/forgot").await;
    let same = mia
        .submit(
            &page.html,
            "/app/password/forgot",
            &[("email", "nobody@test.example")],
        )
        .await;
    assert_eq!(
        same.html.replace("nobody", ""),
        sent.html.replace("mia", "")
    );

    let mail = mail_to(&app, "mia@test.example", "Reset your Slotline password").await;
    let link = link_in(&mail, &app.base);
    let page = mia.open(&link).await;
    assert!(page.html.contains("Choose a new password"), "{}", page.html);
    let done = mia
        .submit(
            &page.html,
            &link,
            &[
                ("password", "green teapot evening"),
                ("confirm", "green teapot evening"),
            ],
        )
        .await;
    assert_eq!(done.status, 303);
    assert_eq!(mia.open("/app/bookings").await.status, 200);
    // A new password ends the other sessions.
    assert_eq!(elsewhere.open("/app/bookings").await.status, 303);
    assert_eq!(mia.open(&link).await.status, 410, "the link works once");
    assert_eq!(
        Person::new(&app.base)
            .sign_in("mia@test.example", GOOD)
            .await
            .status,
        401
    );
    assert_eq!(
        Person::new(&app.base)
            .sign_in("mia@test.example", "green teapot evening")
            .await
            .status,
        303
    );
    // A reset link lasts an hour.
    let page = mia.open("/app/password/forgot").await;
    mia.submit(
        &page.html,
        "/app/password/forgot",
        &[("email", "mia@test.example")],
    )
    .await;
    let second = another_link(&app, "Reset", &link)
        .await
        .expect("a second reset email");
    app.clock.advance(61 * 60_000);
    assert_eq!(mia.open(&second).await.status, 410, "expired after an hour");
    app.finish().await;
}
on_both!(a_forgotten_password_is_reset_by_email_once);

async fn forms_need_the_sessions_token_and_this_sites_origin(backend: common::Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let (_, mut mia) = member(&app, "mia@test.example", "Member").await;
    let page = mia.open("/app/bookings").await;
    let fields = common::guest::form_fields(&page.html, "/app/sign-out");
    // No token: refused, still signed in.
    let refused = mia.post("/app/sign-out", &[]).await;
    assert_eq!(refused.status, 403);
    // Another site's page posting with the right token: refused.
    let other = mia
        .post_from("/app/sign-out", &fields, Some("https://evil.example"))
        .await;
    assert_eq!(other.status, 403);
    // Another session's token: refused.
    let mut second = Person::new(&app.base);
    assert_eq!(second.sign_in("mia@test.example", GOOD).await.status, 303);
    let theirs = second.open("/app/bookings").await;
    let their_fields = common::guest::form_fields(&theirs.html, "/app/sign-out");
    assert_ne!(their_fields, fields, "each session has its own token");
    assert_eq!(mia.post("/app/sign-out", &their_fields).await.status, 403);
    assert_eq!(mia.open("/app/bookings").await.status, 200);

    // Signing out everywhere ends both sessions.
    let page = mia.open("/app/bookings").await;
    let fields = common::guest::form_fields(&page.html, "/app/sign-out");
    let out = mia.post("/app/sign-out-everywhere", &fields).await;
    assert_eq!(out.status, 303);
    assert_eq!(second.open("/app/bookings").await.status, 303);
    assert_eq!(mia.open("/app/bookings").await.status, 303);

    // A sign-in form is used once and must come from this site.
    let mut p = Person::new(&app.base);
    let page = p.open("/app/sign-in").await;
    let mut fields = common::guest::form_fields(&page.html, "/app/sign-in");
    fields.retain(|(k, _)| k != "email" && k != "password");
    fields.push(("email".into(), "mia@test.example".into()));
    fields.push(("password".into(), GOOD.into()));
    assert_eq!(
        p.post_from("/app/sign-in", &fields, Some("https://evil.example"))
            .await
            .status,
        403
    );
    assert_eq!(p.post("/app/sign-in", &fields).await.status, 303);
    assert_eq!(
        Person::new(&app.base)
            .post("/app/sign-in", &fields)
            .await
            .status,
        403,
        "its token was used"
    );
    app.finish().await;
}
on_both!(forms_need_the_sessions_token_and_this_sites_origin);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_in_attempts_for_one_address_are_limited() {
    let Some(app) = TestApp::spawn(common::Backend::Sqlite).await else {
        return;
    };
    member(&app, "mia@test.example", "Member").await;
    let mut p = Person::new(&app.base);
    for i in 0..10 {
        let a = p.sign_in("mia@test.example", "not the password").await;
        assert_eq!(a.status, 401, "attempt {i}");
    }
    let limited = p.sign_in("mia@test.example", GOOD).await;
    assert_eq!(limited.status, 429, "even with the right password, for now");
    assert_eq!(limited.headers["retry-after"], "60");
    // Another address from the same client is not held up by it.
    member(&app, "leo@test.example", "Member").await;
    assert_eq!(p.sign_in("leo@test.example", GOOD).await.status, 303);
    app.finish().await;
}

/// The owner's password, set as the demo does.
pub(crate) async fn owner(app: &TestApp) -> Person {
    let phc = slotline::services::sign_in::hash_password(GOOD)
        .await
        .unwrap();
    let id = slotline_domain::id::UserId::parse(app.owner_user_id.clone()).unwrap();
    slotline::store::passwords::set(&app.db, &id, &phc, app.clock_now())
        .await
        .unwrap();
    let (_, me) = app.get(&format!("/v2/users/{}", app.owner_user_id)).await;
    let mut p = Person::new(&app.base);
    let a = p.sign_in(me["email"].as_str().unwrap(), GOOD).await;
    assert_eq!(a.status, 303, "{}", a.html);
    p
}

pub(crate) async fn book(app: &TestApp, host: &str, start: &str, name: &str, email: &str) -> Value {
    let (s, cal) = app
        .post(
            "/v2/booking-calendars",
            json!({"host": host, "name": format!("{name} calendar"), "subject": format!("Call with {name}"),
                   "settings": {"minimum_notice_minutes": 0, "booking_horizon_days": 60}}),
        )
        .await;
    assert_eq!(s, 200, "{cal}");
    let (s, b) = app
        .post(
            &format!(
                "/v2/booking-calendars/{}/schedule",
                cal["id"].as_str().unwrap()
            ),
            json!({"start_time": start, "guest_time_zone": "UTC",
                   "booking_form": {"name": name, "email": email}}),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    b
}

async fn members_see_the_bookings_they_host_and_admins_the_accounts(backend: common::Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let (mia_id, mut mia) = member(&app, "mia@test.example", "Member").await;
    let mut admin = owner(&app).await;
    let ann = book(
        &app,
        &app.owner_user_id,
        "2025-06-16T16:00:00Z",
        "Ann Lee",
        "ann@guest.example",
    )
    .await;
    let bo = book(
        &app,
        &mia_id,
        "2025-06-17T16:00:00Z",
        "Bo Park",
        "bo@guest.example",
    )
    .await;

    let all = admin.open("/app/bookings").await;
    assert!(all.html.contains("Every booking of the account"));
    assert!(all.html.contains("ann@guest.example") && all.html.contains("bo@guest.example"));
    assert!(
        all.html.contains("Mia Moss"),
        "the host of each: {}",
        all.html
    );
    let own = mia.open("/app/bookings").await;
    assert!(own.html.contains("bo@guest.example"), "{}", own.html);
    assert!(
        !own.html.contains("ann@guest.example"),
        "not another host's booking"
    );

    // Search by name or email, case aside; `%` is a character, not a wildcard.
    let found = admin.open("/app/bookings?q=ANN").await;
    assert!(found.html.contains("ann@guest.example") && !found.html.contains("bo@guest.example"));
    let found = admin.open("/app/bookings?q=bo%40guest").await;
    assert!(found.html.contains("bo@guest.example") && !found.html.contains("ann@guest.example"));
    // Filters: a booking calendar; days in the user's zone (16 June is Monday in Chicago).
    let (_, ann) = app
        .get(&format!("/v2/bookings/{}", ann["id"].as_str().unwrap()))
        .await;
    let by_cal = admin
        .open(&format!(
            "/app/bookings?calendar={}",
            ann["booking_calendar"].as_str().unwrap()
        ))
        .await;
    assert!(by_cal.html.contains("ann@guest.example") && !by_cal.html.contains("bo@guest.example"));
    let by_day = admin
        .open("/app/bookings?from=2025-06-17&to=2025-06-17")
        .await;
    assert!(
        by_day.html.contains("bo@guest.example") && !by_day.html.contains("ann@guest.example"),
        "{}",
        by_day.html
    );
    let none = admin.open("/app/bookings?q=%25").await;
    assert!(none.html.contains("No bookings here."), "{}", none.html);

    // Canceled: in its tab, no longer to come.
    let (s, _) = app
        .post(
            &format!("/v2/bookings/{}/cancel", bo["id"].as_str().unwrap()),
            json!({}),
        )
        .await;
    assert_eq!(s, 200);
    let own = mia.open("/app/bookings").await;
    assert!(own.html.contains("No bookings here."));
    let canceled = mia.open("/app/bookings?tab=canceled").await;
    assert!(canceled.html.contains("bo@guest.example"));
    // Once its time has passed, a booking is in the past tab.
    app.clock.advance(2 * 24 * 3_600_000);
    let past = admin.open("/app/bookings?tab=past").await;
    assert!(past.html.contains("ann@guest.example"), "{}", past.html);
    assert!(
        !past.html.contains("bo@guest.example"),
        "canceled is not past"
    );
    app.finish().await;
}
on_both!(members_see_the_bookings_they_host_and_admins_the_accounts);

/// A calendar of `host` whose bookings wait for approval when `approval` is set.
async fn calendar_of(app: &TestApp, host: &str, approval: bool) -> String {
    let (s, cal) = app
        .post(
            "/v2/booking-calendars",
            json!({"host": host, "name": "Consult", "subject": "Consult",
                   "settings": {"minimum_notice_minutes": 0, "booking_horizon_days": 60, "approval_required": approval}}),
        )
        .await;
    assert_eq!(s, 200, "{cal}");
    cal["id"].as_str().unwrap().to_string()
}

async fn schedule(app: &TestApp, cal: &str, start: &str, email: &str) -> String {
    let (s, b) = app
        .post(
            &format!("/v2/booking-calendars/{cal}/schedule"),
            json!({"start_time": start, "guest_time_zone": "UTC",
                   "booking_form": {"name": "Ann Lee", "email": email}}),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    b["id"].as_str().unwrap().to_string()
}

/// Posts the form of `page` that acts on `booking` with `act`, with `values` over it.
async fn act(
    p: &mut Person,
    booking: &str,
    act: &str,
    values: &[(&str, &str)],
) -> common::guest::Answer {
    let page = p.open(&format!("/app/bookings/{booking}")).await;
    assert_eq!(page.status, 200, "{}", page.html);
    p.submit(
        &page.html,
        &format!("/app/bookings/{booking}/{act}"),
        values,
    )
    .await
}

async fn a_host_acts_on_a_booking_from_its_page(backend: common::Backend) {
    let Some(app) = TestApp::spawn_with(
        backend,
        common::Options {
            allow_http_webhooks: true,
            sweep_ms: 50,
            ..common::Options::default()
        },
    )
    .await
    else {
        return;
    };
    let hook = common::receiver::Receiver::start().await;
    let (s, w) = app
        .post(
            "/v2/webhooks",
            json!({"name": "CRM", "url": hook.url, "events": ["booking"]}),
        )
        .await;
    assert_eq!(s, 200, "{w}");
    let (mia_id, mut mia) = member(&app, "mia@test.example", "Member").await;
    let cal = calendar_of(&app, &mia_id, true).await;
    let requested = schedule(&app, &cal, "2025-06-16T16:00:00Z", "ann@guest.example").await;

    // The request waits in its tab; its page offers approve and decline, nothing else.
    let list = mia.open("/app/bookings?tab=requested").await;
    assert!(
        list.html.contains(&format!("/app/bookings/{requested}")),
        "{}",
        list.html
    );
    let page = mia.open(&format!("/app/bookings/{requested}")).await;
    for (act, offered) in [
        ("approve", true),
        ("decline", true),
        ("cancel", false),
        ("reassign", false),
        ("no-show", false),
    ] {
        assert_eq!(
            page.html
                .contains(&format!("/app/bookings/{requested}/{act}\"")),
            offered,
            "{act}"
        );
    }
    let done = act(&mut mia, &requested, "approve", &[]).await;
    assert_eq!(done.status, 303, "{}", done.html);
    assert_eq!(
        done.location.unwrap(),
        format!("/app/bookings/{requested}?done=approve")
    );
    let (_, b) = app.get(&format!("/v2/bookings/{requested}")).await;
    assert_eq!(b["status"], "scheduled", "the same change as the API's");
    hook.wait_for(1, 10).await;
    let first: Value = serde_json::from_slice(&hook.all()[0].body).unwrap();
    assert_eq!(first["type"], "booking.scheduled");
    // Its history shows the event and where it went.
    let mut page = mia
        .open(&format!("/app/bookings/{requested}?done=approve"))
        .await;
    // Up to 10 s for the delivery: CI runs many tests at once.
    for _ in 0..500 {
        if page.html.contains("delivered") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        page = mia
            .open(&format!("/app/bookings/{requested}?done=approve"))
            .await;
    }
    assert!(page.html.contains("booking.scheduled"), "{}", page.html);
    assert!(page.html.contains("CRM: delivered"), "{}", page.html);
    assert!(page.html.contains("Approved: the guest is booked"));

    // An action the status no longer allows (a second tab's stale button) is refused.
    let stale = mia
        .post(
            &format!("/app/bookings/{requested}/decline"),
            &common::guest::form_fields(&page.html, &format!("/app/bookings/{requested}/cancel")),
        )
        .await;
    assert_eq!(stale.status, 409);
    assert!(stale.html.contains("it is scheduled"), "{}", stale.html);

    // A member cannot give a booking away.
    let fields =
        common::guest::form_fields(&page.html, &format!("/app/bookings/{requested}/cancel"));
    let mut fields_reassign = fields.clone();
    fields_reassign.push(("new_host".into(), app.owner_user_id.clone()));
    let refused = mia
        .post(
            &format!("/app/bookings/{requested}/reassign"),
            &fields_reassign,
        )
        .await;
    assert_eq!(refused.status, 409);
    assert!(refused
        .html
        .contains("Only the account owner and administrators"));

    // Canceled without emailing the guest: the hosts are told, the guest is not.
    let done = act(
        &mut mia,
        &requested,
        "cancel",
        &[("reason", "I am ill"), ("tell_guest", "")],
    )
    .await;
    assert_eq!(done.status, 303, "{}", done.html);
    let (_, b) = app.get(&format!("/v2/bookings/{requested}")).await;
    assert_eq!(b["status"], "canceled");
    assert_eq!(b["cancel_reschedule_information"]["reason"], "I am ill");
    let (_, sent) = app
        .get(&format!("/v2/bookings/{requested}/notifications"))
        .await;
    let kinds: Vec<&str> = sent["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["kind"].as_str().unwrap())
        .collect();
    assert!(kinds.contains(&"host.canceled"), "{kinds:?}");
    assert!(!kinds.contains(&"guest.canceled"), "{kinds:?}");

    // Another host's booking is not there for a member, to see or to act on.
    let owners_cal = calendar_of(&app, &app.owner_user_id, false).await;
    let theirs = schedule(
        &app,
        &owners_cal,
        "2025-06-17T16:00:00Z",
        "bo@guest.example",
    )
    .await;
    assert_eq!(
        mia.open(&format!("/app/bookings/{theirs}")).await.status,
        404
    );
    assert_eq!(
        mia.post(&format!("/app/bookings/{theirs}/cancel"), &fields)
            .await
            .status,
        404
    );
    assert_eq!(mia.open("/app/bookings/BKNG-NOTHING").await.status, 404);

    // The owner gives it to Mia, who then finds it in her list.
    let mut admin = owner(&app).await;
    let done = act(&mut admin, &theirs, "reassign", &[("new_host", &mia_id)]).await;
    assert_eq!(done.status, 303, "{}", done.html);
    let (_, b) = app.get(&format!("/v2/bookings/{theirs}")).await;
    assert_eq!(b["attendees"][0], "mia@test.example", "{b}");
    assert!(mia.open("/app/bookings").await.html.contains(&theirs));

    // Once the meeting is over and completed, it can be marked a no-show.
    app.clock.advance(3 * 24 * 3_600_000);
    for _ in 0..200 {
        if app.get(&format!("/v2/bookings/{theirs}")).await.1["status"] == "completed" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let done = act(&mut mia, &theirs, "no-show", &[]).await;
    assert_eq!(done.status, 303, "{}", done.html);
    assert_eq!(
        app.get(&format!("/v2/bookings/{theirs}")).await.1["status"],
        "no_show"
    );
    app.finish().await;
}
on_both!(a_host_acts_on_a_booking_from_its_page);

async fn a_host_sets_hours_days_off_and_zone_and_sees_the_free_time(backend: common::Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let (mia_id, mut mia) = member(&app, "mia@test.example", "Member").await;
    let (s, _) = app
        .patch(
            &format!("/v2/users/{mia_id}"),
            json!({"timezone": "America/Chicago"}),
        )
        .await;
    assert_eq!(s, 200);
    let page = mia.open("/app/availability").await;
    assert_eq!(page.status, 200, "{}", page.html);
    assert!(page.html.contains("Your availability"));
    assert!(
        page.html.contains("name=\"d0s0\" value=\"09:00\""),
        "Monday's hours filled in"
    );
    // Sunday 15 June (the test clock): the preview starts with Monday's whole day free.
    assert!(
        page.html.contains("Mon 16 Jun</strong>: 09:00–17:00"),
        "{}",
        page.html
    );

    // Monday becomes two spans, Tuesday a day without hours.
    let saved = mia
        .submit(
            &page.html,
            "/app/availability/hours",
            &[
                ("d0s0", "10:00"),
                ("d0e0", "12:00"),
                ("d0s1", "13:00"),
                ("d0e1", "15:00"),
                ("d1s0", ""),
                ("d1e0", ""),
            ],
        )
        .await;
    assert_eq!(saved.status, 303, "{}", saved.html);
    let (_, sched) = app
        .get(&format!("/v2/users/{mia_id}/scheduling-availability"))
        .await;
    assert_eq!(
        sched["weekly"][0]["working_hours"],
        json!([{"start_time": "10:00", "end_time": "12:00", "locations": []}, {"start_time": "13:00", "end_time": "15:00", "locations": []}])
    );
    assert_eq!(sched["weekly"][1]["working_hours"], json!([]));

    // The API's rules, in the page's words.
    let page = mia.open("/app/availability").await;
    let bad = mia
        .submit(
            &page.html,
            "/app/availability/hours",
            &[
                ("d2s0", "09:00"),
                ("d2e0", "12:00"),
                ("d2s1", "11:00"),
                ("d2e1", "13:00"),
            ],
        )
        .await;
    assert_eq!(bad.status, 422);
    assert!(bad.html.contains("overlapping"), "{}", bad.html);
    let half = mia
        .submit(
            &page.html,
            "/app/availability/hours",
            &[("d2s0", "09:00"), ("d2e0", "")],
        )
        .await;
    assert_eq!(half.status, 422);
    assert!(half
        .html
        .contains("Wednesday: Give both a start and an end time"));

    // A booking on Monday shows in the preview as time no longer free.
    let cal = calendar_of(&app, &mia_id, false).await;
    schedule(&app, &cal, "2025-06-16T15:00:00Z", "ann@guest.example").await; // 10:00 Chicago
    let page = mia.open("/app/availability").await;
    assert!(
        page.html
            .contains("Mon 16 Jun</strong>: 10:30–12:00, 13:00–15:00"),
        "{}",
        page.html
    );

    // Wednesday 18 June, a day off: picked on the calendar; the public page offers nothing then.
    let slots = |day: &'static str| {
        let app = &app;
        let cal = cal.clone();
        async move {
            let (_, v) = app
                .get(&format!("/v2/booking-calendars/{cal}/time-slots?start_time={day}T00:00:00Z&end_time={day}T23:59:59Z"))
                .await;
            v.as_array().unwrap().len()
        }
    };
    assert!(slots("2025-06-18").await > 0);
    let month = mia.open("/app/availability?month=2025-06").await;
    assert!(
        month.html.contains("date=2025-06-18"),
        "each day to come is a link"
    );
    assert!(!month.html.contains("date=2025-06-14"), "a past day is not");
    let day = mia
        .open("/app/availability?month=2025-06&date=2025-06-18")
        .await;
    let off = mia
        .submit(&day.html, "/app/availability/date", &[("mode", "off")])
        .await;
    assert_eq!(off.status, 303, "{}", off.html);
    assert_eq!(slots("2025-06-18").await, 0);
    let (_, sched) = app
        .get(&format!("/v2/users/{mia_id}/scheduling-availability"))
        .await;
    assert_eq!(sched["overrides"][0]["date"], "2025-06-18");
    assert_eq!(sched["overrides"][0]["working_hours"], json!([]));
    let month = mia.open("/app/availability?month=2025-06").await;
    assert!(
        month.html.contains("Wednesday 18 June, day off"),
        "marked on the calendar"
    );
    // Other hours that date, then back to the week's.
    let day = mia
        .open("/app/availability?month=2025-06&date=2025-06-18")
        .await;
    let other = mia
        .submit(
            &day.html,
            "/app/availability/date",
            &[
                ("mode", "hours"),
                ("os0", "07:00"),
                ("oe0", "08:00"),
                ("os1", ""),
                ("oe1", ""),
                ("os2", ""),
                ("oe2", ""),
            ],
        )
        .await;
    assert_eq!(other.status, 303, "{}", other.html);
    assert_eq!(slots("2025-06-18").await, 2);
    let day = mia
        .open("/app/availability?month=2025-06&date=2025-06-18")
        .await;
    mia.submit(&day.html, "/app/availability/date", &[("mode", "weekly")])
        .await;
    let (_, sched) = app
        .get(&format!("/v2/users/{mia_id}/scheduling-availability"))
        .await;
    assert_eq!(sched["overrides"], json!([]));
    // A past date is refused, as by the API.
    let mut past = common::guest::form_fields(&day.html, "/app/availability/date");
    past.retain(|(k, _)| k != "date" && k != "mode");
    past.push(("date".into(), "2025-06-01".into()));
    past.push(("mode".into(), "off".into()));
    let refused = mia.post("/app/availability/date", &past).await;
    assert_eq!(refused.status, 422);
    assert!(
        refused.html.contains("Date cannot be in the past"),
        "{}",
        refused.html
    );

    // The zone.
    let page = mia.open("/app/availability").await;
    let z = mia
        .submit(
            &page.html,
            "/app/availability/zone",
            &[("timezone", "Europe/Paris")],
        )
        .await;
    assert_eq!(z.status, 303);
    assert_eq!(
        app.get(&format!("/v2/users/{mia_id}")).await.1["timezone"],
        "Europe/Paris"
    );
    let bad = mia
        .submit(
            &page.html,
            "/app/availability/zone",
            &[("timezone", "Mars/Olympus")],
        )
        .await;
    assert_eq!(bad.status, 422);

    // Only one's own, unless an administrator.
    let owner_q = format!("/app/availability?user={}", app.owner_user_id);
    assert_eq!(mia.open(&owner_q).await.status, 404);
    let mut forged = common::guest::form_fields(&page.html, "/app/availability/zone");
    forged.retain(|(k, _)| k != "user");
    forged.push(("user".into(), app.owner_user_id.clone()));
    assert_eq!(
        mia.post("/app/availability/zone", &forged).await.status,
        404
    );
    let mut admin = owner(&app).await;
    let theirs = admin
        .open(&format!("/app/availability?user={mia_id}"))
        .await;
    assert_eq!(theirs.status, 200);
    assert!(theirs.html.contains("Availability of Mia Moss"));
    let saved = admin
        .submit(
            &theirs.html,
            "/app/availability/hours",
            &[("d4s0", "08:00"), ("d4e0", "00:00")],
        )
        .await;
    assert_eq!(saved.status, 303);
    assert_eq!(
        saved.location.unwrap(),
        format!("/app/availability?saved=hours&user={mia_id}#weekly")
    );
    let (_, sched) = app
        .get(&format!("/v2/users/{mia_id}/scheduling-availability"))
        .await;
    assert_eq!(
        sched["weekly"][4]["working_hours"][0]["end_time"], "24:00",
        "an end of 00:00 is midnight"
    );
    app.finish().await;
}
on_both!(a_host_sets_hours_days_off_and_zone_and_sees_the_free_time);

async fn an_admin_makes_a_booking_calendar_that_guests_book(backend: common::Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let mut admin = owner(&app).await;
    let page = admin.open("/app/calendars/new").await;
    assert_eq!(page.status, 200, "{}", page.html);
    let made = admin
        .submit(
            &page.html,
            "/app/calendars/new",
            &[("name", "Intro call"), ("host", &app.owner_user_id)],
        )
        .await;
    assert_eq!(made.status, 303, "{}", made.html);
    let at = made.location.unwrap();
    assert!(
        at.starts_with("/app/calendars/BKC-") && at.ends_with("?saved=created"),
        "{at}"
    );
    let id = at
        .trim_start_matches("/app/calendars/")
        .trim_end_matches("?saved=created")
        .to_string();
    let page = admin.open(&at).await;
    let public = format!("{}/c/intro-call", app.base);
    assert!(page.html.contains(&public), "{}", page.html);
    let guest = common::guest::Guest::new(&app.base);
    let booking_page = guest.open("/c/intro-call").await;
    assert_eq!(
        booking_page.status, 200,
        "guests can book it at once: {}",
        booking_page.html
    );
    // The same name again gets an address of its own.
    let again = admin.open("/app/calendars/new").await;
    let second = admin
        .submit(
            &again.html,
            "/app/calendars/new",
            &[("name", "Intro call"), ("host", &app.owner_user_id)],
        )
        .await;
    assert_eq!(second.status, 303);
    assert!(admin
        .open(&second.location.unwrap())
        .await
        .html
        .contains("/c/intro-call-2"));

    // Settings, through the API's rules.
    let page = admin.open(&format!("/app/calendars/{id}")).await;
    let action = format!("/app/calendars/{id}");
    let saved = admin
        .submit(
            &page.html,
            &action,
            &[
                ("durations", "45, 30"),
                ("minimum_notice_minutes", "0"),
                ("approval_required", "on"),
                ("embed_origins", "https://www.example.com\n"),
                ("slug", "intro"),
            ],
        )
        .await;
    assert_eq!(saved.status, 303, "{}", saved.html);
    let (_, settings) = app
        .get(&format!("/v2/booking-calendars/{id}/settings"))
        .await;
    assert_eq!(settings["durations"], json!([45, 30]));
    assert_eq!(settings["approval_required"], true);
    assert_eq!(settings["minimum_notice_minutes"], 0);
    assert_eq!(
        settings["embed_origins"],
        json!(["https://www.example.com"])
    );
    let (_, cal) = app.get(&format!("/v2/booking-calendars/{id}")).await;
    assert_eq!(cal["url"], format!("{}/c/intro", app.base));

    // Where, what the form asks, reminders and words: the whole of the settings.
    let page = admin.open(&format!("/app/calendars/{id}")).await;
    let saved = admin
        .submit(
            &page.html,
            &action,
            &[
                ("loc_physical", "1 Main St, Springfield"),
                ("loc_guest_phone", "on"),
                ("loc_video_jitsi", "on"),
                ("std_phone", "required"),
                ("q0_label", "Team size"),
                ("q0_type", "single_select"),
                ("q0_options", "1-10\r\n11-50"),
                ("q0_required", "on"),
                ("r0_minutes", "1440"),
                ("r0_to", "host"),
                ("follow_up_minutes", "30"),
                ("t:guest.scheduled:subject", "Booked: {subject}"),
                ("t:guest.scheduled:body", "See you {when}, {guest_name} <3"),
            ],
        )
        .await;
    assert_eq!(saved.status, 303, "{}", saved.html);
    let (_, settings) = app
        .get(&format!("/v2/booking-calendars/{id}/settings"))
        .await;
    let kinds: Vec<&str> = settings["locations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["type"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["physical", "guest_phone", "virtual"], "{settings}");
    let address_id = settings["locations"][0]["id"].as_str().unwrap().to_string();
    assert!(address_id.starts_with("ADD-"));
    assert_eq!(
        settings["questions"],
        json!([{"name": "team_size", "label": "Team size", "type": "single_select", "required": true, "options": ["1-10", "11-50"]}])
    );
    assert_eq!(
        settings["standard_fields"],
        json!([{"name": "phone", "required": true}])
    );
    assert_eq!(
        settings["notifications"]["reminders"],
        json!([{"minutes_before": 1440, "to": "host", "channel": "email"}]),
        "the form's rows replace the reminders"
    );
    assert_eq!(settings["notifications"]["follow_up_minutes"], 30);
    assert_eq!(
        settings["notifications"]["templates"],
        json!({"guest.scheduled": {"subject": "Booked: {subject}", "body": "See you {when}, {guest_name} <3"}}),
        "only the words changed are the page's own"
    );
    // Saved again unchanged, everything stays, the address keeps its id.
    let page = admin.open(&format!("/app/calendars/{id}")).await;
    assert!(
        page.html.contains("own words"),
        "the page marks its own words"
    );
    let again = admin.submit(&page.html, &action, &[]).await;
    assert_eq!(again.status, 303, "{}", again.html);
    let (_, after) = app
        .get(&format!("/v2/booking-calendars/{id}/settings"))
        .await;
    assert_eq!(after, settings, "a form saved as shown changes nothing");
    assert_eq!(after["locations"][0]["id"], address_id.as_str());
    for (field, value, words) in [
        ("q0_options", "", "needs options"),
        ("r1_minutes", "2", "minutes_before"),
        ("loc_video_urls", "not a url", "virtual_static"),
    ] {
        let page = admin.open(&format!("/app/calendars/{id}")).await;
        let bad = admin.submit(&page.html, &action, &[(field, value)]).await;
        assert_eq!(bad.status, 422, "{field}={value}");
        assert!(bad.html.contains(words), "{field}={value}: {}", bad.html);
    }
    for (field, value, words) in [
        ("durations", "abc", "is not a whole number"),
        ("durations", "7", "durations"),
        ("slug", "Bad Slug", "Invalid address"),
        ("name", "  ", "Give a name"),
    ] {
        let page = admin.open(&format!("/app/calendars/{id}")).await;
        let bad = admin.submit(&page.html, &action, &[(field, value)]).await;
        assert_eq!(bad.status, 422, "{field}={value}");
        assert!(bad.html.contains(words), "{field}={value}: {}", bad.html);
    }

    // A one-time link, for one guest.
    let page = admin.open(&format!("/app/calendars/{id}")).await;
    let made = admin
        .submit(
            &page.html,
            &format!("/app/calendars/{id}/one-time-link"),
            &[],
        )
        .await;
    assert_eq!(made.status, 303);
    let page = admin.open(&made.location.unwrap()).await;
    let at = page
        .html
        .find(&format!("{}/o/", app.base))
        .expect("the link shown");
    let link = &page.html[at..at + page.html[at..].find('"').unwrap()];
    assert_eq!(guest.open(link).await.status, 200);

    // The embed code, escaped in the page, as it is in the preview.
    let page = admin
        .open(&format!(
            "/app/calendars/{id}?embed=lightbox&text=Book+%3Cnow%3E&name=Ann+Lee"
        ))
        .await;
    assert!(
        page.html
            .contains("data-slotline-lightbox=&quot;/c/intro&quot;"),
        "{}",
        page.html
    );
    assert!(
        page.html.contains("Book &amp;lt;now&amp;gt;"),
        "the button's text escaped in the code"
    );
    let preview = admin
        .open(&format!(
            "/app/calendars/{id}/embed-preview?embed=lightbox&text=Book+%3Cnow%3E&name=Ann+Lee"
        ))
        .await;
    assert!(preview.html.contains("<button data-slotline-lightbox=\"/c/intro\" data-slotline-params=\"name=Ann+Lee\">Book &lt;now&gt;</button>"), "{}", preview.html);
    assert!(preview.headers["content-security-policy"]
        .to_str()
        .unwrap()
        .contains("frame-ancestors 'self'"));

    // A member sees the calendars they host, and changes none.
    let (mia_id, mut mia) = member(&app, "mia@test.example", "Member").await;
    let (s, theirs) = app
        .post(
            "/v2/booking-calendars",
            json!({"host": mia_id, "name": "Mia's calls"}),
        )
        .await;
    assert_eq!(s, 200);
    let list = mia.open("/app/calendars").await;
    assert!(
        list.html.contains("Mia&#39;s calls") || list.html.contains("Mia's calls"),
        "{}",
        list.html
    );
    assert!(!list.html.contains("Intro call"));
    assert_eq!(mia.open("/app/calendars/new").await.status, 403);
    assert_eq!(mia.open(&format!("/app/calendars/{id}")).await.status, 404);
    let own = mia
        .open(&format!(
            "/app/calendars/{}",
            theirs["id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(own.status, 200);
    assert!(
        !own.html.contains("name=\"durations\""),
        "no settings form for a member"
    );
    let fields = common::guest::form_fields(
        &own.html,
        &format!(
            "/app/calendars/{}/one-time-link",
            theirs["id"].as_str().unwrap()
        ),
    );
    assert_eq!(
        mia.post(
            &format!("/app/calendars/{}", theirs["id"].as_str().unwrap()),
            &fields
        )
        .await
        .status,
        403
    );
    assert_eq!(
        mia.post(
            &format!(
                "/app/calendars/{}/one-time-link",
                theirs["id"].as_str().unwrap()
            ),
            &fields
        )
        .await
        .status,
        303,
        "a member makes one-time links to their own calendars"
    );
    app.finish().await;
}
on_both!(an_admin_makes_a_booking_calendar_that_guests_book);

/// The session's CSRF token, read from any page's sign-out form.
pub(crate) async fn csrf(p: &mut Person) -> String {
    let page = p.open("/app/profile").await;
    common::guest::form_fields(&page.html, "/app/sign-out")
        .into_iter()
        .find(|(k, _)| k == "csrf")
        .unwrap()
        .1
}

async fn every_page_and_action_checks_the_role(backend: common::Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let mut owner_p = owner(&app).await;
    let (_, mut admin) = member(&app, "ada@test.example", "Administrator").await;
    let (_, mut manager) = member(&app, "tom@test.example", "Team Manager").await;
    let (mia_id, mut mia) = member(&app, "mia@test.example", "Member").await;
    let (target, _) = member(&app, "zed@test.example", "Member").await;
    let (_, cal) = app
        .post(
            "/v2/booking-calendars",
            json!({"host": app.owner_user_id, "name": "Owner calls", "slug": "owner-calls"}),
        )
        .await;
    let cal = cal["id"].as_str().unwrap().to_string();
    let (_, bp) = app
        .post(
            "/v2/booking-pages",
            json!({"owner": app.owner_user_id, "name": "Owner page", "slug": "owner-page"}),
        )
        .await;
    let bp = bp["id"].as_str().unwrap().to_string();
    let (_, mp) = app
        .post(
            "/v2/master-pages",
            json!({"name": "Owner master", "slug": "owner-master"}),
        )
        .await;
    let mp = mp["id"].as_str().unwrap().to_string();
    let (_, et) = app.post("/v2/event-types", json!({"name": "Demo"})).await;
    let et = et["id"].as_str().unwrap().to_string();
    let (_, wh) = app
        .post(
            "/v2/webhooks",
            json!({"name": "Owner hook", "url": "https://hooks.example/h", "events": ["booking"]}),
        )
        .await;
    let (wh, wh_secret) = (wh["id"].as_str().unwrap().to_string(), wh["secret"].clone());

    // (path, whether only the owner and administrators may open it)
    let pages = [
        ("/app/bookings".to_string(), false),
        ("/app/availability".to_string(), false),
        ("/app/calendars".to_string(), false),
        ("/app/profile".to_string(), false),
        ("/app/users".to_string(), true),
        ("/app/teams".to_string(), true),
        ("/app/custom-fields".to_string(), true),
        ("/app/calendars/new".to_string(), true),
        (format!("/app/calendars/{cal}"), true),
        (format!("/app/calendars/{cal}/embed-preview"), true),
        (format!("/app/availability?user={target}"), true),
        ("/app/pages".to_string(), false),
        ("/app/pages/new".to_string(), true),
        (format!("/app/pages/{bp}"), true),
        (format!("/app/pages/{bp}/embed-preview"), true),
        ("/app/master-pages".to_string(), true),
        ("/app/event-types".to_string(), true),
        ("/app/chatbots".to_string(), true),
        ("/app/api-keys".to_string(), true),
        ("/app/webhooks".to_string(), true),
        (format!("/app/webhooks/{wh}"), true),
        (format!("/app/webhooks/{wh}/deliveries"), true),
        ("/app/events".to_string(), true),
        ("/app/events/live".to_string(), true),
    ];
    for (who, p, admin_role) in [
        ("owner", &mut owner_p, true),
        ("administrator", &mut admin, true),
        ("team manager", &mut manager, false),
        ("member", &mut mia, false),
    ] {
        for (path, admins_only) in &pages {
            let status = p.open(path).await.status.as_u16();
            let expected_ok = admin_role || !admins_only;
            assert_eq!(status == 200, expected_ok, "{who} opening {path}: {status}");
            if !expected_ok {
                assert!(matches!(status, 403 | 404), "{who} {path}: {status}");
            }
        }
    }
    // Actions only the owner and administrators take: a member's and a manager's are refused
    // and change nothing.
    let actions: Vec<(String, Vec<(&str, &str)>)> = vec![
        (
            "/app/users/invite".into(),
            vec![
                ("email", "new@test.example"),
                ("first_name", "New"),
                ("last_name", "Person"),
                ("role", "Member"),
            ],
        ),
        (
            format!("/app/users/{target}/role"),
            vec![("role", "Administrator")],
        ),
        (format!("/app/users/{target}/remove"), vec![]),
        (
            "/app/calendars/new".into(),
            vec![("name", "Sneaky"), ("host", &mia_id)],
        ),
        (
            format!("/app/calendars/{cal}"),
            vec![
                ("name", "Renamed"),
                ("slug", "renamed"),
                ("durations", "30"),
                ("slot_interval_minutes", "30"),
                ("buffer_before_minutes", "0"),
                ("buffer_after_minutes", "0"),
                ("minimum_notice_minutes", "0"),
                ("booking_horizon_days", "30"),
            ],
        ),
        (
            format!("/app/pages/{bp}"),
            vec![
                ("name", "Renamed"),
                ("slug", "renamed-page"),
                ("owner", &app.owner_user_id),
                ("timezone", "UTC"),
                ("durations", "30"),
                ("slot_interval_minutes", "30"),
                ("buffer_before_minutes", "0"),
                ("buffer_after_minutes", "0"),
                ("minimum_notice_minutes", "0"),
                ("booking_horizon_days", "30"),
            ],
        ),
        (
            "/app/pages/new".into(),
            vec![("name", "Sneaky page"), ("owner", &mia_id)],
        ),
        (
            format!("/app/master-pages/{mp}"),
            vec![
                ("name", "Renamed"),
                ("slug", "renamed-master"),
                ("active", "on"),
            ],
        ),
        (format!("/app/master-pages/{mp}/one-time-link"), vec![]),
        (
            "/app/master-pages/new".into(),
            vec![("name", "Sneaky master")],
        ),
        (
            format!("/app/event-types/{et}"),
            vec![("name", "Renamed"), ("description", "")],
        ),
        ("/app/event-types/new".into(), vec![("name", "Sneaky type")]),
        ("/app/api-keys/new".into(), vec![("name", "Sneaky key")]),
        (
            "/app/webhooks/new".into(),
            vec![
                ("name", "Sneaky hook"),
                ("url", "https://sneaky.example/h"),
                ("ev.booking", "on"),
            ],
        ),
        (
            format!("/app/webhooks/{wh}"),
            vec![
                ("name", "Renamed hook"),
                ("url", "https://hooks.example/h"),
                ("ev.booking", "on"),
            ],
        ),
        (format!("/app/webhooks/{wh}/secret"), vec![]),
        (format!("/app/webhooks/{wh}/rotate"), vec![("grace", "0")]),
        (format!("/app/webhooks/{wh}/disable"), vec![]),
        (
            "/app/chatbots/websites/new".into(),
            vec![("name", "Sneaky site"), ("url", "https://sneaky.example")],
        ),
        (
            "/app/chatbots/bots/new".into(),
            vec![("name", "Sneaky bot"), ("owner", &mia_id)],
        ),
        (
            "/app/availability/hours".to_string(),
            vec![
                ("user", &app.owner_user_id),
                ("d0s0", "01:00"),
                ("d0e0", "02:00"),
            ],
        ),
    ];
    for (who, p) in [("team manager", &mut manager), ("member", &mut mia)] {
        let token = csrf(p).await;
        for (path, values) in &actions {
            let mut fields: Vec<(String, String)> = vec![("csrf".into(), token.clone())];
            fields.extend(values.iter().map(|(k, v)| (k.to_string(), v.to_string())));
            let status = p.post(path, &fields).await.status.as_u16();
            assert!(
                matches!(status, 403 | 404),
                "{who} posting {path}: {status}"
            );
        }
    }
    let (_, users) = app.get("/v2/users").await;
    assert!(
        !users["data"].to_string().contains("new@test.example"),
        "nobody was invited"
    );
    assert_eq!(
        app.get(&format!("/v2/users/{target}")).await.1["role_name"],
        "Member"
    );
    assert_eq!(
        app.get(&format!("/v2/booking-calendars/{cal}")).await.1["name"],
        "Owner calls"
    );
    assert_eq!(
        app.get(&format!("/v2/booking-pages/{bp}")).await.1["name"],
        "Owner page"
    );
    assert_eq!(
        app.get(&format!("/v2/master-pages/{mp}")).await.1["name"],
        "Owner master"
    );
    assert_eq!(
        app.get(&format!("/v2/event-types/{et}")).await.1["name"],
        "Demo"
    );
    let hook = app.get(&format!("/v2/webhooks/{wh}")).await.1;
    assert_eq!(
        (&hook["name"], &hook["status"], &hook["secret"]),
        (&json!("Owner hook"), &json!("enabled"), &wh_secret),
        "no change, no rotation, no switch-off"
    );
    for list in [
        "/v2/booking-pages",
        "/v2/master-pages",
        "/v2/event-types",
        "/v2/websites",
        "/v2/bots",
        "/v2/webhooks",
    ] {
        assert!(
            !app.get(list).await.1.to_string().contains("Sneaky"),
            "{list}"
        );
    }
    let (_, sched) = app
        .get(&format!(
            "/v2/users/{}/scheduling-availability",
            app.owner_user_id
        ))
        .await;
    assert_eq!(
        sched["weekly"][0]["working_hours"][0]["start_time"],
        "09:00"
    );
    // The same actions by an administrator go through.
    let token = csrf(&mut admin).await;
    for (path, values) in &actions {
        let mut fields: Vec<(String, String)> = vec![("csrf".into(), token.clone())];
        fields.extend(values.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        let answer = admin.post(path, &fields).await;
        // A new key's secret, a webhook's secret and a rotated one are shown in the answer
        // itself, never through a redirect.
        let done = if path == "/app/api-keys/new"
            || path.ends_with("/secret")
            || path.ends_with("/rotate")
        {
            200
        } else {
            303
        };
        assert_eq!(
            answer.status.as_u16(),
            done,
            "administrator posting {path}: {}",
            answer.html
        );
    }
    assert_eq!(
        app.get(&format!("/v2/booking-calendars/{cal}")).await.1["name"],
        "Renamed"
    );
    app.finish().await;
}
on_both!(every_page_and_action_checks_the_role);

async fn people_are_invited_and_managed_and_profiles_kept(backend: common::Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let mut admin = owner(&app).await;
    let page = admin.open("/app/users").await;
    assert!(page.html.contains("(you)"));
    let done = admin
        .submit(
            &page.html,
            "/app/users/invite",
            &[
                ("email", "leo@test.example"),
                ("first_name", "Leo"),
                ("last_name", "Lind"),
                ("role", "Team Manager"),
            ],
        )
        .await;
    assert_eq!(done.status, 303, "{}", done.html);
    let (_, found) = app.get("/v2/users?email=leo@test.example").await;
    let leo = found["data"][0]["id"].as_str().unwrap().to_string();
    assert_eq!(found["data"][0]["role_name"], "Team Manager");
    let mail = mail_to(&app, "leo@test.example", "You were added").await;
    let link = link_in(&mail, &app.base);
    // Bad input is said on the page, with what was typed kept.
    let page = admin.open("/app/users").await;
    let bad = admin
        .submit(
            &page.html,
            "/app/users/invite",
            &[
                ("email", "leo@test.example"),
                ("first_name", "Leo"),
                ("last_name", "Again"),
                ("role", "Member"),
            ],
        )
        .await;
    assert_eq!(bad.status, 422);
    assert!(bad.html.contains("Email already exists"), "{}", bad.html);
    assert!(bad.html.contains("value=\"Again\""));
    let bad = admin
        .submit(
            &page.html,
            "/app/users/invite",
            &[
                ("email", "x@test.example"),
                ("first_name", "<b>"),
                ("last_name", "X"),
                ("role", "Member"),
            ],
        )
        .await;
    assert_eq!(bad.status, 422);
    assert!(
        bad.html.contains("Invalid first name: &#39;&lt;b&gt;&#39;")
            || bad.html.contains("Invalid first name: '&lt;b&gt;'"),
        "{}",
        bad.html
    );
    let bad = admin
        .submit(
            &page.html,
            "/app/users/invite",
            &[
                ("email", "y@test.example"),
                ("first_name", "Y"),
                ("last_name", "Y"),
                ("role", "Account Owner"),
            ],
        )
        .await;
    assert_eq!(bad.status, 422);

    // Role, then removal: Leo's invitation no longer works and Leo is gone from the API's list.
    let page = admin.open("/app/users").await;
    let changed = admin
        .submit(
            &page.html,
            &format!("/app/users/{leo}/role"),
            &[("role", "Administrator")],
        )
        .await;
    assert_eq!(changed.status, 303);
    assert_eq!(
        app.get(&format!("/v2/users/{leo}")).await.1["role_name"],
        "Administrator"
    );
    let page = admin.open("/app/users").await;
    assert!(
        !page
            .html
            .contains(&format!("/app/users/{}/remove", app.owner_user_id)),
        "the owner cannot be removed"
    );
    let removed = admin
        .submit(&page.html, &format!("/app/users/{leo}/remove"), &[])
        .await;
    assert_eq!(removed.status, 303);
    assert_eq!(Person::new(&app.base).open(&link).await.status, 410);

    // The profile: name and meeting link, then the password (the current one first).
    let page = admin.open("/app/profile").await;
    let saved = admin
        .submit(
            &page.html,
            "/app/profile",
            &[
                ("first_name", "Olivia"),
                ("meeting_link", "https://meet.example.com/olivia"),
            ],
        )
        .await;
    assert_eq!(saved.status, 303, "{}", saved.html);
    assert_eq!(
        app.get(&format!("/v2/users/{}", app.owner_user_id)).await.1["first_name"],
        "Olivia"
    );
    let (_, link) = app
        .get(&format!("/v2/users/{}/meeting-link", app.owner_user_id))
        .await;
    assert_eq!(link["url"], "https://meet.example.com/olivia");
    let bad = admin
        .submit(
            &page.html,
            "/app/profile",
            &[("meeting_link", "javascript:alert(1)")],
        )
        .await;
    assert_eq!(bad.status, 422);
    let (_, me) = app.get(&format!("/v2/users/{}", app.owner_user_id)).await;
    let mut elsewhere = Person::new(&app.base);
    let signed = elsewhere.sign_in(me["email"].as_str().unwrap(), GOOD).await;
    assert_eq!(signed.status, 303);
    let page = admin.open("/app/profile").await;
    assert!(
        page.html.contains("signed in on 2 browsers"),
        "{}",
        page.html
    );
    let wrong = admin
        .submit(
            &page.html,
            "/app/profile/password",
            &[
                ("current", "not it at all"),
                ("password", "green teapot evening"),
                ("confirm", "green teapot evening"),
            ],
        )
        .await;
    assert_eq!(wrong.status, 422);
    assert!(wrong.html.contains("The current password is not right."));
    let page = admin.open("/app/profile").await;
    let changed = admin
        .submit(
            &page.html,
            "/app/profile/password",
            &[
                ("current", GOOD),
                ("password", "green teapot evening"),
                ("confirm", "green teapot evening"),
            ],
        )
        .await;
    assert_eq!(changed.status, 303, "{}", changed.html);
    assert_eq!(
        admin.open("/app/profile?saved=password").await.status,
        200,
        "this browser stays signed in"
    );
    assert_eq!(
        elsewhere.open("/app/bookings").await.status,
        303,
        "the others are signed out"
    );
    assert_eq!(
        Person::new(&app.base)
            .sign_in(me["email"].as_str().unwrap(), "green teapot evening")
            .await
            .status,
        303
    );
    app.finish().await;
}
on_both!(people_are_invited_and_managed_and_profiles_kept);

/// Monday 16 June's free start times on `cal`, as `HH:MM` UTC.
async fn monday(app: &TestApp, cal: &str) -> Vec<String> {
    let (_, v) = app
        .get(&format!("/v2/booking-calendars/{cal}/time-slots?start_time=2025-06-16T00:00:00Z&end_time=2025-06-16T23:59:59Z"))
        .await;
    v.as_array()
        .unwrap()
        .iter()
        .map(|s| s["start_time"].as_str().unwrap()[11..16].to_string())
        .collect()
}

async fn a_host_connects_calendars_in_the_app(backend: common::Backend) {
    let Some(dav) = common::caldav_server::CaldavServer::start().await else {
        return;
    };
    let Some(app) = TestApp::spawn_with(
        backend,
        common::Options {
            allow_http_webhooks: true,
            ..common::Options::default()
        },
    )
    .await
    else {
        return;
    };
    let (mia_id, mut mia) = member(&app, "mia@test.example", "Member").await;
    let cal = calendar_of(&app, &mia_id, false).await;
    assert!(
        monday(&app, &cal).await.contains(&"14:00".to_string()),
        "09:00 Chicago is free"
    );
    // Monday 09:00–10:00 in Chicago.
    let feed = common::feed::Feed::start(&common::feed::calendar(&[
        "UID:dentist@example\nDTSTART;TZID=America/New_York:20250616T100000\nDTEND;TZID=America/New_York:20250616T110000\nSUMMARY:Dentist",
    ]))
    .await;
    let page = mia.open("/app/calendar-connections").await;
    assert!(
        page.html.contains("No calendar connected yet."),
        "{}",
        page.html
    );
    let bad = mia
        .submit(
            &page.html,
            "/app/calendar-connections/add",
            &[("url", "ftp://example.com/cal.ics")],
        )
        .await;
    assert_eq!(bad.status, 422);
    assert!(bad.html.contains("Invalid url"), "{}", bad.html);
    let added = mia
        .submit(
            &page.html,
            "/app/calendar-connections/add",
            &[("url", &feed.url), ("name", "Personal")],
        )
        .await;
    assert_eq!(added.status, 303, "{}", added.html);
    let mut page = mia.open("/app/calendar-connections").await;
    for _ in 0..200 {
        if !page.html.contains("not yet") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        page = mia.open("/app/calendar-connections").await;
    }
    assert!(page.html.contains("Personal"), "{}", page.html);
    assert!(
        page.html.contains("<dd>1</dd>"),
        "one busy time held: {}",
        page.html
    );
    assert!(
        !monday(&app, &cal).await.contains(&"14:00".to_string()),
        "the feed's event blocks it"
    );
    let (_, list) = app
        .get(&format!("/v2/users/{mia_id}/calendar-connections"))
        .await;
    let id = list["data"][0]["id"].as_str().unwrap().to_string();
    assert_eq!(list["data"][0]["name"], "Personal");

    // No longer checked for conflicts: its busy time goes.
    let action = format!("/app/calendar-connections/{id}");
    let saved = mia
        .submit(
            &page.html,
            &action,
            &[("check_conflicts", ""), ("tentative_busy", "on")],
        )
        .await;
    assert_eq!(saved.status, 303, "{}", saved.html);
    assert!(monday(&app, &cal).await.contains(&"14:00".to_string()));
    let page = mia.open("/app/calendar-connections").await;
    let sync = mia.submit(&page.html, &format!("{action}/sync"), &[]).await;
    assert_eq!(sync.status, 303);
    // Another member cannot touch it.
    let (_, mut zed) = member(&app, "zed@test.example", "Member").await;
    let token = csrf(&mut zed).await;
    assert_eq!(
        zed.post(&format!("{action}/remove"), &[("csrf".into(), token)])
            .await
            .status,
        404
    );
    let removed = mia
        .submit(&page.html, &format!("{action}/remove"), &[])
        .await;
    assert_eq!(removed.status, 303);
    assert!(mia
        .open("/app/calendar-connections")
        .await
        .html
        .contains("No calendar connected yet."));

    // A CalDAV calendar that takes the bookings.
    dav.calendar("work", "Work", &["VEVENT"]).await;
    // The second form posting there is the CalDAV one.
    let token = csrf(&mut mia).await;
    let caldav = |password: &str, bookings: bool| {
        let mut f: Vec<(String, String)> = vec![
            ("csrf".into(), token.clone()),
            ("kind".into(), "caldav".into()),
            ("url".into(), dav.url("/")),
            ("username".into(), common::caldav_server::USER.into()),
            ("password".into(), password.into()),
            ("calendar_url".into(), String::new()),
        ];
        if bookings {
            f.push(("add_bookings".into(), "on".into()));
        }
        f
    };
    let added = mia
        .post(
            "/app/calendar-connections/add",
            &caldav(common::caldav_server::PASSWORD, true),
        )
        .await;
    assert_eq!(added.status, 303, "{}", added.html);
    let (_, list) = app
        .get(&format!("/v2/users/{mia_id}/calendar-connections"))
        .await;
    assert_eq!(list["data"][0]["type"], "caldav");
    assert_eq!(list["data"][0]["name"], "Work");
    assert_eq!(list["data"][0]["add_bookings"], true);
    let wrong = mia
        .post("/app/calendar-connections/add", &caldav("wrong", false))
        .await;
    assert_eq!(wrong.status, 422, "{}", wrong.html);
    app.finish().await;
}
on_both!(a_host_connects_calendars_in_the_app);

async fn an_admin_makes_teams_and_chooses_their_members(backend: common::Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let mut admin = owner(&app).await;
    let (mia_id, mut mia) = member(&app, "mia@test.example", "Member").await;
    let page = admin.open("/app/teams").await;
    assert_eq!(page.status, 200, "{}", page.html);
    let bad = admin
        .submit(&page.html, "/app/teams/new", &[("name", "   ")])
        .await;
    assert_eq!(bad.status, 422);
    assert!(bad.html.contains("Invalid name"), "{}", bad.html);
    let made = admin
        .submit(&page.html, "/app/teams/new", &[("name", "Sales")])
        .await;
    assert_eq!(made.status, 303);
    let (_, teams) = app.get("/v2/teams").await;
    let team = teams["data"][0]["id"].as_str().unwrap().to_string();
    assert_eq!(teams["data"][0]["name"], "Sales");

    // Members chosen on the page; the name changed with them.
    let page = admin.open("/app/teams").await;
    let action = format!("/app/teams/{team}");
    let mut fields = common::guest::form_fields(&page.html, &action);
    fields.retain(|(k, _)| k != "member" && k != "name");
    fields.push(("name".into(), "Sales EMEA".into()));
    fields.push(("member".into(), mia_id.clone()));
    fields.push(("member".into(), app.owner_user_id.clone()));
    let saved = admin.post(&action, &fields).await;
    assert_eq!(saved.status, 303, "{}", saved.html);
    assert_eq!(
        app.get(&format!("/v2/teams/{team}")).await.1["name"],
        "Sales EMEA"
    );
    assert_eq!(
        app.get(&format!("/v2/users/{mia_id}")).await.1["teams"],
        json!([team])
    );
    // A team calendar books its members.
    let (s, cal) = app
        .post(
            "/v2/booking-calendars",
            json!({"host": team, "name": "Sales calls"}),
        )
        .await;
    assert_eq!(s, 200, "{cal}");
    // Mia leaves the team.
    fields.retain(|(k, v)| !(k == "member" && *v == mia_id));
    assert_eq!(admin.post(&action, &fields).await.status, 303);
    assert_eq!(
        app.get(&format!("/v2/users/{mia_id}")).await.1["teams"],
        json!([])
    );
    // A member manages none.
    let token = csrf(&mut mia).await;
    assert_eq!(mia.open("/app/teams").await.status, 403);
    assert_eq!(
        mia.post(&format!("{action}/remove"), &[("csrf".into(), token)])
            .await
            .status,
        403
    );
    let page = admin.open("/app/teams").await;
    let removed = admin
        .submit(&page.html, &format!("{action}/remove"), &[])
        .await;
    assert_eq!(removed.status, 303);
    let (_, teams) = app.get("/v2/teams").await;
    assert_eq!(teams["data"], json!([]));
    app.finish().await;
}
on_both!(an_admin_makes_teams_and_chooses_their_members);

async fn an_invitation_can_be_sent_again_until_a_password_is_chosen(backend: common::Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let mut admin = owner(&app).await;
    let (leo, first) = invite(&app, "leo@test.example", "Member").await;
    let page = admin.open("/app/users").await;
    let again = format!("/app/users/{leo}/invite-again");
    assert!(page.html.contains(&again), "{}", page.html);
    let sent = admin.submit(&page.html, &again, &[]).await;
    assert_eq!(sent.status, 303, "{}", sent.html);
    // The second email carries a link of its own.
    let second = another_link(&app, "You were added", &first)
        .await
        .expect("a second invitation");
    let mut leo_p = Person::new(&app.base);
    let page = leo_p.open(&second).await;
    let done = leo_p
        .submit(
            &page.html,
            &second,
            &[("password", GOOD), ("confirm", GOOD)],
        )
        .await;
    assert_eq!(done.status, 303, "{}", done.html);
    assert_eq!(
        leo_p.open(&first).await.status,
        410,
        "the first link is used up too"
    );
    let page = admin.open("/app/users").await;
    assert!(
        !page.html.contains(&again),
        "signed up: nothing to send again"
    );
    app.finish().await;
}
on_both!(an_invitation_can_be_sent_again_until_a_password_is_chosen);

async fn an_admin_keeps_the_field_library(backend: common::Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let mut admin = owner(&app).await;
    let page = admin.open("/app/custom-fields").await;
    assert!(page.html.contains("No custom fields yet."), "{}", page.html);
    let bad = admin
        .submit(
            &page.html,
            "/app/custom-fields/new",
            &[("name", "Bad Name"), ("label", "Industry")],
        )
        .await;
    assert_eq!(bad.status, 422);
    assert!(
        bad.html
            .contains("Use lowercase letters, digits and underscores."),
        "{}",
        bad.html
    );
    assert!(
        bad.html.contains("value=\"Industry\""),
        "what was typed is kept"
    );
    let added = admin
        .submit(
            &page.html,
            "/app/custom-fields/new",
            &[("name", "industry"), ("label", "Industry")],
        )
        .await;
    assert_eq!(added.status, 303, "{}", added.html);
    let (_, fields) = app.get("/v2/custom-fields").await;
    assert!(fields.to_string().contains("\"industry\""), "{fields}");
    let again = admin
        .submit(
            &page.html,
            "/app/custom-fields/new",
            &[("name", "industry"), ("label", "Again")],
        )
        .await;
    assert_eq!(again.status, 422, "a name is taken once");
    let page = admin.open("/app/custom-fields").await;
    let removed = admin
        .submit(&page.html, "/app/custom-fields/industry/remove", &[])
        .await;
    assert_eq!(removed.status, 303);
    assert!(admin
        .open("/app/custom-fields")
        .await
        .html
        .contains("No custom fields yet."));
    app.finish().await;
}
on_both!(an_admin_keeps_the_field_library);

async fn an_admin_sets_up_event_types_master_pages_and_booking_pages(backend: common::Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let mut admin = owner(&app).await;
    let guest = common::guest::Guest::new(&app.base);

    // Event types: made, renamed, refused without a name, through the API's service.
    let page = admin.open("/app/event-types").await;
    assert_eq!(page.status, 200, "{}", page.html);
    let made = admin
        .submit(
            &page.html,
            "/app/event-types/new",
            &[("name", "Demo"), ("description", "A look at <the> product")],
        )
        .await;
    assert_eq!(made.status, 303, "{}", made.html);
    let (_, types) = app.get("/v2/event-types").await;
    assert_eq!(types["data"][0]["name"], "Demo");
    assert_eq!(types["data"][0]["description"], "A look at <the> product");
    let et = types["data"][0]["id"].as_str().unwrap().to_string();
    let page = admin.open("/app/event-types").await;
    assert!(
        page.html.contains("A look at &lt;the&gt; product"),
        "escaped"
    );
    let action = format!("/app/event-types/{et}");
    let renamed = admin
        .submit(&page.html, &action, &[("name", "Product demo")])
        .await;
    assert_eq!(renamed.status, 303);
    assert_eq!(
        app.get(&format!("/v2/event-types/{et}")).await.1["name"],
        "Product demo"
    );
    let page = admin.open("/app/event-types").await;
    let bad = admin.submit(&page.html, &action, &[("name", " ")]).await;
    assert_eq!(bad.status, 422);
    assert!(bad.html.contains("Give a name"), "{}", bad.html);

    // A master page, with a one-time link a guest opens.
    let page = admin.open("/app/master-pages").await;
    let made = admin
        .submit(&page.html, "/app/master-pages/new", &[("name", "Our team")])
        .await;
    assert_eq!(made.status, 303, "{}", made.html);
    let (_, masters) = app.get("/v2/master-pages").await;
    assert_eq!(
        masters["data"][0]["url"],
        format!("{}/m/our-team", app.base)
    );
    let mp = masters["data"][0]["id"].as_str().unwrap().to_string();

    // A booking page for the owner, then all of its settings.
    let page = admin.open("/app/pages/new").await;
    let made = admin
        .submit(
            &page.html,
            "/app/pages/new",
            &[("name", "Consultation"), ("owner", &app.owner_user_id)],
        )
        .await;
    assert_eq!(made.status, 303, "{}", made.html);
    let at = made.location.unwrap();
    assert!(
        at.starts_with("/app/pages/BP-") && at.ends_with("?saved=created"),
        "{at}"
    );
    let bp = at
        .trim_start_matches("/app/pages/")
        .trim_end_matches("?saved=created")
        .to_string();
    let (_, got) = app.get(&format!("/v2/booking-pages/{bp}")).await;
    assert_eq!(got["url"], format!("{}/p/consultation", app.base));
    assert_eq!(got["timezone"], "America/Chicago", "the owner's zone");
    assert_eq!(guest.open("/p/consultation").await.status, 200);

    let page = admin.open(&at).await;
    assert!(page.html.contains(&format!("{}/p/consultation", app.base)));
    let action = format!("/app/pages/{bp}");
    let saved = admin
        .submit(
            &page.html,
            &action,
            &[
                ("label", "Book a consultation"),
                ("timezone", "Europe/Paris"),
                ("master_page", &mp),
                ("event_type", &et),
                ("durations", "60"),
                ("slot_interval_minutes", "60"),
                ("q0_label", "What would you like to discuss?"),
                ("q0_type", "multi_line"),
            ],
        )
        .await;
    assert_eq!(saved.status, 303, "{}", saved.html);
    let (_, got) = app.get(&format!("/v2/booking-pages/{bp}")).await;
    assert_eq!(got["label"], "Book a consultation");
    assert_eq!(got["timezone"], "Europe/Paris");
    let (_, settings) = app.get(&format!("/v2/booking-pages/{bp}/settings")).await;
    assert_eq!(settings["durations"], json!([60]));
    assert_eq!(
        settings["questions"][0]["name"],
        "what_would_you_like_to_discuss"
    );
    let (_, on_master) = app
        .get(&format!("/v2/booking-pages?master_page={mp}"))
        .await;
    assert_eq!(
        on_master["data"][0]["id"],
        bp.as_str(),
        "listed on the master page"
    );
    let (_, offering) = app.get(&format!("/v2/booking-pages?event_type={et}")).await;
    assert_eq!(
        offering["data"][0]["id"],
        bp.as_str(),
        "offers the event type"
    );
    let listing = guest.open("/m/our-team").await;
    assert!(
        listing.html.contains("Book a consultation"),
        "{}",
        listing.html
    );
    // Saved again as shown, nothing changes.
    let page = admin.open(&action).await;
    assert_eq!(admin.submit(&page.html, &action, &[]).await.status, 303);
    assert_eq!(
        app.get(&format!("/v2/booking-pages/{bp}/settings")).await.1,
        settings
    );
    assert_eq!(
        app.get(&format!("/v2/booking-pages?event_type={et}"))
            .await
            .1["data"][0]["id"],
        bp.as_str()
    );
    for (field, value, words) in [
        ("slug", "Bad Slug", "Invalid address"),
        ("timezone", "Mars/Base", "Unknown time zone"),
        ("owner", "USR-NOSUCHUSER", "No such user"),
        ("durations", "7", "durations"),
    ] {
        let page = admin.open(&action).await;
        let bad = admin.submit(&page.html, &action, &[(field, value)]).await;
        assert_eq!(bad.status, 422, "{field}={value}");
        assert!(bad.html.contains(words), "{field}={value}: {}", bad.html);
    }

    // The master page's one-time link leads to the page.
    let page = admin.open("/app/master-pages").await;
    let made = admin
        .submit(
            &page.html,
            &format!("/app/master-pages/{mp}/one-time-link"),
            &[],
        )
        .await;
    assert_eq!(made.status, 303, "{}", made.html);
    let page = admin.open(&made.location.unwrap()).await;
    let at = page
        .html
        .find(&format!("{}/o/", app.base))
        .expect("the link shown");
    let link = &page.html[at..at + page.html[at..].find('"').unwrap()];
    let opened = guest.open(link).await;
    assert_eq!(opened.status, 200);
    assert!(
        opened.html.contains("Book a consultation"),
        "{}",
        opened.html
    );

    // Its embed code names its public page.
    let page = admin.open(&format!("{action}?embed=inline&name=Ann")).await;
    assert!(
        page.html
            .contains("data-slotline=&quot;/p/consultation&quot;"),
        "{}",
        page.html
    );
    let preview = admin
        .open(&format!("{action}/embed-preview?embed=inline"))
        .await;
    assert!(
        preview
            .html
            .contains("<div data-slotline=\"/p/consultation\">"),
        "{}",
        preview.html
    );

    // A member sees their own pages only, and changes none.
    let (mia_id, mut mia) = member(&app, "mia@test.example", "Member").await;
    let (_, theirs) = app
        .post(
            "/v2/booking-pages",
            json!({"owner": mia_id, "name": "Mia's page", "slug": "mia-page"}),
        )
        .await;
    let list = mia.open("/app/pages").await;
    assert_eq!(list.status, 200);
    assert!(list.html.contains("/p/mia-page"), "{}", list.html);
    assert!(!list.html.contains("/p/consultation"));
    let own = mia
        .open(&format!("/app/pages/{}", theirs["id"].as_str().unwrap()))
        .await;
    assert_eq!(own.status, 200);
    assert!(
        !own.html.contains("name=\"durations\""),
        "no settings form for a member"
    );
    assert_eq!(mia.open(&action).await.status, 404);

    // Removed: the public page is gone, the API shows it deleted.
    let page = admin.open(&action).await;
    let removed = admin
        .submit(&page.html, &format!("{action}/remove"), &[])
        .await;
    assert_eq!(removed.status, 303);
    assert_eq!(guest.open("/p/consultation").await.status, 404);
    let (_, gone) = app.get(&format!("/v2/booking-pages/{bp}")).await;
    assert_eq!(gone["deleted"], true, "{gone}");
    let page = admin.open("/app/event-types").await;
    let removed = admin
        .submit(&page.html, &format!("/app/event-types/{et}/remove"), &[])
        .await;
    assert_eq!(removed.status, 303);
    assert_eq!(
        app.get(&format!("/v2/event-types/{et}")).await.1["deleted"],
        true
    );
    app.finish().await;
}
on_both!(an_admin_sets_up_event_types_master_pages_and_booking_pages);

async fn an_admin_sets_up_websites_bots_and_audiences(backend: common::Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let mut admin = owner(&app).await;
    let (_, cal) = app
        .post(
            "/v2/booking-calendars",
            json!({"host": app.owner_user_id, "name": "Sales call", "slug": "sales-call"}),
        )
        .await;
    let cal = cal["id"].as_str().unwrap().to_string();

    // A website, with the code for its pages.
    let page = admin.open("/app/chatbots").await;
    assert_eq!(page.status, 200, "{}", page.html);
    let bad = admin
        .submit(
            &page.html,
            "/app/chatbots/websites/new",
            &[("name", "Star"), ("url", "nope")],
        )
        .await;
    assert_eq!(bad.status, 422);
    assert!(bad.html.contains("full http(s) URL"), "{}", bad.html);
    let made = admin
        .submit(
            &page.html,
            "/app/chatbots/websites/new",
            &[
                ("name", "Star"),
                ("url", "https://www.example.com"),
                ("allowed_origins", "https://shop.example.com\r\n"),
            ],
        )
        .await;
    assert_eq!(made.status, 303, "{}", made.html);
    let (_, sites) = app.get("/v2/websites").await;
    let site = &sites["data"][0];
    assert_eq!(site["allowed_origins"], json!(["https://shop.example.com"]));
    let web = site["id"].as_str().unwrap().to_string();
    let page = admin.open("/app/chatbots").await;
    assert!(
        page.html.contains(&format!("widget.js?website_id={web}")),
        "{}",
        page.html
    );

    // A bot starts with a flow, then its steps are changed in the form.
    let made = admin
        .submit(
            &page.html,
            "/app/chatbots/bots/new",
            &[("name", "Qualifier"), ("owner", &app.owner_user_id)],
        )
        .await;
    assert_eq!(made.status, 303, "{}", made.html);
    let at = made.location.unwrap();
    let bot = at
        .trim_start_matches("/app/chatbots/bots/")
        .trim_end_matches("?saved=created")
        .to_string();
    assert_eq!(
        app.get(&format!("/v2/bots/{bot}")).await.1["flow"]["steps"]
            .as_array()
            .unwrap()
            .len(),
        3
    );
    let action = format!("/app/chatbots/bots/{bot}");
    let page = admin.open(&at).await;
    let saved = admin
        .submit(
            &page.html,
            &action,
            &[
                ("s1_id", "interested"),
                ("s1_type", "single_choice"),
                ("s1_text", "Shall we talk?"),
                ("s1_options", "Yes -> book\r\nNo"),
                ("s1_maps_to", ""),
                ("s3_id", "book"),
                ("s3_type", "schedule"),
                ("s3_text", "Pick a time"),
                ("s3_calendar", &cal),
            ],
        )
        .await;
    assert_eq!(saved.status, 303, "{}", saved.html);
    let (_, got) = app.get(&format!("/v2/bots/{bot}")).await;
    assert_eq!(
        got["flow"],
        json!({"steps": [
            {"id": "hello", "type": "message", "text": "Hi! Can we help you?"},
            {"id": "interested", "type": "single_choice", "text": "Shall we talk?",
             "options": [{"label": "Yes", "next": "book"}, {"label": "No"}]},
            {"id": "bye", "type": "end", "text": "Thank you, we will be in touch."},
            {"id": "book", "type": "schedule", "text": "Pick a time", "booking_calendar": cal},
        ]}),
        "{got}"
    );
    // Saved as shown, the flow stays; a broken one is refused with the domain's words.
    let page = admin.open(&action).await;
    assert_eq!(admin.submit(&page.html, &action, &[]).await.status, 303);
    assert_eq!(
        app.get(&format!("/v2/bots/{bot}")).await.1["flow"],
        got["flow"]
    );
    for (field, value, words) in [
        ("s1_options", "", "single choice needs"),
        ("s0_next", "nowhere", "No step"),
        ("s1_id", "Bad Id", "Invalid step id"),
    ] {
        let page = admin.open(&action).await;
        let bad = admin.submit(&page.html, &action, &[(field, value)]).await;
        assert_eq!(bad.status, 422, "{field}={value}");
        assert!(bad.html.contains(words), "{field}={value}: {}", bad.html);
    }

    // An audience puts the bot on the pricing pages.
    let page = admin.open("/app/chatbots").await;
    let made = admin
        .submit(
            &page.html,
            "/app/chatbots/audiences/new",
            &[
                ("name", "Pricing visitors"),
                ("website", &web),
                ("bot", &bot),
                ("pages", "/pricing"),
                ("reach_out_after_seconds", "20"),
            ],
        )
        .await;
    assert_eq!(made.status, 303, "{}", made.html);
    let (_, audiences) = app.get("/v2/audiences").await;
    let a = &audiences["data"][0];
    assert_eq!(
        (
            a["bot"].as_str(),
            a["website"].as_str(),
            &a["pages"],
            &a["reach_out_after_seconds"]
        ),
        (
            Some(bot.as_str()),
            Some(web.as_str()),
            &json!(["/pricing"]),
            &json!(20)
        )
    );
    let page = admin.open("/app/chatbots").await;
    let bad = admin
        .submit(
            &page.html,
            "/app/chatbots/audiences/new",
            &[("name", "Bad"), ("pages", "pricing")],
        )
        .await;
    assert_eq!(bad.status, 422);
    assert!(bad.html.contains("Pages are paths"), "{}", bad.html);

    // Removed, each is gone from the API.
    let audience = a["id"].as_str().unwrap().to_string();
    for (path, api) in [
        (
            format!("/app/chatbots/audiences/{audience}/remove"),
            format!("/v2/audiences/{audience}"),
        ),
        (
            format!("/app/chatbots/bots/{bot}/remove"),
            format!("/v2/bots/{bot}"),
        ),
        (
            format!("/app/chatbots/websites/{web}/remove"),
            format!("/v2/websites/{web}"),
        ),
    ] {
        let token = csrf(&mut admin).await;
        let done = admin.post(&path, &[("csrf".to_string(), token)]).await;
        assert_eq!(done.status, 303, "{path}");
        assert_eq!(app.get(&api).await.1["deleted"], true, "{api}");
    }
    app.finish().await;
}
on_both!(an_admin_sets_up_websites_bots_and_audiences);

async fn an_admin_makes_uses_and_revokes_api_keys(backend: common::Backend) {
    let opts = common::Options {
        sweep_ms: 100,
        ..common::Options::default()
    };
    let Some(app) = TestApp::spawn_with(backend, opts).await else {
        return;
    };
    let mut admin = owner(&app).await;
    let page = admin.open("/app/api-keys").await;
    assert_eq!(page.status, 200, "{}", page.html);
    let bad = admin
        .submit(&page.html, "/app/api-keys/new", &[("name", "  ")])
        .await;
    assert_eq!(bad.status, 422);
    assert!(bad.html.contains("Give the key a name"), "{}", bad.html);

    // Made: the secret is in the answer, once, and never cached.
    let made = admin
        .submit(&page.html, "/app/api-keys/new", &[("name", "CRM <sync>")])
        .await;
    assert_eq!(made.status, 200, "{}", made.html);
    assert_eq!(made.headers["cache-control"], "no-store");
    assert!(made.html.contains("CRM &lt;sync&gt;"), "escaped");
    let at = made.html.find("id=\"secret\"").expect("the secret shown");
    let field = &made.html[at..at + made.html[at..].find('>').unwrap()];
    let v = field.find("value=\"").unwrap() + 7;
    let secret = field[v..v + field[v..].find('"').unwrap()].to_string();
    assert!(secret.len() > 20, "{secret}");
    let again = admin.open("/app/api-keys").await;
    assert!(!again.html.contains(&secret), "shown once only");
    assert!(again.html.contains("never"), "not used yet: {}", again.html);

    // A program uses it; the sweeper writes when, and the page shows it.
    let http = reqwest::Client::new();
    let used = http
        .get(format!("{}/v2/test", app.base))
        .header("API-Key", &secret)
        .send()
        .await
        .unwrap();
    assert_eq!(used.status(), 200);
    let mut shown = false;
    for _ in 0..100 {
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        let page = admin.open("/app/api-keys").await;
        let row = &page.html[page.html.find("CRM &lt;sync&gt;").unwrap()..];
        let row = &row[..row.find("</tr>").unwrap()];
        if !row.contains("never") {
            shown = true;
            break;
        }
    }
    assert!(shown, "the last use is written within a few sweeps");

    // Revoked: the key stops working at once.
    let page = admin.open("/app/api-keys").await;
    // The test's own key is listed too: revoke the one just made, in its row.
    let row = page.html[..page.html.find("CRM &lt;sync&gt;").unwrap()]
        .rfind("<tr>")
        .unwrap();
    let row = &page.html[row..];
    let action = row
        .split("action=\"")
        .nth(1)
        .map(|s| s[..s.find('"').unwrap()].to_string())
        .unwrap();
    assert!(action.ends_with("/revoke"), "{action}");
    let done = admin.submit(&page.html, &action, &[]).await;
    assert_eq!(done.status, 303, "{}", done.html);
    let refused = http
        .get(format!("{}/v2/test", app.base))
        .header("API-Key", &secret)
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 401);
    assert!(
        admin.open("/app/api-keys").await.html.contains("revoked "),
        "the page says so"
    );
    // The test's own key still works: only that one was revoked.
    assert_eq!(app.get("/v2/test").await.0, 200);

    // Members neither see nor make keys.
    let (_, mut mia) = member(&app, "mia@test.example", "Member").await;
    assert_eq!(mia.open("/app/api-keys").await.status, 403);
    let token = csrf(&mut mia).await;
    let tried = mia
        .post(
            "/app/api-keys/new",
            &[("csrf".into(), token), ("name".into(), "Sneaky".into())],
        )
        .await;
    assert_eq!(tried.status, 403);
    assert!(!admin.open("/app/api-keys").await.html.contains("Sneaky"));
    app.finish().await;
}
on_both!(an_admin_makes_uses_and_revokes_api_keys);
