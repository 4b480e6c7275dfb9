//! What clients see at the connection level: header names as OnceHub writes them, timeouts and
//! caps that keep idle and half-sent connections from starving everyone else, and limits
//! refused at once in OnceHub's error shape. Raw TCP, so nothing between hides the bytes.

use crate::common;

use std::{
    net::SocketAddr,
    time::{Duration, Instant},
};

use common::{receiver::Receiver, Backend, Options, TestApp};
use serde_json::{json, Value};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::{TcpSocket, TcpStream},
};

fn addr(app: &TestApp) -> SocketAddr {
    app.base.trim_start_matches("http://").parse().unwrap()
}

/// Sends `request` and reads the whole answer (the server closes or the head and body are in).
async fn raw(app: &TestApp, request: &str) -> (String, Value) {
    let mut s = TcpStream::connect(addr(app)).await.unwrap();
    s.write_all(request.as_bytes()).await.unwrap();
    read_answer(&mut s).await
}

/// One response: its head as text and its body as JSON (`Null` when it is not JSON).
async fn read_answer(s: &mut TcpStream) -> (String, Value) {
    let mut buf = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..i]).to_string();
            let len: usize = head
                .lines()
                .find_map(|l| l.strip_prefix("Content-Length: "))
                .map_or(0, |v| v.trim().parse().unwrap());
            if buf.len() >= i + 4 + len {
                return (
                    head,
                    serde_json::from_slice(&buf[i + 4..i + 4 + len]).unwrap_or(Value::Null),
                );
            }
        }
        let mut chunk = [0u8; 16384];
        let n = tokio::time::timeout_at(deadline.into(), s.read(&mut chunk))
            .await
            .expect("an answer within 10 s")
            .unwrap();
        assert!(
            n > 0,
            "connection closed before a whole answer: {}",
            String::from_utf8_lossy(&buf)
        );
        buf.extend_from_slice(&chunk[..n]);
    }
}

fn names(head: &str) -> Vec<&str> {
    head.lines()
        .skip(1)
        .filter_map(|l| l.split_once(':'))
        .map(|(k, _)| k)
        .collect()
}

/// Connector frameworks copy headers into a plain dictionary and look up `Link`, `Request-Id`
/// and `Retry-After` as OnceHub spells them: the names must travel in that case.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn header_names_travel_in_their_conventional_case() {
    let Some(app) = TestApp::spawn_with(
        Backend::Sqlite,
        Options {
            allow_http_webhooks: true,
            ..Options::default()
        },
    )
    .await
    else {
        return;
    };
    for i in 0..2 {
        let (s, c) = app
            .post(
                "/v2/contacts",
                json!({"first_name": "C", "last_name": "L", "email": format!("c{i}@example.com")}),
            )
            .await;
        assert_eq!(s, 201, "{c}");
    }
    let (head, body) =
        raw(&app, &format!("GET /v2/contacts?limit=1 HTTP/1.1\r\nHost: x\r\nAPI-Key: {}\r\nConnection: close\r\n\r\n", app.key)).await;
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    assert_eq!(body["data"].as_array().map(Vec::len), Some(1));
    let got = names(&head);
    for name in ["Link", "Request-Id", "Content-Type", "Content-Length"] {
        assert!(
            got.contains(&name),
            "{name} missing or in another case: {got:?}"
        );
    }
    assert!(
        !got.iter()
            .any(|n| n.chars().next().is_some_and(char::is_lowercase)),
        "a name starts in lower case: {got:?}"
    );

    // A public page too.
    let (head, _) = raw(
        &app,
        "GET /docs HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    )
    .await;
    assert!(
        names(&head).contains(&"Content-Type") && names(&head).contains(&"Request-Id"),
        "{head}"
    );

    // And the webhook requests Slotline sends.
    let receiver = Receiver::start().await;
    let (s, w) = app
        .post(
            "/v2/webhooks",
            json!({"name": "case", "url": receiver.url, "events": ["booking"]}),
        )
        .await;
    assert_eq!(s, 200, "{w}");
    let (s, _) = app
        .post(
            &format!("/v2/webhooks/{}/test", w["id"].as_str().unwrap()),
            json!({}),
        )
        .await;
    assert_eq!(s, 200);
    let got = receiver.wait_for(1, 10).await;
    let sent = &got[0].names_as_sent;
    for name in [
        "Content-Type",
        "User-Agent",
        "Oncehub-Signature",
        "Webhook-Id",
        "Webhook-Timestamp",
        "Webhook-Signature",
    ] {
        assert!(
            sent.iter().any(|n| n == name),
            "{name} missing or in another case: {sent:?}"
        );
    }
    app.finish().await;
}

