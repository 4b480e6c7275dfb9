//! The REST conventions every list and resource shares.

use crate::common;

use common::{assert_error, Backend, Options, TestApp};
use reqwest::Method;
use serde_json::{json, Value};

async fn make_contacts(app: &TestApp, n: usize, tick_ms: i64) -> Vec<String> {
    let mut ids = Vec::new();
    for i in 0..n {
        let (s, c) =
            app.post("/v2/contacts", json!({"first_name": "C", "last_name": format!("{i}"), "email": format!("c{i}@example.com")})).await;
        assert_eq!(s, 201, "{c}");
        ids.push(c["id"].as_str().unwrap().to_string());
        app.clock.advance(tick_ms);
    }
    ids
}

fn link_of(res: &reqwest::Response, rel: &str) -> Option<String> {
    let header = res.headers().get("link")?.to_str().ok()?.to_string();
    header
        .split(", ")
        .find(|l| l.ends_with(&format!("rel=\"{rel}\"")))
        .map(|l| l[1..l.find('>').unwrap()].to_string())
}

async fn page(app: &TestApp, url: &str) -> (Vec<String>, Value, Option<String>, Option<String>) {
    let res = app
        .http
        .get(url)
        .header("API-Key", &app.key)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let (next, prev) = (link_of(&res, "next"), link_of(&res, "previous"));
    let body: Value = res.json().await.unwrap();
    let ids = body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["id"].as_str().unwrap().to_string())
        .collect();
    (ids, body, next, prev)
}

/// Equal creation times (a frozen clock) must still give a stable, gap-free order.
async fn pages_walk_newest_first_without_gaps_or_repeats(app: &TestApp) {
    let mut created = make_contacts(app, 23, 0).await;
    created.reverse();
    let mut seen = Vec::new();
    let mut url = format!("{}/v2/contacts?limit=10", app.base);
    let mut pages = 0;
    loop {
        let (ids, body, next, prev) = page(app, &url).await;
        pages += 1;
        assert_eq!(body["object"], "list");
        assert_eq!(body["has_more"], next.is_some());
        assert_eq!(
            prev.is_some(),
            pages > 1,
            "previous link only past the first page"
        );
        seen.extend(ids);
        match next {
            Some(n) => {
                assert!(
                    n.starts_with(&app.base)
                        && n.contains("/v2/contacts?")
                        && n.contains("limit=10"),
                    "{n}"
                );
                url = n;
            }
            None => break,
        }
    }
    assert_eq!(pages, 3);
    assert_eq!(
        seen, created,
        "reverse chronological, each object exactly once"
    );

    // Walking back with `before` from the last page returns the previous page exactly.
    let (_, _, _, prev) = page(
        app,
        &format!("{}/v2/contacts?limit=10&after={}", app.base, created[9]),
    )
    .await;
    let (back, body, _, _) = page(app, &prev.expect("previous link")).await;
    assert_eq!(back, created[0..10].to_vec());
    assert_eq!(body["has_more"], false, "nothing newer than the first page");
}
both_backends!(
    pages_walk_newest_first_without_gaps_or_repeats,
    pages_walk_newest_first_without_gaps_or_repeats
);

async fn link_header_keeps_filters_and_is_absent_on_a_single_page(app: &TestApp) {
    make_contacts(app, 3, 1000).await;
    let res = app.call(Method::GET, "/v2/contacts?limit=10", None).await;
    assert!(res.headers().get("link").is_none());
    let res = app
        .call(
            Method::GET,
            "/v2/contacts?limit=1&creation_time.gt=2000-01-01T00:00:00Z&expand=data.owner",
            None,
        )
        .await;
    let next = link_of(&res, "next").unwrap();
    assert!(
        next.contains("creation_time.gt=2000-01-01T00%3A00%3A00Z")
            && next.contains("expand=data.owner"),
        "{next}"
    );
    let (ids, body, _, _) = page(app, &next).await;
    assert_eq!(ids.len(), 1);
    assert!(
        body["data"][0]["owner"].is_object(),
        "expansion carried to the next page"
    );
}
both_backends!(
    link_header_keeps_filters_and_is_absent_on_a_single_page,
    link_header_keeps_filters_and_is_absent_on_a_single_page
);

