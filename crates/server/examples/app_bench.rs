//! The hosts' app under a full account, against a running server (`bench/app.sh` starts it as
//! `slotline demo --role api`): HOSTS hosts (the demo's plus new ones), each with a booking
//! calendar, and BOOKINGS bookings spread over them in the coming weeks; then the owner signs
//! in and asks, one request after another, REQUESTS times each: the bookings list (all of the
//! account's, as an administrator sees it), the list searched by a guest's name, a booking's
//! page, and a host's availability with its two-week preview. Prints p50/p99 end to end and the
//! largest page as the browser receives it (gzip).
//!
//! Usage: app_bench BASE_URL API_KEY PASSWORD [HOSTS] [BOOKINGS] [REQUESTS]

use std::time::{Duration, Instant};

use futures_util::{stream, StreamExt};
use serde_json::{json, Value};

struct Api {
    http: reqwest::Client,
    base: String,
    key: String,
}

impl Api {
    async fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> (u16, Value) {
        let mut req = self
            .http
            .request(method, format!("{}{path}", self.base))
            .header("API-Key", &self.key);
        if let Some(b) = body {
            req = req.json(&b);
        }
        let res = req.send().await.unwrap();
        let status = res.status().as_u16();
        (status, res.json().await.unwrap_or(Value::Null))
    }
}