/// A connection bound to `ip` (any 127/8 address reaches the server; the cap is per address).
async fn connect_from(ip: &str, to: SocketAddr) -> std::io::Result<TcpStream> {
    let socket = TcpSocket::new_v4()?;
    socket.bind(format!("{ip}:0").parse().unwrap())?;
    socket.connect(to).await
}

/// Thousands of idle and slowloris connections from one address neither exhaust the server's
/// descriptors nor delay anyone else: past the per-address cap they are answered 503 and
/// closed, and a normal request from another address answers at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_and_slow_connections_do_not_starve_other_clients() {
    let opts = Options {
        max_connections_per_address: 100,
        ..Options::default()
    };
    let Some(app) = TestApp::spawn_with(Backend::Sqlite, opts).await else {
        return;
    };
    let to = addr(&app);
    let mut held = Vec::new();
    let mut refused = 0;
    for i in 0..3000 {
        let mut s = connect_from("127.0.0.2", to).await.expect("connect");
        if i % 2 == 1 {
            // Slowloris: a head that never ends.
            let _ = s
                .write_all(b"GET /v2/test HTTP/1.1\r\nHost: x\r\nX-Slow: ")
                .await;
        }
        held.push(s);
    }
    // Every connection past the cap was told why and closed.
    for s in held.iter_mut().skip(100) {
        let mut buf = [0u8; 512];
        let n = tokio::time::timeout(Duration::from_secs(10), s.read(&mut buf))
            .await
            .expect("closed within 10 s")
            .unwrap_or(0);
        let text = String::from_utf8_lossy(&buf[..n]);
        if text.starts_with("HTTP/1.1 503")
            && text.contains("\r\nRequest-Id: req_")
            && text.contains("\"type\":\"api_error\"")
        {
            refused += 1;
        }
    }
    assert_eq!(
        refused, 2900,
        "all but the first 100 connections from one address are refused"
    );

    let started = Instant::now();
    let res = app
        .http
        .get(format!("{}/v2/test", app.base))
        .header("API-Key", &app.key)
        .timeout(Duration::from_secs(1))
        .send()
        .await;
    assert_eq!(
        res.expect("a normal request answers within a second")
            .status(),
        200,
        "after {:?}",
        started.elapsed()
    );
    drop(held);
    app.finish().await;
}

/// An idle keep-alive connection, and one that never finishes its head, are closed after the
/// idle timeout.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_and_half_sent_connections_are_closed_after_the_idle_timeout() {
    let Some(app) = TestApp::spawn_with(
        Backend::Sqlite,
        Options {
            idle_timeout_secs: 1,
            ..Options::default()
        },
    )
    .await
    else {
        return;
    };
    let mut idle = TcpStream::connect(addr(&app)).await.unwrap();
    let mut slow = TcpStream::connect(addr(&app)).await.unwrap();
    slow.write_all(b"GET /v2/test HTTP/1.1\r\nHost: x\r\n")
        .await
        .unwrap();
    // A keep-alive connection after one answered request.
    let mut kept = TcpStream::connect(addr(&app)).await.unwrap();
    kept.write_all(
        format!(
            "GET /v2/test HTTP/1.1\r\nHost: x\r\nAPI-Key: {}\r\n\r\n",
            app.key
        )
        .as_bytes(),
    )
    .await
    .unwrap();
    let (head, _) = read_answer(&mut kept).await;
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    for (what, s) in [
        ("idle", &mut idle),
        ("half-sent", &mut slow),
        ("keep-alive", &mut kept),
    ] {
        let mut rest = Vec::new();
        let closed = tokio::time::timeout(Duration::from_secs(10), s.read_to_end(&mut rest)).await;
        assert!(
            closed.is_ok(),
            "the {what} connection is still open after 10 s"
        );
    }
    app.finish().await;
}

