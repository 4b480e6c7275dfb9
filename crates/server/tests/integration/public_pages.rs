//! The public booking pages over HTTP, as a browser without script sees them: booking from a
//! calendar, a classic page, a master page and a one-time link; prefill and skip; source tags;
//! the redirect with booking data; the embed data handed to the page's script; cancel and
//! reschedule through the guest's token; and the guards (CSRF token, origin, rate limit,
//! escaping, embedding restriction). The browser itself is driven in `browser.rs`.

use crate::common;

use common::{
    guest::{frame_data, hidden_fields, input, param, params, slot_links, Guest},
    Options, TestApp,
};
use serde_json::{json, Value};

// The test clock stands at Sunday 2025-06-15 15:06:40 UTC; the owner works Mon–Fri 09:00–17:00
// America/Chicago, so Monday's first free time is 14:00 UTC.
const MONDAY_9AM_MS: i64 = 1_750_082_400_000;

async fn calendar(app: &TestApp, slug: &str, settings: Value) -> String {
    let mut s = json!({"minimum_notice_minutes": 0});
    s.as_object_mut()
        .unwrap()
        .extend(settings.as_object().unwrap().clone());
    let (st, c) = app
        .post(
            "/v2/booking-calendars",
            json!({"host": app.owner_user_id, "name": "Olive", "subject": "Meet Olive", "slug": slug, "settings": s}),
        )
        .await;
    assert_eq!(st, 200, "{c}");
    c["id"].as_str().unwrap().to_string()
}

