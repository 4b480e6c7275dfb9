//! Users and their scheduling availability, with every validation rule of the spec.

use crate::common;

use common::{assert_error, TestApp};
use serde_json::{json, Value};

async fn create_returns_the_user_and_applies_defaults(app: &TestApp) {
    let (_, team) = app.post("/v2/teams", json!({"name": "Sales"})).await;
    let (s, u) = app
        .post("/v2/users", json!({"email": "carrie@example.com", "first_name": "Carrie", "last_name": "Customer", "teams": [team["id"]]}))
        .await;
    assert_eq!(s, 200, "{u}");
    assert!(u["id"].as_str().unwrap().starts_with("USR-"));
    assert_eq!(u["object"], "user");
    assert_eq!(u["role_name"], "Member", "Member by default");
    assert_eq!(u["status"], "active");
    assert_eq!(
        u["timezone"], "America/Chicago",
        "the account's zone by default"
    );
    assert_eq!(
        u["teams"],
        json!([team["id"]]),
        "a team given twice is joined once"
    );
    let got = app
        .get(&format!("/v2/users/{}", u["id"].as_str().unwrap()))
        .await;
    assert_eq!(got, (200, u.clone()));
    let (_, by_email) = app.get("/v2/users?email=CARRIE@example.com").await;
    assert_eq!(by_email["data"], json!([u]));
}
both_backends!(
    create_returns_the_user_and_applies_defaults,
    create_returns_the_user_and_applies_defaults
);

async fn create_validation(app: &TestApp) {
    let ok = || json!({"email": "new@example.com", "first_name": "New", "last_name": "User"});
    let with = |k: &str, v: Value| {
        let mut b = ok();
        b[k] = v;
        b
    };
    let without = |k: &str| {
        let mut b = ok();
        b.as_object_mut().unwrap().remove(k);
        b
    };
    assert_error(
        &app.post("/v2/users", without("email")).await,
        400,
        "Required fields are missing.",
        Some("email"),
    );
    assert_error(
        &app.post("/v2/users", without("last_name")).await,
        400,
        "Required fields are missing.",
        Some("last_name"),
    );
    assert_error(
        &app.post("/v2/users", with("first_name", json!("fir[/*st_na*/]?me")))
            .await,
        400,
        "Invalid first_name: 'fir[/*st_na*/]?me'",
        Some("first_name"),
    );
    assert_error(
        &app.post("/v2/users", with("last_name", json!("la[/*st_na*/]?me")))
            .await,
        400,
        "Invalid last_name: 'la[/*st_na*/]?me'",
        Some("last_name"),
    );
    assert_error(
        &app.post("/v2/users", with("role_name", json!("Super Admin")))
            .await,
        400,
        "Invalid role name: 'Super Admin'",
        Some("role_name"),
    );
    assert_error(
        &app.post("/v2/users", with("role_name", json!("Account Owner")))
            .await,
        400,
        "The 'Account Owner' role cannot be assigned directly via the API.",
        Some("role_name"),
    );
    assert_error(
        &app.post(
            "/v2/users",
            with("teams", json!(["TM-INVALID1", "TM-INVALID2"])),
        )
        .await,
        400,
        "Invalid team(s): 'TM-INVALID1', 'TM-INVALID2'",
        Some("teams"),
    );
    assert_error(
        &app.post("/v2/users", with("teams", json!("TM-1"))).await,
        400,
        "Must be an array of strings.",
        Some("teams"),
    );
    assert_error(
        &app.post("/v2/users", with("nickname", json!("x"))).await,
        400,
        "Unsupported fields",
        Some("nickname"),
    );
    assert_error(
        &app.post("/v2/users", with("email", json!("john.doe@invalid")))
            .await,
        400,
        "Invalid email format: 'john.doe@invalid'",
        Some("email"),
    );
    assert_error(
        &app.post("/v2/users", with("timezone", json!("Mars/Olympus")))
            .await,
        400,
        "Invalid timezone: 'Mars/Olympus'",
        Some("timezone"),
    );
    assert_eq!(app.post("/v2/users", ok()).await.0, 200);
    assert_error(
        &app.post("/v2/users", with("email", json!("NEW@example.com")))
            .await,
        400,
        "Email already exists: 'NEW@example.com'",
        Some("email"),
    );
    let (_, list) = app.get("/v2/users?limit=100").await;
    assert_eq!(
        list["data"].as_array().unwrap().len(),
        2,
        "only the owner and the one valid user exist"
    );
}
both_backends!(create_validation, create_validation);