/// A body declared larger than the limit is refused before it is sent, in OnceHub's shape.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_declared_body_over_the_limit_is_refused_without_waiting_for_it() {
    let Some(app) = TestApp::spawn_with(
        Backend::Sqlite,
        Options {
            body_limit: 1000,
            ..Options::default()
        },
    )
    .await
    else {
        return;
    };
    let (head, body) = raw(
        &app,
        &format!(
            "POST /v2/contacts HTTP/1.1\r\nHost: x\r\nAPI-Key: {}\r\nContent-Type: application/json\r\nContent-Length: 50000000\r\n\r\n",
            app.key
        ),
    )
    .await;
    assert!(head.starts_with("HTTP/1.1 413"), "{head}");
    assert_eq!(body["type"], "invalid_request_error");
    assert_eq!(body["param"], "body");
    assert!(
        body["message"].as_str().unwrap().contains("1000 bytes"),
        "{body}"
    );
    app.finish().await;
}

/// Over-long URLs and header sections get OnceHub's error body, not an empty answer.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn long_urls_and_header_sections_are_refused_in_oncehubs_shape() {
    let Some(app) = TestApp::spawn(Backend::Sqlite).await else {
        return;
    };
    let long = "a".repeat(20_000);
    let (head, body) = raw(
        &app,
        &format!("GET /v2/contacts?x={long} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"),
    )
    .await;
    assert!(head.starts_with("HTTP/1.1 414"), "{head}");
    assert_eq!(
        (body["type"].as_str(), body["param"].as_str()),
        (Some("invalid_request_error"), Some("url")),
        "{body}"
    );

    let big = "b".repeat(6_000);
    let headers: String = (0..10).map(|i| format!("X-Big-{i}: {big}\r\n")).collect();
    let (head, body) = raw(
        &app,
        &format!("GET /v2/test HTTP/1.1\r\nHost: x\r\n{headers}Connection: close\r\n\r\n"),
    )
    .await;
    assert!(head.starts_with("HTTP/1.1 431"), "{head}");
    assert_eq!(
        (body["type"].as_str(), body["param"].as_str()),
        (Some("invalid_request_error"), Some("headers")),
        "{body}"
    );

    // Beyond what the HTTP parser itself buffers (a 100 KB URL, a 300 KB head) and malformed
    // heads: the parser's own answers carry OnceHub's shape too.
    let huge = "a".repeat(100_000);
    let (head, body) = raw(
        &app,
        &format!("GET /v2/contacts?x={huge} HTTP/1.1\r\nHost: x\r\n\r\n"),
    )
    .await;
    assert!(
        head.starts_with("HTTP/1.1 414") && head.contains("\r\nRequest-Id: req_"),
        "{head}"
    );
    assert_eq!(
        (body["type"].as_str(), body["param"].as_str()),
        (Some("invalid_request_error"), Some("url")),
        "{body}"
    );
    let headers: String = (0..50).map(|i| format!("X-Big-{i}: {big}\r\n")).collect();
    let (head, body) = raw(
        &app,
        &format!("GET /v2/test HTTP/1.1\r\nHost: x\r\n{headers}\r\n"),
    )
    .await;
    assert!(head.starts_with("HTTP/1.1 431"), "{head}");
    assert_eq!(body["param"], "headers", "{body}");
    let (head, body) = raw(
        &app,
        "GET /v2/test HTTP/1.1\r\nHost x\r\nBroken header line\r\n\r\n",
    )
    .await;
    assert!(head.starts_with("HTTP/1.1 400"), "{head}");
    assert_eq!(body["type"], "invalid_request_error", "{body}");
    app.finish().await;
}
