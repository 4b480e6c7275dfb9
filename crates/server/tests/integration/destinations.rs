//! Where webhook requests may go when proxies are involved: proxy variables of the environment
//! are ignored (the address guard would only ever see the proxy), and an explicitly configured
//! proxy is asked to connect only after the destination itself passed the guard.

use crate::common;

use std::{
    sync::{Arc, Mutex},
    time::Duration,
};

use common::{receiver::Receiver, Options, TestApp};
use serde_json::{json, Value};
use tokio::{io::AsyncReadExt, net::TcpListener};

/// A forward proxy that records the first line of every request it is sent, then hangs up.
async fn recording_proxy() -> (String, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    tokio::spawn(async move {
        while let Ok((mut s, _)) = listener.accept().await {
            let mut buf = [0u8; 4096];
            let n = s.read(&mut buf).await.unwrap_or(0);
            let text = String::from_utf8_lossy(&buf[..n]);
            log.lock()
                .unwrap()
                .push(text.lines().next().unwrap_or("").to_string());
        }
    });
    (url, seen)
}

async fn subscribe_and_test(app: &TestApp, url: &str) -> String {
    let (s, w) = app
        .post(
            "/v2/webhooks",
            json!({"name": "proxied", "url": url, "events": ["booking"]}),
        )
        .await;
    assert_eq!(s, 200, "{w}");
    let id = w["id"].as_str().unwrap().to_string();
    let (s, _) = app
        .post(&format!("/v2/webhooks/{id}/test"), json!({}))
        .await;
    assert_eq!(s, 200);
    id
}

/// The first attempt of the webhook's only delivery, once there is one.
async fn first_attempt(app: &TestApp, webhook: &str) -> Value {
    for _ in 0..300 {
        let (_, log) = app.get(&format!("/v2/webhooks/{webhook}/deliveries")).await;
        if let Some(a) = log["data"][0]["attempts"]
            .as_array()
            .and_then(|a| a.first())
        {
            return a.clone();
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("no attempt was made");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn proxy_variables_of_the_environment_are_ignored() {
    let (proxy, seen) = recording_proxy().await;
    // nextest runs each test in a process of its own: these variables reach no other test.
    for var in [
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "ALL_PROXY",
        "http_proxy",
        "https_proxy",
        "all_proxy",
    ] {
        std::env::set_var(var, &proxy);
    }
    let Some(app) = TestApp::spawn_with(
        common::Backend::Sqlite,
        Options {
            allow_http_webhooks: true,
            ..Options::default()
        },
    )
    .await
    else {
        return;
    };
    let receiver = Receiver::start().await;
    subscribe_and_test(&app, &receiver.url).await;
    assert_eq!(
        receiver.wait_for(1, 10).await.len(),
        1,
        "delivered straight to the receiver"
    );
    assert!(
        seen.lock().unwrap().is_empty(),
        "the environment's proxy was used: {:?}",
        seen.lock().unwrap()
    );
    app.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_configured_proxy_is_asked_only_for_destinations_the_guard_allows() {
    let (proxy, seen) = recording_proxy().await;
    let opts = Options {
        webhook_proxy: Some(proxy.clone()),
        webhook_timeout_secs: 2,
        ..Options::default()
    };
    let Some(app) = TestApp::spawn_with(common::Backend::Sqlite, opts).await else {
        return;
    };
    // `localhost` resolves to loopback: refused before the proxy hears of it.
    let webhook = subscribe_and_test(&app, "https://localhost:9/hook").await;
    let attempt = first_attempt(&app, &webhook).await;
    assert_eq!(attempt["error_kind"], "address", "{attempt}");
    assert!(
        attempt["error"].as_str().unwrap().contains("loopback"),
        "{attempt}"
    );
    assert!(
        seen.lock().unwrap().is_empty(),
        "the proxy was asked for an internal destination: {:?}",
        seen.lock().unwrap()
    );
    app.finish().await;

    // Once the operator allows loopback, the same destination goes through the proxy.
    let opts = Options {
        webhook_proxy: Some(proxy),
        webhook_allow: "127.0.0.0/8,::1",
        webhook_timeout_secs: 2,
        ..Options::default()
    };
    let Some(app) = TestApp::spawn_with(common::Backend::Sqlite, opts).await else {
        return;
    };
    let webhook = subscribe_and_test(&app, "https://localhost:9/hook").await;
    first_attempt(&app, &webhook).await;
    let lines = seen.lock().unwrap().clone();
    assert_eq!(
        lines,
        ["CONNECT localhost:9 HTTP/1.1"],
        "the proxy is asked to connect to the destination"
    );
    app.finish().await;
}
