//! Setup objects: event types, master pages, booking pages, booking calendars — the spec's
//! GET shapes and the extensions that create and change them.

use crate::common;

use common::{assert_error, TestApp};
use serde_json::{json, Value};

fn id(v: &Value) -> String {
    v["id"].as_str().unwrap().to_string()
}

async fn classic_pages_event_types_and_master_pages(app: &TestApp) {
    let (s, et) = app
        .post(
            "/v2/event-types",
            json!({"name": "Live demo", "description": "An in-depth look."}),
        )
        .await;
    assert_eq!(s, 200, "{et}");
    assert_eq!(
        et,
        json!({"object": "event_type", "id": id(&et), "name": "Live demo", "description": "An in-depth look."})
    );
    let (_, et2) = app
        .post("/v2/event-types", json!({"name": "Intro call"}))
        .await;
    let (_, mp) = app
        .post(
            "/v2/master-pages",
            json!({"name": "Star Software", "label": "Sales", "slug": "star-software"}),
        )
        .await;
    assert_eq!(
        mp,
        json!({"object": "master_page", "id": id(&mp), "name": "Star Software", "label": "Sales", "url": format!("{}/m/star-software", app.base), "active": true})
    );

    let (s, bp) = app
        .post(
            "/v2/booking-pages",
            json!({"owner": app.owner_user_id, "name": "Andrea Hartie", "label": "AH page", "slug": "andreahartie",
            "event_types": [id(&et), id(&et2)], "master_page": id(&mp), "settings": {"durations": [30, 60], "approval_required": true}}),
        )
        .await;
    assert_eq!(s, 200, "{bp}");
    assert_eq!(
        bp,
        json!({"object": "booking_page", "id": id(&bp), "name": "Andrea Hartie", "label": "AH page", "url": format!("{}/p/andreahartie", app.base),
               "active": true, "timezone": "America/Chicago"}),
        "the spec's shape, in the owner's zone by default"
    );
    let (_, other) = app
        .post(
            "/v2/booking-pages",
            json!({"owner": app.owner_user_id, "name": "Solo", "active": false}),
        )
        .await;
    for (q, want) in [
        (format!("event_type={}", id(&et2)), vec![id(&bp)]),
        (format!("master_page={}", id(&mp)), vec![id(&bp)]),
        (
            format!("user={}", app.owner_user_id),
            vec![id(&other), id(&bp)],
        ),
        ("user=USR-NOBODY".to_string(), vec![]),
    ] {
        let (_, list) = app.get(&format!("/v2/booking-pages?{q}")).await;
        let got: Vec<String> = list["data"].as_array().unwrap().iter().map(id).collect();
        assert_eq!(got, want, "{q}");
    }
    let (_, settings) = app
        .get(&format!("/v2/booking-pages/{}/settings", id(&bp)))
        .await;
    assert_eq!(settings["durations"], json!([30, 60]));
    assert_eq!(settings["approval_required"], true);
    let (s, patched) = app
        .patch(
            &format!("/v2/booking-pages/{}/settings", id(&bp)),
            json!({"buffer_after_minutes": 15}),
        )
        .await;
    assert_eq!(s, 200, "{patched}");
    assert_eq!(
        (
            patched["buffer_after_minutes"].as_u64(),
            patched["durations"].clone()
        ),
        (Some(15), json!([30, 60])),
        "absent settings are kept"
    );

    assert_error(
        &app.post(
            "/v2/booking-pages",
            json!({"owner": app.owner_user_id, "name": "Dup", "slug": "andreahartie"}),
        )
        .await,
        409,
        "This URL is already in use: 'andreahartie'",
        Some("slug"),
    );
    assert_error(
        &app.post(
            "/v2/booking-pages",
            json!({"owner": "USR-NOPE", "name": "X"}),
        )
        .await,
        400,
        "No such user: 'USR-NOPE'",
        Some("owner"),
    );
    assert_error(
        &app.post(
            "/v2/booking-pages",
            json!({"owner": app.owner_user_id, "name": "X", "event_types": ["ET-NOPE"]}),
        )
        .await,
        400,
        "No such event type: 'ET-NOPE'",
        Some("event_types"),
    );
    assert_error(
        &app.post(
            "/v2/booking-pages",
            json!({"owner": app.owner_user_id, "name": "X", "settings": {"durations": [7]}}),
        )
        .await,
        400,
        "Invalid duration: 7. Durations are distinct multiples of 5 minutes from 5 to 720.",
        Some("settings.durations"),
    );
    assert_error(
        &app.patch(
            &format!("/v2/booking-pages/{}", id(&bp)),
            json!({"slug": "Bad Slug"}),
        )
        .await,
        400,
        "Invalid slug: 'Bad Slug'. Use 3 to 64 lowercase letters, digits and hyphens.",
        Some("slug"),
    );

    // Deleting a master page leaves its booking pages, ungrouped; deleted objects read redacted.
    assert_eq!(
        app.delete(&format!("/v2/master-pages/{}", id(&mp))).await.0,
        200
    );
    assert_eq!(
        app.get(&format!("/v2/booking-pages?master_page={}", id(&mp)))
            .await
            .1["data"],
        json!([])
    );
    assert_eq!(
        app.get(&format!("/v2/master-pages/{}", id(&mp))).await.1,
        json!({"id": id(&mp), "object": "master_page", "deleted": true})
    );
    assert_eq!(
        app.delete(&format!("/v2/event-types/{}", id(&et))).await.0,
        200
    );
    assert_eq!(
        app.get(&format!("/v2/booking-pages?event_type={}", id(&et)))
            .await
            .1["data"],
        json!([]),
        "a deleted event type offers no page"
    );
    for (path, what) in [
        ("booking-pages", "booking page"),
        ("master-pages", "master page"),
        ("event-types", "event type"),
        ("booking-calendars", "booking calendar"),
    ] {
        assert_error(
            &app.get(&format!("/v2/{path}/X-123")).await,
            404,
            &format!("No such {what}: 'X-123'"),
            Some("id"),
        );
    }
}
both_backends!(
    classic_pages_event_types_and_master_pages,
    classic_pages_event_types_and_master_pages
);

