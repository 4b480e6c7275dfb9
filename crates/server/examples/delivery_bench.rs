//! Webhook delivery benchmarks; starts everything itself (run by `bench/deliveries.sh`):
//!
//! - throughput: N events already written through the outbox for W webhooks pointing at a local
//!   keep-alive receiver; a `slotline serve --role worker` process is started and the time from
//!   its first delivery to its last is measured: deliveries/s.
//! - latency: a `slotline serve` process (or APIS `--role api` and WORKERS `--role worker`
//!   processes on one database, the writes spread over the APIs); `POST /v2/webhooks/{id}/test` at a steady RATE per
//!   second for SECONDS (each writes one event); the receiver measures from the event's
//!   `creation_time` (taken just before its commit) to the arrival of its first attempt. Also the
//!   API's own latency meanwhile, and the server's RSS.
//!
//! Usage: delivery_bench SLOTLINE_BIN DATABASE_URL throughput WEBHOOKS DELIVERIES
//!        delivery_bench SLOTLINE_BIN DATABASE_URL latency RATE SECONDS [APIS WORKERS]

use std::{
    process::{Child, Command, Stdio},
    sync::{
        atomic::{AtomicU64, Ordering},
        Arc, Mutex,
    },
    time::{Duration, Instant},
};

use axum::{body::Bytes, http::StatusCode, routing::post, Router};
use slotline::store::{
    accounts, keys,
    outbox::{self, NewEvent},
    webhooks, Db,
};

fn now_ms() -> i64 {
    jiff::Timestamp::now().as_millisecond()
}

#[derive(Default)]
struct Sink {
    count: AtomicU64,
    first: Mutex<Option<Instant>>,
    last: Mutex<Option<Instant>>,
    /// Commit-to-arrival latencies in ms, when measured.
    latencies: Mutex<Vec<i64>>,
    measure: bool,
}

async fn receive(sink: Arc<Sink>, body: Bytes) -> StatusCode {
    let at = Instant::now();
    sink.first.lock().unwrap().get_or_insert(at);
    *sink.last.lock().unwrap() = Some(at);
    if sink.measure {
        if let Ok(v) = serde_json::from_slice::<serde_json::Value>(&body) {
            if let Some(t) = v["creation_time"]
                .as_str()
                .and_then(|t| t.parse::<jiff::Timestamp>().ok())
            {
                sink.latencies
                    .lock()
                    .unwrap()
                    .push(now_ms() - t.as_millisecond());
            }
        }
    }
    sink.count.fetch_add(1, Ordering::Relaxed);
    StatusCode::NO_CONTENT
}

async fn start_receiver(measure: bool) -> (String, Arc<Sink>) {
    let sink = Arc::new(Sink {
        measure,
        ..Sink::default()
    });
    let s = sink.clone();
    let app = Router::new().route("/hook", post(move |body: Bytes| receive(s.clone(), body)));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, sink)
}

struct Server(Child, u16);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn serve(bin: &str, url: &str, role: &str) -> Server {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = Command::new(bin)
        .args([
            "serve",
            "--role",
            role,
            "--allow-http-webhooks",
            "--rate-limit",
            "0",
        ])
        .args([
            "--database-url",
            url,
            "--listen",
            &format!("127.0.0.1:{port}"),
        ])
        .env("SLOTLINE_LOG", "warn")
        .stdout(Stdio::null())
        .spawn()
        .expect("start slotline");
    Server(child, port)
}

fn rss_mb(pid: u32) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|k| k.parse::<f64>().ok())
        .unwrap_or(0.0)
        / 1024.0
}

