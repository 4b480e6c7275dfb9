//! Signing and verifying webhook requests as Slotline sends them.
//!
//! Every request carries two signatures over the same raw body, so a receiver can check
//! whichever its tooling knows:
//!
//! - OnceHub's: `Oncehub-Signature: t=<unix seconds>,s=<hex HMAC-SHA256>` over `"<t>.<body>"`,
//!   keyed with the webhook's secret as UTF-8 bytes.
//! - Standard Webhooks': `webhook-id` (the event id), `webhook-timestamp` (the same `t`) and
//!   `webhook-signature: v1,<base64 HMAC-SHA256>` over `"<id>.<t>.<body>"`, same key.
//!
//! While a webhook's secret is being rotated, each header carries one signature per secret, the
//! new one first (`t=…,s=<new>,s=<old>`; `v1,<new> v1,<old>`): a receiver that knows either
//! secret verifies, so it can switch at any time during the grace period.
//!
//! Verify over the bytes received, before parsing them: re-serialized JSON differs.
//!
//! ```
//! use slotline_webhook::{sign, verify, Headers};
//! let body = br#"{"id":"EVNT-1","object":"event"}"#;
//! let signed = sign("0123456789abcdef0123456789abcdef", "EVNT-1", 1_700_000_000, body);
//! let headers = Headers {
//!     oncehub_signature: Some(&signed.oncehub_signature),
//!     webhook_id: Some("EVNT-1"),
//!     webhook_timestamp: Some(&signed.timestamp),
//!     webhook_signature: Some(&signed.webhook_signature),
//! };
//! let ok = verify("0123456789abcdef0123456789abcdef", &headers, body, 1_700_000_060, 300).unwrap();
//! assert_eq!(ok.timestamp, 1_700_000_000);
//! ```

use base64::{engine::general_purpose::STANDARD as BASE64, Engine};
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// How far a signature's time may be from the receiver's clock, in seconds, unless told otherwise.
pub const DEFAULT_TOLERANCE_SECS: i64 = 300;

/// The signature headers of one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signed {
    /// Value of `Oncehub-Signature`.
    pub oncehub_signature: String,
    /// Value of `webhook-timestamp` (unix seconds).
    pub timestamp: String,
    /// Value of `webhook-signature`.
    pub webhook_signature: String,
}

fn mac(secret: &str, parts: &[&[u8]]) -> [u8; 32] {
    let mut m =
        Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes keys of any length");
    for p in parts {
        m.update(p);
    }
    m.finalize().into_bytes().into()
}

/// The headers to send `body` (the event `event_id`) with at `t` (unix seconds).
pub fn sign(secret: &str, event_id: &str, t: i64, body: &[u8]) -> Signed {
    sign_all(&[secret], event_id, t, body)
}

/// The headers with one signature per secret, in the order given (the current secret first,
/// then any still in their grace period).
pub fn sign_all(secrets: &[&str], event_id: &str, t: i64, body: &[u8]) -> Signed {
    let ts = t.to_string();
    let mut oncehub = format!("t={ts}");
    let mut standard = String::new();
    for secret in secrets {
        oncehub.push_str(",s=");
        oncehub.push_str(&hex::encode(mac(secret, &[ts.as_bytes(), b".", body])));
        if !standard.is_empty() {
            standard.push(' ');
        }
        standard.push_str("v1,");
        standard.push_str(&BASE64.encode(mac(
            secret,
            &[event_id.as_bytes(), b".", ts.as_bytes(), b".", body],
        )));
    }
    Signed {
        oncehub_signature: oncehub,
        webhook_signature: standard,
        timestamp: ts,
    }
}

/// The signature headers as received (any may be missing). Header names are case-insensitive;
/// look them up that way.
#[derive(Debug, Clone, Copy, Default)]
pub struct Headers<'a> {
    pub oncehub_signature: Option<&'a str>,
    pub webhook_id: Option<&'a str>,
    pub webhook_timestamp: Option<&'a str>,
    pub webhook_signature: Option<&'a str>,
}

