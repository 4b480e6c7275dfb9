//! The frame every public page shares: the HTML shell, the security headers, and the data the
//! page's script hands to the embedding website. Markup is built with maud, which escapes every
//! value it interpolates; the only unescaped text is the JSON block, escaped here for a script.

use axum::{
    http::{header, HeaderName, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
};
use maud::{html, Markup, PreEscaped, DOCTYPE};
use serde_json::Value;

/// What the page's script (`frame.js`) reads: the embedding origin it may post to, the events
/// to post, and a redirect for the top window.
#[derive(Default)]
pub struct FrameData {
    pub origin: Option<String>,
    pub events: Vec<Value>,
    pub redirect: Option<String>,
}

/// JSON that can sit inside `<script type="application/json">`: no `</script>`, no comment
/// openers, no line separators that old parsers choke on.
pub fn script_json(v: &Value) -> String {
    v.to_string()
        .replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
        .replace('\u{2028}', "\\u2028")
        .replace('\u{2029}', "\\u2029")
}

/// A whole page.
pub fn page(title: &str, body: Markup, data: &FrameData) -> Markup {
    page_with(title, body, data, None)
}

/// A whole page that also runs `script` (a path under `/assets/`), after the page's own.
pub fn page_with(title: &str, body: Markup, data: &FrameData, script: Option<&str>) -> Markup {
    let json = serde_json::json!({"origin": data.origin, "events": data.events, "redirect": data.redirect});
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta name="referrer" content="strict-origin-when-cross-origin";
                title { (title) }
                link rel="stylesheet" href="/assets/style.css";
            }
            body {
                main { (body) }
                script type="application/json" id="sl-data" { (PreEscaped(script_json(&json))) }
                script src="/assets/frame.js" {}
                @if let Some(s) = script { script src=(s) {} }
            }
        }
    }
}

/// Who may put the page in a frame: the listed origins, or any site when the list is empty.
pub fn frame_ancestors(allowed: &[String]) -> String {
    if allowed.is_empty() {
        "*".into()
    } else {
        allowed.join(" ")
    }
}

/// An HTML response with the headers every public page carries. Scripts and styles come only
/// from this server; `frame_ancestors` restricts embedding.
pub fn respond(status: StatusCode, markup: Markup, frame_ancestors: &str) -> Response {
    let mut res = (status, markup).into_response();
    secure(res.headers_mut(), frame_ancestors);
    res
}

/// The headers of every HTML page this server writes: no sniffing, no caching, a strict
/// content security policy, and who may frame it.
pub fn secure(h: &mut axum::http::HeaderMap, frame_ancestors: &str) {
    let csp = format!(
        "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; \
         base-uri 'none'; frame-ancestors {frame_ancestors}"
    );
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        HeaderName::from_static("referrer-policy"),
        HeaderValue::from_static("strict-origin-when-cross-origin"),
    );
    if let Ok(v) = HeaderValue::from_str(&csp) {
        h.insert(header::CONTENT_SECURITY_POLICY, v);
    }
}

/// A page that only says something (not found, refused, …).
pub fn message(status: StatusCode, title: &str, text: &str) -> Response {
    let body = html! {
        h1 { (title) }
        p.muted { (text) }
    };
    respond(status, page(title, body, &FrameData::default()), "*")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_in_a_script_cannot_close_the_script() {
        let s = script_json(
            &serde_json::json!({"name": "</script><script>alert(1)</script>", "x": "a&b\u{2028}"}),
        );
        assert!(!s.contains('<') && !s.contains('>') && !s.contains('&'));
        let back: Value = serde_json::from_str(&s).unwrap();
        assert_eq!(back["name"], "</script><script>alert(1)</script>");
    }
}
