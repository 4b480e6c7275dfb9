//! `slotline webhook listen` and `slotline webhook verify`: tools for people who receive
//! Slotline's (or OnceHub's) webhooks. Verification is the `slotline-webhook` crate's.

use std::{net::SocketAddr, path::PathBuf};

use axum::{
    body::Bytes,
    extract::State,
    http::{HeaderMap, StatusCode},
    routing::any,
    Router,
};
use clap::Subcommand;
use serde_json::Value;
use slotline_webhook::{verify, Headers, Verified, VerifyError};

use super::CliResult;

#[derive(Subcommand)]
pub enum WebhookCmd {
    /// Receive webhooks locally: verify both signature schemes, print each event, optionally
    /// forward it. Answers 200 to valid requests and 400 to the rest (so Slotline retries).
    Listen {
        /// The webhook's signing secret.
        #[arg(long, env = "SLOTLINE_WEBHOOK_SECRET")]
        secret: String,
        #[arg(long, default_value_t = 8787)]
        port: u16,
        /// Also POST each verified request, headers and body unchanged, to this URL.
        #[arg(long)]
        forward: Option<String>,
        /// Save each request as a file in this folder (for `slotline webhook verify`).
        #[arg(long)]
        save: Option<PathBuf>,
        /// Seconds a signature's time may be from now.
        #[arg(long, default_value_t = slotline_webhook::DEFAULT_TOLERANCE_SECS)]
        tolerance: i64,
    },
    /// Verify a saved request (headers, a blank line, the body, as `listen --save` writes it).
    Verify {
        #[arg(long, env = "SLOTLINE_WEBHOOK_SECRET")]
        secret: String,
        /// The saved request.
        file: PathBuf,
        /// Check as of this unix time instead of now (saved requests are old).
        #[arg(long)]
        at: Option<i64>,
        #[arg(long, default_value_t = slotline_webhook::DEFAULT_TOLERANCE_SECS)]
        tolerance: i64,
    },
}

fn unix_now() -> i64 {
    jiff::Timestamp::now().as_second()
}

fn check(
    secret: &str,
    headers: &HeaderMap,
    body: &[u8],
    now: i64,
    tolerance: i64,
) -> Result<Verified, VerifyError> {
    let sig = Headers::from_lookup(|k| headers.get(k).and_then(|v| v.to_str().ok()));
    verify(secret, &sig, body, now, tolerance)
}

/// One line a person can read: when, what, about which booking, and whether it verified.
fn describe(body: &[u8], result: &Result<Verified, VerifyError>) -> String {
    let event: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
    let s = |v: &Value| v.as_str().unwrap_or("-").to_string();
    let data = &event["data"];
    let verdict = match result {
        Ok(v) => format!(
            "verified ({})",
            [
                v.oncehub.then_some("Oncehub-Signature"),
                v.standard.then_some("webhook-signature")
            ]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" + ")
        ),
        Err(e) => format!("REJECTED: {e}"),
    };
    format!(
        "{} {} {} {} {} {}  [{verdict}]",
        s(&event["creation_time"]),
        s(&event["type"]),
        s(&event["id"]),
        s(&data["id"]),
        s(&data["status"]),
        s(&data["starting_time"]),
    )
}

struct Listener {
    secret: String,
    forward: Option<String>,
    save: Option<PathBuf>,
    tolerance: i64,
    http: reqwest::Client,
    /// Numbers saved files: retries of one event arrive within the same second.
    saved: std::sync::atomic::AtomicU64,
}

async fn receive(
    State(l): State<std::sync::Arc<Listener>>,
    headers: HeaderMap,
    body: Bytes,
) -> StatusCode {
    let result = check(&l.secret, &headers, &body, unix_now(), l.tolerance);
    println!("{}", describe(&body, &result));
    if let Some(dir) = &l.save {
        let name = headers
            .get("webhook-id")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("request");
        let mut saved = Vec::new();
        for (k, v) in &headers {
            saved
                .extend_from_slice(format!("{k}: {}\n", v.to_str().unwrap_or_default()).as_bytes());
        }
        saved.push(b'\n');
        saved.extend_from_slice(&body);
        let n = l.saved.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
        let path = dir.join(format!("{name}-{}-{n}.http", unix_now()));
        if let Err(e) = std::fs::write(&path, saved) {
            eprintln!("could not save {}: {e}", path.display());
        }
    }
    if result.is_err() {
        return StatusCode::BAD_REQUEST;
    }
    if let Some(url) = &l.forward {
        let mut req = l.http.post(url).body(body.to_vec());
        for (k, v) in &headers {
            if !matches!(k.as_str(), "host" | "content-length" | "connection") {
                req = req.header(k, v);
            }
        }
        match req.send().await {
            Ok(r) => println!("  forwarded to {url}: {}", r.status()),
            Err(e) => println!("  forwarding to {url} failed: {e}"),
        }
    }
    StatusCode::OK
}

