//! The `slotline` command, run as a separate process the way an operator runs it.

use crate::common;

use std::{
    path::Path,
    process::{Child, Command, Stdio},
    time::Duration,
};

fn slotline(db: &Path, args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_slotline"))
        .args(args)
        .env("SLOTLINE_DATABASE_URL", db)
        .output()
        .expect("run slotline");
    assert!(
        out.status.success(),
        "slotline {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

async fn wait_ready(base: &str) {
    for _ in 0..100 {
        if reqwest::get(format!("{base}/v2/openapi.json"))
            .await
            .is_ok_and(|r| r.status() == 200)
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("server at {base} did not start");
}

/// Starts `slotline demo` (rate limit off) on a free port with its database and key file in
/// `dir`, plus `args`; returns the server, its base URL and its key once it answers.
async fn demo(
    dir: &Path,
    args: &[&str],
    configure: impl FnOnce(&mut Command),
) -> (Server, String, String) {
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_slotline"));
    cmd.args([
        "demo",
        "--rate-limit",
        "0",
        "--listen",
        &format!("127.0.0.1:{port}"),
    ])
    .args(args)
    .arg("--key-file")
    .arg(dir.join("key"))
    .arg("--database-url")
    .arg(dir.join("demo.db"))
    .stdout(Stdio::null())
    .stderr(Stdio::null());
    configure(&mut cmd);
    let server = Server(cmd.spawn().unwrap());
    wait_ready(&base).await;
    let key = std::fs::read_to_string(dir.join("key"))
        .unwrap()
        .trim()
        .to_string();
    (server, base, key)
}

async fn status_with(base: &str, key: &str) -> u16 {
    reqwest::Client::new()
        .get(format!("{base}/v2/test"))
        .header("API-Key", key)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[tokio::test]
async fn operator_creates_an_account_and_keys_and_revokes_one_while_serving() {
    let dir = std::env::temp_dir().join(format!("slotline-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let db = dir.join("ops.db");
    assert!(slotline(&db, &["migrate"]).contains("migrations applied"));
    let account = slotline(
        &db,
        &[
            "account",
            "create",
            "--name",
            "Acme",
            "--email",
            "ops@acme.example",
            "--timezone",
            "Europe/Berlin",
        ],
    )
    .trim()
    .to_string();
    assert!(account.starts_with("ACC-"), "{account}");
    let key_a = slotline(
        &db,
        &[
            "key",
            "create",
            "--account",
            &account,
            "--name",
            "Warehouse",
        ],
    )
    .trim()
    .to_string();
    let key_b = slotline(
        &db,
        &["key", "create", "--account", &account, "--name", "Zapier"],
    )
    .trim()
    .to_string();
    let listing = slotline(&db, &["key", "list", "--account", &account]);
    assert!(
        listing.contains("Warehouse") && listing.contains("Zapier") && listing.contains("active")
    );
    assert!(
        !listing.contains(&key_a) && !listing.contains(&key_b),
        "secrets are never shown again"
    );

    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let _server = Server(
        Command::new(env!("CARGO_BIN_EXE_slotline"))
            .arg("serve")
            .env("SLOTLINE_DATABASE_URL", &db)
            .env("SLOTLINE_LISTEN", format!("127.0.0.1:{port}"))
            .env("SLOTLINE_RATE_LIMIT", "0")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    wait_ready(&base).await;
    assert_eq!(status_with(&base, &key_a).await, 200);
    assert_eq!(status_with(&base, &key_b).await, 200);

    let key_a_id = listing
        .lines()
        .find(|l| l.contains("Warehouse"))
        .unwrap()
        .split('\t')
        .next()
        .unwrap()
        .to_string();
    slotline(&db, &["key", "revoke", &key_a_id]);
    assert_eq!(
        status_with(&base, &key_a).await,
        401,
        "revoked from another process, refused on the very next request"
    );
    assert_eq!(status_with(&base, &key_b).await, 200);
    assert!(slotline(&db, &["key", "list", "--account", &account]).contains("revoked"));
    drop(_server);
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn demo_seeds_an_account_and_prints_a_working_key() {
    let dir = std::env::temp_dir().join(format!("slotline-demo-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (_server, base, key) = demo(&dir, &[], |_| {}).await;
    let users: serde_json::Value = reqwest::Client::new()
        .get(format!("{base}/v2/users"))
        .header("API-Key", key.trim())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(
        users["data"].as_array().unwrap().len() >= 3,
        "demo users seeded: {users}"
    );
    let calendars: serde_json::Value = reqwest::Client::new()
        .get(format!("{base}/v2/booking-calendars"))
        .header("API-Key", key.trim())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        calendars["data"].as_array().unwrap().len(),
        2,
        "demo calendars seeded: {calendars}"
    );
    drop(_server);
    let _ = std::fs::remove_dir_all(&dir);
}

/// `slotline webhook listen` accepts a correctly signed request, forwards it unchanged, refuses
/// a tampered one with 400 (so the sender retries), and saves what `webhook verify` checks.
#[tokio::test]
async fn webhook_listen_verifies_forwards_and_saves_for_verify() {
    let secret = "0123456789abcdef0123456789abcdef";
    let port = free_port();
    let dir = std::env::temp_dir().join(format!("slotline-listen-{port}"));
    let forward = free_port();
    let got = std::sync::Arc::new(std::sync::Mutex::new(Vec::<Vec<u8>>::new()));
    {
        let got = got.clone();
        let app =
            axum::Router::new().fallback(axum::routing::post(move |body: axum::body::Bytes| {
                let got = got.clone();
                async move {
                    got.lock().unwrap().push(body.to_vec());
                    "ok"
                }
            }));
        let l = tokio::net::TcpListener::bind(("127.0.0.1", forward))
            .await
            .unwrap();
        tokio::spawn(async move { axum::serve(l, app).await.unwrap() });
    }
    let _listener = Server(
        Command::new(env!("CARGO_BIN_EXE_slotline"))
            .args([
                "webhook",
                "listen",
                "--secret",
                secret,
                "--port",
                &port.to_string(),
                "--save",
                dir.to_str().unwrap(),
            ])
            .args(["--forward", &format!("http://127.0.0.1:{forward}/in")])
            .stdout(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let body = br#"{"id":"EVNT-LISTEN00001","object":"event","type":"booking.scheduled","data":{"id":"BKNG-1"}}"#;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let s = slotline_webhook::sign(secret, "EVNT-LISTEN00001", now, body);
    let send = |b: &'static [u8]| {
        let s = s.clone();
        async move {
            for _ in 0..100 {
                let res = reqwest::Client::new()
                    .post(format!("http://127.0.0.1:{port}/hook"))
                    .header("Oncehub-Signature", &s.oncehub_signature)
                    .header("webhook-id", "EVNT-LISTEN00001")
                    .header("webhook-timestamp", &s.timestamp)
                    .header("webhook-signature", &s.webhook_signature)
                    .body(b)
                    .send()
                    .await;
                if let Ok(r) = res {
                    return r.status().as_u16();
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            panic!("listener did not start");
        }
    };
    assert_eq!(send(body).await, 200);
    assert_eq!(
        send(br#"{"id":"EVNT-LISTEN00001","object":"event","type":"booking.canceled"}"#).await,
        400
    );
    assert_eq!(
        got.lock().unwrap().as_slice(),
        [body.to_vec()],
        "only the valid request is forwarded, byte for byte"
    );

    let saved: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(saved.len(), 2);
    let verdicts: Vec<bool> = saved
        .iter()
        .map(|p| {
            Command::new(env!("CARGO_BIN_EXE_slotline"))
                .args(["webhook", "verify", "--secret", secret, p.to_str().unwrap()])
                .output()
                .unwrap()
                .status
                .success()
        })
        .collect();
    assert_eq!(
        verdicts.iter().filter(|ok| **ok).count(),
        1,
        "exactly the untampered request verifies"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// An operator whose PostgreSQL runs without autovacuum is told at start: without table
/// statistics PostgreSQL's plans can read a host's whole history per booking (BENCHMARKS.md).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_server_warns_when_postgresql_runs_without_autovacuum() {
    let Some(app) = common::TestApp::spawn(common::Backend::Postgres).await else {
        return;
    };
    let (setting,): (String,) = sqlx::query_as("SHOW autovacuum")
        .fetch_one(&mut *app.db.reader().await.unwrap())
        .await
        .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_slotline"))
        .args(["migrate", "--database-url", &app.url])
        .env("SLOTLINE_LOG", "warn")
        .output()
        .expect("run slotline");
    app.finish().await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let warned = String::from_utf8_lossy(&out.stderr).contains("autovacuum off");
    assert_eq!(
        warned,
        setting == "off",
        "autovacuum is {setting}; stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A `sqlite:` URL opens and creates a missing file as a plain path does.
#[test]
fn a_sqlite_url_creates_a_missing_database_like_a_plain_path() {
    let dir = std::env::temp_dir().join(format!("slotline-url-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for (url, file) in [
        (
            format!("sqlite://{}", dir.join("abs.db").display()),
            dir.join("abs.db"),
        ),
        (
            format!("sqlite:{}", dir.join("short.db").display()),
            dir.join("short.db"),
        ),
        (
            dir.join("plain.db").display().to_string(),
            dir.join("plain.db"),
        ),
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_slotline"))
            .args(["migrate", "--database-url", &url])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{url}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(file.exists(), "{url} created {}", file.display());
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// Every start-up error names the setting at fault and what to do, never a bare library error.
#[test]
fn start_up_errors_name_the_setting_and_what_to_do() {
    let run = |args: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_slotline"))
            .args(args)
            .output()
            .unwrap();
        assert!(!out.status.success(), "{args:?} should fail");
        String::from_utf8_lossy(&out.stderr).to_string()
    };
    let err = run(&[
        "migrate",
        "--database-url",
        "/nonexistent-folder/sub/slotline.db",
    ]);
    assert!(
        err.contains("--database-url") && err.contains("folder exists"),
        "{err}"
    );
    let err = run(&[
        "migrate",
        "--database-url",
        "postgres://nobody:secret@127.0.0.1:1/none",
    ]);
    assert!(
        err.contains("--database-url") && err.contains("PostgreSQL is running"),
        "{err}"
    );
    assert!(!err.contains("secret"), "the password is not shown: {err}");

    let dir = std::env::temp_dir().join(format!("slotline-start-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let db = dir.join("s.db").display().to_string();
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let err = run(&["serve", "--database-url", &db, "--listen", &addr]);
    assert!(
        err.contains("--listen") && err.contains("another port"),
        "{err}"
    );
    let err = run(&[
        "serve",
        "--database-url",
        &db,
        "--public-url",
        "book.example.com",
    ]);
    assert!(
        err.contains("--public-url") && err.contains("https://"),
        "{err}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// `--log-format json`: every stderr line is one JSON object, and a request's lines carry its
/// `Request-Id`, method and matched route (the pattern, not the raw path with its id); its
/// completion, logged at debug level, the status and latency.
#[tokio::test]
async fn json_logs_carry_each_requests_id_route_and_status() {
    let dir = std::env::temp_dir().join(format!("slotline-logs-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let log = dir.join("stderr.log");
    let (_server, base, key) = demo(&dir, &["--log-format", "json"], |c| {
        c.env("SLOTLINE_LOG", "info,slotline=debug")
            .stderr(std::fs::File::create(&log).unwrap());
    })
    .await;
    let res = reqwest::Client::new()
        .get(format!("{base}/v2/bookings/BKNG-NOPE"))
        .header("API-Key", key.trim())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    let id = res.headers()["request-id"].to_str().unwrap().to_string();
    let mut finished = None;
    for _ in 0..100 {
        let text = std::fs::read_to_string(&log).unwrap();
        let lines: Vec<serde_json::Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
            .collect();
        finished = lines.into_iter().find(|l| {
            l["span"]["request_id"] == id.as_str() && l["fields"]["message"] == "request finished"
        });
        if finished.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let line = finished.unwrap_or_else(|| panic!("no finished line for {id}"));
    assert_eq!(line["span"]["name"], "request");
    assert_eq!(line["span"]["method"], "GET");
    assert_eq!(line["span"]["route"], "/v2/bookings/{id}", "{line}");
    assert_eq!(line["fields"]["status"], 404, "{line}");
    assert!(line["fields"]["latency_ms"].as_f64().is_some(), "{line}");
    drop(_server);
    let _ = std::fs::remove_dir_all(&dir);
}

/// The value of one Prometheus sample (`name{labels}` as rendered), 0 when absent.
fn sample(text: &str, name_and_labels: &str) -> f64 {
    text.lines()
        .find_map(|l| {
            l.strip_prefix(name_and_labels)?
                .strip_prefix(' ')?
                .parse()
                .ok()
        })
        .unwrap_or(0.0)
}

/// `--metrics-listen` serves Prometheus text at `/metrics`, apart from the API; a booking made
/// over the API and its webhook delivery move the request, booking and delivery counters, and
/// the latency histograms and database waits are there.
#[tokio::test]
async fn metrics_count_requests_bookings_and_deliveries() {
    let dir = std::env::temp_dir().join(format!("slotline-metrics-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let metrics_port = free_port();
    let metrics_listen = format!("127.0.0.1:{metrics_port}");
    let (_server, base, key) = demo(
        &dir,
        &["--allow-http-webhooks", "--metrics-listen", &metrics_listen],
        |_| {},
    )
    .await;
    let http = reqwest::Client::new();
    let scrape = || async {
        let res = reqwest::get(format!("http://127.0.0.1:{metrics_port}/metrics"))
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        assert!(res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain"));
        res.text().await.unwrap()
    };
    let api = |method: reqwest::Method, path: &str| {
        http.request(method, format!("{base}/v2{path}"))
            .header("API-Key", key.trim())
    };
    let before = scrape().await;
    assert_eq!(
        reqwest::get(format!("{base}/metrics"))
            .await
            .unwrap()
            .status(),
        404,
        "metrics are not on the API's address"
    );

    let receiver = crate::common::receiver::Receiver::start().await;
    let hook = serde_json::json!({"name": "m", "url": receiver.url, "events": ["booking"]});
    assert_eq!(
        api(reqwest::Method::POST, "/webhooks")
            .json(&hook)
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    let calendars: serde_json::Value = api(reqwest::Method::GET, "/booking-calendars")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let cal = calendars["data"][0]["id"].as_str().unwrap().to_string();
    let slots: serde_json::Value = api(
        reqwest::Method::GET,
        &format!("/booking-calendars/{cal}/time-slots"),
    )
    .send()
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    let start = slots[0]["start_time"]
        .as_str()
        .expect("a free slot in the demo's next week");
    let booking = serde_json::json!({"start_time": start, "guest_time_zone": "Europe/Paris",
        "booking_form": {"name": "Carrie Customer", "email": "carrie@example.com"}});
    let res = api(
        reqwest::Method::POST,
        &format!("/booking-calendars/{cal}/schedule"),
    )
    .json(&booking)
    .send()
    .await
    .unwrap();
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    receiver.wait_for(1, 10).await;

    // The delivery's outcome is counted once its answer is read; give it a moment.
    let mut after = scrape().await;
    for _ in 0..100 {
        if sample(&after, "slotline_deliveries_total{outcome=\"delivered\"}") >= 1.0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
        after = scrape().await;
    }
    let schedule = "slotline_http_requests_total{method=\"POST\",route=\"/v2/booking-calendars/{id}/schedule\",status=\"200\"}";
    assert_eq!(sample(&before, schedule), 0.0);
    assert_eq!(sample(&after, schedule), 1.0, "{after}");
    assert_eq!(
        sample(&after, "slotline_bookings_total{action=\"scheduled\"}"),
        1.0,
        "{after}"
    );
    assert!(
        sample(&after, "slotline_deliveries_total{outcome=\"delivered\"}") >= 1.0,
        "{after}"
    );
    assert!(
        sample(&after, "slotline_delivery_claims_total") >= 1.0,
        "{after}"
    );
    let latency = "slotline_http_request_duration_seconds_count{method=\"POST\",route=\"/v2/booking-calendars/{id}/schedule\",status=\"200\"}";
    assert_eq!(sample(&after, latency), 1.0, "{after}");
    assert!(
        sample(&after, "slotline_db_wait_seconds_count{pool=\"write\"}") >= 1.0,
        "{after}"
    );
    assert!(
        after.contains("slotline_delivery_duration_seconds_bucket"),
        "{after}"
    );

    // Every metric the Grafana dashboard in ops/ charts is one the server exports.
    let dashboard = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../ops/grafana/slotline.json"),
    )
    .unwrap();
    let charted: std::collections::BTreeSet<&str> = dashboard
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .filter(|w| w.starts_with("slotline_"))
        .collect();
    assert!(charted.len() >= 8, "{charted:?}");
    for _ in 0..60 {
        if after.contains("slotline_delivery_oldest_due_age_seconds") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        after = scrape().await;
    }
    for name in charted {
        assert!(
            after.contains(&format!("\n{name}")),
            "the dashboard charts {name}, not exported:\n{after}"
        );
    }
    drop(_server);
    let _ = std::fs::remove_dir_all(&dir);
}
