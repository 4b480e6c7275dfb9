//! Slotline: a self-hostable scheduling server, wire-compatible with the OnceHub API v2.
//!
//! The parts and which may call which are in `ARCHITECTURE.md`; in short, from the bottom:
//! `store` (the database), `views` (stored rows as OnceHub's JSON), `services` (what a request
//! does: scheduling, conversations, booking requests), `http` (plumbing every HTTP answer shares),
//! `api` (the `/v2` REST API) and `web` (pages for people), `app` (the router, the OpenAPI
//! document and the server), `cli` (the `slotline` command). The rules live in
//! `slotline-domain`; `delivery` is the webhook worker.

pub mod api;
pub mod app;
pub mod cli;
pub mod clock;
pub mod config;
pub mod delivery;
pub mod http;
pub mod measure;
pub mod secrets;
pub mod services;
pub mod state;
pub mod store;
pub mod telemetry;
pub mod views;
pub mod web;
