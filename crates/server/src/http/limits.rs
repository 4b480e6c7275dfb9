//! Limits a request meets before any handler reads it: the length of its URL, the size of its
//! header section and its declared body length. Each is refused at once, in OnceHub's error
//! shape (a page for a browser that asked for one), without waiting for a body.

use axum::{
    extract::{Request, State},
    http::{header, HeaderMap, HeaderValue},
    middleware::Next,
    response::Response,
};

use crate::http::error::AppError;

/// Longest path and query accepted, in bytes.
pub const MAX_URI_BYTES: usize = 8 * 1024;
/// Largest header section accepted (names, values and separators), in bytes.
pub const MAX_HEADER_BYTES: usize = 32 * 1024;

/// `body_limit` is the largest request body accepted, in bytes.
pub async fn check(State(body_limit): State<usize>, req: Request, next: Next) -> Response {
    let refuse = |error: AppError| refuse(req.uri().path(), req.headers(), error);
    let uri_len = req.uri().path_and_query().map_or(0, |p| p.as_str().len());
    if uri_len > MAX_URI_BYTES {
        return refuse(AppError::UriTooLong {
            limit: MAX_URI_BYTES,
        });
    }
    let header_bytes: usize = req
        .headers()
        .iter()
        .map(|(k, v)| k.as_str().len() + v.len() + 4)
        .sum();
    if header_bytes > MAX_HEADER_BYTES {
        return refuse(AppError::HeadersTooLarge {
            limit: MAX_HEADER_BYTES,
        });
    }
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|n| n > body_limit as u64) {
        // The body is never read: the connection closes after this answer.
        let mut res = refuse(AppError::PayloadTooLarge { limit: body_limit });
        res.headers_mut()
            .insert(header::CONNECTION, HeaderValue::from_static("close"));
        return res;
    }
    next.run(req).await
}

/// The error as a page for a browser navigating to a public page, as JSON for the API and
/// everyone else.
pub fn refuse(path: &str, headers: &HeaderMap, error: AppError) -> Response {
    crate::http::error::respond(
        !path.starts_with("/v2") && wants_html(headers),
        error.status(),
        error.body(),
    )
}

/// A browser navigating asks for HTML first; API clients and scripts do not.
pub fn wants_html(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.starts_with("text/html"))
}