async fn booking_calendars_for_users_and_teams(app: &TestApp) {
    let (_, team) = app.post("/v2/teams", json!({"name": "Sales"})).await;
    let (s, mine) = app
        .post(
            "/v2/booking-calendars",
            json!({"host": app.owner_user_id, "name": "Olive's calendar", "subject": "Meet Olive", "slug": "olive"}),
        )
        .await;
    assert_eq!(s, 200, "{mine}");
    assert_eq!(
        mine,
        json!({"object": "booking_calendar", "id": id(&mine), "host": app.owner_user_id, "name": "Olive's calendar", "subject": "Meet Olive",
               "url": format!("{}/c/olive", app.base), "published": true, "duration_minutes": 30})
    );
    let (_, rr) = app
        .post(
            "/v2/booking-calendars",
            json!({"host": team["id"], "name": "Sales", "settings": {"durations": [45, 15]}}),
        )
        .await;
    assert_eq!(rr["duration_minutes"], 45, "the first duration");
    let (_, rr_settings) = app
        .get(&format!("/v2/booking-calendars/{}/settings", id(&rr)))
        .await;
    assert_eq!(rr_settings["slot_interval_minutes"], 45);
    let (_, by_team) = app
        .get(&format!(
            "/v2/booking-calendars?host={}",
            team["id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(
        by_team["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(id)
            .collect::<Vec<_>>(),
        vec![id(&rr)]
    );

    assert_error(
        &app.post(
            "/v2/booking-calendars",
            json!({"host": app.owner_user_id, "name": "x", "distribution": "collective"}),
        )
        .await,
        400,
        "Invalid distribution for a user's calendar: 'collective'",
        Some("distribution"),
    );
    assert_error(
        &app.post(
            "/v2/booking-calendars",
            json!({"host": team["id"], "name": "x", "distribution": "random"}),
        )
        .await,
        400,
        "Invalid distribution: 'random'. Use round_robin or collective.",
        Some("distribution"),
    );
    assert_error(
        &app.post(
            "/v2/booking-calendars",
            json!({"host": "TM-NOPE", "name": "x"}),
        )
        .await,
        400,
        "No such user or team: 'TM-NOPE'",
        Some("host"),
    );
    assert_error(
        &app.post("/v2/booking-calendars", json!({"name": "x"}))
            .await,
        400,
        "Required fields are missing.",
        Some("host"),
    );

    let (s, unpublished) = app
        .patch(
            &format!("/v2/booking-calendars/{}", id(&mine)),
            json!({"published": false, "subject": "Olive"}),
        )
        .await;
    assert_eq!(s, 200);
    assert_eq!(
        (
            unpublished["published"].as_bool(),
            unpublished["subject"].as_str()
        ),
        (Some(false), Some("Olive"))
    );
    let (_, moved) = app
        .patch(
            &format!("/v2/booking-calendars/{}", id(&rr)),
            json!({"distribution": "collective"}),
        )
        .await;
    assert_eq!(moved["host"], team["id"]);
    assert_eq!(
        app.delete(&format!("/v2/booking-calendars/{}", id(&mine)))
            .await
            .0,
        200
    );
    assert_eq!(
        app.get(&format!("/v2/booking-calendars/{}", id(&mine)))
            .await
            .1,
        json!({"id": id(&mine), "object": "booking_calendar", "deleted": true})
    );
    // Its URL is free again.
    assert_eq!(
        app.post(
            "/v2/booking-calendars",
            json!({"host": app.owner_user_id, "name": "again", "slug": "olive"})
        )
        .await
        .0,
        200
    );
}
both_backends!(
    booking_calendars_for_users_and_teams,
    booking_calendars_for_users_and_teams
);

/// A typed body (`api::body::Body`) refuses each kind of mistake with OnceHub's message naming
/// the field: unknown field, missing required field, null or wrong kind, a value its type
/// refuses, a text over its limit, an empty change — and a good body is read whole.
async fn typed_bodies_name_the_field_at_fault(app: &TestApp) {
    let cases = [
        (
            json!({"name": "A", "colour": "red"}),
            "Unsupported fields",
            "colour",
        ),
        (
            json!({"label": "x"}),
            "Required fields are missing.",
            "name",
        ),
        (json!({"name": null}), "Invalid name: 'null'", "name"),
        (json!({"name": 7}), "Invalid name: '7'", "name"),
        (json!({"name": "   "}), "Invalid name: '   '", "name"),
        (
            json!({"name": "A", "label": null}),
            "Invalid label: 'null'",
            "label",
        ),
        (
            json!({"name": "A", "active": "yes"}),
            "Invalid active: 'yes'",
            "active",
        ),
        (
            json!({"name": "A", "slug": "Bad Slug"}),
            "Invalid slug: 'Bad Slug'. Use 3 to 64 lowercase letters, digits and hyphens.",
            "slug",
        ),
    ];
    for (body, message, param) in cases {
        let got = app.post("/v2/master-pages", body.clone()).await;
        assert_error(&got, 400, message, Some(param));
    }
    let long = "x".repeat(100_000);
    let (s, e) = app.post("/v2/master-pages", json!({"name": long})).await;
    assert_eq!((s, e["param"].as_str()), (400, Some("name")), "{e}");

    let (s, mp) = app
        .post(
            "/v2/master-pages",
            json!({"name": "  Typed  ", "slug": "typed-body", "active": null}),
        )
        .await;
    assert_eq!(s, 200, "{mp}");
    assert_eq!(
        (&mp["name"], &mp["label"], &mp["active"]),
        (&json!("Typed"), &json!("Typed"), &json!(true)),
        "trimmed, label defaults to the name, null active is the default"
    );
    let path = format!("/v2/master-pages/{}", id(&mp));
    let got = app.patch(&path, json!({})).await;
    assert_error(
        &got,
        400,
        "At least one field must be provided to update.",
        Some("body"),
    );
    let got = app.patch(&path, json!({"nam": "x"})).await;
    assert_error(&got, 400, "Unsupported field", Some("nam"));
    let (s, mp) = app.patch(&path, json!({"label": "Renamed"})).await;
    assert_eq!(
        (s, &mp["name"], &mp["label"]),
        (200, &json!("Typed"), &json!("Renamed")),
        "absent fields are kept"
    );
}

both_backends!(
    typed_bodies_name_the_field_at_fault,
    typed_bodies_name_the_field_at_fault
);
