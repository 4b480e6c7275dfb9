//! The integrators' console under load, against a running server (`bench/console.sh` starts
//! it as `slotline demo --role api` and seeds the attempt log).
//!
//! `console_bench log BASE KEY PASSWORD WEBHOOK REQUESTS`: one request after another, REQUESTS
//! times each, the webhook's health summary and delivery log (unfiltered, by status, by event
//! type, an old page by time) over the API, and its deliveries page in the app; p50/p99.
//!
//! `console_bench stream BASE KEY SUBSCRIBERS EVENTS SERVER_PID`: SUBSCRIBERS connections to
//! `GET /v2/events/stream`, then EVENTS bookings made one after another; for each booking and
//! subscriber, the time from sending the booking request to the event's arrival; p50/p99/max, and the
//! server's resident memory (now and its peak).

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use tokio::sync::Mutex;

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    let i = ((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[i].as_secs_f64() * 1000.0
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    match args.get(1).map(String::as_str) {
        Some("log") => log(&args[2..]).await,
        Some("stream") => stream(&args[2..]).await,
        _ => eprintln!("usage: console_bench log|stream …"),
    }
}

async fn sign_in(http: &reqwest::Client, base: &str, password: &str) -> String {
    let page = http
        .get(format!("{base}/app/sign-in"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let needle = "name=\"form_token\" value=\"";
    let at = page.find(needle).unwrap() + needle.len();
    let token = &page[at..at + page[at..].find('"').unwrap()];
    let res = http
        .post(format!("{base}/app/sign-in"))
        .header("Origin", base)
        .form(&[
            ("form_token", token),
            ("email", "demo@slotline.example"),
            ("password", password),
            ("next", ""),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 303, "signed in");
    res.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_string()
}

async fn log(args: &[String]) {
    let base = args[0].trim_end_matches('/').to_string();
    let (key, password, hook) = (&args[1], &args[2], &args[3]);
    let requests: usize = args[4].parse().unwrap();
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let cookie = sign_in(&http, &base, password).await;
    // An old page: deliveries made before the middle of the seeded log.
    let (_, first) = get(
        &http,
        &base,
        key,
        &format!("/v2/webhooks/{hook}/deliveries?limit=1"),
    )
    .await;
    let newest = first["data"][0]["creation_time"]
        .as_str()
        .unwrap()
        .to_string();
    let newest_ms = slotline_domain::time::parse_instant(&newest).unwrap() / 1_000_000;
    let middle = slotline_domain::time::format_millis(newest_ms as i64 - 25_000_000);
    let cases: Vec<(&str, String, bool)> = vec![
        (
            "health summary (API)",
            format!("/v2/webhooks/{hook}/health"),
            false,
        ),
        (
            "delivery log, newest 20 with attempts (API)",
            format!("/v2/webhooks/{hook}/deliveries?limit=20"),
            false,
        ),
        (
            "delivery log, failed only (API)",
            format!("/v2/webhooks/{hook}/deliveries?limit=20&status=failed"),
            false,
        ),
        (
            "delivery log, one event type (a third of them) (API)",
            format!("/v2/webhooks/{hook}/deliveries?limit=20&type=booking.canceled"),
            false,
        ),
        (
            "delivery log, an event type it never got (API)",
            format!("/v2/webhooks/{hook}/deliveries?limit=20&type=booking.no_show"),
            false,
        ),
        (
            "delivery log, pending only (none) (API)",
            format!("/v2/webhooks/{hook}/deliveries?limit=20&status=pending"),
            false,
        ),
        (
            "delivery log, made before a time half-way back (API)",
            format!("/v2/webhooks/{hook}/deliveries?limit=20&creation_time.lt={middle}"),
            false,
        ),
        (
            "deliveries and health page (app)",
            format!("/app/webhooks/{hook}/deliveries"),
            true,
        ),
        (
            "deliveries page, failed only (app)",
            format!("/app/webhooks/{hook}/deliveries?status=failed"),
            true,
        ),
    ];
    println!("| request | p50 ms | p99 ms |");
    println!("|---|---:|---:|");
    for (name, path, app) in &cases {
        let mut times = Vec::with_capacity(requests);
        for _ in 0..requests {
            let t = Instant::now();
            let mut req = http.get(format!("{base}{path}"));
            req = if *app {
                req.header("Cookie", &cookie)
            } else {
                req.header("API-Key", key.as_str())
            };
            let res = req.send().await.unwrap();
            assert_eq!(res.status().as_u16(), 200, "{path}");
            res.bytes().await.unwrap();
            times.push(t.elapsed());
        }
        times.sort();
        println!(
            "| {name} | {:.2} | {:.2} |",
            percentile(&times, 0.5),
            percentile(&times, 0.99)
        );
    }
}

async fn get(http: &reqwest::Client, base: &str, key: &str, path: &str) -> (u16, Value) {
    let res = http
        .get(format!("{base}{path}"))
        .header("API-Key", key)
        .send()
        .await
        .unwrap();
    let s = res.status().as_u16();
    (s, res.json().await.unwrap_or(Value::Null))
}

async fn post(
    http: &reqwest::Client,
    base: &str,
    key: &str,
    path: &str,
    body: Value,
) -> (u16, Value) {
    let res = http
        .post(format!("{base}{path}"))
        .header("API-Key", key)
        .json(&body)
        .send()
        .await
        .unwrap();
    let s = res.status().as_u16();
    (s, res.json().await.unwrap_or(Value::Null))
}

/// Resident memory of a process, kB: (now, peak).
fn rss(pid: &str) -> (u64, u64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

async fn stream(args: &[String]) {
    let base = args[0].trim_end_matches('/').to_string();
    let key = args[1].clone();
    let subscribers: usize = args[2].parse().unwrap();
    let events: usize = args[3].parse().unwrap();
    let pid = args[4].clone();
    let http = reqwest::Client::new();
    let (before, _) = rss(&pid);

    // A calendar with room for every booking.
    let (_, me) = get(&http, &base, &key, "/v2/users?limit=1").await;
    let owner = me["data"][0]["id"].as_str().unwrap().to_string();
    let (s, cal) = post(
        &http,
        &base,
        &key,
        "/v2/booking-calendars",
        json!({"host": owner, "name": "Stream bench", "settings": {"minimum_notice_minutes": 0, "booking_horizon_days": 365, "slot_interval_minutes": 15, "durations": [15]}}),
    )
    .await;
    assert_eq!(s, 200, "{cal}");
    let cal = cal["id"].as_str().unwrap().to_string();

    // Arrival times by event id, per subscriber.
    type Seen = Arc<Mutex<Vec<(String, Instant)>>>;
    let mut seen: Vec<Seen> = Vec::with_capacity(subscribers);
    let connected = Arc::new(tokio::sync::Semaphore::new(0));
    let streams = reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .build()
        .unwrap();
    for _ in 0..subscribers {
        let got: Seen = Arc::default();
        seen.push(got.clone());
        let (streams, base, key, connected) = (
            streams.clone(),
            base.clone(),
            key.clone(),
            connected.clone(),
        );
        tokio::spawn(async move {
            let mut res = streams
                .get(format!("{base}/v2/events/stream?type=booking.scheduled"))
                .header("API-Key", key)
                .send()
                .await
                .unwrap();
            assert_eq!(res.status().as_u16(), 200);
            connected.add_permits(1);
            let mut buf = String::new();
            while let Ok(Some(chunk)) = res.chunk().await {
                let at = Instant::now();
                buf.push_str(&String::from_utf8_lossy(&chunk));
                while let Some(end) = buf.find("\n\n") {
                    let frame: String = buf.drain(..end + 2).collect();
                    if let Some(id) = frame.lines().find_map(|l| l.strip_prefix("id: ")) {
                        got.lock().await.push((id.to_string(), at));
                    }
                }
            }
        });
    }
    let t = Instant::now();
    let _ = connected.acquire_many(subscribers as u32).await.unwrap();
    let (with_subscribers, _) = rss(&pid);
    println!(
        "{subscribers} subscribers connected in {:.2} s; server RSS {} MB before, {} MB with them",
        t.elapsed().as_secs_f64(),
        before / 1024,
        with_subscribers / 1024
    );

    // Bookings one after another; each answer's time is when its event was committed.
    let (_, slots) = get(
        &http,
        &base,
        &key,
        &format!("/v2/booking-calendars/{cal}/time-slots"),
    )
    .await;
    let slots: Vec<String> = slots
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|s| s["start_time"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    assert!(slots.len() >= events, "{} free slots", slots.len());
    let mut made: Vec<(String, Instant)> = Vec::with_capacity(events);
    for (i, start) in slots.iter().take(events).enumerate() {
        let sent = Instant::now();
        let (s, b) = post(
            &http,
            &base,
            &key,
            &format!("/v2/booking-calendars/{cal}/schedule"),
            json!({"start_time": start, "guest_time_zone": "UTC",
                   "booking_form": {"name": format!("Guest {i}"), "email": format!("g{i}@bench.example")}}),
        )
        .await;
        assert_eq!(s, 200, "{b}");
        let booking = b["id"].as_str().unwrap().to_string();
        let (_, e) = get(
            &http,
            &base,
            &key,
            &format!("/v2/events?booking={booking}&limit=1"),
        )
        .await;
        made.push((e["data"][0]["id"].as_str().unwrap().to_string(), sent));
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    let (after, peak) = rss(&pid);
    let mut lat = Vec::with_capacity(events * subscribers);
    let mut missing = 0;
    for got in &seen {
        let got = got.lock().await;
        for (id, sent) in &made {
            match got.iter().find(|(g, _)| g == id) {
                Some((_, at)) => lat.push(at.saturating_duration_since(*sent)),
                None => missing += 1,
            }
        }
    }
    lat.sort();
    println!(
        "{} deliveries to subscribers ({events} bookings × {subscribers}), {missing} missing: \
         booking request sent → event received p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        lat.len(),
        percentile(&lat, 0.5),
        percentile(&lat, 0.99),
        lat.last().unwrap().as_secs_f64() * 1000.0
    );
    println!(
        "server RSS after: {} MB (peak {} MB)",
        after / 1024,
        peak / 1024
    );
}
