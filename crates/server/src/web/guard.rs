//! Who may post to the public pages: forms carry a signed, expiring, single-use token bound to
//! what they act on (CSRF), the browser's `Origin` must be ours or an allowed embedding site,
//! and each client address may post only so many times a minute. The token needs no cookie, so it also works inside a third-party iframe
//! where browsers withhold cookies.

use std::net::IpAddr;

use axum::http::{HeaderMap, StatusCode};
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::{
    http::error::AppResult,
    state::SharedState,
    store::{form_tokens, instance},
};

/// A form older than this is refused (the guest reloads the page and gets a fresh one).
const FORM_LIFETIME_MS: i64 = 6 * 3_600_000;

/// Why a post was refused, with the status and the words the page shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// Missing, forged, expired or already used form token, or a post from another site.
    Forged,
    TooMany,
}

impl Refusal {
    pub fn status(self) -> StatusCode {
        match self {
            Refusal::Forged => StatusCode::FORBIDDEN,
            Refusal::TooMany => StatusCode::TOO_MANY_REQUESTS,
        }
    }

    pub fn message(self) -> &'static str {
        match self {
            Refusal::Forged => "This form has expired or did not come from this site. Please reload the page and try again.",
            Refusal::TooMany => "Too many attempts from your network. Please wait a minute and try again.",
        }
    }
}

async fn key(state: &SharedState) -> AppResult<&[u8]> {
    Ok(state
        .form_key
        .get_or_try_init(|| instance::secret(&state.db, "form"))
        .await?
        .as_slice())
}

fn mac(key: &[u8], scope: &str, issued_ms: i64, nonce: &str) -> Hmac<Sha256> {
    let mut m = Hmac::<Sha256>::new_from_slice(key).expect("any key length");
    m.update(format!("{scope}|{issued_ms}|{nonce}").as_bytes());
    m
}

/// A token for a form acting on `scope` (e.g. `book:BKC-…`, `booking:<token>`):
/// `<issued ms>.<nonce>.<signature>`. The nonce makes every form's token its own, so that using
/// one up leaves the next form rendered for the same guest good.
pub async fn token(state: &SharedState, scope: &str) -> AppResult<String> {
    let now = state.now();
    let nonce = hex::encode(rand::random::<[u8; 8]>());
    let sig = hex::encode(
        mac(key(state).await?, scope, now, &nonce)
            .finalize()
            .into_bytes(),
    );
    Ok(format!("{now}.{nonce}.{sig}"))
}

/// When `token` was issued, if this instance issued it for `scope` and it is within the form
/// lifetime.
async fn issued(state: &SharedState, scope: &str, token: &str) -> AppResult<Option<i64>> {
    let mut parts = token.splitn(3, '.');
    let (Some(issued), Some(nonce), Some(sig)) = (parts.next(), parts.next(), parts.next()) else {
        return Ok(None);
    };
    let Ok(issued) = issued.parse::<i64>() else {
        return Ok(None);
    };
    let age = state.now() - issued;
    if !(0..=FORM_LIFETIME_MS).contains(&age) {
        return Ok(None);
    }
    // Constant-time comparison through the MAC's own verify.
    let m = mac(key(state).await?, scope, issued, nonce);
    Ok(hex::decode(sig)
        .is_ok_and(|raw| m.verify_slice(&raw).is_ok())
        .then_some(issued))
}

/// A browser names the page a form was posted from. Only these may post: this server's public
/// URL (and, when that is a loopback address, the other names of loopback on the same port:
/// `localhost` and `127.0.0.1` are different origins of the same server) and the origins the
/// page allows to embed it (`embed_origins`). The request's own `Host` is never trusted: an
/// attacker chooses it. No `Origin` at all (old browsers, scripts) is left to the token.
pub fn same_origin(
    state: &crate::state::AppState,
    headers: &HeaderMap,
    allowed: &[String],
) -> bool {
    let Some(origin) = headers
        .get(axum::http::header::ORIGIN)
        .and_then(|v| v.to_str().ok())
    else {
        return true;
    };
    if allowed.iter().any(|a| a == origin) {
        return true;
    }
    let Some(ours) = slotline_domain::settings::origin_of(&state.base_url) else {
        return false;
    };
    ours == origin
        || (is_loopback_origin(&ours)
            && is_loopback_origin(origin)
            && port_of(&ours) == port_of(origin))
}

fn is_loopback_origin(origin: &str) -> bool {
    url::Url::parse(origin).is_ok_and(|u| match u.host() {
        Some(url::Host::Domain(d)) => d == "localhost",
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    })
}

fn port_of(origin: &str) -> Option<u16> {
    url::Url::parse(origin)
        .ok()
        .and_then(|u| u.port_or_known_default())
}

/// Every check a public post goes through, in order of cost; a post that passes uses its
/// token up. `allowed` are the page's embedding origins.
pub async fn check(
    state: &SharedState,
    headers: &HeaderMap,
    client: IpAddr,
    scope: &str,
    token: &str,
    allowed: &[String],
) -> AppResult<Option<Refusal>> {
    if let Some(limiter) = &state.post_limiter {
        if limiter.check_key(&client).is_err() {
            return Ok(Some(Refusal::TooMany));
        }
    }
    if !same_origin(state, headers, allowed) {
        return Ok(Some(Refusal::Forged));
    }
    let Some(issued) = issued(state, scope, token).await? else {
        return Ok(Some(Refusal::Forged));
    };
    let sig = token.rsplit('.').next().unwrap_or(token);
    if !form_tokens::use_once(&state.db, sig, issued + FORM_LIFETIME_MS).await? {
        return Ok(Some(Refusal::Forged));
    }
    Ok(None)
}
