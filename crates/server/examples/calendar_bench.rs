//! Connected-calendar benchmarks against a running server (started by `bench/calendars.sh` with
//! `--allow-http-webhooks`, so that it may read a feed on loopback):
//!
//! - time-slots: a host whose connected calendar holds EVENTS events over the next year (a mix
//!   of one-off, all-day and weekly recurring events, as a busy work calendar has); REQUESTS
//!   sequential `GET …/time-slots` for a 30-day window; prints p50/p99 end to end.
//! - sync: a feed of SYNC_EVENTS one-off events read in full (no ETag); prints the time from the
//!   on-demand sync request to the connection's new `last_sync_time`.
//!
//! Usage: calendar_bench BASE_URL API_KEY [EVENTS] [SYNC_EVENTS] [REQUESTS]

use std::{
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use axum::{extract::State, routing::get, Router};
use serde_json::{json, Value};

const DAY: i64 = 86_400_000;

fn stamp(ms: i64) -> String {
    jiff::Timestamp::from_millisecond(ms)
        .unwrap()
        .strftime("%Y%m%dT%H%M%SZ")
        .to_string()
}

/// `n` events from `from`: every tenth a weekly series, every twenty-fifth an all-day event,
/// the rest one-off meetings of 30–90 minutes during working hours.
fn feed(n: usize, from: i64, mixed: bool) -> String {
    let mut s = String::from("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//bench//EN\r\n");
    for i in 0..n {
        let day = from + (i as i64 * 366 / n as i64) * DAY;
        let start = day + (8 + (i as i64 % 9)) * 3_600_000;
        let len = (30 + (i as i64 % 3) * 30) * 60_000;
        s.push_str(&format!(
            "BEGIN:VEVENT\r\nUID:bench-{i}@example\r\nDTSTAMP:{}\r\n",
            stamp(from)
        ));
        if mixed && i % 25 == 0 {
            let d = jiff::Timestamp::from_millisecond(day)
                .unwrap()
                .strftime("%Y%m%d")
                .to_string();
            s.push_str(&format!("DTSTART;VALUE=DATE:{d}\r\n"));
        } else {
            s.push_str(&format!(
                "DTSTART:{}\r\nDTEND:{}\r\n",
                stamp(start),
                stamp(start + len)
            ));
            if mixed && i % 10 == 0 {
                s.push_str("RRULE:FREQ=WEEKLY;COUNT=12\r\n");
            }
        }
        s.push_str(&format!("SUMMARY:Meeting {i}\r\nEND:VEVENT\r\n"));
    }
    s.push_str("END:VCALENDAR\r\n");
    s
}

async fn serve(body: Arc<Mutex<String>>) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/feed.ics", listener.local_addr().unwrap());
    let app = Router::new()
        .route(
            "/feed.ics",
            get(|State(b): State<Arc<Mutex<String>>>| async move { b.lock().unwrap().clone() }),
        )
        .with_state(body);
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    url
}

struct Api {
    http: reqwest::Client,
    base: String,
    key: String,
}