fn percentile(sorted: &[i64], p: f64) -> i64 {
    if sorted.is_empty() {
        return 0;
    }
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (bin, url, mode) = (&args[1], &args[2], args[3].as_str());
    let db = Db::connect(url).await.expect("database");
    db.migrate().await.expect("migrate");
    let account = accounts::create(
        &db,
        "Bench",
        "bench@bench.example",
        "UTC",
        "Bench",
        "Owner",
        now_ms(),
    )
    .await
    .unwrap();
    let (_, key) = keys::create(&db, &account.id, "bench", now_ms())
        .await
        .unwrap();
    match mode {
        "throughput" => {
            let hooks: usize = args[4].parse().unwrap();
            let total: usize = args[5].parse().unwrap();
            let (rx, sink) = start_receiver(false).await;
            for i in 0..hooks {
                let name = format!("sink {i}");
                let new = webhooks::NewWebhook {
                    name: &name,
                    url: &rx,
                    events: &["booking".into()],
                    fifo: false,
                };
                webhooks::create(&db, &account.id, &new, now_ms())
                    .await
                    .unwrap();
            }
            let events = total / hooks;
            for chunk in 0..events.div_ceil(1000) {
                let mut conn = db.writer().await.unwrap();
                let mut tx = conn.begin().await.unwrap();
                for i in chunk * 1000..((chunk + 1) * 1000).min(events) {
                    let id = slotline_domain::id::EventId::new();
                    let payload = serde_json::json!({"id": id, "object": "event", "type": "booking.scheduled", "api_version": "v2", "data": {"n": i, "padding": "x".repeat(1200)}}).to_string();
                    outbox::write(
                        &mut tx,
                        &account.id,
                        None,
                        &NewEvent {
                            id,
                            event_type: "booking.scheduled",
                            payload,
                            creation_time: now_ms(),
                            conversation_id: None,
                        },
                    )
                    .await
                    .unwrap();
                }
                tx.commit().await.unwrap();
            }
            db.close().await;
            let expected = (events * hooks) as u64;
            let server = serve(bin, url, "worker");
            let started = Instant::now();
            let mut peak_rss: f64 = 0.0;
            while sink.count.load(Ordering::Relaxed) < expected {
                assert!(
                    started.elapsed() < Duration::from_secs(600),
                    "only {} of {expected} delivered",
                    sink.count.load(Ordering::Relaxed)
                );
                peak_rss = peak_rss.max(rss_mb(server.0.id()));
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            let (first, last) = (
                sink.first.lock().unwrap().unwrap(),
                sink.last.lock().unwrap().unwrap(),
            );
            let secs = (last - first).as_secs_f64();
            println!(
                "throughput: {hooks} webhook(s), {expected} deliveries in {secs:.2} s = {:.0} deliveries/s; server peak RSS {peak_rss:.1} MB",
                expected as f64 / secs
            );
        }
        "latency" => {
            let rate: u64 = args[4].parse().unwrap();
            let seconds: u64 = args[5].parse().unwrap();
            let (rx, sink) = start_receiver(true).await;
            let new = webhooks::NewWebhook {
                name: "sink",
                url: &rx,
                events: &["booking".into()],
                fifo: false,
            };
            let hook = webhooks::create(&db, &account.id, &new, now_ms())
                .await
                .unwrap();
            db.close().await;
            // One `serve` process, or APIS API processes (the writes spread over them in turn)
            // and WORKERS worker processes on the same database.
            let apis: usize = args.get(6).map_or(0, |a| a.parse().unwrap());
            let workers: usize = args.get(7).map_or(0, |a| a.parse().unwrap());
            let servers: Vec<Server> = if apis == 0 {
                vec![serve(bin, url, "all")]
            } else {
                (0..apis)
                    .map(|_| serve(bin, url, "api"))
                    .chain((0..workers).map(|_| serve(bin, url, "worker")))
                    .collect()
            };
            let bases: Vec<String> = servers[..apis.max(1)]
                .iter()
                .map(|s| format!("http://127.0.0.1:{}", s.1))
                .collect();
            let base = bases[0].clone();
            let http = reqwest::Client::builder()
                .pool_max_idle_per_host(256)
                .build()
                .unwrap();
            for b in &bases {
                for _ in 0..100 {
                    if http
                        .get(format!("{b}/v2/openapi.json"))
                        .send()
                        .await
                        .is_ok()
                    {
                        break;
                    }
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            }
            let api: Arc<Mutex<Vec<f64>>> = Default::default();
            // Beside the writes, a reader of the API: GET /v2/webhooks/{id} ten times a second.
            let reads: Arc<Mutex<Vec<f64>>> = Default::default();
            let reader = {
                let (http, url, key, reads) = (
                    http.clone(),
                    format!("{base}/v2/webhooks/{}", hook.id),
                    key.clone(),
                    reads.clone(),
                );
                tokio::spawn(async move {
                    let mut tick = tokio::time::interval(Duration::from_millis(100));
                    loop {
                        tick.tick().await;
                        let t = Instant::now();
                        if http
                            .get(&url)
                            .header("API-Key", &key)
                            .send()
                            .await
                            .is_ok_and(|r| r.status().is_success())
                        {
                            reads
                                .lock()
                                .unwrap()
                                .push(t.elapsed().as_secs_f64() * 1000.0);
                        }
                    }
                })
            };
            let mut tick = tokio::time::interval(Duration::from_micros(1_000_000 / rate));
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
            let started = Instant::now();
            let mut sent = 0u64;
            let mut rss: f64 = 0.0;
            while started.elapsed() < Duration::from_secs(seconds) {
                tick.tick().await;
                sent += 1;
                let (http, url, key, api) = (
                    http.clone(),
                    format!(
                        "{}/v2/webhooks/{}/test",
                        bases[sent as usize % bases.len()],
                        hook.id
                    ),
                    key.clone(),
                    api.clone(),
                );
                tokio::spawn(async move {
                    let t = Instant::now();
                    let ok = http
                        .post(url)
                        .header("API-Key", key)
                        .send()
                        .await
                        .is_ok_and(|r| r.status().is_success());
                    if ok {
                        api.lock().unwrap().push(t.elapsed().as_secs_f64() * 1000.0);
                    }
                });
                if sent.is_multiple_of(rate) {
                    rss = rss.max(servers.iter().map(|s| rss_mb(s.0.id())).sum());
                }
            }
            reader.abort();
            let deadline = Instant::now() + Duration::from_secs(30);
            while sink.count.load(Ordering::Relaxed) < sent && Instant::now() < deadline {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            let mut lat = sink.latencies.lock().unwrap().clone();
            lat.sort_unstable();
            let mut api = api.lock().unwrap().clone();
            api.sort_by(|a, b| a.partial_cmp(b).unwrap());
            let api_p = |p: f64| {
                api.get(((api.len().max(1) - 1) as f64 * p).round() as usize)
                    .copied()
                    .unwrap_or(0.0)
            };
            let mut reads = reads.lock().unwrap().clone();
            reads.sort_by(|a, b| a.partial_cmp(b).unwrap());
            let read_p = |p: f64| {
                reads
                    .get(((reads.len().max(1) - 1) as f64 * p).round() as usize)
                    .copied()
                    .unwrap_or(0.0)
            };
            let shape = if apis == 0 {
                "one process".to_string()
            } else {
                format!("{apis} API + {workers} worker processes")
            };
            println!(
                "latency ({shape}): {rate} events/s for {seconds} s: {sent} events, {} delivered; commit to first attempt p50 {} ms, p99 {} ms, max {} ms; \
                 API writes (POST …/test) p50 {:.2} ms, p99 {:.2} ms; API reads (GET /v2/webhooks/{{id}}, 10/s) p50 {:.2} ms, p99 {:.2} ms; \
                 servers' peak RSS {rss:.1} MB",
                sink.count.load(Ordering::Relaxed),
                percentile(&lat, 0.5),
                percentile(&lat, 0.99),
                lat.last().copied().unwrap_or(0),
                api_p(0.5),
                api_p(0.99),
                read_p(0.5),
                read_p(0.99),
            );
        }
        other => panic!("unknown mode {other}"),
    }
}
