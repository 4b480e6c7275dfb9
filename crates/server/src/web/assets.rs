//! The static files of the public pages, compiled into the binary: the stylesheet, the script
//! each page runs (`frame.js`) and the embed script websites load (`embed.js`).

use axum::{
    http::{header, HeaderValue},
    response::{IntoResponse, Response},
};

fn file(body: &'static str, content_type: &'static str) -> Response {
    let mut res = body.into_response();
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    // Short: a new release must reach embedding sites the same day.
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=3600"),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    res
}

pub async fn embed_js() -> Response {
    let mut res = file(
        include_str!("assets/embed.js"),
        "text/javascript; charset=utf-8",
    );
    // Websites load it from their own pages.
    res.headers_mut().insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    res
}

pub async fn widget_js() -> Response {
    let mut res = file(
        include_str!("assets/widget.js"),
        "text/javascript; charset=utf-8",
    );
    res.headers_mut().insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    res
}

pub async fn chat_js() -> Response {
    file(
        include_str!("assets/chat.js"),
        "text/javascript; charset=utf-8",
    )
}

pub async fn frame_js() -> Response {
    file(
        include_str!("assets/frame.js"),
        "text/javascript; charset=utf-8",
    )
}

pub async fn style_css() -> Response {
    file(include_str!("assets/style.css"), "text/css; charset=utf-8")
}

pub async fn app_css() -> Response {
    file(include_str!("assets/app.css"), "text/css; charset=utf-8")
}

pub async fn app_js() -> Response {
    file(
        include_str!("assets/app.js"),
        "text/javascript; charset=utf-8",
    )
}