async fn update_rules(app: &TestApp) {
    let (_, u) = app
        .post(
            "/v2/users",
            json!({"email": "m@example.com", "first_name": "M", "last_name": "N"}),
        )
        .await;
    let id = u["id"].as_str().unwrap().to_string();
    let path = format!("/v2/users/{id}");
    let (_, t1) = app.post("/v2/teams", json!({"name": "One"})).await;
    let (s, updated) = app
        .patch(&path, json!({"first_name": "Andrea", "role_name": "Administrator", "teams": [t1["id"]], "timezone": "Europe/Paris"}))
        .await;
    assert_eq!(s, 200, "{updated}");
    assert_eq!(
        (
            updated["first_name"].as_str(),
            updated["last_name"].as_str(),
            updated["role_name"].as_str()
        ),
        (Some("Andrea"), Some("N"), Some("Administrator"))
    );
    assert_eq!(updated["teams"], json!([t1["id"]]));
    assert_eq!(updated["timezone"], "Europe/Paris");
    let (_, cleared) = app.patch(&path, json!({"teams": []})).await;
    assert_eq!(
        cleared["teams"],
        json!([]),
        "teams replaces all assignments"
    );

    assert_error(
        &app.patch(&path, json!({})).await,
        400,
        "At least one field must be provided to update.",
        Some("body"),
    );
    assert_error(
        &app.patch(&path, json!({"first_name": ""})).await,
        400,
        "Invalid first name: ''",
        Some("first_name"),
    );
    assert_error(
        &app.patch(&path, json!({"role_name": "InvalidRole"})).await,
        400,
        "Invalid role name: 'InvalidRole'",
        Some("role_name"),
    );
    assert_error(
        &app.patch(&path, json!({"teams": [1]})).await,
        400,
        "Must be an array of strings.",
        Some("teams"),
    );
    // The schema types each field as a string, not nullable: null is refused, not read as absent.
    assert_error(
        &app.patch(&path, json!({"first_name": "Ann", "role_name": null}))
            .await,
        400,
        "Invalid role_name: 'null'",
        Some("role_name"),
    );
    assert_error(
        &app.patch(&path, json!({"email": "x@example.com"})).await,
        400,
        "Unsupported field",
        Some("email"),
    );
    let owner = format!("/v2/users/{}", app.owner_user_id);
    let got = app.patch(&owner, json!({"first_name": "Bob"})).await;
    assert_error(&got, 403, "Cannot update 'Account Owner' user.", None);
    assert_eq!(got.1["type"], "invalid_request_error");
    assert_error(
        &app.patch("/v2/users/USR-NOPE", json!({"first_name": "x"}))
            .await,
        404,
        "No such user: 'USR-NOPE'",
        Some("id"),
    );

    assert_eq!(
        app.delete(&path).await,
        (200, json!({"id": id, "deleted": true}))
    );
    assert_error(
        &app.patch(&path, json!({"first_name": "Late"})).await,
        410,
        &format!("User cannot be modified as they have been deleted: '{id}'"),
        Some("id"),
    );
    // A malformed body is refused as such, deleted user or not (the body is read first).
    let (s, e) = app
        .patch(&path, json!({"first_name": {"not": "a name"}}))
        .await;
    assert_eq!((s, e["param"].as_str()), (400, Some("first_name")), "{e}");
    assert_eq!(
        app.get(&path).await,
        (200, json!({"id": id, "object": "user", "deleted": true}))
    );
    assert_error(
        &app.delete(&owner).await,
        403,
        "Cannot delete 'Account Owner' user.",
        None,
    );
    // The address is free again once its user is deleted.
    assert_eq!(
        app.post(
            "/v2/users",
            json!({"email": "m@example.com", "first_name": "M", "last_name": "N"})
        )
        .await
        .0,
        200
    );
}
both_backends!(update_rules, update_rules);