/// The form's fields with the guest's answers in place of what was there.
fn with(fields: &[(String, String)], answers: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = fields
        .iter()
        .filter(|(k, _)| !answers.iter().any(|(a, _)| a == k))
        .cloned()
        .collect();
    out.extend(answers.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    out
}

async fn event_types_written(app: &TestApp) -> Vec<String> {
    let rows: Vec<(String,)> = sqlx::query_as("SELECT type FROM events ORDER BY seq")
        .fetch_all(&mut *app.db.reader().await.unwrap())
        .await
        .unwrap();
    rows.into_iter().map(|r| r.0).collect()
}

/// Picks the first free time on `path`, fills the form with `answers`, posts it.
async fn book_first(guest: &Guest, path: &str, answers: &[(&str, &str)]) -> common::guest::Answer {
    let page = guest.open(path).await;
    assert_eq!(page.status, 200, "{}", page.html);
    let slot = slot_links(&page.html)
        .into_iter()
        .next()
        .expect("a free time");
    let form = guest.open(&slot).await;
    assert_eq!(form.status, 200, "{}", form.html);
    let action = path.split('?').next().unwrap();
    guest
        .post(action, &with(&hidden_fields(&form.html), answers))
        .await
}

async fn a_guest_books_on_a_calendar_page(app: &TestApp) {
    let cal = calendar(app, "olive", json!({})).await;
    let guest = Guest::new(&app.base);
    let page = guest
        .open("/c/olive?utm_source=newsletter&utm_campaign=june")
        .await;
    assert_eq!(page.status, 200);
    let links = slot_links(&page.html);
    assert_eq!(
        links.len(),
        16 * 5,
        "Monday to Friday, 09:00–17:00 Chicago, every half hour"
    );
    assert!(
        links[0].contains(&format!("sl.slot={MONDAY_9AM_MS}")),
        "{}",
        links[0]
    );
    let data = frame_data(&page.html);
    assert_eq!(data["events"][0]["type"], "oncehub.booking_calendar.loaded");
    assert_eq!(data["events"][0]["payload"]["id"], cal.as_str());
    assert_eq!(
        data["events"][0]["payload"]["url"],
        format!("{}/c/olive", app.base)
    );
    assert_eq!(data["origin"], Value::Null, "not embedded: nobody to tell");
    assert_eq!(
        guest.open(&format!("/c/{cal}")).await.status,
        200,
        "the id works as well as the slug"
    );

    let form = guest.open(&links[0]).await;
    let data = frame_data(&form.html);
    assert_eq!(
        data["events"][0]["type"],
        "oncehub.booking_calendar.time_slot_selected"
    );
    assert_eq!(
        data["events"][0]["payload"]["starting_time"],
        "2025-06-16T14:00:00.000Z"
    );
    let done = guest
        .post(
            "/c/olive",
            &with(
                &hidden_fields(&form.html),
                &[("name", "Carrie Customer"), ("email", "carrie@example.com")],
            ),
        )
        .await;
    assert_eq!(done.status, 303, "{}", done.html);
    let confirmation = done.location.unwrap();
    assert!(
        confirmation.starts_with("/b/") && confirmation.ends_with("?sl.new=1"),
        "{confirmation}"
    );

    let (_, list) = app.get("/v2/bookings?expand=data.contact").await;
    let b = &list["data"][0];
    assert_eq!(b["starting_time"], "2025-06-16T14:00:00.000Z");
    assert_eq!(b["status"], "scheduled");
    assert_eq!(b["customer_timezone"], "UTC");
    assert_eq!(
        b["utm_params"],
        json!({"source": "newsletter", "medium": null, "campaign": "june", "term": null, "content": null})
    );
    assert_eq!(b["contact"]["email"], "carrie@example.com");
    assert_eq!(
        event_types_written(app).await,
        ["booking.scheduled"],
        "the same event as the API's schedule"
    );

    let shown = guest.open(&confirmation).await;
    assert!(shown.html.contains("You are booked."));
    assert!(shown.html.contains("Monday 16 June 2025, 14:00"));
    let data = frame_data(&shown.html);
    let e = &data["events"][0];
    assert_eq!(e["type"], "oncehub.booking.scheduled");
    assert_eq!(e["payload"]["id"], b["id"]);
    assert_eq!(e["payload"]["utm_source"], "newsletter");
    assert_eq!(e["payload"]["utm_params"]["campaign"], "june");
    assert_eq!(e["payload"]["cancel_url"], b["cancel_url"]);
    assert_eq!(data["redirect"], Value::Null);
    let later = guest.open(confirmation.split('?').next().unwrap()).await;
    assert!(
        frame_data(&later.html)["events"]
            .as_array()
            .unwrap()
            .is_empty(),
        "events fire once, right after booking"
    );

    let ics = guest
        .open(&format!("{}.ics", confirmation.split('?').next().unwrap()))
        .await;
    assert_eq!(ics.headers["content-type"], "text/calendar; charset=utf-8");
    assert!(
        ics.html.contains("DTSTART:20250616T140000Z\r\n")
            && ics.html.contains("SUMMARY:Meet Olive\r\n"),
        "{}",
        ics.html
    );

    // The same time again: refused with the form kept, and no second booking.
    let again = guest.open(&links[0]).await;
    assert_eq!(again.status, 409, "the time is gone");
    let page = guest.open("/c/olive").await;
    assert_eq!(slot_links(&page.html).len(), 16 * 5 - 1);
}
both_backends!(
    a_guest_books_on_a_calendar_page,
    a_guest_books_on_a_calendar_page
);

async fn a_taken_time_keeps_the_form_and_says_why(app: &TestApp) {
    calendar(
        app,
        "olive",
        json!({"questions": [{"name": "meeting_reason", "label": "Why", "required": true}]}),
    )
    .await;
    let guest = Guest::new(&app.base);
    let page = guest.open("/c/olive").await;
    let slot = slot_links(&page.html).remove(0);
    let form_a = guest.open(&slot).await;
    let form_b = guest.open(&slot).await;
    let missing = guest
        .post(
            "/c/olive",
            &with(
                &hidden_fields(&form_a.html),
                &[("name", "A"), ("email", "a@example.com")],
            ),
        )
        .await;
    assert_eq!(missing.status, 422);
    assert!(
        missing
            .html
            .contains("Please fill in every required field."),
        "{}",
        missing.html
    );
    assert_eq!(
        input(&missing.html, "email").as_deref(),
        Some("a@example.com"),
        "what the guest typed is kept"
    );
    // Each refusal shows the form again with a fresh token: a token is good for one post.
    let bad = guest
        .post(
            "/c/olive",
            &with(
                &hidden_fields(&missing.html),
                &[("name", "A"), ("email", "nope"), ("meeting_reason", "x")],
            ),
        )
        .await;
    assert!(
        bad.html.contains("Invalid email format: &#39;nope&#39;")
            || bad.html.contains("Invalid email format: 'nope'"),
        "{}",
        bad.html
    );
    let ok = guest
        .post(
            "/c/olive",
            &with(
                &hidden_fields(&bad.html),
                &[
                    ("name", "A"),
                    ("email", "a@example.com"),
                    ("meeting_reason", "x"),
                ],
            ),
        )
        .await;
    assert_eq!(ok.status, 303);
    let late = guest
        .post(
            "/c/olive",
            &with(
                &hidden_fields(&form_b.html),
                &[
                    ("name", "B"),
                    ("email", "b@example.com"),
                    ("meeting_reason", "y"),
                ],
            ),
        )
        .await;
    assert_eq!(late.status, 409);
    assert!(
        late.html.contains("that time was just taken"),
        "{}",
        late.html
    );
    let (_, list) = app.get("/v2/bookings").await;
    assert_eq!(list["data"].as_array().unwrap().len(), 1);
}
both_backends!(
    a_taken_time_keeps_the_form_and_says_why,
    a_taken_time_keeps_the_form_and_says_why
);

async fn prefill_hide_and_skip(app: &TestApp) {
    calendar(
        app,
        "olive",
        json!({"questions": [{"name": "meeting_reason", "label": "Meeting reason", "required": true},
                             {"name": "team_size", "label": "Team size", "type": "single_select", "options": ["Small", "Large"]}],
               "standard_fields": [{"name": "company"}]}),
    )
    .await;
    let guest = Guest::new(&app.base);
    let q = "Name=Carrie%20Customer&EMAIL=carrie@example.com&company=Acme&meeting_reason=Demo&team_size=large&iana_time_zone=Europe/Paris";
    let page = guest.open(&format!("/c/olive?{q}")).await;
    let first = slot_links(&page.html).remove(0);
    assert!(
        page.html
            .contains("<option value=\"Europe/Paris\" selected>"),
        "the zone comes from the URL"
    );
    assert!(
        page.html.contains(">16:00<"),
        "times shown in the guest's zone: 09:00 Chicago is 16:00 Paris"
    );
    let form = guest.open(&first).await;
    assert_eq!(
        input(&form.html, "name").as_deref(),
        Some("Carrie Customer"),
        "keys are case-insensitive"
    );
    assert_eq!(
        input(&form.html, "email").as_deref(),
        Some("carrie@example.com")
    );
    assert_eq!(input(&form.html, "company").as_deref(), Some("Acme"));
    assert!(
        form.html.contains("<option value=\"Large\" selected>"),
        "select options match case-insensitively"
    );
    assert!(
        form.html.contains("id=\"f-name\""),
        "prefilled questions are shown (and editable) by default"
    );

    // skip=1 with every required answer: no form, one button that books.
    let skip = guest.open(&format!("/c/olive?{q}&skip=1")).await;
    let form = guest.open(&slot_links(&skip.html)[0]).await;
    assert!(!form.html.contains("id=\"f-name\""), "the form is skipped");
    assert!(form
        .html
        .contains("Booking for <strong>Carrie Customer</strong>"));
    let done = guest.post("/c/olive", &hidden_fields(&form.html)).await;
    assert_eq!(done.status, 303, "{}", done.html);
    let (_, list) = app.get("/v2/bookings").await;
    let b = &list["data"][0];
    assert_eq!(b["customer_timezone"], "Europe/Paris");
    assert_eq!(b["form_submission"]["company"], "Acme");
    assert_eq!(
        b["custom_fields"],
        json!([{"name": "meeting_reason", "value": "Demo"}, {"name": "team_size", "value": "Large"}])
    );

    // skip=1 without a required answer: the form is shown, prefilled.
    let partial = guest
        .open("/c/olive?skip=1&name=A&email=a@example.com")
        .await;
    let form = guest.open(&slot_links(&partial.html)[0]).await;
    assert!(
        form.html.contains("id=\"f-meeting_reason\""),
        "missing required answers bring the form back"
    );

    // The page may hide prefilled questions: they travel as hidden fields.
    let (_, cals) = app.get("/v2/booking-calendars").await;
    let id = cals["data"][0]["id"].as_str().unwrap().to_string();
    let (s, _) = app
        .patch(
            &format!("/v2/booking-calendars/{id}/settings"),
            json!({"hide_prefilled_questions": true}),
        )
        .await;
    assert_eq!(s, 200);
    let page = guest.open(&format!("/c/olive?{q}")).await;
    let form = guest.open(&slot_links(&page.html)[0]).await;
    assert!(!form.html.contains("id=\"f-name\"") && !form.html.contains("id=\"f-company\""));
    assert!(hidden_fields(&form.html).contains(&("company".into(), "Acme".into())));
}
both_backends!(prefill_hide_and_skip, prefill_hide_and_skip);

async fn classic_pages_master_pages_and_their_redirect(app: &TestApp) {
    let ids = |v: &Value| v["id"].as_str().unwrap().to_string();
    let (_, demo) = app
        .post("/v2/event-types", json!({"name": "Live demo"}))
        .await;
    let (_, intro) = app
        .post("/v2/event-types", json!({"name": "Intro call"}))
        .await;
    let (_, mp) = app
        .post(
            "/v2/master-pages",
            json!({"name": "Sales", "slug": "sales"}),
        )
        .await;
    let (s, page) = app
        .post(
            "/v2/booking-pages",
            json!({"owner": app.owner_user_id, "name": "Olive", "slug": "financial", "timezone": "America/New_York",
                   "event_types": [ids(&demo), ids(&intro)], "master_page": ids(&mp),
                   "settings": {"minimum_notice_minutes": 0, "standard_fields": [{"name": "phone"}, {"name": "note"}, {"name": "guests"}],
                                "redirect": {"url": "https://www.example.com/thanks?from=slotline", "send_booking_data": true, "pass_utm": true}}}),
        )
        .await;
    assert_eq!(s, 200, "{page}");
    let guest = Guest::new(&app.base);
    let master = guest.open("/m/sales?utm_source=ads").await;
    assert!(
        master.html.contains("href=\"/p/financial?utm_source=ads\""),
        "{}",
        master.html
    );
    let choose = guest.open("/p/financial?utm_source=ads").await;
    assert!(choose.html.contains("Live demo") && choose.html.contains("Intro call"));
    let pick = format!(
        "/p/financial?utm_source=ads&sl.event_type={}&name=John%20Smith&mobile=15152761565&customerGuests=g@example.com",
        ids(&demo)
    );
    let done = book_first(
        &guest,
        &pick,
        &[
            ("email", "js@example.com"),
            ("phone", "+12025550195"),
            ("note", "Bring slides"),
        ],
    )
    .await;
    assert_eq!(done.status, 303, "{}", done.html);
    let to = done.location.unwrap();
    assert!(
        to.starts_with("https://www.example.com/thanks?from=slotline&"),
        "not embedded: straight to the site's page: {to}"
    );
    let p = params(&to);
    assert_eq!(param(&p, "Name"), Some("John Smith"));
    assert_eq!(param(&p, "Email"), Some("js@example.com"));
    assert_eq!(param(&p, "mobile"), Some("15152761565"));
    assert_eq!(param(&p, "phone"), Some("+12025550195"));
    assert_eq!(param(&p, "note"), Some("Bring slides"));
    assert_eq!(param(&p, "customerGuests"), Some("g@example.com"));
    assert_eq!(param(&p, "bookingPage"), Some("financial"));
    assert_eq!(param(&p, "subject"), Some("Live demo"));
    assert_eq!(
        param(&p, "meetingTime"),
        Some("2025-06-16T10:00:00.000Z"),
        "New York wall time"
    );
    assert_eq!(param(&p, "timeZone"), Some("America/New_York"));
    assert_eq!(param(&p, "utcOffset"), Some("-4"));
    assert_eq!(
        param(&p, "utm_source"),
        Some("ads"),
        "source tags passed on"
    );
    let (_, list) = app.get("/v2/bookings?expand=data.event_type").await;
    let b = &list["data"][0];
    assert_eq!(param(&p, "creationTime"), b["creation_time"].as_str());
    assert_eq!(b["event_type"]["name"], "Live demo");
    assert_eq!(b["master_page"], ids(&mp));
}
both_backends!(
    classic_pages_master_pages_and_their_redirect,
    classic_pages_master_pages_and_their_redirect
);

/// A classic page's `subject` and `location` parameters (OnceHub's §5.2 set): the subject is
/// offered for the guest to keep and becomes the booking's; the location fills in the address
/// of a location the guest gives.
async fn classic_subject_and_location_are_prefilled(app: &TestApp) {
    let (_, et) = app.post("/v2/event-types", json!({"name": "Visit"})).await;
    let (s, page) = app
        .post(
            "/v2/booking-pages",
            json!({"owner": app.owner_user_id, "name": "P", "slug": "visits", "event_types": [et["id"]],
                   "settings": {"minimum_notice_minutes": 0, "locations": [{"type": "virtual", "value": "zoom"}, {"type": "in_person_by_guest"}]}}),
        )
        .await;
    assert_eq!(s, 200, "{page}");
    let guest = Guest::new(&app.base);
    let query = "subject=Kitchen%20%3Cb%3Eremodel%3C%2Fb%3E&location=12%20Main%20St%2C%20Springfield&name=Ann&email=ann%40example.com";
    let times = guest.open(&format!("/p/visits?{query}")).await;
    let form = guest.open(&slot_links(&times.html)[0]).await;
    assert_eq!(
        input(&form.html, "sl.subject").as_deref(),
        Some("Kitchen <b>remodel</b>"),
        "offered, escaped"
    );
    assert!(!form.html.contains("<b>remodel"), "escaped in the page");
    assert_eq!(
        input(&form.html, "sl.location_value").as_deref(),
        Some("12 Main St, Springfield")
    );
    assert!(
        form.html.contains("value=\"1\" checked"),
        "the location the guest fills in is chosen: {}",
        form.html
    );
    let fields = with(
        &hidden_fields(&form.html),
        &[
            ("name", "Ann"),
            ("email", "ann@example.com"),
            ("sl.location", "1"),
        ],
    );
    let fields = with(
        &fields,
        &[
            ("sl.subject", "Kitchen <b>remodel</b>"),
            ("sl.location_value", "12 Main St, Springfield"),
        ],
    );
    let done = guest.post("/p/visits", &fields).await;
    assert_eq!(done.status, 303, "{}", done.html);
    let (_, list) = app.get("/v2/bookings").await;
    let b = &list["data"][0];
    assert_eq!(
        b["subject"], "Kitchen <b>remodel</b>",
        "the guest's subject, as data"
    );
    assert_eq!(b["location_description"], "12 Main St, Springfield", "{b}");

    // Over 200 characters: refused on the server whatever the browser allowed.
    let form = guest
        .open(&slot_links(&guest.open("/p/visits").await.html)[1])
        .await;
    let long = "s".repeat(201);
    let fields = with(
        &hidden_fields(&form.html),
        &[
            ("name", "Bo"),
            ("email", "bo@example.com"),
            ("sl.location", "0"),
            ("sl.subject", &long),
        ],
    );
    let refused = guest.post("/p/visits", &fields).await;
    assert_eq!(refused.status, 422, "{}", refused.html);
    assert!(refused
        .html
        .contains("subject is longer than 200 characters"));
}
both_backends!(
    classic_subject_and_location_are_prefilled,
    classic_subject_and_location_are_prefilled
);

async fn embedded_pages_tell_only_the_allowed_embedding_site(app: &TestApp) {
    let cal = calendar(
        app,
        "olive",
        json!({"embed_origins": ["https://www.partner.example"],
               "redirect": {"url": "https://www.partner.example/thanks", "send_booking_data": true, "pass_utm": false}}),
    )
    .await;
    let guest = Guest::new(&app.base);
    let page = guest
        .open("/c/olive?sl.origin=https://www.partner.example&utm_medium=embed")
        .await;
    assert_eq!(
        frame_data(&page.html)["origin"],
        "https://www.partner.example"
    );
    let csp = page.headers["content-security-policy"].to_str().unwrap();
    assert!(
        csp.contains("frame-ancestors https://www.partner.example"),
        "{csp}"
    );
    let stranger = guest.open("/c/olive?sl.origin=https://evil.example").await;
    assert_eq!(
        frame_data(&stranger.html)["origin"],
        Value::Null,
        "a site not on the list is never posted to"
    );

    let done = book_first(
        &guest,
        "/c/olive?sl.origin=https://www.partner.example&utm_medium=embed",
        &[("name", "Ema Bed"), ("email", "ema@example.com")],
    )
    .await;
    assert_eq!(done.status, 303);
    let to = done.location.unwrap();
    assert!(
        to.starts_with("/b/"),
        "embedded: the frame shows the confirmation, whose script moves the top window: {to}"
    );
    let shown = guest.open(&to).await;
    let data = frame_data(&shown.html);
    assert_eq!(data["origin"], "https://www.partner.example");
    assert_eq!(data["events"][0]["type"], "oncehub.booking.scheduled");
    assert_eq!(
        data["events"][0]["payload"]["booking_calendar"],
        cal.as_str()
    );
    assert_eq!(data["events"][0]["payload"]["utm_medium"], "embed");
    let redirect = data["redirect"]
        .as_str()
        .expect("the top window is sent on");
    let p = params(redirect);
    assert!(redirect.starts_with("https://www.partner.example/thanks?"));
    assert_eq!(param(&p, "booking_calendar"), Some(cal.as_str()));
    assert_eq!(param(&p, "name"), Some("Ema Bed"));
    assert_eq!(param(&p, "status"), Some("scheduled"));
    assert_eq!(
        param(&p, "utm_medium"),
        None,
        "source tags only when the page passes them"
    );
}
both_backends!(
    embedded_pages_tell_only_the_allowed_embedding_site,
    embedded_pages_tell_only_the_allowed_embedding_site
);

async fn cancel_and_reschedule_through_the_guest_links(app: &TestApp) {
    calendar(app, "olive", json!({})).await;
    let guest = Guest::new(&app.base);
    let done = book_first(
        &guest,
        "/c/olive",
        &[("name", "Carrie"), ("email", "carrie@example.com")],
    )
    .await;
    let manage = done
        .location
        .unwrap()
        .split('?')
        .next()
        .unwrap()
        .to_string();
    let token = manage.trim_start_matches("/b/").to_string();

    // Reschedule: choose a new time, confirm with a reason.
    let times = guest.open(&format!("{manage}/reschedule")).await;
    let links = slot_links(&times.html);
    assert!(
        links[0].contains(&format!("sl.slot={MONDAY_9AM_MS}")),
        "its own time stays free to move within"
    );
    let confirm = guest.open(&links[2]).await;
    let moved = guest
        .post(
            &format!("{manage}/reschedule"),
            &with(&hidden_fields(&confirm.html), &[("reason", "Clash")]),
        )
        .await;
    assert_eq!(moved.status, 303, "{}", moved.html);
    let new_manage = moved.location.unwrap();
    assert!(new_manage.contains("sl.moved=1"));
    assert_eq!(
        event_types_written(app).await,
        ["booking.scheduled", "booking.rescheduled"]
    );
    let (_, list) = app.get("/v2/bookings").await;
    let (new, old) = (&list["data"][0], &list["data"][1]);
    assert_eq!(new["starting_time"], "2025-06-16T15:00:00.000Z");
    assert_eq!(new["rescheduled_booking_id"], old["id"]);
    assert_eq!(old["status"], "canceled");
    assert_eq!(old["cancel_reschedule_information"]["reason"], "Clash");
    assert_eq!(
        old["cancel_reschedule_information"]["actioned_by"],
        "customer"
    );
    let stale = guest.open(&format!("/b/{token}/reschedule")).await;
    assert_eq!(stale.status, 409, "the old booking cannot be moved again");

    // Cancel the new one.
    let new_path = new_manage.split('?').next().unwrap().to_string();
    let form = guest.open(&format!("{new_path}/cancel")).await;
    let cancelled = guest
        .post(
            &format!("{new_path}/cancel"),
            &with(
                &hidden_fields(&form.html),
                &[("reason", "No longer needed")],
            ),
        )
        .await;
    assert_eq!(cancelled.status, 303);
    let shown = guest.open(&new_path).await;
    assert!(shown.html.contains("This booking is cancelled."));
    assert!(
        !shown.html.contains("/cancel\""),
        "no actions on a cancelled booking"
    );
    assert_eq!(
        event_types_written(app).await.last().map(String::as_str),
        Some("booking.canceled")
    );
    let (_, b) = app
        .get(&format!("/v2/bookings/{}", new["id"].as_str().unwrap()))
        .await;
    assert_eq!(
        b["cancel_reschedule_information"]["reason"],
        "No longer needed"
    );
    let ics = guest.open(&format!("{new_path}.ics")).await;
    assert!(ics.html.contains("STATUS:CANCELLED"));

    // Nothing without the token.
    assert_eq!(
        guest
            .open("/b/NotARealToken0000000000000000000")
            .await
            .status,
        404
    );
    assert_eq!(
        guest
            .open(&format!("/b/{}", new["id"].as_str().unwrap()))
            .await
            .status,
        404,
        "the booking id is not a token"
    );
}
both_backends!(
    cancel_and_reschedule_through_the_guest_links,
    cancel_and_reschedule_through_the_guest_links
);

async fn posts_need_a_fresh_token_from_this_site(app: &TestApp) {
    calendar(app, "olive", json!({})).await;
    calendar(app, "other", json!({})).await;
    let guest = Guest::new(&app.base);
    let page = guest.open("/c/olive").await;
    let form = guest.open(&slot_links(&page.html)[0]).await;
    let fields = with(
        &hidden_fields(&form.html),
        &[("name", "A"), ("email", "a@example.com")],
    );
    let without: Vec<_> = fields
        .iter()
        .filter(|(k, _)| k != "sl.csrf")
        .cloned()
        .collect();
    assert_eq!(
        guest.post("/c/olive", &without).await.status,
        403,
        "no token"
    );
    let flip = |v: &str| {
        format!(
            "{}{}",
            &v[..v.len() - 1],
            if v.ends_with('0') { '1' } else { '0' }
        )
    };
    let forged: Vec<_> = fields
        .iter()
        .map(|(k, v)| {
            if k == "sl.csrf" {
                (k.clone(), flip(v))
            } else {
                (k.clone(), v.clone())
            }
        })
        .collect();
    assert_eq!(
        guest.post("/c/olive", &forged).await.status,
        403,
        "a changed signature"
    );
    assert_eq!(
        guest.post("/c/other", &fields).await.status,
        403,
        "a token of another page"
    );
    assert_eq!(
        guest
            .post_from("/c/olive", &fields, Some("https://evil.example"))
            .await
            .status,
        403,
        "posted from another site"
    );
    app.clock.advance(7 * 3_600_000);
    assert_eq!(
        guest.post("/c/olive", &fields).await.status,
        403,
        "an expired form"
    );
    let (_, list) = app.get("/v2/bookings").await;
    assert!(list["data"].as_array().unwrap().is_empty());
    let fresh = guest
        .open(&slot_links(&guest.open("/c/olive").await.html)[0])
        .await;
    let ok = guest
        .post_from(
            "/c/olive",
            &with(
                &hidden_fields(&fresh.html),
                &[("name", "A"), ("email", "a@example.com")],
            ),
            None,
        )
        .await;
    assert_eq!(
        ok.status, 303,
        "no Origin header (old browsers): the token decides"
    );
    // The same server under another name (localhost for 127.0.0.1): the browser's own origin.
    let local = Guest::new(&app.base.replace("127.0.0.1", "localhost"));
    let form = local
        .open(&slot_links(&local.open("/c/olive").await.html)[0])
        .await;
    let second = with(
        &hidden_fields(&form.html),
        &[("name", "B"), ("email", "b@example.com")],
    );
    let ok = local.post("/c/olive", &second).await;
    assert_eq!(ok.status, 303, "{}", ok.html);

    // A token is good for one post: the same form again (another slot, another guest) is refused.
    let replay: Vec<_> = second
        .iter()
        .map(|(k, v)| {
            if k == "email" {
                (k.clone(), "c@example.com".to_string())
            } else {
                (k.clone(), v.clone())
            }
        })
        .collect();
    assert_eq!(
        local.post("/c/olive", &replay).await.status,
        403,
        "a used token"
    );

    // The request's own Host proves nothing: an attacker sets it along with Origin.
    let form = guest
        .open(&slot_links(&guest.open("/c/olive").await.html)[1])
        .await;
    let fields = with(
        &hidden_fields(&form.html),
        &[("name", "E"), ("email", "e@example.com")],
    );
    let res = app
        .http
        .post(format!("{}/c/olive", app.base))
        .header("Origin", "http://evil.example")
        .header("Host", "evil.example")
        .form(&fields)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403, "Origin matching a forged Host");
    let (_, list) = app.get("/v2/bookings").await;
    assert_eq!(
        list["data"].as_array().unwrap().len(),
        2,
        "only the two genuine posts booked"
    );
}
both_backends!(
    posts_need_a_fresh_token_from_this_site,
    posts_need_a_fresh_token_from_this_site
);

