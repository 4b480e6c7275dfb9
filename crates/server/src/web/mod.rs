//! Pages for people: the public booking pages (classic booking pages, master pages, booking
//! calendars, one-time links), the guest's confirmation, cancel and reschedule pages, the embed
//! script, the chat widget, the API reference at `/docs`, the SMS provider's delivery reports,
//! and the hosts' app (`hosts`, under `/app`).

pub mod assets;
pub mod booking_flow;
pub mod chat;
pub mod client_events;
pub mod docs;
pub mod flow;
pub mod guard;
pub mod host_actions;
pub mod hosts;
pub mod manage;
pub mod query;
pub mod sms_status;
pub mod times;

use axum::{response::Redirect, routing::get, Router};

use crate::state::SharedState;

pub fn routes() -> Router<SharedState> {
    Router::new()
        .route("/", get(|| async { Redirect::temporary("/docs") }))
        .route("/embed.js", get(assets::embed_js))
        .route("/assets/frame.js", get(assets::frame_js))
        .route("/widget.js", get(assets::widget_js))
        .route("/assets/chat.js", get(assets::chat_js))
        .route("/w/{website}", get(chat::page))
        .route(
            "/w/{website}/conversations",
            axum::routing::post(chat::open),
        )
        .route(
            "/w/conversations/{token}/reply",
            axum::routing::post(chat::reply),
        )
        .route("/w/conversations/{token}/times", get(chat::times))
        .route(
            "/w/conversations/{token}/book",
            axum::routing::post(chat::book),
        )
        .route("/assets/style.css", get(assets::style_css))
        .route("/assets/app.css", get(assets::app_css))
        .route("/assets/app.js", get(assets::app_js))
        .merge(hosts::routes())
        .route(
            "/c/{key}",
            get(booking_flow::calendar_page).post(booking_flow::calendar_post),
        )
        .route(
            "/p/{key}",
            get(booking_flow::booking_page).post(booking_flow::booking_page_post),
        )
        .route("/m/{key}", get(booking_flow::master_page))
        .route(
            "/o/{id}",
            get(booking_flow::link_page).post(booking_flow::link_post),
        )
        .route("/b/{token}", get(manage::show))
        .route("/sms/status", axum::routing::post(sms_status::report))
        .route(
            "/h/{account}/{booking}/{action}",
            get(host_actions::show).post(host_actions::act),
        )
        .route(
            "/b/{token}/cancel",
            get(manage::cancel_form).post(manage::cancel),
        )
        .route(
            "/b/{token}/reschedule",
            get(manage::reschedule_page).post(manage::reschedule),
        )
        // Pages and scripts travel compressed to browsers that ask (a times page: ~36 KB → ~5 KB).
        .layer(tower_http::compression::CompressionLayer::new())
}
