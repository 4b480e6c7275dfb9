//! A real HTTP server publishing an iCalendar feed, as a calendar provider does: the body and
//! its ETag can be changed between reads, it answers 304 to a matching `If-None-Match`, and it
//! records what each read sent.

#![allow(dead_code)]

use std::sync::{Arc, Mutex};

use axum::{
    extract::State,
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
    routing::get,
    Router,
};

#[derive(Default)]
struct Inner {
    body: String,
    etag: String,
    /// The `If-None-Match` of each read (empty when absent).
    reads: Vec<String>,
}

#[derive(Clone)]
pub struct Feed {
    /// The feed's address; its path holds a "private" token, as providers' feeds do.
    pub url: String,
    inner: Arc<Mutex<Inner>>,
}

impl Feed {
    pub async fn start(body: &str) -> Feed {
        let inner = Arc::new(Mutex::new(Inner::default()));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!(
            "http://{}/private/s3cr3t-token/basic.ics",
            listener.local_addr().unwrap()
        );
        let app = Router::new()
            .route("/private/s3cr3t-token/basic.ics", get(serve))
            .with_state(inner.clone());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        let f = Feed { url, inner };
        f.set(body);
        f
    }

    /// Publishes a new version (a new ETag).
    pub fn set(&self, body: &str) {
        let mut i = self.inner.lock().unwrap();
        i.body = body.to_string();
        i.etag = format!("\"v{}\"", i.reads.len() + body.len());
    }

    pub fn reads(&self) -> Vec<String> {
        self.inner.lock().unwrap().reads.clone()
    }
}

async fn serve(State(inner): State<Arc<Mutex<Inner>>>, headers: HeaderMap) -> Response {
    let mut i = inner.lock().unwrap();
    let sent = headers
        .get("if-none-match")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    i.reads.push(sent.clone());
    if sent == i.etag {
        return StatusCode::NOT_MODIFIED.into_response();
    }
    (
        [
            ("content-type", "text/calendar; charset=utf-8".to_string()),
            ("etag", i.etag.clone()),
        ],
        i.body.clone(),
    )
        .into_response()
}

/// A calendar of these events (CRLF lines, as producers write them).
pub fn calendar(events: &[&str]) -> String {
    let mut s = String::from("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Slotline tests//EN\r\n");
    for e in events {
        s.push_str("BEGIN:VEVENT\r\n");
        for line in e.lines() {
            s.push_str(line.trim());
            s.push_str("\r\n");
        }
        s.push_str("END:VEVENT\r\n");
    }
    s.push_str("END:VCALENDAR\r\n");
    s
}
