//! Slotline: a self-hostable scheduling server, wire-compatible with the OnceHub API v2.
//!
//! Layers, each in its own folder: `store` (the database), `api` (the `/v2` REST API), `web`
//! (pages for people), `cli` (the `slotline` command). The rules live in `slotline-domain`.

pub mod api;
pub mod app;
pub mod booking_request;
pub mod booking_view;
pub mod chat;
pub mod cli;
pub mod clock;
pub mod config;
pub mod connections;
pub mod contact_view;
pub mod conversation_view;
pub mod delivery;
pub mod error;
pub mod measure;
pub mod request_limits;
pub mod scheduler;
pub mod store;
pub mod telemetry;
pub mod user_view;
pub mod web;
