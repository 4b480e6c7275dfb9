//! Who may post to the public pages: forms carry a signed, expiring token bound to what they
//! act on (CSRF), the browser's `Origin` must be ours, and each client address may post only so
//! many times a minute. The token needs no cookie, so it also works inside a third-party iframe
//! where browsers withhold cookies.

use std::net::IpAddr;

use axum::http::{HeaderMap, StatusCode};
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::{app::SharedState, error::AppResult, store::instance};

/// A form older than this is refused (the guest reloads the page and gets a fresh one).
const FORM_LIFETIME_MS: i64 = 6 * 3_600_000;

/// Why a post was refused, with the status and the words the page shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// Missing, forged or expired form token, or a post from another site.
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
    Ok(state.form_key.get_or_try_init(|| instance::secret(&state.db, "form")).await?.as_slice())
}

fn mac(key: &[u8], scope: &str, issued_ms: i64) -> String {
    let mut m = Hmac::<Sha256>::new_from_slice(key).expect("any key length");
    m.update(format!("{scope}|{issued_ms}").as_bytes());
    hex::encode(m.finalize().into_bytes())
}

/// A token for a form acting on `scope` (e.g. `book:BKC-…`, `booking:<token>`).
pub async fn token(state: &SharedState, scope: &str) -> AppResult<String> {
    let now = state.now();
    Ok(format!("{now}.{}", mac(key(state).await?, scope, now)))
}

/// Whether `token` was issued by this instance for `scope` within the form lifetime.
pub async fn token_ok(state: &SharedState, scope: &str, token: &str) -> AppResult<bool> {
    let Some((issued, sig)) = token.split_once('.') else { return Ok(false) };
    let Ok(issued) = issued.parse::<i64>() else { return Ok(false) };
    let age = state.now() - issued;
    if !(0..=FORM_LIFETIME_MS).contains(&age) {
        return Ok(false);
    }
    // Constant-time comparison through the MAC's own verify.
    let mut m = Hmac::<Sha256>::new_from_slice(key(state).await?).expect("any key length");
    m.update(format!("{scope}|{issued}").as_bytes());
    Ok(hex::decode(sig).is_ok_and(|raw| m.verify_slice(&raw).is_ok()))
}

/// A browser names the page a form was posted from; a post from another site is refused. Ours
/// is the configured public URL, or the host the browser addressed (`localhost` and
/// `127.0.0.1` are different origins of the same server; a proxy may end TLS). No `Origin` at
/// all (old browsers, scripts) is left to the token.
pub fn same_origin(state: &SharedState, headers: &HeaderMap) -> bool {
    let Some(origin) = headers.get(axum::http::header::ORIGIN).and_then(|v| v.to_str().ok()) else { return true };
    if slotline_domain::settings::origin_of(&state.base_url).is_some_and(|ours| ours == origin) {
        return true;
    }
    let host = headers.get(axum::http::header::HOST).and_then(|v| v.to_str().ok()).unwrap_or("");
    !host.is_empty() && (origin == format!("http://{host}") || origin == format!("https://{host}"))
}

/// Every check a public post goes through, in order of cost.
pub async fn check(state: &SharedState, headers: &HeaderMap, client: IpAddr, scope: &str, token: &str) -> AppResult<Option<Refusal>> {
    if let Some(limiter) = &state.post_limiter {
        if limiter.check_key(&client).is_err() {
            return Ok(Some(Refusal::TooMany));
        }
    }
    if !same_origin(state, headers) || !token_ok(state, scope, token).await? {
        return Ok(Some(Refusal::Forged));
    }
    Ok(None)
}