/// The path of the page asked for the `i`th time.
type PathOf<'a> = Box<dyn Fn(usize) -> String + 'a>;

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    let i = ((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[i].as_secs_f64() * 1000.0
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let base = args[1].trim_end_matches('/').to_string();
    let key = args[2].clone();
    let password = args[3].clone();
    let hosts: usize = args.get(4).and_then(|a| a.parse().ok()).unwrap_or(50);
    let bookings: usize = args.get(5).and_then(|a| a.parse().ok()).unwrap_or(10_000);
    let requests: usize = args.get(6).and_then(|a| a.parse().ok()).unwrap_or(300);
    let api = Api {
        http: reqwest::Client::new(),
        base: format!("{base}/v2"),
        key,
    };

    // Hosts: the owner and new users, each with a calendar bookable all week, 07:00–21:00 UTC.
    let started = Instant::now();
    let (_, me) = api.call(reqwest::Method::GET, "/users?limit=1", None).await;
    let owner = me["data"][0]["id"].as_str().unwrap().to_string();
    let mut host_ids = vec![owner];
    for i in 1..hosts {
        let (s, u) = api
            .call(
                reqwest::Method::POST,
                "/users",
                Some(json!({"email": format!("host{i}@appbench.example"), "first_name": "Host", "last_name": format!("Number {i}"), "timezone": "UTC"})),
            )
            .await;
        assert_eq!(s, 200, "{u}");
        host_ids.push(u["id"].as_str().unwrap().to_string());
    }
    let days: Vec<Value> = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
        .iter()
        .map(|d| json!({"day": d, "working_hours": [{"start_time": "07:00", "end_time": "21:00", "locations": []}]}))
        .collect();
    let mut calendars = Vec::new();
    for (i, h) in host_ids.iter().enumerate() {
        let (s, v) = api
            .call(
                reqwest::Method::PATCH,
                &format!("/users/{h}/scheduling-availability"),
                Some(json!({"weekly": days})),
            )
            .await;
        assert_eq!(s, 200, "{v}");
        let (s, c) = api
            .call(
                reqwest::Method::POST,
                "/booking-calendars",
                Some(json!({"host": h, "name": format!("Bench {i}"), "slug": format!("app-bench-{i}"),
                            "settings": {"durations": [30], "minimum_notice_minutes": 0, "booking_horizon_days": 365}})),
            )
            .await;
        assert_eq!(s, 200, "{c}");
        calendars.push(c["id"].as_str().unwrap().to_string());
    }
    // Each host's first free starts, as many as its share of the bookings.
    let per_host = bookings.div_ceil(hosts);
    let now = jiff::Timestamp::now();
    let mut jobs: Vec<(String, String)> = Vec::new();
    for cal in &calendars {
        let mut starts: Vec<String> = Vec::new();
        let mut from = now;
        while starts.len() < per_host {
            let to = from + jiff::SignedDuration::from_hours(24 * 30);
            let (s, v) = api
                .call(
                    reqwest::Method::GET,
                    &format!("/booking-calendars/{cal}/time-slots?start_time={from}&end_time={to}"),
                    None,
                )
                .await;
            assert_eq!(s, 200, "{v}");
            starts.extend(
                v.as_array()
                    .unwrap()
                    .iter()
                    .map(|t| t["start_time"].as_str().unwrap().to_string()),
            );
            from = to;
        }
        jobs.extend(starts.into_iter().take(per_host).map(|s| (cal.clone(), s)));
    }
    jobs.truncate(bookings);
    let made: Vec<String> = stream::iter(jobs.into_iter().enumerate())
        .map(|(i, (cal, start))| {
            let api = &api;
            async move {
                let (s, b) = api
                    .call(
                        reqwest::Method::POST,
                        &format!("/booking-calendars/{cal}/schedule"),
                        Some(json!({"start_time": start, "guest_time_zone": "Europe/Paris",
                                    "booking_form": {"name": format!("Guest {i}"), "email": format!("guest{i}@appbench.example")}})),
                    )
                    .await;
                assert_eq!(s, 200, "{b}");
                b["id"].as_str().unwrap().to_string()
            }
        })
        .buffer_unordered(16)
        .collect()
        .await;
    println!(
        "seeded {} hosts, {} bookings in {:.1} s",
        host_ids.len(),
        made.len(),
        started.elapsed().as_secs_f64()
    );

    // A database without autovacuum has no statistics yet: the script passes a command that
    // gathers them, as autovacuum would within a minute on a server with default settings.
    if let Ok(cmd) = std::env::var("APP_BENCH_AFTER_SEED") {
        let ok = std::process::Command::new("sh")
            .arg("-c")
            .arg(&cmd)
            .status()
            .unwrap();
        assert!(ok.success(), "{cmd}");
        println!("ran after seeding: {cmd}");
    }

    // Sign in as the owner, as a browser does.
    let browser = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let page = browser
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
    let res = browser
        .post(format!("{base}/app/sign-in"))
        .header("Origin", &base)
        .form(&[
            ("form_token", token),
            ("email", "demo@slotline.example"),
            ("password", password.as_str()),
            ("next", ""),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 303, "signed in");
    let cookie = res.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_string();

    let pages: Vec<(&str, PathOf)> = vec![
        (
            "bookings list (all 10,000, first page)",
            Box::new(|_| "/app/bookings".to_string()),
        ),
        (
            "bookings list, searched by guest name",
            Box::new(|i| format!("/app/bookings?q=Guest+{}", i * 37 % bookings.max(1))),
        ),
        (
            "a booking's page",
            Box::new(|i| format!("/app/bookings/{}", made[i * 7919 % made.len()])),
        ),
        (
            "availability with its preview",
            Box::new(|i| format!("/app/availability?user={}", host_ids[i % host_ids.len()])),
        ),
    ];
    println!("| page | p50 | p99 | largest, gzip |");
    println!("|---|---:|---:|---:|");
    for (name, path) in &pages {
        let mut times = Vec::with_capacity(requests);
        let mut largest = 0usize;
        for i in 0..requests {
            let t = Instant::now();
            let res = browser
                .get(format!("{base}{}", path(i)))
                .header("Cookie", &cookie)
                .header("Accept-Encoding", "gzip")
                .send()
                .await
                .unwrap();
            assert_eq!(res.status().as_u16(), 200, "{}", path(i));
            let body = res.bytes().await.unwrap();
            times.push(t.elapsed());
            largest = largest.max(body.len());
        }
        times.sort();
        println!(
            "| {name} | {:.2} ms | {:.2} ms | {:.1} KB |",
            percentile(&times, 0.50),
            percentile(&times, 0.99),
            largest as f64 / 1024.0
        );
    }
}