async fn availability_round_trip_and_errors(app: &TestApp) {
    let path = format!("/v2/users/{}/scheduling-availability", app.owner_user_id);
    let (s, sched) = app.get(&path).await;
    assert_eq!(s, 200);
    assert_eq!(sched["object"], "schedule");
    assert_eq!(sched["timezone"], "America/Chicago");
    assert_eq!(sched["weekly"].as_array().unwrap().len(), 7);
    let body = json!({
        "weekly": [{"day": "Monday", "working_hours": [
            {"start_time": "09:00", "end_time": "12:00", "locations": [{"type": "online_dynamic_link", "value": "google_meet"}]},
            {"start_time": "13:00", "end_time": "17:00", "locations": [{"type": "in_person_by_host", "id": "ADD-K8E9X", "value": "123 Office Street"}]}
        ]}, {"day": "Saturday", "working_hours": []}],
        "overrides": [{"date": "2025-12-25", "working_hours": []}]
    });
    let (s, patched) = app.patch(&path, body).await;
    assert_eq!(s, 200, "{patched}");
    assert_eq!(
        patched["weekly"][0]["working_hours"][1]["locations"][0],
        json!({"type": "in_person_by_host", "value": "123 Office Street", "id": "ADD-K8E9X"})
    );
    assert_eq!(
        patched["overrides"],
        json!([{"date": "2025-12-25", "day": "Thursday", "working_hours": []}])
    );
    assert_eq!(app.get(&path).await.1, patched, "stored as returned");
    let (_, windowed) = app
        .get(&format!("{path}?overrides_start_time=2026-01-01"))
        .await;
    assert_eq!(windowed["overrides"], json!([]));

    let span = |s: &str, e: &str| json!({"weekly": [{"day": "Monday", "working_hours": [{"start_time": s, "end_time": e, "locations": []}]}]});
    assert_error(
        &app.patch(&path, span("09:05", "10:00")).await,
        400,
        "start time should be multiple of 15: '09:05'",
        Some("weekly.working_hours.start_time"),
    );
    assert_error(
        &app.patch(&path, json!({"weekly": [{"day": "Monday", "working_hours": [
            {"start_time": "10:00", "end_time": "12:00", "locations": []}, {"start_time": "09:00", "end_time": "11:00", "locations": []}]}]})).await,
        400, "availability range is overlapping: '09:00-11:00'", Some("weekly.working_hours"));
    assert_error(
        &app.patch(&path, json!({"weekly": [{"day": "Monday", "working_hours": []}, {"day": "Monday", "working_hours": []}]})).await,
        400,
        "Duplicate entry for day or date: 'Monday'",
        Some("weekly"),
    );
    // The clock says 2025-06-15; in Chicago that is still the 15th.
    assert_error(
        &app.patch(
            &path,
            json!({"overrides": [{"date": "2024-01-01", "working_hours": []}]}),
        )
        .await,
        400,
        "Date cannot be in the past: '2024-01-01'",
        Some("overrides.date"),
    );
    assert_error(
        &app.patch(
            &path,
            json!({"weekly": [{"day": "Monday", "working_hours": [{"start_time": "09:00", "end_time": "10:00", "locations": [
            {"type": "online_dynamic_link", "value": "zoom"}, {"type": "online_static_link", "value": "https://meet.example.com/x"}]}]}]}),
        )
        .await,
        422,
        "You can set either online_dynamic_link or online_static_link",
        Some("weekly.working_hours.locations"),
    );
    assert_error(
        &app.get(&format!("{path}?start_date=2025-01-01")).await,
        400,
        "Received unknown parameter: start_date",
        Some("start_date"),
    );
    assert_error(
        &app.get(&format!("{path}?overrides_start_time=01/02/2025"))
            .await,
        400,
        "Invalid date format for overrides_start_time. Expected format: YYYY-MM-DD",
        Some("overrides_start_time"),
    );
    assert_eq!(
        app.get(&path).await.1,
        patched,
        "failed patches change nothing"
    );
    assert_error(
        &app.get("/v2/users/USR-NOPE/scheduling-availability").await,
        404,
        "No such user: 'USR-NOPE'",
        Some("id"),
    );
}
both_backends!(
    availability_round_trip_and_errors,
    availability_round_trip_and_errors
);

/// A stored value this build cannot read (here a role name) is an error, logged and answered as
/// OnceHub's `api_error` — never read as some default role.
async fn an_unknown_stored_value_is_an_error_not_a_default(app: &TestApp) {
    let (s, u) = app
        .post(
            "/v2/users",
            json!({"email": "odd@example.com", "first_name": "Odd", "last_name": "Role"}),
        )
        .await;
    assert_eq!(s, 200, "{u}");
    let id = u["id"].as_str().unwrap();
    sqlx::query("UPDATE users SET role_name = 'Overlord' WHERE id = $1")
        .bind(id)
        .execute(&mut *app.db.writer().await.unwrap())
        .await
        .unwrap();
    let (s, e) = app.get(&format!("/v2/users/{id}")).await;
    assert_eq!((s, e["type"].as_str()), (500, Some("api_error")), "{e}");
}

both_backends!(
    an_unknown_stored_value_is_an_error_not_a_default,
    an_unknown_stored_value_is_an_error_not_a_default
);
