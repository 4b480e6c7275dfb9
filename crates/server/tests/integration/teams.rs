//! Teams: OnceHub's list/get plus the create/rename/delete extensions.

use crate::common;

use common::{assert_error, TestApp};
use serde_json::json;

async fn team_lifecycle_and_member_filter(app: &TestApp) {
    let (s, sales) = app.post("/v2/teams", json!({"name": "Sales"})).await;
    assert_eq!(s, 200);
    assert!(sales["id"].as_str().unwrap().starts_with("TM-"));
    assert_eq!(sales["object"], "team");
    let (_, support) = app.post("/v2/teams", json!({"name": "Support"})).await;
    let (_, u) =
        app.post("/v2/users", json!({"email": "a@example.com", "first_name": "A", "last_name": "B", "teams": [sales["id"]]})).await;
    let (_, mine) = app
        .get(&format!("/v2/teams?user={}", u["id"].as_str().unwrap()))
        .await;
    assert_eq!(mine["data"], json!([sales]));
    let (_, all) = app.get("/v2/teams").await;
    assert_eq!(all["data"], json!([support, sales]), "newest first");

    let sales_path = format!("/v2/teams/{}", sales["id"].as_str().unwrap());
    let (_, renamed) = app.patch(&sales_path, json!({"name": "Revenue"})).await;
    assert_eq!(renamed["name"], "Revenue");
    assert_error(
        &app.patch(&sales_path, json!({"name": ""})).await,
        400,
        "Invalid name: ''",
        Some("name"),
    );
    assert_error(
        &app.post("/v2/teams", json!({})).await,
        400,
        "Required fields are missing.",
        Some("name"),
    );
    assert_eq!(app.delete(&sales_path).await.0, 200);
    assert_eq!(
        app.get(&sales_path).await.1,
        json!({"id": sales["id"], "object": "team", "deleted": true})
    );
    let (_, user) = app
        .get(&format!("/v2/users/{}", u["id"].as_str().unwrap()))
        .await;
    assert_eq!(
        user["teams"],
        json!([]),
        "a deleted team leaves its members"
    );
    assert_error(
        &app.get("/v2/teams/TM-NOPE").await,
        404,
        "No such team: 'TM-NOPE'",
        Some("id"),
    );
}
both_backends!(
    team_lifecycle_and_member_filter,
    team_lifecycle_and_member_filter
);