/// Splits a saved request into its headers and its body.
fn parse_saved(raw: &[u8]) -> Result<(HeaderMap, Vec<u8>), String> {
    let split = raw
        .windows(2)
        .position(|w| w == b"\n\n")
        .ok_or("no blank line between headers and body")?;
    let mut headers = HeaderMap::new();
    for line in String::from_utf8_lossy(&raw[..split]).lines() {
        let line = line.trim_end_matches('\r');
        if line.is_empty() || line.starts_with("POST ") || line.starts_with("HTTP/") {
            continue;
        }
        let (k, v) = line
            .split_once(':')
            .ok_or_else(|| format!("not a header: {line}"))?;
        let name =
            axum::http::HeaderName::from_bytes(k.trim().as_bytes()).map_err(|e| e.to_string())?;
        let value = axum::http::HeaderValue::from_str(v.trim()).map_err(|e| e.to_string())?;
        headers.append(name, value);
    }
    Ok((headers, raw[split + 2..].to_vec()))
}

pub async fn run(cmd: WebhookCmd) -> CliResult {
    match cmd {
        WebhookCmd::Listen {
            secret,
            port,
            forward,
            save,
            tolerance,
        } => {
            if let Some(dir) = &save {
                std::fs::create_dir_all(dir)?;
            }
            let state = std::sync::Arc::new(Listener {
                secret,
                forward,
                save,
                tolerance,
                http: reqwest::Client::new(),
                saved: Default::default(),
            });
            let app = Router::new().fallback(any(receive)).with_state(state);
            let listener =
                tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], port))).await?;
            eprintln!(
                "listening on http://{}/ (any path); Ctrl-C to stop",
                listener.local_addr()?
            );
            axum::serve(listener, app).await?;
        }
        WebhookCmd::Verify {
            secret,
            file,
            at,
            tolerance,
        } => {
            let raw = std::fs::read(&file)?;
            let (headers, body) = parse_saved(&raw)?;
            let result = check(
                &secret,
                &headers,
                &body,
                at.unwrap_or_else(unix_now),
                tolerance,
            );
            println!("{}", describe(&body, &result));
            if let Err(e) = result {
                return Err(e.to_string().into());
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_saved_request_verifies_and_a_tampered_one_does_not() {
        let body = br#"{"id":"EVNT-1","type":"booking.scheduled","data":{"id":"BKNG-1"}}"#;
        let s = slotline_webhook::sign("0123456789abcdef0123456789abcdef", "EVNT-1", 1_000, body);
        let mut raw = format!(
            "oncehub-signature: {}\nwebhook-id: EVNT-1\nwebhook-timestamp: {}\nwebhook-signature: {}\n\n",
            s.oncehub_signature, s.timestamp, s.webhook_signature
        )
        .into_bytes();
        raw.extend_from_slice(body);
        let (headers, got) = parse_saved(&raw).unwrap();
        assert_eq!(got, body);
        let v = check(
            "0123456789abcdef0123456789abcdef",
            &headers,
            &got,
            1_010,
            300,
        )
        .unwrap();
        assert!(v.oncehub && v.standard);
        assert!(describe(&got, &Ok(v)).contains("booking.scheduled EVNT-1 BKNG-1"));
        let mut tampered = got.clone();
        tampered[10] = b'X';
        assert!(check(
            "0123456789abcdef0123456789abcdef",
            &headers,
            &tampered,
            1_010,
            300
        )
        .is_err());
        assert!(matches!(
            check(
                "0123456789abcdef0123456789abcdef",
                &headers,
                &got,
                2_000,
                300
            ),
            Err(VerifyError::Stale { .. })
        ));
    }
}
