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

/// The properties a request body's schema declares, following one `$ref`.
fn body_properties(doc: &Value, op: &Value) -> Option<Vec<String>> {
    let mut schema = &op["requestBody"]["content"]["application/json"]["schema"];
    if let Some(r) = schema["$ref"].as_str() {
        let name = r.rsplit('/').next().unwrap();
        schema = &doc["components"]["schemas"][name];
    }
    let props = schema["properties"].as_object()?;
    Some(props.keys().cloned().collect())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_request_body_declares_its_fields() {
    let doc = document().await;
    let mut untyped = Vec::new();
    let mut typed = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            if op.get("requestBody").is_none() {
                continue;
            }
            let id = op["operationId"].as_str().unwrap_or(path).to_string();
            match body_properties(&doc, op) {
                Some(props) if !props.is_empty() => typed.push(id),
                _ => untyped.push(format!("{id} ({method} {path})")),
            }
        }
    }
    assert!(
        untyped.is_empty(),
        "bodies without declared fields: {untyped:?}"
    );
    assert!(typed.len() >= 30, "every body was looked at: {typed:?}");
    // Each body has its own schema (two types of one name would share a component).
    let props = |path: &str, method: &str| body_properties(&doc, &doc["paths"][path][method]);
    for (path, method, member) in [
        ("/v2/booking-pages/{id}/settings", "patch", "durations"),
        ("/v2/users/{id}/scheduling-availability", "patch", "weekly"),
        (
            "/v2/booking-calendars/{id}/schedule",
            "post",
            "booking_form",
        ),
        ("/v2/users", "post", "email"),
        ("/v2/users/{id}", "patch", "first_name"),
    ] {
        let got = props(path, method).unwrap_or_default();
        assert!(got.iter().any(|p| p == member), "{method} {path}: {got:?}");
    }
}

/// Every `$ref` in the document names a schema it defines (typed ids among them), and an id
/// reads as its kind's form: the prefix, then uppercase letters and digits.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_reference_resolves_and_ids_declare_their_form() {
    let doc = document().await;
    fn refs(v: &Value, out: &mut Vec<String>) {
        match v {
            Value::Object(m) => {
                if let Some(r) = m.get("$ref").and_then(Value::as_str) {
                    out.push(r.to_string());
                }
                m.values().for_each(|v| refs(v, out));
            }
            Value::Array(a) => a.iter().for_each(|v| refs(v, out)),
            _ => {}
        }
    }
    let mut all = Vec::new();
    refs(&doc, &mut all);
    let dangling: Vec<&String> = all
        .iter()
        .filter(|r| doc.pointer(r.trim_start_matches('#')).is_none())
        .collect();
    assert!(dangling.is_empty(), "references to nothing: {dangling:?}");
    let schemas = &doc["components"]["schemas"];
    assert_eq!(schemas["UserId"]["pattern"], "^USR-[0-9A-Z]{1,40}$");
    assert_eq!(schemas["HostId"]["pattern"], "^(USR|TM)-[0-9A-Z]{1,40}$");
    assert_eq!(
        schemas["Contact"]["properties"]["id"]["$ref"],
        "#/components/schemas/ContactId"
    );
}

/// The document a fresh server serves.
async fn document() -> Value {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    app.http
        .get(format!("{}/v2/openapi.json", app.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}
