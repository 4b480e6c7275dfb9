//! Pages for people: the API reference at `/docs`. Public booking pages come with the web issue.

pub mod docs;

use axum::{response::Redirect, routing::get, Router};

use crate::app::SharedState;

pub fn routes() -> Router<SharedState> {
    Router::new().route("/docs", get(docs::page)).route("/", get(|| async { Redirect::temporary("/docs") }))
}
