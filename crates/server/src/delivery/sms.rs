//! SMS out through a provider's HTTP API — Twilio's Messages API, the first adapter — and the
//! provider's signed status callbacks in.
//!
//! The provider's address is the operator's configuration (`--sms-api-url`), trusted as given:
//! unlike a webhook URL, no account user can set it.

use std::time::Duration;

use base64::Engine;
use hmac::{Hmac, Mac};
use serde::Deserialize;

use crate::store::notifications::{Claimed, Status};

/// Twilio's account and sender.
#[derive(Clone)]
pub struct SmsSettings {
    /// `https://api.twilio.com`, or a compatible server.
    pub api_url: String,
    pub account_sid: String,
    pub auth_token: String,
    /// The sending number (`+1…`) or a Messaging Service (`MG…`).
    pub from: String,
    /// Where the provider reports delivery (`<public URL>/sms/status`); it signs with the token.
    pub status_callback: String,
}

impl std::fmt::Debug for SmsSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmsSettings")
            .field("api_url", &self.api_url)
            .field("account_sid", &self.account_sid)
            .field("from", &self.from)
            .finish_non_exhaustive()
    }
}

pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(5))
        .timeout(Duration::from_secs(20))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("an HTTP client with rustls")
}

/// What the provider said on accepting a message.
pub struct Accepted {
    pub provider_id: String,
    pub segments: Option<i64>,
}

pub struct Failure {
    /// The provider refused the message itself (4xx but 429): retrying cannot help.
    pub permanent: bool,
    pub error: String,
}

#[derive(Deserialize)]
struct Created {
    sid: String,
    #[serde(default)]
    num_segments: Option<serde_json::Value>,
}

#[derive(Deserialize)]
struct Refusal {
    #[serde(default)]
    code: Option<serde_json::Value>,
    #[serde(default)]
    message: Option<String>,
}

/// The most of a provider's answer read.
const MAX_ANSWER: usize = 64 * 1024;

/// Sends `c` (its `text`, to its `address`).
pub async fn send(
    http: &reqwest::Client,
    s: &SmsSettings,
    c: &Claimed,
) -> Result<Accepted, Failure> {
    let url = format!(
        "{}/2010-04-01/Accounts/{}/Messages.json",
        s.api_url.trim_end_matches('/'),
        s.account_sid
    );
    let sender = if s.from.starts_with("MG") {
        "MessagingServiceSid"
    } else {
        "From"
    };
    let form = [
        ("To", c.address.as_str()),
        (sender, s.from.as_str()),
        ("Body", c.text.as_str()),
        ("StatusCallback", s.status_callback.as_str()),
    ];
    let res = http
        .post(&url)
        .basic_auth(&s.account_sid, Some(&s.auth_token))
        .form(&form)
        .send()
        .await
        .map_err(|e| Failure {
            permanent: false,
            error: format!("The SMS provider could not be reached: {e}"),
        })?;
    let status = res.status();
    let mut body = Vec::new();
    let mut res = res;
    while let Ok(Some(chunk)) = res.chunk().await {
        body.extend_from_slice(&chunk);
        if body.len() > MAX_ANSWER {
            break;
        }
    }
    if status.is_success() {
        let created: Created = serde_json::from_slice(&body).map_err(|e| Failure {
            permanent: false,
            error: format!("The SMS provider's answer was not understood: {e}"),
        })?;
        let segments = created.num_segments.and_then(|v| match v {
            serde_json::Value::String(s) => s.parse().ok(),
            serde_json::Value::Number(n) => n.as_i64(),
            _ => None,
        });
        return Ok(Accepted {
            provider_id: created.sid,
            segments,
        });
    }
    let said = serde_json::from_slice::<Refusal>(&body)
        .ok()
        .map(|r| {
            format!(
                "{} (code {})",
                r.message.unwrap_or_default(),
                r.code.map(|c| c.to_string()).unwrap_or_default()
            )
        })
        .unwrap_or_else(|| String::from_utf8_lossy(&body[..body.len().min(500)]).into_owned());
    Err(Failure {
        permanent: status.is_client_error() && status.as_u16() != 429,
        error: format!("The SMS provider answered {}: {said}", status.as_u16()),
    })
}

/// A provider's status word as OnceHub's SMS status; None for the interim ones (`queued`,
/// `sending`, `accepted`, …), which change nothing.
pub fn status_of(word: &str) -> Option<Status> {
    match word {
        "sent" => Some(Status::Sent),
        "delivered" | "read" => Some(Status::Delivered),
        "undelivered" | "failed" => Some(Status::Failed),
        "canceled" => Some(Status::Rejected),
        _ => None,
    }
}

/// Twilio's request signature: HMAC-SHA1, keyed by the auth token, over the full URL followed
/// by every form parameter's name and value, sorted by name.
fn mac(auth_token: &str, url: &str, params: &[(String, String)]) -> Hmac<sha1::Sha1> {
    let mut sorted: Vec<&(String, String)> = params.iter().collect();
    sorted.sort();
    let mut mac =
        Hmac::<sha1::Sha1>::new_from_slice(auth_token.as_bytes()).expect("any key length");
    mac.update(url.as_bytes());
    for (k, v) in sorted {
        mac.update(k.as_bytes());
        mac.update(v.as_bytes());
    }
    mac
}

/// The signature of a request, in base64 as the `X-Twilio-Signature` header carries it.
pub fn signature(auth_token: &str, url: &str, params: &[(String, String)]) -> String {
    base64::engine::general_purpose::STANDARD
        .encode(mac(auth_token, url, params).finalize().into_bytes())
}

/// Whether `given` is the signature of this request, compared in constant time.
pub fn verify(auth_token: &str, url: &str, params: &[(String, String)], given: &str) -> bool {
    match base64::engine::general_purpose::STANDARD.decode(given.trim()) {
        Ok(given) => mac(auth_token, url, params).verify_slice(&given).is_ok(),
        Err(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signature_covers_the_url_and_the_sorted_parameters() {
        let p = vec![
            ("MessageStatus".to_string(), "delivered".to_string()),
            ("MessageSid".to_string(), "SM1".to_string()),
        ];
        let s = signature("token", "https://x.test/sms/status", &p);
        assert!(verify("token", "https://x.test/sms/status", &p, &s));
        assert!(!verify("other", "https://x.test/sms/status", &p, &s));
        assert!(!verify("token", "https://x.test/sms/status?x", &p, &s));
        let mut q = p.clone();
        q[0].1 = "failed".into();
        assert!(!verify("token", "https://x.test/sms/status", &q, &s));
    }

    #[test]
    fn interim_words_change_nothing() {
        assert_eq!(status_of("queued"), None);
        assert_eq!(status_of("delivered"), Some(Status::Delivered));
        assert_eq!(status_of("undelivered"), Some(Status::Failed));
    }
}
