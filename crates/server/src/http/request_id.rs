//! `Request-Id` on every response, so a user can quote one request and we can find it in the logs.

use axum::{extract::Request, http::HeaderValue, middleware::Next, response::Response};
use rand::Rng;

/// A fresh request id, `req_` and 16 hex digits.
pub fn new_id() -> String {
    format!("req_{:016x}", rand::thread_rng().gen::<u64>())
}

pub async fn stamp(mut req: Request, next: Next) -> Response {
    let id = new_id();
    req.extensions_mut()
        .insert(crate::telemetry::RequestId(id.clone()));
    let (method, path) = (req.method().clone(), req.uri().path().to_string());
    let mut res = next.run(req).await;
    if res.status().is_server_error() {
        tracing::warn!(request_id = %id, %method, %path, status = %res.status(), "request failed");
    }
    if let Ok(v) = HeaderValue::from_str(&id) {
        res.headers_mut().insert("request-id", v);
    }
    res
}
