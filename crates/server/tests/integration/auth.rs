//! Keys, the API-Key header, Request-Id and the rate limit.

use crate::common;

use common::{assert_error, Backend, Options, TestApp};
use reqwest::Method;
use slotline::store::keys;

async fn key_validation_names_the_account(app: &TestApp) {
    let got = app.get("/v2/test").await;
    assert_eq!(
        got,
        (
            200,
            serde_json::json!({"message": "The API key is valid for account: owner@test.example"})
        )
    );
}
both_backends!(
    key_validation_names_the_account,
    key_validation_names_the_account
);

async fn header_name_is_case_insensitive(app: &TestApp) {
    for name in ["API-Key", "api-key", "API-KEY", "Api-kEy"] {
        let res = app
            .http
            .get(format!("{}/v2/test", app.base))
            .header(name, &app.key)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200, "{name}");
    }
}
both_backends!(
    header_name_is_case_insensitive,
    header_name_is_case_insensitive
);

async fn missing_unknown_and_revoked_keys_get_401(app: &TestApp) {
    let res = app
        .http
        .get(format!("{}/v2/users", app.base))
        .send()
        .await
        .unwrap();
    let got = (res.status().as_u16(), res.json().await.unwrap());
    assert_error(&got, 401, "Invalid API key.", None);
    assert_eq!(got.1["type"], "authentication_error");

    let got = app
        .call_as("slk_notakey", Method::GET, "/v2/test", None)
        .await;
    assert_eq!(got.status(), 401);

    let (info, secret) = keys::create(&app.db, &app.account_id, "temporary", 0)
        .await
        .unwrap();
    assert_eq!(
        app.call_as(&secret, Method::GET, "/v2/test", None)
            .await
            .status(),
        200
    );
    assert!(keys::revoke(&app.db, &info.id, 1).await.unwrap());
    assert_eq!(
        app.call_as(&secret, Method::GET, "/v2/test", None)
            .await
            .status(),
        401,
        "revocation takes effect at once"
    );
    assert_eq!(
        app.call(Method::GET, "/v2/test", None).await.status(),
        200,
        "other keys keep working"
    );
}
both_backends!(
    missing_unknown_and_revoked_keys_get_401,
    missing_unknown_and_revoked_keys_get_401
);

async fn keys_are_stored_only_as_hashes_and_capped_at_25(app: &TestApp) {
    let (_, secret) = keys::create(&app.db, &app.account_id, "second", 0)
        .await
        .unwrap();
    let rows: Vec<(String, String)> = sqlx::query_as("SELECT hash, hint FROM api_keys")
        .fetch_all(&mut *app.db.reader().await.unwrap())
        .await
        .unwrap();
    for (hash, hint) in &rows {
        assert!(!hash.contains(&secret[4..]) && !hint.contains(&secret[12..]));
    }
    // 2 active now; 23 more reach the limit, the 26th is refused.
    for i in 0..23 {
        keys::create(&app.db, &app.account_id, &format!("k{i}"), 0)
            .await
            .unwrap();
    }
    assert!(keys::create(&app.db, &app.account_id, "one too many", 0)
        .await
        .is_err());
    let listed = keys::list(&app.db, &app.account_id).await.unwrap();
    keys::revoke(&app.db, &listed[3].id, 0).await.unwrap();
    assert!(
        keys::create(&app.db, &app.account_id, "after a revocation", 0)
            .await
            .is_ok()
    );
}
both_backends!(
    keys_are_stored_only_as_hashes_and_capped_at_25,
    keys_are_stored_only_as_hashes_and_capped_at_25
);

async fn every_response_carries_a_request_id(app: &TestApp) {
    let mut seen = std::collections::HashSet::new();
    for (key, path) in [
        (app.key.as_str(), "/v2/test"),
        ("bad", "/v2/test"),
        (app.key.as_str(), "/v2/nothing-here"),
        (app.key.as_str(), "/v2/users/USR-NOPE"),
    ] {
        let res = app.call_as(key, Method::GET, path, None).await;
        let id = res
            .headers()
            .get("request-id")
            .expect("Request-Id header")
            .to_str()
            .unwrap()
            .to_string();
        assert!(id.starts_with("req_"), "{id}");
        assert!(seen.insert(id), "request ids are unique");
    }
}
both_backends!(
    every_response_carries_a_request_id,
    every_response_carries_a_request_id
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rate_limit_is_per_account_with_retry_after() {
    let app = TestApp::spawn_with(
        Backend::Sqlite,
        Options {
            rate_limit: 5,
            ..Options::default()
        },
    )
    .await
    .unwrap();
    let mut limited = None;
    for _ in 0..12 {
        let res = app.call(Method::GET, "/v2/test", None).await;
        if res.status() == 429 {
            limited = Some(res);
            break;
        }
    }
    let res = limited.expect("more than 5 requests within a second are limited");
    let retry: u64 = res
        .headers()
        .get("retry-after")
        .expect("Retry-After")
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=2).contains(&retry), "{retry}");
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(
        body,
        serde_json::json!({"type": "rate_limit_error", "message": "Request rate limit exceeded"})
    );
    // Another account has its own budget.
    let other = app.other_account_key().await;
    assert_eq!(
        app.call_as(&other, Method::GET, "/v2/test", None)
            .await
            .status(),
        200
    );
    // The budget refills.
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    assert_eq!(app.call(Method::GET, "/v2/test", None).await.status(), 200);
    app.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rate_limit_can_be_switched_off() {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    for _ in 0..40 {
        assert_eq!(app.call(Method::GET, "/v2/test", None).await.status(), 200);
    }
    app.finish().await;
}