impl<'a> Headers<'a> {
    /// Reads the four headers through `get`, called with lowercase names (look them up
    /// case-insensitively, as HTTP header maps do).
    pub fn from_lookup(get: impl Fn(&str) -> Option<&'a str>) -> Headers<'a> {
        Headers {
            oncehub_signature: get("oncehub-signature"),
            webhook_id: get("webhook-id"),
            webhook_timestamp: get("webhook-timestamp"),
            webhook_signature: get("webhook-signature"),
        }
    }
}

/// Which schemes checked out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    /// The signed time (unix seconds).
    pub timestamp: i64,
    pub oncehub: bool,
    pub standard: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    #[error("no signature headers (Oncehub-Signature or webhook-signature)")]
    Missing,
    #[error("malformed {0} header")]
    Malformed(&'static str),
    #[error("signature does not match ({0})")]
    Mismatch(&'static str),
    #[error("timestamp {timestamp} is {age} s away from now (tolerance {tolerance} s)")]
    Stale {
        timestamp: i64,
        age: i64,
        tolerance: i64,
    },
    #[error("the two schemes carry different timestamps")]
    TimestampsDiffer,
}

/// `t` and every `s` of an `Oncehub-Signature` value (several while a secret is rotated).
pub fn parse_oncehub(value: &str) -> Option<(i64, Vec<String>)> {
    let (mut t, mut s) = (None, Vec::new());
    for part in value.split(',') {
        match part.trim().split_once('=') {
            Some(("t", v)) => t = v.trim().parse().ok(),
            Some(("s", v)) => s.push(v.trim().to_ascii_lowercase()),
            _ => {}
        }
    }
    if s.is_empty() {
        return None;
    }
    Some((t?, s))
}

/// Compares in time independent of where the first difference is.
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Checks every signature present (at least one must be) against `secret`, and that the signed
/// time is within `tolerance_secs` of `now` (unix seconds).
pub fn verify(
    secret: &str,
    h: &Headers,
    body: &[u8],
    now: i64,
    tolerance_secs: i64,
) -> Result<Verified, VerifyError> {
    let mut timestamp = None;
    let mut verified = Verified {
        timestamp: 0,
        oncehub: false,
        standard: false,
    };
    if let Some(v) = h.oncehub_signature {
        let (t, sigs) = parse_oncehub(v).ok_or(VerifyError::Malformed("Oncehub-Signature"))?;
        let expected = hex::encode(mac(secret, &[t.to_string().as_bytes(), b".", body]));
        // One match suffices: during a rotation the header carries a signature per secret.
        if !sigs.iter().any(|s| same(expected.as_bytes(), s.as_bytes())) {
            return Err(VerifyError::Mismatch("Oncehub-Signature"));
        }
        timestamp = Some(t);
        verified.oncehub = true;
    }
    if let Some(sigs) = h.webhook_signature {
        let id = h.webhook_id.ok_or(VerifyError::Malformed("webhook-id"))?;
        let t: i64 = h
            .webhook_timestamp
            .and_then(|t| t.trim().parse().ok())
            .ok_or(VerifyError::Malformed("webhook-timestamp"))?;
        let expected = mac(
            secret,
            &[id.as_bytes(), b".", t.to_string().as_bytes(), b".", body],
        );
        // Several space-separated signatures may be sent (key rotation); one match suffices.
        let matched = sigs
            .split_whitespace()
            .filter_map(|s| s.strip_prefix("v1,"))
            .filter_map(|s| BASE64.decode(s).ok())
            .any(|s| same(&s, &expected));
        if !matched {
            return Err(VerifyError::Mismatch("webhook-signature"));
        }
        if timestamp.is_some_and(|other| other != t) {
            return Err(VerifyError::TimestampsDiffer);
        }
        timestamp = Some(t);
        verified.standard = true;
    }
    let t = timestamp.ok_or(VerifyError::Missing)?;
    let age = (now - t).abs();
    if age > tolerance_secs {
        return Err(VerifyError::Stale {
            timestamp: t,
            age,
            tolerance: tolerance_secs,
        });
    }
    verified.timestamp = t;
    Ok(verified)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "0123456789abcdef0123456789abcdef";

    fn headers(s: &Signed) -> Headers<'_> {
        Headers {
            oncehub_signature: Some(&s.oncehub_signature),
            webhook_id: Some("EVNT-1"),
            webhook_timestamp: Some(&s.timestamp),
            webhook_signature: Some(&s.webhook_signature),
        }
    }

    #[test]
    fn signatures_match_an_independent_hmac() {
        // printf '1611144604.{}' | openssl dgst -sha256 -hmac 0123456789abcdef0123456789abcdef
        // printf 'EVNT-1.1611144604.{}' | openssl dgst -sha256 -hmac 0123456789abcdef0123456789abcdef -binary | base64
        let s = sign(SECRET, "EVNT-1", 1_611_144_604, b"{}");
        assert_eq!(
            s.oncehub_signature,
            "t=1611144604,s=174fbc028782c0d015cea1fb6ba9a1f79a17256ec4d722215529cda5f41bd55c"
        );
        assert_eq!(
            s.webhook_signature,
            "v1,wAPEQFrFYFLyKgY1k9e20pjsIXDiBac/xFXjJhnZKC4="
        );
        assert_eq!(s.timestamp, "1611144604");
    }

    #[test]
    fn both_schemes_verify_and_agree_on_the_time() {
        let body = br#"{"id":"EVNT-1"}"#;
        let s = sign(SECRET, "EVNT-1", 1000, body);
        assert_eq!(
            verify(SECRET, &headers(&s), body, 1100, 300),
            Ok(Verified {
                timestamp: 1000,
                oncehub: true,
                standard: true
            })
        );
    }

    #[test]
    fn a_changed_byte_or_another_secret_fails() {
        let s = sign(SECRET, "EVNT-1", 1000, b"{\"a\":1}");
        assert_eq!(
            verify(SECRET, &headers(&s), b"{\"a\":2}", 1000, 300),
            Err(VerifyError::Mismatch("Oncehub-Signature"))
        );
        assert!(verify(
            "ffffffffffffffffffffffffffffffff",
            &headers(&s),
            b"{\"a\":1}",
            1000,
            300
        )
        .is_err());
        let only_standard = Headers {
            oncehub_signature: None,
            ..headers(&s)
        };
        assert_eq!(
            verify(SECRET, &only_standard, b"{\"a\":2}", 1000, 300),
            Err(VerifyError::Mismatch("webhook-signature"))
        );
    }

    #[test]
    fn stale_or_future_timestamps_are_refused_beyond_the_tolerance() {
        let s = sign(SECRET, "EVNT-1", 1000, b"{}");
        assert!(matches!(
            verify(SECRET, &headers(&s), b"{}", 1301, 300),
            Err(VerifyError::Stale { age: 301, .. })
        ));
        assert!(matches!(
            verify(SECRET, &headers(&s), b"{}", 699, 300),
            Err(VerifyError::Stale { .. })
        ));
        assert!(verify(SECRET, &headers(&s), b"{}", 1300, 300).is_ok());
    }

    #[test]
    fn either_scheme_alone_is_enough_but_none_is_an_error() {
        let s = sign(SECRET, "EVNT-1", 1000, b"{}");
        let oncehub_only = Headers {
            oncehub_signature: Some(&s.oncehub_signature),
            ..Headers::default()
        };
        assert_eq!(
            verify(SECRET, &oncehub_only, b"{}", 1000, 300).map(|v| (v.oncehub, v.standard)),
            Ok((true, false))
        );
        let standard_only = Headers {
            oncehub_signature: None,
            ..headers(&s)
        };
        assert_eq!(
            verify(SECRET, &standard_only, b"{}", 1000, 300).map(|v| (v.oncehub, v.standard)),
            Ok((false, true))
        );
        assert_eq!(
            verify(SECRET, &Headers::default(), b"{}", 1000, 300),
            Err(VerifyError::Missing)
        );
    }

    #[test]
    fn the_standard_scheme_signs_the_event_id_too() {
        let s = sign(SECRET, "EVNT-1", 1000, b"{}");
        let other_id = Headers {
            oncehub_signature: None,
            webhook_id: Some("EVNT-2"),
            ..headers(&s)
        };
        assert_eq!(
            verify(SECRET, &other_id, b"{}", 1000, 300),
            Err(VerifyError::Mismatch("webhook-signature"))
        );
    }

    #[test]
    fn oncehub_header_parts_parse_in_any_order_with_spaces() {
        assert_eq!(parse_oncehub("s=AB12, t=5"), Some((5, vec!["ab12".into()])));
        assert_eq!(
            parse_oncehub("t=5,s=aa,s=bb"),
            Some((5, vec!["aa".into(), "bb".into()]))
        );
        assert_eq!(parse_oncehub("t=5"), None);
        assert_eq!(parse_oncehub("t=x,s=1"), None);
    }

    #[test]
    fn during_a_rotation_either_secret_verifies_both_schemes() {
        const NEW: &str = "fedcba9876543210fedcba9876543210";
        let body = br#"{"id":"EVNT-1"}"#;
        let s = sign_all(&[NEW, SECRET], "EVNT-1", 1000, body);
        assert_eq!(s.oncehub_signature.matches(",s=").count(), 2);
        assert_eq!(s.webhook_signature.split(' ').count(), 2);
        for secret in [NEW, SECRET] {
            assert_eq!(
                verify(secret, &headers(&s), body, 1000, 300).map(|v| (v.oncehub, v.standard)),
                Ok((true, true)),
                "{secret}"
            );
        }
        // The first signature of each is the one `sign` makes with the new secret alone.
        let alone = sign(NEW, "EVNT-1", 1000, body);
        assert!(s.oncehub_signature.starts_with(&alone.oncehub_signature));
        assert!(s.webhook_signature.starts_with(&alone.webhook_signature));
        // A third secret matches neither.
        assert!(verify(
            "00000000000000000000000000000000",
            &headers(&s),
            body,
            1000,
            300
        )
        .is_err());
    }
}