async fn public_posts_are_rate_limited(app: &TestApp) {
    calendar(app, "olive", json!({})).await;
    let guest = Guest::new(&app.base);
    let page = guest.open("/c/olive").await;
    let form = guest.open(&slot_links(&page.html)[0]).await;
    let mut fields = with(
        &hidden_fields(&form.html),
        &[("name", "A"), ("email", "nope")],
    );
    for _ in 0..3 {
        // Each refusal shows the form again, with a fresh token (each is good for one post).
        let again = guest.post("/c/olive", &fields).await;
        assert_eq!(again.status, 422);
        fields = with(
            &hidden_fields(&again.html),
            &[("name", "A"), ("email", "nope")],
        );
    }
    let limited = guest.post("/c/olive", &fields).await;
    assert_eq!(limited.status, 429);
    assert!(limited.html.contains("Too many attempts"));
}
both_backends!(
    public_posts_are_rate_limited,
    public_posts_are_rate_limited,
    Options {
        booking_rate_limit: 3,
        ..Options::default()
    }
);

const MARKUP: &str = "\"><script>alert(1)</script><img src=x onerror=alert(2)>";

async fn every_value_is_escaped(app: &TestApp) {
    calendar(app, "olive", json!({"questions": [{"name": "meeting_reason", "label": "<b>Why</b>"}], "standard_fields": [{"name": "company"}, {"name": "note"}]})).await;
    let guest = Guest::new(&app.base);
    let enc = url::form_urlencoded::byte_serialize(MARKUP.as_bytes()).collect::<String>();
    let q = format!(
        "name={enc}&email={enc}&company={enc}&note={enc}&meeting_reason={enc}&utm_source={enc}&sl.origin={enc}&sl.from={enc}&{enc}={enc}"
    );
    let page = guest.open(&format!("/c/olive?{q}")).await;
    assert_eq!(page.status, 200);
    let form = guest.open(&slot_links(&page.html)[0]).await;
    for html in [&page.html, &form.html] {
        assert!(!html.contains("<script>alert"), "markup is escaped");
        assert!(!html.contains("<img src=x"), "markup is escaped");
        assert!(!html.contains("<b>Why</b>"), "labels are escaped too");
    }
    assert_eq!(
        input(&form.html, "company").as_deref(),
        Some(MARKUP),
        "the value survives, escaped"
    );
    // Each parameter of both sets on its own, on every step that shows it.
    let (_, et) = app.post("/v2/event-types", json!({"name": "Call"})).await;
    app.post("/v2/booking-pages", json!({"owner": app.owner_user_id, "name": "P", "slug": "classic", "event_types": [et["id"]], "settings": {"minimum_notice_minutes": 0}})).await;
    let calendar_keys = [
        "name",
        "email",
        "mobile_phone",
        "host",
        "co_hosts",
        "iana_time_zone",
        "duration_minutes",
        "skip",
        "company",
        "note",
        "meeting_reason",
        "utm_source",
        "utm_medium",
        "utm_campaign",
        "utm_term",
        "utm_content",
        "sl.origin",
        "sl.from",
        "sl.slot",
    ];
    let classic_keys = [
        "name",
        "email",
        "company",
        "mobile",
        "phone",
        "note",
        "customerGuests",
        "location",
        "subject",
        "skip",
        "utm_content",
        "sl.event_type",
    ];
    for (path, keys) in [
        ("/c/olive", &calendar_keys[..]),
        ("/p/classic", &classic_keys[..]),
    ] {
        for key in keys {
            let shown = guest.open(&format!("{path}?{key}={enc}")).await;
            let mut pages = vec![shown.html.clone()];
            if let Some(slot) = slot_links(&shown.html).first() {
                pages.push(guest.open(slot).await.html);
            }
            for html in pages {
                assert!(
                    !html.contains("<script>alert") && !html.contains("<img src=x"),
                    "{path}?{key}= is escaped"
                );
            }
        }
    }
    let done = guest
        .post(
            "/c/olive",
            &with(
                &hidden_fields(&form.html),
                &[
                    ("name", MARKUP),
                    ("email", "x@example.com"),
                    ("company", MARKUP),
                    ("note", MARKUP),
                ],
            ),
        )
        .await;
    assert_eq!(done.status, 303, "{}", done.html);
    let shown = guest.open(&done.location.unwrap()).await;
    assert!(!shown.html.contains("<script>alert") && !shown.html.contains("<img src=x"));
    assert_eq!(
        frame_data(&shown.html)["events"][0]["payload"]["custom_fields"][0]["value"],
        MARKUP,
        "the event carries the value as data"
    );
}
both_backends!(every_value_is_escaped, every_value_is_escaped);

