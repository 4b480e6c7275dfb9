//! Black-box test harness: the real server on a random port, over a fresh database of each
//! backend. PostgreSQL tests use the server at 127.0.0.1:5432 (override with
//! `SLOTLINE_TEST_PG_URL`); when it is unreachable they are skipped, except under CI (`CI` set),
//! where they fail.

#![allow(dead_code)]

pub mod caldav_server;
pub mod chrome;
pub mod feed;
pub mod guest;
pub mod oidc;
pub mod person;
pub mod receiver;
pub mod sms_provider;
pub mod smtp;

use std::sync::Arc;

use rand::Rng;
use reqwest::{Client, Method, Response};
use serde_json::Value;
use slotline::{
    app,
    clock::ManualClock,
    config::ServeConfig,
    state::AppState,
    store::{accounts, keys, Db, Limits},
};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

pub struct TestApp {
    pub base: String,
    pub key: String,
    pub account_id: slotline_domain::id::AccountId,
    pub owner_user_id: String,
    pub db: Db,
    /// The database, for other processes.
    pub url: String,
    pub clock: ManualClock,
    pub http: Client,
    /// Where email goes as .eml files when no SMTP server is set.
    pub mail_dir: std::path::PathBuf,
    cleanup: Cleanup,
}

enum Cleanup {
    File(std::path::PathBuf),
    Database { admin_url: String, name: String },
}

pub struct Options {
    pub rate_limit: u32,
    pub body_limit: usize,
    pub allow_http_webhooks: bool,
    pub webhook_timeout_secs: u64,
    pub webhook_per_endpoint: usize,
    /// `Api` keeps this in-process server from sending webhooks (tests that run workers apart).
    pub role: slotline::config::Role,
    /// Public booking posts per client address per minute; 0: no limit.
    pub booking_rate_limit: u32,
    /// How often the sweeper runs, in ms (0: the server's default).
    pub sweep_ms: u64,
    /// How long a request waits for a database connection before 503 (0: the default).
    pub db_wait_ms: u64,
    /// Seconds a connection may wait for a request head.
    pub idle_timeout_secs: u64,
    pub max_connections_per_address: usize,
    /// `--webhook-allow`: CIDRs webhooks may reach although internal.
    pub webhook_allow: &'static str,
    /// `--webhook-proxy`.
    pub webhook_proxy: Option<String>,
    /// `--smtp-url`; without it email goes to a fresh folder (`TestApp::mail_dir`).
    pub smtp_url: Option<String>,
    /// SMS through a Twilio-like server: (API base URL, account sid, auth token, sender).
    pub sms: Option<(String, String, String, String)>,
    /// `--oidc-issuer`, with `oidc::CLIENT_ID` and `oidc::CLIENT_SECRET`.
    pub oidc_issuer: Option<String>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            rate_limit: 0,
            body_limit: 1_048_576,
            allow_http_webhooks: false,
            webhook_timeout_secs: 15,
            webhook_per_endpoint: 32,
            role: slotline::config::Role::All,
            booking_rate_limit: 0,
            sweep_ms: 0,
            db_wait_ms: 0,
            idle_timeout_secs: 20,
            max_connections_per_address: 256,
            webhook_allow: "",
            webhook_proxy: None,
            smtp_url: None,
            sms: None,
            oidc_issuer: None,
        }
    }
}

