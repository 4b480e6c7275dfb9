//! Who is signed in: the session cookie (HttpOnly, SameSite=Lax, Secure and `__Host-` on an
//! https server) read into a [`Signed`] user, and the check every form of a signed-in page
//! passes — the session's own CSRF token, and the browser's `Origin` being this server.

use axum::{
    extract::FromRequestParts,
    http::{header, request::Parts, HeaderMap, HeaderValue, StatusCode},
    response::{IntoResponse, Redirect, Response},
};
use cookie::{time::Duration, Cookie, SameSite};
use slotline_domain::role::Role;

use crate::{
    services::sign_in,
    state::{AppState, SharedState},
    store::sessions::Session,
    web::{flow::internal, guard},
};

/// A signed-in user of the hosts' app, and their session's cookie token.
pub struct Signed {
    pub session: Session,
    pub token: String,
}

impl Signed {
    /// The account owner or an administrator: they manage the account.
    pub fn is_admin(&self) -> bool {
        matches!(self.session.role, Role::AccountOwner | Role::Administrator)
    }

    pub fn name(&self) -> String {
        format!("{} {}", self.session.first_name, self.session.last_name)
            .trim()
            .to_string()
    }

    /// The refusal of a post that did not come from this session's own page.
    pub fn refused_form(
        &self,
        state: &AppState,
        headers: &HeaderMap,
        csrf: Option<&str>,
    ) -> Option<Response> {
        let ok = guard::same_origin(state, headers, &[])
            && csrf.is_some_and(|c| same_bytes(c.as_bytes(), self.session.csrf.as_bytes()));
        if ok {
            None
        } else {
            Some(super::layout::message(
                StatusCode::FORBIDDEN,
                "This form has expired",
                "It did not come from this session's page. Go back, reload the page and try again.",
            ))
        }
    }
}

impl Signed {
    /// The refusal of an administrator's action: a form not from this session's page, or a
    /// user who is not the owner or an administrator (`what` they would have done).
    pub fn refused_admin_form(
        &self,
        state: &AppState,
        headers: &HeaderMap,
        csrf: Option<&str>,
        what: &str,
    ) -> Option<Response> {
        self.refused_form(state, headers, csrf)
            .or_else(|| (!self.is_admin()).then(|| super::layout::only_admins(what)))
    }
}

/// A form of a signed-in page that carries nothing but its CSRF token.
#[derive(serde::Deserialize)]
pub struct CsrfForm {
    #[serde(default)]
    pub csrf: String,
}

/// A form of a signed-in page with its CSRF token and any other fields by name (settings
/// forms, whose field names are made from row numbers).
#[derive(serde::Deserialize)]
pub struct FieldsForm {
    #[serde(default)]
    pub csrf: String,
    #[serde(flatten)]
    pub fields: std::collections::HashMap<String, String>,
}

impl FieldsForm {
    /// A field's value, trimmed; empty when absent.
    pub fn get(&self, k: &str) -> &str {
        self.fields.get(k).map_or("", |v| v.trim())
    }
}

/// Compares without stopping at the first difference.
fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The cookie's name: with `__Host-` on https, which browsers accept only from a secure
/// origin, for the whole host, without a `Domain`.
pub fn cookie_name(state: &AppState) -> &'static str {
    if secure(state) {
        "__Host-slotline_session"
    } else {
        "slotline_session"
    }
}

fn secure(state: &AppState) -> bool {
    state.base_url.starts_with("https://")
}

/// The session token a request's cookies carry.
pub fn token_of(state: &AppState, headers: &HeaderMap) -> Option<String> {
    let name = cookie_name(state);
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(Cookie::split_parse)
        .filter_map(Result::ok)
        .find(|c| c.name() == name)
        .map(|c| c.value().to_string())
}

/// The `Set-Cookie` that keeps a session in this browser (`token`), or forgets it (None).
pub fn set_cookie(state: &AppState, token: Option<&str>) -> HeaderValue {
    let mut c = Cookie::build((cookie_name(state), token.unwrap_or("").to_string()))
        .http_only(true)
        .same_site(SameSite::Lax)
        .path("/")
        .secure(secure(state));
    c = match token {
        Some(_) => c.max_age(Duration::milliseconds(sign_in::SESSION_MAX_MS)),
        None => c.max_age(Duration::ZERO),
    };
    HeaderValue::from_str(&c.build().to_string()).expect("a cookie is a header value")
}

/// Where a signed-out browser goes: the sign-in page, then back to `path`.
pub fn to_sign_in(path: &str) -> Response {
    let next = url::form_urlencoded::byte_serialize(path.as_bytes()).collect::<String>();
    Redirect::to(&format!("/app/sign-in?next={next}")).into_response()
}

/// A `next` address the sign-in may send the browser to: a page of the app, nowhere else.
pub fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n)
            if n.starts_with("/app/")
                && !n.starts_with("//")
                && !n.contains('\\')
                && n.len() <= 500
                && !n.starts_with("/app/sign-in") =>
        {
            n.to_string()
        }
        _ => "/app/bookings".to_string(),
    }
}

impl FromRequestParts<SharedState> for Signed {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &SharedState,
    ) -> Result<Self, Self::Rejection> {
        let path = parts
            .uri
            .path_and_query()
            .map_or("/app/bookings", |p| p.as_str())
            .to_string();
        let Some(token) = token_of(state, &parts.headers) else {
            return Err(to_sign_in(&path));
        };
        match sign_in::session(state.ctx(), &token).await {
            Ok(Some(session)) => Ok(Signed { session, token }),
            Ok(None) => {
                let mut res = to_sign_in(&path);
                res.headers_mut()
                    .insert(header::SET_COOKIE, set_cookie(state, None));
                Err(res)
            }
            Err(e) => Err(internal(e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sign_in_sends_back_only_to_pages_of_the_app() {
        assert_eq!(
            safe_next(Some("/app/bookings?tab=past")),
            "/app/bookings?tab=past"
        );
        for bad in [
            "https://evil.example/",
            "//evil.example/app/",
            "/app/\\evil",
            "/docs",
            "/app/sign-in?next=/x",
        ] {
            assert_eq!(safe_next(Some(bad)), "/app/bookings", "{bad}");
        }
        assert_eq!(safe_next(None), "/app/bookings");
    }

    #[test]
    fn tokens_are_compared_whole() {
        assert!(same_bytes(b"abc", b"abc"));
        assert!(!same_bytes(b"abc", b"abd"));
        assert!(!same_bytes(b"abc", b"abcd"));
    }
}
