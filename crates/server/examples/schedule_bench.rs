//! Scheduling benchmarks against a running server (started by `bench/schedule.sh`):
//!
//! - throughput: CLIENTS clients book distinct 15-minute slots of one always-available host
//!   for SECONDS seconds; prints bookings/s and p50/p99 latency.
//! - contention: 64 clients race for 8 slots; prints how many won and how long it took.
//!
//! Usage: schedule_bench BASE_URL API_KEY [CLIENTS] [SECONDS]
//!        schedule_bench BASE_URL API_KEY setup NAME   (prints `CALENDAR_ID FIRST_SLOT_UNIX_SECONDS`
//!        for an external load generator such as `bench/schedule.lua`)

use std::{
    sync::{
        atomic::{AtomicI64, Ordering},
        Arc,
    },
    time::{Duration, Instant},
};

use serde_json::{json, Value};

const SLOT_MS: i64 = 15 * 60_000;

async fn setup(http: &reqwest::Client, base: &str, key: &str, name: &str) -> (String, i64) {
    // A host in UTC, so that no DST fold hides an instant from the 24-hour schedule.
    let user = json!({"email": format!("{}@bench.example", name.to_lowercase()), "first_name": "Bench", "last_name": name, "timezone": "UTC"});
    let user: Value = http
        .post(format!("{base}/v2/users"))
        .header("API-Key", key)
        .json(&user)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let owner = user["id"].as_str().expect("bench user").to_string();
    let all_day: Vec<Value> = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
        .iter()
        .map(|d| json!({"day": d, "working_hours": [{"start_time": "00:00", "end_time": "24:00", "locations": []}]}))
        .collect();
    let res = http
        .patch(format!("{base}/v2/users/{owner}/scheduling-availability"))
        .header("API-Key", key)
        .json(&json!({"weekly": all_day}))
        .send()
        .await
        .unwrap();
    assert!(
        res.status().is_success(),
        "availability: {}",
        res.text().await.unwrap()
    );
    let mut body = json!({"host": owner, "name": name, "settings": {"durations": [15], "slot_interval_minutes": 15, "minimum_notice_minutes": 0, "booking_horizon_days": 730}});
    // SCHEDULE_BENCH_QUIET=1: the guest's confirmation only (no host email, no reminder), to see
    // what each message a booking writes costs.
    if std::env::var_os("SCHEDULE_BENCH_QUIET").is_some() {
        body["settings"]["notifications"] = json!({"reminders": [], "email_hosts": false});
    }
    let cal: Value = http
        .post(format!("{base}/v2/booking-calendars"))
        .header("API-Key", key)
        .json(&body)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let cal = cal["id"].as_str().unwrap().to_string();
    // The first whole UTC day after tomorrow.
    let now = jiff::Timestamp::now().as_millisecond();
    let first = (now / 86_400_000 + 2) * 86_400_000;
    (cal, first)
}

async fn book(
    http: &reqwest::Client,
    base: &str,
    key: &str,
    cal: &str,
    start: i64,
    n: i64,
) -> (u16, Duration) {
    let start = slotline_domain::time::format_millis(start);
    let body = json!({"start_time": start, "guest_time_zone": "UTC", "booking_form": {"name": format!("Bench {n}"), "email": format!("bench{n}@example.com")}});
    let t = Instant::now();
    let res = http
        .post(format!("{base}/v2/booking-calendars/{cal}/schedule"))
        .header("API-Key", key)
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    let _ = res.bytes().await;
    (status, t.elapsed())
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (base, key) = (args[1].clone(), args[2].clone());
    if args.get(3).map(String::as_str) == Some("setup") {
        let http = reqwest::Client::new();
        let (cal, first) = setup(
            &http,
            &base,
            &key,
            args.get(4).map(String::as_str).unwrap_or("External"),
        )
        .await;
        println!("{cal} {}", first / 1000);
        return;
    }
    let clients: usize = args.get(3).and_then(|s| s.parse().ok()).unwrap_or(32);
    let seconds: u64 = args.get(4).and_then(|s| s.parse().ok()).unwrap_or(10);
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(128)
        .build()
        .unwrap();

    // Throughput on distinct slots.
    let (cal, first) = setup(&http, &base, &key, "Throughput").await;
    let next = Arc::new(AtomicI64::new(0));
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let mut tasks = Vec::new();
    for _ in 0..clients {
        let (http, base, key, cal, next) = (
            http.clone(),
            base.clone(),
            key.clone(),
            cal.clone(),
            next.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            let mut failures = 0;
            while Instant::now() < deadline {
                let n = next.fetch_add(1, Ordering::Relaxed);
                let (status, took) = book(&http, &base, &key, &cal, first + n * SLOT_MS, n).await;
                if status == 200 {
                    lat.push(took);
                } else {
                    failures += 1;
                }
            }
            (lat, failures)
        }));
    }
    let t = Instant::now();
    let mut lat = Vec::new();
    let mut failures = 0;
    for task in tasks {
        let (l, f) = task.await.unwrap();
        lat.extend(l);
        failures += f;
    }
    let elapsed = t.elapsed().as_secs_f64();
    lat.sort();
    let pct = |p: f64| {
        lat.get(((lat.len() as f64 * p) as usize).min(lat.len().saturating_sub(1)))
            .copied()
            .unwrap_or_default()
    };
    println!(
        "throughput: {clients} clients, {} bookings in {elapsed:.1} s = {:.0} bookings/s, p50 {:.2} ms, p99 {:.2} ms, {failures} refused",
        lat.len(),
        lat.len() as f64 / elapsed,
        pct(0.5).as_secs_f64() * 1e3,
        pct(0.99).as_secs_f64() * 1e3
    );

    // Contention: 64 clients, 8 slots.
    let (cal, first) = setup(&http, &base, &key, "Contention").await;
    let t = Instant::now();
    let mut tasks = Vec::new();
    for i in 0..64i64 {
        let (http, base, key, cal) = (http.clone(), base.clone(), key.clone(), cal.clone());
        tasks.push(tokio::spawn(async move {
            book(
                &http,
                &base,
                &key,
                &cal,
                first + (i % 8) * SLOT_MS,
                1_000_000 + i,
            )
            .await
            .0
        }));
    }
    let mut won = 0;
    let mut lost = 0;
    for task in tasks {
        match task.await.unwrap() {
            200 => won += 1,
            400 => lost += 1,
            other => panic!("unexpected status {other}"),
        }
    }
    println!(
        "contention: 64 clients for 8 slots: {won} bookings, {lost} told the slot is taken, in {:.1} ms",
        t.elapsed().as_secs_f64() * 1e3
    );
    assert_eq!(won, 8, "exactly one booking per slot");
}