async fn one_time_links_book_once(app: &TestApp) {
    let cal = calendar(app, "olive", json!({"durations": [30, 60]})).await;
    let (_, link) = app
        .post(
            &format!("/v2/booking-calendars/{cal}/one-time-links"),
            json!({"booking_form": {"name": "Linda Link", "email": "linda@example.com"}, "utm_params": {"source": "crm"},
                   "booking_settings": {"duration_minutes": 60, "skip": ["contact_info"]}}),
        )
        .await;
    let path = format!("/o/{}", link["id"].as_str().unwrap());
    let guest = Guest::new(&app.base);
    let page = guest.open(&path).await;
    assert_eq!(page.status, 200);
    assert!(page.html.contains("60 minutes"));
    let first = slot_links(&page.html).remove(0);
    assert!(
        !first.contains("Linda"),
        "the link's prefill stays out of its URLs: {first}"
    );
    let form_a = guest.open(&first).await;
    let form_b = guest
        .open(&first.replace(
            &MONDAY_9AM_MS.to_string(),
            &(MONDAY_9AM_MS + 7_200_000).to_string(),
        ))
        .await;
    assert!(
        form_a
            .html
            .contains("Booking for <strong>Linda Link</strong>"),
        "skips the contact step: {}",
        form_a.html
    );
    let done = guest.post(&path, &hidden_fields(&form_a.html)).await;
    assert_eq!(done.status, 303, "{}", done.html);
    let again = guest.post(&path, &hidden_fields(&form_b.html)).await;
    assert_eq!(again.status, 410, "a used link books no more");
    assert_eq!(guest.open(&path).await.status, 410);
    let (_, got) = app
        .get(&format!(
            "/v2/one-time-links/{}",
            link["id"].as_str().unwrap()
        ))
        .await;
    let (_, list) = app.get("/v2/bookings").await;
    assert_eq!(list["data"].as_array().unwrap().len(), 1);
    assert_eq!(got["booking"], list["data"][0]["id"]);
    assert_eq!(list["data"][0]["duration_minutes"], 60);
    assert_eq!(list["data"][0]["utm_params"]["source"], "crm");
}
both_backends!(one_time_links_book_once, one_time_links_book_once);

