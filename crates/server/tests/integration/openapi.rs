//! Our own OpenAPI document and the docs page.

use crate::common;

use common::{Backend, TestApp};
use serde_json::Value;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn document_is_public_lists_operations_and_marks_extensions() {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let res = app
        .http
        .get(format!("{}/v2/openapi.json", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "served without a key");
    let doc: Value = res.json().await.unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    let op = |path: &str, method: &str| doc["paths"][path][method].clone();
    for (path, method, id) in [
        ("/v2/test", "get", "validate-api-key"),
        ("/v2/users", "post", "add-a-new-user"),
        (
            "/v2/users/{id}/scheduling-availability",
            "patch",
            "patch_user_scheduling_availability",
        ),
        ("/v2/contacts", "post", "add-a-new-contact"),
        ("/v2/webhooks/{id}", "delete", "delete-a-webhook"),
    ] {
        assert_eq!(op(path, method)["operationId"], id, "{method} {path}");
        assert!(
            op(path, method).get("x-slotline-extension").is_none(),
            "OnceHub's own operations are not marked"
        );
    }
    assert_eq!(op("/v2/teams", "post")["x-slotline-extension"], true);
    assert_eq!(op("/v2/custom-fields", "get")["x-slotline-extension"], true);
    assert_eq!(
        op("/v2/booking-calendars", "post")["x-slotline-extension"],
        true
    );
    assert_eq!(
        op("/v2/booking-pages/{id}/settings", "patch")["x-slotline-extension"],
        true
    );
    assert!(op("/v2/booking-calendars/{id}", "get")
        .get("x-slotline-extension")
        .is_none());
    assert_eq!(
        op("/v2/event-types/{id}", "get")["operationId"],
        "get-a-single-event-type"
    );
    assert_eq!(
        doc["components"]["securitySchemes"]["ApiKey"]["name"],
        "API-Key"
    );
    assert!(doc["components"]["schemas"]["Contact"]["properties"]["terms_of_sevice"].is_object());

    let res = app
        .http
        .get(format!("{}/docs", app.base))
        .send()
        .await
        .unwrap();
    // The security headers of every page: no script, no sniffing, not framed by anyone.
    let csp = res.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        csp.contains("default-src 'none'") && csp.contains("frame-ancestors 'none'"),
        "{csp}"
    );
    assert_eq!(res.headers()["x-content-type-options"], "nosniff");
    assert!(res.headers().get("referrer-policy").is_some());
    let page = res.text().await.unwrap();
    assert!(
        page.contains("Slotline API reference")
            && page.contains("/v2/contacts")
            && page.contains("extension")
    );
    app.finish().await;
}
