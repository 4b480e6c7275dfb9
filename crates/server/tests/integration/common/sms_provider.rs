//! A local HTTP server speaking Twilio's Messages API, for the SMS tests: it checks the account's
//! Basic credentials, accepts or refuses each message as Twilio would, records it, and then
//! reports `sent` and `delivered` to the message's `StatusCallback` with Twilio's signature
//! (HMAC-SHA1 of the URL and the sorted form, keyed by the auth token), as Twilio does.

#![allow(dead_code)]

use std::sync::{Arc, Mutex};

use axum::{
    extract::{Path, State},
    http::{HeaderMap, StatusCode},
    response::IntoResponse,
    routing::post,
    Json, Router,
};
use base64::Engine;
use hmac::{Hmac, Mac};
use serde_json::json;

/// A number the provider refuses (as Twilio refuses an invalid `To`).
pub const REFUSED_NUMBER: &str = "+12025550123";

#[derive(Debug, Clone)]
pub struct Sent {
    pub sid: String,
    pub to: String,
    pub from: String,
    pub body: String,
    pub callback: String,
}

#[derive(Clone)]
pub struct SmsProvider {
    pub url: String,
    pub account_sid: String,
    pub auth_token: String,
    pub sent: Arc<Mutex<Vec<Sent>>>,
    /// Statuses reported to callbacks after accepting (default: sent, delivered).
    pub reports: Arc<Mutex<Vec<&'static str>>>,
    /// What each callback answered.
    pub callback_answers: Arc<Mutex<Vec<u16>>>,
}

/// Twilio's signature of a request to `url` with form `params`.
pub fn sign(token: &str, url: &str, params: &[(&str, &str)]) -> String {
    let mut sorted = params.to_vec();
    sorted.sort();
    let mut data = url.to_string();
    for (k, v) in sorted {
        data.push_str(k);
        data.push_str(v);
    }
    let mut mac = Hmac::<sha1::Sha1>::new_from_slice(token.as_bytes()).unwrap();
    mac.update(data.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

impl SmsProvider {
    pub async fn start() -> SmsProvider {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let provider = SmsProvider {
            url: format!("http://{}", listener.local_addr().unwrap()),
            account_sid: "AC0123456789abcdef0123456789abcdef".into(),
            auth_token: "test-auth-token-1234".into(),
            sent: Default::default(),
            reports: Arc::new(Mutex::new(vec!["sent", "delivered"])),
            callback_answers: Default::default(),
        };
        let app = Router::new()
            .route("/2010-04-01/Accounts/{sid}/Messages.json", post(create))
            .with_state(provider.clone());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        provider
    }

    pub fn sent(&self) -> Vec<Sent> {
        self.sent.lock().unwrap().clone()
    }

    pub async fn wait_for(&self, n: usize) -> Vec<Sent> {
        for _ in 0..300 {
            if self.sent().len() >= n {
                return self.sent();
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        panic!("expected {n} SMS, the provider got {:?}", self.sent());
    }
}

async fn create(
    State(p): State<SmsProvider>,
    Path(sid): Path<String>,
    headers: HeaderMap,
    body: String,
) -> impl IntoResponse {
    let expected = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD
            .encode(format!("{}:{}", p.account_sid, p.auth_token))
    );
    if sid != p.account_sid
        || headers.get("authorization").and_then(|v| v.to_str().ok()) != Some(&expected)
    {
        return (
            StatusCode::UNAUTHORIZED,
            Json(json!({"code": 20003, "message": "Authenticate", "status": 401})),
        );
    }
    let form: Vec<(String, String)> = url::form_urlencoded::parse(body.as_bytes())
        .into_owned()
        .collect();
    let get = |k: &str| {
        form.iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let to = get("To");
    if to == REFUSED_NUMBER {
        return (
            StatusCode::BAD_REQUEST,
            Json(
                json!({"code": 21211, "message": format!("The 'To' number {to} is not a valid phone number."), "status": 400}),
            ),
        );
    }
    let message_sid = format!("SM{:032x}", rand::random::<u128>());
    let sent = Sent {
        sid: message_sid.clone(),
        to,
        from: get("From"),
        body: get("Body"),
        callback: get("StatusCallback"),
    };
    let segments = if sent.body.chars().count() <= 160 {
        1
    } else {
        sent.body.chars().count().div_ceil(153)
    };
    p.sent.lock().unwrap().push(sent.clone());
    let reports = p.reports.lock().unwrap().clone();
    let (token, answers) = (p.auth_token.clone(), p.callback_answers.clone());
    tokio::spawn(async move {
        let http = reqwest::Client::builder().no_proxy().build().unwrap();
        for status in reports {
            tokio::time::sleep(std::time::Duration::from_millis(30)).await;
            let params = [
                ("MessageSid", sent.sid.as_str()),
                ("MessageStatus", status),
                ("To", sent.to.as_str()),
            ];
            let res = http
                .post(&sent.callback)
                .header("X-Twilio-Signature", sign(&token, &sent.callback, &params))
                .form(&params)
                .send()
                .await;
            answers
                .lock()
                .unwrap()
                .push(res.map(|r| r.status().as_u16()).unwrap_or(0));
        }
    });
    (
        StatusCode::CREATED,
        Json(
            json!({"sid": message_sid, "status": "queued", "num_segments": segments.to_string(), "body": body}),
        ),
    )
}