fn pg_admin_url() -> String {
    std::env::var("SLOTLINE_TEST_PG_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

/// A fresh, empty, migrated database of the backend; `None` when PostgreSQL is absent outside CI.
async fn fresh_db(backend: Backend, limits: Limits) -> Option<(Db, Cleanup, String)> {
    let suffix: u64 = rand::thread_rng().gen();
    match backend {
        Backend::Sqlite => {
            let path = std::env::temp_dir().join(format!("slotline-test-{suffix:016x}.db"));
            let url = path.to_string_lossy().to_string();
            let db = Db::connect_with(&url, limits).await.expect("open sqlite");
            db.migrate().await.expect("migrate sqlite");
            Some((db, Cleanup::File(path), url))
        }
        Backend::Postgres => {
            let admin_url = pg_admin_url();
            sqlx::any::install_default_drivers();
            let admin = match sqlx::AnyPool::connect(&admin_url).await {
                Ok(p) => p,
                Err(e) if std::env::var_os("CI").is_none() => {
                    eprintln!("skipping PostgreSQL test: {e}");
                    return None;
                }
                Err(e) => {
                    panic!("PostgreSQL is required under CI but unreachable at {admin_url}: {e}")
                }
            };
            let name = format!("slotline_t_{suffix:016x}");
            sqlx::query(&format!("CREATE DATABASE {name}"))
                .execute(&admin)
                .await
                .expect("create database");
            admin.close().await;
            let url = match admin_url.rsplit_once('/') {
                Some((head, _)) => format!("{head}/{name}"),
                None => panic!("bad SLOTLINE_TEST_PG_URL"),
            };
            let db = Db::connect_with(&url, limits)
                .await
                .expect("connect postgres");
            db.migrate().await.expect("migrate postgres");
            Some((db, Cleanup::Database { admin_url, name }, url))
        }
    }
}

impl TestApp {
    pub async fn spawn(backend: Backend) -> Option<TestApp> {
        Self::spawn_with(backend, Options::default()).await
    }

    pub async fn spawn_with(backend: Backend, opts: Options) -> Option<TestApp> {
        let mut limits = Limits::default();
        if opts.db_wait_ms > 0 {
            limits.wait = std::time::Duration::from_millis(opts.db_wait_ms);
        }
        let (db, cleanup, url) = fresh_db(backend, limits).await?;
        let clock = ManualClock::new(1_750_000_000_000); // 2025-06-15T15:06:40Z
        let account = accounts::create(
            &db,
            "Test Co",
            "owner@test.example",
            "America/Chicago",
            "Olive",
            "Owner",
            1_750_000_000_000,
        )
        .await
        .unwrap();
        let (_, key) = keys::create(&db, &account.id, "tests", 1_750_000_000_000)
            .await
            .unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let mut config = ServeConfig::new(addr, &url);
        config.public_url = Some(format!("http://{addr}"));
        config.rate_limit = opts.rate_limit;
        config.body_limit = opts.body_limit;
        config.allow_http_webhooks = opts.allow_http_webhooks;
        config.webhook_timeout = opts.webhook_timeout_secs;
        config.webhook_per_endpoint = opts.webhook_per_endpoint;
        config.role = opts.role;
        config.booking_rate_limit = opts.booking_rate_limit;
        config.idle_timeout = opts.idle_timeout_secs;
        config.max_connections_per_address = opts.max_connections_per_address;
        config.webhook_allow = slotline::config::Cidrs(
            slotline_domain::destination::parse_allowed(opts.webhook_allow).unwrap(),
        );
        config.webhook_proxy = opts.webhook_proxy.as_deref().map(|p| p.parse().unwrap());
        let mail_dir = std::env::temp_dir().join(format!(
            "slotline-mail-{:016x}",
            rand::thread_rng().gen::<u64>()
        ));
        config.mail_dir = mail_dir.clone();
        config.secret_key_file = Some(mail_dir.with_extension("key"));
        config.smtp_url = opts.smtp_url.clone();
        if let Some(issuer) = &opts.oidc_issuer {
            config.oidc_issuer = Some(issuer.clone());
            config.oidc_client_id = Some(oidc::CLIENT_ID.into());
            config.oidc_client_secret = Some(oidc::CLIENT_SECRET.into());
            config.oidc_name = "Staff login".into();
        }
        if let Some((api, sid, token, from)) = &opts.sms {
            config.sms_api_url = api.clone();
            config.twilio_account_sid = Some(sid.clone());
            config.twilio_auth_token = Some(token.clone());
            config.sms_from = Some(from.clone());
        }
        let mut state = AppState::with_clock(db.clone(), &config, Arc::new(clock.clone()));
        // The manual clock moves without telling anyone: look for due retries often.
        state.worker.poll = std::time::Duration::from_millis(20);
        if let Some(m) = state.messages.as_mut() {
            m.poll = std::time::Duration::from_millis(20);
        }
        if let Some(c) = state.calendars.as_mut() {
            c.poll = std::time::Duration::from_millis(20);
        }
        if opts.sweep_ms > 0 {
            state.sweep_every = std::time::Duration::from_millis(opts.sweep_ms);
        }
        tokio::spawn(app::serve(state, listener));
        Some(TestApp {
            base: format!("http://{addr}"),
            key,
            account_id: account.id,
            owner_user_id: account.owner_user_id.to_string(),
            db,
            url: config.database_url.clone(),
            clock,
            http: Client::builder().no_proxy().build().unwrap(),
            mail_dir,
            cleanup,
        })
    }

    pub fn clock_now(&self) -> i64 {
        use slotline::clock::Clock;
        self.clock.now_ms()
    }

    /// A second account with its own key, to check isolation.
    pub async fn other_account_key(&self) -> String {
        let acc = accounts::create(
            &self.db,
            "Other Co",
            "other@test.example",
            "UTC",
            "Otto",
            "Other",
            1_750_000_000_000,
        )
        .await
        .unwrap();
        keys::create(&self.db, &acc.id, "other", 1_750_000_000_000)
            .await
            .unwrap()
            .1
    }

    pub async fn call_as(
        &self,
        key: &str,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> Response {
        let mut req = self
            .http
            .request(method, format!("{}{}", self.base, path))
            .header("API-Key", key);
        if let Some(b) = body {
            req = req.json(&b);
        }
        req.send().await.expect("request")
    }

    pub async fn call(&self, method: Method, path: &str, body: Option<Value>) -> Response {
        self.call_as(&self.key, method, path, body).await
    }

    /// Status and JSON body.
    pub async fn json(&self, method: Method, path: &str, body: Option<Value>) -> (u16, Value) {
        let res = self.call(method, path, body).await;
        let status = res.status().as_u16();
        (status, res.json().await.unwrap_or(Value::Null))
    }

    pub async fn get(&self, path: &str) -> (u16, Value) {
        self.json(Method::GET, path, None).await
    }

    pub async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        self.json(Method::POST, path, Some(body)).await
    }

    pub async fn patch(&self, path: &str, body: Value) -> (u16, Value) {
        self.json(Method::PATCH, path, Some(body)).await
    }

    pub async fn delete(&self, path: &str) -> (u16, Value) {
        self.json(Method::DELETE, path, None).await
    }

    pub async fn finish(self) {
        self.db.close().await;
        let _ = std::fs::remove_dir_all(&self.mail_dir);
        let _ = std::fs::remove_file(self.mail_dir.with_extension("key"));
        match &self.cleanup {
            Cleanup::File(path) => {
                for ext in ["", "-wal", "-shm"] {
                    let _ = std::fs::remove_file(format!("{}{ext}", path.display()));
                }
            }
            Cleanup::Database { admin_url, name } => {
                if let Ok(admin) = sqlx::AnyPool::connect(admin_url).await {
                    let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                        .execute(&admin)
                        .await;
                }
            }
        }
    }
}

/// Asserts an error body: status, OnceHub type, message and param.
pub fn assert_error(got: &(u16, Value), status: u16, message: &str, param: Option<&str>) {
    assert_eq!(got.0, status, "status for {}", got.1);
    assert_eq!(got.1["message"], message, "message in {}", got.1);
    match param {
        Some(p) => assert_eq!(got.1["param"], p, "param in {}", got.1),
        None => assert!(
            got.1.get("param").is_none(),
            "no param expected in {}",
            got.1
        ),
    }
    let t = got.1["type"].as_str().unwrap_or_default();
    assert!(
        [
            "invalid_request_error",
            "authentication_error",
            "rate_limit_error",
            "api_error"
        ]
        .contains(&t),
        "type in {}",
        got.1
    );
}

/// Runs one scenario against both backends: `<name>::sqlite` and `<name>::postgres`.
#[macro_export]
macro_rules! both_backends {
    ($name:ident, $scenario:path, $opts:expr) => {
        mod $name {
            use super::*;
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                if let Some(app) = common::TestApp::spawn_with(common::Backend::Sqlite, $opts).await
                {
                    $scenario(&app).await;
                    app.finish().await;
                }
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                if let Some(app) =
                    common::TestApp::spawn_with(common::Backend::Postgres, $opts).await
                {
                    $scenario(&app).await;
                    app.finish().await;
                }
            }
        }
    };
    ($name:ident, $scenario:path) => {
        mod $name {
            use super::*;
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                if let Some(app) = common::TestApp::spawn(common::Backend::Sqlite).await {
                    $scenario(&app).await;
                    app.finish().await;
                }
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                if let Some(app) = common::TestApp::spawn(common::Backend::Postgres).await {
                    $scenario(&app).await;
                    app.finish().await;
                }
            }
        }
    };
}

/// Runs `async fn $name(Backend)` as two tests, `$name::sqlite` and `$name::postgres` (in
/// scope in every test module: `main.rs` takes this module's macros).
macro_rules! on_both {
    ($name:ident) => {
        mod $name {
            use crate::common::Backend;
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                super::$name(Backend::Sqlite).await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                super::$name(Backend::Postgres).await
            }
        }
    };
}