/// Every error a client can meet reads as OnceHub's `{type, message, param}` with a
/// `Request-Id`: 401, 404, 405, 413, 415 from the API, and the framework's own rejections on
/// the chat widget's JSON calls.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_error_is_in_oncehubs_shape_with_a_request_id() {
    let Some(app) = TestApp::spawn_with(
        Backend::Sqlite,
        Options {
            body_limit: 2000,
            ..Options::default()
        },
    )
    .await
    else {
        return;
    };
    let url = |p: &str| format!("{}{p}", app.base);
    let cases: Vec<(reqwest::RequestBuilder, u16, &str, Option<&str>)> = vec![
        (
            app.http.get(url("/v2/test")).header("API-Key", "nope"),
            401,
            "authentication_error",
            None,
        ),
        (
            app.http
                .get(url("/v2/nothing-here"))
                .header("API-Key", &app.key),
            404,
            "invalid_request_error",
            None,
        ),
        (
            app.http.delete(url("/v2/test")).header("API-Key", &app.key),
            405,
            "invalid_request_error",
            None,
        ),
        (
            app.http
                .post(url("/v2/contacts"))
                .header("API-Key", &app.key)
                .header("Content-Type", "text/plain")
                .body("first_name=A"),
            415,
            "invalid_request_error",
            Some("Content-Type"),
        ),
        // The chat widget's calls: malformed JSON, and JSON of the wrong shape.
        (
            app.http
                .post(url("/w/WEB-NOPE/conversations"))
                .header("Content-Type", "application/json")
                .body("{not json"),
            400,
            "invalid_request_error",
            Some("body"),
        ),
        (
            app.http
                .post(url("/w/conversations/tok/reply"))
                .header("Content-Type", "application/json")
                .body("[1,2]"),
            422,
            "invalid_request_error",
            Some("body"),
        ),
        (
            app.http
                .post(url("/w/WEB-NOPE/conversations"))
                .header("Content-Type", "text/plain")
                .body("hi"),
            415,
            "invalid_request_error",
            Some("Content-Type"),
        ),
    ];
    for (i, (req, status, kind, param)) in cases.into_iter().enumerate() {
        let res = req.send().await.unwrap();
        assert_eq!(res.status().as_u16(), status, "case {i}");
        assert!(
            res.headers().get("request-id").is_some(),
            "case {i}: Request-Id"
        );
        assert!(
            res.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("application/json"),
            "case {i}"
        );
        let body: serde_json::Value = res.json().await.unwrap();
        assert_eq!(body["type"], kind, "case {i}: {body}");
        assert!(
            body["message"].as_str().is_some_and(|m| !m.is_empty()),
            "case {i}: {body}"
        );
        assert_eq!(
            body.get("param").and_then(|p| p.as_str()),
            param,
            "case {i}: {body}"
        );
    }

    // A chunked body over the limit: its size is known only while reading it.
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut s = tokio::net::TcpStream::connect(app.base.trim_start_matches("http://"))
        .await
        .unwrap();
    let chunk = format!("{{\"first_name\": \"{}\"}}", "x".repeat(5000));
    let req = format!(
        "POST /v2/contacts HTTP/1.1\r\nHost: x\r\nAPI-Key: {}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n{:x}\r\n{chunk}\r\n0\r\n\r\n",
        app.key,
        chunk.len()
    );
    s.write_all(req.as_bytes()).await.unwrap();
    let mut answer = String::new();
    s.read_to_string(&mut answer).await.unwrap();
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert!(
        answer.contains("Request-Id: ") && answer.contains("Content-Type: application/json"),
        "{answer}"
    );
    let body: serde_json::Value =
        serde_json::from_str(&answer[answer.find("\r\n\r\n").unwrap() + 4..]).unwrap();
    assert_eq!(
        (body["type"].as_str(), body["param"].as_str()),
        (Some("invalid_request_error"), Some("body")),
        "{body}"
    );
    app.finish().await;
}