impl Api {
    async fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        let mut req = self
            .http
            .request(method, format!("{}{path}", self.base))
            .header("API-Key", &self.key);
        if let Some(b) = body {
            req = req.json(&b);
        }
        let res = req.send().await.unwrap();
        let status = res.status();
        let v: Value = res.json().await.unwrap_or(Value::Null);
        assert!(status.is_success(), "{path}: {status} {v}");
        v
    }

    /// A user in UTC working all week, with a 30-minute calendar bookable a year ahead.
    async fn host(&self, name: &str) -> (String, String) {
        let user = self
            .call(
                reqwest::Method::POST,
                "/v2/users",
                Some(json!({"email": format!("{}@calbench.example", name.to_lowercase()), "first_name": "Cal", "last_name": name, "timezone": "UTC"})),
            )
            .await;
        let id = user["id"].as_str().unwrap().to_string();
        let days: Vec<Value> = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday"]
            .iter()
            .map(|d| json!({"day": d, "working_hours": [{"start_time": "08:00", "end_time": "18:00", "locations": []}]}))
            .collect();
        self.call(
            reqwest::Method::PATCH,
            &format!("/v2/users/{id}/scheduling-availability"),
            Some(json!({"weekly": days})),
        )
        .await;
        let cal = self
            .call(
                reqwest::Method::POST,
                "/v2/booking-calendars",
                Some(json!({"host": id, "name": name, "settings": {"durations": [30], "minimum_notice_minutes": 0, "booking_horizon_days": 400}})),
            )
            .await;
        (id, cal["id"].as_str().unwrap().to_string())
    }

    async fn connect(&self, user: &str, url: &str) -> String {
        let c = self
            .call(
                reqwest::Method::POST,
                &format!("/v2/users/{user}/calendar-connections"),
                Some(json!({"type": "ics", "url": url})),
            )
            .await;
        c["id"].as_str().unwrap().to_string()
    }

    /// Waits for a sync after `before` (a `last_sync_time`, or null); the connection.
    async fn synced(&self, id: &str, before: &Value) -> Value {
        loop {
            let c = self
                .call(
                    reqwest::Method::GET,
                    &format!("/v2/calendar-connections/{id}"),
                    None,
                )
                .await;
            if c["last_sync_time"].is_string() && &c["last_sync_time"] != before {
                return c;
            }
            if let Some(e) = c["last_error"].as_str() {
                panic!("sync failed: {e}");
            }
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
    }
}

fn pct(v: &mut [Duration], p: f64) -> f64 {
    v.sort();
    v[((v.len() as f64 * p) as usize).min(v.len() - 1)].as_secs_f64() * 1000.0
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let api = Api {
        http: reqwest::Client::builder().no_proxy().build().unwrap(),
        base: args[1].clone(),
        key: args[2].clone(),
    };
    let events: usize = args.get(3).and_then(|s| s.parse().ok()).unwrap_or(5_000);
    let sync_events: usize = args.get(4).and_then(|s| s.parse().ok()).unwrap_or(10_000);
    let requests: usize = args.get(5).and_then(|s| s.parse().ok()).unwrap_or(500);
    let today = jiff::Timestamp::now().as_millisecond() / DAY * DAY;

    // Time slots with a busy connected calendar.
    let body = Arc::new(Mutex::new(feed(events, today + DAY, true)));
    let url = serve(body.clone()).await;
    let (user, cal) = api.host(&format!("Busy{}", today % 100_000)).await;
    let conn = api.connect(&user, &url).await;
    let c = api.synced(&conn, &Value::Null).await;
    println!(
        "feed of {events} events (every tenth weekly x12, every 25th all-day): {} busy pieces",
        c["busy_count"]
    );
    let from = jiff::Timestamp::from_millisecond(today + 7 * DAY).unwrap();
    let to = jiff::Timestamp::from_millisecond(today + 37 * DAY).unwrap();
    let path = format!("/v2/booking-calendars/{cal}/time-slots?start_time={from}&end_time={to}");
    let mut lat = Vec::with_capacity(requests);
    let mut slots = 0;
    for _ in 0..requests {
        let t = Instant::now();
        let v = api.call(reqwest::Method::GET, &path, None).await;
        lat.push(t.elapsed());
        slots = v.as_array().map_or(0, Vec::len);
    }
    println!(
        "time-slots, 30-day window, {requests} sequential requests: p50 {:.2} ms, p99 {:.2} ms ({slots} slots offered)",
        pct(&mut lat, 0.50),
        pct(&mut lat, 0.99)
    );

    // A full read of a large feed.
    *body.lock().unwrap() = feed(sync_events, today + DAY, false);
    let before = c["last_sync_time"].clone();
    // The clock has millisecond resolution: let it move past the first sync's time.
    tokio::time::sleep(Duration::from_millis(5)).await;
    let t = Instant::now();
    api.call(
        reqwest::Method::POST,
        &format!("/v2/calendar-connections/{conn}/sync"),
        Some(json!({})),
    )
    .await;
    let c = api.synced(&conn, &before).await;
    println!(
        "sync of a {sync_events}-event feed ({} KB): {:.0} ms from request to recorded ({} busy pieces)",
        body.lock().unwrap().len() / 1024,
        t.elapsed().as_secs_f64() * 1000.0,
        c["busy_count"]
    );
}