async fn list_parameter_errors(app: &TestApp) {
    assert_error(
        &app.get("/v2/contacts?limit=500").await,
        400,
        "Out of range value: 500. Please provide a number between 1 and 100.",
        Some("limit"),
    );
    assert_error(
        &app.get("/v2/users?limit=0").await,
        400,
        "Out of range value: 0. Please provide a number between 1 and 100.",
        Some("limit"),
    );
    assert_error(
        &app.get("/v2/webhooks?after=WHK-A&before=WHK-B").await,
        400,
        "Received both before and after parameters. Please provide only one.",
        None,
    );
    assert_error(
        &app.get("/v2/teams?after=TM-NOPE").await,
        400,
        "No such team: 'TM-NOPE'",
        Some("after"),
    );
    assert_error(
        &app.get("/v2/contacts?expand=data.invalid_property").await,
        400,
        "This property cannot be expanded: data.invalid_property",
        Some("expand"),
    );
    assert_error(
        &app.get("/v2/contacts?creation_time.gt=2025-13-45T99:99:99Z")
            .await,
        400,
        "Invalid date: 2025-13-45T99:99:99Z",
        Some("creation_time.gt"),
    );
    assert_error(
        &app.get("/v2/contacts?last_updated_time.gt=2024-02-01&last_updated_time.lt=2024-01-01")
            .await,
        400,
        "last_updated_time.gt cannot be later than last_updated_time.lt",
        Some("last_updated_time.gt"),
    );
}
both_backends!(list_parameter_errors, list_parameter_errors);

async fn time_filters_are_strict_and_accept_every_format(app: &TestApp) {
    // Clock starts at 2025-06-15T15:06:40.000Z; contacts one second apart.
    let ids = make_contacts(app, 3, 1000).await;
    let count = |q: String| async move {
        app.get(&format!("/v2/contacts?{q}")).await.1["data"]
            .as_array()
            .unwrap()
            .len()
    };
    assert_eq!(
        count("creation_time.gt=2025-06-15T15:06:40.000Z".into()).await,
        2,
        "strictly greater"
    );
    assert_eq!(
        count("creation_time.gt=2025-06-15T15:06:40Z".into()).await,
        2
    );
    assert_eq!(
        count("creation_time.gt=2025-06-15T15:06:39.999999999Z".into()).await,
        3,
        "nine fraction digits"
    );
    assert_eq!(
        count("creation_time.gt=2025-06-15T17:06:40%2B02:00".into()).await,
        2,
        "offset"
    );
    assert_eq!(
        count("creation_time.lt=2025-06-15T15:06:42.000Z".into()).await,
        2,
        "strictly less"
    );
    assert_eq!(
        count("creation_time.gt=2025-06-15".into()).await,
        3,
        "date only"
    );
    assert_eq!(count("creation_time.gt=2025-06-16".into()).await, 0);
    // Feeding a returned timestamp back excludes that object: incremental sync never repeats.
    let (_, c) = app.get(&format!("/v2/contacts/{}", ids[1])).await;
    let stamp = c["last_updated_time"].as_str().unwrap();
    assert!(
        stamp.ends_with(".000Z") && stamp.len() == 24,
        "RFC 3339 with milliseconds: {stamp}"
    );
    let (_, body) = app
        .get(&format!("/v2/contacts?last_updated_time.gt={stamp}"))
        .await;
    let got: Vec<&str> = body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["id"].as_str().unwrap())
        .collect();
    assert_eq!(got, vec![ids[2].as_str()]);
}
both_backends!(
    time_filters_are_strict_and_accept_every_format,
    time_filters_are_strict_and_accept_every_format
);