async fn approval_and_closed_pages(app: &TestApp) {
    let cal = calendar(app, "olive", json!({"approval_required": true})).await;
    let guest = Guest::new(&app.base);
    let page = guest.open("/c/olive").await;
    assert!(page.html.contains("bookings are confirmed by the host"));
    let done = book_first(
        &guest,
        "/c/olive",
        &[("name", "Rita"), ("email", "rita@example.com")],
    )
    .await;
    let shown = guest.open(&done.location.unwrap()).await;
    assert!(
        shown.html.contains("awaits the host&#39;s approval")
            || shown.html.contains("awaits the host's approval"),
        "{}",
        shown.html
    );
    assert!(
        frame_data(&shown.html)["events"]
            .as_array()
            .unwrap()
            .is_empty(),
        "a request is not a scheduled booking"
    );
    assert!(
        event_types_written(app).await.is_empty(),
        "no event until approved"
    );
    app.patch(
        &format!("/v2/booking-calendars/{cal}"),
        json!({"published": false}),
    )
    .await;
    assert_eq!(guest.open("/c/olive").await.status, 404);
    assert_eq!(guest.open("/c/nothing-here").await.status, 404);
}
both_backends!(approval_and_closed_pages, approval_and_closed_pages);

#[tokio::test]
async fn pages_are_light() {
    let Some(app) = TestApp::spawn(common::Backend::Sqlite).await else {
        return;
    };
    calendar(
        &app,
        "olive",
        json!({"questions": [{"name": "meeting_reason", "label": "Why"}]}),
    )
    .await;
    let guest = Guest::new(&app.base);
    let page = guest.open("/c/olive").await;
    let form = guest.open(&slot_links(&page.html)[0]).await;
    let css = guest.open("/assets/style.css").await;
    let js = guest.open("/assets/frame.js").await;
    let embed = guest.open("/embed.js").await;
    assert_eq!(
        embed.headers["content-type"],
        "text/javascript; charset=utf-8"
    );
    for (name, html) in [("times", &page.html), ("form", &form.html)] {
        let weight = html.len() + css.html.len() + js.html.len();
        assert!(
            weight < 100_000,
            "{name} page weighs {weight} bytes with its stylesheet and script"
        );
    }
    // Browsers that ask get it compressed.
    let gz = reqwest::Client::new()
        .get(format!("{}/c/olive", app.base))
        .header("Accept-Encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(gz.headers()["content-encoding"], "gzip");
    let wire = gz.bytes().await.unwrap().len();
    assert!(
        wire * 4 < page.html.len(),
        "{wire} bytes on the wire for {} of page",
        page.html.len()
    );
    app.finish().await;
}

async fn co_hosts_must_all_be_free_and_join_the_booking(app: &TestApp) {
    calendar(app, "olive", json!({})).await;
    let (s, cy) = app
        .post("/v2/users", json!({"email": "cy@test.example", "first_name": "Cy", "last_name": "Co", "timezone": "America/Chicago"}))
        .await;
    assert_eq!(s, 200, "{cy}");
    let cy_id = cy["id"].as_str().unwrap().to_string();
    let (_, cy_cal) = app
        .post(
            "/v2/booking-calendars",
            json!({"host": cy_id, "name": "Cy", "settings": {"minimum_notice_minutes": 0}}),
        )
        .await;
    let (s, _) = app
        .post(
            &format!("/v2/booking-calendars/{}/schedule", cy_cal["id"].as_str().unwrap()),
            json!({"start_time": "2025-06-16T14:00:00Z", "guest_time_zone": "UTC", "booking_form": {"name": "Busy", "email": "busy@example.com"}}),
        )
        .await;
    assert_eq!(s, 200, "Cy is busy on Monday at 09:00 Chicago");
    let guest = Guest::new(&app.base);
    let alone = slot_links(&guest.open("/c/olive").await.html);
    assert!(
        alone[0].contains(&format!("sl.slot={MONDAY_9AM_MS}")),
        "without co-hosts, Olive alone decides"
    );
    let with_cy = slot_links(
        &guest
            .open("/c/olive?co_hosts=cy@test.example,nobody@example.com")
            .await
            .html,
    );
    assert_eq!(
        with_cy.len(),
        alone.len() - 1,
        "only times when the co-host is free too; unknown emails are ignored"
    );
    assert!(
        with_cy[0].contains(&format!("sl.slot={}", MONDAY_9AM_MS + 1_800_000)),
        "{}",
        with_cy[0]
    );
    let done = book_first(
        &guest,
        "/c/olive?co_hosts=cy@test.example",
        &[("name", "Gail"), ("email", "gail@example.com")],
    )
    .await;
    assert_eq!(done.status, 303, "{}", done.html);
    let (_, list) = app.get("/v2/bookings").await;
    let b = &list["data"][0];
    assert_eq!(b["starting_time"], "2025-06-16T14:30:00.000Z");
    assert!(
        b["attendees"]
            .as_array()
            .unwrap()
            .contains(&json!("cy@test.example")),
        "{b}"
    );
    assert_eq!(b["owner"], app.owner_user_id.as_str());
    let cy_busy = slot_links(
        &guest
            .open(&format!("/c/{}", cy_cal["id"].as_str().unwrap()))
            .await
            .html,
    );
    assert!(
        !cy_busy
            .iter()
            .any(|l| l.contains(&format!("sl.slot={}", MONDAY_9AM_MS + 1_800_000))),
        "the co-host's time is held"
    );
}
both_backends!(
    co_hosts_must_all_be_free_and_join_the_booking,
    co_hosts_must_all_be_free_and_join_the_booking
);