async fn deleted_objects_leave_lists_and_read_redacted(app: &TestApp) {
    let ids = make_contacts(app, 2, 0).await;
    assert_eq!(
        app.delete(&format!("/v2/contacts/{}", ids[0])).await,
        (200, json!({"id": ids[0], "deleted": true}))
    );
    assert_eq!(
        app.get(&format!("/v2/contacts/{}", ids[0])).await,
        (
            200,
            json!({"id": ids[0], "object": "contact", "deleted": true})
        )
    );
    let (_, list) = app.get("/v2/contacts").await;
    assert_eq!(list["data"].as_array().unwrap().len(), 1);
    assert_error(
        &app.delete(&format!("/v2/contacts/{}", ids[0])).await,
        404,
        &format!("No such contact: '{}'", ids[0]),
        Some("id"),
    );
    // A deleted object still anchors a cursor.
    let (s, body) = app.get(&format!("/v2/contacts?before={}", ids[0])).await;
    assert_eq!(s, 200);
    assert_eq!(body["data"][0]["id"], ids[1]);
}
both_backends!(
    deleted_objects_leave_lists_and_read_redacted,
    deleted_objects_leave_lists_and_read_redacted
);

async fn tenants_never_see_each_other(app: &TestApp) {
    let (_, contact) = app
        .post(
            "/v2/contacts",
            json!({"first_name": "A", "last_name": "B", "email": "a@b.example"}),
        )
        .await;
    let (_, team) = app.post("/v2/teams", json!({"name": "Mine"})).await;
    let (_, hook) = app
        .post(
            "/v2/webhooks",
            json!({"name": "h", "url": "https://example.com/h", "events": ["booking"]}),
        )
        .await;
    let other = app.other_account_key().await;
    for (kind, id) in [
        ("contacts", &contact["id"]),
        ("teams", &team["id"]),
        ("webhooks", &hook["id"]),
        ("users", &json!(app.owner_user_id)),
    ] {
        let id = id.as_str().unwrap();
        for method in [Method::GET, Method::DELETE] {
            let res = app
                .call_as(&other, method.clone(), &format!("/v2/{kind}/{id}"), None)
                .await;
            assert_eq!(res.status(), 404, "{method} {kind}");
        }
        let res = app
            .call_as(&other, Method::GET, &format!("/v2/{kind}"), None)
            .await;
        let body: Value = res.json().await.unwrap();
        assert!(
            body["data"]
                .as_array()
                .unwrap()
                .iter()
                .all(|o| o["id"] != id),
            "{kind} list leaks"
        );
    }
    let res = app
        .call_as(
            &other,
            Method::PATCH,
            &format!("/v2/contacts/{}", contact["id"].as_str().unwrap()),
            Some(json!({"city": "X"})),
        )
        .await;
    assert_eq!(res.status(), 404);
    let res = app
        .call_as(
            &other,
            Method::GET,
            &format!("/v2/contacts?after={}", contact["id"].as_str().unwrap()),
            None,
        )
        .await;
    assert_eq!(res.status(), 400, "another account's id is no cursor");
    // The contact is untouched.
    assert_eq!(
        app.get(&format!("/v2/contacts/{}", contact["id"].as_str().unwrap()))
            .await
            .1["city"],
        Value::Null
    );
}
both_backends!(tenants_never_see_each_other, tenants_never_see_each_other);

async fn bad_bodies_and_routes_get_onehub_shaped_errors(app: &TestApp) {
    let res = app
        .http
        .post(format!("{}/v2/contacts", app.base))
        .header("API-Key", &app.key)
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["type"], "invalid_request_error");
    assert_eq!(body["param"], "body");
    let (s, body) = app.post("/v2/contacts", json!([1, 2])).await;
    assert_eq!(
        (s, body["message"].as_str().unwrap()),
        (400, "The request body must be a JSON object.")
    );
    let res = app
        .http
        .post(format!("{}/v2/teams", app.base))
        .header("API-Key", &app.key)
        .header("content-type", "text/plain")
        .body("name=x")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 415);
    assert_error(
        &app.get("/v2/nowhere").await,
        404,
        "Unrecognized request URL (GET: /v2/nowhere).",
        None,
    );
    let res = app.call(Method::PUT, "/v2/contacts", Some(json!({}))).await;
    assert_eq!(res.status(), 405);
    assert_eq!(
        res.json::<Value>().await.unwrap()["type"],
        "invalid_request_error"
    );
}
both_backends!(
    bad_bodies_and_routes_get_onehub_shaped_errors,
    bad_bodies_and_routes_get_onehub_shaped_errors
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_bodies_are_refused_with_413() {
    let app = TestApp::spawn_with(
        Backend::Sqlite,
        Options {
            body_limit: 1024,
            ..Options::default()
        },
    )
    .await
    .unwrap();
    let big = "x".repeat(4096);
    let (s, body) = app.post("/v2/teams", json!({"name": big})).await;
    assert_eq!(s, 413);
    assert_eq!(
        body["message"],
        "Request body is too large. The limit is 1024 bytes."
    );
    let (_, list) = app.get("/v2/teams").await;
    assert!(
        list["data"].as_array().unwrap().is_empty(),
        "nothing half-written"
    );
    app.finish().await;
}

/// Every filter OnceHub types (emails, ids, enums, date-times) is checked: a value of the wrong
/// form is refused with 400 in OnceHub's shape naming the parameter, never answered with an
/// empty list.
async fn typed_filters_refuse_garbage_naming_the_parameter(app: &TestApp) {
    let cases = [
        ("/v2/users", "email", "not-an-email"),
        ("/v2/users", "email", ""),
        ("/v2/contacts", "email", "not-an-email"),
        ("/v2/teams", "user", "garbage"),
        ("/v2/booking-calendars", "host", "garbage"),
        ("/v2/booking-pages", "user", "TM-ABC"),
        ("/v2/booking-pages", "master_page", "garbage"),
        ("/v2/booking-pages", "event_type", "garbage"),
        ("/v2/bookings", "owner", "garbage"),
        ("/v2/bookings", "contact", "USR-ABC"),
        ("/v2/bookings", "booking_page", "garbage"),
        ("/v2/bookings", "master_page", "garbage"),
        ("/v2/bookings", "event_type", "garbage"),
        ("/v2/bookings", "booking_calendar", "garbage"),
        ("/v2/bookings", "host", "garbage"),
        ("/v2/bookings", "status", "pending-ish"),
        ("/v2/bookings", "creation_time.gt", "2025-13-45T99:99:99Z"),
        ("/v2/bookings", "starting_time.lt", "yesterday"),
        ("/v2/contacts", "last_updated_time.gt", "soon"),
        ("/v2/conversations", "contact", "garbage"),
        ("/v2/conversations", "status", "chatty"),
        ("/v2/events", "booking", "garbage"),
    ];
    for (path, param, value) in cases {
        let (s, body) = app.get(&format!("{path}?{param}={value}")).await;
        assert_eq!(s, 400, "{path}?{param}={value}: {body}");
        assert_eq!(
            body["type"], "invalid_request_error",
            "{path}?{param}={value}"
        );
        assert_eq!(body["param"], param, "{path}?{param}={value}: {body}");
    }
    // Well-formed values still filter (nothing matches them here).
    let (s, body) = app
        .get("/v2/bookings?owner=USR-NOBODY1&status=scheduled")
        .await;
    assert_eq!(
        (s, body["data"].as_array().map(Vec::len)),
        (200, Some(0)),
        "{body}"
    );
    let (s, _) = app.get("/v2/users?email=owner%40test.example").await;
    assert_eq!(s, 200);
}
both_backends!(
    typed_filters_refuse_garbage_naming_the_parameter,
    typed_filters_refuse_garbage_naming_the_parameter
);
